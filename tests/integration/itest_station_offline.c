/* A station works with central down: 1,000 operations are saved while
 * central has never been reachable, then central starts and every one
 * arrives exactly once. A cut link (central stopped and started again with
 * work pending) recovers by itself. */
#include "hb_itest.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MEMBERS 20
#define OPS 1000

static hb_h_central_t central;
static hb_h_station_t station;

/* Saves one op from a one-op test batch with seq 0 (the station assigns). */
static uint64_t
save(hb_h_client_t *cl, hb_h_batch_t *b, char *member_no, int *code)
{
    char msg[256];
    uint64_t seq = hb_h_save(cl, hb_h_batch_op(b, 0), code, member_no, msg, sizeof msg);
    if (!seq && *code != HOURBANK__RESULT__OUTBOX_FULL)
        fail_msg("save refused (%d): %s", *code, msg);
    return seq;
}

static void
save_workload(hb_h_client_t *cl, char members[MEMBERS][32], int first, int count, int64_t at)
{
    int code;
    for (int i = first; i < first + count; i++) {
        hb_h_batch_t *b = hb_h_batch_new();
        if (i < MEMBERS) {
            hb_h_batch_register(b, 0, "", "Offline member", i % 2 ? 2 : 1, i % 2 ? 1936 : 1960, NULL);
            assert_int_equal(save(cl, b, members[i], &code), (uint64_t) i + 1);
            assert_int_equal(strlen(members[i]), 13);
        } else {
            /* volunteers (even) serve 90-year-old elders (odd): the guarantee pays */
            /* spread over days so that no provider passes the daily limit */
            hb_h_batch_service(b, 0, at - (int64_t) (i / 10 % 25) * 24 * 3600, members[(i % 10) * 2],
                               members[(i % 9) * 2 + 1], 10 + i % 50, "personal-care");
            assert_int_equal(save(cl, b, NULL, &code), (uint64_t) i + 1);
        }
        hb_h_batch_free(&b);
    }
}

static void
test_offline_then_exactly_once(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_offline", NULL, NULL, NULL);
    hb_h_station_init(&station, &central, 1, 0);
    hb_h_station_start(&station);
    hb_h_client_t *cl = hb_h_station_client(&station);
    static char members[MEMBERS][32];
    int64_t at = (int64_t) time(NULL) - 3600;
    save_workload(cl, members, 0, OPS / 2, at);

    /* the station answers from its outbox with the link down */
    Hourbank__Envelope *q = hb_h_queue(cl, false);
    assert_non_null(q);
    assert_int_equal(q->queue_reply->pending, OPS / 2);
    assert_string_not_equal(q->queue_reply->link, "up");
    assert_int_equal(q->queue_reply->last_sync, 0);
    hb_wire_free(&q);

    /* central comes up: the first half drains */
    hb_h_central_start(&central);
    assert_true(hb_h_wait_drained(cl, 60));
    /* link cut: central stops with the second half saved meanwhile */
    hb_h_central_stop(&central, SIGTERM);
    save_workload(cl, members, OPS / 2, OPS / 2, at);
    q = hb_h_queue(cl, false);
    assert_int_equal(q->queue_reply->pending, OPS / 2);
    hb_wire_free(&q);
    hb_h_central_start(&central);
    assert_true(hb_h_wait_drained(cl, 60));

    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 1"), OPS);
    assert_int_equal(hb_h_pg_int(pg, "SELECT max(seq) FROM op WHERE station_id = 1"), OPS);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM member"), MEMBERS);
    /* every service was applied once: minutes posted = minutes saved */
    int64_t want = 0;
    for (int i = MEMBERS; i < OPS; i++)
        want += 10 + i % 50;
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE result <> 1"), 0);
    assert_int_equal(hb_h_pg_int(pg, "SELECT sum(minutes) FROM transfer WHERE kind = 'service'"), want);
    PQfinish(pg);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);

    q = hb_h_queue(cl, false);
    assert_int_equal(q->queue_reply->pending, 0);
    assert_int_equal(q->queue_reply->rejected, 0);
    assert_int_equal(q->queue_reply->last_acked_seq, OPS);
    assert_string_equal(q->queue_reply->link, "up");
    assert_true(q->queue_reply->last_sync > 0);
    hb_wire_free(&q);
    hb_h_client_destroy(&cl);
    int st = hb_h_station_stop(&station, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    hb_h_central_stop(&central, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_offline_then_exactly_once)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
