/* The station console's defences (issue 16), in a real Chromium and with
 * plain HTTP (tests/browser/console_security.py): CSP without
 * 'unsafe-inline', SameSite=Strict cookies, 400 for a Host not allowed,
 * 413 for an over-size body, 403 and nothing saved for a post without the
 * CSRF token or from another site (a page on 127.0.0.2 that submits
 * itself), a lockout after five wrong PINs, labels on every field, signing
 * in and recording by keyboard only, and a session that ends after
 * console_session_idle (a second console on the same station, 2 s).
 *
 * The station counts ops before and after each forged post (the request
 * outbox-ops): nothing is saved by one. Label "browser" (normal build
 * only). */
#include "hb_itest.h"
#include "hb_browser.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#define STATION 2
#define PIN "815026"
#define LOCKED_PIN "640371"
/* Ops the script saves: 2 registrations, the service typed by keyboard,
 * and the control post of the forgery check. */
#define SAVED 4

static hb_h_central_t central;
static hb_h_station_t st;
static hb_b_console_t con, quick;

static bool
on_request(const char *request, char *reply, size_t reply_size, void *user)
{
    (void) user;
    if (strcmp(request, "outbox-ops") == 0) {
        snprintf(reply, reply_size, "ok %lld", (long long) hb_h_sqlite_int(st.outbox, "SELECT count(*) FROM ops"));
        return true;
    }
    snprintf(reply, reply_size, "error: unknown request \"%s\"", request);
    return false;
}

static void
test_defences(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_console_security", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&st, &central, STATION, 0);
    /* the lock of five wrong PINs lasts 10 s here, so the test sees it end */
    hb_b_console_init_as(&quick, &st, "station-quick.yaml", "language: zh_CN\nsign_in_lockout: 10s\n"
                                                            "console_session_idle: 2s\n");
    hb_b_console_init(&con, &st, "language: zh_CN\nsign_in_lockout: 10s\n");
    hb_h_station_start(&st);
    char err[4096];
    assert_int_equal(hb_b_operator_add(&st, "zhou", PIN, NULL, err, sizeof err), 0);
    assert_int_equal(hb_b_operator_add(&st, "sun", LOCKED_PIN, NULL, err, sizeof err), 0);
    hb_b_console_start(&con);
    hb_b_console_start(&quick);

    char quick_base[96];
    snprintf(quick_base, sizeof quick_base, "quick=%s", quick.base);
    const char *args[] = {"--base", con.base, "--test", "itest_console_security", "--central-yaml", central.conf,
                          "--station", "2", "--extra", "op=zhou", "--extra", "pin=" PIN, "--extra", "locked_op=sun",
                          "--extra", "locked_pin=" LOCKED_PIN, "--extra", quick_base, NULL};
    int rc = hb_b_script("console_security.py", args, on_request, NULL);
    if (rc != 0 && rc != HB_B_SCRIPT_PROBLEMS)
        fail_msg("console_security.py failed (%d); console log %s, station log %s", rc, con.log, st.log);
    assert_int_equal(hb_h_sqlite_int(st.outbox, "SELECT count(*) FROM ops"), SAVED);

    hb_b_console_stop(&quick, SIGTERM);
    if (rc == HB_B_SCRIPT_PROBLEMS)
        fail_msg("pages with text cut or overflowing, or untranslated words: see above");
    hb_b_console_stop(&con, SIGTERM);
    hb_h_station_stop(&st, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_defences)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
