/* hb_web_limits.h - the bounds of the web server (common/web/), kept
 * beside it; every other bound is in common/hb_limits.h. */
#ifndef HB_WEB_LIMITS_H
#define HB_WEB_LIMITS_H

/* Sessions held at once: a station PC has one or two browsers; the rest
 * is room for stale tabs. When full, the longest idle is dropped. */
#define HB_WEB_SESSIONS_MAX 64
/* Random bytes of a session id and of a CSRF token (256 bits), written as
 * twice as many hex digits. */
#define HB_WEB_TOKEN_BYTES 32
#define HB_WEB_TOKEN_HEX (HB_WEB_TOKEN_BYTES * 2)
/* Fields of one form or query string; the largest form (registration) has
 * about a dozen. */
#define HB_WEB_FIELDS_MAX 64
/* A request's path, decoded. */
#define HB_WEB_PATH_BYTES_MAX 512
/* Memory libmicrohttpd may use per connection for the request line and
 * headers (a browser sends 1-2 KiB; cookies here are one id). */
#define HB_WEB_CONNECTION_BYTES_MAX (32 * 1024)
/* Connections at once, all of them from this PC. */
#define HB_WEB_CONNECTIONS_MAX 64
/* A connection idle this long is closed (seconds). */
#define HB_WEB_CONNECTION_TIMEOUT_S 30
/* The default largest request body: forms of a few fields of at most a
 * few hundred characters each. */
#define HB_WEB_BODY_BYTES_DEFAULT (64 * 1024)
/* A page built in memory before it is sent (the passbook of a long
 * period is the largest, about 1 MiB for 2,000 entries). */
#define HB_WEB_PAGE_BYTES_MAX (8 * 1024 * 1024)
/* One value formatted by hb_web_html (a number). */
#define HB_WEB_NUMBER_BYTES 64
/* A language name: "zh_CN", "en". */
#define HB_WEB_LANG_BYTES 8
/* An operator's name in a session (HB_OPERATOR_BYTES_MAX, common/hb_limits.h). */
#define HB_WEB_NAME_BYTES 256

#endif
