/* What the operator sees at a station: a rejected op stays listed with its
 * code and message until dismissed; balances answer "synced + pending, as
 * of" with the link down; local checks catch unknown members at once; and
 * a full outbox refuses new work with a clear error while keeping the old. */
#include "hb_itest.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A queued op's result values as text (hb_h_values). */
#define QV(op) hb_h_values((op)->params, (op)->n_params, (op)->message)

static hb_h_central_t central;

static uint64_t
save_op(hb_h_client_t *cl, hb_h_batch_t *b, char *member_no, int *code, char *msg)
{
    return hb_h_save(cl, hb_h_batch_op(b, 0), code, member_no, msg, 256);
}

static void
test_rejection_listed_until_dismissed(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_squeue", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_t st;
    hb_h_station_init(&st, &central, 2, 0);
    hb_h_station_start(&st);
    hb_h_client_t *cl = hb_h_station_client(&st);
    char a[32], b[32], msg[256];
    int code;
    hb_h_batch_t *op = hb_h_batch_new();
    hb_h_batch_register(op, 0, "", "Volunteer", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    assert_int_equal(save_op(cl, op, a, &code, msg), 1);
    hb_h_batch_free(&op);
    op = hb_h_batch_new();
    hb_h_batch_register(op, 0, "", "Young elder", HOURBANK__ROLE__ELDER, 1970, NULL);
    assert_int_equal(save_op(cl, op, b, &code, msg), 2);
    hb_h_batch_free(&op);
    /* b holds no hours and companionship is paid by the recipient */
    op = hb_h_batch_new();
    hb_h_batch_service(op, 0, (int64_t) time(NULL), a, b, 90, "companionship");
    assert_int_equal(save_op(cl, op, NULL, &code, msg), 3);
    hb_h_batch_free(&op);
    assert_true(hb_h_wait_drained(cl, 30));

    Hourbank__Envelope *q = hb_h_queue(cl, true);
    assert_non_null(q);
    assert_int_equal(q->queue_reply->rejected, 1);
    assert_int_equal(q->queue_reply->n_ops, 1);
    assert_int_equal(q->queue_reply->ops[0]->seq, 3);
    assert_int_equal(q->queue_reply->ops[0]->result, HOURBANK__RESULT__INSUFFICIENT_BALANCE);
    assert_non_null(strstr(QV(q->queue_reply->ops[0]), b));
    hb_wire_free(&q);

    Hourbank__Envelope env;
    Hourbank__DismissRequest d;
    hourbank__envelope__init(&env);
    hourbank__dismiss_request__init(&d);
    d.seq = 3;
    env.body_case = HOURBANK__ENVELOPE__BODY_DISMISS;
    env.dismiss = &d;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 5000);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_QUEUE_REPLY);
    assert_int_equal(r->queue_reply->rejected, 0);
    hb_wire_free(&r);
    d.seq = 1;  /* an accepted op cannot be dismissed */
    r = hb_h_client_call(cl, &env, 5000);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    hb_wire_free(&r);

    /* unknown members are caught before anything is saved */
    op = hb_h_batch_new();
    hb_h_batch_service(op, 0, (int64_t) time(NULL), a, hb_h_member("QX03", 4242), 30, "companionship");
    assert_int_equal(save_op(cl, op, NULL, &code, msg), 0);
    assert_int_equal(code, HOURBANK__RESULT__UNKNOWN_MEMBER);
    assert_non_null(strstr(msg, "role=recipient\nmember="));  /* values, as central's (PROTOCOL.md) */
    hb_h_batch_free(&op);
    q = hb_h_queue(cl, false);
    assert_int_equal(q->queue_reply->pending, 0);
    hb_wire_free(&q);
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&st, SIGTERM);
}

static int64_t
balance(hb_h_client_t *cl, const char *member_no, int64_t *pending, int64_t *as_of)
{
    Hourbank__Envelope *r = hb_h_balance(cl, member_no, 5000);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_BALANCE_REPLY);
    int64_t v = r->balance_reply->balance_minutes;
    *pending = r->balance_reply->pending_minutes;
    *as_of = r->balance_reply->as_of;
    hb_wire_free(&r);
    return v;
}

static void
test_offline_balance_view(void **state)
{
    (void) state;
    hb_h_station_t st;
    hb_h_station_init(&st, &central, 1, 0);
    hb_h_station_start(&st);
    hb_h_client_t *cl = hb_h_station_client(&st);
    char v[32], e[32], msg[256];
    int code;
    hb_h_batch_t *op = hb_h_batch_new();
    hb_h_batch_register(op, 0, "", "Volunteer", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    save_op(cl, op, v, &code, msg);
    hb_h_batch_free(&op);
    op = hb_h_batch_new();
    hb_h_batch_register(op, 0, "", "Elder", HOURBANK__ROLE__ELDER, 1936, NULL);
    save_op(cl, op, e, &code, msg);
    hb_h_batch_free(&op);
    op = hb_h_batch_new();
    hb_h_batch_service(op, 0, (int64_t) time(NULL), v, e, 120, "personal-care");
    assert_int_equal(save_op(cl, op, NULL, &code, msg), 3);
    hb_h_batch_free(&op);
    assert_true(hb_h_wait_drained(cl, 30));
    int64_t pending, as_of = 0;
    for (int i = 0; i < 300 && balance(cl, v, &pending, &as_of) != 120; i++)
        usleep(100 * 1000);  /* the directory refreshes soon after an ack */
    assert_int_equal(balance(cl, v, &pending, &as_of), 120);
    assert_int_equal(pending, 0);
    assert_true(as_of > 0);

    /* link down: the balance is the synced one plus what waits here */
    hb_h_central_stop(&central, SIGTERM);
    op = hb_h_batch_new();
    hb_h_batch_service(op, 0, (int64_t) time(NULL), v, e, 45, "personal-care");
    assert_int_equal(save_op(cl, op, NULL, &code, msg), 4);
    hb_h_batch_free(&op);
    int64_t as_of2;
    assert_int_equal(balance(cl, v, &pending, &as_of2), 120);
    assert_int_equal(pending, 45);
    assert_int_equal(as_of2, as_of);
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&st, SIGTERM);
}

static void
test_full_outbox_refuses_and_keeps(void **state)
{
    (void) state;
    if (central.pid)
        hb_h_central_stop(&central, SIGTERM);  /* central is down: nothing drains */
    hb_h_station_t st;
    hb_h_station_init(&st, &central, 3, HB_OUTBOX_BYTES_MIN);
    hb_h_station_start(&st);
    hb_h_client_t *cl = hb_h_station_client(&st);
    char msg[256];
    int code = 0;
    uint64_t saved = 0;
    char name[HB_NAME_BYTES_MAX + 1];
    memset(name, 'x', HB_NAME_CHARS_MAX);
    name[HB_NAME_CHARS_MAX] = '\0';
    for (int i = 0; i < 100000 && code == 0; i++) {
        hb_h_batch_t *op = hb_h_batch_new();
        hb_h_batch_register(op, 0, "", name, HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
        uint64_t seq = hb_h_save(cl, hb_h_batch_op(op, 0), &code, NULL, msg, sizeof msg);
        hb_h_batch_free(&op);
        if (seq)
            saved = seq;
    }
    assert_int_equal(code, HOURBANK__RESULT__OUTBOX_FULL);
    print_message("outbox full after %llu saves: %s\n", (unsigned long long) saved, msg);
    assert_true(saved > 100);
    assert_non_null(strstr(msg, "full"));
    Hourbank__Envelope *q = hb_h_queue(cl, false);
    assert_int_equal(q->queue_reply->pending, saved);
    hb_wire_free(&q);
    hb_h_client_destroy(&cl);
    /* still there after a restart */
    hb_h_station_stop(&st, SIGKILL);
    hb_h_station_start(&st);
    cl = hb_h_station_client(&st);
    q = hb_h_queue(cl, false);
    assert_int_equal(q->queue_reply->pending, saved);
    hb_wire_free(&q);
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&st, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rejection_listed_until_dismissed),
        cmocka_unit_test(test_offline_balance_view),
        cmocka_unit_test(test_full_outbox_refuses_and_keeps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
