/* outbox_import.c - an import's one transaction (outbox_import.h): each
 * row's member filled in from the registration its member_of names, the
 * import's own checks of an opening balance, then the row saved as an
 * operator's op is (hb_outbox__save_in_tx, outbox_save.c); at the end
 * COMMIT, or ROLLBACK for a dry run and for refused rows without
 * skip_bad. Its few statements are prepared per import (not in the
 * outbox's cache): an import is rare and long. */
#include "outbox_import.h"
#include "outbox_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_log.h"
#include "hb_map.h"
#include "hb_wire.h"

/* The registration stored under a request id (?1). */
#define SQL_REQUEST "SELECT seq, kind, member_a, coalesce(result, 0), operator FROM ops WHERE request_id = ?1"
/* The opening balances stored here that central has not refused. */
#define SQL_OPENINGS "SELECT member_a, seq FROM ops WHERE kind = 'opening' AND (result IS NULL OR result = " \
                     OB_SQL_OK ")"
#define SQL_OPENINGS_COUNT "SELECT count(*) FROM ops WHERE kind = 'opening'"

/* What one import holds while it runs. */
typedef struct {
    hb_outbox_t *ob;
    uint64_t last_seq;          /* before the import: a higher seq is this import's */
    sqlite3_stmt *request;      /* SQL_REQUEST */
    hb_map_t *openings;         /* member number -> seq (as a pointer-sized integer) */
    hb_outbox_save_t *save;     /* the row being saved (large: on the heap) */
    char stored_operator[HB_OPERATOR_BYTES_MAX + 1];  /* of the op request_stored found last */
} ob_import_t;

static int
import_prepare(ob_import_t *im, char *msg, size_t msg_size)
{
    if (sqlite3_prepare_v2(im->ob->db, SQL_REQUEST, -1, &im->request, NULL) != SQLITE_OK)
        return hb_outbox__fail(im->ob, "prepare an import", msg, msg_size);
    return 0;
}

/* Inside the transaction: every opening balance stored here and not
 * refused, into im->openings (room for them and n more). 0 or -1. */
static int
openings_load(ob_import_t *im, size_t n, char *msg, size_t msg_size)
{
    sqlite3_stmt *st = NULL;
    int64_t count = 0;
    if (sqlite3_prepare_v2(im->ob->db, SQL_OPENINGS_COUNT, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return hb_outbox__fail(im->ob, "count the opening balances", msg, msg_size);
    }
    count = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    im->openings = hb_map_new((size_t) count + n + 1);
    if (sqlite3_prepare_v2(im->ob->db, SQL_OPENINGS, -1, &st, NULL) != SQLITE_OK)
        return hb_outbox__fail(im->ob, "read the opening balances", msg, msg_size);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *member = (const char *) sqlite3_column_text(st, 0);
        if (member)
            hb_map_put(im->openings, member, strlen(member), (void *) (uintptr_t) sqlite3_column_int64(st, 1));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : hb_outbox__fail(im->ob, "read the opening balances", msg, msg_size);
}

/* The op stored under request_id: 1 with its seq (and, for a
 * registration central has not refused, its number in member_no, else
 * ""), 0 none, -1 error. */
static int
request_stored(ob_import_t *im, const char *request_id, uint64_t *seq, char member_no[HB_MEMBER_NO_BYTES_MAX + 1])
{
    sqlite3_stmt *st = im->request;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, request_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    member_no[0] = '\0';
    if (rc == SQLITE_ROW) {
        *seq = (uint64_t) sqlite3_column_int64(st, 0);
        hb_outbox__column_text(im->stored_operator, sizeof im->stored_operator, st, 4);
        int64_t result = sqlite3_column_int64(st, 3);
        if (strcmp((const char *) sqlite3_column_text(st, 1), "register") == 0 &&
            (result == 0 || result == HB_RESULT_OK))
            hb_outbox__column_text(member_no, HB_MEMBER_NO_BYTES_MAX + 1, st, 2);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Fills the member that row->member_of names into *op (a shallow copy,
 * pointing into the caller's reg, opening and number). OK, UNKNOWN_MEMBER
 * (row->msg), or INTERNAL. */
static hb_result_t
member_fill(ob_import_t *im, hb_outbox_import_row_t *row, Hourbank__Op *op, Hourbank__RegisterMember *reg,
            Hourbank__OpeningBalance *opening, char number[HB_MEMBER_NO_BYTES_MAX + 1])
{
    if (row->member_of[0] == '\0')
        return HB_RESULT_OK;
    uint64_t seq = 0;
    int found = request_stored(im, row->member_of, &seq, number);
    if (found < 0)
        return hb_outbox__fail(im->ob, "look up an import's member", row->msg, sizeof row->msg), HB_RESULT_INTERNAL;
    if (found == 0 || number[0] == '\0') {
        snprintf(row->msg, sizeof row->msg, "no registration that central has not refused is stored at this station"
                 " under request id \"%s\"", row->member_of);
        return HB_RESULT_UNKNOWN_MEMBER;
    }
    row->member_new = seq > im->last_seq;
    if (op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER) {
        *reg = *op->register_member;
        reg->family_of = number;
        op->register_member = reg;
    } else {
        hb_assert(op->kind_case == HOURBANK__OP__KIND_OPENING);
        *opening = *op->opening;
        opening->member_no = number;
        op->opening = opening;
    }
    return HB_RESULT_OK;
}

/* An opening balance not stored before under its request id: its member
 * known here, and none of theirs stored here that central took or may
 * take. OK, UNKNOWN_MEMBER, OPENING_EXISTS (values in row->msg), INTERNAL. */
static hb_result_t
opening_check(ob_import_t *im, hb_outbox_import_row_t *row, const char *member)
{
    int known = hb_outbox_member_known(im->ob, member);
    if (known < 0)
        return hb_outbox__fail(im->ob, "look up a member", row->msg, sizeof row->msg), HB_RESULT_INTERNAL;
    if (known == 0) {
        snprintf(row->msg, sizeof row->msg, "role=member\nmember=%s", member);
        return HB_RESULT_UNKNOWN_MEMBER;
    }
    void *seq = hb_map_get(im->openings, member, strlen(member));
    if (seq) {
        snprintf(row->msg, sizeof row->msg, "member=%s\nstation=%" PRIu32 "\nseq=%" PRIu64, member,
                 im->ob->station_id, (uint64_t) (uintptr_t) seq);
        return HB_RESULT_OPENING_EXISTS;
    }
    return HB_RESULT_OK;
}

/* Inside the transaction: one row. OK with the row's outcome in row, or
 * the disk error that fails the import (reason in msg). */
static hb_result_t
import_row(ob_import_t *im, hb_outbox_import_row_t *row, const hb_outbox_import_t *imp, int64_t now, char *msg,
           size_t msg_size)
{
    Hourbank__Op op = *row->op;
    Hourbank__RegisterMember reg;
    Hourbank__OpeningBalance opening;
    char number[HB_MEMBER_NO_BYTES_MAX + 1] = "", stored_no[HB_MEMBER_NO_BYTES_MAX + 1];
    uint64_t stored_seq = 0;
    row->result = member_fill(im, row, &op, &reg, &opening, number);
    int before = row->result == HB_RESULT_OK ? request_stored(im, row->request_id, &stored_seq, stored_no) : 0;
    if (before < 0)
        row->result = (hb_outbox__fail(im->ob, "look up a request id", row->msg, sizeof row->msg), HB_RESULT_INTERNAL);
    if (row->result == HB_RESULT_OK && before == 0 && op.kind_case == HOURBANK__OP__KIND_OPENING)
        row->result = opening_check(im, row, op.opening->member_no);
    if (row->result == HB_RESULT_INTERNAL) {
        snprintf(msg, msg_size, "%s", row->msg);
        return HB_RESULT_INTERNAL;
    }
    if (row->result != HB_RESULT_OK)
        return HB_RESULT_OK;  /* refused by the import's own checks */
    if (before == 1 && im->stored_operator[0])  /* a rerun by another operator is the same work */
        op.operator_ = im->stored_operator;
    hb_outbox_save_t *v = im->save;
    memset(v, 0, sizeof *v);
    v->op = &op;
    v->request_id = row->request_id;
    v->default_operator = imp->default_operator;
    v->confirm_new = imp->confirm_new;  /* POSSIBLE_DUPLICATE at save (outbox_members.c) */
    hb_result_t r = hb_outbox__save_in_tx(im->ob, v, now, msg, msg_size);
    if (r != HB_RESULT_OK)
        return r;
    row->result = v->result;
    row->repeated = v->repeated;
    row->seq = v->seq;
    snprintf(row->msg, sizeof row->msg, "%s", v->msg);
    snprintf(row->member_no, sizeof row->member_no, "%s",
             op.kind_case == HOURBANK__OP__KIND_OPENING ? op.opening->member_no : v->member_no);
    if (v->result == HB_RESULT_OK && !v->repeated && op.kind_case == HOURBANK__OP__KIND_OPENING)
        hb_map_put(im->openings, op.opening->member_no, strlen(op.opening->member_no), (void *) (uintptr_t) v->seq);
    return HB_RESULT_OK;
}

/* Counts the outcomes into imp. */
static void
import_count(const hb_outbox_import_row_t *rows, size_t n, hb_outbox_import_t *imp)
{
    imp->refused = imp->repeated = imp->added = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].result != HB_RESULT_OK)
            imp->refused++;
        else if (rows[i].repeated)
            imp->repeated++;
        else
            imp->added++;
    }
}

/* What was not kept is not told: seqs and new numbers of rows not stored. */
static void
import_forget(hb_outbox_import_row_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (rows[i].repeated)
            continue;
        rows[i].seq = 0;
        if (rows[i].op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER || rows[i].member_new)
            rows[i].member_no[0] = '\0';
    }
}

static hb_result_t
import_in_tx(ob_import_t *im, hb_outbox_import_row_t *rows, size_t n, hb_outbox_import_t *imp, int64_t now,
             char *msg, size_t msg_size)
{
    if (import_prepare(im, msg, msg_size) != 0 || openings_load(im, n, msg, msg_size) != 0)
        return HB_RESULT_INTERNAL;
    for (size_t i = 0; i < n; i++) {
        hb_outbox_import_row_t *row = &rows[i];
        row->result = HB_RESULT_OK;
        row->repeated = false;
        row->seq = 0;
        row->member_new = false;
        row->member_no[0] = row->msg[0] = '\0';
        hb_result_t r = import_row(im, row, imp, now, msg, msg_size);
        if (r != HB_RESULT_OK)
            return r;
    }
    return HB_RESULT_OK;
}

hb_result_t
hb_outbox_import(hb_outbox_t *self, hb_outbox_import_row_t *rows, size_t n, hb_outbox_import_t *imp, int64_t now,
                 char *msg, size_t msg_size)
{
    hb_assert(self && (rows || n == 0) && n <= HB_IMPORT_ROWS_MAX && imp && msg && msg_size > 0);
    imp->stored = false;
    imp->refused = imp->repeated = imp->added = 0;
    if (self->restored) {
        snprintf(msg, msg_size, "this station was restored from a backup and saves again once it has reached"
                 " central, which confirms the seqs and member numbers already used; nothing was imported");
        return HB_RESULT_AWAITING_CENTRAL;
    }
    ob_import_t im = {.ob = self, .last_seq = self->last_seq, .save = malloc(sizeof(hb_outbox_save_t))};
    hb_assert(im.save);
    hb_result_t r = HB_RESULT_OK;
    if (hb_outbox__begin(self, true) != 0)
        r = (hb_outbox__fail(self, "begin an import", msg, msg_size), HB_RESULT_INTERNAL);
    if (r == HB_RESULT_OK)
        r = import_in_tx(&im, rows, n, imp, now, msg, msg_size);
    sqlite3_finalize(im.request);
    hb_map_destroy(&im.openings);
    free(im.save);
    import_count(rows, n, imp);
    bool keep = r == HB_RESULT_OK && !imp->dry_run && (imp->refused == 0 || imp->skip_bad) && imp->added > 0;
    if (keep && hb_outbox__commit(self) != 0)
        r = (hb_outbox__fail(self, "commit an import", msg, msg_size), HB_RESULT_INTERNAL);
    if (keep && r == HB_RESULT_OK) {
        imp->stored = true;
        return HB_RESULT_OK;
    }
    hb_outbox__rollback(self);
    hb_outbox__refresh(self);  /* the file says what is true after the rollback */
    hb_outbox__pending_bytes_load(self);
    import_forget(rows, n);
    return r;
}
