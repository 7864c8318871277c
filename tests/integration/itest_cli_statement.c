/* `hourbank statement` (issue 14) as operators run it: the real CLI
 * against a real hourbank-station and hourbank-central on PostgreSQL.
 *
 *  - care the guarantee paid is on the elder's (recipient's) statement
 *    with 0 moved and "paid by the guarantee", and on the provider's; a
 *    void names the op it reverses; names and notes are shown;
 *  - paging: 1,200 entries (services, and gifts out) posted as raw
 *    batches (station 2's key); the
 *    newest page says the exact --before to use, and following it (text
 *    and JSON) reaches entry 1, every entry once, in posting order;
 *  - periods: for random periods (days, and minutes around a minute the
 *    posts straddle) opening + entries = closing, in - out = Σ entries,
 *    the count is the period's, and closing (opening) equals the member's
 *    balance as of the period's end (start) computed from the ledger's
 *    transfers in SQL.
 * Old main (eedcf02) fails every test here: its statement has no --until,
 * --before, --limit or totals, and its JSON no "next_before". */
#include "hb_itest.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "hb_memberno.h"

#define OUT_BYTES (1024 * 1024)
#define ERR_BYTES 8192
#define WORDS_MAX 32
#define SYNC_WAIT_S 30
#define ACK_WAIT_MS 30000
/* The paging test's member: 1,200 services posted in batches. */
#define MANY 1200
#define PER_BATCH 200
#define SERVICE_MIN 10
/* Every GIFT_EVERY-th op (by seq) is a gift of GIFT_MIN to the elder, a family member. */
#define GIFT_EVERY 7
#define GIFT_MIN 5
/* Days the 1,200 services are spread over (the provider's daily limit is 12 h). */
#define SPREAD_DAYS 25
#define PERIODS 10
#define SECONDS_PER_DAY 86400
#define SECONDS_PER_MINUTE 60

static hb_h_central_t central;
static hb_h_station_t station;
static char run_dir[512];
static char vol[32], eld[32];
static PGconn *pg;

static int g_rc;
static char g_out[OUT_BYTES], g_err[ERR_BYTES];

static void
run_hourbank(const char *const *words)
{
    char bin[600];
    const char *argv[WORDS_MAX + 1];
    int argc = 0;
    argv[argc++] = hb_h_bin("hourbank", bin, sizeof bin);
    for (; *words && argc < WORDS_MAX - 2; words++)
        argv[argc++] = *words;
    argv[argc++] = "-c";
    argv[argc++] = station.conf;
    argv[argc] = NULL;
    g_rc = hb_h_run_capture(argv, run_dir, g_out, sizeof g_out, g_err, sizeof g_err);
}

#define S(...) run_hourbank((const char *const[]){__VA_ARGS__, NULL})

static void
expect_ok(void)
{
    if (g_rc != 0)
        fail_msg("exit %d\nstdout: %s\nstderr: %s", g_rc, g_out, g_err);
    assert_string_equal(g_err, "");
}

static void
out_has(const char *needle)
{
    if (!strstr(g_out, needle))
        fail_msg("stdout lacks \"%s\":\n%s", needle, g_out);
}

/* The integer after "key": in doc (first occurrence at or after from). */
static long long
json_int_at(const char *doc, const char *key, const char **after)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(doc, pat);
    if (!p)
        fail_msg("no \"%s\" in:\n%s", key, doc);
    if (after)
        *after = p + strlen(pat);
    return strtoll(p + strlen(pat), NULL, 10);
}

static long long
json_int(const char *doc, const char *key)
{
    return json_int_at(doc, key, NULL);
}

/* The line of out that holds needle, into buf. */
static const char *
line_with(const char *out, const char *needle, char *buf, size_t size)
{
    const char *p = strstr(out, needle);
    if (!p)
        fail_msg("no line with \"%s\" in:\n%s", needle, out);
    if (*p == '\n')  /* a needle that starts a line */
        p++;
    while (p > out && p[-1] != '\n')
        p--;
    size_t n = strcspn(p, "\n");
    assert_true(n < size);
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

/* ---- setup ---- */

static int
setup(void **state)
{
    (void) state;
    setenv("TZ", "UTC", 1);
    setenv("LANG", "en_US.UTF-8", 1);
    unsetenv("LANGUAGE");
    unsetenv("LC_ALL");
    snprintf(run_dir, sizeof run_dir, "%s", hb_h_tmpdir("hb_itest_cli_statement"));
    hb_h_central_init(&central, "hb_itest_cli_stmt", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, 1, 0);
    hb_h_station_start(&station);
    pg = hb_h_pg(central.conninfo);
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    if (pg)
        PQfinish(pg);
    if (station.pid)
        hb_h_station_stop(&station, SIGTERM);
    if (central.pid)
        hb_h_central_stop(&central, SIGTERM);
    return 0;
}

/* "QX03-... registered, saved as 1:N ..." -> the number. */
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

/* "saved as 1:N (pending sync)" -> N. */
static unsigned long long
saved_seq(void)
{
    expect_ok();
    unsigned long long seq = 0;
    if (sscanf(g_out, "saved as 1:%llu", &seq) != 1)
        fail_msg("unexpected output: %s", g_out);
    return seq;
}

static void
wait_drained(void)
{
    hb_h_client_t *cl = hb_h_station_client(&station);
    assert_true(hb_h_wait_drained(cl, SYNC_WAIT_S));
    hb_h_client_destroy(&cl);
}

/* ---- care the guarantee paid ---- */

static void
test_guarantee_paid(void **state)
{
    (void) state;
    S("member", "add", "--name", "Zhang Wei", "--role", "volunteer", "--birth-year", "1961");
    registered(vol, sizeof vol);
    S("member", "add", "--name", "Wang Xiuying", "--role", "elder", "--birth-year", "1936", "--family", vol);
    registered(eld, sizeof eld);
    /* the elder is over 80: the guarantee pays personal care in GULOU */
    S("record", "--provider", vol, "--recipient", eld, "--duration", "1h30m", "--category", "personal-care", "--note",
      "bath and breakfast");
    unsigned long long care = saved_seq();
    S("record", "--provider", vol, "--recipient", eld, "--duration", "45m", "--category", "personal-care");
    unsigned long long twice = saved_seq();
    char ref[32], want[512], line[4096];
    snprintf(ref, sizeof ref, "1:%llu", twice);
    S("void", ref, "--reason", "entered twice");
    saved_seq();
    S("gift", "--from", vol, "--to", eld, "--duration", "30m", "--reason", "for my mother");
    saved_seq();
    wait_drained();

    /* the elder's statement: the care received, 0 moved, paid by the guarantee */
    S("statement", eld, "--json");
    expect_ok();
    snprintf(want, sizeof want, "\"member_no\": \"%s\",\n  \"member_name\": \"Wang Xiuying\",", eld);
    out_has(want);
    assert_int_equal(json_int(g_out, "entries_total"), 4);
    assert_int_equal(json_int(g_out, "opening_minutes"), 0);
    assert_int_equal(json_int(g_out, "in_minutes"), 30);
    assert_int_equal(json_int(g_out, "out_minutes"), 0);
    assert_int_equal(json_int(g_out, "closing_minutes"), 30);
    snprintf(want, sizeof want, "\"kind\": \"service\",\n      \"role\": \"recipient\",\n"
                                "      \"category\": \"personal-care\",\n      \"counterparty\": \"%s\",\n"
                                "      \"counterparty_name\": \"Zhang Wei\",\n      \"paid_by\": \"guarantee\",\n"
                                "      \"minutes\": 0,\n      \"balance_after\": 0,\n"
                                "      \"note\": \"bath and breakfast\",\n", vol);
    out_has(want);
    snprintf(want, sizeof want, "\"voids\": \"%s\"", ref);
    out_has(want);
    out_has("\"note\": \"for my mother\"");
    out_has("\"more\": false,\n  \"next_before\": null\n}\n");
    S("statement", eld);
    expect_ok();
    snprintf(want, sizeof want, "statement of %s Wang Xiuying\n", eld);
    assert_true(strncmp(g_out, want, strlen(want)) == 0);
    line_with(g_out, "closing balance", line, sizeof line);
    assert_non_null(strstr(line, "  30 min"));
    line_with(g_out, "\nentries ", line, sizeof line);
    assert_int_equal(atoi(line + strlen("entries")), 4);
    line_with(g_out, "bath and breakfast", line, sizeof line);
    if (!strstr(line, "the guarantee") || !strstr(line, " 0 min ") || !strstr(line, "recipient") ||
        !strstr(line, "Zhang Wei") || !strstr(line, vol))
        fail_msg("the guarantee-paid care is not shown as such: %s", line);
    snprintf(want, sizeof want, "reverses %s: entered twice", ref);
    out_has(want);
    assert_null(strstr(g_out, "older entries"));

    /* the provider's: earned from it, and who paid */
    S("statement", vol, "--json");
    expect_ok();
    assert_int_equal(json_int(g_out, "entries_total"), 4);
    assert_int_equal(json_int(g_out, "closing_minutes"), 90 + 45 - 45 - 30);
    assert_int_equal(json_int(g_out, "in_minutes"), 90 + 45);
    assert_int_equal(json_int(g_out, "out_minutes"), 45 + 30);
    out_has("\"role\": \"provider\"");
    out_has("\"paid_by\": \"guarantee\",\n      \"minutes\": 90,\n      \"balance_after\": 90,\n");
    snprintf(want, sizeof want, "\"op_ref\": \"1:%llu\"", care);
    out_has(want);
    S("statement", vol);
    expect_ok();
    line_with(g_out, "bath and breakfast", line, sizeof line);
    if (!strstr(line, "the guarantee") || !strstr(line, "+1 h 30 min") || !strstr(line, "provider"))
        fail_msg("the provider's line: %s", line);
}

/* ---- 1,200 entries ---- */

static const char *provider_no, *elder_no;
static char provider_buf[32], elder_buf[32];
static int64_t boundary;     /* a minute the posts straddle: some before it, some after */
static int64_t first_posted; /* when the first of them was sent */

static void
send_ok(hb_h_client_t *cl, hb_h_batch_t *b, size_t n)
{
    Hourbank__Envelope *ack = hb_h_client_call(cl, hb_h_batch_envelope(b), ACK_WAIT_MS);
    assert_non_null(ack);
    assert_int_equal(ack->body_case, HOURBANK__ENVELOPE__BODY_BATCH_ACK);
    assert_int_equal(ack->batch_ack->batch_result, HOURBANK__RESULT__OK);
    assert_int_equal(ack->batch_ack->n_results, n);
    for (size_t i = 0; i < n; i++)
        if (ack->batch_ack->results[i]->result != HOURBANK__RESULT__OK)
            fail_msg("seq %llu refused: %s", (unsigned long long) ack->batch_ack->results[i]->seq,
                     itest_values(ack->batch_ack->results[i]));
    hb_wire_free(&ack);
}

/* Posts services seq first..first+n-1 of the provider to the elder. */
static void
post_services(hb_h_client_t *cl, uint64_t first, int n, int64_t now)
{
    for (int done = 0; done < n; done += PER_BATCH) {
        hb_h_batch_t *b = hb_h_batch_new();
        int k = n - done < PER_BATCH ? n - done : PER_BATCH;
        for (int i = 0; i < k; i++) {
            uint64_t seq = first + (uint64_t) (done + i);
            int64_t at = now - (int64_t) (seq % SPREAD_DAYS + 1) * SECONDS_PER_DAY;
            if (seq % GIFT_EVERY == 0)  /* hours out too: a gift to the family */
                hb_h_batch_gift(b, seq, at, provider_no, elder_no, GIFT_MIN);
            else
                hb_h_batch_service(b, seq, at, provider_no, elder_no, SERVICE_MIN, "personal-care");
        }
        send_ok(cl, b, (size_t) k);
        hb_h_batch_free(&b);
    }
}

static void
post_many(void)
{
    if (provider_no)
        return;
    snprintf(provider_buf, sizeof provider_buf, "%s", hb_h_member("QX03", 500001));
    snprintf(elder_buf, sizeof elder_buf, "%s", hb_h_member("QX03", 500002));
    provider_no = provider_buf, elder_no = elder_buf;
    hb_h_client_t *cl = hb_h_central_client(&central, 2);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, provider_no, "Chen Jing", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_register(b, 2, elder_no, "Liu Fang", HOURBANK__ROLE__ELDER, 1930, provider_no);
    send_ok(cl, b, 2);
    hb_h_batch_free(&b);
    int64_t now = (int64_t) time(NULL);
    first_posted = now;
    post_services(cl, 3, MANY / 2, now);
    /* the rest after the next minute begins: periods can split the posts */
    now = (int64_t) time(NULL);
    boundary = (now / SECONDS_PER_MINUTE + 1) * SECONDS_PER_MINUTE;
    while ((int64_t) time(NULL) < boundary + 1)
        usleep(200 * 1000);
    post_services(cl, 3 + MANY / 2, MANY - MANY / 2, (int64_t) time(NULL));
    hb_h_client_destroy(&cl);
}

/* The "--before N" the text statement says to use; 0 when it says none. */
static unsigned long long
next_before_text(void)
{
    const char *p = strstr(g_out, "older entries not shown; to see them: hourbank statement ");
    if (!p)
        return 0;
    const char *b = strstr(p, " --before ");
    assert_non_null(b);
    return strtoull(b + strlen(" --before "), NULL, 10);
}

static void
test_paging_1200(void **state)
{
    (void) state;
    post_many();
    char sql[512], before[32], want[256];

    snprintf(sql, sizeof sql, "SELECT min(t.id) FROM transfer t JOIN member m ON m.account_id IN "
                              "(t.credit_account, t.debit_account) WHERE m.member_no = '%s'", provider_no);
    long long oldest = hb_h_pg_int(pg, sql);
    /* text: newest page first, each saying the exact command for the next */
    S("statement", provider_no, "--limit", "200");
    expect_ok();
    char line[4096];
    line_with(g_out, "\nentries ", line, sizeof line);
    assert_int_equal(atoi(line + strlen("entries")), MANY);
    int pages = 1;
    unsigned long long next = next_before_text(), last = 0;
    snprintf(want, sizeof want, "to see them: hourbank statement %s --limit 200 --before %llu\n", provider_no, next);
    out_has(want);
    while (next) {
        assert_true(last == 0 || next < last);
        last = next;
        snprintf(before, sizeof before, "%llu", next);
        S("statement", provider_no, "--limit", "200", "--before", before);
        expect_ok();
        pages++;
        assert_true(pages <= MANY / 200);
        next = next_before_text();
    }
    assert_int_equal(pages, MANY / 200);
    out_has("no older entries in the period\n");
    /* the oldest page's first row is entry 1: the first service, 2:3 */
    const char *row = strstr(g_out, "POS");
    assert_non_null(row);
    row = strchr(row, '\n') + 1;
    assert_int_equal(strtoll(row, NULL, 10), oldest);
    assert_non_null(strstr(row, "2:3 "));

    /* JSON, the default page of 50: every entry once, in posting order */
    static unsigned long long seen[MANY];
    size_t n = 0;
    unsigned long long cursor = 0;
    for (int page = 0; page <= MANY / 50; page++) {
        snprintf(before, sizeof before, "%llu", cursor);
        if (cursor)
            S("statement", provider_no, "--json", "--before", before);
        else
            S("statement", provider_no, "--json");
        expect_ok();
        size_t start = n;
        const char *p = g_out;
        while ((p = strstr(p, "\"transfer_id\": ")) != NULL) {
            p += strlen("\"transfer_id\": ");
            assert_true(n < MANY);
            seen[n++] = strtoull(p, NULL, 10);
        }
        for (size_t i = start + 1; i < n; i++)
            assert_true(seen[i] > seen[i - 1]);  /* oldest first within a page */
        if (start > 0)
            assert_true(seen[n - 1] < seen[0] || seen[n - 1] < seen[start - 1]);
        if (strstr(g_out, "\"more\": false")) {
            assert_non_null(strstr(g_out, "\"next_before\": null"));
            break;
        }
        cursor = (unsigned long long) json_int(g_out, "next_before");
        assert_int_equal(cursor, seen[start]);
    }
    assert_int_equal(n, MANY);
    assert_int_equal(seen[n - 50], oldest);  /* the last page begins with entry 1 */
}

/* ---- periods ---- */

/* The member's balance from the ledger's transfers posted before t (0 = all). */
static long long
sql_balance_before(const char *member_no, int64_t t)
{
    char sql[1024], cond[128] = "";
    if (t)
        snprintf(cond, sizeof cond, " AND t.posted_at < to_timestamp(%lld)", (long long) t);
    snprintf(sql, sizeof sql,
             "SELECT coalesce(sum(CASE WHEN t.credit_account = m.account_id THEN t.minutes ELSE -t.minutes END), 0)"
             " FROM transfer t JOIN member m ON m.account_id IN (t.credit_account, t.debit_account)"
             " WHERE m.member_no = '%s'%s", member_no, cond);
    return hb_h_pg_int(pg, sql);
}

static long long
sql_count(const char *member_no, int64_t from, int64_t until)
{
    char sql[1024], cond[128] = "";
    if (until)
        snprintf(cond, sizeof cond, " AND t.posted_at < to_timestamp(%lld)", (long long) until);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM transfer t JOIN member m ON m.account_id IN (t.credit_account, t.debit_account)"
             " WHERE m.member_no = '%s' AND t.posted_at >= to_timestamp(%lld)%s", member_no, (long long) from, cond);
    return hb_h_pg_int(pg, sql);
}

/* A moment as the CLI reads it: "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" (UTC). */
static void
moment_text(char *buf, size_t size, int64_t t, bool day)
{
    time_t tt = (time_t) t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, size, day ? "%Y-%m-%d" : "%Y-%m-%d %H:%M", &tm);
}

typedef struct {
    int64_t t;     /* the instant the text means as a start (a day: its 00:00) */
    bool day;
} moment_t;

typedef struct {
    unsigned long long pos;
    long long minutes, balance;
} row_t;

static int
by_pos(const void *a, const void *b)
{
    const row_t *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The entries of the JSON page in g_out appended to rows; returns the
 * page's first (oldest) position. */
static unsigned long long
page_rows(row_t *rows, size_t *n)
{
    unsigned long long first = 0;
    const char *p = g_out, *after = NULL;
    while ((p = strstr(p, "\"transfer_id\": ")) != NULL) {
        assert_true(*n < MANY);
        row_t *r = &rows[(*n)++];
        r->pos = strtoull(p + strlen("\"transfer_id\": "), NULL, 10);
        r->minutes = json_int_at(p, "minutes", &after);
        r->balance = json_int_at(after, "balance_after", &after);
        if (!first)
            first = r->pos;
        p = after;
    }
    return first;
}

/* One period, every page of it through the CLI: the sums and the running
 * balance hold and agree with the ledger. */
static void
check_period(const moment_t *from, const moment_t *until)
{
    char from_text[32] = "", until_text[32] = "", before[32];
    if (from)
        moment_text(from_text, sizeof from_text, from->t, from->day);
    if (until)
        moment_text(until_text, sizeof until_text, until->t, until->day);
    int64_t from_t = from ? from->t : 0;
    int64_t until_t = until ? (until->day ? until->t + SECONDS_PER_DAY : until->t) : 0;
    long long opening = 0, closing = 0, in = 0, out = 0, total = 0;
    static row_t rows[MANY];
    size_t n = 0;
    unsigned long long cursor = 0;
    for (int page = 0;; page++) {
        assert_true(page <= MANY / 200 + 1);
        const char *words[16];
        int w = 0;
        words[w++] = "statement", words[w++] = provider_no, words[w++] = "--json", words[w++] = "--limit";
        words[w++] = "200";
        if (from)
            words[w++] = "--from", words[w++] = from_text;
        if (until)
            words[w++] = "--until", words[w++] = until_text;
        snprintf(before, sizeof before, "%llu", cursor);
        if (cursor)
            words[w++] = "--before", words[w++] = before;
        words[w] = NULL;
        run_hourbank(words);
        expect_ok();
        if (page == 0) {
            opening = json_int(g_out, "opening_minutes"), closing = json_int(g_out, "closing_minutes");
            in = json_int(g_out, "in_minutes"), out = json_int(g_out, "out_minutes");
            total = json_int(g_out, "entries_total");
        }
        unsigned long long first = page_rows(rows, &n);
        if (strstr(g_out, "\"more\": false"))
            break;
        cursor = (unsigned long long) json_int(g_out, "next_before");
        assert_int_equal(cursor, first);  /* the next page is what comes before this one */
    }
    print_message("period [%s, %s): opening %lld + in %lld - out %lld = closing %lld, %lld entries\n",
                  from ? from_text : "-", until ? until_text : "-", opening, in, out, closing, total);
    /* opening + every entry, in posting order = closing; each balance_after on the way */
    qsort(rows, n, sizeof rows[0], by_pos);
    long long running = opening, sum = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(i == 0 || rows[i].pos > rows[i - 1].pos);  /* every entry once */
        running += rows[i].minutes;
        sum += rows[i].minutes;
        assert_int_equal(rows[i].balance, running);
    }
    assert_int_equal(running, closing);
    assert_int_equal(opening + in - out, closing);
    assert_int_equal(in - out, sum);
    assert_int_equal((long long) n, total);
    assert_int_equal(total, sql_count(provider_no, from_t, until_t));
    assert_int_equal(opening, from ? sql_balance_before(provider_no, from_t) : 0);
    assert_int_equal(closing, sql_balance_before(provider_no, until_t));
}

static void
test_random_periods(void **state)
{
    (void) state;
    post_many();
    unsigned seed = (unsigned) time(NULL);
    srand(seed);
    print_message("seed %u\n", seed);
    int64_t today = first_posted / SECONDS_PER_DAY * SECONDS_PER_DAY;
    /* candidates: days around today, and the minutes around the boundary */
    const moment_t m[] = {
        {today - SECONDS_PER_DAY, true}, {today, true},  {today + SECONDS_PER_DAY, true},
        {boundary - SECONDS_PER_MINUTE, false}, {boundary, false}, {boundary + SECONDS_PER_MINUTE, false},
    };
    const size_t n = sizeof m / sizeof m[0];
    check_period(NULL, NULL);
    check_period(&m[4], NULL);  /* from the boundary: the second half */
    check_period(NULL, &m[4]);  /* up to the boundary: the first half */
    for (int i = 0; i < PERIODS; i++) {
        const moment_t *from = rand() % 4 ? &m[(size_t) rand() % n] : NULL;
        const moment_t *until = rand() % 4 ? &m[(size_t) rand() % n] : NULL;
        int64_t ft = from ? from->t : 0, ut = until ? (until->day ? until->t + SECONDS_PER_DAY : until->t) : 0;
        if (from && until && ut <= ft)
            continue;
        check_period(from, until);
    }
    /* the period up to now closes at the member's balance */
    S("statement", provider_no, "--json");
    expect_ok();
    long long gifts = 0;
    for (uint64_t seq = 3; seq < 3 + MANY; seq++)
        gifts += seq % GIFT_EVERY == 0;
    assert_int_equal(json_int(g_out, "closing_minutes"), (MANY - gifts) * SERVICE_MIN - gifts * GIFT_MIN);
    assert_int_equal(json_int(g_out, "out_minutes"), gifts * GIFT_MIN);
    /* an --until before --from is refused before anything is asked */
    S("statement", provider_no, "--from", "2026-12-02", "--until", "2026-12-01");
    assert_int_equal(g_rc, EX_DATAERR);
    assert_string_equal(g_err, "hourbank: --until 2026-12-01 is before --from 2026-12-02: the period holds no time\n");
    S("statement", provider_no, "--limit", "201");
    assert_int_equal(g_rc, EX_DATAERR);
    assert_string_equal(g_err, "hourbank: --limit \"201\" is out of range: a page holds 1 to 200 entries\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guarantee_paid),
        cmocka_unit_test(test_paging_1200),
        cmocka_unit_test(test_random_periods),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
