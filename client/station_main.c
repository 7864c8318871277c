/* hourbank-station: one community station's daemon. Parses arguments,
 * loads the configuration and hands over to the event loop. */
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <sysexits.h>

#include "hb_config.h"
#include "hb_daemon.h"
#include "hb_log.h"
#include "station.h"

#define DEFAULT_CONFIG "/etc/hourbank/station.yaml"

static void
usage(FILE *f)
{
    fprintf(f, "usage: hourbank-station [-c FILE] [--check-config] [-v]\n"
               "\n"
               "  -c, --config FILE   configuration file (default " DEFAULT_CONFIG ")\n"
               "      --check-config  check the configuration, print \"configuration OK\" or the errors\n"
               "  -v, --verbose       log debug messages\n"
               "  -h, --help          show this help\n");
}

int
main(int argc, char **argv)
{
    hb_daemon_args_t args;
    int rc = hb_daemon_args(argc, argv, DEFAULT_CONFIG, usage, &args);
    if (rc >= 0)
        return rc;
    if (optind < argc) {
        usage(stderr);
        return EX_USAGE;
    }
    hb_config_errors_t *errors = calloc(1, sizeof *errors);
    hb_station_conf_t *conf = errors ? hb_station_conf_load(args.config_path, errors) : NULL;
    if (!conf && errors)
        hb_config_errors_print(errors, stderr);
    free(errors);
    if (!conf)
        return EX_CONFIG;
    if (args.check) {
        printf("configuration OK\n");
        hb_station_conf_destroy(&conf);
        return 0;
    }
    hb_daemon_log_open("hourbank-station", conf->log_level, args.verbose);
    hb_station_t *station = hb_station_new(args.config_path, conf);
    if (!station)
        return EX_UNAVAILABLE;
    rc = hb_station_run(station);
    hb_station_destroy(&station);
    return rc;
}
