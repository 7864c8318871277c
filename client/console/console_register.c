/* console_register.c - /register: a new member; checked as the CLI's
 * `member add`, saved once per form (its request id). The station gives
 * the number at once, also offline: shown large, for the card. */
#include "console.h"
#include "cli_op.h"
#include "cli_parse.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define TM_YEAR_BASE 1900

enum { F_NAME, F_BIRTH_YEAR, F_ROLE, F_PHONE, F_FAMILY_OF, F_RELATION, F_COUNT };
static const char *const names[F_COUNT] = {"name", "birth_year", "role", "phone", "family_of", "relation"};

typedef struct {
    const char *value[F_COUNT];
    bool confirm_new;
    char error[F_COUNT][HB_MESSAGE_BYTES_MAX * 2];
    const char *form_error;
    char request_id[HB_REQUEST_ID_BYTES_MAX + 1];
} form_t;

static void
read_form(hb_web_req_t *req, form_t *f)
{
    memset(f, 0, sizeof *f);
    for (int i = 0; i < F_COUNT; i++)
        f->value[i] = hb_web_param(req, names[i]);
    f->confirm_new = hb_web_param(req, "confirm_new") != NULL;
    hb_console_save_request_id(req, f->request_id);
}

static const char *
err(const form_t *f, int i)
{
    return f->error[i][0] ? f->error[i] : NULL;
}

static void
page(hb_console_t *c, hb_web_req_t *req, const form_t *f, unsigned status)
{
    const hb_console_option_t roles[] = {
        {"volunteer", _("volunteer (gives services)")},
        {"elder", _("elder (receives services)")},
        {"both", _("both")},
    };
    if (status != 200)
        hb_web_status(req, status);
    hb_console_page_begin(c, req, _("Register a member"));
    hb_console_form_error(req, f->form_error);
    hb_console_form_begin(req, "/register", "register-form");
    hb_console_save_hidden(req, f->request_id);
    hb_console_input(req, &(hb_console_input_t){.name = "name", .label = _("Full name"), .value = f->value[F_NAME],
                                                .error = err(f, F_NAME), .required = true,
                                                .hint = _("as on the member card")});
    hb_console_input(req, &(hb_console_input_t){.name = "birth_year", .label = _("Year of birth"),
                                                .value = f->value[F_BIRTH_YEAR], .error = err(f, F_BIRTH_YEAR),
                                                .inputmode = "numeric",
                                                .hint = _("four digits, e.g. 1948 (optional)")});
    hb_console_select(req, "role", _("Role"), roles, sizeof roles / sizeof roles[0],
                      f->value[F_ROLE] ? f->value[F_ROLE] : "volunteer", err(f, F_ROLE));
    hb_console_input(req, &(hb_console_input_t){.name = "phone", .label = _("Phone"), .type = "tel",
                                                .value = f->value[F_PHONE], .error = err(f, F_PHONE),
                                                .hint = _("digits, +, - and spaces (optional)")});
    hb_console_input(req, &(hb_console_input_t){.name = "family_of", .label = _("A family member (member number)"),
                                                .value = f->value[F_FAMILY_OF], .error = err(f, F_FAMILY_OF),
                                                .hint = _("a registered member of the family: gifts go within "
                                                          "families (optional)")});
    hb_console_input(req, &(hb_console_input_t){.name = "relation", .label = _("What that member is to the new one"),
                                                .value = f->value[F_RELATION], .error = err(f, F_RELATION),
                                                .hint = _("e.g. daughter, grandmother (optional)")});
    hb_console_checkbox(req, "confirm_new", _("I have checked: this is another person than a member of the same name "
                                              "and year of birth"),
                        f->confirm_new);
    hb_console_button(req, "submit", NULL, NULL, _("Register"));
    hb_console_form_end(req);
    hb_console_page_end(c, req);
}

static int
this_year(void)
{
    time_t now = time(NULL);
    struct tm tm;
    return localtime_r(&now, &tm) ? tm.tm_year + TM_YEAR_BASE : HB_BIRTH_YEAR_MAX;
}

static bool
given(const char *text)
{
    return text && text[strspn(text, " ")] != '\0';
}

static bool
check(form_t *f, hb_cli_op_t *o)
{
    char family[HB_MEMBER_NO_BUF_BYTES];
    uint32_t year = 0;
    int role = 0;
    const char *const *v = f->value;
    bool ok = !hb_console_field_text(N_("the name"), v[F_NAME], HB_NAME_CHARS_MAX, true, f->error[F_NAME],
                                     sizeof f->error[F_NAME]);
    if (given(v[F_BIRTH_YEAR]) &&
        hb_cli_parse_birth_year(v[F_BIRTH_YEAR], this_year(), &year, f->error[F_BIRTH_YEAR], sizeof f->error[0]) != 0)
        ok = false;
    if (hb_cli_parse_role(v[F_ROLE] ? v[F_ROLE] : "", &role, f->error[F_ROLE], sizeof f->error[0]) != 0)
        ok = false;
    if (given(v[F_PHONE]) && hb_cli_parse_phone(v[F_PHONE], f->error[F_PHONE], sizeof f->error[0]) != 0)
        ok = false;
    ok &= !hb_console_field_member(v[F_FAMILY_OF], false, family, f->error[F_FAMILY_OF], sizeof f->error[0]);
    if (given(v[F_RELATION]) &&
        hb_console_field_text(N_("the relation"), v[F_RELATION], HB_RELATION_CHARS_MAX, true, f->error[F_RELATION],
                              sizeof f->error[0]))
        ok = false;
    if (ok && given(v[F_RELATION]) && !family[0]) {
        snprintf(f->error[F_RELATION], sizeof f->error[0], "%s",
                 _("the relation says what the family member is to the new one: give the family member's number "
                   "too"));
        ok = false;
    }
    if (ok)
        hb_cli_op_register(o, v[F_NAME], role, year, given(v[F_PHONE]) ? v[F_PHONE] : "", family,
                           given(v[F_RELATION]) ? v[F_RELATION] : "", (int64_t) time(NULL));
    return ok;
}

static void
done(hb_console_t *c, hb_web_req_t *req, const hb_cli_op_t *o, const Hourbank__SaveReply *r)
{
    hb_console_page_begin(c, req, _("Member registered"));
    hb_web_html(req, "<p>%s</p>", _("The new member number, to write on the card:"));
    hb_web_html(req, "<p id=\"new-member-no\">%s</p>", r->member_no);
    hb_web_html(req, "<p id=\"new-member-name\" class=\"big\">%s</p>", o->kind.reg.name);
    hb_console_save_done(c, req, &o->op, r);
    hb_web_html(req, "<p><a id=\"new-member-link\" href=\"/member/%s\">%s</a> · ", r->member_no,
                _("the member's page"));
    hb_web_html(req, "<a id=\"again\" href=\"/register\">%s</a></p>", _("Register another member"));
    hb_console_page_end(c, req);
}

static void
post(hb_console_t *c, hb_web_req_t *req)
{
    form_t f;
    read_form(req, &f);
    hb_cli_op_t o;
    if (!check(&f, &o)) {
        page(c, req, &f, 422);
        return;
    }
    char msg[HB_MESSAGE_BYTES_MAX * 2];
    Hourbank__Envelope *reply = NULL;
    hb_console_save_t s = {.op = &o.op, .request_id = f.request_id, .confirm_new = f.confirm_new};
    hb_console_status_t st = hb_console_save(c, req, &s, &reply, msg, sizeof msg);
    if (st != HB_CONSOLE_OK) {
        f.form_error = msg;
        page(c, req, &f, st == HB_CONSOLE_NO_STATION ? 503 : 422);
        return;
    }
    if (reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR) {
        const hb_console_member_field_t fields[] = {{"family_of", o.kind.reg.family_of}};
        if (hb_console_save_refusal(reply->error, fields, 1, msg, sizeof msg) == 0)
            snprintf(f.error[F_FAMILY_OF], sizeof f.error[0], "%s", msg);
        else if (reply->error->code == HOURBANK__RESULT__POSSIBLE_DUPLICATE) {
            snprintf(f.error[F_NAME], sizeof f.error[0], "%s", msg);
            f.form_error = _("A member of the same name and year of birth is registered already. If it is another "
                             "person, tick the box at the end and register again.");
        }
        else
            f.form_error = msg;
        hb_wire_free(&reply);
        page(c, req, &f, 422);
        return;
    }
    if (!reply->save_reply->member_no || !reply->save_reply->member_no[0]) {
        snprintf(msg, sizeof msg, "%s", _("the station saved the registration but did not say the member number: "
                                          "look in the queue"));
        f.form_error = msg;
        page(c, req, &f, 502);
    } else {
        done(c, req, &o, reply->save_reply);
    }
    hb_wire_free(&reply);
}

void
hb_console_page_register(hb_console_t *c, hb_web_req_t *req, const char *rest)
{
    (void) rest;
    if (hb_web_is_post(req)) {
        post(c, req);
        return;
    }
    form_t f;
    read_form(req, &f);
    page(c, req, &f, 200);
}
