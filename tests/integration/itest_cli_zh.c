/* The `hourbank` CLI in Chinese and in English: the real binary against a
 * real hourbank-central (PostgreSQL) and a real hourbank-station. Under
 * LANG=zh_CN.UTF-8 help, member add, record, balance, statement, member
 * find, queue, queue --rejected, queue show, a refused save, stations and
 * status print no untranslated word: once the data this test put in (member
 * numbers, names, categories, the harness's station and zone names,
 * numbers, dates) and what an operator types (command words, options,
 * paths) are taken out, no run of two ASCII letters remains. Under
 * LANG=en_US.UTF-8 the same commands print English.
 *
 * Results: a rejection by central (the recipient holds no hours) and a
 * save the station refuses (an unknown recipient). When the result carries
 * its values (central and station that send them), the Chinese sentence
 * must show them (member and name, 2小时); a result without values is shown
 * as its stored message (a central older than issue 13) with the code. */
#include "hb_itest.h"

#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "hb_memberno.h"

#define OUT_BYTES (256 * 1024)
#define ERR_BYTES 8192
#define WORDS_MAX 32
#define SYNC_WAIT_S 30
#define REPLY_WAIT_MS 5000
#define DATA_MAX 48

static hb_h_central_t central;
static hb_h_station_t station;
static char admin_yaml[700];
static char run_dir[512];
static char vol[32], eld[32], young[32], ghost[32];
static char fresh[32];  /* a member registered by the test being run */
static unsigned long long rejected_seq;

/* Names given to members here (Chinese, as most are). */
#define NAME_VOL "张伟"
#define NAME_ELD "王秀英"
#define NAME_YOUNG "李娜"

static int g_rc;
static char g_out[OUT_BYTES], g_err[ERR_BYTES];

static void
use_lang(const char *lang)
{
    unsetenv("LANGUAGE");
    unsetenv("LC_ALL");
    unsetenv("LC_MESSAGES");
    unsetenv("HOURBANK_LOCALEDIR");  /* the build tree's catalogs, found beside the binary */
    setenv("LANG", lang, 1);
}

static void
run_hourbank(const char *const *words, const char *const *extra)
{
    char bin[600];
    const char *argv[WORDS_MAX + 1];
    int argc = 0;
    argv[argc++] = hb_h_bin("hourbank", bin, sizeof bin);
    for (; *words && argc < WORDS_MAX - 2; words++)
        argv[argc++] = *words;
    for (; extra && *extra && argc < WORDS_MAX; extra++)
        argv[argc++] = *extra;
    argv[argc] = NULL;
    g_rc = hb_h_run_capture(argv, run_dir, g_out, sizeof g_out, g_err, sizeof g_err);
}

#define S(...) run_hourbank((const char *const[]){__VA_ARGS__, NULL}, (const char *const[]){"-c", station.conf, NULL})
#define A(...) run_hourbank((const char *const[]){__VA_ARGS__, NULL}, (const char *const[]){"--admin", admin_yaml, NULL})
#define X(...) run_hourbank((const char *const[]){__VA_ARGS__, NULL}, NULL)

static void
expect_ok(void)
{
    if (g_rc != 0)
        fail_msg("exit %d\nstdout: %s\nstderr: %s", g_rc, g_out, g_err);
    assert_string_equal(g_err, "");
}

static void
has(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("lacks \"%s\":\n%s", needle, text);
}

/* ---- what is not a word to translate ---- */

/* Words an operator types or reads as names, shown as they are in every
 * language: */
static const char *const proper[] = {
    "hourbank",          /* the program's name, typed at the prompt */
    "member", "add", "show", "find", "record", "gift", "void", "balance", "statement", "queue", "dismiss",
    "status", "categories", "stations", "verify", "keygen", "help", "operator", "donate", "list", "disable", "unlock",
    "rules", "import", "members", "balances", "amend", "move", "leave", "reconcile",
    /* the command words above: what is typed, listed by --help */
    "volunteer", "elder", "both",  /* --role's values: typed as they are; the help translates each beside it */
    "JSON",              /* a file format's name (--json), as in Chinese technical writing */
    "CSV",               /* the format of the files hourbank import reads, likewise */
    "CURVE",             /* the name of ZeroMQ's encryption scheme (keygen's summary) */
    "passbook",          /* a command word too */
    "zh_CN", "en",       /* passbook --lang's values: typed as they are */
    "default_operator",  /* a key of station.yaml, written as it is in the file */
    "yes",               /* what member leave's prompt asks to type, the same in every language */
    HB_H_DEFAULT_OPERATOR, /* the operator's name the harness configures: data, like a member's name */
    NULL,
};

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

/* Blanks what is typed or named exactly: options (--name, -c), paths and
 * endpoints (a word holding '/'), file names (a word with a '.' between
 * letters, or a file suffix such as .public after a translated name),
 * member numbers and codes such as QX03-000127-6. */
static void
blank_typed(char *text)
{
    for (char *p = text; *p;) {
        if ((unsigned char) *p <= ' ') {
            p++;
            continue;
        }
        size_t n = 0;  /* the word: up to a space or a full-width character */
        while (p[n] && (unsigned char) p[n] > ' ' && (unsigned char) p[n] < 0x80)
            n++;
        if (n == 0) {
            p++;
            continue;
        }
        size_t lead = strspn(p, "[(\"'");  /* [--json], "--at ..." */
        bool typed = (lead < n && p[lead] == '-') || memchr(p, '/', n) != NULL || p[0] == '.';
        for (size_t i = 1; i + 1 < n && !typed; i++)
            typed = p[i] == '.' && isalpha((unsigned char) p[i - 1]) && isalpha((unsigned char) p[i + 1]);
        char word[256];
        snprintf(word, sizeof word, "%.*s", (int) (n < sizeof word - 1 ? n : sizeof word - 1), p);
        if (!typed) {
            char *dash = strchr(word, '-');
            typed = dash && hb_memberno_code_valid((dash[0] = '\0', word));
        }
        if (typed)
            memset(p, ' ', n);
        p += n;
    }
}

/* Fails when text, with data[] (the test's own values) and the words above
 * taken out, still holds a run of two ASCII letters. */
#define REQUEST_ID_HEX 32

static void
no_english(const char *what, const char *text, const char *const *data)
{
    static char rest[OUT_BYTES + ERR_BYTES];
    snprintf(rest, sizeof rest, "%s", text);
    for (size_t i = 0; data && data[i]; i++)
        cut(rest, data[i]);
    blank_typed(rest);
    for (char *p = rest; *p; p++) {
        if (!isalpha((unsigned char) p[0]) || !isalpha((unsigned char) p[1]) ||
            (p > rest && isalnum((unsigned char) p[-1])))
            continue;
        size_t n = 0;
        while (isalnum((unsigned char) p[n]) || p[n] == '_')
            n++;
        /* a request id (32 hex digits, random): data, whatever letters it starts with */
        bool ok = n == REQUEST_ID_HEX && strspn(p, "0123456789abcdef") >= n;
        for (size_t k = 0; proper[k] && !ok; k++)
            ok = strlen(proper[k]) == n && strncmp(proper[k], p, n) == 0;
        if (!ok)
            fail_msg("%s: untranslated \"%.*s\" in \"...%.60s\" of:\n%s", what, (int) n, p,
                     p - rest > 30 ? p - 30 : rest, text);
        p += n - 1;
    }
}

/* Fails when text holds a non-ASCII byte once data[] is taken out: English. */
static void
all_english(const char *what, const char *text, const char *const *data)
{
    static char rest[OUT_BYTES + ERR_BYTES];
    snprintf(rest, sizeof rest, "%s", text);
    for (size_t i = 0; data && data[i]; i++)
        cut(rest, data[i]);
    cut(rest, "\xE2\x86\x92");  /* the summary's arrow */
    for (const char *p = rest; *p; p++)
        if ((unsigned char) *p >= 0x80)
            fail_msg("%s: not English at \"%.20s\" in:\n%s", what, p, text);
}

/* The test's values, for no_english and all_english. */
static const char *data[DATA_MAX];

static void
set_data(const char *legacy)
{
    size_t n = 0;
    static const char *const fixed[] = {NAME_VOL, NAME_ELD, NAME_YOUNG, "companionship", "personal-care",
                                        "meal-delivery", "visits and conversation", "bringing meals",
                                        "bathing and dressing", "Qingxi one", "Qingxi two", "Qinhuai three",
                                        "Qinhuai four", "Qingxi five", "Qingxi six", "Qinhuai seven",
                                        "Qinhuai eight", "Qingxi", "Qinhuai", "Gulou", "QX03", "QH01", "UTC",
                                        /* the programs' names, as typed */
                                        "hourbank-station", "hourbank-central", NULL};
    if (legacy && legacy[0])
        data[n++] = legacy;  /* a result stored without values: its English message, shown as it is */
    data[n++] = vol, data[n++] = eld, data[n++] = young, data[n++] = ghost, data[n++] = fresh;
    for (size_t i = 0; fixed[i] && n < DATA_MAX - 1; i++)
        data[n++] = fixed[i];
    data[n] = NULL;
}

/* ---- setup ---- */

static unsigned long long
seq_of_saved(void)
{
    /* "已保存为 1:N（待同步）" or "saved as 1:N (pending sync)" */
    const char *p = strstr(g_out, "1:");
    if (g_rc != 0 || !p)
        fail_msg("not saved: exit %d\n%s%s", g_rc, g_out, g_err);
    return strtoull(p + 2, NULL, 10);
}

static void
registered(const char *name, const char *role, char *out, size_t size)
{
    /* born 1936: the guarantee pays this elder's personal care */
    S("member", "add", "--name", name, "--role", role, "--birth-year", "1936");
    expect_ok();
    size_t n = strcspn(g_out, " ");
    assert_true(n < size);
    memcpy(out, g_out, n);
    out[n] = '\0';
    assert_int_equal(hb_memberno_parse(out, NULL, NULL), HB_RESULT_OK);
}

static int
setup(void **state)
{
    (void) state;
    setenv("TZ", "UTC", 1);
    snprintf(run_dir, sizeof run_dir, "%s", hb_h_tmpdir("hb_itest_cli_zh"));
    hb_h_central_init(&central, "hb_itest_cli_zh", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, 1, 0);
    hb_h_station_start(&station);
    snprintf(admin_yaml, sizeof admin_yaml, "%s", hb_h_admin_yaml(&central, run_dir));
    snprintf(ghost, sizeof ghost, "%s", hb_h_member("QX03", 4242));
    use_lang("zh_CN.UTF-8");
    registered(NAME_VOL, "volunteer", vol, sizeof vol);
    registered(NAME_ELD, "elder", eld, sizeof eld);
    registered(NAME_YOUNG, "elder", young, sizeof young);
    set_data(NULL);
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

static void
wait_drained(void)
{
    hb_h_client_t *cl = hb_h_station_client(&station);
    assert_true(hb_h_wait_drained(cl, SYNC_WAIT_S));
    hb_h_client_destroy(&cl);
}

/* stdout and stderr of the last run as one text. */
static const char *
both(void)
{
    static char text[OUT_BYTES + ERR_BYTES];
    snprintf(text, sizeof text, "%s%s", g_out, g_err);
    return text;
}

/* ---- help and the station's commands ---- */

static void
test_help_zh(void **state)
{
    (void) state;
    use_lang("zh_CN.UTF-8");
    X("--help");
    expect_ok();
    has(g_out, "用法：hourbank");
    has(g_out, "站点命令：");
    no_english("hourbank --help", g_out, data);
    const char *const commands[][2] = {{"record", NULL}, {"member", "add"}, {"queue", NULL}, {"balance", NULL},
                                       {"statement", NULL}, {"status", NULL}, {"member", "find"},
                                       {"passbook", NULL}};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (commands[i][1])
            X(commands[i][0], commands[i][1], "--help");
        else
            X(commands[i][0], "--help");
        expect_ok();
        has(g_out, "用法：hourbank ");
        no_english(commands[i][0], g_out, data);
    }
    X("record", "--provider");  /* a usage error */
    assert_int_equal(g_rc, EX_USAGE);
    no_english("usage error", g_err, data);
    use_lang("en_US.UTF-8");
    X("--help");
    expect_ok();
    has(g_out, "usage: hourbank [--station ENDPOINT");
    has(g_out, "station commands:");
    all_english("hourbank --help (en)", g_out, data);
}

/* register, record, balance, statement, member find: zh, then en. */
static void
test_station_commands(void **state)
{
    (void) state;
    static const char *const langs[] = {"zh_CN.UTF-8", "en_US.UTF-8"};
    for (size_t l = 0; l < 2; l++) {
        bool zh = l == 0;
        use_lang(langs[l]);
        char label[64];
        snprintf(label, sizeof label, zh ? "member add (zh)" : "member add (en)");
        S("member", "add", "--name", zh ? NAME_VOL : NAME_ELD, "--role", "both");
        expect_ok();
        snprintf(fresh, sizeof fresh, "%.*s", (int) strcspn(g_out, " "), g_out);
        has(g_out, zh ? " 已登记，保存为 1:" : " registered, saved as 1:");
        has(g_out, zh ? "（待同步）" : " (pending sync)");
        zh ? no_english(label, both(), data) : all_english(label, both(), data);
        S("record", "--provider", vol, "--recipient", eld, "--duration", "2h30m", "--category", "personal-care");
        seq_of_saved();
        has(g_out, zh ? "已保存为 1:" : "saved as 1:");
        zh ? no_english("record", both(), data) : all_english("record", both(), data);
        wait_drained();
        S("balance", vol);
        expect_ok();
        /* 150 minutes, and 300 after the second run */
        has(g_out, zh ? (l == 0 ? "2小时30分钟" : "5小时") : (l == 0 ? "2 h 30 min" : "5 h"));
        has(g_out, zh ? "已同步" : "synced");
        zh ? no_english("balance", both(), data) : all_english("balance", both(), data);
        S("statement", vol);
        expect_ok();
        has(g_out, zh ? "+2小时30分钟" : "+2 h 30 min");
        has(g_out, zh ? "服务" : "service");
        zh ? no_english("statement", both(), data) : all_english("statement", both(), data);
        S("passbook", vol, "--width", "48");
        assert_int_equal(g_rc, 0);  /* stderr may say the station did not give its name: in the language too */
        has(g_out, zh ? "时间银行存折" : "TIME BANK PASSBOOK");
        zh ? no_english("passbook", both(), data) : all_english("passbook", both(), data);
        S("member", "find", "王");
        expect_ok();
        has(g_out, eld);
        has(g_out, zh ? "老人" : "elder");
        zh ? no_english("member find", both(), data) : all_english("member find", both(), data);
    }
}

/* ---- results ---- */

/* The rejection of the op at seq as the station holds it. */
static Hourbank__Envelope *
queued_rejection(unsigned long long seq, const Hourbank__QueuedOp **op)
{
    hb_h_client_t *cl = hb_h_station_client(&station);
    Hourbank__Envelope *q = hb_h_queue(cl, true);
    hb_h_client_destroy(&cl);
    assert_non_null(q);
    *op = NULL;
    for (size_t i = 0; i < q->queue_reply->n_ops; i++)
        if (q->queue_reply->ops[i]->seq == seq)
            *op = q->queue_reply->ops[i];
    assert_non_null(*op);
    assert_int_equal((*op)->result, HOURBANK__RESULT__INSUFFICIENT_BALANCE);
    return q;
}

static void
test_rejection(void **state)
{
    (void) state;
    use_lang("zh_CN.UTF-8");
    /* companionship is paid by the recipient, who holds no hours */
    S("record", "--provider", vol, "--recipient", young, "--duration", "2h", "--category", "companionship");
    rejected_seq = seq_of_saved();
    wait_drained();
    const Hourbank__QueuedOp *op = NULL;
    Hourbank__Envelope *q = queued_rejection(rejected_seq, &op);
    bool values = op->n_params > 0;
    assert_true(values);  /* central sends values, the station keeps them: no English prose to show */
    set_data(NULL);
    static const char *const views[][2] = {{"queue", "--rejected"}, {"queue", NULL}, {"status", NULL}};
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++) {
        if (views[i][1])
            S(views[i][0], views[i][1]);
        else
            S(views[i][0]);
        expect_ok();
        no_english(views[i][0], both(), data);
    }
    S("queue", "--rejected");
    has(g_out, "已拒绝");
    has(g_out, "（代码 12）");
    if (values) {  /* central and station that send the values: the sentence shows them */
        char named[128];
        snprintf(named, sizeof named, NAME_YOUNG "（%s）", young);
        has(g_out, named);  /* the recipient's name, from the station, with the number */
        has(g_out, "2小时");
        has(g_out, "服务对象");
    } else {  /* an older central: its stored message, as it is, with the code */
        has(g_out, op->message);
    }
    char ref[32];
    snprintf(ref, sizeof ref, "1:%llu", rejected_seq);
    S("queue", "show", ref);
    expect_ok();
    has(g_out, "已拒绝");
    no_english("queue show", both(), data);
    use_lang("en_US.UTF-8");
    S("queue", "--rejected");
    expect_ok();
    has(g_out, "rejected");
    has(g_out, "(INSUFFICIENT_BALANCE)");
    if (values) {
        has(g_out, "2 h");
        has(g_out, young);
    }
    all_english("queue --rejected (en)", both(), data);
    hb_wire_free(&q);
    set_data(NULL);
}

/* A save the station refuses: the ErrorReply rendered in the error line. */
static void
test_refused_save(void **state)
{
    (void) state;
    /* what the station answers, to know whether it sends values */
    Hourbank__ServiceRecord rec;
    hourbank__service_record__init(&rec);
    rec.provider = vol, rec.recipient = ghost, rec.minutes = 60, rec.category = (char *) "companionship";
    Hourbank__Op op;
    hourbank__op__init(&op);
    op.occurred_at = (int64_t) time(NULL);
    op.kind_case = HOURBANK__OP__KIND_SERVICE;
    op.service = &rec;
    Hourbank__SaveRequest save;
    hourbank__save_request__init(&save);
    save.op = &op;
    Hourbank__Envelope req;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_SAVE;
    req.save = &save;
    hb_h_client_t *cl = hb_h_station_client(&station);
    Hourbank__Envelope *reply = hb_h_client_call(cl, &req, REPLY_WAIT_MS);
    hb_h_client_destroy(&cl);
    assert_non_null(reply);
    assert_int_equal(reply->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    assert_int_equal(reply->error->code, HOURBANK__RESULT__UNKNOWN_MEMBER);
    bool values = reply->error->n_params > 0;
    assert_true(values);  /* the station's own refusals are values too */
    set_data(NULL);

    use_lang("zh_CN.UTF-8");
    S("record", "--provider", vol, "--recipient", ghost, "--duration", "1h", "--category", "companionship");
    assert_int_equal(g_rc, EX_NOINPUT);
    has(g_err, "hourbank: 记录没有保存：");
    has(g_err, "（代码 8）");
    has(g_err, ghost);
    if (values)
        has(g_err, "服务对象");
    no_english("refused save", g_err, data);
    use_lang("en_US.UTF-8");
    S("record", "--provider", vol, "--recipient", ghost, "--duration", "1h", "--category", "companionship");
    assert_int_equal(g_rc, EX_NOINPUT);
    has(g_err, "hourbank: the record was not saved: ");
    has(g_err, "(UNKNOWN_MEMBER)\n");
    all_english("refused save (en)", g_err, data);
    hb_wire_free(&reply);
    set_data(NULL);
}

/* ---- admin ---- */

static void
test_stations(void **state)
{
    (void) state;
    use_lang("zh_CN.UTF-8");
    A("stations");
    expect_ok();
    has(g_out, "最后联系");
    has(g_out, "在用");
    no_english("stations", both(), data);
    use_lang("en_US.UTF-8");
    A("stations");
    expect_ok();
    has(g_out, "LAST CONTACT");
    has(g_out, "active");
    all_english("stations (en)", both(), data);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_zh),
        cmocka_unit_test(test_station_commands),
        cmocka_unit_test(test_rejection),
        cmocka_unit_test(test_refused_save),
        cmocka_unit_test(test_stations),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
