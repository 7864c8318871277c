/* cli_admin.c - stations and verify, from central. */
#include "cli_admin.h"
#include "cli_format.h"
#include "cli_json.h"
#include "cli_report.h"
#include "cli_table.h"
#include "cli_target.h"
#include "cli_zone.h"
#include "cli_words.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <sysexits.h>
#include <time.h>

/* Sends an admin query with an empty body of the given case. */
static int
ask_central(hb_cli_t *cli, int body_case, int reply_case, const char *what, Hourbank__Envelope **reply_out)
{
    Hourbank__StationsQuery stations;
    hourbank__stations_query__init(&stations);
    Hourbank__VerifyQuery verify;
    hourbank__verify_query__init(&verify);
    Hourbank__Envelope req;
    hb_wire_envelope_init(&req, 0);
    req.body_case = (Hourbank__Envelope__BodyCase) body_case;
    if (body_case == HOURBANK__ENVELOPE__BODY_STATIONS_QUERY)
        req.stations_query = &stations;
    else
        req.verify_query = &verify;
    int rc = hb_cli_target_central(cli, &req, reply_out);
    if (rc == 0)
        rc = hb_cli_target_expect(cli, *reply_out, reply_case, what);
    if (rc != 0)
        hb_wire_free(reply_out);
    return rc;
}

/* ---- stations ---- */

static void
json_stations(hb_cli_t *cli, const Hourbank__StationsReply *r, int64_t now)
{
    hb_cli_json_t j;
    hb_cli_json_init(&j, cli->out);
    hb_cli_json_object_begin(&j);
    hb_cli_json_key(&j, "stations");
    hb_cli_json_array_begin(&j);
    for (size_t i = 0; i < r->n_stations; i++) {
        const Hourbank__StationInfo *s = r->stations[i];
        hb_cli_json_object_begin(&j);
        hb_cli_json_kv_uint(&j, "station_id", s->station_id);
        hb_cli_json_kv_string(&j, "name", s->name);
        hb_cli_json_kv_string(&j, "community", s->community);
        hb_cli_json_kv_bool(&j, "active", s->active);
        hb_cli_json_kv_time(&j, "last_contact", s->last_contact);
        hb_cli_json_key(&j, "lag_seconds");
        if (s->last_contact)
            hb_cli_json_int(&j, now > s->last_contact ? now - s->last_contact : 0);
        else
            hb_cli_json_null(&j);
        hb_cli_json_kv_uint(&j, "high_water_mark", s->high_water_mark);
        hb_cli_json_kv_uint(&j, "station_acked_seq", s->station_acked_seq);
        hb_cli_json_kv_uint(&j, "ops_accepted", s->ops_accepted);
        hb_cli_json_kv_uint(&j, "ops_rejected", s->ops_rejected);
        hb_cli_json_key(&j, "alert");
        if (s->alert[0])
            hb_cli_json_string(&j, s->alert);
        else
            hb_cli_json_null(&j);
        hb_cli_json_kv_string(&j, "state", s->active ? "active" : "retired");
        hb_cli_json_kv_time(&j, "reconciled_at", s->reconciled_at);
        hb_cli_json_kv_uint(&j, "reconciled_from", s->reconciled_from);
        hb_cli_json_kv_uint(&j, "reconciled_through", s->reconciled_through);
        hb_cli_json_kv_uint(&j, "reconcile_missing", s->reconcile_missing);
        hb_cli_json_kv_uint(&j, "reconcile_altered", s->reconcile_altered);
        hb_cli_json_kv_uint(&j, "reconcile_extra", s->reconcile_extra);
        hb_cli_json_object_end(&j);
    }
    hb_cli_json_array_end(&j);
    hb_cli_json_object_end(&j);
    hb_cli_json_finish(&j);
}

/* The last reconcile a station reported: "through seq N, <when>", or "-". */
static void
reconciled_cell(hb_cli_table_t *tab, const Hourbank__StationInfo *s)
{
    char t[HB_CLI_FORMAT_BYTES];
    if (s->reconciled_at == 0)
        hb_cli_table_cell(tab, "%s", "-");
    else
        hb_cli_table_cell(tab, _("through %llu, %s"), (unsigned long long) s->reconciled_through,
                          hb_cli_format_time(t, sizeof t, s->reconciled_at));
}

/* Alert lines under the table: central lost acks; a reconcile left a
 * mismatch open. */
static void
print_alerts(hb_cli_t *cli, const Hourbank__StationsReply *r)
{
    char line[HB_CLI_TEXT_BYTES_MAX], t[HB_CLI_FORMAT_BYTES];
    for (size_t i = 0; i < r->n_stations; i++) {
        const Hourbank__StationInfo *s = r->stations[i];
        if (s->alert[0])
            fprintf(cli->out, _("alert: station %u (%s): %s\n"), (unsigned) s->station_id, s->name,
                    hb_cli_format_line(line, sizeof line, s->alert));
        if (s->reconcile_missing || s->reconcile_altered || s->reconcile_extra)
            fprintf(cli->out, _("open mismatch: station %u (%s): its reconcile of seqs %llu-%llu at %s found %u"
                                " missing at central, %u altered at central, %u held only by central\n"),
                    (unsigned) s->station_id, s->name, (unsigned long long) s->reconciled_from,
                    (unsigned long long) s->reconciled_through, hb_cli_format_time(t, sizeof t, s->reconciled_at),
                    (unsigned) s->reconcile_missing, (unsigned) s->reconcile_altered, (unsigned) s->reconcile_extra);
    }
}

static int
print_stations(hb_cli_t *cli, const Hourbank__StationsReply *r, int64_t now)
{
    if (r->n_stations == 0) {
        fprintf(cli->out, "%s\n", _("no stations in central.yaml"));
        return 0;
    }
    const char *const headers[] = {_("ID"),  _("NAME"),       _("COMMUNITY"),    _("STATE"),    _("LAST CONTACT"),
                                   _("LAG"), _("HIGH-WATER"), _("LOST ACKS TO"), _("ACCEPTED"), _("REJECTED"),
                                   _("RECONCILED")};
    const size_t columns = sizeof headers / sizeof headers[0];
    hb_cli_table_t *tab = hb_cli_table_new(columns, headers);
    if (!tab)
        return hb_cli_report_out_of_memory(cli);
    for (size_t c = 5; c < columns - 1; c++)
        hb_cli_table_align_right(tab, c);
    hb_cli_table_align_right(tab, 0);
    char t[HB_CLI_FORMAT_BYTES], ago[HB_CLI_FORMAT_BYTES];
    for (size_t i = 0; i < r->n_stations; i++) {
        const Hourbank__StationInfo *s = r->stations[i];
        hb_cli_table_cell(tab, "%u", (unsigned) s->station_id);
        hb_cli_table_cell(tab, "%s", s->name);
        hb_cli_table_cell(tab, "%s", s->community);
        hb_cli_table_cell(tab, "%s", hb_cli_words_state(s->active ? "active" : "retired"));
        hb_cli_table_cell(tab, "%s", hb_cli_format_time(t, sizeof t, s->last_contact));
        hb_cli_table_cell(tab, "%s", s->last_contact ? hb_cli_format_ago(ago, sizeof ago, s->last_contact, now) : "-");
        hb_cli_table_cell(tab, "%llu", (unsigned long long) s->high_water_mark);
        /* the station's claim matters only above central's mark (central lost acked work) */
        if (s->alert[0])
            hb_cli_table_cell(tab, "%llu", (unsigned long long) s->station_acked_seq);
        else
            hb_cli_table_cell(tab, "%s", "-");
        hb_cli_table_cell(tab, "%llu", (unsigned long long) s->ops_accepted);
        hb_cli_table_cell(tab, "%llu", (unsigned long long) s->ops_rejected);
        reconciled_cell(tab, s);
    }
    if (hb_cli_table_finish(&tab, cli->out) != 0)
        return hb_cli_report_out_of_memory(cli);
    print_alerts(cli, r);
    return 0;
}

static int
run_stations(hb_cli_t *cli, const hb_cli_args_t *args)
{
    (void) args;
    Hourbank__Envelope *reply = NULL;
    int rc = ask_central(cli, HOURBANK__ENVELOPE__BODY_STATIONS_QUERY, HOURBANK__ENVELOPE__BODY_STATIONS_REPLY,
                         _("could not list the stations"), &reply);
    if (rc != 0)
        return rc;
    /* the stations are the city's: their times in the city's zone */
    hb_cli_zone_use(cli, reply->stations_reply->time_zone,
                    _("central does not say the city's time zone (it runs an older hourbank-central)"));
    int64_t now = (int64_t) time(NULL);
    if (cli->json)
        json_stations(cli, reply->stations_reply, now);
    else
        rc = print_stations(cli, reply->stations_reply, now);
    hb_wire_free(&reply);
    return rc;
}

const hb_cli_command_t hb_cli_admin_stations = {
    .name = "stations",
    .operands = "",
    .summary = N_("admin: every station's last contact, high-water mark and lag"),
    .description = N_("Lists the stations in central.yaml with the last time each contacted central, how\n"
                   "long ago that was (the lag), the highest sequence number central has applied from\n"
                   "it (high-water mark), the highest the station last said central had acknowledged\n"
                   "(station acked), and how many operations it accepted and rejected. A station that\n"
                   "has not been in touch for long is offline or its link is broken. When a station had\n"
                   "acks beyond what central holds (central restored from an older dump, or a standby\n"
                   "that missed commits), an alert line says so until the station has resent the rest.\n"
                   "RECONCILED is the last seq the station's last reconcile compared and when central\n"
                   "recorded it; an open mismatch line names a station whose last reconcile found\n"
                   "operations missing, altered or held only by central (hourbank reconcile).\n"
                   "Asks central directly, with the admin key named in admin.yaml."),
    .target = HB_CLI_TARGET_CENTRAL,
    .opts = NULL,
    .run = run_stations,
};

/* ---- verify ---- */

static void
json_verify(hb_cli_t *cli, const Hourbank__VerifyReply *v)
{
    hb_cli_json_t j;
    hb_cli_json_init(&j, cli->out);
    hb_cli_json_object_begin(&j);
    hb_cli_json_kv_bool(&j, "ok", v->ok);
    hb_cli_json_kv_int(&j, "accounts", v->accounts);
    hb_cli_json_kv_int(&j, "transfers", v->transfers);
    hb_cli_json_kv_int(&j, "obligation_minutes", v->obligation_minutes);
    hb_cli_json_key(&j, "problems");
    hb_cli_json_array_begin(&j);
    for (size_t i = 0; i < v->n_problems; i++)
        hb_cli_json_string(&j, v->problems[i]);
    hb_cli_json_array_end(&j);
    hb_cli_json_object_end(&j);
    hb_cli_json_finish(&j);
}

static void
print_verify(hb_cli_t *cli, const Hourbank__VerifyReply *v)
{
    char d[HB_CLI_FORMAT_BYTES];
    fprintf(cli->out, _("%s: %lld accounts, %lld transfers; the guarantee's outstanding obligation is %s\n"),
            v->ok ? _("the ledger is sound") : _("the ledger has problems"), (long long) v->accounts,
            (long long) v->transfers, hb_cli_format_duration(d, sizeof d, v->obligation_minutes, false));
    for (size_t i = 0; i < v->n_problems; i++)
        fprintf(cli->out, _("  problem: %s\n"), v->problems[i]);
}

static int
run_verify(hb_cli_t *cli, const hb_cli_args_t *args)
{
    (void) args;
    Hourbank__Envelope *reply = NULL;
    int rc = ask_central(cli, HOURBANK__ENVELOPE__BODY_VERIFY_QUERY, HOURBANK__ENVELOPE__BODY_VERIFY_REPLY,
                         _("could not verify the ledger"), &reply);
    if (rc != 0)
        return rc;
    const Hourbank__VerifyReply *v = reply->verify_reply;
    if (cli->json)
        json_verify(cli, v);
    else
        print_verify(cli, v);
    if (!v->ok)
        rc = hb_cli_report_fail(cli, EX_DATAERR, v->n_problems == 1 ? _("the ledger failed verification with %zu problem")
                                                                    : _("the ledger failed verification with %zu problems"),
                                v->n_problems);
    hb_wire_free(&reply);
    return rc;
}

const hb_cli_command_t hb_cli_admin_verify = {
    .name = "verify",
    .operands = "",
    .summary = N_("admin: check the ledger (sum of balances is zero, balances match transfers)"),
    .description = N_("Asks central to check the ledger: the balances of all accounts sum to zero, and every\n"
                   "account's balance equals the sum of its transfers. Prints the counts and the pool's\n"
                   "outstanding obligation (what the guarantee account owes); exits 65 if any check fails.\n"
                   "Asks central directly, with the admin key named in admin.yaml."),
    .target = HB_CLI_TARGET_CENTRAL,
    .opts = NULL,
    .run = run_verify,
};
