/* Central's complete record (issue 13, server/RECORD.md), against a real
 * hourbank-central and PostgreSQL:
 * - a guarantee-paid service is stored with its recipient, payer, payer
 *   rule, rules version, operator, and the districts and local days
 *   stamped at posting; a donation posts and verify stays sound;
 * - personal data lives in member_profile only, and a registration's
 *   payload hash is not the plain hash of its bytes (it would let a guess
 *   of a name and a birth year be checked);
 * - a new profile version changes what queries return and what the rules
 *   read at once (the writer's cache follows it), while every ledger row
 *   and payload hash stays byte for byte the same;
 * - migration 0012 fills the record of a ledger written before it from
 *   what that ledger holds, and leaves unknown what it cannot know. */
#include "hb_itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <sodium.h>

static hb_h_central_t central;

#define Q(n) hb_h_member("QX03", (n))
#define OPERATOR "王芳"

static int
setup(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_record", NULL, NULL, NULL);
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

/* One text value of a query, "" for NULL; static ring of 4. */
static const char *
pg_text(PGconn *pg, const char *sql)
{
    static char bufs[4][512];
    static unsigned next;
    char *buf = bufs[next++ % 4];
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        fail_msg("query failed or not one row: %s\n%s", sql, PQresultErrorMessage(r));
    snprintf(buf, sizeof bufs[0], "%s", PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0));
    PQclear(r);
    return buf;
}

static const char *
op_field(PGconn *pg, uint32_t station, uint64_t seq, const char *expr)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT (%s)::text FROM op_record WHERE station_id = %u AND seq = %llu", expr,
             station, (unsigned long long) seq);
    return pg_text(pg, sql);
}

static void
set_operator(hb_h_batch_t *b, size_t i)
{
    hb_h_batch_op(b, i)->operator_ = (char *) OPERATOR;
}

static void
test_guarantee_paid_service_and_donation(void **state)
{
    (void) state;
    char sql[256];
    PGconn *pg = hb_h_pg(central.conninfo);
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    int64_t now = (int64_t) time(NULL);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, Q(1), "Zhou Min", HOURBANK__ROLE__VOLUNTEER, 1962, NULL);
    hb_h_batch_register(b, 2, Q(2), "Chen Lan", HOURBANK__ROLE__ELDER, 1931, NULL);
    hb_h_batch_op(b, 1)->register_member->phone = (char *) "025-8331 2201";
    int64_t registered_at = hb_h_batch_op(b, 1)->occurred_at;
    hb_h_batch_service(b, 3, now - 3600, Q(1), Q(2), 90, "personal-care");    /* 80+: the guarantee pays */
    hb_h_batch_op(b, 2)->service->note = (char *) "bath and hair";
    hb_h_batch_donation(b, 4, now, Q(1), 30, "for the pool");
    hb_h_batch_donation(b, 5, now, Q(1), 61, "more than held");
    hb_h_batch_service(b, 6, now, Q(2), Q(1), 15, "companionship");           /* the recipient pays */
    for (size_t i = 0; i < 6; i++)
        set_operator(b, i);
    const int want[] = {1, 1, 1, 1, HOURBANK__RESULT__INSUFFICIENT_BALANCE, 1};
    Hourbank__Envelope *ack = itest_send(cl, b);
    itest_expect(ack, want, 6);
    char refusal[256];
    snprintf(refusal, sizeof refusal, "role=donor\nmember=%s\nheld_minutes=60\nneeded_minutes=61", Q(1));
    assert_string_equal(itest_values(ack->batch_ack->results[4]), refusal);
    hb_wire_free(&ack);

    /* the guarantee-paid service: who served whom, who paid and why, who entered it */
    assert_string_equal(op_field(pg, 1, 3, "provider"), Q(1));
    assert_string_equal(op_field(pg, 1, 3, "recipient"), Q(2));
    assert_string_equal(op_field(pg, 1, 3, "payer"), "guarantee");
    assert_string_equal(op_field(pg, 1, 3, "payer_rule"),
                        pg_text(pg, "SELECT position::text FROM payer_rule WHERE district = 'GULOU'"
                                    " AND category = 'personal-care' AND version = (SELECT max(version)"
                                    " FROM rules_version)"));
    assert_string_equal(op_field(pg, 1, 3, "rules_version"), pg_text(pg, "SELECT max(version)::text FROM rules_version"));
    assert_string_equal(op_field(pg, 1, 3, "operator"), OPERATOR);
    assert_string_equal(op_field(pg, 1, 3, "category"), "personal-care");
    assert_string_equal(op_field(pg, 1, 3, "minutes"), "90");
    assert_string_equal(op_field(pg, 1, 3, "note"), "bath and hair");
    assert_string_equal(op_field(pg, 1, 3, "member_district"), "GULOU");
    assert_string_equal(op_field(pg, 1, 3, "counterpart_district"), "GULOU");
    assert_string_equal(op_field(pg, 1, 3, "payer_district"), "");   /* the guarantee is city-wide */
    char day[16];
    time_t t = (time_t) (now - 3600);
    struct tm tm;
    gmtime_r(&t, &tm);                                                  /* the harness city's zone is UTC */
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    assert_string_equal(op_field(pg, 1, 3, "service_day"), day);
    assert_string_equal(op_field(pg, 1, 3, "posted_day"),
                        pg_text(pg, "SELECT (now() AT TIME ZONE 'UTC')::date::text"));
    /* the recipient-paid service and the donation */
    assert_string_equal(op_field(pg, 1, 6, "payer"), Q(1));
    assert_string_equal(op_field(pg, 1, 6, "payer_rule"), "");
    assert_string_equal(op_field(pg, 1, 6, "payer_district"), "GULOU");
    assert_string_equal(op_field(pg, 1, 4, "donor"), Q(1));
    assert_string_equal(op_field(pg, 1, 4, "note"), "for the pool");
    assert_string_equal(op_field(pg, 1, 4, "payer"), Q(1));
    assert_string_equal(pg_text(pg, "SELECT kind || ' ' || minutes || ' to ' || credit_account FROM transfer"
                                    " WHERE station_id = 1 AND seq = 4"),
                        "donation 30 to 2");
    assert_int_equal(itest_balance(pg, Q(1)), 90 - 30 - 15);   /* earned, donated, paid */
    assert_string_equal(op_field(pg, 1, 5, "payer"), "");             /* refused: nothing paid */
    assert_string_equal(op_field(pg, 1, 5, "params"), refusal);
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    /* verify reads the record against the transfers: a record altered behind
     * central's back (the superuser, triggers off) is a problem, put back it is not */
    static const char *const alter[] = {"UPDATE op SET minutes = 91 WHERE station_id = 1 AND seq = 3",
                                        "UPDATE op SET minutes = 90 WHERE station_id = 1 AND seq = 3"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(sql, sizeof sql, "ALTER TABLE op DISABLE TRIGGER op_immutable; %s;"
                                  " ALTER TABLE op ENABLE TRIGGER op_immutable", alter[i]);
        assert_true(hb_h_pg_ok(pg, sql));
        assert_int_equal(hb_h_central_cmd(&central, "verify") != 0, i == 0);
    }

    /* personal data: in the profile, nowhere in the ledger rows */
    snprintf(sql, sizeof sql, "SELECT name || ' ' || birth_year || ' ' || phone FROM member_profile"
                              " WHERE member_no = '%s'", Q(2));
    assert_string_equal(pg_text(pg, sql), "Chen Lan 1931 025-8331 2201");
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM information_schema.columns WHERE table_name IN"
                                     " ('member', 'op', 'transfer') AND column_name IN ('name', 'birth_year',"
                                     " 'phone', 'family_of')"), 0);
    /* a registration's hash is not the plain hash of its bytes, which hold the name */
    hb_h_batch_t *again = hb_h_batch_new();
    hb_h_batch_register(again, 2, Q(2), "Chen Lan", HOURBANK__ROLE__ELDER, 1931, NULL);
    hb_h_batch_op(again, 0)->register_member->phone = (char *) "025-8331 2201";
    hb_h_batch_op(again, 0)->occurred_at = registered_at;
    set_operator(again, 0);
    uint8_t plain[HB_WIRE_HASH_BYTES];
    char hex[2 * HB_WIRE_HASH_BYTES + 1];
    hb_wire_op_hash_plain(hb_h_batch_op(again, 0), plain);
    sodium_bin2hex(hex, sizeof hex, plain, sizeof plain);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM op WHERE payload_hash = '\\x%s'", hex);
    assert_int_equal(hb_h_pg_int(pg, sql), 0);
    /* ... and still tells the same registration (resent: its stored answer) from another */
    const int same[] = {1};
    ack = itest_send(cl, again);
    itest_expect(ack, same, 1);
    hb_wire_free(&ack);
    hb_h_batch_op(again, 0)->register_member->name = (char *) "Chen Lin";
    const int other[] = {HOURBANK__RESULT__EXISTS_WITH_DIFFERENT_PAYLOAD};
    ack = itest_send(cl, again);
    itest_expect(ack, other, 1);
    hb_wire_free(&ack);
    hb_h_batch_free(&again);
    hb_h_batch_free(&b);

    /* a void refused for the floor names the member, also when its target
     * was posted in the same group (no transfer row was read for it) */
    b = hb_h_batch_new();
    hb_h_batch_register(b, 7, Q(3), "Wu Ying", HOURBANK__ROLE__ELDER, 1930, NULL);
    hb_h_batch_service(b, 8, now, Q(1), Q(3), 30, "personal-care");    /* Q(1): 45 + 30 */
    hb_h_batch_donation(b, 9, now, Q(1), 75, "all of it");
    hb_h_batch_void(b, 10, now, 1, 8, "entered twice");
    const int floor[] = {1, 1, 1, HOURBANK__RESULT__INSUFFICIENT_BALANCE};
    ack = itest_send(cl, b);
    itest_expect(ack, floor, 4);
    snprintf(refusal, sizeof refusal, "role=credited\nmember=%s\nheld_minutes=0\nneeded_minutes=30", Q(1));
    assert_string_equal(itest_values(ack->batch_ack->results[3]), refusal);
    hb_wire_free(&ack);
    hb_h_batch_free(&b);
    hb_h_client_destroy(&cl);
    PQfinish(pg);
}

/* The member as central's MemberQuery answers it. */
static void
query_member(hb_h_client_t *cl, const char *no, char *name, size_t size, uint32_t *birth_year)
{
    Hourbank__Envelope env;
    Hourbank__MemberQuery q;
    hb_wire_envelope_init(&env, 7);
    hourbank__member_query__init(&q);
    q.member_no = (char *) (uintptr_t) no;
    env.body_case = HOURBANK__ENVELOPE__BODY_MEMBER_QUERY;
    env.member_query = &q;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 10000);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_MEMBER_REPLY);
    assert_int_equal(r->member_reply->n_members, 1);
    snprintf(name, size, "%s", r->member_reply->members[0]->name);
    *birth_year = r->member_reply->members[0]->birth_year;
    hb_wire_free(&r);
}

/* Every ledger row and hash, as text, in one digest. */
#define LEDGER_DIGEST                                                                                          \
    "SELECT md5(coalesce((SELECT string_agg(o::text, '|' ORDER BY station_id, seq) FROM op o), '')"         \
    " || coalesce((SELECT string_agg(t::text, '|' ORDER BY id) FROM transfer t), '')"                       \
    " || coalesce((SELECT string_agg(m::text, '|' ORDER BY member_no) FROM member m), ''))"

static void
test_amended_profile(void **state)
{
    (void) state;
    PGconn *pg = hb_h_pg(central.conninfo);
    hb_h_client_t *cl = hb_h_central_client(&central, 2);
    int64_t now = (int64_t) time(NULL);
    const char *v = hb_h_member("QX03", 500001), *e = hb_h_member("QX03", 500002);
    char vno[32], eno[32];
    snprintf(vno, sizeof vno, "%s", v);
    snprintf(eno, sizeof eno, "%s", e);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, vno, "Sun Li", HOURBANK__ROLE__VOLUNTEER, 1965, NULL);
    hb_h_batch_register(b, 2, eno, "Gao Mei", HOURBANK__ROLE__ELDER, 1950, NULL);
    hb_h_batch_service(b, 3, now, vno, eno, 60, "personal-care");  /* 76: the recipient pays, holds 0 */
    const int first[] = {1, 1, HOURBANK__RESULT__INSUFFICIENT_BALANCE};
    Hourbank__Envelope *ack = itest_send(cl, b);
    itest_expect(ack, first, 3);
    hb_wire_free(&ack);
    hb_h_batch_free(&b);
    char name[64];
    uint32_t year = 0;
    query_member(cl, eno, name, sizeof name, &year);
    assert_string_equal(name, "Gao Mei");
    assert_int_equal(year, 1950);

    /* the birth year was typed wrong: a new profile version (what #15's
     * amend op will write), straight into the database */
    char digest[64];
    snprintf(digest, sizeof digest, "%s", pg_text(pg, LEDGER_DIGEST));
    char sql[512];
    snprintf(sql, sizeof sql, "INSERT INTO member_profile (member_no, version, name, birth_year)"
                              " VALUES ('%s', 2, 'Gao Meiling', 1940)", eno);
    assert_true(hb_h_pg_ok(pg, sql));
    assert_string_equal(pg_text(pg, LEDGER_DIGEST), digest);   /* ledger rows and hashes untouched */
    query_member(cl, eno, name, sizeof name, &year);
    assert_string_equal(name, "Gao Meiling");
    assert_int_equal(year, 1940);

    /* the writer reads the version in force: now 86, the guarantee pays */
    b = hb_h_batch_new();
    hb_h_batch_service(b, 4, now, vno, eno, 60, "personal-care");
    const int second[] = {1};
    ack = itest_send(cl, b);
    itest_expect(ack, second, 1);
    hb_wire_free(&ack);
    hb_h_batch_free(&b);
    assert_string_equal(op_field(pg, 2, 4, "payer"), "guarantee");
    assert_string_equal(op_field(pg, 2, 3, "params"),   /* the earlier refusal stays as it was */
                        pg_text(pg, "SELECT format(E'role=recipient\\nmember=%s\\nheld_minutes=0"
                                    "\\nneeded_minutes=60', member_no) FROM member WHERE seq = 2 AND station_id = 2"));
    assert_int_equal(hb_h_central_cmd(&central, "verify"), 0);
    hb_h_client_destroy(&cl);
    PQfinish(pg);
}

/* ---- migration 0012 over a ledger written before it ---- */

static char *
read_migration(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/server/migrations/%s", getenv("HB_SOURCE_DIR"), name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    char *sql = malloc((size_t) n + 1);
    assert_non_null(sql);
    assert_int_equal(fread(sql, 1, (size_t) n, f), (size_t) n);
    sql[n] = '\0';
    fclose(f);
    return sql;
}

static const char *const BEFORE_0012[] = {
    "0001_ledger.sql", "0002_posting.sql", "0003_op_rejection.sql", "0004_system_deltas.sql",
    "0005_member_serials.sql", "0006_fewer_statements.sql", "0007_member_immutable.sql",
    "0008_refused_registrations.sql", "0010_rules_fail_closed_local_days.sql", "0011_directory_changes.sql",
};

/* The configuration central would record, by hand: GULOU with QX03 and
 * station 1, guarantee paying personal care for 80+. */
static const char SEED_RULES[] =
    "INSERT INTO district (code, name) VALUES ('GULOU', 'Gulou');"
    "INSERT INTO community (code, district, name) VALUES ('QX03', 'GULOU', 'Qingxi');"
    "INSERT INTO station (id, community, name, public_key) VALUES (1, 'QX03', 'one', 'k');"
    "INSERT INTO rules_version (version, checksum, clock_skew_s, max_age_s, guarantee_budget)"
    " VALUES (1, 'x', 600, 2592000, 600000);"
    "INSERT INTO district_rule (version, district, floor, cap, overflow, daily_limit, gifts, time_zone)"
    " VALUES (1, 'GULOU', 0, 90000, 'reject', 720, 'any', 'Asia/Shanghai');"
    "INSERT INTO payer_rule (version, district, position, category, payer, min_age)"
    " VALUES (1, 'GULOU', 0, 'personal-care', 'guarantee', 80);"
    "INSERT INTO category (version, name) VALUES (1, 'personal-care'), (1, 'companionship');";

/* Ops through 0011's hb_apply_op, as central applied them then. */
static void
seed_op(PGconn *pg, int seq, const char *kind, const char *a, const char *b, int minutes, const char *text,
        const char *note, int target_seq)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "BEGIN; SELECT hb_apply_op(1, %d, '\\x%064d', '%s', extract(epoch FROM now())::bigint"
                              " - 60, '%s', '%s', %d, '%s', '%s', 1::smallint, %d, %d, %d);"
                              " SELECT hb_flush_system(); COMMIT",
             seq, seq, kind, a, b, minutes, text, note, strcmp(text, "Chen Lan") == 0 ? 1931 : 1962,
             target_seq ? 1 : 0, target_seq);
    assert_true(hb_h_pg_ok(pg, sql));
}

static void
test_migration_fills_the_record(void **state)
{
    (void) state;
    PGconn *pg = hb_h_pg(hb_h_conninfo(hb_h_createdb("hb_itest_record_0012")));
    for (size_t i = 0; i < sizeof BEFORE_0012 / sizeof BEFORE_0012[0]; i++) {
        char *sql = read_migration(BEFORE_0012[i]);
        if (!hb_h_pg_ok(pg, sql))
            fail_msg("%s: %s", BEFORE_0012[i], PQerrorMessage(pg));
        free(sql);
    }
    assert_true(hb_h_pg_ok(pg, SEED_RULES));
    char v[32], e[32];
    snprintf(v, sizeof v, "%s", Q(1));
    snprintf(e, sizeof e, "%s", Q(2));
    seed_op(pg, 1, "register", v, "", 0, "Zhou Min", "", 0);
    seed_op(pg, 2, "register", e, v, 0, "Chen Lan", "", 0);
    seed_op(pg, 3, "service", v, e, 90, "personal-care", "bath", 0);     /* the guarantee pays */
    seed_op(pg, 4, "service", e, v, 30, "companionship", "", 0);         /* Zhou Min pays */
    seed_op(pg, 5, "gift", v, e, 10, "", "birthday", 0);
    seed_op(pg, 6, "void", "", "", 0, "", "entered twice", 5);
    seed_op(pg, 7, "service", v, e, 5000, "personal-care", "", 0);       /* refused: too long */
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE result = 1"), 6);

    char *sql = read_migration("0012_complete_record.sql");
    if (!hb_h_pg_ok(pg, sql))
        fail_msg("0012: %s", PQerrorMessage(pg));
    free(sql);
    /* what the transfers tell; a guarantee-paid service never stored its recipient */
    char want[256];
    snprintf(want, sizeof want, "%s ? guarantee 90 personal-care bath GULOU", v);
    assert_string_equal(pg_text(pg, "SELECT concat_ws(' ', provider, coalesce(recipient, '?'), payer, minutes,"
                                    " category, note, member_district) FROM op_record WHERE seq = 3"), want);
    snprintf(want, sizeof want, "%s %s %s 30 companionship GULOU GULOU", e, v, v);
    assert_string_equal(pg_text(pg, "SELECT concat_ws(' ', provider, recipient, payer, minutes, category,"
                                    " member_district, payer_district) FROM op_record WHERE seq = 4"), want);
    snprintf(want, sizeof want, "%s %s %s 10 birthday", v, e, v);
    assert_string_equal(pg_text(pg, "SELECT concat_ws(' ', giver, receiver, payer, minutes, note)"
                                    " FROM op_record WHERE seq = 5"), want);
    assert_string_equal(pg_text(pg, "SELECT concat_ws(' ', target_station, target_seq, note)"
                                    " FROM op_record WHERE seq = 6"), "1 5 entered twice");
    assert_string_equal(pg_text(pg, "SELECT registered FROM op_record WHERE seq = 2"), e);
    /* what it cannot know stays unknown */
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE operator IS NOT NULL"), 0);
    assert_string_equal(pg_text(pg, "SELECT concat_ws(' ', member, minutes, payer) FROM op WHERE seq = 7"), "");
    assert_true(strstr(pg_text(pg, "SELECT message FROM op WHERE seq = 7"), "1..1440") != NULL);
    /* days in the district's zone, from the rows' own times */
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE service_day = (occurred_at AT TIME ZONE"
                                     " 'Asia/Shanghai')::date AND posted_day = (received_at AT TIME ZONE"
                                     " 'Asia/Shanghai')::date"), 7);
    /* personal data moved into profiles, the family link with it */
    snprintf(want, sizeof want, "Chen Lan 1931 {%s}", v);
    assert_string_equal(pg_text(pg, "SELECT concat_ws(' ', name, birth_year, family) FROM member_now"
                                    " WHERE seq = 2"), want);
    assert_int_equal(hb_h_pg_int(pg, "SELECT count(*) FROM hb_verify()"), 0);
    PQfinish(pg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guarantee_paid_service_and_donation),
        cmocka_unit_test(test_amended_profile),
        cmocka_unit_test(test_migration_fills_the_record),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
