/* hourbank-station: one community station's daemon. Parses arguments,
 * loads the configuration and hands over to the event loop. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "hb_config.h"
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
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"check-config", no_argument, NULL, 'C'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *path = DEFAULT_CONFIG;
    int check = 0, verbose = 0, c;
    while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': path = optarg; break;
        case 'C': check = 1; break;
        case 'v': verbose = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EX_USAGE;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return EX_USAGE;
    }
    hb_config_errors_t *errors = calloc(1, sizeof *errors);
    hb_station_conf_t *conf = errors ? hb_station_conf_load(path, errors) : NULL;
    if (!conf && errors)
        hb_config_errors_print(errors, stderr);
    free(errors);
    if (!conf)
        return EX_CONFIG;
    if (check) {
        printf("configuration OK\n");
        hb_station_conf_destroy(&conf);
        return 0;
    }
    hb_log_level_t level = HB_LOG_INFO;
    hb_log_level_parse(conf->log_level, &level);
    hb_log_open("hourbank-station", verbose ? HB_LOG_DEBUG : level);
    hb_station_t *station = hb_station_new(path, conf);
    if (!station)
        return EX_UNAVAILABLE;
    int rc = hb_station_run(station);
    hb_station_destroy(&station);
    return rc;
}
