/* outbox.c - the station's durable queue: the helpers every outbox file
 * uses, batches, acks, status and compaction. Opening and the schema are in
 * outbox_open.c, saving in outbox_save.c, the directory cache, member
 * lookup and categories in outbox_dir.c, the others as outbox.h lists
 * them; what they share is in outbox_int.h. */
#include "outbox.h"
#include "outbox_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_log.h"
#include "hb_wire.h"

/* Limits of this module. (Candidates for hb_limits.h.) */
#ifndef HB_COMPACT_OPS_MAX
/* Ops deleted per hb_outbox_compact() call: one short transaction per tick. */
#define HB_COMPACT_OPS_MAX 512
#endif

#define SECONDS_PER_DAY INT64_C(86400)

/* The ops one compaction deletes: acked before ?1, OK or dismissed, not
 * marked for resending; the oldest ?2 of them. */
#define OB_SQL_COMPACTABLE                                                                                    \
    "SELECT seq FROM ops WHERE result IS NOT NULL AND acked_at < ?1 AND (result = " OB_SQL_OK                  \
    " OR dismissed = 1) AND resend = 0 ORDER BY acked_at, seq LIMIT ?2"

const char *const hb_outbox__queue_sql[OB_STMT_COUNT] = {
    [OB_BEGIN] = "BEGIN",
    [OB_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [OB_COMMIT] = "COMMIT",
    [OB_ROLLBACK] = "ROLLBACK",
    [OB_META_GET] = "SELECT station_id, community, max(last_seq, coalesce((SELECT max(seq) FROM ops), 0)),"
                    " next_serial, last_sync, directory_version, directory_synced_at, restored, time_zone"
                    " FROM meta WHERE id = 1",
    [OB_META_INSERT] = "INSERT INTO meta (id, station_id, community, last_seq, next_serial) VALUES (1, ?1, ?2, 0, 1)",
    [OB_SEQ_FLOOR] = "UPDATE meta SET last_seq = (SELECT max(seq) FROM ops)"
                     " WHERE id = 1 AND last_seq < (SELECT max(seq) FROM ops)",
    [OB_BATCH] = "SELECT seq, payload FROM ops WHERE result IS NULL AND seq > ?1 ORDER BY seq LIMIT ?2",
    [OB_RESULT_GET] = "SELECT result, transfer_id, " OB_SQL_OP_BYTES ", resend FROM ops WHERE seq = ?1",
    [OB_RESULT_SET] = "UPDATE ops SET result = ?2, message = ?3, transfer_id = ?4, acked_at = ?5,"
                      " in_directory = (?2 <> " OB_SQL_OK "), params = ?6, payload_hash = ?7, posted_day = ?8"
                      " WHERE seq = ?1 AND result IS NULL",
    [OB_LAST_SYNC_SET] = "UPDATE meta SET last_sync = ?1 WHERE id = 1",
    [OB_FIRST_PENDING] = "SELECT seq, saved_at FROM ops WHERE result IS NULL ORDER BY seq LIMIT 1",
    [OB_COUNT_PENDING] = "SELECT count(*) FROM ops WHERE result IS NULL",
    [OB_PENDING_BYTES] = "SELECT coalesce(sum(" OB_SQL_OP_BYTES "), 0) FROM ops INDEXED BY ops_pending"
                         " WHERE result IS NULL",
    [OB_COUNT_REJECTED] = "SELECT count(*) FROM ops INDEXED BY ops_rejected"
                          " WHERE result <> " OB_SQL_OK " AND dismissed = 0",
    [OB_COUNT_CHANGED] = "SELECT count(*) FROM ops INDEXED BY ops_changed WHERE prior_result IS NOT NULL",
    [OB_DISMISS] = "UPDATE ops SET dismissed = 1 WHERE seq = ?1 AND result <> " OB_SQL_OK,
    /* OB_COMPACT_MARK raises meta.compacted_seq over exactly the ops
     * OB_COMPACT then deletes (the same ordered, limited selection); an op
     * marked for resending stays until central has answered it */
    [OB_COMPACT_MARK] = "UPDATE meta SET compacted_seq = max(compacted_seq, coalesce((SELECT max(seq) FROM ("
                        OB_SQL_COMPACTABLE ")), 0)) WHERE id = 1",
    [OB_COMPACT] = "DELETE FROM ops WHERE seq IN (" OB_SQL_COMPACTABLE ")",
};

/* ---- helpers shared with outbox_dir.c ---- */

sqlite3_stmt *
hb_outbox__stmt(hb_outbox_t *self, ob_stmt_t id)
{
    hb_assert(self && id < OB_STMT_COUNT && self->stmt[id]);
    sqlite3_stmt *st = self->stmt[id];
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

int
hb_outbox__run(hb_outbox_t *self, sqlite3_stmt *st)
{
    hb_assert(self && st);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int
hb_outbox__begin(hb_outbox_t *self, bool immediate)
{
    hb_assert(self && sqlite3_get_autocommit(self->db));
    return hb_outbox__run(self, hb_outbox__stmt(self, immediate ? OB_BEGIN_IMMEDIATE : OB_BEGIN));
}

int
hb_outbox__commit(hb_outbox_t *self)
{
    return hb_outbox__run(self, hb_outbox__stmt(self, OB_COMMIT));
}

void
hb_outbox__rollback(hb_outbox_t *self)
{
    if (sqlite3_get_autocommit(self->db))
        return;  /* SQLite already rolled back (e.g. after SQLITE_FULL) */
    if (hb_outbox__run(self, hb_outbox__stmt(self, OB_ROLLBACK)) != 0)
        hb_outbox__fail(self, "roll back", NULL, 0);
}

int
hb_outbox__fail(hb_outbox_t *self, const char *what, char *msg, size_t msg_size)
{
    const char *err = sqlite3_errmsg(self->db);
    if (msg != NULL && msg_size > 0)
        snprintf(msg, msg_size, "could not %s in outbox \"%s\": %s", what, self->path, err);
    else
        hb_log_error("outbox: could not %s path=\"%s\" error=\"%s\"", what, self->path, err);
    return -1;
}

void
hb_outbox__column_text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
    hb_assert(dst && size > 0);
    const unsigned char *s = sqlite3_column_text(st, col);
    snprintf(dst, size, "%s", s ? (const char *) s : "");
}

char *
hb_outbox__column_strdup(sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    char *copy = strdup(s ? (const char *) s : "");
    hb_assert(copy);
    return copy;
}

/* 1 and the row in *out, 0 if there is no row, -1 on an error. */
int
hb_outbox__meta_load(hb_outbox_t *self, ob_meta_t *out)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_META_GET);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->station_id = (uint32_t) sqlite3_column_int64(st, 0);
        hb_outbox__column_text(out->community, sizeof out->community, st, 1);
        out->last_seq = (uint64_t) sqlite3_column_int64(st, 2);
        out->next_serial = (uint32_t) sqlite3_column_int64(st, 3);
        out->last_sync = sqlite3_column_int64(st, 4);
        out->directory_version = (uint64_t) sqlite3_column_int64(st, 5);
        out->directory_synced_at = sqlite3_column_int64(st, 6);
        out->restored = sqlite3_column_int(st, 7) != 0;
        hb_outbox__column_text(out->time_zone, sizeof out->time_zone, st, 8);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
hb_outbox__meta_read(hb_outbox_t *self, ob_meta_t *out)
{
    hb_assert(self && out);
    return hb_outbox__meta_load(self, out) == 1 ? 0 : -1;
}

/* Re-reads last_seq and last_acked. last_acked is one below the lowest
 * pending seq, or last_seq when nothing is pending: every seq below the
 * lowest pending one has a result here, was compacted after its ack, or
 * was skipped by hb_outbox_confirm_marks() because central holds it. */
static int
cache_refresh(hb_outbox_t *self)
{
    ob_meta_t m;
    if (hb_outbox__meta_read(self, &m) != 0)
        return hb_outbox__fail(self, "read the sequence", NULL, 0);
    uint64_t acked = m.last_seq;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_FIRST_PENDING);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        acked = (uint64_t) sqlite3_column_int64(st, 0) - 1;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return hb_outbox__fail(self, "find the first pending op", NULL, 0);
    self->last_seq = m.last_seq;
    self->last_acked = acked;
    return 0;
}

int
hb_outbox__pending_bytes_load(hb_outbox_t *self)
{
    hb_assert(self);
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_PENDING_BYTES);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        self->pending_bytes = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : hb_outbox__fail(self, "measure the pending work", NULL, 0);
}

int
hb_outbox__refresh(hb_outbox_t *self)
{
    hb_assert(self);
    return cache_refresh(self);
}

int
hb_outbox__meta_set_u64(hb_outbox_t *self, ob_stmt_t id, uint64_t value)
{
    hb_assert(value <= INT64_MAX);
    sqlite3_stmt *st = hb_outbox__stmt(self, id);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) value);
    return hb_outbox__run(self, st);
}

/* ---- batches ---- */

/* Appends the op stored at the current row of st; -1 if it does not decode. */
static int
batch_append(hb_outbox_t *self, sqlite3_stmt *st, Hourbank__Batch *batch)
{
    uint64_t seq = (uint64_t) sqlite3_column_int64(st, 0);
    const void *blob = sqlite3_column_blob(st, 1);
    size_t len = (size_t) sqlite3_column_bytes(st, 1);
    Hourbank__Op *op = hourbank__op__unpack(NULL, len, blob);
    if (op == NULL || op->seq != seq) {
        hb_log_error("outbox: stored op does not decode path=\"%s\" seq=%" PRIu64 " bytes=%zu", self->path, seq, len);
        if (op)
            hourbank__op__free_unpacked(op, NULL);
        return -1;
    }
    batch->ops[batch->n_ops++] = op;
    return 0;
}

int
hb_outbox_next_batch(hb_outbox_t *self, uint64_t after_seq, size_t max_ops, size_t max_bytes,
                     Hourbank__Batch *batch_out)
{
    hb_assert(self);
    if (!hb_outbox__batch_start(after_seq, &max_ops, batch_out))
        return 0;
    /* while central is being sent again what it lost, acked ops go too */
    bool resend = after_seq < self->resend_through;
    sqlite3_stmt *st = hb_outbox__stmt(self, resend ? OB_BATCH_RESEND : OB_BATCH);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) after_seq);
    sqlite3_bind_int64(st, 2, (sqlite3_int64) max_ops);
    if (resend)
        sqlite3_bind_int64(st, 3, (sqlite3_int64) self->resend_through);
    return hb_outbox__batch_fill(self, st, max_ops, max_bytes, batch_out);
}

bool
hb_outbox__batch_start(uint64_t after_seq, size_t *max_ops, Hourbank__Batch *batch_out)
{
    hb_assert(batch_out && max_ops && *max_ops >= 1);
    hourbank__batch__init(batch_out);
    if (*max_ops > HB_BATCH_OPS_MAX)
        *max_ops = HB_BATCH_OPS_MAX;
    if (after_seq >= INT64_MAX)
        return false;
    batch_out->ops = calloc(*max_ops, sizeof *batch_out->ops);
    hb_assert(batch_out->ops);
    return true;
}

int
hb_outbox__batch_fill(hb_outbox_t *self, sqlite3_stmt *st, size_t max_ops, size_t max_bytes,
                      Hourbank__Batch *batch_out)
{
    size_t bytes = 0;
    bool undecodable = false;
    int rc = SQLITE_DONE;
    while (batch_out->n_ops < max_ops && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        size_t len = (size_t) sqlite3_column_bytes(st, 1);
        uint64_t seq = (uint64_t) sqlite3_column_int64(st, 0);
        bool first = batch_out->n_ops == 0;
        /* a batch holds consecutive seqs: stop at a gap (acks out of order, central's marks) */
        if (!first && (seq != batch_out->ops[batch_out->n_ops - 1]->seq + 1 || bytes + len > max_bytes))
            break;
        if (batch_append(self, st, batch_out) != 0) {
            undecodable = true;  /* logged by batch_append */
            break;
        }
        bytes += len;
    }
    if (batch_out->n_ops == max_ops)
        rc = SQLITE_DONE;
    if (undecodable || (rc != SQLITE_ROW && rc != SQLITE_DONE)) {
        if (!undecodable)
            hb_outbox__fail(self, "read pending ops", NULL, 0);
        sqlite3_reset(st);
        hb_outbox_batch_free(batch_out);
        return -1;
    }
    sqlite3_reset(st);
    if (batch_out->n_ops == 0)
        hb_outbox_batch_free(batch_out);
    return (int) batch_out->n_ops;
}

void
hb_outbox_batch_free(Hourbank__Batch *batch)
{
    hb_assert(batch);
    for (size_t i = 0; i < batch->n_ops; i++)
        hourbank__op__free_unpacked(batch->ops[i], NULL);
    free(batch->ops);
    batch->ops = NULL;
    batch->n_ops = 0;
}

/* ---- acks ---- */

static int
result_store(hb_outbox_t *self, const Hourbank__OpResult *r, int64_t now)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_RESULT_SET);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) r->seq);
    sqlite3_bind_int(st, 2, (int) r->result);
    sqlite3_bind_text(st, 3, r->message ? r->message : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64) r->transfer_id);
    sqlite3_bind_int64(st, 5, now);
    char params[OB_PARAMS_TEXT_BYTES];
    if (hb_outbox__params_format(r, params, sizeof params))
        sqlite3_bind_text(st, 6, params, -1, SQLITE_TRANSIENT);
    hb_outbox__bind_posting(st, 7, r);
    return hb_outbox__run(self, st);
}

/* Stores one result, or accepts it again if it repeats the stored one. */
static int
ack_one(hb_outbox_t *self, const Hourbank__OpResult *r, int64_t now, int64_t *freed, char *msg, size_t msg_size)
{
    hb_assert(r && r->result != HOURBANK__RESULT__RESULT_UNSET);
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_RESULT_GET);
    sqlite3_bind_int64(st, 1, r->seq <= INT64_MAX ? (sqlite3_int64) r->seq : -1);
    int rc = sqlite3_step(st);
    bool pending = rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_NULL;
    int held = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    uint64_t held_transfer = rc == SQLITE_ROW ? (uint64_t) sqlite3_column_int64(st, 1) : 0;
    int64_t bytes = rc == SQLITE_ROW ? sqlite3_column_int64(st, 2) : 0;
    bool marked = rc == SQLITE_ROW && sqlite3_column_int(st, 3) != 0;  /* resent by a reconcile run */
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return hb_outbox__fail(self, "read a stored result", msg, msg_size);
    if (rc == SQLITE_DONE && r->seq <= self->last_seq)
        return 0;  /* acked before and compacted since (or skipped): nothing to compare */
    if (rc == SQLITE_DONE) {
        snprintf(msg, msg_size, "central acked seq=%" PRIu64 " but outbox \"%s\" has assigned only up to %" PRIu64
                 ": another station may be using station id %" PRIu32, r->seq, self->path, self->last_seq,
                 self->station_id);
        return -1;
    }
    if (pending) {
        if (result_store(self, r, now) != 0 ||
            (r->result != HOURBANK__RESULT__OK && hb_outbox__move_refused(self, r->seq) != 0))
            return hb_outbox__fail(self, "store a result", msg, msg_size);
        *freed += bytes;
        return 0;
    }
    bool same = held == (int) r->result && held_transfer == r->transfer_id;
    if (marked) {  /* a reconcile run resent it: central's answer now, the first ack kept beside it */
        if (!same && hb_outbox__result_change(self, r, held, now, msg, msg_size) != 0)
            return -1;
        return hb_outbox__resend_answered(self, r, msg, msg_size);
    }
    if (same)
        return 0;
    if (r->seq <= self->resend_through)  /* resent to a central that had lost it: its answer now */
        return hb_outbox__result_change(self, r, held, now, msg, msg_size);
    snprintf(msg, msg_size, "central acked seq=%" PRIu64 " with %s (transfer %" PRIu64 ") but it was acked %s"
             " (transfer %" PRIu64 ") before: another station may be using station id %" PRIu32, r->seq,
             hb_result_name((hb_result_t) r->result), r->transfer_id, hb_result_name((hb_result_t) held),
             held_transfer, self->station_id);
    return -1;
}

int
hb_outbox_ack(hb_outbox_t *self, const Hourbank__BatchAck *ack, int64_t now, char *msg, size_t msg_size)
{
    hb_assert(self && ack && msg && msg_size > 0);
    msg[0] = '\0';
    if (ack->batch_result != HOURBANK__RESULT__OK || ack->n_results == 0)
        return 0;  /* a refused batch carries no results; the caller handles SEQ_GAP */
    if (hb_outbox__begin(self, true) != 0)
        return hb_outbox__fail(self, "begin an ack", msg, msg_size);
    int rc = 0;
    int64_t freed = 0;
    for (size_t i = 0; i < ack->n_results && rc == 0; i++)
        rc = ack_one(self, ack->results[i], now, &freed, msg, msg_size);
    if (rc == 0 && hb_outbox__meta_set_u64(self, OB_LAST_SYNC_SET, now >= 0 ? (uint64_t) now : 0) != 0)
        rc = hb_outbox__fail(self, "store the sync time", msg, msg_size);
    if (rc == 0 && hb_outbox__commit(self) != 0)
        rc = hb_outbox__fail(self, "commit an ack", msg, msg_size);
    if (rc != 0)
        hb_outbox__rollback(self);
    else
        self->pending_bytes -= freed;
    hb_assert(self->pending_bytes >= 0);
    if (rc == 0 && self->resend_through && ack->results[ack->n_results - 1]->seq >= self->resend_through)
        self->resend_through = 0;  /* central has answered every op it had lost */
    cache_refresh(self);
    return rc;
}

uint64_t
hb_outbox_last_acked(hb_outbox_t *self)
{
    hb_assert(self);
    return self->last_acked;
}

uint64_t
hb_outbox_last_seq(hb_outbox_t *self)
{
    hb_assert(self);
    return self->last_seq;
}

/* ---- status, listing, dismissal, compaction ---- */

static int
count_rows(hb_outbox_t *self, ob_stmt_t id, uint64_t *out)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = (uint64_t) sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

static int
status_in_tx(hb_outbox_t *self, hb_outbox_status_t *out)
{
    ob_meta_t m;
    if (hb_outbox__meta_read(self, &m) != 0 || count_rows(self, OB_COUNT_PENDING, &out->pending) != 0 ||
        count_rows(self, OB_COUNT_REJECTED, &out->rejected) != 0 ||
        count_rows(self, OB_COUNT_CHANGED, &out->changed) != 0)
        return -1;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_FIRST_PENDING);
    int rc = sqlite3_step(st);
    out->oldest_pending_at = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return -1;
    out->last_sync = m.last_sync;
    return 0;
}

int
hb_outbox_status(hb_outbox_t *self, hb_outbox_status_t *out)
{
    hb_assert(self && out);
    memset(out, 0, sizeof *out);
    if (hb_outbox__begin(self, false) != 0)
        return hb_outbox__fail(self, "begin a status read", NULL, 0);
    int rc = status_in_tx(self, out);
    if (rc != 0)
        hb_outbox__fail(self, "read the queue status", NULL, 0);
    if (rc == 0 && hb_outbox__commit(self) != 0)
        rc = hb_outbox__fail(self, "end a status read", NULL, 0);
    if (rc != 0)
        hb_outbox__rollback(self);
    out->last_acked_seq = self->last_acked;
    out->last_seq = self->last_seq;
    return rc;
}

hb_result_t
hb_outbox_dismiss(hb_outbox_t *self, uint64_t seq)
{
    hb_assert(self);
    if (seq == 0 || seq > INT64_MAX)
        return HB_RESULT_NOT_FOUND;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_DISMISS);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) seq);
    if (hb_outbox__run(self, st) != 0) {
        hb_outbox__fail(self, "dismiss a rejection", NULL, 0);
        return HB_RESULT_INTERNAL;
    }
    return sqlite3_changes(self->db) == 1 ? HB_RESULT_OK : HB_RESULT_NOT_FOUND;
}

/* Inside BEGIN IMMEDIATE: raises the seq floor to the highest op (which
 * may be deleted next) and the compacted mark to the highest op deleted,
 * then deletes. Rows deleted or -1. */
static int
compact_in_tx(hb_outbox_t *self, int64_t before)
{
    if (hb_outbox__run(self, hb_outbox__stmt(self, OB_SEQ_FLOOR)) != 0)
        return -1;
    sqlite3_stmt *mark = hb_outbox__stmt(self, OB_COMPACT_MARK);
    sqlite3_bind_int64(mark, 1, before);
    sqlite3_bind_int(mark, 2, HB_COMPACT_OPS_MAX);
    if (hb_outbox__run(self, mark) != 0)
        return -1;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_COMPACT);
    sqlite3_bind_int64(st, 1, before);
    sqlite3_bind_int(st, 2, HB_COMPACT_OPS_MAX);
    if (hb_outbox__run(self, st) != 0)
        return -1;
    return sqlite3_changes(self->db);
}

int
hb_outbox_compact(hb_outbox_t *self, int64_t now, int64_t retention_days)
{
    hb_assert(self && retention_days >= 0);
    if (now < 0 || retention_days > now / SECONDS_PER_DAY)
        return 0;  /* nothing can be that old */
    if (hb_outbox__begin(self, true) != 0)
        return hb_outbox__fail(self, "begin a compaction", NULL, 0);
    int deleted = compact_in_tx(self, now - retention_days * SECONDS_PER_DAY);
    if (deleted < 0)
        hb_outbox__fail(self, "compact", NULL, 0);
    if (deleted >= 0 && hb_outbox__commit(self) != 0)
        deleted = hb_outbox__fail(self, "commit a compaction", NULL, 0);
    if (deleted < 0)
        hb_outbox__rollback(self);
    return deleted;
}
