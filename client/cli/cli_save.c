/* cli_save.c - record, gift and void: checked input, one SaveRequest with
 * a request id, sent once more when the station does not answer in time. */
#include "cli_save.h"
#include "cli_confirm.h"
#include "cli_format.h"
#include "cli_json.h"
#include "cli_names.h"
#include "cli_op.h"
#include "cli_parse.h"
#include "cli_report.h"
#include "cli_target.h"
#include "cli_zone.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_result.h"
#include "hb_wire.h"

#include <sodium.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#define MS_PER_SECOND 1000

/* ---- the shared save step ---- */

/* 32 hex digits of randomness (libsodium). */
static void
request_id_new(char out[HB_REQUEST_ID_BYTES_MAX + 1])
{
    unsigned char raw[HB_CLI_REQUEST_ID_RANDOM_BYTES];
    hb_assert(sodium_init() >= 0);
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, HB_REQUEST_ID_BYTES_MAX + 1, raw, sizeof raw);
}

/* What the operator would search for: text up to its first line break or
 * quote, at most HB_SEARCH_BYTES_MAX bytes, not cutting a UTF-8 character,
 * without trailing spaces ("" when nothing is left). */
static void
search_text(const char *text, char out[HB_SEARCH_BYTES_MAX + 1])
{
    size_t len = 0;
    while (text[len] && len < HB_SEARCH_BYTES_MAX && (unsigned char) text[len] >= 0x20 && text[len] != '\'' &&
           text[len] != 0x7F)
        len++;
    while (len > 0 && text[len] && ((unsigned char) text[len] & 0xC0u) == 0x80u)
        len--;  /* text[len] continues a character: end before that character */
    while (len > 0 && text[len - 1] == ' ')
        len--;
    memcpy(out, text, len);
    out[len] = '\0';
}

/* The op's note or reason ("" for a registration). */
static const char *
op_note(const Hourbank__Op *op)
{
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_SERVICE: return op->service->note;
    case HOURBANK__OP__KIND_GIFT: return op->gift->reason;
    case HOURBANK__OP__KIND_VOID_OP: return op->void_op->reason;
    case HOURBANK__OP__KIND_DONATION: return op->donation->reason;
    case HOURBANK__OP__KIND_AMEND: return op->amend->reason;
    case HOURBANK__OP__KIND_MOVE: return op->move->reason;
    case HOURBANK__OP__KIND_LEAVE: return op->leave->reason;
    case HOURBANK__OP__KIND_OPENING: return op->opening->source;
    default: return "";
    }
}

/* Neither send of a save was answered: it may or may not be stored. Says
 * how to look and how to retry without saving it twice. EX_TEMPFAIL. */
static int
report_maybe_saved(hb_cli_t *cli, const Hourbank__Op *op, const char *request_id, int sends)
{
    static const char *const subject[] = {
        [HOURBANK__OP__KIND_REGISTER_MEMBER] = N_("the registration"), [HOURBANK__OP__KIND_SERVICE] = N_("the record"),
        [HOURBANK__OP__KIND_GIFT] = N_("the gift"), [HOURBANK__OP__KIND_VOID_OP] = N_("the void"),
        [HOURBANK__OP__KIND_DONATION] = N_("the donation"), [HOURBANK__OP__KIND_AMEND] = N_("the correction"),
        [HOURBANK__OP__KIND_MOVE] = N_("the move"), [HOURBANK__OP__KIND_LEAVE] = N_("the leave"),
        [HOURBANK__OP__KIND_OPENING] = N_("the opening balance")};
    hb_assert((size_t) op->kind_case < sizeof subject / sizeof subject[0] && subject[op->kind_case]);
    char text[HB_SEARCH_BYTES_MAX + 1], look[HB_CLI_TEXT_BYTES_MAX];
    bool registration = op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER;
    search_text(registration ? op->register_member->name : op_note(op), text);
    if (text[0])
        snprintf(look, sizeof look, _("hourbank %s '%s' or hourbank queue"),
                 registration ? "member find" : "queue find --note", text);
    else
        snprintf(look, sizeof look, "hourbank queue");
    char each[HB_CLI_FORMAT_BYTES];
    if (cli->timeout_ms % MS_PER_SECOND == 0)
        snprintf(each, sizeof each, _("%ds"), cli->timeout_ms / MS_PER_SECOND);
    else
        snprintf(each, sizeof each, _("%dms"), cli->timeout_ms);
    return hb_cli_report_fail(cli, EX_TEMPFAIL,
                              sends == 1 ? _("%s may have been saved: the station at %s did not answer in time (sent %d "
                                             "time, waited %s each); before entering it again, look for it with %s; or "
                                             "run the same command again with --request-id %s: the station saves it at "
                                             "most once")
                                         : _("%s may have been saved: the station at %s did not answer in time (sent %d "
                                             "times, waited %s each); before entering it again, look for it with %s; or "
                                             "run the same command again with --request-id %s: the station saves it at "
                                             "most once"),
                              _(subject[op->kind_case]), cli->endpoint, sends, each, look, request_id);
}

/* The value of the refusal's parameter name, or "" when it has none. */
static const char *
param_value(const Hourbank__ErrorReply *error, const char *name)
{
    for (size_t i = 0; i < error->n_params; i++)
        if (error->params[i]->name && strcmp(error->params[i]->name, name) == 0 && error->params[i]->value)
            return error->params[i]->value;
    return "";
}

/* A registration refused as a possible duplicate: who is registered
 * already, and what to do when the new one is another person. */
static int
report_possible_duplicate(hb_cli_t *cli, const char *what, const Hourbank__ErrorReply *error)
{
    const char *no = param_value(error, "member");
    if (!no[0])
        return hb_cli_report_refusal(cli, what, error);
    char who[HB_NAME_BYTES_MAX + HB_MEMBER_NO_BUF_BYTES + HB_CLI_FORMAT_BYTES];
    return hb_cli_report_fail(cli, hb_cli_report_exit_code((hb_result_t) error->code),
                              _("%s: %s, born %s, is already registered in this community (possible duplicate); "
                                "check that it is not the same person (hourbank member show %s); if it is another "
                                "person, run the same command again with --confirm-new"),
                              what, hb_cli_names_member(cli, who, sizeof who, no), param_value(error, "birth_year"),
                              no);
}

/* An ErrorReply refusing the save; the request id reused for other work
 * is the operator's mistake (EX_DATAERR), not a protocol error. */
static int
check_reply(hb_cli_t *cli, const Hourbank__Envelope *reply, const char *what)
{
    if (reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR &&
        reply->error->code == HOURBANK__RESULT__EXISTS_WITH_DIFFERENT_PAYLOAD) {
        hb_cli_report_refusal(cli, what, reply->error);  /* its exit code says protocol error: not here */
        return EX_DATAERR;
    }
    if (reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR &&
        reply->error->code == HOURBANK__RESULT__POSSIBLE_DUPLICATE)
        return report_possible_duplicate(cli, what, reply->error);
    return hb_cli_target_expect(cli, reply, HOURBANK__ENVELOPE__BODY_SAVE_REPLY, what);
}

/* A station older than --dry-run would store the op: it is asked first
 * whether it knows RulesQuery, which came with dry runs. */
static int
check_dry_run_known(hb_cli_t *cli)
{
    Hourbank__RulesQuery q;
    hourbank__rules_query__init(&q);
    Hourbank__Envelope req, *reply = NULL;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_RULES_QUERY;
    req.rules_query = &q;
    int rc = hb_cli_target_station(cli, &req, &reply);
    if (rc == 0 && reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR && reply->error->code == HOURBANK__RESULT__MALFORMED)
        rc = hb_cli_report_fail(cli, EX_UNAVAILABLE,
                                _("the station at %s runs an older hourbank-station that does not know --dry-run: "
                                  "nothing was sent"),
                                cli->endpoint);
    hb_wire_free(&reply);
    return rc;
}

/* A dry run: one send, no request id (nothing is stored, so a lost reply
 * costs nothing). */
static int
dry_run(hb_cli_t *cli, Hourbank__Envelope *req, const char *what, Hourbank__Envelope **reply_out)
{
    int rc = check_dry_run_known(cli);
    if (rc != 0)
        return rc;
    req->save->dry_run = true;
    req->save->request_id = (char *) (uintptr_t) "";
    rc = hb_cli_target_station(cli, req, reply_out);
    if (rc == 0)
        rc = check_reply(cli, *reply_out, what);
    if (rc == 0 && !(*reply_out)->save_reply->dry_run) {
        char ref[HB_CLI_FORMAT_BYTES];
        hb_cli_format_op_ref(ref, sizeof ref, (*reply_out)->save_reply->station_id, (*reply_out)->save_reply->seq);
        rc = hb_cli_report_fail(cli, EX_PROTOCOL,
                                _("the station saved it as %s although only a dry run was asked; if it was not "
                                  "meant, cancel it with hourbank void %s"),
                                ref, ref);
    }
    if (rc != 0)
        hb_wire_free(reply_out);
    return rc;
}

int
hb_cli_save_op(hb_cli_t *cli, Hourbank__Op *op, const char *what, const char *request_id, bool dry,
               Hourbank__Envelope **reply_out)
{
    return hb_cli_save_op_new(cli, op, what, request_id, dry, false, reply_out);
}

int
hb_cli_save_op_new(hb_cli_t *cli, Hourbank__Op *op, const char *what, const char *request_id, bool dry,
                   bool confirm_new, Hourbank__Envelope **reply_out)
{
    hb_assert(cli && op && what && reply_out && op->seq == 0);
    *reply_out = NULL;
    hb_wire_error_t err;
    char id[HB_REQUEST_ID_BYTES_MAX + 1], msg[HB_CLI_TEXT_BYTES_MAX];
    if (hb_wire_validate_op(op, HB_WIRE_OP_IN_SAVE, &err) != 0)
        return hb_cli_report_fail(cli, hb_cli_report_exit_code(err.code), _("%s: %s"), what, err.message);
    if (dry && request_id)
        return hb_cli_report_usage(cli, "%s", _("--dry-run saves nothing and takes no --request-id"));
    if (request_id && hb_cli_parse_request_id(request_id, id, msg, sizeof msg) != 0)
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    if (!request_id)
        request_id_new(id);
    Hourbank__SaveRequest save;
    hourbank__save_request__init(&save);
    save.op = op;
    save.request_id = id;
    save.confirm_new = confirm_new;
    Hourbank__Envelope req;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_SAVE;
    req.save = &save;
    if (dry)
        return dry_run(cli, &req, what, reply_out);
    int unanswered = 0;
    int rc = hb_cli_target_station_save(cli, &req, reply_out, &unanswered);
    if (unanswered)
        return report_maybe_saved(cli, op, id, unanswered);
    if (rc == 0)
        rc = check_reply(cli, *reply_out, what);
    if (rc != 0)
        hb_wire_free(reply_out);
    else if (!request_id)
        (*reply_out)->save_reply->repeated = false;  /* a repeat of this run's own resend: its first send landed */
    return rc;
}

int
hb_cli_save_take_operator(hb_cli_t *cli, const hb_cli_args_t *args, Hourbank__Op *op)
{
    hb_assert(cli && args && op);
    const char *name = hb_cli_command_value(args, "operator");
    char msg[HB_CLI_TEXT_BYTES_MAX];
    if (name && hb_cli_parse_chars("--operator", name, HB_OPERATOR_CHARS_MAX, true, false, msg, sizeof msg) != 0)
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    op->operator_ = (char *) (uintptr_t) (name ? name : "");
    return 0;
}

/* Saves op (with --operator) and prints the result. */
static int
save_and_print(hb_cli_t *cli, const hb_cli_args_t *args, Hourbank__Op *op, const char *what)
{
    Hourbank__Envelope *reply = NULL;
    int rc = hb_cli_save_take_operator(cli, args, op);
    if (rc != 0)
        return rc;
    rc = hb_cli_save_op(cli, op, what, hb_cli_command_value(args, "request-id"), hb_cli_command_flag(args, "dry-run"),
                        &reply);
    if (rc == 0)
        hb_cli_confirm_print(cli, op, reply->save_reply, NULL);
    hb_wire_free(&reply);
    return rc;
}

static int
bad_data(hb_cli_t *cli, const char *msg)
{
    return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
}

/* ---- record ---- */

/* --at: not in the future beyond the clock skew central allows. Before
 * the district's zone is known (zone_known false) only what no zone can
 * change is checked: the form, and a time ahead in every zone. */
static int
parse_at(const char *text, bool zone_known, int64_t now, int64_t *at, char *msg, size_t msg_size)
{
    if (!text) {
        *at = now;
        return 0;
    }
    int64_t as_utc = 0;
    if (!zone_known && hb_cli_parse_moment_form(text, true, &as_utc, msg, msg_size) != 0)
        return -1;
    if (!zone_known)
        *at = as_utc - HB_CLI_ZONE_OFFSET_S_MAX;  /* the earliest it can mean */
    else if (hb_cli_parse_time(text, at, msg, msg_size) != 0)
        return -1;
    if (*at > now + HB_CLOCK_SKEW_S_DEFAULT) {
        snprintf(msg, msg_size, _("--at %s is in the future: record services once they have happened"), text);
        return -1;
    }
    return 0;
}

static int
run_record(hb_cli_t *cli, const hb_cli_args_t *args)
{
    char provider[HB_MEMBER_NO_BUF_BYTES], recipient[HB_MEMBER_NO_BUF_BYTES];
    char category[HB_CATEGORY_BYTES_MAX + 1], msg[HB_CLI_TEXT_BYTES_MAX];
    const char *note = hb_cli_command_value(args, "note"), *at_text = hb_cli_command_value(args, "at");
    int64_t minutes = 0, at = 0;
    if (hb_cli_parse_member_no(hb_cli_command_value(args, "provider"), provider, msg, sizeof msg) != 0 ||
        hb_cli_parse_member_no(hb_cli_command_value(args, "recipient"), recipient, msg, sizeof msg) != 0 ||
        hb_cli_parse_duration(hb_cli_command_value(args, "duration"), 1, HB_RECORD_MINUTES_MAX,
                              N_("one service record"), &minutes, msg, sizeof msg) != 0 ||
        hb_cli_op_category("--category", hb_cli_command_value(args, "category"), category, msg, sizeof msg) != 0 ||
        parse_at(at_text, false, (int64_t) time(NULL), &at, msg, sizeof msg) != 0 ||
        (note && hb_cli_parse_chars("--note", note, HB_NOTE_CHARS_MAX, false, true, msg, sizeof msg) != 0))
        return bad_data(cli, msg);
    int rc = at_text ? hb_cli_zone_ask_station(cli) : 0;  /* --at is the district's wall-clock time */
    if (rc != 0)
        return rc;
    if (parse_at(at_text, true, (int64_t) time(NULL), &at, msg, sizeof msg) != 0)
        return bad_data(cli, msg);
    if (strcmp(provider, recipient) == 0)
        return hb_cli_report_fail(cli, EX_DATAERR,
                                  _("the provider and the recipient are the same member (%s): a service is "
                                    "given to someone else"),
                                  provider);
    hb_cli_op_t o;
    hb_cli_op_service(&o, provider, recipient, minutes, category, note, at);
    return save_and_print(cli, args, &o.op, _("the record was not saved"));
}

static const hb_cli_opt_t record_opts[] = {
    {"provider", 0, N_("MEMBER_NO"), true, N_("who gave the service (earns the hours)")},
    {"recipient", 0, N_("MEMBER_NO"), true, N_("who received it")},
    {"duration", 0, N_("DURATION"), true, N_("how long: 1h30m, 90m, 2h (at most 24h)")},
    {"category", 0, N_("NAME"), true, N_("service category (see hourbank categories)")},
    {"at", 0, N_("\"YYYY-MM-DD HH:MM\""), false, N_("when it happened, the district's local time (default: now)")},
    {"note", 0, N_("TEXT"), false, N_("a note for the record (hourbank queue find --note searches it)")},
    HB_CLI_SAVE_OPERATOR_OPT,
    HB_CLI_SAVE_REQUEST_ID_OPT,
    HB_CLI_SAVE_DRY_RUN_OPT,
    {NULL, 0, NULL, false, NULL},
};

const hb_cli_command_t hb_cli_save_record = {
    .name = "record",
    .operands = "",
    .summary = N_("record a service one member gave another"),
    .description = N_("Records a service: the provider earns the hours, and the recipient's account or the\n"
                   "district's guarantee pays, as the district's rules say. The record is saved at this\n"
                   "station at once, also when the network is down, and reaches central when the link\n"
                   "is up. Prints its reference, e.g. \"saved as 1:42 (pending sync)\"."
                   HB_CLI_SAVE_HELP_UNANSWERED),
    .target = HB_CLI_TARGET_STATION,
    .opts = record_opts,
    .run = run_record,
};

/* ---- gift ---- */

static int
run_gift(hb_cli_t *cli, const hb_cli_args_t *args)
{
    char from[HB_MEMBER_NO_BUF_BYTES], to[HB_MEMBER_NO_BUF_BYTES], msg[HB_CLI_TEXT_BYTES_MAX];
    const char *reason_text = hb_cli_command_value(args, "reason");
    int64_t minutes = 0;
    if (hb_cli_parse_member_no(hb_cli_command_value(args, "from"), from, msg, sizeof msg) != 0 ||
        hb_cli_parse_member_no(hb_cli_command_value(args, "to"), to, msg, sizeof msg) != 0 ||
        hb_cli_parse_duration(hb_cli_command_value(args, "duration"), 1, HB_GIFT_MINUTES_MAX, N_("one gift"), &minutes,
                              msg, sizeof msg) != 0 ||
        hb_cli_parse_chars("--reason", reason_text, HB_NOTE_CHARS_MAX, true, true, msg, sizeof msg) != 0)
        return bad_data(cli, msg);
    if (strcmp(from, to) == 0)
        return hb_cli_report_fail(cli, EX_DATAERR, _("--from and --to are the same member (%s)"), from);
    hb_cli_op_t o;
    hb_cli_op_gift(&o, from, to, minutes, reason_text, (int64_t) time(NULL));
    return save_and_print(cli, args, &o.op, _("the gift was not saved"));
}

static const hb_cli_opt_t gift_opts[] = {
    {"from", 0, N_("MEMBER_NO"), true, N_("who gives hours")},
    {"to", 0, N_("MEMBER_NO"), true, N_("who receives them (a registered family member)")},
    {"duration", 0, N_("DURATION"), true, N_("how many hours: 2h, 1h30m, 90m")},
    {"reason", 0, N_("TEXT"), true, N_("why, for the record")},
    HB_CLI_SAVE_OPERATOR_OPT,
    HB_CLI_SAVE_REQUEST_ID_OPT,
    HB_CLI_SAVE_DRY_RUN_OPT,
    {NULL, 0, NULL, false, NULL},
};

const hb_cli_command_t hb_cli_save_gift = {
    .name = "gift",
    .operands = "",
    .summary = N_("give hours to a family member"),
    .description = N_("Moves hours from one member's account to another's, typically to a registered family\n"
                   "member (the district's rules decide who may receive gifts). Saved at this station\n"
                   "at once; central applies it, or rejects it with a reason (see hourbank queue --rejected)."
                   HB_CLI_SAVE_HELP_UNANSWERED),
    .target = HB_CLI_TARGET_STATION,
    .opts = gift_opts,
    .run = run_gift,
};

/* ---- void ---- */

static int
run_void(hb_cli_t *cli, const hb_cli_args_t *args)
{
    char msg[HB_CLI_TEXT_BYTES_MAX];
    const char *reason_text = hb_cli_command_value(args, "reason");
    uint32_t station_id = 0;
    uint64_t seq = 0;
    if (hb_cli_parse_op_ref(args->operands[0], &station_id, &seq, msg, sizeof msg) != 0 ||
        hb_cli_parse_chars("--reason", reason_text, HB_NOTE_CHARS_MAX, true, true, msg, sizeof msg) != 0)
        return bad_data(cli, msg);
    hb_cli_op_t o;
    hb_cli_op_void(&o, station_id, seq, reason_text, (int64_t) time(NULL));
    return save_and_print(cli, args, &o.op, _("the void was not saved"));
}

static const hb_cli_opt_t void_opts[] = {
    {"reason", 0, N_("TEXT"), true, N_("why the operation is cancelled, for the record")},
    HB_CLI_SAVE_OPERATOR_OPT,
    HB_CLI_SAVE_REQUEST_ID_OPT,
    HB_CLI_SAVE_DRY_RUN_OPT,
    {NULL, 0, NULL, false, NULL},
};

const hb_cli_command_t hb_cli_save_void = {
    .name = "void",
    .operands = N_("OP_REF"),
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("cancel a saved operation by its reference"),
    .description = N_("Cancels a service record or gift by its reference STATION:SEQ, as printed when it was\n"
                   "saved (e.g. 1:42). The ledger never erases anything: central posts a reversing\n"
                   "transfer that names the original and the reason."
                   HB_CLI_SAVE_HELP_UNANSWERED),
    .target = HB_CLI_TARGET_STATION,
    .opts = void_opts,
    .run = run_void,
};
