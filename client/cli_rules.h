/* cli_rules.h - `hourbank rules [--all]`: the rules in force as the station
 * holds them (RulesQuery, answered from its copy of central's RulesReply). */
#ifndef HB_CLI_RULES_H
#define HB_CLI_RULES_H

#include "cli_command.h"

extern const hb_cli_command_t hb_cli_rules_rules;

#endif
