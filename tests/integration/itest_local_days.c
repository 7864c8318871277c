/* Local days (issue 12, item 3): a daily limit counts the provider's
 * district's local day, in the time zone central.yaml gives the city
 * (Asia/Shanghai here) or the district (QINHUAI: UTC), not the UTC day nor
 * the database's TimeZone (UTC in the tests' cluster).
 *
 * Nanjing, limit 8h: 7h at 23:30 and 2h at 00:30 the next local day are
 * both accepted, though both fall on one UTC day (15:30 and 16:30 UTC);
 * 5h at 07:00 and 4h at 10:00 of one local day (23:00 and 02:00 UTC, two
 * UTC days) pass 8h: the second is refused, naming the local date. In
 * QINHUAI, counted in UTC, the same two times are two days: both pass. */
#include "hb_itest.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define DAY_S (24 * 3600)
#define HOUR_S 3600
#define MINUTE_S 60
#define SHANGHAI_OFFSET_S (8 * HOUR_S)   /* UTC+8 all year: China keeps no summer time */
#define DAYS_AGO 3
#define YAML_BYTES 16384

static hb_h_central_t central;

#define Q(n) hb_h_member("QX03", n)
#define H(n) hb_h_member("QH01", n)

static int
teardown(void **state)
{
    (void) state;
    if (central.pid > 0)
        hb_h_central_stop(&central, SIGKILL);
    return 0;
}

/* Replaces the first `from` in text with `to`. */
static void
replace(char *text, size_t size, const char *from, const char *to)
{
    char *at = strstr(text, from);
    assert_non_null(at);
    size_t tail = strlen(at + strlen(from));
    assert_true(strlen(text) - strlen(from) + strlen(to) < size);
    memmove(at + strlen(to), at + strlen(from), tail + 1);
    memcpy(at, to, strlen(to));
}

/* The city in Shanghai time with an 8h limit; QINHUAI counts UTC days. */
static void
configure(void)
{
    char yaml[YAML_BYTES];
    hb_h_read_file(central.conf, yaml, sizeof yaml);
    replace(yaml, sizeof yaml, "time_zone: UTC\n", "time_zone: \"Asia/Shanghai\"\n");
    replace(yaml, sizeof yaml, "    daily_limit: 12h\n", "    daily_limit: 8h\n");
    replace(yaml, sizeof yaml, "    name: Qinhuai\n", "    name: Qinhuai\n    daily_limit: 8h\n    time_zone: UTC\n");
    hb_h_write_file(central.conf, yaml);
}

static void
send_expect(hb_h_client_t *cl, hb_h_batch_t *b, const int *want, size_t n, char *last_msg, size_t size)
{
    Hourbank__Envelope *ack = itest_send(cl, b);
    itest_expect(ack, want, n);
    snprintf(last_msg, size, "%s", itest_values(ack->batch_ack->results[n - 1]));
    hb_wire_free(&ack);
}

static void
test_local_days(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_local_days", NULL, NULL, NULL);
    configure();
    hb_h_central_start(&central);
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM district_rule WHERE version = 1"
                                     " AND (district, time_zone) IN (('GULOU', 'Asia/Shanghai'), ('QINHUAI', 'UTC'))"), 2);
    /* day 1 starts at local 00:00 in Nanjing: 16:00 UTC the day before */
    int64_t now = (int64_t) time(NULL);
    int64_t day1 = ((now + SHANGHAI_OFFSET_S) / DAY_S - DAYS_AGO) * DAY_S - SHANGHAI_OFFSET_S;
    int64_t day2 = day1 + DAY_S;
    char msg[HB_MESSAGE_BYTES_MAX], want[HB_MESSAGE_BYTES_MAX], date[16];
    time_t local_noon2 = (time_t) (day2 + 12 * HOUR_S + SHANGHAI_OFFSET_S);
    struct tm tm;
    gmtime_r(&local_noon2, &tm);
    strftime(date, sizeof date, "%Y-%m-%d", &tm);

    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, Q(1), "P", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_register(b, 2, Q(2), "R", HOURBANK__ROLE__ELDER, 1930, NULL);   /* guarantee pays: 80+ */
    hb_h_batch_register(b, 3, Q(3), "S", HOURBANK__ROLE__VOLUNTEER, 1962, NULL);
    /* one UTC day (15:30 and 16:30 UTC), two local days */
    hb_h_batch_service(b, 4, day1 + 23 * HOUR_S + 30 * MINUTE_S, Q(1), Q(2), 7 * 60, "personal-care");
    hb_h_batch_service(b, 5, day2 + 30 * MINUTE_S, Q(1), Q(2), 2 * 60, "personal-care");
    /* one local day (07:00 and 10:00), two UTC days (23:00 and 02:00 UTC) */
    hb_h_batch_service(b, 6, day2 + 7 * HOUR_S, Q(3), Q(2), 5 * 60, "personal-care");
    hb_h_batch_service(b, 7, day2 + 10 * HOUR_S, Q(3), Q(2), 4 * 60, "personal-care");
    const int nanjing[] = {1, 1, 1, 1, 1, 1, HOURBANK__RESULT__DAILY_LIMIT_EXCEEDED};
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    assert_int_equal(hb_h_hello(cl, 1, 0), 0);
    send_expect(cl, b, nanjing, sizeof nanjing / sizeof nanjing[0], msg, sizeof msg);
    snprintf(want, sizeof want, "member=%s\nlimit_minutes=480\nday=%s", Q(3), date);
    assert_string_equal(msg, want);
    hb_h_batch_free(&b);
    hb_h_client_destroy(&cl);
    assert_int_equal(itest_balance(pg, Q(1)), 9 * 60);
    assert_int_equal(itest_balance(pg, Q(3)), 5 * 60);

    /* QINHUAI counts UTC days: 23:00 and 02:00 UTC are two days */
    b = hb_h_batch_new();
    hb_h_batch_register(b, 1, H(1), "T", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_register(b, 2, H(2), "U", HOURBANK__ROLE__ELDER, 1930, NULL);   /* guarantee pays: 85+ */
    hb_h_batch_service(b, 3, day2 + 7 * HOUR_S, H(1), H(2), 5 * 60, "companionship");
    hb_h_batch_service(b, 4, day2 + 10 * HOUR_S, H(1), H(2), 4 * 60, "companionship");
    hb_h_batch_service(b, 5, day2 + 11 * HOUR_S, H(1), H(2), 4 * 60 + 1, "companionship");
    const int qinhuai[] = {1, 1, 1, 1, HOURBANK__RESULT__DAILY_LIMIT_EXCEEDED};
    cl = hb_h_central_client(&central, 3);
    assert_int_equal(hb_h_hello(cl, 3, 0), 0);
    send_expect(cl, b, qinhuai, sizeof qinhuai / sizeof qinhuai[0], msg, sizeof msg);
    time_t utc_day = (time_t) (day2 + 10 * HOUR_S);
    gmtime_r(&utc_day, &tm);
    strftime(date, sizeof date, "%Y-%m-%d", &tm);
    snprintf(want, sizeof want, "member=%s\nlimit_minutes=480\nday=%s", H(1), date);
    assert_string_equal(msg, want);
    hb_h_batch_free(&b);
    hb_h_client_destroy(&cl);
    assert_int_equal(itest_balance(pg, H(1)), 9 * 60);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM hb_verify()"), 0);
    PQfinish(pg);
    int st = hb_h_central_stop(&central, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_local_days, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
