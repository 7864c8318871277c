/* cli_categories.h - `categories`: the service catalogue as the station
 * knows it, the names `record --category` accepts. */
#ifndef HB_CLI_CATEGORIES_H
#define HB_CLI_CATEGORIES_H

#include "cli_command.h"

extern const hb_cli_command_t hb_cli_categories_list;

#endif
