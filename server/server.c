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
#include "ledger.h"
#include "query.h"
#include "rules.h"
#include "zap.h"


static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

/* A batch waiting for the group commit, with where its ack goes. */
typedef struct {
    hb_router_peer_t peer;
    uint64_t correlation_id;
    Hourbank__Envelope *env;  /* owned until the ack is sent */
} pending_t;

struct hb_server {
    char *config_path;
    hb_central_conf_t *conf;
    void *ctx;
    void *router;
    hb_zap_t *zap;
    hb_ledger_t *ledger;
    hb_query_t *query;
    pending_t pending[HB_GROUP_BATCHES_MAX];
    hb_ledger_job_t *jobs;    /* HB_GROUP_BATCHES_MAX of them */
    size_t n_pending;
    size_t pending_ops;       /* ops in those batches */
    int64_t db_retry_at_ms;
    int db_retry_delay_ms;
    int db_state;             /* -1 unknown, 0 down, 1 up: logged on change */
    int64_t db_down_since_ms; /* when db_state became 0 */
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

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

hb_server_t *
hb_server_new(const char *config_path, hb_central_conf_t *conf)
{
    hb_assert(config_path && conf);
    hb_server_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->config_path = strdup(config_path);
    self->conf = conf;
    self->jobs = calloc(HB_GROUP_BATCHES_MAX, sizeof *self->jobs);
    hb_assert(self->config_path && self->jobs);
    self->ctx = zmq_ctx_new();
    self->ledger = hb_ledger_new(conf->database);
    self->query = hb_query_new(conf->database);
    self->db_state = -1;
    self->db_retry_delay_ms = HB_RETRY_DELAY_MS_MIN;
    self->zap = hb_zap_new(self->ctx, conf);
    if (!self->zap || setup_router(self) != 0)
        hb_server_destroy(&self);
    return self;
}

void
hb_server_destroy(hb_server_t **self_p)
{
    hb_assert(self_p);
    hb_server_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n_pending; i++)
        hb_wire_free(&self->pending[i].env);
    if (self->router)
        zmq_close(self->router);
    hb_zap_destroy(&self->zap);
    zmq_ctx_term(self->ctx);
    hb_ledger_destroy(&self->ledger);
    hb_query_destroy(&self->query);
    hb_central_conf_destroy(&self->conf);
    free(self->jobs);
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

/* Logs the database state once per change, and reconnects with capped
 * exponential backoff. */
static void
db_tick(hb_server_t *self)
{
    if (hb_ledger_connected(self->ledger) || now_ms() < self->db_retry_at_ms)
        return;
    char msg[512];
    bool fatal = false;
    int rules_version = 0;
    int rc = hb_ledger_connect(self->ledger, &fatal, msg, sizeof msg);
    if (rc == 0)
        rc = hb_rules_sync(hb_ledger_pg(self->ledger), self->conf, &rules_version, msg, sizeof msg);
    if (fatal) {
        hb_log_error("%s", msg);
        self->exit_code = 1;
        stop_requested = 1;
        return;
    }
    if (rc == 0) {
        if (self->db_state == 0)
            hb_log_info("ledger database connection restored, acks resume outage_ms=%" PRId64 " rules_version=%d",
                        now_ms() - self->db_down_since_ms, rules_version);
        else
            hb_log_info("ledger database connected rules_version=%d", rules_version);
        self->db_state = 1;
        self->db_retry_delay_ms = HB_RETRY_DELAY_MS_MIN;
        return;
    }
    if (self->db_state != 0) {
        hb_log_error("ledger database unavailable, acks withheld until it returns: %s", msg);
        self->db_down_since_ms = now_ms();
    }
    self->db_state = 0;
    self->db_retry_at_ms = now_ms() + self->db_retry_delay_ms;
    self->db_retry_delay_ms *= 2;
    if (self->db_retry_delay_ms > HB_DB_RETRY_DELAY_MS_MAX)
        self->db_retry_delay_ms = HB_DB_RETRY_DELAY_MS_MAX;
}

static void
db_lost(hb_server_t *self)
{
    if (self->db_state == 1) {
        hb_log_error("ledger database connection lost, acks withheld until it returns: %s",
                     hb_ledger_error(self->ledger));
        self->db_down_since_ms = now_ms();
    }
    self->db_state = 0;
    self->db_retry_at_ms = now_ms() + self->db_retry_delay_ms;
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

/* Group commit: every batch received in this turn, one transaction. */
static void
flush_batches(hb_server_t *self)
{
    size_t n = self->n_pending;
    if (n == 0)
        return;
    int rc = hb_ledger_apply(self->ledger, self->jobs, n);
    if (rc != 0)
        db_lost(self);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            send_ack(self, &self->pending[i], &self->jobs[i]);
        hb_wire_free(&self->pending[i].env);
    }
    if (rc == 0)
        hb_log_debug("group committed batches=%zu", n);
    self->n_pending = 0;
    self->pending_ops = 0;
}

static void
queue_batch(hb_server_t *self, const hb_router_peer_t *to, uint32_t station,
            Hourbank__Envelope **env_p)
{
    if (!hb_ledger_connected(self->ledger)) {
        hb_wire_free(env_p);  /* no ack: the station resends */
        return;
    }
    size_t ops = (*env_p)->batch->n_ops;
    if (self->n_pending == HB_GROUP_BATCHES_MAX || self->pending_ops + ops > HB_GROUP_OPS_MAX)
        flush_batches(self);  /* bounded work: queries are not held behind a huge group */
    pending_t *p = &self->pending[self->n_pending];
    hb_ledger_job_t *job = &self->jobs[self->n_pending];
    p->peer = *to;
    p->correlation_id = (*env_p)->correlation_id;
    p->env = *env_p;
    *env_p = NULL;
    job->station_id = station;
    job->batch = p->env->batch;
    self->n_pending++;
    self->pending_ops += ops;
}

static void
answer_hello(hb_server_t *self, const hb_router_peer_t *to, uint32_t station,
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
    flush_batches(self);  /* the mark must include batches already received */
    int64_t hw = hb_ledger_high_water(self->ledger, station);
    if (hw < 0) {
        send_error(self, to, req->correlation_id, HB_RESULT_UNAVAILABLE,
                   "the ledger database is unavailable");
        return;
    }
    hb_ledger_touch(self->ledger, station);
    hb_log_info("station hello station=%" PRIu32 " station_acked=%" PRIu64 " central_hwm=%" PRId64,
                station, req->hello->last_acked_seq, hw);
    Hourbank__Envelope env;
    Hourbank__Welcome w;
    hb_wire_envelope_init(&env, req->correlation_id);
    hourbank__welcome__init(&w);
    w.high_water_mark = (uint64_t) hw;
    w.server_time = (int64_t) time(NULL);
    env.body_case = HOURBANK__ENVELOPE__BODY_WELCOME;
    env.welcome = &w;
    send_to(self, to, &env);
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
    answer_query(self, to, req);
}

/* The peer's identity as ZAP established it: station id, or 0 for admin.
 * Returns -1 when the message carries no identity (never for CURVE peers). */
static int64_t
peer_of(zmq_msg_t *msg)
{
    const char *user = zmq_msg_gets(msg, "User-Id");
    if (!user)
        return -1;
    if (strcmp(user, "admin") == 0)
        return 0;
    char *end;
    errno = 0;
    unsigned long v = strtoul(user, &end, 10);
    if (errno || *end || v == 0 || v > UINT32_MAX)
        return -1;
    return (int64_t) v;
}

static void
dispatch(hb_server_t *self, const hb_router_peer_t *to, int64_t peer, zmq_msg_t *msg)
{
    hb_wire_error_t err;
    Hourbank__Envelope *env = hb_wire_unpack(zmq_msg_data(msg), zmq_msg_size(msg), &err);
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
            answer_hello(self, to, (uint32_t) peer, env);
        } else {
            queue_batch(self, to, (uint32_t) peer, &env);
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
    int64_t peer = peer_of(&msg);
    if (frames != 1 || peer < 0) {
        hb_log_warn("message refused: %d frames, peer=%" PRId64, frames, peer);
        send_error(self, &from, 0, HB_RESULT_MALFORMED, "expected exactly one frame");
    } else {
        dispatch(self, &from, peer, &msg);
    }
    zmq_msg_close(&msg);
    return 1;
}

static void
reload(hb_server_t *self)
{
    hb_central_conf_t *conf = hb_central_conf_reload(self->config_path);
    if (!conf)
        return;  /* logged; the running configuration stays */
    if (strcmp(conf->database, self->conf->database) != 0 || strcmp(conf->listen, self->conf->listen) != 0)
        hb_log_warn("reload: \"database\" and \"listen\" changes take effect after a restart");
    flush_batches(self);  /* batches already received post under the old rules */
    char msg[512];
    int version = 0;
    if (hb_ledger_connected(self->ledger) &&
        hb_rules_sync(hb_ledger_pg(self->ledger), conf, &version, msg, sizeof msg) != 0) {
        hb_log_error("reload refused: could not record the new rules: %s", msg);
        hb_central_conf_destroy(&conf);
        return;
    }
    hb_zap_set_config(self->zap, conf);
    hb_central_conf_destroy(&self->conf);
    self->conf = conf;
    hb_log_info("configuration reloaded rules_version=%d", version);
}

int
hb_server_run(hb_server_t *self)
{
    hb_assert(self);
    hb_daemon_signals(on_signal);
    while (!stop_requested) {
        db_tick(self);
        if (reload_requested) {
            reload_requested = 0;
            reload(self);
        }
        zmq_pollitem_t items[] = {{self->router, 0, ZMQ_POLLIN, 0},
                                  {hb_zap_socket(self->zap), 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, HB_POLL_TICK_MS) < 0)
            continue;  /* EINTR: a signal; the flags are checked above */
        if (items[1].revents & ZMQ_POLLIN)
            hb_zap_handle(self->zap);
        for (int i = 0; i < HB_RECV_BURST_MAX && recv_one(self); i++)
            ;
        flush_batches(self);
    }
    flush_batches(self);
    hb_log_info("stopped exit_code=%d", self->exit_code);
    return self->exit_code;
}
