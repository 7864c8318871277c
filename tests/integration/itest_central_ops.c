/* Running central: SIGHUP reloads the rules (and refuses a broken file),
 * PostgreSQL going away and coming back loses and doubles nothing, a
 * schema central cannot use stops it with the reason, and batches from
 * stations sending at once are committed together. */
#include "hb_itest.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOG_WAIT_MS 15000
#define RECOVERY_WAIT_MS 40000   /* central retries the database every <= 10 s */
#define NO_ACK_WAIT_MS 3000
#define EXIT_WAIT_MS 15000

static hb_h_central_t central;
static hb_h_pgcluster_t private_pg;

#define Q(n) hb_h_member("QX03", n)

/* Stops what a test left running, also when it failed half-way. */
static int
teardown(void **state)
{
    (void) state;
    if (central.pid > 0)
        hb_h_central_stop(&central, SIGKILL);
    hb_h_pgcluster_destroy(&private_pg);
    return 0;
}

static void
stop_central_cleanly(void)
{
    int st = hb_h_central_stop(&central, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
send_expect(hb_h_client_t *cl, hb_h_batch_t *b, const int *want, size_t n)
{
    Hourbank__Envelope *ack = itest_send(cl, b);
    itest_expect(ack, want, n);
    hb_wire_free(&ack);
}

/* The catalogue as a station sees it, names joined with ','. */
static void
categories_of(hb_h_client_t *cl, char *out, size_t size)
{
    Hourbank__Envelope env;
    Hourbank__CategoriesQuery q;
    hourbank__envelope__init(&env);
    hourbank__categories_query__init(&q);
    env.body_case = HOURBANK__ENVELOPE__BODY_CATEGORIES_QUERY;
    env.categories_query = &q;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 5000);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_CATEGORIES_REPLY);
    out[0] = '\0';
    for (size_t i = 0; i < r->categories_reply->n_categories; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? "," : "", r->categories_reply->categories[i]->name);
    hb_wire_free(&r);
}

static void
send_sighup(void)
{
    assert_int_equal(kill(central.pid, SIGHUP), 0);
}

/* ---- (a) SIGHUP ---- */

static void
sighup_new_rules(hb_h_client_t *cl, PGconn *pg, hb_h_batch_t *first)
{
    int64_t now = (int64_t) time(NULL);
    hb_h_central_write_config(&central, "5h", NULL, NULL, "gardening");
    send_sighup();
    assert_true(hb_h_log_wait(central.log, "configuration reloaded rules_version=2", 1, LOG_WAIT_MS));
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM rules_version"), 2);
    assert_int_equal(hb_h_pg_int(pg, "SELECT cap FROM district_rule WHERE version = 1 AND district = 'GULOU'"), 180);
    assert_int_equal(hb_h_pg_int(pg, "SELECT cap FROM district_rule WHERE version = 2 AND district = 'GULOU'"), 300);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM category WHERE version = 2 AND name = 'gardening'"), 1);

    /* new ops see the new rules */
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 6, now, Q(1), Q(2), 60, "personal-care");  /* 210 <= 5h */
    hb_h_batch_service(b, 7, now, Q(2), Q(1), 30, "gardening");      /* A pays: 180 */
    const int ok[] = {1, 1};
    send_expect(cl, b, ok, 2);
    hb_h_batch_free(&b);
    assert_int_equal(hb_h_pg_int(pg, "SELECT rules_version FROM transfer WHERE station_id = 1 AND seq = 6"), 2);
    assert_int_equal(hb_h_pg_int(pg, "SELECT rules_version FROM transfer WHERE station_id = 1 AND seq = 3"), 1);
    /* a rejection stays final: the old ops resent are judged as before */
    const int before[] = {1, 1, 1, HOURBANK__RESULT__CAP_EXCEEDED, HOURBANK__RESULT__UNKNOWN_CATEGORY};
    send_expect(cl, first, before, 5);
    char cats[256];
    categories_of(cl, cats, sizeof cats);
    assert_string_equal(cats, "companionship,gardening,meal-delivery,personal-care");

    /* the same rules again: reloaded, but no new version */
    send_sighup();
    assert_true(hb_h_log_wait(central.log, "configuration reloaded rules_version=2", 2, LOG_WAIT_MS));
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM rules_version"), 2);
}

static void
sighup_broken_file(hb_h_client_t *cl, PGconn *pg)
{
    hb_h_write_file(central.conf, "listen: [unclosed\ndatabase: 12\n");
    send_sighup();
    assert_true(hb_h_log_wait(central.log, "reload refused", 1, LOG_WAIT_MS));
    /* file:line:column errors, logged just after the line above: waited for,
     * not counted at once (under load the test read between the two lines) */
    assert_true(hb_h_log_wait(central.log, "central.yaml:", 1, LOG_WAIT_MS));
    assert_int_equal(waitpid(central.pid, NULL, WNOHANG), 0);       /* still running */
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM rules_version"), 2);
    /* still serving, under the rules it had: 240 passes 3h but not 5h */
    assert_int_equal(hb_h_hello(cl, 1, 7), 7);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 8, (int64_t) time(NULL), Q(1), Q(2), 60, "personal-care");
    const int ok[] = {1};
    send_expect(cl, b, ok, 1);
    hb_h_batch_free(&b);
    assert_int_equal(itest_balance(pg, Q(1)), 240);
}

static void
test_sighup_reload(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_ops_hup", "3h", NULL, NULL);
    hb_h_central_start(&central);
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM rules_version"), 1);
    int64_t now = (int64_t) time(NULL);
    hb_h_batch_t *first = hb_h_batch_new();
    hb_h_batch_register(first, 1, Q(1), "A", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_register(first, 2, Q(2), "B", HOURBANK__ROLE__ELDER, 1940, NULL);
    hb_h_batch_service(first, 3, now, Q(1), Q(2), 150, "personal-care");  /* guarantee pays */
    hb_h_batch_service(first, 4, now, Q(1), Q(2), 60, "personal-care");   /* 210 > 3h */
    hb_h_batch_service(first, 5, now, Q(2), Q(1), 30, "gardening");       /* not yet a category */
    const int want[] = {1, 1, 1, HOURBANK__RESULT__CAP_EXCEEDED, HOURBANK__RESULT__UNKNOWN_CATEGORY};
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    assert_int_equal(hb_h_hello(cl, 1, 0), 0);
    send_expect(cl, first, want, 5);

    sighup_new_rules(cl, pg, first);
    sighup_broken_file(cl, pg);

    hb_h_batch_free(&first);
    hb_h_client_destroy(&cl);
    PQfinish(pg);
    stop_central_cleanly();
}

/* ---- (b) PostgreSQL unreachable ---- */

/* Central on a private cluster, so that the test can stop it. */
static void
central_on_private_pg(const char *name)
{
    hb_h_pgcluster_init(&private_pg, "hb_pg_private");
    assert_true(hb_h_pgcluster_start(&private_pg));
    hb_h_central_init(&central, name, NULL, NULL, NULL);
    snprintf(central.conninfo, sizeof central.conninfo, "%s", private_pg.conninfo);
    hb_h_central_write_config(&central, NULL, NULL, NULL, NULL);
    assert_int_equal(hb_h_central_cmd(&central, "migrate"), 0);
    hb_h_central_start(&central);
}

static void
during_outage(hb_h_client_t *cl, hb_h_batch_t *b)
{
    for (int i = 0; i < 2; i++) {  /* no ack, however often the station asks */
        Hourbank__Envelope *r = hb_h_client_call(cl, hb_h_batch_envelope(b), NO_ACK_WAIT_MS);
        assert_null(r);
    }
    assert_int_equal(hb_h_hello(cl, 1, 2), -1);  /* answered UNAVAILABLE: no mark to give */
    Hourbank__Envelope *r = hb_h_balance(cl, Q(1), 5000);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    assert_int_equal(r->error->code, HOURBANK__RESULT__UNAVAILABLE);
    hb_wire_free(&r);
    assert_int_equal(waitpid(central.pid, NULL, WNOHANG), 0);  /* central keeps running */
}

static void
test_database_outage(void **state)
{
    (void) state;
    central_on_private_pg("hb_itest_ops_down");
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    assert_int_equal(hb_h_hello(cl, 1, 0), 0);
    hb_h_batch_t *reg = hb_h_batch_new();
    hb_h_batch_register(reg, 1, Q(1), "A", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_register(reg, 2, Q(2), "B", HOURBANK__ROLE__ELDER, 1940, NULL);
    const int two_ok[] = {1, 1};
    send_expect(cl, reg, two_ok, 2);
    int64_t now = (int64_t) time(NULL);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 3, now, Q(1), Q(2), 60, "personal-care");
    hb_h_batch_service(b, 4, now, Q(1), Q(2), 30, "personal-care");

    assert_true(hb_h_pgcluster_stop(&private_pg, true));
    during_outage(cl, b);
    assert_true(hb_h_log_wait(central.log, "acks withheld", 1, LOG_WAIT_MS));
    assert_true(hb_h_pgcluster_start(&private_pg));
    assert_true(hb_h_log_wait(central.log, "ledger database connection restored", 1, RECOVERY_WAIT_MS));

    Hourbank__Envelope *ack = itest_send(cl, b);
    itest_expect(ack, two_ok, 2);
    uint64_t transfer = ack->batch_ack->results[0]->transfer_id;
    hb_wire_free(&ack);
    ack = itest_send(cl, b);  /* the station did not see that ack: resends */
    itest_expect(ack, two_ok, 2);
    assert_int_equal(ack->batch_ack->results[0]->transfer_id, transfer);
    hb_wire_free(&ack);

    PGconn *pg = hb_h_pg(private_pg.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op"), 4);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM transfer"), 2);
    assert_int_equal(itest_balance(pg, Q(1)), 90);
    PQfinish(pg);
    assert_int_equal(hb_h_log_count(central.log, "acks withheld"), 1);  /* the outage, logged once */
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    hb_h_batch_free(&reg);
    hb_h_batch_free(&b);
    hb_h_client_destroy(&cl);
    stop_central_cleanly();
    hb_h_pgcluster_destroy(&private_pg);
}

/* ---- (c) a schema central cannot use ---- */

/* Runs "hourbank-central run" and returns its exit code; -1 (after
 * killing it) if it is still running after EXIT_WAIT_MS. */
static int
run_until_exit(void)
{
    char bin[600];
    char *argv[] = {(char *) (uintptr_t) hb_h_bin("hourbank-central", bin, sizeof bin), "-c", central.conf,
                    "run", NULL};
    pid_t pid = hb_h_spawn(argv, central.log);
    for (int waited = 0; waited < EXIT_WAIT_MS; waited += 50) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        usleep(50 * 1000);
    }
    hb_h_stop(pid, SIGKILL);
    return -1;
}

static void
test_schema_refusals(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_ops_schema", NULL, NULL, NULL);
    char migrated[sizeof central.conninfo];
    snprintf(migrated, sizeof migrated, "%s", central.conninfo);

    /* an empty database: run migrate */
    snprintf(central.conninfo, sizeof central.conninfo, "%s", hb_h_createdb("hb_itest_ops_empty"));
    hb_h_central_write_config(&central, NULL, NULL, NULL, NULL);
    assert_int_equal(run_until_exit(), 1);
    assert_int_equal(hb_h_log_count(central.log, "the database has no hourbank schema: run \"hourbank-central migrate\""), 1);

    /* a schema newer than this binary: upgrade */
    snprintf(central.conninfo, sizeof central.conninfo, "%s", migrated);
    hb_h_central_write_config(&central, NULL, NULL, NULL, NULL);
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_true(hb_h_pg_ok(pg, "INSERT INTO hb_schema_migration (version, name, checksum)"
                               " VALUES (9999, '9999_future.sql', 'from a newer hourbank-central')"));
    assert_int_equal(run_until_exit(), 1);
    assert_int_equal(hb_h_log_count(central.log, "the database schema is version 9999, newer than this binary's"), 1);
    assert_int_equal(hb_h_log_count(central.log, "upgrade hourbank-central"), 1);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 1);  /* verify refuses it too */

    /* the same database without that row serves */
    assert_true(hb_h_pg_ok(pg, "DELETE FROM hb_schema_migration WHERE version = 9999"));
    PQfinish(pg);
    hb_h_central_start(&central);
    stop_central_cleanly();
}

/* ---- (d) group commit ---- */

#define GC_STATIONS HB_H_STATIONS
#define GC_BATCHES 60
#define GC_OPS 20

typedef struct {
    uint32_t station;
    int acked;
    char failure[256];
} gc_station_t;

/* Registrations only: every op is accepted, so every ack is checkable.
 * Stations of one community use disjoint serial ranges. */
static void *
gc_run(void *arg)
{
    gc_station_t *g = arg;
    const char *community = g->station <= 2 ? "QX03" : "QH01";
    uint32_t base = g->station % 2 ? 0 : 500000;  /* the stations' serial ranges */
    hb_h_client_t *cl = hb_h_central_client(&central, g->station);
    if (hb_h_hello(cl, g->station, 0) != 0)
        snprintf(g->failure, sizeof g->failure, "station %u: hello failed", g->station);
    for (int i = 0; i < GC_BATCHES && !g->failure[0]; i++) {
        hb_h_batch_t *b = hb_h_batch_new();
        for (uint64_t k = 1; k <= GC_OPS; k++) {
            uint64_t seq = (uint64_t) i * GC_OPS + k;
            hb_h_batch_register(b, seq, hb_h_member(community, base + (uint32_t) seq), "Group member",
                                HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
        }
        Hourbank__Envelope *r = hb_h_client_call(cl, hb_h_batch_envelope(b), 30000);
        if (!r || r->body_case != HOURBANK__ENVELOPE__BODY_BATCH_ACK ||
            r->batch_ack->batch_result != HOURBANK__RESULT__OK || r->batch_ack->n_results != GC_OPS)
            snprintf(g->failure, sizeof g->failure, "station %u: batch %d not acked OK", g->station, i);
        else
            g->acked++;
        hb_wire_free(&r);
        hb_h_batch_free(&b);
    }
    hb_h_client_destroy(&cl);
    return NULL;
}

/* Reads every "group committed batches=N" line: histogram by N. */
static int
group_sizes(int hist[HB_GROUP_BATCHES_MAX + 1])
{
    memset(hist, 0, sizeof(int) * (HB_GROUP_BATCHES_MAX + 1));
    FILE *f = fopen(central.log, "r");
    assert_non_null(f);
    char line[1024];
    int batches = 0;
    while (fgets(line, sizeof line, f)) {
        const char *at = strstr(line, "group committed batches=");
        if (!at)
            continue;
        long n = strtol(at + strlen("group committed batches="), NULL, 10);
        assert_true(n >= 1 && n <= HB_GROUP_BATCHES_MAX);
        hist[n]++;
        batches += (int) n;
    }
    fclose(f);
    return batches;
}

static void
test_group_commit(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_ops_group", NULL, NULL, NULL);
    hb_h_central_start(&central);
    gc_station_t g[GC_STATIONS];
    pthread_t th[GC_STATIONS];
    memset(g, 0, sizeof g);
    for (int i = 0; i < GC_STATIONS; i++) {
        g[i].station = (uint32_t) i + 1;
        pthread_create(&th[i], NULL, gc_run, &g[i]);
    }
    for (int i = 0; i < GC_STATIONS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < GC_STATIONS; i++)
        if (g[i].failure[0])
            fail_msg("%s", g[i].failure);
    stop_central_cleanly();  /* every debug line is written */
    int hist[HB_GROUP_BATCHES_MAX + 1];
    int batches = group_sizes(hist);
    /* each batch was sent once, so committed once */
    assert_int_equal(batches, GC_STATIONS * GC_BATCHES);
    int groups = 0, shared = 0, largest = 0;
    for (int n = 1; n <= HB_GROUP_BATCHES_MAX; n++) {
        groups += hist[n];
        shared += n > 1 ? hist[n] * n : 0;
        largest = hist[n] ? n : largest;
        if (hist[n])
            print_message("group commit: %d commits of %d batches\n", hist[n], n);
    }
    print_message("group commit: %d batches in %d commits, %d batches shared a commit, largest %d\n", batches,
                  groups, shared, largest);
    assert_true(largest > 1);
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE result = 1"), GC_STATIONS * GC_BATCHES * GC_OPS);
    PQfinish(pg);
}

/* An op that fails inside PostgreSQL (a trigger injects the failure at op
 * 1, 2 or 3 of a pipelined batch): the batch is answered INTERNAL, nothing
 * of it is stored, and once the fault is gone the resent batch posts. */
static void
test_failing_op_in_pipeline(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_ops_fail", NULL, NULL, NULL);
    hb_h_central_start(&central);
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_true(hb_h_pg_ok(pg, "CREATE FUNCTION itest_fail() RETURNS trigger LANGUAGE plpgsql AS"
                               " $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$"));
    hb_h_batch_t *b = hb_h_batch_new();
    for (uint32_t n = 1; n <= 3; n++)
        hb_h_batch_register(b, n, Q(n), "Pipeline", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    for (int failing = 1; failing <= 3; failing++) {
        char sql[256];
        snprintf(sql, sizeof sql, "DROP TRIGGER IF EXISTS itest_fail ON op; CREATE TRIGGER itest_fail"
                                  " BEFORE INSERT ON op FOR EACH ROW WHEN (NEW.seq = %d)"
                                  " EXECUTE FUNCTION itest_fail()", failing);
        assert_true(hb_h_pg_ok(pg, sql));
        Hourbank__Envelope *ack = hb_h_client_call(cl, hb_h_batch_envelope(b), 10000);
        assert_non_null(ack);
        assert_int_equal(ack->body_case, HOURBANK__ENVELOPE__BODY_BATCH_ACK);
        assert_int_equal(ack->batch_ack->batch_result, HOURBANK__RESULT__INTERNAL);
        assert_int_equal(ack->batch_ack->n_results, 0);
        hb_wire_free(&ack);
        assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op"), 0);
        assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM member"), 0);
    }
    assert_true(hb_h_pg_ok(pg, "DROP TRIGGER itest_fail ON op"));
    const int ok[] = {1, 1, 1};
    send_expect(cl, b, ok, 3);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM member"), 3);
    hb_h_client_destroy(&cl);
    hb_h_batch_free(&b);
    PQfinish(pg);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    stop_central_cleanly();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_sighup_reload, teardown),
        cmocka_unit_test_teardown(test_database_outage, teardown),
        cmocka_unit_test_teardown(test_schema_refusals, teardown),
        cmocka_unit_test_teardown(test_group_commit, teardown),
        cmocka_unit_test_teardown(test_failing_op_in_pipeline, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
