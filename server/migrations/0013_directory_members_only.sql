-- 0013_directory_members_only.sql: directory_change holds member accounts
-- only.
--
-- The directory query (server/query.c) takes its page from
-- directory_change first (LIMIT on the primary key) and joins account and
-- member to those rows only. The pool's system accounts change at almost
-- every posting but are no member: left in, they would take places in a
-- page and end it early.
DELETE FROM directory_change c USING account a WHERE a.id = c.account_id AND a.kind <> 'member';

CREATE OR REPLACE FUNCTION hb_directory_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO directory_change (version, account_id)
    SELECT version, id FROM new_rows WHERE kind = 'member';
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION hb_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM directory_change c USING old_rows o
     WHERE c.version = o.version AND c.account_id = o.id AND o.kind = 'member';
    INSERT INTO directory_change (version, account_id)
    SELECT version, id FROM new_rows WHERE kind = 'member';
    RETURN NULL;
END $$;
