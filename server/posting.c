#include "posting.h"
#include "posting_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_log.h"
#include "hb_memberno.h"
#include "hb_wire.h"

#define US_PER_S 1000000LL
#define S_PER_DAY 86400


const char *
hb_posting_kind_name(hb_opk_t kind)
{
    switch (kind) {
    case HB_OPK_REGISTER: return "register";
    case HB_OPK_SERVICE: return "service";
    case HB_OPK_GIFT: return "gift";
    case HB_OPK_VOID: return "void";
    case HB_OPK_DONATION: return "donation";
    case HB_OPK_AMEND: return "amend";
    case HB_OPK_MOVE: return "move";
    case HB_OPK_LEAVE: return "leave";
    case HB_OPK_OPENING: return "opening";
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
    case HOURBANK__OP__KIND_DONATION: return HB_OPK_DONATION;
    case HOURBANK__OP__KIND_AMEND: return HB_OPK_AMEND;
    case HOURBANK__OP__KIND_MOVE: return HB_OPK_MOVE;
    case HOURBANK__OP__KIND_LEAVE: return HB_OPK_LEAVE;
    case HOURBANK__OP__KIND_OPENING: return HB_OPK_OPENING;
    default: return HB_OPK_INVALID;
    }
}

/* Refuses the op with code and its values (PROTOCOL.md "Result values"). */
int
hb_posting__reject(ctx_t *c, hb_result_t code, const char *params)
{
    c->rec->result = code;
    c->rec->params = params;
    return 0;
}

int
hb_posting__ok(ctx_t *c, const hb_book_transfer_t *t)
{
    c->rec->result = HB_RESULT_OK;
    c->rec->params = "";
    c->rec->transfer_id = t ? (uint64_t) t->id : 0;
    return 0;
}

/* NO_DISTRICT_RULES: the member (or station) in role is in a district
 * without rules in the version in force (migration 0012's hb_no_rules). */
int
hb_posting__no_rules(ctx_t *c, const char *role, const char *who, const char *district)
{
    return hb_posting__reject(c, HB_RESULT_NO_DISTRICT_RULES,
                  hb_book_printf(c->book, "role=%s\n%s=%s\ndistrict=%s\nrules_version=%" PRId32, role,
                                 strcmp(role, "station") == 0 ? "station" : "member", who,
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
int
hb_posting__refused(ctx_t *c, const char *no)
{
    const hb_book_refusal_t *r = no[0] ? hb_book_refusal(c->book, c->rec->station_id, no) : NULL;
    if (!r || r->seq >= c->rec->seq)
        return 1;
    return hb_posting__reject(c, HB_RESULT_REGISTRATION_REFUSED,
                  hb_book_printf(c->book, "member=%s\nstation=%" PRIu32 "\nseq=%" PRIu64 "\nrefused_result=%d",
                                 r->member_no, r->station_id, r->seq, (int) r->result));
}

/* The first of the two numbers an op names that it may not name. */
int
hb_posting__refused_either(ctx_t *c, const char *a, const char *b)
{
    int rc = hb_posting__refused(c, a);
    return rc == 1 ? hb_posting__refused(c, b) : rc;
}

int
hb_posting__new_number(ctx_t *c, const char *no)
{
    hb_book_t *b = c->book;
    char code[HB_MEMBER_NO_BUF_BYTES], serial_text[HB_MEMBER_NO_BUF_BYTES];
    split_part(no, 1, code, sizeof code);
    split_part(no, 2, serial_text, sizeof serial_text);
    long long serial = strtoll(serial_text, NULL, 10);  /* hb_wire checked the digits */
    if (strcmp(code, c->st->community) != 0)
        return hb_posting__reject(c, HB_RESULT_NOT_AUTHORIZED,
                      hb_book_printf(b, "reason=register_community\nstation=%" PRIu32 "\ncommunity=%s\nmember=%s",
                                     c->st->id, c->st->community, no));
    if (serial < c->st->serial_min || serial > c->st->serial_max)
        return hb_posting__reject(c, HB_RESULT_NOT_AUTHORIZED,
                      hb_book_printf(b, "reason=serials\nstation=%" PRIu32 "\nmember=%s\nserial_min=%" PRId64
                                        "\nserial_max=%" PRId64,
                                     c->st->id, no, c->st->serial_min, c->st->serial_max));
    if (hb_book_member(b, no)) {  /* a first number or a later one */
        hb_book_add_refusal(b, c->rec->station_id, no, c->rec->seq, HB_RESULT_DUPLICATE, true);
        return hb_posting__reject(c, HB_RESULT_DUPLICATE, hb_book_printf(b, "member=%s", no));
    }
    return 1;
}

int
hb_posting__gone(ctx_t *c, const hb_book_member_t *m, const char *role, const char *no)
{
    if (!m->left)
        return 1;
    return hb_posting__reject(c, HB_RESULT_MEMBER_LEFT, hb_book_printf(c->book, "role=%s\nmember=%s", role, no));
}

static int
do_register(ctx_t *c)
{
    const Hourbank__RegisterMember *m = c->in->op->register_member;
    hb_book_t *b = c->book;
    if (hb_posting__new_number(c, m->member_no) != 1)
        return 0;
    if (hb_posting__refused_either(c, m->member_no, m->family_of) != 1)
        return 0;
    const hb_book_member_t *family = m->family_of[0] ? hb_book_member(b, m->family_of) : NULL;
    if (m->family_of[0] && !family)
        return hb_posting__reject(c, HB_RESULT_UNKNOWN_MEMBER,
                      hb_book_printf(b, "role=family\nmember=%s", m->family_of));
    if (family && hb_posting__gone(c, family, "family", m->family_of) != 1)
        return 0;
    if (!hb_book_district_rule(b, c->st->district))
        return hb_posting__no_rules(c, "station", hb_book_printf(b, "%" PRIu32, c->st->id), c->st->district);
    hb_book_member_t *r = hb_book_register(b, m->member_no, c->st, m->name, (int) m->role, (int32_t) m->birth_year,
                                           family ? family->member_no : "", m->phone[0] ? m->phone : NULL,
                                           c->rec->station_id, c->rec->seq);
    r->relation = hb_book_strdup(b, m->family_relation);
    return hb_posting__ok(c, NULL);
}

/* hb_payer(): the recipient's district's rules, first match wins; ages
 * in the recipient's district's local year. NULL: none matches, the
 * recipient pays. */
static const hb_book_payer_rule_t *
payer_rule(const ctx_t *c, const hb_book_member_t *recp, const hb_book_district_rule_t *rr, const char *category)
{
    const hb_book_t *b = c->book;
    for (size_t i = 0; i < b->n_payer_rules; i++) {
        const hb_book_payer_rule_t *r = &b->payer_rules[i];
        if (strcmp(r->district, recp->district) != 0 ||
            (strcmp(r->category, "*") != 0 && strcmp(r->category, category) != 0))
            continue;
        if (r->min_age == 0)
            return r;
        int32_t year = hb_book_local_day(b, rr->time_zone, c->in->op->occurred_at)->year;
        if (recp->birth_year != 0 && year - recp->birth_year >= r->min_age)
            return r;
    }
    return NULL;
}

/* The checks of hb_service() before any balance is read. */
static int
service_facts_check(ctx_t *c, const hb_book_member_t *prov, const hb_book_member_t *recp)
{
    const Hourbank__ServiceRecord *s = c->in->op->service;
    hb_book_t *b = c->book;
    if (!prov)
        return hb_posting__reject(c, HB_RESULT_UNKNOWN_MEMBER, hb_book_printf(b, "role=provider\nmember=%s", s->provider));
    if (!recp)
        return hb_posting__reject(c, HB_RESULT_UNKNOWN_MEMBER, hb_book_printf(b, "role=recipient\nmember=%s", s->recipient));
    if (hb_posting__gone(c, prov, "provider", s->provider) != 1 ||
        hb_posting__gone(c, recp, "recipient", s->recipient) != 1)
        return 0;
    if (prov == recp)  /* also the same member by two of their numbers */
        return hb_posting__reject(c, HB_RESULT_SELF_SERVICE,
                      hb_book_printf(b, "kind=service\nmember=%s", s->provider));
    if (strcmp(c->st->community, prov->community) != 0 && strcmp(c->st->community, recp->community) != 0)
        return hb_posting__reject(c, HB_RESULT_NOT_AUTHORIZED,
                      hb_book_printf(b, "reason=service_community\nstation=%" PRIu32 "\ncommunity=%s\nprovider=%s"
                                        "\nrecipient=%s",
                                     c->st->id, c->st->community, s->provider, s->recipient));
    if (!hb_book_has_category(b, s->category))
        return hb_posting__reject(c, HB_RESULT_UNKNOWN_CATEGORY,
                      hb_book_printf(b, "category=%s", s->category));
    if (s->minutes < 1 || s->minutes > HB_RECORD_MINUTES_MAX)
        return hb_posting__reject(c, HB_RESULT_INVALID_DURATION,
                      hb_book_printf(b, "minutes=%" PRId64 "\nmax_minutes=%d", s->minutes, HB_RECORD_MINUTES_MAX));
    if (!hb_book_district_rule(b, prov->district))
        return hb_posting__no_rules(c, "provider", s->provider, prov->district);
    if (!hb_book_district_rule(b, recp->district))
        return hb_posting__no_rules(c, "recipient", s->recipient, recp->district);
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
        if (payer_bal - s->minutes < -b->guarantee_budget) {
            int64_t left = b->guarantee_budget + payer_bal;
            return hb_posting__reject(c, HB_RESULT_BUDGET_EXHAUSTED,
                          hb_book_printf(b, "budget_minutes=%" PRId64 "\nleft_minutes=%" PRId64 "\nminutes=%" PRId64,
                                         b->guarantee_budget, left > 0 ? left : 0, s->minutes));
        }
        return 1;
    }
    const hb_book_district_rule_t *rr = hb_book_district_rule(b, recp->district);
    hb_assert(rr);  /* service_facts_check */
    if (payer_bal - s->minutes < rr->floor)
        return hb_posting__reject(c, HB_RESULT_INSUFFICIENT_BALANCE,
                      hb_book_printf(b, "role=recipient\nmember=%s\nheld_minutes=%" PRId64 "\nneeded_minutes=%" PRId64,
                                     s->recipient, payer_bal, s->minutes));
    return 1;
}

static int
do_service(ctx_t *c)
{
    const Hourbank__ServiceRecord *s = c->in->op->service;
    hb_book_t *b = c->book;
    hb_book_member_t *prov = hb_book_member(b, s->provider), *recp = hb_book_member(b, s->recipient);
    int rc = hb_posting__refused_either(c, s->provider, s->recipient);
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
        return hb_posting__reject(c, HB_RESULT_DAILY_LIMIT_EXCEEDED,
                      hb_book_printf(b, "member=%s\nlimit_minutes=%" PRId64 "\nday=%s",
                                     s->provider, rp->daily_limit, day->day_text));
    const hb_book_payer_rule_t *rule = payer_rule(c, recp, rr, s->category);
    hb_book_account_t *payer = rule && rule->guarantee ? hb_book_account(b, GUARANTEE_ACCOUNT_ID) : recp->account;
    hb_assert(payer);
    if ((rc = service_payer_check(c, recp, payer)) != 1)
        return rc;
    int64_t bal = hb_book_balance(prov->account);
    int64_t room = rp->cap - bal > 0 ? rp->cap - bal : 0;
    if (s->minutes > room && !rp->overflow_donate)
        return hb_posting__reject(c, HB_RESULT_CAP_EXCEEDED,
                      hb_book_printf(b, "role=provider\nmember=%s\nheld_minutes=%" PRId64 "\nminutes=%" PRId64
                                        "\ncap_minutes=%" PRId64,
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
    c->rec->payer = payer->id == GUARANTEE_ACCOUNT_ID ? "guarantee" : recp->member_no;
    c->rec->payer_rule = rule ? rule->position : -1;
    return hb_posting__ok(c, first ? first : extra);
}

/* True if member number no is in list, a "A,B" family list. */
static bool
in_family(const char *list, const char *no)
{
    size_t len = strlen(no);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && memcmp(p, no, n) == 0)
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

/* Either names the other as family, or both name a same relative. */
bool
hb_posting__is_family(const hb_book_member_t *src, const hb_book_member_t *dst)
{
    if (in_family(dst->family, src->member_no) || in_family(src->family, dst->member_no))
        return true;
    for (const char *p = src->family; *p;) {
        size_t n = strcspn(p, ",");
        char no[HB_MEMBER_NO_BUF_BYTES];
        if (n < sizeof no) {
            memcpy(no, p, n);
            no[n] = '\0';
            if (in_family(dst->family, no))
                return true;
        }
        p += n + (p[n] == ',');
    }
    return false;
}

static int
gift_facts_check(ctx_t *c, const hb_book_member_t *src, const hb_book_member_t *dst)
{
    const Hourbank__Gift *g = c->in->op->gift;
    hb_book_t *b = c->book;
    if (!src)
        return hb_posting__reject(c, HB_RESULT_UNKNOWN_MEMBER, hb_book_printf(b, "role=giver\nmember=%s", g->from_member));
    if (!dst)
        return hb_posting__reject(c, HB_RESULT_UNKNOWN_MEMBER, hb_book_printf(b, "role=receiver\nmember=%s", g->to_member));
    if (hb_posting__gone(c, src, "giver", g->from_member) != 1 ||
        hb_posting__gone(c, dst, "receiver", g->to_member) != 1)
        return 0;
    if (src == dst)
        return hb_posting__reject(c, HB_RESULT_SELF_SERVICE,
                      hb_book_printf(b, "kind=gift\nmember=%s", g->from_member));
    if (strcmp(src->community, c->st->community) != 0)
        return hb_posting__reject(c, HB_RESULT_NOT_AUTHORIZED,
                      hb_book_printf(b, "reason=gift_community\nstation=%" PRIu32 "\ngiver=%s", c->st->id,
                                     g->from_member));
    const hb_book_district_rule_t *rs = hb_book_district_rule(b, src->district);
    if (!rs)
        return hb_posting__no_rules(c, "giver", g->from_member, src->district);
    if (!hb_book_district_rule(b, dst->district))
        return hb_posting__no_rules(c, "receiver", g->to_member, dst->district);
    if (rs->gifts == HB_GIFTS_NONE)
        return hb_posting__reject(c, HB_RESULT_NOT_AUTHORIZED,
                      hb_book_printf(b, "reason=gifts_off\ndistrict=%s", src->district));
    if (rs->gifts == HB_GIFTS_FAMILY && !hb_posting__is_family(src, dst))
        return hb_posting__reject(c, HB_RESULT_NOT_FAMILY,
                      hb_book_printf(b, "giver=%s\nreceiver=%s", g->from_member, g->to_member));
    return 1;
}

static int
do_gift(ctx_t *c)
{
    const Hourbank__Gift *g = c->in->op->gift;
    hb_book_t *b = c->book;
    hb_book_member_t *src = hb_book_member(b, g->from_member), *dst = hb_book_member(b, g->to_member);
    int rc = hb_posting__refused_either(c, g->from_member, g->to_member);
    if (rc == 1)
        rc = gift_facts_check(c, src, dst);
    if (rc != 1)
        return rc;
    const hb_book_district_rule_t *rs = hb_book_district_rule(b, src->district);
    const hb_book_district_rule_t *rd = hb_book_district_rule(b, dst->district);
    hb_assert(rs && rd);  /* gift_facts_check */
    int64_t src_bal = hb_book_balance(src->account), dst_bal = hb_book_balance(dst->account);
    if (src_bal - g->minutes < rs->floor)
        return hb_posting__reject(c, HB_RESULT_INSUFFICIENT_BALANCE,
                      hb_book_printf(b, "role=giver\nmember=%s\nheld_minutes=%" PRId64 "\nneeded_minutes=%" PRId64,
                                     g->from_member, src_bal, g->minutes));
    if (dst_bal + g->minutes > rd->cap)
        return hb_posting__reject(c, HB_RESULT_CAP_EXCEEDED,
                      hb_book_printf(b, "role=receiver\nmember=%s\nheld_minutes=%" PRId64 "\nminutes=%" PRId64
                                        "\ncap_minutes=%" PRId64,
                                     g->to_member, dst_bal, g->minutes, rd->cap));
    c->rec->payer = src->member_no;
    return hb_posting__ok(c, hb_book_post(b, src->account, dst->account, g->minutes, HB_XFER_GIFT, NULL, c->rec,
                              0, 0, hb_book_strdup(b, g->reason)));
}

/* The member number of account a: loaded with a transfer (S_XFERS), or,
 * for a transfer posted in this group, its member's row in the book (the
 * op that posted it named the member). Voids refused only: no hot path. */
static const char *
member_of(const hb_book_t *b, const hb_book_account_t *a, const char *loaded)
{
    if (loaded)
        return loaded;
    for (size_t i = 0; i < b->n_members; i++)
        if (b->member_rows[i].account == a)
            return b->member_rows[i].member_no;
    return "";
}

/* hb_void()'s checks of the target op, before its transfers. */
static int
void_target_check(ctx_t *c, const hb_book_op_t *target, uint32_t ts, uint64_t tq)
{
    hb_book_t *b = c->book;
    if (!target)
        return hb_posting__reject(c, HB_RESULT_UNKNOWN_OPERATION,
                      hb_book_printf(b, "target=%" PRIu32 ":%" PRIu64, ts, tq));
    const hb_book_station_t *tst = hb_book_station(b, ts);
    hb_assert(tst);  /* an op's station exists (foreign key), and hb_group loads it */
    if (strcmp(tst->community, c->st->community) != 0)
        return hb_posting__reject(c, HB_RESULT_NOT_AUTHORIZED,
                      hb_book_printf(b, "reason=void_community\nstation=%" PRIu32, c->st->id));
    if (target->result != HB_RESULT_OK || (target->kind != HB_OPK_SERVICE && target->kind != HB_OPK_GIFT))
        return hb_posting__reject(c, HB_RESULT_NOT_VOIDABLE,
                      hb_book_printf(b, "target=%" PRIu32 ":%" PRIu64 "\ntarget_kind=%s\ntarget_result=%d",
                                     ts, tq, hb_posting_kind_name(target->kind), (int) target->result));
    if (target->voided)
        return hb_posting__reject(c, HB_RESULT_ALREADY_VOIDED,
                      hb_book_printf(b, "target=%" PRIu32 ":%" PRIu64, ts, tq));
    for (size_t i = 0; i < target->n_transfers; i++) {  /* every member account moved, in transfer order */
        const hb_book_transfer_t *t = target->transfers[i];
        const hb_book_account_t *sides[] = {t->credit, t->debit};
        const char *loaded[] = {t->credit_member, t->debit_member};
        for (size_t k = 0; k < sizeof sides / sizeof sides[0]; k++)
            if (sides[k]->kind == HB_ACCOUNT_MEMBER && !hb_book_district_rule(b, sides[k]->district))
                return hb_posting__no_rules(c, "member", member_of(b, sides[k], loaded[k]), sides[k]->district);
    }
    for (size_t i = 0; i < target->n_transfers; i++) {
        const hb_book_transfer_t *t = target->transfers[i];
        if (t->credit->kind != HB_ACCOUNT_MEMBER)
            continue;
        const hb_book_district_rule_t *r = hb_book_district_rule(b, t->credit->district);
        hb_assert(r);  /* checked above */
        if (hb_book_balance(t->credit) - t->minutes < r->floor)
            return hb_posting__reject(c, HB_RESULT_INSUFFICIENT_BALANCE,
                          hb_book_printf(b, "role=credited\nmember=%s\nheld_minutes=%" PRId64 "\nneeded_minutes=%" PRId64,
                                         member_of(b, t->credit, t->credit_member), hb_book_balance(t->credit),
                                         t->minutes));
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
    return hb_posting__ok(c, first);
}

/* Hours given to the pool (migration 0012's hb_donation). */
static int
do_donation(ctx_t *c)
{
    const Hourbank__Donation *d = c->in->op->donation;
    hb_book_t *b = c->book;
    hb_book_member_t *m = hb_book_member(b, d->member);
    int rc = hb_posting__refused(c, d->member);
    if (rc != 1)
        return rc;
    if (!m)
        return hb_posting__reject(c, HB_RESULT_UNKNOWN_MEMBER, hb_book_printf(b, "role=donor\nmember=%s", d->member));
    if (hb_posting__gone(c, m, "donor", d->member) != 1)
        return 0;
    if (strcmp(m->community, c->st->community) != 0)
        return hb_posting__reject(c, HB_RESULT_NOT_AUTHORIZED,
                      hb_book_printf(b, "reason=donation_community\nstation=%" PRIu32 "\ndonor=%s", c->st->id,
                                     d->member));
    const hb_book_district_rule_t *rd = hb_book_district_rule(b, m->district);
    if (!rd)
        return hb_posting__no_rules(c, "donor", d->member, m->district);
    int64_t bal = hb_book_balance(m->account);
    if (bal - d->minutes < rd->floor)
        return hb_posting__reject(c, HB_RESULT_INSUFFICIENT_BALANCE,
                      hb_book_printf(b, "role=donor\nmember=%s\nheld_minutes=%" PRId64 "\nneeded_minutes=%" PRId64,
                                     d->member, bal, d->minutes));
    c->rec->payer = m->member_no;
    return hb_posting__ok(c, hb_book_post(b, m->account, hb_book_account(b, DONATION_ACCOUNT_ID), d->minutes, HB_XFER_DONATION,
                              NULL, c->rec, 0, 0, hb_book_strdup(b, d->reason)));
}

/* The occurred_at window, then the kind's rules. */
static int
decide(ctx_t *c)
{
    hb_book_t *b = c->book;
    int64_t at_us = c->in->op->occurred_at * US_PER_S;
    if (at_us > b->now_us + b->clock_skew_s * US_PER_S)
        return hb_posting__reject(c, HB_RESULT_OCCURRED_IN_FUTURE,
                      hb_book_printf(b, "occurred_at=%" PRId64 "\ncentral_time=%lld", c->in->op->occurred_at,
                                     (long long) (b->now_us / US_PER_S)));
    if (at_us < b->now_us - b->max_age_s * US_PER_S)
        return hb_posting__reject(c, HB_RESULT_TOO_OLD,
                      hb_book_printf(b, "occurred_at=%" PRId64 "\nwindow_days=%" PRId64, c->in->op->occurred_at,
                                     b->max_age_s / S_PER_DAY));
    switch (c->rec->kind) {
    case HB_OPK_REGISTER: return do_register(c);
    case HB_OPK_SERVICE: return do_service(c);
    case HB_OPK_GIFT: return do_gift(c);
    case HB_OPK_VOID: return do_void(c);
    case HB_OPK_DONATION: return do_donation(c);
    case HB_OPK_AMEND: return hb_posting__amend(c);
    case HB_OPK_MOVE: return hb_posting__move(c);
    case HB_OPK_LEAVE: return hb_posting__leave(c);
    case HB_OPK_OPENING: return hb_posting__opening(c);
    default: hb_unreachable();  /* ops without a kind are refused by hb_wire_validate_op */
    }
}

/* The op's content (a valid op's only: a refused one may hold text that
 * is not even UTF-8) and the districts and days of its posting, as
 * migration 0012's hb_apply_op stores them. */
static void
record(ctx_t *c)
{
    hb_book_op_t *r = c->rec;
    hb_book_t *b = c->book;
    const Hourbank__Op *op = c->in->op;
    const hb_book_district_rule_t *zone = hb_book_district_rule(b, c->st->district);
    if (zone)
        r->posted_day = hb_book_local_day(b, zone->time_zone, b->now_us / US_PER_S)->day_text;
    if (c->in->refused != HB_RESULT_OK)
        return;
    if (zone)
        r->service_day = hb_book_local_day(b, zone->time_zone, op->occurred_at)->day_text;
    r->operator_name = op->operator_[0] ? hb_book_strdup(b, op->operator_) : NULL;
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_REGISTER_MEMBER:
        r->member = hb_book_strdup(b, op->register_member->member_no);
        break;
    case HOURBANK__OP__KIND_SERVICE:
        r->member = hb_book_strdup(b, op->service->provider);
        r->counterpart = hb_book_strdup(b, op->service->recipient);
        r->minutes = op->service->minutes;
        r->category = hb_book_strdup(b, op->service->category);
        r->note = hb_book_strdup(b, op->service->note);
        break;
    case HOURBANK__OP__KIND_GIFT:
        r->member = hb_book_strdup(b, op->gift->from_member);
        r->counterpart = hb_book_strdup(b, op->gift->to_member);
        r->minutes = op->gift->minutes;
        r->note = hb_book_strdup(b, op->gift->reason);
        break;
    case HOURBANK__OP__KIND_DONATION:
        r->member = hb_book_strdup(b, op->donation->member);
        r->minutes = op->donation->minutes;
        r->note = hb_book_strdup(b, op->donation->reason);
        break;
    case HOURBANK__OP__KIND_VOID_OP:
        r->target_station = op->void_op->target->station_id;
        r->target_seq = op->void_op->target->seq;
        r->note = hb_book_strdup(b, op->void_op->reason);
        break;
    default:
        hb_posting__life_record(c);  /* amend, move, leave, opening: posting_life.c */
        return;
    }
    /* members under their first numbers (an op may name a later one) */
    const hb_book_member_t *m = r->member ? hb_book_member(b, r->member) : NULL;
    const hb_book_member_t *o = r->counterpart ? hb_book_member(b, r->counterpart) : NULL;
    const hb_book_member_t *p = r->payer ? hb_book_member(b, r->payer) : NULL;
    r->member = m ? m->member_no : r->member;
    r->counterpart = o ? o->member_no : r->counterpart;
    r->member_district = m ? m->district : NULL;
    r->counterpart_district = o ? o->district : NULL;
    r->payer_district = p ? p->district : NULL;
    if (r->result != HB_RESULT_OK) {
        r->payer = NULL;
        r->payer_rule = -1;
        r->payer_district = NULL;
    }
}

static void
outcome(const hb_posting_input_t *in, hb_result_t result, const char *message, bool legacy, uint64_t transfer_id,
        hb_ledger_outcome_t *out)
{
    out->result = result;
    out->legacy = legacy;
    snprintf(out->message, sizeof out->message, "%s", message);
    out->transfer_id = transfer_id;
    if (result == HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD)
        hb_log_warn("ALERT seq reused with a different payload station=%" PRIu32 " seq=%" PRIu64,
                    in->station_id, in->op->seq);
    else if (result != HB_RESULT_OK && in->refused == HB_RESULT_OK)
        hb_log_info("op rejected station=%" PRIu32 " seq=%" PRIu64 " code=%s message=\"%s\"", in->station_id,
                    in->op->seq, hb_result_name(result), out->message);
}

/* The op row's hash and posting day, for the OpResult (ledger.h). */
static void
outcome_row(hb_ledger_outcome_t *out, const hb_book_op_t *row)
{
    out->has_row = row != NULL;
    memset(out->payload_hash, 0, sizeof out->payload_hash);
    out->posted_day[0] = '\0';
    if (!row)
        return;
    _Static_assert(HB_HASH_BYTES == HB_WIRE_HASH_BYTES, "one payload hash size");
    memcpy(out->payload_hash, row->hash, HB_HASH_BYTES);
    snprintf(out->posted_day, sizeof out->posted_day, "%s", row->posted_day ? row->posted_day : "");
}

/* The values of a refusal before posting: a retired station's are values
 * already (writer.c); a field's is its English line as `detail`. */
static const char *
refusal_params(hb_book_t *book, const char *refusal)
{
    if (hb_wire_params_text(refusal))
        return hb_book_strdup(book, refusal);
    char line[HB_MESSAGE_BYTES_MAX];
    snprintf(line, sizeof line, "%s", refusal);
    for (char *q = line; *q; q++)  /* one line */
        if (*q == '\n')
            *q = ' ';
    return hb_book_printf(book, "detail=%s", line);
}

int
hb_posting_apply(hb_book_t *book, const hb_posting_input_t *in, hb_ledger_outcome_t *out, char *err,
                 size_t err_size)
{
    hb_assert(book && in && in->op && out);
    uint32_t station = in->station_id;
    uint64_t seq = in->op->seq;
    const hb_book_op_t *prior = hb_book_op(book, station, seq);
    if (prior && (memcmp(prior->hash, in->hash, HB_HASH_BYTES) == 0 ||
                  (in->has_plain_hash && memcmp(prior->hash, in->plain_hash, HB_HASH_BYTES) == 0))) {
        bool legacy = prior->message[0] != '\0';
        outcome(in, prior->result, legacy ? prior->message : prior->params, legacy, prior->transfer_id, out);
        outcome_row(out, prior);
        return 0;
    }
    if (prior) {  /* a registration refused here: its number is kept (migration 0008) */
        if (in->refused == HB_RESULT_OK && in->op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER)
            hb_book_add_refusal(book, station, in->op->register_member->member_no, seq,
                                HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD, true);
        char msg[HB_MESSAGE_BYTES_MAX];
        snprintf(msg, sizeof msg, "station=%" PRIu32 "\nseq=%" PRIu64, station, seq);
        outcome(in, HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD, msg, false, 0, out);
        outcome_row(out, NULL);  /* the row holds other content: nothing of it is sent */
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
        hb_posting__reject(&c, in->refused, refusal_params(book, in->refusal));
    else
        decide(&c);
    record(&c);
    outcome(in, c.rec->result, c.rec->params, false, c.rec->transfer_id, out);
    outcome_row(out, c.rec);
    return 0;
}
