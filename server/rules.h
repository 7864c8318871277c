/* rules.h - central.yaml's directory and rules, copied into PostgreSQL.
 * The ledger's posting functions read rules from the database, so every
 * operation is posted under a recorded rules version, and a second central
 * sees exactly what the first one saw.
 *
 * Which rules an op meets (SIGHUP and occurred_at): an op is judged by the
 * rules version in force when it reaches central, not by the one in force
 * at its occurred_at. occurred_at comes from the station's clock and is
 * only data: choosing rules by it would let a clock pick the rules. On
 * SIGHUP, batches already received are committed under the old version
 * first; every op that arrives afterwards meets the new caps, floors, daily
 * limits, payer rules, catalogue and budget, even if it happened days
 * earlier at a station that was offline. occurred_at still decides which
 * day a daily limit counts and the recipient's age for payer rules (the
 * local day and year in the time zone of the provider's and the
 * recipient's district in the version in force), and it
 * must lie within the new clock_skew and max_record_age of central's clock
 * at arrival, so shrinking max_record_age turns queued offline records
 * TOO_OLD. Results are final across reloads: an op rejected under the old
 * rules stays rejected when resent (record it again, under a new seq), and
 * an op accepted stays accepted. Each transfer names its rules_version. */
#ifndef HB_RULES_H
#define HB_RULES_H

#include <libpq-fe.h>

#include "hb_config.h"

/* hb_rules_sync's answer when the database refuses conf (rules_check.h). */
#define HB_RULES_REFUSED (-2)

/* In one transaction: checks conf against the database (rules_check.h),
 * upserts districts, communities and stations (stations missing from conf
 * are marked inactive), and records a new rules version when the rules
 * (time zones included) differ from the newest one. *version_out receives
 * the rules version now in force. Returns 0; HB_RULES_REFUSED when conf is
 * refused (reasons logged, the first in msg), nothing changed; or -1 with
 * the database's error in msg. */
int hb_rules_sync(PGconn *pg, const hb_central_conf_t *conf, int *version_out, char *msg,
                  size_t msg_size);

#endif
