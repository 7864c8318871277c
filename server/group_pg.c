/* group_pg.c - how a group commit drives libpq: pipelines of prepared
 * statements, and COPY. Moved from group.c; the statements are in
 * group_sql.c, the COPY row text in group_copy.c. */
#include "group_pg.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hb_assert.h"

/* In pipeline mode a statement gives one result, then NULL. */
#define RESULTS_PER_STATEMENT 2

/* ---- pipelines ---- */

/* Reads up to the sync point after a failure and leaves pipeline mode. */
static void
drain(hb_group_conn_t *c, size_t n_calls)
{
    size_t bound = (n_calls + 1) * RESULTS_PER_STATEMENT;
    for (size_t i = 0; i < bound && PQstatus(c->pg) == CONNECTION_OK; i++) {
        PGresult *r = PQgetResult(c->pg);
        bool synced = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
        PQclear(r);
        if (synced)
            break;
    }
    PQexitPipelineMode(c->pg);
}

static int
read_call(hb_group_conn_t *c, const hb_group_call_t *call, PGresult **out)
{
    PGresult *r = PQgetResult(c->pg);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        c->note(c->note_arg, hb_group_statements[call->stmt].name, r);
        PQclear(r);
        return -1;
    }
    PGresult *end = PQgetResult(c->pg);  /* NULL: this call's results are complete */
    if (end) {
        c->note(c->note_arg, hb_group_statements[call->stmt].name, end);
        PQclear(end);
        PQclear(r);
        return -1;
    }
    *out = r;
    return 0;
}

/* Sends calls[0..n) as one pipeline and reads their results into
 * results[stmt] (caller clears them). Returns 0, or -1 after note. */
int
hb_group_pg_run(hb_group_conn_t *c, const hb_group_call_t *calls, size_t n, PGresult **results)
{
    if (PQenterPipelineMode(c->pg) != 1) {
        c->note(c->note_arg, "enter pipeline mode", NULL);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const hb_group_statement_t *s = &hb_group_statements[calls[i].stmt];
        hb_assert(calls[i].n_params == s->n_params);
        if (PQsendQueryPrepared(c->pg, s->name, s->n_params, calls[i].v, NULL, NULL, 0) != 1) {
            c->note(c->note_arg, s->name, NULL);
            PQexitPipelineMode(c->pg);
            return -1;
        }
    }
    if (PQpipelineSync(c->pg) != 1) {
        c->note(c->note_arg, "pipeline sync", NULL);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (read_call(c, &calls[i], &results[calls[i].stmt]) != 0) {
            drain(c, n);
            return -1;
        }
    }
    PGresult *r = PQgetResult(c->pg);
    bool synced = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
    PQclear(r);
    if (!synced || PQexitPipelineMode(c->pg) != 1) {
        c->note(c->note_arg, "pipeline end", NULL);
        return -1;
    }
    return 0;
}

void
hb_group_pg_add_call(hb_group_call_t *calls, size_t *n, int stmt, const char *const *v, int n_params)
{
    hb_assert(n_params <= HB_GROUP_PARAMS_MAX);
    hb_group_call_t *c = &calls[(*n)++];
    c->stmt = stmt;
    c->n_params = n_params;
    for (int i = 0; i < n_params; i++)
        c->v[i] = v[i];
}


/* ---- COPY: op and transfer rows go in at PostgreSQL's bulk pace ---- */


int
hb_group_pg_copy(hb_group_conn_t *c, const char *sql, const hb_book_t *b, void (*fill)(const hb_book_t *, FILE *))
{
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    hb_assert(f);
    fill(b, f);
    fclose(f);
    int rc = 0;
    if (len > 0) {
        hb_assert(len < (size_t) INT32_MAX);  /* bounded by HB_GROUP_OPS_MAX rows */
        PGresult *r = PQexec(c->pg, sql);
        if (PQresultStatus(r) != PGRES_COPY_IN) {
            c->note(c->note_arg, sql, r);
            rc = -1;
        } else if (PQputCopyData(c->pg, data, (int) len) != 1 || PQputCopyEnd(c->pg, NULL) != 1) {
            c->note(c->note_arg, sql, NULL);
            rc = -1;
        }
        PQclear(r);
        for (int i = 0; rc == 0 && (r = PQgetResult(c->pg)) != NULL; i++) {
            if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                c->note(c->note_arg, sql, r);
                rc = -1;
            }
            PQclear(r);
        }
    }
    free(data);
    return rc;
}
