/* Central behind its stations: central is restored from an older dump (or
 * fails over to a standby that missed commits) and holds less than its
 * stations were told. The station says so once, sends again every op it
 * still holds above central's mark, each is posted exactly once, and an op
 * whose answer now differs (UNKNOWN_MEMBER: the other station's
 * registration has not been resent yet) is kept with both results, and
 * the station reads central's older directory again from the start.
 * When the station no longer holds some of the lost ops, it says so in
 * its status and backs off instead of hammering central; restoring central
 * from a newer dump clears it.
 *
 * Stations 3 (A) and 4 (B) serve QH01, where the guarantee pays for
 * recipients aged 85 and over. */
#include "hb_itest.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define A_ID 3
#define B_ID 4

static hb_h_central_t central;
static hb_h_station_t sta, stb;
static char dbname[128];
static char a1[32], a2[32], m[32];

/* ---- helpers ---- */

/* Central's database becomes a copy of snapshot `from` (central stopped). */
static void
restore_central(const char *from)
{
    hb_h_pg_admin("DROP DATABASE %s", dbname);
    hb_h_pg_admin("CREATE DATABASE %s TEMPLATE %s", dbname, from);
}

static int64_t
central_int(const char *sql)
{
    PGconn *pg = hb_h_pg(central.conninfo);
    int64_t v = hb_h_pg_int(pg, sql);
    PQfinish(pg);
    return v;
}

/* Waits until central holds `want` ops of station A. */
static void
wait_ops(int64_t want)
{
    int64_t n = -1;
    for (int i = 0; i < 300 && n != want; i++) {
        n = central_int("SELECT count(*) FROM op WHERE station_id = 3");
        if (n != want)
            usleep(100 * 1000);
    }
    assert_int_equal(n, want);
}

static uint64_t
save(hb_h_station_t *s, hb_h_batch_t *b, char *member_no)
{
    hb_h_client_t *cl = hb_h_station_client(s);
    int code;
    char msg[256];
    uint64_t seq = hb_h_save(cl, hb_h_batch_op(b, 0), &code, member_no, msg, sizeof msg);
    if (!seq)
        fail_msg("save refused (%d): %s", code, msg);
    hb_h_client_destroy(&cl);
    hb_h_batch_free(&b);
    return seq;
}

static uint64_t
register_one(hb_h_station_t *s, const char *name, int role, uint32_t born, char *member_no)
{
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", name, role, born, NULL);
    return save(s, b, member_no);
}

static uint64_t
service(hb_h_station_t *s, const char *provider, const char *recipient, int64_t minutes)
{
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 0, (int64_t) time(NULL) - 60, provider, recipient, minutes, "personal-care");
    return save(s, b, NULL);
}

static void
drained(hb_h_station_t *s)
{
    hb_h_client_t *cl = hb_h_station_client(s);
    assert_true(hb_h_wait_drained(cl, 30));
    hb_h_client_destroy(&cl);
}

/* The station's status alert, polled until it contains `want` ("" = none). */
static void
wait_alert(hb_h_station_t *s, const char *want)
{
    hb_h_client_t *cl = hb_h_station_client(s);
    char seen[512] = "(no answer)";
    for (int i = 0; i < 300; i++) {
        Hourbank__Envelope *q = hb_h_queue(cl, false);
        if (q)
            snprintf(seen, sizeof seen, "%s", q->queue_reply->alert);
        hb_wire_free(&q);
        if (want[0] ? strstr(seen, want) != NULL : seen[0] == '\0')
            break;
        usleep(100 * 1000);
    }
    hb_h_client_destroy(&cl);
    if (want[0] ? strstr(seen, want) == NULL : seen[0] != '\0')
        fail_msg("station alert \"%s\", want \"%s\"", seen, want);
}

/* A knows member_no once its directory has it (refreshed after acks). */
static void
wait_known(hb_h_station_t *s, const char *member_no)
{
    hb_h_client_t *cl = hb_h_station_client(s);
    bool known = false;
    for (int i = 0; i < 200 && !known; i++) {
        Hourbank__Envelope *r = hb_h_balance(cl, member_no, 2000);
        known = r && r->body_case == HOURBANK__ENVELOPE__BODY_BALANCE_REPLY;
        hb_wire_free(&r);
        if (!known)
            usleep(100 * 1000);
    }
    hb_h_client_destroy(&cl);
    assert_true(known);
}

/* ---- the scenario ---- */

/* Central keeps seqs 1..3 of A; A then saves 4..6 (6: a service by B's
 * member M) and B registers M; central is restored to the 1..3 dump. */
static void
lose_acked_work(void)
{
    register_one(&sta, "Volunteer A1", HOURBANK__ROLE__VOLUNTEER, 1960, a1);
    register_one(&sta, "Elder A2", HOURBANK__ROLE__ELDER, 1930, a2);
    assert_int_equal(service(&sta, a1, a2, 30), 3);
    drained(&sta);
    hb_h_central_stop(&central, SIGTERM);
    hb_h_pg_admin("CREATE DATABASE %s_old TEMPLATE %s", dbname, dbname);
    hb_h_central_start(&central);

    assert_int_equal(service(&sta, a1, a2, 45), 4);
    assert_int_equal(service(&sta, a1, a2, 15), 5);
    register_one(&stb, "Volunteer M", HOURBANK__ROLE__VOLUNTEER, 1965, m);
    drained(&stb);
    wait_known(&sta, m);
    assert_int_equal(service(&sta, m, a2, 60), 6);
    drained(&sta);
    assert_int_equal(central_int("SELECT count(*) FROM op WHERE station_id = 3 AND result = 1"), 6);

    hb_h_station_stop(&stb, SIGTERM);  /* B comes back later: M is unknown when A resends */
    hb_h_central_stop(&central, SIGTERM);
    char old[160];
    snprintf(old, sizeof old, "%s_old", dbname);
    restore_central(old);
    hb_h_central_start(&central);
}

static void
check_resent_once(void)
{
    wait_ops(6);
    wait_alert(&sta, "");  /* resend finished */
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(DISTINCT seq) FROM op WHERE station_id = 3"), 6);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 3 AND result = 1"), 5);
    assert_int_equal(hb_h_pg_int(pg, "SELECT result FROM op WHERE station_id = 3 AND seq = 6"), 8);
    assert_int_equal(itest_balance(pg, a1), 90);  /* 30 + 45 + 15, each once */
    PQfinish(pg);
    /* the station keeps both answers of seq 6, and only of seq 6 */
    assert_int_equal(hb_h_sqlite_int(sta.outbox, "SELECT result FROM ops WHERE seq = 6"), 8);
    assert_int_equal(hb_h_sqlite_int(sta.outbox, "SELECT prior_result FROM ops WHERE seq = 6"), 1);
    assert_int_equal(hb_h_sqlite_int(sta.outbox, "SELECT count(*) FROM ops WHERE prior_result IS NOT NULL"), 1);
    assert_int_equal(hb_h_log_count(sta.log, "ALERT central lost seqs 4..6"), 1);
    /* its cached directory is newer than central's now: read again from 0 */
    assert_true(hb_h_log_count(sta.log, "central's directory is older than the cached one") >= 1);
    assert_true(hb_h_log_count(sta.log, "op answered differently when resent to central seq=6 first=OK"
                                        " now=UNKNOWN_MEMBER") == 1);
}

/* B resends M's registration; the operator enters the refused service
 * again: M is credited exactly once. */
static void
operator_reenters(void)
{
    hb_h_station_start(&stb);
    for (int i = 0; i < 300 && central_int("SELECT count(*) FROM op WHERE station_id = 4") != 1; i++)
        usleep(100 * 1000);
    assert_int_equal(central_int("SELECT count(*) FROM op WHERE station_id = 4 AND result = 1"), 1);
    assert_int_equal(service(&sta, m, a2, 60), 7);
    drained(&sta);
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(itest_balance(pg, m), 60);
    PQfinish(pg);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
}

/* Seq 4 is gone from A's outbox (as if compacted): central cannot take 5..7
 * before it. A says so in its status, once in its log, and backs off. */
static void
lost_beyond_reach(void)
{
    hb_h_station_stop(&sta, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
    hb_h_pg_admin("CREATE DATABASE %s_new TEMPLATE %s", dbname, dbname);
    char old[160];
    snprintf(old, sizeof old, "%s_old", dbname);
    restore_central(old);
    assert_int_equal(hb_h_sqlite_int(sta.outbox, "UPDATE meta SET last_seq = 7 WHERE id = 1"), -1);
    assert_int_equal(hb_h_sqlite_int(sta.outbox, "DELETE FROM ops WHERE seq = 4"), -1);
    hb_h_central_start(&central);
    int hellos_before = hb_h_log_count(central.log, "station=3 station_acked=");
    hb_h_station_start(&sta);
    wait_alert(&sta, "central lost seqs 4..7");
    sleep(8);
    int hellos = hb_h_log_count(central.log, "station=3 station_acked=") - hellos_before;
    print_message("hellos of station A in 8 s while central refuses its batches: %d\n", hellos);
    assert_true(hellos >= 2 && hellos <= 10);  /* a growing backoff, not a thousand a minute */
    assert_int_equal(hb_h_log_count(sta.log, "ALERT central lost seqs 4..7"), 1);
    assert_int_equal(central_int("SELECT count(*) FROM op WHERE station_id = 3"), 3);  /* nothing out of order */
}

/* District IT restores central from the newer dump: the alert clears. */
static void
recovered(void)
{
    hb_h_central_stop(&central, SIGTERM);
    char newer[160];
    snprintf(newer, sizeof newer, "%s_new", dbname);
    restore_central(newer);
    hb_h_central_start(&central);
    wait_alert(&sta, "");
    assert_int_equal(central_int("SELECT count(DISTINCT seq) FROM op WHERE station_id = 3"), 7);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
}

static void
test_central_behind_station(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_behind", NULL, NULL, NULL);
    snprintf(dbname, sizeof dbname, "%s", hb_h_central_dbname(&central));
    hb_h_central_start(&central);
    hb_h_station_init(&sta, &central, A_ID, 0);
    hb_h_station_init(&stb, &central, B_ID, 0);
    hb_h_station_start(&sta);
    hb_h_station_start(&stb);
    lose_acked_work();
    check_resent_once();
    operator_reenters();
    lost_beyond_reach();
    recovered();
    hb_h_station_stop(&sta, SIGTERM);
    hb_h_station_stop(&stb, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
    hb_h_pg_admin("DROP DATABASE %s_old", dbname);
    hb_h_pg_admin("DROP DATABASE %s_new", dbname);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_central_behind_station)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
