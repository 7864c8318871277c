/* fuzz_wire.c - libFuzzer target for central's ingress and every peer's
 * decoder: hb_wire_unpack on arbitrary bytes.
 *
 * Refused: the refusal is fit to send back (fuzz_check_refusal).
 * Accepted: the envelope is fully valid except, for a Batch, ops that
 * central rejects one by one (so hb_wire_validate agrees with
 * hb_wire_validate_op on each op), and it survives a round trip: packing
 * gives as many bytes as came in (the canonical check), those bytes unpack
 * again and pack to the very same bytes. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What central does with each op of an accepted batch; returns true when
 * every op is valid on its own. */
static bool
check_batch_ops(const Hourbank__Batch *batch)
{
    bool all_valid = true;
    for (size_t i = 0; i < batch->n_ops; i++) {
        hb_wire_error_t err;
        int rc = hb_wire_validate_op(batch->ops[i], HB_WIRE_OP_IN_BATCH, &err);
        FUZZ_CHECK(rc == 0 || rc == -1, "hb_wire_validate_op returned %d", rc);
        if (rc == 0) {
            FUZZ_CHECK(err.code == HB_RESULT_OK && err.message[0] == '\0', "success with an error set");
        } else {
            fuzz_check_error(&err);
            all_valid = false;
        }
    }
    return all_valid;
}

static void
check_validate_agrees(const Hourbank__Envelope *env)
{
    bool ops_valid = env->body_case != HOURBANK__ENVELOPE__BODY_BATCH || check_batch_ops(env->batch);
    hb_wire_error_t err;
    int rc = hb_wire_validate(env, &err);
    FUZZ_CHECK((rc == 0) == ops_valid, "hb_wire_validate=%d but the ops are %s: %s", rc,
               ops_valid ? "valid" : "not valid", err.message);
    if (rc != 0)
        fuzz_check_error(&err);
}

static void
check_round_trip(const Hourbank__Envelope *env, size_t size)
{
    void *first = NULL, *second = NULL;
    size_t first_size = 0, second_size = 0;
    fuzz_pack(env, &first, &first_size);
    FUZZ_CHECK(first_size == size, "accepted %zu bytes that re-encode to %zu", size, first_size);
    hb_wire_error_t err;
    Hourbank__Envelope *again = hb_wire_unpack(first, first_size, &err);
    FUZZ_CHECK(again != NULL, "own encoding of an accepted message refused: %s", err.message);
    FUZZ_CHECK(again->correlation_id == env->correlation_id && again->body_case == env->body_case,
               "header changed in a round trip");
    fuzz_pack(again, &second, &second_size);
    FUZZ_CHECK(second_size == first_size && memcmp(first, second, first_size) == 0,
               "a second round trip changed the bytes");
    hb_wire_free(&again);
    free(first);
    free(second);
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
    FUZZ_CHECK(err.code == HB_RESULT_OK && err.message[0] == '\0', "accepted with an error set");
    FUZZ_CHECK(env->version == HB_PROTOCOL_VERSION, "accepted version %u", (unsigned) env->version);
    FUZZ_CHECK(env->body_case != HOURBANK__ENVELOPE__BODY__NOT_SET, "accepted without a body");
    check_validate_agrees(env);
    check_round_trip(env, size);
    hb_wire_free(&env);
    return 0;
}
