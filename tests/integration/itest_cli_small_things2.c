/* The small things operators hit (issue 14), second part, each in English
 * and in Chinese: the real `hourbank` binary against a real
 * hourbank-central (PostgreSQL, a guarantee budget of 2h) and a real
 * hourbank-station.
 *
 * Confirmations name every member as "Name (NUMBER)" (record, gift,
 * donate, void, member add; a number the station cannot name shows alone:
 * tests/unit/test_cli.c, since a real station refuses such saves); a
 * service over the guarantee budget is shown as "would exceed the
 * guarantee budget" with what it needed and what was left (a result
 * stored before central sent those: tests/unit/test_cli_result.c); `balance` shows
 * synced, pending in, pending out and available, each labelled, also in
 * --json; --dry-run refuses --request-id. What needs the station's side
 * of issue 14 (its RulesQuery answer, dry runs, pending in and out, the
 * payer foreseen) is in itest_cli_station_rules.c. */
#include "itest_cli_run.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "hb_memberno.h"
#include "hb_wire.h"

static int
setup(void **state)
{
    (void) state;
    cli_start("hb_itest_cli_small2", "2h", true);
    return 0;
}

/* ---- 1. member names beside numbers in every confirmation ---- */

static void
test_confirm_names(void **state)
{
    (void) state;
    char a[128], b[128], want[512];
    for (size_t l = 0; l < LANG_COUNT; l++) {
        bool zh = l == 1;
        use_lang(langs[l]);
        /* record: both members named */
        S("record", "--provider", vol, "--recipient", young, "--duration", "1h", "--category", "companionship");
        unsigned long long seq = saved_seq();
        snprintf(want, sizeof want, zh ? "\n  %s \xE4\xB8\xBA %s \xE6\x9C\x8D\xE5\x8A\xA1\xE4\xBA\x86" "1\xE5\xB0\x8F\xE6\x97\xB6\xEF\xBC\x88" "companionship\xEF\xBC\x89\n"
                                       : "\n  %s served %s for 1 h (companionship)\n",
                 named(l, "Zhang Wei", vol, a, sizeof a), named(l, "Li Na", young, b, sizeof b));
        has(g_out, want);  /* 为 ... 服务了1小时（companionship） */
        /* gift */
        S("gift", "--from", vol, "--to", young, "--duration", "15m", "--reason", "for tea");
        saved_seq();
        snprintf(want, sizeof want, zh ? "\n  %s \xE6\x8A\x8A" "15\xE5\x88\x86\xE9\x92\x9F\xE8\xB5\xA0\xE9\x80\x81\xE7\xBB\x99 %s\n"
                                       : "\n  %s gives 15 min to %s\n",
                 named(l, "Zhang Wei", vol, a, sizeof a), named(l, "Li Na", young, b, sizeof b));
        has(g_out, want);  /* 把15分钟赠送给 */
        /* donate */
        S("donate", vol, "10m", "--reason", "spare");
        saved_seq();
        snprintf(want, sizeof want, zh ? "\n  %s \xE6\x8A\x8A" "10\xE5\x88\x86\xE9\x92\x9F\xE6\x8D\x90\xE7\xBB\x99\xE6\x97\xB6\xE9\x97\xB4\xE6\xB1\xA0\n"
                                       : "\n  %s gives 10 min to the pool\n",
                 named(l, "Zhang Wei", vol, a, sizeof a));
        has(g_out, want);  /* 把10分钟捐给时间池 */
        /* void: the target this station holds, its members named (a
         * service central accepts, the guarantee paying: the void gives the
         * budget back for test_budget_wording) */
        S("record", "--provider", vol, "--recipient", eldest, "--duration", "30m", "--category", "personal-care");
        seq = saved_seq();
        char ref[32];
        snprintf(ref, sizeof ref, "1:%llu", seq);
        S("void", ref, "--reason", "entered twice");
        saved_seq();
        snprintf(want, sizeof want, zh ? "\n  \xE6\x92\xA4\xE9\x94\x80 %s\xEF\xBC\x9A" : "\n  cancels %s: ", ref);
        has(g_out, want);  /* 撤销 1:N： */
        has(g_out, named(l, "Zhang Wei", vol, a, sizeof a));
        has(g_out, named(l, "Wang Lao", eldest, b, sizeof b));
        /* member add: the new member, and the family member named */
        S("member", "add", "--name", "Zhao Min", "--role", "both", "--family", young);
        expect_ok();
        char no[32];
        size_t n = strcspn(g_out, " ");
        assert_true(n < sizeof no);
        memcpy(no, g_out, n);
        no[n] = '\0';
        snprintf(want, sizeof want, zh ? "\n  %s\xEF\xBC\x8C%s \xE7\x9A\x84\xE5\xAE\xB6\xE5\xB1\x9E\n" : "\n  %s, family of %s\n",
                 named(l, "Zhao Min", no, a, sizeof a), named(l, "Li Na", young, b, sizeof b));
        has(g_out, want);  /* ，... 的家属 */
        /* --json: members with their names */
        S("record", "--provider", vol, "--recipient", young, "--duration", "1h", "--category", "companionship",
          "--json");
        expect_ok();
        snprintf(want, sizeof want, "\"role\": \"provider\",\n      \"member_no\": \"%s\",\n      \"name\": \"Zhang Wei\"",
                 vol);
        has(g_out, want);
        snprintf(want, sizeof want, "\"role\": \"recipient\",\n      \"member_no\": \"%s\",\n      \"name\": \"Li Na\"",
                 young);
        has(g_out, want);
    }
    wait_drained();
}

/* ---- 2. "would exceed the guarantee budget (N left)" ---- */

/* The value named name of the rejected op seq, as central sent it; NULL if
 * it has none. */
static const char *
rejected_value(unsigned long long seq, const char *name, char *buf, size_t size)
{
    hb_h_client_t *cl = hb_h_station_client(&station);
    Hourbank__Envelope *r = hb_h_queue(cl, true);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_QUEUE_REPLY);
    const char *found = NULL;
    for (size_t i = 0; i < r->queue_reply->n_ops; i++) {
        const Hourbank__QueuedOp *op = r->queue_reply->ops[i];
        if (op->seq != seq)
            continue;
        assert_int_equal(op->result, HOURBANK__RESULT__BUDGET_EXHAUSTED);
        for (size_t p = 0; p < op->n_params; p++)
            if (strcmp(op->params[p]->name, name) == 0)
                found = snprintf(buf, size, "%s", op->params[p]->value) >= 0 ? buf : NULL;
    }
    hb_wire_free(&r);
    hb_h_client_destroy(&cl);
    return found;
}

static void
test_budget_wording(void **state)
{
    (void) state;
    use_lang("en_US.UTF-8");
    /* 3h of personal-care for a 90-year-old in GULOU: the guarantee pays,
     * and its budget is 2h */
    S("record", "--provider", vol, "--recipient", eldest, "--duration", "3h", "--category", "personal-care");
    unsigned long long seq = saved_seq();
    wait_drained();
    char left[32], minutes[32];
    bool values = rejected_value(seq, "left_minutes", left, sizeof left) &&
                  rejected_value(seq, "minutes", minutes, sizeof minutes);
    assert_true(values);  /* central sends them (PROTOCOL.md, "Result values") */
    assert_string_equal(left, "120");  /* nothing spent: the whole budget */
    assert_string_equal(minutes, "180");
    static const char *const want_new[LANG_COUNT] = {
        "the service's 3 h would exceed the guarantee budget of 2 h (2 h left)",
        /* 这次服务的3小时会超出2小时的保障预算（剩余2小时） */
        "\xE8\xBF\x99\xE6\xAC\xA1\xE6\x9C\x8D\xE5\x8A\xA1\xE7\x9A\x84" "3\xE5\xB0\x8F\xE6\x97\xB6\xE4\xBC\x9A\xE8\xB6\x85\xE5\x87\xBA"
        "2\xE5\xB0\x8F\xE6\x97\xB6\xE7\x9A\x84\xE4\xBF\x9D\xE9\x9A\x9C\xE9\xA2\x84\xE7\xAE\x97\xEF\xBC\x88\xE5\x89\xA9\xE4\xBD\x99"
        "2\xE5\xB0\x8F\xE6\x97\xB6\xEF\xBC\x89",
    };
    char ref[32];
    snprintf(ref, sizeof ref, "1:%llu", seq);
    for (size_t l = 0; l < LANG_COUNT; l++) {
        use_lang(langs[l]);
        S("queue", "--rejected");
        expect_ok();
        has(g_out, want_new[l]);
        S("queue", "show", ref);
        expect_ok();
        has(g_out, want_new[l]);
    }
}

/* ---- 3. balance: synced, pending in, pending out, available ---- */

static void
test_balance_labels(void **state)
{
    (void) state;
    char a[128], want[512];
    static const char *const labels[LANG_COUNT][4] = {
        {"\n  synced  ", "\n  pending in  ", "\n  pending out  ", "\n  available  "},
        /* 已同步 待入 待出 可用 */
        {"\n  \xE5\xB7\xB2\xE5\x90\x8C\xE6\xAD\xA5  ", "\n  \xE5\xBE\x85\xE5\x85\xA5  ", "\n  \xE5\xBE\x85\xE5\x87\xBA  ",
         "\n  \xE5\x8F\xAF\xE7\x94\xA8  "},
    };
    for (size_t l = 0; l < LANG_COUNT; l++) {
        use_lang(langs[l]);
        S("balance", vol);
        expect_ok();
        snprintf(want, sizeof want, l == 1 ? "%s \xE7\x9A\x84\xE4\xBD\x99\xE9\xA2\x9D\n" : "balance of %s\n",
                 named(l, "Zhang Wei", vol, a, sizeof a));
        if (strncmp(g_out, want, strlen(want)) != 0)
            fail_msg("does not begin with \"%s\":\n%s", want, g_out);
        for (size_t i = 0; i < 4; i++)
            has(g_out, labels[l][i]);
        /* 截至 / 尚未与中心同步: as of the station's last copy of the directory */
        if (!strstr(g_out, l == 1 ? "\xE6\x88\xAA\xE8\x87\xB3" : "with central, as of 20") &&
            !strstr(g_out, l == 1 ? "\xE5\xB0\x9A\xE6\x9C\xAA\xE4\xB8\x8E\xE4\xB8\xAD\xE5\xBF\x83\xE5\x90\x8C\xE6\xAD\xA5"
                                  : "not synced with central yet"))
            fail_msg("no as-of:\n%s", g_out);
    }
    S("balance", vol, "--json");
    expect_ok();
    has(g_out, "\"name\": \"Zhang Wei\"");
    has(g_out, "\"synced_minutes\": ");
    has(g_out, "\"pending_in_minutes\": ");
    has(g_out, "\"pending_out_minutes\": ");
    has(g_out, "\"available_minutes\": ");
    has(g_out, "\"as_of\": \"20");
}

/* ---- 4. --dry-run stores nothing and takes no request id ---- */

static void
test_dry_run_usage(void **state)
{
    (void) state;
    static const char *const want[LANG_COUNT] = {
        "hourbank: --dry-run saves nothing and takes no --request-id (see hourbank record --help)\n",
        "hourbank: --dry-run \xE4\xB8\x8D\xE4\xBF\x9D\xE5\xAD\x98\xE4\xBB\xBB\xE4\xBD\x95\xE5\x86\x85\xE5\xAE\xB9\xEF\xBC\x8C\xE4\xB8\x8D"
        "\xE6\x8E\xA5\xE5\x8F\x97 --request-id\xEF\xBC\x88\xE8\xA7\x81 hourbank record --help\xEF\xBC\x89\n",
    };
    for (size_t l = 0; l < LANG_COUNT; l++) {
        use_lang(langs[l]);
        S("record", "--provider", vol, "--recipient", young, "--duration", "1h", "--category", "companionship",
          "--dry-run", "--request-id", "abc-1");
        if (g_rc != EX_USAGE || strcmp(g_err, want[l]) != 0)
            fail_msg("exit %d\nstdout: %s\nstderr: %s\nwant:   %s", g_rc, g_out, g_err, want[l]);
    }
    S("queue", "--json");
    has(g_out, "\"pending\": 0,");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_confirm_names),
        cmocka_unit_test(test_budget_wording),
        cmocka_unit_test(test_balance_labels),
        cmocka_unit_test(test_dry_run_usage),
    };
    return cmocka_run_group_tests(tests, setup, cli_teardown);
}
