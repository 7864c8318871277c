/* station_day.c - local days in a district's zone. glibc converts in the
 * process's zone only, so TZ is switched for the call (the station is
 * single-threaded) and put back. */
#include "station_day.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hb_assert.h"
#include "hb_limits.h"
#include "hb_zone.h"

#define TZ_ENV "TZ"
#define TM_YEAR_BASE 1900
#define TM_YEAR_MAX 9999

/* The local time of t in zone, and (bounds) the instants its day and the
 * next begin; TZ put back as it was. */
static bool
local(const char *zone, int64_t t, struct tm *tm, bool bounds, int64_t *start, int64_t *end)
{
    if (!hb_zone_installed(zone))
        return false;
    const char *was = getenv(TZ_ENV);
    char saved[HB_PATH_BYTES_MAX] = "";
    bool had = was != NULL;
    if (had)
        snprintf(saved, sizeof saved, "%s", was);
    setenv(TZ_ENV, zone, 1);
    tzset();
    time_t tt = (time_t) t;
    bool ok = localtime_r(&tt, tm) != NULL;
    if (ok && bounds) {
        struct tm midnight = {.tm_year = tm->tm_year, .tm_mon = tm->tm_mon, .tm_mday = tm->tm_mday, .tm_isdst = -1};
        struct tm next = midnight;
        next.tm_mday++;
        *start = (int64_t) mktime(&midnight);
        *end = (int64_t) mktime(&next);
    }
    if (had)
        setenv(TZ_ENV, saved, 1);
    else
        unsetenv(TZ_ENV);
    tzset();
    return ok;
}

bool
hb_station_day_bounds(const char *zone, int64_t t, char day[HB_STATION_DAY_BYTES], int64_t *start, int64_t *end)
{
    hb_assert(zone && day && start && end);
    struct tm tm;
    if (!local(zone, t, &tm, true, start, end))
        return false;
    return strftime(day, HB_STATION_DAY_BYTES, "%Y-%m-%d", &tm) != 0 && tm.tm_year + TM_YEAR_BASE <= TM_YEAR_MAX;
}

bool
hb_station_day(const char *zone, int64_t t, char day[HB_STATION_DAY_BYTES], int32_t *year)
{
    hb_assert(zone && day && year);
    struct tm tm;
    if (!local(zone, t, &tm, false, NULL, NULL))
        return false;
    int year_ = tm.tm_year + TM_YEAR_BASE;
    if (year_ < 0 || year_ > TM_YEAR_MAX)
        return false;  /* not a four-digit year: beyond HB_OCCURRED_AT_S_MAX */
    if (strftime(day, HB_STATION_DAY_BYTES, "%Y-%m-%d", &tm) == 0)
        return false;
    *year = tm.tm_year + TM_YEAR_BASE;
    return true;
}
