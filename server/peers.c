#include "peers.h"

#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_limits.h"
#include "hb_map.h"

struct hb_peer {
    uint32_t station_id;
    int64_t last_seen_s;
    bool dirty;                   /* last_seen_s not handed out yet */
    int batches_in_hand;
    hb_router_peer_t conns[HB_PEER_CONNECTIONS_MAX];  /* hello answered on these */
    size_t n_conns;
    size_t next_conn;             /* the slot the next hello replaces when full */
};

struct hb_peers {
    hb_peer_t *recs;              /* HB_PEER_STATIONS_MAX */
    size_t n_recs;
    hb_map_t *by_id;              /* station id (4 bytes) -> record */
    uint32_t *dirty;              /* indexes of dirty records, HB_PEER_STATIONS_MAX */
    size_t n_dirty;
};

hb_peers_t *
hb_peers_new(void)
{
    hb_peers_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->recs = calloc(HB_PEER_STATIONS_MAX, sizeof *self->recs);
    self->dirty = calloc(HB_PEER_STATIONS_MAX, sizeof *self->dirty);
    self->by_id = hb_map_new(HB_PEER_STATIONS_MAX);
    hb_assert(self->recs && self->dirty && self->by_id);
    return self;
}

void
hb_peers_destroy(hb_peers_t **self_p)
{
    hb_assert(self_p);
    hb_peers_t *self = *self_p;
    if (!self)
        return;
    hb_map_destroy(&self->by_id);
    free(self->recs);
    free(self->dirty);
    free(self);
    *self_p = NULL;
}

hb_peer_t *
hb_peers_find(hb_peers_t *self, uint32_t station)
{
    hb_assert(self);
    return hb_map_get(self->by_id, &station, sizeof station);
}

hb_peer_t *
hb_peers_seen(hb_peers_t *self, uint32_t station, int64_t now_s)
{
    hb_assert(self && station > 0);
    hb_peer_t *p = hb_peers_find(self, station);
    if (!p) {
        if (self->n_recs >= HB_PEER_STATIONS_MAX)
            return NULL;
        p = &self->recs[self->n_recs++];
        p->station_id = station;
        hb_map_put(self->by_id, &station, sizeof station, p);
    }
    p->last_seen_s = now_s;
    if (!p->dirty) {
        p->dirty = true;
        self->dirty[self->n_dirty++] = (uint32_t) (p - self->recs);
    }
    return p;
}

int64_t
hb_peer_last_seen(const hb_peer_t *peer)
{
    hb_assert(peer);
    return peer->last_seen_s;
}

static bool
same_conn(const hb_router_peer_t *a, const hb_router_peer_t *b)
{
    return a->size == b->size && memcmp(a->id, b->id, a->size) == 0;
}

void
hb_peer_hello(hb_peer_t *peer, const hb_router_peer_t *conn)
{
    hb_assert(peer && conn && conn->size <= HB_ROUTING_ID_BYTES_MAX);
    if (hb_peer_said_hello(peer, conn))
        return;
    if (peer->n_conns < HB_PEER_CONNECTIONS_MAX) {
        peer->conns[peer->n_conns++] = *conn;
        return;
    }
    peer->conns[peer->next_conn] = *conn;  /* the oldest one goes */
    peer->next_conn = (peer->next_conn + 1) % HB_PEER_CONNECTIONS_MAX;
}

bool
hb_peer_said_hello(const hb_peer_t *peer, const hb_router_peer_t *conn)
{
    hb_assert(peer && conn);
    for (size_t i = 0; i < peer->n_conns; i++) {
        if (same_conn(&peer->conns[i], conn))
            return true;
    }
    return false;
}

bool
hb_peer_batch_take(hb_peer_t *peer)
{
    hb_assert(peer);
    if (peer->batches_in_hand >= HB_STATION_BATCHES_IN_HAND_MAX)
        return false;
    peer->batches_in_hand++;
    return true;
}

void
hb_peer_batch_done(hb_peer_t *peer)
{
    hb_assert(peer && peer->batches_in_hand > 0);
    peer->batches_in_hand--;
}

size_t
hb_peers_take_contacts(hb_peers_t *self, uint32_t *ids, int64_t *times, size_t max)
{
    hb_assert(self && ids && times);
    size_t n = 0;
    while (n < max && self->n_dirty > 0) {
        hb_peer_t *p = &self->recs[self->dirty[--self->n_dirty]];
        hb_assert(p->dirty);
        p->dirty = false;
        ids[n] = p->station_id;
        times[n++] = p->last_seen_s;
    }
    return n;
}
