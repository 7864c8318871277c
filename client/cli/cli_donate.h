/* cli_donate.h - `donate MEMBER DURATION --reason TEXT`: hours a member
 * gives to the pool (the donation account), saved at the station like
 * every other op. */
#ifndef HB_CLI_DONATE_H
#define HB_CLI_DONATE_H

#include "cli_command.h"

extern const hb_cli_command_t hb_cli_donate_donate;

#endif
