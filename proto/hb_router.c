#include "hb_router.h"

#include <stdlib.h>

#include "hb_assert.h"
#include "hb_wire.h"

int
hb_router_recv(void *sock, hb_router_peer_t *peer, zmq_msg_t *payload, int *frames)
{
    hb_assert(sock && peer && payload && frames);
    int size = zmq_recv(sock, peer->id, sizeof peer->id, ZMQ_DONTWAIT);
    zmq_msg_init(payload);
    *frames = 0;
    if (size < 0)
        return 0;
    peer->size = (size_t) size < sizeof peer->id ? (size_t) size : sizeof peer->id;
    int more = 1;
    size_t sz = sizeof more;
    while (more) {
        zmq_msg_close(payload);
        zmq_msg_init(payload);
        if (zmq_msg_recv(payload, sock, 0) < 0)
            break;
        (*frames)++;
        zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
    }
    return 1;
}

int
hb_router_send(void *sock, const hb_router_peer_t *peer, const Hourbank__Envelope *env)
{
    hb_assert(sock && peer && env);
    void *data;
    size_t size;
    if (hb_wire_pack(env, &data, &size) != 0)
        return -1;
    int rc = zmq_send(sock, peer->id, peer->size, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
                     zmq_send(sock, data, size, ZMQ_DONTWAIT) < 0
                 ? -1
                 : 0;
    free(data);
    return rc;
}
