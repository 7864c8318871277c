/* test_web.c - common/web/ against a real libmicrohttpd server on
 * loopback, spoken to over a plain socket: escaping, the headers every
 * answer carries, the Host check, CSRF and cross-site refusals, bounded
 * bodies, form decoding, sessions (rotation on sign-in, idle expiry) and
 * embedded assets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hb_i18n.h"
#include "hb_web.h"

#define BODY_MAX 1024
#define RESPONSE_MAX (64 * 1024)

static const unsigned char css[] = "body{color:#111}";
static const hb_web_asset_t assets[] = {{"t.css", "text/css; charset=utf-8", css, sizeof css - 1}};
static const char *const hosts[] = {"localhost", "127.0.0.1", "[::1]"};

static void
handler(void *arg, hb_web_req_t *req)
{
    (void) arg;
    const char *path = hb_web_path(req);
    if (strcmp(path, "/echo") == 0) {
        hb_web_html(req, "<p>%s|%d|%s</p>", hb_web_param(req, "x"), -42, hb_web_param(req, "missing"));
    } else if (strcmp(path, "/form") == 0) {
        hb_web_html(req, "<i>%s</i>", hb_web_csrf(req));
    } else if (strcmp(path, "/post") == 0) {
        const char *v = hb_web_param(req, "v");
        hb_web_html(req, "ok:%s:%s", v ? v : "(absent)", hb_web_is_post(req) ? "post" : "get");
    } else if (strcmp(path, "/signin") == 0) {
        hb_web_sign_in(req, "王芳", "en");
        hb_web_raw(req, "in");
    } else if (strcmp(path, "/who") == 0) {
        hb_web_html(req, "who:%s:%s", hb_web_operator(req) ? hb_web_operator(req) : "-",
                    hb_web_expired(req) ? "expired" : "fresh");
    } else if (strcmp(path, "/go") == 0) {
        hb_web_redirect(req, "/who");
    } else {
        hb_web_status(req, 404);
        hb_web_raw(req, "none");
    }
}

typedef struct {
    hb_web_t *web;
    unsigned port;
} fixture_t;

static int
setup(void **state)
{
    static fixture_t f;
    hb_web_conf_t conf = {.listen = "127.0.0.1:0", .allowed_hosts = hosts, .n_allowed_hosts = 3,
                          .session_idle_s = 1, .session_max_s = 60, .body_bytes_max = BODY_MAX,
                          .default_lang = "en", .assets = assets, .n_assets = 1, .handler = handler};
    static hb_web_conf_t kept;
    kept = conf;
    char msg[256];
    f.web = hb_web_start(&kept, msg, sizeof msg);
    if (!f.web) {
        fprintf(stderr, "%s\n", msg);
        return -1;
    }
    f.port = hb_web_port(f.web);
    *state = &f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    hb_web_stop(&f->web);
    return 0;
}

/* Sends raw (a whole request) and reads the answer to the end. */
static char *
http(const fixture_t *f, const char *raw)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t) f->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(s, (struct sockaddr *) &a, sizeof a), 0);
    size_t len = strlen(raw);
    assert_int_equal(write(s, raw, len), (ssize_t) len);
    shutdown(s, SHUT_WR);
    static char buf[RESPONSE_MAX];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buf - 1 && (n = read(s, buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t) n;
    buf[got] = '\0';
    close(s);
    return buf;
}

static char *
get(const fixture_t *f, const char *path, const char *host, const char *cookie)
{
    char raw[2048];
    snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nHost: %s\r\n%s%s%sConnection: close\r\n\r\n", path, host,
             cookie ? "Cookie: hb_session=" : "", cookie ? cookie : "", cookie ? "\r\n" : "");
    return http(f, raw);
}

static char *
post(const fixture_t *f, const char *path, const char *cookie, const char *body, const char *extra)
{
    static char raw[8192];
    snprintf(raw, sizeof raw,
             "POST %s HTTP/1.1\r\nHost: localhost\r\nCookie: hb_session=%s\r\n"
             "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n%s",
             path, cookie ? cookie : "none", strlen(body), extra ? extra : "", body);
    return http(f, raw);
}

static unsigned
status_of(const char *resp)
{
    unsigned code = 0;
    sscanf(resp, "HTTP/1.1 %u", &code);
    return code;
}

/* The session id the answer sets, into id (65 bytes). */
static void
cookie_of(const char *resp, char *id)
{
    const char *c = strstr(resp, "Set-Cookie: hb_session=");
    assert_non_null(c);
    snprintf(id, 65, "%s", c + strlen("Set-Cookie: hb_session="));
}

/* A session and its CSRF token. */
static void
session(const fixture_t *f, char *id, char *csrf)
{
    char *r = get(f, "/form", "localhost", NULL);
    cookie_of(r, id);
    const char *i = strstr(r, "<i>");
    assert_non_null(i);
    snprintf(csrf, 65, "%s", i + 3);
}

static void
test_escaping_and_headers(void **state)
{
    fixture_t *f = *state;
    char *r = get(f, "/echo?x=%3Ca+href%3D%22x%22%3E%26%27%3C%2Fa%3E", "localhost:80", NULL);
    assert_int_equal(status_of(r), 200);
    assert_non_null(strstr(r, "<p>&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;|-42|</p>"));
    assert_non_null(strstr(r, "Content-Security-Policy: default-src 'none'; style-src 'self'"));
    assert_null(strstr(r, "unsafe-inline"));
    assert_non_null(strstr(r, "X-Content-Type-Options: nosniff"));
    const char *cookie = strstr(r, "Set-Cookie: hb_session=");
    assert_non_null(cookie);
    assert_non_null(strstr(cookie, "HttpOnly; SameSite=Strict"));
    char buf[8];
    assert_false(hb_web_escape(buf, sizeof buf, "<<<"));
    assert_true(hb_web_escape(buf, sizeof buf, "a&b"));
    assert_string_equal(buf, "a&amp;b");
}

static void
test_host(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(status_of(get(f, "/echo", "evil.example", NULL)), 400);
    assert_int_equal(status_of(get(f, "/echo", "localhost.evil.example", NULL)), 400);
    assert_int_equal(status_of(get(f, "/echo", "LOCALHOST:8080", NULL)), 200);
    assert_int_equal(status_of(get(f, "/echo", "[::1]:8080", NULL)), 200);
    assert_int_equal(status_of(http(f, "GET /echo HTTP/1.0\r\n\r\n")), 400);
}

static void
test_csrf(void **state)
{
    fixture_t *f = *state;
    char id[65], csrf[65], body[256];
    session(f, id, csrf);
    snprintf(body, sizeof body, "v=1&csrf=%s", csrf);
    assert_int_equal(status_of(post(f, "/post", NULL, body, NULL)), 403);  /* no session */
    assert_int_equal(status_of(post(f, "/post", id, "v=1&csrf=00", NULL)), 403);
    assert_int_equal(status_of(post(f, "/post", id, "v=1", NULL)), 403);
    assert_int_equal(status_of(post(f, "/post", id, body, "Origin: http://evil.example\r\n")), 403);
    assert_int_equal(status_of(post(f, "/post", id, body, "Sec-Fetch-Site: cross-site\r\n")), 403);
    /* a browser whose referrer policy hides the origin sends "null": the token decides */
    assert_int_equal(status_of(post(f, "/post", id, body, "Origin: null\r\nSec-Fetch-Site: same-origin\r\n")), 200);
    char *r = post(f, "/post", id, body, "Origin: http://localhost\r\nSec-Fetch-Site: same-origin\r\n");
    assert_int_equal(status_of(r), 200);
    assert_non_null(strstr(r, "ok:1:post"));
}

static void
test_bodies(void **state)
{
    fixture_t *f = *state;
    char id[65], csrf[65], body[4096];
    session(f, id, csrf);
    /* a form field with UTF-8, '+' and escapes */
    snprintf(body, sizeof body, "csrf=%s&v=%%E7%%8E%%8B+x%%26y", csrf);
    char *r = post(f, "/post", id, body, NULL);
    assert_non_null(strstr(r, "ok:王 x&amp;y:post"));
    /* not UTF-8: the field counts as absent */
    snprintf(body, sizeof body, "csrf=%s&v=%%FF", csrf);
    assert_non_null(strstr(post(f, "/post", id, body, NULL), "ok:(absent)"));
    /* a NUL or a broken escape: refused */
    snprintf(body, sizeof body, "csrf=%s&v=a%%00b", csrf);
    assert_int_equal(status_of(post(f, "/post", id, body, NULL)), 400);
    snprintf(body, sizeof body, "csrf=%s&v=%%G1", csrf);
    assert_int_equal(status_of(post(f, "/post", id, body, NULL)), 400);
    /* over the bound: 413, whether announced or sent in chunks */
    memset(body, 'a', BODY_MAX + 10);
    memcpy(body, "v=", 2);
    body[BODY_MAX + 10] = '\0';
    assert_int_equal(status_of(post(f, "/post", id, body, NULL)), 413);
    char raw[sizeof body + 512];
    snprintf(raw, sizeof raw,
             "POST /post HTTP/1.1\r\nHost: localhost\r\nCookie: hb_session=%s\r\n"
             "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n"
             "Connection: close\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", id, BODY_MAX + 10, body);
    assert_int_equal(status_of(http(f, raw)), 413);
    /* not a form */
    snprintf(raw, sizeof raw,
             "POST /post HTTP/1.1\r\nHost: localhost\r\nCookie: hb_session=%s\r\nContent-Type: application/json\r\n"
             "Content-Length: 2\r\nConnection: close\r\n\r\n{}", id);
    assert_int_equal(status_of(http(f, raw)), 415);
}

static void
test_sessions(void **state)
{
    fixture_t *f = *state;
    char id[65], csrf[65], body[256], id2[65];
    session(f, id, csrf);
    snprintf(body, sizeof body, "csrf=%s", csrf);
    char *r = post(f, "/signin", id, body, NULL);
    assert_int_equal(status_of(r), 200);
    cookie_of(r, id2);
    assert_string_not_equal(id, id2);   /* a new id on sign-in */
    assert_non_null(strstr(get(f, "/who", "localhost", id2), "who:王芳:fresh"));
    assert_non_null(strstr(get(f, "/who", "localhost", id), "who:-:"));  /* the old id is nobody's */
    r = get(f, "/go", "localhost", id2);
    assert_int_equal(status_of(r), 303);
    assert_non_null(strstr(r, "Location: /who"));
    sleep(2);   /* session_idle_s = 1 */
    r = get(f, "/who", "localhost", id2);
    assert_non_null(strstr(r, "who:-:expired"));
}

static void
test_assets(void **state)
{
    fixture_t *f = *state;
    char *r = get(f, "/assets/t.css", "localhost", NULL);
    assert_int_equal(status_of(r), 200);
    assert_non_null(strstr(r, "Content-Type: text/css; charset=utf-8"));
    assert_non_null(strstr(r, "body{color:#111}"));
    assert_int_equal(status_of(get(f, "/assets/none.css", "localhost", NULL)), 404);
}

static void
test_listen_refused(void **state)
{
    (void) state;
    char msg[256];
    hb_web_conf_t conf = {.listen = "localhost:80", .default_lang = "en", .handler = handler};
    assert_null(hb_web_start(&conf, msg, sizeof msg));
    assert_non_null(strstr(msg, "localhost:80"));
}

int
main(void)
{
    hb_i18n_init(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping_and_headers), cmocka_unit_test(test_host),
        cmocka_unit_test(test_csrf),                 cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_sessions),             cmocka_unit_test(test_assets),
        cmocka_unit_test(test_listen_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
