/* cli_period_words.h - a period of a member's entries and the words of an
 * entry (its day, its service, who paid), as the CLI's statement and
 * passbook and the console's passbook show them. Asking for the entries
 * is the CLI's (client/cli/cli_period.h) or the console's own. */
#ifndef HB_CLI_PERIOD_WORDS_H
#define HB_CLI_PERIOD_WORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hourbank.pb-c.h"

typedef struct {
    const char *from_text;   /* borrowed from the args; NULL when not given */
    const char *until_text;  /* borrowed from the args; NULL when not given */
    int64_t from;            /* StatementQuery.from; 0 = from the first entry */
    int64_t until;           /* StatementQuery.until; 0 = up to now */
} hb_cli_period_t;

/* The period in words into buf: "2026-12-01 to 2026-12-07", "from
 * 2026-12-01", "until 2026-12-07", "all entries". Returns buf. */
char *hb_cli_period_text(char *buf, size_t size, const hb_cli_period_t *period);

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
