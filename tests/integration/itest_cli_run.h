/* itest_cli_run.h - helpers of the tests that run the real `hourbank`
 * binary against a real hourbank-central and hourbank-station
 * (itest_cli_small_things.c, itest_cli_small_things2.c,
 * itest_cli_station_rules.c): the central and station under test, a
 * program run with its exit code, stdout and stderr captured, the
 * languages, the assertions on what was printed, members registered
 * through the CLI. Included once per test binary, so its state is static
 * here. Test code. */
#ifndef ITEST_CLI_RUN_H
#define ITEST_CLI_RUN_H

#include "hb_itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hb_memberno.h"

#define OUT_BYTES (64 * 1024)
#define ERR_BYTES 8192
#define WORDS_MAX 32
#define SYNC_WAIT_S 30
#define TM_YEAR_BASE 1900
#define ELDER_AGE_YEARS 90  /* GULOU: the guarantee pays personal-care for 80+ */

static hb_h_central_t central;
static hb_h_station_t station;
static char run_dir[512];
static char vol[32], young[32], eldest[32];

/* the last run: its exit code, stdout and stderr */
static int g_rc;
static char g_out[OUT_BYTES], g_err[ERR_BYTES];

static const char *const langs[] = {"en_US.UTF-8", "zh_CN.UTF-8"};
#define LANG_COUNT (sizeof langs / sizeof langs[0])

static inline void
use_lang(const char *lang)
{
    unsetenv("LANGUAGE");
    unsetenv("LC_ALL");
    unsetenv("LC_MESSAGES");
    unsetenv("HOURBANK_LOCALEDIR");  /* the build tree's catalogs, found beside the binary */
    setenv("LANG", lang, 1);
}

/* Runs program (a binary of the build tree) with words, then extra (NULL:
 * none), in run_dir, into g_rc, g_out and g_err. */
static inline void
run_bin(const char *program, const char *const *words, const char *const *extra)
{
    char bin[600];
    const char *argv[WORDS_MAX + 1];
    int argc = 0;
    argv[argc++] = hb_h_bin(program, bin, sizeof bin);
    for (; *words && argc < WORDS_MAX - 2; words++)
        argv[argc++] = *words;
    for (; extra && *extra && argc < WORDS_MAX; extra++)
        argv[argc++] = *extra;
    argv[argc] = NULL;
    g_rc = hb_h_run_capture(argv, run_dir, g_out, sizeof g_out, g_err, sizeof g_err);
}

/* hourbank at this test's station */
#define S(...) run_bin("hourbank", (const char *const[]){__VA_ARGS__, NULL}, (const char *const[]){"-c", station.conf, NULL})

static inline void
expect_ok(void)
{
    if (g_rc != 0)
        fail_msg("exit %d\nstdout: %s\nstderr: %s", g_rc, g_out, g_err);
    assert_string_equal(g_err, "");
}

static inline void
has(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("lacks \"%s\":\n%s", needle, text);
}

/* Registers a member at the station (birth_year NULL: none given), its
 * number into out. */
static inline void
registered(const char *name, const char *role, const char *birth_year, char *out, size_t size)
{
    if (birth_year)
        S("member", "add", "--name", name, "--role", role, "--birth-year", birth_year);
    else
        S("member", "add", "--name", name, "--role", role);
    if (g_rc != 0)
        fail_msg("member add: exit %d\n%s", g_rc, g_err);
    size_t n = strcspn(g_out, " ");
    assert_true(n < size);
    memcpy(out, g_out, n);
    out[n] = '\0';
    assert_int_equal(hb_memberno_parse(out, NULL, NULL), HB_RESULT_OK);
}

static inline void
wait_drained(void)
{
    hb_h_client_t *cl = hb_h_station_client(&station);
    assert_true(hb_h_wait_drained(cl, SYNC_WAIT_S));
    hb_h_client_destroy(&cl);
}

/* The seq of "saved as 1:N (pending sync)" on the first line. */
static inline unsigned long long
saved_seq(void)
{
    expect_ok();
    unsigned long long seq = 0;
    if (sscanf(g_out, "saved as 1:%llu", &seq) != 1 && sscanf(g_out, "\xE5\xB7\xB2\xE4\xBF\x9D\xE5\xAD\x98\xE4\xB8\xBA 1:%llu", &seq) != 1)
        fail_msg("no \"saved as 1:N\":\n%s", g_out);
    return seq;
}

/* "Name (NUMBER)" as the CLI writes it in language l. */
static inline const char *
named(size_t l, const char *name, const char *no, char *buf, size_t size)
{
    snprintf(buf, size, l == 1 ? "%s\xEF\xBC\x88%s\xEF\xBC\x89" : "%s (%s)", name, no);  /* （ ） */
    return buf;
}

/* Starts central `name` (a guarantee budget of `budget`, NULL: the
 * harness's default) and station 1, in English (TZ UTC), and registers
 * Zhang Wei (vol, a volunteer) and Li Na (young, an elder); with_eldest:
 * also Wang Lao (eldest, an elder of ELDER_AGE_YEARS) and waits until the
 * station has sent them all to central. */
static inline void
cli_start(const char *name, const char *budget, bool with_eldest)
{
    setenv("TZ", "UTC", 1);
    snprintf(run_dir, sizeof run_dir, "%s", hb_h_tmpdir(name));
    hb_h_central_init(&central, name, NULL, NULL, budget);
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, 1, 0);
    hb_h_station_start(&station);
    use_lang("en_US.UTF-8");
    if (!with_eldest) {
        registered("Zhang Wei", "volunteer", NULL, vol, sizeof vol);
        registered("Li Na", "elder", NULL, young, sizeof young);
        return;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char year[16];
    snprintf(year, sizeof year, "%d", tm.tm_year + TM_YEAR_BASE - ELDER_AGE_YEARS);
    registered("Zhang Wei", "volunteer", NULL, vol, sizeof vol);
    registered("Li Na", "elder", NULL, young, sizeof young);
    registered("Wang Lao", "elder", year, eldest, sizeof eldest);
    wait_drained();
}

static inline int
cli_teardown(void **state)
{
    (void) state;
    if (station.pid)
        hb_h_station_stop(&station, SIGTERM);
    if (central.pid)
        hb_h_central_stop(&central, SIGTERM);
    return 0;
}

#endif
