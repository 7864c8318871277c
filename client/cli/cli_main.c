/* cli_main.c - `hourbank`, the command-line tool: sets up the run's context
 * on stdout and stderr (and the reply timeout from HOURBANK_TIMEOUT_MS) and
 * hands over to the dispatcher. */
#include "cli.h"
#include "cli_dispatch.h"
#include "cli_parse.h"
#include "hb_i18n.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

int
main(int argc, char **argv)
{
    hb_i18n_init(argv[0]);
    hb_cli_t cli = {
        .out = stdout,
        .err = stderr,
        .timeout_ms = HB_CLI_REPLY_TIMEOUT_MS,
    };
    const char *timeout = getenv(HB_CLI_TIMEOUT_ENV);
    char msg[HB_CLI_TEXT_BYTES_MAX];
    if (timeout && hb_cli_parse_timeout_ms(timeout, &cli.timeout_ms, msg, sizeof msg) != 0) {
        fprintf(stderr, _("hourbank: %s: %s\n"), HB_CLI_TIMEOUT_ENV, msg);
        return EX_CONFIG;
    }
    int rc = hb_cli_dispatch_run(&cli, argc, argv);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, _("hourbank: could not write the output: %s\n"), strerror(errno));
        return rc ? rc : EX_IOERR;
    }
    return rc;
}
