/* server.h - hourbank-central's event loop: one ROUTER socket with CURVE,
 * the ZAP handler, the ledger writer and the query reader, driven by one
 * zmq_poll loop. SIGTERM/SIGINT: finish the batches in hand, exit 0.
 * SIGHUP: reload central.yaml (stations, keys, rules); a bad file is
 * reported and the running configuration kept. */
#ifndef HB_SERVER_H
#define HB_SERVER_H

#include "hb_config.h"

typedef struct hb_server hb_server_t;

/* config_path: copied (reloaded on SIGHUP). conf: takes ownership.
 * Returns NULL (logged) when the sockets cannot be set up. */
hb_server_t *hb_server_new(const char *config_path, hb_central_conf_t *conf);
void hb_server_destroy(hb_server_t **self_p);

/* Runs until SIGTERM/SIGINT. Returns a process exit status: 0 after a
 * clean stop, 1 when the database schema is unusable. */
int hb_server_run(hb_server_t *self);

#endif
