/* cli_member.h - `member add`, `member show`, `member find`: registering
 * members at this station and looking them up in its directory (the
 * station's members and the last snapshot of the city's directory). */
#ifndef HB_CLI_MEMBER_H
#define HB_CLI_MEMBER_H

#include "cli_command.h"

extern const hb_cli_command_t hb_cli_member_add;
extern const hb_cli_command_t hb_cli_member_show;
extern const hb_cli_command_t hb_cli_member_find;

#endif
