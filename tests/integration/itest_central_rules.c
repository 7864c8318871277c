/* Every posting rule's rejection comes back with its code, nothing is
 * posted for a rejected op, and CURVE/ZAP admit only the keys listed. */
#include "hb_itest.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define DAY_S (24 * 3600)

static hb_h_central_t central;

static int
setup(void **state)
{
    (void) state;
    /* GULOU cap 3h, QINHUAI cap 12h (excess donated), guarantee budget 20h */
    hb_h_central_init(&central, "hb_itest_rules", "3h", "12h", "20h");
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

#define Q(n) hb_h_member("QX03", n)
#define H(n) hb_h_member("QH01", n)
/* station 4 allocates from 500000 on (tests/lib/hb_harness.c) */
#define H4(n) hb_h_member("QH01", 500000 + (n))

static void
test_gulou_rules(void **state)
{
    (void) state;
    int64_t now = (int64_t) time(NULL);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, Q(1), "A", HOURBANK__ROLE__VOLUNTEER, 1950, NULL);
    hb_h_batch_register(b, 2, Q(2), "B", HOURBANK__ROLE__ELDER, 1940, NULL);
    hb_h_batch_register(b, 3, Q(3), "C", HOURBANK__ROLE__BOTH, 1990, NULL);
    hb_h_batch_register(b, 4, Q(4), "D", HOURBANK__ROLE__BOTH, 1992, Q(3));
    hb_h_batch_service(b, 5, now, Q(1), Q(2), 120, "personal-care");   /* guarantee pays; A=120 */
    hb_h_batch_service(b, 6, now, Q(1), Q(2), 120, "personal-care");   /* A would pass 3h */
    hb_h_batch_service(b, 7, now, Q(3), Q(1), 60, "companionship");    /* A pays; A=60 C=60 */
    hb_h_batch_service(b, 8, now, Q(1), Q(1), 10, "companionship");
    hb_h_batch_service(b, 9, now, Q(1), Q(99), 10, "companionship");
    hb_h_batch_service(b, 10, now, Q(1), Q(2), 10, "dancing");
    hb_h_batch_service(b, 11, now, Q(4), Q(3), 60, "companionship");   /* C pays; C=0 D=60 */
    hb_h_batch_service(b, 12, now, Q(4), Q(3), 1, "companionship");    /* C holds 0 */
    hb_h_batch_service(b, 13, now + 3600, Q(4), Q(1), 1, "companionship");
    hb_h_batch_service(b, 14, now - 40 * DAY_S, Q(4), Q(1), 1, "companionship");
    hb_h_batch_gift(b, 15, now, Q(4), Q(3), 30);                       /* family: D=30 C=30 */
    hb_h_batch_gift(b, 16, now, Q(1), Q(3), 10);                       /* not family */
    hb_h_batch_void(b, 17, now, 1, 15, "entered twice");               /* C=0 D=60 */
    hb_h_batch_void(b, 18, now, 1, 15, "entered twice");
    hb_h_batch_void(b, 19, now, 1, 99, "no such op");
    hb_h_batch_void(b, 20, now, 1, 8, "was rejected");
    hb_h_batch_register(b, 21, Q(1), "A again", HOURBANK__ROLE__VOLUNTEER, 1950, NULL);
    hb_h_batch_register(b, 22, H(3), "not ours", HOURBANK__ROLE__VOLUNTEER, 1950, NULL);
    hb_h_batch_void(b, 23, now, 1, 5, "A spent it already");           /* A holds 60 < 120 */
    const int want[] = {1, 1, 1, 1, 1,
                        HOURBANK__RESULT__CAP_EXCEEDED, 1, HOURBANK__RESULT__SELF_SERVICE,
                        HOURBANK__RESULT__UNKNOWN_MEMBER, HOURBANK__RESULT__UNKNOWN_CATEGORY, 1,
                        HOURBANK__RESULT__INSUFFICIENT_BALANCE, HOURBANK__RESULT__OCCURRED_IN_FUTURE,
                        HOURBANK__RESULT__TOO_OLD, 1, HOURBANK__RESULT__NOT_FAMILY, 1,
                        HOURBANK__RESULT__ALREADY_VOIDED, HOURBANK__RESULT__UNKNOWN_OPERATION,
                        HOURBANK__RESULT__NOT_VOIDABLE, HOURBANK__RESULT__DUPLICATE,
                        HOURBANK__RESULT__NOT_AUTHORIZED, HOURBANK__RESULT__INSUFFICIENT_BALANCE};
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    assert_int_equal(hb_h_hello(cl, 1, 0), 0);
    Hourbank__Envelope *ack = itest_send(cl, b);
    itest_expect(ack, want, sizeof want / sizeof want[0]);
    hb_wire_free(&ack);

    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(itest_balance(pg, Q(1)), 60);
    assert_int_equal(itest_balance(pg, Q(3)), 0);
    assert_int_equal(itest_balance(pg, Q(4)), 60);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 1"), 23);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op o WHERE result <> 1 AND EXISTS"
                                     " (SELECT 1 FROM transfer t WHERE t.station_id = o.station_id"
                                     " AND t.seq = o.seq)"), 0);
    /* a rejection is final: the same op sent again is rejected again */
    ack = itest_send(cl, b);
    itest_expect(ack, want, sizeof want / sizeof want[0]);
    hb_wire_free(&ack);
    PQfinish(pg);
    hb_h_batch_free(&b);
    hb_h_client_destroy(&cl);
}

static void
test_qinhuai_rules(void **state)
{
    (void) state;
    int64_t now = (int64_t) time(NULL);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, H(1), "E", HOURBANK__ROLE__VOLUNTEER, 1955, NULL);
    hb_h_batch_register(b, 2, H(2), "F", HOURBANK__ROLE__ELDER, 1935, NULL);
    hb_h_batch_service(b, 3, now, H(1), H(2), 600, "companionship");     /* guarantee: 85+ */
    hb_h_batch_service(b, 4, now, H(1), H(2), 180, "companionship");     /* 780 > 12h a day */
    hb_h_batch_service(b, 5, now - DAY_S, H(1), H(2), 120, "companionship"); /* E=720=cap */
    hb_h_batch_service(b, 6, now - 2 * DAY_S, H(1), H(2), 60, "companionship"); /* all donated */
    hb_h_batch_gift(b, 7, now, H(1), H(2), 10);                          /* any gift: E=710 */
    hb_h_batch_service(b, 8, now - 3 * DAY_S, H(2), H(1), 400, "meal-delivery"); /* E pays: 310 */
    hb_h_batch_service(b, 9, now, Q(1), Q(2), 10, "companionship");      /* not QH01's members */
    /* guarantee so far: 120 (GULOU) + 780 here; 400 more passes the 20h budget */
    hb_h_batch_service(b, 10, now - 4 * DAY_S, H(2), H(1), 100, "companionship"); /* E pays */
    hb_h_batch_service(b, 11, now - 5 * DAY_S, H(1), H(2), 400, "companionship");
    const int want[] = {1, 1, 1, HOURBANK__RESULT__DAILY_LIMIT_EXCEEDED, 1, 1, 1, 1,
                        HOURBANK__RESULT__NOT_AUTHORIZED, 1, HOURBANK__RESULT__BUDGET_EXHAUSTED};
    hb_h_client_t *cl = hb_h_central_client(&central, 3);
    assert_int_equal(hb_h_hello(cl, 3, 0), 0);
    Hourbank__Envelope *ack = itest_send(cl, b);
    itest_expect(ack, want, sizeof want / sizeof want[0]);
    hb_wire_free(&ack);
    PGconn *pg = hb_h_pg(central.conninfo);
    /* E earned 600+120 (60 donated at the cap), gave 10, paid F 400 and 100 */
    assert_int_equal(itest_balance(pg, H(1)), 600 + 120 - 10 - 400 - 100);
    assert_int_equal(itest_balance(pg, H(2)), 10 + 400 + 100);
    assert_int_equal(hb_h_pg_int(pg, "SELECT credits - debits FROM account WHERE id = 2"), 60);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM transfer WHERE kind = 'overflow'"
                                     " AND station_id = 3 AND seq = 6 AND minutes = 60"), 1);
    assert_int_equal(hb_h_pg_int(pg, "SELECT credits - debits FROM account WHERE id = 1"), -900);
    assert_int_equal(hb_h_pg_int(pg, "SELECT sum(credits - debits) FROM account"), 0);
    PQfinish(pg);
    hb_h_batch_free(&b);
    hb_h_client_destroy(&cl);
}

/* A duration beyond the record limit is rejected on its own, for good:
 * the batch is acked, so the station's outbox moves on. */
static void
expect_invalid_duration_final(hb_h_client_t *cl)
{
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 1, (int64_t) time(NULL), Q(1), Q(2), 2000, "companionship");
    const int invalid[] = {HOURBANK__RESULT__INVALID_DURATION};
    for (int attempt = 0; attempt < 2; attempt++) {  /* the replay gets the same answer */
        Hourbank__Envelope *ack = itest_send(cl, b);
        itest_expect(ack, invalid, 1);
        assert_int_equal(ack->batch_ack->high_water_mark, 1);
        assert_int_equal(ack->batch_ack->results[0]->transfer_id, 0);
        assert_string_equal(itest_values(ack->batch_ack->results[0]),
                            "detail=op seq=1: service.minutes=2000 out of range 1..1440");
        hb_wire_free(&ack);
    }
    hb_h_batch_free(&b);
}

static void
test_wire_and_auth_refusals(void **state)
{
    (void) state;
    hb_h_client_t *cl = hb_h_central_client(&central, 2);
    expect_invalid_duration_final(cl);

    /* hello claiming another station's id */
    Hourbank__Envelope env;
    Hourbank__Hello hello;
    hourbank__envelope__init(&env);
    hourbank__hello__init(&hello);
    hello.station_id = 1;
    env.body_case = HOURBANK__ENVELOPE__BODY_HELLO;
    env.hello = &hello;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 5000);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    assert_int_equal(r->error->code, HOURBANK__RESULT__NOT_AUTHORIZED);
    hb_wire_free(&r);
    hb_h_client_destroy(&cl);

    /* the admin key may query but not post */
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 1, (int64_t) time(NULL), Q(1), Q(2), 20, "companionship");
    cl = hb_h_central_client(&central, 0);
    r = hb_h_client_call(cl, hb_h_batch_envelope(b), 5000);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    assert_int_equal(r->error->code, HOURBANK__RESULT__NOT_AUTHORIZED);
    hb_wire_free(&r);
    hb_h_client_destroy(&cl);

    /* a key central does not know gets no answer at all */
    char pub[41], sec[41];
    hb_h_keypair(pub, sec);
    cl = hb_h_client_new(central.endpoint, central.central_pub, pub, sec);
    r = hb_h_client_call(cl, hb_h_batch_envelope(b), 1500);
    assert_null(r);
    hb_h_client_destroy(&cl);

    /* nor does a plaintext client */
    cl = hb_h_client_new(central.endpoint, NULL, NULL, NULL);
    r = hb_h_client_call(cl, hb_h_batch_envelope(b), 1500);
    assert_null(r);
    hb_h_client_destroy(&cl);

    /* and the daemon still serves a good request; station 2's only op is
     * the stored rejection, and nothing was posted for it */
    cl = hb_h_central_client(&central, 2);
    assert_int_equal(hb_h_hello(cl, 2, 0), 1);
    hb_h_client_destroy(&cl);
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 2"), 1);
    assert_int_equal(hb_h_pg_int(pg, "SELECT result FROM op WHERE station_id = 2 AND seq = 1"),
                     HOURBANK__RESULT__INVALID_DURATION);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM transfer WHERE station_id = 2"), 0);
    PQfinish(pg);
    hb_h_batch_free(&b);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
}

/* Ops that fail validation on their own (after a change of limits, or a
 * station's bug) are rejected one by one inside an acked batch; the good
 * ops around them post; the rejections are stored and final. */
static void
test_bad_ops_rejected_alone(void **state)
{
    (void) state;
    int64_t now = (int64_t) time(NULL);
    char bad_no[32];
    snprintf(bad_no, sizeof bad_no, "%s", H4(21));
    bad_no[strlen(bad_no) - 1] = bad_no[strlen(bad_no) - 1] == '9' ? '0' : (char) (bad_no[strlen(bad_no) - 1] + 1);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, H4(20), "G", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_service(b, 2, now, H(1), H(2), 2000, "companionship");
    hb_h_batch_register(b, 3, bad_no, "H", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_service(b, 4, INT64_C(10000000000000), H4(20), H(2), 30, "companionship");  /* year 318857 */
    hb_h_batch_void(b, 5, now, UINT32_C(3000000000), 1, "beyond the ledger's station ids");
    hb_h_batch_register(b, 6, H4(22), "no kind", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_envelope(b)->batch->ops[5]->kind_case = HOURBANK__OP__KIND__NOT_SET;
    hb_h_batch_service(b, 7, now, H4(20), H(2), 30, "companionship");  /* F is 85+: guarantee pays */
    const int want[] = {1, HOURBANK__RESULT__INVALID_DURATION, HOURBANK__RESULT__BAD_MEMBER_NUMBER,
                        HOURBANK__RESULT__MALFORMED, HOURBANK__RESULT__MALFORMED, HOURBANK__RESULT__MALFORMED, 1};
    static const char *const why[] = {"", "op seq=2: service.minutes=2000 out of range 1..1440",
                                      "op seq=3: register_member.member_no=\"QH01-500021-",
                                      "op seq=4: occurred_at=10000000000000 out of range 1..253402300799",
                                      "op seq=5: void_op.target.station_id=3000000000 out of range 1..2147483647",
                                      "op seq=6: op has no kind", ""};
    hb_h_client_t *cl = hb_h_central_client(&central, 4);
    uint64_t transfer = 0;
    for (int attempt = 0; attempt < 2; attempt++) {  /* a replay changes nothing */
        Hourbank__Envelope *ack = itest_send(cl, b);
        itest_expect(ack, want, 7);
        for (size_t i = 0; i < 7; i++)
            if (!strstr(itest_values(ack->batch_ack->results[i]), why[i]))
                fail_msg("seq %zu: message \"%s\" lacks \"%s\"", i + 1, itest_values(ack->batch_ack->results[i]), why[i]);
        assert_true(ack->batch_ack->results[6]->transfer_id > 0);
        if (attempt == 1)
            assert_int_equal(ack->batch_ack->results[6]->transfer_id, transfer);
        transfer = ack->batch_ack->results[6]->transfer_id;
        assert_int_equal(ack->batch_ack->high_water_mark, 7);
        hb_wire_free(&ack);
    }
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 4"), 7);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 4 AND result <> 1 AND"
                                     " kind = (ARRAY['service', 'register', 'service', 'void', 'invalid'])[seq - 1]"), 5);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 4 AND seq = 4"
                                     " AND occurred_at = 'infinity'"), 1);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM transfer WHERE station_id = 4"), 1);
    assert_int_equal(itest_balance(pg, H4(20)), 30);

    /* the rejected seq 2 resent with another payload is a conflict, and
     * the stored rejection stands */
    hb_h_batch_t *other = hb_h_batch_new();
    hb_h_batch_service(other, 2, now, H(1), H(2), 20, "companionship");
    const int conflict[] = {HOURBANK__RESULT__EXISTS_WITH_DIFFERENT_PAYLOAD};
    Hourbank__Envelope *ack = itest_send(cl, other);
    itest_expect(ack, conflict, 1);
    hb_wire_free(&ack);
    assert_int_equal(hb_h_pg_int(pg, "SELECT result FROM op WHERE station_id = 4 AND seq = 2"),
                     HOURBANK__RESULT__INVALID_DURATION);
    PQfinish(pg);
    hb_h_batch_free(&other);
    hb_h_batch_free(&b);
    hb_h_client_destroy(&cl);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gulou_rules),
        cmocka_unit_test(test_qinhuai_rules),
        cmocka_unit_test(test_wire_and_auth_refusals),
        cmocka_unit_test(test_bad_ops_rejected_alone),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
