#include "hb_result.h"
#include "hb_i18n.h"

#include <stddef.h>

typedef struct {
    const char *name;
    const char *text;
} result_info_t;

/* Indexed by code; designated initializers keep each row next to its number. */
static const result_info_t result_info[HB_RESULT_LAST + 1] = {
    [HB_RESULT_UNSET] = {"RESULT_UNSET", N_("no result was given")},
    [HB_RESULT_OK] = {"OK", N_("done")},
    [HB_RESULT_DUPLICATE] = {"DUPLICATE", N_("the member number is already registered")},
    [HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD] =
        {"EXISTS_WITH_DIFFERENT_PAYLOAD", N_("this station sequence number was already used for a different operation")},
    [HB_RESULT_SEQ_GAP] = {"SEQ_GAP", N_("operations are missing before this batch")},
    [HB_RESULT_MALFORMED] = {"MALFORMED", N_("the message is not valid")},
    [HB_RESULT_UNSUPPORTED_VERSION] = {"UNSUPPORTED_VERSION", N_("the protocol version is not supported")},
    [HB_RESULT_NOT_AUTHORIZED] = {"NOT_AUTHORIZED", N_("the station may not act outside its own community")},
    [HB_RESULT_UNKNOWN_MEMBER] = {"UNKNOWN_MEMBER", N_("no member is registered under this number")},
    [HB_RESULT_UNKNOWN_CATEGORY] = {"UNKNOWN_CATEGORY", N_("the service category is not in the catalogue")},
    [HB_RESULT_INVALID_DURATION] = {"INVALID_DURATION", N_("the number of minutes is out of range")},
    [HB_RESULT_SELF_SERVICE] = {"SELF_SERVICE", N_("a member cannot record a service to themselves")},
    [HB_RESULT_INSUFFICIENT_BALANCE] = {"INSUFFICIENT_BALANCE", N_("the payer does not hold enough hours")},
    [HB_RESULT_CAP_EXCEEDED] = {"CAP_EXCEEDED", N_("the member would hold more hours than the cap allows")},
    [HB_RESULT_DAILY_LIMIT_EXCEEDED] =
        {"DAILY_LIMIT_EXCEEDED", N_("the provider would exceed the hours allowed in one day")},
    [HB_RESULT_OCCURRED_IN_FUTURE] = {"OCCURRED_IN_FUTURE", N_("the operation is dated in the future")},
    [HB_RESULT_TOO_OLD] = {"TOO_OLD", N_("the operation is older than the accepted window")},
    [HB_RESULT_ALREADY_VOIDED] = {"ALREADY_VOIDED", N_("the operation has already been voided")},
    [HB_RESULT_UNKNOWN_OPERATION] = {"UNKNOWN_OPERATION", N_("the operation to void does not exist")},
    [HB_RESULT_BAD_MEMBER_NUMBER] = {"BAD_MEMBER_NUMBER", N_("the member number is mistyped or has a wrong check digit")},
    [HB_RESULT_NOT_FAMILY] = {"NOT_FAMILY", N_("hours may only be given to a registered family member")},
    [HB_RESULT_BUDGET_EXHAUSTED] = {"BUDGET_EXHAUSTED", N_("the guarantee budget is used up")},
    [HB_RESULT_UNAVAILABLE] = {"UNAVAILABLE", N_("the ledger is temporarily unavailable; try again later")},
    [HB_RESULT_OUTBOX_FULL] = {"OUTBOX_FULL", N_("the station's outbox is full until it can sync with central")},
    [HB_RESULT_NOT_FOUND] = {"NOT_FOUND", N_("nothing was found")},
    [HB_RESULT_INTERNAL] = {"INTERNAL", N_("an internal error occurred; see the server log")},
    [HB_RESULT_NOT_VOIDABLE] = {"NOT_VOIDABLE", N_("the operation was rejected or is itself a void and cannot be voided")},
    [HB_RESULT_REGISTRATION_REFUSED] =
        {"REGISTRATION_REFUSED", N_("this station's registration of the member number was refused, so the number may"
                                 " mean another person here")},
    [HB_RESULT_AWAITING_CENTRAL] =
        {"AWAITING_CENTRAL", N_("the station was restored from a backup and saves only after central has confirmed"
                             " its numbers")},
    [HB_RESULT_NO_DISTRICT_RULES] =
        {"NO_DISTRICT_RULES", N_("a member's district has no rules in the rules version in force, so central cannot"
                              " judge the operation")},
    [HB_RESULT_UNKNOWN_OPERATOR] =
        {"UNKNOWN_OPERATOR", N_("the station has no enabled operator of that name")},
    [HB_RESULT_MEMBER_LEFT] = {"MEMBER_LEFT", N_("the member has left the scheme")},
    [HB_RESULT_OPENING_EXISTS] = {"OPENING_EXISTS", N_("the member already has an opening balance")},
    [HB_RESULT_POSSIBLE_DUPLICATE] =
        {"POSSIBLE_DUPLICATE", N_("a member with the same name and birth year is already registered in this"
                               " community")},
    [HB_RESULT_ALREADY_HOME] = {"ALREADY_HOME", N_("the member already lives in this community")},
    [HB_RESULT_SIGN_IN_REFUSED] = {"SIGN_IN_REFUSED", N_("the operator could not sign in")},
};

bool
hb_result_is_known(int value)
{
    return value >= 0 && value <= (int) HB_RESULT_LAST;
}

const char *
hb_result_name(hb_result_t result)
{
    if (!hb_result_is_known((int) result))
        return "UNKNOWN_RESULT";
    return result_info[result].name;
}

const char *
hb_result_text(hb_result_t result)
{
    if (!hb_result_is_known((int) result))
        return "unknown result code";
    return result_info[result].text;
}
