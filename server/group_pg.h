/* group_pg.h - pipelines and COPY for a group commit (group_pg.c).
 * Private to group.c and group_write.c. */
#ifndef HB_GROUP_PG_H
#define HB_GROUP_PG_H

#include <stddef.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "book.h"
#include "group.h"
#include "group_sql.h"

typedef struct {
    int stmt;
    int n_params;
    const char *v[HB_GROUP_PARAMS_MAX];
} hb_group_call_t;

typedef struct {
    PGconn *pg;
    hb_group_note_fn *note;
    void *note_arg;
} hb_group_conn_t;

/* Queues statement stmt with v[0..n_params) (borrowed, valid until the
 * pipeline has run) as calls[(*n)++]. */
void hb_group_pg_add_call(hb_group_call_t *calls, size_t *n, int stmt, const char *const *v, int n_params);

/* Sends calls[0..n) as one pipeline and reads their results into
 * results[stmt] (caller clears them). Returns 0, or -1 after note. */
int hb_group_pg_run(hb_group_conn_t *c, const hb_group_call_t *calls, size_t n, PGresult **results);

/* Sends the rows fill writes from b by the COPY statement sql. Returns 0,
 * or -1 after note. */
int hb_group_pg_copy(hb_group_conn_t *c, const char *sql, const hb_book_t *b,
                     void (*fill)(const hb_book_t *, FILE *));

#endif
