/* cli_zone.h - the time zone the CLI reads dates in and prints times in.
 *
 * Days are the local days of the station's district (PROTOCOL.md, "Time
 * and days"): `record --at "2026-12-04 23:30"` and `statement --since
 * 2026-12-04` mean that wall-clock time in the district, and every time
 * printed is shown there, whatever zone the PC running the CLI is set to.
 * The zone is the one central told the station (asked with a
 * TimeZoneQuery, which the station answers from memory, or read from a
 * QueueReply) or, for admin commands, the city's (StationsReply).
 *
 * It is installed as this process's TZ (setenv + tzset), so the mktime()
 * of cli_parse.c and the localtime_r() of cli_format.c use it with no zone
 * passed around. When the zone is not known (a station that has not
 * reached central since it was set up, an older station or central, or a
 * zone missing from this PC's tzdata) the PC's own zone stays, and one line
 * on stderr says so:
 *   hourbank: note: the station does not know its district's time zone yet
 *   (...); dates and times here are in this computer's time zone (Europe/Berlin)
 */
#ifndef HB_CLI_ZONE_H
#define HB_CLI_ZONE_H

#include <stdbool.h>

#include "cli.h"
#include "hb_i18n.h"

/* Why the zone a station reports is "" (for hb_cli_zone_use, which
 * translates unknown_why). */
#define HB_CLI_ZONE_STATION_UNKNOWN                                                                       \
    N_("the station does not know its district's time zone yet (it learns it from central when it next " \
       "connects)")

/* Reads and prints in zone (borrowed) from now on. zone "": not known;
 * unknown_why then says why in the note, e.g. "the station does not know
 * its district's time zone yet". Returns true when zone is in force. */
bool hb_cli_zone_use(hb_cli_t *cli, const char *zone, const char *unknown_why);

/* Asks the station for its district's zone and uses it. Returns 0 (the
 * zone in force, or the note printed), or an exit code after reporting
 * when the station does not answer (the command cannot go on either). */
int hb_cli_zone_ask_station(hb_cli_t *cli);

#endif
