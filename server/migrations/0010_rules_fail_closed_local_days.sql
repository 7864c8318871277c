-- 0010_rules_fail_closed_local_days.sql: rules fail closed, days are local.
--
-- Fail closed. Every check of the posting rules reads the rules of a
-- member's district in the version in force. A district with no
-- district_rule row in that version (its config entry was dropped: central
-- recorded a new version without it) used to make those rules vanish: the
-- LEFT JOINs gave NULL floors, caps and daily limits, every comparison with
-- NULL was false, and a balance reached -500,060 minutes. Now such an op is
-- refused NO_DISTRICT_RULES (29, final), its message naming the member or
-- account, the district and the rules version:
--   register  the registering station's district
--   service   the provider's district (daily limit, cap), then the
--             recipient's (payer rules, floor)
--   gift      the giver's district (gifts policy, floor), then the receiver's (cap)
--   void      the district of every member account the void moves (the
--             target's transfers in id order, each credited account, then
--             each debited one)
-- The check ranks after the checks that identify the members and the
-- station's authority (UNKNOWN_MEMBER, SELF_SERVICE, NOT_AUTHORIZED,
-- UNKNOWN_CATEGORY, INVALID_DURATION; a registration's DUPLICATE,
-- REGISTRATION_REFUSED and unknown family member; a void's target checks)
-- and before every check that reads a district's rules. Central itself now
-- refuses a configuration that drops a district holding members or ops
-- (server/rules.c), so only a ledger whose configuration dropped a district
-- before this migration, or rules written by hand, reach this check.
--
-- Local days. Each district's rules now carry the IANA time zone its days
-- are counted in (central.yaml time_zone, city-wide, or the district's own).
-- A provider's daily limit counts the provider's district's local day
-- [local 00:00, next local 00:00); the day in a DAILY_LIMIT_EXCEEDED
-- message is that local date; a payer rule's min_recipient_age compares the
-- local year of occurred_at in the recipient's district with the birth
-- year. Before, all three used the database session's TimeZone. Rows of
-- older rules versions get the TimeZone of the session that runs this
-- migration: what they were judged with, when central's session had the
-- same setting.
--
-- 0002's hb_served_on_day() and hb_payer() still use the session's
-- TimeZone; nothing calls them since 0006 inlined them.
--
-- hourbank-central applies the same rules in memory (server/posting.c);
-- hb_register, hb_service, hb_gift and hb_void below are 0008's, 0006's,
-- 0006's and 0002's with the rules above added.

ALTER TABLE district_rule ADD COLUMN time_zone text NOT NULL DEFAULT current_setting('TimeZone');
ALTER TABLE district_rule ALTER COLUMN time_zone DROP DEFAULT;

-- The local day of p_at in p_zone: its date, start and end.
CREATE FUNCTION hb_local_day_start(p_at timestamptz, p_zone text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT ((p_at AT TIME ZONE p_zone)::date)::timestamp AT TIME ZONE p_zone
$$;

CREATE FUNCTION hb_local_day_end(p_at timestamptz, p_zone text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT ((p_at AT TIME ZONE p_zone)::date + 1)::timestamp AT TIME ZONE p_zone
$$;

CREATE FUNCTION hb_no_rules(p_who text, p_district text, p_version integer) RETURNS hb_op_result
LANGUAGE sql STABLE AS $$
    SELECT hb_reject(29, format('%s is in district %s, which has no rules in rules version %s',
                                p_who, p_district, p_version))
$$;

-- 0008's hb_register: the station's district must have rules.
CREATE OR REPLACE FUNCTION hb_register(p_station integer, p_seq bigint, p_no text, p_name text,
                                       p_role smallint, p_birth_year integer, p_family text)
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
    SELECT district INTO st_district FROM community WHERE code = st.community;
    SELECT max(v.version) INTO v_version FROM rules_version v;
    IF NOT EXISTS (SELECT 1 FROM district_rule r WHERE r.version = v_version AND r.district = st_district) THEN
        RETURN hb_no_rules(format('station %s', p_station), st_district, v_version);
    END IF;
    INSERT INTO account (kind, district)
    VALUES ('member', st_district)
    RETURNING id INTO acct;
    INSERT INTO member (member_no, community, account_id, name, role, birth_year, family_of,
                        station_id, seq)
    VALUES (p_no, st.community, acct, p_name, p_role, nullif(p_birth_year, 0), nullif(p_family, ''),
            p_station, p_seq);
    RETURN hb_ok(NULL);
END $$;

-- 0006's hb_service: fail closed; the provider's local day, the
-- recipient's local year.
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
           coalesce((SELECT pr.payer FROM payer_rule pr
                      WHERE pr.version = p_version AND pr.district = rc.district
                        AND (pr.category = '*' OR pr.category = p_category)
                        AND (pr.min_age = 0 OR (r.birth_year IS NOT NULL
                                                AND extract(year FROM p_at AT TIME ZONE rr.time_zone)
                                                    - r.birth_year >= pr.min_age))
                      ORDER BY pr.position LIMIT 1), 'recipient'),
           (SELECT guarantee_budget FROM rules_version WHERE version = p_version)
      INTO prov_no, prov_comm, prov_district, prov_acct, recp_no, recp_comm, recp_district, recp_acct,
           comm, has_category, has_rp, has_rr,
           rp_cap, rp_overflow, rp_daily, rp_zone, rr_floor, served, payer_kind, budget
      FROM (SELECT 1) AS one
      LEFT JOIN (member p JOIN community pc ON pc.code = p.community) ON p.member_no = p_provider
      LEFT JOIN (member r JOIN community rc ON rc.code = r.community) ON r.member_no = p_recipient
      LEFT JOIN district_rule rp ON rp.version = p_version AND rp.district = pc.district
      LEFT JOIN district_rule rr ON rr.version = p_version AND rr.district = rc.district;
    IF prov_no IS NULL THEN
        RETURN hb_reject(8, format('provider %s is not registered', p_provider));
    ELSIF recp_no IS NULL THEN
        RETURN hb_reject(8, format('recipient %s is not registered', p_recipient));
    ELSIF p_provider = p_recipient THEN
        RETURN hb_reject(11, format('member %s cannot record a service to themselves', p_provider));
    ELSIF comm NOT IN (prov_comm, recp_comm) THEN
        RETURN hb_reject(7, format('station %s (community %s) may record only services of its own members, not %s to %s',
                          p_station, comm, p_provider, p_recipient));
    ELSIF NOT has_category THEN
        RETURN hb_reject(9, format('service category "%s" is not in the catalogue', p_category));
    ELSIF p_minutes < 1 OR p_minutes > 1440 THEN
        RETURN hb_reject(10, format('duration %s minutes is outside 1..1440', p_minutes));
    ELSIF NOT has_rp THEN
        RETURN hb_no_rules(format('provider %s', p_provider), prov_district, p_version);
    ELSIF NOT has_rr THEN
        RETURN hb_no_rules(format('recipient %s', p_recipient), recp_district, p_version);
    END IF;
    IF served + p_minutes > rp_daily THEN
        RETURN hb_reject(14, format('provider %s would exceed the daily limit of %s minutes on %s',
                           p_provider, rp_daily, (p_at AT TIME ZONE rp_zone)::date));
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
            RETURN hb_reject(21, format('the guarantee budget of %s minutes is exhausted', budget));
        END IF;
    ELSIF payer_bal - p_minutes < rr_floor THEN
        RETURN hb_reject(12, format('recipient %s holds %s minutes, the service needs %s',
                           p_recipient, payer_bal, p_minutes));
    END IF;
    room := greatest(rp_cap - bal, 0);
    IF p_minutes > room AND rp_overflow = 'reject' THEN
        RETURN hb_reject(13, format('provider %s holds %s minutes; %s more would pass the cap of %s',
                           p_provider, bal, p_minutes, rp_cap));
    END IF;
    IF room > 0 THEN
        first_id := hb_post(payer, prov_acct, least(room, p_minutes), 'service', p_category,
                            p_station, p_seq, p_at, NULL, p_note, p_version);
    END IF;
    IF p_minutes > room THEN  -- overflow policy 'donate': the excess goes to the pool
        extra_id := hb_post(payer, 2, p_minutes - room, 'overflow', p_category,
                            p_station, p_seq, p_at, NULL, p_note, p_version);
    END IF;
    RETURN hb_ok(coalesce(first_id, extra_id));
END $$;

-- 0006's hb_gift: fail closed.
CREATE OR REPLACE FUNCTION hb_gift(p_station integer, p_seq bigint, p_at timestamptz, p_from text,
                                   p_to text, p_minutes bigint, p_reason text, p_version integer)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    src_no text;
    src_comm text;
    src_district text;
    src_acct bigint;
    src_family text;
    dst_no text;
    dst_district text;
    dst_acct bigint;
    dst_family text;
    comm text;
    has_rs boolean;
    has_rd boolean;
    rs_floor bigint;
    rs_gifts text;
    rd_cap bigint;
    src_bal bigint;
    dst_bal bigint;
BEGIN
    SELECT s.member_no, s.community, sc.district, s.account_id, s.family_of,
           d.member_no, dc.district, d.account_id, d.family_of,
           (SELECT community FROM station WHERE id = p_station),
           rs.district IS NOT NULL, rd.district IS NOT NULL, rs.floor, rs.gifts, rd.cap
      INTO src_no, src_comm, src_district, src_acct, src_family, dst_no, dst_district, dst_acct, dst_family,
           comm, has_rs, has_rd, rs_floor, rs_gifts, rd_cap
      FROM (SELECT 1) AS one
      LEFT JOIN (member s JOIN community sc ON sc.code = s.community) ON s.member_no = p_from
      LEFT JOIN (member d JOIN community dc ON dc.code = d.community) ON d.member_no = p_to
      LEFT JOIN district_rule rs ON rs.version = p_version AND rs.district = sc.district
      LEFT JOIN district_rule rd ON rd.version = p_version AND rd.district = dc.district;
    IF src_no IS NULL THEN
        RETURN hb_reject(8, format('giver %s is not registered', p_from));
    ELSIF dst_no IS NULL THEN
        RETURN hb_reject(8, format('receiver %s is not registered', p_to));
    ELSIF p_from = p_to THEN
        RETURN hb_reject(11, format('member %s cannot give hours to themselves', p_from));
    ELSIF src_comm <> comm THEN
        RETURN hb_reject(7, format('station %s may record gifts only from its own members, not from %s',
                          p_station, p_from));
    ELSIF NOT has_rs THEN
        RETURN hb_no_rules(format('giver %s', p_from), src_district, p_version);
    ELSIF NOT has_rd THEN
        RETURN hb_no_rules(format('receiver %s', p_to), dst_district, p_version);
    END IF;
    IF rs_gifts = 'none' THEN
        RETURN hb_reject(7, format('district %s does not allow gifts of hours', src_district));
    ELSIF rs_gifts = 'family' AND NOT coalesce(dst_family = p_from OR src_family = p_to
                                               OR src_family = dst_family, false) THEN
        RETURN hb_reject(20, format('%s and %s are not registered as family', p_from, p_to));
    END IF;
    -- both accounts locked at once, in id order (member accounts: nothing pending)
    SELECT max(a.credits - a.debits) FILTER (WHERE a.id = src_acct),
           max(a.credits - a.debits) FILTER (WHERE a.id = dst_acct)
      INTO src_bal, dst_bal
      FROM (SELECT id, credits, debits FROM account WHERE id IN (src_acct, dst_acct)
             ORDER BY id FOR UPDATE) a;
    IF src_bal - p_minutes < rs_floor THEN
        RETURN hb_reject(12, format('giver %s holds %s minutes, the gift needs %s', p_from, src_bal, p_minutes));
    END IF;
    IF dst_bal + p_minutes > rd_cap THEN
        RETURN hb_reject(13, format('receiver %s holds %s minutes; %s more would pass the cap of %s',
                           p_to, dst_bal, p_minutes, rd_cap));
    END IF;
    RETURN hb_ok(hb_post(src_acct, dst_acct, p_minutes, 'gift', NULL, p_station,
                         p_seq, p_at, NULL, p_reason, p_version));
END $$;

-- 0002's hb_void: fail closed for every member account it moves.
CREATE OR REPLACE FUNCTION hb_void(p_station integer, p_seq bigint, p_at timestamptz, p_target_station integer,
                                   p_target_seq bigint, p_reason text, p_version integer)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    target op;
    t transfer;
    floor bigint;
    first_id bigint;
    last_id bigint;
    missing record;
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
    SELECT a.id, a.district INTO missing
      FROM transfer x
      CROSS JOIN LATERAL (VALUES (1, x.credit_account), (2, x.debit_account)) side(n, account)
      JOIN account a ON a.id = side.account AND a.kind = 'member'
     WHERE x.station_id = p_target_station AND x.seq = p_target_seq
       AND NOT EXISTS (SELECT 1 FROM district_rule r WHERE r.version = p_version AND r.district = a.district)
     ORDER BY x.id, side.n LIMIT 1;
    IF FOUND THEN
        RETURN hb_no_rules(format('account %s', missing.id), missing.district, p_version);
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
