/* hb_web.c - the server: libmicrohttpd with its own polling thread, the
 * checks every request passes before the program's handler, and the
 * headers every answer carries (hb_web.h). */
#include "hb_web_int.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define COOKIE_NAME "hb_session"
#define FORM_TYPE "application/x-www-form-urlencoded"
#define ASSETS_PREFIX "/assets/"
#define HTTP_PREFIX "http://"
#define CSP "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; " \
            "frame-ancestors 'none'; base-uri 'none'"
#define COOKIE_ATTRS "; Path=/; HttpOnly; SameSite=Strict"
#define PORT_MAX 65535
#define DECIMAL 10

/* ---- listening address ---- */

/* "A.B.C.D:PORT" or "[V6]:PORT" into addr; false when it is neither. */
static bool
parse_listen(const char *listen, struct sockaddr_storage *addr, socklen_t *len)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t) (colon - listen) >= sizeof host)
        return false;
    memcpy(host, listen, (size_t) (colon - listen));
    host[colon - listen] = '\0';
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, DECIMAL);
    if (errno || *end || end == colon + 1 || port > PORT_MAX)
        return false;
    memset(addr, 0, sizeof *addr);
    size_t hl = strlen(host);
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *) addr;
        host[hl - 1] = '\0';
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t) port);
        *len = sizeof *a6;
        return inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *) addr;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t) port);
    *len = sizeof *a4;
    return inet_pton(AF_INET, host, &a4->sin_addr) == 1;
}

/* ---- answers ---- */

static void
add_headers(struct MHD_Response *r, const char *type)
{
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "Content-Security-Policy", CSP);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
}

static enum MHD_Result
send_bytes(struct MHD_Connection *conn, unsigned status, const char *type, const void *data, size_t len,
           const char *cookie, const char *location, const char *cache)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *) (uintptr_t) data, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    add_headers(r, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
    if (cookie)
        MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
    if (location)
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* A refusal the library makes itself: a short page in the session's
 * language when there is one. */
static enum MHD_Result
refuse(const hb_web_t *web, struct MHD_Connection *conn, unsigned status, const char *why)
{
    hb_web_buf_t b = {0};
    hb_web_buf_html(&b, "<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\"><title>%u</title>",
                    strcmp(hb_i18n_lang(), "zh_CN") == 0 ? "zh-CN" : "en", status);
    if (web->conf.stylesheet)
        hb_web_buf_html(&b, "<link rel=\"stylesheet\" href=\"%s\">", web->conf.stylesheet);
    hb_web_buf_html(&b, "</head><body><main><p id=\"refused\">%s</p><p><a href=\"/\">%s</a></p></main></body></html>",
                    why, _("back to the start"));
    enum MHD_Result rc = b.failed ? MHD_NO
                                  : send_bytes(conn, status, "text/html; charset=utf-8", b.data, b.len, NULL, NULL,
                                               "no-store");
    hb_web_buf_free(&b);
    return rc;
}

/* ---- the checks before the handler ---- */

/* Is the Host header one of the allowed names (the port aside)? */
static bool
host_allowed(const hb_web_conf_t *conf, const char *host)
{
    if (!host || !host[0])
        return false;
    size_t len;
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        if (!close)
            return false;
        len = (size_t) (close - host) + 1;
    } else {
        len = strcspn(host, ":");
    }
    for (size_t i = 0; i < conf->n_allowed_hosts; i++)
        if (strlen(conf->allowed_hosts[i]) == len && strncasecmp(conf->allowed_hosts[i], host, len) == 0)
            return true;
    return false;
}

/* Does the browser say this POST comes from another site? Origin, when
 * sent and not "null" (a browser sends "null" where its referrer policy
 * hides the origin), must be this very host; Sec-Fetch-Site, when sent,
 * must be same-origin or none. The CSRF token is checked besides. */
static bool
cross_site(struct MHD_Connection *conn, const char *host)
{
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    if (origin && strcmp(origin, "null") != 0) {
        size_t pl = strlen(HTTP_PREFIX);
        if (strncmp(origin, HTTP_PREFIX, pl) != 0 || strcasecmp(origin + pl, host) != 0)
            return true;
    }
    const char *site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
    return site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0;
}

static const hb_web_asset_t *
asset(const hb_web_conf_t *conf, const char *path)
{
    size_t pl = strlen(ASSETS_PREFIX);
    if (strncmp(path, ASSETS_PREFIX, pl) != 0)
        return NULL;
    for (size_t i = 0; i < conf->n_assets; i++)
        if (strcmp(conf->assets[i].name, path + pl) == 0)
            return &conf->assets[i];
    return NULL;
}

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void) kind;
    hb_web_req_t *req = cls;
    return hb_web_form_add(req, key, value ? value : "") ? MHD_YES : MHD_NO;
}

/* ---- one request ---- */

static void
req_free(hb_web_req_t *req)
{
    if (!req)
        return;
    hb_web_buf_free(&req->body);
    hb_web_buf_free(&req->out);
    hb_web_form_free(req);
    free(req->location);
    free(req);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void) cls, (void) conn, (void) toe;
    req_free(*con_cls);
    *con_cls = NULL;
}

static enum MHD_Result
answer(hb_web_req_t *req)
{
    char cookie[sizeof COOKIE_NAME + HB_WEB_TOKEN_HEX + sizeof COOKIE_ATTRS + 2];
    if (req->set_cookie)
        snprintf(cookie, sizeof cookie, COOKIE_NAME "=%s" COOKIE_ATTRS, req->session->id);
    const char *set = req->set_cookie ? cookie : NULL;
    if (req->location)
        return send_bytes(req->conn, MHD_HTTP_SEE_OTHER, "text/plain; charset=utf-8", "", 0, set, req->location,
                          "no-store");
    if (req->out.failed) {
        hb_log_error("web page not sent path=\"%s\": over %d bytes or out of memory", req->path,
                     HB_WEB_PAGE_BYTES_MAX);
        return refuse(req->web, req->conn, MHD_HTTP_INTERNAL_SERVER_ERROR, _("the page could not be made: see the log"));
    }
    return send_bytes(req->conn, req->status, "text/html; charset=utf-8", req->out.data ? req->out.data : "",
                      req->out.len, set, NULL, "no-store");
}

/* The checks of a complete request, then the handler. */
static enum MHD_Result
dispatch(hb_web_t *web, hb_web_req_t *req)
{
    struct MHD_Connection *conn = req->conn;
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, COOKIE_NAME);
    hb_web_session_attach(req, cookie);
    (void) hb_i18n_use(req->session->lang);
    if (req->body_too_big)
        return refuse(web, conn, MHD_HTTP_CONTENT_TOO_LARGE, _("the form is too large"));
    if (req->post && req->expired) {
        /* the session ended while the form was open: sign in again */
        hb_web_redirect(req, "/signin?ended=1");
        return answer(req);
    }
    if (req->post) {
        const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!type || strncasecmp(type, FORM_TYPE, strlen(FORM_TYPE)) != 0)
            return refuse(web, conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, _("only forms can be sent here"));
        if (!hb_web_form_decode(req, req->body.data ? req->body.data : "", req->body.len))
            return refuse(web, conn, MHD_HTTP_BAD_REQUEST, _("the form could not be read"));
        const char *why = cross_site(conn, host) ? "another site sent it"
                          : req->set_cookie      ? "no session (no cookie, or an unknown or ended one)"
                          : !hb_web_csrf_ok(req, hb_web_param(req, "csrf")) ? "not this session's token"
                                                                             : NULL;
        if (why) {
            hb_log_warn("web form refused path=\"%s\": %s", req->path, why);
            return refuse(web, conn, MHD_HTTP_FORBIDDEN,
                          _("this form was refused: it did not come from this site's own page, or it is "
                            "too old; open the page again and send it from there"));
        }
    } else if (MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, req) < 0 ||
               req->too_many_fields) {
        return refuse(web, conn, MHD_HTTP_BAD_REQUEST, _("the address could not be read"));
    }
    req->status = MHD_HTTP_OK;
    web->conf.handler(web->conf.arg, req);
    return answer(req);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method, const char *version,
           const char *upload, size_t *upload_size, void **con_cls)
{
    (void) version;
    hb_web_t *web = cls;
    hb_web_req_t *req = *con_cls;
    if (!req) {
        const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        if (!host_allowed(&web->conf, host)) {
            hb_log_warn("web request refused: host \"%s\" is not an allowed host name", host ? host : "");
            return refuse(web, conn, MHD_HTTP_BAD_REQUEST, _("this address is not this server's"));
        }
        bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
        if (!post && strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
            return refuse(web, conn, MHD_HTTP_METHOD_NOT_ALLOWED, _("this kind of request is not answered here"));
        if (strlen(url) >= HB_WEB_PATH_BYTES_MAX || strchr(url, '\r') || strchr(url, '\n'))
            return refuse(web, conn, MHD_HTTP_URI_TOO_LONG, _("the address is too long"));
        const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length && strtoull(length, NULL, DECIMAL) > web->conf.body_bytes_max)
            return refuse(web, conn, MHD_HTTP_CONTENT_TOO_LARGE, _("the form is too large"));
        const hb_web_asset_t *a = post ? NULL : asset(&web->conf, url);
        if (a)
            return send_bytes(conn, MHD_HTTP_OK, a->type, a->data, a->size, NULL, NULL, "no-cache");
        req = calloc(1, sizeof *req);
        if (!req)
            return MHD_NO;
        req->web = web;
        req->conn = conn;
        req->post = post;
        snprintf(req->path, sizeof req->path, "%s", url);
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (req->body.len + *upload_size > web->conf.body_bytes_max)
            req->body_too_big = true;
        else
            hb_web_buf_add(&req->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    return dispatch(web, req);
}

/* ---- the server ---- */

hb_web_t *
hb_web_start(const hb_web_conf_t *conf, char *msg, size_t msg_size)
{
    hb_assert(conf && conf->handler && conf->listen && conf->default_lang && msg);
    struct sockaddr_storage addr;
    socklen_t addr_len;
    if (!parse_listen(conf->listen, &addr, &addr_len)) {
        snprintf(msg, msg_size, "console_listen \"%s\" is not ADDRESS:PORT with a numeric address", conf->listen);
        return NULL;
    }
    hb_web_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(msg, msg_size, "out of memory");
        return NULL;
    }
    self->conf = *conf;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    self->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, self, MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) HB_WEB_CONNECTION_BYTES_MAX, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned) HB_WEB_CONNECTIONS_MAX, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) HB_WEB_CONNECTION_TIMEOUT_S,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, self, MHD_OPTION_END);
    if (!self->daemon) {
        snprintf(msg, msg_size, "could not listen on \"%s\": %s", conf->listen,
                 errno ? strerror(errno) : "libmicrohttpd refused");
        free(self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : 0;
    (void) addr_len;
    return self;
}

void
hb_web_stop(hb_web_t **self_p)
{
    hb_assert(self_p);
    hb_web_t *self = *self_p;
    if (!self)
        return;
    if (self->daemon)
        MHD_stop_daemon(self->daemon);
    free(self);
    *self_p = NULL;
}

unsigned
hb_web_port(const hb_web_t *self)
{
    return self->port;
}

/* ---- the handler's side ---- */

bool
hb_web_is_post(const hb_web_req_t *req)
{
    return req->post;
}

const char *
hb_web_path(const hb_web_req_t *req)
{
    return req->path;
}

void
hb_web_status(hb_web_req_t *req, unsigned status)
{
    req->status = status;
}

void
hb_web_redirect(hb_web_req_t *req, const char *location)
{
    hb_assert(location && location[0] == '/');
    free(req->location);
    req->location = strdup(location);
    if (!req->location)
        req->out.failed = true;
}

void
hb_web_raw(hb_web_req_t *req, const char *html)
{
    hb_web_buf_add(&req->out, html, strlen(html));
}

void
hb_web_html(hb_web_req_t *req, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hb_web_buf_vhtml(&req->out, fmt, ap);
    va_end(ap);
}

void
hb_web_csrf_field(hb_web_req_t *req)
{
    hb_web_html(req, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", req->session->csrf);
}
