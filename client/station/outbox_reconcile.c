/* outbox_reconcile.c - what a reconcile run reads and marks in the outbox
 * (PROTOCOL.md "Reconciliation"): the seqs it compares, the station's
 * figures per range (counts and a SHA-256 digest, libsodium's streaming
 * crypto_hash_sha256, in one pass over the range's rows), the acked ops of
 * a range, the resend marks and the ops they send again, and the meta
 * columns of schema 9 (compacted_seq, reconciled_at). The run itself is
 * client/station/reconcile.c. */
#include "outbox.h"
#include "outbox_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "hb_assert.h"
#include "hb_log.h"

_Static_assert(HB_OUTBOX_DIGEST_BYTES == crypto_hash_sha256_BYTES, "the digest is SHA-256");

/* The digest's parts per op: seq and result, big-endian. */
#define SEQ_BYTES 8
#define RESULT_BYTES 4
#define BITS_PER_BYTE 8

const char *const hb_outbox__reconcile_sql[OB_STMT_COUNT] = {
    [OB_RC_FIRST] = "SELECT coalesce(min(seq), 0) FROM ops WHERE seq > (SELECT compacted_seq FROM meta WHERE id = 1)"
                    " AND seq <= ?1 AND result IS NOT NULL"
                    " AND (?2 IS NULL OR posted_day >= ?2 OR (posted_day IS NULL AND acked_at >= ?3))",
    [OB_RC_FIGURES] = "SELECT seq, result, payload_hash, kind, posted_day FROM ops"
                      " WHERE seq >= ?1 AND seq <= ?2 AND result IS NOT NULL ORDER BY seq",
    [OB_RC_MARK] = "UPDATE ops SET resend = 1 WHERE seq = ?1 AND result IS NOT NULL",
    [OB_RC_ANSWERED] = "UPDATE ops SET resend = 0, payload_hash = coalesce(?2, payload_hash),"
                       " posted_day = coalesce(?3, posted_day) WHERE seq = ?1",
    [OB_RC_MARKED_COUNT] = "SELECT count(*) FROM ops INDEXED BY ops_resend WHERE resend = 1 AND seq >= ?1"
                           " AND seq <= ?2",
    [OB_RC_STATE] = "SELECT resend, coalesce(result, 0) FROM ops WHERE seq = ?1",
    [OB_RC_BATCH] = "SELECT seq, payload FROM ops INDEXED BY ops_resend WHERE resend = 1 AND seq > ?1"
                    " ORDER BY seq LIMIT ?2",
    [OB_RC_META_GET] = "SELECT compacted_seq, reconciled_at FROM meta WHERE id = 1",
    [OB_RC_RECONCILED_SET] = "UPDATE meta SET reconciled_at = ?1 WHERE id = 1",
    /* only where none is held and central's result is the one acked here */
    [OB_RC_ADOPT_HASH] = "UPDATE ops SET payload_hash = ?2 WHERE seq = ?1 AND payload_hash IS NULL AND result = ?3",
};

void
hb_outbox__bind_posting(sqlite3_stmt *st, int hash_at, const Hourbank__OpResult *r)
{
    hb_assert(st && r);
    if (r->payload_hash.len == HB_OUTBOX_DIGEST_BYTES)
        sqlite3_bind_blob(st, hash_at, r->payload_hash.data, (int) r->payload_hash.len, SQLITE_TRANSIENT);
    if (r->posted_day && r->posted_day[0])
        sqlite3_bind_text(st, hash_at + 1, r->posted_day, -1, SQLITE_TRANSIENT);
}

int
hb_outbox__resend_answered(hb_outbox_t *self, const Hourbank__OpResult *r, char *msg, size_t msg_size)
{
    hb_assert(self && r);
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_RC_ANSWERED);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) r->seq);
    hb_outbox__bind_posting(st, 2, r);
    if (hb_outbox__run(self, st) != 0)
        return hb_outbox__fail(self, "store the answer to a resent op", msg, msg_size);
    return 0;
}

int
hb_outbox_reconcile_bounds(hb_outbox_t *self, const char *from_day, int64_t from_start, uint64_t *first,
                           uint64_t *last)
{
    hb_assert(self && first && last);
    *first = *last = 0;
    uint64_t upto = self->last_acked;
    if (upto == 0 || upto > INT64_MAX)
        return 0;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_RC_FIRST);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) upto);
    if (from_day && from_day[0]) {
        sqlite3_bind_text(st, 2, from_day, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, from_start);
    }
    int rc = sqlite3_step(st);
    uint64_t found = rc == SQLITE_ROW ? (uint64_t) sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return hb_outbox__fail(self, "find the first seq to reconcile", NULL, 0);
    if (found != 0) {
        *first = found;
        *last = upto;
    }
    return 0;
}

/* Big-endian bytes of v into out (n bytes). */
static void
put_be(uint8_t *out, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t) (v >> (BITS_PER_BYTE * (n - 1 - i)));
}

/* One range's running figures. */
typedef struct {
    crypto_hash_sha256_state sha;
    size_t ops;
} figures_run_t;

static void
range_add(hb_outbox_figures_t *f, figures_run_t *run, uint64_t seq, int result, const void *hash, int hash_len)
{
    if (result == HB_RESULT_OK)
        f->accepted++;
    else
        f->rejected++;
    run->ops++;
    if (hash_len != HB_OUTBOX_DIGEST_BYTES) {
        f->unknown = true;
        return;
    }
    uint8_t part[SEQ_BYTES + HB_OUTBOX_DIGEST_BYTES + RESULT_BYTES];
    put_be(part, seq, SEQ_BYTES);
    memcpy(part + SEQ_BYTES, hash, HB_OUTBOX_DIGEST_BYTES);
    put_be(part + SEQ_BYTES + HB_OUTBOX_DIGEST_BYTES, (uint32_t) result, RESULT_BYTES);
    crypto_hash_sha256_update(&run->sha, part, sizeof part);
}

static void
range_end(hb_outbox_figures_t *f, figures_run_t *run)
{
    uint8_t digest[HB_OUTBOX_DIGEST_BYTES];
    crypto_hash_sha256_final(&run->sha, digest);
    if (run->ops > 0 && !f->unknown) {
        memcpy(f->digest, digest, sizeof digest);
        f->digest_len = sizeof digest;
    }
}

static void
range_begin(hb_outbox_figures_t *f, figures_run_t *run)
{
    f->accepted = f->rejected = 0;
    f->digest_len = 0;
    f->unknown = false;
    run->ops = 0;
    crypto_hash_sha256_init(&run->sha);
}

/* Inside a read transaction: the pass over the rows. */
static int
figures_in_tx(hb_outbox_t *self, hb_outbox_figures_t *ranges, size_t n)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_RC_FIGURES);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) ranges[0].first_seq);
    sqlite3_bind_int64(st, 2, (sqlite3_int64) ranges[n - 1].last_seq);
    figures_run_t run;
    size_t k = 0;
    range_begin(&ranges[0], &run);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t) sqlite3_column_int64(st, 0);
        while (seq > ranges[k].last_seq) {
            range_end(&ranges[k], &run);
            range_begin(&ranges[++k], &run);
        }
        if (seq < ranges[k].first_seq)
            continue;  /* between two ranges */
        range_add(&ranges[k], &run, seq, sqlite3_column_int(st, 1), sqlite3_column_blob(st, 2),
                  sqlite3_column_bytes(st, 2));
    }
    sqlite3_reset(st);
    range_end(&ranges[k], &run);
    while (++k < n) {
        range_begin(&ranges[k], &run);
        range_end(&ranges[k], &run);
    }
    return rc == SQLITE_DONE ? 0 : -1;
}

int
hb_outbox_reconcile_figures(hb_outbox_t *self, hb_outbox_figures_t *ranges, size_t n)
{
    hb_assert(self && ranges && n > 0);
    for (size_t i = 0; i < n; i++)
        hb_assert(ranges[i].first_seq <= ranges[i].last_seq && ranges[i].last_seq <= INT64_MAX &&
                  (i == 0 || ranges[i].first_seq > ranges[i - 1].last_seq));
    if (hb_outbox__begin(self, false) != 0)
        return hb_outbox__fail(self, "begin reading figures", NULL, 0);
    int rc = figures_in_tx(self, ranges, n);
    if (rc != 0)
        hb_outbox__fail(self, "read the figures of seqs to reconcile", NULL, 0);
    if (rc == 0 && hb_outbox__commit(self) != 0)
        rc = hb_outbox__fail(self, "end reading figures", NULL, 0);
    if (rc != 0)
        hb_outbox__rollback(self);
    return rc;
}

int
hb_outbox_reconcile_ops(hb_outbox_t *self, uint64_t first, uint64_t last, hb_outbox_held_t *out, size_t max)
{
    hb_assert(self && out && first <= last && last <= INT64_MAX);
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_RC_FIGURES);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) first);
    sqlite3_bind_int64(st, 2, (sqlite3_int64) last);
    size_t n = 0;
    int rc = SQLITE_DONE;
    while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        hb_outbox_held_t *h = &out[n++];
        h->seq = (uint64_t) sqlite3_column_int64(st, 0);
        h->result = sqlite3_column_int(st, 1);
        h->has_hash = sqlite3_column_bytes(st, 2) == HB_OUTBOX_DIGEST_BYTES;
        if (h->has_hash)
            memcpy(h->hash, sqlite3_column_blob(st, 2), HB_OUTBOX_DIGEST_BYTES);
        hb_outbox__column_text(h->kind, sizeof h->kind, st, 3);
        hb_outbox__column_text(h->posted_day, sizeof h->posted_day, st, 4);
    }
    if (n == max)
        rc = SQLITE_DONE;
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return hb_outbox__fail(self, "read the ops to reconcile", NULL, 0);
    return (int) n;
}

int
hb_outbox_resend_mark(hb_outbox_t *self, const uint64_t *seqs, size_t n)
{
    hb_assert(self && (seqs || n == 0));
    if (hb_outbox__begin(self, true) != 0)
        return hb_outbox__fail(self, "begin marking ops to resend", NULL, 0);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        hb_assert(seqs[i] <= INT64_MAX);
        sqlite3_stmt *st = hb_outbox__stmt(self, OB_RC_MARK);
        sqlite3_bind_int64(st, 1, (sqlite3_int64) seqs[i]);
        rc = hb_outbox__run(self, st);
    }
    if (rc == 0 && hb_outbox__commit(self) != 0)
        rc = -1;
    if (rc != 0) {
        hb_outbox__fail(self, "mark ops to resend", NULL, 0);
        hb_outbox__rollback(self);
    }
    return rc;
}

int
hb_outbox_adopt_hash(hb_outbox_t *self, uint64_t seq, const uint8_t hash[HB_OUTBOX_DIGEST_BYTES], int result)
{
    hb_assert(self && hash && seq <= INT64_MAX);
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_RC_ADOPT_HASH);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) seq);
    sqlite3_bind_blob(st, 2, hash, HB_OUTBOX_DIGEST_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, result);
    return hb_outbox__run(self, st) == 0 ? 0 : hb_outbox__fail(self, "keep central's payload hash", NULL, 0);
}

int64_t
hb_outbox_resend_marked(hb_outbox_t *self, uint64_t first, uint64_t last)
{
    hb_assert(self && first <= last && last <= INT64_MAX);
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_RC_MARKED_COUNT);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) first);
    sqlite3_bind_int64(st, 2, (sqlite3_int64) last);
    int rc = sqlite3_step(st);
    int64_t count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? count : hb_outbox__fail(self, "count the ops to resend", NULL, 0);
}

int
hb_outbox_resend_state(hb_outbox_t *self, uint64_t seq, bool *marked, int *result)
{
    hb_assert(self && marked && result && seq <= INT64_MAX);
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_RC_STATE);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) seq);
    int rc = sqlite3_step(st);
    *marked = rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
    *result = rc == SQLITE_ROW ? sqlite3_column_int(st, 1) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : hb_outbox__fail(self, "read a resent op", NULL, 0);
}

int
hb_outbox_next_resend(hb_outbox_t *self, uint64_t after_seq, size_t max_ops, size_t max_bytes,
                      Hourbank__Batch *batch_out)
{
    hb_assert(self);
    if (!hb_outbox__batch_start(after_seq, &max_ops, batch_out))
        return 0;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_RC_BATCH);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) after_seq);
    sqlite3_bind_int64(st, 2, (sqlite3_int64) max_ops);
    return hb_outbox__batch_fill(self, st, max_ops, max_bytes, batch_out);
}

/* meta.compacted_seq (col 0) or meta.reconciled_at (col 1); -1 on an error. */
static int64_t
meta_column(hb_outbox_t *self, int col)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_RC_META_GET);
    int rc = sqlite3_step(st);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, col) : -1;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? v : hb_outbox__fail(self, "read meta", NULL, 0);
}

uint64_t
hb_outbox_compacted_seq(hb_outbox_t *self)
{
    hb_assert(self);
    int64_t v = meta_column(self, 0);
    return v > 0 ? (uint64_t) v : 0;
}

int64_t
hb_outbox_reconciled_at(hb_outbox_t *self)
{
    hb_assert(self);
    return meta_column(self, 1);
}

int
hb_outbox_set_reconciled_at(hb_outbox_t *self, int64_t at)
{
    hb_assert(self);
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_RC_RECONCILED_SET);
    sqlite3_bind_int64(st, 1, at);
    return hb_outbox__run(self, st) == 0 ? 0 : hb_outbox__fail(self, "store when reconciling ended", NULL, 0);
}
