/* test_outbox_lives.c - members' lives at the station's outbox (issue 15):
 * a member's later numbers resolve to the first, the directory's family
 * and left flag, a move's allocated number, the checks at save
 * (POSSIBLE_DUPLICATE, MEMBER_LEFT, ALREADY_HOME, UNKNOWN_MEMBER), what an
 * opening and a leave foresee, the erasure of a member who left (rows,
 * payloads, and the bytes of outbox.db and its -wal), and the copy of the
 * rules keeping leaver_hours. Every test works in its own mkdtemp dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "hb_memberno.h"
#include "hb_wire.h"
#include "outbox.h"
#include "outbox_int.h" /* the SQLite handle, to read rows as stored */

#define STATION 1u
#define COMMUNITY "QX03"
#define OTHER "QX04"
#define T0 INT64_C(1704067200) /* 2024-01-01 */
#define MSG_BYTES (HB_MESSAGE_BYTES_MAX * 2)
#define DIR_BYTES 200
#define PATH_BYTES 256
#define DESK "desk"
#define DIR_MAX 8
#define FILE_BYTES_MAX (64 * 1024 * 1024)
#define ERASED_NAME "Zhou Erasure \xE5\x91\xA8\xE6\x8A\xB9\xE9\x99\xA4" /* 周抹除 */
#define ERASED_HAN "\xE5\x91\xA8\xE6\x8A\xB9\xE9\x99\xA4"
#define AMENDED_NAME "Zhou Gaiming \xE5\x91\xA8\xE6\x94\xB9\xE5\x90\x8D" /* 周改名 */
#define KEPT_NAME "Li Baoliu \xE6\x9D\x8E\xE4\xBF\x9D\xE7\x95\x99"     /* 李保留 */

typedef struct {
    char dir[DIR_BYTES];
    char path[PATH_BYTES];
    char msg[MSG_BYTES];
    hb_outbox_t *ob;
    char a[HB_MEMBER_NO_BUF_BYTES], b[HB_MEMBER_NO_BUF_BYTES];  /* QX03, directory */
    char x[HB_MEMBER_NO_BUF_BYTES], x2[HB_MEMBER_NO_BUF_BYTES]; /* QX04, and x's later number */
} fixture_t;

static void
number(char *buf, const char *community, uint32_t serial)
{
    assert_int_equal(hb_memberno_format(buf, HB_MEMBER_NO_BUF_BYTES, community, serial), 0);
}

static hb_outbox_t *
open_ob(fixture_t *f)
{
    hb_outbox_t *ob = hb_outbox_open(f->path, STATION, COMMUNITY, HB_OUTBOX_BYTES_DEFAULT, f->msg, sizeof f->msg);
    if (ob == NULL)
        print_error("open failed: %s\n", f->msg);
    assert_non_null(ob);
    return ob;
}

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "%s/test_lives.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/outbox.db", f->dir);
    number(f->a, COMMUNITY, 101);
    number(f->b, COMMUNITY, 102);
    number(f->x, OTHER, 7);
    number(f->x2, "QX05", 9);
    f->ob = open_ob(f);
    assert_int_equal(hb_outbox_operator_add(f->ob, DESK, "", T0, f->msg, sizeof f->msg), HB_RESULT_OK);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    hb_outbox_destroy(&f->ob);
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[PATH_BYTES + 16];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffixes[i]);
        unlink(p);
    }
    assert_int_equal(rmdir(f->dir), 0);
    free(f);
    return 0;
}

/* ---- ops ---- */

typedef struct {
    Hourbank__Op op;
    Hourbank__RegisterMember reg;
    Hourbank__ServiceRecord service;
    Hourbank__Gift gift;
    Hourbank__AmendMember amend;
    Hourbank__MoveMember move;
    Hourbank__LeaveMember leave;
    Hourbank__OpeningBalance opening;
    char *heirs[1];
} op_t;

static Hourbank__Op *
op_init(op_t *o, Hourbank__Op__KindCase kind)
{
    memset(o, 0, sizeof *o);
    hourbank__op__init(&o->op);
    o->op.occurred_at = T0;
    o->op.kind_case = kind;
    return &o->op;
}

static Hourbank__Op *
registration(op_t *o, const char *name, uint32_t birth_year)
{
    op_init(o, HOURBANK__OP__KIND_REGISTER_MEMBER);
    hourbank__register_member__init(&o->reg);
    o->op.register_member = &o->reg;
    o->reg.name = (char *) (uintptr_t) name;
    o->reg.role = HOURBANK__ROLE__BOTH;
    o->reg.birth_year = birth_year;
    return &o->op;
}

static Hourbank__Op *
service(op_t *o, const char *provider, const char *recipient, int64_t minutes)
{
    op_init(o, HOURBANK__OP__KIND_SERVICE);
    hourbank__service_record__init(&o->service);
    o->op.service = &o->service;
    o->service.provider = (char *) (uintptr_t) provider;
    o->service.recipient = (char *) (uintptr_t) recipient;
    o->service.minutes = minutes;
    o->service.category = "companionship";
    return &o->op;
}

static Hourbank__Op *
gift(op_t *o, const char *from, const char *to, int64_t minutes)
{
    op_init(o, HOURBANK__OP__KIND_GIFT);
    hourbank__gift__init(&o->gift);
    o->op.gift = &o->gift;
    o->gift.from_member = (char *) (uintptr_t) from;
    o->gift.to_member = (char *) (uintptr_t) to;
    o->gift.minutes = minutes;
    return &o->op;
}

static Hourbank__Op *
amend(op_t *o, const char *member, const char *name)
{
    op_init(o, HOURBANK__OP__KIND_AMEND);
    hourbank__amend_member__init(&o->amend);
    o->op.amend = &o->amend;
    o->amend.member_no = (char *) (uintptr_t) member;
    o->amend.name = (char *) (uintptr_t) name;
    o->amend.birth_year = 1944;
    return &o->op;
}

static Hourbank__Op *
move(op_t *o, const char *member)
{
    op_init(o, HOURBANK__OP__KIND_MOVE);
    hourbank__move_member__init(&o->move);
    o->op.move = &o->move;
    o->move.member_no = (char *) (uintptr_t) member;
    return &o->op;
}

static Hourbank__Op *
leave(op_t *o, const char *member, const char *heir)
{
    op_init(o, HOURBANK__OP__KIND_LEAVE);
    hourbank__leave_member__init(&o->leave);
    o->op.leave = &o->leave;
    o->leave.member_no = (char *) (uintptr_t) member;
    o->leave.died = true;
    if (heir) {
        o->heirs[0] = (char *) (uintptr_t) heir;
        o->leave.heirs = o->heirs;
        o->leave.n_heirs = 1;
    }
    return &o->op;
}

static Hourbank__Op *
opening(op_t *o, const char *member, int64_t minutes)
{
    op_init(o, HOURBANK__OP__KIND_OPENING);
    hourbank__opening_balance__init(&o->opening);
    o->op.opening = &o->opening;
    o->opening.member_no = (char *) (uintptr_t) member;
    o->opening.minutes = minutes;
    o->opening.source = "passbook p. 14";
    return &o->op;
}

/* One op saved with the station's checks (as the CLI's saves are). */
static hb_outbox_save_t
save(fixture_t *f, const Hourbank__Op *op, bool confirm_new, bool dry_run)
{
    hb_outbox_save_t v = {.op = op, .default_operator = DESK, .confirm_new = confirm_new, .dry_run = dry_run};
    hb_outbox_save_group(f->ob, &v, 1, true, T0);
    return v;
}

static uint64_t
save_ok(fixture_t *f, const Hourbank__Op *op, char *member_no_out)
{
    hb_outbox_save_t v = save(f, op, false, false);
    if (v.result != HB_RESULT_OK)
        print_error("save refused %d: %s\n", v.result, v.msg);
    assert_int_equal(v.result, HB_RESULT_OK);
    if (member_no_out)
        snprintf(member_no_out, HB_MEMBER_NO_BUF_BYTES, "%s", v.member_no);
    return v.seq;
}

static void
expect_refused(fixture_t *f, const Hourbank__Op *op, hb_result_t code, const char *values)
{
    for (int dry = 0; dry < 2; dry++) {  /* a dry run answers the same */
        hb_outbox_save_t v = save(f, op, false, dry);
        assert_int_equal(v.result, code);
        assert_string_equal(v.msg, values);
        assert_int_equal(v.seq, 0);
    }
}

static void
ack_result(fixture_t *f, uint64_t seq, Hourbank__Result result)
{
    Hourbank__OpResult r, *rp = &r;
    hourbank__op_result__init(&r);
    r.seq = seq;
    r.result = result;
    r.message = "";
    r.transfer_id = result == HOURBANK__RESULT__OK ? 1000 + seq : 0;
    Hourbank__BatchAck a;
    hourbank__batch_ack__init(&a);
    a.batch_result = HOURBANK__RESULT__OK;
    a.results = &rp;
    a.n_results = 1;
    assert_int_equal(hb_outbox_ack(f->ob, &a, T0, f->msg, sizeof f->msg), 0);
}

static void
ack_one(fixture_t *f, uint64_t seq)
{
    ack_result(f, seq, HOURBANK__RESULT__OK);
}

/* ---- directory ---- */

typedef struct {
    Hourbank__DirectoryReply reply;
    Hourbank__Member members[DIR_MAX];
    Hourbank__Member *ptrs[DIR_MAX];
} dir_t;

static void
dir_init(dir_t *d, uint64_t version)
{
    memset(d, 0, sizeof *d);
    hourbank__directory_reply__init(&d->reply);
    d->reply.members = d->ptrs;
    d->reply.version = version;
}

static Hourbank__Member *
dir_add(dir_t *d, const char *no, const char *name, const char *community, int64_t balance)
{
    assert_true(d->reply.n_members < DIR_MAX);
    Hourbank__Member *m = &d->members[d->reply.n_members];
    hourbank__member__init(m);
    m->member_no = (char *) (uintptr_t) no;
    m->name = (char *) (uintptr_t) name;
    m->role = HOURBANK__ROLE__BOTH;
    m->birth_year = 1950;
    m->balance_minutes = balance;
    m->version = d->reply.version;
    m->community = (char *) (uintptr_t) community;
    d->ptrs[d->reply.n_members++] = m;
    return m;
}

static void
dir_apply(fixture_t *f, dir_t *d)
{
    assert_int_equal(hb_outbox_directory_apply(f->ob, &d->reply, T0), 0);
}

/* A "Wang Fang" 1950 and B of QX03 (B linked to A as daughter); X of QX04
 * with a later number x2. */
static void
dir_base(fixture_t *f)
{
    dir_t d;
    dir_init(&d, 5);
    dir_add(&d, f->a, "Wang Fang", COMMUNITY, 600);
    Hourbank__Member *b = dir_add(&d, f->b, "Li Wei", COMMUNITY, 120);
    static Hourbank__FamilyLink link, *links[1] = {&link};
    hourbank__family_link__init(&link);
    link.member_no = f->a;
    link.relation = "mother";
    b->family = links;
    b->n_family = 1;
    Hourbank__Member *x = dir_add(&d, f->x, "Chen Jing", OTHER, 300);
    static char *numbers[1];
    numbers[0] = f->x2;
    x->numbers = numbers;
    x->n_numbers = 1;
    dir_apply(f, &d);
}

/* ---- tests ---- */

static void
test_duplicate(void **state)
{
    fixture_t *f = *state;
    dir_base(f);
    op_t o;
    char values[MSG_BYTES];
    snprintf(values, sizeof values, "member=%s\nbirth_year=1950", f->a);
    /* the same name without case or surrounding spaces and the same year */
    expect_refused(f, registration(&o, "  wang FANG ", 1950), HB_RESULT_POSSIBLE_DUPLICATE, values);
    hb_outbox_save_t v = save(f, registration(&o, "Wang Fang", 1950), true, false);
    assert_int_equal(v.result, HB_RESULT_OK);  /* confirm_new: another person */
    assert_true(v.seq > 0);
    char first[HB_MEMBER_NO_BUF_BYTES];
    snprintf(first, sizeof first, "%s", v.member_no);
    /* another year, no year, another community's member: not duplicates */
    assert_int_equal(save(f, registration(&o, "Wang Fang", 1951), false, true).result, HB_RESULT_OK);
    assert_int_equal(save(f, registration(&o, "Wang Fang", 0), false, true).result, HB_RESULT_OK);
    assert_int_equal(save(f, registration(&o, "Chen Jing", 1950), false, true).result, HB_RESULT_OK);
    /* a registration saved here (pending) counts too */
    char zl[HB_MEMBER_NO_BUF_BYTES];
    save_ok(f, registration(&o, "Zhou Lan", 1962), zl);
    snprintf(values, sizeof values, "member=%s\nbirth_year=1962", zl);
    expect_refused(f, registration(&o, "zhou lan", 1962), HB_RESULT_POSSIBLE_DUPLICATE, values);
    assert_int_equal(save(f, registration(&o, "zhou lan", 1962), true, false).result, HB_RESULT_OK);
}

static void
test_left_and_home(void **state)
{
    fixture_t *f = *state;
    dir_base(f);
    char gone[HB_MEMBER_NO_BUF_BYTES], nobody[HB_MEMBER_NO_BUF_BYTES], values[MSG_BYTES];
    number(gone, COMMUNITY, 150);
    number(nobody, COMMUNITY, 999);
    dir_t d;
    dir_init(&d, 6);
    dir_add(&d, gone, "", COMMUNITY, 0)->left = true;
    dir_apply(f, &d);
    op_t o;
    snprintf(values, sizeof values, "role=provider\nmember=%s", gone);
    expect_refused(f, service(&o, gone, f->a, 30), HB_RESULT_MEMBER_LEFT, values);
    expect_refused(f, service(&o, gone, gone, 30), HB_RESULT_MEMBER_LEFT, values);  /* left before self */
    snprintf(values, sizeof values, "role=receiver\nmember=%s", gone);
    expect_refused(f, gift(&o, f->a, gone, 30), HB_RESULT_MEMBER_LEFT, values);
    snprintf(values, sizeof values, "role=member\nmember=%s", gone);
    expect_refused(f, amend(&o, gone, "New Name"), HB_RESULT_MEMBER_LEFT, values);
    expect_refused(f, opening(&o, gone, 60), HB_RESULT_MEMBER_LEFT, values);
    snprintf(values, sizeof values, "role=heir\nmember=%s", gone);
    expect_refused(f, leave(&o, f->a, gone), HB_RESULT_MEMBER_LEFT, values);
    /* unknown members of the new kinds */
    snprintf(values, sizeof values, "role=member\nmember=%s", nobody);
    expect_refused(f, move(&o, nobody), HB_RESULT_UNKNOWN_MEMBER, values);
    expect_refused(f, leave(&o, nobody, NULL), HB_RESULT_UNKNOWN_MEMBER, values);
    /* a move of a member already of this community */
    snprintf(values, sizeof values, "member=%s\ncommunity=%s", f->a, COMMUNITY);
    expect_refused(f, move(&o, f->a), HB_RESULT_ALREADY_HOME, values);
    /* the rest is central's to judge: saved */
    save_ok(f, amend(&o, f->a, "Wang Fangfang"), NULL);
    save_ok(f, opening(&o, f->b, -90), NULL);
    save_ok(f, leave(&o, f->a, f->b), NULL);
}

static void
test_alias_resolves(void **state)
{
    fixture_t *f = *state;
    dir_base(f);
    hb_outbox_member_t m;
    assert_int_equal(hb_outbox_member(f->ob, f->x2, &m), 1);  /* the later number */
    assert_string_equal(m.member_no, f->x);
    assert_string_equal(m.name, "Chen Jing");
    assert_int_equal(m.n_numbers, 1);
    assert_string_equal(m.numbers[0], f->x2);
    assert_int_equal(hb_outbox_member_known(f->ob, f->x2), 1);
    hb_outbox_member_t found[4];
    assert_int_equal(hb_outbox_member_find(f->ob, "qx05-", found, 4), 1);
    assert_string_equal(found[0].member_no, f->x);
    /* family links as the directory gave them */
    assert_int_equal(hb_outbox_member(f->ob, f->b, &m), 1);
    assert_int_equal(m.n_family, 1);
    assert_string_equal(m.family[0].member_no, f->a);
    assert_string_equal(m.family[0].relation, "mother");
    assert_false(m.left);
    /* one member by two of their numbers is one member */
    op_t o;
    char values[MSG_BYTES];
    snprintf(values, sizeof values, "kind=service\nmember=%s", f->x2);
    expect_refused(f, service(&o, f->x2, f->x, 30), HB_RESULT_SELF_SERVICE, values);
    /* an op naming the later number counts for the member */
    save_ok(f, service(&o, f->x2, f->a, 45), NULL);
    int64_t in = 0, out = 0;
    assert_int_equal(hb_outbox_pending(f->ob, f->x, &in, &out), 0);
    assert_int_equal(in, 45);
    assert_int_equal(hb_outbox_pending(f->ob, f->x2, &in, &out), 0);
    assert_int_equal(in, 45);
    assert_int_equal(hb_outbox_member(f->ob, f->x2, &m), 1);
    assert_int_equal(m.pending_minutes, 45);
}

static void
expect_serial(const char *no, uint32_t serial)
{
    char community[HB_COMMUNITY_CODE_BYTES_MAX + 1] = "";
    uint32_t got = 0;
    assert_int_equal(hb_memberno_parse(no, community, &got), HB_RESULT_OK);
    assert_string_equal(community, COMMUNITY);
    assert_int_equal(got, serial);
}

static void
test_move_allocates(void **state)
{
    fixture_t *f = *state;
    dir_base(f);
    op_t o;
    /* a dry run allocates nothing */
    hb_outbox_save_t dry = save(f, move(&o, f->x2), false, true);
    assert_int_equal(dry.result, HB_RESULT_OK);
    assert_string_equal(dry.member_no, "");
    hb_outbox_save_t v = {.op = move(&o, f->x2), .default_operator = DESK, .request_id = "move-1"};
    hb_outbox_save_group(f->ob, &v, 1, true, T0);
    assert_int_equal(v.result, HB_RESULT_OK);
    expect_serial(v.member_no, 1);
    char moved[HB_MEMBER_NO_BUF_BYTES];
    snprintf(moved, sizeof moved, "%s", v.member_no);
    /* a retry with the request id answers the same number */
    hb_outbox_save_t again = {.op = move(&o, f->x2), .default_operator = DESK, .request_id = "move-1"};
    hb_outbox_save_group(f->ob, &again, 1, true, T0);
    assert_true(again.repeated);
    assert_string_equal(again.member_no, moved);
    /* the stored op carries it; a registration takes the next serial */
    Hourbank__Batch batch;
    assert_int_equal(hb_outbox_next_batch(f->ob, 0, HB_BATCH_OPS_MAX, HB_MSG_BYTES_MAX, &batch), 1);
    assert_string_equal(batch.ops[0]->move->new_member_no, moved);
    assert_string_equal(batch.ops[0]->move->member_no, f->x2);  /* as typed */
    hb_outbox_batch_free(&batch);
    char reg[HB_MEMBER_NO_BUF_BYTES];
    save_ok(f, registration(&o, "Sun Li", 1970), reg);
    expect_serial(reg, 2);
    /* the new card works here before central has answered */
    hb_outbox_member_t m;
    assert_int_equal(hb_outbox_member(f->ob, moved, &m), 1);
    assert_string_equal(m.member_no, f->x);
    save_ok(f, service(&o, moved, f->a, 30), NULL);
    /* central refuses the move: the new number names no one */
    ack_result(f, v.seq, HOURBANK__RESULT__DUPLICATE);
    assert_int_equal(hb_outbox_member(f->ob, moved, &m), 0);
    assert_int_equal(hb_outbox_member(f->ob, f->x2, &m), 1);  /* the directory's later number still does */
}

static void
test_opening_and_leave_foreseen(void **state)
{
    fixture_t *f = *state;
    dir_base(f);
    op_t o;
    int64_t in = -1, out = -1;
    save_ok(f, opening(&o, f->b, 90), NULL);
    assert_int_equal(hb_outbox_pending(f->ob, f->b, &in, &out), 0);
    assert_int_equal(in, 90);
    assert_int_equal(out, 0);
    save_ok(f, opening(&o, f->a, -45), NULL);
    save_ok(f, service(&o, f->a, f->b, 30), NULL);
    assert_int_equal(hb_outbox_pending(f->ob, f->a, &in, &out), 0);
    assert_int_equal(in, 30);
    assert_int_equal(out, 45);
    /* a leave takes the whole foreseen balance: 600 - 45 + 30 */
    save_ok(f, leave(&o, f->a, NULL), NULL);
    assert_int_equal(hb_outbox_pending(f->ob, f->a, &in, &out), 0);
    assert_int_equal(in - out, -600);
    hb_outbox_member_t m;
    assert_int_equal(hb_outbox_member(f->ob, f->b, &m), 1);
    assert_int_equal(m.pending_minutes, 90);  /* B received A's service: not debited here */
}

/* Whether the bytes of needle occur in the file at path (absent: no). */
static bool
file_holds(const char *path, const char *needle)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    char *buf = malloc(FILE_BYTES_MAX);
    assert_non_null(buf);
    size_t n = fread(buf, 1, FILE_BYTES_MAX, fp);
    fclose(fp);
    bool found = memmem(buf, n, needle, strlen(needle)) != NULL;
    free(buf);
    return found;
}

static bool
outbox_holds(fixture_t *f, const char *needle)
{
    char p[PATH_BYTES + 16];
    bool found = file_holds(f->path, needle);
    snprintf(p, sizeof p, "%s-wal", f->path);
    found = found || file_holds(p, needle);
    snprintf(p, sizeof p, "%s-shm", f->path);
    return found || file_holds(p, needle);
}

/* The payload of op seq, decoded (caller frees). */
static Hourbank__Op *
stored_op(fixture_t *f, uint64_t seq, char *summary, size_t size)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->ob->db, "SELECT payload, summary, name IS NULL FROM ops WHERE seq = ?1", -1,
                                        &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) seq);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    Hourbank__Op *op = hourbank__op__unpack(NULL, (size_t) sqlite3_column_bytes(st, 0), sqlite3_column_blob(st, 0));
    snprintf(summary, size, "%s", (const char *) sqlite3_column_text(st, 1));
    assert_int_equal(sqlite3_column_int(st, 2), 1);  /* a registration's name column: NULL once erased */
    sqlite3_finalize(st);
    assert_non_null(op);
    return op;
}

static void
test_erasure(void **state)
{
    fixture_t *f = *state;
    dir_base(f);
    op_t o;
    char zhou[HB_MEMBER_NO_BUF_BYTES], li[HB_MEMBER_NO_BUF_BYTES];
    registration(&o, ERASED_NAME, 1941);
    o.reg.phone = "13912345678";
    hb_outbox_save_t first = {.op = &o.op, .default_operator = DESK, .request_id = "reg-zhou"};
    hb_outbox_save_group(f->ob, &first, 1, true, T0);
    assert_int_equal(first.result, HB_RESULT_OK);
    uint64_t reg = first.seq;
    snprintf(zhou, sizeof zhou, "%s", first.member_no);
    ack_one(f, reg);
    save_ok(f, registration(&o, KEPT_NAME, 1955), li);
    dir_t d;
    dir_init(&d, 6);
    dir_add(&d, zhou, ERASED_NAME, COMMUNITY, 0);
    dir_apply(f, &d);
    uint64_t am = save_ok(f, amend(&o, zhou, AMENDED_NAME), NULL);  /* pending when central erases */
    assert_true(outbox_holds(f, ERASED_HAN));
    /* central: Zhou left */
    dir_init(&d, 7);
    dir_add(&d, zhou, "", COMMUNITY, 0)->left = true;
    dir_apply(f, &d);
    hb_outbox_member_t m;
    assert_int_equal(hb_outbox_member(f->ob, zhou, &m), 1);  /* still resolves */
    assert_true(m.left);
    assert_string_equal(m.name, "");
    assert_int_equal(m.birth_year, 0);
    char summary[HB_NOTE_BYTES_MAX + 1];
    Hourbank__Op *op = stored_op(f, reg, summary, sizeof summary);
    assert_string_equal(op->register_member->name, "");
    assert_string_equal(op->register_member->phone, "");
    assert_int_equal(op->register_member->birth_year, 0);
    assert_string_equal(op->register_member->member_no, zhou);
    hourbank__op__free_unpacked(op, NULL);
    assert_null(strstr(summary, "Zhou"));
    /* the pending amendment goes to central unchanged */
    Hourbank__Batch batch;
    assert_int_equal(hb_outbox_next_batch(f->ob, 0, HB_BATCH_OPS_MAX, HB_MSG_BYTES_MAX, &batch), 2);
    assert_int_equal(batch.ops[1]->seq, am);
    assert_string_equal(batch.ops[1]->amend->name, AMENDED_NAME);
    hb_outbox_batch_free(&batch);
    assert_true(outbox_holds(f, "Gaiming"));
    /* answered: erased at the next directory update */
    ack_one(f, reg + 1);
    ack_one(f, am);
    dir_init(&d, 8);
    dir_apply(f, &d);
    op = stored_op(f, am, summary, sizeof summary);
    assert_string_equal(op->amend->name, "");
    assert_int_equal(op->amend->birth_year, 0);
    hourbank__op__free_unpacked(op, NULL);
    /* no byte of the names in the file or its WAL; the member kept is there */
    const char *const gone[] = {ERASED_NAME, ERASED_HAN, "Erasure", AMENDED_NAME, "Gaiming", "13912345678"};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
        if (outbox_holds(f, gone[i]))
            print_error("outbox still holds \"%s\"\n", gone[i]);
        assert_false(outbox_holds(f, gone[i]));
    }
    assert_true(outbox_holds(f, KEPT_NAME));
    /* a retry of the registration (an import's rerun) is the same work, erased or not */
    registration(&o, ERASED_NAME, 1941);
    o.reg.phone = "13912345678";
    hb_outbox_save_t again = {.op = &o.op, .default_operator = DESK, .request_id = "reg-zhou"};
    hb_outbox_save_group(f->ob, &again, 1, true, T0);
    assert_int_equal(again.result, HB_RESULT_OK);
    assert_true(again.repeated);
    assert_string_equal(again.member_no, zhou);
    /* and after a restart */
    hb_outbox_destroy(&f->ob);
    f->ob = open_ob(f);
    assert_false(outbox_holds(f, ERASED_HAN));
    assert_true(outbox_holds(f, KEPT_NAME));
}

static void
test_rules_keep_leaver_hours(void **state)
{
    fixture_t *f = *state;
    Hourbank__DistrictRules dr, *drp = &dr;
    hourbank__district_rules__init(&dr);
    dr.district = "BJ-XC";
    dr.name = "Xicheng";
    dr.time_zone = "Asia/Shanghai";
    dr.cap_minutes = 6000;
    dr.daily_limit_minutes = 600;
    dr.gifts = "family";
    dr.leaver_hours = "family";
    Hourbank__RulesReply r;
    hourbank__rules_reply__init(&r);
    r.version = 3;
    r.max_record_age_seconds = 86400;
    r.districts = &drp;
    r.n_districts = 1;
    r.as_of = T0;
    assert_int_equal(hb_outbox_rules_set(f->ob, &r, T0), 0);
    hb_outbox_destroy(&f->ob);
    f->ob = open_ob(f);
    const Hourbank__RulesReply *copy = hb_outbox_rules(f->ob);
    assert_non_null(copy);
    assert_int_equal(copy->n_districts, 1);
    assert_string_equal(copy->districts[0]->leaver_hours, "family");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_left_and_home, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alias_resolves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_move_allocates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_opening_and_leave_foreseen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erasure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_keep_leaver_hours, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
