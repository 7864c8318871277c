#include "hb_log.h"
#include "hb_assert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_ident = "hourbank";
static hb_log_level_t log_max = HB_LOG_INFO;
static int log_journal;

void
hb_log_open(const char *ident, hb_log_level_t max_level)
{
    log_ident = ident;
    log_max = max_level;
    log_journal = getenv("JOURNAL_STREAM") != NULL || getenv("HB_LOG_JOURNAL") != NULL;
}

void
hb_log_set_level(hb_log_level_t max_level)
{
    log_max = max_level;
}

int
hb_log_level_parse(const char *text, hb_log_level_t *out)
{
    static const struct {
        const char *name;
        hb_log_level_t level;
    } names[] = {
        {"error", HB_LOG_ERROR}, {"warn", HB_LOG_WARN}, {"info", HB_LOG_INFO}, {"debug", HB_LOG_DEBUG}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(text, names[i].name) == 0) {
            *out = names[i].level;
            return 0;
        }
    }
    return -1;
}

static const char *
level_name(hb_log_level_t level)
{
    switch (level) {
    case HB_LOG_ERROR: return "error";
    case HB_LOG_WARN: return "warn";
    case HB_LOG_INFO: return "info";
    case HB_LOG_DEBUG: return "debug";
    }
    return "?";
}

void
hb_log(hb_log_level_t level, const char *fmt, ...)
{
    if (level > log_max)
        return;
    char line[2048];
    int off;
    if (log_journal) {
        off = snprintf(line, sizeof line, "<%d>%s: ", (int) level, level_name(level));
    } else {
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        off = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%ld] %s: ",
                       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                       tm.tm_sec, ts.tv_nsec / 1000000, log_ident, (long) getpid(), level_name(level));
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + off, sizeof line - (size_t) off, fmt, ap);
    va_end(ap);
    size_t len = strlen(line);
    for (size_t i = (size_t) off; i < len; i++)  /* one record, one line (result values are lines) */
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    if (len == sizeof line - 1)
        len--;  /* truncated: keep room for the newline */
    line[len++] = '\n';
    /* one write per line so lines from several processes do not interleave */
    ssize_t rc = write(STDERR_FILENO, line, len);
    (void) rc;
}

void
hb_assert_fail(const char *expr, const char *file, int line, const char *func)
{
    hb_log_error("assertion failed: %s file=%s line=%d function=%s", expr, file, line, func);
    abort();
}
