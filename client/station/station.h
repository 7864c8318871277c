/* station.h - hourbank-station's event loop: the outbox, the link to
 * central and the local API, driven by one zmq_poll loop.
 * SIGTERM/SIGINT: stop taking work, wait up to HB_DRAIN_MS for the batches
 * in flight to be acked, exit 0. SIGHUP: reload station.yaml: the log
 * level, batch size and retention at once; a changed central_endpoint,
 * central_public_key or key file (also the same file with a new key in it)
 * makes a new link to central with them (hello again, resend what is not
 * acked); a changed identity, outbox, local endpoint or default_operator is logged as
 * needing a restart, and then nothing of the link changes either. */
#ifndef HB_STATION_H
#define HB_STATION_H

#include "hb_config.h"

typedef struct hb_station hb_station_t;

/* config_path: copied. conf: takes ownership. NULL (logged) on failure to
 * open the outbox or the sockets. */
hb_station_t *hb_station_new(const char *config_path, hb_station_conf_t *conf);
void hb_station_destroy(hb_station_t **self_p);
/* Runs until SIGTERM/SIGINT; returns the process exit status. */
int hb_station_run(hb_station_t *self);

#endif
