/* cli_dispatch.h - the `hourbank` tool's command table and its entry: the
 * common options before the command, the command's name (one or two words,
 * "balance", "member add"), `hourbank --help`, `hourbank help COMMAND`,
 * `--version`. main() only sets up the context and calls this. */
#ifndef HB_CLI_DISPATCH_H
#define HB_CLI_DISPATCH_H

#include <stddef.h>

#include "cli.h"
#include "cli_command.h"

/* Runs the tool on argv (argv[0] is the program name; borrowed). Returns
 * the process exit status. */
int hb_cli_dispatch_run(hb_cli_t *cli, int argc, char **argv);

/* Every command, in the order `hourbank --help` lists them. Static. */
const hb_cli_command_t *const *hb_cli_dispatch_commands(size_t *count);

#endif
