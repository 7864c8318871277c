/* fuzz_save.c - libFuzzer target for the station's local API: the bytes a
 * CLI (or anyone who can open the ipc socket) sends, decoded and checked as
 * client/station/api.c and client/station/outbox.c do before the outbox is touched.
 *
 * For an accepted SaveRequest, everything the station then assumes (and
 * asserts) must hold: the op is valid in SAVE context with seq 0; the
 * strings it reads are present; once the station gives it a seq and, for a
 * registration, a member number, it is valid in a Batch and its encoding
 * fits the outbox's payload buffer (HB_OP_BYTES_MAX); decoded back from the
 * outbox and sent in a Batch, central's hb_wire_unpack accepts it. */
#include "fuzz_common.h"

#include "hb_memberno.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The longest member number the station can allocate, and the largest seq
 * it can assign: the worst case for the encoded size. */
#define ALLOCATED_COMMUNITY "ABCDEFGH"
_Static_assert(sizeof ALLOCATED_COMMUNITY - 1 == HB_COMMUNITY_CODE_BYTES_MAX, "longest community code");
#define ASSIGNED_SEQ ((uint64_t) HB_SEQ_MAX)

static void
check_strings_present(const Hourbank__Op *op)
{
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_REGISTER_MEMBER:
        FUZZ_CHECK(op->register_member->member_no && op->register_member->name && op->register_member->family_of,
                   "register_member string missing");
        break;
    case HOURBANK__OP__KIND_SERVICE:
        FUZZ_CHECK(op->service->provider && op->service->recipient && op->service->category && op->service->note,
                   "service string missing");
        break;
    case HOURBANK__OP__KIND_GIFT:
        FUZZ_CHECK(op->gift->from_member && op->gift->to_member && op->gift->reason, "gift string missing");
        break;
    case HOURBANK__OP__KIND_VOID_OP:
        FUZZ_CHECK(op->void_op->target && op->void_op->reason, "void target or reason missing");
        break;
    default: FUZZ_CHECK(false, "accepted op kind %d", (int) op->kind_case);
    }
}

/* Central's view of the stored op: sent alone in a Batch. */
static void
check_central_accepts(const uint8_t *payload, size_t payload_len)
{
    Hourbank__Op *stored = hourbank__op__unpack(NULL, payload_len, payload);
    FUZZ_CHECK(stored != NULL && stored->seq == ASSIGNED_SEQ, "the outbox could not decode its own op");
    Hourbank__Envelope env;
    Hourbank__Batch batch;
    hb_wire_envelope_init(&env, 1);
    hourbank__batch__init(&batch);
    batch.n_ops = 1;
    batch.ops = &stored;
    env.body_case = HOURBANK__ENVELOPE__BODY_BATCH;
    env.batch = &batch;
    void *data = NULL;
    size_t size = 0;
    fuzz_pack(&env, &data, &size);
    hb_wire_error_t err;
    Hourbank__Envelope *at_central = hb_wire_unpack(data, size, &err);
    FUZZ_CHECK(at_central != NULL, "central refuses the batch: %s", err.message);
    FUZZ_CHECK(hb_wire_validate_op(at_central->batch->ops[0], HB_WIRE_OP_IN_BATCH, &err) == 0,
               "central rejects the op the station saved: %s", err.message);
    hb_wire_free(&at_central);
    free(data);
    hourbank__op__free_unpacked(stored, NULL);
}

/* What hb_outbox_save builds (save_build): seq set, member number
 * allocated (a save may not name one), the default operator when it names
 * none, then packed. */
static void
check_as_saved(const Hourbank__Op *op)
{
    static char allocated[HB_MEMBER_NO_BUF_BYTES];
    if (allocated[0] == '\0')
        FUZZ_CHECK(hb_memberno_format(allocated, sizeof allocated, ALLOCATED_COMMUNITY, HB_MEMBER_SERIAL_MAX) == 0,
                   "formatting the allocated member number");
    /* the longest default operator the station may fill in (4-byte characters) */
    static char operator_name[HB_OPERATOR_BYTES_MAX + 1];
    if (operator_name[0] == '\0')
        for (int i = 0; i < HB_OPERATOR_CHARS_MAX; i++)
            memcpy(operator_name + 4 * i, "\xF0\x9F\x98\x80", 4);
    Hourbank__Op saved = *op;
    Hourbank__RegisterMember reg;
    saved.seq = ASSIGNED_SEQ;
    if (op->operator_[0] == '\0')
        saved.operator_ = operator_name;
    if (op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER) {
        reg = *op->register_member;
        FUZZ_CHECK(reg.member_no[0] == '\0', "accepted a save naming member number \"%s\"", reg.member_no);
        reg.member_no = allocated;
        saved.register_member = &reg;
    }
    hb_wire_error_t err;
    FUZZ_CHECK(hb_wire_validate_op(&saved, HB_WIRE_OP_IN_BATCH, &err) == 0, "saved op invalid in a batch: %s",
               err.message);
    uint8_t payload[HB_OP_BYTES_MAX];
    size_t len = hourbank__op__get_packed_size(&saved);
    FUZZ_CHECK(len <= sizeof payload, "saved op encodes to %zu bytes, the outbox holds %d", len, HB_OP_BYTES_MAX);
    FUZZ_CHECK(hourbank__op__pack(&saved, payload) == len, "packed size changed");
    check_central_accepts(payload, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hb_wire_error_t err;
    Hourbank__Envelope *env = hb_wire_unpack(data, size, &err);
    if (env == NULL) {
        fuzz_check_refusal(&err, data, size);
        return 0;
    }
    if (env->body_case == HOURBANK__ENVELOPE__BODY_SAVE) {
        const Hourbank__Op *op = env->save->op;
        FUZZ_CHECK(op != NULL, "accepted a save without an op");
        FUZZ_CHECK(hb_wire_validate_op(op, HB_WIRE_OP_IN_SAVE, &err) == 0, "accepted, yet invalid: %s",
                   err.message);
        FUZZ_CHECK(op->seq == 0, "accepted a save with seq %llu", (unsigned long long) op->seq);
        check_strings_present(op);
        check_as_saved(op);
    }
    hb_wire_free(&env);
    return 0;
}
