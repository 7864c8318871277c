/* A save that commits after the client gave up is not doubled by the retry
 * (issue #11, item 4). The station is made slow the way a backup makes it
 * slow: the test holds the outbox's write lock (BEGIN IMMEDIATE on its own
 * connection), the station's save waits on its busy timeout, the client
 * times out and sends the same request (same request id) again, the lock
 * is released. Then:
 *   - exactly one op is stored; both answers name its seq, the second with
 *     repeated = true; a new request id saves a new op;
 *   - two saves with one id in the same burst (one group commit): stored once;
 *   - the real `hourbank` CLI against a station stalled past its timeout
 *     (HOURBANK_TIMEOUT_MS) says the record may have been saved, names
 *     `queue find --note` and `--request-id ID`, exits 75; re-running it
 *     with that id saves nothing new (the same seq);
 *   - queue show, queue find --note (with % and _), queue --changed and
 *     status, human and --json, against the real station;
 *   - at the end every op is in the outbox once and at central once. */
#include "hb_itest.h"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUT_BYTES (64 * 1024)
#define WORDS_MAX 32
/* The client's timeout: well inside the station's busy timeout (5 s), so
 * the save commits once the lock goes, after the client gave up. */
#define CLIENT_TIMEOUT_MS 1000
#define REPLY_WAIT_MS 10000
/* The CLI's reply timeout from the environment (client/shared/cli.h). */
#define TIMEOUT_ENV "HOURBANK_TIMEOUT_MS"

static hb_h_central_t central;
static hb_h_station_t station;
static char run_dir[512];
static char vol[32], eld[32];
/* ops saved at the station so far, all kinds: what the outbox must hold */
static int64_t g_saved;

/* ---- the outbox, from the test's side ---- */

static sqlite3 *g_lock;

/* Takes the outbox's write lock, as a backup with the sqlite3 tool would. */
static void
lock_outbox(void)
{
    assert_int_equal(sqlite3_open(station.outbox, &g_lock), SQLITE_OK);
    sqlite3_busy_timeout(g_lock, REPLY_WAIT_MS);
    assert_int_equal(sqlite3_exec(g_lock, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
}

static void
unlock_outbox(void)
{
    assert_int_equal(sqlite3_exec(g_lock, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(g_lock), SQLITE_OK);
    g_lock = NULL;
}

/* The first column of the one row of sql (an integer), on its own connection. */
static int64_t
outbox_int(const char *sql)
{
    return hb_h_sqlite_int(station.outbox, sql);
}

static void
outbox_exec(const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(station.outbox, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, REPLY_WAIT_MS);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* ---- save requests on a raw socket: every answer is seen ---- */

typedef struct {
    Hourbank__Envelope env;
    Hourbank__SaveRequest save;
    Hourbank__Op op;
    Hourbank__ServiceRecord svc;
    char note[HB_NOTE_BYTES_MAX + 1];
    char request_id[HB_REQUEST_ID_BYTES_MAX + 1];
} save_t;

/* A service vol -> eld, 30m personal care (the guarantee pays: eld is 80+). */
static Hourbank__Envelope *
service_request(save_t *s, const char *request_id, const char *note)
{
    hourbank__envelope__init(&s->env);
    hourbank__save_request__init(&s->save);
    hourbank__op__init(&s->op);
    hourbank__service_record__init(&s->svc);
    snprintf(s->note, sizeof s->note, "%s", note);
    snprintf(s->request_id, sizeof s->request_id, "%s", request_id);
    s->svc.provider = vol;
    s->svc.recipient = eld;
    s->svc.minutes = 30;
    s->svc.category = "personal-care";
    s->svc.note = s->note;
    s->op.occurred_at = (int64_t) time(NULL);
    s->op.kind_case = HOURBANK__OP__KIND_SERVICE;
    s->op.service = &s->svc;
    s->save.op = &s->op;
    s->save.request_id = s->request_id;
    s->env.version = HB_PROTOCOL_VERSION;
    s->env.body_case = HOURBANK__ENVELOPE__BODY_SAVE;
    s->env.save = &s->save;
    return &s->env;
}

/* Sends env with correlation id corr, without waiting. */
static void
send_as(hb_h_client_t *cl, Hourbank__Envelope *env, uint64_t corr)
{
    env->correlation_id = corr;
    size_t size = 0;
    uint8_t *data = hb_h_encode(env, &size);
    const void *frames[] = {data};
    const size_t sizes[] = {size};
    assert_int_equal(hb_h_client_send_raw(cl, frames, sizes, 1), 0);
    free(data);
}

/* The next n answers, by correlation id first..first+n-1 (any order). */
static void
collect(hb_h_client_t *cl, uint64_t first, size_t n, Hourbank__SaveReply out[])
{
    for (size_t got = 0; got < n; got++) {
        Hourbank__Envelope *r = hb_h_client_recv(cl, REPLY_WAIT_MS);
        assert_non_null(r);
        if (r->body_case != HOURBANK__ENVELOPE__BODY_SAVE_REPLY)
            fail_msg("answer %llu is not a SaveReply (body %d)", (unsigned long long) r->correlation_id,
                     (int) r->body_case);
        assert_true(r->correlation_id >= first && r->correlation_id < first + n);
        Hourbank__SaveReply *s = &out[r->correlation_id - first];
        assert_int_equal(s->seq, 0);  /* one answer per request */
        *s = *r->save_reply;
        s->member_no = NULL;          /* not kept past the envelope */
        hb_wire_free(&r);
    }
}

static int64_t
ops_with_id(const char *request_id)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM ops WHERE request_id = '%s'", request_id);
    return outbox_int(sql);
}

/* The seq of the op stored with request id. */
static int64_t
outbox_int_id_seq(const char *id)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT seq FROM ops WHERE request_id = '%s'", id);
    return outbox_int(sql);
}

/* ---- the real CLI ---- */

static int g_rc;
static char g_out[OUT_BYTES], g_err[OUT_BYTES];

/* Runs `hourbank words... -c station.yaml` with HOURBANK_TIMEOUT_MS set. */
static void
run_cli(const char *const *words)
{
    char bin[600];
    const char *argv[WORDS_MAX + 1];
    int argc = 0;
    argv[argc++] = hb_h_bin("hourbank", bin, sizeof bin);
    for (; *words && argc < WORDS_MAX - 3; words++)
        argv[argc++] = *words;
    argv[argc++] = "-c";
    argv[argc++] = station.conf;
    argv[argc] = NULL;
    g_rc = hb_h_run_capture(argv, run_dir, g_out, sizeof g_out, g_err, sizeof g_err);
}

#define CLI(...) run_cli((const char *const[]){__VA_ARGS__, NULL})

static void
expect_ok(void)
{
    if (g_rc != 0)
        fail_msg("exit %d\nstdout: %s\nstderr: %s", g_rc, g_out, g_err);
    assert_string_equal(g_err, "");
}

static void
out_has(const char *needle)
{
    if (!strstr(g_out, needle))
        fail_msg("stdout lacks \"%s\":\n%s", needle, g_out);
}

/* The integer value of the first "key" in a JSON document. */
static long long
json_int_of(const char *doc, const char *key)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(doc, pat);
    if (!p)
        fail_msg("no \"%s\" in:\n%s", key, doc);
    return strtoll(p + strlen(pat), NULL, 10);
}

static void
err_has(const char *needle)
{
    if (!strstr(g_err, needle))
        fail_msg("stderr lacks \"%s\":\n%s", needle, g_err);
}

/* ---- setup ---- */

static void
register_member(const char *name, int role, uint32_t born, const char *family, char *out)
{
    hb_h_client_t *cl = hb_h_station_client(&station);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", name, role, born, family);
    int code = 0;
    char msg[256];
    assert_true(hb_h_save(cl, hb_h_batch_op(b, 0), &code, out, msg, sizeof msg) > 0);
    g_saved++;
    hb_h_batch_free(&b);
    hb_h_client_destroy(&cl);
}

static int
setup(void **state)
{
    (void) state;
    setenv("TZ", "UTC", 1);
    snprintf(run_dir, sizeof run_dir, "%s", hb_h_tmpdir("hb_itest_save_retry"));
    hb_h_central_init(&central, "hb_itest_save_retry", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, 1, 0);
    hb_h_station_start(&station);
    register_member("Zhang Wei", HOURBANK__ROLE__VOLUNTEER, 1961, NULL, vol);
    register_member("Wang Xiuying", HOURBANK__ROLE__ELDER, 1936, vol, eld);
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    if (station.pid)
        hb_h_station_stop(&station, SIGTERM);
    if (central.pid)
        hb_h_central_stop(&central, SIGTERM);
    return 0;
}

/* ---- the scenarios ---- */

static void
test_save_commits_after_client_gave_up(void **state)
{
    (void) state;
    hb_h_client_t *cl = hb_h_station_client(&station);
    save_t s;
    Hourbank__Envelope *req = service_request(&s, "retry-1", "first visit, lock held");
    lock_outbox();
    send_as(cl, req, 101);
    /* the station is stuck on the lock: the client gives up */
    assert_null(hb_h_client_recv(cl, CLIENT_TIMEOUT_MS));
    send_as(cl, req, 102);  /* and sends the same request again */
    usleep(300 * 1000);
    assert_int_equal(ops_with_id("retry-1"), 0);  /* nothing committed while the lock is held */
    unlock_outbox();
    Hourbank__SaveReply a[2];
    memset(a, 0, sizeof a);
    collect(cl, 101, 2, a);
    g_saved++;
    /* the late answer to the first send and the answer to the resend name one op */
    assert_true(a[0].seq > 0);
    assert_false(a[0].repeated);
    assert_int_equal(a[1].seq, a[0].seq);
    assert_true(a[1].repeated);
    assert_int_equal(a[0].station_id, 1);
    assert_int_equal(a[1].station_id, 1);
    assert_int_equal(ops_with_id("retry-1"), 1);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT seq FROM ops WHERE request_id = 'retry-1' AND note = 'first visit, lock held'");
    assert_int_equal(outbox_int(sql), (int64_t) a[0].seq);
    /* another request id is another op, even with the same content */
    req = service_request(&s, "retry-2", "first visit, lock held");
    send_as(cl, req, 103);
    Hourbank__SaveReply b[1];
    memset(b, 0, sizeof b);
    collect(cl, 103, 1, b);
    g_saved++;
    assert_int_equal(b[0].seq, a[0].seq + 1);
    assert_false(b[0].repeated);
    assert_int_equal(outbox_int("SELECT count(*) FROM ops"), g_saved);
    hb_h_client_destroy(&cl);
}

static void
test_same_id_twice_in_one_group(void **state)
{
    (void) state;
    hb_h_client_t *cl = hb_h_station_client(&station);
    save_t s[4];
    Hourbank__Envelope *blocker = service_request(&s[0], "burst-0", "blocker");
    /* the twins share a group commit: of 3 (the blocker read alone first)
     * or of all 4 (on a loaded machine the blocker may not be read before
     * the others arrive); either way one op is stored for both */
    int groups = hb_h_log_count(station.log, "group commit saves=3 stored=2") +
                 hb_h_log_count(station.log, "group commit saves=4 stored=3");
    lock_outbox();
    send_as(cl, blocker, 201);
    usleep(300 * 1000);  /* the station has read it and waits for the lock */
    /* these arrive while it waits: it reads them in one burst, one group */
    send_as(cl, service_request(&s[1], "burst-1", "burst twin"), 202);
    send_as(cl, service_request(&s[2], "burst-1", "burst twin"), 203);
    send_as(cl, service_request(&s[3], "burst-2", "burst other"), 204);
    usleep(300 * 1000);
    unlock_outbox();
    Hourbank__SaveReply r[4];
    memset(r, 0, sizeof r);
    collect(cl, 201, 4, r);
    g_saved += 3;
    assert_false(r[0].repeated);
    assert_int_equal(r[1].seq, r[0].seq + 1);
    assert_false(r[1].repeated);
    assert_int_equal(r[2].seq, r[1].seq);  /* the twin: the same op */
    assert_true(r[2].repeated);
    assert_int_equal(r[3].seq, r[1].seq + 1);
    assert_false(r[3].repeated);
    int seen = groups;
    for (int i = 0; i < REPLY_WAIT_MS / 100 && seen == groups; i++) {
        seen = hb_h_log_count(station.log, "group commit saves=3 stored=2") +
               hb_h_log_count(station.log, "group commit saves=4 stored=3");
        if (seen == groups)
            usleep(100 * 1000);
    }
    assert_int_equal(seen, groups + 1);
    assert_int_equal(ops_with_id("burst-1"), 1);
    assert_int_equal(outbox_int("SELECT count(*) FROM ops"), g_saved);
    hb_h_client_destroy(&cl);
}

/* The id in "... --request-id ID: ..." of the CLI's error line. */
static void
printed_request_id(char out[HB_REQUEST_ID_BYTES_MAX + 1])
{
    const char *p = strstr(g_err, "--request-id ");
    assert_non_null(p);
    p += strlen("--request-id ");
    size_t n = strspn(p, "0123456789abcdef");
    assert_int_equal(n, 32);
    memcpy(out, p, n);
    out[n] = '\0';
}

static void
test_cli_against_stalled_station(void **state)
{
    (void) state;
    setenv(TIMEOUT_ENV, "700", 1);
    lock_outbox();  /* longer than the CLI waits (2 x 700 ms), shorter than the station's busy timeout */
    CLI("record", "--provider", vol, "--recipient", eld, "--duration", "45m", "--category", "personal-care", "--note",
        "tea with Mrs Wang");
    /* the lock is ours; reading still works in WAL mode: nothing committed */
    int64_t during = outbox_int("SELECT count(*) FROM ops WHERE note = 'tea with Mrs Wang'");
    unlock_outbox();
    assert_int_equal(during, 0);
    if (g_rc != 75)
        fail_msg("exit %d, want 75 (EX_TEMPFAIL)\nstdout: %s\nstderr: %s", g_rc, g_out, g_err);
    assert_string_equal(g_out, "");
    assert_true(strncmp(g_err, "hourbank: the record may have been saved: the station at ipc://", 63) == 0);
    err_has(" did not answer in time (sent 2 times, waited 700ms each); before entering it again, look for it with "
            "hourbank queue find --note 'tea with Mrs Wang' or hourbank queue; or run the same command again with "
            "--request-id ");
    err_has(": the station saves it at most once\n");
    char id[HB_REQUEST_ID_BYTES_MAX + 1], sql[256];
    printed_request_id(id);
    /* the station saved it after the CLI gave up: once; the second of the
     * two sends the CLI reported was answered as a repeat */
    for (int i = 0; i < 100 && ops_with_id(id) == 0; i++)
        usleep(50 * 1000);
    assert_int_equal(ops_with_id(id), 1);
    char repeat[HB_REQUEST_ID_BYTES_MAX + 128];
    snprintf(repeat, sizeof repeat, "save repeated, answered as before seq=%lld request_id=\"%s\"",
             (long long) outbox_int_id_seq(id), id);
    assert_true(hb_h_log_wait(station.log, repeat, 1, REPLY_WAIT_MS));
    g_saved++;
    snprintf(sql, sizeof sql, "SELECT seq FROM ops WHERE request_id = '%s'", id);
    int64_t seq = outbox_int(sql);
    /* what the operator is told to run finds it */
    CLI("queue", "find", "--note", "tea with Mrs Wang");
    expect_ok();
    char want[256];
    snprintf(want, sizeof want, "1 operation whose note contains \"tea with Mrs Wang\", newest first\n");
    assert_true(strncmp(g_out, want, strlen(want)) == 0);
    snprintf(want, sizeof want, "\n1:%lld  ", (long long) seq);
    out_has(want);
    /* the retry the operator is told to run saves nothing new */
    CLI("record", "--provider", vol, "--recipient", eld, "--duration", "45m", "--category", "personal-care", "--note",
        "tea with Mrs Wang", "--request-id", id);
    expect_ok();
    snprintf(want, sizeof want, "already saved as 1:%lld by an earlier attempt with this request id: nothing new was "
                                "saved (see hourbank queue show 1:%lld)\n  ", (long long) seq, (long long) seq);
    if (strncmp(g_out, want, strlen(want)) != 0)  /* then the record in words */
        fail_msg("does not begin with\n%s\n%s", want, g_out);
    CLI("record", "--provider", vol, "--recipient", eld, "--duration", "45m", "--category", "personal-care", "--note",
        "tea with Mrs Wang", "--request-id", id, "--json");
    expect_ok();
    snprintf(want, sizeof want, "\"seq\": %lld,\n  \"status\": \"pending\",\n  \"repeated\": true,\n",
             (long long) seq);
    out_has(want);
    assert_int_equal(ops_with_id(id), 1);
    assert_int_equal(outbox_int("SELECT count(*) FROM ops WHERE note = 'tea with Mrs Wang'"), 1);
    /* the same id for other work is refused, nothing stored */
    CLI("record", "--provider", vol, "--recipient", eld, "--duration", "50m", "--category", "personal-care",
        "--request-id", id);
    assert_int_equal(g_rc, 65);
    err_has("was used for other work");
    assert_int_equal(outbox_int("SELECT count(*) FROM ops"), g_saved);
    unsetenv(TIMEOUT_ENV);
}

static void
test_queue_show_find_changed(void **state)
{
    (void) state;
    /* notes with % and _ ; a decoy that LIKE '%50% off_peak%' would match */
    CLI("record", "--provider", vol, "--recipient", eld, "--duration", "1h", "--category", "personal-care", "--note",
        "50% off_peak visit");
    expect_ok();
    CLI("record", "--provider", vol, "--recipient", eld, "--duration", "1h", "--category", "personal-care", "--note",
        "5000 offXpeak visit");
    expect_ok();
    g_saved += 2;
    int64_t pct = outbox_int("SELECT seq FROM ops WHERE note = '50% off_peak visit'");
    CLI("queue", "find", "--note", "50% off_peak");
    expect_ok();
    char want[512];
    snprintf(want, sizeof want, "1 operation whose note contains \"50%% off_peak\", newest first\n");
    assert_true(strncmp(g_out, want, strlen(want)) == 0);
    assert_null(strstr(g_out, "offXpeak"));
    CLI("queue", "find", "--note", "_");
    expect_ok();
    assert_true(strncmp(g_out, "1 operation whose note contains \"_\"", 35) == 0);
    CLI("queue", "find", "--note", "visit", "--json");  /* newest first */
    expect_ok();
    const char *decoy = strstr(g_out, "\"note\": \"5000 offXpeak visit\""), *match = strstr(g_out, "\"note\": \"50% ");
    assert_non_null(decoy);
    assert_non_null(match);
    assert_true(decoy < match);
    out_has("\"note_contains\": \"visit\",\n  \"order\": \"newest_first\",\n  \"more\": false,\n");
    CLI("queue", "find", "--note", "no such words");
    expect_ok();
    assert_string_equal(g_out, "no operation held at this station has a note containing \"no such words\"\n");

    /* once central has answered: queue show of an accepted op */
    hb_h_client_t *cl = hb_h_station_client(&station);
    assert_true(hb_h_wait_drained(cl, 30));
    hb_h_client_destroy(&cl);
    char ref[32];
    snprintf(ref, sizeof ref, "1:%lld", (long long) pct);
    CLI("queue", "show", ref);
    expect_ok();
    snprintf(want, sizeof want, "op            %s\nkind          service\nsummary       %s \xE2\x86\x92 %s 1 h "
                                "personal-care\nnote          50%% off_peak visit\nstatus        accepted\nsaved  ",
             ref, vol, eld);
    assert_true(strncmp(g_out, want, strlen(want)) == 0);
    out_has("\nresult        OK (1)");
    out_has("\nrequest id    ");
    assert_null(strstr(g_out, "acknowledged  not yet"));
    assert_null(strstr(g_out, "\nchanged"));
    CLI("queue", "show", ref + 2, "--json");  /* the SEQ alone */
    expect_ok();
    out_has("\"status\": \"accepted\",\n  \"result\": null,\n  \"code\": null,\n  \"message\": null,\n"
            "  \"note\": \"50% off_peak visit\",\n  \"operator\": \"" HB_H_DEFAULT_OPERATOR "\",\n"
            "  \"params\": {},\n  \"acked_at\": \"20");
    out_has("\"dismissed\": false,\n  \"changed\": false,\n");
    CLI("queue", "show", "1:999999");
    assert_int_equal(g_rc, 66);
    err_has("station 1 has not saved seq 999999");
    CLI("queue", "show", "2:1");
    assert_int_equal(g_rc, 66);
    err_has("was saved at station 2, this is station 1");

    /* central, restored from an older dump, answered it differently when it
     * was resent: the resend path is another module's; here the columns are
     * set as it sets them */
    char sql[512];
    snprintf(sql, sizeof sql, "UPDATE ops SET prior_result = result, prior_message = message,"
                              " prior_transfer_id = transfer_id, changed_at = acked_at, result = 14,"
                              " message = 'the provider would pass the daily limit', transfer_id = 0 WHERE seq = %lld",
             (long long) pct);
    outbox_exec(sql);
    CLI("queue", "--changed");
    expect_ok();
    out_has("1 operation changed result when resent to central: see hourbank queue --changed\n");
    snprintf(want, sizeof want, "\n%s  ", ref);
    out_has(want);
    out_has(": central answered OK when first sent, DAILY_LIMIT_EXCEEDED: the provider would pass the daily limit "
            "when resent\n");
    CLI("queue", "--changed", "--json");
    expect_ok();
    assert_int_equal(json_int_of(g_out, "changed"), 1);
    out_has("\"changed\": true,\n      \"prior_result\": \"OK\",\n      \"prior_code\": 1,\n");
    CLI("queue", "show", ref);
    expect_ok();
    out_has("status        rejected, changed when resent\n");
    out_has("changed       central answered OK when first sent, DAILY_LIMIT_EXCEEDED: the provider would pass the "
            "daily limit when resent\n");
    CLI("status");
    expect_ok();
    out_has("\nchanged       1 operation changed result when resent to central (see hourbank queue --changed)\n");
    assert_null(strstr(g_out, "\nsaves "));
    CLI("status", "--json");
    expect_ok();
    out_has("\"changed\": 1,\n  \"alert\": null,\n  \"saves_blocked\": false\n}\n");
}

/* Nothing doubled, nothing lost: every op once in the outbox, once at central. */
static void
test_nothing_doubled_nothing_lost(void **state)
{
    (void) state;
    assert_int_equal(outbox_int("SELECT count(*) FROM ops"), g_saved);
    assert_int_equal(outbox_int("SELECT count(*) FROM (SELECT request_id FROM ops WHERE request_id IS NOT NULL"
                                " GROUP BY request_id HAVING count(*) > 1)"), 0);
    assert_int_equal(outbox_int("SELECT count(*) FROM ops WHERE request_id IS NOT NULL"), g_saved - 2);
    hb_h_client_t *cl = hb_h_station_client(&station);
    assert_true(hb_h_wait_drained(cl, 30));
    hb_h_client_destroy(&cl);
    PGconn *pg = hb_h_pg(central.conninfo);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE station_id = 1"), g_saved);
    assert_int_equal(hb_h_pg_int(pg, "SELECT max(seq) FROM op WHERE station_id = 1"), g_saved);
    PQfinish(pg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_commits_after_client_gave_up),
        cmocka_unit_test(test_same_id_twice_in_one_group),
        cmocka_unit_test(test_cli_against_stalled_station),
        cmocka_unit_test(test_queue_show_find_changed),
        cmocka_unit_test(test_nothing_doubled_nothing_lost),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
