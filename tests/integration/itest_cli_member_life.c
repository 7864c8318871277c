/* Members' lives through the CLI (issue 15): the real `hourbank` binary
 * against a real hourbank-central (PostgreSQL) and two real stations,
 * station 1 (QX03, district GULOU) and station 3 (QH01, QINHUAI).
 *
 * 1. A registration of a name and birth year already in the community is
 *    refused as a possible duplicate, saying what to do; with
 *    --confirm-new it is saved; --relation goes with --family.
 * 2. `member amend` prints what changes (old → new) and saves; after the
 *    sync `member show` has the new birth year and the family link with
 *    its relation; the queue shows the correction.
 * 3. `member move` at station 3 prints a new QH01 number, framed; after
 *    the sync `member show OLD` and `member show NEW` show the same
 *    member, at both stations.
 * 4. `member leave` without --yes says where the hours go (the district's
 *    rule from `hourbank rules`) and that the personal data is erased, and
 *    saves nothing; with --yes (and the heir GULOU's family rule lets her
 *    name) it is saved, and after the sync the heir has the hour, the
 *    member shows as left with no name, and the statement shows the leave.
 * The CLI against a fake station (wording, refusals before contact):
 * tests/unit/test_cli_life.c. */
#include "itest_cli_run.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "hb_memberno.h"

#define POLL_NS 200000000L
#define POLLS_PER_S 5

static hb_h_station_t station3;
static char liu[32];

/* hourbank at station 3 */
#define S3(...) run_bin("hourbank", (const char *const[]){__VA_ARGS__, NULL}, (const char *const[]){"-c", station3.conf, NULL})

static int
setup(void **state)
{
    (void) state;
    cli_start("hb_itest_cli_life", NULL, false);
    hb_h_station_init(&station3, &central, 3, 0);
    hb_h_station_start(&station3);
    return 0;
}

static int
teardown(void **state)
{
    if (station3.pid)
        hb_h_station_stop(&station3, SIGTERM);
    return cli_teardown(state);
}

static void
wait_drained_at(hb_h_station_t *s)
{
    hb_h_client_t *cl = hb_h_station_client(s);
    assert_true(hb_h_wait_drained(cl, SYNC_WAIT_S));
    hb_h_client_destroy(&cl);
}

/* Runs `member show no` at s until its output has want (the station's
 * directory follows central's after a sync). */
static void
wait_shown(hb_h_station_t *s, const char *no, const char *want)
{
    for (int i = 0; i < SYNC_WAIT_S * POLLS_PER_S; i++) {
        run_bin("hourbank", (const char *const[]){"member", "show", no, NULL},
                (const char *const[]){"-c", s->conf, NULL});
        if (g_rc == 0 && strstr(g_out, want))
            return;
        struct timespec ts = {0, POLL_NS};
        nanosleep(&ts, NULL);
    }
    fail_msg("member show %s never had \"%s\": exit %d\n%s%s", no, want, g_rc, g_out, g_err);
}

/* The number at the start of the first line ("NO registered, ..."). */
static void
first_word(char *out, size_t size)
{
    size_t n = strcspn(g_out, " ");
    assert_true(n < size);
    memcpy(out, g_out, n);
    out[n] = '\0';
    assert_int_equal(hb_memberno_parse(out, NULL, NULL), HB_RESULT_OK);
}

/* ---- 1. possible duplicates ---- */

static void
test_duplicate(void **state)
{
    (void) state;
    char again[32], want[512];
    use_lang("en_US.UTF-8");
    registered("Liu Min", "elder", "1968", liu, sizeof liu);
    S("member", "add", "--name", " liu min ", "--role", "elder", "--birth-year", "1968");
    if (g_rc != EX_DATAERR)
        fail_msg("a second Liu Min 1968 was not refused: exit %d\n%s%s", g_rc, g_out, g_err);
    assert_string_equal(g_out, "");
    snprintf(want, sizeof want, "Liu Min (%s), born 1968, is already registered in this community (possible "
                                "duplicate); check that it is not the same person (hourbank member show %s); if it is "
                                "another person, run the same command again with --confirm-new\n", liu, liu);
    has(g_err, want);
    use_lang("zh_CN.UTF-8");
    S("member", "add", "--name", "Liu Min", "--role", "elder", "--birth-year", "1968");
    assert_int_equal(g_rc, EX_DATAERR);
    has(g_err, "\xE5\x8F\xAF\xE8\x83\xBD\xE9\x87\x8D\xE5\xA4\x8D\xE7\x99\xBB\xE8\xAE\xB0");  /* 可能重复登记 */
    has(g_err, "--confirm-new");
    use_lang("en_US.UTF-8");
    S("member", "find", "Liu Min", "--json");
    expect_ok();
    if (strstr(strstr(g_out, liu) + 1, "\"member_no\""))
        fail_msg("a refused registration was saved:\n%s", g_out);
    S("member", "add", "--name", "Liu Min", "--role", "elder", "--birth-year", "1968", "--confirm-new");
    expect_ok();
    first_word(again, sizeof again);
    assert_string_not_equal(again, liu);
    S("member", "add", "--name", "Liu Xiao", "--role", "volunteer", "--family", liu, "--relation", "granddaughter");
    expect_ok();
    snprintf(want, sizeof want, "), family of Liu Min (%s)\n", liu);
    has(g_out, want);
}

/* ---- 2. corrections ---- */

static void
test_amend(void **state)
{
    (void) state;
    char want[512], ref[32], link[64];
    use_lang("en_US.UTF-8");
    snprintf(link, sizeof link, "%s:grandson", vol);
    S("member", "amend", young, "--birth-year", "1940", "--add-family", link, "--add-family", liu, "--reason",
      "year typed wrong");
    unsigned long long seq = saved_seq();
    snprintf(want, sizeof want, "  corrects Li Na (%s)\n", young);
    has(g_out, want);
    has(g_out, "    birth year: not given \xE2\x86\x92 1940\n");
    snprintf(want, sizeof want, "    family: adds Zhang Wei (%s), grandson\n", vol);
    has(g_out, want);
    snprintf(want, sizeof want, "    family: adds Liu Min (%s), -\n", liu);
    has(g_out, want);
    snprintf(ref, sizeof ref, "1:%llu", seq);
    S("queue", "show", ref);
    expect_ok();
    has(g_out, "correction");
    use_lang("zh_CN.UTF-8");
    S("member", "amend", young, "--reason", "nothing");
    assert_int_equal(g_rc, EX_USAGE);
    has(g_err, "\xE6\xB2\xA1\xE6\x9C\x89\xE8\xA6\x81\xE6\x9B\xB4\xE6\xAD\xA3\xE7\x9A\x84\xE5\x86\x85\xE5\xAE\xB9");  /* 没有要更正的内容 */
    use_lang("en_US.UTF-8");
    wait_drained();
    wait_shown(&station, young, "birth year  1940\n");
    snprintf(want, sizeof want, "family      Zhang Wei (%s), grandson\n", vol);
    has(g_out, want);
    snprintf(want, sizeof want, "            Liu Min (%s)\n", liu);
    has(g_out, want);
    /* a relation changed, a link removed: old → new from the directory */
    snprintf(link, sizeof link, "%s:nephew", vol);
    S("member", "amend", young, "--add-family", link, "--remove-family", liu);
    (void) saved_seq();
    snprintf(want, sizeof want, "    family: Zhang Wei (%s), relation grandson \xE2\x86\x92 nephew\n", vol);
    has(g_out, want);
    snprintf(want, sizeof want, "    family: removes Liu Min (%s)\n", liu);
    has(g_out, want);
    wait_drained();
    snprintf(want, sizeof want, "family      Zhang Wei (%s), nephew\n", vol);
    wait_shown(&station, young, want);
    if (strstr(g_out, liu))
        fail_msg("the removed link is still shown:\n%s", g_out);
}

/* ---- 3. moving ---- */

static void
test_move(void **state)
{
    (void) state;
    char zhou[32], moved[32], want[512];
    use_lang("en_US.UTF-8");
    registered("Zhou Lan", "elder", "1950", zhou, sizeof zhou);
    wait_drained();
    wait_shown(&station3, zhou, "Zhou Lan");  /* station 3's directory has her */
    S3("member", "move", zhou, "--reason", "to her son's");
    expect_ok();
    has(g_out, "  NEW MEMBER NUMBER, for the member's new card:\n");
    const char *framed = strstr(g_out, "|  ");
    assert_non_null(framed);
    assert_int_equal(sscanf(framed, "|  %31s  |", moved), 1);
    assert_int_equal(hb_memberno_parse(moved, NULL, NULL), HB_RESULT_OK);
    assert_memory_equal(moved, "QH01-", strlen("QH01-"));
    snprintf(want, sizeof want, "  the old numbers keep working: %s\n", zhou);
    has(g_out, want);
    unsigned long long seq = 0;
    assert_int_equal(sscanf(g_out, "saved as 3:%llu", &seq), 1);
    snprintf(want, sizeof want, "3:%llu", seq);
    S3("queue", "show", want);  /* the queue's words for a move: "move", old → new */
    expect_ok();
    has(g_out, "move");
    snprintf(want, sizeof want, "%s \xE2\x86\x92 %s", zhou, moved);
    has(g_out, want);
    wait_drained_at(&station3);
    snprintf(want, sizeof want, "later numbers  %s (the newest card)\n", moved);
    wait_shown(&station, zhou, want);
    has(g_out, "Zhou Lan");
    wait_shown(&station, moved, want);
    snprintf(want, sizeof want, "member no      %s\n", zhou);
    has(g_out, want);
    has(g_out, "Zhou Lan");
    wait_shown(&station3, zhou, "Zhou Lan");
    wait_shown(&station3, moved, "Zhou Lan");
}

/* ---- 4. leaving ---- */

static void
test_leave(void **state)
{
    (void) state;
    char sun[32], want[512];
    use_lang("en_US.UTF-8");
    char qian[32], year[16];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(year, sizeof year, "%d", tm.tm_year + TM_YEAR_BASE - ELDER_AGE_YEARS);
    S("member", "add", "--name", "Sun Li", "--role", "volunteer", "--family", vol, "--relation", "son");
    expect_ok();
    first_word(sun, sizeof sun);
    registered("Qian Nai", "elder", year, qian, sizeof qian);  /* the guarantee pays her personal care */
    S("record", "--provider", sun, "--recipient", qian, "--duration", "1h", "--category", "personal-care");
    (void) saved_seq();
    wait_drained();
    wait_shown(&station, sun, "1 h (as last synced)");  /* the directory has the service's hours */
    S("rules", "--json");
    expect_ok();
    bool family = strstr(g_out, "\"leaver_hours\": \"family\"") != NULL;
    if (!family && !strstr(g_out, "\"leaver_hours\": \"pool\""))
        fail_msg("the rules do not say where a leaver's hours go:\n%s", g_out);
    S("rules");
    expect_ok();
    has(g_out, family ? "  leavers      their hours go to the family members named"
                      : "  leavers      their hours go to the pool\n");
    S("member", "leave", sun, "--reason", "moved abroad");
    if (g_rc != EX_USAGE)
        fail_msg("leave without --yes: exit %d\n%s%s", g_rc, g_out, g_err);
    snprintf(want, sizeof want, "Sun Li (%s) leaves the scheme:\n", sun);
    has(g_out, want);
    has(g_out, "  balance: 1 h (as last synced");
    has(g_out, family ? "  hours: go to the pool: no heir is named (district GULOU's rule"
                      : "  hours: go to the pool (district GULOU's rule)\n");
    has(g_out, "  personal data: the name, birth year, phone and family links are erased at central and at every "
               "station");
    has(g_out, "  this cannot be undone\n");
    has(g_err, "nothing was saved: leaving cannot be undone; check the above, then run the same command again with "
               "--yes\n");
    use_lang("zh_CN.UTF-8");
    S("member", "leave", sun);
    assert_int_equal(g_rc, EX_USAGE);
    has(g_out, "\xE6\xAD\xA4\xE6\x93\x8D\xE4\xBD\x9C\xE6\x97\xA0\xE6\xB3\x95\xE6\x92\xA4\xE9\x94\x80");  /* 此操作无法撤销 */
    use_lang("en_US.UTF-8");
    S("queue", "find", "--note", "moved abroad");
    expect_ok();
    if (strstr(g_out, "leave"))
        fail_msg("a leave without --yes was saved:\n%s", g_out);
    /* under GULOU's family rule her son inherits: named with --heir */
    if (family)
        S("member", "leave", sun, "--reason", "moved abroad", "--heir", vol, "--yes");
    else
        S("member", "leave", sun, "--reason", "moved abroad", "--yes");
    (void) saved_seq();
    snprintf(want, sizeof want, "  Sun Li (%s) leaves the scheme\n", sun);
    has(g_out, want);
    snprintf(want, sizeof want, "  hours: go in equal shares to the heirs (district GULOU's rule):\n      Zhang Wei (%s)\n",
             vol);
    has(g_out, family ? want : "  hours: go to the pool (district GULOU's rule)\n");
    wait_drained();
    if (family)
        wait_shown(&station, vol, "1 h (as last synced)");  /* the heir has the hour */
    wait_shown(&station, sun, "(erased: the member has left the scheme)\n");
    if (strstr(g_out, "Sun Li"))
        fail_msg("the name is still shown:\n%s", g_out);
    S("member", "find", "Sun Li");
    expect_ok();
    has(g_out, "no member found");
    S("statement", sun);
    expect_ok();
    has(g_out, "leaver");
    S("member", "leave", sun, "--yes");
    assert_int_equal(g_rc, EX_DATAERR);
    snprintf(want, sizeof want, "member %s has left the scheme already", sun);
    has(g_err, want);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duplicate),
        cmocka_unit_test(test_amend),
        cmocka_unit_test(test_move),
        cmocka_unit_test(test_leave),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
