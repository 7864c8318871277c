/* fuzz_seeds.c - writes the seed corpora of fuzz_wire and fuzz_save.
 *
 *   fuzz_seeds WIRE_DIR SAVE_DIR
 *
 * One file per message: every body type valid (WIRE_DIR), every local API
 * request with each op kind (SAVE_DIR), and a few refused on purpose (name
 * starting "bad-"): wrong version, an embedded NUL, an op padded with an
 * unknown field past HB_OP_BYTES_MAX. Each seed is checked to be accepted
 * or refused as its name says before it is written. The committed corpora
 * in tests/fuzz/corpus/ were made with it; rerun it after changing
 * hourbank.proto. Test code only. */
#include "fuzz_common.h"

#include <errno.h>

#include "hb_memberno.h"

#define TIME_2024 INT64_C(1704067200)
#define NAME_BYTES_MAX 512
/* An unknown field number inside Op, and how many bytes it carries. */
#define UNKNOWN_FIELD 99
#define UNKNOWN_FIELD_BYTES (HB_OP_BYTES_MAX + 64)

static char alice[HB_MEMBER_NO_BUF_BYTES], bob[HB_MEMBER_NO_BUF_BYTES];

static void
write_seed(const char *dir, const char *name, const void *data, size_t size)
{
    char path[NAME_BYTES_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL, "open %s: %s", path, strerror(errno));
    FUZZ_CHECK(fwrite(data, 1, size, f) == size && fclose(f) == 0, "write %s", path);
}

/* Packs env and writes it; a name starting "bad-" must be refused, any
 * other accepted. */
static void
emit(const char *dir, const char *name, Hourbank__Envelope *env)
{
    void *data = NULL;
    size_t size = 0;
    size_t packed = hourbank__envelope__get_packed_size(env);
    data = malloc(packed);
    FUZZ_CHECK(data && hourbank__envelope__pack(env, data) == packed, "pack %s", name);
    size = packed;
    hb_wire_error_t err;
    Hourbank__Envelope *back = hb_wire_unpack(data, size, &err);
    bool want_bad = strncmp(name, "bad-", 4) == 0;
    FUZZ_CHECK((back == NULL) == want_bad, "seed %s: %s", name, back ? "accepted" : err.message);
    hb_wire_free(&back);
    write_seed(dir, name, data, size);
    free(data);
}

static void
set_body(Hourbank__Envelope *env, uint64_t corr, Hourbank__Envelope__BodyCase body_case, void *body)
{
    hb_wire_envelope_init(env, corr);
    env->body_case = body_case;
    /* every body member of the oneof shares one pointer slot */
    env->hello = body;
}

/* One op of each kind, kind 0..3; strings borrowed from static storage. */
static void
make_op(Hourbank__Op *op, int kind, uint64_t seq, void *storage[4])
{
    static Hourbank__RegisterMember reg;
    static Hourbank__ServiceRecord svc;
    static Hourbank__Gift gift;
    static Hourbank__Void void_op;
    static Hourbank__OpRef ref;
    hourbank__op__init(op);
    op->seq = seq;
    op->occurred_at = TIME_2024;
    hourbank__register_member__init(&reg);
    reg.member_no = seq ? alice : "";
    reg.name = "Wang Xiuying";
    reg.role = HOURBANK__ROLE__BOTH;
    reg.birth_year = 1958;
    hourbank__service_record__init(&svc);
    svc.provider = alice;
    svc.recipient = bob;
    svc.minutes = 90;
    svc.category = "meal-delivery";
    svc.note = "lunch\tand a chat";
    hourbank__gift__init(&gift);
    gift.from_member = alice;
    gift.to_member = bob;
    gift.minutes = 120;
    gift.reason = "for my mother";
    hourbank__void__init(&void_op);
    hourbank__op_ref__init(&ref);
    ref.station_id = 1;
    ref.seq = 7;
    void_op.target = &ref;
    void_op.reason = "entered twice";
    storage[0] = &reg, storage[1] = &svc, storage[2] = &gift, storage[3] = &void_op;
    static const Hourbank__Op__KindCase cases[] = {
        HOURBANK__OP__KIND_REGISTER_MEMBER, HOURBANK__OP__KIND_SERVICE, HOURBANK__OP__KIND_GIFT,
        HOURBANK__OP__KIND_VOID_OP};
    op->kind_case = cases[kind];
    op->register_member = storage[kind];  /* one pointer slot for the oneof */
}

static void
emit_saves(const char *wire, const char *save)
{
    static const char *const names[] = {"save-register", "save-service", "save-gift", "save-void"};
    for (int kind = 0; kind < 4; kind++) {
        Hourbank__Op op;
        void *storage[4];
        make_op(&op, kind, 0, storage);
        Hourbank__SaveRequest req;
        hourbank__save_request__init(&req);
        req.op = &op;
        Hourbank__Envelope env;
        set_body(&env, 10 + (uint64_t) kind, HOURBANK__ENVELOPE__BODY_SAVE, &req);
        emit(wire, names[kind], &env);
        emit(save, names[kind], &env);
    }
}

/* A save whose op is valid field by field but carries an unknown field of
 * more than HB_OP_BYTES_MAX bytes: refused since the station could not
 * store it (it used to abort in save_build). */
static void
emit_oversized_op(const char *save)
{
    Hourbank__Op op;
    void *storage[4];
    make_op(&op, 1, 0, storage);
    /* protobuf-c keeps an unknown field's bytes with their length prefix */
    static uint8_t junk[2 + UNKNOWN_FIELD_BYTES];
    _Static_assert(UNKNOWN_FIELD_BYTES >= 0x80 && UNKNOWN_FIELD_BYTES < 0x4000, "a two-byte varint length");
    junk[0] = (uint8_t) (0x80 | (UNKNOWN_FIELD_BYTES & 0x7F));
    junk[1] = (uint8_t) (UNKNOWN_FIELD_BYTES >> 7);
    memset(junk + 2, 'x', UNKNOWN_FIELD_BYTES);
    ProtobufCMessageUnknownField unknown = {UNKNOWN_FIELD, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, sizeof junk, junk};
    op.base.n_unknown_fields = 1;
    op.base.unknown_fields = &unknown;
    Hourbank__SaveRequest req;
    hourbank__save_request__init(&req);
    req.op = &op;
    Hourbank__Envelope env;
    set_body(&env, 20, HOURBANK__ENVELOPE__BODY_SAVE, &req);
    emit(save, "bad-save-op-too-large", &env);
}

static void
emit_batch_and_ack(const char *wire)
{
    Hourbank__Op ops[4];
    Hourbank__Op *ptrs[4];
    void *storage[4][4];
    for (int i = 0; i < 4; i++) {
        make_op(&ops[i], i, 5 + (uint64_t) i, storage[i]);
        ptrs[i] = &ops[i];
    }
    Hourbank__Batch batch;
    hourbank__batch__init(&batch);
    batch.n_ops = 4;
    batch.ops = ptrs;
    Hourbank__Envelope env;
    set_body(&env, 2, HOURBANK__ENVELOPE__BODY_BATCH, &batch);
    emit(wire, "batch", &env);

    Hourbank__OpResult results[4];
    Hourbank__OpResult *rptrs[4];
    for (int i = 0; i < 4; i++) {
        hourbank__op_result__init(&results[i]);
        results[i].seq = 5 + (uint64_t) i;
        results[i].result = i == 2 ? HOURBANK__RESULT__INSUFFICIENT_BALANCE : HOURBANK__RESULT__OK;
        results[i].message = i == 2 ? "the payer does not hold enough hours" : "";
        results[i].transfer_id = i == 2 ? 0 : 100 + (uint64_t) i;
        rptrs[i] = &results[i];
    }
    Hourbank__BatchAck ack;
    hourbank__batch_ack__init(&ack);
    ack.batch_result = HOURBANK__RESULT__OK;
    ack.high_water_mark = 8;
    ack.n_results = 4;
    ack.results = rptrs;
    set_body(&env, 2, HOURBANK__ENVELOPE__BODY_BATCH_ACK, &ack);
    emit(wire, "batch-ack", &env);
}

static void
emit_hello(const char *wire)
{
    Hourbank__Hello hello;
    hourbank__hello__init(&hello);
    hello.station_id = 1;
    hello.last_acked_seq = 4;
    hello.software = "hourbank-station 0.1.0";
    Hourbank__Envelope env;
    set_body(&env, 1, HOURBANK__ENVELOPE__BODY_HELLO, &hello);
    emit(wire, "hello", &env);
    env.version = HB_PROTOCOL_VERSION + 1;
    emit(wire, "bad-hello-version-2", &env);

    Hourbank__Welcome welcome;
    hourbank__welcome__init(&welcome);
    welcome.high_water_mark = 4;
    welcome.server_time = TIME_2024;
    welcome.directory_version = 3;
    welcome.time_zone = "Asia/Shanghai";
    set_body(&env, 1, HOURBANK__ENVELOPE__BODY_WELCOME, &welcome);
    emit(wire, "welcome", &env);
}

/* An embedded NUL: packed by hand, since protobuf-c packs C strings. */
static void
emit_embedded_nul(const char *wire)
{
    static const uint8_t bytes[] = {0x08, 0x01, 0x10, 0x01, 0x52, 0x06, 0x0a, 0x04, 'Q', 0x00, 'X', '0'};
    hb_wire_error_t err;
    Hourbank__Envelope *env = hb_wire_unpack(bytes, sizeof bytes, &err);
    FUZZ_CHECK(env == NULL, "embedded NUL accepted");
    write_seed(wire, "bad-embedded-nul", bytes, sizeof bytes);
}

static void
emit_queries(const char *wire, const char *save)
{
    Hourbank__Envelope env;
    Hourbank__BalanceQuery bq;
    hourbank__balance_query__init(&bq);
    bq.member_no = alice;
    set_body(&env, 3, HOURBANK__ENVELOPE__BODY_BALANCE_QUERY, &bq);
    emit(wire, "balance-query", &env);
    emit(save, "balance-query", &env);
    Hourbank__StatementQuery sq;
    hourbank__statement_query__init(&sq);
    sq.member_no = alice;
    sq.limit = 50;
    sq.before_id = 900;
    set_body(&env, 4, HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY, &sq);
    emit(wire, "statement-query", &env);
    emit(save, "statement-query", &env);
    Hourbank__MemberQuery mq;
    hourbank__member_query__init(&mq);
    mq.text = "Wang";
    set_body(&env, 5, HOURBANK__ENVELOPE__BODY_MEMBER_QUERY, &mq);
    emit(wire, "member-query", &env);
    emit(save, "member-query", &env);
    Hourbank__DirectoryQuery dq;
    hourbank__directory_query__init(&dq);
    dq.since_version = 2;
    dq.limit = 100;
    set_body(&env, 6, HOURBANK__ENVELOPE__BODY_DIRECTORY_QUERY, &dq);
    emit(wire, "directory-query", &env);
    Hourbank__QueueQuery qq;
    hourbank__queue_query__init(&qq);
    qq.rejected_only = 1;
    set_body(&env, 7, HOURBANK__ENVELOPE__BODY_QUEUE_QUERY, &qq);
    emit(wire, "queue-query", &env);
    emit(save, "queue-query", &env);
    Hourbank__DismissRequest dr;
    hourbank__dismiss_request__init(&dr);
    dr.seq = 3;
    set_body(&env, 8, HOURBANK__ENVELOPE__BODY_DISMISS, &dr);
    emit(wire, "dismiss", &env);
    emit(save, "dismiss", &env);
}

static void
emit_empty_queries(const char *wire, const char *save)
{
    Hourbank__Envelope env;
    Hourbank__CategoriesQuery cq;
    hourbank__categories_query__init(&cq);
    set_body(&env, 9, HOURBANK__ENVELOPE__BODY_CATEGORIES_QUERY, &cq);
    emit(wire, "categories-query", &env);
    emit(save, "categories-query", &env);
    Hourbank__StationsQuery stq;
    hourbank__stations_query__init(&stq);
    set_body(&env, 10, HOURBANK__ENVELOPE__BODY_STATIONS_QUERY, &stq);
    emit(wire, "stations-query", &env);
    Hourbank__VerifyQuery vq;
    hourbank__verify_query__init(&vq);
    set_body(&env, 11, HOURBANK__ENVELOPE__BODY_VERIFY_QUERY, &vq);
    emit(wire, "verify-query", &env);
}

static void
emit_member_replies(const char *wire)
{
    Hourbank__Member members[2];
    Hourbank__Member *ptrs[2] = {&members[0], &members[1]};
    for (int i = 0; i < 2; i++) {
        hourbank__member__init(&members[i]);
        members[i].member_no = i ? bob : alice;
        members[i].name = i ? "Li Wei" : "Wang Xiuying";
        members[i].role = i ? HOURBANK__ROLE__ELDER : HOURBANK__ROLE__VOLUNTEER;
        members[i].birth_year = i ? 1938 : 1958;
        members[i].family_of = i ? alice : "";
        members[i].balance_minutes = i ? -30 : 90;
        members[i].version = 4 + (uint64_t) i;
    }
    Hourbank__Envelope env;
    Hourbank__MemberReply mr;
    hourbank__member_reply__init(&mr);
    mr.n_members = 2;
    mr.members = ptrs;
    set_body(&env, 5, HOURBANK__ENVELOPE__BODY_MEMBER_REPLY, &mr);
    emit(wire, "member-reply", &env);
    Hourbank__DirectoryReply dr;
    hourbank__directory_reply__init(&dr);
    dr.n_members = 2;
    dr.members = ptrs;
    dr.version = 5;
    dr.more = 1;
    set_body(&env, 6, HOURBANK__ENVELOPE__BODY_DIRECTORY_REPLY, &dr);
    emit(wire, "directory-reply", &env);
    Hourbank__BalanceReply br;
    hourbank__balance_reply__init(&br);
    br.member_no = alice;
    br.balance_minutes = 90;
    br.pending_minutes = -30;
    br.as_of = TIME_2024;
    set_body(&env, 3, HOURBANK__ENVELOPE__BODY_BALANCE_REPLY, &br);
    emit(wire, "balance-reply", &env);
}

static void
emit_statement_reply(const char *wire)
{
    Hourbank__OpRef ref;
    hourbank__op_ref__init(&ref);
    ref.station_id = 1;
    ref.seq = 6;
    Hourbank__StatementEntry e;
    hourbank__statement_entry__init(&e);
    e.transfer_id = 101;
    e.posted_at = TIME_2024 + 60;
    e.occurred_at = TIME_2024;
    e.minutes = 90;
    e.counterparty = bob;
    e.kind = "service";
    e.category = "meal-delivery";
    e.op = &ref;
    Hourbank__StatementEntry *ptr = &e;
    Hourbank__StatementReply r;
    hourbank__statement_reply__init(&r);
    r.member_no = alice;
    r.n_entries = 1;
    r.entries = &ptr;
    r.next_before_id = 101;
    Hourbank__Envelope env;
    set_body(&env, 4, HOURBANK__ENVELOPE__BODY_STATEMENT_REPLY, &r);
    emit(wire, "statement-reply", &env);
}

static void
emit_station_replies(const char *wire)
{
    Hourbank__Envelope env;
    Hourbank__SaveReply sr;
    hourbank__save_reply__init(&sr);
    sr.seq = 12;
    sr.member_no = alice;
    set_body(&env, 10, HOURBANK__ENVELOPE__BODY_SAVE_REPLY, &sr);
    emit(wire, "save-reply", &env);
    Hourbank__QueuedOp q;
    hourbank__queued_op__init(&q);
    q.seq = 12;
    q.kind = "service";
    q.summary = "service 90m meal-delivery";
    q.saved_at = TIME_2024;
    q.result = HOURBANK__RESULT__UNKNOWN_MEMBER;
    q.message = "member not registered";
    Hourbank__QueuedOp *qp = &q;
    Hourbank__QueueReply qr;
    hourbank__queue_reply__init(&qr);
    qr.pending = 1;
    qr.rejected = 1;
    qr.oldest_pending_at = TIME_2024;
    qr.last_sync = TIME_2024 + 5;
    qr.link = "up";
    qr.n_ops = 1;
    qr.ops = &qp;
    qr.last_acked_seq = 11;
    qr.central_high_water_mark = 11;
    qr.time_zone = "Asia/Shanghai";
    set_body(&env, 7, HOURBANK__ENVELOPE__BODY_QUEUE_REPLY, &qr);
    emit(wire, "queue-reply", &env);
    Hourbank__TimeZoneQuery tq;
    hourbank__time_zone_query__init(&tq);
    set_body(&env, 12, HOURBANK__ENVELOPE__BODY_TIME_ZONE_QUERY, &tq);
    emit(wire, "time-zone-query", &env);
    Hourbank__TimeZoneReply tr;
    hourbank__time_zone_reply__init(&tr);
    tr.time_zone = "America/Argentina/Buenos_Aires";
    set_body(&env, 12, HOURBANK__ENVELOPE__BODY_TIME_ZONE_REPLY, &tr);
    emit(wire, "time-zone-reply", &env);
    Hourbank__ErrorReply er;
    hourbank__error_reply__init(&er);
    er.code = HOURBANK__RESULT__SEQ_GAP;
    er.message = "batch starts at seq 9, expected 5";
    set_body(&env, 2, HOURBANK__ENVELOPE__BODY_ERROR, &er);
    emit(wire, "error", &env);
}

static void
emit_admin_replies(const char *wire)
{
    Hourbank__Envelope env;
    Hourbank__Category cat;
    hourbank__category__init(&cat);
    cat.name = "companionship";
    cat.description = "visits and conversation";
    Hourbank__Category *cp = &cat;
    Hourbank__CategoriesReply cr;
    hourbank__categories_reply__init(&cr);
    cr.n_categories = 1;
    cr.categories = &cp;
    set_body(&env, 9, HOURBANK__ENVELOPE__BODY_CATEGORIES_REPLY, &cr);
    emit(wire, "categories-reply", &env);
    Hourbank__StationInfo st;
    hourbank__station_info__init(&st);
    st.station_id = 1;
    st.name = "Qingxi one";
    st.community = "QX03";
    st.last_contact = TIME_2024;
    st.high_water_mark = 8;
    st.active = 1;
    st.ops_accepted = 7;
    st.ops_rejected = 1;
    Hourbank__StationInfo *sp = &st;
    Hourbank__StationsReply sr;
    hourbank__stations_reply__init(&sr);
    sr.n_stations = 1;
    sr.stations = &sp;
    set_body(&env, 10, HOURBANK__ENVELOPE__BODY_STATIONS_REPLY, &sr);
    emit(wire, "stations-reply", &env);
    char *problems[] = {"account 7: balance differs from its transfers"};
    Hourbank__VerifyReply vr;
    hourbank__verify_reply__init(&vr);
    vr.ok = 0;
    vr.n_problems = 1;
    vr.problems = problems;
    vr.accounts = 12;
    vr.transfers = 40;
    vr.obligation_minutes = 900;
    set_body(&env, 11, HOURBANK__ENVELOPE__BODY_VERIFY_REPLY, &vr);
    emit(wire, "verify-reply", &env);
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fuzz_seeds WIRE_DIR SAVE_DIR\n");
        return 2;
    }
    FUZZ_CHECK(hb_memberno_format(alice, sizeof alice, "QX03", 127) == 0 &&
                   hb_memberno_format(bob, sizeof bob, "QX03", 128) == 0,
               "member numbers");
    emit_hello(argv[1]);
    emit_embedded_nul(argv[1]);
    emit_batch_and_ack(argv[1]);
    emit_saves(argv[1], argv[2]);
    emit_oversized_op(argv[2]);
    emit_queries(argv[1], argv[2]);
    emit_empty_queries(argv[1], argv[2]);
    emit_member_replies(argv[1]);
    emit_statement_reply(argv[1]);
    emit_station_replies(argv[1]);
    emit_admin_replies(argv[1]);
    return 0;
}
