#include "admin.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "hb_assert.h"
#include "migrate.h"
#include "verify.h"

/* Notices (e.g. "relation already exists, skipping") are not for operators. */
static void
ignore_notice(void *arg, const char *message)
{
    (void) arg;
    (void) message;
}

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
    PQsetNoticeProcessor(pg, ignore_notice, NULL);
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
    hb_verify_t v;
    if (hb_migrate_check(pg, msg, sizeof msg) != HB_SCHEMA_CURRENT || hb_verify_run(pg, &v, msg, sizeof msg) != 0) {
        fprintf(stderr, "hourbank-central: %s\n", msg);
        PQfinish(pg);
        return 1;
    }
    int shown = PQntuples(v.problems);
    for (int i = 0; i < shown; i++)
        printf("PROBLEM: %s\n", PQgetvalue(v.problems, i, 0));
    if (v.problem_count > shown)
        printf("PROBLEM: %" PRId64 " more problems not listed\n", v.problem_count - shown);
    printf("%s: %" PRId64 " accounts, %" PRId64 " transfers, sum of balances %" PRId64
           " minutes, guarantee obligation %" PRId64 " minutes\n",
           v.problem_count == 0 ? "ledger verified" : "ledger INCONSISTENT", v.accounts, v.transfers,
           v.balance_sum_minutes, v.obligation_minutes);
    int rc = v.problem_count == 0 ? 0 : 1;
    hb_verify_clear(&v);
    PQfinish(pg);
    return rc;
}
