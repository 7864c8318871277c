/* A restored station must not reissue member numbers, nor credit the wrong
 * person when it does.
 *
 * The station registers Alice and Bob (synced) and is backed up; it
 * registers Carol (QX03-000003, synced); central goes down and the outbox
 * comes back from the backup.
 *
 * By hand (the file copied back): the operator registers "Eve" offline and
 * the station hands out Carol's number and seq again. Central refuses
 * Eve's registration (EXISTS_WITH_DIFFERENT_PAYLOAD) and every later op of
 * that station naming the number (REGISTRATION_REFUSED): Carol's balance is
 * untouched, and the operator sees both rejections.
 *
 * With the command (hourbank-station restore): the station refuses saves
 * (AWAITING_CENTRAL) until central's Welcome has confirmed its marks; then
 * Eve gets a new number and a new seq, and her service is hers. */
#include "hb_itest.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A queued op's result values as text (hb_h_values). */
#define QV(op) hb_h_values((op)->params, (op)->n_params, (op)->message)

static hb_h_central_t central;
static hb_h_station_t st;
static char alice[32], bob[32], carol[32];

static uint64_t
try_save(hb_h_batch_t *b, int *code, char *member_no, char *msg, size_t msg_size)
{
    hb_h_client_t *cl = hb_h_station_client(&st);
    *code = 0;
    uint64_t seq = hb_h_save(cl, hb_h_batch_op(b, 0), code, member_no, msg, msg_size);
    hb_h_client_destroy(&cl);
    hb_h_batch_free(&b);
    return seq;
}

static uint64_t
register_one(const char *name, int role, uint32_t born, char *member_no)
{
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", name, role, born, NULL);
    int code;
    char msg[256];
    uint64_t seq = try_save(b, &code, member_no, msg, sizeof msg);
    if (!seq)
        fail_msg("registration refused (%d): %s", code, msg);
    return seq;
}

static hb_h_batch_t *
service_of(const char *provider, const char *recipient, int64_t minutes)
{
    hb_h_batch_t *b = hb_h_batch_new();
    /* an elder born 1930 in GULOU: the guarantee pays her personal care */
    hb_h_batch_service(b, 0, (int64_t) time(NULL) - 60, provider, recipient, minutes, "personal-care");
    return b;
}

static void
drained(void)
{
    hb_h_client_t *cl = hb_h_station_client(&st);
    assert_true(hb_h_wait_drained(cl, 30));
    hb_h_client_destroy(&cl);
}

static int
station_cmd(const char *verb, const char *file)
{
    char bin[600];
    char *argv[] = {(char *) (uintptr_t) hb_h_bin("hourbank-station", bin, sizeof bin), "-c", st.conf,
                    (char *) (uintptr_t) verb, (char *) (uintptr_t) file, NULL};
    return hb_h_run(argv, st.log);
}

static int64_t
balance(const char *member_no)
{
    PGconn *pg = hb_h_pg(central.conninfo);
    int64_t v = itest_balance(pg, member_no);
    PQfinish(pg);
    return v;
}

/* Alice and Bob, backup, Carol; central down. The backup's path in out. */
static void
until_the_disk_dies(char *backup, size_t size)
{
    hb_h_central_start(&central);
    hb_h_station_init(&st, &central, 1, 0);
    hb_h_station_start(&st);
    register_one("Alice", HOURBANK__ROLE__ELDER, 1930, alice);
    register_one("Bob", HOURBANK__ROLE__VOLUNTEER, 1962, bob);
    drained();
    snprintf(backup, size, "%s/last-week.outbox", st.dir);
    assert_int_equal(station_cmd("backup", backup), 0);
    assert_int_equal(register_one("Carol", HOURBANK__ROLE__VOLUNTEER, 1960, carol), 3);
    assert_string_equal(carol, hb_h_member("QX03", 3));
    drained();
    assert_int_equal(balance(carol), 0);
    hb_h_station_stop(&st, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
}

static int64_t
result_of(uint64_t seq)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT result FROM op WHERE station_id = 1 AND seq = %llu", (unsigned long long) seq);
    PGconn *pg = hb_h_pg(central.conninfo);
    int64_t v = hb_h_pg_int(pg, sql);
    PQfinish(pg);
    return v;
}

static void
test_copied_back_by_hand(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_reissue_hand", NULL, NULL, NULL);
    char backup[700], cmd[4096];
    until_the_disk_dies(backup, sizeof backup);
    snprintf(cmd, sizeof cmd, "rm -f '%s' '%s-wal' '%s-shm' && cp '%s' '%s'", st.outbox, st.outbox, st.outbox,
             backup, st.outbox);
    assert_int_equal(system(cmd), 0);
    hb_h_station_start(&st);  /* central is down: nothing confirms the marks */
    char eve[32];
    assert_int_equal(register_one("Eve", HOURBANK__ROLE__VOLUNTEER, 1970, eve), 3);
    assert_string_equal(eve, carol);  /* the number comes back, as the file says */
    hb_h_batch_t *b = service_of(eve, alice, 45);
    int code;
    char msg[256];
    assert_int_equal(try_save(b, &code, NULL, msg, sizeof msg), 4);
    hb_h_central_start(&central);
    drained();
    assert_int_equal(result_of(3), 1);  /* Carol's registration stands */
    assert_int_equal(result_of(4), HOURBANK__RESULT__REGISTRATION_REFUSED);
    /* the operator sees both, with the reason */
    hb_h_client_t *cl = hb_h_station_client(&st);
    Hourbank__Envelope *q = hb_h_queue(cl, true);
    assert_non_null(q);
    assert_int_equal(q->queue_reply->n_ops, 2);
    assert_int_equal(q->queue_reply->ops[0]->seq, 3);
    assert_int_equal(q->queue_reply->ops[0]->result, HOURBANK__RESULT__EXISTS_WITH_DIFFERENT_PAYLOAD);
    assert_int_equal(q->queue_reply->ops[1]->seq, 4);
    assert_int_equal(q->queue_reply->ops[1]->result, HOURBANK__RESULT__REGISTRATION_REFUSED);
    assert_non_null(strstr(QV(q->queue_reply->ops[1]), carol));
    hb_wire_free(&q);
    /* a service saved later names the same number: refused too */
    b = service_of(eve, alice, 50);
    assert_int_equal(try_save(b, &code, NULL, msg, sizeof msg), 5);
    assert_true(hb_h_wait_drained(cl, 30));
    hb_h_client_destroy(&cl);
    assert_int_equal(result_of(5), HOURBANK__RESULT__REGISTRATION_REFUSED);
    assert_int_equal(balance(carol), 0);  /* nothing credited to the wrong person */
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    hb_h_station_stop(&st, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
}

static void
test_restored_with_the_command(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_reissue_cmd", NULL, NULL, NULL);
    char backup[700];
    until_the_disk_dies(backup, sizeof backup);
    assert_int_equal(station_cmd("restore", backup), 0);
    hb_h_station_start(&st);  /* central still down */
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", "Eve", HOURBANK__ROLE__VOLUNTEER, 1970, NULL);
    int code;
    char msg[256], eve[32] = "";
    assert_int_equal(try_save(b, &code, eve, msg, sizeof msg), 0);
    assert_int_equal(code, HOURBANK__RESULT__AWAITING_CENTRAL);
    assert_non_null(strstr(msg, "restored"));
    hb_h_client_t *cl = hb_h_station_client(&st);
    Hourbank__Envelope *q = hb_h_queue(cl, false);
    assert_non_null(q);
    assert_true(q->queue_reply->saves_blocked);
    assert_int_equal(q->queue_reply->pending, 0);
    hb_wire_free(&q);
    hb_h_client_destroy(&cl);

    hb_h_central_start(&central);
    uint64_t seq = 0;
    for (int i = 0; i < 300 && !seq; i++) {  /* until the Welcome has confirmed the marks */
        b = hb_h_batch_new();
        hb_h_batch_register(b, 0, "", "Eve", HOURBANK__ROLE__VOLUNTEER, 1970, NULL);
        seq = try_save(b, &code, eve, msg, sizeof msg);
        if (!seq) {
            assert_int_equal(code, HOURBANK__RESULT__AWAITING_CENTRAL);
            usleep(100 * 1000);
        }
    }
    assert_int_equal(seq, 4);                          /* past central's mark 3: no seq reused */
    assert_string_equal(eve, hb_h_member("QX03", 4));  /* past central's serial mark 3 */
    b = service_of(eve, alice, 45);
    assert_int_equal(try_save(b, &code, NULL, msg, sizeof msg), 5);
    drained();
    assert_int_equal(result_of(4), 1);
    assert_int_equal(result_of(5), 1);
    assert_int_equal(balance(eve), 45);
    assert_int_equal(balance(carol), 0);
    cl = hb_h_station_client(&st);
    q = hb_h_queue(cl, true);
    assert_non_null(q);
    assert_int_equal(q->queue_reply->rejected, 0);
    assert_false(q->queue_reply->saves_blocked);
    hb_wire_free(&q);
    hb_h_client_destroy(&cl);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    hb_h_station_stop(&st, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copied_back_by_hand),
        cmocka_unit_test(test_restored_with_the_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
