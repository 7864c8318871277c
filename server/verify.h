/* verify.h - the ledger's self-check, shared by "hourbank-central verify"
 * and the admin's VerifyQuery so that both run the same SQL: hb_verify()
 * (0001_ledger.sql: Σ balances = 0, every balance = Σ its transfers, op
 * results agree with the transfers) and a summary, read in one
 * REPEATABLE READ snapshot. */
#ifndef HB_VERIFY_H
#define HB_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

typedef struct {
    PGresult *problems;         /* one text column, at most HB_VERIFY_PROBLEMS_MAX rows */
    int64_t problem_count;      /* every problem, also those beyond the rows */
    int64_t accounts;
    int64_t transfers;
    int64_t balance_sum_minutes;   /* 0 in a sound ledger */
    int64_t obligation_minutes;    /* the guarantee account's debt */
} hb_verify_t;

/* Runs the checks on pg (borrowed; not inside a transaction). Returns 0
 * with *out filled (free with hb_verify_clear), or -1 with the reason in
 * msg and *out empty. Each problem is one line of at most
 * HB_MESSAGE_BYTES_MAX bytes. */
int hb_verify_run(PGconn *pg, hb_verify_t *out, char *msg, size_t msg_size);

/* Frees what hb_verify_run filled; safe on an empty or cleared *v. */
void hb_verify_clear(hb_verify_t *v);

#endif
