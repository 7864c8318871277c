-- 0012_complete_record.sql: central's record of every op is complete, and
-- personal data lives apart from the ledger. server/RECORD.md explains the
-- model; in short:
--
-- op gains the op's content (who entered it, the members it names, minutes,
-- category, note or reason, a void's target) and what later reports need,
-- stamped at posting so it stays stable when members move or rules change:
-- the payer and the payer rule that chose it, the rules version, the
-- members' and the payer's districts, and the local days of service and of
-- posting. Results are a code plus named values (op.params, one
-- "name=value" per line; proto/PROTOCOL.md "Result values"); op.message
-- keeps the English prose of results stored before this migration.
--
-- Names, birth years, phone numbers and family links move to
-- member_profile and family_link: versioned, never in ledger rows.
--
-- Existing rows are filled honestly: what the ledger can tell (from the
-- transfers, members and void links) is written, the rest stays NULL
-- ("not known"). In particular, the recipient of a service paid by the
-- guarantee before this migration was never stored and stays NULL, the
-- operator of every older op is NULL, and a rejected older op's content
-- is NULL (central kept only its hash).

-- ---- the op record ---------------------------------------------------------

ALTER TABLE op DROP CONSTRAINT op_kind_check;
ALTER TABLE op ADD CONSTRAINT op_kind_check
    CHECK (kind IN ('register', 'service', 'gift', 'void', 'donation', 'invalid'));
ALTER TABLE transfer DROP CONSTRAINT transfer_kind_check;
ALTER TABLE transfer ADD CONSTRAINT transfer_kind_check
    CHECK (kind IN ('service', 'overflow', 'gift', 'void', 'donation'));

ALTER TABLE op
    ADD COLUMN params               text NOT NULL DEFAULT '',
    ADD COLUMN operator             text,      -- NULL: entered before operators existed
    ADD COLUMN member               text,      -- register: the member; service: provider;
                                               -- gift: giver; donation: donor
    ADD COLUMN counterpart          text,      -- service: recipient; gift: receiver
    ADD COLUMN minutes              bigint,
    ADD COLUMN category             text,
    ADD COLUMN note                 text,      -- service note, gift/donation/void reason
    ADD COLUMN target_station       integer,   -- void: the op it reverses
    ADD COLUMN target_seq           bigint,
    ADD COLUMN rules_version        integer,   -- the rules it met
    ADD COLUMN payer                text,      -- accepted service, gift, donation: the member
                                               -- number debited, or 'guarantee'
    ADD COLUMN payer_rule           integer,   -- accepted service: payer_rule.position that
                                               -- chose the payer; NULL = none matched, the
                                               -- recipient pays
    ADD COLUMN member_district      text,      -- districts at posting (NULL: not registered)
    ADD COLUMN counterpart_district text,
    ADD COLUMN payer_district       text,      -- NULL for the city-wide guarantee
    ADD COLUMN service_day          date,      -- occurred_at's local day, station's district zone
    ADD COLUMN posted_day           date;      -- the posting's local day, same zone

ALTER TABLE op DISABLE TRIGGER op_immutable;
UPDATE op SET
    minutes = t.minutes, category = t.category, note = t.note, rules_version = t.rules_version,
    member = CASE o.kind WHEN 'service' THEN cm.member_no WHEN 'gift' THEN dm.member_no END,
    counterpart = CASE o.kind WHEN 'service' THEN dm.member_no WHEN 'gift' THEN cm.member_no END,
    payer = CASE WHEN o.kind IN ('service', 'gift') THEN coalesce(dm.member_no, 'guarantee') END
  FROM op o
  JOIN LATERAL (SELECT sum(x.minutes) AS minutes, min(x.category) AS category, min(x.note) AS note,
                       min(x.rules_version) AS rules_version, min(x.id) AS first_id
                  FROM transfer x WHERE x.station_id = o.station_id AND x.seq = o.seq) t ON true
  JOIN transfer f ON f.id = t.first_id
  LEFT JOIN member cm ON cm.account_id = f.credit_account
  LEFT JOIN member dm ON dm.account_id = f.debit_account
 WHERE op.station_id = o.station_id AND op.seq = o.seq AND o.kind IN ('service', 'gift') AND o.result = 1;
UPDATE op SET target_station = v.target_station, target_seq = v.target_seq,
              note = (SELECT min(x.note) FROM transfer x WHERE x.station_id = op.station_id AND x.seq = op.seq)
  FROM void_link v
 WHERE v.void_station = op.station_id AND v.void_seq = op.seq;
UPDATE op SET member = m.member_no
  FROM member m
 WHERE m.station_id = op.station_id AND m.seq = op.seq AND op.kind = 'register';
UPDATE op SET member_district = (SELECT c.district FROM member m JOIN community c ON c.code = m.community
                                  WHERE m.member_no = op.member),
              counterpart_district = (SELECT c.district FROM member m JOIN community c ON c.code = m.community
                                       WHERE m.member_no = op.counterpart),
              payer_district = (SELECT c.district FROM member m JOIN community c ON c.code = m.community
                                 WHERE m.member_no = op.payer)
 WHERE op.member IS NOT NULL;
UPDATE op SET service_day = CASE WHEN isfinite(op.occurred_at) THEN (op.occurred_at AT TIME ZONE z.time_zone)::date END,
              posted_day = (op.received_at AT TIME ZONE z.time_zone)::date
  FROM station s JOIN community c ON c.code = s.community
  JOIN district_rule z ON z.district = c.district AND z.version = (SELECT max(version) FROM rules_version)
 WHERE s.id = op.station_id;
ALTER TABLE op ENABLE TRIGGER op_immutable;

-- What each op is, with the names a reader expects.
CREATE VIEW op_record AS
SELECT station_id, seq, kind, result, params, message, transfer_id, occurred_at, received_at, operator,
       CASE kind WHEN 'register' THEN member END AS registered,
       CASE kind WHEN 'service' THEN member END AS provider,
       CASE kind WHEN 'service' THEN counterpart END AS recipient,
       CASE kind WHEN 'gift' THEN member END AS giver,
       CASE kind WHEN 'gift' THEN counterpart END AS receiver,
       CASE kind WHEN 'donation' THEN member END AS donor,
       payer, payer_rule, rules_version, minutes, category, note, target_station, target_seq,
       member_district, counterpart_district, payer_district, service_day, posted_day
  FROM op;

-- ---- personal data apart from the ledger ------------------------------------

-- One row per version of a member's profile; the newest is in force. A new
-- version is a new row (amendments, #15); rows are never changed, so a
-- version once read is the same forever. Inserting one bumps the member's
-- account.version, so the directory (0011) and the writer's member cache
-- (server/cache.h) see the change.
CREATE TABLE member_profile (
    member_no  text NOT NULL REFERENCES member,
    version    integer NOT NULL CHECK (version >= 1),
    name       text NOT NULL,
    birth_year integer,
    phone      text,
    valid_from timestamptz NOT NULL DEFAULT now(),
    station_id integer,   -- the op that wrote it (NULL: written by central)
    seq        bigint,
    PRIMARY KEY (member_no, version)
);
CREATE TABLE family_link (
    member_no       text NOT NULL,
    profile_version integer NOT NULL,
    relative        text NOT NULL REFERENCES member,
    relation        text NOT NULL DEFAULT '',   -- '' = not said
    PRIMARY KEY (member_no, profile_version, relative),
    FOREIGN KEY (member_no, profile_version) REFERENCES member_profile
);
CREATE INDEX member_profile_name_idx ON member_profile (lower(name));
CREATE INDEX family_link_relative_idx ON family_link (relative);

INSERT INTO member_profile (member_no, version, name, birth_year, phone, valid_from, station_id, seq)
SELECT member_no, 1, name, birth_year, NULL, created_at, station_id, seq FROM member;
INSERT INTO family_link (member_no, profile_version, relative)
SELECT member_no, 1, family_of FROM member WHERE family_of IS NOT NULL;

ALTER TABLE member DISABLE TRIGGER member_immutable;
ALTER TABLE member DROP COLUMN name, DROP COLUMN birth_year, DROP COLUMN family_of;
ALTER TABLE member ENABLE TRIGGER member_immutable;

CREATE FUNCTION hb_profile_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE account a SET version = nextval('directory_version')
      FROM member m
     WHERE m.account_id = a.id
       AND m.member_no IN (SELECT n.member_no FROM new_rows n WHERE n.version > 1);
    RETURN NULL;
END $$;
CREATE TRIGGER member_profile_added AFTER INSERT ON member_profile REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hb_profile_added();
CREATE TRIGGER member_profile_immutable BEFORE UPDATE OR DELETE ON member_profile
    FOR EACH STATEMENT EXECUTE FUNCTION hb_immutable();
CREATE TRIGGER family_link_immutable BEFORE UPDATE OR DELETE ON family_link
    FOR EACH STATEMENT EXECUTE FUNCTION hb_immutable();

-- Each member with the profile in force: what queries show and the rules
-- read (birth year, family links).
CREATE VIEW member_now AS
SELECT m.member_no, m.community, m.account_id, m.role, m.station_id, m.seq, m.created_at,
       p.version AS profile_version, p.name, p.birth_year, p.phone,
       ARRAY(SELECT f.relative FROM family_link f
              WHERE f.member_no = m.member_no AND f.profile_version = p.version
              ORDER BY f.relative) AS family
  FROM member m
  JOIN LATERAL (SELECT * FROM member_profile q WHERE q.member_no = m.member_no
                 ORDER BY q.version DESC LIMIT 1) p ON true;

-- The key of the salted hash that stands for a registration's personal
-- fields in its payload hash (server/RECORD.md, "Payload hashes").
-- 244 random bits from gen_random_uuid(); central reads it at connect.
CREATE TABLE hash_key (
    id  integer PRIMARY KEY CHECK (id = 1),
    key bytea NOT NULL CHECK (length(key) = 32)
);
INSERT INTO hash_key (id, key)
SELECT 1, substring(decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex')
                    FROM 1 FOR 32);
CREATE TRIGGER hash_key_immutable BEFORE UPDATE OR DELETE ON hash_key
    FOR EACH STATEMENT EXECUTE FUNCTION hb_immutable();

-- ---- the reference engine (hb_apply_op), with values and the record -------
-- hourbank-central posts in memory (server/posting.c); these functions
-- give the same answers one op at a time and are the oracle of
-- tests/integration/itest_posting_diff.c. hb_op_result.message now
-- carries the result's values (op.params) for results decided here.

-- "name=value" lines from name, value pairs; a NULL value is written "".
CREATE FUNCTION hb_params(VARIADIC p_pairs text[]) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(string_agg(p_pairs[i] || '=' || coalesce(p_pairs[i + 1], ''), E'\n' ORDER BY i), '')
      FROM generate_series(1, coalesce(array_length(p_pairs, 1), 0), 2) i
$$;

CREATE OR REPLACE FUNCTION hb_no_rules(p_role text, p_who text, p_district text, p_version integer)
RETURNS hb_op_result LANGUAGE sql STABLE AS $$
    SELECT hb_reject(29, hb_params('role', p_role, CASE p_role WHEN 'station' THEN 'station' ELSE 'member' END,
                                   p_who, 'district', p_district, 'rules_version', p_version::text))
$$;
DROP FUNCTION hb_no_rules(text, text, integer);

CREATE OR REPLACE FUNCTION hb_refusal_message(p_station integer, p_seq bigint, p_no text)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT hb_params('member', member_no, 'station', station_id::text, 'seq', seq::text,
                     'refused_result', result::text)
      FROM refused_registration
     WHERE station_id = p_station AND member_no = p_no AND seq < p_seq
     ORDER BY seq LIMIT 1
$$;

-- A stored answer: its values, or the prose of a result stored before 0012.
CREATE OR REPLACE FUNCTION hb_prior_result(p_station integer, p_seq bigint, p_hash bytea)
RETURNS hb_op_result LANGUAGE plpgsql STABLE AS $$
DECLARE
    prior op;
BEGIN
    SELECT * INTO prior FROM op WHERE station_id = p_station AND seq = p_seq;
    IF NOT FOUND THEN
        RETURN NULL;
    ELSIF prior.payload_hash = p_hash THEN
        RETURN (prior.result, CASE WHEN prior.message <> '' THEN prior.message ELSE prior.params END,
                prior.transfer_id)::hb_op_result;
    END IF;
    RETURN hb_reject(3, hb_params('station', p_station::text, 'seq', p_seq::text));
END $$;

-- The local day of p_at at station p_station (its district's zone in
-- rules version p_version); NULL when the district has no rules.
CREATE FUNCTION hb_station_day(p_station integer, p_at timestamptz, p_version integer) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN isfinite(p_at) THEN (p_at AT TIME ZONE r.time_zone)::date END
      FROM station s JOIN community c ON c.code = s.community
      JOIN district_rule r ON r.district = c.district AND r.version = p_version
     WHERE s.id = p_station
$$;

CREATE FUNCTION hb_member_district(p_no text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT c.district FROM member m JOIN community c ON c.code = m.community WHERE m.member_no = p_no
$$;

-- Stores a rejection decided before posting (the op's fields are not
-- valid, or its station is retired); p_message is its values. Nothing of
-- its content is kept: it may not even be valid text.
CREATE OR REPLACE FUNCTION hb_reject_op(p_station integer, p_seq bigint, p_hash bytea, p_kind text,
                                        p_occurred bigint, p_result integer, p_message text)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    r hb_op_result := hb_prior_result(p_station, p_seq, p_hash);
    at timestamptz;
    v_version integer := (SELECT max(version) FROM rules_version);
BEGIN
    IF r.result IS NOT NULL THEN
        RETURN r;
    ELSIF p_result = 1 THEN
        RAISE EXCEPTION 'hb_reject_op: result 1 (OK) is not a rejection, station % seq %', p_station, p_seq;
    END IF;
    at := CASE WHEN p_occurred < 0 THEN '-infinity'
               WHEN p_occurred > 253402300799 THEN 'infinity'  -- HB_OCCURRED_AT_S_MAX
               ELSE to_timestamp(p_occurred) END;
    r := hb_reject(p_result, p_message);
    INSERT INTO op (station_id, seq, payload_hash, kind, result, message, params, transfer_id, occurred_at,
                    rules_version, posted_day)
    VALUES (p_station, p_seq, p_hash, p_kind, r.result, '', r.message, NULL, at,
            v_version, hb_station_day(p_station, now(), v_version));
    RETURN r;
END $$;

CREATE OR REPLACE FUNCTION hb_register(p_station integer, p_seq bigint, p_no text, p_name text,
                                       p_role smallint, p_birth_year integer, p_family text, p_phone text)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    st station;
    st_district text;
    v_version integer;
    serial integer := split_part(p_no, '-', 2)::integer;
    acct bigint;
    refusal text;
BEGIN
    SELECT * INTO st FROM station WHERE id = p_station;
    IF split_part(p_no, '-', 1) <> st.community THEN
        RETURN hb_reject(7, hb_params('reason', 'register_community', 'station', p_station::text,
                                      'community', st.community, 'member', p_no));
    ELSIF serial NOT BETWEEN st.serial_min AND st.serial_max THEN
        RETURN hb_reject(7, hb_params('reason', 'serials', 'station', p_station::text, 'member', p_no,
                                      'serial_min', st.serial_min::text, 'serial_max', st.serial_max::text));
    ELSIF EXISTS (SELECT 1 FROM member WHERE member_no = p_no) THEN
        PERFORM hb_refuse_registration(p_station, p_seq, p_no, 2);
        RETURN hb_reject(2, hb_params('member', p_no));
    END IF;
    refusal := coalesce(hb_refusal_message(p_station, p_seq, p_no), hb_refusal_message(p_station, p_seq, p_family));
    IF refusal IS NOT NULL THEN
        RETURN hb_reject(27, refusal);
    ELSIF p_family <> '' AND NOT EXISTS (SELECT 1 FROM member WHERE member_no = p_family) THEN
        RETURN hb_reject(8, hb_params('role', 'family', 'member', p_family));
    END IF;
    SELECT district INTO st_district FROM community WHERE code = st.community;
    SELECT max(v.version) INTO v_version FROM rules_version v;
    IF NOT EXISTS (SELECT 1 FROM district_rule r WHERE r.version = v_version AND r.district = st_district) THEN
        RETURN hb_no_rules('station', p_station::text, st_district, v_version);
    END IF;
    INSERT INTO account (kind, district)
    VALUES ('member', st_district)
    RETURNING id INTO acct;
    INSERT INTO member (member_no, community, account_id, role, station_id, seq)
    VALUES (p_no, st.community, acct, p_role, p_station, p_seq);
    INSERT INTO member_profile (member_no, version, name, birth_year, phone, station_id, seq)
    VALUES (p_no, 1, p_name, nullif(p_birth_year, 0), nullif(p_phone, ''), p_station, p_seq);
    IF p_family <> '' THEN
        INSERT INTO family_link (member_no, profile_version, relative) VALUES (p_no, 1, p_family);
    END IF;
    RETURN hb_ok(NULL);
END $$;
DROP FUNCTION hb_register(integer, bigint, text, text, smallint, integer, text);

-- Sets what hb_apply_op stamps on an accepted service, gift or donation.
CREATE FUNCTION hb_stamp_payer(p_payer text, p_rule integer) RETURNS void LANGUAGE sql AS $$
    SELECT set_config('hourbank.payer', coalesce(p_payer, ''), true),
           set_config('hourbank.payer_rule', coalesce(p_rule::text, ''), true)
$$;

CREATE OR REPLACE FUNCTION hb_service(p_station integer, p_seq bigint, p_at timestamptz,
                                      p_provider text, p_recipient text, p_minutes bigint,
                                      p_category text, p_note text, p_version integer)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    prov_no text;
    prov_comm text;
    prov_district text;
    prov_acct bigint;
    recp_no text;
    recp_comm text;
    recp_district text;
    recp_acct bigint;
    comm text;
    has_category boolean;
    has_rp boolean;
    has_rr boolean;
    rp_cap bigint;
    rp_overflow text;
    rp_daily bigint;
    rp_zone text;
    rr_floor bigint;
    served bigint;
    payer_kind text;
    payer_rule integer;
    budget bigint;
    payer bigint;
    payer_bal bigint;
    bal bigint;
    room bigint;
    first_id bigint;
    extra_id bigint;
BEGIN
    SELECT p.member_no, p.community, pc.district, p.account_id,
           r.member_no, r.community, rc.district, r.account_id,
           (SELECT community FROM station WHERE id = p_station),
           EXISTS (SELECT 1 FROM category WHERE version = p_version AND name = p_category),
           rp.district IS NOT NULL, rr.district IS NOT NULL,
           rp.cap, rp.overflow, rp.daily_limit, rp.time_zone, rr.floor,
           (SELECT coalesce(sum(t.minutes), 0)::bigint FROM transfer t
             WHERE t.kind = 'service' AND t.credit_account = p.account_id
               AND t.occurred_at >= hb_local_day_start(p_at, rp.time_zone)
               AND t.occurred_at < hb_local_day_end(p_at, rp.time_zone)
               AND NOT EXISTS (SELECT 1 FROM void_link vl
                                WHERE vl.target_station = t.station_id AND vl.target_seq = t.seq)),
           coalesce(pay.payer, 'recipient'), pay.position,
           (SELECT guarantee_budget FROM rules_version WHERE version = p_version)
      INTO prov_no, prov_comm, prov_district, prov_acct, recp_no, recp_comm, recp_district, recp_acct,
           comm, has_category, has_rp, has_rr,
           rp_cap, rp_overflow, rp_daily, rp_zone, rr_floor, served, payer_kind, payer_rule, budget
      FROM (SELECT 1) AS one
      LEFT JOIN (member p JOIN community pc ON pc.code = p.community) ON p.member_no = p_provider
      LEFT JOIN (member_now r JOIN community rc ON rc.code = r.community) ON r.member_no = p_recipient
      LEFT JOIN district_rule rp ON rp.version = p_version AND rp.district = pc.district
      LEFT JOIN district_rule rr ON rr.version = p_version AND rr.district = rc.district
      LEFT JOIN LATERAL (SELECT pr.payer, pr.position FROM payer_rule pr
                          WHERE pr.version = p_version AND pr.district = rc.district
                            AND (pr.category = '*' OR pr.category = p_category)
                            AND (pr.min_age = 0 OR (r.birth_year IS NOT NULL
                                                    AND extract(year FROM p_at AT TIME ZONE rr.time_zone)
                                                        - r.birth_year >= pr.min_age))
                          ORDER BY pr.position LIMIT 1) pay ON true;
    IF prov_no IS NULL THEN
        RETURN hb_reject(8, hb_params('role', 'provider', 'member', p_provider));
    ELSIF recp_no IS NULL THEN
        RETURN hb_reject(8, hb_params('role', 'recipient', 'member', p_recipient));
    ELSIF p_provider = p_recipient THEN
        RETURN hb_reject(11, hb_params('kind', 'service', 'member', p_provider));
    ELSIF comm NOT IN (prov_comm, recp_comm) THEN
        RETURN hb_reject(7, hb_params('reason', 'service_community', 'station', p_station::text,
                                      'community', comm, 'provider', p_provider, 'recipient', p_recipient));
    ELSIF NOT has_category THEN
        RETURN hb_reject(9, hb_params('category', p_category));
    ELSIF p_minutes < 1 OR p_minutes > 1440 THEN
        RETURN hb_reject(10, hb_params('minutes', p_minutes::text, 'max_minutes', '1440'));
    ELSIF NOT has_rp THEN
        RETURN hb_no_rules('provider', p_provider, prov_district, p_version);
    ELSIF NOT has_rr THEN
        RETURN hb_no_rules('recipient', p_recipient, recp_district, p_version);
    END IF;
    IF served + p_minutes > rp_daily THEN
        RETURN hb_reject(14, hb_params('member', p_provider, 'limit_minutes', rp_daily::text,
                                       'day', ((p_at AT TIME ZONE rp_zone)::date)::text));
    END IF;
    payer := CASE WHEN payer_kind = 'guarantee' THEN 1 ELSE recp_acct END;
    -- both accounts locked at once, in id order
    SELECT max(a.credits - a.debits) FILTER (WHERE a.id = payer),
           max(a.credits - a.debits) FILTER (WHERE a.id = prov_acct)
      INTO payer_bal, bal
      FROM (SELECT id, credits, debits FROM account WHERE id IN (payer, prov_acct)
             ORDER BY id FOR UPDATE) a;
    IF payer = 1 THEN
        payer_bal := payer_bal + hb_system_pending('hourbank.credits_1')
                     - hb_system_pending('hourbank.debits_1');
        IF payer_bal - p_minutes < -budget THEN
            RETURN hb_reject(21, hb_params('budget_minutes', budget::text));
        END IF;
    ELSIF payer_bal - p_minutes < rr_floor THEN
        RETURN hb_reject(12, hb_params('role', 'recipient', 'member', p_recipient,
                                       'held_minutes', payer_bal::text, 'needed_minutes', p_minutes::text));
    END IF;
    room := greatest(rp_cap - bal, 0);
    IF p_minutes > room AND rp_overflow = 'reject' THEN
        RETURN hb_reject(13, hb_params('role', 'provider', 'member', p_provider, 'held_minutes', bal::text,
                                       'minutes', p_minutes::text, 'cap_minutes', rp_cap::text));
    END IF;
    IF room > 0 THEN
        first_id := hb_post(payer, prov_acct, least(room, p_minutes), 'service', p_category,
                            p_station, p_seq, p_at, NULL, p_note, p_version);
    END IF;
    IF p_minutes > room THEN  -- overflow policy 'donate': the excess goes to the pool
        extra_id := hb_post(payer, 2, p_minutes - room, 'overflow', p_category,
                            p_station, p_seq, p_at, NULL, p_note, p_version);
    END IF;
    PERFORM hb_stamp_payer(CASE WHEN payer = 1 THEN 'guarantee' ELSE p_recipient END, payer_rule);
    RETURN hb_ok(coalesce(first_id, extra_id));
END $$;

CREATE OR REPLACE FUNCTION hb_gift(p_station integer, p_seq bigint, p_at timestamptz, p_from text,
                                   p_to text, p_minutes bigint, p_reason text, p_version integer)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    src_no text;
    src_comm text;
    src_district text;
    src_acct bigint;
    src_family text[];
    dst_no text;
    dst_district text;
    dst_acct bigint;
    dst_family text[];
    comm text;
    has_rs boolean;
    has_rd boolean;
    rs_floor bigint;
    rs_gifts text;
    rd_cap bigint;
    src_bal bigint;
    dst_bal bigint;
BEGIN
    SELECT s.member_no, s.community, sc.district, s.account_id, s.family,
           d.member_no, dc.district, d.account_id, d.family,
           (SELECT community FROM station WHERE id = p_station),
           rs.district IS NOT NULL, rd.district IS NOT NULL, rs.floor, rs.gifts, rd.cap
      INTO src_no, src_comm, src_district, src_acct, src_family, dst_no, dst_district, dst_acct, dst_family,
           comm, has_rs, has_rd, rs_floor, rs_gifts, rd_cap
      FROM (SELECT 1) AS one
      LEFT JOIN (member_now s JOIN community sc ON sc.code = s.community) ON s.member_no = p_from
      LEFT JOIN (member_now d JOIN community dc ON dc.code = d.community) ON d.member_no = p_to
      LEFT JOIN district_rule rs ON rs.version = p_version AND rs.district = sc.district
      LEFT JOIN district_rule rd ON rd.version = p_version AND rd.district = dc.district;
    IF src_no IS NULL THEN
        RETURN hb_reject(8, hb_params('role', 'giver', 'member', p_from));
    ELSIF dst_no IS NULL THEN
        RETURN hb_reject(8, hb_params('role', 'receiver', 'member', p_to));
    ELSIF p_from = p_to THEN
        RETURN hb_reject(11, hb_params('kind', 'gift', 'member', p_from));
    ELSIF src_comm <> comm THEN
        RETURN hb_reject(7, hb_params('reason', 'gift_community', 'station', p_station::text, 'giver', p_from));
    ELSIF NOT has_rs THEN
        RETURN hb_no_rules('giver', p_from, src_district, p_version);
    ELSIF NOT has_rd THEN
        RETURN hb_no_rules('receiver', p_to, dst_district, p_version);
    END IF;
    IF rs_gifts = 'none' THEN
        RETURN hb_reject(7, hb_params('reason', 'gifts_off', 'district', src_district));
    ELSIF rs_gifts = 'family' AND NOT (p_from = ANY (dst_family) OR p_to = ANY (src_family)
                                       OR src_family && dst_family) THEN
        RETURN hb_reject(20, hb_params('giver', p_from, 'receiver', p_to));
    END IF;
    -- both accounts locked at once, in id order (member accounts: nothing pending)
    SELECT max(a.credits - a.debits) FILTER (WHERE a.id = src_acct),
           max(a.credits - a.debits) FILTER (WHERE a.id = dst_acct)
      INTO src_bal, dst_bal
      FROM (SELECT id, credits, debits FROM account WHERE id IN (src_acct, dst_acct)
             ORDER BY id FOR UPDATE) a;
    IF src_bal - p_minutes < rs_floor THEN
        RETURN hb_reject(12, hb_params('role', 'giver', 'member', p_from, 'held_minutes', src_bal::text,
                                       'needed_minutes', p_minutes::text));
    END IF;
    IF dst_bal + p_minutes > rd_cap THEN
        RETURN hb_reject(13, hb_params('role', 'receiver', 'member', p_to, 'held_minutes', dst_bal::text,
                                       'minutes', p_minutes::text, 'cap_minutes', rd_cap::text));
    END IF;
    PERFORM hb_stamp_payer(p_from, NULL);
    RETURN hb_ok(hb_post(src_acct, dst_acct, p_minutes, 'gift', NULL, p_station,
                         p_seq, p_at, NULL, p_reason, p_version));
END $$;

-- Hours given to the pool: donor -> the donation account (2).
CREATE FUNCTION hb_donation(p_station integer, p_seq bigint, p_at timestamptz, p_donor text,
                            p_minutes bigint, p_reason text, p_version integer)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    d_no text;
    d_comm text;
    d_district text;
    d_acct bigint;
    has_rd boolean;
    rd_floor bigint;
    bal bigint;
BEGIN
    SELECT d.member_no, d.community, dc.district, d.account_id, rd.district IS NOT NULL, rd.floor
      INTO d_no, d_comm, d_district, d_acct, has_rd, rd_floor
      FROM (SELECT 1) AS one
      LEFT JOIN (member d JOIN community dc ON dc.code = d.community) ON d.member_no = p_donor
      LEFT JOIN district_rule rd ON rd.version = p_version AND rd.district = dc.district;
    IF d_no IS NULL THEN
        RETURN hb_reject(8, hb_params('role', 'donor', 'member', p_donor));
    ELSIF d_comm <> hb_station_community(p_station) THEN
        RETURN hb_reject(7, hb_params('reason', 'donation_community', 'station', p_station::text,
                                      'donor', p_donor));
    ELSIF NOT has_rd THEN
        RETURN hb_no_rules('donor', p_donor, d_district, p_version);
    END IF;
    bal := hb_balance_locked(d_acct);
    IF bal - p_minutes < rd_floor THEN
        RETURN hb_reject(12, hb_params('role', 'donor', 'member', p_donor, 'held_minutes', bal::text,
                                       'needed_minutes', p_minutes::text));
    END IF;
    PERFORM hb_stamp_payer(p_donor, NULL);
    RETURN hb_ok(hb_post(d_acct, 2, p_minutes, 'donation', NULL, p_station,
                         p_seq, p_at, NULL, p_reason, p_version));
END $$;

CREATE OR REPLACE FUNCTION hb_void(p_station integer, p_seq bigint, p_at timestamptz, p_target_station integer,
                                   p_target_seq bigint, p_reason text, p_version integer)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    target op;
    t transfer;
    floor bigint;
    bal bigint;
    first_id bigint;
    last_id bigint;
    missing record;
    ref text := p_target_station || ':' || p_target_seq;
BEGIN
    SELECT * INTO target FROM op WHERE station_id = p_target_station AND seq = p_target_seq;
    IF NOT FOUND THEN
        RETURN hb_reject(18, hb_params('target', ref));
    ELSIF hb_station_community(p_target_station) <> hb_station_community(p_station) THEN
        RETURN hb_reject(7, hb_params('reason', 'void_community', 'station', p_station::text));
    ELSIF target.result <> 1 OR target.kind NOT IN ('service', 'gift') THEN
        RETURN hb_reject(26, hb_params('target', ref, 'target_kind', target.kind,
                                       'target_result', target.result::text));
    ELSIF EXISTS (SELECT 1 FROM void_link WHERE target_station = p_target_station
                                            AND target_seq = p_target_seq) THEN
        RETURN hb_reject(17, hb_params('target', ref));
    END IF;
    SELECT a.id, a.district, m.member_no INTO missing
      FROM transfer x
      CROSS JOIN LATERAL (VALUES (1, x.credit_account), (2, x.debit_account)) side(n, account)
      JOIN account a ON a.id = side.account AND a.kind = 'member'
      JOIN member m ON m.account_id = a.id
     WHERE x.station_id = p_target_station AND x.seq = p_target_seq
       AND NOT EXISTS (SELECT 1 FROM district_rule r WHERE r.version = p_version AND r.district = a.district)
     ORDER BY x.id, side.n LIMIT 1;
    IF FOUND THEN
        RETURN hb_no_rules('member', missing.member_no, missing.district, p_version);
    END IF;
    FOR t IN SELECT * FROM transfer WHERE station_id = p_target_station AND seq = p_target_seq
             ORDER BY id LOOP
        SELECT coalesce(r.floor, 0) INTO floor FROM account a
          LEFT JOIN district_rule r ON r.version = p_version AND r.district = a.district
         WHERE a.id = t.credit_account AND a.kind = 'member';
        IF FOUND THEN
            bal := hb_balance_locked(t.credit_account);
            IF bal - t.minutes < floor THEN
                RETURN hb_reject(12, hb_params('role', 'credited',
                                               'member', (SELECT member_no FROM member WHERE account_id = t.credit_account),
                                               'held_minutes', bal::text, 'needed_minutes', t.minutes::text));
            END IF;
        END IF;
    END LOOP;
    FOR t IN SELECT * FROM transfer WHERE station_id = p_target_station AND seq = p_target_seq
             ORDER BY id LOOP
        last_id := hb_post(t.credit_account, t.debit_account, t.minutes, 'void', t.category,
                           p_station, p_seq, p_at, t.id, p_reason, p_version);
        first_id := coalesce(first_id, last_id);
    END LOOP;
    INSERT INTO void_link VALUES (p_target_station, p_target_seq, p_station, p_seq);
    RETURN hb_ok(first_id);
END $$;

-- One op, judged and recorded: p_a/p_b are the members it names (register:
-- the number and family_of; service: provider, recipient; gift: giver,
-- receiver; donation: donor, ''), p_text a registration's name or a
-- service's category, p_note the note or reason.
CREATE FUNCTION hb_apply_op(p_station integer, p_seq bigint, p_hash bytea, p_kind text,
                            p_occurred bigint, p_a text, p_b text, p_minutes bigint,
                            p_text text, p_note text, p_role smallint, p_birth_year integer,
                            p_target_station integer, p_target_seq bigint, p_operator text, p_phone text)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    has_prior boolean;
    prior_hash bytea;
    prior_result integer;
    prior_message text;
    prior_params text;
    prior_transfer bigint;
    v_version integer;
    v_skew bigint;
    v_max_age bigint;
    at timestamptz := to_timestamp(p_occurred);
    refusal text;
    r hb_op_result;
    v_payer text;
BEGIN
    SELECT o.station_id IS NOT NULL, o.payload_hash, o.result, o.message, o.params, o.transfer_id,
           v.version, v.clock_skew_s, v.max_age_s
      INTO has_prior, prior_hash, prior_result, prior_message, prior_params, prior_transfer,
           v_version, v_skew, v_max_age
      FROM (SELECT 1) AS one
      LEFT JOIN LATERAL (SELECT version, clock_skew_s, max_age_s FROM rules_version
                          ORDER BY version DESC LIMIT 1) v ON true
      LEFT JOIN op o ON o.station_id = p_station AND o.seq = p_seq;
    IF has_prior THEN
        IF prior_hash = p_hash THEN
            RETURN (prior_result, CASE WHEN prior_message <> '' THEN prior_message ELSE prior_params END,
                    prior_transfer)::hb_op_result;
        END IF;
        IF p_kind = 'register' THEN
            PERFORM hb_refuse_registration(p_station, p_seq, p_a, 3);
        END IF;
        RETURN hb_reject(3, hb_params('station', p_station::text, 'seq', p_seq::text));
    END IF;
    PERFORM hb_stamp_payer(NULL, NULL);
    IF p_kind IN ('service', 'gift', 'donation') THEN
        refusal := coalesce(hb_refusal_message(p_station, p_seq, p_a), hb_refusal_message(p_station, p_seq, p_b));
    END IF;
    IF at > now() + make_interval(secs => v_skew) THEN
        r := hb_reject(15, hb_params('occurred_at', p_occurred::text,
                                     'central_time', floor(extract(epoch FROM now()))::bigint::text));
    ELSIF at < now() - make_interval(secs => v_max_age) THEN
        r := hb_reject(16, hb_params('occurred_at', p_occurred::text, 'window_days', (v_max_age / 86400)::text));
    ELSIF refusal IS NOT NULL THEN
        r := hb_reject(27, refusal);
    ELSIF p_kind = 'register' THEN
        r := hb_register(p_station, p_seq, p_a, p_text, p_role, p_birth_year, p_b, p_phone);
    ELSIF p_kind = 'service' THEN
        r := hb_service(p_station, p_seq, at, p_a, p_b, p_minutes, p_text, p_note, v_version);
    ELSIF p_kind = 'gift' THEN
        r := hb_gift(p_station, p_seq, at, p_a, p_b, p_minutes, p_note, v_version);
    ELSIF p_kind = 'donation' THEN
        r := hb_donation(p_station, p_seq, at, p_a, p_minutes, p_note, v_version);
    ELSIF p_kind = 'void' THEN
        r := hb_void(p_station, p_seq, at, p_target_station, p_target_seq, p_note, v_version);
    ELSE
        RAISE EXCEPTION 'hb_apply_op: unknown kind %', p_kind;
    END IF;
    v_payer := CASE WHEN r.result = 1 THEN nullif(current_setting('hourbank.payer', true), '') END;
    INSERT INTO op (station_id, seq, payload_hash, kind, result, message, params, transfer_id, occurred_at,
                    operator, member, counterpart, minutes, category, note, target_station, target_seq,
                    rules_version, payer, payer_rule, member_district, counterpart_district, payer_district,
                    service_day, posted_day)
    VALUES (p_station, p_seq, p_hash, p_kind, r.result, '', r.message, r.transfer_id, at,
            nullif(p_operator, ''),
            nullif(p_a, ''),
            CASE WHEN p_kind IN ('service', 'gift') THEN nullif(p_b, '') END,
            CASE WHEN p_kind IN ('service', 'gift', 'donation') THEN p_minutes END,
            CASE WHEN p_kind = 'service' THEN p_text END,
            CASE WHEN p_kind IN ('service', 'gift', 'donation', 'void') THEN p_note END,
            CASE WHEN p_kind = 'void' THEN p_target_station END,
            CASE WHEN p_kind = 'void' THEN p_target_seq END,
            v_version, v_payer,
            CASE WHEN r.result = 1 THEN nullif(current_setting('hourbank.payer_rule', true), '')::integer END,
            hb_member_district(p_a),
            CASE WHEN p_kind IN ('service', 'gift') THEN hb_member_district(p_b) END,
            CASE WHEN v_payer <> 'guarantee' THEN hb_member_district(v_payer) END,
            hb_station_day(p_station, at, v_version), hb_station_day(p_station, now(), v_version));
    RETURN r;
END $$;
DROP FUNCTION hb_apply_op(integer, bigint, bytea, text, bigint, text, text, bigint, text, text, smallint,
                          integer, integer, bigint);

-- ---- verify: the record agrees with the transfers --------------------------

CREATE OR REPLACE FUNCTION hb_verify() RETURNS TABLE (problem text) LANGUAGE sql STABLE AS $$
    SELECT format('sum of balances is %s, not 0', sum(credits - debits))
      FROM account HAVING sum(credits - debits) <> 0
    UNION ALL
    SELECT format('account %s: debits %s but transfers debit %s, credits %s but transfers credit %s',
                  a.id, a.debits, coalesce(d.m, 0), a.credits, coalesce(c.m, 0))
      FROM account a
      LEFT JOIN (SELECT debit_account AS id, sum(minutes) AS m FROM transfer GROUP BY 1) d USING (id)
      LEFT JOIN (SELECT credit_account AS id, sum(minutes) AS m FROM transfer GROUP BY 1) c USING (id)
     WHERE a.debits <> coalesce(d.m, 0) OR a.credits <> coalesce(c.m, 0)
    UNION ALL
    SELECT format('op %s:%s result OK but no transfer', o.station_id, o.seq)
      FROM op o WHERE o.result = 1 AND o.kind IN ('service', 'gift', 'void', 'donation')
       AND NOT EXISTS (SELECT 1 FROM transfer t WHERE t.station_id = o.station_id AND t.seq = o.seq)
    UNION ALL
    SELECT format('op %s:%s rejected but has transfers', o.station_id, o.seq)
      FROM op o WHERE o.result <> 1
       AND EXISTS (SELECT 1 FROM transfer t WHERE t.station_id = o.station_id AND t.seq = o.seq)
    UNION ALL
    -- the record of an accepted service, gift or donation names what its
    -- transfers moved (rows recorded since 0012, and older ones it could fill)
    SELECT format('op %s:%s records %s minutes paid by %s but its transfers move %s minutes from %s',
                  o.station_id, o.seq, o.minutes, o.payer, t.minutes, t.payer)
      FROM op o
      JOIN LATERAL (SELECT sum(x.minutes) AS minutes,
                           coalesce(min(dm.member_no), CASE WHEN min(x.debit_account) = 1 THEN 'guarantee' END)
                               AS payer
                      FROM transfer x LEFT JOIN member dm ON dm.account_id = x.debit_account
                     WHERE x.station_id = o.station_id AND x.seq = o.seq) t ON true
     WHERE o.result = 1 AND o.kind IN ('service', 'gift', 'donation') AND o.payer IS NOT NULL
       AND (o.minutes IS DISTINCT FROM t.minutes OR o.payer IS DISTINCT FROM t.payer)
    UNION ALL
    SELECT format('member %s has no profile', m.member_no)
      FROM member m WHERE NOT EXISTS (SELECT 1 FROM member_profile p WHERE p.member_no = m.member_no)
$$;
