#include "book.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"

/* Strings of one group: allocated in chunks, freed together. */
#define ARENA_CHUNK_BYTES (64 * 1024)

typedef struct chunk {
    struct chunk *next;
    size_t used, size;
    char data[];
} chunk_t;

struct hb_arena {
    chunk_t *head;
};

static char *
arena_alloc(struct hb_arena *a, size_t n)
{
    if (!a->head || a->head->size - a->head->used < n) {
        size_t size = n > ARENA_CHUNK_BYTES ? n : ARENA_CHUNK_BYTES;
        chunk_t *c = malloc(sizeof *c + size);
        hb_assert(c);
        c->next = a->head;
        c->used = 0;
        c->size = size;
        a->head = c;
    }
    char *p = a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

const char *
hb_book_strdup(hb_book_t *self, const char *s)
{
    hb_assert(self);
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = arena_alloc(self->arena, n);
    memcpy(p, s, n);
    return p;
}

const char *
hb_book_printf(hb_book_t *self, const char *fmt, ...)
{
    hb_assert(self && fmt);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    hb_assert(n >= 0);
    char *p = arena_alloc(self->arena, (size_t) n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t) n + 1, fmt, ap);
    va_end(ap);
    return p;
}

#define ALLOC_ROWS(field, count) \
    do { \
        self->field = calloc((count) ? (count) : 1, sizeof *self->field); \
        hb_assert(self->field); \
    } while (0)

hb_book_t *
hb_book_new(const hb_book_sizes_t *sizes)
{
    hb_assert(sizes);
    hb_book_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->max = *sizes;
    self->arena = calloc(1, sizeof *self->arena);
    hb_assert(self->arena);
    /* a member under its first number, the number an op named it by, and a
     * move's new number */
    self->members = hb_map_new(2 * sizes->members + sizes->ops);
    self->accounts = hb_map_new(sizes->accounts);
    self->stations = hb_map_new(sizes->stations);
    self->ops = hb_map_new(sizes->keys + sizes->ops);
    self->days = hb_map_new(sizes->days);
    self->categories = hb_map_new(sizes->categories);
    self->district_rules = hb_map_new(sizes->rules);
    self->refusals = hb_map_new(sizes->refusals);
    self->local_days = hb_map_new(sizes->local_days);
    ALLOC_ROWS(member_rows, sizes->members);
    ALLOC_ROWS(account_rows, sizes->accounts);
    ALLOC_ROWS(station_rows, sizes->stations);
    ALLOC_ROWS(district_rule_rows, sizes->rules);
    ALLOC_ROWS(payer_rules, sizes->rules);
    ALLOC_ROWS(transfer_rows, sizes->transfers);
    ALLOC_ROWS(transfer_refs, sizes->transfers);
    ALLOC_ROWS(op_rows, sizes->keys + sizes->ops);
    ALLOC_ROWS(day_sums, sizes->days);
    ALLOC_ROWS(void_links, sizes->ops);
    ALLOC_ROWS(new_ops, sizes->ops);
    ALLOC_ROWS(life_rows, sizes->ops);
    ALLOC_ROWS(refusal_rows, sizes->refusals);
    ALLOC_ROWS(local_day_rows, sizes->local_days);
    return self;
}

void
hb_book_destroy(hb_book_t **self_p)
{
    hb_assert(self_p);
    hb_book_t *self = *self_p;
    if (!self)
        return;
    hb_map_t **maps[] = {&self->members, &self->accounts, &self->stations, &self->ops,
                         &self->days, &self->categories, &self->district_rules, &self->refusals,
                         &self->local_days};
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++)
        hb_map_destroy(maps[i]);
    void *rows[] = {self->member_rows, self->account_rows, self->station_rows, self->district_rule_rows,
                    self->payer_rules, self->transfer_rows, self->transfer_refs, self->op_rows,
                    self->day_sums, self->void_links, self->new_ops, self->refusal_rows,
                    self->local_day_rows, self->life_rows};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        free(rows[i]);
    for (chunk_t *c = self->arena->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(self->arena);
    free(self);
    *self_p = NULL;
}

hb_book_account_t *
hb_book_add_account(hb_book_t *self, int64_t id, hb_account_kind_t kind, const char *district,
                    int64_t debits, int64_t credits, int64_t version)
{
    hb_assert(self);
    hb_book_account_t *a = hb_book_account(self, id);
    if (a)
        return a;
    hb_assert(self->n_accounts < self->max.accounts);
    a = &self->account_rows[self->n_accounts++];
    a->id = id;
    a->kind = kind;
    a->district = hb_book_strdup(self, district);
    a->debits = debits;
    a->credits = credits;
    a->version = version;
    hb_map_put(self->accounts, &id, sizeof id, a);
    return a;
}

hb_book_member_t *
hb_book_add_member(hb_book_t *self, const char *member_no, const char *community, const char *district,
                   int64_t account_id, int32_t birth_year, const char *family)
{
    hb_assert(self && member_no && community && district);
    hb_book_member_t *m = hb_book_member(self, member_no);
    if (m)
        return m;
    hb_book_account_t *a = hb_book_account(self, account_id);
    if (!a)
        return NULL;  /* accounts are loaded (and locked) first; the caller checks */
    hb_assert(self->n_members < self->max.members);
    m = &self->member_rows[self->n_members++];
    m->member_no = hb_book_strdup(self, member_no);
    m->community = hb_book_strdup(self, community);
    m->district = hb_book_strdup(self, district);
    m->account = a;
    m->birth_year = birth_year;
    m->family = hb_book_strdup(self, family ? family : "");
    hb_map_put(self->members, m->member_no, strlen(m->member_no), m);
    return m;
}

void
hb_book_add_alias(hb_book_t *self, const char *number, hb_book_member_t *m)
{
    hb_assert(self && number && m);
    if (hb_book_member(self, number))
        return;
    const char *key = hb_book_strdup(self, number);
    hb_map_put(self->members, key, strlen(key), m);
}

void
hb_book_add_life(hb_book_t *self, const hb_book_op_t *rec, const void *op,
                 const hb_book_member_t *member, const char *community)
{
    hb_assert(self && rec && op && member && self->n_life < self->max.ops);
    self->life_rows[self->n_life++] = (hb_book_life_t){rec, op, member, community};
}

void
hb_book_add_station(hb_book_t *self, uint32_t id, const char *community, const char *district,
                    int64_t serial_min, int64_t serial_max)
{
    hb_assert(self && community && district);
    if (hb_book_station(self, id))
        return;
    hb_assert(self->n_stations < self->max.stations);
    hb_book_station_t *s = &self->station_rows[self->n_stations++];
    s->id = id;
    s->community = hb_book_strdup(self, community);
    s->district = hb_book_strdup(self, district);
    s->serial_min = serial_min;
    s->serial_max = serial_max;
    hb_map_put(self->stations, &id, sizeof id, s);
}

void
hb_book_add_district_rule(hb_book_t *self, const hb_book_district_rule_t *rule)
{
    hb_assert(self && rule && rule->district);
    hb_assert(self->n_district_rules < self->max.rules);
    hb_book_district_rule_t *r = &self->district_rule_rows[self->n_district_rules++];
    *r = *rule;
    r->district = hb_book_strdup(self, rule->district);
    r->time_zone = hb_book_strdup(self, rule->time_zone);
    hb_map_put(self->district_rules, r->district, strlen(r->district), r);
}

void
hb_book_add_payer_rule(hb_book_t *self, const hb_book_payer_rule_t *rule)
{
    hb_assert(self && rule && rule->district && rule->category);
    hb_assert(self->n_payer_rules < self->max.rules);
    hb_book_payer_rule_t *r = &self->payer_rules[self->n_payer_rules++];
    *r = *rule;
    r->district = hb_book_strdup(self, rule->district);
    r->category = hb_book_strdup(self, rule->category);
}

void
hb_book_add_category(hb_book_t *self, const char *name)
{
    hb_assert(self && name);
    const char *copy = hb_book_strdup(self, name);
    hb_map_put(self->categories, copy, strlen(copy), (void *) (uintptr_t) copy);
}

hb_book_op_t *
hb_book_add_op(hb_book_t *self, uint32_t station_id, uint64_t seq)
{
    hb_assert(self);
    hb_assert(self->n_op_rows < self->max.keys + self->max.ops);
    hb_book_op_t *op = &self->op_rows[self->n_op_rows++];
    op->station_id = station_id;
    op->seq = seq;
    op->params = "";
    op->message = "";
    op->payer_rule = -1;
    hb_map_key2_t k = {station_id, (int64_t) seq};
    hb_map_put(self->ops, &k, sizeof k, op);
    return op;
}

/* The next slot of op's transfer list: an op's transfers are added
 * together, so its list is one run of transfer_refs. */
static void
attach(hb_book_t *self, hb_book_op_t *op, hb_book_transfer_t *t)
{
    hb_assert(self->n_transfer_refs < self->max.transfers);
    if (op->n_transfers == 0)
        op->transfers = &self->transfer_refs[self->n_transfer_refs];
    hb_assert(op->transfers + op->n_transfers == &self->transfer_refs[self->n_transfer_refs]);
    self->transfer_refs[self->n_transfer_refs++] = t;
    op->n_transfers++;
}

static hb_book_transfer_t *
new_transfer_row(hb_book_t *self)
{
    hb_assert(self->n_transfers < self->max.transfers);
    return &self->transfer_rows[self->n_transfers++];
}

void
hb_book_add_loaded_transfer(hb_book_t *self, hb_book_op_t *op, const hb_book_transfer_t *t)
{
    hb_assert(self && op && t && t->debit && t->credit);
    hb_book_transfer_t *row = new_transfer_row(self);
    *row = *t;
    row->category = hb_book_strdup(self, t->category);
    row->note = hb_book_strdup(self, t->note);
    attach(self, op, row);
}

void
hb_book_set_day_sum(hb_book_t *self, int64_t account_id, int64_t day_start_s, int64_t minutes)
{
    hb_assert(self);
    hb_map_key2_t k = {account_id, day_start_s};
    hb_book_day_t *d = hb_map_get(self->days, &k, sizeof k);
    if (!d) {
        hb_assert(self->n_day_sums < self->max.days);
        d = &self->day_sums[self->n_day_sums++];
        d->account_id = account_id;
        d->day_start_s = day_start_s;
        hb_map_put(self->days, &k, sizeof k, d);
    }
    d->minutes = minutes;
}

/* The key of an (occurred_at, zone) pair: the seconds' bytes, then the zone. */
#define LOCAL_DAY_KEY_BYTES (sizeof(int64_t) + HB_TIME_ZONE_BYTES_MAX)

static size_t
local_day_key(char key[LOCAL_DAY_KEY_BYTES], const char *zone, int64_t occurred_s)
{
    size_t len = strlen(zone);
    hb_assert(len <= HB_TIME_ZONE_BYTES_MAX);  /* checked by the config loader */
    memcpy(key, &occurred_s, sizeof occurred_s);
    memcpy(key + sizeof occurred_s, zone, len);
    return sizeof occurred_s + len;
}

void
hb_book_add_local_day(hb_book_t *self, const hb_book_local_day_t *day)
{
    hb_assert(self && day && day->time_zone && day->day_text);
    hb_assert(self->n_local_days < self->max.local_days);
    hb_book_local_day_t *d = &self->local_day_rows[self->n_local_days++];
    *d = *day;
    d->time_zone = hb_book_strdup(self, day->time_zone);
    d->day_text = hb_book_strdup(self, day->day_text);
    char key[LOCAL_DAY_KEY_BYTES];
    hb_map_put(self->local_days, key, local_day_key(key, d->time_zone, d->occurred_s), d);
}

const hb_book_local_day_t *
hb_book_local_day(const hb_book_t *self, const char *zone, int64_t occurred_s)
{
    hb_assert(self && zone);
    char key[LOCAL_DAY_KEY_BYTES];
    const hb_book_local_day_t *d = hb_map_get(self->local_days, key, local_day_key(key, zone, occurred_s));
    hb_assert(d);  /* hb_group loads every valid op's day in every zone in force */
    return d;
}

size_t
hb_book_refusal_key(char key[HB_BOOK_REFUSAL_KEY_BYTES], uint32_t station_id, const char *member_no)
{
    size_t len = strlen(member_no);
    hb_assert(len <= HB_MEMBER_NO_BYTES_MAX);  /* checked by hb_wire, and by the table's CHECK */
    memcpy(key, &station_id, sizeof station_id);
    memcpy(key + sizeof station_id, member_no, len);
    return sizeof station_id + len;
}

void
hb_book_add_refusal(hb_book_t *self, uint32_t station_id, const char *member_no, uint64_t seq, hb_result_t result,
                    bool is_new)
{
    hb_assert(self && member_no && seq >= 1);
    hb_assert(result == HB_RESULT_DUPLICATE || result == HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD);
    char key[HB_BOOK_REFUSAL_KEY_BYTES];
    size_t len = hb_book_refusal_key(key, station_id, member_no);
    hb_book_refusal_t *lowest = hb_map_get(self->refusals, key, len);
    if (lowest && lowest->seq == seq)
        return;  /* resent, and the lowest (the only one loaded): the row is there; a resent higher one is
                  * added again, and the writer's ON CONFLICT DO NOTHING drops it */
    hb_assert(self->n_refusals < self->max.refusals);
    hb_book_refusal_t *r = &self->refusal_rows[self->n_refusals++];
    r->station_id = station_id;
    r->member_no = hb_book_strdup(self, member_no);
    r->seq = seq;
    r->result = result;
    r->is_new = is_new;
    if (!lowest || seq < lowest->seq)
        hb_map_put(self->refusals, key, len, r);
}

const hb_book_refusal_t *
hb_book_refusal(const hb_book_t *self, uint32_t station_id, const char *member_no)
{
    hb_assert(self && member_no);
    char key[HB_BOOK_REFUSAL_KEY_BYTES];
    return hb_map_get(self->refusals, key, hb_book_refusal_key(key, station_id, member_no));
}

hb_book_member_t *
hb_book_member(const hb_book_t *self, const char *member_no)
{
    hb_assert(self && member_no);
    return hb_map_get(self->members, member_no, strlen(member_no));
}

hb_book_account_t *
hb_book_account(const hb_book_t *self, int64_t id)
{
    hb_assert(self);
    return hb_map_get(self->accounts, &id, sizeof id);
}

const hb_book_station_t *
hb_book_station(const hb_book_t *self, uint32_t id)
{
    hb_assert(self);
    return hb_map_get(self->stations, &id, sizeof id);
}

hb_book_op_t *
hb_book_op(const hb_book_t *self, uint32_t station_id, uint64_t seq)
{
    hb_assert(self);
    hb_map_key2_t k = {station_id, (int64_t) seq};
    return hb_map_get(self->ops, &k, sizeof k);
}

const hb_book_district_rule_t *
hb_book_district_rule(const hb_book_t *self, const char *district)
{
    hb_assert(self);
    return district ? hb_map_get(self->district_rules, district, strlen(district)) : NULL;
}

bool
hb_book_has_category(const hb_book_t *self, const char *name)
{
    hb_assert(self && name);
    return hb_map_get(self->categories, name, strlen(name)) != NULL;
}

int64_t *
hb_book_day_sum(hb_book_t *self, int64_t account_id, int64_t day_start_s)
{
    hb_assert(self);
    hb_map_key2_t k = {account_id, day_start_s};
    hb_book_day_t *d = hb_map_get(self->days, &k, sizeof k);
    if (!d) {  /* not loaded: an account registered in this group */
        hb_assert(hb_book_account(self, account_id)->is_new);
        hb_book_set_day_sum(self, account_id, day_start_s, 0);
        d = hb_map_get(self->days, &k, sizeof k);
    }
    return &d->minutes;
}

bool
hb_book_has_day_sum(const hb_book_t *self, int64_t account_id, int64_t day_start_s)
{
    hb_assert(self);
    hb_map_key2_t k = {account_id, day_start_s};
    return hb_map_get(self->days, &k, sizeof k) != NULL;
}

int64_t
hb_book_balance(const hb_book_account_t *a)
{
    hb_assert(a);
    return (a->credits + a->add_credits) - (a->debits + a->add_debits);
}

hb_book_member_t *
hb_book_register(hb_book_t *self, const char *member_no, const hb_book_station_t *st, const char *name,
                 int role, int32_t birth_year, const char *family, const char *phone, uint32_t station_id,
                 uint64_t seq)
{
    hb_assert(self && member_no && st);
    hb_assert(!hb_book_member(self, member_no));
    hb_book_account_t *a = hb_book_add_account(self, self->next_account_id++, HB_ACCOUNT_MEMBER,
                                               st->district, 0, 0, 0);
    a->is_new = true;
    hb_book_member_t *m = hb_book_add_member(self, member_no, st->community, st->district, a->id,
                                             birth_year, family);
    m->is_new = true;
    m->name = hb_book_strdup(self, name);
    m->phone = hb_book_strdup(self, phone);
    m->role = role;
    m->station_id = station_id;
    m->seq = seq;
    return m;
}

hb_book_transfer_t *
hb_book_post(hb_book_t *self, hb_book_account_t *debit, hb_book_account_t *credit, int64_t minutes,
             hb_xfer_kind_t kind, const char *category, hb_book_op_t *op, int64_t day_start_s,
             int64_t reverses, const char *note)
{
    hb_assert(self && debit && credit && op && debit != credit && minutes > 0);
    hb_book_transfer_t *t = new_transfer_row(self);
    t->id = self->next_transfer_id++;
    t->debit = debit;
    t->credit = credit;
    t->minutes = minutes;
    t->kind = kind;
    t->category = category;
    t->station_id = op->station_id;
    t->seq = op->seq;
    t->occurred_s = op->occurred_s;
    t->day_start_s = day_start_s;
    t->reverses = reverses;
    t->note = note;
    t->is_new = true;
    debit->add_debits += minutes;
    credit->add_credits += minutes;
    attach(self, op, t);
    return t;
}

void
hb_book_add_void_link(hb_book_t *self, const hb_book_op_t *target, const hb_book_op_t *by)
{
    hb_assert(self && target && by);
    hb_assert(self->n_void_links < self->max.ops);
    hb_book_void_link_t *l = &self->void_links[self->n_void_links++];
    l->target_station = target->station_id;
    l->target_seq = target->seq;
    l->void_station = by->station_id;
    l->void_seq = by->seq;
}

void
hb_book_day_sum_sub(hb_book_t *self, int64_t account_id, int64_t day_start_s, int64_t minutes)
{
    hb_assert(self);
    hb_map_key2_t k = {account_id, day_start_s};
    hb_book_day_t *d = hb_map_get(self->days, &k, sizeof k);
    hb_assert(d);  /* hb_group loads the day of every service a group voids */
    d->minutes -= minutes;
}
