/* A member who leaves is erased from the station's outbox file (issue 15,
 * PIPL): registered at a real station with a distinctive name, birth year
 * and phone, synced to a real central; a leave saved at the station, acked,
 * and the directory refreshed (Member.left); then no byte of the name, its
 * parts or the phone is in outbox.db, outbox.db-wal or outbox.db-shm,
 * while a member who did not leave still has their name there (so the byte
 * search can fail). The leaver's number still resolves (left, no name),
 * and an op naming them is refused MEMBER_LEFT at save, as central refuses
 * it. On the main this branch started from (b038cea) the station had no
 * erasure: the name stays in the file. */
#include "itest_station_check.h"

#include <signal.h>
#include <sys/wait.h>

#define ERASED_NAME "Zhou Erasure \xE5\x91\xA8\xE6\x8A\xB9\xE9\x99\xA4" /* 周抹除 */
#define ERASED_HAN "\xE5\x91\xA8\xE6\x8A\xB9\xE9\x99\xA4"
#define ERASED_PHONE "13912345678"
#define KEPT_NAME "Li Baoliu \xE6\x9D\x8E\xE4\xBF\x9D\xE7\x95\x99" /* 李保留 */
#define FILE_BYTES_MAX (64 * 1024 * 1024)
#define WAIT_S 30

static hb_h_central_t central;
static hb_h_station_t station;

/* Whether the bytes of needle occur in the file at path (absent: no). */
static bool
file_holds(const char *path, const char *needle)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    char *buf = malloc(FILE_BYTES_MAX);
    assert_non_null(buf);
    size_t n = fread(buf, 1, FILE_BYTES_MAX, fp);
    fclose(fp);
    bool found = memmem(buf, n, needle, strlen(needle)) != NULL;
    free(buf);
    return found;
}

/* outbox.db, -wal or -shm: which one holds needle ("" = none). */
static const char *
outbox_holding(const char *needle)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    static char p[sizeof station.outbox + 8];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", station.outbox, suffixes[i]);
        if (file_holds(p, needle))
            return p;
    }
    return "";
}

/* The station's MemberQuery answer for no (caller frees). */
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

/* Waits until the station's directory says no left; fails after WAIT_S. */
static void
wait_left(hb_h_client_t *cl, const char *no)
{
    for (time_t end = time(NULL) + WAIT_S; time(NULL) < end; usleep(CHK_POLL_US)) {
        Hourbank__Envelope *r = member_at_station(cl, no);
        bool left = r->member_reply->n_members == 1 && r->member_reply->members[0]->left;
        hb_wire_free(&r);
        if (left)
            return;
    }
    fail_msg("the station's directory does not say %s left after %d s", no, WAIT_S);
}

static uint64_t
register_at(hb_h_client_t *cl, const char *name, uint32_t year, const char *phone, char *no)
{
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_register(b, 0, "", name, HOURBANK__ROLE__BOTH, year, NULL);
    Hourbank__Op *op = hb_h_batch_op(b, 0);
    op->register_member->phone = (char *) (uintptr_t) phone;
    uint64_t seq = chk_save_ok(cl, op, no);
    hb_h_batch_free(&b);
    return seq;
}

static void
assert_erased(void)
{
    const char *const gone[] = {ERASED_NAME, ERASED_HAN, "Zhou Erasure", "Erasure", ERASED_PHONE};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
        const char *where = outbox_holding(gone[i]);
        if (where[0])
            fail_msg("\"%s\" is still in %s", gone[i], where);
    }
    assert_true(outbox_holding(KEPT_NAME)[0] != '\0');  /* the search finds what is there */
    printf("no byte of \"%s\" in the outbox; \"%s\" still there\n", ERASED_NAME, KEPT_NAME);
}

static void
test_leaver_erased_from_outbox(void **state)
{
    (void) state;
    hb_h_central_init(&central, "hb_itest_station_erasure", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, 1, 0);
    hb_h_station_start(&station);
    hb_h_client_t *cl = hb_h_station_client(&station);
    char zhou[32], li[32];
    register_at(cl, ERASED_NAME, 1941, ERASED_PHONE, zhou);
    register_at(cl, KEPT_NAME, 1955, "", li);
    /* Zhou has hours to leave: an opening balance from the paper passbook */
    int64_t now = (int64_t) time(NULL);
    hb_h_batch_t *b = hb_h_batch_new();
    Hourbank__Op *op = hb_h_batch_new_op(b, 0, now - 60);
    Hourbank__OpeningBalance opening;
    hourbank__opening_balance__init(&opening);
    opening.member_no = zhou;
    opening.minutes = 120;
    opening.source = "passbook p. 3";
    op->kind_case = HOURBANK__OP__KIND_OPENING;
    op->opening = &opening;
    chk_save_ok(cl, op, NULL);
    hb_h_batch_free(&b);
    assert_true(hb_h_wait_drained(cl, WAIT_S));
    chk_wait_settled(cl, zhou, 120, WAIT_S);
    assert_true(outbox_holding(ERASED_HAN)[0] != '\0');  /* before: the name is there */

    /* Zhou leaves (no heirs: the hours go to the pool) */
    b = hb_h_batch_new();
    op = hb_h_batch_new_op(b, 0, now - 60);
    Hourbank__LeaveMember leave;
    hourbank__leave_member__init(&leave);
    leave.member_no = zhou;
    leave.died = true;
    op->kind_case = HOURBANK__OP__KIND_LEAVE;
    op->leave = &leave;
    chk_save_ok(cl, op, NULL);
    hb_h_batch_free(&b);
    assert_true(hb_h_wait_drained(cl, WAIT_S));
    wait_left(cl, zhou);
    assert_erased();

    /* the number still resolves: left, nothing personal */
    Hourbank__Envelope *r = member_at_station(cl, zhou);
    assert_int_equal(r->member_reply->n_members, 1);
    assert_string_equal(r->member_reply->members[0]->name, "");
    assert_int_equal(r->member_reply->members[0]->birth_year, 0);
    hb_wire_free(&r);
    /* an op naming Zhou is refused at save, as central refuses it */
    b = hb_h_batch_new();
    hb_h_batch_service(b, 0, now - 60, li, zhou, 30, "companionship");
    r = chk_save(cl, hb_h_batch_op(b, 0), false);
    assert_int_equal(chk_code(r), HOURBANK__RESULT__MEMBER_LEFT);
    char want[128], central_values[256];
    snprintf(want, sizeof want, "role=recipient\nmember=%s", zhou);
    assert_string_equal(chk_values(r), want);
    hb_wire_free(&r);
    hb_h_client_t *as2 = hb_h_central_client(&central, 2);
    uint64_t seq2 = 0;
    assert_int_equal(chk_central(as2, &seq2, hb_h_batch_op(b, 0), central_values, sizeof central_values),
                     HOURBANK__RESULT__MEMBER_LEFT);
    assert_string_equal(central_values, want);
    hb_h_batch_free(&b);
    hb_h_client_destroy(&as2);

    /* and after the station stops (SQLite checkpoints and removes the WAL) */
    hb_h_client_destroy(&cl);
    int st = hb_h_station_stop(&station, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_erased();
    hb_h_central_stop(&central, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leaver_erased_from_outbox),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
