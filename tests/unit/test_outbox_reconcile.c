/* test_outbox_reconcile.c - what a reconcile run reads and marks in the
 * outbox (outbox_reconcile.c, schema 9; PROTOCOL.md "Reconciliation"):
 * the hash and posted day of an ack are kept (NULL from an older central),
 * the figures equal an independent computation of the digest, a range
 * with an op of unknown hash is marked so, the seqs compared (compacted
 * mark, from_day, pending), compaction raises the mark and keeps ops
 * marked for resending, marks survive a reopen and are sent in batches of
 * consecutive seqs, central's answer to a resent op is kept beside the
 * first ack, a version 8 file is upgraded with its ops, and the figures of
 * 100,000 ops are read fast. Every test works in its own mkdtemp dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "hb_memberno.h"
#include "outbox.h"

#define STATION 1u
#define COMMUNITY "QX03"
#define T0 INT64_C(1704067200) /* 2024-01-01 00:00 UTC */
#define DAY INT64_C(86400)
#define MSG_BYTES (HB_MESSAGE_BYTES_MAX * 2)
#define DIR_BYTES 200
#define PATH_BYTES 256
#define ACK_MAX 16
#define SQL_BYTES 1024
/* ops written straight into the file for the figures (no fsync per op) */
#define BULK_OPS 2500
#define PERF_OPS 100000
/* what the figures of PERF_OPS ops may take at most (the whole run must
 * stay well under 5 s) */
#define PERF_FIGURES_MS_MAX 1500
#define PART_BYTES (8 + HB_OUTBOX_DIGEST_BYTES + 4)

typedef struct {
    char dir[DIR_BYTES];
    char path[PATH_BYTES];
    char msg[MSG_BYTES];
    hb_outbox_t *ob;
    char a[HB_MEMBER_NO_BUF_BYTES], b[HB_MEMBER_NO_BUF_BYTES];
} fixture_t;

static hb_outbox_t *
open_ob(fixture_t *f)
{
    hb_outbox_t *ob = hb_outbox_open(f->path, STATION, COMMUNITY, HB_OUTBOX_BYTES_DEFAULT, f->msg, sizeof f->msg);
    if (!ob)
        print_error("open failed: %s\n", f->msg);
    assert_non_null(ob);
    return ob;
}

static void
reopen(fixture_t *f)
{
    hb_outbox_destroy(&f->ob);
    f->ob = open_ob(f);
}

static int
setup(void **state)
{
    assert_true(sodium_init() >= 0);
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "%s/test_outbox_rc.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/outbox.db", f->dir);
    assert_int_equal(hb_memberno_format(f->a, sizeof f->a, COMMUNITY, 101), 0);
    assert_int_equal(hb_memberno_format(f->b, sizeof f->b, COMMUNITY, 102), 0);
    f->ob = open_ob(f);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    hb_outbox_destroy(&f->ob);
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char p[PATH_BYTES + 8];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffixes[i]);
        unlink(p);
    }
    assert_int_equal(rmdir(f->dir), 0);
    free(f);
    return 0;
}

static void
sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *err = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static int64_t
sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    return v;
}

static uint64_t
save_service(fixture_t *f, int64_t minutes)
{
    Hourbank__Op op;
    Hourbank__ServiceRecord s;
    hourbank__op__init(&op);
    hourbank__service_record__init(&s);
    op.occurred_at = T0;
    op.kind_case = HOURBANK__OP__KIND_SERVICE;
    op.service = &s;
    s.provider = f->a;
    s.recipient = f->b;
    s.minutes = minutes;
    s.category = "companionship";
    uint64_t seq = 0;
    char no[HB_MEMBER_NO_BUF_BYTES];
    hb_result_t r = hb_outbox_save(f->ob, &op, T0, &seq, no, f->msg, sizeof f->msg);
    if (r != HB_RESULT_OK)
        print_error("save failed: %s\n", f->msg);
    assert_int_equal(r, HB_RESULT_OK);
    return seq;
}

/* The test's hash of op seq: 32 bytes derived from seq and salt. */
static void
test_hash(uint64_t seq, uint8_t salt, uint8_t out[HB_OUTBOX_DIGEST_BYTES])
{
    for (size_t i = 0; i < HB_OUTBOX_DIGEST_BYTES; i++)
        out[i] = (uint8_t) (seq * 31 + i * 7 + salt);
}

typedef struct {
    Hourbank__BatchAck ack;
    Hourbank__OpResult results[ACK_MAX];
    Hourbank__OpResult *ptrs[ACK_MAX];
    uint8_t hashes[ACK_MAX][HB_OUTBOX_DIGEST_BYTES];
} ack_t;

/* Acks seqs first..first+n-1 with result and transfer ids base+seq; with
 * a hash (salt) and posted day when day is not NULL (a new central). */
static int
ack_with(fixture_t *f, uint64_t first, size_t n, hb_result_t result, uint64_t base, const char *day, uint8_t salt,
         int64_t now)
{
    ack_t a;
    assert_true(n <= ACK_MAX);
    hourbank__batch_ack__init(&a.ack);
    a.ack.batch_result = HOURBANK__RESULT__OK;
    a.ack.n_results = n;
    a.ack.results = a.ptrs;
    for (size_t i = 0; i < n; i++) {
        Hourbank__OpResult *r = &a.results[i];
        hourbank__op_result__init(r);
        r->seq = first + i;
        r->result = (Hourbank__Result) result;
        r->message = result == HB_RESULT_OK ? "" : "rejected for the test";
        r->transfer_id = result == HB_RESULT_OK ? base + r->seq : 0;
        if (day) {
            test_hash(r->seq, salt, a.hashes[i]);
            r->payload_hash = (ProtobufCBinaryData){HB_OUTBOX_DIGEST_BYTES, a.hashes[i]};
            r->posted_day = (char *) (uintptr_t) day;
        }
        a.ptrs[i] = r;
    }
    return hb_outbox_ack(f->ob, &a.ack, now, f->msg, sizeof f->msg);
}

static void
ack_ok(fixture_t *f, uint64_t first, size_t n, hb_result_t result, const char *day, int64_t now)
{
    int rc = ack_with(f, first, n, result, 1000, day, 0, now);
    if (rc != 0)
        print_error("ack failed: %s\n", f->msg);
    assert_int_equal(rc, 0);
}

/* Writes acked ops first..last straight into the file (payloads are not
 * read by the figures): OK but every seventh rejected (code 5), each with
 * the test's hash and a posted day, except seq null_seq (NULL hash). */
static void
bulk_ops(fixture_t *f, uint64_t first, uint64_t last, uint64_t null_seq)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO ops (seq, kind, payload, summary, saved_at, result,"
                                        " acked_at, in_directory, payload_hash, posted_day) VALUES"
                                        " (?1, 'service', x'00', 'bulk', ?2, ?3, ?2, 1, ?4, '2024-01-01')",
                                        -1, &st, NULL), SQLITE_OK);
    for (uint64_t seq = first; seq <= last; seq++) {
        uint8_t h[HB_OUTBOX_DIGEST_BYTES];
        test_hash(seq, 0, h);
        sqlite3_bind_int64(st, 1, (sqlite3_int64) seq);
        sqlite3_bind_int64(st, 2, T0);
        sqlite3_bind_int(st, 3, seq % 7 == 0 ? 5 : HB_RESULT_OK);
        if (seq == null_seq)
            sqlite3_bind_null(st, 4);
        else
            sqlite3_bind_blob(st, 4, h, sizeof h, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* The figures of [first, last] computed apart: the rows read on another
 * connection, the whole concatenation hashed at once. */
static void
expected(fixture_t *f, uint64_t first, uint64_t last, hb_outbox_figures_t *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = (size_t) (last - first + 1) * PART_BYTES, len = 0;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT seq, result, payload_hash FROM ops WHERE seq BETWEEN ?1 AND ?2"
                                        " AND result IS NOT NULL ORDER BY seq", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) first);
    sqlite3_bind_int64(st, 2, (sqlite3_int64) last);
    while (sqlite3_step(st) == SQLITE_ROW) {
        uint64_t seq = (uint64_t) sqlite3_column_int64(st, 0);
        uint32_t result = (uint32_t) sqlite3_column_int(st, 1);
        if (result == HB_RESULT_OK)
            out->accepted++;
        else
            out->rejected++;
        if (sqlite3_column_type(st, 2) == SQLITE_NULL)
            out->unknown = true;
        for (int i = 7; i >= 0; i--)
            buf[len++] = (uint8_t) (seq >> (8 * i));
        if (sqlite3_column_bytes(st, 2) == HB_OUTBOX_DIGEST_BYTES)
            memcpy(buf + len, sqlite3_column_blob(st, 2), HB_OUTBOX_DIGEST_BYTES);
        len += HB_OUTBOX_DIGEST_BYTES;
        for (int i = 3; i >= 0; i--)
            buf[len++] = (uint8_t) (result >> (8 * i));
    }
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    if (len > 0 && !out->unknown) {
        crypto_hash_sha256(out->digest, buf, len);
        out->digest_len = HB_OUTBOX_DIGEST_BYTES;
    }
    free(buf);
}

static void
assert_figures(const hb_outbox_figures_t *got, const hb_outbox_figures_t *want)
{
    assert_int_equal(got->accepted, want->accepted);
    assert_int_equal(got->rejected, want->rejected);
    assert_int_equal(got->unknown, want->unknown);
    assert_int_equal(got->digest_len, want->digest_len);
    assert_memory_equal(got->digest, want->digest, want->digest_len);
}

/* ---- tests ---- */

/* An ack keeps central's hash and posted day with the op; an older
 * central's (neither said) leaves both NULL. */
static void
test_ack_keeps_hash_and_day(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 3; i++)
        save_service(f, 30);
    ack_ok(f, 1, 2, HB_RESULT_OK, "2024-01-02", T0);
    ack_ok(f, 3, 1, HB_RESULT_OK, NULL, T0);
    assert_int_equal(sql_int(f->path, "SELECT count(*) FROM ops WHERE length(payload_hash) = 32"
                                      " AND posted_day = '2024-01-02'"), 2);
    assert_int_equal(sql_int(f->path, "SELECT count(*) FROM ops WHERE seq = 3 AND payload_hash IS NULL"
                                      " AND posted_day IS NULL"), 1);
    hb_outbox_held_t held[4];
    assert_int_equal(hb_outbox_reconcile_ops(f->ob, 1, 3, held, 4), 3);
    uint8_t h[HB_OUTBOX_DIGEST_BYTES];
    test_hash(2, 0, h);
    assert_true(held[1].has_hash);
    assert_memory_equal(held[1].hash, h, sizeof h);
    assert_string_equal(held[1].posted_day, "2024-01-02");
    assert_string_equal(held[1].kind, "service");
    assert_int_equal(held[1].result, HB_RESULT_OK);
    assert_false(held[2].has_hash);
    assert_string_equal(held[2].posted_day, "");
}

/* The figures of bucket ranges equal the digest computed apart; a range
 * with no op has none; an op without a hash makes its range unknown. */
static void
test_figures(void **state)
{
    fixture_t *f = *state;
    hb_outbox_destroy(&f->ob);
    bulk_ops(f, 1, BULK_OPS, 1500);
    sql_exec(f->path, "DELETE FROM ops WHERE seq BETWEEN 2001 AND 2100");  /* a hole: that range's ops are fewer */
    f->ob = open_ob(f);
    hb_outbox_figures_t r[5] = {{.first_seq = 1, .last_seq = 1000}, {.first_seq = 1001, .last_seq = 2000},
                                {.first_seq = 2001, .last_seq = 2100}, {.first_seq = 2101, .last_seq = 2500},
                                {.first_seq = 2501, .last_seq = 3000}};
    assert_int_equal(hb_outbox_reconcile_figures(f->ob, r, 5), 0);
    hb_outbox_figures_t want;
    expected(f, 1, 1000, &want);
    assert_int_equal(want.accepted + want.rejected, 1000);
    assert_int_equal(want.rejected, 142);  /* every seventh */
    assert_figures(&r[0], &want);
    expected(f, 1001, 2000, &want);
    assert_true(want.unknown);  /* seq 1500 has no hash */
    assert_figures(&r[1], &want);
    assert_int_equal(r[1].accepted + r[1].rejected, 1000);
    assert_int_equal(r[2].accepted + r[2].rejected, 0);
    assert_int_equal(r[2].digest_len, 0);
    assert_false(r[2].unknown);
    expected(f, 2101, 2500, &want);
    assert_figures(&r[3], &want);
    assert_int_equal(r[4].accepted + r[4].rejected, 0);
    assert_int_equal(r[4].digest_len, 0);
    /* ranges need not start at a bucket: a middle slice alone, and a
     * result changed changes the digest */
    hb_outbox_figures_t mid = {.first_seq = 101, .last_seq = 350};
    assert_int_equal(hb_outbox_reconcile_figures(f->ob, &mid, 1), 0);
    expected(f, 101, 350, &want);
    assert_figures(&mid, &want);
    hb_outbox_destroy(&f->ob);
    sql_exec(f->path, "UPDATE ops SET result = 5 WHERE seq = 200");
    f->ob = open_ob(f);
    hb_outbox_figures_t after = {.first_seq = 101, .last_seq = 350};
    assert_int_equal(hb_outbox_reconcile_figures(f->ob, &after, 1), 0);
    assert_int_equal(after.rejected, mid.rejected + 1);
    assert_memory_not_equal(after.digest, mid.digest, HB_OUTBOX_DIGEST_BYTES);
}

/* The seqs compared: from the lowest held above the compacted mark to the
 * last below every pending op; with a day, from the first op posted on or
 * after it (an op without a posted day: acked on or after the day's start). */
static void
test_bounds(void **state)
{
    fixture_t *f = *state;
    uint64_t first = 9, last = 9;
    assert_int_equal(hb_outbox_reconcile_bounds(f->ob, "", 0, &first, &last), 0);
    assert_true(first == 0 && last == 0);  /* nothing acked */
    for (int i = 0; i < 8; i++)
        save_service(f, 30);
    ack_ok(f, 1, 2, HB_RESULT_OK, "2024-01-01", T0);
    ack_ok(f, 3, 2, HB_RESULT_OK, "2024-01-03", T0 + 2 * DAY);
    ack_ok(f, 5, 1, HB_RESULT_OK, NULL, T0 + 4 * DAY);  /* an older central: no posted day */
    ack_ok(f, 7, 1, HB_RESULT_OK, "2024-01-09", T0 + 8 * DAY);  /* 6 still pending */
    assert_int_equal(hb_outbox_reconcile_bounds(f->ob, "", 0, &first, &last), 0);
    assert_int_equal(first, 1);
    assert_int_equal(last, 5);  /* below the first pending op */
    assert_int_equal(hb_outbox_reconcile_bounds(f->ob, "2024-01-02", T0 + DAY, &first, &last), 0);
    assert_int_equal(first, 3);
    assert_int_equal(hb_outbox_reconcile_bounds(f->ob, "2024-01-04", T0 + 3 * DAY, &first, &last), 0);
    assert_int_equal(first, 5);  /* by its ack's day */
    assert_int_equal(hb_outbox_reconcile_bounds(f->ob, "2024-01-06", T0 + 5 * DAY, &first, &last), 0);
    assert_true(first == 0 && last == 0);  /* seq 7 is past the pending op */
    /* compaction of seqs 1-2 moves the first seq past them */
    hb_outbox_destroy(&f->ob);
    sql_exec(f->path, "UPDATE ops SET acked_at = 0 WHERE seq <= 2");
    f->ob = open_ob(f);
    assert_int_equal(hb_outbox_compact(f->ob, T0, 1), 2);
    assert_int_equal(hb_outbox_compacted_seq(f->ob), 2);
    assert_int_equal(hb_outbox_reconcile_bounds(f->ob, "", 0, &first, &last), 0);
    assert_int_equal(first, 3);
}

/* Compaction raises the mark to the highest seq it deleted, never lowers
 * it, and keeps an op marked for resending until central answers it. */
static void
test_compaction_mark(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 6; i++)
        save_service(f, 30);
    ack_ok(f, 1, 3, HB_RESULT_OK, "2024-01-01", T0);
    ack_ok(f, 4, 1, HB_RESULT_INVALID_DURATION, "2024-01-01", T0);  /* rejected, not dismissed: kept */
    ack_ok(f, 5, 2, HB_RESULT_OK, "2024-01-01", T0);
    uint64_t marked[] = {6};
    assert_int_equal(hb_outbox_resend_mark(f->ob, marked, 1), 0);
    assert_int_equal(hb_outbox_compacted_seq(f->ob), 0);
    assert_int_equal(hb_outbox_compact(f->ob, T0 + 2 * DAY, 1), 4);  /* 1-3 and 5 */
    assert_int_equal(hb_outbox_compacted_seq(f->ob), 5);
    assert_int_equal(sql_int(f->path, "SELECT count(*) FROM ops WHERE seq IN (4, 6)"), 2);
    reopen(f);
    assert_int_equal(hb_outbox_compacted_seq(f->ob), 5);
    assert_int_equal(hb_outbox_dismiss(f->ob, 4), HB_RESULT_OK);
    assert_int_equal(hb_outbox_compact(f->ob, T0 + 2 * DAY, 1), 1);
    assert_int_equal(hb_outbox_compacted_seq(f->ob), 5);  /* 4 is below: the mark stays */
}

/* Resend marks survive a reopen; the marked ops go out in batches of
 * consecutive seqs; central's answer clears a mark and is kept (a changed
 * result beside the first ack), with the hash and day it says. */
static void
test_resend_marks(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 8; i++)
        save_service(f, 30);
    ack_ok(f, 1, 8, HB_RESULT_OK, NULL, T0);  /* an older central: no hashes */
    uint64_t missing[] = {2, 3, 4, 7};
    assert_int_equal(hb_outbox_resend_mark(f->ob, missing, 4), 0);
    reopen(f);
    assert_int_equal(hb_outbox_resend_marked(f->ob, 1, 8), 4);
    Hourbank__Batch b;
    assert_int_equal(hb_outbox_next_resend(f->ob, 0, HB_BATCH_OPS_MAX, HB_MSG_BYTES_MAX, &b), 3);
    assert_int_equal(b.ops[0]->seq, 2);
    assert_int_equal(b.ops[2]->seq, 4);
    hb_outbox_batch_free(&b);
    assert_int_equal(hb_outbox_next_resend(f->ob, 4, HB_BATCH_OPS_MAX, HB_MSG_BYTES_MAX, &b), 1);
    assert_int_equal(b.ops[0]->seq, 7);
    hb_outbox_batch_free(&b);
    assert_int_equal(hb_outbox_next_resend(f->ob, 7, HB_BATCH_OPS_MAX, HB_MSG_BYTES_MAX, &b), 0);
    assert_int_equal(hb_outbox_next_resend(f->ob, 0, 2, HB_MSG_BYTES_MAX, &b), 2);  /* max_ops holds */
    hb_outbox_batch_free(&b);
    /* 2 and 3 answered as before (new transfer ids: posted again), 4 now refused */
    assert_int_equal(ack_with(f, 2, 2, HB_RESULT_OK, 5000, "2024-01-05", 0, T0 + DAY), 0);
    assert_int_equal(ack_with(f, 4, 1, HB_RESULT_DAILY_LIMIT_EXCEEDED, 0, "2024-01-05", 0, T0 + DAY), 0);
    assert_int_equal(hb_outbox_resend_marked(f->ob, 1, 8), 1);
    bool marked = true;
    int result = 0;
    assert_int_equal(hb_outbox_resend_state(f->ob, 4, &marked, &result), 0);
    assert_false(marked);
    assert_int_equal(result, HB_RESULT_DAILY_LIMIT_EXCEEDED);
    assert_int_equal(hb_outbox_resend_state(f->ob, 7, &marked, &result), 0);
    assert_true(marked);
    assert_int_equal(sql_int(f->path, "SELECT prior_result FROM ops WHERE seq = 4"), HB_RESULT_OK);
    assert_int_equal(sql_int(f->path, "SELECT prior_result IS NULL AND transfer_id = 5002 FROM ops WHERE seq = 2"), 1);
    assert_int_equal(sql_int(f->path, "SELECT count(*) FROM ops WHERE posted_day = '2024-01-05'"
                                      " AND length(payload_hash) = 32"), 3);
    /* an op not marked answered differently is still refused (another station on this id) */
    assert_int_equal(ack_with(f, 5, 1, HB_RESULT_DAILY_LIMIT_EXCEEDED, 0, NULL, 0, T0 + DAY), -1);
    assert_non_null(strstr(f->msg, "another station may be using station id"));
    hb_outbox_status_t st;
    assert_int_equal(hb_outbox_status(f->ob, &st), 0);
    assert_int_equal(st.changed, 1);
}

/* A version 8 file opens as version 9 with its ops, pending and acked, no
 * hashes (compared by result alone: unknown), no marks, and its compacted
 * mark at the highest seq it does not hold below the ones it holds. */
static void
test_upgrade_from_8(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 6; i++)
        save_service(f, 30 + i);
    ack_ok(f, 1, 5, HB_RESULT_OK, NULL, T0);
    hb_outbox_destroy(&f->ob);
    sql_exec(f->path, "DELETE FROM ops WHERE seq IN (1, 3);"  /* compacted by an older hourbank */
                      "DROP INDEX ops_resend; ALTER TABLE ops DROP COLUMN payload_hash;"
                      " ALTER TABLE ops DROP COLUMN posted_day; ALTER TABLE ops DROP COLUMN resend;"
                      " ALTER TABLE meta DROP COLUMN compacted_seq; ALTER TABLE meta DROP COLUMN reconciled_at;"
                      " PRAGMA user_version = 8");
    f->ob = open_ob(f);
    assert_int_equal(sql_int(f->path, "PRAGMA user_version"), 9);
    assert_int_equal(sql_int(f->path, "SELECT count(*) FROM ops"), 4);
    assert_int_equal(sql_int(f->path, "SELECT count(*) FROM ops WHERE result IS NULL"), 1);
    assert_int_equal(sql_int(f->path, "SELECT sum(minutes) FROM ops"), 31 + 33 + 34 + 35);
    assert_int_equal(hb_outbox_last_acked(f->ob), 5);
    assert_int_equal(hb_outbox_compacted_seq(f->ob), 3);
    assert_int_equal(hb_outbox_reconciled_at(f->ob), 0);
    assert_int_equal(hb_outbox_resend_marked(f->ob, 1, 6), 0);
    uint64_t first, last;
    assert_int_equal(hb_outbox_reconcile_bounds(f->ob, "", 0, &first, &last), 0);
    assert_int_equal(first, 4);
    assert_int_equal(last, 5);
    hb_outbox_figures_t r = {.first_seq = 4, .last_seq = 5};
    assert_int_equal(hb_outbox_reconcile_figures(f->ob, &r, 1), 0);
    assert_int_equal(r.accepted, 2);
    assert_true(r.unknown);
    assert_int_equal(hb_outbox_set_reconciled_at(f->ob, T0), 0);
    reopen(f);
    assert_int_equal(hb_outbox_reconciled_at(f->ob), T0);
    /* the file goes on: a new op, and a compaction that keeps the mark */
    assert_int_equal(save_service(f, 40), 7);
}

static int64_t
elapsed_ms(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

/* The figures of 100,000 retained ops, bucket by bucket as a run asks
 * them (one pass per query of up to 256 ranges), and listing one bucket:
 * measured, and bounded far below the 5 s a whole run may take. */
static void
test_figures_100k(void **state)
{
    fixture_t *f = *state;
    hb_outbox_destroy(&f->ob);
    bulk_ops(f, 1, PERF_OPS, 0);
    f->ob = open_ob(f);
    static hb_outbox_figures_t r[PERF_OPS / HB_RECONCILE_BUCKET_OPS];
    size_t n = sizeof r / sizeof r[0];
    for (size_t k = 0; k < n; k++) {
        r[k].first_seq = k * HB_RECONCILE_BUCKET_OPS + 1;
        r[k].last_seq = (k + 1) * HB_RECONCILE_BUCKET_OPS;
    }
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    assert_int_equal(hb_outbox_reconcile_figures(f->ob, r, n), 0);
    int64_t ms = elapsed_ms(&t);
    static hb_outbox_held_t held[HB_RECONCILE_RANGE_SEQS_MAX];
    clock_gettime(CLOCK_MONOTONIC, &t);
    assert_int_equal(hb_outbox_reconcile_ops(f->ob, 50001, 51000, held, HB_RECONCILE_RANGE_SEQS_MAX), 1000);
    int64_t list_ms = elapsed_ms(&t);
    print_message("figures of %d ops in %zu ranges: %" PRId64 " ms; one bucket listed: %" PRId64 " ms\n", PERF_OPS, n,
                  ms, list_ms);
    hb_outbox_figures_t want;
    expected(f, 99001, 100000, &want);
    assert_figures(&r[n - 1], &want);
    assert_true(ms < PERF_FIGURES_MS_MAX);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ack_keeps_hash_and_day, setup, teardown),
        cmocka_unit_test_setup_teardown(test_figures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compaction_mark, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resend_marks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_from_8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_figures_100k, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
