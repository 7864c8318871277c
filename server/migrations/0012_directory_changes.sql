-- 0012_directory_changes.sql: the directory query is indexed without an
-- index on account.
--
-- Every connected station asks every few seconds for the members whose
-- account changed after the version it holds (server/query.c,
-- answer_directory). 0011 served that with an index on account.version.
-- But every posting changes account.version, and an UPDATE that changes
-- an indexed column cannot be a HOT update: each balance change then wrote
-- a new entry into every index of account. Measured with hb_bench on
-- 2026-12-07 (2 cores, 8 stations, 50,000 records, Release): end-to-end
-- ingestion fell from about 16,000 to 11,000 records/s with that index,
-- and came back to within the run-to-run noise without it.
--
-- So the versions are kept in a table of their own, one row per account
-- with the account's current version, appended to at the right edge of its
-- primary key: a statement-level trigger on account moves each changed
-- account's row from its old version to its new one, once per statement
-- (the group commit changes all of a group's balances in one statement).
-- The account table keeps no index but its primary key, so its balance
-- updates stay HOT. Both engines (the group commit and hb_apply_op) write
-- account the same way and get the same rows here.
DROP INDEX IF EXISTS account_version_idx;

CREATE TABLE directory_change (
    version    bigint NOT NULL,
    account_id bigint NOT NULL,   -- account.id; no foreign key: written only from account's own rows
    PRIMARY KEY (version, account_id)
);
INSERT INTO directory_change (version, account_id) SELECT version, id FROM account;

CREATE FUNCTION hb_directory_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO directory_change (version, account_id) SELECT version, id FROM new_rows;
    RETURN NULL;
END $$;

CREATE FUNCTION hb_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM directory_change c USING old_rows o WHERE c.version = o.version AND c.account_id = o.id;
    INSERT INTO directory_change (version, account_id) SELECT version, id FROM new_rows;
    RETURN NULL;
END $$;

CREATE TRIGGER account_added AFTER INSERT ON account REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hb_directory_added();
CREATE TRIGGER account_changed AFTER UPDATE ON account
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hb_directory_changed();
