/* hb_itest.h - assertions shared by the central integration tests. */
#ifndef HB_ITEST_H
#define HB_ITEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "hb_harness.h"
#include "hb_wire.h"

/* Sends a batch and returns the ack (caller frees with hb_wire_free);
 * fails the test on timeout or a reply of another type. */
static inline Hourbank__Envelope *
itest_send(hb_h_client_t *cl, hb_h_batch_t *b)
{
    Hourbank__Envelope *r = hb_h_client_call(cl, hb_h_batch_envelope(b), 10000);
    assert_non_null(r);
    if (r->body_case == HOURBANK__ENVELOPE__BODY_ERROR)
        fail_msg("error reply %d: %s", r->error->code, r->error->message);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_BATCH_ACK);
    return r;
}

/* An op result's values as their stored text ("name=value" lines), or
 * the prose of a result stored before values existed. In a buffer of
 * four that the next calls reuse. */
static inline const char *
itest_values(const Hourbank__OpResult *r)
{
    return hb_h_values(r->params, r->n_params, r->message);
}

/* Asserts the ack's per-op results equal want[0..n). */
static inline void
itest_expect(const Hourbank__Envelope *ack, const int *want, size_t n)
{
    assert_int_equal(ack->batch_ack->batch_result, HOURBANK__RESULT__OK);
    assert_int_equal(ack->batch_ack->n_results, n);
    for (size_t i = 0; i < n; i++) {
        if ((int) ack->batch_ack->results[i]->result != want[i])
            fail_msg("op %zu (seq %llu): result %d, want %d (%s)", i,
                     (unsigned long long) ack->batch_ack->results[i]->seq,
                     ack->batch_ack->results[i]->result, want[i], itest_values(ack->batch_ack->results[i]));
    }
}

/* Balance of a member from SQL. */
static inline int64_t
itest_balance(PGconn *pg, const char *member_no)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT a.credits - a.debits FROM member m JOIN account a"
                              " ON a.id = m.account_id WHERE m.member_no = '%s'", member_no);
    return hb_h_pg_int(pg, sql);
}

#endif
