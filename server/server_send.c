/* server_send.c - replies from hourbank-central's main thread (moved
 * from server.c). */
#include "server_int.h"

#include <stdint.h>

#include <zmq.h>

#include "hb_log.h"

/* Sends env to a peer; a peer that went away is not an error. */
void
hb_server__send_to(hb_server_t *self, const hb_router_peer_t *to, const Hourbank__Envelope *env)
{
    if (hb_router_send(self->router, to, env) != 0)
        hb_log_debug("reply not delivered body=%d error=\"%s\"", (int) env->body_case, zmq_strerror(zmq_errno()));
}

void
hb_server__send_error(hb_server_t *self, const hb_router_peer_t *to, uint64_t corr, hb_result_t code,
           const char *message)
{
    Hourbank__Envelope env;
    Hourbank__ErrorReply err;
    hb_wire_envelope_init(&env, corr);
    hourbank__error_reply__init(&err);
    err.code = (Hourbank__Result) code;
    err.message = (char *) (uintptr_t) message;
    char text[HB_MESSAGE_BYTES_MAX];
    Hourbank__Param params[HB_RESULT_PARAMS_MAX], *ptrs[HB_RESULT_PARAMS_MAX];
    if (message && hb_wire_params_text(message)) {  /* values, not prose: as Params (PROTOCOL.md) */
        snprintf(text, sizeof text, "%s", message);
        err.message = (char *) "";
        err.n_params = hb_wire_params_split(text, params, ptrs, HB_RESULT_PARAMS_MAX);
        err.params = ptrs;
    }
    env.body_case = HOURBANK__ENVELOPE__BODY_ERROR;
    env.error = &err;
    hb_server__send_to(self, to, &env);
}
