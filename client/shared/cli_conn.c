/* cli_conn.c - DEALER request/reply with a deadline, optional CURVE and a
 * monitor that tells a refused key from a silent peer. */
#include "cli_conn.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_clock.h"
#include "hb_limits.h"
#include "hb_wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <zmq.h>

/* A monitor event frame: uint16 event, uint32 value. */
#define MONITOR_EVENT_BYTES 6
/* Messages read while waiting for one reply: stale replies are dropped,
 * but not forever. */
#define STRAY_REPLIES_MAX 64
#define MONITOR_ENDPOINT_BYTES 64
#define HANDSHAKE_FAILURES \
    (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

struct hb_cli_conn {
    void *ctx;
    void *socket;
    void *monitor;   /* PAIR receiving handshake failures; NULL without CURVE */
    int sends;       /* how often the last hb_cli_conn_call sent its request */
};

static int
set_curve(void *socket, const hb_cli_conn_curve_t *curve)
{
    hb_assert(curve->server_key && curve->public_key && curve->secret_key);
    if (zmq_setsockopt(socket, ZMQ_CURVE_SERVERKEY, curve->server_key, strlen(curve->server_key)) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, curve->public_key, strlen(curve->public_key)) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, curve->secret_key, strlen(curve->secret_key)) != 0)
        return -1;
    return 0;
}

/* A PAIR socket that receives this socket's handshake failures. */
static void *
open_monitor(hb_cli_conn_t *self)
{
    char endpoint[MONITOR_ENDPOINT_BYTES];
    snprintf(endpoint, sizeof endpoint, "inproc://hb-cli-monitor-%p", self->socket);
    if (zmq_socket_monitor(self->socket, endpoint, HANDSHAKE_FAILURES) != 0)
        return NULL;
    void *pair = zmq_socket(self->ctx, ZMQ_PAIR);
    int zero = 0;
    if (pair && (zmq_setsockopt(pair, ZMQ_LINGER, &zero, sizeof zero) != 0 || zmq_connect(pair, endpoint) != 0)) {
        zmq_close(pair);
        return NULL;
    }
    return pair;
}

static int
configure(hb_cli_conn_t *self, const hb_cli_conn_curve_t *curve)
{
    int zero = 0, one = 1;
    int64_t max_bytes = HB_MSG_BYTES_MAX;
    if (zmq_setsockopt(self->socket, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(self->socket, ZMQ_IMMEDIATE, &one, sizeof one) != 0 ||
        zmq_setsockopt(self->socket, ZMQ_MAXMSGSIZE, &max_bytes, sizeof max_bytes) != 0)
        return -1;
    if (!curve)
        return 0;
    if (set_curve(self->socket, curve) != 0)
        return -1;
    self->monitor = open_monitor(self);
    return self->monitor ? 0 : -1;
}

hb_cli_conn_t *
hb_cli_conn_new(const char *endpoint, const hb_cli_conn_curve_t *curve, char *msg, size_t msg_size)
{
    hb_assert(endpoint && msg);
    hb_cli_conn_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(msg, msg_size, _("out of memory"));
        return NULL;
    }
    self->ctx = zmq_ctx_new();
    self->socket = self->ctx ? zmq_socket(self->ctx, ZMQ_DEALER) : NULL;
    if (!self->socket || configure(self, curve) != 0) {
        snprintf(msg, msg_size, _("could not set up a zeromq socket: %s"), zmq_strerror(zmq_errno()));
        hb_cli_conn_destroy(&self);
        return NULL;
    }
    if (zmq_connect(self->socket, endpoint) != 0) {
        snprintf(msg, msg_size, _("could not use the endpoint \"%s\": %s"), endpoint, zmq_strerror(zmq_errno()));
        hb_cli_conn_destroy(&self);
        return NULL;
    }
    return self;
}

void
hb_cli_conn_destroy(hb_cli_conn_t **self_p)
{
    hb_assert(self_p);
    hb_cli_conn_t *self = *self_p;
    if (!self)
        return;
    if (self->monitor) {
        zmq_socket_monitor(self->socket, NULL, 0);
        zmq_close(self->monitor);
    }
    if (self->socket)
        zmq_close(self->socket);
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    free(self);
    *self_p = NULL;
}

static uint64_t
fresh_id(void)
{
    uint64_t id = 0;
    while (id == 0) {
        if (getrandom(&id, sizeof id, 0) != (ssize_t) sizeof id)
            id = (uint64_t) hb_clock_ms() * 2654435761u + (uint64_t) clock();  /* no entropy: unique enough */
    }
    return id;
}

/* Reads one monitor event: OK if there was none, else what failed (msg). */
static hb_cli_conn_status_t
read_monitor(hb_cli_conn_t *self, char *msg, size_t msg_size)
{
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    if (zmq_msg_recv(&frame, self->monitor, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&frame);
        return HB_CLI_CONN_OK;
    }
    uint16_t event = 0;
    uint32_t value = 0;
    if (zmq_msg_size(&frame) == MONITOR_EVENT_BYTES) {
        memcpy(&event, zmq_msg_data(&frame), sizeof event);
        memcpy(&value, (const char *) zmq_msg_data(&frame) + sizeof event, sizeof value);
    }
    bool more = zmq_msg_more(&frame);
    zmq_msg_close(&frame);
    if (more) {  /* the endpoint frame */
        zmq_msg_init(&frame);
        zmq_msg_recv(&frame, self->monitor, 0);
        zmq_msg_close(&frame);
    }
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        snprintf(msg, msg_size, _("the server refused this key (status %lu)"), (unsigned long) value);
        return HB_CLI_CONN_REFUSED;
    }
    snprintf(msg, msg_size, _("the encrypted handshake failed"));
    return event ? HB_CLI_CONN_HANDSHAKE : HB_CLI_CONN_OK;
}

/* Waits until the socket is ready for events, the deadline passes or the
 * handshake fails. */
static hb_cli_conn_status_t
wait_for(hb_cli_conn_t *self, short events, int64_t deadline, char *msg, size_t msg_size)
{
    for (;;) {
        int64_t left = deadline - hb_clock_ms();
        if (left <= 0) {
            snprintf(msg, msg_size, _("no answer"));
            return HB_CLI_CONN_NO_ANSWER;
        }
        zmq_pollitem_t items[2] = {{self->socket, 0, events, 0}, {self->monitor, 0, ZMQ_POLLIN, 0}};
        int n = zmq_poll(items, self->monitor ? 2 : 1, (long) left);
        if (n < 0 && zmq_errno() == EINTR)
            continue;
        if (n < 0) {
            snprintf(msg, msg_size, _("could not wait for the reply: %s"), zmq_strerror(zmq_errno()));
            return HB_CLI_CONN_FAILED;
        }
        hb_cli_conn_status_t st = HB_CLI_CONN_OK;
        if (self->monitor && (items[1].revents & ZMQ_POLLIN))
            st = read_monitor(self, msg, msg_size);
        if (st != HB_CLI_CONN_OK)
            return st;
        if (items[0].revents & events)
            return HB_CLI_CONN_OK;
    }
}

/* Reads one message; the payload is its last frame ([payload] or
 * ["", payload]). Returns the frame count, the payload in *payload. */
static int
read_message(hb_cli_conn_t *self, zmq_msg_t *payload)
{
    int frames = 0;
    bool more = true;
    while (more) {
        zmq_msg_close(payload);
        zmq_msg_init(payload);
        if (zmq_msg_recv(payload, self->socket, ZMQ_DONTWAIT) < 0)
            return -1;
        frames++;
        more = zmq_msg_more(payload);
    }
    return frames;
}

static hb_cli_conn_status_t
receive(hb_cli_conn_t *self, uint64_t id, int64_t deadline, Hourbank__Envelope **reply_out, char *msg,
        size_t msg_size)
{
    for (int i = 0; i < STRAY_REPLIES_MAX; i++) {
        hb_cli_conn_status_t st = wait_for(self, ZMQ_POLLIN, deadline, msg, msg_size);
        if (st != HB_CLI_CONN_OK)
            return st;
        zmq_msg_t payload;
        zmq_msg_init(&payload);
        int frames = read_message(self, &payload);
        hb_wire_error_t err = {.code = HB_RESULT_MALFORMED, .message = "the reply has more than two frames"};
        Hourbank__Envelope *env = NULL;
        if (frames == 1 || frames == 2)
            env = hb_wire_unpack(zmq_msg_data(&payload), zmq_msg_size(&payload), &err);
        zmq_msg_close(&payload);
        if (frames < 0)
            continue;  /* interrupted: wait again */
        if (!env && err.correlation_id != 0 && err.correlation_id != id)
            continue;  /* an old reply, broken or not, is not ours */
        if (!env) {
            snprintf(msg, msg_size, _("the reply is not valid: %s"), err.message);
            return HB_CLI_CONN_BAD_REPLY;
        }
        if (env->correlation_id == id) {
            *reply_out = env;
            return HB_CLI_CONN_OK;
        }
        hb_wire_free(&env);
    }
    snprintf(msg, msg_size, _("more than %d unrelated replies"), STRAY_REPLIES_MAX);
    return HB_CLI_CONN_BAD_REPLY;
}

/* Waits (until deadline) for the connection and queues the request on it. */
static hb_cli_conn_status_t
send_once(hb_cli_conn_t *self, const void *data, size_t size, int64_t deadline, char *msg, size_t msg_size)
{
    hb_cli_conn_status_t st = wait_for(self, ZMQ_POLLOUT, deadline, msg, msg_size);
    if (st == HB_CLI_CONN_OK && zmq_send(self->socket, data, size, ZMQ_DONTWAIT) != (int) size) {
        snprintf(msg, msg_size, _("could not send the request: %s"), zmq_strerror(zmq_errno()));
        st = zmq_errno() == EAGAIN ? HB_CLI_CONN_NO_ANSWER : HB_CLI_CONN_FAILED;
    }
    return st;
}

hb_cli_conn_status_t
hb_cli_conn_call(hb_cli_conn_t *self, Hourbank__Envelope *req, int timeout_ms, int resends,
                 Hourbank__Envelope **reply_out, char *msg, size_t msg_size)
{
    hb_assert(self && req && reply_out && msg && timeout_ms > 0 && resends >= 0);
    *reply_out = NULL;
    req->correlation_id = fresh_id();
    void *data = NULL;
    size_t size = 0;
    if (hb_wire_pack(req, &data, &size) != 0) {
        snprintf(msg, msg_size, _("the request does not fit in one message (%d bytes at most)"), HB_MSG_BYTES_MAX);
        return HB_CLI_CONN_FAILED;
    }
    /* the same bytes each time, correlation id included: the first reply
     * to any of the sends is the answer */
    int sends = 0;
    hb_cli_conn_status_t st = HB_CLI_CONN_NO_ANSWER;
    for (int attempt = 0; attempt <= resends && st == HB_CLI_CONN_NO_ANSWER; attempt++) {
        if (attempt > 0 && sends == 0)
            break;  /* never connected: nothing to send again */
        int64_t deadline = hb_clock_ms() + timeout_ms;
        st = send_once(self, data, size, deadline, msg, msg_size);
        if (st != HB_CLI_CONN_OK)
            continue;
        sends++;
        st = receive(self, req->correlation_id, deadline, reply_out, msg, msg_size);
    }
    free(data);
    self->sends = sends;
    if (st == HB_CLI_CONN_NO_ANSWER && sends > 0) {
        snprintf(msg, msg_size, _("no reply within %d ms after %d send%s"), timeout_ms, sends, sends == 1 ? "" : "s");
        st = HB_CLI_CONN_NO_REPLY;
    }
    return st;
}

int
hb_cli_conn_sends(const hb_cli_conn_t *self)
{
    hb_assert(self);
    return self->sends;
}
