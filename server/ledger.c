#include "ledger.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hb_assert.h"
#include "hb_log.h"
#include "hb_wire.h"
#include "migrate.h"

#define APPLY_PARAMS 14
#define REJECT_PARAMS 7
/* In pipeline mode a call gives at most one result, then NULL; a sync gives one. */
#define PIPELINE_RESULTS_PER_CALL 2

struct hb_ledger {
    char *conninfo;
    PGconn *pg;
    char error[HB_MESSAGE_BYTES_MAX];  /* why the last statement failed, one line */
    bool lost;                         /* ... and it was the connection's failure */
};

/* Results of applying a group of jobs in one transaction. */
typedef enum {
    GROUP_COMMITTED,
    GROUP_FAILED,       /* a statement failed, the connection is fine: retry jobs alone */
    GROUP_NO_DATABASE   /* the connection is gone: nothing can be retried now */
} group_rc_t;

static const char APPLY_SQL[] =
    "SELECT result, message, transfer_id FROM hb_apply_op($1::integer, $2::bigint, $3::bytea, $4,"
    " $5::bigint, $6, $7, $8::bigint, $9, $10, $11::smallint, $12::integer, $13::integer, $14::bigint)";

static const char REJECT_SQL[] =
    "SELECT result, message, transfer_id FROM hb_reject_op($1::integer, $2::bigint, $3::bytea, $4,"
    " $5::bigint, $6::integer, $7)";

hb_ledger_t *
hb_ledger_new(const char *conninfo)
{
    hb_ledger_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->conninfo = strdup(conninfo);
    hb_assert(self->conninfo);
    return self;
}

void
hb_ledger_destroy(hb_ledger_t **self_p)
{
    hb_assert(self_p);
    hb_ledger_t *self = *self_p;
    if (!self)
        return;
    if (self->pg)
        PQfinish(self->pg);
    free(self->conninfo);
    free(self);
    *self_p = NULL;
}

bool
hb_ledger_connected(const hb_ledger_t *self)
{
    hb_assert(self);
    return self->pg && PQstatus(self->pg) == CONNECTION_OK;
}

PGconn *
hb_ledger_pg(hb_ledger_t *self)
{
    hb_assert(self);
    return hb_ledger_connected(self) ? self->pg : NULL;
}

/* Server notices (e.g. "terminating connection due to immediate shutdown")
 * are not log lines; what matters is logged where a statement fails. */
static void
ignore_notice(void *arg, const char *message)
{
    (void) arg;
    (void) message;
}

static void
drop_connection(hb_ledger_t *self)
{
    if (self->pg)
        PQfinish(self->pg);
    self->pg = NULL;
}

static int
prepare(hb_ledger_t *self, const char *name, const char *sql, int n_params, char *msg, size_t msg_size)
{
    PGresult *r = PQprepare(self->pg, name, sql, n_params, NULL);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        snprintf(msg, msg_size, "could not prepare statement \"%s\": %s", name, PQresultErrorMessage(r));
    PQclear(r);
    return ok ? 0 : -1;
}

int
hb_ledger_connect(hb_ledger_t *self, bool *fatal, char *msg, size_t msg_size)
{
    hb_assert(self && fatal);
    *fatal = false;
    if (hb_ledger_connected(self))
        return 0;
    drop_connection(self);
    self->pg = PQconnectdb(self->conninfo);
    if (PQstatus(self->pg) != CONNECTION_OK) {
        snprintf(msg, msg_size, "%s", PQerrorMessage(self->pg));
        msg[strcspn(msg, "\n")] = '\0';
        drop_connection(self);
        return -1;
    }
    PQsetNoticeProcessor(self->pg, ignore_notice, NULL);
    hb_schema_state_t s = hb_migrate_check(self->pg, msg, msg_size);
    if (s != HB_SCHEMA_CURRENT) {
        *fatal = s != HB_SCHEMA_ERROR;
        drop_connection(self);
        return -1;
    }
    if (prepare(self, "apply", APPLY_SQL, APPLY_PARAMS, msg, msg_size) != 0 ||
        prepare(self, "reject", REJECT_SQL, REJECT_PARAMS, msg, msg_size) != 0) {
        drop_connection(self);
        return -1;
    }
    return 0;
}

/* Keeps a failed statement's error, on one line. An error the server sent
 * has an SQLSTATE and is logged here; one libpq made up (the server went
 * away) marks the connection lost and is left to the caller's one "lost
 * connection" line. */
static void
note_error(hb_ledger_t *self, const char *what, const PGresult *r)
{
    self->lost = !r || !PQresultErrorField(r, PG_DIAG_SQLSTATE) || PQstatus(self->pg) != CONNECTION_OK;
    const char *text = r ? PQresultErrorMessage(r) : "";
    text = text[0] ? text : PQerrorMessage(self->pg);
    size_t len = 0;  /* newlines and tabs become single spaces */
    for (const char *c = text; *c && len + 1 < sizeof self->error; c++) {
        bool blank = *c == '\n' || *c == '\t' || *c == ' ';
        if (!blank)
            self->error[len++] = *c;
        else if (len > 0 && self->error[len - 1] != ' ')
            self->error[len++] = ' ';
    }
    while (len > 0 && self->error[len - 1] == ' ')
        len--;
    self->error[len] = '\0';
    if (!self->lost)
        hb_log_error("ledger statement failed statement=\"%s\" error=\"%s\"", what, self->error);
}

static int
exec_cmd(hb_ledger_t *self, const char *sql)
{
    PGresult *r = PQexec(self->pg, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        note_error(self, sql, r);
    PQclear(r);
    return ok ? 0 : -1;
}

int64_t
hb_ledger_high_water(hb_ledger_t *self, uint32_t station_id)
{
    hb_assert(self);
    if (!hb_ledger_connected(self))
        return -1;
    char id[16];
    snprintf(id, sizeof id, "%" PRIu32, station_id);
    const char *p[] = {id};
    PGresult *r = PQexecParams(self->pg, "SELECT coalesce(max(seq), 0) FROM op WHERE station_id = $1",
                               1, NULL, p, NULL, NULL, 0);
    int64_t hw = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
        hw = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    else
        note_error(self, "high-water mark", r);
    PQclear(r);
    return hw;
}

void
hb_ledger_touch(hb_ledger_t *self, uint32_t station_id)
{
    hb_assert(self);
    if (!hb_ledger_connected(self))
        return;
    char id[16];
    snprintf(id, sizeof id, "%" PRIu32, station_id);
    const char *p[] = {id};
    PGresult *r = PQexecParams(self->pg, "UPDATE station SET last_contact = now() WHERE id = $1",
                               1, NULL, p, NULL, NULL, 0);
    PQclear(r);
}

/* Text parameters of one op for hb_apply_op; strings borrowed from op. */
typedef struct {
    char station[16], seq[24], hash[2 + 2 * crypto_hash_sha256_BYTES + 1], occurred[24];
    char minutes[24], role[8], birth[16], tstation[16], tseq[24];
    const char *v[APPLY_PARAMS];
} apply_params_t;

static void
payload_hash(const Hourbank__Op *op, char *out, size_t out_size)
{
    size_t len = hourbank__op__get_packed_size(op);
    uint8_t *buf = malloc(len ? len : 1);
    hb_assert(buf);
    hourbank__op__pack(op, buf);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, buf, len);
    free(buf);
    out[0] = '\\';
    out[1] = 'x';
    sodium_bin2hex(out + 2, out_size - 2, h, sizeof h);
}

/* The op's kind as the op table spells it; "invalid" for an op without a
 * kind this central knows (only ever stored as a rejection). */
static const char *
kind_name(const Hourbank__Op *op)
{
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_REGISTER_MEMBER: return "register";
    case HOURBANK__OP__KIND_SERVICE: return "service";
    case HOURBANK__OP__KIND_GIFT: return "gift";
    case HOURBANK__OP__KIND_VOID_OP: return "void";
    default: return "invalid";
    }
}

static void
fill_kind(apply_params_t *p, const Hourbank__Op *op)
{
    static const char *const none = "";
    p->v[3] = kind_name(op);
    p->v[5] = p->v[6] = p->v[8] = p->v[9] = none;
    snprintf(p->minutes, sizeof p->minutes, "0");
    snprintf(p->role, sizeof p->role, "0");
    snprintf(p->birth, sizeof p->birth, "0");
    snprintf(p->tstation, sizeof p->tstation, "0");
    snprintf(p->tseq, sizeof p->tseq, "0");
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_REGISTER_MEMBER: {
        const Hourbank__RegisterMember *m = op->register_member;
        p->v[5] = m->member_no;
        p->v[6] = m->family_of;
        p->v[8] = m->name;
        snprintf(p->role, sizeof p->role, "%d", (int) m->role);
        snprintf(p->birth, sizeof p->birth, "%" PRIu32, m->birth_year);
        break;
    }
    case HOURBANK__OP__KIND_SERVICE:
        p->v[5] = op->service->provider;
        p->v[6] = op->service->recipient;
        p->v[8] = op->service->category;
        p->v[9] = op->service->note;
        snprintf(p->minutes, sizeof p->minutes, "%" PRId64, op->service->minutes);
        break;
    case HOURBANK__OP__KIND_GIFT:
        p->v[5] = op->gift->from_member;
        p->v[6] = op->gift->to_member;
        p->v[9] = op->gift->reason;
        snprintf(p->minutes, sizeof p->minutes, "%" PRId64, op->gift->minutes);
        break;
    case HOURBANK__OP__KIND_VOID_OP:
        p->v[9] = op->void_op->reason;
        snprintf(p->tstation, sizeof p->tstation, "%" PRIu32, op->void_op->target->station_id);
        snprintf(p->tseq, sizeof p->tseq, "%" PRIu64, op->void_op->target->seq);
        break;
    default:
        hb_unreachable();  /* apply_job rejects ops without a kind before this */
    }
}

static void
fill_params(apply_params_t *p, uint32_t station_id, const Hourbank__Op *op)
{
    snprintf(p->station, sizeof p->station, "%" PRIu32, station_id);
    snprintf(p->seq, sizeof p->seq, "%" PRIu64, op->seq);
    snprintf(p->occurred, sizeof p->occurred, "%" PRId64, op->occurred_at);
    payload_hash(op, p->hash, sizeof p->hash);
    fill_kind(p, op);
    p->v[0] = p->station;
    p->v[1] = p->seq;
    p->v[2] = p->hash;
    p->v[4] = p->occurred;
    p->v[7] = p->minutes;
    p->v[10] = p->role;
    p->v[11] = p->birth;
    p->v[12] = p->tstation;
    p->v[13] = p->tseq;
}

/* Queues a prepared hb_apply_op/hb_reject_op call (pipeline mode); its
 * result is read by read_op. A send fails only with the connection. */
static int
send_op(hb_ledger_t *self, const char *stmt, int n_params, const char *const *v)
{
    if (PQsendQueryPrepared(self->pg, stmt, n_params, v, NULL, NULL, 0) == 1)
        return 0;
    note_error(self, stmt, NULL);
    return -1;
}

/* Reads the result of one queued call, and the end of its results. */
static int
read_op(hb_ledger_t *self, const char *stmt, uint32_t station_id, const Hourbank__Op *op,
        hb_ledger_outcome_t *out)
{
    PGresult *r = PQgetResult(self->pg);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        char what[64];
        snprintf(what, sizeof what, "%s station=%" PRIu32 " seq=%" PRIu64, stmt, station_id, op->seq);
        note_error(self, what, r);
        PQclear(r);
        return -1;
    }
    out->result = (hb_result_t) strtol(PQgetvalue(r, 0, 0), NULL, 10);
    snprintf(out->message, sizeof out->message, "%s", PQgetvalue(r, 0, 1));
    out->transfer_id = PQgetisnull(r, 0, 2) ? 0 : strtoull(PQgetvalue(r, 0, 2), NULL, 10);
    PQclear(r);
    r = PQgetResult(self->pg);  /* NULL: this call's results are complete */
    if (r) {
        note_error(self, stmt, r);
        PQclear(r);
        return -1;
    }
    if (out->result == HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD)
        hb_log_warn("ALERT seq reused with a different payload station=%" PRIu32 " seq=%" PRIu64,
                    station_id, op->seq);
    else if (out->result != HB_RESULT_OK)
        hb_log_info("op rejected station=%" PRIu32 " seq=%" PRIu64 " code=%s message=\"%s\"", station_id,
                    op->seq, hb_result_name(out->result), out->message);
    return 0;
}

/* An op that fails validation on its own: its rejection is stored (or the
 * stored answer for its seq returned), so a resend gets the same answer. */
static int
send_reject(hb_ledger_t *self, uint32_t station_id, const Hourbank__Op *op, const hb_wire_error_t *why)
{
    hb_assert(why->code != HB_RESULT_OK && why->code != HB_RESULT_UNSET);
    char station[16], seq[24], hash[2 + 2 * crypto_hash_sha256_BYTES + 1], occurred[24], code[16];
    snprintf(station, sizeof station, "%" PRIu32, station_id);
    snprintf(seq, sizeof seq, "%" PRIu64, op->seq);
    snprintf(occurred, sizeof occurred, "%" PRId64, op->occurred_at);
    snprintf(code, sizeof code, "%d", (int) why->code);
    payload_hash(op, hash, sizeof hash);
    const char *v[REJECT_PARAMS] = {station, seq, hash, kind_name(op), occurred, code, why->message};
    hb_log_info("op refused before posting station=%" PRIu32 " seq=%" PRIu64 " code=%s reason=\"%s\"",
                station_id, op->seq, hb_result_name(why->code), why->message);
    return send_op(self, "reject", REJECT_PARAMS, v);
}

/* Each op is checked alone: one bad op is rejected, the others posted.
 * *stmt is set to the statement queued. */
static int
send_store_op(hb_ledger_t *self, uint32_t station_id, const Hourbank__Op *op, const char **stmt)
{
    hb_wire_error_t err;
    if (hb_wire_validate_op(op, HB_WIRE_OP_IN_BATCH, &err) != 0) {
        *stmt = "reject";
        return send_reject(self, station_id, op, &err);
    }
    apply_params_t p;
    fill_params(&p, station_id, op);
    *stmt = "apply";
    return send_op(self, "apply", APPLY_PARAMS, p.v);
}

/* Reads up to the sync point (after a failed call, the results of the
 * calls queued behind it are skipped) and leaves pipeline mode. Anything
 * else than a sync within the results n_calls can give means the
 * connection cannot be trusted. */
static int
end_pipeline(hb_ledger_t *self, size_t n_calls, int rc)
{
    bool synced = false;
    size_t bound = (n_calls + 1) * PIPELINE_RESULTS_PER_CALL;
    for (size_t i = 0; !synced && i < bound && hb_ledger_connected(self); i++) {
        PGresult *r = PQgetResult(self->pg);
        synced = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
        PQclear(r);
    }
    if (!synced || PQexitPipelineMode(self->pg) != 1) {
        if (rc == 0)
            note_error(self, "pipeline end", NULL);
        self->lost = true;
        return -1;
    }
    return rc;
}

/* The ops of a batch in one pipeline: every call queued, one sync, the
 * results read in order. One failed call fails the job, as before. */
static int
apply_ops(hb_ledger_t *self, hb_ledger_job_t *job)
{
    const Hourbank__Batch *b = job->batch;
    const char *stmts[HB_BATCH_OPS_MAX];
    if (PQenterPipelineMode(self->pg) != 1) {
        note_error(self, "enter pipeline mode", NULL);
        return -1;
    }
    for (size_t i = 0; i < b->n_ops; i++) {
        hb_assert(b->ops[i] && b->ops[i]->seq == b->ops[0]->seq + i);  /* hb_wire_unpack checked it */
        if (send_store_op(self, job->station_id, b->ops[i], &stmts[i]) != 0)
            return -1;  /* the connection is gone: the caller drops it */
    }
    if (PQpipelineSync(self->pg) != 1) {
        note_error(self, "pipeline sync", NULL);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < b->n_ops && rc == 0; i++)
        rc = read_op(self, stmts[i], job->station_id, b->ops[i], &job->outcomes[i]);
    return end_pipeline(self, b->n_ops, rc);
}

static int
apply_job(hb_ledger_t *self, hb_ledger_job_t *job)
{
    const Hourbank__Batch *b = job->batch;
    hb_assert(b->n_ops >= 1 && b->n_ops <= HB_BATCH_OPS_MAX);
    int64_t hw = hb_ledger_high_water(self, job->station_id);
    if (hw < 0)
        return -1;
    job->batch_result = HB_RESULT_OK;
    job->message[0] = '\0';
    if (b->ops[0]->seq > (uint64_t) hw + 1) {
        job->batch_result = HB_RESULT_SEQ_GAP;
        snprintf(job->message, sizeof job->message,
                 "batch starts at seq %" PRIu64 " but central holds up to %" PRId64 " for station %" PRIu32,
                 b->ops[0]->seq, hw, job->station_id);
        job->high_water_mark = (uint64_t) hw;
        return 0;
    }
    if (apply_ops(self, job) != 0)
        return -1;
    uint64_t last = b->ops[b->n_ops - 1]->seq;
    job->high_water_mark = last > (uint64_t) hw ? last : (uint64_t) hw;
    return 0;
}

static group_rc_t
failure_kind(const hb_ledger_t *self)
{
    return self->lost || !hb_ledger_connected(self) ? GROUP_NO_DATABASE : GROUP_FAILED;
}

/* BEGIN fails only when the connection does. */
static group_rc_t
apply_group(hb_ledger_t *self, hb_ledger_job_t *jobs, size_t n)
{
    self->lost = false;
    if (exec_cmd(self, "BEGIN") != 0)
        return GROUP_NO_DATABASE;
    for (size_t i = 0; i < n; i++) {
        if (apply_job(self, &jobs[i]) != 0) {
            PQclear(PQexec(self->pg, "ROLLBACK"));
            return failure_kind(self);
        }
    }
    /* the system accounts' amounts are summed per transaction (0004) */
    if (exec_cmd(self, "SELECT hb_flush_system()") != 0) {
        PQclear(PQexec(self->pg, "ROLLBACK"));
        return failure_kind(self);
    }
    if (exec_cmd(self, "COMMIT") != 0)
        return failure_kind(self);
    return GROUP_COMMITTED;
}

int
hb_ledger_apply(hb_ledger_t *self, hb_ledger_job_t *jobs, size_t n)
{
    hb_assert(self && jobs && n >= 1 && n <= HB_GROUP_BATCHES_MAX);
    if (!hb_ledger_connected(self))
        return -1;
    group_rc_t rc = apply_group(self, jobs, n);
    /* Not the connection: apply each job alone so one bad batch cannot
     * hold back the others; a job that fails alone is answered INTERNAL. */
    for (size_t i = 0; rc == GROUP_FAILED && i < n; i++) {
        group_rc_t alone = apply_group(self, &jobs[i], 1);
        if (alone == GROUP_NO_DATABASE) {
            rc = GROUP_NO_DATABASE;
        } else if (alone == GROUP_FAILED) {
            jobs[i].batch_result = HB_RESULT_INTERNAL;
            jobs[i].high_water_mark = 0;
            snprintf(jobs[i].message, sizeof jobs[i].message, "central could not apply this batch; see its log");
        }
    }
    if (rc == GROUP_NO_DATABASE) {
        drop_connection(self);
        return -1;
    }
    return 0;
}

const char *
hb_ledger_error(const hb_ledger_t *self)
{
    hb_assert(self);
    return self->error;
}
