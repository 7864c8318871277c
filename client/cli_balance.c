/* cli_balance.c - balance and statement. */
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

/* ---- statement ---- */

static int
by_transfer_id(const void *a, const void *b)
{
    const Hourbank__StatementEntry *x = *(const Hourbank__StatementEntry *const *) a;
    const Hourbank__StatementEntry *y = *(const Hourbank__StatementEntry *const *) b;
    return x->transfer_id < y->transfer_id ? -1 : x->transfer_id > y->transfer_id;
}

/* The entry's op as "STATION:SEQ" into buf, or NULL when no op caused it. */
static const char *
entry_op(char *buf, size_t size, const Hourbank__StatementEntry *e)
{
    if (!e->op || e->op->station_id == 0)
        return NULL;
    return hb_cli_format_op_ref(buf, size, e->op->station_id, e->op->seq);
}

static void
json_statement(hb_cli_t *cli, const Hourbank__StatementReply *r, int64_t since)
{
    char buf[HB_CLI_FORMAT_BYTES];
    hb_cli_json_t j;
    hb_cli_json_init(&j, cli->out);
    hb_cli_json_object_begin(&j);
    hb_cli_json_kv_string(&j, "member_no", r->member_no);
    hb_cli_json_kv_time(&j, "since", since);
    hb_cli_json_key(&j, "entries");
    hb_cli_json_array_begin(&j);
    for (size_t i = 0; i < r->n_entries; i++) {
        const Hourbank__StatementEntry *e = r->entries[i];
        hb_cli_json_object_begin(&j);
        hb_cli_json_kv_uint(&j, "transfer_id", e->transfer_id);
        hb_cli_json_kv_time(&j, "posted_at", e->posted_at);
        hb_cli_json_kv_time(&j, "occurred_at", e->occurred_at);
        hb_cli_json_kv_int(&j, "minutes", e->minutes);
        hb_cli_json_kv_string(&j, "counterparty", e->counterparty && e->counterparty[0] ? e->counterparty : NULL);
        hb_cli_json_kv_string(&j, "kind", e->kind);
        hb_cli_json_kv_string(&j, "category", e->category && e->category[0] ? e->category : NULL);
        hb_cli_json_kv_string(&j, "op_ref", entry_op(buf, sizeof buf, e));
        hb_cli_json_object_end(&j);
    }
    hb_cli_json_array_end(&j);
    hb_cli_json_kv_bool(&j, "more", r->next_before_id != 0);
    hb_cli_json_object_end(&j);
    hb_cli_json_finish(&j);
}

static int
print_statement(hb_cli_t *cli, const Hourbank__StatementReply *r, int64_t since)
{
    char t[HB_CLI_FORMAT_BYTES], d[HB_CLI_FORMAT_BYTES], op[HB_CLI_FORMAT_BYTES];
    if (since)
        fprintf(cli->out, _("statement of %s since %s\n"), r->member_no, hb_cli_format_time(t, sizeof t, since));
    else
        fprintf(cli->out, _("statement of %s\n"), r->member_no);
    if (r->n_entries == 0) {
        fprintf(cli->out, "%s\n", _("no entries"));
        return 0;
    }
    const char *const headers[] = {_("DATE"), _("KIND"), _("CATEGORY"), _("WITH"), _("AMOUNT"), _("OP")};
    hb_cli_table_t *tab = hb_cli_table_new(6, headers);
    if (!tab)
        return hb_cli_report_out_of_memory(cli);
    hb_cli_table_align_right(tab, 4);
    int64_t net = 0;
    for (size_t i = 0; i < r->n_entries; i++) {
        const Hourbank__StatementEntry *e = r->entries[i];
        const char *ref = entry_op(op, sizeof op, e);
        net += e->minutes;
        hb_cli_table_cell(tab, "%s", hb_cli_format_time(t, sizeof t, e->occurred_at ? e->occurred_at : e->posted_at));
        hb_cli_table_cell(tab, "%s", hb_cli_words_kind(e->kind));
        hb_cli_table_cell(tab, "%s", e->category && e->category[0] ? e->category : "-");
        hb_cli_table_cell(tab, "%s", e->counterparty && e->counterparty[0] ? hb_cli_words_account(e->counterparty) : "-");
        hb_cli_table_cell(tab, "%s", hb_cli_format_duration(d, sizeof d, e->minutes, true));
        hb_cli_table_cell(tab, "%s", ref ? ref : "-");
    }
    if (hb_cli_table_finish(&tab, cli->out) != 0)
        return hb_cli_report_out_of_memory(cli);
    fprintf(cli->out, r->n_entries == 1 ? _("%zu entry, net %s%s\n") : _("%zu entries, net %s%s\n"), r->n_entries,
            hb_cli_format_duration(d, sizeof d, net, true),
            r->next_before_id ? _(" (older entries not shown: narrow with --since)") : "");
    return 0;
}

static int
ask_statement(hb_cli_t *cli, char *no, int64_t since, Hourbank__Envelope **reply_out)
{
    Hourbank__StatementQuery q;
    hourbank__statement_query__init(&q);
    q.member_no = no;
    q.limit = HB_PAGE_ENTRIES_MAX;
    q.since = since;
    Hourbank__Envelope req;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY;
    req.statement_query = &q;
    return hb_cli_target_station(cli, &req, reply_out);
}

static int
run_statement(hb_cli_t *cli, const hb_cli_args_t *args)
{
    char no[HB_MEMBER_NO_BUF_BYTES], msg[HB_CLI_TEXT_BYTES_MAX];
    const char *since_text = hb_cli_command_value(args, "since");
    int64_t since = 0;
    if (hb_cli_parse_member_no(args->operands[0], no, msg, sizeof msg) != 0 ||
        (since_text && hb_cli_parse_moment_form(since_text, false, &since, msg, sizeof msg) != 0))
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    /* --since is a day of the district, and the entries are shown in its time */
    int rc = hb_cli_zone_ask_station(cli);
    if (rc != 0)
        return rc;
    if (since_text && hb_cli_parse_date(since_text, &since, msg, sizeof msg) != 0)
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    Hourbank__Envelope *reply = NULL;
    rc = ask_statement(cli, no, since, &reply);
    if (rc != 0)
        return rc;
    if (hb_cli_report_is_not_found(reply))
        rc = hb_cli_report_member_not_found(cli, no);
    else if (reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR && reply->error->code == HOURBANK__RESULT__UNAVAILABLE)
        rc = hb_cli_report_fail(cli, EX_UNAVAILABLE, "%s", _("statements come from central, which this station cannot "
                                                           "reach now: try again when hourbank status shows the link up"));
    else
        rc = hb_cli_target_expect(cli, reply, HOURBANK__ENVELOPE__BODY_STATEMENT_REPLY, _("could not get the statement"));
    if (rc == 0) {
        Hourbank__StatementReply *r = reply->statement_reply;
        if (r->n_entries > 1)  /* entries is NULL when there are none */
            qsort(r->entries, r->n_entries, sizeof r->entries[0], by_transfer_id);
        if (cli->json)
            json_statement(cli, r, since);
        else
            rc = print_statement(cli, r, since);
    }
    hb_wire_free(&reply);
    return rc;
}

static const hb_cli_opt_t statement_opts[] = {
    {"since", 0, N_("DATE"), false, N_("only entries from this day on (YYYY-MM-DD, the district's day)")},
    {NULL, 0, NULL, false, NULL},
};

const hb_cli_command_t hb_cli_balance_statement = {
    .name = "statement",
    .operands = N_("MEMBER_NO"),
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("list a member's ledger entries (needs the link to central)"),
    .description = N_("Lists the member's entries in the ledger, oldest first, as central has posted them:\n"
                   "services given (+) and received (-), gifts and voids, with the operation that caused\n"
                   "each. The station asks central, so this needs the link to be up; operations saved\n"
                   "here and not yet synced are not in it (see hourbank balance and hourbank queue)."),
    .target = HB_CLI_TARGET_STATION,
    .opts = statement_opts,
    .run = run_statement,
};
