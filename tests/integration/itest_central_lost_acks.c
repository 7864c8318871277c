/* Central behind its stations, and what keeps it from getting there.
 * - The writer commits with synchronous_commit on even when the database
 *   says off (a crash must not take back what central acked), and logs
 *   what its session runs with.
 * - Central restored from an older copy of its database: a station's hello
 *   claims acks beyond central's mark. Central logs one ALERT per hello,
 *   records the claim, and `hourbank stations` shows it with an alert until
 *   the station has resent the lost ops, which are posted once. */
#include "hb_itest.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hb_keyfile.h"

#define Q(n) hb_h_member("QX03", n)
#define CLI_OUT_BYTES 16384
#define NAME_BYTES 128

static hb_h_central_t central;
static char dbname[NAME_BYTES];
static char admin_yaml[700];

static int
setup(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_behind", NULL, NULL, NULL);
    snprintf(dbname, sizeof dbname, "%s", hb_h_central_dbname(&central));
    snprintf(admin_yaml, sizeof admin_yaml, "%s", hb_h_admin_yaml(&central, central.dir));
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    if (central.pid > 0)
        hb_h_central_stop(&central, SIGKILL);
    return 0;
}

static void
stop_central(void)
{
    int st = hb_h_central_stop(&central, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
test_writer_forces_synchronous_commit(void **state)
{
    (void) state;
    hb_h_pg_admin("ALTER DATABASE %s SET synchronous_commit = off", dbname);
    PGconn *pg = hb_h_pg(central.conninfo);  /* a new session gets the database's default */
    PGresult *r = PQexec(pg, "SHOW synchronous_commit");
    assert_string_equal(PQgetvalue(r, 0, 0), "off");
    PQclear(r);
    PQfinish(pg);
    hb_h_central_start(&central);
    assert_int_equal(hb_h_log_count(central.log, "ledger writer session synchronous_commit=on default=off"), 1);
    assert_int_equal(hb_h_log_count(central.log, "synchronous_commit=off"), 0);
    stop_central();
    hb_h_pg_admin("ALTER DATABASE %s RESET synchronous_commit", dbname);
}

/* ---- central restored from an older copy ---- */

/* Sends b as station 1 does: on a connection that said hello with the
 * last seq central acked it (as its outbox remembers). */
static void
send_ok(hb_h_batch_t *b, size_t n)
{
    static const int ok[] = {1, 1, 1, 1, 1, 1};
    static uint64_t acked;  /* the station's last acked seq */
    assert_true(n <= sizeof ok / sizeof ok[0]);
    hb_h_client_t *cl = hb_h_central_client_raw(&central, 1);
    assert_true(hb_h_hello(cl, 1, acked) >= 0);
    Hourbank__Envelope *ack = itest_send(cl, b);
    itest_expect(ack, ok, n);
    if (ack->batch_ack->results[n - 1]->seq > acked)
        acked = ack->batch_ack->results[n - 1]->seq;
    hb_wire_free(&ack);
    hb_h_client_destroy(&cl);
}

/* Station 1's ops 4..6, acked by the central that is then lost. */
static hb_h_batch_t *
lost_batch(void)
{
    int64_t now = (int64_t) time(NULL);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 4, now, Q(1), Q(2), 60, "personal-care");
    hb_h_batch_service(b, 5, now, Q(3), Q(1), 30, "companionship");
    hb_h_batch_register(b, 6, Q(4), "Sun Li", HOURBANK__ROLE__VOLUNTEER, 1963, NULL);
    return b;
}

/* Station 1 from StationsQuery, as the admin. Caller frees *reply. */
static const Hourbank__StationInfo *
station_one(Hourbank__Envelope **reply)
{
    Hourbank__Envelope env;
    Hourbank__StationsQuery q;
    hourbank__envelope__init(&env);
    hourbank__stations_query__init(&q);
    env.body_case = HOURBANK__ENVELOPE__BODY_STATIONS_QUERY;
    env.stations_query = &q;
    hb_h_client_t *cl = hb_h_central_client(&central, 0);
    *reply = hb_h_client_call(cl, &env, 10000);
    hb_h_client_destroy(&cl);
    assert_non_null(*reply);
    assert_int_equal((*reply)->body_case, HOURBANK__ENVELOPE__BODY_STATIONS_REPLY);
    assert_true((*reply)->stations_reply->n_stations >= 1);
    assert_int_equal((*reply)->stations_reply->stations[0]->station_id, 1);
    return (*reply)->stations_reply->stations[0];
}

/* `hourbank stations [--json]` as the admin; its stdout in out. */
static void
cli_stations(bool json, char *out, size_t size)
{
    char bin[600], err[CLI_OUT_BYTES];
    const char *argv[] = {hb_h_bin("hourbank", bin, sizeof bin), "stations", "--admin", admin_yaml,
                          json ? "--json" : NULL, NULL};
    int rc = hb_h_run_capture(argv, central.dir, out, size, err, sizeof err);
    if (rc != 0)
        fail_msg("hourbank stations exited %d: %s", rc, err);
}

static void
expect_out(const char *out, const char *needle)
{
    if (!strstr(out, needle))
        fail_msg("hourbank stations printed no \"%s\":\n%s", needle, out);
}

static void
expect_alert(void)
{
    Hourbank__Envelope *reply;
    const Hourbank__StationInfo *s = station_one(&reply);
    assert_int_equal(s->high_water_mark, 3);
    assert_int_equal(s->station_acked_seq, 6);
    assert_string_equal(s->alert, "central holds seq 3, the station had acks up to 6: central lost acknowledged"
                                  " work (restored from an older dump, or a standby that missed commits); the"
                                  " station is resending");
    hb_wire_free(&reply);
    char out[CLI_OUT_BYTES];
    cli_stations(true, out, sizeof out);
    expect_out(out, "\"high_water_mark\": 3,\n      \"station_acked_seq\": 6,");
    expect_out(out, "\"alert\": \"central holds seq 3, the station had acks up to 6: central lost acknowledged");
    cli_stations(false, out, sizeof out);
    expect_out(out, "LOST ACKS TO");
    expect_out(out, "       3             6");  /* HIGH-WATER 3, LOST ACKS TO 6 */
    expect_out(out, "\nalert: station 1 (Qingxi one): central holds seq 3, the station had acks up to 6: ");
}

static void
expect_no_alert(void)
{
    Hourbank__Envelope *reply;
    const Hourbank__StationInfo *s = station_one(&reply);
    assert_int_equal(s->high_water_mark, 6);
    assert_int_equal(s->station_acked_seq, 6);
    assert_string_equal(s->alert, "");
    hb_wire_free(&reply);
    char out[CLI_OUT_BYTES];
    cli_stations(true, out, sizeof out);
    expect_out(out, "\"station_acked_seq\": 6,");
    assert_null(strstr(out, "central holds seq"));
    expect_out(out, "\"alert\": null");
    cli_stations(false, out, sizeof out);
    assert_null(strstr(out, "alert:"));
    expect_out(out, "           6             -");  /* the claim is not above the mark */
}

/* Ops 1..3 in the copy; 4..6 acked afterwards; then the copy comes back. */
static void
restore_older_copy(hb_h_batch_t *lost)
{
    hb_h_central_start(&central);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, Q(1), "Wang Fang", HOURBANK__ROLE__VOLUNTEER, 1962, NULL);
    hb_h_batch_register(b, 2, Q(2), "Li Wei", HOURBANK__ROLE__ELDER, 1938, NULL);
    hb_h_batch_register(b, 3, Q(3), "Li Na", HOURBANK__ROLE__BOTH, 1966, NULL);
    send_ok(b, 3);
    hb_h_batch_free(&b);
    stop_central();
    char copy[NAME_BYTES + 8];
    snprintf(copy, sizeof copy, "%s_copy", dbname);
    hb_h_pg_admin("CREATE DATABASE %s TEMPLATE %s", copy, dbname);
    hb_h_central_start(&central);
    send_ok(lost, 3);
    stop_central();
    hb_h_pg_admin("DROP DATABASE %s", dbname);
    hb_h_pg_admin("ALTER DATABASE %s RENAME TO %s", copy, dbname);
    hb_h_central_start(&central);
}

static void
test_central_behind_its_station(void **state)
{
    (void) state;
    hb_h_batch_t *lost = lost_batch();
    restore_older_copy(lost);
    const char *alert = "ALERT central lost acknowledged work: station 1 had acks up to seq 6, central holds up to 3";
    int before = hb_h_log_count(central.log, "ALERT");
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    assert_int_equal(hb_h_hello(cl, 1, 6), 3);
    assert_true(hb_h_log_wait(central.log, alert, 1, 5000));
    assert_int_equal(hb_h_log_count(central.log, "ALERT"), before + 1);  /* one line per hello */
    expect_alert();
    assert_int_equal(hb_h_hello(cl, 1, 6), 3);                            /* the station's next try */
    assert_true(hb_h_log_wait(central.log, alert, 2, 5000));
    assert_int_equal(hb_h_log_count(central.log, "ALERT"), before + 2);

    send_ok(lost, 3);  /* resent (after a third hello that alerts): posted once, the alert goes by itself */
    expect_no_alert();
    send_ok(lost, 3);
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM transfer WHERE station_id = 1"), 2);
    assert_int_equal(itest_balance(pg, Q(1)), 30);
    PQfinish(pg);
    assert_int_equal(hb_h_hello(cl, 1, 6), 6);
    assert_int_equal(hb_h_log_count(central.log, "ALERT"), before + 3);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    hb_h_client_destroy(&cl);
    hb_h_batch_free(&lost);
    stop_central();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_forces_synchronous_commit),
        cmocka_unit_test(test_central_behind_its_station),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
