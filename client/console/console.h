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
#include "hb_memberno.h"
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
    HB_CONSOLE_INVALID,       /* hb_console_save: not sent (the op is invalid), or an answer not understood: msg */
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

/* ---- console_field.c: typed fields, by the CLI's rules (cli_parse.h) ---- */
/* Each returns NULL when the field is fine, else err (size bytes) holding
 * the problem in the page's language. */
/* A member number (normalized into out; "" when blank and not required). */
const char *hb_console_field_member(const char *text, bool required, char out[HB_MEMBER_NO_BUF_BYTES], char *err,
                                    size_t size);
/* A duration of 1..max minutes; what names the bound (marked N_()). */
const char *hb_console_field_duration(const char *text, int64_t max, const char *what, int64_t *minutes, char *err,
                                      size_t size);
/* Text people write (notes, reasons, names): what names it (marked N_()). */
const char *hb_console_field_text(const char *what, const char *text, size_t max_chars, bool required, char *err,
                                  size_t size);

/* ---- console_save.c: what every page that saves shares ---- */
/* A saving page's form as it came: each field's value and problem (""
 * = none), a problem of the whole form, and the form's request id. */
#define HB_CONSOLE_FORM_FIELDS_MAX 8
typedef struct {
    const char *value[HB_CONSOLE_FORM_FIELDS_MAX];
    char error[HB_CONSOLE_FORM_FIELDS_MAX][HB_MESSAGE_BYTES_MAX * 2];
    const char *form_error;
    char request_id[HB_REQUEST_ID_BYTES_MAX + 1];
} hb_console_form_t;
/* Reads fields names[0..n) and the request id into f (cleared first). */
void hb_console_form_read(hb_web_req_t *req, hb_console_form_t *f, const char *const *names, int n);
/* Field i's problem, or NULL. */
const char *hb_console_form_err(const hb_console_form_t *f, int i);

/* The form's request id: the hidden field's when well-formed, else a fresh
 * one (the form is shown the first time). */
void hb_console_save_request_id(hb_web_req_t *req, char out[HB_REQUEST_ID_BYTES_MAX + 1]);
/* <input type="hidden" name="request_id">, kept when the form comes back. */
void hb_console_save_hidden(hb_web_req_t *req, const char *request_id);

typedef struct {
    Hourbank__Op *op;         /* borrowed; its operator is set to the signed-in one */
    const char *request_id;   /* the form's (not sent with a dry run) */
    bool dry_run;             /* check only: who pays, cautions; nothing stored */
    bool confirm_new;         /* a registration checked to be another person */
} hb_console_save_t;
/* Validates the op as the station will (hb_wire_validate_op), sends it
 * (a save with resend, a dry run once) and returns HB_CONSOLE_OK with
 * *reply a SaveReply or an ErrorReply (caller owns; hb_wire_free); else
 * msg says why. */
hb_console_status_t hb_console_save(hb_console_t *c, hb_web_req_t *req, const hb_console_save_t *s,
                                    Hourbank__Envelope **reply, char *msg, size_t msg_size);

/* A form field that holds a member number (normalized; NULL = none). */
typedef struct {
    const char *name;
    const char *number;
} hb_console_member_field_t;
/* A station's refusal in words into text; returns the index of the field
 * whose member the refusal names (the first value that equals a field's
 * number), or -1 (the problem goes into #form-error). */
int hb_console_save_refusal(const Hourbank__ErrorReply *e, const hb_console_member_field_t *fields, size_t n_fields,
                            char *text, size_t size);
/* A dry run's answer (#checked): who would pay (#payer, services), what
 * central will decide (#cautions); members as "Name (NUMBER)", asked of
 * the station. */
void hb_console_save_checked(hb_console_t *c, hb_web_req_t *req, const Hourbank__Op *op, const Hourbank__SaveReply *r);
/* A save's answer: #saved with #saved-ref, #payer (services), #cautions. */
void hb_console_save_done(hb_console_t *c, hb_web_req_t *req, const Hourbank__Op *op, const Hourbank__SaveReply *r);

/* ---- pages ---- */
void hb_console_page_signin(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_signout(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_lang(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_home(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_find(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_member(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_register(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_record(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_gift(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_donate(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_void(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_queue(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_dismiss(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_passbook(hb_console_t *c, hb_web_req_t *req, const char *rest);
void hb_console_page_rules(hb_console_t *c, hb_web_req_t *req, const char *rest);

#endif
