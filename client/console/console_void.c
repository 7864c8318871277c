/* console_void.c - /void: cancels a saved operation by its reference
 * STATION:SEQ, with a reason; checked as the CLI's `void`, saved once per
 * form (its request id). Central posts a reversing transfer. */
#include "console.h"
#include "cli_op.h"
#include "cli_parse.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum { F_REF, F_REASON, F_COUNT };
static const char *const names[F_COUNT] = {"ref", "reason"};

typedef hb_console_form_t form_t;
_Static_assert(F_COUNT <= HB_CONSOLE_FORM_FIELDS_MAX, "the fields fit a form");

static void
page(hb_console_t *c, hb_web_req_t *req, const form_t *f, unsigned status)
{
    if (status != 200)
        hb_web_status(req, status);
    hb_console_page_begin(c, req, _("Void an operation"));
    hb_web_html(req, "<p class=\"lead\">%s</p>",
                _("Nothing is erased: central posts a reversing entry that names the operation and the reason."));
    hb_console_form_error(req, f->form_error);
    hb_console_form_begin(req, "/void", "void-form");
    hb_console_save_hidden(req, f->request_id);
    hb_console_input(req, &(hb_console_input_t){.name = "ref", .label = _("Operation reference"),
                                                .value = f->value[F_REF], .error = hb_console_form_err(f, F_REF), .required = true,
                                                .hint = _("as shown when it was saved, e.g. 1:42 (station 1, "
                                                          "number 42)")});
    hb_console_textarea(req, &(hb_console_input_t){.name = "reason", .label = _("Why it is cancelled"),
                                                   .value = f->value[F_REASON], .error = hb_console_form_err(f, F_REASON),
                                                   .required = true});
    hb_console_button(req, "submit", NULL, NULL, _("Void it"));
    hb_console_form_end(req);
    hb_console_page_end(c, req);
}

static bool
check(form_t *f, hb_cli_op_t *o)
{
    uint32_t station_id = 0;
    uint64_t seq = 0;
    bool ok = true;
    if (!f->value[F_REF] || !f->value[F_REF][0]) {
        snprintf(f->error[F_REF], sizeof f->error[F_REF], "%s", _("type the operation's reference, e.g. 1:42"));
        ok = false;
    } else if (hb_cli_parse_op_ref(f->value[F_REF], &station_id, &seq, f->error[F_REF], sizeof f->error[F_REF]) != 0) {
        ok = false;
    }
    ok &= !hb_console_field_text(N_("the reason"), f->value[F_REASON], HB_NOTE_CHARS_MAX, true, f->error[F_REASON],
                                 sizeof f->error[F_REASON]);
    if (ok)
        hb_cli_op_void(o, station_id, seq, f->value[F_REASON], (int64_t) time(NULL));
    return ok;
}

static void
post(hb_console_t *c, hb_web_req_t *req)
{
    form_t f;
    hb_console_form_read(req, &f, names, F_COUNT);
    hb_cli_op_t o;
    if (!check(&f, &o)) {
        page(c, req, &f, 422);
        return;
    }
    char msg[HB_MESSAGE_BYTES_MAX * 2];
    Hourbank__Envelope *reply = NULL;
    hb_console_save_t s = {.op = &o.op, .request_id = f.request_id};
    hb_console_status_t st = hb_console_save(c, req, &s, &reply, msg, sizeof msg);
    if (st != HB_CONSOLE_OK) {
        f.form_error = msg;
        page(c, req, &f, st == HB_CONSOLE_NO_STATION ? 503 : 422);
        return;
    }
    if (reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR) {
        hb_console_save_refusal(reply->error, NULL, 0, msg, sizeof msg);
        snprintf(f.error[F_REF], sizeof f.error[F_REF], "%s", msg);  /* a refused void concerns its target */
        hb_wire_free(&reply);
        page(c, req, &f, 422);
        return;
    }
    hb_console_page_begin(c, req, _("Void an operation"));
    hb_console_save_done(c, req, &o.op, reply->save_reply);
    hb_web_html(req, "<p><a id=\"again\" href=\"/void\">%s</a> · <a href=\"/queue\">%s</a></p>",
                _("Void another operation"), _("the queue"));
    hb_wire_free(&reply);
    hb_console_page_end(c, req);
}

void
hb_console_page_void(hb_console_t *c, hb_web_req_t *req, const char *rest)
{
    (void) rest;
    if (hb_web_is_post(req)) {
        post(c, req);
        return;
    }
    form_t f;
    hb_console_form_read(req, &f, names, F_COUNT);
    page(c, req, &f, 200);
}
