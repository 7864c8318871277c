/* bench_http.h - the smallest HTTP/1.1 client the console benchmark needs:
 * one keep-alive TCP connection to a loopback address, GET and form POST,
 * the session cookie kept from Set-Cookie, responses read whole by their
 * Content-Length. Hand-written rather than libcurl so that the benchmark
 * adds no dependency and times nothing but the request and its answer. */
#ifndef BENCH_HTTP_H
#define BENCH_HTTP_H

#include <stddef.h>

typedef struct bench_http bench_http_t;

/* A client for 127.0.0.1:port (not connected until the first request). */
bench_http_t *bench_http_new(unsigned port);
void bench_http_destroy(bench_http_t **self_p);

/* One request: GET path, or POST path with body (application/x-www-form-
 * urlencoded) when body is not NULL. Returns the status code (0 when the
 * server could not be reached or answered badly). The response's body and
 * Location header are kept until the next request (bench_http_body,
 * bench_http_location); a Set-Cookie of the session replaces the cookie
 * sent from then on. */
int bench_http_request(bench_http_t *self, const char *path, const char *body);
const char *bench_http_body(const bench_http_t *self);
const char *bench_http_location(const bench_http_t *self);

/* The value of the input field name (e.g. the hidden "csrf") in the last
 * body, into out; 0, or -1 when there is none. */
int bench_http_field(const bench_http_t *self, const char *name, char *out, size_t size);

/* text with every byte but [A-Za-z0-9-_.~] as %XX, into out (cut to size). */
void bench_http_escape(const char *text, char *out, size_t size);

#endif
