-- 0007_member_immutable.sql: a member row, once registered, never changes.
-- Nothing in hourbank updates or deletes one; hourbank-central keeps the
-- members it has read in memory (server/cache.h) and relies on this, so
-- the database now refuses it like it refuses changes to the ledger rows.

CREATE TRIGGER member_immutable BEFORE UPDATE OR DELETE ON member
    FOR EACH STATEMENT EXECUTE FUNCTION hb_immutable();
CREATE TRIGGER member_no_truncate BEFORE TRUNCATE ON member
    FOR EACH STATEMENT EXECUTE FUNCTION hb_immutable();
