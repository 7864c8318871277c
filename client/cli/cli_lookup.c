/* cli_lookup.c - queue show (one operation, in any state) and queue find
 * (operations by their note): what an operator uses to check whether a
 * record was saved before entering it again. */
#include "cli_lookup.h"
#include "cli_format.h"
#include "cli_json.h"
#include "cli_parse.h"
#include "cli_queue.h"
#include "cli_report.h"
#include "cli_table.h"
#include "cli_target.h"
#include "cli_names.h"
#include "cli_result.h"
#include "cli_words.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_result.h"
#include "hb_wire.h"

#include <string.h>
#include <sysexits.h>

/* "-" for an empty cell. */
static const char *
or_dash(const char *text)
{
    return text && text[0] ? text : "-";
}

/* ---- queue show ---- */

int
hb_cli_lookup_parse_ref(hb_cli_t *cli, const char *text, uint32_t *station_id, uint64_t *seq)
{
    hb_assert(cli && text && station_id && seq);
    char msg[HB_CLI_TEXT_BYTES_MAX], echo[HB_CLI_TEXT_BYTES_MAX];
    *station_id = 0;
    int rc = strchr(text, ':') ? hb_cli_parse_op_ref(text, station_id, seq, msg, sizeof msg)
                               : hb_cli_parse_seq(text, seq, msg, sizeof msg);
    if (rc == 0 && *seq <= HB_SEQ_MAX)
        return 0;
    return hb_cli_report_fail(cli, EX_DATAERR, _("%s is not an operation: write STATION:SEQ as printed when it was "
                                                 "saved, e.g. 1:57, or the SEQ alone"),
                              hb_cli_parse_quote(echo, sizeof echo, text));
}

/* "rejected, dismissed, changed when resent" and the like. */
static void
status_cell(hb_cli_table_t *tab, const Hourbank__QueuedOp *op)
{
    bool changed = op->prior_result != HOURBANK__RESULT__RESULT_UNSET;
    hb_cli_table_cell(tab, "%s%s%s", hb_cli_words_status(hb_cli_queue_op_status(op)),
                      op->dismissed ? _(", dismissed") : "", changed ? _(", changed when resent") : "");
}

static void
result_cell(hb_cli_t *cli, hb_cli_table_t *tab, const Hourbank__QueuedOp *op)
{
    if (op->result == HOURBANK__RESULT__RESULT_UNSET) {
        hb_cli_table_cell(tab, "%s", _("none yet: central has not answered"));
        return;
    }
    bool english = strcmp(hb_i18n_lang(), "en") == 0;
    if (op->result == HOURBANK__RESULT__OK && !(op->message && op->message[0])) {
        hb_cli_table_cell(tab, "%s", english ? "OK (1)" : _("accepted"));
        return;
    }
    char why[HB_CLI_TEXT_BYTES_MAX / 2];
    hb_cli_result_text(cli, why, sizeof why, (int) op->result, op->params, op->n_params, op->message);
    if (english)  /* the code's name and number, as district IT knows them */
        hb_cli_table_cell(tab, "%s (%d): %s", hb_result_name((hb_result_t) op->result), (int) op->result, why);
    else
        hb_cli_table_cell(tab, _("%s (code %d)"), why, (int) op->result);
}

static int
print_op(hb_cli_t *cli, const Hourbank__QueuedOp *op)
{
    char ref[HB_CLI_FORMAT_BYTES], t[HB_CLI_FORMAT_BYTES], changed[HB_CLI_TEXT_BYTES_MAX];
    hb_cli_table_t *tab = hb_cli_table_new(2, NULL);
    if (!tab)
        return hb_cli_report_out_of_memory(cli);
    char summary[HB_CLI_TEXT_BYTES_MAX];
    hb_cli_table_cell(tab, "%s", _("op"));
    hb_cli_table_cell(tab, "%s", hb_cli_format_op_ref(ref, sizeof ref, cli->station_id, op->seq));
    hb_cli_table_cell(tab, "%s", _("kind"));
    hb_cli_table_cell(tab, "%s", hb_cli_words_kind(op->kind));
    hb_cli_table_cell(tab, "%s", _("summary"));
    hb_cli_table_cell(tab, "%s", or_dash(hb_cli_words_summary(summary, sizeof summary, op->summary)));
    hb_cli_table_cell(tab, "%s", _("note"));
    hb_cli_table_cell(tab, "%s", or_dash(op->note));
    hb_cli_table_cell(tab, "%s", _("status"));
    status_cell(tab, op);
    hb_cli_table_cell(tab, "%s", _("saved"));
    hb_cli_table_cell(tab, "%s", hb_cli_format_time(t, sizeof t, op->saved_at));
    hb_cli_table_cell(tab, "%s", _("acknowledged"));
    hb_cli_table_cell(tab, "%s", op->acked_at ? hb_cli_format_time(t, sizeof t, op->acked_at) : _("not yet"));
    hb_cli_table_cell(tab, "%s", _("result"));
    result_cell(cli, tab, op);
    hb_cli_table_cell(tab, "%s", _("transfer"));
    if (op->transfer_id)
        hb_cli_table_cell(tab, "%llu", (unsigned long long) op->transfer_id);
    else
        hb_cli_table_cell(tab, "-");
    hb_cli_table_cell(tab, "%s", _("request id"));
    hb_cli_table_cell(tab, "%s", or_dash(op->request_id));
    hb_cli_table_cell(tab, "%s", _("entered by"));
    hb_cli_table_cell(tab, "%s", or_dash(op->operator_));
    if (op->prior_result != HOURBANK__RESULT__RESULT_UNSET) {
        hb_cli_queue_changed_text(cli, changed, sizeof changed, op);
        hb_cli_table_cell(tab, "%s", _("changed"));
        hb_cli_table_cell(tab, "%s", changed);
    }
    return hb_cli_table_finish(&tab, cli->out) == 0 ? 0 : hb_cli_report_out_of_memory(cli);
}

static int
other_station(hb_cli_t *cli, const char *what, const char *ref, uint32_t station_id)
{
    return hb_cli_report_fail(cli, EX_NOINPUT, _("%s: operation %s was saved at station %u, this is station %u: ask "
                                                 "that station"),
                              what, ref, (unsigned) station_id, (unsigned) cli->station_id);
}

int
hb_cli_lookup_op(hb_cli_t *cli, uint32_t station_id, uint64_t seq, const char *ref, const char *what,
                 Hourbank__Envelope **reply_out)
{
    hb_assert(cli && seq && ref && what && reply_out);
    hb_cli_target_learn_station_id(cli);  /* another station's op is not asked for */
    if (station_id && cli->station_id && station_id != cli->station_id)
        return other_station(cli, what, ref, station_id);
    Hourbank__QueueQuery q;
    hourbank__queue_query__init(&q);
    q.seq = seq;
    Hourbank__Envelope *reply = NULL;
    int rc = hb_cli_queue_ask(cli, &q, &reply, what);
    if (rc != 0)
        return rc;
    if (station_id && cli->station_id && station_id != cli->station_id) {  /* the station said who it is */
        hb_wire_free(&reply);
        return other_station(cli, what, ref, station_id);
    }
    if (reply->queue_reply->n_ops != 1) {  /* the station's answer is input, not a bug of ours */
        size_t n = reply->queue_reply->n_ops;
        hb_wire_free(&reply);
        return hb_cli_report_fail(cli, EX_PROTOCOL, _("%s: the station answered with %zu operations, expected 1"),
                                  what, n);
    }
    *reply_out = reply;
    return 0;
}

static int
run_show(hb_cli_t *cli, const hb_cli_args_t *args)
{
    uint32_t station_id = 0;
    uint64_t seq = 0;
    int rc = hb_cli_lookup_parse_ref(cli, args->operands[0], &station_id, &seq);
    if (rc != 0)
        return rc;
    char what[HB_CLI_TEXT_BYTES_MAX];
    snprintf(what, sizeof what, _("could not show %s"), args->operands[0]);
    Hourbank__Envelope *reply = NULL;
    rc = hb_cli_lookup_op(cli, station_id, seq, args->operands[0], what, &reply);
    if (rc != 0)
        return rc;
    if (cli->json) {
        hb_cli_json_t j;
        hb_cli_json_init(&j, cli->out);
        hb_cli_queue_json_op(cli, &j, reply->queue_reply->ops[0]);
        hb_cli_json_finish(&j);
    } else {
        rc = print_op(cli, reply->queue_reply->ops[0]);
    }
    hb_wire_free(&reply);
    return rc;
}

const hb_cli_command_t hb_cli_lookup_show = {
    .name = "queue show",
    .operands = N_("STATION:SEQ"),
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("one operation saved here, in any state, with everything known about it"),
    .description = N_("Shows one operation held at this station by its reference STATION:SEQ (e.g. 1:57, as\n"
                   "printed when it was saved) or its SEQ alone: kind, summary, note, status (pending,\n"
                   "accepted, rejected, dismissed), when it was saved and acknowledged, central's result\n"
                   "and message, the transfer, the save's request id, and, when central answered\n"
                   "differently after it was resent, both answers. Operations acknowledged long ago are\n"
                   "removed after the station's retention period."),
    .target = HB_CLI_TARGET_STATION,
    .opts = NULL,
    .run = run_show,
};

/* ---- queue find ---- */

static void
json_found(hb_cli_t *cli, const char *text, const Hourbank__QueueReply *q)
{
    hb_cli_json_t j;
    hb_cli_json_init(&j, cli->out);
    hb_cli_json_object_begin(&j);
    hb_cli_json_key(&j, "station_id");
    if (cli->station_id)
        hb_cli_json_uint(&j, cli->station_id);
    else
        hb_cli_json_null(&j);
    hb_cli_json_kv_string(&j, "note_contains", text);
    hb_cli_json_kv_string(&j, "order", "newest_first");
    hb_cli_json_kv_bool(&j, "more", q->n_ops >= HB_PAGE_ENTRIES_MAX);
    hb_cli_json_key(&j, "ops");
    hb_cli_json_array_begin(&j);
    for (size_t i = 0; i < q->n_ops; i++)
        hb_cli_queue_json_op(cli, &j, q->ops[i]);
    hb_cli_json_array_end(&j);
    hb_cli_json_object_end(&j);
    hb_cli_json_finish(&j);
}

static int
print_found(hb_cli_t *cli, const char *text, const Hourbank__QueueReply *q)
{
    char echo[HB_CLI_TEXT_BYTES_MAX], ref[HB_CLI_FORMAT_BYTES], t[HB_CLI_FORMAT_BYTES];
    hb_cli_parse_quote(echo, sizeof echo, text);
    if (q->n_ops == 0) {
        fprintf(cli->out, _("no operation held at this station has a note containing %s\n"), echo);
        return 0;
    }
    if (q->n_ops == 1)
        fprintf(cli->out, _("%zu operation whose note contains %s, newest first\n"), q->n_ops, echo);
    else
        fprintf(cli->out, _("%zu operations whose note contains %s, newest first\n"), q->n_ops, echo);
    const char *const headers[] = {_("OP"), _("SAVED"), _("KIND"), _("STATUS"), _("NOTE"), _("DETAILS")};
    char summary[HB_CLI_TEXT_BYTES_MAX];
    hb_cli_table_t *tab = hb_cli_table_new(6, headers);
    if (!tab)
        return hb_cli_report_out_of_memory(cli);
    for (size_t i = 0; i < q->n_ops; i++) {
        const Hourbank__QueuedOp *op = q->ops[i];
        hb_cli_table_cell(tab, "%s", hb_cli_format_op_ref(ref, sizeof ref, cli->station_id, op->seq));
        hb_cli_table_cell(tab, "%s", hb_cli_format_time(t, sizeof t, op->saved_at));
        hb_cli_table_cell(tab, "%s", hb_cli_words_kind(op->kind));
        status_cell(tab, op);
        hb_cli_table_cell(tab, "%s", or_dash(op->note));
        hb_cli_table_cell(tab, "%s", or_dash(hb_cli_words_summary(summary, sizeof summary, op->summary)));
    }
    if (hb_cli_table_finish(&tab, cli->out) != 0)
        return hb_cli_report_out_of_memory(cli);
    if (q->n_ops >= HB_PAGE_ENTRIES_MAX)
        fprintf(cli->out, _("only the newest %d are shown: search for more of the note\n"), HB_PAGE_ENTRIES_MAX);
    return 0;
}

static int
run_find(hb_cli_t *cli, const hb_cli_args_t *args)
{
    char msg[HB_CLI_TEXT_BYTES_MAX], text[HB_SEARCH_BYTES_MAX + 1];
    const char *note = hb_cli_command_value(args, "note");
    if (hb_cli_parse_text("--note", note, HB_SEARCH_BYTES_MAX, true, false, msg, sizeof msg) != 0)
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    snprintf(text, sizeof text, "%s", note);
    Hourbank__QueueQuery q;
    hourbank__queue_query__init(&q);
    q.note_contains = text;
    Hourbank__Envelope *reply = NULL;
    int rc = hb_cli_queue_ask(cli, &q, &reply, _("could not search the queue"));
    if (rc != 0)
        return rc;
    if (cli->json)
        json_found(cli, text, reply->queue_reply);
    else
        rc = print_found(cli, text, reply->queue_reply);
    hb_wire_free(&reply);
    return rc;
}

/* The limits in the help below, written out: a msgid is one literal. */
_Static_assert(HB_SEARCH_BYTES_MAX == 64 && HB_PAGE_ENTRIES_MAX == 500, "queue find's help states its limits");

static const hb_cli_opt_t find_opts[] = {
    {"note", 0, N_("TEXT"), true, N_("text the note or reason contains, exactly as written (at most 64 bytes)")},
    {NULL, 0, NULL, false, NULL},
};

const hb_cli_command_t hb_cli_lookup_find = {
    .name = "queue find",
    .operands = "",
    .summary = N_("operations saved here whose note or reason contains some text"),
    /* xgettext:no-c-format */
    .description = N_("Lists the operations held at this station, in any state, whose note (a service's\n"
                      "--note, a gift's or void's --reason) contains TEXT exactly as typed: case matters,\n"
                      "and % and _ are ordinary characters. Newest first, at most 500. Use it to check\n"
                      "whether a record was saved before entering it again."),
    .target = HB_CLI_TARGET_STATION,
    .opts = find_opts,
    .run = run_find,
};
