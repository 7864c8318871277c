/* cli_lookup.h - looking operations up at the station: `queue show
 * STATION:SEQ` (one operation in any state: pending, accepted, rejected,
 * dismissed, changed when resent) and `queue find --note TEXT` (operations
 * whose note or reason contains TEXT, newest first). */
#ifndef HB_CLI_LOOKUP_H
#define HB_CLI_LOOKUP_H

#include <stdint.h>

#include "cli_command.h"
#include "hb_wire.h"

extern const hb_cli_command_t hb_cli_lookup_show;
extern const hb_cli_command_t hb_cli_lookup_find;

/* Reads an operation's reference as typed: "1:57" or "57" (text: borrowed).
 * *station_id is 0 when only the seq was given. Returns 0, or EX_DATAERR
 * after reporting. */
int hb_cli_lookup_parse_ref(hb_cli_t *cli, const char *text, uint32_t *station_id, uint64_t *seq);

/* Asks the station for its operation seq. An operation of another station
 * (station_id given, not 0, and not this station's) is refused, before
 * asking when station.yaml says which station this is, else once the
 * station has answered. ref is the reference as typed and what begins the
 * error messages ("could not show 1:57"); both borrowed. Returns 0 with
 * *reply_out (caller owns it; its queue_reply holds exactly one op), or an
 * exit code after reporting. */
int hb_cli_lookup_op(hb_cli_t *cli, uint32_t station_id, uint64_t seq, const char *ref, const char *what,
                     Hourbank__Envelope **reply_out);

#endif
