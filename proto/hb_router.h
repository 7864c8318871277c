/* hb_router.h - the framing every hourbank ROUTER socket uses (central's
 * station socket, the station's local API): a request is [routing id]
 * [exactly one payload frame]; a reply goes back as [routing id][payload].
 * Sends never block: a peer that went away or is not reading loses its
 * reply, and resends. */
#ifndef HB_ROUTER_H
#define HB_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "hourbank.pb-c.h"

/* ZeroMQ routing ids are at most 255 bytes. */
#define HB_ROUTING_ID_BYTES_MAX 256

typedef struct {
    uint8_t id[HB_ROUTING_ID_BYTES_MAX];
    size_t size;
} hb_router_peer_t;

/* Reads one request without blocking. Returns 0 when none is waiting;
 * otherwise 1, with *peer, the last payload frame in *payload (initialized
 * here; the caller closes it) and the number of payload frames in *frames
 * (1 for a well-formed request; extra frames are read and dropped). */
int hb_router_recv(void *sock, hb_router_peer_t *peer, zmq_msg_t *payload, int *frames);

/* Packs env (borrowed) and sends it to peer without blocking. Returns 0, or
 * -1 when it is too large or could not be queued. */
int hb_router_send(void *sock, const hb_router_peer_t *peer, const Hourbank__Envelope *env);

#endif
