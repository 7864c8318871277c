/* cli_target.c - from options and config files to a reply. */
#include "cli_target.h"
#include "cli_conn.h"
#include "cli_report.h"
#include "hb_admin_conf.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_config.h"
#include "hb_keyfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#define IPC_PREFIX "ipc://"
#define IPC_PREFIX_BYTES (sizeof IPC_PREFIX - 1)

typedef struct {
    const char *name;        /* "the station" or "central" */
    const char *endpoint;
    const char *key_file;    /* the admin public key file, for messages; NULL for the station */
    const char *conf_path;   /* admin.yaml, for messages; NULL for the station */
} peer_t;

/* Reports the first error of a config file and how many follow. */
static int
report_config(hb_cli_t *cli, const hb_config_errors_t *errors, const char *hint)
{
    int more = errors->count - 1 + errors->dropped;
    if (more > 0)
        return hb_cli_report_fail(cli, EX_CONFIG, _("%s (and %d more problem%s)%s"), errors->text[0], more,
                                  more == 1 ? "" : "s", hint);
    return hb_cli_report_fail(cli, EX_CONFIG, "%s%s", errors->count ? errors->text[0] : _("configuration refused"),
                              hint);
}

/* Loads station.yaml; quiet: no report on failure. NULL on failure (then
 * *rc holds the exit code unless quiet). */
static hb_station_conf_t *
load_station_conf(hb_cli_t *cli, const char *path, bool quiet, int *rc)
{
    hb_config_errors_t *errors = calloc(1, sizeof *errors);
    if (!errors) {
        *rc = quiet ? 0 : hb_cli_report_fail(cli, EX_OSERR, _("out of memory"));
        return NULL;
    }
    hb_station_conf_t *conf = hb_station_conf_load(path, errors);
    if (!conf && !quiet)
        *rc = report_config(cli, errors, _(" (name the station with --station ENDPOINT or its station.yaml with -c FILE)"));
    free(errors);
    return conf;
}

void
hb_cli_target_learn_station_id(hb_cli_t *cli)
{
    hb_assert(cli);
    if (cli->station_id)
        return;
    int rc = 0;
    hb_station_conf_t *conf =
        load_station_conf(cli, cli->config_path ? cli->config_path : HB_CLI_STATION_CONF_DEFAULT, true, &rc);
    /* with --station, a station.yaml found by default must be that station's */
    if (conf && (!cli->station || cli->config_path || strcmp(conf->ipc_endpoint, cli->station) == 0))
        cli->station_id = conf->station_id;
    hb_station_conf_destroy(&conf);
}

/* The station's endpoint into out. */
static int
station_endpoint(hb_cli_t *cli, char *out, size_t size)
{
    if (cli->station) {
        snprintf(out, size, "%s", cli->station);
        hb_cli_target_learn_station_id(cli);
        return 0;
    }
    int rc = 0;
    hb_station_conf_t *conf =
        load_station_conf(cli, cli->config_path ? cli->config_path : HB_CLI_STATION_CONF_DEFAULT, false, &rc);
    if (!conf)
        return rc;
    snprintf(out, size, "%s", conf->ipc_endpoint);
    cli->station_id = conf->station_id;
    hb_station_conf_destroy(&conf);
    return 0;
}

static int
no_answer(hb_cli_t *cli, const peer_t *peer)
{
    if (peer->key_file)
        return hb_cli_report_fail(cli, EX_UNAVAILABLE,
                                  _("%s at %s does not answer: is hourbank-central running there, and is the public "
                                  "key in %s listed in admin_public_keys of central.yaml?"),
                                  peer->name, peer->endpoint, peer->key_file);
    return hb_cli_report_fail(cli, EX_UNAVAILABLE, _("%s at %s does not answer: is hourbank-station running?"),
                              peer->name, peer->endpoint);
}

/* A missing or forbidden socket file says more than a timeout would. */
static int
check_ipc_path(hb_cli_t *cli, const peer_t *peer)
{
    if (strncmp(peer->endpoint, IPC_PREFIX, IPC_PREFIX_BYTES) != 0 || peer->endpoint[IPC_PREFIX_BYTES] == '@')
        return 0;
    const char *path = peer->endpoint + IPC_PREFIX_BYTES;
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT)
        return no_answer(cli, peer);
    if (access(path, R_OK | W_OK) != 0 && errno == EACCES)
        return hb_cli_report_fail(cli, EX_NOPERM,
                                  _("%s at %s is not open to this user: %s needs read and write permission "
                                  "(is the user in the station's group?)"),
                                  peer->name, peer->endpoint, path);
    return 0;
}

static int
report_status(hb_cli_t *cli, const peer_t *peer, hb_cli_conn_status_t st, const char *msg)
{
    switch (st) {
    case HB_CLI_CONN_OK: return 0;
    case HB_CLI_CONN_NO_ANSWER:
    case HB_CLI_CONN_NO_REPLY: return no_answer(cli, peer);
    case HB_CLI_CONN_REFUSED:
        return hb_cli_report_fail(cli, EX_NOPERM, _("%s at %s refused the connection: %s%s%s%s"), peer->name,
                                  peer->endpoint, msg, peer->key_file ? _(" (is the public key in ") : "",
                                  peer->key_file ? peer->key_file : "",
                                  peer->key_file ? _(" listed in admin_public_keys of central.yaml?)") : "");
    case HB_CLI_CONN_HANDSHAKE:
        return hb_cli_report_fail(cli, EX_NOPERM, _("%s at %s refused the connection: %s (is central_public_key in %s "
                                                  "central's public key?)"),
                                  peer->name, peer->endpoint, msg, peer->conf_path ? peer->conf_path : _("the config"));
    case HB_CLI_CONN_BAD_REPLY:
        return hb_cli_report_fail(cli, EX_PROTOCOL, _("%s at %s answered with nonsense: %s"), peer->name,
                                  peer->endpoint, msg);
    case HB_CLI_CONN_FAILED: return hb_cli_report_fail(cli, EX_OSERR, "%s", msg);
    }
    hb_unreachable();
}

/* resends: see hb_cli_conn_call. unanswered: NULL to report a request that
 * was sent and never answered as "does not answer"; else it is set to the
 * number of sends nobody answered and EX_TEMPFAIL returned without a
 * report. */
static int
call(hb_cli_t *cli, const peer_t *peer, const hb_cli_conn_curve_t *curve, int resends, Hourbank__Envelope *req,
     Hourbank__Envelope **reply_out, int *unanswered)
{
    char msg[HB_CLI_TEXT_BYTES_MAX];
    hb_cli_conn_t *conn = hb_cli_conn_new(peer->endpoint, curve, msg, sizeof msg);
    if (!conn)
        return hb_cli_report_fail(cli, EX_CONFIG, "%s: %s", peer->name, msg);
    hb_cli_conn_status_t st = hb_cli_conn_call(conn, req, cli->timeout_ms, resends, reply_out, msg, sizeof msg);
    int sends = hb_cli_conn_sends(conn);
    hb_cli_conn_destroy(&conn);
    if (st == HB_CLI_CONN_NO_REPLY && unanswered) {
        *unanswered = sends;
        return EX_TEMPFAIL;
    }
    return report_status(cli, peer, st, msg);
}

static int
station_call(hb_cli_t *cli, int resends, Hourbank__Envelope *req, Hourbank__Envelope **reply_out, int *unanswered)
{
    hb_assert(cli && req && reply_out);
    *reply_out = NULL;
    char endpoint[HB_PATH_BYTES_MAX];
    int rc = station_endpoint(cli, endpoint, sizeof endpoint);
    if (rc != 0)
        return rc;
    snprintf(cli->endpoint, sizeof cli->endpoint, "%s", endpoint);
    peer_t peer = {_("the station"), endpoint, NULL, NULL};
    rc = check_ipc_path(cli, &peer);
    return rc != 0 ? rc : call(cli, &peer, NULL, resends, req, reply_out, unanswered);
}

int
hb_cli_target_station(hb_cli_t *cli, Hourbank__Envelope *req, Hourbank__Envelope **reply_out)
{
    return station_call(cli, 0, req, reply_out, NULL);
}

int
hb_cli_target_station_save(hb_cli_t *cli, Hourbank__Envelope *req, Hourbank__Envelope **reply_out, int *unanswered)
{
    hb_assert(req && req->body_case == HOURBANK__ENVELOPE__BODY_SAVE && req->save->request_id[0] && unanswered);
    *unanswered = 0;
    return station_call(cli, HB_CLI_SAVE_RESENDS, req, reply_out, unanswered);
}

/* Reads the admin key pair named by conf. */
static int
read_admin_keys(hb_cli_t *cli, const hb_admin_conf_t *conf, char pub[HB_KEY_Z85_CHARS + 1],
                char sec[HB_KEY_Z85_CHARS + 1])
{
    char msg[HB_CLI_TEXT_BYTES_MAX];
    if (hb_keyfile_read(conf->public_key_file, false, pub, msg, sizeof msg) != 0 ||
        hb_keyfile_read(conf->secret_key_file, true, sec, msg, sizeof msg) != 0)
        return hb_cli_report_fail(cli, EX_CONFIG, "%s", msg);
    return 0;
}

static hb_admin_conf_t *
load_admin_conf(hb_cli_t *cli, int *rc)
{
    hb_config_errors_t *errors = calloc(1, sizeof *errors);
    if (!errors) {
        *rc = hb_cli_report_fail(cli, EX_OSERR, _("out of memory"));
        return NULL;
    }
    hb_admin_conf_t *conf = hb_admin_conf_load(cli->admin_path ? cli->admin_path : HB_CLI_ADMIN_CONF_DEFAULT, errors);
    if (!conf)
        *rc = report_config(cli, errors, _(" (name the admin configuration with --admin FILE)"));
    free(errors);
    return conf;
}

int
hb_cli_target_central(hb_cli_t *cli, Hourbank__Envelope *req, Hourbank__Envelope **reply_out)
{
    hb_assert(cli && req && reply_out);
    *reply_out = NULL;
    int rc = 0;
    hb_admin_conf_t *conf = load_admin_conf(cli, &rc);
    if (!conf)
        return rc;
    char pub[HB_KEY_Z85_CHARS + 1], sec[HB_KEY_Z85_CHARS + 1];
    rc = read_admin_keys(cli, conf, pub, sec);
    if (rc == 0) {
        hb_cli_conn_curve_t curve = {conf->central_public_key, pub, sec};
        peer_t peer = {_("central"), conf->central_endpoint, conf->public_key_file,
                       cli->admin_path ? cli->admin_path : HB_CLI_ADMIN_CONF_DEFAULT};
        snprintf(cli->endpoint, sizeof cli->endpoint, "%s", conf->central_endpoint);
        rc = call(cli, &peer, &curve, 0, req, reply_out, NULL);
    }
    explicit_bzero(sec, sizeof sec);
    hb_admin_conf_destroy(&conf);
    return rc;
}

int
hb_cli_target_expect(hb_cli_t *cli, const Hourbank__Envelope *reply, int expected, const char *what)
{
    hb_assert(cli && reply && what);
    if ((int) reply->body_case == expected)
        return 0;
    if (reply->body_case == HOURBANK__ENVELOPE__BODY_ERROR)
        return hb_cli_report_refusal(cli, what, reply->error);
    return hb_cli_report_fail(cli, EX_PROTOCOL, _("%s: the answer is of the wrong kind (envelope body %d, expected %d)"),
                              what, (int) reply->body_case, expected);
}
