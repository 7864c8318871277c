/* hb_wire_validate_reconcile.c - the validators of reconciliation
 * (ReconcileQuery, ReconcileReply, ReconcileRequest, ReconcileReport;
 * PROTOCOL.md "Reconciliation") and of the day and hash an OpResult
 * carries. Called by hb_wire__validate_body (hb_wire_validate.c). */
#include "hb_wire_int.h"
#include "hb_assert.h"
#include "hb_limits.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define DIGEST_BYTES 32

int
hb_wire__check_day(hb_wire_error_t *err, const char *where, const char *name, const char *day)
{
    if (day == NULL || day[0] == '\0')
        return 0;
    int y, m, d;
    char tail;
    if (strlen(day) != HB_DAY_TEXT_BYTES || sscanf(day, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
        day[4] != '-' || day[7] != '-' || y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s is not a day (YYYY-MM-DD)", where, name);
    return 0;
}

int
hb_wire__check_hash(hb_wire_error_t *err, const char *where, const char *name, ProtobufCBinaryData h,
                    bool required)
{
    if (h.len == 0 && !required)
        return 0;
    if (h.len != DIGEST_BYTES)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%s has %zu bytes, expected %d", where, name, h.len,
                             DIGEST_BYTES);
    return 0;
}

/* A range of seqs; with_figures: its counts and digest are read too (a
 * digest exactly when the range holds an op, or, with digest_optional,
 * none: a report's own figures where the station holds no hash of an op). */
static int
check_range_digest(hb_wire_error_t *err, const char *where, const Hourbank__ReconcileRange *r, bool with_figures,
                   bool digest_optional)
{
    if (r == NULL)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sis missing", where);
    if (hb_wire__check_u64(err, where, "first_seq", r->first_seq, 1, INT64_MAX) != 0 ||
        hb_wire__check_u64(err, where, "last_seq", r->last_seq, r->first_seq,
                           r->first_seq + HB_RECONCILE_RANGE_SEQS_MAX - 1) != 0)
        return -1;
    if (!with_figures)
        return 0;
    uint64_t ops = (uint64_t) r->accepted + r->rejected;
    if (ops > r->last_seq - r->first_seq + 1)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%saccepted + rejected = %" PRIu64 " exceeds the range's seqs",
                             where, ops);
    if (ops == 0 && r->digest.len != 0)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sdigest is set for a range with no op", where);
    return hb_wire__check_hash(err, where, "digest", r->digest, ops > 0 && !digest_optional);
}

static int
check_range(hb_wire_error_t *err, const char *where, const Hourbank__ReconcileRange *r, bool with_figures)
{
    return check_range_digest(err, where, r, with_figures, false);
}

/* Ranges: ascending and disjoint, at most HB_RECONCILE_RANGES_MAX, at most
 * listed_max with list set. */
static int
check_ranges(hb_wire_error_t *err, const char *where, const char *name, Hourbank__ReconcileRange *const *ranges,
             size_t n, bool with_figures, size_t listed_max)
{
    if (hb_wire__check_count(err, where, name, n, 0, HB_RECONCILE_RANGES_MAX) != 0)
        return -1;
    size_t listed = 0;
    for (size_t i = 0; i < n; i++) {
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%s%s[%zu].", where, name, i);
        if (check_range(err, sub, ranges[i], with_figures) != 0)
            return -1;
        if (i > 0 && ranges[i]->first_seq <= ranges[i - 1]->last_seq)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sfirst_seq=%" PRIu64 " is not above the last seq of"
                                 " the range before (%" PRIu64 "): ranges are ascending and disjoint", sub,
                                 ranges[i]->first_seq, ranges[i - 1]->last_seq);
        listed += ranges[i]->list;
    }
    if (listed > listed_max)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%s%zu ranges have list set, at most %zu may", where, listed,
                             listed_max);
    return 0;
}

static int
check_diff(hb_wire_error_t *err, const char *where, const Hourbank__ReconcileDiff *d)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__ReconcileDiff, kind, HB_NAME_BYTES_MAX, TEXT_LINE),
    };
    if (d == NULL)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sis missing", where);
    if (hb_wire__check_u64(err, where, "seq", d->seq, 1, INT64_MAX) != 0 || CHECK_TEXTS(err, where, d, rules) != 0 ||
        hb_wire__check_day(err, where, "posted_day", d->posted_day) != 0 ||
        hb_wire__check_result(err, where, "station_result", d->station_result, RESULT_UNSET_OK | RESULT_OK_OK) != 0 ||
        hb_wire__check_result(err, where, "central_result", d->central_result, RESULT_UNSET_OK | RESULT_OK_OK) != 0 ||
        hb_wire__check_result(err, where, "resent_result", d->resent_result, RESULT_UNSET_OK | RESULT_OK_OK) != 0)
        return -1;
    switch (d->what) {
    case HOURBANK__DISCREPANCY__MISSING_AT_CENTRAL:
    case HOURBANK__DISCREPANCY__ALTERED_AT_CENTRAL:
    case HOURBANK__DISCREPANCY__EXTRA_AT_CENTRAL:
        return 0;
    default:
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%swhat=%d is not a discrepancy", where, (int) d->what);
    }
}

int
hb_wire__validate_reconcile_report(hb_wire_error_t *err, const char *where, const Hourbank__ReconcileReport *r)
{
    if ((r->first_seq == 0) != (r->last_seq == 0))
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sfirst_seq and last_seq are both 0 or neither", where);
    size_t differing_max = r->ranges_differing < HB_RECONCILE_RANGES_MAX ? r->ranges_differing : HB_RECONCILE_RANGES_MAX;
    if (hb_wire__check_u64(err, where, "first_seq", r->first_seq, 0, INT64_MAX) != 0 ||
        hb_wire__check_u64(err, where, "last_seq", r->last_seq, r->first_seq, INT64_MAX) != 0 ||
        hb_wire__check_day(err, where, "from_day", r->from_day) != 0 ||
        hb_wire__check_time(err, where, "started_at", r->started_at) != 0 ||
        hb_wire__check_time(err, where, "finished_at", r->finished_at) != 0 ||
        hb_wire__check_u64(err, where, "ranges_differing", r->ranges_differing, 0, r->ranges) != 0 ||
        hb_wire__check_count(err, where, "differing", r->n_differing, 0, differing_max) != 0 ||
        hb_wire__check_count(err, where, "diffs", r->n_diffs, 0, HB_RECONCILE_DIFFS_MAX) != 0 ||
        hb_wire__check_u64(err, where, "resent", r->resent, 0, r->missing) != 0)
        return -1;
    if ((uint64_t) r->n_diffs > (uint64_t) r->missing + r->altered + r->extra)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%slists %zu diffs but counts %" PRIu64, where, r->n_diffs,
                             (uint64_t) r->missing + r->altered + r->extra);
    for (size_t i = 0; i < r->n_differing; i++) {
        const Hourbank__ReconcileMismatch *m = r->differing[i];
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%sdiffering[%zu].", where, i);
        if (m == NULL || check_range_digest(err, sub, m->here, true, true) != 0 ||
            check_range(err, sub, m->central, true) != 0)
            return m == NULL ? hb_wire__fail(err, HB_RESULT_MALFORMED, "%sis missing", sub) : -1;
    }
    for (size_t i = 0; i < r->n_diffs; i++) {
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%sdiffs[%zu].", where, i);
        if (check_diff(err, sub, r->diffs[i]) != 0)
            return -1;
    }
    return 0;
}

int
hb_wire__validate_reconcile_query(hb_wire_error_t *err, const char *where, const Hourbank__ReconcileQuery *q)
{
    if (check_ranges(err, where, "ranges", q->ranges, q->n_ranges, false, HB_RECONCILE_LISTED_MAX) != 0)
        return -1;
    if (q->report == NULL)
        return q->n_ranges == 0 ? hb_wire__fail(err, HB_RESULT_MALFORMED, "%sneither ranges nor report", where) : 0;
    char sub[WHERE_BYTES];
    hb_wire__where_format(sub, sizeof sub, "%sreport.", where);
    return hb_wire__validate_reconcile_report(err, sub, q->report);
}

int
hb_wire__validate_reconcile_reply(hb_wire_error_t *err, const char *where, const Hourbank__ReconcileReply *r)
{
    if (check_ranges(err, where, "ranges", r->ranges, r->n_ranges, true, HB_RECONCILE_RANGES_MAX) != 0 ||
        hb_wire__check_count(err, where, "ops", r->n_ops, 0,
                             (size_t) HB_RECONCILE_LISTED_MAX * HB_RECONCILE_RANGE_SEQS_MAX) != 0)
        return -1;
    for (size_t i = 0; i < r->n_ops; i++) {
        static const text_rule_t rules[] = {
            TEXT(Hourbank__ReconcileOp, kind, HB_NAME_BYTES_MAX, TEXT_LINE),
        };
        const Hourbank__ReconcileOp *op = r->ops[i];
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%sops[%zu].", where, i);
        if (op == NULL)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sis missing", sub);
        if (hb_wire__check_u64(err, sub, "seq", op->seq, 1, INT64_MAX) != 0 ||
            hb_wire__check_hash(err, sub, "payload_hash", op->payload_hash, true) != 0 ||
            hb_wire__check_result(err, sub, "result", op->result, RESULT_OK_OK) != 0 ||
            hb_wire__check_day(err, sub, "posted_day", op->posted_day) != 0 || CHECK_TEXTS(err, sub, op, rules) != 0)
            return -1;
        if (i > 0 && op->seq <= r->ops[i - 1]->seq)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sseq=%" PRIu64 " does not follow seq=%" PRIu64, sub, op->seq,
                                 r->ops[i - 1]->seq);
    }
    return 0;
}

int
hb_wire__validate_reconcile_request(hb_wire_error_t *err, const char *where, const Hourbank__ReconcileRequest *q)
{
    return hb_wire__check_day(err, where, "from_day", q->from_day);
}
