/* fuzz_common.h - checks shared by the libFuzzer targets in tests/fuzz/.
 *
 * A failed check prints what broke and aborts, so libFuzzer saves the input
 * as a crash artifact. assert() is not used: release builds define NDEBUG.
 * Test code only. */
#ifndef HB_FUZZ_COMMON_H
#define HB_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_wire.h"

#define FUZZ_CHECK(cond, ...)                                                          \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "fuzz check failed at %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                              \
            fputc('\n', stderr);                                                       \
            abort();                                                                   \
        }                                                                              \
    } while (0)

/* The codes hb_wire.h promises for a refusal. */
static inline bool
fuzz_refusal_code(hb_result_t code)
{
    return code == HB_RESULT_MALFORMED || code == HB_RESULT_UNSUPPORTED_VERSION ||
           code == HB_RESULT_BAD_MEMBER_NUMBER || code == HB_RESULT_INVALID_DURATION;
}

/* A refusal (of a message, or of one op) is sent back to the peer as it
 * is, in an ErrorReply or an OpResult: its code is one of the promised
 * codes, its message a non-empty line of printable ASCII (nothing of the
 * peer's bytes verbatim), and the peer's own hb_wire_unpack accepts the
 * ErrorReply carrying it. */
static inline void
fuzz_check_error(const hb_wire_error_t *err)
{
    FUZZ_CHECK(fuzz_refusal_code(err->code), "code %d", (int) err->code);
    size_t len = strnlen(err->message, sizeof err->message);
    FUZZ_CHECK(len > 0 && len < sizeof err->message, "message of %zu bytes", len);
    for (size_t i = 0; i < len; i++)
        FUZZ_CHECK(err->message[i] >= 0x20 && err->message[i] < 0x7F, "byte %zu of \"%s\"", i, err->message);

    Hourbank__Envelope env;
    Hourbank__ErrorReply reply;
    hb_wire_envelope_init(&env, err->correlation_id);
    hourbank__error_reply__init(&reply);
    reply.code = (Hourbank__Result) err->code;
    reply.message = (char *) (uintptr_t) err->message;
    env.body_case = HOURBANK__ENVELOPE__BODY_ERROR;
    env.error = &reply;
    void *data = NULL;
    size_t size = 0;
    FUZZ_CHECK(hb_wire_pack(&env, &data, &size) == 0, "packing the error reply");
    hb_wire_error_t again;
    Hourbank__Envelope *back = hb_wire_unpack(data, size, &again);
    FUZZ_CHECK(back != NULL, "the peer refuses the error reply: %s", again.message);
    FUZZ_CHECK(back->error->code == reply.code && strcmp(back->error->message, err->message) == 0,
               "error reply changed in transit");
    hb_wire_free(&back);
    free(data);
}

/* A refused message: the error as above, and the correlation id of the
 * message when it decodes at all (so the refusal reaches the right
 * caller), else 0. */
static inline void
fuzz_check_refusal(const hb_wire_error_t *err, const uint8_t *data, size_t size)
{
    fuzz_check_error(err);
    uint64_t want = 0;
    if (size > 0 && size <= HB_MSG_BYTES_MAX) {
        Hourbank__Envelope *raw = hourbank__envelope__unpack(NULL, size, data);
        if (raw)
            want = raw->correlation_id;
        hourbank__envelope__free_unpacked(raw, NULL);
    }
    FUZZ_CHECK(err->correlation_id == want, "correlation id %llu, want %llu",
               (unsigned long long) err->correlation_id, (unsigned long long) want);
}

/* Packs env, which must succeed; caller owns *data_out (free()). */
static inline void
fuzz_pack(const Hourbank__Envelope *env, void **data_out, size_t *size_out)
{
    FUZZ_CHECK(hb_wire_pack(env, data_out, size_out) == 0, "hb_wire_pack refused an accepted envelope");
}

#endif
