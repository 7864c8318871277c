/* cli_passbook.h - `passbook`: the passbook an elder takes home. The
 * station and community, the member, the period, one line per entry (day
 * of service, service, hours in, hours out, balance) and the totals, as
 * text exactly 32 or 48 columns wide for a receipt printer
 * (cli_passbook_text.c) or as one self-contained HTML page that prints on
 * A4 or A5 (cli_passbook_html.c), in zh_CN or en. */
#ifndef HB_CLI_PASSBOOK_H
#define HB_CLI_PASSBOOK_H

#include <stdint.h>
#include <stdio.h>

#include "cli_command.h"
#include "cli_passbook_model.h"
#include "cli_period.h"
#include "hourbank.pb-c.h"

extern const hb_cli_command_t hb_cli_passbook_passbook;


/* Writes the passbook as text, every line exactly width (32 or 48)
 * terminal columns wide, in the language in force. */
void hb_cli_passbook_text_write(FILE *out, const hb_cli_passbook_t *pb, int width);

#endif
