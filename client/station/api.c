#include "api.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "hb_assert.h"
#include "hb_log.h"
#include "hb_router.h"
#include "hb_wire.h"
#include "reconcile.h"
#include "station_import.h"

#define IPC_PREFIX "ipc://"
#define SOCKET_MODE 0660

/* A CLI request waiting for central's answer. */
typedef struct {
    bool busy;
    hb_router_peer_t peer;
    uint64_t corr;
} waiting_t;

/* A save request read in this burst, waiting for the group commit. */
typedef struct {
    hb_router_peer_t peer;
    uint64_t corr;
    Hourbank__Envelope *env;  /* owned: the request, which holds the op */
} queued_save_t;

struct hb_api {
    const hb_station_conf_t *conf;
    hb_outbox_t *outbox;
    hb_sync_t *sync;
    void *sock;
    waiting_t waiting[HB_FORWARD_MAX];
    /* saves read in one burst are committed together (one fsync), then
     * answered; a lone request is a group of one */
    queued_save_t queued[HB_SAVE_GROUP_MAX];
    hb_outbox_save_t saves[HB_SAVE_GROUP_MAX];
    size_t n_queued;
    hb_station_import_t *import;  /* the import held (hourbank import) */
    hb_reconcile_t *reconcile;
    waiting_t reconciling;        /* the CLI waiting for the reconcile run it asked for */
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
    self->import = hb_station_import_new();
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
    for (size_t i = 0; i < self->n_queued; i++)
        hb_wire_free(&self->queued[i].env);  /* never committed, never answered */
    hb_station_import_destroy(&self->import);
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

void
hb_api_set_reconcile(hb_api_t *self, hb_reconcile_t *reconcile)
{
    hb_assert(self && reconcile);
    self->reconcile = reconcile;
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

/* An ErrorReply with code, text and at most one value (param: NULL =
 * none; PROTOCOL.md "Result values"). */
static void
reply_error_with(hb_api_t *self, const peer_t *p, hb_result_t code, Hourbank__Param **params, size_t n_params,
                 const char *text)
{
    Hourbank__Envelope env;
    Hourbank__ErrorReply err;
    hourbank__envelope__init(&env);
    hourbank__error_reply__init(&err);
    err.code = (Hourbank__Result) code;
    err.message = (char *) (uintptr_t) text;
    err.params = params;
    err.n_params = n_params;
    env.body_case = HOURBANK__ENVELOPE__BODY_ERROR;
    env.error = &err;
    reply(self, p, &env);
}

static void
reply_error(hb_api_t *self, const peer_t *p, hb_result_t code, const char *fmt, ...)
{
    char text[HB_MESSAGE_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    reply_error_with(self, p, code, NULL, 0, text);
}

/* A refused save: the outbox's checks give their refusals as values
 * ("name=value" lines, as central's); anything else is prose. */
static void
reply_refused(hb_api_t *self, const peer_t *p, const hb_outbox_save_t *v)
{
    const char *text = v->msg[0] ? v->msg : hb_result_text(v->result);
    if (!hb_wire_params_text(text)) {
        reply_error_with(self, p, v->result, NULL, 0, text);
        return;
    }
    char copy[HB_MESSAGE_BYTES_MAX];
    Hourbank__Param values[HB_RESULT_PARAMS_MAX], *ptrs[HB_RESULT_PARAMS_MAX];
    snprintf(copy, sizeof copy, "%s", text);
    size_t n = hb_wire_params_split(copy, values, ptrs, HB_RESULT_PARAMS_MAX);
    reply_error_with(self, p, v->result, ptrs, n, "");
}

static void
reply_saved(hb_api_t *self, const peer_t *p, const hb_outbox_save_t *v)
{
    if (v->dry_run)
        hb_log_debug("save checked, not stored (dry run) payer=\"%s\" cautions=%zu", v->payer, v->n_cautions);
    else if (v->repeated)
        hb_log_info("save repeated, answered as before seq=%" PRIu64 " request_id=\"%s\"", v->seq, v->request_id);
    else
        hb_log_info("saved seq=%" PRIu64 "%s%s", v->seq, v->member_no[0] ? " member_no=" : "", v->member_no);
    Hourbank__Envelope env;
    Hourbank__SaveReply r;
    hourbank__envelope__init(&env);
    hourbank__save_reply__init(&r);
    r.seq = v->seq;
    r.member_no = (char *) (uintptr_t) v->member_no;
    r.station_id = self->conf->station_id;
    r.repeated = v->repeated;
    r.dry_run = v->dry_run;
    r.payer = (char *) (uintptr_t) v->payer;
    r.payer_rule = v->payer_rule;
    r.rules_version = v->rules_version;
    /* the cautions' values, split in place of a copy */
    char copy[HB_CAUTIONS_MAX][HB_MESSAGE_BYTES_MAX];
    Hourbank__Param values[HB_CAUTIONS_MAX][HB_RESULT_PARAMS_MAX], *ptrs[HB_CAUTIONS_MAX][HB_RESULT_PARAMS_MAX];
    Hourbank__Caution cautions[HB_CAUTIONS_MAX], *cptrs[HB_CAUTIONS_MAX];
    for (size_t i = 0; i < v->n_cautions; i++) {
        hourbank__caution__init(&cautions[i]);
        cautions[i].code = (Hourbank__Result) v->cautions[i].code;
        snprintf(copy[i], sizeof copy[i], "%s", v->cautions[i].params);
        cautions[i].n_params = hb_wire_params_split(copy[i], values[i], ptrs[i], HB_RESULT_PARAMS_MAX);
        cautions[i].params = ptrs[i];
        cptrs[i] = &cautions[i];
    }
    r.cautions = cptrs;
    r.n_cautions = v->n_cautions;
    env.body_case = HOURBANK__ENVELOPE__BODY_SAVE_REPLY;
    env.save_reply = &r;
    reply(self, p, &env);
}

/* The operator's mistakes (checks) are answered, not logged as errors. */
static bool
is_check_refusal(hb_result_t r)
{
    return r == HB_RESULT_UNKNOWN_MEMBER || r == HB_RESULT_UNKNOWN_CATEGORY || r == HB_RESULT_SELF_SERVICE ||
           r == HB_RESULT_UNKNOWN_OPERATOR || r == HB_RESULT_OCCURRED_IN_FUTURE || r == HB_RESULT_TOO_OLD ||
           r == HB_RESULT_UNKNOWN_OPERATION || r == HB_RESULT_NOT_VOIDABLE || r == HB_RESULT_ALREADY_VOIDED ||
           r == HB_RESULT_DAILY_LIMIT_EXCEEDED || r == HB_RESULT_MEMBER_LEFT || r == HB_RESULT_ALREADY_HOME ||
           r == HB_RESULT_POSSIBLE_DUPLICATE ||
           r == HB_RESULT_AWAITING_CENTRAL;  /* not a mistake, but no error either: logged when it ends */
}

/* Commits the queued saves in one transaction (hb_outbox_save_group
 * checks each op as the operator must hear of mistakes at once: members
 * known, category in the catalogue, not to oneself), then answers each:
 * "saved" only after the commit. */
static void
saves_flush(hb_api_t *self)
{
    size_t n = self->n_queued;
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        self->saves[i].op = self->queued[i].env->save->op;
        self->saves[i].request_id = self->queued[i].env->save->request_id;
        self->saves[i].default_operator = self->conf->default_operator;
        self->saves[i].dry_run = self->queued[i].env->save->dry_run;
        self->saves[i].confirm_new = self->queued[i].env->save->confirm_new;
    }
    size_t stored = hb_outbox_save_group(self->outbox, self->saves, n, true, (int64_t) time(NULL));
    for (size_t i = 0; i < n; i++) {
        const hb_outbox_save_t *v = &self->saves[i];
        peer_t p = {&self->queued[i].peer, self->queued[i].corr};
        if (v->result == HB_RESULT_OK) {
            reply_saved(self, &p, v);
        } else {
            if (!is_check_refusal(v->result))
                hb_log_error("save refused code=%s reason=\"%s\"", hb_result_name(v->result), v->msg);
            reply_refused(self, &p, v);
        }
        hb_wire_free(&self->queued[i].env);
    }
    self->n_queued = 0;
    if (n > 1)
        hb_log_debug("group commit saves=%zu stored=%zu", n, stored);
    if (stored > 0 && self->sync)
        hb_sync_kick(self->sync);
}

/* Takes ownership of env (a save request); commits the group when full. */
static void
save_queue(hb_api_t *self, const peer_t *p, Hourbank__Envelope *env)
{
    hb_assert(self->n_queued < HB_SAVE_GROUP_MAX);
    queued_save_t *q = &self->queued[self->n_queued++];
    q->peer = *p->from;
    q->corr = p->corr;
    q->env = env;
    if (self->n_queued == HB_SAVE_GROUP_MAX)
        saves_flush(self);
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
    int64_t synced_at = 0, in = 0, out = 0;
    hb_outbox_directory_version(self->outbox, &synced_at);
    if (hb_outbox_pending(self->outbox, m.member_no, &in, &out) != 0) {
        reply_error(self, p, HB_RESULT_INTERNAL, "could not read the outbox; see the station log");
        return;
    }
    Hourbank__Envelope env;
    Hourbank__BalanceReply r;
    hourbank__envelope__init(&env);
    hourbank__balance_reply__init(&r);
    r.member_no = m.member_no;
    r.balance_minutes = m.balance_minutes;
    r.pending_in_minutes = in;
    r.pending_out_minutes = out;
    r.pending_minutes = in - out;
    /* a member registered here and not yet in the directory: nothing synced */
    r.as_of = m.in_directory ? synced_at : 0;
    env.body_case = HOURBANK__ENVELOPE__BODY_BALANCE_REPLY;
    env.balance_reply = &r;
    reply(self, p, &env);
}

/* What the directory holds of members' lives (issue 15) into m: left,
 * family links (links: room for HB_FAMILY_LINKS_MAX, pointers into f) and
 * later numbers (pointers into f). */
static void
member_lives(hb_outbox_member_t *f, Hourbank__Member *m, Hourbank__FamilyLink *links, Hourbank__FamilyLink **lptrs,
             char **nptrs)
{
    m->left = f->left;
    for (size_t i = 0; i < f->n_family; i++) {
        hourbank__family_link__init(&links[i]);
        links[i].member_no = f->family[i].member_no;
        links[i].relation = f->family[i].relation;
        lptrs[i] = &links[i];
    }
    m->family = lptrs;
    m->n_family = f->n_family;
    for (size_t i = 0; i < f->n_numbers; i++)
        nptrs[i] = f->numbers[i];
    m->numbers = nptrs;
    m->n_numbers = f->n_numbers;
}

static void
answer_member(hb_api_t *self, const peer_t *p, const Hourbank__MemberQuery *q)
{
    hb_outbox_member_t *found = calloc(HB_SEARCH_RESULTS_MAX, sizeof *found);
    Hourbank__Member *m = calloc(HB_SEARCH_RESULTS_MAX, sizeof *m);
    Hourbank__Member **ptrs = calloc(HB_SEARCH_RESULTS_MAX, sizeof *ptrs);
    Hourbank__FamilyLink *links = calloc(HB_SEARCH_RESULTS_MAX * HB_FAMILY_LINKS_MAX, sizeof *links);
    Hourbank__FamilyLink **lptrs = calloc(HB_SEARCH_RESULTS_MAX * HB_FAMILY_LINKS_MAX, sizeof *lptrs);
    char **nptrs = calloc(HB_SEARCH_RESULTS_MAX * HB_MEMBER_NUMBERS_MAX, sizeof *nptrs);  /* room for each's */
    hb_assert(found && m && ptrs && links && lptrs && nptrs);
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
            m[i].community = found[i].community;
            member_lives(&found[i], &m[i], links + i * HB_FAMILY_LINKS_MAX, lptrs + i * HB_FAMILY_LINKS_MAX,
                         nptrs + i * HB_MEMBER_NUMBERS_MAX);
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
    free(links);
    free(lptrs);
    free(nptrs);
}

/* The ops a queue query asks for into r: one op by seq, ops by note,
 * changed ops, or the pending or rejected list. 0, or -1 after replying
 * with the error. */
static int
queue_ops(hb_api_t *self, const peer_t *p, const Hourbank__QueueQuery *q, const hb_outbox_status_t *st,
          Hourbank__QueueReply *r)
{
    int n;
    if (q->counts_only)
        return 0;
    if (q->seq != 0)
        n = hb_outbox_get(self->outbox, q->seq, r);
    else if (q->note_contains[0] != '\0')
        n = hb_outbox_find_note(self->outbox, q->note_contains, HB_PAGE_ENTRIES_MAX, r);
    else if (q->changed_only)
        n = hb_outbox_list(self->outbox, HB_OUTBOX_LIST_CHANGED, HB_PAGE_ENTRIES_MAX, r);
    else
        n = hb_outbox_list(self->outbox, q->rejected_only ? HB_OUTBOX_LIST_REJECTED : HB_OUTBOX_LIST_PENDING,
                           HB_PAGE_ENTRIES_MAX, r);
    if (n < 0) {
        reply_error(self, p, HB_RESULT_INTERNAL, "could not read the outbox; see the station log");
        return -1;
    }
    if (q->seq != 0 && n == 0) {
        if (q->seq > st->last_seq)
            reply_error(self, p, HB_RESULT_NOT_FOUND, "station %" PRIu32 " has not saved seq %" PRIu64
                        " (its last is %" PRIu64 ")", self->conf->station_id, q->seq, st->last_seq);
        else
            reply_error(self, p, HB_RESULT_NOT_FOUND, "station %" PRIu32 " no longer holds seq %" PRIu64
                        ": it was acknowledged by central and removed after the retention period",
                        self->conf->station_id, q->seq);
        return -1;
    }
    return 0;
}

static void
answer_queue(hb_api_t *self, const peer_t *p, const Hourbank__QueueQuery *q)
{
    hb_outbox_status_t st;
    Hourbank__Envelope env;
    Hourbank__QueueReply r;
    hourbank__envelope__init(&env);
    hourbank__queue_reply__init(&r);
    if (hb_outbox_status(self->outbox, &st) != 0) {
        reply_error(self, p, HB_RESULT_INTERNAL, "could not read the outbox; see the station log");
        return;
    }
    if (queue_ops(self, p, q, &st, &r) != 0)
        return;
    r.pending = st.pending;
    r.rejected = st.rejected;
    r.changed = st.changed;
    r.oldest_pending_at = st.oldest_pending_at;
    r.last_sync = st.last_sync;
    r.last_acked_seq = st.last_acked_seq;
    r.link = (char *) (uintptr_t) hb_sync_link_name(self->sync ? hb_sync_link(self->sync) : HB_LINK_DOWN);
    r.central_high_water_mark = self->sync ? hb_sync_central_hwm(self->sync) : 0;
    r.alert = (char *) (uintptr_t) (self->sync ? hb_sync_alert(self->sync) : "");
    r.saves_blocked = hb_outbox_restored(self->outbox);
    r.station_id = self->conf->station_id;
    r.time_zone = (char *) (uintptr_t) hb_outbox_time_zone(self->outbox);
    r.link_down_since = self->sync ? hb_sync_link_down_since(self->sync) : 0;
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
    Hourbank__QueueQuery rejected;
    hourbank__queue_query__init(&rejected);
    rejected.rejected_only = true;
    answer_queue(self, p, &rejected);
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

/* From memory: the CLI asks before it reads or prints a date. */
static void
answer_time_zone(hb_api_t *self, const peer_t *p)
{
    Hourbank__Envelope env;
    Hourbank__TimeZoneReply r;
    hourbank__envelope__init(&env);
    hourbank__time_zone_reply__init(&r);
    r.time_zone = (char *) (uintptr_t) hb_outbox_time_zone(self->outbox);
    env.body_case = HOURBANK__ENVELOPE__BODY_TIME_ZONE_REPLY;
    env.time_zone_reply = &r;
    reply(self, p, &env);
}

/* From the station's copy, offline too; UNAVAILABLE before it has one. */
static void
answer_rules(hb_api_t *self, const peer_t *p)
{
    const Hourbank__RulesReply *copy = hb_outbox_rules(self->outbox);
    if (!copy) {
        reply_error(self, p, HB_RESULT_UNAVAILABLE, "this station has no copy of the rules yet: it asks central"
                    " for one when it connects");
        return;
    }
    Hourbank__Envelope env;
    Hourbank__RulesReply r = *copy;
    hourbank__envelope__init(&env);
    env.body_case = HOURBANK__ENVELOPE__BODY_RULES_REPLY;
    env.rules_reply = &r;
    reply(self, p, &env);
}

/* A refused sign-in: ErrorReply{SIGN_IN_REFUSED} with its reason and,
 * when locked, retry_after (PROTOCOL.md "Result values"). */
static void
reply_sign_in_refused(hb_api_t *self, const peer_t *p, const hb_outbox_sign_in_t *why)
{
    char seconds[HB_PARAM_VALUE_BYTES_MAX];
    Hourbank__Param params[2], *ptrs[2] = {&params[0], &params[1]};
    hourbank__param__init(&params[0]);
    hourbank__param__init(&params[1]);
    params[0].name = "reason";
    params[0].value = (char *) (uintptr_t) why->reason;
    snprintf(seconds, sizeof seconds, "%" PRId64, why->retry_after);
    params[1].name = "retry_after";
    params[1].value = seconds;
    reply_error_with(self, p, HB_RESULT_SIGN_IN_REFUSED, ptrs, why->retry_after > 0 ? 2 : 1,
                     hb_result_text(HB_RESULT_SIGN_IN_REFUSED));
}

/* sign_in: the one operator signed in, or the refusal. */
static void
answer_sign_in(hb_api_t *self, const peer_t *p, const Hourbank__OperatorRequest *q, int64_t now)
{
    char msg[HB_MESSAGE_BYTES_MAX] = "";
    hb_outbox_sign_in_t why;
    hb_result_t r = hb_outbox_sign_in(self->outbox, q->name, q->pin, now, self->conf->sign_in_lockout_seconds, &why,
                                      msg, sizeof msg);
    if (r == HB_RESULT_SIGN_IN_REFUSED) {
        reply_sign_in_refused(self, p, &why);
        return;
    }
    Hourbank__Envelope env;
    Hourbank__OperatorsReply one;
    hourbank__envelope__init(&env);
    hourbank__operators_reply__init(&one);
    if (r != HB_RESULT_OK || hb_outbox_operator_one(self->outbox, q->name, self->conf->default_operator, now, &one) != 1) {
        hb_log_error("sign-in failed operator=\"%s\" reason=\"%s\"", q->name, msg);
        reply_error(self, p, HB_RESULT_INTERNAL, "could not read the operators; see the station log");
        return;
    }
    env.body_case = HOURBANK__ENVELOPE__BODY_OPERATORS_REPLY;
    env.operators_reply = &one;
    reply(self, p, &env);
    hb_outbox_operators_free(&one);
}

/* add, disable, language or unlock (list changes nothing): OK or the
 * refusal with msg. */
static hb_result_t
change_operator(hb_api_t *self, const Hourbank__OperatorRequest *q, int64_t now, char *msg, size_t msg_size)
{
    if (strcmp(q->action, "add") == 0)
        return hb_outbox_operator_add(self->outbox, q->name, q->pin, now, msg, msg_size);
    if (strcmp(q->action, "disable") == 0)
        return hb_outbox_operator_disable(self->outbox, q->name, msg, msg_size);
    if (strcmp(q->action, "language") == 0)
        return hb_outbox_operator_set_language(self->outbox, q->name, q->language, msg, msg_size);
    if (strcmp(q->action, "unlock") == 0)
        return hb_outbox_operator_unlock(self->outbox, q->name, msg, msg_size);
    return HB_RESULT_OK;
}

/* Every action but sign_in answers the whole list on success. The PIN is
 * wiped from the request once used. */
static void
answer_operator(hb_api_t *self, const peer_t *p, Hourbank__OperatorRequest *q)
{
    char msg[HB_MESSAGE_BYTES_MAX] = "";
    int64_t now = (int64_t) time(NULL);
    if (strcmp(q->action, "sign_in") == 0) {
        answer_sign_in(self, p, q, now);
        sodium_memzero(q->pin, strlen(q->pin));
        return;
    }
    hb_result_t r = change_operator(self, q, now, msg, sizeof msg);
    sodium_memzero(q->pin, strlen(q->pin));
    if (r != HB_RESULT_OK) {
        if (r == HB_RESULT_INTERNAL)
            hb_log_error("operator request refused action=%s reason=\"%s\"", q->action, msg);
        Hourbank__Param param, *ptr = &param;
        hourbank__param__init(&param);
        param.name = "operator";
        param.value = q->name;
        reply_error_with(self, p, r, r == HB_RESULT_INTERNAL ? NULL : &ptr, r == HB_RESULT_INTERNAL ? 0 : 1, msg);
        return;
    }
    Hourbank__Envelope env;
    Hourbank__OperatorsReply list;
    hourbank__envelope__init(&env);
    hourbank__operators_reply__init(&list);
    if (hb_outbox_operator_list(self->outbox, self->conf->default_operator, now, &list) < 0) {
        reply_error(self, p, HB_RESULT_INTERNAL, "could not read the operators; see the station log");
        return;
    }
    env.body_case = HOURBANK__ENVELOPE__BODY_OPERATORS_REPLY;
    env.operators_reply = &list;
    reply(self, p, &env);
    hb_outbox_operators_free(&list);
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

/* hb_reconcile_done_fn: the run the CLI asked for ended. */
static void
on_reconcile_done(void *arg, hb_result_t code, const char *msg, const Hourbank__ReconcileReport *report)
{
    hb_api_t *self = arg;
    hb_assert(self && self->reconciling.busy);
    self->reconciling.busy = false;
    peer_t p = {&self->reconciling.peer, self->reconciling.corr};
    if (code != HB_RESULT_OK) {
        reply_error(self, &p, code, "%s", msg);
        return;
    }
    Hourbank__Envelope env;
    hourbank__envelope__init(&env);
    env.body_case = HOURBANK__ENVELOPE__BODY_RECONCILE_REPORT;
    env.reconcile_report = (Hourbank__ReconcileReport *) (uintptr_t) report;
    reply(self, &p, &env);
}

/* Runs a reconcile now; answered when it ends (on_reconcile_done). */
static void
answer_reconcile(hb_api_t *self, const peer_t *p, const Hourbank__ReconcileRequest *q)
{
    char msg[HB_MESSAGE_BYTES_MAX];
    hb_assert(self->reconcile);
    if (self->reconciling.busy || hb_reconcile_running(self->reconcile)) {
        reply_error(self, p, HB_RESULT_UNAVAILABLE, "a reconcile run is under way; ask again when it has ended");
        return;
    }
    self->reconciling = (waiting_t){true, *p->from, p->corr};
    hb_result_t code = hb_reconcile_start(self->reconcile, q->from_day, false, on_reconcile_done, self, msg,
                                          sizeof msg);
    if (code != HB_RESULT_OK) {
        self->reconciling.busy = false;
        reply_error(self, p, code, "%s", msg);
    }
}

static void
dispatch(hb_api_t *self, const peer_t *p, Hourbank__Envelope *env, bool accept_work)
{
    switch (env->body_case) {
    case HOURBANK__ENVELOPE__BODY_SAVE:
        hb_assert(!accept_work);  /* accepted saves are queued by handle_one */
        reply_error(self, p, HB_RESULT_UNAVAILABLE, "the station is stopping; try again when it is back");
        break;
    case HOURBANK__ENVELOPE__BODY_BALANCE_QUERY: answer_balance(self, p, env->balance_query); break;
    case HOURBANK__ENVELOPE__BODY_MEMBER_QUERY: answer_member(self, p, env->member_query); break;
    case HOURBANK__ENVELOPE__BODY_QUEUE_QUERY: answer_queue(self, p, env->queue_query); break;
    case HOURBANK__ENVELOPE__BODY_DISMISS: answer_dismiss(self, p, env->dismiss); break;
    case HOURBANK__ENVELOPE__BODY_CATEGORIES_QUERY: answer_categories(self, p); break;
    case HOURBANK__ENVELOPE__BODY_TIME_ZONE_QUERY: answer_time_zone(self, p); break;
    case HOURBANK__ENVELOPE__BODY_RULES_QUERY: answer_rules(self, p); break;
    case HOURBANK__ENVELOPE__BODY_OPERATOR_REQUEST: answer_operator(self, p, env->operator_request); break;
    case HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY: forward(self, p, env); break;
    case HOURBANK__ENVELOPE__BODY_RECONCILE_REQUEST: answer_reconcile(self, p, env->reconcile_request); break;
    default:
        hb_log_warn("local request refused code=MALFORMED reason=\"message type %d is not for the station\"",
                    (int) env->body_case);
        reply_error(self, p, HB_RESULT_MALFORMED, "the station does not answer this message type (%d)",
                    (int) env->body_case);
    }
}

/* An import's part, commit or page of results (station_import.c); takes
 * *env_p when it keeps its rows. */
static void
answer_import(hb_api_t *self, const peer_t *p, Hourbank__Envelope **env_p, bool accept_work)
{
    if (!accept_work) {
        reply_error(self, p, HB_RESULT_UNAVAILABLE, "the station is stopping; try again when it is back");
        return;
    }
    char msg[HB_MESSAGE_BYTES_MAX];
    Hourbank__ImportReply *r = NULL;
    size_t stored = 0;
    hb_result_t code = hb_station_import_answer(self->import, self->outbox, self->conf->default_operator, env_p,
                                                (int64_t) time(NULL), &r, &stored, msg, sizeof msg);
    if (code != HB_RESULT_OK) {
        hb_log_warn("import refused code=%s reason=\"%s\"", hb_result_name(code), msg);
        reply_error(self, p, code, "%s", msg);
        return;
    }
    Hourbank__Envelope env;
    hourbank__envelope__init(&env);
    env.body_case = HOURBANK__ENVELOPE__BODY_IMPORT_REPLY;
    env.import_reply = r;
    reply(self, p, &env);
    if (stored > 0 && self->sync)
        hb_sync_kick(self->sync);
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
    if (accept_work && env->body_case == HOURBANK__ENVELOPE__BODY_SAVE) {
        save_queue(self, &p, env);  /* answered after the group's commit */
        return 1;
    }
    saves_flush(self);  /* earlier saves are answered (and visible) first */
    if (env->body_case == HOURBANK__ENVELOPE__BODY_IMPORT_REQUEST)
        answer_import(self, &p, &env, accept_work);
    else
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
    saves_flush(self);
}
