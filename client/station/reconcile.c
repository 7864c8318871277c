/* reconcile.c - a station's reconcile run (reconcile.h; PROTOCOL.md
 * "Reconciliation"). States: RANGES (the figures of up to
 * HB_RECONCILE_RANGES_MAX bucket ranges asked), LISTING (up to
 * HB_RECONCILE_LISTED_MAX differing ranges listed), WAITING (the missing
 * ops marked and resent; their answers awaited), REPORTING (the report
 * sent). Each step is one query through the link (hb_sync_forward) or one
 * tick; what the outbox holds is read in outbox_reconcile.c. */
#include "reconcile.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hb_assert.h"
#include "hb_log.h"
#include "station_day.h"

#define TM_YEAR_BASE 1900

typedef enum { RC_IDLE = 0, RC_RANGES, RC_LISTING, RC_WAITING, RC_REPORTING } rc_state_t;

/* A range that differed: the station's figures and central's. */
typedef struct {
    hb_outbox_figures_t here;
    uint32_t accepted, rejected;
    uint8_t digest[HB_OUTBOX_DIGEST_BYTES];
    size_t digest_len;
} mismatch_t;

/* One diff as the report lists it, with room for its texts. */
typedef struct {
    Hourbank__ReconcileDiff d;
    char kind[HB_NAME_BYTES_MAX + 1];
    char posted_day[HB_DAY_TEXT_BYTES + 1];
} diff_t;

/* The report's lists as sent: built from the run's arrays at the end. */
typedef struct {
    Hourbank__ReconcileMismatch m[HB_RECONCILE_RANGES_MAX];
    Hourbank__ReconcileRange here[HB_RECONCILE_RANGES_MAX], central[HB_RECONCILE_RANGES_MAX];
    Hourbank__ReconcileMismatch *m_ptrs[HB_RECONCILE_RANGES_MAX];
    Hourbank__ReconcileDiff *d_ptrs[HB_RECONCILE_DIFFS_MAX];
} report_lists_t;

struct hb_reconcile {
    hb_outbox_t *outbox;
    hb_sync_t *sync;
    int64_t interval_s;
    int64_t last_end;        /* meta.reconciled_at */
    rc_state_t state;
    hb_reconcile_done_fn *done;
    void *arg;
    /* the run */
    Hourbank__ReconcileReport report;
    char from_day[HB_DAY_TEXT_BYTES + 1];
    uint64_t next_seq;       /* the first seq whose figures are not asked yet */
    hb_outbox_figures_t chunk[HB_RECONCILE_RANGES_MAX];
    size_t n_chunk;          /* ranges of the query in flight */
    mismatch_t *mism;        /* every differing range, in seq order */
    size_t n_mism, cap_mism;
    size_t next_listed;      /* mism[next_listed..] not listed yet */
    diff_t *diffs;           /* the first HB_RECONCILE_DIFFS_MAX */
    size_t n_diffs;
    uint64_t *missing;       /* every missing seq, ascending */
    size_t n_missing, cap_missing;
    hb_outbox_held_t *held;  /* one range's ops here */
    int64_t wait_until;
    report_lists_t *lists;
};

hb_reconcile_t *
hb_reconcile_new(hb_outbox_t *outbox, int64_t interval_s)
{
    hb_assert(outbox && interval_s > 0);
    hb_reconcile_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->outbox = outbox;
    self->interval_s = interval_s;
    self->last_end = hb_outbox_reconciled_at(outbox);
    if (self->last_end <= 0) {  /* never ran: the idle clock starts now, and restarts keep it */
        self->last_end = (int64_t) time(NULL);
        hb_outbox_set_reconciled_at(outbox, self->last_end);
    }
    return self;
}

static void run_end(hb_reconcile_t *self, hb_result_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void
hb_reconcile_destroy(hb_reconcile_t **self_p)
{
    hb_assert(self_p);
    hb_reconcile_t *self = *self_p;
    if (!self)
        return;
    if (self->state != RC_IDLE)
        run_end(self, HB_RESULT_UNAVAILABLE, "the station is stopping");
    free(self);
    *self_p = NULL;
}

void
hb_reconcile_set_sync(hb_reconcile_t *self, hb_sync_t *sync)
{
    hb_assert(self);
    self->sync = sync;
}

void
hb_reconcile_set_interval(hb_reconcile_t *self, int64_t interval_s)
{
    hb_assert(self && interval_s > 0);
    self->interval_s = interval_s;
}

bool
hb_reconcile_running(const hb_reconcile_t *self)
{
    hb_assert(self);
    return self->state != RC_IDLE;
}

static void
run_free(hb_reconcile_t *self)
{
    free(self->mism);
    free(self->diffs);
    free(self->missing);
    free(self->held);
    free(self->lists);
    self->mism = NULL;
    self->diffs = NULL;
    self->missing = NULL;
    self->held = NULL;
    self->lists = NULL;
    self->n_mism = self->cap_mism = self->n_diffs = self->n_missing = self->cap_missing = 0;
}

static void
log_outcome(const hb_reconcile_t *self, const Hourbank__ReconcileReport *r)
{
    if (r->first_seq == 0) {
        hb_log_info("reconcile done: nothing to compare (no acked op held%s%s) idle=%d", r->from_day[0] ? " from " : "",
                    r->from_day, (int) r->idle);
        return;
    }
    if (r->ranges_differing == 0) {
        hb_log_info("reconcile done: central holds what this station holds first_seq=%" PRIu64 " last_seq=%" PRIu64
                    " ranges=%" PRIu32 " ops=%" PRIu64 " idle=%d", r->first_seq, r->last_seq, r->ranges, r->ops_here,
                    (int) r->idle);
        return;
    }
    hb_log_warn("reconcile found differences first_seq=%" PRIu64 " last_seq=%" PRIu64 " ranges=%" PRIu32
                " differing=%" PRIu32 " ops_here=%" PRIu64 " ops_central=%" PRIu64 " missing=%" PRIu32
                " altered=%" PRIu32 " extra=%" PRIu32 " resent=%" PRIu32 " first_diff_seq=%" PRIu64 " idle=%d",
                r->first_seq, r->last_seq, r->ranges, r->ranges_differing, r->ops_here, r->ops_central, r->missing,
                r->altered, r->extra, r->resent, self->n_diffs ? self->diffs[0].d.seq : 0, (int) r->idle);
}

/* Ends the run: the idle clock restarts, the asker is answered. */
static void
run_end(hb_reconcile_t *self, hb_result_t code, const char *fmt, ...)
{
    char msg[HB_MESSAGE_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    self->state = RC_IDLE;
    self->last_end = (int64_t) time(NULL);
    hb_outbox_set_reconciled_at(self->outbox, self->last_end);
    if (code == HB_RESULT_OK)
        log_outcome(self, &self->report);
    else
        hb_log_warn("reconcile ended without a report code=%s reason=\"%s\" idle=%d", hb_result_name(code), msg,
                    (int) self->report.idle);
    hb_reconcile_done_fn *done = self->done;
    self->done = NULL;
    if (done)
        done(self->arg, code, msg, code == HB_RESULT_OK ? &self->report : NULL);
    run_free(self);
}

/* Sends a query (ranges and/or report); false (the run ended) when the
 * link cannot take it. */
static bool
query_send(hb_reconcile_t *self, Hourbank__ReconcileRange **ranges, size_t n, Hourbank__ReconcileReport *report)
{
    Hourbank__Envelope env;
    Hourbank__ReconcileQuery q;
    hourbank__envelope__init(&env);
    hourbank__reconcile_query__init(&q);
    q.ranges = ranges;
    q.n_ranges = n;
    q.report = report;
    env.body_case = HOURBANK__ENVELOPE__BODY_RECONCILE_QUERY;
    env.reconcile_query = &q;
    if (self->sync && hb_sync_forward(self->sync, &env, HB_RECONCILE_TOKEN) == 0)
        return true;
    run_end(self, HB_RESULT_UNAVAILABLE, "the link to central is %s",
            hb_sync_link_name(self->sync ? hb_sync_link(self->sync) : HB_LINK_DOWN));
    return false;
}

/* Asks central for the figures of the next ranges (whole buckets clipped
 * to the seqs compared), after computing the station's own. */
static void
ask_ranges(hb_reconcile_t *self)
{
    Hourbank__ReconcileRange rr[HB_RECONCILE_RANGES_MAX], *ptrs[HB_RECONCILE_RANGES_MAX];
    size_t n = 0;
    uint64_t last = self->report.last_seq;
    while (n < HB_RECONCILE_RANGES_MAX && self->next_seq <= last) {
        uint64_t bucket_end = (self->next_seq - 1) / HB_RECONCILE_BUCKET_OPS * HB_RECONCILE_BUCKET_OPS +
                              HB_RECONCILE_BUCKET_OPS;
        hb_outbox_figures_t *f = &self->chunk[n];
        f->first_seq = self->next_seq;
        f->last_seq = bucket_end < last ? bucket_end : last;
        hourbank__reconcile_range__init(&rr[n]);
        rr[n].first_seq = f->first_seq;
        rr[n].last_seq = f->last_seq;
        ptrs[n] = &rr[n];
        self->next_seq = f->last_seq + 1;
        n++;
    }
    self->n_chunk = n;
    if (hb_outbox_reconcile_figures(self->outbox, self->chunk, n) != 0) {
        run_end(self, HB_RESULT_INTERNAL, "could not read the outbox's figures (see the station's log)");
        return;
    }
    self->state = RC_RANGES;
    query_send(self, ptrs, n, NULL);
}

static bool
figures_differ(const hb_outbox_figures_t *here, const Hourbank__ReconcileRange *c)
{
    return here->unknown || here->accepted != c->accepted || here->rejected != c->rejected ||
           here->digest_len != c->digest.len ||
           (here->digest_len > 0 && memcmp(here->digest, c->digest.data, here->digest_len) != 0);
}

static void
mismatch_add(hb_reconcile_t *self, const hb_outbox_figures_t *here, const Hourbank__ReconcileRange *c)
{
    if (self->n_mism == self->cap_mism) {
        self->cap_mism = self->cap_mism ? self->cap_mism * 2 : HB_RECONCILE_LISTED_MAX;
        self->mism = realloc(self->mism, self->cap_mism * sizeof *self->mism);
        hb_assert(self->mism);
    }
    mismatch_t *m = &self->mism[self->n_mism++];
    m->here = *here;
    m->accepted = c->accepted;
    m->rejected = c->rejected;
    m->digest_len = c->digest.len == sizeof m->digest ? c->digest.len : 0;  /* validated: 0 or 32 bytes */
    if (m->digest_len)
        memcpy(m->digest, c->digest.data, m->digest_len);
}

static void ask_listing(hb_reconcile_t *self);

/* Central's figures for the ranges asked: compared with the station's. */
static void
on_ranges(hb_reconcile_t *self, const Hourbank__ReconcileReply *r)
{
    if (r->n_ranges != self->n_chunk) {
        run_end(self, HB_RESULT_UNAVAILABLE, "central answered %zu ranges of the %zu asked", r->n_ranges,
                self->n_chunk);
        return;
    }
    for (size_t i = 0; i < r->n_ranges; i++) {
        const hb_outbox_figures_t *here = &self->chunk[i];
        const Hourbank__ReconcileRange *c = r->ranges[i];
        if (c->first_seq != here->first_seq || c->last_seq != here->last_seq) {
            run_end(self, HB_RESULT_UNAVAILABLE, "central answered seqs %" PRIu64 "-%" PRIu64 " for %" PRIu64
                    "-%" PRIu64, c->first_seq, c->last_seq, here->first_seq, here->last_seq);
            return;
        }
        self->report.ranges++;
        self->report.ops_here += (uint64_t) here->accepted + here->rejected;
        self->report.ops_central += (uint64_t) c->accepted + c->rejected;
        if (figures_differ(here, c)) {
            self->report.ranges_differing++;
            mismatch_add(self, here, c);
        }
    }
    if (self->next_seq <= self->report.last_seq)
        ask_ranges(self);
    else
        ask_listing(self);
}

static void
missing_add(hb_reconcile_t *self, uint64_t seq)
{
    if (self->n_missing == self->cap_missing) {
        self->cap_missing = self->cap_missing ? self->cap_missing * 2 : HB_RECONCILE_BUCKET_OPS;
        self->missing = realloc(self->missing, self->cap_missing * sizeof *self->missing);
        hb_assert(self->missing);
    }
    self->missing[self->n_missing++] = seq;
}

/* Counts a diff; the first HB_RECONCILE_DIFFS_MAX are listed. here or
 * central (or both) is the op as that side holds it. */
static void
diff_add(hb_reconcile_t *self, Hourbank__Discrepancy what, const hb_outbox_held_t *here,
         const Hourbank__ReconcileOp *central, bool hash_differs)
{
    if (what == HOURBANK__DISCREPANCY__MISSING_AT_CENTRAL) {
        self->report.missing++;
        missing_add(self, here->seq);
    } else if (what == HOURBANK__DISCREPANCY__ALTERED_AT_CENTRAL) {
        self->report.altered++;
    } else {
        self->report.extra++;
    }
    if (self->n_diffs == HB_RECONCILE_DIFFS_MAX)
        return;
    diff_t *x = &self->diffs[self->n_diffs++];
    hourbank__reconcile_diff__init(&x->d);
    x->d.seq = here ? here->seq : central->seq;
    x->d.what = what;
    x->d.station_result = here ? (Hourbank__Result) here->result : HOURBANK__RESULT__RESULT_UNSET;
    x->d.central_result = central ? central->result : HOURBANK__RESULT__RESULT_UNSET;
    x->d.hash_differs = hash_differs;
    snprintf(x->kind, sizeof x->kind, "%s", here ? here->kind : central->kind);
    snprintf(x->posted_day, sizeof x->posted_day, "%s", here ? here->posted_day : central->posted_day);
}

/* The ops of one listed range, here (held) and at central (c[*j..] up to
 * the range's last seq), merged by seq. */
static void
classify(hb_reconcile_t *self, const hb_outbox_held_t *held, size_t n_held, Hourbank__ReconcileOp *const *c,
         size_t n_c, size_t *j, uint64_t last)
{
    size_t i = 0;
    while (i < n_held || (*j < n_c && c[*j]->seq <= last)) {
        bool central_left = *j < n_c && c[*j]->seq <= last;
        if (!central_left || (i < n_held && held[i].seq < c[*j]->seq)) {
            diff_add(self, HOURBANK__DISCREPANCY__MISSING_AT_CENTRAL, &held[i++], NULL, false);
        } else if (i == n_held || c[*j]->seq < held[i].seq) {
            diff_add(self, HOURBANK__DISCREPANCY__EXTRA_AT_CENTRAL, NULL, c[(*j)++], false);
        } else {
            const Hourbank__ReconcileOp *o = c[(*j)++];
            const hb_outbox_held_t *h = &held[i++];
            /* a hash the station does not hold (an older central acked it): by result alone */
            bool hash_differs = h->has_hash && memcmp(h->hash, o->payload_hash.data, HB_OUTBOX_DIGEST_BYTES) != 0;
            if (hash_differs || h->result != (int) o->result)
                diff_add(self, HOURBANK__DISCREPANCY__ALTERED_AT_CENTRAL, h, o, hash_differs);
            else if (!h->has_hash)  /* agreed by result: its hash is known from now on (a failure only logs) */
                (void) hb_outbox_adopt_hash(self->outbox, h->seq, o->payload_hash.data, h->result);
        }
    }
}

/* Asks central to list the next differing ranges; when none is left, the
 * missing ops are resent. */
static void finish_listing(hb_reconcile_t *self);

static void
ask_listing(hb_reconcile_t *self)
{
    Hourbank__ReconcileRange rr[HB_RECONCILE_LISTED_MAX], *ptrs[HB_RECONCILE_LISTED_MAX];
    size_t n = 0;
    for (; n < HB_RECONCILE_LISTED_MAX && self->next_listed + n < self->n_mism; n++) {
        const hb_outbox_figures_t *f = &self->mism[self->next_listed + n].here;
        hourbank__reconcile_range__init(&rr[n]);
        rr[n].first_seq = f->first_seq;
        rr[n].last_seq = f->last_seq;
        rr[n].list = true;
        ptrs[n] = &rr[n];
    }
    if (n == 0) {
        finish_listing(self);
        return;
    }
    self->n_chunk = n;
    self->state = RC_LISTING;
    query_send(self, ptrs, n, NULL);
}

static void
on_listing(hb_reconcile_t *self, const Hourbank__ReconcileReply *r)
{
    if (r->n_ranges != self->n_chunk) {
        run_end(self, HB_RESULT_UNAVAILABLE, "central listed %zu ranges of the %zu asked", r->n_ranges,
                self->n_chunk);
        return;
    }
    size_t j = 0;
    for (size_t k = 0; k < self->n_chunk; k++) {
        const hb_outbox_figures_t *f = &self->mism[self->next_listed + k].here;
        int n = hb_outbox_reconcile_ops(self->outbox, f->first_seq, f->last_seq, self->held,
                                        HB_RECONCILE_RANGE_SEQS_MAX);
        if (n < 0) {
            run_end(self, HB_RESULT_INTERNAL, "could not read the outbox's ops (see the station's log)");
            return;
        }
        while (j < r->n_ops && r->ops[j]->seq < f->first_seq)
            j++;  /* outside every range listed: not central's to send */
        classify(self, self->held, (size_t) n, r->ops, r->n_ops, &j, f->last_seq);
    }
    self->next_listed += self->n_chunk;
    ask_listing(self);
}

/* Builds the report's lists (the first ranges and diffs) and sends it. */
static void
send_report(hb_reconcile_t *self)
{
    report_lists_t *l = self->lists;
    Hourbank__ReconcileReport *rep = &self->report;
    size_t nm = self->n_mism < HB_RECONCILE_RANGES_MAX ? self->n_mism : HB_RECONCILE_RANGES_MAX;
    for (size_t i = 0; i < nm; i++) {
        mismatch_t *m = &self->mism[i];
        hourbank__reconcile_range__init(&l->here[i]);
        hourbank__reconcile_range__init(&l->central[i]);
        l->here[i].first_seq = l->central[i].first_seq = m->here.first_seq;
        l->here[i].last_seq = l->central[i].last_seq = m->here.last_seq;
        l->here[i].accepted = m->here.accepted;
        l->here[i].rejected = m->here.rejected;
        l->here[i].digest = (ProtobufCBinaryData){m->here.digest_len, m->here.digest};
        l->central[i].accepted = m->accepted;
        l->central[i].rejected = m->rejected;
        l->central[i].digest = (ProtobufCBinaryData){m->digest_len, m->digest};
        hourbank__reconcile_mismatch__init(&l->m[i]);
        l->m[i].here = &l->here[i];
        l->m[i].central = &l->central[i];
        l->m_ptrs[i] = &l->m[i];
    }
    for (size_t i = 0; i < self->n_diffs; i++) {
        self->diffs[i].d.kind = self->diffs[i].kind;
        self->diffs[i].d.posted_day = self->diffs[i].posted_day;
        l->d_ptrs[i] = &self->diffs[i].d;
    }
    rep->differing = l->m_ptrs;
    rep->n_differing = nm;
    rep->diffs = l->d_ptrs;
    rep->n_diffs = self->n_diffs;
    rep->from_day = self->from_day;
    rep->finished_at = (int64_t) time(NULL);
    self->state = RC_REPORTING;
    query_send(self, NULL, 0, rep);
}

static void
finish_listing(hb_reconcile_t *self)
{
    if (self->n_missing == 0) {
        send_report(self);
        return;
    }
    if (hb_outbox_resend_mark(self->outbox, self->missing, self->n_missing) != 0) {
        run_end(self, HB_RESULT_INTERNAL, "could not mark the missing ops for resending (see the station's log)");
        return;
    }
    hb_log_warn("reconcile: central lacks ops this station holds acked: sending them again missing=%zu"
                " first_seq=%" PRIu64, self->n_missing, self->missing[0]);
    self->state = RC_WAITING;
    self->wait_until = (int64_t) time(NULL) + HB_RECONCILE_RESEND_WAIT_S;
    hb_sync_resend(self->sync);
}

/* The resends' answers as the acks stored them: resent counts the
 * answered ones; each listed one gets its answer. */
static void
collect_answers(hb_reconcile_t *self)
{
    for (size_t i = 0; i < self->n_missing; i++) {
        bool marked = true;
        int result = 0;
        if (hb_outbox_resend_state(self->outbox, self->missing[i], &marked, &result) == 0 && !marked && result)
            self->report.resent++;
    }
    for (size_t i = 0; i < self->n_diffs; i++) {
        Hourbank__ReconcileDiff *d = &self->diffs[i].d;
        bool marked = true;
        int result = 0;
        if (d->what == HOURBANK__DISCREPANCY__MISSING_AT_CENTRAL &&
            hb_outbox_resend_state(self->outbox, d->seq, &marked, &result) == 0 && !marked)
            d->resent_result = (Hourbank__Result) result;
    }
}

static void
wait_tick(hb_reconcile_t *self, int64_t now)
{
    if (!self->sync || hb_sync_link(self->sync) != HB_LINK_UP) {
        run_end(self, HB_RESULT_UNAVAILABLE, "the link to central was lost while resending");
        return;
    }
    int64_t left = hb_outbox_resend_marked(self->outbox, self->missing[0], self->missing[self->n_missing - 1]);
    if (left > 0 && now < self->wait_until)
        return;
    if (left > 0)
        hb_log_warn("reconcile: central has not answered every resent op within %d s unanswered=%" PRId64
                    " (they stay queued and are sent on)", HB_RECONCILE_RESEND_WAIT_S, left);
    collect_answers(self);
    send_report(self);
}

/* The instant from_day begins in the district's zone (UTC when the zone
 * is not known yet): what an op with no posted day is taken from. */
static int64_t
day_start(const char *zone, const char *day)
{
    struct tm tm = {0};
    if (sscanf(day, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return 0;
    tm.tm_year -= TM_YEAR_BASE;
    tm.tm_mon -= 1;  /* struct tm counts months from 0 */
    int64_t utc = (int64_t) timegm(&tm);
    char local[HB_STATION_DAY_BYTES];
    int64_t start, end;
    if (!zone[0] || !hb_station_day_bounds(zone, utc, local, &start, &end))
        return utc;
    /* the zone's day at 00:00 UTC is from_day (east of UTC) or the day
     * before (west of it) */
    return strcmp(local, day) < 0 ? end : start;
}

hb_result_t
hb_reconcile_start(hb_reconcile_t *self, const char *from_day, bool idle, hb_reconcile_done_fn *done, void *arg,
                   char *msg, size_t msg_size)
{
    hb_assert(self && from_day && msg);
    if (self->state != RC_IDLE) {
        snprintf(msg, msg_size, "a reconcile run is under way; ask again when it has ended");
        return HB_RESULT_UNAVAILABLE;
    }
    if (!self->sync || hb_sync_link(self->sync) != HB_LINK_UP) {
        snprintf(msg, msg_size, "reconciling needs central, and the link to central is %s",
                 hb_sync_link_name(self->sync ? hb_sync_link(self->sync) : HB_LINK_DOWN));
        return HB_RESULT_UNAVAILABLE;
    }
    uint64_t first, last;
    int64_t from_start = from_day[0] ? day_start(hb_outbox_time_zone(self->outbox), from_day) : 0;
    if (hb_outbox_reconcile_bounds(self->outbox, from_day, from_start, &first, &last) != 0) {
        snprintf(msg, msg_size, "could not read the outbox (see the station's log)");
        return HB_RESULT_INTERNAL;
    }
    hourbank__reconcile_report__init(&self->report);
    snprintf(self->from_day, sizeof self->from_day, "%s", from_day);
    self->report.first_seq = first;
    self->report.last_seq = last;
    self->report.idle = idle;
    self->report.started_at = (int64_t) time(NULL);
    self->next_seq = first;
    self->next_listed = 0;
    self->diffs = calloc(HB_RECONCILE_DIFFS_MAX, sizeof *self->diffs);
    self->held = calloc(HB_RECONCILE_RANGE_SEQS_MAX, sizeof *self->held);
    self->lists = calloc(1, sizeof *self->lists);
    hb_assert(self->diffs && self->held && self->lists);
    self->done = done;
    self->arg = arg;
    hb_log_info("reconcile started first_seq=%" PRIu64 " last_seq=%" PRIu64 " from_day=%s idle=%d", first, last,
                from_day[0] ? from_day : "-", (int) idle);
    if (first == 0)
        send_report(self);  /* nothing to compare: the report says so */
    else
        ask_ranges(self);
    return HB_RESULT_OK;
}

void
hb_reconcile_on_reply(hb_reconcile_t *self, const Hourbank__Envelope *reply)
{
    hb_assert(self);
    if (self->state == RC_IDLE || self->state == RC_WAITING)
        return;  /* late: the run ended, or it does not wait for central */
    if (!reply) {
        run_end(self, HB_RESULT_UNAVAILABLE, "central did not answer in time, or the link to central was lost");
        return;
    }
    if (reply->body_case != HOURBANK__ENVELOPE__BODY_RECONCILE_REPLY) {
        run_end(self, HB_RESULT_UNAVAILABLE, "central did not reconcile: %s",
                reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR ? reply->error->message : "unexpected answer");
        return;
    }
    const Hourbank__ReconcileReply *r = reply->reconcile_reply;
    switch (self->state) {
    case RC_RANGES: on_ranges(self, r); break;
    case RC_LISTING: on_listing(self, r); break;
    case RC_REPORTING:
        if (!r->recorded)
            hb_log_warn("reconcile: central did not record the report");
        run_end(self, HB_RESULT_OK, "done");
        break;
    default: hb_unreachable();
    }
}

void
hb_reconcile_tick(hb_reconcile_t *self, int64_t now)
{
    hb_assert(self);
    if (self->state == RC_WAITING) {
        wait_tick(self, now);
        return;
    }
    if (self->state != RC_IDLE || !self->sync || hb_sync_link(self->sync) != HB_LINK_UP ||
        now - self->last_end < self->interval_s)
        return;
    if (hb_outbox_last_acked(self->outbox) != hb_outbox_last_seq(self->outbox) ||
        hb_outbox_resending(self->outbox) || hb_sync_inflight(self->sync) != 0)
        return;  /* not idle: work is on its way */
    char msg[HB_MESSAGE_BYTES_MAX];
    if (hb_reconcile_start(self, "", true, NULL, NULL, msg, sizeof msg) != HB_RESULT_OK) {
        hb_log_warn("idle reconcile not started: %s", msg);
        self->last_end = now;  /* tried again after another interval */
    }
}
