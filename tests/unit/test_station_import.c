/* test_station_import.c - the station's side of an import's messages
 * (client/station/station_import.c): parts held in order, a commit, pages of
 * results, one import at a time, and the refusals of parts out of order, a
 * second commit, a dropped import and results past the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_wire.h"
#include "outbox.h"
#include "station_import.h"

#define T0 INT64_C(1704067200)
#define OPERATOR "desk"
#define ROWS 5

typedef struct {
    char dir[200], path[256], msg[HB_MESSAGE_BYTES_MAX];
    hb_outbox_t *ob;
    hb_station_import_t *imp;
} fixture_t;

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "%s/test_station_import.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/outbox.db", f->dir);
    f->ob = hb_outbox_open(f->path, 1, "QX03", HB_OUTBOX_BYTES_DEFAULT, f->msg, sizeof f->msg);
    assert_non_null(f->ob);
    assert_int_equal(hb_outbox_operator_add(f->ob, OPERATOR, "", T0, f->msg, sizeof f->msg), HB_RESULT_OK);
    f->imp = hb_station_import_new();
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    hb_station_import_destroy(&f->imp);
    assert_null(f->imp);
    hb_outbox_destroy(&f->ob);
    hb_outbox_remove(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* An ImportRequest of import id with rows first..first+n-1 (registrations
 * "Member <i>", request ids "import:member:<i>"), through the wire. */
static Hourbank__Envelope *
request(const char *id, uint32_t first, size_t n, bool commit, uint32_t results_from)
{
    Hourbank__ImportRequest q;
    hourbank__import_request__init(&q);
    q.import_id = (char *) (uintptr_t) id;
    q.first_row = first;
    q.commit = commit;
    q.results_from = results_from;
    Hourbank__ImportRow rows[ROWS], *ptrs[ROWS];
    Hourbank__SaveRequest saves[ROWS];
    Hourbank__Op ops[ROWS];
    Hourbank__RegisterMember regs[ROWS];
    char names[ROWS][32], ids[ROWS][32];
    assert_true(n <= ROWS);
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "Member %zu", first + i);
        snprintf(ids[i], sizeof ids[i], "import:member:%zu", first + i);
        hourbank__register_member__init(&regs[i]);
        regs[i].name = names[i];
        regs[i].role = HOURBANK__ROLE__ELDER;
        hourbank__op__init(&ops[i]);
        ops[i].occurred_at = T0;
        ops[i].kind_case = HOURBANK__OP__KIND_REGISTER_MEMBER;
        ops[i].register_member = &regs[i];
        hourbank__save_request__init(&saves[i]);
        saves[i].op = &ops[i];
        saves[i].request_id = ids[i];
        hourbank__import_row__init(&rows[i]);
        rows[i].save = &saves[i];
        ptrs[i] = &rows[i];
    }
    q.rows = ptrs;
    q.n_rows = n;
    Hourbank__Envelope env;
    hb_wire_envelope_init(&env, 1);
    env.body_case = HOURBANK__ENVELOPE__BODY_IMPORT_REQUEST;
    env.import_request = &q;
    void *data = NULL;
    size_t size = 0;
    assert_int_equal(hb_wire_pack(&env, &data, &size), 0);
    hb_wire_error_t err;
    Hourbank__Envelope *out = hb_wire_unpack(data, size, &err);
    free(data);
    assert_non_null(out);
    return out;
}

/* Answers env; the result, and the reply in *r when OK. */
static hb_result_t
answer(fixture_t *f, Hourbank__Envelope *env, Hourbank__ImportReply **r, size_t *stored)
{
    hb_result_t code = hb_station_import_answer(f->imp, f->ob, OPERATOR, &env, T0, r, stored, f->msg, sizeof f->msg);
    hb_wire_free(&env);  /* NULL when its rows were kept */
    return code;
}

static void
test_parts_commit_results(void **state)
{
    fixture_t *f = *state;
    Hourbank__ImportReply *r = NULL;
    size_t stored = 0;
    assert_int_equal(answer(f, request("run1", 0, 3, false, 0), &r, &stored), HB_RESULT_OK);
    assert_int_equal(r->rows, 3);
    assert_false(r->committed);
    assert_int_equal(r->n_results, 0);
    /* a part that does not follow the rows held */
    assert_int_equal(answer(f, request("run1", 2, 2, false, 0), &r, &stored), HB_RESULT_MALFORMED);
    assert_int_equal(answer(f, request("run1", 3, 2, true, 0), &r, &stored), HB_RESULT_OK);
    assert_int_equal(stored, 5);
    assert_true(r->committed);
    assert_true(r->stored);
    assert_int_equal(r->added, 5);
    assert_int_equal(r->n_results, 5);
    assert_int_equal(r->results[4]->row, 4);
    assert_int_equal(r->results[4]->seq, 5);
    assert_int_equal(hb_outbox_last_seq(f->ob), 5);
    /* a page from row 3; past the end; a second commit */
    assert_int_equal(answer(f, request("run1", 0, 0, false, 3), &r, &stored), HB_RESULT_OK);
    assert_int_equal(r->n_results, 2);
    assert_int_equal(r->results[0]->row, 3);
    assert_int_equal(answer(f, request("run1", 0, 0, false, 6), &r, &stored), HB_RESULT_MALFORMED);
    assert_int_equal(answer(f, request("run1", 0, 0, true, 0), &r, &stored), HB_RESULT_MALFORMED);
    /* results of an import not held; a request for results does not drop run1 */
    assert_int_equal(answer(f, request("other", 0, 0, false, 1), &r, &stored), HB_RESULT_NOT_FOUND);
    assert_int_equal(answer(f, request("run1", 0, 0, false, 1), &r, &stored), HB_RESULT_OK);
    assert_int_equal(r->n_results, 4);
}

static void
test_one_at_a_time(void **state)
{
    fixture_t *f = *state;
    Hourbank__ImportReply *r = NULL;
    size_t stored = 0;
    assert_int_equal(answer(f, request("first", 0, 2, false, 0), &r, &stored), HB_RESULT_OK);
    assert_int_equal(answer(f, request("second", 0, 1, false, 0), &r, &stored), HB_RESULT_OK);
    assert_int_equal(r->rows, 1);
    /* the first was dropped: its next part is not taken, nothing of it stored */
    assert_int_equal(answer(f, request("first", 2, 1, true, 0), &r, &stored), HB_RESULT_NOT_FOUND);
    assert_int_equal(hb_outbox_last_seq(f->ob), 0);
    /* the second goes on; a rerun of its rows is repeated */
    assert_int_equal(answer(f, request("second", 1, 0, true, 0), &r, &stored), HB_RESULT_OK);
    assert_int_equal(r->added, 1);
    assert_int_equal(answer(f, request("third", 0, 1, true, 0), &r, &stored), HB_RESULT_OK);
    assert_int_equal(stored, 0);
    assert_int_equal(r->repeated, 1);
    assert_true(r->results[0]->repeated);
    assert_int_equal(hb_outbox_last_seq(f->ob), 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parts_commit_results, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_at_a_time, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
