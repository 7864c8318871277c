/* cli_period.h - a member's ledger entries over a period, as `statement`
 * and `passbook` ask central for them (through the station).
 *
 * A period is two district days (PROTOCOL.md, "Time and days"): --from
 * DATE is that day's local 00:00, --until DATE the end of that day (the
 * next day's local 00:00, which StatementQuery.until excludes); a date and
 * time ("YYYY-MM-DD HH:MM") means that instant. --since is --from's older
 * name. Either may be left out (from the first entry, up to now).
 */
#ifndef HB_CLI_PERIOD_H
#define HB_CLI_PERIOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli_command.h"
#include "hourbank.pb-c.h"

typedef struct {
    const char *from_text;   /* borrowed from the args; NULL when not given */
    const char *until_text;  /* borrowed from the args; NULL when not given */
    int64_t from;            /* StatementQuery.from; 0 = from the first entry */
    int64_t until;           /* StatementQuery.until; 0 = up to now */
} hb_cli_period_t;

/* Reads --from (or --since) and --until from args and checks what no time
 * zone changes (their form), before the station is asked. 0, or an exit
 * code after reporting. */
int hb_cli_period_check(hb_cli_t *cli, const hb_cli_args_t *args, hb_cli_period_t *period);
/* Once the district's zone is in force: the instants, and that the period
 * ends after it begins. 0, or an exit code after reporting. */
int hb_cli_period_read(hb_cli_t *cli, hb_cli_period_t *period);
/* The period in words into buf: "2026-12-01 to 2026-12-07", "from
 * 2026-12-01", "until 2026-12-07", "all entries". Returns buf. */
char *hb_cli_period_text(char *buf, size_t size, const hb_cli_period_t *period);
/* Asks for one page of member_no's entries in the period: at most limit
 * entries (1..HB_STATEMENT_ENTRIES_MAX) with position below before_id (0
 * = the newest). Returns 0 with *reply_out holding a StatementReply
 * (caller owns; hb_wire_free), or an exit code after reporting (an unknown
 * member, central out of reach, any other refusal). */
int hb_cli_period_ask(hb_cli_t *cli, const char *member_no, const hb_cli_period_t *period, uint64_t before_id,
                      uint32_t limit, Hourbank__Envelope **reply_out);
/* The member's part in an entry ("provider", "recipient", "giver",
 * "receiver", "donor", "leaver", "heir") in the operator's language; as sent when unknown. */
const char *hb_cli_period_role(const char *role);
/* True when the entry is care the member received that the guarantee paid
 * (0 moved for them). */
bool hb_cli_period_guarantee_paid(const Hourbank__StatementEntry *e);
/* The entry's day of service, "YYYY-MM-DD" (its posting day in the
 * district when central did not say). Returns buf. */
char *hb_cli_period_day(char *buf, size_t size, const Hourbank__StatementEntry *e);
/* The entry's service in a few words (a passbook line): the category of a
 * service, else its kind ("gift", "donation"), a void with the op it
 * reverses ("void of 1:42"), an opening balance as one from the paper
 * books (not service), a leave's hours as the leaver's or inherited.
 * Returns buf. */
char *hb_cli_period_service(char *buf, size_t size, const Hourbank__StatementEntry *e);
/* Sorts a page's entries into posting order (oldest first); central sends
 * them newest first. */
void hb_cli_period_sort(Hourbank__StatementReply *r);

#endif
