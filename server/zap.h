/* zap.h - the ZAP handler (RFC 27) that admits CURVE clients.
 * Only public keys in force (keys.h: listed in central.yaml, of a station
 * that is not retired, or an admin key) are admitted. The ZAP reply's
 * User-Id is the client's public key in Z85; every message then carries
 * it as the "User-Id" property, and the main loop maps it to a station or
 * to an admin through the keys in force at that message (keys.h), so a
 * station's identity comes from its key and never from a message body,
 * and a key revoked by a reload is refused on connections already open. */
#ifndef HB_ZAP_H
#define HB_ZAP_H

#include "keys.h"

typedef struct hb_zap hb_zap_t;

/* Binds inproc://zeromq.zap.01 in ctx. keys: borrowed, valid until the next
 * hb_zap_set_keys or destroy. */
hb_zap_t *hb_zap_new(void *ctx, const hb_keys_t *keys);
void hb_zap_destroy(hb_zap_t **self_p);
void hb_zap_set_keys(hb_zap_t *self, const hb_keys_t *keys);
/* The REP socket, for zmq_poll. Borrowed. */
void *hb_zap_socket(hb_zap_t *self);
/* Answers every waiting ZAP request without blocking. */
void hb_zap_handle(hb_zap_t *self);

#endif
