/* test_outbox_import.c - an import's one transaction at the station
 * (client/station/outbox_import.c): all or nothing, skip_bad, a dry run that
 * leaves the file as it was, member_of filled in from a registration's
 * request id (earlier in the import, or by an earlier one), the opening
 * balance's checks, reruns answered repeated, a restored file refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_memberno.h"
#include "outbox.h"
#include "outbox_import.h"

#define STATION 1u
#define COMMUNITY "QX03"
#define T0 INT64_C(1704067200)
#define OPERATOR "desk"
#define ROWS_MAX 8

typedef struct {
    char dir[200], path[256], msg[HB_MESSAGE_BYTES_MAX];
    hb_outbox_t *ob;
    /* the rows of an import and their ops */
    Hourbank__Op ops[ROWS_MAX];
    Hourbank__RegisterMember regs[ROWS_MAX];
    Hourbank__OpeningBalance openings[ROWS_MAX];
    char ids[ROWS_MAX][HB_REQUEST_ID_BYTES_MAX + 1];
    hb_outbox_import_row_t rows[ROWS_MAX];
    size_t n;
} fixture_t;

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "%s/test_outbox_import.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/outbox.db", f->dir);
    f->ob = hb_outbox_open(f->path, STATION, COMMUNITY, HB_OUTBOX_BYTES_DEFAULT, f->msg, sizeof f->msg);
    assert_non_null(f->ob);
    assert_int_equal(hb_outbox_operator_add(f->ob, OPERATOR, "", T0, f->msg, sizeof f->msg), HB_RESULT_OK);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    hb_outbox_destroy(&f->ob);
    hb_outbox_remove(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static hb_outbox_import_row_t *
row_new(fixture_t *f, const char *request_id, const char *member_of)
{
    assert_true(f->n < ROWS_MAX);
    size_t i = f->n++;
    hourbank__op__init(&f->ops[i]);
    f->ops[i].occurred_at = T0;
    snprintf(f->ids[i], sizeof f->ids[i], "%s", request_id);
    f->rows[i] = (hb_outbox_import_row_t) {.op = &f->ops[i], .request_id = f->ids[i], .member_of = member_of};
    return &f->rows[i];
}

/* A registration of name; family: a member number, or "" (member_of says). */
static void
reg(fixture_t *f, const char *ref, const char *name, const char *family, const char *member_of)
{
    char id[HB_REQUEST_ID_BYTES_MAX + 1];
    snprintf(id, sizeof id, "import:member:%s", ref);
    hb_outbox_import_row_t *row = row_new(f, id, member_of);
    size_t i = (size_t) (row - f->rows);
    hourbank__register_member__init(&f->regs[i]);
    f->regs[i].name = (char *) (uintptr_t) name;
    f->regs[i].role = HOURBANK__ROLE__ELDER;
    f->regs[i].family_of = (char *) (uintptr_t) family;
    f->ops[i].kind_case = HOURBANK__OP__KIND_REGISTER_MEMBER;
    f->ops[i].register_member = &f->regs[i];
}

static void
opening(fixture_t *f, const char *id, const char *member, const char *member_of, int64_t minutes)
{
    hb_outbox_import_row_t *row = row_new(f, id, member_of);
    size_t i = (size_t) (row - f->rows);
    hourbank__opening_balance__init(&f->openings[i]);
    f->openings[i].member_no = (char *) (uintptr_t) member;
    f->openings[i].minutes = minutes;
    f->ops[i].kind_case = HOURBANK__OP__KIND_OPENING;
    f->ops[i].opening = &f->openings[i];
}

static hb_outbox_import_t
run(fixture_t *f, bool dry_run, bool skip_bad)
{
    hb_outbox_import_t imp = {.dry_run = dry_run, .skip_bad = skip_bad, .default_operator = OPERATOR};
    assert_int_equal(hb_outbox_import(f->ob, f->rows, f->n, &imp, T0, f->msg, sizeof f->msg), HB_RESULT_OK);
    return imp;
}

/* Two registrations, the first naming the second (a later row would be
 * sent first by the CLI; here the family row comes first), and an opening
 * balance by ref. */
static void
three_rows(fixture_t *f)
{
    f->n = 0;
    reg(f, "R2", "Chen Er", "", NULL);
    reg(f, "R1", "Chen Yi", "", "import:member:R2");
    opening(f, "import:opening:R1", "", "import:member:R1", 90);
    for (size_t i = 0; i < f->n; i++)
        if (f->rows[i].member_of == NULL)
            f->rows[i].member_of = "";
}

static void
test_all_or_nothing(void **state)
{
    fixture_t *f = *state;
    three_rows(f);
    opening(f, "import:opening:NOPE", "", "import:member:NOPE", 60);  /* never registered */
    hb_outbox_import_t imp = run(f, false, false);
    assert_false(imp.stored);
    assert_int_equal(imp.refused, 1);
    assert_int_equal(imp.added, 3);
    assert_int_equal(f->rows[3].result, HB_RESULT_UNKNOWN_MEMBER);
    assert_int_equal(f->rows[0].seq, 0);       /* not kept, not told */
    assert_string_equal(f->rows[0].member_no, "");
    assert_int_equal(hb_outbox_last_seq(f->ob), 0);
    /* a dry run of the good rows: checked, then rolled back */
    f->n = 3;
    imp = run(f, true, false);
    assert_false(imp.stored);
    assert_int_equal(imp.added, 3);
    assert_int_equal(imp.refused, 0);
    assert_string_equal(f->rows[2].member_no, "");  /* its member was never stored */
    assert_int_equal(hb_outbox_last_seq(f->ob), 0);
    /* skip_bad: the good rows stored, in one go */
    opening(f, "import:opening:NOPE", "", "import:member:NOPE", 60);
    imp = run(f, false, true);
    assert_true(imp.stored);
    assert_int_equal(imp.added, 3);
    assert_int_equal(hb_outbox_last_seq(f->ob), 3);
    char first[HB_MEMBER_NO_BUF_BYTES], second[HB_MEMBER_NO_BUF_BYTES];
    assert_int_equal(hb_memberno_format(first, sizeof first, COMMUNITY, 1), 0);
    assert_int_equal(hb_memberno_format(second, sizeof second, COMMUNITY, 2), 0);
    assert_string_equal(f->rows[0].member_no, first);
    assert_string_equal(f->rows[1].member_no, second);
    assert_string_equal(f->rows[2].member_no, second);  /* the opening's member, filled in */
    hb_outbox_member_t m;
    assert_int_equal(hb_outbox_member(f->ob, second, &m), 1);
    assert_string_equal(m.family_of, first);
}

static void
test_rerun_and_openings(void **state)
{
    fixture_t *f = *state;
    three_rows(f);
    hb_outbox_import_t imp = run(f, false, false);
    assert_true(imp.stored);
    uint64_t seq = f->rows[1].seq;
    char no[HB_MEMBER_NO_BUF_BYTES];
    snprintf(no, sizeof no, "%s", f->rows[1].member_no);
    /* the same rows again, by another operator: repeated, nothing new, the same seqs and numbers */
    assert_int_equal(hb_outbox_operator_add(f->ob, "other", "", T0, f->msg, sizeof f->msg), HB_RESULT_OK);
    for (size_t i = 0; i < f->n; i++)
        f->ops[i].operator_ = (char *) (uintptr_t) "other";
    imp = run(f, false, false);
    assert_false(imp.stored);
    assert_int_equal(imp.repeated, 3);
    assert_int_equal(imp.added, 0);
    assert_true(f->rows[1].repeated);
    assert_int_equal(f->rows[1].seq, seq);
    assert_string_equal(f->rows[1].member_no, no);
    assert_int_equal(hb_outbox_last_seq(f->ob), 3);
    /* a second opening balance of R1, by its number under another id */
    f->n = 0;
    opening(f, "import:opening:by-number", no, "", 30);
    imp = run(f, false, false);
    assert_int_equal(imp.refused, 1);
    assert_int_equal(f->rows[0].result, HB_RESULT_OPENING_EXISTS);
    char want[128];
    snprintf(want, sizeof want, "member=%s\nstation=1\nseq=3", no);
    assert_string_equal(f->rows[0].msg, want);
    /* two in one import for the same member: the second is refused */
    f->n = 0;
    char first[HB_MEMBER_NO_BUF_BYTES];
    assert_int_equal(hb_memberno_format(first, sizeof first, COMMUNITY, 1), 0);
    opening(f, "import:opening:a", first, "", 30);
    opening(f, "import:opening:b", first, "", 40);
    imp = run(f, true, false);
    assert_int_equal(f->rows[0].result, HB_RESULT_OK);
    assert_int_equal(f->rows[1].result, HB_RESULT_OPENING_EXISTS);
    /* an opening of a member not known here */
    f->n = 0;
    char unknown[HB_MEMBER_NO_BUF_BYTES];
    assert_int_equal(hb_memberno_format(unknown, sizeof unknown, COMMUNITY, 999), 0);
    opening(f, "import:opening:u", unknown, "", 40);
    imp = run(f, true, false);
    assert_int_equal(f->rows[0].result, HB_RESULT_UNKNOWN_MEMBER);
    /* other content under a stored id */
    three_rows(f);
    f->openings[2].minutes = 91;
    imp = run(f, true, false);
    assert_int_equal(f->rows[2].result, HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD);
    assert_int_equal(hb_outbox_last_seq(f->ob), 3);
}

static void
test_restored_refused(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(hb_outbox_mark_restored(f->ob, f->msg, sizeof f->msg), 0);
    three_rows(f);
    hb_outbox_import_t imp = {.default_operator = OPERATOR};
    assert_int_equal(hb_outbox_import(f->ob, f->rows, f->n, &imp, T0, f->msg, sizeof f->msg),
                     HB_RESULT_AWAITING_CENTRAL);
    assert_false(imp.stored);
    assert_int_equal(hb_outbox_last_seq(f->ob), 0);
}

/* A ref whose registration central refused names no member. */
static void
test_refused_registration(void **state)
{
    fixture_t *f = *state;
    f->n = 0;
    reg(f, "R9", "Wu Jiu", "", "");
    assert_true(run(f, false, false).stored);
    Hourbank__BatchAck ack;
    Hourbank__OpResult res, *ptr = &res;
    hourbank__batch_ack__init(&ack);
    ack.batch_result = HOURBANK__RESULT__OK;
    hourbank__op_result__init(&res);
    res.seq = 1;
    res.result = HOURBANK__RESULT__REGISTRATION_REFUSED;
    res.message = "refused for the test";
    ack.results = &ptr;
    ack.n_results = 1;
    assert_int_equal(hb_outbox_ack(f->ob, &ack, T0, f->msg, sizeof f->msg), 0);
    f->n = 0;
    opening(f, "import:opening:R9", "", "import:member:R9", 30);
    hb_outbox_import_t imp = run(f, true, false);
    assert_int_equal(imp.refused, 1);
    assert_int_equal(f->rows[0].result, HB_RESULT_UNKNOWN_MEMBER);
    assert_non_null(strstr(f->rows[0].msg, "import:member:R9"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rerun_and_openings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restored_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_registration, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
