#include "hb_wire.h"
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
_Static_assert(HB_RESULT_LAST == HB_RESULT_NO_DISTRICT_RULES, "HB_RESULT_LAST must be the highest code");

/* Room for a field's path in an error message, e.g. "op seq=12: service." */
#define WHERE_BYTES 64
/* A member number quoted with every byte escaped as \xNN, plus NUL. */
#define QUOTED_MEMBER_NO_BYTES (HB_MEMBER_NO_BYTES_MAX * 4 + 1)
/* A time zone field quoted back: each byte may become \xNN. */
#define QUOTED_ZONE_BYTES (HB_TIME_ZONE_BYTES_MAX * 4 + 1)

/* ---- errors ---- */

static void
error_clear(hb_wire_error_t *err)
{
    err->code = HB_RESULT_OK;
    err->message[0] = '\0';
    err->correlation_id = 0;
}

static int fail(hb_wire_error_t *err, hb_result_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fills err and returns -1, so validators can `return fail(...)`. */
static int
fail(hb_wire_error_t *err, hb_result_t code, const char *fmt, ...)
{
    hb_assert(code != HB_RESULT_OK && code != HB_RESULT_UNSET);
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* Formats the path of a field for error messages; a path cut short only
 * shortens a message, so truncation is accepted here. */
static void where_format(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
where_format(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, size, fmt, ap);
    va_end(ap);
}

/* ---- UTF-8 and text ---- */

/* C0 controls, DEL and C1 controls (terminals act on all of them). */
static bool
is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

enum {
    TEXT_LINE = 1 << 0,       /* one line: no control characters */
    TEXT_NOTE = 1 << 1,       /* free text: tab and newline allowed */
    TEXT_REQUIRED = 1 << 2,   /* must not be empty */
    TEXT_MEMBER_NO = 1 << 3,  /* a member number (or "" unless required) */
};

/* One string field of a message, found by offset. */
typedef struct {
    const char *name;
    size_t offset;
    size_t max_bytes;
    unsigned flags;
} text_rule_t;

#define TEXT(type, field, max, flags) {#field, offsetof(type, field), (max), (flags)}
#define MEMBER_NO(type, field, flags) \
    {#field, offsetof(type, field), HB_MEMBER_NO_BYTES_MAX, TEXT_MEMBER_NO | (flags)}

static const char *
text_at(const void *msg, size_t offset)
{
    const char *const *field = (const char *const *) (const void *) ((const char *) msg + offset);
    return *field ? *field : "";
}

/* Copies s into out, printable ASCII as is and every other byte as \xNN. */
static void
quote_bytes(char *out, size_t size, const char *s)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *) s; *p && o + 5 <= size; p++) {
        if (*p >= 0x20 && *p < 0x7F && *p != '"' && *p != '\\')
            out[o++] = (char) *p;
        else
            o += (size_t) snprintf(out + o, size - o, "\\x%02X", *p);
    }
    out[o] = '\0';
}

static int
check_member_no(hb_wire_error_t *err, const char *where, const text_rule_t *rule, const char *s)
{
    size_t len = strlen(s);
    if (len == 0 && !(rule->flags & TEXT_REQUIRED))
        return 0;
    if (len == 0)
        return fail(err, HB_RESULT_BAD_MEMBER_NUMBER, "%s%s is empty, a member number is required", where,
                    rule->name);
    if (len > rule->max_bytes)
        return fail(err, HB_RESULT_BAD_MEMBER_NUMBER, "%s%s is %zu bytes, a member number has at most %zu",
                    where, rule->name, len, rule->max_bytes);
    if (hb_memberno_parse(s, NULL, NULL) != HB_RESULT_OK) {
        char quoted[QUOTED_MEMBER_NO_BYTES];
        quote_bytes(quoted, sizeof quoted, s);
        return fail(err, HB_RESULT_BAD_MEMBER_NUMBER, "%s%s=\"%s\" is not a valid member number", where,
                    rule->name, quoted);
    }
    return 0;
}

static int
check_text(hb_wire_error_t *err, const char *where, const text_rule_t *rule, const char *s)
{
    if (rule->flags & TEXT_MEMBER_NO)
        return check_member_no(err, where, rule, s);
    size_t len = strlen(s);
    if (len > rule->max_bytes)
        return fail(err, HB_RESULT_MALFORMED, "%s%s is %zu bytes, limit %zu", where, rule->name, len,
                    rule->max_bytes);
    if (len == 0 && (rule->flags & TEXT_REQUIRED))
        return fail(err, HB_RESULT_MALFORMED, "%s%s must not be empty", where, rule->name);
    const unsigned char *u = (const unsigned char *) s;
    for (size_t at = 0, n; at < len; at += n) {
        uint32_t cp;
        n = hb_utf8_decode(u + at, len - at, &cp);
        if (n == 0)
            return fail(err, HB_RESULT_MALFORMED, "%s%s is not valid UTF-8 at byte %zu", where, rule->name, at);
        bool allowed = (rule->flags & TEXT_NOTE) && (cp == '\n' || cp == '\t');
        if (is_control(cp) && !allowed)
            return fail(err, HB_RESULT_MALFORMED, "%s%s contains control character U+%04" PRIX32 " at byte %zu",
                        where, rule->name, cp, at);
    }
    return 0;
}

static int
check_texts(hb_wire_error_t *err, const char *where, const void *msg, const text_rule_t *rules, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (check_text(err, where, &rules[i], text_at(msg, rules[i].offset)) != 0)
            return -1;
    }
    return 0;
}

#define CHECK_TEXTS(err, where, msg, rules) \
    check_texts((err), (where), (msg), (rules), sizeof(rules) / sizeof((rules)[0]))

/* ---- numbers and enums ---- */

static int
check_i64(hb_wire_error_t *err, const char *where, const char *name, int64_t v, int64_t lo, int64_t hi,
          hb_result_t code)
{
    if (v >= lo && v <= hi)
        return 0;
    if (hi == INT64_MAX)
        return fail(err, code, "%s%s=%" PRId64 " must be at least %" PRId64, where, name, v, lo);
    return fail(err, code, "%s%s=%" PRId64 " out of range %" PRId64 "..%" PRId64, where, name, v, lo, hi);
}

static int
check_u64(hb_wire_error_t *err, const char *where, const char *name, uint64_t v, uint64_t lo, uint64_t hi)
{
    if (v >= lo && v <= hi)
        return 0;
    if (hi == UINT64_MAX)
        return fail(err, HB_RESULT_MALFORMED, "%s%s=%" PRIu64 " must be at least %" PRIu64, where, name, v, lo);
    return fail(err, HB_RESULT_MALFORMED, "%s%s=%" PRIu64 " out of range %" PRIu64 "..%" PRIu64, where, name, v,
                lo, hi);
}

static int
check_count(hb_wire_error_t *err, const char *where, const char *name, size_t n, size_t lo, size_t hi)
{
    if (n >= lo && n <= hi)
        return 0;
    return fail(err, HB_RESULT_MALFORMED, "%s%s has %zu entries, allowed %zu..%zu", where, name, n, lo, hi);
}

/* A tz database name (hb_zone.h), or "" where the field may be unset: the
 * CLI installs it as its TZ, so nothing else is let through. */
static int
check_zone(hb_wire_error_t *err, const char *where, const char *name, const char *zone)
{
    size_t len = strlen(zone);
    if (len == 0 || hb_zone_name_ok(zone))
        return 0;
    if (len > HB_TIME_ZONE_BYTES_MAX)
        return fail(err, HB_RESULT_MALFORMED, "%s%s is %zu bytes, limit %d", where, name, len,
                    HB_TIME_ZONE_BYTES_MAX);
    char quoted[QUOTED_ZONE_BYTES];
    quote_bytes(quoted, sizeof quoted, zone);
    return fail(err, HB_RESULT_MALFORMED, "%s%s=\"%s\" is not a tz database name", where, name, quoted);
}

/* Instants are Unix seconds; before 1970 is never right. */
static int
check_time(hb_wire_error_t *err, const char *where, const char *name, int64_t t)
{
    return check_i64(err, where, name, t, 0, INT64_MAX, HB_RESULT_MALFORMED);
}

static int
check_balance(hb_wire_error_t *err, const char *where, const char *name, int64_t minutes)
{
    return check_i64(err, where, name, minutes, -HB_ACCOUNT_MINUTES_MAX, HB_ACCOUNT_MINUTES_MAX,
                     HB_RESULT_MALFORMED);
}

/* Registered members are volunteers, elders or both; ROLE_UNSET is not a role. */
static int
check_role(hb_wire_error_t *err, const char *where, Hourbank__Role role)
{
    int v = (int) role;
    if (v == HOURBANK__ROLE__VOLUNTEER || v == HOURBANK__ROLE__ELDER || v == HOURBANK__ROLE__BOTH)
        return 0;
    return fail(err, HB_RESULT_MALFORMED, "%srole=%d is not VOLUNTEER, ELDER or BOTH", where, v);
}

static int
check_birth_year(hb_wire_error_t *err, const char *where, uint32_t year)
{
    if (year == 0)
        return 0;
    return check_i64(err, where, "birth_year", year, HB_BIRTH_YEAR_MIN, HB_BIRTH_YEAR_MAX, HB_RESULT_MALFORMED);
}

enum { RESULT_UNSET_OK = 1 << 0, RESULT_OK_OK = 1 << 1 };

/* A known result code; UNSET and OK only where allow says so. */
static int
check_result(hb_wire_error_t *err, const char *where, const char *name, Hourbank__Result result, unsigned allow)
{
    int v = (int) result;
    if (!hb_result_is_known(v))
        return fail(err, HB_RESULT_MALFORMED, "%s%s=%d is not a known result code", where, name, v);
    if ((v == HB_RESULT_UNSET && !(allow & RESULT_UNSET_OK)) || (v == HB_RESULT_OK && !(allow & RESULT_OK_OK)))
        return fail(err, HB_RESULT_MALFORMED, "%s%s=%s is not allowed here", where, name,
                    hb_result_name((hb_result_t) v));
    return 0;
}

static int
check_op_ref(hb_wire_error_t *err, const char *where, const char *name, const Hourbank__OpRef *ref)
{
    char sub[WHERE_BYTES];
    where_format(sub, sizeof sub, "%s%s.", where, name);
    if (check_u64(err, sub, "station_id", ref->station_id, 1, HB_STATION_ID_MAX) != 0)
        return -1;
    return check_u64(err, sub, "seq", ref->seq, 1, HB_SEQ_MAX);
}

/* The member of a oneof selected by its case (a field number), or NULL
 * if the case names no field; *name is the field's name in the .proto. */
static const void *
oneof_member(const ProtobufCMessageDescriptor *desc, const void *msg, int which, const char **name)
{
    const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field(desc, (unsigned) which);
    if (field == NULL || field->type != PROTOBUF_C_TYPE_MESSAGE)
        return NULL;
    *name = field->name;
    return *(const void *const *) (const void *) ((const char *) msg + field->offset);
}

/* ---- operations ---- */

static int
validate_register(hb_wire_error_t *err, const char *where, const Hourbank__RegisterMember *m,
                  hb_wire_op_context_t context)
{
    const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__RegisterMember, member_no, context == HB_WIRE_OP_IN_BATCH ? TEXT_REQUIRED : 0),
        TEXT(Hourbank__RegisterMember, name, HB_NAME_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
        MEMBER_NO(Hourbank__RegisterMember, family_of, 0),
    };
    if (context == HB_WIRE_OP_IN_SAVE && text_at(m, offsetof(Hourbank__RegisterMember, member_no))[0] != '\0')
        return fail(err, HB_RESULT_MALFORMED, "%smember_no must be empty: the station allocates member numbers",
                    where);
    if (CHECK_TEXTS(err, where, m, rules) != 0 || check_role(err, where, m->role) != 0)
        return -1;
    return check_birth_year(err, where, m->birth_year);
}

static int
validate_service(hb_wire_error_t *err, const char *where, const Hourbank__ServiceRecord *s)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__ServiceRecord, provider, TEXT_REQUIRED),
        MEMBER_NO(Hourbank__ServiceRecord, recipient, TEXT_REQUIRED),
        TEXT(Hourbank__ServiceRecord, category, HB_CATEGORY_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
        TEXT(Hourbank__ServiceRecord, note, HB_NOTE_BYTES_MAX, TEXT_NOTE),
    };
    if (CHECK_TEXTS(err, where, s, rules) != 0)
        return -1;
    return check_i64(err, where, "minutes", s->minutes, 1, HB_RECORD_MINUTES_MAX, HB_RESULT_INVALID_DURATION);
}

static int
validate_gift(hb_wire_error_t *err, const char *where, const Hourbank__Gift *g)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__Gift, from_member, TEXT_REQUIRED),
        MEMBER_NO(Hourbank__Gift, to_member, TEXT_REQUIRED),
        TEXT(Hourbank__Gift, reason, HB_NOTE_BYTES_MAX, TEXT_NOTE),
    };
    if (CHECK_TEXTS(err, where, g, rules) != 0)
        return -1;
    return check_i64(err, where, "minutes", g->minutes, 1, HB_GIFT_MINUTES_MAX, HB_RESULT_INVALID_DURATION);
}

static int
validate_void(hb_wire_error_t *err, const char *where, const Hourbank__Void *v)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__Void, reason, HB_NOTE_BYTES_MAX, TEXT_NOTE | TEXT_REQUIRED),
    };
    if (v->target == NULL)
        return fail(err, HB_RESULT_MALFORMED, "%starget is missing", where);
    if (check_op_ref(err, where, "target", v->target) != 0)
        return -1;
    return CHECK_TEXTS(err, where, v, rules);
}

static int
validate_op_kind(hb_wire_error_t *err, const char *where, const Hourbank__Op *op, hb_wire_op_context_t context)
{
    const char *name = NULL;
    const void *kind = oneof_member(&hourbank__op__descriptor, op, (int) op->kind_case, &name);
    if (op->kind_case == HOURBANK__OP__KIND__NOT_SET)
        return fail(err, HB_RESULT_MALFORMED, "%sop has no kind", where);
    if (kind == NULL)
        return fail(err, HB_RESULT_MALFORMED, "%sop kind %d is unknown or empty", where, (int) op->kind_case);
    char sub[WHERE_BYTES];
    where_format(sub, sizeof sub, "%s%s.", where, name);
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_REGISTER_MEMBER: return validate_register(err, sub, kind, context);
    case HOURBANK__OP__KIND_SERVICE: return validate_service(err, sub, kind);
    case HOURBANK__OP__KIND_GIFT: return validate_gift(err, sub, kind);
    case HOURBANK__OP__KIND_VOID_OP: return validate_void(err, sub, kind);
    default: return fail(err, HB_RESULT_MALFORMED, "%sop kind %d is unknown", where, (int) op->kind_case);
    }
}

/* An op's encoding, unknown fields included (protobuf-c keeps them and
 * encodes them again), fits HB_OP_BYTES_MAX: the station stores ops in a
 * buffer of that size (client/outbox.c). In a SaveRequest it must leave
 * room for what the station adds: the seq (a tag byte and a varint), an
 * allocated member number (tag, length byte and number) and one more byte
 * of length prefix for the grown register_member. Call only once the kind
 * is known valid (no NULL sub-message). */
#define VARINT_BYTES_MAX 10
#define SAVE_GROWTH_BYTES (1 + VARINT_BYTES_MAX + 2 + HB_MEMBER_NO_BYTES_MAX + 1)
_Static_assert(SAVE_GROWTH_BYTES < HB_OP_BYTES_MAX, "room for an op in a SaveRequest");

static int
check_op_size(hb_wire_error_t *err, const char *where, const Hourbank__Op *op, hb_wire_op_context_t context)
{
    size_t limit = context == HB_WIRE_OP_IN_SAVE ? HB_OP_BYTES_MAX - SAVE_GROWTH_BYTES : HB_OP_BYTES_MAX;
    size_t size = hourbank__op__get_packed_size(op);
    if (size <= limit)
        return 0;
    return fail(err, HB_RESULT_MALFORMED, "%sop encodes to %zu bytes (unknown fields included), limit %zu", where,
                size, limit);
}

/* where: prefix for errors, e.g. "op seq=12: " or "save.op: ". */
static int
validate_op(hb_wire_error_t *err, const char *where, const Hourbank__Op *op, hb_wire_op_context_t context)
{
    if (context == HB_WIRE_OP_IN_BATCH && check_u64(err, where, "seq", op->seq, 1, UINT64_MAX) != 0)
        return -1;
    if (context == HB_WIRE_OP_IN_SAVE && op->seq != 0)
        return fail(err, HB_RESULT_MALFORMED, "%sseq=%" PRIu64 " must be 0, the station assigns it", where,
                    op->seq);
    if (check_i64(err, where, "occurred_at", op->occurred_at, 1, HB_OCCURRED_AT_S_MAX, HB_RESULT_MALFORMED) != 0 ||
        validate_op_kind(err, where, op, context) != 0)
        return -1;
    return check_op_size(err, where, op, context);
}

int
hb_wire_validate_op(const Hourbank__Op *op, hb_wire_op_context_t context, hb_wire_error_t *err)
{
    hb_assert(op && err);
    hb_assert(context == HB_WIRE_OP_IN_BATCH || context == HB_WIRE_OP_IN_SAVE);
    error_clear(err);
    char where[WHERE_BYTES];
    if (context == HB_WIRE_OP_IN_BATCH)
        where_format(where, sizeof where, "op seq=%" PRIu64 ": ", op->seq);
    else
        where_format(where, sizeof where, "save.op: ");
    return validate_op(err, where, op, context);
}

/* ---- station <-> central ---- */

static int
validate_hello(hb_wire_error_t *err, const char *where, const Hourbank__Hello *h)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__Hello, software, HB_SOFTWARE_BYTES_MAX, TEXT_LINE),
    };
    if (check_u64(err, where, "station_id", h->station_id, 1, UINT64_MAX) != 0 ||
        check_u64(err, where, "last_acked_seq", h->last_acked_seq, 0, HB_SEQ_MAX) != 0)
        return -1;
    return CHECK_TEXTS(err, where, h, rules);
}

static int
validate_welcome(hb_wire_error_t *err, const char *where, const Hourbank__Welcome *w)
{
    if (check_u64(err, where, "member_serial_mark", w->member_serial_mark, 0, HB_MEMBER_SERIAL_MAX) != 0 ||
        check_zone(err, where, "time_zone", text_at(w, offsetof(Hourbank__Welcome, time_zone))) != 0)
        return -1;
    return check_time(err, where, "server_time", w->server_time);
}

/* How much of a Batch is checked. hb_wire_validate checks every op;
 * hb_wire_unpack checks the structure only, so that central can reject a
 * bad op on its own (with hb_wire_validate_op) and still answer the rest:
 * refusing the whole batch would make a station resend it forever. */
typedef enum { BATCH_CHECK_OPS, BATCH_CHECK_STRUCTURE } batch_check_t;

/* Structure: 1..HB_BATCH_OPS_MAX ops, each present, with consecutive seqs
 * in 1..HB_SEQ_MAX. */
static int
validate_batch(hb_wire_error_t *err, const char *where, const Hourbank__Batch *b, batch_check_t check)
{
    if (check_count(err, where, "ops", b->n_ops, 1, HB_BATCH_OPS_MAX) != 0)
        return -1;
    for (size_t i = 0; i < b->n_ops; i++) {
        const Hourbank__Op *op = b->ops[i];
        char sub[WHERE_BYTES];
        where_format(sub, sizeof sub, "%sops[%zu].", where, i);
        if (op == NULL)
            return fail(err, HB_RESULT_MALFORMED, "%sops[%zu] is missing", where, i);
        if (check_u64(err, sub, "seq", op->seq, 1, HB_SEQ_MAX) != 0)
            return -1;
        if (i > 0 && op->seq != b->ops[i - 1]->seq + 1)
            return fail(err, HB_RESULT_MALFORMED,
                        "%sops[%zu].seq=%" PRIu64 " follows seq=%" PRIu64 ", seqs must be consecutive", where, i,
                        op->seq, b->ops[i - 1]->seq);
    }
    for (size_t i = 0; check == BATCH_CHECK_OPS && i < b->n_ops; i++) {
        if (hb_wire_validate_op(b->ops[i], HB_WIRE_OP_IN_BATCH, err) != 0)
            return -1;
    }
    return 0;
}

static int
validate_op_result(hb_wire_error_t *err, const char *where, const Hourbank__OpResult *r)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__OpResult, message, HB_MESSAGE_BYTES_MAX, TEXT_NOTE),
    };
    if (check_u64(err, where, "seq", r->seq, 1, UINT64_MAX) != 0 ||
        check_result(err, where, "result", r->result, RESULT_OK_OK) != 0)
        return -1;
    if (r->result != HOURBANK__RESULT__OK && r->transfer_id != 0)
        return fail(err, HB_RESULT_MALFORMED, "%stransfer_id=%" PRIu64 " but result is %s", where, r->transfer_id,
                    hb_result_name((hb_result_t) r->result));
    return CHECK_TEXTS(err, where, r, rules);
}

/* OK carries one result per op of the batch (consecutive seqs); any other
 * batch_result refuses the whole batch and carries none. */
static int
validate_batch_ack(hb_wire_error_t *err, const char *where, const Hourbank__BatchAck *a)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__BatchAck, message, HB_MESSAGE_BYTES_MAX, TEXT_NOTE),
    };
    if (check_result(err, where, "batch_result", a->batch_result, RESULT_OK_OK) != 0 ||
        CHECK_TEXTS(err, where, a, rules) != 0)
        return -1;
    size_t lo = a->batch_result == HOURBANK__RESULT__OK ? 1 : 0;
    size_t hi = a->batch_result == HOURBANK__RESULT__OK ? HB_BATCH_OPS_MAX : 0;
    if (check_count(err, where, "results", a->n_results, lo, hi) != 0)
        return -1;
    for (size_t i = 0; i < a->n_results; i++) {
        const Hourbank__OpResult *r = a->results[i];
        char sub[WHERE_BYTES];
        where_format(sub, sizeof sub, "%sresults[%zu].", where, i);
        if (r == NULL)
            return fail(err, HB_RESULT_MALFORMED, "%sresults[%zu] is missing", where, i);
        if (i > 0 && r->seq != a->results[i - 1]->seq + 1)
            return fail(err, HB_RESULT_MALFORMED, "%sseq=%" PRIu64 " follows seq=%" PRIu64 ", seqs must be consecutive",
                        sub, r->seq, a->results[i - 1]->seq);
        if (validate_op_result(err, sub, r) != 0)
            return -1;
    }
    return 0;
}

/* ---- queries ---- */

static int
validate_balance_query(hb_wire_error_t *err, const char *where, const Hourbank__BalanceQuery *q)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__BalanceQuery, member_no, TEXT_REQUIRED),
    };
    return CHECK_TEXTS(err, where, q, rules);
}

static int
validate_balance_reply(hb_wire_error_t *err, const char *where, const Hourbank__BalanceReply *r)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__BalanceReply, member_no, TEXT_REQUIRED),
    };
    if (CHECK_TEXTS(err, where, r, rules) != 0 ||
        check_balance(err, where, "balance_minutes", r->balance_minutes) != 0 ||
        check_balance(err, where, "pending_minutes", r->pending_minutes) != 0)
        return -1;
    return check_time(err, where, "as_of", r->as_of);
}

static int
validate_statement_query(hb_wire_error_t *err, const char *where, const Hourbank__StatementQuery *q)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__StatementQuery, member_no, TEXT_REQUIRED),
    };
    if (CHECK_TEXTS(err, where, q, rules) != 0 || check_u64(err, where, "limit", q->limit, 0, HB_PAGE_ENTRIES_MAX) != 0 ||
        check_u64(err, where, "before_id", q->before_id, 0, HB_ROW_ID_MAX) != 0)
        return -1;
    return check_i64(err, where, "since", q->since, 0, HB_OCCURRED_AT_S_MAX, HB_RESULT_MALFORMED);
}

static int
validate_statement_entry(hb_wire_error_t *err, const char *where, const Hourbank__StatementEntry *e)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__StatementEntry, counterparty, HB_NAME_BYTES_MAX, TEXT_LINE),
        TEXT(Hourbank__StatementEntry, kind, HB_CATEGORY_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
        TEXT(Hourbank__StatementEntry, category, HB_CATEGORY_BYTES_MAX, TEXT_LINE),
    };
    if (check_u64(err, where, "transfer_id", e->transfer_id, 1, UINT64_MAX) != 0 ||
        check_time(err, where, "posted_at", e->posted_at) != 0 ||
        check_time(err, where, "occurred_at", e->occurred_at) != 0 ||
        check_balance(err, where, "minutes", e->minutes) != 0 || CHECK_TEXTS(err, where, e, rules) != 0)
        return -1;
    if (e->minutes == 0)
        return fail(err, HB_RESULT_MALFORMED, "%sminutes=0, an entry moves at least one minute", where);
    /* a transfer no station op caused (e.g. an overflow donation) has no op;
     * an all-zero OpRef means the same as an absent one */
    if (e->op == NULL || (e->op->station_id == 0 && e->op->seq == 0))
        return 0;
    return check_op_ref(err, where, "op", e->op);
}

static int
validate_statement_reply(hb_wire_error_t *err, const char *where, const Hourbank__StatementReply *r)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__StatementReply, member_no, TEXT_REQUIRED),
    };
    if (CHECK_TEXTS(err, where, r, rules) != 0 ||
        check_count(err, where, "entries", r->n_entries, 0, HB_PAGE_ENTRIES_MAX) != 0)
        return -1;
    for (size_t i = 0; i < r->n_entries; i++) {
        char sub[WHERE_BYTES];
        where_format(sub, sizeof sub, "%sentries[%zu].", where, i);
        if (r->entries[i] == NULL)
            return fail(err, HB_RESULT_MALFORMED, "%sentries[%zu] is missing", where, i);
        if (validate_statement_entry(err, sub, r->entries[i]) != 0)
            return -1;
    }
    return 0;
}

/* Exactly one of member_no (exact lookup) and text (name substring). */
static int
validate_member_query(hb_wire_error_t *err, const char *where, const Hourbank__MemberQuery *q)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__MemberQuery, member_no, 0),
        TEXT(Hourbank__MemberQuery, text, HB_SEARCH_BYTES_MAX, TEXT_LINE),
    };
    bool by_number = text_at(q, offsetof(Hourbank__MemberQuery, member_no))[0] != '\0';
    bool by_text = text_at(q, offsetof(Hourbank__MemberQuery, text))[0] != '\0';
    if (by_number == by_text)
        return fail(err, HB_RESULT_MALFORMED, "%sexactly one of member_no and text must be given (%s)", where,
                    by_number ? "both are" : "neither is");
    return CHECK_TEXTS(err, where, q, rules);
}

static int
validate_member(hb_wire_error_t *err, const char *where, const Hourbank__Member *m)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__Member, member_no, TEXT_REQUIRED),
        TEXT(Hourbank__Member, name, HB_NAME_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
        MEMBER_NO(Hourbank__Member, family_of, 0),
    };
    if (CHECK_TEXTS(err, where, m, rules) != 0 || check_role(err, where, m->role) != 0 ||
        check_birth_year(err, where, m->birth_year) != 0)
        return -1;
    return check_balance(err, where, "balance_minutes", m->balance_minutes);
}

static int
validate_members(hb_wire_error_t *err, const char *where, Hourbank__Member *const *members, size_t n, size_t max)
{
    if (check_count(err, where, "members", n, 0, max) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char sub[WHERE_BYTES];
        where_format(sub, sizeof sub, "%smembers[%zu].", where, i);
        if (members[i] == NULL)
            return fail(err, HB_RESULT_MALFORMED, "%smembers[%zu] is missing", where, i);
        if (validate_member(err, sub, members[i]) != 0)
            return -1;
    }
    return 0;
}

static int
validate_member_reply(hb_wire_error_t *err, const char *where, const Hourbank__MemberReply *r)
{
    return validate_members(err, where, r->members, r->n_members, HB_SEARCH_RESULTS_MAX);
}

static int
validate_directory_query(hb_wire_error_t *err, const char *where, const Hourbank__DirectoryQuery *q)
{
    if (check_u64(err, where, "since_version", q->since_version, 0, HB_ROW_ID_MAX) != 0)
        return -1;
    return check_u64(err, where, "limit", q->limit, 0, HB_PAGE_ENTRIES_MAX);
}

static int
validate_directory_reply(hb_wire_error_t *err, const char *where, const Hourbank__DirectoryReply *r)
{
    return validate_members(err, where, r->members, r->n_members, HB_PAGE_ENTRIES_MAX);
}

/* An error carries a real failure: neither UNSET nor OK. */
static int
validate_error_reply(hb_wire_error_t *err, const char *where, const Hourbank__ErrorReply *e)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__ErrorReply, message, HB_MESSAGE_BYTES_MAX, TEXT_NOTE),
    };
    if (check_result(err, where, "code", e->code, 0) != 0)
        return -1;
    return CHECK_TEXTS(err, where, e, rules);
}

/* ---- CLI <-> station ---- */

static int
validate_save(hb_wire_error_t *err, const char *where, const Hourbank__SaveRequest *s)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__SaveRequest, request_id, HB_REQUEST_ID_BYTES_MAX, TEXT_LINE),
    };
    if (s->op == NULL)
        return fail(err, HB_RESULT_MALFORMED, "%sop is missing", where);
    if (CHECK_TEXTS(err, where, s, rules) != 0)
        return -1;
    return hb_wire_validate_op(s->op, HB_WIRE_OP_IN_SAVE, err);
}

static int
validate_save_reply(hb_wire_error_t *err, const char *where, const Hourbank__SaveReply *r)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__SaveReply, member_no, 0),
    };
    if (check_u64(err, where, "seq", r->seq, 1, UINT64_MAX) != 0)
        return -1;
    return CHECK_TEXTS(err, where, r, rules);
}

static int
validate_queued_op(hb_wire_error_t *err, const char *where, const Hourbank__QueuedOp *q)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__QueuedOp, kind, HB_CATEGORY_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
        TEXT(Hourbank__QueuedOp, summary, HB_NOTE_BYTES_MAX, TEXT_NOTE),
        TEXT(Hourbank__QueuedOp, message, HB_MESSAGE_BYTES_MAX, TEXT_NOTE),
        TEXT(Hourbank__QueuedOp, note, HB_NOTE_BYTES_MAX, TEXT_NOTE),
        TEXT(Hourbank__QueuedOp, request_id, HB_REQUEST_ID_BYTES_MAX, TEXT_LINE),
        TEXT(Hourbank__QueuedOp, prior_message, HB_MESSAGE_BYTES_MAX, TEXT_NOTE),
    };
    if (check_u64(err, where, "seq", q->seq, 1, UINT64_MAX) != 0 ||
        check_time(err, where, "saved_at", q->saved_at) != 0 ||
        check_time(err, where, "acked_at", q->acked_at) != 0 ||
        check_result(err, where, "result", q->result, RESULT_UNSET_OK | RESULT_OK_OK) != 0 ||
        check_result(err, where, "prior_result", q->prior_result, RESULT_UNSET_OK | RESULT_OK_OK) != 0)
        return -1;
    return CHECK_TEXTS(err, where, q, rules);
}

static int
check_link(hb_wire_error_t *err, const char *where, const char *link)
{
    static const char *const states[] = {"up", "down", "connecting"};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        if (strcmp(link, states[i]) == 0)
            return 0;
    }
    return fail(err, HB_RESULT_MALFORMED, "%slink is not \"up\", \"down\" or \"connecting\"", where);
}

/* At most one way of choosing ops; the search text is one line. */
static int
validate_queue_query(hb_wire_error_t *err, const char *where, const Hourbank__QueueQuery *q)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__QueueQuery, note_contains, HB_SEARCH_BYTES_MAX, TEXT_LINE),
    };
    int ways = (q->seq != 0) + (text_at(q, offsetof(Hourbank__QueueQuery, note_contains))[0] != '\0') +
               q->changed_only;
    if (ways > 1)
        return fail(err, HB_RESULT_MALFORMED, "%sat most one of seq, note_contains and changed_only may be set",
                    where);
    if (check_u64(err, where, "seq", q->seq, 0, HB_SEQ_MAX) != 0)
        return -1;
    return CHECK_TEXTS(err, where, q, rules);
}

static int
validate_queue_reply(hb_wire_error_t *err, const char *where, const Hourbank__QueueReply *r)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__QueueReply, alert, HB_ALERT_BYTES_MAX, TEXT_LINE),
    };
    if (CHECK_TEXTS(err, where, r, rules) != 0 ||
        check_time(err, where, "oldest_pending_at", r->oldest_pending_at) != 0 ||
        check_time(err, where, "last_sync", r->last_sync) != 0 ||
        check_link(err, where, text_at(r, offsetof(Hourbank__QueueReply, link))) != 0 ||
        check_zone(err, where, "time_zone", text_at(r, offsetof(Hourbank__QueueReply, time_zone))) != 0 ||
        check_count(err, where, "ops", r->n_ops, 0, HB_PAGE_ENTRIES_MAX) != 0)
        return -1;
    for (size_t i = 0; i < r->n_ops; i++) {
        char sub[WHERE_BYTES];
        where_format(sub, sizeof sub, "%sops[%zu].", where, i);
        if (r->ops[i] == NULL)
            return fail(err, HB_RESULT_MALFORMED, "%sops[%zu] is missing", where, i);
        if (validate_queued_op(err, sub, r->ops[i]) != 0)
            return -1;
    }
    return 0;
}

/* ---- catalogue and administration ---- */

static int
validate_dismiss(hb_wire_error_t *err, const char *where, const Hourbank__DismissRequest *d)
{
    return check_u64(err, where, "seq", d->seq, 1, UINT64_MAX);
}

static int
validate_categories_reply(hb_wire_error_t *err, const char *where, const Hourbank__CategoriesReply *r)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__Category, name, HB_CATEGORY_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
        TEXT(Hourbank__Category, description, HB_NOTE_BYTES_MAX, TEXT_NOTE),
    };
    if (check_count(err, where, "categories", r->n_categories, 0, HB_CATEGORIES_MAX) != 0)
        return -1;
    for (size_t i = 0; i < r->n_categories; i++) {
        char sub[WHERE_BYTES];
        where_format(sub, sizeof sub, "%scategories[%zu].", where, i);
        if (r->categories[i] == NULL)
            return fail(err, HB_RESULT_MALFORMED, "%scategories[%zu] is missing", where, i);
        if (CHECK_TEXTS(err, sub, r->categories[i], rules) != 0)
            return -1;
    }
    return 0;
}

static int
validate_stations_reply(hb_wire_error_t *err, const char *where, const Hourbank__StationsReply *r)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__StationInfo, name, HB_NAME_BYTES_MAX, TEXT_LINE),
        TEXT(Hourbank__StationInfo, community, HB_COMMUNITY_CODE_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
        TEXT(Hourbank__StationInfo, alert, HB_ALERT_BYTES_MAX, TEXT_LINE),
    };
    if (check_count(err, where, "stations", r->n_stations, 0, HB_STATIONS_MAX) != 0 ||
        check_zone(err, where, "time_zone", text_at(r, offsetof(Hourbank__StationsReply, time_zone))) != 0)
        return -1;
    for (size_t i = 0; i < r->n_stations; i++) {
        const Hourbank__StationInfo *st = r->stations[i];
        char sub[WHERE_BYTES];
        where_format(sub, sizeof sub, "%sstations[%zu].", where, i);
        if (st == NULL)
            return fail(err, HB_RESULT_MALFORMED, "%sstations[%zu] is missing", where, i);
        if (check_u64(err, sub, "station_id", st->station_id, 1, HB_STATION_ID_MAX) != 0 ||
            check_time(err, sub, "last_contact", st->last_contact) != 0 || CHECK_TEXTS(err, sub, st, rules) != 0)
            return -1;
    }
    return 0;
}

/* ok means "no problems": the two must agree. */
static int
validate_verify_reply(hb_wire_error_t *err, const char *where, const Hourbank__VerifyReply *r)
{
    if (check_count(err, where, "problems", r->n_problems, 0, HB_PAGE_ENTRIES_MAX) != 0 ||
        check_i64(err, where, "accounts", r->accounts, 0, INT64_MAX, HB_RESULT_MALFORMED) != 0 ||
        check_i64(err, where, "transfers", r->transfers, 0, INT64_MAX, HB_RESULT_MALFORMED) != 0)
        return -1;
    if (r->ok != (r->n_problems == 0))
        return fail(err, HB_RESULT_MALFORMED, "%sok=%s but %zu problems are listed", where,
                    r->ok ? "true" : "false", r->n_problems);
    static const text_rule_t rule = {"", 0, HB_MESSAGE_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED};
    for (size_t i = 0; i < r->n_problems; i++) {
        char sub[WHERE_BYTES];
        where_format(sub, sizeof sub, "%sproblems[%zu]", where, i);
        if (check_text(err, sub, &rule, r->problems[i] ? r->problems[i] : "") != 0)
            return -1;
    }
    return 0;
}

/* ---- envelope ---- */

static int
validate_body(hb_wire_error_t *err, const Hourbank__Envelope *env, batch_check_t batch_check)
{
    const char *name = NULL;
    const void *body = oneof_member(&hourbank__envelope__descriptor, env, (int) env->body_case, &name);
    if (env->body_case == HOURBANK__ENVELOPE__BODY__NOT_SET)
        return fail(err, HB_RESULT_MALFORMED, "envelope has no body");
    if (body == NULL)
        return fail(err, HB_RESULT_MALFORMED, "envelope body %d is unknown or empty", (int) env->body_case);
    char where[WHERE_BYTES];
    where_format(where, sizeof where, "%s.", name);
    switch (env->body_case) {
    case HOURBANK__ENVELOPE__BODY_HELLO: return validate_hello(err, where, body);
    case HOURBANK__ENVELOPE__BODY_WELCOME: return validate_welcome(err, where, body);
    case HOURBANK__ENVELOPE__BODY_BATCH: return validate_batch(err, where, body, batch_check);
    case HOURBANK__ENVELOPE__BODY_BATCH_ACK: return validate_batch_ack(err, where, body);
    case HOURBANK__ENVELOPE__BODY_BALANCE_QUERY: return validate_balance_query(err, where, body);
    case HOURBANK__ENVELOPE__BODY_BALANCE_REPLY: return validate_balance_reply(err, where, body);
    case HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY: return validate_statement_query(err, where, body);
    case HOURBANK__ENVELOPE__BODY_STATEMENT_REPLY: return validate_statement_reply(err, where, body);
    case HOURBANK__ENVELOPE__BODY_MEMBER_QUERY: return validate_member_query(err, where, body);
    case HOURBANK__ENVELOPE__BODY_MEMBER_REPLY: return validate_member_reply(err, where, body);
    case HOURBANK__ENVELOPE__BODY_DIRECTORY_QUERY: return validate_directory_query(err, where, body);
    case HOURBANK__ENVELOPE__BODY_DIRECTORY_REPLY: return validate_directory_reply(err, where, body);
    case HOURBANK__ENVELOPE__BODY_ERROR: return validate_error_reply(err, where, body);
    case HOURBANK__ENVELOPE__BODY_SAVE: return validate_save(err, where, body);
    case HOURBANK__ENVELOPE__BODY_SAVE_REPLY: return validate_save_reply(err, where, body);
    case HOURBANK__ENVELOPE__BODY_QUEUE_QUERY: return validate_queue_query(err, where, body);
    case HOURBANK__ENVELOPE__BODY_QUEUE_REPLY: return validate_queue_reply(err, where, body);
    case HOURBANK__ENVELOPE__BODY_DISMISS: return validate_dismiss(err, where, body);
    case HOURBANK__ENVELOPE__BODY_CATEGORIES_QUERY: return 0;  /* no fields */
    case HOURBANK__ENVELOPE__BODY_CATEGORIES_REPLY: return validate_categories_reply(err, where, body);
    case HOURBANK__ENVELOPE__BODY_STATIONS_QUERY: return 0;    /* no fields */
    case HOURBANK__ENVELOPE__BODY_STATIONS_REPLY: return validate_stations_reply(err, where, body);
    case HOURBANK__ENVELOPE__BODY_VERIFY_QUERY: return 0;      /* no fields */
    case HOURBANK__ENVELOPE__BODY_VERIFY_REPLY: return validate_verify_reply(err, where, body);
    case HOURBANK__ENVELOPE__BODY_TIME_ZONE_QUERY: return 0;   /* no fields */
    case HOURBANK__ENVELOPE__BODY_TIME_ZONE_REPLY:
        return check_zone(err, where, "time_zone", text_at(body, offsetof(Hourbank__TimeZoneReply, time_zone)));
    default: return fail(err, HB_RESULT_MALFORMED, "envelope body %d is unknown", (int) env->body_case);
    }
}

static int
check_version(hb_wire_error_t *err, const Hourbank__Envelope *env)
{
    if (env->version == HB_PROTOCOL_VERSION)
        return 0;
    return fail(err, HB_RESULT_UNSUPPORTED_VERSION, "protocol version %" PRIu32 " is not supported, expected %u",
                env->version, HB_PROTOCOL_VERSION);
}

int
hb_wire_validate(const Hourbank__Envelope *env, hb_wire_error_t *err)
{
    hb_assert(env && err);
    error_clear(err);
    if (check_version(err, env) != 0)
        return -1;
    return validate_body(err, env, BATCH_CHECK_OPS);
}

/* protobuf-c cuts a string at an embedded NUL without a word; the decoded
 * envelope then re-encodes shorter than what was received. Encodings from
 * hb_wire_pack() (and from any conforming proto3 encoder) re-encode to the
 * same size. */
static int
not_canonical(hb_wire_error_t *err, size_t size, size_t canonical)
{
    return fail(err, HB_RESULT_MALFORMED,
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
    error_clear(err);
    if (wire_bytes == 0)
        return 0;
    return fail(err, HB_RESULT_MALFORMED,
                "op seq=%" PRIu64 ": op of %" PRIu32 " bytes is not in canonical encoding (re-encodes to %zu"
                " bytes): embedded NUL, duplicate or default-valued field",
                op->seq, wire_bytes, hourbank__op__get_packed_size(op));
}

Hourbank__Envelope *
hb_wire_unpack_ops(const void *data, size_t size, uint32_t *op_bytes, hb_wire_error_t *err)
{
    hb_assert(err);
    error_clear(err);
    if (size == 0 || size > HB_MSG_BYTES_MAX) {
        fail(err, HB_RESULT_MALFORMED, "message of %zu bytes refused, size must be 1..%d", size, HB_MSG_BYTES_MAX);
        return NULL;
    }
    hb_assert(data);
    Hourbank__Envelope *env = hourbank__envelope__unpack(NULL, size, data);
    if (env == NULL) {
        fail(err, HB_RESULT_MALFORMED, "could not decode message of %zu bytes", size);
        return NULL;
    }
    uint64_t correlation_id = env->correlation_id;
    if (check_version(err, env) != 0 || check_canonical(err, env, data, size, op_bytes) != 0 ||
        validate_body(err, env, BATCH_CHECK_STRUCTURE) != 0) {
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
