/* outbox.h - a station's durable state in SQLite: the outbox of operations
 * (each stored with its seq, fsynced, before the operator is told
 * "saved"), their results from central, the member-number allocator, and
 * the cached directory of members and balances.
 *
 * One file, WAL mode, synchronous=FULL, "PRAGMA quick_check" at open.
 * Every public call is one SQLite transaction. Single-threaded: one
 * hb_outbox_t per process, used from the station's event loop.
 *
 * Errors: calls with a msg parameter put a one-line reason there and do
 * not log; the others log SQLite errors (hb_log_error, with the path) and
 * return -1 (or the value documented). Implemented in outbox.c (queue),
 * outbox_open.c (schema, open, close), outbox_save.c (saves), outbox_query.c (listing and finding ops), outbox_dir.c (directory,
 * members, categories), outbox_file.c (the file's checks, inspection and
 * copies), outbox_resync.c (central's marks, resending what central
 * lost) and outbox_reconcile.c (what a reconcile run reads and marks). */
#ifndef HB_OUTBOX_H
#define HB_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_limits.h"
#include "hb_result.h"
#include "hourbank.pb-c.h"

typedef struct hb_outbox hb_outbox_t;

/* Opens (creating if needed) the outbox at path for this station. A file
 * made for another station id or community is refused. max_bytes: the disk
 * limit for new work. Returns NULL with a one-line reason in msg (corrupt
 * file, wrong station, cannot create). A new file is claimed for
 * station_id and community (kept in its meta table). Also refused: a
 * read-only file, an SQLite file that is not an outbox, an outbox with a
 * newer schema (PRAGMA user_version), an invalid community code.
 * A file at path must be a complete outbox, else it is refused and left
 * as it is: 0 bytes, a size that is not a whole number of pages, fewer
 * pages than its SQLite header says (unless a WAL or journal beside it
 * may hold them), quick_check failing, an empty database or no meta row.
 * A new outbox (nothing at path) is built at a temp path in the same
 * folder and renamed into place, fsynced: it appears whole or not at all,
 * mode 0600 whatever the umask. */
hb_outbox_t *hb_outbox_open(const char *path, uint32_t station_id, const char *community,
                            int64_t max_bytes, char *msg, size_t msg_size);
void hb_outbox_destroy(hb_outbox_t **self_p);

/* Whether this outbox was restored from a backup ("hourbank-station
 * restore") and central's Welcome has not yet confirmed its seq and serial
 * marks: saves must wait (meta.restored, read at open). */
bool hb_outbox_restored(hb_outbox_t *self);
/* Sets meta.restored (one transaction, fsynced): what "hourbank-station
 * restore" does to the copy it installs. 0, or -1 with msg. */
int hb_outbox_mark_restored(hb_outbox_t *self, char *msg, size_t msg_size);
/* hb_outbox_confirm_marks() (below) clears it. */

/* The member serials this station may allocate (station.yaml's
 * member_serial_min/max; central.yaml lists the same range for the station
 * and refuses registrations outside it). Stations sharing a community get
 * disjoint ranges, so numbers are unique by construction. Default after
 * open: 1..HB_MEMBER_SERIAL_MAX. */
void hb_outbox_set_serials(hb_outbox_t *self, uint32_t serial_min, uint32_t serial_max);

/* Saves one operation (borrowed; must already pass hb_wire_validate_op in
 * the SAVE context, so a registration names no number). Assigns the next
 * seq; for a registration allocates the next member number of this
 * community. The op is
 * packed with its seq and stored; the transaction is committed (fsynced)
 * before this returns. Returns HB_RESULT_OK with *seq_out and member_no_out
 * (registrations only, else ""), or OUTBOX_FULL when the file has reached
 * max_bytes (nothing is written), or INTERNAL with msg on a disk error.
 * now: the station's clock (Unix seconds), stored as saved_at.
 * The size counted is the file's pages in use (pages freed by compaction
 * are reused first) plus the new op; a full disk is OUTBOX_FULL too.
 * Member numbers: serials from 1, persisted, never handed out twice; a
 * number already in the directory or in a registration here is skipped.
 * Seqs are never reused, not after compaction nor hb_outbox_confirm_marks(). */
hb_result_t hb_outbox_save(hb_outbox_t *self, const Hourbank__Op *op, int64_t now, uint64_t *seq_out,
                           char member_no_out[HB_MEMBER_NO_BYTES_MAX + 1], char *msg, size_t msg_size);

/* Something central may refuse that the station cannot settle (a
 * SaveReply.cautions entry): code and values as central gives them. */
typedef struct {
    hb_result_t code;
    char params[HB_MESSAGE_BYTES_MAX];  /* "name=value" lines */
} hb_outbox_caution_t;

/* One op of hb_outbox_save_group(). */
typedef struct {
    const Hourbank__Op *op;                      /* in, borrowed: as for hb_outbox_save */
    const char *request_id;                      /* in, borrowed: the client's request id; NULL or "" = none */
    const char *default_operator;                /* in, borrowed: stored as the op's operator when it names
                                                  * none; NULL or "" = none */
    hb_result_t result;                          /* out */
    uint64_t seq;                                /* out: the seq assigned (OK only) */
    char member_no[HB_MEMBER_NO_BYTES_MAX + 1];  /* out: number allocated to a registration, else "" */
    bool repeated;                               /* out: request_id was stored before: seq and member_no
                                                  * are that save's, nothing new was stored */
    char msg[HB_MESSAGE_BYTES_MAX];              /* out: the reason when result is not OK */
    bool dry_run;                                /* in: check and answer, store nothing (seq 0) */
    bool confirm_new;                            /* in: a registration is another person than a
                                                  * member of the same name and birth year */
    /* out, with check (outbox_foresee.c): a service's payer as foreseen
     * from the copy of the rules ("guarantee", the recipient's number, or
     * "" = not known) and the payer rule's position (-1: none); the copy's
     * version (0 = none); what central may still refuse */
    char payer[HB_MEMBER_NO_BYTES_MAX + 1];
    int32_t payer_rule;
    uint32_t rules_version;
    size_t n_cautions;
    hb_outbox_caution_t cautions[HB_CAUTIONS_MAX];
} hb_outbox_save_t;

/* Saves n ops (1..HB_SAVE_GROUP_MAX) in ONE transaction; none while the
 * file is restored (hb_outbox_restored): each gets AWAITING_CENTRAL: one commit, one
 * fsync, done before this returns (group commit: operators whose saves
 * arrive together share it). The ops are taken in array order, so their
 * seqs increase with the index; each is stored as hb_outbox_save() would.
 * The op is stored with its operator, or default_operator when it names
 * none. With check, each op is first checked as the station checks an
 * operator's work, in this order:
 *   the operator (the op's or the default) must be in table operators and
 *     not disabled (UNKNOWN_OPERATOR);
 *   occurred_at inside the window of the copy of the rules, as central's
 *     clock is known here (OCCURRED_IN_FUTURE, TOO_OLD; outbox_foresee.c);
 *   a service's category must be in the cached catalogue, when one is
 *     cached (UNKNOWN_CATEGORY);
 *   every member it names (provider, recipient, giver, receiver, a
 *     registration's family_of; an amend's member and relatives added, a
 *     move's, leave's or opening's member, a leave's heirs) must be known
 *     here, as by hb_outbox_member_known (UNKNOWN_MEMBER), and not have
 *     left (MEMBER_LEFT); a move's member not already of this community
 *     (ALREADY_HOME) (outbox_members.c);
 *   no service or gift to oneself, by any two of one's numbers
 *     (SELF_SERVICE);
 *   a registration's name and birth year not those of a member of this
 *     community, unless confirm_new (POSSIBLE_DUPLICATE);
 *   what central is certain to refuse: a void of this station's op
 *     (UNKNOWN_OPERATION, NOT_VOIDABLE, ALREADY_VOIDED), a service over the
 *     provider's daily limit (DAILY_LIMIT_EXCEEDED); then the payer and
 *     the cautions are foreseen into the save (outbox_foresee.c,
 *     PROTOCOL.md "Checks at save"). A dry run (dry_run) is checked the
 *     same way and stores nothing: OK with seq 0.
 * A refused op (a check, OUTBOX_FULL, member numbers exhausted) stores
 * nothing and takes no seq; the others are still stored. A disk error
 * fails the whole group: nothing is stored, and every op that was not
 * refused gets INTERNAL (OUTBOX_FULL for a full disk) and the reason.
 * Request ids (ops.request_id, unique): an op whose request_id is already
 * stored, by an earlier commit or earlier in this group, is not stored
 * again and not checked: it gets OK with repeated, and the seq and member
 * number of the op stored with that id. If that op's content differs
 * (ignoring seq, occurred_at and a registration's allocated number), it is
 * refused EXISTS_WITH_DIFFERENT_PAYLOAD: the id was reused for other work.
 * A refused op stores no id, so a retry is judged afresh. An id is kept as
 * long as its op (hb_outbox_compact). The op's note (a service's note, a
 * gift's or void's reason) is stored for hb_outbox_find_note.
 * Returns the number of ops stored (result OK and not repeated). */
size_t hb_outbox_save_group(hb_outbox_t *self, hb_outbox_save_t *saves, size_t n, bool check, int64_t now);

/* Unacknowledged ops with seq > after_seq, in seq order, at most max_ops and
 * max_bytes in total (at least one op if any is pending). Fills a Batch
 * whose ops the caller frees with hb_outbox_batch_free. Returns the number
 * of ops (0 = nothing pending after after_seq), -1 on a disk error.
 * batch_out is initialized here. The ops are the stored bytes decoded, so
 * every resend carries the same payload. A batch stops at a gap in the
 * pending seqs (seqs in a batch are consecutive). max_ops is capped at
 * HB_BATCH_OPS_MAX; max_bytes counts the ops' encoded sizes. */
int hb_outbox_next_batch(hb_outbox_t *self, uint64_t after_seq, size_t max_ops, size_t max_bytes,
                         Hourbank__Batch *batch_out);
void hb_outbox_batch_free(Hourbank__Batch *batch);

/* Stores central's results for an ack (one transaction) and advances
 * last_acked_seq to the highest contiguous acked seq. Results for seqs this
 * outbox does not hold, or already holds with a different result, are
 * reported in msg and refused (-1): that means two stations share an id.
 * A refused ack stores nothing. Returns 0 otherwise; repeating an ack is
 * harmless. A result for a seq at or below hb_outbox_last_seq() that is no
 * longer held (compacted) is accepted without comparison. An ack with
 * batch_result != OK carries no results: nothing is stored, returns 0. */
int hb_outbox_ack(hb_outbox_t *self, const Hourbank__BatchAck *ack, int64_t now, char *msg, size_t msg_size);

/* The highest seq with a result (everything at or below it is acked). */
uint64_t hb_outbox_last_acked(hb_outbox_t *self);
/* The highest seq ever assigned (0 for a new outbox). */
uint64_t hb_outbox_last_seq(hb_outbox_t *self);

/* Central's Welcome confirms its marks: the highest seq it holds a result
 * for and the highest member serial among the members this station
 * registered. The next seq moves past central_hwm and the next serial past
 * serial_mark (so that a file restored from an old backup hands out
 * neither twice), and meta.restored is cleared: saves may go on. Logs what
 * was skipped. 0, or -1 on a disk error (logged; nothing changed). */
int hb_outbox_confirm_marks(hb_outbox_t *self, uint64_t central_hwm, uint32_t serial_mark);

/* Central's directory version is below the one cached here (central was
 * restored or failed over): the next directory refresh starts from 0, so
 * members central holds under lower versions are read again. 0 or -1. */
int hb_outbox_directory_rewind(hb_outbox_t *self, uint64_t central_version);

/* What hb_outbox_resend found. */
typedef struct {
    uint64_t lost;        /* acked seqs above central's mark */
    uint64_t held;        /* of those, still held here (not compacted) */
    uint64_t first_held, last_held;  /* 0 when none */
    bool gap;             /* some are missing where a batch must start: central will answer SEQ_GAP */
    bool error;           /* a disk error (logged) */
} hb_outbox_resend_t;

/* Central's mark is below this file's last acked seq: central lost
 * acknowledged work (restored from an older dump, or a standby that missed
 * commits). From now on hb_outbox_next_batch() hands out every op held above
 * central_hwm again, acked or not, and hb_outbox_ack() takes central's new
 * answers for them: an answer that differs from the first ack is stored
 * with the first kept as prior_result/prior_message/prior_transfer_id
 * (logged as a warning). The mode ends when an ack covers the last held op
 * (hb_outbox_resending() turns false) or at the next call. Returns
 * out->lost (0 when central is not behind). */
uint64_t hb_outbox_resend(hb_outbox_t *self, uint64_t central_hwm, hb_outbox_resend_t *out);
bool hb_outbox_resending(const hb_outbox_t *self);

/* Queue status for the operator. */
typedef struct {
    uint64_t pending;            /* saved, not yet acked */
    uint64_t rejected;           /* acked with a rejection, not yet dismissed */
    int64_t oldest_pending_at;   /* saved_at of the oldest pending op; 0 if none */
    int64_t last_sync;           /* last time central acked anything; 0 if never */
    uint64_t last_acked_seq;
    uint64_t last_seq;
    uint64_t changed;            /* ops whose result changed when resent (prior_result set) */
} hb_outbox_status_t;
int hb_outbox_status(hb_outbox_t *self, hb_outbox_status_t *out);

/* ---- looking ops up (outbox_query.c) ----
 * Each fills reply->ops and reply->n_ops only (caller frees with
 * hb_outbox_queue_free; the counts come from hb_outbox_status) with
 * QueuedOps carrying every field: result and message (RESULT_UNSET while
 * pending), note, acked_at, transfer_id, request_id, prior_result and
 * prior_message, dismissed. Errors are logged; they return -1 and leave
 * reply empty. */

/* Which ops hb_outbox_list lists. PENDING and REJECTED are 0 and 1, so a
 * caller passing the former bool rejected_only means the same. */
typedef enum {
    HB_OUTBOX_LIST_PENDING = 0,   /* not yet acked */
    HB_OUTBOX_LIST_REJECTED = 1,  /* acked with a rejection, not dismissed */
    HB_OUTBOX_LIST_CHANGED = 2    /* prior_result set: central answered differently when it was resent */
} hb_outbox_list_t;

/* The ops of one kind of list, oldest first, at most max (capped at
 * HB_PAGE_ENTRIES_MAX). Returns the count or -1. */
int hb_outbox_list(hb_outbox_t *self, hb_outbox_list_t which, size_t max, Hourbank__QueueReply *reply);
/* Op seq in any state. Returns 1 (one op in reply), 0 when the outbox does
 * not hold it (never assigned, or compacted), -1 on an error. */
int hb_outbox_get(hb_outbox_t *self, uint64_t seq, Hourbank__QueueReply *reply);
/* Ops whose note contains text (1..HB_SEARCH_BYTES_MAX bytes; an exact,
 * case-sensitive substring: no character is special, % and _ included),
 * newest first, at most max (capped at HB_PAGE_ENTRIES_MAX). Returns the
 * count or -1. */
int hb_outbox_find_note(hb_outbox_t *self, const char *text, size_t max, Hourbank__QueueReply *reply);
void hb_outbox_queue_free(Hourbank__QueueReply *reply);

/* The operator has seen rejection seq. NOT_FOUND if seq is not a rejected op.
 * Dismissing twice is OK. INTERNAL (logged) on a disk error. */
hb_result_t hb_outbox_dismiss(hb_outbox_t *self, uint64_t seq);

/* Deletes acked ops whose ack is older than retention_days, except
 * undismissed rejections. At most HB_COMPACT_OPS_MAX rows per call (called
 * from the station's tick). Returns rows deleted or -1. */
int hb_outbox_compact(hb_outbox_t *self, int64_t now, int64_t retention_days);

/* ---- operators (outbox_operator.c) ----
 * The people who may save at this station. Each save names one (or the
 * station's default_operator), which must be here and not disabled
 * (hb_outbox_save_group). Names are unique and never removed: a leaver is
 * disabled, so that the ops they entered still name a known person. */

/* Adds operator name (valid as OperatorRequest.name, not empty) with pin
 * ("" = none yet; else valid as OperatorRequest.pin), stored only as an
 * argon2id hash (crypto_pwhash_str, OPSLIMIT/MEMLIMIT_INTERACTIVE: about
 * 0.1 s and 64 MiB, at add only). OK; DUPLICATE with msg when the name is
 * taken (disabled operators included); INTERNAL with msg on a disk error
 * or when hashing fails (out of memory). */
hb_result_t hb_outbox_operator_add(hb_outbox_t *self, const char *name, const char *pin, int64_t now, char *msg,
                                   size_t msg_size);
/* Disables operator name: later saves naming it are refused. OK (also
 * when it was disabled already); NOT_FOUND with msg; INTERNAL with msg. */
hb_result_t hb_outbox_operator_disable(hb_outbox_t *self, const char *name, char *msg, size_t msg_size);
/* Whether operator name is here: 1 enabled, 2 disabled, 0 not here, -1 on
 * an error (logged). */
int hb_outbox_operator_state(hb_outbox_t *self, const char *name);
/* Every operator by name into reply->operators (at most HB_OPERATORS_MAX;
 * is_default marks default_name, which may be NULL; locked_until is set
 * only when it lies after now). The caller frees with
 * hb_outbox_operators_free. Count, or -1 (logged) with reply empty. */
int hb_outbox_operator_list(hb_outbox_t *self, const char *default_name, int64_t now, Hourbank__OperatorsReply *reply);
/* As hb_outbox_operator_list, operator name alone: 1, 0 (not here), or -1. */
int hb_outbox_operator_one(hb_outbox_t *self, const char *name, const char *default_name, int64_t now,
                           Hourbank__OperatorsReply *reply);
void hb_outbox_operators_free(Hourbank__OperatorsReply *reply);

/* ---- signing in (outbox_sign_in.c) ----
 * The console's sign-in: a PIN checked against the operator's argon2id
 * hash, wrong PINs counted and locked out with a growing delay, all kept
 * in the outbox so a restart forgets nothing. */

/* Why a sign-in was refused (ErrorReply value "reason", PROTOCOL.md). */
typedef struct {
    const char *reason;    /* static: "pin", "locked", "unknown", "disabled", "no_pin"; NULL when OK */
    int64_t retry_after;   /* "locked": seconds until the lockout ends (>= 1); else 0 */
} hb_outbox_sign_in_t;

/* Checks operator name's pin at now (Unix seconds). A locked operator is
 * refused "locked" with every PIN, and the attempt is not counted. Else
 * the PIN is verified, against a fixed dummy hash when the operator is
 * unknown, disabled or has no PIN (refused so, as slow as a wrong PIN).
 * A right PIN clears the count (OK); a wrong one counts: the first
 * HB_SIGN_IN_FAILURES_FREE are refused "pin", each later one locks for
 * lockout_s * 2^(n - FREE - 1) (n the count), at most
 * HB_SIGN_IN_LOCKOUT_S_MAX, refused "locked". OK; SIGN_IN_REFUSED with
 * *out; INTERNAL with msg on a disk error. Logs failures and locks. */
hb_result_t hb_outbox_sign_in(hb_outbox_t *self, const char *name, const char *pin, int64_t now, int64_t lockout_s,
                              hb_outbox_sign_in_t *out, char *msg, size_t msg_size);
/* Clears operator name's wrong-PIN count and lockout. OK; NOT_FOUND with
 * msg; INTERNAL with msg. */
hb_result_t hb_outbox_operator_unlock(hb_outbox_t *self, const char *name, char *msg, size_t msg_size);
/* Sets operator name's console language ("zh_CN", "en"; "" = the
 * station's). OK; NOT_FOUND with msg; INTERNAL with msg. */
hb_result_t hb_outbox_operator_set_language(hb_outbox_t *self, const char *name, const char *language, char *msg,
                                            size_t msg_size);

/* ---- the file: inspect and copy (outbox_file.c) ---- */

/* What an outbox file holds. */
typedef struct {
    uint32_t station_id;                             /* meta */
    char community[HB_COMMUNITY_CODE_BYTES_MAX + 1]; /* meta */
    uint64_t last_seq;       /* the highest seq ever assigned */
    int64_t last_saved_at;   /* saved_at of the op of the highest seq held; 0 if none */
    bool restored;           /* meta.restored (false in files older than schema 3) */
    int64_t bytes;           /* the file's size (without a -wal) */
} hb_outbox_info_t;

/* Reads what the outbox file at path holds, changing nothing: opened
 * read-only (and, with no -wal beside it, as immutable: no -wal or -shm is
 * made). Refused with msg as hb_outbox_open refuses a file (missing, 0
 * bytes, cut short, corrupt, not an outbox, a newer schema, no meta row),
 * but an older schema is fine. 0 or -1. */
int hb_outbox_inspect(const char *path, hb_outbox_info_t *out, char *msg, size_t msg_size);

typedef enum {
    /* from is a station's outbox that may be in use: opened as the station
     * opens it (never written), copied from one snapshot (a read
     * transaction held throughout; WAL lets the station go on saving) in
     * steps of HB_BACKUP_STEP_PAGES with HB_BACKUP_PAUSE_MS between */
    HB_OUTBOX_COPY_LIVE,
    /* from is a file at rest (a backup): opened as hb_outbox_inspect does */
    HB_OUTBOX_COPY_FILE,
} hb_outbox_copy_from_t;

/* Copies the outbox file from into to, an existing empty file (e.g. from
 * hb_file_temp), with SQLite's online backup API. The copy is one file
 * (rollback journal mode, no -wal), passes quick_check and is fsynced; it
 * is described in *info. from is checked as hb_outbox_inspect checks a
 * file, but may hold another station's outbox. Returns 0; -1 with msg when
 * from is refused (not there, damaged, not an outbox, and a copy that
 * fails quick_check); -2 with msg when the copy could not be made (an
 * I/O error, to's disk full). On failure to is left for the caller to
 * remove, with hb_outbox_remove. */
int hb_outbox_copy(const char *from, hb_outbox_copy_from_t kind, const char *to, hb_outbox_info_t *info, char *msg,
                   size_t msg_size);

/* Removes the file at path and its -wal, -shm and -journal; what is not
 * there is fine. For temp files that are not kept. */
void hb_outbox_remove(const char *path);

/* ---- cached directory ---- */

/* Applies one directory page from central (upserts by member_no) and
 * records reply->version and the time. Returns 0 or -1. The last page
 * (more = false) marks every op acked so far as included in the cached
 * balances (see pending_minutes below). */
int hb_outbox_directory_apply(hb_outbox_t *self, const Hourbank__DirectoryReply *reply, int64_t now);
/* The directory version held (0 = none yet), and when it was last updated. */
uint64_t hb_outbox_directory_version(hb_outbox_t *self, int64_t *synced_at);

/* Looks a member up by any of their numbers (the first one, a later one
 * from the directory's Member.numbers, or a move's new number saved here)
 * in the directory, then among pending registrations; out->member_no is
 * the first number.
 * Fills *out (strings copied into bufs owned by out; see hb_outbox_member_t).
 * Returns 1 found, 0 not found, -1 error. */
typedef struct {
    char member_no[HB_MEMBER_NO_BYTES_MAX + 1];
    char name[HB_NAME_BYTES_MAX + 1];
    char family_of[HB_MEMBER_NO_BYTES_MAX + 1];
    int role;
    uint32_t birth_year;
    int64_t balance_minutes;     /* as of the last directory sync; 0 if pending */
    int64_t pending_minutes;     /* effect of this station's ops not yet in balance_minutes */
    bool pending_registration;   /* registered here, not yet acked by central */
    bool in_directory;           /* found in the directory (else among registrations here) */
    char community[HB_COMMUNITY_CODE_BYTES_MAX + 1];  /* Member.community, else the number's code */
    bool left;                   /* Member.left: left the scheme, personal data erased */
    size_t n_family;             /* Member.family (a registration here: its family_of) */
    struct {
        char member_no[HB_MEMBER_NO_BYTES_MAX + 1];
        char relation[HB_RELATION_BYTES_MAX + 1];
    } family[HB_FAMILY_LINKS_MAX];
    size_t n_numbers;            /* Member.numbers: later numbers, ordered by number */
    char numbers[HB_MEMBER_NUMBERS_MAX - 1][HB_MEMBER_NO_BYTES_MAX + 1];  /* the first one is member_no */
} hb_outbox_member_t;
/* pending_minutes is what this station's own ops will change in the
 * member's balance and balance_minutes does not show yet: ops not acked,
 * and ops acked OK since the last complete directory sync. It counts
 *   + minutes of service records where the member is the provider,
 *   + minutes of gifts to the member, - minutes of gifts from the member,
 *   - minutes the member donated,
 *   and undoes the op a void targets (when the target is this station's
 *   op, still held, and not rejected).
 * Services where the member is the recipient are NOT subtracted: central
 * decides who pays, the recipient or the guarantee account. Rejected ops
 * count for nothing.
 * A registration made here is found until the directory has the member;
 * pending_registration is true while it is not acked. An opening counts
 * by its sign (here and in hb_outbox_pending); a leave, in
 * hb_outbox_pending only, takes the whole foreseen balance out (its heirs'
 * shares are not foreseen: they show once central has posted them). */
int hb_outbox_member(hb_outbox_t *self, const char *member_no, hb_outbox_member_t *out);
/* Whether member_no is known here (directory or registration), without
 * computing balances: what a save checks. 1 known, 0 not, -1 error. */
int hb_outbox_member_known(hb_outbox_t *self, const char *member_no);
/* Members whose name or number contains text, at most max (capped at
 * HB_SEARCH_RESULTS_MAX): the directory first (by name), then
 * registrations made here. Case-insensitive for ASCII letters only (names
 * in other scripts match as typed). Returns the count or -1. */
int hb_outbox_member_find(hb_outbox_t *self, const char *text, hb_outbox_member_t *out, size_t max);

/* Service categories cached from central (replaced wholesale, order
 * kept). Returns 0 or -1 (the old list is kept). */
int hb_outbox_categories_set(hb_outbox_t *self, const Hourbank__CategoriesReply *reply);
/* Whether name is in the cached catalogue; true when no catalogue is
 * cached yet (central will judge). Answered from memory: the names are
 * loaded at open and replaced by every hb_outbox_categories_set(). */
bool hb_outbox_category_known(hb_outbox_t *self, const char *name);
/* Fills reply (caller frees with hb_outbox_categories_free). Count or -1. */
int hb_outbox_categories_get(hb_outbox_t *self, Hourbank__CategoriesReply *reply);
void hb_outbox_categories_free(Hourbank__CategoriesReply *reply);

/* The tz database name of the zone the station's district counts its days
 * in, as central's last Welcome said it; "" when none has yet. Answered
 * from memory (meta.time_zone, loaded at open). Borrowed, valid until the
 * next hb_outbox_set_time_zone(). */
const char *hb_outbox_time_zone(const hb_outbox_t *self);
/* Stores zone (a tz database name the wire has checked, or "") in meta,
 * fsynced. 1 when it differs from the one held, 0 when it is the same
 * (nothing written), -1 on a disk error (logged; the old one is kept). */
int hb_outbox_set_time_zone(hb_outbox_t *self, const char *zone);

/* ---- the station's copy of the rules (outbox_rules.c) ---- */

/* Stores reply (the newest RulesReply from central; borrowed, copied) as
 * the station's copy, fsynced; the copy survives restarts. now: the
 * station's clock, which with reply->as_of gives central's clock offset
 * until a Welcome says better. 0, or -1 on a disk error (logged; the old
 * copy is kept). */
int hb_outbox_rules_set(hb_outbox_t *self, const Hourbank__RulesReply *reply, int64_t now);
/* The copy; NULL when there is none yet. Borrowed, valid until the next
 * hb_outbox_rules_set(). */
const Hourbank__RulesReply *hb_outbox_rules(const hb_outbox_t *self);
/* The copy's version; 0 = no copy. */
uint32_t hb_outbox_rules_version(const hb_outbox_t *self);
/* Central's clock minus the station's, in seconds, as a Welcome's
 * server_time last showed it (in memory; at open, as the copy of the rules
 * showed it when it came). */
void hb_outbox_set_clock_offset(hb_outbox_t *self, int64_t offset);
int64_t hb_outbox_clock_offset(const hb_outbox_t *self);

/* ---- what this station foresees (outbox_foresee.c) ---- */

/* What the ops saved here and not yet in the directory's balances (pending,
 * or acked since the last complete directory sync) will add to and take
 * from member_no: a service credits the provider (what fits under the cap
 * where overflow is donated) and debits the recipient unless the copy of
 * the rules foresees the guarantee paying; a gift moves from giver to
 * receiver; a donation debits the donor; a void reverses what its target
 * moved (unless its target was refused or voided before). In its own read
 * transaction. 0, or -1 on a disk error (logged). */
int hb_outbox_pending(hb_outbox_t *self, const char *member_no, int64_t *in_minutes, int64_t *out_minutes);

/* ---- reconciliation (outbox_reconcile.c; PROTOCOL.md "Reconciliation") ---- */

/* The bytes of a payload hash and of a range's digest (SHA-256). */
#define HB_OUTBOX_DIGEST_BYTES 32

/* One range of seqs with the station's figures over the ops it holds there
 * acked: accepted (OK) and rejected (any other result) counts and digest
 * (SHA-256 over each op's seq, 8 bytes big-endian, the payload hash central
 * sent, 32 bytes, and the result, 4 bytes big-endian, in seq order;
 * digest_len 0 when the range holds no op). unknown: an op here has no hash
 * (acked by an older central): the range is always taken as differing, and
 * digest_len is 0. */
typedef struct {
    uint64_t first_seq, last_seq;
    uint32_t accepted, rejected;
    uint8_t digest[HB_OUTBOX_DIGEST_BYTES];
    size_t digest_len;
    bool unknown;
} hb_outbox_figures_t;

/* One acked op as a reconcile run compares it. */
typedef struct {
    uint64_t seq;
    int result;
    bool has_hash;                         /* false: acked by an older central */
    uint8_t hash[HB_OUTBOX_DIGEST_BYTES];
    char kind[HB_NAME_BYTES_MAX + 1];
    char posted_day[HB_DAY_TEXT_BYTES + 1];  /* "" = central did not say */
} hb_outbox_held_t;

/* The seqs a run compares: *last is the highest seq below every pending op
 * (hb_outbox_last_acked); *first the lowest seq held acked above
 * compacted_seq and not above *last: with from_day (YYYY-MM-DD, or NULL /
 * "" for none) the lowest whose posted day is on or after it, or, for an op
 * with no posted day, acked at or after from_start (Unix seconds: when
 * from_day began in the district's zone). Both 0 when there is nothing to
 * compare. 0 or -1 (logged). */
int hb_outbox_reconcile_bounds(hb_outbox_t *self, const char *from_day, int64_t from_start, uint64_t *first,
                               uint64_t *last);
/* Fills the figures of ranges[0..n) (first_seq and last_seq set by the
 * caller: ascending, disjoint) in one pass over the ops of
 * [ranges[0].first_seq, ranges[n-1].last_seq], in one read transaction.
 * 0 or -1 (logged). */
int hb_outbox_reconcile_figures(hb_outbox_t *self, hb_outbox_figures_t *ranges, size_t n);
/* The acked ops held in [first, last], in seq order, at most max into out.
 * The count, or -1 (logged). */
int hb_outbox_reconcile_ops(hb_outbox_t *self, uint64_t first, uint64_t last, hb_outbox_held_t *out, size_t max);
/* Marks seqs[0..n) for resending (ops.resend, one transaction, fsynced):
 * each stays marked, and is sent again (hb_outbox_next_resend) after
 * restarts too, until an ack answers it; compaction keeps it meanwhile.
 * 0 or -1 (logged). */
int hb_outbox_resend_mark(hb_outbox_t *self, const uint64_t *seqs, size_t n);
/* Keeps central's payload hash for op seq when the station holds none
 * (acked by an older central) and the op's result here is result: from
 * then on its bucket is compared by digest. 0, or -1 (logged). */
int hb_outbox_adopt_hash(hb_outbox_t *self, uint64_t seq, const uint8_t hash[HB_OUTBOX_DIGEST_BYTES], int result);
/* Ops marked for resending in [first, last]. -1 on an error (logged). */
int64_t hb_outbox_resend_marked(hb_outbox_t *self, uint64_t first, uint64_t last);
/* Op seq: whether it is still marked, and its result now (0 = not held).
 * 0 or -1 (logged). */
int hb_outbox_resend_state(hb_outbox_t *self, uint64_t seq, bool *marked, int *result);
/* As hb_outbox_next_batch, for the ops marked for resending with seq >
 * after_seq: consecutive seqs, acked or not (central's mark is above them,
 * so no SEQ_GAP). */
int hb_outbox_next_resend(hb_outbox_t *self, uint64_t after_seq, size_t max_ops, size_t max_bytes,
                          Hourbank__Batch *batch_out);
/* The highest seq compaction ever deleted (meta.compacted_seq). */
uint64_t hb_outbox_compacted_seq(hb_outbox_t *self);
/* When the last reconcile run ended (meta.reconciled_at; Unix seconds, 0 =
 * never), and setting it (fsynced). -1 on an error (logged). */
int64_t hb_outbox_reconciled_at(hb_outbox_t *self);
int hb_outbox_set_reconciled_at(hb_outbox_t *self, int64_t at);

#endif
