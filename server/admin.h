/* admin.h - the one-shot commands of hourbank-central: migrate and verify.
 * Each returns a process exit status and prints its outcome. */
#ifndef HB_ADMIN_H
#define HB_ADMIN_H

#include "hb_config.h"

/* Applies pending schema migrations. 0, or 1 with the reason on stderr. */
int hb_admin_migrate(const hb_central_conf_t *conf);

/* Checks Σ balances = 0 and every balance = Σ its transfers; prints a
 * summary line and every problem. 0 when sound, 1 otherwise. */
int hb_admin_verify(const hb_central_conf_t *conf);

#endif
