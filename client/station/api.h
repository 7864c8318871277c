/* api.h - the station's local API for the hourbank CLI: a ROUTER socket on
 * station.yaml's ipc_endpoint (socket file mode 0660), speaking the same
 * protobuf Envelope. Saves are durable (fsynced in the outbox) before the
 * reply says "saved". Statements are forwarded to central when the link is
 * up. */
#ifndef HB_API_H
#define HB_API_H

#include "hb_config.h"
#include "outbox.h"
#include "reconcile.h"
#include "sync.h"

typedef struct hb_api hb_api_t;

/* ctx, conf, outbox: borrowed, must outlive the api. Returns NULL with a
 * reason in msg when the endpoint cannot be bound. */
hb_api_t *hb_api_new(void *ctx, const hb_station_conf_t *conf, hb_outbox_t *outbox, char *msg,
                     size_t msg_size);
void hb_api_destroy(hb_api_t **self_p);
/* The link to central, for forwarding and status; borrowed. Set once. */
void hb_api_set_sync(hb_api_t *self, hb_sync_t *sync);

/* The reconcile runs a ReconcileRequest starts; borrowed. Set once. The
 * request is answered with the run's ReconcileReport when it ends, or
 * ErrorReply UNAVAILABLE while the link is down or a run is under way. */
void hb_api_set_reconcile(hb_api_t *self, hb_reconcile_t *reconcile);

void *hb_api_socket(hb_api_t *self);
/* Answers every waiting request. accept_work = false while stopping: saves
 * are refused with UNAVAILABLE, queries still answered. */
void hb_api_handle(hb_api_t *self, bool accept_work);

/* hb_sync_reply_fn for forwarded requests (arg = the api). */
void hb_api_on_forward_reply(void *arg, uint64_t token, const Hourbank__Envelope *reply);

#endif
