/* hb_bench - ingestion benchmarks, all measured in one run on one machine.
 *
 *   1. ceiling      COPY of N records (op + transfer rows, the shape real
 *                   ones have) into the ledger schema in a fresh database
 *   2. end-to-end   the same N records pre-filled in S station outboxes,
 *                   then central and the stations started, until every op
 *                   is acked and committed; ratio to (1)
 *   3. balance      p50/p99 of balance queries at central during (2)
 *   4. station save one durable save through the local API vs a raw SQLite
 *                   WAL synchronous=FULL one-commit-per-row loop; ratio
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
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "hb_harness.h"
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
    pg_exec(pg, "INSERT INTO member (member_no, community, account_id, name, role, birth_year, station_id, seq)"
                " SELECT 'QX03-' || lpad(g::text, 6, '0') || '-0', 'QX03', 100 + g, 'm', 3, 1936, 1, g"
                " FROM generate_series(1, 1000) g");
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
    const char *community = st->id <= 2 ? "QX03" : "QH01";
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
        Hourbank__Envelope env;
        Hourbank__BalanceQuery q;
        hourbank__envelope__init(&env);
        hourbank__balance_query__init(&q);
        q.member_no = p->member;
        env.body_case = HOURBANK__ENVELOPE__BODY_BALANCE_QUERY;
        env.balance_query = &q;
        double t0 = now_s();
        Hourbank__Envelope *r = hb_h_client_call(cl, &env, 5000);
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

/* 2, 3 and 5: pre-filled outboxes, then central and the stations start. */
static e2e_t
bench_end_to_end(long n, int stations)
{
    e2e_t out = {0};
    hb_h_central_t c;
    hb_h_station_t st[HB_H_STATIONS];
    hb_h_central_init(&c, "hb_bench_e2e", NULL, NULL, NULL);
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
    hb_h_station_t st[HB_H_STATIONS];
    static live_t l[HB_H_STATIONS];
    atomic_int stop = 0;
    pthread_t th[HB_H_STATIONS];
    hb_h_central_init(&c, "hb_bench_live", NULL, NULL, NULL);
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
    hb_h_client_t *cl[HB_H_STATIONS];
    uint64_t through[HB_H_STATIONS] = {0};
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
} save_t;

/* 4a. Durable saves through the local API, one at a time, as operators do. */
static double
api_saves(long k, double *p50, double *p99)
{
    hb_h_central_t c;  /* never started: the station works offline */
    hb_h_station_t st;
    hb_h_central_init(&c, "hb_bench_save", NULL, NULL, NULL);
    hb_h_station_init(&st, &c, 1, 0);
    hb_h_station_start(&st);
    hb_h_client_t *cl = hb_h_station_client(&st);
    double *lat = calloc((size_t) k, sizeof *lat);
    char member[32], msg[256];
    int code;
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", "Bench", 1, 1960, NULL);
    hb_h_save(cl, hb_h_batch_op(b, 0), &code, member, msg, sizeof msg);
    hb_h_batch_free(&b);
    b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", "Bench", 2, 1936, NULL);
    char elder[32];
    hb_h_save(cl, hb_h_batch_op(b, 0), &code, elder, msg, sizeof msg);
    hb_h_batch_free(&b);
    double t0 = now_s();
    for (long i = 0; i < k; i++) {
        b = hb_h_batch_new();
        hb_h_batch_service(b, 0, (int64_t) time(NULL), member, elder, 30, "personal-care");
        double s = now_s();
        if (!hb_h_save(cl, hb_h_batch_op(b, 0), &code, NULL, msg, sizeof msg))
            die(msg);
        lat[i] = (now_s() - s) * 1e3;
        hb_h_batch_free(&b);
    }
    double rate = (double) k / (now_s() - t0);
    *p50 = percentile(lat, k, 0.50);
    *p99 = percentile(lat, k, 0.99);
    free(lat);
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&st, SIGTERM);
    return rate;
}

/* 4b. The floor: one INSERT per transaction in SQLite, WAL, FULL. */
static double
raw_sqlite_saves(long k)
{
    char path[600];
    snprintf(path, sizeof path, "%s/raw.sqlite", hb_h_tmpdir("hb_bench_raw"));
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die("sqlite3_open failed");
    sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                     " CREATE TABLE ops (seq INTEGER PRIMARY KEY, payload BLOB NOT NULL)", NULL, NULL, NULL);
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(db, "INSERT INTO ops (payload) VALUES (?1)", -1, &ins, NULL);
    unsigned char payload[160];
    memset(payload, 'p', sizeof payload);
    double t0 = now_s();
    for (long i = 0; i < k; i++) {
        sqlite3_bind_blob(ins, 1, payload, sizeof payload, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            die(sqlite3_errmsg(db));
        sqlite3_reset(ins);
    }
    double rate = (double) k / (now_s() - t0);
    sqlite3_finalize(ins);
    sqlite3_close(db);
    return rate;
}

static void
report(const bench_opts_t *o, double ceiling, const e2e_t *e, const live_result_t *lv, const save_t *s)
{
    printf("\n%-34s %14s %10s\n", "measure", "value", "ratio");
    printf("%-34s %11.0f /s\n", "1. ceiling: COPY into ledger", ceiling);
    printf("%-34s %11.0f /s %10.3f\n", "2. end-to-end ingestion", e->rate, e->rate / ceiling);
    printf("%-34s %11.3f ms\n", "3. balance query p50 during (2)", e->bal_p50);
    printf("%-34s %11.3f ms   (%ld samples)\n", "   balance query p99 during (2)", e->bal_p99, e->bal_samples);
    printf("%-34s %11.0f /s %10.3f\n", "3b. live: saved and acked", lv->rate, lv->rate / ceiling);
    printf("%-34s %11.3f ms / %.3f ms (%ld ops)\n", "   save-to-ack p50 / p99", lv->p50_ms, lv->p99_ms, lv->acked);
    printf("%-34s %11.0f /s %10.3f\n", "4. station save (local API)", s->api_rate, s->api_rate / s->raw_rate);
    printf("%-34s %11.0f /s\n", "   raw SQLite WAL FULL commit", s->raw_rate);
    printf("%-34s %11.3f ms / %.3f ms\n", "   save p50 / p99", s->api_p50_ms, s->api_p99_ms);
    printf("%-34s %11ld KiB\n", "5. peak RSS central", e->central_kib);
    printf("%-34s %11ld KiB\n", "   peak RSS station", e->station_kib);
    FILE *f = fopen(o->json_path, "w");
    if (!f)
        die("could not write the JSON file");
    fprintf(f, "{\"n\": %ld, \"stations\": %d, \"ops\": %ld, \"ceiling_per_s\": %.0f, \"e2e_per_s\": %.0f,"
               " \"e2e_seconds\": %.3f, \"e2e_ratio\": %.4f, \"balance_p50_ms\": %.3f, \"balance_p99_ms\": %.3f,"
               " \"balance_samples\": %ld, \"save_api_per_s\": %.0f, \"save_raw_per_s\": %.0f,"
               " \"save_ratio\": %.4f, \"save_p50_ms\": %.3f, \"save_p99_ms\": %.3f,"
               " \"central_peak_rss_kib\": %ld, \"station_peak_rss_kib\": %ld, \"live_per_s\": %.0f,"
               " \"live_ack_p50_ms\": %.3f, \"live_ack_p99_ms\": %.3f}\n",
            o->n, o->stations, e->ops, ceiling, e->rate, e->seconds, e->rate / ceiling, e->bal_p50, e->bal_p99,
            e->bal_samples, s->api_rate, s->raw_rate, s->api_rate / s->raw_rate, s->api_p50_ms, s->api_p99_ms,
            e->central_kib, e->station_kib, lv->rate, lv->p50_ms, lv->p99_ms);
    fclose(f);
}

int
main(int argc, char **argv)
{
    bench_opts_t o = {.n = 200000, .stations = HB_H_STATIONS, .saves = 2000, .json_path = "bench.json",
                      .live_s = 20};
    int c;
    while ((c = getopt(argc, argv, "n:s:k:o:t:")) != -1) {
        switch (c) {
        case 'n': o.n = strtol(optarg, NULL, 10); break;
        case 't': o.live_s = (int) strtol(optarg, NULL, 10); break;
        case 's': o.stations = (int) strtol(optarg, NULL, 10); break;
        case 'k': o.saves = strtol(optarg, NULL, 10); break;
        case 'o': o.json_path = optarg; break;
        default:
            fprintf(stderr, "usage: hb_bench [-n records] [-s stations 1..%d] [-k saves] [-t live_seconds] [-o json]\n",
                    HB_H_STATIONS);
            return 64;
        }
    }
    if (o.n < 1000 || o.stations < 1 || o.stations > HB_H_STATIONS || o.saves < 100 || o.live_s < 1)
        die("need -n >= 1000, -s in 1..4, -k >= 100, -t >= 1");
    printf("hb_bench: N=%ld records, S=%d stations, %ld saves\n", o.n, o.stations, o.saves);
    fflush(stdout);
    double ceiling = bench_ceiling(o.n);
    printf("ceiling done: %.0f records/s\n", ceiling);
    fflush(stdout);
    e2e_t e = bench_end_to_end(o.n, o.stations);
    printf("end-to-end done: %ld ops in %.1f s\n", e.ops, e.seconds);
    fflush(stdout);
    live_result_t lv = bench_live(o.stations, o.live_s);
    printf("live done: %ld ops acked in %d s\n", lv.acked, o.live_s);
    fflush(stdout);
    save_t s = {0};
    s.api_rate = api_saves(o.saves, &s.api_p50_ms, &s.api_p99_ms);
    s.raw_rate = raw_sqlite_saves(o.saves);
    report(&o, ceiling, &e, &lv, &s);
    return 0;
}
