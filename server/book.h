/* book.h - the facts one group commit works on, held in memory.
 *
 * hb_group (group.c) loads into a book, in a few set-based queries, every
 * row the group's ops can read: the newest rules, the stations, the
 * members they name, their accounts (locked FOR UPDATE), the stored
 * results of their (station, seq) keys and of the ops they void, the
 * transfers those ops posted, and the minutes each provider has served on
 * each day concerned. hb_posting (posting.c) then applies the ops one by
 * one against the book, exactly as hb_apply_op() would against the
 * database, and the book collects what to write: new accounts and members,
 * op rows, transfers, void links and the change of every touched account.
 * hb_group writes those in a few more statements.
 *
 * Ids are given here, not by nextval: the book continues the account and
 * transfer sequences from their current values (central is the only
 * writer; a second writer would collide on the primary keys and its
 * transaction would fail, not corrupt anything), so ids come out exactly
 * as hb_apply_op() would have given them.
 *
 * All strings in a book live in its arena and are valid until
 * hb_book_destroy. */
#ifndef HB_BOOK_H
#define HB_BOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_limits.h"
#include "hb_map.h"
#include "hb_result.h"

#define HB_HASH_BYTES 32

typedef enum { HB_ACCOUNT_MEMBER, HB_ACCOUNT_GUARANTEE, HB_ACCOUNT_DONATION, HB_ACCOUNT_OPENING } hb_account_kind_t;
typedef enum {
    HB_OPK_REGISTER, HB_OPK_SERVICE, HB_OPK_GIFT, HB_OPK_VOID, HB_OPK_DONATION,
    HB_OPK_AMEND, HB_OPK_MOVE, HB_OPK_LEAVE, HB_OPK_OPENING, HB_OPK_INVALID
} hb_opk_t;
typedef enum {
    HB_XFER_SERVICE, HB_XFER_OVERFLOW, HB_XFER_GIFT, HB_XFER_VOID, HB_XFER_DONATION, HB_XFER_LEAVE, HB_XFER_OPENING
} hb_xfer_kind_t;

typedef struct {
    int64_t id;
    hb_account_kind_t kind;
    const char *district;      /* NULL for system accounts */
    int64_t debits, credits;   /* as locked at the start of the group */
    int64_t version;           /* its row version when locked (0 for new accounts) */
    int64_t version_after;     /* ... after the group's commit (0: unchanged) */
    int64_t add_debits, add_credits;
    bool is_new;               /* registered in this group */
} hb_book_account_t;

typedef struct {
    const char *member_no;
    const char *community;
    const char *district;
    hb_book_account_t *account;
    int32_t birth_year;        /* 0: not given (profile in force) */
    const char *family;        /* the relatives of its family links, "A,B" in
                                  order; "" = none (profile in force) */
    bool left;                 /* has left the scheme (member.left_at) */
    bool changed;              /* moved, amended or left in this group: not
                                  kept in the writer's cache (cache.h) */
    bool has_opening;          /* an accepted opening balance: loaded (only for
                                  the members of opening ops) or posted here */
    uint32_t opening_station;  /* ... its op */
    uint64_t opening_seq;
    /* registered in this group: the rest of the member row and profile */
    bool is_new;
    const char *name;
    const char *phone;         /* NULL: not given */
    const char *relation;      /* of the family link ("" = not said) */
    int role;
    uint32_t station_id;
    uint64_t seq;
} hb_book_member_t;

typedef struct {
    uint32_t id;
    const char *community;
    const char *district;
    int64_t serial_min, serial_max;
} hb_book_station_t;

typedef struct {
    const char *district;
    const char *time_zone;     /* IANA zone of the district's local days */
    int64_t floor, cap, daily_limit;
    bool overflow_donate;
    enum { HB_GIFTS_NONE, HB_GIFTS_FAMILY, HB_GIFTS_ANY } gifts;
    bool leaver_family;        /* a leaver's hours may go to named family (else the pool) */
} hb_book_district_rule_t;

typedef struct {
    const char *district;
    const char *category;      /* "*" = any */
    bool guarantee;            /* payer: guarantee, else recipient */
    int32_t min_age;
    int32_t position;          /* payer_rule.position */
} hb_book_payer_rule_t;

typedef struct {
    int64_t id;
    hb_book_account_t *debit, *credit;
    int64_t minutes;
    hb_xfer_kind_t kind;
    const char *category;      /* NULL for gifts */
    uint32_t station_id;
    uint64_t seq;
    int64_t occurred_s;
    int64_t day_start_s;       /* service: its provider's local day, [start, end) */
    int64_t day_end_s;         /* (loaded transfers; 0 when the provider's district has no rules) */
    int64_t reverses;          /* 0: none */
    const char *note;
    bool is_new;
    /* loaded transfers: the member numbers of the accounts (NULL: a system account) */
    const char *debit_member, *credit_member;
} hb_book_transfer_t;

/* A (station, seq) with a stored result: loaded, or decided in this group. */
typedef struct {
    uint32_t station_id;
    uint64_t seq;
    uint8_t hash[HB_HASH_BYTES];
    hb_opk_t kind;
    hb_result_t result;
    const char *params;        /* the result's values ("name=value" lines) */
    const char *message;       /* loaded: the prose of a result stored before values; else "" */
    uint64_t transfer_id;      /* 0: none */
    bool voided;
    hb_book_transfer_t **transfers;  /* in id order (loaded ops: filled for void targets) */
    size_t n_transfers;
    int64_t occurred_s;
    /* new ops: the record (server/RECORD.md); NULL = not known or not said */
    const char *operator_name;
    const char *member, *counterpart;
    int64_t minutes;           /* 0: none */
    const char *category, *note;
    uint32_t target_station;   /* 0: not a void */
    uint64_t target_seq;
    const char *payer;         /* member number or "guarantee" */
    int32_t payer_rule;        /* -1: none */
    const char *member_district, *counterpart_district, *payer_district;
    const char *service_day, *posted_day;
} hb_book_op_t;

/* An amend, move or leave posted in this group: what hb_life_apply()
 * (migration 0014) writes to the people tables, in posting order. */
typedef struct {
    const hb_book_op_t *rec;
    const void *op;            /* the Op (Hourbank__Op), borrowed from the group's batches */
    const hb_book_member_t *member;
    const char *community;     /* move: the new home community */
} hb_book_life_t;

/* Minutes of service credited to an account on a day (hb_served_on_day). */
typedef struct {
    int64_t account_id;
    int64_t day_start_s;
    int64_t minutes;
} hb_book_day_t;

/* The local day of an occurred_at in a zone of the rules in force, as
 * the database computes it: loaded for every valid op of the group and
 * every zone of the rules version in force. */
typedef struct {
    int64_t occurred_s;
    const char *time_zone;
    const char *day_text;      /* the local date, as the database prints it */
    int64_t day_start_s;       /* local 00:00 */
    int64_t day_end_s;         /* the next local 00:00 */
    int32_t year;              /* the local year */
} hb_book_local_day_t;

typedef struct {
    uint32_t target_station, void_station;
    uint64_t target_seq, void_seq;
} hb_book_void_link_t;

/* A registration from a station that central refused (DUPLICATE or
 * EXISTS_WITH_DIFFERENT_PAYLOAD): the station's later ops may not name the
 * number (REGISTRATION_REFUSED). Loaded (the lowest seq of each number the
 * group's ops name), or refused in this group (is_new: to be written). */
typedef struct {
    uint32_t station_id;
    const char *member_no;
    uint64_t seq;
    hb_result_t result;
    bool is_new;
} hb_book_refusal_t;

/* Sizes fixed when the book is made: every array and map is bounded. */
typedef struct {
    size_t ops;        /* ops in the group */
    size_t members;    /* member rows loaded plus registrations */
    size_t accounts;   /* account rows loaded plus registrations */
    size_t stations;
    size_t transfers;  /* loaded transfers plus at most two per op */
    size_t keys;       /* stored (station, seq) rows loaded */
    size_t days;       /* (account, day) sums loaded plus one per op */
    size_t rules;      /* district plus payer rules */
    size_t categories;
    size_t refusals;   /* refused registrations loaded plus one per op */
    size_t local_days; /* (occurred_at, zone) pairs loaded */
} hb_book_sizes_t;

typedef struct hb_book {
    hb_book_sizes_t max;
    /* the rules version in force and the transaction's time */
    int32_t version;
    int64_t clock_skew_s, max_age_s, guarantee_budget;
    int64_t now_us;
    int64_t next_account_id, next_transfer_id;
    int64_t first_account_id, first_transfer_id;

    hb_map_t *members, *accounts, *stations, *ops, *days, *categories, *district_rules;
    hb_book_payer_rule_t *payer_rules;
    size_t n_payer_rules;

    /* storage of the rows (arrays of max size) */
    hb_book_member_t *member_rows;
    size_t n_members;
    hb_book_account_t *account_rows;
    size_t n_accounts;
    hb_book_station_t *station_rows;
    size_t n_stations;
    hb_book_district_rule_t *district_rule_rows;
    size_t n_district_rules;
    hb_book_transfer_t *transfer_rows;
    size_t n_transfers;
    hb_book_transfer_t **transfer_refs;  /* for hb_book_op_t.transfers */
    size_t n_transfer_refs;
    hb_book_op_t *op_rows;
    size_t n_op_rows;
    hb_book_day_t *day_sums;
    size_t n_day_sums;
    hb_book_void_link_t *void_links;
    size_t n_void_links;
    hb_book_life_t *life_rows;  /* of max.ops */
    size_t n_life;
    hb_book_refusal_t *refusal_rows;
    size_t n_refusals;
    hb_map_t *refusals;  /* (station, member_no) -> its lowest-seq row */
    hb_book_local_day_t *local_day_rows;
    size_t n_local_days;
    hb_map_t *local_days;  /* (occurred_s, zone) -> its row */

    /* what this group writes, in order */
    hb_book_op_t **new_ops;
    size_t n_new_ops;

    struct hb_arena *arena;
} hb_book_t;

/* An empty book with room for sizes. Caller owns the result. */
hb_book_t *hb_book_new(const hb_book_sizes_t *sizes);
void hb_book_destroy(hb_book_t **self_p);

/* A copy of s (NULL stays NULL) in the book's arena. */
const char *hb_book_strdup(hb_book_t *self, const char *s);
/* printf into the book's arena. */
const char *hb_book_printf(hb_book_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Adders for loaded rows; each returns the row, owned by the book. A key
 * added twice keeps its first row (e.g. an account locked for two reasons).
 * A member whose account is not in the book is not added (NULL). */
hb_book_account_t *hb_book_add_account(hb_book_t *self, int64_t id, hb_account_kind_t kind,
                                       const char *district, int64_t debits, int64_t credits, int64_t version);
hb_book_member_t *hb_book_add_member(hb_book_t *self, const char *member_no, const char *community,
                                     const char *district, int64_t account_id, int32_t birth_year,
                                     const char *family);
/* Makes number (a later number of m, or m's own) find m too. The members
 * map has room for two keys per member row and one per op (moves). */
void hb_book_add_alias(hb_book_t *self, const char *number, hb_book_member_t *m);
/* Records an amend, move or leave for hb_life_apply(). */
void hb_book_add_life(hb_book_t *self, const hb_book_op_t *rec, const void *op,
                      const hb_book_member_t *member, const char *community);
void hb_book_add_station(hb_book_t *self, uint32_t id, const char *community, const char *district,
                         int64_t serial_min, int64_t serial_max);
void hb_book_add_district_rule(hb_book_t *self, const hb_book_district_rule_t *rule);
void hb_book_add_payer_rule(hb_book_t *self, const hb_book_payer_rule_t *rule);
void hb_book_add_category(hb_book_t *self, const char *name);
hb_book_op_t *hb_book_add_op(hb_book_t *self, uint32_t station_id, uint64_t seq);
/* A transfer posted by a loaded op, attached to that op (in id order). */
void hb_book_add_loaded_transfer(hb_book_t *self, hb_book_op_t *op, const hb_book_transfer_t *t);
void hb_book_set_day_sum(hb_book_t *self, int64_t account_id, int64_t day_start_s, int64_t minutes);
void hb_book_add_local_day(hb_book_t *self, const hb_book_local_day_t *day);
/* A refused registration, loaded (is_new false) or decided in this group
 * (is_new true; not added again when the same row is in the book). */
void hb_book_add_refusal(hb_book_t *self, uint32_t station_id, const char *member_no, uint64_t seq,
                         hb_result_t result, bool is_new);

/* Lookups: NULL when absent. */
hb_book_member_t *hb_book_member(const hb_book_t *self, const char *member_no);
hb_book_account_t *hb_book_account(const hb_book_t *self, int64_t id);
const hb_book_station_t *hb_book_station(const hb_book_t *self, uint32_t id);
hb_book_op_t *hb_book_op(const hb_book_t *self, uint32_t station_id, uint64_t seq);
const hb_book_district_rule_t *hb_book_district_rule(const hb_book_t *self, const char *district);
bool hb_book_has_category(const hb_book_t *self, const char *name);
/* The local day of occurred_s in zone: asserted present (zone is a rule's
 * of the version in force, occurred_s a valid op's of the group). */
const hb_book_local_day_t *hb_book_local_day(const hb_book_t *self, const char *zone, int64_t occurred_s);
/* The key of a (station, member number) pair in maps: the station id's
 * bytes, then the number (at most HB_MEMBER_NO_BYTES_MAX, asserted).
 * Returns its length. */
#define HB_BOOK_REFUSAL_KEY_BYTES (sizeof(uint32_t) + HB_MEMBER_NO_BYTES_MAX)
size_t hb_book_refusal_key(char key[HB_BOOK_REFUSAL_KEY_BYTES], uint32_t station_id, const char *member_no);
/* The station's refused registration of member_no with the lowest seq. */
const hb_book_refusal_t *hb_book_refusal(const hb_book_t *self, uint32_t station_id, const char *member_no);
/* Minutes served by the account on that day (loaded sum plus this group's). */
int64_t *hb_book_day_sum(hb_book_t *self, int64_t account_id, int64_t day_start_s);
/* True if the sum for (account, day) is in the book. */
bool hb_book_has_day_sum(const hb_book_t *self, int64_t account_id, int64_t day_start_s);

/* Takes minutes off a day sum (a voided service); hb_group loads the day
 * of every service transfer the group can void. */
void hb_book_day_sum_sub(hb_book_t *self, int64_t account_id, int64_t day_start_s, int64_t minutes);

/* Balance now: as locked plus this group's transfers. */
int64_t hb_book_balance(const hb_book_account_t *a);

/* Writers used by the posting rules. */
hb_book_member_t *hb_book_register(hb_book_t *self, const char *member_no, const hb_book_station_t *st,
                                   const char *name, int role, int32_t birth_year, const char *family,
                                   const char *phone, uint32_t station_id, uint64_t seq);
hb_book_transfer_t *hb_book_post(hb_book_t *self, hb_book_account_t *debit, hb_book_account_t *credit,
                                 int64_t minutes, hb_xfer_kind_t kind, const char *category,
                                 hb_book_op_t *op, int64_t day_start_s, int64_t reverses, const char *note);
void hb_book_add_void_link(hb_book_t *self, const hb_book_op_t *target, const hb_book_op_t *by);

#endif
