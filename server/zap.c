#include "zap.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "hb_assert.h"
#include "hb_log.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_FRAMES 7           /* version, id, domain, address, identity, mechanism, key */
#define ZAP_FRAME_BYTES_MAX 256
#define CURVE_KEY_BYTES 32

struct hb_zap {
    void *sock;
    const hb_keys_t *keys;
};

hb_zap_t *
hb_zap_new(void *ctx, const hb_keys_t *keys)
{
    hb_zap_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->sock = zmq_socket(ctx, ZMQ_REP);
    hb_assert(self->sock);
    int linger = 0;
    zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(self->sock, ZAP_ENDPOINT) != 0) {
        hb_log_error("could not bind ZAP handler: %s", zmq_strerror(zmq_errno()));
        zmq_close(self->sock);
        free(self);
        return NULL;
    }
    self->keys = keys;
    return self;
}

void
hb_zap_destroy(hb_zap_t **self_p)
{
    hb_assert(self_p);
    hb_zap_t *self = *self_p;
    if (!self)
        return;
    zmq_close(self->sock);
    free(self);
    *self_p = NULL;
}

void
hb_zap_set_keys(hb_zap_t *self, const hb_keys_t *keys)
{
    hb_assert(self && keys);
    self->keys = keys;
}

void *
hb_zap_socket(hb_zap_t *self)
{
    hb_assert(self);
    return self->sock;
}

/* Reads one multipart request; returns the number of frames (all of which
 * are drained even beyond ZAP_FRAMES), or -1 when nothing is waiting. */
static int
recv_request(void *sock, char frames[ZAP_FRAMES][ZAP_FRAME_BYTES_MAX], size_t sizes[ZAP_FRAMES])
{
    int n = 0, more = 1;
    while (more) {
        int len = zmq_recv(sock, n < ZAP_FRAMES ? frames[n] : frames[0], ZAP_FRAME_BYTES_MAX,
                           n == 0 ? ZMQ_DONTWAIT : 0);
        if (len < 0)
            return n == 0 ? -1 : n;
        if (n < ZAP_FRAMES)
            sizes[n] = (size_t) len < ZAP_FRAME_BYTES_MAX ? (size_t) len : ZAP_FRAME_BYTES_MAX;
        n++;
        size_t sz = sizeof more;
        zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
    }
    return n;
}

static void
send_reply(void *sock, const char *req_id, size_t req_id_size, const char *status, const char *text,
           const char *user)
{
    zmq_send(sock, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(sock, req_id, req_id_size, ZMQ_SNDMORE);
    zmq_send(sock, status, strlen(status), ZMQ_SNDMORE);
    zmq_send(sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(sock, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(sock, "", 0, 0);
}

static void
handle_one(hb_zap_t *self, char frames[ZAP_FRAMES][ZAP_FRAME_BYTES_MAX], size_t sizes[ZAP_FRAMES], int n)
{
    char address[ZAP_FRAME_BYTES_MAX + 1] = "";
    if (n >= 4) {
        memcpy(address, frames[3], sizes[3]);
        address[sizes[3]] = '\0';
    }
    int curve = n == ZAP_FRAMES && sizes[5] == 5 && memcmp(frames[5], "CURVE", 5) == 0 &&
                sizes[6] == CURVE_KEY_BYTES;
    if (!curve) {
        hb_log_warn("connection refused: not a CURVE client address=%s", address);
        send_reply(self->sock, frames[1], n >= 2 ? sizes[1] : 0, "400", "CURVE required", "");
        return;
    }
    char z85[41];
    zmq_z85_encode(z85, (const uint8_t *) frames[6], CURVE_KEY_BYTES);
    const hb_keys_entry_t *who = hb_keys_find(self->keys, z85);
    if (!who) {
        hb_log_warn("connection refused: unknown CURVE key key=%s address=%s", z85, address);
        send_reply(self->sock, frames[1], sizes[1], "400", "unknown key", "");
        return;
    }
    if (who->retired) {
        hb_log_warn("connection refused: station %" PRIu32 " is retired station=%" PRIu32 " key=%s address=%s",
                    who->station, who->station, z85, address);
        send_reply(self->sock, frames[1], sizes[1], "400", "station retired", "");
        return;
    }
    hb_log_debug("connection admitted station=%" PRIu32 " key=%s address=%s", who->station, z85, address);
    send_reply(self->sock, frames[1], sizes[1], "200", "OK", z85);
}

void
hb_zap_handle(hb_zap_t *self)
{
    hb_assert(self && self->keys);
    char frames[ZAP_FRAMES][ZAP_FRAME_BYTES_MAX];
    size_t sizes[ZAP_FRAMES] = {0};
    int n;
    while ((n = recv_request(self->sock, frames, sizes)) > 0)
        handle_one(self, frames, sizes, n);
}
