/* The local API takes no member number from the client: the station
 * allocates them. A registration SaveRequest that names one (another
 * community's, one already registered here, or a free valid one) is
 * refused at once, and nothing is stored. */
#include "hb_itest.h"

#include <signal.h>
#include <string.h>

static hb_h_central_t central;

static uint64_t
register_named(hb_h_client_t *cl, const char *member_no, int *code, char *msg, size_t msg_size)
{
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, member_no, "Named By Client", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    char allocated[32] = "";
    uint64_t seq = hb_h_save(cl, hb_h_batch_op(b, 0), code, allocated, msg, msg_size);
    hb_h_batch_free(&b);
    return seq;
}

static uint64_t
pending(hb_h_client_t *cl)
{
    Hourbank__Envelope *q = hb_h_queue(cl, false);
    assert_non_null(q);
    uint64_t pending = q->queue_reply->pending;
    hb_wire_free(&q);
    return pending;
}

static void
test_save_naming_a_member_number(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_save_no", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_t st;
    hb_h_station_init(&st, &central, 1, 0);
    hb_h_station_start(&st);
    hb_h_client_t *cl = hb_h_station_client(&st);

    int code = 0;
    char msg[256], mine[32] = "";
    /* one real registration: the station allocates QX03-000001 */
    assert_int_equal(register_named(cl, "", &code, msg, sizeof msg), 1);
    assert_true(hb_h_wait_drained(cl, 30));
    Hourbank__Envelope *m = hb_h_balance(cl, hb_h_member("QX03", 1), 5000);
    assert_non_null(m);
    assert_int_equal(m->body_case, HOURBANK__ENVELOPE__BODY_BALANCE_REPLY);
    snprintf(mine, sizeof mine, "%s", m->balance_reply->member_no);
    hb_wire_free(&m);

    const char *named[] = {
        hb_h_member("QH01", 7),  /* another community's */
        mine,                    /* already registered here */
        hb_h_member("QX03", 42), /* free, valid, in this station's range */
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        char number[32];
        snprintf(number, sizeof number, "%s", named[i]);
        code = 0;
        msg[0] = '\0';
        assert_int_equal(register_named(cl, number, &code, msg, sizeof msg), 0);
        assert_int_equal(code, HOURBANK__RESULT__MALFORMED);
        assert_non_null(strstr(msg, "the station allocates member numbers"));
    }
    assert_int_equal(pending(cl), 0);  /* nothing pending: nothing was stored */
    /* the next registration still gets the next number and seq */
    char allocated[32] = "";
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", "Allocated", HOURBANK__ROLE__VOLUNTEER, 1961, NULL);
    assert_int_equal(hb_h_save(cl, hb_h_batch_op(b, 0), &code, allocated, msg, sizeof msg), 2);
    hb_h_batch_free(&b);
    assert_string_equal(allocated, hb_h_member("QX03", 2));
    assert_true(hb_h_wait_drained(cl, 30));
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&st, SIGTERM);

    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM member"), 2);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 1 AND result = 1"), 2);
    PQfinish(pg);
    hb_h_central_stop(&central, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_save_naming_a_member_number)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
