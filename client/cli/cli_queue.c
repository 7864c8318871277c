/* cli_queue.c - queue (pending, --rejected, --changed), queue dismiss,
 * status; and what cli_lookup.c shares: asking for a QueueReply, an op's
 * status and its JSON object. */
#include "cli_queue.h"
#include "cli_format.h"
#include "cli_json.h"
#include "cli_lookup.h"
#include "cli_parse.h"
#include "cli_report.h"
#include "cli_table.h"
#include "cli_target.h"
#include "cli_zone.h"
#include "cli_names.h"
#include "cli_result.h"
#include "cli_words.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <string.h>
#include <sysexits.h>
#include <time.h>

#define SECONDS_PER_MINUTE 60

const char *
hb_cli_queue_op_status(const Hourbank__QueuedOp *op)
{
    hb_assert(op);
    if (op->result == HOURBANK__RESULT__RESULT_UNSET)
        return "pending";
    return op->result == HOURBANK__RESULT__OK ? "accepted" : "rejected";
}

/* text, or NULL (JSON null) when it is empty. */
static const char *
or_null(const char *text)
{
    return text && text[0] ? text : NULL;
}

/* The keys an op has besides the pending list's: its note, its ack and
 * transfer, its request id, and its first answer when central answered
 * differently when it was resent. */
static void
json_op_details(hb_cli_json_t *j, const Hourbank__QueuedOp *op)
{
    hb_cli_json_kv_string(j, "note", or_null(op->note));
    hb_cli_json_kv_string(j, "operator", or_null(op->operator_));
    hb_cli_json_key(j, "params");  /* the result's values, as central sent them */
    hb_cli_json_object_begin(j);
    for (size_t i = 0; i < op->n_params; i++)
        hb_cli_json_kv_string(j, op->params[i]->name, op->params[i]->value);
    hb_cli_json_object_end(j);
    hb_cli_json_kv_time(j, "acked_at", op->acked_at);
    hb_cli_json_key(j, "transfer_id");
    if (op->transfer_id)
        hb_cli_json_uint(j, op->transfer_id);
    else
        hb_cli_json_null(j);
    hb_cli_json_kv_string(j, "request_id", or_null(op->request_id));
    hb_cli_json_kv_bool(j, "dismissed", op->dismissed);
    bool changed = op->prior_result != HOURBANK__RESULT__RESULT_UNSET;
    hb_cli_json_kv_bool(j, "changed", changed);
    hb_cli_json_kv_string(j, "prior_result", changed ? hb_result_name((hb_result_t) op->prior_result) : NULL);
    hb_cli_json_key(j, "prior_code");
    if (changed)
        hb_cli_json_int(j, (int64_t) op->prior_result);
    else
        hb_cli_json_null(j);
    hb_cli_json_kv_string(j, "prior_message", changed ? or_null(op->prior_message) : NULL);
}

void
hb_cli_queue_json_op(hb_cli_t *cli, hb_cli_json_t *j, const Hourbank__QueuedOp *op)
{
    hb_assert(cli && j && op);
    char ref[HB_CLI_FORMAT_BYTES];
    bool rejected = strcmp(hb_cli_queue_op_status(op), "rejected") == 0;
    hb_cli_json_object_begin(j);
    hb_cli_json_kv_uint(j, "seq", op->seq);
    hb_cli_json_kv_string(j, "op_ref", cli->station_id ? hb_cli_format_op_ref(ref, sizeof ref, cli->station_id, op->seq)
                                                       : NULL);
    hb_cli_json_kv_string(j, "kind", op->kind);
    hb_cli_json_kv_string(j, "summary", op->summary);
    hb_cli_json_kv_time(j, "saved_at", op->saved_at);
    hb_cli_json_kv_string(j, "status", hb_cli_queue_op_status(op));
    hb_cli_json_kv_string(j, "result", rejected ? hb_result_name((hb_result_t) op->result) : NULL);
    hb_cli_json_key(j, "code");
    if (rejected)
        hb_cli_json_int(j, (int64_t) op->result);
    else
        hb_cli_json_null(j);
    hb_cli_json_kv_string(j, "message", or_null(op->message));
    json_op_details(j, op);
    hb_cli_json_object_end(j);
}

/* The keys queue, queue dismiss and status share; with_ops adds the ops. */
static void
json_queue(hb_cli_t *cli, const Hourbank__QueueReply *q, bool with_ops, uint64_t dismissed)
{
    hb_cli_json_t j;
    hb_cli_json_init(&j, cli->out);
    hb_cli_json_object_begin(&j);
    hb_cli_json_key(&j, "station_id");
    if (cli->station_id)
        hb_cli_json_uint(&j, cli->station_id);
    else
        hb_cli_json_null(&j);
    hb_cli_json_kv_string(&j, "link", q->link);
    hb_cli_json_kv_string(&j, "time_zone", or_null(q->time_zone));
    hb_cli_json_kv_uint(&j, "pending", q->pending);
    hb_cli_json_kv_uint(&j, "rejected", q->rejected);
    hb_cli_json_kv_time(&j, "last_sync", q->last_sync);
    hb_cli_json_kv_time(&j, "oldest_pending_at", q->oldest_pending_at);
    int64_t now = (int64_t) time(NULL);
    hb_cli_json_kv_int(&j, "lag_seconds", q->pending && q->oldest_pending_at && now > q->oldest_pending_at
                                              ? now - q->oldest_pending_at : 0);
    hb_cli_json_kv_uint(&j, "last_acked_seq", q->last_acked_seq);
    hb_cli_json_kv_uint(&j, "central_high_water_mark", q->central_high_water_mark);
    hb_cli_json_kv_uint(&j, "changed", q->changed);
    hb_cli_json_kv_string(&j, "alert", or_null(q->alert));
    hb_cli_json_kv_bool(&j, "saves_blocked", q->saves_blocked);
    if (dismissed)
        hb_cli_json_kv_uint(&j, "dismissed_seq", dismissed);
    if (with_ops) {
        hb_cli_json_key(&j, "ops");
        hb_cli_json_array_begin(&j);
        for (size_t i = 0; i < q->n_ops; i++)
            hb_cli_queue_json_op(cli, &j, q->ops[i]);
        hb_cli_json_array_end(&j);
    }
    hb_cli_json_object_end(&j);
    hb_cli_json_finish(&j);
}

/* What the station reports beyond the counts, one line each, when set:
 * saves blocked after a restore, ops that changed when resent, an alert. */
static void
print_notices(hb_cli_t *cli, const Hourbank__QueueReply *q)
{
    char line[HB_CLI_TEXT_BYTES_MAX];
    if (q->saves_blocked)
        fprintf(cli->out, "%s\n", _("saves wait for central: the station was restored from a backup"));
    if (q->changed)
        fprintf(cli->out,
                q->changed == 1 ? _("%llu operation changed result when resent to central: see hourbank queue --changed\n")
                                : _("%llu operations changed result when resent to central: see hourbank queue --changed\n"),
                (unsigned long long) q->changed);
    if (q->alert && q->alert[0])
        fprintf(cli->out, _("alert: %s\n"), hb_cli_format_line(line, sizeof line, q->alert));
}

/* One line: "link up, last sync 2026-11-29 14:05 (3m ago); 3 pending, 1 rejected",
 * then the notices. */
static void
print_summary(hb_cli_t *cli, const Hourbank__QueueReply *q)
{
    char t[HB_CLI_FORMAT_BYTES], ago[HB_CLI_FORMAT_BYTES];
    int64_t now = (int64_t) time(NULL);
    if (q->last_sync)
        fprintf(cli->out, _("link %s, last sync %s (%s); %llu pending, %llu rejected\n"), hb_cli_words_link(q->link),
                hb_cli_format_time(t, sizeof t, q->last_sync), hb_cli_format_ago(ago, sizeof ago, q->last_sync, now),
                (unsigned long long) q->pending, (unsigned long long) q->rejected);
    else
        fprintf(cli->out, _("link %s, never synced; %llu pending, %llu rejected\n"), hb_cli_words_link(q->link),
                (unsigned long long) q->pending, (unsigned long long) q->rejected);
    print_notices(cli, q);
}

/* One of central's answers to a resent op: in English the code's name and
 * the sentence ("INSUFFICIENT_BALANCE: ..."), elsewhere the sentence and
 * the code's number; an acceptance is just that. */
static void
answer_text(hb_cli_t *cli, char *buf, size_t size, int code, Hourbank__Param *const *params, size_t n_params,
            const char *message)
{
    bool english = strcmp(hb_i18n_lang(), "en") == 0;
    if (code == HOURBANK__RESULT__OK && !(message && message[0])) {
        snprintf(buf, size, "%s", english ? hb_result_name(HB_RESULT_OK) : _("accepted"));
        return;
    }
    char why[HB_CLI_TEXT_BYTES_MAX / 2];  /* room for the name or number around it */
    hb_cli_result_text(cli, why, sizeof why, code, params, n_params, message);
    if (english)
        snprintf(buf, size, "%s: %s", hb_result_name((hb_result_t) code), why);
    else
        snprintf(buf, size, _("%s (code %d)"), why, code);
}

void
hb_cli_queue_changed_text(hb_cli_t *cli, char *buf, size_t size, const Hourbank__QueuedOp *op)
{
    hb_assert(cli && buf && op && op->prior_result != HOURBANK__RESULT__RESULT_UNSET);
    char before[HB_CLI_TEXT_BYTES_MAX], now[HB_CLI_TEXT_BYTES_MAX];
    answer_text(cli, before, sizeof before, (int) op->prior_result, NULL, 0, op->prior_message);
    answer_text(cli, now, sizeof now, (int) op->result, op->params, op->n_params, op->message);
    snprintf(buf, size, _("central answered %s when first sent, %s when resent"), before, now);
}

/* The details cell: the op's summary, and for a rejection its reason; for
 * an op that changed when resent, both answers. */
static void
details_cell(hb_cli_t *cli, hb_cli_table_t *tab, const Hourbank__QueuedOp *op)
{
    char summary[HB_CLI_TEXT_BYTES_MAX];
    hb_cli_words_summary(summary, sizeof summary, op->summary);
    if (op->prior_result != HOURBANK__RESULT__RESULT_UNSET) {
        char changed[HB_CLI_TEXT_BYTES_MAX];
        hb_cli_queue_changed_text(cli, changed, sizeof changed, op);
        hb_cli_table_cell(tab, "%s%s%s", summary, summary[0] ? _(": ") : "", changed);
        return;
    }
    if (strcmp(hb_cli_queue_op_status(op), "rejected") != 0) {
        hb_cli_table_cell(tab, "%s", summary);
        return;
    }
    char why[HB_CLI_TEXT_BYTES_MAX], tag[HB_CLI_FORMAT_BYTES];
    hb_cli_result_text(cli, why, sizeof why, (int) op->result, op->params, op->n_params, op->message);
    hb_cli_table_cell(tab, _("%s%s%s (%s)"), summary, summary[0] ? _(": ") : "", why,
                      hb_cli_result_tag(tag, sizeof tag, (int) op->result));
}

/* Which list `queue` shows. */
typedef enum { LIST_PENDING, LIST_REJECTED, LIST_CHANGED } list_t;

/* Under the pending list: where the rejections are; under the rejected
 * list: what to do with them. Nothing when there are none. */
static void
rejected_hint(hb_cli_t *cli, const Hourbank__QueueReply *q, list_t list)
{
    if (!q->rejected || list == LIST_CHANGED)
        return;
    if (list == LIST_PENDING)
        fprintf(cli->out, _("%llu rejected: hourbank queue --rejected\n"), (unsigned long long) q->rejected);
    else if (q->n_ops)
        fprintf(cli->out, "%s\n", _("once a rejected operation is dealt with: hourbank queue dismiss STATION:SEQ"));
}

static int
print_queue(hb_cli_t *cli, const Hourbank__QueueReply *q, list_t list)
{
    static const char *const empty[] = {
        [LIST_PENDING] = N_("the queue is empty: everything saved here has reached central"),
        [LIST_REJECTED] = N_("no rejected operations"),
        [LIST_CHANGED] = N_("no operation changed its result when resent to central"),
    };
    print_summary(cli, q);
    if (q->n_ops == 0) {
        fprintf(cli->out, "%s\n", _(empty[list]));
        rejected_hint(cli, q, list);
        return 0;
    }
    /* BY, who entered each op, once any op listed names its operator */
    const char *const headers[] = {_("OP"), _("SAVED"), _("KIND"), _("BY"), _("STATUS"), _("DETAILS")};
    const char *const headers_no_by[] = {_("OP"), _("SAVED"), _("KIND"), _("STATUS"), _("DETAILS")};
    bool by = false;
    for (size_t i = 0; i < q->n_ops; i++)
        by = by || (q->ops[i]->operator_ && q->ops[i]->operator_[0]);
    hb_cli_table_t *tab = by ? hb_cli_table_new(6, headers) : hb_cli_table_new(5, headers_no_by);
    if (!tab)
        return hb_cli_report_out_of_memory(cli);
    char ref[HB_CLI_FORMAT_BYTES], t[HB_CLI_FORMAT_BYTES];
    for (size_t i = 0; i < q->n_ops; i++) {
        const Hourbank__QueuedOp *op = q->ops[i];
        hb_cli_table_cell(tab, "%s", hb_cli_format_op_ref(ref, sizeof ref, cli->station_id, op->seq));
        hb_cli_table_cell(tab, "%s", hb_cli_format_time(t, sizeof t, op->saved_at));
        hb_cli_table_cell(tab, "%s", hb_cli_words_kind(op->kind));
        if (by)
            hb_cli_table_cell(tab, "%s", op->operator_ && op->operator_[0] ? op->operator_ : "-");
        hb_cli_table_cell(tab, "%s", hb_cli_words_status(hb_cli_queue_op_status(op)));
        details_cell(cli, tab, op);
    }
    if (hb_cli_table_finish(&tab, cli->out) != 0)
        return hb_cli_report_out_of_memory(cli);
    if (list == LIST_CHANGED)
        fprintf(cli->out, "%s\n", _("central lost these acknowledgements (restored or failed over) and answered "
                                    "differently when they were resent; see each with hourbank queue show STATION:SEQ"));
    else
        rejected_hint(cli, q, list);
    return 0;
}

/* Sends req (a queue query or a dismiss request); returns the QueueReply. */
static int
ask(hb_cli_t *cli, Hourbank__Envelope *req, Hourbank__Envelope **reply_out, const char *what)
{
    int rc = hb_cli_target_station(cli, req, reply_out);
    if (rc == 0)
        rc = hb_cli_target_expect(cli, *reply_out, HOURBANK__ENVELOPE__BODY_QUEUE_REPLY, what);
    if (rc == 0 && (*reply_out)->queue_reply->station_id)
        cli->station_id = (*reply_out)->queue_reply->station_id;  /* the station says who it is */
    if (rc != 0)
        hb_wire_free(reply_out);
    return rc;
}

int
hb_cli_queue_ask(hb_cli_t *cli, Hourbank__QueueQuery *query, Hourbank__Envelope **reply_out, const char *what)
{
    hb_assert(cli && query && reply_out && what);
    Hourbank__Envelope req;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_QUEUE_QUERY;
    req.queue_query = query;
    int rc = ask(cli, &req, reply_out, what);
    if (rc == 0)  /* the reply says the zone: its times are shown in it */
        hb_cli_zone_use(cli, (*reply_out)->queue_reply->time_zone, HB_CLI_ZONE_STATION_UNKNOWN);
    return rc;
}

static int
run_queue(hb_cli_t *cli, const hb_cli_args_t *args)
{
    bool rejected = hb_cli_command_flag(args, "rejected"), changed = hb_cli_command_flag(args, "changed");
    if (rejected && changed)
        return hb_cli_report_usage(cli, "%s", _("--rejected and --changed are two different lists: give one"));
    Hourbank__QueueQuery q;
    hourbank__queue_query__init(&q);
    q.rejected_only = rejected;
    q.changed_only = changed;
    Hourbank__Envelope *reply = NULL;
    int rc = hb_cli_queue_ask(cli, &q, &reply, _("could not read the queue"));
    if (rc != 0)
        return rc;
    if (cli->json)
        json_queue(cli, reply->queue_reply, true, 0);
    else
        rc = print_queue(cli, reply->queue_reply, rejected ? LIST_REJECTED : changed ? LIST_CHANGED : LIST_PENDING);
    hb_wire_free(&reply);
    return rc;
}

static const hb_cli_opt_t queue_opts[] = {
    {"rejected", 0, NULL, false, N_("only operations central rejected, with the reasons")},
    {"changed", 0, NULL, false, N_("operations whose result changed when resent to central")},
    {NULL, 0, NULL, false, NULL},
};

const hb_cli_command_t hb_cli_queue_queue = {
    .name = "queue",
    .operands = "",
    .summary = N_("operations saved here and not yet at central, and rejected ones"),
    .description = N_("Lists the operations saved at this station that central has not acknowledged yet\n"
                   "(pending), and those central rejected, each with the reason. A rejection is final:\n"
                   "correct the mistake with a new operation, then remove the rejected one from this\n"
                   "list with hourbank queue dismiss SEQ.\n"
                   "With --changed: the operations central answered differently when the station sent\n"
                   "them again after central had lost them (restored from a backup or failed over),\n"
                   "with both answers. See also hourbank queue show and hourbank queue find."),
    .target = HB_CLI_TARGET_STATION,
    .opts = queue_opts,
    .run = run_queue,
};

/* ---- queue dismiss ---- */

/* Looks the op up first: the station would also mark a pending op, and
 * answers a second dismissal as it did the first, so what it holds tells
 * whether anything is to be dismissed. 1 when nothing is: already
 * dismissed (said on stdout) or not rejected (reported); else 0 or an exit
 * code after reporting. */
static int
check_dismissable(hb_cli_t *cli, uint32_t station_id, uint64_t seq, const char *ref, const char *what, int *rc)
{
    Hourbank__Envelope *found = NULL;
    *rc = hb_cli_lookup_op(cli, station_id, seq, ref, what, &found);
    if (*rc != 0)
        return 1;
    const Hourbank__QueuedOp *op = found->queue_reply->ops[0];
    const char *status = hb_cli_queue_op_status(op);
    int nothing = 1;
    if (strcmp(status, "rejected") != 0) {
        *rc = hb_cli_report_fail(cli, EX_NOINPUT, _("%s: nothing dismissed: it is %s, not rejected (only rejected "
                                                    "operations are dismissed)"),
                                 what, hb_cli_words_status(status));
    } else if (op->dismissed) {
        if (cli->json) {
            hb_cli_zone_use(cli, found->queue_reply->time_zone, HB_CLI_ZONE_STATION_UNKNOWN);
            json_queue(cli, found->queue_reply, false, 0);
        } else {
            fprintf(cli->out, _("nothing dismissed: %s was dismissed before; %llu rejected left\n"), ref,
                    (unsigned long long) found->queue_reply->rejected);
        }
    } else {
        nothing = 0;
    }
    hb_wire_free(&found);
    return nothing;
}

static int
run_dismiss(hb_cli_t *cli, const hb_cli_args_t *args)
{
    char ref[HB_CLI_FORMAT_BYTES], what[HB_CLI_TEXT_BYTES_MAX];
    uint32_t station_id = 0;
    uint64_t seq = 0;
    int rc = hb_cli_lookup_parse_ref(cli, args->operands[0], &station_id, &seq);
    if (rc != 0)
        return rc;
    hb_cli_target_learn_station_id(cli);
    if (station_id)  /* as typed: it may name another station */
        snprintf(ref, sizeof ref, "%s", args->operands[0]);
    else
        hb_cli_format_op_ref(ref, sizeof ref, cli->station_id, seq);
    snprintf(what, sizeof what, _("could not dismiss %s"), ref);
    if (check_dismissable(cli, station_id, seq, ref, what, &rc))
        return rc;
    Hourbank__DismissRequest d;
    hourbank__dismiss_request__init(&d);
    d.seq = seq;
    Hourbank__Envelope req, *reply = NULL;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_DISMISS;
    req.dismiss = &d;
    rc = ask(cli, &req, &reply, what);
    if (rc != 0)
        return rc;
    const Hourbank__QueueReply *q = reply->queue_reply;
    if (cli->json) {  /* with the queue's times, shown in the district's zone */
        hb_cli_zone_use(cli, q->time_zone, HB_CLI_ZONE_STATION_UNKNOWN);
        json_queue(cli, q, false, seq);
    }
    else
        fprintf(cli->out, _("dismissed %s; %llu rejected left\n"), ref, (unsigned long long) q->rejected);
    hb_wire_free(&reply);
    return 0;
}

const hb_cli_command_t hb_cli_queue_dismiss = {
    .name = "queue dismiss",
    .operands = N_("STATION:SEQ"),
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("remove a rejected operation from the list once dealt with"),
    .description = N_("Marks the rejected operation STATION:SEQ (as listed by hourbank queue --rejected, e.g.\n"
                   "1:8) or its SEQ alone as seen, so it leaves the list. The rejection itself stays on\n"
                   "record at central. Says so when nothing was dismissed: the operation was dismissed\n"
                   "before, or it is not a rejected one."),
    .target = HB_CLI_TARGET_STATION,
    .opts = NULL,
    .run = run_dismiss,
};

/* ---- status ---- */

/* The rows of status for what the station reports beyond the counts, when set. */
static void
status_notices(hb_cli_table_t *tab, const Hourbank__QueueReply *q)
{
    if (q->saves_blocked) {
        hb_cli_table_cell(tab, "%s", _("saves"));
        hb_cli_table_cell(tab, "%s", _("blocked: saves wait for central: the station was restored from a backup"));
    }
    if (q->changed) {
        hb_cli_table_cell(tab, "%s", _("changed"));
        hb_cli_table_cell(tab,
                          q->changed == 1 ? _("%llu operation changed result when resent to central (see hourbank queue --changed)")
                                          : _("%llu operations changed result when resent to central (see hourbank queue --changed)"),
                          (unsigned long long) q->changed);
    }
    if (q->alert && q->alert[0]) {
        hb_cli_table_cell(tab, "%s", _("alert"));
        hb_cli_table_cell(tab, "%s", q->alert);
    }
}

static int
print_status(hb_cli_t *cli, const Hourbank__QueueReply *q)
{
    char t[HB_CLI_FORMAT_BYTES], ago[HB_CLI_FORMAT_BYTES];
    int64_t now = (int64_t) time(NULL);
    hb_cli_table_t *tab = hb_cli_table_new(2, NULL);
    if (!tab)
        return hb_cli_report_out_of_memory(cli);
    hb_cli_table_cell(tab, "%s", _("station"));
    if (cli->station_id)
        hb_cli_table_cell(tab, _("%u at %s"), (unsigned) cli->station_id, cli->endpoint);
    else
        hb_cli_table_cell(tab, "%s", cli->endpoint);
    hb_cli_table_cell(tab, "%s", _("link"));
    hb_cli_table_cell(tab, "%s", hb_cli_words_link(q->link));
    hb_cli_table_cell(tab, "%s", _("time zone"));
    if (q->time_zone[0])
        hb_cli_table_cell(tab, _("%s (the district's, from central)"), q->time_zone);
    else
        hb_cli_table_cell(tab, "%s", _("not known yet (the station learns it from central when it next connects)"));
    hb_cli_table_cell(tab, "%s", _("last sync"));
    if (q->last_sync)
        hb_cli_table_cell(tab, _("%s (%s)"), hb_cli_format_time(t, sizeof t, q->last_sync),
                          hb_cli_format_ago(ago, sizeof ago, q->last_sync, now));
    else
        hb_cli_table_cell(tab, "%s", _("never"));
    hb_cli_table_cell(tab, "%s", _("lag"));
    int64_t lag = q->oldest_pending_at && now > q->oldest_pending_at ? now - q->oldest_pending_at : 0;
    if (q->pending)
        hb_cli_table_cell(tab, _("%s (the oldest operation not yet at central)"),
                          hb_cli_format_duration(ago, sizeof ago, lag / SECONDS_PER_MINUTE, false));
    else
        hb_cli_table_cell(tab, "%s", _("none: everything saved here has reached central"));
    hb_cli_table_cell(tab, "%s", _("pending"));
    if (q->pending && q->oldest_pending_at)
        hb_cli_table_cell(tab, _("%llu, oldest saved %s (%s)"), (unsigned long long) q->pending,
                          hb_cli_format_time(t, sizeof t, q->oldest_pending_at),
                          hb_cli_format_ago(ago, sizeof ago, q->oldest_pending_at, now));
    else
        hb_cli_table_cell(tab, "%llu", (unsigned long long) q->pending);
    hb_cli_table_cell(tab, "%s", _("rejected"));
    hb_cli_table_cell(tab, "%llu%s", (unsigned long long) q->rejected,
                      q->rejected ? _(" (see hourbank queue --rejected)") : "");
    hb_cli_table_cell(tab, "%s", _("acknowledged"));
    hb_cli_table_cell(tab, _("up to seq %llu (central's high-water mark: %llu)"), (unsigned long long) q->last_acked_seq,
                      (unsigned long long) q->central_high_water_mark);
    status_notices(tab, q);
    return hb_cli_table_finish(&tab, cli->out) == 0 ? 0 : hb_cli_report_out_of_memory(cli);
}

static int
run_status(hb_cli_t *cli, const hb_cli_args_t *args)
{
    (void) args;
    Hourbank__QueueQuery q;
    hourbank__queue_query__init(&q);
    q.rejected_only = true;
    Hourbank__Envelope *reply = NULL;
    int rc = hb_cli_queue_ask(cli, &q, &reply, _("could not read the station's status"));
    if (rc != 0)
        return rc;
    if (cli->json)
        json_queue(cli, reply->queue_reply, false, 0);
    else
        rc = print_status(cli, reply->queue_reply);
    hb_wire_free(&reply);
    return rc;
}

const hb_cli_command_t hb_cli_queue_status = {
    .name = "status",
    .operands = "",
    .summary = N_("the station's link to central, lag, last sync and queue counts"),
    .description = N_("Shows whether the station is connected to central (link up, down or connecting), when\n"
                   "it last synced, how many operations wait to be sent and since when (the lag), and how\n"
                   "many central rejected. When set, also: saves blocked (a station restored from a backup\n"
                   "saves again once central has confirmed its marks), operations whose result changed\n"
                   "when resent (hourbank queue --changed), and the station's alert for district IT."),
    .target = HB_CLI_TARGET_STATION,
    .opts = NULL,
    .run = run_status,
};
