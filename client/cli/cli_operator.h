/* cli_operator.h - `operator add`, `operator list`, `operator disable`,
 * `operator unlock`:
 * the people who may save at this station. A PIN (for the console's
 * sign-in) is read without echo from a terminal, or as one line from
 * standard input, never from the command line; the station keeps only its
 * argon2id hash. */
#ifndef HB_CLI_OPERATOR_H
#define HB_CLI_OPERATOR_H

#include "cli_command.h"

extern const hb_cli_command_t hb_cli_operator_add;
extern const hb_cli_command_t hb_cli_operator_list;
extern const hb_cli_command_t hb_cli_operator_disable;
extern const hb_cli_command_t hb_cli_operator_unlock;

#endif
