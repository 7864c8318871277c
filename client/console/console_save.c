/* console_save.c - what every page that saves shares: the form's request
 * id (made when the form is first shown, carried in a hidden field, so a
 * double submit or a resend is stored once), one SaveRequest with the
 * signed-in operator, a refusal placed next to the field it concerns, and
 * what a save (or a check) says back: #saved with #saved-ref, who pays
 * (#payer) and what central will decide later (#cautions). */
#include "console.h"
#include "cli_format.h"
#include "cli_parse.h"
#include "cli_result.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <stdio.h>
#include <string.h>

/* The payer SaveReply names when the guarantee pays. */
#define PAYER_GUARANTEE "guarantee"

void
hb_console_save_request_id(hb_web_req_t *req, char out[HB_REQUEST_ID_BYTES_MAX + 1])
{
    const char *typed = hb_web_param(req, "request_id");
    char msg[HB_MESSAGE_BYTES_MAX];
    if (!typed || hb_cli_parse_request_id(typed, out, msg, sizeof msg) != 0)
        hb_console_request_id(out);
}

void
hb_console_save_hidden(hb_web_req_t *req, const char *request_id)
{
    hb_web_html(req, "<input type=\"hidden\" name=\"request_id\" value=\"%s\">", request_id);
}

hb_console_status_t
hb_console_save(hb_console_t *c, hb_web_req_t *req, const hb_console_save_t *s, Hourbank__Envelope **reply,
                char *msg, size_t msg_size)
{
    hb_assert(c && req && s && s->op && reply && msg);
    *reply = NULL;
    s->op->operator_ = (char *) (uintptr_t) (hb_web_operator(req) ? hb_web_operator(req) : "");
    hb_wire_error_t err;
    if (hb_wire_validate_op(s->op, HB_WIRE_OP_IN_SAVE, &err) != 0) {
        snprintf(msg, msg_size, "%s", err.message);
        return HB_CONSOLE_INVALID;
    }
    Hourbank__SaveRequest save;
    hourbank__save_request__init(&save);
    save.op = s->op;
    save.request_id = (char *) (uintptr_t) (s->dry_run ? "" : s->request_id);
    save.dry_run = s->dry_run;
    save.confirm_new = s->confirm_new;
    Hourbank__Envelope env;
    hb_wire_envelope_init(&env, 0);
    env.body_case = HOURBANK__ENVELOPE__BODY_SAVE;
    env.save = &save;
    hb_console_status_t st = hb_console_call(c, &env, !s->dry_run, reply, msg, msg_size);
    if (st != HB_CONSOLE_OK)
        return st;
    Hourbank__Envelope *r = *reply;
    if (r->body_case == HOURBANK__ENVELOPE__BODY_SAVE_REPLY && s->dry_run && !r->save_reply->dry_run) {
        char ref[HB_CLI_FORMAT_BYTES];
        hb_cli_format_op_ref(ref, sizeof ref, r->save_reply->station_id, r->save_reply->seq);
        snprintf(msg, msg_size, _("the station saved it as %s although only a check was asked; if it was not meant, "
                                  "void %s"), ref, ref);
        hb_wire_free(reply);
        return HB_CONSOLE_INVALID;
    }
    if (r->body_case != HOURBANK__ENVELOPE__BODY_SAVE_REPLY && r->body_case != HOURBANK__ENVELOPE__BODY_ERROR) {
        snprintf(msg, msg_size, "%s", _("the station gave an answer the console does not understand"));
        hb_wire_free(reply);
        return HB_CONSOLE_INVALID;
    }
    return HB_CONSOLE_OK;
}

int
hb_console_save_refusal(const Hourbank__ErrorReply *e, const hb_console_member_field_t *fields, size_t n_fields,
                        char *text, size_t size)
{
    hb_assert(e && text);
    hb_console_result_text(text, size, (int) e->code, e->params, e->n_params, e->message);
    for (size_t p = 0; p < e->n_params; p++) {
        const char *v = e->params[p]->value;
        for (size_t f = 0; v && v[0] && f < n_fields; f++)
            if (fields[f].number && strcmp(fields[f].number, v) == 0)
                return (int) f;
    }
    return -1;
}

/* ---- members by name, as the CLI shows them: "Name (NUMBER)" ---- */

typedef struct {
    hb_console_t *c;
    Hourbank__Envelope *reply;  /* the last MemberReply asked */
} namer_t;

/* hb_cli_result_namer_t: the member's name from the station's directory,
 * or NULL (not known, left, or no answer). */
static const char *
name_of(void *ctx, const char *member_no)
{
    namer_t *n = ctx;
    hb_wire_free(&n->reply);
    Hourbank__Envelope env;
    Hourbank__MemberQuery q;
    hb_wire_envelope_init(&env, 0);
    hourbank__member_query__init(&q);
    q.member_no = (char *) (uintptr_t) member_no;
    env.body_case = HOURBANK__ENVELOPE__BODY_MEMBER_QUERY;
    env.member_query = &q;
    char msg[HB_MESSAGE_BYTES_MAX];
    if (hb_console_call(n->c, &env, false, &n->reply, msg, sizeof msg) != HB_CONSOLE_OK)
        return NULL;
    const Hourbank__Envelope *r = n->reply;
    if (r->body_case != HOURBANK__ENVELOPE__BODY_MEMBER_REPLY || r->member_reply->n_members == 0 ||
        r->member_reply->members[0]->left || !r->member_reply->members[0]->name[0])
        return NULL;
    return r->member_reply->members[0]->name;
}

/* Who pays for a service, as the station foresees it. */
static void
payer(hb_web_req_t *req, namer_t *n, const Hourbank__SaveReply *r)
{
    hb_web_html(req, "<p id=\"payer\"><strong>%s</strong> ", _("Who pays:"));
    const char *name = r->payer && r->payer[0] && strcmp(r->payer, PAYER_GUARANTEE) != 0 ? name_of(n, r->payer) : NULL;
    if (r->payer && strcmp(r->payer, PAYER_GUARANTEE) == 0)
        hb_web_html(req, "%s", _("the guarantee fund (the district's rules say so for this care)"));
    else if (name)
        hb_web_html(req, _("the recipient, %s (%s)"), name, r->payer);
    else if (r->payer && r->payer[0])
        hb_web_html(req, _("the recipient, %s"), r->payer);
    else
        hb_web_html(req, "%s", _("the station cannot tell yet (it has no copy of the rules, or the recipient is not "
                                 "in its directory); central decides"));
    hb_web_raw(req, "</p>");
}

static void
cautions(hb_web_req_t *req, namer_t *n, const Hourbank__SaveReply *r)
{
    if (r->n_cautions == 0)
        return;
    char why[HB_MESSAGE_BYTES_MAX * 2];
    hb_web_html(req, "<div id=\"cautions\"><p>%s</p><ul>", _("Central will decide later:"));
    for (size_t i = 0; i < r->n_cautions; i++) {
        const Hourbank__Caution *k = r->cautions[i];
        hb_web_html(req, "<li>%s</li>",
                    hb_cli_result_render(why, sizeof why, (int) k->code, k->params, k->n_params, NULL, name_of, n));
    }
    hb_web_raw(req, "</ul></div>");
}

void
hb_console_save_checked(hb_console_t *c, hb_web_req_t *req, const Hourbank__Op *op, const Hourbank__SaveReply *r)
{
    hb_assert(c && req && op && r);
    namer_t n = {.c = c};
    hb_web_html(req, "<div id=\"checked\" class=\"checked\" role=\"status\"><p>%s</p>",
                _("Checked: the station would save this. Nothing is saved yet."));
    if (op->kind_case == HOURBANK__OP__KIND_SERVICE)
        payer(req, &n, r);
    cautions(req, &n, r);
    hb_web_raw(req, "</div>");
    hb_wire_free(&n.reply);
}

void
hb_console_save_done(hb_console_t *c, hb_web_req_t *req, const Hourbank__Op *op, const Hourbank__SaveReply *r)
{
    hb_assert(c && req && op && r);
    namer_t n = {.c = c};
    char ref[HB_CLI_FORMAT_BYTES];
    hb_cli_format_op_ref(ref, sizeof ref, r->station_id, r->seq);
    hb_web_html(req, "<div id=\"saved\" role=\"status\"><p>%s ",
                r->repeated ? _("Already saved (this form was sent before), as") : _("Saved, as"));
    hb_web_html(req, "<strong id=\"saved-ref\" class=\"number\">%s</strong>. %s</p>", ref,
                _("It is kept on this computer and sent to central by itself."));
    if (op->kind_case == HOURBANK__OP__KIND_SERVICE && !r->repeated)  /* a repeat says nothing of the payer */
        payer(req, &n, r);
    cautions(req, &n, r);
    hb_web_raw(req, "</div>");
    hb_wire_free(&n.reply);
}

void
hb_console_form_read(hb_web_req_t *req, hb_console_form_t *f, const char *const *names, int n)
{
    hb_assert(n <= HB_CONSOLE_FORM_FIELDS_MAX);
    memset(f, 0, sizeof *f);
    for (int i = 0; i < n; i++)
        f->value[i] = hb_web_param(req, names[i]);
    hb_console_save_request_id(req, f->request_id);
}

const char *
hb_console_form_err(const hb_console_form_t *f, int i)
{
    return f->error[i][0] ? f->error[i] : NULL;
}
