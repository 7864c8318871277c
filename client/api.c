#include "api.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <zmq.h>

#include "hb_assert.h"
#include "hb_log.h"
#include "hb_router.h"
#include "hb_wire.h"

#define IPC_PREFIX "ipc://"
#define SOCKET_MODE 0660

/* A CLI request waiting for central's answer. */
typedef struct {
    bool busy;
    hb_router_peer_t peer;
    uint64_t corr;
} waiting_t;

struct hb_api {
    const hb_station_conf_t *conf;
    hb_outbox_t *outbox;
    hb_sync_t *sync;
    void *sock;
    waiting_t waiting[HB_FORWARD_MAX];
};

/* The peer a request came from, and its correlation id. */
typedef struct {
    const hb_router_peer_t *from;
    uint64_t corr;
} peer_t;

hb_api_t *
hb_api_new(void *ctx, const hb_station_conf_t *conf, hb_outbox_t *outbox, char *msg, size_t msg_size)
{
    hb_assert(ctx && conf && outbox);
    hb_api_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->conf = conf;
    self->outbox = outbox;
    self->sock = zmq_socket(ctx, ZMQ_ROUTER);
    hb_assert(self->sock);
    int zero = 0;
    int64_t maxmsg = HB_MSG_BYTES_MAX;
    zmq_setsockopt(self->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(self->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    mode_t old = umask(0777 & ~SOCKET_MODE);  /* the socket file is created 0660 */
    int rc = zmq_bind(self->sock, conf->ipc_endpoint);
    umask(old);
    if (rc != 0) {
        snprintf(msg, msg_size, "could not listen for the CLI on \"%s\": %s", conf->ipc_endpoint,
                 zmq_strerror(zmq_errno()));
        hb_api_destroy(&self);
        return NULL;
    }
    if (strncmp(conf->ipc_endpoint, IPC_PREFIX, strlen(IPC_PREFIX)) == 0)
        chmod(conf->ipc_endpoint + strlen(IPC_PREFIX), SOCKET_MODE);
    return self;
}

void
hb_api_destroy(hb_api_t **self_p)
{
    hb_assert(self_p);
    hb_api_t *self = *self_p;
    if (!self)
        return;
    zmq_close(self->sock);
    free(self);
    *self_p = NULL;
}

void
hb_api_set_sync(hb_api_t *self, hb_sync_t *sync)
{
    hb_assert(self && sync);
    self->sync = sync;
}

void *
hb_api_socket(hb_api_t *self)
{
    hb_assert(self);
    return self->sock;
}

static void
reply(hb_api_t *self, const peer_t *p, Hourbank__Envelope *env)
{
    env->version = HB_PROTOCOL_VERSION;
    env->correlation_id = p->corr;
    if (hb_router_send(self->sock, p->from, env) != 0)
        hb_log_debug("reply to the CLI not delivered body=%d", (int) env->body_case);
}

static void
reply_error(hb_api_t *self, const peer_t *p, hb_result_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
reply_error(hb_api_t *self, const peer_t *p, hb_result_t code, const char *fmt, ...)
{
    char text[HB_MESSAGE_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    Hourbank__Envelope env;
    Hourbank__ErrorReply err;
    hourbank__envelope__init(&env);
    hourbank__error_reply__init(&err);
    err.code = (Hourbank__Result) code;
    err.message = text;
    env.body_case = HOURBANK__ENVELOPE__BODY_ERROR;
    env.error = &err;
    reply(self, p, &env);
}

/* A member the op names must be known here: in the directory snapshot or
 * registered at this station. Returns the unknown number, or NULL. */
static const char *
unknown_member(hb_api_t *self, const char *const *numbers, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (numbers[i] && numbers[i][0] && hb_outbox_member_known(self->outbox, numbers[i]) != 1)
            return numbers[i];
    }
    return NULL;
}

static bool
category_known(hb_api_t *self, const char *name)
{
    Hourbank__CategoriesReply cats;
    hourbank__categories_reply__init(&cats);
    int n = hb_outbox_categories_get(self->outbox, &cats);
    bool known = n <= 0;  /* no catalogue cached yet: central will judge */
    for (int i = 0; i < n && !known; i++)
        known = strcmp(cats.categories[i]->name, name) == 0;
    hb_outbox_categories_free(&cats);
    return known;
}

/* Local checks before saving, so the operator hears of mistakes at once
 * rather than as a rejection after the next sync. 0 when fine. */
static int
check_op(hb_api_t *self, const peer_t *p, const Hourbank__Op *op)
{
    const char *names[2] = {NULL, NULL};
    const char *same = NULL;
    if (op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER) {
        names[0] = op->register_member->family_of;
    } else if (op->kind_case == HOURBANK__OP__KIND_SERVICE) {
        names[0] = op->service->provider;
        names[1] = op->service->recipient;
        same = "a member cannot record a service to themselves";
        if (!category_known(self, op->service->category)) {
            reply_error(self, p, HB_RESULT_UNKNOWN_CATEGORY,
                        "service category \"%s\" is not in the catalogue (see: hourbank categories)",
                        op->service->category);
            return -1;
        }
    } else if (op->kind_case == HOURBANK__OP__KIND_GIFT) {
        names[0] = op->gift->from_member;
        names[1] = op->gift->to_member;
        same = "a member cannot give hours to themselves";
    }
    const char *unknown = unknown_member(self, names, 2);
    if (unknown) {
        reply_error(self, p, HB_RESULT_UNKNOWN_MEMBER,
                    "member %s not found at this station or in the last directory snapshot", unknown);
        return -1;
    }
    if (same && strcmp(names[0], names[1]) == 0) {
        reply_error(self, p, HB_RESULT_SELF_SERVICE, "%s", same);
        return -1;
    }
    return 0;
}

static void
answer_save(hb_api_t *self, const peer_t *p, const Hourbank__SaveRequest *req, bool accept_work)
{
    if (!accept_work) {
        reply_error(self, p, HB_RESULT_UNAVAILABLE, "the station is stopping; try again when it is back");
        return;
    }
    if (check_op(self, p, req->op) != 0)
        return;
    uint64_t seq = 0;
    char member_no[HB_MEMBER_NO_BYTES_MAX + 1] = "";
    char msg[HB_MESSAGE_BYTES_MAX] = "";
    hb_result_t rc = hb_outbox_save(self->outbox, req->op, (int64_t) time(NULL), &seq, member_no, msg, sizeof msg);
    if (rc != HB_RESULT_OK) {
        hb_log_error("save refused code=%s reason=\"%s\"", hb_result_name(rc), msg);
        reply_error(self, p, rc, "%s", msg[0] ? msg : hb_result_text(rc));
        return;
    }
    hb_log_info("saved seq=%" PRIu64 "%s%s", seq, member_no[0] ? " member_no=" : "", member_no);
    Hourbank__Envelope env;
    Hourbank__SaveReply r;
    hourbank__envelope__init(&env);
    hourbank__save_reply__init(&r);
    r.seq = seq;
    r.member_no = member_no;
    r.station_id = self->conf->station_id;
    env.body_case = HOURBANK__ENVELOPE__BODY_SAVE_REPLY;
    env.save_reply = &r;
    reply(self, p, &env);
    if (self->sync)
        hb_sync_kick(self->sync);
}

static void
answer_balance(hb_api_t *self, const peer_t *p, const Hourbank__BalanceQuery *q)
{
    hb_outbox_member_t m;
    int found = hb_outbox_member(self->outbox, q->member_no, &m);
    if (found != 1) {
        reply_error(self, p, found < 0 ? HB_RESULT_INTERNAL : HB_RESULT_NOT_FOUND,
                    "member %s not found at this station or in the last directory snapshot", q->member_no);
        return;
    }
    int64_t synced_at = 0;
    hb_outbox_directory_version(self->outbox, &synced_at);
    Hourbank__Envelope env;
    Hourbank__BalanceReply r;
    hourbank__envelope__init(&env);
    hourbank__balance_reply__init(&r);
    r.member_no = m.member_no;
    r.balance_minutes = m.balance_minutes;
    r.pending_minutes = m.pending_minutes;
    r.as_of = synced_at;
    env.body_case = HOURBANK__ENVELOPE__BODY_BALANCE_REPLY;
    env.balance_reply = &r;
    reply(self, p, &env);
}

static void
answer_member(hb_api_t *self, const peer_t *p, const Hourbank__MemberQuery *q)
{
    hb_outbox_member_t *found = calloc(HB_SEARCH_RESULTS_MAX, sizeof *found);
    Hourbank__Member *m = calloc(HB_SEARCH_RESULTS_MAX, sizeof *m);
    Hourbank__Member **ptrs = calloc(HB_SEARCH_RESULTS_MAX, sizeof *ptrs);
    hb_assert(found && m && ptrs);
    int n = q->member_no[0] ? hb_outbox_member(self->outbox, q->member_no, &found[0])
                            : hb_outbox_member_find(self->outbox, q->text, found, HB_SEARCH_RESULTS_MAX);
    if (n < 0) {
        reply_error(self, p, HB_RESULT_INTERNAL, "could not read the member directory; see the station log");
    } else {
        Hourbank__Envelope env;
        Hourbank__MemberReply r;
        hourbank__envelope__init(&env);
        hourbank__member_reply__init(&r);
        for (int i = 0; i < n; i++) {
            hourbank__member__init(&m[i]);
            m[i].member_no = found[i].member_no;
            m[i].name = found[i].name;
            m[i].role = (Hourbank__Role) found[i].role;
            m[i].birth_year = found[i].birth_year;
            m[i].family_of = found[i].family_of;
            m[i].balance_minutes = found[i].balance_minutes;
            ptrs[i] = &m[i];
        }
        r.members = ptrs;
        r.n_members = (size_t) n;
        env.body_case = HOURBANK__ENVELOPE__BODY_MEMBER_REPLY;
        env.member_reply = &r;
        reply(self, p, &env);
    }
    free(found);
    free(m);
    free(ptrs);
}

static void
answer_queue(hb_api_t *self, const peer_t *p, bool rejected_only)
{
    hb_outbox_status_t st;
    Hourbank__Envelope env;
    Hourbank__QueueReply r;
    hourbank__envelope__init(&env);
    hourbank__queue_reply__init(&r);
    if (hb_outbox_status(self->outbox, &st) != 0 ||
        hb_outbox_list(self->outbox, rejected_only, HB_PAGE_ENTRIES_MAX, &r) < 0) {
        reply_error(self, p, HB_RESULT_INTERNAL, "could not read the outbox; see the station log");
        return;
    }
    r.pending = st.pending;
    r.rejected = st.rejected;
    r.oldest_pending_at = st.oldest_pending_at;
    r.last_sync = st.last_sync;
    r.last_acked_seq = st.last_acked_seq;
    r.link = (char *) (uintptr_t) hb_sync_link_name(self->sync ? hb_sync_link(self->sync) : HB_LINK_DOWN);
    r.central_high_water_mark = self->sync ? hb_sync_central_hwm(self->sync) : 0;
    r.station_id = self->conf->station_id;
    env.body_case = HOURBANK__ENVELOPE__BODY_QUEUE_REPLY;
    env.queue_reply = &r;
    reply(self, p, &env);
    hb_outbox_queue_free(&r);
}

static void
answer_dismiss(hb_api_t *self, const peer_t *p, const Hourbank__DismissRequest *d)
{
    hb_result_t rc = hb_outbox_dismiss(self->outbox, d->seq);
    if (rc != HB_RESULT_OK) {
        reply_error(self, p, rc, "seq %" PRIu64 " is not a rejected operation of this station", d->seq);
        return;
    }
    answer_queue(self, p, true);
}

static void
answer_categories(hb_api_t *self, const peer_t *p)
{
    Hourbank__Envelope env;
    Hourbank__CategoriesReply r;
    hourbank__envelope__init(&env);
    hourbank__categories_reply__init(&r);
    if (hb_outbox_categories_get(self->outbox, &r) < 0) {
        reply_error(self, p, HB_RESULT_INTERNAL, "could not read the catalogue; see the station log");
        return;
    }
    env.body_case = HOURBANK__ENVELOPE__BODY_CATEGORIES_REPLY;
    env.categories_reply = &r;
    reply(self, p, &env);
    hb_outbox_categories_free(&r);
}

static void
forward(hb_api_t *self, const peer_t *p, Hourbank__Envelope *req)
{
    for (uint64_t i = 0; i < HB_FORWARD_MAX; i++) {
        waiting_t *w = &self->waiting[i];
        if (w->busy)
            continue;
        if (!self->sync || hb_sync_forward(self->sync, req, i) != 0)
            break;
        w->busy = true;
        w->peer = *p->from;
        w->corr = p->corr;
        return;
    }
    reply_error(self, p, HB_RESULT_UNAVAILABLE, "statements come from central, and the link to central is %s",
                hb_sync_link_name(self->sync ? hb_sync_link(self->sync) : HB_LINK_DOWN));
}

void
hb_api_on_forward_reply(void *arg, uint64_t token, const Hourbank__Envelope *answer)
{
    hb_api_t *self = arg;
    hb_assert(self && token < HB_FORWARD_MAX && self->waiting[token].busy);
    waiting_t *w = &self->waiting[token];
    w->busy = false;
    peer_t p = {&w->peer, w->corr};
    if (!answer) {
        reply_error(self, &p, HB_RESULT_UNAVAILABLE, "central did not answer in time");
        return;
    }
    Hourbank__Envelope copy = *answer;
    reply(self, &p, &copy);
}

static void
dispatch(hb_api_t *self, const peer_t *p, Hourbank__Envelope *env, bool accept_work)
{
    switch (env->body_case) {
    case HOURBANK__ENVELOPE__BODY_SAVE: answer_save(self, p, env->save, accept_work); break;
    case HOURBANK__ENVELOPE__BODY_BALANCE_QUERY: answer_balance(self, p, env->balance_query); break;
    case HOURBANK__ENVELOPE__BODY_MEMBER_QUERY: answer_member(self, p, env->member_query); break;
    case HOURBANK__ENVELOPE__BODY_QUEUE_QUERY: answer_queue(self, p, env->queue_query->rejected_only); break;
    case HOURBANK__ENVELOPE__BODY_DISMISS: answer_dismiss(self, p, env->dismiss); break;
    case HOURBANK__ENVELOPE__BODY_CATEGORIES_QUERY: answer_categories(self, p); break;
    case HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY: forward(self, p, env); break;
    default:
        hb_log_warn("local request refused code=MALFORMED reason=\"message type %d is not for the station\"",
                    (int) env->body_case);
        reply_error(self, p, HB_RESULT_MALFORMED, "the station does not answer this message type (%d)",
                    (int) env->body_case);
    }
}

/* Reads one [routing id][payload] request; 0 when none is waiting. */
static int
handle_one(hb_api_t *self, bool accept_work)
{
    hb_router_peer_t from;
    zmq_msg_t msg;
    int frames;
    if (!hb_router_recv(self->sock, &from, &msg, &frames)) {
        zmq_msg_close(&msg);
        return 0;
    }
    peer_t p = {&from, 0};
    hb_wire_error_t err = {0};
    Hourbank__Envelope *env = frames == 1 ? hb_wire_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg), &err) : NULL;
    zmq_msg_close(&msg);
    if (!env) {
        p.corr = frames == 1 ? err.correlation_id : 0;
        if (frames != 1)
            hb_log_warn("local request refused code=MALFORMED reason=\"%d payload frames, expected 1\"", frames);
        else
            hb_log_warn("local request refused code=%s reason=\"%s\"", hb_result_name(err.code), err.message);
        reply_error(self, &p, frames == 1 ? err.code : HB_RESULT_MALFORMED, "%s",
                    frames == 1 ? err.message : "expected exactly one frame");
        return 1;
    }
    p.corr = env->correlation_id;
    dispatch(self, &p, env, accept_work);
    hb_wire_free(&env);
    return 1;
}

void
hb_api_handle(hb_api_t *self, bool accept_work)
{
    hb_assert(self);
    for (int i = 0; i < HB_RECV_BURST_MAX && handle_one(self, accept_work); i++)
        ;
}
