/* hourbank-station: one community station's daemon. Parses arguments,
 * loads the configuration and hands over to the event loop, or to the
 * backup and restore commands. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "hb_config.h"
#include "hb_daemon.h"
#include "hb_i18n.h"
#include "hb_log.h"
#include "station.h"
#include "station_file.h"

#define DEFAULT_CONFIG "/etc/hourbank/station.yaml"
/* The commands log warnings and errors only: their output is the report. */
#define COMMAND_LOG_LEVEL "warn"

typedef enum { CMD_RUN, CMD_BACKUP, CMD_RESTORE } cmd_t;

typedef struct {
    cmd_t cmd;
    const char *path;  /* DEST or SRC, borrowed from argv */
    bool force;        /* backup --force */
} cmd_args_t;

static void
usage(FILE *f)
{
    fprintf(f, _("usage: hourbank-station [-c FILE] [--check-config] [-v]\n"
                 "       hourbank-station [-c FILE] backup [--force] DEST\n"
                 "       hourbank-station [-c FILE] restore SRC\n"
                 "\n"
                 "  -c, --config FILE   configuration file (default %s)\n"
                 "      --check-config  check the configuration, print \"configuration OK\" or the errors\n"
                 "  -v, --verbose       log debug messages\n"
                 "  -h, --help          show this help\n"
                 "  -V, --version       print the version\n"
                 "\n"
                 "  backup DEST         copy the outbox to the new file DEST (mode 0600), also while the\n"
                 "                      station runs; --force replaces an existing DEST\n"
                 "  restore SRC         replace the outbox by the backup SRC (the station must be stopped);\n"
                 "                      the replaced outbox is kept beside it, and saves wait until central\n"
                 "                      has confirmed which seqs and member numbers are taken\n"),
            DEFAULT_CONFIG);
}

/* The command after the options, if any: argv[optind..]. 0 or -1. */
static int
cmd_parse(int argc, char **argv, cmd_args_t *out)
{
    *out = (cmd_args_t){CMD_RUN, NULL, false};
    if (optind >= argc)
        return 0;
    const char *name = argv[optind];
    if (strcmp(name, "backup") == 0)
        out->cmd = CMD_BACKUP;
    else if (strcmp(name, "restore") == 0)
        out->cmd = CMD_RESTORE;
    else
        return -1;
    bool options = true;
    for (int i = optind + 1; i < argc; i++) {
        const char *a = argv[i];
        if (options && strcmp(a, "--") == 0)
            options = false;
        else if (options && out->cmd == CMD_BACKUP && strcmp(a, "--force") == 0)
            out->force = true;
        else if ((options && a[0] == '-' && a[1] != '\0') || out->path != NULL)
            return -1;
        else
            out->path = a;
    }
    return out->path ? 0 : -1;
}

static int
run_command(const hb_daemon_args_t *args, const cmd_args_t *cmd, const hb_station_conf_t *conf)
{
    hb_daemon_log_open("hourbank-station", COMMAND_LOG_LEVEL, args->verbose);
    if (cmd->cmd == CMD_BACKUP)
        return hb_station_file_backup(conf, cmd->path, cmd->force);
    return hb_station_file_restore(conf, cmd->path);
}

int
main(int argc, char **argv)
{
    hb_i18n_init(argv[0]);
    hb_daemon_args_t args;
    int rc = hb_daemon_args_command(argc, argv, DEFAULT_CONFIG, usage, &args);
    if (rc >= 0)
        return rc;
    cmd_args_t cmd;
    if (cmd_parse(argc, argv, &cmd) != 0 || (args.check && cmd.cmd != CMD_RUN)) {
        usage(stderr);
        return EX_USAGE;
    }
    hb_config_errors_t *errors = calloc(1, sizeof *errors);
    hb_station_conf_t *conf = !errors      ? NULL
                              : args.check ? hb_station_conf_check(args.config_path, errors)
                                           : hb_station_conf_load(args.config_path, errors);
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
    if (cmd.cmd != CMD_RUN) {
        rc = run_command(&args, &cmd, conf);
        hb_station_conf_destroy(&conf);
        return rc;
    }
    hb_daemon_log_open("hourbank-station", conf->log_level, args.verbose);
    hb_station_t *station = hb_station_new(args.config_path, conf);
    if (!station)
        return EX_UNAVAILABLE;
    rc = hb_station_run(station);
    hb_station_destroy(&station);
    return rc;
}
