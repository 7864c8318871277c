/* cli_command.h - one command of the `hourbank` tool: its options and
 * operands, how they are parsed, and its --help.
 *
 * A command is a constant table; parsing is the same for all of them, so
 * every command has --help, --json and the same error wording. Options are
 * GNU style: "--name VALUE", "--name=VALUE", "-c FILE", "--" ends options;
 * options and operands may be mixed. Besides its own options, a command
 * accepts the common ones: --json and -h/--help always; --station and
 * -c/--config when it talks to a station; --admin when it talks to central.
 */
#ifndef HB_CLI_COMMAND_H
#define HB_CLI_COMMAND_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"

typedef struct {
    const char *name;       /* long name without "--", e.g. "provider"; NULL ends a table */
    char letter;            /* short form, 0 for none */
    const char *value;      /* placeholder of the value, e.g. "MEMBER_NO"; NULL: a flag */
    bool required;
    const char *help;       /* one line */
} hb_cli_opt_t;

typedef enum {
    HB_CLI_TARGET_NONE = 0,   /* works locally (keygen) */
    HB_CLI_TARGET_STATION,    /* asks the local station */
    HB_CLI_TARGET_CENTRAL     /* asks central with an admin key */
} hb_cli_target_t;

typedef struct hb_cli_args hb_cli_args_t;

typedef struct {
    const char *name;            /* "member add" */
    const char *operands;        /* synopsis of the operands, e.g. "MEMBER_NO"; "" for none */
    unsigned operands_min;
    unsigned operands_max;       /* <= HB_CLI_OPERANDS_MAX */
    const char *summary;         /* one line for `hourbank --help` */
    const char *description;     /* paragraph(s) for --help, newline-separated */
    hb_cli_target_t target;
    const hb_cli_opt_t *opts;    /* ended by {NULL}; NULL for none */
    int (*run)(hb_cli_t *cli, const hb_cli_args_t *args);
    /* Names of options that may be given more than once ("--heir A
     * --heir B"), ended by NULL; NULL for none. Read them with
     * hb_cli_command_values(). */
    const char *const *repeatable;
} hb_cli_command_t;

struct hb_cli_args {
    const hb_cli_command_t *command;
    const char *values[HB_CLI_OPTS_MAX];         /* by index in command->opts; "" for a given flag */
    const char *operands[HB_CLI_OPERANDS_MAX];
    unsigned operand_count;
    bool help;                                   /* --help: nothing else was checked */
    /* every value of a repeatable option, in the order typed (the first
     * is also in values[]) */
    struct {
        int index;                               /* in command->opts */
        const char *value;
    } repeats[HB_CLI_REPEATS_MAX];
    unsigned repeat_count;
};

/* Parses the words after the command's name (argv: borrowed, must outlive
 * args). Common options are stored into cli. Returns 0, or an exit code
 * after reporting the error (EX_USAGE). With --help, required options and
 * operand counts are not checked. */
int hb_cli_command_parse(hb_cli_t *cli, const hb_cli_command_t *command, int argc, char **argv,
                         hb_cli_args_t *args);

/* Parses the common options before the command's name: --json, --station,
 * -c, --admin, and also -h/--help and --version (reported in *help and
 * *version). Stops at the first word that is not an option; *consumed is
 * the number of words read. Returns 0, or an exit code after reporting. */
int hb_cli_command_parse_global(hb_cli_t *cli, int argc, char **argv, int *consumed, bool *help, bool *version);

/* Parses and runs: prints --help, or calls command->run. Returns the exit code. */
int hb_cli_command_run(hb_cli_t *cli, const hb_cli_command_t *command, int argc, char **argv);

/* Prints the command's --help text. */
void hb_cli_command_help(const hb_cli_command_t *command, FILE *out);

/* The value of option name (which must be in the command's table; a bug
 * otherwise), or NULL if it was not given. Flags give "" when given. */
const char *hb_cli_command_value(const hb_cli_args_t *args, const char *name);
bool hb_cli_command_flag(const hb_cli_args_t *args, const char *name);

/* Every value given to the repeatable option name, in the order typed,
 * into out (at most max; borrowed from argv); returns how many were
 * given (0 when none). */
size_t hb_cli_command_values(const hb_cli_args_t *args, const char *name, const char **out, size_t max);

#endif
