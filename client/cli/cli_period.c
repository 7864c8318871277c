/* cli_period.c - a member's ledger entries over a period: the days typed,
 * the query (through the station to central), and the words of an entry. */
#include "cli_period.h"
#include "cli_format.h"
#include "cli_parse.h"
#include "cli_report.h"
#include "cli_target.h"
#include "cli_words.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

/* "YYYY-MM-DD" at the start of a formatted time "YYYY-MM-DD HH:MM". */
#define DAY_CHARS 10

int
hb_cli_period_check(hb_cli_t *cli, const hb_cli_args_t *args, hb_cli_period_t *period)
{
    hb_assert(cli && args && period);
    memset(period, 0, sizeof *period);
    const char *from = hb_cli_command_value(args, "from"), *since = hb_cli_command_value(args, "since");
    if (from && since && strcmp(from, since) != 0)
        return hb_cli_report_usage(cli, _("--since is another name for --from: give one of them"));
    period->from_text = from ? from : since;
    period->until_text = hb_cli_command_value(args, "until");
    char msg[HB_CLI_TEXT_BYTES_MAX];
    int64_t as_utc = 0;
    if ((period->from_text && hb_cli_parse_moment_form(period->from_text, false, &as_utc, msg, sizeof msg) != 0) ||
        (period->until_text && hb_cli_parse_moment_form(period->until_text, false, &as_utc, msg, sizeof msg) != 0))
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    return 0;
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

int
hb_cli_period_read(hb_cli_t *cli, hb_cli_period_t *period)
{
    hb_assert(cli && period);
    char msg[HB_CLI_TEXT_BYTES_MAX];
    if (period->from_text && hb_cli_parse_date(period->from_text, &period->from, msg, sizeof msg) != 0)
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    if (period->until_text) {
        if (hb_cli_parse_date(period->until_text, &period->until, msg, sizeof msg) != 0)
            return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
        if (!strchr(period->until_text, ':'))  /* a day: up to its end */
            period->until = day_end(period->until);
    }
    if (period->from_text && period->until_text && period->until <= period->from)
        return hb_cli_report_fail(cli, EX_DATAERR, _("--until %s is before --from %s: the period holds no time"),
                                  period->until_text, period->from_text);
    return 0;
}

/* The local day of t, "YYYY-MM-DD", into buf. */
static char *
day_of(char *buf, size_t size, int64_t t)
{
    hb_cli_format_time(buf, size, t);
    if (strlen(buf) > DAY_CHARS)
        buf[DAY_CHARS] = '\0';
    return buf;
}

char *
hb_cli_period_text(char *buf, size_t size, const hb_cli_period_t *period)
{
    hb_assert(buf && period);
    char from[HB_CLI_FORMAT_BYTES], until[HB_CLI_FORMAT_BYTES];
    if (period->from)
        day_of(from, sizeof from, period->from);
    if (period->until && period->until_text && !strchr(period->until_text, ':'))
        day_of(until, sizeof until, period->until - 1);  /* the last day in it */
    else if (period->until)
        hb_cli_format_time(until, sizeof until, period->until);
    if (period->from && period->until)
        snprintf(buf, size, _("%s to %s"), from, until);
    else if (period->from)
        snprintf(buf, size, _("from %s"), from);
    else if (period->until)
        snprintf(buf, size, _("until %s"), until);
    else
        snprintf(buf, size, "%s", _("all entries"));
    return buf;
}

static int
send_query(hb_cli_t *cli, const char *member_no, const hb_cli_period_t *period, uint64_t before_id, uint32_t limit,
           Hourbank__Envelope **reply_out)
{
    char no[HB_MEMBER_NO_BUF_BYTES];
    snprintf(no, sizeof no, "%s", member_no);
    Hourbank__StatementQuery q;
    hourbank__statement_query__init(&q);
    q.member_no = no;
    q.before_id = before_id;
    q.limit = limit;
    q.from = period->from;
    q.since = period->from;  /* the older name, for a central that reads only it */
    q.until = period->until;
    Hourbank__Envelope req;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY;
    req.statement_query = &q;
    return hb_cli_target_station(cli, &req, reply_out);
}

int
hb_cli_period_ask(hb_cli_t *cli, const char *member_no, const hb_cli_period_t *period, uint64_t before_id,
                  uint32_t limit, Hourbank__Envelope **reply_out)
{
    hb_assert(cli && member_no && period && reply_out);
    hb_assert(limit >= 1 && limit <= HB_STATEMENT_ENTRIES_MAX);
    Hourbank__Envelope *reply = NULL;
    int rc = send_query(cli, member_no, period, before_id, limit, &reply);
    if (rc != 0)
        return rc;
    if (hb_cli_report_is_not_found(reply))
        rc = hb_cli_report_member_not_found(cli, member_no);
    else if (reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR && reply->error->code == HOURBANK__RESULT__UNAVAILABLE)
        rc = hb_cli_report_fail(cli, EX_UNAVAILABLE, "%s", _("statements come from central, which this station cannot "
                                                           "reach now: try again when hourbank status shows the link up"));
    else
        rc = hb_cli_target_expect(cli, reply, HOURBANK__ENVELOPE__BODY_STATEMENT_REPLY, _("could not get the statement"));
    if (rc != 0) {
        hb_wire_free(&reply);
        return rc;
    }
    *reply_out = reply;
    return 0;
}

const char *
hb_cli_period_role(const char *role)
{
    static const struct {
        const char *word, *shown;
    } words[] = {
        {"provider", N_("provider")}, {"recipient", N_("recipient")}, {"giver", N_("giver")},
        {"receiver", N_("receiver")}, {"donor", N_("donor")},
        {"leaver", N_("leaver")},     {"heir", N_("heir")},
    };
    for (size_t i = 0; role && i < sizeof words / sizeof words[0]; i++)
        if (strcmp(words[i].word, role) == 0)
            return _(words[i].shown);
    return role && role[0] ? role : "-";
}

bool
hb_cli_period_guarantee_paid(const Hourbank__StatementEntry *e)
{
    hb_assert(e);
    return e->paid_by && strcmp(e->paid_by, "guarantee") == 0 && e->role && strcmp(e->role, "recipient") == 0;
}

char *
hb_cli_period_day(char *buf, size_t size, const Hourbank__StatementEntry *e)
{
    hb_assert(buf && e);
    if (e->service_day && e->service_day[0])
        snprintf(buf, size, "%s", e->service_day);
    else
        day_of(buf, size, e->occurred_at ? e->occurred_at : e->posted_at);
    return buf;
}

char *
hb_cli_period_service(char *buf, size_t size, const Hourbank__StatementEntry *e)
{
    hb_assert(buf && e);
    char ref[HB_CLI_FORMAT_BYTES];
    if (e->voids && e->voids->station_id)
        snprintf(buf, size, _("void of %s"),
                 hb_cli_format_op_ref(ref, sizeof ref, e->voids->station_id, e->voids->seq));
    else if (e->category && e->category[0])
        snprintf(buf, size, "%s", e->category);
    else if (e->kind && strcmp(e->kind, "opening") == 0)
        snprintf(buf, size, "%s", _("opening balance (paper books)"));
    else if (e->kind && strcmp(e->kind, "leave") == 0 && e->role && strcmp(e->role, "heir") == 0)
        snprintf(buf, size, "%s", _("inherited from a leaver"));
    else if (e->kind && strcmp(e->kind, "leave") == 0)
        snprintf(buf, size, "%s", _("hours of a leaver"));
    else
        snprintf(buf, size, "%s", hb_cli_words_kind(e->kind));
    return buf;
}

static int
by_position(const void *a, const void *b)
{
    const Hourbank__StatementEntry *x = *(const Hourbank__StatementEntry *const *) a;
    const Hourbank__StatementEntry *y = *(const Hourbank__StatementEntry *const *) b;
    return x->transfer_id < y->transfer_id ? -1 : x->transfer_id > y->transfer_id;
}

void
hb_cli_period_sort(Hourbank__StatementReply *r)
{
    hb_assert(r);
    if (r->n_entries > 1)  /* entries is NULL when there are none */
        qsort(r->entries, r->n_entries, sizeof r->entries[0], by_position);
}
