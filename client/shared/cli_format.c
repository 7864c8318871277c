/* cli_format.c - human output of durations, times and references. */
#include "cli_format.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hourbank.pb-c.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MINUTES_PER_HOUR 60
#define SECONDS_PER_MINUTE 60
#define HOURS_PER_DAY 24
#define SECONDS_PER_OFFSET_HOUR 3600
/* Ages under this many seconds are "just now". */
#define AGO_JUST_NOW_S 60

char *
hb_cli_format_duration(char *buf, size_t size, int64_t minutes, bool sign)
{
    hb_assert(buf && size > 0);
    const char *prefix = minutes < 0 ? "-" : (sign && minutes > 0 ? "+" : "");
    /* the magnitude as unsigned: -INT64_MIN does not fit an int64 */
    uint64_t m = minutes < 0 ? (uint64_t) 0 - (uint64_t) minutes : (uint64_t) minutes;
    unsigned long long h = m / MINUTES_PER_HOUR, rest = m % MINUTES_PER_HOUR;
    if (h && rest)
        snprintf(buf, size, _("%s%llu h %llu min"), prefix, h, rest);
    else if (h)
        snprintf(buf, size, _("%s%llu h"), prefix, h);
    else
        snprintf(buf, size, _("%s%llu min"), prefix, rest);
    return buf;
}

/* localtime_r of t; false if t is out of time_t's or struct tm's range. */
static bool
local_tm(int64_t t, struct tm *tm)
{
    time_t tt = (time_t) t;
    return (int64_t) tt == t && localtime_r(&tt, tm) != NULL;
}

char *
hb_cli_format_time(char *buf, size_t size, int64_t t)
{
    hb_assert(buf && size > 0);
    struct tm tm;
    if (t == 0)
        snprintf(buf, size, "%s", _("never"));
    else if (!local_tm(t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M", &tm) == 0)
        snprintf(buf, size, "@%" PRId64, t);
    return buf;
}

char *
hb_cli_format_time_rfc3339(char *buf, size_t size, int64_t t)
{
    hb_assert(buf && size > 0);
    struct tm tm;
    buf[0] = '\0';
    if (t == 0 || !local_tm(t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        return buf;
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    off = labs(off);
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "%c%02ld:%02ld", sign, off / SECONDS_PER_OFFSET_HOUR,
             off % SECONDS_PER_OFFSET_HOUR / SECONDS_PER_MINUTE);
    return buf;
}

char *
hb_cli_format_ago(char *buf, size_t size, int64_t t, int64_t now)
{
    hb_assert(buf && size > 0);
    if (t == 0) {
        snprintf(buf, size, "%s", _("never"));
        return buf;
    }
    int64_t d = now - t;
    bool future = d < 0;
    uint64_t s = future ? (uint64_t) 0 - (uint64_t) d : (uint64_t) d;
    if (s < AGO_JUST_NOW_S) {
        snprintf(buf, size, "%s", _("just now"));
        return buf;
    }
    uint64_t m = s / SECONDS_PER_MINUTE;
    unsigned long long h = m / MINUTES_PER_HOUR, days = h / HOURS_PER_DAY;
    char span[HB_CLI_FORMAT_BYTES];
    if (days && h % HOURS_PER_DAY)
        snprintf(span, sizeof span, _("%llu d %llu h"), days, h % HOURS_PER_DAY);
    else if (days)
        snprintf(span, sizeof span, _("%llu d"), days);
    else
        hb_cli_format_duration(span, sizeof span, (int64_t) m, false);
    if (future)
        snprintf(buf, size, _("in %s"), span);
    else
        snprintf(buf, size, _("%s ago"), span);
    return buf;
}

char *
hb_cli_format_op_ref(char *buf, size_t size, uint32_t station_id, uint64_t seq)
{
    hb_assert(buf && size > 0);
    if (station_id)
        snprintf(buf, size, "%" PRIu32 ":%" PRIu64, station_id, seq);
    else
        snprintf(buf, size, _("seq %llu"), (unsigned long long) seq);
    return buf;
}

char *
hb_cli_format_line(char *buf, size_t size, const char *text)
{
    hb_assert(buf && size > 0);
    snprintf(buf, size, "%s", text ? text : "");
    for (char *p = buf; *p; p++)
        if ((unsigned char) *p < 0x20 || *p == 0x7F)
            *p = ' ';
    return buf;
}

const char *
hb_cli_format_role(int role)
{
    switch (role) {
    case HOURBANK__ROLE__VOLUNTEER: return N_("volunteer");
    case HOURBANK__ROLE__ELDER: return N_("elder");
    case HOURBANK__ROLE__BOTH: return N_("both");
    default: return N_("unknown");
    }
}
