/* A station's key is replaced in central.yaml while the station is
 * connected: after central's SIGHUP the open connection with the old key is
 * refused (NOT_AUTHORIZED) within seconds, and a gift saved afterwards is
 * not posted. The station is then given the new key pair (its key files
 * rewritten, SIGHUP to the station): it makes a new link with them, and the
 * gift posts, exactly once. A setting the station cannot change live makes
 * its SIGHUP say that a restart is needed. */
#include "hb_itest.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hb_keyfile.h"

#define GIFT_MINUTES 45
#define SERVICE_MINUTES 120
#define REFUSAL_WAIT_MS 10000
#define RELINK_WAIT_S 30

static hb_h_central_t central;
static hb_h_station_t station;

static uint64_t
save(hb_h_client_t *cl, hb_h_batch_t *b, char *member_no)
{
    char msg[256];
    int code = 0;
    uint64_t seq = hb_h_save(cl, hb_h_batch_op(b, 0), &code, member_no, msg, sizeof msg);
    if (!seq)
        fail_msg("save refused (%d): %s", code, msg);
    hb_h_batch_free(&b);
    return seq;
}

static int64_t
gifts_posted(PGconn *pg)
{
    return hb_h_pg_int(pg, "SELECT count(*) FROM transfer WHERE kind = 'gift'");
}

/* Replaces the station's key files (same paths) with the pair central.yaml
 * lists for it now. */
static void
give_station_new_keys(void)
{
    char path[700], msg[256];
    snprintf(path, sizeof path, "%s/station.public", station.dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(hb_keyfile_write(path, false, central.station_pub[1], msg, sizeof msg), 0);
    snprintf(path, sizeof path, "%s/station.secret", station.dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(hb_keyfile_write(path, true, central.station_sec[1], msg, sizeof msg), 0);
}

/* A setting that cannot change live (the outbox's size limit): SIGHUP
 * says a restart is needed, not "configuration reloaded". */
static void
expect_restart_needed(void)
{
    static char text[8192];
    hb_h_read_file(station.conf, text, sizeof text);
    char *at = strstr(text, "outbox_max_bytes: ");
    assert_non_null(at);
    at += strlen("outbox_max_bytes: ");
    assert_true(*at >= '1' && *at <= '8');
    (*at)++;  /* a larger limit, same number of digits */
    hb_h_write_file(station.conf, text);
    int reloaded = hb_h_log_count(station.log, "configuration reloaded");
    assert_int_equal(kill(station.pid, SIGHUP), 0);
    assert_true(hb_h_log_wait(station.log, "a restart is needed for outbox_max_bytes:", 1, 10000));
    assert_int_equal(hb_h_log_count(station.log, "configuration reloaded"), reloaded);
}

static void
test_replaced_station_key(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_revoke_st", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, 1, 0);
    hb_h_station_start(&station);
    hb_h_client_t *cl = hb_h_station_client(&station);
    char giver[32], elder[32];
    int64_t at = (int64_t) time(NULL) - 600;
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", "Giver", 1, 1960, NULL);
    save(cl, b, giver);
    b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", "Elder", 2, 1930, giver);  /* family: gifts allowed in GULOU */
    save(cl, b, elder);
    b = hb_h_batch_new();
    hb_h_batch_service(b, 0, at, giver, elder, SERVICE_MINUTES, "personal-care");  /* the guarantee pays */
    save(cl, b, NULL);
    assert_true(hb_h_wait_drained(cl, 30));
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(itest_balance(pg, giver), SERVICE_MINUTES);

    /* central is given a new key for station 1; the station keeps its old one */
    hb_h_keypair(central.station_pub[1], central.station_sec[1]);
    hb_h_central_write_config(&central, NULL, NULL, NULL, NULL);
    assert_int_equal(kill(central.pid, SIGHUP), 0);
    assert_true(hb_h_log_wait(central.log, "configuration reloaded", 1, 10000));

    /* the gift goes out on the connection opened with the old key: refused */
    b = hb_h_batch_new();
    hb_h_batch_gift(b, 0, at, giver, elder, GIFT_MINUTES);
    uint64_t gift_seq = save(cl, b, NULL);
    bool refused = hb_h_log_wait(central.log, "message refused: key no longer in force", 1, REFUSAL_WAIT_MS);
    sleep(2);  /* whatever it resends meanwhile is refused too */
    assert_int_equal(gifts_posted(pg), 0);
    assert_true(refused);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM op WHERE station_id = 1 AND seq = %llu",
             (unsigned long long) gift_seq);
    assert_int_equal(hb_h_pg_int(pg, sql), 0);
    assert_int_equal(itest_balance(pg, giver), SERVICE_MINUTES);
    Hourbank__Envelope *q = hb_h_queue(cl, false);
    assert_non_null(q);
    assert_int_equal(q->queue_reply->pending, 1);
    assert_int_equal(q->queue_reply->rejected, 0);
    hb_wire_free(&q);

    /* the station gets the new pair: a new link, and the gift posts once */
    give_station_new_keys();
    assert_int_equal(kill(station.pid, SIGHUP), 0);
    assert_true(hb_h_wait_drained(cl, RELINK_WAIT_S));
    assert_true(hb_h_log_wait(station.log, "central refused this station's link", 1, REFUSAL_WAIT_MS));
    assert_true(hb_h_log_wait(station.log, "new link to central", 1, 10000));
    assert_int_equal(gifts_posted(pg), 1);
    assert_int_equal(hb_h_pg_int(pg, sql), 1);
    snprintf(sql, sizeof sql, "SELECT result FROM op WHERE station_id = 1 AND seq = %llu",
             (unsigned long long) gift_seq);
    assert_int_equal(hb_h_pg_int(pg, sql), HOURBANK__RESULT__OK);
    assert_int_equal(itest_balance(pg, giver), SERVICE_MINUTES - GIFT_MINUTES);
    assert_int_equal(itest_balance(pg, elder), GIFT_MINUTES);
    q = hb_h_queue(cl, false);
    assert_int_equal(q->queue_reply->pending, 0);
    assert_int_equal(q->queue_reply->rejected, 0);
    assert_string_equal(q->queue_reply->link, "up");
    hb_wire_free(&q);
    PQfinish(pg);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);

    expect_restart_needed();

    hb_h_client_destroy(&cl);
    hb_h_station_stop(&station, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_replaced_station_key)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
