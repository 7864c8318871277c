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

