/* hb_zone.h - time zone names: the tz database names hourbank uses for
 * local days ("Asia/Shanghai", "UTC"), checked the same way wherever one
 * comes in: central.yaml (config/), the wire (proto/hb_wire.c) and the
 * CLI, which installs the station's zone as its TZ.
 *
 * POSIX TZ strings ("UTC+8", whose sign is the reverse of ISO's, or
 * ":/etc/passwd", a file of the reader's choosing) and abbreviations
 * ("CST", which means three different zones) are not names.
 */
#ifndef HB_ZONE_H
#define HB_ZONE_H

#include <stdbool.h>

/* Where the time zone database lives (Debian's tzdata); PostgreSQL built
 * with --with-system-tzdata (Debian's) and glibc read the same files. */
#define HB_ZONE_DIR "/usr/share/zoneinfo/"

/* Whether name is spelled as a tz database name: 1..HB_TIME_ZONE_BYTES_MAX
 * bytes of letters, digits, '/', '_', '-' and '+', not starting with '/'
 * and without ".." or "//". Says nothing of whether the zone exists. */
bool hb_zone_name_ok(const char *name);

/* Whether name is a tz database name (hb_zone_name_ok) with a compiled
 * zone file under HB_ZONE_DIR on this machine. */
bool hb_zone_installed(const char *name);

#endif
