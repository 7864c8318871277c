/* Chaos run: a real PostgreSQL (a private cluster, so that it can be
 * restarted), central and four stations under load, while a fault
 * scheduler with a fixed seed injects kill -9 of central and of stations,
 * PostgreSQL restarts (fast and immediate), link cuts (a loopback proxy
 * between the stations and central that drops and refuses connections)
 * and duplicate, reordered resends of acknowledged batches. After every
 * fault and at the end: every op a station reported saved is at central
 * exactly once with its content, or still pending at its station; the
 * results agree on both sides; balances sum to 0; `verify` passes.
 *
 *   chaos [--seed N] [--faults N] [--long]     (--long: 1,000 faults) */
#include "hb_harness.h"
#include "hb_wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STATIONS 4
#define MEMBERS 10
#define SEQS_MAX (1u << 20)
#define FAULTS_DEFAULT 50
#define FAULTS_LONG 1000
#define SAVE_PAUSE_US 20000
#define DRAIN_WAIT_S 180
#define RESEND_OPS_MAX 20
#define RESEND_WAIT_MS 4000
#define PROXY_PAIRS_MAX 32
#define DAY_S (24 * 3600)
#define FAILS_PRINTED_MAX 30

enum { K_CENTRAL, K_STATION, K_PG_FAST, K_PG_IMMEDIATE, K_LINK_CUT, K_RESEND, K_KINDS };
static const char *const kind_names[K_KINDS] = {"central-kill9", "station-kill9", "pg-restart-fast",
                                               "pg-restart-immediate", "link-cut", "resend"};
enum { OP_NONE, OP_REGISTER, OP_SERVICE, OP_GIFT };

/* What a station confirmed for one seq (SaveReply), as the saver built it. */
typedef struct {
    uint8_t kind;
    uint8_t a, b;   /* member indexes: provider/recipient, from/to */
    int32_t minutes;
    int64_t at;
} rec_t;

typedef struct {
    uint32_t id;
    hb_h_station_t st;
    char members[MEMBERS][32];
    rec_t *recs;                  /* by seq */
    _Atomic uint64_t hi;          /* highest confirmed seq; recs[1..hi] are final */
    uint64_t saved, refused, unanswered;
    hb_h_client_t *direct;        /* a station-keyed client straight to central */
    pthread_t th;
} sta_t;

/* One op row at central, with its credited member and transfers. */
typedef struct {
    int result;
    char kind[12];
    int64_t transfers, minutes;
    uint64_t transfer_id;
    char credited[32];
} crow_t;

typedef struct {
    int listen_fd, port, target_port;
    atomic_int cut, stop;
    int pairs[PROXY_PAIRS_MAX][2];
    pthread_t th;
} proxy_t;

static hb_h_central_t central;
static hb_h_pgcluster_t pgc;
static sta_t sta[STATIONS + 1];
static proxy_t proxy;
static atomic_int stop_saving;
static unsigned long faults_by_kind[K_KINDS];
static unsigned long checks_passed, checks_failed, ops_checked, resent_ops, resend_timeouts;
static bool quiet;   /* the negative control: failures expected, not printed */

static void
fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
fail(const char *fmt, ...)
{
    static unsigned long printed;
    checks_failed++;
    if (quiet || printed++ >= FAILS_PRINTED_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "chaos: FAIL: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

#define CHECK(cond, ...) ((cond) ? (void) 0 : fail(__VA_ARGS__))

/* ---- the proxy: stations -> 127.0.0.1:port -> central ---- */

static int
proxy_connect_target(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *) &a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = {.tv_sec = 1};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

static void
proxy_close_pair(proxy_t *p, int i)
{
    if (p->pairs[i][0] >= 0)
        close(p->pairs[i][0]);
    if (p->pairs[i][1] >= 0)
        close(p->pairs[i][1]);
    p->pairs[i][0] = p->pairs[i][1] = -1;
}

static void
proxy_accept(proxy_t *p)
{
    int fd = accept(p->listen_fd, NULL, NULL);
    if (fd < 0)
        return;
    int up = atomic_load(&p->cut) ? -1 : proxy_connect_target(p->target_port);
    int slot = 0;
    while (slot < PROXY_PAIRS_MAX && p->pairs[slot][0] >= 0)
        slot++;
    if (up < 0 || slot == PROXY_PAIRS_MAX) {   /* cut, central down, or full: refused */
        close(fd);
        if (up >= 0)
            close(up);
        return;
    }
    struct timeval tv = {.tv_sec = 1};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    p->pairs[slot][0] = fd;
    p->pairs[slot][1] = up;
}

/* Moves what one side has to the other; false when the pair is done. */
static bool
proxy_pump(int from, int to)
{
    char buf[65536];
    ssize_t n = read(from, buf, sizeof buf);
    if (n <= 0)
        return false;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, (size_t) (n - off));
        if (w <= 0)
            return false;
        off += w;
    }
    return true;
}

static void *
proxy_main(void *arg)
{
    proxy_t *p = arg;
    while (!atomic_load(&p->stop)) {
        struct pollfd fds[1 + 2 * PROXY_PAIRS_MAX];
        int map[1 + 2 * PROXY_PAIRS_MAX];
        nfds_t n = 0;
        fds[n++] = (struct pollfd){.fd = p->listen_fd, .events = POLLIN};
        bool cut = atomic_load(&p->cut);
        for (int i = 0; i < PROXY_PAIRS_MAX; i++) {
            if (p->pairs[i][0] >= 0 && cut)
                proxy_close_pair(p, i);
            for (int side = 0; side < 2 && p->pairs[i][0] >= 0; side++) {
                map[n] = i * 2 + side;
                fds[n++] = (struct pollfd){.fd = p->pairs[i][side], .events = POLLIN};
            }
        }
        if (poll(fds, n, 50) <= 0)
            continue;
        if (fds[0].revents & POLLIN)
            proxy_accept(p);
        for (nfds_t k = 1; k < n; k++) {
            int i = map[k] / 2, side = map[k] % 2;
            if (!fds[k].revents || p->pairs[i][0] < 0)
                continue;
            if (!proxy_pump(p->pairs[i][side], p->pairs[i][!side]))
                proxy_close_pair(p, i);
        }
    }
    for (int i = 0; i < PROXY_PAIRS_MAX; i++)
        proxy_close_pair(p, i);
    close(p->listen_fd);
    return NULL;
}

static void
proxy_start(proxy_t *p, int target_port)
{
    memset(p->pairs, -1, sizeof p->pairs);
    p->target_port = target_port;
    p->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(p->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(p->listen_fd, (struct sockaddr *) &a, sizeof a) != 0 || listen(p->listen_fd, 16) != 0 ||
        getsockname(p->listen_fd, (struct sockaddr *) &a, &len) != 0) {
        fprintf(stderr, "chaos: proxy: %s\n", strerror(errno));
        exit(1);
    }
    p->port = ntohs(a.sin_port);
    pthread_create(&p->th, NULL, proxy_main, p);
}

/* ---- load: one saver per station, through the local API ---- */

/* Builds the n-th op of a station's workload into b; fills r. */
static void
build_op(sta_t *s, uint64_t n, int64_t now, hb_h_batch_t *b, rec_t *r)
{
    r->a = (uint8_t) ((n % 5) * 2);           /* volunteers */
    r->b = (uint8_t) ((n * 3 % 5) * 2 + 1);   /* elders of 90: the guarantee pays personal care */
    r->at = now - 600 - (int64_t) (n % 28) * DAY_S;
    if (n % 25 == 24) {   /* an elder gives hours: rejected in GULOU (family) or without balance */
        uint8_t t = r->a;
        r->a = r->b;
        r->b = t;
        r->kind = OP_GIFT;
        r->minutes = 30;
        hb_h_batch_gift(b, 0, r->at, s->members[r->a], s->members[r->b], r->minutes);
        return;
    }
    r->kind = OP_SERVICE;
    r->minutes = (int32_t) (n % 17 == 16 ? 700 : 5 + n % 55);   /* 700: some pass the daily limit */
    hb_h_batch_service(b, 0, r->at, s->members[r->a], s->members[r->b], r->minutes, "personal-care");
}

static void *
saver(void *arg)
{
    sta_t *s = arg;
    hb_h_client_t *cl = hb_h_station_client(&s->st);
    int64_t now = (int64_t) time(NULL);
    for (uint64_t n = 0; !atomic_load(&stop_saving); n++) {
        hb_h_batch_t *b = hb_h_batch_new();
        rec_t r = {0};
        build_op(s, n, now, b, &r);
        int code;
        char msg[256];
        uint64_t seq = hb_h_save(cl, hb_h_batch_op(b, 0), &code, NULL, msg, sizeof msg);
        hb_h_batch_free(&b);
        if (seq >= SEQS_MAX - 1)
            break;
        if (seq) {
            s->recs[seq] = r;
            atomic_store(&s->hi, seq);
            s->saved++;
        } else if (code == -1) {   /* killed mid-save: may or may not be stored */
            s->unanswered++;
            hb_h_client_destroy(&cl);
            cl = hb_h_station_client(&s->st);
        } else {
            s->refused++;
        }
        usleep(SAVE_PAUSE_US);
    }
    hb_h_client_destroy(&cl);
    return NULL;
}

static void
register_members(sta_t *s)
{
    hb_h_client_t *cl = hb_h_station_client(&s->st);
    for (int i = 0; i < MEMBERS; i++) {
        hb_h_batch_t *b = hb_h_batch_new();
        hb_h_batch_register(b, 0, "", "Chaos member", i % 2 ? 2 : 1, i % 2 ? 1936 : 1965, NULL);
        int code;
        char msg[256];
        uint64_t seq = hb_h_save(cl, hb_h_batch_op(b, 0), &code, s->members[i], msg, sizeof msg);
        hb_h_batch_free(&b);
        if (seq != (uint64_t) i + 1) {
            fprintf(stderr, "chaos: station %u: register failed (%d): %s\n", s->id, code, msg);
            exit(1);
        }
        s->recs[seq] = (rec_t){.kind = OP_REGISTER};
        atomic_store(&s->hi, seq);
        s->saved++;
    }
    if (!hb_h_wait_drained(cl, 60)) {
        fprintf(stderr, "chaos: station %u did not drain its registrations\n", s->id);
        exit(1);
    }
    hb_h_client_destroy(&cl);
}

/* ---- reading both sides ---- */

/* Central's ops of station id, indexed by seq (rows[0] unused); returns
 * the number of ops, -1 when the seqs have a hole. Caller frees *rows. */
static int64_t
central_rows(PGconn *pg, uint32_t id, crow_t **rows)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT o.seq, o.result, o.kind, count(t.id), coalesce(sum(t.minutes), 0),"
             " coalesce(o.transfer_id, 0), coalesce(min(m.member_no), '')"
             " FROM op o LEFT JOIN transfer t ON t.station_id = o.station_id AND t.seq = o.seq"
             " AND t.kind IN ('service', 'gift') LEFT JOIN member m ON m.account_id = t.credit_account"
             " WHERE o.station_id = %u GROUP BY o.station_id, o.seq ORDER BY o.seq", id);
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "chaos: query failed: %s\n", PQerrorMessage(pg));
        exit(1);
    }
    int64_t n = PQntuples(r);
    *rows = calloc((size_t) n + 1, sizeof **rows);
    for (int64_t i = 0; i < n; i++) {
        crow_t *c = &(*rows)[i + 1];
        if (strtoll(PQgetvalue(r, (int) i, 0), NULL, 10) != i + 1) {
            PQclear(r);
            return -1;
        }
        c->result = atoi(PQgetvalue(r, (int) i, 1));
        snprintf(c->kind, sizeof c->kind, "%s", PQgetvalue(r, (int) i, 2));
        c->transfers = strtoll(PQgetvalue(r, (int) i, 3), NULL, 10);
        c->minutes = strtoll(PQgetvalue(r, (int) i, 4), NULL, 10);
        c->transfer_id = strtoull(PQgetvalue(r, (int) i, 5), NULL, 10);
        snprintf(c->credited, sizeof c->credited, "%s", PQgetvalue(r, (int) i, 6));
    }
    PQclear(r);
    return n;
}

/* The station's queue (rejected_only), retried while it restarts. */
static Hourbank__Envelope *
station_queue(sta_t *s, bool rejected_only)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        hb_h_client_t *cl = hb_h_station_client(&s->st);
        Hourbank__Envelope *q = hb_h_queue(cl, rejected_only);
        hb_h_client_destroy(&cl);
        if (q)
            return q;
    }
    return NULL;
}

/* ---- the invariants ---- */

/* One confirmed op against central's row, or its absence, allowed for
 * seqs above the station's last acked one (UINT64_MAX: not allowed). */
static void
check_op(const sta_t *s, uint64_t seq, const crow_t *rows, int64_t n, uint64_t acked)
{
    const rec_t *r = &s->recs[seq];
    ops_checked++;
    if ((int64_t) seq > n) {   /* not at central: must still be pending at the station */
        CHECK(seq > acked && acked != UINT64_MAX, "station %u seq %llu: missing at central (last_acked %llu)", s->id,
              (unsigned long long) seq, (unsigned long long) acked);
        return;
    }
    const crow_t *c = &rows[seq];
    static const char *const kinds[] = {"", "register", "service", "gift"};
    CHECK(strcmp(c->kind, kinds[r->kind]) == 0, "station %u seq %llu: kind %s at central, saved %s", s->id,
          (unsigned long long) seq, c->kind, kinds[r->kind]);
    if (c->result != 1 || r->kind == OP_REGISTER) {
        CHECK(c->transfers == 0, "station %u seq %llu: result %d with %lld transfers", s->id,
              (unsigned long long) seq, c->result, (long long) c->transfers);
        CHECK(r->kind != OP_REGISTER || c->result == 1, "station %u seq %llu: registration result %d", s->id,
              (unsigned long long) seq, c->result);
        return;
    }
    const char *want = s->members[r->kind == OP_GIFT ? r->b : r->a];
    CHECK(c->transfers == 1 && c->minutes == r->minutes && strcmp(c->credited, want) == 0,
          "station %u seq %llu: %lld transfers of %lld min to %s at central, saved %d min to %s", s->id,
          (unsigned long long) seq, (long long) c->transfers, (long long) c->minutes, c->credited, r->minutes,
          want);
}

/* The station's rejected list against central's results, both ways. */
static void
check_rejected(const sta_t *s, const Hourbank__QueueReply *q, const crow_t *rows, int64_t n)
{
    uint64_t listed_to = q->n_ops < q->rejected ? (q->n_ops ? q->ops[q->n_ops - 1]->seq : 0) : q->last_acked_seq;
    size_t k = 0;
    for (size_t i = 0; i < q->n_ops; i++) {
        uint64_t seq = q->ops[i]->seq;
        CHECK((int64_t) seq <= n && rows[seq].result == (int) q->ops[i]->result && rows[seq].result != 1,
              "station %u seq %llu: rejected %d at the station, %d at central", s->id, (unsigned long long) seq,
              q->ops[i]->result, (int64_t) seq <= n ? rows[seq].result : -1);
    }
    for (uint64_t seq = 1; seq <= listed_to && (int64_t) seq <= n; seq++) {
        if (rows[seq].result == 1)
            continue;
        while (k < q->n_ops && q->ops[k]->seq < seq)
            k++;
        CHECK(k < q->n_ops && q->ops[k]->seq == seq, "station %u seq %llu: rejected %d at central, not at the station",
              s->id, (unsigned long long) seq, rows[seq].result);
    }
}

/* Checks station s; final: nothing may be pending any more. */
static void
check_station(PGconn *pg, sta_t *s, bool final)
{
    Hourbank__Envelope *q = station_queue(s, true);
    if (!q) {
        fail("station %u does not answer its local API", s->id);
        return;
    }
    uint64_t acked = q->queue_reply->last_acked_seq;
    uint64_t hi = atomic_load(&s->hi);
    crow_t *rows = NULL;
    int64_t n = central_rows(pg, s->id, &rows);
    CHECK(n >= 0, "station %u: central's seqs have a hole", s->id);
    if (n >= 0) {
        CHECK((uint64_t) n >= acked, "station %u: last_acked %llu but central has %lld ops", s->id,
              (unsigned long long) acked, (long long) n);
        if (final)
            CHECK(q->queue_reply->pending == 0 && (uint64_t) n == acked, "station %u: %llu pending, acked %llu, central %lld",
                  s->id, (unsigned long long) q->queue_reply->pending, (unsigned long long) acked, (long long) n);
        for (uint64_t seq = 1; seq <= hi; seq++)
            if (s->recs[seq].kind != OP_NONE)
                check_op(s, seq, rows, n, final ? UINT64_MAX : acked);
        check_rejected(s, q->queue_reply, rows, n);
    }
    free(rows);
    hb_wire_free(&q);
}

static void
check_all(bool final)
{
    unsigned long before = checks_failed;
    PGconn *pg = hb_h_pg(pgc.conninfo);
    for (int i = 1; i <= STATIONS; i++)
        check_station(pg, &sta[i], final);
    int64_t sum = hb_h_pg_int(pg, "SELECT coalesce(sum(credits - debits), 0) FROM account");
    CHECK(sum == 0, "sum of balances is %lld", (long long) sum);
    int64_t bad = hb_h_pg_int(pg, "SELECT count(*) FROM hb_verify()");
    CHECK(bad == 0, "hb_verify() reports %lld problems", (long long) bad);
    PQfinish(pg);
    int rc = hb_h_central_cmd(&central, "verify");
    CHECK(rc == 0, "hourbank-central verify exited %d", rc);
    if (checks_failed == before)
        checks_passed++;
}

/* ---- faults ---- */

/* Resends seqs [from, from + len) of s straight to central, as the station
 * does after losing an ack (a hello first: central may have restarted, and
 * takes batches only on a connection that said hello): the answers must be
 * central's stored ones. */
static void
resend_range(sta_t *s, uint64_t from, size_t len, const crow_t *rows)
{
    if (hb_h_hello(s->direct, s->id, from - 1) < 0) {  /* central down or without its database */
        resend_timeouts++;
        return;
    }
    hb_h_batch_t *b = hb_h_batch_new();
    for (uint64_t seq = from; seq < from + len; seq++) {
        const rec_t *r = &s->recs[seq];
        if (r->kind == OP_GIFT)
            hb_h_batch_gift(b, seq, r->at, s->members[r->a], s->members[r->b], r->minutes);
        else
            hb_h_batch_service(b, seq, r->at, s->members[r->a], s->members[r->b], r->minutes, "personal-care");
        /* as the station stored it: under its default_operator */
        hb_h_batch_op(b, (size_t) (seq - from))->operator_ = (char *) (uintptr_t) HB_H_DEFAULT_OPERATOR;
    }
    Hourbank__Envelope *ack = hb_h_client_call(s->direct, hb_h_batch_envelope(b), RESEND_WAIT_MS);
    hb_h_batch_free(&b);
    if (!ack) {   /* central down or without its database: the station would resend later */
        resend_timeouts++;
        return;
    }
    resent_ops += len;
    bool is_ack = ack->body_case == HOURBANK__ENVELOPE__BODY_BATCH_ACK;
    CHECK(is_ack && ack->batch_ack->batch_result == 1 && ack->batch_ack->n_results == len,
          "station %u resend of %llu+%zu: reply %d, batch result %d", s->id, (unsigned long long) from, len,
          ack->body_case, is_ack ? (int) ack->batch_ack->batch_result : -1);
    for (size_t i = 0; is_ack && i < ack->batch_ack->n_results && i < len; i++) {
        const Hourbank__OpResult *o = ack->batch_ack->results[i];
        const crow_t *c = &rows[from + i];
        CHECK(o->seq == from + i && (int) o->result == c->result && o->transfer_id == c->transfer_id,
              "station %u resend seq %llu: result %d transfer %llu, stored %d transfer %llu (%s)", s->id,
              (unsigned long long) (from + i), o->result, (unsigned long long) o->transfer_id, c->result,
              (unsigned long long) c->transfer_id, o->message);
    }
    hb_wire_free(&ack);
}

/* A range of acked seqs whose content the saver knows; 0 when none. */
static uint64_t
pick_range(const sta_t *s, uint64_t acked, size_t len, unsigned *seed)
{
    if (acked < MEMBERS + len)
        return 0;
    for (int attempt = 0; attempt < 10; attempt++) {
        uint64_t from = MEMBERS + 1 + rand_r(seed) % (acked - MEMBERS - len + 1);
        bool known = true;
        for (uint64_t seq = from; seq < from + len; seq++)
            known = known && s->recs[seq].kind >= OP_SERVICE;
        if (known)
            return from;
    }
    return 0;
}

/* Duplicate and reordered resends: a later range, an earlier one, the
 * later one again. */
static void
fault_resend(unsigned *seed)
{
    sta_t *s = &sta[1 + rand_r(seed) % STATIONS];
    Hourbank__Envelope *q = station_queue(s, false);
    if (!q)
        return;
    uint64_t acked = q->queue_reply->last_acked_seq;
    hb_wire_free(&q);
    size_t len = 1 + rand_r(seed) % RESEND_OPS_MAX;
    uint64_t r1 = pick_range(s, acked, len, seed), r2 = pick_range(s, acked, len, seed);
    if (!r1 || !r2)
        return;
    PGconn *pg = hb_h_pg(pgc.conninfo);
    crow_t *rows = NULL;
    int64_t n = central_rows(pg, s->id, &rows);
    PQfinish(pg);
    if (n >= (int64_t) acked) {
        uint64_t early = r1 < r2 ? r1 : r2, late = r1 < r2 ? r2 : r1;
        resend_range(s, late, len, rows);
        resend_range(s, early, len, rows);
        resend_range(s, late, len, rows);
    }
    free(rows);
}

static void
restart_pg(bool immediate)
{
    if (!hb_h_pgcluster_stop(&pgc, immediate) || !hb_h_pgcluster_start(&pgc)) {
        fprintf(stderr, "chaos: could not restart PostgreSQL; see %s\n", pgc.dir);
        exit(1);
    }
}

static void
inject(int kind, unsigned *seed)
{
    useconds_t pause = (useconds_t) (rand_r(seed) % 300) * 1000;
    sta_t *s = &sta[1 + rand_r(seed) % STATIONS];
    switch (kind) {
    case K_CENTRAL:
        hb_h_central_stop(&central, SIGKILL);
        usleep(pause);
        hb_h_central_start(&central);
        break;
    case K_STATION:
        hb_h_station_stop(&s->st, SIGKILL);
        usleep(pause);
        hb_h_station_start(&s->st);
        break;
    case K_PG_FAST:
    case K_PG_IMMEDIATE:
        restart_pg(kind == K_PG_IMMEDIATE);
        break;
    case K_LINK_CUT:
        atomic_store(&proxy.cut, 1);
        usleep(200000 + pause * 4);
        atomic_store(&proxy.cut, 0);
        break;
    default:
        fault_resend(seed);
        break;
    }
    faults_by_kind[kind]++;
}

/* ---- the run ---- */

static void
setup(void)
{
    hb_h_pgcluster_init(&pgc, "hb_chaos_pg");
    if (!hb_h_pgcluster_start(&pgc)) {
        fprintf(stderr, "chaos: could not start a private PostgreSQL; see %s\n", pgc.dir);
        exit(1);
    }
    hb_h_central_init(&central, "hb_chaos", NULL, NULL, NULL);
    snprintf(central.conninfo, sizeof central.conninfo, "%s", pgc.conninfo);
    hb_h_central_write_config(&central, NULL, NULL, NULL, NULL);
    if (hb_h_central_cmd(&central, "migrate") != 0) {
        fprintf(stderr, "chaos: migrate failed; see %s\n", central.log);
        exit(1);
    }
    hb_h_central_start(&central);
    proxy_start(&proxy, atoi(strrchr(central.endpoint, ':') + 1));
    char via[64];
    snprintf(via, sizeof via, "tcp://127.0.0.1:%d", proxy.port);
    for (uint32_t id = 1; id <= STATIONS; id++) {
        sta_t *s = &sta[id];
        s->id = id;
        s->recs = calloc(SEQS_MAX, sizeof *s->recs);
        hb_h_station_init_via(&s->st, &central, id, 0, via);
        hb_h_station_start(&s->st);
        register_members(s);
        s->direct = hb_h_central_client(&central, id);
    }
}

static void
teardown(void)
{
    for (uint32_t id = 1; id <= STATIONS; id++) {
        hb_h_client_destroy(&sta[id].direct);
        hb_h_station_stop(&sta[id].st, SIGTERM);
        free(sta[id].recs);
    }
    hb_h_central_stop(&central, SIGTERM);
    atomic_store(&proxy.stop, 1);
    pthread_join(proxy.th, NULL);
    hb_h_pgcluster_destroy(&pgc);
}

static void
drain_all(void)
{
    atomic_store(&stop_saving, 1);
    for (uint32_t id = 1; id <= STATIONS; id++)
        pthread_join(sta[id].th, NULL);
    for (uint32_t id = 1; id <= STATIONS; id++) {
        hb_h_client_t *cl = hb_h_station_client(&sta[id].st);
        CHECK(hb_h_wait_drained(cl, DRAIN_WAIT_S), "station %u did not drain in %d s", id, DRAIN_WAIT_S);
        hb_h_client_destroy(&cl);
    }
}

/* Negative control: the checker must notice a lost op, a changed amount
 * and a result the station would not agree with. */
static void
check_the_checker(void)
{
    sta_t *s = &sta[1];
    unsigned long base = checks_failed, passed = checks_passed, checked = ops_checked;
    PGconn *pg = hb_h_pg(pgc.conninfo);
    uint64_t seq = (uint64_t) hb_h_pg_int(pg, "SELECT max(seq) FROM op WHERE station_id = 1 AND result = 1"
                                              " AND kind = 'service'");
    rec_t keep = s->recs[seq];
    quiet = true;
    s->recs[seq].minutes += 1;   /* central would hold other content */
    check_station(pg, s, true);
    bool amount = checks_failed > base;
    s->recs[seq] = keep;
    unsigned long mid = checks_failed;
    s->recs[atomic_load(&s->hi) + 1] = keep;   /* a confirmed op central never got */
    atomic_fetch_add(&s->hi, 1);
    check_station(pg, s, true);
    bool lost = checks_failed > mid;
    s->recs[atomic_fetch_sub(&s->hi, 1)] = (rec_t){0};
    quiet = false;
    PQfinish(pg);
    checks_failed = base;
    checks_passed = passed;
    ops_checked = checked;
    CHECK(amount && lost, "negative control: changed amount noticed %d, lost op noticed %d", amount, lost);
    if (amount && lost)
        checks_passed++;
}

/* Ops central rejected, over all stations (the results both sides agreed on). */
static int64_t
central_rejected(void)
{
    PGconn *pg = hb_h_pg(pgc.conninfo);
    int64_t n = hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE result <> 1");
    PQfinish(pg);
    return n;
}

static void
report(unsigned seed, time_t started)
{
    unsigned long total = 0, saved = 0, refused = 0, unanswered = 0;
    printf("chaos: seed %u (replay: chaos --seed %u), %ld s\n", seed, seed, (long) (time(NULL) - started));
    for (int k = 0; k < K_KINDS; k++) {
        printf("chaos: faults %-21s %lu\n", kind_names[k], faults_by_kind[k]);
        total += faults_by_kind[k];
    }
    for (uint32_t id = 1; id <= STATIONS; id++) {
        saved += sta[id].saved;
        refused += sta[id].refused;
        unanswered += sta[id].unanswered;
    }
    printf("chaos: faults total %lu; ops saved %lu (refused by a station %lu, unanswered %lu); "
           "ops checked %lu; resent ops %lu (unanswered resends %lu)\n",
           total, saved, refused, unanswered, ops_checked, resent_ops, resend_timeouts);
    printf("chaos: ops rejected by central (and listed alike by their station) %lld\n", (long long) central_rejected());
    printf("%lu passed, %lu failed\n", checks_passed, checks_failed);
}

int
main(int argc, char **argv)
{
    unsigned seed = 6, faults = FAULTS_DEFAULT;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = (unsigned) strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--faults") == 0 && i + 1 < argc)
            faults = (unsigned) strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--long") == 0)
            faults = FAULTS_LONG;
        else {
            fprintf(stderr, "usage: chaos [--seed N] [--faults N] [--long]\n");
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    time_t started = time(NULL);
    printf("chaos: seed %u, %u faults\n", seed, faults);
    fflush(stdout);
    unsigned draw = seed;
    setup();
    check_all(false);
    for (uint32_t id = 1; id <= STATIONS; id++)
        pthread_create(&sta[id].th, NULL, saver, &sta[id]);
    for (unsigned f = 0; f < faults; f++) {
        usleep((useconds_t) (100 + rand_r(&draw) % 500) * 1000);
        inject((int) (rand_r(&draw) % K_KINDS), &draw);
        check_all(false);
    }
    drain_all();
    check_all(true);
    check_the_checker();
    report(seed, started);
    teardown();
    return checks_failed ? 1 : 0;
}
