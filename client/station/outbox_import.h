/* outbox_import.h - bringing in a pilot's records: many saves checked and
 * stored in ONE outbox transaction, all or (with skip_bad) the good ones,
 * or none (a dry run, or a refused row without skip_bad). A crash in the
 * middle leaves nothing: SQLite rolls the open transaction back.
 *
 * Each row is saved as hb_outbox_save_group() saves an operator's op (its
 * checks, its request id: a row whose request id is stored already is
 * answered repeated and stores nothing, whoever the operator of the rerun
 * is; other content under it is refused EXISTS_WITH_DIFFERENT_PAYLOAD),
 * after the import's own steps:
 *   - member_of (a request id): the member number of the registration
 *     stored here under it (earlier in this import, or by an earlier one)
 *     fills register_member.family_of or opening.member_no; none stored
 *     (never imported here, refused in this import or by central, or
 *     compacted away after its retention) refuses the row UNKNOWN_MEMBER,
 *     in prose;
 *   - an opening balance: its member must be known here (UNKNOWN_MEMBER,
 *     "role=member\nmember=..."), and no opening balance of the member may
 *     be stored here that central has not refused (OPENING_EXISTS,
 *     "member=...\nstation=...\nseq=...": central takes one per member).
 * Implemented in outbox_import.c; the station's API in station_import.c. */
#ifndef HB_OUTBOX_IMPORT_H
#define HB_OUTBOX_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outbox.h"

/* One row of an import. */
typedef struct {
    const Hourbank__Op *op;        /* in, borrowed: valid in the SAVE context once member_of fills it */
    const char *request_id;        /* in, borrowed: required */
    const char *member_of;         /* in, borrowed: "" or the request id of a registration (above) */
    hb_result_t result;            /* out: OK or why the row is refused */
    bool repeated;                 /* out: its request id was stored before: nothing new */
    uint64_t seq;                  /* out: the op's seq (0 unless stored, or repeated) */
    char member_no[HB_MEMBER_NO_BYTES_MAX + 1];  /* out: a stored registration's number; an opening's member */
    char msg[HB_MESSAGE_BYTES_MAX];              /* out: a refusal: "name=value" lines, or prose */
    bool member_new;               /* internal: member_of named a registration of this import */
} hb_outbox_import_row_t;

/* How an import goes, and what it did. */
typedef struct {
    bool dry_run;                  /* in: check every row as if storing, store nothing */
    bool skip_bad;                 /* in: store the rows not refused even when some are */
    bool confirm_new;              /* in: as SaveRequest.confirm_new, for every registration */
    const char *default_operator;  /* in, borrowed: as hb_outbox_save_t's */
    size_t refused, repeated, added;  /* out: rows of each outcome (added: stored anew, or would be) */
    bool stored;                   /* out: the transaction was committed */
} hb_outbox_import_t;

/* Checks and (see above) stores rows[0..n) in row order, n <=
 * HB_IMPORT_ROWS_MAX. Returns HB_RESULT_OK with every row's outcome and
 * imp's counts (stored says whether anything was kept; a row's seq and a
 * new registration's number are cleared when not), AWAITING_CENTRAL while
 * the file is restored (hb_outbox_restored), or INTERNAL / OUTBOX_FULL
 * with msg on a disk error: nothing is stored. An opening's member found
 * through a registration of this import is cleared too when nothing was
 * stored. */
hb_result_t hb_outbox_import(hb_outbox_t *self, hb_outbox_import_row_t *rows, size_t n, hb_outbox_import_t *imp,
                             int64_t now, char *msg, size_t msg_size);

#endif
