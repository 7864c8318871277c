/* console_home.c - the home page (find a member, every daily task one
 * click away, the queue at a glance) and the member search. */
#include "console.h"
#include "cli_format.h"
#include "cli_parse.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_result.h"
#include "hb_wire.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *href;
    const char *label;
    const char *what;
} task_t;

static const task_t tasks[] = {
    {"/register", N_("Register a member"), N_("a new member gets a number for the card")},
    {"/record", N_("Record a service"), N_("who helped whom, how long: see who pays before saving")},
    {"/gift", N_("Gift hours"), N_("to a family member")},
    {"/donate", N_("Donate hours"), N_("to the pool, for those who need care")},
    {"/void", N_("Void an operation"), N_("cancel a mistake, with a reason")},
    {"/queue", N_("Queue"), N_("what waits for central, and what it refused")},
    {"/passbook", N_("Print a passbook"), N_("a member's entries for a period")},
    {"/rules", N_("Rules"), N_("limits, gifts, who pays, the guarantee")},
};

static void
find_form(hb_web_req_t *req, const char *q)
{
    hb_web_html(req, "<form method=\"get\" action=\"/find\" id=\"find\" role=\"search\">"
                     "<div class=\"field\"><label for=\"q\">%s</label>",
                _("Find a member: number or part of the name"));
    hb_web_html(req, "<input type=\"search\" id=\"q\" name=\"q\" value=\"%s\" autocomplete=\"off\" required>",
                q ? q : "");
    hb_web_html(req, "</div><button type=\"submit\" id=\"find-submit\">%s</button></form>", _("Find"));
}

void
hb_console_page_home(hb_console_t *c, hb_web_req_t *req, const char *rest)
{
    (void) rest;
    hb_console_page_begin(c, req, _("Home"));
    find_form(req, NULL);
    const Hourbank__QueueReply *q = hb_console_queue_status(c);
    if (q) {
        hb_web_html(req, "<p id=\"queue-summary\"><a href=\"/queue\">%s</a> ", _("Waiting to be sent:"));
        hb_web_html(req, "<strong>%llu</strong>", (unsigned long long) q->pending);
        hb_web_html(req, " · %s ", _("refused by central, to deal with:"));
        hb_web_html(req, "<strong id=\"home-rejected\">%llu</strong></p>", (unsigned long long) q->rejected);
    }
    hb_web_html(req, "<h2>%s</h2><ul class=\"tasks\">", _("Tasks"));
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++)
        hb_web_html(req, "<li><a href=\"%s\"><strong>%s</strong><span>%s</span></a></li>", tasks[i].href,
                    _(tasks[i].label), _(tasks[i].what));
    hb_web_raw(req, "</ul>");
    hb_console_page_end(c, req);
}

/* One MemberQuery (exact number, or part of a name); the reply or NULL
 * with msg. */
static Hourbank__Envelope *
ask(hb_console_t *c, const char *number, const char *text, char *msg, size_t size)
{
    Hourbank__Envelope env, *reply = NULL;
    Hourbank__MemberQuery q;
    hb_wire_envelope_init(&env, 0);
    hourbank__member_query__init(&q);
    q.member_no = (char *) (uintptr_t) (number ? number : "");
    q.text = (char *) (uintptr_t) (text ? text : "");
    env.body_case = HOURBANK__ENVELOPE__BODY_MEMBER_QUERY;
    env.member_query = &q;
    if (hb_console_call(c, &env, false, &reply, msg, size) != HB_CONSOLE_OK)
        return NULL;
    return reply;
}

static void
results(hb_web_req_t *req, const Hourbank__MemberReply *r)
{
    if (r->n_members == 0) {
        hb_web_html(req, "<p id=\"no-results\">%s</p>", _("No member found. Check the number, or type less of the name."));
        return;
    }
    hb_web_html(req, "<table id=\"results\"><thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
                     "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead><tbody>",
                _("Name"), _("Number"), _("Role"), _("Community"));
    for (size_t i = 0; i < r->n_members; i++) {
        const Hourbank__Member *m = r->members[i];
        hb_web_html(req, "<tr><td><a class=\"member-link\" href=\"/member/%s\">%s</a></td><td class=\"number\">%s</td>",
                    m->member_no, m->left ? _("(left the scheme)") : m->name, m->member_no);
        hb_web_html(req, "<td>%s</td><td>%s</td></tr>", _(hb_cli_format_role(m->role)), m->community);
    }
    hb_web_raw(req, "</tbody></table>");
}

void
hb_console_page_find(hb_console_t *c, hb_web_req_t *req, const char *rest)
{
    (void) rest;
    const char *q = hb_web_param(req, "q");
    char number[HB_MEMBER_NO_BUF_BYTES], msg[HB_MESSAGE_BYTES_MAX];
    bool is_number = q && hb_cli_parse_member_no(q, number, msg, sizeof msg) == 0;
    const char *text_error = NULL;
    if (!q || !q[0])
        text_error = _("type a member number or part of a name");
    else if (!is_number && hb_cli_parse_text(_("the search"), q, HB_SEARCH_BYTES_MAX, true, false, msg, sizeof msg) != 0)
        text_error = msg;
    Hourbank__Envelope *reply = NULL;
    if (!text_error) {
        reply = ask(c, is_number ? number : NULL, is_number ? NULL : q, msg, sizeof msg);
        if (!reply) {
            hb_console_page_no_station(c, req, _("Find a member"), msg);
            return;
        }
    }
    hb_console_page_begin(c, req, _("Find a member"));
    find_form(req, q);
    if (text_error)
        hb_web_html(req, "<p class=\"field-error\" id=\"err-q\" role=\"alert\">%s</p>", text_error);
    else if (reply->body_case == HOURBANK__ENVELOPE__BODY_MEMBER_REPLY)
        results(req, reply->member_reply);
    else if (reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR && (int) reply->error->code == HB_RESULT_NOT_FOUND)
        hb_web_html(req, "<p id=\"no-results\">%s</p>", _("No member has this number."));
    else if (reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR)
        hb_console_form_error(req, hb_console_result_text(msg, sizeof msg, reply->error->code, reply->error->params,
                                                          reply->error->n_params, reply->error->message));
    hb_wire_free(&reply);
    hb_console_page_end(c, req);
}
