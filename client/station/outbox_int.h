/* outbox_int.h - private to outbox.c (queue, sequence, acks),
 * outbox_open.c (schema, open, close), outbox_save.c (saves), outbox_query.c (listing and finding ops), outbox_dir.c (directory
 * cache, member lookup, categories), outbox_file.c (the file's checks and
 * copies), outbox_resync.c (central's marks, resends), outbox_import.c
 * (an import's one transaction) and outbox_reconcile.c (reconciliation's
 * figures and resend marks). Not an API:
 * include it from those files only.
 *
 * Each file keeps its SQL next to its code, in a table indexed by
 * ob_stmt_t (one table per id); hb_outbox_open() prepares every statement
 * once and caches it in the object. */
#ifndef HB_OUTBOX_INT_H
#define HB_OUTBOX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "hb_limits.h"
#include "outbox.h"

/* The value of HB_RESULT_OK as it appears in SQL text (partial indexes need
 * literals to match their queries); checked against hb_result.h. */
#define OB_SQL_OK "1"
_Static_assert(HB_RESULT_OK == 1, "OB_SQL_OK must spell HB_RESULT_OK");
/* What one stored op counts against outbox_max_bytes: its payload, its
 * summary and its request id, in bytes (hb_outbox__op_bytes in C). */
#define OB_SQL_OP_BYTES "(length(payload) + length(CAST(summary AS BLOB))" \
                        " + coalesce(length(CAST(request_id AS BLOB)), 0))"

/* What a refusal of a damaged or incomplete outbox file tells the operator. */
#define OB_RESTORE_HINT "restore it from a backup with `hourbank-station restore FILE`"
#define OB_NEW_STATION_HINT "; to start a new station remove it"

typedef enum {
    /* outbox.c */
    OB_BEGIN,
    OB_BEGIN_IMMEDIATE,
    OB_COMMIT,
    OB_ROLLBACK,
    OB_META_GET,
    OB_META_INSERT,
    OB_PENDING_BYTES,
    OB_SEQ_FLOOR,
    OB_SERIAL_SET,
    OB_MEMBER_NO_USED,
    OB_OP_INSERT,
    OB_BATCH,
    OB_RESULT_GET,
    OB_RESULT_SET,
    OB_LAST_SYNC_SET,
    OB_FIRST_PENDING,
    OB_COUNT_PENDING,
    OB_COUNT_REJECTED,
    OB_LIST_PENDING,   /* SQL in outbox_query.c */
    OB_LIST_REJECTED,  /* SQL in outbox_query.c */
    OB_DISMISS,
    OB_COMPACT_MARK,
    OB_COMPACT,
    OB_REQUEST_GET,
    OB_COUNT_CHANGED,
    /* outbox_query.c */
    OB_LIST_CHANGED,
    OB_OP_GET,
    OB_FIND_NOTE,
    /* outbox_dir.c */
    OB_DIR_UPSERT,
    OB_DIR_VERSION_SET,
    OB_DIR_SETTLE,
    OB_DIR_GET,
    OB_DIR_FIND,
    OB_REG_GET,
    OB_REG_FIND,
    OB_MEMBER_KNOWN,
    OB_PENDING_MINUTES,
    OB_CAT_CLEAR,
    OB_CAT_INSERT,
    OB_CAT_GET,
    OB_TIME_ZONE_SET,
    /* outbox_resync.c */
    OB_BATCH_RESEND,
    OB_RESULT_CHANGE,
    OB_HELD_COUNT,
    OB_MARKS_CONFIRM,
    OB_DIR_REWIND,
    /* outbox_operator.c */
    OB_OPERATOR_INSERT,
    OB_OPERATOR_DISABLE,
    OB_OPERATOR_GET,
    OB_OPERATOR_LIST,
    OB_OPERATOR_ONE,
    /* outbox_sign_in.c (SQL in outbox_operator.c) */
    OB_SIGN_IN_GET,
    OB_SIGN_IN_SET,
    OB_OPERATOR_LANGUAGE,
    /* outbox_rules.c */
    OB_RULES_SET,
    OB_RULES_GET,
    /* outbox_foresee.c (SQL in outbox_rules.c) */
    OB_FS_UNSETTLED,
    OB_FS_OP,
    OB_FS_VOIDS_OF,
    OB_FS_SERVICES,
    OB_FS_GUARANTEE,
    OB_FS_REG_REFUSED,
    OB_FS_DIR_MEMBER,
    /* outbox_members.c (issue 15: numbers, family, leavers, duplicates) */
    OB_MB_RESOLVE,
    OB_MB_MOVE_UNDO,
    OB_MB_ANY_NUMBER,
    OB_MB_NUMBER_SET,
    OB_MB_NUMBERS_GET,
    OB_MB_LEFT,
    OB_MB_DUP_DIR,
    OB_MB_DUP_REG,
    /* outbox_erase.c */
    OB_ER_MEMBERS,
    OB_ER_OPS,
    OB_ER_OP_GET,
    OB_ER_OP_SET,
    OB_ER_DUE,
    /* outbox_reconcile.c */
    OB_RC_FIRST,
    OB_RC_FIGURES,
    OB_RC_MARK,
    OB_RC_ANSWERED,
    OB_RC_MARKED_COUNT,
    OB_RC_STATE,
    OB_RC_BATCH,
    OB_RC_META_GET,
    OB_RC_RECONCILED_SET,
    OB_RC_ADOPT_HASH,
    OB_STMT_COUNT
} ob_stmt_t;

struct hb_outbox {
    sqlite3 *db;
    char *path;
    uint32_t station_id;
    char community[HB_COMMUNITY_CODE_BYTES_MAX + 1];
    int64_t max_bytes;
    uint32_t serial_min, serial_max;  /* this station's member serials */
    /* Bytes of the work central has not acknowledged (ops with no result):
     * OB_SQL_OP_BYTES summed. What outbox_max_bytes bounds. Loaded at open
     * and after a failed save group; kept by saves and acks otherwise
     * (only they move an op into or out of pending). */
    int64_t pending_bytes;
    bool creating;                    /* building a new outbox at a temp path (outbox_create in
                                       * outbox.c): only then does an empty file get the schema
                                       * and a meta row */
    bool restored;                    /* meta.restored, read at open */
    /* caches of what the file says, refreshed after every commit */
    uint64_t last_seq;
    uint64_t last_acked;
    /* Not 0 while central, which lost acknowledged work, is being sent
     * again every op held in (its mark, resend_through]: set by
     * hb_outbox_resend(), cleared once acks cover resend_through. In
     * memory only: every hello finds out afresh. */
    uint64_t resend_through;
    /* the names of table categories, in memory so that a save checks its
     * category without a query: loaded at open, replaced after every
     * committed hb_outbox_categories_set() */
    char category[HB_CATEGORIES_MAX][HB_CATEGORY_BYTES_MAX + 1];
    size_t n_categories;
    /* meta.time_zone, in memory so that the CLI's every question about it
     * is answered without a query: loaded at open, replaced after every
     * committed hb_outbox_set_time_zone() */
    char time_zone[HB_TIME_ZONE_BYTES_MAX + 1];
    /* the station's copy of the rules (table rules), unpacked: loaded at
     * open, replaced after every committed hb_outbox_rules_set(); NULL =
     * none yet. clock_offset: central's clock minus the station's, as last
     * seen (a Welcome's server_time, else the copy's as_of when it came). */
    Hourbank__RulesReply *rules;
    int64_t rules_received_at;  /* the station's clock when the copy came */
    int64_t clock_offset;
    /* a directory page brought a member who left: the next complete
     * directory update ends with an erasure pass, VACUUM and a truncating
     * checkpoint (outbox_erase.c). In memory only. */
    bool erase_due;
    /* member_numbers holds a row (loaded at open, set when one is stored):
     * until then every number is its own and nothing is looked up */
    bool numbers_held;
    sqlite3_stmt *stmt[OB_STMT_COUNT];
};

/* OB_SQL_OP_BYTES of an op about to be stored. */
static inline int64_t
hb_outbox__op_bytes(size_t payload_len, const char *summary, const char *request_id)
{
    return (int64_t) (payload_len + strlen(summary) + (request_id ? strlen(request_id) : 0));
}

/* Reads pending_bytes from the file. 0 or -1 (a read error). */
int hb_outbox__pending_bytes_load(hb_outbox_t *self);

/* The single row of table meta. */
typedef struct {
    uint32_t station_id;
    char community[HB_COMMUNITY_CODE_BYTES_MAX + 1];
    uint64_t last_seq;
    uint32_t next_serial;
    int64_t last_sync;
    uint64_t directory_version;
    int64_t directory_synced_at;
    bool restored;
    char time_zone[HB_TIME_ZONE_BYTES_MAX + 1];  /* "" = not known yet */
} ob_meta_t;

/* SQL of outbox_dir.c's, outbox_query.c's and outbox_resync.c's statements
 * (the others are NULL), by id. */
extern const char *const hb_outbox__queue_sql[OB_STMT_COUNT];
extern const char *const hb_outbox__dir_sql[OB_STMT_COUNT];
extern const char *const hb_outbox__query_sql[OB_STMT_COUNT];
extern const char *const hb_outbox__resync_sql[OB_STMT_COUNT];
extern const char *const hb_outbox__save_sql[OB_STMT_COUNT];
extern const char *const hb_outbox__operator_sql[OB_STMT_COUNT];
extern const char *const hb_outbox__rules_sql[OB_STMT_COUNT];
extern const char *const hb_outbox__members_sql[OB_STMT_COUNT];
extern const char *const hb_outbox__erase_sql[OB_STMT_COUNT];
extern const char *const hb_outbox__reconcile_sql[OB_STMT_COUNT];

/* ---- reconciliation (outbox_reconcile.c) ---- */

/* Binds the hash and the posted day r carries (OpResult.payload_hash,
 * posted_day) at parameters hash_at and hash_at + 1; NULL for what r does
 * not say (an older central). */
void hb_outbox__bind_posting(sqlite3_stmt *st, int hash_at, const Hourbank__OpResult *r);
/* Inside the ack's transaction: central answered op r->seq, which a
 * reconcile run marked for resending: the mark is cleared and r's hash
 * and posted day stored (those it says). 0, or -1 with msg. */
int hb_outbox__resend_answered(hb_outbox_t *self, const Hourbank__OpResult *r, char *msg, size_t msg_size);
/* Starts a batch of ops after after_seq: batch_out empty, *max_ops cut to
 * HB_BATCH_OPS_MAX and room for that many. false (nothing allocated) when
 * no seq can follow after_seq. */
bool hb_outbox__batch_start(uint64_t after_seq, size_t *max_ops, Hourbank__Batch *batch_out);
/* Appends the ops of st's rows (seq, payload) to batch (its ops array has
 * room for max_ops), stopping at a gap in the seqs or at max_bytes; resets
 * st. The count appended, or -1 (logged; batch freed). */
int hb_outbox__batch_fill(hb_outbox_t *self, sqlite3_stmt *st, size_t max_ops, size_t max_bytes,
                          Hourbank__Batch *batch);

/* ---- members' lives (outbox_members.c, outbox_erase.c; issue 15) ---- */

/* members.family as stored: one "number<TAB>relation" line per link. */
#define OB_FAMILY_TEXT_BYTES (HB_FAMILY_LINKS_MAX * (HB_MEMBER_NO_BYTES_MAX + HB_RELATION_BYTES_MAX + 2) + 1)

/* The first number (the identity central records ops under) of the
 * member that number names: a later number (member_numbers: from the
 * directory, or a move saved here that central accepted or may accept)
 * resolves to the member's first; any other number is its own. One
 * primary-key lookup, none while member_numbers is empty. out may be
 * number. 0, or -1 on a disk error. */
int hb_outbox__resolve(hb_outbox_t *self, const char *number, char out[HB_MEMBER_NO_BYTES_MAX + 1]);
/* Whether number (as an op names it) is the member whose first number is
 * first (resolving it; a disk error counts as not). */
bool hb_outbox__is_member(hb_outbox_t *self, const char *number, const char *first);
/* Inside a save: a move's new number resolves to the member (first) from
 * now on (member_numbers). 0 or -1. */
int hb_outbox__move_number_store(hb_outbox_t *self, const char *new_no, const char *first);
/* Inside an ack: op seq was refused; when it is a move, its new number
 * names no one (member_numbers). 0 or -1. */
int hb_outbox__move_refused(hb_outbox_t *self, uint64_t seq);
/* Loads numbers_held at open. 0 or -1. */
int hb_outbox__numbers_held_load(hb_outbox_t *self);
/* m's family links into out (OB_FAMILY_TEXT_BYTES). */
void hb_outbox__family_encode(const Hourbank__Member *m, char *out, size_t size);
/* members.family text into out's family links. */
void hb_outbox__family_decode(const char *text, hb_outbox_member_t *out);
/* Stores m's later numbers (member_numbers), inside the directory's
 * transaction. 0 or -1. */
int hb_outbox__numbers_store(hb_outbox_t *self, const Hourbank__Member *m);
/* out->member_no's later numbers into out->numbers. 0 or -1. */
int hb_outbox__numbers_load(hb_outbox_t *self, hb_outbox_member_t *out);
/* Inside hb_outbox__check, after its UNKNOWN_MEMBER for the older kinds
 * and before SELF_SERVICE: what central certainly refuses about the
 * members an op names (PROTOCOL.md "Checks at save"), member by member in
 * the op's order: an unknown member named by an amend, move, leave or
 * opening (UNKNOWN_MEMBER), a member who left (MEMBER_LEFT), a move of a
 * member already of this community (ALREADY_HOME). OK, a refusal with
 * values in msg, INTERNAL on a disk error. */
hb_result_t hb_outbox__named_check(hb_outbox_t *self, const Hourbank__Op *op, char *msg, size_t msg_size);
/* Inside a save's transaction, after hb_outbox__check: the station's own
 * refusal of a registration of a name and birth year this community has
 * (POSSIBLE_DUPLICATE) unless confirm_new. OK, POSSIBLE_DUPLICATE with
 * values in msg, INTERNAL on a disk error. */
hb_result_t hb_outbox__lives_check(hb_outbox_t *self, const Hourbank__Op *op, bool confirm_new, char *msg,
                                   size_t msg_size);
/* What an opening or a leave of member first (balance running before it)
 * moves, as foreseen: an opening by its sign; a leave takes the whole
 * balance out (or, below 0, brings it back to 0). Other kinds: nothing. */
void hb_outbox__lives_effect(hb_outbox_t *self, const Hourbank__Op *op, const char *first, int64_t running,
                             int64_t *in, int64_t *out);
/* Inside the last page's directory transaction, before its ops are
 * settled: sets erase_due when an op about to be settled is a
 * registration or amendment of a member who left (one central answered
 * after the member's erasure here). 0 or -1 (outbox_erase.c). */
int hb_outbox__erase_check(hb_outbox_t *self);
/* An op as erasure stores it: a shallow copy of a registration or
 * amendment with the personal fields emptied (any other op as it is).
 * Fills *out; out->op is valid while op and out are. */
typedef struct {
    Hourbank__Op op;
    Hourbank__RegisterMember reg;
    Hourbank__AmendMember amend;
} ob_scrubbed_t;
void hb_outbox__scrubbed(const Hourbank__Op *op, ob_scrubbed_t *out);
/* After a directory update, when erase_due: erases what the outbox holds
 * of members who left (outbox_erase.c). 0, or -1 (logged; erase_due stays,
 * tried again at the next update). */
int hb_outbox__erase(hb_outbox_t *self);

/* Inside a save's transaction, before hb_outbox__check (central judges
 * the window first): OCCURRED_IN_FUTURE or TOO_OLD with values in msg when
 * occurred_at is outside the copy of the rules' window as central's clock
 * is known here, widened by HB_STATION_CLOCK_TOLERANCE_S; OK without a
 * copy (outbox_foresee.c). */
hb_result_t hb_outbox__window_check(hb_outbox_t *self, const Hourbank__Op *op, int64_t now, char *msg,
                                    size_t msg_size);
/* Inside a save's transaction, after hb_outbox__check: the refusals
 * central is certain to give (a void's target; a provider's daily limit)
 * with values in v->msg, else OK with v's payer, payer_rule, rules_version
 * and cautions filled; INTERNAL with v->msg on a disk error. last_seq: the
 * highest seq assigned before this op (outbox_foresee.c). */
hb_result_t hb_outbox__foresee(hb_outbox_t *self, const Hourbank__Op *op, int64_t now, uint64_t last_seq,
                               hb_outbox_save_t *v);

/* Loads the rules copy (table rules) into self->rules; none is fine.
 * 0 or -1 (outbox_rules.c). */
int hb_outbox__rules_load(hb_outbox_t *self);

/* Sets the meta column that statement id updates (?1) to value. 0 or -1. */
int hb_outbox__meta_set_u64(hb_outbox_t *self, ob_stmt_t id, uint64_t value);

/* Inside the ack's transaction: central answered a resent op (seq, held
 * with result `held`) with r, which differs (outbox_resync.c). Keeps the
 * first ack as prior_* and stores r. 0, or -1 with the reason in msg. */
int hb_outbox__result_change(hb_outbox_t *self, const Hourbank__OpResult *r, int held, int64_t now, char *msg,
                             size_t msg_size);

/* The cached statement id, reset and with its bindings cleared.
 * Borrowed: valid until hb_outbox_destroy(). */
sqlite3_stmt *hb_outbox__stmt(hb_outbox_t *self, ob_stmt_t id);

/* Steps a statement that returns no rows (INSERT, UPDATE, ...) and resets
 * it. Returns 0, or -1 with the error left in sqlite3_errmsg(). */
int hb_outbox__run(hb_outbox_t *self, sqlite3_stmt *st);

/* BEGIN (deferred, for reads) or BEGIN IMMEDIATE (for writes); COMMIT;
 * ROLLBACK if a transaction is still open. 0 or -1. */
int hb_outbox__begin(hb_outbox_t *self, bool immediate);
int hb_outbox__commit(hb_outbox_t *self);
void hb_outbox__rollback(hb_outbox_t *self);

/* Reports SQLite's last error: "could not <what> in outbox "<path>": <error>"
 * into msg when msg is not NULL, else to the log. Returns -1. */
int hb_outbox__fail(hb_outbox_t *self, const char *what, char *msg, size_t msg_size);

/* Re-reads the cached last_seq and last_acked from the file. 0 or -1 (logged). */
int hb_outbox__refresh(hb_outbox_t *self);

/* Before SQLite opens path (outbox_file.c): 0 when nothing is there, 1
 * when a file is there and is whole as far as its size and SQLite header
 * tell; -1 with the reason in msg when it is refused (not a regular file,
 * 0 bytes, not a whole number of pages, fewer pages than its header says).
 * Warns (log) when the file is readable by others. */
int hb_outbox__file_check(const char *path, char *msg, size_t msg_size);

/* PRAGMA quick_check on self->db; a damaged file is refused with msg. 0 or
 * -1 (outbox.c; self needs only db and path). */
int hb_outbox__quick_check(hb_outbox_t *self, char *msg, size_t msg_size);

/* Whether this program opens an outbox of schema version (PRAGMA
 * user_version), upgrading it if it is older (outbox.c). */
bool hb_outbox__schema_known(int64_t version);

/* Reads the meta row: 1 and the row in *out, 0 if there is no row, -1 on
 * an error. */
int hb_outbox__meta_load(hb_outbox_t *self, ob_meta_t *out);
/* Reads the meta row. 0, or -1 (SQLite error pending, or no row). */
int hb_outbox__meta_read(hb_outbox_t *self, ob_meta_t *out);

/* Loads the catalogue's names into self->category (outbox_dir.c). 0 or -1
 * (logged; the cache is then empty, as if no catalogue were cached). */
int hb_outbox__categories_load(hb_outbox_t *self);

/* Inside the caller's BEGIN IMMEDIATE (outbox_import.c): checks and
 * stores one op as hb_outbox_save_group() does with check. OK with v's
 * outcome (v->result OK, refused, or repeated), or the disk error that
 * fails the caller's whole transaction, its reason in msg; after a
 * rollback the caller calls hb_outbox__refresh and
 * hb_outbox__pending_bytes_load. */
hb_result_t hb_outbox__save_in_tx(hb_outbox_t *self, hb_outbox_save_t *v, int64_t now, char *msg, size_t msg_size);

/* Inside a transaction: the station's checks of an operator's op (see
 * hb_outbox_save_group). OK, or UNKNOWN_MEMBER, UNKNOWN_CATEGORY,
 * SELF_SERVICE with the reason in msg; INTERNAL with msg on a disk error. */
hb_result_t hb_outbox__check(hb_outbox_t *self, const Hourbank__Op *op, char *msg, size_t msg_size);

/* Inside a transaction: OK when name is an enabled operator of this
 * station; UNKNOWN_OPERATOR with the reason in msg when name is "" (none
 * given and no default), unknown or disabled; INTERNAL with msg on a disk
 * error (outbox_operator.c). */
hb_result_t hb_outbox__operator_check(hb_outbox_t *self, const char *name, char *msg, size_t msg_size);

/* A result's values as ops.params stores them: one "name=value" per line
 * (names hold no '=', neither holds a newline: hb_wire_validate). Room
 * for HB_PARAMS_MAX of them. (outbox_params.c) */
#define OB_PARAMS_TEXT_BYTES (HB_PARAMS_MAX * (HB_PARAM_NAME_BYTES_MAX + HB_PARAM_VALUE_BYTES_MAX + 2) + 1)
/* r's values into out (size >= OB_PARAMS_TEXT_BYTES); false when it has
 * none (ops.params stays NULL). */
bool hb_outbox__params_format(const Hourbank__OpResult *r, char *out, size_t size);
/* Text column col of st (ops.params) into q->params and q->n_params; each
 * Param, its strings and the array are malloc'ed (hb_outbox__params_free). */
void hb_outbox__params_read(sqlite3_stmt *st, int col, Hourbank__QueuedOp *q);
void hb_outbox__params_free(Hourbank__QueuedOp *q);

/* Copies text column col of st into dst (size bytes, always terminated,
 * cut if longer; NULL becomes ""). */
void hb_outbox__column_text(char *dst, size_t size, sqlite3_stmt *st, int col);
/* A malloc'ed copy of text column col ("" for NULL); caller owns the result. */
char *hb_outbox__column_strdup(sqlite3_stmt *st, int col);
/* One write in its own transaction: st (bound) changes one row, or none
 * (*changed = 0). 0, or -1 with msg (outbox_operator.c). */
int hb_outbox__write_one(hb_outbox_t *self, sqlite3_stmt *st, const char *what, int *changed, char *msg,
                         size_t msg_size);

#endif
