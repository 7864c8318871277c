/* outbox_erase.c - erasing a member who left (PIPL), at the station.
 *
 * What erasure means on disk at a station. When the directory brings a
 * member with Member.left (central has settled their hours and erased
 * them), the station keeps only what the ledger needs and erases the
 * person:
 *   - members: the row stays (left = 1, the number, the balance 0) so that
 *     ops naming the member still resolve; name, birth year, family_of and
 *     family are emptied;
 *   - ops: every registration and amendment of the member that central has
 *     answered is rewritten: its payload packed again with name, birth
 *     year, phone and family links emptied (an amendment's reason is free
 *     text and stays), its summary without the name, its name column NULL.
 *     An op still pending is left as it is (it must reach central
 *     unchanged) and erased at the first directory update after its ack;
 *   - the file: every outbox runs with PRAGMA secure_delete = ON (deleted
 *     content is overwritten with zeros), and after an erasure the station
 *     runs VACUUM (every page written anew, the file cut to size) and
 *     PRAGMA wal_checkpoint(TRUNCATE) (the -wal file cut to 0 bytes), so
 *     neither outbox.db nor outbox.db-wal holds a byte of the name; the
 *     -shm file holds only the WAL's index.
 * Outside the guarantee: free text an operator typed (service notes, gift,
 * void and amendment reasons), backups and copies made before the erasure
 * ("hourbank-station backup"), and a registration of the person that
 * central refused (it never named the member's number). An erased op
 * resent to a central that lost acknowledged work (outbox_resync.c) is
 * resent as erased (a registration without a name: central refuses it
 * MALFORMED, and the change is shown as any changed result is). A retried
 * save of an erased op under its request id is still the same work
 * (outbox_save.c, request_same). VACUUM holds the station's loop for as long as it
 * takes (leaving is rare); one that fails (a reader holding the WAL) is
 * tried again at the next directory update. */
#include "outbox.h"
#include "outbox_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_log.h"

const char *const hb_outbox__erase_sql[OB_STMT_COUNT] = {
    [OB_ER_MEMBERS] = "UPDATE members SET name = '', birth_year = 0, family_of = '', family = ''"
                      " WHERE left = 1 AND (name <> '' OR birth_year <> 0 OR family_of <> '' OR family <> '')",
    /* registrations (member_a: the first number) and amendments (member_a
     * stored as the first number; older rows as typed) of members who left */
    [OB_ER_OPS] = "SELECT seq FROM ops WHERE kind IN ('register', 'amend') AND result IS NOT NULL"
                  " AND member_a IN (SELECT member_no FROM members WHERE left = 1"
                  " UNION ALL SELECT n.number FROM member_numbers n JOIN members m ON m.member_no = n.member_no"
                  " WHERE m.left = 1) ORDER BY seq",
    [OB_ER_OP_GET] = "SELECT payload, summary FROM ops WHERE seq = ?1",
    [OB_ER_OP_SET] = "UPDATE ops SET payload = ?2, summary = ?3, name = NULL WHERE seq = ?1",
    /* over the unsettled ops only (a partial index): cheap at every update */
    [OB_ER_DUE] = "SELECT EXISTS (SELECT 1 FROM ops INDEXED BY ops_unsettled_a WHERE in_directory = 0"
                  " AND result IS NOT NULL AND kind IN ('register', 'amend')"
                  " AND member_a IN (SELECT member_no FROM members WHERE left = 1))",
};

void
hb_outbox__scrubbed(const Hourbank__Op *op, ob_scrubbed_t *out)
{
    static char empty[] = "";
    hb_assert(op && out);
    out->op = *op;
    if (op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER) {
        out->reg = *op->register_member;
        out->reg.name = out->reg.phone = out->reg.family_of = out->reg.family_relation = empty;
        out->reg.birth_year = 0;
        out->op.register_member = &out->reg;
    } else if (op->kind_case == HOURBANK__OP__KIND_AMEND) {
        out->amend = *op->amend;
        out->amend.name = out->amend.phone = empty;
        out->amend.birth_year = 0;
        out->amend.clear_phone = false;
        out->amend.n_add_family = out->amend.n_remove_family = 0;
        out->op.amend = &out->amend;
    }
}

/* The op with the personal fields of a registration or amendment emptied,
 * packed into buf (HB_OP_BYTES_MAX); its size. op is not changed. */
static size_t
scrubbed_pack(const Hourbank__Op *op, uint8_t *buf)
{
    ob_scrubbed_t s;
    hb_outbox__scrubbed(op, &s);
    size_t packed = hourbank__op__get_packed_size(&s.op);
    hb_assert(packed <= HB_OP_BYTES_MAX);
    return hourbank__op__pack(&s.op, buf);
}

/* The summary of an erased op: a registration's names no one
 * ("register CODE-NNNNNN-D"); others keep theirs (no name in them). */
static void
summary_of(const Hourbank__Op *op, const char *old, char *out, size_t size)
{
    if (op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER)
        snprintf(out, size, "register %s", op->register_member->member_no);
    else
        snprintf(out, size, "%s", old ? old : "");
}

static int
op_store(hb_outbox_t *self, int64_t seq, const uint8_t *payload, size_t len, const char *summary)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_ER_OP_SET);
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_blob(st, 2, payload, (int) len, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, summary, -1, SQLITE_STATIC);
    return hb_outbox__run(self, st);
}

/* Rewrites op seq erased when that changes it: 1 changed, 0 not, -1. */
static int
erase_op(hb_outbox_t *self, int64_t seq)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_ER_OP_GET);
    sqlite3_bind_int64(st, 1, seq);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return -1;
    }
    size_t len = (size_t) sqlite3_column_bytes(st, 0);
    Hourbank__Op *op = hourbank__op__unpack(NULL, len, sqlite3_column_blob(st, 0));
    if (op == NULL) {
        sqlite3_reset(st);
        hb_log_error("outbox: an op to erase does not decode path=\"%s\" seq=%" PRId64, self->path, seq);
        return -1;
    }
    uint8_t *buf = malloc(HB_OP_BYTES_MAX);
    hb_assert(buf);
    char summary[HB_NOTE_BYTES_MAX + 1];
    size_t packed = scrubbed_pack(op, buf);
    summary_of(op, (const char *) sqlite3_column_text(st, 1), summary, sizeof summary);
    int changed = packed != len || memcmp(buf, sqlite3_column_blob(st, 0), len) != 0 ||
                  strcmp(summary, (const char *) sqlite3_column_text(st, 1)) != 0;
    sqlite3_reset(st);
    hourbank__op__free_unpacked(op, NULL);
    if (changed && op_store(self, seq, buf, packed, summary) != 0)
        changed = -1;
    free(buf);
    return changed;
}

/* The seqs of the ops to erase into *seqs (malloc'ed); count or -1. */
static int
ops_to_erase(hb_outbox_t *self, int64_t **seqs)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_ER_OPS);
    size_t n = 0, cap = 0;
    int rc;
    *seqs = NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : HB_PAGE_ENTRIES_DEFAULT;
            *seqs = realloc(*seqs, cap * sizeof **seqs);
            hb_assert(*seqs);
        }
        (*seqs)[n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? (int) n : -1;
}

/* Inside BEGIN IMMEDIATE: the members' rows and their ops. Rows changed,
 * or -1. */
static int
erase_in_tx(hb_outbox_t *self)
{
    if (hb_outbox__run(self, hb_outbox__stmt(self, OB_ER_MEMBERS)) != 0)
        return -1;
    int changed = sqlite3_changes(self->db);
    int64_t *seqs;
    int n = ops_to_erase(self, &seqs);
    for (int i = 0; i < n && changed >= 0; i++) {
        int one = erase_op(self, seqs[i]);
        changed = one < 0 ? -1 : changed + one;
    }
    free(seqs);
    return n < 0 ? -1 : changed;
}

/* VACUUM, then the WAL checkpointed and cut to 0 bytes. 0 or -1. */
static int
file_rewrite(hb_outbox_t *self)
{
    if (sqlite3_exec(self->db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
        return hb_outbox__fail(self, "vacuum after an erasure", NULL, 0);
    int log_frames = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(self->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log_frames, &done);
    if (rc != SQLITE_OK)
        return hb_outbox__fail(self, "checkpoint the WAL after an erasure", NULL, 0);
    return 0;
}

int
hb_outbox__erase_check(hb_outbox_t *self)
{
    hb_assert(self);
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_ER_DUE);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0)
        self->erase_due = true;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

int
hb_outbox__erase(hb_outbox_t *self)
{
    hb_assert(self);
    if (!self->erase_due)
        return 0;
    if (hb_outbox__begin(self, true) != 0)
        return hb_outbox__fail(self, "begin an erasure", NULL, 0);
    int changed = erase_in_tx(self);
    if (changed < 0 || hb_outbox__commit(self) != 0) {
        hb_outbox__fail(self, "erase members who left", NULL, 0);
        hb_outbox__rollback(self);
        return -1;
    }
    if (file_rewrite(self) != 0)
        return -1;  /* logged; tried again at the next directory update */
    self->erase_due = false;
    hb_log_info("outbox: members who left erased path=\"%s\" rows=%d", self->path, changed);
    return 0;
}
