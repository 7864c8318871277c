/* hourbank-central: the ledger daemon. Parses arguments, loads the
 * configuration, and hands over to the module that does the work. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "admin.h"
#include "hb_config.h"
#include "hb_log.h"
#include "server.h"

#define DEFAULT_CONFIG "/etc/hourbank/central.yaml"

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: hourbank-central [-c FILE] [--check-config] [COMMAND]\n"
            "\n"
            "commands:\n"
            "  run        serve stations (default)\n"
            "  migrate    create or upgrade the ledger schema in PostgreSQL\n"
            "  verify     check that balances sum to zero and match the transfers\n"
            "\n"
            "options:\n"
            "  -c, --config FILE   configuration file (default " DEFAULT_CONFIG ")\n"
            "      --check-config  check the configuration, print \"configuration OK\" or the errors\n"
            "  -v, --verbose       log debug messages\n"
            "  -h, --help          show this help\n");
}

static hb_central_conf_t *
load_or_report(const char *path)
{
    hb_config_errors_t *errors = calloc(1, sizeof *errors);
    if (!errors)
        return NULL;
    hb_central_conf_t *conf = hb_central_conf_load(path, errors);
    if (!conf)
        hb_config_errors_print(errors, stderr);
    free(errors);
    return conf;
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
    const char *cmd = optind < argc ? argv[optind] : "run";
    if (optind + 1 < argc || (strcmp(cmd, "run") && strcmp(cmd, "migrate") && strcmp(cmd, "verify"))) {
        fprintf(stderr, "hourbank-central: unknown command \"%s\"\n", cmd);
        usage(stderr);
        return EX_USAGE;
    }
    hb_central_conf_t *conf = load_or_report(path);
    if (!conf)
        return EX_CONFIG;
    if (check) {
        printf("configuration OK\n");
        hb_central_conf_destroy(&conf);
        return 0;
    }
    hb_log_level_t level = HB_LOG_INFO;
    hb_log_level_parse(conf->log_level, &level);
    hb_log_open("hourbank-central", verbose ? HB_LOG_DEBUG : level);
    if (strcmp(cmd, "migrate") == 0 || strcmp(cmd, "verify") == 0) {
        int rc = strcmp(cmd, "migrate") == 0 ? hb_admin_migrate(conf) : hb_admin_verify(conf);
        hb_central_conf_destroy(&conf);
        return rc;
    }
    hb_server_t *server = hb_server_new(path, conf);
    if (!server)
        return EX_UNAVAILABLE;
    int rc = hb_server_run(server);
    hb_server_destroy(&server);
    return rc;
}
