/* An admin key is removed from central.yaml while an admin connection with
 * it is open: after central's SIGHUP that connection's verify and stations
 * queries are refused (NOT_AUTHORIZED), and `hourbank verify` with the old
 * key fails, while the key that replaced it works. */
#include "hb_itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLI_OUT_BYTES 8192
#define REPLY_WAIT_MS 10000

static hb_h_central_t central;

static Hourbank__Envelope *
ask(hb_h_client_t *cl, Hourbank__Envelope__BodyCase body)
{
    Hourbank__Envelope env;
    Hourbank__VerifyQuery vq;
    Hourbank__StationsQuery sq;
    hourbank__envelope__init(&env);
    hourbank__verify_query__init(&vq);
    hourbank__stations_query__init(&sq);
    env.body_case = body;
    if (body == HOURBANK__ENVELOPE__BODY_VERIFY_QUERY)
        env.verify_query = &vq;
    else
        env.stations_query = &sq;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, REPLY_WAIT_MS);
    assert_non_null(r);
    return r;
}

static void
expect_refused(hb_h_client_t *cl, Hourbank__Envelope__BodyCase body)
{
    Hourbank__Envelope *r = ask(cl, body);
    if (r->body_case != HOURBANK__ENVELOPE__BODY_ERROR)
        fail_msg("%s on the open connection of a removed admin key was answered (body %d)",
                 body == HOURBANK__ENVELOPE__BODY_VERIFY_QUERY ? "verify" : "stations", (int) r->body_case);
    assert_int_equal(r->error->code, HOURBANK__RESULT__NOT_AUTHORIZED);
    assert_non_null(strstr(r->error->message, "no longer in force"));
    hb_wire_free(&r);
}

/* `hourbank verify --admin admin_yaml`; its exit code, stdout in out. */
static int
cli_verify(const char *admin_yaml, const char *dir, char *out, size_t size)
{
    char bin[600], err[CLI_OUT_BYTES];
    const char *argv[] = {hb_h_bin("hourbank", bin, sizeof bin), "verify", "--admin", admin_yaml, NULL};
    int rc = hb_h_run_capture(argv, dir, out, size, err, sizeof err);
    print_message("hourbank verify exited %d: %s%s", rc, out, err);
    return rc;
}

static void
test_removed_admin_key(void **state)
{
    (void) state;
    static char out[CLI_OUT_BYTES];
    hb_h_central_init(&central, "hb_itest_revoke_adm", NULL, NULL, NULL);
    hb_h_central_start(&central);
    char old_dir[700], new_dir[700], old_yaml[800], new_yaml[800];
    snprintf(old_dir, sizeof old_dir, "%s/old-admin", central.dir);
    snprintf(new_dir, sizeof new_dir, "%s/new-admin", central.dir);
    assert_int_equal(mkdir(old_dir, 0700), 0);
    assert_int_equal(mkdir(new_dir, 0700), 0);
    snprintf(old_yaml, sizeof old_yaml, "%s", hb_h_admin_yaml(&central, old_dir));

    /* an admin connection, open and answered */
    hb_h_client_t *admin = hb_h_central_client(&central, 0);
    Hourbank__Envelope *r = ask(admin, HOURBANK__ENVELOPE__BODY_VERIFY_QUERY);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_VERIFY_REPLY);
    hb_wire_free(&r);
    assert_int_equal(cli_verify(old_yaml, old_dir, out, sizeof out), 0);

    /* the key is replaced by another one in central.yaml */
    hb_h_keypair(central.admin_pub, central.admin_sec);
    hb_h_central_write_config(&central, NULL, NULL, NULL, NULL);
    snprintf(new_yaml, sizeof new_yaml, "%s", hb_h_admin_yaml(&central, new_dir));
    assert_int_equal(kill(central.pid, SIGHUP), 0);
    assert_true(hb_h_log_wait(central.log, "configuration reloaded", 1, 10000));

    /* the connection opened with the removed key is refused */
    expect_refused(admin, HOURBANK__ENVELOPE__BODY_VERIFY_QUERY);
    expect_refused(admin, HOURBANK__ENVELOPE__BODY_STATIONS_QUERY);
    assert_true(hb_h_log_count(central.log, "message refused: key no longer in force") >= 2);
    hb_h_client_destroy(&admin);

    /* a new connection with it is not admitted; the new key works */
    setenv("HOURBANK_TIMEOUT_MS", "1500", 1);
    assert_int_not_equal(cli_verify(old_yaml, old_dir, out, sizeof out), 0);
    assert_null(strstr(out, "the ledger is sound"));
    assert_true(hb_h_log_wait(central.log, "connection refused: unknown CURVE key", 1, 5000));
    unsetenv("HOURBANK_TIMEOUT_MS");
    assert_int_equal(cli_verify(new_yaml, new_dir, out, sizeof out), 0);
    assert_non_null(strstr(out, "the ledger is sound"));

    hb_h_central_stop(&central, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_removed_admin_key)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
