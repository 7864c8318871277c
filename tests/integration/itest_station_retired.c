/* A station is taken out of service with "retired: true" in central.yaml
 * and SIGHUP, while it is connected:
 *  - an op it sends afterwards on its open connection is refused
 *    NOT_AUTHORIZED, recorded as the op's final result (a resend gets the
 *    same answer, and nothing is posted), with a message naming it retired;
 *  - its hello on a connection opened before the reload is refused, and a
 *    new connection with its key is not admitted (a restarted station);
 *  - its members, ops and transfers stay, its members stay usable by the
 *    other station of the community;
 *  - `hourbank stations` shows it retired. */
#include "hb_itest.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A queued op's result values as text (hb_h_values). */
#define QV(op) hb_h_values((op)->params, (op)->n_params, (op)->message)

#define SERVICE_MINUTES 120
#define LATE_MINUTES 30
#define OTHER_MINUTES 60
#define WAIT_S 30
#define CLI_OUT_BYTES 8192

static hb_h_central_t central;
static hb_h_station_t station;

static uint64_t
save(hb_h_client_t *cl, hb_h_batch_t *b, char *member_no)
{
    char msg[256];
    int code = 0;
    uint64_t seq = hb_h_save(cl, hb_h_batch_op(b, 0), &code, member_no, msg, sizeof msg);
    if (!seq)
        fail_msg("save refused (%d): %s", code, msg);
    hb_h_batch_free(&b);
    return seq;
}

/* Polls the station's queue until an op is rejected; false after WAIT_S. */
static bool
wait_rejected(hb_h_client_t *cl, uint64_t rejected)
{
    for (int i = 0; i < WAIT_S * 10; i++) {
        Hourbank__Envelope *q = hb_h_queue(cl, false);
        bool done = q && q->queue_reply->rejected == rejected && q->queue_reply->pending == 0;
        hb_wire_free(&q);
        if (done)
            return true;
        usleep(100 * 1000);
    }
    return false;
}

static int64_t
count(PGconn *pg, const char *sql)
{
    return hb_h_pg_int(pg, sql);
}

/* The station's queue: its one rejected op names the station as retired. */
static void
expect_station_sees_refusal(hb_h_client_t *cl, uint64_t seq)
{
    Hourbank__Envelope *q = hb_h_queue(cl, true);
    assert_non_null(q);
    assert_int_equal(q->queue_reply->n_ops, 1);
    assert_int_equal(q->queue_reply->ops[0]->seq, seq);
    assert_int_equal(q->queue_reply->ops[0]->result, HOURBANK__RESULT__NOT_AUTHORIZED);
    assert_non_null(strstr(QV(q->queue_reply->ops[0]), "reason=retired\nstation=1"));
    hb_wire_free(&q);
}

/* A connection of station 1 opened before the reload: its hello is
 * refused, and a new op on it is refused for good, the same on resend. */
static void
expect_open_connection_refused(hb_h_client_t *raw, PGconn *pg, uint64_t seq, const char *a, const char *b)
{
    Hourbank__Envelope env, *r;
    Hourbank__Hello hello;
    hourbank__envelope__init(&env);
    hourbank__hello__init(&hello);
    hello.station_id = 1;
    env.body_case = HOURBANK__ENVELOPE__BODY_HELLO;
    env.hello = &hello;
    r = hb_h_client_call(raw, &env, 10000);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    assert_int_equal(r->error->code, HOURBANK__RESULT__NOT_AUTHORIZED);
    assert_non_null(strstr(r->error->message, "retired"));
    hb_wire_free(&r);
    hb_h_batch_t *batch = hb_h_batch_new();
    hb_h_batch_service(batch, seq, (int64_t) time(NULL) - 60, a, b, LATE_MINUTES, "personal-care");
    const int want[] = {HOURBANK__RESULT__NOT_AUTHORIZED};
    for (int send = 0; send < 2; send++) {
        r = itest_send(raw, batch);
        itest_expect(r, want, 1);
        assert_non_null(strstr(itest_values(r->batch_ack->results[0]), "reason=retired\nstation=1"));
        hb_wire_free(&r);
    }
    hb_h_batch_free(&batch);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT result FROM op WHERE station_id = 1 AND seq = %llu", (unsigned long long) seq);
    assert_int_equal(count(pg, sql), HOURBANK__RESULT__NOT_AUTHORIZED);
}

static void
expect_cli_shows_retired(void)
{
    static char out[CLI_OUT_BYTES], err[CLI_OUT_BYTES];
    char bin[600];
    const char *yaml = hb_h_admin_yaml(&central, central.dir);
    const char *argv[] = {hb_h_bin("hourbank", bin, sizeof bin), "stations", "--admin", yaml, NULL};
    int rc = hb_h_run_capture(argv, central.dir, out, sizeof out, err, sizeof err);
    if (rc != 0)
        fail_msg("hourbank stations exited %d: %s", rc, err);
    if (!strstr(out, "\n 1  Qingxi one     QX03       retired  ") ||
        !strstr(out, "\n 2  Qingxi two     QX03       active   "))
        fail_msg("hourbank stations does not show station 1 retired and 2 active:\n%s", out);
}

static void
test_retired_station(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_retired", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, 1, 0);
    hb_h_station_start(&station);
    hb_h_client_t *cl = hb_h_station_client(&station);
    char volunteer[32], elder[32];
    int64_t at = (int64_t) time(NULL) - 600;
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", "Volunteer", 1, 1960, NULL);
    save(cl, b, volunteer);
    b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", "Elder", 2, 1930, NULL);
    save(cl, b, elder);
    b = hb_h_batch_new();
    hb_h_batch_service(b, 0, at, volunteer, elder, SERVICE_MINUTES, "personal-care");
    save(cl, b, NULL);
    assert_true(hb_h_wait_drained(cl, WAIT_S));
    hb_h_client_t *raw = hb_h_central_client(&central, 1);  /* another connection, opened now */
    assert_true(hb_h_hello(raw, 1, 3) == 3);
    hb_h_client_t *other = hb_h_central_client(&central, 2);
    assert_true(hb_h_hello(other, 2, 0) == 0);

    central.retired[1] = true;
    hb_h_central_write_config(&central, NULL, NULL, NULL, NULL);
    assert_int_equal(kill(central.pid, SIGHUP), 0);
    assert_true(hb_h_log_wait(central.log, "configuration reloaded", 1, 10000));

    /* an op saved now goes out on the station's open connection: refused, final */
    b = hb_h_batch_new();
    hb_h_batch_service(b, 0, at, volunteer, elder, LATE_MINUTES, "personal-care");
    uint64_t late = save(cl, b, NULL);
    assert_true(wait_rejected(cl, 1));
    expect_station_sees_refusal(cl, late);
    PGconn *pg = hb_h_pg(central.conninfo);
    expect_open_connection_refused(raw, pg, late + 1, volunteer, elder);
    hb_h_client_destroy(&raw);
    assert_int_equal(count(pg, "SELECT count(*) FROM op WHERE station_id = 1"), 5);
    assert_int_equal(count(pg, "SELECT count(*) FROM op WHERE station_id = 1 AND result = 7"
                               " AND params = E'reason=retired\\nstation=1'"), 2);
    assert_int_equal(itest_balance(pg, volunteer), SERVICE_MINUTES);  /* nothing posted after */

    /* its rows stay, and its members serve at the other station */
    assert_int_equal(count(pg, "SELECT count(*) FROM member"), 2);
    assert_int_equal(count(pg, "SELECT count(*) FROM transfer WHERE station_id = 1"), 1);
    assert_int_equal(count(pg, "SELECT count(*) FROM station WHERE id = 1 AND NOT active"), 1);
    b = hb_h_batch_new();
    hb_h_batch_service(b, 1, at, volunteer, elder, OTHER_MINUTES, "personal-care");
    const int ok[] = {HOURBANK__RESULT__OK};
    Hourbank__Envelope *r = itest_send(other, b);
    itest_expect(r, ok, 1);
    hb_wire_free(&r);
    hb_h_batch_free(&b);
    hb_h_client_destroy(&other);
    assert_int_equal(itest_balance(pg, volunteer), SERVICE_MINUTES + OTHER_MINUTES);
    expect_cli_shows_retired();

    /* restarted, it is not admitted at all */
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&station, SIGTERM);
    hb_h_station_start(&station);
    assert_true(hb_h_log_wait(central.log, "connection refused: station 1 is retired", 1, 10000));
    cl = hb_h_station_client(&station);
    Hourbank__Envelope *q = hb_h_queue(cl, false);
    assert_string_not_equal(q->queue_reply->link, "up");
    hb_wire_free(&q);
    hb_h_client_destroy(&cl);
    PQfinish(pg);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    hb_h_station_stop(&station, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_retired_station)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
