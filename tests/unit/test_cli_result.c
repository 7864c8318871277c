/* test_cli_result.c - client/shared/cli_result.c: every result code, 0 to
 * HB_RESULT_LAST, rendered in English and in Chinese with example values
 * (PROTOCOL.md "Result values"): each sentence is not empty, shows every
 * value (durations and instants as the CLI prints them, members with their
 * names), and the Chinese one holds no English word once the values are
 * taken out. The catalogs are the build's (<build>/locale). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_format.h"
#include "cli_result.h"
#include "hb_i18n.h"
#include "hb_result.h"
#include "hourbank.pb-c.h"

#define TEXT_BYTES 1024
#define PARAMS_MAX 6
#define PATH_BYTES 1024

/* How a value must show in the sentence. */
typedef enum {
    V_RAW,      /* as it is */
    V_MEMBER,   /* as it is, and the member's name when the namer knows it */
    V_MINUTES,  /* as hb_cli_format_duration prints it */
    V_INSTANT,  /* as hb_cli_format_time prints it */
    V_CODE,     /* as hb_cli_result_tag prints it */
    V_WORD,     /* an enum word (role, kind, reason): chooses the words, is not shown */
    V_WAIT,     /* seconds to wait: as they are under a minute, else minutes rounded up as a duration */
} show_t;

typedef struct {
    const char *name, *value;
    show_t show;
} value_t;

typedef struct {
    int code;
    value_t v[PARAMS_MAX];
} example_t;

#define MEMBER_A "QX03-000127-6"
#define MEMBER_B "QX03-000128-4"
#define MEMBER_NAMELESS "GL01-000001-8"
#define NAME_A "王秀英"
#define NAME_B "Li Wei"

/* Every code at least once; codes whose values depend on a word, once per word. */
static const example_t examples[] = {
    {HB_RESULT_UNSET, {{0}}},
    {HB_RESULT_OK, {{0}}},
    {HB_RESULT_DUPLICATE, {{"member", MEMBER_A, V_MEMBER}}},
    {HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD, {{"station", "3", V_RAW}, {"seq", "57", V_RAW}}},
    {HB_RESULT_SEQ_GAP, {{0}}},
    {HB_RESULT_MALFORMED, {{"field", "provider", V_RAW}}},
    {HB_RESULT_MALFORMED, {{0}}},
    {HB_RESULT_UNSUPPORTED_VERSION, {{0}}},
    {HB_RESULT_NOT_AUTHORIZED, {{"reason", "register_community", V_WORD}, {"station", "3", V_RAW},
                                {"community", "GL01", V_RAW}, {"member", MEMBER_NAMELESS, V_MEMBER}}},
    {HB_RESULT_NOT_AUTHORIZED, {{"reason", "serials", V_WORD}, {"station", "3", V_RAW},
                                {"member", MEMBER_A, V_MEMBER}, {"serial_min", "1", V_RAW},
                                {"serial_max", "500", V_RAW}}},
    {HB_RESULT_NOT_AUTHORIZED, {{"reason", "service_community", V_WORD}, {"station", "3", V_RAW},
                                {"community", "QX03", V_RAW}, {"provider", MEMBER_NAMELESS, V_MEMBER},
                                {"recipient", MEMBER_B, V_MEMBER}}},
    {HB_RESULT_NOT_AUTHORIZED, {{"reason", "gift_community", V_WORD}, {"station", "3", V_RAW},
                                {"giver", MEMBER_NAMELESS, V_MEMBER}}},
    {HB_RESULT_NOT_AUTHORIZED, {{"reason", "donation_community", V_WORD}, {"station", "3", V_RAW},
                                {"donor", MEMBER_NAMELESS, V_MEMBER}}},
    {HB_RESULT_NOT_AUTHORIZED, {{"reason", "gifts_off", V_WORD}, {"district", "Gulou", V_RAW}}},
    {HB_RESULT_NOT_AUTHORIZED, {{"reason", "void_community", V_WORD}, {"station", "3", V_RAW}}},
    {HB_RESULT_NOT_AUTHORIZED, {{"reason", "retired", V_WORD}, {"station", "3", V_RAW}}},
    {HB_RESULT_UNKNOWN_MEMBER, {{"role", "provider", V_WORD}, {"member", MEMBER_NAMELESS, V_MEMBER}}},
    {HB_RESULT_UNKNOWN_MEMBER, {{"role", "recipient", V_WORD}, {"member", MEMBER_NAMELESS, V_MEMBER}}},
    {HB_RESULT_UNKNOWN_MEMBER, {{"role", "giver", V_WORD}, {"member", MEMBER_NAMELESS, V_MEMBER}}},
    {HB_RESULT_UNKNOWN_MEMBER, {{"role", "receiver", V_WORD}, {"member", MEMBER_NAMELESS, V_MEMBER}}},
    {HB_RESULT_UNKNOWN_MEMBER, {{"role", "family", V_WORD}, {"member", MEMBER_NAMELESS, V_MEMBER}}},
    {HB_RESULT_UNKNOWN_MEMBER, {{"role", "donor", V_WORD}, {"member", MEMBER_NAMELESS, V_MEMBER}}},
    {HB_RESULT_UNKNOWN_CATEGORY, {{"category", "meal-delivery", V_RAW}}},
    {HB_RESULT_INVALID_DURATION, {{"minutes", "1500", V_MINUTES}, {"max_minutes", "1440", V_MINUTES}}},
    {HB_RESULT_SELF_SERVICE, {{"kind", "service", V_WORD}, {"member", MEMBER_A, V_MEMBER}}},
    {HB_RESULT_SELF_SERVICE, {{"kind", "gift", V_WORD}, {"member", MEMBER_A, V_MEMBER}}},
    {HB_RESULT_INSUFFICIENT_BALANCE, {{"role", "recipient", V_WORD}, {"member", MEMBER_A, V_MEMBER},
                                      {"held_minutes", "45", V_MINUTES}, {"needed_minutes", "150", V_MINUTES}}},
    {HB_RESULT_INSUFFICIENT_BALANCE, {{"role", "giver", V_WORD}, {"member", MEMBER_B, V_MEMBER},
                                      {"held_minutes", "0", V_MINUTES}, {"needed_minutes", "60", V_MINUTES}}},
    {HB_RESULT_INSUFFICIENT_BALANCE, {{"role", "donor", V_WORD}, {"member", MEMBER_B, V_MEMBER},
                                      {"held_minutes", "30", V_MINUTES}, {"needed_minutes", "90", V_MINUTES}}},
    {HB_RESULT_INSUFFICIENT_BALANCE, {{"role", "credited", V_WORD}, {"member", MEMBER_A, V_MEMBER},
                                      {"held_minutes", "10", V_MINUTES}, {"needed_minutes", "120", V_MINUTES}}},
    {HB_RESULT_CAP_EXCEEDED, {{"role", "provider", V_WORD}, {"member", MEMBER_A, V_MEMBER},
                              {"held_minutes", "44970", V_MINUTES}, {"minutes", "90", V_MINUTES},
                              {"cap_minutes", "45000", V_MINUTES}}},
    {HB_RESULT_CAP_EXCEEDED, {{"role", "receiver", V_WORD}, {"member", MEMBER_B, V_MEMBER},
                              {"held_minutes", "600", V_MINUTES}, {"minutes", "125", V_MINUTES},
                              {"cap_minutes", "660", V_MINUTES}}},
    {HB_RESULT_DAILY_LIMIT_EXCEEDED, {{"member", MEMBER_A, V_MEMBER}, {"limit_minutes", "480", V_MINUTES},
                                      {"day", "2026-12-07", V_RAW}}},
    {HB_RESULT_OCCURRED_IN_FUTURE, {{"occurred_at", "1796605200", V_INSTANT}, {"central_time", "1796601600", V_INSTANT}}},
    {HB_RESULT_TOO_OLD, {{"occurred_at", "1780000000", V_INSTANT}, {"window_days", "90", V_RAW}}},
    {HB_RESULT_ALREADY_VOIDED, {{"target", "1:42", V_RAW}}},
    {HB_RESULT_UNKNOWN_OPERATION, {{"target", "1:43", V_RAW}}},
    {HB_RESULT_BAD_MEMBER_NUMBER, {{0}}},
    {HB_RESULT_NOT_FAMILY, {{"giver", MEMBER_A, V_MEMBER}, {"receiver", MEMBER_B, V_MEMBER}}},
    {HB_RESULT_BUDGET_EXHAUSTED, {{"budget_minutes", "1200", V_MINUTES}}},
    {HB_RESULT_BUDGET_EXHAUSTED,
     {{"budget_minutes", "1200", V_MINUTES}, {"left_minutes", "45", V_MINUTES}, {"minutes", "90", V_MINUTES}}},
    {HB_RESULT_BUDGET_EXHAUSTED, {{"left_minutes", "45", V_MINUTES}, {"minutes", "90", V_MINUTES}}},
    {HB_RESULT_UNAVAILABLE, {{0}}},
    {HB_RESULT_OUTBOX_FULL, {{"pending_bytes", "268435000", V_RAW}, {"max_bytes", "268435456", V_RAW}}},
    {HB_RESULT_NOT_FOUND, {{"member", MEMBER_NAMELESS, V_MEMBER}}},
    {HB_RESULT_NOT_FOUND, {{0}}},
    {HB_RESULT_INTERNAL, {{0}}},
    {HB_RESULT_NOT_VOIDABLE, {{"target", "1:40", V_RAW}, {"target_kind", "service", V_WORD},
                              {"target_result", "12", V_CODE}}},
    {HB_RESULT_NOT_VOIDABLE, {{"target", "1:41", V_RAW}, {"target_kind", "void", V_WORD},
                              {"target_result", "1", V_WORD}}},
    {HB_RESULT_NOT_VOIDABLE, {{"target", "1:39", V_RAW}, {"target_kind", "register", V_WORD},
                              {"target_result", "1", V_WORD}}},
    {HB_RESULT_NOT_VOIDABLE, {{"target", "1:38", V_RAW}, {"target_kind", "invalid", V_WORD},
                              {"target_result", "5", V_CODE}}},
    {HB_RESULT_REGISTRATION_REFUSED, {{"member", MEMBER_A, V_MEMBER}, {"station", "1", V_RAW}, {"seq", "12", V_RAW},
                                      {"refused_result", "7", V_CODE}}},
    {HB_RESULT_AWAITING_CENTRAL, {{0}}},
    {HB_RESULT_NO_DISTRICT_RULES, {{"role", "provider", V_WORD}, {"member", MEMBER_A, V_MEMBER},
                                   {"district", "Gulou", V_RAW}, {"rules_version", "4", V_RAW}}},
    {HB_RESULT_NO_DISTRICT_RULES, {{"role", "station", V_WORD}, {"station", "2", V_RAW},
                                   {"district", "Qinhuai", V_RAW}, {"rules_version", "4", V_RAW}}},
    {HB_RESULT_UNKNOWN_OPERATOR, {{"operator", "zhang", V_RAW}}},
    {HB_RESULT_UNKNOWN_OPERATOR, {{"operator", "zhang", V_RAW}, {"state", "disabled", V_WORD}}},
    {HB_RESULT_UNKNOWN_OPERATOR, {{"operator", "", V_RAW}, {"state", "none", V_WORD}}},
    {HB_RESULT_MEMBER_LEFT, {{"role", "recipient", V_WORD}, {"member", MEMBER_A, V_MEMBER}}},
    {HB_RESULT_OPENING_EXISTS, {{"member", MEMBER_A, V_MEMBER}, {"station", "3", V_RAW}, {"seq", "57", V_RAW}}},
    {HB_RESULT_POSSIBLE_DUPLICATE, {{"member", MEMBER_A, V_MEMBER}, {"birth_year", "1948", V_RAW}}},
    {HB_RESULT_ALREADY_HOME, {{"member", MEMBER_A, V_MEMBER}, {"community", "QX03", V_RAW}}},
    {HB_RESULT_NOT_AUTHORIZED, {{"reason", "amend_community", V_WORD}, {"station", "3", V_RAW},
                                {"member", MEMBER_A, V_MEMBER}}},
    {HB_RESULT_NOT_AUTHORIZED, {{"reason", "leaver_hours_pool", V_WORD}, {"district", "QX", V_RAW}}},
    {HB_RESULT_UNKNOWN_MEMBER, {{"role", "heir", V_WORD}, {"member", MEMBER_A, V_MEMBER}}},
    {HB_RESULT_NOT_AUTHORIZED, {{"reason", "retired", V_WORD}, {"station", "3", V_RAW}}},
    {HB_RESULT_NOT_AUTHORIZED, {{"reason", "not_configured", V_WORD}, {"station", "3", V_RAW}}},
    {HB_RESULT_SIGN_IN_REFUSED, {{"reason", "pin", V_WORD}}},
    {HB_RESULT_SIGN_IN_REFUSED, {{"reason", "locked", V_WORD}, {"retry_after", "45", V_WAIT}}},
    {HB_RESULT_SIGN_IN_REFUSED, {{"reason", "locked", V_WORD}, {"retry_after", "61", V_WAIT}}},
    {HB_RESULT_SIGN_IN_REFUSED, {{"reason", "locked", V_WORD}, {"retry_after", "3600", V_WAIT}}},
    {HB_RESULT_SIGN_IN_REFUSED, {{"reason", "unknown", V_WORD}}},
    {HB_RESULT_SIGN_IN_REFUSED, {{"reason", "disabled", V_WORD}}},
    {HB_RESULT_SIGN_IN_REFUSED, {{"reason", "no_pin", V_WORD}}},
};
#define EXAMPLES (sizeof examples / sizeof examples[0])

static int namer_calls;

static const char *
namer(void *ctx, const char *member_no)
{
    (void) ctx;
    namer_calls++;
    if (strcmp(member_no, MEMBER_A) == 0)
        return NAME_A;
    if (strcmp(member_no, MEMBER_B) == 0)
        return NAME_B;
    return NULL;
}

static void
use_lang(const char *lang, const char *want)
{
    const char *build = getenv("HB_BUILD_DIR");
    assert_non_null(build);
    char dir[PATH_BYTES];
    snprintf(dir, sizeof dir, "%s/locale", build);
    setenv("HOURBANK_LOCALEDIR", dir, 1);
    unsetenv("LANGUAGE");
    unsetenv("LC_ALL");
    unsetenv("LC_MESSAGES");
    setenv("LANG", lang, 1);
    setenv("TZ", "Asia/Shanghai", 1);
    hb_i18n_init("test_cli_result");
    assert_string_equal(hb_i18n_lang(), want);
}

/* The example as protobuf params (pointing into storage). */
static size_t
params_of(const example_t *e, Hourbank__Param storage[PARAMS_MAX], Hourbank__Param *ptrs[PARAMS_MAX])
{
    size_t n = 0;
    for (; n < PARAMS_MAX && e->v[n].name; n++) {
        hourbank__param__init(&storage[n]);
        storage[n].name = (char *) (uintptr_t) e->v[n].name;
        storage[n].value = (char *) (uintptr_t) e->v[n].value;
        ptrs[n] = &storage[n];
    }
    return n;
}

/* How value v shows, into buf; "" for a word that is not shown. */
static const char *
shown(const value_t *v, char *buf, size_t size)
{
    switch (v->show) {
    case V_MINUTES: return hb_cli_format_duration(buf, size, strtoll(v->value, NULL, 10), false);
    case V_INSTANT: return hb_cli_format_time(buf, size, strtoll(v->value, NULL, 10));
    case V_CODE: return hb_cli_result_tag(buf, size, atoi(v->value));
    case V_WORD: buf[0] = '\0'; return buf;
    case V_WAIT: {
        long long s = strtoll(v->value, NULL, 10);
        if (s >= 60)
            return hb_cli_format_duration(buf, size, (s + 59) / 60, false);
        snprintf(buf, size, "%lld", s);
        return buf;
    }
    default: snprintf(buf, size, "%s", v->value); return buf;
    }
}

/* Cuts every occurrence of part out of text. */
static void
cut(char *text, const char *part)
{
    size_t n = strlen(part);
    if (n == 0)
        return;
    for (char *at = strstr(text, part); at; at = strstr(at, part))
        memmove(at, at + n, strlen(at + n) + 1);
}

static int
longest_first(const void *a, const void *b)
{
    size_t x = strlen(*(const char *const *) a), y = strlen(*(const char *const *) b);
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The first run of two or more ASCII letters in text, or NULL. */
static const char *
english_word(const char *text)
{
    for (const char *p = text; *p; p++)
        if (isalpha((unsigned char) p[0]) && isalpha((unsigned char) p[1]))
            return p;
    return NULL;
}

static void
check_example(const example_t *e, bool chinese, char *out, size_t out_size)
{
    Hourbank__Param storage[PARAMS_MAX], *ptrs[PARAMS_MAX];
    size_t n = params_of(e, storage, ptrs);
    hb_cli_result_render(out, out_size, e->code, ptrs, n, NULL, namer, NULL);
    if (!out[0])
        fail_msg("code %d (%s): bad rendering \"%s\"", e->code, hb_result_name((hb_result_t) e->code), out);
    if (getenv("HB_TEST_SHOW"))  /* every sentence, for a reader to judge */
        printf("%-30s %s\n", hb_result_name((hb_result_t) e->code), out);
    char rest[TEXT_BYTES], buf[PARAMS_MAX][TEXT_BYTES];
    const char *cuts[2 * PARAMS_MAX];
    size_t n_cuts = 0;
    size_t len = strnlen(out, sizeof rest - 1);  /* out_size may be larger than rest */
    memcpy(rest, out, len);
    rest[len] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *s = shown(&e->v[i], buf[i], sizeof buf[i]);
        if (s[0] && !strstr(out, s))
            fail_msg("code %d (%s) in %s: value %s=%s (shown \"%s\") missing from \"%s\"", e->code,
                     hb_result_name((hb_result_t) e->code), chinese ? "zh_CN" : "en", e->v[i].name, e->v[i].value,
                     s, out);
        const char *name = e->v[i].show == V_MEMBER ? namer(NULL, e->v[i].value) : NULL;
        if (name && !strstr(out, name))
            fail_msg("code %d: the name of %s missing from \"%s\"", e->code, e->v[i].value, out);
        if (name)
            cuts[n_cuts++] = name;
        if (s[0])
            cuts[n_cuts++] = s;
    }
    qsort(cuts, n_cuts, sizeof cuts[0], longest_first);  /* "1" must not cut into "QX03-000127-6" */
    for (size_t i = 0; i < n_cuts; i++)
        cut(rest, cuts[i]);
    const char *word = chinese ? english_word(rest) : NULL;
    if (word)
        fail_msg("code %d (%s) in zh_CN: untranslated \"%s\" in \"%s\"", e->code, hb_result_name((hb_result_t) e->code),
                 word, out);
}

static void
test_every_code_in_both_languages(void **state)
{
    (void) state;
    static char en[EXAMPLES][TEXT_BYTES], zh[EXAMPLES][TEXT_BYTES];
    bool covered[HB_RESULT_LAST + 1] = {false};
    use_lang("en_US.UTF-8", "en");
    for (size_t i = 0; i < EXAMPLES; i++) {
        check_example(&examples[i], false, en[i], sizeof en[i]);
        covered[examples[i].code] = true;
    }
    for (int code = 0; code <= HB_RESULT_LAST; code++)
        if (!covered[code])
            fail_msg("no example for code %d (%s)", code, hb_result_name((hb_result_t) code));
    use_lang("zh_CN.UTF-8", "zh_CN");
    for (size_t i = 0; i < EXAMPLES; i++) {
        check_example(&examples[i], true, zh[i], sizeof zh[i]);
        if (strcmp(en[i], zh[i]) == 0)
            fail_msg("code %d reads the same in both languages: \"%s\"", examples[i].code, en[i]);
    }
    /* the two durations of the issue, read as the operator reads them */
    char d[TEXT_BYTES];
    assert_string_equal(hb_cli_format_duration(d, sizeof d, 150, false), "2小时30分钟");
    use_lang("en_US.UTF-8", "en");
    assert_string_equal(hb_cli_format_duration(d, sizeof d, 150, false), "2 h 30 min");
}

/* A few sentences pinned in full, so the words themselves are checked. */
static void
test_pinned_sentences(void **state)
{
    (void) state;
    Hourbank__Param p[3], *pp[3] = {&p[0], &p[1], &p[2]};
    char out[TEXT_BYTES];
    for (int i = 0; i < 3; i++)
        hourbank__param__init(&p[i]);
    p[0].name = (char *) "member", p[0].value = (char *) MEMBER_A;
    p[1].name = (char *) "limit_minutes", p[1].value = (char *) "480";
    p[2].name = (char *) "day", p[2].value = (char *) "2026-12-07";
    use_lang("en_US.UTF-8", "en");
    hb_cli_result_render(out, sizeof out, HB_RESULT_DAILY_LIMIT_EXCEEDED, pp, 3, NULL, namer, NULL);
    assert_string_equal(out, "the provider " NAME_A " (" MEMBER_A ") would serve more than the daily limit of 8 h on "
                             "2026-12-07");
    use_lang("zh_CN.UTF-8", "zh_CN");
    hb_cli_result_render(out, sizeof out, HB_RESULT_DAILY_LIMIT_EXCEEDED, pp, 3, NULL, namer, NULL);
    assert_string_equal(out, "服务提供者 " NAME_A "（" MEMBER_A "） 在 2026-12-07 的服务时长会超过每日上限8小时");
    /* no namer: the number alone */
    hb_cli_result_render(out, sizeof out, HB_RESULT_DAILY_LIMIT_EXCEEDED, pp, 3, NULL, NULL, NULL);
    assert_non_null(strstr(out, MEMBER_A " 在"));
    assert_null(strstr(out, NAME_A));
    /* a lockout at the console's sign-in, read by a person at the door */
    p[0].name = (char *) "reason", p[0].value = (char *) "locked";
    p[1].name = (char *) "retry_after", p[1].value = (char *) "100";
    hb_cli_result_render(out, sizeof out, HB_RESULT_SIGN_IN_REFUSED, pp, 2, NULL, NULL, NULL);
    assert_string_equal(out, "密码输错次数太多：请2分钟后再试");
    use_lang("en_US.UTF-8", "en");
    hb_cli_result_render(out, sizeof out, HB_RESULT_SIGN_IN_REFUSED, pp, 2, NULL, NULL, NULL);
    assert_string_equal(out, "too many wrong PINs: try again in 2 min");
    p[1].value = (char *) "9";
    hb_cli_result_render(out, sizeof out, HB_RESULT_SIGN_IN_REFUSED, pp, 2, NULL, NULL, NULL);
    assert_string_equal(out, "too many wrong PINs: try again in 9 s");
    p[0].value = (char *) "pin";
    hb_cli_result_render(out, sizeof out, HB_RESULT_SIGN_IN_REFUSED, pp, 1, NULL, NULL, NULL);
    assert_string_equal(out, "wrong PIN");
}

/* Results stored before values existed: their message, as it is; a code
 * without values and an unknown code: words of their own. */
static void
test_legacy_and_unknown(void **state)
{
    (void) state;
    char out[TEXT_BYTES];
    use_lang("zh_CN.UTF-8", "zh_CN");
    hb_cli_result_render(out, sizeof out, HB_RESULT_DAILY_LIMIT_EXCEEDED, NULL, 0,
                         "provider would pass the daily limit of 480 minutes", namer, NULL);
    assert_string_equal(out, "provider would pass the daily limit of 480 minutes");
    hb_cli_result_render(out, sizeof out, HB_RESULT_UNAVAILABLE, NULL, 0, "ledger database unreachable", namer, NULL);
    assert_string_equal(out, "账本暂时无法使用，请稍后再试");
    hb_cli_result_render(out, sizeof out, HB_RESULT_DAILY_LIMIT_EXCEEDED, NULL, 0, NULL, namer, NULL);
    assert_string_equal(out, "服务提供者会超过每天允许的时长");
    hb_cli_result_render(out, sizeof out, 999, NULL, 0, NULL, namer, NULL);
    assert_string_equal(out, "未知的结果代码 999");
    /* a value missing: the code's own sentence, never a half-filled one */
    Hourbank__Param p, *pp = &p;
    hourbank__param__init(&p);
    p.name = (char *) "member", p.value = (char *) MEMBER_A;
    hb_cli_result_render(out, sizeof out, HB_RESULT_DAILY_LIMIT_EXCEEDED, &pp, 1, NULL, namer, NULL);
    assert_string_equal(out, "服务提供者会超过每天允许的时长");
    use_lang("en_US.UTF-8", "en");
    hb_cli_result_render(out, sizeof out, 999, NULL, 0, NULL, namer, NULL);
    assert_string_equal(out, "unknown result code 999");
    hb_cli_result_tag(out, sizeof out, HB_RESULT_CAP_EXCEEDED);
    assert_string_equal(out, "CAP_EXCEEDED");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_in_both_languages),
        cmocka_unit_test(test_pinned_sentences),
        cmocka_unit_test(test_legacy_and_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
