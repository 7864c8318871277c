/* cli_balance.c - balance (the statement is in cli_statement.c). */
#include "cli_balance.h"
#include "cli_format.h"
#include "cli_json.h"
#include "cli_names.h"
#include "cli_parse.h"
#include "cli_report.h"
#include "cli_table.h"
#include "cli_target.h"
#include "cli_zone.h"
#include "cli_words.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* ---- balance ---- */

/* What this station saved and central has not acknowledged, by direction.
 * A station older than pending_in/out says only their difference: it is
 * shown as in or out. */
static void
pending_split(const Hourbank__BalanceReply *b, int64_t *in, int64_t *out)
{
    *in = b->pending_in_minutes;
    *out = b->pending_out_minutes;
    if (*in == 0 && *out == 0 && b->pending_minutes != 0) {
        *in = b->pending_minutes > 0 ? b->pending_minutes : 0;
        *out = b->pending_minutes < 0 ? -b->pending_minutes : 0;
    }
}

static void
json_balance(hb_cli_t *cli, const Hourbank__BalanceReply *b, const char *name)
{
    int64_t in = 0, out = 0;
    pending_split(b, &in, &out);
    hb_cli_json_t j;
    hb_cli_json_init(&j, cli->out);
    hb_cli_json_object_begin(&j);
    hb_cli_json_kv_string(&j, "member_no", b->member_no);
    hb_cli_json_kv_string(&j, "name", name);
    hb_cli_json_kv_int(&j, "balance_minutes", b->balance_minutes);
    hb_cli_json_kv_int(&j, "pending_minutes", b->pending_minutes);
    hb_cli_json_kv_time(&j, "as_of", b->as_of);
    hb_cli_json_kv_int(&j, "synced_minutes", b->balance_minutes);
    hb_cli_json_kv_int(&j, "pending_in_minutes", in);
    hb_cli_json_kv_int(&j, "pending_out_minutes", out);
    hb_cli_json_kv_int(&j, "available_minutes", b->balance_minutes + in - out);
    hb_cli_json_object_end(&j);
    hb_cli_json_finish(&j);
}

/* synced (as of), pending in, pending out, available = synced + in - out */
static int
print_balance(hb_cli_t *cli, const Hourbank__BalanceReply *b)
{
    if (cli->json) {
        json_balance(cli, b, hb_cli_names_namer(cli, b->member_no));
        return 0;
    }
    int64_t in = 0, out = 0;
    pending_split(b, &in, &out);
    char d[HB_CLI_FORMAT_BYTES], t[HB_CLI_FORMAT_BYTES], who[HB_CLI_TEXT_BYTES_MAX];
    hb_cli_table_t *tab = hb_cli_table_new(3, NULL);
    if (!tab)
        return hb_cli_report_out_of_memory(cli);
    hb_cli_table_align_right(tab, 1);
    hb_cli_table_cell(tab, "  %s", _("synced"));
    hb_cli_table_cell(tab, "%s", hb_cli_format_duration(d, sizeof d, b->balance_minutes, false));
    if (b->as_of)
        hb_cli_table_cell(tab, _("with central, as of %s"), hb_cli_format_time(t, sizeof t, b->as_of));
    else
        hb_cli_table_cell(tab, "%s", _("not synced with central yet"));
    hb_cli_table_cell(tab, "  %s", _("pending in"));
    hb_cli_table_cell(tab, "%s", hb_cli_format_duration(d, sizeof d, in, true));
    hb_cli_table_cell(tab, "%s", _("saved here, not yet at central"));
    hb_cli_table_cell(tab, "  %s", _("pending out"));
    hb_cli_table_cell(tab, "%s", hb_cli_format_duration(d, sizeof d, -out, true));
    hb_cli_table_cell(tab, "%s", _("saved here, not yet at central"));
    hb_cli_table_cell(tab, "  %s", _("available"));
    hb_cli_table_cell(tab, "%s", hb_cli_format_duration(d, sizeof d, b->balance_minutes + in - out, false));
    hb_cli_table_cell(tab, "%s", _("synced + pending in - pending out"));
    fprintf(cli->out, _("balance of %s\n"), hb_cli_names_member(cli, who, sizeof who, b->member_no));
    return hb_cli_table_finish(&tab, cli->out) == 0 ? 0 : hb_cli_report_out_of_memory(cli);
}

static int
run_balance(hb_cli_t *cli, const hb_cli_args_t *args)
{
    char no[HB_MEMBER_NO_BUF_BYTES], msg[HB_CLI_TEXT_BYTES_MAX];
    if (hb_cli_parse_member_no(args->operands[0], no, msg, sizeof msg) != 0)
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    int rc = hb_cli_zone_ask_station(cli);  /* "as of" in the district's time */
    if (rc != 0)
        return rc;
    Hourbank__BalanceQuery q;
    hourbank__balance_query__init(&q);
    q.member_no = no;
    Hourbank__Envelope req, *reply = NULL;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_BALANCE_QUERY;
    req.balance_query = &q;
    rc = hb_cli_target_station(cli, &req, &reply);
    if (rc != 0)
        return rc;
    if (hb_cli_report_is_not_found(reply))
        rc = hb_cli_report_member_not_found(cli, no);
    else if ((rc = hb_cli_target_expect(cli, reply, HOURBANK__ENVELOPE__BODY_BALANCE_REPLY,
                                        _("could not get the balance"))) == 0)
        rc = print_balance(cli, reply->balance_reply);
    hb_wire_free(&reply);
    return rc;
}

const hb_cli_command_t hb_cli_balance_balance = {
    .name = "balance",
    .operands = N_("MEMBER_NO"),
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("show a member's hours: synced balance plus changes saved here"),
    .description = N_("Shows the member's balance as last synced with central (\"as of\" says how fresh it\n"
                      "is), what was saved at this station and not yet acknowledged by central, coming in\n"
                      "and going out, and the hours available: synced + pending in - pending out. Works\n"
                      "offline."),
    .target = HB_CLI_TARGET_STATION,
    .opts = NULL,
    .run = run_balance,
};
