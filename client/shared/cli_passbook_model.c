/* cli_passbook_model.c - a passbook from the station's answers. */
#include "cli_passbook_model.h"
#include "hb_assert.h"

#include <string.h>

void
hb_cli_passbook_model_statement(hb_cli_passbook_t *pb, const hb_cli_period_t *period,
                                const Hourbank__StatementReply *first, const Hourbank__StatementEntry *const *entries,
                                size_t n)
{
    hb_assert(pb && period && first);
    pb->period = period;
    pb->member_no = first->member_no;
    pb->member_name = first->member_name;
    pb->as_of = first->as_of;
    pb->opening_minutes = first->opening_minutes;
    pb->in_minutes = first->in_minutes;
    pb->out_minutes = first->out_minutes;
    pb->closing_minutes = first->closing_minutes;
    pb->entries_total = first->entries_total;
    pb->entries = entries;
    pb->n_entries = n;
}

void
hb_cli_passbook_model_station(hb_cli_passbook_t *pb, const Hourbank__RulesReply *r)
{
    hb_assert(pb && r);
    pb->station_name = r->station_name;
    pb->station_id = r->station_id;
    pb->community = r->community;
    for (size_t i = 0; i < r->n_communities; i++)
        if (strcmp(r->communities[i]->code, r->community) == 0)
            pb->community_name = r->communities[i]->name;
}
