/* hb_config_schema.h - internal to config/: the schema-table engine.
 *
 * hb_config.c walks the libyaml event stream against a table of fields per
 * mapping level and fills a C struct; hb_config_schema.c holds the tables
 * for central.yaml and station.yaml and the checks that span entries
 * (unique codes and ids, payer rules against the catalogue).
 *
 * Nothing outside config/ includes this header; the public API is
 * hb_config.h.
 */
#ifndef HB_CONFIG_SCHEMA_H
#define HB_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_config.h"

/* Fields in one mapping level's table: a bound on the tables in this
 * folder, not on input (checked by assertion when a mapping is loaded). */
#define HB_CONFIG_FIELDS_MAX 24
/* Longest value quoted back in an error message, in bytes; longer values
 * are cut and end in "...". */
#define HB_CONFIG_ECHO_BYTES_MAX 64
/* Duration fields stored in seconds use this scale (stored units per minute). */
#define HB_CONFIG_SECONDS_PER_MINUTE 60

/* Bounds this loader needs that hb_limits.h does not have yet; the
 * definitions there win once they exist. */
#ifndef HB_RECIPIENT_AGE_YEARS_MAX
#endif
#ifndef HB_RETENTION_DAYS_MAX
#define HB_RETENTION_DAYS_MAX (10 * 366)    /* outbox retention: ten years */
#endif
#ifndef HB_CAP_MINUTES_DEFAULT
#define HB_CAP_MINUTES_DEFAULT (1500 * 60)  /* member cap: Nanjing's 1,500 h */
#endif
#ifndef HB_DAILY_LIMIT_MINUTES_DEFAULT
#define HB_DAILY_LIMIT_MINUTES_DEFAULT (12 * 60)  /* per provider per day */
#endif
#ifndef HB_DAILY_LIMIT_MINUTES_MAX
#define HB_DAILY_LIMIT_MINUTES_MAX (24 * 60)      /* nobody serves more than a day a day */
#endif
/* Admin keys: the size of hb_central_conf_t.admin_public_keys. */
#define HB_CONFIG_ADMIN_KEYS_MAX \
    (sizeof(((hb_central_conf_t *) 0)->admin_public_keys) / sizeof(((hb_central_conf_t *) 0)->admin_public_keys[0]))

typedef enum {
    HB_CONFIG_STRING = 1, /* char[size]; min..max bytes (max 0 = size - 1); optional check */
    HB_CONFIG_INT,        /* int32_t, uint32_t or int64_t by size; min..max */
    HB_CONFIG_BOOL,       /* bool; "true" or "false" */
    HB_CONFIG_DURATION,   /* int64_t; "1h30m" stored as minutes * scale; min..max stored units */
    HB_CONFIG_ENUM,       /* an int-sized C enum; names[] maps words to values */
    HB_CONFIG_WORD,       /* char[size] holding one of names[] (e.g. log_level) */
    HB_CONFIG_STRINGS,    /* char[max][size] + size_t count; each entry like STRING */
    HB_CONFIG_LIST        /* entry *array + size_t count; each entry a mapping (item) */
} hb_config_type_t;

/* 1-based position of a node; line 0 means "no position". */
typedef struct {
    size_t line;
    size_t column;
} hb_config_mark_t;

typedef struct {
    const char *name;   /* NULL ends a table */
    int value;
} hb_config_name_t;

/* Extra validation of a string value: NULL if fine, else the reason,
 * worded to follow the key, e.g. "must be an absolute path". */
typedef const char *(*hb_config_check_fn)(const char *value);

typedef struct hb_config_loader hb_config_loader_t;
typedef struct hb_config_schema hb_config_schema_t;

typedef struct {
    const char *key;                 /* YAML key */
    hb_config_type_t type;
    bool required;
    int64_t min, max;                /* see hb_config_type_t */
    int64_t def;                     /* default for INT, BOOL, DURATION, ENUM (stored units) */
    const char *def_text;            /* default for STRING and WORD, or NULL */
    size_t offset;                   /* of the member in the entry struct */
    size_t size;                     /* of the member (STRINGS: of one row) */
    size_t count_offset;             /* LIST, STRINGS: the size_t count member */
    int64_t scale;                   /* DURATION: stored units per minute (0 = 1) */
    const hb_config_name_t *names;   /* ENUM, WORD */
    hb_config_check_fn check;        /* STRING, STRINGS: optional */
    bool relative_path;              /* STRING: resolve against the config folder */
    const hb_config_schema_t *item;  /* LIST: schema of one entry */
} hb_config_field_t;

typedef enum {
    HB_CONFIG_ABSENT = 0,
    HB_CONFIG_SET,       /* present and valid */
    HB_CONFIG_INVALID    /* present, error already reported */
} hb_config_state_t;

/* One mapping as loaded, handed to the schema's check hook. Borrowed for
 * the duration of the call. */
typedef struct {
    void *data;                                     /* the entry struct */
    void *root;                                     /* the whole config */
    void *user;                                     /* from hb_config_load */
    const hb_config_schema_t *schema;
    hb_config_mark_t start;                         /* the mapping itself */
    hb_config_mark_t key_marks[HB_CONFIG_FIELDS_MAX];
    hb_config_mark_t value_marks[HB_CONFIG_FIELDS_MAX];
    hb_config_state_t state[HB_CONFIG_FIELDS_MAX];
} hb_config_entry_t;

struct hb_config_schema {
    const hb_config_field_t *fields;
    size_t field_count;
    size_t size;   /* bytes of one entry struct */
    /* Called after each entry (and, for the root schema, after the whole
     * file) is loaded, unless loading stopped early; reports with
     * hb_config_error. */
    void (*check)(hb_config_loader_t *ld, const hb_config_entry_t *entry);
};

/* Loads path against the root schema. Returns the root struct (calloc'd,
 * schema->size bytes; the caller owns it and frees it with
 * hb_config_release then free), or NULL with every problem in *errors.
 * user: borrowed, handed to the check hooks. */
void *hb_config_load(const char *path, const hb_config_schema_t *root, void *user,
                     hb_config_errors_t *errors);

/* Frees every LIST array reachable from data (not data itself). */
void hb_config_release(const hb_config_schema_t *schema, void *data);

/* Records one error at mark (line 0: no position). */
void hb_config_error(hb_config_loader_t *ld, hb_config_mark_t mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* For check hooks: did the entry set key to a valid value, and where. */
bool hb_config_entry_ok(const hb_config_entry_t *entry, const char *key);
hb_config_mark_t hb_config_entry_mark(const hb_config_entry_t *entry, const char *key);

/* String checks shared by the tables. */
const char *hb_config_check_z85_key(const char *value);
const char *hb_config_check_code(const char *value);

#endif
