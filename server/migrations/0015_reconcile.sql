-- 0015_reconcile.sql: reconciliation (issue 17; proto/PROTOCOL.md
-- "Reconciliation", server/RECORD.md "Reconciliation").
--
-- A station proves that central holds exactly the ops it holds: both sides
-- compute, per range of the station's seqs, the count of ops accepted
-- (result OK = 1) and rejected (any other result) and a digest, SHA-256
-- over the range's ops in seq order, each as its seq (8 bytes big-endian),
-- its payload hash (32 bytes) and its result (4 bytes big-endian).
--
-- * hb_reconcile_figures(): a range's figures from the op rows as they are.
-- * reconcile_bucket: each bucket's figures as they were when central
--   posted the bucket's last seq (hourbank-central seals them in the group
--   commit, server/group_write.c), sealed again when a later post fills a
--   hole in it. Bucket k of a station is seqs 1000k+1 .. 1000(k+1)
--   (HB_RECONCILE_BUCKET_OPS; hb_reconcile_bucket_ops() says the same, and
--   itest_central_reconcile checks that the two agree). Central never
--   answers with them: it checks its rows against them (the query, verify).
-- * station_reconcile: each station's last report (ReconcileQuery.report),
--   what `hourbank stations` shows.

CREATE FUNCTION hb_reconcile_bucket_ops() RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT 1000::bigint $$;

-- A range's figures; digest NULL when it holds no op.
CREATE FUNCTION hb_reconcile_figures(p_station integer, p_first bigint, p_last bigint)
RETURNS TABLE (accepted integer, rejected integer, digest bytea) LANGUAGE sql STABLE AS $$
    SELECT (count(*) FILTER (WHERE o.result = 1))::integer,
           (count(*) FILTER (WHERE o.result <> 1))::integer,
           sha256(string_agg(int8send(o.seq) || o.payload_hash || int4send(o.result), ''::bytea ORDER BY o.seq))
      FROM op o
     WHERE o.station_id = p_station AND o.seq BETWEEN p_first AND p_last
$$;

CREATE TABLE reconcile_bucket (
    station_id integer NOT NULL REFERENCES station,
    bucket     bigint NOT NULL CHECK (bucket >= 0),
    accepted   integer NOT NULL CHECK (accepted >= 0),
    rejected   integer NOT NULL CHECK (rejected >= 0),
    digest     bytea,                 -- NULL: the bucket held no op when sealed
    sealed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_id, bucket)
);

-- Every complete bucket of the ops already posted: its last seq at or
-- below its station's highest seq.
INSERT INTO reconcile_bucket (station_id, bucket, accepted, rejected, digest)
SELECT m.station_id, k.bucket, f.accepted, f.rejected, f.digest
  FROM (SELECT station_id, max(seq) AS high FROM op GROUP BY station_id) m
 CROSS JOIN LATERAL generate_series(0, m.high / hb_reconcile_bucket_ops() - 1) k(bucket)
 CROSS JOIN LATERAL hb_reconcile_figures(m.station_id, k.bucket * hb_reconcile_bucket_ops() + 1,
                                         (k.bucket + 1) * hb_reconcile_bucket_ops()) f;

-- Each station's last reconcile run as it reported it; replaced by each
-- report. firsts: the first seqs of each kind, e.g. "missing 57,58;
-- altered 90", for people and for telling a repeated finding.
CREATE TABLE station_reconcile (
    station_id       integer PRIMARY KEY REFERENCES station,
    reported_at      timestamptz NOT NULL DEFAULT now(),
    from_seq         bigint NOT NULL,
    through_seq      bigint NOT NULL,
    from_day         text NOT NULL DEFAULT '',
    ranges           integer NOT NULL,
    ranges_differing integer NOT NULL,
    ops_here         bigint NOT NULL,
    ops_central      bigint NOT NULL,
    missing          integer NOT NULL,
    altered          integer NOT NULL,
    extra            integer NOT NULL,
    resent           integer NOT NULL,
    idle             boolean NOT NULL,
    firsts           text NOT NULL DEFAULT ''
);

-- verify: every sealed bucket against its rows (server/verify.c adds
-- these problems to hb_verify()'s).
CREATE FUNCTION hb_verify_reconcile() RETURNS TABLE (problem text) LANGUAGE sql STABLE AS $$
    SELECT format('station %s seqs %s-%s: rows hold %s accepted, %s rejected, digest %s; central sealed %s'
                  ' accepted, %s rejected, digest %s', b.station_id, b.bucket * hb_reconcile_bucket_ops() + 1,
                  (b.bucket + 1) * hb_reconcile_bucket_ops(), f.accepted, f.rejected,
                  coalesce(left(encode(f.digest, 'hex'), 16), 'none'), b.accepted, b.rejected,
                  coalesce(left(encode(b.digest, 'hex'), 16), 'none'))
      FROM reconcile_bucket b
     CROSS JOIN LATERAL hb_reconcile_figures(b.station_id, b.bucket * hb_reconcile_bucket_ops() + 1,
                                             (b.bucket + 1) * hb_reconcile_bucket_ops()) f
     WHERE (f.accepted, f.rejected, f.digest) IS DISTINCT FROM (b.accepted, b.rejected, b.digest)
     ORDER BY b.station_id, b.bucket
$$;
