/* cli_rules.c - `hourbank rules`: the rules in force as this station holds
 * them (its copy of central's RulesReply, which works offline): the
 * station's district, or with --all every district, and what all districts
 * share (the record window, the guarantee budget, the rules version). */
#include "cli_rules.h"
#include "cli_format.h"
#include "cli_json.h"
#include "cli_report.h"
#include "cli_table.h"
#include "cli_target.h"
#include "cli_words.h"
#include "cli_zone.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <string.h>
#include <sysexits.h>

#define SECONDS_PER_MINUTE 60
#define SECONDS_PER_DAY 86400
/* PayerRule.category that matches every category. */
#define CATEGORY_ANY "*"

/* ---- words ---- */

static const char *
gifts_words(const char *gifts)
{
    return hb_cli_words_gifts(gifts);
}

const char *
hb_cli_rules_leaver_words(const char *leaver_hours)
{
    return hb_cli_words_leaver(leaver_hours);
}

/* The district of the station's community, or NULL when the rules do not
 * name it. */
static const char *
own_district(const Hourbank__RulesReply *r)
{
    for (size_t i = 0; r->community && i < r->n_communities; i++)
        if (strcmp(r->communities[i]->code, r->community) == 0)
            return r->communities[i]->district;
    return NULL;
}

/* ---- text ---- */

static void
district_rows(hb_cli_table_t *tab, const Hourbank__DistrictRules *d)
{
    char a[HB_CLI_FORMAT_BYTES];
    hb_cli_table_cell(tab, "  %s", _("time zone"));
    hb_cli_table_cell(tab, "%s", d->time_zone && d->time_zone[0] ? d->time_zone : _("not set (the city's)"));
    hb_cli_table_cell(tab, "  %s", _("floor"));
    hb_cli_table_cell(tab, "%s", hb_cli_format_duration(a, sizeof a, d->floor_minutes, false));
    hb_cli_table_cell(tab, "  %s", _("cap"));
    hb_cli_table_cell(tab, d->overflow_donate ? _("%s; hours over the cap go to the pool")
                                              : _("%s; a service over the cap is refused"),
                      hb_cli_format_duration(a, sizeof a, d->cap_minutes, false));
    hb_cli_table_cell(tab, "  %s", _("daily limit"));
    hb_cli_table_cell(tab, _("%s per provider and day"), hb_cli_format_duration(a, sizeof a, d->daily_limit_minutes, false));
    hb_cli_table_cell(tab, "  %s", _("gifts"));
    hb_cli_table_cell(tab, "%s", gifts_words(d->gifts));
    hb_cli_table_cell(tab, "  %s", _("leavers"));
    hb_cli_table_cell(tab, "%s", hb_cli_rules_leaver_words(d->leaver_hours));
}

static int
print_payer_rules(hb_cli_t *cli, const Hourbank__RulesReply *r, const char *district)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_payer_rules; i++)
        n += strcmp(r->payer_rules[i]->district, district) == 0;
    if (n == 0) {
        fprintf(cli->out, "%s\n", _("  payer rules: none; the recipient pays for every service"));
        return 0;
    }
    fprintf(cli->out, "%s\n", _("  payer rules (the first that matches decides; none matching: the recipient pays):"));
    const char *const headers[] = {_("    RULE"), _("CATEGORY"), _("MIN AGE"), _("WHO PAYS")};
    hb_cli_table_t *tab = hb_cli_table_new(4, headers);
    if (!tab)
        return hb_cli_report_out_of_memory(cli);
    hb_cli_table_align_right(tab, 0);
    hb_cli_table_align_right(tab, 2);
    for (size_t i = 0; i < r->n_payer_rules; i++) {
        const Hourbank__PayerRule *p = r->payer_rules[i];
        if (strcmp(p->district, district) != 0)
            continue;
        hb_cli_table_cell(tab, "%u", (unsigned) p->position);
        hb_cli_table_cell(tab, "%s", strcmp(p->category, CATEGORY_ANY) == 0 ? _("any") : p->category);
        if (p->min_age)
            hb_cli_table_cell(tab, "%u", (unsigned) p->min_age);
        else
            hb_cli_table_cell(tab, "%s", _("any"));
        hb_cli_table_cell(tab, "%s", p->guarantee ? _("the guarantee") : _("the recipient"));
    }
    return hb_cli_table_finish(&tab, cli->out) == 0 ? 0 : hb_cli_report_out_of_memory(cli);
}

static int
print_district(hb_cli_t *cli, const Hourbank__RulesReply *r, const Hourbank__DistrictRules *d)
{
    fprintf(cli->out, _("district %s (%s)\n"), d->district, d->name && d->name[0] ? d->name : d->district);
    hb_cli_table_t *tab = hb_cli_table_new(2, NULL);
    if (!tab)
        return hb_cli_report_out_of_memory(cli);
    district_rows(tab, d);
    if (hb_cli_table_finish(&tab, cli->out) != 0)
        return hb_cli_report_out_of_memory(cli);
    return print_payer_rules(cli, r, d->district);
}

/* What every district shares. */
static int
print_common(hb_cli_t *cli, const Hourbank__RulesReply *r)
{
    char a[HB_CLI_FORMAT_BYTES], b[HB_CLI_FORMAT_BYTES], t[HB_CLI_FORMAT_BYTES];
    hb_cli_table_t *tab = hb_cli_table_new(2, NULL);
    if (!tab)
        return hb_cli_report_out_of_memory(cli);
    hb_cli_table_cell(tab, "%s", _("rules version"));
    hb_cli_table_cell(tab, _("%u, as central sent them at %s"), (unsigned) r->version,
                      hb_cli_format_time(t, sizeof t, r->as_of));
    hb_cli_table_cell(tab, "%s", _("station"));
    hb_cli_table_cell(tab, _("%u %s, community %s"), (unsigned) r->station_id, r->station_name ? r->station_name : "",
                      r->community ? r->community : "");
    hb_cli_table_cell(tab, "%s", _("record window"));
    hb_cli_table_cell(tab, _("from %lld days ago up to %s ahead of central's clock"),
                      (long long) (r->max_record_age_seconds / SECONDS_PER_DAY),
                      hb_cli_format_duration(a, sizeof a, r->clock_skew_seconds / SECONDS_PER_MINUTE, false));
    hb_cli_table_cell(tab, "%s", _("guarantee budget"));
    hb_cli_table_cell(tab, _("%s, of which %s left"),
                      hb_cli_format_duration(a, sizeof a, r->guarantee_budget_minutes, false),
                      hb_cli_format_duration(b, sizeof b, r->guarantee_left_minutes, false));
    return hb_cli_table_finish(&tab, cli->out) == 0 ? 0 : hb_cli_report_out_of_memory(cli);
}

static int
print_rules(hb_cli_t *cli, const Hourbank__RulesReply *r, const char *only)
{
    int rc = print_common(cli, r);
    size_t shown = 0;
    for (size_t i = 0; rc == 0 && i < r->n_districts; i++) {
        if (only && strcmp(r->districts[i]->district, only) != 0)
            continue;
        fputc('\n', cli->out);
        rc = print_district(cli, r, r->districts[i]);
        shown++;
    }
    if (rc == 0 && shown == 0 && only)
        fprintf(cli->out, _("\nthe rules have no entry for this station's district %s\n"), only);
    else if (rc == 0 && shown == 0)
        fprintf(cli->out, "\n%s\n", _("the rules name no district"));
    return rc;
}

/* ---- JSON ---- */

static void
json_district(hb_cli_json_t *j, const Hourbank__RulesReply *r, const Hourbank__DistrictRules *d)
{
    hb_cli_json_object_begin(j);
    hb_cli_json_kv_string(j, "district", d->district);
    hb_cli_json_kv_string(j, "name", d->name);
    hb_cli_json_kv_string(j, "time_zone", d->time_zone && d->time_zone[0] ? d->time_zone : NULL);
    hb_cli_json_kv_int(j, "floor_minutes", d->floor_minutes);
    hb_cli_json_kv_int(j, "cap_minutes", d->cap_minutes);
    hb_cli_json_kv_bool(j, "overflow_donate", d->overflow_donate);
    hb_cli_json_kv_int(j, "daily_limit_minutes", d->daily_limit_minutes);
    hb_cli_json_kv_string(j, "gifts", d->gifts);
    hb_cli_json_kv_string(j, "leaver_hours", d->leaver_hours && d->leaver_hours[0] ? d->leaver_hours : NULL);
    hb_cli_json_key(j, "payer_rules");
    hb_cli_json_array_begin(j);
    for (size_t i = 0; i < r->n_payer_rules; i++) {
        const Hourbank__PayerRule *p = r->payer_rules[i];
        if (strcmp(p->district, d->district) != 0)
            continue;
        hb_cli_json_object_begin(j);
        hb_cli_json_kv_uint(j, "position", p->position);
        hb_cli_json_kv_string(j, "category", p->category);
        hb_cli_json_kv_uint(j, "min_age", p->min_age);
        hb_cli_json_kv_string(j, "payer", p->guarantee ? "guarantee" : "recipient");
        hb_cli_json_object_end(j);
    }
    hb_cli_json_array_end(j);
    hb_cli_json_object_end(j);
}

static void
json_rules(hb_cli_t *cli, const Hourbank__RulesReply *r, const char *district, const char *only)
{
    hb_cli_json_t j;
    hb_cli_json_init(&j, cli->out);
    hb_cli_json_object_begin(&j);
    hb_cli_json_kv_uint(&j, "rules_version", r->version);
    hb_cli_json_kv_time(&j, "as_of", r->as_of);
    hb_cli_json_kv_uint(&j, "station_id", r->station_id);
    hb_cli_json_kv_string(&j, "station_name", r->station_name);
    hb_cli_json_kv_string(&j, "community", r->community);
    hb_cli_json_kv_string(&j, "district", district);
    hb_cli_json_kv_int(&j, "clock_skew_seconds", r->clock_skew_seconds);
    hb_cli_json_kv_int(&j, "max_record_age_seconds", r->max_record_age_seconds);
    hb_cli_json_kv_int(&j, "guarantee_budget_minutes", r->guarantee_budget_minutes);
    hb_cli_json_kv_int(&j, "guarantee_left_minutes", r->guarantee_left_minutes);
    hb_cli_json_key(&j, "districts");
    hb_cli_json_array_begin(&j);
    for (size_t i = 0; i < r->n_districts; i++)
        if (!only || strcmp(r->districts[i]->district, only) == 0)
            json_district(&j, r, r->districts[i]);
    hb_cli_json_array_end(&j);
    hb_cli_json_object_end(&j);
    hb_cli_json_finish(&j);
}

/* ---- the command ---- */

static int
check_reply(hb_cli_t *cli, const Hourbank__Envelope *reply)
{
    if (reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR && reply->error->code == HOURBANK__RESULT__UNAVAILABLE)
        return hb_cli_report_fail(cli, EX_UNAVAILABLE, "%s",
                                  _("the station has no copy of central's rules yet: it gets them when it syncs "
                                    "with central (see hourbank status)"));
    if (reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR && reply->error->code == HOURBANK__RESULT__MALFORMED)
        return hb_cli_report_fail(cli, EX_UNAVAILABLE, _("the station at %s runs an older hourbank-station that "
                                                         "cannot show the rules"),
                                  cli->endpoint);
    return hb_cli_target_expect(cli, reply, HOURBANK__ENVELOPE__BODY_RULES_REPLY, _("could not get the rules"));
}

int
hb_cli_rules_ask(hb_cli_t *cli, Hourbank__Envelope **reply_out)
{
    hb_assert(cli && reply_out);
    Hourbank__RulesQuery q;
    hourbank__rules_query__init(&q);
    Hourbank__Envelope req;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_RULES_QUERY;
    req.rules_query = &q;
    *reply_out = NULL;
    int rc = hb_cli_target_station(cli, &req, reply_out);
    if (rc == 0)
        rc = check_reply(cli, *reply_out);
    if (rc != 0)
        hb_wire_free(reply_out);
    return rc;
}

const Hourbank__DistrictRules *
hb_cli_rules_district_of(const Hourbank__RulesReply *r, const char *community)
{
    hb_assert(r);
    for (size_t i = 0; community && i < r->n_communities; i++) {
        if (strcmp(r->communities[i]->code, community) != 0)
            continue;
        for (size_t k = 0; k < r->n_districts; k++)
            if (strcmp(r->districts[k]->district, r->communities[i]->district) == 0)
                return r->districts[k];
    }
    return NULL;
}

static int
run_rules(hb_cli_t *cli, const hb_cli_args_t *args)
{
    bool all = hb_cli_command_flag(args, "all");
    int rc = hb_cli_zone_ask_station(cli);  /* "as of" in the district's time */
    if (rc != 0)
        return rc;
    Hourbank__Envelope *reply = NULL;
    rc = hb_cli_rules_ask(cli, &reply);
    if (rc == 0) {
        const Hourbank__RulesReply *r = reply->rules_reply;
        const char *district = own_district(r);
        if (!all && !district)
            rc = hb_cli_report_fail(cli, EX_DATAERR,
                                    _("the rules do not say which district community %s belongs to; "
                                      "hourbank rules --all shows every district"),
                                    r->community ? r->community : "");
        else if (cli->json)
            json_rules(cli, r, district, all ? NULL : district);
        else
            rc = print_rules(cli, r, all ? NULL : district);
    }
    hb_wire_free(&reply);
    return rc;
}

static const hb_cli_opt_t rules_opts[] = {
    {"all", 0, NULL, false, N_("every district's rules, not only this station's")},
    {NULL, 0, NULL, false, NULL},
};

const hb_cli_command_t hb_cli_rules_rules = {
    .name = "rules",
    .operands = "",
    .summary = N_("the district's rules: cap, daily limit, gifts, who pays, the guarantee budget"),
    .description = N_("Shows the rules this station works by, from its copy of central's rules (also\n"
                      "offline; \"as central sent them at\" says how fresh it is): the record window, the\n"
                      "guarantee budget and what is left of it, and for this station's district its time\n"
                      "zone, floor, cap, daily limit, gifts, and the payer rules in order: the first that\n"
                      "matches a service's category and the recipient's age decides whether the guarantee\n"
                      "or the recipient pays. --all shows every district."),
    .target = HB_CLI_TARGET_STATION,
    .opts = rules_opts,
    .run = run_rules,
};
