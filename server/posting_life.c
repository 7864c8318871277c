/* posting_life.c - the posting rules of members' lives: amend, move,
 * leave and opening (PROTOCOL.md, "Members' lives"; server/RECORD.md).
 * Like posting.c they decide against the group's book in memory and
 * change it, so that a later op of the same group sees the new birth year,
 * family, home or balance. Transfers are posted as any other; what
 * changes in the people tables is collected (hb_book_add_life) and
 * written in posting order by hb_life_apply() (migration 0014). */
#include "posting_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_wire.h"

/* A member an op names (the member, a relative, an heir): registered, not
 * left. 1 with *out set, or 0 when refused. */
static int
other_member(ctx_t *c, const char *no, const char *role, hb_book_member_t **out)
{
    hb_book_t *b = c->book;
    if (hb_posting__refused(c, no) != 1)
        return 0;
    hb_book_member_t *m = hb_book_member(b, no);
    if (!m)
        return hb_posting__reject(c, HB_RESULT_UNKNOWN_MEMBER, hb_book_printf(b, "role=%s\nmember=%s", role, no));
    if (hb_posting__gone(c, m, role, no) != 1)
        return 0;
    *out = m;
    return 1;
}

/* The member an amend, leave or opening names: as other_member, and of
 * the station's community (NOT_AUTHORIZED reason); with rules for their
 * district when need_rules. */
static int
own_member(ctx_t *c, const char *no, const char *reason, bool need_rules, hb_book_member_t **out)
{
    hb_book_member_t *m = NULL;
    if (other_member(c, no, "member", &m) != 1)
        return 0;
    if (strcmp(m->community, c->st->community) != 0)
        return hb_posting__reject(c, HB_RESULT_NOT_AUTHORIZED,
                                  hb_book_printf(c->book, "reason=%s\nstation=%" PRIu32 "\nmember=%s", reason,
                                                 c->st->id, no));
    if (need_rules && !hb_book_district_rule(c->book, m->district))
        return hb_posting__no_rules(c, "member", no, m->district);
    *out = m;
    return 1;
}

/* ---- amend ---- */

/* A family list, "A,B" in order, as at most cap numbers. */
typedef struct {
    const char *no[2 * HB_FAMILY_LINKS_MAX];
    size_t n;
} family_t;

static int
cmp_numbers(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static void
family_parse(hb_book_t *b, const char *list, family_t *f)
{
    f->n = 0;
    for (const char *p = list; *p && f->n < sizeof f->no / sizeof f->no[0];) {
        size_t n = strcspn(p, ",");
        f->no[f->n++] = hb_book_printf(b, "%.*s", (int) n, p);
        p += n + (p[n] == ',');
    }
}

static bool
family_has(const family_t *f, const char *no)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->no[i], no) == 0)
            return true;
    return false;
}

static void
family_remove(family_t *f, const char *no)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->no[i], no) == 0) {
            f->no[i] = f->no[--f->n];
            return;
        }
}

static const char *
family_join(hb_book_t *b, family_t *f)
{
    qsort(f->no, f->n, sizeof f->no[0], cmp_numbers);
    const char *out = "";
    for (size_t i = 0; i < f->n; i++)
        out = hb_book_printf(b, "%s%s%s", out, i ? "," : "", f->no[i]);
    return out;
}

int
hb_posting__amend(ctx_t *c)
{
    const Hourbank__AmendMember *a = c->in->op->amend;
    hb_book_t *b = c->book;
    hb_book_member_t *m = NULL, *r = NULL;
    if (own_member(c, a->member_no, "amend_community", false, &m) != 1)
        return 0;
    family_t f;
    family_parse(b, m->family, &f);
    for (size_t i = 0; i < a->n_remove_family; i++) {
        const hb_book_member_t *x = hb_book_member(b, a->remove_family[i]);
        family_remove(&f, x ? x->member_no : a->remove_family[i]);  /* not linked: nothing to remove */
    }
    for (size_t i = 0; i < a->n_add_family; i++) {
        if (other_member(c, a->add_family[i]->member_no, "family", &r) != 1)
            return 0;
        if (r == m)
            return hb_posting__reject(c, HB_RESULT_MALFORMED,
                                      hb_book_printf(b, "detail=%s is the member's own number",
                                                     a->add_family[i]->member_no));
        if (!family_has(&f, r->member_no) && f.n < sizeof f.no / sizeof f.no[0])
            f.no[f.n++] = r->member_no;
    }
    if (f.n > HB_FAMILY_LINKS_MAX)
        return hb_posting__reject(c, HB_RESULT_MALFORMED,
                                  hb_book_printf(b, "detail=the amendment leaves %zu family links, at most %d", f.n,
                                                 HB_FAMILY_LINKS_MAX));
    m->family = family_join(b, &f);
    if (a->birth_year)
        m->birth_year = (int32_t) a->birth_year;
    m->changed = true;
    hb_book_add_life(b, c->rec, c->in->op, m, NULL);
    return hb_posting__ok(c, NULL);
}

/* ---- move ---- */

int
hb_posting__move(ctx_t *c)
{
    const Hourbank__MoveMember *mv = c->in->op->move;
    hb_book_t *b = c->book;
    if (hb_posting__refused_either(c, mv->member_no, mv->new_member_no) != 1)
        return 0;
    hb_book_member_t *m = hb_book_member(b, mv->member_no);
    if (!m)
        return hb_posting__reject(c, HB_RESULT_UNKNOWN_MEMBER,
                                  hb_book_printf(b, "role=member\nmember=%s", mv->member_no));
    if (hb_posting__gone(c, m, "member", mv->member_no) != 1)
        return 0;
    if (strcmp(m->community, c->st->community) == 0)
        return hb_posting__reject(c, HB_RESULT_ALREADY_HOME,
                                  hb_book_printf(b, "member=%s\ncommunity=%s", mv->member_no, m->community));
    if (hb_posting__new_number(c, mv->new_member_no) != 1)
        return 0;
    if (!hb_book_district_rule(b, c->st->district))
        return hb_posting__no_rules(c, "station", hb_book_printf(b, "%" PRIu32, c->st->id), c->st->district);
    c->rec->member_district = m->district;  /* the record keeps where the member came from */
    m->community = c->st->community;
    m->district = c->st->district;
    m->account->district = c->st->district;
    m->changed = true;
    hb_book_add_alias(b, mv->new_member_no, m);
    hb_book_add_life(b, c->rec, c->in->op, m, c->st->community);
    return hb_posting__ok(c, NULL);
}

/* ---- leave ---- */

/* The heirs a leave names: allowed by the district's rule, each registered,
 * not left, with rules, and family of the leaver. */
static int
heirs_check(ctx_t *c, const hb_book_member_t *m, const hb_book_district_rule_t *rd, hb_book_member_t **heirs)
{
    const Hourbank__LeaveMember *l = c->in->op->leave;
    hb_book_t *b = c->book;
    if (l->n_heirs > 0 && !rd->leaver_family)
        return hb_posting__reject(c, HB_RESULT_NOT_AUTHORIZED,
                                  hb_book_printf(b, "reason=leaver_hours_pool\ndistrict=%s", m->district));
    for (size_t i = 0; i < l->n_heirs; i++) {
        if (other_member(c, l->heirs[i], "heir", &heirs[i]) != 1)
            return 0;
        if (heirs[i] == m)
            return hb_posting__reject(c, HB_RESULT_MALFORMED,
                                      hb_book_printf(b, "detail=%s is the leaver's own number", l->heirs[i]));
        if (!hb_book_district_rule(b, heirs[i]->district))
            return hb_posting__no_rules(c, "heir", l->heirs[i], heirs[i]->district);
        if (!hb_posting__is_family(m, heirs[i]))
            return hb_posting__reject(c, HB_RESULT_NOT_FAMILY,
                                      hb_book_printf(b, "giver=%s\nreceiver=%s", l->member_no, l->heirs[i]));
    }
    return 1;
}

/* A positive balance: equal shares to the heirs (the first ones a minute
 * more when it does not divide), each up to their cap; the rest to the
 * pool. Returns the first transfer. */
static const hb_book_transfer_t *
settle(ctx_t *c, hb_book_member_t *m, hb_book_member_t **heirs, size_t n, int64_t bal)
{
    hb_book_t *b = c->book;
    const char *note = hb_book_strdup(b, c->in->op->leave->reason);
    const hb_book_transfer_t *first = NULL;
    int64_t rest = bal;
    for (size_t i = 0; i < n; i++) {
        int64_t share = bal / (int64_t) n + ((int64_t) i < bal % (int64_t) n);
        const hb_book_district_rule_t *rh = hb_book_district_rule(b, heirs[i]->district);
        int64_t room = rh->cap - hb_book_balance(heirs[i]->account);
        int64_t give = share < room ? share : room;
        if (give <= 0)
            continue;
        const hb_book_transfer_t *t = hb_book_post(b, m->account, heirs[i]->account, give, HB_XFER_LEAVE, NULL,
                                                   c->rec, 0, 0, note);
        first = first ? first : t;
        rest -= give;
    }
    if (rest > 0) {
        const hb_book_transfer_t *t = hb_book_post(b, m->account, hb_book_account(b, DONATION_ACCOUNT_ID), rest,
                                                   HB_XFER_LEAVE, NULL, c->rec, 0, 0, note);
        first = first ? first : t;
    }
    return first;
}

int
hb_posting__leave(ctx_t *c)
{
    const Hourbank__LeaveMember *l = c->in->op->leave;
    hb_book_t *b = c->book;
    hb_book_member_t *m = NULL, *heirs[HB_HEIRS_MAX];
    if (own_member(c, l->member_no, "leave_community", true, &m) != 1)
        return 0;
    hb_assert(l->n_heirs <= HB_HEIRS_MAX);  /* hb_wire_validate_op */
    if (heirs_check(c, m, hb_book_district_rule(b, m->district), heirs) != 1)
        return 0;
    int64_t bal = hb_book_balance(m->account);
    const hb_book_transfer_t *first = NULL;
    if (bal > 0)
        first = settle(c, m, heirs, l->n_heirs, bal);
    else if (bal < 0)  /* hours owed: the pool covers them */
        first = hb_book_post(b, hb_book_account(b, DONATION_ACCOUNT_ID), m->account, -bal, HB_XFER_LEAVE, NULL,
                             c->rec, 0, 0, hb_book_strdup(b, l->reason));
    c->rec->minutes = bal;
    m->left = true;
    m->changed = true;
    hb_book_add_life(b, c->rec, c->in->op, m, NULL);
    return hb_posting__ok(c, first);
}

/* ---- opening ---- */

int
hb_posting__opening(ctx_t *c)
{
    const Hourbank__OpeningBalance *o = c->in->op->opening;
    hb_book_t *b = c->book;
    hb_book_member_t *m = NULL;
    if (own_member(c, o->member_no, "opening_community", true, &m) != 1)
        return 0;
    if (m->has_opening)
        return hb_posting__reject(c, HB_RESULT_OPENING_EXISTS,
                                  hb_book_printf(b, "member=%s\nstation=%" PRIu32 "\nseq=%" PRIu64, o->member_no,
                                                 m->opening_station, m->opening_seq));
    const hb_book_district_rule_t *rd = hb_book_district_rule(b, m->district);
    int64_t bal = hb_book_balance(m->account);
    if (o->minutes > 0 && bal + o->minutes > rd->cap)
        return hb_posting__reject(c, HB_RESULT_CAP_EXCEEDED,
                                  hb_book_printf(b, "role=opening\nmember=%s\nheld_minutes=%" PRId64
                                                    "\nminutes=%" PRId64 "\ncap_minutes=%" PRId64,
                                                 o->member_no, bal, o->minutes, rd->cap));
    if (o->minutes < 0 && bal + o->minutes < rd->floor)
        return hb_posting__reject(c, HB_RESULT_INSUFFICIENT_BALANCE,
                                  hb_book_printf(b, "role=opening\nmember=%s\nheld_minutes=%" PRId64
                                                    "\nneeded_minutes=%" PRId64,
                                                 o->member_no, bal, -o->minutes));
    hb_book_account_t *pool = hb_book_account(b, OPENING_ACCOUNT_ID);
    hb_assert(pool);  /* S_ACCOUNTS locks it in every group */
    const char *note = hb_book_strdup(b, o->source);
    const hb_book_transfer_t *t = o->minutes > 0
        ? hb_book_post(b, pool, m->account, o->minutes, HB_XFER_OPENING, NULL, c->rec, 0, 0, note)
        : hb_book_post(b, m->account, pool, -o->minutes, HB_XFER_OPENING, NULL, c->rec, 0, 0, note);
    m->has_opening = true;
    m->opening_station = c->rec->station_id;
    m->opening_seq = c->rec->seq;
    return hb_posting__ok(c, t);
}

/* ---- the record (server/RECORD.md, "Members' lives") ---- */

void
hb_posting__life_record(ctx_t *c)
{
    hb_book_op_t *r = c->rec;
    hb_book_t *b = c->book;
    const Hourbank__Op *op = c->in->op;
    const char *no = NULL, *note = NULL;
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_AMEND: no = op->amend->member_no; note = op->amend->reason; break;
    case HOURBANK__OP__KIND_MOVE:
        no = op->move->member_no;
        note = op->move->reason;
        r->counterpart = hb_book_strdup(b, op->move->new_member_no);
        break;
    case HOURBANK__OP__KIND_LEAVE: no = op->leave->member_no; note = op->leave->reason; break;
    case HOURBANK__OP__KIND_OPENING:
        no = op->opening->member_no;
        note = op->opening->source;
        r->minutes = op->opening->minutes;
        break;
    default: hb_unreachable();  /* posting.c's record() took the other kinds */
    }
    const hb_book_member_t *m = hb_book_member(b, no);
    r->member = m ? m->member_no : hb_book_strdup(b, no);
    r->note = hb_book_strdup(b, note);
    if (!r->member_district)  /* a move set where the member came from */
        r->member_district = m ? m->district : NULL;
    if (op->kind_case == HOURBANK__OP__KIND_MOVE && r->result == HB_RESULT_OK)
        r->counterpart_district = m->district;
}
