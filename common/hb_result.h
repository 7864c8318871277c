/* hb_result.h - stable result codes shared by every part of hourbank.
 *
 * Mirrors the Result enum of proto/hourbank.proto 1:1 with the same numbers
 * (checked at compile time in proto/hb_wire.c, which is the only place that
 * sees the generated code). The numbers are a public contract: operators
 * see them and central stores them in idempotency rows. Never renumber,
 * never reuse; add new codes at the end, in the .proto and here together.
 */
#ifndef HB_RESULT_H
#define HB_RESULT_H

#include <stdbool.h>

typedef enum {
    HB_RESULT_UNSET = 0,
    HB_RESULT_OK = 1,
    HB_RESULT_DUPLICATE = 2,
    HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD = 3,
    HB_RESULT_SEQ_GAP = 4,
    HB_RESULT_MALFORMED = 5,
    HB_RESULT_UNSUPPORTED_VERSION = 6,
    HB_RESULT_NOT_AUTHORIZED = 7,
    HB_RESULT_UNKNOWN_MEMBER = 8,
    HB_RESULT_UNKNOWN_CATEGORY = 9,
    HB_RESULT_INVALID_DURATION = 10,
    HB_RESULT_SELF_SERVICE = 11,
    HB_RESULT_INSUFFICIENT_BALANCE = 12,
    HB_RESULT_CAP_EXCEEDED = 13,
    HB_RESULT_DAILY_LIMIT_EXCEEDED = 14,
    HB_RESULT_OCCURRED_IN_FUTURE = 15,
    HB_RESULT_TOO_OLD = 16,
    HB_RESULT_ALREADY_VOIDED = 17,
    HB_RESULT_UNKNOWN_OPERATION = 18,
    HB_RESULT_BAD_MEMBER_NUMBER = 19,
    HB_RESULT_NOT_FAMILY = 20,
    HB_RESULT_BUDGET_EXHAUSTED = 21,
    HB_RESULT_UNAVAILABLE = 22,
    HB_RESULT_OUTBOX_FULL = 23,
    HB_RESULT_NOT_FOUND = 24,
    HB_RESULT_INTERNAL = 25,
    HB_RESULT_NOT_VOIDABLE = 26,
    HB_RESULT_REGISTRATION_REFUSED = 27,
    HB_RESULT_AWAITING_CENTRAL = 28,
    HB_RESULT_NO_DISTRICT_RULES = 29,
    HB_RESULT_UNKNOWN_OPERATOR = 30,
    HB_RESULT_MEMBER_LEFT = 31,
    HB_RESULT_OPENING_EXISTS = 32,
    HB_RESULT_POSSIBLE_DUPLICATE = 33,
    HB_RESULT_ALREADY_HOME = 34,
    HB_RESULT_SIGN_IN_REFUSED = 35
} hb_result_t;

/* Highest code in use; every value in 0..HB_RESULT_LAST is a known code. */
#define HB_RESULT_LAST HB_RESULT_SIGN_IN_REFUSED

/* True if value is one of the codes above (HB_RESULT_UNSET included). */
bool hb_result_is_known(int value);

/* The code's name as spelled in hourbank.proto, e.g. "INSUFFICIENT_BALANCE"
 * ("RESULT_UNSET" for 0). Unknown values give "UNKNOWN_RESULT".
 * Returns a static string; never NULL. */
const char *hb_result_name(hb_result_t result);

/* A lowercase sentence fragment for operators, without trailing period,
 * e.g. "the payer does not hold enough hours". Unknown values give
 * "unknown result code". Returns a static string; never NULL. */
const char *hb_result_text(hb_result_t result);

#endif
