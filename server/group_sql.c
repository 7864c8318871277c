/* group_sql.c - the SQL text of one group commit: the statements its two
 * pipelines send (prepared once per connection) and the COPY commands of
 * its new rows. The code that sends them is in group.c. */
#include "group.h"
#include "group_sql.h"

#include <stdio.h>

#include "hb_assert.h"
#include "hb_limits.h"


#define OP_KEYS "(SELECT DISTINCT s, q FROM unnest($1::integer[], $2::bigint[]) k(s, q)) k"
#define VOID_KEYS "unnest($2::integer[], $3::bigint[]) k(s, q)"
#define NEWEST_VERSION "(SELECT max(version) FROM rules_version)"
/* HB_RECONCILE_BUCKET_OPS as SQL text (migration 0015's hb_reconcile_bucket_ops()
 * says the same; itest_central_reconcile checks it) */
#define SQL_NUMBER_(n) #n
#define SQL_NUMBER(n) SQL_NUMBER_(n)
#define BUCKET_OPS SQL_NUMBER(HB_RECONCILE_BUCKET_OPS)
#define NEXT_ID(seq) "(SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM " seq ")"

const hb_group_statement_t hb_group_statements[S_COUNT] = {
    [S_BEGIN] = {"g_begin", 0, "BEGIN"},
    [S_HW] = {"g_hw", 1, "SELECT s, coalesce((SELECT max(seq) FROM op WHERE station_id = s), 0)"
                         " FROM unnest($1::integer[]) s"},
    [S_VERSION] = {"g_version", 0,
                   "SELECT version, clock_skew_s, max_age_s, guarantee_budget,"
                   " (extract(epoch FROM now()) * 1000000)::bigint, "
                   NEXT_ID("account_id_seq") ", " NEXT_ID("transfer_id_seq")
                   " FROM rules_version ORDER BY version DESC LIMIT 1"},
    [S_DRULES] = {"g_drules", 0, "SELECT district, floor, cap, overflow, daily_limit, gifts, time_zone,"
                                 " leaver_hours = 'family'"
                                 " FROM district_rule WHERE version = " NEWEST_VERSION},
    [S_PRULES] = {"g_prules", 0, "SELECT district, category, payer, min_age, position FROM payer_rule"
                                 " WHERE version = " NEWEST_VERSION " ORDER BY district, position"},
    [S_CATEGORIES] = {"g_categories", 0, "SELECT name FROM category WHERE version = " NEWEST_VERSION},
    [S_STATIONS] = {"g_stations", 1, "SELECT s.id, s.community, c.district, s.serial_min, s.serial_max"
                                     " FROM station s JOIN community c ON c.code = s.community"
                                     " WHERE s.id = ANY ($1::integer[])"},
    /* every account the group can move, locked in id order */
    [S_ACCOUNTS] = {"g_accounts", 4,
                    "SELECT a.id, a.kind, a.district, a.debits, a.credits, a.version FROM account a"
                    " WHERE a.id = ANY (ARRAY(SELECT 1::bigint UNION ALL SELECT 2 UNION ALL SELECT 3"
                    " UNION ALL SELECT unnest($4::bigint[])"
                    " UNION ALL SELECT account_id FROM member WHERE member_no = ANY ($1::text[])"
                    " UNION ALL SELECT m.account_id FROM member_alias x JOIN member m ON m.member_no = x.member_no"
                    "  WHERE x.alias_no = ANY ($1::text[])"
                    " UNION ALL SELECT unnest(ARRAY[t.debit_account, t.credit_account]) FROM " VOID_KEYS
                    "  CROSS JOIN LATERAL (SELECT * FROM transfer WHERE station_id = k.s AND seq = k.q OFFSET 0) t))"
                    " ORDER BY a.id FOR UPDATE"},
    /* with the profile in force: its birth year and family links ("A,B");
     * each number as asked (a first number or a later one, migration 0014)
     * with the member it names; a member who has left has no profile */
    [S_MEMBERS] = {"g_members", 1, "SELECT m.member_no, m.community, c.district, m.account_id,"
                                   " coalesce(p.birth_year, 0), coalesce((SELECT string_agg(f.relative, ','"
                                   "  ORDER BY f.relative) FROM family_link f"
                                   "  WHERE f.member_no = m.member_no AND f.profile_version = p.version), ''),"
                                   " m.left_at IS NOT NULL, k.n"
                                   " FROM unnest($1::text[]) k(n)"
                                   " JOIN member m ON m.member_no = coalesce((SELECT x.member_no FROM member_alias x"
                                   "  WHERE x.alias_no = k.n), k.n)"
                                   " JOIN community c ON c.code = m.community"
                                   " LEFT JOIN LATERAL (SELECT q.version, q.birth_year FROM member_profile q"
                                   "  WHERE q.member_no = m.member_no ORDER BY q.version DESC LIMIT 1) p ON true"},
    [S_COMMUNITIES] = {"g_communities", 1, "SELECT code, district FROM community WHERE code = ANY ($1::text[])"},
    /* LATERAL with LIMIT/OFFSET (which keeps the subquery from being pulled
     * up into a join): one index probe per key. As a join, the generic plan
     * made when the ledger was small hashes the keys and scans all of op. */
    [S_OPS] = {"g_ops", 2, "SELECT o.station_id, o.seq, encode(o.payload_hash, 'hex'), o.kind, o.result,"
                           " o.message, coalesce(o.transfer_id, 0), o.params, EXISTS (SELECT 1 FROM void_link v"
                           "  WHERE v.target_station = o.station_id AND v.target_seq = o.seq),"
                           " coalesce(o.posted_day::text, '')"
                           " FROM " OP_KEYS " CROSS JOIN LATERAL"
                           " (SELECT * FROM op WHERE station_id = k.s AND seq = k.q LIMIT 1) o"},
    /* with the local day (start, end) of each transfer in the zone of its
     * credited member's district (a service's provider) in force; NULL
     * when there is none */
    [S_XFERS] = {"g_xfers", 2, "SELECT t.station_id, t.seq, t.id, t.debit_account, t.credit_account, t.minutes,"
                               " t.kind, t.category,"
                               " extract(epoch FROM hb_local_day_start(t.occurred_at, z.tz))::bigint,"
                               " extract(epoch FROM hb_local_day_end(t.occurred_at, z.tz))::bigint,"
                               " (SELECT member_no FROM member WHERE account_id = t.debit_account),"
                               " (SELECT member_no FROM member WHERE account_id = t.credit_account)"
                               " FROM " OP_KEYS " CROSS JOIN LATERAL"
                               " (SELECT * FROM transfer WHERE station_id = k.s AND seq = k.q OFFSET 0) t"
                               " LEFT JOIN LATERAL (SELECT r.time_zone AS tz FROM member m"
                               "  JOIN community c ON c.code = m.community"
                               "  JOIN district_rule r ON r.district = c.district AND r.version = " NEWEST_VERSION
                               "  WHERE m.account_id = t.credit_account) z ON true"
                               " ORDER BY t.station_id, t.seq, t.id"},
    /* each op's local day in every zone in force (migration 0010's functions) */
    [S_LOCAL_DAYS] = {"g_local_days", 1,
                      "SELECT u.a, z.tz, (to_timestamp(u.a) AT TIME ZONE z.tz)::date::text,"
                      " extract(epoch FROM hb_local_day_start(to_timestamp(u.a), z.tz))::bigint,"
                      " extract(epoch FROM hb_local_day_end(to_timestamp(u.a), z.tz))::bigint,"
                      " extract(year FROM to_timestamp(u.a) AT TIME ZONE z.tz)::integer"
                      " FROM (SELECT a FROM unnest($1::bigint[]) a"
                      "  UNION SELECT floor(extract(epoch FROM now()))::bigint) u"
                      " CROSS JOIN (SELECT DISTINCT time_zone AS tz FROM district_rule"
                      "  WHERE version = " NEWEST_VERSION ") z"},
    /* the lowest-seq refused registration of each (station, number) an op
     * names; as a join, so that the usual empty or tiny table costs nothing */
    [S_REFUSED] = {"g_refused", 2, "SELECT DISTINCT ON (r.station_id, r.member_no) r.station_id, r.member_no,"
                                   " r.seq, r.result FROM unnest($1::integer[], $2::text[]) k(s, n)"
                                   " JOIN refused_registration r ON r.station_id = k.s AND r.member_no = k.n"
                                   " ORDER BY r.station_id, r.member_no, r.seq"},
    /* the accepted opening balances of the members of the group's opening ops */
    [S_OPENINGS] = {"g_openings", 1, "SELECT o.member, o.station_id, o.seq FROM op o"
                                     " WHERE o.kind = 'opening' AND o.result = 1"
                                     "  AND o.member = ANY (ARRAY(SELECT hb_canonical(n) FROM unnest($1::text[]) n))"},
    /* minutes served by each (account, local day [start, end)) the cache cannot give */
    [S_DAYS] = {"g_days", 3, "SELECT k.a, k.d, (SELECT coalesce(sum(t.minutes), 0)::bigint FROM transfer t"
                             "   WHERE t.kind = 'service' AND t.credit_account = k.a"
                             "     AND t.occurred_at >= to_timestamp(k.d)"
                             "     AND t.occurred_at < to_timestamp(k.e)"
                             "     AND NOT EXISTS (SELECT 1 FROM void_link vl"
                             "                      WHERE vl.target_station = t.station_id AND vl.target_seq = t.seq))"
                             " FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) k(a, d, e)"},
    [S_SETVAL_ACCOUNT] = {"g_setval_account", 1, "SELECT setval('account_id_seq', $1::bigint)"},
    [S_SETVAL_TRANSFER] = {"g_setval_transfer", 1, "SELECT setval('transfer_id_seq', $1::bigint)"},
    [S_NEW_ACCOUNTS] = {"g_new_accounts", 4,
                        "INSERT INTO account (id, kind, district, debits, credits)"
                        " SELECT id, 'member', d, db, cr"
                        " FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[]) u(id, d, db, cr)"
                        " RETURNING id, version"},
    /* each new member, its first profile and its family link */
    [S_NEW_MEMBERS] = {"g_new_members", 11,
                       "WITH n AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[],"
                       "  $5::smallint[], $6::integer[], $7::text[], $8::integer[], $9::bigint[], $10::text[],"
                       "  $11::text[]) u(no, comm, acct, name, role, birth, family, st, seq, phone, relation)),"
                       " m AS (INSERT INTO member (member_no, community, account_id, role, station_id, seq)"
                       "  SELECT no, comm, acct, role, st, seq FROM n),"
                       " p AS (INSERT INTO member_profile (member_no, version, name, birth_year, phone, station_id, seq)"
                       "  SELECT no, 1, name, birth, phone, st, seq FROM n)"
                       " INSERT INTO family_link (member_no, profile_version, relative, relation)"
                       " SELECT no, 1, family, coalesce(relation, '') FROM n WHERE family IS NOT NULL"},
    [S_NEW_VOIDS] = {"g_new_voids", 4, "INSERT INTO void_link (target_station, target_seq, void_station, void_seq)"
                                       " SELECT * FROM unnest($1::integer[], $2::bigint[], $3::integer[], $4::bigint[])"},
    [S_NEW_REFUSED] = {"g_new_refused", 4,
                       "INSERT INTO refused_registration (station_id, member_no, seq, result)"
                       " SELECT * FROM unnest($1::integer[], $2::text[], $3::bigint[], $4::integer[])"
                       " ON CONFLICT DO NOTHING"},
    /* amend, move and leave: the people tables, in posting order (migration 0014) */
    [S_LIFE] = {"g_life", 15, "SELECT hb_life_apply($1::text[], $2::text[], $3::integer[], $4::bigint[],"
                              " $5::text[], $6::integer[], $7::text[], $8::boolean[], $9::text[], $10::text[],"
                              " $11::integer[], $12::text[], $13::text[], $14::integer[], $15::text[])"},
    [S_BALANCES] = {"g_balances", 3,
                    "UPDATE account a SET debits = a.debits + u.d, credits = a.credits + u.c,"
                    " version = nextval('directory_version')"
                    " FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) u(id, d, c) WHERE a.id = u.id"
                    " RETURNING a.id, a.version"},
    /* reconcile_bucket (migration 0015): each (station, bucket) asked,
     * sealed from its rows as they are in this transaction */
    [S_SEAL] = {"g_seal", 2,
                "INSERT INTO reconcile_bucket (station_id, bucket, accepted, rejected, digest, sealed_at)"
                " SELECT k.s, k.b, f.accepted, f.rejected, f.digest, now()"
                " FROM (SELECT DISTINCT s, b FROM unnest($1::integer[], $2::bigint[]) u(s, b)) k"
                " CROSS JOIN LATERAL hb_reconcile_figures(k.s, k.b * " BUCKET_OPS " + 1, (k.b + 1) * " BUCKET_OPS ") f"
                " ON CONFLICT (station_id, bucket) DO UPDATE SET accepted = EXCLUDED.accepted,"
                " rejected = EXCLUDED.rejected, digest = EXCLUDED.digest, sealed_at = EXCLUDED.sealed_at"},
    [S_COMMIT] = {"g_commit", 0, "COMMIT"},
};

int
hb_group_prepare(PGconn *pg, char *msg, size_t msg_size)
{
    hb_assert(pg);
    for (int i = 0; i < S_COUNT; i++) {
        const hb_group_statement_t *s = &hb_group_statements[i];
        hb_assert(s->name && s->n_params <= HB_GROUP_PARAMS_MAX);
        PGresult *r = PQprepare(pg, s->name, s->sql, s->n_params, NULL);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            snprintf(msg, msg_size, "could not prepare statement \"%s\": %s", s->name, PQresultErrorMessage(r));
        PQclear(r);
        if (!ok)
            return -1;
    }
    return 0;
}

const char hb_group_copy_ops_sql[] =
    "COPY op (station_id, seq, payload_hash, kind, result, params, transfer_id, occurred_at, operator, member,"
    " counterpart, minutes, category, note, target_station, target_seq, rules_version, payer, payer_rule,"
    " member_district, counterpart_district, payer_district, service_day, posted_day) FROM STDIN";
const char hb_group_copy_xfers_sql[] =
    "COPY transfer (id, debit_account, credit_account, minutes, kind, category, station_id, seq, occurred_at,"
    " reverses, note, rules_version) FROM STDIN";
