/* cli_words.h - the words stations and central send as data (an op's
 * kind, a link's state, an op's status, the station's one-line summary of
 * an op), shown in the operator's language. JSON keeps them as sent.
 * A word this CLI does not know (a newer peer's) is shown as it came.
 */
#ifndef HB_CLI_WORDS_H
#define HB_CLI_WORDS_H

#include <stddef.h>

/* An op's or a ledger entry's kind: "register", "service", "overflow",
 * "gift", "void", "donation", "invalid", "amend", "move", "leave",
 * "opening". Borrowed/static; never NULL. */
const char *hb_cli_words_kind(const char *kind);

/* A statement entry's counterparty when it is not a member: a system
 * account ("guarantee", "donation", "opening"); a member number is shown
 * as it is. */
const char *hb_cli_words_account(const char *counterparty);

/* A link's state: "up", "down", "connecting". */
const char *hb_cli_words_link(const char *link);

/* An op's status: "pending", "accepted", "rejected". */
const char *hb_cli_words_status(const char *status);

/* A station's state: "active", "retired". */
const char *hb_cli_words_state(const char *state);

/* The station's summary of an op (client/outbox_save.c: "service A → B
 * 1h 30m meal", "register NO NAME", "gift A → B 2h", "void station S seq
 * Q: REASON", "amend NO", "move A → B", "leave NO", "opening NO -3h")
 * without its leading kind word and with its amount and
 * reference in the operator's words, into buf; a summary of another form
 * is copied as it is. Returns buf. */
char *hb_cli_words_summary(char *buf, size_t size, const char *summary);

/* A district's gifts rule: "none", "family", "any". */
const char *hb_cli_words_gifts(const char *gifts);

/* A district's leaver_hours rule: "pool", "family" ("" = not said). */
const char *hb_cli_words_leaver(const char *leaver_hours);

#endif
