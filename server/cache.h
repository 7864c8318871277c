/* cache.h - what the writer remembers between group commits.
 *
 * Two kinds of facts, each valid for a stated reason, never on trust:
 * - Members, with the facts of their profile in force (birth year, family
 *   links; migration 0012). A profile changes by a new version, and a new
 *   version bumps the member's account.version (a trigger), so a member is
 *   kept with the version its account had then, and used only while the
 *   account, locked by the group, still has it; otherwise the group is
 *   made again from the database (hb_group_apply returns
 *   HB_GROUP_STALE). After its own commit the writer knows every version
 *   it made and keeps its members under them. Only found members are kept;
 *   an unknown number is asked for every time. The district comes from the
 *   community, which can move, so it is not kept.
 * - Minutes served per (account, day), for the daily limit. Sums are kept
 *   with the account's row version (account.version, bumped by every
 *   change of the account's debits or credits, hence by every transfer
 *   that could change a sum). They are used only while the account,
 *   locked by the group, still has that version; otherwise they are read
 *   again. After its own commit the writer knows exactly which sums its
 *   transfers changed (every day a service or a voided service of the
 *   group falls on is in the group's book), so it keeps the others under
 *   the account's new version.
 * A second central writing the same ledger therefore makes this one read
 * again, not decide on stale facts; the ledger empties the cache at every
 * new connection (failover, a restored backup). Sizes are bounded: a full cache is
 * emptied and fills again from the database. */
#ifndef HB_CACHE_H
#define HB_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hb_cache hb_cache_t;

typedef struct {
    const char *member_no;
    const char *community;
    int64_t account_id;
    int32_t birth_year;        /* 0: not given */
    const char *family;        /* relatives, "A,B"; "" = none */
    bool left;                 /* has left (a leave bumps the account's version) */
    int64_t account_version;   /* the account's version these facts are valid for */
} hb_cache_member_t;

/* Caller owns the result. */
hb_cache_t *hb_cache_new(void);
void hb_cache_destroy(hb_cache_t **self_p);
/* Forgets everything (e.g. after the database connection was lost). */
void hb_cache_clear(hb_cache_t *self);

/* Borrowed, valid until the next hb_cache_put_member or hb_cache_clear. */
const hb_cache_member_t *hb_cache_member(const hb_cache_t *self, const char *member_no);
/* Copies m, replacing what was kept for its number. */
void hb_cache_put_member(hb_cache_t *self, const hb_cache_member_t *m);

/* Central's hash key (table hash_key; hb_wire_op_hash), set by the ledger
 * at every new connection. All zero until then. */
void hb_cache_set_hash_key(hb_cache_t *self, const uint8_t *key, size_t len);
const uint8_t *hb_cache_hash_key(const hb_cache_t *self);

/* The sum kept for (account, day) if the account still has version (the
 * version of its row locked by the current group); false otherwise. */
bool hb_cache_day_sum(const hb_cache_t *self, int64_t account_id, int64_t version, int64_t day_start_s,
                      int64_t *minutes);
/* After a commit, for every account the group locked: its row had
 * locked_version when locked and has new_version now. Sums kept under
 * locked_version stay valid (the group's book holds every sum its
 * transfers changed, and the caller puts them next); sums kept under any
 * other version are dropped. */
void hb_cache_put_account(hb_cache_t *self, int64_t account_id, int64_t locked_version, int64_t new_version);
/* Keeps a sum of an account put with hb_cache_put_account. */
void hb_cache_put_day_sum(hb_cache_t *self, int64_t account_id, int64_t day_start_s, int64_t minutes);

#endif
