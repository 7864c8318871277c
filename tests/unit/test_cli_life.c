/* test_cli_life.c - the CLI's side of members' lives (issue 15) against a
 * fake station speaking the real protocol: `member add` refused as a
 * possible duplicate and then saved with --confirm-new, --relation;
 * `member show` with family links, later numbers and a member who left,
 * found by any of their numbers; `member amend` (old → new, the op
 * sent, refusals before contact); `member move` (the new number framed,
 * the old ones said to work); `member leave` (the preview, nothing saved
 * without --yes, the district's rule, heirs); the new kinds and
 * summaries in the operator's words. The real station and central:
 * tests/integration/itest_cli_member_life.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <zmq.h>

#include "cli.h"
#include "cli_dispatch.h"
#include "cli_period.h"
#include "cli_words.h"
#include "hb_wire.h"

/* Valid numbers (check digits from hb_memberno_format). */
#define ELDER_NO "QX03-000127-6"
#define DAUGHTER_NO "QX03-000128-4"
#define OTHER_NO "QX03-000129-2"
#define POLL_MS 20
#define ARGS_MAX 32
#define SAVE_SEQ 42
#define STATION_ID 7

/* ---- the fake station ---- */

static struct {
    void *ctx, *router;
    pthread_t thread;
    volatile int stop;
    char endpoint[128];
    char new_no[32];                 /* a move's new number */
    int saves;                       /* SaveRequests answered or refused */
    Hourbank__Envelope *last_save;   /* the last SaveRequest (owned) */
    bool left;                       /* the elder has left */
    bool duplicate;                  /* a registration without confirm_new is refused */
    const char *leaver_hours;
} g;

static void
member_init(Hourbank__Member *m, const char *no, const char *name)
{
    hourbank__member__init(m);
    m->member_no = (char *) (uintptr_t) no;
    m->name = (char *) (uintptr_t) name;
    m->role = HOURBANK__ROLE__ELDER;
    m->community = (char *) "QX03";
}

/* The directory: the elder (born 1938, a daughter linked, a later number
 * from a move), her daughter; asked by any of their numbers. */
static void
answer_member(const Hourbank__MemberQuery *q, Hourbank__Envelope *env, Hourbank__MemberReply *r,
              Hourbank__Member ms[2], Hourbank__Member **ptrs, Hourbank__FamilyLink *link,
              Hourbank__FamilyLink **links, char **numbers)
{
    member_init(&ms[0], ELDER_NO, g.left ? "" : "Wang Xiuying");
    ms[0].birth_year = g.left ? 0 : 1938;
    ms[0].balance_minutes = 150;
    ms[0].left = g.left;
    hourbank__family_link__init(link);
    link->member_no = (char *) DAUGHTER_NO;
    link->relation = (char *) "daughter";
    links[0] = link;
    ms[0].family = links;
    ms[0].n_family = g.left ? 0 : 1;
    numbers[0] = g.new_no;
    ms[0].numbers = numbers;
    ms[0].n_numbers = 1;
    member_init(&ms[1], DAUGHTER_NO, "Li Wei");
    hourbank__member_reply__init(r);
    size_t n = 0;
    for (int i = 0; i < 2; i++) {
        bool hit = strcmp(q->member_no, ms[i].member_no) == 0 || (i == 0 && strcmp(q->member_no, g.new_no) == 0);
        if (hit)
            ptrs[n++] = &ms[i];
    }
    r->members = ptrs;
    r->n_members = n;
    env->body_case = HOURBANK__ENVELOPE__BODY_MEMBER_REPLY;
    env->member_reply = r;
}

static void
answer_rules(Hourbank__Envelope *env, Hourbank__RulesReply *r, Hourbank__DistrictRules *d,
             Hourbank__DistrictRules **ds, Hourbank__CommunityInfo *c, Hourbank__CommunityInfo **cs)
{
    hourbank__district_rules__init(d);
    d->district = (char *) "GULOU";
    d->gifts = (char *) "family";
    d->leaver_hours = (char *) (uintptr_t) g.leaver_hours;
    d->cap_minutes = 90000;
    d->daily_limit_minutes = 720;
    ds[0] = d;
    hourbank__community_info__init(c);
    c->code = (char *) "QX03";
    c->district = (char *) "GULOU";
    cs[0] = c;
    hourbank__rules_reply__init(r);
    r->districts = ds;
    r->n_districts = 1;
    r->communities = cs;
    r->n_communities = 1;
    r->community = (char *) "QX03";
    r->as_of = 1795961100;
    env->body_case = HOURBANK__ENVELOPE__BODY_RULES_REPLY;
    env->rules_reply = r;
}

static void
answer_save(const Hourbank__SaveRequest *s, Hourbank__Envelope *env, Hourbank__SaveReply *r, Hourbank__ErrorReply *e,
            Hourbank__Param *p, Hourbank__Param **ps)
{
    g.saves++;
    if (s->op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER && g.duplicate && !s->confirm_new) {
        hourbank__param__init(&p[0]);
        p[0].name = (char *) "member", p[0].value = (char *) ELDER_NO;
        hourbank__param__init(&p[1]);
        p[1].name = (char *) "birth_year", p[1].value = (char *) "1938";
        ps[0] = &p[0], ps[1] = &p[1];
        hourbank__error_reply__init(e);
        e->code = HOURBANK__RESULT__POSSIBLE_DUPLICATE;
        e->params = ps;
        e->n_params = 2;
        env->body_case = HOURBANK__ENVELOPE__BODY_ERROR;
        env->error = e;
        return;
    }
    hourbank__save_reply__init(r);
    r->seq = SAVE_SEQ;
    r->station_id = STATION_ID;
    if (s->op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER)
        r->member_no = (char *) OTHER_NO;
    else if (s->op->kind_case == HOURBANK__OP__KIND_MOVE)
        r->member_no = g.new_no;
    env->body_case = HOURBANK__ENVELOPE__BODY_SAVE_REPLY;
    env->save_reply = r;
}

static void
answer(Hourbank__Envelope *req, zmq_msg_t *rid)
{
    Hourbank__Envelope env;
    Hourbank__MemberReply mr;
    Hourbank__Member ms[2], *mptrs[2];
    Hourbank__FamilyLink link, *links[1];
    char *numbers[1];
    Hourbank__RulesReply rr;
    Hourbank__DistrictRules d, *ds[1];
    Hourbank__CommunityInfo c, *cs[1];
    Hourbank__SaveReply sr;
    Hourbank__ErrorReply e;
    Hourbank__Param p[2], *ps[2];
    hb_wire_envelope_init(&env, req->correlation_id);
    if (req->body_case == HOURBANK__ENVELOPE__BODY_MEMBER_QUERY)
        answer_member(req->member_query, &env, &mr, ms, mptrs, &link, links, numbers);
    else if (req->body_case == HOURBANK__ENVELOPE__BODY_RULES_QUERY)
        answer_rules(&env, &rr, &d, ds, &c, cs);
    else if (req->body_case == HOURBANK__ENVELOPE__BODY_SAVE)
        answer_save(req->save, &env, &sr, &e, p, ps);
    else {
        hourbank__error_reply__init(&e);
        e.code = HOURBANK__RESULT__NOT_FOUND;
        env.body_case = HOURBANK__ENVELOPE__BODY_ERROR;
        env.error = &e;
    }
    void *data = NULL;
    size_t size = 0;
    assert_int_equal(hb_wire_pack(&env, &data, &size), 0);
    zmq_send(g.router, zmq_msg_data(rid), zmq_msg_size(rid), ZMQ_SNDMORE);
    zmq_send(g.router, data, size, 0);
    free(data);
}

static void *
fake_loop(void *arg)
{
    (void) arg;
    while (!g.stop) {
        zmq_pollitem_t item = {g.router, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, POLL_MS) <= 0)
            continue;
        zmq_msg_t rid, body;
        zmq_msg_init(&rid);
        zmq_msg_init(&body);
        zmq_msg_recv(&rid, g.router, 0);
        zmq_msg_recv(&body, g.router, 0);
        hb_wire_error_t err;
        Hourbank__Envelope *req = hb_wire_unpack(zmq_msg_data(&body), zmq_msg_size(&body), &err);
        if (req)
            answer(req, &rid);
        if (req && req->body_case == HOURBANK__ENVELOPE__BODY_SAVE) {
            hb_wire_free(&g.last_save);
            g.last_save = req;
        } else {
            hb_wire_free(&req);
        }
        zmq_msg_close(&rid);
        zmq_msg_close(&body);
    }
    return NULL;
}

static int
fake_start(void **state)
{
    (void) state;
    memset(&g, 0, sizeof g);
    snprintf(g.new_no, sizeof g.new_no, "QH01-000001-1");
    g.leaver_hours = "pool";
    setenv("TZ", "UTC", 1);
    setenv("LANG", "C.UTF-8", 1);
    snprintf(g.endpoint, sizeof g.endpoint, "ipc:///tmp/hb-test-cli-life-%d.sock", (int) getpid());
    g.ctx = zmq_ctx_new();
    g.router = zmq_socket(g.ctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(g.router, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_bind(g.router, g.endpoint), 0);
    assert_int_equal(pthread_create(&g.thread, NULL, fake_loop, NULL), 0);
    return 0;
}

static int
fake_stop(void **state)
{
    (void) state;
    g.stop = 1;
    pthread_join(g.thread, NULL);
    zmq_close(g.router);
    zmq_ctx_term(g.ctx);
    unlink(g.endpoint + strlen("ipc://"));
    hb_wire_free(&g.last_save);
    return 0;
}

/* ---- running the CLI in process ---- */

typedef struct {
    int rc;
    char *out, *err;
} run_t;

/* Runs `hourbank words... --station <the fake>`, output captured. */
static run_t
run_words(const char *const *words)
{
    run_t r = {0};
    size_t out_len = 0, err_len = 0;
    char *argv[ARGS_MAX + 3];
    int argc = 0;
    argv[argc++] = strdup("hourbank");
    for (; *words && argc < ARGS_MAX; words++)
        argv[argc++] = strdup(*words);
    argv[argc++] = strdup("--station");
    argv[argc++] = strdup(g.endpoint);
    argv[argc] = NULL;
    hb_cli_t cli = {0};
    cli.out = open_memstream(&r.out, &out_len);
    cli.err = open_memstream(&r.err, &err_len);
    cli.timeout_ms = 2000;
    r.rc = hb_cli_dispatch_run(&cli, argc, argv);
    fclose(cli.out);
    fclose(cli.err);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return r;
}

#define RUN(...) run_words((const char *const[]){__VA_ARGS__, NULL})

static void
has(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("lacks \"%s\":\n%s", needle, text);
}

static void
expect(run_t r, int rc)
{
    if (r.rc != rc)
        fail_msg("exit %d, not %d\nstdout: %s\nstderr: %s", r.rc, rc, r.out, r.err);
}

static void
run_free(run_t *r)
{
    free(r->out);
    free(r->err);
}

/* ---- the tests ---- */

static void
test_register_duplicate(void **state)
{
    (void) state;
    g.duplicate = true;
    run_t r = RUN("member", "add", "--name", "Wang Xiuying", "--role", "elder", "--birth-year", "1938");
    expect(r, EX_DATAERR);
    assert_string_equal(r.out, "");
    has(r.err, "the member was not registered: Wang Xiuying (" ELDER_NO "), born 1938, is already registered in "
               "this community (possible duplicate); check that it is not the same person (hourbank member show "
               ELDER_NO "); if it is another person, run the same command again with --confirm-new\n");
    assert_false(g.last_save->save->confirm_new);
    run_free(&r);
    r = RUN("member", "add", "--name", "Wang Xiuying", "--role", "elder", "--birth-year", "1938", "--confirm-new",
            "--family", DAUGHTER_NO, "--relation", "daughter");
    expect(r, 0);
    has(r.out, OTHER_NO " registered, saved as 7:42 (pending sync)\n");
    assert_true(g.last_save->save->confirm_new);
    assert_string_equal(g.last_save->save->op->register_member->family_relation, "daughter");
    assert_string_equal(g.last_save->save->op->register_member->family_of, DAUGHTER_NO);
    run_free(&r);
    int saves = g.saves;
    r = RUN("member", "add", "--name", "Wang Xiuying", "--role", "elder", "--relation", "daughter");
    expect(r, EX_USAGE);
    has(r.err, "--relation says what the --family member is to the new one: give --family too");
    assert_int_equal(g.saves, saves);
    run_free(&r);
    g.duplicate = false;
}

static void
test_member_show(void **state)
{
    (void) state;
    g.left = false;
    run_t r = RUN("member", "show", g.new_no);  /* the later number finds her */
    expect(r, 0);
    has(r.out, "member no      " ELDER_NO "\n");
    has(r.out, "later numbers  QH01-000001-1 (the newest card)\n");
    has(r.out, "name           Wang Xiuying\n");
    has(r.out, "family         Li Wei (" DAUGHTER_NO "), daughter\n");
    run_free(&r);
    r = RUN("member", "show", ELDER_NO, "--json");
    expect(r, 0);
    has(r.out, "\"left\": false,\n  \"family\": [\n    {\n      \"member_no\": \"" DAUGHTER_NO "\",\n"
               "      \"relation\": \"daughter\"\n    }\n  ],\n  \"numbers\": [\n    \"QH01-000001-1\"\n  ]\n}\n");
    run_free(&r);
    g.left = true;
    r = RUN("member", "show", ELDER_NO);
    expect(r, 0);
    has(r.out, "(erased: the member has left the scheme)\n");
    has(r.out, "left the scheme; the personal data is erased, the ledger kept\n");
    run_free(&r);
    g.left = false;
}

static void
test_amend(void **state)
{
    (void) state;
    /* the second link typed with a full-width colon, as a Chinese keyboard does */
    run_t r = RUN("member", "amend", ELDER_NO, "--birth-year", "1940", "--add-family", DAUGHTER_NO ":eldest daughter",
                  "--add-family", OTHER_NO "\xEF\xBC\x9Agrandson", "--remove-family", "QX03-000130-5", "--clear-phone",
                  "--reason", "typed wrong");
    expect(r, 0);
    has(r.out, "saved as 7:42 (pending sync)\n  corrects Wang Xiuying (" ELDER_NO ")\n");
    has(r.out, "    birth year: 1938 → 1940\n");
    has(r.out, "    phone: removed\n");
    has(r.out, "    family: Li Wei (" DAUGHTER_NO "), relation daughter → eldest daughter\n");
    has(r.out, "    family: adds " OTHER_NO ", grandson\n");
    has(r.out, "    family: removes QX03-000130-5\n");
    const Hourbank__AmendMember *a = g.last_save->save->op->amend;
    assert_int_equal(g.last_save->save->op->kind_case, HOURBANK__OP__KIND_AMEND);
    assert_int_equal(a->birth_year, 1940);
    assert_true(a->clear_phone);
    assert_int_equal(a->n_add_family, 2);
    assert_string_equal(a->add_family[1]->member_no, OTHER_NO);
    assert_string_equal(a->add_family[1]->relation, "grandson");
    assert_int_equal(a->n_remove_family, 1);
    assert_string_equal(a->reason, "typed wrong");
    run_free(&r);
    /* named by her later number: the directory's answer is her, by her first */
    r = RUN("member", "amend", g.new_no, "--name", "Wang Xiu Ying");
    expect(r, 0);
    has(r.out, "  corrects Wang Xiuying (QH01-000001-1)\n    name: Wang Xiuying \xE2\x86\x92 Wang Xiu Ying\n");
    run_free(&r);
    /* refused before the station is asked to save */
    int saves = g.saves;
    static const char *const refusals[][2] = {
        {"--reason", "nothing to correct: give --name"},
        {"--phone", "--phone sets a new phone number and --clear-phone removes it: give one"},
        {"--add-family", ELDER_NO " cannot be their own family member"},
        {"--remove-family", DAUGHTER_NO " is both added and removed as family: give one"},
    };
    r = RUN("member", "amend", ELDER_NO, "--reason", "x");
    has(r.err, refusals[0][1]);
    run_free(&r);
    r = RUN("member", "amend", ELDER_NO, "--phone", "123 456", "--clear-phone");
    has(r.err, refusals[1][1]);
    run_free(&r);
    r = RUN("member", "amend", ELDER_NO, "--add-family", ELDER_NO);
    has(r.err, refusals[2][1]);
    run_free(&r);
    r = RUN("member", "amend", ELDER_NO, "--add-family", DAUGHTER_NO, "--remove-family", DAUGHTER_NO);
    has(r.err, refusals[3][1]);
    run_free(&r);
    r = RUN("member", "amend", ELDER_NO, "--name", "A", "--name", "B");
    expect(r, EX_USAGE);
    has(r.err, "--name is given twice");
    run_free(&r);
    assert_int_equal(g.saves, saves);
}

static void
test_move(void **state)
{
    (void) state;
    run_t r = RUN("member", "move", DAUGHTER_NO, "--reason", "to her son's");
    expect(r, 0);
    has(r.out, "saved as 7:42 (pending sync)\n  Li Wei (" DAUGHTER_NO ") moves to this station's community, new "
               "member number QH01-000001-1\n");
    has(r.out, "  NEW MEMBER NUMBER, for the member's new card:\n\n      +-----------------+\n"
               "      |  QH01-000001-1  |\n      +-----------------+\n");
    has(r.out, "  the old numbers keep working: " DAUGHTER_NO "\n");
    assert_int_equal(g.last_save->save->op->kind_case, HOURBANK__OP__KIND_MOVE);
    assert_string_equal(g.last_save->save->op->move->new_member_no, "");
    run_free(&r);
    r = RUN("member", "move", DAUGHTER_NO, "--json");
    expect(r, 0);
    has(r.out, "\"new_member_no\": \"QH01-000001-1\"");
    run_free(&r);
}

static void
test_leave(void **state)
{
    (void) state;
    int saves = g.saves;
    g.leaver_hours = "pool";
    run_t r = RUN("member", "leave", ELDER_NO, "--died");  /* no --yes: says what it would do, saves nothing */
    expect(r, EX_USAGE);
    has(r.out, "Wang Xiuying (" ELDER_NO ") has died and leaves the scheme:\n");
    has(r.out, "  balance: 2 h 30 min");
    has(r.out, "  hours: go to the pool (district GULOU's rule)\n");
    has(r.out, "  personal data: the name, birth year, phone and family links are erased");
    has(r.out, "  this cannot be undone\n");
    has(r.err, "nothing was saved: leaving cannot be undone; check the above, then run the same command again with --yes");
    assert_int_equal(g.saves, saves);
    run_free(&r);
    r = RUN("member", "leave", ELDER_NO, "--heir", DAUGHTER_NO, "--yes");
    expect(r, EX_DATAERR);
    has(r.err, "district GULOU's rule gives a leaver's hours to the pool: it takes no --heir");
    assert_int_equal(g.saves, saves);
    run_free(&r);
    g.leaver_hours = "family";
    r = RUN("member", "leave", ELDER_NO, "--heir", DAUGHTER_NO, "--heir", OTHER_NO, "--yes");
    expect(r, 0);
    has(r.out, "saved as 7:42 (pending sync)\n  Wang Xiuying (" ELDER_NO ") leaves the scheme\n");
    has(r.out, "  hours: go in equal shares to the heirs (district GULOU's rule):\n      Li Wei (" DAUGHTER_NO ")\n"
               "      " OTHER_NO "\n");
    assert_int_equal(g.saves, saves + 1);
    assert_int_equal(g.last_save->save->op->leave->n_heirs, 2);
    assert_false(g.last_save->save->op->leave->died);
    run_free(&r);
    r = RUN("member", "leave", ELDER_NO, "--heir", DAUGHTER_NO, "--heir", DAUGHTER_NO, "--yes");
    expect(r, EX_DATAERR);
    has(r.err, "the heir " DAUGHTER_NO " is named twice");
    run_free(&r);
    g.left = true;
    r = RUN("member", "leave", ELDER_NO, "--yes");
    expect(r, EX_DATAERR);
    has(r.err, "member " ELDER_NO " has left the scheme already");
    run_free(&r);
    g.left = false;
    assert_int_equal(g.saves, saves + 1);
}

static void
test_words(void **state)
{
    (void) state;
    char buf[256];
    assert_string_equal(hb_cli_words_kind("amend"), "correction");
    assert_string_equal(hb_cli_words_kind("opening"), "opening balance");
    assert_string_equal(hb_cli_words_kind("leave"), "leave");
    assert_string_equal(hb_cli_words_account("opening"), "opening balances account");
    assert_string_equal(hb_cli_words_summary(buf, sizeof buf, "amend " ELDER_NO), ELDER_NO);
    assert_string_equal(hb_cli_words_summary(buf, sizeof buf, "move " ELDER_NO " \xE2\x86\x92 QH01-000001-1"),
                        ELDER_NO " \xE2\x86\x92 QH01-000001-1");
    assert_string_equal(hb_cli_words_summary(buf, sizeof buf, "leave " ELDER_NO), ELDER_NO);
    assert_string_equal(hb_cli_words_summary(buf, sizeof buf, "opening " ELDER_NO " 3h"), ELDER_NO " +3 h");
    assert_string_equal(hb_cli_words_summary(buf, sizeof buf, "opening " ELDER_NO " -1h 30m"), ELDER_NO " -1 h 30 min");
    assert_string_equal(hb_cli_period_role("heir"), "heir");
    assert_string_equal(hb_cli_period_role("leaver"), "leaver");
    Hourbank__StatementEntry e;
    hourbank__statement_entry__init(&e);
    e.kind = (char *) "opening";
    assert_string_equal(hb_cli_period_service(buf, sizeof buf, &e), "opening balance (paper books)");
    e.kind = (char *) "leave";
    e.role = (char *) "heir";
    assert_string_equal(hb_cli_period_service(buf, sizeof buf, &e), "inherited from a leaver");
    e.role = (char *) "leaver";
    assert_string_equal(hb_cli_period_service(buf, sizeof buf, &e), "hours of a leaver");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_duplicate), cmocka_unit_test(test_member_show), cmocka_unit_test(test_amend),
        cmocka_unit_test(test_move),               cmocka_unit_test(test_leave),       cmocka_unit_test(test_words),
    };
    return cmocka_run_group_tests(tests, fake_start, fake_stop);
}
