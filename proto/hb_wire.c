/* hb_wire.c - the wire module's envelope: the hb_result_t mirror of the
 * proto's Result enum, version and canonical-encoding checks, unpack, pack.
 * Message validators are in hb_wire_validate.c, field checks in
 * hb_wire_check.c. */
#include "hb_wire_int.h"
#include "hb_utf8.h"
#include "hb_assert.h"
#include "hb_memberno.h"
#include "hb_zone.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- hb_result_t mirrors the proto's Result enum 1:1 ---- */

#define HB_MIRROR(x)                                                   \
    _Static_assert((int) HB_RESULT_##x == (int) HOURBANK__RESULT__##x, \
                   "hb_result_t " #x " differs from hourbank.proto")
_Static_assert((int) HB_RESULT_UNSET == (int) HOURBANK__RESULT__RESULT_UNSET,
               "hb_result_t UNSET differs from hourbank.proto");
HB_MIRROR(OK);
HB_MIRROR(DUPLICATE);
HB_MIRROR(EXISTS_WITH_DIFFERENT_PAYLOAD);
HB_MIRROR(SEQ_GAP);
HB_MIRROR(MALFORMED);
HB_MIRROR(UNSUPPORTED_VERSION);
HB_MIRROR(NOT_AUTHORIZED);
HB_MIRROR(UNKNOWN_MEMBER);
HB_MIRROR(UNKNOWN_CATEGORY);
HB_MIRROR(INVALID_DURATION);
HB_MIRROR(SELF_SERVICE);
HB_MIRROR(INSUFFICIENT_BALANCE);
HB_MIRROR(CAP_EXCEEDED);
HB_MIRROR(DAILY_LIMIT_EXCEEDED);
HB_MIRROR(OCCURRED_IN_FUTURE);
HB_MIRROR(TOO_OLD);
HB_MIRROR(ALREADY_VOIDED);
HB_MIRROR(UNKNOWN_OPERATION);
HB_MIRROR(BAD_MEMBER_NUMBER);
HB_MIRROR(NOT_FAMILY);
HB_MIRROR(BUDGET_EXHAUSTED);
HB_MIRROR(UNAVAILABLE);
HB_MIRROR(OUTBOX_FULL);
HB_MIRROR(NOT_FOUND);
HB_MIRROR(INTERNAL);
HB_MIRROR(NOT_VOIDABLE);
HB_MIRROR(REGISTRATION_REFUSED);
HB_MIRROR(AWAITING_CENTRAL);
HB_MIRROR(NO_DISTRICT_RULES);
HB_MIRROR(UNKNOWN_OPERATOR);
HB_MIRROR(MEMBER_LEFT);
HB_MIRROR(OPENING_EXISTS);
HB_MIRROR(POSSIBLE_DUPLICATE);
HB_MIRROR(ALREADY_HOME);
HB_MIRROR(SIGN_IN_REFUSED);
_Static_assert(HB_RESULT_LAST == HB_RESULT_SIGN_IN_REFUSED, "HB_RESULT_LAST must be the highest code");


/* ---- envelope ---- */

static int
check_version(hb_wire_error_t *err, const Hourbank__Envelope *env)
{
    if (env->version == HB_PROTOCOL_VERSION)
        return 0;
    return hb_wire__fail(err, HB_RESULT_UNSUPPORTED_VERSION, "protocol version %" PRIu32 " is not supported, expected %u",
                env->version, HB_PROTOCOL_VERSION);
}

int
hb_wire_validate(const Hourbank__Envelope *env, hb_wire_error_t *err)
{
    hb_assert(env && err);
    hb_wire__error_clear(err);
    if (check_version(err, env) != 0)
        return -1;
    return hb_wire__validate_body(err, env, BATCH_CHECK_OPS);
}

/* protobuf-c cuts a string at an embedded NUL without a word; the decoded
 * envelope then re-encodes shorter than what was received. Encodings from
 * hb_wire_pack() (and from any conforming proto3 encoder) re-encode to the
 * same size. */
static int
not_canonical(hb_wire_error_t *err, size_t size, size_t canonical)
{
    return hb_wire__fail(err, HB_RESULT_MALFORMED,
                "message of %zu bytes is not in canonical encoding (re-encodes to %zu bytes): "
                "embedded NUL, duplicate or default-valued field",
                size, canonical);
}

/* ---- canonical encoding of each op of a Batch ----
 * Canonical encoding is a property of each op on its own: a note holding
 * U+0000 makes its op unpostable, not its batch. So when a Batch does not
 * re-encode to its size, the received bytes are walked (protobuf wire
 * format): the envelope apart from its ops, and the Batch apart from its
 * ops, must re-encode exactly (that is envelope-level, refused whole);
 * each op that re-encodes to another size is marked, to be refused alone. */

/* A varint holds at most 64 bits: 10 bytes of 7. */
#define VARINT_BYTES_MAX 10
#define WIRE_VARINT 0
#define WIRE_I64 1
#define WIRE_LEN 2
#define WIRE_I32 5
#define WIRE_I64_BYTES 8
#define WIRE_I32_BYTES 4
#define WIRE_TYPE_BITS 3

/* The varint at p (n bytes left): its length, or 0 when cut short. */
static size_t
varint_read(const uint8_t *p, size_t n, uint64_t *v)
{
    *v = 0;
    for (size_t i = 0; i < n && i < VARINT_BYTES_MAX; i++) {
        *v |= (uint64_t) (p[i] & 0x7F) << (7 * i);
        if (!(p[i] & 0x80))
            return i + 1;
    }
    return 0;
}

static int64_t
varint_size(uint64_t v)
{
    int64_t n = 1;
    for (; v >= 0x80; v >>= 7)
        n++;
    return n;
}

/* The length-delimited fields numbered want in the message p[0..n): the
 * first max (offset, length) pairs are stored; returns how many there are,
 * or -1 when the bytes are not a message. */
static long
wire_fields(const uint8_t *p, size_t n, uint64_t want, size_t *off, size_t *len, size_t max)
{
    long found = 0;
    for (size_t at = 0, k; at < n;) {
        uint64_t tag, v = 0;
        if ((k = varint_read(p + at, n - at, &tag)) == 0)
            return -1;
        at += k;
        switch (tag & ((1u << WIRE_TYPE_BITS) - 1)) {
        case WIRE_VARINT: k = varint_read(p + at, n - at, &v); v = 0; break;
        case WIRE_I64: k = n - at >= WIRE_I64_BYTES ? WIRE_I64_BYTES : 0; break;
        case WIRE_I32: k = n - at >= WIRE_I32_BYTES ? WIRE_I32_BYTES : 0; break;
        case WIRE_LEN: k = varint_read(p + at, n - at, &v); break;
        default: return -1;  /* groups: not proto3 */
        }
        if (k == 0 || v > n - at - k)
            return -1;
        if ((tag >> WIRE_TYPE_BITS) == want && (tag & ((1u << WIRE_TYPE_BITS) - 1)) == WIRE_LEN &&
            (size_t) found < max) {
            off[found] = at + k;
            len[found] = (size_t) v;
        }
        found += (tag >> WIRE_TYPE_BITS) == want;
        at += k + (size_t) v;
    }
    return found;
}

/* Size arithmetic in int64: an op's field is its tag (one byte), its
 * length and its bytes. */
static int64_t
op_field_bytes(size_t len)
{
    return 1 + varint_size(len) + (int64_t) len;
}

/* env's body is a Batch of 1..HB_BATCH_OPS_MAX ops and env re-encodes to
 * canonical bytes, not size. Returns 0 with op_bytes[i] set to op i's
 * size on the wire where it differs from its re-encoding (0 elsewhere),
 * or -1 when more than ops differ. */
static int
check_canonical_ops(hb_wire_error_t *err, const Hourbank__Envelope *env, const uint8_t *data, size_t size,
                    size_t canonical, uint32_t op_bytes[HB_BATCH_OPS_MAX])
{
    const Hourbank__Batch *b = env->batch;
    const ProtobufCFieldDescriptor *ops_field =
        protobuf_c_message_descriptor_get_field_by_name(&hourbank__batch__descriptor, "ops");
    hb_assert(ops_field && ops_field->id == 1);  /* op_field_bytes counts a one-byte tag */
    size_t boff, blen, ooff[HB_BATCH_OPS_MAX], olen[HB_BATCH_OPS_MAX];
    if (wire_fields(data, size, HOURBANK__ENVELOPE__BODY_BATCH, &boff, &blen, 1) != 1 ||
        wire_fields(data + boff, blen, ops_field->id, ooff, olen, HB_BATCH_OPS_MAX) != (long) b->n_ops)
        return not_canonical(err, size, canonical);
    int64_t batch_canonical = (int64_t) hourbank__batch__get_packed_size(b), expect_batch = batch_canonical;
    for (size_t i = 0; i < b->n_ops; i++) {
        size_t op_canonical = hourbank__op__get_packed_size(b->ops[i]);
        expect_batch += op_field_bytes(olen[i]) - op_field_bytes(op_canonical);
        op_bytes[i] = olen[i] == op_canonical ? 0 : (uint32_t) olen[i];
    }
    int64_t expect_env = (int64_t) canonical - varint_size((uint64_t) batch_canonical) - batch_canonical +
                         varint_size(blen) + (int64_t) blen;
    if (expect_batch != (int64_t) blen || expect_env != (int64_t) size)
        return not_canonical(err, size, canonical);
    return 0;
}

/* op_bytes NULL: the whole envelope must be canonical. Otherwise ops of a
 * Batch are judged alone (check_canonical_ops). */
static int
check_canonical(hb_wire_error_t *err, const Hourbank__Envelope *env, const void *data, size_t size,
                uint32_t *op_bytes)
{
    size_t canonical = hourbank__envelope__get_packed_size(env);
    if (op_bytes)
        memset(op_bytes, 0, HB_BATCH_OPS_MAX * sizeof *op_bytes);
    if (canonical == size)
        return 0;
    if (!op_bytes || env->body_case != HOURBANK__ENVELOPE__BODY_BATCH || !env->batch || env->batch->n_ops == 0 ||
        env->batch->n_ops > HB_BATCH_OPS_MAX)
        return not_canonical(err, size, canonical);
    return check_canonical_ops(err, env, data, size, canonical, op_bytes);
}

int
hb_wire_check_op_encoding(const Hourbank__Op *op, uint32_t wire_bytes, hb_wire_error_t *err)
{
    hb_assert(op && err);
    hb_wire__error_clear(err);
    if (wire_bytes == 0)
        return 0;
    return hb_wire__fail(err, HB_RESULT_MALFORMED,
                "op seq=%" PRIu64 ": op of %" PRIu32 " bytes is not in canonical encoding (re-encodes to %zu"
                " bytes): embedded NUL, duplicate or default-valued field",
                op->seq, wire_bytes, hourbank__op__get_packed_size(op));
}

Hourbank__Envelope *
hb_wire_unpack_ops(const void *data, size_t size, uint32_t *op_bytes, hb_wire_error_t *err)
{
    hb_assert(err);
    hb_wire__error_clear(err);
    if (size == 0 || size > HB_MSG_BYTES_MAX) {
        hb_wire__fail(err, HB_RESULT_MALFORMED, "message of %zu bytes refused, size must be 1..%d", size, HB_MSG_BYTES_MAX);
        return NULL;
    }
    hb_assert(data);
    Hourbank__Envelope *env = hourbank__envelope__unpack(NULL, size, data);
    if (env == NULL) {
        hb_wire__fail(err, HB_RESULT_MALFORMED, "could not decode message of %zu bytes", size);
        return NULL;
    }
    uint64_t correlation_id = env->correlation_id;
    if (check_version(err, env) != 0 || check_canonical(err, env, data, size, op_bytes) != 0 ||
        hb_wire__validate_body(err, env, BATCH_CHECK_STRUCTURE) != 0) {
        hb_wire_free(&env);
        err->correlation_id = correlation_id;  /* so the refusal reaches the right caller */
    }
    return env;
}

Hourbank__Envelope *
hb_wire_unpack(const void *data, size_t size, hb_wire_error_t *err)
{
    return hb_wire_unpack_ops(data, size, NULL, err);
}

void
hb_wire_free(Hourbank__Envelope **env_p)
{
    hb_assert(env_p);
    if (*env_p == NULL)
        return;
    hourbank__envelope__free_unpacked(*env_p, NULL);
    *env_p = NULL;
}

int
hb_wire_pack(const Hourbank__Envelope *env, void **data_out, size_t *size_out)
{
    hb_assert(env && data_out && size_out);
    hb_assert(env->version == HB_PROTOCOL_VERSION);
    *data_out = NULL;
    *size_out = 0;
    size_t size = hourbank__envelope__get_packed_size(env);
    if (size > HB_MSG_BYTES_MAX)
        return -1;
    uint8_t *buf = malloc(size);
    if (buf == NULL)
        return -1;
    size_t packed = hourbank__envelope__pack(env, buf);
    hb_assert(packed == size);
    *data_out = buf;
    *size_out = size;
    return 0;
}

void
hb_wire_envelope_init(Hourbank__Envelope *env, uint64_t correlation_id)
{
    hb_assert(env);
    hourbank__envelope__init(env);
    env->version = HB_PROTOCOL_VERSION;
    env->correlation_id = correlation_id;
}

const char *
hb_wire_op_kind_name(const Hourbank__Op *op)
{
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_REGISTER_MEMBER: return "register";
    case HOURBANK__OP__KIND_SERVICE: return "service";
    case HOURBANK__OP__KIND_GIFT: return "gift";
    case HOURBANK__OP__KIND_VOID_OP: return "void";
    case HOURBANK__OP__KIND_DONATION: return "donation";
    case HOURBANK__OP__KIND_AMEND: return "amend";
    case HOURBANK__OP__KIND_MOVE: return "move";
    case HOURBANK__OP__KIND_LEAVE: return "leave";
    case HOURBANK__OP__KIND_OPENING: return "opening";
    default: return "invalid";
    }
}
