/* outbox_resync.c - what the outbox does when central's marks disagree
 * with its own.
 *
 * Central ahead (its high-water mark is above every seq this file ever
 * assigned, or its member serial mark above this file's next serial): the
 * file was restored from an old backup, so the next seq and the next serial
 * move past central's marks and nothing is handed out twice
 * (hb_outbox_confirm_marks).
 *
 * Central behind (its mark is below seqs this file holds acks for): central
 * was restored from an older dump or failed over to a standby that missed
 * commits. Every op still held above its mark is sent again, acked or not
 * (hb_outbox_resend); central posts each once; an answer that differs from
 * the first ack is kept beside it (prior_result, prior_message,
 * prior_transfer_id, changed_at) for district IT. */
#include "outbox.h"
#include "outbox_int.h"

#include <inttypes.h>
#include <stdio.h>

#include "hb_assert.h"
#include "hb_log.h"

const char *const hb_outbox__resync_sql[OB_STMT_COUNT] = {
    /* acked or not, up to ?3; pending beyond it */
    [OB_BATCH_RESEND] = "SELECT seq, payload FROM ops WHERE seq > ?1 AND (result IS NULL OR seq <= ?3)"
                        " ORDER BY seq LIMIT ?2",
    /* The first ack stays in prior_*; an answer equal to it clears them
     * again. A new rejection is shown to the operator (dismissed = 0) and
     * counts for nothing in pending balances (in_directory = 1); a new OK
     * counts until the next complete directory sync (in_directory = 0). */
    [OB_RESULT_CHANGE] =
        "UPDATE ops SET"
        " prior_result = CASE WHEN coalesce(prior_result, result) = ?2 THEN NULL"
        "  ELSE coalesce(prior_result, result) END,"
        " prior_message = CASE WHEN coalesce(prior_result, result) = ?2 THEN NULL"
        "  WHEN prior_result IS NULL THEN message ELSE prior_message END,"
        " prior_transfer_id = CASE WHEN coalesce(prior_result, result) = ?2 THEN NULL"
        "  WHEN prior_result IS NULL THEN transfer_id ELSE prior_transfer_id END,"
        " changed_at = CASE WHEN coalesce(prior_result, result) = ?2 THEN NULL ELSE ?5 END,"
        " dismissed = CASE WHEN result = ?2 THEN dismissed ELSE 0 END,"
        " in_directory = CASE WHEN result = ?2 THEN in_directory ELSE (?2 <> " OB_SQL_OK ") END,"
        " result = ?2, message = ?3, transfer_id = ?4, acked_at = ?5, params = ?6,"
        " payload_hash = coalesce(?7, payload_hash), posted_day = coalesce(?8, posted_day)"
        " WHERE seq = ?1 AND result IS NOT NULL",
    [OB_HELD_COUNT] = "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM ops"
                      " WHERE seq > ?1 AND seq <= ?2",
    [OB_MARKS_CONFIRM] = "UPDATE meta SET last_seq = max(last_seq, ?1), next_serial = max(next_serial, ?2),"
                         " restored = 0 WHERE id = 1",
    [OB_DIR_REWIND] = "UPDATE meta SET directory_version = 0 WHERE id = 1 AND directory_version > ?1",
};

int
hb_outbox__result_change(hb_outbox_t *self, const Hourbank__OpResult *r, int held, int64_t now, char *msg,
                         size_t msg_size)
{
    hb_assert(self && r);  /* resent: central had lost it, or a reconcile run found it missing */
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_RESULT_CHANGE);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) r->seq);
    sqlite3_bind_int(st, 2, (int) r->result);
    sqlite3_bind_text(st, 3, r->message ? r->message : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64) r->transfer_id);
    sqlite3_bind_int64(st, 5, now);
    char params[OB_PARAMS_TEXT_BYTES];
    if (hb_outbox__params_format(r, params, sizeof params))
        sqlite3_bind_text(st, 6, params, -1, SQLITE_TRANSIENT);
    hb_outbox__bind_posting(st, 7, r);
    if (hb_outbox__run(self, st) != 0)
        return hb_outbox__fail(self, "store a changed result", msg, msg_size);
    if (held != (int) r->result)
        hb_log_warn("op answered differently when resent to central seq=%" PRIu64 " first=%s now=%s"
                    " message=\"%s\"", r->seq, hb_result_name((hb_result_t) held),
                    hb_result_name((hb_result_t) r->result), r->message ? r->message : "");
    return 0;
}

uint64_t
hb_outbox_resend(hb_outbox_t *self, uint64_t central_hwm, hb_outbox_resend_t *out)
{
    hb_assert(self && out);
    *out = (hb_outbox_resend_t) {0};
    self->resend_through = 0;
    if (central_hwm >= self->last_acked)
        return 0;
    out->lost = self->last_acked - central_hwm;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_HELD_COUNT);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) central_hwm);
    sqlite3_bind_int64(st, 2, (sqlite3_int64) self->last_acked);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->held = (uint64_t) sqlite3_column_int64(st, 0);
        out->first_held = (uint64_t) sqlite3_column_int64(st, 1);
        out->last_held = (uint64_t) sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        hb_outbox__fail(self, "count the ops to resend", NULL, 0);
        out->error = true;
        return out->lost;
    }
    /* a batch must start at central's mark + 1: held ops past a missing one
     * cannot be posted before it (central answers SEQ_GAP) */
    out->gap = out->held < out->lost && (out->held == 0 || out->first_held != central_hwm + 1 ||
                                         out->last_held - out->first_held + 1 != out->held);
    self->resend_through = out->held > 0 ? out->last_held : 0;
    return out->lost;
}

bool
hb_outbox_resending(const hb_outbox_t *self)
{
    hb_assert(self);
    return self->resend_through != 0;
}

int
hb_outbox_confirm_marks(hb_outbox_t *self, uint64_t central_hwm, uint32_t serial_mark)
{
    hb_assert(self && serial_mark <= HB_MEMBER_SERIAL_MAX);
    if (central_hwm > INT64_MAX) {
        hb_log_error("outbox: central high-water mark out of range path=\"%s\" hwm=%" PRIu64, self->path,
                     central_hwm);
        return -1;
    }
    ob_meta_t before;
    if (hb_outbox__begin(self, true) != 0)
        return hb_outbox__fail(self, "begin confirming central's marks", NULL, 0);
    int rc = hb_outbox__meta_read(self, &before);
    if (rc == 0) {
        sqlite3_stmt *st = hb_outbox__stmt(self, OB_MARKS_CONFIRM);
        sqlite3_bind_int64(st, 1, (sqlite3_int64) central_hwm);
        sqlite3_bind_int64(st, 2, (sqlite3_int64) serial_mark + 1);
        rc = hb_outbox__run(self, st);
    }
    if (rc == 0)
        rc = hb_outbox__commit(self);
    if (rc != 0) {
        hb_outbox__fail(self, "store central's marks", NULL, 0);
        hb_outbox__rollback(self);
    } else if (self->restored) {
        self->restored = false;
        hb_log_info("outbox: central has confirmed the marks of this restored file; saves go on path=\"%s\""
                    " central_hwm=%" PRIu64 " serial_mark=%" PRIu32, self->path, central_hwm, serial_mark);
    }
    if (rc == 0 && (central_hwm > before.last_seq || serial_mark >= before.next_serial)) {
        hb_log_warn("outbox: central holds more than this file (restored from a backup?) path=\"%s\""
                    " seqs_skipped=%" PRIu64 " next_serial=%" PRIu32 " was=%" PRIu32, self->path,
                    central_hwm > before.last_seq ? central_hwm - before.last_seq : 0,
                    serial_mark >= before.next_serial ? serial_mark + 1 : before.next_serial, before.next_serial);
    }
    hb_outbox__refresh(self);
    return rc;
}

int
hb_outbox_directory_rewind(hb_outbox_t *self, uint64_t central_version)
{
    hb_assert(self);
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_DIR_REWIND);
    sqlite3_bind_int64(st, 1, central_version <= INT64_MAX ? (sqlite3_int64) central_version : INT64_MAX);
    if (hb_outbox__run(self, st) != 0)
        return hb_outbox__fail(self, "rewind the directory version", NULL, 0);
    if (sqlite3_changes(self->db) > 0)
        hb_log_warn("outbox: central's directory is older than the cached one (central restored?): reading it"
                    " again from the start path=\"%s\" central_version=%" PRIu64, self->path, central_version);
    return 0;
}
