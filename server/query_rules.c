/* query_rules.c - RulesQuery: the rules version in force, whole, so that a
 * station can judge records as central would (proto/PROTOCOL.md,
 * "Queries"). Four reads: the version with the guarantee's state and the
 * asking station, the districts' rules, the payer rules, the communities. */
#include "query_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"

#define GUARANTEE_ACCOUNT_ID "1"

/* One row: the newest version; the budget left is the budget plus the
 * guarantee account's balance (it goes below zero as it pays). */
static const char HEAD_SQL[] =
    "SELECT v.version, v.clock_skew_s, v.max_age_s, v.guarantee_budget,"
    "  greatest(v.guarantee_budget + (SELECT credits - debits FROM account WHERE id = " GUARANTEE_ACCOUNT_ID "), 0),"
    "  extract(epoch FROM now())::bigint, coalesce(s.name, ''), coalesce(s.community, ''),"
    "  (SELECT count(*) FROM station o WHERE o.community = s.community)"
    " FROM rules_version v LEFT JOIN station s ON s.id = $1"
    " WHERE v.version = (SELECT max(version) FROM rules_version)";

static const char DISTRICTS_SQL[] =
    "SELECT r.district, d.name, r.time_zone, r.floor, r.cap, r.overflow = 'donate', r.daily_limit, r.gifts,"
    " r.leaver_hours FROM district_rule r JOIN district d ON d.code = r.district WHERE r.version = $1 ORDER BY r.district";

static const char PAYERS_SQL[] =
    "SELECT district, position, category, payer = 'guarantee', min_age FROM payer_rule WHERE version = $1"
    " ORDER BY district, position";

static const char COMMUNITIES_SQL[] = "SELECT code, district, name FROM community ORDER BY code";

/* An array of n messages of size each, and n + 1 pointers to them, owned
 * by r (freed with it). */
static void **
parts(hb_query_reply_t *r, size_t slot, size_t n, size_t size, void **items)
{
    hb_assert(slot + 1 < HB_QUERY_REPLY_PARTS && !r->arrays[slot] && !r->arrays[slot + 1]);
    r->arrays[slot] = calloc(n + 1, size);
    r->arrays[slot + 1] = calloc(n + 1, sizeof(void *));
    hb_assert(r->arrays[slot] && r->arrays[slot + 1]);
    *items = r->arrays[slot];
    return r->arrays[slot + 1];
}

static void
fill_districts(hb_query_reply_t *r, PGresult *res)
{
    size_t n = (size_t) PQntuples(res);
    Hourbank__DistrictRules *d;
    Hourbank__DistrictRules **p = (Hourbank__DistrictRules **) parts(r, 0, n, sizeof *d, (void **) &d);
    for (size_t i = 0; i < n; i++) {
        int row = (int) i;
        hourbank__district_rules__init(&d[i]);
        d[i].district = PQgetvalue(res, row, 0);
        d[i].name = PQgetvalue(res, row, 1);
        d[i].time_zone = PQgetvalue(res, row, 2);
        d[i].floor_minutes = hb_query__col_i64(res, row, 3);
        d[i].cap_minutes = hb_query__col_i64(res, row, 4);
        d[i].overflow_donate = PQgetvalue(res, row, 5)[0] == 't';
        d[i].daily_limit_minutes = hb_query__col_i64(res, row, 6);
        d[i].gifts = PQgetvalue(res, row, 7);
        d[i].leaver_hours = PQgetvalue(res, row, 8);
        p[i] = &d[i];
    }
    r->body.rules.districts = p;
    r->body.rules.n_districts = n;
}

static void
fill_payers(hb_query_reply_t *r, PGresult *res)
{
    size_t n = (size_t) PQntuples(res);
    Hourbank__PayerRule *x;
    Hourbank__PayerRule **p = (Hourbank__PayerRule **) parts(r, 2, n, sizeof *x, (void **) &x);
    for (size_t i = 0; i < n; i++) {
        int row = (int) i;
        hourbank__payer_rule__init(&x[i]);
        x[i].district = PQgetvalue(res, row, 0);
        x[i].position = (uint32_t) hb_query__col_i64(res, row, 1);
        x[i].category = PQgetvalue(res, row, 2);
        x[i].guarantee = PQgetvalue(res, row, 3)[0] == 't';
        x[i].min_age = (uint32_t) hb_query__col_i64(res, row, 4);
        p[i] = &x[i];
    }
    r->body.rules.payer_rules = p;
    r->body.rules.n_payer_rules = n;
}

static void
fill_communities(hb_query_reply_t *r, PGresult *res)
{
    size_t n = (size_t) PQntuples(res);
    Hourbank__CommunityInfo *c = calloc(n + 1, sizeof *c);
    Hourbank__CommunityInfo **p = calloc(n + 1, sizeof *p);
    hb_assert(c && p);
    for (size_t i = 0; i < n; i++) {
        hourbank__community_info__init(&c[i]);
        c[i].code = PQgetvalue(res, (int) i, 0);
        c[i].district = PQgetvalue(res, (int) i, 1);
        c[i].name = PQgetvalue(res, (int) i, 2);
        p[i] = &c[i];
    }
    r->rows = c;
    r->row_ptrs = (void **) p;
    r->body.rules.communities = p;
    r->body.rules.n_communities = n;
}

static void
fill_head(hb_query_reply_t *r, uint32_t station_id)
{
    Hourbank__RulesReply *x = &r->body.rules;
    x->version = (uint32_t) hb_query__col_i64(r->res, 0, 0);
    x->clock_skew_seconds = hb_query__col_i64(r->res, 0, 1);
    x->max_record_age_seconds = hb_query__col_i64(r->res, 0, 2);
    x->guarantee_budget_minutes = hb_query__col_i64(r->res, 0, 3);
    x->guarantee_left_minutes = hb_query__col_i64(r->res, 0, 4);
    x->as_of = hb_query__col_i64(r->res, 0, 5);
    x->station_id = station_id;
    x->station_name = PQgetvalue(r->res, 0, 6);
    x->community = PQgetvalue(r->res, 0, 7);
    x->community_stations = (uint32_t) hb_query__col_i64(r->res, 0, 8);
}

hb_query_reply_t *
hb_query__answer_rules(hb_query_t *self, uint32_t station_id, hb_result_t *code, char *msg, size_t msg_size)
{
    char id[16];
    snprintf(id, sizeof id, "%" PRIu32, station_id);
    const char *p[] = {id};
    PGresult *head = hb_query__run(self, HEAD_SQL, 1, p);
    if (!head)
        return hb_query__failed(self, code, msg, msg_size), NULL;
    if (PQntuples(head) != 1) {  /* central records a version before it serves */
        PQclear(head);
        *code = HB_RESULT_NOT_FOUND;
        snprintf(msg, msg_size, "the ledger has no rules version yet");
        return NULL;
    }
    hb_query_reply_t *r = hb_query__reply_new(head);
    hourbank__rules_reply__init(&r->body.rules);
    fill_head(r, station_id);
    const char *v[] = {PQgetvalue(head, 0, 0)};
    if (!(r->more[0] = hb_query__run(self, DISTRICTS_SQL, 1, v)) ||
        !(r->more[1] = hb_query__run(self, PAYERS_SQL, 1, v)) ||
        !(r->more[2] = hb_query__run(self, COMMUNITIES_SQL, 0, NULL))) {
        hb_query__failed(self, code, msg, msg_size);
        hb_query_reply_free(&r);
        return NULL;
    }
    fill_districts(r, r->more[0]);
    fill_payers(r, r->more[1]);
    fill_communities(r, r->more[2]);
    r->env.body_case = HOURBANK__ENVELOPE__BODY_RULES_REPLY;
    r->env.rules_reply = &r->body.rules;
    return r;
}
