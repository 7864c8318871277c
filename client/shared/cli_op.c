/* cli_op.c - the Op of each kind from checked values (cli_op.h). */
#include "cli_op.h"
#include "cli_parse.h"
#include "hb_assert.h"

#include <stdio.h>
#include <string.h>

int
hb_cli_op_category(const char *what, const char *text, char out[HB_CATEGORY_BYTES_MAX + 1], char *msg,
                   size_t msg_size)
{
    if (hb_cli_parse_text(what, text, HB_CATEGORY_BYTES_MAX, true, false, msg, msg_size) != 0)
        return -1;
    size_t i = 0;
    for (; text[i]; i++)
        out[i] = (char) (text[i] >= 'A' && text[i] <= 'Z' ? text[i] - 'A' + 'a' : text[i]);
    out[i] = '\0';
    return 0;
}

/* Copies text (NULL = "") into buf; a bug when it does not fit (the
 * parsers bound every value). */
static char *
copy(char *buf, size_t size, const char *text)
{
    int n = snprintf(buf, size, "%s", text ? text : "");
    hb_assert(n >= 0 && (size_t) n < size);
    return buf;
}

static void
begin(hb_cli_op_t *o, int64_t occurred_at)
{
    hb_assert(o);
    memset(o, 0, sizeof *o);
    hourbank__op__init(&o->op);
    o->op.occurred_at = occurred_at;
    o->op.operator_ = (char *) (uintptr_t) "";
}

void
hb_cli_op_service(hb_cli_op_t *o, const char *provider, const char *recipient, int64_t minutes,
                  const char *category, const char *note, int64_t occurred_at)
{
    begin(o, occurred_at);
    Hourbank__ServiceRecord *r = &o->kind.service;
    hourbank__service_record__init(r);
    r->provider = copy(o->member_a, sizeof o->member_a, provider);
    r->recipient = copy(o->member_b, sizeof o->member_b, recipient);
    r->minutes = minutes;
    r->category = copy(o->category, sizeof o->category, category);
    r->note = copy(o->text, sizeof o->text, note);
    o->op.kind_case = HOURBANK__OP__KIND_SERVICE;
    o->op.service = r;
}

void
hb_cli_op_gift(hb_cli_op_t *o, const char *from, const char *to, int64_t minutes, const char *reason,
               int64_t occurred_at)
{
    begin(o, occurred_at);
    Hourbank__Gift *g = &o->kind.gift;
    hourbank__gift__init(g);
    g->from_member = copy(o->member_a, sizeof o->member_a, from);
    g->to_member = copy(o->member_b, sizeof o->member_b, to);
    g->minutes = minutes;
    g->reason = copy(o->text, sizeof o->text, reason);
    o->op.kind_case = HOURBANK__OP__KIND_GIFT;
    o->op.gift = g;
}

void
hb_cli_op_donation(hb_cli_op_t *o, const char *member, int64_t minutes, const char *reason, int64_t occurred_at)
{
    begin(o, occurred_at);
    Hourbank__Donation *d = &o->kind.donation;
    hourbank__donation__init(d);
    d->member = copy(o->member_a, sizeof o->member_a, member);
    d->minutes = minutes;
    d->reason = copy(o->text, sizeof o->text, reason);
    o->op.kind_case = HOURBANK__OP__KIND_DONATION;
    o->op.donation = d;
}

void
hb_cli_op_void(hb_cli_op_t *o, uint32_t station_id, uint64_t seq, const char *reason, int64_t occurred_at)
{
    begin(o, occurred_at);
    hourbank__op_ref__init(&o->target);
    o->target.station_id = station_id;
    o->target.seq = seq;
    Hourbank__Void *v = &o->kind.void_op;
    hourbank__void__init(v);
    v->target = &o->target;
    v->reason = copy(o->text, sizeof o->text, reason);
    o->op.kind_case = HOURBANK__OP__KIND_VOID_OP;
    o->op.void_op = v;
}

void
hb_cli_op_register(hb_cli_op_t *o, const char *name, int role, uint32_t birth_year, const char *phone,
                   const char *family_of, const char *relation, int64_t occurred_at)
{
    begin(o, occurred_at);
    Hourbank__RegisterMember *r = &o->kind.reg;
    hourbank__register_member__init(r);
    r->member_no = o->member_b;  /* "": the station allocates it */
    r->name = copy(o->name, sizeof o->name, name);
    r->role = (Hourbank__Role) role;
    r->birth_year = birth_year;
    r->phone = copy(o->phone, sizeof o->phone, phone);
    r->family_of = copy(o->member_a, sizeof o->member_a, family_of);
    r->family_relation = copy(o->relation, sizeof o->relation, relation);
    o->op.kind_case = HOURBANK__OP__KIND_REGISTER_MEMBER;
    o->op.register_member = r;
}
