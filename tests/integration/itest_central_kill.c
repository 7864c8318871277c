/* kill -9 of hourbank-central in the middle of a stream, then restart:
 * stations resend what was not acked, and nothing is lost or counted twice.
 * Each op's content is a pure function of (station, seq), so a resend
 * carries the same payload, as a station's outbox would. */
#include "hb_itest.h"

#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STATIONS 2            /* stations 1 (QX03) and 3 (QH01) */
#define OPS_PER_STATION 3000
#define BATCH_OPS 50
#define MEMBERS 20
#define KILLS 5
#define DAY_S (24 * 3600)

static hb_h_central_t central;
static int64_t base_time;

typedef struct {
    uint32_t station;
    const char *community;
    int results[OPS_PER_STATION + 1];     /* 0 = no ack seen yet */
    int64_t ok_service_minutes;
    int resends;
    _Atomic uint64_t progress;            /* next seq to send, for the killer */
    char failure[256];
} stream_t;

static int64_t
minutes_of(uint64_t seq)
{
    return 15 + (int64_t) (seq * 7 % 200);
}

static void
add_op(hb_h_batch_t *b, const stream_t *s, uint64_t seq)
{
    if (seq <= MEMBERS) {
        uint32_t n = (uint32_t) seq;
        hb_h_batch_register(b, seq, hb_h_member(s->community, n), "Member", n % 2 ? 1 : 2,
                            n % 2 ? 1960 : 1936, NULL);
        return;
    }
    char provider[32], recipient[32];
    /* odd serials volunteer, even serials are 90-year-old elders */
    snprintf(provider, sizeof provider, "%s", hb_h_member(s->community, (uint32_t) (seq % 10) * 2 + 1));
    snprintf(recipient, sizeof recipient, "%s", hb_h_member(s->community, (uint32_t) (seq % 9) * 2 + 2));
    int64_t at = base_time - (int64_t) (seq % 20) * DAY_S;
    hb_h_batch_service(b, seq, at, provider, recipient, minutes_of(seq),
                       seq % 3 ? "personal-care" : "companionship");
}

static Hourbank__Envelope *
send_from(hb_h_client_t *cl, stream_t *s, uint64_t first)
{
    hb_h_batch_t *b = hb_h_batch_new();
    for (uint64_t seq = first; seq < first + BATCH_OPS && seq <= OPS_PER_STATION; seq++)
        add_op(b, s, seq);
    Hourbank__Envelope *r = hb_h_client_call(cl, hb_h_batch_envelope(b), 2000);
    hb_h_batch_free(&b);
    return r;
}

/* Records one ack; a result that changes between resends is a failure. */
static uint64_t
take_ack(stream_t *s, const Hourbank__BatchAck *ack)
{
    uint64_t last = 0;
    for (size_t i = 0; i < ack->n_results; i++) {
        const Hourbank__OpResult *r = ack->results[i];
        if (s->results[r->seq] && s->results[r->seq] != (int) r->result)
            snprintf(s->failure, sizeof s->failure, "seq %llu: result %d then %d",
                     (unsigned long long) r->seq, s->results[r->seq], r->result);
        if (!s->results[r->seq] && r->result == HOURBANK__RESULT__OK && r->seq > MEMBERS)
            s->ok_service_minutes += minutes_of(r->seq);
        s->results[r->seq] = (int) r->result;
        last = r->seq;
    }
    return last;
}

static void *
stream(void *arg)
{
    stream_t *s = arg;
    hb_h_client_t *cl = NULL;
    uint64_t next = 0;
    time_t give_up = time(NULL) + 240;
    while (next <= OPS_PER_STATION && time(NULL) < give_up && !s->failure[0]) {
        if (!cl) {
            cl = hb_h_central_client(&central, s->station);
            int64_t hw = hb_h_hello(cl, s->station, next ? next - 1 : 0);
            if (hw < 0) {
                hb_h_client_destroy(&cl);
                continue;
            }
            /* resend from a little before the mark (replays must be harmless),
             * but never past what this stream has seen acked */
            uint64_t from = hw > 10 ? (uint64_t) hw - 10 : 1;
            uint64_t acked = next ? next : 1;
            next = from < acked ? from : acked;
            s->resends++;
        }
        Hourbank__Envelope *r = send_from(cl, s, next);
        if (!r || r->body_case != HOURBANK__ENVELOPE__BODY_BATCH_ACK ||
            r->batch_ack->batch_result != HOURBANK__RESULT__OK) {
            hb_wire_free(&r);
            hb_h_client_destroy(&cl);  /* reconnect and hello again */
            continue;
        }
        next = take_ack(s, r->batch_ack) + 1;
        atomic_store(&s->progress, next);
        hb_wire_free(&r);
    }
    hb_h_client_destroy(&cl);
    if (next <= OPS_PER_STATION && !s->failure[0])
        snprintf(s->failure, sizeof s->failure, "station %u stopped at seq %llu", s->station,
                 (unsigned long long) next);
    return NULL;
}

static void
check_station(PGconn *pg, const stream_t *s)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM op WHERE station_id = %u", s->station);
    assert_int_equal(hb_h_pg_int(pg, sql), OPS_PER_STATION);
    snprintf(sql, sizeof sql, "SELECT max(seq) FROM op WHERE station_id = %u", s->station);
    assert_int_equal(hb_h_pg_int(pg, sql), OPS_PER_STATION);
    /* every result the station was told is the one central stored */
    for (uint64_t seq = 1; seq <= OPS_PER_STATION; seq++) {
        snprintf(sql, sizeof sql, "SELECT result FROM op WHERE station_id = %u AND seq = %llu",
                 s->station, (unsigned long long) seq);
        assert_int_equal(hb_h_pg_int(pg, sql), s->results[seq]);
    }
    /* minutes posted = minutes of the services acked OK, once each */
    snprintf(sql, sizeof sql, "SELECT coalesce(sum(minutes), 0) FROM transfer WHERE station_id = %u"
                              " AND kind IN ('service', 'overflow')", s->station);
    assert_int_equal(hb_h_pg_int(pg, sql), s->ok_service_minutes);
    assert_true(s->ok_service_minutes > 0);
}

static void
test_kill9_mid_stream(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_kill", NULL, NULL, NULL);
    hb_h_central_start(&central);
    base_time = (int64_t) time(NULL);
    static stream_t streams[STATIONS] = {{.station = 1, .community = "QX03"},
                                         {.station = 3, .community = "QH01"}};
    pthread_t th[STATIONS];
    for (int i = 0; i < STATIONS; i++)
        pthread_create(&th[i], NULL, stream, &streams[i]);
    for (int k = 0; k < KILLS; k++) {
        /* kill k lands when both streams are k+1 sixths through: mid-stream,
         * however fast central is */
        uint64_t mark = (uint64_t) (k + 1) * OPS_PER_STATION / (KILLS + 1);
        for (int w = 0; w < 60000 && (atomic_load(&streams[0].progress) < mark ||
                                      atomic_load(&streams[1].progress) < mark); w++)
            usleep(1000);
        hb_h_central_stop(&central, SIGKILL);
        usleep(200 * 1000);
        hb_h_central_start(&central);
    }
    for (int i = 0; i < STATIONS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < STATIONS; i++)
        if (streams[i].failure[0])
            fail_msg("%s", streams[i].failure);
    PGconn *pg = hb_h_pg(central.conninfo);
    for (int i = 0; i < STATIONS; i++) {
        check_station(pg, &streams[i]);
        assert_true(streams[i].resends > 1);  /* the kills really cut the streams */
    }
    PQfinish(pg);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    int st = hb_h_central_stop(&central, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_kill9_mid_stream)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
