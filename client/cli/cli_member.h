/* cli_member.h - `member add`, `member show`, `member find`: registering
 * members at this station and looking them up in its directory (the
 * station's members and the last snapshot of the city's directory). */
#ifndef HB_CLI_MEMBER_H
#define HB_CLI_MEMBER_H

#include "cli_command.h"
#include "hourbank.pb-c.h"

#include <stdbool.h>

extern const hb_cli_command_t hb_cli_member_add;
extern const hb_cli_command_t hb_cli_member_show;
extern const hb_cli_command_t hb_cli_member_find;

/* Whether no is one of m's numbers: its first or a later one (moves). */
bool hb_cli_member_has_number(const Hourbank__Member *m, const char *no);

/* Asks the station's directory for the member numbered no (any of their
 * numbers) into *out (caller owns the reply envelope *reply_out, which
 * holds *out; hb_wire_free). 0, or an exit code after reporting (a
 * member not known: hb_cli_report_member_not_found). */
int hb_cli_member_lookup(hb_cli_t *cli, char *no, Hourbank__Envelope **reply_out, const Hourbank__Member **out);

#endif
