#include "station.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "api.h"
#include "hb_assert.h"
#include "hb_daemon.h"
#include "hb_log.h"
#include "outbox.h"
#include "reconcile.h"
#include "station_lock.h"
#include "sync.h"

/* " (pid 4194304)" */
#define PID_TEXT_BYTES 32
/* Compaction runs at most this often; it is bounded per call anyway. */
#define COMPACT_EVERY_S 60

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

struct hb_station {
    char *config_path;
    hb_station_conf_t *conf;
    hb_station_lock_t *lock;  /* one station per outbox, held for the daemon's life */
    void *ctx;
    hb_outbox_t *outbox;
    hb_api_t *api;
    hb_sync_t *sync;
    hb_reconcile_t *reconcile;
    int64_t compact_at;
};

/* hb_sync_reply_fn: central's answer to a forwarded request goes to the
 * reconcile run (its token) or to the local API (the CLI's). */
static void
on_central_reply(void *arg, uint64_t token, const Hourbank__Envelope *reply)
{
    hb_station_t *self = arg;
    if (token == HB_RECONCILE_TOKEN)
        hb_reconcile_on_reply(self->reconcile, reply);
    else
        hb_api_on_forward_reply(self->api, token, reply);
}

static void
on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_requested = 1;
    else
        stop_requested = 1;
}

/* station.yaml's default_operator is in table operators: added without a
 * PIN at the first start that names it (logged). 0, or -1 with msg. */
static int
default_operator_ensure(hb_outbox_t *outbox, const hb_station_conf_t *conf, char *msg, size_t msg_size)
{
    const char *name = conf->default_operator;
    if (name[0] == '\0')
        return 0;
    int state = hb_outbox_operator_state(outbox, name);
    if (state < 0) {
        snprintf(msg, msg_size, "could not read the operators of outbox \"%s\"", conf->outbox_path);
        return -1;
    }
    if (state == 2)
        hb_log_warn("default_operator \"%s\" is disabled: saves that name no operator are refused until"
                    " station.yaml names another", name);
    if (state != 0)
        return 0;
    hb_result_t r = hb_outbox_operator_add(outbox, name, "", (int64_t) time(NULL), msg, msg_size);
    if (r != HB_RESULT_OK)
        return -1;
    hb_log_info("default_operator \"%s\" added to the operators (no PIN)", name);
    return 0;
}

hb_station_t *
hb_station_new(const char *config_path, hb_station_conf_t *conf)
{
    hb_assert(config_path && conf);
    hb_station_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->config_path = strdup(config_path);
    self->conf = conf;
    self->ctx = zmq_ctx_new();
    char msg[HB_PATH_BYTES_MAX + 256];
    pid_t holder;
    self->lock = hb_station_lock_take(conf->outbox_path, &holder, msg, sizeof msg);
    if (!self->lock && holder >= 0) {
        char pid[PID_TEXT_BYTES] = "";
        if (holder > 0)
            snprintf(pid, sizeof pid, " (pid %ld)", (long) holder);
        snprintf(msg, sizeof msg, "outbox \"%s\" is in use by another hourbank-station%s: one station per outbox",
                 conf->outbox_path, pid);
    }
    if (self->lock)
        self->outbox = hb_outbox_open(conf->outbox_path, conf->station_id, conf->community, conf->outbox_max_bytes,
                                      msg, sizeof msg);
    if (self->outbox && conf->member_serial_min > conf->member_serial_max) {
        snprintf(msg, sizeof msg, "member_serial_min %u is above member_serial_max %u",
                 (unsigned) conf->member_serial_min, (unsigned) conf->member_serial_max);
        hb_outbox_destroy(&self->outbox);
    }
    if (self->outbox && default_operator_ensure(self->outbox, conf, msg, sizeof msg) != 0)
        hb_outbox_destroy(&self->outbox);
    if (self->outbox) {
        hb_outbox_set_serials(self->outbox, conf->member_serial_min, conf->member_serial_max);
        self->api = hb_api_new(self->ctx, conf, self->outbox, msg, sizeof msg);
    }
    if (self->api) {
        self->reconcile = hb_reconcile_new(self->outbox, conf->reconcile_interval_seconds);
        self->sync = hb_sync_new(self->ctx, conf, self->outbox, on_central_reply, self, msg, sizeof msg);
    }
    if (!self->sync) {
        hb_log_error("%s", msg);
        hb_station_destroy(&self);
        return NULL;
    }
    hb_api_set_sync(self->api, self->sync);
    hb_reconcile_set_sync(self->reconcile, self->sync);
    hb_api_set_reconcile(self->api, self->reconcile);
    hb_log_info("station started station=%u community=%s outbox=%s last_seq=%llu last_acked=%llu",
                conf->station_id, conf->community, conf->outbox_path,
                (unsigned long long) hb_outbox_last_seq(self->outbox),
                (unsigned long long) hb_outbox_last_acked(self->outbox));
    return self;
}

void
hb_station_destroy(hb_station_t **self_p)
{
    hb_assert(self_p);
    hb_station_t *self = *self_p;
    if (!self)
        return;
    hb_sync_destroy(&self->sync);      /* a reconcile run's query fails: the run ends, */
    hb_reconcile_destroy(&self->reconcile);  /* its asker answered by the api */
    hb_api_destroy(&self->api);
    hb_outbox_destroy(&self->outbox);
    hb_station_lock_release(&self->lock);
    zmq_ctx_term(self->ctx);
    hb_station_conf_destroy(&self->conf);
    free(self->config_path);
    free(self);
    *self_p = NULL;
}

/* Settings read only at start (the outbox, the local API, the identity):
 * their names in what when conf changes them. */
static void
restart_settings(const hb_station_conf_t *old, const hb_station_conf_t *conf, char *what, size_t what_size)
{
    struct {
        const char *name;
        bool changed;
    } s[] = {
        {"station_id", conf->station_id != old->station_id},
        {"community", strcmp(conf->community, old->community) != 0},
        {"outbox_path", strcmp(conf->outbox_path, old->outbox_path) != 0},
        {"ipc_endpoint", strcmp(conf->ipc_endpoint, old->ipc_endpoint) != 0},
        {"outbox_max_bytes", conf->outbox_max_bytes != old->outbox_max_bytes},
        {"member_serial_min", conf->member_serial_min != old->member_serial_min},
        {"member_serial_max", conf->member_serial_max != old->member_serial_max},
        {"default_operator", strcmp(conf->default_operator, old->default_operator) != 0},
    };
    what[0] = '\0';
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        size_t len = strlen(what);
        if (s[i].changed)
            snprintf(what + len, what_size - len, "%s%s", len ? ", " : "", s[i].name);
    }
}

/* New keys or another central: a new link (a new DEALER, hello again)
 * with them; the ops not acked are sent again on it. When the new link
 * cannot be made (a key file unreadable), the running one stays. */
static void
relink(hb_station_t *self, const hb_station_conf_t *conf, const char *what)
{
    hb_station_conf_t old = *self->conf;
    memcpy(self->conf->central_endpoint, conf->central_endpoint, sizeof conf->central_endpoint);
    memcpy(self->conf->central_public_key, conf->central_public_key, sizeof conf->central_public_key);
    memcpy(self->conf->public_key_file, conf->public_key_file, sizeof conf->public_key_file);
    memcpy(self->conf->secret_key_file, conf->secret_key_file, sizeof conf->secret_key_file);
    char msg[HB_PATH_BYTES_MAX + 256];
    hb_sync_t *sync = hb_sync_new(self->ctx, self->conf, self->outbox, on_central_reply, self, msg, sizeof msg);
    if (!sync) {
        *self->conf = old;
        hb_log_error("reload: %s changed but the link to central keeps the running ones: %s", what, msg);
        return;
    }
    hb_sync_destroy(&self->sync);
    self->sync = sync;
    hb_api_set_sync(self->api, sync);
    hb_reconcile_set_sync(self->reconcile, sync);
    hb_log_info("reload: %s changed: new link to central endpoint=%s", what, self->conf->central_endpoint);
}

static void
reload(hb_station_t *self)
{
    hb_station_conf_t *conf = hb_station_conf_reload(self->config_path);
    if (!conf)
        return;  /* logged; the running configuration stays */
    char restart[HB_MESSAGE_BYTES_MAX], link[HB_MESSAGE_BYTES_MAX];
    restart_settings(self->conf, conf, restart, sizeof restart);
    if (restart[0] == '\0' && hb_sync_link_changes(self->sync, conf, link, sizeof link))
        relink(self, conf, link);
    /* Only the settings read at each use change: the rest stays as running. */
    self->conf->batch_ops = conf->batch_ops;
    self->conf->retention_days = conf->retention_days;
    self->conf->reconcile_interval_seconds = conf->reconcile_interval_seconds;
    hb_reconcile_set_interval(self->reconcile, conf->reconcile_interval_seconds);
    memcpy(self->conf->log_level, conf->log_level, sizeof conf->log_level);
    hb_log_level_t level = HB_LOG_INFO;
    if (hb_log_level_parse(conf->log_level, &level) == 0)
        hb_log_set_level(level);
    hb_station_conf_destroy(&conf);
    if (restart[0])
        hb_log_warn("reload: a restart is needed for %s: the station keeps the running value until"
                    " hourbank-station restarts (log level, batch size and retention were reloaded; key files,"
                    " central_public_key and central_endpoint were not)", restart);
    else
        hb_log_info("configuration reloaded");
}

static void
poll_once(hb_station_t *self, bool accept_work)
{
    zmq_pollitem_t items[] = {{hb_api_socket(self->api), 0, ZMQ_POLLIN, 0},
                              {hb_sync_socket(self->sync), 0, ZMQ_POLLIN, 0},
                              {hb_sync_monitor_socket(self->sync), 0, ZMQ_POLLIN, 0}};
    if (zmq_poll(items, 3, HB_POLL_TICK_MS) < 0)
        return;  /* EINTR: a signal; the caller checks the flags */
    if ((items[1].revents | items[2].revents) & ZMQ_POLLIN)
        hb_sync_handle(self->sync);
    if (items[0].revents & ZMQ_POLLIN)
        hb_api_handle(self->api, accept_work);
    hb_sync_tick(self->sync);
    int64_t now = (int64_t) time(NULL);
    hb_reconcile_tick(self->reconcile, now);
    if (now >= self->compact_at && !hb_reconcile_running(self->reconcile)) {  /* a run's ops stay put */
        hb_outbox_compact(self->outbox, now, self->conf->retention_days);
        self->compact_at = now + COMPACT_EVERY_S;
    }
}

/* Stop taking work; give the batches in flight a chance to be acked. */
static void
drain(hb_station_t *self)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (hb_sync_inflight(self->sync) == 0 || ms > HB_DRAIN_MS)
            break;
        poll_once(self, false);
    }
}

int
hb_station_run(hb_station_t *self)
{
    hb_assert(self);
    hb_daemon_signals(on_signal);
    while (!stop_requested) {
        if (reload_requested) {
            reload_requested = 0;
            reload(self);
        }
        poll_once(self, true);
    }
    drain(self);
    hb_log_info("stopped in_flight=%d", hb_sync_inflight(self->sync));
    return 0;
}
