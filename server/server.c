#include "server.h"

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

/* A batch in a group, with where its ack goes. */
typedef struct {
    hb_router_peer_t peer;
    uint64_t correlation_id;
    Hourbank__Envelope *env;  /* owned until the ack is sent; jobs[i].batch points in */
} pending_t;

/* Where a hello in a group came from. */
typedef struct {
    hb_router_peer_t peer;
    uint64_t correlation_id;
} hello_from_t;

/* A group of work for the writer thread. Owned by this thread while it is
 * collected or spare, by the writer from hb_writer_send until it comes
 * back from hb_writer_recv. */
typedef struct {
    hb_writer_group_t w;      /* first: the writer sees only this */
    pending_t pending[HB_GROUP_BATCHES_MAX];      /* parallel to w.jobs */
    hello_from_t hello_from[HB_GROUP_HELLOS_MAX]; /* parallel to w.hellos */
    size_t ops;               /* ops in the batches */
    /* w.contacts' storage (HB_PEER_STATIONS_MAX entries), allocated with
     * the group */
    hb_ledger_contact_t *contacts;
    hb_central_conf_t *rules; /* owned: the reload riding this group (w.rules) */
} group_t;

/* A VerifyQuery, run on the verify thread's own connection. */
typedef struct {
    hb_router_peer_t peer;
    uint64_t correlation_id;
    hb_query_reply_t *reply;  /* filled by the verify thread; NULL with code and msg */
    hb_result_t code;
    char msg[HB_MESSAGE_BYTES_MAX];
} verify_task_t;

struct hb_server {
    char *config_path;
    hb_central_conf_t *conf;  /* the writer borrows it too (writer.h) */
    void *ctx;
    void *router;
    hb_keys_t *keys;          /* the keys of conf: who each message is from */
    hb_zap_t *zap;
    hb_query_t *query;        /* the reader connection, this thread's */
    hb_writer_t *writer;
    hb_query_t *verify_query; /* the verify thread's connection */
    hb_worker_t *verifier;
    group_t *spare[HB_GROUPS_IN_HAND_MAX];
    size_t n_spare;
    group_t *collecting;      /* NULL, or the group batches join now */
    size_t groups_out;        /* sent to the writer, not back yet */
    size_t verifies_out;      /* sent to the verify thread, not back yet */
    hb_peers_t *peers;        /* per station: hellos, batches in hand, last seen */
    int64_t contacts_at_ms;   /* when last-seen times are next handed to the writer */
    int exit_code;
};

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
    t->reply = hb_query_answer(state, &req, &t->code, t->msg, sizeof t->msg);
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

static void
group_free(group_t **g_p)
{
    group_t *g = *g_p;
    for (size_t i = 0; i < g->w.n_jobs; i++)
        hb_wire_free(&g->pending[i].env);
    hb_central_conf_destroy(&g->rules);
    free(g->contacts);
    free(g);
    *g_p = NULL;
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
        group_free(&self->collecting);
    for (size_t i = 0; i < self->n_spare; i++)
        group_free(&self->spare[i]);
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

/* Sends env to a peer; a peer that went away is not an error. */
static void
send_to(hb_server_t *self, const hb_router_peer_t *to, const Hourbank__Envelope *env)
{
    if (hb_router_send(self->router, to, env) != 0)
        hb_log_debug("reply not delivered body=%d error=\"%s\"", (int) env->body_case, zmq_strerror(zmq_errno()));
}

static void
send_error(hb_server_t *self, const hb_router_peer_t *to, uint64_t corr, hb_result_t code,
           const char *message)
{
    Hourbank__Envelope env;
    Hourbank__ErrorReply err;
    hb_wire_envelope_init(&env, corr);
    hourbank__error_reply__init(&err);
    err.code = (Hourbank__Result) code;
    err.message = (char *) (uintptr_t) message;
    env.body_case = HOURBANK__ENVELOPE__BODY_ERROR;
    env.error = &err;
    send_to(self, to, &env);
}

static void
send_ack(hb_server_t *self, const pending_t *p, const hb_ledger_job_t *job)
{
    size_t n = job->batch_result == HB_RESULT_OK ? job->batch->n_ops : 0;
    Hourbank__OpResult results[HB_BATCH_OPS_MAX];
    Hourbank__OpResult *ptrs[HB_BATCH_OPS_MAX];
    for (size_t i = 0; i < n; i++) {
        hourbank__op_result__init(&results[i]);
        results[i].seq = job->batch->ops[i]->seq;
        results[i].result = (Hourbank__Result) job->outcomes[i].result;
        results[i].message = (char *) (uintptr_t) job->outcomes[i].message;
        results[i].transfer_id = job->outcomes[i].transfer_id;
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
    send_to(self, &p->peer, &env);
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
static bool
room(const hb_server_t *self)
{
    const group_t *g = self->collecting;
    if (groups_in_hand(self) < HB_GROUPS_IN_HAND_MAX)
        return true;
    return g && batch_fits(g, HB_BATCH_OPS_MAX) && g->w.n_hellos < HB_GROUP_HELLOS_MAX;
}

/* Closes the group being collected and moves it to the writer. */
static void
send_group(hb_server_t *self)
{
    group_t *g = self->collecting;
    hb_assert(g);
    self->collecting = NULL;
    self->groups_out++;
    hb_writer_send(self->writer, &g->w);
}

/* The group being collected; when it has no space (fits false), it goes
 * to the writer and a new one is opened (room() said one can be). */
static group_t *
collecting(hb_server_t *self, bool fits)
{
    if (self->collecting && fits)
        return self->collecting;
    if (self->collecting)
        send_group(self);
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
    group_t *g = collecting(self, self->collecting && batch_fits(self->collecting, ops));
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
    send_to(self, to, &env);
}

/* A batch is taken on a connection whose hello was answered, while its
 * station has room in hand (peers.h); otherwise it is refused whole and
 * the station says hello again and resends. */
static void
take_batch(hb_server_t *self, const hb_router_peer_t *to, uint32_t station, Hourbank__Envelope **env_p,
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
static void
queue_hello(hb_server_t *self, const hb_router_peer_t *to, uint32_t station,
            const Hourbank__Envelope *req)
{
    char msg[HB_MESSAGE_BYTES_MAX];
    if (req->hello->station_id != station) {
        snprintf(msg, sizeof msg, "hello names station %" PRIu32 " but this key belongs to station %" PRIu32,
                 req->hello->station_id, station);
        hb_log_warn("%s", msg);
        send_error(self, to, req->correlation_id, HB_RESULT_NOT_AUTHORIZED, msg);
        return;
    }
    group_t *g = collecting(self, self->collecting && self->collecting->w.n_hellos < HB_GROUP_HELLOS_MAX);
    size_t i = g->w.n_hellos++;
    g->w.hellos[i].station_id = station;
    g->w.hellos[i].station_acked = req->hello->last_acked_seq;
    g->w.hellos[i].high_water = -1;
    g->hello_from[i].peer = *to;
    g->hello_from[i].correlation_id = req->correlation_id;
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
        send_error(self, &from->peer, from->correlation_id, HB_RESULT_UNAVAILABLE,
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
    env.body_case = HOURBANK__ENVELOPE__BODY_WELCOME;
    env.welcome = &w;
    send_to(self, &from->peer, &env);
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
static void
finish_group(hb_server_t *self, group_t *g)
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
    if (g->rules)
        reload_done(self, g);
    g->w.n_jobs = 0;
    g->w.n_hellos = 0;
    g->w.n_contacts = 0;
    g->w.contacts = NULL;
    g->w.rules = NULL;
    g->ops = 0;
    hb_assert(self->groups_out > 0 && self->n_spare < HB_GROUPS_IN_HAND_MAX);
    self->groups_out--;
    self->spare[self->n_spare++] = g;
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
        finish_group(self, (group_t *) w);
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
        send_error(self, to, correlation_id, HB_RESULT_UNAVAILABLE, msg);
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
            send_to(self, &t->peer, env);
            hb_query_reply_free(&t->reply);
        } else {
            send_error(self, &t->peer, t->correlation_id, t->code, t->msg);
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
answer_query(hb_server_t *self, const hb_router_peer_t *to, const Hourbank__Envelope *req)
{
    hb_result_t code = HB_RESULT_INTERNAL;
    char msg[HB_MESSAGE_BYTES_MAX] = "";
    hb_query_reply_t *reply = hb_query_answer(self->query, req, &code, msg, sizeof msg);
    if (!reply) {
        send_error(self, to, req->correlation_id, code, msg);
        return;
    }
    Hourbank__Envelope *env = hb_query_reply_envelope(reply);
    overlay_last_seen(self, env);
    env->correlation_id = req->correlation_id;
    send_to(self, to, env);
    hb_query_reply_free(&reply);
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
        send_error(self, to, req->correlation_id, HB_RESULT_NOT_AUTHORIZED, msg);
        return;
    }
    if (req->body_case == HOURBANK__ENVELOPE__BODY_VERIFY_QUERY)
        queue_verify(self, to, req->correlation_id);
    else
        answer_query(self, to, req);
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
    send_error(self, to, env->correlation_id, HB_RESULT_NOT_AUTHORIZED, msg);
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
        send_error(self, to, err.correlation_id, err.code, err.message);
        return;
    }
    switch (env->body_case) {
    case HOURBANK__ENVELOPE__BODY_HELLO:
    case HOURBANK__ENVELOPE__BODY_BATCH:
        if (peer == 0) {
            send_error(self, to, env->correlation_id, HB_RESULT_NOT_AUTHORIZED,
                       "an admin key cannot act as a station");
        } else if (env->body_case == HOURBANK__ENVELOPE__BODY_HELLO) {
            queue_hello(self, to, (uint32_t) peer, env);
        } else {
            take_batch(self, to, (uint32_t) peer, &env, op_bytes);
        }
        break;
    case HOURBANK__ENVELOPE__BODY_BALANCE_QUERY:
    case HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY:
    case HOURBANK__ENVELOPE__BODY_MEMBER_QUERY:
    case HOURBANK__ENVELOPE__BODY_DIRECTORY_QUERY:
    case HOURBANK__ENVELOPE__BODY_CATEGORIES_QUERY:
        answer_query(self, to, env);
        break;
    case HOURBANK__ENVELOPE__BODY_STATIONS_QUERY:
    case HOURBANK__ENVELOPE__BODY_VERIFY_QUERY:
        answer_admin_query(self, to, peer, env);
        break;
    default:
        hb_log_warn("message refused peer=%" PRId64 " code=MALFORMED reason=\"message type %d is not for central\"",
                    peer, (int) env->body_case);
        send_error(self, to, env->correlation_id, HB_RESULT_MALFORMED,
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
        send_error(self, &from, 0, HB_RESULT_MALFORMED, "expected exactly one frame");
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
    group_t *g = collecting(self, true);
    g->rules = conf;
    g->w.rules = conf;
    send_group(self);
}

/* Every HB_CONTACT_FLUSH_MS, the stations' last-seen times that changed
 * ride the group being collected to the writer: one statement per tick,
 * whatever the traffic. A group that carries some already waits for the
 * next tick. */
static void
hand_contacts(hb_server_t *self)
{
    int64_t now = hb_clock_ms();
    if (now < self->contacts_at_ms || !room(self) || (self->collecting && self->collecting->w.n_contacts > 0))
        return;
    self->contacts_at_ms = now + HB_CONTACT_FLUSH_MS;
    uint32_t ids[HB_GROUP_BATCHES_MAX];
    int64_t times[HB_GROUP_BATCHES_MAX];
    group_t *g = NULL;
    size_t n;
    while ((n = hb_peers_take_contacts(self->peers, ids, times, HB_GROUP_BATCHES_MAX)) > 0) {
        g = g ? g : collecting(self, self->collecting != NULL);
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
    if (reload_requested && room(self)) {
        reload_requested = 0;
        reload(self);
    }
    zmq_pollitem_t items[] = {{hb_writer_socket(self->writer), 0, ZMQ_POLLIN, 0},
                              {hb_worker_socket(self->verifier), 0, ZMQ_POLLIN, 0},
                              {hb_zap_socket(self->zap), 0, ZMQ_POLLIN, 0},
                              {self->router, 0, room(self) ? ZMQ_POLLIN : 0, 0}};
    if (zmq_poll(items, 4, HB_POLL_TICK_MS) < 0)
        return;  /* EINTR: a signal; the flags are checked by the caller */
    if (items[0].revents & ZMQ_POLLIN)
        writer_returns(self);
    if (items[1].revents & ZMQ_POLLIN)
        verifier_returns(self);
    if (items[2].revents & ZMQ_POLLIN)
        hb_zap_handle(self->zap);
    for (int i = 0; i < HB_RECV_BURST_MAX && room(self) && recv_one(self); i++)
        ;
    hand_contacts(self);
    if (self->collecting && self->groups_out == 0)
        send_group(self);  /* group commit: all that came while the writer was busy */
}

/* SIGTERM: what was received is committed and acked before exiting. */
static void
drain(hb_server_t *self)
{
    if (self->collecting)
        send_group(self);
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
