/* writer.h - the ledger writer on its own thread. It owns the hb_ledger_t
 * (the single writer connection): connects and reconnects with capped
 * backoff, logs the connection's state once per change, records the rules
 * (hb_rules_sync) at every connect, and applies groups of batches handed to
 * it by the main loop, one transaction per group. The main loop never waits
 * for it: it keeps answering queries and collecting the next group.
 *
 * A group travels as a pointer (hb_worker.h): hb_writer_send moves the
 * group to the writer, hb_writer_recv gives it back, done, in the order
 * sent. In a group the writer does, in this order: the batches (one
 * transaction), the hellos (each station's high-water and member serial
 * marks, read after the batches committed; its last contact and the seq it
 * says central acknowledged are recorded), the stations' reconcile
 * reports (each station's last, reconcile.h), the stations' last contact
 * times the main loop gathered, then the rules sync, so that
 * batches received before a reload post under the old rules and batches
 * in later groups under the new ones. */
#ifndef HB_WRITER_H
#define HB_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_config.h"
#include "hb_limits.h"
#include "ledger.h"

/* A station's hello, answered after the batches before it committed. */
typedef struct {
    uint32_t station_id;       /* filled by the caller */
    uint64_t station_acked;    /* ... Hello.last_acked_seq, at most HB_SEQ_MAX */
    int64_t high_water;        /* filled by the writer; -1 when the database failed */
    int64_t member_serial_mark;
    int64_t directory_version;
    char time_zone[HB_TIME_ZONE_BYTES_MAX + 1];  /* "" when not known (or the database failed) */
    uint32_t rules_version;    /* 0 when not known */
} hb_writer_hello_t;

/* A station's reconcile report, recorded (reconcile.h) after the hellos. */
typedef struct {
    uint32_t station_id;       /* filled by the caller */
    const Hourbank__ReconcileReport *report;  /* ... borrowed, kept alive with the group */
    int rc;                    /* filled by the writer: 0 recorded, -1 not */
} hb_writer_report_t;

typedef struct {
    /* ---- filled by the caller ---- */
    size_t n_jobs;
    hb_ledger_job_t jobs[HB_GROUP_BATCHES_MAX];  /* as hb_ledger_apply wants them */
    size_t n_hellos;
    hb_writer_hello_t hellos[HB_GROUP_HELLOS_MAX];
    size_t n_reports;
    hb_writer_report_t reports[HB_GROUP_REPORTS_MAX];
    /* Stations' last contact times to record after the hellos, in one
     * statement (hb_ledger_contacts); NULL when n_contacts is 0. Owned by
     * the caller, like the group. */
    size_t n_contacts;
    hb_ledger_contact_t *contacts;
    /* NULL, or new rules to record after the batches and hellos. Borrowed:
     * the writer keeps using them (to sync at reconnect) when rules_rc is
     * 0, until it returns a later group with rules_rc 0; the caller must
     * keep them alive that long, and may free them when rules_rc is -1. */
    const hb_central_conf_t *rules;
    /* ---- filled by the writer ---- */
    int apply_rc;             /* hb_ledger_apply's: -1 = nothing committed, send no ack */
    int rules_rc;             /* 0 recorded (or no database: recorded at reconnect), -1 refused */
    int rules_version;        /* in force after rules_rc 0; 0 when not known yet */
    char rules_msg[HB_MESSAGE_BYTES_MAX];   /* why rules_rc is -1 */
} hb_writer_group_t;

typedef struct hb_writer hb_writer_t;

/* Starts the writer thread; it connects at once. ctx: borrowed for the
 * writer's life. conninfo: copied. rules: borrowed as hb_writer_group_t's
 * rules (until a group with new rules comes back with rules_rc 0). */
hb_writer_t *hb_writer_new(void *ctx, const char *conninfo, const hb_central_conf_t *rules);
/* Stops the thread after the group in hand and joins it; receive every
 * group sent before. */
void hb_writer_destroy(hb_writer_t **self_p);

/* Moves group (n_jobs + n_hellos + n_reports + n_contacts > 0 or rules set) to the
 * writer. */
void hb_writer_send(hb_writer_t *self, hb_writer_group_t *group);
/* A group back from the writer (the caller owns it again), or NULL when
 * none is waiting. *fatal is set (and NULL returned) when the writer found
 * a schema this binary cannot use (logged); it then applies nothing more. */
hb_writer_group_t *hb_writer_recv(hb_writer_t *self, bool *fatal);
/* For zmq_poll (ZMQ_POLLIN). Borrowed. */
void *hb_writer_socket(hb_writer_t *self);

#endif
