/* console_queue.c - /queue: what this station saved and central has not
 * yet acknowledged (table#pending), and what central refused and nobody
 * has dealt with yet (table#rejected: the reason in words, a Dismiss
 * button once it is dealt with, POST /queue/dismiss). */
#include "console.h"
#include "cli_format.h"
#include "cli_parse.h"
#include "cli_words.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <stdio.h>
#include <string.h>

static Hourbank__Envelope *
ask(hb_console_t *c, bool rejected, char *msg, size_t size)
{
    Hourbank__Envelope env, *reply = NULL;
    Hourbank__QueueQuery q;
    hb_wire_envelope_init(&env, 0);
    hourbank__queue_query__init(&q);
    q.rejected_only = rejected;
    env.body_case = HOURBANK__ENVELOPE__BODY_QUEUE_QUERY;
    env.queue_query = &q;
    if (hb_console_call(c, &env, false, &reply, msg, size) != HB_CONSOLE_OK)
        return NULL;
    if (reply->body_case != HOURBANK__ENVELOPE__BODY_QUEUE_REPLY) {
        snprintf(msg, size, "%s", _("the station gave an answer the console does not understand"));
        hb_wire_free(&reply);
    }
    return reply;
}

/* The cells every row starts with: reference, what, saved when, by whom. */
static void
op_cells(hb_web_req_t *req, uint32_t station_id, const Hourbank__QueuedOp *op)
{
    char ref[HB_CLI_FORMAT_BYTES], when[HB_CLI_FORMAT_BYTES], what[HB_MESSAGE_BYTES_MAX * 2];
    hb_web_html(req, "<td class=\"number ref\">%s</td>", hb_cli_format_op_ref(ref, sizeof ref, station_id, op->seq));
    hb_web_html(req, "<td>%s: %s</td>", hb_cli_words_kind(op->kind),
                hb_cli_words_summary(what, sizeof what, op->summary));
    hb_web_html(req, "<td>%s</td><td>%s</td>", hb_cli_format_time(when, sizeof when, op->saved_at),
                op->operator_ && op->operator_[0] ? op->operator_ : "-");
}

static void
head(hb_web_req_t *req, const char *id, bool rejected)
{
    hb_web_html(req, "<table id=\"%s\"><thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>", id,
                _("Reference"), _("What"));
    hb_web_html(req, "<th scope=\"col\">%s</th><th scope=\"col\">%s</th>", _("Saved"), _("Operator"));
    if (rejected)
        hb_web_html(req, "<th scope=\"col\">%s</th><th scope=\"col\">%s</th>", _("Why central refused it"),
                    _("Dealt with?"));
    hb_web_raw(req, "</tr></thead><tbody>");
}

static void
pending(hb_web_req_t *req, const Hourbank__QueueReply *q)
{
    hb_web_html(req, "<h2>%s</h2>", _("Waiting to be sent to central"));
    if (q->n_ops == 0) {
        hb_web_html(req, "<p id=\"no-pending\">%s</p>", _("Nothing is waiting: central has everything."));
        return;
    }
    head(req, "pending", false);
    for (size_t i = 0; i < q->n_ops; i++) {
        hb_web_raw(req, "<tr class=\"op\">");
        op_cells(req, q->station_id, q->ops[i]);
        hb_web_raw(req, "</tr>");
    }
    hb_web_raw(req, "</tbody></table>");
}

static void
rejected(hb_web_req_t *req, const Hourbank__QueueReply *q)
{
    char why[HB_MESSAGE_BYTES_MAX * 2];
    hb_web_html(req, "<h2>%s</h2>", _("Refused by central"));
    if (q->n_ops == 0) {
        hb_web_html(req, "<p id=\"no-rejected\">%s</p>", _("Nothing was refused."));
        return;
    }
    hb_web_html(req, "<p>%s</p>", _("Correct what is needed (for instance record the service again with the right "
                                    "numbers), then mark the refusal as dealt with."));
    head(req, "rejected", true);
    for (size_t i = 0; i < q->n_ops; i++) {
        const Hourbank__QueuedOp *op = q->ops[i];
        hb_web_raw(req, "<tr class=\"op\">");
        op_cells(req, q->station_id, op);
        hb_web_html(req, "<td class=\"reason\">%s</td><td>",
                    hb_console_result_text(why, sizeof why, (int) op->result, op->params, op->n_params, op->message));
        hb_console_form_begin(req, "/queue/dismiss", "dismiss-form");
        hb_web_html(req, "<input type=\"hidden\" name=\"seq\" value=\"%llu\">", (unsigned long long) op->seq);
        hb_web_html(req, "<button type=\"submit\" class=\"dismiss\">%s</button>", _("Dealt with: dismiss"));
        hb_console_form_end(req);
        hb_web_raw(req, "</td></tr>");
    }
    hb_web_raw(req, "</tbody></table>");
}

static void
queue_page(hb_console_t *c, hb_web_req_t *req, const char *error, unsigned status)
{
    char msg[HB_MESSAGE_BYTES_MAX * 2];
    Hourbank__Envelope *p = ask(c, false, msg, sizeof msg);
    Hourbank__Envelope *r = p ? ask(c, true, msg, sizeof msg) : NULL;
    if (!p || !r) {
        hb_wire_free(&p);
        hb_console_page_no_station(c, req, _("Queue"), msg);
        return;
    }
    if (status != 200)
        hb_web_status(req, status);
    hb_console_page_begin(c, req, _("Queue"));
    hb_console_form_error(req, error);
    if (hb_web_param(req, "dismissed") && !error)
        hb_web_html(req, "<p id=\"dismissed\" class=\"saved\" role=\"status\">%s</p>",
                    _("Marked as dealt with: it is no longer in the list."));
    if (p->queue_reply->n_ops == 0 && r->queue_reply->n_ops == 0)
        hb_web_html(req, "<p id=\"queue-empty\">%s</p>",
                    _("Nothing waits for central and nothing was refused: all is done."));
    pending(req, p->queue_reply);
    rejected(req, r->queue_reply);
    hb_wire_free(&p);
    hb_wire_free(&r);
    hb_console_page_end(c, req);
}

void
hb_console_page_queue(hb_console_t *c, hb_web_req_t *req, const char *rest)
{
    (void) rest;
    queue_page(c, req, NULL, 200);
}

void
hb_console_page_dismiss(hb_console_t *c, hb_web_req_t *req, const char *rest)
{
    (void) rest;
    if (!hb_web_is_post(req)) {
        hb_web_redirect(req, "/queue");
        return;
    }
    char msg[HB_MESSAGE_BYTES_MAX * 2];
    uint64_t seq = 0;
    const char *text = hb_web_param(req, "seq");
    if (!text || hb_cli_parse_seq(text, &seq, msg, sizeof msg) != 0) {
        queue_page(c, req, text ? msg : _("which operation? the form did not say"), 422);
        return;
    }
    Hourbank__Envelope env, *reply = NULL;
    Hourbank__DismissRequest d;
    hb_wire_envelope_init(&env, 0);
    hourbank__dismiss_request__init(&d);
    d.seq = seq;
    env.body_case = HOURBANK__ENVELOPE__BODY_DISMISS;
    env.dismiss = &d;
    if (hb_console_call(c, &env, false, &reply, msg, sizeof msg) != HB_CONSOLE_OK) {
        hb_console_page_no_station(c, req, _("Queue"), msg);
        return;
    }
    if (reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR) {
        const Hourbank__ErrorReply *e = reply->error;
        hb_console_result_text(msg, sizeof msg, (int) e->code, e->params, e->n_params, e->message);
        hb_wire_free(&reply);
        queue_page(c, req, msg, 422);
        return;
    }
    hb_wire_free(&reply);
    hb_web_redirect(req, "/queue?dismissed=1");
}
