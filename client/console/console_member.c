/* console_member.c - one member's page: who, the hours synced with
 * central (as of when), what this station saved and central has not yet
 * acknowledged (in and out), what is available, and the member's tasks. */
#include "console.h"
#include "cli_format.h"
#include "cli_parse.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_result.h"
#include "hb_wire.h"

#include <stdio.h>
#include <string.h>

static Hourbank__Envelope *
ask(hb_console_t *c, Hourbank__Envelope *env, char *msg, size_t size)
{
    Hourbank__Envelope *reply = NULL;
    if (hb_console_call(c, env, false, &reply, msg, size) != HB_CONSOLE_OK)
        return NULL;
    return reply;
}

static Hourbank__Envelope *
ask_member(hb_console_t *c, const char *number, char *msg, size_t size)
{
    Hourbank__Envelope env;
    Hourbank__MemberQuery q;
    hb_wire_envelope_init(&env, 0);
    hourbank__member_query__init(&q);
    q.member_no = (char *) (uintptr_t) number;
    env.body_case = HOURBANK__ENVELOPE__BODY_MEMBER_QUERY;
    env.member_query = &q;
    return ask(c, &env, msg, size);
}

static Hourbank__Envelope *
ask_balance(hb_console_t *c, const char *number, char *msg, size_t size)
{
    Hourbank__Envelope env;
    Hourbank__BalanceQuery q;
    hb_wire_envelope_init(&env, 0);
    hourbank__balance_query__init(&q);
    q.member_no = (char *) (uintptr_t) number;
    env.body_case = HOURBANK__ENVELOPE__BODY_BALANCE_QUERY;
    env.balance_query = &q;
    return ask(c, &env, msg, size);
}

static void
row(hb_web_req_t *req, const char *id, const char *label, const char *value)
{
    hb_web_html(req, "<dt>%s</dt><dd id=\"%s\">%s</dd>", label, id, value);
}

static void
hours(hb_console_t *c, hb_web_req_t *req, const Hourbank__BalanceReply *b)
{
    (void) c;
    char v[HB_CLI_FORMAT_BYTES];
    hb_web_html(req, "<h2>%s</h2><dl class=\"hours\">", _("Hours"));
    row(req, "m-synced", _("with central"), hb_cli_format_duration(v, sizeof v, b->balance_minutes, false));
    row(req, "m-pending-in", _("saved here, coming in"), hb_cli_format_duration(v, sizeof v, b->pending_in_minutes, false));
    row(req, "m-pending-out", _("saved here, going out"), hb_cli_format_duration(v, sizeof v, b->pending_out_minutes, false));
    row(req, "m-available", _("available"),
        hb_cli_format_duration(v, sizeof v, b->balance_minutes + b->pending_in_minutes - b->pending_out_minutes, false));
    row(req, "m-as-of", _("central's figure as of"),
        b->as_of ? hb_cli_format_time(v, sizeof v, b->as_of) : _("not yet known"));
    hb_web_raw(req, "</dl>");
}

static void
who(hb_web_req_t *req, const Hourbank__Member *m)
{
    hb_web_html(req, "<dl class=\"who\"><dt>%s</dt><dd id=\"m-name\">%s</dd>", _("Name"),
                m->left ? _("(left the scheme)") : m->name);
    hb_web_html(req, "<dt>%s</dt><dd id=\"m-number\" class=\"number\">%s</dd>", _("Number"), m->member_no);
    hb_web_html(req, "<dt>%s</dt><dd>%s</dd>", _("Role"), _(hb_cli_format_role(m->role)));
    hb_web_html(req, "<dt>%s</dt><dd>%s</dd>", _("Community"), m->community);
    if (m->birth_year)
        hb_web_html(req, "<dt>%s</dt><dd>%u</dd>", _("Born"), (unsigned) m->birth_year);
    hb_web_raw(req, "</dl>");
}

static void
actions(hb_web_req_t *req, const char *no)
{
    hb_web_html(req, "<ul class=\"actions\"><li><a id=\"act-record\" href=\"/record?provider=%s\">%s</a></li>", no,
                _("Record a service"));
    hb_web_html(req, "<li><a id=\"act-gift\" href=\"/gift?from=%s\">%s</a></li>", no, _("Gift hours"));
    hb_web_html(req, "<li><a id=\"act-donate\" href=\"/donate?member=%s\">%s</a></li>", no, _("Donate hours"));
    hb_web_html(req, "<li><a id=\"act-passbook\" href=\"/passbook?member=%s\">%s</a></li></ul>", no,
                _("Print the passbook"));
}

void
hb_console_page_member(hb_console_t *c, hb_web_req_t *req, const char *rest)
{
    char no[HB_MEMBER_NO_BUF_BYTES], msg[HB_MESSAGE_BYTES_MAX * 2];
    if (hb_cli_parse_member_no(rest, no, msg, sizeof msg) != 0) {
        hb_web_status(req, 404);
        hb_console_page_begin(c, req, _("Member"));
        hb_console_form_error(req, msg);
        hb_console_page_end(c, req);
        return;
    }
    Hourbank__Envelope *m = ask_member(c, no, msg, sizeof msg);
    Hourbank__Envelope *b = m ? ask_balance(c, no, msg, sizeof msg) : NULL;
    if (!m || !b) {
        hb_wire_free(&m);
        hb_console_page_no_station(c, req, _("Member"), msg);
        return;
    }
    bool found = m->body_case == HOURBANK__ENVELOPE__BODY_MEMBER_REPLY && m->member_reply->n_members > 0;
    if (!found)
        hb_web_status(req, 404);
    hb_console_page_begin(c, req, found && !m->member_reply->members[0]->left ? m->member_reply->members[0]->name
                                                                               : _("Member"));
    if (!found) {
        const Hourbank__ErrorReply *e = m->body_case == HOURBANK__ENVELOPE__BODY_ERROR ? m->error : NULL;
        hb_console_form_error(req, e ? hb_console_result_text(msg, sizeof msg, e->code, e->params, e->n_params,
                                                              e->message)
                                     : _("No member has this number."));
    } else {
        who(req, m->member_reply->members[0]);
        if (b->body_case == HOURBANK__ENVELOPE__BODY_BALANCE_REPLY)
            hours(c, req, b->balance_reply);
        actions(req, m->member_reply->members[0]->member_no);
    }
    hb_wire_free(&m);
    hb_wire_free(&b);
    hb_console_page_end(c, req);
}
