/* Issue 12, item 6: `hourbank stations` shows when each station last sent
 * anything, not its last hello. A real station, idle but up, says hello
 * once; its last hello is then made two days old in the ledger (as for a
 * station connected for days). Within seconds the list (the CLI's JSON and
 * the ledger's station.last_contact, which central writes once per
 * HB_CONTACT_FLUSH_MS) shows a contact of seconds ago, and central's log
 * shows no further hello: what an idle station sends (its directory
 * refresh every HB_DIRECTORY_REFRESH_MS) is what counts. Before the fix
 * only a hello wrote last_contact: the station looked two days behind. */
#include "hb_itest.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hb_clock.h"
#include "hb_limits.h"

#define OUT_BYTES 16384
/* A contact "within seconds": the station's refresh, central's flush tick
 * and the CLI's round trip, with room for a loaded machine. */
#define RECENT_S ((HB_DIRECTORY_REFRESH_MS + HB_CONTACT_FLUSH_MS) / 1000 + 5)
#define WAIT_MS 20000
#define TWO_DAYS_S (2 * 24 * 3600)

static hb_h_central_t central;
static hb_h_station_t st;

static bool
link_up(void)
{
    hb_h_client_t *cl = hb_h_station_client(&st);
    Hourbank__Envelope *q = hb_h_queue(cl, false);
    bool up = q && strcmp(q->queue_reply->link, "up") == 0;
    hb_wire_free(&q);
    hb_h_client_destroy(&cl);
    return up;
}

/* Station 1's lag_seconds in `hourbank stations --json`; -1 when null. */
static int64_t
cli_lag(const char *admin_yaml)
{
    char bin[600], out[OUT_BYTES], err[OUT_BYTES];
    const char *argv[] = {hb_h_bin("hourbank", bin, sizeof bin), "stations", "--admin", admin_yaml, "--json", NULL};
    int rc = hb_h_run_capture(argv, central.dir, out, sizeof out, err, sizeof err);
    if (rc != 0)
        fail_msg("hourbank stations exited %d: %s", rc, err);
    const char *lag = strstr(out, "\"lag_seconds\": ");  /* station 1 comes first */
    assert_non_null(lag);
    lag += strlen("\"lag_seconds\": ");
    return strncmp(lag, "null", 4) == 0 ? -1 : strtoll(lag, NULL, 10);
}

static int64_t
db_lag(PGconn *pg)
{
    return hb_h_pg_int(pg, "SELECT coalesce(extract(epoch FROM now() - last_contact)::bigint, -1)"
                           " FROM station WHERE id = 1");
}

static void
test_idle_station_last_contact(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_last_contact", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&st, &central, 1, 0);
    hb_h_station_start(&st);
    int64_t start = hb_clock_ms();
    while (!link_up() && hb_clock_ms() - start < WAIT_MS)
        usleep(100 * 1000);
    assert_true(link_up());
    const char *hello = "station hello station=1 ";
    assert_true(hb_h_log_wait(central.log, hello, 1, WAIT_MS));
    int hellos = hb_h_log_count(central.log, hello);

    /* the hello is old now, as after days of an idle, healthy link */
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_true(hb_h_pg_ok(pg, "UPDATE station SET last_contact = now() - interval '2 days' WHERE id = 1"));
    assert_true(db_lag(pg) >= TWO_DAYS_S);
    char dir[600];
    snprintf(dir, sizeof dir, "%s", hb_h_tmpdir("hb_itest_last_contact_admin"));
    const char *admin_yaml = hb_h_admin_yaml(&central, dir);

    int64_t lag = -1;
    start = hb_clock_ms();
    while (hb_clock_ms() - start < WAIT_MS && ((lag = db_lag(pg)) < 0 || lag > RECENT_S))
        usleep(200 * 1000);
    print_message("ledger: last contact %lld s ago after %lld ms\n", (long long) lag,
                  (long long) (hb_clock_ms() - start));
    assert_true(lag >= 0 && lag <= RECENT_S);
    int64_t shown = cli_lag(admin_yaml);
    print_message("hourbank stations: lag %lld s\n", (long long) shown);
    assert_true(shown >= 0 && shown <= RECENT_S);
    assert_int_equal(hb_h_log_count(central.log, hello), hellos);  /* no hello made it so */
    PQfinish(pg);

    int rc = hb_h_station_stop(&st, SIGTERM);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
    rc = hb_h_central_stop(&central, SIGTERM);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_station_last_contact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
