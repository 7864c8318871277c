/* ledger.h - the writer: applies batches of station operations to the
 * PostgreSQL ledger, exactly once, with group commit.
 *
 * One hb_ledger_t owns the single writer connection. Several batches (from
 * one or many stations) are applied in one transaction so that one commit,
 * one fsync, serves them all. Each op is checked on its own first
 * (hb_wire_validate_op: hb_wire_unpack checks only a batch's structure);
 * a valid op is decided by the posting rules (group.h, posting.h), an
 * invalid one is refused. Either way an idempotency row per (station, seq)
 * stores its payload hash and final result, so one bad op is rejected
 * alone, for good, instead of making its whole batch unacceptable
 * forever. */
#ifndef HB_LEDGER_H
#define HB_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "hb_limits.h"
#include "hb_result.h"
#include "hb_wire.h"
#include "hourbank.pb-c.h"

typedef struct hb_ledger hb_ledger_t;

typedef struct {
    hb_result_t result;
    /* the result's values, "name=value" lines (PROTOCOL.md "Result
     * values"); legacy: the English prose of a result stored before
     * values existed (migration 0012) */
    char message[HB_MESSAGE_BYTES_MAX];
    bool legacy;
    uint64_t transfer_id;
    /* the op row's payload hash and posting day (OpResult.payload_hash,
     * posted_day); has_row false when no row holds the op's content (an
     * EXISTS_WITH_DIFFERENT_PAYLOAD answer): then neither is sent.
     * posted_day "" when the row has none. */
    bool has_row;
    uint8_t payload_hash[HB_WIRE_HASH_BYTES];
    char posted_day[HB_DAY_TEXT_BYTES + 1];
} hb_ledger_outcome_t;

/* One station's batch in a group. The caller fills station_id and batch
 * (borrowed, valid through hb_ledger_apply; its structure checked by
 * hb_wire_unpack); the ledger fills the rest. */
typedef struct {
    uint32_t station_id;
    const Hourbank__Batch *batch;
    /* "" or, filled by the caller (writer.c), why every new op of the batch
     * is refused NOT_AUTHORIZED (its station is retired); replays keep their
     * stored results */
    char refusal[HB_MESSAGE_BYTES_MAX];
    /* per op of batch: its size on the wire when it is not in canonical
     * encoding, else 0 (hb_wire_unpack_ops); such an op is refused alone */
    uint32_t op_wire_bytes[HB_BATCH_OPS_MAX];
    hb_result_t batch_result;            /* OK or SEQ_GAP */
    char message[HB_MESSAGE_BYTES_MAX];
    uint64_t high_water_mark;            /* after this batch */
    hb_ledger_outcome_t outcomes[HB_BATCH_OPS_MAX];
} hb_ledger_job_t;

/* conninfo: copied. Does not connect; call hb_ledger_connect. */
hb_ledger_t *hb_ledger_new(const char *conninfo);
void hb_ledger_destroy(hb_ledger_t **self_p);

/* Connects when not connected and checks the schema. Returns 0 when the
 * ledger is usable. A schema this binary cannot use is fatal: *fatal is set
 * and msg says why (run migrate / upgrade). */
int hb_ledger_connect(hb_ledger_t *self, bool *fatal, char *msg, size_t msg_size);
bool hb_ledger_connected(const hb_ledger_t *self);
/* New rules were recorded (a reload): forgets what groups remembered,
 * since the minutes served per day are kept by the day's start, and a
 * changed time zone changes where days end. */
void hb_ledger_rules_changed(hb_ledger_t *self);
/* The writer connection, borrowed; NULL when disconnected. */
PGconn *hb_ledger_pg(hb_ledger_t *self);

/* Applies jobs[0..n) in one transaction and commits. Returns 0 when every
 * job has its results; -1 on a database failure, in which case nothing was
 * committed and no result may be sent (stations will resend). When a group
 * fails for a reason other than a lost connection, each job is retried in
 * its own transaction; a job that still fails gets batch_result INTERNAL. */
int hb_ledger_apply(hb_ledger_t *self, hb_ledger_job_t *jobs, size_t n);

/* Why the last statement failed (e.g. the connection was lost), on one
 * line; "" if none did. Borrowed, valid until the next call on self. */
const char *hb_ledger_error(const hb_ledger_t *self);

/* What central answers a station's hello with. */
typedef struct {
    int64_t high_water;          /* highest seq with a stored result for the station */
    int64_t member_serial_mark;  /* highest serial of a member the station registered, or of a
                                    number of its own range it was refused (0 = none) */
    int64_t directory_version;   /* the directory's sequence now: a station caching a higher
                                    version reads the directory again (central was restored) */
    char time_zone[HB_TIME_ZONE_BYTES_MAX + 1];  /* the zone of the station's district in the newest
                                                    rules; "" when they have none for it */
    uint32_t rules_version;      /* the rules version in force (0: none yet) */
} hb_ledger_marks_t;

/* A station's hello, in one statement: records its last contact and the
 * seq it says central acknowledged (station_acked, at most HB_SEQ_MAX;
 * `hourbank stations` shows it), and reads its marks. Returns 0, or -1 when
 * the database failed or does not know the station (logged). */
int hb_ledger_hello(hb_ledger_t *self, uint32_t station_id, uint64_t station_acked, hb_ledger_marks_t *out);

/* When a station last sent anything (Unix seconds). */
typedef struct {
    uint32_t station_id;
    int64_t at_s;
} hb_ledger_contact_t;

/* Records contacts[0..n) in station.last_contact, in one statement; a
 * time older than the one recorded is ignored. Returns 0, or -1 (logged)
 * when the statement failed. */
int hb_ledger_contacts(hb_ledger_t *self, const hb_ledger_contact_t *contacts, size_t n);

#endif
