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

bool
hb_station_day(const char *zone, int64_t t, char day[HB_STATION_DAY_BYTES], int32_t *year)
{
    hb_assert(zone && day && year);
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
    struct tm tm;
    bool ok = localtime_r(&tt, &tm) != NULL;
    if (had)
        setenv(TZ_ENV, saved, 1);
    else
        unsetenv(TZ_ENV);
    tzset();
    if (!ok)
        return false;
    int year_ = tm.tm_year + TM_YEAR_BASE;
    if (year_ < 0 || year_ > TM_YEAR_MAX)
        return false;  /* not a four-digit year: beyond HB_OCCURRED_AT_S_MAX */
    if (strftime(day, HB_STATION_DAY_BYTES, "%Y-%m-%d", &tm) == 0)
        return false;
    *year = tm.tm_year + TM_YEAR_BASE;
    return true;
}
