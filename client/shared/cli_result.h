/* cli_result.h - a result (code + named values, proto/PROTOCOL.md "Result
 * values") as one sentence in the operator's language.
 *
 * Durations read "2 h 30 min" / "2小时30分钟", instants are local times in
 * the district's zone, a member number is shown as "Name (NUMBER)" when
 * the namer knows the name (as every confirmation shows members), and no
 * internal id (account ids) is ever shown.
 * A result stored before values existed (no values, a message) is shown
 * as its message; a value that is missing or unreadable makes the sentence
 * fall back to the code's own general sentence.
 */
#ifndef HB_CLI_RESULT_H
#define HB_CLI_RESULT_H

#include <stddef.h>

#include "cli.h"
#include "hourbank.pb-c.h"

/* A member's name for a number, or NULL when it is not known. The string
 * is borrowed, valid until the namer is asked again. */
typedef const char *(*hb_cli_result_namer_t)(void *ctx, const char *member_no);

/* Renders code with its values (borrowed; n_params of them) into buf (size
 * bytes, cut short if too small) and returns buf. message: the result's
 * stored text (may be NULL or ""), used only for a result that carries no
 * values although its code has some. namer may be NULL (numbers alone). */
char *hb_cli_result_render(char *buf, size_t size, int code, Hourbank__Param *const *params, size_t n_params,
                           const char *message, hb_cli_result_namer_t namer, void *ctx);

/* The code as an operator passes it on: its name ("DAILY_LIMIT_EXCEEDED",
 * what district IT greps) in English, "code 14" in other languages. */
char *hb_cli_result_tag(char *buf, size_t size, int code);

#endif
