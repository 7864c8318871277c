/* server_group.c - hourbank-central's main thread: batches and hellos
 * collected into groups for the writer thread, and the acks and welcomes
 * sent when a group comes back (moved from server.c; see server.h). */
#include "server_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hb_assert.h"
#include "hb_log.h"

void
hb_server__group_free(group_t **g_p)
{
    group_t *g = *g_p;
    for (size_t i = 0; i < g->w.n_jobs; i++)
        hb_wire_free(&g->pending[i].env);
    for (size_t i = 0; i < g->w.n_reports; i++) {
        hb_wire_free(&g->report_from[i].env);
        hb_query_reply_free(&g->report_from[i].reply);
    }
    hb_central_conf_destroy(&g->rules);
    free(g->contacts);
    free(g);
    *g_p = NULL;
}

/* One result's values, split for its OpResult. */
typedef struct {
    char text[HB_MESSAGE_BYTES_MAX];
    Hourbank__Param params[HB_RESULT_PARAMS_MAX];
    Hourbank__Param *ptrs[HB_RESULT_PARAMS_MAX];
} values_t;

static void
send_ack(hb_server_t *self, const pending_t *p, const hb_ledger_job_t *job)
{
    size_t n = job->batch_result == HB_RESULT_OK ? job->batch->n_ops : 0;
    Hourbank__OpResult results[HB_BATCH_OPS_MAX];
    Hourbank__OpResult *ptrs[HB_BATCH_OPS_MAX];
    values_t *values = NULL;  /* only when some result has values: most acks are all OK */
    for (size_t i = 0; i < n; i++) {
        const hb_ledger_outcome_t *o = &job->outcomes[i];
        hourbank__op_result__init(&results[i]);
        results[i].seq = job->batch->ops[i]->seq;
        results[i].result = (Hourbank__Result) o->result;
        results[i].transfer_id = o->transfer_id;
        if (o->has_row) {  /* the op's row: what the station reconciles against */
            results[i].payload_hash.data = (uint8_t *) (uintptr_t) o->payload_hash;
            results[i].payload_hash.len = sizeof o->payload_hash;
            results[i].posted_day = (char *) (uintptr_t) o->posted_day;
        }
        if (o->legacy) {
            results[i].message = (char *) (uintptr_t) o->message;
        } else if (o->message[0]) {
            if (!values) {
                values = malloc(n * sizeof *values);
                hb_assert(values);
            }
            values_t *v = &values[i];
            snprintf(v->text, sizeof v->text, "%s", o->message);
            results[i].n_params = hb_wire_params_split(v->text, v->params, v->ptrs, HB_RESULT_PARAMS_MAX);
            results[i].params = v->ptrs;
        }
        ptrs[i] = &results[i];
    }
    Hourbank__Envelope env;
    Hourbank__BatchAck ack;
    hb_wire_envelope_init(&env, p->correlation_id);
    hourbank__batch_ack__init(&ack);
    ack.batch_result = (Hourbank__Result) job->batch_result;
    ack.message = (char *) (uintptr_t) job->message;
    ack.high_water_mark = job->high_water_mark;
    ack.results = ptrs;
    ack.n_results = n;
    env.body_case = HOURBANK__ENVELOPE__BODY_BATCH_ACK;
    env.batch_ack = &ack;
    hb_server__send_to(self, &p->peer, &env);
    free(values);
}

/* ---- groups: collected here, applied by the writer thread ---- */

static size_t
groups_in_hand(const hb_server_t *self)
{
    return self->groups_out + (self->collecting ? 1 : 0);
}

static bool
batch_fits(const group_t *g, size_t ops)
{
    return g->w.n_jobs < HB_GROUP_BATCHES_MAX && g->ops + ops <= HB_GROUP_OPS_MAX;
}

/* Whether a message can be taken now: a full batch and a hello still fit
 * in the group being collected, or another group can be opened. When not,
 * messages wait in the socket until the writer hands a group back. */
bool
hb_server__room(const hb_server_t *self)
{
    const group_t *g = self->collecting;
    if (groups_in_hand(self) < HB_GROUPS_IN_HAND_MAX)
        return true;
    return g && batch_fits(g, HB_BATCH_OPS_MAX) && g->w.n_hellos < HB_GROUP_HELLOS_MAX &&
           g->w.n_reports < HB_GROUP_REPORTS_MAX;
}

/* Closes the group being collected and moves it to the writer. */
void
hb_server__send_group(hb_server_t *self)
{
    group_t *g = self->collecting;
    hb_assert(g);
    self->collecting = NULL;
    self->groups_out++;
    hb_writer_send(self->writer, &g->w);
}

/* The group being collected; when it has no space (fits false), it goes
 * to the writer and a new one is opened (hb_server__room() said one can be). */
group_t *
hb_server__collecting(hb_server_t *self, bool fits)
{
    if (self->collecting && fits)
        return self->collecting;
    if (self->collecting)
        hb_server__send_group(self);
    hb_assert(self->n_spare > 0);
    self->collecting = self->spare[--self->n_spare];
    return self->collecting;
}

/* A retired station's batch (a connection opened before the reload) is
 * queued all the same: the writer records each new op refused
 * NOT_AUTHORIZED, its final result, and replays get their stored results. */
static void
queue_batch(hb_server_t *self, const hb_router_peer_t *to, uint32_t station,
            Hourbank__Envelope **env_p, const uint32_t *op_bytes)
{
    size_t ops = (*env_p)->batch->n_ops;
    group_t *g = hb_server__collecting(self, self->collecting && batch_fits(self->collecting, ops));
    pending_t *p = &g->pending[g->w.n_jobs];
    hb_ledger_job_t *job = &g->w.jobs[g->w.n_jobs];
    p->peer = *to;
    p->correlation_id = (*env_p)->correlation_id;
    p->env = *env_p;
    *env_p = NULL;
    job->station_id = station;
    job->batch = p->env->batch;
    memcpy(job->op_wire_bytes, op_bytes, ops * sizeof *op_bytes);
    g->w.n_jobs++;
    g->ops += ops;
}

/* A batch refused whole: a BatchAck without results (PROTOCOL.md). */
static void
refuse_batch(hb_server_t *self, const hb_router_peer_t *to, uint64_t corr, hb_result_t code, const char *message)
{
    Hourbank__Envelope env;
    Hourbank__BatchAck ack;
    hb_wire_envelope_init(&env, corr);
    hourbank__batch_ack__init(&ack);
    ack.batch_result = (Hourbank__Result) code;
    ack.message = (char *) (uintptr_t) message;
    env.body_case = HOURBANK__ENVELOPE__BODY_BATCH_ACK;
    env.batch_ack = &ack;
    hb_server__send_to(self, to, &env);
}

/* A batch is taken on a connection whose hello was answered, while its
 * station has room in hand (peers.h); otherwise it is refused whole and
 * the station says hello again and resends. */
void
hb_server__take_batch(hb_server_t *self, const hb_router_peer_t *to, uint32_t station, Hourbank__Envelope **env_p,
           const uint32_t *op_bytes)
{
    char msg[HB_MESSAGE_BYTES_MAX];
    hb_peer_t *p = hb_peers_find(self->peers, station);
    hb_result_t code = HB_RESULT_UNAVAILABLE;
    if (!p) {
        snprintf(msg, sizeof msg, "central already tracks %d stations and cannot take batches from station %" PRIu32
                 " until it restarts", HB_PEER_STATIONS_MAX, station);
    } else if (!hb_peer_said_hello(p, to)) {
        code = HB_RESULT_NOT_AUTHORIZED;
        snprintf(msg, sizeof msg, "no hello on this connection: say hello, then send batches from the high-water"
                 " mark central answers");
    } else if (!hb_peer_batch_take(p)) {
        snprintf(msg, sizeof msg, "station %" PRIu32 " has %d batches in hand at central, the most one station"
                 " may: send more after their acks", station, HB_STATION_BATCHES_IN_HAND_MAX);
    } else {
        queue_batch(self, to, station, env_p, op_bytes);
        return;
    }
    hb_log_warn("batch refused station=%" PRIu32 " code=%s reason=\"%s\"", station, hb_result_name(code), msg);
    refuse_batch(self, to, (*env_p)->correlation_id, code, msg);
}

/* The mark must include every batch already received from the station:
 * the hello waits in the group behind them. */
void
hb_server__queue_hello(hb_server_t *self, const hb_router_peer_t *to, uint32_t station,
            const Hourbank__Envelope *req)
{
    char msg[HB_MESSAGE_BYTES_MAX];
    if (req->hello->station_id != station) {
        snprintf(msg, sizeof msg, "hello names station %" PRIu32 " but this key belongs to station %" PRIu32,
                 req->hello->station_id, station);
        hb_log_warn("%s", msg);
        hb_server__send_error(self, to, req->correlation_id, HB_RESULT_NOT_AUTHORIZED, msg);
        return;
    }
    group_t *g = hb_server__collecting(self, self->collecting && self->collecting->w.n_hellos < HB_GROUP_HELLOS_MAX);
    size_t i = g->w.n_hellos++;
    g->w.hellos[i].station_id = station;
    g->w.hellos[i].station_acked = req->hello->last_acked_seq;
    g->w.hellos[i].high_water = -1;
    g->hello_from[i].peer = *to;
    g->hello_from[i].correlation_id = req->correlation_id;
}

void
hb_server__queue_report(hb_server_t *self, const hb_router_peer_t *to, uint32_t station, Hourbank__Envelope **env_p,
                        hb_query_reply_t *reply)
{
    hb_assert((*env_p)->body_case == HOURBANK__ENVELOPE__BODY_RECONCILE_QUERY && (*env_p)->reconcile_query->report);
    group_t *g = hb_server__collecting(self, self->collecting && self->collecting->w.n_reports < HB_GROUP_REPORTS_MAX);
    size_t i = g->w.n_reports++;
    g->report_from[i] = (report_from_t){*to, (*env_p)->correlation_id, *env_p, reply};
    g->w.reports[i] = (hb_writer_report_t){station, (*env_p)->reconcile_query->report, -1};
    *env_p = NULL;
}

/* The reply to a report: recorded says whether the writer committed it. */
static void
answer_report(hb_server_t *self, report_from_t *from, const hb_writer_report_t *r)
{
    Hourbank__Envelope *env = hb_query_reply_envelope(from->reply);
    env->correlation_id = from->correlation_id;
    env->reconcile_reply->recorded = r->rc == 0;
    hb_server__send_to(self, &from->peer, env);
    hb_query_reply_free(&from->reply);
    hb_wire_free(&from->env);
}

/* One line per hello; an ALERT when the station had acks for ops central
 * no longer holds (restored from an older dump, or a standby that missed
 * commits). The station then resends them; hellos are backoff-bounded. */
static void
log_hello(const hb_writer_hello_t *h)
{
    if (h->station_acked > (uint64_t) h->high_water)
        hb_log_warn("ALERT central lost acknowledged work: station %" PRIu32 " had acks up to seq %" PRIu64
                    ", central holds up to %" PRId64 " (restored from an older dump, or a standby that missed"
                    " commits); the station resends station=%" PRIu32 " station_acked=%" PRIu64
                    " central_hwm=%" PRId64,
                    h->station_id, h->station_acked, h->high_water, h->station_id, h->station_acked,
                    h->high_water);
    else
        hb_log_info("station hello station=%" PRIu32 " station_acked=%" PRIu64 " central_hwm=%" PRId64
                    " member_serial_mark=%" PRId64 " time_zone=\"%s\"",
                    h->station_id, h->station_acked, h->high_water, h->member_serial_mark, h->time_zone);
}

static void
answer_hello(hb_server_t *self, const hello_from_t *from, const hb_writer_hello_t *h)
{
    if (h->high_water < 0) {
        hb_server__send_error(self, &from->peer, from->correlation_id, HB_RESULT_UNAVAILABLE,
                   "the ledger database is unavailable");
        return;
    }
    log_hello(h);
    hb_peer_t *p = hb_peers_find(self->peers, h->station_id);
    if (p)
        hb_peer_hello(p, &from->peer);  /* batches on this connection are taken from now */
    Hourbank__Envelope env;
    Hourbank__Welcome w;
    hb_wire_envelope_init(&env, from->correlation_id);
    hourbank__welcome__init(&w);
    w.high_water_mark = (uint64_t) h->high_water;
    hb_assert(h->member_serial_mark >= 0 && h->member_serial_mark <= HB_MEMBER_SERIAL_MAX);  /* hb_ledger_hello */
    w.member_serial_mark = (uint32_t) h->member_serial_mark;
    hb_assert(h->directory_version >= 0);  /* hb_ledger_hello: a sequence's value, or 0 */
    w.directory_version = (uint64_t) h->directory_version;
    w.server_time = (int64_t) time(NULL);
    w.time_zone = (char *) (uintptr_t) h->time_zone;
    w.rules_version = h->rules_version;
    env.body_case = HOURBANK__ENVELOPE__BODY_WELCOME;
    env.welcome = &w;
    hb_server__send_to(self, &from->peer, &env);
}

/* The reload riding g is done: the new rules are in force, or refused. */
static void
reload_done(hb_server_t *self, group_t *g)
{
    if (g->w.rules_rc != 0) {
        hb_log_error("reload refused: could not record the new rules: %s", g->w.rules_msg);
        hb_central_conf_destroy(&g->rules);
        return;
    }
    hb_keys_t *keys = hb_keys_new(g->rules);  /* in force from the next message on */
    hb_zap_set_keys(self->zap, keys);
    hb_keys_destroy(&self->keys);
    self->keys = keys;
    hb_central_conf_destroy(&self->conf);  /* the writer moved to g->rules */
    self->conf = g->rules;
    g->rules = NULL;
    hb_log_info("configuration reloaded rules_version=%d", g->w.rules_version);
}

/* A group back from the writer: acks only when it committed (otherwise
 * the stations resend), then the hellos and the reload behind it. */
void
hb_server__finish_group(hb_server_t *self, group_t *g)
{
    for (size_t i = 0; i < g->w.n_jobs; i++) {
        if (g->w.apply_rc == 0)
            send_ack(self, &g->pending[i], &g->w.jobs[i]);
        hb_wire_free(&g->pending[i].env);
        hb_peer_t *p = hb_peers_find(self->peers, g->w.jobs[i].station_id);
        hb_assert(p);  /* take_batch found it */
        hb_peer_batch_done(p);
    }
    for (size_t i = 0; i < g->w.n_hellos; i++)
        answer_hello(self, &g->hello_from[i], &g->w.hellos[i]);
    for (size_t i = 0; i < g->w.n_reports; i++)
        answer_report(self, &g->report_from[i], &g->w.reports[i]);
    if (g->rules)
        reload_done(self, g);
    g->w.n_jobs = 0;
    g->w.n_hellos = 0;
    g->w.n_reports = 0;
    g->w.n_contacts = 0;
    g->w.contacts = NULL;
    g->w.rules = NULL;
    g->ops = 0;
    hb_assert(self->groups_out > 0 && self->n_spare < HB_GROUPS_IN_HAND_MAX);
    self->groups_out--;
    self->spare[self->n_spare++] = g;
}
