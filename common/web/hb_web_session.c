/* hb_web_session.c - sessions in memory: ids and CSRF tokens of 256
 * random bits, compared in constant time, expiry by idle time and age.
 * A restart of the program signs everyone out (nothing is written down). */
#include "hb_web_int.h"
#include "hb_assert.h"
#include "hb_clock.h"
#include "hb_log.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define MS_PER_S 1000

void
hb_web_session_token(char out[HB_WEB_TOKEN_HEX + 1])
{
    unsigned char raw[HB_WEB_TOKEN_BYTES];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, HB_WEB_TOKEN_HEX + 1, raw, sizeof raw);
}

static bool
token_equal(const char *a, const char *b)
{
    return strlen(a) == HB_WEB_TOKEN_HEX && strlen(b) == HB_WEB_TOKEN_HEX &&
           sodium_memcmp(a, b, HB_WEB_TOKEN_HEX) == 0;
}

/* A slot for a new session: a free one, else the longest idle. */
static hb_web_session_t *
slot(hb_web_t *web)
{
    hb_web_session_t *oldest = &web->sessions[0];
    for (size_t i = 0; i < HB_WEB_SESSIONS_MAX; i++) {
        hb_web_session_t *s = &web->sessions[i];
        if (!s->used)
            return s;
        if (s->last_seen < oldest->last_seen)
            oldest = s;
    }
    return oldest;
}

static void
fresh(hb_web_req_t *req, const char *lang, int64_t now)
{
    hb_web_session_t *s = slot(req->web);
    memset(s, 0, sizeof *s);
    s->used = true;
    hb_web_session_token(s->id);
    hb_web_session_token(s->csrf);
    snprintf(s->lang, sizeof s->lang, "%s", lang);
    s->last_seen = now;
    req->session = s;
    req->set_cookie = true;
}

/* Has this signed-in session run out of time? */
static bool
ended(const hb_web_conf_t *conf, const hb_web_session_t *s, int64_t now)
{
    return now - s->last_seen > conf->session_idle_s * MS_PER_S ||
           now - s->signed_in_at > conf->session_max_s * MS_PER_S;
}

void
hb_web_session_attach(hb_web_req_t *req, const char *id)
{
    hb_web_t *web = req->web;
    int64_t now = hb_clock_ms();
    hb_web_session_t *found = NULL;
    for (size_t i = 0; id && i < HB_WEB_SESSIONS_MAX; i++)
        if (web->sessions[i].used && token_equal(web->sessions[i].id, id))
            found = &web->sessions[i];
    if (!found) {
        fresh(req, web->conf.default_lang, now);
        return;
    }
    if (found->operator_name[0] && ended(&web->conf, found, now)) {
        hb_log_info("web session ended operator=\"%s\"", found->operator_name);
        char lang[HB_WEB_LANG_BYTES];
        snprintf(lang, sizeof lang, "%s", found->lang);
        memset(found, 0, sizeof *found);
        fresh(req, lang, now);
        req->expired = true;
        return;
    }
    if (!found->operator_name[0] && now - found->last_seen > web->conf.session_idle_s * MS_PER_S) {
        /* an anonymous session past its idle time: its CSRF token is stale too */
        memset(found, 0, sizeof *found);
        fresh(req, web->conf.default_lang, now);
        return;
    }
    found->last_seen = now;
    req->session = found;
}

const char *
hb_web_operator(const hb_web_req_t *req)
{
    return req->session->operator_name[0] ? req->session->operator_name : NULL;
}

bool
hb_web_expired(const hb_web_req_t *req)
{
    return req->expired;
}

const char *
hb_web_lang(const hb_web_req_t *req)
{
    return req->session->lang;
}

const char *
hb_web_csrf(const hb_web_req_t *req)
{
    return req->session->csrf;
}

bool
hb_web_csrf_ok(const hb_web_req_t *req, const char *token)
{
    return token && token_equal(req->session->csrf, token);
}

/* A new id and token for the same browser (sign-in, sign-out). */
static void
renew(hb_web_req_t *req)
{
    hb_web_session_token(req->session->id);
    hb_web_session_token(req->session->csrf);
    req->set_cookie = true;
}

void
hb_web_sign_in(hb_web_req_t *req, const char *operator_name, const char *lang)
{
    hb_assert(operator_name && operator_name[0] && lang);
    hb_web_session_t *s = req->session;
    renew(req);
    snprintf(s->operator_name, sizeof s->operator_name, "%s", operator_name);
    snprintf(s->lang, sizeof s->lang, "%s", lang);
    s->signed_in_at = s->last_seen = hb_clock_ms();
}

void
hb_web_sign_out(hb_web_req_t *req)
{
    renew(req);
    req->session->operator_name[0] = '\0';
    req->session->signed_in_at = 0;
}

void
hb_web_set_lang(hb_web_req_t *req, const char *lang)
{
    hb_assert(lang);
    snprintf(req->session->lang, sizeof req->session->lang, "%s", lang);
}
