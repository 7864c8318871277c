/* Issue 12, item 9: no single station fills every group central holds.
 *
 * Station 3 floods: FLOOD_BATCHES full batches (256 registrations each)
 * sent at once, without waiting for acks, as no real station does (it
 * keeps HB_INFLIGHT_BATCHES_MAX in flight). Then station 1 sends one op.
 * Before the fix central took the whole flood into its groups in hand
 * (16 groups of 1024 ops hold 10240 ops) and station 1's op was committed
 * behind all of it. Now central keeps at most HB_STATION_BATCHES_IN_HAND_MAX
 * of one station's batches and refuses the rest at once (BatchAck
 * UNAVAILABLE; a station resends after its acks), so station 1's op is
 * committed behind at most that many flood batches.
 *
 * What is asserted: the flood ops committed before station 1's op (by
 * transaction id: each group is one transaction of the single writer
 * connection, in order) are at most HB_STATION_BATCHES_IN_HAND_MAX full
 * batches; the flood got refusals; station 1's ack came within
 * LATENCY_BOUND_MS. The bound is generous on purpose (a loaded CI machine
 * posts a 1024-op group in well under a second; the measured latency is
 * printed): the transaction-id count is the exact check, the latency a
 * sanity bound. */
#include "hb_itest.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hb_clock.h"
#include "hb_limits.h"

#define FLOOD_STATION 3
#define FLOOD_BATCHES 40
#define REPLY_MS 60000
#define SETTLE_MS 300
#define LATENCY_BOUND_MS 10000

static hb_h_central_t central;

static int
setup(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_fairness", NULL, NULL, NULL);
    hb_h_central_start(&central);
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    int st = hb_h_central_stop(&central, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return 0;
}

/* Flood batch i (0-based): seqs i*256+1.., members QH01 of those serials. */
static uint8_t *
flood_batch(size_t i, size_t *size)
{
    hb_h_batch_t *b = hb_h_batch_new();
    for (uint64_t k = 1; k <= HB_BATCH_OPS_MAX; k++) {
        uint64_t seq = i * HB_BATCH_OPS_MAX + k;
        hb_h_batch_register(b, seq, hb_h_member("QH01", (uint32_t) seq), "Flood", HOURBANK__ROLE__VOLUNTEER,
                            1960, NULL);
    }
    Hourbank__Envelope *env = hb_h_batch_envelope(b);
    env->version = HB_PROTOCOL_VERSION;
    env->correlation_id = 1000 + i;
    uint8_t *data = hb_h_encode(env, size);
    hb_h_batch_free(&b);
    return data;
}

static void
flood(hb_h_client_t *cl)
{
    for (size_t i = 0; i < FLOOD_BATCHES; i++) {
        size_t size;
        uint8_t *data = flood_batch(i, &size);
        const void *frames[] = {data};
        const size_t sizes[] = {size};
        assert_int_equal(hb_h_client_send_raw(cl, frames, sizes, 1), 0);
        free(data);
    }
}

/* Every flood batch is answered: acked whole, or refused whole. */
static void
flood_answers(hb_h_client_t *cl, int *acked, int *refused)
{
    *acked = *refused = 0;
    for (int i = 0; i < FLOOD_BATCHES; i++) {
        Hourbank__Envelope *r = hb_h_client_recv(cl, REPLY_MS);
        assert_non_null(r);
        assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_BATCH_ACK);
        if (r->batch_ack->batch_result == HOURBANK__RESULT__OK) {
            (*acked)++;
        } else if (r->batch_ack->batch_result == HOURBANK__RESULT__UNAVAILABLE) {
            assert_non_null(strstr(r->batch_ack->message, "batches in hand at central"));
            (*refused)++;
        } else {  /* taken after an earlier one was refused: a gap */
            assert_int_equal(r->batch_ack->batch_result, HOURBANK__RESULT__SEQ_GAP);
        }
        hb_wire_free(&r);
    }
}

static void
test_flood_does_not_hold_back_others(void **state)
{
    (void) state;
    hb_h_client_t *flooder = hb_h_central_client(&central, FLOOD_STATION);
    hb_h_client_t *other = hb_h_central_client(&central, 1);
    flood(flooder);
    usleep(SETTLE_MS * 1000);  /* central has read the flood */

    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, hb_h_member("QX03", 1), "Patient", HOURBANK__ROLE__ELDER, 1940, NULL);
    int64_t start = hb_clock_ms();
    Hourbank__Envelope *ack = itest_send(other, b);
    int64_t latency = hb_clock_ms() - start;
    const int ok[] = {HOURBANK__RESULT__OK};
    itest_expect(ack, ok, 1);
    hb_wire_free(&ack);
    hb_h_batch_free(&b);

    int acked, refused;
    flood_answers(flooder, &acked, &refused);
    PGconn *pg = hb_h_pg(central.conninfo);
    int64_t before = hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 3 AND xmin::text::bigint <"
                                     " (SELECT xmin::text::bigint FROM op WHERE station_id = 1 AND seq = 1)");
    int64_t flood_ops = hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 3");
    PQfinish(pg);
    print_message("station 1 acked after %lld ms; flood: %d batches acked, %d refused; %lld of its %lld ops"
                  " committed before station 1's\n",
                  (long long) latency, acked, refused, (long long) before, (long long) flood_ops);
    assert_true(before <= (int64_t) HB_STATION_BATCHES_IN_HAND_MAX * HB_BATCH_OPS_MAX);
    assert_true(refused > 0);
    assert_int_equal(flood_ops, (int64_t) acked * HB_BATCH_OPS_MAX);
    assert_true(latency < LATENCY_BOUND_MS);
    hb_h_client_destroy(&other);
    hb_h_client_destroy(&flooder);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flood_does_not_hold_back_others),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
