/* cli_period_words.c - a period and an entry in words (cli_period_words.h). */
#include "cli_period_words.h"
#include "cli_format.h"
#include "cli_words.h"
#include "hb_assert.h"
#include "hb_i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "YYYY-MM-DD" at the start of a formatted time "YYYY-MM-DD HH:MM". */
#define DAY_CHARS 10

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
