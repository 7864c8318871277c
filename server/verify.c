#include "verify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_limits.h"

/* At most $1 problems, each cut to $2 characters (problems are ASCII), with
 * the count of all of them: the ledger's (hb_verify()) and every sealed
 * reconcile bucket that its rows no longer match (migration 0015). */
static const char PROBLEMS_SQL[] =
    "SELECT left(problem, $2::integer), count(*) OVER ()"
    " FROM (SELECT problem FROM hb_verify() UNION ALL SELECT problem FROM hb_verify_reconcile()) p"
    " LIMIT $1::integer";

/* Account 1 is the pool's guarantee account (0001_ledger.sql). */
static const char SUMMARY_SQL[] =
    "SELECT (SELECT count(*) FROM account), (SELECT count(*) FROM transfer),"
    " (SELECT coalesce(sum(credits - debits), 0) FROM account),"
    " (SELECT coalesce(-(credits - debits), 0) FROM account WHERE id = 1)";

static int64_t
col_i64(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static int
failed(PGconn *pg, PGresult *r, const char *what, char *msg, size_t msg_size)
{
    snprintf(msg, msg_size, "verify could not %s: %s", what,
             r ? PQresultErrorMessage(r) : PQerrorMessage(pg));
    msg[strcspn(msg, "\n")] = '\0';
    PQclear(r);
    return -1;
}

static int
read_summary(PGconn *pg, hb_verify_t *out, char *msg, size_t msg_size)
{
    PGresult *s = PQexec(pg, SUMMARY_SQL);
    if (PQresultStatus(s) != PGRES_TUPLES_OK || PQntuples(s) != 1)
        return failed(pg, s, "read the summary", msg, msg_size);
    out->accounts = col_i64(s, 0, 0);
    out->transfers = col_i64(s, 0, 1);
    out->balance_sum_minutes = col_i64(s, 0, 2);
    out->obligation_minutes = col_i64(s, 0, 3);
    PQclear(s);
    return 0;
}

static int
read_problems(PGconn *pg, hb_verify_t *out, char *msg, size_t msg_size)
{
    char limit[16], width[16];
    snprintf(limit, sizeof limit, "%d", HB_VERIFY_PROBLEMS_MAX);
    snprintf(width, sizeof width, "%d", HB_MESSAGE_BYTES_MAX);
    const char *p[] = {limit, width};
    PGresult *r = PQexecParams(pg, PROBLEMS_SQL, 2, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return failed(pg, r, "run hb_verify()", msg, msg_size);
    out->problems = r;
    out->problem_count = PQntuples(r) ? col_i64(r, 0, 1) : 0;
    return 0;
}

int
hb_verify_run(PGconn *pg, hb_verify_t *out, char *msg, size_t msg_size)
{
    hb_assert(pg && out);
    memset(out, 0, sizeof *out);
    PGresult *b = PQexec(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (PQresultStatus(b) != PGRES_COMMAND_OK)
        return failed(pg, b, "start a snapshot", msg, msg_size);
    PQclear(b);
    /* one snapshot for the checks and the summary */
    int rc = read_problems(pg, out, msg, msg_size);
    if (rc == 0)
        rc = read_summary(pg, out, msg, msg_size);
    PQclear(PQexec(pg, rc == 0 ? "COMMIT" : "ROLLBACK"));
    if (rc != 0)
        hb_verify_clear(out);
    return rc;
}

void
hb_verify_clear(hb_verify_t *v)
{
    hb_assert(v);
    PQclear(v->problems);
    memset(v, 0, sizeof *v);
}
