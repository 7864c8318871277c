/* Members' lives at central (issue 15), against a real hourbank-central
 * and PostgreSQL (harness districts: GULOU, guarantee pays personal-care
 * for 80+, gifts within family, leavers' hours to named family; QINHUAI,
 * guarantee pays everything for 85+, leavers' hours to the pool):
 * - an amended birth year changes who pays for services posted after the
 *   amendment, in a later batch and later in the same batch, and not for
 *   those posted before;
 * - a three-generation family gifts within the rules once the links are
 *   there, and a stranger still may not receive;
 * - a moved member keeps one account, is served under the new district's
 *   rules, and both numbers resolve;
 * - a leaver's hours go to the named heirs (GULOU) or the pool (QINHUAI),
 *   then no table at central holds the leaver's name or phone, ops naming
 *   them are refused MEMBER_LEFT, and verify stays sound;
 * - an opening balance is posted once per member, within floor and cap.
 * On the main before this change none of these ops existed. */
#include "hb_itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

static hb_h_central_t central;

#define Q(n) hb_h_member("QX03", (n))
#define H(n) hb_h_member("QH01", (n))
#define OK HOURBANK__RESULT__OK
#define HOUR_S 3600
/* A source with every character COPY's text format escapes that a note may hold. */
#define SOURCE_ESCAPES "book 2\tp. \"14\"\\a\nsecond line \\N"
#define SOURCE_ESCAPES_SQL "book 2\\tp. \"14\"\\\\a\\nsecond line \\\\N"

/* The messages of one op's kind, kept for the batch's life. */
typedef struct {
    Hourbank__AmendMember amend;
    Hourbank__MoveMember move;
    Hourbank__LeaveMember leave;
    Hourbank__OpeningBalance opening;
    Hourbank__FamilyLink link, *links[1];
    char *heirs[2];
    char no[32], other[32], text[64];
} life_t;

static int
setup(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_lives", NULL, NULL, NULL);
    hb_h_central_start(&central);
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    int st = hb_h_central_stop(&central, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return 0;
}

static void
add_amend_birth(hb_h_batch_t *b, uint64_t seq, life_t *l, const char *no, uint32_t year)
{
    Hourbank__Op *op = hb_h_batch_new_op(b, seq, time(NULL) - 60);
    hourbank__amend_member__init(&l->amend);
    snprintf(l->no, sizeof l->no, "%s", no);
    l->amend.member_no = l->no;
    l->amend.birth_year = year;
    op->kind_case = HOURBANK__OP__KIND_AMEND;
    op->amend = &l->amend;
}

static void
add_amend_link(hb_h_batch_t *b, uint64_t seq, life_t *l, const char *no, const char *relative, const char *rel)
{
    Hourbank__Op *op = hb_h_batch_new_op(b, seq, time(NULL) - 60);
    hourbank__amend_member__init(&l->amend);
    hourbank__family_link__init(&l->link);
    snprintf(l->no, sizeof l->no, "%s", no);
    snprintf(l->other, sizeof l->other, "%s", relative);
    snprintf(l->text, sizeof l->text, "%s", rel);
    l->link.member_no = l->other;
    l->link.relation = l->text;
    l->links[0] = &l->link;
    l->amend.member_no = l->no;
    l->amend.add_family = l->links;
    l->amend.n_add_family = 1;
    op->kind_case = HOURBANK__OP__KIND_AMEND;
    op->amend = &l->amend;
}

static void
add_move(hb_h_batch_t *b, uint64_t seq, life_t *l, const char *no, const char *new_no)
{
    Hourbank__Op *op = hb_h_batch_new_op(b, seq, time(NULL) - 60);
    hourbank__move_member__init(&l->move);
    snprintf(l->no, sizeof l->no, "%s", no);
    snprintf(l->other, sizeof l->other, "%s", new_no);
    l->move.member_no = l->no;
    l->move.new_member_no = l->other;
    op->kind_case = HOURBANK__OP__KIND_MOVE;
    op->move = &l->move;
}

/* A leave naming heirs a and b (NULL: fewer). */
static void
add_leave(hb_h_batch_t *b, uint64_t seq, life_t *l, const char *no, const char *a, const char *h2)
{
    Hourbank__Op *op = hb_h_batch_new_op(b, seq, time(NULL) - 60);
    hourbank__leave_member__init(&l->leave);
    snprintf(l->no, sizeof l->no, "%s", no);
    snprintf(l->other, sizeof l->other, "%s", a ? a : "");
    snprintf(l->text, sizeof l->text, "%s", h2 ? h2 : "");
    l->heirs[0] = l->other;
    l->heirs[1] = l->text;
    l->leave.member_no = l->no;
    l->leave.died = true;
    l->leave.heirs = l->heirs;
    l->leave.n_heirs = a ? (h2 ? 2 : 1) : 0;
    op->kind_case = HOURBANK__OP__KIND_LEAVE;
    op->leave = &l->leave;
}

static void
add_opening(hb_h_batch_t *b, uint64_t seq, life_t *l, const char *no, int64_t minutes)
{
    Hourbank__Op *op = hb_h_batch_new_op(b, seq, time(NULL) - 60);
    hourbank__opening_balance__init(&l->opening);
    snprintf(l->no, sizeof l->no, "%s", no);
    l->opening.member_no = l->no;
    l->opening.minutes = minutes;
    l->opening.source = (char *) (uintptr_t) "passbook p. 14";
    op->kind_case = HOURBANK__OP__KIND_OPENING;
    op->opening = &l->opening;
}

/* Sends b and expects want[0..n); frees b. */
static void
expect(hb_h_client_t *cl, hb_h_batch_t **b, const int *want, size_t n)
{
    Hourbank__Envelope *ack = itest_send(cl, *b);
    itest_expect(ack, want, n);
    hb_wire_free(&ack);
    hb_h_batch_free(b);
}

/* The op's column (text, "" for NULL). */
static const char *
op_text(PGconn *pg, uint32_t station, uint64_t seq, const char *col)
{
    static char buf[4][128];
    static int k;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT coalesce(%s::text, '') FROM op WHERE station_id = %u AND seq = %llu", col,
             station, (unsigned long long) seq);
    PGresult *r = PQexec(pg, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(r), 1);
    char *out = buf[k++ % 4];
    snprintf(out, sizeof buf[0], "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return out;
}

static Hourbank__Member *
member_query(hb_h_client_t *cl, const char *no, Hourbank__Envelope **reply)
{
    Hourbank__Envelope env;
    Hourbank__MemberQuery q;
    hourbank__envelope__init(&env);
    hourbank__member_query__init(&q);
    q.member_no = (char *) (uintptr_t) no;
    env.body_case = HOURBANK__ENVELOPE__BODY_MEMBER_QUERY;
    env.member_query = &q;
    *reply = hb_h_client_call(cl, &env, 10000);
    assert_non_null(*reply);
    assert_int_equal((*reply)->body_case, HOURBANK__ENVELOPE__BODY_MEMBER_REPLY);
    assert_int_equal((*reply)->member_reply->n_members, 1);
    return (*reply)->member_reply->members[0];
}

/* Amend E's birth year: who pays personal-care for E follows the profile
 * in force at posting. */
static void
test_amend_changes_payer(void **state)
{
    (void) state;
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    PGconn *pg = hb_h_pg(central.conninfo);
    int64_t now = time(NULL);
    life_t l[4];
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, Q(1), "Wang Fang", 1, 1960, NULL);
    hb_h_batch_register(b, 2, Q(2), "Chen Yu", 2, 1950, NULL);  /* 76: pays her own personal care */
    add_opening(b, 3, &l[0], Q(2), 600);
    hb_h_batch_service(b, 4, now - HOUR_S, Q(1), Q(2), 60, "personal-care");
    expect(cl, &b, (const int[]){OK, OK, OK, OK}, 4);
    assert_string_equal(op_text(pg, 1, 4, "payer"), Q(2));

    b = hb_h_batch_new();  /* a typo corrected: born 1940, so 86 */
    add_amend_birth(b, 5, &l[1], Q(2), 1940);
    hb_h_batch_service(b, 6, now - HOUR_S, Q(1), Q(2), 60, "personal-care");
    expect(cl, &b, (const int[]){OK, OK}, 2);
    assert_string_equal(op_text(pg, 1, 6, "payer"), "guarantee");
    assert_string_equal(op_text(pg, 1, 4, "payer"), Q(2));  /* posted before: as it was */

    b = hb_h_batch_new();  /* in one batch: before the amendment, then after it */
    hb_h_batch_service(b, 7, now - HOUR_S, Q(1), Q(2), 30, "personal-care");
    add_amend_birth(b, 8, &l[2], Q(2), 1950);
    hb_h_batch_service(b, 9, now - HOUR_S, Q(1), Q(2), 30, "personal-care");
    expect(cl, &b, (const int[]){OK, OK, OK}, 3);
    assert_string_equal(op_text(pg, 1, 7, "payer"), "guarantee");
    assert_string_equal(op_text(pg, 1, 9, "payer"), Q(2));
    assert_int_equal(itest_balance(pg, Q(2)), 600 - 60 - 30);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM member_profile WHERE member_no = '%s'", Q(2));
    assert_int_equal(hb_h_pg_int(pg, sql), 3);  /* every version kept */
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    PQfinish(pg);
    hb_h_client_destroy(&cl);
}

/* Grandmother G, daughter D, granddaughter K: K may give to G only once
 * K's profile links G; a stranger may never receive. */
static void
test_three_generations(void **state)
{
    (void) state;
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    int64_t now = time(NULL);
    life_t l[4];
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, Q(1), "Liu Gran", 2, 1940, NULL);
    hb_h_batch_register(b, 2, Q(2), "Liu Mum", 3, 1965, Q(1));
    hb_h_batch_register(b, 3, Q(3), "Liu Girl", 1, 1995, Q(2));
    hb_h_batch_register(b, 4, Q(4), "Stranger", 1, 1980, NULL);
    add_opening(b, 5, &l[0], Q(3), 600);
    hb_h_batch_gift(b, 6, now, Q(3), Q(1), 60);  /* not linked yet */
    expect(cl, &b, (const int[]){OK, OK, OK, OK, OK, HOURBANK__RESULT__NOT_FAMILY}, 6);

    b = hb_h_batch_new();
    add_amend_link(b, 7, &l[1], Q(3), Q(1), "grandmother");
    hb_h_batch_gift(b, 8, now, Q(3), Q(1), 60);
    hb_h_batch_gift(b, 9, now, Q(1), Q(3), 20);
    hb_h_batch_gift(b, 10, now, Q(3), Q(2), 30);
    hb_h_batch_gift(b, 11, now, Q(3), Q(4), 30);
    expect(cl, &b, (const int[]){OK, OK, OK, OK, HOURBANK__RESULT__NOT_FAMILY}, 5);

    Hourbank__Envelope *reply = NULL;
    Hourbank__Member *k = member_query(cl, Q(3), &reply);
    assert_int_equal(k->n_family, 2);
    assert_string_equal(k->family[0]->member_no, Q(1));
    assert_string_equal(k->family[0]->relation, "grandmother");
    assert_string_equal(k->family[1]->member_no, Q(2));
    hb_wire_free(&reply);
    hb_h_client_destroy(&cl);
}

/* M (88) moves from QX03 (GULOU) to QH01 (QINHUAI): companionship for M,
 * paid by M in GULOU, is paid by the guarantee in QINHUAI (85+); both
 * numbers name M's one account. */
static void
test_move(void **state)
{
    (void) state;
    hb_h_client_t *c1 = hb_h_central_client(&central, 1), *c3 = hb_h_central_client(&central, 3);
    PGconn *pg = hb_h_pg(central.conninfo);
    int64_t now = time(NULL);
    life_t l[4];
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, Q(1), "Sun Mei", 2, 1938, NULL);
    hb_h_batch_register(b, 2, Q(2), "Volunteer", 1, 1970, NULL);
    add_opening(b, 3, &l[0], Q(1), 300);
    hb_h_batch_service(b, 4, now - HOUR_S, Q(2), Q(1), 60, "companionship");
    expect(c1, &b, (const int[]){OK, OK, OK, OK}, 4);
    assert_string_equal(op_text(pg, 1, 4, "payer"), Q(1));

    b = hb_h_batch_new();
    hb_h_batch_register(b, 1, H(1), "Qinhuai helper", 1, 1975, NULL);
    add_move(b, 2, &l[1], Q(1), H(2));
    hb_h_batch_service(b, 3, now - HOUR_S, H(1), Q(1), 60, "companionship");   /* the old card */
    hb_h_batch_service(b, 4, now - HOUR_S, H(1), H(2), 30, "companionship");   /* the new card */
    add_move(b, 5, &l[2], H(2), H(3));                                        /* already home */
    add_move(b, 6, &l[3], Q(2), H(1));                                        /* number in use */
    expect(c3, &b, (const int[]){OK, OK, OK, OK, HOURBANK__RESULT__ALREADY_HOME, HOURBANK__RESULT__DUPLICATE}, 6);
    assert_string_equal(op_text(pg, 3, 3, "payer"), "guarantee");
    assert_string_equal(op_text(pg, 3, 4, "payer"), "guarantee");
    assert_string_equal(op_text(pg, 3, 4, "counterpart"), Q(1));  /* recorded under the first number */
    assert_string_equal(op_text(pg, 3, 2, "member_district"), "GULOU");
    assert_string_equal(op_text(pg, 3, 2, "counterpart_district"), "QINHUAI");
    assert_int_equal(itest_balance(pg, Q(1)), 300 - 60);

    Hourbank__Envelope *r1 = NULL, *r2 = NULL;
    Hourbank__Member *by_old = member_query(c3, Q(1), &r1), *by_new = member_query(c3, H(2), &r2);
    assert_string_equal(by_old->member_no, Q(1));
    assert_string_equal(by_new->member_no, Q(1));
    assert_string_equal(by_new->community, "QH01");
    assert_int_equal(by_new->n_numbers, 1);
    assert_string_equal(by_new->numbers[0], H(2));
    assert_int_equal(by_new->balance_minutes, 240);
    hb_wire_free(&r1);
    hb_wire_free(&r2);
    /* a station of the old community no longer answers for her */
    b = hb_h_batch_new();
    add_opening(b, 5, &l[0], H(2), 60);
    expect(c1, &b, (const int[]){HOURBANK__RESULT__NOT_AUTHORIZED}, 1);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    PQfinish(pg);
    hb_h_client_destroy(&c1);
    hb_h_client_destroy(&c3);
}

/* Rows of any table of the ledger's schema whose text contains needle. */
static int64_t
rows_holding(PGconn *pg, const char *needle)
{
    PGresult *t = PQexec(pg, "SELECT quote_ident(table_name) FROM information_schema.tables"
                             " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
    assert_int_equal(PQresultStatus(t), PGRES_TUPLES_OK);
    assert_true(PQntuples(t) > 10);
    int64_t n = 0;
    for (int i = 0; i < PQntuples(t); i++) {
        char sql[512];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s x WHERE x::text LIKE '%%%s%%'", PQgetvalue(t, i, 0), needle);
        n += hb_h_pg_int(pg, sql);
    }
    PQclear(t);
    return n;
}

/* GULOU: the leaver's 601 minutes to two heirs (301 + 300); QINHUAI: to
 * the pool, and heirs refused. Then the leaver is erased. */
static void
test_leave(void **state)
{
    (void) state;
    hb_h_client_t *c1 = hb_h_central_client(&central, 1), *c3 = hb_h_central_client(&central, 3);
    PGconn *pg = hb_h_pg(central.conninfo);
    int64_t now = time(NULL);
    life_t l[6];
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, Q(1), "Zhou Erasure", 2, 1931, NULL);
    hb_h_batch_register(b, 2, Q(2), "Zhou Son", 1, 1960, Q(1));
    hb_h_batch_register(b, 3, Q(3), "Zhou Daughter", 1, 1962, Q(1));
    hb_h_batch_register(b, 4, Q(4), "Not Family", 1, 1962, NULL);
    add_opening(b, 5, &l[0], Q(1), 601);
    add_leave(b, 6, &l[1], Q(1), Q(4), NULL);        /* not family */
    add_leave(b, 7, &l[2], Q(1), Q(2), Q(3));
    hb_h_batch_gift(b, 8, now, Q(2), Q(1), 10);      /* to a leaver */
    add_opening(b, 9, &l[3], Q(1), 10);
    expect(c1, &b, (const int[]){OK, OK, OK, OK, OK, HOURBANK__RESULT__NOT_FAMILY, OK, HOURBANK__RESULT__MEMBER_LEFT,
                                 HOURBANK__RESULT__MEMBER_LEFT}, 9);
    assert_int_equal(itest_balance(pg, Q(1)), 0);
    assert_int_equal(itest_balance(pg, Q(2)) + itest_balance(pg, Q(3)), 601);
    assert_int_equal(itest_balance(pg, Q(2)), 301);
    assert_string_equal(op_text(pg, 1, 7, "minutes"), "601");
    assert_int_equal(rows_holding(pg, "Zhou Erasure"), 0);
    assert_true(rows_holding(pg, "Zhou Son") > 0);  /* the search can find a name */

    b = hb_h_batch_new();
    hb_h_batch_register(b, 1, H(1), "Qin Leaver", 2, 1935, NULL);
    hb_h_batch_register(b, 2, H(2), "Qin Kin", 1, 1965, H(1));
    add_opening(b, 3, &l[4], H(1), 120);
    add_leave(b, 4, &l[5], H(1), H(2), NULL);        /* the pool's district: no heirs */
    expect(c3, &b, (const int[]){OK, OK, OK, HOURBANK__RESULT__NOT_AUTHORIZED}, 4);
    int64_t pool = hb_h_pg_int(pg, "SELECT credits - debits FROM account WHERE id = 2");
    b = hb_h_batch_new();
    add_leave(b, 5, &l[5], H(1), NULL, NULL);
    expect(c3, &b, (const int[]){OK}, 1);
    assert_int_equal(hb_h_pg_int(pg, "SELECT credits - debits FROM account WHERE id = 2"), pool + 120);

    Hourbank__Envelope *reply = NULL;
    Hourbank__Member *gone = member_query(c1, Q(1), &reply);
    assert_true(gone->left);
    assert_string_equal(gone->name, "");
    assert_int_equal(gone->birth_year, 0);
    hb_wire_free(&reply);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    PQfinish(pg);
    hb_h_client_destroy(&c1);
    hb_h_client_destroy(&c3);
}

/* One opening balance per member, within cap (1500h) and floor (0). */
static void
test_opening(void **state)
{
    (void) state;
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    PGconn *pg = hb_h_pg(central.conninfo);
    life_t l[5];
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, Q(1), "Opening One", 1, 1960, NULL);
    hb_h_batch_register(b, 2, Q(2), "Opening Two", 1, 1960, NULL);
    add_opening(b, 3, &l[0], Q(1), 90);
    l[0].opening.source = (char *) (uintptr_t) SOURCE_ESCAPES;  /* COPY's escapes, stored exactly */
    add_opening(b, 4, &l[1], Q(1), 30);             /* a second one */
    add_opening(b, 5, &l[2], Q(2), 1500 * 60 + 1);  /* over the cap */
    add_opening(b, 6, &l[3], Q(2), -1);             /* below the floor */
    expect(cl, &b, (const int[]){OK, OK, OK, HOURBANK__RESULT__OPENING_EXISTS, HOURBANK__RESULT__CAP_EXCEEDED,
                                 HOURBANK__RESULT__INSUFFICIENT_BALANCE}, 6);
    assert_int_equal(itest_balance(pg, Q(1)), 90);
    assert_string_equal(op_text(pg, 1, 3, "note"), SOURCE_ESCAPES);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM transfer WHERE note = E'" SOURCE_ESCAPES_SQL "'"), 1);
    assert_int_equal(hb_h_pg_int(pg, "SELECT credits - debits FROM account WHERE id = 3"), -90);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM transfer WHERE kind = 'opening'"), 1);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM transfer WHERE kind = 'service'"), 0);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    PQfinish(pg);
    hb_h_client_destroy(&cl);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_amend_changes_payer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_three_generations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_move, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leave, setup, teardown),
        cmocka_unit_test_setup_teardown(test_opening, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
