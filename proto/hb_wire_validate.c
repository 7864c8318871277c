/* hb_wire_validate.c - the validator of each message body: operations,
 * station <-> central, CLI <-> station, catalogue and administration, and
 * hb_wire__validate_body, which picks one by the envelope's body case.
 * Queries and their replies are in hb_wire_validate_query.c; field-level
 * checks are in hb_wire_check.c (hb_wire_int.h). */
#include "hb_wire_int.h"
#include "hb_assert.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

/* ---- operations ---- */

static int
validate_register(hb_wire_error_t *err, const char *where, const Hourbank__RegisterMember *m,
                  hb_wire_op_context_t context)
{
    const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__RegisterMember, member_no, context == HB_WIRE_OP_IN_BATCH ? TEXT_REQUIRED : 0),
        TEXT_CHARS(Hourbank__RegisterMember, name, HB_NAME_CHARS_MAX, TEXT_LINE | TEXT_REQUIRED),
        MEMBER_NO(Hourbank__RegisterMember, family_of, 0),
        TEXT_CHARS(Hourbank__RegisterMember, family_relation, HB_RELATION_CHARS_MAX, TEXT_LINE),
    };
    if (context == HB_WIRE_OP_IN_SAVE && hb_wire__text_at(m, offsetof(Hourbank__RegisterMember, member_no))[0] != '\0')
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%smember_no must be empty: the station allocates member numbers",
                    where);
    if (CHECK_TEXTS(err, where, m, rules) != 0 || hb_wire__check_role(err, where, m->role) != 0 ||
        hb_wire__check_phone(err, where, hb_wire__text_at(m, offsetof(Hourbank__RegisterMember, phone))) != 0)
        return -1;
    if (m->family_relation[0] && !m->family_of[0])
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sfamily_relation is given without family_of", where);
    return hb_wire__check_birth_year(err, where, m->birth_year);
}

static int
validate_service(hb_wire_error_t *err, const char *where, const Hourbank__ServiceRecord *s)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__ServiceRecord, provider, TEXT_REQUIRED),
        MEMBER_NO(Hourbank__ServiceRecord, recipient, TEXT_REQUIRED),
        TEXT(Hourbank__ServiceRecord, category, HB_CATEGORY_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
        TEXT_CHARS(Hourbank__ServiceRecord, note, HB_NOTE_CHARS_MAX, TEXT_NOTE),
    };
    if (CHECK_TEXTS(err, where, s, rules) != 0)
        return -1;
    return hb_wire__check_i64(err, where, "minutes", s->minutes, 1, HB_RECORD_MINUTES_MAX, HB_RESULT_INVALID_DURATION);
}

static int
validate_gift(hb_wire_error_t *err, const char *where, const Hourbank__Gift *g)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__Gift, from_member, TEXT_REQUIRED),
        MEMBER_NO(Hourbank__Gift, to_member, TEXT_REQUIRED),
        TEXT_CHARS(Hourbank__Gift, reason, HB_NOTE_CHARS_MAX, TEXT_NOTE),
    };
    if (CHECK_TEXTS(err, where, g, rules) != 0)
        return -1;
    return hb_wire__check_i64(err, where, "minutes", g->minutes, 1, HB_GIFT_MINUTES_MAX, HB_RESULT_INVALID_DURATION);
}

/* Hours given to the pool: bounded as a gift is. */
static int
validate_donation(hb_wire_error_t *err, const char *where, const Hourbank__Donation *d)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__Donation, member, TEXT_REQUIRED),
        TEXT_CHARS(Hourbank__Donation, reason, HB_NOTE_CHARS_MAX, TEXT_NOTE),
    };
    if (CHECK_TEXTS(err, where, d, rules) != 0)
        return -1;
    return hb_wire__check_i64(err, where, "minutes", d->minutes, 1, HB_GIFT_MINUTES_MAX, HB_RESULT_INVALID_DURATION);
}

/* At least one change; a relative added and removed at once is a mistake. */
static int
validate_amend(hb_wire_error_t *err, const char *where, const Hourbank__AmendMember *a)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__AmendMember, member_no, TEXT_REQUIRED),
        TEXT_CHARS(Hourbank__AmendMember, name, HB_NAME_CHARS_MAX, TEXT_LINE),
        TEXT_CHARS(Hourbank__AmendMember, reason, HB_NOTE_CHARS_MAX, TEXT_NOTE),
    };
    if (CHECK_TEXTS(err, where, a, rules) != 0 ||
        hb_wire__check_phone(err, where, hb_wire__text_at(a, offsetof(Hourbank__AmendMember, phone))) != 0 ||
        (a->birth_year != 0 && hb_wire__check_birth_year(err, where, a->birth_year) != 0) ||
        hb_wire__check_family_links(err, where, "add_family", a->add_family, a->n_add_family) != 0 ||
        hb_wire__check_member_list(err, where, "remove_family", a->remove_family, a->n_remove_family,
                                   HB_FAMILY_LINKS_MAX) != 0)
        return -1;
    if (a->clear_phone && a->phone[0])
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sphone is given and clear_phone is set", where);
    if (!a->name[0] && !a->birth_year && !a->phone[0] && !a->clear_phone && !a->n_add_family && !a->n_remove_family)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sthe amendment changes nothing", where);
    for (size_t i = 0; i < a->n_add_family; i++) {
        if (strcmp(a->add_family[i]->member_no, a->member_no) == 0)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sa member cannot be their own family", where);
        for (size_t j = 0; j < a->n_remove_family; j++)
            if (strcmp(a->add_family[i]->member_no, a->remove_family[j]) == 0)
                return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s is both added and removed", where,
                                     a->remove_family[j]);
    }
    return 0;
}

static int
validate_move(hb_wire_error_t *err, const char *where, const Hourbank__MoveMember *m, hb_wire_op_context_t context)
{
    const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__MoveMember, member_no, TEXT_REQUIRED),
        MEMBER_NO(Hourbank__MoveMember, new_member_no, context == HB_WIRE_OP_IN_BATCH ? TEXT_REQUIRED : 0),
        TEXT_CHARS(Hourbank__MoveMember, reason, HB_NOTE_CHARS_MAX, TEXT_NOTE),
    };
    if (context == HB_WIRE_OP_IN_SAVE && m->new_member_no[0] != '\0')
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%snew_member_no must be empty: the station allocates it",
                             where);
    return CHECK_TEXTS(err, where, m, rules);
}

static int
validate_leave(hb_wire_error_t *err, const char *where, const Hourbank__LeaveMember *l)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__LeaveMember, member_no, TEXT_REQUIRED),
        TEXT_CHARS(Hourbank__LeaveMember, reason, HB_NOTE_CHARS_MAX, TEXT_NOTE),
    };
    if (CHECK_TEXTS(err, where, l, rules) != 0 ||
        hb_wire__check_member_list(err, where, "heirs", l->heirs, l->n_heirs, HB_HEIRS_MAX) != 0)
        return -1;
    for (size_t i = 0; i < l->n_heirs; i++)
        if (strcmp(l->heirs[i], l->member_no) == 0)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sa member cannot be their own heir", where);
    return 0;
}

static int
validate_opening(hb_wire_error_t *err, const char *where, const Hourbank__OpeningBalance *o)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__OpeningBalance, member_no, TEXT_REQUIRED),
        TEXT_CHARS(Hourbank__OpeningBalance, source, HB_NOTE_CHARS_MAX, TEXT_NOTE),
    };
    if (CHECK_TEXTS(err, where, o, rules) != 0 ||
        hb_wire__check_i64(err, where, "minutes", o->minutes, -HB_OPENING_MINUTES_MAX, HB_OPENING_MINUTES_MAX,
                           HB_RESULT_INVALID_DURATION) != 0)
        return -1;
    if (o->minutes == 0)
        return hb_wire__fail(err, HB_RESULT_INVALID_DURATION, "%sminutes is 0: an opening balance of nothing", where);
    return 0;
}

static int
validate_void(hb_wire_error_t *err, const char *where, const Hourbank__Void *v)
{
    static const text_rule_t rules[] = {
        TEXT_CHARS(Hourbank__Void, reason, HB_NOTE_CHARS_MAX, TEXT_NOTE | TEXT_REQUIRED),
    };
    if (v->target == NULL)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%starget is missing", where);
    if (hb_wire__check_op_ref(err, where, "target", v->target) != 0)
        return -1;
    return CHECK_TEXTS(err, where, v, rules);
}

static int
validate_op_kind(hb_wire_error_t *err, const char *where, const Hourbank__Op *op, hb_wire_op_context_t context)
{
    const char *name = NULL;
    const void *kind = hb_wire__oneof_member(&hourbank__op__descriptor, op, (int) op->kind_case, &name);
    if (op->kind_case == HOURBANK__OP__KIND__NOT_SET)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sop has no kind", where);
    if (kind == NULL)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sop kind %d is unknown or empty", where, (int) op->kind_case);
    char sub[WHERE_BYTES];
    hb_wire__where_format(sub, sizeof sub, "%s%s.", where, name);
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_REGISTER_MEMBER: return validate_register(err, sub, kind, context);
    case HOURBANK__OP__KIND_SERVICE: return validate_service(err, sub, kind);
    case HOURBANK__OP__KIND_GIFT: return validate_gift(err, sub, kind);
    case HOURBANK__OP__KIND_VOID_OP: return validate_void(err, sub, kind);
    case HOURBANK__OP__KIND_DONATION: return validate_donation(err, sub, kind);
    case HOURBANK__OP__KIND_AMEND: return validate_amend(err, sub, kind);
    case HOURBANK__OP__KIND_MOVE: return validate_move(err, sub, kind, context);
    case HOURBANK__OP__KIND_LEAVE: return validate_leave(err, sub, kind);
    case HOURBANK__OP__KIND_OPENING: return validate_opening(err, sub, kind);
    default: return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sop kind %d is unknown", where, (int) op->kind_case);
    }
}

/* An op's encoding, unknown fields included (protobuf-c keeps them and
 * encodes them again), fits HB_OP_BYTES_MAX: the station stores ops in a
 * buffer of that size (client/station/outbox.c). In a SaveRequest it must leave
 * room for what the station adds: the seq (a tag byte and a varint), an
 * allocated member number (tag, length byte and number), one more byte
 * of length prefix for the grown register_member, and its default
 * operator for an op that names none (tag, two bytes of length, name).
 * Call only once the kind is known valid (no NULL sub-message). */
#define VARINT_BYTES_MAX 10
#define SAVE_GROWTH_BYTES (1 + VARINT_BYTES_MAX + 2 + HB_MEMBER_NO_BYTES_MAX + 1 + 1 + 2 + HB_OPERATOR_BYTES_MAX)
_Static_assert(SAVE_GROWTH_BYTES < HB_OP_BYTES_MAX, "room for an op in a SaveRequest");

static int
check_op_size(hb_wire_error_t *err, const char *where, const Hourbank__Op *op, hb_wire_op_context_t context)
{
    size_t limit = context == HB_WIRE_OP_IN_SAVE ? HB_OP_BYTES_MAX - SAVE_GROWTH_BYTES : HB_OP_BYTES_MAX;
    size_t size = hourbank__op__get_packed_size(op);
    if (size <= limit)
        return 0;
    return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sop encodes to %zu bytes (unknown fields included), limit %zu", where,
                size, limit);
}

/* where: prefix for errors, e.g. "op seq=12: " or "save.op: ". */
static int
validate_op(hb_wire_error_t *err, const char *where, const Hourbank__Op *op, hb_wire_op_context_t context)
{
    if (context == HB_WIRE_OP_IN_BATCH && hb_wire__check_u64(err, where, "seq", op->seq, 1, UINT64_MAX) != 0)
        return -1;
    if (context == HB_WIRE_OP_IN_SAVE && op->seq != 0)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sseq=%" PRIu64 " must be 0, the station assigns it", where,
                    op->seq);
    /* "" = not known: ops saved before stations had operators */
    static const text_rule_t rules[] = {
        {"operator", offsetof(Hourbank__Op, operator_), HB_OPERATOR_BYTES_MAX, TEXT_LINE, HB_OPERATOR_CHARS_MAX},
    };
    if (hb_wire__check_i64(err, where, "occurred_at", op->occurred_at, 1, HB_OCCURRED_AT_S_MAX, HB_RESULT_MALFORMED) != 0 ||
        CHECK_TEXTS(err, where, op, rules) != 0 || validate_op_kind(err, where, op, context) != 0)
        return -1;
    return check_op_size(err, where, op, context);
}

int
hb_wire_validate_op(const Hourbank__Op *op, hb_wire_op_context_t context, hb_wire_error_t *err)
{
    hb_assert(op && err);
    hb_assert(context == HB_WIRE_OP_IN_BATCH || context == HB_WIRE_OP_IN_SAVE);
    hb_wire__error_clear(err);
    char where[WHERE_BYTES];
    if (context == HB_WIRE_OP_IN_BATCH)
        hb_wire__where_format(where, sizeof where, "op seq=%" PRIu64 ": ", op->seq);
    else
        hb_wire__where_format(where, sizeof where, "save.op: ");
    return validate_op(err, where, op, context);
}

/* ---- station <-> central ---- */

static int
validate_hello(hb_wire_error_t *err, const char *where, const Hourbank__Hello *h)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__Hello, software, HB_SOFTWARE_BYTES_MAX, TEXT_LINE),
    };
    if (hb_wire__check_u64(err, where, "station_id", h->station_id, 1, UINT64_MAX) != 0 ||
        hb_wire__check_u64(err, where, "last_acked_seq", h->last_acked_seq, 0, HB_SEQ_MAX) != 0)
        return -1;
    return CHECK_TEXTS(err, where, h, rules);
}

static int
validate_welcome(hb_wire_error_t *err, const char *where, const Hourbank__Welcome *w)
{
    if (hb_wire__check_u64(err, where, "member_serial_mark", w->member_serial_mark, 0, HB_MEMBER_SERIAL_MAX) != 0 ||
        hb_wire__check_zone(err, where, "time_zone", hb_wire__text_at(w, offsetof(Hourbank__Welcome, time_zone))) != 0)
        return -1;
    return hb_wire__check_time(err, where, "server_time", w->server_time);
}


/* Structure: 1..HB_BATCH_OPS_MAX ops, each present, with consecutive seqs
 * in 1..HB_SEQ_MAX. */
static int
validate_batch(hb_wire_error_t *err, const char *where, const Hourbank__Batch *b, batch_check_t check)
{
    if (hb_wire__check_count(err, where, "ops", b->n_ops, 1, HB_BATCH_OPS_MAX) != 0)
        return -1;
    for (size_t i = 0; i < b->n_ops; i++) {
        const Hourbank__Op *op = b->ops[i];
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%sops[%zu].", where, i);
        if (op == NULL)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sops[%zu] is missing", where, i);
        if (hb_wire__check_u64(err, sub, "seq", op->seq, 1, HB_SEQ_MAX) != 0)
            return -1;
        if (i > 0 && op->seq != b->ops[i - 1]->seq + 1)
            return hb_wire__fail(err, HB_RESULT_MALFORMED,
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
    if (hb_wire__check_u64(err, where, "seq", r->seq, 1, UINT64_MAX) != 0 ||
        hb_wire__check_result(err, where, "result", r->result, RESULT_OK_OK) != 0)
        return -1;
    if (r->result != HOURBANK__RESULT__OK && r->transfer_id != 0)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%stransfer_id=%" PRIu64 " but result is %s", where, r->transfer_id,
                    hb_result_name((hb_result_t) r->result));
    if (hb_wire__check_params(err, where, r->params, r->n_params) != 0 ||
        hb_wire__check_hash(err, where, "payload_hash", r->payload_hash, false) != 0 ||
        hb_wire__check_day(err, where, "posted_day", r->posted_day) != 0)
        return -1;
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
    if (hb_wire__check_result(err, where, "batch_result", a->batch_result, RESULT_OK_OK) != 0 ||
        CHECK_TEXTS(err, where, a, rules) != 0)
        return -1;
    size_t lo = a->batch_result == HOURBANK__RESULT__OK ? 1 : 0;
    size_t hi = a->batch_result == HOURBANK__RESULT__OK ? HB_BATCH_OPS_MAX : 0;
    if (hb_wire__check_count(err, where, "results", a->n_results, lo, hi) != 0)
        return -1;
    for (size_t i = 0; i < a->n_results; i++) {
        const Hourbank__OpResult *r = a->results[i];
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%sresults[%zu].", where, i);
        if (r == NULL)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sresults[%zu] is missing", where, i);
        if (i > 0 && r->seq != a->results[i - 1]->seq + 1)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sseq=%" PRIu64 " follows seq=%" PRIu64 ", seqs must be consecutive",
                        sub, r->seq, a->results[i - 1]->seq);
        if (validate_op_result(err, sub, r) != 0)
            return -1;
    }
    return 0;
}

/* An error carries a real failure: neither UNSET nor OK. */
static int
validate_error_reply(hb_wire_error_t *err, const char *where, const Hourbank__ErrorReply *e)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__ErrorReply, message, HB_MESSAGE_BYTES_MAX, TEXT_NOTE),
    };
    if (hb_wire__check_result(err, where, "code", e->code, 0) != 0 ||
        hb_wire__check_params(err, where, e->params, e->n_params) != 0)
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
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sop is missing", where);
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
    static const text_rule_t payer = TEXT(Hourbank__SaveReply, payer, HB_MEMBER_NO_BYTES_MAX, TEXT_LINE);
    /* a dry run stores nothing, so it has no seq */
    if (hb_wire__check_u64(err, where, "seq", r->seq, r->dry_run ? 0 : 1, r->dry_run ? 0 : UINT64_MAX) != 0 ||
        CHECK_TEXTS(err, where, r, rules) != 0 ||
        hb_wire__check_text(err, where, &payer, hb_wire__text_at(r, offsetof(Hourbank__SaveReply, payer))) != 0 ||
        hb_wire__check_i64(err, where, "payer_rule", r->payer_rule, -1, INT32_MAX, HB_RESULT_MALFORMED) != 0 ||
        hb_wire__check_count(err, where, "cautions", r->n_cautions, 0, HB_CAUTIONS_MAX) != 0)
        return -1;
    for (size_t i = 0; i < r->n_cautions; i++) {
        const Hourbank__Caution *c = r->cautions[i];
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%scautions[%zu].", where, i);
        if (c == NULL)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%scautions[%zu] is missing", where, i);
        if (hb_wire__check_result(err, sub, "code", c->code, 0) != 0 ||
            hb_wire__check_params(err, sub, c->params, c->n_params) != 0)
            return -1;
    }
    return 0;
}

static int
validate_queued_op(hb_wire_error_t *err, const char *where, const Hourbank__QueuedOp *q)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__QueuedOp, kind, HB_CATEGORY_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
        TEXT(Hourbank__QueuedOp, summary, HB_NOTE_BYTES_MAX, TEXT_NOTE),
        TEXT(Hourbank__QueuedOp, message, HB_MESSAGE_BYTES_MAX, TEXT_NOTE),
        TEXT_CHARS(Hourbank__QueuedOp, note, HB_NOTE_CHARS_MAX, TEXT_NOTE),
        TEXT(Hourbank__QueuedOp, request_id, HB_REQUEST_ID_BYTES_MAX, TEXT_LINE),
        TEXT(Hourbank__QueuedOp, prior_message, HB_MESSAGE_BYTES_MAX, TEXT_NOTE),
        {"operator", offsetof(Hourbank__QueuedOp, operator_), HB_OPERATOR_BYTES_MAX, TEXT_LINE, HB_OPERATOR_CHARS_MAX},
    };
    if (hb_wire__check_u64(err, where, "seq", q->seq, 1, UINT64_MAX) != 0 ||
        hb_wire__check_time(err, where, "saved_at", q->saved_at) != 0 ||
        hb_wire__check_time(err, where, "acked_at", q->acked_at) != 0 ||
        hb_wire__check_result(err, where, "result", q->result, RESULT_UNSET_OK | RESULT_OK_OK) != 0 ||
        hb_wire__check_result(err, where, "prior_result", q->prior_result, RESULT_UNSET_OK | RESULT_OK_OK) != 0 ||
        hb_wire__check_params(err, where, q->params, q->n_params) != 0)
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
    return hb_wire__fail(err, HB_RESULT_MALFORMED, "%slink is not \"up\", \"down\" or \"connecting\"", where);
}

/* At most one way of choosing ops; the search text is one line. */
static int
validate_queue_query(hb_wire_error_t *err, const char *where, const Hourbank__QueueQuery *q)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__QueueQuery, note_contains, HB_SEARCH_BYTES_MAX, TEXT_LINE),
    };
    int ways = (q->seq != 0) + (hb_wire__text_at(q, offsetof(Hourbank__QueueQuery, note_contains))[0] != '\0') +
               q->changed_only + q->counts_only;
    if (ways > 1)
        return hb_wire__fail(err, HB_RESULT_MALFORMED,
                             "%sat most one of seq, note_contains, changed_only and counts_only may be set",
                    where);
    if (hb_wire__check_u64(err, where, "seq", q->seq, 0, HB_SEQ_MAX) != 0)
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
        hb_wire__check_time(err, where, "oldest_pending_at", r->oldest_pending_at) != 0 ||
        hb_wire__check_time(err, where, "last_sync", r->last_sync) != 0 ||
        hb_wire__check_time(err, where, "link_down_since", r->link_down_since) != 0 ||
        check_link(err, where, hb_wire__text_at(r, offsetof(Hourbank__QueueReply, link))) != 0 ||
        hb_wire__check_zone(err, where, "time_zone", hb_wire__text_at(r, offsetof(Hourbank__QueueReply, time_zone))) != 0 ||
        hb_wire__check_count(err, where, "ops", r->n_ops, 0, HB_PAGE_ENTRIES_MAX) != 0)
        return -1;
    for (size_t i = 0; i < r->n_ops; i++) {
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%sops[%zu].", where, i);
        if (r->ops[i] == NULL)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sops[%zu] is missing", where, i);
        if (validate_queued_op(err, sub, r->ops[i]) != 0)
            return -1;
    }
    return 0;
}

/* What each OperatorRequest action takes: the name (every action but
 * list), the PIN (add: optional; sign_in: required), the language. */
typedef struct {
    const char *action;
    bool pin_allowed, pin_required, language_allowed;
} operator_action_t;

static const operator_action_t operator_actions[] = {
    {"add", true, false, false},      {"disable", false, false, false}, {"list", false, false, false},
    {"sign_in", true, true, false},   {"language", false, false, true}, {"unlock", false, false, false},
};

/* A language code as Operator.language and OperatorRequest.language hold
 * it: "zh_CN", "en", or "" (the station's default). */
static bool
language_ok(const char *language)
{
    return language[0] == '\0' || strcmp(language, "zh_CN") == 0 || strcmp(language, "en") == 0;
}

/* The station's operators: an action; a name for all but list; a PIN
 * ("" or HB_PIN_DIGITS_MIN..MAX digits) with add, required with sign_in;
 * a language with language only. */
static int
validate_operator_request(hb_wire_error_t *err, const char *where, const Hourbank__OperatorRequest *r)
{
    static const text_rule_t rules[] = {
        TEXT_CHARS(Hourbank__OperatorRequest, name, HB_OPERATOR_CHARS_MAX, TEXT_LINE),
        TEXT(Hourbank__OperatorRequest, pin, HB_PIN_DIGITS_MAX, TEXT_LINE),
        TEXT(Hourbank__OperatorRequest, language, HB_LANGUAGE_BYTES_MAX, TEXT_LINE),
    };
    const char *action = hb_wire__text_at(r, offsetof(Hourbank__OperatorRequest, action));
    const char *name = hb_wire__text_at(r, offsetof(Hourbank__OperatorRequest, name));
    const char *pin = hb_wire__text_at(r, offsetof(Hourbank__OperatorRequest, pin));
    const char *language = hb_wire__text_at(r, offsetof(Hourbank__OperatorRequest, language));
    const operator_action_t *a = NULL;
    for (size_t i = 0; i < sizeof operator_actions / sizeof operator_actions[0] && !a; i++)
        if (strcmp(action, operator_actions[i].action) == 0)
            a = &operator_actions[i];
    if (!a)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%saction is not \"add\", \"disable\", \"list\", "
                             "\"sign_in\", \"language\" or \"unlock\"", where);
    if (CHECK_TEXTS(err, where, r, rules) != 0)
        return -1;
    bool list = strcmp(action, "list") == 0;
    if (list != (name[0] == '\0'))
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sname %s", where,
                    list ? "must be empty for list" : "is required for every action but list");
    if (pin[0] != '\0' && !a->pin_allowed)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%spin is only for add and sign_in", where);
    size_t len = strlen(pin);
    if ((pin[0] != '\0' || a->pin_required) && (len < HB_PIN_DIGITS_MIN || strspn(pin, "0123456789") != len))
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%spin must be %d..%d digits", where, HB_PIN_DIGITS_MIN,
                    HB_PIN_DIGITS_MAX);
    if (language[0] != '\0' && !a->language_allowed)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%slanguage is only for the action language", where);
    if (!language_ok(language))
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%slanguage is not \"zh_CN\", \"en\" or \"\"", where);
    return 0;
}

static int
validate_operators_reply(hb_wire_error_t *err, const char *where, const Hourbank__OperatorsReply *r)
{
    static const text_rule_t rules[] = {
        TEXT_CHARS(Hourbank__Operator, name, HB_OPERATOR_CHARS_MAX, TEXT_LINE | TEXT_REQUIRED),
    };
    if (hb_wire__check_count(err, where, "operators", r->n_operators, 0, HB_OPERATORS_MAX) != 0)
        return -1;
    for (size_t i = 0; i < r->n_operators; i++) {
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%soperators[%zu].", where, i);
        if (r->operators[i] == NULL)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%soperators[%zu] is missing", where, i);
        if (CHECK_TEXTS(err, sub, r->operators[i], rules) != 0 ||
            hb_wire__check_time(err, sub, "created_at", r->operators[i]->created_at) != 0 ||
            hb_wire__check_time(err, sub, "locked_until", r->operators[i]->locked_until) != 0)
            return -1;
        if (!language_ok(hb_wire__text_at(r->operators[i], offsetof(Hourbank__Operator, language))))
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%slanguage is not \"zh_CN\", \"en\" or \"\"", sub);
    }
    return 0;
}

/* ---- catalogue and administration ---- */

static int
validate_dismiss(hb_wire_error_t *err, const char *where, const Hourbank__DismissRequest *d)
{
    return hb_wire__check_u64(err, where, "seq", d->seq, 1, UINT64_MAX);
}

static int
validate_categories_reply(hb_wire_error_t *err, const char *where, const Hourbank__CategoriesReply *r)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__Category, name, HB_CATEGORY_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
        TEXT_CHARS(Hourbank__Category, description, HB_NOTE_CHARS_MAX, TEXT_NOTE),
    };
    if (hb_wire__check_count(err, where, "categories", r->n_categories, 0, HB_CATEGORIES_MAX) != 0)
        return -1;
    for (size_t i = 0; i < r->n_categories; i++) {
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%scategories[%zu].", where, i);
        if (r->categories[i] == NULL)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%scategories[%zu] is missing", where, i);
        if (CHECK_TEXTS(err, sub, r->categories[i], rules) != 0)
            return -1;
    }
    return 0;
}

static int
validate_stations_reply(hb_wire_error_t *err, const char *where, const Hourbank__StationsReply *r)
{
    static const text_rule_t rules[] = {
        TEXT_CHARS(Hourbank__StationInfo, name, HB_NAME_CHARS_MAX, TEXT_LINE),
        TEXT(Hourbank__StationInfo, community, HB_COMMUNITY_CODE_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
        TEXT(Hourbank__StationInfo, alert, HB_ALERT_BYTES_MAX, TEXT_LINE),
    };
    if (hb_wire__check_count(err, where, "stations", r->n_stations, 0, HB_STATIONS_MAX) != 0 ||
        hb_wire__check_zone(err, where, "time_zone", hb_wire__text_at(r, offsetof(Hourbank__StationsReply, time_zone))) != 0)
        return -1;
    for (size_t i = 0; i < r->n_stations; i++) {
        const Hourbank__StationInfo *st = r->stations[i];
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%sstations[%zu].", where, i);
        if (st == NULL)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sstations[%zu] is missing", where, i);
        if (hb_wire__check_u64(err, sub, "station_id", st->station_id, 1, HB_STATION_ID_MAX) != 0 ||
            hb_wire__check_time(err, sub, "last_contact", st->last_contact) != 0 ||
            hb_wire__check_time(err, sub, "reconciled_at", st->reconciled_at) != 0 ||
            hb_wire__check_u64(err, sub, "reconciled_through", st->reconciled_through, st->reconciled_from,
                               INT64_MAX) != 0 ||
            CHECK_TEXTS(err, sub, st, rules) != 0)
            return -1;
    }
    return 0;
}

/* ok means "no problems": the two must agree. */
static int
validate_verify_reply(hb_wire_error_t *err, const char *where, const Hourbank__VerifyReply *r)
{
    if (hb_wire__check_count(err, where, "problems", r->n_problems, 0, HB_PAGE_ENTRIES_MAX) != 0 ||
        hb_wire__check_i64(err, where, "accounts", r->accounts, 0, INT64_MAX, HB_RESULT_MALFORMED) != 0 ||
        hb_wire__check_i64(err, where, "transfers", r->transfers, 0, INT64_MAX, HB_RESULT_MALFORMED) != 0)
        return -1;
    if (r->ok != (r->n_problems == 0))
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sok=%s but %zu problems are listed", where,
                    r->ok ? "true" : "false", r->n_problems);
    static const text_rule_t rule = {"", 0, HB_MESSAGE_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED, 0};
    for (size_t i = 0; i < r->n_problems; i++) {
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%sproblems[%zu]", where, i);
        if (hb_wire__check_text(err, sub, &rule, r->problems[i] ? r->problems[i] : "") != 0)
            return -1;
    }
    return 0;
}

/* ---- envelope ---- */

int
hb_wire__validate_body(hb_wire_error_t *err, const Hourbank__Envelope *env, batch_check_t batch_check)
{
    const char *name = NULL;
    const void *body = hb_wire__oneof_member(&hourbank__envelope__descriptor, env, (int) env->body_case, &name);
    if (env->body_case == HOURBANK__ENVELOPE__BODY__NOT_SET)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "envelope has no body");
    if (body == NULL)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "envelope body %d is unknown or empty", (int) env->body_case);
    char where[WHERE_BYTES];
    hb_wire__where_format(where, sizeof where, "%s.", name);
    switch (env->body_case) {
    case HOURBANK__ENVELOPE__BODY_HELLO: return validate_hello(err, where, body);
    case HOURBANK__ENVELOPE__BODY_WELCOME: return validate_welcome(err, where, body);
    case HOURBANK__ENVELOPE__BODY_BATCH: return validate_batch(err, where, body, batch_check);
    case HOURBANK__ENVELOPE__BODY_BATCH_ACK: return validate_batch_ack(err, where, body);
    case HOURBANK__ENVELOPE__BODY_BALANCE_QUERY: return hb_wire__validate_balance_query(err, where, body);
    case HOURBANK__ENVELOPE__BODY_BALANCE_REPLY: return hb_wire__validate_balance_reply(err, where, body);
    case HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY: return hb_wire__validate_statement_query(err, where, body);
    case HOURBANK__ENVELOPE__BODY_STATEMENT_REPLY: return hb_wire__validate_statement_reply(err, where, body);
    case HOURBANK__ENVELOPE__BODY_MEMBER_QUERY: return hb_wire__validate_member_query(err, where, body);
    case HOURBANK__ENVELOPE__BODY_MEMBER_REPLY: return hb_wire__validate_member_reply(err, where, body);
    case HOURBANK__ENVELOPE__BODY_DIRECTORY_QUERY: return hb_wire__validate_directory_query(err, where, body);
    case HOURBANK__ENVELOPE__BODY_DIRECTORY_REPLY: return hb_wire__validate_directory_reply(err, where, body);
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
    case HOURBANK__ENVELOPE__BODY_OPERATOR_REQUEST: return validate_operator_request(err, where, body);
    case HOURBANK__ENVELOPE__BODY_OPERATORS_REPLY: return validate_operators_reply(err, where, body);
    case HOURBANK__ENVELOPE__BODY_RULES_QUERY: return 0;       /* no fields */
    case HOURBANK__ENVELOPE__BODY_RULES_REPLY: return hb_wire__validate_rules_reply(err, where, body);
    case HOURBANK__ENVELOPE__BODY_IMPORT_REQUEST: return hb_wire__validate_import_request(err, where, body);
    case HOURBANK__ENVELOPE__BODY_IMPORT_REPLY: return hb_wire__validate_import_reply(err, where, body);
    case HOURBANK__ENVELOPE__BODY_RECONCILE_QUERY: return hb_wire__validate_reconcile_query(err, where, body);
    case HOURBANK__ENVELOPE__BODY_RECONCILE_REPLY: return hb_wire__validate_reconcile_reply(err, where, body);
    case HOURBANK__ENVELOPE__BODY_RECONCILE_REQUEST: return hb_wire__validate_reconcile_request(err, where, body);
    case HOURBANK__ENVELOPE__BODY_RECONCILE_REPORT: return hb_wire__validate_reconcile_report(err, where, body);
    case HOURBANK__ENVELOPE__BODY_TIME_ZONE_REPLY:
        return hb_wire__check_zone(err, where, "time_zone", hb_wire__text_at(body, offsetof(Hourbank__TimeZoneReply, time_zone)));
    default: return hb_wire__fail(err, HB_RESULT_MALFORMED, "envelope body %d is unknown", (int) env->body_case);
    }
}
