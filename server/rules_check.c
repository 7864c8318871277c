#include "rules_check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_log.h"
#include "pg_array.h"

/* Columns of DROPPED_SQL, and its parameters. */
enum { C_ORDER, C_KIND, C_CODE, C_PARENT, C_DISTRICT, C_MEMBERS, C_OPS };
enum { P_DISTRICTS, P_COMMUNITIES, P_STATIONS, P_COUNT };

/* What the database holds that the file no longer lists, with whether it
 * holds members (belonging or registered there; for a district also
 * member accounts opened there, which keep their district when their
 * community moves to another) and operations. */
static const char DROPPED_SQL[] =
    "SELECT * FROM ("
    " SELECT 1 AS o, 'district' AS kind, d.code, '' AS parent, d.code AS district,"
    "  EXISTS (SELECT 1 FROM member m JOIN community c ON c.code = m.community WHERE c.district = d.code)"
    "  OR EXISTS (SELECT 1 FROM account a WHERE a.district = d.code) AS mem,"
    "  EXISTS (SELECT 1 FROM station s JOIN community c ON c.code = s.community"
    "           WHERE c.district = d.code AND EXISTS (SELECT 1 FROM op WHERE op.station_id = s.id)) AS ops"
    "  FROM district d WHERE d.code <> ALL ($1::text[])"
    " UNION ALL"
    " SELECT 2, 'community', c.code, c.district, c.district,"
    "  EXISTS (SELECT 1 FROM member m WHERE m.community = c.code),"
    "  EXISTS (SELECT 1 FROM station s WHERE s.community = c.code"
    "           AND EXISTS (SELECT 1 FROM op WHERE op.station_id = s.id))"
    "  FROM community c WHERE c.code <> ALL ($2::text[])"
    " UNION ALL"
    " SELECT 3, 'station', s.id::text, s.community, c.district,"
    "  EXISTS (SELECT 1 FROM member m WHERE m.station_id = s.id),"
    "  EXISTS (SELECT 1 FROM op WHERE op.station_id = s.id)"
    "  FROM station s JOIN community c ON c.code = s.community WHERE s.id <> ALL ($3::integer[])"
    ") x WHERE mem OR ops ORDER BY o, code";

/* The zones in force that PostgreSQL does not know. */
static const char ZONES_SQL[] =
    "SELECT z FROM unnest($1::text[]) z WHERE NOT EXISTS (SELECT 1 FROM pg_timezone_names n WHERE n.name = z)";

typedef struct {
    const hb_central_conf_t *conf;
    int refused;              /* reasons logged */
    char *msg;                /* the first one */
    size_t msg_size;
} check_t;

static void refuse(check_t *c, hb_config_pos_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
refuse(check_t *c, hb_config_pos_t at, const char *fmt, ...)
{
    char text[HB_MESSAGE_BYTES_MAX * 2];
    int off = snprintf(text, sizeof text, "%s:%zu:%zu: ", c->conf->path, at.line, at.column);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text + off, sizeof text - (size_t) off, fmt, ap);
    va_end(ap);
    hb_log_error("configuration refused: %s", text);
    if (c->refused++ == 0)
        snprintf(c->msg, c->msg_size, "%s", text);
}

static const hb_district_conf_t *
conf_district(const hb_central_conf_t *conf, const char *code)
{
    for (size_t d = 0; d < conf->district_count; d++)
        if (strcmp(conf->districts[d].code, code) == 0)
            return &conf->districts[d];
    return NULL;
}

static const hb_community_conf_t *
conf_community(const hb_central_conf_t *conf, const char *code)
{
    const hb_district_conf_t *d = hb_central_conf_district_of(conf, code);
    for (size_t i = 0; d && i < d->community_count; i++)
        if (strcmp(d->communities[i].code, code) == 0)
            return &d->communities[i];
    return NULL;
}

/* The list a dropped row should be in: a station's community's stations,
 * a community's district's communities, else the districts. */
static hb_config_pos_t
list_of(const hb_central_conf_t *conf, const char *kind, const char *parent, const char *district)
{
    const hb_community_conf_t *cc = strcmp(kind, "station") == 0 ? conf_community(conf, parent) : NULL;
    if (cc)
        return cc->stations_at;
    const hb_district_conf_t *dc = strcmp(kind, "district") != 0 ? conf_district(conf, district) : NULL;
    return dc ? dc->communities_at : conf->districts_at;
}

static void
report_dropped(check_t *c, const PGresult *r, int i)
{
    const char *kind = PQgetvalue(r, i, C_KIND), *code = PQgetvalue(r, i, C_CODE);
    const char *parent = PQgetvalue(r, i, C_PARENT), *district = PQgetvalue(r, i, C_DISTRICT);
    bool members = PQgetvalue(r, i, C_MEMBERS)[0] == 't', ops = PQgetvalue(r, i, C_OPS)[0] == 't';
    const char *holds = members && ops ? "members and operations" : members ? "members" : "operations";
    /* what a dropped district or community held is said once, by it: a
     * community holding members or ops has a district holding them */
    if ((strcmp(kind, "community") == 0 && !conf_district(c->conf, district)) ||
        (strcmp(kind, "station") == 0 && !conf_community(c->conf, parent)))
        return;
    hb_config_pos_t at = list_of(c->conf, kind, parent, district);
    if (strcmp(kind, "district") == 0)
        refuse(c, at, "district \"%s\" is missing from this list but holds %s in the ledger: a district that"
                      " holds members or operations must stay in the file", code, holds);
    else if (strcmp(kind, "community") == 0)
        refuse(c, at, "community \"%s\" (district \"%s\") is missing from this list but holds %s in the ledger:"
                      " a community that holds members or operations must stay in the file", code, district, holds);
    else
        refuse(c, at, "station %s (community \"%s\") is missing from this list but holds %s in the ledger:"
                      " a station that holds members or operations stays in the file, retired with"
                      " \"retired: true\"", code, parent, holds);
}

static int
run(PGconn *pg, const char *sql, int n, const char *const *params, PGresult **out, char *msg, size_t msg_size)
{
    *out = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(*out) == PGRES_TUPLES_OK)
        return 0;
    snprintf(msg, msg_size, "%s", PQresultErrorMessage(*out));
    PQclear(*out);
    *out = NULL;
    return -1;
}

static int
check_dropped(PGconn *pg, check_t *c)
{
    const hb_central_conf_t *conf = c->conf;
    hb_pg_array_t a[P_COUNT];
    for (int i = 0; i < P_COUNT; i++)
        hb_pg_array_open(&a[i]);
    for (size_t d = 0; d < conf->district_count; d++) {
        const hb_district_conf_t *dc = &conf->districts[d];
        hb_pg_array_str(&a[P_DISTRICTS], dc->code);
        for (size_t k = 0; k < dc->community_count; k++) {
            hb_pg_array_str(&a[P_COMMUNITIES], dc->communities[k].code);
            for (size_t s = 0; s < dc->communities[k].station_count; s++)
                hb_pg_array_int(&a[P_STATIONS], dc->communities[k].stations[s].id);
        }
    }
    const char *p[] = {hb_pg_array_close(&a[P_DISTRICTS]), hb_pg_array_close(&a[P_COMMUNITIES]),
                       hb_pg_array_close(&a[P_STATIONS])};
    PGresult *r = NULL;
    int rc = run(pg, DROPPED_SQL, P_COUNT, p, &r, c->msg, c->msg_size);
    hb_pg_array_free(a, P_COUNT);
    for (int i = 0; rc == 0 && i < PQntuples(r); i++)
        report_dropped(c, r, i);
    PQclear(r);
    return rc;
}

static int
check_zones(PGconn *pg, check_t *c)
{
    const hb_central_conf_t *conf = c->conf;
    hb_pg_array_t a;
    hb_pg_array_open(&a);
    hb_pg_array_str(&a, conf->time_zone);
    for (size_t d = 0; d < conf->district_count; d++)
        if (conf->districts[d].time_zone[0])
            hb_pg_array_str(&a, conf->districts[d].time_zone);
    const char *p[] = {hb_pg_array_close(&a)};
    PGresult *r = NULL;
    int rc = run(pg, ZONES_SQL, 1, p, &r, c->msg, c->msg_size);
    hb_pg_array_free(&a, 1);
    for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
        const char *zone = PQgetvalue(r, i, 0);
        for (size_t d = 0; d < conf->district_count; d++) {
            const hb_district_conf_t *dc = &conf->districts[d];
            if (strcmp(hb_central_conf_time_zone(conf, dc), zone) == 0)
                refuse(c, dc->time_zone_at, "time zone \"%s\" of district \"%s\" is not known to the ledger"
                                            " database (pg_timezone_names)", zone, dc->code);
        }
    }
    PQclear(r);
    return rc;
}

int
hb_rules_check(PGconn *pg, const hb_central_conf_t *conf, char *msg, size_t msg_size)
{
    hb_assert(pg && conf && msg);
    check_t c = {conf, 0, msg, msg_size};
    if (check_dropped(pg, &c) != 0 || check_zones(pg, &c) != 0)
        return -1;
    if (c.refused > 1) {
        char first[HB_MESSAGE_BYTES_MAX * 2];
        snprintf(first, sizeof first, "%s", msg);
        snprintf(msg, msg_size, "%s (and %d more, logged)", first, c.refused - 1);
    }
    return c.refused ? 1 : 0;
}
