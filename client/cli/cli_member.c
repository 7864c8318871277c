/* cli_member.c - member add / show / find. */
#include "cli_member.h"
#include "cli_confirm.h"
#include "cli_format.h"
#include "cli_json.h"
#include "cli_names.h"
#include "cli_op.h"
#include "cli_parse.h"
#include "cli_report.h"
#include "cli_save.h"
#include "cli_table.h"
#include "cli_target.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <string.h>
#include <sysexits.h>
#include <time.h>

#define TM_YEAR_BASE 1900

/* ---- member add ---- */

static int
this_year(void)
{
    time_t now = time(NULL);
    struct tm tm;
    return localtime_r(&now, &tm) ? tm.tm_year + TM_YEAR_BASE : HB_BIRTH_YEAR_MAX;
}

/* Checks the options of member add into reg (strings point into the
 * caller's buffers). */
static int
parse_registration(hb_cli_t *cli, const hb_cli_args_t *args, Hourbank__RegisterMember *reg,
                   char name[HB_NAME_BYTES_MAX + 1], char family[HB_MEMBER_NO_BUF_BYTES])
{
    char msg[HB_CLI_TEXT_BYTES_MAX];
    const char *name_text = hb_cli_command_value(args, "name");
    const char *year = hb_cli_command_value(args, "birth-year");
    const char *family_text = hb_cli_command_value(args, "family");
    const char *phone = hb_cli_command_value(args, "phone");
    const char *relation = hb_cli_command_value(args, "relation");
    int role = 0;
    if (relation && !family_text)
        return hb_cli_report_usage(cli, "%s", _("--relation says what the --family member is to the new one: give "
                                                "--family too"));
    if (hb_cli_parse_role(hb_cli_command_value(args, "role"), &role, msg, sizeof msg) != 0)
        return hb_cli_report_usage(cli, "%s", msg);
    if (hb_cli_parse_chars("--name", name_text, HB_NAME_CHARS_MAX, true, false, msg, sizeof msg) != 0 ||
        (year && hb_cli_parse_birth_year(year, this_year(), &reg->birth_year, msg, sizeof msg) != 0) ||
        (family_text && hb_cli_parse_member_no(family_text, family, msg, sizeof msg) != 0) ||
        (phone && hb_cli_parse_phone(phone, msg, sizeof msg) != 0) ||
        (relation && hb_cli_parse_chars("--relation", relation, HB_RELATION_CHARS_MAX, true, false, msg, sizeof msg) != 0))
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    reg->phone = (char *) (uintptr_t) (phone ? phone : "");
    reg->family_relation = (char *) (uintptr_t) (relation ? relation : "");
    snprintf(name, HB_NAME_BYTES_MAX + 1, "%s", name_text);
    if (!family_text)
        family[0] = '\0';
    reg->name = name;
    reg->family_of = family;
    reg->role = (Hourbank__Role) role;
    return 0;
}

static int
run_member_add(hb_cli_t *cli, const hb_cli_args_t *args)
{
    char name[HB_NAME_BYTES_MAX + 1], family[HB_MEMBER_NO_BUF_BYTES];
    Hourbank__RegisterMember reg;
    hourbank__register_member__init(&reg);
    int rc = parse_registration(cli, args, &reg, name, family);
    if (rc != 0)
        return rc;
    hb_cli_op_t o;
    hb_cli_op_register(&o, reg.name, (int) reg.role, reg.birth_year, reg.phone, reg.family_of, reg.family_relation,
                       (int64_t) time(NULL));
    Hourbank__Op *op = &o.op;
    Hourbank__Envelope *reply = NULL;
    rc = hb_cli_save_take_operator(cli, args, op);
    if (rc != 0)
        return rc;
    rc = hb_cli_save_op_new(cli, op, _("the member was not registered"), hb_cli_command_value(args, "request-id"),
                            false, hb_cli_command_flag(args, "confirm-new"), &reply);
    if (rc != 0)
        return rc;
    const char *no = reply->save_reply->member_no;
    if (!no || !no[0])
        rc = hb_cli_report_fail(cli, EX_PROTOCOL, _("the station saved the registration as seq %llu but did not "
                                                    "say which member number it gave"),
                                (unsigned long long) reply->save_reply->seq);
    else
        hb_cli_confirm_print(cli, op, reply->save_reply, no);
    hb_wire_free(&reply);
    return rc;
}

static const hb_cli_opt_t add_opts[] = {
    {"name", 0, N_("NAME"), true, N_("full name, as on the member card")},
    {"role", 0, N_("ROLE"), true, N_("volunteer, elder or both")},
    {"birth-year", 0, N_("YYYY"), false, N_("year of birth (some districts' rules depend on age)")},
    {"family", 0, N_("MEMBER_NO"), false, N_("a registered family member (gifts go within families)")},
    {"phone", 0, N_("PHONE"), false, N_("a phone number: digits, +, - and spaces")},
    {"relation", 0, N_("WORD"), false, N_("what the --family member is to the new one, e.g. grandmother")},
    {"confirm-new", 0, NULL, false, N_("register although a member of the same name and birth year exists: "
                                       "checked, it is another person")},
    HB_CLI_SAVE_OPERATOR_OPT,
    HB_CLI_SAVE_REQUEST_ID_OPT,
    {NULL, 0, NULL, false, NULL},
};

const hb_cli_command_t hb_cli_member_add = {
    .name = "member add",
    .operands = "",
    .summary = N_("register a new member and print the new member number"),
    .description = N_("Registers a member at this station. The station gives the member number (community\n"
                   "code, serial and a check digit, e.g. QX03-000127-6) at once, also offline; write it\n"
                   "on the member's card. Prints \"<MEMBER_NO> registered, saved as <OP_REF> (pending sync)\".\n"
                   "A name and birth year already registered in this community is refused as a possible\n"
                   "duplicate: check with hourbank member show, and if it is another person, repeat the\n"
                   "command with --confirm-new."
                   HB_CLI_SAVE_HELP_UNANSWERED),
    .target = HB_CLI_TARGET_STATION,
    .opts = add_opts,
    .run = run_member_add,
};

/* ---- printing members ---- */

static void
json_member(hb_cli_json_t *j, const Hourbank__Member *m)
{
    hb_cli_json_object_begin(j);
    hb_cli_json_kv_string(j, "member_no", m->member_no);
    hb_cli_json_kv_string(j, "name", m->name);
    hb_cli_json_kv_string(j, "role", hb_cli_format_role((int) m->role));
    hb_cli_json_key(j, "birth_year");
    if (m->birth_year)
        hb_cli_json_uint(j, m->birth_year);
    else
        hb_cli_json_null(j);
    hb_cli_json_kv_string(j, "family_of", m->family_of && m->family_of[0] ? m->family_of : NULL);
    hb_cli_json_kv_int(j, "balance_minutes", m->balance_minutes);
    hb_cli_json_kv_bool(j, "left", m->left);
    hb_cli_json_key(j, "family");
    hb_cli_json_array_begin(j);
    for (size_t i = 0; i < m->n_family; i++) {
        hb_cli_json_object_begin(j);
        hb_cli_json_kv_string(j, "member_no", m->family[i]->member_no);
        hb_cli_json_kv_string(j, "relation", m->family[i]->relation && m->family[i]->relation[0]
                                                 ? m->family[i]->relation : NULL);
        hb_cli_json_object_end(j);
    }
    hb_cli_json_array_end(j);
    hb_cli_json_key(j, "numbers");
    hb_cli_json_array_begin(j);
    for (size_t i = 0; i < m->n_numbers; i++)
        hb_cli_json_string(j, m->numbers[i]);
    hb_cli_json_array_end(j);
    hb_cli_json_object_end(j);
}

/* The family rows: one a link, "Name (NUMBER), relation"; a directory
 * older than links says family_of alone. */
static void
family_rows(hb_cli_t *cli, hb_cli_table_t *t, const Hourbank__Member *m)
{
    char who[HB_NAME_BYTES_MAX + HB_MEMBER_NO_BUF_BYTES + HB_CLI_FORMAT_BYTES];
    if (m->n_family == 0) {
        hb_cli_table_cell(t, "%s", _("family"));
        hb_cli_table_cell(t, "%s", m->family_of && m->family_of[0] ? hb_cli_names_member(cli, who, sizeof who,
                                                                                          m->family_of)
                                                                    : "-");
        return;
    }
    for (size_t i = 0; i < m->n_family; i++) {
        const Hourbank__FamilyLink *f = m->family[i];
        hb_cli_table_cell(t, "%s", i == 0 ? _("family") : "");
        hb_cli_names_member(cli, who, sizeof who, f->member_no);
        if (f->relation && f->relation[0])
            hb_cli_table_cell(t, _("%s, %s"), who, f->relation);
        else
            hb_cli_table_cell(t, "%s", who);
    }
}

/* The member's later numbers (moves): every one is on a card and works. */
static void
number_rows(hb_cli_table_t *t, const Hourbank__Member *m)
{
    for (size_t i = 0; i < m->n_numbers; i++) {
        hb_cli_table_cell(t, "%s", i == 0 ? _("later numbers") : "");
        hb_cli_table_cell(t, i + 1 == m->n_numbers ? _("%s (the newest card)") : "%s", m->numbers[i]);
    }
}

static int
print_member(hb_cli_t *cli, const Hourbank__Member *m)
{
    if (cli->json) {
        hb_cli_json_t j;
        hb_cli_json_init(&j, cli->out);
        json_member(&j, m);
        hb_cli_json_finish(&j);
        return 0;
    }
    hb_cli_table_t *t = hb_cli_table_new(2, NULL);
    if (!t)
        return hb_cli_report_out_of_memory(cli);
    char d[HB_CLI_FORMAT_BYTES];
    hb_cli_table_cell(t, "%s", _("member no"));
    hb_cli_table_cell(t, "%s", m->member_no);
    number_rows(t, m);
    hb_cli_table_cell(t, "%s", _("name"));
    hb_cli_table_cell(t, "%s", m->left ? _("(erased: the member has left the scheme)") : m->name);
    if (m->left) {
        hb_cli_table_cell(t, "%s", _("state"));
        hb_cli_table_cell(t, "%s", _("left the scheme; the personal data is erased, the ledger kept"));
    }
    hb_cli_table_cell(t, "%s", _("role"));
    hb_cli_table_cell(t, "%s", _(hb_cli_format_role((int) m->role)));
    hb_cli_table_cell(t, "%s", _("birth year"));
    if (m->birth_year)
        hb_cli_table_cell(t, "%u", (unsigned) m->birth_year);
    else
        hb_cli_table_cell(t, "%s", _("not given"));
    family_rows(cli, t, m);
    hb_cli_table_cell(t, "%s", _("balance"));
    hb_cli_table_cell(t, _("%s (as last synced)"), hb_cli_format_duration(d, sizeof d, m->balance_minutes, false));
    return hb_cli_table_finish(&t, cli->out) == 0 ? 0 : hb_cli_report_out_of_memory(cli);
}

static void
json_members(hb_cli_t *cli, const Hourbank__MemberReply *r)
{
    hb_cli_json_t j;
    hb_cli_json_init(&j, cli->out);
    hb_cli_json_object_begin(&j);
    hb_cli_json_key(&j, "members");
    hb_cli_json_array_begin(&j);
    for (size_t i = 0; i < r->n_members; i++)
        json_member(&j, r->members[i]);
    hb_cli_json_array_end(&j);
    hb_cli_json_kv_bool(&j, "more", r->n_members >= HB_SEARCH_RESULTS_MAX);  /* cut at the station's limit */
    hb_cli_json_object_end(&j);
    hb_cli_json_finish(&j);
}

static int
print_members(hb_cli_t *cli, const Hourbank__MemberReply *r, const char *text)
{
    char q[HB_CLI_TEXT_BYTES_MAX], d[HB_CLI_FORMAT_BYTES];
    if (cli->json) {
        json_members(cli, r);
        return 0;
    }
    if (r->n_members == 0) {
        fprintf(cli->out, _("no member found whose name contains %s\n"), hb_cli_parse_quote(q, sizeof q, text));
        return 0;
    }
    const char *const headers[] = {_("MEMBER NO"), _("NAME"), _("ROLE"), _("BORN"), _("BALANCE")};
    hb_cli_table_t *t = hb_cli_table_new(5, headers);
    if (!t)
        return hb_cli_report_out_of_memory(cli);
    hb_cli_table_align_right(t, 4);
    for (size_t i = 0; i < r->n_members; i++) {
        const Hourbank__Member *m = r->members[i];
        hb_cli_table_cell(t, "%s", m->member_no);
        hb_cli_table_cell(t, "%s", m->left ? _("(left the scheme)") : m->name);
        hb_cli_table_cell(t, "%s", _(hb_cli_format_role((int) m->role)));
        if (m->birth_year)
            hb_cli_table_cell(t, "%u", (unsigned) m->birth_year);
        else
            hb_cli_table_cell(t, "-");
        hb_cli_table_cell(t, "%s", hb_cli_format_duration(d, sizeof d, m->balance_minutes, false));
    }
    if (hb_cli_table_finish(&t, cli->out) != 0)
        return hb_cli_report_out_of_memory(cli);
    /* the station answers at most HB_SEARCH_RESULTS_MAX, and does not say
     * whether there were more: a full answer may have been cut */
    if (r->n_members >= HB_SEARCH_RESULTS_MAX)
        fprintf(cli->out, _("only the first %d are shown, there may be more: search for more of the name\n"),
                HB_SEARCH_RESULTS_MAX);
    return 0;
}

/* ---- member show / find ---- */

bool
hb_cli_member_has_number(const Hourbank__Member *m, const char *no)
{
    hb_assert(m && no);
    if (strcmp(m->member_no, no) == 0)
        return true;
    for (size_t i = 0; i < m->n_numbers; i++)
        if (strcmp(m->numbers[i], no) == 0)
            return true;
    return false;
}

/* Asks the station's directory by number (no) or by name (text). */
static int
ask_directory(hb_cli_t *cli, char *no, char *text, Hourbank__Envelope **reply_out)
{
    Hourbank__MemberQuery q;
    hourbank__member_query__init(&q);
    char empty[] = "";
    q.member_no = no ? no : empty;
    q.text = text ? text : empty;
    Hourbank__Envelope req;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_MEMBER_QUERY;
    req.member_query = &q;
    return hb_cli_target_station(cli, &req, reply_out);
}

int
hb_cli_member_lookup(hb_cli_t *cli, char *no, Hourbank__Envelope **reply_out, const Hourbank__Member **out)
{
    hb_assert(cli && no && reply_out && out);
    *out = NULL;
    Hourbank__Envelope *reply = NULL;
    int rc = ask_directory(cli, no, NULL, &reply);
    if (rc != 0)
        return rc;
    if (hb_cli_report_is_not_found(reply))
        rc = hb_cli_report_member_not_found(cli, no);
    else
        rc = hb_cli_target_expect(cli, reply, HOURBANK__ENVELOPE__BODY_MEMBER_REPLY, _("could not look up the member"));
    const Hourbank__MemberReply *r = rc == 0 ? reply->member_reply : NULL;
    for (size_t i = 0; r && i < r->n_members && !*out; i++)
        if (hb_cli_member_has_number(r->members[i], no))
            *out = r->members[i];
    if (rc == 0 && !*out)
        rc = hb_cli_report_member_not_found(cli, no);
    if (rc != 0)
        hb_wire_free(&reply);
    *reply_out = reply;
    return rc;
}

static int
run_member_show(hb_cli_t *cli, const hb_cli_args_t *args)
{
    char no[HB_MEMBER_NO_BUF_BYTES], msg[HB_CLI_TEXT_BYTES_MAX];
    if (hb_cli_parse_member_no(args->operands[0], no, msg, sizeof msg) != 0)
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    Hourbank__Envelope *reply = NULL;
    const Hourbank__Member *found = NULL;
    int rc = hb_cli_member_lookup(cli, no, &reply, &found);
    if (rc == 0)
        rc = print_member(cli, found);
    hb_wire_free(&reply);
    return rc;
}

static int
run_member_find(hb_cli_t *cli, const hb_cli_args_t *args)
{
    char text[HB_SEARCH_BYTES_MAX + 1], no[HB_MEMBER_NO_BUF_BYTES], msg[HB_CLI_TEXT_BYTES_MAX];
    const char *typed = args->operands[0];
    bool by_number = hb_cli_parse_member_no(typed, no, msg, sizeof msg) == 0;
    if (!by_number && hb_cli_parse_text(N_("the search text"), typed, HB_SEARCH_BYTES_MAX, true, false, msg,
                                        sizeof msg) != 0)
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    snprintf(text, sizeof text, "%s", typed);
    Hourbank__Envelope *reply = NULL;
    int rc = ask_directory(cli, by_number ? no : NULL, by_number ? NULL : text, &reply);
    if (rc != 0)
        return rc;
    if (by_number && hb_cli_report_is_not_found(reply)) {
        Hourbank__MemberReply none;
        hourbank__member_reply__init(&none);
        rc = print_members(cli, &none, typed);
    } else if ((rc = hb_cli_target_expect(cli, reply, HOURBANK__ENVELOPE__BODY_MEMBER_REPLY,
                                          _("could not search the directory"))) == 0) {
        rc = print_members(cli, reply->member_reply, typed);
    }
    hb_wire_free(&reply);
    return rc;
}

const hb_cli_command_t hb_cli_member_show = {
    .name = "member show",
    .operands = N_("MEMBER_NO"),
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("show one member: name, role, family, balance"),
    .description = N_("Shows a member from this station's directory: its own members and the last snapshot\n"
                   "of the city's directory. The balance is the one last synced from central; see\n"
                   "hourbank balance for changes saved here since."),
    .target = HB_CLI_TARGET_STATION,
    .opts = NULL,
    .run = run_member_show,
};

const hb_cli_command_t hb_cli_member_find = {
    .name = "member find",
    .operands = N_("TEXT"),
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("find members whose name contains TEXT"),
    .description = N_("Lists the members whose name contains TEXT (at most 50), from this station's\n"
                   "directory. A member number finds that member."),
    .target = HB_CLI_TARGET_STATION,
    .opts = NULL,
    .run = run_member_find,
};
