/* reconcile.h - central's record of the stations' reconcile runs
 * (proto/PROTOCOL.md "Reconciliation"; table station_reconcile, migration
 * 0015): each station's last report, written by the writer thread on the
 * writer connection (the query connection may be a read-only standby). */
#ifndef HB_RECONCILE_H
#define HB_RECONCILE_H

#include <stdint.h>

#include <libpq-fe.h>

#include "hourbank.pb-c.h"

/* Replaces station_id's last report with report (borrowed; validated by
 * hb_wire_unpack) in one statement, outside any transaction, and logs
 * what it found: `ALERT reconcile: station S ...` when it holds altered,
 * extra or unanswered missing ops, a warning instead when those findings
 * are the previous report's, an info line otherwise. Returns 0, or -1
 * (logged) when the statement failed. */
int hb_reconcile_record(PGconn *pg, uint32_t station_id, const Hourbank__ReconcileReport *report);

#endif
