/* Local days at the station and the CLI (issue 12, item 3): the `hourbank`
 * CLI reads and prints dates and times in the zone of the station's
 * district, which central says in its Welcome, not in the zone of the PC it
 * runs on. Real hourbank-central (PostgreSQL), real hourbank-station, the
 * real CLI; every process runs with TZ=America/New_York.
 *
 * central.yaml: the city counts UTC days, district GULOU (stations 1 and 2)
 * Asia/Shanghai. D is a Shanghai date three days ago.
 *   - `record --at "D 23:30"` is stored at central as 23:30 in Shanghai
 *     (15:30 UTC), `--at "D+1 00:30"` as 16:30 UTC;
 *   - `statement --since D+1` starts at Shanghai's midnight (16:00 UTC on D)
 *     and counts posting times: both records, posted today; their times
 *     print as "D 23:30" and "D+1 00:30", and in --json with +08:00;
 *     `status` names the zone;
 *   - `stations` (admin, central) prints in the city's zone: +00:00;
 *   - a station that never reached central says so once on stderr and uses
 *     the PC's zone; once it has, it keeps the zone in its outbox: restarted
 *     with central down it still reads --at in Shanghai time;
 *   - a new zone at central reaches the station at its next hello, logged.
 * On the main before this change the CLI read and printed New York time:
 * the first check of occurred_at fails (13 hours off). */
#include "hb_itest.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUT_BYTES (64 * 1024)
#define ERR_BYTES 4096
#define WORDS_MAX 32
#define YAML_BYTES 16384
#define HOUR_S 3600
#define DAY_S (24 * HOUR_S)
#define MINUTE_S 60
#define SHANGHAI_OFFSET_S (8 * HOUR_S)   /* UTC+8 all year: China keeps no summer time */
#define DAYS_AGO 3
#define SYNC_WAIT_S 30
#define LOG_WAIT_MS 15000
#define PC_ZONE "America/New_York"

static hb_h_central_t central;
static hb_h_station_t station, fresh;
static char run_dir[512], admin_yaml[700];
static char vol[32], eld[32];

static int g_rc;
static char g_out[OUT_BYTES], g_err[ERR_BYTES];

/* ---- running the binary ---- */

/* Runs `hourbank words... -c conf` (conf NULL: --admin admin.yaml). */
static void
run_hourbank(const char *conf, const char *const *words)
{
    char bin[600];
    const char *argv[WORDS_MAX + 1];
    int argc = 0;
    argv[argc++] = hb_h_bin("hourbank", bin, sizeof bin);
    for (; *words && argc < WORDS_MAX - 3; words++)
        argv[argc++] = *words;
    argv[argc++] = conf ? "-c" : "--admin";
    argv[argc++] = conf ? conf : admin_yaml;
    argv[argc] = NULL;
    g_rc = hb_h_run_capture(argv, run_dir, g_out, sizeof g_out, g_err, sizeof g_err);
}

/* A command to station 1, to station 2 (fresh), or to central as admin. */
#define S(...) run_hourbank(station.conf, (const char *const[]){__VA_ARGS__, NULL})
#define F(...) run_hourbank(fresh.conf, (const char *const[]){__VA_ARGS__, NULL})
#define A(...) run_hourbank(NULL, (const char *const[]){__VA_ARGS__, NULL})

static void
expect_ok(void)
{
    if (g_rc != 0 || g_err[0])
        fail_msg("exit %d\nstdout: %s\nstderr: %s", g_rc, g_out, g_err);
}

static void
out_has(const char *needle)
{
    if (!strstr(g_out, needle))
        fail_msg("stdout lacks \"%s\":\n%s", needle, g_out);
}

/* "QX03-000001-x registered, saved as ..." -> the number. */
static void
registered(char *out, size_t size)
{
    expect_ok();
    size_t n = strcspn(g_out, " ");
    assert_true(n < size);
    memcpy(out, g_out, n);
    out[n] = '\0';
}

/* "saved as S:N (pending sync)" -> N (stderr is the caller's to check). */
static long long
saved_seq(void)
{
    if (g_rc != 0)
        fail_msg("exit %d\nstdout: %s\nstderr: %s", g_rc, g_out, g_err);
    const char *colon = strchr(g_out, ':');
    assert_non_null(colon);
    return strtoll(colon + 1, NULL, 10);
}

/* ---- dates ---- */

/* The UTC instant Shanghai's day `days` days from D begins, and its date. */
static int64_t g_day_start;  /* D's start */

static const char *
shanghai_date(int days, char *buf, size_t size)
{
    time_t noon = (time_t) (g_day_start + days * DAY_S + 12 * HOUR_S + SHANGHAI_OFFSET_S);
    struct tm tm;
    gmtime_r(&noon, &tm);
    strftime(buf, size, "%Y-%m-%d", &tm);
    return buf;
}

/* date at hh:mm on this PC's clock (TZ=America/New_York), Unix seconds. */
static int64_t
pc_instant(const char *date, int hour, int minute)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    assert_non_null(strptime(date, "%Y-%m-%d", &tm));
    tm.tm_hour = hour, tm.tm_min = minute, tm.tm_isdst = -1;
    return (int64_t) mktime(&tm);
}

/* occurred_at of op (station, seq) at central, Unix seconds. */
static int64_t
central_occurred_at(PGconn *pg, int station_id, long long seq)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT extract(epoch FROM occurred_at)::bigint FROM op"
                              " WHERE station_id = %d AND seq = %lld", station_id, seq);
    return hb_h_pg_int(pg, sql);
}

static void
wait_drained(const hb_h_station_t *s)
{
    hb_h_client_t *cl = hb_h_station_client(s);
    assert_true(hb_h_wait_drained(cl, SYNC_WAIT_S));
    hb_h_client_destroy(&cl);
}

/* Until the station's link is up: it has had central's Welcome. */
static void
wait_link_up(const hb_h_station_t *s)
{
    hb_h_client_t *cl = hb_h_station_client(s);
    bool up = false;
    for (int i = 0; i < SYNC_WAIT_S * 10 && !up; i++) {
        Hourbank__Envelope *r = hb_h_queue(cl, false);
        up = r && strcmp(r->queue_reply->link, "up") == 0;
        hb_wire_free(&r);
        if (!up)
            usleep(100 * 1000);
    }
    hb_h_client_destroy(&cl);
    assert_true(up);
}

/* ---- setup ---- */

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

/* GULOU counts its days in zone; the city stays UTC. */
static void
configure(const char *zone)
{
    char yaml[YAML_BYTES], line[128];
    hb_h_central_write_config(&central, NULL, NULL, NULL, NULL);
    hb_h_read_file(central.conf, yaml, sizeof yaml);
    snprintf(line, sizeof line, "    name: Gulou\n    time_zone: \"%s\"\n", zone);
    replace(yaml, sizeof yaml, "    name: Gulou\n", line);
    hb_h_write_file(central.conf, yaml);
}

static int
setup(void **state)
{
    (void) state;
    setenv("TZ", PC_ZONE, 1);  /* the PC's zone, for every process the test starts */
    tzset();
    snprintf(run_dir, sizeof run_dir, "%s", hb_h_tmpdir("hb_itest_cli_local_days"));
    hb_h_central_init(&central, "hb_itest_cli_local_days", NULL, NULL, NULL);
    configure("Asia/Shanghai");
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, 1, 0);
    hb_h_station_start(&station);
    hb_h_station_init(&fresh, &central, 2, 0);
    snprintf(admin_yaml, sizeof admin_yaml, "%s", hb_h_admin_yaml(&central, run_dir));
    int64_t now = (int64_t) time(NULL);
    g_day_start = ((now + SHANGHAI_OFFSET_S) / DAY_S - DAYS_AGO) * DAY_S - SHANGHAI_OFFSET_S;
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    if (fresh.pid)
        hb_h_station_stop(&fresh, SIGTERM);
    if (station.pid)
        hb_h_station_stop(&station, SIGTERM);
    if (central.pid)
        hb_h_central_stop(&central, SIGTERM);
    unsetenv("TZ");
    return 0;
}

/* ---- the district's days ---- */

static void
test_district_days(void **state)
{
    (void) state;
    char d0[16], d1[16], at[32], want[256];
    shanghai_date(0, d0, sizeof d0);
    shanghai_date(1, d1, sizeof d1);
    wait_link_up(&station);
    S("member", "add", "--name", "Zhang Wei", "--role", "volunteer", "--birth-year", "1961");
    registered(vol, sizeof vol);
    S("member", "add", "--name", "Wang Xiuying", "--role", "elder", "--birth-year", "1930");
    registered(eld, sizeof eld);

    /* 23:30 on D and 00:30 on D+1 in Shanghai: two local days */
    snprintf(at, sizeof at, "%s 23:30", d0);
    S("record", "--provider", vol, "--recipient", eld, "--duration", "1h", "--category", "personal-care", "--at", at);
    long long late = saved_seq();
    expect_ok();
    snprintf(at, sizeof at, "%s 00:30", d1);
    S("record", "--provider", vol, "--recipient", eld, "--duration", "2h", "--category", "personal-care", "--at", at);
    long long early = saved_seq();
    expect_ok();
    wait_drained(&station);
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(central_occurred_at(pg, 1, late), g_day_start + 23 * HOUR_S + 30 * MINUTE_S);
    assert_int_equal(central_occurred_at(pg, 1, early), g_day_start + DAY_S + 30 * MINUTE_S);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE result <> 1"), 0);
    PQfinish(pg);

    /* --since D+1 is Shanghai's midnight; both were posted after it, today */
    S("statement", vol, "--since", d1);
    expect_ok();
    snprintf(want, sizeof want, "statement of %s ", vol);
    assert_true(strncmp(g_out, want, strlen(want)) == 0);
    snprintf(want, sizeof want, "\nperiod           from %s\n", d1);
    out_has(want);
    /* the day of service is the district's: D+1 00:30 and D 23:30 */
    snprintf(want, sizeof want, "  %s   service personal-care  ", d1);
    out_has(want);
    snprintf(want, sizeof want, "  %s   service personal-care  ", d0);
    out_has(want);
    const char *count = strstr(g_out, "\nentries ");
    assert_non_null(count);
    assert_int_equal(atoi(count + strlen("\nentries ")), 2);
    S("statement", vol, "--since", d0, "--json");
    expect_ok();
    snprintf(want, sizeof want, "\"since\": \"%sT00:00:00+08:00\"", d0);
    out_has(want);
    snprintf(want, sizeof want, "\"occurred_at\": \"%sT23:30:00+08:00\"", d0);
    out_has(want);
    snprintf(want, sizeof want, "\"occurred_at\": \"%sT00:30:00+08:00\"", d1);
    out_has(want);
    snprintf(want, sizeof want, "\"service_day\": \"%s\"", d1);
    out_has(want);
    snprintf(want, sizeof want, "\"service_day\": \"%s\"", d0);
    out_has(want);

    /* the station names its zone; its times are Shanghai's */
    S("status");
    expect_ok();
    out_has("\ntime zone     Asia/Shanghai (the district's, from central)\n");
    S("status", "--json");
    expect_ok();
    out_has("\"time_zone\": \"Asia/Shanghai\"");
    out_has("+08:00\"");
    for (int i = 0; i < SYNC_WAIT_S * 10; i++) {  /* "as of" the first directory sync */
        S("balance", vol, "--json");
        expect_ok();
        if (!strstr(g_out, "\"as_of\": null"))
            break;
        usleep(100 * 1000);
    }
    out_has("+08:00\",\n  \"synced_minutes\": ");

    /* central's station list: the city's zone (UTC), not the PC's */
    A("stations", "--json");
    expect_ok();
    out_has("\"last_contact\": \"");
    assert_non_null(strstr(g_out, "+00:00\""));
    assert_null(strstr(g_out, "-05:00\""));
    assert_true(hb_h_log_count(station.log, "district time zone learned from central time_zone=\"Asia/Shanghai\"")
                == 1);
}

/* ---- a station that does not know the zone yet, and one that keeps it ---- */

static void
test_unknown_then_kept(void **state)
{
    (void) state;
    char d0[16], at[32];
    shanghai_date(0, d0, sizeof d0);
    hb_h_central_stop(&central, SIGTERM);
    hb_h_station_start(&fresh);  /* never reached central */
    F("status");
    assert_int_equal(g_rc, 0);
    assert_string_equal(g_err, "hourbank: note: the station does not know its district's time zone yet (it learns "
                               "it from central when it next connects); dates and times here are in this computer's "
                               "time zone (" PC_ZONE ")\n");
    out_has("\ntime zone     not known yet (the station learns it from central when it next connects)\n");
    /* read in the PC's zone: 10:00 in New York */
    snprintf(at, sizeof at, "%s 10:00", d0);
    char helper[32], elder[32];
    F("member", "add", "--name", "Li Na", "--role", "volunteer");
    registered(helper, sizeof helper);
    F("member", "add", "--name", "Zhao Min", "--role", "elder", "--birth-year", "1930");
    registered(elder, sizeof elder);
    F("record", "--provider", helper, "--recipient", elder, "--duration", "1h", "--category", "personal-care",
      "--at", at);
    assert_int_equal(g_rc, 0);
    assert_non_null(strstr(g_err, "does not know its district's time zone yet"));
    long long guessed = saved_seq();

    /* central comes back: the station learns Shanghai and keeps it */
    hb_h_central_start(&central);
    wait_link_up(&fresh);
    wait_drained(&fresh);
    assert_true(hb_h_log_wait(fresh.log, "district time zone learned from central time_zone=\"Asia/Shanghai\"", 1,
                              LOG_WAIT_MS));
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(central_occurred_at(pg, 2, guessed), pc_instant(d0, 10, 0));

    /* both down; the station restarted offline still reads Shanghai time */
    hb_h_central_stop(&central, SIGTERM);
    hb_h_station_stop(&fresh, SIGTERM);
    hb_h_station_start(&fresh);
    snprintf(at, sizeof at, "%s 11:00", d0);
    F("record", "--provider", helper, "--recipient", elder, "--duration", "1h", "--category", "personal-care",
      "--at", at);
    long long offline = saved_seq();
    assert_string_equal(g_err, "");
    F("status");
    expect_ok();
    out_has("\ntime zone     Asia/Shanghai (the district's, from central)\n");

    /* a new zone at central reaches the station at its next hello */
    configure("Asia/Urumqi");
    hb_h_central_start(&central);
    wait_link_up(&fresh);
    wait_drained(&fresh);
    assert_int_equal(central_occurred_at(pg, 2, offline), g_day_start + 11 * HOUR_S);
    assert_true(hb_h_log_wait(fresh.log, "the district's time zone changed at central", 1, LOG_WAIT_MS));
    assert_true(hb_h_log_count(fresh.log, "from=\"Asia/Shanghai\" to=\"Asia/Urumqi\"") == 1);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 2 AND result <> 1"), 0);
    F("status", "--json");
    expect_ok();
    out_has("\"time_zone\": \"Asia/Urumqi\"");
    PQfinish(pg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_district_days),
        cmocka_unit_test(test_unknown_then_kept),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
