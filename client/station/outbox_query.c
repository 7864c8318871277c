/* outbox_query.c - the station's ops as the operator looks them up: the
 * pending and rejected lists, ops whose result changed when resent, one op
 * by its seq, ops by a word of their note. Every answer is a list of
 * QueuedOps with all their fields. Shares the object and the SQLite
 * helpers of outbox.c through outbox_int.h. */
#include "outbox.h"
#include "outbox_int.h"

#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"

/* The columns queued_op_from_row reads, in its order. */
#define QUEUED_OP_COLUMNS                                                                                        \
    "seq, kind, summary, saved_at, result, message, note, acked_at, transfer_id, request_id, prior_result,"     \
    " prior_message, dismissed, operator, params"

const char *const hb_outbox__query_sql[OB_STMT_COUNT] = {
    [OB_LIST_PENDING] = "SELECT " QUEUED_OP_COLUMNS " FROM ops WHERE result IS NULL ORDER BY seq LIMIT ?1",
    [OB_LIST_REJECTED] = "SELECT " QUEUED_OP_COLUMNS " FROM ops"
                         " WHERE result <> " OB_SQL_OK " AND dismissed = 0 ORDER BY seq LIMIT ?1",
    [OB_LIST_CHANGED] = "SELECT " QUEUED_OP_COLUMNS " FROM ops INDEXED BY ops_changed"
                        " WHERE prior_result IS NOT NULL ORDER BY seq LIMIT ?1",
    [OB_OP_GET] = "SELECT " QUEUED_OP_COLUMNS " FROM ops WHERE seq = ?1",
    /* instr(), not LIKE: the operator's text is matched as typed, and % or
     * _ in it are characters like any other; a NULL note never matches */
    [OB_FIND_NOTE] = "SELECT " QUEUED_OP_COLUMNS " FROM ops WHERE instr(note, ?1) > 0 ORDER BY seq DESC LIMIT ?2",
};

static Hourbank__QueuedOp *
queued_op_from_row(sqlite3_stmt *st)
{
    Hourbank__QueuedOp *q = malloc(sizeof *q);
    hb_assert(q);
    hourbank__queued_op__init(q);
    q->seq = (uint64_t) sqlite3_column_int64(st, 0);
    q->kind = hb_outbox__column_strdup(st, 1);
    q->summary = hb_outbox__column_strdup(st, 2);
    q->saved_at = sqlite3_column_int64(st, 3);
    q->result = (Hourbank__Result) sqlite3_column_int(st, 4);  /* NULL -> 0 = RESULT_UNSET */
    q->message = hb_outbox__column_strdup(st, 5);
    q->note = hb_outbox__column_strdup(st, 6);
    q->acked_at = sqlite3_column_int64(st, 7);                 /* NULL -> 0 while pending */
    q->transfer_id = (uint64_t) sqlite3_column_int64(st, 8);
    q->request_id = hb_outbox__column_strdup(st, 9);
    q->prior_result = (Hourbank__Result) sqlite3_column_int(st, 10);
    q->prior_message = hb_outbox__column_strdup(st, 11);
    q->dismissed = sqlite3_column_int(st, 12) != 0;
    q->operator_ = hb_outbox__column_strdup(st, 13);          /* NULL -> "": saved before operators */
    hb_outbox__params_read(st, 14, q);
    return q;
}

/* Steps st (its parameters bound) into reply, at most max rows (1..
 * HB_PAGE_ENTRIES_MAX). Returns the count, or -1 (logged as "could not
 * <what>") with reply empty. Resets st. */
static int
rows_into(hb_outbox_t *self, sqlite3_stmt *st, size_t max, const char *what, Hourbank__QueueReply *reply)
{
    hb_assert(max >= 1 && max <= HB_PAGE_ENTRIES_MAX);
    reply->ops = calloc(max, sizeof *reply->ops);
    hb_assert(reply->ops);
    int rc = SQLITE_DONE;
    while (reply->n_ops < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
        reply->ops[reply->n_ops++] = queued_op_from_row(st);
    if (reply->n_ops < max && rc != SQLITE_DONE) {
        hb_outbox__fail(self, what, NULL, 0);
        sqlite3_reset(st);
        hb_outbox_queue_free(reply);
        return -1;
    }
    sqlite3_reset(st);
    if (reply->n_ops == 0)
        hb_outbox_queue_free(reply);
    return (int) reply->n_ops;
}

/* max capped at HB_PAGE_ENTRIES_MAX; reply emptied. */
static size_t
page_start(size_t max, Hourbank__QueueReply *reply)
{
    hb_assert(reply);
    reply->ops = NULL;
    reply->n_ops = 0;
    return max > HB_PAGE_ENTRIES_MAX ? HB_PAGE_ENTRIES_MAX : max;
}

int
hb_outbox_list(hb_outbox_t *self, hb_outbox_list_t which, size_t max, Hourbank__QueueReply *reply)
{
    hb_assert(self);
    max = page_start(max, reply);
    if (max == 0)
        return 0;
    ob_stmt_t id = OB_LIST_PENDING;
    switch (which) {
    case HB_OUTBOX_LIST_PENDING: id = OB_LIST_PENDING; break;
    case HB_OUTBOX_LIST_REJECTED: id = OB_LIST_REJECTED; break;
    case HB_OUTBOX_LIST_CHANGED: id = OB_LIST_CHANGED; break;
    default: hb_unreachable();
    }
    sqlite3_stmt *st = hb_outbox__stmt(self, id);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) max);
    return rows_into(self, st, max, "list the queue", reply);
}

int
hb_outbox_get(hb_outbox_t *self, uint64_t seq, Hourbank__QueueReply *reply)
{
    hb_assert(self);
    page_start(1, reply);
    if (seq == 0 || seq > INT64_MAX)
        return 0;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_OP_GET);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) seq);
    return rows_into(self, st, 1, "read an operation", reply);
}

int
hb_outbox_find_note(hb_outbox_t *self, const char *text, size_t max, Hourbank__QueueReply *reply)
{
    hb_assert(self && text && text[0] != '\0' && strlen(text) <= HB_SEARCH_BYTES_MAX);
    max = page_start(max, reply);
    if (max == 0)
        return 0;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_FIND_NOTE);
    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64) max);
    return rows_into(self, st, max, "search the notes", reply);
}

void
hb_outbox_queue_free(Hourbank__QueueReply *reply)
{
    hb_assert(reply);
    for (size_t i = 0; i < reply->n_ops; i++) {
        Hourbank__QueuedOp *q = reply->ops[i];
        free(q->kind);
        free(q->summary);
        free(q->message);
        free(q->note);
        free(q->request_id);
        free(q->prior_message);
        free(q->operator_);
        hb_outbox__params_free(q);
        free(q);
    }
    free(reply->ops);
    reply->ops = NULL;
    reply->n_ops = 0;
}
