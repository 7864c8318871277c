#include "hb_harness.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "hb_clock.h"
#include "hb_limits.h"
#include "hb_wire.h"

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "harness: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

const char *
hb_h_conninfo(const char *db)
{
    static char buf[1024];
    const char *host = getenv("HB_TEST_PGHOST");
    const char *port = getenv("HB_TEST_PGPORT");
    if (!host || !port)
        die("%s", "HB_TEST_PGHOST/HB_TEST_PGPORT not set: run the tests through ./tests/run");
    snprintf(buf, sizeof buf, "host=%s port=%s user=postgres dbname=%s", host, port, db);
    return buf;
}

static void
quiet_notice(void *arg, const char *message)
{
    (void) arg;
    (void) message;
}

PGconn *
hb_h_pg(const char *conninfo)
{
    PGconn *pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK)
        die("could not connect to PostgreSQL: %s", PQerrorMessage(pg));
    PQsetNoticeProcessor(pg, quiet_notice, NULL);  /* NULL would leave libpq's default */
    return pg;
}

bool
hb_h_pg_ok(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(r);
    PQclear(r);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

int64_t
hb_h_pg_int(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        die("query failed: %s", PQerrorMessage(pg));
    int64_t v = PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

const char *
hb_h_createdb(const char *prefix)
{
    static char name[128];
    snprintf(name, sizeof name, "%s_%ld", prefix, (long) getpid());
    PGconn *pg = hb_h_pg(hb_h_conninfo("postgres"));
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
    hb_h_pg_ok(pg, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    if (!hb_h_pg_ok(pg, sql))
        die("could not create database: %s", PQerrorMessage(pg));
    PQfinish(pg);
    return hb_h_conninfo(name);
}

const char *
hb_h_tmpdir(const char *prefix)
{
    static char buf[512];
    const char *t = getenv("TMPDIR");
    snprintf(buf, sizeof buf, "%s/%s.XXXXXX", t ? t : "/tmp", prefix);
    if (!mkdtemp(buf))
        die("mkdtemp failed: %s", strerror(errno));
    return buf;
}

void
hb_h_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        die("could not write %s", path);
    fputs(text, f);
    fclose(f);
}

const char *
hb_h_bin(const char *name, char *buf, size_t size)
{
    const char *b = getenv("HB_BUILD_DIR");
    if (!b)
        die("%s", "HB_BUILD_DIR not set: run through ctest");
    snprintf(buf, size, "%s/%s", b, name);
    return buf;
}

/* Children still running when the test ends (a failed assertion jumps
 * past their stop) are killed at exit, so a failing test leaves nothing. */
#define CHILDREN_MAX 64
static pid_t children[CHILDREN_MAX];

static void
kill_children(void)
{
    for (int i = 0; i < CHILDREN_MAX; i++)
        if (children[i] > 0 && kill(children[i], SIGKILL) == 0)
            waitpid(children[i], NULL, 0);
}

static void
track_child(pid_t pid, pid_t replace)
{
    static bool registered;
    if (!registered) {
        atexit(kill_children);
        registered = true;
    }
    for (int i = 0; i < CHILDREN_MAX; i++) {
        if (children[i] == replace) {
            children[i] = pid;
            return;
        }
    }
}

pid_t
hb_h_spawn(char *const argv[], const char *logfile)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork failed: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    track_child(pid, 0);
    return pid;
}

int
hb_h_stop(pid_t pid, int sig)
{
    int status = 0;
    kill(pid, sig);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    track_child(0, pid);
    return status;
}

int
hb_h_run(char *const argv[], const char *logfile)
{
    pid_t pid = hb_h_spawn(argv, logfile);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    track_child(0, pid);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

void
hb_h_keypair(char public_key[41], char secret_key[41])
{
    if (zmq_curve_keypair(public_key, secret_key) != 0)
        die("%s", "zmq_curve_keypair failed (libzmq without CURVE?)");
}

struct hb_h_client {
    void *ctx;
    void *sock;
    uint64_t next_id;
};

hb_h_client_t *
hb_h_client_new(const char *endpoint, const char *server_public, const char *public_key,
                const char *secret_key)
{
    hb_h_client_t *self = calloc(1, sizeof *self);
    self->ctx = zmq_ctx_new();
    self->sock = zmq_socket(self->ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger);
    if (server_public) {
        zmq_setsockopt(self->sock, ZMQ_CURVE_SERVERKEY, server_public, 40);
        zmq_setsockopt(self->sock, ZMQ_CURVE_PUBLICKEY, public_key, 40);
        zmq_setsockopt(self->sock, ZMQ_CURVE_SECRETKEY, secret_key, 40);
    }
    if (zmq_connect(self->sock, endpoint) != 0)
        die("zmq_connect failed: %s", zmq_strerror(zmq_errno()));
    self->next_id = 1;
    return self;
}

void
hb_h_client_destroy(hb_h_client_t **self_p)
{
    hb_h_client_t *self = *self_p;
    if (!self)
        return;
    zmq_close(self->sock);
    zmq_ctx_term(self->ctx);
    free(self);
    *self_p = NULL;
}

Hourbank__Envelope *
hb_h_client_call(hb_h_client_t *self, Hourbank__Envelope *env, int timeout_ms)
{
    env->version = HB_PROTOCOL_VERSION;
    env->correlation_id = self->next_id++;
    void *data;
    size_t size;
    if (hb_wire_pack(env, &data, &size) != 0)
        die("%s", "hb_wire_pack failed");
    zmq_send(self->sock, data, size, 0);
    free(data);
    int64_t deadline = hb_clock_ms() + timeout_ms;
    for (;;) {  /* replies to earlier, timed-out calls are skipped */
        int64_t left = deadline - hb_clock_ms();
        if (left <= 0)
            return NULL;
        Hourbank__Envelope *reply = hb_h_client_recv(self, (int) left);
        if (reply && reply->correlation_id == env->correlation_id)
            return reply;
        hb_wire_free(&reply);
    }
}

/* ---- batches ---- */

#define BATCH_OPS_MAX HB_BATCH_OPS_MAX

typedef struct {
    Hourbank__Op op;
    Hourbank__RegisterMember reg;
    Hourbank__ServiceRecord svc;
    Hourbank__Gift gift;
    Hourbank__Void void_op;
    Hourbank__Donation donation;
    Hourbank__OpRef ref;
    char a[64], b[64], text[128];
} op_slot_t;

struct hb_h_batch {
    Hourbank__Envelope env;
    Hourbank__Batch batch;
    Hourbank__Op *ptrs[BATCH_OPS_MAX];
    op_slot_t slots[BATCH_OPS_MAX];
};

hb_h_batch_t *
hb_h_batch_new(void)
{
    hb_h_batch_t *b = calloc(1, sizeof *b);
    hourbank__envelope__init(&b->env);
    hourbank__batch__init(&b->batch);
    b->batch.ops = b->ptrs;
    b->env.version = HB_PROTOCOL_VERSION;
    b->env.body_case = HOURBANK__ENVELOPE__BODY_BATCH;
    b->env.batch = &b->batch;
    return b;
}

void
hb_h_batch_free(hb_h_batch_t **self_p)
{
    free(*self_p);
    *self_p = NULL;
}

Hourbank__Envelope *
hb_h_batch_envelope(hb_h_batch_t *b)
{
    return &b->env;
}

static op_slot_t *
next_slot(hb_h_batch_t *b, uint64_t seq, int64_t occurred_at)
{
    if (b->batch.n_ops == BATCH_OPS_MAX)
        die("%s", "test batch full");
    op_slot_t *s = &b->slots[b->batch.n_ops];
    b->ptrs[b->batch.n_ops++] = &s->op;
    hourbank__op__init(&s->op);
    s->op.seq = seq;
    s->op.occurred_at = occurred_at;
    return s;
}

void
hb_h_batch_register(hb_h_batch_t *b, uint64_t seq, const char *member_no, const char *name, int role,
                    uint32_t birth_year, const char *family_of)
{
    op_slot_t *s = next_slot(b, seq, (int64_t) time(NULL));
    hourbank__register_member__init(&s->reg);
    snprintf(s->a, sizeof s->a, "%s", member_no);
    snprintf(s->b, sizeof s->b, "%s", family_of ? family_of : "");
    snprintf(s->text, sizeof s->text, "%s", name);
    s->reg.member_no = s->a;
    s->reg.family_of = s->b;
    s->reg.name = s->text;
    s->reg.role = (Hourbank__Role) role;
    s->reg.birth_year = birth_year;
    s->op.kind_case = HOURBANK__OP__KIND_REGISTER_MEMBER;
    s->op.register_member = &s->reg;
}

void
hb_h_batch_service(hb_h_batch_t *b, uint64_t seq, int64_t occurred_at, const char *provider,
                   const char *recipient, int64_t minutes, const char *category)
{
    op_slot_t *s = next_slot(b, seq, occurred_at);
    hourbank__service_record__init(&s->svc);
    snprintf(s->a, sizeof s->a, "%s", provider);
    snprintf(s->b, sizeof s->b, "%s", recipient);
    snprintf(s->text, sizeof s->text, "%s", category);
    s->svc.provider = s->a;
    s->svc.recipient = s->b;
    s->svc.category = s->text;
    s->svc.minutes = minutes;
    s->op.kind_case = HOURBANK__OP__KIND_SERVICE;
    s->op.service = &s->svc;
}

void
hb_h_batch_gift(hb_h_batch_t *b, uint64_t seq, int64_t occurred_at, const char *from, const char *to,
                int64_t minutes)
{
    op_slot_t *s = next_slot(b, seq, occurred_at);
    hourbank__gift__init(&s->gift);
    snprintf(s->a, sizeof s->a, "%s", from);
    snprintf(s->b, sizeof s->b, "%s", to);
    snprintf(s->text, sizeof s->text, "birthday");
    s->gift.from_member = s->a;
    s->gift.to_member = s->b;
    s->gift.reason = s->text;
    s->gift.minutes = minutes;
    s->op.kind_case = HOURBANK__OP__KIND_GIFT;
    s->op.gift = &s->gift;
}

void
hb_h_batch_donation(hb_h_batch_t *b, uint64_t seq, int64_t occurred_at, const char *member, int64_t minutes,
                    const char *reason)
{
    op_slot_t *s = next_slot(b, seq, occurred_at);
    hourbank__donation__init(&s->donation);
    snprintf(s->a, sizeof s->a, "%s", member);
    snprintf(s->text, sizeof s->text, "%s", reason);
    s->donation.member = s->a;
    s->donation.reason = s->text;
    s->donation.minutes = minutes;
    s->op.kind_case = HOURBANK__OP__KIND_DONATION;
    s->op.donation = &s->donation;
}

Hourbank__Op *
hb_h_batch_new_op(hb_h_batch_t *b, uint64_t seq, int64_t occurred_at)
{
    return &next_slot(b, seq, occurred_at)->op;
}

void
hb_h_batch_void(hb_h_batch_t *b, uint64_t seq, int64_t occurred_at, uint32_t target_station,
                uint64_t target_seq, const char *reason)
{
    op_slot_t *s = next_slot(b, seq, occurred_at);
    hourbank__void__init(&s->void_op);
    hourbank__op_ref__init(&s->ref);
    s->ref.station_id = target_station;
    s->ref.seq = target_seq;
    snprintf(s->text, sizeof s->text, "%s", reason);
    s->void_op.target = &s->ref;
    s->void_op.reason = s->text;
    s->op.kind_case = HOURBANK__OP__KIND_VOID_OP;
    s->op.void_op = &s->void_op;
}

/* ---- central fixture ---- */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "hb_keyfile.h"
#include "hb_memberno.h"

static int
free_tcp_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *) &a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *) &a, &len) != 0)
        die("could not find a free port: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

const char *
hb_h_member(const char *community, uint32_t n)
{
    static _Thread_local char ring[8][32];
    static _Thread_local int next;
    char *buf = ring[next++ % 8];
    if (hb_memberno_format(buf, 32, community, n) != 0)
        die("%s", "hb_memberno_format failed");
    return buf;
}

const char *
hb_h_station_community(uint32_t id)
{
    static const char *const communities[] = {"QX03", "QH01", "QX04", "QH02"};
    if (id < 1 || id > HB_H_STATIONS_MAX)
        die("no harness station %u", id);
    return communities[(id - 1) / 2];
}

/* The stations lines of community code in central.yaml (ids first and
 * first + 1, those the config lists), into f. */
static void
yaml_stations(FILE *f, const hb_h_central_t *c, const char *code, const char *name, int first)
{
    static const char *const station_names[] = {"", "Qingxi one", "Qingxi two", "Qinhuai three", "Qinhuai four",
                                                 "Qingxi five", "Qingxi six", "Qinhuai seven", "Qinhuai eight"};
    fprintf(f, "      - code: %s\n        name: %s\n        stations:\n", code, name);
    for (int id = first; id <= first + 1 && id <= c->stations; id++)
        fprintf(f, "          - {id: %d, name: %s, public_key: \"%s\", %s%s}\n", id, station_names[id], c->station_pub[id],
                id % 2 ? "member_serial_max: 499999" : "member_serial_min: 500000",
                c->retired[id] ? ", retired: true" : "");
}

static void
write_central_yaml(hb_h_central_t *c, const char *gulou_cap, const char *qinhuai_cap, const char *budget,
                   const char *extra_category)
{
    char *y = NULL;
    size_t ysize = 0;
    FILE *f = open_memstream(&y, &ysize);
    fprintf(f,
            "listen: \"%s\"\n"
            "database: \"%s\"\n"
            "secret_key_file: central.secret\n"
            "log_level: debug\n"
            "clock_skew: 10m\n"
            "max_record_age: 30d\n"
            "guarantee_budget: %s\n"
            "time_zone: UTC\n"
            "admin_public_keys: [\"%s\"]\n"
            "categories:\n"
            "  - {name: companionship, description: visits and conversation}\n"
            "  - {name: meal-delivery, description: bringing meals}\n"
            "  - {name: personal-care, description: bathing and dressing}\n"
            "%s%s%s"
            "districts:\n"
            "  - code: GULOU\n"
            "    name: Gulou\n"
            "    floor: 0m\n"
            "    cap: %s\n"
            "    overflow: reject\n"
            "    daily_limit: 12h\n"
            "    gifts: family\n"
            "    leaver_hours: family\n"
            "    payer_rules:\n"
            "      - {category: personal-care, payer: guarantee, min_recipient_age: 80}\n"
            "    communities:\n",
            c->endpoint, c->conninfo, budget ? budget : "100000h", c->admin_pub,
            extra_category ? "  - {name: " : "", extra_category ? extra_category : "",
            extra_category ? ", description: added on reload}\n" : "", gulou_cap ? gulou_cap : "1500h");
    yaml_stations(f, c, "QX03", "Qingxi", 1);
    if (c->stations >= 5)
        yaml_stations(f, c, "QX04", "Qingxi north", 5);
    fprintf(f,
            "  - code: QINHUAI\n"
            "    name: Qinhuai\n"
            "    cap: %s\n"
            "    overflow: donate\n"
            "    gifts: any\n"
            "    payer_rules:\n"
            "      - {category: \"*\", payer: guarantee, min_recipient_age: 85}\n"
            "    communities:\n",
            qinhuai_cap ? qinhuai_cap : "750h");
    yaml_stations(f, c, "QH01", "Qinhuai one", 3);
    if (c->stations >= 7)
        yaml_stations(f, c, "QH02", "Qinhuai two", 7);
    fclose(f);
    hb_h_write_file(c->conf, y);
    free(y);
}

static void
central_init(hb_h_central_t *c, const char *name, int stations, const char *gulou_cap, const char *qinhuai_cap,
             const char *budget)
{
    if (stations < HB_H_STATIONS || stations > HB_H_STATIONS_MAX)
        die("a harness central has %d to %d stations, not %d", HB_H_STATIONS, HB_H_STATIONS_MAX, stations);
    memset(c, 0, sizeof *c);
    c->stations = stations;
    snprintf(c->dir, sizeof c->dir, "%s", hb_h_tmpdir(name));
    snprintf(c->conf, sizeof c->conf, "%s/central.yaml", c->dir);
    snprintf(c->log, sizeof c->log, "%s/central.log", c->dir);
    snprintf(c->conninfo, sizeof c->conninfo, "%s", hb_h_createdb(name));
    snprintf(c->endpoint, sizeof c->endpoint, "tcp://127.0.0.1:%d", free_tcp_port());
    hb_h_keypair(c->central_pub, c->central_sec);
    hb_h_keypair(c->admin_pub, c->admin_sec);
    for (int i = 1; i <= c->stations; i++)
        hb_h_keypair(c->station_pub[i], c->station_sec[i]);
    char path[700], msg[256];
    snprintf(path, sizeof path, "%s/central.secret", c->dir);
    if (hb_keyfile_write(path, true, c->central_sec, msg, sizeof msg) != 0)
        die("%s", msg);
    write_central_yaml(c, gulou_cap, qinhuai_cap, budget, NULL);
    if (hb_h_central_cmd(c, "migrate") != 0)
        die("hourbank-central migrate failed; see %s", c->log);
}

void
hb_h_central_init(hb_h_central_t *c, const char *name, const char *gulou_cap, const char *qinhuai_cap,
                  const char *budget)
{
    central_init(c, name, HB_H_STATIONS, gulou_cap, qinhuai_cap, budget);
}

void
hb_h_central_init_stations(hb_h_central_t *c, const char *name, int stations)
{
    central_init(c, name, stations, NULL, NULL, NULL);
}

int
hb_h_central_cmd(hb_h_central_t *c, const char *cmd)
{
    char bin[600];
    char *argv[] = {(char *) (uintptr_t) hb_h_bin("hourbank-central", bin, sizeof bin), "-c", c->conf,
                    (char *) (uintptr_t) cmd, NULL};
    return hb_h_run(argv, c->log);
}

hb_h_client_t *
hb_h_central_client(hb_h_central_t *c, uint32_t station)
{
    hb_h_client_t *cl = hb_h_central_client_raw(c, station);
    if (station > 0)
        hb_h_hello(cl, station, 0);  /* as a station does; a failed one shows in what follows */
    return cl;
}

hb_h_client_t *
hb_h_central_client_raw(hb_h_central_t *c, uint32_t station)
{
    if (station == 0)
        return hb_h_client_new(c->endpoint, c->central_pub, c->admin_pub, c->admin_sec);
    return hb_h_client_new(c->endpoint, c->central_pub, c->station_pub[station], c->station_sec[station]);
}

int64_t
hb_h_hello(hb_h_client_t *cl, uint32_t station, uint64_t last_acked)
{
    Hourbank__Envelope env;
    Hourbank__Hello hello;
    hourbank__envelope__init(&env);
    hourbank__hello__init(&hello);
    hello.station_id = station;
    hello.last_acked_seq = last_acked;
    hello.software = "itest";
    env.body_case = HOURBANK__ENVELOPE__BODY_HELLO;
    env.hello = &hello;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 3000);
    int64_t hw = -1;
    if (r && r->body_case == HOURBANK__ENVELOPE__BODY_WELCOME)
        hw = (int64_t) r->welcome->high_water_mark;
    hb_wire_free(&r);
    return hw;
}

void
hb_h_central_start(hb_h_central_t *c)
{
    char bin[600];
    char *argv[] = {(char *) (uintptr_t) hb_h_bin("hourbank-central", bin, sizeof bin), "-c", c->conf,
                    "run", NULL};
    c->pid = hb_h_spawn(argv, c->log);
    for (int i = 0; i < 100; i++) {
        hb_h_client_t *cl = hb_h_central_client_raw(c, 1);
        int64_t hw = hb_h_hello(cl, 1, 0);
        hb_h_client_destroy(&cl);
        if (hw >= 0)
            return;
        if (waitpid(c->pid, NULL, WNOHANG) == c->pid)
            die("hourbank-central exited at start; see %s", c->log);
    }
    die("hourbank-central did not answer; see %s", c->log);
}

int
hb_h_central_stop(hb_h_central_t *c, int sig)
{
    int st = hb_h_stop(c->pid, sig);
    c->pid = 0;
    return st;
}

/* ---- station fixture ---- */

void
hb_h_station_init(hb_h_station_t *s, const hb_h_central_t *c, uint32_t id, int64_t outbox_max_bytes)
{
    if (id < 1 || (int) id > c->stations)
        die("station %u is not in central.yaml (stations 1..%d)", id, c->stations);
    memset(s, 0, sizeof *s);
    s->id = id;
    snprintf(s->dir, sizeof s->dir, "%s", hb_h_tmpdir("hb_station"));
    snprintf(s->conf, sizeof s->conf, "%s/station.yaml", s->dir);
    snprintf(s->log, sizeof s->log, "%s/station.log", s->dir);
    snprintf(s->outbox, sizeof s->outbox, "%s/outbox.sqlite", s->dir);
    snprintf(s->ipc, sizeof s->ipc, "ipc://%s/station.sock", s->dir);
    char path[700], msg[256];
    snprintf(path, sizeof path, "%s/station.public", s->dir);
    if (hb_keyfile_write(path, false, c->station_pub[id], msg, sizeof msg) != 0)
        die("%s", msg);
    snprintf(path, sizeof path, "%s/station.secret", s->dir);
    if (hb_keyfile_write(path, true, c->station_sec[id], msg, sizeof msg) != 0)
        die("%s", msg);
    char *y = NULL;
    size_t ysize = 0;
    FILE *f = open_memstream(&y, &ysize);
    fprintf(f,
            "station_id: %u\n"
            "community: %s\n"
            "central_endpoint: \"%s\"\n"
            "central_public_key: \"%s\"\n"
            "public_key_file: station.public\n"
            "secret_key_file: station.secret\n"
            "outbox_path: outbox.sqlite\n"
            "ipc_endpoint: \"%s\"\n"
            "log_level: debug\n"
            "outbox_max_bytes: %lld\n"
            "member_serial_min: %d\n"
            "member_serial_max: %d\n"
            "default_operator: " HB_H_DEFAULT_OPERATOR "\n",
            id, hb_h_station_community(id), c->endpoint, c->central_pub, s->ipc,
            (long long) (outbox_max_bytes ? outbox_max_bytes : HB_OUTBOX_BYTES_DEFAULT),
            id % 2 ? 1 : 500000, id % 2 ? 499999 : 999999);
    fclose(f);
    hb_h_write_file(s->conf, y);
    free(y);
}

hb_h_client_t *
hb_h_station_client(const hb_h_station_t *s)
{
    return hb_h_client_new(s->ipc, NULL, NULL, NULL);
}

void
hb_h_central_delete_op(const hb_h_central_t *c, uint32_t station, uint64_t seq)
{
    PGconn *pg = hb_h_pg(c->conninfo);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SET session_replication_role = replica;"
             "UPDATE account a SET debits = a.debits - t.minutes FROM transfer t"
             " WHERE t.station_id = %1$u AND t.seq = %2$llu AND a.id = t.debit_account;"
             "UPDATE account a SET credits = a.credits - t.minutes FROM transfer t"
             " WHERE t.station_id = %1$u AND t.seq = %2$llu AND a.id = t.credit_account;"
             "DELETE FROM transfer WHERE station_id = %1$u AND seq = %2$llu;"
             "DELETE FROM op WHERE station_id = %1$u AND seq = %2$llu;",
             station, (unsigned long long) seq);
    if (!hb_h_pg_ok(pg, sql))
        die("could not delete op %u:%llu behind central's back", station, (unsigned long long) seq);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM op WHERE station_id = %u AND seq = %llu", station,
             (unsigned long long) seq);
    if (hb_h_pg_int(pg, sql) != 0)
        die("op %u:%llu is still at central", station, (unsigned long long) seq);
    PQfinish(pg);
}

void
hb_h_station_copy_outbox(const hb_h_station_t *s, const char *suffix, bool restore)
{
    char cmd[4096];
    if (restore)
        snprintf(cmd, sizeof cmd, "rm -f '%s'-wal '%s'-shm && cp '%s%s' '%s'", s->outbox, s->outbox, s->outbox,
                 suffix, s->outbox);
    else
        snprintf(cmd, sizeof cmd, "cp '%s' '%s%s'", s->outbox, s->outbox, suffix);
    if (system(cmd) != 0)
        die("could not copy the outbox: %s", cmd);
}

Hourbank__Envelope *
hb_h_queue(hb_h_client_t *cl, bool rejected_only)
{
    Hourbank__Envelope env;
    Hourbank__QueueQuery q;
    hourbank__envelope__init(&env);
    hourbank__queue_query__init(&q);
    q.rejected_only = rejected_only;
    env.body_case = HOURBANK__ENVELOPE__BODY_QUEUE_QUERY;
    env.queue_query = &q;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 5000);
    if (r && r->body_case != HOURBANK__ENVELOPE__BODY_QUEUE_REPLY)
        hb_wire_free(&r);
    return r;
}

Hourbank__Envelope *
hb_h_balance(hb_h_client_t *cl, const char *member_no, int timeout_ms)
{
    Hourbank__Envelope env;
    Hourbank__BalanceQuery q;
    hourbank__envelope__init(&env);
    hourbank__balance_query__init(&q);
    q.member_no = (char *) (uintptr_t) member_no;
    env.body_case = HOURBANK__ENVELOPE__BODY_BALANCE_QUERY;
    env.balance_query = &q;
    return hb_h_client_call(cl, &env, timeout_ms);
}

void
hb_h_station_start(hb_h_station_t *s)
{
    char bin[600];
    char *argv[] = {(char *) (uintptr_t) hb_h_bin("hourbank-station", bin, sizeof bin), "-c", s->conf, NULL};
    s->pid = hb_h_spawn(argv, s->log);
    for (int i = 0; i < 100; i++) {
        hb_h_client_t *cl = hb_h_station_client(s);
        Hourbank__Envelope *r = hb_h_queue(cl, false);
        hb_h_client_destroy(&cl);
        if (r) {
            hb_wire_free(&r);
            return;
        }
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid)
            die("hourbank-station exited at start; see %s", s->log);
        usleep(50 * 1000);
    }
    die("hourbank-station did not answer; see %s", s->log);
}

int
hb_h_station_stop(hb_h_station_t *s, int sig)
{
    int st = hb_h_stop(s->pid, sig);
    s->pid = 0;
    return st;
}

uint64_t
hb_h_save(hb_h_client_t *cl, Hourbank__Op *op, int *code, char *member_no_out, char *msg, size_t msg_size)
{
    return hb_h_save_with_id(cl, op, NULL, code, member_no_out, msg, msg_size);
}

uint64_t
hb_h_save_with_id(hb_h_client_t *cl, Hourbank__Op *op, const char *request_id, int *code, char *member_no_out,
                  char *msg, size_t msg_size)
{
    Hourbank__Envelope env;
    Hourbank__SaveRequest req;
    hourbank__envelope__init(&env);
    hourbank__save_request__init(&req);
    req.op = op;
    /* the tests' members share names and birth years ("Member" 1965): each
     * is another person (itest_station_lives saves without it) */
    req.confirm_new = true;
    if (request_id)
        req.request_id = (char *) (uintptr_t) request_id;
    env.body_case = HOURBANK__ENVELOPE__BODY_SAVE;
    env.save = &req;
    *code = 0;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 3000);
    uint64_t seq = 0;
    if (!r) {
        *code = -1;
        snprintf(msg, msg_size, "no answer from the station");
    } else if (r->body_case == HOURBANK__ENVELOPE__BODY_SAVE_REPLY) {
        seq = r->save_reply->seq;
        if (member_no_out)
            snprintf(member_no_out, 32, "%s", r->save_reply->member_no);
    } else if (r->body_case == HOURBANK__ENVELOPE__BODY_ERROR) {
        *code = (int) r->error->code;
        snprintf(msg, msg_size, "%s", hb_h_values(r->error->params, r->error->n_params, r->error->message));
    }
    hb_wire_free(&r);
    return seq;
}

bool
hb_h_wait_drained(hb_h_client_t *cl, int timeout_s)
{
    time_t end = time(NULL) + timeout_s;
    while (time(NULL) < end) {
        Hourbank__Envelope *r = hb_h_queue(cl, false);
        bool drained = r && r->queue_reply->pending == 0;
        hb_wire_free(&r);
        if (drained)
            return true;
        usleep(100 * 1000);
    }
    return false;
}

Hourbank__Op *
hb_h_batch_op(hb_h_batch_t *b, size_t i)
{
    return b->ptrs[i];
}

/* ---- central's configuration and log ---- */

void
hb_h_central_write_config(hb_h_central_t *c, const char *gulou_cap, const char *qinhuai_cap, const char *budget,
                          const char *extra_category)
{
    write_central_yaml(c, gulou_cap, qinhuai_cap, budget, extra_category);
}

int
hb_h_log_count(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

bool
hb_h_log_wait(const char *path, const char *needle, int count, int timeout_ms)
{
    int64_t deadline = hb_clock_ms() + timeout_ms;
    while (hb_h_log_count(path, needle) < count) {
        if (hb_clock_ms() >= deadline)
            return false;
        usleep(50 * 1000);
    }
    return true;
}

/* ---- a private PostgreSQL cluster ---- */

#include <pwd.h>

#define PGCLUSTERS_MAX 4

static hb_h_pgcluster_t *live_clusters[PGCLUSTERS_MAX];

static const char *
pg_bin(const char *name, char *buf, size_t size)
{
    const char *dir = getenv("HB_PGBIN");
    snprintf(buf, size, "%s/%s", dir ? dir : "/usr/lib/postgresql/15/bin", name);
    return buf;
}

/* Runs a PostgreSQL program (argv[0] a full path) as the postgres user
 * when we are root (PostgreSQL refuses to run as root); returns its exit
 * code. Output goes to the cluster's harness.log. */
static int
pg_run(hb_h_pgcluster_t *pg, char *const argv[])
{
    char log[600];
    snprintf(log, sizeof log, "%s/harness.log", pg->dir);
    if (geteuid() != 0)
        return hb_h_run(argv, log);
    char *as_pg[16] = {"/usr/sbin/runuser", "-u", "postgres", "--"};
    size_t n = 4;
    for (size_t i = 0; argv[i] && n + 1 < sizeof as_pg / sizeof as_pg[0]; i++)
        as_pg[n++] = argv[i];
    as_pg[n] = NULL;
    return hb_h_run(as_pg, log);
}

static void
stop_live_clusters(void)
{
    for (int i = 0; i < PGCLUSTERS_MAX; i++)
        if (live_clusters[i])
            hb_h_pgcluster_destroy(live_clusters[i]);
}

void
hb_h_pgcluster_init(hb_h_pgcluster_t *pg, const char *prefix)
{
    static bool atexit_done;
    memset(pg, 0, sizeof *pg);
    snprintf(pg->dir, sizeof pg->dir, "/tmp/%s.XXXXXX", prefix);  /* /tmp: the postgres user can enter it */
    if (!mkdtemp(pg->dir))
        die("mkdtemp failed: %s", strerror(errno));
    const struct passwd *pw = geteuid() == 0 ? getpwnam("postgres") : NULL;
    if (geteuid() == 0 && (!pw || chown(pg->dir, pw->pw_uid, pw->pw_gid) != 0))
        die("could not give %s to the postgres user", pg->dir);
    snprintf(pg->conninfo, sizeof pg->conninfo, "host=%s port=5432 user=postgres dbname=postgres", pg->dir);
    int slot = 0;
    while (slot < PGCLUSTERS_MAX && live_clusters[slot])
        slot++;
    if (slot == PGCLUSTERS_MAX)
        die("%s", "too many private PostgreSQL clusters");
    live_clusters[slot] = pg;
    if (!atexit_done && atexit(stop_live_clusters) == 0)
        atexit_done = true;
    char bin[600], data[600];
    snprintf(data, sizeof data, "%s/data", pg->dir);
    char *argv[] = {(char *) (uintptr_t) pg_bin("initdb", bin, sizeof bin), "-D", data, "-U", "postgres",
                    "--auth=trust", "-E", "UTF8", "--no-locale", NULL};
    if (pg_run(pg, argv) != 0)
        die("initdb failed; see %s/harness.log", pg->dir);
}

bool
hb_h_pgcluster_start(hb_h_pgcluster_t *pg)
{
    char bin[600], data[600], log[600], opts[700];
    snprintf(data, sizeof data, "%s/data", pg->dir);
    snprintf(log, sizeof log, "%s/postgresql.log", pg->dir);
    snprintf(opts, sizeof opts, "-k %s -c listen_addresses= -p 5432", pg->dir);
    char *argv[] = {(char *) (uintptr_t) pg_bin("pg_ctl", bin, sizeof bin), "-D", data, "-l", log, "-w",
                    "-t", "60", "-o", opts, "start", NULL};
    pg->running = pg_run(pg, argv) == 0;
    return pg->running;
}

bool
hb_h_pgcluster_stop(hb_h_pgcluster_t *pg, bool immediate)
{
    char bin[600], data[600];
    snprintf(data, sizeof data, "%s/data", pg->dir);
    char *argv[] = {(char *) (uintptr_t) pg_bin("pg_ctl", bin, sizeof bin), "-D", data, "-m",
                    immediate ? "immediate" : "fast", "-w", "-t", "60", "stop", NULL};
    bool ok = pg_run(pg, argv) == 0;
    if (ok)
        pg->running = false;
    return ok;
}

void
hb_h_pgcluster_destroy(hb_h_pgcluster_t *pg)
{
    for (int i = 0; i < PGCLUSTERS_MAX; i++)
        if (live_clusters[i] == pg)
            live_clusters[i] = NULL;
    if (!pg->dir[0])
        return;
    char pid_file[600];
    snprintf(pid_file, sizeof pid_file, "%s/data/postmaster.pid", pg->dir);
    if (access(pid_file, F_OK) == 0)
        hb_h_pgcluster_stop(pg, true);
    char *argv[] = {"/bin/rm", "-rf", pg->dir, NULL};
    hb_h_run(argv, "/dev/null");
    pg->dir[0] = '\0';
}

/* ---- raw frames, for hostile-input tests ---- */

int
hb_h_client_send_raw(hb_h_client_t *self, const void *const frames[], const size_t sizes[], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (zmq_send(self->sock, frames[i], sizes[i], i + 1 < n ? ZMQ_SNDMORE : 0) < 0)
            return -1;
    }
    return 0;
}

Hourbank__Envelope *
hb_h_client_recv(hb_h_client_t *self, int timeout_ms)
{
    int64_t deadline = hb_clock_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - hb_clock_ms();
        if (left <= 0)
            return NULL;
        zmq_pollitem_t item = {self->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, (long) left) <= 0)
            continue;
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, self->sock, 0) < 0) {
            zmq_msg_close(&msg);
            continue;
        }
        hb_wire_error_t err;
        Hourbank__Envelope *reply = hb_wire_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg), &err);
        zmq_msg_close(&msg);
        if (!reply)
            fprintf(stderr, "harness: reply refused: %s\n", err.message);
        return reply;
    }
}

uint8_t *
hb_h_encode(const Hourbank__Envelope *env, size_t *size_out)
{
    size_t size = hourbank__envelope__get_packed_size(env);
    uint8_t *data = malloc(size ? size : 1);
    if (!data)
        die("%s", "out of memory");
    if (hourbank__envelope__pack(env, data) != size)
        die("%s", "hourbank__envelope__pack: size changed");
    *size_out = size;
    return data;
}

/* ---- stations behind a proxy ---- */

void
hb_h_station_init_via(hb_h_station_t *s, const hb_h_central_t *c, uint32_t id, int64_t outbox_max_bytes,
                      const char *endpoint)
{
    hb_h_central_t *via = malloc(sizeof *via);
    if (!via)
        die("%s", "out of memory");
    *via = *c;
    snprintf(via->endpoint, sizeof via->endpoint, "%s", endpoint);
    hb_h_station_init(s, via, id, outbox_max_bytes);
    free(via);
}

/* ---- shared by several tests ---- */

#include <sqlite3.h>

void
hb_h_pg_admin(const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    PGconn *pg = hb_h_pg(hb_h_conninfo("postgres"));
    if (!hb_h_pg_ok(pg, sql))
        die("%s: %s", sql, PQerrorMessage(pg));
    PQfinish(pg);
}

const char *
hb_h_central_dbname(const hb_h_central_t *c)
{
    static char name[128];
    const char *p = strstr(c->conninfo, "dbname=");
    if (!p)
        die("no dbname in \"%s\"", c->conninfo);
    p += strlen("dbname=");
    size_t n = strcspn(p, " ");
    snprintf(name, sizeof name, "%.*s", (int) n, p);
    return name;
}

int64_t
hb_h_sqlite_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        die("could not open \"%s\": %s", path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        die("%s: %s", sql, sqlite3_errmsg(db));
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        die("%s: %s", sql, sqlite3_errmsg(db));
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

void
hb_h_read_file(const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    size_t len = 0;
    ssize_t n;
    while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
        len += (size_t) n;
    buf[len] = '\0';
    close(fd);
}

int
hb_h_run_capture(const char *const argv[], const char *dir, char *out, size_t out_size, char *err,
                 size_t err_size)
{
    char out_path[600], err_path[600];
    snprintf(out_path, sizeof out_path, "%s/out.txt", dir);
    snprintf(err_path, sizeof err_path, "%s/err.txt", dir);
    pid_t pid = fork();
    if (pid < 0)
        die("fork failed: %s", strerror(errno));
    if (pid == 0) {
        int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, STDOUT_FILENO);
        dup2(e, STDERR_FILENO);
        execv(argv[0], (char *const *) (uintptr_t) argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    hb_h_read_file(out_path, out, out_size);
    hb_h_read_file(err_path, err, err_size);
    if (getenv("HB_ITEST_SHOW")) {  /* a transcript, for reading the output as a person would */
        fprintf(stderr, "$ %s", strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0]);
        for (int i = 1; argv[i]; i++)
            fprintf(stderr, " %s", argv[i]);
        fprintf(stderr, "\n%s%s[exit %d]\n\n", out, err, rc);
    }
    return rc;
}

const char *
hb_h_admin_yaml(const hb_h_central_t *c, const char *dir)
{
    static char yaml[700];
    char path[700], msg[256], text[2048];
    snprintf(path, sizeof path, "%s/admin.public", dir);
    if (hb_keyfile_write(path, false, c->admin_pub, msg, sizeof msg) != 0)
        die("%s", msg);
    snprintf(path, sizeof path, "%s/admin.secret", dir);
    if (hb_keyfile_write(path, true, c->admin_sec, msg, sizeof msg) != 0)
        die("%s", msg);
    snprintf(yaml, sizeof yaml, "%s/admin.yaml", dir);
    snprintf(text, sizeof text, "central_endpoint: \"%s\"\ncentral_public_key: \"%s\"\n"
                                "public_key_file: admin.public\nsecret_key_file: admin.secret\n",
             c->endpoint, c->central_pub);
    hb_h_write_file(yaml, text);
    return yaml;
}

const char *
hb_h_values(Hourbank__Param *const *params, size_t n, const char *message)
{
    static char bufs[4][512];
    static unsigned next;
    char *buf = bufs[next++ % 4];
    size_t used = 0;
    buf[0] = '\0';
    if (n == 0)
        return message ? message : "";
    for (size_t i = 0; i < n && used < sizeof bufs[0]; i++)
        used += (size_t) snprintf(buf + used, sizeof bufs[0] - used, "%s%s=%s", i ? "\n" : "", params[i]->name,
                                  params[i]->value);
    return buf;
}
