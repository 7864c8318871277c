/* test_config_console.c - station.yaml's keys for operators signing in and
 * the console (issue 16): defaults when absent, every key set, and each
 * bad value with its file:line:column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_config.h"

/* A valid station.yaml without any of the new keys (8 lines). */
#define BASE                                                   \
    "station_id: 7\n"                                          \
    "community: QX03\n"                                        \
    "central_endpoint: \"tcp://10.0.0.5:7400\"\n"              \
    "central_public_key: \"??u<Ak*(@/71E+3OTPx&v4RAexo9LngtS?*Ma/R5\"\n" \
    "public_key_file: keys/station.public\n"                   \
    "secret_key_file: /etc/hourbank/station.secret\n"          \
    "outbox_path: outbox.sqlite\n"                             \
    "ipc_endpoint: \"ipc:///run/hourbank/station.sock\"\n"

static char g_path[sizeof "/tmp/hb_test_config_console_XXXXXX"];
static hb_config_errors_t g_errors;

/* BASE followed by extra; caller owns the result (NULL on errors). */
static hb_station_conf_t *
load(const char *extra)
{
    strcpy(g_path, "/tmp/hb_test_config_console_XXXXXX");
    int fd = mkstemp(g_path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "%s%s", BASE, extra);
    fclose(f);
    memset(&g_errors, 0, sizeof g_errors);
    hb_station_conf_t *conf = hb_station_conf_load(g_path, &g_errors);
    unlink(g_path);
    return conf;
}

/* extra is refused with exactly this one error ("<path>:" + suffix). */
static void
refused(const char *extra, const char *suffix)
{
    hb_station_conf_t *conf = load(extra);
    if (conf)
        hb_station_conf_destroy(&conf);
    assert_null(conf);
    char want[HB_PATH_BYTES_MAX];
    snprintf(want, sizeof want, "%s:%s", g_path, suffix);
    if (g_errors.count != 1)
        hb_config_errors_print(&g_errors, stderr);
    assert_int_equal(g_errors.count, 1);
    assert_string_equal(g_errors.text[0], want);
}

static void
test_defaults(void **state)
{
    (void) state;
    hb_station_conf_t *conf = load("");
    assert_non_null(conf);
    assert_string_equal(conf->language, "zh_CN");
    assert_int_equal(conf->sign_in_lockout_seconds, 60);
    assert_string_equal(conf->console_listen, "127.0.0.1:8080");
    assert_int_equal(conf->console_allowed_host_count, 3);
    assert_string_equal(conf->console_allowed_hosts[0], "localhost");
    assert_string_equal(conf->console_allowed_hosts[1], "127.0.0.1");
    assert_string_equal(conf->console_allowed_hosts[2], "[::1]");
    assert_string_equal(conf->console_allowed_hosts[3], "");
    assert_int_equal(conf->console_session_idle_seconds, 30 * 60);
    assert_int_equal(conf->console_session_max_seconds, 12 * 3600);
    hb_station_conf_destroy(&conf);
}

static void
test_every_key_set(void **state)
{
    (void) state;
    hb_station_conf_t *conf = load("language: en\n"
                                   "sign_in_lockout: 2s\n"
                                   "console_listen: \"[::1]:9090\"\n"
                                   "console_allowed_hosts: [station.local, 192.168.1.20]\n"
                                   "console_session_idle: 1m30s\n"
                                   "console_session_max: 8h\n");
    if (!conf)
        hb_config_errors_print(&g_errors, stderr);
    assert_non_null(conf);
    assert_string_equal(conf->language, "en");
    assert_int_equal(conf->sign_in_lockout_seconds, 2);
    assert_string_equal(conf->console_listen, "[::1]:9090");
    assert_int_equal(conf->console_allowed_host_count, 2);
    assert_string_equal(conf->console_allowed_hosts[0], "station.local");
    assert_string_equal(conf->console_allowed_hosts[1], "192.168.1.20");
    assert_string_equal(conf->console_allowed_hosts[2], "");
    assert_int_equal(conf->console_session_idle_seconds, 90);
    assert_int_equal(conf->console_session_max_seconds, 8 * 3600);
    hb_station_conf_destroy(&conf);
}

static void
test_bad_values(void **state)
{
    (void) state;
    refused("language: fr\n", "9:11: \"language\" must be \"zh_CN\" or \"en\", got \"fr\"");
    refused("sign_in_lockout: 0s\n", "9:18: \"sign_in_lockout\" must be between 1s and 1h, got \"0s\"");
    refused("sign_in_lockout: 2h\n", "9:18: \"sign_in_lockout\" must be between 1s and 1h, got \"2h\"");
    refused("sign_in_lockout: 60\n",
            "9:18: \"sign_in_lockout\" must be a duration such as \"90m\" or \"1500h\", got \"60\" "
            "(add a unit: m, h or d)");
    static const char listen_reason[] =
        "must be an IP address and a port such as \"127.0.0.1:8080\" or \"[::1]:8080\"";
    static const char *const bad_listens[] = {"localhost:8080", "127.0.0.1", "127.0.0.1:0",
                                              "127.0.0.1:65536", "::1:8080", "[::1]:", "127.0.0.256:80",
                                              "[127.0.0.1]:80", "127.0.0.1:+80"};
    for (size_t i = 0; i < sizeof bad_listens / sizeof bad_listens[0]; i++) {
        char extra[128], want[256];
        snprintf(extra, sizeof extra, "console_listen: \"%s\"\n", bad_listens[i]);
        snprintf(want, sizeof want, "9:17: \"console_listen\" %s, got \"%s\"", listen_reason, bad_listens[i]);
        refused(extra, want);
    }
    refused("console_allowed_hosts: [localhost, \"evil.example:80\"]\n",
            "9:36: \"console_allowed_hosts[1]\" must be a host name such as \"localhost\", an IPv4 "
            "address or an IPv6 address in brackets, got \"evil.example:80\"");
    refused("console_allowed_hosts: []\n",
            "9:24: \"console_allowed_hosts\" must name at least one host, such as \"localhost\"");
    refused("console_allowed_hosts: [a, b, c, d, e, f, g, h, i]\n",
            "9:49: \"console_allowed_hosts\" has more than 8 entries");
    refused("console_session_idle: 0s\n",
            "9:23: \"console_session_idle\" must be between 1s and 7d, got \"0s\"");
    refused("console_session_idle: 2h\nconsole_session_max: 1h\n",
            "9:23: \"console_session_idle\" must not be longer than \"console_session_max\", got 7200 s and 3600 s");
    /* the default idle (30 min) is longer than this max */
    refused("console_session_max: 10m\n",
            "1:1: \"console_session_idle\" must not be longer than \"console_session_max\", got 1800 s and 600 s");
}

static void
test_seconds_durations(void **state)
{
    (void) state;
    assert_int_equal(hb_config_parse_duration_seconds("45s"), 45);
    assert_int_equal(hb_config_parse_duration_seconds("1m30s"), 90);
    assert_int_equal(hb_config_parse_duration_seconds("1h"), 3600);
    assert_int_equal(hb_config_parse_duration_seconds("1d1s"), 86401);
    assert_int_equal(hb_config_parse_duration_seconds("30s1m"), -1);
    assert_int_equal(hb_config_parse_duration_seconds("45"), -1);
    assert_int_equal(hb_config_parse_duration("45s"), -1);  /* minute keys stay minutes */
}

/* reconcile_interval (issue 17): seconds between a station's own
 * reconcile runs when idle; a duration, seconds accepted. */
static void
test_reconcile_interval(void **state)
{
    (void) state;
    hb_station_conf_t *conf = load("");
    assert_non_null(conf);
    assert_int_equal(conf->reconcile_interval_seconds, HB_RECONCILE_INTERVAL_DEFAULT);
    assert_int_equal(conf->reconcile_interval_seconds, 3600);
    hb_station_conf_destroy(&conf);
    conf = load("reconcile_interval: 2s\n");
    assert_non_null(conf);
    assert_int_equal(conf->reconcile_interval_seconds, 2);
    hb_station_conf_destroy(&conf);
    conf = load("reconcile_interval: 1d12h\n");
    assert_non_null(conf);
    assert_int_equal(conf->reconcile_interval_seconds, 36 * 3600);
    hb_station_conf_destroy(&conf);
    refused("reconcile_interval: 0s\n", "9:21: \"reconcile_interval\" must be between 1s and 30d, got \"0s\"");
    refused("reconcile_interval: 31d\n", "9:21: \"reconcile_interval\" must be between 1s and 30d, got \"31d\"");
    refused("reconcile_interval: 60\n",
            "9:21: \"reconcile_interval\" must be a duration such as \"90m\" or \"1500h\", got \"60\" "
            "(add a unit: m, h or d)");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_key_set),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_seconds_durations),
        cmocka_unit_test(test_reconcile_interval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
