/* test_wire.c - packing, unpacking and validating envelopes; hb_result_t. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_memberno.h"
#include "hb_result.h"
#include "hb_wire.h"

#define OPS_CAP (HB_BATCH_OPS_MAX + 1)
#define PAGE_CAP (HB_PAGE_ENTRIES_MAX + 1)
#define TEXT_CAP (HB_NOTE_BYTES_MAX * 2)
/* U+674E, a Chinese character: three bytes of UTF-8. */
#define LI "\xE6\x9D\x8E"
#define CATEGORY_CAP (HB_CATEGORIES_MAX + 1)
#define STATION_CAP (HB_STATIONS_MAX + 1)
#define FUZZ_RUNS 10000
#define FUZZ_BYTES_MAX 512
#define FUZZ_SEED UINT64_C(0x9E3779B97F4A7C15)
#define TIME_2024 INT64_C(1704067200)

/* Every message object a test may need, valid by default. */
typedef struct {
    char alice[HB_MEMBER_NO_BUF_BYTES], bob[HB_MEMBER_NO_BUF_BYTES], carol[HB_MEMBER_NO_BUF_BYTES];
    char text[TEXT_CAP];  /* scratch string for limit tests */
    Hourbank__Envelope env;
    Hourbank__Hello hello;
    Hourbank__Welcome welcome;
    Hourbank__Batch batch;
    Hourbank__Op ops[OPS_CAP];
    Hourbank__Op *op_ptrs[OPS_CAP];
    Hourbank__RegisterMember reg;
    Hourbank__ServiceRecord service;
    Hourbank__Gift gift;
    Hourbank__Void void_op;
    Hourbank__OpRef void_target;
    Hourbank__BatchAck ack;
    Hourbank__OpResult results[OPS_CAP];
    Hourbank__OpResult *result_ptrs[OPS_CAP];
    Hourbank__BalanceQuery balance_query;
    Hourbank__BalanceReply balance_reply;
    Hourbank__StatementQuery statement_query;
    Hourbank__StatementReply statement_reply;
    Hourbank__StatementEntry entries[PAGE_CAP];
    Hourbank__StatementEntry *entry_ptrs[PAGE_CAP];
    Hourbank__OpRef entry_ref;
    Hourbank__MemberQuery member_query;
    Hourbank__Member members[PAGE_CAP];
    Hourbank__Member *member_ptrs[PAGE_CAP];
    Hourbank__MemberReply member_reply;
    Hourbank__DirectoryQuery directory_query;
    Hourbank__DirectoryReply directory_reply;
    Hourbank__ErrorReply error;
    Hourbank__SaveRequest save;
    Hourbank__Op save_op;
    Hourbank__RegisterMember save_reg;
    Hourbank__SaveReply save_reply;
    Hourbank__QueueQuery queue_query;
    Hourbank__QueueReply queue_reply;
    Hourbank__QueuedOp queued[PAGE_CAP];
    Hourbank__QueuedOp *queued_ptrs[PAGE_CAP];
    Hourbank__DismissRequest dismiss;
    Hourbank__CategoriesQuery categories_query;
    Hourbank__CategoriesReply categories_reply;
    Hourbank__Category categories[CATEGORY_CAP];
    Hourbank__Category *category_ptrs[CATEGORY_CAP];
    Hourbank__StationsQuery stations_query;
    Hourbank__StationsReply stations_reply;
    Hourbank__StationInfo stations[STATION_CAP];
    Hourbank__StationInfo *station_ptrs[STATION_CAP];
    Hourbank__VerifyQuery verify_query;
    Hourbank__VerifyReply verify_reply;
    char *problems[PAGE_CAP];
    Hourbank__TimeZoneQuery time_zone_query;
    Hourbank__TimeZoneReply time_zone_reply;
    Hourbank__OperatorRequest operator_request;
    Hourbank__OperatorsReply operators_reply;
    Hourbank__Operator operators[2];
    Hourbank__Operator *operator_ptrs[2];
    Hourbank__RulesQuery rules_query;
    Hourbank__RulesReply rules_reply;
    Hourbank__DistrictRules district;
    Hourbank__DistrictRules *district_ptrs[1];
    Hourbank__PayerRule payer_rules[2];
    Hourbank__PayerRule *payer_rule_ptrs[2];
    Hourbank__CommunityInfo community;
    Hourbank__CommunityInfo *community_ptrs[1];
    Hourbank__ImportRequest import_request;
    Hourbank__ImportRow import_rows[2];
    Hourbank__ImportRow *import_row_ptrs[2];
    Hourbank__SaveRequest import_saves[2];
    Hourbank__Op import_ops[2];
    Hourbank__RegisterMember import_reg;
    Hourbank__OpeningBalance import_opening;
    Hourbank__ImportReply import_reply;
    Hourbank__ImportResult import_results[2];
    Hourbank__ImportResult *import_result_ptrs[2];
    Hourbank__ReconcileQuery reconcile_query;
    Hourbank__ReconcileReply reconcile_reply;
    Hourbank__ReconcileRange reconcile_ranges[2];
    Hourbank__ReconcileRange *reconcile_range_ptrs[2];
    Hourbank__ReconcileOp reconcile_op;
    Hourbank__ReconcileOp *reconcile_op_ptrs[1];
    uint8_t reconcile_hash[32];
    Hourbank__ReconcileRequest reconcile_request;
    Hourbank__ReconcileReport reconcile_report;
    Hourbank__ReconcileDiff reconcile_diff;
    Hourbank__ReconcileDiff *reconcile_diff_ptrs[1];
} sample_t;

/* ---- building samples ---- */

/* n service ops with seqs first, first+1, ... */
static void
set_service_ops(sample_t *s, size_t n, uint64_t first)
{
    assert_true(n <= OPS_CAP);
    for (size_t i = 0; i < n; i++) {
        hourbank__op__init(&s->ops[i]);
        s->ops[i].seq = first + i;
        s->ops[i].occurred_at = TIME_2024;
        s->ops[i].kind_case = HOURBANK__OP__KIND_SERVICE;
        s->ops[i].service = &s->service;
        s->op_ptrs[i] = &s->ops[i];
    }
    s->batch.n_ops = n;
}

/* One op of each kind, seqs 1..4. */
static void
set_mixed_ops(sample_t *s)
{
    set_service_ops(s, 4, 1);
    s->ops[0].kind_case = HOURBANK__OP__KIND_REGISTER_MEMBER;
    s->ops[0].register_member = &s->reg;
    s->ops[2].kind_case = HOURBANK__OP__KIND_GIFT;
    s->ops[2].gift = &s->gift;
    s->ops[3].kind_case = HOURBANK__OP__KIND_VOID_OP;
    s->ops[3].void_op = &s->void_op;
}

static void
set_results(sample_t *s, size_t n, uint64_t first)
{
    assert_true(n <= OPS_CAP);
    for (size_t i = 0; i < n; i++) {
        hourbank__op_result__init(&s->results[i]);
        s->results[i].seq = first + i;
        s->results[i].result = HOURBANK__RESULT__OK;
        s->results[i].transfer_id = 1000 + i;
        s->result_ptrs[i] = &s->results[i];
    }
    s->ack.n_results = n;
}

static void
set_members(sample_t *s, size_t n)
{
    assert_true(n <= PAGE_CAP);
    for (size_t i = 0; i < n; i++) {
        Hourbank__Member *m = &s->members[i];
        hourbank__member__init(m);
        m->member_no = i % 2 ? s->alice : s->bob;
        m->name = "Wang Xiuying";
        m->role = HOURBANK__ROLE__BOTH;
        m->birth_year = 1958;
        m->family_of = i % 2 ? s->carol : "";
        m->balance_minutes = 90;
        m->version = 7 + i;
        s->member_ptrs[i] = m;
    }
    s->member_reply.n_members = n;
    s->directory_reply.n_members = n;
}

static void
set_entries(sample_t *s, size_t n)
{
    assert_true(n <= PAGE_CAP);
    for (size_t i = 0; i < n; i++) {
        Hourbank__StatementEntry *e = &s->entries[i];
        hourbank__statement_entry__init(e);
        e->transfer_id = 500 - i;
        e->posted_at = TIME_2024 + 60;
        e->occurred_at = TIME_2024;
        e->minutes = i % 2 ? -30 : 90;
        e->counterparty = s->bob;
        e->kind = "service";
        e->category = "meal-delivery";
        e->op = &s->entry_ref;
        s->entry_ptrs[i] = e;
    }
    s->statement_reply.n_entries = n;
}

static void
set_queued(sample_t *s, size_t n)
{
    assert_true(n <= PAGE_CAP);
    for (size_t i = 0; i < n; i++) {
        Hourbank__QueuedOp *q = &s->queued[i];
        hourbank__queued_op__init(q);
        q->seq = 40 + i;
        q->kind = "service";
        q->summary = "90 min meal-delivery\nfor Wang";
        q->saved_at = TIME_2024;
        q->result = i % 2 ? HOURBANK__RESULT__INSUFFICIENT_BALANCE : HOURBANK__RESULT__RESULT_UNSET;
        q->message = i % 2 ? "the payer does not hold enough hours" : "";
        s->queued_ptrs[i] = q;
    }
    s->queue_reply.n_ops = n;
}

static void
set_categories(sample_t *s, size_t n)
{
    assert_true(n <= CATEGORY_CAP);
    for (size_t i = 0; i < n; i++) {
        hourbank__category__init(&s->categories[i]);
        s->categories[i].name = i % 2 ? "companionship" : "meal-delivery";
        s->categories[i].description = i % 2 ? "visits\tand conversation" : "";
        s->category_ptrs[i] = &s->categories[i];
    }
    s->categories_reply.n_categories = n;
}

static void
set_stations(sample_t *s, size_t n)
{
    assert_true(n <= STATION_CAP);
    for (size_t i = 0; i < n; i++) {
        Hourbank__StationInfo *st = &s->stations[i];
        hourbank__station_info__init(st);
        st->station_id = 1 + (uint32_t) i;
        st->name = i % 2 ? "" : "Qingxi one";
        st->community = "QX03";
        st->last_contact = i % 2 ? 0 : TIME_2024;
        st->high_water_mark = 40 + i;
        st->active = i % 3 != 2;
        st->ops_accepted = 38;
        st->ops_rejected = 2;
        s->station_ptrs[i] = st;
    }
    s->stations_reply.n_stations = n;
}

/* n problems; ok follows (no problems = ok). */
static void
set_problems(sample_t *s, size_t n)
{
    assert_true(n <= PAGE_CAP);
    for (size_t i = 0; i < n; i++)
        s->problems[i] = i % 2 ? "sum of balances is 5, not 0" : "op 1:7 result OK but no transfer";
    s->verify_reply.n_problems = n;
    s->verify_reply.ok = n == 0;
}

static void
init_ops(sample_t *s)
{
    hourbank__register_member__init(&s->reg);
    s->reg.member_no = s->carol;
    s->reg.name = "Li Wei";
    s->reg.role = HOURBANK__ROLE__VOLUNTEER;
    s->reg.birth_year = 1961;
    s->reg.family_of = s->alice;
    hourbank__service_record__init(&s->service);
    s->service.provider = s->alice;
    s->service.recipient = s->bob;
    s->service.minutes = 90;
    s->service.category = "meal-delivery";
    s->service.note = "lunch and a walk";
    hourbank__gift__init(&s->gift);
    s->gift.from_member = s->alice;
    s->gift.to_member = s->carol;
    s->gift.minutes = 600;
    s->gift.reason = "for my mother";
    hourbank__op_ref__init(&s->void_target);
    s->void_target.station_id = 3;
    s->void_target.seq = 2;
    hourbank__void__init(&s->void_op);
    s->void_op.target = &s->void_target;
    s->void_op.reason = "wrong recipient";
    hourbank__batch__init(&s->batch);
    s->batch.ops = s->op_ptrs;
    set_mixed_ops(s);
    hourbank__save_request__init(&s->save);
    hourbank__op__init(&s->save_op);
    s->save.op = &s->save_op;
    s->save_op.occurred_at = TIME_2024;
    s->save_op.kind_case = HOURBANK__OP__KIND_REGISTER_MEMBER;
    s->save_op.register_member = &s->save_reg;
    hourbank__register_member__init(&s->save_reg);
    s->save_reg.name = "Zhao Min";
    s->save_reg.role = HOURBANK__ROLE__ELDER;
}

static void
init_link_messages(sample_t *s)
{
    hourbank__hello__init(&s->hello);
    s->hello.station_id = 3;
    s->hello.last_acked_seq = 41;
    s->hello.software = "hourbank-station 0.1.0";
    hourbank__welcome__init(&s->welcome);
    s->welcome.high_water_mark = 41;
    s->welcome.server_time = TIME_2024;
    s->welcome.directory_version = 9;
    s->welcome.time_zone = "Asia/Shanghai";
    hourbank__batch_ack__init(&s->ack);
    s->ack.batch_result = HOURBANK__RESULT__OK;
    s->ack.high_water_mark = 4;
    s->ack.results = s->result_ptrs;
    set_results(s, 4, 1);
    s->results[1].result = HOURBANK__RESULT__INSUFFICIENT_BALANCE;
    s->results[1].message = "the payer does not hold enough hours";
    s->results[1].transfer_id = 0;
}

static void
init_queries(sample_t *s)
{
    hourbank__balance_query__init(&s->balance_query);
    s->balance_query.member_no = s->alice;
    hourbank__balance_reply__init(&s->balance_reply);
    s->balance_reply.member_no = s->alice;
    s->balance_reply.balance_minutes = 600;
    s->balance_reply.pending_minutes = -90;
    s->balance_reply.as_of = TIME_2024;
    hourbank__statement_query__init(&s->statement_query);
    s->statement_query.member_no = s->alice;
    s->statement_query.limit = HB_PAGE_ENTRIES_DEFAULT;
    hourbank__statement_reply__init(&s->statement_reply);
    s->statement_reply.member_no = s->alice;
    s->statement_reply.entries = s->entry_ptrs;
    s->statement_reply.next_before_id = 499;
    hourbank__op_ref__init(&s->entry_ref);
    s->entry_ref.station_id = 3;
    s->entry_ref.seq = 17;
    set_entries(s, 2);
    hourbank__member_query__init(&s->member_query);
    s->member_query.text = "Wang";
    hourbank__member_reply__init(&s->member_reply);
    s->member_reply.members = s->member_ptrs;
    hourbank__directory_query__init(&s->directory_query);
    s->directory_query.since_version = 5;
    s->directory_query.limit = HB_PAGE_ENTRIES_MAX;
    hourbank__directory_reply__init(&s->directory_reply);
    s->directory_reply.members = s->member_ptrs;
    s->directory_reply.version = 12;
    s->directory_reply.more = 1;
    set_members(s, 3);
    s->member_reply.n_members = 1;
    hourbank__error_reply__init(&s->error);
    s->error.code = HOURBANK__RESULT__UNAVAILABLE;
    s->error.message = "could not reach the ledger database";
}

static void
init_station_messages(sample_t *s)
{
    hourbank__save_reply__init(&s->save_reply);
    s->save_reply.seq = 42;
    s->save_reply.member_no = s->carol;
    hourbank__queue_query__init(&s->queue_query);
    s->queue_query.rejected_only = 1;
    hourbank__queue_reply__init(&s->queue_reply);
    s->queue_reply.pending = 1;
    s->queue_reply.rejected = 1;
    s->queue_reply.oldest_pending_at = TIME_2024;
    s->queue_reply.last_sync = TIME_2024 + 5;
    s->queue_reply.link = "down";
    s->queue_reply.ops = s->queued_ptrs;
    s->queue_reply.last_acked_seq = 40;
    s->queue_reply.central_high_water_mark = 40;
    s->queue_reply.time_zone = "America/Argentina/Buenos_Aires";
    set_queued(s, 2);
    hourbank__time_zone_query__init(&s->time_zone_query);
    hourbank__time_zone_reply__init(&s->time_zone_reply);
    s->time_zone_reply.time_zone = "Etc/GMT+8";
}

static void
init_admin_messages(sample_t *s)
{
    hourbank__dismiss_request__init(&s->dismiss);
    s->dismiss.seq = 41;
    hourbank__categories_query__init(&s->categories_query);
    hourbank__categories_reply__init(&s->categories_reply);
    s->categories_reply.categories = s->category_ptrs;
    set_categories(s, 2);
    hourbank__stations_query__init(&s->stations_query);
    hourbank__stations_reply__init(&s->stations_reply);
    s->stations_reply.stations = s->station_ptrs;
    s->stations_reply.time_zone = "UTC";
    set_stations(s, 3);
    hourbank__verify_query__init(&s->verify_query);
    hourbank__verify_reply__init(&s->verify_reply);
    s->verify_reply.problems = s->problems;
    s->verify_reply.accounts = 12;
    s->verify_reply.transfers = 30;
    s->verify_reply.obligation_minutes = 900;
    set_problems(s, 2);
    hourbank__operator_request__init(&s->operator_request);
    s->operator_request.action = "add";
    s->operator_request.name = "wang";
    s->operator_request.pin = "2468";
    hourbank__operators_reply__init(&s->operators_reply);
    for (size_t i = 0; i < 2; i++) {
        hourbank__operator__init(&s->operators[i]);
        s->operators[i].name = i ? "li" : "wang";
        s->operators[i].disabled = i == 1;
        s->operators[i].has_pin = i == 0;
        s->operators[i].created_at = TIME_2024;
        s->operator_ptrs[i] = &s->operators[i];
    }
    s->operators_reply.operators = s->operator_ptrs;
    s->operators_reply.n_operators = 2;
}

static void
init_rules(sample_t *s)
{
    hourbank__rules_query__init(&s->rules_query);
    hourbank__rules_reply__init(&s->rules_reply);
    Hourbank__RulesReply *r = &s->rules_reply;
    r->version = 4;
    r->clock_skew_seconds = 600;
    r->max_record_age_seconds = 90 * 86400;
    r->guarantee_budget_minutes = 6000;
    r->guarantee_left_minutes = 45;
    r->station_id = 3;
    r->station_name = "Qingxi desk";
    r->community = "QX03";
    r->as_of = TIME_2024;
    hourbank__district_rules__init(&s->district);
    s->district.district = "QX";
    s->district.name = "Qingxi";
    s->district.time_zone = "Asia/Shanghai";
    s->district.floor_minutes = -120;
    s->district.cap_minutes = 6000;
    s->district.daily_limit_minutes = 480;
    s->district.gifts = "family";
    s->district_ptrs[0] = &s->district;
    r->districts = s->district_ptrs;
    r->n_districts = 1;
    for (size_t i = 0; i < 2; i++) {
        hourbank__payer_rule__init(&s->payer_rules[i]);
        s->payer_rules[i].district = "QX";
        s->payer_rules[i].position = (uint32_t) i;
        s->payer_rules[i].category = i ? "*" : "meal-delivery";
        s->payer_rules[i].guarantee = i == 0;
        s->payer_rules[i].min_age = i ? 0 : 80;
        s->payer_rule_ptrs[i] = &s->payer_rules[i];
    }
    r->payer_rules = s->payer_rule_ptrs;
    r->n_payer_rules = 2;
    hourbank__community_info__init(&s->community);
    s->community.code = "QX03";
    s->community.district = "QX";
    s->community.name = "Qingxi 3";
    s->community_ptrs[0] = &s->community;
    r->communities = s->community_ptrs;
    r->n_communities = 1;
}

/* An import: a registration, then an opening balance whose member the
 * station fills in from the registration's request id. */
static void
init_import(sample_t *s)
{
    hourbank__register_member__init(&s->import_reg);
    s->import_reg.name = "Chen Yi";
    s->import_reg.role = HOURBANK__ROLE__VOLUNTEER;
    hourbank__opening_balance__init(&s->import_opening);
    s->import_opening.minutes = 90;
    s->import_opening.source = "passbook p. 14";
    for (size_t i = 0; i < 2; i++) {
        hourbank__op__init(&s->import_ops[i]);
        s->import_ops[i].occurred_at = TIME_2024;
        hourbank__save_request__init(&s->import_saves[i]);
        s->import_saves[i].op = &s->import_ops[i];
        s->import_saves[i].request_id = i ? "import:opening:A1" : "import:member:A1";
        hourbank__import_row__init(&s->import_rows[i]);
        s->import_rows[i].save = &s->import_saves[i];
        s->import_row_ptrs[i] = &s->import_rows[i];
        hourbank__import_result__init(&s->import_results[i]);
        s->import_results[i].row = (uint32_t) i;
        s->import_results[i].result = HOURBANK__RESULT__OK;
        s->import_results[i].seq = 40 + i;
        s->import_result_ptrs[i] = &s->import_results[i];
    }
    s->import_ops[0].kind_case = HOURBANK__OP__KIND_REGISTER_MEMBER;
    s->import_ops[0].register_member = &s->import_reg;
    s->import_ops[1].kind_case = HOURBANK__OP__KIND_OPENING;
    s->import_ops[1].opening = &s->import_opening;
    s->import_rows[1].member_of = "import:member:A1";
    hourbank__import_request__init(&s->import_request);
    s->import_request.import_id = "0123456789abcdef";
    s->import_request.rows = s->import_row_ptrs;
    s->import_request.n_rows = 2;
    s->import_request.commit = true;
    s->import_request.skip_bad = true;
    hourbank__import_reply__init(&s->import_reply);
    s->import_reply.rows = 2;
    s->import_reply.committed = true;
    s->import_reply.stored = true;
    s->import_reply.added = 2;
    s->import_results[0].member_no = s->alice;
    s->import_results[1].member_no = s->alice;
    s->import_reply.results = s->import_result_ptrs;
    s->import_reply.n_results = 2;
}

/* Two ranges (the second listed), one op of it, a report of one missing op. */
static void
init_reconcile(sample_t *s)
{
    memset(s->reconcile_hash, 0xab, sizeof s->reconcile_hash);
    for (int i = 0; i < 2; i++) {
        hourbank__reconcile_range__init(&s->reconcile_ranges[i]);
        s->reconcile_ranges[i].first_seq = 1 + 1000 * (uint64_t) i;
        s->reconcile_ranges[i].last_seq = 1000 * (uint64_t) (i + 1);
        s->reconcile_range_ptrs[i] = &s->reconcile_ranges[i];
    }
    s->reconcile_ranges[1].list = true;
    hourbank__reconcile_query__init(&s->reconcile_query);
    s->reconcile_query.ranges = s->reconcile_range_ptrs;
    s->reconcile_query.n_ranges = 2;
    hourbank__reconcile_op__init(&s->reconcile_op);
    s->reconcile_op.seq = 1001;
    s->reconcile_op.payload_hash = (ProtobufCBinaryData) {sizeof s->reconcile_hash, s->reconcile_hash};
    s->reconcile_op.result = HOURBANK__RESULT__OK;
    s->reconcile_op.kind = "service";
    s->reconcile_op.posted_day = "2026-12-07";
    s->reconcile_op_ptrs[0] = &s->reconcile_op;
    hourbank__reconcile_reply__init(&s->reconcile_reply);
    s->reconcile_reply.ranges = s->reconcile_range_ptrs;  /* figures: none held in either (list is not read) */
    s->reconcile_reply.n_ranges = 2;
    s->reconcile_reply.ops = s->reconcile_op_ptrs;
    s->reconcile_reply.n_ops = 1;
    hourbank__reconcile_request__init(&s->reconcile_request);
    s->reconcile_request.from_day = "2026-12-01";
    hourbank__reconcile_diff__init(&s->reconcile_diff);
    s->reconcile_diff.seq = 57;
    s->reconcile_diff.what = HOURBANK__DISCREPANCY__MISSING_AT_CENTRAL;
    s->reconcile_diff.kind = "service";
    s->reconcile_diff.station_result = HOURBANK__RESULT__OK;
    s->reconcile_diff.resent_result = HOURBANK__RESULT__OK;
    s->reconcile_diff_ptrs[0] = &s->reconcile_diff;
    hourbank__reconcile_report__init(&s->reconcile_report);
    s->reconcile_report.first_seq = 1;
    s->reconcile_report.last_seq = 105;
    s->reconcile_report.ranges = 1;
    s->reconcile_report.ranges_differing = 1;
    s->reconcile_report.missing = 1;
    s->reconcile_report.resent = 1;
    s->reconcile_report.diffs = s->reconcile_diff_ptrs;
    s->reconcile_report.n_diffs = 1;
}

/* Points the envelope at the sample's message for body. */
static void
set_body(sample_t *s, Hourbank__Envelope__BodyCase body)
{
    Hourbank__Envelope *e = &s->env;
    e->body_case = body;
    switch (body) {
    case HOURBANK__ENVELOPE__BODY_HELLO: e->hello = &s->hello; break;
    case HOURBANK__ENVELOPE__BODY_WELCOME: e->welcome = &s->welcome; break;
    case HOURBANK__ENVELOPE__BODY_BATCH: e->batch = &s->batch; break;
    case HOURBANK__ENVELOPE__BODY_BATCH_ACK: e->batch_ack = &s->ack; break;
    case HOURBANK__ENVELOPE__BODY_BALANCE_QUERY: e->balance_query = &s->balance_query; break;
    case HOURBANK__ENVELOPE__BODY_BALANCE_REPLY: e->balance_reply = &s->balance_reply; break;
    case HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY: e->statement_query = &s->statement_query; break;
    case HOURBANK__ENVELOPE__BODY_STATEMENT_REPLY: e->statement_reply = &s->statement_reply; break;
    case HOURBANK__ENVELOPE__BODY_MEMBER_QUERY: e->member_query = &s->member_query; break;
    case HOURBANK__ENVELOPE__BODY_MEMBER_REPLY: e->member_reply = &s->member_reply; break;
    case HOURBANK__ENVELOPE__BODY_DIRECTORY_QUERY: e->directory_query = &s->directory_query; break;
    case HOURBANK__ENVELOPE__BODY_DIRECTORY_REPLY: e->directory_reply = &s->directory_reply; break;
    case HOURBANK__ENVELOPE__BODY_ERROR: e->error = &s->error; break;
    case HOURBANK__ENVELOPE__BODY_SAVE: e->save = &s->save; break;
    case HOURBANK__ENVELOPE__BODY_SAVE_REPLY: e->save_reply = &s->save_reply; break;
    case HOURBANK__ENVELOPE__BODY_QUEUE_QUERY: e->queue_query = &s->queue_query; break;
    case HOURBANK__ENVELOPE__BODY_QUEUE_REPLY: e->queue_reply = &s->queue_reply; break;
    case HOURBANK__ENVELOPE__BODY_DISMISS: e->dismiss = &s->dismiss; break;
    case HOURBANK__ENVELOPE__BODY_CATEGORIES_QUERY: e->categories_query = &s->categories_query; break;
    case HOURBANK__ENVELOPE__BODY_CATEGORIES_REPLY: e->categories_reply = &s->categories_reply; break;
    case HOURBANK__ENVELOPE__BODY_STATIONS_QUERY: e->stations_query = &s->stations_query; break;
    case HOURBANK__ENVELOPE__BODY_STATIONS_REPLY: e->stations_reply = &s->stations_reply; break;
    case HOURBANK__ENVELOPE__BODY_VERIFY_QUERY: e->verify_query = &s->verify_query; break;
    case HOURBANK__ENVELOPE__BODY_VERIFY_REPLY: e->verify_reply = &s->verify_reply; break;
    case HOURBANK__ENVELOPE__BODY_TIME_ZONE_QUERY: e->time_zone_query = &s->time_zone_query; break;
    case HOURBANK__ENVELOPE__BODY_TIME_ZONE_REPLY: e->time_zone_reply = &s->time_zone_reply; break;
    case HOURBANK__ENVELOPE__BODY_OPERATOR_REQUEST: e->operator_request = &s->operator_request; break;
    case HOURBANK__ENVELOPE__BODY_OPERATORS_REPLY: e->operators_reply = &s->operators_reply; break;
    case HOURBANK__ENVELOPE__BODY_RULES_QUERY: e->rules_query = &s->rules_query; break;
    case HOURBANK__ENVELOPE__BODY_RULES_REPLY: e->rules_reply = &s->rules_reply; break;
    case HOURBANK__ENVELOPE__BODY_IMPORT_REQUEST: e->import_request = &s->import_request; break;
    case HOURBANK__ENVELOPE__BODY_IMPORT_REPLY: e->import_reply = &s->import_reply; break;
    case HOURBANK__ENVELOPE__BODY_RECONCILE_QUERY: e->reconcile_query = &s->reconcile_query; break;
    case HOURBANK__ENVELOPE__BODY_RECONCILE_REPLY: e->reconcile_reply = &s->reconcile_reply; break;
    case HOURBANK__ENVELOPE__BODY_RECONCILE_REQUEST: e->reconcile_request = &s->reconcile_request; break;
    case HOURBANK__ENVELOPE__BODY_RECONCILE_REPORT: e->reconcile_report = &s->reconcile_report; break;
    default: fail_msg("no sample for body %d", (int) body);
    }
}

static sample_t *
sample_new(Hourbank__Envelope__BodyCase body)
{
    sample_t *s = calloc(1, sizeof *s);
    assert_non_null(s);
    assert_int_equal(hb_memberno_format(s->alice, sizeof s->alice, "QX03", 127), 0);
    assert_int_equal(hb_memberno_format(s->bob, sizeof s->bob, "QX03", 128), 0);
    assert_int_equal(hb_memberno_format(s->carol, sizeof s->carol, "JL11", 999999), 0);
    hb_wire_envelope_init(&s->env, 77);
    init_ops(s);
    init_link_messages(s);
    init_queries(s);
    init_station_messages(s);
    init_admin_messages(s);
    init_rules(s);
    init_import(s);
    init_reconcile(s);
    set_body(s, body);
    return s;
}

static const Hourbank__Envelope__BodyCase all_bodies[] = {
    HOURBANK__ENVELOPE__BODY_HELLO,           HOURBANK__ENVELOPE__BODY_WELCOME,
    HOURBANK__ENVELOPE__BODY_BATCH,           HOURBANK__ENVELOPE__BODY_BATCH_ACK,
    HOURBANK__ENVELOPE__BODY_BALANCE_QUERY,   HOURBANK__ENVELOPE__BODY_BALANCE_REPLY,
    HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY, HOURBANK__ENVELOPE__BODY_STATEMENT_REPLY,
    HOURBANK__ENVELOPE__BODY_MEMBER_QUERY,    HOURBANK__ENVELOPE__BODY_MEMBER_REPLY,
    HOURBANK__ENVELOPE__BODY_DIRECTORY_QUERY, HOURBANK__ENVELOPE__BODY_DIRECTORY_REPLY,
    HOURBANK__ENVELOPE__BODY_ERROR,           HOURBANK__ENVELOPE__BODY_SAVE,
    HOURBANK__ENVELOPE__BODY_SAVE_REPLY,      HOURBANK__ENVELOPE__BODY_QUEUE_QUERY,
    HOURBANK__ENVELOPE__BODY_QUEUE_REPLY,     HOURBANK__ENVELOPE__BODY_DISMISS,
    HOURBANK__ENVELOPE__BODY_CATEGORIES_QUERY, HOURBANK__ENVELOPE__BODY_CATEGORIES_REPLY,
    HOURBANK__ENVELOPE__BODY_STATIONS_QUERY,  HOURBANK__ENVELOPE__BODY_STATIONS_REPLY,
    HOURBANK__ENVELOPE__BODY_VERIFY_QUERY,    HOURBANK__ENVELOPE__BODY_VERIFY_REPLY,
    HOURBANK__ENVELOPE__BODY_TIME_ZONE_QUERY, HOURBANK__ENVELOPE__BODY_TIME_ZONE_REPLY,
    HOURBANK__ENVELOPE__BODY_OPERATOR_REQUEST, HOURBANK__ENVELOPE__BODY_OPERATORS_REPLY,
    HOURBANK__ENVELOPE__BODY_RULES_QUERY,     HOURBANK__ENVELOPE__BODY_RULES_REPLY,
    HOURBANK__ENVELOPE__BODY_IMPORT_REQUEST,  HOURBANK__ENVELOPE__BODY_IMPORT_REPLY,
    HOURBANK__ENVELOPE__BODY_RECONCILE_QUERY, HOURBANK__ENVELOPE__BODY_RECONCILE_REPLY,
    HOURBANK__ENVELOPE__BODY_RECONCILE_REQUEST, HOURBANK__ENVELOPE__BODY_RECONCILE_REPORT,
};
#define ALL_BODIES_COUNT (sizeof all_bodies / sizeof all_bodies[0])

/* ---- checking ---- */

/* Encodes env without hb_wire_pack's checks (tests send bad versions). */
static uint8_t *
pack_raw(const Hourbank__Envelope *env, size_t *size)
{
    *size = hourbank__envelope__get_packed_size(env);
    uint8_t *buf = malloc(*size ? *size : 1);
    assert_non_null(buf);
    assert_int_equal(hourbank__envelope__pack(env, buf), *size);
    return buf;
}

static void
expect_error(const hb_wire_error_t *err, hb_result_t code, const char *want)
{
    if (err->code != code)
        fail_msg("expected %s, got %s: \"%s\"", hb_result_name(code), hb_result_name(err->code), err->message);
    if (code == HB_RESULT_OK)
        assert_string_equal(err->message, "");
    else if (err->message[0] == '\0')
        fail_msg("empty message for %s", hb_result_name(code));
    if (want && strstr(err->message, want) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err->message, want);
}

/* Unpacks size bytes; the envelope exists exactly when err says OK. */
static void
expect_unpack(const void *data, size_t size, hb_result_t code, const char *want)
{
    hb_wire_error_t err;
    memset(&err, 0x5A, sizeof err);
    Hourbank__Envelope *env = hb_wire_unpack(data, size, &err);
    expect_error(&err, code, want);
    assert_true((env != NULL) == (code == HB_RESULT_OK));
    if (env) {
        size_t again_size;
        uint8_t *again = pack_raw(env, &again_size);
        assert_int_equal(again_size, size);
        assert_memory_equal(again, data, size);
        free(again);
    }
    hb_wire_free(&env);
    assert_null(env);
}

/* The first op of b that fails on its own; code OK when none does. */
static hb_wire_error_t
first_bad_op(const Hourbank__Batch *b)
{
    hb_wire_error_t err;
    for (size_t i = 0; i < b->n_ops; i++) {
        if (b->ops[i] && hb_wire_validate_op(b->ops[i], HB_WIRE_OP_IN_BATCH, &err) != 0)
            return err;
    }
    memset(&err, 0, sizeof err);
    err.code = HB_RESULT_OK;
    return err;
}

/* hb_wire_unpack checks a batch's structure only: a batch whose only fault
 * is one op decodes whole, and that op, checked alone as central checks
 * it, fails with code and want. */
static void
expect_unpack_bad_op(const void *data, size_t size, hb_result_t code, const char *want)
{
    hb_wire_error_t err;
    memset(&err, 0x5A, sizeof err);
    Hourbank__Envelope *env = hb_wire_unpack(data, size, &err);
    expect_error(&err, HB_RESULT_OK, NULL);
    assert_non_null(env);
    assert_int_equal(env->body_case, HOURBANK__ENVELOPE__BODY_BATCH);
    hb_wire_error_t op_err = first_bad_op(env->batch);
    expect_error(&op_err, code, want);
    hb_wire_free(&env);
}

/* Validates s->env in memory, then packed and unpacked: both paths must
 * give code, and the message must contain want (if not NULL). A batch
 * refused in memory for one of its ops unpacks, and that op is refused
 * alone (expect_unpack_bad_op). */
static void
expect(sample_t *s, hb_result_t code, const char *want)
{
    hb_wire_error_t err;
    memset(&err, 0x5A, sizeof err);
    int rc = hb_wire_validate(&s->env, &err);
    expect_error(&err, code, want);
    assert_int_equal(rc, code == HB_RESULT_OK ? 0 : -1);
    bool op_fault = false;
    if (code != HB_RESULT_OK && s->env.body_case == HOURBANK__ENVELOPE__BODY_BATCH) {
        hb_wire_error_t op_err = first_bad_op(&s->batch);
        op_fault = op_err.code == err.code && strcmp(op_err.message, err.message) == 0;
    }
    size_t size;
    uint8_t *buf = pack_raw(&s->env, &size);
    if (op_fault)
        expect_unpack_bad_op(buf, size, code, want);
    else
        expect_unpack(buf, size, code, want);
    free(buf);
}

/* ---- hb_result_t ---- */

/* hb_result_t and hourbank.proto list the same codes under the same names. */
static void
test_result_mirrors_proto(void **state)
{
    (void) state;
    const ProtobufCEnumDescriptor *d = &hourbank__result__descriptor;
    assert_int_equal(d->n_values, HB_RESULT_LAST + 1);
    for (unsigned i = 0; i < d->n_values; i++) {
        int v = d->values[i].value;
        assert_true(hb_result_is_known(v));
        assert_string_equal(hb_result_name((hb_result_t) v), d->values[i].name);
        const char *text = hb_result_text((hb_result_t) v);
        assert_true(text[0] >= 'a' && text[0] <= 'z');
        assert_true(text[strlen(text) - 1] != '.');
    }
    assert_string_equal(hb_result_name(HB_RESULT_INSUFFICIENT_BALANCE), "INSUFFICIENT_BALANCE");
    assert_int_equal(HB_RESULT_INSUFFICIENT_BALANCE, 12);
    assert_string_equal(hb_result_text(HB_RESULT_INSUFFICIENT_BALANCE), "the payer does not hold enough hours");
    assert_false(hb_result_is_known(-1));
    assert_false(hb_result_is_known(HB_RESULT_LAST + 1));
    assert_string_equal(hb_result_name((hb_result_t) 999), "UNKNOWN_RESULT");
    assert_string_equal(hb_result_text((hb_result_t) 999), "unknown result code");
}

/* ---- round trips ---- */

static void
test_samples_cover_every_body(void **state)
{
    (void) state;
    const ProtobufCMessageDescriptor *d = &hourbank__envelope__descriptor;
    size_t bodies = 0;
    for (unsigned i = 0; i < d->n_fields; i++)
        bodies += (d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
    assert_int_equal(bodies, ALL_BODIES_COUNT);
}

static void
test_round_trip_every_body(void **state)
{
    (void) state;
    for (size_t i = 0; i < ALL_BODIES_COUNT; i++) {
        sample_t *s = sample_new(all_bodies[i]);
        expect(s, HB_RESULT_OK, NULL);
        void *data = NULL;
        size_t size = 0;
        assert_int_equal(hb_wire_pack(&s->env, &data, &size), 0);
        assert_non_null(data);
        hb_wire_error_t err;
        Hourbank__Envelope *env = hb_wire_unpack(data, size, &err);
        assert_non_null(env);
        assert_int_equal(err.code, HB_RESULT_OK);
        assert_int_equal(env->version, HB_PROTOCOL_VERSION);
        assert_int_equal(env->correlation_id, 77);
        assert_int_equal(env->body_case, all_bodies[i]);
        hb_wire_free(&env);
        free(data);
        free(s);
    }
}

/* Spot checks that values, not just sizes, survive the trip. */
static void
test_round_trip_values(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    void *data;
    size_t size;
    assert_int_equal(hb_wire_pack(&s->env, &data, &size), 0);
    hb_wire_error_t err;
    Hourbank__Envelope *env = hb_wire_unpack(data, size, &err);
    assert_non_null(env);
    assert_int_equal(env->batch->n_ops, 4);
    assert_int_equal(env->batch->ops[0]->kind_case, HOURBANK__OP__KIND_REGISTER_MEMBER);
    assert_string_equal(env->batch->ops[0]->register_member->name, "Li Wei");
    assert_int_equal(env->batch->ops[0]->register_member->role, HOURBANK__ROLE__VOLUNTEER);
    assert_string_equal(env->batch->ops[1]->service->provider, s->alice);
    assert_int_equal(env->batch->ops[1]->service->minutes, 90);
    assert_int_equal(env->batch->ops[2]->gift->minutes, 600);
    assert_int_equal(env->batch->ops[3]->void_op->target->seq, 2);
    assert_int_equal(env->batch->ops[3]->seq, 4);
    hb_wire_free(&env);
    free(data);
    free(s);
}

static void
test_envelope_init_and_free(void **state)
{
    (void) state;
    Hourbank__Envelope env;
    memset(&env, 0xFF, sizeof env);
    hb_wire_envelope_init(&env, 123456789012345ULL);
    assert_int_equal(env.version, HB_PROTOCOL_VERSION);
    assert_int_equal(env.correlation_id, 123456789012345ULL);
    assert_int_equal(env.body_case, HOURBANK__ENVELOPE__BODY__NOT_SET);
    Hourbank__Envelope *none = NULL;
    hb_wire_free(&none);
    assert_null(none);
}

/* ---- frame size ---- */

/* A valid hello padded with an unknown length-delimited field (number
 * 1000) to exactly total bytes: decodes fine unless refused for size. */
static uint8_t *
padded_hello(size_t total)
{
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_HELLO);
    size_t base;
    uint8_t *hello = pack_raw(&s->env, &base);
    free(s);
    const size_t tag_bytes = 2, len_bytes = 3;  /* tag 1000/LEN; length < 2^21 */
    size_t len = total - base - tag_bytes - len_bytes;
    assert_true(len >= (1u << 14) && len < (1u << 21));
    uint8_t *buf = malloc(total);
    assert_non_null(buf);
    memcpy(buf, hello, base);
    uint8_t *p = buf + base;
    *p++ = 0xC2, *p++ = 0x3E;  /* (1000 << 3) | 2 as a varint */
    *p++ = (uint8_t) (0x80 | (len & 0x7F));
    *p++ = (uint8_t) (0x80 | ((len >> 7) & 0x7F));
    *p++ = (uint8_t) (len >> 14);
    memset(p, 'x', len);
    free(hello);
    return buf;
}

static void
test_size_limits(void **state)
{
    (void) state;
    expect_unpack(NULL, 0, HB_RESULT_MALFORMED, "message of 0 bytes refused");
    uint8_t one = 0;
    expect_unpack(&one, 0, HB_RESULT_MALFORMED, "size must be 1..1048576");
    uint8_t *max = padded_hello(HB_MSG_BYTES_MAX);
    expect_unpack(max, HB_MSG_BYTES_MAX, HB_RESULT_OK, NULL);
    free(max);
    uint8_t *over = padded_hello(HB_MSG_BYTES_MAX + 1);
    expect_unpack(over, HB_MSG_BYTES_MAX + 1, HB_RESULT_MALFORMED, "message of 1048577 bytes refused");
    free(over);
}

static void
test_pack_refuses_oversize(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_HELLO);
    char *big = malloc(HB_MSG_BYTES_MAX + 1);
    assert_non_null(big);
    memset(big, 'a', HB_MSG_BYTES_MAX);
    big[HB_MSG_BYTES_MAX] = '\0';
    s->hello.software = big;
    void *data = (void *) &data;
    size_t size = 99;
    assert_int_equal(hb_wire_pack(&s->env, &data, &size), -1);
    assert_null(data);
    assert_int_equal(size, 0);
    free(big);
    free(s);
}

/* ---- damaged input ---- */

static void
test_truncated_prefixes(void **state)
{
    (void) state;
    static const Hourbank__Envelope__BodyCase bodies[] = {HOURBANK__ENVELOPE__BODY_BATCH,
                                                          HOURBANK__ENVELOPE__BODY_STATEMENT_REPLY,
                                                          HOURBANK__ENVELOPE__BODY_QUEUE_REPLY,
                                                          HOURBANK__ENVELOPE__BODY_STATIONS_REPLY};
    for (size_t b = 0; b < sizeof bodies / sizeof bodies[0]; b++) {
        sample_t *s = sample_new(bodies[b]);
        size_t size;
        uint8_t *full = pack_raw(&s->env, &size);
        size_t refused = 0;
        for (size_t len = 1; len < size; len++) {
            uint8_t *prefix = malloc(len);  /* exact size, so ASan sees overreads */
            assert_non_null(prefix);
            memcpy(prefix, full, len);
            hb_wire_error_t err;
            Hourbank__Envelope *env = hb_wire_unpack(prefix, len, &err);
            assert_true((env == NULL) == (err.code != HB_RESULT_OK));
            if (env) {
                assert_int_equal(hb_wire_validate(env, &err), 0);
            } else {
                assert_true(err.message[0] != '\0');
                refused++;
            }
            hb_wire_free(&env);
            free(prefix);
        }
        /* the body is the last field, so no proper prefix is a whole message */
        assert_int_equal(refused, size - 1);
        free(full);
        free(s);
    }
}

/* xorshift64*: the same sequence on every platform. */
static uint64_t
next_random(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * UINT64_C(2685821657736338717);
}

/* A decoded batch holds 1..HB_BATCH_OPS_MAX ops with consecutive seqs
 * >= 1; each op may still fail on its own, with a known code. */
static void
check_batch_structure(const Hourbank__Batch *b)
{
    assert_true(b->n_ops >= 1 && b->n_ops <= HB_BATCH_OPS_MAX);
    for (size_t i = 0; i < b->n_ops; i++) {
        assert_non_null(b->ops[i]);
        assert_true(b->ops[i]->seq >= 1);
        if (i > 0)
            assert_int_equal(b->ops[i]->seq, b->ops[i - 1]->seq + 1);
        hb_wire_error_t err;
        int rc = hb_wire_validate_op(b->ops[i], HB_WIRE_OP_IN_BATCH, &err);
        assert_true((rc == 0) == (err.code == HB_RESULT_OK));
        assert_true(hb_result_is_known((int) err.code) && err.code != HB_RESULT_UNSET);
    }
}

static void
unpack_any(const uint8_t *data, size_t size)
{
    hb_wire_error_t err;
    Hourbank__Envelope *env = hb_wire_unpack(data, size, &err);
    assert_true(hb_result_is_known((int) err.code) && err.code != HB_RESULT_UNSET);
    assert_true((env == NULL) == (err.code != HB_RESULT_OK));
    if (env && env->body_case == HOURBANK__ENVELOPE__BODY_BATCH)
        check_batch_structure(env->batch);
    else if (env)
        assert_int_equal(hb_wire_validate(env, &err), 0);
    hb_wire_free(&env);
}

static void
test_random_bytes(void **state)
{
    (void) state;
    uint64_t x = FUZZ_SEED;
    printf("random bytes: seed=0x%016" PRIX64 " runs=%d\n", x, FUZZ_RUNS);
    for (int run = 0; run < FUZZ_RUNS; run++) {
        size_t size = 1 + next_random(&x) % FUZZ_BYTES_MAX;
        uint8_t *buf = malloc(size);
        assert_non_null(buf);
        for (size_t i = 0; i < size; i++)
            buf[i] = (uint8_t) next_random(&x);
        unpack_any(buf, size);
        free(buf);
    }
}

/* Random byte changes to a valid batch reach deeper than random bytes. */
static void
test_random_mutations(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    size_t size;
    uint8_t *good = pack_raw(&s->env, &size);
    uint8_t *buf = malloc(size);
    assert_non_null(buf);
    uint64_t x = FUZZ_SEED + 1;
    printf("mutations: seed=0x%016" PRIX64 " runs=%d\n", x, FUZZ_RUNS);
    size_t refused = 0;
    for (int run = 0; run < FUZZ_RUNS; run++) {
        memcpy(buf, good, size);
        int changes = 1 + (int) (next_random(&x) % 4);
        for (int c = 0; c < changes; c++)
            buf[next_random(&x) % size] = (uint8_t) next_random(&x);
        hb_wire_error_t err;
        Hourbank__Envelope *env = hb_wire_unpack(buf, size, &err);
        refused += env == NULL;
        hb_wire_free(&env);
        unpack_any(buf, size);
    }
    assert_true(refused > 0 && refused < FUZZ_RUNS);  /* both outcomes were exercised */
    free(buf);
    free(good);
    free(s);
}

/* protobuf-c cuts strings at NUL; the canonical-size check catches it. */
static void
test_embedded_nul_refused(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    s->reg.name = "Li Weiwei";
    size_t size;
    uint8_t *buf = pack_raw(&s->env, &size);
    uint8_t *at = memmem(buf, size, "Weiwei", 6);
    assert_non_null(at);
    at[3] = '\0';
    expect_unpack(buf, size, HB_RESULT_MALFORMED, "canonical");
    free(buf);
    free(s);
}

/* Central judges canonical encoding per op of a Batch: the op with the NUL
 * is marked with its size on the wire, the others are 0, the envelope is
 * accepted; hb_wire_unpack still refuses it whole. Something not canonical
 * outside the ops (a field given twice) refuses the envelope. */
static void
test_embedded_nul_per_op(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    set_mixed_ops(s);
    s->reg.name = "Li Weiwei";
    size_t size;
    uint8_t *buf = pack_raw(&s->env, &size);
    uint8_t *at = memmem(buf, size, "Weiwei", 6);
    assert_non_null(at);
    at[3] = '\0';
    uint32_t op_bytes[HB_BATCH_OPS_MAX];
    hb_wire_error_t err;
    Hourbank__Envelope *env = hb_wire_unpack_ops(buf, size, op_bytes, &err);
    expect_error(&err, HB_RESULT_OK, NULL);
    assert_non_null(env);
    assert_int_equal(env->batch->n_ops, 4);
    assert_int_equal(op_bytes[0], hourbank__op__get_packed_size(env->batch->ops[0]) + 3);  /* "Li Wei\0ei" cut to "Li Wei" */
    for (size_t i = 1; i < 4; i++)
        assert_int_equal(op_bytes[i], 0);
    assert_int_equal(hb_wire_check_op_encoding(env->batch->ops[0], op_bytes[0], &err), -1);
    expect_error(&err, HB_RESULT_MALFORMED, "op seq=1: op of ");
    assert_int_equal(hb_wire_check_op_encoding(env->batch->ops[1], op_bytes[1], &err), 0);
    hb_wire_free(&env);
    expect_unpack(buf, size, HB_RESULT_MALFORMED, "canonical");

    uint8_t *twice = malloc(size + 2);
    assert_non_null(twice);
    memcpy(twice, buf, size);
    twice[size] = 0x08;  /* version again */
    twice[size + 1] = HB_PROTOCOL_VERSION;
    assert_null(hb_wire_unpack_ops(twice, size + 2, op_bytes, &err));
    expect_error(&err, HB_RESULT_MALFORMED, "canonical");
    free(twice);
    free(buf);
    free(s);
}

/* ---- envelope ---- */

static void
test_version(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_HELLO);
    s->env.version = 2;
    expect(s, HB_RESULT_UNSUPPORTED_VERSION, "protocol version 2 is not supported, expected 1");
    s->env.version = 0;
    expect(s, HB_RESULT_UNSUPPORTED_VERSION, "version 0");
    s->env.version = HB_PROTOCOL_VERSION;
    expect(s, HB_RESULT_OK, NULL);
    free(s);
}

static void
test_no_body(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_HELLO);
    s->env.body_case = HOURBANK__ENVELOPE__BODY__NOT_SET;
    expect(s, HB_RESULT_MALFORMED, "envelope has no body");
    free(s);
}

/* ---- batches ---- */

static void
test_batch_op_count(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    set_service_ops(s, 0, 1);
    expect(s, HB_RESULT_MALFORMED, "batch.ops has 0 entries, allowed 1..256");
    set_service_ops(s, 1, 1);
    expect(s, HB_RESULT_OK, NULL);
    set_service_ops(s, HB_BATCH_OPS_MAX, 1);
    expect(s, HB_RESULT_OK, NULL);
    set_service_ops(s, HB_BATCH_OPS_MAX + 1, 1);
    expect(s, HB_RESULT_MALFORMED, "batch.ops has 257 entries");
    free(s);
}

static void
test_batch_seqs(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    s->ops[3].seq = 5;  /* 1, 2, 3, 5 */
    expect(s, HB_RESULT_MALFORMED, "batch.ops[3].seq=5 follows seq=3, seqs must be consecutive");
    s->ops[3].seq = 3;  /* duplicate */
    expect(s, HB_RESULT_MALFORMED, "consecutive");
    s->ops[3].seq = 2;  /* backwards */
    expect(s, HB_RESULT_MALFORMED, "consecutive");
    set_service_ops(s, 3, 0);
    expect(s, HB_RESULT_MALFORMED, "batch.ops[0].seq=0 out of range 1..9223372036854775807");
    set_service_ops(s, 3, 1000);
    expect(s, HB_RESULT_OK, NULL);
    set_service_ops(s, 2, (uint64_t) HB_SEQ_MAX - 1);
    expect(s, HB_RESULT_OK, NULL);
    set_service_ops(s, 2, (uint64_t) HB_SEQ_MAX);  /* the ledger stores bigint */
    expect(s, HB_RESULT_MALFORMED, "batch.ops[1].seq=9223372036854775808 out of range");
    set_service_ops(s, 2, UINT64_MAX);  /* wraps to 0 */
    expect(s, HB_RESULT_MALFORMED, "batch.ops[0].seq=18446744073709551615 out of range");
    free(s);
}

/* PROTOCOL.md "Reconciliation": ranges ascending, disjoint, one bucket at
 * most, 8 listed; a digest exactly when ops are counted; days and hashes. */
static void
test_reconcile_rules(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_RECONCILE_QUERY);
    expect(s, HB_RESULT_OK, NULL);
    s->reconcile_ranges[1].first_seq = 1000;  /* overlaps the first */
    s->reconcile_ranges[1].last_seq = 1999;
    expect(s, HB_RESULT_MALFORMED, "ranges are ascending and disjoint");
    s->reconcile_ranges[1].first_seq = 1001;
    s->reconcile_ranges[1].last_seq = 2001;  /* 1,001 seqs */
    expect(s, HB_RESULT_MALFORMED, "reconcile_query.ranges[1].last_seq=2001 out of range 1001..2000");
    s->reconcile_ranges[1].last_seq = 1000;  /* below first */
    expect(s, HB_RESULT_MALFORMED, "last_seq=1000 out of range");
    s->reconcile_ranges[1].last_seq = 2000;
    s->reconcile_query.n_ranges = 0;
    expect(s, HB_RESULT_MALFORMED, "neither ranges nor report");
    s->reconcile_query.report = &s->reconcile_report;
    expect(s, HB_RESULT_OK, NULL);
    s->reconcile_report.resent = 2;  /* more than missing */
    expect(s, HB_RESULT_MALFORMED, "resent=2 out of range 0..1");
    s->reconcile_report.resent = 1;
    s->reconcile_report.last_seq = 0;
    expect(s, HB_RESULT_MALFORMED, "first_seq and last_seq are both 0 or neither");
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_RECONCILE_REPLY);
    expect(s, HB_RESULT_OK, NULL);
    s->reconcile_ranges[0].accepted = 1;  /* an op counted, no digest */
    expect(s, HB_RESULT_MALFORMED, "digest has 0 bytes, expected 32");
    s->reconcile_ranges[0].digest = s->reconcile_op.payload_hash;
    expect(s, HB_RESULT_OK, NULL);
    s->reconcile_ranges[0].accepted = 0;  /* a digest, no op */
    expect(s, HB_RESULT_MALFORMED, "digest is set for a range with no op");
    s->reconcile_ranges[0].digest = (ProtobufCBinaryData) {0, NULL};
    s->reconcile_op.payload_hash.len = 31;
    expect(s, HB_RESULT_MALFORMED, "reconcile_reply.ops[0].payload_hash has 31 bytes, expected 32");
    s->reconcile_op.payload_hash.len = 32;
    s->reconcile_op.posted_day = "2026-13-01";
    expect(s, HB_RESULT_MALFORMED, "posted_day is not a day (YYYY-MM-DD)");
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_RECONCILE_REQUEST);
    s->reconcile_request.from_day = "1.12.2026";
    expect(s, HB_RESULT_MALFORMED, "reconcile_request.from_day is not a day (YYYY-MM-DD)");
    s->reconcile_request.from_day = "";
    expect(s, HB_RESULT_OK, NULL);
    free(s);
}

static void
test_op_fields(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    s->ops[1].kind_case = HOURBANK__OP__KIND__NOT_SET;
    expect(s, HB_RESULT_MALFORMED, "op seq=2: op has no kind");
    s->ops[1].kind_case = HOURBANK__OP__KIND_SERVICE;
    s->ops[1].occurred_at = 0;
    expect(s, HB_RESULT_MALFORMED, "op seq=2: occurred_at=0 out of range 1..253402300799");
    s->ops[1].occurred_at = -5;
    expect(s, HB_RESULT_MALFORMED, "occurred_at=-5");
    /* PostgreSQL cannot hold an instant past year 9999: never posted */
    s->ops[1].occurred_at = HB_OCCURRED_AT_S_MAX;
    expect(s, HB_RESULT_OK, NULL);
    s->ops[1].occurred_at = HB_OCCURRED_AT_S_MAX + 1;
    expect(s, HB_RESULT_MALFORMED, "op seq=2: occurred_at=253402300800 out of range");
    s->ops[1].occurred_at = INT64_MAX;
    expect(s, HB_RESULT_MALFORMED, "occurred_at=9223372036854775807");
    free(s);
}

/* minutes: 0, 1, max, max + 1 for services and gifts */
static void
test_minutes_boundaries(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    static const struct {
        int64_t minutes;
        hb_result_t code;
    } service[] = {{0, HB_RESULT_INVALID_DURATION},
                   {-1, HB_RESULT_INVALID_DURATION},
                   {1, HB_RESULT_OK},
                   {HB_RECORD_MINUTES_MAX, HB_RESULT_OK},
                   {HB_RECORD_MINUTES_MAX + 1, HB_RESULT_INVALID_DURATION},
                   {INT64_MIN, HB_RESULT_INVALID_DURATION}},
      gift[] = {{0, HB_RESULT_INVALID_DURATION},
                {1, HB_RESULT_OK},
                {HB_GIFT_MINUTES_MAX, HB_RESULT_OK},
                {HB_GIFT_MINUTES_MAX + 1, HB_RESULT_INVALID_DURATION},
                {INT64_MAX, HB_RESULT_INVALID_DURATION}};
    for (size_t i = 0; i < sizeof service / sizeof service[0]; i++) {
        s->service.minutes = service[i].minutes;
        expect(s, service[i].code, service[i].code == HB_RESULT_OK ? NULL : "op seq=2: service.minutes=");
    }
    s->service.minutes = 90;
    for (size_t i = 0; i < sizeof gift / sizeof gift[0]; i++) {
        s->gift.minutes = gift[i].minutes;
        expect(s, gift[i].code, gift[i].code == HB_RESULT_OK ? NULL : "out of range 1..525600");
    }
    s->gift.minutes = 60;
    set_service_ops(s, 1, 12);
    s->service.minutes = 2000;
    expect(s, HB_RESULT_INVALID_DURATION, NULL);
    hb_wire_error_t err;
    assert_int_equal(hb_wire_validate(&s->env, &err), -1);
    assert_string_equal(err.message, "op seq=12: service.minutes=2000 out of range 1..1440");
    free(s);
}

static void
test_register_fields(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    static const int roles[] = {HOURBANK__ROLE__VOLUNTEER, HOURBANK__ROLE__ELDER, HOURBANK__ROLE__BOTH};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        s->reg.role = (Hourbank__Role) roles[i];
        expect(s, HB_RESULT_OK, NULL);
    }
    s->reg.role = HOURBANK__ROLE__ROLE_UNSET;
    expect(s, HB_RESULT_MALFORMED, "register_member.role=0 is not VOLUNTEER, ELDER or BOTH");
    s->reg.role = (Hourbank__Role) 99;
    expect(s, HB_RESULT_MALFORMED, "role=99");
    s->reg.role = HOURBANK__ROLE__ELDER;
    static const struct {
        uint32_t year;
        hb_result_t code;
    } years[] = {{0, HB_RESULT_OK},           {1, HB_RESULT_MALFORMED},    {1899, HB_RESULT_MALFORMED},
                 {1900, HB_RESULT_OK},        {2100, HB_RESULT_OK},        {2101, HB_RESULT_MALFORMED},
                 {UINT32_MAX, HB_RESULT_MALFORMED}};
    for (size_t i = 0; i < sizeof years / sizeof years[0]; i++) {
        s->reg.birth_year = years[i].year;
        expect(s, years[i].code, years[i].code == HB_RESULT_OK ? NULL : "birth_year=");
    }
    s->reg.birth_year = 0;
    s->reg.family_of = "";
    expect(s, HB_RESULT_OK, NULL);
    s->reg.name = "";
    expect(s, HB_RESULT_MALFORMED, "op seq=1: register_member.name must not be empty");
    free(s);
}

static void
test_member_numbers_in_ops(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    char wrong[HB_MEMBER_NO_BUF_BYTES];
    strcpy(wrong, s->alice);
    wrong[strlen(wrong) - 1] = wrong[strlen(wrong) - 1] == '9' ? '0' : (char) (wrong[strlen(wrong) - 1] + 1);
    s->service.provider = wrong;
    expect(s, HB_RESULT_BAD_MEMBER_NUMBER, "op seq=2: service.provider=\"QX03-000127-");
    s->service.provider = s->alice;
    s->service.recipient = "qx03-000128-0";
    expect(s, HB_RESULT_BAD_MEMBER_NUMBER, "service.recipient");
    s->service.recipient = "";
    expect(s, HB_RESULT_BAD_MEMBER_NUMBER, "service.recipient is empty");
    s->service.recipient = s->bob;
    s->gift.to_member = "\x1b[2J\x07";  /* terminal escapes are quoted, not sent raw */
    expect(s, HB_RESULT_BAD_MEMBER_NUMBER, "gift.to_member=\"\\x1B[2J\\x07\"");
    s->gift.to_member = "QX03-000127-6-and-a-great-deal-more";
    expect(s, HB_RESULT_BAD_MEMBER_NUMBER, "gift.to_member is 35 bytes");
    s->gift.to_member = s->carol;
    s->gift.from_member = "";
    expect(s, HB_RESULT_BAD_MEMBER_NUMBER, "gift.from_member");
    s->gift.from_member = s->alice;
    s->reg.family_of = "QX03-000127-0";
    expect(s, HB_RESULT_BAD_MEMBER_NUMBER, "register_member.family_of");
    s->reg.family_of = s->alice;
    s->reg.member_no = "";
    expect(s, HB_RESULT_BAD_MEMBER_NUMBER, "register_member.member_no is empty");
    free(s);
}

static void
test_void_fields(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    s->void_op.target = NULL;
    expect(s, HB_RESULT_MALFORMED, "op seq=4: void_op.target is missing");
    s->void_op.target = &s->void_target;
    s->void_target.station_id = 0;
    expect(s, HB_RESULT_MALFORMED, "void_op.target.station_id=0 out of range 1..2147483647");
    s->void_target.station_id = (uint32_t) HB_STATION_ID_MAX;
    expect(s, HB_RESULT_OK, NULL);
    s->void_target.station_id = (uint32_t) HB_STATION_ID_MAX + 1;  /* beyond the ledger's integer */
    expect(s, HB_RESULT_MALFORMED, "void_op.target.station_id=2147483648 out of range");
    s->void_target.station_id = 1;
    s->void_target.seq = 0;
    expect(s, HB_RESULT_MALFORMED, "void_op.target.seq=0");
    s->void_target.seq = (uint64_t) HB_SEQ_MAX;
    expect(s, HB_RESULT_OK, NULL);
    s->void_target.seq = (uint64_t) HB_SEQ_MAX + 1;
    expect(s, HB_RESULT_MALFORMED, "void_op.target.seq=9223372036854775808 out of range");
    s->void_target.seq = 1;
    s->void_op.reason = "";
    expect(s, HB_RESULT_MALFORMED, "void_op.reason must not be empty");
    s->void_op.reason = "entered twice";
    expect(s, HB_RESULT_OK, NULL);
    free(s);
}

/* ---- strings ---- */

static const struct {
    const char *bytes;
    const char *what;
} bad_utf8[] = {
    {"\xC0\xAF", "overlong 2-byte '/'"},
    {"\xC1\xBF", "overlong 2-byte"},
    {"\xE0\x80\xAF", "overlong 3-byte"},
    {"\xF0\x80\x80\xAF", "overlong 4-byte"},
    {"\xED\xA0\x80", "high surrogate U+D800"},
    {"\xED\xBF\xBF", "low surrogate U+DFFF"},
    {"\xF4\x90\x80\x80", "U+110000"},
    {"\xF5\x80\x80\x80", "lead byte F5"},
    {"\xE4\xB8", "truncated 3-byte"},
    {"\xF0\x9F\x98", "truncated 4-byte"},
    {"\xC3", "truncated 2-byte"},
    {"\xFF", "0xFF"},
    {"\xFE", "0xFE"},
    {"\x80", "lone continuation"},
    {"\xF8\x88\x80\x80\x80", "5-byte form"},
};

static void
test_invalid_utf8(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
        snprintf(s->text, sizeof s->text, "Ann%se", bad_utf8[i].bytes);
        print_message("invalid UTF-8: %s\n", bad_utf8[i].what);
        s->reg.name = s->text;
        expect(s, HB_RESULT_MALFORMED, "op seq=1: register_member.name is not valid UTF-8 at byte 3");
        s->reg.name = "Li Wei";
        s->service.note = s->text;
        expect(s, HB_RESULT_MALFORMED, "op seq=2: service.note is not valid UTF-8 at byte 3");
        s->service.note = "";
        s->void_op.reason = s->text;
        expect(s, HB_RESULT_MALFORMED, "void_op.reason is not valid UTF-8");
        s->void_op.reason = "entered twice";
    }
    free(s);
}

static void
test_valid_utf8(void **state)
{
    (void) state;
    static const char *const good[] = {
        "Zo\xC3\xAB",               /* 2-byte */
        "\xE6\x9D\x8E\xE6\x98\x8E",  /* 3-byte (CJK) */
        "\xF0\x9F\x98\x80",          /* 4-byte */
        "\xC2\xA0",                  /* U+00A0, first after C1 */
        "\xED\x9F\xBF",              /* U+D7FF, last before surrogates */
        "\xEE\x80\x80",              /* U+E000, first after surrogates */
        "\xEF\xBF\xBF",              /* U+FFFF */
        "\xF4\x8F\xBF\xBF",          /* U+10FFFF, the last */
    };
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        snprintf(s->text, sizeof s->text, "%s", good[i]);
        s->reg.name = s->text;
        s->service.note = s->text;
        expect(s, HB_RESULT_OK, NULL);
    }
    free(s);
}

static void
test_control_characters(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    s->reg.name = "Li\nWei";
    expect(s, HB_RESULT_MALFORMED, "register_member.name contains control character U+000A at byte 2");
    s->reg.name = "Li\x7FWei";
    expect(s, HB_RESULT_MALFORMED, "U+007F");
    s->reg.name = "Li\xC2\x9B" "2J";
    expect(s, HB_RESULT_MALFORMED, "U+009B");
    s->reg.name = "Li Wei";
    s->service.category = "meal\tdelivery";
    expect(s, HB_RESULT_MALFORMED, "service.category contains control character U+0009");
    s->service.category = "meal-delivery";
    s->service.note = "line one\nline two\twith a tab";
    expect(s, HB_RESULT_OK, NULL);
    s->service.note = "clear \x1b[2J screen";
    expect(s, HB_RESULT_MALFORMED, "service.note contains control character U+001B");
    s->service.note = "carriage\rreturn";
    expect(s, HB_RESULT_MALFORMED, "U+000D");
    free(s);
}

/* Fills s->text with bytes bytes of 'a'. */
static char *
text_of(sample_t *s, size_t bytes)
{
    assert_true(bytes < sizeof s->text);
    memset(s->text, 'a', bytes);
    s->text[bytes] = '\0';
    return s->text;
}

static void
test_string_limits(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    s->reg.name = text_of(s, HB_NAME_CHARS_MAX);
    expect(s, HB_RESULT_OK, NULL);
    s->reg.name = text_of(s, HB_NAME_CHARS_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "register_member.name is 41 characters, limit 40");
    s->reg.name = "Li Wei";
    s->service.note = text_of(s, HB_NOTE_CHARS_MAX);
    expect(s, HB_RESULT_OK, NULL);
    s->service.note = text_of(s, HB_NOTE_CHARS_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "service.note is 513 characters, limit 512");
    s->service.note = "";
    s->service.category = text_of(s, HB_CATEGORY_BYTES_MAX);
    expect(s, HB_RESULT_OK, NULL);
    s->service.category = text_of(s, HB_CATEGORY_BYTES_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "service.category is 49 bytes, limit 48");
    s->service.category = "";
    expect(s, HB_RESULT_MALFORMED, "service.category must not be empty");
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_HELLO);
    s->hello.software = text_of(s, HB_SOFTWARE_BYTES_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "hello.software is 65 bytes, limit 64");
    s->hello.software = "";
    s->hello.last_acked_seq = (uint64_t) HB_SEQ_MAX + 1;  /* beyond any seq a ledger holds */
    expect(s, HB_RESULT_MALFORMED, "hello.last_acked_seq");
    s->hello.last_acked_seq = (uint64_t) HB_SEQ_MAX;
    expect(s, HB_RESULT_OK, NULL);
    free(s);
    s = sample_new(HOURBANK__ENVELOPE__BODY_MEMBER_QUERY);
    s->member_query.text = text_of(s, HB_SEARCH_BYTES_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "member_query.text is 65 bytes, limit 64");
    free(s);
    s = sample_new(HOURBANK__ENVELOPE__BODY_ERROR);
    s->error.message = text_of(s, HB_MESSAGE_BYTES_MAX);
    expect(s, HB_RESULT_OK, NULL);
    s->error.message = text_of(s, HB_MESSAGE_BYTES_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "error.message is 257 bytes, limit 256");
    free(s);
}

/* Fills s->text with chars copies of the UTF-8 character c. */
static char *
chars_of(sample_t *s, const char *c, size_t chars)
{
    size_t len = strlen(c);
    assert_true(chars * len < sizeof s->text);
    for (size_t i = 0; i < chars; i++)
        memcpy(s->text + i * len, c, len);
    s->text[chars * len] = '\0';
    return s->text;
}

/* Text limits count characters: a Chinese note holds as many as an
 * English one, though each takes three bytes. */
static void
test_text_limits_in_characters(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    s->service.note = chars_of(s, LI, 100);  /* 300 bytes */
    expect(s, HB_RESULT_OK, NULL);
    s->service.note = chars_of(s, LI, HB_NOTE_CHARS_MAX);  /* 1,536 bytes */
    expect(s, HB_RESULT_OK, NULL);
    s->service.note = chars_of(s, LI, HB_NOTE_CHARS_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "service.note is 513 characters, limit 512");
    s->service.note = chars_of(s, "\xF0\x9F\x98\x80", HB_NOTE_CHARS_MAX);  /* 4 bytes each: the byte bound */
    expect(s, HB_RESULT_OK, NULL);
    s->service.note = "";
    s->gift.reason = chars_of(s, LI, HB_NOTE_CHARS_MAX);
    expect(s, HB_RESULT_OK, NULL);
    s->gift.reason = chars_of(s, LI, HB_NOTE_CHARS_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "gift.reason is 513 characters");
    s->gift.reason = "";
    s->void_op.reason = chars_of(s, LI, HB_NOTE_CHARS_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "void_op.reason is 513 characters");
    s->void_op.reason = "entered twice";
    s->reg.name = chars_of(s, LI, HB_NAME_CHARS_MAX);  /* 120 bytes */
    expect(s, HB_RESULT_OK, NULL);
    s->reg.name = chars_of(s, LI, HB_NAME_CHARS_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "register_member.name is 41 characters, limit 40");
    free(s);
}

static void
test_operator(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    s->ops[1].operator_ = "";  /* not known: saved before operators existed */
    expect(s, HB_RESULT_OK, NULL);
    s->ops[1].operator_ = "\xE7\x8E\x8B\xE8\x8A\xB3";  /* 王芳 */
    expect(s, HB_RESULT_OK, NULL);
    s->ops[1].operator_ = chars_of(s, LI, HB_OPERATOR_CHARS_MAX);
    expect(s, HB_RESULT_OK, NULL);
    s->ops[1].operator_ = chars_of(s, LI, HB_OPERATOR_CHARS_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "op seq=2: operator is 33 characters, limit 32");
    s->ops[1].operator_ = "wang\nfang";
    expect(s, HB_RESULT_MALFORMED, "operator contains control character U+000A");
    s->ops[1].operator_ = "wang\xC3";
    expect(s, HB_RESULT_MALFORMED, "operator is not valid UTF-8");
    s->ops[1].operator_ = "wang\xC2\x85";  /* NEL, a C1 control */
    expect(s, HB_RESULT_MALFORMED, "U+0085");
    free(s);
}

static void
test_donation(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    Hourbank__Donation d;
    hourbank__donation__init(&d);
    d.member = s->alice;
    d.minutes = 90;
    d.reason = "for the pool";
    s->ops[1].kind_case = HOURBANK__OP__KIND_DONATION;
    s->ops[1].donation = &d;
    expect(s, HB_RESULT_OK, NULL);
    d.minutes = HB_GIFT_MINUTES_MAX;
    expect(s, HB_RESULT_OK, NULL);
    d.minutes = HB_GIFT_MINUTES_MAX + 1;
    expect(s, HB_RESULT_INVALID_DURATION, "donation.minutes=525601 out of range 1..525600");
    d.minutes = 0;
    expect(s, HB_RESULT_INVALID_DURATION, "donation.minutes=0");
    d.minutes = -5;
    expect(s, HB_RESULT_INVALID_DURATION, "donation.minutes=-5");
    d.minutes = 60;
    char bad[HB_MEMBER_NO_BUF_BYTES];
    snprintf(bad, sizeof bad, "%s", s->alice);
    bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';  /* wrong check digit */
    d.member = bad;
    expect(s, HB_RESULT_BAD_MEMBER_NUMBER, "donation.member=");
    d.member = "";
    expect(s, HB_RESULT_BAD_MEMBER_NUMBER, "donation.member is empty");
    d.member = "QX03-12";
    expect(s, HB_RESULT_BAD_MEMBER_NUMBER, "not a valid member number");
    d.member = s->alice;
    d.reason = "";
    expect(s, HB_RESULT_OK, NULL);
    d.reason = "line one\nline two";
    expect(s, HB_RESULT_OK, NULL);
    d.reason = "\x1b[2J";
    expect(s, HB_RESULT_MALFORMED, "donation.reason contains control character U+001B");
    d.reason = chars_of(s, LI, HB_NOTE_CHARS_MAX);
    expect(s, HB_RESULT_OK, NULL);
    d.reason = chars_of(s, LI, HB_NOTE_CHARS_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "donation.reason is 513 characters");
    s->ops[1].kind_case = HOURBANK__OP__KIND_SERVICE;
    free(s);
}

static void
test_phone(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    const char *good[] = {"", "110", "+86 25 8888-1234", "025-84561234", "13912345678", "+1 212 555 0100 00 123"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        s->reg.phone = (char *) (uintptr_t) good[i];
        expect(s, HB_RESULT_OK, NULL);
    }
    s->reg.phone = "12";
    expect(s, HB_RESULT_MALFORMED, "register_member.phone is 2 characters, allowed 3..24");
    s->reg.phone = text_of(s, HB_PHONE_CHARS_MAX);
    memset(s->text, '1', HB_PHONE_CHARS_MAX);
    expect(s, HB_RESULT_OK, NULL);
    s->reg.phone = text_of(s, HB_PHONE_CHARS_MAX + 1);
    memset(s->text, '1', HB_PHONE_CHARS_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "phone is 25 characters");
    s->reg.phone = "139-1234-567x";
    expect(s, HB_RESULT_MALFORMED, "phone has byte 0x78 at 12");
    s->reg.phone = "(025) 1234";
    expect(s, HB_RESULT_MALFORMED, "phone has byte 0x28 at 0");
    s->reg.phone = "\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93";  /* fullwidth digits */
    expect(s, HB_RESULT_MALFORMED, "only digits");
    free(s);
}

static void
test_operator_messages(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_OPERATOR_REQUEST);
    s->operator_request.pin = "";
    expect(s, HB_RESULT_OK, NULL);
    s->operator_request.pin = "123";
    expect(s, HB_RESULT_MALFORMED, "operator_request.pin must be 4..12 digits");
    s->operator_request.pin = "12a4";
    expect(s, HB_RESULT_MALFORMED, "pin must be 4..12 digits");
    s->operator_request.pin = "1234567890123";
    expect(s, HB_RESULT_MALFORMED, "pin is 13 bytes, limit 12");
    s->operator_request.pin = "123456789012";
    expect(s, HB_RESULT_OK, NULL);
    s->operator_request.action = "disable";
    expect(s, HB_RESULT_MALFORMED, "pin is only for add");
    s->operator_request.pin = "";
    expect(s, HB_RESULT_OK, NULL);
    s->operator_request.action = "list";
    expect(s, HB_RESULT_MALFORMED, "name must be empty for list");
    s->operator_request.name = "";
    expect(s, HB_RESULT_OK, NULL);
    s->operator_request.action = "add";
    expect(s, HB_RESULT_MALFORMED, "name is required");
    s->operator_request.action = "remove";
    expect(s, HB_RESULT_MALFORMED, "action is not");
    s->operator_request.action = "add";
    s->operator_request.name = chars_of(s, LI, HB_OPERATOR_CHARS_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "operator_request.name is 33 characters");
    /* issue 16: sign_in needs a PIN, language a language, unlock a name */
    s->operator_request.name = "wang";
    s->operator_request.action = "sign_in";
    expect(s, HB_RESULT_MALFORMED, "pin must be 4..12 digits");
    s->operator_request.pin = "2468";
    expect(s, HB_RESULT_OK, NULL);
    s->operator_request.language = "en";
    expect(s, HB_RESULT_MALFORMED, "language is only for the action language");
    s->operator_request.action = "language";
    expect(s, HB_RESULT_MALFORMED, "pin is only for add and sign_in");
    s->operator_request.pin = "";
    expect(s, HB_RESULT_OK, NULL);
    s->operator_request.language = "";
    expect(s, HB_RESULT_OK, NULL);  /* back to the station's default */
    s->operator_request.language = "fr";
    expect(s, HB_RESULT_MALFORMED, "language is not \"zh_CN\", \"en\" or \"\"");
    s->operator_request.language = "";
    s->operator_request.action = "unlock";
    expect(s, HB_RESULT_OK, NULL);
    s->operator_request.name = "";
    expect(s, HB_RESULT_MALFORMED, "name is required");
    free(s);
    s = sample_new(HOURBANK__ENVELOPE__BODY_OPERATORS_REPLY);
    expect(s, HB_RESULT_OK, NULL);
    s->operators[0].language = "de";
    expect(s, HB_RESULT_MALFORMED, "operators[0].language is not");
    s->operators[0].language = "zh_CN";
    s->operators[0].locked_until = -5;
    expect(s, HB_RESULT_MALFORMED, "operators[0].locked_until=-5");
    s->operators[0].locked_until = 0;
    s->operators[1].name = "";
    expect(s, HB_RESULT_MALFORMED, "operators_reply.operators[1].name must not be empty");
    s->operators[1].name = "li";
    s->operators[0].created_at = -1;
    expect(s, HB_RESULT_MALFORMED, "operators[0].created_at=-1");
    free(s);
}

static void
test_result_params(void **state)
{
    (void) state;
    Hourbank__Param p[HB_PARAMS_MAX + 1], *pp[HB_PARAMS_MAX + 1];
    for (size_t i = 0; i <= HB_PARAMS_MAX; i++) {
        hourbank__param__init(&p[i]);
        p[i].name = "held_minutes";
        p[i].value = "90";
        pp[i] = &p[i];
    }
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH_ACK);
    s->results[1].params = pp;
    s->results[1].n_params = HB_PARAMS_MAX;
    expect(s, HB_RESULT_OK, NULL);
    s->results[1].n_params = HB_PARAMS_MAX + 1;
    expect(s, HB_RESULT_MALFORMED, "batch_ack.results[1].params has 17 entries, allowed 0..16");
    s->results[1].n_params = 2;
    p[1].name = "";
    expect(s, HB_RESULT_MALFORMED, "results[1].params[1].name must not be empty");
    p[1].name = "held=minutes";  /* the station keeps values as name=value lines */
    expect(s, HB_RESULT_MALFORMED, "results[1].params[1].name has byte 0x3D at 4");
    p[1].name = "Member";
    expect(s, HB_RESULT_MALFORMED, "lowercase letters, digits and '_'");
    p[1].name = "member";
    p[1].value = "QX03\n";
    expect(s, HB_RESULT_MALFORMED, "params[1].value contains control character");
    p[1].value = "QX03-000127-6";
    free(s);
    s = sample_new(HOURBANK__ENVELOPE__BODY_ERROR);
    s->error.params = pp;
    s->error.n_params = 1;
    expect(s, HB_RESULT_OK, NULL);
    s->error.n_params = HB_PARAMS_MAX + 1;
    expect(s, HB_RESULT_MALFORMED, "error.params has 17 entries");
    free(s);
    s = sample_new(HOURBANK__ENVELOPE__BODY_QUEUE_REPLY);
    s->queued[1].params = pp;
    s->queued[1].n_params = 2;
    s->queued[1].operator_ = "wang";
    expect(s, HB_RESULT_OK, NULL);
    s->queued[1].operator_ = "wang\tfang";
    expect(s, HB_RESULT_MALFORMED, "queue_reply.ops[1].operator contains control character");
    s->queued[1].operator_ = "";
    p[0].value = "x\x01";
    expect(s, HB_RESULT_MALFORMED, "queue_reply.ops[1].params[0].value contains control character");
    free(s);
}

/* ---- enums in replies ---- */

static void
test_unknown_enum_values(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH_ACK);
    s->results[2].result = (Hourbank__Result) 999;
    expect(s, HB_RESULT_MALFORMED, "batch_ack.results[2].result=999 is not a known result code");
    s->results[2].result = HOURBANK__RESULT__RESULT_UNSET;
    expect(s, HB_RESULT_MALFORMED, "result=RESULT_UNSET is not allowed here");
    s->results[2].result = HOURBANK__RESULT__OK;
    s->ack.batch_result = (Hourbank__Result) -3;
    expect(s, HB_RESULT_MALFORMED, "batch_result=-3");
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_ERROR);
    s->error.code = (Hourbank__Result) 999;
    expect(s, HB_RESULT_MALFORMED, "error.code=999");
    s->error.code = HOURBANK__RESULT__OK;
    expect(s, HB_RESULT_MALFORMED, "error.code=OK is not allowed here");
    s->error.code = HOURBANK__RESULT__RESULT_UNSET;
    expect(s, HB_RESULT_MALFORMED, "error.code=RESULT_UNSET");
    s->error.code = HOURBANK__RESULT__NOT_VOIDABLE;
    expect(s, HB_RESULT_OK, NULL);
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_DIRECTORY_REPLY);
    s->members[1].role = (Hourbank__Role) 99;
    expect(s, HB_RESULT_MALFORMED, "directory_reply.members[1].role=99");
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_QUEUE_REPLY);
    s->queued[1].result = (Hourbank__Result) (HB_RESULT_LAST + 1);
    expect(s, HB_RESULT_MALFORMED, "queue_reply.ops[1].result=36");
    s->queued[1].result = (Hourbank__Result) HB_RESULT_LAST;
    s->queued[1].prior_result = (Hourbank__Result) (HB_RESULT_LAST + 1);
    expect(s, HB_RESULT_MALFORMED, "queue_reply.ops[1].prior_result=36");
    s->queued[1].prior_result = (Hourbank__Result) HB_RESULT_LAST;
    s->queue_reply.link_down_since = -1;
    expect(s, HB_RESULT_MALFORMED, "queue_reply.link_down_since=-1");
    free(s);
}

static void
test_batch_ack(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH_ACK);
    set_results(s, 0, 1);
    expect(s, HB_RESULT_MALFORMED, "batch_ack.results has 0 entries, allowed 1..256");
    s->ack.batch_result = HOURBANK__RESULT__SEQ_GAP;
    expect(s, HB_RESULT_OK, NULL);
    set_results(s, 1, 1);
    expect(s, HB_RESULT_MALFORMED, "batch_ack.results has 1 entries, allowed 0..0");
    s->ack.batch_result = HOURBANK__RESULT__OK;
    set_results(s, HB_BATCH_OPS_MAX, 1);
    expect(s, HB_RESULT_OK, NULL);
    set_results(s, HB_BATCH_OPS_MAX + 1, 1);
    expect(s, HB_RESULT_MALFORMED, "257 entries");
    set_results(s, 3, 7);
    s->results[2].seq = 10;
    expect(s, HB_RESULT_MALFORMED, "batch_ack.results[2].seq=10 follows seq=8");
    set_results(s, 3, 7);
    s->results[1].result = HOURBANK__RESULT__CAP_EXCEEDED;
    expect(s, HB_RESULT_MALFORMED, "results[1].transfer_id=1001 but result is CAP_EXCEEDED");
    s->results[1].transfer_id = 0;
    expect(s, HB_RESULT_OK, NULL);
    free(s);
}

/* ---- queries and replies ---- */

static void
test_queries(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_MEMBER_QUERY);
    s->member_query.member_no = s->alice;
    expect(s, HB_RESULT_MALFORMED, "exactly one of member_no and text must be given (both are)");
    s->member_query.text = "";
    expect(s, HB_RESULT_OK, NULL);
    s->member_query.member_no = "";
    expect(s, HB_RESULT_MALFORMED, "(neither is)");
    s->member_query.member_no = "QX03-000127-0";
    expect(s, HB_RESULT_BAD_MEMBER_NUMBER, "member_query.member_no");
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY);
    s->statement_query.limit = HB_PAGE_ENTRIES_MAX;
    expect(s, HB_RESULT_OK, NULL);
    s->statement_query.limit = HB_PAGE_ENTRIES_MAX + 1;
    expect(s, HB_RESULT_MALFORMED, "statement_query.limit=501 out of range 0..500");
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY);
    s->statement_query.since = HB_OCCURRED_AT_S_MAX;
    s->statement_query.before_id = HB_ROW_ID_MAX;
    expect(s, HB_RESULT_OK, NULL);
    s->statement_query.since = INT64_MAX;
    expect(s, HB_RESULT_MALFORMED, "statement_query.since=9223372036854775807 out of range");
    s->statement_query.since = 0;
    s->statement_query.before_id = (uint64_t) HB_ROW_ID_MAX + 1;
    expect(s, HB_RESULT_MALFORMED, "statement_query.before_id=9223372036854775808 out of range");
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_DIRECTORY_QUERY);
    s->directory_query.limit = HB_PAGE_ENTRIES_MAX + 1;
    expect(s, HB_RESULT_MALFORMED, "directory_query.limit=501");
    s->directory_query.limit = 0;
    s->directory_query.since_version = HB_ROW_ID_MAX;
    expect(s, HB_RESULT_OK, NULL);
    s->directory_query.since_version = (uint64_t) HB_ROW_ID_MAX + 1;
    expect(s, HB_RESULT_MALFORMED, "directory_query.since_version=9223372036854775808 out of range");
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_BALANCE_QUERY);
    s->balance_query.member_no = "";
    expect(s, HB_RESULT_BAD_MEMBER_NUMBER, "balance_query.member_no is empty");
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_HELLO);
    s->hello.station_id = 0;
    expect(s, HB_RESULT_MALFORMED, "hello.station_id=0 must be at least 1");
    free(s);
}

static void
test_replies(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_DIRECTORY_REPLY);
    set_members(s, HB_PAGE_ENTRIES_MAX);
    expect(s, HB_RESULT_OK, NULL);
    set_members(s, HB_PAGE_ENTRIES_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "directory_reply.members has 501 entries, allowed 0..500");
    set_members(s, 2);
    s->members[1].name = "";
    expect(s, HB_RESULT_MALFORMED, "directory_reply.members[1].name must not be empty");
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_MEMBER_REPLY);
    set_members(s, HB_SEARCH_RESULTS_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "member_reply.members has 51 entries, allowed 0..50");
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_BALANCE_REPLY);
    s->balance_reply.balance_minutes = HB_ACCOUNT_MINUTES_MAX + 1;
    expect(s, HB_RESULT_MALFORMED, "balance_reply.balance_minutes=6000001 out of range -6000000..6000000");
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_STATEMENT_REPLY);
    s->entries[1].minutes = 0;  /* care the guarantee paid moves nothing for the recipient */
    expect(s, HB_RESULT_OK, NULL);
    s->entries[1].balance_after = HB_ACCOUNT_MINUTES_MAX + 1;
    expect(s, HB_RESULT_MALFORMED, "statement_reply.entries[1].balance_after=6000001");
    s->entries[1].balance_after = 0;
    s->entries[1].voids = &s->entry_ref;
    s->entry_ref.seq = 0;
    expect(s, HB_RESULT_MALFORMED, "entries[0].op.seq=0");
    s->entry_ref.seq = 17;
    expect(s, HB_RESULT_OK, NULL);
    s->entries[1].voids = NULL;
    s->entries[1].minutes = -30;
    s->entry_ref.station_id = 0;
    expect(s, HB_RESULT_MALFORMED, "entries[0].op.station_id=0");
    s->entry_ref.seq = 0;  /* all zero: no op, like an absent one */
    expect(s, HB_RESULT_OK, NULL);
    s->entries[0].op = NULL;
    expect(s, HB_RESULT_OK, NULL);
    s->entry_ref.station_id = 3;
    expect(s, HB_RESULT_MALFORMED, "entries[1].op.seq=0");
    s->entry_ref.seq = 17;
    set_entries(s, HB_STATEMENT_ENTRIES_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "statement_reply.entries has 201 entries");
    set_entries(s, 1);
    s->statement_reply.out_minutes = -1;
    expect(s, HB_RESULT_MALFORMED, "statement_reply.out_minutes=-1");
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_STATEMENT_QUERY);
    s->statement_query.from = TIME_2024;
    s->statement_query.until = TIME_2024;
    expect(s, HB_RESULT_MALFORMED, "statement_query.until=");
    s->statement_query.until = TIME_2024 + 1;
    expect(s, HB_RESULT_OK, NULL);
    s->statement_query.since = TIME_2024 - 1;
    expect(s, HB_RESULT_MALFORMED, "differ");
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_RULES_REPLY);
    s->district.gifts = "some";
    expect(s, HB_RESULT_MALFORMED, "rules_reply.districts[0].gifts is not");
    s->district.gifts = "any";
    s->district.floor_minutes = 1;
    expect(s, HB_RESULT_MALFORMED, "rules_reply.districts[0].floor_minutes=1");
    s->district.floor_minutes = 0;
    s->payer_rules[1].min_age = HB_RECIPIENT_AGE_YEARS_MAX + 1;
    expect(s, HB_RESULT_MALFORMED, "rules_reply.payer_rules[1].min_age=151");
    s->payer_rules[1].min_age = 0;
    s->community.district = "";
    expect(s, HB_RESULT_MALFORMED, "rules_reply.communities[0].district must not be empty");
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_SAVE_REPLY);
    s->save_reply.dry_run = 1;
    expect(s, HB_RESULT_MALFORMED, "save_reply.seq=42");
    s->save_reply.seq = 0;
    s->save_reply.payer = "guarantee";
    s->save_reply.payer_rule = -2;
    expect(s, HB_RESULT_MALFORMED, "save_reply.payer_rule=-2");
    s->save_reply.payer_rule = 0;
    expect(s, HB_RESULT_OK, NULL);
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_QUEUE_REPLY);
    set_queued(s, HB_PAGE_ENTRIES_MAX);
    expect(s, HB_RESULT_OK, NULL);
    set_queued(s, HB_PAGE_ENTRIES_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "queue_reply.ops has 501 entries");
    set_queued(s, 1);
    s->queue_reply.link = "sideways";
    expect(s, HB_RESULT_MALFORMED, "queue_reply.link is not");
    s->queue_reply.link = "connecting";
    expect(s, HB_RESULT_OK, NULL);
    free(s);
}

/* ---- CLI <-> station ---- */

static void
test_save(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_SAVE);
    expect(s, HB_RESULT_OK, NULL);  /* member_no "" : the station allocates */
    /* the station allocates numbers: a save naming one is refused, valid or not */
    s->save_reg.member_no = "QX03-000127-0";
    expect(s, HB_RESULT_MALFORMED, "save.op: register_member.member_no must be empty");
    s->save_reg.member_no = s->carol;
    expect(s, HB_RESULT_MALFORMED, "save.op: register_member.member_no must be empty");
    s->save_reg.member_no = "";
    s->save.request_id = "0123456789abcdef0123456789abcdef";
    expect(s, HB_RESULT_OK, NULL);
    s->save.request_id = "two\nlines";
    expect(s, HB_RESULT_MALFORMED, "save.request_id");
    s->save.request_id = "";
    s->save_op.seq = 5;
    expect(s, HB_RESULT_MALFORMED, "save.op: seq=5 must be 0, the station assigns it");
    s->save_op.seq = 0;
    s->save.op = NULL;
    expect(s, HB_RESULT_MALFORMED, "save.op is missing");
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_SAVE_REPLY);
    s->save_reply.seq = 0;
    expect(s, HB_RESULT_MALFORMED, "save_reply.seq=0 must be at least 1");
    free(s);
}

static void
test_validate_op(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_SAVE);
    hb_wire_error_t err;
    assert_int_equal(hb_wire_validate_op(&s->save_op, HB_WIRE_OP_IN_SAVE, &err), 0);
    expect_error(&err, HB_RESULT_OK, NULL);
    assert_int_equal(hb_wire_validate_op(&s->save_op, HB_WIRE_OP_IN_BATCH, &err), -1);
    expect_error(&err, HB_RESULT_MALFORMED, "op seq=0: seq=0 must be at least 1");
    s->save_op.seq = 9;
    assert_int_equal(hb_wire_validate_op(&s->save_op, HB_WIRE_OP_IN_BATCH, &err), -1);
    expect_error(&err, HB_RESULT_BAD_MEMBER_NUMBER, "op seq=9: register_member.member_no is empty");
    s->save_reg.member_no = s->carol;
    assert_int_equal(hb_wire_validate_op(&s->save_op, HB_WIRE_OP_IN_BATCH, &err), 0);
    free(s);
}

/* ---- a batch at central: structure first, then each op alone ---- */

/* hb_wire_unpack refuses a batch only for its structure; ops that fail on
 * their own leave it whole (central rejects each of them alone, finally),
 * while hb_wire_validate, which stations use, still refuses the batch. */
static void
test_unpack_checks_batch_structure_only(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_BATCH);
    s->reg.name = "Li\nWei";                           /* seq 1 */
    s->service.minutes = 2000;                          /* seq 2 */
    s->ops[3].occurred_at = HB_OCCURRED_AT_S_MAX + 1;   /* seq 4 */
    hb_wire_error_t err;
    assert_int_equal(hb_wire_validate(&s->env, &err), -1);
    expect_error(&err, HB_RESULT_MALFORMED, "op seq=1: register_member.name contains control character U+000A");
    size_t size;
    uint8_t *buf = pack_raw(&s->env, &size);
    Hourbank__Envelope *env = hb_wire_unpack(buf, size, &err);
    expect_error(&err, HB_RESULT_OK, NULL);
    assert_non_null(env);
    static const struct {
        hb_result_t code;
        const char *want;
    } alone[] = {{HB_RESULT_MALFORMED, "op seq=1: register_member.name contains control character U+000A"},
                 {HB_RESULT_INVALID_DURATION, "op seq=2: service.minutes=2000 out of range 1..1440"},
                 {HB_RESULT_OK, NULL},
                 {HB_RESULT_MALFORMED, "op seq=4: occurred_at=253402300800 out of range 1..253402300799"}};
    assert_int_equal(env->batch->n_ops, 4);
    for (size_t i = 0; i < 4; i++) {
        int rc = hb_wire_validate_op(env->batch->ops[i], HB_WIRE_OP_IN_BATCH, &err);
        expect_error(&err, alone[i].code, alone[i].want);
        assert_int_equal(rc, alone[i].code == HB_RESULT_OK ? 0 : -1);
    }
    hb_wire_free(&env);
    free(buf);

    /* an op with no kind is a bad op, not a bad batch */
    s->ops[2].kind_case = HOURBANK__OP__KIND__NOT_SET;
    buf = pack_raw(&s->env, &size);
    env = hb_wire_unpack(buf, size, &err);
    assert_non_null(env);
    assert_int_equal(hb_wire_validate_op(env->batch->ops[2], HB_WIRE_OP_IN_BATCH, &err), -1);
    expect_error(&err, HB_RESULT_MALFORMED, "op seq=3: op has no kind");
    hb_wire_free(&env);
    free(buf);

    /* structure still refuses the whole batch, before any op is looked at */
    s->ops[2].seq = 9;
    assert_int_equal(hb_wire_validate(&s->env, &err), -1);
    expect_error(&err, HB_RESULT_MALFORMED, "batch.ops[2].seq=9 follows seq=2, seqs must be consecutive");
    buf = pack_raw(&s->env, &size);
    expect_unpack(buf, size, HB_RESULT_MALFORMED, "batch.ops[2].seq=9 follows seq=2");
    free(buf);
    free(s);
}

/* ---- catalogue and administration ---- */

static void
test_dismiss_and_categories(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_DISMISS);
    s->dismiss.seq = 0;
    expect(s, HB_RESULT_MALFORMED, "dismiss.seq=0 must be at least 1");
    s->dismiss.seq = 1;
    expect(s, HB_RESULT_OK, NULL);
    free(s);

    s = sample_new(HOURBANK__ENVELOPE__BODY_CATEGORIES_REPLY);
    set_categories(s, 0);
    expect(s, HB_RESULT_OK, NULL);
    set_categories(s, HB_CATEGORIES_MAX);
    expect(s, HB_RESULT_OK, NULL);
    set_categories(s, HB_CATEGORIES_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "categories_reply.categories has 257 entries, allowed 0..256");
    set_categories(s, 2);
    s->categories[1].name = "";
    expect(s, HB_RESULT_MALFORMED, "categories_reply.categories[1].name must not be empty");
    s->categories[1].name = "meal\tdelivery";
    expect(s, HB_RESULT_MALFORMED, "categories[1].name contains control character U+0009");
    s->categories[1].name = text_of(s, HB_CATEGORY_BYTES_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "categories[1].name is 49 bytes, limit 48");
    s->categories[1].name = "companionship";
    s->categories[0].description = "two lines\nof description";
    expect(s, HB_RESULT_OK, NULL);
    s->categories[0].description = text_of(s, HB_NOTE_CHARS_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "categories[0].description is 513 characters, limit 512");
    free(s);
}

static void
test_stations_reply(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_STATIONS_REPLY);
    set_stations(s, HB_STATIONS_MAX);  /* the whole city fits in one reply */
    expect(s, HB_RESULT_OK, NULL);
    set_stations(s, HB_STATIONS_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "stations_reply.stations has 4097 entries, allowed 0..4096");
    set_stations(s, 3);
    s->stations[1].station_id = 0;
    expect(s, HB_RESULT_MALFORMED, "stations_reply.stations[1].station_id=0 out of range 1..2147483647");
    s->stations[1].station_id = 2;
    s->stations[2].community = "";
    expect(s, HB_RESULT_MALFORMED, "stations_reply.stations[2].community must not be empty");
    s->stations[2].community = "QX03QX03Q";
    expect(s, HB_RESULT_MALFORMED, "stations[2].community is 9 bytes, limit 8");
    s->stations[2].community = "QH01";
    s->stations[0].name = "Qingxi\x1b[2J";
    expect(s, HB_RESULT_MALFORMED, "stations[0].name contains control character U+001B");
    s->stations[0].name = "Qingxi one";
    s->stations[0].last_contact = -1;
    expect(s, HB_RESULT_MALFORMED, "stations_reply.stations[0].last_contact=-1 must be at least 0");
    s->stations[0].last_contact = 0;  /* never */
    expect(s, HB_RESULT_OK, NULL);
    free(s);
}

/* Welcome, QueueReply, StationsReply and TimeZoneReply name a zone with a
 * tz database name or "" (not known), nothing else: the CLI installs it as
 * its TZ, where ":/etc/passwd" or "UTC+8" would mean something else. */
static void
test_time_zones(void **state)
{
    (void) state;
    static const Hourbank__Envelope__BodyCase bodies[] = {
        HOURBANK__ENVELOPE__BODY_WELCOME, HOURBANK__ENVELOPE__BODY_QUEUE_REPLY, HOURBANK__ENVELOPE__BODY_STATIONS_REPLY,
        HOURBANK__ENVELOPE__BODY_TIME_ZONE_REPLY};
    static const char *const names[] = {"welcome", "queue_reply", "stations_reply", "time_zone_reply"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        sample_t *s = sample_new(bodies[i]);
        char **zone = bodies[i] == HOURBANK__ENVELOPE__BODY_WELCOME ? &s->welcome.time_zone
                      : bodies[i] == HOURBANK__ENVELOPE__BODY_QUEUE_REPLY ? &s->queue_reply.time_zone
                      : bodies[i] == HOURBANK__ENVELOPE__BODY_STATIONS_REPLY ? &s->stations_reply.time_zone
                                                                             : &s->time_zone_reply.time_zone;
        char want[128];
        *zone = "";  /* not known */
        expect(s, HB_RESULT_OK, NULL);
        *zone = "Asia/Shanghai";
        expect(s, HB_RESULT_OK, NULL);
        memset(s->text, 'A', HB_TIME_ZONE_BYTES_MAX);
        s->text[HB_TIME_ZONE_BYTES_MAX] = '\0';
        *zone = s->text;  /* the longest name allowed */
        expect(s, HB_RESULT_OK, NULL);
        s->text[HB_TIME_ZONE_BYTES_MAX] = 'A';
        s->text[HB_TIME_ZONE_BYTES_MAX + 1] = '\0';
        snprintf(want, sizeof want, "%s.time_zone is %d bytes, limit %d", names[i], HB_TIME_ZONE_BYTES_MAX + 1,
                 HB_TIME_ZONE_BYTES_MAX);
        expect(s, HB_RESULT_MALFORMED, want);
        *zone = "Asia/Shanghai\nUTC";
        snprintf(want, sizeof want, "%s.time_zone=\"Asia/Shanghai\\x0AUTC\" is not a tz database name", names[i]);
        expect(s, HB_RESULT_MALFORMED, want);
        *zone = ":/etc/passwd";
        expect(s, HB_RESULT_MALFORMED, "is not a tz database name");
        *zone = "/usr/share/zoneinfo/UTC";
        expect(s, HB_RESULT_MALFORMED, "is not a tz database name");
        *zone = "../../etc/passwd";
        expect(s, HB_RESULT_MALFORMED, "is not a tz database name");
        *zone = "CST-8";
        expect(s, HB_RESULT_OK, NULL);  /* spelled like a name (Etc/GMT-8 is one); the CLI checks it is installed */
        *zone = "UTC 8";
        expect(s, HB_RESULT_MALFORMED, "is not a tz database name");
        free(s);
    }
}

static void
test_verify_reply(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_VERIFY_REPLY);
    set_problems(s, 0);
    expect(s, HB_RESULT_OK, NULL);
    s->verify_reply.ok = 0;
    expect(s, HB_RESULT_MALFORMED, "verify_reply.ok=false but 0 problems are listed");
    set_problems(s, 1);
    s->verify_reply.ok = 1;
    expect(s, HB_RESULT_MALFORMED, "verify_reply.ok=true but 1 problems are listed");
    set_problems(s, HB_PAGE_ENTRIES_MAX);
    expect(s, HB_RESULT_OK, NULL);
    set_problems(s, HB_PAGE_ENTRIES_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "verify_reply.problems has 501 entries, allowed 0..500");
    set_problems(s, 2);
    s->problems[1] = "";
    expect(s, HB_RESULT_MALFORMED, "verify_reply.problems[1] must not be empty");
    s->problems[1] = "two\nlines";
    expect(s, HB_RESULT_MALFORMED, "verify_reply.problems[1] contains control character U+000A");
    s->problems[1] = text_of(s, HB_MESSAGE_BYTES_MAX + 1);
    expect(s, HB_RESULT_MALFORMED, "verify_reply.problems[1] is 257 bytes, limit 256");
    s->problems[1] = "sum of balances is 5, not 0";
    s->verify_reply.accounts = -1;
    expect(s, HB_RESULT_MALFORMED, "verify_reply.accounts=-1 must be at least 0");
    s->verify_reply.accounts = 12;
    s->verify_reply.transfers = -1;
    expect(s, HB_RESULT_MALFORMED, "verify_reply.transfers=-1");
    s->verify_reply.transfers = 0;
    s->verify_reply.obligation_minutes = -60;  /* a guarantee in credit is odd, not malformed */
    expect(s, HB_RESULT_OK, NULL);
    free(s);
}

/* The import's messages: rows, member_of, pages of results. */
static void
test_import_messages(void **state)
{
    (void) state;
    sample_t *s = sample_new(HOURBANK__ENVELOPE__BODY_IMPORT_REQUEST);
    expect(s, HB_RESULT_OK, NULL);
    s->import_rows[1].member_of = "";  /* an opening balance needs its member */
    expect(s, HB_RESULT_BAD_MEMBER_NUMBER, "import_request.rows[1].save.op: opening.member_no is empty");
    s->import_rows[1].member_of = "import:member:A1";
    s->import_opening.member_no = s->bob;  /* given twice */
    expect(s, HB_RESULT_MALFORMED, "import_request.rows[1].member_of is given, but the op is not");
    s->import_opening.member_no = "";
    s->import_saves[0].request_id = "";
    expect(s, HB_RESULT_MALFORMED, "import_request.rows[0].save.request_id must not be empty");
    s->import_saves[0].request_id = "import:member:A1";
    s->import_saves[0].dry_run = true;
    expect(s, HB_RESULT_MALFORMED, "import_request.rows[0].save.dry_run and save.confirm_new are set by");
    s->import_saves[0].dry_run = false;
    s->import_request.import_id = "";
    expect(s, HB_RESULT_MALFORMED, "import_request.import_id must not be empty");
    s->import_request.import_id = "x";
    s->import_request.commit = false;
    expect(s, HB_RESULT_MALFORMED, "import_request.dry_run, skip_bad and confirm_new go with commit");
    s->import_request.skip_bad = false;
    s->import_request.results_from = 3;
    expect(s, HB_RESULT_MALFORMED, "import_request.results_from=3 asks for results: no rows, no commit");
    free(s);
    s = sample_new(HOURBANK__ENVELOPE__BODY_IMPORT_REPLY);
    expect(s, HB_RESULT_OK, NULL);
    s->import_results[1].row = 2;
    expect(s, HB_RESULT_MALFORMED, "import_reply.results[1].row=2 is not below rows=2");
    s->import_results[1].row = 1;
    s->import_reply.added = 3;
    expect(s, HB_RESULT_MALFORMED, "import_reply.added");
    s->import_reply.added = 2;
    s->import_results[0].result = HOURBANK__RESULT__RESULT_UNSET;
    expect(s, HB_RESULT_MALFORMED, "import_reply.results[0].result=");
    free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_result_mirrors_proto),
        cmocka_unit_test(test_samples_cover_every_body),
        cmocka_unit_test(test_round_trip_every_body),
        cmocka_unit_test(test_round_trip_values),
        cmocka_unit_test(test_envelope_init_and_free),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_pack_refuses_oversize),
        cmocka_unit_test(test_truncated_prefixes),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_random_mutations),
        cmocka_unit_test(test_embedded_nul_refused),
        cmocka_unit_test(test_embedded_nul_per_op),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_no_body),
        cmocka_unit_test(test_batch_op_count),
        cmocka_unit_test(test_batch_seqs),
        cmocka_unit_test(test_reconcile_rules),
        cmocka_unit_test(test_op_fields),
        cmocka_unit_test(test_minutes_boundaries),
        cmocka_unit_test(test_register_fields),
        cmocka_unit_test(test_member_numbers_in_ops),
        cmocka_unit_test(test_void_fields),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_valid_utf8),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_string_limits),
        cmocka_unit_test(test_unknown_enum_values),
        cmocka_unit_test(test_batch_ack),
        cmocka_unit_test(test_queries),
        cmocka_unit_test(test_replies),
        cmocka_unit_test(test_save),
        cmocka_unit_test(test_validate_op),
        cmocka_unit_test(test_unpack_checks_batch_structure_only),
        cmocka_unit_test(test_dismiss_and_categories),
        cmocka_unit_test(test_stations_reply),
        cmocka_unit_test(test_time_zones),
        cmocka_unit_test(test_verify_reply),
        cmocka_unit_test(test_text_limits_in_characters),
        cmocka_unit_test(test_operator),
        cmocka_unit_test(test_donation),
        cmocka_unit_test(test_phone),
        cmocka_unit_test(test_operator_messages),
        cmocka_unit_test(test_result_params),
        cmocka_unit_test(test_import_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
