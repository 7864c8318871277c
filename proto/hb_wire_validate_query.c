/* hb_wire_validate_query.c - the validators of queries and their replies:
 * balance, statement, member, directory and rules. Called by
 * hb_wire__validate_body (hb_wire_validate.c). */
#include "hb_wire_int.h"
#include "hb_assert.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

/* ---- queries ---- */

int
hb_wire__validate_balance_query(hb_wire_error_t *err, const char *where, const Hourbank__BalanceQuery *q)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__BalanceQuery, member_no, TEXT_REQUIRED),
    };
    return CHECK_TEXTS(err, where, q, rules);
}

int
hb_wire__validate_balance_reply(hb_wire_error_t *err, const char *where, const Hourbank__BalanceReply *r)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__BalanceReply, member_no, TEXT_REQUIRED),
    };
    if (CHECK_TEXTS(err, where, r, rules) != 0 ||
        hb_wire__check_balance(err, where, "balance_minutes", r->balance_minutes) != 0 ||
        hb_wire__check_balance(err, where, "pending_minutes", r->pending_minutes) != 0 ||
        hb_wire__check_balance(err, where, "pending_in_minutes", r->pending_in_minutes) != 0 ||
        hb_wire__check_balance(err, where, "pending_out_minutes", r->pending_out_minutes) != 0)
        return -1;
    return hb_wire__check_time(err, where, "as_of", r->as_of);
}

int
hb_wire__validate_statement_query(hb_wire_error_t *err, const char *where, const Hourbank__StatementQuery *q)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__StatementQuery, member_no, TEXT_REQUIRED),
    };
    if (CHECK_TEXTS(err, where, q, rules) != 0 || hb_wire__check_u64(err, where, "limit", q->limit, 0, HB_PAGE_ENTRIES_MAX) != 0 ||
        hb_wire__check_u64(err, where, "before_id", q->before_id, 0, HB_ROW_ID_MAX) != 0 ||
        hb_wire__check_i64(err, where, "since", q->since, 0, HB_OCCURRED_AT_S_MAX, HB_RESULT_MALFORMED) != 0 ||
        hb_wire__check_i64(err, where, "from", q->from, 0, HB_OCCURRED_AT_S_MAX, HB_RESULT_MALFORMED) != 0 ||
        hb_wire__check_i64(err, where, "until", q->until, 0, HB_OCCURRED_AT_S_MAX, HB_RESULT_MALFORMED) != 0)
        return -1;
    if (q->since != 0 && q->from != 0 && q->since != q->from)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%ssince=%" PRId64 " and from=%" PRId64 " differ (since is from's "
                             "older name)", where, q->since, q->from);
    int64_t from = q->from ? q->from : q->since;
    if (q->until != 0 && q->until <= from)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%suntil=%" PRId64 " is not after from=%" PRId64, where, q->until,
                             from);
    return 0;
}

static int
check_optional_ref(hb_wire_error_t *err, const char *where, const char *name, const Hourbank__OpRef *ref)
{
    /* an all-zero OpRef means the same as an absent one */
    if (ref == NULL || (ref->station_id == 0 && ref->seq == 0))
        return 0;
    return hb_wire__check_op_ref(err, where, name, ref);
}

static int
validate_statement_entry(hb_wire_error_t *err, const char *where, const Hourbank__StatementEntry *e)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__StatementEntry, counterparty, HB_NAME_BYTES_MAX, TEXT_LINE),
        TEXT(Hourbank__StatementEntry, kind, HB_CATEGORY_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
        TEXT(Hourbank__StatementEntry, category, HB_CATEGORY_BYTES_MAX, TEXT_LINE),
        TEXT(Hourbank__StatementEntry, service_day, HB_DAY_TEXT_BYTES, TEXT_LINE),
        TEXT_CHARS(Hourbank__StatementEntry, counterparty_name, HB_NAME_CHARS_MAX, TEXT_LINE),
        TEXT(Hourbank__StatementEntry, role, HB_CATEGORY_BYTES_MAX, TEXT_LINE),
        TEXT(Hourbank__StatementEntry, paid_by, HB_MEMBER_NO_BYTES_MAX, TEXT_LINE),
        TEXT_CHARS(Hourbank__StatementEntry, note, HB_NOTE_CHARS_MAX, TEXT_NOTE),
        {"operator", offsetof(Hourbank__StatementEntry, operator_), HB_OPERATOR_BYTES_MAX, TEXT_LINE,
         HB_OPERATOR_CHARS_MAX},
    };
    if (hb_wire__check_u64(err, where, "transfer_id", e->transfer_id, 1, UINT64_MAX) != 0 ||
        hb_wire__check_time(err, where, "posted_at", e->posted_at) != 0 ||
        hb_wire__check_time(err, where, "occurred_at", e->occurred_at) != 0 ||
        hb_wire__check_balance(err, where, "minutes", e->minutes) != 0 ||
        hb_wire__check_balance(err, where, "balance_after", e->balance_after) != 0 ||
        CHECK_TEXTS(err, where, e, rules) != 0)
        return -1;
    /* minutes may be 0: care the guarantee paid moves nothing for the
     * recipient. An entry no station op caused has no op. */
    if (check_optional_ref(err, where, "op", e->op) != 0)
        return -1;
    return check_optional_ref(err, where, "voids", e->voids);
}

int
hb_wire__validate_statement_reply(hb_wire_error_t *err, const char *where, const Hourbank__StatementReply *r)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__StatementReply, member_no, TEXT_REQUIRED),
        TEXT_CHARS(Hourbank__StatementReply, member_name, HB_NAME_CHARS_MAX, TEXT_LINE),
    };
    if (CHECK_TEXTS(err, where, r, rules) != 0 ||
        hb_wire__check_count(err, where, "entries", r->n_entries, 0, HB_STATEMENT_ENTRIES_MAX) != 0 ||
        hb_wire__check_balance(err, where, "opening_minutes", r->opening_minutes) != 0 ||
        hb_wire__check_balance(err, where, "closing_minutes", r->closing_minutes) != 0 ||
        hb_wire__check_i64(err, where, "in_minutes", r->in_minutes, 0, INT64_MAX, HB_RESULT_MALFORMED) != 0 ||
        hb_wire__check_i64(err, where, "out_minutes", r->out_minutes, 0, INT64_MAX, HB_RESULT_MALFORMED) != 0 ||
        hb_wire__check_time(err, where, "as_of", r->as_of) != 0)
        return -1;
    for (size_t i = 0; i < r->n_entries; i++) {
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%sentries[%zu].", where, i);
        if (r->entries[i] == NULL)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sentries[%zu] is missing", where, i);
        if (validate_statement_entry(err, sub, r->entries[i]) != 0)
            return -1;
    }
    return 0;
}

/* Exactly one of member_no (exact lookup) and text (name substring). */
int
hb_wire__validate_member_query(hb_wire_error_t *err, const char *where, const Hourbank__MemberQuery *q)
{
    static const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__MemberQuery, member_no, 0),
        TEXT(Hourbank__MemberQuery, text, HB_SEARCH_BYTES_MAX, TEXT_LINE),
    };
    bool by_number = hb_wire__text_at(q, offsetof(Hourbank__MemberQuery, member_no))[0] != '\0';
    bool by_text = hb_wire__text_at(q, offsetof(Hourbank__MemberQuery, text))[0] != '\0';
    if (by_number == by_text)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sexactly one of member_no and text must be given (%s)", where,
                    by_number ? "both are" : "neither is");
    return CHECK_TEXTS(err, where, q, rules);
}

/* A member's later numbers: each a member number, at most
 * HB_MEMBER_NUMBERS_MAX - 1 of them (the first is member_no). */
static int
validate_numbers(hb_wire_error_t *err, const char *where, const Hourbank__Member *m)
{
    static const text_rule_t rule = {"numbers", 0, HB_MEMBER_NO_BYTES_MAX, TEXT_MEMBER_NO | TEXT_REQUIRED, 0};
    if (hb_wire__check_count(err, where, "numbers", m->n_numbers, 0, HB_MEMBER_NUMBERS_MAX - 1) != 0)
        return -1;
    for (size_t i = 0; i < m->n_numbers; i++)
        if (hb_wire__check_text(err, where, &rule, m->numbers[i]) != 0)
            return -1;
    return 0;
}

static int
validate_member(hb_wire_error_t *err, const char *where, const Hourbank__Member *m)
{
    /* a member who left has no name any more (erased) */
    const text_rule_t rules[] = {
        MEMBER_NO(Hourbank__Member, member_no, TEXT_REQUIRED),
        TEXT_CHARS(Hourbank__Member, name, HB_NAME_CHARS_MAX, TEXT_LINE | (m->left ? 0 : TEXT_REQUIRED)),
        MEMBER_NO(Hourbank__Member, family_of, 0),
        TEXT(Hourbank__Member, community, HB_COMMUNITY_CODE_BYTES_MAX, TEXT_LINE),
    };
    if (CHECK_TEXTS(err, where, m, rules) != 0 || hb_wire__check_role(err, where, m->role) != 0 ||
        hb_wire__check_birth_year(err, where, m->birth_year) != 0 ||
        hb_wire__check_family_links(err, where, "family", m->family, m->n_family) != 0 ||
        validate_numbers(err, where, m) != 0)
        return -1;
    return hb_wire__check_balance(err, where, "balance_minutes", m->balance_minutes);
}

static int
validate_members(hb_wire_error_t *err, const char *where, Hourbank__Member *const *members, size_t n, size_t max)
{
    if (hb_wire__check_count(err, where, "members", n, 0, max) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char sub[WHERE_BYTES];
        hb_wire__where_format(sub, sizeof sub, "%smembers[%zu].", where, i);
        if (members[i] == NULL)
            return hb_wire__fail(err, HB_RESULT_MALFORMED, "%smembers[%zu] is missing", where, i);
        if (validate_member(err, sub, members[i]) != 0)
            return -1;
    }
    return 0;
}

int
hb_wire__validate_member_reply(hb_wire_error_t *err, const char *where, const Hourbank__MemberReply *r)
{
    return validate_members(err, where, r->members, r->n_members, HB_SEARCH_RESULTS_MAX);
}

int
hb_wire__validate_directory_query(hb_wire_error_t *err, const char *where, const Hourbank__DirectoryQuery *q)
{
    if (hb_wire__check_u64(err, where, "since_version", q->since_version, 0, HB_ROW_ID_MAX) != 0)
        return -1;
    return hb_wire__check_u64(err, where, "limit", q->limit, 0, HB_PAGE_ENTRIES_MAX);
}

int
hb_wire__validate_directory_reply(hb_wire_error_t *err, const char *where, const Hourbank__DirectoryReply *r)
{
    return validate_members(err, where, r->members, r->n_members, HB_PAGE_ENTRIES_MAX);
}


/* ---- rules ---- */

static int
validate_district_rules(hb_wire_error_t *err, const char *where, const Hourbank__DistrictRules *d)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__DistrictRules, district, HB_COMMUNITY_CODE_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
        TEXT_CHARS(Hourbank__DistrictRules, name, HB_NAME_CHARS_MAX, TEXT_LINE),
    };
    const char *gifts = hb_wire__text_at(d, offsetof(Hourbank__DistrictRules, gifts));
    if (CHECK_TEXTS(err, where, d, rules) != 0 ||
        hb_wire__check_zone(err, where, "time_zone", hb_wire__text_at(d, offsetof(Hourbank__DistrictRules, time_zone))) != 0 ||
        hb_wire__check_i64(err, where, "floor_minutes", d->floor_minutes, -HB_ACCOUNT_MINUTES_MAX, 0,
                           HB_RESULT_MALFORMED) != 0 ||
        hb_wire__check_i64(err, where, "cap_minutes", d->cap_minutes, 1, HB_ACCOUNT_MINUTES_MAX, HB_RESULT_MALFORMED) != 0 ||
        hb_wire__check_i64(err, where, "daily_limit_minutes", d->daily_limit_minutes, 1, HB_ACCOUNT_MINUTES_MAX,
                           HB_RESULT_MALFORMED) != 0)
        return -1;
    if (strcmp(gifts, "none") != 0 && strcmp(gifts, "family") != 0 && strcmp(gifts, "any") != 0)
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sgifts is not \"none\", \"family\" or \"any\"", where);
    const char *leaver = hb_wire__text_at(d, offsetof(Hourbank__DistrictRules, leaver_hours));
    if (leaver[0] && strcmp(leaver, "pool") != 0 && strcmp(leaver, "family") != 0)  /* "": an older central */
        return hb_wire__fail(err, HB_RESULT_MALFORMED, "%sleaver_hours is not \"pool\" or \"family\"", where);
    return 0;
}

static int
validate_payer_rule(hb_wire_error_t *err, const char *where, const Hourbank__PayerRule *p)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__PayerRule, district, HB_COMMUNITY_CODE_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
        TEXT(Hourbank__PayerRule, category, HB_CATEGORY_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
    };
    if (CHECK_TEXTS(err, where, p, rules) != 0)
        return -1;
    return hb_wire__check_u64(err, where, "min_age", p->min_age, 0, HB_RECIPIENT_AGE_YEARS_MAX);
}

static int
validate_community(hb_wire_error_t *err, const char *where, const Hourbank__CommunityInfo *c)
{
    static const text_rule_t rules[] = {
        TEXT(Hourbank__CommunityInfo, code, HB_COMMUNITY_CODE_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
        TEXT(Hourbank__CommunityInfo, district, HB_COMMUNITY_CODE_BYTES_MAX, TEXT_LINE | TEXT_REQUIRED),
        TEXT_CHARS(Hourbank__CommunityInfo, name, HB_NAME_CHARS_MAX, TEXT_LINE),
    };
    return CHECK_TEXTS(err, where, c, rules);
}

/* Each list's items, by the validator of one item. */
#define VALIDATE_ITEMS(err, where, name, items, n, max, validate)                                     \
    do {                                                                                            \
        if (hb_wire__check_count((err), (where), name, (n), 0, (max)) != 0)                         \
            return -1;                                                                              \
        for (size_t i_ = 0; i_ < (n); i_++) {                                                       \
            char sub_[WHERE_BYTES];                                                                 \
            hb_wire__where_format(sub_, sizeof sub_, "%s%s[%zu].", (where), name, i_);              \
            if ((items)[i_] == NULL)                                                                \
                return hb_wire__fail((err), HB_RESULT_MALFORMED, "%s%s[%zu] is missing", (where), name, i_); \
            if (validate((err), sub_, (items)[i_]) != 0)                                            \
                return -1;                                                                          \
        }                                                                                           \
    } while (0)

int
hb_wire__validate_rules_reply(hb_wire_error_t *err, const char *where, const Hourbank__RulesReply *r)
{
    static const text_rule_t rules[] = {
        TEXT_CHARS(Hourbank__RulesReply, station_name, HB_NAME_CHARS_MAX, TEXT_LINE),
        TEXT(Hourbank__RulesReply, community, HB_COMMUNITY_CODE_BYTES_MAX, TEXT_LINE),
    };
    if (CHECK_TEXTS(err, where, r, rules) != 0 ||
        hb_wire__check_u64(err, where, "station_id", r->station_id, 0, HB_STATION_ID_MAX) != 0 ||
        hb_wire__check_i64(err, where, "clock_skew_seconds", r->clock_skew_seconds, 0, HB_OCCURRED_AT_S_MAX,
                           HB_RESULT_MALFORMED) != 0 ||
        hb_wire__check_i64(err, where, "max_record_age_seconds", r->max_record_age_seconds, 0, HB_OCCURRED_AT_S_MAX,
                           HB_RESULT_MALFORMED) != 0 ||
        hb_wire__check_i64(err, where, "guarantee_budget_minutes", r->guarantee_budget_minutes, 0,
                           HB_ACCOUNT_MINUTES_MAX, HB_RESULT_MALFORMED) != 0 ||
        hb_wire__check_balance(err, where, "guarantee_left_minutes", r->guarantee_left_minutes) != 0 ||
        hb_wire__check_time(err, where, "as_of", r->as_of) != 0)
        return -1;
    VALIDATE_ITEMS(err, where, "districts", r->districts, r->n_districts, HB_DISTRICTS_MAX, validate_district_rules);
    VALIDATE_ITEMS(err, where, "payer_rules", r->payer_rules, r->n_payer_rules, HB_PAYER_RULES_TOTAL_MAX,
                   validate_payer_rule);
    VALIDATE_ITEMS(err, where, "communities", r->communities, r->n_communities, HB_COMMUNITIES_MAX,
                   validate_community);
    return 0;
}
