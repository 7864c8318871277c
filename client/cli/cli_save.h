/* cli_save.h - commands that save an operation at the station: record,
 * gift, void; and the save step that `member add` shares.
 *
 * Everything typed is checked before the station is asked (member numbers
 * with their check digit, durations, dates, text lengths), then the whole
 * op once more with hb_wire_validate_op(), the station's own boundary
 * check. The station answers once the op is fsynced in its outbox: "saved"
 * means it will reach central, whatever happens to the network.
 */
#ifndef HB_CLI_SAVE_H
#define HB_CLI_SAVE_H

#include "cli.h"
#include "cli_command.h"
#include "hb_i18n.h"
#include "hourbank.pb-c.h"

extern const hb_cli_command_t hb_cli_save_record;
extern const hb_cli_command_t hb_cli_save_gift;
extern const hb_cli_command_t hb_cli_save_void;

/* The end of every save command's --help description (translated apart:
 * cli_command.c marks the same text). */
#define HB_CLI_SAVE_HELP_UNANSWERED                                                                             \
    "\nIf the station does not answer in time the same request is sent once more; if that is not\n"          \
    "answered either, the save may have been made: hourbank exits 75 and says how to look for it\n"          \
    "and which --request-id repeats it safely (it is then saved at most once)."

/* --request-id ID, the option every save command has. */
#define HB_CLI_SAVE_REQUEST_ID_OPT                                                                              \
    {"request-id", 0, N_("ID"), false, N_("repeat a save that may have been saved: it is saved at most once")}

/* --dry-run, for the saves that can be checked without storing them. */
#define HB_CLI_SAVE_DRY_RUN_OPT                                                                                 \
    {"dry-run", 0, NULL, false, N_("check only: say what the station would do and who would pay; save nothing")}

/* --operator NAME, the option every save command has. */
#define HB_CLI_SAVE_OPERATOR_OPT                                                                                \
    {"operator", 0, "NAME", false, N_("who enters it (default: the station's default_operator)")}

/* --operator (checked as Op.operator takes it) into op->operator_,
 * borrowed from args; "" when not given: the station records its
 * default_operator. 0, or an exit code after reporting. */
int hb_cli_save_take_operator(hb_cli_t *cli, const hb_cli_args_t *args, Hourbank__Op *op);

/* Validates op (borrowed; seq must be 0, occurred_at set) and saves it
 * with a request id: request_id as typed (--request-id; checked here), or
 * NULL for 32 fresh random hex digits. When the station does not answer
 * in time the same request is sent once more; when that is not answered
 * either, the save may have been made: the report says how to look for it
 * and how to repeat it with its request id, and the exit code is
 * EX_TEMPFAIL. what: the failure's subject, e.g. "the record was not
 * saved". Returns 0 with *reply_out holding a SaveReply envelope (caller
 * owns; hb_wire_free) whose repeated is true only when an earlier run made
 * the save (an answer to this run's own resend is this run's save), or an
 * exit code after reporting.
 * dry_run: SaveRequest.dry_run, sent once with no request id (which must
 * be NULL), after checking the station knows dry runs (an older one would
 * store the op); the reply's dry_run is then true and nothing is stored. */
int hb_cli_save_op(hb_cli_t *cli, Hourbank__Op *op, const char *what, const char *request_id, bool dry_run,
                   Hourbank__Envelope **reply_out);

/* hb_cli_save_op with SaveRequest.confirm_new: a registration the operator
 * has checked is another person than a member of the same name and birth
 * year (else refused POSSIBLE_DUPLICATE, reported with what to do). */
int hb_cli_save_op_new(hb_cli_t *cli, Hourbank__Op *op, const char *what, const char *request_id, bool dry_run,
                       bool confirm_new, Hourbank__Envelope **reply_out);

/* Printing what was saved: cli_confirm.h. */

#endif
