#include "keys.h"

#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"

struct hb_keys {
    hb_keys_entry_t *entries;  /* owned, sorted by key, then station (admin first) */
    size_t n;
};

static int
entry_cmp(const void *a, const void *b)
{
    const hb_keys_entry_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c != 0)
        return c;
    return x->station < y->station ? -1 : x->station > y->station;
}

static size_t
station_count(const hb_central_conf_t *conf)
{
    size_t n = 0;
    for (size_t d = 0; d < conf->district_count; d++)
        for (size_t c = 0; c < conf->districts[d].community_count; c++)
            n += conf->districts[d].communities[c].station_count;
    return n;
}

static void
add(hb_keys_t *self, const char *key, uint32_t station, bool retired)
{
    hb_keys_entry_t *e = &self->entries[self->n++];
    hb_assert(strlen(key) < sizeof e->key);  /* hb_config_check_z85_key */
    strcpy(e->key, key);
    e->station = station;
    e->retired = retired;
}

hb_keys_t *
hb_keys_new(const hb_central_conf_t *conf)
{
    hb_assert(conf);
    hb_keys_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    size_t total = conf->admin_key_count + station_count(conf);
    self->entries = calloc(total ? total : 1, sizeof *self->entries);
    hb_assert(self->entries);
    for (size_t i = 0; i < conf->admin_key_count; i++)
        add(self, conf->admin_public_keys[i], 0, false);
    for (size_t d = 0; d < conf->district_count; d++)
        for (size_t c = 0; c < conf->districts[d].community_count; c++) {
            const hb_community_conf_t *cc = &conf->districts[d].communities[c];
            for (size_t s = 0; s < cc->station_count; s++)
                add(self, cc->stations[s].public_key, cc->stations[s].id, cc->stations[s].retired);
        }
    hb_assert(self->n == total);
    qsort(self->entries, self->n, sizeof *self->entries, entry_cmp);
    return self;
}

void
hb_keys_destroy(hb_keys_t **self_p)
{
    hb_assert(self_p);
    hb_keys_t *self = *self_p;
    if (!self)
        return;
    free(self->entries);
    free(self);
    *self_p = NULL;
}

/* The first entry of key (lower bound): the admin one when there is one. */
const hb_keys_entry_t *
hb_keys_find(const hb_keys_t *self, const char *key)
{
    hb_assert(self && key);
    size_t lo = 0, hi = self->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(self->entries[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < self->n && strcmp(self->entries[lo].key, key) == 0 ? &self->entries[lo] : NULL;
}
