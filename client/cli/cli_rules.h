/* cli_rules.h - `hourbank rules [--all]`: the rules in force as the station
 * holds them (RulesQuery, answered from its copy of central's RulesReply). */
#ifndef HB_CLI_RULES_H
#define HB_CLI_RULES_H

#include "cli_command.h"
#include "hourbank.pb-c.h"

extern const hb_cli_command_t hb_cli_rules_rules;

/* The station's copy of the rules into *reply_out (a RulesReply envelope;
 * caller owns, hb_wire_free). 0, or an exit code after reporting (no copy
 * yet, an older station). */
int hb_cli_rules_ask(hb_cli_t *cli, Hourbank__Envelope **reply_out);

/* The rules of community's district in r, or NULL when r does not say
 * (community NULL or not known). Borrowed from r. */
const Hourbank__DistrictRules *hb_cli_rules_district_of(const Hourbank__RulesReply *r, const char *community);

/* DistrictRules.leaver_hours ("pool", "family") in words: where a
 * leaver's hours go. Static; never NULL. */
const char *hb_cli_rules_leaver_words(const char *leaver_hours);

#endif
