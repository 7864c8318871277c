/* console_donate.c - /donate: a member gives hours to the pool; checked
 * as the CLI's `donate`, saved once per form (its request id). */
#include "console.h"
#include "cli_op.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum { F_MEMBER, F_DURATION, F_NOTE, F_COUNT };
static const char *const names[F_COUNT] = {"member", "duration", "note"};

typedef hb_console_form_t form_t;
_Static_assert(F_COUNT <= HB_CONSOLE_FORM_FIELDS_MAX, "the fields fit a form");

static void
page(hb_console_t *c, hb_web_req_t *req, const form_t *f, unsigned status)
{
    if (status != 200)
        hb_web_status(req, status);
    hb_console_page_begin(c, req, _("Donate hours"));
    hb_web_html(req, "<p class=\"lead\">%s</p>",
                _("The hours go from the member's account to the pool, for those who need care."));
    hb_console_form_error(req, f->form_error);
    hb_console_form_begin(req, "/donate", "donate-form");
    hb_console_save_hidden(req, f->request_id);
    hb_console_input(req, &(hb_console_input_t){.name = "member", .label = _("Member number"),
                                                .value = f->value[F_MEMBER], .error = hb_console_form_err(f, F_MEMBER),
                                                .required = true, .hint = _("who gives hours")});
    hb_console_input(req, &(hb_console_input_t){.name = "duration", .label = _("Hours"),
                                                .value = f->value[F_DURATION], .error = hb_console_form_err(f, F_DURATION),
                                                .required = true, .hint = _("e.g. 2h, 1h30m or 90m")});
    hb_console_textarea(req, &(hb_console_input_t){.name = "note", .label = _("Why (for the record)"),
                                                   .value = f->value[F_NOTE], .error = hb_console_form_err(f, F_NOTE),
                                                   .required = true});
    hb_console_button(req, "submit", NULL, NULL, _("Save the donation"));
    hb_console_form_end(req);
    hb_console_page_end(c, req);
}

static bool
check(form_t *f, hb_cli_op_t *o)
{
    char member[HB_MEMBER_NO_BUF_BYTES];
    int64_t minutes = 0;
    bool ok = !hb_console_field_member(f->value[F_MEMBER], true, member, f->error[F_MEMBER],
                                       sizeof f->error[F_MEMBER]);
    ok &= !hb_console_field_duration(f->value[F_DURATION], HB_GIFT_MINUTES_MAX, N_("one donation"), &minutes,
                                     f->error[F_DURATION], sizeof f->error[F_DURATION]);
    ok &= !hb_console_field_text(N_("the reason"), f->value[F_NOTE], HB_NOTE_CHARS_MAX, true, f->error[F_NOTE],
                                 sizeof f->error[F_NOTE]);
    if (ok)
        hb_cli_op_donation(o, member, minutes, f->value[F_NOTE], (int64_t) time(NULL));
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
        const hb_console_member_field_t fields[] = {{"member", o.kind.donation.member}};
        if (hb_console_save_refusal(reply->error, fields, 1, msg, sizeof msg) == 0)
            snprintf(f.error[F_MEMBER], sizeof f.error[F_MEMBER], "%s", msg);
        else
            f.form_error = msg;
        hb_wire_free(&reply);
        page(c, req, &f, 422);
        return;
    }
    hb_console_page_begin(c, req, _("Donate hours"));
    hb_console_save_done(c, req, &o.op, reply->save_reply);
    hb_web_html(req, "<p><a id=\"again\" href=\"/donate\">%s</a> · <a href=\"/member/%s\">%s</a></p>",
                _("Enter another donation"), o.kind.donation.member, _("the member's page"));
    hb_wire_free(&reply);
    hb_console_page_end(c, req);
}

void
hb_console_page_donate(hb_console_t *c, hb_web_req_t *req, const char *rest)
{
    (void) rest;
    if (hb_web_is_post(req)) {
        post(c, req);
        return;
    }
    form_t f;
    hb_console_form_read(req, &f, names, F_COUNT);  /* prefilled from the link (?member=NUMBER); a fresh request id */
    page(c, req, &f, 200);
}
