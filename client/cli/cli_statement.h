/* cli_statement.h - `statement`: a member's ledger entries as central
 * posted them (the station forwards the question), page by page, with the
 * period's opening, in, out and closing balances. */
#ifndef HB_CLI_STATEMENT_H
#define HB_CLI_STATEMENT_H

#include "cli_command.h"

extern const hb_cli_command_t hb_cli_statement_statement;

#endif
