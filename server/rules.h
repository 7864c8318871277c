/* rules.h - central.yaml's directory and rules, copied into PostgreSQL.
 * The ledger's posting functions read rules from the database, so every
 * operation is posted under a recorded rules version, and a second central
 * sees exactly what the first one saw. */
#ifndef HB_RULES_H
#define HB_RULES_H

#include <libpq-fe.h>

#include "hb_config.h"

/* In one transaction: upserts districts, communities and stations (stations
 * missing from conf are marked inactive), and records a new rules version
 * when the rules differ from the newest one. *version_out receives the rules
 * version now in force. Returns 0, or -1 with the reason in msg. */
int hb_rules_sync(PGconn *pg, const hb_central_conf_t *conf, int *version_out, char *msg,
                  size_t msg_size);

#endif
