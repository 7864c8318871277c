/* query_reconcile.c - ReconcileQuery (proto/PROTOCOL.md, "Reconciliation"):
 * each asked range's figures recomputed from the asking station's op rows
 * as they are now (one statement for every range), and the ops of the
 * listed ranges (one more). A range that is a whole sealed bucket is
 * checked against reconcile_bucket (migration 0015): a difference means a
 * row was deleted, altered or added behind central's back, and is logged
 * as an ALERT. Recording the query's report is the writer's (reconcile.c). */
#include "query_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hb_assert.h"
#include "hb_log.h"
#include "pg_array.h"

#define SQL_NUMBER_(n) #n
#define SQL_NUMBER(n) SQL_NUMBER_(n)
#define BUCKET_OPS SQL_NUMBER(HB_RECONCILE_BUCKET_OPS)
#define DIGEST_BYTES crypto_hash_sha256_BYTES

/* $1 station, $2 firsts, $3 lasts: per range in order, its figures from
 * the rows (one range scan of op's primary key each) and, for a whole
 * bucket that is sealed, the sealed figures. */
static const char FIGURES_SQL[] =
    "SELECT r.f, r.l, x.accepted, x.rejected, coalesce(encode(x.digest, 'hex'), ''),"
    " b.bucket IS NOT NULL, coalesce(b.accepted, 0), coalesce(b.rejected, 0), coalesce(encode(b.digest, 'hex'), '')"
    " FROM unnest($2::bigint[], $3::bigint[]) WITH ORDINALITY r(f, l, i)"
    " CROSS JOIN LATERAL hb_reconcile_figures($1::integer, r.f, r.l) x"
    " LEFT JOIN reconcile_bucket b ON b.station_id = $1::integer AND r.l = r.f + " BUCKET_OPS " - 1"
    "  AND (r.f - 1) % " BUCKET_OPS " = 0 AND b.bucket = (r.f - 1) / " BUCKET_OPS
    " ORDER BY r.i";

/* $1 station, $2 firsts, $3 lasts of the listed ranges: their ops. */
static const char OPS_SQL[] =
    "SELECT o.seq, encode(o.payload_hash, 'hex'), o.result, o.kind, coalesce(o.posted_day::text, '')"
    " FROM unnest($2::bigint[], $3::bigint[]) r(f, l)"
    " CROSS JOIN LATERAL (SELECT * FROM op WHERE station_id = $1::integer AND seq BETWEEN r.f AND r.l OFFSET 0) o"
    " ORDER BY o.seq";

/* The reply's parts (hb_query_reply_t.arrays and .more). */
enum { PART_RANGES, PART_RANGE_PTRS, PART_OPS, PART_OP_PTRS };
enum { MORE_OPS };

typedef struct {
    Hourbank__ReconcileRange m;
    uint8_t digest[DIGEST_BYTES];
} range_t;

typedef struct {
    Hourbank__ReconcileOp m;
    uint8_t hash[DIGEST_BYTES];
} op_t;

/* hex (from encode(), 0 or 2 * DIGEST_BYTES characters) into out. */
static size_t
unhex(const char *hex, uint8_t out[DIGEST_BYTES])
{
    size_t len = 0;
    if (sodium_hex2bin(out, DIGEST_BYTES, hex, strlen(hex), NULL, &len, NULL) != 0)
        return 0;
    return len;
}

static PGresult *
run_ranges(hb_query_t *self, uint32_t station, const Hourbank__ReconcileQuery *q, bool listed_only,
           const char *sql)
{
    hb_pg_array_t a[2];
    hb_pg_array_open(&a[0]);
    hb_pg_array_open(&a[1]);
    for (size_t i = 0; i < q->n_ranges; i++) {
        if (listed_only && !q->ranges[i]->list)
            continue;
        hb_pg_array_int(&a[0], (int64_t) q->ranges[i]->first_seq);
        hb_pg_array_int(&a[1], (int64_t) q->ranges[i]->last_seq);
    }
    char st[16];
    snprintf(st, sizeof st, "%" PRIu32, station);
    const char *p[] = {st, hb_pg_array_close(&a[0]), hb_pg_array_close(&a[1])};
    PGresult *res = hb_query__run(self, sql, 3, p);
    hb_pg_array_free(a, 2);
    return res;
}

/* The sealed figures of row i when they differ from the rows': ALERT. */
static void
check_sealed(const PGresult *res, int i, uint32_t station, const range_t *r)
{
    if (PQgetvalue(res, i, 5)[0] != 't')
        return;
    uint8_t sealed[DIGEST_BYTES];
    size_t sealed_len = unhex(PQgetvalue(res, i, 8), sealed);
    uint32_t acc = (uint32_t) hb_query__col_i64(res, i, 6), rej = (uint32_t) hb_query__col_i64(res, i, 7);
    if (acc == r->m.accepted && rej == r->m.rejected && sealed_len == r->m.digest.len &&
        memcmp(sealed, r->digest, sealed_len) == 0)
        return;
    hb_log_warn("ALERT reconcile: rows of station %" PRIu32 " seqs %" PRIu64 "-%" PRIu64 " differ from what"
                " central posted (a row deleted, altered or added behind central's back) station=%" PRIu32
                " accepted=%" PRIu32 " rejected=%" PRIu32 " sealed_accepted=%" PRIu32 " sealed_rejected=%" PRIu32,
                station, r->m.first_seq, r->m.last_seq, station, r->m.accepted, r->m.rejected, acc, rej);
}

static void
fill_ranges(hb_query_reply_t *r, uint32_t station)
{
    size_t n = (size_t) PQntuples(r->res);
    range_t *ranges = calloc(n + 1, sizeof *ranges);
    Hourbank__ReconcileRange **ptrs = calloc(n + 1, sizeof *ptrs);
    hb_assert(ranges && ptrs);
    r->arrays[PART_RANGES] = ranges;
    r->arrays[PART_RANGE_PTRS] = ptrs;
    for (size_t k = 0; k < n; k++) {
        int i = (int) k;
        range_t *x = &ranges[k];
        hourbank__reconcile_range__init(&x->m);
        x->m.first_seq = (uint64_t) hb_query__col_i64(r->res, i, 0);
        x->m.last_seq = (uint64_t) hb_query__col_i64(r->res, i, 1);
        x->m.accepted = (uint32_t) hb_query__col_i64(r->res, i, 2);
        x->m.rejected = (uint32_t) hb_query__col_i64(r->res, i, 3);
        x->m.digest.len = unhex(PQgetvalue(r->res, i, 4), x->digest);
        x->m.digest.data = x->digest;
        check_sealed(r->res, i, station, x);
        ptrs[k] = &x->m;
    }
    r->body.reconcile.ranges = ptrs;
    r->body.reconcile.n_ranges = n;
}

static void
fill_ops(hb_query_reply_t *r, PGresult *res)
{
    r->more[MORE_OPS] = res;
    size_t n = (size_t) PQntuples(res);
    op_t *ops = calloc(n + 1, sizeof *ops);
    Hourbank__ReconcileOp **ptrs = calloc(n + 1, sizeof *ptrs);
    hb_assert(ops && ptrs);
    r->arrays[PART_OPS] = ops;
    r->arrays[PART_OP_PTRS] = ptrs;
    for (size_t k = 0; k < n; k++) {
        int i = (int) k;
        op_t *x = &ops[k];
        hourbank__reconcile_op__init(&x->m);
        x->m.seq = (uint64_t) hb_query__col_i64(res, i, 0);
        x->m.payload_hash.len = unhex(PQgetvalue(res, i, 1), x->hash);
        x->m.payload_hash.data = x->hash;
        x->m.result = (Hourbank__Result) hb_query__col_i64(res, i, 2);
        x->m.kind = PQgetvalue(res, i, 3);
        x->m.posted_day = PQgetvalue(res, i, 4);
        ptrs[k] = &x->m;
    }
    r->body.reconcile.ops = ptrs;
    r->body.reconcile.n_ops = n;
}

static bool
any_listed(const Hourbank__ReconcileQuery *q)
{
    for (size_t i = 0; i < q->n_ranges; i++)
        if (q->ranges[i]->list)
            return true;
    return false;
}

/* Validated by hb_wire_unpack (ascending, disjoint, bounded); a query
 * with only a report reads nothing here. recorded is set by the caller
 * once the writer recorded the report (server_group.c). */
hb_query_reply_t *
hb_query__answer_reconcile(hb_query_t *self, uint32_t station_id, const Hourbank__ReconcileQuery *q,
                           hb_result_t *code, char *msg, size_t msg_size)
{
    hb_assert(self && q && station_id > 0);
    PGresult *figures = NULL, *ops = NULL;
    if (q->n_ranges > 0 && !(figures = run_ranges(self, station_id, q, false, FIGURES_SQL)))
        return hb_query__failed(self, code, msg, msg_size), NULL;
    if (any_listed(q) && !(ops = run_ranges(self, station_id, q, true, OPS_SQL))) {
        PQclear(figures);
        return hb_query__failed(self, code, msg, msg_size), NULL;
    }
    hb_query_reply_t *r = hb_query__reply_new(figures);
    hourbank__reconcile_reply__init(&r->body.reconcile);
    if (figures)
        fill_ranges(r, station_id);
    if (ops)
        fill_ops(r, ops);
    r->env.body_case = HOURBANK__ENVELOPE__BODY_RECONCILE_REPLY;
    r->env.reconcile_reply = &r->body.reconcile;
    return r;
}
