/* The posting rules, differentially: a seeded pseudo-random stream of
 * station operations (registrations, services, gifts, voids, resends and
 * reused seqs, several batches of several stations in flight at once so
 * that central group-commits them) goes over the wire to a real
 * hourbank-central on database B; the very same ops are then applied, in
 * the order B applied them, to database A (same migrations, same rules)
 * through the reference hb_apply_op() / hb_reject_op(), one transaction per
 * batch. Every op's answer, the op and transfer tables, every balance and
 * hb_verify() must agree.
 *
 * B's order: batches of different stations in flight together reach
 * central in an order the test does not control, so a trigger on B's op
 * table records the order op rows were inserted; A applies the batches of
 * each in-flight window in that order (resends and reused seqs just before
 * their station's next batch, see place_repeats). Account and transfer ids may differ between A and
 * B: rows are compared through member numbers and (station, seq); the
 * message of a void refused for the floor names an account id, compared
 * through its member number. The message that names central's clock
 * (OCCURRED_IN_FUTURE) is compared without it.
 *
 * The rules (write_rules) differ per district: caps small enough to be
 * hit, overflow donated in one district and rejected in the others, daily
 * limits, a negative floor, payer rules with min_recipient_age, a
 * guarantee budget that runs out, gifts family/any/none. Birth years sit
 * at the payer rules' ages and some amounts are aimed, from B's balances
 * between windows, exactly at a cap or a floor, so that an off-by-one in a
 * comparison shows.
 *
 * Registrations refused as DUPLICATE or for a reused seq (a resend with one
 * op changed) are learned from B's acks, and later ops of the same station
 * name those numbers now and then (as provider, recipient, giver, receiver,
 * family_of or the number registered again): both must answer
 * REGISTRATION_REFUSED (migration 0008), other stations' ops must post.
 *
 * Local days and failing closed (migration 0010): the districts count days
 * in three time zones (Asia/Shanghai city-wide, America/New_York for
 * QINHUAI, UTC for JIANYE) and services are dated over 18 hours of each
 * day, across each zone's midnight, so a daily limit counted in the wrong
 * zone shows. Halfway through the stream a rules version without JIANYE's
 * rules is written into B by hand (as a configuration that dropped the
 * district did before central refused that), and into A at the same point
 * of its replay: from then on every op touching a JIANYE member, account
 * or station must be refused NO_DISTRICT_RULES by both.
 *
 * HB_DIFF_SEED overrides the seed (printed), HB_DIFF_OPS the op count. The
 * seed fixes the generator's choices; what they choose from (members whose
 * registration was acked, ops acked OK, balances) follows B's answers, so
 * a rerun repeats the stream as long as central answers, and receives the
 * in-flight batches, the same way. On a difference both databases are
 * kept and named. A second test changes one rule in A only and checks that
 * the comparison finds the difference. */
#include "hb_itest.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <sodium.h>

#include "hb_assert.h"

#define DIFF_SEED_DEFAULT 20261203u
#define DIFF_OPS_DEFAULT 3000
#define DIFF_OPS_MAX 20000
#define SELF_CHECK_OPS 800
#define STATIONS 4                 /* ids 1..4, the harness's keys */
#define WINDOW_BATCHES_MAX 6       /* batches in flight before acks are read */
#define BATCH_NEW_OPS_MAX 24
#define MEMBERS_MAX 8192
#define BATCHES_MAX 4096
#define ACK_WAIT_MS 30000
#define DAY_S 86400
#define HOT_MEMBERS 10             /* busy members, so that daily limits and caps are hit */
#define DIFF_TEXT_BYTES 4096
#define MEMBER_NO_BYTES 24
#define APPLY_PARAMS 16
#define REJECT_PARAMS 7
#define REFUSED_PICK_PERCENT 3     /* of member picks: a number refused at the station */

/* The same statements as server/ledger.c. */
static const char APPLY_SQL[] =
    "SELECT result, message, transfer_id FROM hb_apply_op($1::integer, $2::bigint, $3::bytea, $4,"
    " $5::bigint, $6, $7, $8::bigint, $9, $10, $11::smallint, $12::integer, $13::integer, $14::bigint, $15, $16)";
static const char REJECT_SQL[] =
    "SELECT result, message, transfer_id FROM hb_reject_op($1::integer, $2::bigint, $3::bytea, $4,"
    " $5::bigint, $6::integer, $7)";

static const char *const CATEGORIES[] = {"companionship", "meal-delivery", "personal-care", "gardening"};
static const char *const NOTES[] = {"", "evening visit", "weekly, as agreed"};
static const char *const OPERATORS[] = {"", "Wang Fang", "李秀英"};  /* "": an op saved before operators */
static const char *const PHONES[] = {"", "025-8331 2201", "+86 139 0000 1234"};
static const char *const COMMUNITY[STATIONS + 1] = {"", "QX03", "QX03", "QH01", "JY05"};
static const uint32_t SERIAL_FIRST[STATIONS + 1] = {0, 1, 500000, 1, 1};
/* The rules write_rules gives each station's district, in minutes. */
static const int64_t CAP_MIN[STATIONS + 1] = {0, 240, 240, 180, 180};
static const int64_t FLOOR_MIN[STATIONS + 1] = {0, 0, 0, -120, 0};

typedef struct {
    char no[MEMBER_NO_BYTES];
    uint32_t station;
    bool ok;                        /* its registration was acked OK */
} member_t;

typedef struct {
    uint32_t station;
    uint64_t seq;
} opref_t;

/* A number whose registration from station was refused. */
typedef struct {
    uint32_t station;
    char no[MEMBER_NO_BYTES];
} refused_t;

typedef struct {
    char kind;                      /* 'r'egister, 's'ervice, 'g'ift, 'v'oid, 'd'onation */
    int64_t at;
    char a[MEMBER_NO_BYTES], b[MEMBER_NO_BYTES], text[32];
    int64_t minutes;
    int role, note, operator_, phone;
    uint32_t birth, tstation;
    uint64_t tseq;
    size_t member;                  /* registration of a new number: index + 1 in members */
} opdesc_t;

typedef struct {
    int result;
    char message[HB_MESSAGE_BYTES_MAX];
    bool transfer;
} answer_t;

typedef enum { BATCH_NEW, BATCH_RESEND, BATCH_VARIANT } batch_kind_t;

typedef struct {
    uint32_t station;
    uint64_t first_seq;
    size_t n, window;
    batch_kind_t kind;
    uint64_t corr;
    int64_t order;                  /* where B applied it (BATCH_NEW) */
    opdesc_t *ops;
    answer_t *b, *a;                /* B's acked answers, A's reference answers */
} batch_t;

typedef struct {
    uint64_t rng;
    int64_t now, noon;              /* noon: the last 12:00 UTC at least an hour ago */
    uint32_t year;                  /* of noon, UTC */
    uint8_t hash_key[HB_WIRE_HASH_KEY_BYTES];  /* B's, copied to A (hb_wire_op_hash) */
    bool mutate;                    /* the self-check: A gets one rule changed */
    size_t ops_target, ops_new, ops_sent, windows;
    uint64_t next_seq[STATIONS + 1];
    uint32_t next_serial[STATIONS + 1];
    member_t members[MEMBERS_MAX];
    size_t n_members;
    opref_t voidable[DIFF_OPS_MAX], voided[DIFF_OPS_MAX];  /* acked OK services and gifts, void targets */
    size_t n_voidable, n_voided;
    refused_t refused[DIFF_OPS_MAX];
    size_t n_refused;
    batch_t batches[BATCHES_MAX];
    size_t n_batches;
    uint64_t next_corr;
    hb_h_central_t a, b;
    hb_h_client_t *cl[STATIONS + 1];
    PGconn *probe;                  /* B, read between windows to aim at boundaries */
    bool dropped;                   /* JIANYE's rules dropped ... */
    size_t drop_window;             /* ... before this window */
} diff_t;

static diff_t run;

/* ---- pseudo-random stream ---- */

static uint64_t
rnd(void)
{
    uint64_t z = (run.rng += 0x9e3779b97f4a7c15ULL);  /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint32_t
pick(uint32_t n)
{
    return n ? (uint32_t) (rnd() % n) : 0;
}

static uint64_t
env_number(const char *name, uint64_t def, uint64_t max)
{
    const char *v = getenv(name);
    if (!v || !v[0])
        return def;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (*end || x > max)
        fail_msg("%s=\"%s\" is not a number in 0..%" PRIu64, name, v, max);
    return x;
}

static bool
same_community(uint32_t s, uint32_t t)
{
    return strcmp(COMMUNITY[s], COMMUNITY[t]) == 0;
}

/* A member number never registered (valid check digit). */
static void
unknown_member(char *out, uint32_t s)
{
    snprintf(out, MEMBER_NO_BYTES, "%s", hb_h_member(COMMUNITY[s], 300000 + pick(1000)));
}

/* A number whose registration station s was refused; false if none. */
static bool
refused_member(char *out, uint32_t s)
{
    static size_t cand[DIFF_OPS_MAX];
    size_t n = 0;
    for (size_t i = 0; i < run.n_refused; i++)
        if (run.refused[i].station == s)
            cand[n++] = i;
    if (n == 0)
        return false;
    snprintf(out, MEMBER_NO_BYTES, "%s", run.refused[cand[pick((uint32_t) n)]].no);
    return true;
}

/* Mostly a registered member of station s's community, often one of the
 * busy first few; sometimes one whose registration failed or is in flight,
 * or one whose registration s was refused. */
static void
some_member(char *out, uint32_t s)
{
    static size_t cand[MEMBERS_MAX];
    size_t n = 0;
    if (pick(100) < REFUSED_PICK_PERCENT && refused_member(out, s))
        return;
    bool local = pick(100) < 80, any = pick(100) < 8;
    for (size_t i = 0; i < run.n_members; i++) {
        const member_t *m = &run.members[i];
        if ((!local || same_community(m->station, s)) && (any || m->ok))
            cand[n++] = i;
    }
    if (n == 0) {
        unknown_member(out, s);
        return;
    }
    size_t k = pick(100) < 45 ? pick(n < HOT_MEMBERS ? (uint32_t) n : HOT_MEMBERS) : pick((uint32_t) n);
    snprintf(out, MEMBER_NO_BYTES, "%s", run.members[cand[k]].no);
}

/* Mostly on the last few days (daily limits), between 18:00 UTC the day
 * before and 12:00 UTC (across midnight in Shanghai, New York and UTC), so
 * that the same seed gives the same days whatever the time of the run;
 * some in the future or beyond the 30-day window. */
static int64_t
some_time(void)
{
    uint32_t r = pick(100);
    if (r < 3)
        return run.now + 2 * DAY_S + pick(DAY_S);
    if (r < 6)
        return run.now - 40 * DAY_S - pick(DAY_S);
    return run.noon - (int64_t) pick(4) * DAY_S - pick(18 * 3600);
}

/* Ops earlier in the batch being built. */
static const opdesc_t *
earlier_register(const opdesc_t *ops, size_t i)
{
    for (size_t k = i; k-- > 0;)
        if (ops[k].kind == 'r' && pick(2))
            return &ops[k];
    return NULL;
}

/* Unknown (0), often just at or just below an age the payer rules name
 * (80, 85, 90 this year), else anything from 61 to 100. */
static uint32_t
some_birth_year(void)
{
    static const uint32_t near_rule_ages[] = {79, 80, 84, 85, 89, 90};
    uint32_t r = pick(100);
    if (r < 10)
        return 0;
    if (r < 50)
        return run.year - near_rule_ages[pick(sizeof near_rule_ages / sizeof near_rule_ages[0])];
    return run.year - 61 - pick(40);
}

/* Quarter hours mostly, any minute count often (to meet caps, floors and
 * budgets exactly). */
static int64_t
some_minutes(uint32_t quarters)
{
    return pick(100) < 65 ? 15 * (1 + (int64_t) pick(quarters)) : 1 + (int64_t) pick(15 * quarters);
}

static void
gen_register_number(opdesc_t *d, uint32_t s)
{
    uint32_t r = pick(100);
    uint32_t sibling = s == 1 ? 2 : s == 2 ? 1 : 0;
    if (r < 6 && run.n_members) {          /* already registered (or tried) here */
        const member_t *m = &run.members[pick((uint32_t) run.n_members)];
        for (size_t i = 0; i < run.n_members && m->station != s; i++)
            m = &run.members[i];
        snprintf(d->a, sizeof d->a, "%s", m->no);
    } else if (r < 9 && sibling) {          /* the other station's serials */
        snprintf(d->a, sizeof d->a, "%s", hb_h_member(COMMUNITY[s], SERIAL_FIRST[sibling] + pick(50)));
    } else if (r < 12) {                    /* another community's number */
        uint32_t other = s <= 2 ? 3 : s == 3 ? 4 : 1;
        snprintf(d->a, sizeof d->a, "%s", hb_h_member(COMMUNITY[other], 700000 + pick(1000)));
    } else {
        snprintf(d->a, sizeof d->a, "%s", hb_h_member(COMMUNITY[s], run.next_serial[s]++));
        hb_assert(run.n_members < MEMBERS_MAX);
        member_t *m = &run.members[run.n_members++];
        snprintf(m->no, sizeof m->no, "%s", d->a);
        m->station = s;
        d->member = run.n_members;
    }
}

static void
gen_register(opdesc_t *ops, size_t i, uint32_t s)
{
    opdesc_t *d = &ops[i];
    d->kind = 'r';
    d->at = run.now - pick(3600);
    d->role = 1 + (int) pick(3);
    d->birth = some_birth_year();
    snprintf(d->text, sizeof d->text, "Member %" PRIu32, pick(100000));
    gen_register_number(d, s);
    uint32_t r = pick(100);
    const opdesc_t *same_batch = r < 15 ? earlier_register(ops, i) : NULL;
    if (same_batch)
        snprintf(d->b, sizeof d->b, "%s", same_batch->a);
    else if (r < 40)
        some_member(d->b, s);
    else if (r < 44)
        unknown_member(d->b, s);
}

/* A station of the member's community (for its district's rules), 0 if none. */
static uint32_t
station_of(const char *member_no)
{
    for (uint32_t s = 1; s <= STATIONS; s++)
        if (strncmp(member_no, COMMUNITY[s], strlen(COMMUNITY[s])) == 0 && member_no[strlen(COMMUNITY[s])] == '-')
            return s;
    return 0;
}

/* Minutes that bring the member exactly to its cap (to_cap) or its floor,
 * as B holds it now (nothing is in flight while a window is generated);
 * 0 when that is not a valid amount. */
static int64_t
exact_minutes(const char *member_no, bool to_cap)
{
    uint32_t s = station_of(member_no);
    const char *v[] = {member_no};
    PGresult *r = PQexecParams(run.probe, "SELECT a.credits - a.debits FROM member m JOIN account a"
                                          " ON a.id = m.account_id WHERE m.member_no = $1", 1, NULL, v, NULL, NULL, 0);
    int64_t m = 0;
    if (s && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        int64_t bal = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        m = to_cap ? CAP_MIN[s] - bal : bal - FLOOR_MIN[s];
    }
    PQclear(r);
    return m >= 1 && m <= HB_RECORD_MINUTES_MAX ? m : 0;
}

static void
aim_at_boundary(opdesc_t *d, const char *cap_of, const char *floor_of)
{
    uint32_t r = pick(100);
    int64_t m = r < 10 ? exact_minutes(cap_of, true) : r < 18 ? exact_minutes(floor_of, false) : 0;
    if (m)
        d->minutes = m;
}

static void
gen_service(opdesc_t *d, uint32_t s)
{
    d->kind = 's';
    d->at = some_time();
    d->note = (int) pick(3);
    snprintf(d->text, sizeof d->text, "%s", pick(25) == 0 ? "karaoke" : CATEGORIES[pick(4)]);
    d->minutes = some_minutes(10);
    uint32_t r = pick(100);
    if (r < 2)
        d->minutes = pick(2) ? 0 : 1500;    /* refused before posting */
    some_member(d->a, s);
    some_member(d->b, s);
    if (r >= 2 && r < 5)
        unknown_member(d->a, s);
    else if (r >= 5 && r < 8)
        unknown_member(d->b, s);
    else if (r >= 8 && r < 11)
        snprintf(d->b, sizeof d->b, "%s", d->a);
    else if (r >= 11 && r < 12)
        d->a[strlen(d->a) - 1] = d->a[strlen(d->a) - 1] == '0' ? '1' : '0';  /* bad check digit */
    else if (r >= 12)
        aim_at_boundary(d, d->a, d->b);
}

static void
gen_gift(opdesc_t *d, uint32_t s)
{
    d->kind = 'g';
    d->at = some_time();
    d->minutes = some_minutes(8);
    some_member(d->a, s);
    some_member(d->b, s);
    uint32_t r = pick(100);
    if (r < 3)
        snprintf(d->b, sizeof d->b, "%s", d->a);
    else if (r < 5)
        unknown_member(d->b, s);
    else if (r < 6)
        d->minutes = 0;                     /* refused before posting */
    else
        aim_at_boundary(d, d->b, d->a);
}

/* A target from list (services and gifts acked OK, or ops already
 * voided), preferring station s's community; false if the list is empty. */
static bool
target_from(const opref_t *list, size_t n, uint32_t s, opdesc_t *d)
{
    if (n == 0)
        return false;
    const opref_t *t = &list[pick((uint32_t) n)];
    for (int tries = 0; tries < 5 && !same_community(t->station, s); tries++)
        t = &list[pick((uint32_t) n)];
    d->tstation = t->station;
    d->tseq = t->seq;
    return true;
}

/* Targets: ops earlier in this batch, services and gifts acked OK, ops
 * already voided, any op of a station (in flight or not), other
 * communities' ops, unknown seqs. */
static void
gen_void(opdesc_t *ops, size_t i, uint32_t s, uint64_t first_seq)
{
    opdesc_t *d = &ops[i];
    d->kind = 'v';
    d->at = some_time();
    snprintf(d->text, sizeof d->text, "%s", pick(2) ? "entered twice" : "wrong member");
    uint32_t r = pick(100);
    if (r < 25 && i > 0) {
        d->tstation = s;
        d->tseq = first_seq + pick((uint32_t) i);
    } else if (r < 65 && target_from(run.voidable, run.n_voidable, s, d)) {
        return;
    } else if (r < 73 && target_from(run.voided, run.n_voided, s, d)) {
        return;
    } else {
        uint32_t t = r < 85 && s <= 2 ? 1 + pick(2) : r < 92 ? s : 1 + pick(STATIONS);
        d->tstation = t;
        d->tseq = r >= 96 ? run.next_seq[t] + 500 + pick(100)
                          : 1 + pick((uint32_t) (run.next_seq[t] > 1 ? run.next_seq[t] - 1 : 1));
    }
}

/* Donations: of members here and elsewhere, unknown numbers, the whole
 * balance (the floor). */
static void
gen_donation(opdesc_t *d, uint32_t s)
{
    d->kind = 'd';
    d->at = some_time();
    d->minutes = some_minutes(8);
    snprintf(d->text, sizeof d->text, "%s", pick(2) ? "for the pool" : "");
    some_member(d->a, s);
    uint32_t r = pick(100);
    if (r < 4)
        unknown_member(d->a, s);
    else if (r < 6)
        d->minutes = 0;                     /* refused before posting */
    else if (r < 40 && station_of(d->a) != 0)
        d->minutes = exact_minutes(d->a, false) + (int64_t) pick(3) - 1;
    if (d->minutes < 0)
        d->minutes = 1;
}

static void
gen_op(opdesc_t *ops, size_t i, uint32_t s, uint64_t first_seq)
{
    memset(&ops[i], 0, sizeof ops[i]);
    uint32_t r = pick(100);
    uint32_t reg = run.n_members < 40 ? 60 : 15;
    if (r < reg)
        gen_register(ops, i, s);
    else if (r < reg + (100 - reg) * 55 / 100)
        gen_service(&ops[i], s);
    else if (r < reg + (100 - reg) * 70 / 100)
        gen_gift(&ops[i], s);
    else if (r < reg + (100 - reg) * 80 / 100)
        gen_donation(&ops[i], s);
    else
        gen_void(ops, i, s, first_seq);
    ops[i].operator_ = (int) pick(3);
    ops[i].phone = (int) pick(3);
}

/* ---- batches over the wire ---- */

/* The batch as central receives it; caller frees. */
static hb_h_batch_t *
build(const batch_t *bt)
{
    hb_h_batch_t *b = hb_h_batch_new();
    for (size_t i = 0; i < bt->n; i++) {
        const opdesc_t *d = &bt->ops[i];
        uint64_t seq = bt->first_seq + i;
        switch (d->kind) {
        case 'r':
            hb_h_batch_register(b, seq, d->a, d->text, d->role, d->birth, d->b);
            hb_h_batch_op(b, i)->occurred_at = d->at;
            break;
        case 's':
            hb_h_batch_service(b, seq, d->at, d->a, d->b, d->minutes, d->text);
            hb_h_batch_op(b, i)->service->note = (char *) (uintptr_t) NOTES[d->note];
            break;
        case 'g': hb_h_batch_gift(b, seq, d->at, d->a, d->b, d->minutes); break;
        case 'v': hb_h_batch_void(b, seq, d->at, d->tstation, d->tseq, d->text); break;
        case 'd': hb_h_batch_donation(b, seq, d->at, d->a, d->minutes, d->text); break;
        default: fail_msg("op kind %c", d->kind);
        }
        hb_h_batch_op(b, i)->operator_ = (char *) (uintptr_t) OPERATORS[d->operator_];
        if (d->kind == 'r')
            hb_h_batch_op(b, i)->register_member->phone = (char *) (uintptr_t) PHONES[d->phone];
    }
    return b;
}

static batch_t *
new_batch(uint32_t s, batch_kind_t kind, uint64_t first_seq, size_t n)
{
    hb_assert(run.n_batches < BATCHES_MAX && n >= 1 && n <= HB_BATCH_OPS_MAX);
    batch_t *bt = &run.batches[run.n_batches++];
    memset(bt, 0, sizeof *bt);
    bt->station = s;
    bt->kind = kind;
    bt->first_seq = first_seq;
    bt->n = n;
    bt->window = run.windows;
    bt->order = INT64_MAX;
    bt->ops = calloc(n, sizeof *bt->ops);
    bt->b = calloc(n, sizeof *bt->b);
    bt->a = calloc(n, sizeof *bt->a);
    hb_assert(bt->ops && bt->b && bt->a);
    return bt;
}

static void
gen_new_batch(uint32_t s)
{
    size_t n = 1 + pick(BATCH_NEW_OPS_MAX);
    batch_t *bt = new_batch(s, BATCH_NEW, run.next_seq[s], n);
    for (size_t i = 0; i < n; i++)
        gen_op(bt->ops, i, s, bt->first_seq);
    run.next_seq[s] += n;
    run.ops_new += n;
}

/* An earlier acked batch of station s (not of this window), or NULL. */
static const batch_t *
earlier_batch(uint32_t s)
{
    for (int tries = 0; tries < 20 && run.n_batches; tries++) {
        const batch_t *bt = &run.batches[pick((uint32_t) run.n_batches)];
        if (bt->station == s && bt->kind == BATCH_NEW && bt->window < run.windows)
            return bt;
    }
    return NULL;
}

/* The tail of an earlier batch again: unchanged (a resend), or with one
 * op changed (the seq reused for another payload). */
static bool
gen_repeat_batch(uint32_t s, batch_kind_t kind)
{
    const batch_t *old = earlier_batch(s);
    if (!old)
        return false;
    size_t from = pick(2) ? 0 : pick((uint32_t) old->n);
    batch_t *bt = new_batch(s, kind, old->first_seq + from, old->n - from);
    memcpy(bt->ops, old->ops + from, bt->n * sizeof *bt->ops);
    if (kind == BATCH_VARIANT) {
        /* half the time a registration, if the batch has one: a registration
         * refused for its reused seq is rarer than any other answer */
        size_t k = pick((uint32_t) bt->n);
        for (size_t j = 0; pick(2) && j < bt->n && bt->ops[k].kind != 'r'; j++)
            k = (k + 1) % bt->n;
        opdesc_t *d = &bt->ops[k];
        if (d->kind == 's' || d->kind == 'g' || d->kind == 'd')
            d->minutes = d->minutes == 15 ? 30 : 15;
        else
            snprintf(d->text, sizeof d->text, "changed");
    }
    return true;
}

static void
send_batch(batch_t *bt)
{
    hb_h_batch_t *b = build(bt);
    Hourbank__Envelope *env = hb_h_batch_envelope(b);
    env->version = HB_PROTOCOL_VERSION;
    env->correlation_id = bt->corr = ++run.next_corr;
    size_t size;
    uint8_t *data = hb_h_encode(env, &size);
    const void *frames[] = {data};
    const size_t sizes[] = {size};
    assert_int_equal(hb_h_client_send_raw(run.cl[bt->station], frames, sizes, 1), 0);
    free(data);
    hb_h_batch_free(&b);
    run.ops_sent += bt->n;
}

static void
read_ack(batch_t *bt)
{
    Hourbank__Envelope *r = hb_h_client_recv(run.cl[bt->station], ACK_WAIT_MS);
    if (!r)
        fail_msg("station %u: no ack for batch from seq %" PRIu64 "; see %s", bt->station, bt->first_seq,
                 run.b.log);
    if (r->body_case != HOURBANK__ENVELOPE__BODY_BATCH_ACK || r->correlation_id != bt->corr)
        fail_msg("station %u: reply %d with correlation id %" PRIu64 ", want the ack of %" PRIu64, bt->station,
                 (int) r->body_case, r->correlation_id, bt->corr);
    const Hourbank__BatchAck *ack = r->batch_ack;
    if (ack->batch_result != HOURBANK__RESULT__OK || ack->n_results != bt->n)
        fail_msg("station %u batch from seq %" PRIu64 ": batch_result %d (%s), %zu results for %zu ops",
                 bt->station, bt->first_seq, ack->batch_result, ack->message, ack->n_results, bt->n);
    for (size_t i = 0; i < bt->n; i++) {
        assert_int_equal(ack->results[i]->seq, bt->first_seq + i);
        bt->b[i].result = (int) ack->results[i]->result;
        snprintf(bt->b[i].message, sizeof bt->b[i].message, "%s", itest_values(ack->results[i]));
        bt->b[i].transfer = ack->results[i]->transfer_id != 0;
    }
    hb_wire_free(&r);
}

/* Registrations B refused: the station's later ops may not name them. */
static void
learn_refused(const batch_t *bt)
{
    if (bt->kind == BATCH_RESEND)
        return;
    for (size_t i = 0; i < bt->n; i++) {
        int res = bt->b[i].result;
        bool refused = res == HB_RESULT_DUPLICATE || res == HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD;
        if (bt->ops[i].kind == 'r' && refused && run.n_refused < DIFF_OPS_MAX) {
            refused_t *r = &run.refused[run.n_refused++];
            r->station = bt->station;
            snprintf(r->no, sizeof r->no, "%s", bt->ops[i].a);
        }
    }
}

/* What the generator may use next: registered members, voidable ops,
 * refused registrations. */
static void
learn(const batch_t *bt)
{
    learn_refused(bt);
    for (size_t i = 0; i < bt->n && bt->kind == BATCH_NEW; i++) {
        const opdesc_t *d = &bt->ops[i];
        if (bt->b[i].result != HB_RESULT_OK)
            continue;
        if (d->kind == 'r' && d->member)
            run.members[d->member - 1].ok = true;
        else if ((d->kind == 's' || d->kind == 'g') && run.n_voidable < DIFF_OPS_MAX)
            run.voidable[run.n_voidable++] = (opref_t){bt->station, bt->first_seq + i};
        else if (d->kind == 'v' && run.n_voided < DIFF_OPS_MAX)
            run.voided[run.n_voided++] = (opref_t){d->tstation, d->tseq};
    }
}

/* Several batches of several stations sent before any ack is read. Per
 * station the replies come in order. */
static void
run_window(void)
{
    size_t first = run.n_batches;
    size_t want = 1 + pick(WINDOW_BATCHES_MAX);
    for (size_t k = 0; k < want && run.ops_new < run.ops_target; k++) {
        uint32_t s = 1 + pick(STATIONS);
        uint32_t r = pick(100);
        if (!(r < 8 && gen_repeat_batch(s, BATCH_RESEND)) && !(r >= 8 && r < 13 && gen_repeat_batch(s, BATCH_VARIANT)))
            gen_new_batch(s);
    }
    for (size_t i = first; i < run.n_batches; i++)
        send_batch(&run.batches[i]);
    for (size_t i = first; i < run.n_batches; i++) {
        read_ack(&run.batches[i]);
        learn(&run.batches[i]);
    }
    run.windows++;
}

/* ---- the two databases ---- */

static void
write_rules(hb_h_central_t *c)
{
    char *y = NULL;
    size_t ysize = 0;
    FILE *f = open_memstream(&y, &ysize);
    fprintf(f,
            "listen: \"%s\"\ndatabase: \"%s\"\nsecret_key_file: central.secret\nlog_level: debug\n"
            "clock_skew: 10m\nmax_record_age: 30d\nguarantee_budget: 80h\ntime_zone: Asia/Shanghai\nadmin_public_keys: [\"%s\"]\n"
            "categories:\n"
            "  - {name: companionship, description: visits}\n"
            "  - {name: meal-delivery, description: meals}\n"
            "  - {name: personal-care, description: bathing and dressing}\n"
            "  - {name: gardening, description: garden work}\n"
            "districts:\n"
            "  - {code: GULOU, name: Gulou, floor: 0m, cap: 4h, overflow: reject, daily_limit: 3h, gifts: family,\n"
            "     payer_rules: [{category: personal-care, payer: guarantee, min_recipient_age: 80},\n"
            "                   {category: gardening, payer: recipient},\n"
            "                   {category: \"*\", payer: guarantee, min_recipient_age: 90}],\n"
            "     communities: [{code: QX03, name: Qingxi, stations: [\n"
            "       {id: 1, name: Qingxi one, public_key: \"%s\", member_serial_max: 499999},\n"
            "       {id: 2, name: Qingxi two, public_key: \"%s\", member_serial_min: 500000}]}]}\n"
            "  - {code: QINHUAI, name: Qinhuai, floor: -2h, cap: 3h, overflow: donate, daily_limit: 4h, gifts: any,\n"
            "     time_zone: America/New_York,\n"
            "     payer_rules: [{category: \"*\", payer: guarantee, min_recipient_age: 85}],\n"
            "     communities: [{code: QH01, name: Qinhuai one, stations: [\n"
            "       {id: 3, name: Qinhuai three, public_key: \"%s\"}]}]}\n"
            "  - {code: JIANYE, name: Jianye, cap: 3h, overflow: reject, daily_limit: 2h, gifts: none, time_zone: UTC,\n"
            "     payer_rules: [{category: meal-delivery, payer: guarantee}],\n"
            "     communities: [{code: JY05, name: Jianye five, stations: [\n"
            "       {id: 4, name: Jianye four, public_key: \"%s\"}]}]}\n",
            c->endpoint, c->conninfo, c->admin_pub, c->station_pub[1], c->station_pub[2], c->station_pub[3],
            c->station_pub[4]);
    fclose(f);
    hb_h_write_file(c->conf, y);
    free(y);
}

/* A rules version like the newest, without JIANYE's rules, written by hand. */
static void
drop_jianye(PGconn *pg)
{
    static const char *const sql[] = {
        "INSERT INTO rules_version (checksum, clock_skew_s, max_age_s, guarantee_budget)"
        " SELECT 'itest: JIANYE dropped', clock_skew_s, max_age_s, guarantee_budget FROM rules_version"
        " ORDER BY version DESC LIMIT 1",
        "INSERT INTO category (version, name, description) SELECT (SELECT max(version) FROM rules_version),"
        " name, description FROM category WHERE version = (SELECT max(version) - 1 FROM rules_version)",
        "INSERT INTO district_rule (version, district, floor, cap, overflow, daily_limit, gifts, time_zone)"
        " SELECT (SELECT max(version) FROM rules_version), district, floor, cap, overflow, daily_limit, gifts,"
        " time_zone FROM district_rule WHERE version = (SELECT max(version) - 1 FROM rules_version)"
        " AND district <> 'JIANYE'",
        "INSERT INTO payer_rule (version, district, position, category, payer, min_age)"
        " SELECT (SELECT max(version) FROM rules_version), district, position, category, payer, min_age"
        " FROM payer_rule WHERE version = (SELECT max(version) - 1 FROM rules_version) AND district <> 'JIANYE'",
    };
    assert_true(hb_h_pg_ok(pg, "BEGIN"));
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++)
        assert_true(hb_h_pg_ok(pg, sql[i]));
    assert_true(hb_h_pg_ok(pg, "COMMIT"));
}

/* B records the order its op rows are inserted in. */
static void
setup_b(const char *name)
{
    hb_h_central_init(&run.b, name, NULL, NULL, NULL);
    write_rules(&run.b);
    PGconn *pg = hb_h_pg(run.b.conninfo);
    assert_true(hb_h_pg_ok(pg, "CREATE TABLE itest_op_order (n bigserial PRIMARY KEY, station_id integer,"
                               " seq bigint)"));
    assert_true(hb_h_pg_ok(pg, "CREATE FUNCTION itest_op_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                               " INSERT INTO itest_op_order (station_id, seq) VALUES (NEW.station_id, NEW.seq);"
                               " RETURN NULL; END $$"));
    assert_true(hb_h_pg_ok(pg, "CREATE TRIGGER itest_op_order AFTER INSERT ON op FOR EACH ROW"
                               " EXECUTE FUNCTION itest_op_order()"));
    PQfinish(pg);
    hb_h_central_start(&run.b);
    run.probe = hb_h_pg(run.b.conninfo);
    for (uint32_t s = 1; s <= STATIONS; s++) {
        run.cl[s] = hb_h_central_client(&run.b, s);
        assert_int_equal(hb_h_hello(run.cl[s], s, 0), 0);
    }
}

/* A: migrated, and its rules recorded by a central started once. */
static void
setup_a(const char *name)
{
    hb_h_central_init(&run.a, name, NULL, NULL, NULL);
    write_rules(&run.a);
    hb_h_central_start(&run.a);
    int st = hb_h_central_stop(&run.a, SIGTERM);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* A and B made their own hash keys; A takes B's, so that a registration
 * has the same payload hash in both (hb_wire_op_hash). */
static void
share_hash_key(void)
{
    PGresult *k = PQexecParams(run.probe, "SELECT key FROM hash_key", 0, NULL, NULL, NULL, NULL, 1);
    assert_true(PQresultStatus(k) == PGRES_TUPLES_OK && PQntuples(k) == 1 &&
                PQgetlength(k, 0, 0) == HB_WIRE_HASH_KEY_BYTES);
    memcpy(run.hash_key, PQgetvalue(k, 0, 0), HB_WIRE_HASH_KEY_BYTES);
    PQclear(k);
    char hex[2 * HB_WIRE_HASH_KEY_BYTES + 1], sql[256];
    sodium_bin2hex(hex, sizeof hex, run.hash_key, HB_WIRE_HASH_KEY_BYTES);
    snprintf(sql, sizeof sql, "ALTER TABLE hash_key DISABLE TRIGGER hash_key_immutable;"
                              " UPDATE hash_key SET key = '\\x%s'; ALTER TABLE hash_key ENABLE TRIGGER"
                              " hash_key_immutable", hex);
    PGconn *pg = hb_h_pg(run.a.conninfo);
    assert_true(hb_h_pg_ok(pg, sql));
    PQfinish(pg);
}

static void
start_run(uint64_t seed, size_t ops, bool mutate)
{
    for (size_t i = 0; i < run.n_batches; i++) {
        free(run.batches[i].ops);
        free(run.batches[i].b);
        free(run.batches[i].a);
    }
    memset(&run, 0, sizeof run);
    run.rng = seed;
    run.ops_target = ops;
    run.mutate = mutate;
    run.now = (int64_t) time(NULL);
    run.noon = (run.now - 13 * 3600) / DAY_S * DAY_S + 12 * 3600;
    time_t noon = (time_t) run.noon;
    struct tm tm;
    gmtime_r(&noon, &tm);
    run.year = (uint32_t) tm.tm_year + 1900;
    for (uint32_t s = 1; s <= STATIONS; s++) {
        run.next_seq[s] = 1;
        run.next_serial[s] = SERIAL_FIRST[s];
    }
}

/* ---- the reference: the same ops through hb_apply_op on A ---- */

/* Text parameters of one op, as server/ledger.c fill_params makes them. */
typedef struct {
    char station[16], seq[24], hash[2 + 2 * crypto_hash_sha256_BYTES + 1], occurred[24];
    char minutes[24], role[8], birth[16], tstation[16], tseq[24], detail[HB_MESSAGE_BYTES_MAX + 8];
    const char *v[APPLY_PARAMS];
} params_t;

static void
op_hash(const Hourbank__Op *op, char *out, size_t out_size)
{
    unsigned char h[HB_WIRE_HASH_BYTES];
    hb_wire_op_hash(op, run.hash_key, h);
    out[0] = '\\';
    out[1] = 'x';
    sodium_bin2hex(out + 2, out_size - 2, h, sizeof h);
}

static void
fill_kind(params_t *p, const Hourbank__Op *op)
{
    p->v[5] = p->v[6] = p->v[8] = p->v[9] = "";
    snprintf(p->minutes, sizeof p->minutes, "0");
    snprintf(p->role, sizeof p->role, "0");
    snprintf(p->birth, sizeof p->birth, "0");
    snprintf(p->tstation, sizeof p->tstation, "0");
    snprintf(p->tseq, sizeof p->tseq, "0");
    if (op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER) {
        p->v[5] = op->register_member->member_no;
        p->v[6] = op->register_member->family_of;
        p->v[8] = op->register_member->name;
        snprintf(p->role, sizeof p->role, "%d", (int) op->register_member->role);
        snprintf(p->birth, sizeof p->birth, "%" PRIu32, op->register_member->birth_year);
    } else if (op->kind_case == HOURBANK__OP__KIND_SERVICE) {
        p->v[5] = op->service->provider;
        p->v[6] = op->service->recipient;
        p->v[8] = op->service->category;
        p->v[9] = op->service->note;
        snprintf(p->minutes, sizeof p->minutes, "%" PRId64, op->service->minutes);
    } else if (op->kind_case == HOURBANK__OP__KIND_GIFT) {
        p->v[5] = op->gift->from_member;
        p->v[6] = op->gift->to_member;
        p->v[9] = op->gift->reason;
        snprintf(p->minutes, sizeof p->minutes, "%" PRId64, op->gift->minutes);
    } else if (op->kind_case == HOURBANK__OP__KIND_DONATION) {
        p->v[5] = op->donation->member;
        p->v[9] = op->donation->reason;
        snprintf(p->minutes, sizeof p->minutes, "%" PRId64, op->donation->minutes);
    } else if (op->kind_case == HOURBANK__OP__KIND_VOID_OP) {
        p->v[9] = op->void_op->reason;
        snprintf(p->tstation, sizeof p->tstation, "%" PRIu32, op->void_op->target->station_id);
        snprintf(p->tseq, sizeof p->tseq, "%" PRIu64, op->void_op->target->seq);
    }
}

static void
fill_params(params_t *p, uint32_t station, const Hourbank__Op *op)
{
    snprintf(p->station, sizeof p->station, "%" PRIu32, station);
    snprintf(p->seq, sizeof p->seq, "%" PRIu64, op->seq);
    snprintf(p->occurred, sizeof p->occurred, "%" PRId64, op->occurred_at);
    op_hash(op, p->hash, sizeof p->hash);
    fill_kind(p, op);
    p->v[0] = p->station;
    p->v[1] = p->seq;
    p->v[2] = p->hash;
    p->v[3] = hb_wire_op_kind_name(op);
    p->v[4] = p->occurred;
    p->v[7] = p->minutes;
    p->v[10] = p->role;
    p->v[11] = p->birth;
    p->v[12] = p->tstation;
    p->v[13] = p->tseq;
    p->v[14] = op->operator_;
    p->v[15] = op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER ? op->register_member->phone : "";
}

/* An op that fails hb_wire_validate_op goes through hb_reject_op, as in
 * central; every other through hb_apply_op. */
static void
apply_ref_op(PGconn *pg, uint32_t station, const Hourbank__Op *op, answer_t *out)
{
    params_t p;
    fill_params(&p, station, op);
    hb_wire_error_t err;
    PGresult *r;
    if (hb_wire_validate_op(op, HB_WIRE_OP_IN_BATCH, &err) != 0) {
        char code[16];
        snprintf(code, sizeof code, "%d", (int) err.code);
        snprintf(p.detail, sizeof p.detail, "detail=%s", err.message);  /* as posting.c's refusal_params */
        const char *v[REJECT_PARAMS] = {p.station, p.seq, p.hash, p.v[3], p.occurred, code, p.detail};
        r = PQexecParams(pg, REJECT_SQL, REJECT_PARAMS, NULL, v, NULL, NULL, 0);
    } else {
        r = PQexecParams(pg, APPLY_SQL, APPLY_PARAMS, NULL, p.v, NULL, NULL, 0);
    }
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        fail_msg("reference A: station %" PRIu32 " seq %" PRIu64 ": %s", station, op->seq, PQresultErrorMessage(r));
    out->result = (int) strtol(PQgetvalue(r, 0, 0), NULL, 10);
    snprintf(out->message, sizeof out->message, "%s", PQgetvalue(r, 0, 1));
    out->transfer = !PQgetisnull(r, 0, 2);
    PQclear(r);
}

/* One transaction per batch, the system accounts flushed before COMMIT. */
static void
apply_ref_batch(PGconn *pg, batch_t *bt)
{
    assert_true(hb_h_pg_ok(pg, "BEGIN"));
    hb_h_batch_t *b = build(bt);
    for (size_t i = 0; i < bt->n; i++)
        apply_ref_op(pg, bt->station, hb_h_batch_op(b, i), &bt->a[i]);
    hb_h_batch_free(&b);
    assert_true(hb_h_pg_ok(pg, "SELECT hb_flush_system()"));
    if (!hb_h_pg_ok(pg, "COMMIT"))
        fail_msg("reference A: COMMIT of station %" PRIu32 " batch from seq %" PRIu64 ": %s", bt->station,
                 bt->first_seq, PQerrorMessage(pg));
}

/* Resends and reused seqs insert no op row in B, so their place in B's
 * order is taken from their station's connection: central takes one
 * station's batches in the order it sent them. A repeat goes just before
 * the next new batch its station sent in the same window (its orders are
 * doubled to make room), or last in the window when there is none. Most
 * repeats change nothing, but a registration sent again with another
 * payload records a refused registration that the station's later ops meet
 * (REGISTRATION_REFUSED), so its place among that station's batches
 * matters. */
static void
place_repeats(void)
{
    for (size_t k = 0; k < run.n_batches; k++)
        if (run.batches[k].kind == BATCH_NEW)
            run.batches[k].order *= 2;
    for (size_t k = 0; k < run.n_batches; k++) {
        batch_t *bt = &run.batches[k];
        if (bt->kind == BATCH_NEW)
            continue;
        bt->order = INT64_MAX;
        for (size_t j = k + 1; j < run.n_batches && run.batches[j].window == bt->window; j++) {
            const batch_t *next = &run.batches[j];
            if (next->station == bt->station && next->kind == BATCH_NEW) {
                bt->order = next->order - 1;
                break;
            }
        }
    }
}

/* Where B inserted each new batch's first op row; a batch whose rows are
 * not contiguous there is counted (the order of a window then comes from
 * its first row). Returns that count. */
static size_t
read_b_order(void)
{
    PGconn *pg = hb_h_pg(run.b.conninfo);
    PGresult *r = PQexec(pg, "SELECT station_id, seq, n FROM itest_op_order ORDER BY n");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    int64_t *order[STATIONS + 1] = {NULL};
    for (uint32_t s = 1; s <= STATIONS; s++) {
        order[s] = calloc(run.next_seq[s] + 1, sizeof *order[s]);
        hb_assert(order[s]);
    }
    for (int i = 0; i < PQntuples(r); i++) {
        long s = strtol(PQgetvalue(r, i, 0), NULL, 10);
        uint64_t seq = strtoull(PQgetvalue(r, i, 1), NULL, 10);
        if (s < 1 || s > STATIONS || seq >= run.next_seq[s])
            fail_msg("B holds op %ld:%" PRIu64 ", which the test never sent", s, seq);
        order[s][seq] = strtoll(PQgetvalue(r, i, 2), NULL, 10);
    }
    PQclear(r);
    PQfinish(pg);
    size_t scattered = 0;
    for (size_t k = 0; k < run.n_batches; k++) {
        batch_t *bt = &run.batches[k];
        if (bt->kind != BATCH_NEW)
            continue;
        bt->order = order[bt->station][bt->first_seq];
        for (size_t i = 0; i < bt->n; i++) {
            int64_t at = order[bt->station][bt->first_seq + i];
            if (at == 0)
                fail_msg("B stored no op row for %" PRIu32 ":%" PRIu64, bt->station, bt->first_seq + i);
            scattered += at != bt->order + (int64_t) i && i > 0 ? 1 : 0;
        }
    }
    for (uint32_t s = 1; s <= STATIONS; s++)
        free(order[s]);
    place_repeats();
    return scattered;
}

static int
by_window_then_order(const void *x, const void *y)
{
    const batch_t *a = &run.batches[*(const size_t *) x], *b = &run.batches[*(const size_t *) y];
    if (a->window != b->window)
        return a->window < b->window ? -1 : 1;
    if (a->order != b->order)
        return a->order < b->order ? -1 : 1;
    return *(const size_t *) x < *(const size_t *) y ? -1 : 1;
}

static void
apply_reference(void)
{
    size_t scattered = read_b_order();
    if (scattered)
        print_message("posting diff: note: %zu op rows of B were not inserted batch by batch\n", scattered);
    size_t *idx = calloc(run.n_batches, sizeof *idx);
    hb_assert(idx);
    for (size_t k = 0; k < run.n_batches; k++)
        idx[k] = k;
    qsort(idx, run.n_batches, sizeof *idx, by_window_then_order);
    PGconn *pg = hb_h_pg(run.a.conninfo);
    if (run.mutate)  /* the self-check: one rule differs in A */
        assert_true(hb_h_pg_ok(pg, "UPDATE district_rule SET daily_limit = daily_limit + 60 WHERE district = 'GULOU'"));
    bool dropped = false;
    for (size_t k = 0; k < run.n_batches; k++) {
        if (run.dropped && !dropped && run.batches[idx[k]].window >= run.drop_window) {
            drop_jianye(pg);  /* where B had it */
            dropped = true;
        }
        apply_ref_batch(pg, &run.batches[idx[k]]);
    }
    if (run.dropped && !dropped)
        drop_jianye(pg);
    PQfinish(pg);
    free(idx);
}

/* ---- comparing A and B ---- */

static char diff_text[DIFF_TEXT_BYTES];

static bool mismatch(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static bool
mismatch(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diff_text, sizeof diff_text, fmt, ap);
    va_end(ap);
    return true;
}

/* A result's values as compared: without central's clock
 * (OCCURRED_IN_FUTURE names now()). */
#define NORMALIZED(m) "regexp_replace(" m ", E'\\ncentral_time=[0-9]+', '')"

static void
normalized(PGconn *pg, const answer_t *x, char *out, size_t size)
{
    const char *v[] = {x->message};
    PGresult *r = PQexecParams(pg, "SELECT " NORMALIZED("$1::text"), 1, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("normalizing \"%s\": %s", x->message, PQresultErrorMessage(r));
    snprintf(out, size, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
}

static void
describe_op(const opdesc_t *d, char *out, size_t size)
{
    switch (d->kind) {
    case 'r':
        snprintf(out, size, "register %s family_of=\"%s\" born %" PRIu32, d->a, d->b, d->birth);
        break;
    case 's':
        snprintf(out, size, "service %s -> %s %" PRId64 " min %s at %" PRId64, d->a, d->b, d->minutes, d->text, d->at);
        break;
    case 'g': snprintf(out, size, "gift %s -> %s %" PRId64 " min at %" PRId64, d->a, d->b, d->minutes, d->at); break;
    case 'd': snprintf(out, size, "donation %s %" PRId64 " min at %" PRId64, d->a, d->minutes, d->at); break;
    default: snprintf(out, size, "void of %" PRIu32 ":%" PRIu64, d->tstation, d->tseq); break;
    }
}

static const char *const BATCH_KIND[] = {"new", "resent", "seq reused"};

/* Whether B's and A's answers to op i of bt agree; messages are
 * normalized only when they differ as they are. */
static bool
same_answer(PGconn *pa, PGconn *pb, const batch_t *bt, size_t i)
{
    const answer_t *b = &bt->b[i], *a = &bt->a[i];
    if (b->result != a->result || b->transfer != a->transfer)
        return false;
    if (strcmp(b->message, a->message) == 0)
        return true;
    char mb[HB_MESSAGE_BYTES_MAX], ma[HB_MESSAGE_BYTES_MAX];
    normalized(pb, b, mb, sizeof mb);
    normalized(pa, a, ma, sizeof ma);
    return strcmp(mb, ma) == 0;
}

/* Every op's answer, in the order the ops were sent. */
static bool
compare_answers(void)
{
    PGconn *pa = hb_h_pg(run.a.conninfo), *pb = hb_h_pg(run.b.conninfo);
    bool differ = false;
    for (size_t k = 0; k < run.n_batches && !differ; k++) {
        const batch_t *bt = &run.batches[k];
        for (size_t i = 0; i < bt->n && !differ; i++) {
            if (same_answer(pa, pb, bt, i))
                continue;
            char what[160];
            describe_op(&bt->ops[i], what, sizeof what);
            differ = mismatch("first different answer: op %" PRIu32 ":%" PRIu64 " (%s; %s batch, window %zu)\n"
                            "  B central:      result %d \"%s\" %s\n  A hb_apply_op: result %d \"%s\" %s",
                            bt->station, bt->first_seq + i, what, BATCH_KIND[bt->kind], bt->window,
                            bt->b[i].result, bt->b[i].message, bt->b[i].transfer ? "with transfer" : "no transfer",
                            bt->a[i].result, bt->a[i].message, bt->a[i].transfer ? "with transfer" : "no transfer");
        }
    }
    PQfinish(pa);
    PQfinish(pb);
    return differ;
}

static void
row_text(const PGresult *r, int row, char *out, size_t size)
{
    if (row >= PQntuples(r)) {
        snprintf(out, size, "(no row)");
        return;
    }
    out[0] = '\0';
    for (int c = 0; c < PQnfields(r); c++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s=%s", c ? " | " : "", PQfname(r, c),
                 PQgetisnull(r, row, c) ? "NULL" : PQgetvalue(r, row, c));
}

static PGresult *
query(PGconn *pg, const char *which, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("query on %s failed: %s\n%s", which, PQresultErrorMessage(r), sql);
    return r;
}

/* The same query on both: the first row that differs. */
static bool
compare_query(PGconn *pa, PGconn *pb, const char *label, const char *sql)
{
    PGresult *ra = query(pa, "A", sql), *rb = query(pb, "B", sql);
    int n = PQntuples(ra) > PQntuples(rb) ? PQntuples(ra) : PQntuples(rb);
    bool differ = false;
    for (int i = 0; i < n && !differ; i++) {
        char ta[1024], tb[1024];
        row_text(ra, i, ta, sizeof ta);
        row_text(rb, i, tb, sizeof tb);
        if (strcmp(ta, tb) != 0)
            differ = mismatch("%s differ at row %d (A has %d rows, B %d):\n  B central:      %s\n"
                              "  A hb_apply_op: %s", label, i + 1, PQntuples(ra), PQntuples(rb), tb, ta);
    }
    PQclear(ra);
    PQclear(rb);
    return differ;
}

static const struct {
    const char *label, *sql;
} TABLES[] = {
    {"op tables",
     "SELECT station_id, seq, kind, result,"
     " " NORMALIZED("params") " AS params, message,"
     " encode(payload_hash, 'hex') AS payload_hash, occurred_at::text AS occurred_at,"
     " transfer_id IS NOT NULL AS has_transfer FROM op ORDER BY station_id, seq"},
    {"op records",
     "SELECT station_id, seq, operator, member, counterpart, minutes, category, note, target_station, target_seq,"
     " rules_version, payer, payer_rule, member_district, counterpart_district, payer_district, service_day,"
     " posted_day FROM op ORDER BY station_id, seq"},
    {"transfers",
     "SELECT t.station_id, t.seq, row_number() OVER (PARTITION BY t.station_id, t.seq ORDER BY t.id) AS nth,"
     " coalesce(md.member_no, 'account ' || t.debit_account) AS debit,"
     " coalesce(mc.member_no, 'account ' || t.credit_account) AS credit, t.minutes, t.kind,"
     " coalesce(t.category, '(none)') AS category, t.note, t.occurred_at::text AS occurred_at, t.rules_version,"
     " coalesce(r.station_id || ':' || r.seq || '#' || (SELECT count(*) FROM transfer x WHERE"
     " x.station_id = r.station_id AND x.seq = r.seq AND x.id <= r.id), '-') AS reverses"
     " FROM transfer t LEFT JOIN member md ON md.account_id = t.debit_account"
     " LEFT JOIN member mc ON mc.account_id = t.credit_account LEFT JOIN transfer r ON r.id = t.reverses"
     " ORDER BY t.station_id, t.seq, t.id"},
    {"members and their balances",
     "SELECT m.member_no, m.community, m.name, m.role, m.birth_year, m.phone, m.family, m.profile_version,"
     " m.station_id, m.seq, a.district, a.debits, a.credits, a.credits - a.debits AS balance"
     " FROM member_now m JOIN account a ON a.id = m.account_id ORDER BY m.member_no"},
    {"system accounts",
     "SELECT id, kind, debits, credits, credits - debits AS balance,"
     " (SELECT count(*) FROM account) AS accounts FROM account WHERE kind <> 'member' ORDER BY id"},
    {"void links", "SELECT target_station, target_seq, void_station, void_seq FROM void_link ORDER BY 1, 2"},
    {"refused registrations", "SELECT station_id, member_no, seq, result FROM refused_registration ORDER BY 1, 2, 3"},
};

static bool
verify_fails(PGconn *pg, const char *which)
{
    PGresult *r = query(pg, which, "SELECT count(*), coalesce(string_agg(problem, '; '), '') FROM"
                                   " (SELECT problem FROM hb_verify()) p");
    bool bad = strcmp(PQgetvalue(r, 0, 0), "0") != 0;
    if (bad)
        mismatch("hb_verify() on %s: %s problems: %.300s", which, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
    PQclear(r);
    return bad;
}

static bool
compare_tables(void)
{
    PGconn *pa = hb_h_pg(run.a.conninfo), *pb = hb_h_pg(run.b.conninfo);
    bool differ = verify_fails(pb, "B (central)") || verify_fails(pa, "A (reference)");
    for (size_t i = 0; !differ && i < sizeof TABLES / sizeof TABLES[0]; i++)
        differ = compare_query(pa, pb, TABLES[i].label, TABLES[i].sql);
    PQfinish(pa);
    PQfinish(pb);
    return differ;
}

/* ---- what the stream covered ---- */

typedef struct {
    size_t codes[HB_RESULT_LAST + 1];
    size_t refused_register, refused_service, refused_gift;  /* REGISTRATION_REFUSED by op kind */
    int64_t refusals_dup, refusals_seq;                      /* refused_registration rows in B by result */
    size_t repeated, family_same_batch, void_same_batch;
    int64_t overflow, void_floor, guarantee_paid, groups_shared, largest_group;
    int64_t donations, donations_floor, payer_rules;
} coverage_t;

static void
count_answers(coverage_t *c)
{
    for (size_t k = 0; k < run.n_batches; k++) {
        const batch_t *bt = &run.batches[k];
        c->repeated += bt->kind == BATCH_NEW ? 0 : bt->n;
        for (size_t i = 0; i < bt->n; i++) {
            const opdesc_t *d = &bt->ops[i];
            int res = bt->b[i].result;
            c->codes[res >= 0 && res <= HB_RESULT_LAST ? res : 0]++;
            if (res == HB_RESULT_REGISTRATION_REFUSED && bt->kind == BATCH_NEW) {
                c->refused_register += d->kind == 'r';
                c->refused_service += d->kind == 's';
                c->refused_gift += d->kind == 'g';
            }
            bool ok = res == HB_RESULT_OK && bt->kind == BATCH_NEW;
            for (size_t j = 0; ok && d->kind == 'r' && d->b[0] && j < i; j++)
                c->family_same_batch += bt->ops[j].kind == 'r' && strcmp(bt->ops[j].a, d->b) == 0;
            c->void_same_batch += ok && d->kind == 'v' && d->tstation == bt->station && d->tseq >= bt->first_seq;
        }
    }
}

/* From central's debug log: commits that held more than one batch. */
static void
count_groups(coverage_t *c)
{
    FILE *f = fopen(run.b.log, "r");
    assert_non_null(f);
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        const char *at = strstr(line, "group committed batches=");
        if (!at)
            continue;
        long n = strtol(at + strlen("group committed batches="), NULL, 10);
        c->groups_shared += n > 1;
        c->largest_group = n > c->largest_group ? n : c->largest_group;
    }
    fclose(f);
}

static void
count_coverage(coverage_t *c)
{
    memset(c, 0, sizeof *c);
    count_answers(c);
    count_groups(c);
    PGconn *pg = hb_h_pg(run.b.conninfo);
    c->overflow = hb_h_pg_int(pg, "SELECT count(*) FROM transfer WHERE kind = 'overflow'");
    c->void_floor = hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE kind = 'void' AND result = 12");
    c->guarantee_paid = hb_h_pg_int(pg, "SELECT count(*) FROM transfer WHERE kind = 'service' AND debit_account = 1");
    c->donations = hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE kind = 'donation' AND result = 1");
    c->donations_floor = hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE kind = 'donation' AND result = 12");
    c->payer_rules = hb_h_pg_int(pg, "SELECT count(*) FROM op WHERE payer_rule IS NOT NULL");
    c->refusals_dup = hb_h_pg_int(pg, "SELECT count(*) FROM refused_registration WHERE result = 2");
    c->refusals_seq = hb_h_pg_int(pg, "SELECT count(*) FROM refused_registration WHERE result = 3");
    PQfinish(pg);
}

static void
report(const coverage_t *c, double seconds)
{
    print_message("posting diff: %zu ops (%zu new, %zu resent or with a reused seq) in %zu batches, %zu windows,"
                  " %.1f s\n", run.ops_sent, run.ops_new, c->repeated, run.n_batches, run.windows, seconds);
    print_message("posting diff: %" PRId64 " commits of several batches (largest %" PRId64 "), %" PRId64
                  " guarantee-paid services, %" PRId64 " overflow donations, %" PRId64 " voids refused for the"
                  " floor, %zu family links and %zu voids within one batch\n", c->groups_shared, c->largest_group,
                  c->guarantee_paid, c->overflow, c->void_floor, c->family_same_batch, c->void_same_batch);
    print_message("posting diff: %" PRId64 " registrations refused as DUPLICATE and %" PRId64 " for a reused seq;"
                  " REGISTRATION_REFUSED for %zu registrations, %zu services, %zu gifts\n", c->refusals_dup,
                  c->refusals_seq, c->refused_register, c->refused_service, c->refused_gift);
    print_message("posting diff: %" PRId64 " donations posted, %" PRId64 " refused for the floor; %" PRId64
                  " services paid as a payer rule chose\n", c->donations, c->donations_floor, c->payer_rules);
    for (int code = 0; code <= HB_RESULT_LAST; code++)
        if (c->codes[code])
            print_message("posting diff:   %2d %-32s %zu\n", code, hb_result_name((hb_result_t) code), c->codes[code]);
}

/* The default stream must keep reaching every rule it is meant to test. */
static void
check_coverage(const coverage_t *c)
{
    static const int want[] = {
        HB_RESULT_OK, HB_RESULT_DUPLICATE, HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD, HB_RESULT_NOT_AUTHORIZED,
        HB_RESULT_UNKNOWN_MEMBER, HB_RESULT_UNKNOWN_CATEGORY, HB_RESULT_INVALID_DURATION, HB_RESULT_SELF_SERVICE,
        HB_RESULT_INSUFFICIENT_BALANCE, HB_RESULT_CAP_EXCEEDED, HB_RESULT_DAILY_LIMIT_EXCEEDED,
        HB_RESULT_OCCURRED_IN_FUTURE, HB_RESULT_TOO_OLD, HB_RESULT_ALREADY_VOIDED, HB_RESULT_UNKNOWN_OPERATION,
        HB_RESULT_BAD_MEMBER_NUMBER, HB_RESULT_NOT_FAMILY, HB_RESULT_BUDGET_EXHAUSTED, HB_RESULT_NOT_VOIDABLE,
        HB_RESULT_REGISTRATION_REFUSED, HB_RESULT_NO_DISTRICT_RULES,
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (c->codes[want[i]] == 0)
            fail_msg("the default stream no longer produces %s", hb_result_name((hb_result_t) want[i]));
    assert_true(c->groups_shared > 0 && c->overflow > 0 && c->void_floor > 0 && c->guarantee_paid > 0);
    assert_true(c->family_same_batch > 0 && c->void_same_batch > 0 && c->repeated > 0);
    assert_true(c->refusals_dup > 0 && c->refusals_seq > 0);
    assert_true(c->donations > 0 && c->donations_floor > 0 && c->payer_rules > 0);
    assert_true(c->refused_register > 0 && c->refused_service > 0 && c->refused_gift > 0);
}

/* ---- the tests ---- */

/* Runs the stream on B, then the reference on A. */
static void
stream(const char *name_b, const char *name_a, uint64_t seed, size_t ops, bool mutate)
{
    start_run(seed, ops, mutate);
    setup_a(name_a);
    setup_b(name_b);
    share_hash_key();
    while (run.ops_new < run.ops_target && run.n_batches + WINDOW_BATCHES_MAX <= BATCHES_MAX) {
        run_window();
        if (!run.dropped && run.ops_new >= run.ops_target / 2) {  /* between windows: no batch in flight */
            drop_jianye(run.probe);
            run.dropped = true;
            run.drop_window = run.windows;
        }
    }
    for (uint32_t s = 1; s <= STATIONS; s++)
        hb_h_client_destroy(&run.cl[s]);
    PQfinish(run.probe);
    run.probe = NULL;
    int st = hb_h_central_stop(&run.b, SIGTERM);  /* every log line written */
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    apply_reference();
}

static double
seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) (t.tv_sec - t0->tv_sec) + (double) (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
test_posting_diff(void **state)
{
    (void) state;
    uint64_t seed = env_number("HB_DIFF_SEED", DIFF_SEED_DEFAULT, UINT32_MAX);
    size_t ops = (size_t) env_number("HB_DIFF_OPS", DIFF_OPS_DEFAULT, DIFF_OPS_MAX);
    print_message("posting diff: seed=%" PRIu64 " ops=%zu (HB_DIFF_SEED and HB_DIFF_OPS override)\n", seed, ops);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    stream("hb_itest_diff_b", "hb_itest_diff_a", seed, ops, false);
    coverage_t c;
    count_coverage(&c);
    bool differ = compare_answers() || compare_tables();
    report(&c, seconds_since(&t0));
    if (differ)
        fail_msg("posting diff, seed %" PRIu64 ": central (B) and hb_apply_op (A) disagree\n%s\n"
                 "databases kept: %s and %s", seed, diff_text, run.b.conninfo, run.a.conninfo);
    if (seed == DIFF_SEED_DEFAULT && ops == DIFF_OPS_DEFAULT)
        check_coverage(&c);
}

/* The comparison is not blind: with one rule changed in A only (GULOU's
 * daily limit 3h there, 4h in A), both the answers and the tables differ. */
static void
test_diff_catches_a_rule_change(void **state)
{
    (void) state;
    stream("hb_itest_diffx_b", "hb_itest_diffx_a", DIFF_SEED_DEFAULT, SELF_CHECK_OPS, true);
    assert_true(compare_answers());
    print_message("self-check: caught %s\n", diff_text);
    assert_true(compare_tables());
    print_message("self-check: caught %s\n", diff_text);
}

static int
teardown(void **state)
{
    (void) state;
    for (uint32_t s = 1; s <= STATIONS; s++)
        hb_h_client_destroy(&run.cl[s]);
    if (run.probe)
        PQfinish(run.probe);
    run.probe = NULL;
    if (run.b.pid > 0)
        hb_h_central_stop(&run.b, SIGKILL);
    if (run.a.pid > 0)
        hb_h_central_stop(&run.a, SIGKILL);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_posting_diff, teardown),
        cmocka_unit_test_teardown(test_diff_catches_a_rule_change, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
