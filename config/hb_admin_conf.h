/* hb_admin_conf.h - admin.yaml: how the `hourbank` CLI reaches central for
 * the admin commands (stations, verify).
 *
 * Loaded with the same schema-table engine as central.yaml and
 * station.yaml (hb_config.c), so errors come as "file:line:column: message"
 * and unknown keys are refused. Every key is required:
 *
 *   central_endpoint:   "tcp://ledger.example.org:7400"
 *   central_public_key: "<40-character Z85 key>"     # central's public key
 *   public_key_file:    "keys/admin.public"          # this admin's key pair;
 *   secret_key_file:    "keys/admin.secret"          # the public key goes into
 *                                                    # central.yaml admin_public_keys
 *
 * Relative key-file paths are resolved against the folder of admin.yaml.
 */
#ifndef HB_ADMIN_CONF_H
#define HB_ADMIN_CONF_H

#include "hb_config.h"

typedef struct {
    char central_endpoint[HB_PATH_BYTES_MAX];    /* required, "tcp://..." or "ipc://..." */
    char central_public_key[41];                 /* required Z85 */
    char public_key_file[HB_PATH_BYTES_MAX];     /* required */
    char secret_key_file[HB_PATH_BYTES_MAX];     /* required */
} hb_admin_conf_t;

/* Loads and validates path. Returns a config the caller owns (free with
 * hb_admin_conf_destroy), or NULL with every problem in *errors. */
hb_admin_conf_t *hb_admin_conf_load(const char *path, hb_config_errors_t *errors);
void hb_admin_conf_destroy(hb_admin_conf_t **self_p);

#endif
