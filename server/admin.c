#include "admin.h"

#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "hb_assert.h"
#include "migrate.h"

static PGconn *
connect_or_say(const char *conninfo)
{
    PGconn *pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK) {
        char *msg = PQerrorMessage(pg);
        msg[strcspn(msg, "\n")] = '\0';
        fprintf(stderr, "hourbank-central: could not connect to the ledger database: %s\n", msg);
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, NULL, NULL);
    return pg;
}

int
hb_admin_migrate(const hb_central_conf_t *conf)
{
    hb_assert(conf);
    PGconn *pg = connect_or_say(conf->database);
    if (!pg)
        return 1;
    char msg[1024];
    int rc = hb_migrate_apply(pg, msg, sizeof msg);
    if (rc != 0)
        fprintf(stderr, "hourbank-central: migration failed: %s\n", msg);
    else if (hb_migrate_check(pg, msg, sizeof msg) != HB_SCHEMA_CURRENT)
        fprintf(stderr, "hourbank-central: %s\n", msg), rc = -1;
    else
        printf("schema is at version %d\n", hb_migrations[hb_migration_count - 1].version);
    PQfinish(pg);
    return rc == 0 ? 0 : 1;
}

int
hb_admin_verify(const hb_central_conf_t *conf)
{
    hb_assert(conf);
    PGconn *pg = connect_or_say(conf->database);
    if (!pg)
        return 1;
    char msg[1024];
    if (hb_migrate_check(pg, msg, sizeof msg) != HB_SCHEMA_CURRENT) {
        fprintf(stderr, "hourbank-central: %s\n", msg);
        PQfinish(pg);
        return 1;
    }
    /* One snapshot for the checks and the summary. */
    PQclear(PQexec(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    PGresult *r = PQexec(pg, "SELECT problem FROM hb_verify()");
    PGresult *s = PQexec(pg, "SELECT (SELECT count(*) FROM account), (SELECT count(*) FROM transfer),"
                             " (SELECT coalesce(sum(credits - debits), 0) FROM account),"
                             " (SELECT -(credits - debits) FROM account WHERE id = 1)");
    int rc = 1;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQresultStatus(s) != PGRES_TUPLES_OK) {
        fprintf(stderr, "hourbank-central: verify could not run: %s\n", PQerrorMessage(pg));
    } else {
        for (int i = 0; i < PQntuples(r); i++)
            printf("PROBLEM: %s\n", PQgetvalue(r, i, 0));
        rc = PQntuples(r) == 0 ? 0 : 1;
        printf("%s: %s accounts, %s transfers, sum of balances %s minutes, guarantee obligation %s minutes\n",
               rc == 0 ? "ledger verified" : "ledger INCONSISTENT", PQgetvalue(s, 0, 0),
               PQgetvalue(s, 0, 1), PQgetvalue(s, 0, 2), PQgetvalue(s, 0, 3));
    }
    PQclear(r);
    PQclear(s);
    PQfinish(pg);
    return rc;
}
