/* cli_dispatch.c - the command table and the way into it. */
#include "cli_dispatch.h"
#include "cli_admin.h"
#include "cli_balance.h"
#include "cli_categories.h"
#include "cli_donate.h"
#include "cli_import.h"
#include "cli_keygen.h"
#include "cli_life.h"
#include "cli_lookup.h"
#include "cli_member.h"
#include "cli_names.h"
#include "cli_operator.h"
#include "cli_parse.h"
#include "cli_queue.h"
#include "cli_reconcile.h"
#include "cli_report.h"
#include "cli_rules.h"
#include "cli_save.h"
#include "cli_statement.h"
#include "cli_passbook.h"
#include "cli_suggest.h"
#include "hb_assert.h"
#include "hb_i18n.h"

#include <string.h>
#include <sysexits.h>

#ifndef HB_VERSION
#define HB_VERSION "unknown"
#endif
/* Column where command summaries start in `hourbank --help` (a longer
 * name pushes its summary one space past it). */
#define SUMMARY_COLUMN 18

static const hb_cli_command_t *const commands[] = {
    &hb_cli_member_add,      &hb_cli_member_show,    &hb_cli_member_find,   &hb_cli_life_amend,
    &hb_cli_life_move,       &hb_cli_life_leave,     &hb_cli_save_record,
    &hb_cli_save_gift,       &hb_cli_donate_donate,  &hb_cli_save_void,     &hb_cli_balance_balance,
    &hb_cli_statement_statement, &hb_cli_passbook_passbook,
    &hb_cli_queue_queue,     &hb_cli_queue_dismiss,  &hb_cli_lookup_show,   &hb_cli_lookup_find,
    &hb_cli_queue_status,    &hb_cli_reconcile_reconcile, &hb_cli_categories_list, &hb_cli_rules_rules,   &hb_cli_operator_add, &hb_cli_operator_list,
    &hb_cli_operator_disable, &hb_cli_operator_unlock, &hb_cli_import_members, &hb_cli_import_balances,
    &hb_cli_admin_stations,  &hb_cli_admin_verify,   &hb_cli_keygen_keygen,
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

const hb_cli_command_t *const *
hb_cli_dispatch_commands(size_t *count)
{
    hb_assert(count);
    *count = COMMAND_COUNT;
    return commands;
}

/* The command named by argv's first word, or its first two; *words says
 * how many words the name took. NULL if none. */
static const hb_cli_command_t *
find_command(int argc, char **argv, int *words)
{
    for (size_t i = 0; argc >= 2 && i < COMMAND_COUNT; i++) {
        const char *name = commands[i]->name, *space = strchr(name, ' ');
        if (space && strncmp(name, argv[0], (size_t) (space - name)) == 0 && argv[0][space - name] == '\0' &&
            strcmp(space + 1, argv[1]) == 0) {
            *words = 2;
            return commands[i];
        }
    }
    for (size_t i = 0; argc >= 1 && i < COMMAND_COUNT; i++) {
        if (strcmp(commands[i]->name, argv[0]) == 0) {
            *words = 1;
            return commands[i];
        }
    }
    return NULL;
}

/* "member" alone: the first word of commands that take two. */
static bool
is_group(const char *word)
{
    size_t len = strlen(word);
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strncmp(commands[i]->name, word, len) == 0 && commands[i]->name[len] == ' ')
            return true;
    return false;
}

static void
print_group(FILE *out, const char *title, hb_cli_target_t target)
{
    fprintf(out, "\n%s\n", title);
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (commands[i]->target == target)
            fprintf(out, "  %-*s %s\n", SUMMARY_COLUMN - 3, commands[i]->name, _(commands[i]->summary));
}

static void
print_help(FILE *out)
{
    fprintf(out, _("usage: hourbank [--station ENDPOINT | -c FILE] [--admin FILE] [--json] COMMAND [ARGS]\n\n"
                 "The hourbank time bank's tool for station operators and district IT. Station commands\n"
                 "talk to the hourbank-station daemon on this PC and keep working when the network is\n"
                 "down; admin commands talk to central with an admin key.\n"));
    print_group(out, _("station commands:"), HB_CLI_TARGET_STATION);
    print_group(out, _("admin commands (central, with admin.yaml):"), HB_CLI_TARGET_CENTRAL);
    print_group(out, _("local commands:"), HB_CLI_TARGET_NONE);
    fprintf(out, _("\nMember numbers look like QX03-000127-6; durations like 1h30m, 90m or 2h; operation\n"
                 "references like 1:42 (station 1, seq 42). Every command takes --json and --help.\n"
                 "Every save is recorded under its operator: --operator NAME, or the station's\n"
                 "default_operator (see hourbank operator list).\n"
                 "A save the station did not answer in time may have been saved: hourbank exits 75 and\n"
                 "says how to look for it and how to retry it with --request-id, saving it at most once.\n"
                 "Run hourbank COMMAND --help for its options; see hourbank(1) for exit codes.\n"));
}

/* "add, show or find" for group "member". */
static void
group_members(const char *group, char *buf, size_t size)
{
    size_t len = strlen(group), n = 0, o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        n += strncmp(commands[i]->name, group, len) == 0 && commands[i]->name[len] == ' ';
    for (size_t i = 0, k = 0; i < COMMAND_COUNT && o < size; i++) {
        if (strncmp(commands[i]->name, group, len) != 0 || commands[i]->name[len] != ' ')
            continue;
        k++;
        o += (size_t) snprintf(buf + o, size - o, "%s%s", k == 1 ? "" : (k == n ? _(" or ") : _(", ")),
                               commands[i]->name + len + 1);
    }
}

/* `hourbank member --help`: the group's subcommands, each with its summary. */
static void
print_group_help(FILE *out, const char *group)
{
    size_t len = strlen(group);
    fprintf(out, _("usage: hourbank %s SUBCOMMAND [ARGS]\n\nsubcommands:\n"), group);
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strncmp(commands[i]->name, group, len) == 0 && commands[i]->name[len] == ' ')
            fprintf(out, "  %-*s %s\n", SUMMARY_COLUMN - 3, commands[i]->name + len + 1, _(commands[i]->summary));
    fprintf(out, _("\nRun hourbank %s SUBCOMMAND --help for its options.\n"), group);
}

/* "-h" or "--help". */
static bool
is_help(const char *word)
{
    return strcmp(word, "-h") == 0 || strcmp(word, "--help") == 0;
}

/* The command, or with group the subcommand, closest to word: into buf,
 * or NULL when none is close or two are as close. */
static const char *
suggest(const char *group, const char *word, char *buf, size_t size)
{
    hb_cli_suggest_t s;
    hb_cli_suggest_init(&s, word, strlen(word));
    size_t len = group ? strlen(group) : 0;
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        const char *name = commands[i]->name;
        if (!group)
            hb_cli_suggest_consider(&s, name, strcspn(name, " "));
        else if (strncmp(name, group, len) == 0 && name[len] == ' ')
            hb_cli_suggest_consider(&s, name + len + 1, strlen(name + len + 1));
    }
    if (!group)
        hb_cli_suggest_consider(&s, "help", strlen("help"));
    return hb_cli_suggest_best(&s, buf, size);
}

static int
unknown_command(hb_cli_t *cli, int argc, char **argv)
{
    char echo[HB_CLI_TEXT_BYTES_MAX], subs[HB_CLI_TEXT_BYTES_MAX], near[HB_CLI_SUGGEST_BYTES_MAX + 1];
    cli->command = NULL;
    if (!is_group(argv[0])) {
        hb_cli_parse_quote(echo, sizeof echo, argv[0]);
        if (suggest(NULL, argv[0], near, sizeof near))
            return hb_cli_report_usage(cli, _("%s is not a command; did you mean %s?"), echo, near);
        return hb_cli_report_usage(cli, _("%s is not a command"), echo);
    }
    group_members(argv[0], subs, sizeof subs);
    if (argc >= 2 && argv[1][0] != '-') {
        hb_cli_parse_quote(echo, sizeof echo, argv[1]);
        if (suggest(argv[0], argv[1], near, sizeof near))
            return hb_cli_report_usage(cli, _("%s %s is not a command: %s takes %s; did you mean %s?"), argv[0], echo,
                                       argv[0], subs, near);
        return hb_cli_report_usage(cli, _("%s %s is not a command: %s takes %s"), argv[0], echo, argv[0], subs);
    }
    return hb_cli_report_usage(cli, _("%s needs a subcommand: %s"), argv[0], subs);
}

/* `hourbank help [COMMAND]`. */
static int
run_help(hb_cli_t *cli, int argc, char **argv)
{
    int words = 0;
    const hb_cli_command_t *command = argc > 0 ? find_command(argc, argv, &words) : NULL;
    if (argc == 1 && !command && is_group(argv[0])) {
        print_group_help(cli->out, argv[0]);
        return 0;
    }
    if (argc > 0 && (!command || words != argc))
        return unknown_command(cli, argc, argv);
    if (command)
        hb_cli_command_help(command, cli->out);
    else
        print_help(cli->out);
    return 0;
}

int
hb_cli_dispatch_run(hb_cli_t *cli, int argc, char **argv)
{
    hb_assert(cli && argc >= 1 && argv);
    argc--, argv++;
    int consumed = 0;
    bool help = false, version = false;
    int rc = hb_cli_command_parse_global(cli, argc, argv, &consumed, &help, &version);
    if (rc != 0)
        return rc;
    argc -= consumed, argv += consumed;
    if (version) {
        fprintf(cli->out, _("hourbank %s\n"), HB_VERSION);
        return 0;
    }
    if (argc == 0 && help) {
        print_help(cli->out);
        return 0;
    }
    if (argc == 0)
        return hb_cli_report_usage(cli, _("no command given"));
    if (strcmp(argv[0], "help") == 0)
        return run_help(cli, argc - 1, argv + 1);
    int words = 0;
    const hb_cli_command_t *command = find_command(argc, argv, &words);
    if (!command && is_group(argv[0]) && (help ? argc == 1 : argc == 2 && is_help(argv[1]))) {
        print_group_help(cli->out, argv[0]);
        return 0;
    }
    /* "queue dismis": a word after a command that takes none, which is
     * also a group, is a mistyped subcommand */
    if (!command || (words == 1 && argc >= 2 && argv[1][0] != '-' && command->operands_max == 0 && is_group(argv[0])))
        return unknown_command(cli, argc, argv);
    if (help) {
        hb_cli_command_help(command, cli->out);
        return 0;
    }
    rc = hb_cli_command_run(cli, command, argc - words, argv + words);
    hb_cli_names_free(cli);
    return rc;
}
