/* rules_check.h - what only central can check in central.yaml: the file
 * against the database it is about to be copied into (server/rules.c).
 *
 * - Nothing that holds members or operations is dropped. A district,
 *   community or station in the database that members belong to (or were
 *   registered at) or that operations came from must stay in the file:
 *   dropping a district would leave its members without rules (ops naming
 *   them are refused NO_DISTRICT_RULES), and the ledger's history names
 *   them all. A station is retired instead (retired: true); a district or
 *   community stays. Each one missing is reported at the file:line:column
 *   of the list it should be in (that of its district's communities, its
 *   community's stations, or the districts list when its parent is gone too).
 * - Every time zone in force is one PostgreSQL knows (pg_timezone_names):
 *   the loader checked the tz database files; the database may have its
 *   own copy.
 *
 * hourbank-central --check-config cannot make these checks (it opens no
 * database); central makes them at start (a refusal stops it) and on
 * SIGHUP (a refusal keeps the running configuration). */
#ifndef HB_RULES_CHECK_H
#define HB_RULES_CHECK_H

#include <libpq-fe.h>

#include "hb_config.h"

/* Runs the checks in the caller's transaction. Returns 0; 1 when conf is
 * refused, every reason logged as "file:line:column: ..." and a summary in
 * msg; -1 on a database error, its text in msg. */
int hb_rules_check(PGconn *pg, const hb_central_conf_t *conf, char *msg, size_t msg_size);

#endif
