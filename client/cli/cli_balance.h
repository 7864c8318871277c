/* cli_balance.h - `balance` (from the station: last synced balance plus the
 * changes saved here and not yet synced). `statement` is in cli_statement.h. */
#ifndef HB_CLI_BALANCE_H
#define HB_CLI_BALANCE_H

#include "cli_command.h"

extern const hb_cli_command_t hb_cli_balance_balance;

#endif
