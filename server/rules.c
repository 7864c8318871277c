#include "rules.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hb_assert.h"
#include "hb_log.h"
#include "rules_check.h"

static const char *
overflow_name(hb_overflow_t o)
{
    return o == HB_OVERFLOW_DONATE ? "donate" : "reject";
}

static const char *
gifts_name(hb_gift_policy_t g)
{
    return g == HB_GIFT_NONE ? "none" : g == HB_GIFT_ANY ? "any" : "family";
}

static const char *
payer_name(hb_payer_t p)
{
    return p == HB_PAYER_GUARANTEE ? "guarantee" : "recipient";
}

/* Runs a parameterized statement; on failure copies the error into msg. */
static int
run(PGconn *pg, const char *sql, int n, const char *const *params, char *msg, size_t msg_size)
{
    PGresult *r = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        snprintf(msg, msg_size, "%s", PQresultErrorMessage(r));
    PQclear(r);
    return ok ? 0 : -1;
}

static int
sync_directory(PGconn *pg, const hb_central_conf_t *conf, char *msg, size_t msg_size)
{
    int rc = run(pg, "UPDATE station SET active = false", 0, NULL, msg, msg_size);
    for (size_t d = 0; rc == 0 && d < conf->district_count; d++) {
        const hb_district_conf_t *dc = &conf->districts[d];
        const char *p[] = {dc->code, dc->name};
        rc = run(pg, "INSERT INTO district VALUES ($1, $2)"
                     " ON CONFLICT (code) DO UPDATE SET name = $2", 2, p, msg, msg_size);
        for (size_t c = 0; rc == 0 && c < dc->community_count; c++) {
            const hb_community_conf_t *cc = &dc->communities[c];
            const char *q[] = {cc->code, dc->code, cc->name};
            rc = run(pg, "INSERT INTO community VALUES ($1, $2, $3)"
                         " ON CONFLICT (code) DO UPDATE SET district = $2, name = $3",
                     3, q, msg, msg_size);
            for (size_t s = 0; rc == 0 && s < cc->station_count; s++) {
                const hb_station_entry_t *st = &cc->stations[s];
                char id[16], lo[16], hi[16];
                snprintf(id, sizeof id, "%" PRIu32, st->id);
                snprintf(lo, sizeof lo, "%" PRIu32, st->member_serial_min);
                snprintf(hi, sizeof hi, "%" PRIu32, st->member_serial_max);
                const char *t[] = {id, cc->code, st->name, st->public_key, lo, hi, st->retired ? "false" : "true"};
                rc = run(pg, "INSERT INTO station (id, community, name, public_key, serial_min, serial_max, active)"
                             " VALUES ($1, $2, $3, $4, $5, $6, $7)"
                             " ON CONFLICT (id) DO UPDATE SET community = $2, name = $3,"
                             " public_key = $4, serial_min = $5, serial_max = $6, active = $7",
                         7, t, msg, msg_size);
            }
        }
    }
    return rc;
}

/* Canonical text of everything that affects posting; its hash decides
 * whether a new rules version is needed. Caller owns the result. */
static char *
rules_text(const hb_central_conf_t *conf)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    hb_assert(f);
    fprintf(f, "skew=%" PRId64 " age=%" PRId64 " budget=%" PRId64 "\n", conf->clock_skew_seconds,
            conf->max_record_age_seconds, conf->guarantee_budget_minutes);
    for (size_t i = 0; i < conf->category_count; i++)
        fprintf(f, "category %s|%s\n", conf->categories[i].name, conf->categories[i].description);
    for (size_t d = 0; d < conf->district_count; d++) {
        const hb_district_conf_t *dc = &conf->districts[d];
        fprintf(f, "district %s floor=%" PRId64 " cap=%" PRId64 " overflow=%s daily=%" PRId64 " gifts=%s\n",
                dc->code, dc->floor_minutes, dc->cap_minutes, overflow_name(dc->overflow),
                dc->daily_limit_minutes, gifts_name(dc->gifts));
        fprintf(f, "zone %s %s\n", dc->code, hb_central_conf_time_zone(conf, dc));
        if (dc->leaver_hours == HB_LEAVER_FAMILY)  /* only when not the default: older checksums stay */
            fprintf(f, "leaver %s family\n", dc->code);
        for (size_t r = 0; r < dc->payer_rule_count; r++)
            fprintf(f, "payer %zu %s %s %" PRId32 "\n", r, dc->payer_rules[r].category,
                    payer_name(dc->payer_rules[r].payer), dc->payer_rules[r].min_recipient_age);
    }
    fclose(f);
    return buf;
}

static int
insert_version(PGconn *pg, const hb_central_conf_t *conf, const char *sum, char *msg, size_t msg_size)
{
    char skew[24], age[24], budget[24];
    snprintf(skew, sizeof skew, "%" PRId64, conf->clock_skew_seconds);
    snprintf(age, sizeof age, "%" PRId64, conf->max_record_age_seconds);
    snprintf(budget, sizeof budget, "%" PRId64, conf->guarantee_budget_minutes);
    const char *p[] = {sum, skew, age, budget};
    int rc = run(pg, "INSERT INTO rules_version (checksum, clock_skew_s, max_age_s, guarantee_budget)"
                     " VALUES ($1, $2, $3, $4)", 4, p, msg, msg_size);
    for (size_t i = 0; rc == 0 && i < conf->category_count; i++) {
        const char *q[] = {conf->categories[i].name, conf->categories[i].description};
        rc = run(pg, "INSERT INTO category SELECT max(version), $1, $2 FROM rules_version",
                 2, q, msg, msg_size);
    }
    for (size_t d = 0; rc == 0 && d < conf->district_count; d++) {
        const hb_district_conf_t *dc = &conf->districts[d];
        char fl[24], cap[24], daily[24];
        snprintf(fl, sizeof fl, "%" PRId64, dc->floor_minutes);
        snprintf(cap, sizeof cap, "%" PRId64, dc->cap_minutes);
        snprintf(daily, sizeof daily, "%" PRId64, dc->daily_limit_minutes);
        const char *q[] = {dc->code, fl, cap, overflow_name(dc->overflow), daily, gifts_name(dc->gifts),
                           hb_central_conf_time_zone(conf, dc),
                           dc->leaver_hours == HB_LEAVER_FAMILY ? "family" : "pool"};
        rc = run(pg, "INSERT INTO district_rule (version, district, floor, cap, overflow, daily_limit, gifts,"
                     " time_zone, leaver_hours) SELECT max(version), $1, $2, $3, $4, $5, $6, $7, $8 FROM rules_version",
                 8, q, msg, msg_size);
        for (size_t r = 0; rc == 0 && r < dc->payer_rule_count; r++) {
            char pos[24], age_min[16];
            snprintf(pos, sizeof pos, "%zu", r);
            snprintf(age_min, sizeof age_min, "%" PRId32, dc->payer_rules[r].min_recipient_age);
            const char *s[] = {dc->code, pos, dc->payer_rules[r].category,
                               payer_name(dc->payer_rules[r].payer), age_min};
            rc = run(pg, "INSERT INTO payer_rule SELECT max(version), $1, $2, $3, $4, $5"
                         " FROM rules_version", 5, s, msg, msg_size);
        }
    }
    return rc;
}

static int
current_version(PGconn *pg, char *checksum_out, size_t size)
{
    PGresult *r = PQexec(pg, "SELECT version, checksum FROM rules_version ORDER BY version DESC LIMIT 1");
    int v = 0;
    checksum_out[0] = '\0';
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        v = (int) strtol(PQgetvalue(r, 0, 0), NULL, 10);
        snprintf(checksum_out, size, "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return v;
}

int
hb_rules_sync(PGconn *pg, const hb_central_conf_t *conf, int *version_out, char *msg, size_t msg_size)
{
    hb_assert(pg && conf && version_out);
    char *text = rules_text(conf);
    unsigned char h[crypto_hash_sha256_BYTES];
    char sum[65], have[65];
    crypto_hash_sha256(h, (const unsigned char *) text, strlen(text));
    sodium_bin2hex(sum, sizeof sum, h, sizeof h);
    free(text);

    int rc = run(pg, "BEGIN", 0, NULL, msg, msg_size);
    if (rc == 0 && (rc = hb_rules_check(pg, conf, msg, msg_size)) == 1)
        rc = HB_RULES_REFUSED;
    if (rc == 0)
        rc = sync_directory(pg, conf, msg, msg_size);
    int v = current_version(pg, have, sizeof have);
    if (rc == 0 && strcmp(have, sum) != 0) {
        rc = insert_version(pg, conf, sum, msg, msg_size);
        v = current_version(pg, have, sizeof have);
        if (rc == 0)
            hb_log_info("rules version recorded version=%d checksum=%.16s", v, sum);
    }
    if (rc == 0)
        rc = run(pg, "COMMIT", 0, NULL, msg, msg_size);
    else
        PQclear(PQexec(pg, "ROLLBACK"));
    *version_out = v;
    return rc == HB_RULES_REFUSED ? rc : rc == 0 ? 0 : -1;
}
