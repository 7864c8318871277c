/* peers.h - what central's main thread knows of each station it hears
 * from, in memory only, bounded:
 *  - which of the station's connections said hello: a Batch is taken only
 *    on a connection (a ROUTER routing id; a reconnection gets a new one)
 *    whose hello was answered with a Welcome. The newest
 *    HB_PEER_CONNECTIONS_MAX connections of a station are remembered; an
 *    older one that sends a batch is told to say hello again.
 *  - its batches in hand (received, not yet acked): at most
 *    HB_STATION_BATCHES_IN_HAND_MAX, so that no one station fills every
 *    group central holds (fairness between stations).
 *  - when it last sent anything (any message: batch, hello, query), kept
 *    here and handed out in bounds (hb_peers_take_contacts) for the writer
 *    to record in station.last_contact, one statement per tick.
 * Stations are known by the id ZAP established; at most HB_PEER_STATIONS_MAX
 * ids are tracked over the process's life. */
#ifndef HB_PEERS_H
#define HB_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_router.h"

typedef struct hb_peers hb_peers_t;
typedef struct hb_peer hb_peer_t;

hb_peers_t *hb_peers_new(void);
void hb_peers_destroy(hb_peers_t **self_p);

/* The station's record, created on first use; records that it sent a
 * message at now_s (Unix seconds). Borrowed, valid until hb_peers_destroy.
 * NULL when HB_PEER_STATIONS_MAX other stations are tracked already. */
hb_peer_t *hb_peers_seen(hb_peers_t *self, uint32_t station, int64_t now_s);
/* The record of a station already seen, or NULL. */
hb_peer_t *hb_peers_find(hb_peers_t *self, uint32_t station);

/* When the station last sent anything (Unix seconds). */
int64_t hb_peer_last_seen(const hb_peer_t *peer);

/* conn's hello was answered: batches on it are taken. */
void hb_peer_hello(hb_peer_t *peer, const hb_router_peer_t *conn);
bool hb_peer_said_hello(const hb_peer_t *peer, const hb_router_peer_t *conn);

/* Counts one more batch in hand; false (nothing counted) when the station
 * has HB_STATION_BATCHES_IN_HAND_MAX already. */
bool hb_peer_batch_take(hb_peer_t *peer);
/* One of its batches was acked (or dropped). */
void hb_peer_batch_done(hb_peer_t *peer);

/* Last-contact times not yet handed out: up to max (station id, Unix
 * seconds) pairs into ids and times, each then counted as handed out.
 * Returns how many. */
size_t hb_peers_take_contacts(hb_peers_t *self, uint32_t *ids, int64_t *times, size_t max);

#endif
