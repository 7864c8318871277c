/* hb_daemon.h - the command line both daemons share:
 *   -c, --config FILE   --check-config   -v, --verbose   -h, --help   -V, --version */
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
 * on, or the exit status to return at once (0 after --help with usage()
 * printed or after --version with "NAME VERSION" printed; EX_USAGE after a
 * bad option, with usage() printed on stderr). */
int hb_daemon_args(int argc, char **argv, const char *default_config, void (*usage)(FILE *),
                   hb_daemon_args_t *out);

/* As hb_daemon_args, but the options end at the first operand: a command
 * with options of its own ("hourbank-station -c FILE backup --force DEST"). */
int hb_daemon_args_command(int argc, char **argv, const char *default_config, void (*usage)(FILE *),
                           hb_daemon_args_t *out);

/* Routes SIGTERM, SIGINT and SIGHUP to handler (which only sets flags)
 * and ignores SIGPIPE. */
void hb_daemon_signals(void (*handler)(int));

/* Opens the log as ident at the configured level ("info" if level_text is
 * not a level), or at debug with -v. */
void hb_daemon_log_open(const char *ident, const char *level_text, bool verbose);

#endif
