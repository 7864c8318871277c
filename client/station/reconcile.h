/* reconcile.h - a station's reconcile run (PROTOCOL.md "Reconciliation"):
 * it compares, range by range of its seqs, what it holds acked with what
 * central's rows hold now, lists the ranges that differ, names each op
 * that differs (missing at central, altered at central, held only by
 * central), marks the missing ones for resending (the link sends them in
 * ordinary batches), waits for their answers, and sends central the
 * report. An asynchronous state machine driven by central's replies and
 * the loop's ticks: the station saves and syncs meanwhile. One run at a
 * time: asked for by the CLI (ReconcileRequest) or by itself when idle
 * for reconcile_interval (report.idle). */
#ifndef HB_RECONCILE_H
#define HB_RECONCILE_H

#include <stdbool.h>
#include <stdint.h>

#include "hb_result.h"
#include "outbox.h"
#include "sync.h"
#include "hourbank.pb-c.h"

/* The token of the run's queries to central (hb_sync_forward): above
 * every token of the local API's (0..HB_FORWARD_MAX-1). */
#define HB_RECONCILE_TOKEN UINT64_MAX

typedef struct hb_reconcile hb_reconcile_t;

/* Called once when a run that hb_reconcile_start() began ends: code OK
 * with the report (borrowed for the call), or UNAVAILABLE / INTERNAL with
 * a one-line reason in msg and no report. */
typedef void(hb_reconcile_done_fn)(void *arg, hb_result_t code, const char *msg,
                                   const Hourbank__ReconcileReport *report);

/* outbox: borrowed, must outlive the object. interval_s: seconds between
 * idle runs (station.yaml reconcile_interval). When the outbox never
 * recorded a run, now is recorded as the start of the idle clock. */
hb_reconcile_t *hb_reconcile_new(hb_outbox_t *outbox, int64_t interval_s);
/* A run under way ends (its done is called with UNAVAILABLE). */
void hb_reconcile_destroy(hb_reconcile_t **self_p);
/* The link the runs use; borrowed (a reload may replace it: set again). */
void hb_reconcile_set_sync(hb_reconcile_t *self, hb_sync_t *sync);
void hb_reconcile_set_interval(hb_reconcile_t *self, int64_t interval_s);

/* Starts a run from from_day (YYYY-MM-DD, already validated, or "" for
 * every op retained). OK: done is called when it ends (which may be
 * before this returns: the link refused the first query). UNAVAILABLE with msg while the link is not up or another
 * run is under way; INTERNAL with msg on a disk error. */
hb_result_t hb_reconcile_start(hb_reconcile_t *self, const char *from_day, bool idle, hb_reconcile_done_fn *done,
                               void *arg, char *msg, size_t msg_size);
bool hb_reconcile_running(const hb_reconcile_t *self);
/* Central's reply to the run's query (HB_RECONCILE_TOKEN); NULL when
 * central did not answer in time or the link was lost. Borrowed. */
void hb_reconcile_on_reply(hb_reconcile_t *self, const Hourbank__Envelope *reply);
/* The loop's tick: a run waiting for its resends' answers goes on when
 * they came or the wait is over, and ends when the link is lost; an idle
 * run starts when the link is up, nothing is pending, and interval_s has
 * passed since the last run ended. now: Unix seconds. */
void hb_reconcile_tick(hb_reconcile_t *self, int64_t now);

#endif
