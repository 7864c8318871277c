/* Operators at a station (issue 13): `hourbank operator add/list/disable`
 * round trip; a PIN kept only as an argon2id hash; every save carries an
 * enabled operator, the one named with --operator or the station's
 * default_operator, into the op stored and sent; a save naming an unknown
 * or disabled operator, or none at a station without a default, is refused
 * UNKNOWN_OPERATOR and stores nothing; a donation is saved and sent. */
#include "hb_itest.h"
#include "hb_clock.h"
#include "hb_router.h"

#include <zmq.h>

#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define OUT_BYTES 16384
/* A PIN no outbox page holds by chance. */
#define PIN "97531864"

static hb_h_central_t central;
static hb_h_station_t st;

/* Runs `hourbank ARGS... -c station.yaml` (NULL-ended); exit code, output. */
static int
cli(char *out, char *err, const char *first, ...)
{
    char bin[600];
    const char *argv[32] = {hb_h_bin("hourbank", bin, sizeof bin)};
    size_t n = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && n < 28; a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    argv[n++] = "-c";
    argv[n++] = st.conf;
    argv[n] = NULL;
    return hb_h_run_capture(argv, st.dir, out, OUT_BYTES, err, OUT_BYTES);
}

/* `printf 'stdin' | hourbank operator add NAME --pin`: the PIN as one line
 * of standard input (not a terminal). */
static int
cli_add_with_pin(const char *name, const char *stdin_text, char *out, char *err)
{
    char bin[600], cmd[2048];
    snprintf(cmd, sizeof cmd, "printf '%s' | '%s' operator add '%s' --pin -c '%s'", stdin_text,
             hb_h_bin("hourbank", bin, sizeof bin), name, st.conf);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    return hb_h_run_capture(argv, st.dir, out, OUT_BYTES, err, OUT_BYTES);
}

/* `hourbank operator add NAME --pin` on a terminal (script(1) gives it
 * one), typing lines: the PIN is asked twice. */
static int
cli_add_on_tty(const char *name, const char *typed, char *out, char *err)
{
    char bin[600], cmd[2048];
    snprintf(cmd, sizeof cmd, "printf '%s' | script -qec \"'%s' operator add '%s' --pin -c '%s'\" /dev/null", typed,
             hb_h_bin("hourbank", bin, sizeof bin), name, st.conf);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    return hb_h_run_capture(argv, st.dir, out, OUT_BYTES, err, OUT_BYTES);
}

/* The text of the first column of sql's first row on the outbox file ("" when no row). */
static void
outbox_text(const char *sql, char *buf, size_t size)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(st.outbox, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    buf[0] = '\0';
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        snprintf(buf, size, "%s", (const char *) sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* The op stored (and sent) as seq, decoded from its payload. Caller frees
 * with hourbank__op__free_unpacked. */
static Hourbank__Op *
stored_op(uint64_t seq)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(st.outbox, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT payload FROM ops WHERE seq = ?1", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_int64(s, 1, (sqlite3_int64) seq);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    Hourbank__Op *op = hourbank__op__unpack(NULL, (size_t) sqlite3_column_bytes(s, 0), sqlite3_column_blob(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
    assert_non_null(op);
    return op;
}

/* A member's balance at central. */
static int64_t
itest_balance_of(PGconn *pg, const char *member_no)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT a.credits - a.debits FROM member m JOIN account a ON a.id = m.account_id"
                              " WHERE m.member_no = '%s'", member_no);
    return hb_h_pg_int(pg, sql);
}

/* Whether the bytes of file path hold text. */
static bool
file_holds(const char *path, const char *text)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t len = strlen(text), have = 0;
    char buf[65536 + 64];
    bool found = false;
    size_t n;
    while (!found && (n = fread(buf + have, 1, sizeof buf - have - 1, f)) > 0) {
        have += n;
        found = memmem(buf, have, text, len) != NULL;
        size_t keep = have < len ? have : len - 1;
        memmove(buf, buf + have - keep, keep);
        have = keep;
    }
    fclose(f);
    return found;
}

/* The QueuedOp seq as `queue show --json` gives it, through the API. */
static Hourbank__Envelope *
queue_show(uint64_t seq)
{
    hb_h_client_t *cl = hb_h_station_client(&st);
    Hourbank__QueueQuery q;
    hourbank__queue_query__init(&q);
    q.seq = seq;
    Hourbank__Envelope env;
    hourbank__envelope__init(&env);
    env.body_case = HOURBANK__ENVELOPE__BODY_QUEUE_QUERY;
    env.queue_query = &q;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 5000);
    hb_h_client_destroy(&cl);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_QUEUE_REPLY);
    assert_int_equal(r->queue_reply->n_ops, 1);
    return r;
}

static uint64_t
max_seq(void)
{
    return (uint64_t) hb_h_sqlite_int(st.outbox, "SELECT coalesce(max(seq), 0) FROM ops");
}

static void
test_operator_round_trip(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_operators", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&st, &central, 1, 0);
    hb_h_station_start(&st);
    char out[OUT_BYTES], err[OUT_BYTES];
    /* the default_operator was added at start, without a PIN */
    assert_int_equal(cli(out, err, "operator", "list", NULL), 0);
    assert_non_null(strstr(out, HB_H_DEFAULT_OPERATOR " (default)"));
    assert_non_null(strstr(out, "active"));
    assert_int_equal(hb_h_log_count(st.log, "default_operator \"" HB_H_DEFAULT_OPERATOR "\" added"), 1);

    assert_int_equal(cli(out, err, "operator", "add", "wang", NULL), 0);
    assert_non_null(strstr(out, "wang"));
    assert_int_equal(cli(out, err, "operator", "add", "wang", NULL), EX_DATAERR);
    assert_non_null(strstr(err, "operator \"wang\" exists already"));
    assert_int_equal(cli_add_with_pin("li", PIN "\\n", out, err), 0);
    assert_int_equal(cli_add_with_pin("zhao", "12\\n", out, err), EX_DATAERR);  /* too short: not added */
    assert_non_null(strstr(err, "a PIN is 4 to 12 digits"));
    assert_int_equal(cli_add_with_pin("zhao", "", out, err), EX_NOINPUT);       /* no line at all */
    if (access("/usr/bin/script", X_OK) == 0) {  /* util-linux: a terminal for the CLI */
        assert_int_equal(cli_add_on_tty("zhao", "2468\\n2469\\n", out, err), EX_DATAERR);
        assert_non_null(strstr(out, "the same PIN again: "));
        assert_non_null(strstr(out, "the two PINs differ: nothing was changed"));
        assert_int_equal(cli_add_on_tty("zhou", "2468\\n2468\\n", out, err), 0);
        assert_non_null(strstr(out, "zhou"));
    } else {
        print_message("no /usr/bin/script: the terminal path of --pin is not run\n");
    }

    assert_int_equal(cli(out, err, "operator", "list", "--json", NULL), 0);
    assert_non_null(strstr(out, "\"name\": \"li\",\n      \"state\": \"active\",\n      \"pin\": true"));
    assert_non_null(strstr(out, "\"name\": \"wang\",\n      \"state\": \"active\",\n      \"pin\": false"));
    assert_null(strstr(out, "zhao"));
    if (access("/usr/bin/script", X_OK) == 0)
        assert_non_null(strstr(out, "\"name\": \"zhou\",\n      \"state\": \"active\",\n      \"pin\": true"));

    /* the PIN is kept as an argon2id hash only */
    char hash[256];
    outbox_text("SELECT pin_hash FROM operators WHERE name = 'li'", hash, sizeof hash);
    assert_true(strncmp(hash, "$argon2id$", 10) == 0);
    assert_int_equal(crypto_pwhash_str_verify(hash, PIN, strlen(PIN)), 0);
    assert_int_equal(crypto_pwhash_str_verify(hash, "97531865", 8), -1);
    char wal[700];
    snprintf(wal, sizeof wal, "%s-wal", st.outbox);
    assert_false(file_holds(st.outbox, PIN));
    assert_false(file_holds(wal, PIN));
    assert_false(file_holds(st.log, PIN));

    assert_int_equal(cli(out, err, "operator", "disable", "li", NULL), 0);
    assert_int_equal(cli(out, err, "operator", "list", NULL), 0);
    assert_non_null(strstr(out, "disabled"));
    assert_int_equal(cli(out, err, "operator", "disable", "nobody", NULL), EX_NOINPUT);
    assert_non_null(strstr(err, "operator \"nobody\" is not known"));
    /* a list after a restart is the same */
    hb_h_station_stop(&st, SIGTERM);
    hb_h_station_start(&st);
    assert_int_equal(cli(out, err, "operator", "list", "--json", NULL), 0);
    assert_non_null(strstr(out, "\"name\": \"li\",\n      \"state\": \"disabled\",\n      \"pin\": true"));
    assert_int_equal(hb_h_log_count(st.log, "default_operator \"" HB_H_DEFAULT_OPERATOR "\" added"), 1);
}

/* Registers a member through the CLI (with --operator when op is not
 * NULL); returns its number in no and the seq. */
static uint64_t
register_member(const char *name, const char *role, const char *op, char no[32])
{
    char out[OUT_BYTES], err[OUT_BYTES];
    int rc = op ? cli(out, err, "member", "add", "--name", name, "--role", role, "--phone", "+86 25 8888-1234",
                      "--operator", op, "--json", NULL)
                : cli(out, err, "member", "add", "--name", name, "--role", role, "--json", NULL);
    if (rc != 0)
        fail_msg("member add: %d %s", rc, err);
    const char *at = strstr(out, "\"member_no\": \"");
    assert_non_null(at);
    snprintf(no, 32, "%.*s", (int) strcspn(at + 14, "\""), at + 14);
    const char *seq = strstr(out, "\"seq\": ");
    assert_non_null(seq);
    return strtoull(seq + 7, NULL, 10);
}

static void
test_saves_carry_their_operator(void **state)
{
    (void) state;
    char v[32], e[32], out[OUT_BYTES], err[OUT_BYTES];
    uint64_t s1 = register_member("Volunteer", "volunteer", "wang", v);
    uint64_t s2 = register_member("Elder", "elder", NULL, e);
    assert_int_equal(s2, s1 + 1);
    assert_int_equal(cli(out, err, "record", "--provider", v, "--recipient", e, "--duration", "1h", "--category",
                         "companionship", "--operator", "wang", NULL), 0);
    uint64_t s3 = max_seq();
    /* in the queue: QueuedOp.operator */
    Hourbank__Envelope *r = queue_show(s1);
    assert_string_equal(r->queue_reply->ops[0]->operator_, "wang");
    hb_wire_free(&r);
    r = queue_show(s2);
    assert_string_equal(r->queue_reply->ops[0]->operator_, HB_H_DEFAULT_OPERATOR);
    hb_wire_free(&r);
    /* in the payload stored and sent */
    Hourbank__Op *op = stored_op(s1);
    assert_string_equal(op->operator_, "wang");
    assert_string_equal(op->register_member->phone, "+86 25 8888-1234");
    hourbank__op__free_unpacked(op, NULL);
    op = stored_op(s2);
    assert_string_equal(op->operator_, HB_H_DEFAULT_OPERATOR);
    hourbank__op__free_unpacked(op, NULL);
    op = stored_op(s3);
    assert_string_equal(op->operator_, "wang");
    assert_int_equal(op->kind_case, HOURBANK__OP__KIND_SERVICE);
    hourbank__op__free_unpacked(op, NULL);
    /* central takes them (the operator is part of the payload) */
    hb_h_client_t *cl = hb_h_station_client(&st);
    assert_true(hb_h_wait_drained(cl, 30));
    hb_h_client_destroy(&cl);
    assert_int_equal(hb_h_sqlite_int(st.outbox, "SELECT count(*) FROM ops WHERE result IS NOT NULL"), 3);
    assert_int_equal(hb_h_sqlite_int(st.outbox, "SELECT count(*) FROM ops WHERE kind = 'register' AND result = 1"), 2);
    /* queue shows who entered each op */
    assert_int_equal(cli(out, err, "queue", "show", "1:1", "--json", NULL), 0);
    assert_non_null(strstr(out, "\"operator\": \"wang\""));
    /* and central stores it with the op (server/RECORD.md) */
    PGconn *pg = hb_h_pg(central.conninfo);
    char sql[256];
    const uint64_t seqs[] = {s1, s2, s3};
    const char *who[] = {"wang", HB_H_DEFAULT_OPERATOR, "wang"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(sql, sizeof sql, "SELECT count(*) FROM op WHERE station_id = 1 AND seq = %llu AND operator = '%s'",
                 (unsigned long long) seqs[i], who[i]);
        assert_int_equal(hb_h_pg_int(pg, sql), 1);
    }
    PQfinish(pg);
}

/* Through a real station and central: a guarantee-paid service keeps its
 * recipient, payer, rule and operator at central; a donation posts and
 * verify stays sound. */
static void
test_recorded_at_central(void **state)
{
    (void) state;
    char v[32], e[32], out[OUT_BYTES], err[OUT_BYTES];
    register_member("Volunteer three", "volunteer", "wang", v);
    if (cli(out, err, "member", "add", "--name", "Elder three", "--role", "elder", "--birth-year", "1931", "--json",
            NULL) != 0)
        fail_msg("member add: %s", err);
    const char *at = strstr(out, "\"member_no\": \"");
    assert_non_null(at);
    snprintf(e, sizeof e, "%.*s", (int) strcspn(at + 14, "\""), at + 14);
    assert_int_equal(cli(out, err, "record", "--provider", v, "--recipient", e, "--duration", "2h", "--category",
                         "personal-care", "--note", "bath", "--operator", "wang", NULL), 0);
    uint64_t service = max_seq();
    assert_int_equal(cli(out, err, "donate", v, "30m", "--reason", "for the pool", NULL), 0);
    uint64_t donation = max_seq();
    hb_h_client_t *cl = hb_h_station_client(&st);
    assert_true(hb_h_wait_drained(cl, 30));
    hb_h_client_destroy(&cl);
    PGconn *pg = hb_h_pg(central.conninfo);
    char sql[512], want[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM op_record WHERE station_id = 1 AND seq = %llu AND result = 1"
                              " AND provider = '%s' AND recipient = '%s' AND payer = 'guarantee' AND payer_rule IS NOT NULL"
                              " AND rules_version IS NOT NULL AND operator = 'wang' AND note = 'bath'"
                              " AND member_district = 'GULOU' AND service_day IS NOT NULL AND posted_day IS NOT NULL",
             (unsigned long long) service, v, e);
    assert_int_equal(hb_h_pg_int(pg, sql), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM op_record o JOIN transfer t USING (station_id, seq)"
                              " WHERE o.seq = %llu AND o.result = 1 AND o.donor = '%s' AND o.payer = '%s'"
                              " AND o.operator = '%s' AND t.kind = 'donation' AND t.credit_account = 2"
                              " AND t.minutes = 30", (unsigned long long) donation, v, v, HB_H_DEFAULT_OPERATOR);
    assert_int_equal(hb_h_pg_int(pg, sql), 1);
    assert_int_equal(itest_balance_of(pg, v), 120 - 30);
    snprintf(want, sizeof want, "verify");
    assert_int_equal(hb_h_central_cmd(&central, want), 0);
    PQfinish(pg);
}

static void
test_unknown_or_disabled_operator_refused(void **state)
{
    (void) state;
    char v[32], e[32], out[OUT_BYTES], err[OUT_BYTES];
    register_member("Volunteer two", "volunteer", NULL, v);
    register_member("Elder two", "elder", NULL, e);
    uint64_t before = max_seq();
    const char *names[] = {"nobody", "li"};  /* not known; disabled */
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(cli(out, err, "record", "--provider", v, "--recipient", e, "--duration", "30m", "--category",
                             "companionship", "--operator", names[i], NULL), EX_DATAERR);
        assert_non_null(strstr(err, "UNKNOWN_OPERATOR"));
        assert_non_null(strstr(err, i == 0 ? "is not known" : "is disabled"));
        assert_int_equal(cli(out, err, "donate", v, "1h", "--reason", "for the pool", "--operator", names[i], NULL),
                         EX_DATAERR);
        assert_int_equal(cli(out, err, "member", "add", "--name", "Nobody", "--role", "both", "--operator", names[i],
                             NULL), EX_DATAERR);
    }
    /* the ErrorReply names the operator (PROTOCOL.md "Result values") */
    hb_h_client_t *cl = hb_h_station_client(&st);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 0, (int64_t) time(NULL), v, e, 30, "companionship");
    hb_h_batch_op(b, 0)->operator_ = (char *) (uintptr_t) "nobody";
    Hourbank__SaveRequest save;
    hourbank__save_request__init(&save);
    save.op = hb_h_batch_op(b, 0);
    Hourbank__Envelope env;
    hourbank__envelope__init(&env);
    env.body_case = HOURBANK__ENVELOPE__BODY_SAVE;
    env.save = &save;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 5000);
    hb_h_batch_free(&b);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    assert_int_equal(r->error->code, HOURBANK__RESULT__UNKNOWN_OPERATOR);
    assert_int_equal(r->error->n_params, 2);
    assert_string_equal(r->error->params[0]->name, "operator");
    assert_string_equal(r->error->params[0]->value, "nobody");
    assert_string_equal(r->error->params[1]->name, "state");
    assert_string_equal(r->error->params[1]->value, "unknown");
    hb_wire_free(&r);
    /* nothing was stored, no seq was used */
    assert_int_equal(max_seq(), before);
    Hourbank__Envelope *q = hb_h_queue(cl, false);
    assert_int_equal(q->queue_reply->pending + 0, q->queue_reply->pending);
    for (size_t i = 0; i < q->queue_reply->n_ops; i++)
        assert_true(q->queue_reply->ops[i]->seq <= before);
    hb_wire_free(&q);
    hb_h_client_destroy(&cl);
    assert_int_equal(cli(out, err, "record", "--provider", v, "--recipient", e, "--duration", "30m", "--category",
                         "companionship", NULL), 0);
    assert_int_equal(max_seq(), before + 1);  /* the next save takes the next seq */

    /* a station without default_operator: a save must name one */
    hb_h_station_stop(&st, SIGTERM);
    char conf[4096];
    hb_h_read_file(st.conf, conf, sizeof conf);
    char *line = strstr(conf, "default_operator:");
    assert_non_null(line);
    *line = '\0';
    hb_h_write_file(st.conf, conf);
    hb_h_station_start(&st);
    before = max_seq();
    assert_int_equal(cli(out, err, "record", "--provider", v, "--recipient", e, "--duration", "30m", "--category",
                         "companionship", NULL), EX_DATAERR);
    assert_non_null(strstr(err, "no operator was named and the station has no default operator"));
    assert_int_equal(max_seq(), before);
    assert_int_equal(cli(out, err, "record", "--provider", v, "--recipient", e, "--duration", "30m", "--category",
                         "companionship", "--operator", HB_H_DEFAULT_OPERATOR, NULL), 0);
    assert_int_equal(max_seq(), before + 1);
    assert_int_equal(cli(out, err, "operator", "list", "--json", NULL), 0);
    assert_non_null(strstr(out, "\"default\": false"));
    assert_null(strstr(out, "\"default\": true"));
}

/* ---- a stand-in for central ----
 * Central's acceptance of donations is another part of issue 13; this
 * ROUTER, bound where central was with central's key, answers the
 * station's hello and its batches itself: every op OK except a donation,
 * answered INSUFFICIENT_BALANCE with the values PROTOCOL.md lists, which
 * the station must keep with the result. */
typedef struct {
    void *ctx, *sock;
    Hourbank__Op *donation;    /* a copy of the donation received (hourbank__op__free_unpacked) */
} fake_t;

static void
fake_start(fake_t *f)
{
    memset(f, 0, sizeof *f);
    f->ctx = zmq_ctx_new();
    f->sock = zmq_socket(f->ctx, ZMQ_ROUTER);
    int one = 1, zero = 0;
    zmq_setsockopt(f->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(f->sock, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(f->sock, ZMQ_CURVE_SECRETKEY, central.central_sec, 40);
    int rc = -1;
    for (int i = 0; i < 50 && rc != 0; i++) {  /* central's port is free once it has exited */
        rc = zmq_bind(f->sock, central.endpoint);
        if (rc != 0)
            usleep(100 * 1000);
    }
    assert_int_equal(rc, 0);
}

static void
fake_stop(fake_t *f)
{
    zmq_close(f->sock);
    zmq_ctx_term(f->ctx);
    if (f->donation)
        hourbank__op__free_unpacked(f->donation, NULL);
}

static void
fake_param(Hourbank__Param *p, Hourbank__Param **pp, const char *name, const char *value)
{
    hourbank__param__init(p);
    p->name = (char *) (uintptr_t) name;
    p->value = (char *) (uintptr_t) value;
    *pp = p;
}

/* Acks batch b (answer to corr): OK, or for a donation INSUFFICIENT_BALANCE
 * with its values; keeps a copy of the donation. */
static void
fake_ack(fake_t *f, const hb_router_peer_t *peer, uint64_t corr, const Hourbank__Batch *b)
{
    Hourbank__OpResult r[HB_BATCH_OPS_MAX], *rp[HB_BATCH_OPS_MAX];
    Hourbank__Param p[4], *pp[4];
    for (size_t i = 0; i < b->n_ops; i++) {
        hourbank__op_result__init(&r[i]);
        r[i].seq = b->ops[i]->seq;
        r[i].result = HOURBANK__RESULT__OK;
        rp[i] = &r[i];
        if (b->ops[i]->kind_case != HOURBANK__OP__KIND_DONATION)
            continue;
        uint8_t buf[HB_OP_BYTES_MAX];
        size_t len = hourbank__op__pack(b->ops[i], buf);
        if (!f->donation)
            f->donation = hourbank__op__unpack(NULL, len, buf);
        r[i].result = HOURBANK__RESULT__INSUFFICIENT_BALANCE;
        fake_param(&p[0], &pp[0], "role", "donor");
        fake_param(&p[1], &pp[1], "member", b->ops[i]->donation->member);
        fake_param(&p[2], &pp[2], "held_minutes", "0");
        fake_param(&p[3], &pp[3], "needed_minutes", "90");
        r[i].params = pp;
        r[i].n_params = 4;
    }
    Hourbank__BatchAck ack;
    hourbank__batch_ack__init(&ack);
    ack.batch_result = HOURBANK__RESULT__OK;
    ack.results = rp;
    ack.n_results = b->n_ops;
    Hourbank__Envelope env;
    hb_wire_envelope_init(&env, corr);
    env.body_case = HOURBANK__ENVELOPE__BODY_BATCH_ACK;
    env.batch_ack = &ack;
    assert_int_equal(hb_router_send(f->sock, peer, &env), 0);
}

static void
fake_welcome(fake_t *f, const hb_router_peer_t *peer, uint64_t corr, const Hourbank__Hello *h)
{
    Hourbank__Welcome w;
    hourbank__welcome__init(&w);
    w.high_water_mark = h->last_acked_seq;
    w.server_time = (int64_t) time(NULL);
    w.time_zone = "Asia/Shanghai";
    Hourbank__Envelope env;
    hb_wire_envelope_init(&env, corr);
    env.body_case = HOURBANK__ENVELOPE__BODY_WELCOME;
    env.welcome = &w;
    assert_int_equal(hb_router_send(f->sock, peer, &env), 0);
}

/* Answers the station for up to ms, until it has acked a donation. */
static void
fake_serve(fake_t *f, int ms)
{
    int64_t end = hb_clock_ms() + ms;
    while (hb_clock_ms() < end && !f->donation) {
        zmq_pollitem_t item = {f->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 100) <= 0)
            continue;
        hb_router_peer_t peer;
        zmq_msg_t msg;
        int frames = 0;
        while (hb_router_recv(f->sock, &peer, &msg, &frames)) {
            hb_wire_error_t werr;
            Hourbank__Envelope *env = hb_wire_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg), &werr);
            zmq_msg_close(&msg);
            if (env && env->body_case == HOURBANK__ENVELOPE__BODY_HELLO)
                fake_welcome(f, &peer, env->correlation_id, env->hello);
            else if (env && env->body_case == HOURBANK__ENVELOPE__BODY_BATCH)
                fake_ack(f, &peer, env->correlation_id, env->batch);
            hb_wire_free(&env);  /* directory queries and the like go unanswered */
        }
    }
}

static void
test_donation_saved_and_sent(void **state)
{
    (void) state;
    char out[OUT_BYTES], err[OUT_BYTES];
    char v[32];
    outbox_text("SELECT member_a FROM ops WHERE kind = 'register' ORDER BY seq LIMIT 1", v, sizeof v);
    assert_true(v[0] != '\0');
    hb_h_client_t *cl = hb_h_station_client(&st);
    assert_true(hb_h_wait_drained(cl, 30));  /* central has the rest */
    hb_h_central_stop(&central, SIGTERM);
    assert_int_equal(cli(out, err, "donate", v, "1h30m", "--reason", "\xE6\x8D\x90\xE7\x8C\xAE", "--operator",
                         "wang", "--json", NULL), 0);
    uint64_t seq = max_seq();
    Hourbank__Op *op = stored_op(seq);
    assert_int_equal(op->kind_case, HOURBANK__OP__KIND_DONATION);
    assert_string_equal(op->donation->member, v);
    assert_int_equal(op->donation->minutes, 90);
    assert_string_equal(op->donation->reason, "\xE6\x8D\x90\xE7\x8C\xAE");
    assert_string_equal(op->operator_, "wang");
    hourbank__op__free_unpacked(op, NULL);
    Hourbank__Envelope *r = queue_show(seq);
    assert_string_equal(r->queue_reply->ops[0]->kind, "donation");
    assert_string_equal(r->queue_reply->ops[0]->operator_, "wang");
    assert_int_equal(r->queue_reply->ops[0]->result, HOURBANK__RESULT__RESULT_UNSET);
    hb_wire_free(&r);

    /* sent: the op that reaches "central" is the one stored */
    fake_t f;
    fake_start(&f);
    fake_serve(&f, 30000);
    assert_non_null(f.donation);
    assert_int_equal(f.donation->seq, seq);
    assert_string_equal(f.donation->operator_, "wang");
    assert_string_equal(f.donation->donation->member, v);
    assert_int_equal(f.donation->donation->minutes, 90);
    /* the result's values are kept with it and listed (QueuedOp.params) */
    for (int i = 0; i < 100 && hb_h_sqlite_int(st.outbox, "SELECT count(*) FROM ops WHERE result IS NULL") > 0; i++)
        usleep(100 * 1000);
    r = queue_show(seq);
    const Hourbank__QueuedOp *q = r->queue_reply->ops[0];
    assert_int_equal(q->result, HOURBANK__RESULT__INSUFFICIENT_BALANCE);
    assert_int_equal(q->n_params, 4);
    assert_string_equal(q->params[0]->name, "role");
    assert_string_equal(q->params[0]->value, "donor");
    assert_string_equal(q->params[1]->name, "member");
    assert_string_equal(q->params[1]->value, v);
    assert_string_equal(q->params[3]->name, "needed_minutes");
    assert_string_equal(q->params[3]->value, "90");
    hb_wire_free(&r);
    assert_int_equal(cli(out, err, "queue", "--rejected", "--json", NULL), 0);
    assert_non_null(strstr(out, "\"params\": {\n        \"role\": \"donor\""));
    assert_non_null(strstr(out, "\"needed_minutes\": \"90\""));
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&st, SIGTERM);
    fake_stop(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_operator_round_trip),
        cmocka_unit_test(test_saves_carry_their_operator),
        cmocka_unit_test(test_recorded_at_central),
        cmocka_unit_test(test_unknown_or_disabled_operator_refused),
        cmocka_unit_test(test_donation_saved_and_sent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
