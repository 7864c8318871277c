-- 0013_statements.sql: statements list what touched a member.
--
-- A member's statement is one entry per accepted op that moved hours to or
-- from them (found by transfer_debit_idx and transfer_credit_idx), and
-- also each service they received that the guarantee paid: no transfer
-- touches the recipient then, so those ops are found by this partial
-- index (only guarantee-paid services enter it; every other op insert
-- only evaluates the predicate).
CREATE INDEX op_guarantee_care_idx ON op (counterpart, transfer_id) WHERE payer = 'guarantee';

-- BUDGET_EXHAUSTED says what the budget still held and what the service
-- needed (proto/PROTOCOL.md, "Result values"); otherwise 0012's hb_service.
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
            RETURN hb_reject(21, hb_params('budget_minutes', budget::text,
                                           'left_minutes', greatest(budget + payer_bal, 0)::text,
                                           'minutes', p_minutes::text));
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
