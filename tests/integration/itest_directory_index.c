/* Issue 12, item 9: the directory query is served by an index. Every
 * connected station asks for the members changed since its version every
 * few seconds; without an index each question reads and sorts every
 * account. Central's own query text (hb_query_directory_sql) is EXPLAINed
 * on a migrated ledger with sequential scans disabled: the plan must walk
 * directory_change's primary key (migration 0012). And account keeps no
 * index but its primary key, so that the balance updates of every posting
 * stay HOT (an index on account.version cost a third of the ingestion
 * rate); the accounts' versions as directory_change holds them are checked
 * against account after inserts and updates. */
#include "hb_itest.h"

#include "query.h"

#include <stdlib.h>
#include <string.h>

#define PLAN_BYTES 8192

static void
test_directory_query_uses_index(void **state)
{
    (void) state;
    hb_h_central_t central;
    hb_h_central_init(&central, "hb_itest_dir_index", NULL, NULL, NULL);
    PGconn *pg = hb_h_pg(central.conninfo);
    /* some rows, so that the statistics are not those of an empty table */
    assert_true(hb_h_pg_ok(pg, "INSERT INTO account (kind) SELECT 'donation' FROM generate_series(1, 5000)"));
    assert_true(hb_h_pg_ok(pg, "ANALYZE account"));
    assert_true(hb_h_pg_ok(pg, "SET enable_seqscan = off"));
    char explain[1024];
    snprintf(explain, sizeof explain, "EXPLAIN %s", hb_query_directory_sql);
    const char *params[] = {"4990", "501"};
    PGresult *r = PQexecParams(pg, explain, 2, NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    char plan[PLAN_BYTES] = "";
    for (int i = 0; i < PQntuples(r); i++) {
        strncat(plan, PQgetvalue(r, i, 0), sizeof plan - strlen(plan) - 2);
        strcat(plan, "\n");
    }
    PQclear(r);
    print_message("%s", plan);
    if (!strstr(plan, "directory_change_pkey"))
        fail_msg("the directory query does not use directory_change_pkey:\n%s", plan);
    assert_true(hb_h_pg_ok(pg, "RESET enable_seqscan"));
    /* account: its primary key only, so balance updates stay HOT */
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM pg_indexes WHERE tablename = 'account'"), 1);
    /* one row per account, at its current version, through inserts and updates */
    assert_true(hb_h_pg_ok(pg, "UPDATE account SET version = nextval('directory_version') WHERE id % 3 = 0"));
    assert_true(hb_h_pg_ok(pg, "UPDATE account SET version = nextval('directory_version') WHERE id % 6 = 0"));
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM directory_change"),
                     hb_h_pg_int(pg, "SELECT count(*) FROM account"));
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM account a JOIN directory_change c"
                                     " ON c.account_id = a.id AND c.version = a.version"),
                     hb_h_pg_int(pg, "SELECT count(*) FROM account"));
    PQfinish(pg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directory_query_uses_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
