/* console_record.c - /record: a service one member gave another. "Check"
 * sends the SaveRequest as a dry run and shows who would pay (#payer) and
 * what central will decide (#cautions) with the form kept and a Save
 * button; "Save" stores it once per form (its request id). Checked as the
 * CLI's `record`; the categories are the station's, shown as it gives them. */
#include "console.h"
#include "cli.h"
#include "cli_format.h"
#include "cli_op.h"
#include "cli_parse.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The 'T' between date and time in a datetime-local field's value. */
#define DATE_CHARS 10

enum { F_PROVIDER, F_RECIPIENT, F_CATEGORY, F_DURATION, F_OCCURRED, F_NOTE, F_COUNT };
static const char *const names[F_COUNT] = {"provider", "recipient", "category", "duration", "occurred", "note"};

typedef struct {
    const char *value[F_COUNT];
    char error[F_COUNT][HB_MESSAGE_BYTES_MAX * 2];
    const char *form_error;
    char request_id[HB_REQUEST_ID_BYTES_MAX + 1];
    char now[HB_CLI_FORMAT_BYTES];        /* the default of occurred */
    Hourbank__Envelope *categories;       /* the station's CategoriesReply, or NULL */
} form_t;

static Hourbank__Envelope *
ask_categories(hb_console_t *c)
{
    Hourbank__Envelope env, *reply = NULL;
    Hourbank__CategoriesQuery q;
    hb_wire_envelope_init(&env, 0);
    hourbank__categories_query__init(&q);
    env.body_case = HOURBANK__ENVELOPE__BODY_CATEGORIES_QUERY;
    env.categories_query = &q;
    char msg[HB_MESSAGE_BYTES_MAX];
    if (hb_console_call(c, &env, false, &reply, msg, sizeof msg) != HB_CONSOLE_OK)
        return NULL;
    if (reply->body_case != HOURBANK__ENVELOPE__BODY_CATEGORIES_REPLY || reply->categories_reply->n_categories == 0)
        hb_wire_free(&reply);
    return reply;
}

static void
read_form(hb_console_t *c, hb_web_req_t *req, form_t *f)
{
    memset(f, 0, sizeof *f);
    for (int i = 0; i < F_COUNT; i++)
        f->value[i] = hb_web_param(req, names[i]);
    hb_console_save_request_id(req, f->request_id);
    (void) hb_console_queue_status(c);  /* the district's zone, for now and for occurred */
    hb_cli_format_time(f->now, sizeof f->now, c->now);
    if (strlen(f->now) > DATE_CHARS && f->now[DATE_CHARS] == ' ')
        f->now[DATE_CHARS] = 'T';
    if (!f->value[F_OCCURRED])
        f->value[F_OCCURRED] = f->now;
    f->categories = ask_categories(c);
}

static const char *
err(const form_t *f, int i)
{
    return f->error[i][0] ? f->error[i] : NULL;
}

/* The station's categories as a select; a text field when it gave none. */
static void
category_field(hb_web_req_t *req, const form_t *f)
{
    if (!f->categories) {
        hb_console_input(req, &(hb_console_input_t){.name = "category", .label = _("Service"),
                                                    .value = f->value[F_CATEGORY], .error = err(f, F_CATEGORY),
                                                    .required = true,
                                                    .hint = _("the station does not list its categories now: type "
                                                              "the category's name")});
        return;
    }
    const Hourbank__CategoriesReply *r = f->categories->categories_reply;
    hb_console_option_t opts[HB_CATEGORIES_MAX];
    size_t n = 0;
    for (size_t i = 0; i < r->n_categories && n < HB_CATEGORIES_MAX; i++, n++) {
        opts[n].value = r->categories[i]->name;
        opts[n].label = r->categories[i]->description && r->categories[i]->description[0]
                            ? r->categories[i]->description : r->categories[i]->name;
    }
    hb_console_select(req, "category", _("Service"), opts, n, f->value[F_CATEGORY], err(f, F_CATEGORY));
}

static void
fields(hb_web_req_t *req, const form_t *f)
{
    hb_console_input(req, &(hb_console_input_t){.name = "provider", .label = _("Who helped (member number)"),
                                                .value = f->value[F_PROVIDER], .error = err(f, F_PROVIDER),
                                                .required = true, .hint = _("earns the hours")});
    hb_console_input(req, &(hb_console_input_t){.name = "recipient", .label = _("Who was helped (member number)"),
                                                .value = f->value[F_RECIPIENT], .error = err(f, F_RECIPIENT),
                                                .required = true});
    category_field(req, f);
    hb_console_input(req, &(hb_console_input_t){.name = "duration", .label = _("How long"),
                                                .value = f->value[F_DURATION], .error = err(f, F_DURATION),
                                                .required = true, .hint = _("e.g. 1h30m, 90m or 2h (at most 24h)")});
    hb_console_input(req, &(hb_console_input_t){.name = "occurred", .label = _("When"), .type = "datetime-local",
                                                .value = f->value[F_OCCURRED], .error = err(f, F_OCCURRED),
                                                .required = true, .hint = _("the district's local time")});
    hb_console_textarea(req, &(hb_console_input_t){.name = "note", .label = _("Note (optional)"),
                                                   .value = f->value[F_NOTE], .error = err(f, F_NOTE)});
}

/* The form; checked: a dry run's answer, shown before the Save button. */
static void
page(hb_console_t *c, hb_web_req_t *req, const form_t *f, unsigned status, const Hourbank__Op *op,
     const Hourbank__SaveReply *checked)
{
    if (status != 200)
        hb_web_status(req, status);
    hb_console_page_begin(c, req, _("Record a service"));
    hb_console_form_error(req, f->form_error);
    hb_console_form_begin(req, "/record", "record-form");
    hb_console_save_hidden(req, f->request_id);
    fields(req, f);
    if (checked)
        hb_console_save_checked(c, req, op, checked);
    hb_web_raw(req, "<div class=\"buttons\">");
    hb_console_button(req, "check", "action", "check", _("Check who pays"));
    if (checked)
        hb_console_button(req, "save", "action", "save", _("Save"));
    hb_web_raw(req, "</div>");
    hb_console_form_end(req);
    hb_console_page_end(c, req);
}

/* When it happened: the district's time, not in the future beyond the
 * clock skew central allows (as the CLI's --at). */
static bool
check_occurred(hb_console_t *c, form_t *f, int64_t *at)
{
    char *e = f->error[F_OCCURRED];
    size_t size = sizeof f->error[F_OCCURRED];
    const char *text = f->value[F_OCCURRED];
    int64_t as_utc = 0;
    if (!text || !text[0]) {
        snprintf(e, size, "%s", _("say when it happened: date and time"));
        return false;
    }
    if (!c->zone[0]) {  /* the zone is not known yet: what no zone changes */
        if (hb_cli_parse_moment_form(text, true, &as_utc, e, size) != 0)
            return false;
        *at = as_utc - HB_CLI_ZONE_OFFSET_S_MAX;
    } else if (hb_cli_parse_time(text, at, e, size) != 0) {
        return false;
    }
    if (*at > c->now + HB_CLOCK_SKEW_S_DEFAULT) {
        snprintf(e, size, _("%s is in the future: record services once they have happened"), text);
        return false;
    }
    return true;
}

static bool
check(hb_console_t *c, form_t *f, hb_cli_op_t *o)
{
    char provider[HB_MEMBER_NO_BUF_BYTES], recipient[HB_MEMBER_NO_BUF_BYTES], category[HB_CATEGORY_BYTES_MAX + 1];
    int64_t minutes = 0, at = 0;
    bool ok = !hb_console_field_member(f->value[F_PROVIDER], true, provider, f->error[F_PROVIDER], sizeof f->error[0]);
    ok &= !hb_console_field_member(f->value[F_RECIPIENT], true, recipient, f->error[F_RECIPIENT], sizeof f->error[0]);
    if (hb_cli_op_category(N_("the service"), f->value[F_CATEGORY] ? f->value[F_CATEGORY] : "", category,
                           f->error[F_CATEGORY], sizeof f->error[0]) != 0)
        ok = false;
    ok &= !hb_console_field_duration(f->value[F_DURATION], HB_RECORD_MINUTES_MAX, N_("one service record"), &minutes,
                                     f->error[F_DURATION], sizeof f->error[0]);
    ok &= check_occurred(c, f, &at);
    ok &= !hb_console_field_text(N_("the note"), f->value[F_NOTE], HB_NOTE_CHARS_MAX, false, f->error[F_NOTE],
                                 sizeof f->error[0]);
    if (ok && strcmp(provider, recipient) == 0) {
        snprintf(f->error[F_RECIPIENT], sizeof f->error[0],
                 _("the provider and the recipient are the same member (%s): a service is given to someone else"),
                 provider);
        ok = false;
    }
    if (ok)
        hb_cli_op_service(o, provider, recipient, minutes, category, f->value[F_NOTE], at);
    return ok;
}

/* A refusal next to the member it names, else above the form. */
static void
refused(form_t *f, const hb_cli_op_t *o, const Hourbank__ErrorReply *e, char *msg, size_t size)
{
    const hb_console_member_field_t members[] = {{"provider", o->kind.service.provider},
                                                 {"recipient", o->kind.service.recipient}};
    int at = hb_console_save_refusal(e, members, 2, msg, size);
    if (at >= 0)
        snprintf(f->error[at == 0 ? F_PROVIDER : F_RECIPIENT], sizeof f->error[0], "%s", msg);
    else
        f->form_error = msg;
}

static void
saved(hb_console_t *c, hb_web_req_t *req, const hb_cli_op_t *o, const Hourbank__SaveReply *r)
{
    hb_console_page_begin(c, req, _("Record a service"));
    hb_console_save_done(c, req, &o->op, r);
    hb_web_html(req, "<p><a id=\"again\" href=\"/record\">%s</a> · <a href=\"/member/%s\">%s</a></p>",
                _("Record another service"), o->kind.service.provider, _("the helper's page"));
    hb_console_page_end(c, req);
}

static void
post(hb_console_t *c, hb_web_req_t *req, form_t *f)
{
    const char *action = hb_web_param(req, "action");
    bool dry = !action || strcmp(action, "save") != 0;
    hb_cli_op_t o;
    if (!check(c, f, &o)) {
        page(c, req, f, 422, NULL, NULL);
        return;
    }
    char msg[HB_MESSAGE_BYTES_MAX * 2];
    Hourbank__Envelope *reply = NULL;
    hb_console_save_t s = {.op = &o.op, .request_id = f->request_id, .dry_run = dry};
    hb_console_status_t st = hb_console_save(c, req, &s, &reply, msg, sizeof msg);
    if (st != HB_CONSOLE_OK) {
        f->form_error = msg;
        page(c, req, f, st == HB_CONSOLE_NO_STATION ? 503 : 422, NULL, NULL);
    } else if (reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR) {
        refused(f, &o, reply->error, msg, sizeof msg);
        page(c, req, f, 422, NULL, NULL);
    } else if (dry) {
        page(c, req, f, 200, &o.op, reply->save_reply);
    } else {
        saved(c, req, &o, reply->save_reply);
    }
    hb_wire_free(&reply);
}

void
hb_console_page_record(hb_console_t *c, hb_web_req_t *req, const char *rest)
{
    (void) rest;
    form_t f;
    read_form(c, req, &f);  /* GET: prefilled from the link (?provider=NUMBER); a fresh request id */
    if (hb_web_is_post(req))
        post(c, req, &f);
    else
        page(c, req, &f, 200, NULL, NULL);
    hb_wire_free(&f.categories);
}
