#include "hb_daemon.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sysexits.h>

#include "hb_assert.h"
#include "hb_log.h"

#ifndef HB_VERSION
#define HB_VERSION "unknown"
#endif

/* "hourbank-station 0.1.0": the program's name as it was run (GNU's
 * program_invocation_short_name, argv[0] without its directory) and the
 * version CMake's project() defines once for all programs. */
static void
print_version(void)
{
    printf("%s %s\n", program_invocation_short_name, HB_VERSION);
}

/* optstring "c:vhV", or "+c:vhV" to stop at the first operand. */
static int
args_parse(int argc, char **argv, const char *optstring, const char *default_config, void (*usage)(FILE *),
           hb_daemon_args_t *out)
{
    hb_assert(argv && optstring && default_config && usage && out);
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"check-config", no_argument, NULL, 'C'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    *out = (hb_daemon_args_t){default_config, false, false};
    int c;
    while ((c = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
        switch (c) {
        case 'c': out->config_path = optarg; break;
        case 'C': out->check = true; break;
        case 'v': out->verbose = true; break;
        case 'h': usage(stdout); return 0;
        case 'V': print_version(); return 0;
        default: usage(stderr); return EX_USAGE;
        }
    }
    return -1;
}

int
hb_daemon_args(int argc, char **argv, const char *default_config, void (*usage)(FILE *), hb_daemon_args_t *out)
{
    return args_parse(argc, argv, "c:vhV", default_config, usage, out);
}

int
hb_daemon_args_command(int argc, char **argv, const char *default_config, void (*usage)(FILE *),
                       hb_daemon_args_t *out)
{
    return args_parse(argc, argv, "+c:vhV", default_config, usage, out);
}

void
hb_daemon_signals(void (*handler)(int))
{
    hb_assert(handler);
    struct sigaction sa = {0};
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void
hb_daemon_log_open(const char *ident, const char *level_text, bool verbose)
{
    hb_assert(ident && level_text);
    hb_log_level_t level = HB_LOG_INFO;
    hb_log_level_parse(level_text, &level);
    hb_log_open(ident, verbose ? HB_LOG_DEBUG : level);
}
