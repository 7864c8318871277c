/* test_outbox.c - the station outbox: seqs, member numbers, batches, acks,
 * limits, compaction, refusal of foreign, corrupt, empty and cut-short
 * files, atomic private creation, the restored flag, copies, directory,
 * pending minutes, categories. Every test works in its own mkdtemp dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "hb_memberno.h"
#include "hb_wire.h"
#include "outbox.h"
#include "outbox_int.h" /* the SQLite handle, to count commits */

#define STATION 1u
#define COMMUNITY "QX03"
#define T0 INT64_C(1704067200) /* 2024-01-01 */
#define DAY INT64_C(86400)
#define MSG_BYTES (HB_MESSAGE_BYTES_MAX * 2)
#define DIR_BYTES 200
#define PATH_BYTES 256 /* the dir and a file name under it */
#define FILL_OPS_MAX 100000 /* bound on the loop that fills an outbox */
#define PAGE_BYTES 4096     /* SQLite's default page size */
#define GARBAGE_BYTES 2048
/* What version 9 (issue 17) added, taken away to make a version 8 file. */
#define V9_STRIP                                                                                              \
    "DROP INDEX ops_resend; ALTER TABLE ops DROP COLUMN payload_hash; ALTER TABLE ops DROP COLUMN posted_day;"  \
    "ALTER TABLE ops DROP COLUMN resend; ALTER TABLE meta DROP COLUMN compacted_seq;"                           \
    "ALTER TABLE meta DROP COLUMN reconciled_at;"
/* What versions 7 (issue 15), 8 (issue 16) and 9 added, taken away to make an older file. */
#define V7_STRIP                                                                                              \
    V9_STRIP                                                                                                  \
    "DROP TABLE member_numbers; ALTER TABLE members DROP COLUMN family; ALTER TABLE members DROP COLUMN left;" \
    "ALTER TABLE operators DROP COLUMN language; ALTER TABLE operators DROP COLUMN failed_sign_ins;"            \
    "ALTER TABLE operators DROP COLUMN locked_until;"
/* More acked ops than one compaction call may delete (HB_COMPACT_OPS_MAX
 * is private to outbox.c; this is well above any sane per-tick bound). */
#define COMPACT_TEST_OPS (HB_BATCH_OPS_MAX * 8)

typedef struct {
    char dir[DIR_BYTES];
    char path[PATH_BYTES];
    char msg[MSG_BYTES];
    hb_outbox_t *ob;
    /* member numbers for the directory: serials 101.. */
    char a[HB_MEMBER_NO_BUF_BYTES], b[HB_MEMBER_NO_BUF_BYTES], c[HB_MEMBER_NO_BUF_BYTES];
} fixture_t;

/* ---- fixture ---- */

static void
member_no(char *buf, uint32_t serial)
{
    assert_int_equal(hb_memberno_format(buf, HB_MEMBER_NO_BUF_BYTES, COMMUNITY, serial), 0);
}

static hb_outbox_t *
open_ob(fixture_t *f, int64_t max_bytes)
{
    hb_outbox_t *ob = hb_outbox_open(f->path, STATION, COMMUNITY, max_bytes, f->msg, sizeof f->msg);
    if (ob == NULL)
        print_error("open failed: %s\n", f->msg);
    assert_non_null(ob);
    return ob;
}

static void
reopen(fixture_t *f)
{
    hb_outbox_destroy(&f->ob);
    assert_null(f->ob);
    f->ob = open_ob(f, HB_OUTBOX_BYTES_DEFAULT);
}

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "%s/test_outbox.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/outbox.db", f->dir);
    member_no(f->a, 101);
    member_no(f->b, 102);
    member_no(f->c, 103);
    f->ob = open_ob(f, HB_OUTBOX_BYTES_DEFAULT);
    *state = f;
    return 0;
}

static void
remove_with_sidecars(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[PATH_BYTES + 16];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

/* Runs sql on its own connection to path. */
static void
sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* The first column of the first row of sql, read on its own connection. */
static void
sql_text(const char *path, const char *sql, char *out, size_t size)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(out, size, "%s", (const char *) sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    hb_outbox_destroy(&f->ob);
    char p[PATH_BYTES + 16];
    remove_with_sidecars(f->path);
    snprintf(p, sizeof p, "%s/copy.db", f->dir);
    remove_with_sidecars(p);
    snprintf(p, sizeof p, "%s/other.db", f->dir);
    remove_with_sidecars(p);
    assert_int_equal(rmdir(f->dir), 0);
    free(f);
    return 0;
}

/* ---- building ops ---- */

typedef struct {
    Hourbank__Op op;
    Hourbank__RegisterMember reg;
    Hourbank__ServiceRecord service;
    Hourbank__Gift gift;
    Hourbank__Void void_op;
    Hourbank__OpRef target;
} op_t;

static Hourbank__Op *
service(op_t *o, const char *provider, const char *recipient, int64_t minutes, const char *note)
{
    hourbank__op__init(&o->op);
    hourbank__service_record__init(&o->service);
    o->op.occurred_at = T0;
    o->op.kind_case = HOURBANK__OP__KIND_SERVICE;
    o->op.service = &o->service;
    o->service.provider = (char *) (uintptr_t) provider;
    o->service.recipient = (char *) (uintptr_t) recipient;
    o->service.minutes = minutes;
    o->service.category = "companionship";
    o->service.note = (char *) (uintptr_t) note;
    return &o->op;
}

static Hourbank__Op *
gift(op_t *o, const char *from, const char *to, int64_t minutes)
{
    hourbank__op__init(&o->op);
    hourbank__gift__init(&o->gift);
    o->op.occurred_at = T0;
    o->op.kind_case = HOURBANK__OP__KIND_GIFT;
    o->op.gift = &o->gift;
    o->gift.from_member = (char *) (uintptr_t) from;
    o->gift.to_member = (char *) (uintptr_t) to;
    o->gift.minutes = minutes;
    return &o->op;
}

static Hourbank__Op *
registration(op_t *o, const char *number, const char *name)
{
    hourbank__op__init(&o->op);
    hourbank__register_member__init(&o->reg);
    o->op.occurred_at = T0;
    o->op.kind_case = HOURBANK__OP__KIND_REGISTER_MEMBER;
    o->op.register_member = &o->reg;
    o->reg.member_no = (char *) (uintptr_t) number;
    o->reg.name = (char *) (uintptr_t) name;
    o->reg.role = HOURBANK__ROLE__VOLUNTEER;
    o->reg.birth_year = 1958;
    return &o->op;
}

static Hourbank__Op *
voiding(op_t *o, uint32_t station, uint64_t seq)
{
    hourbank__op__init(&o->op);
    hourbank__void__init(&o->void_op);
    hourbank__op_ref__init(&o->target);
    o->op.occurred_at = T0;
    o->op.kind_case = HOURBANK__OP__KIND_VOID_OP;
    o->op.void_op = &o->void_op;
    o->void_op.target = &o->target;
    o->void_op.reason = "entered twice";
    o->target.station_id = station;
    o->target.seq = seq;
    return &o->op;
}

static uint64_t
save_ok(fixture_t *f, const Hourbank__Op *op, char *member_no_out)
{
    uint64_t seq = 0;
    char no[HB_MEMBER_NO_BUF_BYTES] = "x";
    hb_result_t r = hb_outbox_save(f->ob, op, T0, &seq, no, f->msg, sizeof f->msg);
    if (r != HB_RESULT_OK)
        print_error("save failed: %s\n", f->msg);
    assert_int_equal(r, HB_RESULT_OK);
    assert_true(seq >= 1);
    if (member_no_out)
        snprintf(member_no_out, HB_MEMBER_NO_BUF_BYTES, "%s", no);
    return seq;
}

static uint64_t
save_service(fixture_t *f, const char *provider, const char *recipient, int64_t minutes)
{
    op_t o;
    return save_ok(f, service(&o, provider, recipient, minutes, ""), NULL);
}

static uint64_t
save_gift(fixture_t *f, const char *from, const char *to, int64_t minutes)
{
    op_t o;
    return save_ok(f, gift(&o, from, to, minutes), NULL);
}

/* ---- acks ---- */

#define ACK_MAX 16

typedef struct {
    Hourbank__BatchAck ack;
    Hourbank__OpResult results[ACK_MAX];
    Hourbank__OpResult *ptrs[ACK_MAX];
} ack_t;

/* An ack for seqs first..first+n-1, all with result; transfer ids 1000+seq for OK. */
static Hourbank__BatchAck *
ack_build(ack_t *a, uint64_t first, size_t n, hb_result_t result)
{
    assert_true(n <= ACK_MAX);
    hourbank__batch_ack__init(&a->ack);
    a->ack.batch_result = HOURBANK__RESULT__OK;
    a->ack.n_results = n;
    a->ack.results = a->ptrs;
    for (size_t i = 0; i < n; i++) {
        hourbank__op_result__init(&a->results[i]);
        a->results[i].seq = first + i;
        a->results[i].result = (Hourbank__Result) result;
        a->results[i].message = result == HB_RESULT_OK ? "" : "rejected for the test";
        a->results[i].transfer_id = result == HB_RESULT_OK ? 1000 + first + i : 0;
        a->ptrs[i] = &a->results[i];
    }
    return &a->ack;
}

static int
ack(fixture_t *f, uint64_t first, size_t n, hb_result_t result, int64_t now)
{
    ack_t a;
    return hb_outbox_ack(f->ob, ack_build(&a, first, n, result), now, f->msg, sizeof f->msg);
}

static void
ack_ok(fixture_t *f, uint64_t first, size_t n, hb_result_t result, int64_t now)
{
    int rc = ack(f, first, n, result, now);
    if (rc != 0)
        print_error("ack failed: %s\n", f->msg);
    assert_int_equal(rc, 0);
}

/* ---- directory ---- */

#define DIR_MAX 8

typedef struct {
    Hourbank__DirectoryReply reply;
    Hourbank__Member members[DIR_MAX];
    Hourbank__Member *ptrs[DIR_MAX];
} dir_t;

static void
dir_add(dir_t *d, const char *number, const char *name, int64_t balance)
{
    assert_true(d->reply.n_members < DIR_MAX);
    Hourbank__Member *m = &d->members[d->reply.n_members];
    hourbank__member__init(m);
    m->member_no = (char *) (uintptr_t) number;
    m->name = (char *) (uintptr_t) name;
    m->role = HOURBANK__ROLE__BOTH;
    m->birth_year = 1950;
    m->balance_minutes = balance;
    m->version = 1;
    d->ptrs[d->reply.n_members++] = m;
}

static void
dir_init(dir_t *d, uint64_t version, bool more)
{
    hourbank__directory_reply__init(&d->reply);
    d->reply.members = d->ptrs;
    d->reply.version = version;
    d->reply.more = more;
}

/* A, B and C in the directory with balances 600, 120, 0 minutes. */
static void
dir_abc(fixture_t *f)
{
    dir_t d;
    dir_init(&d, 7, false);
    dir_add(&d, f->a, "Wang Fang", 600);
    dir_add(&d, f->b, "Li Wei", 120);
    dir_add(&d, f->c, "Zhang Min", 0);
    assert_int_equal(hb_outbox_directory_apply(f->ob, &d.reply, T0), 0);
}

static int64_t
pending_of(fixture_t *f, const char *number)
{
    hb_outbox_member_t m;
    assert_int_equal(hb_outbox_member(f->ob, number, &m), 1);
    return m.pending_minutes;
}

/* ---- tests ---- */

static void
test_save_ack_round_trip(void **state)
{
    fixture_t *f = *state;
    op_t o;
    uint64_t seq = 0;
    char no[HB_MEMBER_NO_BUF_BYTES] = "x";
    assert_int_equal(hb_outbox_last_seq(f->ob), 0);
    assert_int_equal(hb_outbox_last_acked(f->ob), 0);
    assert_int_equal(hb_outbox_save(f->ob, service(&o, f->a, f->b, 90, "tea and a walk"), T0, &seq, no, f->msg,
                                    sizeof f->msg),
                     HB_RESULT_OK);
    assert_int_equal(seq, 1);
    assert_string_equal(no, "");
    assert_int_equal(o.op.seq, 0); /* the caller's op is not touched */

    Hourbank__Batch batch;
    assert_int_equal(hb_outbox_next_batch(f->ob, 0, HB_BATCH_OPS_MAX, HB_MSG_BYTES_MAX, &batch), 1);
    const Hourbank__Op *sent = batch.ops[0];
    assert_int_equal(sent->seq, 1);
    assert_int_equal(sent->occurred_at, T0);
    assert_int_equal(sent->kind_case, HOURBANK__OP__KIND_SERVICE);
    assert_string_equal(sent->service->provider, f->a);
    assert_string_equal(sent->service->recipient, f->b);
    assert_int_equal(sent->service->minutes, 90);
    assert_string_equal(sent->service->note, "tea and a walk");
    hb_wire_error_t err;
    assert_int_equal(hb_wire_validate_op(sent, HB_WIRE_OP_IN_BATCH, &err), 0);
    hb_outbox_batch_free(&batch);
    assert_null(batch.ops);

    ack_ok(f, 1, 1, HB_RESULT_OK, T0 + 5);
    assert_int_equal(hb_outbox_last_acked(f->ob), 1);
    assert_int_equal(hb_outbox_next_batch(f->ob, 0, HB_BATCH_OPS_MAX, HB_MSG_BYTES_MAX, &batch), 0);
    assert_int_equal(batch.n_ops, 0);
    hb_outbox_status_t st;
    assert_int_equal(hb_outbox_status(f->ob, &st), 0);
    assert_int_equal(st.pending, 0);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(st.last_sync, T0 + 5);
    assert_int_equal(st.oldest_pending_at, 0);
    /* the same ack again is harmless */
    ack_ok(f, 1, 1, HB_RESULT_OK, T0 + 6);
    assert_int_equal(hb_outbox_last_acked(f->ob), 1);
}

static void
test_seqs_persist(void **state)
{
    fixture_t *f = *state;
    uint64_t prev = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t seq = save_service(f, f->a, f->b, 30);
        assert_int_equal(seq, prev + 1);
        prev = seq;
    }
    ack_ok(f, 1, 2, HB_RESULT_OK, T0);
    char text[64];
    sql_text(f->path, "PRAGMA journal_mode", text, sizeof text);
    assert_string_equal(text, "wal");
    /* a save writes its op row only: the sequence is the highest seq held,
     * meta.last_seq only a floor (raised by compaction and central's marks) */
    sql_text(f->path, "SELECT max(last_seq, (SELECT max(seq) FROM ops)) FROM meta", text, sizeof text);
    assert_string_equal(text, "5");
    sql_text(f->path, "SELECT last_seq FROM meta", text, sizeof text);
    assert_string_equal(text, "0");
    reopen(f);
    assert_int_equal(hb_outbox_last_seq(f->ob), 5);
    assert_int_equal(hb_outbox_last_acked(f->ob), 2);
    assert_int_equal(save_service(f, f->a, f->b, 30), 6);
    reopen(f);
    assert_int_equal(save_service(f, f->a, f->b, 30), 7);
}

static void
expect_serial(const char *number, uint32_t serial)
{
    char community[HB_COMMUNITY_CODE_BYTES_MAX + 1] = "";
    uint32_t got = 0;
    assert_int_equal(hb_memberno_parse(number, community, &got), HB_RESULT_OK);
    assert_string_equal(community, COMMUNITY);
    assert_int_equal(got, serial);
}

static void
test_member_numbers(void **state)
{
    fixture_t *f = *state;
    op_t o;
    char no[HB_MEMBER_NO_BUF_BYTES];
    for (uint32_t serial = 1; serial <= 3; serial++) {
        save_ok(f, registration(&o, "", "Chen Jie"), no);
        expect_serial(no, serial);
    }
    reopen(f);
    save_ok(f, registration(&o, "", "Chen Jie"), no);
    expect_serial(no, 4);
    /* the registration carries its number, and the summary names it */
    Hourbank__Batch batch;
    assert_int_equal(hb_outbox_next_batch(f->ob, 3, 1, HB_MSG_BYTES_MAX, &batch), 1);
    assert_string_equal(batch.ops[0]->register_member->member_no, no);
    hb_outbox_batch_free(&batch);
    /* numbers already in the directory or registered here are skipped */
    char five[HB_MEMBER_NO_BUF_BYTES], six[HB_MEMBER_NO_BUF_BYTES];
    member_no(five, 5);
    member_no(six, 6);
    dir_t d;
    dir_init(&d, 1, false);
    dir_add(&d, five, "Already Central", 0);
    assert_int_equal(hb_outbox_directory_apply(f->ob, &d.reply, T0), 0);
    save_ok(f, registration(&o, "", "Skips Five"), no);
    assert_string_equal(no, six);
    save_ok(f, registration(&o, "", "Chen Jie"), no);
    expect_serial(no, 7);
    reopen(f);
    save_ok(f, registration(&o, "", "Chen Jie"), no);
    expect_serial(no, 8);
    /* never reused, even when the registrations are compacted away */
    ack_ok(f, 1, 7, HB_RESULT_OK, T0);
    assert_int_equal(hb_outbox_compact(f->ob, T0 + DAY, 0), 7);
    save_ok(f, registration(&o, "", "Chen Jie"), no);
    expect_serial(no, 9);
}

/* One service with a note of HB_NOTE_CHARS_MAX bytes: fill()'s op. */
static hb_result_t
save_long(fixture_t *f, uint64_t *seq)
{
    static char note[HB_NOTE_BYTES_MAX + 1];
    memset(note, 'n', HB_NOTE_CHARS_MAX);
    op_t o;
    char no[HB_MEMBER_NO_BUF_BYTES];
    return hb_outbox_save(f->ob, service(&o, f->a, f->b, 60, note), T0, seq, no, f->msg, sizeof f->msg);
}

/* Saves 512-byte-note services until OUTBOX_FULL; returns how many fit. */
static uint64_t
fill(fixture_t *f)
{
    char note[HB_NOTE_BYTES_MAX + 1];
    memset(note, 'n', HB_NOTE_CHARS_MAX);
    note[HB_NOTE_CHARS_MAX] = '\0';
    uint64_t base = hb_outbox_last_seq(f->ob);
    for (uint64_t i = 0; i < FILL_OPS_MAX; i++) {
        op_t o;
        uint64_t seq = 0;
        char no[HB_MEMBER_NO_BUF_BYTES];
        hb_result_t r = hb_outbox_save(f->ob, service(&o, f->a, f->b, 60, note), T0, &seq, no, f->msg,
                                       sizeof f->msg);
        if (r == HB_RESULT_OUTBOX_FULL) {
            assert_int_equal(seq, 0);
            return i;
        }
        assert_int_equal(r, HB_RESULT_OK);
        assert_int_equal(seq, base + i + 1);
    }
    fail_msg("the outbox never filled");
    return 0;
}

static void
test_outbox_full(void **state)
{
    fixture_t *f = *state;
    hb_outbox_destroy(&f->ob);
    f->ob = open_ob(f, HB_OUTBOX_BYTES_MIN);
    uint64_t saved = fill(f);
    assert_true(saved > 100);
    assert_non_null(strstr(f->msg, "full"));
    assert_non_null(strstr(f->msg, "outbox_max_bytes"));
    assert_non_null(strstr(f->msg, "hourbank status"));  /* what the operator can do */
    assert_int_equal(hb_outbox_last_seq(f->ob), saved);
    /* still full, still nothing written, no seq used */
    uint64_t seq = 7;
    assert_int_equal(save_long(f, &seq), HB_RESULT_OUTBOX_FULL);
    assert_int_equal(seq, 0);
    op_t o;
    char no[HB_MEMBER_NO_BUF_BYTES];
    hb_outbox_status_t st;
    assert_int_equal(hb_outbox_status(f->ob, &st), 0);
    assert_int_equal(st.pending, saved);
    /* old work survives a reopen with a larger limit; seqs carry on */
    reopen(f);
    assert_int_equal(hb_outbox_last_seq(f->ob), saved);
    assert_int_equal(hb_outbox_status(f->ob, &st), 0);
    assert_int_equal(st.pending, saved);
    Hourbank__Batch batch;
    assert_int_equal(hb_outbox_next_batch(f->ob, saved - 1, HB_BATCH_OPS_MAX, HB_MSG_BYTES_MAX, &batch), 1);
    assert_int_equal(batch.ops[0]->seq, saved);
    assert_int_equal(strlen(batch.ops[0]->service->note), HB_NOTE_CHARS_MAX);
    hb_outbox_batch_free(&batch);
    assert_int_equal(save_ok(f, registration(&o, "", "Now Fits"), no), saved + 1);
    expect_serial(no, 1); /* the refused registration used no serial */
}

/* The limit bounds work central has not acknowledged: once central has
 * acked everything, a full outbox takes work again, though the acked ops
 * stay in the file for retention_days; acks free exactly what they
 * acknowledge, and a reopen counts the same. */
static void
test_outbox_full_frees_on_ack(void **state)
{
    fixture_t *f = *state;
    hb_outbox_destroy(&f->ob);
    f->ob = open_ob(f, HB_OUTBOX_BYTES_MIN);
    uint64_t saved = fill(f);
    assert_true(saved > ACK_MAX * 4);
    uint64_t seq = 0;
    assert_int_equal(save_long(f, &seq), HB_RESULT_OUTBOX_FULL);
    /* ACK_MAX ops acknowledged: room for as many again (seqs grow a byte), not more */
    ack_ok(f, 1, ACK_MAX, HB_RESULT_OK, T0);
    uint64_t again = fill(f);
    assert_true(again >= ACK_MAX - 2 && again <= ACK_MAX);
    /* a reopen measures the same pending work as the running counter did */
    hb_outbox_destroy(&f->ob);
    f->ob = open_ob(f, HB_OUTBOX_BYTES_MIN);
    assert_int_equal(save_long(f, &seq), HB_RESULT_OUTBOX_FULL);
    /* all acknowledged (some rejected: a result is a result); all still in the file */
    uint64_t last = hb_outbox_last_seq(f->ob);
    for (uint64_t first = ACK_MAX + 1; first <= last; first += ACK_MAX) {
        uint64_t left = last - first + 1;
        ack_ok(f, first, left < ACK_MAX ? left : ACK_MAX, first % 2 ? HB_RESULT_OK : HB_RESULT_INSUFFICIENT_BALANCE,
               T0);
    }
    hb_outbox_status_t st;
    assert_int_equal(hb_outbox_status(f->ob, &st), 0);
    assert_int_equal(st.pending, 0);
    assert_int_equal(hb_outbox_last_acked(f->ob), last);
    for (int i = 0; i < ACK_MAX; i++)
        assert_int_equal(save_long(f, &seq), HB_RESULT_OK);
    assert_int_equal(seq, last + ACK_MAX);
}

/* Packs every op of a batch into one buffer (what central hashes). */
static size_t
batch_bytes(const Hourbank__Batch *batch, uint8_t *buf, size_t size)
{
    size_t at = 0;
    for (size_t i = 0; i < batch->n_ops; i++) {
        size_t n = hourbank__op__get_packed_size(batch->ops[i]);
        assert_true(at + n <= size);
        at += hourbank__op__pack(batch->ops[i], buf + at);
    }
    return at;
}

static void
test_next_batch_limits(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 10; i++)
        save_service(f, f->a, f->b, 10 + i);
    Hourbank__Batch batch;
    assert_int_equal(hb_outbox_next_batch(f->ob, 0, 3, HB_MSG_BYTES_MAX, &batch), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(batch.ops[i]->seq, i + 1);
    size_t one = hourbank__op__get_packed_size(batch.ops[0]);
    static uint8_t first[HB_MSG_BYTES_MAX], again[HB_MSG_BYTES_MAX];
    size_t first_len = batch_bytes(&batch, first, sizeof first);
    hb_outbox_batch_free(&batch);
    /* identical bytes on every call */
    assert_int_equal(hb_outbox_next_batch(f->ob, 0, 3, HB_MSG_BYTES_MAX, &batch), 3);
    assert_int_equal(batch_bytes(&batch, again, sizeof again), first_len);
    assert_memory_equal(first, again, first_len);
    hb_outbox_batch_free(&batch);
    /* max_bytes: two ops' worth gives two; one byte still gives one */
    assert_int_equal(hb_outbox_next_batch(f->ob, 0, 10, 2 * one + 1, &batch), 2);
    hb_outbox_batch_free(&batch);
    assert_int_equal(hb_outbox_next_batch(f->ob, 0, 10, 1, &batch), 1);
    hb_outbox_batch_free(&batch);
    /* after_seq, and max_ops above the protocol's bound is capped */
    assert_int_equal(hb_outbox_next_batch(f->ob, 5, HB_BATCH_OPS_MAX * 4, HB_MSG_BYTES_MAX, &batch), 5);
    assert_int_equal(batch.ops[0]->seq, 6);
    hb_outbox_batch_free(&batch);
    assert_int_equal(hb_outbox_next_batch(f->ob, 10, 10, HB_MSG_BYTES_MAX, &batch), 0);
    /* an ack out of order leaves a gap: a batch never spans it */
    ack_ok(f, 4, 2, HB_RESULT_OK, T0);
    assert_int_equal(hb_outbox_last_acked(f->ob), 0);
    assert_int_equal(hb_outbox_next_batch(f->ob, 0, 10, HB_MSG_BYTES_MAX, &batch), 3);
    assert_int_equal(batch.ops[2]->seq, 3);
    hb_outbox_batch_free(&batch);
    assert_int_equal(hb_outbox_next_batch(f->ob, 3, 10, HB_MSG_BYTES_MAX, &batch), 5);
    assert_int_equal(batch.ops[0]->seq, 6);
    hb_outbox_batch_free(&batch);
    ack_ok(f, 1, 3, HB_RESULT_OK, T0);
    assert_int_equal(hb_outbox_last_acked(f->ob), 5);
}

static void
test_ack_refused(void **state)
{
    fixture_t *f = *state;
    save_service(f, f->a, f->b, 30);
    save_service(f, f->a, f->b, 40);
    ack_ok(f, 1, 1, HB_RESULT_OK, T0);
    /* a different result for an acked seq: two stations share an id */
    assert_int_equal(ack(f, 1, 1, HB_RESULT_INSUFFICIENT_BALANCE, T0), -1);
    assert_non_null(strstr(f->msg, "seq=1"));
    assert_non_null(strstr(f->msg, "station id 1"));
    /* the same result with another transfer id is refused too */
    ack_t a;
    ack_build(&a, 1, 1, HB_RESULT_OK);
    a.results[0].transfer_id = 99;
    assert_int_equal(hb_outbox_ack(f->ob, &a.ack, T0, f->msg, sizeof f->msg), -1);
    /* a seq never assigned */
    assert_int_equal(ack(f, 3, 1, HB_RESULT_OK, T0), -1);
    assert_non_null(strstr(f->msg, "seq=3"));
    /* all or nothing: seq 2 stays pending when seq 3 is refused */
    assert_int_equal(ack(f, 2, 2, HB_RESULT_OK, T0), -1);
    hb_outbox_status_t st;
    assert_int_equal(hb_outbox_status(f->ob, &st), 0);
    assert_int_equal(st.pending, 1);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(hb_outbox_last_acked(f->ob), 1);
    /* a refused batch carries no results and changes nothing */
    hourbank__batch_ack__init(&a.ack);
    a.ack.batch_result = HOURBANK__RESULT__SEQ_GAP;
    assert_int_equal(hb_outbox_ack(f->ob, &a.ack, T0, f->msg, sizeof f->msg), 0);
    assert_int_equal(hb_outbox_last_acked(f->ob), 1);
}

/* Central's Welcome: the next seq and the next serial move past its marks,
 * never back, and a restored file may save again. */
static void
test_confirm_marks(void **state)
{
    fixture_t *f = *state;
    save_service(f, f->a, f->b, 30);
    save_service(f, f->a, f->b, 30);
    assert_int_equal(hb_outbox_mark_restored(f->ob, f->msg, sizeof f->msg), 0);
    assert_true(hb_outbox_restored(f->ob));
    assert_int_equal(hb_outbox_confirm_marks(f->ob, 2, 0), 0);
    assert_false(hb_outbox_restored(f->ob));
    assert_int_equal(hb_outbox_confirm_marks(f->ob, 1, 0), 0);
    assert_int_equal(hb_outbox_last_seq(f->ob), 2);
    assert_int_equal(hb_outbox_confirm_marks(f->ob, 10, 0), 0);
    assert_int_equal(hb_outbox_last_seq(f->ob), 10);
    assert_int_equal(hb_outbox_last_acked(f->ob), 0); /* 1 and 2 still pending */
    assert_int_equal(save_service(f, f->a, f->b, 30), 11);
    Hourbank__Batch batch;
    assert_int_equal(hb_outbox_next_batch(f->ob, 0, 10, HB_MSG_BYTES_MAX, &batch), 2);
    hb_outbox_batch_free(&batch);
    ack_ok(f, 1, 2, HB_RESULT_OK, T0);
    assert_int_equal(hb_outbox_last_acked(f->ob), 10); /* central holds 3..10 */
    reopen(f);
    assert_int_equal(hb_outbox_last_seq(f->ob), 11);
    assert_int_equal(hb_outbox_last_acked(f->ob), 10);
    assert_int_equal(save_service(f, f->a, f->b, 30), 12);
    ack_ok(f, 11, 2, HB_RESULT_OK, T0);
    assert_int_equal(hb_outbox_last_acked(f->ob), 12);
    /* the member serial: past central's mark, never back */
    op_t o;
    char no[HB_MEMBER_NO_BUF_BYTES];
    assert_int_equal(hb_outbox_confirm_marks(f->ob, 0, 41), 0);
    save_ok(f, registration(&o, "", "After The Mark"), no);
    expect_serial(no, 42);
    assert_int_equal(hb_outbox_confirm_marks(f->ob, 0, 7), 0);
    save_ok(f, registration(&o, "", "Not Back"), no);
    expect_serial(no, 43);
}

static void
test_status_list_dismiss(void **state)
{
    fixture_t *f = *state;
    op_t o;
    save_service(f, f->a, f->b, 90);
    save_ok(f, service(&o, f->a, f->b, 90, ""), NULL);
    save_gift(f, f->a, f->c, 120);
    uint64_t seq = 0;
    char no[HB_MEMBER_NO_BUF_BYTES];
    assert_int_equal(hb_outbox_save(f->ob, registration(&o, "", "Wang Fang"), T0 + 60, &seq, no, f->msg,
                                    sizeof f->msg),
                     HB_RESULT_OK);
    ack_ok(f, 1, 1, HB_RESULT_OK, T0 + 100);
    ack_ok(f, 2, 1, HB_RESULT_UNKNOWN_MEMBER, T0 + 101);
    hb_outbox_status_t st;
    assert_int_equal(hb_outbox_status(f->ob, &st), 0);
    assert_int_equal(st.pending, 2);
    assert_int_equal(st.rejected, 1);
    assert_int_equal(st.oldest_pending_at, T0);
    assert_int_equal(st.last_sync, T0 + 101);
    assert_int_equal(st.last_acked_seq, 2);
    assert_int_equal(st.last_seq, 4);

    Hourbank__QueueReply r;
    hourbank__queue_reply__init(&r);
    assert_int_equal(hb_outbox_list(f->ob, false, 10, &r), 2);
    assert_int_equal(r.ops[0]->seq, 3);
    assert_string_equal(r.ops[0]->kind, "gift");
    char want[256];
    snprintf(want, sizeof want, "gift %s \xE2\x86\x92 %s 2h", f->a, f->c);
    assert_string_equal(r.ops[0]->summary, want);
    assert_int_equal(r.ops[0]->result, HOURBANK__RESULT__RESULT_UNSET);
    assert_int_equal(r.ops[1]->seq, 4);
    assert_string_equal(r.ops[1]->kind, "register");
    snprintf(want, sizeof want, "register %s Wang Fang", no);
    assert_string_equal(r.ops[1]->summary, want);
    assert_int_equal(r.ops[1]->saved_at, T0 + 60);
    hb_outbox_queue_free(&r);
    assert_int_equal(hb_outbox_list(f->ob, false, 1, &r), 1);
    hb_outbox_queue_free(&r);

    assert_int_equal(hb_outbox_list(f->ob, true, 10, &r), 1);
    assert_int_equal(r.ops[0]->seq, 2);
    assert_int_equal(r.ops[0]->result, HOURBANK__RESULT__UNKNOWN_MEMBER);
    assert_string_equal(r.ops[0]->message, "rejected for the test");
    snprintf(want, sizeof want, "service %s \xE2\x86\x92 %s 1h 30m companionship", f->a, f->b);
    assert_string_equal(r.ops[0]->summary, want);
    hb_outbox_queue_free(&r);

    assert_int_equal(hb_outbox_dismiss(f->ob, 1), HB_RESULT_NOT_FOUND);  /* accepted, not rejected */
    assert_int_equal(hb_outbox_dismiss(f->ob, 3), HB_RESULT_NOT_FOUND);  /* pending */
    assert_int_equal(hb_outbox_dismiss(f->ob, 99), HB_RESULT_NOT_FOUND); /* unknown */
    assert_int_equal(hb_outbox_dismiss(f->ob, 2), HB_RESULT_OK);
    assert_int_equal(hb_outbox_dismiss(f->ob, 2), HB_RESULT_OK);
    assert_int_equal(hb_outbox_list(f->ob, true, 10, &r), 0);
    assert_null(r.ops);
    assert_int_equal(hb_outbox_status(f->ob, &st), 0);
    assert_int_equal(st.rejected, 0);
}

static void
test_compact(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 6; i++)
        save_service(f, f->a, f->b, 30);
    ack_ok(f, 1, 1, HB_RESULT_OK, T0);                   /* old, accepted: goes */
    ack_ok(f, 2, 1, HB_RESULT_UNKNOWN_MEMBER, T0);       /* old rejection, not dismissed: stays */
    ack_ok(f, 3, 1, HB_RESULT_UNKNOWN_MEMBER, T0);       /* old rejection, dismissed: goes */
    ack_ok(f, 5, 1, HB_RESULT_OK, T0 + 10 * DAY);        /* recent: stays */
    assert_int_equal(hb_outbox_dismiss(f->ob, 3), HB_RESULT_OK);
    /* 4 and 6 pending: stay */
    assert_int_equal(hb_outbox_compact(f->ob, T0 + DAY, 1), 0); /* nothing older than a day yet */
    assert_int_equal(hb_outbox_compact(f->ob, T0 + 2 * DAY, 1), 2);
    assert_int_equal(hb_outbox_compact(f->ob, T0 + 2 * DAY, 1), 0);
    hb_outbox_status_t st;
    assert_int_equal(hb_outbox_status(f->ob, &st), 0);
    assert_int_equal(st.pending, 2);
    assert_int_equal(st.rejected, 1);
    Hourbank__QueueReply r;
    hourbank__queue_reply__init(&r);
    assert_int_equal(hb_outbox_list(f->ob, true, 10, &r), 1);
    assert_int_equal(r.ops[0]->seq, 2);
    hb_outbox_queue_free(&r);
    Hourbank__Batch batch;
    assert_int_equal(hb_outbox_next_batch(f->ob, 0, 10, HB_MSG_BYTES_MAX, &batch), 1);
    assert_int_equal(batch.ops[0]->seq, 4);
    hb_outbox_batch_free(&batch);
    /* an ack repeated for a compacted seq is not an alarm */
    ack_ok(f, 1, 1, HB_RESULT_OK, T0 + 3 * DAY);
    assert_int_equal(hb_outbox_last_acked(f->ob), 3);
    /* seqs are never reused */
    reopen(f);
    assert_int_equal(save_service(f, f->a, f->b, 30), 7);
    /* a time before the retention could have passed deletes nothing */
    assert_int_equal(hb_outbox_compact(f->ob, 0, HB_RETENTION_DAYS_DEFAULT), 0);
}

/* Each call does a bounded amount of work; repeated calls finish the job. */
/* Every op compacted, the highest included: the floor keeps the sequence. */
static void
test_compact_keeps_sequence(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 3; i++)
        save_service(f, f->a, f->b, 30);
    ack_ok(f, 1, 3, HB_RESULT_OK, T0);
    assert_int_equal(hb_outbox_compact(f->ob, T0 + 2 * DAY, 1), 3);
    char text[64];
    sql_text(f->path, "SELECT count(*) FROM ops", text, sizeof text);
    assert_string_equal(text, "0");
    sql_text(f->path, "SELECT last_seq FROM meta", text, sizeof text);
    assert_string_equal(text, "3");
    assert_int_equal(hb_outbox_last_seq(f->ob), 3);
    reopen(f);
    assert_int_equal(hb_outbox_last_seq(f->ob), 3);
    assert_int_equal(hb_outbox_last_acked(f->ob), 3);
    assert_int_equal(save_service(f, f->a, f->b, 30), 4);
    /* central's mark past the highest op, then nothing held above it: still no reuse */
    assert_int_equal(hb_outbox_confirm_marks(f->ob, 10, 0), 0);
    assert_int_equal(hb_outbox_last_seq(f->ob), 10);
    reopen(f);
    assert_int_equal(save_service(f, f->a, f->b, 30), 11);
}

/* A balance lookup finds a member's unsettled ops through the partial
 * indexes, never by reading the whole table (the member_b index holds
 * gifts only, so a service's save does not have to write it). */
static void
test_pending_minutes_plan(void **state)
{
    fixture_t *f = *state;
    char sql[2048];
    snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", hb_outbox__dir_sql[OB_PENDING_MINUTES]);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->ob->db, sql, -1, &st, NULL), SQLITE_OK);
    char plan[4096] = "";
    while (sqlite3_step(st) == SQLITE_ROW) {
        size_t at = strlen(plan);
        snprintf(plan + at, sizeof plan - at, "%s\n", (const char *) sqlite3_column_text(st, 3));
    }
    sqlite3_finalize(st);
    assert_non_null(strstr(plan, "ops_unsettled_a"));
    assert_non_null(strstr(plan, "ops_unsettled_gifts"));
    assert_non_null(strstr(plan, "ops_unsettled_voids"));
    assert_null(strstr(plan, "SCAN ops\n"));
}

/* A version 1 file (meta.last_seq written by every save) opens as version 4:
 * the test turns a new file back into version 1's shape first. */
static void
test_schema_upgrade(void **state)
{
    fixture_t *f = *state;
    save_service(f, f->a, f->b, 30);
    save_service(f, f->a, f->b, 30);
    hb_outbox_destroy(&f->ob);
    sql_exec(f->path, V7_STRIP "UPDATE meta SET last_seq = 2; PRAGMA user_version = 1; DROP INDEX ops_unsettled_gifts;"
                      " CREATE INDEX ops_unsettled_b ON ops (member_b) WHERE in_directory = 0;"
                      " DROP INDEX ops_request; DROP INDEX ops_changed; ALTER TABLE meta DROP COLUMN restored;"
                      " ALTER TABLE ops DROP COLUMN request_id; ALTER TABLE ops DROP COLUMN note;"
                      " ALTER TABLE ops DROP COLUMN prior_result; ALTER TABLE ops DROP COLUMN prior_message;"
                      " ALTER TABLE ops DROP COLUMN prior_transfer_id; ALTER TABLE ops DROP COLUMN changed_at;"
                      " ALTER TABLE meta DROP COLUMN time_zone; DROP TABLE operators;"
                      " ALTER TABLE ops DROP COLUMN operator; ALTER TABLE ops DROP COLUMN params;"
                      " DROP TABLE rules; DROP INDEX ops_services; DROP INDEX ops_voids;"
                      " ALTER TABLE members DROP COLUMN community");
    f->ob = open_ob(f, HB_OUTBOX_BYTES_DEFAULT);
    char text[64];
    sql_text(f->path, "PRAGMA user_version", text, sizeof text);
    assert_string_equal(text, "9");
    sql_text(f->path, "SELECT quote(time_zone) FROM meta", text, sizeof text);
    assert_string_equal(text, "''");  /* not known until central says */
    assert_string_equal(hb_outbox_time_zone(f->ob), "");
    sql_text(f->path, "SELECT count(*) FROM pragma_table_info('ops') WHERE name IN ('request_id', 'note',"
             " 'prior_result', 'prior_message', 'prior_transfer_id', 'changed_at')", text, sizeof text);
    assert_string_equal(text, "6");
    sql_text(f->path, "SELECT group_concat(name) FROM sqlite_schema WHERE name LIKE 'ops_unsettled%' ORDER BY name",
             text, sizeof text);
    assert_non_null(strstr(text, "ops_unsettled_gifts"));
    assert_null(strstr(text, "ops_unsettled_b"));
    assert_int_equal(hb_outbox_last_seq(f->ob), 2);
    assert_int_equal(save_service(f, f->a, f->b, 30), 3);
}

/* The district's zone central said is kept in the file: a station
 * restarted offline still knows it (issue 12, item 3). A version 3 file
 * gains the column empty. */
/* Version 4's ops table, as hourbank before operators made it: its CHECK
 * on kind knows no donation. */
#define OPS_V4_SQL                                                                                             \
    "CREATE TABLE ops (seq INTEGER PRIMARY KEY CHECK (seq > 0),"                                              \
    " kind TEXT NOT NULL CHECK (kind IN ('register', 'service', 'gift', 'void')), payload BLOB NOT NULL,"    \
    " summary TEXT NOT NULL, saved_at INTEGER NOT NULL, member_a TEXT, member_b TEXT,"                      \
    " minutes INTEGER NOT NULL DEFAULT 0, name TEXT, void_seq INTEGER,"                                     \
    " result INTEGER CHECK (result IS NULL OR result > 0), message TEXT, transfer_id INTEGER,"               \
    " acked_at INTEGER, dismissed INTEGER NOT NULL DEFAULT 0 CHECK (dismissed IN (0, 1)),"                  \
    " in_directory INTEGER NOT NULL DEFAULT 0 CHECK (in_directory IN (0, 1)), request_id TEXT, note TEXT,"  \
    " prior_result INTEGER, prior_message TEXT, prior_transfer_id INTEGER, changed_at INTEGER,"             \
    " CHECK ((result IS NULL) = (acked_at IS NULL))) STRICT;"

static Hourbank__Op *
donation(op_t *o, Hourbank__Donation *d, const char *member, int64_t minutes, const char *reason)
{
    hourbank__op__init(&o->op);
    hourbank__donation__init(d);
    o->op.occurred_at = T0;
    o->op.kind_case = HOURBANK__OP__KIND_DONATION;
    o->op.donation = d;
    d->member = (char *) (uintptr_t) member;
    d->minutes = minutes;
    d->reason = (char *) (uintptr_t) reason;
    return &o->op;
}

/* 4 -> 5: the ops table is rebuilt with its rows (a donation's kind was
 * refused by version 4's CHECK), table operators and ops.operator and
 * ops.params appear; pending and acked ops are as they were. */
static void
test_schema_upgrade_operators(void **state)
{
    fixture_t *f = *state;
    dir_abc(f);
    save_service(f, f->a, f->b, 30);
    save_service(f, f->a, f->b, 45);
    ack_ok(f, 1, 1, HB_RESULT_OK, T0);
    hb_outbox_destroy(&f->ob);
    sql_exec(f->path, V7_STRIP "CREATE TABLE ops_old AS SELECT * FROM ops; DROP TABLE ops; DROP TABLE operators;"
                      OPS_V4_SQL
                      "INSERT INTO ops SELECT seq, kind, payload, summary, saved_at, member_a, member_b, minutes,"
                      " name, void_seq, result, message, transfer_id, acked_at, dismissed, in_directory,"
                      " request_id, note, prior_result, prior_message, prior_transfer_id, changed_at FROM ops_old;"
                      "DROP TABLE ops_old; CREATE INDEX ops_pending ON ops (seq) WHERE result IS NULL;"
                      "DROP TABLE rules; ALTER TABLE members DROP COLUMN community;"
                      "PRAGMA user_version = 4");
    char text[256];
    sql_text(f->path, "SELECT sql FROM sqlite_schema WHERE name = 'ops'", text, sizeof text);
    assert_null(strstr(text, "donation"));
    f->ob = open_ob(f, HB_OUTBOX_BYTES_DEFAULT);
    sql_text(f->path, "PRAGMA user_version", text, sizeof text);
    assert_string_equal(text, "9");
    sql_text(f->path, "SELECT count(*) FROM pragma_table_info('ops') WHERE name IN ('operator', 'params')", text,
             sizeof text);
    assert_string_equal(text, "2");
    sql_text(f->path, "SELECT group_concat(seq || ':' || coalesce(result, '-') || ':' || minutes, ' ') FROM ops", text,
             sizeof text);
    assert_string_equal(text, "1:1:30 2:-:45");
    sql_text(f->path, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'ops'", text,
             sizeof text);
    assert_string_equal(text, "12");  /* every index of version 6, made again, and version 9's ops_resend */
    assert_int_equal(hb_outbox_last_acked(f->ob), 1);
    /* a donation is stored now, and counts against the donor's balance */
    op_t o;
    Hourbank__Donation d;
    assert_int_equal(save_ok(f, donation(&o, &d, f->a, 20, "for the pool"), NULL), 3);
    hb_outbox_member_t m;
    assert_int_equal(hb_outbox_member(f->ob, f->a, &m), 1);
    assert_int_equal(m.pending_minutes, 30 + 45 - 20);
    Hourbank__QueueReply r;
    assert_int_equal(hb_outbox_get(f->ob, 3, &r), 1);
    assert_string_equal(r.ops[0]->kind, "donation");
    assert_string_equal(r.ops[0]->note, "for the pool");
    assert_non_null(strstr(r.ops[0]->summary, "donation"));
    hb_outbox_queue_free(&r);
}

/* 5 -> 6: table rules, members.community, ops.payer and two indexes
 * appear, the ops are kept; a copy of the rules survives a reopen. */
static void
test_schema_upgrade_rules(void **state)
{
    fixture_t *f = *state;
    save_service(f, f->a, f->b, 30);
    hb_outbox_destroy(&f->ob);
    sql_exec(f->path, V7_STRIP "DROP TABLE rules; DROP INDEX ops_services; DROP INDEX ops_voids;"
                      " ALTER TABLE ops DROP COLUMN payer; ALTER TABLE members DROP COLUMN community;"
                      " PRAGMA user_version = 5");
    f->ob = open_ob(f, HB_OUTBOX_BYTES_DEFAULT);
    char text[64];
    sql_text(f->path, "PRAGMA user_version", text, sizeof text);
    assert_string_equal(text, "9");
    sql_text(f->path, "SELECT count(*) FROM ops", text, sizeof text);
    assert_string_equal(text, "1");
    assert_null(hb_outbox_rules(f->ob));
    assert_int_equal(hb_outbox_rules_version(f->ob), 0);
    Hourbank__RulesReply r;
    hourbank__rules_reply__init(&r);
    r.version = 7;
    r.clock_skew_seconds = 600;
    r.as_of = T0;
    assert_int_equal(hb_outbox_rules_set(f->ob, &r, T0 - 30), 0);
    assert_int_equal(hb_outbox_clock_offset(f->ob), 30);
    reopen(f);
    assert_non_null(hb_outbox_rules(f->ob));
    assert_int_equal(hb_outbox_rules_version(f->ob), 7);
    assert_int_equal(hb_outbox_rules(f->ob)->clock_skew_seconds, 600);
    assert_int_equal(hb_outbox_clock_offset(f->ob), 30);
}

/* Operators: add (a PIN only as argon2id), names unique, disable, list;
 * a checked save needs an enabled operator (its own or the default) and
 * is stored with it, in its payload and column; a refused one stores
 * nothing and takes no seq. */
static void
test_operators(void **state)
{
    fixture_t *f = *state;
    dir_abc(f);
    assert_int_equal(hb_outbox_operator_add(f->ob, "wang", "", T0, f->msg, sizeof f->msg), HB_RESULT_OK);
    assert_int_equal(hb_outbox_operator_add(f->ob, "li", "246810", T0 + 5, f->msg, sizeof f->msg), HB_RESULT_OK);
    assert_int_equal(hb_outbox_operator_add(f->ob, "wang", "1234", T0, f->msg, sizeof f->msg), HB_RESULT_DUPLICATE);
    assert_non_null(strstr(f->msg, "operator \"wang\" exists already"));
    char text[256];
    sql_text(f->path, "SELECT pin_hash FROM operators WHERE name = 'li'", text, sizeof text);
    assert_true(strncmp(text, "$argon2id$", 10) == 0);
    assert_null(strstr(text, "246810"));
    assert_int_equal(crypto_pwhash_str_verify(text, "246810", 6), 0);
    sql_text(f->path, "SELECT quote(pin_hash) FROM operators WHERE name = 'wang'", text, sizeof text);
    assert_string_equal(text, "NULL");
    assert_int_equal(hb_outbox_operator_state(f->ob, "wang"), 1);
    assert_int_equal(hb_outbox_operator_disable(f->ob, "li", f->msg, sizeof f->msg), HB_RESULT_OK);
    assert_int_equal(hb_outbox_operator_disable(f->ob, "li", f->msg, sizeof f->msg), HB_RESULT_OK);
    assert_int_equal(hb_outbox_operator_disable(f->ob, "zhao", f->msg, sizeof f->msg), HB_RESULT_NOT_FOUND);
    assert_int_equal(hb_outbox_operator_state(f->ob, "li"), 2);
    assert_int_equal(hb_outbox_operator_state(f->ob, "zhao"), 0);
    Hourbank__OperatorsReply list;
    assert_int_equal(hb_outbox_operator_list(f->ob, "wang", T0, &list), 2);
    assert_string_equal(list.operators[0]->name, "li");
    assert_true(list.operators[0]->disabled && list.operators[0]->has_pin && !list.operators[0]->is_default);
    assert_int_equal(list.operators[0]->created_at, T0 + 5);
    assert_string_equal(list.operators[1]->name, "wang");
    assert_true(!list.operators[1]->disabled && !list.operators[1]->has_pin && list.operators[1]->is_default);
    hb_outbox_operators_free(&list);

    op_t o[4];
    hb_outbox_save_t v[4] = {
        {.op = service(&o[0], f->a, f->b, 30, ""), .default_operator = "wang"}, /* the default */
        {.op = service(&o[1], f->a, f->b, 30, ""), .default_operator = "li"},   /* disabled */
        {.op = service(&o[2], f->a, f->b, 30, ""), .default_operator = ""},     /* none at all */
        {.op = service(&o[3], f->a, f->b, 30, ""), .default_operator = "li"},   /* its own */
    };
    o[3].op.operator_ = "wang";
    o[2].op.operator_ = "zhao";                                                 /* unknown */
    assert_int_equal(hb_outbox_save_group(f->ob, v, 4, true, T0), 2);
    assert_int_equal(v[0].result, HB_RESULT_OK);
    assert_int_equal(v[0].seq, 1);
    assert_int_equal(v[1].result, HB_RESULT_UNKNOWN_OPERATOR);
    assert_non_null(strstr(v[1].msg, "operator=li\nstate=disabled"));
    assert_int_equal(v[2].result, HB_RESULT_UNKNOWN_OPERATOR);
    assert_non_null(strstr(v[2].msg, "operator=zhao\nstate=unknown"));
    assert_int_equal(v[3].result, HB_RESULT_OK);
    assert_int_equal(v[3].seq, 2);
    o[0].op.operator_ = "";
    hb_outbox_save_t none = {.op = service(&o[0], f->a, f->b, 30, "")};
    assert_int_equal(hb_outbox_save_group(f->ob, &none, 1, true, T0), 0);
    assert_int_equal(none.result, HB_RESULT_UNKNOWN_OPERATOR);
    assert_non_null(strstr(none.msg, "operator=\nstate=none"));
    assert_int_equal(hb_outbox_last_seq(f->ob), 2);
    sql_text(f->path, "SELECT group_concat(seq || ':' || operator, ' ') FROM ops", text, sizeof text);
    assert_string_equal(text, "1:wang 2:wang");
    Hourbank__Batch batch;
    assert_int_equal(hb_outbox_next_batch(f->ob, 0, HB_BATCH_OPS_MAX, HB_MSG_BYTES_MAX, &batch), 2);
    assert_string_equal(batch.ops[0]->operator_, "wang");  /* in the payload sent */
    assert_string_equal(batch.ops[1]->operator_, "wang");
    hb_outbox_batch_free(&batch);
    Hourbank__QueueReply r;
    assert_int_equal(hb_outbox_get(f->ob, 1, &r), 1);
    assert_string_equal(r.ops[0]->operator_, "wang");
    hb_outbox_queue_free(&r);
}

/* The largest op a SaveRequest may carry (unknown fields included), with
 * no operator, grows by the longest default operator and an allocated
 * member number and still fits the outbox's payload buffer. */
static void
test_largest_save_fits_with_default_operator(void **state)
{
    fixture_t *f = *state;
    static char op_name[HB_OPERATOR_BYTES_MAX + 1];
    for (int i = 0; i < HB_OPERATOR_CHARS_MAX; i++)
        memcpy(op_name + 4 * i, "\xF0\x9F\x98\x80", 4);  /* 4 bytes each: the byte bound */
    assert_int_equal(hb_outbox_operator_add(f->ob, op_name, "", T0, f->msg, sizeof f->msg), HB_RESULT_OK);
    static uint8_t bytes[HB_OP_BYTES_MAX];
    ProtobufCMessageUnknownField field = {99, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, 0, bytes};
    op_t o;
    Hourbank__Op *op = registration(&o, "", "Zhao Padded");
    o.reg.phone = "+86 25 8888-1234-5678 90";
    op->base.n_unknown_fields = 1;
    op->base.unknown_fields = &field;
    hb_wire_error_t err;
    size_t pad = 0x80;  /* a two-byte length prefix from here on */
    for (;; pad++) {
        bytes[0] = (uint8_t) (0x80 | (pad & 0x7F));
        bytes[1] = (uint8_t) (pad >> 7);
        memset(bytes + 2, 'x', pad);
        field.len = pad + 2;
        if (hb_wire_validate_op(op, HB_WIRE_OP_IN_SAVE, &err) != 0)
            break;
    }
    assert_non_null(strstr(err.message, "op encodes to"));
    pad--;  /* the largest accepted */
    bytes[0] = (uint8_t) (0x80 | (pad & 0x7F));
    bytes[1] = (uint8_t) (pad >> 7);
    field.len = pad + 2;
    assert_int_equal(hb_wire_validate_op(op, HB_WIRE_OP_IN_SAVE, &err), 0);
    hb_outbox_save_t v = {.op = op, .default_operator = op_name};
    assert_int_equal(hb_outbox_save_group(f->ob, &v, 1, true, T0), 1);
    assert_int_equal(v.result, HB_RESULT_OK);
    Hourbank__Batch batch;
    assert_int_equal(hb_outbox_next_batch(f->ob, 0, HB_BATCH_OPS_MAX, HB_MSG_BYTES_MAX, &batch), 1);
    assert_string_equal(batch.ops[0]->operator_, op_name);
    assert_true(hourbank__op__get_packed_size(batch.ops[0]) <= HB_OP_BYTES_MAX);
    assert_int_equal(hb_wire_validate_op(batch.ops[0], HB_WIRE_OP_IN_BATCH, &err), 0);
    hb_outbox_batch_free(&batch);
}

/* Central's values of a result are kept with it and listed with the op;
 * a result without values keeps none. */
static void
test_result_params(void **state)
{
    fixture_t *f = *state;
    dir_abc(f);
    save_service(f, f->a, f->b, 30);
    save_service(f, f->a, f->b, 30);
    ack_t a;
    Hourbank__BatchAck *ack = ack_build(&a, 1, 2, HB_RESULT_OK);
    a.results[1].result = HOURBANK__RESULT__INSUFFICIENT_BALANCE;
    a.results[1].transfer_id = 0;
    a.results[1].message = "";
    Hourbank__Param p[4], *pp[4];
    const char *kv[4][2] = {{"role", "recipient"}, {"member", f->b}, {"held_minutes", "10"},
                            {"reason", "a=b c"}};
    for (size_t i = 0; i < 4; i++) {
        hourbank__param__init(&p[i]);
        p[i].name = (char *) (uintptr_t) kv[i][0];
        p[i].value = (char *) (uintptr_t) kv[i][1];
        pp[i] = &p[i];
    }
    a.results[1].params = pp;
    a.results[1].n_params = 4;
    assert_int_equal(hb_outbox_ack(f->ob, ack, T0, f->msg, sizeof f->msg), 0);
    reopen(f);
    Hourbank__QueueReply r;
    assert_int_equal(hb_outbox_get(f->ob, 2, &r), 1);
    assert_int_equal(r.ops[0]->result, HOURBANK__RESULT__INSUFFICIENT_BALANCE);
    assert_int_equal(r.ops[0]->n_params, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(r.ops[0]->params[i]->name, kv[i][0]);
        assert_string_equal(r.ops[0]->params[i]->value, kv[i][1]);
    }
    hb_outbox_queue_free(&r);
    assert_int_equal(hb_outbox_list(f->ob, HB_OUTBOX_LIST_REJECTED, 10, &r), 1);
    assert_int_equal(r.ops[0]->n_params, 4);
    hb_outbox_queue_free(&r);
    assert_int_equal(hb_outbox_get(f->ob, 1, &r), 1);
    assert_int_equal(r.ops[0]->n_params, 0);
    assert_null(r.ops[0]->params);
    hb_outbox_queue_free(&r);
    char text[64];
    sql_text(f->path, "SELECT quote(params) FROM ops WHERE seq = 1", text, sizeof text);
    assert_string_equal(text, "NULL");
}

static void
test_time_zone_kept(void **state)
{
    fixture_t *f = *state;
    assert_string_equal(hb_outbox_time_zone(f->ob), "");
    assert_int_equal(hb_outbox_set_time_zone(f->ob, "Asia/Shanghai"), 1);
    assert_int_equal(hb_outbox_set_time_zone(f->ob, "Asia/Shanghai"), 0);  /* the same: nothing written */
    assert_string_equal(hb_outbox_time_zone(f->ob), "Asia/Shanghai");
    reopen(f);
    assert_string_equal(hb_outbox_time_zone(f->ob), "Asia/Shanghai");
    assert_int_equal(hb_outbox_set_time_zone(f->ob, "Asia/Urumqi"), 1);
    reopen(f);
    assert_string_equal(hb_outbox_time_zone(f->ob), "Asia/Urumqi");
    /* version 3 (no time_zone) upgrades to 4 at open, the zone not known */
    hb_outbox_destroy(&f->ob);
    sql_exec(f->path, V7_STRIP "ALTER TABLE meta DROP COLUMN time_zone; DROP TABLE operators;"
                      " ALTER TABLE ops DROP COLUMN operator; ALTER TABLE ops DROP COLUMN params;"
                      " DROP TABLE rules; DROP INDEX ops_services; DROP INDEX ops_voids;"
                      " ALTER TABLE members DROP COLUMN community; PRAGMA user_version = 3");
    f->ob = open_ob(f, HB_OUTBOX_BYTES_DEFAULT);
    char text[64];
    sql_text(f->path, "PRAGMA user_version", text, sizeof text);
    assert_string_equal(text, "9");
    assert_string_equal(hb_outbox_time_zone(f->ob), "");
    assert_int_equal(hb_outbox_set_time_zone(f->ob, "UTC"), 1);
    reopen(f);
    assert_string_equal(hb_outbox_time_zone(f->ob), "UTC");
}

static void
test_compact_bounded(void **state)
{
    fixture_t *f = *state;
    const uint64_t n = COMPACT_TEST_OPS;
    for (uint64_t i = 0; i < n; i++)
        save_service(f, f->a, f->b, 30);
    for (uint64_t first = 1; first <= n; first += ACK_MAX)
        ack_ok(f, first, (size_t) (n - first + 1 < ACK_MAX ? n - first + 1 : ACK_MAX), HB_RESULT_OK, T0);
    int once = hb_outbox_compact(f->ob, T0 + DAY, 0);
    assert_true(once > 0 && (uint64_t) once < n);
    uint64_t total = (uint64_t) once;
    for (int calls = 0; calls < (int) n && total < n; calls++) {
        int more = hb_outbox_compact(f->ob, T0 + DAY, 0);
        assert_true(more > 0 && more <= once);
        total += (uint64_t) more;
    }
    assert_int_equal(total, n);
    assert_int_equal(hb_outbox_compact(f->ob, T0 + DAY, 0), 0);
    assert_int_equal(hb_outbox_last_acked(f->ob), n);
    assert_int_equal(save_service(f, f->a, f->b, 30), n + 1);
}

static void
test_wrong_station_refused(void **state)
{
    fixture_t *f = *state;
    save_service(f, f->a, f->b, 30);
    hb_outbox_destroy(&f->ob);
    char want[MSG_BYTES];
    assert_null(hb_outbox_open(f->path, 3, COMMUNITY, HB_OUTBOX_BYTES_DEFAULT, f->msg, sizeof f->msg));
    snprintf(want, sizeof want, "outbox \"%s\" belongs to station 1 (QX03), not station 3 (QX03)", f->path);
    assert_string_equal(f->msg, want);
    assert_null(hb_outbox_open(f->path, STATION, "QH01", HB_OUTBOX_BYTES_DEFAULT, f->msg, sizeof f->msg));
    snprintf(want, sizeof want, "outbox \"%s\" belongs to station 1 (QX03), not station 1 (QH01)", f->path);
    assert_string_equal(f->msg, want);
    /* the file is untouched by the refusals */
    f->ob = open_ob(f, HB_OUTBOX_BYTES_DEFAULT);
    assert_int_equal(hb_outbox_last_seq(f->ob), 1);
    /* an invalid community code is refused before anything is opened */
    hb_outbox_t *bad = hb_outbox_open(f->path, STATION, "qx03", HB_OUTBOX_BYTES_DEFAULT, f->msg, sizeof f->msg);
    assert_null(bad);
    assert_non_null(strstr(f->msg, "community"));
}

static void
copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    FILE *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[PAGE_BYTES];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void
scribble(const char *path, long offset)
{
    char garbage[GARBAGE_BYTES];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (char) (0xA5 ^ (i * 7));
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, offset, SEEK_SET), 0);
    assert_int_equal(fwrite(garbage, 1, sizeof garbage, fp), sizeof garbage);
    assert_int_equal(fclose(fp), 0);
}

static void
expect_corrupt(fixture_t *f, const char *copy)
{
    assert_null(hb_outbox_open(copy, STATION, COMMUNITY, HB_OUTBOX_BYTES_DEFAULT, f->msg, sizeof f->msg));
    assert_non_null(strstr(f->msg, copy));
    assert_non_null(strstr(f->msg, "corrupt"));
    assert_null(strchr(f->msg, '\n'));
}

static void
test_corrupt_refused(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 50; i++)
        save_service(f, f->a, f->b, 30);
    hb_outbox_destroy(&f->ob); /* checkpoints: everything is in the main file */
    char copy[PATH_BYTES];
    snprintf(copy, sizeof copy, "%s/copy.db", f->dir);
    copy_file(f->path, copy);
    scribble(copy, 0); /* the header */
    expect_corrupt(f, copy);
    remove_with_sidecars(copy);
    copy_file(f->path, copy);
    scribble(copy, PAGE_BYTES); /* page 2, a b-tree page */
    expect_corrupt(f, copy);
    remove_with_sidecars(copy);
    /* an outbox from a newer program, and an SQLite file that is no outbox */
    copy_file(f->path, copy);
    sql_exec(copy, "PRAGMA user_version = 99");
    assert_null(hb_outbox_open(copy, STATION, COMMUNITY, HB_OUTBOX_BYTES_DEFAULT, f->msg, sizeof f->msg));
    assert_non_null(strstr(f->msg, "schema version 99"));
    char other[PATH_BYTES];
    snprintf(other, sizeof other, "%s/other.db", f->dir);
    sql_exec(other, "CREATE TABLE t (x)");
    assert_null(hb_outbox_open(other, STATION, COMMUNITY, HB_OUTBOX_BYTES_DEFAULT, f->msg, sizeof f->msg));
    assert_non_null(strstr(f->msg, "not an hourbank outbox"));
    f->ob = open_ob(f, HB_OUTBOX_BYTES_DEFAULT); /* the original is fine */
    assert_int_equal(hb_outbox_last_seq(f->ob), 50);
    /* a path that cannot be created */
    snprintf(copy, sizeof copy, "%s/no/such/dir/outbox.db", f->dir);
    assert_null(hb_outbox_open(copy, STATION, COMMUNITY, HB_OUTBOX_BYTES_DEFAULT, f->msg, sizeof f->msg));
    assert_non_null(strstr(f->msg, copy));
}

/* ---- the file: whole or refused, created atomically, restored flag ---- */

static int64_t
file_bytes(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (int64_t) st.st_size;
}

static bool
exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static bool
sidecar_exists(const char *path, const char *suffix)
{
    char p[PATH_BYTES + 16];
    snprintf(p, sizeof p, "%s%s", path, suffix);
    return exists(p);
}

/* Opening copy is refused with a message holding want; the file keeps its
 * size and gets no -wal or -shm. */
static void
expect_refused(fixture_t *f, const char *copy, const char *want)
{
    int64_t before = file_bytes(copy);
    assert_null(hb_outbox_open(copy, STATION, COMMUNITY, HB_OUTBOX_BYTES_DEFAULT, f->msg, sizeof f->msg));
    if (strstr(f->msg, want) == NULL)
        fail_msg("refusal \"%s\" lacks \"%s\"", f->msg, want);
    assert_non_null(strstr(f->msg, copy));
    assert_null(strchr(f->msg, '\n'));
    assert_int_equal(file_bytes(copy), before);
    assert_false(sidecar_exists(copy, "-wal"));
    assert_false(sidecar_exists(copy, "-shm"));
}

static void
test_empty_file_refused(void **state)
{
    fixture_t *f = *state;
    save_service(f, f->a, f->b, 30);
    char copy[PATH_BYTES];
    snprintf(copy, sizeof copy, "%s/copy.db", f->dir);
    FILE *fp = fopen(copy, "wb");
    assert_non_null(fp);
    assert_int_equal(fclose(fp), 0);
    expect_refused(f, copy, "is empty (0 bytes)");
    assert_non_null(strstr(f->msg, "hourbank-station restore FILE"));
    assert_non_null(strstr(f->msg, "to start a new station remove it"));
    assert_int_equal(file_bytes(copy), 0);
    /* twice: a refusal changes nothing that would let a second open pass */
    expect_refused(f, copy, "is empty (0 bytes)");
    remove_with_sidecars(copy);
    /* an SQLite file with no tables (a creation by an older hourbank, cut
     * short), and an outbox whose meta row never came */
    sql_exec(copy, "CREATE TABLE t (x); DROP TABLE t");
    expect_refused(f, copy, "is an empty SQLite database, not a complete outbox");
    remove_with_sidecars(copy);
    hb_outbox_destroy(&f->ob);
    copy_file(f->path, copy);
    sql_exec(copy, "DELETE FROM meta");
    expect_refused(f, copy, "has no meta row");
    f->ob = open_ob(f, HB_OUTBOX_BYTES_DEFAULT);
    assert_int_equal(hb_outbox_last_seq(f->ob), 1);
}

static void
cut_to(const char *path, int64_t bytes)
{
    assert_int_equal(truncate(path, (off_t) bytes), 0);
}

static void
test_truncated_refused(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 300; i++)
        save_service(f, f->a, f->b, 30);
    hb_outbox_destroy(&f->ob); /* checkpoints: everything is in the main file */
    int64_t whole = file_bytes(f->path);
    assert_true(whole >= 8 * PAGE_BYTES && whole % PAGE_BYTES == 0);
    char copy[PATH_BYTES];
    snprintf(copy, sizeof copy, "%s/copy.db", f->dir);
    const int64_t cuts[] = {whole / 2 / PAGE_BYTES * PAGE_BYTES, whole - PAGE_BYTES};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        copy_file(f->path, copy);
        cut_to(copy, cuts[i]);
        expect_refused(f, copy, "the file was cut short");
        assert_non_null(strstr(f->msg, "corrupt"));
        remove_with_sidecars(copy);
    }
    /* not a whole number of pages: cut inside a page, or grown by a byte */
    copy_file(f->path, copy);
    cut_to(copy, whole - 100);
    expect_refused(f, copy, "is not a whole number of 4096-byte pages");
    cut_to(copy, whole + 1);
    expect_refused(f, copy, "is not a whole number of 4096-byte pages");
    /* shorter than a header */
    cut_to(copy, 50);
    expect_refused(f, copy, "corrupt");
    f->ob = open_ob(f, HB_OUTBOX_BYTES_DEFAULT); /* the original is fine */
    assert_int_equal(hb_outbox_last_seq(f->ob), 300);
}

/* Copies the newest page 1 of wal (page_bytes pages) over page 1 of db:
 * the first write of a checkpoint, as a crash right after it leaves the
 * file. Returns the page count that page claims. */
static uint32_t
checkpoint_page_one(const char *wal, const char *db)
{
    enum { WAL_HEADER = 32, FRAME_HEADER = 24 };
    FILE *w = fopen(wal, "rb");
    assert_non_null(w);
    static uint8_t frame[FRAME_HEADER + PAGE_BYTES], page_one[PAGE_BYTES];
    bool found = false;
    assert_int_equal(fseek(w, WAL_HEADER, SEEK_SET), 0);
    while (fread(frame, 1, sizeof frame, w) == sizeof frame) {
        uint32_t pgno = (uint32_t) frame[0] << 24 | (uint32_t) frame[1] << 16 | (uint32_t) frame[2] << 8 | frame[3];
        if (pgno == 1) {
            memcpy(page_one, frame + FRAME_HEADER, PAGE_BYTES);
            found = true;
        }
    }
    fclose(w);
    assert_true(found);
    FILE *d = fopen(db, "r+b");
    assert_non_null(d);
    assert_int_equal(fwrite(page_one, 1, PAGE_BYTES, d), PAGE_BYTES);
    assert_int_equal(fclose(d), 0);
    return (uint32_t) page_one[28] << 24 | (uint32_t) page_one[29] << 16 | (uint32_t) page_one[30] << 8 | page_one[31];
}

/* A crash in the middle of a checkpoint: the main file's header already
 * counts pages that are still only in the WAL. With the WAL beside it the
 * outbox opens (SQLite replays the WAL); without it, it is cut short. */
static void
test_checkpoint_crash_not_refused(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 20; i++)
        save_service(f, f->a, f->b, 30);
    reopen(f); /* checkpointed: the main file holds 20 ops */
    for (int i = 0; i < 200; i++)
        save_service(f, f->a, f->b, 30); /* in the WAL only (fewer than 1000 pages: the pages each
                                          * save writes, its indexes' included) */
    char copy[PATH_BYTES], wal[PATH_BYTES + 8], copy_wal[PATH_BYTES + 8];
    snprintf(copy, sizeof copy, "%s/copy.db", f->dir);
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    snprintf(copy_wal, sizeof copy_wal, "%s-wal", copy);
    copy_file(f->path, copy); /* the files as a power cut leaves them */
    copy_file(wal, copy_wal);
    uint32_t pages = checkpoint_page_one(copy_wal, copy);
    assert_true((int64_t) pages * PAGE_BYTES > file_bytes(copy));
    hb_outbox_t *ob = hb_outbox_open(copy, STATION, COMMUNITY, HB_OUTBOX_BYTES_DEFAULT, f->msg, sizeof f->msg);
    if (ob == NULL)
        fail_msg("refused: %s", f->msg);
    assert_int_equal(hb_outbox_last_seq(ob), 220);
    hb_outbox_destroy(&ob);
    remove_with_sidecars(copy);
    copy_file(f->path, copy);
    copy_file(wal, copy_wal);
    checkpoint_page_one(copy_wal, copy);
    assert_int_equal(unlink(copy_wal), 0);
    expect_refused(f, copy, "the file was cut short");
}

/* Names in dir other than the fixture's outbox and its sidecars. */
static int
stray_files(const char *dir, const char *keep)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            strncmp(e->d_name, "outbox.db", strlen("outbox.db")) == 0 || strncmp(e->d_name, keep, strlen(keep)) == 0)
            continue;
        print_error("stray file %s\n", e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

static unsigned
mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (unsigned) (st.st_mode & 07777);
}

static void
test_create_atomic_private(void **state)
{
    fixture_t *f = *state;
    mode_t old = umask(022);
    char fresh[PATH_BYTES], p[PATH_BYTES + 8];
    snprintf(fresh, sizeof fresh, "%s/fresh.db", f->dir);
    hb_outbox_t *ob = hb_outbox_open(fresh, STATION, COMMUNITY, HB_OUTBOX_BYTES_DEFAULT, f->msg, sizeof f->msg);
    assert_non_null(ob);
    assert_int_equal(mode_of(fresh), 0600);
    assert_int_equal(stray_files(f->dir, "fresh.db"), 0); /* no temp file left */
    assert_int_equal(hb_outbox_last_seq(ob), 0);
    assert_false(hb_outbox_restored(ob));
    uint64_t seq = 0;
    op_t o;
    char no[HB_MEMBER_NO_BUF_BYTES];
    assert_int_equal(hb_outbox_save(ob, service(&o, f->a, f->b, 30, ""), T0, &seq, no, f->msg, sizeof f->msg),
                     HB_RESULT_OK);
    assert_int_equal(seq, 1);
    snprintf(p, sizeof p, "%s-wal", fresh);
    assert_int_equal(mode_of(p), 0600);
    snprintf(p, sizeof p, "%s-shm", fresh);
    assert_int_equal(mode_of(p), 0600);
    hb_outbox_destroy(&ob);
    /* the new file was whole when it appeared: its meta row and schema are
     * in the main file, read by a connection of its own */
    char text[64];
    sql_text(fresh, "SELECT station_id || ' ' || community FROM meta", text, sizeof text);
    assert_string_equal(text, "1 QX03");
    assert_int_equal(stray_files(f->dir, "fresh.db"), 0);
    remove_with_sidecars(fresh);
    umask(old);
}

static void
test_restored_flag(void **state)
{
    fixture_t *f = *state;
    assert_false(hb_outbox_restored(f->ob));
    save_service(f, f->a, f->b, 30);
    hb_outbox_destroy(&f->ob);
    sql_exec(f->path, "UPDATE meta SET restored = 1");
    f->ob = open_ob(f, HB_OUTBOX_BYTES_DEFAULT);
    assert_true(hb_outbox_restored(f->ob));
    hb_outbox_destroy(&f->ob);
    sql_exec(f->path, "UPDATE meta SET restored = 0");
    f->ob = open_ob(f, HB_OUTBOX_BYTES_DEFAULT);
    assert_false(hb_outbox_restored(f->ob));
    /* what restore does to its copy: set, committed, seen at the next open */
    assert_int_equal(hb_outbox_mark_restored(f->ob, f->msg, sizeof f->msg), 0);
    assert_true(hb_outbox_restored(f->ob));
    reopen(f);
    assert_true(hb_outbox_restored(f->ob));
    char text[16];
    sql_text(f->path, "SELECT restored FROM meta", text, sizeof text);
    assert_string_equal(text, "1");
    assert_int_equal(hb_outbox_last_seq(f->ob), 1);
}

/* A live copy holds what the WAL holds, is one file in rollback mode, and
 * neither it nor its source gets stray files from being read. */
static void
test_inspect_and_copy(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 40; i++)
        save_service(f, f->a, f->b, 30); /* in the WAL: f->ob stays open */
    char copy[PATH_BYTES];
    snprintf(copy, sizeof copy, "%s/copy.db", f->dir);
    FILE *fp = fopen(copy, "wb");
    assert_non_null(fp);
    assert_int_equal(fclose(fp), 0);
    hb_outbox_info_t info;
    assert_int_equal(hb_outbox_copy(f->path, HB_OUTBOX_COPY_LIVE, copy, &info, f->msg, sizeof f->msg), 0);
    assert_int_equal(info.station_id, STATION);
    assert_string_equal(info.community, COMMUNITY);
    assert_int_equal(info.last_seq, 40);
    assert_int_equal(info.last_saved_at, T0);
    assert_false(info.restored);
    assert_int_equal(info.bytes, file_bytes(copy));
    assert_false(sidecar_exists(copy, "-wal"));
    assert_false(sidecar_exists(copy, "-journal"));
    char text[16];
    sql_text(copy, "PRAGMA journal_mode", text, sizeof text);
    assert_string_equal(text, "delete");
    hb_outbox_info_t again;
    assert_int_equal(hb_outbox_inspect(copy, &again, f->msg, sizeof f->msg), 0);
    assert_int_equal(again.last_seq, 40);
    assert_false(sidecar_exists(copy, "-wal"));
    assert_false(sidecar_exists(copy, "-shm"));
    /* the station goes on saving on its own file */
    assert_int_equal(save_service(f, f->a, f->b, 30), 41);
    /* a file that is no outbox is refused, and a missing one */
    cut_to(copy, 0);
    assert_int_equal(hb_outbox_inspect(copy, &again, f->msg, sizeof f->msg), -1);
    assert_non_null(strstr(f->msg, "is empty (0 bytes)"));
    assert_null(strstr(f->msg, "restore"));
    remove_with_sidecars(copy);
    assert_int_equal(hb_outbox_inspect(copy, &again, f->msg, sizeof f->msg), -1);
    assert_non_null(strstr(f->msg, "does not exist"));
}

static void
test_directory(void **state)
{
    fixture_t *f = *state;
    int64_t synced = -1;
    assert_int_equal(hb_outbox_directory_version(f->ob, &synced), 0);
    assert_int_equal(synced, 0);
    dir_abc(f);
    assert_int_equal(hb_outbox_directory_version(f->ob, &synced), 7);
    assert_int_equal(synced, T0);
    hb_outbox_member_t m;
    assert_int_equal(hb_outbox_member(f->ob, f->a, &m), 1);
    assert_string_equal(m.member_no, f->a);
    assert_string_equal(m.name, "Wang Fang");
    assert_int_equal(m.role, HOURBANK__ROLE__BOTH);
    assert_int_equal(m.birth_year, 1950);
    assert_int_equal(m.balance_minutes, 600);
    assert_int_equal(m.pending_minutes, 0);
    assert_false(m.pending_registration);
    char unknown[HB_MEMBER_NO_BUF_BYTES];
    member_no(unknown, 999);
    assert_int_equal(hb_outbox_member(f->ob, unknown, &m), 0);
    /* an update upserts by number */
    dir_t d;
    dir_init(&d, 9, true);
    dir_add(&d, f->a, "Wang Fang", 660);
    assert_int_equal(hb_outbox_directory_apply(f->ob, &d.reply, T0 + 50), 0);
    assert_int_equal(hb_outbox_directory_version(f->ob, &synced), 9);
    assert_int_equal(synced, T0 + 50);
    assert_int_equal(hb_outbox_member(f->ob, f->a, &m), 1);
    assert_int_equal(m.balance_minutes, 660);
    /* find: case-insensitive on names, by number fragment, bounded */
    hb_outbox_member_t found[4];
    assert_int_equal(hb_outbox_member_find(f->ob, "WANG", found, 4), 1);
    assert_string_equal(found[0].member_no, f->a);
    assert_int_equal(hb_outbox_member_find(f->ob, "li w", found, 4), 1);
    assert_string_equal(found[0].name, "Li Wei");
    assert_int_equal(hb_outbox_member_find(f->ob, "qx03-0001", found, 4), 3);
    assert_int_equal(hb_outbox_member_find(f->ob, "qx03-0001", found, 2), 2);
    assert_int_equal(hb_outbox_member_find(f->ob, "nobody", found, 4), 0);
    reopen(f);
    assert_int_equal(hb_outbox_directory_version(f->ob, NULL), 9);
    assert_int_equal(hb_outbox_member_find(f->ob, "zhang", found, 4), 1);
}

static void
test_pending_registration(void **state)
{
    fixture_t *f = *state;
    dir_abc(f);
    op_t o;
    char no[HB_MEMBER_NO_BUF_BYTES];
    save_ok(f, registration(&o, "", "Zhao Lan"), no);
    hb_outbox_member_t m;
    assert_int_equal(hb_outbox_member(f->ob, no, &m), 1);
    assert_true(m.pending_registration);
    assert_string_equal(m.name, "Zhao Lan");
    assert_int_equal(m.role, HOURBANK__ROLE__VOLUNTEER);
    assert_int_equal(m.birth_year, 1958);
    assert_int_equal(m.balance_minutes, 0);
    /* services for the new member count before central knows them */
    save_service(f, no, f->a, 45);
    assert_int_equal(hb_outbox_member(f->ob, no, &m), 1);
    assert_int_equal(m.pending_minutes, 45);
    hb_outbox_member_t found[4];
    assert_int_equal(hb_outbox_member_find(f->ob, "zhao", found, 4), 1);
    assert_string_equal(found[0].member_no, no);
    assert_true(found[0].pending_registration);
    assert_int_equal(found[0].pending_minutes, 45);
    assert_int_equal(hb_outbox_member_find(f->ob, "lan", found, 4), 1);
    /* acked: still found until the directory has the member */
    ack_ok(f, 1, 1, HB_RESULT_OK, T0);
    assert_int_equal(hb_outbox_member(f->ob, no, &m), 1);
    assert_false(m.pending_registration);
    dir_t d;
    dir_init(&d, 8, false);
    dir_add(&d, no, "Zhao Lan", 0);
    assert_int_equal(hb_outbox_directory_apply(f->ob, &d.reply, T0), 0);
    assert_int_equal(hb_outbox_member(f->ob, no, &m), 1);
    assert_int_equal(m.role, HOURBANK__ROLE__BOTH); /* from the directory now */
    assert_int_equal(hb_outbox_member_find(f->ob, "zhao", found, 4), 1);
    /* a rejected registration is not a member */
    save_ok(f, registration(&o, "", "Rejected Person"), no);
    ack_ok(f, 2, 2, HB_RESULT_DUPLICATE, T0);
    assert_int_equal(hb_outbox_member(f->ob, no, &m), 0);
    assert_int_equal(hb_outbox_member_find(f->ob, "rejected", found, 4), 0);
}

static void
test_pending_minutes(void **state)
{
    fixture_t *f = *state;
    dir_abc(f);
    save_service(f, f->a, f->b, 90); /* A provides to B */
    save_gift(f, f->a, f->c, 30);
    save_gift(f, f->c, f->a, 10);
    save_service(f, f->b, f->a, 60); /* A receives: not subtracted */
    assert_int_equal(pending_of(f, f->a), 90 - 30 + 10);
    assert_int_equal(pending_of(f, f->b), 60);
    assert_int_equal(pending_of(f, f->c), 30 - 10);
    /* acked but not yet in the directory's balances: still counted */
    ack_ok(f, 1, 4, HB_RESULT_OK, T0);
    assert_int_equal(pending_of(f, f->a), 70);
    dir_t d;
    dir_init(&d, 8, true);
    dir_add(&d, f->a, "Wang Fang", 670);
    assert_int_equal(hb_outbox_directory_apply(f->ob, &d.reply, T0), 0);
    assert_int_equal(pending_of(f, f->a), 70); /* more pages to come */
    dir_init(&d, 9, false);
    assert_int_equal(hb_outbox_directory_apply(f->ob, &d.reply, T0), 0);
    assert_int_equal(pending_of(f, f->a), 0);
    assert_int_equal(pending_of(f, f->c), 0);
    /* rejected ops count for nothing */
    save_gift(f, f->a, f->b, 20);
    assert_int_equal(pending_of(f, f->a), -20);
    ack_ok(f, 5, 1, HB_RESULT_INSUFFICIENT_BALANCE, T0);
    assert_int_equal(pending_of(f, f->a), 0);
    assert_int_equal(pending_of(f, f->b), 0);
    /* a void of a pending op cancels it; of a posted op, undoes it */
    op_t o;
    uint64_t s6 = save_service(f, f->a, f->b, 60);
    save_ok(f, voiding(&o, STATION, s6), NULL);
    assert_int_equal(pending_of(f, f->a), 0);
    ack_ok(f, 6, 2, HB_RESULT_OK, T0);
    dir_init(&d, 10, false);
    assert_int_equal(hb_outbox_directory_apply(f->ob, &d.reply, T0), 0);
    assert_int_equal(pending_of(f, f->a), 0);
    uint64_t s8 = save_gift(f, f->c, f->a, 15);
    ack_ok(f, s8, 1, HB_RESULT_OK, T0);
    assert_int_equal(hb_outbox_directory_apply(f->ob, &d.reply, T0), 0);
    save_ok(f, voiding(&o, STATION, s8), NULL);
    assert_int_equal(pending_of(f, f->a), -15);
    assert_int_equal(pending_of(f, f->c), 15);
    /* a void of another station's op: unknown effect, none counted */
    save_ok(f, voiding(&o, STATION + 1, s8), NULL);
    assert_int_equal(pending_of(f, f->a), -15);
}

static void
test_categories(void **state)
{
    fixture_t *f = *state;
    Hourbank__CategoriesReply r;
    assert_int_equal(hb_outbox_categories_get(f->ob, &r), 0);
    assert_int_equal(r.n_categories, 0);
    hb_outbox_categories_free(&r);
    assert_true(hb_outbox_category_known(f->ob, "anything")); /* no catalogue yet: central judges */

    Hourbank__Category cats[3];
    Hourbank__Category *ptrs[3];
    static const char *const names[] = {"meal-delivery", "companionship", "escort"};
    for (size_t i = 0; i < 3; i++) {
        hourbank__category__init(&cats[i]);
        cats[i].name = (char *) (uintptr_t) names[i];
        cats[i].description = i == 0 ? "hot meals at home" : "";
        ptrs[i] = &cats[i];
    }
    Hourbank__CategoriesReply in;
    hourbank__categories_reply__init(&in);
    in.categories = ptrs;
    in.n_categories = 3;
    assert_int_equal(hb_outbox_categories_set(f->ob, &in), 0);
    assert_true(hb_outbox_category_known(f->ob, "escort"));
    assert_false(hb_outbox_category_known(f->ob, "anything"));
    assert_false(hb_outbox_category_known(f->ob, "Escort"));
    reopen(f); /* the names in memory are loaded from the file */
    assert_true(hb_outbox_category_known(f->ob, "meal-delivery"));
    assert_false(hb_outbox_category_known(f->ob, "anything"));
    assert_int_equal(hb_outbox_categories_get(f->ob, &r), 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(r.categories[i]->name, names[i]);
    assert_string_equal(r.categories[0]->description, "hot meals at home");
    hb_outbox_categories_free(&r);
    assert_null(r.categories);
    /* replaced wholesale */
    in.categories = &ptrs[2];
    in.n_categories = 1;
    assert_int_equal(hb_outbox_categories_set(f->ob, &in), 0);
    assert_int_equal(hb_outbox_categories_get(f->ob, &r), 1);
    assert_string_equal(r.categories[0]->name, "escort");
    hb_outbox_categories_free(&r);
    assert_false(hb_outbox_category_known(f->ob, "meal-delivery"));
    assert_true(hb_outbox_category_known(f->ob, "escort"));
    /* a list central should never send (a duplicate) keeps the old one */
    ptrs[1] = ptrs[0];
    in.categories = ptrs;
    in.n_categories = 2;
    assert_int_equal(hb_outbox_categories_set(f->ob, &in), -1);
    assert_int_equal(hb_outbox_categories_get(f->ob, &r), 1);
    hb_outbox_categories_free(&r);
    assert_true(hb_outbox_category_known(f->ob, "escort")); /* memory still says what the file says */
    assert_false(hb_outbox_category_known(f->ob, "meal-delivery"));
}

/* ---- group saves ---- */

static int
count_commit(void *arg)
{
    (*(int *) arg)++;
    return 0; /* let it commit */
}

/* Saves n ops as one group, with the station's checks; returns how many
 * were stored and counts the commits in *commits. */
#define DESK "desk"  /* the operator of every checked save that names none */

static size_t
save_group(fixture_t *f, hb_outbox_save_t *v, size_t n, int *commits)
{
    if (hb_outbox_operator_state(f->ob, DESK) == 0)
        assert_int_equal(hb_outbox_operator_add(f->ob, DESK, "", T0, f->msg, sizeof f->msg), HB_RESULT_OK);
    for (size_t i = 0; i < n; i++)
        v[i].default_operator = v[i].default_operator ? v[i].default_operator : DESK;
    *commits = 0;
    sqlite3_commit_hook(f->ob->db, count_commit, commits);
    size_t stored = hb_outbox_save_group(f->ob, v, n, true, T0);
    sqlite3_commit_hook(f->ob->db, NULL, NULL);
    return stored;
}

static void
test_save_group(void **state)
{
    fixture_t *f = *state;
    dir_abc(f);
    save_service(f, f->a, f->b, 30); /* seq 1 */
    char unknown[HB_MEMBER_NO_BUF_BYTES], fresh[HB_MEMBER_NO_BUF_BYTES];
    member_no(unknown, 999);
    member_no(fresh, 2);
    op_t o[6];
    hb_outbox_save_t v[6] = {
        {.op = service(&o[0], f->a, unknown, 60, "")},             /* UNKNOWN_MEMBER */
        {.op = service(&o[1], f->a, f->c, 60, "")},                /* seq 2 */
        {.op = gift(&o[2], f->b, f->b, 10)},                       /* SELF_SERVICE */
        {.op = registration(&o[3], "", "Zhou Lan")},               /* seq 3, a number */
        {.op = registration(&o[4], "", "Sun Li")},                 /* seq 4, the next number */
        {.op = service(&o[5], fresh, f->a, 15, "same group")},     /* seq 5: Sun Li is known */
    };
    int commits = 0;
    assert_int_equal(save_group(f, v, 6, &commits), 4);
    assert_int_equal(commits, 1); /* one transaction, one fsync, for the whole group */
    assert_int_equal(v[0].result, HB_RESULT_UNKNOWN_MEMBER);
    assert_int_equal(v[0].seq, 0);
    assert_non_null(strstr(v[0].msg, unknown));
    assert_int_equal(v[2].result, HB_RESULT_SELF_SERVICE);
    assert_true(strncmp(v[2].msg, "kind=gift\nmember=", strlen("kind=gift\nmember=")) == 0);
    static const uint64_t want_seq[] = {0, 2, 0, 3, 4, 5};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(v[i].seq, want_seq[i]);
    expect_serial(v[3].member_no, 1);
    assert_string_equal(v[4].member_no, fresh);
    assert_string_equal(v[1].member_no, "");
    assert_int_equal(hb_outbox_last_seq(f->ob), 5);
    assert_int_equal(hb_outbox_last_acked(f->ob), 0);
    /* stored in order, durable: a reopened file hands them out as a batch */
    reopen(f);
    assert_int_equal(hb_outbox_last_seq(f->ob), 5);
    Hourbank__Batch batch;
    assert_int_equal(hb_outbox_next_batch(f->ob, 1, HB_BATCH_OPS_MAX, HB_MSG_BYTES_MAX, &batch), 4);
    assert_int_equal(batch.ops[0]->kind_case, HOURBANK__OP__KIND_SERVICE);
    assert_string_equal(batch.ops[1]->register_member->member_no, v[3].member_no);
    assert_string_equal(batch.ops[3]->service->provider, fresh);
    hb_outbox_batch_free(&batch);
    /* the next registration takes the next serial: the group persisted it */
    op_t r;
    char no[HB_MEMBER_NO_BUF_BYTES];
    assert_int_equal(save_ok(f, registration(&r, "", "Qian Yu"), no), 6);
    expect_serial(no, 3);
}

static void
test_save_group_checks(void **state)
{
    fixture_t *f = *state;
    dir_abc(f);
    Hourbank__Category cat;
    Hourbank__Category *ptr = &cat;
    hourbank__category__init(&cat);
    cat.name = "companionship";
    cat.description = "";
    Hourbank__CategoriesReply in;
    hourbank__categories_reply__init(&in);
    in.categories = &ptr;
    in.n_categories = 1;
    assert_int_equal(hb_outbox_categories_set(f->ob, &in), 0);
    op_t o[4];
    hb_outbox_save_t v[4] = {
        {.op = service(&o[0], f->a, f->b, 60, "")},  /* companionship: in the catalogue */
        {.op = service(&o[1], f->a, f->b, 60, "")},  /* made an unknown category below */
        {.op = service(&o[2], f->c, f->c, 60, "")},  /* to oneself */
        {.op = registration(&o[3], "", "Kong Ping")}, /* family_of unknown below */
    };
    o[1].service.category = "gardening";
    char unknown[HB_MEMBER_NO_BUF_BYTES];
    member_no(unknown, 998);
    o[3].reg.family_of = unknown;
    int commits = 0;
    assert_int_equal(save_group(f, v, 4, &commits), 1);
    assert_int_equal(commits, 1);
    assert_int_equal(v[0].result, HB_RESULT_OK);
    assert_int_equal(v[0].seq, 1);
    assert_int_equal(v[1].result, HB_RESULT_UNKNOWN_CATEGORY);
    assert_string_equal(v[1].msg, "category=gardening");
    assert_int_equal(v[2].result, HB_RESULT_SELF_SERVICE);
    assert_int_equal(v[3].result, HB_RESULT_UNKNOWN_MEMBER);
    assert_string_equal(v[3].member_no, ""); /* no number was handed out */
    /* without checks (hb_outbox_save) the same ops are stored: central judges */
    uint64_t seq = 0;
    char no[HB_MEMBER_NO_BUF_BYTES];
    assert_int_equal(hb_outbox_save(f->ob, v[1].op, T0, &seq, no, f->msg, sizeof f->msg), HB_RESULT_OK);
    assert_int_equal(seq, 2);
    assert_int_equal(hb_outbox_save(f->ob, v[3].op, T0, &seq, no, f->msg, sizeof f->msg), HB_RESULT_OK);
    expect_serial(no, 1);
    /* a single save is a group of one: one commit */
    hb_outbox_save_t one = {.op = service(&o[0], f->b, f->a, 5, "")};
    assert_int_equal(save_group(f, &one, 1, &commits), 1);
    assert_int_equal(commits, 1);
    assert_int_equal(one.seq, 4);
    /* members are known from the directory and from registrations here */
    assert_int_equal(hb_outbox_member_known(f->ob, f->a), 1);
    assert_int_equal(hb_outbox_member_known(f->ob, no), 1);
    assert_int_equal(hb_outbox_member_known(f->ob, unknown), 0);
}

/* ---- request ids, notes, look-ups ---- */

/* hb_outbox_save_group of one op with a request id, with checks. */
static hb_outbox_save_t
save_with_id(fixture_t *f, const Hourbank__Op *op, const char *request_id)
{
    hb_outbox_save_t v = {.op = op, .request_id = request_id};
    int commits = 0;
    size_t stored = save_group(f, &v, 1, &commits);
    assert_int_equal(stored, v.result == HB_RESULT_OK && !v.repeated ? 1 : 0);
    return v;
}

static int64_t
ops_count(fixture_t *f)
{
    char n[32];
    sql_text(f->path, "SELECT count(*) FROM ops", n, sizeof n);
    return strtoll(n, NULL, 10);
}

static void
test_request_id_across_commits(void **state)
{
    fixture_t *f = *state;
    dir_abc(f);
    op_t o;
    hb_outbox_save_t v = save_with_id(f, service(&o, f->a, f->b, 30, "bath"), "r-1");
    assert_int_equal(v.result, HB_RESULT_OK);
    assert_int_equal(v.seq, 1);
    assert_false(v.repeated);
    /* the same request again, stamped later (an operator re-entering it): the original answer */
    o.op.occurred_at = T0 + 600;
    v = save_with_id(f, &o.op, "r-1");
    assert_int_equal(v.result, HB_RESULT_OK);
    assert_true(v.repeated);
    assert_int_equal(v.seq, 1);
    assert_string_equal(v.member_no, "");
    /* a registration: the same number, no new serial used */
    char no[HB_MEMBER_NO_BUF_BYTES];
    v = save_with_id(f, registration(&o, "", "Zhou Lan"), "r-2");
    assert_int_equal(v.seq, 2);
    snprintf(no, sizeof no, "%s", v.member_no);
    expect_serial(no, 1);
    reopen(f);  /* durable */
    v = save_with_id(f, registration(&o, "", "Zhou Lan"), "r-2");
    assert_true(v.repeated);
    assert_int_equal(v.seq, 2);
    assert_string_equal(v.member_no, no);
    assert_int_equal(hb_outbox_last_seq(f->ob), 2);
    save_ok(f, registration(&o, "", "Sun Li"), no);
    expect_serial(no, 2);
    /* the id reused for other work: refused, nothing stored */
    v = save_with_id(f, service(&o, f->a, f->b, 45, "bath"), "r-1");
    assert_int_equal(v.result, HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD);
    assert_false(v.repeated);
    assert_int_equal(v.seq, 0);
    assert_non_null(strstr(v.msg, "request id \"r-1\" was used for other work (station 1, seq 1)"));
    /* a refused save stores no id: the retry is judged afresh */
    char unknown[HB_MEMBER_NO_BUF_BYTES];
    member_no(unknown, 999);
    v = save_with_id(f, service(&o, f->a, unknown, 30, ""), "r-3");
    assert_int_equal(v.result, HB_RESULT_UNKNOWN_MEMBER);
    v = save_with_id(f, service(&o, f->a, f->c, 30, ""), "r-3");
    assert_int_equal(v.result, HB_RESULT_OK);
    assert_false(v.repeated);
    assert_int_equal(v.seq, 4);
    /* without an id nothing is recognised: two saves */
    assert_int_equal(save_service(f, f->a, f->b, 30), 5);
    assert_int_equal(save_service(f, f->a, f->b, 30), 6);
    assert_int_equal(ops_count(f), 6);
    char id[64];
    sql_text(f->path, "SELECT request_id FROM ops WHERE seq = 4", id, sizeof id);
    assert_string_equal(id, "r-3");
}

static void
test_request_id_in_one_group(void **state)
{
    fixture_t *f = *state;
    dir_abc(f);
    char unknown[HB_MEMBER_NO_BUF_BYTES];
    member_no(unknown, 999);
    op_t o[6];
    hb_outbox_save_t v[6] = {
        {.op = service(&o[0], f->a, f->c, 15, ""), .request_id = "g-1"},   /* seq 1 */
        {.op = service(&o[1], f->a, f->c, 15, ""), .request_id = "g-1"},   /* the same: answered as seq 1 */
        {.op = service(&o[2], f->a, unknown, 5, ""), .request_id = "g-2"}, /* refused: no id stored */
        {.op = service(&o[3], f->a, f->b, 5, ""), .request_id = "g-2"},    /* judged afresh: seq 2 */
        {.op = registration(&o[4], "", "Kong Ping"), .request_id = "g-3"}, /* seq 3, serial 1 */
        {.op = registration(&o[5], "", "Kong Ping"), .request_id = "g-3"}, /* the same number */
    };
    int commits = 0;
    assert_int_equal(save_group(f, v, 6, &commits), 3);
    assert_int_equal(commits, 1);
    static const uint64_t want_seq[] = {1, 1, 0, 2, 3, 3};
    static const bool want_repeated[] = {false, true, false, false, false, true};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(v[i].seq, want_seq[i]);
        assert_int_equal(v[i].repeated, want_repeated[i]);
        assert_int_equal(v[i].result, i == 2 ? HB_RESULT_UNKNOWN_MEMBER : HB_RESULT_OK);
    }
    expect_serial(v[4].member_no, 1);
    assert_string_equal(v[5].member_no, v[4].member_no);
    assert_int_equal(ops_count(f), 3);
    assert_int_equal(hb_outbox_last_seq(f->ob), 3);
    /* after the commit too */
    reopen(f);
    hb_outbox_save_t again = save_with_id(f, service(&o[0], f->a, f->c, 15, ""), "g-1");
    assert_true(again.repeated);
    assert_int_equal(again.seq, 1);
    assert_int_equal(ops_count(f), 3);
}

static void
test_find_note(void **state)
{
    fixture_t *f = *state;
    dir_abc(f);
    op_t o;
    save_ok(f, service(&o, f->a, f->b, 30, "50% off_peak visit"), NULL);   /* 1 */
    save_ok(f, service(&o, f->a, f->b, 30, "5000 offXpeak visit"), NULL);  /* 2: LIKE '%50% off_peak%' matches */
    gift(&o, f->a, f->c, 60);
    o.gift.reason = "for my mother";
    save_ok(f, &o.op, NULL);                                                 /* 3 */
    save_ok(f, voiding(&o, STATION, 2), NULL);                               /* 4: "entered twice" */
    save_ok(f, registration(&o, "", "Visit Li"), NULL);                      /* 5: no note */
    save_ok(f, service(&o, f->b, f->c, 45, "送餐上门, visit"), NULL);        /* 6 */
    Hourbank__QueueReply r;
    hourbank__queue_reply__init(&r);
    assert_int_equal(hb_outbox_find_note(f->ob, "%", 10, &r), 1);
    assert_int_equal(r.ops[0]->seq, 1);
    assert_string_equal(r.ops[0]->note, "50% off_peak visit");
    hb_outbox_queue_free(&r);
    assert_int_equal(hb_outbox_find_note(f->ob, "_", 10, &r), 1);
    assert_int_equal(r.ops[0]->seq, 1);
    hb_outbox_queue_free(&r);
    assert_int_equal(hb_outbox_find_note(f->ob, "50% off_peak", 10, &r), 1);
    assert_int_equal(r.ops[0]->seq, 1);
    hb_outbox_queue_free(&r);
    assert_int_equal(hb_outbox_find_note(f->ob, "f_p", 10, &r), 1);
    hb_outbox_queue_free(&r);
    /* newest first; a registration has no note, so its name does not match */
    assert_int_equal(hb_outbox_find_note(f->ob, "visit", 10, &r), 3);
    assert_int_equal(r.ops[0]->seq, 6);
    assert_int_equal(r.ops[1]->seq, 2);
    assert_int_equal(r.ops[2]->seq, 1);
    hb_outbox_queue_free(&r);
    assert_int_equal(hb_outbox_find_note(f->ob, "visit", 2, &r), 2);  /* bounded */
    hb_outbox_queue_free(&r);
    assert_int_equal(hb_outbox_find_note(f->ob, "mother", 10, &r), 1);  /* a gift's reason */
    assert_int_equal(r.ops[0]->seq, 3);
    assert_string_equal(r.ops[0]->kind, "gift");
    hb_outbox_queue_free(&r);
    assert_int_equal(hb_outbox_find_note(f->ob, "MOTHER", 10, &r), 0);  /* case-sensitive */
    assert_null(r.ops);
    assert_int_equal(hb_outbox_find_note(f->ob, "twice", 10, &r), 1);   /* a void's reason */
    assert_int_equal(r.ops[0]->seq, 4);
    hb_outbox_queue_free(&r);
    assert_int_equal(hb_outbox_find_note(f->ob, "送餐", 10, &r), 1);
    assert_int_equal(r.ops[0]->seq, 6);
    hb_outbox_queue_free(&r);
}

static void
test_get_and_changed(void **state)
{
    fixture_t *f = *state;
    dir_abc(f);
    op_t o;
    hb_outbox_save_t v = save_with_id(f, service(&o, f->a, f->b, 90, "bath and breakfast"), "req-1");
    assert_int_equal(v.seq, 1);
    save_gift(f, f->a, f->c, 30);                                   /* 2 */
    save_ok(f, service(&o, f->b, f->a, 20, ""), NULL);              /* 3: pending */
    Hourbank__QueueReply r;
    hourbank__queue_reply__init(&r);
    assert_int_equal(hb_outbox_get(f->ob, 1, &r), 1);
    const Hourbank__QueuedOp *q = r.ops[0];
    assert_int_equal(q->seq, 1);
    assert_string_equal(q->kind, "service");
    assert_string_equal(q->note, "bath and breakfast");
    assert_string_equal(q->request_id, "req-1");
    assert_int_equal(q->result, HOURBANK__RESULT__RESULT_UNSET);
    assert_int_equal(q->acked_at, 0);
    assert_int_equal(q->saved_at, T0);
    hb_outbox_queue_free(&r);
    ack_ok(f, 1, 1, HB_RESULT_OK, T0 + 100);
    ack_ok(f, 2, 1, HB_RESULT_NOT_FAMILY, T0 + 101);
    assert_int_equal(hb_outbox_dismiss(f->ob, 2), HB_RESULT_OK);
    assert_int_equal(hb_outbox_get(f->ob, 1, &r), 1);
    assert_int_equal(r.ops[0]->result, HOURBANK__RESULT__OK);
    assert_int_equal(r.ops[0]->transfer_id, 1001);
    assert_int_equal(r.ops[0]->acked_at, T0 + 100);
    assert_false(r.ops[0]->dismissed);
    assert_int_equal(r.ops[0]->prior_result, HOURBANK__RESULT__RESULT_UNSET);
    hb_outbox_queue_free(&r);
    assert_int_equal(hb_outbox_get(f->ob, 2, &r), 1);  /* dismissed rejections are still held */
    assert_int_equal(r.ops[0]->result, HOURBANK__RESULT__NOT_FAMILY);
    assert_string_equal(r.ops[0]->message, "rejected for the test");
    assert_true(r.ops[0]->dismissed);
    assert_string_equal(r.ops[0]->request_id, "");
    assert_string_equal(r.ops[0]->note, "");
    hb_outbox_queue_free(&r);
    assert_int_equal(hb_outbox_get(f->ob, 4, &r), 0);
    assert_null(r.ops);
    assert_int_equal(hb_outbox_get(f->ob, 0, &r), 0);
    assert_int_equal(hb_outbox_get(f->ob, UINT64_MAX, &r), 0);
    /* nothing changed yet */
    hb_outbox_status_t st;
    assert_int_equal(hb_outbox_status(f->ob, &st), 0);
    assert_int_equal(st.changed, 0);
    assert_int_equal(hb_outbox_list(f->ob, HB_OUTBOX_LIST_CHANGED, 10, &r), 0);
    /* central answered seq 1 differently when resent (the resend path is
     * sync's; here the columns are set as it would set them) */
    sql_exec(f->path, "UPDATE ops SET prior_result = 1, prior_message = '', prior_transfer_id = 1001,"
                      " result = 12, message = 'the payer holds 0m', transfer_id = 0, changed_at = 1 WHERE seq = 1");
    assert_int_equal(hb_outbox_status(f->ob, &st), 0);
    assert_int_equal(st.changed, 1);
    assert_int_equal(hb_outbox_list(f->ob, HB_OUTBOX_LIST_CHANGED, 10, &r), 1);
    assert_int_equal(r.ops[0]->seq, 1);
    assert_int_equal(r.ops[0]->prior_result, HOURBANK__RESULT__OK);
    assert_int_equal(r.ops[0]->result, HOURBANK__RESULT__INSUFFICIENT_BALANCE);
    assert_string_equal(r.ops[0]->message, "the payer holds 0m");
    hb_outbox_queue_free(&r);
    /* the pending list carries the new fields too */
    assert_int_equal(hb_outbox_list(f->ob, HB_OUTBOX_LIST_PENDING, 10, &r), 1);
    assert_int_equal(r.ops[0]->seq, 3);
    assert_string_equal(r.ops[0]->note, "");
    hb_outbox_queue_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_save_ack_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seqs_persist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_member_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_full_frees_on_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_next_batch_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_confirm_marks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_list_dismiss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compact_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compact_keeps_sequence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_upgrade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_zone_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_upgrade_operators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_upgrade_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_operators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_result_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_largest_save_fits_with_default_operator, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_minutes_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_station_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_crash_not_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_atomic_private, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restored_flag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inspect_and_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_registration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_minutes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_categories, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_group_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_id_across_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_id_in_one_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_note, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_and_changed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
