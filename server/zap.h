/* zap.h - the ZAP handler (RFC 27) that admits CURVE clients.
 * Only public keys listed in central.yaml are admitted. The ZAP reply's
 * User-Id is the station id in decimal, or "admin" for admin keys; every
 * message then carries it as the "User-Id" property, so a station's
 * identity comes from its key and never from a message body. */
#ifndef HB_ZAP_H
#define HB_ZAP_H

#include "hb_config.h"

typedef struct hb_zap hb_zap_t;

/* Binds inproc://zeromq.zap.01 in ctx. conf: borrowed, valid until the next
 * hb_zap_set_config or destroy. */
hb_zap_t *hb_zap_new(void *ctx, const hb_central_conf_t *conf);
void hb_zap_destroy(hb_zap_t **self_p);
void hb_zap_set_config(hb_zap_t *self, const hb_central_conf_t *conf);
/* The REP socket, for zmq_poll. Borrowed. */
void *hb_zap_socket(hb_zap_t *self);
/* Answers every waiting ZAP request without blocking. */
void hb_zap_handle(hb_zap_t *self);

#endif
