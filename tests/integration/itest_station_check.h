/* itest_station_check.h - helpers of the station's checks-at-save tests
 * (itest_station_prechecks.c, itest_station_precheck_random.c,
 * itest_station_pending.c): saving through the local API with the whole
 * reply, sending the same op straight to central as another station, and
 * waiting for the station's copy of the rules and directory. Test code. */
#ifndef ITEST_STATION_CHECK_H
#define ITEST_STATION_CHECK_H

#include "hb_itest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHK_DAY_S (24 * 3600)
#define CHK_POLL_US (100 * 1000)

/* Saves op (seq 0) at the station, with confirm_new; the reply whatever
 * its body (caller frees), failing the test when none comes. */
static inline Hourbank__Envelope *
chk_save(hb_h_client_t *cl, Hourbank__Op *op, bool dry_run)
{
    Hourbank__Envelope env;
    Hourbank__SaveRequest req;
    hourbank__envelope__init(&env);
    hourbank__save_request__init(&req);
    op->seq = 0;
    req.op = op;
    req.dry_run = dry_run;
    req.confirm_new = true;  /* members of one name and year are others (see itest_station_lives) */
    env.body_case = HOURBANK__ENVELOPE__BODY_SAVE;
    env.save = &req;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 5000);
    assert_non_null(r);
    return r;
}

/* The code of a save's reply: OK for a SaveReply, else the ErrorReply's. */
static inline int
chk_code(const Hourbank__Envelope *r)
{
    if (r->body_case == HOURBANK__ENVELOPE__BODY_SAVE_REPLY)
        return HOURBANK__RESULT__OK;
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    return (int) r->error->code;
}

/* An ErrorReply's values as text ("name=value" lines). */
static inline const char *
chk_values(const Hourbank__Envelope *r)
{
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    return hb_h_values(r->error->params, r->error->n_params, r->error->message);
}

/* Saves op and returns its seq; fails the test when it is refused. */
static inline uint64_t
chk_save_ok(hb_h_client_t *cl, Hourbank__Op *op, char *member_no_out)
{
    Hourbank__Envelope *r = chk_save(cl, op, false);
    if (r->body_case != HOURBANK__ENVELOPE__BODY_SAVE_REPLY)
        fail_msg("save refused (%d): %s", chk_code(r), chk_values(r));
    uint64_t seq = r->save_reply->seq;
    if (member_no_out)
        snprintf(member_no_out, 32, "%s", r->save_reply->member_no);
    hb_wire_free(&r);
    return seq;
}

/* Sends op to central in a batch of one as the client's station, with
 * *seq + 1 (then *seq is that); its OpResult code, and its values in
 * values (values_size bytes). */
static inline int
chk_central(hb_h_client_t *cl, uint64_t *seq, const Hourbank__Op *op, char *values, size_t values_size)
{
    Hourbank__Op copy = *op;
    Hourbank__Op *ops[1] = {&copy};
    Hourbank__Batch batch;
    Hourbank__Envelope env;
    hourbank__batch__init(&batch);
    hourbank__envelope__init(&env);
    copy.seq = ++*seq;
    batch.ops = ops;
    batch.n_ops = 1;
    env.body_case = HOURBANK__ENVELOPE__BODY_BATCH;
    env.batch = &batch;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 10000);
    assert_non_null(r);
    if (r->body_case != HOURBANK__ENVELOPE__BODY_BATCH_ACK)
        fail_msg("central answered body %d, not an ack", (int) r->body_case);
    assert_int_equal(r->batch_ack->batch_result, HOURBANK__RESULT__OK);
    assert_int_equal(r->batch_ack->n_results, 1);
    int code = (int) r->batch_ack->results[0]->result;
    snprintf(values, values_size, "%s", itest_values(r->batch_ack->results[0]));
    hb_wire_free(&r);
    return code;
}

/* values without the line of name (central_time differs by its nature:
 * the instant each side judged). In a static buffer. */
static inline const char *
chk_without(const char *values, const char *name)
{
    static char out[1024];
    out[0] = '\0';
    size_t len = strlen(name);
    for (const char *p = values; *p;) {
        size_t n = strcspn(p, "\n");
        if (!(n > len && strncmp(p, name, len) == 0 && p[len] == '='))
            snprintf(out + strlen(out), sizeof out - strlen(out), "%s%.*s", out[0] ? "\n" : "", (int) n, p);
        p += n + (p[n] == '\n');
    }
    return out;
}

/* The station's answer to RulesQuery (caller frees). */
static inline Hourbank__Envelope *
chk_rules(hb_h_client_t *cl)
{
    Hourbank__Envelope env;
    Hourbank__RulesQuery q;
    hourbank__envelope__init(&env);
    hourbank__rules_query__init(&q);
    env.body_case = HOURBANK__ENVELOPE__BODY_RULES_QUERY;
    env.rules_query = &q;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 5000);
    assert_non_null(r);
    return r;
}

/* Waits until the station holds a copy of the rules; fails after 20 s.
 * HB_ITEST_NO_RULES_WAIT set: does not wait (to see what a station
 * without copies, an older one, does in the rest of a test). */
static inline void
chk_wait_rules(hb_h_client_t *cl)
{
    if (getenv("HB_ITEST_NO_RULES_WAIT"))
        return;
    for (int i = 0; i < 200; i++) {
        Hourbank__Envelope *r = chk_rules(cl);
        bool ok = r->body_case == HOURBANK__ENVELOPE__BODY_RULES_REPLY;
        hb_wire_free(&r);
        if (ok)
            return;
        usleep(CHK_POLL_US);
    }
    fail_msg("the station has no copy of the rules after 20 s");
}

/* The station's BalanceReply for member (caller frees); fails on another body. */
static inline Hourbank__Envelope *
chk_balance(hb_h_client_t *cl, const char *member)
{
    Hourbank__Envelope *r = hb_h_balance(cl, member, 5000);
    assert_non_null(r);
    if (r->body_case != HOURBANK__ENVELOPE__BODY_BALANCE_REPLY)
        fail_msg("balance of %s: body %d (%s)", member, (int) r->body_case,
                 r->body_case == HOURBANK__ENVELOPE__BODY_ERROR ? r->error->message : "");
    return r;
}

/* Waits until the station's directory holds member with nothing unsettled
 * (as_of set, pending in and out 0) and, when want >= 0, with that
 * balance; returns the balance. Fails after timeout_s. */
static inline int64_t
chk_wait_settled(hb_h_client_t *cl, const char *member, int64_t want, int timeout_s)
{
    time_t end = time(NULL) + timeout_s;
    int64_t bal = 0, in = 0, out = 0, as_of = 0;
    while (time(NULL) < end) {
        Hourbank__Envelope *r = chk_balance(cl, member);
        bal = r->balance_reply->balance_minutes;
        in = r->balance_reply->pending_in_minutes;
        out = r->balance_reply->pending_out_minutes;
        as_of = r->balance_reply->as_of;
        hb_wire_free(&r);
        if (as_of > 0 && in == 0 && out == 0 && (want < 0 || bal == want))
            return bal;
        usleep(CHK_POLL_US);
    }
    fail_msg("%s not settled at the station: balance %lld (want %lld) in %lld out %lld as_of %lld", member,
             (long long) bal, (long long) want, (long long) in, (long long) out, (long long) as_of);
    return -1;
}

#endif
