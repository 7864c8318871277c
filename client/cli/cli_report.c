/* cli_report.c - the one error line and the exit codes. */
#include "cli_report.h"
#include "cli_format.h"
#include "cli_names.h"
#include "cli_result.h"
#include "hb_assert.h"
#include "hb_i18n.h"

#include <stdarg.h>
#include <stdio.h>
#include <sysexits.h>

static void
emit(hb_cli_t *cli, char *line)
{
    if (cli->quiet)
        return;
    for (char *p = line; *p; p++) {
        unsigned char c = (unsigned char) *p;
        if (c < 0x20 || c == 0x7F)
            *p = ' ';
    }
    fprintf(cli->err, "hourbank: %s\n", line);
    fflush(cli->err);
}

int
hb_cli_report_fail(hb_cli_t *cli, int code, const char *fmt, ...)
{
    hb_assert(cli && fmt && code != 0);
    char line[HB_CLI_TEXT_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    emit(cli, line);
    return code;
}

int
hb_cli_report_usage(hb_cli_t *cli, const char *fmt, ...)
{
    hb_assert(cli && fmt);
    char line[HB_CLI_TEXT_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t) n < sizeof line)
        snprintf(line + n, sizeof line - (size_t) n, _(" (see hourbank %s%s--help)"),
                 cli->command ? cli->command : "", cli->command ? " " : "");
    emit(cli, line);
    return EX_USAGE;
}

int
hb_cli_report_exit_code(hb_result_t result)
{
    switch (result) {
    case HB_RESULT_UNKNOWN_MEMBER:
    case HB_RESULT_UNKNOWN_OPERATION:
    case HB_RESULT_NOT_FOUND: return EX_NOINPUT;
    case HB_RESULT_UNAVAILABLE: return EX_UNAVAILABLE;
    case HB_RESULT_OUTBOX_FULL: return EX_TEMPFAIL;
    case HB_RESULT_NOT_AUTHORIZED: return EX_NOPERM;
    case HB_RESULT_UNSUPPORTED_VERSION:
    case HB_RESULT_SEQ_GAP:
    case HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD: return EX_PROTOCOL;
    case HB_RESULT_INTERNAL:
    case HB_RESULT_UNSET:
    case HB_RESULT_OK: return EX_SOFTWARE;
    default: return EX_DATAERR;  /* the data broke a rule: bad number, balance, cap, ... */
    }
}

int
hb_cli_report_refusal(hb_cli_t *cli, const char *what, const Hourbank__ErrorReply *error)
{
    hb_assert(cli && what && error);
    char why[HB_CLI_TEXT_BYTES_MAX], tag[HB_CLI_FORMAT_BYTES];
    hb_cli_result_text(cli, why, sizeof why, (int) error->code, error->params, error->n_params, error->message);
    hb_cli_result_tag(tag, sizeof tag, (int) error->code);
    int code = hb_cli_report_exit_code((hb_result_t) error->code);
    hb_cli_report_fail(cli, code, _("%s: %s (%s)"), what, why, tag);
    return code;
}

int
hb_cli_report_member_not_found(hb_cli_t *cli, const char *member_no)
{
    hb_assert(cli && member_no);
    return hb_cli_report_fail(cli, EX_NOINPUT,
                              _("member %s not found at this station or in the last directory snapshot"), member_no);
}

bool
hb_cli_report_is_not_found(const Hourbank__Envelope *env)
{
    hb_assert(env);
    if (env->body_case != HOURBANK__ENVELOPE__BODY_ERROR)
        return false;
    int code = (int) env->error->code;
    return code == HB_RESULT_UNKNOWN_MEMBER || code == HB_RESULT_NOT_FOUND;
}

int
hb_cli_report_out_of_memory(hb_cli_t *cli)
{
    return hb_cli_report_fail(cli, EX_OSERR, "%s", _("out of memory"));
}
