/* cli_life.h - members' lives at this station (issue 15): `member amend`
 * (a correction of name, birth year, phone, family links) and `member
 * move` (the member's home becomes this station's community; a new card
 * number, the old ones keep working) in cli_life.c; `member leave` (the
 * hours go by the district's rule, the personal data is erased) in
 * cli_leave.c. */
#ifndef HB_CLI_LIFE_H
#define HB_CLI_LIFE_H

#include "cli_command.h"
#include "hourbank.pb-c.h"

extern const hb_cli_command_t hb_cli_life_amend;
extern const hb_cli_command_t hb_cli_life_move;
extern const hb_cli_command_t hb_cli_life_leave;

/* hb_cli_member_lookup without the error line: a member the directory
 * does not know (yet) is no failure of the command that asks. */
int hb_cli_life_lookup_quietly(hb_cli_t *cli, char *no, Hourbank__Envelope **reply_out, const Hourbank__Member **out);

#endif
