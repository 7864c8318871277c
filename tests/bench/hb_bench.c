/* hb_bench - ingestion benchmarks, all measured in one run on one machine.
 *
 *   1. ceiling      COPY of N records (op + transfer rows, the shape real
 *                   ones have) into the ledger schema in a fresh database
 *   2. end-to-end   the same N records pre-filled in S station outboxes
 *                   (S <= 8, default 8),
 *                   then central and the stations started, until every op
 *                   is acked and committed; ratio to (1)
 *   3. balance      p50/p99 of balance queries at central during (2)
 *   4. station save one durable save through the local API vs a raw SQLite
 *                   WAL synchronous=FULL one-commit-per-row loop; ratio.
 *                   Measured in the same rounds: 4c the IPC round trip
 *                   alone (what limits the ratio once saving costs no more
 *                   than the raw commit), 4d the save without IPC; then
 *                   4e four operators saving at once (group commit)
 *   5. memory       peak RSS (VmHWM) of central and of one station
 *
 * Uses the integration-test harness (tests/lib): run it through
 * ./tests/bench/run, which starts the PostgreSQL it needs. */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include <zmq.h>

#include "hb_harness.h"
#include "hb_router.h"
#include "hb_wire.h"
#include "outbox_int.h"

#define MEMBERS_PER_STATION 50
#define DAYS 25
#define LATENCY_SAMPLES_MAX 100000

typedef struct {
    long n;
    int stations;
    long saves;
    int live_s;
    const char *json_path;
    const char *parts;  /* which of "1234" to run (2 includes 3 and 5) */
} bench_opts_t;

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
    fprintf(stderr, "hb_bench: %s\n", what);
    exit(1);
}

static void
pg_exec(PGconn *pg, const char *sql)
{
    if (!hb_h_pg_ok(pg, sql)) {
        fprintf(stderr, "hb_bench: %s\n%s", sql, PQerrorMessage(pg));
        exit(1);
    }
}

/* Streams text rows into COPY table FROM STDIN. */
static void
copy_rows(PGconn *pg, const char *copy_sql, long n, int (*row)(char *buf, size_t size, long i))
{
    PGresult *r = PQexec(pg, copy_sql);
    if (PQresultStatus(r) != PGRES_COPY_IN)
        die(PQerrorMessage(pg));
    PQclear(r);
    char buf[512];
    for (long i = 0; i < n; i++) {
        int len = row(buf, sizeof buf, i);
        if (PQputCopyData(pg, buf, len) != 1)
            die(PQerrorMessage(pg));
    }
    if (PQputCopyEnd(pg, NULL) != 1)
        die(PQerrorMessage(pg));
    r = PQgetResult(pg);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die(PQerrorMessage(pg));
    PQclear(r);
}

static long ceiling_members;

static int
op_row(char *buf, size_t size, long i)
{
    /* station 1, seq i+1, a 32-byte hash, service, OK, transfer id i+1 */
    return snprintf(buf, size, "1\t%ld\t\\\\x%064lx\tservice\t1\t\t%ld\t2026-11-01 10:00:00+00\n", i + 1, i, i + 1);
}

static int
transfer_row(char *buf, size_t size, long i)
{
    long provider = 101 + i % ceiling_members;
    return snprintf(buf, size, "%ld\t1\t%ld\t%ld\tservice\tpersonal-care\t1\t%ld\t2026-11-01 10:00:00+00\t\\N\t\t1\n",
                    i + 1, provider, 1 + i % 10, i + 1);
}

/* 1. COPY op and transfer rows in one transaction: PostgreSQL's own pace. */
static double
bench_ceiling(long n)
{
    hb_h_central_t c;
    hb_h_central_init(&c, "hb_bench_ceiling", NULL, NULL, NULL);
    hb_h_central_start(&c);  /* records stations and rules, then stops */
    hb_h_central_stop(&c, SIGTERM);
    PGconn *pg = hb_h_pg(c.conninfo);
    ceiling_members = 1000;
    pg_exec(pg, "INSERT INTO account (id, kind, district) SELECT 100 + g, 'member', 'GULOU'"
                " FROM generate_series(1, 1000) g");
    pg_exec(pg, "INSERT INTO member (member_no, community, account_id, role, station_id, seq)"
                " SELECT 'QX03-' || lpad(g::text, 6, '0') || '-0', 'QX03', 100 + g, 3, 1, g"
                " FROM generate_series(1, 1000) g");
    pg_exec(pg, "INSERT INTO member_profile (member_no, version, name, birth_year)"
                " SELECT member_no, 1, 'm', 1936 FROM member");
    double t0 = now_s();
    pg_exec(pg, "BEGIN");
    copy_rows(pg, "COPY op (station_id, seq, payload_hash, kind, result, message, transfer_id, occurred_at)"
                  " FROM STDIN", n, op_row);
    copy_rows(pg, "COPY transfer (id, debit_account, credit_account, minutes, kind, category, station_id, seq,"
                  " occurred_at, reverses, note, rules_version) FROM STDIN", n, transfer_row);
    pg_exec(pg, "COMMIT");
    double rate = (double) n / (now_s() - t0);
    PQfinish(pg);
    return rate;
}

/* Fills a station's outbox with registrations and n services, without
 * fsync (the prefill is setup; saving speed is measured in part 4). */
static void
prefill(const hb_h_station_t *st, long n)
{
    char msg[512], members[MEMBERS_PER_STATION][HB_MEMBER_NO_BYTES_MAX + 1];
    const char *community = hb_h_station_community(st->id);
    hb_outbox_t *ob = hb_outbox_open(st->outbox, st->id, community, HB_OUTBOX_BYTES_DEFAULT * 4, msg, sizeof msg);
    if (!ob)
        die(msg);
    if (st->id % 2 == 0)  /* the second station of a community (tests/lib/hb_harness.c) */
        hb_outbox_set_serials(ob, 500000, HB_MEMBER_SERIAL_MAX);
    else
        hb_outbox_set_serials(ob, 1, 499999);
    sqlite3_exec(ob->db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
    int64_t now = (int64_t) time(NULL) - 3600;
    for (long i = 0; i < MEMBERS_PER_STATION + n; i++) {
        hb_h_batch_t *b = hb_h_batch_new();
        if (i < MEMBERS_PER_STATION) {
            /* even: volunteers; odd: elders of 90 (the guarantee pays their care) */
            hb_h_batch_register(b, 0, "", "Bench member", i % 2 ? 2 : 1, i % 2 ? 1936 : 1966, NULL);
        } else {
            long k = i - MEMBERS_PER_STATION;
            int64_t at = now - (int64_t) (k / (MEMBERS_PER_STATION / 2) % DAYS) * 24 * 3600;
            hb_h_batch_service(b, 0, at, members[(k % (MEMBERS_PER_STATION / 2)) * 2],
                               members[(k % 7) * 2 + 1], 1 + k % 10, "personal-care");
        }
        uint64_t seq;
        char no[HB_MEMBER_NO_BYTES_MAX + 1];
        if (hb_outbox_save(ob, hb_h_batch_op(b, 0), now, &seq, no, msg, sizeof msg) != HB_RESULT_OK)
            die(msg);
        if (i < MEMBERS_PER_STATION)
            memcpy(members[i], no, sizeof no);
        hb_h_batch_free(&b);
    }
    hb_outbox_destroy(&ob);
}

typedef struct {
    hb_h_central_t *central;
    char member[HB_MEMBER_NO_BYTES_MAX + 1];
    atomic_int stop;
    double *lat_ms;
    long count;
} prober_t;

/* Balance queries at central, one after another, while ingestion runs. */
static void *
probe_balances(void *arg)
{
    prober_t *p = arg;
    hb_h_client_t *cl = hb_h_central_client(p->central, 0);
    while (!atomic_load(&p->stop) && p->count < LATENCY_SAMPLES_MAX) {
        double t0 = now_s();
        Hourbank__Envelope *r = hb_h_balance(cl, p->member, 5000);
        if (r)
            p->lat_ms[p->count++] = (now_s() - t0) * 1e3;
        hb_wire_free(&r);
        usleep(2000);
    }
    hb_h_client_destroy(&cl);
    return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static double
percentile(double *v, long n, double p)
{
    if (n == 0)
        return 0;
    qsort(v, (size_t) n, sizeof *v, cmp_double);
    long i = (long) (p * (double) (n - 1));
    return v[i];
}

static long
vm_hwm_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

typedef struct {
    double rate, seconds;
    long ops;
    double bal_p50, bal_p99;
    long bal_samples;
    long central_kib, station_kib;
} e2e_t;

static bool
all_drained(hb_h_station_t *st, int n)
{
    for (int i = 0; i < n; i++) {
        hb_h_client_t *cl = hb_h_station_client(&st[i]);
        Hourbank__Envelope *q = hb_h_queue(cl, false);
        bool done = q && q->queue_reply->pending == 0;
        hb_wire_free(&q);
        hb_h_client_destroy(&cl);
        if (!done)
            return false;
    }
    return true;
}

/* The stations central.yaml lists for a run with n stations (the harness
 * lists at least HB_H_STATIONS). */
static int
central_stations(int n)
{
    return n > HB_H_STATIONS ? n : HB_H_STATIONS;
}

/* 2, 3 and 5: pre-filled outboxes, then central and the stations start. */
static e2e_t
bench_end_to_end(long n, int stations)
{
    e2e_t out = {0};
    hb_h_central_t c;
    hb_h_station_t st[HB_H_STATIONS_MAX];
    hb_h_central_init_stations(&c, "hb_bench_e2e", central_stations(stations));
    for (int i = 0; i < stations; i++) {
        hb_h_station_init(&st[i], &c, (uint32_t) i + 1, HB_OUTBOX_BYTES_DEFAULT * 4);
        prefill(&st[i], n / stations);
    }
    out.ops = stations * (n / stations + MEMBERS_PER_STATION);
    prober_t probe = {.central = &c};
    probe.lat_ms = calloc(LATENCY_SAMPLES_MAX, sizeof *probe.lat_ms);
    double t0 = now_s();
    hb_h_central_start(&c);
    for (int i = 0; i < stations; i++)
        hb_h_station_start(&st[i]);
    snprintf(probe.member, sizeof probe.member, "%s", hb_h_member("QX03", 1));
    pthread_t th;
    pthread_create(&th, NULL, probe_balances, &probe);
    while (!all_drained(st, stations))
        usleep(50 * 1000);
    out.seconds = now_s() - t0;
    atomic_store(&probe.stop, 1);
    pthread_join(th, NULL);
    out.rate = (double) out.ops / out.seconds;
    out.bal_samples = probe.count;
    out.bal_p99 = percentile(probe.lat_ms, probe.count, 0.99);
    out.bal_p50 = percentile(probe.lat_ms, probe.count, 0.50);
    out.central_kib = vm_hwm_kib(c.pid);
    out.station_kib = vm_hwm_kib(st[0].pid);
    PGconn *pg = hb_h_pg(c.conninfo);
    long stored = (long) hb_h_pg_int(pg, "SELECT count(*) FROM op");
    long ok = (long) hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE result = 1");
    PQfinish(pg);
    if (stored != out.ops || ok != out.ops)
        fprintf(stderr, "hb_bench: WARNING central holds %ld ops (%ld OK), expected %ld\n", stored, ok, out.ops);
    for (int i = 0; i < stations; i++)
        hb_h_station_stop(&st[i], SIGTERM);
    hb_h_central_stop(&c, SIGTERM);
    free(probe.lat_ms);
    return out;
}

/* ---- 3b. live: stations saving at full speed while central ingests ---- */

#define LIVE_SAVES_MAX 200000
#define LIVE_POLL_US 5000

typedef struct {
    hb_h_station_t *st;
    atomic_int *stop;
    double saved_at[LIVE_SAVES_MAX + 1];  /* by seq */
    uint64_t last_seq;
    double *ack_ms;
    long acked;
} live_t;

static void *
live_saver(void *arg)
{
    live_t *l = arg;
    hb_h_client_t *cl = hb_h_station_client(l->st);
    char v[32], e[32], msg[256];
    int code;
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", "Live", 1, 1966, NULL);
    hb_h_save(cl, hb_h_batch_op(b, 0), &code, v, msg, sizeof msg);
    hb_h_batch_free(&b);
    b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", "Live", 2, 1936, NULL);
    l->last_seq = hb_h_save(cl, hb_h_batch_op(b, 0), &code, e, msg, sizeof msg);
    hb_h_batch_free(&b);
    for (long k = 0; !atomic_load(l->stop) && l->last_seq < LIVE_SAVES_MAX; k++) {
        b = hb_h_batch_new();
        int64_t at = (int64_t) time(NULL) - (int64_t) (k / 200 % DAYS) * 24 * 3600;
        hb_h_batch_service(b, 0, at, v, e, 1, "personal-care");
        double t = now_s();
        uint64_t seq = hb_h_save(cl, hb_h_batch_op(b, 0), &code, NULL, msg, sizeof msg);
        hb_h_batch_free(&b);
        if (seq && seq <= LIVE_SAVES_MAX) {
            l->saved_at[seq] = t;
            l->last_seq = seq;
        }
    }
    hb_h_client_destroy(&cl);
    return NULL;
}

/* Watches the station's acked mark; each seq's save-to-ack latency is
 * taken when the mark passes it (resolution LIVE_POLL_US). */
static void
live_watch(live_t *l, hb_h_client_t *cl, uint64_t *acked_through)
{
    Hourbank__Envelope *q = hb_h_queue(cl, false);
    if (!q)
        return;
    uint64_t mark = q->queue_reply->last_acked_seq;
    hb_wire_free(&q);
    double now = now_s();
    for (uint64_t seq = *acked_through + 1; seq <= mark && seq <= LIVE_SAVES_MAX; seq++)
        if (l->saved_at[seq] > 0 && l->acked < LIVE_SAVES_MAX)
            l->ack_ms[l->acked++] = (now - l->saved_at[seq]) * 1e3;
    *acked_through = mark > *acked_through ? mark : *acked_through;
}

typedef struct {
    double rate, p50_ms, p99_ms;
    long acked;
} live_result_t;

static live_result_t
bench_live(int stations, int seconds)
{
    hb_h_central_t c;
    hb_h_station_t st[HB_H_STATIONS_MAX];
    static live_t l[HB_H_STATIONS_MAX];
    atomic_int stop = 0;
    pthread_t th[HB_H_STATIONS_MAX];
    hb_h_central_init_stations(&c, "hb_bench_live", central_stations(stations));
    hb_h_central_start(&c);
    for (int i = 0; i < stations; i++) {
        hb_h_station_init(&st[i], &c, (uint32_t) i + 1, 0);
        hb_h_station_start(&st[i]);
        memset(&l[i], 0, sizeof l[i]);
        l[i].st = &st[i];
        l[i].stop = &stop;
        l[i].ack_ms = calloc(LIVE_SAVES_MAX, sizeof *l[i].ack_ms);
        pthread_create(&th[i], NULL, live_saver, &l[i]);
    }
    hb_h_client_t *cl[HB_H_STATIONS_MAX];
    uint64_t through[HB_H_STATIONS_MAX] = {0};
    for (int i = 0; i < stations; i++)
        cl[i] = hb_h_station_client(&st[i]);
    double t0 = now_s();
    while (now_s() - t0 < seconds) {
        for (int i = 0; i < stations; i++)
            live_watch(&l[i], cl[i], &through[i]);
        usleep(LIVE_POLL_US);
    }
    atomic_store(&stop, 1);
    live_result_t r = {0};
    double *all = calloc((size_t) stations * LIVE_SAVES_MAX, sizeof *all);
    for (int i = 0; i < stations; i++) {
        pthread_join(th[i], NULL);
        memcpy(all + r.acked, l[i].ack_ms, (size_t) l[i].acked * sizeof *all);
        r.acked += l[i].acked;
        free(l[i].ack_ms);
        hb_h_client_destroy(&cl[i]);
        hb_h_station_stop(&st[i], SIGTERM);
    }
    r.rate = (double) r.acked / seconds;
    r.p50_ms = percentile(all, r.acked, 0.50);
    r.p99_ms = percentile(all, r.acked, 0.99);
    free(all);
    hb_h_central_stop(&c, SIGTERM);
    return r;
}

typedef struct {
    double api_rate, raw_rate, api_p50_ms, api_p99_ms;
    double ipc_rate, ipc_p50_ms, inproc_rate, group_rate;
    double api_ratio, ipc_ratio, inproc_ratio, serial_ratio;  /* medians of the rounds' ratios to raw */
} save_t;

#define GROUP_CLIENTS 4

/* Registers a volunteer and an elder through cl; their numbers in v, e. */
static void
register_pair(hb_h_client_t *cl, char v[32], char e[32])
{
    char msg[256];
    int code;
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", "Bench", 1, 1960, NULL);
    if (!hb_h_save(cl, hb_h_batch_op(b, 0), &code, v, msg, sizeof msg))
        die(msg);
    hb_h_batch_free(&b);
    b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", "Bench", 2, 1936, NULL);
    if (!hb_h_save(cl, hb_h_batch_op(b, 0), &code, e, msg, sizeof msg))
        die(msg);
    hb_h_batch_free(&b);
}

/* k service saves through cl, one after another; latencies in lat. Each
 * carries a request id of 32 hex digits, as the CLI's do (unique per run:
 * the process id and a counter). */
static void
save_loop(hb_h_client_t *cl, const char *v, const char *e, long k, double *lat)
{
    static atomic_ulong serial;  /* 4e runs save_loop on several threads */
    char msg[256], id[40];
    int code;
    for (long i = 0; i < k; i++) {
        hb_h_batch_t *b = hb_h_batch_new();
        hb_h_batch_service(b, 0, (int64_t) time(NULL), v, e, 30, "personal-care");
        snprintf(id, sizeof id, "%016lx%016lx", (unsigned long) getpid(), atomic_fetch_add(&serial, 1) + 1);
        double s = now_s();
        if (!hb_h_save_with_id(cl, hb_h_batch_op(b, 0), id, &code, NULL, msg, sizeof msg))
            die(msg);
        if (lat)
            lat[i] = (now_s() - s) * 1e3;
        hb_h_batch_free(&b);
    }
}

/* 4e. GROUP_CLIENTS operators saving at once on one station: saves that
 * arrive together share a commit (group commit). Total saves per second. */
typedef struct {
    hb_h_station_t *st;
    long k;
} group_client_t;

static void *
group_client(void *arg)
{
    group_client_t *g = arg;
    hb_h_client_t *cl = hb_h_station_client(g->st);
    char v[32], e[32];
    register_pair(cl, v, e);
    save_loop(cl, v, e, g->k, NULL);
    hb_h_client_destroy(&cl);
    return NULL;
}

static double
api_saves_concurrent(hb_h_station_t *st, long k)
{
    pthread_t th[GROUP_CLIENTS];
    group_client_t g = {st, k / GROUP_CLIENTS};
    double t0 = now_s();
    for (int i = 0; i < GROUP_CLIENTS; i++)
        pthread_create(&th[i], NULL, group_client, &g);
    for (int i = 0; i < GROUP_CLIENTS; i++)
        pthread_join(th[i], NULL);
    return (double) (GROUP_CLIENTS * (g.k + 2)) / (now_s() - t0);  /* with the registrations */
}

/* The echo side of 4c: a ROUTER on endpoint answering every request with
 * a SaveReply, as the station's loop does but without saving. Runs in a
 * child process (as the station does) until SIGTERM. */
static void
echo_serve(const char *endpoint)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);  /* never outlives the bench */
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_ROUTER);
    if (zmq_bind(sock, endpoint) != 0) {
        fprintf(stderr, "hb_bench: echo could not bind %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        _exit(1);
    }
    for (;;) {
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, HB_POLL_TICK_MS) <= 0)
            continue;
        hb_router_peer_t peer;
        zmq_msg_t msg;
        int frames;
        while (hb_router_recv(sock, &peer, &msg, &frames)) {
            hb_wire_error_t err;
            Hourbank__Envelope *req = hb_wire_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg), &err);
            zmq_msg_close(&msg);
            Hourbank__Envelope env;
            Hourbank__SaveReply r;
            hourbank__envelope__init(&env);
            hourbank__save_reply__init(&r);
            r.seq = 1;
            r.member_no = "";
            r.station_id = 1;
            env.version = HB_PROTOCOL_VERSION;
            env.correlation_id = req ? req->correlation_id : err.correlation_id;
            env.body_case = HOURBANK__ENVELOPE__BODY_SAVE_REPLY;
            env.save_reply = &r;
            hb_router_send(sock, &peer, &env);
            hb_wire_free(&req);
        }
        zmq_msg_close(&msg);
    }
}

/* Part 4's subjects, measured in turns (SAVE_ROUNDS rounds of k/SAVE_ROUNDS
 * saves each), so that all of them see the same noise of a shared machine:
 *   a. the station's save through the local API (the measure)
 *   b. raw SQLite: one INSERT of a 160-byte row per commit, WAL, FULL
 *   c. the IPC round trip alone: the same request, sockets, ipc transport,
 *      framing and protobuf on both ends, and an echo process that answers
 *      at once; no save through the API can be faster than this
 *   d. the station's save without the IPC: hb_outbox_save_group() of one
 *      op with the station's checks, in this process, on a fresh outbox
 * Rates are totals over the rounds; the ratios are the median over rounds
 * of each round's ratio, which a load that comes and goes moves least. */
#define SAVE_ROUNDS 10

typedef struct {
    hb_h_central_t c;
    hb_h_station_t st;
    hb_h_client_t *api, *echo;
    pid_t echo_pid;
    char v[32], e[32];      /* members registered at the station */
    char ev[32], ee[32];    /* valid numbers for the echo's requests */
    sqlite3 *raw;
    sqlite3_stmt *raw_ins;
    hb_outbox_t *ob;
    char ob_members[2][HB_MEMBER_NO_BYTES_MAX + 1];
} save_env_t;

static void
raw_open(save_env_t *x)
{
    char path[600];
    snprintf(path, sizeof path, "%s/raw.sqlite", hb_h_tmpdir("hb_bench_raw"));
    if (sqlite3_open(path, &x->raw) != SQLITE_OK)
        die("sqlite3_open failed");
    sqlite3_exec(x->raw, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                         " CREATE TABLE ops (seq INTEGER PRIMARY KEY, payload BLOB NOT NULL)", NULL, NULL, NULL);
    sqlite3_prepare_v2(x->raw, "INSERT INTO ops (payload) VALUES (?1)", -1, &x->raw_ins, NULL);
}

/* 4b. The floor: one INSERT per transaction. Seconds taken. */
static double
raw_loop(save_env_t *x, long k)
{
    unsigned char payload[160];
    memset(payload, 'p', sizeof payload);
    double t0 = now_s();
    for (long i = 0; i < k; i++) {
        sqlite3_bind_blob(x->raw_ins, 1, payload, sizeof payload, SQLITE_STATIC);
        if (sqlite3_step(x->raw_ins) != SQLITE_DONE)
            die(sqlite3_errmsg(x->raw));
        sqlite3_reset(x->raw_ins);
    }
    return now_s() - t0;
}

static void
echo_open(save_env_t *x)
{
    char endpoint[600];
    snprintf(endpoint, sizeof endpoint, "ipc://%s/echo.sock", hb_h_tmpdir("hb_bench_ipc"));
    snprintf(x->ev, sizeof x->ev, "%s", hb_h_member("QX03", 1));
    snprintf(x->ee, sizeof x->ee, "%s", hb_h_member("QX03", 2));
    fflush(NULL);
    x->echo_pid = fork();
    if (x->echo_pid == 0)
        echo_serve(endpoint);
    x->echo = hb_h_client_new(endpoint, NULL, NULL, NULL);
    char msg[256];
    int code;
    for (int tries = 0; tries < 100; tries++) {  /* until the echo is bound */
        hb_h_batch_t *b = hb_h_batch_new();
        hb_h_batch_service(b, 0, (int64_t) time(NULL), x->ev, x->ee, 30, "personal-care");
        uint64_t seq = hb_h_save(x->echo, hb_h_batch_op(b, 0), &code, NULL, msg, sizeof msg);
        hb_h_batch_free(&b);
        if (seq)
            return;
    }
    die("the echo process did not answer");
}

static void
inproc_open(save_env_t *x)
{
    char path[600], msg[HB_MESSAGE_BYTES_MAX];
    snprintf(path, sizeof path, "%s/outbox.sqlite", hb_h_tmpdir("hb_bench_inproc"));
    x->ob = hb_outbox_open(path, 1, "QX03", HB_OUTBOX_BYTES_DEFAULT, msg, sizeof msg);
    if (!x->ob)
        die(msg);
    /* as hourbank-station: its default_operator, checked at every save */
    if (hb_outbox_operator_add(x->ob, HB_H_DEFAULT_OPERATOR, "", (int64_t) time(NULL), msg, sizeof msg) != HB_RESULT_OK)
        die(msg);
    for (int i = 0; i < 2; i++) {
        hb_h_batch_t *b = hb_h_batch_new();
        hb_h_batch_register(b, 0, "", "Bench", i ? 2 : 1, i ? 1936 : 1960, NULL);
        uint64_t seq;
        if (hb_outbox_save(x->ob, hb_h_batch_op(b, 0), (int64_t) time(NULL), &seq, x->ob_members[i], msg,
                           sizeof msg) != HB_RESULT_OK)
            die(msg);
        hb_h_batch_free(&b);
    }
}

/* 4d. Seconds for k checked saves straight into the outbox. */
static double
inproc_loop(save_env_t *x, long k)
{
    double t0 = now_s();
    for (long i = 0; i < k; i++) {
        hb_h_batch_t *b = hb_h_batch_new();
        hb_h_batch_service(b, 0, (int64_t) time(NULL), x->ob_members[0], x->ob_members[1], 30, "personal-care");
        hb_outbox_save_t v = {.op = hb_h_batch_op(b, 0), .default_operator = HB_H_DEFAULT_OPERATOR};
        if (hb_outbox_save_group(x->ob, &v, 1, true, (int64_t) time(NULL)) != 1)
            die(v.msg);
        hb_h_batch_free(&b);
    }
    return now_s() - t0;
}

static void
save_env_open(save_env_t *x)
{
    memset(x, 0, sizeof *x);
    hb_h_central_init(&x->c, "hb_bench_save", NULL, NULL, NULL);  /* never started: the station works offline */
    hb_h_station_init(&x->st, &x->c, 1, 0);
    hb_h_station_start(&x->st);
    x->api = hb_h_station_client(&x->st);
    register_pair(x->api, x->v, x->e);
    raw_open(x);
    echo_open(x);
    inproc_open(x);
}

static void
save_env_close(save_env_t *x)
{
    hb_outbox_destroy(&x->ob);
    hb_h_client_destroy(&x->echo);
    hb_h_stop(x->echo_pid, SIGTERM);
    sqlite3_finalize(x->raw_ins);
    sqlite3_close(x->raw);
    hb_h_client_destroy(&x->api);
    hb_h_station_stop(&x->st, SIGTERM);
}

/* One round of part 4: kr saves of each subject; seconds in t[4] (api, raw,
 * ipc, inproc) and the API's latencies in lat. */
static void
save_round(save_env_t *x, long kr, double *lat, double *ipc_lat, double t[4])
{
    double t0 = now_s();
    save_loop(x->api, x->v, x->e, kr, lat);
    t[0] = now_s() - t0;
    t[1] = raw_loop(x, kr);
    t0 = now_s();
    save_loop(x->echo, x->ev, x->ee, kr, ipc_lat);
    t[2] = now_s() - t0;
    t[3] = inproc_loop(x, kr);
}

static double
median(double *v, int n)
{
    return percentile(v, n, 0.5);
}

static save_t
bench_saves(long k)
{
    save_env_t x;
    save_env_open(&x);
    long kr = k / SAVE_ROUNDS, n = kr * SAVE_ROUNDS;
    double *lat = calloc((size_t) n, sizeof *lat), *ipc_lat = calloc((size_t) n, sizeof *lat);
    double sum[4] = {0}, ratios[3][SAVE_ROUNDS], serial[SAVE_ROUNDS];
    for (int r = 0; r < SAVE_ROUNDS; r++) {
        double t[4];
        save_round(&x, kr, lat + r * kr, ipc_lat + r * kr, t);
        for (int i = 0; i < 4; i++)
            sum[i] += t[i];
        ratios[0][r] = t[1] / t[0];  /* rates are kr / t: rate ratio = inverse time ratio */
        ratios[1][r] = t[1] / t[2];
        ratios[2][r] = t[1] / t[3];
        serial[r] = t[1] / (t[1] + t[2]);
    }
    save_t out = {.api_rate = (double) n / sum[0], .raw_rate = (double) n / sum[1], .ipc_rate = (double) n / sum[2],
                  .inproc_rate = (double) n / sum[3]};
    out.api_ratio = median(ratios[0], SAVE_ROUNDS);
    out.ipc_ratio = median(ratios[1], SAVE_ROUNDS);
    out.inproc_ratio = median(ratios[2], SAVE_ROUNDS);
    out.serial_ratio = median(serial, SAVE_ROUNDS);
    out.api_p50_ms = percentile(lat, n, 0.50);
    out.api_p99_ms = percentile(lat, n, 0.99);
    out.ipc_p50_ms = percentile(ipc_lat, n, 0.50);
    out.group_rate = api_saves_concurrent(&x.st, k);
    free(lat);
    free(ipc_lat);
    save_env_close(&x);
    return out;
}

/* a / b, or 0 when b is 0 (a part that was not run) */
static double
ratio(double a, double b)
{
    return b > 0 ? a / b : 0;
}

/* The rate of doing a then b, one after the other, for each item. */
static double
serial_rate(double a, double b)
{
    return a > 0 && b > 0 ? 1 / (1 / a + 1 / b) : 0;
}

static void
report(double ceiling, const e2e_t *e, const live_result_t *lv, const save_t *s)
{
    printf("\n%-34s %14s %10s\n", "measure", "value", "ratio");
    printf("%-34s %11.0f /s\n", "1. ceiling: COPY into ledger", ceiling);
    printf("%-34s %11.0f /s %10.3f\n", "2. end-to-end ingestion", e->rate, ratio(e->rate, ceiling));
    printf("%-34s %11.3f ms\n", "3. balance query p50 during (2)", e->bal_p50);
    printf("%-34s %11.3f ms   (%ld samples)\n", "   balance query p99 during (2)", e->bal_p99, e->bal_samples);
    printf("%-34s %11.0f /s %10.3f\n", "3b. live: saved and acked", lv->rate, ratio(lv->rate, ceiling));
    printf("%-34s %11.3f ms / %.3f ms (%ld ops)\n", "   save-to-ack p50 / p99", lv->p50_ms, lv->p99_ms, lv->acked);
    printf("%-34s %11.0f /s %10.3f   (median of %d rounds' ratios; %.3f of the totals)\n",
           "4. station save (local API)", s->api_rate, s->api_ratio, SAVE_ROUNDS, ratio(s->api_rate, s->raw_rate));
    printf("%-34s %11.0f /s\n", "   raw SQLite WAL FULL commit", s->raw_rate);
    printf("%-34s %11.3f ms / %.3f ms\n", "   save p50 / p99", s->api_p50_ms, s->api_p99_ms);
    printf("%-34s %11.0f /s %10.3f   (p50 %.3f ms)\n", "4c. IPC round trip alone (no save)", s->ipc_rate,
           s->ipc_ratio, s->ipc_p50_ms);
    printf("%-34s %11.0f /s %10.3f   (the best an API save can do)\n", "   raw commit + IPC round trip",
           serial_rate(s->raw_rate, s->ipc_rate), s->serial_ratio);
    printf("%-34s %11.0f /s %10.3f\n", "4d. station save without IPC", s->inproc_rate, s->inproc_ratio);
    printf("%-34s %11.0f /s %10.3f\n", "4e. 4 operators at once (API)", s->group_rate,
           ratio(s->group_rate, s->raw_rate));
    printf("%-34s %11ld KiB\n", "5. peak RSS central", e->central_kib);
    printf("%-34s %11ld KiB\n", "   peak RSS station", e->station_kib);
}

static void
report_json(const bench_opts_t *o, double ceiling, const e2e_t *e, const live_result_t *lv, const save_t *s)
{
    FILE *f = fopen(o->json_path, "w");
    if (!f)
        die("could not write the JSON file");
    fprintf(f, "{\"n\": %ld, \"stations\": %d, \"ops\": %ld, \"ceiling_per_s\": %.0f, \"e2e_per_s\": %.0f,"
               " \"e2e_seconds\": %.3f, \"e2e_ratio\": %.4f, \"balance_p50_ms\": %.3f, \"balance_p99_ms\": %.3f,"
               " \"balance_samples\": %ld, \"save_api_per_s\": %.0f, \"save_raw_per_s\": %.0f,"
               " \"save_ratio\": %.4f, \"save_p50_ms\": %.3f, \"save_p99_ms\": %.3f,"
               " \"central_peak_rss_kib\": %ld, \"station_peak_rss_kib\": %ld, \"live_per_s\": %.0f,"
               " \"live_ack_p50_ms\": %.3f, \"live_ack_p99_ms\": %.3f, \"save_ipc_per_s\": %.0f,"
               " \"save_ipc_p50_ms\": %.3f, \"save_inproc_per_s\": %.0f, \"save_group_per_s\": %.0f,"
               " \"save_ratio_of_totals\": %.4f}\n",
            o->n, o->stations, e->ops, ceiling, e->rate, e->seconds, ratio(e->rate, ceiling), e->bal_p50, e->bal_p99,
            e->bal_samples, s->api_rate, s->raw_rate, s->api_ratio, s->api_p50_ms, s->api_p99_ms,
            e->central_kib, e->station_kib, lv->rate, lv->p50_ms, lv->p99_ms, s->ipc_rate, s->ipc_p50_ms,
            s->inproc_rate, s->group_rate, ratio(s->api_rate, s->raw_rate));
    fclose(f);
}

int
main(int argc, char **argv)
{
    bench_opts_t o = {.n = 200000, .stations = HB_H_STATIONS_MAX, .saves = 4000, .json_path = "bench.json",
                      .live_s = 20, .parts = "1234"};
    int c;
    while ((c = getopt(argc, argv, "n:s:k:o:t:p:")) != -1) {
        switch (c) {
        case 'n': o.n = strtol(optarg, NULL, 10); break;
        case 't': o.live_s = (int) strtol(optarg, NULL, 10); break;
        case 's': o.stations = (int) strtol(optarg, NULL, 10); break;
        case 'k': o.saves = strtol(optarg, NULL, 10); break;
        case 'o': o.json_path = optarg; break;
        case 'p': o.parts = optarg; break;
        default:
            fprintf(stderr, "usage: hb_bench [-n records] [-s stations 1..%d] [-k saves] [-t live_seconds] [-p parts 1234] [-o json]\n",
                    HB_H_STATIONS_MAX);
            return 64;
        }
    }
    if (o.n < 1000 || o.stations < 1 || o.stations > HB_H_STATIONS_MAX || o.saves < SAVE_ROUNDS * 10 ||
        o.live_s < 1)
        die("need -n >= 1000, -s in 1..8, -k >= 100, -t >= 1");
    printf("hb_bench: N=%ld records, S=%d stations, %ld saves, parts %s\n", o.n, o.stations, o.saves, o.parts);
    fflush(stdout);
    double ceiling = 0;
    if (strchr(o.parts, '1')) {
        ceiling = bench_ceiling(o.n);
        printf("ceiling done: %.0f records/s\n", ceiling);
        fflush(stdout);
    }
    e2e_t e = {0};
    if (strchr(o.parts, '2')) {
        e = bench_end_to_end(o.n, o.stations);
        printf("end-to-end done: %ld ops in %.1f s\n", e.ops, e.seconds);
        fflush(stdout);
    }
    live_result_t lv = {0};
    if (strchr(o.parts, '3')) {
        lv = bench_live(o.stations, o.live_s);
        printf("live done: %ld ops acked in %d s\n", lv.acked, o.live_s);
        fflush(stdout);
    }
    save_t s = {0};
    if (strchr(o.parts, '4')) {
        s = bench_saves(o.saves);
    }
    report(ceiling, &e, &lv, &s);
    report_json(&o, ceiling, &e, &lv, &s);
    return 0;
}
