/* A mixed workload from four concurrent stations (10,400 ops: registrations,
 * services, gifts, voids, and the rejections they provoke), then
 * "hourbank-central verify": Σ balances = 0 and every balance equals the
 * sum of its transfers; and every result a station was told is the one
 * central stored. */
#include "hb_itest.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define STATIONS 4
#define MEMBERS 40
#define BATCHES 26
#define BATCH_OPS 100
#define OPS (MEMBERS + (BATCHES - 1) * BATCH_OPS) /* per station: 2,540 */
#define DAY_S (24 * 3600)

static hb_h_central_t central;

typedef struct {
    uint32_t station;
    unsigned seed;
    int results[OPS + BATCH_OPS + 1];
    uint64_t sent;
    int ok, rejected;
    char failure[256];
} load_t;

static const char *
community_of(uint32_t station)
{
    return station <= 2 ? "QX03" : "QH01";
}

/* Stations sharing a community allocate from disjoint serial ranges. */
static uint32_t
serial(uint32_t station, uint32_t n)
{
    return (station % 2 ? 0 : 500000) + n;
}

static const char *
random_member(load_t *l, uint32_t station)
{
    return hb_h_member(community_of(station), serial(station, 1 + (uint32_t) rand_r(&l->seed) % MEMBERS));
}

static void
add_random_op(load_t *l, hb_h_batch_t *b, uint64_t seq, int64_t now)
{
    static const char *const cats[] = {"companionship", "meal-delivery", "personal-care"};
    int dice = rand_r(&l->seed) % 100;
    int64_t at = now - (int64_t) (rand_r(&l->seed) % 25) * DAY_S;
    char a[32], c[32];
    snprintf(a, sizeof a, "%s", random_member(l, l->station));
    /* a few services cross to the other community's members */
    uint32_t other = dice % 10 == 0 ? (l->station + 1) % STATIONS + 1 : l->station;
    snprintf(c, sizeof c, "%s", random_member(l, other));
    if (dice < 70) {
        hb_h_batch_service(b, seq, at, a, c, 15 + rand_r(&l->seed) % 180, cats[rand_r(&l->seed) % 3]);
    } else if (dice < 85) {
        hb_h_batch_gift(b, seq, at, a, c, 5 + rand_r(&l->seed) % 60);
    } else {
        uint64_t target = MEMBERS + 1 + (uint64_t) rand_r(&l->seed) % (seq - MEMBERS);
        hb_h_batch_void(b, seq, now, l->station, target, "entered by mistake");
    }
}

static hb_h_batch_t *
next_batch(load_t *l, int index)
{
    hb_h_batch_t *b = hb_h_batch_new();
    int64_t now = (int64_t) time(NULL);
    if (index == 0) {
        for (uint32_t n = 1; n <= MEMBERS; n++)
            hb_h_batch_register(b, ++l->sent, hb_h_member(community_of(l->station), serial(l->station, n)),
                                "Load member", n % 2 ? 1 : 3, n % 2 ? 1962 : 1936, NULL);
        return b;
    }
    for (int i = 0; i < BATCH_OPS; i++) {
        ++l->sent;
        add_random_op(l, b, l->sent, now);
    }
    return b;
}

static void
take_ack(load_t *l, const Hourbank__Envelope *r, size_t n_ops)
{
    if (!r || r->body_case != HOURBANK__ENVELOPE__BODY_BATCH_ACK ||
        r->batch_ack->batch_result != HOURBANK__RESULT__OK || r->batch_ack->n_results != n_ops) {
        snprintf(l->failure, sizeof l->failure, "station %u: no proper ack (body %d)", l->station,
                 r ? (int) r->body_case : -1);
        return;
    }
    for (size_t i = 0; i < n_ops; i++) {
        const Hourbank__OpResult *res = r->batch_ack->results[i];
        l->results[res->seq] = (int) res->result;
        if (res->result == HOURBANK__RESULT__OK)
            l->ok++;
        else
            l->rejected++;
    }
}

static void *
run_station(void *arg)
{
    load_t *l = arg;
    hb_h_client_t *cl = hb_h_central_client(&central, l->station);
    if (hb_h_hello(cl, l->station, 0) != 0)
        snprintf(l->failure, sizeof l->failure, "station %u: hello failed", l->station);
    for (int i = 0; i < BATCHES && !l->failure[0]; i++) {
        hb_h_batch_t *b = next_batch(l, i);
        Hourbank__Envelope *env = hb_h_batch_envelope(b);
        Hourbank__Envelope *r = hb_h_client_call(cl, env, 30000);
        take_ack(l, r, env->batch->n_ops);
        hb_wire_free(&r);
        hb_h_batch_free(&b);
    }
    hb_h_client_destroy(&cl);
    return NULL;
}

static void
check_station(PGconn *pg, const load_t *l)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM op WHERE station_id = %u", l->station);
    assert_int_equal(hb_h_pg_int(pg, sql), l->sent);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM op WHERE station_id = %u AND result = 1", l->station);
    assert_int_equal(hb_h_pg_int(pg, sql), l->ok);
    snprintf(sql, sizeof sql, "SELECT seq, result FROM op WHERE station_id = %u ORDER BY seq", l->station);
    PGresult *r = PQexec(pg, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    for (int i = 0; i < PQntuples(r); i++) {
        int seq = atoi(PQgetvalue(r, i, 0));
        assert_int_equal(atoi(PQgetvalue(r, i, 1)), l->results[seq]);
    }
    PQclear(r);
}

static void
test_four_stations_then_verify(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_load", NULL, NULL, NULL);
    hb_h_central_start(&central);
    static load_t loads[STATIONS];
    pthread_t th[STATIONS];
    for (int i = 0; i < STATIONS; i++) {
        loads[i].station = (uint32_t) i + 1;
        loads[i].seed = 1000u + (unsigned) i;  /* fixed: the run is replayable */
        pthread_create(&th[i], NULL, run_station, &loads[i]);
    }
    for (int i = 0; i < STATIONS; i++)
        pthread_join(th[i], NULL);
    PGconn *pg = hb_h_pg(central.conninfo);
    uint64_t total = 0;
    for (int i = 0; i < STATIONS; i++) {
        if (loads[i].failure[0])
            fail_msg("%s", loads[i].failure);
        check_station(pg, &loads[i]);
        total += loads[i].sent;
        /* the mix must exercise both outcomes */
        assert_true(loads[i].ok > 500 && loads[i].rejected > 50);
        print_message("station %u: %d ok, %d rejected\n", loads[i].station, loads[i].ok, loads[i].rejected);
    }
    assert_true(total >= 10000);
    assert_true(hb_h_pg_int(pg, "SELECT count(*) FROM transfer WHERE kind = 'void'") > 0);
    assert_true(hb_h_pg_int(pg, "SELECT count(*) FROM transfer WHERE kind = 'gift'") > 0);
    assert_int_equal(hb_h_pg_int(pg, "SELECT sum(credits - debits) FROM account"), 0);
    PQfinish(pg);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    int st = hb_h_central_stop(&central, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_four_stations_then_verify)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
