/* posting.h - the posting rules, applied to a group's book in memory.
 *
 * hb_posting_apply() decides one op exactly as the SQL function
 * hb_apply_op() (migrations 0002-0012) does against the database: the same
 * checks in the same order, the same result codes and values, the same
 * transfers and op records. hb_apply_op() stays in the schema as the
 * reference, and tests/integration/itest_posting_diff.c checks that the two
 * agree on random streams of ops. What the database must compute (local
 * days and years in each district's time zone) is loaded by hb_group into
 * the book (hb_book_local_day). */
#ifndef HB_POSTING_H
#define HB_POSTING_H

#include <stdint.h>

#include "book.h"
#include "ledger.h"

typedef struct {
    uint32_t station_id;
    const Hourbank__Op *op;            /* borrowed */
    uint8_t hash[HB_HASH_BYTES];       /* hb_wire_op_hash */
    uint8_t plain_hash[HB_HASH_BYTES]; /* registrations: hb_wire_op_hash_plain, the hash an op
                                          stored before migration 0012 has */
    bool has_plain_hash;
    /* refused before posting (hb_wire_validate_op): the code (else OK) and why */
    hb_result_t refused;
    const char *refusal;
} hb_posting_input_t;

/* Applies in to book and fills out. Returns 0; -1 when the database
 * would have refused the op with an error (its station is unknown), with
 * why in err. */
int hb_posting_apply(hb_book_t *book, const hb_posting_input_t *in, hb_ledger_outcome_t *out, char *err,
                     size_t err_size);

/* The op table's spelling of an op kind. */
const char *hb_posting_kind_name(hb_opk_t kind);
hb_opk_t hb_posting_kind_of(const Hourbank__Op *op);

#endif
