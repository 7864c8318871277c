/* An idle station notices within about ten seconds that central is gone,
 * and its status says so; when central is back, the link is up again and
 * the station has said hello on the new connection.
 *
 * Two ways to lose central: its process dies (the connection is closed at
 * once), and it stops answering while the connection stays open (SIGSTOP:
 * only ZeroMQ's heartbeats, HB_HEARTBEAT_TIMEOUT_MS, can tell). */
#include "hb_itest.h"

#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hb_clock.h"
#include "hb_limits.h"

static hb_h_central_t central;
static hb_h_station_t st;

/* Milliseconds until the station's link is (up) or is not (!up) "up";
 * -1 after limit_ms. */
static int64_t
until_link(bool up, int64_t limit_ms)
{
    hb_h_client_t *cl = hb_h_station_client(&st);
    int64_t start = hb_clock_ms(), waited = -1;
    while (hb_clock_ms() - start < limit_ms) {
        Hourbank__Envelope *q = hb_h_queue(cl, false);
        bool is_up = q && strcmp(q->queue_reply->link, "up") == 0;
        hb_wire_free(&q);
        if (is_up == up) {
            waited = hb_clock_ms() - start;
            break;
        }
        usleep(100 * 1000);
    }
    hb_h_client_destroy(&cl);
    return waited;
}

static void
test_idle_station_notices_central_gone(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_link", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&st, &central, 2, 0);
    hb_h_station_start(&st);
    assert_true(until_link(true, 10000) >= 0);
    sleep(1);  /* idle: nothing to send, nothing in flight */

    /* central killed: the connection closes, the station knows at once */
    hb_h_central_stop(&central, SIGKILL);
    int64_t ms = until_link(false, 3000);
    print_message("central killed: link not up after %lld ms\n", (long long) ms);
    assert_true(ms >= 0);
    int hellos = hb_h_log_count(central.log, "station=2 station_acked=");
    hb_h_central_start(&central);
    ms = until_link(true, 10000);
    print_message("central restarted: link up after %lld ms\n", (long long) ms);
    assert_true(ms >= 0);
    assert_true(hb_h_log_wait(central.log, "station=2 station_acked=", hellos + 1, 5000));

    /* central frozen: the connection stays open; heartbeats find out */
    sleep(1);
    assert_int_equal(kill(central.pid, SIGSTOP), 0);
    ms = until_link(false, HB_HEARTBEAT_TIMEOUT_MS + 5000);
    print_message("central frozen: link not up after %lld ms (heartbeat timeout %d ms)\n", (long long) ms,
                  HB_HEARTBEAT_TIMEOUT_MS);
    assert_int_equal(kill(central.pid, SIGCONT), 0);
    assert_true(ms >= 0);
    assert_true(until_link(true, 15000) >= 0);

    hb_h_station_stop(&st, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_idle_station_notices_central_gone)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
