/* query.h - read-only questions to the ledger, on their own connection so
 * that queries never wait behind the writer's transaction.
 * A query the database refuses as a data exception (SQLSTATE class 22, a
 * value it cannot take) is answered MALFORMED: asking again cannot help.
 * A lost, unreachable or silent database is answered UNAVAILABLE. */
#ifndef HB_QUERY_H
#define HB_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_result.h"
#include "hourbank.pb-c.h"

typedef struct hb_query hb_query_t;

/* conninfo: copied. Connects lazily, at most connect_timeout_s per
 * attempt (libpq's connect_timeout; 0 = none), and after a failed attempt
 * not again before a capped backoff (HB_QUERY_RETRY_DELAY_MS_MIN doubling
 * to HB_DB_RETRY_DELAY_MS_MAX); meanwhile queries are answered UNAVAILABLE at
 * once. statement_timeout_s (0 = none) is the session's statement_timeout,
 * and a statement whose answer has not come HB_QUERY_REPLY_GRACE_MS after
 * it (a stopped server, a black hole) drops the connection: UNAVAILABLE. */
hb_query_t *hb_query_new(const char *conninfo, int connect_timeout_s, int statement_timeout_s);

/* The directory query's SQL ($1 since_version, $2 limit), for tests that
 * check its plan. */
extern const char hb_query_directory_sql[];
void hb_query_destroy(hb_query_t **self_p);

/* A reply built by a query. Strings and arrays inside env belong to the
 * reply's arena; free everything with hb_query_reply_free. */
typedef struct hb_query_reply hb_query_reply_t;
Hourbank__Envelope *hb_query_reply_envelope(hb_query_reply_t *reply);
void hb_query_reply_free(hb_query_reply_t **reply_p);

/* Answers a validated query envelope (balance, statement, member,
 * directory, categories, stations, verify, rules, reconcile). Who may ask is the
 * caller's decision (stations and verify are for admin keys); station_id is
 * who asks (0: an admin key), for the answers that say so. Returns the reply
 * (caller owns it), or NULL with *code and msg set (NOT_FOUND, MALFORMED,
 * UNAVAILABLE, INTERNAL). */
hb_query_reply_t *hb_query_answer(hb_query_t *self, const Hourbank__Envelope *req, uint32_t station_id,
                                  hb_result_t *code, char *msg, size_t msg_size);

#endif
