/* cli_main.c - `hourbank`, the command-line tool: sets up the run's context
 * on stdout and stderr and hands over to the dispatcher. */
#include "cli.h"
#include "cli_dispatch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

int
main(int argc, char **argv)
{
    hb_cli_t cli = {
        .out = stdout,
        .err = stderr,
        .timeout_ms = HB_CLI_REPLY_TIMEOUT_MS,
    };
    int rc = hb_cli_dispatch_run(&cli, argc, argv);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "hourbank: could not write the output: %s\n", strerror(errno));
        return rc ? rc : EX_IOERR;
    }
    return rc;
}
