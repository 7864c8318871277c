-- 0008_refused_registrations.sql: a refused registration cannot credit the
-- wrong person, and central remembers what its stations claim.
--
-- A station whose outbox was restored from an old backup may hand out a
-- member number again, or a seq again: "Eve" registered offline under
-- QX03-000003-9 at seq 3, where central already holds seq 3 = Carol's
-- registration of that number. Eve's registration is refused (DUPLICATE,
-- or EXISTS_WITH_DIFFERENT_PAYLOAD for the reused seq), but a service the
-- station then records for "Eve" names Carol's number, and used to be
-- credited to Carol. Now every registration a station sends that central
-- refuses as DUPLICATE or EXISTS_WITH_DIFFERENT_PAYLOAD is kept here (the
-- number from the refused op's own payload; EXISTS_WITH_DIFFERENT_PAYLOAD
-- stores no op row), and a later op of that station (a higher seq) that
-- names the number is refused REGISTRATION_REFUSED: as a service's provider
-- or recipient, a gift's giver or receiver, a registration's own number or
-- its family_of. Ops of other stations naming the number are not affected.
--
-- Where the rule ranks: after the checks of the op alone (hb_wire, before
-- posting: MALFORMED, BAD_MEMBER_NUMBER, ...), the stored result of its
-- (station, seq) and the occurred_at window, and before every check that
-- reads the member a number names (UNKNOWN_MEMBER, SELF_SERVICE,
-- NOT_AUTHORIZED of a service or gift, ...): what central knows about the
-- member is beside the point when the station may mean someone else. A
-- registration is first checked for its own number (NOT_AUTHORIZED for the
-- community or the station's serials, then DUPLICATE, which is recorded
-- here), so that a refused registration is always recorded.
--
-- hb_apply_op() and hb_register() below are 0006's and 0005's with the rule
-- added; hourbank-central applies the same rule in memory (server/posting.c).

CREATE TABLE refused_registration (
    station_id integer NOT NULL REFERENCES station,
    member_no  text NOT NULL CHECK (member_no ~ '^[A-Z0-9]{2,8}-[0-9]{6}-[0-9]$'),
    seq        bigint NOT NULL CHECK (seq >= 1),
    result     integer NOT NULL CHECK (result IN (2, 3)),  -- DUPLICATE, EXISTS_WITH_DIFFERENT_PAYLOAD
    refused_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_id, member_no, seq)
);
CREATE TRIGGER refused_registration_immutable BEFORE UPDATE OR DELETE ON refused_registration
    FOR EACH STATEMENT EXECUTE FUNCTION hb_immutable();
CREATE TRIGGER refused_registration_no_truncate BEFORE TRUNCATE ON refused_registration
    FOR EACH STATEMENT EXECUTE FUNCTION hb_immutable();

-- DUPLICATE registrations refused before this migration: their op rows
-- name the number only in the message (0002's wording). Refusals for a
-- reused seq left no row and cannot be recovered.
INSERT INTO refused_registration (station_id, member_no, seq, result, refused_at)
SELECT station_id, substring(message FROM '^member (\S+) is already registered$'), seq, 2, received_at
  FROM op
 WHERE kind = 'register' AND result = 2
   AND message ~ '^member [A-Z0-9]{2,8}-[0-9]{6}-[0-9] is already registered$';

-- Welcome.member_serial_mark: the highest serial a station registered,
-- read from this index at every hello.
CREATE INDEX member_station_serial_idx ON member (station_id, (split_part(member_no, '-', 2)::integer));

-- The seq a station last said central had acknowledged (Hello.last_acked_seq);
-- above the station's high-water mark, central lost acknowledged work.
ALTER TABLE station ADD COLUMN station_acked_seq bigint NOT NULL DEFAULT 0;

-- Keeps a refused registration (resent ones are already there).
CREATE FUNCTION hb_refuse_registration(p_station integer, p_seq bigint, p_no text, p_result integer)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO refused_registration (station_id, member_no, seq, result)
    VALUES (p_station, p_no, p_seq, p_result)
    ON CONFLICT DO NOTHING
$$;

-- Why an op at p_seq of station p_station may not name p_no: the first
-- registration of that number from that station that was refused before
-- p_seq. NULL when there is none.
CREATE FUNCTION hb_refusal_message(p_station integer, p_seq bigint, p_no text)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('the registration of member %s from station %s at seq %s was refused (%s):'
                  ' at this station the number may mean another person',
                  member_no, station_id, seq, CASE result WHEN 2 THEN 'already registered' ELSE 'seq reused' END)
      FROM refused_registration
     WHERE station_id = p_station AND member_no = p_no AND seq < p_seq
     ORDER BY seq LIMIT 1
$$;

-- 0005's hb_register: DUPLICATE is recorded; the number and its family_of
-- are checked against the station's refused registrations.
CREATE OR REPLACE FUNCTION hb_register(p_station integer, p_seq bigint, p_no text, p_name text,
                                       p_role smallint, p_birth_year integer, p_family text)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    st station;
    serial integer := split_part(p_no, '-', 2)::integer;
    acct bigint;
    refusal text;
BEGIN
    SELECT * INTO st FROM station WHERE id = p_station;
    IF split_part(p_no, '-', 1) <> st.community THEN
        RETURN hb_reject(7, format('station %s serves community %s and may not register member %s',
                                   p_station, st.community, p_no));
    ELSIF serial NOT BETWEEN st.serial_min AND st.serial_max THEN
        RETURN hb_reject(7, format('member %s is outside station %s''s member serials %s..%s',
                                   p_no, p_station, st.serial_min, st.serial_max));
    ELSIF EXISTS (SELECT 1 FROM member WHERE member_no = p_no) THEN
        PERFORM hb_refuse_registration(p_station, p_seq, p_no, 2);
        RETURN hb_reject(2, format('member %s is already registered', p_no));
    END IF;
    refusal := coalesce(hb_refusal_message(p_station, p_seq, p_no), hb_refusal_message(p_station, p_seq, p_family));
    IF refusal IS NOT NULL THEN
        RETURN hb_reject(27, refusal);
    ELSIF p_family <> '' AND NOT EXISTS (SELECT 1 FROM member WHERE member_no = p_family) THEN
        RETURN hb_reject(8, format('family member %s is not registered', p_family));
    END IF;
    INSERT INTO account (kind, district)
    VALUES ('member', (SELECT district FROM community WHERE code = st.community))
    RETURNING id INTO acct;
    INSERT INTO member (member_no, community, account_id, name, role, birth_year, family_of,
                        station_id, seq)
    VALUES (p_no, st.community, acct, p_name, p_role, nullif(p_birth_year, 0), nullif(p_family, ''),
            p_station, p_seq);
    RETURN hb_ok(NULL);
END $$;

-- 0006's hb_apply_op: a registration refused for a reused seq is recorded,
-- and a service or gift naming a refused registration's number is refused
-- after the occurred_at window and before its kind's own checks.
CREATE OR REPLACE FUNCTION hb_apply_op(p_station integer, p_seq bigint, p_hash bytea, p_kind text,
                                       p_occurred bigint, p_a text, p_b text, p_minutes bigint,
                                       p_text text, p_note text, p_role smallint, p_birth_year integer,
                                       p_target_station integer, p_target_seq bigint)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    has_prior boolean;
    prior_hash bytea;
    prior_result integer;
    prior_message text;
    prior_transfer bigint;
    v_version integer;
    v_skew bigint;
    v_max_age bigint;
    at timestamptz := to_timestamp(p_occurred);
    refusal text;
    r hb_op_result;
BEGIN
    SELECT o.station_id IS NOT NULL, o.payload_hash, o.result, o.message, o.transfer_id,
           v.version, v.clock_skew_s, v.max_age_s
      INTO has_prior, prior_hash, prior_result, prior_message, prior_transfer,
           v_version, v_skew, v_max_age
      FROM (SELECT 1) AS one
      LEFT JOIN LATERAL (SELECT version, clock_skew_s, max_age_s FROM rules_version
                          ORDER BY version DESC LIMIT 1) v ON true
      LEFT JOIN op o ON o.station_id = p_station AND o.seq = p_seq;
    IF has_prior THEN
        IF prior_hash = p_hash THEN
            RETURN (prior_result, prior_message, prior_transfer)::hb_op_result;
        END IF;
        IF p_kind = 'register' THEN
            PERFORM hb_refuse_registration(p_station, p_seq, p_a, 3);
        END IF;
        RETURN hb_reject(3, format('station %s already used seq %s for a different operation', p_station, p_seq));
    END IF;
    IF p_kind IN ('service', 'gift') THEN
        refusal := coalesce(hb_refusal_message(p_station, p_seq, p_a), hb_refusal_message(p_station, p_seq, p_b));
    END IF;
    IF at > now() + make_interval(secs => v_skew) THEN
        r := hb_reject(15, format('occurred_at %s is in the future (central time %s)', at, now()));
    ELSIF at < now() - make_interval(secs => v_max_age) THEN
        r := hb_reject(16, format('occurred_at %s is older than the %s-day window', at, v_max_age / 86400));
    ELSIF refusal IS NOT NULL THEN
        r := hb_reject(27, refusal);
    ELSIF p_kind = 'register' THEN
        r := hb_register(p_station, p_seq, p_a, p_text, p_role, p_birth_year, p_b);
    ELSIF p_kind = 'service' THEN
        r := hb_service(p_station, p_seq, at, p_a, p_b, p_minutes, p_text, p_note, v_version);
    ELSIF p_kind = 'gift' THEN
        r := hb_gift(p_station, p_seq, at, p_a, p_b, p_minutes, p_note, v_version);
    ELSIF p_kind = 'void' THEN
        r := hb_void(p_station, p_seq, at, p_target_station, p_target_seq, p_note, v_version);
    ELSE
        RAISE EXCEPTION 'hb_apply_op: unknown kind %', p_kind;
    END IF;
    INSERT INTO op (station_id, seq, payload_hash, kind, result, message, transfer_id, occurred_at)
    VALUES (p_station, p_seq, p_hash, p_kind, r.result, r.message, r.transfer_id, at);
    RETURN r;
END $$;
