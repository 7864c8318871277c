/* hb_harness.h - helpers for integration tests: the throwaway PostgreSQL that
 * ./tests/run started, scratch folders, real child processes, CURVE keys and
 * a DEALER client speaking the real protocol. Test code only. */
#ifndef HB_HARNESS_H
#define HB_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libpq-fe.h>

#include "hourbank.pb-c.h"

/* Conninfo of the test cluster for database `db`; static buffer. Aborts the
 * test (with a clear message) when HB_TEST_PGHOST is not set. */
const char *hb_h_conninfo(const char *db);
/* Creates a fresh database named "<prefix>_<pid>" and returns its conninfo
 * (static buffer, valid until the next call). */
const char *hb_h_createdb(const char *prefix);
/* Connects or fails the test. Caller owns the result (PQfinish). */
PGconn *hb_h_pg(const char *conninfo);
/* Runs a query expecting one row, one column; returns it as int64. */
int64_t hb_h_pg_int(PGconn *pg, const char *sql);
/* Runs a statement; returns true when it succeeded. */
bool hb_h_pg_ok(PGconn *pg, const char *sql);

/* A fresh scratch folder under $TMPDIR; static buffer. */
const char *hb_h_tmpdir(const char *prefix);
/* Writes text to path or fails the test. */
void hb_h_write_file(const char *path, const char *text);
/* Path to a built binary (HB_BUILD_DIR/name); static buffer per call site. */
const char *hb_h_bin(const char *name, char *buf, size_t size);

/* Starts argv[0] with stdout+stderr appended to logfile. */
pid_t hb_h_spawn(char *const argv[], const char *logfile);
/* Sends sig and waits; returns the exit status as from waitpid. */
int hb_h_stop(pid_t pid, int sig);
/* Runs argv to completion; returns exit code (or 128+signal). */
int hb_h_run(char *const argv[], const char *logfile);

/* CURVE key pair in Z85 (41 bytes each, NUL-terminated). */
void hb_h_keypair(char public_key[41], char secret_key[41]);

/* A DEALER client with CURVE, for talking to central as a station. */
typedef struct hb_h_client hb_h_client_t;
hb_h_client_t *hb_h_client_new(const char *endpoint, const char *server_public,
                               const char *public_key, const char *secret_key);
void hb_h_client_destroy(hb_h_client_t **self_p);
/* Sends env (version and correlation id are set here) and waits up to
 * timeout_ms for the reply with the same correlation id. Caller owns the
 * reply (hb_wire_free); NULL on timeout. */
Hourbank__Envelope *hb_h_client_call(hb_h_client_t *self, Hourbank__Envelope *env, int timeout_ms);

#endif

/* ---- building batches ---- */
typedef struct hb_h_batch hb_h_batch_t;
hb_h_batch_t *hb_h_batch_new(void);
void hb_h_batch_free(hb_h_batch_t **self_p);
void hb_h_batch_register(hb_h_batch_t *b, uint64_t seq, const char *member_no, const char *name,
                         int role, uint32_t birth_year, const char *family_of);
void hb_h_batch_service(hb_h_batch_t *b, uint64_t seq, int64_t occurred_at, const char *provider,
                        const char *recipient, int64_t minutes, const char *category);
void hb_h_batch_gift(hb_h_batch_t *b, uint64_t seq, int64_t occurred_at, const char *from,
                     const char *to, int64_t minutes);
void hb_h_batch_void(hb_h_batch_t *b, uint64_t seq, int64_t occurred_at, uint32_t target_station,
                     uint64_t target_seq, const char *reason);
void hb_h_batch_donation(hb_h_batch_t *b, uint64_t seq, int64_t occurred_at, const char *member, int64_t minutes,
                         const char *reason);
/* An op of the batch for the caller to give a kind (the kind's message
 * must outlive the batch's use). */
Hourbank__Op *hb_h_batch_new_op(hb_h_batch_t *b, uint64_t seq, int64_t occurred_at);
/* A result's values as their stored text ("name=value" lines), or message
 * when there are none (a result stored before values existed). In a
 * buffer of four that the next calls reuse. */
const char *hb_h_values(Hourbank__Param *const *params, size_t n, const char *message);
/* The batch as an envelope; borrowed, valid until the batch is freed. */
Hourbank__Envelope *hb_h_batch_envelope(hb_h_batch_t *b);

/* ---- a real hourbank-central on a fresh database ---- */
#define HB_H_STATIONS 4      /* in central.yaml by default */
#define HB_H_STATIONS_MAX 8  /* with hb_h_central_init_stations */
/* The default_operator of every harness station: saves that name no
 * operator are recorded under it. */
#define HB_H_DEFAULT_OPERATOR "desk"
typedef struct {
    char dir[512];
    char conf[640];
    char log[640];
    char conninfo[1024];
    char endpoint[64];
    char central_pub[41], central_sec[41];
    char admin_pub[41], admin_sec[41];
    char station_pub[HB_H_STATIONS_MAX + 1][41];   /* index = station id (1..8) */
    char station_sec[HB_H_STATIONS_MAX + 1][41];
    int stations;                                  /* listed in central.yaml */
    pid_t pid;
    bool retired[HB_H_STATIONS_MAX + 1];           /* "retired: true" when central.yaml is written */
} hb_h_central_t;

/* Stations 1 and 2 serve community QX03 (district GULOU), 3 and 4 serve
 * QH01 (district QINHUAI: cap 750h, overflow donated, guarantee pays for
 * recipients aged 85+, a leaver's hours go to the pool). GULOU: guarantee
 * pays personal-care for 80+, gifts within family, a leaver's hours to
 * the family members named. The caps and the budget are durations ("3h"); NULL for
 * 1500h, 750h and 100000h. Creates the database, keys and config, and runs
 * "hourbank-central migrate". */
void hb_h_central_init(hb_h_central_t *c, const char *name, const char *gulou_cap,
                       const char *qinhuai_cap, const char *budget);
/* As hb_h_central_init with the default caps and budget, with stations
 * (HB_H_STATIONS..HB_H_STATIONS_MAX) stations in central.yaml: 1 to 4 as
 * above, 5 and 6 in community QX04 (GULOU), 7 and 8 in QH02 (QINHUAI). In
 * each community the odd station allocates serials 1..499999, the even one
 * 500000..999999. */
void hb_h_central_init_stations(hb_h_central_t *c, const char *name, int stations);
/* The community of harness station id (1..HB_H_STATIONS_MAX). */
const char *hb_h_station_community(uint32_t id);
/* Starts the daemon and waits until station 1 gets a welcome. */
void hb_h_central_start(hb_h_central_t *c);
/* Sends sig to the daemon and reaps it; returns the wait status. */
int hb_h_central_stop(hb_h_central_t *c, int sig);
/* Runs "hourbank-central <cmd>"; returns its exit code. */
int hb_h_central_cmd(hb_h_central_t *c, const char *cmd);
/* A client connected as station id (1..c->stations), or as admin with id 0.
 * A station's client has said hello (last acked seq 0), as a station does
 * on every connection: central takes batches only on such a connection. */
hb_h_client_t *hb_h_central_client(hb_h_central_t *c, uint32_t station);
/* As hb_h_central_client, without the hello. */
hb_h_client_t *hb_h_central_client_raw(hb_h_central_t *c, uint32_t station);
/* hello as station; returns central's high-water mark, or -1. */
int64_t hb_h_hello(hb_h_client_t *cl, uint32_t station, uint64_t last_acked);
/* Member number of serial n in community code. Static buffer ring of 8. */
const char *hb_h_member(const char *community, uint32_t n);

/* ---- a real hourbank-station ---- */
typedef struct {
    uint32_t id;
    char dir[512];
    char conf[640];
    char log[640];
    char outbox[640];
    char ipc[700];
    pid_t pid;
} hb_h_station_t;

/* Writes the station's key files (the pair central.yaml lists for id) and
 * station.yaml in a fresh folder. outbox_max_bytes 0 = the default. */
void hb_h_station_init(hb_h_station_t *s, const hb_h_central_t *c, uint32_t id, int64_t outbox_max_bytes);
/* Starts the daemon and waits until its local API answers. */
void hb_h_station_start(hb_h_station_t *s);
int hb_h_station_stop(hb_h_station_t *s, int sig);
/* A plain DEALER on the station's ipc endpoint, as the CLI uses. */
hb_h_client_t *hb_h_station_client(const hb_h_station_t *s);
/* A stopped station's outbox copied by hand, as an operator might: to
 * outbox + suffix, or (restore) back from it, its -wal and -shm removed.
 * Fails the test on an error. */
void hb_h_station_copy_outbox(const hb_h_station_t *s, const char *suffix, bool restore);

/* Saves op through the local API (op.seq must be 0), with confirm_new (a
 * registration is never refused as a possible duplicate). Returns the seq, or 0
 * with *code set (and the message in msg) when the station refused it;
 * member_no_out receives an allocated member number for registrations. */
uint64_t hb_h_save(hb_h_client_t *cl, Hourbank__Op *op, int *code, char *member_no_out, char *msg,
                   size_t msg_size);
/* As hb_h_save, with SaveRequest.request_id (NULL: none). */
uint64_t hb_h_save_with_id(hb_h_client_t *cl, Hourbank__Op *op, const char *request_id, int *code,
                           char *member_no_out, char *msg, size_t msg_size);
/* Queue status through the local API; caller frees with hb_wire_free. */
Hourbank__Envelope *hb_h_queue(hb_h_client_t *cl, bool rejected_only);
/* Asks cl's peer (central or a station) for member_no's balance. Returns
 * the reply whatever its body (a BalanceReply or an error), NULL when none
 * came within timeout_ms. Caller frees (hb_wire_free). */
Hourbank__Envelope *hb_h_balance(hb_h_client_t *cl, const char *member_no, int timeout_ms);
/* Polls the queue until nothing is pending (true) or timeout_s passes. */
bool hb_h_wait_drained(hb_h_client_t *cl, int timeout_s);
/* The i-th op of a test batch (borrowed from the batch). */
Hourbank__Op *hb_h_batch_op(hb_h_batch_t *b, size_t i);

/* ---- central's configuration and log ---- */
/* Rewrites central.yaml as hb_h_central_init wrote it (same keys, endpoint
 * and database), with these caps and budget (NULL = the defaults) and, when
 * extra_category is not NULL, one more catalogue category of that name. */
void hb_h_central_write_config(hb_h_central_t *c, const char *gulou_cap, const char *qinhuai_cap,
                               const char *budget, const char *extra_category);
/* Lines of the file at path that contain needle (0 if it cannot be read). */
int hb_h_log_count(const char *path, const char *needle);
/* Waits until at least count lines of path contain needle; false after
 * timeout_ms. */
bool hb_h_log_wait(const char *path, const char *needle, int count, int timeout_ms);

/* ---- a private PostgreSQL cluster, for tests that stop the database ----
 * In a fresh folder under /tmp (owned by the postgres user when we are
 * root; the binaries then run through runuser), listening only on a unix
 * socket in that folder, port 5432; HB_PGBIN overrides the binaries'
 * folder. Clusters still running at exit() are stopped and removed. */
typedef struct {
    char dir[512];
    char conninfo[1024];   /* host=<dir> port=5432 user=postgres dbname=postgres */
    bool running;
} hb_h_pgcluster_t;

/* initdb into a new folder; fails the test on error. pg must stay valid
 * until hb_h_pgcluster_destroy. */
void hb_h_pgcluster_init(hb_h_pgcluster_t *pg, const char *prefix);
/* pg_ctl start -w / stop -w (-m immediate: a crash, or -m fast). */
bool hb_h_pgcluster_start(hb_h_pgcluster_t *pg);
bool hb_h_pgcluster_stop(hb_h_pgcluster_t *pg, bool immediate);
/* Stops the cluster if it runs and removes its folder; safe to repeat. */
void hb_h_pgcluster_destroy(hb_h_pgcluster_t *pg);

/* ---- raw frames, for hostile-input tests ---- */
/* Sends n frames (frames[i] of sizes[i] bytes; 0 bytes allowed) as one
 * message on the client's socket, as they are: nothing is packed, set or
 * checked. Returns 0, or -1 when zmq refused to queue a frame. */
int hb_h_client_send_raw(hb_h_client_t *self, const void *const frames[], const size_t sizes[], size_t n);
/* Waits up to timeout_ms for the next message on the client's socket,
 * whatever its correlation id, and unpacks it. Caller owns the result
 * (hb_wire_free); NULL on timeout or when the reply does not unpack (the
 * reason is printed). */
Hourbank__Envelope *hb_h_client_recv(hb_h_client_t *self, int timeout_ms);
/* Encodes env as it is, any version and unknown fields included (unlike
 * hb_wire_pack). Caller owns the result (free()); *size_out bytes. */
uint8_t *hb_h_encode(const Hourbank__Envelope *env, size_t *size_out);

/* ---- stations behind a proxy ---- */
/* As hb_h_station_init, but the station's central_endpoint is endpoint
 * (e.g. a loopback proxy in front of central) instead of c->endpoint. */
void hb_h_station_init_via(hb_h_station_t *s, const hb_h_central_t *c, uint32_t id, int64_t outbox_max_bytes,
                           const char *endpoint);

/* ---- shared by several tests ---- */
/* Runs a statement on the cluster's "postgres" database (CREATE, DROP or
 * ALTER DATABASE, which must not run connected to the database itself).
 * printf-style; fails the test on an error. */
void hb_h_pg_admin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As the PostgreSQL superuser with the triggers off: deletes op (station,
 * seq) and its transfers behind central's back, undoing their effect on
 * the balances so that every sum still agrees (reconciliation's tests).
 * Fails the test on an error or when the op is still there. */
void hb_h_central_delete_op(const hb_h_central_t *c, uint32_t station, uint64_t seq);
/* The database name of c's conninfo; static buffer. */
const char *hb_h_central_dbname(const hb_h_central_t *c);
/* The first column of the first row of sql, run on the SQLite file at path
 * (read-write; waits up to 5 s for another connection's lock), as int64;
 * -1 when sql returns no row (an UPDATE, say). Fails the test on an error. */
int64_t hb_h_sqlite_int(const char *path, const char *sql);
/* Reads the file at path into buf (always terminated, cut to size - 1
 * bytes); "" when it cannot be read. */
void hb_h_read_file(const char *path, char *buf, size_t size);
/* Runs argv (argv[0] a path) to completion with stdout and stderr captured
 * in files of folder dir, then read into out and err. Returns the exit code
 * (128 + signal). With HB_ITEST_SHOW set, prints a transcript. */
int hb_h_run_capture(const char *const argv[], const char *dir, char *out, size_t out_size, char *err,
                     size_t err_size);
/* Writes the admin key pair central.yaml lists and an admin.yaml naming it
 * and central into folder dir; the admin.yaml's path in path (static
 * buffer, valid until the next call). */
const char *hb_h_admin_yaml(const hb_h_central_t *c, const char *dir);
