/* station_day.h - local days for the station's checks: the date and year
 * of an instant in a district's zone (a tz database name), as central
 * counts a daily limit and a payer rule's age. */
#ifndef HB_STATION_DAY_H
#define HB_STATION_DAY_H

#include <stdbool.h>
#include <stdint.h>

/* "YYYY-MM-DD" and a NUL. */
#define HB_STATION_DAY_BYTES 11

/* The local date (day, "YYYY-MM-DD") and year of instant t (Unix seconds)
 * in zone. false when zone is not an installed tz database name (then
 * nothing is filled). The process's TZ is set for the call and put back:
 * the station is single-threaded. */
bool hb_station_day(const char *zone, int64_t t, char day[HB_STATION_DAY_BYTES], int32_t *year);

/* As hb_station_day, and the instants its local day begins (*start) and
 * the next one begins (*end): [start, end) is the day, 23 or 25 hours long
 * on a summer-time change. */
bool hb_station_day_bounds(const char *zone, int64_t t, char day[HB_STATION_DAY_BYTES], int64_t *start,
                           int64_t *end);

#endif
