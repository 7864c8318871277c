/* The harness itself: the throwaway PostgreSQL that ./tests/run started is
 * reachable through libpq and answers a query. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hb_harness.h"

static void
test_select_one(void **state)
{
    (void) state;
    PGconn *pg = hb_h_pg(hb_h_createdb("hb_itest_pg"));
    assert_int_equal(hb_h_pg_int(pg, "SELECT 1"), 1);
    assert_int_equal(hb_h_pg_int(pg, "SELECT current_setting('server_version_num')::int / 10000"), 15);
    assert_false(hb_h_pg_ok(pg, "SELECT * FROM no_such_table"));
    PQfinish(pg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_select_one)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
