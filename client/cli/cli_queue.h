/* cli_queue.h - the station's outbox as the operator sees it: `queue`
 * (operations not yet at central, rejected ones, ones that changed when
 * resent), `queue dismiss` (a rejected operation has been dealt with) and
 * `status` (link, lag, last sync, counts, notices); `queue show` and
 * `queue find` are in cli_lookup.c and share the helpers below. */
#ifndef HB_CLI_QUEUE_H
#define HB_CLI_QUEUE_H

#include <stddef.h>

#include "cli_command.h"
#include "cli_json.h"
#include "hourbank.pb-c.h"

extern const hb_cli_command_t hb_cli_queue_queue;
extern const hb_cli_command_t hb_cli_queue_dismiss;
extern const hb_cli_command_t hb_cli_queue_status;

/* Asks the station (query borrowed) and returns 0 with *reply_out holding
 * its QueueReply (caller owns; hb_wire_free), or an exit code after
 * reporting "<what>: <why>". Learns cli->station_id from the reply. */
int hb_cli_queue_ask(hb_cli_t *cli, Hourbank__QueueQuery *query, Hourbank__Envelope **reply_out, const char *what);

/* "pending", "accepted" or "rejected". */
const char *hb_cli_queue_op_status(const Hourbank__QueuedOp *op);

/* One op as a JSON object: seq, op_ref, kind, summary, saved_at, status,
 * result, code, message (the last three for rejections, else null), note,
 * acked_at, transfer_id, request_id, dismissed, changed, prior_result,
 * prior_code, prior_message (the first answer, when changed). */
void hb_cli_queue_json_op(hb_cli_t *cli, hb_cli_json_t *j, const Hourbank__QueuedOp *op);

/* "central answered OK when first sent, INSUFFICIENT_BALANCE: <message>
 * when resent", for an op whose prior_result is set. */
void hb_cli_queue_changed_text(hb_cli_t *cli, char *buf, size_t size, const Hourbank__QueuedOp *op);

#endif
