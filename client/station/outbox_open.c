/* outbox_open.c - opening an outbox: the schema and its upgrades, the
 * file's checks and SQLite settings, a new file created whole, the meta
 * row claimed for this station, every statement prepared; and closing it.
 * The file checks before SQLite opens it are in outbox_file.c. */
#include "outbox.h"
#include "outbox_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb_assert.h"
#include "hb_file.h"
#include "hb_log.h"
#include "hb_memberno.h"

/* Limits of this module. (Candidates for hb_limits.h.) */
#ifndef HB_OUTBOX_BUSY_TIMEOUT_MS
/* How long a statement waits for another connection's lock (a backup being
 * taken with the sqlite3 tool) before it fails. */
#define HB_OUTBOX_BUSY_TIMEOUT_MS 5000
#endif

/* 2: meta.last_seq is a floor (below), and the index of unsettled ops by
 * member_b holds gifts only. A program that knows only version 1 refuses a
 * version 2 file, which it would read as "no seq assigned since the last
 * compaction".
 * 3: ops gain request_id (a save's client request id, unique), note (the
 * note or reason, for "queue find"), and prior_result/prior_message/
 * prior_transfer_id/changed_at (the first ack of an op that central, after
 * losing it, answered differently when it was resent); meta gains
 * restored (1 from "hourbank-station restore" until central's Welcome has
 * confirmed the seq and serial marks: saves wait).
 * 4: meta gains time_zone: the zone of the station's district as central's
 * last Welcome said it ("" until one has), so that a station restarted
 * offline still tells the CLI which local days to read and print in.
 * 5: table operators (the station's operators: name, argon2id PIN hash,
 * disabled, created_at); ops gain operator (who entered the op, as in its
 * payload; NULL in ops saved before) and params (the result's values as
 * central sent them: one "name=value" per line, NULL when none), and kind
 * may be 'donation' (the ops table is rebuilt: SQLite cannot change a
 * CHECK constraint in place).
 * 6: table rules (the newest RulesReply from central, packed, with its
 * version, as_of, when it came and the offset of central's clock from the
 * station's then: the station's copy of the rules, answered to the CLI and
 * used by the checks at save, offline too); members gain community (the
 * member's home community, Member.community); index ops_services (this
 * station's services by provider, for the daily limit at save); ops gain
 * payer (a service's payer as foreseen at save: 'guarantee', the
 * recipient's number, NULL = not known).
 * 7: members gain family and left, table member_numbers (issue 15).
 * 8: operators gain language (the operator's console language, "" = the
 * station's), failed_sign_ins (wrong PINs in a row) and locked_until (Unix
 * seconds a lockout ends, 0 = none): outbox_sign_in.c.
 * 9: reconciliation (outbox_reconcile.c): ops gain payload_hash and
 * posted_day (what central's OpResult said: the hash it stores and the day
 * it posted the op; NULL from an older central) and resend (1 = a
 * reconcile run found central lacks the op: sent again until answered);
 * meta gains compacted_seq (the highest seq compaction ever deleted; an
 * upgraded file starts at the highest seq it does not hold below the ones
 * it holds) and reconciled_at (when the last reconcile run ended, or the
 * first start that knew reconciling: the idle runs' clock).
 * Older files are upgraded at open, step by step. */
#define OUTBOX_SCHEMA_VERSION 9
#define OUTBOX_SCHEMA_VERSION_FLOOR 1  /* the oldest version upgraded at open */
#define SECONDS_PER_DAY INT64_C(86400)
/* A PRAGMA's answer as text. */
#define AMOUNT_BYTES 32
/* How quick_check starts its report on the main database. */
#define QUICK_CHECK_PREFIX "*** in database main ***\n"

/* ---- schema ---- */

/* meta: one row. ops: one row per op ever saved and not yet compacted.
 * member_a/member_b/minutes/name/void_seq repeat what the payload says, so
 * SQL can find pending effects and registrations without decoding:
 *   register: member_a = the member, name = the name
 *   service:  member_a = provider, member_b = recipient, minutes
 *   gift:     member_a = from, member_b = to, minutes
 *   void:     void_seq = the target's seq when the target is this station's
 *   donation: member_a = the donor, minutes
 * result is NULL while pending. in_directory is 0 while the op's effect is
 * not yet in the cached directory's balances: pending, or acked OK and no
 * complete directory sync since (rejected ops get 1 at once).
 * The highest seq ever assigned is the larger of meta.last_seq and the
 * highest seq in ops: a save writes only its op row (one page less to
 * fsync per save); compaction raises meta.last_seq before it deletes, and
 * hb_outbox_confirm_marks() raises it, so a seq is never handed out twice. */
#define OPS_TABLE_SQL(table)                                                                                   \
    "CREATE TABLE " table " ("                                                                                \
    " seq INTEGER PRIMARY KEY CHECK (seq > 0),"                                                               \
    " kind TEXT NOT NULL CHECK (kind IN ('register', 'service', 'gift', 'void', 'donation', 'amend', 'move',"  \
    "  'leave', 'opening')),"                                                                                 \
    " payload BLOB NOT NULL,"                                                                                 \
    " summary TEXT NOT NULL,"                                                                                 \
    " saved_at INTEGER NOT NULL,"                                                                             \
    " member_a TEXT,"                                                                                         \
    " member_b TEXT,"                                                                                         \
    " minutes INTEGER NOT NULL DEFAULT 0,"                                                                    \
    " name TEXT,"                                                                                             \
    " void_seq INTEGER,"                                                                                      \
    " result INTEGER CHECK (result IS NULL OR result > 0),"                                                   \
    " message TEXT,"                                                                                          \
    " transfer_id INTEGER,"                                                                                   \
    " acked_at INTEGER,"                                                                                      \
    " dismissed INTEGER NOT NULL DEFAULT 0 CHECK (dismissed IN (0, 1)),"                                      \
    " in_directory INTEGER NOT NULL DEFAULT 0 CHECK (in_directory IN (0, 1)),"                                \
    " request_id TEXT,"                                                                                       \
    " note TEXT,"                                                                                             \
    " prior_result INTEGER,"                                                                                  \
    " prior_message TEXT,"                                                                                    \
    " prior_transfer_id INTEGER,"                                                                             \
    " changed_at INTEGER,"                                                                                    \
    " operator TEXT,"                                                                                         \
    " params TEXT,"                                                                                           \
    " CHECK ((result IS NULL) = (acked_at IS NULL))"                                                          \
    ") STRICT;"
/* The columns of ops in version 4, copied as they are by the upgrade. */
#define OPS_V4_COLUMNS                                                                                        \
    "seq, kind, payload, summary, saved_at, member_a, member_b, minutes, name, void_seq, result, message,"    \
    " transfer_id, acked_at, dismissed, in_directory, request_id, note, prior_result, prior_message,"         \
    " prior_transfer_id, changed_at"
#define OPS_INDEXES_SQL                                                                                       \
    "CREATE INDEX ops_pending ON ops (seq) WHERE result IS NULL;"                                             \
    "CREATE INDEX ops_rejected ON ops (seq) WHERE result <> " OB_SQL_OK " AND dismissed = 0;"                 \
    "CREATE INDEX ops_acked ON ops (acked_at) WHERE result IS NOT NULL;"                                      \
    "CREATE INDEX ops_unsettled_a ON ops (member_a) WHERE in_directory = 0;"                                  \
    /* as member_b only a gift's receiver gains (a service's recipient does                                   \
     * not pay here: EFFECT_AS_B in outbox_dir.c), so services stay out */                                    \
    "CREATE INDEX ops_unsettled_gifts ON ops (member_b) WHERE in_directory = 0 AND kind = 'gift';"            \
    "CREATE INDEX ops_unsettled_voids ON ops (void_seq) WHERE in_directory = 0 AND void_seq IS NOT NULL;"     \
    "CREATE INDEX ops_registered ON ops (member_a) WHERE kind = 'register';"                                  \
    "CREATE UNIQUE INDEX ops_request ON ops (request_id) WHERE request_id IS NOT NULL;"                       \
    "CREATE INDEX ops_changed ON ops (seq) WHERE prior_result IS NOT NULL;"
/* The columns of ops in version 6, copied as they are by the upgrade to 7. */
#define OPS_V6_COLUMNS OPS_V4_COLUMNS ", operator, params, payer"
/* Version 7's additions (issue 15): a member's later numbers (moves), each
 * resolving to the first; the directory's family links and left flag. */
#define MEMBERS_V7_SQL                                                                                        \
    "CREATE TABLE member_numbers ("                                                                           \
    " number TEXT PRIMARY KEY,"                                                                               \
    " member_no TEXT NOT NULL"                                                                                \
    ") STRICT, WITHOUT ROWID;"                                                                                \
    "CREATE INDEX member_numbers_member ON member_numbers (member_no);"                                       \
    "ALTER TABLE members ADD COLUMN family TEXT NOT NULL DEFAULT '';"                                         \
    "ALTER TABLE members ADD COLUMN left INTEGER NOT NULL DEFAULT 0 CHECK (left IN (0, 1));"
/* Version 6's additions (outbox_rules.c, outbox_foresee.c). */
#define RULES_TABLE_SQL                                                                                       \
    "CREATE TABLE rules ("                                                                                    \
    " id INTEGER PRIMARY KEY CHECK (id = 1),"                                                                 \
    " version INTEGER NOT NULL,"                                                                              \
    " as_of INTEGER NOT NULL,"                                                                                \
    " received_at INTEGER NOT NULL,"                                                                          \
    " clock_offset INTEGER NOT NULL,"                                                                         \
    " payload BLOB NOT NULL"                                                                                  \
    ") STRICT;"                                                                                               \
    "CREATE INDEX ops_services ON ops (member_a) WHERE kind = 'service';"                                     \
    "CREATE INDEX ops_voids ON ops (void_seq) WHERE void_seq IS NOT NULL;"                                   \
    "ALTER TABLE ops ADD COLUMN payer TEXT;"
#define OPS_V6_INDEXES_SQL                                                                                    \
    "CREATE INDEX ops_services ON ops (member_a) WHERE kind = 'service';"                                     \
    "CREATE INDEX ops_voids ON ops (void_seq) WHERE void_seq IS NOT NULL;"
/* operators: who may save here (hb_outbox_operator_*, outbox_operator.c).
 * pin_hash: crypto_pwhash_str (argon2id), NULL = no PIN set. */
#define OPERATORS_TABLE_SQL                                                                                   \
    "CREATE TABLE operators ("                                                                                \
    " name TEXT PRIMARY KEY,"                                                                                 \
    " pin_hash TEXT,"                                                                                         \
    " disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"                                        \
    " created_at INTEGER NOT NULL"                                                                            \
    ") STRICT;"
/* Version 8's additions: signing in to the console (outbox_sign_in.c). */
#define OPERATORS_V8_SQL                                                                                      \
    "ALTER TABLE operators ADD COLUMN language TEXT NOT NULL DEFAULT '';"                                     \
    "ALTER TABLE operators ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0 CHECK (failed_sign_ins >= 0);" \
    "ALTER TABLE operators ADD COLUMN locked_until INTEGER NOT NULL DEFAULT 0;"

/* Version 9's additions: reconciliation (outbox_reconcile.c). */
#define RECONCILE_V9_SQL                                                                                      \
    "ALTER TABLE ops ADD COLUMN payload_hash BLOB;"                                                           \
    "ALTER TABLE ops ADD COLUMN posted_day TEXT;"                                                             \
    "ALTER TABLE ops ADD COLUMN resend INTEGER NOT NULL DEFAULT 0 CHECK (resend IN (0, 1));"                  \
    "CREATE INDEX ops_resend ON ops (seq) WHERE resend = 1;"                                                  \
    "ALTER TABLE meta ADD COLUMN compacted_seq INTEGER NOT NULL DEFAULT 0 CHECK (compacted_seq >= 0);"        \
    "ALTER TABLE meta ADD COLUMN reconciled_at INTEGER NOT NULL DEFAULT 0;"
/* An upgraded file's compacted_seq: what it does not hold was compacted
 * (or skipped by hb_outbox_confirm_marks): the highest seq missing below a
 * held one, or every seq assigned when the top ones are gone. */
#define COMPACTED_V9_SQL                                                                                      \
    "UPDATE meta SET compacted_seq = max("                                                                    \
    " CASE WHEN last_seq > coalesce((SELECT max(seq) FROM ops), 0) THEN last_seq ELSE 0 END,"                 \
    " coalesce((SELECT max(o.seq) - 1 FROM ops o WHERE o.seq > 1"                                             \
    "  AND NOT EXISTS (SELECT 1 FROM ops p WHERE p.seq = o.seq - 1)), 0)) WHERE id = 1;"

static const char SCHEMA_SQL[] =
    "CREATE TABLE meta ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " station_id INTEGER NOT NULL CHECK (station_id > 0),"
    " community TEXT NOT NULL,"
    " last_seq INTEGER NOT NULL CHECK (last_seq >= 0),"
    " next_serial INTEGER NOT NULL CHECK (next_serial >= 1),"
    " last_sync INTEGER NOT NULL DEFAULT 0,"
    " directory_version INTEGER NOT NULL DEFAULT 0,"
    " directory_synced_at INTEGER NOT NULL DEFAULT 0,"
    " restored INTEGER NOT NULL DEFAULT 0 CHECK (restored IN (0, 1)),"
    " time_zone TEXT NOT NULL DEFAULT ''"
    ") STRICT;"
    OPS_TABLE_SQL("ops")
    OPS_INDEXES_SQL
    OPERATORS_TABLE_SQL
    OPERATORS_V8_SQL
    "CREATE TABLE members ("
    " member_no TEXT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " role INTEGER NOT NULL,"
    " birth_year INTEGER NOT NULL,"
    " family_of TEXT NOT NULL,"
    " balance_minutes INTEGER NOT NULL,"
    " version INTEGER NOT NULL,"
    " community TEXT NOT NULL DEFAULT ''"
    ") STRICT, WITHOUT ROWID;"
    RULES_TABLE_SQL
    MEMBERS_V7_SQL
    RECONCILE_V9_SQL
    "CREATE TABLE categories ("
    " position INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " description TEXT NOT NULL"
    ") STRICT;";

/* Upgrades, by the version they start from (inside the transaction of
 * schema_ensure); UPGRADE_SQL[v] takes a version v file to v + 1. */
static const char *const UPGRADE_SQL[OUTBOX_SCHEMA_VERSION] = {
    [1] = "DROP INDEX IF EXISTS ops_unsettled_b;"
          "CREATE INDEX ops_unsettled_gifts ON ops (member_b) WHERE in_directory = 0 AND kind = 'gift';",
    [2] = "ALTER TABLE meta ADD COLUMN restored INTEGER NOT NULL DEFAULT 0 CHECK (restored IN (0, 1));"
          "ALTER TABLE ops ADD COLUMN request_id TEXT;"
          "ALTER TABLE ops ADD COLUMN note TEXT;"
          "ALTER TABLE ops ADD COLUMN prior_result INTEGER;"
          "ALTER TABLE ops ADD COLUMN prior_message TEXT;"
          "ALTER TABLE ops ADD COLUMN prior_transfer_id INTEGER;"
          "ALTER TABLE ops ADD COLUMN changed_at INTEGER;"
          "CREATE UNIQUE INDEX ops_request ON ops (request_id) WHERE request_id IS NOT NULL;"
          "CREATE INDEX ops_changed ON ops (seq) WHERE prior_result IS NOT NULL;",
    [3] = "ALTER TABLE meta ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';",
    /* the CHECK on kind changes: a new table, the rows copied, the indexes
     * made again (DROP TABLE drops the old ones) */
    [4] = OPS_TABLE_SQL("ops_v5")
          "INSERT INTO ops_v5 (" OPS_V4_COLUMNS ") SELECT " OPS_V4_COLUMNS " FROM ops;"
          "DROP TABLE ops;"
          "ALTER TABLE ops_v5 RENAME TO ops;"
          OPS_INDEXES_SQL
          OPERATORS_TABLE_SQL,
    [5] = "ALTER TABLE members ADD COLUMN community TEXT NOT NULL DEFAULT '';"
          RULES_TABLE_SQL,
    /* the CHECK on kind changes again (the ops of issue 15), as in [4] */
    [6] = OPS_TABLE_SQL("ops_v7")
          "ALTER TABLE ops_v7 ADD COLUMN payer TEXT;"
          "INSERT INTO ops_v7 (" OPS_V6_COLUMNS ") SELECT " OPS_V6_COLUMNS " FROM ops;"
          "DROP TABLE ops;"
          "ALTER TABLE ops_v7 RENAME TO ops;"
          OPS_INDEXES_SQL
          OPS_V6_INDEXES_SQL
          MEMBERS_V7_SQL,
    [7] = OPERATORS_V8_SQL,
    [8] = RECONCILE_V9_SQL COMPACTED_V9_SQL,
};

/* ---- open ---- */

/* Runs a statement whose first row's first column is wanted (PRAGMAs).
 * out: text of that column; returns 0 or -1 (no row counts as an error). */
static int
query_text(hb_outbox_t *self, const char *sql, char *out, size_t size)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(self->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        hb_outbox__column_text(out, size, st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

static int
query_int(hb_outbox_t *self, const char *sql, int64_t *out)
{
    char text[AMOUNT_BYTES];
    if (query_text(self, sql, text, sizeof text) != 0)
        return -1;
    *out = strtoll(text, NULL, 10);
    return 0;
}

/* PRAGMA quick_check before anything writes: a damaged file is refused,
 * never "repaired" by use. */
int
hb_outbox__quick_check(hb_outbox_t *self, char *msg, size_t msg_size)
{
    char first[HB_MESSAGE_BYTES_MAX] = "";
    if (query_text(self, "PRAGMA quick_check(1)", first, sizeof first) == 0) {
        if (strcmp(first, "ok") == 0)
            return 0;
        /* one line: "*** in database main ***\nPage 2: ..." -> "Page 2: ..." */
        const char *what = first;
        if (strncmp(what, QUICK_CHECK_PREFIX, strlen(QUICK_CHECK_PREFIX)) == 0)
            what += strlen(QUICK_CHECK_PREFIX);
        for (char *p = first; *p; p++)
            *p = (unsigned char) *p < 0x20 ? ' ' : *p;
        snprintf(msg, msg_size, "outbox \"%s\" is corrupt (quick_check: %s); " OB_RESTORE_HINT, self->path, what);
        return -1;
    }
    int code = sqlite3_errcode(self->db) & 0xff;
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
        snprintf(msg, msg_size, "outbox \"%s\" is corrupt (%s); " OB_RESTORE_HINT, self->path,
                 sqlite3_errmsg(self->db));
    else
        snprintf(msg, msg_size, "could not check outbox \"%s\": %s", self->path, sqlite3_errmsg(self->db));
    return -1;
}

static int
configure(hb_outbox_t *self, char *msg, size_t msg_size)
{
    char mode[AMOUNT_BYTES] = "";
    if (query_text(self, "PRAGMA journal_mode = WAL", mode, sizeof mode) != 0)
        return hb_outbox__fail(self, "set journal_mode=WAL", msg, msg_size);
    if (strcmp(mode, "wal") != 0) {
        snprintf(msg, msg_size, "outbox \"%s\" cannot use WAL mode (journal_mode is %s)", self->path, mode);
        return -1;
    }
    if (sqlite3_exec(self->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK)
        return hb_outbox__fail(self, "set synchronous=FULL", msg, msg_size);
    /* deleted content is overwritten with zeros: what erasure of a member
     * who left relies on (outbox_erase.c) */
    if (sqlite3_exec(self->db, "PRAGMA secure_delete = ON", NULL, NULL, NULL) != SQLITE_OK)
        return hb_outbox__fail(self, "set secure_delete=ON", msg, msg_size);
    return 0;
}

static int
db_open(hb_outbox_t *self, char *msg, size_t msg_size)
{
    /* no SQLITE_OPEN_CREATE: the file is there (checked by hb_outbox_open,
     * or the temp file that outbox_create made) */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE;
    int rc = sqlite3_open_v2(self->path, &self->db, flags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(msg, msg_size, "could not open outbox \"%s\": %s", self->path,
                 self->db ? sqlite3_errmsg(self->db) : sqlite3_errstr(rc));
        return -1;
    }
    sqlite3_busy_timeout(self->db, HB_OUTBOX_BUSY_TIMEOUT_MS);
    if (sqlite3_db_readonly(self->db, "main") == 1) {
        snprintf(msg, msg_size, "outbox \"%s\" is read-only: the station must be able to write it", self->path);
        return -1;
    }
    if (hb_outbox__quick_check(self, msg, msg_size) != 0)
        return -1;
    return configure(self, msg, msg_size);
}

/* Inside BEGIN IMMEDIATE: creates the schema in an empty file, accepts the
 * current version, refuses anything else. */
static int
schema_check_or_create(hb_outbox_t *self, char *msg, size_t msg_size)
{
    int64_t version = 0, objects = 0;
    if (query_int(self, "PRAGMA user_version", &version) != 0 ||
        query_int(self, "SELECT count(*) FROM sqlite_schema", &objects) != 0)
        return hb_outbox__fail(self, "read the schema version", msg, msg_size);
    if (version == OUTBOX_SCHEMA_VERSION)
        return 0;
    char pragma[AMOUNT_BYTES];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", OUTBOX_SCHEMA_VERSION);
    if (version >= OUTBOX_SCHEMA_VERSION_FLOOR && version < OUTBOX_SCHEMA_VERSION) {
        /* 1 -> 2: a version 1 file keeps meta.last_seq at the highest seq, which a floor may be */
        for (int64_t v = version; v < OUTBOX_SCHEMA_VERSION; v++) {
            if (sqlite3_exec(self->db, UPGRADE_SQL[v], NULL, NULL, NULL) != SQLITE_OK)
                return hb_outbox__fail(self, "upgrade the schema", msg, msg_size);
        }
        if (sqlite3_exec(self->db, pragma, NULL, NULL, NULL) != SQLITE_OK)
            return hb_outbox__fail(self, "upgrade the schema", msg, msg_size);
        hb_log_info("outbox upgraded path=\"%s\" from=%" PRId64 " to=%d", self->path, version, OUTBOX_SCHEMA_VERSION);
        return 0;
    }
    if (version != 0) {
        snprintf(msg, msg_size, "outbox \"%s\" has schema version %" PRId64 ", this program knows version %d",
                 self->path, version, OUTBOX_SCHEMA_VERSION);
        return -1;
    }
    if (objects != 0) {
        snprintf(msg, msg_size, "\"%s\" is an SQLite file but not an hourbank outbox", self->path);
        return -1;
    }
    if (!self->creating) {
        /* an empty database where an outbox should be: a creation by an
         * older hourbank that was cut short; new files appear whole */
        snprintf(msg, msg_size, "outbox \"%s\" is an empty SQLite database, not a complete outbox: "
                 OB_RESTORE_HINT OB_NEW_STATION_HINT, self->path);
        return -1;
    }
    if (sqlite3_exec(self->db, SCHEMA_SQL, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(self->db, pragma, NULL, NULL, NULL) != SQLITE_OK)
        return hb_outbox__fail(self, "create the schema", msg, msg_size);
    return 0;
}

bool
hb_outbox__schema_known(int64_t version)
{
    return version >= OUTBOX_SCHEMA_VERSION_FLOOR && version <= OUTBOX_SCHEMA_VERSION;
}

static int
schema_ensure(hb_outbox_t *self, char *msg, size_t msg_size)
{
    if (sqlite3_exec(self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return hb_outbox__fail(self, "begin", msg, msg_size);
    int rc = schema_check_or_create(self, msg, msg_size);
    if (rc == 0 && sqlite3_exec(self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = hb_outbox__fail(self, "commit the schema", msg, msg_size);
    if (rc != 0 && !sqlite3_get_autocommit(self->db))
        sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* The SQL of statement id: exactly one of the files' tables holds it. */
static const char *
stmt_sql(int id)
{
    const char *const in[] = {hb_outbox__queue_sql[id], hb_outbox__dir_sql[id], hb_outbox__query_sql[id],
                              hb_outbox__resync_sql[id], hb_outbox__save_sql[id], hb_outbox__operator_sql[id],
                              hb_outbox__rules_sql[id], hb_outbox__members_sql[id], hb_outbox__erase_sql[id],
                              hb_outbox__reconcile_sql[id]};
    const char *sql = NULL;
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        hb_assert(sql == NULL || in[i] == NULL);
        sql = sql ? sql : in[i];
    }
    hb_assert(sql != NULL);
    return sql;
}

static int
prepare_all(hb_outbox_t *self, char *msg, size_t msg_size)
{
    for (int id = 0; id < OB_STMT_COUNT; id++) {
        const char *sql = stmt_sql(id);
        if (sqlite3_prepare_v3(self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &self->stmt[id], NULL) != SQLITE_OK) {
            char what[AMOUNT_BYTES];
            snprintf(what, sizeof what, "prepare statement %d", id);
            return hb_outbox__fail(self, what, msg, msg_size);
        }
    }
    return 0;
}

/* Inside BEGIN IMMEDIATE: claims a new file for this station, or checks
 * that an existing one is this station's. */
static int
meta_claim(hb_outbox_t *self, char *msg, size_t msg_size)
{
    ob_meta_t m;
    int found = hb_outbox__meta_load(self, &m);
    if (found < 0)
        return hb_outbox__fail(self, "read meta", msg, msg_size);
    if (found == 0 && !self->creating) {
        /* an older hourbank committed the schema and the meta row apart */
        snprintf(msg, msg_size, "outbox \"%s\" has no meta row, so it never held work (its creation was cut "
                 "short): " OB_RESTORE_HINT OB_NEW_STATION_HINT, self->path);
        return -1;
    }
    if (found == 0) {
        sqlite3_stmt *st = hb_outbox__stmt(self, OB_META_INSERT);
        sqlite3_bind_int64(st, 1, self->station_id);
        sqlite3_bind_text(st, 2, self->community, -1, SQLITE_STATIC);
        return hb_outbox__run(self, st) == 0 ? 0 : hb_outbox__fail(self, "write meta", msg, msg_size);
    }
    if (m.station_id != self->station_id || strcmp(m.community, self->community) != 0) {
        snprintf(msg, msg_size, "outbox \"%s\" belongs to station %" PRIu32 " (%s), not station %" PRIu32 " (%s)",
                 self->path, m.station_id, m.community, self->station_id, self->community);
        return -1;
    }
    self->restored = m.restored;
    snprintf(self->time_zone, sizeof self->time_zone, "%s", m.time_zone);
    return 0;
}

static int
meta_ensure(hb_outbox_t *self, char *msg, size_t msg_size)
{
    if (hb_outbox__begin(self, true) != 0)
        return hb_outbox__fail(self, "begin", msg, msg_size);
    int rc = meta_claim(self, msg, msg_size);
    if (rc == 0 && hb_outbox__commit(self) != 0)
        rc = hb_outbox__fail(self, "commit meta", msg, msg_size);
    if (rc != 0)
        hb_outbox__rollback(self);
    return rc;
}

void
hb_outbox_set_serials(hb_outbox_t *self, uint32_t serial_min, uint32_t serial_max)
{
    hb_assert(self && serial_min >= 1 && serial_min <= serial_max && serial_max <= HB_MEMBER_SERIAL_MAX);
    self->serial_min = serial_min;
    self->serial_max = serial_max;
}

/* Opens the outbox file at path, which is there. creating: path is the
 * empty temp file of a new outbox, which gets the schema and meta row. */
static hb_outbox_t *
ob_open(const char *path, uint32_t station_id, const char *community, int64_t max_bytes, bool creating, char *msg,
        size_t msg_size)
{
    hb_outbox_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->path = strdup(path);
    hb_assert(self->path);
    self->station_id = station_id;
    snprintf(self->community, sizeof self->community, "%s", community);
    self->max_bytes = max_bytes;
    self->serial_min = 1;
    self->serial_max = HB_MEMBER_SERIAL_MAX;
    self->creating = creating;
    if (db_open(self, msg, msg_size) != 0 || schema_ensure(self, msg, msg_size) != 0 ||
        prepare_all(self, msg, msg_size) != 0 || meta_ensure(self, msg, msg_size) != 0 ||
        hb_outbox__refresh(self) != 0 || hb_outbox__pending_bytes_load(self) != 0 ||
        hb_outbox__categories_load(self) != 0 || hb_outbox__rules_load(self) != 0 ||
        hb_outbox__numbers_held_load(self) != 0) {
        if (msg[0] == '\0')
            snprintf(msg, msg_size, "could not read outbox \"%s\": %s", path, sqlite3_errmsg(self->db));
        hb_outbox_destroy(&self);
        return NULL;
    }
    return self;
}

/* A new outbox appears whole or not at all: built at a temp path in the
 * same folder (schema and meta row committed, closed: SQLite checkpoints
 * and removes the WAL), fsynced, renamed into place, the folder fsynced. A
 * crash leaves at most a temp file, never an empty outbox. Mode 0600
 * whatever the umask (SQLite gives the -wal and -shm the file's mode). */
static int
outbox_create(const char *path, uint32_t station_id, const char *community, int64_t max_bytes, char *msg,
              size_t msg_size)
{
    char tmp[HB_PATH_BYTES_MAX + HB_PATH_SUFFIX_BYTES_MAX];
    int fd = hb_file_temp(path, ".new-", true, tmp, sizeof tmp);
    if (fd < 0) {
        snprintf(msg, msg_size, "could not create outbox \"%s\": %s", path, strerror(errno));
        return -1;
    }
    close(fd);
    hb_outbox_t *ob = ob_open(tmp, station_id, community, max_bytes, true, msg, msg_size);
    int rc = ob ? 0 : -1;
    hb_outbox_destroy(&ob);
    char wal[sizeof tmp + sizeof "-wal"];
    snprintf(wal, sizeof wal, "%s-wal", tmp);
    if (rc == 0 && access(wal, F_OK) == 0) {
        snprintf(msg, msg_size, "could not create outbox \"%s\": the new file's WAL was not checkpointed", path);
        rc = -1;
    }
    if (rc == 0 && (hb_file_sync(tmp) != 0 || hb_file_rename(tmp, path, false) != 0 || hb_file_sync_dir(path) != 0)) {
        snprintf(msg, msg_size, "could not create outbox \"%s\": %s", path, strerror(errno));
        rc = -1;
    }
    if (rc != 0) {
        hb_outbox_remove(tmp);
        return -1;
    }
    hb_log_info("outbox created path=\"%s\" station=%" PRIu32 " community=%s", path, station_id, community);
    return 0;
}

hb_outbox_t *
hb_outbox_open(const char *path, uint32_t station_id, const char *community, int64_t max_bytes, char *msg,
               size_t msg_size)
{
    hb_assert(path && community && msg && msg_size > 0);
    msg[0] = '\0';
    if (station_id == 0 || !hb_memberno_code_valid(community) || max_bytes <= 0) {
        snprintf(msg, msg_size, "cannot open outbox \"%s\": station %" PRIu32 ", community \"%s\" or max_bytes %" PRId64
                 " is invalid", path, station_id, community, max_bytes);
        return NULL;
    }
    if (strlen(path) >= HB_PATH_BYTES_MAX) {
        snprintf(msg, msg_size, "cannot open outbox \"%s\": the path is longer than %d bytes", path,
                 HB_PATH_BYTES_MAX - 1);
        return NULL;
    }
    int there = hb_outbox__file_check(path, msg, msg_size);
    if (there < 0 || (there == 0 && outbox_create(path, station_id, community, max_bytes, msg, msg_size) != 0))
        return NULL;
    return ob_open(path, station_id, community, max_bytes, false, msg, msg_size);
}

void
hb_outbox_destroy(hb_outbox_t **self_p)
{
    hb_assert(self_p);
    hb_outbox_t *self = *self_p;
    if (self == NULL)
        return;
    for (int id = 0; id < OB_STMT_COUNT; id++)
        sqlite3_finalize(self->stmt[id]);
    if (self->db && sqlite3_close(self->db) != SQLITE_OK)
        hb_log_error("outbox: could not close path=\"%s\" error=\"%s\"", self->path, sqlite3_errmsg(self->db));
    if (self->rules)
        hourbank__rules_reply__free_unpacked(self->rules, NULL);
    free(self->path);
    free(self);
    *self_p = NULL;
}

bool
hb_outbox_restored(hb_outbox_t *self)
{
    hb_assert(self);
    return self->restored;
}

int
hb_outbox_mark_restored(hb_outbox_t *self, char *msg, size_t msg_size)
{
    hb_assert(self && msg);
    if (hb_outbox__begin(self, true) != 0)
        return hb_outbox__fail(self, "begin", msg, msg_size);
    if (sqlite3_exec(self->db, "UPDATE meta SET restored = 1 WHERE id = 1", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_changes(self->db) != 1 || hb_outbox__commit(self) != 0) {
        hb_outbox__fail(self, "mark the outbox restored", msg, msg_size);
        hb_outbox__rollback(self);
        return -1;
    }
    self->restored = true;
    return 0;
}

/* hb_outbox_confirm_marks() in outbox_resync.c clears the flag. */

