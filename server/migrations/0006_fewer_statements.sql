-- 0006_fewer_statements.sql: the same posting rules in fewer statements.
-- Applying one op used to run about fifteen small statements inside
-- PostgreSQL (each member, the station, the category, each district rule,
-- the rules version, the provider's day, the payer rule, each account lock
-- through its own query or SQL function call), 10-45 us each. Here one
-- query fetches everything a service or a gift needs, one query locks both
-- accounts, and the system accounts' pending amounts are kept with plain
-- assignments instead of PERFORM. The checks, their order, their messages
-- and the transfers posted are exactly those of 0002-0005.

-- Same answers as 0002's hb_apply_op: the idempotency record and the newest
-- rules version in one query.
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
        RETURN hb_reject(3, format('station %s already used seq %s for a different operation', p_station, p_seq));
    END IF;
    IF at > now() + make_interval(secs => v_skew) THEN
        r := hb_reject(15, format('occurred_at %s is in the future (central time %s)', at, now()));
    ELSIF at < now() - make_interval(secs => v_max_age) THEN
        r := hb_reject(16, format('occurred_at %s is older than the %s-day window', at, v_max_age / 86400));
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

-- 0004's hb_post, with the system accounts' sums kept by assignment.
CREATE OR REPLACE FUNCTION hb_post(p_debit bigint, p_credit bigint, p_minutes bigint, p_kind text,
                                   p_category text, p_station integer, p_seq bigint, p_at timestamptz,
                                   p_reverses bigint, p_note text, p_version integer)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    id bigint;
    name text;
    ignored text;
BEGIN
    IF p_debit IN (1, 2) THEN
        name := 'hourbank.debits_' || p_debit;
        ignored := set_config(name, (hb_system_pending(name) + p_minutes)::text, true);
    ELSE
        UPDATE account SET debits = debits + p_minutes, version = nextval('directory_version')
         WHERE account.id = p_debit;
    END IF;
    IF p_credit IN (1, 2) THEN
        name := 'hourbank.credits_' || p_credit;
        ignored := set_config(name, (hb_system_pending(name) + p_minutes)::text, true);
    ELSE
        UPDATE account SET credits = credits + p_minutes, version = nextval('directory_version')
         WHERE account.id = p_credit;
    END IF;
    INSERT INTO transfer (debit_account, credit_account, minutes, kind, category, station_id,
                          seq, occurred_at, reverses, note, rules_version)
    VALUES (p_debit, p_credit, p_minutes, p_kind, p_category, p_station, p_seq, p_at,
            p_reverses, p_note, p_version)
    RETURNING transfer.id INTO id;
    RETURN id;
END $$;

-- 0002's hb_service. The facts are read in one query before the first
-- check (nothing is written before the checks, so every check sees what it
-- saw before); hb_served_on_day and hb_payer are inlined verbatim.
CREATE OR REPLACE FUNCTION hb_service(p_station integer, p_seq bigint, p_at timestamptz,
                                      p_provider text, p_recipient text, p_minutes bigint,
                                      p_category text, p_note text, p_version integer)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    prov_no text;
    prov_comm text;
    prov_acct bigint;
    recp_no text;
    recp_comm text;
    recp_acct bigint;
    comm text;
    has_category boolean;
    rp_cap bigint;
    rp_overflow text;
    rp_daily bigint;
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
    SELECT p.member_no, p.community, p.account_id, r.member_no, r.community, r.account_id,
           (SELECT community FROM station WHERE id = p_station),
           EXISTS (SELECT 1 FROM category WHERE version = p_version AND name = p_category),
           rp.cap, rp.overflow, rp.daily_limit, rr.floor,
           (SELECT coalesce(sum(t.minutes), 0)::bigint FROM transfer t
             WHERE t.kind = 'service' AND t.credit_account = p.account_id
               AND t.occurred_at >= date_trunc('day', p_at)
               AND t.occurred_at < date_trunc('day', p_at) + interval '1 day'
               AND NOT EXISTS (SELECT 1 FROM void_link vl
                                WHERE vl.target_station = t.station_id AND vl.target_seq = t.seq)),
           coalesce((SELECT pr.payer FROM payer_rule pr
                      WHERE pr.version = p_version AND pr.district = rc.district
                        AND (pr.category = '*' OR pr.category = p_category)
                        AND (pr.min_age = 0 OR (r.birth_year IS NOT NULL
                                                AND extract(year FROM p_at) - r.birth_year >= pr.min_age))
                      ORDER BY pr.position LIMIT 1), 'recipient'),
           (SELECT guarantee_budget FROM rules_version WHERE version = p_version)
      INTO prov_no, prov_comm, prov_acct, recp_no, recp_comm, recp_acct, comm, has_category,
           rp_cap, rp_overflow, rp_daily, rr_floor, served, payer_kind, budget
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
    END IF;
    IF served + p_minutes > rp_daily THEN
        RETURN hb_reject(14, format('provider %s would exceed the daily limit of %s minutes on %s',
                           p_provider, rp_daily, p_at::date));
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

-- 0002's hb_gift, its facts in one query and both accounts locked in one.
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
    dst_acct bigint;
    dst_family text;
    comm text;
    rs_floor bigint;
    rs_gifts text;
    rd_cap bigint;
    src_bal bigint;
    dst_bal bigint;
BEGIN
    SELECT s.member_no, s.community, sc.district, s.account_id, s.family_of,
           d.member_no, d.account_id, d.family_of,
           (SELECT community FROM station WHERE id = p_station),
           rs.floor, rs.gifts, rd.cap
      INTO src_no, src_comm, src_district, src_acct, src_family, dst_no, dst_acct, dst_family,
           comm, rs_floor, rs_gifts, rd_cap
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
