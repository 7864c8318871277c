#include "writer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hb_assert.h"
#include "hb_clock.h"
#include "hb_log.h"
#include "reconcile.h"
#include "rules.h"
#include "worker.h"

/* What only the writer thread touches. */
typedef struct {
    hb_ledger_t *ledger;
    const hb_central_conf_t *rules;  /* borrowed, see writer.h */
    int64_t db_retry_at_ms;
    int db_retry_delay_ms;
    int db_state;             /* -1 unknown, 0 down, 1 up: logged on change */
    int64_t db_down_since_ms; /* when db_state became 0 */
    bool fatal;               /* the schema is unusable: apply nothing more */
    bool fatal_sent;
} writer_state_t;

struct hb_writer {
    writer_state_t state;     /* the thread's, from new to destroy */
    hb_worker_t *worker;
};

/* The event that says "fatal"; never a group. */
static char fatal_event;

static void
db_connected(writer_state_t *w, int rules_version)
{
    if (w->db_state == 0)
        hb_log_info("ledger database connection restored, acks resume outage_ms=%" PRId64 " rules_version=%d",
                    hb_clock_ms() - w->db_down_since_ms, rules_version);
    else
        hb_log_info("ledger database connected rules_version=%d", rules_version);
    w->db_state = 1;
    w->db_retry_delay_ms = HB_RETRY_DELAY_MS_MIN;
}

/* Connects when due, with capped exponential backoff, and records the
 * rules; logs the database state once per change. */
static void
db_tick(writer_state_t *w)
{
    if (w->fatal || hb_ledger_connected(w->ledger) || hb_clock_ms() < w->db_retry_at_ms)
        return;
    char msg[512];
    bool fatal = false;
    int rules_version = 0;
    int rc = hb_ledger_connect(w->ledger, &fatal, msg, sizeof msg);
    if (rc == 0)
        rc = hb_rules_sync(hb_ledger_pg(w->ledger), w->rules, &rules_version, msg, sizeof msg);
    if (rc == HB_RULES_REFUSED)  /* the configuration in force does not fit the ledger: stop */
        fatal = true;
    if (fatal) {
        hb_log_error("%s", msg);
        w->fatal = true;
        return;
    }
    if (rc == 0) {
        db_connected(w, rules_version);
        return;
    }
    if (w->db_state != 0) {
        hb_log_error("ledger database unavailable, acks withheld until it returns: %s", msg);
        w->db_down_since_ms = hb_clock_ms();
    }
    w->db_state = 0;
    w->db_retry_at_ms = hb_clock_ms() + w->db_retry_delay_ms;
    w->db_retry_delay_ms *= 2;
    if (w->db_retry_delay_ms > HB_DB_RETRY_DELAY_MS_MAX)
        w->db_retry_delay_ms = HB_DB_RETRY_DELAY_MS_MAX;
}

static void
db_lost(writer_state_t *w)
{
    if (w->db_state == 1) {
        hb_log_error("ledger database connection lost, acks withheld until it returns: %s",
                     hb_ledger_error(w->ledger));
        w->db_down_since_ms = hb_clock_ms();
    }
    w->db_state = 0;
    w->db_retry_at_ms = hb_clock_ms() + w->db_retry_delay_ms;
}

/* A batch of a station that the rules in force here retired (or no longer
 * list): its new ops are refused NOT_AUTHORIZED. The rules change only in
 * a reload's group, after its batches: batches received before the reload
 * post, later ones are refused, also when they were queued before the main
 * loop had the new keys. One lookup per batch, in memory. */
static void
mark_retired(const writer_state_t *w, hb_writer_group_t *g)
{
    for (size_t i = 0; i < g->n_jobs; i++) {
        hb_ledger_job_t *job = &g->jobs[i];
        const hb_station_entry_t *st = hb_central_conf_station(w->rules, job->station_id, NULL);
        job->refusal[0] = '\0';
        if (!st || st->retired)
            snprintf(job->refusal, sizeof job->refusal, "reason=%s\nstation=%" PRIu32,
                     st ? "retired" : "not_configured", job->station_id);
    }
}

static void
apply_jobs(writer_state_t *w, hb_writer_group_t *g)
{
    g->apply_rc = 0;
    if (g->n_jobs == 0)
        return;
    mark_retired(w, g);
    g->apply_rc = w->fatal ? -1 : hb_ledger_apply(w->ledger, g->jobs, g->n_jobs);
    if (g->apply_rc != 0)
        db_lost(w);
    else
        hb_log_debug("group committed batches=%zu", g->n_jobs);
}

static void
answer_hellos(writer_state_t *w, hb_writer_group_t *g)
{
    for (size_t i = 0; i < g->n_hellos; i++) {
        hb_writer_hello_t *h = &g->hellos[i];
        hb_ledger_marks_t marks;
        bool ok = !w->fatal && hb_ledger_hello(w->ledger, h->station_id, h->station_acked, &marks) == 0;
        h->high_water = ok ? marks.high_water : -1;
        h->member_serial_mark = ok ? marks.member_serial_mark : 0;
        h->directory_version = ok ? marks.directory_version : 0;
        snprintf(h->time_zone, sizeof h->time_zone, "%s", ok ? marks.time_zone : "");
        h->rules_version = ok ? marks.rules_version : 0;
    }
}

/* Without a database they are not recorded (rc -1): the reply says so and
 * the station's next run reports again. */
static void
record_reports(writer_state_t *w, hb_writer_group_t *g)
{
    for (size_t i = 0; i < g->n_reports; i++) {
        hb_writer_report_t *r = &g->reports[i];
        r->rc = -1;
        if (!w->fatal && hb_ledger_connected(w->ledger))
            r->rc = hb_reconcile_record(hb_ledger_pg(w->ledger), r->station_id, r->report);
    }
}

/* Without a database they are lost; the stations' next messages say it again. */
static void
record_contacts(writer_state_t *w, hb_writer_group_t *g)
{
    if (g->n_contacts > 0 && !w->fatal && hb_ledger_connected(w->ledger))
        hb_ledger_contacts(w->ledger, g->contacts, g->n_contacts);
}

/* Without a database the new rules are accepted and recorded at reconnect. */
static void
sync_rules(writer_state_t *w, hb_writer_group_t *g)
{
    g->rules_rc = 0;
    g->rules_version = 0;
    g->rules_msg[0] = '\0';
    if (!g->rules)
        return;
    if (hb_ledger_connected(w->ledger) &&
        hb_rules_sync(hb_ledger_pg(w->ledger), g->rules, &g->rules_version, g->rules_msg,
                      sizeof g->rules_msg) != 0) {
        g->rules_rc = -1;
        return;
    }
    hb_ledger_rules_changed(w->ledger);
    w->rules = g->rules;
}

static void
handle(void *state, void *task)
{
    writer_state_t *w = state;
    hb_writer_group_t *g = task;
    hb_assert(g->n_jobs <= HB_GROUP_BATCHES_MAX && g->n_hellos <= HB_GROUP_HELLOS_MAX &&
              g->n_reports <= HB_GROUP_REPORTS_MAX);
    db_tick(w);
    apply_jobs(w, g);
    answer_hellos(w, g);
    record_reports(w, g);
    record_contacts(w, g);
    sync_rules(w, g);
}

static void *
tick(void *state)
{
    writer_state_t *w = state;
    db_tick(w);
    if (w->fatal && !w->fatal_sent) {
        w->fatal_sent = true;
        return &fatal_event;
    }
    return NULL;
}

hb_writer_t *
hb_writer_new(void *ctx, const char *conninfo, const hb_central_conf_t *rules)
{
    hb_assert(ctx && conninfo && rules);
    hb_writer_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->state.ledger = hb_ledger_new(conninfo);
    self->state.rules = rules;
    self->state.db_state = -1;
    self->state.db_retry_delay_ms = HB_RETRY_DELAY_MS_MIN;
    hb_worker_def_t def = {.name = "writer", .state = &self->state, .handle = handle, .tick = tick};
    self->worker = hb_worker_new(ctx, &def);
    return self;
}

void
hb_writer_destroy(hb_writer_t **self_p)
{
    hb_assert(self_p);
    hb_writer_t *self = *self_p;
    if (!self)
        return;
    hb_worker_destroy(&self->worker);
    hb_ledger_destroy(&self->state.ledger);
    free(self);
    *self_p = NULL;
}

void
hb_writer_send(hb_writer_t *self, hb_writer_group_t *group)
{
    hb_assert(self && group);
    hb_assert(group->n_jobs + group->n_hellos + group->n_reports + group->n_contacts > 0 || group->rules);
    hb_worker_send(self->worker, group);
}

hb_writer_group_t *
hb_writer_recv(hb_writer_t *self, bool *fatal)
{
    hb_assert(self && fatal);
    void *msg = hb_worker_recv(self->worker);
    if (msg == &fatal_event) {
        *fatal = true;
        return NULL;
    }
    return msg;
}

void *
hb_writer_socket(hb_writer_t *self)
{
    hb_assert(self);
    return hb_worker_socket(self->worker);
}
