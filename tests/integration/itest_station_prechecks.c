/* The station refuses at save what central is certain to refuse, with
 * central's code and values: each case is also sent straight to central
 * (as station 2, same community) and central's answer compared. Cautions
 * name what central may still refuse; a dry run stores nothing and names
 * the payer; the copy of the rules answers RulesQuery offline, after a
 * restart too. */
#include "itest_station_check.h"

#include <signal.h>
#include <sys/wait.h>

static hb_h_central_t central;
static hb_h_station_t station;

/* Members registered at station 1 (QX03, district GULOU: daily limit 12h,
 * guarantee pays personal-care for recipients aged 80+, gifts in family). */
static char vol_a[32], vol_b[32], elder[32];

static Hourbank__Op *
one_op(hb_h_batch_t **b)
{
    return hb_h_batch_op(*b, 0);
}

/* Central with stations (HB_H_STATIONS: the harness's four, the budget
 * given), the station id running, and three members registered there. */
static hb_h_client_t *
setup_world_at(const char *name, const char *budget, int stations, uint32_t id)
{
    if (stations == HB_H_STATIONS)
        hb_h_central_init(&central, name, NULL, NULL, budget);
    else
        hb_h_central_init_stations(&central, name, stations);
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, id, 0);
    hb_h_station_start(&station);
    hb_h_client_t *cl = hb_h_station_client(&station);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", "Volunteer A", HOURBANK__ROLE__VOLUNTEER, 1960, NULL);
    assert_int_equal(chk_save_ok(cl, one_op(&b), vol_a), 1);
    hb_h_batch_free(&b);
    b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", "Volunteer B", HOURBANK__ROLE__VOLUNTEER, 1962, vol_a);
    assert_int_equal(chk_save_ok(cl, one_op(&b), vol_b), 2);
    hb_h_batch_free(&b);
    b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", "Elder", HOURBANK__ROLE__ELDER, 1930, vol_a);
    assert_int_equal(chk_save_ok(cl, one_op(&b), elder), 3);
    hb_h_batch_free(&b);
    assert_true(hb_h_wait_drained(cl, 30));
    chk_wait_rules(cl);
    chk_wait_settled(cl, vol_a, 0, 30);
    chk_wait_settled(cl, vol_b, 0, 30);
    chk_wait_settled(cl, elder, 0, 30);
    return cl;
}

static hb_h_client_t *
setup_world_budget(const char *name, const char *budget)
{
    return setup_world_at(name, budget, HB_H_STATIONS, 1);
}

static hb_h_client_t *
setup_world(const char *name)
{
    return setup_world_budget(name, NULL);
}

/* Saves op at the station, which must refuse it with code; sends it to
 * central as station 2, which must refuse it with the same code and values
 * (but central_time, each side's clock). */
static void
refused_like_central(hb_h_client_t *cl, hb_h_client_t *as2, uint64_t *seq2, Hourbank__Op *op, int code)
{
    uint64_t last = hb_h_sqlite_int(station.outbox, "SELECT max(seq) FROM ops");
    Hourbank__Envelope *r = chk_save(cl, op, false);
    if (chk_code(r) != code)
        fail_msg("station answered %d, want %d", chk_code(r),
                 code);
    char station_values[1024], central_values[1024];
    snprintf(station_values, sizeof station_values, "%s", chk_without(chk_values(r), "central_time"));
    hb_wire_free(&r);
    assert_int_equal(hb_h_sqlite_int(station.outbox, "SELECT max(seq) FROM ops"), last);  /* nothing stored */
    int got = chk_central(as2, seq2, op, central_values, sizeof central_values);
    if (got != code)
        fail_msg("central answered %d (%s) where the station refused %d (%s)", got, central_values, code,
                 station_values);
    assert_string_equal(station_values, chk_without(central_values, "central_time"));
    printf("refused %d like central: %s\n", code, station_values);
}

/* A save the station accepts, with its reply (caller frees). */
static Hourbank__Envelope *
saved(hb_h_client_t *cl, Hourbank__Op *op, bool dry_run)
{
    Hourbank__Envelope *r = chk_save(cl, op, dry_run);
    if (r->body_case != HOURBANK__ENVELOPE__BODY_SAVE_REPLY)
        fail_msg("save refused (%d): %s", chk_code(r), chk_values(r));
    return r;
}

static bool
has_caution(const Hourbank__SaveReply *r, int code, const char *values)
{
    for (size_t i = 0; i < r->n_cautions; i++)
        if ((int) r->cautions[i]->code == code &&
            (!values || strcmp(hb_h_values(r->cautions[i]->params, r->cautions[i]->n_params, ""), values) == 0))
            return true;
    return false;
}

static void
test_voids_refused_like_central(void **state)
{
    (void) state;
    hb_h_client_t *cl = setup_world("hb_itest_prechecks_voids");
    hb_h_client_t *as2 = hb_h_central_client(&central, 2);
    uint64_t seq2 = 0;
    int64_t now = (int64_t) time(NULL);
    /* a service central accepts (guarantee pays) and a void of it */
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 0, now - 3600, vol_a, elder, 60, "personal-care");
    uint64_t svc = chk_save_ok(cl, one_op(&b), NULL);
    hb_h_batch_free(&b);
    b = hb_h_batch_new();
    hb_h_batch_void(b, 0, now, 1, svc, "entered twice");
    uint64_t voided = chk_save_ok(cl, one_op(&b), NULL);
    hb_h_batch_free(&b);
    /* a service central refuses: B holds nothing to pay with (a caution says so) */
    b = hb_h_batch_new();
    hb_h_batch_service(b, 0, now - 3600, vol_a, vol_b, 90, "companionship");
    Hourbank__Envelope *r = saved(cl, one_op(&b), false);
    uint64_t refused = r->save_reply->seq;
    char want[256];
    snprintf(want, sizeof want, "role=recipient\nmember=%s\nheld_minutes=0\nneeded_minutes=90", vol_b);
    assert_true(has_caution(r->save_reply, HOURBANK__RESULT__INSUFFICIENT_BALANCE, want));
    assert_string_equal(r->save_reply->payer, vol_b);
    assert_int_equal(r->save_reply->payer_rule, -1);
    hb_wire_free(&r);
    hb_h_batch_free(&b);
    assert_true(hb_h_wait_drained(cl, 30));
    uint64_t last = hb_h_sqlite_int(station.outbox, "SELECT max(seq) FROM ops");
    assert_int_equal(hb_h_sqlite_int(station.outbox, "SELECT result FROM ops WHERE seq = 6"), 12);

    struct {
        uint64_t target;
        int code;
    } cases[] = {
        {last + 7, HOURBANK__RESULT__UNKNOWN_OPERATION},  /* never issued */
        {1, HOURBANK__RESULT__NOT_VOIDABLE},               /* a registration */
        {voided, HOURBANK__RESULT__NOT_VOIDABLE},          /* a void */
        {refused, HOURBANK__RESULT__NOT_VOIDABLE},         /* refused by central */
        {svc, HOURBANK__RESULT__ALREADY_VOIDED},           /* voided by an accepted void */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        b = hb_h_batch_new();
        hb_h_batch_void(b, 0, now, 1, cases[i].target, "again");
        refused_like_central(cl, as2, &seq2, one_op(&b), cases[i].code);
        hb_h_batch_free(&b);
    }
    hb_h_client_destroy(&as2);
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&station, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
}

static void
test_window_and_limit_refused_like_central(void **state)
{
    (void) state;
    hb_h_client_t *cl = setup_world("hb_itest_prechecks_window");
    hb_h_client_t *as2 = hb_h_central_client(&central, 2);
    uint64_t seq2 = 0;
    int64_t now = (int64_t) time(NULL);
    /* the window of central.yaml: clock_skew 10m, max_record_age 30d */
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 0, now + 20 * 60, vol_a, elder, 30, "personal-care");
    refused_like_central(cl, as2, &seq2, one_op(&b), HOURBANK__RESULT__OCCURRED_IN_FUTURE);
    hb_h_batch_free(&b);
    b = hb_h_batch_new();
    hb_h_batch_gift(b, 0, now - 31 * CHK_DAY_S, vol_a, vol_b, 30);
    refused_like_central(cl, as2, &seq2, one_op(&b), HOURBANK__RESULT__TOO_OLD);
    hb_h_batch_free(&b);
    /* the daily limit (12h): 700 minutes accepted on the day, 30 more only cautioned here (another
     * station of the community), refused by central; 20 more fit */
    int64_t day = now - 2 * CHK_DAY_S;
    b = hb_h_batch_new();
    hb_h_batch_service(b, 0, day, vol_a, elder, 700, "personal-care");
    chk_save_ok(cl, one_op(&b), NULL);
    hb_h_batch_free(&b);
    /* still pending: saved, with a caution */
    b = hb_h_batch_new();
    hb_h_batch_service(b, 0, day + 60, vol_a, elder, 30, "personal-care");
    Hourbank__Envelope *r = saved(cl, one_op(&b), true);
    assert_true(r->save_reply->dry_run);
    assert_int_equal(r->save_reply->seq, 0);
    assert_true(has_caution(r->save_reply, HOURBANK__RESULT__DAILY_LIMIT_EXCEEDED, NULL));
    hb_wire_free(&r);
    assert_true(hb_h_wait_drained(cl, 30));
    /* accepted now, but station 2 of this community could void some of it
     * without this station knowing: a caution, not a refusal (the refusal
     * is test_limit_refused_alone's); central refuses */
    r = saved(cl, one_op(&b), true);
    assert_true(has_caution(r->save_reply, HOURBANK__RESULT__DAILY_LIMIT_EXCEEDED, NULL));
    hb_wire_free(&r);
    char values[1024];
    assert_int_equal(chk_central(as2, &seq2, one_op(&b), values, sizeof values),
                     HOURBANK__RESULT__DAILY_LIMIT_EXCEEDED);
    hb_h_batch_free(&b);
    b = hb_h_batch_new();
    hb_h_batch_service(b, 0, day + 120, vol_a, elder, 20, "personal-care");
    chk_save_ok(cl, one_op(&b), NULL);
    hb_h_batch_free(&b);
    assert_true(hb_h_wait_drained(cl, 30));
    assert_int_equal(hb_h_sqlite_int(station.outbox, "SELECT count(*) FROM ops WHERE result <> 1"), 0);
    hb_h_client_destroy(&as2);
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&station, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
}

/* A dry run stores nothing and names the payer the rules choose: the
 * guarantee for personal care to an 80+ elder, the recipient otherwise;
 * the copy of the rules answers offline, after a restart too. */
/* Station 5 is alone in community QX04 (central with five stations): no
 * other station can void its services, so its accepted ones settle the
 * provider's day, and a service beyond the limit is refused at save like
 * central refuses it. */
static void
test_limit_refused_alone(void **state)
{
    (void) state;
    hb_h_client_t *cl = setup_world_at("hb_itest_prechecks_alone", NULL, HB_H_STATIONS + 1, HB_H_STATIONS + 1);
    Hourbank__Envelope *rules = chk_rules(cl);
    assert_int_equal(rules->body_case, HOURBANK__ENVELOPE__BODY_RULES_REPLY);
    assert_int_equal(rules->rules_reply->community_stations, 1);
    hb_wire_free(&rules);
    int64_t day = (int64_t) time(NULL) - 2 * CHK_DAY_S;
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 0, day, vol_a, elder, 700, "personal-care");
    chk_save_ok(cl, one_op(&b), NULL);
    hb_h_batch_free(&b);
    assert_true(hb_h_wait_drained(cl, 30));
    b = hb_h_batch_new();
    hb_h_batch_service(b, 0, day + 60, vol_a, elder, 30, "personal-care");
    uint64_t last = (uint64_t) hb_h_sqlite_int(station.outbox, "SELECT max(seq) FROM ops");
    Hourbank__Envelope *r = chk_save(cl, one_op(&b), false);
    assert_int_equal(chk_code(r), HOURBANK__RESULT__DAILY_LIMIT_EXCEEDED);
    char station_values[1024], central_values[1024];
    snprintf(station_values, sizeof station_values, "%s", chk_values(r));
    hb_wire_free(&r);
    assert_int_equal(hb_h_sqlite_int(station.outbox, "SELECT max(seq) FROM ops"), (int64_t) last);
    hb_h_client_destroy(&cl);
    /* central's answer, as station 5 itself once its daemon has stopped */
    hb_h_station_stop(&station, SIGTERM);
    hb_h_client_t *as5 = hb_h_central_client(&central, HB_H_STATIONS + 1);
    assert_int_equal(chk_central(as5, &last, one_op(&b), central_values, sizeof central_values),
                     HOURBANK__RESULT__DAILY_LIMIT_EXCEEDED);
    assert_string_equal(station_values, central_values);
    hb_h_batch_free(&b);
    hb_h_client_destroy(&as5);
    hb_h_central_stop(&central, SIGTERM);
}

static void
test_dry_run_names_the_payer(void **state)
{
    (void) state;
    hb_h_client_t *cl = setup_world("hb_itest_prechecks_dry");
    Hourbank__Envelope *rules = chk_rules(cl);
    assert_int_equal(rules->body_case, HOURBANK__ENVELOPE__BODY_RULES_REPLY);
    uint32_t version = rules->rules_reply->version;
    assert_true(version >= 1);
    assert_int_equal(rules->rules_reply->station_id, 1);
    assert_string_equal(rules->rules_reply->community, "QX03");
    hb_wire_free(&rules);
    /* the directory keeps each member's community (Member.community) */
    Hourbank__Envelope menv;
    Hourbank__MemberQuery mq;
    hourbank__envelope__init(&menv);
    hourbank__member_query__init(&mq);
    mq.member_no = elder;
    menv.body_case = HOURBANK__ENVELOPE__BODY_MEMBER_QUERY;
    menv.member_query = &mq;
    Hourbank__Envelope *m = hb_h_client_call(cl, &menv, 5000);
    assert_non_null(m);
    assert_int_equal(m->body_case, HOURBANK__ENVELOPE__BODY_MEMBER_REPLY);
    assert_int_equal(m->member_reply->n_members, 1);
    assert_string_equal(m->member_reply->members[0]->community, "QX03");
    hb_wire_free(&m);
    assert_int_equal(hb_h_sqlite_int(station.outbox, "SELECT count(*) FROM members WHERE community = 'QX03'"), 3);
    int64_t now = (int64_t) time(NULL);
    int64_t pending_before = hb_h_sqlite_int(station.outbox, "SELECT count(*) FROM ops");
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 0, now - 60, vol_a, elder, 45, "personal-care");
    Hourbank__Envelope *r = saved(cl, one_op(&b), true);
    assert_true(r->save_reply->dry_run);
    assert_int_equal(r->save_reply->seq, 0);
    assert_string_equal(r->save_reply->payer, "guarantee");
    assert_true(r->save_reply->payer_rule >= 0);
    assert_int_equal(r->save_reply->rules_version, version);
    hb_wire_free(&r);
    hb_h_batch_free(&b);
    b = hb_h_batch_new();
    hb_h_batch_service(b, 0, now - 60, vol_b, elder, 45, "companionship");
    r = saved(cl, one_op(&b), true);
    assert_string_equal(r->save_reply->payer, elder);
    assert_int_equal(r->save_reply->payer_rule, -1);
    hb_wire_free(&r);
    hb_h_batch_free(&b);
    b = hb_h_batch_new();
    hb_h_batch_service(b, 0, now - 60, elder, vol_a, 45, "personal-care");  /* 1960: too young */
    r = saved(cl, one_op(&b), true);
    assert_string_equal(r->save_reply->payer, vol_a);
    hb_wire_free(&r);
    hb_h_batch_free(&b);
    /* a dry run that would be refused is refused, and stores nothing either */
    b = hb_h_batch_new();
    hb_h_batch_void(b, 0, now, 1, 99, "bogus");
    r = chk_save(cl, one_op(&b), true);
    assert_int_equal(chk_code(r), HOURBANK__RESULT__UNKNOWN_OPERATION);
    hb_wire_free(&r);
    hb_h_batch_free(&b);
    assert_int_equal(hb_h_sqlite_int(station.outbox, "SELECT count(*) FROM ops"), pending_before);

    /* offline, restarted: the copy still answers */
    hb_h_client_destroy(&cl);
    hb_h_central_stop(&central, SIGTERM);
    hb_h_station_stop(&station, SIGTERM);
    hb_h_station_start(&station);
    cl = hb_h_station_client(&station);
    rules = chk_rules(cl);
    assert_int_equal(rules->body_case, HOURBANK__ENVELOPE__BODY_RULES_REPLY);
    assert_int_equal(rules->rules_reply->version, version);
    assert_true(rules->rules_reply->n_districts >= 2);
    assert_true(rules->rules_reply->n_communities >= 2);
    hb_wire_free(&rules);
    b = hb_h_batch_new();
    hb_h_batch_service(b, 0, now - 60, vol_a, elder, 45, "personal-care");
    r = saved(cl, one_op(&b), true);
    assert_string_equal(r->save_reply->payer, "guarantee");
    hb_wire_free(&r);
    hb_h_batch_free(&b);
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&station, SIGTERM);
}

/* The guarantee's budget (1h here): a service the guarantee would pay
 * beyond what the copy says is left, less what this station saved since,
 * is saved with a BUDGET_EXHAUSTED caution with central's values. */
static void
test_budget_caution(void **state)
{
    (void) state;
    hb_h_client_t *cl = setup_world_budget("hb_itest_prechecks_budget", "1h");
    hb_h_client_t *as2 = hb_h_central_client(&central, 2);
    uint64_t seq2 = 0;
    int64_t now = (int64_t) time(NULL);
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 0, now - 3600, vol_a, elder, 45, "personal-care");
    Hourbank__Envelope *r = saved(cl, one_op(&b), false);
    assert_string_equal(r->save_reply->payer, "guarantee");
    assert_false(has_caution(r->save_reply, HOURBANK__RESULT__BUDGET_EXHAUSTED, NULL));
    hb_wire_free(&r);
    hb_h_batch_free(&b);
    const char *want = "budget_minutes=60\nleft_minutes=15\nminutes=30";
    b = hb_h_batch_new();
    hb_h_batch_service(b, 0, now - 3000, vol_b, elder, 30, "personal-care");
    r = saved(cl, one_op(&b), true);  /* the first still pending */
    assert_true(has_caution(r->save_reply, HOURBANK__RESULT__BUDGET_EXHAUSTED, want));
    hb_wire_free(&r);
    assert_true(hb_h_wait_drained(cl, 30));
    r = saved(cl, one_op(&b), true);  /* acknowledged since the copy came */
    assert_true(has_caution(r->save_reply, HOURBANK__RESULT__BUDGET_EXHAUSTED, want));
    hb_wire_free(&r);
    char values[512];
    assert_int_equal(chk_central(as2, &seq2, one_op(&b), values, sizeof values), HOURBANK__RESULT__BUDGET_EXHAUSTED);
    assert_string_equal(values, want);
    hb_h_batch_free(&b);
    hb_h_client_destroy(&as2);
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&station, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
}

/* Before it has a copy the station answers UNAVAILABLE (central never up). */
static void
test_no_copy_unavailable(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_prechecks_nocopy", NULL, NULL, NULL);
    hb_h_station_init(&station, &central, 1, 0);
    hb_h_station_start(&station);
    hb_h_client_t *cl = hb_h_station_client(&station);
    Hourbank__Envelope *r = chk_rules(cl);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_ERROR);
    assert_int_equal(r->error->code, HOURBANK__RESULT__UNAVAILABLE);
    hb_wire_free(&r);
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&station, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_voids_refused_like_central),
        cmocka_unit_test(test_window_and_limit_refused_like_central),
        cmocka_unit_test(test_limit_refused_alone),
        cmocka_unit_test(test_dry_run_names_the_payer),
        cmocka_unit_test(test_budget_caution),
        cmocka_unit_test(test_no_copy_unavailable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
