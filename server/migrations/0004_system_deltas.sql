-- 0004_system_deltas.sql: the pool's system accounts (1 guarantee, 2
-- donation) take part in most transfers. Updating their row once per
-- transfer made every group commit slower the larger it was: PostgreSQL
-- keeps each version of a row updated many times in one transaction, and
-- every later access walks them all (8,000 updates of one row in one
-- transaction took 1.1 s here, 1,000 took 37 ms). Instead, their debits
-- and credits are summed in transaction-local settings and written once,
-- by hb_flush_system(), which hourbank-central calls before every COMMIT.
-- "hourbank-central verify" still checks that every balance equals the sum
-- of its transfers, so a missing flush cannot go unnoticed.

CREATE FUNCTION hb_system_pending(p_name text) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting(p_name, true), ''), '0')::bigint
$$;

CREATE FUNCTION hb_system_add(p_name text, p_minutes bigint) RETURNS void LANGUAGE sql AS $$
    SELECT set_config(p_name, (hb_system_pending(p_name) + p_minutes)::text, true)
$$;

-- Locks the account row and returns its balance, including the system
-- accounts' amounts not yet flushed in this transaction.
CREATE OR REPLACE FUNCTION hb_balance_locked(p_account bigint) RETURNS bigint LANGUAGE sql AS $$
    SELECT credits - debits
           + CASE WHEN p_account IN (1, 2)
                  THEN hb_system_pending('hourbank.credits_' || p_account)
                       - hb_system_pending('hourbank.debits_' || p_account)
                  ELSE 0 END
      FROM account WHERE id = p_account FOR UPDATE
$$;

CREATE OR REPLACE FUNCTION hb_post(p_debit bigint, p_credit bigint, p_minutes bigint, p_kind text,
                                   p_category text, p_station integer, p_seq bigint, p_at timestamptz,
                                   p_reverses bigint, p_note text, p_version integer)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    id bigint;
BEGIN
    IF p_debit IN (1, 2) THEN
        PERFORM hb_system_add('hourbank.debits_' || p_debit, p_minutes);
    ELSE
        UPDATE account SET debits = debits + p_minutes, version = nextval('directory_version')
         WHERE account.id = p_debit;
    END IF;
    IF p_credit IN (1, 2) THEN
        PERFORM hb_system_add('hourbank.credits_' || p_credit, p_minutes);
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

-- Writes the system accounts' summed amounts; call once before COMMIT.
CREATE FUNCTION hb_flush_system() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    a bigint;
    d bigint;
    c bigint;
BEGIN
    FOREACH a IN ARRAY ARRAY[1, 2]::bigint[] LOOP
        d := hb_system_pending('hourbank.debits_' || a);
        c := hb_system_pending('hourbank.credits_' || a);
        IF d <> 0 OR c <> 0 THEN
            UPDATE account SET debits = debits + d, credits = credits + c,
                               version = nextval('directory_version')
             WHERE id = a;
            PERFORM set_config('hourbank.debits_' || a, '0', true),
                    set_config('hourbank.credits_' || a, '0', true);
        END IF;
    END LOOP;
END $$;
