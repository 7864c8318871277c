/* sync.h - the station's link to central: a DEALER socket with CURVE.
 *
 * hello (last acked seq) -> welcome (central's high-water mark and member
 * serial mark, stored in the outbox: hb_outbox_confirm_marks); when central
 * is behind, every op still held above its mark is sent again
 * (hb_outbox_resend). Then the outbox's unacked ops go out in seq order, in batches of at most
 * conf->batch_ops, at most HB_INFLIGHT_BATCHES_MAX batches in flight. An
 * ack's results are stored in the outbox. A batch not acked within
 * HB_ACK_TIMEOUT_MS drops the link state back to "connecting": hello again
 * after a capped, jittered exponential backoff, and resend from the last
 * acked seq (central answers replays with the stored results). When up,
 * the cached directory and the catalogue are refreshed from central.
 * Queries the station cannot answer itself (statements) are forwarded. */
#ifndef HB_SYNC_H
#define HB_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "hb_config.h"
#include "outbox.h"
#include "hourbank.pb-c.h"

typedef struct hb_sync hb_sync_t;

typedef enum { HB_LINK_DOWN = 0, HB_LINK_CONNECTING = 1, HB_LINK_UP = 2 } hb_link_t;

/* Called with central's reply to a forwarded request (reply NULL on
 * timeout or link loss). reply: borrowed for the duration of the call. */
typedef void(hb_sync_reply_fn)(void *arg, uint64_t token, const Hourbank__Envelope *reply);

/* ctx: borrowed ZeroMQ context. conf, outbox: borrowed, must outlive the
 * sync. Returns NULL with a reason in msg (unreadable key files). */
hb_sync_t *hb_sync_new(void *ctx, const hb_station_conf_t *conf, hb_outbox_t *outbox,
                       hb_sync_reply_fn *on_reply, void *arg, char *msg, size_t msg_size);
void hb_sync_destroy(hb_sync_t **self_p);
/* Whether conf (a configuration just reloaded) would make another link:
 * its central_endpoint or central_public_key differ from the running ones,
 * or its key files name or hold other keys (or cannot be read) than those
 * the link was made with. Returns 1 with the setting names in what ("a, b"),
 * or 0. */
int hb_sync_link_changes(const hb_sync_t *self, const hb_station_conf_t *conf, char *what, size_t what_size);

/* The sockets to poll for input: messages from central, and the link's
 * connection events. Borrowed. */
void *hb_sync_socket(hb_sync_t *self);
void *hb_sync_monitor_socket(hb_sync_t *self);
/* Reads and handles every waiting connection event and message from central. */
void hb_sync_handle(hb_sync_t *self);
/* Timers: hello, batches, resends, directory refresh. Bounded work. */
void hb_sync_tick(hb_sync_t *self);
/* New work was saved: send it now rather than at the next tick. */
void hb_sync_kick(hb_sync_t *self);
/* A reconcile run marked ops for resending (hb_outbox_resend_mark): send
 * every marked op again from the lowest, now and at the next ticks, in
 * batches of consecutive seqs (after the pending ops' batches). */
void hb_sync_resend(hb_sync_t *self);

hb_link_t hb_sync_link(const hb_sync_t *self);
const char *hb_sync_link_name(hb_link_t link);
uint64_t hb_sync_central_hwm(const hb_sync_t *self);
/* While the link is not up: the last moment it was known up (Unix
 * seconds: the last message from central on an up link, or the closing of
 * its connection), or when self was made if it never was; 0 while up. */
int64_t hb_sync_link_down_since(const hb_sync_t *self);
/* One line for district IT while central has lost acknowledged work and
 * the station is resending it (or cannot); "" otherwise. Borrowed, valid
 * until the next call on self. */
const char *hb_sync_alert(const hb_sync_t *self);
/* Batches sent and not yet acked. */
int hb_sync_inflight(const hb_sync_t *self);

/* Forwards req (borrowed; its correlation id is replaced) to central.
 * Returns 0 and later calls on_reply with token, or -1 when the link is not
 * up or too many requests are outstanding. */
int hb_sync_forward(hb_sync_t *self, Hourbank__Envelope *req, uint64_t token);

#endif
