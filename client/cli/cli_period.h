/* cli_period.h - a member's ledger entries over a period, as `statement`
 * and `passbook` ask central for them (through the station).
 *
 * A period is two district days (PROTOCOL.md, "Time and days"): --from
 * DATE is that day's local 00:00, --until DATE the end of that day (the
 * next day's local 00:00, which StatementQuery.until excludes); a date and
 * time ("YYYY-MM-DD HH:MM") means that instant. --since is --from's older
 * name. Either may be left out (from the first entry, up to now).
 * The period itself and the words of an entry, which the console shares,
 * are in client/shared/cli_period_words.h.
 */
#ifndef HB_CLI_PERIOD_H
#define HB_CLI_PERIOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli_command.h"
#include "cli_period_words.h"
#include "hourbank.pb-c.h"


/* Reads --from (or --since) and --until from args and checks what no time
 * zone changes (their form), before the station is asked. 0, or an exit
 * code after reporting. */
int hb_cli_period_check(hb_cli_t *cli, const hb_cli_args_t *args, hb_cli_period_t *period);
/* Once the district's zone is in force: the instants, and that the period
 * ends after it begins. 0, or an exit code after reporting. */
int hb_cli_period_read(hb_cli_t *cli, hb_cli_period_t *period);
/* Asks for one page of member_no's entries in the period: at most limit
 * entries (1..HB_STATEMENT_ENTRIES_MAX) with position below before_id (0
 * = the newest). Returns 0 with *reply_out holding a StatementReply
 * (caller owns; hb_wire_free), or an exit code after reporting (an unknown
 * member, central out of reach, any other refusal). */
int hb_cli_period_ask(hb_cli_t *cli, const char *member_no, const hb_cli_period_t *period, uint64_t before_id,
                      uint32_t limit, Hourbank__Envelope **reply_out);

#endif
