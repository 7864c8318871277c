/* Central's side of reconciliation (issue #17, proto/PROTOCOL.md
 * "Reconciliation"), driven directly as a station: acks carry the op
 * row's payload hash and posting day; ReconcileQuery answers figures equal
 * to what the test computes itself from the rows, lists ops, refuses an
 * admin key and overlapping ranges; a bucket is sealed with its 1,000th
 * op; a row deleted behind central's back is seen by the query, logged as
 * an ALERT and found by verify, and a resend fills it and seals again; a
 * report is recorded through the writer and shown in StationsReply. */
#include "hb_itest.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <sodium.h>

#include "hb_limits.h"

#define CALL_MS 10000
#define LOG_WAIT_MS 10000
#define DIGEST_BYTES crypto_hash_sha256_BYTES
#define BUCKET HB_RECONCILE_BUCKET_OPS

static hb_h_central_t central;

#define Q(n) hb_h_member("QX03", n)

static int
teardown(void **state)
{
    (void) state;
    if (central.pid > 0)
        hb_h_central_stop(&central, SIGKILL);
    return 0;
}

/* ---- what the test computes itself from the rows ---- */

typedef struct {
    uint32_t accepted, rejected;
    uint8_t digest[DIGEST_BYTES];
    size_t digest_len;  /* 0: no op */
} figures_t;

static void
be_bytes(uint8_t *out, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t) (v & 0xff);
}

static figures_t
rows_figures(PGconn *pg, uint32_t station, uint64_t first, uint64_t last)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT seq, encode(payload_hash, 'hex'), result FROM op WHERE station_id = %u"
             " AND seq BETWEEN %llu AND %llu ORDER BY seq", station, (unsigned long long) first,
             (unsigned long long) last);
    PGresult *r = PQexec(pg, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    figures_t f = {0};
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (int i = 0; i < PQntuples(r); i++) {
        uint8_t one[8 + 32 + 4];
        be_bytes(one, (uint64_t) strtoll(PQgetvalue(r, i, 0), NULL, 10), 8);
        assert_int_equal(sodium_hex2bin(one + 8, 32, PQgetvalue(r, i, 1), 64, NULL, NULL, NULL), 0);
        int result = atoi(PQgetvalue(r, i, 2));
        be_bytes(one + 40, (uint64_t) (uint32_t) result, 4);
        crypto_hash_sha256_update(&st, one, sizeof one);
        if (result == HOURBANK__RESULT__OK)
            f.accepted++;
        else
            f.rejected++;
    }
    if (PQntuples(r) > 0) {
        crypto_hash_sha256_final(&st, f.digest);
        f.digest_len = DIGEST_BYTES;
    }
    PQclear(r);
    return f;
}

static void
assert_figures(const Hourbank__ReconcileRange *got, const figures_t *want)
{
    assert_int_equal(got->accepted, want->accepted);
    assert_int_equal(got->rejected, want->rejected);
    assert_int_equal(got->digest.len, want->digest_len);
    if (want->digest_len)
        assert_memory_equal(got->digest.data, want->digest, DIGEST_BYTES);
}

/* ---- talking to central ---- */

typedef struct {
    uint64_t first, last;
    bool list;
} ask_t;

/* A ReconcileQuery of asks[0..n) (and report, may be NULL); the reply
 * envelope (an ErrorReply too), caller frees. */
static Hourbank__Envelope *
reconcile(hb_h_client_t *cl, const ask_t *asks, size_t n, Hourbank__ReconcileReport *report)
{
    Hourbank__ReconcileRange ranges[8], *ptrs[8];
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++) {
        hourbank__reconcile_range__init(&ranges[i]);
        ranges[i].first_seq = asks[i].first;
        ranges[i].last_seq = asks[i].last;
        ranges[i].list = asks[i].list;
        ptrs[i] = &ranges[i];
    }
    Hourbank__ReconcileQuery q;
    hourbank__reconcile_query__init(&q);
    q.ranges = ptrs;
    q.n_ranges = n;
    q.report = report;
    Hourbank__Envelope env;
    hourbank__envelope__init(&env);
    env.body_case = HOURBANK__ENVELOPE__BODY_RECONCILE_QUERY;
    env.reconcile_query = &q;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, CALL_MS);
    assert_non_null(r);
    return r;
}

static Hourbank__ReconcileReply *
reply_of(Hourbank__Envelope *r)
{
    if (r->body_case == HOURBANK__ENVELOPE__BODY_ERROR)
        fail_msg("error reply %d: %s", r->error->code, r->error->message);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_RECONCILE_REPLY);
    return r->reconcile_reply;
}

static void
expect_error(Hourbank__Envelope *r, int code)
{
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    assert_int_equal(r->error->code, code);
    hb_wire_free(&r);
}

/* Each result of ack against its op row: the hash and posting day. */
static void
expect_rows_in_ack(PGconn *pg, const Hourbank__BatchAck *ack)
{
    for (size_t i = 0; i < ack->n_results; i++) {
        const Hourbank__OpResult *res = ack->results[i];
        char sql[200], hex[2 * DIGEST_BYTES + 1], day[16];
        snprintf(sql, sizeof sql, "SELECT encode(payload_hash, 'hex') || ' ' || posted_day FROM op"
                 " WHERE station_id = 1 AND seq = %llu", (unsigned long long) res->seq);
        PGresult *r = PQexec(pg, sql);
        assert_int_equal(PQntuples(r), 1);
        assert_int_equal(sscanf(PQgetvalue(r, 0, 0), "%64s %15s", hex, day), 2);
        PQclear(r);
        assert_int_equal(res->payload_hash.len, DIGEST_BYTES);
        char got[2 * DIGEST_BYTES + 1];
        sodium_bin2hex(got, sizeof got, res->payload_hash.data, DIGEST_BYTES);
        assert_string_equal(got, hex);
        assert_string_equal(res->posted_day, day);
    }
}

/* ops seq first..last: gifts outside a family in GULOU, each refused
 * (GIFT_NOT_ALLOWED): a row each, no balance moves. */
static void
post_gifts(hb_h_client_t *cl, uint64_t first, uint64_t last)
{
    int64_t now = (int64_t) time(NULL);
    for (uint64_t s = first; s <= last;) {
        hb_h_batch_t *b = hb_h_batch_new();
        for (int i = 0; i < HB_BATCH_OPS_MAX && s <= last; i++, s++)
            hb_h_batch_gift(b, s, now, Q(1), Q(2), 1);
        Hourbank__Envelope *ack = itest_send(cl, b);
        assert_int_equal(ack->batch_ack->batch_result, HOURBANK__RESULT__OK);
        hb_wire_free(&ack);
        hb_h_batch_free(&b);
    }
}

static void
register_two(hb_h_client_t *cl, PGconn *pg)
{
    int64_t now = (int64_t) time(NULL);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, Q(1), "A", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_register(b, 2, Q(2), "B", HOURBANK__ROLE__ELDER, 1940, NULL);
    hb_h_batch_service(b, 3, now, Q(1), Q(2), 30, "personal-care");
    hb_h_batch_service(b, 4, now, Q(1), Q(2), 30, "no-such-category");
    Hourbank__Envelope *ack = itest_send(cl, b);
    const int want[] = {1, 1, 1, HOURBANK__RESULT__UNKNOWN_CATEGORY};
    itest_expect(ack, want, 4);
    expect_rows_in_ack(pg, ack->batch_ack);
    hb_wire_free(&ack);
    /* answered again from the stored rows: the same hash and day */
    ack = itest_send(cl, b);
    itest_expect(ack, want, 4);
    expect_rows_in_ack(pg, ack->batch_ack);
    hb_wire_free(&ack);
    hb_h_batch_free(&b);
    /* seq 3 again with other content: no row holds it, nothing is sent */
    b = hb_h_batch_new();
    hb_h_batch_service(b, 3, now, Q(1), Q(2), 45, "personal-care");
    ack = itest_send(cl, b);
    const int differs[] = {HOURBANK__RESULT__EXISTS_WITH_DIFFERENT_PAYLOAD};
    itest_expect(ack, differs, 1);
    assert_int_equal(ack->batch_ack->results[0]->payload_hash.len, 0);
    assert_string_equal(ack->batch_ack->results[0]->posted_day, "");
    hb_wire_free(&ack);
    hb_h_batch_free(&b);
}

/* Figures of [1, 1000] (listed) and [1001, 1010] against the rows. */
static void
figures_and_listing(hb_h_client_t *cl, PGconn *pg)
{
    const ask_t asks[] = {{1, BUCKET, true}, {BUCKET + 1, BUCKET + 10, false}};
    Hourbank__Envelope *r = reconcile(cl, asks, 2, NULL);
    Hourbank__ReconcileReply *rep = reply_of(r);
    assert_int_equal(rep->n_ranges, 2);
    assert_false(rep->recorded);
    figures_t f = rows_figures(pg, 1, 1, BUCKET);
    assert_int_equal(f.accepted, 3);
    assert_int_equal(f.rejected, 1);
    assert_int_equal(rep->ranges[0]->first_seq, 1);
    assert_int_equal(rep->ranges[0]->last_seq, BUCKET);
    assert_figures(rep->ranges[0], &f);
    assert_int_equal(rep->ranges[1]->accepted + rep->ranges[1]->rejected, 0);
    assert_int_equal(rep->ranges[1]->digest.len, 0);
    assert_int_equal(rep->n_ops, 4);  /* seqs 1-4 */
    const char *kinds[] = {"register", "register", "service", "service"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(rep->ops[i]->seq, i + 1);
        assert_string_equal(rep->ops[i]->kind, kinds[i]);
        assert_int_equal(rep->ops[i]->payload_hash.len, DIGEST_BYTES);
        assert_int_equal(strlen(rep->ops[i]->posted_day), 10);
    }
    assert_int_equal(rep->ops[3]->result, HOURBANK__RESULT__UNKNOWN_CATEGORY);
    hb_wire_free(&r);
}

static void
refusals(hb_h_client_t *cl)
{
    const ask_t overlap[] = {{1, 10, false}, {10, 20, false}};
    expect_error(reconcile(cl, overlap, 2, NULL), HOURBANK__RESULT__MALFORMED);
    const ask_t wide[] = {{1, BUCKET + 1, false}};
    expect_error(reconcile(cl, wide, 1, NULL), HOURBANK__RESULT__MALFORMED);
    hb_h_client_t *admin = hb_h_central_client(&central, 0);
    const ask_t one[] = {{1, 10, false}};
    expect_error(reconcile(admin, one, 1, NULL), HOURBANK__RESULT__NOT_AUTHORIZED);
    hb_h_client_destroy(&admin);
}

static void
test_acks_figures_refusals(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_reconcile_q", NULL, NULL, NULL);
    hb_h_central_start(&central);
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT hb_reconcile_bucket_ops()"), HB_RECONCILE_BUCKET_OPS);
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    register_two(cl, pg);
    figures_and_listing(cl, pg);
    refusals(cl);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM reconcile_bucket"), 0);
    hb_h_client_destroy(&cl);
    PQfinish(pg);
}

/* ---- buckets, a row deleted behind central's back, reports ---- */

static int64_t
sealed_matches_rows(PGconn *pg)
{
    return hb_h_pg_int(pg, "SELECT count(*) FROM reconcile_bucket b, hb_reconcile_figures(1, 1, 1000) f"
                           " WHERE b.station_id = 1 AND b.bucket = 0 AND (b.accepted, b.rejected, b.digest)"
                           " IS NOT DISTINCT FROM (f.accepted, f.rejected, f.digest)");
}

static void
seal_at_last_op(hb_h_client_t *cl, PGconn *pg)
{
    post_gifts(cl, 5, BUCKET - 1);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM reconcile_bucket"), 0);
    post_gifts(cl, BUCKET, BUCKET + 3);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM reconcile_bucket"), 1);
    assert_int_equal(hb_h_pg_int(pg, "SELECT accepted * 10000 + rejected FROM reconcile_bucket"
                                     " WHERE station_id = 1 AND bucket = 0"), 3 * 10000 + (BUCKET - 3));
    assert_int_equal(sealed_matches_rows(pg), 1);
}

/* Deleted as the superuser with triggers off (op is immutable). */
static void
delete_row_behind(hb_h_client_t *cl, PGconn *pg)
{
    assert_true(hb_h_pg_ok(pg, "SET session_replication_role = replica"));
    assert_true(hb_h_pg_ok(pg, "DELETE FROM op WHERE station_id = 1 AND seq = 500"));
    assert_true(hb_h_pg_ok(pg, "SET session_replication_role = origin"));
    const ask_t asks[] = {{1, BUCKET, false}};
    Hourbank__Envelope *r = reconcile(cl, asks, 1, NULL);
    Hourbank__ReconcileReply *rep = reply_of(r);
    figures_t f = rows_figures(pg, 1, 1, BUCKET);
    assert_int_equal(f.rejected, BUCKET - 4);
    assert_figures(rep->ranges[0], &f);
    hb_wire_free(&r);
    assert_true(hb_h_log_wait(central.log, "ALERT reconcile: rows of station 1 seqs 1-1000 differ from what"
                              " central posted", 1, LOG_WAIT_MS));
    assert_int_not_equal(hb_h_central_cmd(&central, "verify"), 0);
    assert_true(hb_h_log_wait(central.log, "station 1 seqs 1-1000: rows hold 3 accepted, 996 rejected", 1,
                              LOG_WAIT_MS));
    /* as if central had sealed the bucket while the row was lost (e.g. a
     * restore): only sealing it again when the resend fills the hole
     * makes the sealed figures those of the rows */
    assert_true(hb_h_pg_ok(pg, "UPDATE reconcile_bucket b SET (accepted, rejected, digest) = (SELECT * FROM"
                               " hb_reconcile_figures(1, 1, 1000)) WHERE station_id = 1 AND bucket = 0"));
    assert_int_equal(sealed_matches_rows(pg), 1);
    /* the station resends it: posted again, the bucket sealed again */
    post_gifts(cl, 500, 500);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 1 AND seq = 500"), 1);
    assert_int_equal(sealed_matches_rows(pg), 1);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
}

static Hourbank__StationInfo *
station_info(Hourbank__Envelope *r, uint32_t id)
{
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_STATIONS_REPLY);
    for (size_t i = 0; i < r->stations_reply->n_stations; i++)
        if (r->stations_reply->stations[i]->station_id == id)
            return r->stations_reply->stations[i];
    fail_msg("station %u not listed", id);
    return NULL;
}

static Hourbank__Envelope *
stations(void)
{
    hb_h_client_t *admin = hb_h_central_client(&central, 0);
    Hourbank__Envelope env;
    Hourbank__StationsQuery q;
    hourbank__envelope__init(&env);
    hourbank__stations_query__init(&q);
    env.body_case = HOURBANK__ENVELOPE__BODY_STATIONS_QUERY;
    env.stations_query = &q;
    Hourbank__Envelope *r = hb_h_client_call(admin, &env, CALL_MS);
    assert_non_null(r);
    hb_h_client_destroy(&admin);
    return r;
}

static void
report_recorded(hb_h_client_t *cl)
{
    Hourbank__Envelope *s = stations();
    assert_int_equal(station_info(s, 1)->reconciled_at, 0);
    hb_wire_free(&s);
    Hourbank__ReconcileReport rep;
    Hourbank__ReconcileDiff d, *dp = &d;
    hourbank__reconcile_report__init(&rep);
    hourbank__reconcile_diff__init(&d);
    d.seq = 777;
    d.what = HOURBANK__DISCREPANCY__ALTERED_AT_CENTRAL;
    d.kind = "gift";
    rep.first_seq = 1;
    rep.last_seq = BUCKET + 3;
    rep.ranges = 2;
    rep.ranges_differing = 1;
    rep.ops_here = BUCKET + 3;
    rep.ops_central = BUCKET + 3;
    rep.altered = 1;
    rep.diffs = &dp;
    rep.n_diffs = 1;
    for (int round = 1; round <= 2; round++) {
        Hourbank__Envelope *r = reconcile(cl, NULL, 0, &rep);
        Hourbank__ReconcileReply *reply = reply_of(r);
        assert_true(reply->recorded);
        assert_int_equal(reply->n_ranges, 0);
        hb_wire_free(&r);
        /* the first is an ALERT, the same findings again only a warning */
        assert_true(hb_h_log_wait(central.log, "reconcile: station 1 missing=0 resent=0 altered=1 extra=0 unanswered=0"
                                  " seqs altered 777", round, LOG_WAIT_MS));
    }
    assert_int_equal(hb_h_log_count(central.log, "ALERT reconcile: station 1 "), 1);
    s = stations();
    const Hourbank__StationInfo *st = station_info(s, 1);
    assert_true(st->reconciled_at > 0);
    assert_int_equal(st->reconciled_from, 1);
    assert_int_equal(st->reconciled_through, BUCKET + 3);
    assert_int_equal(st->reconcile_missing, 0);
    assert_int_equal(st->reconcile_altered, 1);
    assert_int_equal(st->reconcile_extra, 0);
    assert_int_equal(station_info(s, 2)->reconciled_at, 0);
    hb_wire_free(&s);
}

static void
test_buckets_and_reports(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_reconcile_b", NULL, NULL, NULL);
    hb_h_central_start(&central);
    PGconn *pg = hb_h_pg(central.conninfo);
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    register_two(cl, pg);
    seal_at_last_op(cl, pg);
    delete_row_behind(cl, pg);
    report_recorded(cl);
    hb_h_client_destroy(&cl);
    PQfinish(pg);
    int st = hb_h_central_stop(&central, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int
main(void)
{
    assert_int_equal(sodium_init() >= 0, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_acks_figures_refusals, teardown),
        cmocka_unit_test_teardown(test_buckets_and_reports, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
