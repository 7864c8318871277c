/* cli_keygen.c - CURVE key pairs into key files. */
#include "cli_keygen.h"
#include "cli_json.h"
#include "cli_parse.h"
#include "cli_report.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_keyfile.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>
#include <zmq.h>

#define PUBLIC_SUFFIX ".public"
#define SECRET_SUFFIX ".secret"
#define PUBLIC_MODE 0644

static int
refuse_existing(hb_cli_t *cli, const char *pub_path, const char *sec_path)
{
    struct stat st;
    const char *existing = lstat(sec_path, &st) == 0 ? sec_path : lstat(pub_path, &st) == 0 ? pub_path : NULL;
    if (!existing)
        return 0;
    return hb_cli_report_fail(cli, EX_CANTCREAT,
                              _("%s already exists: keygen never overwrites a key (move the old pair away first if "
                              "you mean to replace it)"),
                              existing);
}

/* Writes both files; on failure nothing is left behind. */
static int
write_pair(hb_cli_t *cli, const char *pub_path, const char *sec_path, const char *pub, const char *sec)
{
    char msg[HB_CLI_TEXT_BYTES_MAX];
    if (hb_keyfile_write(sec_path, true, sec, msg, sizeof msg) != 0)
        return hb_cli_report_fail(cli, EX_CANTCREAT, "%s", msg);
    if (hb_keyfile_write(pub_path, false, pub, msg, sizeof msg) != 0) {
        unlink(sec_path);
        return hb_cli_report_fail(cli, EX_CANTCREAT, "%s", msg);
    }
    if (chmod(pub_path, PUBLIC_MODE) != 0) {
        int e = errno;
        unlink(pub_path);
        unlink(sec_path);
        return hb_cli_report_fail(cli, EX_CANTCREAT, _("could not make %s readable by all: %s"), pub_path, strerror(e));
    }
    return 0;
}

static void
print_result(hb_cli_t *cli, const char *pub_path, const char *sec_path, const char *pub)
{
    if (cli->json) {
        hb_cli_json_t j;
        hb_cli_json_init(&j, cli->out);
        hb_cli_json_object_begin(&j);
        hb_cli_json_kv_string(&j, "public_key_file", pub_path);
        hb_cli_json_kv_string(&j, "secret_key_file", sec_path);
        hb_cli_json_kv_string(&j, "public_key", pub);
        hb_cli_json_object_end(&j);
        hb_cli_json_finish(&j);
        return;
    }
    fprintf(cli->out, _("wrote %s (keep it on this machine, readable by its owner only)\n"), sec_path);
    fprintf(cli->out, _("wrote %s\n"), pub_path);
    fprintf(cli->out, _("public key: %s\n"), pub);
}

static int
run_keygen(hb_cli_t *cli, const hb_cli_args_t *args)
{
    const char *base = args->operands[0];
    char pub_path[PATH_MAX], sec_path[PATH_MAX], echo[HB_CLI_TEXT_BYTES_MAX];
    size_t len = strlen(base);
    if (len == 0 || base[len - 1] == '/' || len + sizeof SECRET_SUFFIX > sizeof pub_path)
        return hb_cli_report_usage(cli, _("%s is not a key name: give DIR/NAME, e.g. /etc/hourbank/keys/station1"),
                                   hb_cli_parse_quote(echo, sizeof echo, base));
    snprintf(pub_path, sizeof pub_path, "%s" PUBLIC_SUFFIX, base);
    snprintf(sec_path, sizeof sec_path, "%s" SECRET_SUFFIX, base);
    int rc = refuse_existing(cli, pub_path, sec_path);
    if (rc != 0)
        return rc;
    char pub[HB_KEY_Z85_CHARS + 1], sec[HB_KEY_Z85_CHARS + 1];
    if (zmq_curve_keypair(pub, sec) != 0)
        return hb_cli_report_fail(cli, EX_SOFTWARE, _("could not make a key pair: %s (is libzmq built with CURVE?)"),
                                  zmq_strerror(zmq_errno()));
    rc = write_pair(cli, pub_path, sec_path, pub, sec);
    explicit_bzero(sec, sizeof sec);
    if (rc == 0)
        print_result(cli, pub_path, sec_path, pub);
    return rc;
}

const hb_cli_command_t hb_cli_keygen_keygen = {
    .name = "keygen",
    .operands = N_("DIR/NAME"),
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("make a CURVE key pair: NAME.public and NAME.secret"),
    .description = N_("Makes a CURVE key pair for a station, central or an administrator and writes it as\n"
                   "DIR/NAME.public (mode 0644) and DIR/NAME.secret (mode 0600). Existing files are never\n"
                   "overwritten. Give the public key to whoever configures the other side (central.yaml\n"
                   "lists station and admin public keys); the secret key never leaves this machine."),
    .target = HB_CLI_TARGET_NONE,
    .opts = NULL,
    .run = run_keygen,
};
