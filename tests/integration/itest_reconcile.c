/* Reconciliation end to end (issue 17): a real central, a real station and
 * the real `hourbank`. A clean ledger reconciles with exit 0. Rows changed
 * at central as the PostgreSQL superuser with the triggers off, the
 * balances mended so that every sum still agrees and verify sees nothing,
 * are found by `hourbank reconcile`: a deleted op is named, resent and then
 * held exactly once; an altered op is named; ops central holds that the
 * station does not (its file restored from a backup without the command)
 * are reported. The station's idle run finds a deleted op with nobody
 * asking. `hourbank stations` shows each station's last run. */
#include "itest_cli_run.h"

#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#define GULOU_DAILY_MINUTES 30   /* each service: the daily limit is 12 h */
#define SERVICES 6
#define IDLE_INTERVAL_S 2
#define IDLE_WAIT_MS 30000
#define EX_DIFFERENCES 1

static char admin_yaml[700];

/* Saves a service of vol's to eldest (the guarantee pays: accepted) or,
 * with to_young, to Li Na (who holds nothing: central refuses it);
 * returns its seq. */
static uint64_t
service(bool to_young)
{
    hb_h_client_t *cl = hb_h_station_client(&station);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 0, (int64_t) time(NULL) - 60, vol, to_young ? young : eldest, GULOU_DAILY_MINUTES,
                       to_young ? "companionship" : "personal-care");
    int code;
    char msg[256];
    uint64_t seq = hb_h_save(cl, hb_h_batch_op(b, 0), &code, NULL, msg, sizeof msg);
    if (!seq)
        fail_msg("save refused (%d): %s", code, msg);
    hb_h_batch_free(&b);
    hb_h_client_destroy(&cl);
    return seq;
}

/* Central, station 1 with vol, young and eldest (seqs 1-3) and SERVICES
 * services (seqs 4..; the last one refused by central), all acked. */
static void
start(const char *name)
{
    cli_start(name, NULL, true);
    snprintf(admin_yaml, sizeof admin_yaml, "%s", hb_h_admin_yaml(&central, central.dir));
    for (int i = 0; i < SERVICES; i++)
        service(i == SERVICES - 1);
    wait_drained();
}

static PGconn *
superuser(void)
{
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_true(hb_h_pg_ok(pg, "SET session_replication_role = replica"));  /* triggers off */
    return pg;
}

static int64_t
held(PGconn *pg, const char *table, uint64_t seq)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE station_id = 1 AND seq = %llu", table,
             (unsigned long long) seq);
    return hb_h_pg_int(pg, sql);
}

/* Deletes op (1, seq) behind central's back, the sums still agreeing. */
static void
delete_op(uint64_t seq)
{
    hb_h_central_delete_op(&central, 1, seq);
}

static void
reconcile(const char *from_day)
{
    if (from_day)
        S("reconcile", "--json", "--from", from_day);
    else
        S("reconcile", "--json");
}

/* The diff of seq in the last --json output: its object's text. */
static const char *
diff_of(uint64_t seq, char *buf, size_t size)
{
    const char *diffs = strstr(g_out, "\"diffs\"");
    if (!diffs)
        fail_msg("no diffs in:\n%s", g_out);
    char key[64];
    snprintf(key, sizeof key, "\"seq\": %llu,", (unsigned long long) seq);
    const char *at = strstr(diffs, key);
    if (!at)
        fail_msg("seq %llu is not among the diffs:\n%s", (unsigned long long) seq, g_out);
    size_t n = strcspn(at, "}");
    snprintf(buf, size, "%.*s", (int) n, at);
    return buf;
}

static void
expect_diff(uint64_t seq, const char *what, const char *more)
{
    char buf[1024], want[64];
    diff_of(seq, buf, sizeof buf);
    snprintf(want, sizeof want, "\"what\": \"%s\"", what);
    has(buf, want);
    if (more)
        has(buf, more);
}

static void
expect_count(const char *name, unsigned n)
{
    char want[64];
    snprintf(want, sizeof want, "\"%s\": %u,", name, n);
    has(g_out, want);
}

/* `hourbank stations --json` as the admin, into g_out. */
static void
stations(void)
{
    run_bin("hourbank", (const char *const[]){"stations", "--json", "--admin", admin_yaml, NULL}, NULL);
    expect_ok();
}

static void
test_clean_ledger_agrees(void **state)
{
    (void) state;
    start("hb_itest_reconcile_clean");
    uint64_t last = 3 + SERVICES;
    reconcile(NULL);
    if (g_rc != 0)
        fail_msg("exit %d on a clean ledger\n%s\n%s", g_rc, g_out, g_err);
    expect_count("first_seq", 1);
    expect_count("ranges_differing", 0);
    expect_count("missing", 0);
    expect_count("altered", 0);
    expect_count("extra", 0);
    char want[64];
    snprintf(want, sizeof want, "\"last_seq\": %llu,", (unsigned long long) last);
    has(g_out, want);
    snprintf(want, sizeof want, "\"ops_here\": %llu,", (unsigned long long) last);
    has(g_out, want);
    snprintf(want, sizeof want, "\"ops_central\": %llu,", (unsigned long long) last);
    has(g_out, want);

    stations();
    snprintf(want, sizeof want, "\"reconciled_through\": %llu,", (unsigned long long) last);
    has(g_out, want);
    has(g_out, "\"reconcile_missing\": 0,");
    has(g_out, "\"reconcile_altered\": 0,");
    has(g_out, "\"reconcile_extra\": 0");
    assert_int_equal(hb_h_log_count(central.log, "ALERT reconcile"), 0);

    /* an op acked by a central that sent no hash: compared by result, and
     * central's hash kept from then on */
    assert_int_equal(hb_h_sqlite_int(station.outbox, "UPDATE ops SET payload_hash = NULL WHERE seq = 4"), -1);
    reconcile(NULL);
    if (g_rc != 0)
        fail_msg("exit %d with an op of unknown hash\n%s\n%s", g_rc, g_out, g_err);
    expect_count("ranges_differing", 1);
    expect_count("altered", 0);
    assert_int_equal(hb_h_sqlite_int(station.outbox, "SELECT count(*) FROM ops WHERE payload_hash IS NULL"), 0);
    reconcile(NULL);
    assert_int_equal(g_rc, 0);
    expect_count("ranges_differing", 0);

    /* --from: the ops central posted on or after the day (here the first
     * three are said to be older) */
    PGconn *pg = hb_h_pg(central.conninfo);
    char day[16];
    snprintf(day, sizeof day, "%lld", (long long) hb_h_pg_int(pg, "SELECT to_char(posted_day, 'YYYYMMDD')::bigint"
                                                                   " FROM op WHERE station_id = 1 AND seq = 4"));
    PQfinish(pg);
    char from[16];
    snprintf(from, sizeof from, "%.4s-%.2s-%.2s", day, day + 4, day + 6);
    assert_int_equal(hb_h_sqlite_int(station.outbox, "UPDATE ops SET posted_day = '2000-01-01' WHERE seq <= 3"), -1);
    reconcile(from);
    assert_int_equal(g_rc, 0);
    expect_count("first_seq", 4);
    snprintf(want, sizeof want, "\"ops_here\": %llu,", (unsigned long long) (last - 3));
    has(g_out, want);

    /* from a day after today: nothing to compare, still agreement */
    reconcile("2999-01-01");
    assert_int_equal(g_rc, 0);
    S("reconcile", "--from", "yesterday-ish");
    assert_int_equal(g_rc, EX_DATAERR);
}

static void
test_deleted_op_is_named_and_resent(void **state)
{
    (void) state;
    start("hb_itest_reconcile_deleted");
    uint64_t victim = 5;  /* an accepted service of vol's, paid by the guarantee */
    PGconn *pg = hb_h_pg(central.conninfo);
    int64_t vol_before = hb_h_pg_int(pg, "SELECT a.credits - a.debits FROM account a JOIN member m"
                                         " ON m.account_id = a.id WHERE m.station_id = 1 AND m.seq = 1");
    PQfinish(pg);
    delete_op(victim);
    /* verify's sums cannot see it: that is what reconciliation is for */
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);

    reconcile(NULL);
    if (g_rc != EX_DIFFERENCES)
        fail_msg("exit %d, expected 1\n%s\n%s", g_rc, g_out, g_err);
    expect_count("missing", 1);
    expect_count("altered", 0);
    expect_count("extra", 0);
    expect_count("resent", 1);
    expect_count("ranges_differing", 1);
    expect_diff(victim, "missing", "\"resent_result\": \"OK\"");
    has(g_out, "\"differing\": [");

    pg = hb_h_pg(central.conninfo);
    assert_int_equal(held(pg, "op", victim), 1);        /* posted again, once */
    assert_int_equal(held(pg, "transfer", victim), 1);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 1"), 3 + SERVICES);
    assert_int_equal(hb_h_pg_int(pg, "SELECT a.credits - a.debits FROM account a JOIN member m"
                                     " ON m.account_id = a.id WHERE m.station_id = 1 AND m.seq = 1"),
                     vol_before);
    PQfinish(pg);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    assert_true(hb_h_log_wait(central.log, "ALERT reconcile", 1, 5000));

    /* the same run again: central now holds exactly what the station holds */
    reconcile(NULL);
    if (g_rc != 0)
        fail_msg("exit %d after the resend\n%s\n%s", g_rc, g_out, g_err);
    expect_count("missing", 0);
    pg = hb_h_pg(central.conninfo);
    assert_int_equal(held(pg, "op", victim), 1);
    PQfinish(pg);
    stations();
    has(g_out, "\"reconcile_missing\": 0,");

    /* the people's text: the same finding, in both languages, exit 1 */
    delete_op(victim);
    for (size_t l = 0; l < LANG_COUNT; l++) {
        use_lang(langs[l]);
        S("reconcile");
        assert_int_equal(g_rc, l == 0 ? EX_DIFFERENCES : 0);  /* the first run resends it */
        char seq[16];
        snprintf(seq, sizeof seq, "%llu", (unsigned long long) victim);
        if (l == 0)
            has(g_out, seq);
    }
    use_lang(langs[0]);
}

static void
test_altered_ops_are_named(void **state)
{
    (void) state;
    start("hb_itest_reconcile_altered");
    PGconn *pg = superuser();
    /* seq 4: another payload hash; seq 6: an accepted op now says refused */
    assert_true(hb_h_pg_ok(pg, "UPDATE op SET payload_hash = sha256('forged'::bytea) WHERE station_id = 1 AND seq = 4"));
    assert_true(hb_h_pg_ok(pg, "UPDATE op SET result = 12 WHERE station_id = 1 AND seq = 6"));
    PQfinish(pg);

    reconcile(NULL);
    if (g_rc != EX_DIFFERENCES)
        fail_msg("exit %d, expected 1\n%s\n%s", g_rc, g_out, g_err);
    expect_count("missing", 0);
    expect_count("altered", 2);
    expect_count("extra", 0);
    expect_diff(4, "altered", "\"hash_differs\": true");
    expect_diff(6, "altered", "\"central_result\": \"INSUFFICIENT_BALANCE\"");
    expect_diff(6, "altered", "\"station_result\": \"OK\"");
    assert_true(hb_h_log_wait(central.log, "ALERT reconcile", 1, 5000));

    stations();
    has(g_out, "\"reconcile_altered\": 2,");
    /* the table names the open mismatch too */
    run_bin("hourbank", (const char *const[]){"stations", "--admin", admin_yaml, NULL}, NULL);
    expect_ok();
    has(g_out, "open mismatch: station 1 (");
    has(g_out, "found 0 missing at central, 2 altered at central, 0 held only by central");

    /* nothing was resent: an altered op is central's to explain */
    pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 1"), 3 + SERVICES);
    PQfinish(pg);
}

static void
test_ops_only_central_holds_are_reported(void **state)
{
    (void) state;
    start("hb_itest_reconcile_extra");
    hb_h_station_stop(&station, SIGTERM);  /* a clean stop checkpoints the WAL */
    hb_h_station_copy_outbox(&station, ".backup", false);
    hb_h_station_start(&station);
    uint64_t first_lost = service(false);
    service(false);
    uint64_t last_lost = service(false);
    wait_drained();
    hb_h_station_stop(&station, SIGTERM);
    hb_h_station_copy_outbox(&station, ".backup", true);  /* the disk dies; the backup comes back, no `restore` */
    hb_h_station_start(&station);
    uint64_t after = 0;
    for (int i = 0; i < 100 && after == 0; i++) {  /* the hello moves the next seq past central's */
        hb_h_client_t *cl = hb_h_station_client(&station);
        Hourbank__Envelope *q = hb_h_queue(cl, false);
        if (q && strcmp(q->queue_reply->link, "up") == 0)
            after = 1;
        hb_wire_free(&q);
        hb_h_client_destroy(&cl);
        if (!after)
            usleep(100 * 1000);
    }
    assert_int_equal(after, 1);
    uint64_t next = service(false);
    assert_true(next > last_lost);
    wait_drained();

    reconcile(NULL);
    if (g_rc != EX_DIFFERENCES)
        fail_msg("exit %d, expected 1\n%s\n%s", g_rc, g_out, g_err);
    expect_count("missing", 0);
    expect_count("altered", 0);
    expect_count("extra", (unsigned) (last_lost - first_lost + 1));
    for (uint64_t s = first_lost; s <= last_lost; s++)
        expect_diff(s, "extra", "\"kind\": \"service\"");
    assert_true(hb_h_log_wait(central.log, "ALERT reconcile", 1, 5000));
    stations();
    char want[64];
    snprintf(want, sizeof want, "\"reconcile_extra\": %llu", (unsigned long long) (last_lost - first_lost + 1));
    has(g_out, want);

    /* the same findings again: reported again, logged as a repeat, not a new ALERT */
    int alerts = hb_h_log_count(central.log, "ALERT reconcile");
    reconcile(NULL);
    assert_int_equal(g_rc, EX_DIFFERENCES);
    expect_count("extra", (unsigned) (last_lost - first_lost + 1));
    usleep(500 * 1000);
    assert_int_equal(hb_h_log_count(central.log, "ALERT reconcile"), alerts);
}

static void
test_idle_run_finds_a_deleted_op(void **state)
{
    (void) state;
    setenv("TZ", "UTC", 1);
    snprintf(run_dir, sizeof run_dir, "%s", hb_h_tmpdir("hb_itest_reconcile_idle"));
    hb_h_central_init(&central, "hb_itest_reconcile_idle", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, 1, 0);
    FILE *f = fopen(station.conf, "a");
    assert_non_null(f);
    fprintf(f, "reconcile_interval: %ds\n", IDLE_INTERVAL_S);
    fclose(f);
    hb_h_station_start(&station);
    use_lang("en_US.UTF-8");
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char year[16];
    snprintf(year, sizeof year, "%d", tm.tm_year + TM_YEAR_BASE - ELDER_AGE_YEARS);
    registered("Zhang Wei", "volunteer", NULL, vol, sizeof vol);
    registered("Wang Lao", "elder", year, eldest, sizeof eldest);
    uint64_t victim = service(false);
    service(false);
    wait_drained();
    delete_op(victim);
    /* nobody asks: the station runs by itself once idle, finds and resends it */
    if (!hb_h_log_wait(central.log, "ALERT reconcile: station 1", 1, IDLE_WAIT_MS))
        fail_msg("no idle reconcile reported the deleted op");
    PGconn *pg = hb_h_pg(central.conninfo);
    for (int i = 0; i < 100 && held(pg, "op", victim) == 0; i++)
        usleep(100 * 1000);
    assert_int_equal(held(pg, "op", victim), 1);
    assert_int_equal(held(pg, "transfer", victim), 1);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 1"), 4);
    PQfinish(pg);
    snprintf(admin_yaml, sizeof admin_yaml, "%s", hb_h_admin_yaml(&central, central.dir));
    stations();
    has(g_out, "\"reconciled_through\": 4,");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_clean_ledger_agrees, cli_teardown),
        cmocka_unit_test_teardown(test_deleted_op_is_named_and_resent, cli_teardown),
        cmocka_unit_test_teardown(test_altered_ops_are_named, cli_teardown),
        cmocka_unit_test_teardown(test_ops_only_central_holds_are_reported, cli_teardown),
        cmocka_unit_test_teardown(test_idle_run_finds_a_deleted_op, cli_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
