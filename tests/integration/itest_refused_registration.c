/* A station's outbox copied back from an old backup hands out a member
 * number and a seq again: "Eve" is registered offline under Carol's number
 * at Carol's seq. Central refuses Eve's registration (the seq was used for
 * another payload), and must then refuse every later op of that station
 * naming the number (REGISTRATION_REFUSED) instead of crediting Carol; the
 * same after a DUPLICATE registration. Ops of another station naming the
 * number still post; a replay returns the stored results; the hello tells
 * the station its member serial mark; verify stays OK. */
#include "hb_itest.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define Q(n) hb_h_member("QX03", n)
#define ACK_WAIT_MS 10000
#define GUARANTEE_MINUTES 120   /* station 2's service A -> B, paid by the guarantee */

enum { ALICE = 1, BOB, CAROL, DAVE, FAY, FRANK };  /* their serials in QX03 */

static hb_h_central_t central;

static int
setup(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_refused", NULL, NULL, NULL);
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

static Hourbank__Envelope *
send_expect(hb_h_client_t *cl, hb_h_batch_t *b, const int *want, size_t n)
{
    Hourbank__Envelope *ack = itest_send(cl, b);
    itest_expect(ack, want, n);
    return ack;
}

static void
expect_message(const Hourbank__Envelope *ack, size_t i, const char *want)
{
    const char *got = itest_values(ack->batch_ack->results[i]);
    if (!strstr(got, want))
        fail_msg("op %zu: message \"%s\" lacks \"%s\"", i, got, want);
}

/* Carol at station 1 seq 3; Alice earns 2h at station 2. */
static void
register_abc(hb_h_client_t *st1, hb_h_client_t *st2)
{
    int64_t now = (int64_t) time(NULL);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, Q(ALICE), "Alice", HOURBANK__ROLE__VOLUNTEER, 1962, NULL);
    hb_h_batch_register(b, 2, Q(BOB), "Bob", HOURBANK__ROLE__ELDER, 1938, NULL);
    hb_h_batch_register(b, 3, Q(CAROL), "Carol", HOURBANK__ROLE__BOTH, 1960, Q(ALICE));
    const int ok3[] = {1, 1, 1};
    Hourbank__Envelope *ack = send_expect(st1, b, ok3, 3);
    hb_wire_free(&ack);
    hb_h_batch_free(&b);
    b = hb_h_batch_new();
    hb_h_batch_service(b, 1, now, Q(ALICE), Q(BOB), GUARANTEE_MINUTES, "personal-care");
    const int ok1[] = {1};
    ack = send_expect(st2, b, ok1, 1);
    hb_wire_free(&ack);
    hb_h_batch_free(&b);
}

/* The restored outbox: seq 3 is Eve under Carol's number; seq 4 and 5
 * name the number for Eve. Before migration 0008 both were posted to
 * Carol. Seq 2 again as Frank (a number central never saw). */
static hb_h_batch_t *
restored_batch(void)
{
    int64_t now = (int64_t) time(NULL);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 2, Q(FRANK), "Frank", HOURBANK__ROLE__VOLUNTEER, 1959, NULL);
    hb_h_batch_register(b, 3, Q(CAROL), "Eve", HOURBANK__ROLE__BOTH, 1961, Q(ALICE));
    hb_h_batch_service(b, 4, now, Q(CAROL), Q(BOB), 60, "personal-care");
    hb_h_batch_gift(b, 5, now, Q(ALICE), Q(CAROL), 30);
    hb_h_batch_register(b, 6, Q(FRANK), "Frank", HOURBANK__ROLE__VOLUNTEER, 1959, NULL);
    return b;
}

static const int RESTORED_WANT[] = {
    HOURBANK__RESULT__EXISTS_WITH_DIFFERENT_PAYLOAD, HOURBANK__RESULT__EXISTS_WITH_DIFFERENT_PAYLOAD,
    HOURBANK__RESULT__REGISTRATION_REFUSED, HOURBANK__RESULT__REGISTRATION_REFUSED,
    HOURBANK__RESULT__REGISTRATION_REFUSED,
};

/* Dave (family of Alice), then Alice's number registered again for
 * someone else (DUPLICATE), a gift naming it, and Fay named family of Eve. */
static hb_h_batch_t *
duplicate_batch(void)
{
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 7, Q(DAVE), "Dave", HOURBANK__ROLE__BOTH, 1990, Q(ALICE));
    hb_h_batch_register(b, 8, Q(ALICE), "Adam", HOURBANK__ROLE__VOLUNTEER, 1970, NULL);
    hb_h_batch_gift(b, 9, (int64_t) time(NULL), Q(ALICE), Q(DAVE), 30);
    hb_h_batch_register(b, 10, Q(FAY), "Fay", HOURBANK__ROLE__ELDER, 1940, Q(CAROL));
    return b;
}

static const int DUPLICATE_WANT[] = {
    1, HOURBANK__RESULT__DUPLICATE, HOURBANK__RESULT__REGISTRATION_REFUSED,
    HOURBANK__RESULT__REGISTRATION_REFUSED,
};

static void
check_ledger(PGconn *pg, int64_t transfers)
{
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM transfer"), transfers);
    assert_int_equal(itest_balance(pg, Q(CAROL)), 0);
    assert_int_equal(itest_balance(pg, Q(ALICE)), GUARANTEE_MINUTES);
    assert_int_equal(itest_balance(pg, Q(DAVE)), 0);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM member_profile WHERE name IN ('Eve', 'Adam', 'Fay', 'Frank')"), 0);
    /* every refused registration, with the number from its own payload */
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM refused_registration"), 3);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM refused_registration WHERE station_id = 1 AND"
                              " ((member_no = '%s' AND seq = 2 AND result = 3) OR (member_no = '%s' AND seq = 3"
                              " AND result = 3) OR (member_no = '%s' AND seq = 8 AND result = 2))",
             Q(FRANK), Q(CAROL), Q(ALICE));
    assert_int_equal(hb_h_pg_int(pg, sql), 3);
}

static void
test_refused_registration_blocks_the_number(void **state)
{
    (void) state;
    PGconn *pg = hb_h_pg(central.conninfo);
    hb_h_client_t *st1 = hb_h_central_client(&central, 1), *st2 = hb_h_central_client(&central, 2);
    register_abc(st1, st2);
    int64_t transfers = hb_h_pg_int(pg, "SELECT count(*) FROM transfer");

    hb_h_batch_t *restored = restored_batch();
    Hourbank__Envelope *ack = send_expect(st1, restored, RESTORED_WANT, 5);
    char carol_seq3[96];
    snprintf(carol_seq3, sizeof carol_seq3, "member=%s\nstation=1\nseq=3\nrefused_result=3", Q(CAROL));
    expect_message(ack, 2, carol_seq3);
    expect_message(ack, 3, carol_seq3);
    assert_int_equal(ack->batch_ack->results[2]->transfer_id, 0);
    expect_message(ack, 4, "\nseq=2\nrefused_result=3");  /* Frank's own number */
    hb_wire_free(&ack);

    hb_h_batch_t *dup = duplicate_batch();
    ack = send_expect(st1, dup, DUPLICATE_WANT, 4);
    char alice_seq8[96];
    snprintf(alice_seq8, sizeof alice_seq8, "member=%s\nstation=1\nseq=8\nrefused_result=2", Q(ALICE));
    expect_message(ack, 2, alice_seq8);
    expect_message(ack, 3, carol_seq3);  /* Fay's family_of */
    hb_wire_free(&ack);
    check_ledger(pg, transfers);
    assert_true(hb_h_log_count(central.log, "code=REGISTRATION_REFUSED") >= 4);

    /* replayed: the stored answers, nothing posted or recorded twice */
    ack = send_expect(st1, restored, RESTORED_WANT, 5);
    expect_message(ack, 2, carol_seq3);
    hb_wire_free(&ack);
    ack = send_expect(st1, dup, DUPLICATE_WANT, 4);
    expect_message(ack, 2, alice_seq8);
    hb_wire_free(&ack);
    check_ledger(pg, transfers);
    hb_h_batch_free(&restored);
    hb_h_batch_free(&dup);

    /* station 2 never refused these numbers: its ops naming them post */
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 2, (int64_t) time(NULL), Q(CAROL), Q(BOB), 45, "personal-care");
    hb_h_batch_gift(b, 3, (int64_t) time(NULL), Q(ALICE), Q(DAVE), 20);
    const int ok[] = {1, 1};
    ack = send_expect(st2, b, ok, 2);
    hb_wire_free(&ack);
    hb_h_batch_free(&b);
    assert_int_equal(itest_balance(pg, Q(CAROL)), 45);
    assert_int_equal(itest_balance(pg, Q(DAVE)), 20);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM transfer"), transfers + 2);

    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    hb_h_client_destroy(&st1);
    hb_h_client_destroy(&st2);
    PQfinish(pg);
}

/* Hello as station with its acked seq; returns the Welcome (caller frees). */
static Hourbank__Envelope *
welcome(uint32_t station, uint64_t acked)
{
    hb_h_client_t *cl = hb_h_central_client(&central, station);
    Hourbank__Envelope env;
    Hourbank__Hello h;
    hourbank__envelope__init(&env);
    hourbank__hello__init(&h);
    h.station_id = station;
    h.last_acked_seq = acked;
    env.body_case = HOURBANK__ENVELOPE__BODY_HELLO;
    env.hello = &h;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, ACK_WAIT_MS);
    hb_h_client_destroy(&cl);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_WELCOME);
    return r;
}

/* Station 1 registered Alice to Dave (serials 1-4) and was refused Frank
 * (6), a number of its own range: it must allocate above 6. Station 2
 * registered nobody. */
static void
test_member_serial_mark(void **state)
{
    (void) state;
    Hourbank__Envelope *r = welcome(1, 10);
    assert_int_equal(r->welcome->high_water_mark, 10);
    assert_int_equal(r->welcome->member_serial_mark, FRANK);
    hb_wire_free(&r);
    r = welcome(2, 3);
    assert_int_equal(r->welcome->high_water_mark, 3);
    assert_int_equal(r->welcome->member_serial_mark, 0);
    hb_wire_free(&r);
    /* station 2 (serials from 500000) registers one: its own mark moves */
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 4, Q(500007), "Gao", HOURBANK__ROLE__VOLUNTEER, 1965, NULL);
    const int ok[] = {1};
    hb_h_client_t *cl = hb_h_central_client(&central, 2);
    Hourbank__Envelope *ack = send_expect(cl, b, ok, 1);
    hb_wire_free(&ack);
    hb_h_client_destroy(&cl);
    hb_h_batch_free(&b);
    r = welcome(2, 4);
    assert_int_equal(r->welcome->member_serial_mark, 500007);
    hb_wire_free(&r);
    r = welcome(1, 10);
    assert_int_equal(r->welcome->member_serial_mark, FRANK);
    hb_wire_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_registration_blocks_the_number),
        cmocka_unit_test(test_member_serial_mark),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
