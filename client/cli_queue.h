/* cli_queue.h - the station's outbox as the operator sees it: `queue`
 * (operations not yet at central, and rejected ones), `queue dismiss` (a
 * rejected operation has been dealt with) and `status` (link, lag, last
 * sync, counts). */
#ifndef HB_CLI_QUEUE_H
#define HB_CLI_QUEUE_H

#include "cli_command.h"

extern const hb_cli_command_t hb_cli_queue_queue;
extern const hb_cli_command_t hb_cli_queue_dismiss;
extern const hb_cli_command_t hb_cli_queue_status;

#endif
