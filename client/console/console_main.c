/* hourbank-console: the station's web page for operators. Loads
 * station.yaml (the station's local API endpoint, the console's address,
 * allowed host names, session times, the default language), serves the
 * console on loopback and waits for SIGTERM/SIGINT. */
#include "console.h"
#include "hb_daemon.h"
#include "hb_i18n.h"
#include "hb_log.h"
#include "hb_wire.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#define DEFAULT_CONFIG "/etc/hourbank/station.yaml"
/* How long a page waits for the station's answer: a save is one fsync. */
#define STATION_TIMEOUT_MS 5000

extern const hb_web_asset_t hb_console_assets[];
extern const size_t hb_console_assets_count;

/* The signals the main thread waits for; blocked in every thread (the
 * web server's inherits the mask), so only sigwait() sees them. */
static void
signals_block(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void
usage(FILE *f)
{
    fprintf(f, _("usage: hourbank-console [-c FILE] [--check-config] [-v]\n"
                 "\n"
                 "The station console: the web page operators use, served on this computer\n"
                 "(console_listen of station.yaml). It talks to hourbank-station as the hourbank\n"
                 "command does.\n"
                 "\n"
                 "  -c, --config FILE   the station's configuration file (default %s)\n"
                 "      --check-config  check the configuration, print \"configuration OK\" or the errors\n"
                 "  -v, --verbose       log debug messages\n"
                 "  -h, --help          show this help\n"
                 "  -V, --version       print the version\n"),
            DEFAULT_CONFIG);
}

static hb_station_conf_t *
load(const hb_daemon_args_t *args)
{
    hb_config_errors_t *errors = calloc(1, sizeof *errors);
    hb_station_conf_t *conf = errors ? hb_station_conf_load(args->config_path, errors) : NULL;
    if (!conf && errors)
        hb_config_errors_print(errors, stderr);
    free(errors);
    return conf;
}

static int
serve(const hb_station_conf_t *conf)
{
    char msg[HB_MESSAGE_BYTES_MAX * 2];
    hb_console_t c = {.conf = conf, .timeout_ms = STATION_TIMEOUT_MS};
    c.station = hb_cli_conn_new(conf->ipc_endpoint, NULL, msg, sizeof msg);
    if (!c.station) {
        hb_log_error("console: %s", msg);
        return EX_CONFIG;
    }
    const char *hosts[HB_CONSOLE_HOSTS_MAX];
    size_t n_hosts = 0;
    for (size_t i = 0; i < conf->console_allowed_host_count && i < HB_CONSOLE_HOSTS_MAX; i++)
        hosts[n_hosts++] = conf->console_allowed_hosts[i];
    hb_web_conf_t wc = {
        .listen = conf->console_listen, .allowed_hosts = hosts, .n_allowed_hosts = n_hosts,
        .session_idle_s = conf->console_session_idle_seconds, .session_max_s = conf->console_session_max_seconds,
        .body_bytes_max = HB_WEB_BODY_BYTES_DEFAULT, .default_lang = conf->language,
        .stylesheet = "/assets/console.css", .assets = hb_console_assets, .n_assets = hb_console_assets_count,
        .handler = hb_console_handle, .arg = &c};
    sigset_t set;
    signals_block(&set);
    hb_web_t *web = hb_web_start(&wc, msg, sizeof msg);
    if (!web) {
        hb_log_error("console: %s", msg);
        hb_cli_conn_destroy(&c.station);
        return EX_UNAVAILABLE;
    }
    hb_log_info("console listening address=%s port=%u station=\"%s\"", conf->console_listen, hb_web_port(web),
                conf->ipc_endpoint);
    for (int sig = 0; sig != SIGTERM && sig != SIGINT;)
        if (sigwait(&set, &sig) != 0)
            break;  /* SIGHUP: nothing to reload without a restart */
    hb_log_info("console stopping");
    hb_web_stop(&web);
    hb_cli_conn_destroy(&c.station);
    hb_wire_free(&c.status);
    return 0;
}

int
main(int argc, char **argv)
{
    hb_i18n_init(argv[0]);
    hb_daemon_args_t args;
    int rc = hb_daemon_args(argc, argv, DEFAULT_CONFIG, usage, &args);
    if (rc >= 0)
        return rc;
    if (optind < argc) {
        usage(stderr);
        return EX_USAGE;
    }
    hb_station_conf_t *conf = load(&args);
    if (!conf)
        return EX_CONFIG;
    if (args.check) {
        printf("configuration OK\n");
        hb_station_conf_destroy(&conf);
        return 0;
    }
    hb_i18n_init_all(argv[0], conf->language);
    hb_daemon_log_open("hourbank-console", conf->log_level, args.verbose);
    rc = serve(conf);
    hb_station_conf_destroy(&conf);
    return rc;
}
