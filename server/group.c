#include "group.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "book.h"
#include "group_pg.h"
#include "group_sql.h"
#include "group_write.h"
#include "pg_array.h"
#include "cache.h"
#include "hb_assert.h"
#include "hb_log.h"
#include "hb_map.h"
#include "hb_wire.h"
#include "posting.h"


/* ---- the group ---- */

/* The arrays the load pipeline is given. */
enum {
    A_HW, A_STATIONS, A_MEMBERS, A_CACHED_ACCOUNTS, A_COMMUNITIES, A_KEY_S, A_KEY_Q, A_VOID_S, A_VOID_Q, A_TIMES,
    A_NAMED_S, A_NAMED_NO, A_OPENINGS, A_LOAD_COUNT
};

typedef struct {
    hb_group_conn_t conn;
    hb_cache_t *cache;
    hb_map_t *names;              /* member numbers the ops name, each once */
    hb_map_t *named;              /* (station, number) pairs, each once: for S_REFUSED */
    const hb_cache_member_t **cached;  /* ... of which the cache knows these */
    size_t n_cached;
    hb_ledger_job_t *jobs;
    size_t n_jobs;
    hb_posting_input_t *in;       /* every op of every job, in order */
    hb_wire_error_t *why;         /* per op: why it was refused */
    size_t n_in;
    size_t n_registrations;
    hb_book_t *book;
    PGresult *res[S_COUNT];
} group_t;

/* Every op of the group, checked alone (hb_wire_unpack checked only each
 * batch's structure): one bad op is refused, the others posted. */
static void
collect(group_t *g)
{
    size_t total = 0;
    for (size_t j = 0; j < g->n_jobs; j++)
        total += g->jobs[j].batch->n_ops;
    g->in = calloc(total ? total : 1, sizeof *g->in);
    g->why = calloc(total ? total : 1, sizeof *g->why);
    hb_assert(g->in && g->why);
    for (size_t j = 0; j < g->n_jobs; j++) {
        const Hourbank__Batch *b = g->jobs[j].batch;
        hb_assert(b->n_ops >= 1 && b->n_ops <= HB_BATCH_OPS_MAX);
        for (size_t i = 0; i < b->n_ops; i++) {
            hb_assert(b->ops[i] && b->ops[i]->seq == b->ops[0]->seq + i);  /* hb_wire_unpack checked it */
            hb_posting_input_t *in = &g->in[g->n_in];
            hb_wire_error_t *why = &g->why[g->n_in++];
            in->station_id = g->jobs[j].station_id;
            in->op = b->ops[i];
            hb_wire_op_hash(in->op, hb_cache_hash_key(g->cache), in->hash);
            if ((in->has_plain_hash = in->op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER))
                hb_wire_op_hash_plain(in->op, in->plain_hash);
            in->refused = HB_RESULT_OK;
            if (g->jobs[j].refusal[0]) {  /* its station is retired (writer.c) */
                in->refused = HB_RESULT_NOT_AUTHORIZED;
                in->refusal = g->jobs[j].refusal;
                hb_log_info("op refused before posting station=%" PRIu32 " seq=%" PRIu64
                            " code=NOT_AUTHORIZED reason=\"%s\"", in->station_id, in->op->seq, in->refusal);
            } else if (hb_wire_check_op_encoding(in->op, g->jobs[j].op_wire_bytes[i], why) != 0 ||
                       hb_wire_validate_op(in->op, HB_WIRE_OP_IN_BATCH, why) != 0) {
                hb_assert(why->code != HB_RESULT_OK && why->code != HB_RESULT_UNSET);
                in->refused = why->code;
                in->refusal = why->message;
                hb_log_info("op refused before posting station=%" PRIu32 " seq=%" PRIu64 " code=%s reason=\"%s\"",
                            in->station_id, in->op->seq, hb_result_name(why->code), why->message);
            } else if (in->op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER) {
                g->n_registrations++;
            }
        }
    }
}

/* A member number an op names: known to the cache, its account is locked
 * by id; otherwise the member is read. Each number once. */
static void
name_member(group_t *g, hb_pg_array_t *a, const char *no)
{
    size_t len = strlen(no);
    if (hb_map_get(g->names, no, len))
        return;
    hb_map_put(g->names, no, len, (void *) (uintptr_t) no);
    const hb_cache_member_t *m = hb_cache_member(g->cache, no);
    if (!m) {
        hb_pg_array_str(&a[A_MEMBERS], no);
        return;
    }
    g->cached[g->n_cached++] = m;
    hb_pg_array_int(&a[A_CACHED_ACCOUNTS], m->account_id);
    hb_pg_array_str(&a[A_COMMUNITIES], m->community);
}

/* A member number named by an op of station: the member, and the
 * station's refused registrations of it. Each pair once. */
static void
name_member_at(group_t *g, hb_pg_array_t *a, uint32_t station, const char *no)
{
    name_member(g, a, no);
    char key[HB_BOOK_REFUSAL_KEY_BYTES];
    size_t len = hb_book_refusal_key(key, station, no);
    if (hb_map_get(g->named, key, len))
        return;
    hb_map_put(g->named, key, len, (void *) (uintptr_t) no);
    hb_pg_array_int(&a[A_NAMED_S], station);
    hb_pg_array_str(&a[A_NAMED_NO], no);
}

/* The member numbers and void target of one valid op of station. */
static void
name_op(group_t *g, hb_pg_array_t *a, uint32_t station, const Hourbank__Op *op)
{
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_REGISTER_MEMBER:
        name_member_at(g, a, station, op->register_member->member_no);
        if (op->register_member->family_of[0])
            name_member_at(g, a, station, op->register_member->family_of);
        break;
    case HOURBANK__OP__KIND_SERVICE:
        name_member_at(g, a, station, op->service->provider);
        name_member_at(g, a, station, op->service->recipient);
        break;
    case HOURBANK__OP__KIND_GIFT:
        name_member_at(g, a, station, op->gift->from_member);
        name_member_at(g, a, station, op->gift->to_member);
        break;
    case HOURBANK__OP__KIND_DONATION:
        name_member_at(g, a, station, op->donation->member);
        break;
    case HOURBANK__OP__KIND_VOID_OP:
        hb_pg_array_int(&a[A_STATIONS], op->void_op->target->station_id);
        hb_pg_array_int(&a[A_VOID_S], op->void_op->target->station_id);
        hb_pg_array_int(&a[A_VOID_Q], (int64_t) op->void_op->target->seq);
        break;
    case HOURBANK__OP__KIND_AMEND:
        name_member_at(g, a, station, op->amend->member_no);
        for (size_t i = 0; i < op->amend->n_add_family; i++)
            name_member_at(g, a, station, op->amend->add_family[i]->member_no);
        for (size_t i = 0; i < op->amend->n_remove_family; i++)
            name_member_at(g, a, station, op->amend->remove_family[i]);
        break;
    case HOURBANK__OP__KIND_MOVE:
        name_member_at(g, a, station, op->move->member_no);
        name_member_at(g, a, station, op->move->new_member_no);
        break;
    case HOURBANK__OP__KIND_LEAVE:
        name_member_at(g, a, station, op->leave->member_no);
        for (size_t i = 0; i < op->leave->n_heirs; i++)
            name_member_at(g, a, station, op->leave->heirs[i]);
        break;
    case HOURBANK__OP__KIND_OPENING:
        name_member_at(g, a, station, op->opening->member_no);
        hb_pg_array_str(&a[A_OPENINGS], op->opening->member_no);
        break;
    default:
        hb_unreachable();  /* hb_wire_validate_op refuses ops without a kind */
    }
}

/* How many member numbers a valid op names at most. */
static size_t
names_of(const Hourbank__Op *op)
{
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_AMEND: return 1 + op->amend->n_add_family + op->amend->n_remove_family;
    case HOURBANK__OP__KIND_LEAVE: return 1 + op->leave->n_heirs;
    default: return 2;
    }
}

static void
build_load_arrays(group_t *g, hb_pg_array_t *a)
{
    for (int i = 0; i < A_LOAD_COUNT; i++)
        hb_pg_array_open(&a[i]);
    size_t names_max = 1;
    for (size_t k = 0; k < g->n_in; k++)
        names_max += g->in[k].refused == HB_RESULT_OK ? names_of(g->in[k].op) : 0;
    g->names = hb_map_new(names_max);
    g->named = hb_map_new(names_max);
    g->cached = calloc(names_max, sizeof *g->cached);
    hb_assert(g->cached);
    for (size_t j = 0; j < g->n_jobs; j++) {
        hb_pg_array_int(&a[A_HW], g->jobs[j].station_id);
        hb_pg_array_int(&a[A_STATIONS], g->jobs[j].station_id);
    }
    for (size_t k = 0; k < g->n_in; k++) {
        const hb_posting_input_t *in = &g->in[k];
        hb_pg_array_int(&a[A_KEY_S], in->station_id);
        hb_pg_array_int(&a[A_KEY_Q], (int64_t) in->op->seq);
        if (in->refused != HB_RESULT_OK)
            continue;
        hb_pg_array_int(&a[A_TIMES], in->op->occurred_at);
        name_op(g, a, in->station_id, in->op);
        if (in->op->kind_case == HOURBANK__OP__KIND_VOID_OP) {  /* a void target's stored row too */
            hb_pg_array_int(&a[A_KEY_S], in->op->void_op->target->station_id);
            hb_pg_array_int(&a[A_KEY_Q], (int64_t) in->op->void_op->target->seq);
        }
    }
    for (int i = 0; i < A_LOAD_COUNT; i++)
        hb_pg_array_close(&a[i]);
}

static int
load(group_t *g)
{
    hb_pg_array_t a[A_LOAD_COUNT];
    build_load_arrays(g, a);
    const char *none[1] = {NULL};
    const char *hw[] = {a[A_HW].text}, *st[] = {a[A_STATIONS].text};
    const char *acc[] = {a[A_MEMBERS].text, a[A_VOID_S].text, a[A_VOID_Q].text, a[A_CACHED_ACCOUNTS].text};
    const char *mem[] = {a[A_MEMBERS].text}, *keys[] = {a[A_KEY_S].text, a[A_KEY_Q].text};
    const char *voids[] = {a[A_VOID_S].text, a[A_VOID_Q].text}, *times[] = {a[A_TIMES].text};
    const char *comms[] = {a[A_COMMUNITIES].text}, *named[] = {a[A_NAMED_S].text, a[A_NAMED_NO].text};
    const char *openings[] = {a[A_OPENINGS].text};
    hb_group_call_t calls[S_DAYS];
    size_t n = 0;
    hb_group_pg_add_call(calls, &n, S_BEGIN, none, 0);
    hb_group_pg_add_call(calls, &n, S_HW, hw, 1);
    hb_group_pg_add_call(calls, &n, S_VERSION, none, 0);
    hb_group_pg_add_call(calls, &n, S_DRULES, none, 0);
    hb_group_pg_add_call(calls, &n, S_PRULES, none, 0);
    hb_group_pg_add_call(calls, &n, S_CATEGORIES, none, 0);
    hb_group_pg_add_call(calls, &n, S_STATIONS, st, 1);
    hb_group_pg_add_call(calls, &n, S_ACCOUNTS, acc, 4);
    if (a[A_MEMBERS].n > 0)  /* none when the cache knows every member named */
        hb_group_pg_add_call(calls, &n, S_MEMBERS, mem, 1);
    if (a[A_COMMUNITIES].n > 0)
        hb_group_pg_add_call(calls, &n, S_COMMUNITIES, comms, 1);
    hb_group_pg_add_call(calls, &n, S_OPS, keys, 2);
    hb_group_pg_add_call(calls, &n, S_XFERS, voids, 2);
    hb_group_pg_add_call(calls, &n, S_LOCAL_DAYS, times, 1);
    if (a[A_NAMED_S].n > 0)  /* none for a group of voids */
        hb_group_pg_add_call(calls, &n, S_REFUSED, named, 2);
    if (a[A_OPENINGS].n > 0)  /* only for opening balances */
        hb_group_pg_add_call(calls, &n, S_OPENINGS, openings, 1);
    int rc = hb_group_pg_run(&g->conn, calls, n, g->res);
    hb_pg_array_free(a, A_LOAD_COUNT);
    return rc;
}

/* ---- results into the book ---- */

static int64_t
iv(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static const char *
sv(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static size_t
rows(const group_t *g, int stmt)
{
    return (size_t) PQntuples(g->res[stmt]);  /* 0 for a statement not sent (NULL) */
}

static hb_book_t *
new_book(const group_t *g)
{
    hb_book_sizes_t s = {
        .ops = g->n_in,
        .members = rows(g, S_MEMBERS) + g->n_cached + g->n_registrations,
        .accounts = rows(g, S_ACCOUNTS) + g->n_registrations,
        .stations = rows(g, S_STATIONS),
        .transfers = rows(g, S_XFERS) + 2 * g->n_in,  /* a service or a void posts at most two */
        .keys = rows(g, S_OPS),
        .days = rows(g, S_XFERS) + 2 * g->n_in,  /* each service's day, each voided transfer's day */
        .rules = rows(g, S_DRULES) + rows(g, S_PRULES),
        .categories = rows(g, S_CATEGORIES),
        .refusals = rows(g, S_REFUSED) + g->n_in,  /* a registration refused here adds one */
        .local_days = rows(g, S_LOCAL_DAYS),
    };
    return hb_book_new(&s);
}

static void
fill_rules(group_t *g)
{
    hb_book_t *b = g->book;
    const PGresult *r = g->res[S_VERSION];
    b->version = (int32_t) iv(r, 0, 0);
    b->clock_skew_s = iv(r, 0, 1);
    b->max_age_s = iv(r, 0, 2);
    b->guarantee_budget = iv(r, 0, 3);
    b->now_us = iv(r, 0, 4);
    b->first_account_id = b->next_account_id = iv(r, 0, 5);
    b->first_transfer_id = b->next_transfer_id = iv(r, 0, 6);
    r = g->res[S_DRULES];
    for (int i = 0; i < PQntuples(r); i++) {
        const char *gifts = PQgetvalue(r, i, 5);
        hb_book_district_rule_t d = {
            .district = PQgetvalue(r, i, 0), .time_zone = PQgetvalue(r, i, 6), .floor = iv(r, i, 1), .cap = iv(r, i, 2),
            .overflow_donate = strcmp(PQgetvalue(r, i, 3), "donate") == 0, .daily_limit = iv(r, i, 4),
            .gifts = strcmp(gifts, "none") == 0 ? HB_GIFTS_NONE
                     : strcmp(gifts, "family") == 0 ? HB_GIFTS_FAMILY : HB_GIFTS_ANY,
            .leaver_family = PQgetvalue(r, i, 7)[0] == 't',
        };
        hb_book_add_district_rule(b, &d);
    }
    r = g->res[S_PRULES];
    for (int i = 0; i < PQntuples(r); i++) {
        hb_book_payer_rule_t p = {.district = PQgetvalue(r, i, 0), .category = PQgetvalue(r, i, 1),
                                  .guarantee = strcmp(PQgetvalue(r, i, 2), "guarantee") == 0,
                                  .min_age = (int32_t) iv(r, i, 3), .position = (int32_t) iv(r, i, 4)};
        hb_book_add_payer_rule(b, &p);
    }
    r = g->res[S_CATEGORIES];
    for (int i = 0; i < PQntuples(r); i++)
        hb_book_add_category(b, PQgetvalue(r, i, 0));
    r = g->res[S_LOCAL_DAYS];
    for (int i = 0; i < PQntuples(r); i++) {
        hb_book_local_day_t d = {.occurred_s = iv(r, i, 0), .time_zone = PQgetvalue(r, i, 1),
                                 .day_text = PQgetvalue(r, i, 2), .day_start_s = iv(r, i, 3),
                                 .day_end_s = iv(r, i, 4), .year = (int32_t) iv(r, i, 5)};
        hb_book_add_local_day(b, &d);
    }
}

static hb_account_kind_t
account_kind(const char *s)
{
    return strcmp(s, "guarantee") == 0 ? HB_ACCOUNT_GUARANTEE
           : strcmp(s, "donation") == 0 ? HB_ACCOUNT_DONATION
           : strcmp(s, "opening") == 0 ? HB_ACCOUNT_OPENING : HB_ACCOUNT_MEMBER;
}

static hb_opk_t
op_kind(const char *s)
{
    static const hb_opk_t kinds[] = {HB_OPK_REGISTER, HB_OPK_SERVICE, HB_OPK_GIFT, HB_OPK_VOID, HB_OPK_DONATION,
                                     HB_OPK_AMEND, HB_OPK_MOVE, HB_OPK_LEAVE, HB_OPK_OPENING};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(s, hb_posting_kind_name(kinds[i])) == 0)
            return kinds[i];
    return HB_OPK_INVALID;
}

static hb_xfer_kind_t
xfer_kind(const char *s)
{
    return strcmp(s, "service") == 0 ? HB_XFER_SERVICE
           : strcmp(s, "overflow") == 0 ? HB_XFER_OVERFLOW
           : strcmp(s, "gift") == 0 ? HB_XFER_GIFT
           : strcmp(s, "donation") == 0 ? HB_XFER_DONATION
           : strcmp(s, "leave") == 0 ? HB_XFER_LEAVE
           : strcmp(s, "opening") == 0 ? HB_XFER_OPENING : HB_XFER_VOID;
}

static const char *
community_district(const group_t *g, const char *community)
{
    const PGresult *r = g->res[S_COMMUNITIES];
    for (int i = 0; i < PQntuples(r); i++)
        if (strcmp(PQgetvalue(r, i, 0), community) == 0)
            return PQgetvalue(r, i, 1);
    return NULL;
}

/* Returns the number of members added (the caller checks it). */
static size_t
fill_directory(group_t *g)
{
    hb_book_t *b = g->book;
    const PGresult *r = g->res[S_STATIONS];
    for (int i = 0; i < PQntuples(r); i++)
        hb_book_add_station(b, (uint32_t) iv(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), iv(r, i, 3),
                            iv(r, i, 4));
    r = g->res[S_ACCOUNTS];
    for (int i = 0; i < PQntuples(r); i++)
        hb_book_add_account(b, iv(r, i, 0), account_kind(PQgetvalue(r, i, 1)), sv(r, i, 2), iv(r, i, 3),
                            iv(r, i, 4), iv(r, i, 5));
    size_t added = 0;
    for (size_t i = 0; i < g->n_cached; i++) {  /* a profile changed since: read it (cache.h) */
        const hb_book_account_t *acc = hb_book_account(b, g->cached[i]->account_id);
        if (acc && acc->version != g->cached[i]->account_version)
            return SIZE_MAX;
    }
    r = g->res[S_MEMBERS];
    for (int i = 0; i < PQntuples(r); i++) {
        hb_book_member_t *m = hb_book_add_member(b, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
                                                 iv(r, i, 3), (int32_t) iv(r, i, 4), sv(r, i, 5));
        if (!m)
            continue;
        added++;
        m->left = PQgetvalue(r, i, 6)[0] == 't';
        hb_book_add_alias(b, PQgetvalue(r, i, 7), m);  /* the number as the op named it */
    }
    for (size_t i = 0; i < g->n_cached; i++) {
        const hb_cache_member_t *m = g->cached[i];
        const char *district = community_district(g, m->community);
        hb_book_member_t *row = district ? hb_book_add_member(b, m->member_no, m->community, district,
                                                              m->account_id, m->birth_year, m->family)
                                         : NULL;
        if (row)
            row->left = m->left;
        added += row != NULL;
    }
    r = g->res[S_OPENINGS];
    for (int i = 0; i < PQntuples(r); i++) {
        hb_book_member_t *m = hb_book_member(b, PQgetvalue(r, i, 0));
        if (m) {
            m->has_opening = true;
            m->opening_station = (uint32_t) iv(r, i, 1);
            m->opening_seq = (uint64_t) iv(r, i, 2);
        }
    }
    return added;
}

/* Stored results, the transfers of the ops the group voids, and the
 * refused registrations of the numbers the ops name. */
static int
fill_ops(group_t *g)
{
    hb_book_t *b = g->book;
    const PGresult *r = g->res[S_OPS];
    for (int i = 0; i < PQntuples(r); i++) {
        hb_book_op_t *op = hb_book_add_op(b, (uint32_t) iv(r, i, 0), (uint64_t) iv(r, i, 1));
        if (sodium_hex2bin(op->hash, sizeof op->hash, PQgetvalue(r, i, 2), strlen(PQgetvalue(r, i, 2)), NULL,
                           NULL, NULL) != 0)
            return -1;
        op->kind = op_kind(PQgetvalue(r, i, 3));
        op->result = (hb_result_t) iv(r, i, 4);
        op->message = hb_book_strdup(b, PQgetvalue(r, i, 5));
        op->transfer_id = (uint64_t) iv(r, i, 6);
        op->params = hb_book_strdup(b, PQgetvalue(r, i, 7));
        op->voided = PQgetvalue(r, i, 8)[0] == 't';
        op->posted_day = hb_book_strdup(b, PQgetvalue(r, i, 9));
    }
    r = g->res[S_REFUSED];
    for (int i = 0; i < PQntuples(r); i++)
        hb_book_add_refusal(b, (uint32_t) iv(r, i, 0), PQgetvalue(r, i, 1), (uint64_t) iv(r, i, 2),
                            (hb_result_t) iv(r, i, 3), false);
    r = g->res[S_XFERS];
    for (int i = 0; i < PQntuples(r); i++) {
        hb_book_op_t *op = hb_book_op(b, (uint32_t) iv(r, i, 0), (uint64_t) iv(r, i, 1));
        hb_book_transfer_t t = {.id = iv(r, i, 2), .debit = hb_book_account(b, iv(r, i, 3)),
                                .credit = hb_book_account(b, iv(r, i, 4)), .minutes = iv(r, i, 5),
                                .kind = xfer_kind(PQgetvalue(r, i, 6)), .category = sv(r, i, 7),
                                .day_start_s = iv(r, i, 8), .day_end_s = iv(r, i, 9),
                                .debit_member = hb_book_strdup(b, sv(r, i, 10)),
                                .credit_member = hb_book_strdup(b, sv(r, i, 11))};
        if (!op || !t.debit || !t.credit)
            return -1;  /* read in another snapshot than the accounts: not from one writer */
        hb_book_add_loaded_transfer(b, op, &t);
    }
    return 0;
}

static int
fill_book(group_t *g)
{
    if (PQntuples(g->res[S_VERSION]) != 1 || PQntuples(g->res[S_HW]) != (int) g->n_jobs) {
        hb_log_error("group refused: the ledger has no rules version");
        return -1;
    }
    g->book = new_book(g);
    fill_rules(g);
    size_t added = fill_directory(g);
    if (added == SIZE_MAX)
        return HB_GROUP_STALE;
    if (added != rows(g, S_MEMBERS) + g->n_cached || fill_ops(g) != 0) {
        hb_log_error("group refused: members, accounts and ops read inconsistently (another writer?)");
        return -1;
    }
    return 0;
}

/* ---- served minutes per day: from the cache, else read ---- */

/* S_DAYS's arrays: accounts, day starts, day ends. */
#define DAY_ARRAYS 3

static void
need_day(group_t *g, const hb_book_account_t *acc, int64_t day_start_s, int64_t day_end_s, hb_pg_array_t *a)
{
    hb_book_t *b = g->book;
    if (day_end_s <= day_start_s || hb_book_has_day_sum(b, acc->id, day_start_s))
        return;  /* no day: the provider's district has no rules, and the op is refused */
    int64_t minutes = 0;
    bool cached = hb_cache_day_sum(g->cache, acc->id, acc->version, day_start_s, &minutes);
    hb_book_set_day_sum(b, acc->id, day_start_s, minutes);  /* a read sum replaces the 0 */
    if (!cached) {
        hb_pg_array_int(&a[0], acc->id);
        hb_pg_array_int(&a[1], day_start_s);
        hb_pg_array_int(&a[2], day_end_s);
    }
}

/* Every day sum an op can read or change: each service's provider on its
 * day, and the provider and day of every service transfer a void can
 * reverse. Needs the accounts locked (their versions) and the times. */
static int
load_days(group_t *g)
{
    hb_book_t *b = g->book;
    hb_pg_array_t a[DAY_ARRAYS];
    for (int i = 0; i < DAY_ARRAYS; i++)
        hb_pg_array_open(&a[i]);
    for (size_t k = 0; k < g->n_in; k++) {
        const hb_posting_input_t *in = &g->in[k];
        if (in->refused != HB_RESULT_OK || in->op->kind_case != HOURBANK__OP__KIND_SERVICE)
            continue;
        const hb_book_member_t *prov = hb_book_member(b, in->op->service->provider);
        const hb_book_district_rule_t *rp = prov ? hb_book_district_rule(b, prov->district) : NULL;
        if (!rp)
            continue;  /* refused before its day is read */
        const hb_book_local_day_t *day = hb_book_local_day(b, rp->time_zone, in->op->occurred_at);
        need_day(g, prov->account, day->day_start_s, day->day_end_s, a);
    }
    for (size_t i = 0; i < b->n_transfers; i++)
        if (b->transfer_rows[i].kind == HB_XFER_SERVICE)
            need_day(g, b->transfer_rows[i].credit, b->transfer_rows[i].day_start_s, b->transfer_rows[i].day_end_s,
                     a);
    int rc = 0;
    if (a[0].n > 0) {
        const char *v[] = {hb_pg_array_close(&a[0]), hb_pg_array_close(&a[1]), hb_pg_array_close(&a[2])};
        hb_group_call_t call;
        size_t n = 0;
        hb_group_pg_add_call(&call, &n, S_DAYS, v, DAY_ARRAYS);
        rc = hb_group_pg_run(&g->conn, &call, 1, g->res);
        for (int i = 0; rc == 0 && i < PQntuples(g->res[S_DAYS]); i++)
            hb_book_set_day_sum(b, iv(g->res[S_DAYS], i, 0), iv(g->res[S_DAYS], i, 1), iv(g->res[S_DAYS], i, 2));
    }
    hb_pg_array_free(a, DAY_ARRAYS);
    return rc;
}

/* After COMMIT: what the next groups may take from memory (cache.h). */
static void
remember(group_t *g)
{
    hb_book_t *b = g->book;
    const int from[] = {S_NEW_ACCOUNTS, S_BALANCES};  /* id, version after the commit */
    for (size_t f = 0; f < sizeof from / sizeof from[0]; f++)
        for (int i = 0; i < PQntuples(g->res[from[f]]); i++)
            hb_book_account(b, iv(g->res[from[f]], i, 0))->version_after = iv(g->res[from[f]], i, 1);
    for (size_t i = 0; i < b->n_accounts; i++) {
        const hb_book_account_t *acc = &b->account_rows[i];
        int64_t after = acc->version_after ? acc->version_after : acc->version;
        if (after != 0)
            hb_cache_put_account(g->cache, acc->id, acc->version, after);
    }
    for (size_t i = 0; i < b->n_day_sums; i++)
        hb_cache_put_day_sum(g->cache, b->day_sums[i].account_id, b->day_sums[i].day_start_s,
                             b->day_sums[i].minutes);
    for (size_t i = 0; i < b->n_members; i++) {
        const hb_book_member_t *m = &b->member_rows[i];
        if (m->changed)  /* its account's version moved again after S_BALANCES: read it next time */
            continue;
        int64_t version = m->account->version_after ? m->account->version_after : m->account->version;
        hb_cache_member_t c = {m->member_no, m->community, m->account->id, m->birth_year, m->family, m->left,
                               version};
        hb_cache_put_member(g->cache, &c);
    }
}

/* ---- deciding ---- */

static int64_t
high_water(const group_t *g, uint32_t station)
{
    const PGresult *r = g->res[S_HW];
    for (int i = 0; i < PQntuples(r); i++)
        if ((uint32_t) iv(r, i, 0) == station)
            return iv(r, i, 1);
    hb_unreachable();  /* every job's station was asked for */
}

/* Jobs in order, each against the high-water mark the jobs before it left
 * (a station's later batch in the same group follows its earlier one). */
static int
decide(group_t *g)
{
    int64_t *hw = calloc(g->n_jobs, sizeof *hw);
    hb_assert(hw);
    for (size_t j = 0; j < g->n_jobs; j++)
        hw[j] = high_water(g, g->jobs[j].station_id);
    size_t k = 0;
    int rc = 0;
    for (size_t j = 0; j < g->n_jobs && rc == 0; j++) {
        hb_ledger_job_t *job = &g->jobs[j];
        const Hourbank__Batch *b = job->batch;
        job->batch_result = HB_RESULT_OK;
        job->message[0] = '\0';
        if (b->ops[0]->seq > (uint64_t) hw[j] + 1) {
            job->batch_result = HB_RESULT_SEQ_GAP;
            snprintf(job->message, sizeof job->message,
                     "batch starts at seq %" PRIu64 " but central holds up to %" PRId64 " for station %" PRIu32,
                     b->ops[0]->seq, hw[j], job->station_id);
            job->high_water_mark = (uint64_t) hw[j];
            k += b->n_ops;
            continue;
        }
        char err[HB_MESSAGE_BYTES_MAX];
        for (size_t i = 0; i < b->n_ops && rc == 0; i++, k++)
            if ((rc = hb_posting_apply(g->book, &g->in[k], &job->outcomes[i], err, sizeof err)) != 0)
                hb_log_error("group refused: %s", err);
        uint64_t last = b->ops[b->n_ops - 1]->seq;
        job->high_water_mark = last > (uint64_t) hw[j] ? last : (uint64_t) hw[j];
        for (size_t l = j + 1; l < g->n_jobs; l++)
            if (g->jobs[l].station_id == job->station_id)
                hw[l] = (int64_t) job->high_water_mark;
    }
    free(hw);
    return rc;
}


static void
group_free(group_t *g)
{
    for (int i = 0; i < S_COUNT; i++)
        PQclear(g->res[i]);
    hb_book_destroy(&g->book);
    hb_map_destroy(&g->names);
    hb_map_destroy(&g->named);
    free(g->cached);
    free(g->in);
    free(g->why);
}

int
hb_group_apply(PGconn *pg, hb_cache_t *cache, hb_ledger_job_t *jobs, size_t n, hb_group_note_fn *note,
               void *note_arg)
{
    hb_assert(pg && cache && jobs && n >= 1 && note);
    group_t g = {.conn = {pg, note, note_arg}, .cache = cache, .jobs = jobs, .n_jobs = n};
    collect(&g);
    int rc = load(&g);
    if (rc == 0 && (rc = fill_book(&g)) != 0 && rc != HB_GROUP_STALE)
        rc = -2;
    if (rc == 0)
        rc = load_days(&g);
    if (rc == 0 && decide(&g) != 0)
        rc = -2;
    if (rc == 0)
        rc = hb_group_write(&g.conn, g.book, g.res);
    if (rc == 0)
        remember(&g);
    group_free(&g);
    return rc;
}