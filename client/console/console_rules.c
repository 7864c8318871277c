/* console_rules.c - /rules: the rules this station works by, from its copy
 * of central's RulesReply (also offline), as `hourbank rules` shows them:
 * what all districts share, then the station's district (time zone,
 * floor, cap, daily limit, gifts, leavers) and its payer rules in order. */
#include "console.h"
#include "cli_format.h"
#include "cli_words.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_result.h"
#include "hb_wire.h"

#include <stdio.h>
#include <string.h>

#define SECONDS_PER_MINUTE 60
#define SECONDS_PER_DAY 86400
/* PayerRule.category that matches every category. */
#define CATEGORY_ANY "*"

static const Hourbank__DistrictRules *
own_district(const Hourbank__RulesReply *r)
{
    for (size_t i = 0; r->community && i < r->n_communities; i++) {
        if (strcmp(r->communities[i]->code, r->community) != 0)
            continue;
        for (size_t k = 0; k < r->n_districts; k++)
            if (strcmp(r->districts[k]->district, r->communities[i]->district) == 0)
                return r->districts[k];
    }
    return NULL;
}

static void
row(hb_web_req_t *req, const char *label)
{
    hb_web_html(req, "<dt>%s</dt><dd>", label);
}

static void
common(hb_web_req_t *req, const Hourbank__RulesReply *r)
{
    char a[HB_CLI_FORMAT_BYTES], b[HB_CLI_FORMAT_BYTES];
    hb_web_raw(req, "<dl class=\"rules\">");
    row(req, _("rules version"));
    hb_web_html(req, _("%u, as central sent them at %s"), (unsigned) r->version,
                hb_cli_format_time(a, sizeof a, r->as_of));
    hb_web_raw(req, "</dd>");
    row(req, _("station"));
    hb_web_html(req, _("%u %s, community %s"), (unsigned) r->station_id, r->station_name, r->community);
    hb_web_raw(req, "</dd>");
    row(req, _("record window"));
    hb_web_html(req, _("from %lld days ago up to %s ahead of central's clock"),
                (long long) (r->max_record_age_seconds / SECONDS_PER_DAY),
                hb_cli_format_duration(a, sizeof a, r->clock_skew_seconds / SECONDS_PER_MINUTE, false));
    hb_web_raw(req, "</dd>");
    row(req, _("guarantee budget"));
    hb_web_html(req, _("%s, of which %s left"), hb_cli_format_duration(a, sizeof a, r->guarantee_budget_minutes, false),
                hb_cli_format_duration(b, sizeof b, r->guarantee_left_minutes, false));
    hb_web_raw(req, "</dd></dl>");
}

static void
district(hb_web_req_t *req, const Hourbank__DistrictRules *d)
{
    char a[HB_CLI_FORMAT_BYTES];
    hb_web_html(req, "<h2>");
    hb_web_html(req, _("district %s (%s)"), d->district, d->name && d->name[0] ? d->name : d->district);
    hb_web_raw(req, "</h2><dl class=\"rules\">");
    row(req, _("time zone"));
    hb_web_html(req, "%s</dd>", d->time_zone && d->time_zone[0] ? d->time_zone : _("not set (the city's)"));
    row(req, _("floor"));
    hb_web_html(req, "%s</dd>", hb_cli_format_duration(a, sizeof a, d->floor_minutes, false));
    row(req, _("cap"));
    hb_web_html(req, d->overflow_donate ? _("%s; hours over the cap go to the pool")
                                        : _("%s; a service over the cap is refused"),
                hb_cli_format_duration(a, sizeof a, d->cap_minutes, false));
    hb_web_raw(req, "</dd>");
    row(req, _("daily limit"));
    hb_web_html(req, _("%s per provider and day"), hb_cli_format_duration(a, sizeof a, d->daily_limit_minutes, false));
    hb_web_raw(req, "</dd>");
    row(req, _("gifts"));
    hb_web_html(req, "%s</dd>", hb_cli_words_gifts(d->gifts));
    row(req, _("leavers"));
    hb_web_html(req, "%s</dd></dl>", hb_cli_words_leaver(d->leaver_hours));
}

static void
payer_rules(hb_web_req_t *req, const Hourbank__RulesReply *r, const char *district_code)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_payer_rules; i++)
        n += strcmp(r->payer_rules[i]->district, district_code) == 0;
    hb_web_html(req, "<h2>%s</h2>", _("Who pays for care"));
    if (n == 0) {
        hb_web_html(req, "<p>%s</p>", _("payer rules: none; the recipient pays for every service"));
        return;
    }
    hb_web_html(req, "<p>%s</p>", _("The first rule that matches decides; when none matches, the recipient pays."));
    hb_web_html(req, "<table id=\"payer-rules\"><thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>",
                _("Rule"), _("Service"));
    hb_web_html(req, "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead><tbody>", _("Recipient's age"),
                _("Who pays"));
    for (size_t i = 0; i < r->n_payer_rules; i++) {
        const Hourbank__PayerRule *p = r->payer_rules[i];
        if (strcmp(p->district, district_code) != 0)
            continue;
        hb_web_html(req, "<tr><td>%u</td><td>%s</td>", (unsigned) p->position,
                    strcmp(p->category, CATEGORY_ANY) == 0 ? _("any") : p->category);
        if (p->min_age) {
            hb_web_raw(req, "<td>");
            hb_web_html(req, _("%u or older"), (unsigned) p->min_age);
            hb_web_raw(req, "</td>");
        } else
            hb_web_html(req, "<td>%s</td>", _("any"));
        hb_web_html(req, "<td>%s</td></tr>", p->guarantee ? _("the guarantee") : _("the recipient"));
    }
    hb_web_raw(req, "</tbody></table>");
}

static const char *
refusal(const Hourbank__ErrorReply *e, char *msg, size_t size)
{
    if ((int) e->code == HB_RESULT_UNAVAILABLE)
        return _("the station has no copy of central's rules yet: it gets them when it syncs with central");
    return hb_console_result_text(msg, size, (int) e->code, e->params, e->n_params, e->message);
}

void
hb_console_page_rules(hb_console_t *c, hb_web_req_t *req, const char *rest)
{
    (void) rest;
    char msg[HB_MESSAGE_BYTES_MAX * 2];
    Hourbank__Envelope env, *reply = NULL;
    Hourbank__RulesQuery q;
    hb_wire_envelope_init(&env, 0);
    hourbank__rules_query__init(&q);
    env.body_case = HOURBANK__ENVELOPE__BODY_RULES_QUERY;
    env.rules_query = &q;
    (void) hb_console_queue_status(c);  /* "as of" in the district's time */
    if (hb_console_call(c, &env, false, &reply, msg, sizeof msg) != HB_CONSOLE_OK) {
        hb_console_page_no_station(c, req, _("Rules"), msg);
        return;
    }
    hb_console_page_begin(c, req, _("Rules"));
    hb_web_raw(req, "<div id=\"rules\">");
    if (reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR) {
        hb_console_form_error(req, refusal(reply->error, msg, sizeof msg));
    } else if (reply->body_case == HOURBANK__ENVELOPE__BODY_RULES_REPLY) {
        const Hourbank__RulesReply *r = reply->rules_reply;
        const Hourbank__DistrictRules *d = own_district(r);
        common(req, r);
        if (d) {
            district(req, d);
            payer_rules(req, r, d->district);
        } else {
            hb_web_raw(req, "<p>");
            hb_web_html(req, _("The rules do not say which district community %s belongs to."), r->community);
            hb_web_raw(req, "</p>");
        }
    }
    hb_web_raw(req, "</div>");
    hb_wire_free(&reply);
    hb_console_page_end(c, req);
}
