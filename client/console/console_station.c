/* console_station.c - the console's requests to hourbank-station: one
 * DEALER on the station's ipc socket (client/shared/cli_conn.c, as the
 * CLI), a counts-only queue query per page for the banner, and the
 * district's time zone installed as TZ. */
#include "console.h"
#include "cli_result.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_log.h"
#include "hb_wire.h"
#include "hb_zone.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Random bytes of a form's request id, printed as twice as many hex digits. */
#define REQUEST_ID_RANDOM_BYTES 16
/* A save without an answer is sent once more with the same request id
 * (the station stores it at most once). */
#define SAVE_RESENDS 1

hb_console_status_t
hb_console_call(hb_console_t *c, Hourbank__Envelope *req, bool resend, Hourbank__Envelope **reply, char *msg,
                size_t msg_size)
{
    hb_assert(c && req && reply && msg);
    *reply = NULL;
    if (c->station_silent) {
        /* one wait per page is enough: the operator sees the banner at once */
        snprintf(msg, msg_size, "%s",
                 _("the station program (hourbank-station) does not answer on this computer; ask district IT "
                   "to start it"));
        return HB_CONSOLE_NO_STATION;
    }
    hb_cli_conn_status_t st = hb_cli_conn_call(c->station, req, c->timeout_ms, resend ? SAVE_RESENDS : 0, reply,
                                               msg, msg_size);
    if (st == HB_CLI_CONN_OK)
        return HB_CONSOLE_OK;
    hb_log_warn("console: station request failed endpoint=\"%s\": %s", c->conf->ipc_endpoint, msg);
    c->station_silent = true;
    if (st == HB_CLI_CONN_NO_REPLY)
        snprintf(msg, msg_size, "%s",
                 _("the station program did not answer in time; what was sent may have been saved: look at the "
                   "queue before trying again"));
    else
        snprintf(msg, msg_size, "%s",
                 _("the station program (hourbank-station) does not answer on this computer; ask district IT "
                   "to start it"));
    return HB_CONSOLE_NO_STATION;
}

/* Installs the district's zone as TZ when the station names a new one. */
static void
use_zone(hb_console_t *c, const char *zone)
{
    if (!zone || !zone[0] || strcmp(zone, c->zone) == 0 || !hb_zone_installed(zone))
        return;
    if (setenv("TZ", zone, 1) != 0)
        return;
    tzset();
    snprintf(c->zone, sizeof c->zone, "%s", zone);
}

const Hourbank__QueueReply *
hb_console_queue_status(hb_console_t *c)
{
    if (c->status_asked)
        return c->status ? c->status->queue_reply : NULL;
    c->status_asked = true;
    Hourbank__Envelope env;
    Hourbank__QueueQuery q;
    hb_wire_envelope_init(&env, 0);
    hourbank__queue_query__init(&q);
    q.counts_only = true;
    env.body_case = HOURBANK__ENVELOPE__BODY_QUEUE_QUERY;
    env.queue_query = &q;
    char msg[HB_MESSAGE_BYTES_MAX];
    Hourbank__Envelope *reply = NULL;
    if (hb_console_call(c, &env, false, &reply, msg, sizeof msg) != HB_CONSOLE_OK)
        return NULL;
    if (reply->body_case != HOURBANK__ENVELOPE__BODY_QUEUE_REPLY) {
        hb_wire_free(&reply);
        return NULL;
    }
    c->status = reply;
    use_zone(c, reply->queue_reply->time_zone);
    return reply->queue_reply;
}

void
hb_console_request_id(char out[HB_REQUEST_ID_BYTES_MAX + 1])
{
    unsigned char raw[REQUEST_ID_RANDOM_BYTES];
    _Static_assert(REQUEST_ID_RANDOM_BYTES * 2 <= HB_REQUEST_ID_BYTES_MAX, "a request id fits");
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, HB_REQUEST_ID_BYTES_MAX + 1, raw, sizeof raw);
}

char *
hb_console_result_text(char *buf, size_t size, int code, Hourbank__Param *const *params, size_t n,
                       const char *message)
{
    return hb_cli_result_render(buf, size, code, params, n, message, NULL, NULL);
}
