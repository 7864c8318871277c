/* console_passbook.c - /passbook: the form (member, from, to; this year
 * by default) and, with a member given, the member's printable passbook
 * in #passbook: the same book as `hourbank passbook --html`
 * (client/shared/cli_passbook_model.h), styled by console.css; the
 * browser prints it (the print style hides the header and the nav).
 * The entries come from central through the station. */
#include "console.h"
#include "cli.h"
#include "cli_format.h"
#include "cli_parse.h"
#include "cli_passbook_model.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_result.h"
#include "hb_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Pages one passbook may take (central sends at most
 * HB_STATEMENT_ENTRIES_MAX entries a page). */
#define PAGES_MAX (HB_CLI_PASSBOOK_ENTRIES_MAX / HB_STATEMENT_ENTRIES_MAX + 1)
#define DATE_CHARS 10
#define TM_YEAR_BASE 1900

typedef struct {
    Hourbank__Envelope *pages[PAGES_MAX];
    size_t n_pages;
    const Hourbank__StatementEntry **entries;
    size_t n_entries;
    Hourbank__Envelope *rules;
} book_t;

static void
book_free(book_t *b)
{
    for (size_t i = 0; i < b->n_pages; i++)
        hb_wire_free(&b->pages[i]);
    free(b->entries);
    hb_wire_free(&b->rules);
    memset(b, 0, sizeof *b);
}

typedef struct {
    const char *member, *from, *to;
    char from_default[HB_CLI_FORMAT_BYTES], to_default[HB_CLI_FORMAT_BYTES];
    char error[3][HB_MESSAGE_BYTES_MAX * 2];
    const char *form_error;
} form_t;

static const char *
err(const form_t *f, int i)
{
    return f->error[i][0] ? f->error[i] : NULL;
}

static void
show_form(hb_web_req_t *req, const form_t *f)
{
    hb_console_form_error(req, f->form_error);
    hb_web_raw(req, "<form method=\"get\" action=\"/passbook\" id=\"passbook-form\" class=\"no-print\">");
    hb_console_input(req, &(hb_console_input_t){.name = "member", .label = _("Member number"), .value = f->member,
                                                .error = err(f, 0), .required = true});
    hb_console_input(req, &(hb_console_input_t){.name = "from", .label = _("From (day)"), .type = "date",
                                                .value = f->from, .error = err(f, 1)});
    hb_console_input(req, &(hb_console_input_t){.name = "to", .label = _("To (day)"), .type = "date",
                                                .value = f->to, .error = err(f, 2)});
    hb_console_button(req, "submit", NULL, NULL, _("Show the passbook"));
    hb_web_raw(req, "</form>");
}

/* The end of the day that begins at t (local time): the next local 00:00. */
static int64_t
day_end(int64_t t)
{
    time_t tt = (time_t) t;
    struct tm tm;
    hb_assert(localtime_r(&tt, &tm));
    tm.tm_mday += 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return (int64_t) mktime(&tm);
}

static bool
check(form_t *f, char member[HB_MEMBER_NO_BUF_BYTES], hb_cli_period_t *p)
{
    memset(p, 0, sizeof *p);
    bool ok = !hb_console_field_member(f->member, true, member, f->error[0], sizeof f->error[0]);
    p->from_text = f->from && f->from[0] ? f->from : NULL;
    p->until_text = f->to && f->to[0] ? f->to : NULL;
    if (p->from_text && hb_cli_parse_date(p->from_text, &p->from, f->error[1], sizeof f->error[1]) != 0)
        ok = false;
    if (p->until_text && hb_cli_parse_date(p->until_text, &p->until, f->error[2], sizeof f->error[2]) != 0)
        ok = false;
    else if (p->until_text)
        p->until = day_end(p->until);
    if (ok && p->from && p->until && p->until <= p->from) {
        snprintf(f->error[2], sizeof f->error[2], _("%s is before %s: the period holds no time"), p->until_text,
                 p->from_text);
        ok = false;
    }
    return ok;
}

static Hourbank__Envelope *
ask_page(hb_console_t *c, const char *member, const hb_cli_period_t *p, uint64_t before, char *msg, size_t size)
{
    Hourbank__Envelope env, *reply = NULL;
    Hourbank__StatementQuery q;
    hb_wire_envelope_init(&env, 0);
    hourbank__statement_query__init(&q);
    q.member_no = (char *) (uintptr_t) member;
    q.before_id = before;
    q.limit = HB_STATEMENT_ENTRIES_MAX;
    q.from = p->from;
    q.since = p->from;
    q.until = p->until;
    env.body_case = HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY;
    env.statement_query = &q;
    return hb_console_call(c, &env, false, &reply, msg, size) == HB_CONSOLE_OK ? reply : NULL;
}

static int
by_position(const void *a, const void *b)
{
    const Hourbank__StatementEntry *x = *(const Hourbank__StatementEntry *const *) a;
    const Hourbank__StatementEntry *y = *(const Hourbank__StatementEntry *const *) b;
    return x->transfer_id < y->transfer_id ? -1 : x->transfer_id > y->transfer_id;
}

/* Adds a page; 0, or -1 with msg (too many entries). */
static int
add_page(book_t *b, Hourbank__Envelope *page, char *msg, size_t size)
{
    const Hourbank__StatementReply *r = page->statement_reply;
    b->pages[b->n_pages++] = page;
    if (b->n_entries + r->n_entries > HB_CLI_PASSBOOK_ENTRIES_MAX || r->entries_total > HB_CLI_PASSBOOK_ENTRIES_MAX) {
        snprintf(msg, size, _("the period holds more than %d entries, more than one passbook prints: print it in "
                              "parts (a shorter period)"), HB_CLI_PASSBOOK_ENTRIES_MAX);
        return -1;
    }
    const Hourbank__StatementEntry **grown = realloc(b->entries, (b->n_entries + r->n_entries + 1) * sizeof *grown);
    hb_assert(grown);
    b->entries = grown;
    for (size_t i = 0; i < r->n_entries; i++)
        b->entries[b->n_entries++] = r->entries[i];
    return 0;
}

/* Every page of the period. 0; 1: the station answered a refusal (msg);
 * -1: no answer (msg). */
static int
fetch(hb_console_t *c, const char *member, const hb_cli_period_t *p, book_t *b, char *msg, size_t size)
{
    uint64_t before = 0;
    for (;;) {
        Hourbank__Envelope *page = ask_page(c, member, p, before, msg, size);
        if (!page)
            return -1;
        if (page->body_case == HOURBANK__ENVELOPE__BODY_ERROR) {
            const Hourbank__ErrorReply *e = page->error;
            if ((int) e->code == HB_RESULT_UNAVAILABLE)
                snprintf(msg, size, "%s", _("passbooks come from central, which this station cannot reach now: try "
                                            "again when the link is back"));
            else
                hb_console_result_text(msg, size, (int) e->code, e->params, e->n_params, e->message);
            hb_wire_free(&page);
            return 1;
        }
        if (page->body_case != HOURBANK__ENVELOPE__BODY_STATEMENT_REPLY || b->n_pages == PAGES_MAX) {
            snprintf(msg, size, "%s", _("the station gave an answer the console does not understand"));
            hb_wire_free(&page);
            return 1;
        }
        const Hourbank__StatementReply *r = page->statement_reply;
        bool more = r->more || r->next_before_id != 0;
        uint64_t next = r->next_before_id;
        if (add_page(b, page, msg, size) != 0)
            return 1;
        if (!more)
            break;
        if (next == 0 || (before && next >= before)) {
            snprintf(msg, size, "%s", _("central's statement pages do not go back"));
            return 1;
        }
        before = next;
    }
    if (b->n_entries > 1)
        qsort(b->entries, b->n_entries, sizeof b->entries[0], by_position);
    return 0;
}

static void
ask_rules(hb_console_t *c, book_t *b)
{
    Hourbank__Envelope env;
    Hourbank__RulesQuery q;
    hb_wire_envelope_init(&env, 0);
    hourbank__rules_query__init(&q);
    env.body_case = HOURBANK__ENVELOPE__BODY_RULES_QUERY;
    env.rules_query = &q;
    char msg[HB_MESSAGE_BYTES_MAX];
    if (hb_console_call(c, &env, false, &b->rules, msg, sizeof msg) != HB_CONSOLE_OK)
        b->rules = NULL;
}

/* The book through the shared HTML writer (it escapes every text). */
static void
write_book(hb_console_t *c, hb_web_req_t *req, const hb_cli_period_t *p, const book_t *b)
{
    hb_cli_passbook_t pb = {.station_name = "", .community = "", .community_name = ""};
    hb_cli_passbook_model_statement(&pb, p, b->pages[0]->statement_reply, b->entries, b->n_entries);
    if (b->rules && b->rules->body_case == HOURBANK__ENVELOPE__BODY_RULES_REPLY &&
        b->rules->rules_reply->station_name[0])
        hb_cli_passbook_model_station(&pb, b->rules->rules_reply);
    else
        pb.station_id = c->conf->station_id, pb.community = c->conf->community;
    char *html = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&html, &size);
    hb_assert(out);
    hb_cli_passbook_html_body(out, &pb);
    hb_assert(fclose(out) == 0);
    hb_web_raw(req, "<article id=\"passbook\" class=\"passbook\">");
    hb_web_raw(req, html);  /* escaped by hb_cli_passbook_html_body */
    hb_web_raw(req, "</article>");
    free(html);
}

static void
defaults(hb_console_t *c, form_t *f)
{
    (void) hb_console_queue_status(c);  /* the district's days */
    hb_cli_format_time(f->to_default, sizeof f->to_default, c->now);
    f->to_default[DATE_CHARS] = '\0';
    snprintf(f->from_default, sizeof f->from_default, "%.4s-01-01", f->to_default);
}

void
hb_console_page_passbook(hb_console_t *c, hb_web_req_t *req, const char *rest)
{
    (void) rest;
    form_t f;
    memset(&f, 0, sizeof f);
    defaults(c, &f);
    f.member = hb_web_param(req, "member");
    f.from = hb_web_param(req, "from") ? hb_web_param(req, "from") : f.from_default;
    f.to = hb_web_param(req, "to") ? hb_web_param(req, "to") : f.to_default;
    char member[HB_MEMBER_NO_BUF_BYTES], msg[HB_MESSAGE_BYTES_MAX * 2];
    hb_cli_period_t p;
    book_t b;
    memset(&b, 0, sizeof b);
    int rc = 1;
    if (f.member && !check(&f, member, &p))
        hb_web_status(req, 422);
    else if (f.member && (rc = fetch(c, member, &p, &b, msg, sizeof msg)) != 0)
        f.form_error = msg;
    if (rc < 0) {
        book_free(&b);
        hb_console_page_no_station(c, req, _("Passbook"), msg);
        return;
    }
    if (rc == 0)
        ask_rules(c, &b);
    else if (f.form_error)
        hb_web_status(req, 422);
    hb_console_page_begin(c, req, _("Passbook"));
    show_form(req, &f);
    if (rc == 0)
        write_book(c, req, &p, &b);
    book_free(&b);
    hb_console_page_end(c, req);
}
