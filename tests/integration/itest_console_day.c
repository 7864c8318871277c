/* The station console (issue 16) in a real Chromium: an operator's whole
 * day in Chinese and another's in English (tests/browser/console_day.py):
 * sign in, register three members, record services (who pays shown before
 * saving), find a member, gift, void with a reason, print a passbook, sign
 * out. Mid-day central stops: the banner appears, work is still saved and
 * waits in the queue, and the queue drains when central is back.
 *
 * Afterwards central's database holds every op the day saved exactly once,
 * under its operator, and nothing else from the station; the balances are
 * what the day made them. Label "browser" (normal build only). */
#include "hb_itest.h"
#include "hb_browser.h"

#include <signal.h>
#include <string.h>

#define STATION 2
#define PIN_ZH "258013"
#define PIN_EN "369024"
#define DRAIN_WAIT_S 60

static hb_h_central_t central;
static hb_h_station_t st;
static hb_b_console_t con;
static hb_b_day_t day;

static bool
on_request(const char *request, char *reply, size_t reply_size, void *user)
{
    (void) user;
    if (strcmp(request, "central stop") == 0) {
        hb_h_central_stop(&central, SIGTERM);
        return true;
    }
    if (strcmp(request, "central start") == 0) {
        hb_h_central_start(&central);
        return true;
    }
    return hb_b_day_note(&day, request, reply, reply_size);
}

static void
test_a_day_in_two_languages(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_console_day", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&st, &central, STATION, 0);
    hb_b_console_init(&con, &st, "language: zh_CN\n");
    hb_h_station_start(&st);
    char err[4096];
    assert_int_equal(hb_b_operator_add(&st, "wang", PIN_ZH, NULL, err, sizeof err), 0);
    assert_int_equal(hb_b_operator_add(&st, "li", PIN_EN, NULL, err, sizeof err), 0);
    hb_b_console_start(&con);

    const char *args[] = {"--base", con.base, "--test", "itest_console_day", "--central-yaml", central.conf,
                          "--station", "2", "--extra", "op_zh=wang", "--extra", "pin_zh=" PIN_ZH,
                          "--extra", "op_en=li", "--extra", "pin_en=" PIN_EN, NULL};
    int rc = hb_b_script("console_day.py", args, on_request, NULL);
    if (rc != 0 && rc != HB_B_SCRIPT_PROBLEMS)
        fail_msg("console_day.py failed (%d); console log %s, station log %s", rc, con.log, st.log);

    /* what the day saved, at central once each */
    hb_h_client_t *cl = hb_h_station_client(&st);
    assert_true(hb_h_wait_drained(cl, DRAIN_WAIT_S));
    hb_h_client_destroy(&cl);
    PGconn *pg = hb_h_pg(central.conninfo);
    hb_b_day_check(&day, pg, STATION);
    assert_int_equal(hb_h_sqlite_int(st.outbox, "SELECT count(*) FROM ops"), (int64_t) day.n);
    PQfinish(pg);

    if (rc == HB_B_SCRIPT_PROBLEMS)
        fail_msg("pages with text cut or overflowing, or untranslated words: see above");
    hb_b_console_stop(&con, SIGTERM);
    hb_h_station_stop(&st, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_a_day_in_two_languages)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
