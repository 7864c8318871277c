/* The station console (issue 16) in a real Chromium: every refusal of a
 * form comes back with its reason, translated, right after its field, the
 * form still filled, in Chinese and in English
 * (tests/browser/console_refusals.py); cautions are saved and central's
 * rejections show in the queue with their reasons in words, dismissable.
 *
 * Afterwards the station holds only what the script saved: no refused form
 * left an op behind. Label "browser" (normal build only). */
#include "hb_itest.h"
#include "hb_browser.h"

#include <signal.h>
#include <string.h>

#define STATION 2
#define PIN "470915"
/* A serial of station 1's range that nobody registers here. */
#define UNKNOWN_SERIAL 4242
/* Ops the script saves per language: 3 registrations, 3 services. */
#define SAVED_PER_LANGUAGE 6

static hb_h_central_t central;
static hb_h_station_t st;
static hb_b_console_t con;

static bool
on_request(const char *request, char *reply, size_t reply_size, void *user)
{
    (void) user;
    snprintf(reply, reply_size, "error: no request expected, got \"%s\"", request);
    return false;
}

static void
test_refusals_in_two_languages(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_console_refusals", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&st, &central, STATION, 0);
    hb_b_console_init(&con, &st, "language: zh_CN\n");
    hb_h_station_start(&st);
    char err[4096];
    assert_int_equal(hb_b_operator_add(&st, "zhou", PIN, NULL, err, sizeof err), 0);
    hb_b_console_start(&con);

    /* a number no one has, and the same with its check digit changed */
    char unknown[64], mistyped[64];
    snprintf(unknown, sizeof unknown, "unknown=%s", hb_h_member("QX03", UNKNOWN_SERIAL));
    snprintf(mistyped, sizeof mistyped, "mistyped=%s", hb_h_member("QX03", UNKNOWN_SERIAL));
    char *digit = mistyped + strlen(mistyped) - 1;
    *digit = *digit == '9' ? '0' : (char) (*digit + 1);

    const char *args[] = {"--base", con.base, "--test", "itest_console_refusals", "--central-yaml", central.conf,
                          "--station", "2", "--extra", "op=zhou", "--extra", "pin=" PIN, "--extra", unknown,
                          "--extra", mistyped, NULL};
    int rc = hb_b_script("console_refusals.py", args, on_request, NULL);
    if (rc != 0 && rc != HB_B_SCRIPT_PROBLEMS)
        fail_msg("console_refusals.py failed (%d); console log %s, station log %s", rc, con.log, st.log);
    assert_int_equal(hb_h_sqlite_int(st.outbox, "SELECT count(*) FROM ops"), 2 * SAVED_PER_LANGUAGE);

    if (rc == HB_B_SCRIPT_PROBLEMS)
        fail_msg("pages with text cut or overflowing, or untranslated words: see above");
    hb_b_console_stop(&con, SIGTERM);
    hb_h_station_stop(&st, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_refusals_in_two_languages)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
