/* hourbank-central: the ledger daemon. Parses arguments, loads the
 * configuration, and hands over to the module that does the work. */
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "admin.h"
#include "hb_config.h"
#include "hb_daemon.h"
#include "hb_i18n.h"
#include "hb_log.h"
#include "server.h"

#define DEFAULT_CONFIG "/etc/hourbank/central.yaml"

/* The default path is written out in the help: a msgid is one literal. */
_Static_assert(sizeof DEFAULT_CONFIG == sizeof "/etc/hourbank/central.yaml", "the help states the default");

/* The help in the operator's language (po/); the log stays English. */
static void
usage(FILE *f)
{
    fputs(_("usage: hourbank-central [-c FILE] [--check-config] [COMMAND]\n"
            "\n"
            "commands:\n"
            "  run        serve stations (default)\n"
            "  migrate    create or upgrade the ledger schema in PostgreSQL\n"
            "  verify     check that balances sum to zero and match the transfers\n"
            "\n"
            "options:\n"
            "  -c, --config FILE   configuration file (default /etc/hourbank/central.yaml)\n"
            "      --check-config  check the configuration, print \"configuration OK\" or the errors\n"
            "                      (the file alone: what it drops from the ledger is checked at start)\n"
            "  -v, --verbose       log debug messages\n"
            "  -h, --help          show this help\n"
            "  -V, --version       print the version\n"),
          f);
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
    hb_i18n_init(argv[0]);
    hb_daemon_args_t args;
    int rc = hb_daemon_args(argc, argv, DEFAULT_CONFIG, usage, &args);
    if (rc >= 0)
        return rc;
    const char *cmd = optind < argc ? argv[optind] : "run";
    if (optind + 1 < argc || (strcmp(cmd, "run") && strcmp(cmd, "migrate") && strcmp(cmd, "verify"))) {
        fprintf(stderr, _("hourbank-central: unknown command \"%s\"\n"), cmd);
        usage(stderr);
        return EX_USAGE;
    }
    hb_central_conf_t *conf = load_or_report(args.config_path);
    if (!conf)
        return EX_CONFIG;
    if (args.check) {
        printf("configuration OK\n");
        hb_central_conf_destroy(&conf);
        return 0;
    }
    hb_daemon_log_open("hourbank-central", conf->log_level, args.verbose);
    if (strcmp(cmd, "migrate") == 0 || strcmp(cmd, "verify") == 0) {
        rc = strcmp(cmd, "migrate") == 0 ? hb_admin_migrate(conf) : hb_admin_verify(conf);
        hb_central_conf_destroy(&conf);
        return rc;
    }
    hb_server_t *server = hb_server_new(args.config_path, conf);
    if (!server)
        return EX_UNAVAILABLE;
    rc = hb_server_run(server);
    hb_server_destroy(&server);
    return rc;
}
