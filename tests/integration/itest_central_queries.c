/* Queries are not held behind a group commit (issue #7). A trigger in the
 * test database makes the next group commit sleep (pg_sleep, once per
 * transaction, armed through a marker table); while that group is in the
 * writer, balance queries must be answered at once, with the balance from
 * before the commit, and the batch's ack must come only after the commit,
 * with its data present. A hello sent meanwhile must wait for the group and
 * report a mark that includes it; a verify stuck behind a lock must not
 * hold up balance queries either; SIGTERM during a slow group still commits
 * and acks it. */
#include "hb_clock.h"
#include "hb_itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define SLOW_COMMIT_MS 2000    /* how long the armed group commit sleeps */
#define QUERY_BOUND_MS 100     /* a balance query must come back within this */
#define QUERIES 20             /* balance queries asked during the slow commit */
#define QUERY_GAP_MS 25        /* between them: spread over the commit */
#define WAIT_MS 10000          /* for anything that should happen */
#define SERVICE_MINUTES 45
#define BATCH_CORR 900001      /* correlation ids of raw sends */

static hb_h_central_t central;

#define Q(n) hb_h_member("QX03", n)

static const char *const SLOW_SQL[] = {
    "CREATE TABLE hb_test_slow (ms integer NOT NULL)",
    "INSERT INTO hb_test_slow VALUES (0)",
    "CREATE FUNCTION hb_test_slow() RETURNS trigger LANGUAGE plpgsql AS $$"
    " DECLARE d integer; BEGIN"
    "  IF coalesce(current_setting('hb_test.slept', true), '') <> 'yes' THEN"
    "   SELECT ms INTO d FROM hb_test_slow;"
    "   IF d > 0 THEN PERFORM set_config('hb_test.slept', 'yes', true);"
    "    PERFORM pg_sleep(d / 1000.0); END IF;"
    "  END IF; RETURN NULL; END $$",
    "CREATE TRIGGER hb_test_slow BEFORE INSERT ON op FOR EACH STATEMENT EXECUTE FUNCTION hb_test_slow()",
};

static void
sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int
setup(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_queries", NULL, NULL, NULL);
    PGconn *pg = hb_h_pg(central.conninfo);
    for (size_t i = 0; i < sizeof SLOW_SQL / sizeof SLOW_SQL[0]; i++)
        assert_true(hb_h_pg_ok(pg, SLOW_SQL[i]));
    PQfinish(pg);
    hb_h_central_start(&central);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, Q(1), "Volunteer", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_register(b, 2, Q(2), "Elder", HOURBANK__ROLE__ELDER, 1935, NULL);
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    Hourbank__Envelope *ack = itest_send(cl, b);
    const int ok[] = {1, 1};
    itest_expect(ack, ok, 2);
    hb_wire_free(&ack);
    hb_h_client_destroy(&cl);
    hb_h_batch_free(&b);
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    if (central.pid) {
        int st = hb_h_central_stop(&central, SIGTERM);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    return 0;
}

/* Arms the trigger: the next transaction that inserts an op sleeps ms. */
static void
arm(PGconn *pg, int ms)
{
    char sql[64];
    snprintf(sql, sizeof sql, "UPDATE hb_test_slow SET ms = %d", ms);
    assert_true(hb_h_pg_ok(pg, sql));
}

/* Waits until central's writer sleeps in the trigger, then disarms it. */
static void
wait_for_slow_commit(PGconn *pg)
{
    int64_t deadline = hb_clock_ms() + WAIT_MS;
    while (hb_h_pg_int(pg, "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'"
                           " AND datname = current_database()") == 0) {
        if (hb_clock_ms() > deadline)
            fail_msg("the group commit never reached the slow trigger");
        sleep_ms(5);
    }
    arm(pg, 0);
}

/* Sends a one-op batch (a guarantee-paid service Q(1) -> Q(2)) without
 * waiting for its ack. */
static void
send_service(hb_h_client_t *cl, uint64_t seq)
{
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, seq, (int64_t) time(NULL), Q(1), Q(2), SERVICE_MINUTES, "personal-care");
    Hourbank__Envelope *env = hb_h_batch_envelope(b);
    env->version = HB_PROTOCOL_VERSION;
    env->correlation_id = BATCH_CORR + seq;
    size_t size;
    uint8_t *data = hb_h_encode(env, &size);
    const void *frames[] = {data};
    const size_t sizes[] = {size};
    assert_int_equal(hb_h_client_send_raw(cl, frames, sizes, 1), 0);
    free(data);
    hb_h_batch_free(&b);
}

/* Balance of member over the wire, and how long the answer took. */
static int64_t
ask_balance(hb_h_client_t *cl, const char *member_no, int64_t *took_ms)
{
    int64_t t0 = hb_clock_ms();
    Hourbank__Envelope *r = hb_h_balance(cl, member_no, WAIT_MS);
    *took_ms = hb_clock_ms() - t0;
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_BALANCE_REPLY);
    int64_t balance = r->balance_reply->balance_minutes;
    hb_wire_free(&r);
    return balance;
}

/* The batch's ack: only after the commit, with the op accepted. */
static void
expect_ack(hb_h_client_t *cl, uint64_t seq, int64_t sent_ms, int64_t at_least_ms)
{
    Hourbank__Envelope *ack = hb_h_client_recv(cl, WAIT_MS);
    int64_t took = hb_clock_ms() - sent_ms;
    assert_non_null(ack);
    assert_int_equal(ack->correlation_id, BATCH_CORR + seq);
    assert_int_equal(ack->body_case, HOURBANK__ENVELOPE__BODY_BATCH_ACK);
    const int ok[] = {1};
    itest_expect(ack, ok, 1);
    assert_int_equal(ack->batch_ack->high_water_mark, seq);
    printf("ack after %lld ms (the commit slept %lld ms)\n", (long long) took, (long long) at_least_ms);
    assert_true(took >= at_least_ms);
    hb_wire_free(&ack);
}

static void
test_balance_not_behind_commit(void **state)
{
    (void) state;
    PGconn *pg = hb_h_pg(central.conninfo);
    hb_h_client_t *writer_cl = hb_h_central_client(&central, 1);
    hb_h_client_t *query_cl = hb_h_central_client(&central, 2);
    int64_t took;
    assert_int_equal(ask_balance(query_cl, Q(1), &took), 0);  /* connects the reader */
    arm(pg, SLOW_COMMIT_MS);
    int64_t sent = hb_clock_ms();
    send_service(writer_cl, 3);
    wait_for_slow_commit(pg);
    int64_t worst = 0, sum = 0;
    for (int i = 0; i < QUERIES; i++) {
        assert_int_equal(ask_balance(query_cl, Q(1), &took), 0);  /* not committed yet */
        worst = took > worst ? took : worst;
        sum += took;
        assert_null(hb_h_client_recv(writer_cl, 0));  /* no ack before the commit */
        sleep_ms(QUERY_GAP_MS);
    }
    printf("balance during a %d ms group commit: %d queries, worst %lld ms, mean %.1f ms\n", SLOW_COMMIT_MS,
           QUERIES, (long long) worst, (double) sum / QUERIES);
    assert_true(worst < QUERY_BOUND_MS);
    assert_true(hb_clock_ms() - sent < SLOW_COMMIT_MS);  /* all asked while the group was in the writer */
    expect_ack(writer_cl, 3, sent, SLOW_COMMIT_MS);
    assert_int_equal(itest_balance(pg, Q(1)), SERVICE_MINUTES);
    assert_int_equal(ask_balance(query_cl, Q(1), &took), SERVICE_MINUTES);
    hb_h_client_destroy(&query_cl);
    hb_h_client_destroy(&writer_cl);
    PQfinish(pg);
}

/* A hello that arrives while the station's batch is being committed is
 * answered after the commit, with a mark that includes the batch. */
static void
test_hello_waits_for_batches(void **state)
{
    (void) state;
    PGconn *pg = hb_h_pg(central.conninfo);
    hb_h_client_t *batch_cl = hb_h_central_client(&central, 1);
    hb_h_client_t *hello_cl = hb_h_central_client(&central, 1);
    arm(pg, SLOW_COMMIT_MS);
    int64_t sent = hb_clock_ms();
    send_service(batch_cl, 4);
    wait_for_slow_commit(pg);
    assert_int_equal(hb_h_hello(hello_cl, 1, 0), 4);
    int64_t took = hb_clock_ms() - sent;
    printf("hello answered %lld ms after the batch was sent\n", (long long) took);
    assert_true(took >= SLOW_COMMIT_MS);
    expect_ack(batch_cl, 4, sent, SLOW_COMMIT_MS);
    hb_h_client_destroy(&hello_cl);
    hb_h_client_destroy(&batch_cl);
    PQfinish(pg);
}

/* A verify that cannot finish (a lock on transfer holds it) stalls
 * neither balance queries nor batches. */
static void
test_verify_apart(void **state)
{
    (void) state;
    PGconn *pg = hb_h_pg(central.conninfo);
    PGconn *locker = hb_h_pg(central.conninfo);
    assert_true(hb_h_pg_ok(locker, "BEGIN"));
    assert_true(hb_h_pg_ok(locker, "LOCK TABLE transfer IN ACCESS EXCLUSIVE MODE"));
    hb_h_client_t *admin = hb_h_central_client(&central, 0);
    Hourbank__Envelope env;
    Hourbank__VerifyQuery vq;
    hourbank__envelope__init(&env);
    hourbank__verify_query__init(&vq);
    env.body_case = HOURBANK__ENVELOPE__BODY_VERIFY_QUERY;
    env.verify_query = &vq;
    env.version = HB_PROTOCOL_VERSION;
    env.correlation_id = BATCH_CORR;
    size_t size;
    uint8_t *data = hb_h_encode(&env, &size);
    const void *frames[] = {data};
    const size_t sizes[] = {size};
    assert_int_equal(hb_h_client_send_raw(admin, frames, sizes, 1), 0);
    free(data);
    int64_t deadline = hb_clock_ms() + WAIT_MS;  /* until verify waits for the lock */
    while (hb_h_pg_int(pg, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                           " AND datname = current_database()") == 0) {
        assert_true(hb_clock_ms() < deadline);
        sleep_ms(5);
    }
    hb_h_client_t *cl = hb_h_central_client(&central, 2);
    int64_t took;
    assert_int_equal(ask_balance(cl, Q(1), &took), 2 * SERVICE_MINUTES);
    printf("balance while a verify waits: %lld ms\n", (long long) took);
    assert_true(took < QUERY_BOUND_MS);
    assert_null(hb_h_client_recv(admin, 0));
    assert_true(hb_h_pg_ok(locker, "COMMIT"));
    Hourbank__Envelope *r = hb_h_client_recv(admin, WAIT_MS);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_VERIFY_REPLY);
    assert_true(r->verify_reply->ok);
    hb_wire_free(&r);
    hb_h_client_destroy(&cl);
    hb_h_client_destroy(&admin);
    PQfinish(locker);
    PQfinish(pg);
}

/* SIGTERM while a group is in the writer: it is committed and acked, then
 * central exits 0. */
static void
test_sigterm_drains(void **state)
{
    (void) state;
    PGconn *pg = hb_h_pg(central.conninfo);
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    arm(pg, SLOW_COMMIT_MS / 2);
    int64_t sent = hb_clock_ms();
    send_service(cl, 5);
    wait_for_slow_commit(pg);
    assert_int_equal(kill(central.pid, SIGTERM), 0);
    expect_ack(cl, 5, sent, SLOW_COMMIT_MS / 2);
    int st = hb_h_central_stop(&central, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(itest_balance(pg, Q(1)), 3 * SERVICE_MINUTES);
    hb_h_client_destroy(&cl);
    PQfinish(pg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_balance_not_behind_commit),
        cmocka_unit_test(test_hello_waits_for_batches),
        cmocka_unit_test(test_verify_apart),
        cmocka_unit_test(test_sigterm_drains),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
