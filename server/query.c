#include "query.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "hb_assert.h"
#include "hb_limits.h"
#include "hb_log.h"
#include "verify.h"

struct hb_query {
    char *conninfo;
    PGconn *pg;
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
    } body;
    void *rows;        /* array of Member, StatementEntry, Category or StationInfo */
    void **row_ptrs;   /* pointers into rows (or problem strings) */
    Hourbank__OpRef *refs;
    char member_no[HB_MEMBER_NO_BYTES_MAX + 1];
    char more_problems[HB_MESSAGE_BYTES_MAX];
};

static const char MEMBER_COLS[] =
    "m.member_no, m.name, m.role, coalesce(m.birth_year, 0), coalesce(m.family_of, ''),"
    " a.credits - a.debits, a.version";

hb_query_t *
hb_query_new(const char *conninfo)
{
    hb_query_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->conninfo = strdup(conninfo);
    hb_assert(self->conninfo);
    return self;
}

void
hb_query_destroy(hb_query_t **self_p)
{
    hb_assert(self_p);
    hb_query_t *self = *self_p;
    if (!self)
        return;
    if (self->pg)
        PQfinish(self->pg);
    free(self->conninfo);
    free(self);
    *self_p = NULL;
}

Hourbank__Envelope *
hb_query_reply_envelope(hb_query_reply_t *reply)
{
    hb_assert(reply);
    return &reply->env;
}

void
hb_query_reply_free(hb_query_reply_t **reply_p)
{
    hb_assert(reply_p);
    hb_query_reply_t *r = *reply_p;
    if (!r)
        return;
    PQclear(r->res);
    free(r->rows);
    free(r->row_ptrs);
    free(r->refs);
    free(r);
    *reply_p = NULL;
}

/* Server notices (e.g. "terminating connection due to immediate shutdown")
 * are not log lines; what matters is logged where a statement fails. */
static void
ignore_notice(void *arg, const char *message)
{
    (void) arg;
    (void) message;
}

/* The reader connection, (re)connected when it is not usable. */
static PGconn *
connection(hb_query_t *self)
{
    if (!self->pg || PQstatus(self->pg) != CONNECTION_OK) {
        if (self->pg)
            PQfinish(self->pg);
        self->pg = PQconnectdb(self->conninfo);
        PQsetNoticeProcessor(self->pg, ignore_notice, NULL);
    }
    return self->pg;
}

/* Runs a read query with text parameters; reconnects once if the
 * connection was lost. NULL on failure (logged). */
static PGresult *
run(hb_query_t *self, const char *sql, int n, const char *const *params)
{
    char why[HB_MESSAGE_BYTES_MAX] = "";
    for (int attempt = 0; attempt < 2; attempt++) {
        connection(self);
        PGresult *r = PQexecParams(self->pg, sql, n, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) == PGRES_TUPLES_OK)
            return r;
        snprintf(why, sizeof why, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(self->pg));
        why[strcspn(why, "\n")] = '\0';
        PQclear(r);
        if (PQstatus(self->pg) == CONNECTION_OK)
            break;
    }
    hb_log_warn("query failed error=\"%s\"", why);
    return NULL;
}

static hb_query_reply_t *
reply_new(PGresult *res)
{
    hb_query_reply_t *r = calloc(1, sizeof *r);
    hb_assert(r);
    r->res = res;
    hourbank__envelope__init(&r->env);
    r->env.version = HB_PROTOCOL_VERSION;
    return r;
}

static int64_t
col_i64(PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static void
fill_members(hb_query_reply_t *r, Hourbank__Member ***out, size_t *n_out)
{
    int n = PQntuples(r->res);
    Hourbank__Member *m = calloc((size_t) n + 1, sizeof *m);
    Hourbank__Member **p = calloc((size_t) n + 1, sizeof *p);
    hb_assert(m && p);
    for (int i = 0; i < n; i++) {
        hourbank__member__init(&m[i]);
        m[i].member_no = PQgetvalue(r->res, i, 0);
        m[i].name = PQgetvalue(r->res, i, 1);
        m[i].role = (Hourbank__Role) col_i64(r->res, i, 2);
        m[i].birth_year = (uint32_t) col_i64(r->res, i, 3);
        m[i].family_of = PQgetvalue(r->res, i, 4);
        m[i].balance_minutes = col_i64(r->res, i, 5);
        m[i].version = (uint64_t) col_i64(r->res, i, 6);
        p[i] = &m[i];
    }
    r->rows = m;
    r->row_ptrs = (void **) p;
    *out = p;
    *n_out = (size_t) n;
}

static hb_query_reply_t *
answer_balance(hb_query_t *self, const Hourbank__BalanceQuery *q, hb_result_t *code, char *msg, size_t msg_size)
{
    const char *p[] = {q->member_no};
    PGresult *res = run(self, "SELECT m.member_no, a.credits - a.debits, extract(epoch FROM now())::bigint"
                              " FROM member m JOIN account a ON a.id = m.account_id WHERE m.member_no = $1",
                        1, p);
    if (!res) {
        *code = HB_RESULT_UNAVAILABLE;
        snprintf(msg, msg_size, "the ledger database is unavailable");
        return NULL;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        *code = HB_RESULT_NOT_FOUND;
        snprintf(msg, msg_size, "member %s is not registered", q->member_no);
        return NULL;
    }
    hb_query_reply_t *r = reply_new(res);
    hourbank__balance_reply__init(&r->body.balance);
    r->body.balance.member_no = PQgetvalue(res, 0, 0);
    r->body.balance.balance_minutes = col_i64(res, 0, 1);
    r->body.balance.as_of = col_i64(res, 0, 2);
    r->env.body_case = HOURBANK__ENVELOPE__BODY_BALANCE_REPLY;
    r->env.balance_reply = &r->body.balance;
    return r;
}

static void
unavailable(hb_result_t *code, char *msg, size_t msg_size)
{
    *code = HB_RESULT_UNAVAILABLE;
    snprintf(msg, msg_size, "the ledger database is unavailable");
}

static uint32_t
page_limit(uint32_t asked)
{
    return asked == 0 ? HB_PAGE_ENTRIES_DEFAULT : asked > HB_PAGE_ENTRIES_MAX ? HB_PAGE_ENTRIES_MAX : asked;
}

/* Newest first; cursor = transfer id. The two index scans (debit side,
 * credit side) are merged so that the page costs O(limit). */
static const char STATEMENT_SQL[] =
    "WITH me AS (SELECT account_id FROM member WHERE member_no = $1),"
    " t AS (SELECT * FROM (SELECT t.* FROM transfer t, me WHERE t.debit_account = me.account_id"
    "        AND ($2::bigint = 0 OR t.id < $2) AND t.occurred_at >= to_timestamp($3)"
    "        ORDER BY t.id DESC LIMIT $4) d"
    "       UNION ALL SELECT * FROM (SELECT t.* FROM transfer t, me WHERE t.credit_account = me.account_id"
    "        AND ($2::bigint = 0 OR t.id < $2) AND t.occurred_at >= to_timestamp($3)"
    "        ORDER BY t.id DESC LIMIT $4) c)"
    " SELECT t.id, extract(epoch FROM t.posted_at)::bigint, extract(epoch FROM t.occurred_at)::bigint,"
    "  CASE WHEN t.credit_account = me.account_id THEN t.minutes ELSE -t.minutes END,"
    "  coalesce(om.member_no, oa.kind), t.kind, coalesce(t.category, ''), t.station_id, t.seq"
    " FROM t CROSS JOIN me"
    " JOIN account oa ON oa.id = CASE WHEN t.credit_account = me.account_id THEN t.debit_account ELSE t.credit_account END"
    " LEFT JOIN member om ON om.account_id = oa.id"
    " ORDER BY t.id DESC LIMIT $4";

static void
fill_statement(hb_query_reply_t *r, uint32_t limit)
{
    int n = PQntuples(r->res);
    Hourbank__StatementEntry *e = calloc((size_t) n + 1, sizeof *e);
    Hourbank__StatementEntry **p = calloc((size_t) n + 1, sizeof *p);
    r->refs = calloc((size_t) n + 1, sizeof *r->refs);
    hb_assert(e && p && r->refs);
    for (int i = 0; i < n; i++) {
        hourbank__statement_entry__init(&e[i]);
        hourbank__op_ref__init(&r->refs[i]);
        e[i].transfer_id = (uint64_t) col_i64(r->res, i, 0);
        e[i].posted_at = col_i64(r->res, i, 1);
        e[i].occurred_at = col_i64(r->res, i, 2);
        e[i].minutes = col_i64(r->res, i, 3);
        e[i].counterparty = PQgetvalue(r->res, i, 4);
        e[i].kind = PQgetvalue(r->res, i, 5);
        e[i].category = PQgetvalue(r->res, i, 6);
        r->refs[i].station_id = (uint32_t) col_i64(r->res, i, 7);
        r->refs[i].seq = (uint64_t) col_i64(r->res, i, 8);
        e[i].op = &r->refs[i];
        p[i] = &e[i];
    }
    r->rows = e;
    r->row_ptrs = (void **) p;
    r->body.statement.entries = p;
    r->body.statement.n_entries = (size_t) n;
    r->body.statement.next_before_id = (uint32_t) n == limit && n > 0 ? e[n - 1].transfer_id : 0;
}

static hb_query_reply_t *
answer_statement(hb_query_t *self, const Hourbank__StatementQuery *q, hb_result_t *code, char *msg,
                 size_t msg_size)
{
    char before[24], since[24], lim[16];
    uint32_t limit = page_limit(q->limit);
    snprintf(before, sizeof before, "%" PRIu64, q->before_id);
    snprintf(since, sizeof since, "%" PRId64, q->since);
    snprintf(lim, sizeof lim, "%" PRIu32, limit);
    const char *p[] = {q->member_no};
    PGresult *who = run(self, "SELECT member_no FROM member WHERE member_no = $1", 1, p);
    if (!who)
        return unavailable(code, msg, msg_size), NULL;
    int found = PQntuples(who) == 1;
    PQclear(who);
    if (!found) {
        *code = HB_RESULT_NOT_FOUND;
        snprintf(msg, msg_size, "member %s is not registered", q->member_no);
        return NULL;
    }
    const char *params[] = {q->member_no, before, since, lim};
    PGresult *res = run(self, STATEMENT_SQL, 4, params);
    if (!res)
        return unavailable(code, msg, msg_size), NULL;
    hb_query_reply_t *r = reply_new(res);
    hourbank__statement_reply__init(&r->body.statement);
    snprintf(r->member_no, sizeof r->member_no, "%s", q->member_no);
    r->body.statement.member_no = r->member_no;
    fill_statement(r, limit);
    r->env.body_case = HOURBANK__ENVELOPE__BODY_STATEMENT_REPLY;
    r->env.statement_reply = &r->body.statement;
    return r;
}

static hb_query_reply_t *
answer_member(hb_query_t *self, const Hourbank__MemberQuery *q, hb_result_t *code, char *msg,
              size_t msg_size)
{
    char sql[512], lim[16];
    snprintf(lim, sizeof lim, "%d", HB_SEARCH_RESULTS_MAX);
    snprintf(sql, sizeof sql,
             "SELECT %s FROM member m JOIN account a ON a.id = m.account_id WHERE %s"
             " ORDER BY m.member_no LIMIT $2", MEMBER_COLS,
             q->member_no[0] ? "m.member_no = $1"
                             : "strpos(lower(m.name), lower($1)) > 0 OR strpos(m.member_no, upper($1)) > 0");
    const char *p[] = {q->member_no[0] ? q->member_no : q->text, lim};
    PGresult *res = run(self, sql, 2, p);
    if (!res)
        return unavailable(code, msg, msg_size), NULL;
    hb_query_reply_t *r = reply_new(res);
    hourbank__member_reply__init(&r->body.member);
    fill_members(r, &r->body.member.members, &r->body.member.n_members);
    r->env.body_case = HOURBANK__ENVELOPE__BODY_MEMBER_REPLY;
    r->env.member_reply = &r->body.member;
    return r;
}

static hb_query_reply_t *
answer_directory(hb_query_t *self, const Hourbank__DirectoryQuery *q, hb_result_t *code, char *msg,
                 size_t msg_size)
{
    char sql[512], since[24], lim[16];
    uint32_t limit = page_limit(q->limit);
    snprintf(since, sizeof since, "%" PRIu64, q->since_version);
    snprintf(lim, sizeof lim, "%" PRIu32, limit + 1);
    snprintf(sql, sizeof sql, "SELECT %s FROM member m JOIN account a ON a.id = m.account_id"
                              " WHERE a.version > $1 ORDER BY a.version LIMIT $2", MEMBER_COLS);
    const char *p[] = {since, lim};
    PGresult *res = run(self, sql, 2, p);
    if (!res)
        return unavailable(code, msg, msg_size), NULL;
    hb_query_reply_t *r = reply_new(res);
    hourbank__directory_reply__init(&r->body.directory);
    fill_members(r, &r->body.directory.members, &r->body.directory.n_members);
    Hourbank__DirectoryReply *d = &r->body.directory;
    d->more = d->n_members > limit;
    if (d->more)
        d->n_members = limit;
    d->version = d->n_members ? d->members[d->n_members - 1]->version : q->since_version;
    r->env.body_case = HOURBANK__ENVELOPE__BODY_DIRECTORY_REPLY;
    r->env.directory_reply = d;
    return r;
}

/* ---- catalogue and administration ---- */

/* The catalogue of the rules version in force (the newest). */
static hb_query_reply_t *
answer_categories(hb_query_t *self, hb_result_t *code, char *msg, size_t msg_size)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", HB_CATEGORIES_MAX);
    const char *p[] = {lim};
    PGresult *res = run(self, "SELECT name, description FROM category"
                              " WHERE version = (SELECT max(version) FROM rules_version)"
                              " ORDER BY name LIMIT $1", 1, p);
    if (!res)
        return unavailable(code, msg, msg_size), NULL;
    hb_query_reply_t *r = reply_new(res);
    int n = PQntuples(res);
    Hourbank__Category *c = calloc((size_t) n + 1, sizeof *c);
    Hourbank__Category **ptrs = calloc((size_t) n + 1, sizeof *ptrs);
    hb_assert(c && ptrs);
    for (int i = 0; i < n; i++) {
        hourbank__category__init(&c[i]);
        c[i].name = PQgetvalue(res, i, 0);
        c[i].description = PQgetvalue(res, i, 1);
        ptrs[i] = &c[i];
    }
    r->rows = c;
    r->row_ptrs = (void **) ptrs;
    hourbank__categories_reply__init(&r->body.categories);
    r->body.categories.categories = ptrs;
    r->body.categories.n_categories = (size_t) n;
    r->env.body_case = HOURBANK__ENVELOPE__BODY_CATEGORIES_REPLY;
    r->env.categories_reply = &r->body.categories;
    return r;
}

/* Every station with its op counts, in one pass over the op table. The
 * alert stands while the seq the station last said central acknowledged
 * (its hello) is above what central holds, and goes once the station has
 * resent what central lost. */
static const char STATIONS_SQL[] =
    "SELECT s.id, s.name, s.community, coalesce(extract(epoch FROM s.last_contact)::bigint, 0),"
    "  coalesce(o.high_water, 0), s.active, coalesce(o.accepted, 0), coalesce(o.rejected, 0),"
    "  s.station_acked_seq,"
    "  CASE WHEN s.station_acked_seq > coalesce(o.high_water, 0) THEN format('central holds seq %s, the station"
    " had acks up to %s: central lost acknowledged work (restored from an older dump, or a standby that missed"
    " commits); the station is resending', coalesce(o.high_water, 0), s.station_acked_seq) ELSE '' END"
    " FROM station s"
    " LEFT JOIN (SELECT station_id, max(seq) AS high_water,"
    "                   count(*) FILTER (WHERE result = 1) AS accepted,"
    "                   count(*) FILTER (WHERE result <> 1) AS rejected"
    "              FROM op GROUP BY station_id) o ON o.station_id = s.id"
    " ORDER BY s.id LIMIT $1";

static void
fill_stations(hb_query_reply_t *r)
{
    int n = PQntuples(r->res);
    Hourbank__StationInfo *st = calloc((size_t) n + 1, sizeof *st);
    Hourbank__StationInfo **ptrs = calloc((size_t) n + 1, sizeof *ptrs);
    hb_assert(st && ptrs);
    for (int i = 0; i < n; i++) {
        hourbank__station_info__init(&st[i]);
        st[i].station_id = (uint32_t) col_i64(r->res, i, 0);
        st[i].name = PQgetvalue(r->res, i, 1);
        st[i].community = PQgetvalue(r->res, i, 2);
        st[i].last_contact = col_i64(r->res, i, 3);
        st[i].high_water_mark = (uint64_t) col_i64(r->res, i, 4);
        st[i].active = PQgetvalue(r->res, i, 5)[0] == 't';
        st[i].ops_accepted = (uint64_t) col_i64(r->res, i, 6);
        st[i].ops_rejected = (uint64_t) col_i64(r->res, i, 7);
        st[i].station_acked_seq = (uint64_t) col_i64(r->res, i, 8);
        st[i].alert = PQgetvalue(r->res, i, 9);
        ptrs[i] = &st[i];
    }
    r->rows = st;
    r->row_ptrs = (void **) ptrs;
    r->body.stations.stations = ptrs;
    r->body.stations.n_stations = (size_t) n;
}

static hb_query_reply_t *
answer_stations(hb_query_t *self, hb_result_t *code, char *msg, size_t msg_size)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", HB_STATIONS_MAX);
    const char *p[] = {lim};
    PGresult *res = run(self, STATIONS_SQL, 1, p);
    if (!res)
        return unavailable(code, msg, msg_size), NULL;
    hb_query_reply_t *r = reply_new(res);
    hourbank__stations_reply__init(&r->body.stations);
    fill_stations(r);
    r->env.body_case = HOURBANK__ENVELOPE__BODY_STATIONS_REPLY;
    r->env.stations_reply = &r->body.stations;
    return r;
}

/* The problems point into v->problems, which the reply takes over; when
 * there are more than are listed, a last line says how many. */
static hb_query_reply_t *
verify_reply(hb_verify_t *v)
{
    hb_query_reply_t *r = reply_new(v->problems);
    v->problems = NULL;
    int shown = PQntuples(r->res);
    char **problems = calloc((size_t) shown + 2, sizeof *problems);
    hb_assert(problems);
    for (int i = 0; i < shown; i++)
        problems[i] = PQgetvalue(r->res, i, 0);
    size_t n = (size_t) shown;
    if (v->problem_count > shown) {
        snprintf(r->more_problems, sizeof r->more_problems, "%" PRId64 " more problems not listed",
                 v->problem_count - shown);
        problems[n++] = r->more_problems;
    }
    r->row_ptrs = (void **) problems;
    Hourbank__VerifyReply *reply = &r->body.verify;
    hourbank__verify_reply__init(reply);
    reply->ok = v->problem_count == 0;
    reply->problems = problems;
    reply->n_problems = n;
    reply->accounts = v->accounts;
    reply->transfers = v->transfers;
    reply->obligation_minutes = v->obligation_minutes;
    r->env.body_case = HOURBANK__ENVELOPE__BODY_VERIFY_REPLY;
    r->env.verify_reply = reply;
    return r;
}

/* hb_verify_run on the reader connection, reconnecting once if it was lost. */
static hb_query_reply_t *
answer_verify(hb_query_t *self, hb_result_t *code, char *msg, size_t msg_size)
{
    hb_verify_t v;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (hb_verify_run(connection(self), &v, msg, msg_size) == 0) {
            hb_query_reply_t *r = verify_reply(&v);
            hb_verify_clear(&v);
            return r;
        }
        hb_log_warn("%s", msg);
        if (PQstatus(self->pg) == CONNECTION_OK) {
            *code = HB_RESULT_INTERNAL;  /* msg says what failed */
            return NULL;
        }
    }
    return unavailable(code, msg, msg_size), NULL;
}

hb_query_reply_t *
hb_query_answer(hb_query_t *self, const Hourbank__Envelope *req, hb_result_t *code, char *msg,
                size_t msg_size)
{
    hb_assert(self && req);
    switch (req->body_case) {
    case HOURBANK__ENVELOPE__BODY_BALANCE_QUERY:
        return answer_balance(self, req->balance_query, code, msg, msg_size);
    case HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY:
        return answer_statement(self, req->statement_query, code, msg, msg_size);
    case HOURBANK__ENVELOPE__BODY_MEMBER_QUERY:
        return answer_member(self, req->member_query, code, msg, msg_size);
    case HOURBANK__ENVELOPE__BODY_DIRECTORY_QUERY:
        return answer_directory(self, req->directory_query, code, msg, msg_size);
    case HOURBANK__ENVELOPE__BODY_CATEGORIES_QUERY:
        return answer_categories(self, code, msg, msg_size);
    case HOURBANK__ENVELOPE__BODY_STATIONS_QUERY:
        return answer_stations(self, code, msg, msg_size);
    case HOURBANK__ENVELOPE__BODY_VERIFY_QUERY:
        return answer_verify(self, code, msg, msg_size);
    default:
        hb_unreachable();
    }
}
