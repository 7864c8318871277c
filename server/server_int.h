/* server_int.h - what server.c, server_group.c and server_send.c share:
 * the server's state and the groups it collects. Private to those files. */
#ifndef HB_SERVER_INT_H
#define HB_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_router.h"
#include "hb_wire.h"
#include "keys.h"
#include "ledger.h"
#include "peers.h"
#include "query.h"
#include "server.h"
#include "worker.h"
#include "writer.h"
#include "zap.h"

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

/* A ReconcileQuery with a report: answered (reply) at once, sent once the
 * writer recorded the report (ReconcileReply.recorded). */
typedef struct {
    hb_router_peer_t peer;
    uint64_t correlation_id;
    Hourbank__Envelope *env;     /* owned: the query; w.reports[i].report points in */
    hb_query_reply_t *reply;     /* owned */
} report_from_t;

/* A group of work for the writer thread. Owned by this thread while it is
 * collected or spare, by the writer from hb_writer_send until it comes
 * back from hb_writer_recv. */
typedef struct {
    hb_writer_group_t w;      /* first: the writer sees only this */
    pending_t pending[HB_GROUP_BATCHES_MAX];      /* parallel to w.jobs */
    hello_from_t hello_from[HB_GROUP_HELLOS_MAX]; /* parallel to w.hellos */
    report_from_t report_from[HB_GROUP_REPORTS_MAX]; /* parallel to w.reports */
    size_t ops;               /* ops in the batches */
    /* w.contacts' storage (HB_PEER_STATIONS_MAX entries), allocated with
     * the group */
    hb_ledger_contact_t *contacts;
    hb_central_conf_t *rules; /* owned: the reload riding this group (w.rules) */
} group_t;

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

/* server_send.c: replies to a peer; a peer that went away is not an
 * error. message is borrowed, valid until the call returns. */
void hb_server__send_to(hb_server_t *self, const hb_router_peer_t *to, const Hourbank__Envelope *env);
void hb_server__send_error(hb_server_t *self, const hb_router_peer_t *to, uint64_t corr, hb_result_t code,
                           const char *message);

/* server_group.c: batches and hellos collected into groups for the writer
 * thread, and the groups it hands back. */
bool hb_server__room(const hb_server_t *self);
void hb_server__send_group(hb_server_t *self);
group_t *hb_server__collecting(hb_server_t *self, bool fits);
void hb_server__take_batch(hb_server_t *self, const hb_router_peer_t *to, uint32_t station,
                           Hourbank__Envelope **env_p, const uint32_t *op_bytes);
void hb_server__queue_hello(hb_server_t *self, const hb_router_peer_t *to, uint32_t station,
                            const Hourbank__Envelope *req);
void hb_server__finish_group(hb_server_t *self, group_t *g);
/* Takes *env_p (a ReconcileQuery with a report) and reply: both ride a
 * group to the writer, and the reply goes out when it comes back. */
void hb_server__queue_report(hb_server_t *self, const hb_router_peer_t *to, uint32_t station,
                             Hourbank__Envelope **env_p, hb_query_reply_t *reply);
void hb_server__group_free(group_t **g_p);

#endif
