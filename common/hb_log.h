/* hb_log.h - the one logging module.
 * One line per event, key=value fields after the message. Writes to stderr;
 * under systemd stderr goes to the journal, and the "<N>" level prefix
 * (sd-daemon(3)) is added when HB_LOG_JOURNAL is set or JOURNAL_STREAM is
 * in the environment. */
#ifndef HB_LOG_H
#define HB_LOG_H

typedef enum {
    HB_LOG_ERROR = 3,
    HB_LOG_WARN = 4,
    HB_LOG_INFO = 6,
    HB_LOG_DEBUG = 7
} hb_log_level_t;

/* ident: borrowed, must outlive all logging (a string literal). */
void hb_log_open(const char *ident, hb_log_level_t max_level);
void hb_log_set_level(hb_log_level_t max_level);
int hb_log_level_parse(const char *text, hb_log_level_t *out);

void hb_log(hb_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define hb_log_error(...) hb_log(HB_LOG_ERROR, __VA_ARGS__)
#define hb_log_warn(...) hb_log(HB_LOG_WARN, __VA_ARGS__)
#define hb_log_info(...) hb_log(HB_LOG_INFO, __VA_ARGS__)
#define hb_log_debug(...) hb_log(HB_LOG_DEBUG, __VA_ARGS__)

#endif
