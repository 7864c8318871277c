/* Hostile input against a real hourbank-central (ZeroMQ/CURVE) and a real
 * hourbank-station (its local ipc API): bytes that are not protobuf,
 * truncated, empty, at and over HB_MSG_BYTES_MAX, several frames, another
 * protocol version, an unknown body or op kind, values out of range,
 * invalid UTF-8, too many ops, an op padded past HB_OP_BYTES_MAX with an
 * unknown field, seqs another station used, an unknown CURVE key and a
 * plaintext client. Each gets a stable code (ErrorReply or per-op result)
 * or a refused connection, and the daemon answers the next good request.
 * The log line is checked wherever the daemons write one; today they write
 * none for a plaintext client, a frame over ZMQ_MAXMSGSIZE (zmq drops the
 * connection unseen), a message type the daemon never takes, and a
 * station acting outside its community or serial range. */
#include "hb_itest.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define REPLY_MS 5000
#define SILENCE_MS 1500
#define LOG_MS 5000
/* Unknown field numbers: inside Envelope (bodies end at 40) and Op (kinds end at 13). */
#define UNKNOWN_BODY_FIELD 63
#define UNKNOWN_KIND_FIELD 20
#define PADDING_FIELD 99
#define PADDING_BYTES (HB_OP_BYTES_MAX + 64)

static hb_h_central_t central;
static hb_h_station_t station;

#define Q(n) hb_h_member("QX03", n)
#define H(n) hb_h_member("QH01", n)

static int
setup(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_hostile", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, 1, 0);
    hb_h_station_start(&station);
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    int st = hb_h_station_stop(&station, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    st = hb_h_central_stop(&central, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return 0;
}

/* ---- helpers ---- */

static void
expect_alive(pid_t pid)
{
    assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
}

static void
expect_logged(const char *log, const char *needle, int before)
{
    if (!hb_h_log_wait(log, needle, before + 1, LOG_MS))
        fail_msg("no new line with \"%s\" in %s", needle, log);
}

/* Sends frames as they are; the reply must be an ErrorReply with code, a
 * message containing message, and correlation id corr. */
static void
expect_error_frames(hb_h_client_t *cl, const void *const frames[], const size_t sizes[], size_t n, uint64_t corr,
                    int code, const char *message)
{
    assert_int_equal(hb_h_client_send_raw(cl, frames, sizes, n), 0);
    Hourbank__Envelope *r = hb_h_client_recv(cl, REPLY_MS);
    if (!r)
        fail_msg("no reply; expected error %d \"%s\"", code, message);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    if ((int) r->error->code != code || !strstr(r->error->message, message))
        fail_msg("error %d \"%s\", expected %d \"%s\"", r->error->code, r->error->message, code, message);
    assert_int_equal(r->correlation_id, corr);
    hb_wire_free(&r);
}

/* One frame; the daemon's log gains a line containing message. */
static void
expect_refused(hb_h_client_t *cl, const char *log, const void *data, size_t size, uint64_t corr, int code,
               const char *message)
{
    int before = hb_h_log_count(log, message);
    const void *frames[] = {data};
    const size_t sizes[] = {size};
    expect_error_frames(cl, frames, sizes, 1, corr, code, message);
    expect_logged(log, message, before);
}

static void
expect_env_refused(hb_h_client_t *cl, const char *log, const Hourbank__Envelope *env, int code, const char *message)
{
    size_t size;
    uint8_t *data = hb_h_encode(env, &size);
    expect_refused(cl, log, data, size, env->correlation_id, code, message);
    free(data);
}

static void
set_hello(Hourbank__Envelope *env, Hourbank__Hello *hello, uint32_t station_id, uint64_t corr)
{
    hb_wire_envelope_init(env, corr);
    hourbank__hello__init(hello);
    hello->station_id = station_id;
    hello->software = "itest";
    env->body_case = HOURBANK__ENVELOPE__BODY_HELLO;
    env->hello = hello;
}

/* An unknown length-delimited field of PADDING_BYTES bytes; protobuf-c
 * keeps the bytes with their length prefix. Static storage. */
static void
pad_with_unknown_field(ProtobufCMessage *msg)
{
    static uint8_t bytes[2 + PADDING_BYTES];
    static ProtobufCMessageUnknownField field;
    _Static_assert(PADDING_BYTES >= 0x80 && PADDING_BYTES < 0x4000, "two-byte length prefix");
    bytes[0] = (uint8_t) (0x80 | (PADDING_BYTES & 0x7F));
    bytes[1] = (uint8_t) (PADDING_BYTES >> 7);
    memset(bytes + 2, 'x', PADDING_BYTES);
    field = (ProtobufCMessageUnknownField){PADDING_FIELD, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, sizeof bytes, bytes};
    msg->n_unknown_fields = 1;
    msg->unknown_fields = &field;
}

/* An empty unknown field number (an unknown body or op kind). */
static void
add_unknown_field(ProtobufCMessage *msg, uint32_t number)
{
    static uint8_t empty[] = {0x00};  /* length prefix 0 */
    static ProtobufCMessageUnknownField field;
    field = (ProtobufCMessageUnknownField){number, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, sizeof empty, empty};
    msg->n_unknown_fields = 1;
    msg->unknown_fields = &field;
}

/* ---- frames: the same for central and the station ---- */

typedef struct {
    const char *log;
    size_t max_answered;               /* largest frame known to reach the daemon */
    const char *frames_needle;         /* logged for a message of two frames */
    const pid_t *pid;
    void (*serves)(hb_h_client_t *cl); /* a good request is answered */
    hb_h_client_t *(*connect)(void);
} daemon_t;

static void
refuse_undecodable(hb_h_client_t *cl, const daemon_t *d)
{
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff};
    expect_refused(cl, d->log, garbage, sizeof garbage, 0, HOURBANK__RESULT__MALFORMED,
                   "could not decode message of 4 bytes");
    d->serves(cl);

    Hourbank__Envelope env;
    Hourbank__Hello hello;
    set_hello(&env, &hello, 4, 41);
    size_t size;
    uint8_t *data = hb_h_encode(&env, &size);
    char want[128];
    snprintf(want, sizeof want, "could not decode message of %zu bytes", size - 2);
    expect_refused(cl, d->log, data, size - 2, 0, HOURBANK__RESULT__MALFORMED, want);  /* cut inside "itest" */
    free(data);
    d->serves(cl);

    snprintf(want, sizeof want, "message of 0 bytes refused, size must be 1..%d", HB_MSG_BYTES_MAX);
    expect_refused(cl, d->log, "", 0, 0, HOURBANK__RESULT__MALFORMED, want);
    d->serves(cl);

    /* member_query.text "W\0ng": protobuf-c would cut it at the NUL */
    static const uint8_t nul[] = {0x08, 0x01, 0x10, 0x2a, 0x92, 0x01, 0x06, 0x12, 0x04, 'W', 0x00, 'n', 'g'};
    expect_refused(cl, d->log, nul, sizeof nul, 42, HOURBANK__RESULT__MALFORMED,
                   "message of 13 bytes is not in canonical encoding");
    d->serves(cl);

    uint8_t *big = malloc(d->max_answered);
    assert_non_null(big);
    memset(big, 0xff, d->max_answered);
    snprintf(want, sizeof want, "could not decode message of %zu bytes", d->max_answered);
    expect_refused(cl, d->log, big, d->max_answered, 0, HOURBANK__RESULT__MALFORMED, want);  /* within zmq's limit */
    free(big);
    d->serves(cl);
}

static void
refuse_frames_and_size(hb_h_client_t *cl, const daemon_t *d)
{
    Hourbank__Envelope env;
    Hourbank__Hello hello;
    set_hello(&env, &hello, 4, 43);
    size_t size;
    uint8_t *data = hb_h_encode(&env, &size);
    const void *frames[] = {data, "x"};
    const size_t sizes[] = {size, 1};
    int before = hb_h_log_count(d->log, d->frames_needle);
    expect_error_frames(cl, frames, sizes, 2, 0, HOURBANK__RESULT__MALFORMED, "expected exactly one frame");
    expect_logged(d->log, d->frames_needle, before);
    free(data);
    d->serves(cl);

    /* one byte over ZMQ_MAXMSGSIZE: zmq drops that connection, no answer */
    hb_h_client_t *big_cl = d->connect();
    d->serves(big_cl);  /* connected before the big frame goes out */
    uint8_t *big = calloc(1, HB_MSG_BYTES_MAX + 1);
    assert_non_null(big);
    const void *big_frames[] = {big};
    const size_t big_sizes[] = {HB_MSG_BYTES_MAX + 1};
    assert_int_equal(hb_h_client_send_raw(big_cl, big_frames, big_sizes, 1), 0);
    assert_null(hb_h_client_recv(big_cl, SILENCE_MS));
    free(big);
    hb_h_client_destroy(&big_cl);
    expect_alive(*d->pid);
    d->serves(cl);
    hb_h_client_t *fresh = d->connect();
    d->serves(fresh);
    hb_h_client_destroy(&fresh);
}

static void
central_serves(hb_h_client_t *cl)
{
    assert_true(hb_h_hello(cl, 4, 0) >= 0);
}

static hb_h_client_t *
central_connect(void)
{
    return hb_h_central_client(&central, 4);
}

static void
station_serves(hb_h_client_t *cl)
{
    Hourbank__Envelope *r = hb_h_queue(cl, false);
    assert_non_null(r);
    hb_wire_free(&r);
}

static hb_h_client_t *
station_connect(void)
{
    return hb_h_station_client(&station);
}

static void
test_central_frames(void **state)
{
    (void) state;
    /* ZMQ_MAXMSGSIZE counts CURVE's MESSAGE command (name, nonce, MAC and
     * flags); central allows for it, so a frame of HB_MSG_BYTES_MAX reaches it */
    const daemon_t d = {central.log, HB_MSG_BYTES_MAX, "message refused: 2 frames, peer=4",
                        &central.pid, central_serves, central_connect};
    hb_h_client_t *cl = central_connect();
    refuse_undecodable(cl, &d);
    refuse_frames_and_size(cl, &d);
    hb_h_client_destroy(&cl);
}

static void
test_station_frames(void **state)
{
    (void) state;
    const daemon_t d = {station.log, HB_MSG_BYTES_MAX, "local request refused", &station.pid, station_serves,
                        station_connect};
    hb_h_client_t *cl = station_connect();
    refuse_undecodable(cl, &d);
    refuse_frames_and_size(cl, &d);
    hb_h_client_destroy(&cl);
}

/* ---- central: envelopes ---- */

static void
refuse_bad_hellos(hb_h_client_t *cl)
{
    Hourbank__Envelope env;
    Hourbank__Hello hello;
    set_hello(&env, &hello, 4, 77);
    env.version = HB_PROTOCOL_VERSION + 1;
    expect_env_refused(cl, central.log, &env, HOURBANK__RESULT__UNSUPPORTED_VERSION,
                       "protocol version 2 is not supported, expected 1");
    central_serves(cl);
    set_hello(&env, &hello, 0, 78);
    expect_env_refused(cl, central.log, &env, HOURBANK__RESULT__MALFORMED, "hello.station_id=0 must be at least 1");
    central_serves(cl);
    set_hello(&env, &hello, 4, 79);
    hello.software = "\xc0\xaf";  /* an overlong '/' */
    expect_env_refused(cl, central.log, &env, HOURBANK__RESULT__MALFORMED,
                       "hello.software is not valid UTF-8 at byte 0");
    central_serves(cl);
    hb_wire_envelope_init(&env, 80);
    add_unknown_field(&env.base, UNKNOWN_BODY_FIELD);
    expect_env_refused(cl, central.log, &env, HOURBANK__RESULT__MALFORMED, "envelope has no body");
    central_serves(cl);
}

static void
refuse_bad_counts(hb_h_client_t *cl)
{
    static Hourbank__Op ops[HB_BATCH_OPS_MAX + 1];
    static Hourbank__Op *ptrs[HB_BATCH_OPS_MAX + 1];
    Hourbank__ServiceRecord svc;
    hourbank__service_record__init(&svc);
    svc.provider = (char *) (uintptr_t) H(1);
    svc.recipient = (char *) (uintptr_t) H(2);
    svc.minutes = 30;
    svc.category = "companionship";
    for (size_t i = 0; i <= HB_BATCH_OPS_MAX; i++) {
        hourbank__op__init(&ops[i]);
        ops[i].seq = 1 + i;
        ops[i].occurred_at = (int64_t) time(NULL);
        ops[i].kind_case = HOURBANK__OP__KIND_SERVICE;
        ops[i].service = &svc;
        ptrs[i] = &ops[i];
    }
    Hourbank__Batch batch;
    hourbank__batch__init(&batch);
    batch.ops = ptrs;
    batch.n_ops = HB_BATCH_OPS_MAX + 1;
    Hourbank__Envelope env;
    hb_wire_envelope_init(&env, 81);
    env.body_case = HOURBANK__ENVELOPE__BODY_BATCH;
    env.batch = &batch;
    expect_env_refused(cl, central.log, &env, HOURBANK__RESULT__MALFORMED, "batch.ops has 257 entries, allowed 1..256");
    central_serves(cl);
    batch.n_ops = 0;
    env.correlation_id = 82;
    expect_env_refused(cl, central.log, &env, HOURBANK__RESULT__MALFORMED, "batch.ops has 0 entries, allowed 1..256");
    central_serves(cl);

    Hourbank__StatementQuery q;
    hourbank__statement_query__init(&q);
    q.member_no = (char *) (uintptr_t) H(1);
    q.limit = HB_PAGE_ENTRIES_MAX + 1;
    hb_wire_envelope_init(&env, 83);
    env.body_case = HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY;
    env.statement_query = &q;
    expect_env_refused(cl, central.log, &env, HOURBANK__RESULT__MALFORMED,
                       "statement_query.limit=501 out of range 0..500");
    central_serves(cl);
}

/* A message central never takes (a station's local request): refused with
 * a stable code. (central logs nothing for it.) */
static void
refuse_wrong_direction(hb_h_client_t *cl)
{
    Hourbank__Envelope env;
    Hourbank__QueueQuery q;
    hb_wire_envelope_init(&env, 84);
    hourbank__queue_query__init(&q);
    env.body_case = HOURBANK__ENVELOPE__BODY_QUEUE_QUERY;
    env.queue_query = &q;
    size_t size;
    uint8_t *data = hb_h_encode(&env, &size);
    const void *frames[] = {data};
    const size_t sizes[] = {size};
    expect_error_frames(cl, frames, sizes, 1, 84, HOURBANK__RESULT__MALFORMED,
                        "central does not accept this message type");
    free(data);
    central_serves(cl);
}

static void
test_central_envelopes(void **state)
{
    (void) state;
    hb_h_client_t *cl = central_connect();
    refuse_bad_hellos(cl);
    refuse_bad_counts(cl);
    refuse_wrong_direction(cl);
    hb_h_client_destroy(&cl);
    expect_alive(central.pid);
}

/* ---- central: ops refused one by one inside an acked batch ---- */

static hb_h_batch_t *
hostile_batch(void)
{
    int64_t now = (int64_t) time(NULL);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, H(1), "\xc3\x28", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_register(b, 2, H(2), "kind unknown", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_op(b, 1)->kind_case = HOURBANK__OP__KIND__NOT_SET;
    add_unknown_field(&hb_h_batch_op(b, 1)->base, UNKNOWN_KIND_FIELD);
    hb_h_batch_gift(b, 3, now, H(1), H(2), HB_GIFT_MINUTES_MAX + 1);
    hb_h_batch_register(b, 4, H(3), "Too old", HOURBANK__ROLE__ELDER, 1800, NULL);
    hb_h_batch_service(b, 5, now, H(1), H(2), -5, "companionship");
    hb_h_batch_service(b, 6, now, H(1), H(2), 30, "companionship");
    pad_with_unknown_field(&hb_h_batch_op(b, 5)->base);
    hb_h_batch_register(b, 7, H(500004), "Good", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);  /* station 4's serials */
    return b;
}

static void
test_central_bad_ops(void **state)
{
    (void) state;
    const int want[] = {HOURBANK__RESULT__MALFORMED, HOURBANK__RESULT__MALFORMED, HOURBANK__RESULT__INVALID_DURATION,
                        HOURBANK__RESULT__MALFORMED, HOURBANK__RESULT__INVALID_DURATION, HOURBANK__RESULT__MALFORMED,
                        HOURBANK__RESULT__OK};
    static const char *const why[] = {"op seq=1: register_member.name is not valid UTF-8 at byte 0",
                                      "op seq=2: op has no kind",
                                      "op seq=3: gift.minutes=525601 out of range 1..525600",
                                      "op seq=4: register_member.birth_year=1800 out of range 1900..2100",
                                      "op seq=5: service.minutes=-5 out of range 1..1440",
                                      "op seq=6: op encodes to ", ""};
    const char *needle = "op refused before posting station=4";
    int before = hb_h_log_count(central.log, needle);
    hb_h_batch_t *b = hostile_batch();
    hb_h_client_t *cl = central_connect();
    for (int attempt = 0; attempt < 2; attempt++) {  /* the answers are final */
        Hourbank__Envelope *ack = itest_send(cl, b);
        itest_expect(ack, want, 7);
        for (size_t i = 0; i < 7; i++)
            if (!strstr(itest_values(ack->batch_ack->results[i]), why[i]))
                fail_msg("seq %zu: \"%s\" lacks \"%s\"", i + 1, itest_values(ack->batch_ack->results[i]), why[i]);
        assert_int_equal(ack->batch_ack->high_water_mark, 7);
        hb_wire_free(&ack);
    }
    expect_logged(central.log, needle, before + 5);  /* six refused ops */
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 4"), 7);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 4 AND result = 1"), 1);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM transfer WHERE station_id = 4"), 0);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM member WHERE station_id = 4"), 1);
    PQfinish(pg);
    assert_int_equal(hb_h_hello(cl, 4, 7), 7);
    hb_h_client_destroy(&cl);
    hb_h_batch_free(&b);
}

/* ---- central: peers it does not know ---- */

static void
expect_ignored(hb_h_client_t *cl)
{
    Hourbank__Envelope env;
    Hourbank__Hello hello;
    set_hello(&env, &hello, 4, 0);
    assert_null(hb_h_client_call(cl, &env, SILENCE_MS));
}

static void
test_central_unknown_peers(void **state)
{
    (void) state;
    char pub[41], sec[41], needle[128];
    hb_h_keypair(pub, sec);
    snprintf(needle, sizeof needle, "connection refused: unknown CURVE key key=%s", pub);
    int before = hb_h_log_count(central.log, needle);
    hb_h_client_t *cl = hb_h_client_new(central.endpoint, central.central_pub, pub, sec);
    expect_ignored(cl);
    hb_h_client_destroy(&cl);
    expect_logged(central.log, needle, before);

    cl = hb_h_client_new(central.endpoint, NULL, NULL, NULL);  /* plaintext */
    expect_ignored(cl);
    hb_h_client_destroy(&cl);

    expect_alive(central.pid);
    cl = central_connect();
    central_serves(cl);
    hb_h_client_destroy(&cl);
}

/* ---- the station's local API ---- */

/* Op storage for saves built by hand. */
typedef struct {
    Hourbank__Op op;
    Hourbank__RegisterMember reg;
    Hourbank__ServiceRecord svc;
    Hourbank__Gift gift;
    char a[32], b[32];
} op_t;

static Hourbank__Op *
op_register(op_t *o, const char *name, int role, uint32_t birth_year)
{
    memset(o, 0, sizeof *o);
    hourbank__op__init(&o->op);
    hourbank__register_member__init(&o->reg);
    o->op.occurred_at = (int64_t) time(NULL);
    o->reg.name = (char *) (uintptr_t) name;
    o->reg.role = (Hourbank__Role) role;
    o->reg.birth_year = birth_year;
    o->op.kind_case = HOURBANK__OP__KIND_REGISTER_MEMBER;
    o->op.register_member = &o->reg;
    return &o->op;
}

static Hourbank__Op *
op_service(op_t *o, const char *provider, const char *recipient, int64_t minutes, const char *category)
{
    memset(o, 0, sizeof *o);
    hourbank__op__init(&o->op);
    hourbank__service_record__init(&o->svc);
    snprintf(o->a, sizeof o->a, "%s", provider);
    snprintf(o->b, sizeof o->b, "%s", recipient);
    o->op.occurred_at = (int64_t) time(NULL);
    o->svc.provider = o->a;
    o->svc.recipient = o->b;
    o->svc.minutes = minutes;
    o->svc.category = (char *) (uintptr_t) category;
    o->op.kind_case = HOURBANK__OP__KIND_SERVICE;
    o->op.service = &o->svc;
    return &o->op;
}

static Hourbank__Op *
op_gift(op_t *o, const char *from, const char *to, int64_t minutes)
{
    memset(o, 0, sizeof *o);
    hourbank__op__init(&o->op);
    hourbank__gift__init(&o->gift);
    snprintf(o->a, sizeof o->a, "%s", from);
    snprintf(o->b, sizeof o->b, "%s", to);
    o->op.occurred_at = (int64_t) time(NULL);
    o->gift.from_member = o->a;
    o->gift.to_member = o->b;
    o->gift.minutes = minutes;
    o->op.kind_case = HOURBANK__OP__KIND_GIFT;
    o->op.gift = &o->gift;
    return &o->op;
}

static void
expect_save_refused(hb_h_client_t *cl, Hourbank__Op *op, uint64_t corr, int code, const char *message)
{
    Hourbank__Envelope env;
    Hourbank__SaveRequest req;
    hb_wire_envelope_init(&env, corr);
    hourbank__save_request__init(&req);
    req.op = op;
    env.body_case = HOURBANK__ENVELOPE__BODY_SAVE;
    env.save = &req;
    expect_env_refused(cl, station.log, &env, code, message);
    station_serves(cl);
}

static void
refuse_bad_saves(hb_h_client_t *cl, const char *member)
{
    op_t o;
    Hourbank__Op *op = op_service(&o, member, Q(999), 30, "companionship");
    op->seq = 5;  /* a seq of its own choosing */
    expect_save_refused(cl, op, 90, HOURBANK__RESULT__MALFORMED, "save.op: seq=5 must be 0, the station assigns it");
    op = op_service(&o, member, Q(999), 30, "companionship");
    op->occurred_at = 0;
    expect_save_refused(cl, op, 91, HOURBANK__RESULT__MALFORMED, "save.op: occurred_at=0 out of range 1..253402300799");
    op = op_gift(&o, member, Q(999), HB_GIFT_MINUTES_MAX + 1);
    expect_save_refused(cl, op, 92, HOURBANK__RESULT__INVALID_DURATION,
                        "save.op: gift.minutes=525601 out of range 1..525600");
    op = op_register(&o, "Wang \xed\xa0\x80", HOURBANK__ROLE__BOTH, 1950);  /* a UTF-16 surrogate */
    expect_save_refused(cl, op, 93, HOURBANK__RESULT__MALFORMED,
                        "save.op: register_member.name is not valid UTF-8 at byte 5");
    /* valid field by field (and nothing for the station to look up),
     * padded past what the outbox stores: the station used to abort on
     * this (client/station/outbox.c save_build) */
    op = op_register(&o, "Zhao Padded", HOURBANK__ROLE__BOTH, 1950);
    pad_with_unknown_field(&op->base);
    expect_save_refused(cl, op, 94, HOURBANK__RESULT__MALFORMED, "save.op: op encodes to ");
}

static void
refuse_bad_requests(hb_h_client_t *cl)
{
    char text[HB_SEARCH_BYTES_MAX + 2];
    memset(text, 'a', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    Hourbank__Envelope env;
    Hourbank__MemberQuery q;
    hb_wire_envelope_init(&env, 95);
    hourbank__member_query__init(&q);
    q.text = text;
    env.body_case = HOURBANK__ENVELOPE__BODY_MEMBER_QUERY;
    env.member_query = &q;
    expect_env_refused(cl, station.log, &env, HOURBANK__RESULT__MALFORMED, "member_query.text is 65 bytes, limit 64");
    station_serves(cl);

    /* a message for central, not the station (the station logs nothing) */
    Hourbank__Hello hello;
    set_hello(&env, &hello, 1, 96);
    size_t size;
    uint8_t *data = hb_h_encode(&env, &size);
    const void *frames[] = {data};
    const size_t sizes[] = {size};
    expect_error_frames(cl, frames, sizes, 1, 96, HOURBANK__RESULT__MALFORMED,
                        "the station does not answer this message type (10)");
    free(data);
    station_serves(cl);

    env.version = HB_PROTOCOL_VERSION + 1;
    env.correlation_id = 97;
    expect_env_refused(cl, station.log, &env, HOURBANK__RESULT__UNSUPPORTED_VERSION,
                       "protocol version 2 is not supported, expected 1");
    hb_wire_envelope_init(&env, 98);
    add_unknown_field(&env.base, UNKNOWN_BODY_FIELD);
    expect_env_refused(cl, station.log, &env, HOURBANK__RESULT__MALFORMED, "envelope has no body");
    station_serves(cl);
}

static void
test_station_requests(void **state)
{
    (void) state;
    hb_h_client_t *cl = station_connect();
    op_t o;
    int code;
    char member[32], msg[256];
    uint64_t first = hb_h_save(cl, op_register(&o, "Zhao Min", HOURBANK__ROLE__BOTH, 1956), &code, member, msg,
                               sizeof msg);
    if (first == 0)
        fail_msg("save refused: %d %s", code, msg);
    refuse_bad_saves(cl, member);
    refuse_bad_requests(cl);
    /* nothing refused took a seq */
    uint64_t next =
        hb_h_save(cl, op_register(&o, "Zhao Lei", HOURBANK__ROLE__BOTH, 1958), &code, NULL, msg, sizeof msg);
    assert_int_equal(next, first + 1);
    expect_alive(station.pid);
    assert_true(hb_h_wait_drained(cl, 30));
    hb_h_client_destroy(&cl);
}

/* ---- seqs another station used ---- */

/* Everything central holds for station 1, as one digest. */
static void
station1_digest(PGconn *pg, char *out, size_t size)
{
    PGresult *r = PQexec(pg,
        "SELECT md5(concat("
        " (SELECT string_agg(concat_ws(':', seq, encode(payload_hash, 'hex'), kind, result, message,"
        "   transfer_id, received_at), ',' ORDER BY seq) FROM op WHERE station_id = 1),"
        " (SELECT string_agg(concat_ws(':', id, debit_account, credit_account, minutes, kind, seq, posted_at),"
        "   ',' ORDER BY id) FROM transfer WHERE station_id = 1),"
        " (SELECT string_agg(concat_ws(':', member_no, account_id, seq), ',' ORDER BY member_no)"
        "   FROM member WHERE station_id = 1)))");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        fail_msg("digest query failed: %s", PQerrorMessage(pg));
    snprintf(out, size, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
}

/* Station 1 saves two members and a service through its local API and
 * syncs them; ops[] receive the ops as station 1 stored them. */
static void
station1_saves(op_t ops[3], char a[32], char b[32])
{
    hb_h_client_t *cl = station_connect();
    int code;
    char msg[256];
    assert_int_equal(hb_h_save(cl, op_register(&ops[0], "Chen Jie", HOURBANK__ROLE__VOLUNTEER, 1962), &code, a,
                               msg, sizeof msg), 1);
    assert_int_equal(hb_h_save(cl, op_register(&ops[1], "Liu Fang", HOURBANK__ROLE__ELDER, 1930), &code, b,
                               msg, sizeof msg), 2);
    /* personal care for someone over 80: the guarantee pays */
    assert_int_equal(hb_h_save(cl, op_service(&ops[2], a, b, 60, "personal-care"), &code, NULL, msg, sizeof msg), 3);
    assert_true(hb_h_wait_drained(cl, 30));
    hb_h_client_destroy(&cl);
    for (int i = 0; i < 3; i++) {
        ops[i].op.seq = (uint64_t) i + 1;
        ops[i].op.operator_ = (char *) (uintptr_t) HB_H_DEFAULT_OPERATOR;  /* the station's default_operator */
    }
    ops[0].reg.member_no = a;
    ops[1].reg.member_no = b;
}

static void
replay_as(uint32_t id, op_t ops[3], const int want[3])
{
    Hourbank__Op *ptrs[3] = {&ops[0].op, &ops[1].op, &ops[2].op};
    Hourbank__Batch batch;
    hourbank__batch__init(&batch);
    batch.ops = ptrs;
    batch.n_ops = 3;
    Hourbank__Envelope env;
    hourbank__envelope__init(&env);
    env.body_case = HOURBANK__ENVELOPE__BODY_BATCH;
    env.batch = &batch;
    hb_h_client_t *cl = hb_h_central_client(&central, id);
    Hourbank__Envelope *ack = hb_h_client_call(cl, &env, REPLY_MS);
    assert_non_null(ack);
    assert_int_equal(ack->body_case, HOURBANK__ENVELOPE__BODY_BATCH_ACK);
    itest_expect(ack, want, 3);
    assert_int_equal(ack->batch_ack->high_water_mark, 3);
    hb_wire_free(&ack);
    hb_h_client_destroy(&cl);
}

static void
test_replayed_seqs(void **state)
{
    (void) state;
    static op_t ops[3];
    static char a[32], b[32];
    station1_saves(ops, a, b);
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 1 AND result = 1"), 3);
    char before[64], after[64];
    station1_digest(pg, before, sizeof before);

    /* station 2 (same community) sends station 1's ops under the same
     * seqs: they are station 2's own, judged afresh (its member numbers
     * come from another serial range; the service posts again) */
    const int same_community[] = {HOURBANK__RESULT__NOT_AUTHORIZED, HOURBANK__RESULT__NOT_AUTHORIZED,
                                  HOURBANK__RESULT__OK};
    replay_as(2, ops, same_community);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op a JOIN op b USING (seq, payload_hash)"
                                     " WHERE a.station_id = 1 AND b.station_id = 2"), 3);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM transfer WHERE station_id = 2 AND seq = 3"), 1);
    /* station 3 (another community) may not touch these members at all */
    const int other_community[] = {HOURBANK__RESULT__NOT_AUTHORIZED, HOURBANK__RESULT__NOT_AUTHORIZED,
                                   HOURBANK__RESULT__NOT_AUTHORIZED};
    replay_as(3, ops, other_community);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM transfer WHERE station_id = 3"), 0);

    station1_digest(pg, after, sizeof after);
    assert_string_equal(before, after);  /* station 1's rows untouched */
    assert_int_equal(itest_balance(pg, a), 120);
    assert_int_equal(hb_h_pg_int(pg, "SELECT sum(credits - debits) FROM account"), 0);
    PQfinish(pg);
    /* and station 1 carries on from its own seq */
    hb_h_client_t *cl = station_connect();
    int code;
    char msg[256];
    op_t o;
    assert_int_equal(hb_h_save(cl, op_service(&o, a, b, 30, "personal-care"), &code, NULL, msg, sizeof msg), 4);
    assert_true(hb_h_wait_drained(cl, 30));
    hb_h_client_destroy(&cl);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replayed_seqs),  /* first: station 1's outbox starts at seq 1 */
        cmocka_unit_test(test_station_requests),
        cmocka_unit_test(test_station_frames),
        cmocka_unit_test(test_central_frames),
        cmocka_unit_test(test_central_envelopes),
        cmocka_unit_test(test_central_bad_ops),
        cmocka_unit_test(test_central_unknown_peers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
