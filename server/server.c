#include "server_int.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "hb_assert.h"
#include "hb_daemon.h"
#include "hb_keyfile.h"
#include "hb_log.h"
#include "hb_router.h"
#include "hb_wire.h"
#include "hb_clock.h"
#include "ledger.h"
#include "peers.h"
#include "query.h"
#include "keys.h"
#include "worker.h"
#include "writer.h"
#include "zap.h"

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

/* A VerifyQuery, run on the verify thread's own connection. */
typedef struct {
    hb_router_peer_t peer;
    uint64_t correlation_id;
    hb_query_reply_t *reply;  /* filled by the verify thread; NULL with code and msg */
    hb_result_t code;
    char msg[HB_MESSAGE_BYTES_MAX];
} verify_task_t;

static void
on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_requested = 1;
    else
        stop_requested = 1;
}

static int
setup_router(hb_server_t *self)
{
    char secret[HB_KEY_Z85_CHARS + 1], msg[HB_PATH_BYTES_MAX + 128];
    if (hb_keyfile_read(self->conf->secret_key_file, true, secret, msg, sizeof msg) != 0) {
        hb_log_error("%s", msg);
        return -1;
    }
    self->router = zmq_socket(self->ctx, ZMQ_ROUTER);
    hb_assert(self->router);
    int one = 1, zero = 0, ivl = HB_HEARTBEAT_IVL_MS, tmo = HB_HEARTBEAT_TIMEOUT_MS;
    int64_t maxmsg = HB_MSG_BYTES_MAX + HB_CURVE_OVERHEAD_BYTES;  /* zmq counts CURVE's box */
    zmq_setsockopt(self->router, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(self->router, ZMQ_CURVE_SECRETKEY, secret, HB_KEY_Z85_CHARS);
    zmq_setsockopt(self->router, ZMQ_ZAP_DOMAIN, "hourbank", 8);
    zmq_setsockopt(self->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(self->router, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(self->router, ZMQ_HEARTBEAT_TIMEOUT, &tmo, sizeof tmo);
    zmq_setsockopt(self->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(self->router, ZMQ_LINGER, &zero, sizeof zero);
    sodium_memzero(secret, sizeof secret);
    if (zmq_bind(self->router, self->conf->listen) != 0) {
        hb_log_error("could not listen on \"%s\": %s", self->conf->listen, zmq_strerror(zmq_errno()));
        return -1;
    }
    hb_log_info("listening endpoint=%s", self->conf->listen);
    return 0;
}

static void
verify_handle(void *state, void *task)
{
    verify_task_t *t = task;
    Hourbank__Envelope req;
    Hourbank__VerifyQuery vq;
    hourbank__envelope__init(&req);
    hourbank__verify_query__init(&vq);
    req.body_case = HOURBANK__ENVELOPE__BODY_VERIFY_QUERY;
    req.verify_query = &vq;
    t->reply = hb_query_answer(state, &req, 0, &t->code, t->msg, sizeof t->msg);
}

/* Queries read from query_database (e.g. a hot standby) when it is set. */
static const char *
query_conninfo(const hb_central_conf_t *conf)
{
    return conf->query_database[0] ? conf->query_database : conf->database;
}

/* The writer and verify threads, and the groups, once the sockets work. */
static void
start_threads(hb_server_t *self)
{
    for (size_t i = 0; i < HB_GROUPS_IN_HAND_MAX; i++) {
        self->spare[i] = calloc(1, sizeof *self->spare[i]);
        hb_assert(self->spare[i]);
        self->spare[i]->contacts = calloc(HB_PEER_STATIONS_MAX, sizeof *self->spare[i]->contacts);
        hb_assert(self->spare[i]->contacts);
    }
    self->peers = hb_peers_new();
    self->n_spare = HB_GROUPS_IN_HAND_MAX;
    self->writer = hb_writer_new(self->ctx, self->conf->database, self->conf);
    /* verify reads for seconds on a big ledger, on its own thread: no
     * statement timeout */
    self->verify_query = hb_query_new(query_conninfo(self->conf), (int) self->conf->query_connect_timeout_seconds, 0);
    hb_worker_def_t def = {.name = "verify", .state = self->verify_query, .handle = verify_handle};
    self->verifier = hb_worker_new(self->ctx, &def);
}

hb_server_t *
hb_server_new(const char *config_path, hb_central_conf_t *conf)
{
    hb_assert(config_path && conf);
    hb_server_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->config_path = strdup(config_path);
    self->conf = conf;
    hb_assert(self->config_path);
    self->ctx = zmq_ctx_new();
    self->query = hb_query_new(query_conninfo(conf), (int) conf->query_connect_timeout_seconds,
                               (int) conf->query_statement_timeout_seconds);
    self->keys = hb_keys_new(conf);
    self->zap = hb_zap_new(self->ctx, self->keys);
    if (!self->zap || setup_router(self) != 0)
        hb_server_destroy(&self);
    else
        start_threads(self);
    return self;
}

/* Every group and task is back (hb_server_run drains) or was never sent. */
void
hb_server_destroy(hb_server_t **self_p)
{
    hb_assert(self_p);
    hb_server_t *self = *self_p;
    if (!self)
        return;
    hb_assert(self->groups_out == 0 && self->verifies_out == 0);
    hb_writer_destroy(&self->writer);
    hb_worker_destroy(&self->verifier);
    hb_query_destroy(&self->verify_query);
    if (self->collecting)
        hb_server__group_free(&self->collecting);
    for (size_t i = 0; i < self->n_spare; i++)
        hb_server__group_free(&self->spare[i]);
    hb_peers_destroy(&self->peers);
    if (self->router)
        zmq_close(self->router);
    hb_zap_destroy(&self->zap);
    hb_keys_destroy(&self->keys);
    zmq_ctx_term(self->ctx);
    hb_query_destroy(&self->query);
    hb_central_conf_destroy(&self->conf);
    free(self->config_path);
    free(self);
    *self_p = NULL;
}

static void
writer_returns(hb_server_t *self)
{
    for (;;) {
        bool fatal = false;
        hb_writer_group_t *w = hb_writer_recv(self->writer, &fatal);
        if (fatal) {
            self->exit_code = 1;  /* logged by the writer */
            stop_requested = 1;
            continue;
        }
        if (!w)
            return;
        hb_server__finish_group(self, (group_t *) w);
    }
}

/* ---- verify: on its own thread and connection ---- */

static void
queue_verify(hb_server_t *self, const hb_router_peer_t *to, uint64_t correlation_id)
{
    if (self->verifies_out >= HB_VERIFIES_QUEUED_MAX) {
        char msg[HB_MESSAGE_BYTES_MAX];
        snprintf(msg, sizeof msg, "%d verifies are already running or waiting; ask again later",
                 HB_VERIFIES_QUEUED_MAX);
        hb_server__send_error(self, to, correlation_id, HB_RESULT_UNAVAILABLE, msg);
        return;
    }
    verify_task_t *t = calloc(1, sizeof *t);
    hb_assert(t);
    t->peer = *to;
    t->correlation_id = correlation_id;
    self->verifies_out++;
    hb_worker_send(self->verifier, t);
}

static void
verifier_returns(hb_server_t *self)
{
    verify_task_t *t;
    while ((t = hb_worker_recv(self->verifier)) != NULL) {
        if (t->reply) {
            Hourbank__Envelope *env = hb_query_reply_envelope(t->reply);
            env->correlation_id = t->correlation_id;
            hb_server__send_to(self, &t->peer, env);
            hb_query_reply_free(&t->reply);
        } else {
            hb_server__send_error(self, &t->peer, t->correlation_id, t->code, t->msg);
        }
        free(t);
        self->verifies_out--;
    }
}

/* ---- queries: answered at once on the reader connection ---- */

/* The station list says when each station last sent anything as this
 * thread knows it, which the ledger learns only at the next tick, and the
 * city's time zone (central.yaml in force) for the admin's CLI to show
 * times in. */
static void
overlay_last_seen(hb_server_t *self, Hourbank__Envelope *env)
{
    if (env->body_case != HOURBANK__ENVELOPE__BODY_STATIONS_REPLY)
        return;
    env->stations_reply->time_zone = (char *) (uintptr_t) self->conf->time_zone;
    for (size_t i = 0; i < env->stations_reply->n_stations; i++) {
        Hourbank__StationInfo *s = env->stations_reply->stations[i];
        const hb_peer_t *p = hb_peers_find(self->peers, s->station_id);
        if (p && hb_peer_last_seen(p) > s->last_contact)
            s->last_contact = hb_peer_last_seen(p);
    }
}

static void
answer_query(hb_server_t *self, const hb_router_peer_t *to, int64_t peer, const Hourbank__Envelope *req)
{
    hb_result_t code = HB_RESULT_INTERNAL;
    char msg[HB_MESSAGE_BYTES_MAX] = "";
    hb_assert(peer >= 0);  /* refuse_key answered a key not in force */
    hb_query_reply_t *reply = hb_query_answer(self->query, req, (uint32_t) peer, &code, msg, sizeof msg);
    if (!reply) {
        hb_server__send_error(self, to, req->correlation_id, code, msg);
        return;
    }
    Hourbank__Envelope *env = hb_query_reply_envelope(reply);
    overlay_last_seen(self, env);
    env->correlation_id = req->correlation_id;
    hb_server__send_to(self, to, env);
    hb_query_reply_free(&reply);
}

/* ReconcileQuery: a station's own ops (station keys only). The figures
 * are answered on the query connection now; a report is recorded by the
 * writer (the query connection may be a read-only standby), and the reply
 * waits for it in the group being collected. */
static void
answer_reconcile(hb_server_t *self, const hb_router_peer_t *to, int64_t peer, Hourbank__Envelope **env_p)
{
    const Hourbank__Envelope *req = *env_p;
    if (peer <= 0) {
        hb_log_warn("reconcile query refused: an admin key is not a station");
        hb_server__send_error(self, to, req->correlation_id, HB_RESULT_NOT_AUTHORIZED,
                              "an admin key cannot reconcile: ask with a station's key");
        return;
    }
    if (!req->reconcile_query->report) {
        answer_query(self, to, peer, req);
        return;
    }
    hb_result_t code = HB_RESULT_INTERNAL;
    char msg[HB_MESSAGE_BYTES_MAX] = "";
    hb_query_reply_t *reply = hb_query_answer(self->query, req, (uint32_t) peer, &code, msg, sizeof msg);
    if (!reply)
        hb_server__send_error(self, to, req->correlation_id, code, msg);
    else
        hb_server__queue_report(self, to, (uint32_t) peer, env_p, reply);
}

/* Stations and verify are for admin keys (peer 0) only. */
static void
answer_admin_query(hb_server_t *self, const hb_router_peer_t *to, int64_t peer,
                   const Hourbank__Envelope *req)
{
    if (peer != 0) {
        char msg[HB_MESSAGE_BYTES_MAX];
        snprintf(msg, sizeof msg, "station %" PRId64 " may not ask for %s: an admin key is required", peer,
                 req->body_case == HOURBANK__ENVELOPE__BODY_VERIFY_QUERY ? "a ledger verify" : "the station list");
        hb_log_warn("%s", msg);
        hb_server__send_error(self, to, req->correlation_id, HB_RESULT_NOT_AUTHORIZED, msg);
        return;
    }
    if (req->body_case == HOURBANK__ENVELOPE__BODY_VERIFY_QUERY)
        queue_verify(self, to, req->correlation_id);
    else
        answer_query(self, to, peer, req);
}

/* A message whose key is not in force now (replaced or removed from
 * central.yaml by a reload after the connection was opened), or from a
 * retired station, other than a batch: NOT_AUTHORIZED. Returns true when
 * env was refused. */
static bool
refuse_key(hb_server_t *self, const hb_router_peer_t *to, const char *key, const hb_keys_entry_t *who,
           const Hourbank__Envelope *env)
{
    char msg[HB_MESSAGE_BYTES_MAX];
    if (!who) {
        snprintf(msg, sizeof msg, "the key %s of this connection is no longer in force at central"
                 " (replaced or removed in central.yaml): reconnect with a key central.yaml lists", key);
        hb_log_warn("message refused: key no longer in force key=%s body=%d", key, (int) env->body_case);
    } else if (who->retired && env->body_case != HOURBANK__ENVELOPE__BODY_BATCH) {
        snprintf(msg, sizeof msg, "station %" PRIu32 " is retired: central accepts no more messages from it",
                 who->station);
        hb_log_warn("message refused: station %" PRIu32 " is retired station=%" PRIu32 " body=%d", who->station,
                    who->station, (int) env->body_case);
    } else {
        return false;
    }
    hb_server__send_error(self, to, env->correlation_id, HB_RESULT_NOT_AUTHORIZED, msg);
    return true;
}

/* key: the message's User-Id (zap.h); who: its entry in the keys in force,
 * NULL when the key is no longer in force. */
static void
dispatch(hb_server_t *self, const hb_router_peer_t *to, const char *key, const hb_keys_entry_t *who,
         zmq_msg_t *msg)
{
    hb_wire_error_t err;
    int64_t peer = who ? (int64_t) who->station : -1;
    uint32_t op_bytes[HB_BATCH_OPS_MAX];  /* ops not in canonical encoding: refused alone */
    Hourbank__Envelope *env = hb_wire_unpack_ops(zmq_msg_data(msg), zmq_msg_size(msg), op_bytes, &err);
    if (env && refuse_key(self, to, key, who, env)) {
        hb_wire_free(&env);
        return;
    }
    if (!env) {
        hb_log_warn("message refused peer=%" PRId64 " code=%s reason=\"%s\"", peer,
                    hb_result_name(err.code), err.message);
        hb_server__send_error(self, to, err.correlation_id, err.code, err.message);
        return;
    }
    switch (env->body_case) {
    case HOURBANK__ENVELOPE__BODY_HELLO:
    case HOURBANK__ENVELOPE__BODY_BATCH:
        if (peer == 0) {
            hb_server__send_error(self, to, env->correlation_id, HB_RESULT_NOT_AUTHORIZED,
                       "an admin key cannot act as a station");
        } else if (env->body_case == HOURBANK__ENVELOPE__BODY_HELLO) {
            hb_server__queue_hello(self, to, (uint32_t) peer, env);
        } else {
            hb_server__take_batch(self, to, (uint32_t) peer, &env, op_bytes);
        }
        break;
    case HOURBANK__ENVELOPE__BODY_BALANCE_QUERY:
    case HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY:
    case HOURBANK__ENVELOPE__BODY_MEMBER_QUERY:
    case HOURBANK__ENVELOPE__BODY_DIRECTORY_QUERY:
    case HOURBANK__ENVELOPE__BODY_CATEGORIES_QUERY:
    case HOURBANK__ENVELOPE__BODY_RULES_QUERY:
        answer_query(self, to, peer, env);
        break;
    case HOURBANK__ENVELOPE__BODY_STATIONS_QUERY:
    case HOURBANK__ENVELOPE__BODY_VERIFY_QUERY:
        answer_admin_query(self, to, peer, env);
        break;
    case HOURBANK__ENVELOPE__BODY_RECONCILE_QUERY:
        answer_reconcile(self, to, peer, &env);
        break;
    default:
        hb_log_warn("message refused peer=%" PRId64 " code=MALFORMED reason=\"message type %d is not for central\"",
                    peer, (int) env->body_case);
        hb_server__send_error(self, to, env->correlation_id, HB_RESULT_MALFORMED,
                   "central does not accept this message type");
        break;
    }
    hb_wire_free(&env);
}

/* Reads one [routing id][payload] message without blocking; 0 when none. */
static int
recv_one(hb_server_t *self)
{
    hb_router_peer_t from;
    zmq_msg_t msg;
    int frames;
    if (!hb_router_recv(self->router, &from, &msg, &frames)) {
        zmq_msg_close(&msg);
        return 0;
    }
    const char *key = zmq_msg_gets(&msg, "User-Id");  /* set by ZAP for every CURVE peer */
    const hb_keys_entry_t *who = key ? hb_keys_find(self->keys, key) : NULL;
    if (who && who->station > 0)
        hb_peers_seen(self->peers, who->station, (int64_t) time(NULL));  /* anything counts as contact */
    if (frames != 1 || !key) {
        hb_log_warn("message refused: %d frames, peer=%" PRId64, frames, who ? (int64_t) who->station : -1);
        hb_server__send_error(self, &from, 0, HB_RESULT_MALFORMED, "expected exactly one frame");
    } else {
        dispatch(self, &from, key, who, &msg);
    }
    zmq_msg_close(&msg);
    return 1;
}

/* SIGHUP: the new rules ride a group of their own, after the batches
 * already received; batches received afterwards go to later groups. */
static void
reload(hb_server_t *self)
{
    hb_central_conf_t *conf = hb_central_conf_reload(self->config_path);
    if (!conf)
        return;  /* logged; the running configuration stays */
    if (strcmp(conf->database, self->conf->database) != 0 || strcmp(conf->listen, self->conf->listen) != 0 ||
        strcmp(conf->query_database, self->conf->query_database) != 0 ||
        conf->query_connect_timeout_seconds != self->conf->query_connect_timeout_seconds ||
        conf->query_statement_timeout_seconds != self->conf->query_statement_timeout_seconds)
        hb_log_warn("reload: \"database\", \"listen\" and \"query_*\" changes take effect after a restart");
    group_t *g = hb_server__collecting(self, true);
    g->rules = conf;
    g->w.rules = conf;
    hb_server__send_group(self);
}

/* Every HB_CONTACT_FLUSH_MS, the stations' last-seen times that changed
 * ride the group being collected to the writer: one statement per tick,
 * whatever the traffic. A group that carries some already waits for the
 * next tick. */
static void
hand_contacts(hb_server_t *self)
{
    int64_t now = hb_clock_ms();
    if (now < self->contacts_at_ms || !hb_server__room(self) || (self->collecting && self->collecting->w.n_contacts > 0))
        return;
    self->contacts_at_ms = now + HB_CONTACT_FLUSH_MS;
    uint32_t ids[HB_GROUP_BATCHES_MAX];
    int64_t times[HB_GROUP_BATCHES_MAX];
    group_t *g = NULL;
    size_t n;
    while ((n = hb_peers_take_contacts(self->peers, ids, times, HB_GROUP_BATCHES_MAX)) > 0) {
        g = g ? g : hb_server__collecting(self, self->collecting != NULL);
        for (size_t i = 0; i < n; i++)
            g->contacts[g->w.n_contacts++] = (hb_ledger_contact_t){ids[i], times[i]};
    }
    if (g)
        g->w.contacts = g->contacts;
}

/* One turn: groups back from the writer, verifies back, ZAP, then new
 * messages while there is room for them. */
static void
turn(hb_server_t *self)
{
    if (reload_requested && hb_server__room(self)) {
        reload_requested = 0;
        reload(self);
    }
    zmq_pollitem_t items[] = {{hb_writer_socket(self->writer), 0, ZMQ_POLLIN, 0},
                              {hb_worker_socket(self->verifier), 0, ZMQ_POLLIN, 0},
                              {hb_zap_socket(self->zap), 0, ZMQ_POLLIN, 0},
                              {self->router, 0, hb_server__room(self) ? ZMQ_POLLIN : 0, 0}};
    if (zmq_poll(items, 4, HB_POLL_TICK_MS) < 0)
        return;  /* EINTR: a signal; the flags are checked by the caller */
    if (items[0].revents & ZMQ_POLLIN)
        writer_returns(self);
    if (items[1].revents & ZMQ_POLLIN)
        verifier_returns(self);
    if (items[2].revents & ZMQ_POLLIN)
        hb_zap_handle(self->zap);
    for (int i = 0; i < HB_RECV_BURST_MAX && hb_server__room(self) && recv_one(self); i++)
        ;
    hand_contacts(self);
    if (self->collecting && self->groups_out == 0)
        hb_server__send_group(self);  /* group commit: all that came while the writer was busy */
}

/* SIGTERM: what was received is committed and acked before exiting. */
static void
drain(hb_server_t *self)
{
    if (self->collecting)
        hb_server__send_group(self);
    while (self->groups_out > 0 || self->verifies_out > 0) {
        zmq_pollitem_t items[] = {{hb_writer_socket(self->writer), 0, ZMQ_POLLIN, 0},
                                  {hb_worker_socket(self->verifier), 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, HB_POLL_TICK_MS) < 0)
            continue;
        writer_returns(self);
        verifier_returns(self);
    }
}

int
hb_server_run(hb_server_t *self)
{
    hb_assert(self);
    hb_daemon_signals(on_signal);
    while (!stop_requested)
        turn(self);
    drain(self);
    hb_log_info("stopped exit_code=%d", self->exit_code);
    return self->exit_code;
}
