/* query_int.h - what query.c, query_statement.c and query_rules.c share:
 * the connection, the reply, and running a read. Not for other files. */
#ifndef HB_QUERY_INT_H
#define HB_QUERY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "hb_limits.h"
#include "query.h"

/* Results and arrays a reply may hold besides res and rows. */
#define HB_QUERY_REPLY_PARTS 4

struct hb_query {
    char *conninfo;
    PGconn *pg;
    int connect_timeout_s;    /* 0: libpq's default (none) */
    int statement_timeout_s;  /* 0: none */
    int64_t retry_at_ms;      /* no connection attempt before this */
    bool timed_out;           /* the last statement got no answer in time */
    int retry_delay_ms;
    hb_result_t fail_code;    /* why the last run() failed: UNAVAILABLE or MALFORMED */
    char fail_msg[HB_MESSAGE_BYTES_MAX];
};

/* A reply points into its PGresult; both are freed together. */
struct hb_query_reply {
    Hourbank__Envelope env;
    PGresult *res;
    union {
        Hourbank__BalanceReply balance;
        Hourbank__StatementReply statement;
        Hourbank__MemberReply member;
        Hourbank__DirectoryReply directory;
        Hourbank__CategoriesReply categories;
        Hourbank__StationsReply stations;
        Hourbank__VerifyReply verify;
        Hourbank__RulesReply rules;
        Hourbank__ReconcileReply reconcile;
    } body;
    PGresult *more[HB_QUERY_REPLY_PARTS];  /* further results (rules), freed with the reply */
    void *arrays[HB_QUERY_REPLY_PARTS];    /* further calloc'd arrays, freed with the reply */
    void *rows;        /* array of Member, StatementEntry, Category or StationInfo */
    void **row_ptrs;   /* pointers into rows (or problem strings) */
    Hourbank__OpRef *refs;
    char member_no[HB_MEMBER_NO_BYTES_MAX + 1];
    char more_problems[HB_MESSAGE_BYTES_MAX];
};

/* The columns of a Member (query_member.c), from member_now m and account a. */
#define HB_QUERY_MEMBER_COLS \
    "m.member_no, m.name, m.role, coalesce(m.birth_year, 0), coalesce(m.family[1], ''), a.credits - a.debits," \
    " a.version, m.community, array_to_string(m.family, ','), array_to_string(m.relations, E'\\n')," \
    " array_to_string(m.numbers, ','), m.left_at IS NOT NULL"
/* Members from r->res (HB_QUERY_MEMBER_COLS), owned by r: uses r->rows,
 * r->row_ptrs and r->arrays. */
void hb_query__fill_members(hb_query_reply_t *r, Hourbank__Member ***out, size_t *n_out);

/* Runs a read with text parameters; reconnects once if the connection was
 * lost. NULL on failure (logged; hb_query__failed says what to answer). */
PGresult *hb_query__run(hb_query_t *self, const char *sql, int n, const char *const *params);
/* A failed run: the code and message to answer. */
void hb_query__failed(const hb_query_t *self, hb_result_t *code, char *msg, size_t msg_size);
/* A reply owning res (may be NULL). */
hb_query_reply_t *hb_query__reply_new(PGresult *res);
int64_t hb_query__col_i64(const PGresult *res, int row, int col);
/* A page's limit: 0 = HB_PAGE_ENTRIES_DEFAULT, at most HB_PAGE_ENTRIES_MAX. */
uint32_t hb_query__page_limit(uint32_t asked);

/* query_statement.c */
hb_query_reply_t *hb_query__answer_statement(hb_query_t *self, const Hourbank__StatementQuery *q, hb_result_t *code,
                                             char *msg, size_t msg_size);
/* query_rules.c: station_id is the asking station (0 for an admin key). */
hb_query_reply_t *hb_query__answer_rules(hb_query_t *self, uint32_t station_id, hb_result_t *code, char *msg,
                                         size_t msg_size);

/* query_reconcile.c: station_id is the asking station (never 0). */
hb_query_reply_t *hb_query__answer_reconcile(hb_query_t *self, uint32_t station_id, const Hourbank__ReconcileQuery *q,
                                             hb_result_t *code, char *msg, size_t msg_size);

#endif
