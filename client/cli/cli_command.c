/* cli_command.c - option parsing and --help, the same for every command. */
#include "cli_command.h"
#include "cli_parse.h"
#include "cli_report.h"
#include "cli_utf8.h"
#include "cli_save.h"
#include "cli_suggest.h"
#include "hb_assert.h"
#include "hb_i18n.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* Column where option help starts in --help. */
#define HELP_COLUMN 28

typedef enum { COMMON_JSON = 1, COMMON_HELP, COMMON_STATION, COMMON_CONFIG, COMMON_ADMIN, COMMON_VERSION } common_id_t;

/* Where a common option applies: a mask of 1 << hb_cli_target_t, and
 * GLOBAL_ONLY for options read only before the command. */
#define ALL_TARGETS ((1u << HB_CLI_TARGET_NONE) | (1u << HB_CLI_TARGET_STATION) | (1u << HB_CLI_TARGET_CENTRAL))
#define GLOBAL_ONLY 0u

static const struct {
    hb_cli_opt_t opt;
    unsigned targets;
    common_id_t id;
} common_opts[] = {
    {{"station", 0, N_("ENDPOINT"), false, N_("the station's socket, e.g. ipc:///run/hourbank/station.sock")},
     1u << HB_CLI_TARGET_STATION, COMMON_STATION},
    /* the default paths written out: a msgid is one literal (checked below) */
    {{"config", 'c', N_("FILE"), false, N_("the station's station.yaml (default /etc/hourbank/station.yaml)")},
     1u << HB_CLI_TARGET_STATION, COMMON_CONFIG},
    {{"admin", 0, N_("FILE"), false, N_("admin.yaml: central's address, the admin key (default /etc/hourbank/admin.yaml)")},
     1u << HB_CLI_TARGET_CENTRAL, COMMON_ADMIN},
    {{"json", 0, NULL, false, N_("print one JSON document instead of text")}, ALL_TARGETS, COMMON_JSON},
    {{"help", 'h', NULL, false, N_("show this help")}, ALL_TARGETS, COMMON_HELP},
    {{"version", 'V', NULL, false, N_("print the version")}, GLOBAL_ONLY, COMMON_VERSION},
};
_Static_assert(sizeof HB_CLI_STATION_CONF_DEFAULT == sizeof "/etc/hourbank/station.yaml" &&
               sizeof HB_CLI_ADMIN_CONF_DEFAULT == sizeof "/etc/hourbank/admin.yaml",
               "the default paths in the options' help are the defaults");
#define COMMON_COUNT (sizeof common_opts / sizeof common_opts[0])

typedef struct {
    hb_cli_t *cli;
    const hb_cli_command_t *command;  /* NULL while reading global options */
    hb_cli_args_t *args;              /* NULL while reading global options */
    bool *help;
    bool *version;
} parser_t;

/* An option found by name: either the command's own (index >= 0) or a
 * common one (id). */
typedef struct {
    const hb_cli_opt_t *opt;
    int index;
    common_id_t id;
} found_t;

static size_t
own_count(const hb_cli_command_t *command)
{
    size_t n = 0;
    while (command && command->opts && command->opts[n].name)
        n++;
    return n;
}

static bool
common_applies(const parser_t *p, size_t i)
{
    if (!p->command)
        return true;
    return (common_opts[i].targets & (1u << p->command->target)) != 0;
}

/* Is o spelled "--name" (name_len bytes; letter 0) or "-letter" (name NULL)? */
static bool
opt_is(const hb_cli_opt_t *o, const char *name, size_t name_len, char letter)
{
    if (name)
        return strlen(o->name) == name_len && strncmp(o->name, name, name_len) == 0;
    return letter && o->letter == letter;
}

static bool
find_opt(const parser_t *p, const char *name, size_t name_len, char letter, found_t *out)
{
    size_t own = own_count(p->command);
    for (size_t i = 0; i < own; i++) {
        if (opt_is(&p->command->opts[i], name, name_len, letter)) {
            *out = (found_t){&p->command->opts[i], (int) i, 0};
            return true;
        }
    }
    for (size_t i = 0; i < COMMON_COUNT; i++) {
        if (common_applies(p, i) && opt_is(&common_opts[i].opt, name, name_len, letter)) {
            *out = (found_t){&common_opts[i].opt, -1, common_opts[i].id};
            return true;
        }
    }
    return false;
}

static int
check_endpoint(hb_cli_t *cli, const char *value)
{
    if ((strncmp(value, "ipc://", 6) == 0 || strncmp(value, "tcp://", 6) == 0) && value[6])
        return 0;
    char echo[HB_CLI_TEXT_BYTES_MAX];
    return hb_cli_report_usage(cli, _("--station %s is not an endpoint: write it as ipc:///run/hourbank/station.sock"),
                               hb_cli_parse_quote(echo, sizeof echo, value));
}

static int
store_common(parser_t *p, common_id_t id, const char *value)
{
    hb_cli_t *cli = p->cli;
    switch (id) {
    case COMMON_JSON: cli->json = true; return 0;
    case COMMON_HELP: *p->help = true; return 0;
    case COMMON_VERSION: *p->version = true; return 0;
    case COMMON_STATION: cli->station = value; return check_endpoint(cli, value);
    case COMMON_CONFIG: cli->config_path = value; return 0;
    case COMMON_ADMIN: cli->admin_path = value; return 0;
    }
    hb_unreachable();
}

static bool
is_repeatable(const hb_cli_command_t *command, const char *name)
{
    for (const char *const *r = command->repeatable; r && *r; r++)
        if (strcmp(*r, name) == 0)
            return true;
    return false;
}

static int
store(parser_t *p, const found_t *f, const char *value, const char *spelled)
{
    if (f->index < 0)
        return store_common(p, f->id, value);
    hb_cli_args_t *args = p->args;
    bool repeatable = is_repeatable(p->command, f->opt->name);
    if (args->values[f->index] && !repeatable)
        return hb_cli_report_usage(p->cli, _("%s is given twice"), spelled);
    if (repeatable && args->repeat_count >= HB_CLI_REPEATS_MAX)
        return hb_cli_report_usage(p->cli, _("%s is given too often: at most %d such options in one command"), spelled,
                                   HB_CLI_REPEATS_MAX);
    if (repeatable) {
        args->repeats[args->repeat_count].index = f->index;
        args->repeats[args->repeat_count++].value = value ? value : "";
    }
    if (!args->values[f->index])
        args->values[f->index] = value ? value : "";
    return 0;
}

/* "--json" for "--jsno" (name: name_len bytes after "--"): the closest
 * option that applies here, into buf; NULL when none is close or two are
 * as close. */
static const char *
suggest_option(const parser_t *p, const char *name, size_t name_len, char *buf, size_t size)
{
    hb_cli_suggest_t s;
    char near[HB_CLI_SUGGEST_BYTES_MAX + 1];
    hb_cli_suggest_init(&s, name, name_len);
    for (size_t i = 0; i < own_count(p->command); i++)
        hb_cli_suggest_consider(&s, p->command->opts[i].name, strlen(p->command->opts[i].name));
    for (size_t i = 0; i < COMMON_COUNT; i++)
        if (common_applies(p, i))
            hb_cli_suggest_consider(&s, common_opts[i].opt.name, strlen(common_opts[i].opt.name));
    if (!hb_cli_suggest_best(&s, near, sizeof near))
        return NULL;
    snprintf(buf, size, "--%s", near);
    return buf;
}

/* name: the option's name after "--" (name_len bytes), NULL for "-x". */
static int
unknown_option(parser_t *p, const char *word, const char *name, size_t name_len)
{
    char echo[HB_CLI_TEXT_BYTES_MAX], near[HB_CLI_SUGGEST_BYTES_MAX + sizeof "--"];
    hb_cli_parse_quote(echo, sizeof echo, word);
    bool close = name && suggest_option(p, name, name_len, near, sizeof near);
    if (p->command && close)
        return hb_cli_report_usage(p->cli, _("%s has no option %s; did you mean %s?"), p->command->name, echo, near);
    if (p->command)
        return hb_cli_report_usage(p->cli, _("%s has no option %s"), p->command->name, echo);
    if (close)
        return hb_cli_report_usage(p->cli, _("unknown option %s; did you mean %s?"), echo, near);
    return hb_cli_report_usage(p->cli, _("unknown option %s"), echo);
}

/* Reads the option word argv[*i] and, if it takes one, its value (moving
 * *i past it). */
static int
parse_option(parser_t *p, int argc, char **argv, int *i)
{
    const char *word = argv[*i], *inline_value = NULL, *name = NULL;
    size_t name_len = 0;
    char letter = 0, spelled[HB_CLI_TEXT_BYTES_MAX];
    if (word[1] == '-') {
        name = word + 2;
        const char *eq = strchr(name, '=');
        name_len = eq ? (size_t) (eq - name) : strlen(name);
        inline_value = eq ? eq + 1 : NULL;
        snprintf(spelled, sizeof spelled, "--%.*s", (int) name_len, name);
    } else {
        letter = word[1];
        inline_value = word[2] ? word + 2 : NULL;
        snprintf(spelled, sizeof spelled, "-%c", letter);
    }
    found_t f;
    if (name_len == 0 && !letter)
        return unknown_option(p, word, NULL, 0);
    if (!find_opt(p, name, name_len, letter, &f))
        return unknown_option(p, word, name, name_len);
    if (!f.opt->value) {
        if (inline_value)
            return hb_cli_report_usage(p->cli, _("%s takes no value"), spelled);
        return store(p, &f, NULL, spelled);
    }
    const char *value = inline_value;
    if (!value) {
        if (*i + 1 >= argc)
            return hb_cli_report_usage(p->cli, _("%s needs a value: %s %s"), spelled, spelled, _(f.opt->value));
        value = argv[++*i];
    }
    return store(p, &f, value, spelled);
}

static int
add_operand(parser_t *p, const char *word)
{
    hb_cli_args_t *args = p->args;
    if (args->operand_count >= p->command->operands_max) {
        char echo[HB_CLI_TEXT_BYTES_MAX];
        return hb_cli_report_usage(p->cli, _("%s does not take %s"), p->command->name,
                                   hb_cli_parse_quote(echo, sizeof echo, word));
    }
    args->operands[args->operand_count++] = word;
    return 0;
}

static int
parse_words(parser_t *p, int argc, char **argv, int *consumed)
{
    bool options_done = false;
    int i = 0;
    for (; i < argc; i++) {
        const char *w = argv[i];
        bool is_option = !options_done && w[0] == '-' && w[1] != '\0';
        int rc = 0;
        if (is_option && strcmp(w, "--") == 0) {
            options_done = true;
            if (!p->args) {
                i++;
                break;
            }
        } else if (!is_option) {
            if (!p->args)
                break;
            rc = add_operand(p, w);
        } else {
            rc = parse_option(p, argc, argv, &i);
        }
        if (rc != 0)
            return rc;
    }
    *consumed = i;
    return 0;
}

static int
check_complete(hb_cli_t *cli, const hb_cli_command_t *command, const hb_cli_args_t *args)
{
    for (size_t i = 0; i < own_count(command); i++) {
        const hb_cli_opt_t *o = &command->opts[i];
        if (o->required && !args->values[i])
            return hb_cli_report_usage(cli, _("%s needs --%s %s"), command->name, o->name, o->value ? _(o->value) : "");
    }
    if (args->operand_count < command->operands_min)
        return hb_cli_report_usage(cli, _("%s needs %s"), command->name, _(command->operands));
    return 0;
}

int
hb_cli_command_parse(hb_cli_t *cli, const hb_cli_command_t *command, int argc, char **argv,
                     hb_cli_args_t *args)
{
    hb_assert(cli && command && args && argc >= 0);
    hb_assert(own_count(command) <= HB_CLI_OPTS_MAX && command->operands_max <= HB_CLI_OPERANDS_MAX);
    memset(args, 0, sizeof *args);
    args->command = command;
    bool version = false;
    parser_t p = {cli, command, args, &args->help, &version};
    int consumed = 0;
    int rc = parse_words(&p, argc, argv, &consumed);
    if (rc != 0 || args->help)
        return rc;
    return check_complete(cli, command, args);
}

int
hb_cli_command_parse_global(hb_cli_t *cli, int argc, char **argv, int *consumed, bool *help, bool *version)
{
    hb_assert(cli && consumed && help && version && argc >= 0);
    *help = *version = false;
    parser_t p = {cli, NULL, NULL, help, version};
    return parse_words(&p, argc, argv, consumed);
}

const char *
hb_cli_command_value(const hb_cli_args_t *args, const char *name)
{
    hb_assert(args && name);
    size_t n = own_count(args->command);
    for (size_t i = 0; i < n; i++)
        if (strcmp(args->command->opts[i].name, name) == 0)
            return args->values[i];
    hb_assert(!"option not in the command's table");
    return NULL;
}

bool
hb_cli_command_flag(const hb_cli_args_t *args, const char *name)
{
    return hb_cli_command_value(args, name) != NULL;
}

size_t
hb_cli_command_values(const hb_cli_args_t *args, const char *name, const char **out, size_t max)
{
    hb_assert(args && name && (out || max == 0) && is_repeatable(args->command, name));
    size_t n = 0;
    for (unsigned i = 0; i < args->repeat_count; i++) {
        if (strcmp(args->command->opts[args->repeats[i].index].name, name) != 0)
            continue;
        if (n < max)
            out[n] = args->repeats[i].value;
        n++;
    }
    return n;
}

int
hb_cli_command_run(hb_cli_t *cli, const hb_cli_command_t *command, int argc, char **argv)
{
    hb_assert(cli && command && command->run);
    cli->command = command->name;
    cli->target = (int) command->target;
    hb_cli_args_t args;
    int rc = hb_cli_command_parse(cli, command, argc, argv, &args);
    if (rc != 0)
        return rc;
    if (args.help) {
        hb_cli_command_help(command, cli->out);
        return 0;
    }
    return command->run(cli, &args);
}

/* ---- --help ---- */

/* Width of the usage line before it wraps. */
#define USAGE_WRAP_COLUMN 78
#define USAGE_INDENT "        "

/* Appends one usage token, wrapping the line when it gets long. */
static void
usage_token(FILE *out, size_t *column, const char *token)
{
    if (*column + 1 + hb_cli_utf8_width(token) > USAGE_WRAP_COLUMN) {
        fprintf(out, "\n%s", USAGE_INDENT);
        *column = strlen(USAGE_INDENT);
    } else {
        fputc(' ', out);
        (*column)++;
    }
    fputs(token, out);
    *column += hb_cli_utf8_width(token);
}

static void
print_usage_line(const hb_cli_command_t *command, FILE *out)
{
    /* columns as the terminal shows them: a placeholder may be Chinese */
    char first[HB_CLI_TEXT_BYTES_MAX];
    snprintf(first, sizeof first, _("usage: hourbank %s"), command->name);
    fputs(first, out);
    size_t column = hb_cli_utf8_width(first);
    if (command->operands[0])
        usage_token(out, &column, _(command->operands));
    for (int required = 1; required >= 0; required--) {
        for (size_t i = 0; i < own_count(command); i++) {
            const hb_cli_opt_t *o = &command->opts[i];
            if (o->required != (bool) required)
                continue;
            char token[HB_CLI_TEXT_BYTES_MAX];
            snprintf(token, sizeof token, "%s--%s%s%s%s%s", required ? "" : "[", o->name, o->value ? " " : "",
                     o->value ? _(o->value) : "", required ? "" : "]", is_repeatable(command, o->name) ? "..." : "");
            usage_token(out, &column, token);
        }
    }
    usage_token(out, &column, "[--json]");
    fputc('\n', out);
}

static void
print_opt(const hb_cli_opt_t *o, FILE *out)
{
    char left[HB_CLI_TEXT_BYTES_MAX];
    const char *value = o->value ? _(o->value) : "";
    if (o->letter)
        snprintf(left, sizeof left, "-%c, --%s%s%s", o->letter, o->name, o->value ? " " : "", value);
    else
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->value ? " " : "", value);
    size_t width = hb_cli_utf8_width(left);
    if (width + 2 >= HELP_COLUMN)
        fprintf(out, "  %s\n%*s%s\n", left, HELP_COLUMN, "", _(o->help));
    else
        fprintf(out, "  %s%*s%s\n", left, (int) (HELP_COLUMN - 2 - width), "", _(o->help));
}

/* The text save commands append to their description (cli_save.h), marked
 * for translation here as one literal. */
static const char unanswered[] =
    N_("\nIf the station does not answer in time the same request is sent once more; if that is not\n"
       "answered either, the save may have been made: hourbank exits 75 and says how to look for it\n"
       "and which --request-id repeats it safely (it is then saved at most once).");
_Static_assert(sizeof unanswered == sizeof HB_CLI_SAVE_HELP_UNANSWERED, "the marked copy is the text");

/* The description in the operator's language: a save command's ends with
 * HB_CLI_SAVE_HELP_UNANSWERED, translated apart. */
static void
print_description(const char *description, FILE *out)
{
    size_t len = strlen(description), tail = strlen(HB_CLI_SAVE_HELP_UNANSWERED);
    if (len < tail || strcmp(description + len - tail, HB_CLI_SAVE_HELP_UNANSWERED) != 0) {
        fprintf(out, "\n%s\n", _(description));
        return;
    }
    hb_assert(strcmp(unanswered, HB_CLI_SAVE_HELP_UNANSWERED) == 0);
    char *head = strndup(description, len - tail);
    fprintf(out, "\n%s%s\n", head ? _(head) : description, _(unanswered));
    free(head);
}

void
hb_cli_command_help(const hb_cli_command_t *command, FILE *out)
{
    hb_assert(command && out);
    print_usage_line(command, out);
    print_description(command->description, out);
    if (own_count(command)) {
        fprintf(out, "\n%s\n", _("options:"));
        for (size_t i = 0; i < own_count(command); i++)
            print_opt(&command->opts[i], out);
    }
    fprintf(out, "\n%s\n", _("common options:"));
    for (size_t i = 0; i < COMMON_COUNT; i++)
        if (common_opts[i].targets & (1u << command->target))
            print_opt(&common_opts[i].opt, out);
    fprintf(out, "\n%s\n", _("See hourbank(1) for exit codes and the --json keys."));
}
