-- 0002_posting.sql: posting rules. hb_apply_op() is the only way operations
-- enter the ledger. Result numbers are hb_result_t / proto Result:
--   1 OK, 2 DUPLICATE, 3 EXISTS_WITH_DIFFERENT_PAYLOAD, 7 NOT_AUTHORIZED,
--   8 UNKNOWN_MEMBER, 9 UNKNOWN_CATEGORY, 10 INVALID_DURATION, 11 SELF_SERVICE,
--   12 INSUFFICIENT_BALANCE, 13 CAP_EXCEEDED, 14 DAILY_LIMIT_EXCEEDED,
--   15 OCCURRED_IN_FUTURE, 16 TOO_OLD, 17 ALREADY_VOIDED, 18 UNKNOWN_OPERATION,
--   20 NOT_FAMILY, 21 BUDGET_EXHAUSTED, 26 NOT_VOIDABLE.
-- The caller (hourbank-central) holds the only writer connection; row locks
-- are taken anyway so that a second central taking over cannot race.

CREATE TYPE hb_op_result AS (result integer, message text, transfer_id bigint);

CREATE FUNCTION hb_ok(p_transfer bigint) RETURNS hb_op_result LANGUAGE sql IMMUTABLE AS $$
    SELECT (1, '', p_transfer)::hb_op_result
$$;

CREATE FUNCTION hb_reject(p_code integer, p_message text) RETURNS hb_op_result LANGUAGE sql IMMUTABLE AS $$
    SELECT (p_code, p_message, NULL)::hb_op_result
$$;

-- A member with the facts the rules need.
CREATE TYPE hb_member_facts AS (
    member_no text, community text, district text, account_id bigint,
    birth_year integer, family_of text
);

CREATE FUNCTION hb_member(p_no text) RETURNS hb_member_facts LANGUAGE sql STABLE AS $$
    SELECT m.member_no, m.community, c.district, m.account_id, m.birth_year, m.family_of
      FROM member m JOIN community c ON c.code = m.community
     WHERE m.member_no = p_no
$$;

CREATE FUNCTION hb_balance_locked(p_account bigint) RETURNS bigint LANGUAGE sql AS $$
    SELECT credits - debits FROM account WHERE id = p_account FOR UPDATE
$$;

CREATE FUNCTION hb_post(p_debit bigint, p_credit bigint, p_minutes bigint, p_kind text,
                        p_category text, p_station integer, p_seq bigint, p_at timestamptz,
                        p_reverses bigint, p_note text, p_version integer)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    id bigint;
BEGIN
    UPDATE account SET debits = debits + p_minutes, version = nextval('directory_version')
     WHERE account.id = p_debit;
    UPDATE account SET credits = credits + p_minutes, version = nextval('directory_version')
     WHERE account.id = p_credit;
    INSERT INTO transfer (debit_account, credit_account, minutes, kind, category, station_id,
                          seq, occurred_at, reverses, note, rules_version)
    VALUES (p_debit, p_credit, p_minutes, p_kind, p_category, p_station, p_seq, p_at,
            p_reverses, p_note, p_version)
    RETURNING transfer.id INTO id;
    RETURN id;
END $$;

CREATE FUNCTION hb_station_community(p_station integer) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT community FROM station WHERE id = p_station
$$;

CREATE FUNCTION hb_register(p_station integer, p_seq bigint, p_no text, p_name text,
                            p_role smallint, p_birth_year integer, p_family text)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    comm text := hb_station_community(p_station);
    acct bigint;
BEGIN
    IF split_part(p_no, '-', 1) <> comm THEN
        RETURN hb_reject(7, format('station %s serves community %s and may not register member %s',
                          p_station, comm, p_no));
    END IF;
    IF EXISTS (SELECT 1 FROM member WHERE member_no = p_no) THEN
        RETURN hb_reject(2, format('member %s is already registered', p_no));
    END IF;
    IF p_family <> '' AND NOT EXISTS (SELECT 1 FROM member WHERE member_no = p_family) THEN
        RETURN hb_reject(8, format('family member %s is not registered', p_family));
    END IF;
    INSERT INTO account (kind, district)
    VALUES ('member', (SELECT district FROM community WHERE code = comm))
    RETURNING id INTO acct;
    INSERT INTO member (member_no, community, account_id, name, role, birth_year, family_of,
                        station_id, seq)
    VALUES (p_no, comm, acct, p_name, p_role, nullif(p_birth_year, 0), nullif(p_family, ''),
            p_station, p_seq);
    RETURN hb_ok(NULL);
END $$;

-- Who pays for a service: the recipient's district rules, first match wins.
CREATE FUNCTION hb_payer(p_version integer, p_district text, p_category text,
                         p_birth_year integer, p_at timestamptz)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((
        SELECT payer FROM payer_rule
         WHERE version = p_version AND district = p_district
           AND (category = '*' OR category = p_category)
           AND (min_age = 0 OR (p_birth_year IS NOT NULL
                                AND extract(year FROM p_at) - p_birth_year >= min_age))
         ORDER BY position LIMIT 1), 'recipient')
$$;

-- Minutes of service already credited to a provider on the day of p_at
-- (day in the server's TimeZone), voided services excluded.
CREATE FUNCTION hb_served_on_day(p_account bigint, p_at timestamptz)
RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(t.minutes), 0)::bigint FROM transfer t
     WHERE t.kind = 'service' AND t.credit_account = p_account
       AND t.occurred_at >= date_trunc('day', p_at)
       AND t.occurred_at < date_trunc('day', p_at) + interval '1 day'
       AND NOT EXISTS (SELECT 1 FROM void_link v
                        WHERE v.target_station = t.station_id AND v.target_seq = t.seq)
$$;

CREATE FUNCTION hb_service(p_station integer, p_seq bigint, p_at timestamptz,
                           p_provider text, p_recipient text, p_minutes bigint,
                           p_category text, p_note text, p_version integer)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    prov hb_member_facts := hb_member(p_provider);
    recp hb_member_facts := hb_member(p_recipient);
    comm text := hb_station_community(p_station);
    rp district_rule;
    rr district_rule;
    budget bigint;
    payer bigint;
    bal bigint;
    room bigint;
    first_id bigint;
    extra_id bigint;
BEGIN
    IF prov.member_no IS NULL THEN
        RETURN hb_reject(8, format('provider %s is not registered', p_provider));
    ELSIF recp.member_no IS NULL THEN
        RETURN hb_reject(8, format('recipient %s is not registered', p_recipient));
    ELSIF p_provider = p_recipient THEN
        RETURN hb_reject(11, format('member %s cannot record a service to themselves', p_provider));
    ELSIF comm NOT IN (prov.community, recp.community) THEN
        RETURN hb_reject(7, format('station %s (community %s) may record only services of its own members, not %s to %s',
                          p_station, comm, p_provider, p_recipient));
    ELSIF NOT EXISTS (SELECT 1 FROM category WHERE version = p_version AND name = p_category) THEN
        RETURN hb_reject(9, format('service category "%s" is not in the catalogue', p_category));
    ELSIF p_minutes < 1 OR p_minutes > 1440 THEN
        RETURN hb_reject(10, format('duration %s minutes is outside 1..1440', p_minutes));
    END IF;
    SELECT * INTO rp FROM district_rule WHERE version = p_version AND district = prov.district;
    SELECT * INTO rr FROM district_rule WHERE version = p_version AND district = recp.district;
    IF hb_served_on_day(prov.account_id, p_at) + p_minutes > rp.daily_limit THEN
        RETURN hb_reject(14, format('provider %s would exceed the daily limit of %s minutes on %s',
                           p_provider, rp.daily_limit, p_at::date));
    END IF;
    IF hb_payer(p_version, recp.district, p_category, recp.birth_year, p_at) = 'guarantee' THEN
        payer := 1;
        SELECT guarantee_budget INTO budget FROM rules_version WHERE version = p_version;
        IF hb_balance_locked(1) - p_minutes < -budget THEN
            RETURN hb_reject(21, format('the guarantee budget of %s minutes is exhausted', budget));
        END IF;
    ELSE
        payer := recp.account_id;
        bal := hb_balance_locked(payer);
        IF bal - p_minutes < rr.floor THEN
            RETURN hb_reject(12, format('recipient %s holds %s minutes, the service needs %s',
                               p_recipient, bal, p_minutes));
        END IF;
    END IF;
    bal := hb_balance_locked(prov.account_id);
    room := greatest(rp.cap - bal, 0);
    IF p_minutes > room AND rp.overflow = 'reject' THEN
        RETURN hb_reject(13, format('provider %s holds %s minutes; %s more would pass the cap of %s',
                           p_provider, bal, p_minutes, rp.cap));
    END IF;
    IF room > 0 THEN
        first_id := hb_post(payer, prov.account_id, least(room, p_minutes), 'service', p_category,
                            p_station, p_seq, p_at, NULL, p_note, p_version);
    END IF;
    IF p_minutes > room THEN  -- overflow policy 'donate': the excess goes to the pool
        extra_id := hb_post(payer, 2, p_minutes - room, 'overflow', p_category,
                            p_station, p_seq, p_at, NULL, p_note, p_version);
    END IF;
    RETURN hb_ok(coalesce(first_id, extra_id));
END $$;

CREATE FUNCTION hb_gift(p_station integer, p_seq bigint, p_at timestamptz, p_from text,
                        p_to text, p_minutes bigint, p_reason text, p_version integer)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    src hb_member_facts := hb_member(p_from);
    dst hb_member_facts := hb_member(p_to);
    rs district_rule;
    rd district_rule;
    bal bigint;
BEGIN
    IF src.member_no IS NULL THEN
        RETURN hb_reject(8, format('giver %s is not registered', p_from));
    ELSIF dst.member_no IS NULL THEN
        RETURN hb_reject(8, format('receiver %s is not registered', p_to));
    ELSIF p_from = p_to THEN
        RETURN hb_reject(11, format('member %s cannot give hours to themselves', p_from));
    ELSIF src.community <> hb_station_community(p_station) THEN
        RETURN hb_reject(7, format('station %s may record gifts only from its own members, not from %s',
                          p_station, p_from));
    END IF;
    SELECT * INTO rs FROM district_rule WHERE version = p_version AND district = src.district;
    SELECT * INTO rd FROM district_rule WHERE version = p_version AND district = dst.district;
    IF rs.gifts = 'none' THEN
        RETURN hb_reject(7, format('district %s does not allow gifts of hours', src.district));
    ELSIF rs.gifts = 'family' AND NOT coalesce(dst.family_of = p_from OR src.family_of = p_to
                                               OR src.family_of = dst.family_of, false) THEN
        RETURN hb_reject(20, format('%s and %s are not registered as family', p_from, p_to));
    END IF;
    PERFORM hb_balance_locked(least(src.account_id, dst.account_id));
    bal := hb_balance_locked(src.account_id);
    IF bal - p_minutes < rs.floor THEN
        RETURN hb_reject(12, format('giver %s holds %s minutes, the gift needs %s', p_from, bal, p_minutes));
    END IF;
    bal := hb_balance_locked(dst.account_id);
    IF bal + p_minutes > rd.cap THEN
        RETURN hb_reject(13, format('receiver %s holds %s minutes; %s more would pass the cap of %s',
                           p_to, bal, p_minutes, rd.cap));
    END IF;
    RETURN hb_ok(hb_post(src.account_id, dst.account_id, p_minutes, 'gift', NULL, p_station,
                         p_seq, p_at, NULL, p_reason, p_version));
END $$;

CREATE FUNCTION hb_void(p_station integer, p_seq bigint, p_at timestamptz, p_target_station integer,
                        p_target_seq bigint, p_reason text, p_version integer)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    target op;
    t transfer;
    floor bigint;
    first_id bigint;
    last_id bigint;
BEGIN
    SELECT * INTO target FROM op WHERE station_id = p_target_station AND seq = p_target_seq;
    IF NOT FOUND THEN
        RETURN hb_reject(18, format('operation %s:%s does not exist', p_target_station, p_target_seq));
    ELSIF hb_station_community(p_target_station) <> hb_station_community(p_station) THEN
        RETURN hb_reject(7, format('station %s may void only operations of its own community', p_station));
    ELSIF target.result <> 1 OR target.kind NOT IN ('service', 'gift') THEN
        RETURN hb_reject(26, format('operation %s:%s is a %s with result %s and cannot be voided',
                           p_target_station, p_target_seq, target.kind, target.result));
    ELSIF EXISTS (SELECT 1 FROM void_link WHERE target_station = p_target_station
                                            AND target_seq = p_target_seq) THEN
        RETURN hb_reject(17, format('operation %s:%s is already voided', p_target_station, p_target_seq));
    END IF;
    FOR t IN SELECT * FROM transfer WHERE station_id = p_target_station AND seq = p_target_seq
             ORDER BY id LOOP
        SELECT coalesce(r.floor, 0) INTO floor FROM account a
          LEFT JOIN district_rule r ON r.version = p_version AND r.district = a.district
         WHERE a.id = t.credit_account AND a.kind = 'member';
        IF FOUND AND hb_balance_locked(t.credit_account) - t.minutes < floor THEN
            RETURN hb_reject(12, format('account %s no longer holds the %s minutes to reverse',
                               t.credit_account, t.minutes));
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

-- The entry point: one call per operation, inside the batch's transaction.
-- Same (station, seq) with the same payload hash returns the stored result;
-- with another hash, EXISTS_WITH_DIFFERENT_PAYLOAD (nothing is stored).
-- Every other outcome, success or rejection, is stored and final.
CREATE FUNCTION hb_apply_op(p_station integer, p_seq bigint, p_hash bytea, p_kind text,
                            p_occurred bigint, p_a text, p_b text, p_minutes bigint,
                            p_text text, p_note text, p_role smallint, p_birth_year integer,
                            p_target_station integer, p_target_seq bigint)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    prior op;
    v rules_version;
    at timestamptz := to_timestamp(p_occurred);
    r hb_op_result;
BEGIN
    SELECT * INTO prior FROM op WHERE station_id = p_station AND seq = p_seq;
    IF FOUND THEN
        IF prior.payload_hash = p_hash THEN
            RETURN (prior.result, prior.message, prior.transfer_id)::hb_op_result;
        END IF;
        RETURN hb_reject(3, format('station %s already used seq %s for a different operation', p_station, p_seq));
    END IF;
    SELECT * INTO v FROM rules_version ORDER BY version DESC LIMIT 1;
    IF at > now() + make_interval(secs => v.clock_skew_s) THEN
        r := hb_reject(15, format('occurred_at %s is in the future (central time %s)', at, now()));
    ELSIF at < now() - make_interval(secs => v.max_age_s) THEN
        r := hb_reject(16, format('occurred_at %s is older than the %s-day window', at, v.max_age_s / 86400));
    ELSIF p_kind = 'register' THEN
        r := hb_register(p_station, p_seq, p_a, p_text, p_role, p_birth_year, p_b);
    ELSIF p_kind = 'service' THEN
        r := hb_service(p_station, p_seq, at, p_a, p_b, p_minutes, p_text, p_note, v.version);
    ELSIF p_kind = 'gift' THEN
        r := hb_gift(p_station, p_seq, at, p_a, p_b, p_minutes, p_note, v.version);
    ELSIF p_kind = 'void' THEN
        r := hb_void(p_station, p_seq, at, p_target_station, p_target_seq, p_note, v.version);
    ELSE
        RAISE EXCEPTION 'hb_apply_op: unknown kind %', p_kind;
    END IF;
    INSERT INTO op (station_id, seq, payload_hash, kind, result, message, transfer_id, occurred_at)
    VALUES (p_station, p_seq, p_hash, p_kind, r.result, r.message, r.transfer_id, at);
    RETURN r;
END $$;
