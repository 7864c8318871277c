/* hb_web_int.h - what the files of common/web/ share inside. */
#ifndef HB_WEB_INT_H
#define HB_WEB_INT_H

#include "hb_web.h"

#include <microhttpd.h>
#include <stdarg.h>

typedef struct {
    char *data;
    size_t len, cap;
    bool failed;   /* out of memory or over HB_WEB_PAGE_BYTES_MAX: the page is not sent */
} hb_web_buf_t;

typedef struct {
    bool used;
    char id[HB_WEB_TOKEN_HEX + 1];
    char csrf[HB_WEB_TOKEN_HEX + 1];
    char operator_name[HB_WEB_NAME_BYTES];   /* "" = not signed in */
    char lang[HB_WEB_LANG_BYTES];
    int64_t signed_in_at;                    /* ms, hb_clock_ms() */
    int64_t last_seen;
} hb_web_session_t;

typedef struct {
    char *name;
    char *value;   /* NULL = present but not valid UTF-8 (counts as absent) */
} hb_web_field_t;

struct hb_web {
    hb_web_conf_t conf;
    struct MHD_Daemon *daemon;
    unsigned port;
    hb_web_session_t sessions[HB_WEB_SESSIONS_MAX];
};

struct hb_web_req {
    hb_web_t *web;
    struct MHD_Connection *conn;
    bool post;
    char path[HB_WEB_PATH_BYTES_MAX];
    hb_web_buf_t body;
    bool body_too_big;
    hb_web_field_t fields[HB_WEB_FIELDS_MAX];
    size_t n_fields;
    bool too_many_fields;
    hb_web_session_t *session;
    bool set_cookie;     /* the session is new or has a new id */
    bool expired;
    unsigned status;
    char *location;      /* a redirect */
    hb_web_buf_t out;
};

/* hb_web_buf.c */
void hb_web_buf_add(hb_web_buf_t *b, const char *data, size_t len);
void hb_web_buf_free(hb_web_buf_t *b);
void hb_web_buf_escaped(hb_web_buf_t *b, const char *text);
void hb_web_buf_vhtml(hb_web_buf_t *b, const char *fmt, va_list ap);
void hb_web_buf_html(hb_web_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* hb_web_session.c */
/* The session of the cookie value id (may be NULL), or a new one; sets
 * req->session, req->set_cookie, req->expired. */
void hb_web_session_attach(hb_web_req_t *req, const char *id);
/* A fresh random hex token. */
void hb_web_session_token(char out[HB_WEB_TOKEN_HEX + 1]);

/* True when token is the session's CSRF token (constant time). */
bool hb_web_csrf_ok(const hb_web_req_t *req, const char *token);

/* hb_web_form.c */
/* Decodes an application/x-www-form-urlencoded body into req->fields;
 * false when it is not well formed or has too many fields. */
bool hb_web_form_decode(hb_web_req_t *req, const char *body, size_t len);
/* Adds one decoded field (copied); false when there are too many. */
bool hb_web_form_add(hb_web_req_t *req, const char *name, const char *value);
void hb_web_form_free(hb_web_req_t *req);

#endif
