/* Issue 12, item 9: `hourbank-station --check-config` reads the key files
 * the daemon will need. A missing one, or one that cannot be read, fails
 * the check with EX_CONFIG (78), the file:line:column of its key in
 * station.yaml and the OS error. Before the fix the check printed
 * "configuration OK" and the daemon failed only when started. */
#include "hb_itest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#define OUT_BYTES 8192

static hb_h_central_t central;
static hb_h_station_t st;

static int
check_config(char *out, char *err)
{
    char bin[600];
    const char *argv[] = {hb_h_bin("hourbank-station", bin, sizeof bin), "-c", st.conf, "--check-config", NULL};
    return hb_h_run_capture(argv, st.dir, out, OUT_BYTES, err, OUT_BYTES);
}

/* "<station.yaml>:<line>:" of the line that starts with key. */
static void
key_position(const char *key, char *out, size_t size)
{
    FILE *f = fopen(st.conf, "r");
    assert_non_null(f);
    char line[1024];
    for (int n = 1; fgets(line, sizeof line, f); n++) {
        if (strncmp(line, key, strlen(key)) == 0) {
            snprintf(out, size, "%s:%d:", st.conf, n);
            fclose(f);
            return;
        }
    }
    fclose(f);
    fail_msg("no %s in %s", key, st.conf);
}

static void
expect_refused(const char *key, const char *os_error)
{
    char out[OUT_BYTES], err[OUT_BYTES], where[1024];
    int rc = check_config(out, err);
    print_message("exit %d: %s", rc, err);
    assert_int_equal(rc, EX_CONFIG);
    key_position(key, where, sizeof where);
    if (!strstr(err, where) || !strstr(err, key) || !strstr(err, os_error))
        fail_msg("stderr lacks \"%s\", \"%s\" or \"%s\":\n%s", where, key, os_error, err);
    assert_null(strstr(out, "configuration OK"));
}

static void
test_key_files_checked(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_station_check", NULL, NULL, NULL);
    hb_h_station_init(&st, &central, 1, 0);
    char out[OUT_BYTES], err[OUT_BYTES];
    assert_int_equal(check_config(out, err), 0);
    assert_non_null(strstr(out, "configuration OK"));

    char secret[700], moved[720];
    snprintf(secret, sizeof secret, "%s/station.secret", st.dir);
    snprintf(moved, sizeof moved, "%s.away", secret);
    assert_int_equal(rename(secret, moved), 0);
    expect_refused("secret_key_file", "No such file or directory");
    assert_int_equal(rename(moved, secret), 0);

    /* unreadable even for root: a path through a file */
    char *text = NULL;
    FILE *f = fopen(st.conf, "r");
    assert_non_null(f);
    size_t len = 0;
    assert_true(getdelim(&text, &len, '\0', f) > 0);
    fclose(f);
    char *at = strstr(text, "public_key_file: station.public");
    assert_non_null(at);
    char *rewritten = malloc(strlen(text) + 16);
    assert_non_null(rewritten);
    snprintf(rewritten, strlen(text) + 16, "%.*spublic_key_file: station.secret/key%s", (int) (at - text), text,
             at + strlen("public_key_file: station.public"));
    hb_h_write_file(st.conf, rewritten);
    expect_refused("public_key_file", "Not a directory");
    free(rewritten);
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_files_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
