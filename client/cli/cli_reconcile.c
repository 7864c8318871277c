/* cli_reconcile.c - `reconcile [--from DATE]`: asks the station to run a
 * reconcile now (ReconcileRequest) and shows its ReconcileReport: the
 * seqs compared, each range that differed (the station's counts and
 * central's), each op that differs (missing at central, altered at
 * central, held only by central, with the results and the answer to a
 * resend), and a one-line summary; --json prints the report as one object
 * (README's CLI contract). Exit 0 when no op differs, 1 when some do. */
#include "cli_reconcile.h"
#include "cli_json.h"
#include "cli_parse.h"
#include "cli_report.h"
#include "cli_target.h"
#include "cli_words.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <string.h>
#include <sysexits.h>

/* Exit status when the run found differences (they are all named). */
#define EXIT_DIFFERENCES 1
/* How long the CLI waits for the run: its queries, and the wait for the
 * answers to what it resent. */
#define RECONCILE_TIMEOUT_MS (HB_RECONCILE_RESEND_WAIT_S * 2 * 1000)
_Static_assert(RECONCILE_TIMEOUT_MS <= HB_CLI_REPLY_TIMEOUT_MS_MAX, "the run's wait is a valid timeout");

/* A result's name, or NULL (JSON null) when unset. */
static const char *
result_or_null(Hourbank__Result r)
{
    return r == HOURBANK__RESULT__RESULT_UNSET ? NULL : hb_result_name((hb_result_t) r);
}

static const char *
text_or_null(const char *s)
{
    return s && s[0] ? s : NULL;
}

static const char *
what_word(Hourbank__Discrepancy what)
{
    switch (what) {
    case HOURBANK__DISCREPANCY__MISSING_AT_CENTRAL: return "missing";
    case HOURBANK__DISCREPANCY__ALTERED_AT_CENTRAL: return "altered";
    case HOURBANK__DISCREPANCY__EXTRA_AT_CENTRAL: return "extra";
    default: return NULL;
    }
}

/* ---- JSON ---- */

static void
json_counts(hb_cli_json_t *j, const char *key, const Hourbank__ReconcileRange *r)
{
    hb_cli_json_key(j, key);
    hb_cli_json_object_begin(j);
    hb_cli_json_kv_uint(j, "accepted", r ? r->accepted : 0);
    hb_cli_json_kv_uint(j, "rejected", r ? r->rejected : 0);
    hb_cli_json_object_end(j);
}

static void
json_diff(hb_cli_json_t *j, const Hourbank__ReconcileDiff *d)
{
    hb_cli_json_object_begin(j);
    hb_cli_json_kv_uint(j, "seq", d->seq);
    hb_cli_json_kv_string(j, "what", what_word(d->what));
    hb_cli_json_kv_string(j, "kind", text_or_null(d->kind));
    hb_cli_json_kv_string(j, "station_result", result_or_null(d->station_result));
    hb_cli_json_kv_string(j, "central_result", result_or_null(d->central_result));
    hb_cli_json_kv_bool(j, "hash_differs", d->hash_differs);
    hb_cli_json_kv_string(j, "posted_day", text_or_null(d->posted_day));
    hb_cli_json_kv_string(j, "resent_result", result_or_null(d->resent_result));
    hb_cli_json_object_end(j);
}

static void
json_report(hb_cli_t *cli, const Hourbank__ReconcileReport *r)
{
    hb_cli_json_t j;
    hb_cli_json_init(&j, cli->out);
    hb_cli_json_object_begin(&j);
    hb_cli_json_kv_uint(&j, "first_seq", r->first_seq);
    hb_cli_json_kv_uint(&j, "last_seq", r->last_seq);
    hb_cli_json_kv_string(&j, "from_day", text_or_null(r->from_day));
    hb_cli_json_kv_uint(&j, "ranges", r->ranges);
    hb_cli_json_kv_uint(&j, "ranges_differing", r->ranges_differing);
    hb_cli_json_kv_uint(&j, "ops_here", r->ops_here);
    hb_cli_json_kv_uint(&j, "ops_central", r->ops_central);
    hb_cli_json_kv_uint(&j, "missing", r->missing);
    hb_cli_json_kv_uint(&j, "altered", r->altered);
    hb_cli_json_kv_uint(&j, "extra", r->extra);
    hb_cli_json_kv_uint(&j, "resent", r->resent);
    hb_cli_json_kv_bool(&j, "idle", r->idle);
    hb_cli_json_key(&j, "differing");
    hb_cli_json_array_begin(&j);
    for (size_t i = 0; i < r->n_differing; i++) {
        const Hourbank__ReconcileMismatch *m = r->differing[i];
        hb_cli_json_object_begin(&j);
        hb_cli_json_kv_uint(&j, "first_seq", m->here ? m->here->first_seq : 0);
        hb_cli_json_kv_uint(&j, "last_seq", m->here ? m->here->last_seq : 0);
        json_counts(&j, "here", m->here);
        json_counts(&j, "central", m->central);
        hb_cli_json_object_end(&j);
    }
    hb_cli_json_array_end(&j);
    hb_cli_json_key(&j, "diffs");
    hb_cli_json_array_begin(&j);
    for (size_t i = 0; i < r->n_diffs; i++)
        json_diff(&j, r->diffs[i]);
    hb_cli_json_array_end(&j);
    hb_cli_json_object_end(&j);
    hb_cli_json_finish(&j);
}

/* ---- text ---- */

typedef unsigned long long ull_t;  /* the printf type of counts and seqs in translated texts */

static void
print_range(hb_cli_t *cli, const Hourbank__ReconcileMismatch *m)
{
    if (!m->here || !m->central)
        return;
    fprintf(cli->out, _("seqs %llu-%llu differ: here %u accepted, %u rejected; central %u accepted, %u rejected\n"),
            (ull_t) m->here->first_seq, (ull_t) m->here->last_seq, (unsigned) m->here->accepted,
            (unsigned) m->here->rejected, (unsigned) m->central->accepted, (unsigned) m->central->rejected);
}

static void
print_diff(hb_cli_t *cli, const Hourbank__ReconcileDiff *d)
{
    const char *kind = d->kind && d->kind[0] ? hb_cli_words_kind(d->kind) : "-";
    const char *here = hb_result_name((hb_result_t) d->station_result);
    const char *central = hb_result_name((hb_result_t) d->central_result);
    switch (d->what) {
    case HOURBANK__DISCREPANCY__MISSING_AT_CENTRAL:
        fprintf(cli->out, _("seq %llu %s: missing at central (here %s)"), (ull_t) d->seq, kind, here);
        if (d->resent_result != HOURBANK__RESULT__RESULT_UNSET)
            fprintf(cli->out, _("; resent: now %s\n"), hb_result_name((hb_result_t) d->resent_result));
        else
            fprintf(cli->out, "%s\n", _("; resent: not answered yet (it stays queued)"));
        break;
    case HOURBANK__DISCREPANCY__ALTERED_AT_CENTRAL:
        fprintf(cli->out, _("seq %llu %s: altered at central (here %s, central %s%s)\n"), (ull_t) d->seq, kind, here,
                central, d->hash_differs ? _(", other content") : "");
        break;
    default:
        fprintf(cli->out, _("seq %llu %s: held only by central (central %s)\n"), (ull_t) d->seq, kind, central);
        break;
    }
}

static void
print_summary(hb_cli_t *cli, const Hourbank__ReconcileReport *r, uint64_t diffs)
{
    if (diffs == 0) {
        fprintf(cli->out, _("central holds what this station holds: %llu operations agree\n"), (ull_t) r->ops_here);
        return;
    }
    fprintf(cli->out, _("differences: %u missing at central (%u resent and answered), %u altered at central, %u held"
                        " only by central; %llu operations here, %llu at central\n"),
            (unsigned) r->missing, (unsigned) r->resent, (unsigned) r->altered, (unsigned) r->extra,
            (ull_t) r->ops_here, (ull_t) r->ops_central);
}

static void
print_report(hb_cli_t *cli, const Hourbank__ReconcileReport *r)
{
    if (r->first_seq == 0) {
        fprintf(cli->out, "%s\n", _("nothing to compare: this station holds no operation central has acknowledged"
                                    " in that period"));
        return;
    }
    if (r->ranges == 1)
        fprintf(cli->out, _("compared seqs %llu-%llu with central\n"), (ull_t) r->first_seq, (ull_t) r->last_seq);
    else
        fprintf(cli->out, _("compared seqs %llu-%llu with central in %u ranges\n"), (ull_t) r->first_seq,
                (ull_t) r->last_seq, (unsigned) r->ranges);
    for (size_t i = 0; i < r->n_differing; i++)
        print_range(cli, r->differing[i]);
    if (r->n_differing < r->ranges_differing)
        fprintf(cli->out, _("(%llu more differing ranges not listed)\n"),
                (ull_t) (r->ranges_differing - r->n_differing));
    for (size_t i = 0; i < r->n_diffs; i++)
        print_diff(cli, r->diffs[i]);
    uint64_t diffs = (uint64_t) r->missing + r->altered + r->extra;
    if (r->n_diffs < diffs)
        fprintf(cli->out, _("(%llu more differences not listed)\n"), (ull_t) (diffs - r->n_diffs));
    print_summary(cli, r, diffs);
}

/* ---- the command ---- */

/* --from: a day on the calendar, YYYY-MM-DD. 0, or EX_DATAERR reported. */
static int
read_from(hb_cli_t *cli, const char *text)
{
    char msg[HB_CLI_TEXT_BYTES_MAX], echo[HB_CLI_TEXT_BYTES_MAX];
    int64_t as_utc;
    if (strlen(text) != HB_DAY_TEXT_BYTES || hb_cli_parse_moment_form(text, false, &as_utc, msg, sizeof msg) != 0)
        return hb_cli_report_fail(cli, EX_DATAERR, _("--from %s is not a day: write YYYY-MM-DD, e.g. 2026-12-01"),
                                  hb_cli_parse_quote(echo, sizeof echo, text));
    return 0;
}

static int
run_reconcile(hb_cli_t *cli, const hb_cli_args_t *args)
{
    const char *from = hb_cli_command_value(args, "from");
    int rc = from ? read_from(cli, from) : 0;
    if (rc != 0)
        return rc;
    Hourbank__ReconcileRequest q;
    hourbank__reconcile_request__init(&q);
    q.from_day = (char *) (uintptr_t) (from ? from : "");
    Hourbank__Envelope req, *reply = NULL;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_RECONCILE_REQUEST;
    req.reconcile_request = &q;
    if (cli->timeout_ms < RECONCILE_TIMEOUT_MS)
        cli->timeout_ms = RECONCILE_TIMEOUT_MS;  /* the run may wait for central's answers */
    rc = hb_cli_target_station(cli, &req, &reply);
    if (rc == 0)
        rc = hb_cli_target_expect(cli, reply, HOURBANK__ENVELOPE__BODY_RECONCILE_REPORT, _("could not reconcile"));
    if (rc != 0) {
        hb_wire_free(&reply);
        return rc;
    }
    const Hourbank__ReconcileReport *r = reply->reconcile_report;
    if (cli->json)
        json_report(cli, r);
    else
        print_report(cli, r);
    rc = (uint64_t) r->missing + r->altered + r->extra > 0 ? EXIT_DIFFERENCES : 0;
    hb_wire_free(&reply);
    return rc;
}

static const hb_cli_opt_t reconcile_opts[] = {
    {"from", 0, N_("DATE"), false, N_("only operations central posted from this day on (YYYY-MM-DD)")},
    {NULL, 0, NULL, false, NULL},
};

const hb_cli_command_t hb_cli_reconcile_reconcile = {
    .name = "reconcile",
    .operands = "",
    .operands_min = 0,
    .operands_max = 0,
    .summary = N_("prove central holds every operation saved here; resend what it lacks (needs the link)"),
    .description = N_("Compares the operations this station holds and central has acknowledged with central's\n"
                   "ledger as it is now, range by range of their sequence numbers, and names every\n"
                   "operation that differs: missing at central (sent again now, and posted exactly once),\n"
                   "altered at central (another result or content), or held only by central. Central\n"
                   "records the outcome (hourbank stations) and raises an alert on a mismatch. The\n"
                   "station also does this by itself when idle (station.yaml reconcile_interval).\n"
                   "Exit status: 0 when everything compared agrees, 1 when differences were found,\n"
                   "69 when the link to central is down or a run is already under way."),
    .target = HB_CLI_TARGET_STATION,
    .opts = reconcile_opts,
    .run = run_reconcile,
};
