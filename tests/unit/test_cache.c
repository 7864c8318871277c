/* test_cache.c - central's writer cache (server/cache.h) and the map under it:
 * a day sum is given only while its account keeps the version it was kept
 * under, sums of an account whose cached version was stale are dropped,
 * members are kept as read, and a full cache empties instead of growing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "hb_limits.h"
#include "hb_map.h"

#define DAY 86400

static void
test_map_put_get_replace(void **state)
{
    (void) state;
    hb_map_t *m = hb_map_new(100);
    int a = 1, b = 2, c = 3;
    hb_map_put(m, "QX03-000001-4", 13, &a);
    hb_map_put(m, "QX03-000002-2", 13, &b);
    assert_ptr_equal(hb_map_get(m, "QX03-000001-4", 13), &a);
    assert_ptr_equal(hb_map_get(m, "QX03-000002-2", 13), &b);
    assert_null(hb_map_get(m, "QX03-000003-0", 13));
    assert_null(hb_map_get(m, "QX03-000001", 11));  /* a prefix is another key */
    hb_map_put(m, "QX03-000001-4", 13, &c);
    assert_ptr_equal(hb_map_get(m, "QX03-000001-4", 13), &c);
    assert_int_equal(hb_map_count(m), 2);
    for (int i = 0; i < 98; i++) {  /* filled to its stated capacity, every key still found */
        hb_map_key2_t k = {i, i * DAY};
        hb_map_put(m, &k, sizeof k, &a);
    }
    for (int i = 0; i < 98; i++) {
        hb_map_key2_t k = {i, i * DAY};
        assert_ptr_equal(hb_map_get(m, &k, sizeof k), &a);
    }
    assert_int_equal(hb_map_count(m), 100);
    hb_map_destroy(&m);
    assert_null(m);
}

static void
test_member_kept_as_read(void **state)
{
    (void) state;
    hb_cache_t *c = hb_cache_new();
    assert_null(hb_cache_member(c, "QX03-000001-4"));
    char no[] = "QX03-000001-4", fam[] = "QX03-000002-2";
    hb_cache_member_t m = {no, "QX03", 101, 1948, fam, false, 7};
    hb_cache_put_member(c, &m);
    memset(no, 'X', sizeof no - 1);  /* the cache holds its own copies */
    memset(fam, 'X', sizeof fam - 1);
    const hb_cache_member_t *got = hb_cache_member(c, "QX03-000001-4");
    assert_non_null(got);
    assert_string_equal(got->community, "QX03");
    assert_int_equal(got->account_id, 101);
    assert_int_equal(got->birth_year, 1948);
    assert_string_equal(got->family, "QX03-000002-2");
    assert_int_equal(got->account_version, 7);
    hb_cache_member_t none = {"QX03-000003-0", "QX03", 102, 0, NULL, false, 8};
    hb_cache_put_member(c, &none);
    assert_string_equal(hb_cache_member(c, "QX03-000003-0")->family, "");
    /* kept again under a new version, and with a new profile's facts */
    hb_cache_member_t later = {"QX03-000001-4", "QX03", 101, 1950, "QX03-000002-2,QX03-000003-0", false, 9};
    hb_cache_put_member(c, &later);
    got = hb_cache_member(c, "QX03-000001-4");
    assert_int_equal(got->birth_year, 1950);
    assert_int_equal(got->account_version, 9);
    assert_string_equal(got->family, "QX03-000002-2,QX03-000003-0");
    hb_cache_member_t moved_on = {"QX03-000001-4", "QX03", 101, 1950, "QX03-000002-2,QX03-000003-0", false, 12};
    hb_cache_put_member(c, &moved_on);
    assert_int_equal(hb_cache_member(c, "QX03-000001-4")->account_version, 12);
    hb_cache_clear(c);
    assert_null(hb_cache_member(c, "QX03-000001-4"));
    hb_cache_destroy(&c);
}

static void
test_day_sum_valid_only_at_its_version(void **state)
{
    (void) state;
    hb_cache_t *c = hb_cache_new();
    int64_t m = -1;
    assert_false(hb_cache_day_sum(c, 101, 7, 0, &m));
    hb_cache_put_account(c, 101, 0, 7);        /* first seen: locked at 0, now 7 */
    hb_cache_put_day_sum(c, 101, 0, 120);
    hb_cache_put_day_sum(c, 101, DAY, 60);
    assert_true(hb_cache_day_sum(c, 101, 7, 0, &m));
    assert_int_equal(m, 120);
    assert_false(hb_cache_day_sum(c, 101, 8, 0, &m));    /* someone else moved the account */
    assert_false(hb_cache_day_sum(c, 101, 7, 2 * DAY, &m));  /* never read */
    assert_false(hb_cache_day_sum(c, 102, 7, 0, &m));    /* another account */
    /* our own commit moved it from 7 to 9 and changed day 0 only: day 1 stays good */
    hb_cache_put_account(c, 101, 7, 9);
    hb_cache_put_day_sum(c, 101, 0, 150);
    assert_true(hb_cache_day_sum(c, 101, 9, 0, &m));
    assert_int_equal(m, 150);
    assert_true(hb_cache_day_sum(c, 101, 9, DAY, &m));
    assert_int_equal(m, 60);
    assert_false(hb_cache_day_sum(c, 101, 7, DAY, &m));
    hb_cache_destroy(&c);
}

static void
test_stale_version_drops_other_days(void **state)
{
    (void) state;
    hb_cache_t *c = hb_cache_new();
    int64_t m = -1;
    hb_cache_put_account(c, 101, 0, 7);
    hb_cache_put_day_sum(c, 101, 0, 120);
    hb_cache_put_day_sum(c, 101, DAY, 60);
    /* a group locked the account at version 12 (another writer had moved it),
     * read day 0 again and committed version 13: day 1 was not checked */
    hb_cache_put_account(c, 101, 12, 13);
    hb_cache_put_day_sum(c, 101, 0, 30);
    assert_true(hb_cache_day_sum(c, 101, 13, 0, &m));
    assert_int_equal(m, 30);
    assert_false(hb_cache_day_sum(c, 101, 13, DAY, &m));
    /* a sum put for an account the cache has no version of is not kept */
    hb_cache_put_day_sum(c, 555, 0, 10);
    assert_false(hb_cache_day_sum(c, 555, 0, 0, &m));
    hb_cache_destroy(&c);
}

static void
test_full_cache_empties(void **state)
{
    (void) state;
    hb_cache_t *c = hb_cache_new();
    int64_t m = -1;
    hb_cache_put_account(c, 1, 0, 5);
    for (int64_t d = 0; d < HB_CACHE_DAY_SUMS_MAX - 1; d++)
        hb_cache_put_day_sum(c, 1, d * DAY, d);
    assert_true(hb_cache_day_sum(c, 1, 5, 100 * DAY, &m));
    assert_int_equal(m, 100);
    hb_cache_put_day_sum(c, 1, -DAY, 1);      /* the last free entry */
    hb_cache_put_day_sum(c, 1, -2 * DAY, 1);  /* full: emptied, the account's version with it */
    assert_false(hb_cache_day_sum(c, 1, 5, 100 * DAY, &m));
    assert_false(hb_cache_day_sum(c, 1, 5, -2 * DAY, &m));
    hb_cache_put_account(c, 1, 5, 6);  /* starts over, usable again */
    hb_cache_put_day_sum(c, 1, 0, 42);
    assert_true(hb_cache_day_sum(c, 1, 6, 0, &m));
    assert_int_equal(m, 42);
    hb_cache_destroy(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_put_get_replace),
        cmocka_unit_test(test_member_kept_as_read),
        cmocka_unit_test(test_day_sum_valid_only_at_its_version),
        cmocka_unit_test(test_stale_version_drops_other_days),
        cmocka_unit_test(test_full_cache_empties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
