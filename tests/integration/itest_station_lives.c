/* Members' lives at a real station with a real central (issue 15):
 * - a registration of a name and birth year the community has (in the
 *   directory, or saved here and pending) is refused POSSIBLE_DUPLICATE
 *   (33) with the existing number, and saved with confirm_new;
 * - a move of a member already of the station's community is refused
 *   ALREADY_HOME with central's values; a move of an unknown number
 *   UNKNOWN_MEMBER, as central refuses it;
 * - MemberQuery at the station answers family links with their relation;
 * - a move from another community gets a number of the station's serials
 *   in SaveReply.member_no; central posts it; the new card and the old one
 *   both resolve at the station (MemberQuery, BalanceQuery, a service);
 * - offline, an opening balance and a leave are foreseen in BalanceReply.
 * On the main this branch started from (b038cea) the station stored the
 * duplicate and the move of a member at home, sent the move without a
 * number, and resolved no later number. */
#include "itest_station_check.h"

#include <signal.h>
#include <sys/wait.h>

#include "hb_memberno.h"

#define WAIT_S 30
#define H(n) hb_h_member("QH01", (n))

static hb_h_central_t central;
static hb_h_station_t station;

/* Saves op with SaveRequest.confirm_new; the reply (caller frees). */
static Hourbank__Envelope *
save_confirmed(hb_h_client_t *cl, Hourbank__Op *op, bool confirm_new)
{
    Hourbank__Envelope env;
    Hourbank__SaveRequest req;
    hourbank__envelope__init(&env);
    hourbank__save_request__init(&req);
    op->seq = 0;
    req.op = op;
    req.confirm_new = confirm_new;
    env.body_case = HOURBANK__ENVELOPE__BODY_SAVE;
    env.save = &req;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 5000);
    assert_non_null(r);
    return r;
}

static Hourbank__Envelope *
registration(hb_h_client_t *cl, const char *name, uint32_t year, bool confirm_new)
{
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", name, HOURBANK__ROLE__BOTH, year, NULL);
    Hourbank__Envelope *r = save_confirmed(cl, hb_h_batch_op(b, 0), confirm_new);
    hb_h_batch_free(&b);
    return r;
}

static void
expect_duplicate(hb_h_client_t *cl, const char *name, const char *existing)
{
    uint64_t last = hb_h_sqlite_int(station.outbox, "SELECT max(seq) FROM ops");
    Hourbank__Envelope *r = registration(cl, name, 1950, false);
    assert_int_equal(chk_code(r), HOURBANK__RESULT__POSSIBLE_DUPLICATE);
    char want[128];
    snprintf(want, sizeof want, "member=%s\nbirth_year=1950", existing);
    assert_string_equal(chk_values(r), want);
    hb_wire_free(&r);
    assert_int_equal(hb_h_sqlite_int(station.outbox, "SELECT max(seq) FROM ops"), last);  /* nothing stored */
}

/* A move of no (new_member_no "" at the station, new_no sent to central). */
static hb_h_batch_t *
move_batch(const char *no, const char *new_no)
{
    hb_h_batch_t *b = hb_h_batch_new();
    Hourbank__Op *op = hb_h_batch_new_op(b, 0, (int64_t) time(NULL) - 60);
    static Hourbank__MoveMember mv;
    static char member[32], fresh[32];
    hourbank__move_member__init(&mv);
    snprintf(member, sizeof member, "%s", no);
    snprintf(fresh, sizeof fresh, "%s", new_no);
    mv.member_no = member;
    mv.new_member_no = fresh;
    op->kind_case = HOURBANK__OP__KIND_MOVE;
    op->move = &mv;
    return b;
}

/* The station refuses a move of no with code and values; central (as
 * station 2, new number new_no) refuses it alike. */
static void
move_refused_like_central(hb_h_client_t *cl, hb_h_client_t *as2, uint64_t *seq2, const char *no, const char *new_no,
                          int code, const char *want)
{
    hb_h_batch_t *b = move_batch(no, "");
    Hourbank__Envelope *r = chk_save(cl, hb_h_batch_op(b, 0), false);
    assert_int_equal(chk_code(r), code);
    assert_string_equal(chk_values(r), want);
    hb_wire_free(&r);
    hb_h_batch_free(&b);
    b = move_batch(no, new_no);
    char values[256];
    assert_int_equal(chk_central(as2, seq2, hb_h_batch_op(b, 0), values, sizeof values), code);
    assert_string_equal(values, want);
    hb_h_batch_free(&b);
}

static Hourbank__Envelope *
member_at_station(hb_h_client_t *cl, const char *no)
{
    Hourbank__Envelope env;
    Hourbank__MemberQuery q;
    hourbank__envelope__init(&env);
    hourbank__member_query__init(&q);
    q.member_no = (char *) (uintptr_t) no;
    env.body_case = HOURBANK__ENVELOPE__BODY_MEMBER_QUERY;
    env.member_query = &q;
    Hourbank__Envelope *r = hb_h_client_call(cl, &env, 5000);
    assert_non_null(r);
    assert_int_equal(r->body_case, HOURBANK__ENVELOPE__BODY_MEMBER_REPLY);
    return r;
}

/* Waits until the station's directory lists new_no as a later number of
 * first; fails after WAIT_S. */
static void
wait_alias(hb_h_client_t *cl, const char *new_no, const char *first)
{
    for (time_t end = time(NULL) + WAIT_S; time(NULL) < end; usleep(CHK_POLL_US)) {
        Hourbank__Envelope *r = member_at_station(cl, new_no);
        const Hourbank__MemberReply *m = r->member_reply;
        bool ok = m->n_members == 1 && strcmp(m->members[0]->member_no, first) == 0 &&
                  m->members[0]->n_numbers == 1 && strcmp(m->members[0]->numbers[0], new_no) == 0 &&
                  strcmp(m->members[0]->community, "QX03") == 0;
        hb_wire_free(&r);
        if (ok)
            return;
    }
    fail_msg("the station does not resolve %s to %s after %d s", new_no, first, WAIT_S);
}

/* Waits until the station's directory holds no (another station's
 * member: read at the next refresh); fails after WAIT_S. */
static void
wait_known(hb_h_client_t *cl, const char *no)
{
    for (time_t end = time(NULL) + WAIT_S; time(NULL) < end; usleep(CHK_POLL_US)) {
        Hourbank__Envelope *r = member_at_station(cl, no);
        bool ok = r->member_reply->n_members == 1;
        hb_wire_free(&r);
        if (ok)
            return;
    }
    fail_msg("the station does not know %s after %d s", no, WAIT_S);
}

static void
test_duplicates(hb_h_client_t *cl, char *wang)
{
    Hourbank__Envelope *r = registration(cl, "Wang Chongfu", 1950, false);
    assert_int_equal(chk_code(r), HOURBANK__RESULT__OK);
    snprintf(wang, 32, "%s", r->save_reply->member_no);
    hb_wire_free(&r);
    expect_duplicate(cl, " wang chongfu ", wang);  /* pending here */
    assert_true(hb_h_wait_drained(cl, WAIT_S));
    chk_wait_settled(cl, wang, 0, WAIT_S);
    expect_duplicate(cl, "Wang Chongfu", wang);  /* in the directory */
    r = registration(cl, "Wang Chongfu", 1950, true);
    assert_int_equal(chk_code(r), HOURBANK__RESULT__OK);
    assert_string_not_equal(r->save_reply->member_no, wang);
    hb_wire_free(&r);
    r = registration(cl, "Wang Chongfu", 1951, false);  /* another year: not a duplicate */
    assert_int_equal(chk_code(r), HOURBANK__RESULT__OK);
    hb_wire_free(&r);
}

/* A daughter registered with her link: the station's MemberQuery answers
 * the directory's family links with their relation. */
static void
test_family(hb_h_client_t *cl, const char *wang)
{
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", "Wang Xiaomei", HOURBANK__ROLE__BOTH, 1980, wang);
    hb_h_batch_op(b, 0)->register_member->family_relation = "\xE7\x88\xB6\xE4\xBA\xB2";  /* 父亲 */
    char daughter[32];
    chk_save_ok(cl, hb_h_batch_op(b, 0), daughter);
    hb_h_batch_free(&b);
    assert_true(hb_h_wait_drained(cl, WAIT_S));
    chk_wait_settled(cl, daughter, 0, WAIT_S);
    Hourbank__Envelope *r = member_at_station(cl, daughter);
    assert_int_equal(r->member_reply->n_members, 1);
    const Hourbank__Member *m = r->member_reply->members[0];
    assert_false(m->left);
    assert_int_equal(m->n_family, 1);
    assert_string_equal(m->family[0]->member_no, wang);
    assert_string_equal(m->family[0]->relation, "\xE7\x88\xB6\xE4\xBA\xB2");
    hb_wire_free(&r);
}

/* H(1), registered at QH01 by station 3, moves to QX03 at station 1. */
static void
test_move_here(hb_h_client_t *cl, const char *wang)
{
    hb_h_client_t *as3 = hb_h_central_client(&central, 3);
    uint64_t seq3 = 0;
    char values[256];
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, H(1), "Qin Laoshi", HOURBANK__ROLE__BOTH, 1948, NULL);
    assert_int_equal(chk_central(as3, &seq3, hb_h_batch_op(b, 0), values, sizeof values), HOURBANK__RESULT__OK);
    hb_h_batch_free(&b);
    hb_h_client_destroy(&as3);
    wait_known(cl, H(1));
    b = move_batch(H(1), "");
    Hourbank__Envelope *r = chk_save(cl, hb_h_batch_op(b, 0), false);
    assert_int_equal(chk_code(r), HOURBANK__RESULT__OK);
    char fresh[32], community[16];
    uint32_t serial = 0;
    snprintf(fresh, sizeof fresh, "%s", r->save_reply->member_no);
    uint64_t seq = r->save_reply->seq;
    hb_wire_free(&r);
    hb_h_batch_free(&b);
    assert_int_equal(hb_memberno_parse(fresh, community, &serial), HB_RESULT_OK);
    assert_string_equal(community, "QX03");
    assert_true(serial >= 1 && serial < 500000);  /* station 1's serials */
    assert_true(hb_h_wait_drained(cl, WAIT_S));
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT result FROM ops WHERE seq = %llu", (unsigned long long) seq);
    assert_int_equal(hb_h_sqlite_int(station.outbox, sql), HOURBANK__RESULT__OK);  /* central posted it */
    wait_alias(cl, fresh, H(1));
    /* both cards: a balance, a service each (Wang pays from an opening balance) */
    r = chk_balance(cl, fresh);
    assert_string_equal(r->balance_reply->member_no, H(1));
    hb_wire_free(&r);
    b = hb_h_batch_new();
    Hourbank__Op *op = hb_h_batch_new_op(b, 0, (int64_t) time(NULL) - 60);
    Hourbank__OpeningBalance opening;
    hourbank__opening_balance__init(&opening);
    opening.member_no = (char *) (uintptr_t) wang;
    opening.minutes = 600;
    opening.source = "passbook";
    op->kind_case = HOURBANK__OP__KIND_OPENING;
    op->opening = &opening;
    hb_h_batch_service(b, 0, (int64_t) time(NULL) - 3600, fresh, wang, 30, "companionship");
    hb_h_batch_service(b, 0, (int64_t) time(NULL) - 3600, H(1), wang, 30, "companionship");
    for (size_t i = 0; i < 3; i++)
        chk_save_ok(cl, hb_h_batch_op(b, i), NULL);
    r = chk_balance(cl, H(1));  /* both count for the one member, pending or settled */
    assert_int_equal(r->balance_reply->balance_minutes + r->balance_reply->pending_in_minutes, 60);
    hb_wire_free(&r);
    hb_h_batch_free(&b);
    assert_true(hb_h_wait_drained(cl, WAIT_S));
    chk_wait_settled(cl, fresh, 60, WAIT_S);
    chk_wait_settled(cl, wang, 600 - 60, WAIT_S);
}

/* Offline (central stopped): an opening and a leave foreseen. */
static void
test_foreseen(hb_h_client_t *cl, const char *wang)
{
    hb_h_central_stop(&central, SIGTERM);
    int64_t now = (int64_t) time(NULL);
    Hourbank__Envelope *r = chk_balance(cl, wang);
    int64_t before = r->balance_reply->balance_minutes + r->balance_reply->pending_in_minutes -
                     r->balance_reply->pending_out_minutes;
    hb_wire_free(&r);
    hb_h_batch_t *b = hb_h_batch_new();
    Hourbank__Op *op = hb_h_batch_new_op(b, 0, now - 60);
    Hourbank__OpeningBalance opening;
    hourbank__opening_balance__init(&opening);
    opening.member_no = (char *) (uintptr_t) wang;
    opening.minutes = 90;
    opening.source = "passbook";
    op->kind_case = HOURBANK__OP__KIND_OPENING;
    op->opening = &opening;
    chk_save_ok(cl, op, NULL);
    hb_h_batch_free(&b);
    r = chk_balance(cl, wang);
    int64_t in = r->balance_reply->pending_in_minutes, out = r->balance_reply->pending_out_minutes;
    assert_int_equal(r->balance_reply->balance_minutes + in - out, before + 90);
    hb_wire_free(&r);
    b = hb_h_batch_new();
    op = hb_h_batch_new_op(b, 0, now - 60);
    Hourbank__LeaveMember leave;
    hourbank__leave_member__init(&leave);
    leave.member_no = (char *) (uintptr_t) wang;
    op->kind_case = HOURBANK__OP__KIND_LEAVE;
    op->leave = &leave;
    chk_save_ok(cl, op, NULL);
    hb_h_batch_free(&b);
    r = chk_balance(cl, wang);
    assert_int_equal(r->balance_reply->balance_minutes + r->balance_reply->pending_in_minutes -
                     r->balance_reply->pending_out_minutes, 0);  /* the whole balance goes */
    assert_int_equal(r->balance_reply->pending_out_minutes, out + before + 90);
    hb_wire_free(&r);
}

static void
test_station_lives(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_station_lives", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, 1, 0);
    hb_h_station_start(&station);
    hb_h_client_t *cl = hb_h_station_client(&station);
    char wang[32];
    test_duplicates(cl, wang);
    hb_h_client_t *as2 = hb_h_central_client(&central, 2);
    uint64_t seq2 = 0;
    char want[128];
    snprintf(want, sizeof want, "member=%s\ncommunity=QX03", wang);
    move_refused_like_central(cl, as2, &seq2, wang, hb_h_member("QX03", 500001), HOURBANK__RESULT__ALREADY_HOME,
                              want);
    snprintf(want, sizeof want, "role=member\nmember=%s", H(999));
    move_refused_like_central(cl, as2, &seq2, H(999), hb_h_member("QX03", 500002), HOURBANK__RESULT__UNKNOWN_MEMBER,
                              want);
    hb_h_client_destroy(&as2);
    test_family(cl, wang);
    test_move_here(cl, wang);
    test_foreseen(cl, wang);
    hb_h_client_destroy(&cl);
    int st = hb_h_station_stop(&station, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_station_lives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
