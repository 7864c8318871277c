/* The small things operators hit (issue 14) that need the station's side
 * of the issue (its copy of central's rules, dry runs, pending in and out,
 * the payer foreseen), each in English and in Chinese: the real `hourbank`
 * binary against a real hourbank-central (PostgreSQL, a guarantee budget
 * of 20h) and a real hourbank-station.
 *
 * `hourbank rules` shows this station's district (zone, floor, cap and
 * overflow, daily limit, gifts, payer rules in order), the record window,
 * the budget and what is left, the version and as-of time; --all every
 * district; --json. `record --dry-run` says who would pay (the guarantee
 * and its rule, or the recipient by name), stores nothing, and is refused
 * as a save is; gift, donate and void take it too; a real save says who
 * will pay. `balance` offline: synced, pending in (a service earned, the
 * guarantee paying), pending out (a donation), available. */
#include "itest_cli_run.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>

#include "hb_memberno.h"
#include "hb_wire.h"

#define POLLS_PER_S 10
#define POLL_NS (1000 * 1000 * 1000 / POLLS_PER_S)

static int
setup(void **state)
{
    (void) state;
    cli_start("hb_itest_cli_rules", "20h", true);
    return 0;
}

/* The station has its copy of the rules once it has synced. */
static void
wait_rules(void)
{
    for (int i = 0; i < SYNC_WAIT_S * POLLS_PER_S; i++) {
        S("rules", "--json");
        if (g_rc == 0)
            return;
        if (strstr(g_err, "older hourbank-station"))  /* no use waiting */
            fail_msg("the station does not answer RulesQuery (it lacks the station's side of issue 14):\n%s", g_err);
        struct timespec ts = {0, POLL_NS};
        nanosleep(&ts, NULL);
    }
    fail_msg("the station never had the rules: exit %d\n%s%s", g_rc, g_out, g_err);
}

/* ---- 1. hourbank rules ---- */

static void
test_rules(void **state)
{
    (void) state;
    wait_rules();
    static const char *const want[LANG_COUNT][10] = {
        {"rules version     1, as central sent them at 20", "record window     from 30 days ago up to 10 min ahead of central's clock\n",
         "guarantee budget  20 h, of which 20 h left\n", "\ndistrict GULOU (Gulou)\n", "  floor        0 min\n",
         "  cap          1500 h; a service over the cap is refused\n", "  daily limit  12 h per provider and day\n",
         "  gifts        to registered family members only\n",
         "  payer rules (the first that matches decides; none matching: the recipient pays):\n",
         "  personal-care       80  the guarantee\n"},
        {/* 规则版本 */ "\xE8\xA7\x84\xE5\x88\x99\xE7\x89\x88\xE6\x9C\xAC      1\xEF\xBC\x8C",
         /* 记录时间范围  从 30 天前到比中心时钟快10分钟以内 */
         "\xE8\xAE\xB0\xE5\xBD\x95\xE6\x97\xB6\xE9\x97\xB4\xE8\x8C\x83\xE5\x9B\xB4  \xE4\xBB\x8E 30 \xE5\xA4\xA9\xE5\x89\x8D"
         "\xE5\x88\xB0\xE6\xAF\x94\xE4\xB8\xAD\xE5\xBF\x83\xE6\x97\xB6\xE9\x92\x9F\xE5\xBF\xAB" "10\xE5\x88\x86\xE9\x92\x9F"
         "\xE4\xBB\xA5\xE5\x86\x85\n",
         /* 保障预算  20小时，剩余20小时 */
         "\xE4\xBF\x9D\xE9\x9A\x9C\xE9\xA2\x84\xE7\xAE\x97      20\xE5\xB0\x8F\xE6\x97\xB6\xEF\xBC\x8C\xE5\x89\xA9\xE4\xBD\x99"
         "20\xE5\xB0\x8F\xE6\x97\xB6\n",
         /* 区 GULOU（Gulou） */
         "\n\xE5\x8C\xBA GULOU\xEF\xBC\x88Gulou\xEF\xBC\x89\n",
         /* 下限  0分钟 */
         "  \xE4\xB8\x8B\xE9\x99\x90      0\xE5\x88\x86\xE9\x92\x9F\n",
         /* 上限  1500小时；超出上限的服务被拒绝 */
         "  \xE4\xB8\x8A\xE9\x99\x90      1500\xE5\xB0\x8F\xE6\x97\xB6\xEF\xBC\x9B\xE8\xB6\x85\xE5\x87\xBA\xE4\xB8\x8A\xE9\x99\x90"
         "\xE7\x9A\x84\xE6\x9C\x8D\xE5\x8A\xA1\xE8\xA2\xAB\xE6\x8B\x92\xE7\xBB\x9D\n",
         /* 每日上限  每位服务提供者每天12小时 */
         "  \xE6\xAF\x8F\xE6\x97\xA5\xE4\xB8\x8A\xE9\x99\x90  \xE6\xAF\x8F\xE4\xBD\x8D\xE6\x9C\x8D\xE5\x8A\xA1\xE6\x8F\x90\xE4\xBE\x9B"
         "\xE8\x80\x85\xE6\xAF\x8F\xE5\xA4\xA9" "12\xE5\xB0\x8F\xE6\x97\xB6\n",
         /* 赠送  只能赠送给登记的家属 */
         "  \xE8\xB5\xA0\xE9\x80\x81      \xE5\x8F\xAA\xE8\x83\xBD\xE8\xB5\xA0\xE9\x80\x81\xE7\xBB\x99\xE7\x99\xBB\xE8\xAE\xB0\xE7\x9A\x84"
         "\xE5\xAE\xB6\xE5\xB1\x9E\n",
         /* 付费规则（第一条符合的规则决定；都不符合时由服务对象支付）： */
         "  \xE4\xBB\x98\xE8\xB4\xB9\xE8\xA7\x84\xE5\x88\x99\xEF\xBC\x88",
         /* personal-care 80 保障账户 */
         "  personal-care        80  \xE4\xBF\x9D\xE9\x9A\x9C\xE8\xB4\xA6\xE6\x88\xB7\n"},
    };
    for (size_t l = 0; l < LANG_COUNT; l++) {
        use_lang(langs[l]);
        S("rules");
        expect_ok();
        for (size_t i = 0; i < sizeof want[l] / sizeof want[l][0]; i++)
            has(g_out, want[l][i]);
        if (strstr(g_out, "QINHUAI"))
            fail_msg("another district without --all:\n%s", g_out);
        S("rules", "--all");
        expect_ok();
        has(g_out, want[l][3]);
        has(g_out, l == 1 ? "\n\xE5\x8C\xBA QINHUAI\xEF\xBC\x88Qinhuai\xEF\xBC\x89\n" : "\ndistrict QINHUAI (Qinhuai)\n");
        has(g_out, l == 1 ? "750\xE5\xB0\x8F\xE6\x97\xB6\xEF\xBC\x9B\xE8\xB6\x85\xE5\x87\xBA\xE4\xB8\x8A\xE9\x99\x90\xE7\x9A\x84"
                            "\xE6\x97\xB6\xE9\x95\xBF\xE6\x8D\x90\xE7\xBB\x99\xE6\x97\xB6\xE9\x97\xB4\xE6\xB1\xA0\n"
                          : "750 h; hours over the cap go to the pool\n");
    }
    use_lang("en_US.UTF-8");
    S("rules", "--json");
    expect_ok();
    has(g_out, "\"community\": \"QX03\",\n  \"district\": \"GULOU\",\n");
    has(g_out, "\"clock_skew_seconds\": 600,\n  \"max_record_age_seconds\": 2592000,\n"
               "  \"guarantee_budget_minutes\": 1200,\n  \"guarantee_left_minutes\": 1200,\n");
    has(g_out, "\"category\": \"personal-care\",\n          \"min_age\": 80,\n          \"payer\": \"guarantee\"\n");
    has(g_out, "\"cap_minutes\": 90000,\n      \"overflow_donate\": false,\n      \"daily_limit_minutes\": 720,\n"
               "      \"gifts\": \"family\",\n");
    if (strstr(g_out, "QINHUAI"))
        fail_msg("another district without --all:\n%s", g_out);
    S("rules", "--json", "--all");
    expect_ok();
    has(g_out, "\"district\": \"QINHUAI\",\n");
    has(g_out, "\"category\": \"*\",\n          \"min_age\": 85,\n          \"payer\": \"guarantee\"\n");
}

/* ---- 2. record --dry-run says who would pay and stores nothing ---- */

static long long
pending_count(void)
{
    S("queue", "--json");
    expect_ok();
    const char *at = strstr(g_out, "\"pending\": ");
    assert_non_null(at);
    return strtoll(at + strlen("\"pending\": "), NULL, 10);
}

static void
test_dry_run(void **state)
{
    (void) state;
    wait_rules();
    char a[128], want[512];
    long long before = pending_count();
    for (size_t l = 0; l < LANG_COUNT; l++) {
        bool zh = l == 1;
        use_lang(langs[l]);
        /* the guarantee pays: personal-care for a 90-year-old in GULOU */
        S("record", "--provider", vol, "--recipient", eldest, "--duration", "1h", "--category", "personal-care",
          "--dry-run");
        expect_ok();
        has(g_out, zh ? "\xE8\xAF\x95\xE8\xBF\x90\xE8\xA1\x8C\xEF\xBC\x9A" : "dry run: the station would save this; nothing was saved\n");
        has(g_out, zh ? "  \xE4\xBB\x98\xE8\xB4\xB9\xE6\x96\xB9\xEF\xBC\x9A\xE4\xBF\x9D\xE9\x9A\x9C\xE8\xB4\xA6\xE6\x88\xB7\xEF\xBC\x88"
                        "\xE4\xBB\x98\xE8\xB4\xB9\xE8\xA7\x84\xE5\x88\x99 "
                      : "  payer: the guarantee (payer rule ");  /* 付费方：保障账户（付费规则 */
        /* the recipient pays: companionship for Li Na */
        S("record", "--provider", vol, "--recipient", young, "--duration", "1h", "--category", "companionship",
          "--dry-run");
        expect_ok();
        snprintf(want, sizeof want,
                 zh ? "  \xE4\xBB\x98\xE8\xB4\xB9\xE6\x96\xB9\xEF\xBC\x9A\xE6\x9C\x8D\xE5\x8A\xA1\xE5\xAF\xB9\xE8\xB1\xA1 %s\n"
                    : "  payer: the recipient, %s\n",
                 named(l, "Li Na", young, a, sizeof a));  /* 付费方：服务对象 */
        has(g_out, want);
        /* what the station knows central refuses is refused, as a save is */
        S("void", "1:999", "--reason", "typo", "--dry-run");
        if (g_rc != EX_NOINPUT)
            fail_msg("exit %d\nstdout: %s\nstderr: %s", g_rc, g_out, g_err);
        has(g_err, zh ? "1:999" : "there is no operation 1:999 to void");
        /* gift and donate take it too */
        S("donate", vol, "10m", "--reason", "spare", "--dry-run");
        expect_ok();
        has(g_out, zh ? "\xE8\xAF\x95\xE8\xBF\x90\xE8\xA1\x8C" : "dry run:");
    }
    assert_int_equal(pending_count(), before);  /* nothing was stored */
    use_lang("en_US.UTF-8");
    S("record", "--provider", vol, "--recipient", eldest, "--duration", "1h", "--category", "personal-care",
      "--dry-run", "--json");
    expect_ok();
    has(g_out, "\"seq\": 0,\n  \"status\": \"dry_run\",\n  \"repeated\": false,\n  \"dry_run\": true,\n");
    has(g_out, "\"payer\": \"guarantee\",\n  \"payer_rule\": ");
    /* a real save says who will pay */
    S("record", "--provider", vol, "--recipient", eldest, "--duration", "1h", "--category", "personal-care");
    expect_ok();
    has(g_out, "saved as 1:");
    has(g_out, "\n  payer: the guarantee (payer rule ");
    wait_drained();
}

/* ---- 3. balance: pending in and out, offline ---- */

static void
test_balance_pending(void **state)
{
    (void) state;
    /* Zhang Wei holds 1 h once test_dry_run's record is posted */
    for (int i = 0; i < SYNC_WAIT_S * POLLS_PER_S; i++) {  /* the station's copy of the balance follows the drain */
        S("balance", vol, "--json");
        expect_ok();
        if (strstr(g_out, "\"synced_minutes\": 60,"))
            break;
        struct timespec ts = {0, POLL_NS};
        nanosleep(&ts, NULL);
    }
    has(g_out, "\"synced_minutes\": 60,");
    int st = hb_h_central_stop(&central, SIGTERM);
    assert_true(WIFEXITED(st));
    /* offline: 30 min earned (the guarantee pays), 15 min donated */
    S("record", "--provider", vol, "--recipient", eldest, "--duration", "30m", "--category", "personal-care");
    saved_seq();
    S("donate", vol, "15m", "--reason", "spare");
    saved_seq();
    static const char *const want[LANG_COUNT][4] = {
        {"\n  synced              1 h  with central, as of 20", "\n  pending in      +30 min  saved here, not yet at central\n",
         "\n  pending out     -15 min  saved here, not yet at central\n",
         "\n  available    1 h 15 min  synced + pending in - pending out\n"},
        {/* 已同步 待入 待出 可用 */
         "\n  \xE5\xB7\xB2\xE5\x90\x8C\xE6\xAD\xA5        1\xE5\xB0\x8F\xE6\x97\xB6  ",
         "\n  \xE5\xBE\x85\xE5\x85\xA5        +30\xE5\x88\x86\xE9\x92\x9F  ",
         "\n  \xE5\xBE\x85\xE5\x87\xBA        -15\xE5\x88\x86\xE9\x92\x9F  ",
         "\n  \xE5\x8F\xAF\xE7\x94\xA8    1\xE5\xB0\x8F\xE6\x97\xB6" "15\xE5\x88\x86\xE9\x92\x9F  "},
    };
    for (size_t l = 0; l < LANG_COUNT; l++) {
        use_lang(langs[l]);
        S("balance", vol);
        expect_ok();
        for (size_t i = 0; i < 4; i++)
            has(g_out, want[l][i]);
    }
    S("balance", vol, "--json");
    expect_ok();
    has(g_out, "\"synced_minutes\": 60,\n  \"pending_in_minutes\": 30,\n  \"pending_out_minutes\": 15,\n"
               "  \"available_minutes\": 75\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_dry_run),
        cmocka_unit_test(test_balance_pending),  /* last: stops central */
    };
    return cmocka_run_group_tests(tests, setup, cli_teardown);
}
