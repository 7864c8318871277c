/* query.c - the query connection and the simple queries: balance, member,
 * directory, categories, stations, verify. The statement is in
 * query_statement.c, the rules in query_rules.c (query_int.h). */
#include "query_int.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "hb_assert.h"
#include "hb_clock.h"
#include "hb_limits.h"
#include "hb_log.h"
#include "verify.h"

#define MS_PER_S 1000
/* SQLSTATE class 22, data exception (e.g. 22003 numeric_value_out_of_range,
 * 22008 datetime_field_overflow): the question, not the database, is wrong. */
#define SQLSTATE_DATA_EXCEPTION "22"


hb_query_t *
hb_query_new(const char *conninfo, int connect_timeout_s, int statement_timeout_s)
{
    hb_assert(conninfo && connect_timeout_s >= 0 && statement_timeout_s >= 0);
    hb_query_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->conninfo = strdup(conninfo);
    hb_assert(self->conninfo);
    self->connect_timeout_s = connect_timeout_s;
    self->statement_timeout_s = statement_timeout_s;
    self->retry_delay_ms = HB_QUERY_RETRY_DELAY_MS_MIN;
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
    for (size_t i = 0; i < sizeof r->more / sizeof r->more[0]; i++) {
        PQclear(r->more[i]);
        free(r->arrays[i]);
    }
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

static void
drop(hb_query_t *self)
{
    if (self->pg)
        PQfinish(self->pg);
    self->pg = NULL;
}

/* One line of libpq's or the server's error text into why. */
static void
one_line(char *why, size_t why_size, const char *text)
{
    snprintf(why, why_size, "%s", text);
    why[strcspn(why, "\n")] = '\0';
}

/* Waits for the answer to what was just sent, for at most the statement
 * timeout and HB_QUERY_REPLY_GRACE_MS: a server that never answers (a
 * stopped backend, a black hole) is dropped rather than waited for, since
 * this thread also answers hellos and acks. Returns the last result (the
 * caller owns it), or NULL with why set. */
static PGresult *
await_result(hb_query_t *self, char *why, size_t why_size)
{
    self->timed_out = false;
    int64_t deadline = self->statement_timeout_s > 0
                           ? hb_clock_ms() + (int64_t) self->statement_timeout_s * MS_PER_S + HB_QUERY_REPLY_GRACE_MS
                           : -1;
    PGresult *last = NULL;
    for (;;) {
        if (!PQisBusy(self->pg)) {
            PGresult *r = PQgetResult(self->pg);
            if (!r)
                return last;
            PQclear(last);
            last = r;
            continue;
        }
        int wait_ms = deadline < 0 ? -1 : (int) (deadline - hb_clock_ms());
        if (deadline >= 0 && wait_ms <= 0) {
            snprintf(why, why_size, "no answer within %d s (statement timeout) and %d ms", self->statement_timeout_s,
                     HB_QUERY_REPLY_GRACE_MS);
            PQclear(last);
            drop(self);
            self->timed_out = true;
            return NULL;
        }
        struct pollfd pfd = {PQsocket(self->pg), POLLIN, 0};
        int rc = poll(&pfd, 1, wait_ms);
        if ((rc < 0 && errno != EINTR) || (rc > 0 && !PQconsumeInput(self->pg))) {
            one_line(why, why_size, PQerrorMessage(self->pg));
            PQclear(last);
            drop(self);
            return NULL;
        }
    }
}

/* Sends sql and waits (await_result). */
static PGresult *
exec_bounded(hb_query_t *self, const char *sql, int n, const char *const *params, char *why, size_t why_size)
{
    if (!PQsendQueryParams(self->pg, sql, n, NULL, params, NULL, NULL, 0)) {
        one_line(why, why_size, PQerrorMessage(self->pg));
        return NULL;
    }
    return await_result(self, why, why_size);
}

/* The session's statement_timeout, so that the server too gives up. */
static int
set_statement_timeout(hb_query_t *self, char *why, size_t why_size)
{
    char value[32];
    snprintf(value, sizeof value, "%ds", self->statement_timeout_s);
    const char *p[] = {value};
    PGresult *r = exec_bounded(self, "SELECT set_config('statement_timeout', $1, false)", 1, p, why, why_size);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
    if (rc != 0 && r)
        one_line(why, why_size, PQresultErrorMessage(r));
    PQclear(r);
    return rc;
}

/* The reader connection, (re)connected when it is not usable, at most
 * connect_timeout_s per attempt; after a failed attempt the next waits
 * (capped exponential backoff), so that an unreachable database costs
 * this thread one timeout per backoff step, not one per query. NULL (why
 * set) when there is none. */
static PGconn *
connection(hb_query_t *self, char *why, size_t why_size)
{
    if (self->pg && PQstatus(self->pg) == CONNECTION_OK)
        return self->pg;
    drop(self);
    if (hb_clock_ms() < self->retry_at_ms) {
        snprintf(why, why_size, "not connected; next attempt in %" PRId64 " ms", self->retry_at_ms - hb_clock_ms());
        return NULL;
    }
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", self->connect_timeout_s);
    const char *keys[] = {"dbname", self->connect_timeout_s > 0 ? "connect_timeout" : NULL, NULL};
    const char *values[] = {self->conninfo, timeout, NULL};
    self->pg = PQconnectdbParams(keys, values, 1);
    if (PQstatus(self->pg) == CONNECTION_OK) {
        PQsetNoticeProcessor(self->pg, ignore_notice, NULL);
        if (self->statement_timeout_s == 0 || set_statement_timeout(self, why, why_size) == 0) {
            self->retry_delay_ms = HB_QUERY_RETRY_DELAY_MS_MIN;
            return self->pg;
        }
    } else {
        one_line(why, why_size, PQerrorMessage(self->pg));
    }
    drop(self);
    self->retry_at_ms = hb_clock_ms() + self->retry_delay_ms;
    self->retry_delay_ms = self->retry_delay_ms * 2 > HB_DB_RETRY_DELAY_MS_MAX ? HB_DB_RETRY_DELAY_MS_MAX
                                                                              : self->retry_delay_ms * 2;
    return NULL;
}

/* Why a statement failed: a data exception is the question's fault
 * (MALFORMED, final); anything else is the database's (UNAVAILABLE). */
static void
note_failure(hb_query_t *self, const PGresult *r, const char *why)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (state && strncmp(state, SQLSTATE_DATA_EXCEPTION, strlen(SQLSTATE_DATA_EXCEPTION)) == 0) {
        self->fail_code = HB_RESULT_MALFORMED;
        snprintf(self->fail_msg, sizeof self->fail_msg, "the ledger cannot answer this query: %s", why);
    } else {
        self->fail_code = HB_RESULT_UNAVAILABLE;
        snprintf(self->fail_msg, sizeof self->fail_msg, "the ledger database is unavailable");
    }
}

/* Runs a read query with text parameters; reconnects once if the
 * connection was lost. NULL on failure (logged; fail_code and fail_msg
 * say what to answer). */
PGresult *
hb_query__run(hb_query_t *self, const char *sql, int n, const char *const *params)
{
    char why[HB_MESSAGE_BYTES_MAX] = "";
    PGresult *r = NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        PQclear(r);
        r = NULL;
        if (!connection(self, why, sizeof why))
            break;
        r = exec_bounded(self, sql, n, params, why, sizeof why);
        if (PQresultStatus(r) == PGRES_TUPLES_OK)
            return r;
        if (r)
            one_line(why, sizeof why, PQresultErrorMessage(r));
        if ((self->pg && PQstatus(self->pg) == CONNECTION_OK) || self->timed_out)
            break;  /* only a lost connection is worth one more try */
    }
    note_failure(self, r, why);
    PQclear(r);
    hb_log_warn("query failed code=%s error=\"%s\"", hb_result_name(self->fail_code), why);
    return NULL;
}

/* A failed run(): the answer it calls for. */
void
hb_query__failed(const hb_query_t *self, hb_result_t *code, char *msg, size_t msg_size)
{
    *code = self->fail_code;
    snprintf(msg, msg_size, "%s", self->fail_msg);
}

hb_query_reply_t *
hb_query__reply_new(PGresult *res)
{
    hb_query_reply_t *r = calloc(1, sizeof *r);
    hb_assert(r);
    r->res = res;
    hourbank__envelope__init(&r->env);
    r->env.version = HB_PROTOCOL_VERSION;
    return r;
}

int64_t
hb_query__col_i64(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static hb_query_reply_t *
answer_balance(hb_query_t *self, const Hourbank__BalanceQuery *q, hb_result_t *code, char *msg, size_t msg_size)
{
    const char *p[] = {q->member_no};
    PGresult *res = hb_query__run(self, "SELECT m.member_no, a.credits - a.debits, extract(epoch FROM now())::bigint"
                              " FROM member m JOIN account a ON a.id = m.account_id WHERE m.member_no = hb_canonical($1)",
                        1, p);
    if (!res)
        return hb_query__failed(self, code, msg, msg_size), NULL;
    if (PQntuples(res) == 0) {
        PQclear(res);
        *code = HB_RESULT_NOT_FOUND;
        snprintf(msg, msg_size, "member=%s", q->member_no);
        return NULL;
    }
    hb_query_reply_t *r = hb_query__reply_new(res);
    hourbank__balance_reply__init(&r->body.balance);
    r->body.balance.member_no = PQgetvalue(res, 0, 0);
    r->body.balance.balance_minutes = hb_query__col_i64(res, 0, 1);
    r->body.balance.as_of = hb_query__col_i64(res, 0, 2);
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

uint32_t
hb_query__page_limit(uint32_t asked)
{
    return asked == 0 ? HB_PAGE_ENTRIES_DEFAULT : asked > HB_PAGE_ENTRIES_MAX ? HB_PAGE_ENTRIES_MAX : asked;
}

static hb_query_reply_t *
answer_member(hb_query_t *self, const Hourbank__MemberQuery *q, hb_result_t *code, char *msg,
              size_t msg_size)
{
    char sql[512], lim[16];
    snprintf(lim, sizeof lim, "%d", HB_SEARCH_RESULTS_MAX);
    snprintf(sql, sizeof sql,
             "SELECT %s FROM member_now m JOIN account a ON a.id = m.account_id WHERE %s"
             " ORDER BY m.member_no LIMIT $2", HB_QUERY_MEMBER_COLS,
             q->member_no[0] ? "m.member_no = hb_canonical($1)"
                             : "strpos(lower(m.name), lower($1)) > 0 OR strpos(m.member_no, upper($1)) > 0");
    const char *p[] = {q->member_no[0] ? q->member_no : q->text, lim};
    PGresult *res = hb_query__run(self, sql, 2, p);
    if (!res)
        return hb_query__failed(self, code, msg, msg_size), NULL;
    hb_query_reply_t *r = hb_query__reply_new(res);
    hourbank__member_reply__init(&r->body.member);
    hb_query__fill_members(r, &r->body.member.members, &r->body.member.n_members);
    r->env.body_case = HOURBANK__ENVELOPE__BODY_MEMBER_REPLY;
    r->env.member_reply = &r->body.member;
    return r;
}

/* Members changed after $1, oldest change first. The page is taken from
 * directory_change's primary key first (migration 0011: member
 * accounts only, one row each) and only its rows are joined: written as a
 * plain three-way join, a ledger whose statistics are stale (a new one)
 * got a nested loop over every account for every row of the page. */
const char hb_query_directory_sql[] =
    "WITH c AS MATERIALIZED (SELECT account_id, version FROM directory_change WHERE version > $1"
    " ORDER BY version LIMIT $2)"
    " SELECT " HB_QUERY_MEMBER_COLS " FROM c JOIN account a ON a.id = c.account_id JOIN member_now m ON m.account_id = c.account_id"
    " ORDER BY c.version";

static hb_query_reply_t *
answer_directory(hb_query_t *self, const Hourbank__DirectoryQuery *q, hb_result_t *code, char *msg,
                 size_t msg_size)
{
    char since[24], lim[16];
    uint32_t limit = hb_query__page_limit(q->limit);
    snprintf(since, sizeof since, "%" PRIu64, q->since_version);
    snprintf(lim, sizeof lim, "%" PRIu32, limit + 1);
    const char *p[] = {since, lim};
    PGresult *res = hb_query__run(self, hb_query_directory_sql, 2, p);
    if (!res)
        return hb_query__failed(self, code, msg, msg_size), NULL;
    hb_query_reply_t *r = hb_query__reply_new(res);
    hourbank__directory_reply__init(&r->body.directory);
    hb_query__fill_members(r, &r->body.directory.members, &r->body.directory.n_members);
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
    PGresult *res = hb_query__run(self, "SELECT name, description FROM category"
                              " WHERE version = (SELECT max(version) FROM rules_version)"
                              " ORDER BY name LIMIT $1", 1, p);
    if (!res)
        return hb_query__failed(self, code, msg, msg_size), NULL;
    hb_query_reply_t *r = hb_query__reply_new(res);
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
    " commits); the station is resending', coalesce(o.high_water, 0), s.station_acked_seq) ELSE '' END,"
    "  coalesce(extract(epoch FROM r.reported_at)::bigint, 0), coalesce(r.from_seq, 0), coalesce(r.through_seq, 0),"
    "  coalesce(greatest(r.missing - r.resent, 0), 0), coalesce(r.altered, 0), coalesce(r.extra, 0)"
    " FROM station s"
    " LEFT JOIN station_reconcile r ON r.station_id = s.id"
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
        st[i].station_id = (uint32_t) hb_query__col_i64(r->res, i, 0);
        st[i].name = PQgetvalue(r->res, i, 1);
        st[i].community = PQgetvalue(r->res, i, 2);
        st[i].last_contact = hb_query__col_i64(r->res, i, 3);
        st[i].high_water_mark = (uint64_t) hb_query__col_i64(r->res, i, 4);
        st[i].active = PQgetvalue(r->res, i, 5)[0] == 't';
        st[i].ops_accepted = (uint64_t) hb_query__col_i64(r->res, i, 6);
        st[i].ops_rejected = (uint64_t) hb_query__col_i64(r->res, i, 7);
        st[i].station_acked_seq = (uint64_t) hb_query__col_i64(r->res, i, 8);
        st[i].alert = PQgetvalue(r->res, i, 9);
        st[i].reconciled_at = hb_query__col_i64(r->res, i, 10);  /* 0: never (station_reconcile, 0015) */
        st[i].reconciled_from = (uint64_t) hb_query__col_i64(r->res, i, 11);
        st[i].reconciled_through = (uint64_t) hb_query__col_i64(r->res, i, 12);
        st[i].reconcile_missing = (uint32_t) hb_query__col_i64(r->res, i, 13);
        st[i].reconcile_altered = (uint32_t) hb_query__col_i64(r->res, i, 14);
        st[i].reconcile_extra = (uint32_t) hb_query__col_i64(r->res, i, 15);
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
    PGresult *res = hb_query__run(self, STATIONS_SQL, 1, p);
    if (!res)
        return hb_query__failed(self, code, msg, msg_size), NULL;
    hb_query_reply_t *r = hb_query__reply_new(res);
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
    hb_query_reply_t *r = hb_query__reply_new(v->problems);
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
        PGconn *pg = connection(self, msg, msg_size);
        if (!pg)
            break;
        if (hb_verify_run(pg, &v, msg, msg_size) == 0) {
            hb_query_reply_t *r = verify_reply(&v);
            hb_verify_clear(&v);
            return r;
        }
        hb_log_warn("%s", msg);
        if (self->pg && PQstatus(self->pg) == CONNECTION_OK) {
            *code = HB_RESULT_INTERNAL;  /* msg says what failed */
            return NULL;
        }
    }
    return unavailable(code, msg, msg_size), NULL;
}

hb_query_reply_t *
hb_query_answer(hb_query_t *self, const Hourbank__Envelope *req, uint32_t station_id, hb_result_t *code,
                char *msg, size_t msg_size)
{
    hb_assert(self && req);
    switch (req->body_case) {
    case HOURBANK__ENVELOPE__BODY_BALANCE_QUERY:
        return answer_balance(self, req->balance_query, code, msg, msg_size);
    case HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY:
        return hb_query__answer_statement(self, req->statement_query, code, msg, msg_size);
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
    case HOURBANK__ENVELOPE__BODY_RULES_QUERY:
        return hb_query__answer_rules(self, station_id, code, msg, msg_size);
    case HOURBANK__ENVELOPE__BODY_RECONCILE_QUERY:
        return hb_query__answer_reconcile(self, station_id, req->reconcile_query, code, msg, msg_size);
    default:
        hb_unreachable();
    }
}
