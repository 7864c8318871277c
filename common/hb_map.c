#include "hb_map.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"

#define FNV_OFFSET 14695981039346656037ULL
#define FNV_PRIME 1099511628211ULL
/* Slots per entry at most: probes stay short below half full. */
#define LOAD_FACTOR_INVERSE 2

typedef struct {
    void *key;        /* NULL: empty slot */
    size_t key_len;
    void *value;
} slot_t;

struct hb_map {
    slot_t *slots;
    size_t mask;      /* slot count - 1, a power of two */
    size_t count;
    size_t max;
};

hb_map_t *
hb_map_new(size_t max_entries)
{
    hb_map_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    size_t n = 16;
    while (n < max_entries * LOAD_FACTOR_INVERSE)
        n *= 2;
    self->slots = calloc(n, sizeof *self->slots);
    hb_assert(self->slots);
    self->mask = n - 1;
    self->max = max_entries;
    return self;
}

void
hb_map_destroy(hb_map_t **self_p)
{
    hb_assert(self_p);
    hb_map_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i <= self->mask; i++)
        free(self->slots[i].key);
    free(self->slots);
    free(self);
    *self_p = NULL;
}

static uint64_t
hash(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * FNV_PRIME;
    return h;
}

/* The slot holding key, or the empty slot where it would go. */
static slot_t *
find(const hb_map_t *self, const void *key, size_t len)
{
    size_t i = (size_t) hash(key, len) & self->mask;
    for (;;) {
        slot_t *s = &self->slots[i];
        if (!s->key || (s->key_len == len && memcmp(s->key, key, len) == 0))
            return s;
        i = (i + 1) & self->mask;  /* never full: at most half the slots are used */
    }
}

void *
hb_map_get(const hb_map_t *self, const void *key, size_t key_len)
{
    hb_assert(self && key);
    slot_t *s = find(self, key, key_len);
    return s->key ? s->value : NULL;
}

void
hb_map_put(hb_map_t *self, const void *key, size_t key_len, void *value)
{
    hb_assert(self && key && value);
    slot_t *s = find(self, key, key_len);
    if (!s->key) {
        hb_assert(self->count < self->max);
        s->key = malloc(key_len ? key_len : 1);
        hb_assert(s->key);
        memcpy(s->key, key, key_len);
        s->key_len = key_len;
        self->count++;
    }
    s->value = value;
}

size_t
hb_map_count(const hb_map_t *self)
{
    hb_assert(self);
    return self->count;
}

void
hb_map_each(const hb_map_t *self, void (*fn)(void *value, void *arg), void *arg)
{
    hb_assert(self && fn);
    for (size_t i = 0; i <= self->mask; i++)
        if (self->slots[i].key)
            fn(self->slots[i].value, arg);
}
