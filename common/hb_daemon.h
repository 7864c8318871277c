/* hb_daemon.h - the command line both daemons share:
 *   -c, --config FILE   --check-config   -v, --verbose   -h, --help */
#ifndef HB_DAEMON_H
#define HB_DAEMON_H

#include <stdbool.h>
#include <stdio.h>

typedef struct {
    const char *config_path;  /* borrowed from argv, or the default */
    bool check;               /* --check-config */
    bool verbose;             /* -v */
} hb_daemon_args_t;

/* Parses the options; operands start at optind afterwards. Returns -1 to go
 * on, or the exit status to return at once (0 after --help, EX_USAGE after
 * a bad option, both with usage() printed). */
int hb_daemon_args(int argc, char **argv, const char *default_config, void (*usage)(FILE *),
                   hb_daemon_args_t *out);

#endif
