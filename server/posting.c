#include "posting.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_log.h"
#include "hb_memberno.h"

#define US_PER_S 1000000LL
#define S_PER_DAY 86400
#define GUARANTEE_ACCOUNT_ID 1
#define DONATION_ACCOUNT_ID 2

/* One op being decided: its input, its stored row, its station. */
typedef struct {
    hb_book_t *book;
    const hb_posting_input_t *in;
    hb_book_op_t *rec;
    const hb_book_station_t *st;
} ctx_t;

const char *
hb_posting_kind_name(hb_opk_t kind)
{
    switch (kind) {
    case HB_OPK_REGISTER: return "register";
    case HB_OPK_SERVICE: return "service";
    case HB_OPK_GIFT: return "gift";
    case HB_OPK_VOID: return "void";
    default: return "invalid";
    }
}

hb_opk_t
hb_posting_kind_of(const Hourbank__Op *op)
{
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_REGISTER_MEMBER: return HB_OPK_REGISTER;
    case HOURBANK__OP__KIND_SERVICE: return HB_OPK_SERVICE;
    case HOURBANK__OP__KIND_GIFT: return HB_OPK_GIFT;
    case HOURBANK__OP__KIND_VOID_OP: return HB_OPK_VOID;
    default: return HB_OPK_INVALID;
    }
}

static int
reject(ctx_t *c, hb_result_t code, const char *message)
{
    c->rec->result = code;
    c->rec->message = message;
    return 0;
}

static int
ok(ctx_t *c, const hb_book_transfer_t *t)
{
    c->rec->result = HB_RESULT_OK;
    c->rec->message = "";
    c->rec->transfer_id = t ? (uint64_t) t->id : 0;
    return 0;
}

/* NO_DISTRICT_RULES: who (e.g. "provider QX03-000001-2") is in a district
 * without rules in the version in force (migration 0010's hb_no_rules). */
static int
no_rules(ctx_t *c, const char *who, const char *district)
{
    return reject(c, HB_RESULT_NO_DISTRICT_RULES,
                  hb_book_printf(c->book, "%s is in district %s, which has no rules in rules version %" PRId32, who,
                                 district ? district : "", c->book->version));
}

/* split_part(s, '-', field) into buf. */
static void
split_part(const char *s, int field, char *buf, size_t size)
{
    for (int i = 1; i < field && s; i++) {
        s = strchr(s, '-');
        s = s ? s + 1 : NULL;
    }
    size_t n = s ? strcspn(s, "-") : 0;
    if (n >= size)
        n = size - 1;
    memcpy(buf, s ? s : "", n);
    buf[n] = '\0';
}

/* REGISTRATION_REFUSED when the op's station had a registration of no
 * refused before the op's seq (migration 0008's hb_refusal_message); 1 when
 * the op may name no. */
static int
refused(ctx_t *c, const char *no)
{
    const hb_book_refusal_t *r = no[0] ? hb_book_refusal(c->book, c->rec->station_id, no) : NULL;
    if (!r || r->seq >= c->rec->seq)
        return 1;
    return reject(c, HB_RESULT_REGISTRATION_REFUSED,
                  hb_book_printf(c->book, "the registration of member %s from station %" PRIu32 " at seq %" PRIu64
                                          " was refused (%s): at this station the number may mean another person",
                                 r->member_no, r->station_id, r->seq,
                                 r->result == HB_RESULT_DUPLICATE ? "already registered" : "seq reused"));
}

/* The first of the two numbers an op names that it may not name. */
static int
refused_either(ctx_t *c, const char *a, const char *b)
{
    int rc = refused(c, a);
    return rc == 1 ? refused(c, b) : rc;
}

static int
do_register(ctx_t *c)
{
    const Hourbank__RegisterMember *m = c->in->op->register_member;
    hb_book_t *b = c->book;
    char code[HB_MEMBER_NO_BUF_BYTES], serial_text[HB_MEMBER_NO_BUF_BYTES];
    split_part(m->member_no, 1, code, sizeof code);
    split_part(m->member_no, 2, serial_text, sizeof serial_text);
    long long serial = strtoll(serial_text, NULL, 10);  /* hb_wire checked the digits */
    if (strcmp(code, c->st->community) != 0)
        return reject(c, HB_RESULT_NOT_AUTHORIZED,
                      hb_book_printf(b, "station %" PRIu32 " serves community %s and may not register member %s",
                                     c->st->id, c->st->community, m->member_no));
    if (serial < c->st->serial_min || serial > c->st->serial_max)
        return reject(c, HB_RESULT_NOT_AUTHORIZED,
                      hb_book_printf(b, "member %s is outside station %" PRIu32 "'s member serials %" PRId64 "..%" PRId64,
                                     m->member_no, c->st->id, c->st->serial_min, c->st->serial_max));
    if (hb_book_member(b, m->member_no)) {
        hb_book_add_refusal(b, c->rec->station_id, m->member_no, c->rec->seq, HB_RESULT_DUPLICATE, true);
        return reject(c, HB_RESULT_DUPLICATE, hb_book_printf(b, "member %s is already registered", m->member_no));
    }
    if (refused_either(c, m->member_no, m->family_of) != 1)
        return 0;
    if (m->family_of[0] && !hb_book_member(b, m->family_of))
        return reject(c, HB_RESULT_UNKNOWN_MEMBER,
                      hb_book_printf(b, "family member %s is not registered", m->family_of));
    if (!hb_book_district_rule(b, c->st->district))
        return no_rules(c, hb_book_printf(b, "station %" PRIu32, c->st->id), c->st->district);
    hb_book_register(b, m->member_no, c->st, m->name, (int) m->role, (int32_t) m->birth_year,
                     m->family_of[0] ? m->family_of : NULL, c->rec->station_id, c->rec->seq);
    return ok(c, NULL);
}

/* hb_payer(): the recipient's district's rules, first match wins; ages
 * in the recipient's district's local year. */
static bool
guarantee_pays(const ctx_t *c, const hb_book_member_t *recp, const hb_book_district_rule_t *rr,
               const char *category)
{
    const hb_book_t *b = c->book;
    for (size_t i = 0; i < b->n_payer_rules; i++) {
        const hb_book_payer_rule_t *r = &b->payer_rules[i];
        if (strcmp(r->district, recp->district) != 0 ||
            (strcmp(r->category, "*") != 0 && strcmp(r->category, category) != 0))
            continue;
        if (r->min_age == 0)
            return r->guarantee;
        int32_t year = hb_book_local_day(b, rr->time_zone, c->in->op->occurred_at)->year;
        if (recp->birth_year != 0 && year - recp->birth_year >= r->min_age)
            return r->guarantee;
    }
    return false;
}

/* The checks of hb_service() before any balance is read. */
static int
service_facts_check(ctx_t *c, const hb_book_member_t *prov, const hb_book_member_t *recp)
{
    const Hourbank__ServiceRecord *s = c->in->op->service;
    hb_book_t *b = c->book;
    if (!prov)
        return reject(c, HB_RESULT_UNKNOWN_MEMBER, hb_book_printf(b, "provider %s is not registered", s->provider));
    if (!recp)
        return reject(c, HB_RESULT_UNKNOWN_MEMBER, hb_book_printf(b, "recipient %s is not registered", s->recipient));
    if (strcmp(s->provider, s->recipient) == 0)
        return reject(c, HB_RESULT_SELF_SERVICE,
                      hb_book_printf(b, "member %s cannot record a service to themselves", s->provider));
    if (strcmp(c->st->community, prov->community) != 0 && strcmp(c->st->community, recp->community) != 0)
        return reject(c, HB_RESULT_NOT_AUTHORIZED,
                      hb_book_printf(b, "station %" PRIu32 " (community %s) may record only services of its own members, not %s to %s",
                                     c->st->id, c->st->community, s->provider, s->recipient));
    if (!hb_book_has_category(b, s->category))
        return reject(c, HB_RESULT_UNKNOWN_CATEGORY,
                      hb_book_printf(b, "service category \"%s\" is not in the catalogue", s->category));
    if (s->minutes < 1 || s->minutes > HB_RECORD_MINUTES_MAX)
        return reject(c, HB_RESULT_INVALID_DURATION,
                      hb_book_printf(b, "duration %" PRId64 " minutes is outside 1..%d", s->minutes,
                                     HB_RECORD_MINUTES_MAX));
    if (!hb_book_district_rule(b, prov->district))
        return no_rules(c, hb_book_printf(b, "provider %s", s->provider), prov->district);
    if (!hb_book_district_rule(b, recp->district))
        return no_rules(c, hb_book_printf(b, "recipient %s", s->recipient), recp->district);
    return 1;
}

/* The payer's floor or the guarantee budget; 1 when the payer can pay. */
static int
service_payer_check(ctx_t *c, const hb_book_member_t *recp, const hb_book_account_t *payer)
{
    const Hourbank__ServiceRecord *s = c->in->op->service;
    hb_book_t *b = c->book;
    int64_t payer_bal = hb_book_balance(payer);
    if (payer->id == GUARANTEE_ACCOUNT_ID) {
        if (payer_bal - s->minutes < -b->guarantee_budget)
            return reject(c, HB_RESULT_BUDGET_EXHAUSTED,
                          hb_book_printf(b, "the guarantee budget of %" PRId64 " minutes is exhausted",
                                         b->guarantee_budget));
        return 1;
    }
    const hb_book_district_rule_t *rr = hb_book_district_rule(b, recp->district);
    hb_assert(rr);  /* service_facts_check */
    if (payer_bal - s->minutes < rr->floor)
        return reject(c, HB_RESULT_INSUFFICIENT_BALANCE,
                      hb_book_printf(b, "recipient %s holds %" PRId64 " minutes, the service needs %" PRId64,
                                     s->recipient, payer_bal, s->minutes));
    return 1;
}

static int
do_service(ctx_t *c)
{
    const Hourbank__ServiceRecord *s = c->in->op->service;
    hb_book_t *b = c->book;
    hb_book_member_t *prov = hb_book_member(b, s->provider), *recp = hb_book_member(b, s->recipient);
    int rc = refused_either(c, s->provider, s->recipient);
    if (rc == 1)
        rc = service_facts_check(c, prov, recp);
    if (rc != 1)
        return rc;
    const hb_book_district_rule_t *rp = hb_book_district_rule(b, prov->district);
    const hb_book_district_rule_t *rr = hb_book_district_rule(b, recp->district);
    hb_assert(rp && rr);  /* service_facts_check */
    const hb_book_local_day_t *day = hb_book_local_day(b, rp->time_zone, c->in->op->occurred_at);
    int64_t *served = hb_book_day_sum(b, prov->account->id, day->day_start_s);
    if (*served + s->minutes > rp->daily_limit)
        return reject(c, HB_RESULT_DAILY_LIMIT_EXCEEDED,
                      hb_book_printf(b, "provider %s would exceed the daily limit of %" PRId64 " minutes on %s",
                                     s->provider, rp->daily_limit, day->day_text));
    hb_book_account_t *payer = guarantee_pays(c, recp, rr, s->category)
                                   ? hb_book_account(b, GUARANTEE_ACCOUNT_ID) : recp->account;
    hb_assert(payer);
    if ((rc = service_payer_check(c, recp, payer)) != 1)
        return rc;
    int64_t bal = hb_book_balance(prov->account);
    int64_t room = rp->cap - bal > 0 ? rp->cap - bal : 0;
    if (s->minutes > room && !rp->overflow_donate)
        return reject(c, HB_RESULT_CAP_EXCEEDED,
                      hb_book_printf(b, "provider %s holds %" PRId64 " minutes; %" PRId64 " more would pass the cap of %" PRId64,
                                     s->provider, bal, s->minutes, rp->cap));
    const hb_book_transfer_t *first = NULL, *extra = NULL;
    const char *category = hb_book_strdup(b, s->category), *note = hb_book_strdup(b, s->note);
    if (room > 0) {
        int64_t m = s->minutes < room ? s->minutes : room;
        first = hb_book_post(b, payer, prov->account, m, HB_XFER_SERVICE, category, c->rec,
                             day->day_start_s, 0, note);
        *served += m;
    }
    if (s->minutes > room)  /* overflow policy 'donate': the excess goes to the pool */
        extra = hb_book_post(b, payer, hb_book_account(b, DONATION_ACCOUNT_ID), s->minutes - room,
                             HB_XFER_OVERFLOW, category, c->rec, day->day_start_s, 0, note);
    return ok(c, first ? first : extra);
}

static bool
is_family(const hb_book_member_t *src, const hb_book_member_t *dst)
{
    return (dst->family_of && strcmp(dst->family_of, src->member_no) == 0) ||
           (src->family_of && strcmp(src->family_of, dst->member_no) == 0) ||
           (src->family_of && dst->family_of && strcmp(src->family_of, dst->family_of) == 0);
}

static int
gift_facts_check(ctx_t *c, const hb_book_member_t *src, const hb_book_member_t *dst)
{
    const Hourbank__Gift *g = c->in->op->gift;
    hb_book_t *b = c->book;
    if (!src)
        return reject(c, HB_RESULT_UNKNOWN_MEMBER, hb_book_printf(b, "giver %s is not registered", g->from_member));
    if (!dst)
        return reject(c, HB_RESULT_UNKNOWN_MEMBER, hb_book_printf(b, "receiver %s is not registered", g->to_member));
    if (strcmp(g->from_member, g->to_member) == 0)
        return reject(c, HB_RESULT_SELF_SERVICE,
                      hb_book_printf(b, "member %s cannot give hours to themselves", g->from_member));
    if (strcmp(src->community, c->st->community) != 0)
        return reject(c, HB_RESULT_NOT_AUTHORIZED,
                      hb_book_printf(b, "station %" PRIu32 " may record gifts only from its own members, not from %s",
                                     c->st->id, g->from_member));
    const hb_book_district_rule_t *rs = hb_book_district_rule(b, src->district);
    if (!rs)
        return no_rules(c, hb_book_printf(b, "giver %s", g->from_member), src->district);
    if (!hb_book_district_rule(b, dst->district))
        return no_rules(c, hb_book_printf(b, "receiver %s", g->to_member), dst->district);
    if (rs->gifts == HB_GIFTS_NONE)
        return reject(c, HB_RESULT_NOT_AUTHORIZED,
                      hb_book_printf(b, "district %s does not allow gifts of hours", src->district));
    if (rs->gifts == HB_GIFTS_FAMILY && !is_family(src, dst))
        return reject(c, HB_RESULT_NOT_FAMILY,
                      hb_book_printf(b, "%s and %s are not registered as family", g->from_member, g->to_member));
    return 1;
}

static int
do_gift(ctx_t *c)
{
    const Hourbank__Gift *g = c->in->op->gift;
    hb_book_t *b = c->book;
    hb_book_member_t *src = hb_book_member(b, g->from_member), *dst = hb_book_member(b, g->to_member);
    int rc = refused_either(c, g->from_member, g->to_member);
    if (rc == 1)
        rc = gift_facts_check(c, src, dst);
    if (rc != 1)
        return rc;
    const hb_book_district_rule_t *rs = hb_book_district_rule(b, src->district);
    const hb_book_district_rule_t *rd = hb_book_district_rule(b, dst->district);
    hb_assert(rs && rd);  /* gift_facts_check */
    int64_t src_bal = hb_book_balance(src->account), dst_bal = hb_book_balance(dst->account);
    if (src_bal - g->minutes < rs->floor)
        return reject(c, HB_RESULT_INSUFFICIENT_BALANCE,
                      hb_book_printf(b, "giver %s holds %" PRId64 " minutes, the gift needs %" PRId64,
                                     g->from_member, src_bal, g->minutes));
    if (dst_bal + g->minutes > rd->cap)
        return reject(c, HB_RESULT_CAP_EXCEEDED,
                      hb_book_printf(b, "receiver %s holds %" PRId64 " minutes; %" PRId64 " more would pass the cap of %" PRId64,
                                     g->to_member, dst_bal, g->minutes, rd->cap));
    return ok(c, hb_book_post(b, src->account, dst->account, g->minutes, HB_XFER_GIFT, NULL, c->rec,
                              0, 0, hb_book_strdup(b, g->reason)));
}

/* hb_void()'s checks of the target op, before its transfers. */
static int
void_target_check(ctx_t *c, const hb_book_op_t *target, uint32_t ts, uint64_t tq)
{
    hb_book_t *b = c->book;
    if (!target)
        return reject(c, HB_RESULT_UNKNOWN_OPERATION,
                      hb_book_printf(b, "operation %" PRIu32 ":%" PRIu64 " does not exist", ts, tq));
    const hb_book_station_t *tst = hb_book_station(b, ts);
    hb_assert(tst);  /* an op's station exists (foreign key), and hb_group loads it */
    if (strcmp(tst->community, c->st->community) != 0)
        return reject(c, HB_RESULT_NOT_AUTHORIZED,
                      hb_book_printf(b, "station %" PRIu32 " may void only operations of its own community",
                                     c->st->id));
    if (target->result != HB_RESULT_OK || (target->kind != HB_OPK_SERVICE && target->kind != HB_OPK_GIFT))
        return reject(c, HB_RESULT_NOT_VOIDABLE,
                      hb_book_printf(b, "operation %" PRIu32 ":%" PRIu64 " is a %s with result %d and cannot be voided",
                                     ts, tq, hb_posting_kind_name(target->kind), (int) target->result));
    if (target->voided)
        return reject(c, HB_RESULT_ALREADY_VOIDED,
                      hb_book_printf(b, "operation %" PRIu32 ":%" PRIu64 " is already voided", ts, tq));
    for (size_t i = 0; i < target->n_transfers; i++) {  /* every member account moved, in transfer order */
        const hb_book_account_t *sides[] = {target->transfers[i]->credit, target->transfers[i]->debit};
        for (size_t k = 0; k < sizeof sides / sizeof sides[0]; k++)
            if (sides[k]->kind == HB_ACCOUNT_MEMBER && !hb_book_district_rule(b, sides[k]->district))
                return no_rules(c, hb_book_printf(b, "account %" PRId64, sides[k]->id), sides[k]->district);
    }
    for (size_t i = 0; i < target->n_transfers; i++) {
        const hb_book_transfer_t *t = target->transfers[i];
        if (t->credit->kind != HB_ACCOUNT_MEMBER)
            continue;
        const hb_book_district_rule_t *r = hb_book_district_rule(b, t->credit->district);
        hb_assert(r);  /* checked above */
        if (hb_book_balance(t->credit) - t->minutes < r->floor)
            return reject(c, HB_RESULT_INSUFFICIENT_BALANCE,
                          hb_book_printf(b, "account %" PRId64 " no longer holds the %" PRId64 " minutes to reverse",
                                         t->credit->id, t->minutes));
    }
    return 1;
}

static int
do_void(ctx_t *c)
{
    const Hourbank__Void *v = c->in->op->void_op;
    hb_book_t *b = c->book;
    uint32_t ts = v->target->station_id;
    uint64_t tq = v->target->seq;
    hb_book_op_t *target = hb_book_op(b, ts, tq);
    int rc = void_target_check(c, target, ts, tq);
    if (rc != 1)
        return rc;
    const char *reason = hb_book_strdup(b, v->reason);
    const hb_book_transfer_t *first = NULL;
    size_t n = target->n_transfers;  /* the void's own transfers are not the target's */
    for (size_t i = 0; i < n; i++) {
        const hb_book_transfer_t *t = target->transfers[i];
        const hb_book_transfer_t *r = hb_book_post(b, t->credit, t->debit, t->minutes, HB_XFER_VOID, t->category,
                                                   c->rec, 0, t->id, reason);
        first = first ? first : r;
        if (t->kind == HB_XFER_SERVICE)  /* voided services no longer count for the day */
            hb_book_day_sum_sub(b, t->credit->id, t->day_start_s, t->minutes);
    }
    target->voided = true;
    hb_book_add_void_link(b, target, c->rec);
    return ok(c, first);
}

/* The occurred_at window, then the kind's rules. */
static int
decide(ctx_t *c)
{
    hb_book_t *b = c->book;
    int64_t at_us = c->in->op->occurred_at * US_PER_S;
    if (at_us > b->now_us + b->clock_skew_s * US_PER_S)
        return reject(c, HB_RESULT_OCCURRED_IN_FUTURE,
                      hb_book_printf(b, "occurred_at %s is in the future (central time %s)", c->in->at_text,
                                     b->now_text));
    if (at_us < b->now_us - b->max_age_s * US_PER_S)
        return reject(c, HB_RESULT_TOO_OLD,
                      hb_book_printf(b, "occurred_at %s is older than the %" PRId64 "-day window", c->in->at_text,
                                     b->max_age_s / S_PER_DAY));
    switch (c->rec->kind) {
    case HB_OPK_REGISTER: return do_register(c);
    case HB_OPK_SERVICE: return do_service(c);
    case HB_OPK_GIFT: return do_gift(c);
    case HB_OPK_VOID: return do_void(c);
    default: hb_unreachable();  /* ops without a kind are refused by hb_wire_validate_op */
    }
}

static void
outcome(const hb_posting_input_t *in, hb_result_t result, const char *message, uint64_t transfer_id,
        hb_ledger_outcome_t *out)
{
    out->result = result;
    snprintf(out->message, sizeof out->message, "%s", message);
    out->transfer_id = transfer_id;
    if (result == HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD)
        hb_log_warn("ALERT seq reused with a different payload station=%" PRIu32 " seq=%" PRIu64,
                    in->station_id, in->op->seq);
    else if (result != HB_RESULT_OK && in->refused == HB_RESULT_OK)
        hb_log_info("op rejected station=%" PRIu32 " seq=%" PRIu64 " code=%s message=\"%s\"", in->station_id,
                    in->op->seq, hb_result_name(result), out->message);
}

int
hb_posting_apply(hb_book_t *book, const hb_posting_input_t *in, hb_ledger_outcome_t *out, char *err,
                 size_t err_size)
{
    hb_assert(book && in && in->op && out);
    uint32_t station = in->station_id;
    uint64_t seq = in->op->seq;
    const hb_book_op_t *prior = hb_book_op(book, station, seq);
    if (prior && memcmp(prior->hash, in->hash, HB_HASH_BYTES) == 0) {
        outcome(in, prior->result, prior->message, prior->transfer_id, out);
        return 0;
    }
    if (prior) {  /* a registration refused here: its number is kept (migration 0008) */
        if (in->refused == HB_RESULT_OK && in->op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER)
            hb_book_add_refusal(book, station, in->op->register_member->member_no, seq,
                                HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD, true);
        char msg[HB_MESSAGE_BYTES_MAX];
        snprintf(msg, sizeof msg, "station %" PRIu32 " already used seq %" PRIu64 " for a different operation",
                 station, seq);
        outcome(in, HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD, msg, 0, out);
        return 0;
    }
    ctx_t c = {book, in, NULL, hb_book_station(book, station)};
    if (!c.st) {
        snprintf(err, err_size, "station %" PRIu32 " is not in the ledger", station);
        return -1;
    }
    c.rec = hb_book_add_op(book, station, seq);
    memcpy(c.rec->hash, in->hash, HB_HASH_BYTES);
    c.rec->kind = hb_posting_kind_of(in->op);
    c.rec->occurred_s = in->op->occurred_at;
    hb_assert(book->n_new_ops < book->max.ops);
    book->new_ops[book->n_new_ops++] = c.rec;
    if (in->refused != HB_RESULT_OK)
        reject(&c, in->refused, hb_book_strdup(book, in->refusal));
    else
        decide(&c);
    outcome(in, c.rec->result, c.rec->message, c.rec->transfer_id, out);
    return 0;
}
