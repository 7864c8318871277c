#include "sync.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "hb_assert.h"
#include "hb_clock.h"
#include "hb_keyfile.h"
#include "hb_log.h"
#include "hb_wire.h"

typedef struct {
    uint64_t corr;
    uint64_t last_seq;
    int64_t sent_ms;
} inflight_t;

typedef struct {
    uint64_t corr;   /* 0 = free slot */
    uint64_t token;
    int64_t sent_ms;
} forward_t;

struct hb_sync {
    const hb_station_conf_t *conf;
    hb_outbox_t *outbox;
    hb_sync_reply_fn *on_reply;
    void *arg;
    void *sock;
    void *monitor;               /* PAIR: the DEALER's connection events */
    char public_key[HB_KEY_Z85_CHARS + 1];                 /* as read from the key file */
    uint8_t secret_key_hash[crypto_generichash_BYTES];     /* of the secret key file's key */
    hb_link_t link;
    int64_t known_up_at;         /* Unix seconds: see hb_sync_link_down_since */
    uint64_t next_corr;
    uint64_t hello_corr;
    int64_t hello_sent_ms;
    int64_t retry_at_ms;
    int retry_delay_ms;
    uint64_t central_hwm;
    uint64_t sent_through;       /* highest seq sent on this link */
    uint64_t resent_through;     /* highest seq marked for resending sent on this link (reconcile) */
    inflight_t inflight[HB_INFLIGHT_BATCHES_MAX];
    int n_inflight;
    forward_t forwards[HB_FORWARD_MAX];
    uint64_t directory_corr;
    int64_t directory_at_ms;
    uint64_t categories_corr;
    uint64_t rules_corr;         /* a RulesQuery waiting for central's answer */
    bool welcome_time_said;      /* the last Welcome said server_time: central's clock offset */
    /* central lost acknowledged work: said once per episode, shown in status */
    bool behind;
    char alert[HB_ALERT_BYTES_MAX + 1];
};

const char *
hb_sync_link_name(hb_link_t link)
{
    switch (link) {
    case HB_LINK_UP: return "up";
    case HB_LINK_CONNECTING: return "connecting";
    case HB_LINK_DOWN: return "down";
    }
    return "down";
}

static int
setup_socket(hb_sync_t *self, void *ctx, char *msg, size_t msg_size)
{
    char pub[HB_KEY_Z85_CHARS + 1], sec[HB_KEY_Z85_CHARS + 1];
    if (hb_keyfile_read(self->conf->public_key_file, false, pub, msg, msg_size) != 0 ||
        hb_keyfile_read(self->conf->secret_key_file, true, sec, msg, msg_size) != 0)
        return -1;
    memcpy(self->public_key, pub, sizeof self->public_key);
    crypto_generichash(self->secret_key_hash, sizeof self->secret_key_hash, (const uint8_t *) sec,
                       HB_KEY_Z85_CHARS, NULL, 0);
    self->sock = zmq_socket(ctx, ZMQ_DEALER);
    hb_assert(self->sock);
    int one = 1, zero = 0, ivl = HB_HEARTBEAT_IVL_MS, tmo = HB_HEARTBEAT_TIMEOUT_MS;
    int rmin = HB_RETRY_DELAY_MS_MIN, rmax = HB_RETRY_DELAY_MS_MAX;
    int64_t maxmsg = HB_MSG_BYTES_MAX + HB_CURVE_OVERHEAD_BYTES;  /* zmq counts CURVE's box */
    zmq_setsockopt(self->sock, ZMQ_CURVE_SERVERKEY, self->conf->central_public_key, HB_KEY_Z85_CHARS);
    zmq_setsockopt(self->sock, ZMQ_CURVE_PUBLICKEY, pub, HB_KEY_Z85_CHARS);
    zmq_setsockopt(self->sock, ZMQ_CURVE_SECRETKEY, sec, HB_KEY_Z85_CHARS);
    sodium_memzero(sec, sizeof sec);
    zmq_setsockopt(self->sock, ZMQ_IMMEDIATE, &one, sizeof one);  /* never queue for a dead link */
    zmq_setsockopt(self->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(self->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(self->sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(self->sock, ZMQ_HEARTBEAT_TIMEOUT, &tmo, sizeof tmo);
    zmq_setsockopt(self->sock, ZMQ_RECONNECT_IVL, &rmin, sizeof rmin);
    zmq_setsockopt(self->sock, ZMQ_RECONNECT_IVL_MAX, &rmax, sizeof rmax);
    if (zmq_connect(self->sock, self->conf->central_endpoint) != 0) {
        snprintf(msg, msg_size, "could not connect to central at \"%s\": %s", self->conf->central_endpoint,
                 zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

/* Connection events of the DEALER: every new connection (ZeroMQ
 * reconnects by itself, e.g. after central restarted) must begin with a
 * hello, and a closed one means the link is not up. */
static int
setup_monitor(hb_sync_t *self, void *ctx, char *msg, size_t msg_size)
{
    char endpoint[HB_MONITOR_ENDPOINT_BYTES];
    snprintf(endpoint, sizeof endpoint, "inproc://hb-sync-monitor-%p", (void *) self);
    if (zmq_socket_monitor(self->sock, endpoint, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED) != 0) {
        snprintf(msg, msg_size, "could not watch the link to central: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    self->monitor = zmq_socket(ctx, ZMQ_PAIR);
    hb_assert(self->monitor);
    int zero = 0;
    zmq_setsockopt(self->monitor, ZMQ_LINGER, &zero, sizeof zero);
    int rc = zmq_connect(self->monitor, endpoint);
    hb_assert(rc == 0);
    return 0;
}

hb_sync_t *
hb_sync_new(void *ctx, const hb_station_conf_t *conf, hb_outbox_t *outbox, hb_sync_reply_fn *on_reply,
            void *arg, char *msg, size_t msg_size)
{
    hb_assert(ctx && conf && outbox && on_reply);
    hb_sync_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->conf = conf;
    self->outbox = outbox;
    self->on_reply = on_reply;
    self->arg = arg;
    self->next_corr = 1;
    self->link = HB_LINK_CONNECTING;
    self->known_up_at = (int64_t) time(NULL);  /* the station's start */
    self->retry_delay_ms = HB_RETRY_DELAY_MS_MIN;
    if (setup_socket(self, ctx, msg, msg_size) != 0 || setup_monitor(self, ctx, msg, msg_size) != 0)
        hb_sync_destroy(&self);
    return self;
}

static void
fail_forwards(hb_sync_t *self)
{
    for (int i = 0; i < HB_FORWARD_MAX; i++) {
        if (self->forwards[i].corr) {
            self->forwards[i].corr = 0;
            self->on_reply(self->arg, self->forwards[i].token, NULL);
        }
    }
}

void
hb_sync_destroy(hb_sync_t **self_p)
{
    hb_assert(self_p);
    hb_sync_t *self = *self_p;
    if (!self)
        return;
    fail_forwards(self);
    if (self->monitor)
        zmq_close(self->monitor);
    if (self->sock)
        zmq_close(self->sock);
    free(self);
    *self_p = NULL;
}

/* Appends name to the list in what ("a, b"). */
static void
list_add(char *what, size_t what_size, const char *name)
{
    size_t len = strlen(what);
    snprintf(what + len, what_size - len, "%s%s", len ? ", " : "", name);
}

int
hb_sync_link_changes(const hb_sync_t *self, const hb_station_conf_t *conf, char *what, size_t what_size)
{
    hb_assert(self && conf && what && what_size > 0);
    what[0] = '\0';
    if (strcmp(conf->central_endpoint, self->conf->central_endpoint) != 0)
        list_add(what, what_size, "central_endpoint");
    if (strcmp(conf->central_public_key, self->conf->central_public_key) != 0)
        list_add(what, what_size, "central_public_key");
    char pub[HB_KEY_Z85_CHARS + 1], sec[HB_KEY_Z85_CHARS + 1], msg[HB_PATH_BYTES_MAX + HB_MESSAGE_BYTES_MAX];
    uint8_t hash[crypto_generichash_BYTES];
    if (strcmp(conf->public_key_file, self->conf->public_key_file) != 0 ||
        hb_keyfile_read(conf->public_key_file, false, pub, msg, sizeof msg) != 0 ||
        strcmp(pub, self->public_key) != 0)
        list_add(what, what_size, "public_key_file");
    if (strcmp(conf->secret_key_file, self->conf->secret_key_file) != 0 ||
        hb_keyfile_read(conf->secret_key_file, true, sec, msg, sizeof msg) != 0) {
        list_add(what, what_size, "secret_key_file");
    } else {
        crypto_generichash(hash, sizeof hash, (const uint8_t *) sec, HB_KEY_Z85_CHARS, NULL, 0);
        if (memcmp(hash, self->secret_key_hash, sizeof hash) != 0)
            list_add(what, what_size, "secret_key_file");
    }
    sodium_memzero(sec, sizeof sec);
    return what[0] ? 1 : 0;
}

void *
hb_sync_socket(hb_sync_t *self)
{
    hb_assert(self);
    return self->sock;
}

void *
hb_sync_monitor_socket(hb_sync_t *self)
{
    hb_assert(self);
    return self->monitor;
}

int64_t
hb_sync_link_down_since(const hb_sync_t *self)
{
    hb_assert(self);
    return self->link == HB_LINK_UP ? 0 : self->known_up_at;
}

hb_link_t
hb_sync_link(const hb_sync_t *self)
{
    hb_assert(self);
    return self->link;
}

uint64_t
hb_sync_central_hwm(const hb_sync_t *self)
{
    hb_assert(self);
    return self->central_hwm;
}

const char *
hb_sync_alert(const hb_sync_t *self)
{
    hb_assert(self);
    return self->alert;
}

int
hb_sync_inflight(const hb_sync_t *self)
{
    hb_assert(self);
    return self->n_inflight;
}

/* Sends env with a fresh correlation id; returns the id, or 0 when the
 * link cannot take it now (ZMQ_IMMEDIATE: no connection yet). */
static uint64_t
send_env(hb_sync_t *self, Hourbank__Envelope *env)
{
    env->version = HB_PROTOCOL_VERSION;
    env->correlation_id = self->next_corr++;
    void *data;
    size_t size;
    if (hb_wire_pack(env, &data, &size) != 0) {
        hb_log_error("message to central too large body=%d", (int) env->body_case);
        return 0;
    }
    int rc = zmq_send(self->sock, data, size, ZMQ_DONTWAIT);
    free(data);
    return rc < 0 ? 0 : env->correlation_id;
}

/* Drops back to "connecting": forget what is in flight, hello again after
 * a capped, jittered exponential backoff. */
static void
link_lost(hb_sync_t *self, const char *why)
{
    if (self->link == HB_LINK_UP)
        hb_log_warn("link to central lost, will resend from seq %" PRIu64 ": %s",
                    (self->behind ? self->central_hwm : hb_outbox_last_acked(self->outbox)) + 1, why);
    self->link = HB_LINK_CONNECTING;
    self->n_inflight = 0;
    self->resent_through = 0;
    self->hello_corr = 0;
    self->directory_corr = 0;
    self->categories_corr = 0;
    self->rules_corr = 0;
    fail_forwards(self);
    int jitter = (int) randombytes_uniform((uint32_t) self->retry_delay_ms / 2 + 1);
    self->retry_at_ms = hb_clock_ms() + self->retry_delay_ms / 2 + jitter;
    self->retry_delay_ms *= 2;
    if (self->retry_delay_ms > HB_RETRY_DELAY_MS_MAX)
        self->retry_delay_ms = HB_RETRY_DELAY_MS_MAX;
}

static void
send_hello(hb_sync_t *self)
{
    Hourbank__Envelope env;
    Hourbank__Hello hello;
    hourbank__envelope__init(&env);
    hourbank__hello__init(&hello);
    hello.station_id = self->conf->station_id;
    hello.last_acked_seq = hb_outbox_last_acked(self->outbox);
    hello.software = "hourbank-station " HB_VERSION;
    env.body_case = HOURBANK__ENVELOPE__BODY_HELLO;
    env.hello = &hello;
    self->hello_corr = send_env(self, &env);
    self->hello_sent_ms = hb_clock_ms();
    if (!self->hello_corr)
        link_lost(self, "central is not reachable");
}

/* Central holds less than this station had acked: send it again what is
 * still held. One ALERT per episode; the status line says it until the
 * resend is done. */
static void
central_behind(hb_sync_t *self, uint64_t hwm, uint64_t acked)
{
    hb_outbox_resend_t rs;
    hb_outbox_resend(self->outbox, hwm, &rs);
    if (rs.lost == 0) {
        self->behind = false;
        self->alert[0] = '\0';
        return;
    }
    if (rs.gap)
        snprintf(self->alert, sizeof self->alert, "central lost seqs %" PRIu64 "..%" PRIu64 " it had acked and"
                 " this station holds only %" PRIu64 " of them (the rest were compacted): central refuses later"
                 " ops until district IT recovers the missing ones", hwm + 1, acked, rs.held);
    else
        snprintf(self->alert, sizeof self->alert, "central lost seqs %" PRIu64 "..%" PRIu64 " it had acked"
                 " (restored from an older dump, or a standby that missed commits): sending them again",
                 hwm + 1, acked);
    if (!self->behind)
        hb_log_error("ALERT %s station=%" PRIu32 " central_hwm=%" PRIu64 " last_acked=%" PRIu64
                     " held=%" PRIu64, self->alert, self->conf->station_id, hwm, acked, rs.held);
    self->behind = true;
}

/* Keeps the zone central says the district counts its days in (for the
 * CLI, through hb_outbox_time_zone). "": central does not say (no rules
 * for the district, or an older central): the zone held stays. */
static void
learn_time_zone(hb_sync_t *self, const char *zone)
{
    if (!zone[0])
        return;
    char was[HB_TIME_ZONE_BYTES_MAX + 1];
    snprintf(was, sizeof was, "%s", hb_outbox_time_zone(self->outbox));
    if (hb_outbox_set_time_zone(self->outbox, zone) != 1)
        return;  /* the same, or not stored (logged): asked again at the next hello */
    if (was[0])
        hb_log_warn("the district's time zone changed at central: dates and times are read and shown in the new"
                    " one from now on from=\"%s\" to=\"%s\"", was, zone);
    else
        hb_log_info("district time zone learned from central time_zone=\"%s\"", zone);
}

/* Asks central for the rules in force when the copy is of another version
 * (or there is none): the checks at save and the CLI's RulesQuery use it. */
static void
ask_rules(hb_sync_t *self, uint32_t central_version)
{
    uint32_t held = hb_outbox_rules_version(self->outbox);
    if (held != 0 && held == central_version)
        return;
    Hourbank__Envelope env;
    Hourbank__RulesQuery q;
    hourbank__envelope__init(&env);
    hourbank__rules_query__init(&q);
    env.body_case = HOURBANK__ENVELOPE__BODY_RULES_QUERY;
    env.rules_query = &q;
    self->rules_corr = send_env(self, &env);
    hb_log_info("asking central for the rules held_version=%" PRIu32 " central_version=%" PRIu32, held,
                central_version);
}

static void
on_rules(hb_sync_t *self, const Hourbank__Envelope *env)
{
    self->rules_corr = 0;
    if (env->body_case != HOURBANK__ENVELOPE__BODY_RULES_REPLY) {
        hb_log_warn("central did not send the rules: %s (checks at save wait for a copy)",
                    env->body_case == HOURBANK__ENVELOPE__BODY_ERROR ? env->error->message : "unexpected answer");
        return;
    }
    int64_t offset = hb_outbox_clock_offset(self->outbox);
    if (hb_outbox_rules_set(self->outbox, env->rules_reply, (int64_t) time(NULL)) != 0) {
        hb_log_error("could not store the rules from central");
        return;
    }
    if (self->welcome_time_said)
        hb_outbox_set_clock_offset(self->outbox, offset);  /* the Welcome's is the better measure */
    hb_log_info("rules copy stored version=%" PRIu32 " districts=%zu payer_rules=%zu communities=%zu",
                env->rules_reply->version, env->rules_reply->n_districts, env->rules_reply->n_payer_rules,
                env->rules_reply->n_communities);
}

static void
on_welcome(hb_sync_t *self, const Hourbank__Welcome *w)
{
    self->welcome_time_said = w->server_time > 0;
    if (self->welcome_time_said)
        hb_outbox_set_clock_offset(self->outbox, w->server_time - (int64_t) time(NULL));
    uint64_t last_seq = hb_outbox_last_seq(self->outbox);
    uint64_t acked = hb_outbox_last_acked(self->outbox);
    self->central_hwm = w->high_water_mark;
    if (w->high_water_mark > last_seq)
        hb_log_error("ALERT central holds seqs up to %" PRIu64 " for station %" PRIu32 " but this outbox"
                     " only reached %" PRIu64 ": was it restored from an old backup? new ops start at %" PRIu64
                     " (%" PRIu64 " seqs skipped, none reused)", w->high_water_mark, self->conf->station_id,
                     last_seq, w->high_water_mark + 1, w->high_water_mark - last_seq);
    if (hb_outbox_confirm_marks(self->outbox, w->high_water_mark, w->member_serial_mark) != 0) {
        link_lost(self, "could not store central's marks in the outbox");
        return;
    }
    central_behind(self, w->high_water_mark, acked);
    learn_time_zone(self, w->time_zone);
    if (w->directory_version > 0)  /* 0: a central that does not say */
        hb_outbox_directory_rewind(self->outbox, w->directory_version);
    hb_log_info("link to central up central_hwm=%" PRIu64 " last_acked=%" PRIu64 " pending=%" PRIu64
                " serial_mark=%" PRIu32, w->high_water_mark, acked, last_seq > acked ? last_seq - acked : 0,
                w->member_serial_mark);
    self->link = HB_LINK_UP;
    self->hello_corr = 0;
    /* the backoff is reset by an accepted batch, not by a Welcome that a
     * refusal may follow; a station with nothing to send is simply well */
    if (hb_outbox_last_seq(self->outbox) == acked && !hb_outbox_resending(self->outbox))
        self->retry_delay_ms = HB_RETRY_DELAY_MS_MIN;
    self->sent_through = hb_outbox_resending(self->outbox) ? w->high_water_mark : acked;
    self->directory_at_ms = 0;  /* refresh now */
    ask_rules(self, w->rules_version);
}

/* Sends batch (freed here) and keeps it in flight. Its last seq, or 0
 * when the link could not take it (the link is lost). */
static uint64_t
send_batch(hb_sync_t *self, Hourbank__Batch *batch)
{
    Hourbank__Envelope env;
    hourbank__envelope__init(&env);
    env.body_case = HOURBANK__ENVELOPE__BODY_BATCH;
    env.batch = batch;
    uint64_t corr = send_env(self, &env);
    uint64_t last = batch->ops[batch->n_ops - 1]->seq;
    hb_outbox_batch_free(batch);
    if (!corr) {
        link_lost(self, "could not send a batch");
        return 0;
    }
    inflight_t *f = &self->inflight[self->n_inflight++];
    f->corr = corr;
    f->last_seq = last;
    f->sent_ms = hb_clock_ms();
    return last;
}

/* The ops a reconcile run marked for resending (central lacks them, below
 * its mark): each run of consecutive seqs in batches of its own. */
static void
send_resends(hb_sync_t *self)
{
    while (self->link == HB_LINK_UP && self->n_inflight < HB_INFLIGHT_BATCHES_MAX) {
        Hourbank__Batch batch;
        int n = hb_outbox_next_resend(self->outbox, self->resent_through, self->conf->batch_ops,
                                      HB_MSG_BYTES_MAX / 2, &batch);
        if (n <= 0)
            return;
        uint64_t last = send_batch(self, &batch);
        if (!last)
            return;
        self->resent_through = last;
    }
}

static void
send_batches(hb_sync_t *self)
{
    while (self->link == HB_LINK_UP && self->n_inflight < HB_INFLIGHT_BATCHES_MAX) {
        Hourbank__Batch batch;
        hourbank__batch__init(&batch);
        int n = hb_outbox_next_batch(self->outbox, self->sent_through, self->conf->batch_ops,
                                     HB_MSG_BYTES_MAX / 2, &batch);
        if (n <= 0)
            break;
        uint64_t last = send_batch(self, &batch);
        if (!last)
            return;
        self->sent_through = last;
    }
    send_resends(self);
}

void
hb_sync_resend(hb_sync_t *self)
{
    hb_assert(self);
    self->resent_through = 0;
    send_batches(self);
}

static int
find_inflight(hb_sync_t *self, uint64_t corr)
{
    for (int i = 0; i < self->n_inflight; i++)
        if (self->inflight[i].corr == corr)
            return i;
    return -1;
}

static void
on_ack(hb_sync_t *self, int slot, const Hourbank__BatchAck *ack)
{
    char msg[HB_MESSAGE_BYTES_MAX * 2];
    self->n_inflight--;
    memmove(&self->inflight[slot], &self->inflight[slot + 1],
            (size_t) (self->n_inflight - slot) * sizeof self->inflight[0]);
    self->central_hwm = ack->high_water_mark;
    if (ack->batch_result != HOURBANK__RESULT__OK) {
        link_lost(self, ack->message);  /* SEQ_GAP or INTERNAL: hello again, resend */
        return;
    }
    if (hb_outbox_ack(self->outbox, ack, (int64_t) time(NULL), msg, sizeof msg) != 0) {
        hb_log_error("ALERT ack from central does not match the outbox: %s", msg);
        link_lost(self, "ack does not match the outbox");
        return;
    }
    self->retry_delay_ms = HB_RETRY_DELAY_MS_MIN;  /* central takes our work again */
    if (self->behind && !hb_outbox_resending(self->outbox)) {
        hb_log_info("central has answered every op it had lost; see \"hourbank queue --changed\"");
        self->behind = false;
        self->alert[0] = '\0';
    }
    for (size_t i = 0; i < ack->n_results; i++)
        if (ack->results[i]->result != HOURBANK__RESULT__OK)
            hb_log_warn("op rejected by central seq=%" PRIu64 " code=%s message=\"%s\"", ack->results[i]->seq,
                        hb_result_name((hb_result_t) ack->results[i]->result), ack->results[i]->message);
    /* balances changed: refresh the cache soon, but not once per ack */
    int64_t soon = hb_clock_ms() + HB_DIRECTORY_AFTER_ACK_MS;
    if (self->directory_at_ms > soon)
        self->directory_at_ms = soon;
}

static void
refresh_directory(hb_sync_t *self)
{
    Hourbank__Envelope env;
    hourbank__envelope__init(&env);
    if (!self->categories_corr) {
        Hourbank__CategoriesQuery cq;
        hourbank__categories_query__init(&cq);
        env.body_case = HOURBANK__ENVELOPE__BODY_CATEGORIES_QUERY;
        env.categories_query = &cq;
        self->categories_corr = send_env(self, &env);
    }
    Hourbank__DirectoryQuery dq;
    hourbank__directory_query__init(&dq);
    dq.since_version = hb_outbox_directory_version(self->outbox, NULL);
    dq.limit = HB_PAGE_ENTRIES_MAX;
    env.body_case = HOURBANK__ENVELOPE__BODY_DIRECTORY_QUERY;
    env.directory_query = &dq;
    self->directory_corr = send_env(self, &env);
    self->directory_at_ms = hb_clock_ms() + HB_DIRECTORY_REFRESH_MS;
}

static void
on_directory(hb_sync_t *self, const Hourbank__DirectoryReply *d)
{
    self->directory_corr = 0;
    if (hb_outbox_directory_apply(self->outbox, d, (int64_t) time(NULL)) != 0)
        hb_log_error("could not store the directory from central");
    else if (d->more)
        self->directory_at_ms = 0;  /* next page at the next tick */
}

/* Replies to forwarded requests: find the slot by correlation id. */
static bool
on_forwarded(hb_sync_t *self, const Hourbank__Envelope *env)
{
    for (int i = 0; i < HB_FORWARD_MAX; i++) {
        if (self->forwards[i].corr && self->forwards[i].corr == env->correlation_id) {
            self->forwards[i].corr = 0;
            self->on_reply(self->arg, self->forwards[i].token, env);
            return true;
        }
    }
    return false;
}

int
hb_sync_forward(hb_sync_t *self, Hourbank__Envelope *req, uint64_t token)
{
    hb_assert(self && req);
    if (self->link != HB_LINK_UP)
        return -1;
    for (int i = 0; i < HB_FORWARD_MAX; i++) {
        if (self->forwards[i].corr)
            continue;
        uint64_t corr = send_env(self, req);
        if (!corr)
            return -1;
        self->forwards[i] = (forward_t){corr, token, hb_clock_ms()};
        return 0;
    }
    return -1;
}

static void
dispatch(hb_sync_t *self, const Hourbank__Envelope *env)
{
    int slot;
    if (env->body_case == HOURBANK__ENVELOPE__BODY_ERROR && env->error->code == HOURBANK__RESULT__NOT_AUTHORIZED)
        hb_log_error("central refused this station's link: %s (are the key files and central.yaml in step?"
                     " new key files take effect on SIGHUP)", env->error->message);
    if (env->correlation_id && env->correlation_id == self->hello_corr) {
        if (env->body_case == HOURBANK__ENVELOPE__BODY_WELCOME)
            on_welcome(self, env->welcome);
        else
            link_lost(self, env->body_case == HOURBANK__ENVELOPE__BODY_ERROR ? env->error->message
                                                                             : "unexpected answer to hello");
    } else if ((slot = find_inflight(self, env->correlation_id)) >= 0) {
        if (env->body_case == HOURBANK__ENVELOPE__BODY_BATCH_ACK)
            on_ack(self, slot, env->batch_ack);
        else
            link_lost(self, env->body_case == HOURBANK__ENVELOPE__BODY_ERROR ? env->error->message
                                                                             : "unexpected answer to a batch");
    } else if (env->correlation_id == self->directory_corr &&
               env->body_case == HOURBANK__ENVELOPE__BODY_DIRECTORY_REPLY) {
        on_directory(self, env->directory_reply);
    } else if (env->correlation_id == self->categories_corr &&
               env->body_case == HOURBANK__ENVELOPE__BODY_CATEGORIES_REPLY) {
        if (hb_outbox_categories_set(self->outbox, env->categories_reply) != 0)
            hb_log_error("could not store the catalogue from central");
    } else if (env->correlation_id && env->correlation_id == self->rules_corr) {
        on_rules(self, env);
    } else if (!on_forwarded(self, env)) {
        hb_log_debug("late or unknown reply from central correlation_id=%" PRIu64, env->correlation_id);
    }
}

/* A new connection to central: whatever the link state was, it starts with
 * a hello now (a reconnection that ZeroMQ made by itself would otherwise
 * go unnoticed: central may have been restored meanwhile). */
static void
on_connected(hb_sync_t *self)
{
    if (self->link == HB_LINK_UP)
        link_lost(self, "central accepted a new connection");
    if (!self->hello_corr)
        self->retry_at_ms = hb_clock_ms();
}

/* One event: [uint16 event, uint32 value][endpoint]. */
static void
handle_event(hb_sync_t *self)
{
    zmq_msg_t head, addr;
    zmq_msg_init(&head);
    zmq_msg_init(&addr);
    int rc = zmq_msg_recv(&head, self->monitor, ZMQ_DONTWAIT);
    if (rc >= 0 && zmq_msg_more(&head))
        zmq_msg_recv(&addr, self->monitor, 0);
    uint16_t event = 0;
    if (rc >= (int) sizeof event)
        memcpy(&event, zmq_msg_data(&head), sizeof event);
    zmq_msg_close(&head);
    zmq_msg_close(&addr);
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
        on_connected(self);
    else if (event == ZMQ_EVENT_DISCONNECTED && self->link == HB_LINK_UP) {
        self->known_up_at = (int64_t) time(NULL);  /* up until its connection closed */
        link_lost(self, "the connection to central was closed");
    }
}

void
hb_sync_handle(hb_sync_t *self)
{
    hb_assert(self);
    for (int i = 0; i < HB_RECV_BURST_MAX; i++) {
        int events = 0;
        size_t len = sizeof events;
        if (zmq_getsockopt(self->monitor, ZMQ_EVENTS, &events, &len) != 0 || !(events & ZMQ_POLLIN))
            break;
        handle_event(self);
    }
    for (int i = 0; i < HB_RECV_BURST_MAX; i++) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, self->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            break;
        }
        hb_wire_error_t err;
        Hourbank__Envelope *env = hb_wire_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg), &err);
        zmq_msg_close(&msg);
        if (!env) {
            hb_log_error("message from central refused code=%s reason=\"%s\"", hb_result_name(err.code),
                         err.message);
            continue;
        }
        dispatch(self, env);
        hb_wire_free(&env);
        if (self->link == HB_LINK_UP)
            self->known_up_at = (int64_t) time(NULL);
    }
    send_batches(self);
}

static void
expire(hb_sync_t *self, int64_t now)
{
    if (self->n_inflight && now - self->inflight[0].sent_ms > HB_ACK_TIMEOUT_MS) {
        link_lost(self, "no ack within the timeout");
        return;
    }
    for (int i = 0; i < HB_FORWARD_MAX; i++) {
        if (self->forwards[i].corr && now - self->forwards[i].sent_ms > HB_ACK_TIMEOUT_MS) {
            self->forwards[i].corr = 0;
            self->on_reply(self->arg, self->forwards[i].token, NULL);
        }
    }
}

void
hb_sync_tick(hb_sync_t *self)
{
    hb_assert(self);
    int64_t now = hb_clock_ms();
    if (self->link != HB_LINK_UP) {
        if (self->hello_corr && now - self->hello_sent_ms > HB_ACK_TIMEOUT_MS)
            link_lost(self, "no answer to hello");
        else if (!self->hello_corr && now >= self->retry_at_ms)
            send_hello(self);
        return;
    }
    expire(self, now);
    if (self->link == HB_LINK_UP && now >= self->directory_at_ms)
        refresh_directory(self);  /* a lost reply is simply asked again next time */
    send_batches(self);
}

void
hb_sync_kick(hb_sync_t *self)
{
    hb_assert(self);
    send_batches(self);
}
