/* bench_http.c - see bench_http.h. */
#include "bench_http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define COOKIE_NAME "hb_session"
#define COOKIE_BYTES 160
#define LOCATION_BYTES 512
#define REQUEST_BYTES 8192
#define FIRST_CAPACITY (256 * 1024)
#define READ_CHUNK 65536
#define HEX "0123456789ABCDEF"

struct bench_http {
    unsigned port;
    int fd;
    char cookie[COOKIE_BYTES];
    char location[LOCATION_BYTES];
    char *buf;          /* the last response, NUL-terminated */
    size_t len, cap;
    size_t body_at;     /* where its body starts in buf */
};

bench_http_t *
bench_http_new(unsigned port)
{
    bench_http_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->port = port;
    self->fd = -1;
    self->cap = FIRST_CAPACITY;
    self->buf = malloc(self->cap);
    if (!self->buf) {
        free(self);
        return NULL;
    }
    self->buf[0] = '\0';
    return self;
}

static void
disconnect(bench_http_t *self)
{
    if (self->fd >= 0)
        close(self->fd);
    self->fd = -1;
}

void
bench_http_destroy(bench_http_t **self_p)
{
    if (!*self_p)
        return;
    disconnect(*self_p);
    free((*self_p)->buf);
    free(*self_p);
    *self_p = NULL;
}

static int
connect_loopback(bench_http_t *self)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t) self->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    self->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (self->fd < 0)
        return -1;
    int one = 1;
    setsockopt(self->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(self->fd, (struct sockaddr *) &a, sizeof a) != 0) {
        disconnect(self);
        return -1;
    }
    return 0;
}

static int
send_all(int fd, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        data += w;
        n -= (size_t) w;
    }
    return 0;
}

/* Reads more of the response into buf; bytes read, 0 at close, -1. */
static ssize_t
read_more(bench_http_t *self)
{
    if (self->cap - self->len < READ_CHUNK + 1) {
        size_t cap = self->cap * 2;
        char *b = realloc(self->buf, cap);
        if (!b)
            return -1;
        self->buf = b;
        self->cap = cap;
    }
    ssize_t r;
    do
        r = recv(self->fd, self->buf + self->len, READ_CHUNK, 0);
    while (r < 0 && errno == EINTR);
    if (r > 0) {
        self->len += (size_t) r;
        self->buf[self->len] = '\0';
    }
    return r;
}

/* The value of header name in the header block head (ends at "\r\n\r\n"),
 * into out; true when present. */
static bool
header(const char *head, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line && line[2] != '\r'; line = strstr(line + 2, "\r\n")) {
        const char *h = line + 2;
        if (strncasecmp(h, name, n) != 0 || h[n] != ':')
            continue;
        h += n + 1;
        while (*h == ' ')
            h++;
        size_t len = strcspn(h, "\r");
        snprintf(out, size, "%.*s", (int) len, h);
        return true;
    }
    return false;
}

/* The session cookie of a Set-Cookie value ("hb_session=ID; Path=/; ..."). */
static void
keep_cookie(bench_http_t *self, const char *head)
{
    char v[LOCATION_BYTES];
    if (header(head, "Set-Cookie", v, sizeof v) && strncmp(v, COOKIE_NAME "=", strlen(COOKIE_NAME) + 1) == 0)
        snprintf(self->cookie, sizeof self->cookie, "%.*s", (int) strcspn(v, ";"), v + strlen(COOKIE_NAME) + 1);
}

/* Reads one whole response; its status, or 0. *closed: the server ends
 * the connection after it (or did before a byte came). */
static int
read_response(bench_http_t *self, bool *closed)
{
    self->len = 0;
    self->buf[0] = '\0';
    char *end;
    while (!(end = strstr(self->buf, "\r\n\r\n"))) {
        if (read_more(self) <= 0) {
            *closed = true;
            return 0;
        }
    }
    self->body_at = (size_t) (end + 4 - self->buf);
    int status = 0;
    if (sscanf(self->buf, "HTTP/1.%*d %d", &status) != 1)
        return 0;
    char v[LOCATION_BYTES];
    if (header(self->buf, "Transfer-Encoding", v, sizeof v))
        return 0;  /* chunked: the console's pages are sent whole */
    long long length = header(self->buf, "Content-Length", v, sizeof v) ? atoll(v) : -1;
    *closed = header(self->buf, "Connection", v, sizeof v) && strcasecmp(v, "close") == 0;
    self->location[0] = '\0';
    header(self->buf, "Location", self->location, sizeof self->location);
    keep_cookie(self, self->buf);
    while (length < 0 || self->len - self->body_at < (size_t) length) {
        ssize_t r = read_more(self);
        if (r < 0 || (r == 0 && length >= 0))
            return 0;
        if (r == 0) {
            *closed = true;
            break;
        }
    }
    return status;
}

static int
attempt(bench_http_t *self, const char *req, size_t n, bool *retry)
{
    *retry = false;
    bool reused = self->fd >= 0;
    if (!reused && connect_loopback(self) != 0)
        return 0;
    bool closed = false;
    int status = send_all(self->fd, req, n) == 0 ? read_response(self, &closed) : 0;
    if (closed || status == 0)
        disconnect(self);
    *retry = reused && status == 0 && self->len == 0;  /* an idle keep-alive closed by the server */
    return status;
}

int
bench_http_request(bench_http_t *self, const char *path, const char *body)
{
    char req[REQUEST_BYTES];
    int n;
    if (body)
        n = snprintf(req, sizeof req,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nCookie: " COOKIE_NAME "=%s\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
                     path, self->port, self->cookie, strlen(body), body);
    else
        n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nCookie: " COOKIE_NAME "=%s\r\n\r\n",
                     path, self->port, self->cookie);
    if (n < 0 || (size_t) n >= sizeof req)
        return 0;
    bool retry;
    int status = attempt(self, req, (size_t) n, &retry);
    if (retry)
        status = attempt(self, req, (size_t) n, &retry);
    return status;
}

const char *
bench_http_body(const bench_http_t *self)
{
    return self->buf + (self->body_at <= self->len ? self->body_at : self->len);
}

const char *
bench_http_location(const bench_http_t *self)
{
    return self->location;
}

int
bench_http_field(const bench_http_t *self, const char *name, char *out, size_t size)
{
    char mark[LOCATION_BYTES];
    snprintf(mark, sizeof mark, "name=\"%s\" value=\"", name);
    const char *at = strstr(bench_http_body(self), mark);
    if (!at)
        return -1;
    at += strlen(mark);
    snprintf(out, size, "%.*s", (int) strcspn(at, "\""), at);
    return 0;
}

void
bench_http_escape(const char *text, char *out, size_t size)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *) text; *p && o + 4 < size; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            out[o++] = (char) *p;
        } else {
            out[o++] = '%';
            out[o++] = HEX[*p >> 4];
            out[o++] = HEX[*p & 0xF];
        }
    }
    out[o] = '\0';
}
