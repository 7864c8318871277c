/* query_statement.c - a member's statement: one entry per accepted op that
 * touched them, in posting order (proto/PROTOCOL.md, "Queries").
 *
 * An op touched the member when one of its transfers debits or credits
 * their account (transfer_debit_idx, transfer_credit_idx), and also when
 * it is a service they received that the guarantee paid, or the void of
 * one: no transfer names the recipient then (op_guarantee_care_idx,
 * migration 0013). An entry's position is the op's first transfer id,
 * which follows posting order; it is the paging cursor.
 *
 * One statement, so the page and the period's totals come from one
 * snapshot. It reads all of the member's transfers (the running balance
 * and the opening balance need them): O(the member's history), a few
 * thousand rows for a busy member's years, and only the page's rows are
 * joined to their ops. */
#include "query_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"

/* $1 member_no, $2 before (0: none), $3 from, $4 until (0: none), $5 the
 * page's limit + 1. Row 1 carries the summary; a period without entries
 * on this page still gives that one row, its entry columns NULL. */
static const char STATEMENT_SQL[] =
    "WITH me AS (SELECT account_id, member_no FROM member WHERE member_no = hb_canonical($1)),"
    " x AS (SELECT t.station_id, t.seq, min(t.id) AS pos, min(t.posted_at) AS posted_at,"
    "        sum(CASE WHEN t.credit_account = me.account_id THEN t.minutes ELSE -t.minutes END) AS delta"
    "       FROM transfer t, me WHERE t.debit_account = me.account_id OR t.credit_account = me.account_id"
    "       GROUP BY t.station_id, t.seq"
    "      UNION ALL"
    "      SELECT c.station_id, c.seq, c.transfer_id, t.posted_at, 0"
    "       FROM me, LATERAL (SELECT o.station_id, o.seq, o.transfer_id FROM op o"
    "                          WHERE o.counterpart = me.member_no AND o.payer = 'guarantee'"
    "                         UNION ALL"
    "                         SELECT v.station_id, v.seq, v.transfer_id FROM op o"
    "                           JOIN void_link vl ON vl.target_station = o.station_id AND vl.target_seq = o.seq"
    "                           JOIN op v ON v.station_id = vl.void_station AND v.seq = vl.void_seq"
    "                          WHERE o.counterpart = me.member_no AND o.payer = 'guarantee') c"
    "       JOIN transfer t ON t.id = c.transfer_id),"
    " y AS (SELECT x.*, sum(x.delta) OVER (ORDER BY x.pos) AS after,"
    "        x.posted_at >= to_timestamp($3::bigint) AND ($4::bigint = 0 OR x.posted_at < to_timestamp($4::bigint)) AS in_period"
    "       FROM x),"
    " s AS (SELECT EXISTS (SELECT 1 FROM me) AS found,"
    "        coalesce(sum(delta) FILTER (WHERE posted_at < to_timestamp($3::bigint)), 0) AS opening,"
    "        coalesce(sum(delta) FILTER (WHERE $4::bigint = 0 OR posted_at < to_timestamp($4::bigint)), 0) AS closing,"
    "        coalesce(sum(greatest(delta, 0)) FILTER (WHERE in_period), 0) AS total_in,"
    "        coalesce(sum(greatest(-delta, 0)) FILTER (WHERE in_period), 0) AS total_out,"
    "        count(*) FILTER (WHERE in_period) AS total,"
    "        (SELECT n.name FROM member_now n, me WHERE n.member_no = me.member_no) AS name,"
    "        extract(epoch FROM now())::bigint AS as_of FROM y),"
    " e AS (SELECT * FROM y WHERE in_period AND ($2::bigint = 0 OR pos < $2) ORDER BY pos DESC LIMIT $5)"
    " SELECT s.found, s.opening, s.closing, s.total_in, s.total_out, s.total, coalesce(s.name, ''), s.as_of,"
    "  e.pos, extract(epoch FROM e.posted_at)::bigint, extract(epoch FROM o.occurred_at)::bigint, e.delta,"
    "  k.cp, o.kind, coalesce(w.category, ''), o.station_id, o.seq, coalesce(o.service_day::text, ''),"
    "  coalesce(n.name, ''), k.role, CASE WHEN w.kind = 'service' THEN coalesce(w.payer, '') ELSE '' END,"
    "  coalesce(o.note, ''), coalesce(o.target_station, 0), coalesce(o.target_seq, 0), e.after,"
    "  coalesce(o.operator, '')"
    " FROM s LEFT JOIN e ON true"
    " LEFT JOIN op o ON o.station_id = e.station_id AND o.seq = e.seq"
    /* what the entry is about: the op itself, or for a void the op it reverses */
    " LEFT JOIN op w ON w.station_id = coalesce(o.target_station, o.station_id)"
    "                AND w.seq = coalesce(o.target_seq, o.seq)"
    " LEFT JOIN LATERAL (SELECT"
    "   CASE w.kind WHEN 'service' THEN CASE WHEN w.member = me.member_no THEN 'provider' ELSE 'recipient' END"
    "               WHEN 'gift' THEN CASE WHEN w.member = me.member_no THEN 'giver' ELSE 'receiver' END"
    "               WHEN 'leave' THEN CASE WHEN w.member = me.member_no THEN 'leaver' ELSE 'heir' END"
    "               WHEN 'opening' THEN 'member'"
    "               WHEN 'donation' THEN 'donor' ELSE '' END AS role,"
    "   coalesce(CASE w.kind WHEN 'donation' THEN 'donation' WHEN 'opening' THEN ''"
    "            WHEN 'leave' THEN CASE WHEN w.member = me.member_no THEN '' ELSE w.member END"
    "            ELSE CASE WHEN w.member = me.member_no THEN w.counterpart ELSE w.member END END"
    "           , '') AS cp FROM me) k ON true"
    " LEFT JOIN member_now n ON n.member_no = k.cp"
    " ORDER BY e.pos DESC";

enum {
    C_FOUND, C_OPENING, C_CLOSING, C_IN, C_OUT, C_TOTAL, C_NAME, C_AS_OF,
    C_POS, C_POSTED, C_OCCURRED, C_DELTA, C_CP, C_KIND, C_CATEGORY, C_STATION, C_SEQ, C_DAY,
    C_CP_NAME, C_ROLE, C_PAID_BY, C_NOTE, C_VOIDS_STATION, C_VOIDS_SEQ, C_AFTER, C_OPERATOR,
};

static void
fill_entry(const PGresult *res, int i, Hourbank__StatementEntry *e, Hourbank__OpRef *op, Hourbank__OpRef *voids)
{
    hourbank__statement_entry__init(e);
    hourbank__op_ref__init(op);
    hourbank__op_ref__init(voids);
    e->transfer_id = (uint64_t) hb_query__col_i64(res, i, C_POS);
    e->posted_at = hb_query__col_i64(res, i, C_POSTED);
    e->occurred_at = hb_query__col_i64(res, i, C_OCCURRED);
    e->minutes = hb_query__col_i64(res, i, C_DELTA);
    e->counterparty = PQgetvalue(res, i, C_CP);
    e->kind = PQgetvalue(res, i, C_KIND);
    e->category = PQgetvalue(res, i, C_CATEGORY);
    op->station_id = (uint32_t) hb_query__col_i64(res, i, C_STATION);
    op->seq = (uint64_t) hb_query__col_i64(res, i, C_SEQ);
    e->op = op;
    e->service_day = PQgetvalue(res, i, C_DAY);
    e->counterparty_name = PQgetvalue(res, i, C_CP_NAME);
    e->role = PQgetvalue(res, i, C_ROLE);
    e->paid_by = PQgetvalue(res, i, C_PAID_BY);
    e->note = PQgetvalue(res, i, C_NOTE);
    voids->station_id = (uint32_t) hb_query__col_i64(res, i, C_VOIDS_STATION);
    voids->seq = (uint64_t) hb_query__col_i64(res, i, C_VOIDS_SEQ);
    e->voids = voids->station_id != 0 ? voids : NULL;
    e->balance_after = hb_query__col_i64(res, i, C_AFTER);
    e->operator_ = PQgetvalue(res, i, C_OPERATOR);
}

/* The rows past the summary's are entries, newest first; one more than
 * the limit says there is more. */
static void
fill_statement(hb_query_reply_t *r, uint32_t limit)
{
    const PGresult *res = r->res;
    Hourbank__StatementReply *s = &r->body.statement;
    int rows = PQgetisnull(res, 0, C_POS) ? 0 : PQntuples(res);
    size_t n = (size_t) rows > limit ? limit : (size_t) rows;
    Hourbank__StatementEntry *e = calloc(n + 1, sizeof *e);
    Hourbank__StatementEntry **p = calloc(n + 1, sizeof *p);
    r->refs = calloc(2 * n + 1, sizeof *r->refs);
    hb_assert(e && p && r->refs);
    for (size_t i = 0; i < n; i++) {
        fill_entry(res, (int) i, &e[i], &r->refs[2 * i], &r->refs[2 * i + 1]);
        p[i] = &e[i];
    }
    r->rows = e;
    r->row_ptrs = (void **) p;
    s->entries = p;
    s->n_entries = n;
    s->more = (size_t) rows > limit;
    s->next_before_id = s->more ? e[n - 1].transfer_id : 0;
    s->opening_minutes = hb_query__col_i64(res, 0, C_OPENING);
    s->closing_minutes = hb_query__col_i64(res, 0, C_CLOSING);
    s->in_minutes = hb_query__col_i64(res, 0, C_IN);
    s->out_minutes = hb_query__col_i64(res, 0, C_OUT);
    s->entries_total = (uint64_t) hb_query__col_i64(res, 0, C_TOTAL);
    s->member_name = PQgetvalue(res, 0, C_NAME);
    s->as_of = hb_query__col_i64(res, 0, C_AS_OF);
}

hb_query_reply_t *
hb_query__answer_statement(hb_query_t *self, const Hourbank__StatementQuery *q, hb_result_t *code, char *msg,
                           size_t msg_size)
{
    char before[24], from[24], until[24], lim[16];
    uint32_t limit = hb_query__page_limit(q->limit);
    if (limit > HB_STATEMENT_ENTRIES_MAX)
        limit = HB_STATEMENT_ENTRIES_MAX;
    snprintf(before, sizeof before, "%" PRIu64, q->before_id);
    snprintf(from, sizeof from, "%" PRId64, q->from ? q->from : q->since);  /* since: from's older name */
    snprintf(until, sizeof until, "%" PRId64, q->until);
    snprintf(lim, sizeof lim, "%" PRIu32, limit + 1);
    const char *params[] = {q->member_no, before, from, until, lim};
    PGresult *res = hb_query__run(self, STATEMENT_SQL, 5, params);
    if (!res)
        return hb_query__failed(self, code, msg, msg_size), NULL;
    hb_assert(PQntuples(res) >= 1);  /* s has one row */
    if (PQgetvalue(res, 0, C_FOUND)[0] != 't') {
        PQclear(res);
        *code = HB_RESULT_NOT_FOUND;
        snprintf(msg, msg_size, "member=%s", q->member_no);
        return NULL;
    }
    hb_query_reply_t *r = hb_query__reply_new(res);
    hourbank__statement_reply__init(&r->body.statement);
    snprintf(r->member_no, sizeof r->member_no, "%s", q->member_no);
    r->body.statement.member_no = r->member_no;
    fill_statement(r, limit);
    r->env.body_case = HOURBANK__ENVELOPE__BODY_STATEMENT_REPLY;
    r->env.statement_reply = &r->body.statement;
    return r;
}
