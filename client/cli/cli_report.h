/* cli_report.h - the CLI's one error line and its exit codes.
 *
 * Every failure ends in exactly one line on cli->err,
 *     hourbank: <what and why>
 * lowercase, without trailing period, and an exit code from sysexits.h:
 * EX_USAGE (bad arguments), EX_DATAERR (bad input data or a rule said no),
 * EX_NOINPUT (not found), EX_UNAVAILABLE (station or central unreachable),
 * EX_TEMPFAIL (try again later), EX_NOPERM, EX_CANTCREAT, EX_CONFIG,
 * EX_PROTOCOL (a peer answered nonsense), EX_SOFTWARE (a bug), EX_IOERR.
 */
#ifndef HB_CLI_REPORT_H
#define HB_CLI_REPORT_H

#include "cli.h"
#include "hb_result.h"
#include "hourbank.pb-c.h"

/* Prints the error line (control characters in it become spaces) and
 * returns code, so callers can `return hb_cli_report_fail(...)`. */
int hb_cli_report_fail(hb_cli_t *cli, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A usage error: the line ends with "(see hourbank <command> --help)";
 * returns EX_USAGE. */
int hb_cli_report_usage(hb_cli_t *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The exit code for a result code a station or central answered with. */
int hb_cli_report_exit_code(hb_result_t result);

/* A peer's refusal: "hourbank: <what>: <the result as a sentence>
 * (<code>)", the sentence rendered from the code and its values
 * (cli_result.h), the code's name in English and "code N" otherwise.
 * error borrowed. Returns hb_cli_report_exit_code(error->code). */
int hb_cli_report_refusal(hb_cli_t *cli, const char *what, const Hourbank__ErrorReply *error);

/* "out of memory"; returns EX_OSERR. */
int hb_cli_report_out_of_memory(hb_cli_t *cli);

/* "member QX03-000127-6 not found at this station or in the last directory
 * snapshot"; returns EX_NOINPUT. */
int hb_cli_report_member_not_found(hb_cli_t *cli, const char *member_no);

/* True if reply is an ErrorReply saying the subject does not exist
 * (UNKNOWN_MEMBER or NOT_FOUND). */
bool hb_cli_report_is_not_found(const Hourbank__Envelope *reply);

#endif
