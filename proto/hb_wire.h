/* hb_wire.h - the only way hourbank packs and unpacks messages.
 *
 * Every message is one Hourbank__Envelope (proto/hourbank.proto, compiled
 * at build time into hourbank.pb-c.h). hb_wire_unpack() is the boundary:
 * frame size, then decoding, then protocol version, then every field of the
 * body — except inside a Batch, where only its structure is checked
 * (1..HB_BATCH_OPS_MAX ops, each present, consecutive seqs in
 * 1..HB_SEQ_MAX): central checks each op with hb_wire_validate_op() and
 * rejects a bad one alone, so one bad op never blocks a station's queue.
 * hb_wire_validate() checks every op.
 * Replies are validated too: a station does not trust central, and the CLI
 * does not trust the station.
 *
 * What "valid" means, field by field, is spelled out in hb_wire.c next to
 * each body type. In short: strings are strict UTF-8 within their byte
 * limit from hb_limits.h; names, categories and other one-line strings hold
 * no control characters (notes, reasons and messages may hold tab and
 * newline); enums hold known values; member numbers pass
 * hb_memberno_parse(); amounts, counts and pages are within their limits;
 * batch seqs are >= 1 and consecutive; an op encodes to at most
 * HB_OP_BYTES_MAX bytes, unknown fields included (in a SaveRequest, with
 * room left for the seq and member number the station adds).
 *
 * Errors name the field, the value and the limit, e.g.
 *   op seq=12: service.minutes=2000 out of range 1..1440
 * Strings received from a peer are never copied into a message verbatim
 * (member numbers are quoted with non-printable bytes escaped).
 */
#ifndef HB_WIRE_H
#define HB_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hourbank.pb-c.h"
#include "hb_limits.h"
#include "hb_result.h"

/* Birth years accepted in registrations; 0 means "not given".
 * (Belong in hb_limits.h.) */
#ifndef HB_BIRTH_YEAR_MIN
#define HB_BIRTH_YEAR_MIN 1900
#endif
#ifndef HB_BIRTH_YEAR_MAX
#define HB_BIRTH_YEAR_MAX 2100
#endif

/* Why a message was refused. code is HB_RESULT_OK and message "" on
 * success; otherwise code is MALFORMED, UNSUPPORTED_VERSION,
 * BAD_MEMBER_NUMBER or INVALID_DURATION and message is a lowercase line
 * without trailing period, fit to send back in an ErrorReply. */
typedef struct {
    hb_result_t code;
    char message[HB_MESSAGE_BYTES_MAX];
    uint64_t correlation_id;  /* of the refused message once it decoded, else 0 */
} hb_wire_error_t;

/* The op's kind as the ledger and the outbox name it: "register",
 * "service", "gift", "void", "donation"; "invalid" when it has none. */
const char *hb_wire_op_kind_name(const Hourbank__Op *op);

/* Where an Op is being validated. In both, occurred_at must be >= 1 (the
 * CLI sets it; its sanity against a clock is central's check), and the op
 * must have a kind. */
typedef enum {
    /* Inside a Batch (station -> central): seq >= 1 and every member
     * number present. */
    HB_WIRE_OP_IN_BATCH = 1,
    /* Inside a SaveRequest (CLI -> station): seq must be 0 (the station
     * assigns it) and register_member.member_no may be "" (the station
     * allocates it); if given it must be a valid member number. */
    HB_WIRE_OP_IN_SAVE = 2
} hb_wire_op_context_t;

/* Decodes and validates one message of size bytes (data: borrowed).
 * Refuses size 0 or size > HB_MSG_BYTES_MAX before decoding, a message
 * protobuf-c cannot decode, a message not in canonical encoding (protobuf-c
 * silently cuts strings at an embedded NUL; re-encoding exposes it, along
 * with duplicated or default-valued fields), a version other than
 * HB_PROTOCOL_VERSION, and any invalid field.
 * Returns the envelope (caller owns the result; free with hb_wire_free()),
 * or NULL with err filled in. err is always written. */
Hourbank__Envelope *hb_wire_unpack(const void *data, size_t size, hb_wire_error_t *err);

/* As hb_wire_unpack(), for messages whose Batch ops are judged one by one
 * (central's station socket). op_bytes: HB_BATCH_OPS_MAX entries, all
 * written. Canonical encoding is then checked per op: when only ops of a
 * Batch re-encode to another size, the envelope is accepted and
 * op_bytes[i] holds op i's size on the wire (0 for an op in canonical
 * encoding), for hb_wire_check_op_encoding(); anything else that is not
 * canonical (the envelope's or the Batch's own fields, a body given twice)
 * refuses the message, as hb_wire_unpack() does. */
Hourbank__Envelope *hb_wire_unpack_ops(const void *data, size_t size, uint32_t *op_bytes, hb_wire_error_t *err);

/* An op whose size on the wire (wire_bytes from hb_wire_unpack_ops; 0 =
 * canonical) differs from its re-encoding is MALFORMED: its decoded form
 * is not what was sent (e.g. a string cut at U+0000). Returns 0, or -1 with
 * err filled in. err is always written. */
int hb_wire_check_op_encoding(const Hourbank__Op *op, uint32_t wire_bytes, hb_wire_error_t *err);

/* ---- result values (hb_wire_params.c) ---- */

/* True if text is a result's values: one or more "name=value" lines,
 * names of [a-z_] (PROTOCOL.md "Result values"); false for prose. */
bool hb_wire_params_text(const char *text);
/* Splits text in place into at most max params (params[i] filled,
 * ptrs[i] = &params[i]), borrowing its bytes. Returns how many; 0 when
 * text is not values (hb_wire_params_text). */
size_t hb_wire_params_split(char *text, Hourbank__Param *params, Hourbank__Param **ptrs, size_t max);

/* ---- payload hashes (hb_wire_hash.c) ---- */

#define HB_WIRE_HASH_BYTES 32      /* SHA-256 */
#define HB_WIRE_HASH_KEY_BYTES 32  /* central's hash key (table hash_key) */

/* The payload hash central stores for op: SHA-256 of its encoding, a
 * registration's personal fields replaced by a BLAKE2b keyed with key. */
void hb_wire_op_hash(const Hourbank__Op *op, const uint8_t key[HB_WIRE_HASH_KEY_BYTES], uint8_t out[HB_WIRE_HASH_BYTES]);
/* SHA-256 of op's encoding as it is: the hash of every op stored before
 * migration 0012 (a registration's then included its personal fields). */
void hb_wire_op_hash_plain(const Hourbank__Op *op, uint8_t out[HB_WIRE_HASH_BYTES]);

/* Frees an envelope returned by hb_wire_unpack() and sets *env_p = NULL.
 * Does nothing if *env_p is NULL. Not for envelopes built by hand. */
void hb_wire_free(Hourbank__Envelope **env_p);

/* Encodes env (borrowed; env->version must be HB_PROTOCOL_VERSION, which
 * is asserted). On success returns 0 and a malloc'ed buffer in *data_out
 * (caller owns the result; free()) of *size_out bytes. Returns -1, with
 * *data_out = NULL and *size_out = 0, if the encoding would exceed
 * HB_MSG_BYTES_MAX or memory runs out. Does not validate: call
 * hb_wire_validate() first on anything built from outside input. */
int hb_wire_pack(const Hourbank__Envelope *env, void **data_out, size_t *size_out);

/* Initializes env (hourbank__envelope__init) and sets version and
 * correlation_id. The caller then sets body_case and the body pointer. */
void hb_wire_envelope_init(Hourbank__Envelope *env, uint64_t correlation_id);

/* Validates an envelope, whether unpacked or built in memory (NULL strings
 * count as ""). Returns 0, or -1 with err filled in. err is always
 * written. */
int hb_wire_validate(const Hourbank__Envelope *env, hb_wire_error_t *err);

/* Validates one operation as it would be validated inside an envelope.
 * Returns 0, or -1 with err filled in. err is always written. */
int hb_wire_validate_op(const Hourbank__Op *op, hb_wire_op_context_t context, hb_wire_error_t *err);

#endif
