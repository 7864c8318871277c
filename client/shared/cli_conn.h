/* cli_conn.h - one request, one reply: a ZeroMQ DEALER to a station (plain,
 * over its local ipc socket) or to central (CURVE, with an admin key).
 *
 * Every reply goes through hb_wire_unpack(), so the CLI trusts nothing it
 * did not validate. Replies with another correlation id are dropped; the
 * wait is bounded by the timeout in every case, the send included (the
 * socket only queues to a completed connection, ZMQ_IMMEDIATE).
 */
#ifndef HB_CLI_CONN_H
#define HB_CLI_CONN_H

#include <stddef.h>

#include "hourbank.pb-c.h"

typedef struct {
    const char *server_key;   /* Z85 public key of the server; borrowed */
    const char *public_key;   /* this client's key pair, Z85; borrowed */
    const char *secret_key;
} hb_cli_conn_curve_t;

typedef enum {
    HB_CLI_CONN_OK = 0,
    HB_CLI_CONN_NO_ANSWER,    /* no connection within the timeout: the request was not sent */
    HB_CLI_CONN_NO_REPLY,     /* sent, but no reply within the timeout: the peer may have acted on it */
    HB_CLI_CONN_REFUSED,      /* the server refused this client's key (ZAP said no) */
    HB_CLI_CONN_HANDSHAKE,    /* the CURVE handshake failed otherwise: wrong server key */
    HB_CLI_CONN_BAD_REPLY,    /* a reply that does not decode or validate */
    HB_CLI_CONN_FAILED        /* a local failure: memory, message too big, socket */
} hb_cli_conn_status_t;

typedef struct hb_cli_conn hb_cli_conn_t;

/* Connects (lazily, as ZeroMQ does) to endpoint (copied). curve: NULL for
 * a plain socket; the keys are copied. Returns NULL with a reason in msg
 * when the endpoint or the keys are refused by ZeroMQ. Caller owns the
 * result. */
hb_cli_conn_t *hb_cli_conn_new(const char *endpoint, const hb_cli_conn_curve_t *curve, char *msg,
                               size_t msg_size);
void hb_cli_conn_destroy(hb_cli_conn_t **self_p);

/* Sets req's correlation id to a fresh random one, sends req (borrowed)
 * and waits up to timeout_ms for the reply with the same id. When none
 * comes, sends the same bytes again, up to resends times, each send
 * waiting timeout_ms again; a reply to any send is the answer. Only
 * requests that are safe to repeat may be resent (queries, and saves
 * with a request id, which the station stores at most once). A request
 * that never reached a connection is not resent. On HB_CLI_CONN_OK
 * *reply_out holds the reply (caller owns; hb_wire_free); otherwise
 * *reply_out is NULL and msg says why. */
/* How often the last hb_cli_conn_call() sent its request (0 when it could
 * not send at all). */
int hb_cli_conn_sends(const hb_cli_conn_t *self);

hb_cli_conn_status_t hb_cli_conn_call(hb_cli_conn_t *self, Hourbank__Envelope *req, int timeout_ms, int resends,
                                      Hourbank__Envelope **reply_out, char *msg, size_t msg_size);

#endif
