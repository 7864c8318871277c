/* cli_reconcile.h - `reconcile`: the station compares what it holds with
 * central's rows now (PROTOCOL.md "Reconciliation"), resends what central
 * lacks and names every difference. Exit 0 when everything compared
 * agreed, 1 when differences were found, EX_UNAVAILABLE when the link is
 * down or a run is under way, EX_DATAERR for a bad --from. */
#ifndef HB_CLI_RECONCILE_H
#define HB_CLI_RECONCILE_H

#include "cli_command.h"

extern const hb_cli_command_t hb_cli_reconcile_reconcile;

#endif
