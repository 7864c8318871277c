/* The catalogue (anyone), the station list and verify (admin key only)
 * over the wire, answered from the ledger; verify over the wire and
 * "hourbank-central verify" report the same numbers. */
#include "hb_itest.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define CLOCK_SLACK_S 60
#define MANY_MEMBERS 120   /* more broken accounts than verify lists */

static hb_h_central_t central;

#define Q(n) hb_h_member("QX03", n)
#define H(n) hb_h_member("QH01", n)

static int
setup(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_admin", NULL, NULL, NULL);
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

/* Sends a body-less query as station (0 = admin); caller frees the reply. */
static Hourbank__Envelope *
ask(uint32_t station, Hourbank__Envelope__BodyCase body)
{
    Hourbank__Envelope env;
    Hourbank__CategoriesQuery cq;
    Hourbank__StationsQuery sq;
    Hourbank__VerifyQuery vq;
    hourbank__envelope__init(&env);
    hourbank__categories_query__init(&cq);
    hourbank__stations_query__init(&sq);
    hourbank__verify_query__init(&vq);
    env.body_case = body;
    if (body == HOURBANK__ENVELOPE__BODY_CATEGORIES_QUERY)
        env.categories_query = &cq;
    else if (body == HOURBANK__ENVELOPE__BODY_STATIONS_QUERY)
        env.stations_query = &sq;
    else
        env.verify_query = &vq;
    hb_h_client_t *cl = hb_h_central_client(&central, station);
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 10000);
    hb_h_client_destroy(&cl);
    assert_non_null(r);  /* NULL also when the reply failed validation */
    return r;
}

static void
expect_not_authorized(uint32_t station, Hourbank__Envelope__BodyCase body, const char *want)
{
    Hourbank__Envelope *r = ask(station, body);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    assert_int_equal(r->error->code, HOURBANK__RESULT__NOT_AUTHORIZED);
    assert_non_null(strstr(r->error->message, want));
    hb_wire_free(&r);
}

static void
test_categories(void **state)
{
    (void) state;
    static const char *const names[] = {"companionship", "meal-delivery", "personal-care"};
    static const char *const descriptions[] = {"visits and conversation", "bringing meals", "bathing and dressing"};
    for (uint32_t who = 0; who <= 3; who += 3) {  /* the admin, and a station */
        Hourbank__Envelope *r = ask(who, HOURBANK__ENVELOPE__BODY_CATEGORIES_QUERY);
        assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_CATEGORIES_REPLY);
        assert_int_equal(r->categories_reply->n_categories, 3);
        for (size_t i = 0; i < 3; i++) {
            assert_string_equal(r->categories_reply->categories[i]->name, names[i]);
            assert_string_equal(r->categories_reply->categories[i]->description, descriptions[i]);
        }
        hb_wire_free(&r);
    }
}

/* Station 1: two accepted, one rejected by the rules; station 3: one
 * accepted, one rejected at the boundary. Station 4 is made inactive. */
static void
make_station_activity(void)
{
    int64_t now = (int64_t) time(NULL);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, Q(1), "A", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_register(b, 2, Q(2), "B", HOURBANK__ROLE__ELDER, 1940, NULL);
    hb_h_batch_service(b, 3, now, Q(1), Q(1), 30, "companionship");
    const int want1[] = {1, 1, HOURBANK__RESULT__SELF_SERVICE};
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    Hourbank__Envelope *ack = itest_send(cl, b);
    itest_expect(ack, want1, 3);
    hb_wire_free(&ack);
    hb_h_client_destroy(&cl);
    hb_h_batch_free(&b);

    b = hb_h_batch_new();
    hb_h_batch_register(b, 1, H(1), "E", HOURBANK__ROLE__VOLUNTEER, 1955, NULL);
    hb_h_batch_service(b, 2, now, H(1), Q(2), 2000, "companionship");
    const int want3[] = {1, HOURBANK__RESULT__INVALID_DURATION};
    cl = hb_h_central_client(&central, 3);
    assert_int_equal(hb_h_hello(cl, 3, 0), 0);
    ack = itest_send(cl, b);
    itest_expect(ack, want3, 2);
    hb_wire_free(&ack);
    hb_h_client_destroy(&cl);
    hb_h_batch_free(&b);

    PGconn *pg = hb_h_pg(central.conninfo);
    assert_true(hb_h_pg_ok(pg, "UPDATE station SET active = false WHERE id = 4"));
    PQfinish(pg);
}

static void
test_stations(void **state)
{
    (void) state;
    expect_not_authorized(2, HOURBANK__ENVELOPE__BODY_STATIONS_QUERY,
                          "station 2 may not ask for the station list: an admin key is required");
    make_station_activity();
    static const struct {
        const char *name, *community;
        uint64_t hwm, accepted, rejected;
        bool contacted, active;
    } want[] = {{"Qingxi one", "QX03", 3, 2, 1, true, true},
                {"Qingxi two", "QX03", 0, 0, 0, true, true},  /* asked for the list: contact */
                {"Qinhuai three", "QH01", 2, 1, 1, true, true},
                {"Qinhuai four", "QH01", 0, 0, 0, false, false}};
    Hourbank__Envelope *r = ask(0, HOURBANK__ENVELOPE__BODY_STATIONS_QUERY);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_STATIONS_REPLY);
    assert_int_equal(r->stations_reply->n_stations, 4);
    int64_t now = (int64_t) time(NULL);
    for (size_t i = 0; i < 4; i++) {
        const Hourbank__StationInfo *s = r->stations_reply->stations[i];
        assert_int_equal(s->station_id, i + 1);
        assert_string_equal(s->name, want[i].name);
        assert_string_equal(s->community, want[i].community);
        assert_int_equal(s->high_water_mark, want[i].hwm);
        assert_int_equal(s->ops_accepted, want[i].accepted);
        assert_int_equal(s->ops_rejected, want[i].rejected);
        assert_int_equal(s->active, want[i].active);
        if (want[i].contacted)
            assert_true(s->last_contact > now - CLOCK_SLACK_S && s->last_contact <= now + CLOCK_SLACK_S);
        else
            assert_int_equal(s->last_contact, 0);
    }
    hb_wire_free(&r);
}

/* verify as the admin; asserts the reply agrees with SQL and with itself. */
static Hourbank__Envelope *
verify_over_wire(PGconn *pg)
{
    Hourbank__Envelope *r = ask(0, HOURBANK__ENVELOPE__BODY_VERIFY_QUERY);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_VERIFY_REPLY);
    assert_int_equal(r->verify_reply->accounts, hb_h_pg_int(pg, "SELECT count(*) FROM account"));
    assert_int_equal(r->verify_reply->transfers, hb_h_pg_int(pg, "SELECT count(*) FROM transfer"));
    assert_int_equal(r->verify_reply->obligation_minutes,
                     hb_h_pg_int(pg, "SELECT debits - credits FROM account WHERE id = 1"));
    assert_int_equal(r->verify_reply->ok, r->verify_reply->n_problems == 0);
    return r;
}

static bool
has_problem(const Hourbank__VerifyReply *v, const char *text)
{
    for (size_t i = 0; i < v->n_problems; i++)
        if (strstr(v->problems[i], text))
            return true;
    return false;
}

static void
test_verify_sound_and_broken(void **state)
{
    (void) state;
    expect_not_authorized(1, HOURBANK__ENVELOPE__BODY_VERIFY_QUERY,
                          "station 1 may not ask for a ledger verify: an admin key is required");
    PGconn *pg = hb_h_pg(central.conninfo);
    hb_h_batch_t *b = hb_h_batch_new();  /* a guarantee-paid service: an obligation */
    hb_h_batch_service(b, 4, (int64_t) time(NULL), Q(1), Q(2), 45, "personal-care");
    const int ok[] = {1};
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    Hourbank__Envelope *ack = itest_send(cl, b);
    itest_expect(ack, ok, 1);
    hb_wire_free(&ack);
    hb_h_client_destroy(&cl);
    hb_h_batch_free(&b);

    Hourbank__Envelope *r = verify_over_wire(pg);
    assert_true(r->verify_reply->ok);
    assert_int_equal(r->verify_reply->obligation_minutes, 45);
    /* the command line reports the same numbers: the same SQL */
    char line[256];
    snprintf(line, sizeof line, "ledger verified: %lld accounts, %lld transfers, sum of balances 0 minutes,"
                                " guarantee obligation 45 minutes",
             (long long) r->verify_reply->accounts, (long long) r->verify_reply->transfers);
    hb_wire_free(&r);
    int before = hb_h_log_count(central.log, line);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    assert_int_equal(hb_h_log_count(central.log, line), before + 1);

    assert_true(hb_h_pg_ok(pg, "UPDATE account SET credits = credits + 5 WHERE id = 2"));
    r = verify_over_wire(pg);
    assert_false(r->verify_reply->ok);
    assert_int_equal(r->verify_reply->n_problems, 2);
    assert_true(has_problem(r->verify_reply, "sum of balances is 5, not 0"));
    assert_true(has_problem(r->verify_reply, "account 2: debits 0 but transfers debit 0, credits 5"));
    hb_wire_free(&r);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 1);
    assert_true(hb_h_pg_ok(pg, "UPDATE account SET credits = credits - 5 WHERE id = 2"));
    r = verify_over_wire(pg);
    assert_true(r->verify_reply->ok);
    hb_wire_free(&r);
    PQfinish(pg);
}

/* More problems than verify lists: the reply (and the command) list
 * HB_VERIFY_PROBLEMS_MAX and count the rest. */
static void
test_verify_many_problems(void **state)
{
    (void) state;
    hb_h_batch_t *b = hb_h_batch_new();
    for (uint32_t n = 1; n <= MANY_MEMBERS; n++)
        hb_h_batch_register(b, n, hb_h_member("QH01", 501000 + n), "Many", HOURBANK__ROLE__BOTH, 1950, NULL);
    hb_h_client_t *cl = hb_h_central_client(&central, 4);
    Hourbank__Envelope *ack = itest_send(cl, b);
    assert_int_equal(ack->batch_ack->n_results, MANY_MEMBERS);
    hb_wire_free(&ack);
    hb_h_client_destroy(&cl);
    hb_h_batch_free(&b);
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_true(hb_h_pg_ok(pg, "UPDATE account SET credits = credits + 1 WHERE kind = 'member'"));
    int64_t broken = hb_h_pg_int(pg, "SELECT count(*) FROM hb_verify()");
    assert_true(broken > HB_VERIFY_PROBLEMS_MAX);
    Hourbank__Envelope *r = verify_over_wire(pg);
    assert_false(r->verify_reply->ok);
    assert_int_equal(r->verify_reply->n_problems, HB_VERIFY_PROBLEMS_MAX + 1);
    char more[64];
    snprintf(more, sizeof more, "%lld more problems not listed", (long long) (broken - HB_VERIFY_PROBLEMS_MAX));
    assert_string_equal(r->verify_reply->problems[HB_VERIFY_PROBLEMS_MAX], more);
    hb_wire_free(&r);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 1);
    assert_int_equal(hb_h_log_count(central.log, more), 1);
    assert_true(hb_h_pg_ok(pg, "UPDATE account SET credits = credits - 1 WHERE kind = 'member'"));
    r = verify_over_wire(pg);
    assert_true(r->verify_reply->ok);
    hb_wire_free(&r);
    PQfinish(pg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_categories),
        cmocka_unit_test(test_stations),
        cmocka_unit_test(test_verify_sound_and_broken),
        cmocka_unit_test(test_verify_many_problems),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
