/* Offline truth: with central stopped, a random stream of ops in both
 * directions (services the guarantee pays and services the recipient
 * pays, gifts, donations, voids of offline and of synced ops) is saved;
 * for every member the station's synced balance + pending in - pending
 * out must equal what central holds once it is back and the outbox has
 * drained. The stream is generated so that central accepts every op (a
 * model of the balances keeps every payer above its floor and every
 * provider under the daily limit); the seed is printed. */
#include "itest_station_check.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#define ROOT 0
#define VOLUNTEERS 5  /* members 0..4: the root and four volunteers (born 1960) */
#define ELDERS 2      /* members 5..6: born 1930, the guarantee pays their personal care */
#define MEMBERS (VOLUNTEERS + ELDERS)
#define OPS 160
#define SEED_MINUTES 600
#define DAILY_LIMIT_MINUTES 720  /* GULOU's daily_limit in the harness */
#define PERSONAL_CARE "personal-care"
#define COMPANIONSHIP "companionship"

/* fixed, so that a failure is seen again; HB_ITEST_SEED tries another */
#define SEED 1414u

static hb_h_central_t central;
static hb_h_station_t station;

static char member[MEMBERS][32];
static int64_t model[MEMBERS];  /* what central will hold */
static int64_t served_today[MEMBERS];

/* One op the stream saved that a void may take back. */
typedef struct {
    uint64_t seq;
    int kind;  /* 's' service, 'g' gift */
    int a, b;  /* provider/giver, recipient/receiver */
    int64_t minutes;
    bool recipient_paid, voided;
} done_t;

static done_t done[OPS + MEMBERS];
static size_t n_done;

static Hourbank__Op *
op0(hb_h_batch_t *b)
{
    return hb_h_batch_op(b, 0);
}

static void
register_all(hb_h_client_t *cl)
{
    for (int i = 0; i < MEMBERS; i++) {
        hb_h_batch_t *b = hb_h_batch_new();
        hb_h_batch_register(b, 0, "", i < VOLUNTEERS ? "Volunteer" : "Elder",
                            i < VOLUNTEERS ? HOURBANK__ROLE__VOLUNTEER : HOURBANK__ROLE__ELDER,
                            i < VOLUNTEERS ? 1960 : 1930, i == ROOT ? NULL : member[ROOT]);
        chk_save_ok(cl, op0(b), member[i]);
        hb_h_batch_free(&b);
    }
}

static uint64_t
service(hb_h_client_t *cl, int64_t at, int p, int r, int64_t minutes, bool guarantee)
{
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_service(b, 0, at, member[p], member[r], minutes, guarantee ? PERSONAL_CARE : COMPANIONSHIP);
    uint64_t seq = chk_save_ok(cl, op0(b), NULL);
    hb_h_batch_free(&b);
    model[p] += minutes;
    if (!guarantee)
        model[r] -= minutes;
    done[n_done++] = (done_t){seq, 's', p, r, minutes, !guarantee, false};
    return seq;
}

/* Volunteers serve elders (the guarantee pays) while central is up. */
static void
seed(hb_h_client_t *cl, int64_t at)
{
    for (int i = 0; i < VOLUNTEERS; i++)
        service(cl, at, i, VOLUNTEERS + i % ELDERS, SEED_MINUTES, true);
    for (int e = 0; e < ELDERS; e++) {  /* so that elders can pay for what the guarantee does not */
        hb_h_batch_t *b = hb_h_batch_new();
        hb_h_batch_gift(b, 0, at, member[1 + e], member[VOLUNTEERS + e], SEED_MINUTES / 3);
        chk_save_ok(cl, op0(b), NULL);
        hb_h_batch_free(&b);
        model[1 + e] -= SEED_MINUTES / 3;
        model[VOLUNTEERS + e] += SEED_MINUTES / 3;
    }
}

static int
pick(int n)
{
    return rand() % n;
}

static void
offline_service(hb_h_client_t *cl, int64_t at)
{
    int p = pick(VOLUNTEERS);
    int64_t m = 5 + pick(40);
    if (served_today[p] + m > DAILY_LIMIT_MINUTES)
        return;
    bool guarantee = pick(2) == 0;
    int r = guarantee ? VOLUNTEERS + pick(ELDERS) : pick(MEMBERS);
    if (r == p || (!guarantee && model[r] < m))
        return;
    served_today[p] += m;
    service(cl, at, p, r, m, guarantee);
}

static void
offline_gift_or_donation(hb_h_client_t *cl, int64_t at, bool gift)
{
    int a = pick(MEMBERS), r = pick(MEMBERS);
    int64_t m = 1 + pick(gift ? 60 : 15);
    if (model[a] < m || (gift && a == r))
        return;
    hb_h_batch_t *b = hb_h_batch_new();
    if (gift)
        hb_h_batch_gift(b, 0, at, member[a], member[r], m);
    else
        hb_h_batch_donation(b, 0, at, member[a], m, "to the pool");
    uint64_t seq = chk_save_ok(cl, op0(b), NULL);
    hb_h_batch_free(&b);
    model[a] -= m;
    if (gift) {
        model[r] += m;
        done[n_done++] = (done_t){seq, 'g', a, r, m, true, false};
    }
}

/* A void of an earlier service or gift (synced or offline) whose credited
 * member still holds the minutes. */
static void
offline_void(hb_h_client_t *cl, int64_t at)
{
    if (n_done == 0)
        return;
    done_t *d = &done[pick((int) n_done)];
    int credited = d->kind == 's' ? d->a : d->b;
    if (d->voided || model[credited] < d->minutes)
        return;
    hb_h_batch_t *b = hb_h_batch_new();
    hb_h_batch_void(b, 0, at, 1, d->seq, "entered by mistake");
    chk_save_ok(cl, op0(b), NULL);
    hb_h_batch_free(&b);
    d->voided = true;
    model[credited] -= d->minutes;
    int debited = d->kind == 's' ? d->b : d->a;
    if (d->recipient_paid)
        model[debited] += d->minutes;
}

static void
test_pending_is_the_truth(void **state)
{
    (void) state;
    unsigned seed_value = SEED;
    if (getenv("HB_ITEST_SEED"))
        seed_value = (unsigned) strtoul(getenv("HB_ITEST_SEED"), NULL, 10);
    printf("seed %u (HB_ITEST_SEED=%u reruns it)\n", seed_value, seed_value);
    srand(seed_value);
    hb_h_central_init(&central, "hb_itest_station_pending", NULL, NULL, NULL);
    hb_h_central_start(&central);
    hb_h_station_init(&station, &central, 1, 0);
    hb_h_station_start(&station);
    hb_h_client_t *cl = hb_h_station_client(&station);
    int64_t now = (int64_t) time(NULL);
    register_all(cl);
    seed(cl, now - 3 * CHK_DAY_S);
    assert_true(hb_h_wait_drained(cl, 30));
    chk_wait_rules(cl);
    for (int i = 0; i < MEMBERS; i++)
        chk_wait_settled(cl, member[i], model[i], 30);

    hb_h_central_stop(&central, SIGTERM);
    size_t saved_before = n_done;
    for (int i = 0; i < OPS; i++) {
        int64_t at = now - 3600 + i;
        switch (pick(6)) {
        case 0: case 1: offline_service(cl, at); break;
        case 2: offline_gift_or_donation(cl, at, true); break;
        case 3: offline_gift_or_donation(cl, at, false); break;
        default: offline_void(cl, at); break;
        }
    }
    assert_true(n_done > saved_before);
    int64_t sum[MEMBERS];
    bool some_in = false, some_out = false, elder_out = false;
    for (int i = 0; i < MEMBERS; i++) {
        Hourbank__Envelope *r = chk_balance(cl, member[i]);
        const Hourbank__BalanceReply *b = r->balance_reply;
        sum[i] = b->balance_minutes + b->pending_in_minutes - b->pending_out_minutes;
        assert_int_equal(b->pending_minutes, b->pending_in_minutes - b->pending_out_minutes);
        printf("%s synced %lld in %lld out %lld -> %lld (model %lld)\n", member[i], (long long) b->balance_minutes,
               (long long) b->pending_in_minutes, (long long) b->pending_out_minutes, (long long) sum[i],
               (long long) model[i]);
        some_in |= b->pending_in_minutes > 0;
        some_out |= b->pending_out_minutes > 0;
        elder_out |= i >= VOLUNTEERS && b->pending_out_minutes > 0;
        hb_wire_free(&r);
        assert_int_equal(sum[i], model[i]);
    }
    assert_true(some_in && some_out && elder_out);

    hb_h_central_start(&central);
    assert_true(hb_h_wait_drained(cl, 60));
    assert_int_equal(hb_h_sqlite_int(station.outbox, "SELECT count(*) FROM ops WHERE result <> 1"), 0);
    PGconn *pg = hb_h_pg(central.conninfo);
    for (int i = 0; i < MEMBERS; i++) {
        assert_int_equal(itest_balance(pg, member[i]), sum[i]);
        chk_wait_settled(cl, member[i], sum[i], 30);
    }
    PQfinish(pg);
    hb_h_client_destroy(&cl);
    hb_h_station_stop(&station, SIGTERM);
    hb_h_central_stop(&central, SIGTERM);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_pending_is_the_truth)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
