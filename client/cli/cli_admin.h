/* cli_admin.h - the admin commands, asked of central over CURVE with an
 * admin key (admin.yaml): `stations` (each station's last contact,
 * high-water mark and lag) and `verify` (the ledger's invariants). */
#ifndef HB_CLI_ADMIN_H
#define HB_CLI_ADMIN_H

#include "cli_command.h"

extern const hb_cli_command_t hb_cli_admin_stations;
extern const hb_cli_command_t hb_cli_admin_verify;

#endif
