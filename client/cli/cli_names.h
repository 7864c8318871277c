/* cli_names.h - members' names from the station, for every sentence that
 * shows a member number: "Zhang Wei (QX03-000127-6)".
 *
 * Each number is asked once per run (kept in cli->names until
 * hb_cli_names_free) with an exact MemberQuery, quietly: a
 * station that does not answer, or does not know the number, leaves the
 * number alone. Only commands that talk to a station ask.
 */
#ifndef HB_CLI_NAMES_H
#define HB_CLI_NAMES_H

#include <stddef.h>

#include "cli.h"
#include "hourbank.pb-c.h"

/* The member's name at the station, or NULL when it is not known. ctx is
 * the run's hb_cli_t (hb_cli_result_namer_t's form). Borrowed, valid for
 * the run. */
const char *hb_cli_names_namer(void *ctx, const char *member_no);

/* "Name (NUMBER)" into buf, or the number alone when the name is not
 * known (or the command does not talk to a station); returns buf. */
char *hb_cli_names_member(hb_cli_t *cli, char *buf, size_t size, const char *member_no);

/* Forgets the names asked this run (cli->names); safe to repeat. */
void hb_cli_names_free(hb_cli_t *cli);

/* hb_cli_result_render with the names this run's station knows: when the
 * command talks to a station, each number is asked once per run (an exact
 * MemberQuery, quietly: no answer = the number alone). */
char *hb_cli_result_text(hb_cli_t *cli, char *buf, size_t size, int code, Hourbank__Param *const *params,
                         size_t n_params, const char *message);

#endif
