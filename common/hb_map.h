/* hb_map.h - a fixed-capacity hash map from byte-string keys to pointers.
 *
 * Open addressing with linear probing, FNV-1a hashing. The capacity is
 * chosen at creation from the most entries the caller will ever put, and
 * exceeding it is a bug (asserted): the map never grows, so its memory is
 * known up front. Keys are copied; values are borrowed (the map never
 * frees them). There is no removal: a map lives as long as one unit of
 * work (e.g. one group commit) and is destroyed whole. */
#ifndef HB_MAP_H
#define HB_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct hb_map hb_map_t;

/* Room for max_entries keys. Caller owns the result. */
hb_map_t *hb_map_new(size_t max_entries);
void hb_map_destroy(hb_map_t **self_p);

/* The value stored under key, or NULL. */
void *hb_map_get(const hb_map_t *self, const void *key, size_t key_len);
/* Stores value (not NULL) under key, replacing any value there. */
void hb_map_put(hb_map_t *self, const void *key, size_t key_len, void *value);
size_t hb_map_count(const hb_map_t *self);
/* Calls fn(value, arg) for every entry, in no particular order. */
void hb_map_each(const hb_map_t *self, void (*fn)(void *value, void *arg), void *arg);

/* Keys made of integers, for maps keyed by ids. */
typedef struct {
    int64_t a, b;
} hb_map_key2_t;

#endif
