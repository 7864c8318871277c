/* Rules fail closed (issue 12, item 2).
 *
 * (a) A member's district without rules in the rules version in force:
 *     written here by hand, as central recorded it when a configuration
 *     dropped a district before it refused that. Every op that touches
 *     such a member, account or station is refused NO_DISTRICT_RULES and
 *     posts nothing: a service (provider's or recipient's district), a
 *     gift, a void, a registration. Before, the floor, cap and daily limit
 *     vanished: the service below was accepted and the recipient went to
 *     -60 minutes. Ops of other districts go on.
 * (b) Central refuses a configuration that drops a district, a community
 *     or a station holding members or ops, naming the file:line:column of
 *     the list where it should be: on SIGHUP (the running configuration
 *     stays, and putting the entry back is accepted), and at start (central
 *     stops). Dropping a station that holds nothing is accepted. */
#include "hb_itest.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOG_WAIT_MS 10000
#define EXIT_WAIT_MS 10000
#define POLL_MS 50
#define YAML_BYTES 16384
#define WANT_BYTES (HB_PATH_BYTES_MAX + 1024)
#define STATIONS 8                 /* QX03, QX04 (GULOU), QH01, QH02 (QINHUAI) */

static hb_h_central_t central;

#define Q(n) hb_h_member("QX03", n)
#define H(n) hb_h_member("QH01", n)

static int
teardown(void **state)
{
    (void) state;
    if (central.pid > 0)
        hb_h_central_stop(&central, SIGKILL);
    return 0;
}

static void
send_expect(hb_h_client_t *cl, hb_h_batch_t *b, const int *want, size_t n)
{
    Hourbank__Envelope *ack = itest_send(cl, b);
    itest_expect(ack, want, n);
    hb_wire_free(&ack);
}

/* The ack's message for op i of the batch b (sent again: answers are final). */
static void
message_of(hb_h_client_t *cl, hb_h_batch_t *b, size_t i, char *out, size_t size)
{
    Hourbank__Envelope *ack = itest_send(cl, b);
    assert_true(i < ack->batch_ack->n_results);
    snprintf(out, size, "%s", itest_values(ack->batch_ack->results[i]));
    hb_wire_free(&ack);
}

/* A new rules version like the newest, without QINHUAI's rules. */
static void
drop_qinhuai_rules(PGconn *pg)
{
    static const char *const sql[] = {
        "BEGIN",
        "INSERT INTO rules_version (checksum, clock_skew_s, max_age_s, guarantee_budget)"
        " SELECT 'by hand: QINHUAI dropped', clock_skew_s, max_age_s, guarantee_budget FROM rules_version"
        " ORDER BY version DESC LIMIT 1",
        "INSERT INTO category (version, name, description) SELECT (SELECT max(version) FROM rules_version),"
        " name, description FROM category WHERE version = (SELECT max(version) - 1 FROM rules_version)",
        "INSERT INTO district_rule (version, district, floor, cap, overflow, daily_limit, gifts, time_zone)"
        " SELECT (SELECT max(version) FROM rules_version), district, floor, cap, overflow, daily_limit, gifts,"
        " time_zone FROM district_rule WHERE version = (SELECT max(version) - 1 FROM rules_version)"
        " AND district <> 'QINHUAI'",
        "INSERT INTO payer_rule (version, district, position, category, payer, min_age)"
        " SELECT (SELECT max(version) FROM rules_version), district, position, category, payer, min_age"
        " FROM payer_rule WHERE version = (SELECT max(version) - 1 FROM rules_version) AND district <> 'QINHUAI'",
        "COMMIT",
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++)
        assert_true(hb_h_pg_ok(pg, sql[i]));
}

/* ---- central.yaml as the harness wrote it, edited ---- */

static char original[YAML_BYTES];

/* The text with the lines from the one holding `from` up to (not
 * including) the one holding `to` removed (to NULL: to the end). */
static void
without(const char *from, const char *to, char *out, size_t size)
{
    const char *a = strstr(original, from);
    assert_non_null(a);
    while (a > original && a[-1] != '\n')
        a--;
    const char *b = to ? strstr(a + 1, to) : NULL;
    while (b && b > original && b[-1] != '\n')
        b--;
    size_t head = (size_t) (a - original), tail = b ? strlen(b) : 0;
    assert_true(head + tail < size);
    memcpy(out, original, head);
    memcpy(out + head, b ? b : "", tail);
    out[head + tail] = '\0';
}

/* "file:line:column: " of the block list that follows the first line
 * holding key after the text `after` (its first "-"), as the loader reports it. */
static void
list_mark(const char *text, const char *after, const char *key, char *out, size_t size)
{
    const char *from = strstr(text, after);
    assert_non_null(from);
    const char *k = strstr(from, key);
    assert_non_null(k);
    size_t line = 1;
    for (const char *p = text; p <= k; p++)
        line += *p == '\n';
    const char *next = strchr(k, '\n') + 1;
    size_t column = 1 + strspn(next, " ");
    snprintf(out, size, "%s:%zu:%zu: ", central.conf, line + 1, column);
}

static void
sighup(void)
{
    assert_int_equal(kill(central.pid, SIGHUP), 0);
}

/* ---- (a) ---- */

static void
fail_closed(PGconn *pg, hb_h_client_t *c1, hb_h_client_t *c3)
{
    int64_t now = (int64_t) time(NULL);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, H(1), "E", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_register(b, 2, H(2), "F", HOURBANK__ROLE__ELDER, 1962, NULL);
    hb_h_batch_register(b, 3, H(3), "G", HOURBANK__ROLE__ELDER, 1930, NULL);
    hb_h_batch_service(b, 4, now, H(1), H(3), 120, "companionship");  /* guarantee pays (85+): E=120 */
    hb_h_batch_service(b, 5, now, H(1), H(2), 60, "companionship");   /* F pays and holds 0 */
    const int before[] = {1, 1, 1, 1, HOURBANK__RESULT__INSUFFICIENT_BALANCE};
    send_expect(c3, b, before, 5);
    hb_h_batch_free(&b);
    b = hb_h_batch_new();
    hb_h_batch_register(b, 1, Q(1), "A", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_register(b, 2, Q(2), "B", HOURBANK__ROLE__ELDER, 1940, NULL);
    const int ok2[] = {1, 1};
    send_expect(c1, b, ok2, 2);
    hb_h_batch_free(&b);

    drop_qinhuai_rules(pg);
    assert_int_equal(hb_h_pg_int(pg, "SELECT max(version) FROM rules_version"), 2);
    b = hb_h_batch_new();
    hb_h_batch_service(b, 6, now, H(1), H(2), 60, "companionship");   /* floor, cap, limit: gone */
    hb_h_batch_gift(b, 7, now, H(1), H(2), 30);
    hb_h_batch_void(b, 8, now, 3, 4, "entered twice");
    hb_h_batch_register(b, 9, H(4), "H", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    hb_h_batch_service(b, 10, now, H(1), H(99), 60, "companionship"); /* identity checks still first */
    const int refused[] = {HOURBANK__RESULT__NO_DISTRICT_RULES, HOURBANK__RESULT__NO_DISTRICT_RULES,
                           HOURBANK__RESULT__NO_DISTRICT_RULES, HOURBANK__RESULT__NO_DISTRICT_RULES,
                           HOURBANK__RESULT__UNKNOWN_MEMBER};
    send_expect(c3, b, refused, 5);
    char msg[HB_MESSAGE_BYTES_MAX], want[HB_MESSAGE_BYTES_MAX];
    message_of(c3, b, 0, msg, sizeof msg);
    snprintf(want, sizeof want, "role=provider\nmember=%s\ndistrict=QINHUAI\nrules_version=2", H(1));
    assert_string_equal(msg, want);
    message_of(c3, b, 1, msg, sizeof msg);
    snprintf(want, sizeof want, "role=giver\nmember=%s\ndistrict=QINHUAI\nrules_version=2", H(1));
    assert_string_equal(msg, want);
    message_of(c3, b, 3, msg, sizeof msg);
    assert_string_equal(msg, "role=station\nstation=3\ndistrict=QINHUAI\nrules_version=2");
    hb_h_batch_free(&b);

    /* GULOU still has rules: its members serve each other; a QINHUAI recipient is refused */
    b = hb_h_batch_new();
    hb_h_batch_service(b, 3, now, Q(1), Q(2), 60, "personal-care");   /* guarantee pays (80+) */
    hb_h_batch_service(b, 4, now, Q(1), H(2), 10, "companionship");
    const int mixed[] = {1, HOURBANK__RESULT__NO_DISTRICT_RULES};
    send_expect(c1, b, mixed, 2);
    message_of(c1, b, 1, msg, sizeof msg);
    snprintf(want, sizeof want, "role=recipient\nmember=%s\ndistrict=QINHUAI\nrules_version=2", H(2));
    assert_string_equal(msg, want);
    hb_h_batch_free(&b);

    assert_int_equal(itest_balance(pg, H(1)), 120);
    assert_int_equal(itest_balance(pg, H(2)), 0);
    assert_int_equal(itest_balance(pg, Q(1)), 60);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM member WHERE community = 'QH01'"), 3);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM void_link"), 0);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM hb_verify()"), 0);
}

/* ---- (b) ---- */

static void
sighup_refused(PGconn *pg, const char *yaml, const char *want)
{
    int refused = hb_h_log_count(central.log, "reload refused");
    hb_h_write_file(central.conf, yaml);
    sighup();
    assert_true(hb_h_log_wait(central.log, "reload refused", refused + 1, LOG_WAIT_MS));
    if (hb_h_log_count(central.log, want) < 1)
        fail_msg("central's log lacks \"%s\"", want);
    assert_int_equal(waitpid(central.pid, NULL, WNOHANG), 0);  /* still running */
    assert_int_equal(hb_h_pg_int(pg, "SELECT max(version) FROM rules_version"), 2);
}

static void
refuse_drops_on_sighup(PGconn *pg, hb_h_client_t *c1)
{
    char yaml[YAML_BYTES], want[WANT_BYTES], at[HB_PATH_BYTES_MAX];

    without("  - code: QINHUAI", NULL, yaml, sizeof yaml);
    list_mark(yaml, "", "districts:", at, sizeof at);
    snprintf(want, sizeof want, "%sdistrict \"QINHUAI\" is missing from this list but holds members and"
                                " operations in the ledger: a district that holds members or operations must"
                                " stay in the file", at);
    sighup_refused(pg, yaml, want);

    without("      - code: QH01", "      - code: QH02", yaml, sizeof yaml);
    list_mark(yaml, "code: QINHUAI", "communities:", at, sizeof at);
    snprintf(want, sizeof want, "%scommunity \"QH01\" (district \"QINHUAI\") is missing from this list but holds"
                                " members and operations in the ledger", at);
    sighup_refused(pg, yaml, want);

    without("{id: 3,", "{id: 4,", yaml, sizeof yaml);
    list_mark(yaml, "- code: QH01", "stations:", at, sizeof at);
    snprintf(want, sizeof want, "%sstation 3 (community \"QH01\") is missing from this list but holds members and"
                                " operations in the ledger: a station that holds members or operations stays in"
                                " the file, retired with \"retired: true\"", at);
    sighup_refused(pg, yaml, want);

    /* still serving under the configuration in force */
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 5, (int64_t) time(NULL), Q(1), Q(2), 30, "personal-care");
    const int ok[] = {1};
    send_expect(c1, b, ok, 1);
    hb_h_batch_free(&b);

    /* a station that holds nothing may go; the file with everything is the way back */
    without("{id: 8,", NULL, yaml, sizeof yaml);
    hb_h_write_file(central.conf, yaml);
    sighup();
    assert_true(hb_h_log_wait(central.log, "configuration reloaded rules_version=3", 1, LOG_WAIT_MS));
    hb_h_write_file(central.conf, original);
    sighup();
    assert_true(hb_h_log_wait(central.log, "configuration reloaded rules_version=3", 2, LOG_WAIT_MS));
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM district_rule WHERE version = 3"), 2);
}

static void
refuse_drop_at_start(void)
{
    int st = hb_h_central_stop(&central, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char yaml[YAML_BYTES], want[WANT_BYTES], at[HB_PATH_BYTES_MAX];
    without("  - code: QINHUAI", NULL, yaml, sizeof yaml);
    list_mark(yaml, "", "districts:", at, sizeof at);
    snprintf(want, sizeof want, "%sdistrict \"QINHUAI\" is missing from this list but holds members", at);
    hb_h_write_file(central.conf, yaml);
    char bin[600];
    char *argv[] = {(char *) (uintptr_t) hb_h_bin("hourbank-central", bin, sizeof bin), "-c", central.conf,
                    "run", NULL};
    pid_t pid = hb_h_spawn(argv, central.log);
    int status = 0;
    pid_t done = 0;
    for (int waited = 0; done == 0 && waited < EXIT_WAIT_MS; waited += POLL_MS) {
        done = waitpid(pid, &status, WNOHANG);
        if (done == 0)
            usleep(POLL_MS * 1000);
    }
    if (done != pid) {
        hb_h_stop(pid, SIGKILL);
        fail_msg("hourbank-central started with a configuration that drops a district holding members");
    }
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    if (hb_h_log_count(central.log, want) < 1)
        fail_msg("central's log lacks \"%s\"", want);
}

static void
test_rules_fail_closed(void **state)
{
    (void) state;
    hb_h_central_init_stations(&central, "hb_itest_fail_closed", STATIONS);
    hb_h_read_file(central.conf, original, sizeof original);
    hb_h_central_start(&central);
    PGconn *pg = hb_h_pg(central.conninfo);
    hb_h_client_t *c1 = hb_h_central_client(&central, 1), *c3 = hb_h_central_client(&central, 3);
    assert_int_equal(hb_h_hello(c1, 1, 0), 0);
    assert_int_equal(hb_h_hello(c3, 3, 0), 0);
    fail_closed(pg, c1, c3);
    refuse_drops_on_sighup(pg, c1);
    hb_h_client_destroy(&c1);
    hb_h_client_destroy(&c3);
    refuse_drop_at_start();
    PQfinish(pg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_rules_fail_closed, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
