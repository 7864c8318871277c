/* hourbank-central over ZeroMQ/CURVE against a real PostgreSQL: a batch
 * posts, a replay changes nothing, a reused seq and a gap are refused, the
 * ledger is immutable and verify passes. */
#include "hb_itest.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

static hb_h_central_t central;

static int
setup(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_ledger", NULL, NULL, NULL);
    hb_h_central_start(&central);
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    int st = hb_h_central_stop(&central, SIGTERM);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    return 0;
}

static hb_h_batch_t *
first_batch(void)
{
    int64_t now = (int64_t) time(NULL);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, hb_h_member("QX03", 1), "Wang Fang", HOURBANK__ROLE__VOLUNTEER, 1962, NULL);
    hb_h_batch_register(b, 2, hb_h_member("QX03", 2), "Li Wei", HOURBANK__ROLE__ELDER, 1938, NULL);
    hb_h_batch_register(b, 3, hb_h_member("QX03", 3), "Li Na", HOURBANK__ROLE__BOTH, 1966,
                        hb_h_member("QX03", 2));
    /* Li Wei is 80+: personal care is paid by the guarantee account */
    hb_h_batch_service(b, 4, now, hb_h_member("QX03", 1), hb_h_member("QX03", 2), 120, "personal-care");
    /* companionship is paid by the recipient: Wang Fang pays Li Na */
    hb_h_batch_service(b, 5, now, hb_h_member("QX03", 3), hb_h_member("QX03", 1), 30, "companionship");
    /* Wang Fang and Li Na are not family: gifts are family-only in GULOU */
    hb_h_batch_gift(b, 6, now, hb_h_member("QX03", 1), hb_h_member("QX03", 3), 10);
    return b;
}

static void
test_post_replay_conflict_gap(void **state)
{
    (void) state;
    PGconn *pg = hb_h_pg(central.conninfo);
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    assert_int_equal(hb_h_hello(cl, 1, 0), 0);

    hb_h_batch_t *b = first_batch();
    const int want[] = {1, 1, 1, 1, 1, HOURBANK__RESULT__NOT_FAMILY};
    Hourbank__Envelope *ack = itest_send(cl, b);
    itest_expect(ack, want, 6);
    assert_int_equal(ack->batch_ack->high_water_mark, 6);
    char first_message[HB_MESSAGE_BYTES_MAX];
    snprintf(first_message, sizeof first_message, "%s", itest_values(ack->batch_ack->results[5]));
    assert_non_null(strstr(first_message, "giver=QX03-"));
    assert_non_null(strstr(first_message, "\nreceiver=QX03-"));
    uint64_t first_transfer = ack->batch_ack->results[3]->transfer_id;
    assert_true(first_transfer > 0);
    hb_wire_free(&ack);
    assert_int_equal(itest_balance(pg, hb_h_member("QX03", 1)), 90);
    assert_int_equal(itest_balance(pg, hb_h_member("QX03", 3)), 30);
    assert_int_equal(hb_h_pg_int(pg, "SELECT credits - debits FROM account WHERE id = 1"), -120);
    assert_int_equal(hb_h_pg_int(pg, "SELECT sum(credits - debits) FROM account"), 0);
    int64_t transfers = hb_h_pg_int(pg, "SELECT count(*) FROM transfer");
    assert_int_equal(transfers, 2);

    /* the same batch again: same results, nothing applied twice */
    ack = itest_send(cl, b);
    itest_expect(ack, want, 6);
    assert_string_equal(itest_values(ack->batch_ack->results[5]), first_message);
    assert_int_equal(ack->batch_ack->results[3]->transfer_id, first_transfer);
    hb_wire_free(&ack);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM transfer"), transfers);
    assert_int_equal(itest_balance(pg, hb_h_member("QX03", 1)), 90);

    /* seq 5 again with another payload */
    hb_h_batch_t *changed = hb_h_batch_new();
    hb_h_batch_service(changed, 5, (int64_t) time(NULL), hb_h_member("QX03", 3), hb_h_member("QX03", 1),
                       45, "companionship");
    const int conflict[] = {HOURBANK__RESULT__EXISTS_WITH_DIFFERENT_PAYLOAD};
    ack = itest_send(cl, changed);
    itest_expect(ack, conflict, 1);
    hb_wire_free(&ack);
    assert_int_equal(itest_balance(pg, hb_h_member("QX03", 1)), 90);

    /* a batch beyond the high-water mark + 1 */
    hb_h_batch_t *gap = hb_h_batch_new();
    hb_h_batch_register(gap, 8, hb_h_member("QX03", 9), "Zhao Lei", HOURBANK__ROLE__VOLUNTEER, 1970, NULL);
    ack = hb_h_client_call(cl, hb_h_batch_envelope(gap), 5000);
    assert_non_null(ack);
    assert_int_equal(ack->batch_ack->batch_result, HOURBANK__RESULT__SEQ_GAP);
    assert_int_equal(ack->batch_ack->high_water_mark, 6);
    assert_int_equal(ack->batch_ack->n_results, 0);
    hb_wire_free(&ack);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM member_profile WHERE name = 'Zhao Lei'"), 0);

    assert_int_equal(hb_h_hello(cl, 1, 6), 6);
    hb_h_batch_free(&b);
    hb_h_batch_free(&changed);
    hb_h_batch_free(&gap);
    hb_h_client_destroy(&cl);
    PQfinish(pg);
}

static void
test_queries(void **state)
{
    (void) state;
    hb_h_client_t *cl = hb_h_central_client(&central, 2);
    Hourbank__Envelope *r = hb_h_balance(cl, hb_h_member("QX03", 1), 5000);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_BALANCE_REPLY);
    assert_int_equal(r->balance_reply->balance_minutes, 90);
    hb_wire_free(&r);

    Hourbank__Envelope env;
    hourbank__envelope__init(&env);
    Hourbank__StatementQuery sq;
    hourbank__statement_query__init(&sq);
    sq.member_no = (char *) (uintptr_t) hb_h_member("QX03", 1);
    env.body_case = HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY;
    env.statement_query = &sq;
    r = hb_h_client_call(cl, &env, 5000);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_STATEMENT_REPLY);
    assert_int_equal(r->statement_reply->n_entries, 2);
    /* newest first: paid Li Na 30, then earned 120 for care of Li Wei the guarantee paid */
    assert_int_equal(r->statement_reply->entries[0]->minutes, -30);
    assert_string_equal(r->statement_reply->entries[0]->counterparty, hb_h_member("QX03", 3));
    assert_string_equal(r->statement_reply->entries[0]->role, "recipient");
    assert_string_equal(r->statement_reply->entries[0]->paid_by, hb_h_member("QX03", 1));
    assert_int_equal(r->statement_reply->entries[0]->balance_after, 90);
    assert_int_equal(r->statement_reply->entries[1]->minutes, 120);
    assert_string_equal(r->statement_reply->entries[1]->counterparty, hb_h_member("QX03", 2));
    assert_string_equal(r->statement_reply->entries[1]->role, "provider");
    assert_string_equal(r->statement_reply->entries[1]->paid_by, "guarantee");
    assert_int_equal(r->statement_reply->entries[1]->balance_after, 120);
    assert_int_equal(r->statement_reply->closing_minutes, 90);
    assert_int_equal(r->statement_reply->in_minutes, 120);
    assert_int_equal(r->statement_reply->out_minutes, 30);
    assert_false(r->statement_reply->more);
    hb_wire_free(&r);

    r = hb_h_balance(cl, hb_h_member("QX03", 77), 5000);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    assert_int_equal(r->error->code, HOURBANK__RESULT__NOT_FOUND);
    hb_wire_free(&r);

    Hourbank__DirectoryQuery dq;
    hourbank__directory_query__init(&dq);
    env.body_case = HOURBANK__ENVELOPE__BODY_DIRECTORY_QUERY;
    env.directory_query = &dq;
    r = hb_h_client_call(cl, &env, 5000);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_DIRECTORY_REPLY);
    assert_int_equal(r->directory_reply->n_members, 3);
    uint64_t version = r->directory_reply->version;
    hb_wire_free(&r);
    dq.since_version = version;
    r = hb_h_client_call(cl, &env, 5000);
    assert_non_null(r);
    assert_int_equal(r->directory_reply->n_members, 0);
    hb_wire_free(&r);
    hb_h_client_destroy(&cl);
}

static void
test_ledger_is_immutable_and_verified(void **state)
{
    (void) state;
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_false(hb_h_pg_ok(pg, "UPDATE transfer SET minutes = minutes + 1"));
    assert_false(hb_h_pg_ok(pg, "DELETE FROM transfer"));
    assert_false(hb_h_pg_ok(pg, "TRUNCATE transfer CASCADE"));
    assert_false(hb_h_pg_ok(pg, "UPDATE op SET result = 1"));
    assert_false(hb_h_pg_ok(pg, "DELETE FROM op"));
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM transfer"), 2);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    /* verify must notice a balance that does not match its transfers */
    assert_true(hb_h_pg_ok(pg, "UPDATE account SET credits = credits + 5 WHERE id = 2"));
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 1);
    assert_true(hb_h_pg_ok(pg, "UPDATE account SET credits = credits - 5 WHERE id = 2"));
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    PQfinish(pg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_replay_conflict_gap),
        cmocka_unit_test(test_queries),
        cmocka_unit_test(test_ledger_is_immutable_and_verified),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
