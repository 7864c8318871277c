/* Issue 12, item 4, against a real hourbank-central and PostgreSQL: what
 * can never succeed is answered MALFORMED and final, and only the message
 * or op at fault is refused.
 *  - queries the database cannot take (statement since = 2^63-1,
 *    before_id = 2^63, directory since_version = 2^63) are MALFORMED, not
 *    UNAVAILABLE (which a client retries forever; that was the answer for
 *    a registered member's statement before the fix);
 *  - in a batch, an op that is not in canonical encoding (a note holding
 *    U+0000, which protobuf-c cuts) and an op with a bad member number are
 *    refused alone, recorded like any rejection (the resend gets the same
 *    answers), and the other ops post; an envelope that is itself not
 *    canonical is still refused whole;
 *  - a batch on a connection that has not said hello is refused whole
 *    (BatchAck NOT_AUTHORIZED, no results), and taken after a hello. */
#include "hb_itest.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define REPLY_MS 5000
/* What the note holds on the wire: '#' is turned into U+0000 in the bytes. */
#define NUL_NOTE "tea#and a chat"

static hb_h_central_t central;

#define Q(n) hb_h_member("QX03", n)

static int
setup(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_malformed", NULL, NULL, NULL);
    hb_h_central_start(&central);
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    int st = hb_h_central_stop(&central, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return 0;
}

/* ---- queries ---- */

static void
expect_query_malformed(hb_h_client_t *cl, Hourbank__Envelope *env, const char *needle)
{
    Hourbank__Envelope *r = hb_h_client_call(cl, env, REPLY_MS);
    assert_non_null(r);
    if (r->body_case != HOURBANK__ENVELOPE__BODY_ERROR)
        fail_msg("body %d, want an ErrorReply MALFORMED", (int) r->body_case);
    if (r->error->code != HOURBANK__RESULT__MALFORMED || !strstr(r->error->message, needle))
        fail_msg("code %d \"%s\", want MALFORMED with \"%s\"", (int) r->error->code, r->error->message, needle);
    hb_wire_free(&r);
}

static void
test_query_malformed(void **state)
{
    (void) state;
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    hb_h_batch_t *b = hb_h_batch_new();  /* a member whose statement is asked for */
    hb_h_batch_register(b, 1, Q(1), "Asked about", HOURBANK__ROLE__ELDER, 1940, NULL);
    Hourbank__Envelope *ack = itest_send(cl, b);
    const int ok[] = {HOURBANK__RESULT__OK};
    itest_expect(ack, ok, 1);
    hb_wire_free(&ack);
    hb_h_batch_free(&b);
    Hourbank__Envelope env;
    Hourbank__StatementQuery sq;
    hourbank__envelope__init(&env);
    hourbank__statement_query__init(&sq);
    char member[32];
    snprintf(member, sizeof member, "%s", Q(1));
    sq.member_no = member;
    sq.since = INT64_MAX;
    env.body_case = HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY;
    env.statement_query = &sq;
    expect_query_malformed(cl, &env, "statement_query.since=9223372036854775807 out of range");
    sq.since = 0;
    sq.before_id = (uint64_t) INT64_MAX + 1;
    expect_query_malformed(cl, &env, "statement_query.before_id=9223372036854775808 out of range");
    Hourbank__DirectoryQuery dq;
    hourbank__directory_query__init(&dq);
    dq.since_version = (uint64_t) INT64_MAX + 1;
    env.body_case = HOURBANK__ENVELOPE__BODY_DIRECTORY_QUERY;
    env.directory_query = &dq;
    expect_query_malformed(cl, &env, "directory_query.since_version=9223372036854775808 out of range");
    /* the largest values the database takes are answered */
    dq.since_version = INT64_MAX;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, REPLY_MS);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_DIRECTORY_REPLY);
    assert_int_equal(r->directory_reply->n_members, 0);
    hb_wire_free(&r);
    hb_h_client_destroy(&cl);
}

/* ---- ops refused alone ---- */

/* Station 2's batch: two members, a service whose note holds U+0000, a
 * registration with a wrong check digit, a good registration. Encoded with
 * the NUL patched in; caller frees. */
static uint8_t *
batch_with_nul(uint64_t corr, size_t *size)
{
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, Q(500001), "Volunteer", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_register(b, 2, Q(500002), "Elder", HOURBANK__ROLE__ELDER, 1935, NULL);
    hb_h_batch_service(b, 3, (int64_t) time(NULL), Q(500001), Q(500002), 60, "personal-care");
    static char note[] = NUL_NOTE;
    hb_h_batch_op(b, 2)->service->note = note;
    char bad[32];
    snprintf(bad, sizeof bad, "%s", Q(500003));
    bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';  /* a wrong check digit */
    hb_h_batch_register(b, 4, bad, "Mistyped", HOURBANK__ROLE__ELDER, 1940, NULL);
    hb_h_batch_register(b, 5, Q(500004), "Good", HOURBANK__ROLE__VOLUNTEER, 1962, NULL);
    Hourbank__Envelope *env = hb_h_batch_envelope(b);
    env->version = HB_PROTOCOL_VERSION;
    env->correlation_id = corr;
    uint8_t *data = hb_h_encode(env, size);
    hb_h_batch_free(&b);
    uint8_t *hash = memmem(data, *size, NUL_NOTE, strlen(NUL_NOTE));
    assert_non_null(hash);
    hash[strchr(NUL_NOTE, '#') - NUL_NOTE] = '\0';
    return data;
}

static Hourbank__Envelope *
send_bytes(hb_h_client_t *cl, const uint8_t *data, size_t size)
{
    const void *frames[] = {data};
    const size_t sizes[] = {size};
    assert_int_equal(hb_h_client_send_raw(cl, frames, sizes, 1), 0);
    Hourbank__Envelope *r = hb_h_client_recv(cl, REPLY_MS);
    assert_non_null(r);
    return r;
}

static void
test_ops_refused_alone(void **state)
{
    (void) state;
    hb_h_client_t *cl = hb_h_central_client(&central, 2);
    size_t size;
    uint8_t *data = batch_with_nul(77, &size);
    const int want[] = {HOURBANK__RESULT__OK, HOURBANK__RESULT__OK, HOURBANK__RESULT__MALFORMED,
                        HOURBANK__RESULT__BAD_MEMBER_NUMBER, HOURBANK__RESULT__OK};
    for (int attempt = 0; attempt < 2; attempt++) {  /* the answers are final */
        Hourbank__Envelope *ack = send_bytes(cl, data, size);
        if (ack->body_case == HOURBANK__ENVELOPE__BODY_ERROR)
            fail_msg("the whole batch was refused: %d %s", ack->error->code, ack->error->message);
        assert_int_equal(ack->correlation_id, 77);
        itest_expect(ack, want, 5);
        assert_non_null(strstr(itest_values(ack->batch_ack->results[2]), "op seq=3: op of "));
        assert_non_null(strstr(itest_values(ack->batch_ack->results[2]), "is not in canonical encoding"));
        assert_non_null(strstr(itest_values(ack->batch_ack->results[3]), "is not a valid member number"));
        assert_int_equal(ack->batch_ack->high_water_mark, 5);
        hb_wire_free(&ack);
    }
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 2"), 5);
    assert_int_equal(hb_h_pg_int(pg, "SELECT result FROM op WHERE station_id = 2 AND seq = 3"),
                     HOURBANK__RESULT__MALFORMED);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM member WHERE station_id = 2"), 3);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM transfer WHERE station_id = 2"), 0);
    PQfinish(pg);

    /* the envelope's own encoding is still checked whole: version given twice */
    uint8_t *twice = malloc(size + 2);
    assert_non_null(twice);
    memcpy(twice, data, size);
    twice[size] = 0x08;  /* field 1 (version), varint */
    twice[size + 1] = HB_PROTOCOL_VERSION;
    Hourbank__Envelope *r = send_bytes(cl, twice, size + 2);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    assert_int_equal(r->error->code, HOURBANK__RESULT__MALFORMED);
    assert_non_null(strstr(r->error->message, "is not in canonical encoding"));
    hb_wire_free(&r);
    free(twice);
    free(data);
    hb_h_client_destroy(&cl);
}

/* ---- hello first ---- */

static void
test_batch_before_hello(void **state)
{
    (void) state;
    hb_h_client_t *cl = hb_h_central_client_raw(&central, 3);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, hb_h_member("QH01", 1), "Early", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    Hourbank__Envelope *r = hb_h_client_call(cl, hb_h_batch_envelope(b), REPLY_MS);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_BATCH_ACK);
    assert_int_equal(r->batch_ack->batch_result, HOURBANK__RESULT__NOT_AUTHORIZED);
    assert_int_equal(r->batch_ack->n_results, 0);
    assert_non_null(strstr(r->batch_ack->message, "no hello on this connection"));
    hb_wire_free(&r);
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 3"), 0);
    /* the station recovers by saying hello */
    assert_int_equal(hb_h_hello(cl, 3, 0), 0);
    r = itest_send(cl, b);
    const int ok[] = {HOURBANK__RESULT__OK};
    itest_expect(r, ok, 1);
    hb_wire_free(&r);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 3"), 1);
    PQfinish(pg);
    hb_h_batch_free(&b);
    hb_h_client_destroy(&cl);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_malformed),
        cmocka_unit_test(test_ops_refused_alone),
        cmocka_unit_test(test_batch_before_hello),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
