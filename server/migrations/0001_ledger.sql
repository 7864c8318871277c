-- 0001_ledger.sql: the hourbank ledger.
-- Amounts are integer minutes. Every transfer debits one account and credits
-- one; account.credits - account.debits is the balance; the sum of all
-- balances is zero after every transaction. Transfers, operation results and
-- void links are immutable: triggers reject UPDATE, DELETE and TRUNCATE.

CREATE TABLE district (
    code text PRIMARY KEY CHECK (code ~ '^[A-Z0-9]{2,8}$'),
    name text NOT NULL
);

CREATE TABLE community (
    code     text PRIMARY KEY CHECK (code ~ '^[A-Z0-9]{2,8}$'),
    district text NOT NULL REFERENCES district,
    name     text NOT NULL
);

CREATE TABLE station (
    id           integer PRIMARY KEY CHECK (id >= 1),
    community    text NOT NULL REFERENCES community,
    name         text NOT NULL,
    public_key   text NOT NULL,
    active       boolean NOT NULL DEFAULT true,
    last_contact timestamptz
);

-- One row per configuration load whose rules differ from the previous one.
-- Operations are posted under the newest version at the time they arrive.
CREATE TABLE rules_version (
    version          serial PRIMARY KEY,
    loaded_at        timestamptz NOT NULL DEFAULT now(),
    checksum         text NOT NULL,
    clock_skew_s     bigint NOT NULL,
    max_age_s        bigint NOT NULL,
    guarantee_budget bigint NOT NULL CHECK (guarantee_budget >= 0)
);

CREATE TABLE district_rule (
    version     integer NOT NULL REFERENCES rules_version,
    district    text NOT NULL REFERENCES district,
    floor       bigint NOT NULL CHECK (floor <= 0),
    cap         bigint NOT NULL CHECK (cap > 0),
    overflow    text NOT NULL CHECK (overflow IN ('reject', 'donate')),
    daily_limit bigint NOT NULL CHECK (daily_limit > 0),
    gifts       text NOT NULL CHECK (gifts IN ('none', 'family', 'any')),
    PRIMARY KEY (version, district)
);

CREATE TABLE payer_rule (
    version  integer NOT NULL REFERENCES rules_version,
    district text NOT NULL REFERENCES district,
    position integer NOT NULL,
    category text NOT NULL,               -- '*' = any
    payer    text NOT NULL CHECK (payer IN ('recipient', 'guarantee')),
    min_age  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (version, district, position)
);

CREATE TABLE category (
    version     integer NOT NULL REFERENCES rules_version,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    PRIMARY KEY (version, name)
);

-- Bumped whenever a member or a balance changes; stations cache the
-- directory and ask for what changed since the version they hold.
CREATE SEQUENCE directory_version;

CREATE TABLE account (
    id       bigserial PRIMARY KEY,
    kind     text NOT NULL CHECK (kind IN ('member', 'guarantee', 'donation')),
    district text REFERENCES district,
    debits   bigint NOT NULL DEFAULT 0 CHECK (debits >= 0),
    credits  bigint NOT NULL DEFAULT 0 CHECK (credits >= 0),
    version  bigint NOT NULL DEFAULT nextval('directory_version')
);
-- The pool's system accounts have fixed ids.
INSERT INTO account (id, kind) VALUES (1, 'guarantee'), (2, 'donation');
SELECT setval('account_id_seq', 100);

CREATE TABLE member (
    member_no   text PRIMARY KEY,
    community   text NOT NULL REFERENCES community,
    account_id  bigint NOT NULL UNIQUE REFERENCES account,
    name        text NOT NULL,
    role        smallint NOT NULL CHECK (role BETWEEN 1 AND 3),
    birth_year  integer,
    family_of   text REFERENCES member,
    station_id  integer NOT NULL,
    seq         bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX member_name_idx ON member (lower(name));
CREATE INDEX member_family_idx ON member (family_of) WHERE family_of IS NOT NULL;

-- The idempotency record: one row per (station, seq) ever received, with
-- the hash of its payload and its final result (OK or a rejection).
CREATE TABLE op (
    station_id   integer NOT NULL REFERENCES station,
    seq          bigint NOT NULL CHECK (seq >= 1),
    payload_hash bytea NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('register', 'service', 'gift', 'void')),
    result       integer NOT NULL,
    message      text NOT NULL DEFAULT '',
    transfer_id  bigint,
    occurred_at  timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_id, seq)
);

CREATE TABLE transfer (
    id             bigserial PRIMARY KEY,
    debit_account  bigint NOT NULL REFERENCES account,
    credit_account bigint NOT NULL REFERENCES account,
    minutes        bigint NOT NULL CHECK (minutes > 0),
    kind           text NOT NULL CHECK (kind IN ('service', 'overflow', 'gift', 'void')),
    category       text,
    station_id     integer NOT NULL,
    seq            bigint NOT NULL,
    occurred_at    timestamptz NOT NULL,
    posted_at      timestamptz NOT NULL DEFAULT now(),
    reverses       bigint UNIQUE REFERENCES transfer,
    note           text NOT NULL DEFAULT '',
    rules_version  integer NOT NULL REFERENCES rules_version,
    CHECK (debit_account <> credit_account),
    CHECK ((kind = 'void') = (reverses IS NOT NULL)),
    FOREIGN KEY (station_id, seq) REFERENCES op DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX transfer_debit_idx ON transfer (debit_account, id);
CREATE INDEX transfer_credit_idx ON transfer (credit_account, id);
CREATE INDEX transfer_op_idx ON transfer (station_id, seq);
CREATE INDEX transfer_day_idx ON transfer (credit_account, occurred_at) WHERE kind = 'service';

-- A void op voids its target at most once.
CREATE TABLE void_link (
    target_station integer NOT NULL,
    target_seq     bigint NOT NULL,
    void_station   integer NOT NULL,
    void_seq       bigint NOT NULL,
    PRIMARY KEY (target_station, target_seq),
    FOREIGN KEY (target_station, target_seq) REFERENCES op
);

CREATE FUNCTION hb_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'hourbank: % on % is forbidden: ledger rows are immutable, post a reversing transfer instead',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER transfer_immutable BEFORE UPDATE OR DELETE ON transfer
    FOR EACH STATEMENT EXECUTE FUNCTION hb_immutable();
CREATE TRIGGER transfer_no_truncate BEFORE TRUNCATE ON transfer
    FOR EACH STATEMENT EXECUTE FUNCTION hb_immutable();
CREATE TRIGGER op_immutable BEFORE UPDATE OR DELETE ON op
    FOR EACH STATEMENT EXECUTE FUNCTION hb_immutable();
CREATE TRIGGER op_no_truncate BEFORE TRUNCATE ON op
    FOR EACH STATEMENT EXECUTE FUNCTION hb_immutable();
CREATE TRIGGER void_link_immutable BEFORE UPDATE OR DELETE ON void_link
    FOR EACH STATEMENT EXECUTE FUNCTION hb_immutable();
CREATE TRIGGER void_link_no_truncate BEFORE TRUNCATE ON void_link
    FOR EACH STATEMENT EXECUTE FUNCTION hb_immutable();

-- Every account's balance equals the sum of its transfers, and all balances
-- sum to zero. Returns one row per problem; no rows = the ledger is sound.
CREATE FUNCTION hb_verify() RETURNS TABLE (problem text) LANGUAGE sql STABLE AS $$
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
      FROM op o WHERE o.result = 1 AND o.kind IN ('service', 'gift', 'void')
       AND NOT EXISTS (SELECT 1 FROM transfer t WHERE t.station_id = o.station_id AND t.seq = o.seq)
    UNION ALL
    SELECT format('op %s:%s rejected but has transfers', o.station_id, o.seq)
      FROM op o WHERE o.result <> 1
       AND EXISTS (SELECT 1 FROM transfer t WHERE t.station_id = o.station_id AND t.seq = o.seq)
$$;
