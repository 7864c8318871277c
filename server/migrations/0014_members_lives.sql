-- 0014_members_lives.sql: members' lives (issue 15). server/RECORD.md,
-- "Members' lives", explains the model; in short:
--
-- * amend: a new profile version (member_profile, family_link; 0012).
-- * move: member.community changes (the only column of member that may,
--   besides left_at), the account's district with it, and the new card's
--   number becomes an alias of the member's first number (member_alias).
--   The first number stays the member's identity in every ledger row.
-- * leave: the balance is settled by transfers of kind 'leave'; then
--   member.left_at is set and the member's profile versions and family
--   links are deleted: erased. Ledger rows (op, transfer, void_link,
--   refused_registration) hold member numbers only and stay whole.
-- * opening: a transfer of kind 'opening' between the pool's opening
--   account (3) and the member; at most one accepted per member (a unique
--   index, so not even a second writer can post two).
--
-- hourbank-central posts these ops in memory (server/posting_life.c) and
-- writes their effects on the people tables with hb_life_apply() below,
-- in op order, inside the group commit. The reference engine
-- hb_apply_op() does not know these four kinds (itest_posting_diff draws
-- ops of the older five kinds only).

-- ---- kinds --------------------------------------------------------------------

ALTER TABLE account DROP CONSTRAINT account_kind_check;
ALTER TABLE account ADD CONSTRAINT account_kind_check
    CHECK (kind IN ('member', 'guarantee', 'donation', 'opening'));
-- The pool's side of opening balances: its balance is minus the hours
-- brought in from the pilots' books.
INSERT INTO account (id, kind) VALUES (3, 'opening');

ALTER TABLE op DROP CONSTRAINT op_kind_check;
ALTER TABLE op ADD CONSTRAINT op_kind_check
    CHECK (kind IN ('register', 'service', 'gift', 'void', 'donation', 'amend', 'move', 'leave', 'opening',
                    'invalid'));
ALTER TABLE transfer DROP CONSTRAINT transfer_kind_check;
ALTER TABLE transfer ADD CONSTRAINT transfer_kind_check
    CHECK (kind IN ('service', 'overflow', 'gift', 'void', 'donation', 'leave', 'opening'));

CREATE UNIQUE INDEX op_opening_idx ON op (member) WHERE kind = 'opening' AND result = 1;

ALTER TABLE district_rule ADD COLUMN leaver_hours text NOT NULL DEFAULT 'pool'
    CHECK (leaver_hours IN ('pool', 'family'));

-- ---- members: home community and leaving ------------------------------------

ALTER TABLE member ADD COLUMN left_at timestamptz;

-- A member row changes only by a move (community) and by leaving
-- (left_at, once); it is never deleted.
CREATE FUNCTION hb_member_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.left_at IS NULL
       AND to_jsonb(NEW) - 'community' - 'left_at' = to_jsonb(OLD) - 'community' - 'left_at' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'hourbank: % on member % is forbidden: only a move or a leave changes a member',
        TG_OP, OLD.member_no USING ERRCODE = 'insufficient_privilege';
END $$;
DROP TRIGGER member_immutable ON member;
CREATE TRIGGER member_immutable BEFORE UPDATE OR DELETE ON member
    FOR EACH ROW EXECUTE FUNCTION hb_member_change();

-- A member's later numbers: each a card's number after a move, resolving
-- to the member's first number.
CREATE TABLE member_alias (
    alias_no   text PRIMARY KEY,
    member_no  text NOT NULL REFERENCES member,
    station_id integer NOT NULL,   -- the move that made it
    seq        bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX member_alias_member_idx ON member_alias (member_no);
CREATE TRIGGER member_alias_immutable BEFORE UPDATE OR DELETE ON member_alias
    FOR EACH STATEMENT EXECUTE FUNCTION hb_immutable();

-- The member a number names: its first number (p_no itself when it is
-- not an alias).
CREATE FUNCTION hb_canonical(p_no text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT member_no FROM member_alias WHERE alias_no = p_no), p_no)
$$;

-- Profiles are never updated; they are deleted only to erase a member
-- who has left.
CREATE FUNCTION hb_erasure_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM member m WHERE m.member_no = OLD.member_no AND m.left_at IS NOT NULL) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'hourbank: DELETE on % is forbidden: only a member who has left is erased', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
DROP TRIGGER member_profile_immutable ON member_profile;
DROP TRIGGER family_link_immutable ON family_link;
CREATE TRIGGER member_profile_immutable BEFORE UPDATE ON member_profile
    FOR EACH STATEMENT EXECUTE FUNCTION hb_immutable();
CREATE TRIGGER family_link_immutable BEFORE UPDATE ON family_link
    FOR EACH STATEMENT EXECUTE FUNCTION hb_immutable();
CREATE TRIGGER member_profile_erasure BEFORE DELETE ON member_profile
    FOR EACH ROW EXECUTE FUNCTION hb_erasure_only();
CREATE TRIGGER family_link_erasure BEFORE DELETE ON family_link
    FOR EACH ROW EXECUTE FUNCTION hb_erasure_only();

-- Each member with the profile in force; a member who has left has none
-- (name, birth year and phone NULL, no family). relations[i] is the
-- relation of family[i]; numbers are the later numbers, oldest first.
CREATE OR REPLACE VIEW member_now AS
SELECT m.member_no, m.community, m.account_id, m.role, m.station_id, m.seq, m.created_at,
       p.version AS profile_version, p.name, p.birth_year, p.phone,
       ARRAY(SELECT f.relative FROM family_link f
              WHERE f.member_no = m.member_no AND f.profile_version = p.version
              ORDER BY f.relative) AS family,
       m.left_at,
       ARRAY(SELECT f.relation FROM family_link f
              WHERE f.member_no = m.member_no AND f.profile_version = p.version
              ORDER BY f.relative) AS relations,
       ARRAY(SELECT a.alias_no FROM member_alias a WHERE a.member_no = m.member_no
              ORDER BY a.created_at, a.station_id, a.seq) AS numbers
  FROM member m
  LEFT JOIN LATERAL (SELECT * FROM member_profile q WHERE q.member_no = m.member_no
                      ORDER BY q.version DESC LIMIT 1) p ON true;

-- ---- the effects of amend, move and leave on the people tables -------------
-- One call per group commit, the ops in posting order (index i of every
-- array). Family links added by amend i are the (fam_no, fam_rel) pairs
-- with fam_i = i; links removed are the rem_no with rem_i = i. Numbers are
-- first numbers (the writer resolved aliases).
CREATE FUNCTION hb_life_apply(p_kind text[], p_member text[], p_station integer[], p_seq bigint[],
                              p_name text[], p_birth integer[], p_phone text[], p_clear boolean[],
                              p_community text[], p_alias text[],
                              fam_i integer[], fam_no text[], fam_rel text[], rem_i integer[], rem_no text[])
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v integer;
    n integer := coalesce(array_length(p_kind, 1), 0);
BEGIN
    FOR i IN 1 .. n LOOP
        IF p_kind[i] = 'amend' THEN
            SELECT max(version) INTO v FROM member_profile WHERE member_no = p_member[i];
            INSERT INTO member_profile (member_no, version, name, birth_year, phone, station_id, seq)
            SELECT member_no, v + 1, coalesce(p_name[i], name), coalesce(p_birth[i], birth_year),
                   CASE WHEN p_clear[i] THEN NULL ELSE coalesce(p_phone[i], phone) END, p_station[i], p_seq[i]
              FROM member_profile WHERE member_no = p_member[i] AND version = v;
            INSERT INTO family_link (member_no, profile_version, relative, relation)
            SELECT member_no, v + 1, relative, relation FROM family_link
             WHERE member_no = p_member[i] AND profile_version = v
               AND relative NOT IN (SELECT rem_no[k] FROM generate_subscripts(rem_i, 1) k WHERE rem_i[k] = i)
               AND relative NOT IN (SELECT fam_no[k] FROM generate_subscripts(fam_i, 1) k WHERE fam_i[k] = i);
            INSERT INTO family_link (member_no, profile_version, relative, relation)
            SELECT p_member[i], v + 1, fam_no[k], fam_rel[k] FROM generate_subscripts(fam_i, 1) k WHERE fam_i[k] = i;
        ELSIF p_kind[i] = 'move' THEN
            UPDATE member SET community = p_community[i] WHERE member_no = p_member[i];
            INSERT INTO member_alias (alias_no, member_no, station_id, seq)
            VALUES (p_alias[i], p_member[i], p_station[i], p_seq[i]);
            UPDATE account a SET district = c.district, version = nextval('directory_version')
              FROM member m JOIN community c ON c.code = m.community
             WHERE m.member_no = p_member[i] AND a.id = m.account_id;
        ELSIF p_kind[i] = 'leave' THEN
            UPDATE member SET left_at = now() WHERE member_no = p_member[i];
            DELETE FROM family_link WHERE member_no = p_member[i];
            DELETE FROM member_profile WHERE member_no = p_member[i];
            UPDATE account a SET version = nextval('directory_version')
              FROM member m WHERE m.member_no = p_member[i] AND a.id = m.account_id;
        ELSE
            RAISE EXCEPTION 'hb_life_apply: unknown kind %', p_kind[i];
        END IF;
    END LOOP;
    RETURN n;
END $$;

-- ---- verify -------------------------------------------------------------------

CREATE OR REPLACE FUNCTION hb_verify() RETURNS TABLE (problem text) LANGUAGE sql STABLE AS $$
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
      FROM op o WHERE o.result = 1 AND o.kind IN ('service', 'gift', 'void', 'donation', 'opening')
       AND NOT EXISTS (SELECT 1 FROM transfer t WHERE t.station_id = o.station_id AND t.seq = o.seq)
    UNION ALL
    SELECT format('op %s:%s rejected but has transfers', o.station_id, o.seq)
      FROM op o WHERE o.result <> 1
       AND EXISTS (SELECT 1 FROM transfer t WHERE t.station_id = o.station_id AND t.seq = o.seq)
    UNION ALL
    SELECT format('op %s:%s records %s minutes paid by %s but its transfers move %s minutes from %s',
                  o.station_id, o.seq, o.minutes, o.payer, t.minutes, t.payer)
      FROM op o
      JOIN LATERAL (SELECT sum(x.minutes) AS minutes,
                           coalesce(min(dm.member_no), CASE WHEN min(x.debit_account) = 1 THEN 'guarantee' END)
                               AS payer
                      FROM transfer x LEFT JOIN member dm ON dm.account_id = x.debit_account
                     WHERE x.station_id = o.station_id AND x.seq = o.seq) t ON true
     WHERE o.result = 1 AND o.kind IN ('service', 'gift', 'donation') AND o.payer IS NOT NULL
       AND (o.minutes IS DISTINCT FROM t.minutes OR o.payer IS DISTINCT FROM t.payer)
    UNION ALL
    SELECT format('member %s has no profile', m.member_no)
      FROM member m WHERE m.left_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM member_profile p WHERE p.member_no = m.member_no)
    UNION ALL
    SELECT format('member %s has left but keeps a profile', m.member_no)
      FROM member m WHERE m.left_at IS NOT NULL
       AND EXISTS (SELECT 1 FROM member_profile p WHERE p.member_no = m.member_no)
    UNION ALL
    SELECT format('member %s has left but holds %s minutes', m.member_no, a.credits - a.debits)
      FROM member m JOIN account a ON a.id = m.account_id
     WHERE m.left_at IS NOT NULL AND a.credits <> a.debits
$$;
