/* hb_web.h - the small web server under the station console (and, later,
 * central's dashboard): HTTP on libmicrohttpd, sessions, CSRF, the Host
 * check, security headers, form decoding, escaping and embedded assets.
 *
 * One thread: libmicrohttpd's own polling thread calls the program's one
 * handler for every request, one at a time. The handler reads the request
 * (hb_web_param, the session) and writes the page with hb_web_html() and
 * hb_web_raw(); the library sends it with the headers every page carries:
 *   Content-Security-Policy: default-src 'none'; style-src 'self';
 *     img-src 'self' data:; form-action 'self'; frame-ancestors 'none';
 *     base-uri 'none'   (no inline script or style, nothing from elsewhere)
 *   X-Content-Type-Options: nosniff, Referrer-Policy: same-origin,
 *   Cache-Control: no-store, X-Frame-Options: DENY.
 *
 * Before the handler sees a request the library has refused
 *   - a Host header that is missing or not in the allowed names (400),
 *   - a body over body_bytes_max (413), a POST body that is not
 *     application/x-www-form-urlencoded (415), more fields than
 *     HB_WEB_FIELDS_MAX (400),
 *   - a POST whose session is unknown or whose `csrf` field is not the
 *     session's token, or that the browser marks cross-site (Origin not
 *     this Host, Sec-Fetch-Site cross-site) (403),
 * and answered GET /assets/NAME from the embedded assets.
 *
 * Sessions: every browser gets one on its first request (a cookie
 * `hb_session`, 256 random bits, HttpOnly, SameSite=Strict, Path=/), with
 * its own CSRF token. Signing in or out gives the browser a new id (no
 * fixation). A signed-in session ends after idle_s without a request or
 * max_s after sign-in, whichever comes first: it then becomes anonymous
 * again and hb_web_expired() says so once.
 */
#ifndef HB_WEB_H
#define HB_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_web_limits.h"

typedef struct hb_web hb_web_t;
typedef struct hb_web_req hb_web_req_t;

/* A file served at /assets/<name>, embedded in the binary. */
typedef struct {
    const char *name;   /* e.g. "console.css" */
    const char *type;   /* Content-Type, e.g. "text/css; charset=utf-8" */
    const unsigned char *data;
    size_t size;
} hb_web_asset_t;

/* Called for every request the library did not answer itself. */
typedef void (*hb_web_handler_fn)(void *arg, hb_web_req_t *req);

typedef struct {
    const char *listen;                 /* "127.0.0.1:8080" or "[::1]:8080" */
    const char *const *allowed_hosts;   /* Host names (no port) answered; borrowed */
    size_t n_allowed_hosts;
    int64_t session_idle_s;             /* >= 1 */
    int64_t session_max_s;              /* >= 1 */
    size_t body_bytes_max;              /* largest request body accepted */
    const char *default_lang;           /* "zh_CN" or "en": a new session's language */
    const char *stylesheet;             /* the library's own pages link it, e.g. "/assets/console.css"; NULL = none */
    const hb_web_asset_t *assets;       /* borrowed */
    size_t n_assets;
    hb_web_handler_fn handler;
    void *arg;
} hb_web_conf_t;

/* Starts serving (conf and what it points to must outlive the server).
 * Returns NULL with the reason in msg (e.g. the address is in use). */
hb_web_t *hb_web_start(const hb_web_conf_t *conf, char *msg, size_t msg_size);
void hb_web_stop(hb_web_t **self_p);
/* The port actually bound (useful with port 0). */
unsigned hb_web_port(const hb_web_t *self);

/* ---- the request ---- */
bool hb_web_is_post(const hb_web_req_t *req);
/* The path without the query, e.g. "/member/GL01-000001-3"; decoded. */
const char *hb_web_path(const hb_web_req_t *req);
/* A form field (POST) or query parameter (GET), or NULL when absent.
 * The value is valid UTF-8 without NUL (else the field counts as absent),
 * borrowed until the handler returns. */
const char *hb_web_param(const hb_web_req_t *req, const char *name);

/* ---- the session ---- */
/* The signed-in operator, or NULL. */
const char *hb_web_operator(const hb_web_req_t *req);
/* True once, on the first request after a signed-in session ended. */
bool hb_web_expired(const hb_web_req_t *req);
/* The session's language ("zh_CN" or "en"), already in use by _(). */
const char *hb_web_lang(const hb_web_req_t *req);
void hb_web_set_lang(hb_web_req_t *req, const char *lang);
/* The CSRF token to put into every POST form (hb_web_csrf_field does). */
const char *hb_web_csrf(const hb_web_req_t *req);
/* Signs operator in (copied) with lang, under a new session id. */
void hb_web_sign_in(hb_web_req_t *req, const char *operator_name, const char *lang);
/* Signs out: a new anonymous session. */
void hb_web_sign_out(hb_web_req_t *req);

/* ---- the answer ---- */
/* Status of the page written (default 200). */
void hb_web_status(hb_web_req_t *req, unsigned status);
/* Answers 303 See Other to location (a path of this site); nothing else
 * written is sent. */
void hb_web_redirect(hb_web_req_t *req, const char *location);
/* Appends html, trusted markup written by the program (literals). */
void hb_web_raw(hb_web_req_t *req, const char *html);
/* printf into the page, every %s argument HTML-escaped: the one place
 * where text from people, the station or the catalog enters a page.
 * Conversions: %s %d %i %u %x %c with l, ll, z, j modifiers and PRId64
 * and friends; %%. A NULL %s writes nothing. */
void hb_web_html(hb_web_req_t *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* <input type="hidden" name="csrf" value="..."> */
void hb_web_csrf_field(hb_web_req_t *req);

/* Escapes text for HTML (element content and quoted attributes) into buf;
 * false when it did not fit (buf then holds a cut, still valid, prefix). */
bool hb_web_escape(char *buf, size_t size, const char *text);

#endif
