/* Statements and the rules at central (issue 14), against a real
 * hourbank-central and PostgreSQL:
 * - care the guarantee paid is on the recipient's statement (0 moved, paid
 *   by the guarantee, the provider named) and on the provider's, and so is
 *   its void, with the op it reverses and the reason;
 * - paging with before_id reaches entry 1 of 1,200, each entry once, in
 *   posting order, with running balances that add up;
 * - for random periods over a random op stream, opening + the entries =
 *   closing, and opening and closing are the member's balance as of the
 *   period's ends as the transfers say;
 * - RulesQuery returns the rules version in force as central.yaml says it,
 *   Welcome names that version, and BUDGET_EXHAUSTED says what was left.
 * On the main before this change the statement had no guarantee-paid care
 * for the recipient, no periods and no balances, and there was no
 * RulesQuery. */
#include "hb_itest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static hb_h_central_t central;

#define Q(n) hb_h_member("QX03", (n))
#define BUDGET_MINUTES 6000
#define PAGE 200
#define MANY 1200
#define MINUTE_S 60
#define DAY_S 86400

static int
setup(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_statement", NULL, NULL, "100h");
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

/* One page of member's statement; caller frees. */
static Hourbank__Envelope *
statement(hb_h_client_t *cl, const char *member, uint64_t before, int64_t from, int64_t until, uint32_t limit)
{
    Hourbank__Envelope env;
    Hourbank__StatementQuery q;
    hourbank__envelope__init(&env);
    hourbank__statement_query__init(&q);
    q.member_no = (char *) (uintptr_t) member;
    q.before_id = before;
    q.from = from;
    q.until = until;
    q.limit = limit;
    env.body_case = HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY;
    env.statement_query = &q;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 10000);
    assert_non_null(r);
    if (r->body_case != HOURBANK__ENVELOPE__BODY_STATEMENT_REPLY)
        fail_msg("statement of %s: body %d (%s)", member, r->body_case,
                 r->body_case == HOURBANK__ENVELOPE__BODY_ERROR ? r->error->message : "");
    return r;
}

static void
send_expect_ok(hb_h_client_t *cl, hb_h_batch_t *b, size_t n)
{
    Hourbank__Envelope *ack = itest_send(cl, b);
    int want[256];
    assert_true(n <= 256);
    for (size_t i = 0; i < n; i++)
        want[i] = HOURBANK__RESULT__OK;
    itest_expect(ack, want, n);
    hb_wire_free(&ack);
}

static void
register_members(hb_h_client_t *cl)
{
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 1, Q(1), "Wang Fang", 1, 1960, NULL);
    hb_h_batch_register(b, 2, Q(2), "Li Wei", 2, 1930, NULL);     /* 80+: the guarantee pays personal care */
    hb_h_batch_register(b, 3, Q(3), "Li Na", 3, 1970, NULL);
    hb_h_batch_register(b, 4, Q(4), "Zhao Min", 1, 1975, NULL);
    hb_h_batch_register(b, 5, Q(5), "Zhao Lan", 3, 1978, Q(4));   /* family of 4: gifts allowed */
    send_expect_ok(cl, b, 5);
    hb_h_batch_free(&b);
}

/* Care the guarantee paid, then its void: both on both statements. */
static void
test_guarantee_care(void **state)
{
    (void) state;
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    register_members(cl);
    int64_t now = (int64_t) time(NULL);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 6, now - 3600, Q(1), Q(2), 90, "personal-care");
    send_expect_ok(cl, b, 1);
    hb_h_batch_free(&b);

    Hourbank__Envelope *r = statement(cl, Q(2), 0, 0, 0, 0);
    Hourbank__StatementReply *s = r->statement_reply;
    assert_int_equal(s->n_entries, 1);
    assert_string_equal(s->member_name, "Li Wei");
    Hourbank__StatementEntry *e = s->entries[0];
    assert_int_equal(e->minutes, 0);
    assert_string_equal(e->kind, "service");
    assert_string_equal(e->role, "recipient");
    assert_string_equal(e->paid_by, "guarantee");
    assert_string_equal(e->counterparty, Q(1));
    assert_string_equal(e->counterparty_name, "Wang Fang");
    assert_string_equal(e->category, "personal-care");
    assert_int_equal(e->op->station_id, 1);
    assert_int_equal(e->op->seq, 6);
    assert_int_equal(e->occurred_at, now - 3600);
    assert_int_equal(strlen(e->service_day), 10);
    assert_int_equal(e->balance_after, 0);
    assert_int_equal(s->closing_minutes, 0);
    assert_int_equal(s->entries_total, 1);
    hb_wire_free(&r);

    b = hb_h_batch_new();
    hb_h_batch_void(b, 7, now, 1, 6, "recorded for the wrong day");
    send_expect_ok(cl, b, 1);
    hb_h_batch_free(&b);

    r = statement(cl, Q(2), 0, 0, 0, 0);
    s = r->statement_reply;
    assert_int_equal(s->n_entries, 2);
    e = s->entries[0];  /* newest first */
    assert_string_equal(e->kind, "void");
    assert_int_equal(e->minutes, 0);
    assert_string_equal(e->role, "recipient");
    assert_string_equal(e->note, "recorded for the wrong day");
    assert_non_null(e->voids);
    assert_int_equal(e->voids->station_id, 1);
    assert_int_equal(e->voids->seq, 6);
    assert_true(e->transfer_id > s->entries[1]->transfer_id);
    hb_wire_free(&r);

    r = statement(cl, Q(1), 0, 0, 0, 0);
    s = r->statement_reply;
    assert_int_equal(s->n_entries, 2);
    assert_int_equal(s->entries[0]->minutes, -90);
    assert_int_equal(s->entries[0]->balance_after, 0);
    assert_int_equal(s->entries[1]->minutes, 90);
    assert_int_equal(s->entries[1]->balance_after, 90);
    assert_string_equal(s->entries[1]->role, "provider");
    assert_string_equal(s->entries[1]->paid_by, "guarantee");
    assert_string_equal(s->entries[1]->counterparty_name, "Li Wei");
    assert_int_equal(s->in_minutes, 90);
    assert_int_equal(s->out_minutes, 90);
    assert_int_equal(s->closing_minutes, 0);
    hb_wire_free(&r);
    hb_h_client_destroy(&cl);
}

/* The next seq of station 1 (the tests share its sequence). */
static uint64_t
next_seq(void)
{
    PGconn *pg = hb_h_pg(central.conninfo);
    uint64_t seq = (uint64_t) hb_h_pg_int(pg, "SELECT coalesce(max(seq), 0) FROM op WHERE station_id = 1") + 1;
    PQfinish(pg);
    return seq;
}

/* Every entry of member's statement in the period, page by page, newest
 * first, into out (at most max); the last page's reply in *last (caller
 * frees). Checks the pages chain: positions fall, running balances add. */
static size_t
all_entries(hb_h_client_t *cl, const char *member, int64_t from, int64_t until, int64_t *minutes, size_t max,
            uint64_t *positions, Hourbank__Envelope **last)
{
    size_t n = 0;
    uint64_t before = 0;
    int64_t prev_after = 0;
    for (;;) {
        Hourbank__Envelope *r = statement(cl, member, before, from, until, PAGE);
        Hourbank__StatementReply *s = r->statement_reply;
        for (size_t i = 0; i < s->n_entries; i++) {
            const Hourbank__StatementEntry *e = s->entries[i];
            assert_true(n < max);
            if (n > 0) {
                assert_true(e->transfer_id < positions[n - 1]);
                /* the newer entry's balance is this one's plus what it moved */
                assert_int_equal(prev_after, e->balance_after + minutes[n - 1]);
            }
            positions[n] = e->transfer_id;
            minutes[n++] = e->minutes;
            prev_after = e->balance_after;
        }
        assert_int_equal(s->more, s->next_before_id != 0);
        if (!s->more) {
            *last = r;
            return n;
        }
        assert_int_equal(s->n_entries, PAGE);
        before = s->next_before_id;
        hb_wire_free(&r);
    }
}

/* Li Na (3) and Zhao Min (4) serve each other 600 times, 10 minutes each,
 * each paying for what she received: 1,200 entries on Li Na's statement. */
static void
test_paging_reaches_entry_one(void **state)
{
    (void) state;
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    int64_t now = (int64_t) time(NULL);
    uint64_t seq = next_seq(), first;
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, seq++, now - 15 * DAY_S, Q(4), Q(2), 10, "personal-care");  /* Zhao Min's first 10 min */
    send_expect_ok(cl, b, 1);
    hb_h_batch_free(&b);
    first = seq;
    for (int done = 0; done < MANY;) {
        b = hb_h_batch_new();
        size_t n = 0;
        for (; n < 240 && done < MANY; n++, done++) {
            int pair = done / 2;
            int64_t at = now - DAY_S - (int64_t) (pair / 60) * DAY_S - pair % 60 * MINUTE_S;
            if (done % 2 == 0)
                hb_h_batch_service(b, seq++, at, Q(3), Q(4), 10, "companionship");
            else
                hb_h_batch_service(b, seq++, at, Q(4), Q(3), 10, "companionship");
        }
        send_expect_ok(cl, b, n);
        hb_h_batch_free(&b);
    }
    static int64_t minutes[MANY + 1];
    static uint64_t positions[MANY + 1];
    Hourbank__Envelope *last = NULL;
    size_t n = all_entries(cl, Q(3), 0, 0, minutes, MANY + 1, positions, &last);
    assert_int_equal(n, MANY);
    assert_int_equal(last->statement_reply->entries_total, MANY);
    /* entry 1: Li Na's first service, +10, her balance 10 after it */
    const Hourbank__StatementEntry *oldest = last->statement_reply->entries[last->statement_reply->n_entries - 1];
    assert_int_equal(oldest->op->seq, first);
    assert_int_equal(oldest->minutes, 10);
    assert_int_equal(oldest->balance_after, 10);
    assert_int_equal(last->statement_reply->closing_minutes, 0);
    hb_wire_free(&last);
    hb_h_client_destroy(&cl);
}

/* Member m's balance as of instant t (0: now) from the transfers. */
static int64_t
balance_at(PGconn *pg, const char *member, int64_t t)
{
    char sql[640];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(sum(CASE WHEN t.credit_account = m.account_id THEN t.minutes ELSE -t.minutes END), 0)"
             " FROM transfer t, member m WHERE m.member_no = '%s'"
             " AND (t.credit_account = m.account_id OR t.debit_account = m.account_id)"
             " AND (%lld = 0 OR t.posted_at < to_timestamp(%lld))",
             member, (long long) t, (long long) t);
    return hb_h_pg_int(pg, sql);
}

/* A random stream among members 1, 3, 4 and 5 in batches a second apart
 * (services the recipient pays, gifts between the family 4 and 5,
 * donations, voids of earlier ops); some are refused, which is fine. */
static void
post_random_stream(hb_h_client_t *cl, unsigned seed)
{
    static const int who[] = {1, 3, 4, 5};
    int64_t now = (int64_t) time(NULL);
    uint64_t seq = next_seq(), first = seq;
    hb_h_batch_t *b = hb_h_batch_new();
    for (int i = 0; i < 3; i++)  /* hours to spend: care for Li Wei the guarantee pays */
        hb_h_batch_service(b, seq++, now - 12 * DAY_S, Q(who[i == 0 ? 0 : i + 1]), Q(2), 600, "personal-care");
    send_expect_ok(cl, b, 3);
    hb_h_batch_free(&b);
    srand(seed);
    int accepted = 0;
    for (int batch = 0; batch < 10; batch++) {
        sleep(1);  /* posting times a second apart: periods can fall between batches */
        b = hb_h_batch_new();
        size_t n = 0;
        for (; n < 12; n++) {
            int x = who[rand() % 4], y = who[rand() % 4];
            int64_t at = now - (rand() % 3600);
            int kind = rand() % 10;
            if (kind < 5 && x != y)
                hb_h_batch_service(b, seq++, at, Q(x), Q(y), 5 + rand() % 60, "companionship");
            else if (kind < 7)
                hb_h_batch_gift(b, seq++, at, Q(rand() % 2 ? 4 : 5), Q(rand() % 2 ? 5 : 4), 1 + rand() % 30);
            else if (kind < 8)
                hb_h_batch_donation(b, seq++, at, Q(x), 1 + rand() % 20, "for the pool");
            else {
                uint64_t target = first + (uint64_t) rand() % (seq - first);
                hb_h_batch_void(b, seq++, at, 1, target, "random void");
            }
        }
        Hourbank__Envelope *ack = itest_send(cl, b);
        for (size_t i = 0; i < ack->batch_ack->n_results; i++)
            accepted += ack->batch_ack->results[i]->result == HOURBANK__RESULT__OK;
        hb_wire_free(&ack);
        hb_h_batch_free(&b);
    }
    printf("random periods: %d of 120 ops accepted\n", accepted);
    assert_true(accepted >= 40);  /* a stream of real entries, not of refusals */
}

static void
test_random_periods(void **state)
{
    (void) state;
    unsigned seed = (unsigned) time(NULL);
    printf("random periods: seed %u\n", seed);
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    post_random_stream(cl, seed);
    PGconn *pg = hb_h_pg(central.conninfo);
    PGresult *times = PQexec(pg, "SELECT DISTINCT extract(epoch FROM posted_at)::bigint FROM transfer ORDER BY 1");
    assert_int_equal(PQresultStatus(times), PGRES_TUPLES_OK);
    int n_times = PQntuples(times);
    assert_true(n_times >= 8);
    static int64_t minutes[MANY * 2];
    static uint64_t positions[MANY * 2];
    for (int k = 0; k < 40; k++) {
        static const int who[] = {1, 2, 3, 4, 5};
        const char *m = Q(who[k % 5]);
        int i = rand() % n_times, j = rand() % n_times;
        int64_t from = strtoll(PQgetvalue(times, i < j ? i : j, 0), NULL, 10) + rand() % 2;
        int64_t until = k % 7 == 0 ? 0 : strtoll(PQgetvalue(times, i < j ? j : i, 0), NULL, 10) + 1 + rand() % 2;
        if (until != 0 && until <= from)
            until = from + 1;
        Hourbank__Envelope *last = NULL;
        size_t n = all_entries(cl, m, from, until, minutes, MANY * 2, positions, &last);
        const Hourbank__StatementReply *s = last->statement_reply;
        int64_t sum = 0, in = 0, out = 0;
        for (size_t e = 0; e < n; e++) {
            sum += minutes[e];
            in += minutes[e] > 0 ? minutes[e] : 0;
            out += minutes[e] < 0 ? -minutes[e] : 0;
        }
        if (s->opening_minutes + sum != s->closing_minutes)
            fail_msg("seed %u, %s from %lld until %lld: opening %lld + entries %lld != closing %lld", seed, m,
                     (long long) from, (long long) until, (long long) s->opening_minutes, (long long) sum,
                     (long long) s->closing_minutes);
        assert_int_equal(s->in_minutes, in);
        assert_int_equal(s->out_minutes, out);
        assert_int_equal(s->entries_total, n);
        assert_int_equal(s->opening_minutes, balance_at(pg, m, from));
        assert_int_equal(s->closing_minutes, balance_at(pg, m, until));
        hb_wire_free(&last);
    }
    PQclear(times);
    PQfinish(pg);
    hb_h_client_destroy(&cl);
}

static Hourbank__RulesReply *
rules(hb_h_client_t *cl, Hourbank__Envelope **reply)
{
    Hourbank__Envelope env;
    Hourbank__RulesQuery q;
    hourbank__envelope__init(&env);
    hourbank__rules_query__init(&q);
    env.body_case = HOURBANK__ENVELOPE__BODY_RULES_QUERY;
    env.rules_query = &q;
    *reply = hb_h_client_call(cl, &env, 10000);
    assert_non_null(*reply);
    assert_int_equal((*reply)->body_case, HOURBANK__ENVELOPE__BODY_RULES_REPLY);
    return (*reply)->rules_reply;
}

static void
check_rules(const Hourbank__RulesReply *r, int64_t version)
{
    assert_int_equal(r->version, version);
    assert_int_equal(r->clock_skew_seconds, 10 * MINUTE_S);
    assert_int_equal(r->max_record_age_seconds, 30 * DAY_S);
    assert_int_equal(r->guarantee_budget_minutes, BUDGET_MINUTES);
    assert_int_equal(r->n_districts, 2);
    const Hourbank__DistrictRules *g = r->districts[0], *q = r->districts[1];
    assert_string_equal(g->district, "GULOU");
    assert_string_equal(g->name, "Gulou");
    assert_int_equal(g->cap_minutes, 1500 * 60);
    assert_int_equal(g->daily_limit_minutes, 12 * 60);
    assert_int_equal(g->floor_minutes, 0);
    assert_false(g->overflow_donate);
    assert_string_equal(g->gifts, "family");
    assert_string_equal(q->district, "QINHUAI");
    assert_true(q->overflow_donate);
    assert_string_equal(q->gifts, "any");
    assert_int_equal(r->n_payer_rules, 2);
    assert_string_equal(r->payer_rules[0]->district, "GULOU");
    assert_string_equal(r->payer_rules[0]->category, "personal-care");
    assert_true(r->payer_rules[0]->guarantee);
    assert_int_equal(r->payer_rules[0]->min_age, 80);
    assert_string_equal(r->payer_rules[1]->category, "*");
    assert_int_equal(r->payer_rules[1]->min_age, 85);
    assert_int_equal(r->n_communities, 2);
    assert_string_equal(r->communities[0]->code, "QH01");
    assert_string_equal(r->communities[0]->district, "QINHUAI");
    assert_string_equal(r->communities[1]->code, "QX03");
    assert_string_equal(r->communities[1]->district, "GULOU");
}

/* The hello's Welcome, as station 1. */
static uint32_t
welcome_rules_version(void)
{
    hb_h_client_t *cl = hb_h_central_client_raw(&central, 1);
    Hourbank__Envelope env;
    Hourbank__Hello h;
    hourbank__envelope__init(&env);
    hourbank__hello__init(&h);
    h.station_id = 1;
    env.body_case = HOURBANK__ENVELOPE__BODY_HELLO;
    env.hello = &h;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 10000);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_WELCOME);
    uint32_t v = r->welcome->rules_version;
    hb_wire_free(&r);
    hb_h_client_destroy(&cl);
    return v;
}

/* Spends the budget down below one service and asks for one more. */
static void
exhaust_budget(hb_h_client_t *cl, int64_t left)
{
    int64_t now = (int64_t) time(NULL);
    uint64_t seq = next_seq();
    for (int day = 20; left >= 600; day++, left -= 600) {
        hb_h_batch_t *b = hb_h_batch_new();
        hb_h_batch_service(b, seq++, now - day * DAY_S, Q(1), Q(2), 600, "personal-care");
        send_expect_ok(cl, b, 1);
        hb_h_batch_free(&b);
    }
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, seq++, now - 19 * DAY_S, Q(1), Q(2), left + 30, "personal-care");
    Hourbank__Envelope *ack = itest_send(cl, b);
    const int want[] = {HOURBANK__RESULT__BUDGET_EXHAUSTED};
    itest_expect(ack, want, 1);
    char values[256];
    snprintf(values, sizeof values, "budget_minutes=%d\nleft_minutes=%lld\nminutes=%lld", BUDGET_MINUTES,
             (long long) left, (long long) left + 30);
    assert_string_equal(itest_values(ack->batch_ack->results[0]), values);
    hb_wire_free(&ack);
    hb_h_batch_free(&b);
}

static void
test_rules_and_budget(void **state)
{
    (void) state;
    PGconn *pg = hb_h_pg(central.conninfo);
    int64_t version = hb_h_pg_int(pg, "SELECT max(version) FROM rules_version");
    int64_t spent = -hb_h_pg_int(pg, "SELECT credits - debits FROM account WHERE id = 1");
    assert_int_equal(welcome_rules_version(), version);
    hb_h_client_t *cl = hb_h_central_client(&central, 1);
    Hourbank__Envelope *reply = NULL;
    Hourbank__RulesReply *r = rules(cl, &reply);
    check_rules(r, version);
    assert_int_equal(r->station_id, 1);
    assert_string_equal(r->community, "QX03");
    assert_int_equal(r->community_stations, 2);  /* stations 1 and 2 serve QX03 */
    assert_true(r->station_name[0] != '\0');
    assert_int_equal(r->guarantee_left_minutes, BUDGET_MINUTES - spent);
    int64_t left = r->guarantee_left_minutes;
    hb_wire_free(&reply);
    exhaust_budget(cl, left);
    r = rules(cl, &reply);
    assert_int_equal(r->guarantee_left_minutes, left % 600);
    hb_wire_free(&reply);

    hb_h_client_t *admin = hb_h_central_client(&central, 0);
    r = rules(admin, &reply);  /* an admin is told the rules, and no station */
    check_rules(r, version);
    assert_int_equal(r->station_id, 0);
    assert_string_equal(r->community, "");
    assert_int_equal(r->community_stations, 0);
    hb_wire_free(&reply);

    /* members carry their community */
    Hourbank__Envelope env;
    Hourbank__MemberQuery mq;
    hourbank__envelope__init(&env);
    hourbank__member_query__init(&mq);
    mq.member_no = (char *) (uintptr_t) Q(2);
    env.body_case = HOURBANK__ENVELOPE__BODY_MEMBER_QUERY;
    env.member_query = &mq;
    reply = hb_h_client_call(admin, &env, 10000);
    assert_non_null(reply);
    assert_int_equal(reply->body_case, HOURBANK__ENVELOPE__BODY_MEMBER_REPLY);
    assert_int_equal(reply->member_reply->n_members, 1);
    assert_string_equal(reply->member_reply->members[0]->community, "QX03");
    hb_wire_free(&reply);
    hb_h_client_destroy(&admin);
    hb_h_client_destroy(&cl);
    PQfinish(pg);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_guarantee_care),
    cmocka_unit_test(test_paging_reaches_entry_one),
    cmocka_unit_test(test_random_periods),
    cmocka_unit_test(test_rules_and_budget),
};

int
main(void)
{
    return cmocka_run_group_tests(tests, setup, teardown);
}
