#include "cache.h"

#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_limits.h"
#include "hb_map.h"
#include "hb_wire.h"

typedef struct {
    hb_cache_member_t m;
    char strings[];            /* member_no, community, family */
} member_entry_t;

/* A day sum is valid while its account entry has the generation it was
 * kept under and the version the group locked. */
typedef struct {
    int64_t version;
    uint64_t generation;
} account_entry_t;

typedef struct {
    int64_t minutes;
    uint64_t generation;
} day_entry_t;

struct hb_cache {
    hb_map_t *members;         /* member_no -> member_entry_t */
    hb_map_t *accounts;        /* account id -> account_entry_t */
    hb_map_t *days;            /* (account id, day start) -> day_entry_t */
    uint64_t generations;      /* generations handed out */
    uint8_t hash_key[HB_WIRE_HASH_KEY_BYTES];
};

static void
free_value(void *value, void *arg)
{
    (void) arg;
    free(value);
}

static void
reset(hb_map_t **map, size_t max)
{
    if (*map) {
        hb_map_each(*map, free_value, NULL);
        hb_map_destroy(map);
    }
    *map = hb_map_new(max);
}

hb_cache_t *
hb_cache_new(void)
{
    hb_cache_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    hb_cache_clear(self);
    return self;
}

void
hb_cache_destroy(hb_cache_t **self_p)
{
    hb_assert(self_p);
    hb_cache_t *self = *self_p;
    if (!self)
        return;
    hb_map_t **maps[] = {&self->members, &self->accounts, &self->days};
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++) {
        hb_map_each(*maps[i], free_value, NULL);
        hb_map_destroy(maps[i]);
    }
    free(self);
    *self_p = NULL;
}

void
hb_cache_clear(hb_cache_t *self)
{
    hb_assert(self);
    reset(&self->members, HB_CACHE_MEMBERS_MAX);
    reset(&self->accounts, HB_CACHE_DAY_SUMS_MAX);
    reset(&self->days, HB_CACHE_DAY_SUMS_MAX);
}

const hb_cache_member_t *
hb_cache_member(const hb_cache_t *self, const char *member_no)
{
    hb_assert(self && member_no);
    const member_entry_t *e = hb_map_get(self->members, member_no, strlen(member_no));
    return e ? &e->m : NULL;
}

void
hb_cache_put_member(hb_cache_t *self, const hb_cache_member_t *m)
{
    hb_assert(self && m && m->member_no && m->community);
    size_t no = strlen(m->member_no) + 1, comm = strlen(m->community) + 1;
    const char *family = m->family ? m->family : "";
    size_t fam = strlen(family) + 1;
    member_entry_t *e = hb_map_get(self->members, m->member_no, no - 1);
    if (e && strcmp(e->m.community, m->community) == 0 && strcmp(e->m.family, family) == 0) {
        e->m.account_id = m->account_id;  /* the usual case: only the version moved */
        e->m.birth_year = m->birth_year;
        e->m.left = m->left;
        e->m.account_version = m->account_version;
        return;
    }
    member_entry_t *old = e;
    if (!old && hb_map_count(self->members) == HB_CACHE_MEMBERS_MAX)
        reset(&self->members, HB_CACHE_MEMBERS_MAX);
    e = malloc(sizeof *e + no + comm + fam);
    hb_assert(e);
    e->m = *m;
    e->m.member_no = memcpy(e->strings, m->member_no, no);
    e->m.community = memcpy(e->strings + no, m->community, comm);
    e->m.family = memcpy(e->strings + no + comm, family, fam);
    hb_map_put(self->members, e->m.member_no, no - 1, e);
    free(old);  /* replaced */
}

bool
hb_cache_day_sum(const hb_cache_t *self, int64_t account_id, int64_t version, int64_t day_start_s,
                 int64_t *minutes)
{
    hb_assert(self && minutes);
    const account_entry_t *a = hb_map_get(self->accounts, &account_id, sizeof account_id);
    if (!a || a->version != version)
        return false;
    hb_map_key2_t k = {account_id, day_start_s};
    const day_entry_t *d = hb_map_get(self->days, &k, sizeof k);
    if (!d || d->generation != a->generation)
        return false;
    *minutes = d->minutes;
    return true;
}

/* Sums and versions are emptied together. */
static void
make_room(hb_cache_t *self)
{
    if (hb_map_count(self->days) < HB_CACHE_DAY_SUMS_MAX && hb_map_count(self->accounts) < HB_CACHE_DAY_SUMS_MAX)
        return;
    reset(&self->accounts, HB_CACHE_DAY_SUMS_MAX);
    reset(&self->days, HB_CACHE_DAY_SUMS_MAX);
}

void
hb_cache_put_account(hb_cache_t *self, int64_t account_id, int64_t locked_version, int64_t new_version)
{
    hb_assert(self);
    make_room(self);
    account_entry_t *a = hb_map_get(self->accounts, &account_id, sizeof account_id);
    if (!a) {
        a = malloc(sizeof *a);
        hb_assert(a);
        a->version = locked_version - 1;  /* no match below: a new generation */
        hb_map_put(self->accounts, &account_id, sizeof account_id, a);
    }
    if (a->version != locked_version)  /* its kept sums were not checked: drop them */
        a->generation = ++self->generations;
    a->version = new_version;
}

void
hb_cache_put_day_sum(hb_cache_t *self, int64_t account_id, int64_t day_start_s, int64_t minutes)
{
    hb_assert(self);
    make_room(self);
    const account_entry_t *a = hb_map_get(self->accounts, &account_id, sizeof account_id);
    if (!a)
        return;  /* emptied meanwhile: nothing to keep it under */
    hb_map_key2_t k = {account_id, day_start_s};
    day_entry_t *d = hb_map_get(self->days, &k, sizeof k);
    if (!d) {
        d = malloc(sizeof *d);
        hb_assert(d);
        hb_map_put(self->days, &k, sizeof k, d);
    }
    d->minutes = minutes;
    d->generation = a->generation;
}

void
hb_cache_set_hash_key(hb_cache_t *self, const uint8_t *key, size_t len)
{
    hb_assert(self && key && len == sizeof self->hash_key);
    memcpy(self->hash_key, key, len);
}

const uint8_t *
hb_cache_hash_key(const hb_cache_t *self)
{
    hb_assert(self);
    return self->hash_key;
}
