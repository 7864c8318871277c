/* cli_target.h - whom the CLI asks, and asking it.
 *
 * The station: --station ENDPOINT, else the ipc_endpoint of station.yaml
 * (-c FILE, default /etc/hourbank/station.yaml). When the CLI reads a
 * station.yaml it also learns the station's id (cli->station_id), which it
 * needs to print operation references "STATION:SEQ".
 *
 * Central (admin commands): admin.yaml (--admin FILE, default
 * /etc/hourbank/admin.yaml) gives the endpoint, central's public key and
 * the admin key files; the link is CURVE.
 *
 * Failures are reported here in the words an operator can act on, e.g.
 *   the station at ipc:///run/hourbank/station.sock does not answer: is hourbank-station running?
 */
#ifndef HB_CLI_TARGET_H
#define HB_CLI_TARGET_H

#include "cli.h"
#include "hourbank.pb-c.h"

/* Sends req (borrowed; its correlation id is set) to the station and waits
 * for the reply. Returns 0 with *reply_out (caller owns; hb_wire_free), or
 * an exit code after reporting. An ErrorReply is a reply: see
 * hb_cli_target_expect. */
int hb_cli_target_station(hb_cli_t *cli, Hourbank__Envelope *req, Hourbank__Envelope **reply_out);

/* A save (req's request_id set): as hb_cli_target_station, but when the
 * station does not answer in time the same request is sent once more
 * (HB_CLI_SAVE_RESENDS): the station stores a request id at most once and
 * answers a repeat with the original reply. When neither send is answered
 * the save may or may not have been made: *unanswered is set to the number
 * of sends (0 otherwise) and EX_TEMPFAIL returned WITHOUT a report, for the
 * caller to say what to do. Every other failure is reported as by
 * hb_cli_target_station. */
int hb_cli_target_station_save(hb_cli_t *cli, Hourbank__Envelope *req, Hourbank__Envelope **reply_out,
                               int *unanswered);

/* The same with central, over CURVE with the admin key. */
int hb_cli_target_central(hb_cli_t *cli, Hourbank__Envelope *req, Hourbank__Envelope **reply_out);

/* Learns cli->station_id from station.yaml if it can, without reporting
 * anything (for commands that print op refs before or without asking). */
void hb_cli_target_learn_station_id(hb_cli_t *cli);

/* 0 if reply carries body `expected` (a HOURBANK__ENVELOPE__BODY_* value).
 * Otherwise reports (an ErrorReply as "<what>: <its message>", anything
 * else as a protocol error) and returns the exit code. */
int hb_cli_target_expect(hb_cli_t *cli, const Hourbank__Envelope *reply, int expected, const char *what);

#endif
