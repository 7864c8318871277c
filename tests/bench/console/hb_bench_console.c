/* hb_bench_console - how fast the station console answers its pages with
 * 20,000 members in the station's directory (issue 16: every page but the
 * sign-in POST in under 50 ms at p99).
 *
 * Setup, all real: a central on a fresh database, station 1, and M members
 * (default 20,000) registered the way a pilot's records come in, `hourbank
 * import members` (one outbox transaction at the station, then sent to
 * central, accepted, and back in the station's directory by the directory
 * sync: the outbox keeps the registrations, as at a station that imported
 * its members), half with Chinese names and half with Latin ones; a few
 * services between two of them for the passbook; an operator with a PIN;
 * hourbank-console on a free loopback port; one signed-in session.
 *
 * Then each page is asked W times unmeasured (warm-up) and N times timed,
 * one after another on one keep-alive connection, as one operator's
 * browser would: the time from the request's first byte sent to the
 * answer's last byte read. Each answer must be 200 and hold its page's
 * mark (an id of the contract in the brief), or the page fails. Printed:
 * p50, p99 and max per page; JSON with -o. Exit 1 when a page fails or
 * any p99 is 50 ms or more (-l), 2 on a setup failure.
 *
 * Run it through ./tests/bench/run --console (which builds in Release and
 * starts the PostgreSQL it needs). */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "bench_http.h"
#include "hb_harness.h"
#include "hb_wire.h"

#define MEMBERS_DEFAULT 20000
#define REQUESTS_DEFAULT 300
#define WARMUP_DEFAULT 5
#define LIMIT_MS_DEFAULT 50.0
#define SERVICES 12              /* accepted, between members 1 and 2, for the passbook */
#define REFUSED 3                /* refused by central, for the queue's refused list */
#define PIN "20261207"
#define OPERATOR "bench"
#define PATH_BYTES 1024
#define FIELD_BYTES 256
#define TEXT_BYTES 16384
#define SYNC_WAIT_S 600          /* import, acks and directory: generous on a busy machine */
#define CONSOLE_WAIT_TRIES 100
#define CONSOLE_WAIT_US (50 * 1000)
#define PASSBOOK_DAYS 30
#define SECONDS_PER_DAY 86400
#define SECONDS_PER_HOUR 3600

typedef struct {
    int members, requests, warmup;
    double limit_ms;
    const char *json_path;
} opts_t;

/* One page of the contract: how to ask for it and what proves the answer
 * is that page. path and body are filled in at run time. */
typedef struct {
    const char *name;
    char path[PATH_BYTES];
    char body[PATH_BYTES];       /* "" = GET */
    const char *mark;
    double *ms;                  /* requests timings */
    double p50, p99, max;
    int status;                  /* of the last answer */
    bool failed;                 /* an answer was not 200 or not the page: problem says */
    char problem[FIELD_BYTES];
} page_t;

static hb_h_central_t central;
static hb_h_station_t station;
static pid_t console_pid;

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static void setup_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
setup_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "hb_bench_console: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    if (console_pid > 0)
        hb_h_stop(console_pid, SIGTERM);
    exit(2);
}

/* ---- members ---- */

static const char *const zh_surnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴",
                                          "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"};
static const char *const zh_given[] = {"秀英", "桂英", "秀兰", "玉兰", "建华", "建国", "志强", "淑珍", "丽华",
                                       "明", "伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇",
                                       "艳", "杰", "娟", "涛", "秀珍"};
static const char *const latin_surnames[] = {"Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang",
                                             "Zhou", "Wu", "Xu", "Sun", "Hu", "Zhu", "Gao", "Lin", "He", "Guo",
                                             "Ma", "Luo"};
static const char *const latin_given[] = {"Xiuying", "Guiying", "Xiulan", "Yulan", "Jianhua", "Jianguo",
                                          "Zhiqiang", "Shuzhen", "Lihua", "Ming", "Wei", "Fang", "Min", "Jing",
                                          "Li", "Qiang", "Lei", "Jun", "Yang", "Yong", "Yan", "Jie", "Juan",
                                          "Tao", "Xiuzhen"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* members.csv: ref,name,role,birth_year; even refs Chinese, odd Latin. */
static void
write_members_csv(const char *path, int members)
{
    FILE *f = fopen(path, "w");
    if (!f)
        setup_fail("cannot write %s", path);
    fprintf(f, "ref,name,role,birth_year\n");
    for (int i = 0; i < members; i++) {
        int k = i / 2;
        const char *role = i % 3 == 0 ? "volunteer" : i % 3 == 1 ? "elder" : "both";
        if (i % 2 == 0)
            fprintf(f, "R%d,%s%s,%s,%d\n", i + 1, zh_surnames[k % COUNT(zh_surnames)],
                    zh_given[(k / COUNT(zh_surnames)) % COUNT(zh_given)], role, 1930 + k % 60);
        else
            fprintf(f, "R%d,%s %s,%s,%d\n", i + 1, latin_surnames[k % COUNT(latin_surnames)],
                    latin_given[(k / COUNT(latin_surnames)) % COUNT(latin_given)], role, 1930 + k % 60);
    }
    fclose(f);
}

/* The member number of ref in the cards file the import wrote. */
static void
card_number(const char *cards, const char *ref, char out[FIELD_BYTES])
{
    FILE *f = fopen(cards, "r");
    if (!f)
        setup_fail("no cards file %s", cards);
    char line[TEXT_BYTES];
    size_t n = strlen(ref);
    out[0] = '\0';
    while (fgets(line, sizeof line, f))
        if (strncmp(line, ref, n) == 0 && line[n] == ',')
            snprintf(out, FIELD_BYTES, "%.*s", (int) strcspn(line + n + 1, ","), line + n + 1);
    fclose(f);
    if (!out[0])
        setup_fail("ref %s is not in the cards file", ref);
}

static int
run_cli(char *out, char *err, const char *const *args)
{
    char bin[PATH_BYTES];
    const char *argv[16] = {hb_h_bin("hourbank", bin, sizeof bin)};
    size_t n = 1;
    for (; args[n - 1] && n < 13; n++)
        argv[n] = args[n - 1];
    argv[n++] = "-c";
    argv[n++] = station.conf;
    argv[n] = NULL;
    return hb_h_run_capture(argv, station.dir, out, TEXT_BYTES, err, TEXT_BYTES);
}

/* Imports the members; returns the seconds it took until the station's
 * directory holds them all. */
static double
import_members(int members, char a[FIELD_BYTES], char b[FIELD_BYTES], char c[FIELD_BYTES])
{
    char csv[PATH_BYTES], cards[PATH_BYTES], out[TEXT_BYTES], err[TEXT_BYTES];
    snprintf(csv, sizeof csv, "%s/members.csv", station.dir);
    snprintf(cards, sizeof cards, "%s/cards.csv", station.dir);
    write_members_csv(csv, members);
    double start = now_ms();
    const char *args[] = {"import", "members", csv, "--confirm-new", "--out", cards, NULL};
    if (run_cli(out, err, args) != 0)
        setup_fail("hourbank import members failed: %s", err);
    card_number(cards, "R1", a);
    card_number(cards, "R2", b);
    card_number(cards, "R3", c);
    char sql[PATH_BYTES];
    snprintf(sql, sizeof sql, "SELECT count(*) >= %d FROM members", members);
    for (int i = 0; i < SYNC_WAIT_S * 10; i++) {
        if (hb_h_sqlite_int(station.outbox, sql) == 1 &&
            hb_h_sqlite_int(station.outbox, "SELECT count(*) FROM ops WHERE result IS NULL") == 0)
            return (now_ms() - start) / 1e3;
        usleep(100 * 1000);
    }
    setup_fail("%s", "the station's directory did not reach every member in time");
}

/* Saves a service from provider to recipient an hour apart from the
 * others (i-th of n), through the station's local API. */
static void
save_service(hb_h_client_t *cl, const char *provider, const char *recipient, int i, int n)
{
    Hourbank__ServiceRecord rec;
    hourbank__service_record__init(&rec);
    rec.provider = (char *) (uintptr_t) provider;
    rec.recipient = (char *) (uintptr_t) recipient;
    rec.minutes = 30 + 15 * (i % 4);
    rec.category = (char *) "companionship";
    Hourbank__Op op;
    hourbank__op__init(&op);
    op.occurred_at = (int64_t) time(NULL) - (n - i) * SECONDS_PER_HOUR;
    op.kind_case = HOURBANK__OP__KIND_SERVICE;
    op.service = &rec;
    int code = 0;
    char msg[FIELD_BYTES];
    if (hb_h_save(cl, &op, &code, NULL, msg, sizeof msg) == 0)
        setup_fail("a service was refused at the station: %s", msg);
}

/* What the member, queue and passbook pages show: b gets an opening
 * balance (`hourbank import balances`) and pays for SERVICES services a
 * gives it, which central accepts; c, with no hours, pays for REFUSED
 * services b gives it, which central refuses (they stay in the queue's
 * refused list). */
static void
record_services(const char *a, const char *b, const char *c)
{
    char csv[PATH_BYTES], out[TEXT_BYTES], err[TEXT_BYTES];
    snprintf(csv, sizeof csv, "%s/balances.csv", station.dir);
    FILE *f = fopen(csv, "w");
    if (!f)
        setup_fail("cannot write %s", csv);
    fprintf(f, "member,hours,source\n%s,100,bench\n", b);
    fclose(f);
    const char *args[] = {"import", "balances", csv, NULL};
    if (run_cli(out, err, args) != 0)
        setup_fail("hourbank import balances failed: %s", err);
    hb_h_client_t *cl = hb_h_station_client(&station);
    if (!hb_h_wait_drained(cl, SYNC_WAIT_S))
        setup_fail("%s", "the opening balance was not acknowledged in time");
    for (int i = 0; i < SERVICES; i++)
        save_service(cl, a, b, i, SERVICES + REFUSED);
    for (int i = 0; i < REFUSED; i++)
        save_service(cl, b, c, SERVICES + i, SERVICES + REFUSED);
    if (!hb_h_wait_drained(cl, SYNC_WAIT_S))
        setup_fail("%s", "the services were not acknowledged in time");
    hb_h_client_destroy(&cl);
    char sql[PATH_BYTES];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM ops WHERE kind = 'service' AND result = 1");
    if (hb_h_sqlite_int(station.outbox, sql) != SERVICES)
        setup_fail("%s", "central did not accept the services the passbook should show");
}

/* ---- the console ---- */

/* A free loopback TCP port (bound, read and released). */
static unsigned
free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *) &a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *) &a, &len) != 0)
        setup_fail("%s", "no free loopback port");
    close(fd);
    return ntohs(a.sin_port);
}

static void
add_operator(void)
{
    char bin[PATH_BYTES], cmd[3 * PATH_BYTES], out[TEXT_BYTES], err[TEXT_BYTES];
    snprintf(cmd, sizeof cmd, "printf '" PIN "\\n' | '%s' operator add " OPERATOR " --pin -c '%s'",
             hb_h_bin("hourbank", bin, sizeof bin), station.conf);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    if (hb_h_run_capture(argv, station.dir, out, sizeof out, err, sizeof err) != 0)
        setup_fail("operator add failed: %s", err);
}

/* Starts hourbank-console on port and waits until it answers. */
static bench_http_t *
start_console(unsigned port)
{
    char bin[PATH_BYTES], log[PATH_BYTES];
    snprintf(log, sizeof log, "%s/console.log", station.dir);
    char *argv[] = {(char *) (uintptr_t) hb_h_bin("hourbank-console", bin, sizeof bin), "-c", station.conf, NULL};
    console_pid = hb_h_spawn(argv, log);
    bench_http_t *http = bench_http_new(port);
    for (int i = 0; i < CONSOLE_WAIT_TRIES; i++) {
        if (bench_http_request(http, "/signin", NULL) == 200)
            return http;
        if (waitpid(console_pid, NULL, WNOHANG) == console_pid) {
            console_pid = 0;
            setup_fail("hourbank-console exited at start; see %s", log);
        }
        usleep(CONSOLE_WAIT_US);
    }
    setup_fail("hourbank-console did not answer; see %s", log);
}

/* GET /signin, POST it: the session signed in (the answer is 303 to /). */
static void
sign_in(bench_http_t *http)
{
    char csrf[FIELD_BYTES], body[PATH_BYTES];
    if (bench_http_request(http, "/signin", NULL) != 200 || bench_http_field(http, "csrf", csrf, sizeof csrf) != 0)
        setup_fail("%s", "the sign-in form has no csrf field");
    snprintf(body, sizeof body, "operator=" OPERATOR "&pin=" PIN "&csrf=%s", csrf);
    int status = bench_http_request(http, "/signin", body);
    if (status != 303 || strcmp(bench_http_location(http), "/") != 0)
        setup_fail("signing in did not lead to /: %s", bench_http_body(http));
    if (bench_http_request(http, "/", NULL) != 200 || !strstr(bench_http_body(http), "id=\"whoami\""))
        setup_fail("%s", "the home page after signing in shows no #whoami");
}

/* ---- the pages ---- */

/* The pages of the brief's contract, with what proves each answer. */
static size_t
pages_of(page_t *pages, bench_http_t *http, const char *a, const char *b)
{
    char zh[FIELD_BYTES], csrf[FIELD_BYTES], request_id[FIELD_BYTES] = "", from[16], to[16], at[32];
    bench_http_escape("秀", zh, sizeof zh);
    /* the harness's district counts days in UTC; the record dated an hour ago */
    time_t now = time(NULL), then = now - PASSBOOK_DAYS * SECONDS_PER_DAY, hour_ago = now - SECONDS_PER_HOUR;
    strftime(to, sizeof to, "%Y-%m-%d", gmtime(&now));
    strftime(from, sizeof from, "%Y-%m-%d", gmtime(&then));
    strftime(at, sizeof at, "%Y-%m-%dT%H%%3A%M", gmtime(&hour_ago));
    if (bench_http_request(http, "/", NULL) != 200 || bench_http_field(http, "csrf", csrf, sizeof csrf) != 0)
        setup_fail("%s", "the home page has no csrf field (the sign-out form)");
    if (bench_http_request(http, "/record", NULL) == 200)
        bench_http_field(http, "request_id", request_id, sizeof request_id);
    size_t n = 0;
#define PAGE(nm, mk, ...)                                                        \
    do {                                                                         \
        pages[n] = (page_t){.name = nm, .mark = mk};                             \
        snprintf(pages[n].path, sizeof pages[n].path, __VA_ARGS__);              \
        n++;                                                                     \
    } while (0)
    PAGE("home", "id=\"find\"", "/");
    PAGE("find by number", "class=\"member-link\"", "/find?q=%s", a);
    PAGE("find by Chinese name part", "id=\"results\"", "/find?q=%s", zh);
    PAGE("find by Latin name part", "id=\"results\"", "/find?q=wang");
    PAGE("member page", "id=\"m-available\"", "/member/%s", a);
    PAGE("register form", "name=\"birth_year\"", "/register");
    PAGE("record form", "name=\"provider\"", "/record");
    PAGE("record check (dry run)", "id=\"payer\"", "/record");
    snprintf(pages[n - 1].body, sizeof pages[n - 1].body,
             "provider=%s&recipient=%s&category=companionship&duration=1h&occurred=%s&note=&action=check&csrf=%s%s%s",
             a, b, at, csrf, request_id[0] ? "&request_id=" : "", request_id);
    PAGE("queue", "id=\"rejected\"", "/queue");
    PAGE("rules", "id=\"rules\"", "/rules");
    PAGE("passbook", "id=\"passbook\"", "/passbook?member=%s&from=%s&to=%s", a, from, to);
#undef PAGE
    return n;
}

static int
by_value(const void *x, const void *y)
{
    double a = *(const double *) x, b = *(const double *) y;
    return a < b ? -1 : a > b;
}

/* The nearest-rank percentile p (0..100) of sorted[0..n). */
static double
percentile(const double *sorted, int n, double p)
{
    int rank = (int) ((p / 100.0) * n + 0.999999);
    if (rank < 1)
        rank = 1;
    return sorted[rank > n ? n - 1 : rank - 1];
}

/* One request of page; its time in ms, or -1 with the page's problem set. */
static double
ask_page(bench_http_t *http, page_t *pg)
{
    double start = now_ms();
    int status = bench_http_request(http, pg->path, pg->body[0] ? pg->body : NULL);
    double ms = now_ms() - start;
    pg->status = status;
    if (status == 200 && strstr(bench_http_body(http), pg->mark))
        return ms;
    pg->failed = true;
    if (status != 200)
        snprintf(pg->problem, sizeof pg->problem, status ? "HTTP %d" : "no answer", status);
    else
        snprintf(pg->problem, sizeof pg->problem, "no %s in the answer", pg->mark);
    /* what came instead, for whoever reads the run */
    fprintf(stderr, "hb_bench_console: %s: %s; the answer began:\n%.600s\n", pg->name, pg->problem,
            bench_http_body(http));
    return -1;
}

static void
measure(bench_http_t *http, page_t *pg, const opts_t *o)
{
    pg->ms = calloc((size_t) o->requests, sizeof *pg->ms);
    if (!pg->ms)
        setup_fail("%s", "out of memory");
    for (int i = 0; i < o->warmup; i++)
        if (ask_page(http, pg) < 0)
            return;
    for (int i = 0; i < o->requests; i++)
        if ((pg->ms[i] = ask_page(http, pg)) < 0)
            return;
    qsort(pg->ms, (size_t) o->requests, sizeof *pg->ms, by_value);
    pg->p50 = percentile(pg->ms, o->requests, 50);
    pg->p99 = percentile(pg->ms, o->requests, 99);
    pg->max = pg->ms[o->requests - 1];
}

/* ---- report ---- */

static bool
page_ok(const page_t *pg, const opts_t *o)
{
    return !pg->failed && pg->p99 < o->limit_ms;
}

static void
print_table(const page_t *pages, size_t n, const opts_t *o)
{
    printf("\n%-28s %10s %10s %10s  %s\n", "page", "p50 ms", "p99 ms", "max ms", "verdict");
    for (size_t i = 0; i < n; i++) {
        const page_t *pg = &pages[i];
        if (pg->failed)
            printf("%-28s %10s %10s %10s  FAILED: %s\n", pg->name, "-", "-", "-", pg->problem);
        else
            printf("%-28s %10.2f %10.2f %10.2f  %s\n", pg->name, pg->p50, pg->p99, pg->max,
                   page_ok(pg, o) ? "ok" : "TOO SLOW");
    }
    printf("(%d requests per page after %d unmeasured; limit: p99 < %.0f ms)\n", o->requests, o->warmup,
           o->limit_ms);
}

static void
write_json(const char *path, const page_t *pages, size_t n, const opts_t *o, double import_s, bool ok)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "hb_bench_console: cannot write %s\n", path);
        return;
    }
    fprintf(f, "{\n  \"members\": %d,\n  \"requests_per_page\": %d,\n  \"warmup\": %d,\n  \"limit_ms\": %.1f,\n"
               "  \"import_and_sync_s\": %.1f,\n  \"ok\": %s,\n  \"pages\": [\n",
            o->members, o->requests, o->warmup, o->limit_ms, import_s, ok ? "true" : "false");
    for (size_t i = 0; i < n; i++) {
        const page_t *pg = &pages[i];
        fprintf(f, "    {\"page\": \"%s\", \"method\": \"%s\", \"status\": %d, ", pg->name,
                pg->body[0] ? "POST" : "GET", pg->status);
        if (!pg->failed)
            fprintf(f, "\"p50_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f}", pg->p50, pg->p99, pg->max);
        else
            fprintf(f, "\"problem\": \"%s\"}", pg->problem);
        fprintf(f, "%s\n", i + 1 < n ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    fclose(f);
    printf("JSON: %s\n", path);
}

/* ---- main ---- */

static void
usage(void)
{
    fprintf(stderr, "usage: hb_bench_console [-m MEMBERS] [-n REQUESTS] [-w WARMUP] [-l LIMIT_MS] [-o JSON]\n");
    exit(64);
}

static opts_t
parse(int argc, char **argv)
{
    opts_t o = {MEMBERS_DEFAULT, REQUESTS_DEFAULT, WARMUP_DEFAULT, LIMIT_MS_DEFAULT, NULL};
    int c;
    while ((c = getopt(argc, argv, "m:n:w:l:o:")) != -1) {
        switch (c) {
        case 'm': o.members = atoi(optarg); break;
        case 'n': o.requests = atoi(optarg); break;
        case 'w': o.warmup = atoi(optarg); break;
        case 'l': o.limit_ms = atof(optarg); break;
        case 'o': o.json_path = optarg; break;
        default: usage();
        }
    }
    if (optind != argc || o.members < 3 || o.requests < 1 || o.warmup < 0 || o.limit_ms <= 0)
        usage();
    return o;
}

int
main(int argc, char **argv)
{
    opts_t o = parse(argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    hb_h_central_init(&central, "hb_bench_console", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, 1, 0);
    unsigned port = free_port();
    char conf[TEXT_BYTES], extra[FIELD_BYTES];
    hb_h_read_file(station.conf, conf, sizeof conf - sizeof extra);
    snprintf(extra, sizeof extra, "console_listen: \"127.0.0.1:%u\"\nlog_level: info\n", port);
    char *debug = strstr(conf, "log_level: debug\n");  /* a log line per request would be measured too */
    if (debug)
        memmove(debug, debug + strlen("log_level: debug\n"), strlen(debug + strlen("log_level: debug\n")) + 1);
    strcat(conf, extra);
    hb_h_write_file(station.conf, conf);
    hb_h_station_start(&station);
    char a[FIELD_BYTES], b[FIELD_BYTES], c[FIELD_BYTES];
    printf("importing %d members through station 1 and waiting for its directory...\n", o.members);
    double import_s = import_members(o.members, a, b, c);
    printf("%d members in the station's directory after %.1f s (import, acks, directory sync)\n", o.members,
           import_s);
    record_services(a, b, c);
    add_operator();
    bench_http_t *http = start_console(port);
    sign_in(http);
    page_t pages[16];
    size_t n = pages_of(pages, http, a, b);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        measure(http, &pages[i], &o);
        ok = ok && page_ok(&pages[i], &o);
    }
    print_table(pages, n, &o);
    if (o.json_path)
        write_json(o.json_path, pages, n, &o, import_s, ok);
    bench_http_destroy(&http);
    hb_h_stop(console_pid, SIGTERM);
    hb_h_station_stop(&station, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
    for (size_t i = 0; i < n; i++)
        free(pages[i].ms);
    printf("%s\n", ok ? "console bench: every page under the limit" : "console bench: FAILED");
    return ok ? 0 : 1;
}
