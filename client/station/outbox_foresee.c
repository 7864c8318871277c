/* outbox_foresee.c - what the station foresees from its copy of the rules
 * (outbox_rules.c) and its own ops: who will pay for a service, what the
 * ops central has not yet put in the directory's balances will add to and
 * take from a member, and the checks at save: the refusals central is
 * certain to give (same code and values) and the cautions it may give.
 *
 * A refusal here must never be an op central would accept under the copy's
 * rules version, so each one is made only where the station knows every
 * fact central will judge by: its own ops and their results, the copy of
 * the rules, central's clock as the last Welcome showed it. */
#include "outbox.h"
#include "outbox_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_log.h"
#include "hb_memberno.h"
#include "hb_wire.h"
#include "station_day.h"

#define S_PER_DAY INT64_C(86400)
#define GUARANTEE "guarantee"
/* A running balance so low that a provider's every minute fits under the
 * cap: a settled op's effect is foreseen in full (its room then is not
 * known here). Half of INT64_MIN, so that cap - it cannot overflow. */
#define BALANCE_UNKNOWN (INT64_MIN / 2)

/* What the station knows of a member. */
typedef struct {
    bool known;         /* in the directory or registered here (not refused) */
    bool in_directory;  /* central has it: the directory holds it */
    int64_t balance;    /* the directory's; 0 when not in it */
    uint32_t birth_year;
    char community[HB_COMMUNITY_CODE_BYTES_MAX + 1];
} fs_member_t;

/* Who pays for a service, as foreseen. */
typedef struct {
    bool known;      /* false: no copy of the rules, or the recipient is not known here */
    bool guarantee;  /* else the recipient */
    int32_t rule;    /* the payer rule's position; -1 = none matched */
} fs_payer_t;

/* One op of a walk over the unsettled ops: what it moved for the member. */
typedef struct {
    uint64_t seq;
    int64_t in, out;
} fs_effect_t;

typedef struct {
    fs_effect_t *e;
    size_t n, cap;
} fs_walk_t;

/* ---- members and districts ---- */

/* The community of a member number: its code, before the first '-'. */
static void
community_of_number(const char *no, char *out, size_t size)
{
    size_t n = strcspn(no, "-");
    if (n >= size)
        n = size - 1;
    memcpy(out, no, n);
    out[n] = '\0';
}

static int
fs_member(hb_outbox_t *self, const char *number, fs_member_t *out)
{
    memset(out, 0, sizeof *out);
    char no[HB_MEMBER_NO_BYTES_MAX + 1];  /* the first number: the directory's key */
    if (hb_outbox__resolve(self, number, no) != 0)
        return -1;
    community_of_number(no, out->community, sizeof out->community);
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_FS_DIR_MEMBER);
    sqlite3_bind_text(st, 1, no, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->known = out->in_directory = true;
        out->balance = sqlite3_column_int64(st, 0);
        out->birth_year = (uint32_t) sqlite3_column_int64(st, 1);
        const char *c = (const char *) sqlite3_column_text(st, 2);
        if (c && c[0])
            snprintf(out->community, sizeof out->community, "%s", c);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW || rc != SQLITE_DONE)
        return rc == SQLITE_ROW ? 0 : -1;
    st = hb_outbox__stmt(self, OB_REG_GET);  /* registered here, not yet in the directory */
    sqlite3_bind_text(st, 1, no, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        Hourbank__Op *op = hourbank__op__unpack(NULL, (size_t) sqlite3_column_bytes(st, 0), sqlite3_column_blob(st, 0));
        if (op && op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER) {
            out->known = true;
            out->birth_year = op->register_member->birth_year;
        }
        if (op)
            hourbank__op__free_unpacked(op, NULL);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* The district rules of a community in the copy; NULL when it has none. */
static const Hourbank__DistrictRules *
fs_district(const Hourbank__RulesReply *rules, const char *community)
{
    if (!rules)
        return NULL;
    const char *district = NULL;
    for (size_t i = 0; i < rules->n_communities && !district; i++)
        if (strcmp(rules->communities[i]->code, community) == 0)
            district = rules->communities[i]->district;
    for (size_t i = 0; district && i < rules->n_districts; i++)
        if (strcmp(rules->districts[i]->district, district) == 0)
            return rules->districts[i];
    return NULL;
}

/* hb_payer() at central: the recipient's district's rules, first match
 * by position; an age rule compares the local year of occurred_at in the
 * recipient's district with the birth year (0 = not given: no match). */
static int
fs_payer(hb_outbox_t *self, const Hourbank__Op *op, fs_payer_t *out)
{
    const Hourbank__ServiceRecord *s = op->service;
    memset(out, 0, sizeof *out);
    out->rule = -1;
    fs_member_t r;
    if (fs_member(self, s->recipient, &r) != 0)
        return -1;
    const Hourbank__DistrictRules *rd = fs_district(self->rules, r.community);
    if (!r.known || !rd)
        return 0;
    out->known = true;
    const Hourbank__PayerRule *best = NULL;
    for (size_t i = 0; i < self->rules->n_payer_rules; i++) {
        const Hourbank__PayerRule *p = self->rules->payer_rules[i];
        if (strcmp(p->district, rd->district) != 0 || (best && p->position >= best->position) ||
            (strcmp(p->category, "*") != 0 && strcmp(p->category, s->category) != 0))
            continue;
        char day[HB_STATION_DAY_BYTES];
        int32_t year = 0;
        if (p->min_age != 0 && (r.birth_year == 0 || !hb_station_day(rd->time_zone, op->occurred_at, day, &year) ||
                                year - (int32_t) r.birth_year < (int32_t) p->min_age))
            continue;
        best = p;
    }
    out->guarantee = best && best->guarantee;
    out->rule = best ? (int32_t) best->position : -1;
    return 0;
}

/* ---- what ops move ---- */

static void
walk_add(fs_walk_t *w, uint64_t seq, int64_t in, int64_t out)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : HB_PAGE_ENTRIES_DEFAULT;
        w->e = realloc(w->e, w->cap * sizeof *w->e);
        hb_assert(w->e);
    }
    w->e[w->n++] = (fs_effect_t){seq, in, out};
}

static const fs_effect_t *
walk_find(const fs_walk_t *w, uint64_t seq)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->e[i].seq == seq)
            return &w->e[i];
    return NULL;
}

/* What op moves for member no, whose balance is running before it and
 * whose district has the rules own (NULL: none in the copy) (services,
 * gifts, donations; a void is fs_void_effect). payer: a
 * service's payer as foreseen when it was saved (ops.payer; NULL = not
 * known then: foreseen now, else the recipient). */
static int
fs_effect(hb_outbox_t *self, const Hourbank__Op *op, const char *payer, const char *no,
          const Hourbank__DistrictRules *own, int64_t running, int64_t *in, int64_t *out)
{
    *in = *out = 0;
    if (op->kind_case == HOURBANK__OP__KIND_SERVICE) {
        const Hourbank__ServiceRecord *s = op->service;
        if (hb_outbox__is_member(self, s->provider, no)) {
            int64_t room = own ? own->cap_minutes - running : s->minutes;
            room = room > 0 ? room : 0;
            *in = own && own->overflow_donate && s->minutes > room ? room : s->minutes;
        }
        if (hb_outbox__is_member(self, s->recipient, no)) {
            fs_payer_t pay = {.known = payer != NULL, .guarantee = payer && strcmp(payer, GUARANTEE) == 0};
            if (!payer && fs_payer(self, op, &pay) != 0)  /* saved before a copy: foreseen now */
                return -1;
            *out = pay.known && pay.guarantee ? 0 : s->minutes;
        }
    } else if (op->kind_case == HOURBANK__OP__KIND_GIFT) {
        *out = hb_outbox__is_member(self, op->gift->from_member, no) ? op->gift->minutes : 0;
        *in = hb_outbox__is_member(self, op->gift->to_member, no) ? op->gift->minutes : 0;
    } else if (op->kind_case == HOURBANK__OP__KIND_DONATION) {
        *out = hb_outbox__is_member(self, op->donation->member, no) ? op->donation->minutes : 0;
    } else if (running != BALANCE_UNKNOWN) {  /* an opening, a leave (outbox_members.c) */
        hb_outbox__lives_effect(self, op, no, running, in, out);
    }
    return 0;
}

/* Whether a void of this station targets seq `target` (one saved before
 * seq `before`; 0: any) that central accepted (accepted_only) or accepted
 * or may accept. 1, 0 or -1. */
static int
fs_voided(hb_outbox_t *self, uint64_t target, uint64_t before, bool accepted_only)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_FS_VOIDS_OF);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) target);
    int rc, found = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && !found) {
        uint64_t seq = (uint64_t) sqlite3_column_int64(st, 0);
        bool pending = sqlite3_column_type(st, 1) == SQLITE_NULL;
        int result = sqlite3_column_int(st, 1);
        if ((before == 0 || seq < before) && (accepted_only ? (!pending && result == HB_RESULT_OK)
                                                            : (pending || result == HB_RESULT_OK)))
            found = 1;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : -1;
}

/* One held op by seq: its kind, decoded payload (caller frees), result (0
 * = pending). 1 found, 0 not held, -1 error. */
static int
fs_op(hb_outbox_t *self, uint64_t seq, Hourbank__Op **op, int *result, char payer[HB_MEMBER_NO_BUF_BYTES])
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_FS_OP);
    sqlite3_bind_int64(st, 1, (sqlite3_int64) seq);
    int rc = sqlite3_step(st);
    *op = NULL;
    *result = 0;
    if (rc == SQLITE_ROW) {
        *op = hourbank__op__unpack(NULL, (size_t) sqlite3_column_bytes(st, 1), sqlite3_column_blob(st, 1));
        *result = sqlite3_column_type(st, 2) == SQLITE_NULL ? 0 : sqlite3_column_int(st, 2);
        hb_outbox__column_text(payer, HB_MEMBER_NO_BUF_BYTES, st, 3);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW && *op == NULL)
        return -1;
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* A void at seq reverses what its target (this station's) moved for no:
 * the target's effect in this walk, or, settled, its effect foreseen anew
 * (a provider credited in full). Nothing when the target is not held, was
 * refused, or an earlier void central accepted or may accept takes it. */
static int
fs_void_effect(hb_outbox_t *self, const Hourbank__Op *v, uint64_t seq, const char *no,
               const Hourbank__DistrictRules *own, const fs_walk_t *w, int64_t *in, int64_t *out)
{
    *in = *out = 0;
    const Hourbank__OpRef *t = v->void_op->target;
    if (t->station_id != self->station_id)
        return 0;  /* another station's op: not known here */
    int voided = fs_voided(self, t->seq, seq, false);
    if (voided != 0)
        return voided < 0 ? -1 : 0;
    const fs_effect_t *e = walk_find(w, t->seq);
    if (e) {
        *in = e->out;
        *out = e->in;
        return 0;
    }
    Hourbank__Op *target;
    char payer[HB_MEMBER_NO_BUF_BYTES];
    int result, found = fs_op(self, t->seq, &target, &result, payer);
    if (found <= 0)
        return found;
    int rc = 0;
    if (result == HB_RESULT_OK)  /* pending targets of the member are in the walk */
        rc = fs_effect(self, target, payer[0] ? payer : NULL, no, own, BALANCE_UNKNOWN, out, in);
    hourbank__op__free_unpacked(target, NULL);
    return rc;
}

/* Walks the unsettled ops in seq order: what they move for member no (m,
 * looked up by the caller). */
static int
fs_pending_in_tx(hb_outbox_t *self, const char *no, const fs_member_t *m, int64_t *in, int64_t *out)
{
    fs_walk_t w = {0};
    int64_t running = m->balance;
    const Hourbank__DistrictRules *own = fs_district(self->rules, m->community);
    *in = *out = 0;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_FS_UNSETTLED);
    sqlite3_bind_text(st, 1, no, -1, SQLITE_STATIC);
    int rc, fail = 0;
    while (!fail && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t) sqlite3_column_int64(st, 0);
        const char *payer = (const char *) sqlite3_column_text(st, 3);
        if (sqlite3_column_type(st, 2) != SQLITE_NULL && sqlite3_column_int(st, 2) != HB_RESULT_OK)
            continue;  /* refused: moves nothing */
        Hourbank__Op *op = hourbank__op__unpack(NULL, (size_t) sqlite3_column_bytes(st, 1), sqlite3_column_blob(st, 1));
        if (!op) {
            fail = 1;
            break;
        }
        int64_t a, b;
        fail = op->kind_case == HOURBANK__OP__KIND_VOID_OP ? fs_void_effect(self, op, seq, no, own, &w, &a, &b)
                                                           : fs_effect(self, op, payer, no, own, running, &a, &b);
        hourbank__op__free_unpacked(op, NULL);
        walk_add(&w, seq, a, b);
        running += a - b;
        *in += a;
        *out += b;
    }
    sqlite3_reset(st);
    free(w.e);
    return fail || (rc != SQLITE_DONE && rc != SQLITE_ROW) ? -1 : 0;
}

/* The foreseen balance of member no (m): the directory's plus what is
 * unsettled. */
static int
fs_available(hb_outbox_t *self, const char *no, const fs_member_t *m, int64_t *available)
{
    int64_t in, out;
    char first[HB_MEMBER_NO_BYTES_MAX + 1];
    if (hb_outbox__resolve(self, no, first) != 0 || fs_pending_in_tx(self, first, m, &in, &out) != 0)
        return -1;
    *available = m->balance + in - out;
    return 0;
}

int
hb_outbox_pending(hb_outbox_t *self, const char *member_no, int64_t *in_minutes, int64_t *out_minutes)
{
    hb_assert(self && member_no && in_minutes && out_minutes);
    if (hb_outbox__begin(self, false) != 0)
        return hb_outbox__fail(self, "begin a balance", NULL, 0);
    fs_member_t m;
    char first[HB_MEMBER_NO_BYTES_MAX + 1];
    int rc = hb_outbox__resolve(self, member_no, first);
    if (rc == 0)
        rc = fs_member(self, first, &m);
    if (rc == 0)
        rc = fs_pending_in_tx(self, first, &m, in_minutes, out_minutes);
    if (rc != 0) {
        hb_outbox__fail(self, "foresee a balance", NULL, 0);
        hb_outbox__rollback(self);
        return -1;
    }
    return hb_outbox__commit(self) == 0 ? 0 : hb_outbox__fail(self, "end a balance", NULL, 0);
}

/* ---- the checks at save ---- */

/* Adds a caution (at most HB_CAUTIONS_MAX; the first ones are kept). */
static void caution_add(hb_outbox_save_t *v, hb_result_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
caution_add(hb_outbox_save_t *v, hb_result_t code, const char *fmt, ...)
{
    if (v->n_cautions >= HB_CAUTIONS_MAX)
        return;
    hb_outbox_caution_t *c = &v->cautions[v->n_cautions++];
    c->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->params, sizeof c->params, fmt, ap);
    va_end(ap);
}

/* Central's clock now, as best known here. */
static int64_t
central_now(const hb_outbox_t *self, int64_t now)
{
    return now + self->clock_offset;
}

/* Whether occurred_at is far enough inside the copy's window that central
 * will judge the op's other rules (true without a copy: nothing known). */
static bool
window_firm(const hb_outbox_t *self, int64_t at, int64_t now)
{
    if (!self->rules)
        return true;
    int64_t c = central_now(self, now);
    return at >= c - self->rules->max_record_age_seconds + HB_STATION_WINDOW_MARGIN_S &&
           at <= c + self->rules->clock_skew_seconds - HB_STATION_CLOCK_TOLERANCE_S;
}

hb_result_t
hb_outbox__window_check(hb_outbox_t *self, const Hourbank__Op *op, int64_t now, char *msg, size_t msg_size)
{
    hb_assert(self && op && msg);
    const Hourbank__RulesReply *r = self->rules;
    if (!r)
        return HB_RESULT_OK;
    int64_t c = central_now(self, now);
    if (op->occurred_at > c + r->clock_skew_seconds + HB_STATION_CLOCK_TOLERANCE_S) {
        snprintf(msg, msg_size, "occurred_at=%" PRId64 "\ncentral_time=%" PRId64, op->occurred_at, c);
        return HB_RESULT_OCCURRED_IN_FUTURE;
    }
    if (op->occurred_at < c - r->max_record_age_seconds - HB_STATION_CLOCK_TOLERANCE_S) {
        snprintf(msg, msg_size, "occurred_at=%" PRId64 "\nwindow_days=%" PRId64, op->occurred_at,
                 r->max_record_age_seconds / S_PER_DAY);
        return HB_RESULT_TOO_OLD;
    }
    return HB_RESULT_OK;
}

/* hb_void()'s checks of a target of this station, as far as the station
 * knows them: central's order (UNKNOWN_OPERATION, NOT_VOIDABLE,
 * ALREADY_VOIDED). last_seq: the highest seq assigned before this op. */
static hb_result_t
void_check(hb_outbox_t *self, const Hourbank__Void *vd, uint64_t last_seq, hb_outbox_save_t *v)
{
    uint32_t ts = vd->target->station_id;
    uint64_t tq = vd->target->seq;
    if (ts != self->station_id || tq == last_seq + 1)
        return HB_RESULT_OK;  /* another station's op, or the op itself: central judges */
    if (tq > last_seq + 1) {
        snprintf(v->msg, sizeof v->msg, "target=%" PRIu32 ":%" PRIu64, ts, tq);
        return HB_RESULT_UNKNOWN_OPERATION;
    }
    Hourbank__Op *t;
    char payer[HB_MEMBER_NO_BUF_BYTES];
    int result, found = fs_op(self, tq, &t, &result, payer);
    if (found <= 0)
        return found < 0 ? HB_RESULT_INTERNAL : HB_RESULT_OK;  /* no longer held: central judges */
    bool voidable = t->kind_case == HOURBANK__OP__KIND_SERVICE || t->kind_case == HOURBANK__OP__KIND_GIFT;
    hb_result_t r = HB_RESULT_OK;
    if (!voidable || (result != 0 && result != HB_RESULT_OK)) {
        /* a target still pending: its result is not known yet, so not said */
        int n = snprintf(v->msg, sizeof v->msg, "target=%" PRIu32 ":%" PRIu64 "\ntarget_kind=%s", ts, tq,
                         hb_wire_op_kind_name(t));
        if (result != 0)
            snprintf(v->msg + n, sizeof v->msg - (size_t) n, "\ntarget_result=%d", result);
        r = HB_RESULT_NOT_VOIDABLE;
    } else if (result == HB_RESULT_OK) {
        int accepted = fs_voided(self, tq, 0, true), any = accepted == 0 ? fs_voided(self, tq, 0, false) : 0;
        if (accepted < 0 || any < 0)
            r = HB_RESULT_INTERNAL;
        else if (accepted)
            snprintf(v->msg, sizeof v->msg, "target=%" PRIu32 ":%" PRIu64, ts, tq);
        r = accepted > 0 ? HB_RESULT_ALREADY_VOIDED : r;
        if (any > 0)
            caution_add(v, HB_RESULT_ALREADY_VOIDED, "target=%" PRIu32 ":%" PRIu64, ts, tq);
    }
    hourbank__op__free_unpacked(t, NULL);
    return r;
}

/* Minutes of this station's services of provider in [start, end) (a
 * local day) that central accepted (*accepted) or has not judged yet
 * (*pending), without those a void that central accepted or may accept
 * takes back. */
static int
served_on(hb_outbox_t *self, const char *provider, int64_t start, int64_t end, int64_t *accepted, int64_t *pending)
{
    *accepted = *pending = 0;
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_FS_SERVICES);
    sqlite3_bind_text(st, 1, provider, -1, SQLITE_STATIC);
    int rc, fail = 0;
    while (!fail && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        bool is_pending = sqlite3_column_type(st, 1) == SQLITE_NULL;
        Hourbank__Op *op = hourbank__op__unpack(NULL, (size_t) sqlite3_column_bytes(st, 0), sqlite3_column_blob(st, 0));
        fail = !op || op->kind_case != HOURBANK__OP__KIND_SERVICE;
        if (!fail && op->occurred_at >= start && op->occurred_at < end)
            *(is_pending ? pending : accepted) += op->service->minutes;
        if (op)
            hourbank__op__free_unpacked(op, NULL);
    }
    sqlite3_reset(st);
    return fail || (rc != SQLITE_DONE && rc != SQLITE_ROW) ? -1 : 0;
}

/* 1 when this station had a registration of provider or recipient
 * refused (central answers their ops REGISTRATION_REFUSED), 0, -1. */
static int
registration_refused(hb_outbox_t *self, const char *a, const char *b)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_FS_REG_REFUSED);
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int refused = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) != 0 : -1;
    sqlite3_reset(st);
    return refused;
}

/* Whether the station knows every fact central judges before the daily
 * limit: both members in the directory, one of them of this community,
 * the catalogue cached (the category was checked), both districts ruled
 * (and, by the caller, no registration of theirs refused here). */
static bool
limit_knowable(hb_outbox_t *self, const fs_member_t *p, const fs_member_t *r)
{
    return p->in_directory && r->in_directory && self->n_categories > 0 &&
           (strcmp(p->community, self->community) == 0 || strcmp(r->community, self->community) == 0) &&
           fs_district(self->rules, p->community) && fs_district(self->rules, r->community);
}

/* The provider's daily limit: DAILY_LIMIT_EXCEEDED when this station's
 * services central accepted already leave no room (and central's count
 * cannot be lower: overflow refused, the window firm, and no other station
 * of this community that could have voided one of them), else a caution
 * when the ones still waiting may, or when another station could have. */
static hb_result_t
limit_check(hb_outbox_t *self, const Hourbank__Op *op, bool firm, hb_outbox_save_t *v)
{
    const Hourbank__ServiceRecord *s = op->service;
    fs_member_t p, r;
    if (fs_member(self, s->provider, &p) != 0 || fs_member(self, s->recipient, &r) != 0)
        return HB_RESULT_INTERNAL;
    int refused = registration_refused(self, s->provider, s->recipient);
    if (refused < 0)
        return HB_RESULT_INTERNAL;
    if (refused || !limit_knowable(self, &p, &r))
        return HB_RESULT_OK;
    const Hourbank__DistrictRules *rp = fs_district(self->rules, p.community);
    char day[HB_STATION_DAY_BYTES];
    int64_t start, end, accepted, pending;
    if (!hb_station_day_bounds(rp->time_zone, op->occurred_at, day, &start, &end))
        return HB_RESULT_OK;
    char provider[HB_MEMBER_NO_BYTES_MAX + 1];  /* ops are indexed by first numbers */
    if (hb_outbox__resolve(self, s->provider, provider) != 0 ||
        served_on(self, provider, start, end, &accepted, &pending) != 0)
        return HB_RESULT_INTERNAL;
    char values[HB_MESSAGE_BYTES_MAX];
    snprintf(values, sizeof values, "member=%s\nlimit_minutes=%" PRId64 "\nday=%s", s->provider,
             rp->daily_limit_minutes, day);
    bool alone = self->rules->community_stations == 1;  /* no other station voids our services */
    if (accepted + s->minutes > rp->daily_limit_minutes && firm && !rp->overflow_donate && alone) {
        snprintf(v->msg, sizeof v->msg, "%s", values);
        return HB_RESULT_DAILY_LIMIT_EXCEEDED;
    }
    if (accepted + pending + s->minutes > rp->daily_limit_minutes)
        caution_add(v, HB_RESULT_DAILY_LIMIT_EXCEEDED, "%s", values);
    return HB_RESULT_OK;
}

/* Minutes of services here that the guarantee is foreseen to pay and the
 * copy of the rules does not count as spent (pending, or acked since the
 * copy came), without those a void here (accepted or pending) takes back. */
static int
guarantee_pending(hb_outbox_t *self, int64_t *sum)
{
    sqlite3_stmt *st = hb_outbox__stmt(self, OB_FS_GUARANTEE);
    sqlite3_bind_int64(st, 1, self->rules_received_at);
    int rc = sqlite3_step(st);
    *sum = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* The payer, as foreseen, into v; cautions for the payer's floor or the
 * guarantee's budget. */
static hb_result_t
payer_check(hb_outbox_t *self, const Hourbank__Op *op, hb_outbox_save_t *v)
{
    const Hourbank__ServiceRecord *s = op->service;
    fs_payer_t pay;
    if (fs_payer(self, op, &pay) != 0)
        return HB_RESULT_INTERNAL;
    v->payer_rule = pay.rule;
    if (!pay.known)
        return HB_RESULT_OK;
    snprintf(v->payer, sizeof v->payer, "%s", pay.guarantee ? GUARANTEE : s->recipient);
    const Hourbank__RulesReply *rules = self->rules;
    if (pay.guarantee) {
        int64_t spent;
        if (guarantee_pending(self, &spent) != 0)
            return HB_RESULT_INTERNAL;
        int64_t left = rules->guarantee_left_minutes - spent;
        if (left - s->minutes < 0)
            caution_add(v, HB_RESULT_BUDGET_EXHAUSTED, "budget_minutes=%" PRId64 "\nleft_minutes=%" PRId64
                        "\nminutes=%" PRId64, rules->guarantee_budget_minutes, left > 0 ? left : 0, s->minutes);
        return HB_RESULT_OK;
    }
    fs_member_t r;
    int64_t held;
    if (fs_member(self, s->recipient, &r) != 0 || fs_available(self, s->recipient, &r, &held) != 0)
        return HB_RESULT_INTERNAL;
    const Hourbank__DistrictRules *rr = fs_district(rules, r.community);
    if (rr && held - s->minutes < rr->floor_minutes)
        caution_add(v, HB_RESULT_INSUFFICIENT_BALANCE, "role=recipient\nmember=%s\nheld_minutes=%" PRId64
                    "\nneeded_minutes=%" PRId64, s->recipient, held, s->minutes);
    return HB_RESULT_OK;
}

/* A giver's or donor's floor: a caution (another station may credit them). */
static hb_result_t
floor_caution(hb_outbox_t *self, const char *role, const char *no, int64_t minutes, hb_outbox_save_t *v)
{
    fs_member_t m;
    int64_t held;
    if (!self->rules)
        return HB_RESULT_OK;
    if (fs_member(self, no, &m) != 0 || fs_available(self, no, &m, &held) != 0)
        return HB_RESULT_INTERNAL;
    const Hourbank__DistrictRules *d = fs_district(self->rules, m.community);
    if (d && held - minutes < d->floor_minutes)
        caution_add(v, HB_RESULT_INSUFFICIENT_BALANCE, "role=%s\nmember=%s\nheld_minutes=%" PRId64
                    "\nneeded_minutes=%" PRId64, role, no, held, minutes);
    return HB_RESULT_OK;
}

hb_result_t
hb_outbox__foresee(hb_outbox_t *self, const Hourbank__Op *op, int64_t now, uint64_t last_seq, hb_outbox_save_t *v)
{
    hb_assert(self && op && v);
    v->payer[0] = '\0';
    v->payer_rule = -1;
    v->n_cautions = 0;
    v->rules_version = hb_outbox_rules_version(self);
    bool firm = window_firm(self, op->occurred_at, now);
    if (!firm && self->rules && op->occurred_at < central_now(self, now))
        caution_add(v, HB_RESULT_TOO_OLD, "occurred_at=%" PRId64 "\nwindow_days=%" PRId64, op->occurred_at,
                    self->rules->max_record_age_seconds / S_PER_DAY);
    hb_result_t r = HB_RESULT_OK;
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_VOID_OP:
        if (firm)
            r = void_check(self, op->void_op, last_seq, v);
        break;
    case HOURBANK__OP__KIND_SERVICE:
        r = self->rules ? limit_check(self, op, firm, v) : HB_RESULT_OK;
        if (r == HB_RESULT_OK)
            r = payer_check(self, op, v);
        break;
    case HOURBANK__OP__KIND_GIFT:
        r = floor_caution(self, "giver", op->gift->from_member, op->gift->minutes, v);
        break;
    case HOURBANK__OP__KIND_DONATION:
        r = floor_caution(self, "donor", op->donation->member, op->donation->minutes, v);
        break;
    default:
        break;
    }
    if (r == HB_RESULT_INTERNAL && v->msg[0] == '\0')
        hb_outbox__fail(self, "check an operation against the rules", v->msg, sizeof v->msg);
    return r;
}
