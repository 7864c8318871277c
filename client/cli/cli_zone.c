/* cli_zone.c - the district's (or the city's) time zone as this process's TZ. */
#include "cli_zone.h"
#include "cli_format.h"
#include "cli_target.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"
#include "hb_zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Where a PC's own zone is set when TZ is not, and the part of that link's
 * target that names it ("/usr/share/zoneinfo/Europe/Berlin"). */
#define LOCALTIME_PATH "/etc/localtime"
#define ZONEINFO_PART "zoneinfo/"
#define TZ_ENV "TZ"

/* The zone this PC is set to, in words: TZ, else what /etc/localtime
 * names, else "its default". */
static void
machine_zone(char *buf, size_t size)
{
    const char *tz = getenv(TZ_ENV);
    char link[HB_PATH_BYTES_MAX];
    const char *name = NULL;
    if (tz && tz[0]) {
        name = tz[0] == ':' ? tz + 1 : tz;
    } else {
        ssize_t n = readlink(LOCALTIME_PATH, link, sizeof link - 1);
        link[n > 0 ? n : 0] = '\0';
        name = strstr(link, ZONEINFO_PART) ? strstr(link, ZONEINFO_PART) + strlen(ZONEINFO_PART) : NULL;
    }
    hb_cli_format_line(buf, size, name && name[0] ? name : _("its default"));
}

/* One line on stderr, once per run: the PC's zone is used, and why. */
static void
note_machine_zone(hb_cli_t *cli, const char *why)
{
    if (cli->zone_noted)
        return;
    cli->zone_noted = true;
    char zone[HB_CLI_TEXT_BYTES_MAX];
    machine_zone(zone, sizeof zone);
    fprintf(cli->err, _("hourbank: note: %s; dates and times here are in this computer's time zone (%s)\n"), why, zone);
}

bool
hb_cli_zone_use(hb_cli_t *cli, const char *zone, const char *unknown_why)
{
    hb_assert(cli && zone && unknown_why);
    if (!zone[0]) {
        note_machine_zone(cli, _(unknown_why));
        return false;
    }
    if (!hb_zone_installed(zone)) {  /* glibc would fall back to UTC without a word */
        char why[HB_CLI_TEXT_BYTES_MAX];
        snprintf(why, sizeof why, _("the time zone %s is not installed on this computer (install the tzdata package)"),
                 zone);
        note_machine_zone(cli, why);
        return false;
    }
    if (setenv(TZ_ENV, zone, 1) != 0) {
        note_machine_zone(cli, _("the time zone could not be set (out of memory)"));
        return false;
    }
    tzset();
    return true;
}

int
hb_cli_zone_ask_station(hb_cli_t *cli)
{
    hb_assert(cli);
    Hourbank__TimeZoneQuery q;
    hourbank__time_zone_query__init(&q);
    Hourbank__Envelope req, *reply = NULL;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_TIME_ZONE_QUERY;
    req.time_zone_query = &q;
    int rc = hb_cli_target_station(cli, &req, &reply);
    if (rc != 0)
        return rc;
    if (reply->body_case == HOURBANK__ENVELOPE__BODY_TIME_ZONE_REPLY)
        hb_cli_zone_use(cli, reply->time_zone_reply->time_zone, HB_CLI_ZONE_STATION_UNKNOWN);
    else  /* an ErrorReply: a station older than the question */
        note_machine_zone(cli, _("the station does not say its district's time zone (it runs an older "
                                 "hourbank-station)"));
    hb_wire_free(&reply);
    return 0;
}
