/* hb_config_schema.c - the tables for central.yaml and station.yaml, the
 * checks that span entries, and the public load/destroy/lookup functions.
 *
 * YAML keys are the struct member names of hb_config.h, except durations,
 * which drop the unit suffix: clock_skew, max_record_age, guarantee_budget,
 * floor, cap, daily_limit.
 */
#include "hb_config.h"
#include "hb_config_schema.h"
#include "hb_assert.h"
#include "hb_keyfile.h"
#include "hb_log.h"
#include "hb_utf8.h"
#include "hb_zone.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#define FIELD_COUNT(a) (sizeof(a) / sizeof((a)[0]))
/* Where a member lives: offset and size. */
#define AT(T, m) .offset = offsetof(T, m), .size = sizeof(((T *) 0)->m)
#define COUNT_AT(T, m) .count_offset = offsetof(T, m)
/* First allocation for the payer rules remembered until the end (grows). */
#define RULE_REFS_FIRST 16
/* console_listen: the highest TCP port, and its digits. */
#define PORT_MAX 65535
#define PORT_DIGITS_MAX 5

/* ---- string checks ---- */

static bool
starts_with(const char *value, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(value, prefix, n) == 0 && value[n] != '\0';
}

static const char *
check_endpoint(const char *value)
{
    if (starts_with(value, "tcp://") || starts_with(value, "ipc://"))
        return NULL;
    return "must be a zeromq endpoint such as \"tcp://127.0.0.1:7400\"";
}

static const char *
check_ipc_endpoint(const char *value)
{
    if (starts_with(value, "ipc://"))
        return NULL;
    return "must be an ipc endpoint such as \"ipc:///run/hourbank/station.sock\"";
}

#define TEXT_OF_(x) #x
#define TEXT_OF(x) TEXT_OF_(x)
#define OPERATOR_CHARS_TEXT TEXT_OF(HB_OPERATOR_CHARS_MAX)
/* An operator's name as Op.operator takes it: valid UTF-8, one line, at
 * most HB_OPERATOR_CHARS_MAX characters ("" = none). */
static const char *
check_operator_name(const char *value)
{
    size_t len = strlen(value), chars = 0;
    for (size_t at = 0, n; at < len; at += n, chars++) {
        uint32_t cp;
        n = hb_utf8_decode((const unsigned char *) value + at, len - at, &cp);
        if (n == 0)
            return "must be valid UTF-8";
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            return "must be one line without control characters";
    }
    if (chars > HB_OPERATOR_CHARS_MAX)
        return "must be at most " OPERATOR_CHARS_TEXT " characters";
    return NULL;
}

static const char *
check_category_name(const char *value)
{
    for (const char *p = value; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                  (p != value && (*p == '-' || *p == '_'));
        if (!ok)
            return "must be lowercase letters, digits, \"-\" or \"_\", such as \"meal-delivery\"";
    }
    return NULL;
}

static const char *
check_rule_category(const char *value)
{
    if (strcmp(value, "*") == 0)
        return NULL;
    return check_category_name(value) ? "must be a category from the catalogue or \"*\"" : NULL;
}

/* An IANA zone name with a compiled zone file: "Asia/Shanghai", "UTC"
 * (hb_zone.h). POSIX strings ("UTC+8", whose sign is the reverse of ISO's)
 * and abbreviations ("CST", which means three different zones) are refused. */
static const char *
check_time_zone(const char *value)
{
    if (!hb_zone_name_ok(value))
        return "must be a time zone name from the tz database, such as \"Asia/Shanghai\"";
    if (!hb_zone_installed(value))
        return "is not a time zone in " HB_ZONE_DIR ": use a tz database name such as \"Asia/Shanghai\"";
    return NULL;
}

/* An IP literal: IPv4 "127.0.0.1" or IPv6 in brackets "[::1]" (len
 * bytes of text). Names are refused: the console binds to an address. */
static bool
ip_literal_ok(const char *text, size_t len)
{
    char addr[INET6_ADDRSTRLEN + 1];
    unsigned char bin[sizeof(struct in6_addr)];
    bool bracketed = len >= 2 && text[0] == '[' && text[len - 1] == ']';
    size_t from = bracketed ? 1 : 0, n = bracketed ? len - 2 : len;
    if (n == 0 || n >= sizeof addr)
        return false;
    memcpy(addr, text + from, n);
    addr[n] = '\0';
    return bracketed ? inet_pton(AF_INET6, addr, bin) == 1 : inet_pton(AF_INET, addr, bin) == 1;
}

/* "ADDRESS:PORT": an IP literal and a port 1..65535. */
static const char *
check_console_listen(const char *value)
{
    static const char reason[] = "must be an IP address and a port such as \"127.0.0.1:8080\" or \"[::1]:8080\"";
    const char *colon = strrchr(value, ':');
    if (!colon || !ip_literal_ok(value, (size_t) (colon - value)))
        return reason;
    const char *port = colon + 1;
    long n = 0;
    for (const char *p = port; *p; p++) {
        if (*p < '0' || *p > '9' || p - port >= PORT_DIGITS_MAX)
            return reason;
        n = n * 10 + (*p - '0');
    }
    return *port && n >= 1 && n <= PORT_MAX ? NULL : reason;
}

/* A Host header value without its port: a DNS name ("localhost",
 * "station.example"), an IPv4 literal or "[" IPv6 "]". */
static const char *
check_host(const char *value)
{
    size_t len = strlen(value);
    if (len > 0 && (value[0] == '[' || (value[0] >= '0' && value[0] <= '9')) && ip_literal_ok(value, len))
        return NULL;
    bool ok = len > 0 && value[0] != '-' && value[0] != '.';
    for (const char *p = value; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
             *p == '.';
    return ok ? NULL : "must be a host name such as \"localhost\", an IPv4 address or an IPv6 address in brackets";
}

/* hb_config_mark_t as the public hb_config_pos_t. */
static hb_config_pos_t
pos_of(hb_config_mark_t m)
{
    return (hb_config_pos_t){m.line, m.column};
}

/* ---- names ---- */

static const hb_config_name_t overflow_names[] = {
    {"reject", HB_OVERFLOW_REJECT}, {"donate", HB_OVERFLOW_DONATE}, {NULL, 0}};
static const hb_config_name_t gift_names[] = {
    {"none", HB_GIFT_NONE}, {"family", HB_GIFT_FAMILY}, {"any", HB_GIFT_ANY}, {NULL, 0}};
static const hb_config_name_t leaver_names[] = {{"pool", HB_LEAVER_POOL}, {"family", HB_LEAVER_FAMILY}, {NULL, 0}};
static const hb_config_name_t payer_names[] = {
    {"recipient", HB_PAYER_RECIPIENT}, {"guarantee", HB_PAYER_GUARANTEE}, {NULL, 0}};
static const hb_config_name_t language_names[] = {{"zh_CN", 1}, {"en", 2}, {NULL, 0}};
static const hb_config_name_t log_level_names[] = {
    {"error", HB_LOG_ERROR}, {"warn", HB_LOG_WARN}, {"info", HB_LOG_INFO},
    {"debug", HB_LOG_DEBUG}, {NULL, 0}};

/* ---- checks that span entries (central.yaml) ---- */

/* What the central hooks keep between entries. */
typedef struct {
    char category[HB_CATEGORY_BYTES_MAX + 1];
    hb_config_mark_t mark;
} rule_ref_t;

typedef struct {
    rule_ref_t *rules;        /* payer rule categories, checked once the catalogue is known */
    size_t rule_count;
    size_t rule_capacity;
    size_t communities;       /* in the whole city so far */
    size_t stations;
} central_state_t;

static void
check_category(hb_config_loader_t *ld, const hb_config_entry_t *entry)
{
    const hb_central_conf_t *conf = entry->root;
    const hb_category_t *self = entry->data;
    if (!hb_config_entry_ok(entry, "name"))
        return;
    for (const hb_category_t *c = conf->categories; c != self; c++) {
        if (strcmp(c->name, self->name) == 0) {
            hb_config_error(ld, hb_config_entry_mark(entry, "name"), "duplicate category \"%s\"",
                            self->name);
            return;
        }
    }
}

static void
check_district(hb_config_loader_t *ld, const hb_config_entry_t *entry)
{
    const hb_central_conf_t *conf = entry->root;
    hb_district_conf_t *self = entry->data;
    self->communities_at = pos_of(hb_config_entry_mark(entry, "communities"));
    if (hb_config_entry_ok(entry, "time_zone"))
        self->time_zone_at = pos_of(hb_config_entry_mark(entry, "time_zone"));
    if (!hb_config_entry_ok(entry, "code"))
        return;
    for (const hb_district_conf_t *d = conf->districts; d != self; d++) {
        if (strcmp(d->code, self->code) == 0) {
            hb_config_error(ld, hb_config_entry_mark(entry, "code"),
                            "duplicate district code \"%s\"", self->code);
            return;
        }
    }
}

/* The community with this code loaded before self, anywhere in the city. */
static const hb_community_conf_t *
earlier_community(const hb_central_conf_t *conf, const hb_community_conf_t *self,
                  const hb_district_conf_t **district_out)
{
    for (size_t d = 0; d < conf->district_count; d++) {
        const hb_district_conf_t *district = &conf->districts[d];
        for (size_t c = 0; c < district->community_count; c++) {
            const hb_community_conf_t *other = &district->communities[c];
            if (other == self)
                return NULL;
            if (strcmp(other->code, self->code) == 0) {
                *district_out = district;
                return other;
            }
        }
    }
    return NULL;
}

static void
check_community(hb_config_loader_t *ld, const hb_config_entry_t *entry)
{
    central_state_t *state = entry->user;
    hb_community_conf_t *self = entry->data;
    hb_config_mark_t at = hb_config_entry_mark(entry, "code");
    self->stations_at = pos_of(hb_config_entry_mark(entry, "stations"));
    if (++state->communities == HB_COMMUNITIES_MAX + 1)
        hb_config_error(ld, at, "more than %d communities in the city", HB_COMMUNITIES_MAX);
    if (state->communities > HB_COMMUNITIES_MAX || !hb_config_entry_ok(entry, "code"))
        return;  /* past the bound the quadratic check below is not done */
    const hb_district_conf_t *district = NULL;
    if (earlier_community(entry->root, self, &district))
        hb_config_error(ld, at, "community code \"%s\" is already used in district \"%s\"",
                        self->code, district->code);
}

typedef bool (*same_station_fn)(const hb_station_entry_t *a, const hb_station_entry_t *b);

static bool
same_id(const hb_station_entry_t *a, const hb_station_entry_t *b)
{
    return a->id == b->id;
}

static bool
same_key(const hb_station_entry_t *a, const hb_station_entry_t *b)
{
    return strcmp(a->public_key, b->public_key) == 0;
}

/* A station loaded before self, anywhere in the city, that is "same". */
static const hb_station_entry_t *
earlier_station(const hb_central_conf_t *conf, const hb_station_entry_t *self,
                same_station_fn same, const hb_community_conf_t **community_out)
{
    for (size_t d = 0; d < conf->district_count; d++) {
        const hb_district_conf_t *district = &conf->districts[d];
        for (size_t c = 0; c < district->community_count; c++) {
            const hb_community_conf_t *community = &district->communities[c];
            for (size_t s = 0; s < community->station_count; s++) {
                const hb_station_entry_t *other = &community->stations[s];
                if (other == self)
                    return NULL;
                if (same(other, self)) {
                    *community_out = community;
                    return other;
                }
            }
        }
    }
    return NULL;
}

/* The community whose station list holds self (an entry being loaded). */
static const hb_community_conf_t *
community_of(const hb_central_conf_t *conf, const hb_station_entry_t *self)
{
    for (size_t d = 0; d < conf->district_count; d++)
        for (size_t c = 0; c < conf->districts[d].community_count; c++) {
            const hb_community_conf_t *cc = &conf->districts[d].communities[c];
            if (cc->stations && self >= cc->stations && self < cc->stations + cc->station_count)
                return cc;
        }
    return NULL;
}

/* Stations of one community allocate member numbers from disjoint ranges,
 * so that numbers are unique without asking central. */
static void
check_serials(hb_config_loader_t *ld, const hb_config_entry_t *entry, const hb_station_entry_t *self)
{
    if (self->member_serial_min > self->member_serial_max) {
        hb_config_error(ld, hb_config_entry_mark(entry, "member_serial_min"),
                        "member_serial_min %" PRIu32 " is above member_serial_max %" PRIu32,
                        self->member_serial_min, self->member_serial_max);
        return;
    }
    const hb_community_conf_t *cc = community_of(entry->root, self);
    for (const hb_station_entry_t *o = cc ? cc->stations : self; o < self; o++) {
        if (o->member_serial_min <= self->member_serial_max && self->member_serial_min <= o->member_serial_max)
            hb_config_error(ld, hb_config_entry_mark(entry, "id"),
                            "member serials %" PRIu32 "..%" PRIu32 " of station %" PRIu32 " overlap those of"
                            " station %" PRIu32 " in community \"%s\": set disjoint member_serial_min/max",
                            self->member_serial_min, self->member_serial_max, self->id, o->id, cc->code);
    }
}

static void
check_station(hb_config_loader_t *ld, const hb_config_entry_t *entry)
{
    central_state_t *state = entry->user;
    const hb_station_entry_t *self = entry->data;
    const hb_community_conf_t *community = NULL;
    if (++state->stations == HB_STATIONS_MAX + 1)
        hb_config_error(ld, hb_config_entry_mark(entry, "id"), "more than %d stations in the city",
                        HB_STATIONS_MAX);
    if (state->stations > HB_STATIONS_MAX)
        return;
    if (hb_config_entry_ok(entry, "id") && earlier_station(entry->root, self, same_id, &community))
        hb_config_error(ld, hb_config_entry_mark(entry, "id"),
                        "station id %" PRIu32 " is already used in community \"%s\"", self->id,
                        community->code);
    const hb_station_entry_t *other = NULL;
    if (hb_config_entry_ok(entry, "public_key") &&
        (other = earlier_station(entry->root, self, same_key, &community)))
        hb_config_error(ld, hb_config_entry_mark(entry, "public_key"),
                        "public key of station %" PRIu32 " is already used by station %" PRIu32,
                        self->id,
                        other->id);
    check_serials(ld, entry, self);
}

/* Payer rules may name categories listed later in the file: remember them
 * and check once the whole file is read (check_central). */
static void
check_payer_rule(hb_config_loader_t *ld, const hb_config_entry_t *entry)
{
    central_state_t *state = entry->user;
    const hb_payer_rule_t *rule = entry->data;
    if (!hb_config_entry_ok(entry, "category") || strcmp(rule->category, "*") == 0)
        return;
    if (state->rule_count == state->rule_capacity) {
        size_t cap = state->rule_capacity ? state->rule_capacity * 2 : RULE_REFS_FIRST;
        rule_ref_t *grown = realloc(state->rules, cap * sizeof *grown);
        if (!grown) {
            hb_config_error(ld, entry->start, "out of memory");
            return;
        }
        state->rules = grown;
        state->rule_capacity = cap;
    }
    rule_ref_t *ref = &state->rules[state->rule_count++];
    memcpy(ref->category, rule->category, sizeof ref->category);
    ref->mark = hb_config_entry_mark(entry, "category");
}

static void
check_central(hb_config_loader_t *ld, const hb_config_entry_t *entry)
{
    const central_state_t *state = entry->user;
    hb_central_conf_t *conf = entry->root;
    conf->districts_at = pos_of(hb_config_entry_mark(entry, "districts"));
    size_t rules = 0, communities = 0;
    for (size_t d = 0; d < conf->district_count; d++) {
        if (conf->districts[d].time_zone_at.line == 0)
            conf->districts[d].time_zone_at = pos_of(hb_config_entry_mark(entry, "time_zone"));
        rules += conf->districts[d].payer_rule_count;
        communities += conf->districts[d].community_count;
    }
    /* the whole rules travel to stations in one RulesReply */
    if (rules > HB_PAYER_RULES_TOTAL_MAX || communities > HB_COMMUNITIES_MAX)
        hb_config_error(ld, hb_config_entry_mark(entry, "districts"),
                        "the districts hold %zu payer rules and %zu communities in all, at most %d and %d",
                        rules, communities, HB_PAYER_RULES_TOTAL_MAX, HB_COMMUNITIES_MAX);
    if (!hb_config_entry_ok(entry, "categories"))
        return;  /* no usable catalogue: already reported */
    for (size_t i = 0; i < state->rule_count; i++) {
        if (!hb_central_conf_category(entry->root, state->rules[i].category))
            hb_config_error(ld, state->rules[i].mark,
                            "payer rule category \"%s\" is not in the catalogue",
                            state->rules[i].category);
    }
}

/* ---- central.yaml ---- */

static const hb_config_field_t station_entry_fields[] = {
    {.key = "id", .type = HB_CONFIG_INT, .required = true, .min = 1, .max = HB_STATION_ID_MAX,
     AT(hb_station_entry_t, id)},
    {.key = "name", .type = HB_CONFIG_STRING, .required = true, .min = 1,
     AT(hb_station_entry_t, name)},
    {.key = "public_key", .type = HB_CONFIG_STRING, .required = true,
     .check = hb_config_check_z85_key, AT(hb_station_entry_t, public_key)},
    {.key = "member_serial_min", .type = HB_CONFIG_INT, .min = 1, .max = HB_MEMBER_SERIAL_MAX, .def = 1,
     AT(hb_station_entry_t, member_serial_min)},
    {.key = "member_serial_max", .type = HB_CONFIG_INT, .min = 1, .max = HB_MEMBER_SERIAL_MAX,
     .def = HB_MEMBER_SERIAL_MAX, AT(hb_station_entry_t, member_serial_max)},
    {.key = "retired", .type = HB_CONFIG_BOOL, .def = false, AT(hb_station_entry_t, retired)},
};
static const hb_config_schema_t station_entry_schema = {
    station_entry_fields, FIELD_COUNT(station_entry_fields), sizeof(hb_station_entry_t),
    check_station};

static const hb_config_field_t community_fields[] = {
    {.key = "code", .type = HB_CONFIG_STRING, .required = true, .check = hb_config_check_code,
     AT(hb_community_conf_t, code)},
    {.key = "name", .type = HB_CONFIG_STRING, .required = true, .min = 1,
     AT(hb_community_conf_t, name)},
    {.key = "stations", .type = HB_CONFIG_LIST, .required = true, .min = 0,
     .max = HB_STATIONS_MAX, .item = &station_entry_schema, AT(hb_community_conf_t, stations),
     COUNT_AT(hb_community_conf_t, station_count)},
};
static const hb_config_schema_t community_schema = {
    community_fields, FIELD_COUNT(community_fields), sizeof(hb_community_conf_t), check_community};

static const hb_config_field_t payer_rule_fields[] = {
    {.key = "category", .type = HB_CONFIG_STRING, .required = true, .min = 1,
     .check = check_rule_category, AT(hb_payer_rule_t, category)},
    {.key = "payer", .type = HB_CONFIG_ENUM, .required = true, .names = payer_names,
     AT(hb_payer_rule_t, payer)},
    {.key = "min_recipient_age", .type = HB_CONFIG_INT, .min = 0,
     .max = HB_RECIPIENT_AGE_YEARS_MAX, .def = 0, AT(hb_payer_rule_t, min_recipient_age)},
};
static const hb_config_schema_t payer_rule_schema = {
    payer_rule_fields, FIELD_COUNT(payer_rule_fields), sizeof(hb_payer_rule_t), check_payer_rule};

static const hb_config_field_t district_fields[] = {
    {.key = "code", .type = HB_CONFIG_STRING, .required = true, .check = hb_config_check_code,
     AT(hb_district_conf_t, code)},
    {.key = "name", .type = HB_CONFIG_STRING, .required = true, .min = 1,
     AT(hb_district_conf_t, name)},
    {.key = "floor", .type = HB_CONFIG_DURATION, .min = -HB_ACCOUNT_MINUTES_MAX, .max = 0,
     .def = 0, AT(hb_district_conf_t, floor_minutes)},
    {.key = "cap", .type = HB_CONFIG_DURATION, .min = 1, .max = HB_ACCOUNT_MINUTES_MAX,
     .def = HB_CAP_MINUTES_DEFAULT, AT(hb_district_conf_t, cap_minutes)},
    {.key = "overflow", .type = HB_CONFIG_ENUM, .names = overflow_names,
     .def = HB_OVERFLOW_REJECT, AT(hb_district_conf_t, overflow)},
    {.key = "daily_limit", .type = HB_CONFIG_DURATION, .min = 1,
     .max = HB_DAILY_LIMIT_MINUTES_MAX, .def = HB_DAILY_LIMIT_MINUTES_DEFAULT,
     AT(hb_district_conf_t, daily_limit_minutes)},
    {.key = "gifts", .type = HB_CONFIG_ENUM, .names = gift_names, .def = HB_GIFT_FAMILY,
     AT(hb_district_conf_t, gifts)},
    {.key = "leaver_hours", .type = HB_CONFIG_ENUM, .names = leaver_names, .def = HB_LEAVER_POOL,
     AT(hb_district_conf_t, leaver_hours)},
    {.key = "time_zone", .type = HB_CONFIG_STRING, .min = 1, .max = HB_TIME_ZONE_BYTES_MAX,
     .check = check_time_zone, AT(hb_district_conf_t, time_zone)},
    {.key = "payer_rules", .type = HB_CONFIG_LIST, .min = 0, .max = HB_RULES_MAX,
     .item = &payer_rule_schema, AT(hb_district_conf_t, payer_rules),
     COUNT_AT(hb_district_conf_t, payer_rule_count)},
    {.key = "communities", .type = HB_CONFIG_LIST, .required = true, .min = 1,
     .max = HB_COMMUNITIES_MAX, .item = &community_schema, AT(hb_district_conf_t, communities),
     COUNT_AT(hb_district_conf_t, community_count)},
};
static const hb_config_schema_t district_schema = {
    district_fields, FIELD_COUNT(district_fields), sizeof(hb_district_conf_t), check_district};

static const hb_config_field_t category_fields[] = {
    {.key = "name", .type = HB_CONFIG_STRING, .required = true, .min = 1,
     .max = HB_CATEGORY_BYTES_MAX, .check = check_category_name, AT(hb_category_t, name)},
    {.key = "description", .type = HB_CONFIG_STRING, .min = 0, .max = HB_NOTE_BYTES_MAX,
     AT(hb_category_t, description)},
};
static const hb_config_schema_t category_schema = {
    category_fields, FIELD_COUNT(category_fields), sizeof(hb_category_t), check_category};

static const hb_config_field_t central_fields[] = {
    {.key = "listen", .type = HB_CONFIG_STRING, .required = true, .check = check_endpoint,
     AT(hb_central_conf_t, listen)},
    {.key = "database", .type = HB_CONFIG_STRING, .required = true, .min = 1,
     AT(hb_central_conf_t, database)},
    {.key = "query_database", .type = HB_CONFIG_STRING, AT(hb_central_conf_t, query_database)},
    {.key = "query_connect_timeout_seconds", .type = HB_CONFIG_INT, .min = HB_QUERY_CONNECT_TIMEOUT_S_MIN,
     .max = HB_QUERY_CONNECT_TIMEOUT_S_MAX, .def = HB_QUERY_CONNECT_TIMEOUT_S_DEFAULT,
     AT(hb_central_conf_t, query_connect_timeout_seconds)},
    {.key = "query_statement_timeout_seconds", .type = HB_CONFIG_INT, .min = 1,
     .max = HB_QUERY_STATEMENT_TIMEOUT_S_MAX, .def = HB_QUERY_STATEMENT_TIMEOUT_S_DEFAULT,
     AT(hb_central_conf_t, query_statement_timeout_seconds)},
    {.key = "secret_key_file", .type = HB_CONFIG_STRING, .required = true, .min = 1,
     .relative_path = true, AT(hb_central_conf_t, secret_key_file)},
    {.key = "log_level", .type = HB_CONFIG_WORD, .names = log_level_names, .def_text = "info",
     AT(hb_central_conf_t, log_level)},
    {.key = "clock_skew", .type = HB_CONFIG_DURATION, .scale = HB_CONFIG_SECONDS_PER_MINUTE,
     .min = 0, .max = HB_CLOCK_SKEW_S_MAX, .def = HB_CLOCK_SKEW_S_DEFAULT,
     AT(hb_central_conf_t, clock_skew_seconds)},
    {.key = "max_record_age", .type = HB_CONFIG_DURATION, .scale = HB_CONFIG_SECONDS_PER_MINUTE,
     .min = HB_CONFIG_SECONDS_PER_MINUTE, .max = HB_RECORD_AGE_S_MAX,
     .def = HB_RECORD_AGE_S_DEFAULT, AT(hb_central_conf_t, max_record_age_seconds)},
    {.key = "time_zone", .type = HB_CONFIG_STRING, .required = true, .min = 1, .max = HB_TIME_ZONE_BYTES_MAX,
     .check = check_time_zone, AT(hb_central_conf_t, time_zone)},
    {.key = "guarantee_budget", .type = HB_CONFIG_DURATION, .required = true, .min = 0,
     .max = HB_ACCOUNT_MINUTES_MAX, AT(hb_central_conf_t, guarantee_budget_minutes)},
    {.key = "admin_public_keys", .type = HB_CONFIG_STRINGS, .max = HB_CONFIG_ADMIN_KEYS_MAX,
     .check = hb_config_check_z85_key, AT(hb_central_conf_t, admin_public_keys[0]),
     COUNT_AT(hb_central_conf_t, admin_key_count)},
    {.key = "categories", .type = HB_CONFIG_LIST, .required = true, .min = 1,
     .max = HB_CATEGORIES_MAX, .item = &category_schema, AT(hb_central_conf_t, categories),
     COUNT_AT(hb_central_conf_t, category_count)},
    {.key = "districts", .type = HB_CONFIG_LIST, .required = true, .min = 1,
     .max = HB_DISTRICTS_MAX, .item = &district_schema, AT(hb_central_conf_t, districts),
     COUNT_AT(hb_central_conf_t, district_count)},
};
static const hb_config_schema_t central_schema = {
    central_fields, FIELD_COUNT(central_fields), sizeof(hb_central_conf_t), check_central};

hb_central_conf_t *
hb_central_conf_load(const char *path, hb_config_errors_t *errors)
{
    central_state_t state = {0};
    hb_central_conf_t *conf = hb_config_load(path, &central_schema, &state, errors);
    free(state.rules);
    if (conf)
        snprintf(conf->path, sizeof conf->path, "%s", path);
    return conf;
}

void
hb_central_conf_destroy(hb_central_conf_t **self_p)
{
    hb_assert(self_p);
    if (*self_p) {
        hb_config_release(&central_schema, *self_p);
        free(*self_p);
        *self_p = NULL;
    }
}

/* ---- station.yaml ---- */

static const hb_config_field_t station_fields[] = {
    {.key = "station_id", .type = HB_CONFIG_INT, .required = true, .min = 1, .max = HB_STATION_ID_MAX,
     AT(hb_station_conf_t, station_id)},
    {.key = "community", .type = HB_CONFIG_STRING, .required = true,
     .check = hb_config_check_code, AT(hb_station_conf_t, community)},
    {.key = "central_endpoint", .type = HB_CONFIG_STRING, .required = true,
     .check = check_endpoint, AT(hb_station_conf_t, central_endpoint)},
    {.key = "central_public_key", .type = HB_CONFIG_STRING, .required = true,
     .check = hb_config_check_z85_key, AT(hb_station_conf_t, central_public_key)},
    {.key = "public_key_file", .type = HB_CONFIG_STRING, .required = true, .min = 1,
     .relative_path = true, AT(hb_station_conf_t, public_key_file)},
    {.key = "secret_key_file", .type = HB_CONFIG_STRING, .required = true, .min = 1,
     .relative_path = true, AT(hb_station_conf_t, secret_key_file)},
    {.key = "outbox_path", .type = HB_CONFIG_STRING, .required = true, .min = 1,
     .relative_path = true, AT(hb_station_conf_t, outbox_path)},
    {.key = "ipc_endpoint", .type = HB_CONFIG_STRING, .required = true,
     .check = check_ipc_endpoint, AT(hb_station_conf_t, ipc_endpoint)},
    {.key = "log_level", .type = HB_CONFIG_WORD, .names = log_level_names, .def_text = "info",
     AT(hb_station_conf_t, log_level)},
    {.key = "outbox_max_bytes", .type = HB_CONFIG_INT, .min = HB_OUTBOX_BYTES_MIN,
     .max = INT64_MAX, .def = HB_OUTBOX_BYTES_DEFAULT, AT(hb_station_conf_t, outbox_max_bytes)},
    {.key = "retention_days", .type = HB_CONFIG_INT, .min = 1, .max = HB_RETENTION_DAYS_MAX,
     .def = HB_RETENTION_DAYS_DEFAULT, AT(hb_station_conf_t, retention_days)},
    {.key = "batch_ops", .type = HB_CONFIG_INT, .min = 1, .max = HB_BATCH_OPS_MAX,
     .def = HB_BATCH_OPS_MAX, AT(hb_station_conf_t, batch_ops)},
    {.key = "member_serial_min", .type = HB_CONFIG_INT, .min = 1, .max = HB_MEMBER_SERIAL_MAX, .def = 1,
     AT(hb_station_conf_t, member_serial_min)},
    {.key = "member_serial_max", .type = HB_CONFIG_INT, .min = 1, .max = HB_MEMBER_SERIAL_MAX,
     .def = HB_MEMBER_SERIAL_MAX, AT(hb_station_conf_t, member_serial_max)},
    {.key = "default_operator", .type = HB_CONFIG_STRING, .check = check_operator_name,
     AT(hb_station_conf_t, default_operator)},
    {.key = "language", .type = HB_CONFIG_WORD, .names = language_names, .def_text = "zh_CN",
     AT(hb_station_conf_t, language)},
    {.key = "sign_in_lockout", .type = HB_CONFIG_DURATION, .scale = HB_CONFIG_SECONDS_PER_MINUTE,
     .min = 1, .max = HB_SIGN_IN_LOCKOUT_S_MAX, .def = HB_SIGN_IN_LOCKOUT_S_DEFAULT,
     AT(hb_station_conf_t, sign_in_lockout_seconds)},
    {.key = "console_listen", .type = HB_CONFIG_STRING, .def_text = "127.0.0.1:8080",
     .check = check_console_listen, AT(hb_station_conf_t, console_listen)},
    {.key = "console_allowed_hosts", .type = HB_CONFIG_STRINGS, .max = HB_CONSOLE_HOSTS_MAX,
     .check = check_host, AT(hb_station_conf_t, console_allowed_hosts[0]),
     COUNT_AT(hb_station_conf_t, console_allowed_host_count)},
    {.key = "console_session_idle", .type = HB_CONFIG_DURATION, .scale = HB_CONFIG_SECONDS_PER_MINUTE,
     .min = 1, .max = HB_CONSOLE_SESSION_S_MAX, .def = HB_CONSOLE_SESSION_IDLE_S_DEFAULT,
     AT(hb_station_conf_t, console_session_idle_seconds)},
    {.key = "console_session_max", .type = HB_CONFIG_DURATION, .scale = HB_CONFIG_SECONDS_PER_MINUTE,
     .min = 1, .max = HB_CONSOLE_SESSION_S_MAX, .def = HB_CONSOLE_SESSION_MAX_S_DEFAULT,
     AT(hb_station_conf_t, console_session_max_seconds)},
    {.key = "reconcile_interval", .type = HB_CONFIG_DURATION, .scale = HB_CONFIG_SECONDS_PER_MINUTE,
     .min = HB_RECONCILE_INTERVAL_MIN, .max = HB_RECONCILE_INTERVAL_MAX, .def = HB_RECONCILE_INTERVAL_DEFAULT,
     AT(hb_station_conf_t, reconcile_interval_seconds)},
};
/* console_allowed_hosts when the key is absent: loopback by every name. */
static const char *const console_hosts_default[] = {"localhost", "127.0.0.1", "[::1]"};
/* --check-config reads the key files too (the daemon needs both; the CLI,
 * which also loads station.yaml, may not be allowed to read the secret
 * one): a missing or unreadable file is reported at its key. */
typedef struct {
    bool read_key_files;
} station_state_t;

static void
check_key_file(hb_config_loader_t *ld, const hb_config_entry_t *entry, const char *key, const char *path,
               bool secret)
{
    char z85[HB_KEY_Z85_CHARS + 1], msg[HB_PATH_BYTES_MAX + HB_MESSAGE_BYTES_MAX];
    if (hb_config_entry_ok(entry, key) && hb_keyfile_read(path, secret, z85, msg, sizeof msg) != 0)
        hb_config_error(ld, hb_config_entry_mark(entry, key), "%s: %s", key, msg);
    sodium_memzero(z85, sizeof z85);
}

/* Whether key was given with a value already reported as wrong. */
static bool
entry_invalid(const hb_config_entry_t *entry, const char *key)
{
    for (size_t i = 0; i < entry->schema->field_count; i++)
        if (strcmp(entry->schema->fields[i].key, key) == 0)
            return entry->state[i] == HB_CONFIG_INVALID;
    hb_assert(!"a key of the table");
    return false;
}

/* The console keys that span entries: the default hosts, a list that
 * names none, a session that idles out after its end. */
static void
check_console_keys(hb_config_loader_t *ld, const hb_config_entry_t *entry, hb_station_conf_t *conf)
{
    static const char hosts[] = "console_allowed_hosts";
    if (hb_config_entry_ok(entry, hosts) && conf->console_allowed_host_count == 0) {
        hb_config_error(ld, hb_config_entry_mark(entry, hosts),
                        "\"%s\" must name at least one host, such as \"localhost\"", hosts);
    } else if (!hb_config_entry_ok(entry, hosts) && conf->console_allowed_host_count == 0) {
        _Static_assert(FIELD_COUNT(console_hosts_default) <= HB_CONSOLE_HOSTS_MAX, "the defaults fit");
        for (size_t i = 0; i < FIELD_COUNT(console_hosts_default); i++)
            snprintf(conf->console_allowed_hosts[i], sizeof conf->console_allowed_hosts[i], "%s",
                     console_hosts_default[i]);
        conf->console_allowed_host_count = FIELD_COUNT(console_hosts_default);
    }
    if (!entry_invalid(entry, "console_session_idle") && !entry_invalid(entry, "console_session_max") &&
        conf->console_session_idle_seconds > conf->console_session_max_seconds)
        hb_config_error(ld, hb_config_entry_mark(entry, "console_session_idle"),
                        "\"console_session_idle\" must not be longer than \"console_session_max\", "
                        "got %" PRId64 " s and %" PRId64 " s",
                        conf->console_session_idle_seconds, conf->console_session_max_seconds);
}

static void
check_station_conf(hb_config_loader_t *ld, const hb_config_entry_t *entry)
{
    const station_state_t *state = entry->user;
    hb_station_conf_t *conf = entry->data;
    check_console_keys(ld, entry, conf);
    if (!state || !state->read_key_files)
        return;
    check_key_file(ld, entry, "public_key_file", conf->public_key_file, false);
    check_key_file(ld, entry, "secret_key_file", conf->secret_key_file, true);
}

static const hb_config_schema_t station_schema = {
    station_fields, FIELD_COUNT(station_fields), sizeof(hb_station_conf_t), check_station_conf};

hb_station_conf_t *
hb_station_conf_load(const char *path, hb_config_errors_t *errors)
{
    return hb_config_load(path, &station_schema, NULL, errors);
}

hb_station_conf_t *
hb_station_conf_check(const char *path, hb_config_errors_t *errors)
{
    station_state_t state = {.read_key_files = true};
    return hb_config_load(path, &station_schema, &state, errors);
}

void
hb_station_conf_destroy(hb_station_conf_t **self_p)
{
    hb_assert(self_p);
    if (*self_p) {
        hb_config_release(&station_schema, *self_p);
        free(*self_p);
        *self_p = NULL;
    }
}

/* ---- lookups ---- */

const hb_category_t *
hb_central_conf_category(const hb_central_conf_t *self, const char *name)
{
    hb_assert(self && name);
    for (size_t i = 0; i < self->category_count; i++)
        if (strcmp(self->categories[i].name, name) == 0)
            return &self->categories[i];
    return NULL;
}

const hb_district_conf_t *
hb_central_conf_district_of(const hb_central_conf_t *self, const char *community_code)
{
    hb_assert(self && community_code);
    for (size_t d = 0; d < self->district_count; d++) {
        const hb_district_conf_t *district = &self->districts[d];
        for (size_t c = 0; c < district->community_count; c++)
            if (strcmp(district->communities[c].code, community_code) == 0)
                return district;
    }
    return NULL;
}

const char *
hb_central_conf_time_zone(const hb_central_conf_t *self, const hb_district_conf_t *district)
{
    hb_assert(self && district);
    return district->time_zone[0] ? district->time_zone : self->time_zone;
}

const hb_station_entry_t *
hb_central_conf_station(const hb_central_conf_t *self, uint32_t id,
                        const hb_community_conf_t **community_out)
{
    hb_assert(self);
    for (size_t d = 0; d < self->district_count; d++) {
        const hb_district_conf_t *district = &self->districts[d];
        for (size_t c = 0; c < district->community_count; c++) {
            const hb_community_conf_t *community = &district->communities[c];
            for (size_t s = 0; s < community->station_count; s++) {
                if (community->stations[s].id != id)
                    continue;
                if (community_out)
                    *community_out = community;
                return &community->stations[s];
            }
        }
    }
    return NULL;
}

hb_central_conf_t *
hb_central_conf_reload(const char *path)
{
    hb_config_errors_t *errors = calloc(1, sizeof *errors);
    hb_assert(errors);
    hb_central_conf_t *conf = hb_central_conf_load(path, errors);
    if (!conf)
        hb_config_errors_log(errors, path);
    free(errors);
    return conf;
}

hb_station_conf_t *
hb_station_conf_reload(const char *path)
{
    hb_config_errors_t *errors = calloc(1, sizeof *errors);
    hb_assert(errors);
    hb_station_conf_t *conf = hb_station_conf_load(path, errors);
    if (!conf)
        hb_config_errors_log(errors, path);
    free(errors);
    return conf;
}
