/* cli_passbook.c - `passbook`: fetches every page of the member's period
 * and the station's name and community, then writes the passbook as text
 * (cli_passbook_text.c) or HTML (cli_passbook_html.c) in the language
 * asked for. */
#include "cli_passbook.h"
#include "cli_format.h"
#include "cli_parse.h"
#include "cli_period.h"
#include "cli_report.h"
#include "cli_target.h"
#include "cli_zone.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

/* Pages one passbook may take (central sends at most
 * HB_STATEMENT_ENTRIES_MAX entries a page). */
#define PAGES_MAX (HB_CLI_PASSBOOK_ENTRIES_MAX / HB_STATEMENT_ENTRIES_MAX + 1)
/* A passbook file holds personal data: only its owner reads it. */
#define HTML_FILE_MODE 0600
#define LANG_ZH "zh_CN"
#define LANG_EN "en"

typedef struct {
    char member_no[HB_MEMBER_NO_BUF_BYTES];
    hb_cli_period_t period;
    int width;
    const char *html;    /* --html FILE or "-"; NULL: text */
    const char *lang;    /* "zh_CN" or "en" */
    const char *paper;   /* "a4" or "a5" */
} passbook_args_t;

typedef struct {
    Hourbank__Envelope *pages[PAGES_MAX];
    size_t n_pages;
    const Hourbank__StatementEntry **entries;  /* every page's, posting order */
    size_t n_entries;
    Hourbank__Envelope *rules;                 /* the station's RulesReply; NULL when it gave none */
} passbook_data_t;

static void
data_free(passbook_data_t *d)
{
    for (size_t i = 0; i < d->n_pages; i++)
        hb_wire_free(&d->pages[i]);
    free(d->entries);
    hb_wire_free(&d->rules);
    memset(d, 0, sizeof *d);
}

/* ---- the entries: every page of the period ---- */

static int
by_position(const void *a, const void *b)
{
    const Hourbank__StatementEntry *x = *(const Hourbank__StatementEntry *const *) a;
    const Hourbank__StatementEntry *y = *(const Hourbank__StatementEntry *const *) b;
    return x->transfer_id < y->transfer_id ? -1 : x->transfer_id > y->transfer_id;
}

/* Adds a page's entries to d->entries. 0, or an exit code after reporting. */
static int
add_page(hb_cli_t *cli, passbook_data_t *d, Hourbank__Envelope *page)
{
    const Hourbank__StatementReply *r = page->statement_reply;
    d->pages[d->n_pages++] = page;
    /* the first page says how many there are: refused before the rest is fetched */
    if (d->n_entries + r->n_entries > HB_CLI_PASSBOOK_ENTRIES_MAX || r->entries_total > HB_CLI_PASSBOOK_ENTRIES_MAX)
        return hb_cli_report_fail(cli, EX_DATAERR, _("the period holds more than %d entries, more than one passbook "
                                                    "prints: print it in parts with --from and --until"),
                                  HB_CLI_PASSBOOK_ENTRIES_MAX);
    const Hourbank__StatementEntry **grown =
        realloc(d->entries, (d->n_entries + r->n_entries + 1) * sizeof *grown);
    if (!grown)
        return hb_cli_report_out_of_memory(cli);
    d->entries = grown;
    for (size_t i = 0; i < r->n_entries; i++)
        d->entries[d->n_entries++] = r->entries[i];
    return 0;
}

static int
fetch_entries(hb_cli_t *cli, const passbook_args_t *a, passbook_data_t *d)
{
    uint64_t before = 0;
    for (;;) {
        Hourbank__Envelope *page = NULL;
        int rc = hb_cli_period_ask(cli, a->member_no, &a->period, before, HB_STATEMENT_ENTRIES_MAX, &page);
        if (rc != 0)
            return rc;
        if (d->n_pages == PAGES_MAX) {
            hb_wire_free(&page);
            return hb_cli_report_fail(cli, EX_DATAERR, _("the period holds more than %d entries, more than one "
                                                        "passbook prints: print it in parts with --from and --until"),
                                      HB_CLI_PASSBOOK_ENTRIES_MAX);
        }
        const Hourbank__StatementReply *r = page->statement_reply;
        bool more = r->more || r->next_before_id != 0;
        uint64_t next = r->next_before_id;
        if ((rc = add_page(cli, d, page)) != 0)
            return rc;
        if (!more)
            break;
        if (next == 0 || (before && next >= before))
            return hb_cli_report_fail(cli, EX_PROTOCOL, _("central's statement pages do not go back: next position "
                                                         "%llu after %llu"), (unsigned long long) next,
                                      (unsigned long long) before);
        before = next;
    }
    if (d->n_entries > 1)
        qsort(d->entries, d->n_entries, sizeof d->entries[0], by_position);
    return 0;
}

/* ---- the station's name and community ---- */

/* The station's id from its queue status (an older station, or one that
 * has no copy of the rules yet). 0 when it does not say. */
static uint32_t
station_id_from_queue(hb_cli_t *cli)
{
    Hourbank__QueueQuery q;
    hourbank__queue_query__init(&q);
    Hourbank__Envelope req, *reply = NULL;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_QUEUE_QUERY;
    req.queue_query = &q;
    if (hb_cli_target_station(cli, &req, &reply) != 0)
        return 0;
    uint32_t id = reply->body_case == HOURBANK__ENVELOPE__BODY_QUEUE_REPLY ? reply->queue_reply->station_id : 0;
    hb_wire_free(&reply);
    return id;
}

static void
ask_station(hb_cli_t *cli, passbook_data_t *d, hb_cli_passbook_t *pb)
{
    Hourbank__RulesQuery q;
    hourbank__rules_query__init(&q);
    Hourbank__Envelope req;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_RULES_QUERY;
    req.rules_query = &q;
    bool quiet = cli->quiet;
    cli->quiet = true;  /* an older station: the passbook goes on without the name */
    if (hb_cli_target_station(cli, &req, &d->rules) != 0)
        d->rules = NULL;
    if (d->rules && d->rules->body_case == HOURBANK__ENVELOPE__BODY_RULES_REPLY &&
        d->rules->rules_reply->station_name[0]) {
        hb_cli_passbook_model_station(pb, d->rules->rules_reply);
        cli->quiet = quiet;
        return;
    }
    pb->station_id = station_id_from_queue(cli);
    cli->quiet = quiet;
    if (!pb->station_id)
        pb->station_id = cli->station_id;
    fprintf(cli->err, "%s\n", _("hourbank: note: the station does not say its name and community (it has no copy of "
                                "the district's rules yet, or runs an older hourbank-station); the passbook shows "
                                "its number instead"));
}

/* ---- the language ---- */

typedef struct {
    char *lc_all, *language;  /* as they were; NULL = unset */
    bool switched;
} lang_saved_t;

static char *
env_copy(const char *name)
{
    const char *v = getenv(name);
    return v ? strdup(v) : NULL;
}

static void
env_put(const char *name, const char *value)
{
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

/* Makes lang the language of every _() from now on (the catalogs are
 * chosen as at start, from the environment). */
static void
lang_use(const char *lang, lang_saved_t *saved)
{
    memset(saved, 0, sizeof *saved);
    if (strcmp(lang, hb_i18n_lang()) == 0)
        return;
    saved->lc_all = env_copy("LC_ALL");
    saved->language = env_copy("LANGUAGE");
    saved->switched = true;
    setenv("LC_ALL", strcmp(lang, LANG_ZH) == 0 ? "zh_CN.UTF-8" : "en_US.UTF-8", 1);
    setenv("LANGUAGE", lang, 1);
    hb_i18n_init(NULL);
}

static void
lang_restore(lang_saved_t *saved)
{
    if (!saved->switched)
        return;
    env_put("LC_ALL", saved->lc_all);
    env_put("LANGUAGE", saved->language);
    free(saved->lc_all);
    free(saved->language);
    hb_i18n_init(NULL);
    memset(saved, 0, sizeof *saved);
}

/* ---- writing ---- */

static int
write_passbook(hb_cli_t *cli, const passbook_args_t *a, const hb_cli_passbook_t *pb)
{
    FILE *out = cli->out;
    if (a->html && strcmp(a->html, "-") != 0) {
        int fd = open(a->html, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, HTML_FILE_MODE);
        out = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!out) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            return hb_cli_report_fail(cli, EX_CANTCREAT, _("could not create \"%s\": %s"), a->html, strerror(e));
        }
    }
    lang_saved_t saved;
    lang_use(a->lang, &saved);
    if (a->html)
        hb_cli_passbook_html_write(out, pb, a->lang, a->paper);
    else
        hb_cli_passbook_text_write(out, pb, a->width);
    lang_restore(&saved);
    if (out != cli->out && (fflush(out) != 0 || ferror(out) || fsync(fileno(out)) != 0 || fclose(out) != 0)) {
        int e = errno;
        return hb_cli_report_fail(cli, EX_IOERR, _("could not write \"%s\": %s"), a->html, strerror(e));
    }
    return 0;
}

/* ---- the command ---- */

static int
read_args(hb_cli_t *cli, const hb_cli_args_t *args, passbook_args_t *a)
{
    char msg[HB_CLI_TEXT_BYTES_MAX], echo[HB_CLI_TEXT_BYTES_MAX];
    if (hb_cli_parse_member_no(args->operands[0], a->member_no, msg, sizeof msg) != 0)
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    if (cli->json)
        return hb_cli_report_usage(cli, "%s", _("a passbook is text or HTML (--html); for JSON use hourbank "
                                                "statement --json"));
    const char *width = hb_cli_command_value(args, "width"), *lang = hb_cli_command_value(args, "lang");
    const char *paper = hb_cli_command_value(args, "paper");
    char narrow[HB_CLI_FORMAT_BYTES], wide[HB_CLI_FORMAT_BYTES];
    snprintf(narrow, sizeof narrow, "%d", HB_CLI_PASSBOOK_WIDTH_NARROW);
    snprintf(wide, sizeof wide, "%d", HB_CLI_PASSBOOK_WIDTH_WIDE);
    a->width = HB_CLI_PASSBOOK_WIDTH_NARROW;
    if (width && strcmp(width, wide) == 0)
        a->width = HB_CLI_PASSBOOK_WIDTH_WIDE;
    else if (width && strcmp(width, narrow) != 0)
        return hb_cli_report_usage(cli, _("--width %s: a receipt printer's line is %d or %d columns"),
                                   hb_cli_parse_quote(echo, sizeof echo, width), HB_CLI_PASSBOOK_WIDTH_NARROW,
                                   HB_CLI_PASSBOOK_WIDTH_WIDE);
    if (lang && strcmp(lang, LANG_ZH) != 0 && strcmp(lang, LANG_EN) != 0)
        return hb_cli_report_usage(cli, _("--lang %s: a passbook is printed in zh_CN or en"),
                                   hb_cli_parse_quote(echo, sizeof echo, lang));
    if (paper && strcmp(paper, "a4") != 0 && strcmp(paper, "a5") != 0)
        return hb_cli_report_usage(cli, _("--paper %s: the page prints on a4 or a5"),
                                   hb_cli_parse_quote(echo, sizeof echo, paper));
    a->lang = lang ? lang : hb_i18n_lang();
    a->paper = paper ? paper : "a4";
    a->html = hb_cli_command_value(args, "html");
    return hb_cli_period_check(cli, args, &a->period);
}

static int
run_passbook(hb_cli_t *cli, const hb_cli_args_t *args)
{
    passbook_args_t a;
    memset(&a, 0, sizeof a);
    int rc = read_args(cli, args, &a);
    if (rc == 0)
        rc = hb_cli_zone_ask_station(cli);  /* the days are the district's */
    if (rc == 0)
        rc = hb_cli_period_read(cli, &a.period);
    if (rc != 0)
        return rc;
    passbook_data_t d;
    memset(&d, 0, sizeof d);
    hb_cli_passbook_t pb = {.station_name = "", .community = "", .community_name = "", .period = &a.period};
    rc = fetch_entries(cli, &a, &d);
    if (rc == 0) {
        hb_cli_passbook_model_statement(&pb, &a.period, d.pages[0]->statement_reply, d.entries, d.n_entries);
        ask_station(cli, &d, &pb);
        rc = write_passbook(cli, &a, &pb);
    }
    data_free(&d);
    return rc;
}

static const hb_cli_opt_t passbook_opts[] = {
    {"from", 0, N_("DATE"), false, N_("entries posted from this day on (YYYY-MM-DD, the district's day)")},
    {"until", 0, N_("DATE"), false, N_("entries posted up to the end of this day (YYYY-MM-DD)")},
    {"since", 0, N_("DATE"), false, N_("another name for --from")},
    {"width", 0, N_("COLUMNS"), false, N_("text for a receipt printer: 32 (58 mm paper, the default) or 48 (80 mm)")},
    {"html", 0, N_("FILE"), false, N_("an HTML page to print on A4 or A5 instead, into FILE (- for stdout)")},
    {"paper", 0, N_("SIZE"), false, N_("the HTML page's paper: a4 (the default) or a5")},
    {"lang", 0, N_("LANG"), false, N_("the passbook's language: zh_CN or en (default: the tool's)")},
    {NULL, 0, NULL, false, NULL},
};

const hb_cli_command_t hb_cli_passbook_passbook = {
    .name = "passbook",
    .operands = N_("MEMBER_NO"),
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("print a member's passbook for a period (needs the link to central)"),
    .description = N_("Prints the passbook the member takes home: this station and its community, the member's\n"
                   "name and number, the period, one line per entry (day of service, service, hours in,\n"
                   "hours out, balance) and the period's totals. As text exactly 32 or 48 columns wide for\n"
                   "a receipt printer, or with --html as one page that prints on A4 or A5 (it needs no\n"
                   "network). The entries come from central through the station, like hourbank statement."),
    .target = HB_CLI_TARGET_STATION,
    .opts = passbook_opts,
    .run = run_passbook,
};
