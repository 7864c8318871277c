/* cli_donate.c - a member's donation of hours to the pool: checked as a
 * gift is (member number with its check digit, a duration of at most
 * HB_GIFT_MINUTES_MAX, a reason), saved through hb_cli_save_op. */
#include "cli_donate.h"
#include "cli_confirm.h"
#include "cli_format.h"
#include "cli_op.h"
#include "cli_parse.h"
#include "cli_report.h"
#include "cli_save.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <stdio.h>
#include <sysexits.h>
#include <time.h>

static int
run_donate(hb_cli_t *cli, const hb_cli_args_t *args)
{
    char member[HB_MEMBER_NO_BUF_BYTES], msg[HB_CLI_TEXT_BYTES_MAX];
    const char *reason_text = hb_cli_command_value(args, "reason");
    int64_t minutes = 0;
    if (hb_cli_parse_member_no(args->operands[0], member, msg, sizeof msg) != 0 ||
        hb_cli_parse_duration(args->operands[1], 1, HB_GIFT_MINUTES_MAX, _("one donation"), &minutes, msg,
                              sizeof msg) != 0 ||
        hb_cli_parse_chars("--reason", reason_text, HB_NOTE_CHARS_MAX, true, true, msg, sizeof msg) != 0)
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    hb_cli_op_t o;
    hb_cli_op_donation(&o, member, minutes, reason_text, (int64_t) time(NULL));
    Hourbank__Op *op = &o.op;
    int rc = hb_cli_save_take_operator(cli, args, op);
    if (rc != 0)
        return rc;
    Hourbank__Envelope *reply = NULL;
    rc = hb_cli_save_op(cli, op, _("the donation was not saved"), hb_cli_command_value(args, "request-id"),
                        hb_cli_command_flag(args, "dry-run"), &reply);
    if (rc == 0)
        hb_cli_confirm_print(cli, op, reply->save_reply, NULL);
    hb_wire_free(&reply);
    return rc;
}

static const hb_cli_opt_t donate_opts[] = {
    {"reason", 0, "TEXT", true, N_("why, for the record")},
    HB_CLI_SAVE_OPERATOR_OPT,
    HB_CLI_SAVE_REQUEST_ID_OPT,
    HB_CLI_SAVE_DRY_RUN_OPT,
    {NULL, 0, NULL, false, NULL},
};

const hb_cli_command_t hb_cli_donate_donate = {
    .name = "donate",
    .operands = "MEMBER_NO DURATION",
    .operands_min = 2,
    .operands_max = 2,
    .summary = N_("give a member's hours to the pool"),
    .description = N_("Moves hours from a member's account to the pool's donation account, e.g. hours a\n"
                      "member will not use. DURATION as for gift: 2h, 1h30m, 90m (at most 365 days). Saved at\n"
                      "this station at once; central applies it, or rejects it with a reason (the member's\n"
                      "balance, see hourbank queue --rejected)." HB_CLI_SAVE_HELP_UNANSWERED),
    .target = HB_CLI_TARGET_STATION,
    .opts = donate_opts,
    .run = run_donate,
};
