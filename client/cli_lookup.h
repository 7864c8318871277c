/* cli_lookup.h - looking operations up at the station: `queue show
 * STATION:SEQ` (one operation in any state: pending, accepted, rejected,
 * dismissed, changed when resent) and `queue find --note TEXT` (operations
 * whose note or reason contains TEXT, newest first). */
#ifndef HB_CLI_LOOKUP_H
#define HB_CLI_LOOKUP_H

#include "cli_command.h"

extern const hb_cli_command_t hb_cli_lookup_show;
extern const hb_cli_command_t hb_cli_lookup_find;

#endif
