/* Issue 12, item 9: an unreachable or silent query database cannot stall
 * central's hellos and acks beyond its timeouts; the query is answered
 * UNAVAILABLE.
 *
 * Central's queries run on the main thread that also answers hellos and
 * sends acks. central.yaml points its reader connection (query_database,
 * e.g. a hot standby) at:
 *  - a black hole: a TCP listener of this test that completes the
 *    handshake and never answers (libpq waits for the server's reply to
 *    its startup packet): query_connect_timeout_seconds bounds it;
 *  - the real database, whose reader backend is then stopped (SIGSTOP) so
 *    that it never answers a statement: the server's statement_timeout
 *    cannot fire in a stopped process, so central gives up on its own after
 *    query_statement_timeout_seconds and HB_QUERY_REPLY_GRACE_MS, and
 *    reconnects for the next query.
 * Meanwhile another station's hello and batch are answered within the
 * timeout plus SLACK_MS. Before the fix the keys did not exist and libpq
 * waited without a bound: one query stalled every station. */
#include "hb_itest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hb_clock.h"
#include "hb_limits.h"

#define CONNECT_TIMEOUT_S 2
#define STATEMENT_TIMEOUT_S 1
/* Room over a timeout for a loaded machine (process start, CURVE, commits). */
#define SLACK_MS 3000
#define REPLY_MS 15000
#define LISTEN_BACKLOG 8
#define MS_PER_S 1000

static hb_h_central_t central;
static int black_hole = -1;
static pid_t stopped_backend;

/* A TCP listener on loopback that never accepts; returns its port. */
static int
black_hole_open(void)
{
    black_hole = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(black_hole >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
    assert_int_equal(bind(black_hole, (struct sockaddr *) &a, sizeof a), 0);
    assert_int_equal(listen(black_hole, LISTEN_BACKLOG), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(black_hole, (struct sockaddr *) &a, &len), 0);
    return ntohs(a.sin_port);
}

/* Adds the reader's keys to central.yaml (top-level keys at the end). */
static void
configure_reader(const char *query_database)
{
    FILE *f = fopen(central.conf, "a");
    assert_non_null(f);
    fprintf(f, "query_database: \"%s\"\nquery_connect_timeout_seconds: %d\nquery_statement_timeout_seconds: %d\n",
            query_database, CONNECT_TIMEOUT_S, STATEMENT_TIMEOUT_S);
    fclose(f);
}

static int
teardown(void **state)
{
    (void) state;
    if (stopped_backend > 0)
        kill(stopped_backend, SIGCONT);
    stopped_backend = 0;
    if (central.pid > 0) {
        int st = hb_h_central_stop(&central, SIGTERM);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    if (black_hole >= 0)
        close(black_hole);
    black_hole = -1;
    return 0;
}

static void
send_balance_query(hb_h_client_t *cl, uint64_t corr)
{
    Hourbank__Envelope env;
    Hourbank__BalanceQuery q;
    hb_wire_envelope_init(&env, corr);
    hourbank__balance_query__init(&q);
    char member[32];
    snprintf(member, sizeof member, "%s", hb_h_member("QX03", 1));
    q.member_no = member;
    env.body_case = HOURBANK__ENVELOPE__BODY_BALANCE_QUERY;
    env.balance_query = &q;
    size_t size;
    uint8_t *data = hb_h_encode(&env, &size);
    const void *frames[] = {data};
    const size_t sizes[] = {size};
    assert_int_equal(hb_h_client_send_raw(cl, frames, sizes, 1), 0);
    free(data);
}

/* While station 1's query waits on the reader, station 2 says hello and
 * gets a batch acked within bound_ms of the query; the query is answered
 * UNAVAILABLE within bound_ms too. */
static void
expect_not_stalled(int64_t bound_ms, uint64_t seq)
{
    hb_h_client_t *asker = hb_h_central_client(&central, 1);
    int64_t start = hb_clock_ms();
    send_balance_query(asker, 7);
    usleep(100 * 1000);  /* the query is read first */
    hb_h_client_t *cl = hb_h_central_client_raw(&central, 2);
    assert_true(hb_h_hello(cl, 2, seq - 1) >= 0);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, seq, hb_h_member("QX03", 500000 + (uint32_t) seq), "Meanwhile", HOURBANK__ROLE__ELDER,
                        1940, NULL);
    Hourbank__Envelope *ack = itest_send(cl, b);
    int64_t acked_ms = hb_clock_ms() - start;
    const int ok[] = {HOURBANK__RESULT__OK};
    itest_expect(ack, ok, 1);
    hb_wire_free(&ack);
    hb_h_batch_free(&b);
    Hourbank__Envelope *r = hb_h_client_recv(asker, REPLY_MS);
    int64_t answered_ms = hb_clock_ms() - start;
    assert_non_null(r);
    print_message("hello and ack after %lld ms, query answered after %lld ms (bound %lld ms)\n",
                  (long long) acked_ms, (long long) answered_ms, (long long) bound_ms);
    assert_int_equal(r->correlation_id, 7);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    assert_int_equal(r->error->code, HOURBANK__RESULT__UNAVAILABLE);
    hb_wire_free(&r);
    assert_true(acked_ms < bound_ms);
    assert_true(answered_ms < bound_ms);
    hb_h_client_destroy(&cl);
    hb_h_client_destroy(&asker);
}

static void
test_black_hole(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_qtmo_hole", NULL, NULL, NULL);
    char conninfo[128];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%d dbname=hole user=hole", black_hole_open());
    configure_reader(conninfo);
    hb_h_central_start(&central);
    expect_not_stalled(CONNECT_TIMEOUT_S * MS_PER_S + SLACK_MS, 1);
    /* central waits before it tries again: the next query costs nothing */
    hb_h_client_t *asker = hb_h_central_client(&central, 1);
    int64_t start = hb_clock_ms();
    send_balance_query(asker, 8);
    Hourbank__Envelope *r = hb_h_client_recv(asker, REPLY_MS);
    assert_non_null(r);
    assert_int_equal(r->error->code, HOURBANK__RESULT__UNAVAILABLE);
    hb_wire_free(&r);
    print_message("next query answered after %lld ms\n", (long long) (hb_clock_ms() - start));
    hb_h_client_destroy(&asker);
    teardown(NULL);
}

/* The pid of central's reader backend, found by its application_name. */
static pid_t
reader_backend(void)
{
    PGconn *pg = hb_h_pg(central.conninfo);
    int64_t pid = hb_h_pg_int(pg, "SELECT coalesce(max(pid), 0) FROM pg_stat_activity"
                                  " WHERE application_name = 'hb_itest_reader'");
    PQfinish(pg);
    return (pid_t) pid;
}

static void
test_stopped_backend(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_qtmo_stop", NULL, NULL, NULL);
    char conninfo[1200];
    snprintf(conninfo, sizeof conninfo, "%s application_name=hb_itest_reader", central.conninfo);
    configure_reader(conninfo);
    hb_h_central_start(&central);
    hb_h_client_t *asker = hb_h_central_client(&central, 1);
    Hourbank__Envelope *r = hb_h_balance(asker, hb_h_member("QX03", 1), REPLY_MS);
    assert_non_null(r);  /* NOT_FOUND: the reader is connected and answers */
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    assert_int_equal(r->error->code, HOURBANK__RESULT__NOT_FOUND);
    hb_wire_free(&r);
    stopped_backend = reader_backend();
    assert_true(stopped_backend > 0);
    assert_int_equal(kill(stopped_backend, SIGSTOP), 0);
    expect_not_stalled(STATEMENT_TIMEOUT_S * MS_PER_S + HB_QUERY_REPLY_GRACE_MS + SLACK_MS, 1);
    kill(stopped_backend, SIGCONT);
    stopped_backend = 0;
    /* a new connection serves the next query */
    r = hb_h_balance(asker, hb_h_member("QX03", 1), REPLY_MS);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    assert_int_equal(r->error->code, HOURBANK__RESULT__NOT_FOUND);
    hb_wire_free(&r);
    hb_h_client_destroy(&asker);
    teardown(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_black_hole, teardown),
        cmocka_unit_test_teardown(test_stopped_backend, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
