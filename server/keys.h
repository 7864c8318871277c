/* keys.h - the CURVE keys in force: who a public key is, by the
 * configuration loaded now.
 *
 * The ZAP handler (zap.h) admits a connection and names it by its public
 * key (the ZMTP User-Id); the main loop looks that key up here for every
 * message, so a key replaced or removed in central.yaml is refused from
 * the moment the reload is in force, also on connections opened before
 * it (a ROUTER cannot close one peer's connection). A lookup is a binary
 * search over a sorted array built once per configuration: no allocation,
 * no database. */
#ifndef HB_KEYS_H
#define HB_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "hb_config.h"

typedef struct hb_keys hb_keys_t;

typedef struct {
    char key[41];      /* Z85 CURVE public key */
    uint32_t station;  /* the station's id; 0 for an admin key */
    bool retired;      /* the station is retired (retired: true) */
} hb_keys_entry_t;

/* Every admin and station key of conf (borrowed during the call; nothing of
 * it is kept). Where one key is both, the admin entry wins. */
hb_keys_t *hb_keys_new(const hb_central_conf_t *conf);
void hb_keys_destroy(hb_keys_t **self_p);

/* The entry of a Z85 key, NULL when the key is not in force. Borrowed,
 * valid until self is destroyed. */
const hb_keys_entry_t *hb_keys_find(const hb_keys_t *self, const char *key);

#endif
