#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hb_assert.h"
#include "hb_log.h"

/* Any fixed number will do; it only has to be the same in every central. */
#define MIGRATE_LOCK_KEY "7400100"

static void
checksum_hex(const char *sql, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *) sql, strlen(sql));
    sodium_bin2hex(out, 65, h, sizeof h);
}

static int
exec_ok(PGconn *pg, const char *sql, char *msg, size_t msg_size)
{
    PGresult *r = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        snprintf(msg, msg_size, "%s", PQresultErrorMessage(r));
    PQclear(r);
    return ok ? 0 : -1;
}

/* Highest applied version, 0 for an empty database, -1 on error. */
static int
applied_version(PGconn *pg, char *msg, size_t msg_size)
{
    if (exec_ok(pg, "CREATE TABLE IF NOT EXISTS hb_schema_migration ("
                    " version integer PRIMARY KEY, name text NOT NULL,"
                    " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                msg, msg_size) != 0)
        return -1;
    PGresult *r = PQexec(pg, "SELECT coalesce(max(version), 0) FROM hb_schema_migration");
    int v = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
        v = atoi(PQgetvalue(r, 0, 0));  /* integer column from PostgreSQL, not user input */
    else
        snprintf(msg, msg_size, "%s", PQresultErrorMessage(r));
    PQclear(r);
    return v;
}

static int
apply_one(PGconn *pg, const hb_migration_t *m, char *msg, size_t msg_size)
{
    char sum[65], ver[16];
    checksum_hex(m->sql, sum);
    snprintf(ver, sizeof ver, "%d", m->version);
    if (exec_ok(pg, m->sql, msg, msg_size) != 0)
        return -1;
    const char *params[3] = {ver, m->name, sum};
    PGresult *r = PQexecParams(pg, "INSERT INTO hb_schema_migration (version, name, checksum)"
                                   " VALUES ($1, $2, $3)", 3, NULL, params, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        snprintf(msg, msg_size, "%s", PQresultErrorMessage(r));
    PQclear(r);
    return ok ? 0 : -1;
}

int
hb_migrate_apply(PGconn *pg, char *msg, size_t msg_size)
{
    hb_assert(pg);
    if (exec_ok(pg, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", msg, msg_size) != 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < hb_migration_count && rc == 0; i++) {
        const hb_migration_t *m = &hb_migrations[i];
        int have = applied_version(pg, msg, msg_size);
        if (have < 0) {
            rc = -1;
        } else if (m->version > have) {
            exec_ok(pg, "BEGIN", msg, msg_size);
            rc = apply_one(pg, m, msg, msg_size);
            if (rc == 0)
                rc = exec_ok(pg, "COMMIT", msg, msg_size);
            else
                PQclear(PQexec(pg, "ROLLBACK"));
            if (rc == 0)
                hb_log_info("migration applied version=%d name=%s", m->version, m->name);
        }
    }
    char ignore[256];
    exec_ok(pg, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", ignore, sizeof ignore);
    return rc;
}

static hb_schema_state_t
check_checksums(PGresult *r, char *msg, size_t msg_size)
{
    for (int row = 0; row < PQntuples(r); row++) {
        int v = atoi(PQgetvalue(r, row, 0));
        for (int i = 0; i < hb_migration_count; i++) {
            char sum[65];
            if (hb_migrations[i].version != v)
                continue;
            checksum_hex(hb_migrations[i].sql, sum);
            if (strcmp(sum, PQgetvalue(r, row, 1)) != 0) {
                snprintf(msg, msg_size, "migration %d (%s) in the database differs from this binary's",
                         v, hb_migrations[i].name);
                return HB_SCHEMA_MODIFIED;
            }
        }
    }
    return HB_SCHEMA_CURRENT;
}

hb_schema_state_t
hb_migrate_check(PGconn *pg, char *msg, size_t msg_size)
{
    hb_assert(pg);
    int want = hb_migrations[hb_migration_count - 1].version;
    PGresult *r = PQexec(pg, "SELECT version, checksum FROM hb_schema_migration ORDER BY version");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        hb_schema_state_t s = HB_SCHEMA_ERROR;
        if (state && strcmp(state, "42P01") == 0) {  /* undefined_table */
            snprintf(msg, msg_size, "the database has no hourbank schema: run \"hourbank-central migrate\"");
            s = HB_SCHEMA_TOO_OLD;
        } else {
            snprintf(msg, msg_size, "could not read the schema version: %s", PQresultErrorMessage(r));
        }
        PQclear(r);
        return s;
    }
    int n = PQntuples(r);
    int have = n ? atoi(PQgetvalue(r, n - 1, 0)) : 0;
    hb_schema_state_t s = check_checksums(r, msg, msg_size);
    PQclear(r);
    if (s != HB_SCHEMA_CURRENT)
        return s;
    if (have < want) {
        snprintf(msg, msg_size, "the database schema is version %d, this binary needs %d: run \"hourbank-central migrate\"",
                 have, want);
        return HB_SCHEMA_TOO_OLD;
    }
    if (have > want) {
        snprintf(msg, msg_size, "the database schema is version %d, newer than this binary's %d: upgrade hourbank-central",
                 have, want);
        return HB_SCHEMA_TOO_NEW;
    }
    return HB_SCHEMA_CURRENT;
}
