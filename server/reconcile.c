/* reconcile.c - recording a station's reconcile report (reconcile.h). */
#include "reconcile.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_limits.h"
#include "hb_log.h"

/* Replaces the station's row; answers whether the previous row held the
 * same open findings (unanswered missing, altered, extra, their seqs). */
static const char RECORD_SQL[] =
    "WITH old AS (SELECT greatest(missing - resent, 0) AS unanswered, altered, extra, firsts"
    "  FROM station_reconcile WHERE station_id = $1),"
    " up AS (INSERT INTO station_reconcile (station_id, reported_at, from_seq, through_seq, from_day, ranges,"
    "  ranges_differing, ops_here, ops_central, missing, altered, extra, resent, idle, firsts)"
    "  VALUES ($1, now(), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    "  ON CONFLICT (station_id) DO UPDATE SET reported_at = EXCLUDED.reported_at, from_seq = EXCLUDED.from_seq,"
    "  through_seq = EXCLUDED.through_seq, from_day = EXCLUDED.from_day, ranges = EXCLUDED.ranges,"
    "  ranges_differing = EXCLUDED.ranges_differing, ops_here = EXCLUDED.ops_here,"
    "  ops_central = EXCLUDED.ops_central, missing = EXCLUDED.missing, altered = EXCLUDED.altered,"
    "  extra = EXCLUDED.extra, resent = EXCLUDED.resent, idle = EXCLUDED.idle, firsts = EXCLUDED.firsts"
    "  RETURNING 1)"
    " SELECT (SELECT count(*) FROM up),"
    "  coalesce((SELECT unanswered = greatest($9::integer - $12::integer, 0) AND altered = $10 AND extra = $11"
    "   AND firsts = $14 FROM old), false)";

enum { P_STATION, P_FROM, P_THROUGH, P_FROM_DAY, P_RANGES, P_DIFFERING, P_HERE, P_CENTRAL, P_MISSING, P_ALTERED,
       P_EXTRA, P_RESENT, P_IDLE, P_FIRSTS, P_COUNT };

/* The first HB_RECONCILE_FIRSTS_MAX seqs of one kind of open finding
 * (a missing op only while unanswered), as " name a,b" after "; ". */
static void
firsts_of(const Hourbank__ReconcileReport *r, Hourbank__Discrepancy what, const char *name, char *out, size_t size)
{
    size_t used = strlen(out), n = 0;
    for (size_t i = 0; i < r->n_diffs && n < HB_RECONCILE_FIRSTS_MAX; i++) {
        const Hourbank__ReconcileDiff *d = r->diffs[i];
        if (d->what != what || (what == HOURBANK__DISCREPANCY__MISSING_AT_CENTRAL &&
                                d->resent_result != HOURBANK__RESULT__RESULT_UNSET))
            continue;
        int w = snprintf(out + used, size - used, "%s%s%" PRIu64, n ? "," : used ? "; " : "", n ? "" : name, d->seq);
        if (w < 0 || (size_t) w >= size - used)
            return;
        used += (size_t) w;
        n++;
    }
}

/* The first HB_RECONCILE_FIRSTS_MAX missing ops the station resent and
 * central answered, as "a,b". */
static void
resent_of(const Hourbank__ReconcileReport *r, char *out, size_t size)
{
    size_t used = 0, n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->n_diffs && n < HB_RECONCILE_FIRSTS_MAX; i++) {
        const Hourbank__ReconcileDiff *d = r->diffs[i];
        if (d->what != HOURBANK__DISCREPANCY__MISSING_AT_CENTRAL || d->resent_result == HOURBANK__RESULT__RESULT_UNSET)
            continue;
        int w = snprintf(out + used, size - used, "%s%" PRIu64, n ? "," : "", d->seq);
        if (w < 0 || (size_t) w >= size - used)
            return;
        used += (size_t) w;
        n++;
    }
}

/* Any finding is an ALERT: an op central had acknowledged and no longer
 * holds is one even when the resend has put it back. Only a report whose
 * open findings repeat the previous report's, with nothing newly resent,
 * is logged as a plain warning. */
static void
log_findings(uint32_t station, const Hourbank__ReconcileReport *r, const char *firsts, bool repeated)
{
    uint32_t unanswered = r->missing - r->resent;  /* resent <= missing: hb_wire_unpack */
    if (r->altered == 0 && r->extra == 0 && r->missing == 0) {
        hb_log_info("reconcile report station=%" PRIu32 " from=%" PRIu64 " through=%" PRIu64 " ranges=%" PRIu32
                    " missing=%" PRIu32 " resent=%" PRIu32, station, r->first_seq, r->last_seq, r->ranges,
                    r->missing, r->resent);
        return;
    }
    char resent[HB_MESSAGE_BYTES_MAX];
    resent_of(r, resent, sizeof resent);
    repeated = repeated && r->resent == 0;
    hb_log_warn("%sreconcile: station %" PRIu32 " missing=%" PRIu32 " resent=%" PRIu32 " altered=%" PRIu32
                " extra=%" PRIu32 " unanswered=%" PRIu32 " seqs %s%s%s%s", repeated ? "" : "ALERT ", station,
                r->missing, r->resent, r->altered, r->extra, unanswered, firsts[0] ? firsts : "",
                resent[0] ? (firsts[0] ? "; resent " : "resent ") : "", resent,
                repeated ? " (as the station's previous report said)" : "");
}

int
hb_reconcile_record(PGconn *pg, uint32_t station_id, const Hourbank__ReconcileReport *r)
{
    hb_assert(pg && r && r->resent <= r->missing);
    char v[P_COUNT][24], firsts[HB_MESSAGE_BYTES_MAX] = "";
    firsts_of(r, HOURBANK__DISCREPANCY__MISSING_AT_CENTRAL, "missing ", firsts, sizeof firsts);
    firsts_of(r, HOURBANK__DISCREPANCY__ALTERED_AT_CENTRAL, "altered ", firsts, sizeof firsts);
    firsts_of(r, HOURBANK__DISCREPANCY__EXTRA_AT_CENTRAL, "extra ", firsts, sizeof firsts);
    snprintf(v[P_STATION], sizeof v[0], "%" PRIu32, station_id);
    snprintf(v[P_FROM], sizeof v[0], "%" PRIu64, r->first_seq);
    snprintf(v[P_THROUGH], sizeof v[0], "%" PRIu64, r->last_seq);
    snprintf(v[P_RANGES], sizeof v[0], "%" PRIu32, r->ranges);
    snprintf(v[P_DIFFERING], sizeof v[0], "%" PRIu32, r->ranges_differing);
    snprintf(v[P_HERE], sizeof v[0], "%" PRIu64, r->ops_here);
    snprintf(v[P_CENTRAL], sizeof v[0], "%" PRIu64, r->ops_central);
    snprintf(v[P_MISSING], sizeof v[0], "%" PRIu32, r->missing);
    snprintf(v[P_ALTERED], sizeof v[0], "%" PRIu32, r->altered);
    snprintf(v[P_EXTRA], sizeof v[0], "%" PRIu32, r->extra);
    snprintf(v[P_RESENT], sizeof v[0], "%" PRIu32, r->resent);
    snprintf(v[P_IDLE], sizeof v[0], "%s", r->idle ? "t" : "f");
    const char *p[P_COUNT];
    for (int i = 0; i < P_COUNT; i++)
        p[i] = v[i];
    p[P_FROM_DAY] = r->from_day;
    p[P_FIRSTS] = firsts;
    PGresult *res = PQexecParams(pg, RECORD_SQL, P_COUNT, NULL, p, NULL, NULL, 0);
    int rc = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 ? 0 : -1;
    if (rc != 0)
        hb_log_error("could not record the reconcile report of station %" PRIu32 ": %s", station_id,
                     PQresultErrorMessage(res));
    /* the findings reach the log whether or not the database took them */
    log_findings(station_id, r, firsts, rc == 0 && PQgetvalue(res, 0, 1)[0] == 't');
    PQclear(res);
    return rc;
}
