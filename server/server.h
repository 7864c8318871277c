/* server.h - hourbank-central: three threads that share nothing but
 * inproc messages, each with its own zmq_poll loop.
 *  - main (hb_server_run): the ROUTER socket with CURVE, the ZAP handler
 *    and the reader connection. Queries are answered at once on the reader
 *    connection, never behind a commit. Batches are collected into a group;
 *    while the writer applies one group the next one is collected (at most
 *    HB_GROUPS_IN_HAND_MAX groups in hand), and a group's acks are sent
 *    when the writer hands it back committed (none when it failed: the
 *    stations resend). A hello waits in the group behind the batches
 *    received before it, so its high-water mark includes them. A batch is
 *    taken only on a connection whose hello was answered, and at most
 *    HB_STATION_BATCHES_IN_HAND_MAX of one station at once (peers.h);
 *    otherwise it is refused whole. Every message counts as its station's
 *    contact, recorded in the ledger once per HB_CONTACT_FLUSH_MS. The
 *    reader connection is bounded by central.yaml's query timeouts, so a
 *    silent database holds hellos and acks up for no longer.
 *  - the writer (writer.h): the ledger's writer connection.
 *  - verify: VerifyQuery on a connection of its own (seconds on a big
 *    ledger), so that it holds up neither queries nor batches.
 * SIGTERM/SIGINT: stop reading, commit and ack the groups in hand, exit 0.
 * SIGHUP: reload central.yaml (stations, keys, rules); the new rules are
 * recorded by the writer after the batches already received and before
 * later ones; a bad file is reported and the running configuration kept.
 * The keys (keys.h) are checked on every message: from the moment the
 * reload is in force, a message signed with a key replaced or removed is
 * refused NOT_AUTHORIZED, also on connections opened before, and the new
 * ops of a retired station are recorded refused NOT_AUTHORIZED. */
#ifndef HB_SERVER_H
#define HB_SERVER_H

#include "hb_config.h"

typedef struct hb_server hb_server_t;

/* config_path: copied (reloaded on SIGHUP). conf: takes ownership.
 * Returns NULL (logged) when the sockets cannot be set up. */
hb_server_t *hb_server_new(const char *config_path, hb_central_conf_t *conf);
void hb_server_destroy(hb_server_t **self_p);

/* Runs until SIGTERM/SIGINT. Returns a process exit status: 0 after a
 * clean stop, 1 when the database schema is unusable. */
int hb_server_run(hb_server_t *self);

#endif
