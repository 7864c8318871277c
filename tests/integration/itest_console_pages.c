/* The console's task pages (issue 16) over plain HTTP on loopback, against
 * a real hourbank-console, hourbank-station and hourbank-central on
 * PostgreSQL: a small HTTP client here keeps the session cookie and each
 * form's CSRF token, signs in as an operator with a PIN, and then
 *
 *  - registers members (the number in #new-member-no); the same form
 *    sent twice (same request_id): the same number, stored once;
 *  - a possible duplicate is refused with the form filled, the reason
 *    after the name; with confirm_new it is registered;
 *  - records a service: "check" (a dry run) shows #payer (the guarantee,
 *    for personal care of an elder over 80) and stores nothing; "save"
 *    shows #saved-ref; the same form again: the same reference;
 *  - a refused form comes back filled (422): a bad duration after its
 *    field with provider and note kept; a void of an operation that does
 *    not exist, after the ref;
 *  - gift, donate and void are saved (#saved); a gift central refuses
 *    shows in table#rejected with its reason in words, and is dismissed
 *    with the form of /queue/dismiss;
 *  - /passbook shows the member's passbook (#passbook), /rules the rules;
 *  - at the station and at central: every op stored exactly once, each
 *    by the signed-in operator.
 * Before the task pages the console answered 404 to every path here: the
 * first request of test_register fails. */
#include "hb_itest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAGE_BYTES (1024 * 1024)
#define FIELD_BYTES 512
#define BODY_BYTES 8192
#define OUT_BYTES 16384
#define CONSOLE_WAIT_MS 20000
#define DRAIN_WAIT_S 30
#define POLL_MS 50
#define OPERATOR "Wang"
#define PIN "2468"

static hb_h_central_t central;
static hb_h_station_t st;
static pid_t console_pid;
static unsigned port;
static char cookie[FIELD_BYTES];
static char vol[32], eld[32];

/* ---- a small HTTP client: one request per connection ---- */

typedef struct {
    int status;
    char location[FIELD_BYTES];
    char page[PAGE_BYTES];  /* the body */
} resp_t;

static resp_t r;

static int
connect_console(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *) &a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The value of header name (with its ": ") in head, into out ("" when absent). */
static void
header(const char *head, const char *name, char *out, size_t size)
{
    out[0] = '\0';
    const char *p = strcasestr(head, name);
    if (!p)
        return;
    p += strlen(name);
    size_t n = strcspn(p, ";\r\n");
    snprintf(out, size, "%.*s", (int) n, p);
}

static void
http(const char *method, const char *path, const char *body)
{
    int fd = connect_console();
    assert_true(fd >= 0);
    char req[BODY_BYTES * 2];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n%s%s%s", method, path, port,
                     cookie[0] ? "Cookie: hb_session=" : "", cookie, cookie[0] ? "\r\n" : "");
    if (body)
        n += snprintf(req + n, sizeof req - (size_t) n,
                      "Origin: http://127.0.0.1:%u\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      "Content-Length: %zu\r\n\r\n%s",
                      port, strlen(body), body);
    else
        n += snprintf(req + n, sizeof req - (size_t) n, "\r\n");
    assert_true(n > 0 && (size_t) n < sizeof req);
    assert_int_equal(send(fd, req, (size_t) n, MSG_NOSIGNAL), n);
    static char raw[PAGE_BYTES + BODY_BYTES];
    size_t got = 0;
    ssize_t k;
    while (got < sizeof raw - 1 && (k = recv(fd, raw + got, sizeof raw - 1 - got, 0)) > 0)
        got += (size_t) k;
    close(fd);
    raw[got] = '\0';
    char *end = strstr(raw, "\r\n\r\n");
    assert_non_null(end);
    *end = '\0';
    r.status = atoi(raw + strlen("HTTP/1.1 "));
    char set[FIELD_BYTES];
    header(raw, "Set-Cookie: hb_session=", set, sizeof set);
    if (set[0])
        snprintf(cookie, sizeof cookie, "%s", set);
    header(raw, "\r\nLocation: ", r.location, sizeof r.location);
    snprintf(r.page, sizeof r.page, "%s", end + 4);
}

/* value url-encoded onto the end of buf. */
static void
add_field(char *buf, size_t size, const char *name, const char *value)
{
    size_t n = strlen(buf);
    n += (size_t) snprintf(buf + n, size - n, "%s%s=", n ? "&" : "", name);
    for (const unsigned char *p = (const unsigned char *) value; *p && n + 4 < size; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-_.~", *p))
            buf[n++] = (char) *p;
        else
            n += (size_t) snprintf(buf + n, size - n, "%%%02X", *p);
    }
    buf[n] = '\0';
}

/* The value attribute after marker (e.g. `name="csrf" value="`) in page, into out. */
static const char *
after(const char *page, const char *marker, char *out, size_t size)
{
    const char *p = strstr(page, marker);
    if (!p) {
        out[0] = '\0';
        return out;
    }
    p += strlen(marker);
    snprintf(out, size, "%.*s", (int) strcspn(p, "\"<"), p);
    return out;
}

/* The text of the element with id (up to its first tag). */
static const char *
text_of(const char *id, char *out, size_t size)
{
    char marker[FIELD_BYTES];
    snprintf(marker, sizeof marker, "id=\"%s\"", id);
    const char *p = strstr(r.page, marker);
    if (!p) {
        out[0] = '\0';
        return out;
    }
    p = strchr(p, '>') + 1;
    snprintf(out, size, "%.*s", (int) strcspn(p, "<"), p);
    return out;
}

/* The page from its <main> on (what a failure shows). */
static const char *
main_of(void)
{
    const char *m = strstr(r.page, "<main");
    return m ? m : r.page;
}

static void
has(const char *needle)
{
    if (!strstr(r.page, needle)) {
        fprintf(stderr, "page (HTTP %d) lacks %s:\n%s\n", r.status, needle, main_of());
        fail_msg("page lacks %s", needle);
    }
}

/* POSTs the form of the page just fetched to path: its csrf and
 * request_id, then the fields "name", "value", ... NULL. */
static void
post_form(const char *path, const char *first, ...)
{
    char body[BODY_BYTES] = "", v[FIELD_BYTES];
    add_field(body, sizeof body, "csrf", after(r.page, "name=\"csrf\" value=\"", v, sizeof v));
    if (strstr(r.page, "name=\"request_id\""))
        add_field(body, sizeof body, "request_id", after(r.page, "name=\"request_id\" value=\"", v, sizeof v));
    va_list ap;
    va_start(ap, first);
    for (const char *name = first; name; name = va_arg(ap, const char *))
        add_field(body, sizeof body, name, va_arg(ap, const char *));
    va_end(ap);
    http("POST", path, body);
}

/* ---- the system ---- */

static unsigned
free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *) &a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *) &a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void
start_console(void)
{
    static char bin[600], log[700], c_opt[] = "-c";
    snprintf(log, sizeof log, "%s/console.log", st.dir);
    hb_h_bin("hourbank-console", bin, sizeof bin);
    char *argv[] = {bin, c_opt, st.conf, NULL};
    console_pid = hb_h_spawn(argv, log);
    for (int waited = 0; waited < CONSOLE_WAIT_MS; waited += POLL_MS) {
        int fd = connect_console();
        if (fd >= 0) {
            close(fd);
            return;
        }
        usleep(POLL_MS * 1000);
    }
    fail_msg("hourbank-console did not listen on port %u (see %s)", port, log);
}

static int
setup(void **state)
{
    (void) state;
    setenv("TZ", "UTC", 1);
    hb_h_central_init(&central, "hb_itest_console_pages", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&st, &central, 1, 0);
    port = free_port();
    char conf[8192], extra[256];
    hb_h_read_file(st.conf, conf, sizeof conf);
    snprintf(extra, sizeof extra, "console_listen: \"127.0.0.1:%u\"\nlanguage: en\n", port);
    strncat(conf, extra, sizeof conf - strlen(conf) - 1);
    hb_h_write_file(st.conf, conf);
    hb_h_station_start(&st);
    char bin[600], cmd[2048], out[OUT_BYTES], err[OUT_BYTES];
    snprintf(cmd, sizeof cmd, "printf '" PIN "\\n' | '%s' operator add " OPERATOR " --pin -c '%s'",
             hb_h_bin("hourbank", bin, sizeof bin), st.conf);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    if (hb_h_run_capture(argv, st.dir, out, sizeof out, err, sizeof err) != 0)
        fail_msg("operator add: %s%s", out, err);
    start_console();
    http("GET", "/signin", NULL);
    assert_int_equal(r.status, 200);
    post_form("/signin", "operator", OPERATOR, "pin", PIN, NULL);
    if (r.status != 303)
        fail_msg("sign-in answered %d:\n%s", r.status, r.page);
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    if (console_pid)
        hb_h_stop(console_pid, SIGTERM);
    if (st.pid)
        hb_h_station_stop(&st, SIGTERM);
    if (central.pid)
        hb_h_central_stop(&central, SIGTERM);
    return 0;
}

static int64_t
outbox_count(const char *where)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM ops WHERE %s", where);
    return hb_h_sqlite_int(st.outbox, sql);
}

static void
wait_drained(void)
{
    hb_h_client_t *cl = hb_h_station_client(&st);
    assert_true(hb_h_wait_drained(cl, DRAIN_WAIT_S));
    hb_h_client_destroy(&cl);
}

/* ---- the pages ---- */

static void
register_member(const char *name, const char *role, const char *year, const char *family, char *no, size_t size)
{
    http("GET", "/register", NULL);
    assert_int_equal(r.status, 200);
    post_form("/register", "name", name, "role", role, "birth_year", year, "family_of", family, "relation", "",
              "phone", "", NULL);
    if (r.status != 200)
        fail_msg("register %s answered %d:\n%s", name, r.status, main_of());
    text_of("new-member-no", no, size);
    assert_true(no[0]);
    has(name);
    has("href=\"/member/");
}

static void
test_register(void **state)
{
    (void) state;
    static char form[PAGE_BYTES];
    char again[32];
    register_member("Volunteer One", "volunteer", "1961", "", vol, sizeof vol);
    /* the same form sent twice (a double submit): one member, one number */
    http("GET", "/register", NULL);
    snprintf(form, sizeof form, "%s", r.page);
    post_form("/register", "name", "Elder Two", "role", "elder", "birth_year", "1936", "family_of", vol, NULL);
    assert_int_equal(r.status, 200);
    text_of("new-member-no", eld, sizeof eld);
    assert_true(eld[0]);
    snprintf(r.page, sizeof r.page, "%s", form);
    post_form("/register", "name", "Elder Two", "role", "elder", "birth_year", "1936", "family_of", vol, NULL);
    assert_int_equal(r.status, 200);
    text_of("new-member-no", again, sizeof again);
    assert_string_equal(eld, again);
    has("id=\"saved-ref\"");
    assert_int_equal(outbox_count("kind = 'register'"), 2);
    /* a possible duplicate: refused, the form filled, the reason after the name */
    http("GET", "/register", NULL);
    post_form("/register", "name", "Elder Two", "role", "elder", "birth_year", "1936", "phone", "123 456", NULL);
    assert_int_equal(r.status, 422);
    has("id=\"err-name\"");
    has("value=\"Elder Two\"");
    has("value=\"123 456\"");
    has("<option value=\"elder\" selected>");
    assert_int_equal(outbox_count("kind = 'register'"), 2);
    /* the form as it came back, checked to be another person */
    post_form("/register", "name", "Elder Two", "role", "elder", "birth_year", "1936", "phone", "123 456",
              "confirm_new", "1", NULL);
    assert_int_equal(r.status, 200);
    text_of("new-member-no", again, sizeof again);
    assert_true(again[0] && strcmp(again, eld) != 0);
    assert_int_equal(outbox_count("kind = 'register'"), 3);
}

static void
test_record(void **state)
{
    (void) state;
    char ref[32], again[32];
    http("GET", "/record", NULL);
    assert_int_equal(r.status, 200);
    has("<select id=\"category\"");
    has("value=\"personal-care\"");
    char now[FIELD_BYTES];  /* the form's default: now, the district's time */
    after(r.page, "aria-describedby=\"hint-occurred\" value=\"", now, sizeof now);
    assert_true(strlen(now) == strlen("2026-12-01T10:00"));
    int64_t before = outbox_count("1 = 1");
    /* check: who pays (the guarantee: personal care, elder born 1936), nothing stored */
    post_form("/record", "provider", vol, "recipient", eld, "category", "personal-care", "duration", "1h30m",
              "occurred", now, "note", "bath", "action", "check", NULL);
    if (r.status != 200)
        fail_msg("check answered %d:\n%s", r.status, main_of());
    has("id=\"payer\"");
    has("guarantee");
    has("id=\"save\"");
    assert_null(strstr(r.page, "id=\"saved\""));
    assert_int_equal(outbox_count("1 = 1"), before);
    /* a refusal comes back filled: a duration without its unit */
    static char checked[PAGE_BYTES];
    snprintf(checked, sizeof checked, "%s", r.page);
    post_form("/record", "provider", vol, "recipient", eld, "category", "personal-care", "duration", "90",
              "occurred", now, "note", "bath 保留", "action", "save", NULL);
    assert_int_equal(r.status, 422);
    has("id=\"err-duration\"");
    char want[FIELD_BYTES];
    snprintf(want, sizeof want, "id=\"provider\" name=\"provider\" autocomplete=\"off\" required "
             "aria-describedby=\"hint-provider\" value=\"%s\"", vol);
    has(want);
    has(">bath 保留</textarea>");
    has("value=\"90\"");
    assert_int_equal(outbox_count("1 = 1"), before);
    /* save, from the checked form; then the same form again */
    snprintf(r.page, sizeof r.page, "%s", checked);
    post_form("/record", "provider", vol, "recipient", eld, "category", "personal-care", "duration", "1h30m",
              "occurred", now, "note", "bath", "action", "save", NULL);
    assert_int_equal(r.status, 200);
    text_of("saved-ref", ref, sizeof ref);
    assert_true(strncmp(ref, "1:", 2) == 0);
    snprintf(r.page, sizeof r.page, "%s", checked);
    post_form("/record", "provider", vol, "recipient", eld, "category", "personal-care", "duration", "1h30m",
              "occurred", now, "note", "bath", "action", "save", NULL);
    assert_int_equal(r.status, 200);
    text_of("saved-ref", again, sizeof again);
    assert_string_equal(ref, again);
    assert_int_equal(outbox_count("kind = 'service'"), 1);
    wait_drained();
    assert_int_equal(outbox_count("kind = 'service' AND result = 1"), 1);
}

static void
test_gift_donate_void(void **state)
{
    (void) state;
    char ref[32], gift_ref[32];
    http("GET", "/gift", NULL);
    post_form("/gift", "from", vol, "to", eld, "duration", "30m", "note", "for my mother", NULL);
    assert_int_equal(r.status, 200);
    text_of("saved-ref", gift_ref, sizeof gift_ref);
    assert_true(gift_ref[0]);
    http("GET", "/donate", NULL);
    post_form("/donate", "member", vol, "duration", "15m", "note", "for the pool", NULL);
    assert_int_equal(r.status, 200);
    text_of("saved-ref", ref, sizeof ref);
    assert_true(ref[0]);
    wait_drained();
    /* a void of an operation that does not exist: refused after the ref, filled */
    http("GET", "/void", NULL);
    post_form("/void", "ref", "1:999", "reason", "typed wrong", NULL);
    assert_int_equal(r.status, 422);
    has("id=\"err-ref\"");
    has(">typed wrong</textarea>");
    http("GET", "/void", NULL);
    post_form("/void", "ref", gift_ref, "reason", "entered twice", NULL);
    assert_int_equal(r.status, 200);
    has("id=\"saved-ref\"");
    assert_int_equal(outbox_count("kind = 'gift'"), 1);
    assert_int_equal(outbox_count("kind = 'donation'"), 1);
    assert_int_equal(outbox_count("kind = 'void'"), 1);
    wait_drained();
}

static void
test_queue_dismiss(void **state)
{
    (void) state;
    /* more than the elder holds: central refuses it */
    http("GET", "/gift", NULL);
    post_form("/gift", "from", eld, "to", vol, "duration", "100h", "note", "too much", NULL);
    assert_int_equal(r.status, 200);
    has("id=\"cautions\"");
    wait_drained();
    http("GET", "/queue", NULL);
    assert_int_equal(r.status, 200);
    has("<table id=\"rejected\">");
    has("<tr class=\"op\">");
    has("<td class=\"reason\">");
    has("class=\"dismiss\"");
    char seq[32];
    after(r.page, "name=\"seq\" value=\"", seq, sizeof seq);
    assert_true(seq[0]);
    post_form("/queue/dismiss", "seq", seq, NULL);
    assert_int_equal(r.status, 303);
    http("GET", "/queue", NULL);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.page, "<table id=\"rejected\">"));
    has("id=\"queue-empty\"");
    assert_int_equal(outbox_count("dismissed = 1"), 1);
}

static void
test_passbook_rules(void **state)
{
    (void) state;
    char path[256];
    snprintf(path, sizeof path, "/passbook?member=%s&from=2025-01-01", vol);
    http("GET", path, NULL);
    if (r.status != 200)
        fail_msg("passbook answered %d:\n%s", r.status, main_of());
    has("id=\"passbook\"");
    has("Volunteer One");
    has("personal-care");
    assert_null(strstr(r.page, "<style"));
    snprintf(path, sizeof path, "/passbook?member=%s", "QX03-000001-1");
    http("GET", path, NULL);
    assert_int_equal(r.status, 422);
    has("id=\"err-member\"");
    http("GET", "/rules", NULL);
    assert_int_equal(r.status, 200);
    has("id=\"rules\"");
    has("GULOU");
    has("personal-care");
}

/* Every op stored once, by the signed-in operator, at the station and at central. */
static void
test_stored_once_by_operator(void **state)
{
    (void) state;
    /* 3 registrations, a service, 2 gifts, a donation, a void */
    const int64_t ops = 8;
    assert_int_equal(outbox_count("1 = 1"), ops);
    assert_int_equal(outbox_count("request_id IS NOT NULL"), ops);
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 1"), ops);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 1 AND operator = '" OPERATOR "'"),
                     ops);
    PQfinish(pg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register),
        cmocka_unit_test(test_record),
        cmocka_unit_test(test_gift_donate_void),
        cmocka_unit_test(test_queue_dismiss),
        cmocka_unit_test(test_passbook_rules),
        cmocka_unit_test(test_stored_once_by_operator),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
