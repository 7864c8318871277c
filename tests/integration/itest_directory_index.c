/* Issue 12, item 9: the directory query is served by an index (migration
 * 0011). Every connected station asks for the members changed since its
 * version every few seconds; without an index each question reads and
 * sorts every account. The query's own text (server/query.c,
 * answer_directory) is EXPLAINed on a migrated ledger with sequential scans
 * disabled, so that the plan names the index that serves it: without the
 * index the planner has none on account.version and the check fails. */
#include "hb_itest.h"

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
    PGresult *r = PQexec(pg, "EXPLAIN SELECT m.member_no, m.name, m.role, coalesce(m.birth_year, 0),"
                             " coalesce(m.family_of, ''), a.credits - a.debits, a.version"
                             " FROM member m JOIN account a ON a.id = m.account_id"
                             " WHERE a.version > 4990 ORDER BY a.version LIMIT 501");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    char plan[PLAN_BYTES] = "";
    for (int i = 0; i < PQntuples(r); i++) {
        strncat(plan, PQgetvalue(r, i, 0), sizeof plan - strlen(plan) - 2);
        strcat(plan, "\n");
    }
    PQclear(r);
    print_message("%s", plan);
    if (!strstr(plan, "account_version_idx"))
        fail_msg("the directory query does not use account_version_idx:\n%s", plan);
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
