/* The small things operators hit (issue 14), each in English and in
 * Chinese: the real `hourbank` binary against a real hourbank-central
 * (PostgreSQL) and a real hourbank-station, and the daemons' binaries.
 *
 * --version and -V on all three programs; --duration 1h70m refused (also
 * as printed: 2小时70分钟); queue dismiss with the STATION:SEQ the queue
 * prints, another station's op refused, a second dismissal and an accepted
 * op saying nothing was dismissed, `queue` pointing to the rejected ones;
 * member --help listing its subcommands; member find saying when its
 * answer is cut at the station's limit; "did you mean" for a mistyped
 * command, subcommand and option. */
#include "itest_cli_run.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "hb_memberno.h"

/* hourbank with no station given */
#define X(...) run_bin("hourbank", (const char *const[]){__VA_ARGS__, NULL}, NULL)

static void
expect_out(const char *out)
{
    if (g_rc != 0 || strcmp(g_out, out) != 0)
        fail_msg("exit %d\nstdout: %s\nstderr: %s\nwant:   %s", g_rc, g_out, g_err, out);
    assert_string_equal(g_err, "");
}

static void
expect_error(int rc, const char *line)
{
    if (g_rc != rc || strcmp(g_err, line) != 0)
        fail_msg("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant:   %s", g_rc, rc, g_out, g_err, line);
    assert_string_equal(g_out, "");
}

static void
lacks(const char *text, const char *needle)
{
    if (strstr(text, needle))
        fail_msg("has \"%s\":\n%s", needle, text);
}

static int
setup(void **state)
{
    (void) state;
    cli_start("hb_itest_cli_small", NULL, false);
    return 0;
}

/* ---- 1. --version ---- */

static void
test_version(void **state)
{
    (void) state;
    static const char *const programs[] = {"hourbank", "hourbank-station", "hourbank-central"};
    for (size_t l = 0; l < LANG_COUNT; l++) {
        use_lang(langs[l]);
        for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
            char want[64];
            snprintf(want, sizeof want, "%s %s\n", programs[i], HB_VERSION);
            run_bin(programs[i], (const char *const[]){"--version", NULL}, NULL);
            expect_out(want);
            run_bin(programs[i], (const char *const[]){"-V", NULL}, NULL);
            expect_out(want);
        }
    }
    run_bin("hourbank-station", (const char *const[]){"--help", NULL}, NULL);
    has(g_out, "  -V, --version       \xE6\x98\xBE\xE7\xA4\xBA\xE7\x89\x88\xE6\x9C\xAC\xE5\x8F\xB7\n");  /* 显示版本号 */
    use_lang("en_US.UTF-8");
    run_bin("hourbank-station", (const char *const[]){"--help", NULL}, NULL);
    has(g_out, "  -V, --version       print the version\n");
}

/* ---- 2. minutes after hours ---- */

static void
test_duration_minutes(void **state)
{
    (void) state;
    static const char *const want[LANG_COUNT] = {
        "hourbank: \"1h70m\" is not a duration: minutes go up to 59 after hours (write 2h10m or 130m)\n",
        "hourbank: \"1h70m\" 不是时长：小时后面的分钟最多 59（请写 2h10m 或 130m）\n",
    };
    static const char *const printed_want[LANG_COUNT] = {
        "hourbank: \"2小时70分钟\" is not a duration: minutes go up to 59 after hours (write 3h10m or 190m)\n",
        "hourbank: \"2小时70分钟\" 不是时长：小时后面的分钟最多 59（请写 3h10m 或 190m）\n",
    };
    for (size_t l = 0; l < LANG_COUNT; l++) {
        use_lang(langs[l]);
        S("record", "--provider", vol, "--recipient", young, "--duration", "1h70m", "--category", "companionship");
        expect_error(EX_DATAERR, want[l]);
        S("record", "--provider", vol, "--recipient", young, "--duration", "2小时70分钟", "--category",
          "companionship");
        expect_error(EX_DATAERR, printed_want[l]);
        S("gift", "--from", vol, "--to", young, "--duration", "2 h 60 min", "--reason", "x");
        assert_int_equal(g_rc, EX_DATAERR);
        has(g_err, l == 1 ? "（请写 3h00m 或 180m）" : "(write 3h00m or 180m)");
    }
    /* nothing was saved */
    S("queue", "--json");
    has(g_out, "\"pending\": 0,");
}

/* ---- 3. queue dismiss STATION:SEQ ---- */

/* A rejection: companionship is paid by the recipient, who holds no hours. */
static unsigned long long
rejected_op(void)
{
    use_lang("en_US.UTF-8");
    S("record", "--provider", vol, "--recipient", young, "--duration", "2h", "--category", "companionship");
    const char *at = strstr(g_out, "saved as 1:");
    if (g_rc != 0 || !at)
        fail_msg("record: exit %d\n%s%s", g_rc, g_out, g_err);
    unsigned long long seq = strtoull(at + strlen("saved as 1:"), NULL, 10);
    wait_drained();
    return seq;
}

static void
test_queue_dismiss(void **state)
{
    (void) state;
    static const char *const pointer[LANG_COUNT] = {"1 rejected: hourbank queue --rejected\n",
                                                    "1 个被拒绝：hourbank queue --rejected\n"};
    for (size_t l = 0; l < LANG_COUNT; l++) {
        bool zh = l == 1;
        unsigned long long seq = rejected_op();
        use_lang(langs[l]);
        char ref[32], other[32], want[512];
        snprintf(ref, sizeof ref, "1:%llu", seq);
        snprintf(other, sizeof other, "2:%llu", seq);
        /* queue without flags shows no rejection, but says where they are */
        S("queue");
        has(g_out, pointer[l]);
        S("queue", "--rejected");
        has(g_out, zh ? "hourbank queue dismiss 站点:序号\n"
                      : "once a rejected operation is dealt with: hourbank queue dismiss STATION:SEQ\n");
        /* another station's op: refused, nothing dismissed */
        S("queue", "dismiss", other);
        snprintf(want, sizeof want,
                 zh ? "hourbank: 无法处理 %s：操作 %s 是在站点 2 保存的，这里是站点 1：请到那个站点查询\n"
                    : "hourbank: could not dismiss %s: operation %s was saved at station 2, this is station 1: "
                      "ask that station\n",
                 other, other);
        expect_error(EX_NOINPUT, want);
        S("queue", "--json");
        has(g_out, "\"rejected\": 1,");
        /* the form the queue prints */
        S("queue", "dismiss", ref);
        snprintf(want, sizeof want, zh ? "已处理 %s；还有 0 个被拒绝\n" : "dismissed %s; 0 rejected left\n", ref);
        expect_out(want);
        S("queue");
        lacks(g_out, "hourbank queue --rejected");
        /* a second time, by its seq alone: nothing dismissed, and it says so */
        char seq_text[32];
        snprintf(seq_text, sizeof seq_text, "%llu", seq);
        S("queue", "dismiss", seq_text);
        snprintf(want, sizeof want,
                 zh ? "没有处理任何操作：%s 以前已处理过；还有 0 个被拒绝\n"
                    : "nothing dismissed: %s was dismissed before; 0 rejected left\n", ref);
        expect_out(want);
        /* an accepted op (the first registration) is not a rejection */
        S("queue", "dismiss", "1:1");
        expect_error(EX_NOINPUT, zh ? "hourbank: 无法处理 1:1：没有处理任何操作：它是已接受，不是被拒绝的（只能处理被"
                                      "拒绝的操作）\n"
                                    : "hourbank: could not dismiss 1:1: nothing dismissed: it is accepted, not "
                                      "rejected (only rejected operations are dismissed)\n");
    }
}

/* ---- 4. member --help, member find cut ---- */

static void
test_member_help(void **state)
{
    (void) state;
    use_lang("en_US.UTF-8");
    X("member", "--help");
    expect_out("usage: hourbank member SUBCOMMAND [ARGS]\n\nsubcommands:\n"
               "  add             register a new member and print the new member number\n"
               "  show            show one member: name, role, family, balance\n"
               "  find            find members whose name contains TEXT\n"
               "  amend           correct a member's name, birth year, phone or family links\n"
               "  move            move a member from another community to this station's: a new card number\n"
               "  leave           a member leaves the scheme (or has died): hours settled, personal data erased\n"
               "\nRun hourbank member SUBCOMMAND --help for its options.\n");
    use_lang("zh_CN.UTF-8");
    X("member", "--help");
    expect_out("用法：hourbank member 子命令 [参数]\n\n子命令：\n"
               "  add             登记新会员，并显示新的会员号\n"
               "  show            查看一位会员：姓名、角色、家人、余额\n"
               "  find            查找姓名中含有所给文字的会员\n"
               "  amend           更正会员的姓名、出生年份、电话或家庭关系\n"
               "  move            把会员从其他社区迁入本站社区：发新卡号\n"
               "  leave           成员退出时间银行（或已去世）：结算时间，删除个人资料\n"
               "\n运行 hourbank member 子命令 --help 查看它的选项。\n");
    X("help", "member");
    has(g_out, "子命令：\n");
}

static void
test_member_find_cut(void **state)
{
    (void) state;
    use_lang("en_US.UTF-8");
    char no[32], name[32];
    for (int i = 1; i < HB_SEARCH_RESULTS_MAX; i++) {
        snprintf(name, sizeof name, "Zhao %d", i);
        registered(name, "volunteer", NULL, no, sizeof no);
    }
    /* one under the limit: all of them, nothing said */
    for (size_t l = 0; l < LANG_COUNT; l++) {
        use_lang(langs[l]);
        S("member", "find", "Zhao");
        assert_int_equal(g_rc, 0);
        lacks(g_out, "Zhao 50");
        has(g_out, "Zhao 49");
    }
    use_lang("en_US.UTF-8");
    registered("Zhao 50", "volunteer", NULL, no, sizeof no);
    registered("Zhao 51", "volunteer", NULL, no, sizeof no);
    static const char *const cut[LANG_COUNT] = {
        "only the first 50 are shown, there may be more: search for more of the name\n",
        "只显示前 50 个，可能还有更多：请输入更多的名字再查找\n",
    };
    for (size_t l = 0; l < LANG_COUNT; l++) {
        use_lang(langs[l]);
        S("member", "find", "Zhao");
        assert_int_equal(g_rc, 0);
        has(g_out, cut[l]);
        S("member", "find", "Zhao", "--json");
        has(g_out, "\"more\": true\n");
        S("member", "find", "Zhao 5");  /* 5 and 50 to 51 */
        lacks(g_out, cut[l]);
    }
}

/* ---- 5. did you mean ---- */

static void
test_did_you_mean(void **state)
{
    (void) state;
    static const struct {
        const char *words[4];
        const char *en, *zh;
    } cases[] = {
        {{"balnce", "QX03-000127-6"},
         "hourbank: \"balnce\" is not a command; did you mean balance? (see hourbank --help)\n",
         "hourbank: \"balnce\" 不是命令；您是想输入 balance 吗？（见 hourbank --help）\n"},
        {{"member", "fnd", "wang"},
         "hourbank: member \"fnd\" is not a command: member takes add, show, find, amend, move or leave; "
         "did you mean find? "
         "(see hourbank --help)\n",
         "hourbank: member \"fnd\" 不是命令：member 后面可以跟 add、show、find、amend、move 或 leave；"
         "您是想输入 find 吗？"
         "（见 hourbank --help）\n"},
        {{"record", "--provder", "QX03-000127-6"},
         "hourbank: record has no option \"--provder\"; did you mean --provider? (see hourbank record --help)\n",
         "hourbank: record 没有选项 \"--provder\"；您是想输入 --provider 吗？（见 hourbank record --help）\n"},
        {{"--jsno", "status"},
         "hourbank: unknown option \"--jsno\"; did you mean --json? (see hourbank --help)\n",
         "hourbank: 未知选项 \"--jsno\"；您是想输入 --json 吗？（见 hourbank --help）\n"},
    };
    for (size_t l = 0; l < LANG_COUNT; l++) {
        use_lang(langs[l]);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            run_bin("hourbank", cases[i].words, NULL);
            expect_error(EX_USAGE, l == 1 ? cases[i].zh : cases[i].en);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_duration_minutes),
        cmocka_unit_test(test_queue_dismiss),
        cmocka_unit_test(test_member_help),
        cmocka_unit_test(test_member_find_cut),
        cmocka_unit_test(test_did_you_mean),
    };
    return cmocka_run_group_tests(tests, setup, cli_teardown);
}
