/* test_config.c - the configuration loader: the example files, every class
 * of error with its exact file:line:column, bounds, and durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_config.h"

#define KEY1 "&0@+1j/eF[}.s%M5V(Wcher)8royWP}ElvO:?zr["
#define KEY2 "aqT)3dHYZ?i1#fM[$/6^pZD?HcA/%uQ(&2oLlOGd"
#define CENTRAL_KEY "??u<Ak*(@/71E+3OTPx&v4RAexo9LngtS?*Ma/R5"

/* A small valid central.yaml; tests replace single lines (1-based). */
static const char *const central_lines[] = {
    /*  1 */ "listen: \"tcp://127.0.0.1:7400\"",
    /*  2 */ "database: \"dbname=hourbank\"",
    /*  3 */ "secret_key_file: \"keys/central.secret\"",
    /*  4 */ "guarantee_budget: \"100000h\"",
    /*  5 */ "categories:",
    /*  6 */ "  - name: companionship",
    /*  7 */ "  - name: personal-care",
    /*  8 */ "districts:",
    /*  9 */ "  - code: GULOU",
    /* 10 */ "    name: Gulou",
    /* 11 */ "    payer_rules:",
    /* 12 */ "      - category: personal-care",
    /* 13 */ "        payer: guarantee",
    /* 14 */ "        min_recipient_age: 80",
    /* 15 */ "    communities:",
    /* 16 */ "      - code: GL01",
    /* 17 */ "        name: Ninghai Road",
    /* 18 */ "        stations:",
    /* 19 */ "          - id: 1",
    /* 20 */ "            name: Ninghai Road Station",
    /* 21 */ "            public_key: \"" KEY1 "\"",
    /* 22 */ "  - code: QINHUAI",
    /* 23 */ "    name: Qinhuai",
    /* 24 */ "    communities:",
    /* 25 */ "      - code: QX03",
    /* 26 */ "        name: Fuzimiao",
    /* 27 */ "        stations:",
    /* 28 */ "          - id: 2",
    /* 29 */ "            name: Fuzimiao Station",
    /* 30 */ "            public_key: \"" KEY2 "\"",
    /* 31 */ "time_zone: \"Asia/Shanghai\"",
};
#define CENTRAL_LINE_COUNT (sizeof central_lines / sizeof central_lines[0])

static const char *const station_lines[] = {
    /*  1 */ "station_id: 7",
    /*  2 */ "community: QX03",
    /*  3 */ "central_endpoint: \"tcp://10.0.0.5:7400\"",
    /*  4 */ "central_public_key: \"" CENTRAL_KEY "\"",
    /*  5 */ "public_key_file: keys/station.public",
    /*  6 */ "secret_key_file: /etc/hourbank/station.secret",
    /*  7 */ "outbox_path: outbox.sqlite",
    /*  8 */ "ipc_endpoint: \"ipc:///run/hourbank/station.sock\"",
};
#define STATION_LINE_COUNT (sizeof station_lines / sizeof station_lines[0])

static char g_path[sizeof "/tmp/hb_test_config_XXXXXX"];
static hb_config_errors_t g_errors;

/* lines with line `replace_at` (1-based; 0 = none) replaced by `with`
 * (NULL: the line is dropped; may hold several lines). Caller frees. */
static char *
text_with(const char *const *lines, size_t count, size_t replace_at, const char *with)
{
    size_t size = 1;
    for (size_t i = 0; i < count; i++)
        size += strlen(lines[i]) + 1;
    if (with)
        size += strlen(with) + 1;
    char *text = calloc(1, size);
    assert_non_null(text);
    for (size_t i = 0; i < count; i++) {
        const char *line = i + 1 == replace_at ? with : lines[i];
        if (line) {
            strcat(text, line);
            strcat(text, "\n");
        }
    }
    return text;
}

static void
write_temp(const char *text, size_t len)
{
    strcpy(g_path, "/tmp/hb_test_config_XXXXXX");
    int fd = mkstemp(g_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t) len);
    close(fd);
}

static hb_central_conf_t *
load_central_text(const char *text)
{
    write_temp(text, strlen(text));
    hb_central_conf_t *conf = hb_central_conf_load(g_path, &g_errors);
    unlink(g_path);
    return conf;
}

/* Loads the base central.yaml with one line replaced; caller owns the result. */
static hb_central_conf_t *
load_central_replacing(size_t line, const char *with)
{
    char *text = text_with(central_lines, CENTRAL_LINE_COUNT, line, with);
    hb_central_conf_t *conf = load_central_text(text);
    free(text);
    return conf;
}

/* Loads the base central.yaml with one line replaced; expects failure. */
static void
central_fails(size_t line, const char *with)
{
    char *text = text_with(central_lines, CENTRAL_LINE_COUNT, line, with);
    hb_central_conf_t *conf = load_central_text(text);
    free(text);
    if (conf)
        hb_central_conf_destroy(&conf);
    assert_null(conf);
}

static hb_station_conf_t *
load_station_text(const char *text)
{
    write_temp(text, strlen(text));
    hb_station_conf_t *conf = hb_station_conf_load(g_path, &g_errors);
    unlink(g_path);
    return conf;
}

static void
station_fails(size_t line, const char *with)
{
    char *text = text_with(station_lines, STATION_LINE_COUNT, line, with);
    hb_station_conf_t *conf = load_station_text(text);
    free(text);
    if (conf)
        hb_station_conf_destroy(&conf);
    assert_null(conf);
}

/* Asserts the errors are exactly these, each "<g_path>:" + suffix. */
static void
expect_errors(int count, ...)
{
    va_list ap;
    va_start(ap, count);
    for (int i = 0; i < count && i < g_errors.count; i++) {
        char want[HB_PATH_BYTES_MAX];
        snprintf(want, sizeof want, "%s:%s", g_path, va_arg(ap, const char *));
        assert_string_equal(g_errors.text[i], want);
    }
    va_end(ap);
    if (g_errors.count != count)
        hb_config_errors_print(&g_errors, stderr);
    assert_int_equal(g_errors.count, count);
    assert_int_equal(g_errors.dropped, 0);
}

static void
expect_error(const char *suffix)
{
    expect_errors(1, suffix);
}

static const char *
source_file(char *buf, size_t size, const char *name)
{
    const char *dir = getenv("HB_SOURCE_DIR");
    assert_non_null(dir);
    snprintf(buf, size, "%s/config/%s", dir, name);
    return buf;
}

/* ---- files that load ---- */

static void
test_central_example_loads(void **state)
{
    (void) state;
    char path[PATH_MAX], dir[PATH_MAX], want[PATH_MAX + 64];
    hb_central_conf_t *conf = hb_central_conf_load(source_file(path, sizeof path, "central.example.yaml"), &g_errors);
    if (!conf)
        hb_config_errors_print(&g_errors, stderr);
    assert_non_null(conf);
    assert_int_equal(g_errors.count, 0);
    assert_string_equal(conf->listen, "tcp://0.0.0.0:7400");
    assert_true(realpath(source_file(path, sizeof path, ""), dir) != NULL);
    snprintf(want, sizeof want, "%s/keys/central.secret", dir);
    assert_string_equal(conf->secret_key_file, want);
    assert_string_equal(conf->log_level, "info");
    assert_int_equal(conf->clock_skew_seconds, 10 * 60);
    assert_int_equal(conf->max_record_age_seconds, 90 * 24 * 3600);
    assert_int_equal(conf->guarantee_budget_minutes, 100000 * 60);
    assert_int_equal(conf->admin_key_count, 1);
    assert_int_equal(strlen(conf->admin_public_keys[0]), 40);
    assert_int_equal(conf->category_count, 6);
    assert_non_null(hb_central_conf_category(conf, "medical-escort"));
    assert_null(hb_central_conf_category(conf, "dancing"));
    assert_int_equal(conf->district_count, 2);

    const hb_district_conf_t *gulou = &conf->districts[0];
    assert_string_equal(gulou->code, "GULOU");
    assert_int_equal(gulou->floor_minutes, 0);
    assert_int_equal(gulou->cap_minutes, 1500 * 60);
    assert_int_equal(gulou->overflow, HB_OVERFLOW_DONATE);
    assert_int_equal(gulou->daily_limit_minutes, 8 * 60);
    assert_int_equal(gulou->gifts, HB_GIFT_FAMILY);
    assert_int_equal(gulou->payer_rule_count, 2);
    assert_string_equal(gulou->payer_rules[0].category, "personal-care");
    assert_int_equal(gulou->payer_rules[0].payer, HB_PAYER_GUARANTEE);
    assert_int_equal(gulou->payer_rules[0].min_recipient_age, 80);
    assert_int_equal(gulou->community_count, 2);
    assert_int_equal(gulou->communities[1].station_count, 0);

    const hb_district_conf_t *qinhuai = &conf->districts[1];
    assert_int_equal(qinhuai->cap_minutes, 750 * 60);
    assert_int_equal(qinhuai->daily_limit_minutes, 12 * 60);   /* default */
    assert_int_equal(qinhuai->gifts, HB_GIFT_ANY);
    assert_string_equal(qinhuai->payer_rules[0].category, "*");
    assert_ptr_equal(hb_central_conf_district_of(conf, "QX03"), qinhuai);
    assert_ptr_equal(hb_central_conf_district_of(conf, "GL02"), gulou);
    assert_null(hb_central_conf_district_of(conf, "ZZ99"));

    const hb_community_conf_t *community = NULL;
    const hb_station_entry_t *station = hb_central_conf_station(conf, 2, &community);
    assert_non_null(station);
    assert_string_equal(community->code, "QX03");
    assert_string_equal(station->name, "Fuzimiao Service Station");
    assert_null(hb_central_conf_station(conf, 3, &community));

    hb_central_conf_destroy(&conf);
    assert_null(conf);
    hb_central_conf_destroy(&conf);   /* destroying NULL is allowed */
}

static void
test_station_example_loads(void **state)
{
    (void) state;
    char path[PATH_MAX], dir[PATH_MAX], want[PATH_MAX + 64];
    hb_station_conf_t *conf = hb_station_conf_load(source_file(path, sizeof path, "station.example.yaml"), &g_errors);
    if (!conf)
        hb_config_errors_print(&g_errors, stderr);
    assert_non_null(conf);
    assert_int_equal(g_errors.count, 0);
    assert_int_equal(conf->station_id, 1);
    assert_string_equal(conf->community, "GL01");
    assert_string_equal(conf->central_public_key, CENTRAL_KEY);
    assert_true(realpath(source_file(path, sizeof path, ""), dir) != NULL);
    snprintf(want, sizeof want, "%s/keys/station.secret", dir);
    assert_string_equal(conf->secret_key_file, want);
    assert_string_equal(conf->outbox_path, "/var/lib/hourbank/outbox.sqlite");
    assert_string_equal(conf->ipc_endpoint, "ipc:///run/hourbank/station.sock");
    assert_int_equal(conf->outbox_max_bytes, 256 * 1024 * 1024);
    assert_int_equal(conf->retention_days, 400);
    assert_int_equal(conf->batch_ops, 256);
    hb_station_conf_destroy(&conf);
    assert_null(conf);
}

static void
test_defaults_and_relative_paths(void **state)
{
    (void) state;
    char *text = text_with(central_lines, CENTRAL_LINE_COUNT, 0, NULL);
    hb_central_conf_t *conf = load_central_text(text);
    free(text);
    assert_non_null(conf);
    char dir[PATH_MAX], want[PATH_MAX + 64];
    assert_true(realpath("/tmp", dir) != NULL);
    snprintf(want, sizeof want, "%s/keys/central.secret", dir);
    assert_string_equal(conf->secret_key_file, want);
    assert_string_equal(conf->log_level, "info");
    assert_int_equal(conf->clock_skew_seconds, HB_CLOCK_SKEW_S_DEFAULT);
    assert_int_equal(conf->max_record_age_seconds, HB_RECORD_AGE_S_DEFAULT);
    assert_int_equal(conf->admin_key_count, 0);
    assert_string_equal(conf->query_database, "");  /* queries use "database" */
    assert_int_equal(conf->query_connect_timeout_seconds, HB_QUERY_CONNECT_TIMEOUT_S_DEFAULT);
    assert_int_equal(conf->query_statement_timeout_seconds, HB_QUERY_STATEMENT_TIMEOUT_S_DEFAULT);
    const hb_district_conf_t *d = &conf->districts[0];
    assert_int_equal(d->floor_minutes, 0);
    assert_int_equal(d->cap_minutes, 1500 * 60);
    assert_int_equal(d->overflow, HB_OVERFLOW_REJECT);
    assert_int_equal(d->daily_limit_minutes, 12 * 60);
    assert_int_equal(d->gifts, HB_GIFT_FAMILY);
    assert_int_equal(conf->districts[1].payer_rule_count, 0);
    hb_central_conf_destroy(&conf);

    text = text_with(station_lines, STATION_LINE_COUNT, 0, NULL);
    hb_station_conf_t *station = load_station_text(text);
    free(text);
    assert_non_null(station);
    snprintf(want, sizeof want, "%s/keys/station.public", dir);
    assert_string_equal(station->public_key_file, want);
    assert_string_equal(station->secret_key_file, "/etc/hourbank/station.secret");
    snprintf(want, sizeof want, "%s/outbox.sqlite", dir);
    assert_string_equal(station->outbox_path, want);
    assert_string_equal(station->log_level, "info");
    assert_int_equal(station->outbox_max_bytes, HB_OUTBOX_BYTES_DEFAULT);
    assert_int_equal(station->retention_days, HB_RETENTION_DAYS_DEFAULT);
    assert_int_equal(station->batch_ops, HB_BATCH_OPS_MAX);
    hb_station_conf_destroy(&station);
}

/* Payer rules may come before the catalogue in the file. */
static void
test_catalogue_after_districts(void **state)
{
    (void) state;
    hb_central_conf_t *conf = load_central_text(
        "districts:\n"
        "  - code: GULOU\n"
        "    name: Gulou\n"
        "    payer_rules: [{category: shopping, payer: guarantee}]\n"
        "    communities: [{code: GL01, name: One, stations: []}]\n"
        "categories: [{name: shopping}]\n"
        "listen: \"ipc:///tmp/central.sock\"\n"
        "database: \"dbname=x\"\n"
        "secret_key_file: /k\n"
        "guarantee_budget: 0m\n"
        "time_zone: UTC\n");
    assert_non_null(conf);
    assert_int_equal(conf->districts[0].payer_rules[0].min_recipient_age, 0);
    hb_central_conf_destroy(&conf);
}

/* ---- each class of error, with its position ---- */

static void
test_unknown_key(void **state)
{
    (void) state;
    central_fails(10, "    name: Gulou\n    lissten: x");
    expect_error("11:5: unknown key \"lissten\" in districts[0]");
    central_fails(1, "lissten: \"tcp://127.0.0.1:7400\"");
    expect_errors(2, "1:1: unknown key \"lissten\"", "1:1: missing required key \"listen\"");
    central_fails(1, "listen: \"tcp://127.0.0.1:7400\"\n'a\"b\\c': 1");
    expect_error("2:1: unknown key \"a\\\"b\\\\c\"");   /* quoted back escaped */
    central_fails(20, "            name: Station\n            colour: red");
    expect_error("21:13: unknown key \"colour\" in districts[0].communities[0].stations[0]");
}

static void
test_wrong_type(void **state)
{
    (void) state;
    central_fails(1, "listen:\n  host: localhost");
    expect_error("2:3: \"listen\" must be a string, got a mapping");
    central_fails(19, "          - id: abc");
    expect_error("19:17: \"id\" must be an integer, got \"abc\"");
    central_fails(19, "          - id: 1.5");
    expect_error("19:17: \"id\" must be an integer, got \"1.5\"");
    central_fails(19, "          - id: \" 1\"");
    expect_error("19:17: \"id\" must be an integer, got \" 1\"");
    central_fails(19, "          - id: [1]");
    expect_error("19:17: \"id\" must be an integer, got a list");
    central_fails(23, "    name: Qinhuai\n    payer_rules: none");
    expect_error("24:18: \"payer_rules\" must be a list, got \"none\"");
    central_fails(23, "    name: Qinhuai\n    payer_rules:");
    expect_error("24:17: \"payer_rules\" must be a list, got an empty value");
    central_fails(4, "guarantee_budget: 1h\nadmin_public_keys: {a: b}");
    expect_error("5:20: \"admin_public_keys\" must be a list, got a mapping");
    central_fails(6, "  - companionship");
    expect_error("6:5: categories[0] must be a mapping, got \"companionship\"");
    central_fails(10, "    name:");
    expect_error("10:10: \"name\" has no value");
    central_fails(10, "    name: \"Gu\\tlou\"");
    expect_error("10:11: \"name\" must not contain control characters");
}

static void
test_out_of_range(void **state)
{
    (void) state;
    central_fails(19, "          - id: 0");
    expect_error("19:17: \"id\" must be between 1 and 2147483647, got \"0\"");
    central_fails(19, "          - id: 99999999999999999999");
    expect_error("19:17: \"id\" must be between 1 and 2147483647, got \"99999999999999999999\"");
    central_fails(14, "        min_recipient_age: 200");
    expect_error("14:28: \"min_recipient_age\" must be between 0 and 150, got \"200\"");
    central_fails(10, "    name: Gulou\n    floor: 5h");
    expect_error("11:12: \"floor\" must be between -100000h and 0m, got \"5h\"");
    central_fails(10, "    name: Gulou\n    cap: 0h");
    expect_error("11:10: \"cap\" must be between 1m and 100000h, got \"0h\"");
    central_fails(10, "    name: Gulou\n    daily_limit: 25h");
    expect_error("11:18: \"daily_limit\" must be between 1m and 1d, got \"25h\"");
    central_fails(4, "guarantee_budget: \"-5h\"\nclock_skew: 2d");
    expect_errors(2, "4:19: \"guarantee_budget\" must be between 0m and 100000h, got \"-5h\"",
                  "5:13: \"clock_skew\" must be between 0m and 1d, got \"2d\"");
    central_fails(10, "    name: \"" "0123456789012345678901234567890123456789012345678901234567890123"
                      "0123456789012345678901234567890123456789012345678901234567890123"
                      "012345678901234567890123456789012\"");
    expect_error("10:11: \"name\" must be 1 to 160 bytes long, got 161 bytes");
}

static void
test_missing_required_key(void **state)
{
    (void) state;
    central_fails(2, NULL);
    expect_error("1:1: missing required key \"database\"");
    central_fails(20, NULL);
    expect_error("19:13: missing required key \"name\" in districts[0].communities[0].stations[0]");
    central_fails(5, "categories: []\nunused:");
    expect_errors(2, "5:13: \"categories\" must have at least 1 entry",
                  "6:1: unknown key \"unused\"");
}

static void
test_duplicate_key(void **state)
{
    (void) state;
    central_fails(1, "listen: \"tcp://127.0.0.1:7400\"\nlisten: \"tcp://127.0.0.1:7401\"");
    expect_error("2:1: duplicate key \"listen\", first set at line 1");
    central_fails(10, "    name: Gulou\n    name: Gulou Again");
    expect_error("11:5: duplicate key \"name\" in districts[0], first set at line 10");
    central_fails(6, "  - name: personal-care");
    expect_error("7:11: duplicate category \"personal-care\"");
}

static void
test_bad_duration(void **state)
{
    (void) state;
    central_fails(4, "guarantee_budget: lots");
    expect_error("4:19: \"guarantee_budget\" must be a duration such as \"90m\" or \"1500h\", got \"lots\"");
    central_fails(4, "guarantee_budget: 100000");
    expect_error("4:19: \"guarantee_budget\" must be a duration such as \"90m\" or \"1500h\", "
                 "got \"100000\" (add a unit: m, h or d)");
    central_fails(4, "guarantee_budget: 1.5h");
    expect_error("4:19: \"guarantee_budget\" must be a duration such as \"90m\" or \"1500h\", got \"1.5h\"");
    central_fails(4, "guarantee_budget: \"1h 30m\"");
    expect_error("4:19: \"guarantee_budget\" must be a duration such as \"90m\" or \"1500h\", got \"1h 30m\"");
}

static void
test_bad_enum(void **state)
{
    (void) state;
    central_fails(13, "        payer: guarante");
    expect_error("13:16: \"payer\" must be \"recipient\" or \"guarantee\", got \"guarante\"");
    central_fails(10, "    name: Gulou\n    gifts: all\n    overflow: Donate");
    expect_errors(2, "11:12: \"gifts\" must be \"none\", \"family\" or \"any\", got \"all\"",
                  "12:15: \"overflow\" must be \"reject\" or \"donate\", got \"Donate\"");
    central_fails(2, "database: x\nlog_level: verbose");
    expect_error("3:12: \"log_level\" must be \"error\", \"warn\", \"info\" or \"debug\", got \"verbose\"");
}

static void
test_bad_z85_key(void **state)
{
    (void) state;
    central_fails(21, "            public_key: \"abc\"");
    expect_error("21:25: \"public_key\" must be a 40-character Z85 curve key, got \"abc\"");
    /* right length, a character outside the alphabet (",") */
    central_fails(21, "            public_key: \"&0@+1j/eF[}.s%M5V(Wcher)8royWP}ElvO:?zr,\"");
    expect_error("21:25: \"public_key\" must be a 40-character Z85 curve key, "
                 "got \"&0@+1j/eF[}.s%M5V(Wcher)8royWP}ElvO:?zr,\"");
    /* right alphabet, but "#####" encodes more than 32 bits */
    central_fails(21, "            public_key: \"#####j/eF[}.s%M5V(Wcher)8royWP}ElvO:?zr[\"");
    expect_error("21:25: \"public_key\" must be a 40-character Z85 curve key, "
                 "got \"#####j/eF[}.s%M5V(Wcher)8royWP}ElvO:?zr[\"");
    /* long values are cut when quoted back */
    central_fails(30, "            public_key: \"" KEY2 KEY2 "\"");
    expect_error("30:25: \"public_key\" must be a 40-character Z85 curve key, got \"" KEY2
                 "aqT)3dHYZ?i1#fM[$/6^pZD?...\"");
    central_fails(30, "            public_key: \"" KEY1 "\"");
    expect_error("30:25: public key of station 2 is already used by station 1");
}

static void
test_duplicates_across_the_city(void **state)
{
    (void) state;
    central_fails(28, "          - id: 1");
    expect_error("28:17: station id 1 is already used in community \"GL01\"");
    central_fails(25, "      - code: GL01");
    expect_error("25:15: community code \"GL01\" is already used in district \"GULOU\"");
    central_fails(22, "  - code: GULOU");
    expect_error("22:11: duplicate district code \"GULOU\"");
    central_fails(25, "      - code: qx-3");
    expect_error("25:15: \"code\" must be 2 to 8 uppercase letters or digits, got \"qx-3\"");
    central_fails(25, "      - code: QX030000X");
    expect_error("25:15: \"code\" must be 2 to 8 uppercase letters or digits, got \"QX030000X\"");
}

static void
test_payer_rule_category(void **state)
{
    (void) state;
    central_fails(12, "      - category: dancing");
    expect_error("12:19: payer rule category \"dancing\" is not in the catalogue");
    central_fails(12, "      - category: \"**\"");
    expect_error("12:19: \"category\" must be a category from the catalogue or \"*\", got \"**\"");
}

static void
test_yaml_syntax_error(void **state)
{
    (void) state;
    central_fails(10, "    name: [Gulou");
    expect_errors(2, "10:11: \"name\" must be a string, got a list",
                  "11:16: invalid yaml: did not find expected ',' or ']' "
                  "(while parsing a flow sequence that started at line 10)");
    central_fails(10, "\tname: Gulou");
    expect_error("10:1: invalid yaml: tabs cannot be used for indentation, use spaces");
    /* errors before the syntax error are kept */
    central_fails(4, "guarantee_budget: 1h\nbogus: x\nclock_skew: 10m: 5m");
    expect_errors(2, "5:1: unknown key \"bogus\"",
                  "6:16: invalid yaml: mapping values are not allowed in this context");
}

static void
test_document_shape(void **state)
{
    (void) state;
    assert_null(load_central_text(""));
    expect_error("1:1: file is empty, expected a mapping of settings");
    assert_null(load_central_text("- listen\n"));
    expect_error("1:1: expected a mapping of settings, got a list");
    central_fails(31, "time_zone: UTC\n---\nlisten: x");
    expect_error("32:1: only one yaml document is allowed, found a second one");
}

/* The city's time zone is required and must be a tz database name; a
 * district may have its own; the lists' positions are kept for central's
 * checks against its database. */
static void
test_time_zones(void **state)
{
    (void) state;
    central_fails(31, NULL);
    expect_error("1:1: missing required key \"time_zone\"");
    central_fails(31, "time_zone: \"Asia/Nanjing\"");
    expect_error("31:12: \"time_zone\" is not a time zone in /usr/share/zoneinfo/: use a tz database name such as"
                 " \"Asia/Shanghai\", got \"Asia/Nanjing\"");
    central_fails(31, "time_zone: \"UTC+8\"");
    expect_error("31:12: \"time_zone\" is not a time zone in /usr/share/zoneinfo/: use a tz database name such as"
                 " \"Asia/Shanghai\", got \"UTC+8\"");
    central_fails(31, "time_zone: \"../../etc/passwd\"");
    expect_error("31:12: \"time_zone\" must be a time zone name from the tz database, such as \"Asia/Shanghai\","
                 " got \"../../etc/passwd\"");
    central_fails(23, "    name: Qinhuai\n    time_zone: CST");
    expect_error("24:16: \"time_zone\" is not a time zone in /usr/share/zoneinfo/: use a tz database name such as"
                 " \"Asia/Shanghai\", got \"CST\"");
    hb_central_conf_t *conf = load_central_replacing(23, "    name: Qinhuai\n    time_zone: Asia/Urumqi");
    assert_non_null(conf);
    assert_string_equal(hb_central_conf_time_zone(conf, &conf->districts[0]), "Asia/Shanghai");
    assert_string_equal(hb_central_conf_time_zone(conf, &conf->districts[1]), "Asia/Urumqi");
    assert_int_equal(conf->districts[0].time_zone_at.line, 32);
    assert_int_equal(conf->districts[1].time_zone_at.line, 24);
    assert_int_equal(conf->districts_at.line, 9);
    assert_int_equal(conf->districts[0].communities_at.line, 16);
    assert_int_equal(conf->districts[0].communities[0].stations_at.line, 19);
    hb_central_conf_destroy(&conf);
}

static void
test_alias_rejected(void **state)
{
    (void) state;
    char *text = text_with(central_lines, CENTRAL_LINE_COUNT, 17, "        name: &n Ninghai Road");
    hb_central_conf_t *conf = load_central_text(text);   /* an anchor alone is harmless */
    free(text);
    assert_non_null(conf);
    hb_central_conf_destroy(&conf);
    central_fails(26, "        name: *n");
    expect_error("26:15: yaml aliases are not supported, got \"*n\"");
}

static void
test_three_mistakes_three_errors(void **state)
{
    (void) state;
    char *text = text_with(central_lines, CENTRAL_LINE_COUNT, 19, "          - id: two");
    char *p = strstr(text, "100000h");
    assert_non_null(p);
    memcpy(p, "100000x", 7);
    p = strstr(text, "payer: guarantee");
    memcpy(p, "payer: guarantie", 16);
    hb_central_conf_t *conf = load_central_text(text);
    free(text);
    assert_null(conf);
    expect_errors(3, "4:19: \"guarantee_budget\" must be a duration such as \"90m\" or \"1500h\", got \"100000x\"",
                  "13:16: \"payer\" must be \"recipient\" or \"guarantee\", got \"guarantie\"",
                  "19:17: \"id\" must be an integer, got \"two\"");
}

static void
test_station_errors(void **state)
{
    (void) state;
    station_fails(8, "ipc_endpoint: \"tcp://127.0.0.1:7401\"");
    expect_error("8:15: \"ipc_endpoint\" must be an ipc endpoint such as "
                 "\"ipc:///run/hourbank/station.sock\", got \"tcp://127.0.0.1:7401\"");
    station_fails(8, "ipc_endpoint: \"ipc:///s\"\noutbox_max_bytes: 1000\nbatch_ops: 257\nretention_days: 0");
    expect_errors(3, "9:19: \"outbox_max_bytes\" must be between 1048576 and 9223372036854775807, got \"1000\"",
                  "10:12: \"batch_ops\" must be between 1 and 256, got \"257\"",
                  "11:17: \"retention_days\" must be between 1 and 3660, got \"0\"");
    station_fails(1, "station_id: 7\nstation_id: 8");
    expect_error("2:1: duplicate key \"station_id\", first set at line 1");
    station_fails(2, "community: qx03");
    expect_error("2:12: \"community\" must be 2 to 8 uppercase letters or digits, got \"qx03\"");
    station_fails(3, "central_endpoint: \"10.0.0.5:7400\"");
    expect_error("3:19: \"central_endpoint\" must be a zeromq endpoint such as "
                 "\"tcp://127.0.0.1:7400\", got \"10.0.0.5:7400\"");
    station_fails(5, NULL);
    expect_error("1:1: missing required key \"public_key_file\"");
}

/* ---- bounds ---- */

static void
test_error_limit_counts_dropped(void **state)
{
    (void) state;
    size_t extra = HB_CONFIG_ERRORS_MAX + 6;
    char *with = calloc(extra, 32);
    assert_non_null(with);
    strcpy(with, "database: x");
    for (size_t i = 0; i < extra; i++)
        sprintf(with + strlen(with), "\nbogus%zu: 1", i);
    char *text = text_with(central_lines, CENTRAL_LINE_COUNT, 2, with);
    free(with);
    assert_null(load_central_text(text));
    free(text);
    assert_int_equal(g_errors.count, HB_CONFIG_ERRORS_MAX);
    assert_int_equal(g_errors.dropped, 6);

    char *out = NULL;
    size_t out_len = 0;
    FILE *fp = open_memstream(&out, &out_len);
    assert_non_null(fp);
    hb_config_errors_print(&g_errors, fp);
    fclose(fp);
    char first[HB_PATH_BYTES_MAX + 2];
    snprintf(first, sizeof first, "%s:3:1: unknown key \"bogus0\"\n", g_path);
    assert_memory_equal(out, first, strlen(first));
    assert_non_null(strstr(out, "\n6 more errors not shown\n"));
    free(out);
}

static void
test_nesting_depth(void **state)
{
    (void) state;
    char deep[2 * HB_CONFIG_DEPTH_MAX + 16] = "x: ";
    for (int i = 0; i < HB_CONFIG_DEPTH_MAX; i++)
        strcat(deep, "[");
    /* the root mapping is level 1, so the 16th "[" is level 17 */
    central_fails(1, deep);
    char want[64];
    snprintf(want, sizeof want, "1:%d: nesting is deeper than %d levels", 3 + HB_CONFIG_DEPTH_MAX,
             HB_CONFIG_DEPTH_MAX);
    expect_errors(2, "1:1: unknown key \"x\"", want);
}

static void
test_file_too_large(void **state)
{
    (void) state;
    size_t len = HB_CONFIG_BYTES_MAX + 1;
    char *text = malloc(len);
    assert_non_null(text);
    memset(text, '#', len);
    write_temp(text, len);
    free(text);
    assert_null(hb_central_conf_load(g_path, &g_errors));
    unlink(g_path);
    char want[HB_PATH_BYTES_MAX];
    snprintf(want, sizeof want, "%s: file is larger than %d bytes", g_path, HB_CONFIG_BYTES_MAX);
    assert_int_equal(g_errors.count, 1);
    assert_string_equal(g_errors.text[0], want);

    assert_null(hb_station_conf_load("/nonexistent/station.yaml", &g_errors));
    assert_int_equal(g_errors.count, 1);
    assert_string_equal(g_errors.text[0],
                        "/nonexistent/station.yaml: could not open file: No such file or directory");
}

static void
test_list_bounds(void **state)
{
    (void) state;
    char with[1024] = "guarantee_budget: 1h\nadmin_public_keys:";
    for (int i = 0; i < 9; i++)
        strcat(with, "\n  - \"" KEY1 "\"");
    central_fails(4, with);
    expect_error("14:5: \"admin_public_keys\" has more than 8 entries");
    central_fails(4, "guarantee_budget: 1h\nadmin_public_keys: [\"" KEY1 "\", \"bad\"]");
    expect_error("5:65: \"admin_public_keys[1]\" must be a 40-character Z85 curve key, got \"bad\"");
}

/* HB_STATIONS_MAX stations fit in the city; one more is an error. */
static void
test_city_station_limit(void **state)
{
    (void) state;
    size_t total = HB_STATIONS_MAX + 1, per_line = 160;
    char *with = calloc(total + 4, per_line);
    assert_non_null(with);
    /* station 2 keeps the top serials; the others get 200 each below */
    char *p = with + sprintf(with, "            public_key: \"%s\"\n            member_serial_min: 999000", KEY2);
    for (size_t i = 0; i < total - 2; i++) {
        p += sprintf(p, "\n          - {id: %zu, name: s, public_key: \"00000000000000000000000000000000000%05zu\","
                     " member_serial_min: %zu, member_serial_max: %zu}", i + 3, i, 1000 + i * 200, 1199 + i * 200);
    }
    char *text = text_with(central_lines, CENTRAL_LINE_COUNT, 30, with);
    free(with);
    assert_null(load_central_text(text));
    free(text);
    char want[64];
    snprintf(want, sizeof want, "%zu:18: more than %d stations in the city", 30 + 1 + total - 2,
             HB_STATIONS_MAX);
    expect_error(want);
}

/* ---- durations ---- */

static void
test_parse_duration(void **state)
{
    (void) state;
    assert_int_equal(hb_config_parse_duration("90m"), 90);
    assert_int_equal(hb_config_parse_duration("1500h"), 90000);
    assert_int_equal(hb_config_parse_duration("1h30m"), 90);
    assert_int_equal(hb_config_parse_duration("2d"), 2880);
    assert_int_equal(hb_config_parse_duration("1d2h3m"), 1440 + 120 + 3);
    assert_int_equal(hb_config_parse_duration("0m"), 0);
    assert_int_equal(hb_config_parse_duration("007m"), 7);
    assert_int_equal(hb_config_parse_duration("9223372036854775807m"), INT64_MAX);
    assert_int_equal(hb_config_parse_duration("9223372036854775808m"), -1);
    assert_int_equal(hb_config_parse_duration("153722867280912931h"), -1);  /* * 60 overflows */
    assert_int_equal(hb_config_parse_duration("153722867280912930h7m"), INT64_MAX);
    assert_int_equal(hb_config_parse_duration("153722867280912930h8m"), -1);
    assert_int_equal(hb_config_parse_duration(""), -1);
    assert_int_equal(hb_config_parse_duration(NULL), -1);
    assert_int_equal(hb_config_parse_duration("h"), -1);
    assert_int_equal(hb_config_parse_duration("-5m"), -1);
    assert_int_equal(hb_config_parse_duration("+5m"), -1);
    assert_int_equal(hb_config_parse_duration("1500"), -1);
    assert_int_equal(hb_config_parse_duration("1h30"), -1);
    assert_int_equal(hb_config_parse_duration("30m1h"), -1);   /* largest unit first */
    assert_int_equal(hb_config_parse_duration("1h1h"), -1);
    assert_int_equal(hb_config_parse_duration("1H"), -1);
    assert_int_equal(hb_config_parse_duration("1s"), -1);
    assert_int_equal(hb_config_parse_duration(" 1h"), -1);
    assert_int_equal(hb_config_parse_duration("1h "), -1);
    assert_int_equal(hb_config_parse_duration("1.5h"), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_central_example_loads),
        cmocka_unit_test(test_station_example_loads),
        cmocka_unit_test(test_defaults_and_relative_paths),
        cmocka_unit_test(test_catalogue_after_districts),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_missing_required_key),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_bad_duration),
        cmocka_unit_test(test_bad_enum),
        cmocka_unit_test(test_bad_z85_key),
        cmocka_unit_test(test_duplicates_across_the_city),
        cmocka_unit_test(test_payer_rule_category),
        cmocka_unit_test(test_yaml_syntax_error),
        cmocka_unit_test(test_document_shape),
        cmocka_unit_test(test_time_zones),
        cmocka_unit_test(test_alias_rejected),
        cmocka_unit_test(test_three_mistakes_three_errors),
        cmocka_unit_test(test_station_errors),
        cmocka_unit_test(test_error_limit_counts_dropped),
        cmocka_unit_test(test_nesting_depth),
        cmocka_unit_test(test_file_too_large),
        cmocka_unit_test(test_list_bounds),
        cmocka_unit_test(test_city_station_limit),
        cmocka_unit_test(test_parse_duration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
