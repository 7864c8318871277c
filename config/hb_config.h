/* hb_config.h - central.yaml and station.yaml, loaded through a schema table.
 *
 * The loader reads YAML with libyaml, checks every key against a table of
 * {key, type, min, max, default, required}, and reports *all* problems at
 * once, each as "file:line:column: message" (line and column 1-based).
 * Unknown keys, wrong types, out-of-range values, duplicate keys and
 * missing required keys are errors. Numbers are parsed with strtoll-style
 * full-string checks, never atoi.
 *
 * Durations in configuration are strings with units: "90m", "1500h",
 * "1h30m", "2d" (days = 24h), "0m". They are stored as minutes (int64),
 * except those whose member ends in _seconds, which also take seconds
 * ("30s", "1m30s").
 */
#ifndef HB_CONFIG_H
#define HB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hb_limits.h"

/* Error list: filled by the loaders, printed by the daemons. */
typedef struct {
    char text[HB_CONFIG_ERRORS_MAX][HB_PATH_BYTES_MAX];
    int count;      /* errors stored (at most HB_CONFIG_ERRORS_MAX) */
    int dropped;    /* errors beyond the limit, counted only */
} hb_config_errors_t;

/* Prints every error to the stream, one per line. */
void hb_config_errors_print(const hb_config_errors_t *errors, void *file /* FILE * */);
/* Logs a refused reload of path and every error (daemons, on SIGHUP). */
void hb_config_errors_log(const hb_config_errors_t *errors, const char *path);

/* Where something stands in the configuration file, 1-based (line 0:
 * nowhere, e.g. a key that is absent). Kept for the checks that only
 * central can make against its database (server/rules.c). */
typedef struct {
    size_t line;
    size_t column;
} hb_config_pos_t;

typedef enum { HB_OVERFLOW_REJECT = 1, HB_OVERFLOW_DONATE = 2 } hb_overflow_t;
typedef enum { HB_GIFT_NONE = 1, HB_GIFT_FAMILY = 2, HB_GIFT_ANY = 3 } hb_gift_policy_t;
/* Where a leaving member's hours go (issue 15): the pool, or the family
 * members the leave names (the pool when it names none). */
typedef enum { HB_LEAVER_POOL = 1, HB_LEAVER_FAMILY = 2 } hb_leaver_policy_t;
typedef enum { HB_PAYER_RECIPIENT = 1, HB_PAYER_GUARANTEE = 2 } hb_payer_t;

typedef struct {
    char name[HB_CATEGORY_BYTES_MAX + 1];
    char description[HB_NOTE_BYTES_MAX + 1];
} hb_category_t;

/* One payer rule; a district's rules are tried in order, first match wins;
 * no match means the recipient pays. */
typedef struct {
    char category[HB_CATEGORY_BYTES_MAX + 1];   /* "*" matches every category */
    hb_payer_t payer;
    int32_t min_recipient_age;                   /* 0 = any age */
} hb_payer_rule_t;

typedef struct {
    uint32_t id;                                 /* unique across the city, >= 1 */
    char name[HB_NAME_BYTES_MAX + 1];
    char public_key[41];                         /* Z85 CURVE public key, 40 chars */
    uint32_t member_serial_min;                  /* member numbers this station allocates; */
    uint32_t member_serial_max;                  /* disjoint within a community */
    bool retired;                                /* out of service: key refused, ops refused (default false) */
} hb_station_entry_t;

typedef struct {
    char code[HB_COMMUNITY_CODE_BYTES_MAX + 1];  /* [A-Z0-9]{2,8}, unique */
    char name[HB_NAME_BYTES_MAX + 1];
    hb_station_entry_t *stations;                /* owned */
    size_t station_count;
    hb_config_pos_t stations_at;                 /* the "stations" list */
} hb_community_conf_t;

typedef struct {
    char code[HB_COMMUNITY_CODE_BYTES_MAX + 1];  /* [A-Z0-9]{2,8}, unique */
    char name[HB_NAME_BYTES_MAX + 1];
    int64_t floor_minutes;                       /* member floor, default 0, <= 0 */
    int64_t cap_minutes;                         /* member cap, default 1500h */
    hb_overflow_t overflow;                      /* default reject */
    int64_t daily_limit_minutes;                 /* per provider per day, default 12h */
    hb_gift_policy_t gifts;                      /* default family */
    hb_leaver_policy_t leaver_hours;             /* default pool */
    hb_payer_rule_t *payer_rules;                /* owned */
    size_t payer_rule_count;
    hb_community_conf_t *communities;            /* owned */
    size_t community_count;
    /* IANA zone of the district's local days; "" = the city's time_zone */
    char time_zone[HB_TIME_ZONE_BYTES_MAX + 1];
    hb_config_pos_t communities_at;              /* the "communities" list */
    hb_config_pos_t time_zone_at;                /* the zone in force: this key, else the city's */
} hb_district_conf_t;

typedef struct {
    char listen[HB_PATH_BYTES_MAX];              /* required, e.g. "tcp://127.0.0.1:7400" */
    char database[HB_CONNINFO_BYTES_MAX];        /* required libpq conninfo */
    char query_database[HB_CONNINFO_BYTES_MAX];  /* queries' conninfo (a standby); "" = database */
    int64_t query_connect_timeout_seconds;       /* default HB_QUERY_CONNECT_TIMEOUT_S_DEFAULT */
    int64_t query_statement_timeout_seconds;     /* default HB_QUERY_STATEMENT_TIMEOUT_S_DEFAULT */
    char secret_key_file[HB_PATH_BYTES_MAX];     /* required; Z85 secret key file */
    char log_level[16];                          /* error|warn|info|debug, default info */
    int64_t clock_skew_seconds;                  /* default HB_CLOCK_SKEW_S_DEFAULT */
    int64_t max_record_age_seconds;              /* "max_record_age" duration, default 90d */
    int64_t guarantee_budget_minutes;            /* required duration, >= 0 */
    char admin_public_keys[8][41];               /* Z85 keys allowed to run admin queries */
    size_t admin_key_count;
    hb_category_t *categories;                   /* owned, >= 1 required */
    size_t category_count;
    hb_district_conf_t *districts;               /* owned, >= 1 required */
    size_t district_count;
    /* required IANA zone of the city's local days, e.g. "Asia/Shanghai" */
    char time_zone[HB_TIME_ZONE_BYTES_MAX + 1];
    char path[HB_PATH_BYTES_MAX];                /* the file, as given to the loader */
    hb_config_pos_t districts_at;                /* the "districts" list */
} hb_central_conf_t;

typedef struct {
    uint32_t station_id;                         /* required, >= 1 */
    char community[HB_COMMUNITY_CODE_BYTES_MAX + 1]; /* required */
    char central_endpoint[HB_PATH_BYTES_MAX];    /* required */
    char central_public_key[41];                 /* required Z85 */
    char public_key_file[HB_PATH_BYTES_MAX];     /* required */
    char secret_key_file[HB_PATH_BYTES_MAX];     /* required */
    char outbox_path[HB_PATH_BYTES_MAX];         /* required */
    char ipc_endpoint[HB_PATH_BYTES_MAX];        /* required, "ipc://..." */
    char log_level[16];                          /* default info */
    int64_t outbox_max_bytes;                    /* default HB_OUTBOX_BYTES_DEFAULT */
    int64_t retention_days;                      /* default HB_RETENTION_DAYS_DEFAULT */
    uint32_t batch_ops;                          /* default HB_BATCH_OPS_MAX, 1..HB_BATCH_OPS_MAX */
    uint32_t member_serial_min;                  /* default 1 */
    uint32_t member_serial_max;                  /* default HB_MEMBER_SERIAL_MAX */
    char default_operator[HB_OPERATOR_BYTES_MAX + 1]; /* "" = none: every save names its operator */
    char language[HB_LANGUAGE_BYTES_MAX + 1];    /* "zh_CN" (default) or "en": operators' default */
    int64_t sign_in_lockout_seconds;             /* "sign_in_lockout", the first lock; default 60 s */
    char console_listen[HB_PATH_BYTES_MAX];      /* "ADDRESS:PORT", IPv4 or [IPv6]; default "127.0.0.1:8080" */
    /* Host header values (without port) the console answers to: rows
     * 0..console_allowed_host_count-1 are set (at least one; the rest are
     * ""). Default localhost, 127.0.0.1, [::1]. */
    char console_allowed_hosts[HB_CONSOLE_HOSTS_MAX][HB_HOST_BYTES_MAX + 1];
    size_t console_allowed_host_count;
    int64_t console_session_idle_seconds;        /* "console_session_idle", default 30 min */
    int64_t console_session_max_seconds;         /* "console_session_max", default 12 h, >= idle */
    int64_t reconcile_interval_seconds;          /* "reconcile_interval": idle runs, default 1 h */
} hb_station_conf_t;

/* Load and validate. Returns a config the caller owns (free with
 * hb_central_conf_destroy), or NULL with every problem in *errors.
 * Relative key-file paths are resolved against the config file's folder. */
hb_central_conf_t *hb_central_conf_load(const char *path, hb_config_errors_t *errors);
void hb_central_conf_destroy(hb_central_conf_t **self_p);

hb_station_conf_t *hb_station_conf_load(const char *path, hb_config_errors_t *errors);
/* As hb_station_conf_load, and the key files must be readable keys
 * (--check-config); a problem is an error at the key naming the file. */
hb_station_conf_t *hb_station_conf_check(const char *path, hb_config_errors_t *errors);
void hb_station_conf_destroy(hb_station_conf_t **self_p);

/* For SIGHUP: load path; on errors log them all (hb_config_errors_log)
 * and return NULL, so the daemon keeps its running configuration. */
hb_central_conf_t *hb_central_conf_reload(const char *path);
hb_station_conf_t *hb_station_conf_reload(const char *path);

/* Lookups, borrowed pointers valid until the config is destroyed; NULL if absent. */
const hb_category_t *hb_central_conf_category(const hb_central_conf_t *self, const char *name);
const hb_district_conf_t *hb_central_conf_district_of(const hb_central_conf_t *self,
                                                      const char *community_code);
const hb_station_entry_t *hb_central_conf_station(const hb_central_conf_t *self, uint32_t id,
                                                 const hb_community_conf_t **community_out);

/* The time zone a district's local days are counted in: its own
 * time_zone, else the city's. Borrowed from conf. */
const char *hb_central_conf_time_zone(const hb_central_conf_t *self, const hb_district_conf_t *district);

/* Parses "90m", "1500h", "1h30m", "2d" into minutes; -1 on bad syntax. */
int64_t hb_config_parse_duration(const char *text);
/* The same with seconds allowed as the last unit ("1m30s", "45s") into
 * seconds; -1 on bad syntax. */
int64_t hb_config_parse_duration_seconds(const char *text);

#endif
