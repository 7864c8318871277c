/* A station reconciles by itself when idle (station.yaml
 * reconcile_interval, seconds here): a clean ledger is logged as agreeing
 * and central records the run (hourbank stations: RECONCILED); an op
 * deleted at central behind its back (a refused one: no balance moves) is
 * found by the next idle run without an operator, resent, and posted again
 * exactly once; afterwards `hourbank reconcile` agrees (exit 0); an op
 * altered at central is named by `hourbank reconcile --json` (exit 1) and
 * `hourbank stations` shows the open mismatch; with central gone the CLI
 * exits 69. Real central, real
 * station, the real CLI. */
#include "hb_itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATION 2u
#define INTERVAL_S 2
#define LOG_WAIT_MS 20000
#define OUT_BYTES (64 * 1024)
#define ERR_BYTES 8192

static hb_h_central_t central;
static hb_h_station_t st;
static char run_dir[512];
static int g_rc;
static char g_out[OUT_BYTES], g_err[ERR_BYTES];

/* hourbank with words, at the station (-c) or central (--admin). */
static void
cli(const char *const *words, const char *target_opt, const char *target)
{
    char bin[600];
    const char *argv[16];
    int argc = 0;
    argv[argc++] = hb_h_bin("hourbank", bin, sizeof bin);
    for (; *words; words++)
        argv[argc++] = *words;
    argv[argc++] = target_opt;
    argv[argc++] = target;
    argv[argc] = NULL;
    g_rc = hb_h_run_capture(argv, run_dir, g_out, sizeof g_out, g_err, sizeof g_err);
}

/* `hourbank reconcile` with words at the station; asked again while an
 * idle run is under way (exit 69), as the CLI tells a person to. */
static void
reconcile_cli(const char *const *words)
{
    for (int i = 0; i < 20; i++) {
        cli(words, "-c", st.conf);
        if (g_rc != 69)
            return;
        usleep(200 * 1000);
    }
}

static uint64_t
save(hb_h_client_t *cl, hb_h_batch_t *b, char *member_no)
{
    int code = 0;
    char msg[256];
    uint64_t seq = hb_h_save(cl, hb_h_batch_op(b, 0), &code, member_no, msg, sizeof msg);
    if (seq == 0)
        fail_msg("save refused %d: %s", code, msg);
    hb_h_batch_free(&b);
    return seq;
}

/* Two members, and two services the recipient cannot pay for: central
 * refuses them (INSUFFICIENT_BALANCE), so no balance moves by them. */
static void
save_work(hb_h_client_t *cl, char *a, char *b)
{
    hb_h_batch_t *op = hb_h_batch_new();
    hb_h_batch_register(op, 0, "", "Volunteer", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    assert_int_equal(save(cl, op, a), 1);
    op = hb_h_batch_new();
    hb_h_batch_register(op, 0, "", "Young elder", HOURBANK__ROLE__ELDER, 1970, NULL);
    assert_int_equal(save(cl, op, b), 2);
    for (uint64_t seq = 3; seq <= 4; seq++) {
        op = hb_h_batch_new();
        hb_h_batch_service(op, 0, (int64_t) time(NULL), a, b, 90, "companionship");
        assert_int_equal(save(cl, op, NULL), seq);
    }
    assert_true(hb_h_wait_drained(cl, 30));
}

static void
test_idle_reconcile(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_rc_idle", NULL, NULL, NULL);
    hb_h_central_start(&central);
    snprintf(run_dir, sizeof run_dir, "%s", hb_h_tmpdir("hb_itest_rc_idle_run"));
    const char *admin = hb_h_admin_yaml(&central, run_dir);
    char admin_path[700];
    snprintf(admin_path, sizeof admin_path, "%s", admin);
    hb_h_station_init(&st, &central, STATION, 0);
    FILE *f = fopen(st.conf, "a");
    assert_non_null(f);
    fprintf(f, "reconcile_interval: %ds\n", INTERVAL_S);
    fclose(f);
    hb_h_station_start(&st);
    hb_h_client_t *cl = hb_h_station_client(&st);
    char a[32], b[32];
    save_work(cl, a, b);
    PGconn *pg = PQconnectdb(central.conninfo);
    assert_int_equal(PQstatus(pg), CONNECTION_OK);

    /* idle: a run by itself, nothing differs, central records it */
    assert_true(hb_h_log_wait(st.log, "reconcile done: central holds what this station holds first_seq=1"
                              " last_seq=4", 1, LOG_WAIT_MS));
    cli((const char *const[]){"stations", "--json", NULL}, "--admin", admin_path);
    assert_int_equal(g_rc, 0);
    assert_non_null(strstr(g_out, "\"reconciled_through\": 4"));
    assert_non_null(strstr(g_out, "\"reconciled_from\": 1"));

    /* seq 3 deleted behind central's back: the next idle run resends it */
    assert_true(hb_h_pg_ok(pg, "SET session_replication_role = replica"));
    assert_true(hb_h_pg_ok(pg, "DELETE FROM op WHERE station_id = 2 AND seq = 3"));
    assert_true(hb_h_pg_ok(pg, "SET session_replication_role = origin"));
    assert_true(hb_h_log_wait(st.log, "reconcile found differences first_seq=1 last_seq=4 ranges=1 differing=1"
                              " ops_here=4 ops_central=3 missing=1 altered=0 extra=0 resent=1 first_diff_seq=3"
                              " idle=1", 1, LOG_WAIT_MS));
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 2 AND seq = 3"), 1);

    /* asked for now: everything agrees */
    reconcile_cli((const char *const[]){"reconcile", "--json", NULL});
    if (g_rc != 0)
        fail_msg("exit %d\nstdout: %s\nstderr: %s", g_rc, g_out, g_err);
    assert_non_null(strstr(g_out, "\"missing\": 0"));
    assert_non_null(strstr(g_out, "\"idle\": false"));
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 2 AND seq = 3"), 1);

    /* from a day after every op: nothing to compare */
    reconcile_cli((const char *const[]){"reconcile", "--from", "2099-01-01", "--json", NULL});
    assert_int_equal(g_rc, 0);
    assert_non_null(strstr(g_out, "\"first_seq\": 0,\n  \"last_seq\": 0,\n  \"from_day\": \"2099-01-01\""));

    /* seq 4's result altered at central: named, exit 1, an open mismatch */
    assert_true(hb_h_pg_ok(pg, "SET session_replication_role = replica"));
    assert_true(hb_h_pg_ok(pg, "UPDATE op SET result = 9 WHERE station_id = 2 AND seq = 4"));
    assert_true(hb_h_pg_ok(pg, "SET session_replication_role = origin"));
    reconcile_cli((const char *const[]){"reconcile", "--json", NULL});
    assert_int_equal(g_rc, 1);
    assert_non_null(strstr(g_out, "\"altered\": 1"));
    assert_non_null(strstr(g_out, "\"seq\": 4,\n      \"what\": \"altered\",\n      \"kind\": \"service\",\n"
                                  "      \"station_result\": \"INSUFFICIENT_BALANCE\",\n"
                                  "      \"central_result\": \"UNKNOWN_CATEGORY\""));
    setenv("LANG", "zh_CN.UTF-8", 1);  /* the text, in the operator's language */
    reconcile_cli((const char *const[]){"reconcile", NULL});
    setenv("LANG", "en_US.UTF-8", 1);
    assert_int_equal(g_rc, 1);
    assert_non_null(strstr(g_out, "序号 4 服务：中心被改动（本站 INSUFFICIENT_BALANCE，中心 UNKNOWN_CATEGORY）"));
    assert_non_null(strstr(g_out, "不一致：中心缺少 0 条"));
    reconcile_cli((const char *const[]){"reconcile", NULL});
    assert_non_null(strstr(g_out, "seq 4 service: altered at central (here INSUFFICIENT_BALANCE, central"
                                  " UNKNOWN_CATEGORY)"));
    assert_non_null(strstr(g_out, "compared seqs 1-4 with central\n"));
    cli((const char *const[]){"reconcile", "--from", "2026-02-30", NULL}, "-c", st.conf);
    assert_int_equal(g_rc, 65);
    cli((const char *const[]){"stations", NULL}, "--admin", admin_path);
    assert_int_equal(g_rc, 0);
    assert_non_null(strstr(g_out, "open mismatch: station 2"));

    PQfinish(pg);

    /* central gone: the CLI is told the run cannot be made (EX_UNAVAILABLE) */
    hb_h_central_stop(&central, SIGKILL);
    for (int i = 0; i < 50; i++) {
        cli((const char *const[]){"reconcile", NULL}, "-c", st.conf);
        if (g_rc == 69 && strstr(g_err, "the link to central is"))
            break;
        usleep(200 * 1000);
    }
    assert_int_equal(g_rc, 69);
    assert_non_null(strstr(g_err, "could not reconcile"));
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&st, SIGTERM);
}

int
main(void)
{
    unsetenv("LANGUAGE");
    unsetenv("LC_ALL");
    unsetenv("LC_MESSAGES");
    setenv("LANG", "en_US.UTF-8", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_reconcile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
