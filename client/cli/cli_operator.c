/* cli_operator.c - the station's operators: add (with a PIN read from the
 * terminal without echo, asked twice, or one line of standard input), list,
 * disable and unlock (a lockout after wrong PINs at the console). Every
 * answer of the station is the whole list. */
#include "cli_operator.h"
#include "cli_format.h"
#include "cli_json.h"
#include "cli_parse.h"
#include "cli_report.h"
#include "cli_table.h"
#include "cli_target.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

/* A line of PIN input: the longest PIN, its newline, and room to tell a
 * longer one from it. */
#define PIN_LINE_BYTES (HB_PIN_DIGITS_MAX + 8)

/* ---- the PIN ---- */

/* One line of fd's input into line (without its newline); from a terminal
 * with echo off after prompt (on err). 0, or -1 at end of input or on an
 * error. A longer line is kept cut and fails the PIN's check. */
static int
pin_line(FILE *in, FILE *err, bool tty, const char *prompt, char line[PIN_LINE_BYTES])
{
    struct termios old, quiet;
    bool echo_off = tty && tcgetattr(fileno(in), &old) == 0;
    if (tty)
        fprintf(err, "%s", prompt);
    if (echo_off) {
        quiet = old;
        quiet.c_lflag &= (tcflag_t) ~ECHO;
        tcsetattr(fileno(in), TCSANOW, &quiet);
    }
    char *got = fgets(line, PIN_LINE_BYTES, in);
    if (echo_off) {
        tcsetattr(fileno(in), TCSANOW, &old);
        fprintf(err, "\n");
    }
    if (!got)
        return -1;
    line[strcspn(line, "\r\n")] = '\0';
    return 0;
}

/* The PIN into pin: asked twice on a terminal, one line otherwise. 0, or
 * an exit code after reporting. */
static int
pin_read(hb_cli_t *cli, const char *name, char pin[PIN_LINE_BYTES])
{
    bool tty = isatty(STDIN_FILENO) == 1;
    char again[PIN_LINE_BYTES], prompt[HB_CLI_TEXT_BYTES_MAX];
    snprintf(prompt, sizeof prompt, _("PIN for operator %s (%d to %d digits): "), name, HB_PIN_DIGITS_MIN,
             HB_PIN_DIGITS_MAX);
    int rc = 0;
    if (pin_line(stdin, cli->err, tty, prompt, pin) != 0)
        rc = hb_cli_report_fail(cli, EX_NOINPUT, _("no PIN was given: with --pin, type it, or give it as one line "
                                                   "of standard input"));
    else if (hb_cli_parse_pin(pin, prompt, sizeof prompt) != 0)
        rc = hb_cli_report_fail(cli, EX_DATAERR, "%s", prompt);
    else if (tty && (pin_line(stdin, cli->err, tty, _("the same PIN again: "), again) != 0 || strcmp(pin, again) != 0))
        rc = hb_cli_report_fail(cli, EX_DATAERR, _("the two PINs differ: nothing was changed"));
    sodium_memzero(again, sizeof again);
    if (rc != 0)
        sodium_memzero(pin, PIN_LINE_BYTES);
    return rc;
}

/* ---- asking the station ---- */

static void
json_list(hb_cli_t *cli, const Hourbank__OperatorsReply *r)
{
    hb_cli_json_t j;
    hb_cli_json_init(&j, cli->out);
    hb_cli_json_object_begin(&j);
    hb_cli_json_key(&j, "operators");
    hb_cli_json_array_begin(&j);
    for (size_t i = 0; i < r->n_operators; i++) {
        const Hourbank__Operator *o = r->operators[i];
        hb_cli_json_object_begin(&j);
        hb_cli_json_kv_string(&j, "name", o->name);
        hb_cli_json_kv_string(&j, "state", o->disabled ? "disabled" : "active");
        hb_cli_json_kv_bool(&j, "pin", o->has_pin);
        hb_cli_json_kv_time(&j, "created_at", o->created_at);
        hb_cli_json_kv_bool(&j, "default", o->is_default);
        hb_cli_json_kv_string(&j, "language", o->language);
        hb_cli_json_kv_time(&j, "locked_until", o->locked_until);
        hb_cli_json_object_end(&j);
    }
    hb_cli_json_array_end(&j);
    hb_cli_json_object_end(&j);
    hb_cli_json_finish(&j);
}

static int
print_list(hb_cli_t *cli, const Hourbank__OperatorsReply *r)
{
    if (cli->json) {
        json_list(cli, r);
        return 0;
    }
    if (r->n_operators == 0) {
        fprintf(cli->out, "%s\n", _("no operators yet: add one with hourbank operator add NAME"));
        return 0;
    }
    static const char *const headers[] = {N_("NAME"), N_("STATE"), N_("PIN"), N_("LANGUAGE"), N_("CREATED")};
    const char *const translated[] = {_(headers[0]), _(headers[1]), _(headers[2]), _(headers[3]), _(headers[4])};
    hb_cli_table_t *tab = hb_cli_table_new(5, translated);
    if (!tab)
        return hb_cli_report_out_of_memory(cli);
    char t[HB_CLI_FORMAT_BYTES], name[HB_CLI_TEXT_BYTES_MAX];
    for (size_t i = 0; i < r->n_operators; i++) {
        const Hourbank__Operator *o = r->operators[i];
        hb_cli_table_cell(tab, "%s%s", hb_cli_format_line(name, sizeof name, o->name),
                          o->is_default ? _(" (default)") : "");
        if (o->disabled || o->locked_until == 0)
            hb_cli_table_cell(tab, "%s", o->disabled ? _("disabled") : _("active"));
        else  /* wrong PINs at the console: hourbank operator unlock NAME */
            hb_cli_table_cell(tab, _("locked until %s"), hb_cli_format_time(t, sizeof t, o->locked_until));
        hb_cli_table_cell(tab, "%s", o->has_pin ? _("yes") : _("no"));
        hb_cli_table_cell(tab, "%s", o->language[0] ? o->language : _("station's"));
        hb_cli_table_cell(tab, "%s", hb_cli_format_time(t, sizeof t, o->created_at));
    }
    return hb_cli_table_finish(&tab, cli->out) == 0 ? 0 : hb_cli_report_out_of_memory(cli);
}

/* Sends the request (name and pin may be ""), prints the list. */
static int
ask(hb_cli_t *cli, const char *action, const char *name, char *pin, const char *what)
{
    Hourbank__OperatorRequest q;
    hourbank__operator_request__init(&q);
    q.action = (char *) (uintptr_t) action;
    q.name = (char *) (uintptr_t) name;
    q.pin = pin;
    Hourbank__Envelope req, *reply = NULL;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_OPERATOR_REQUEST;
    req.operator_request = &q;
    int rc = hb_cli_target_station(cli, &req, &reply);
    if (rc == 0)
        rc = hb_cli_target_expect(cli, reply, HOURBANK__ENVELOPE__BODY_OPERATORS_REPLY, what);
    if (rc == 0)
        rc = print_list(cli, reply->operators_reply);
    hb_wire_free(&reply);
    return rc;
}

/* The NAME operand, as Op.operator takes it. */
static int
operand_name(hb_cli_t *cli, const hb_cli_args_t *args, const char **name)
{
    char msg[HB_CLI_TEXT_BYTES_MAX];
    *name = args->operands[0];
    if (hb_cli_parse_chars(_("the operator's name"), *name, HB_OPERATOR_CHARS_MAX, true, false, msg, sizeof msg) != 0)
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    return 0;
}

/* ---- commands ---- */

static int
run_add(hb_cli_t *cli, const hb_cli_args_t *args)
{
    const char *name = NULL;
    char pin[PIN_LINE_BYTES] = "";
    int rc = operand_name(cli, args, &name);
    if (rc == 0 && hb_cli_command_flag(args, "pin"))
        rc = pin_read(cli, name, pin);
    if (rc == 0)
        rc = ask(cli, "add", name, pin, _("the operator was not added"));
    sodium_memzero(pin, sizeof pin);
    return rc;
}

static int
run_disable(hb_cli_t *cli, const hb_cli_args_t *args)
{
    const char *name = NULL;
    char none[] = "";
    int rc = operand_name(cli, args, &name);
    return rc != 0 ? rc : ask(cli, "disable", name, none, _("the operator was not disabled"));
}

static int
run_unlock(hb_cli_t *cli, const hb_cli_args_t *args)
{
    const char *name = NULL;
    char none[] = "";
    int rc = operand_name(cli, args, &name);
    return rc != 0 ? rc : ask(cli, "unlock", name, none, _("the operator was not unlocked"));
}

static int
run_list(hb_cli_t *cli, const hb_cli_args_t *args)
{
    (void) args;
    char none[] = "";
    return ask(cli, "list", "", none, _("could not list the operators"));
}

static const hb_cli_opt_t add_opts[] = {
    {"pin", 0, NULL, false, N_("set a PIN for the console: asked twice without echo (or one line of stdin)")},
    {NULL, 0, NULL, false, NULL},
};

const hb_cli_command_t hb_cli_operator_add = {
    .name = "operator add",
    .operands = "NAME",
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("add an operator who may save at this station"),
    .description = N_("Adds an operator of this station: every save is recorded with the operator who entered\n"
                      "it (--operator NAME, or the station's default_operator). Names are unique and never\n"
                      "reused. With --pin, a PIN of 4 to 12 digits for the console's sign-in is read from\n"
                      "the terminal without echo (asked twice), or as one line of standard input; it is\n"
                      "never given on the command line, and the station keeps only its argon2id hash.\n"
                      "Prints the station's operators."),
    .target = HB_CLI_TARGET_STATION,
    .opts = add_opts,
    .run = run_add,
};

const hb_cli_command_t hb_cli_operator_list = {
    .name = "operator list",
    .operands = "",
    .summary = N_("list this station's operators"),
    .description = N_("Lists the operators of this station: NAME (the default_operator marked), STATE\n"
                      "(active, disabled, or locked until a time after wrong PINs at the console), PIN (yes\n"
                      "or no), LANGUAGE (of the console: zh_CN, en, or the station's) and CREATED."),
    .target = HB_CLI_TARGET_STATION,
    .opts = NULL,
    .run = run_list,
};

const hb_cli_command_t hb_cli_operator_disable = {
    .name = "operator disable",
    .operands = "NAME",
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("stop an operator from saving at this station"),
    .description = N_("Disables an operator: saves that name them are refused from now on (UNKNOWN_OPERATOR).\n"
                      "The operations they entered keep their name. Prints the station's operators."),
    .target = HB_CLI_TARGET_STATION,
    .opts = NULL,
    .run = run_disable,
};

const hb_cli_command_t hb_cli_operator_unlock = {
    .name = "operator unlock",
    .operands = "NAME",
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("let an operator locked out after wrong PINs sign in again"),
    .description = N_("Ends an operator's lockout at the console at once and forgets their wrong PINs: after\n"
                      "five wrong PINs in a row the console locks an operator out for a while (station.yaml\n"
                      "sign_in_lockout, longer after each further wrong PIN). Prints the station's operators."),
    .target = HB_CLI_TARGET_STATION,
    .opts = NULL,
    .run = run_unlock,
};
