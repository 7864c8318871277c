/* cli_keygen.h - `keygen DIR/NAME`: a CURVE key pair for a station, central
 * or an administrator, as DIR/NAME.public (0644) and DIR/NAME.secret (0600).
 * Never overwrites: if either file exists nothing is written (EX_CANTCREAT). */
#ifndef HB_CLI_KEYGEN_H
#define HB_CLI_KEYGEN_H

#include "cli_command.h"

extern const hb_cli_command_t hb_cli_keygen_keygen;

#endif
