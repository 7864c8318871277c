/* cli_queue.c - queue, queue dismiss, status. */
#include "cli_queue.h"
#include "cli_format.h"
#include "cli_json.h"
#include "cli_parse.h"
#include "cli_report.h"
#include "cli_table.h"
#include "cli_target.h"
#include "hb_assert.h"
#include "hb_wire.h"

#include <string.h>
#include <sysexits.h>
#include <time.h>

#define SECONDS_PER_MINUTE 60

/* What became of a queued op. */
static const char *
op_status(const Hourbank__QueuedOp *op)
{
    if (op->result == HOURBANK__RESULT__RESULT_UNSET)
        return "pending";
    return op->result == HOURBANK__RESULT__OK ? "accepted" : "rejected";
}

static void
json_op(hb_cli_t *cli, hb_cli_json_t *j, const Hourbank__QueuedOp *op)
{
    char ref[HB_CLI_FORMAT_BYTES];
    bool rejected = strcmp(op_status(op), "rejected") == 0;
    hb_cli_json_object_begin(j);
    hb_cli_json_kv_uint(j, "seq", op->seq);
    hb_cli_json_kv_string(j, "op_ref", cli->station_id ? hb_cli_format_op_ref(ref, sizeof ref, cli->station_id, op->seq)
                                                       : NULL);
    hb_cli_json_kv_string(j, "kind", op->kind);
    hb_cli_json_kv_string(j, "summary", op->summary);
    hb_cli_json_kv_time(j, "saved_at", op->saved_at);
    hb_cli_json_kv_string(j, "status", op_status(op));
    hb_cli_json_kv_string(j, "result", rejected ? hb_result_name((hb_result_t) op->result) : NULL);
    hb_cli_json_key(j, "code");
    if (rejected)
        hb_cli_json_int(j, (int64_t) op->result);
    else
        hb_cli_json_null(j);
    hb_cli_json_kv_string(j, "message", op->message && op->message[0] ? op->message : NULL);
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
    hb_cli_json_kv_uint(&j, "pending", q->pending);
    hb_cli_json_kv_uint(&j, "rejected", q->rejected);
    hb_cli_json_kv_time(&j, "last_sync", q->last_sync);
    hb_cli_json_kv_time(&j, "oldest_pending_at", q->oldest_pending_at);
    int64_t now = (int64_t) time(NULL);
    hb_cli_json_kv_int(&j, "lag_seconds", q->pending && q->oldest_pending_at && now > q->oldest_pending_at
                                              ? now - q->oldest_pending_at : 0);
    hb_cli_json_kv_uint(&j, "last_acked_seq", q->last_acked_seq);
    hb_cli_json_kv_uint(&j, "central_high_water_mark", q->central_high_water_mark);
    if (dismissed)
        hb_cli_json_kv_uint(&j, "dismissed_seq", dismissed);
    if (with_ops) {
        hb_cli_json_key(&j, "ops");
        hb_cli_json_array_begin(&j);
        for (size_t i = 0; i < q->n_ops; i++)
            json_op(cli, &j, q->ops[i]);
        hb_cli_json_array_end(&j);
    }
    hb_cli_json_object_end(&j);
    hb_cli_json_finish(&j);
}

/* One line: "link up, last sync 2026-11-29 14:05 (3m ago); 3 pending, 1 rejected". */
static void
print_summary(hb_cli_t *cli, const Hourbank__QueueReply *q)
{
    char t[HB_CLI_FORMAT_BYTES], ago[HB_CLI_FORMAT_BYTES];
    int64_t now = (int64_t) time(NULL);
    if (q->last_sync)
        fprintf(cli->out, "link %s, last sync %s (%s); %llu pending, %llu rejected\n", q->link,
                hb_cli_format_time(t, sizeof t, q->last_sync), hb_cli_format_ago(ago, sizeof ago, q->last_sync, now),
                (unsigned long long) q->pending, (unsigned long long) q->rejected);
    else
        fprintf(cli->out, "link %s, never synced; %llu pending, %llu rejected\n", q->link,
                (unsigned long long) q->pending, (unsigned long long) q->rejected);
}

/* The details cell: the op's summary, and for a rejection its reason. */
static void
details_cell(hb_cli_table_t *tab, const Hourbank__QueuedOp *op)
{
    const char *summary = op->summary ? op->summary : "";
    if (strcmp(op_status(op), "rejected") != 0) {
        hb_cli_table_cell(tab, "%s", summary);
        return;
    }
    const char *why = op->message && op->message[0] ? op->message : hb_result_text((hb_result_t) op->result);
    hb_cli_table_cell(tab, "%s%s%s (%s)", summary, summary[0] ? ": " : "", why,
                      hb_result_name((hb_result_t) op->result));
}

static int
print_queue(hb_cli_t *cli, const Hourbank__QueueReply *q, bool rejected_only)
{
    print_summary(cli, q);
    if (q->n_ops == 0) {
        fprintf(cli->out, rejected_only ? "no rejected operations\n"
                                        : "the queue is empty: everything saved here has reached central\n");
        return 0;
    }
    static const char *const headers[] = {"OP", "SAVED", "KIND", "STATUS", "DETAILS"};
    hb_cli_table_t *tab = hb_cli_table_new(5, headers);
    if (!tab)
        return hb_cli_report_out_of_memory(cli);
    char ref[HB_CLI_FORMAT_BYTES], t[HB_CLI_FORMAT_BYTES];
    for (size_t i = 0; i < q->n_ops; i++) {
        const Hourbank__QueuedOp *op = q->ops[i];
        hb_cli_table_cell(tab, "%s", hb_cli_format_op_ref(ref, sizeof ref, cli->station_id, op->seq));
        hb_cli_table_cell(tab, "%s", hb_cli_format_time(t, sizeof t, op->saved_at));
        hb_cli_table_cell(tab, "%s", op->kind);
        hb_cli_table_cell(tab, "%s", op_status(op));
        details_cell(tab, op);
    }
    if (hb_cli_table_finish(&tab, cli->out) != 0)
        return hb_cli_report_out_of_memory(cli);
    if (q->rejected)
        fprintf(cli->out, "once a rejected operation is dealt with: hourbank queue dismiss SEQ\n");
    return 0;
}

/* Sends a queue query or a dismiss request; returns the QueueReply. */
static int
ask_queue(hb_cli_t *cli, bool rejected_only, uint64_t dismiss_seq, Hourbank__Envelope **reply_out, const char *what)
{
    Hourbank__QueueQuery q;
    hourbank__queue_query__init(&q);
    Hourbank__DismissRequest d;
    hourbank__dismiss_request__init(&d);
    Hourbank__Envelope req;
    hb_wire_envelope_init(&req, 0);
    if (dismiss_seq) {
        d.seq = dismiss_seq;
        req.body_case = HOURBANK__ENVELOPE__BODY_DISMISS;
        req.dismiss = &d;
    } else {
        q.rejected_only = rejected_only;
        req.body_case = HOURBANK__ENVELOPE__BODY_QUEUE_QUERY;
        req.queue_query = &q;
    }
    int rc = hb_cli_target_station(cli, &req, reply_out);
    if (rc == 0)
        rc = hb_cli_target_expect(cli, *reply_out, HOURBANK__ENVELOPE__BODY_QUEUE_REPLY, what);
    if (rc == 0 && (*reply_out)->queue_reply->station_id)
        cli->station_id = (*reply_out)->queue_reply->station_id;  /* the station says who it is */
    if (rc != 0)
        hb_wire_free(reply_out);
    return rc;
}

static int
run_queue(hb_cli_t *cli, const hb_cli_args_t *args)
{
    bool rejected_only = hb_cli_command_flag(args, "rejected");
    Hourbank__Envelope *reply = NULL;
    int rc = ask_queue(cli, rejected_only, 0, &reply, "could not read the queue");
    if (rc != 0)
        return rc;
    if (cli->json)
        json_queue(cli, reply->queue_reply, true, 0);
    else
        rc = print_queue(cli, reply->queue_reply, rejected_only);
    hb_wire_free(&reply);
    return rc;
}

static const hb_cli_opt_t queue_opts[] = {
    {"rejected", 0, NULL, false, "only operations central rejected, with the reasons"},
    {NULL, 0, NULL, false, NULL},
};

const hb_cli_command_t hb_cli_queue_queue = {
    .name = "queue",
    .operands = "",
    .summary = "operations saved here and not yet at central, and rejected ones",
    .description = "Lists the operations saved at this station that central has not acknowledged yet\n"
                   "(pending), and those central rejected, each with the reason. A rejection is final:\n"
                   "correct the mistake with a new operation, then remove the rejected one from this\n"
                   "list with hourbank queue dismiss SEQ.",
    .target = HB_CLI_TARGET_STATION,
    .opts = queue_opts,
    .run = run_queue,
};

/* ---- queue dismiss ---- */

static int
run_dismiss(hb_cli_t *cli, const hb_cli_args_t *args)
{
    char msg[HB_CLI_TEXT_BYTES_MAX], ref[HB_CLI_FORMAT_BYTES], what[HB_CLI_TEXT_BYTES_MAX];
    uint64_t seq = 0;
    if (hb_cli_parse_seq(args->operands[0], &seq, msg, sizeof msg) != 0)
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    hb_cli_target_learn_station_id(cli);
    snprintf(what, sizeof what, "could not dismiss %s", hb_cli_format_op_ref(ref, sizeof ref, cli->station_id, seq));
    Hourbank__Envelope *reply = NULL;
    int rc = ask_queue(cli, false, seq, &reply, what);
    if (rc != 0)
        return rc;
    const Hourbank__QueueReply *q = reply->queue_reply;
    if (cli->json)
        json_queue(cli, q, false, seq);
    else
        fprintf(cli->out, "dismissed %s; %llu rejected left\n", ref, (unsigned long long) q->rejected);
    hb_wire_free(&reply);
    return 0;
}

const hb_cli_command_t hb_cli_queue_dismiss = {
    .name = "queue dismiss",
    .operands = "SEQ",
    .operands_min = 1,
    .operands_max = 1,
    .summary = "remove a rejected operation from the list once dealt with",
    .description = "Marks the rejected operation SEQ (the number after the colon in its reference, as\n"
                   "listed by hourbank queue --rejected) as seen, so it leaves the list. The rejection\n"
                   "itself stays on record at central.",
    .target = HB_CLI_TARGET_STATION,
    .opts = NULL,
    .run = run_dismiss,
};

/* ---- status ---- */

static int
print_status(hb_cli_t *cli, const Hourbank__QueueReply *q)
{
    char t[HB_CLI_FORMAT_BYTES], ago[HB_CLI_FORMAT_BYTES];
    int64_t now = (int64_t) time(NULL);
    hb_cli_table_t *tab = hb_cli_table_new(2, NULL);
    if (!tab)
        return hb_cli_report_out_of_memory(cli);
    hb_cli_table_cell(tab, "station");
    if (cli->station_id)
        hb_cli_table_cell(tab, "%u at %s", (unsigned) cli->station_id, cli->endpoint);
    else
        hb_cli_table_cell(tab, "%s", cli->endpoint);
    hb_cli_table_cell(tab, "link");
    hb_cli_table_cell(tab, "%s", q->link);
    hb_cli_table_cell(tab, "last sync");
    if (q->last_sync)
        hb_cli_table_cell(tab, "%s (%s)", hb_cli_format_time(t, sizeof t, q->last_sync),
                          hb_cli_format_ago(ago, sizeof ago, q->last_sync, now));
    else
        hb_cli_table_cell(tab, "never");
    hb_cli_table_cell(tab, "lag");
    int64_t lag = q->oldest_pending_at && now > q->oldest_pending_at ? now - q->oldest_pending_at : 0;
    if (q->pending)
        hb_cli_table_cell(tab, "%s (the oldest operation not yet at central)",
                          hb_cli_format_duration(ago, sizeof ago, lag / SECONDS_PER_MINUTE, false));
    else
        hb_cli_table_cell(tab, "none: everything saved here has reached central");
    hb_cli_table_cell(tab, "pending");
    if (q->pending && q->oldest_pending_at)
        hb_cli_table_cell(tab, "%llu, oldest saved %s (%s)", (unsigned long long) q->pending,
                          hb_cli_format_time(t, sizeof t, q->oldest_pending_at),
                          hb_cli_format_ago(ago, sizeof ago, q->oldest_pending_at, now));
    else
        hb_cli_table_cell(tab, "%llu", (unsigned long long) q->pending);
    hb_cli_table_cell(tab, "rejected");
    hb_cli_table_cell(tab, "%llu%s", (unsigned long long) q->rejected,
                      q->rejected ? " (see hourbank queue --rejected)" : "");
    hb_cli_table_cell(tab, "acknowledged");
    hb_cli_table_cell(tab, "up to seq %llu (central's high-water mark: %llu)", (unsigned long long) q->last_acked_seq,
                      (unsigned long long) q->central_high_water_mark);
    return hb_cli_table_finish(&tab, cli->out) == 0 ? 0 : hb_cli_report_out_of_memory(cli);
}

static int
run_status(hb_cli_t *cli, const hb_cli_args_t *args)
{
    (void) args;
    Hourbank__Envelope *reply = NULL;
    int rc = ask_queue(cli, true, 0, &reply, "could not read the station's status");
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
    .summary = "the station's link to central, lag, last sync and queue counts",
    .description = "Shows whether the station is connected to central (link up, down or connecting), when\n"
                   "it last synced, how many operations wait to be sent and since when (the lag), and how\n"
                   "many central rejected.",
    .target = HB_CLI_TARGET_STATION,
    .opts = NULL,
    .run = run_status,
};
