-- 0011_directory_changes.sql: the directory query is indexed without an
-- index on account.
--
-- Every connected station asks every few seconds for the members whose
-- account changed after the version it holds (server/query.c,
-- hb_query_directory_sql). An index on account.version would serve that,
-- but every posting changes account.version, and an UPDATE that changes an
-- indexed column cannot be a HOT update: each balance change would write
-- into every index of account. Measured with hb_bench on 2026-12-07 (2
-- cores, 8 stations, 50,000 records, Release, alternate runs): end-to-end
-- ingestion fell from about 16,000 to about 11,000 records/s with such an
-- index (tests/bench/RESULTS.md).
--
-- So the versions of member accounts are kept in a table of their own, one
-- row per member account at its current version, appended at the right
-- edge of its primary key: statement-level triggers on account move each
-- changed member account's row from its old version to its new one, once
-- per statement (the group commit changes all of a group's balances in one
-- statement). The pool's system accounts change at almost every posting but
-- are no member: left in, they would take places in a directory page and
-- end it early. Both engines (the group commit and hb_apply_op) write
-- account the same way and get the same rows here.
--
-- No index is created on account here, not even to be dropped again: in
-- the benchmark, a ledger whose migrations had created and dropped one
-- (pg_class then says account has 2 rows, as CREATE INDEX counted them;
-- -1, never analyzed, without it) ingested about a quarter slower than one
-- whose migrations never had.
CREATE TABLE directory_change (
    version    bigint NOT NULL,
    account_id bigint NOT NULL,   -- account.id; no foreign key: written only from account's own rows
    PRIMARY KEY (version, account_id)
);
INSERT INTO directory_change (version, account_id) SELECT version, id FROM account WHERE kind = 'member';

CREATE FUNCTION hb_directory_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO directory_change (version, account_id)
    SELECT version, id FROM new_rows WHERE kind = 'member';
    RETURN NULL;
END $$;

CREATE FUNCTION hb_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM directory_change c USING old_rows o
     WHERE c.version = o.version AND c.account_id = o.id AND o.kind = 'member';
    INSERT INTO directory_change (version, account_id)
    SELECT version, id FROM new_rows WHERE kind = 'member';
    RETURN NULL;
END $$;

CREATE TRIGGER account_added AFTER INSERT ON account REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hb_directory_added();
CREATE TRIGGER account_changed AFTER UPDATE ON account
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hb_directory_changed();
