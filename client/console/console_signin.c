/* console_signin.c - signing in (name and PIN, checked by the station,
 * which counts wrong PINs and locks an operator out for a growing time),
 * signing out, and the language buttons. */
#include "console.h"
#include "cli_parse.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_log.h"
#include "hb_wire.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define LANG_ZH "zh_CN"
#define LANG_EN "en"

static bool
lang_known(const char *lang)
{
    return lang && (strcmp(lang, LANG_ZH) == 0 || strcmp(lang, LANG_EN) == 0);
}

static void
signin_form(hb_console_t *c, hb_web_req_t *req, const char *name, const char *error, const char *name_error,
            const char *pin_error)
{
    hb_console_page_begin(c, req, _("Sign in"));
    if (hb_web_param(req, "ended") && !error)
        hb_web_html(req, "<p id=\"notice\" class=\"notice\">%s</p>",
                    _("You were signed out after a while without use. Please sign in again."));
    hb_console_form_error(req, error);
    hb_console_form_begin(req, "/signin", "signin");
    hb_console_input(req, &(hb_console_input_t){.name = "operator", .label = _("Your name"), .value = name,
                                                .error = name_error, .required = true, .autocomplete = "username"});
    hb_console_input(req, &(hb_console_input_t){.name = "pin", .label = _("Your PIN"), .type = "password",
                                                .error = pin_error, .required = true, .inputmode = "numeric",
                                                .autocomplete = "current-password"});
    hb_console_button(req, "signin-submit", NULL, NULL, _("Sign in"));
    hb_console_form_end(req);
    hb_console_page_end(c, req);
}

/* Asks the station to check name and pin. 0 = signed in (lang set), else
 * a sentence in error. */
static int
check(hb_console_t *c, const char *name, char *pin, char lang[HB_WEB_LANG_BYTES], char *error, size_t size)
{
    Hourbank__Envelope env, *reply = NULL;
    Hourbank__OperatorRequest q;
    hb_wire_envelope_init(&env, 0);
    hourbank__operator_request__init(&q);
    q.action = (char *) (uintptr_t) "sign_in";
    q.name = (char *) (uintptr_t) name;
    q.pin = pin;
    env.body_case = HOURBANK__ENVELOPE__BODY_OPERATOR_REQUEST;
    env.operator_request = &q;
    if (hb_console_call(c, &env, false, &reply, error, size) != HB_CONSOLE_OK)
        return -1;
    int rc = -1;
    if (reply->body_case == HOURBANK__ENVELOPE__BODY_OPERATORS_REPLY &&
        reply->operators_reply->n_operators == 1) {
        const char *l = reply->operators_reply->operators[0]->language;  /* "" = the station's */
        snprintf(lang, HB_WEB_LANG_BYTES, "%s", lang_known(l) ? l : c->conf->language);
        rc = 0;
    } else if (reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR) {
        const Hourbank__ErrorReply *e = reply->error;
        hb_console_result_text(error, size, e->code, e->params, e->n_params, e->message);
    } else {
        snprintf(error, size, "%s", _("the station gave an answer the console does not understand"));
    }
    hb_wire_free(&reply);
    return rc;
}

static void
signin_post(hb_console_t *c, hb_web_req_t *req)
{
    const char *name = hb_web_param(req, "operator");
    const char *pin_in = hb_web_param(req, "pin");
    char error[HB_MESSAGE_BYTES_MAX * 2];
    if (!name || !name[0] || !pin_in || !pin_in[0]) {
        signin_form(c, req, name, NULL, !name || !name[0] ? _("type your name as the station knows it") : NULL,
                    !pin_in || !pin_in[0] ? _("type your PIN") : NULL);
        return;
    }
    char pin_error[HB_MESSAGE_BYTES_MAX];
    if (hb_cli_parse_pin(pin_in, pin_error, sizeof pin_error) != 0) {
        /* checked here as the CLI checks it: the station would refuse the
         * message itself, and a typo is not a wrong PIN */
        signin_form(c, req, name, NULL, NULL, pin_error);
        return;
    }
    char pin[HB_PIN_DIGITS_MAX + 2];
    snprintf(pin, sizeof pin, "%s", pin_in);
    char lang[HB_WEB_LANG_BYTES];
    int rc = check(c, name, pin, lang, error, sizeof error);
    sodium_memzero(pin, sizeof pin);
    if (rc != 0) {
        hb_web_status(req, 403);
        signin_form(c, req, name, error, NULL, NULL);
        return;
    }
    hb_web_sign_in(req, name, lang);
    (void) hb_i18n_use(lang);
    hb_web_redirect(req, "/");
}

void
hb_console_page_signin(hb_console_t *c, hb_web_req_t *req, const char *rest)
{
    (void) rest;
    if (hb_web_is_post(req))
        signin_post(c, req);
    else if (hb_web_operator(req))
        hb_web_redirect(req, "/");
    else
        signin_form(c, req, NULL, NULL, NULL, NULL);
}

void
hb_console_page_signout(hb_console_t *c, hb_web_req_t *req, const char *rest)
{
    (void) c, (void) rest;
    if (hb_web_is_post(req))
        hb_web_sign_out(req);
    hb_web_redirect(req, "/signin");
}

/* Keeps the operator's choice at the station, for the next sign-in. */
static void
remember(hb_console_t *c, const char *name, const char *lang)
{
    Hourbank__Envelope env, *reply = NULL;
    Hourbank__OperatorRequest q;
    hb_wire_envelope_init(&env, 0);
    hourbank__operator_request__init(&q);
    q.action = (char *) (uintptr_t) "language";
    q.name = (char *) (uintptr_t) name;
    q.language = (char *) (uintptr_t) lang;
    env.body_case = HOURBANK__ENVELOPE__BODY_OPERATOR_REQUEST;
    env.operator_request = &q;
    char msg[HB_MESSAGE_BYTES_MAX];
    if (hb_console_call(c, &env, false, &reply, msg, sizeof msg) == HB_CONSOLE_OK &&
        reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR)
        hb_log_warn("console: language of operator \"%s\" not kept: %s", name, reply->error->message);
    hb_wire_free(&reply);
}

void
hb_console_page_lang(hb_console_t *c, hb_web_req_t *req, const char *rest)
{
    (void) rest;
    const char *lang = hb_web_param(req, "lang");
    const char *back = hb_web_param(req, "back");
    if (hb_web_is_post(req) && lang_known(lang)) {
        hb_web_set_lang(req, lang);
        if (hb_web_operator(req))
            remember(c, hb_web_operator(req), lang);
    }
    /* back only to a page of this console: "/x", never "//host" */
    bool local = back && back[0] == '/' && back[1] != '/' && back[1] != '\\' && !strpbrk(back, "\r\n");
    hb_web_redirect(req, local ? back : "/");
}
