/* console.h - hourbank-console, the station's web page for operators.
 *
 * A program of its own: it holds no ledger state and never opens the
 * outbox. Every page asks hourbank-station over its local API (the same
 * socket and messages as the `hourbank` CLI, client/shared/cli_conn.h), so
 * a crash here cannot touch a saved operation. Pages are built on the web
 * server of common/web/ (sessions, CSRF, escaping, headers); one page =
 * one file console_<page>.c with one hb_console_page_fn, listed in the
 * route table of console_router.c.
 *
 * Threads: libmicrohttpd's one polling thread runs every page, one at a
 * time; the main thread only waits for signals.
 */
#ifndef HB_CONSOLE_H
#define HB_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli_conn.h"
#include "hb_config.h"
#include "hb_limits.h"
#include "hb_web.h"
#include "hourbank.pb-c.h"

typedef struct {
    const hb_station_conf_t *conf;   /* borrowed */
    hb_cli_conn_t *station;          /* the station's local API */
    int timeout_ms;                  /* one station request */
    char zone[HB_TIME_ZONE_BYTES_MAX + 1];  /* the district's, once the station knows it */
    /* the request being answered */
    Hourbank__Envelope *status;      /* QueueReply (counts only), NULL before asked or when not answered */
    bool status_asked;
    bool station_silent;             /* the station did not answer during this request: ask no more */
    int64_t now;                     /* Unix seconds at the start of the request */
} hb_console_t;

/* A page: rest is the path after the route's prefix ("" for an exact
 * route), e.g. the member number of /member/NUMBER. */
typedef void (*hb_console_page_fn)(hb_console_t *c, hb_web_req_t *req, const char *rest);

/* ---- console_router.c ---- */
/* hb_web_handler_fn: signs in, routes, answers 404. */
void hb_console_handle(void *arg, hb_web_req_t *req);

/* ---- console_station.c: talking to hourbank-station ---- */
typedef enum {
    HB_CONSOLE_OK = 0,        /* a reply: the body asked for, or an ErrorReply */
    HB_CONSOLE_NO_STATION,    /* the station did not answer (not running, busy): msg says so */
} hb_console_status_t;
/* Sends req (borrowed; its correlation id is set) and waits for the reply
 * (*reply: caller owns, hb_wire_free). saves: true for a SaveRequest with
 * a request id, which may be sent again safely. */
hb_console_status_t hb_console_call(hb_console_t *c, Hourbank__Envelope *req, bool resend,
                                    Hourbank__Envelope **reply, char *msg, size_t msg_size);
/* The station's queue counts and link (one counts-only QueueQuery per
 * request, asked on first use); NULL when the station does not answer. */
const Hourbank__QueueReply *hb_console_queue_status(hb_console_t *c);
/* A fresh save request id (hex), for a form's hidden request_id field. */
void hb_console_request_id(char out[HB_REQUEST_ID_BYTES_MAX + 1]);
/* The text of an ErrorReply or a result, in the page's language. */
char *hb_console_result_text(char *buf, size_t size, int code, Hourbank__Param *const *params, size_t n,
                             const char *message);

/* ---- console_page.c: the frame of every page, and forms ---- */
/* <html> ... <main>: head, header (station, operator, language, sign
 * out), nav, the offline banner. title is shown and in <title>. */
void hb_console_page_begin(hb_console_t *c, hb_web_req_t *req, const char *title);
void hb_console_page_end(hb_console_t *c, hb_web_req_t *req);
/* A page saying the station program does not answer (why: msg). */
void hb_console_page_no_station(hb_console_t *c, hb_web_req_t *req, const char *title, const char *msg);

/* A POST form to action with id, its CSRF field included. */
void hb_console_form_begin(hb_web_req_t *req, const char *action, const char *id);
void hb_console_form_end(hb_web_req_t *req);

/* One labelled input. name is also the id; value "" or NULL = empty;
 * error NULL = none (else shown right after it, id err-NAME). */
typedef struct {
    const char *name;
    const char *label;     /* translated */
    const char *type;      /* "text" (NULL), "password", "number", "date", "datetime-local", "tel" */
    const char *value;
    const char *error;
    const char *hint;      /* translated, under the label; NULL = none */
    bool required;
    const char *autocomplete;  /* NULL = "off" */
    const char *inputmode;     /* NULL = none; "numeric" for PINs and years */
} hb_console_input_t;
void hb_console_input(hb_web_req_t *req, const hb_console_input_t *in);
/* A multi-line text (notes, reasons). */
void hb_console_textarea(hb_web_req_t *req, const hb_console_input_t *in);

typedef struct {
    const char *value;
    const char *label;     /* translated */
} hb_console_option_t;
void hb_console_select(hb_web_req_t *req, const char *name, const char *label, const hb_console_option_t *opts,
                       size_t n, const char *selected, const char *error);
void hb_console_checkbox(hb_web_req_t *req, const char *name, const char *label, bool checked);
/* A problem not tied to one field (#form-error); NULL = none. */
void hb_console_form_error(hb_web_req_t *req, const char *text);
/* A button: id, the name/value it sends (name NULL = none), its text. */
void hb_console_button(hb_web_req_t *req, const char *id, const char *name, const char *value, const char *text);

/* Times and durations: hb_cli_format_time() (the district's zone, which
 * the console installs as TZ from the station's QueueReply) and
 * hb_cli_format_duration() of client/shared/cli_format.h. */

/* ---- pages ---- */
void hb_console_page_signin(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_signout(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_lang(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_home(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_find(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_member(hb_console_t *c, hb_web_req_t *req, const char *rest);

#endif
