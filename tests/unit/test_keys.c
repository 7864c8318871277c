/* test_keys.c - the keys in force (server/keys.c), from central.yaml as the
 * loader reads it: every station and admin key found, retired stations
 * marked, unknown keys not found, an admin entry winning over a station's
 * with the same key; and "retired" in central.yaml (default false, a
 * boolean or an error at its line and column). */
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
#include "keys.h"

#define KEY1 "&0@+1j/eF[}.s%M5V(Wcher)8royWP}ElvO:?zr["
#define KEY2 "aqT)3dHYZ?i1#fM[$/6^pZD?HcA/%uQ(&2oLlOGd"
#define KEY3 "??u<Ak*(@/71E+3OTPx&v4RAexo9LngtS?*Ma/R5"
#define ADMIN_KEY "-nzD?4l1:eeFDmsjRm6bYnr&=3/X>nW>[-@x]8dQ"

static hb_config_errors_t g_errors;

/* central.yaml with stations 1 (KEY1), 2 (KEY2, then station2_extra on
 * its own line) and 3 (KEY3), and admin_keys as admin_public_keys. */
static hb_central_conf_t *
load(const char *admin_keys, const char *station2_extra)
{
    char text[2048], path[] = "/tmp/hb_test_keys_XXXXXX";
    snprintf(text, sizeof text,
             "listen: \"tcp://127.0.0.1:7400\"\n"
             "database: \"dbname=hourbank\"\n"
             "secret_key_file: \"keys/central.secret\"\n"
             "guarantee_budget: \"100000h\"\n"
             "time_zone: \"Asia/Shanghai\"\n"
             "admin_public_keys: [%s]\n"
             "categories:\n"
             "  - name: companionship\n"
             "districts:\n"
             "  - code: GULOU\n"
             "    name: Gulou\n"
             "    communities:\n"
             "      - code: GL01\n"
             "        name: Ninghai Road\n"
             "        stations:\n"
             "          - {id: 1, name: One, public_key: \"%s\", member_serial_max: 499999}\n"
             "          - id: 2\n"
             "            name: Two\n"
             "            public_key: \"%s\"\n"
             "            member_serial_min: 500000\n"
             "%s%s"
             "      - code: GL02\n"
             "        name: Hunan Road\n"
             "        stations:\n"
             "          - {id: 3, name: Three, public_key: \"%s\"}\n",
             admin_keys, KEY1, KEY2, station2_extra ? station2_extra : "", station2_extra ? "\n" : "", KEY3);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);
    memset(&g_errors, 0, sizeof g_errors);
    hb_central_conf_t *conf = hb_central_conf_load(path, &g_errors);
    unlink(path);
    return conf;
}

static void
test_lookup(void **state)
{
    (void) state;
    hb_central_conf_t *conf = load("\"" ADMIN_KEY "\"", "            retired: true");
    if (!conf)
        fail_msg("%s", g_errors.text[0]);
    hb_keys_t *keys = hb_keys_new(conf);
    const hb_keys_entry_t *e = hb_keys_find(keys, KEY1);
    assert_non_null(e);
    assert_int_equal(e->station, 1);
    assert_false(e->retired);
    e = hb_keys_find(keys, KEY2);
    assert_non_null(e);
    assert_int_equal(e->station, 2);
    assert_true(e->retired);
    e = hb_keys_find(keys, KEY3);
    assert_non_null(e);
    assert_int_equal(e->station, 3);
    assert_false(e->retired);
    e = hb_keys_find(keys, ADMIN_KEY);
    assert_non_null(e);
    assert_int_equal(e->station, 0);
    assert_null(hb_keys_find(keys, "0000000000000000000000000000000000000000"));
    assert_null(hb_keys_find(keys, ""));
    assert_null(hb_keys_find(keys, KEY1 "x"));
    hb_keys_destroy(&keys);
    assert_null(keys);
    hb_central_conf_destroy(&conf);
}

static void
test_admin_wins_and_no_admins(void **state)
{
    (void) state;
    hb_central_conf_t *conf = load("\"" KEY3 "\"", NULL);
    assert_non_null(conf);
    hb_keys_t *keys = hb_keys_new(conf);
    assert_int_equal(hb_keys_find(keys, KEY3)->station, 0);
    assert_false(hb_keys_find(keys, KEY2)->retired);  /* the default */
    hb_keys_destroy(&keys);
    hb_central_conf_destroy(&conf);
    conf = load("", NULL);
    assert_non_null(conf);
    keys = hb_keys_new(conf);
    assert_int_equal(hb_keys_find(keys, KEY1)->station, 1);
    assert_null(hb_keys_find(keys, ADMIN_KEY));
    hb_keys_destroy(&keys);
    hb_central_conf_destroy(&conf);
}

static void
test_retired_must_be_boolean(void **state)
{
    (void) state;
    hb_central_conf_t *conf = load("", "            retired: sometimes");
    assert_null(conf);
    assert_int_equal(g_errors.count, 1);
    if (!strstr(g_errors.text[0], ":21:22: ") || !strstr(g_errors.text[0], "true or false"))
        fail_msg("unexpected error: %s", g_errors.text[0]);
    conf = load("", "            retired: false");
    assert_non_null(conf);
    assert_false(conf->districts[0].communities[0].stations[1].retired);
    hb_central_conf_destroy(&conf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_admin_wins_and_no_admins),
        cmocka_unit_test(test_retired_must_be_boolean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
