#include "ledger.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_log.h"
#include "group.h"
#include "hb_wire.h"
#include "migrate.h"
#include "pg_array.h"


struct hb_ledger {
    char *conninfo;
    hb_cache_t *cache;                 /* what group commits remember (cache.h) */
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

hb_ledger_t *
hb_ledger_new(const char *conninfo)
{
    hb_ledger_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->conninfo = strdup(conninfo);
    hb_assert(self->conninfo);
    self->cache = hb_cache_new();
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
    hb_cache_destroy(&self->cache);
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

/* The writer acks only what a crash cannot take back: whatever the
 * database's or role's default, its session commits with
 * synchronous_commit on (remote_apply, stronger, is kept). Logs what the
 * session runs with, as the server reports it. */
static int
set_synchronous_commit(hb_ledger_t *self, char *msg, size_t msg_size)
{
    PGresult *r = PQexec(self->pg, "SELECT w.was, set_config('synchronous_commit',"
                                   "  CASE w.was WHEN 'remote_apply' THEN w.was ELSE 'on' END, false)"
                                   " FROM (SELECT current_setting('synchronous_commit') AS was OFFSET 0) w");
    int rc = -1;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        snprintf(msg, msg_size, "could not set synchronous_commit on the writer connection: %s",
                 PQresultErrorMessage(r));
        msg[strcspn(msg, "\n")] = '\0';
    } else {
        hb_log_info("ledger writer session synchronous_commit=%s default=%s", PQgetvalue(r, 0, 1),
                    PQgetvalue(r, 0, 0));
        rc = 0;
    }
    PQclear(r);
    return rc;
}

/* Central's hash key (migration 0012) into the cache, for hb_wire_op_hash. */
static int
load_hash_key(hb_ledger_t *self, char *msg, size_t msg_size)
{
    PGresult *r = PQexecParams(self->pg, "SELECT key FROM hash_key WHERE id = 1", 0, NULL, NULL, NULL, NULL, 1);
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
             PQgetlength(r, 0, 0) == HB_WIRE_HASH_KEY_BYTES;
    if (ok)
        hb_cache_set_hash_key(self->cache, (const uint8_t *) PQgetvalue(r, 0, 0), HB_WIRE_HASH_KEY_BYTES);
    else {
        snprintf(msg, msg_size, "could not read the hash key (table hash_key): %s", PQresultErrorMessage(r));
        msg[strcspn(msg, "\n")] = '\0';
    }
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
    if (set_synchronous_commit(self, msg, msg_size) != 0 || hb_group_prepare(self->pg, msg, msg_size) != 0) {
        drop_connection(self);
        return -1;
    }
    /* A new connection may be to another server (failover) or to a database
     * restored from a backup, where neither members nor row versions need
     * be what this process saw: start from the database again. */
    hb_cache_clear(self->cache);
    if (load_hash_key(self, msg, msg_size) != 0) {
        drop_connection(self);
        return -1;
    }
    return 0;
}

void
hb_ledger_rules_changed(hb_ledger_t *self)
{
    hb_assert(self);
    hb_cache_clear(self->cache);
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

/* The marks are read in the statement's snapshot, after every group the
 * writer committed. A refused number counts for the serial mark only when
 * it lies in the station's own range, so that a station is never sent
 * above its range by a number it had no right to. The time zone is the
 * one the newest rules version gives the station's community's district
 * ("" when that version has no rules for it). */
static const char HELLO_SQL[] =
    "UPDATE station s SET last_contact = now(), station_acked_seq = $2 WHERE s.id = $1"
    " RETURNING (SELECT coalesce(max(seq), 0) FROM op WHERE station_id = $1),"
    "  greatest((SELECT coalesce(max(split_part(member_no, '-', 2)::integer), 0) FROM member WHERE station_id = $1),"
    "   (SELECT coalesce(max(split_part(alias_no, '-', 2)::integer), 0) FROM member_alias WHERE station_id = $1),"
    "   (SELECT coalesce(max(split_part(r.member_no, '-', 2)::integer), 0) FROM refused_registration r"
    "     WHERE r.station_id = $1 AND split_part(r.member_no, '-', 1) = s.community"
    "       AND split_part(r.member_no, '-', 2)::integer BETWEEN s.serial_min AND s.serial_max)),"
    "  (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM directory_version),"
    "  coalesce((SELECT r.time_zone FROM community c JOIN district_rule r ON r.district = c.district"
    "     WHERE c.code = s.community AND r.version = (SELECT max(version) FROM rules_version)), ''),"
    "  (SELECT coalesce(max(version), 0) FROM rules_version)";

int
hb_ledger_hello(hb_ledger_t *self, uint32_t station_id, uint64_t station_acked, hb_ledger_marks_t *out)
{
    hb_assert(self && out && station_acked <= (uint64_t) HB_SEQ_MAX);
    if (!hb_ledger_connected(self))
        return -1;
    char id[16], acked[24];
    snprintf(id, sizeof id, "%" PRIu32, station_id);
    snprintf(acked, sizeof acked, "%" PRIu64, station_acked);
    const char *p[] = {id, acked};
    PGresult *r = PQexecParams(self->pg, HELLO_SQL, 2, NULL, p, NULL, NULL, 0);
    int rc = -1;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        note_error(self, "hello", r);
    } else if (PQntuples(r) != 1) {
        hb_log_error("hello from station %" PRIu32 " refused: the ledger has no such station", station_id);
    } else {
        out->high_water = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        out->member_serial_mark = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
        out->directory_version = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
        snprintf(out->time_zone, sizeof out->time_zone, "%s", PQgetvalue(r, 0, 3));
        out->rules_version = (uint32_t) strtoul(PQgetvalue(r, 0, 4), NULL, 10);
        rc = 0;
    }
    if (rc == 0 && (out->member_serial_mark < 0 || out->member_serial_mark > HB_MEMBER_SERIAL_MAX)) {
        hb_log_error("hello from station %" PRIu32 " refused: its member serial mark %" PRId64
                     " is outside 0..%u (a member row not written by central?)",
                     station_id, out->member_serial_mark, HB_MEMBER_SERIAL_MAX);
        rc = -1;
    }
    PQclear(r);
    return rc;
}

static const char CONTACTS_SQL[] =
    "UPDATE station s SET last_contact = greatest(s.last_contact, to_timestamp(v.at_s))"
    " FROM unnest($1::integer[], $2::bigint[]) AS v(id, at_s) WHERE s.id = v.id";

int
hb_ledger_contacts(hb_ledger_t *self, const hb_ledger_contact_t *contacts, size_t n)
{
    hb_assert(self && contacts && n > 0);
    if (!hb_ledger_connected(self))
        return -1;
    hb_pg_array_t a[2];
    hb_pg_array_open(&a[0]);
    hb_pg_array_open(&a[1]);
    for (size_t i = 0; i < n; i++) {
        hb_pg_array_int(&a[0], contacts[i].station_id);
        hb_pg_array_int(&a[1], contacts[i].at_s);
    }
    const char *p[] = {hb_pg_array_close(&a[0]), hb_pg_array_close(&a[1])};
    PGresult *r = PQexecParams(self->pg, CONTACTS_SQL, 2, NULL, p, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc != 0)
        note_error(self, "last contact", r);
    PQclear(r);
    hb_pg_array_free(a, 2);
    return rc;
}

static group_rc_t
failure_kind(const hb_ledger_t *self)
{
    return self->lost || !hb_ledger_connected(self) ? GROUP_NO_DATABASE : GROUP_FAILED;
}

static void
note_cb(void *arg, const char *what, const PGresult *r)
{
    note_error(arg, what, r);
}

/* One transaction for the group, set-based (group.h). */
static group_rc_t
apply_group(hb_ledger_t *self, hb_ledger_job_t *jobs, size_t n)
{
    self->lost = false;
    int rc = hb_group_apply(self->pg, self->cache, jobs, n, note_cb, self);
    if (rc == HB_GROUP_STALE) {  /* a member changed behind the cache: read everything again */
        hb_log_info("group made again: a member changed since it was cached");
        PQclear(PQexec(self->pg, "ROLLBACK"));
        hb_cache_clear(self->cache);
        rc = hb_group_apply(self->pg, self->cache, jobs, n, note_cb, self);
        hb_assert(rc != HB_GROUP_STALE);  /* an empty cache holds nothing stale */
    }
    if (rc == 0)
        return GROUP_COMMITTED;
    if (hb_ledger_connected(self))
        PQclear(PQexec(self->pg, "ROLLBACK"));
    return rc == -2 ? GROUP_FAILED : failure_kind(self);
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
