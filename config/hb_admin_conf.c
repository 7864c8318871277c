/* hb_admin_conf.c - the schema table of admin.yaml. */
#include "hb_admin_conf.h"
#include "hb_config_schema.h"
#include "hb_assert.h"

#include <stdlib.h>
#include <string.h>

#define FIELD_COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define AT(T, m) .offset = offsetof(T, m), .size = sizeof(((T *) 0)->m)

static bool
has_rest(const char *value, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(value, prefix, n) == 0 && value[n] != '\0';
}

static const char *
check_endpoint(const char *value)
{
    if (has_rest(value, "tcp://") || has_rest(value, "ipc://"))
        return NULL;
    return "must be a zeromq endpoint such as \"tcp://127.0.0.1:7400\"";
}

static const hb_config_field_t admin_fields[] = {
    {.key = "central_endpoint", .type = HB_CONFIG_STRING, .required = true,
     .check = check_endpoint, AT(hb_admin_conf_t, central_endpoint)},
    {.key = "central_public_key", .type = HB_CONFIG_STRING, .required = true,
     .check = hb_config_check_z85_key, AT(hb_admin_conf_t, central_public_key)},
    {.key = "public_key_file", .type = HB_CONFIG_STRING, .required = true, .min = 1,
     .relative_path = true, AT(hb_admin_conf_t, public_key_file)},
    {.key = "secret_key_file", .type = HB_CONFIG_STRING, .required = true, .min = 1,
     .relative_path = true, AT(hb_admin_conf_t, secret_key_file)},
};
static const hb_config_schema_t admin_schema = {
    admin_fields, FIELD_COUNT(admin_fields), sizeof(hb_admin_conf_t), NULL};

hb_admin_conf_t *
hb_admin_conf_load(const char *path, hb_config_errors_t *errors)
{
    return hb_config_load(path, &admin_schema, NULL, errors);
}

void
hb_admin_conf_destroy(hb_admin_conf_t **self_p)
{
    hb_assert(self_p);
    if (*self_p) {
        hb_config_release(&admin_schema, *self_p);
        free(*self_p);
        *self_p = NULL;
    }
}
