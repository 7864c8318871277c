-- 0003_op_rejection.sql: operations central refuses before posting.
-- Central checks every op of a batch on its own (hb_wire_validate_op, e.g.
-- minutes beyond the record limit after the limits changed). An op that
-- fails is not posted, but its rejection is stored through hb_reject_op()
-- exactly like a rejection by the posting rules: a resend gets the same
-- final answer, and the station's outbox moves past it instead of resending
-- the batch forever. hb_apply_op() and hb_reject_op() are the only writers
-- of op rows.

-- An op that names no kind this central knows is recorded as 'invalid'.
ALTER TABLE op DROP CONSTRAINT op_kind_check;
ALTER TABLE op ADD CONSTRAINT op_kind_check
    CHECK (kind IN ('register', 'service', 'gift', 'void', 'invalid'));

-- The stored answer for (station, seq), as hb_apply_op() gives it: the same
-- payload gets its stored result back, another payload gets
-- EXISTS_WITH_DIFFERENT_PAYLOAD (and nothing is stored). NULL when the
-- seq is new.
CREATE FUNCTION hb_prior_result(p_station integer, p_seq bigint, p_hash bytea)
RETURNS hb_op_result LANGUAGE plpgsql STABLE AS $$
DECLARE
    prior op;
BEGIN
    SELECT * INTO prior FROM op WHERE station_id = p_station AND seq = p_seq;
    IF NOT FOUND THEN
        RETURN NULL;
    ELSIF prior.payload_hash = p_hash THEN
        RETURN (prior.result, prior.message, prior.transfer_id)::hb_op_result;
    END IF;
    RETURN hb_reject(3, format('station %s already used seq %s for a different operation', p_station, p_seq));
END $$;

-- Stores a rejection decided by central before posting (p_result is a
-- rejection code, never 1 = OK) and returns it; a seq seen before gets its
-- stored answer instead, so an op accepted under older limits stays
-- accepted. occurred_at beyond what timestamptz holds (one reason an op may
-- be refused) is stored as +/-infinity.
CREATE FUNCTION hb_reject_op(p_station integer, p_seq bigint, p_hash bytea, p_kind text,
                             p_occurred bigint, p_result integer, p_message text)
RETURNS hb_op_result LANGUAGE plpgsql AS $$
DECLARE
    r hb_op_result := hb_prior_result(p_station, p_seq, p_hash);
    at timestamptz;
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
    INSERT INTO op (station_id, seq, payload_hash, kind, result, message, transfer_id, occurred_at)
    VALUES (p_station, p_seq, p_hash, p_kind, r.result, r.message, NULL, at);
    RETURN r;
END $$;
