/* `hourbank passbook` (issue 14): the passbook an elder takes home, from
 * the real CLI against a real hourbank-station and hourbank-central on
 * PostgreSQL, checked by itest_cli_passbook.py (Python's unicodedata for
 * the columns, html.parser for the page), independently of the CLI's code.
 *
 *  - text: every line exactly 32 or 48 display columns (a Chinese
 *    character is two), in zh_CN and en (--lang, and the tool's language
 *    from LANG); the station header (its name and community, from the
 *    station's copy of central's rules), the member's name
 *    and number, care the guarantee paid shown as such with 0 moved, the
 *    totals, the closing balance equal to the member's balance;
 *  - every page of the period is fetched: 450 entries (3 of central's
 *    pages) give 450 entry lines;
 *  - HTML: well-formed, lang set, <meta charset>, print CSS with @page for
 *    A4 and A5, nothing external (no src=, no http(s)://, no script), the
 *    member's name escaped (< > & " '), both languages;
 *  - a period: from tomorrow holds no entries, opening = closing.
 * Old main (eedcf02) has no passbook command: every test here fails there. */
#include "hb_itest.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "hb_memberno.h"

#define OUT_BYTES (1024 * 1024)
#define ERR_BYTES 8192
#define WORDS_MAX 32
#define SYNC_WAIT_S 30
#define ACK_WAIT_MS 30000
#define MANY 450
#define PER_BATCH 150
#define SECONDS_PER_DAY 86400

/* A name that HTML must escape, and one in Chinese. */
#define NAME_HTML "Li \"Ann\" <O'Neil> & Co"
#define NAME_ZH "王秀英"

static hb_h_central_t central;
static hb_h_station_t station;
static char run_dir[512];
static char vol[32], eld[32];
static char checker[1024];

static int g_rc;
static char g_out[OUT_BYTES], g_err[ERR_BYTES];

static void
use_lang(const char *lang)
{
    unsetenv("LANGUAGE");
    unsetenv("LC_ALL");
    unsetenv("LC_MESSAGES");
    unsetenv("HOURBANK_LOCALEDIR");
    setenv("LANG", lang, 1);
}

static void
run_argv(const char *const *words, bool cli)
{
    char bin[600];
    const char *argv[WORDS_MAX + 1];
    int argc = 0;
    if (cli)
        argv[argc++] = hb_h_bin("hourbank", bin, sizeof bin);
    for (; *words && argc < WORDS_MAX - 2; words++)
        argv[argc++] = *words;
    if (cli) {
        argv[argc++] = "-c";
        argv[argc++] = station.conf;
    }
    argv[argc] = NULL;
    g_rc = hb_h_run_capture(argv, run_dir, g_out, sizeof g_out, g_err, sizeof g_err);
}

#define S(...) run_argv((const char *const[]){__VA_ARGS__, NULL}, true)

static void
expect_ok(void)
{
    if (g_rc != 0)
        fail_msg("exit %d\nstdout: %s\nstderr: %s", g_rc, g_out, g_err);
}

static void
has(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("lacks \"%s\":\n%s", needle, text);
}

static void
registered(char *out, size_t size)
{
    expect_ok();
    size_t n = strcspn(g_out, " ");
    assert_true(n < size);
    memcpy(out, g_out, n);
    out[n] = '\0';
    assert_int_equal(hb_memberno_parse(out, NULL, NULL), HB_RESULT_OK);
}

static void
wait_drained(void)
{
    hb_h_client_t *cl = hb_h_station_client(&station);
    assert_true(hb_h_wait_drained(cl, SYNC_WAIT_S));
    hb_h_client_destroy(&cl);
}

/* Waits until the station answers RulesQuery from its copy of central's
 * rules (it takes one when it connects), so the passbook's header names it. */
static void
wait_rules_copy(void)
{
    hb_h_client_t *cl = hb_h_station_client(&station);
    for (int i = 0; i < SYNC_WAIT_S * 10; i++) {
        Hourbank__RulesQuery q;
        hourbank__rules_query__init(&q);
        Hourbank__Envelope env;
        hourbank__envelope__init(&env);
        env.body_case = HOURBANK__ENVELOPE__BODY_RULES_QUERY;
        env.rules_query = &q;
        Hourbank__Envelope *r = hb_h_client_call(cl, &env, ACK_WAIT_MS);
        bool copy = r && r->body_case == HOURBANK__ENVELOPE__BODY_RULES_REPLY;
        hb_wire_free(&r);
        if (copy) {
            hb_h_client_destroy(&cl);
            return;
        }
        usleep(100 * 1000);
    }
    fail_msg("the station never answered RulesQuery from a copy of the rules");
}

/* ---- setup: a volunteer and an elder with care, a gift, a void ---- */

static int
setup(void **state)
{
    (void) state;
    setenv("TZ", "UTC", 1);
    use_lang("en_US.UTF-8");
    const char *src = getenv("HB_SOURCE_DIR");
    assert_non_null(src);
    snprintf(checker, sizeof checker, "%s/tests/integration/itest_cli_passbook.py", src);
    snprintf(run_dir, sizeof run_dir, "%s", hb_h_tmpdir("hb_itest_cli_passbook"));
    hb_h_central_init(&central, "hb_itest_cli_pbook", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, 1, 0);
    hb_h_station_start(&station);

    S("member", "add", "--name", NAME_HTML, "--role", "volunteer", "--birth-year", "1961");
    registered(vol, sizeof vol);
    S("member", "add", "--name", NAME_ZH, "--role", "elder", "--birth-year", "1936", "--family", vol);
    registered(eld, sizeof eld);
    /* over 80: the guarantee pays personal care in GULOU */
    S("record", "--provider", vol, "--recipient", eld, "--duration", "1h30m", "--category", "personal-care");
    expect_ok();
    S("gift", "--from", vol, "--to", eld, "--duration", "45m", "--reason", "for my mother");
    expect_ok();
    /* companionship the elder pays from the gift */
    S("record", "--provider", vol, "--recipient", eld, "--duration", "20m", "--category", "companionship");
    expect_ok();
    wait_drained();
    wait_rules_copy();
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    if (station.pid)
        hb_h_station_stop(&station, SIGTERM);
    if (central.pid)
        hb_h_central_stop(&central, SIGTERM);
    return 0;
}

/* ---- checking what the CLI wrote ---- */

/* Saves g_out as a file of run_dir; returns its path (static). */
static const char *
save_out(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", run_dir, name);
    hb_h_write_file(path, g_out);
    return path;
}

/* The checker on path: every line width columns; returns the line count. */
static long
check_text(const char *path, int width)
{
    static char keep_out[OUT_BYTES];
    char w[16];
    memcpy(keep_out, g_out, sizeof keep_out);
    snprintf(w, sizeof w, "%d", width);
    run_argv((const char *const[]){"/usr/bin/python3", checker, "text", w, path, NULL}, false);
    if (g_rc != 0)
        fail_msg("%s (width %d):\n%s\n%s", g_out, width, keep_out, g_err);
    long lines = strtol(g_out, NULL, 10);
    memcpy(g_out, keep_out, sizeof g_out);
    return lines;
}

/* The checker on path against the entries of json_path (statement --json
 * or the same keys): one line per entry carrying its amounts in H:MM, the
 * guarantee's mark and footnote; returns the entry line count. */
static long
check_entries(const char *path, int width, const char *json_path)
{
    static char keep_out[OUT_BYTES];
    char w[16];
    memcpy(keep_out, g_out, sizeof keep_out);
    snprintf(w, sizeof w, "%d", width);
    run_argv((const char *const[]){"/usr/bin/python3", checker, "entries", w, path, json_path, NULL}, false);
    if (g_rc != 0)
        fail_msg("%s (width %d):\n%s\n%s", g_out, width, keep_out, g_err);
    long lines = strtol(g_out, NULL, 10);
    memcpy(g_out, keep_out, sizeof g_out);
    return lines;
}

/* The member's entries as `statement --json` gives them, saved as a file
 * of run_dir; returns its path (static). */
static const char *
statement_json(const char *member)
{
    static char path[1024];
    static char keep_out[OUT_BYTES];
    memcpy(keep_out, g_out, sizeof keep_out);
    S("statement", member, "--json");
    expect_ok();
    snprintf(path, sizeof path, "%s/statement.json", run_dir);
    hb_h_write_file(path, g_out);
    memcpy(g_out, keep_out, sizeof g_out);
    return path;
}

/* A passbook in text; returns its output in buf. The header is the
 * station's name and community; one line per entry of the member's
 * statement (3 here), with its amounts. */
static void
text_passbook(const char *member, const char *width, const char *lang, char *buf, size_t size)
{
    if (lang)
        S("passbook", member, "--width", width, "--lang", lang);
    else
        S("passbook", member, "--width", width);
    expect_ok();
    assert_string_equal(g_err, "");
    has(g_out, "Qingxi one");     /* the station's name and community, from its copy of the rules */
    has(g_out, "Qingxi (QX03)");
    snprintf(buf, size, "%s", g_out);
    const char *txt = save_out("passbook.txt");
    long lines = check_text(txt, atoi(width));
    assert_true(lines > 10);
    assert_int_equal(check_entries(txt, atoi(width), statement_json(member)), 3);
}

/* ---- tests ---- */

static void
test_text_widths_and_content(void **state)
{
    (void) state;
    static char out[OUT_BYTES];
    const char *langs[] = {"en", "zh_CN"}, *widths[] = {"32", "48"};
    for (size_t l = 0; l < 2; l++) {
        bool zh = l == 1;
        for (size_t w = 0; w < 2; w++) {
            text_passbook(eld, widths[w], langs[l], out, sizeof out);
            has(out, NAME_ZH);
            has(out, eld);
            has(out, zh ? "时间银行存折" : "TIME BANK PASSBOOK");
            has(out, zh ? "\n* 由保障账户支付" : "\n* paid by the guarantee");  /* the footnote */
            has(out, zh ? "时长（小时:分钟）" : "hours (h:mm)");
            has(out, " 0:00 ");           /* nothing moved for the elder */
            has(out, "personal-");  /* cut to the service's columns at 32 */
            has(out, "companion");
            /* 45 min in, 20 min out: closing 25 min, the elder's balance */
            has(out, zh ? "期末余额" : "closing balance");
            has(out, " 0:25\n");
            has(out, zh ? "存入时长" : "hours in");
        }
        /* the provider's passbook: the care they gave, earned */
        text_passbook(vol, "48", langs[l], out, sizeof out);
        has(out, " 1:30 ");
        assert_null(strstr(out, zh ? "由保障账户支付" : "paid by the guarantee"));
    }
    /* the tool's language when --lang is not given */
    use_lang("zh_CN.UTF-8");
    text_passbook(eld, "32", NULL, out, sizeof out);
    has(out, "期初余额");
    text_passbook(eld, "48", "en", out, sizeof out);  /* an English passbook from a Chinese desk */
    has(out, "opening balance");
    has(out, "paid by the guarantee");
    use_lang("en_US.UTF-8");
    text_passbook(eld, "32", NULL, out, sizeof out);
    has(out, "opening balance");
    /* the widths a receipt printer has, and nothing else */
    S("passbook", eld, "--width", "40");
    assert_int_equal(g_rc, EX_USAGE);
    has(g_err, "--width \"40\": a receipt printer's line is 32 or 48 columns");
}

static void
test_period(void **state)
{
    (void) state;
    static char out[OUT_BYTES];
    char tomorrow[16], today[16];
    time_t now = time(NULL), next = now + SECONDS_PER_DAY;
    struct tm tm;
    strftime(today, sizeof today, "%Y-%m-%d", gmtime_r(&now, &tm));
    strftime(tomorrow, sizeof tomorrow, "%Y-%m-%d", gmtime_r(&next, &tm));
    S("passbook", eld, "--from", tomorrow, "--width", "48");
    expect_ok();
    snprintf(out, sizeof out, "%s", g_out);
    check_text(save_out("empty.txt"), 48);
    has(out, "no entries in this period");
    has(out, "period: from ");
    has(out, tomorrow);
    /* opening = closing = the balance */
    const char *o = strstr(out, "opening balance"), *c = strstr(out, "closing balance");
    assert_non_null(o);
    assert_non_null(c);
    assert_int_equal(strncmp(o + strlen("opening balance"), c + strlen("closing balance"), 48 - 15), 0);
    has(o, " 0:25\n");
    S("passbook", eld, "--from", today, "--until", today, "--width", "32");
    expect_ok();
    has(g_out, "paid by the guarantee");
    char want[64];
    snprintf(want, sizeof want, "%s to", today);
    has(g_out, want);
}

/* The provider's n entries as the checker reads them (statement --json's
 * keys), in posting order: 15 min in each, the balance 15 min more each
 * time; saved as a file of run_dir, returns its path (static). */
static const char *
many_json(int n)
{
    static char path[1024], text[OUT_BYTES];
    size_t at = (size_t) snprintf(text, sizeof text, "{\"entries\": [");
    for (int i = 1; i <= n && at < sizeof text; i++)
        at += (size_t) snprintf(text + at, sizeof text - at,
                                "%s{\"transfer_id\": %d, \"minutes\": 15, \"balance_after\": %d}", i > 1 ? ", " : "",
                                i, 15 * i);
    assert_true(at + 3 < sizeof text);
    snprintf(text + at, sizeof text - at, "]}\n");
    snprintf(path, sizeof path, "%s/many.json", run_dir);
    hb_h_write_file(path, text);
    return path;
}

/* Every page: 450 services posted straight to central as station 2. */
static void
test_every_page(void **state)
{
    (void) state;
    char provider[32], elder[32];
    snprintf(provider, sizeof provider, "%s", hb_h_member("QX03", 500001));
    snprintf(elder, sizeof elder, "%s", hb_h_member("QX03", 500002));
    hb_h_client_t *cl = hb_h_central_client(&central, 2);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, provider, "陈静", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_register(b, 2, elder, "Liu Fang", HOURBANK__ROLE__ELDER, 1930, NULL);
    Hourbank__Envelope *ack = itest_send(cl, b);
    hb_wire_free(&ack);
    hb_h_batch_free(&b);
    int64_t now = (int64_t) time(NULL);
    for (int done = 0; done < MANY; done += PER_BATCH) {
        b = hb_h_batch_new();
        for (int i = 0; i < PER_BATCH; i++) {
            uint64_t seq = 3 + (uint64_t) (done + i);
            hb_h_batch_service(b, seq, now - (int64_t) (seq % 20 + 1) * SECONDS_PER_DAY, provider, elder, 15,
                               "personal-care");
        }
        ack = itest_send(cl, b);
        for (size_t i = 0; i < ack->batch_ack->n_results; i++)
            assert_int_equal(ack->batch_ack->results[i]->result, HOURBANK__RESULT__OK);
        hb_wire_free(&ack);
        hb_h_batch_free(&b);
    }
    hb_h_client_destroy(&cl);
    const char *json = many_json(MANY);
    const char *langs[] = {"en", "zh_CN"};
    for (size_t l = 0; l < 2; l++) {
        S("passbook", provider, "--lang", langs[l], "--width", "32");
        expect_ok();
        /* one line per entry, each +0:15 and the balance 15 min more */
        has(g_out, "112:30\n");  /* 450 x 15 min */
        has(g_out, "陈静");
        assert_int_equal(check_entries(save_out("many.txt"), 32, json), MANY);
        S("passbook", provider, "--lang", langs[l], "--width", "48");
        expect_ok();
        assert_int_equal(check_entries(save_out("many.txt"), 48, json), MANY);
        /* and the HTML page: one row each */
        S("passbook", provider, "--lang", langs[l], "--html", "-");
        expect_ok();
        const char *path = save_out("many.html");
        run_argv((const char *const[]){"/usr/bin/python3", checker, "html", langs[l], path, "陈静", NULL}, false);
        if (g_rc != 0)
            fail_msg("%s%s", g_out, g_err);
        assert_int_equal(strtol(g_out, NULL, 10), MANY);
    }
}

static void
test_html(void **state)
{
    (void) state;
    const char *langs[] = {"en", "zh_CN"}, *papers[] = {"a4", "a5"};
    char path[1024];
    for (size_t l = 0; l < 2; l++) {
        bool zh = l == 1;
        snprintf(path, sizeof path, "%s/passbook-%s.html", run_dir, langs[l]);
        S("passbook", eld, "--html", path, "--lang", langs[l], "--paper", papers[l]);
        expect_ok();
        assert_string_equal(g_out, "");
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);  /* personal data */
        char page[OUT_BYTES / 4];
        hb_h_read_file(path, page, sizeof page);
        has(page, zh ? "size: A5" : "size: A4");
        run_argv((const char *const[]){"/usr/bin/python3", checker, "html", langs[l], path, NAME_ZH, eld,
                                       zh ? "由保障账户支付" : "paid by the guarantee",
                                       zh ? "时间银行存折" : "TIME BANK PASSBOOK", NULL},
                 false);
        if (g_rc != 0)
            fail_msg("%s: %s%s", path, g_out, g_err);
        assert_int_equal(strtol(g_out, NULL, 10), 3);  /* care, gift, companionship */
        /* the volunteer's: a name HTML must escape */
        S("passbook", vol, "--html", "-", "--lang", langs[l]);
        expect_ok();
        assert_null(strstr(g_out, "<O'Neil>"));
        has(g_out, "&lt;O&#39;Neil&gt; &amp; Co");
        const char *vpath = save_out("vol.html");
        run_argv((const char *const[]){"/usr/bin/python3", checker, "html", langs[l], vpath, NAME_HTML, NULL}, false);
        if (g_rc != 0)
            fail_msg("%s: %s%s", vpath, g_out, g_err);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_widths_and_content),
        cmocka_unit_test(test_period),
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_every_page),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
