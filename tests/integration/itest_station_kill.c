/* kill -9 of a station at random moments while operators save and the
 * station syncs (22 times in one run): every save the station confirmed
 * reaches central exactly once with its content, the station's seqs have
 * no holes, and the ledger verifies. */
#include "hb_itest.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KILLS 22
#define MEMBERS 10
#define SAVES_MAX 20000
/* Saves confirmed before the saver stops: enough that the kills landed in
 * the middle of real work. On a loaded machine (an ASan build next to other
 * builds) the kills can be over before that many, so saving goes on after
 * them, for at most SAVES_WAIT_S. */
#define SAVES_MIN 100
#define SAVES_WAIT_S 60

static hb_h_central_t central;
static hb_h_station_t station;
static atomic_int stop_saving;
static char members[MEMBERS][32];

typedef struct {
    int64_t minutes[SAVES_MAX + 1];   /* by seq; 0 = not confirmed */
    atomic_uint_fast64_t confirmed;
    uint64_t unanswered;
} saver_t;

static void *
saver(void *arg)
{
    saver_t *sv = arg;
    hb_h_client_t *cl = hb_h_station_client(&station);
    int64_t now = (int64_t) time(NULL) - 600;
    for (uint64_t n = 0; !atomic_load(&stop_saving); n++) {
        hb_h_batch_t *b = hb_h_batch_new();
        int64_t minutes = 1 + (int64_t) (n % 59);
        int64_t at = now - (int64_t) (n % 25) * 24 * 3600;  /* spread over days: daily limits */
        hb_h_batch_service(b, 0, at, members[(n % 5) * 2], members[(n % 5) * 2 + 1], minutes, "personal-care");
        int code;
        char msg[256];
        uint64_t seq = hb_h_save(cl, hb_h_batch_op(b, 0), &code, NULL, msg, sizeof msg);
        hb_h_batch_free(&b);
        if (seq && seq <= SAVES_MAX) {
            sv->minutes[seq] = minutes;
            sv->confirmed++;
        } else if (!seq) {
            sv->unanswered++;  /* killed mid-save: may or may not be stored */
            hb_h_client_destroy(&cl);
            cl = hb_h_station_client(&station);
        }
    }
    hb_h_client_destroy(&cl);
    return NULL;
}

static void
register_members(void)
{
    hb_h_client_t *cl = hb_h_station_client(&station);
    for (int i = 0; i < MEMBERS; i++) {
        hb_h_batch_t *b = hb_h_batch_new();
        /* even: volunteers; odd: elders of 90, whose personal care the guarantee pays */
        hb_h_batch_register(b, 0, "", "Member", i % 2 ? 2 : 1, i % 2 ? 1936 : 1965, NULL);
        int code;
        char msg[256];
        assert_int_equal(hb_h_save(cl, hb_h_batch_op(b, 0), &code, members[i], msg, sizeof msg), i + 1);
        hb_h_batch_free(&b);
    }
    assert_true(hb_h_wait_drained(cl, 60));
    hb_h_client_destroy(&cl);
}

static void
check_central(const saver_t *sv)
{
    uint64_t ok = 0;
    PGconn *pg = hb_h_pg(central.conninfo);
    int64_t last = hb_h_pg_int(pg, "SELECT max(seq) FROM op WHERE station_id = 1");
    /* no holes: 1..last all present */
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 1"), last);
    for (uint64_t seq = MEMBERS + 1; seq <= SAVES_MAX; seq++) {
        if (!sv->minutes[seq])
            continue;
        assert_true((int64_t) seq <= last);  /* nothing confirmed is lost */
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM op WHERE station_id = 1 AND seq = %llu",
                 (unsigned long long) seq);
        assert_int_equal(hb_h_pg_int(pg, sql), 1);
        snprintf(sql, sizeof sql, "SELECT CASE WHEN o.result = 1 THEN (SELECT sum(minutes) FROM transfer t"
                 " WHERE t.station_id = 1 AND t.seq = o.seq) ELSE %lld - (SELECT count(*) FROM transfer t"
                 " WHERE t.station_id = 1 AND t.seq = o.seq) END FROM op o WHERE o.station_id = 1 AND o.seq = %llu",
                 (long long) sv->minutes[seq], (unsigned long long) seq);
        assert_int_equal(hb_h_pg_int(pg, sql), sv->minutes[seq]);  /* its own content, once */
        ok += 1;
    }
    assert_int_equal(ok, atomic_load(&sv->confirmed));
    assert_true(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 1 AND result = 1") > SAVES_MIN);
    PQfinish(pg);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
}

static void
test_kill9_station_during_sync(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_skill", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, 1, 0);
    hb_h_station_start(&station);
    register_members();
    unsigned seed = (unsigned) time(NULL);
    print_message("kill schedule seed %u\n", seed);
    static saver_t sv;
    pthread_t th;
    pthread_create(&th, NULL, saver, &sv);
    for (int k = 0; k < KILLS; k++) {
        usleep((useconds_t) (20 + rand_r(&seed) % 300) * 1000);
        hb_h_station_stop(&station, SIGKILL);
        hb_h_station_start(&station);
    }
    usleep(300 * 1000);
    for (int i = 0; i < SAVES_WAIT_S * 10 && atomic_load(&sv.confirmed) <= SAVES_MIN; i++)
        usleep(100 * 1000);
    atomic_store(&stop_saving, 1);
    pthread_join(th, NULL);
    print_message("%llu saves confirmed, %llu cut by a kill\n", (unsigned long long) atomic_load(&sv.confirmed),
                  (unsigned long long) sv.unanswered);
    assert_true(atomic_load(&sv.confirmed) > SAVES_MIN);
    hb_h_client_t *cl = hb_h_station_client(&station);
    assert_true(hb_h_wait_drained(cl, 90));
    Hourbank__Envelope *q = hb_h_queue(cl, false);
    uint64_t acked = q->queue_reply->last_acked_seq;
    hb_wire_free(&q);
    hb_h_client_destroy(&cl);
    check_central(&sv);
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT max(seq) FROM op WHERE station_id = 1"), acked);
    PQfinish(pg);
    hb_h_station_stop(&station, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_kill9_station_during_sync)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
