/* cli_life.c - `member amend` and `member move`: correcting a member's
 * profile (name, birth year, phone, family links) and moving a member's
 * home to this station's community. Both are ops the station saves at
 * once and central applies (PROTOCOL.md, "Members' lives"); what they
 * change is said old → new where the station's directory knows the old
 * value. `member leave`: cli_leave.c. */
#include "cli_life.h"
#include "cli_confirm.h"
#include "cli_format.h"
#include "cli_member.h"
#include "cli_names.h"
#include "cli_parse.h"
#include "cli_report.h"
#include "cli_save.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <string.h>
#include <sysexits.h>
#include <time.h>

#define TM_YEAR_BASE 1900
/* A member as shown: the name with the number. */
#define WHO_BYTES (HB_NAME_BYTES_MAX + HB_MEMBER_NO_BUF_BYTES + HB_CLI_FORMAT_BYTES)
/* Between a relative's number and the relation in --add-family NO:RELATION,
 * or the full-width colon a Chinese keyboard types. */
#define RELATION_SEPARATOR ":"
#define RELATION_SEPARATOR_WIDE "\xEF\xBC\x9A"  /* U+FF1A FULLWIDTH COLON */

int
hb_cli_life_lookup_quietly(hb_cli_t *cli, char *no, Hourbank__Envelope **reply_out, const Hourbank__Member **out)
{
    hb_assert(cli && no && reply_out && out);
    bool quiet = cli->quiet;
    cli->quiet = true;
    int rc = hb_cli_member_lookup(cli, no, reply_out, out);
    cli->quiet = quiet;
    return rc;
}

/* ---- member amend ---- */

/* The amendment as typed, with the buffers its strings point into. */
typedef struct {
    Hourbank__AmendMember amend;
    char member_no[HB_MEMBER_NO_BUF_BYTES];
    char name[HB_NAME_BYTES_MAX + 1];
    Hourbank__FamilyLink links[HB_FAMILY_LINKS_MAX], *link_ptrs[HB_FAMILY_LINKS_MAX];
    char added[HB_FAMILY_LINKS_MAX][HB_MEMBER_NO_BUF_BYTES];
    char relations[HB_FAMILY_LINKS_MAX][HB_RELATION_BYTES_MAX + 1];
    char removed[HB_FAMILY_LINKS_MAX][HB_MEMBER_NO_BUF_BYTES], *removed_ptrs[HB_FAMILY_LINKS_MAX];
    char reason[HB_NOTE_BYTES_MAX + 1];
} amend_t;

static int
this_year(void)
{
    time_t now = time(NULL);
    struct tm tm;
    return localtime_r(&now, &tm) ? tm.tm_year + TM_YEAR_BASE : HB_BIRTH_YEAR_MAX;
}

/* "NO[:RELATION]" of --add-family into no and relation. */
static int
parse_link(const char *text, char no[HB_MEMBER_NO_BUF_BYTES], char relation[HB_RELATION_BYTES_MAX + 1], char *msg,
           size_t msg_size)
{
    const char *sep = strstr(text, RELATION_SEPARATOR), *wide = strstr(text, RELATION_SEPARATOR_WIDE);
    size_t sep_len = strlen(RELATION_SEPARATOR);
    if (wide && (!sep || wide < sep))
        sep = wide, sep_len = strlen(RELATION_SEPARATOR_WIDE);
    char number[HB_CLI_TEXT_BYTES_MAX];
    snprintf(number, sizeof number, "%.*s", (int) (sep ? (size_t) (sep - text) : strlen(text)), text);
    if (hb_cli_parse_member_no(number, no, msg, msg_size) != 0)
        return -1;
    const char *rel = sep ? sep + sep_len : "";
    if (hb_cli_parse_chars("--add-family", rel, HB_RELATION_CHARS_MAX, false, false, msg, msg_size) != 0)
        return -1;
    snprintf(relation, HB_RELATION_BYTES_MAX + 1, "%s", rel);
    return 0;
}

/* --add-family and --remove-family into a; refuses a link to the member
 * themselves and a relative both added and removed. */
static int
parse_family(hb_cli_t *cli, const hb_cli_args_t *args, amend_t *a)
{
    const char *adds[HB_CLI_REPEATS_MAX], *removes[HB_CLI_REPEATS_MAX];
    char msg[HB_CLI_TEXT_BYTES_MAX];
    size_t n_add = hb_cli_command_values(args, "add-family", adds, HB_CLI_REPEATS_MAX);
    size_t n_remove = hb_cli_command_values(args, "remove-family", removes, HB_CLI_REPEATS_MAX);
    if (n_add > HB_FAMILY_LINKS_MAX || n_remove > HB_FAMILY_LINKS_MAX)
        return hb_cli_report_fail(cli, EX_DATAERR, _("a member has at most %d family links: give at most %d "
                                                     "--add-family and %d --remove-family"),
                                  HB_FAMILY_LINKS_MAX, HB_FAMILY_LINKS_MAX, HB_FAMILY_LINKS_MAX);
    for (size_t i = 0; i < n_add; i++) {
        if (parse_link(adds[i], a->added[i], a->relations[i], msg, sizeof msg) != 0)
            return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
        hourbank__family_link__init(&a->links[i]);
        a->links[i].member_no = a->added[i];
        a->links[i].relation = a->relations[i];
        a->link_ptrs[i] = &a->links[i];
    }
    for (size_t i = 0; i < n_remove; i++) {
        if (hb_cli_parse_member_no(removes[i], a->removed[i], msg, sizeof msg) != 0)
            return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
        a->removed_ptrs[i] = a->removed[i];
        for (size_t k = 0; k < n_add; k++)
            if (strcmp(a->added[k], a->removed[i]) == 0)
                return hb_cli_report_fail(cli, EX_DATAERR, _("%s is both added and removed as family: give one"),
                                          a->removed[i]);
    }
    for (size_t i = 0; i < n_add + n_remove; i++)
        if (strcmp(i < n_add ? a->added[i] : a->removed[i - n_add], a->member_no) == 0)
            return hb_cli_report_fail(cli, EX_DATAERR, _("%s cannot be their own family member"), a->member_no);
    a->amend.n_add_family = n_add;
    a->amend.add_family = n_add ? a->link_ptrs : NULL;
    a->amend.n_remove_family = n_remove;
    a->amend.remove_family = n_remove ? a->removed_ptrs : NULL;
    return 0;
}

static int
parse_amend(hb_cli_t *cli, const hb_cli_args_t *args, amend_t *a)
{
    char msg[HB_CLI_TEXT_BYTES_MAX];
    const char *name = hb_cli_command_value(args, "name"), *year = hb_cli_command_value(args, "birth-year");
    const char *phone = hb_cli_command_value(args, "phone"), *reason = hb_cli_command_value(args, "reason");
    bool clear_phone = hb_cli_command_flag(args, "clear-phone");
    hourbank__amend_member__init(&a->amend);
    if (phone && clear_phone)
        return hb_cli_report_usage(cli, "%s", _("--phone sets a new phone number and --clear-phone removes it: give one"));
    if (hb_cli_parse_member_no(args->operands[0], a->member_no, msg, sizeof msg) != 0 ||
        (name && hb_cli_parse_chars("--name", name, HB_NAME_CHARS_MAX, true, false, msg, sizeof msg) != 0) ||
        (year && hb_cli_parse_birth_year(year, this_year(), &a->amend.birth_year, msg, sizeof msg) != 0) ||
        (phone && hb_cli_parse_phone(phone, msg, sizeof msg) != 0) ||
        (reason && hb_cli_parse_chars("--reason", reason, HB_NOTE_CHARS_MAX, false, true, msg, sizeof msg) != 0))
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    snprintf(a->name, sizeof a->name, "%s", name ? name : "");
    snprintf(a->reason, sizeof a->reason, "%s", reason ? reason : "");
    a->amend.member_no = a->member_no;
    a->amend.name = a->name;
    a->amend.phone = (char *) (uintptr_t) (phone ? phone : "");
    a->amend.clear_phone = clear_phone;
    a->amend.reason = a->reason;
    int rc = parse_family(cli, args, a);
    if (rc != 0)
        return rc;
    if (!name && !year && !phone && !clear_phone && a->amend.n_add_family == 0 && a->amend.n_remove_family == 0)
        return hb_cli_report_usage(cli, "%s", _("nothing to correct: give --name, --birth-year, --phone, "
                                                "--clear-phone, --add-family or --remove-family"));
    return 0;
}

/* The relation before links to relative no, or NULL when before (may be
 * NULL) has no link to them. */
static const char *
old_relation(const Hourbank__Member *before, const char *no)
{
    for (size_t i = 0; before && i < before->n_family; i++)
        if (strcmp(before->family[i]->member_no, no) == 0)
            return before->family[i]->relation ? before->family[i]->relation : "";
    return NULL;
}

static void
print_family_changes(hb_cli_t *cli, const Hourbank__AmendMember *m, const Hourbank__Member *before)
{
    char who[WHO_BYTES];
    for (size_t i = 0; i < m->n_add_family; i++) {
        const Hourbank__FamilyLink *f = m->add_family[i];
        const char *was = old_relation(before, f->member_no), *rel = f->relation[0] ? f->relation : "-";
        hb_cli_names_member(cli, who, sizeof who, f->member_no);
        if (was)
            fprintf(cli->out, _("    family: %s, relation %s → %s\n"), who, was[0] ? was : "-", rel);
        else
            fprintf(cli->out, _("    family: adds %s, %s\n"), who, rel);
    }
    for (size_t i = 0; i < m->n_remove_family; i++)
        fprintf(cli->out, _("    family: removes %s\n"), hb_cli_names_member(cli, who, sizeof who, m->remove_family[i]));
}

/* What changes, old → new where the directory (before, may be NULL) knows
 * the old value. */
static void
print_changes(hb_cli_t *cli, const Hourbank__AmendMember *m, const Hourbank__Member *before)
{
    char old[HB_CLI_FORMAT_BYTES];
    if (m->name[0])
        fprintf(cli->out, _("    name: %s → %s\n"), before && before->name[0] ? before->name : "?", m->name);
    if (m->birth_year) {
        if (before && before->birth_year)
            snprintf(old, sizeof old, "%u", (unsigned) before->birth_year);
        else
            snprintf(old, sizeof old, "%s", before ? _("not given") : "?");
        fprintf(cli->out, _("    birth year: %s → %u\n"), old, (unsigned) m->birth_year);
    }
    if (m->phone[0])
        fprintf(cli->out, _("    phone: → %s\n"), m->phone);
    if (m->clear_phone)
        fprintf(cli->out, "%s\n", _("    phone: removed"));
    print_family_changes(cli, m, before);
    fprintf(cli->out, "%s\n", _("  central applies it when the station syncs; the rules use the corrected profile "
                                "for operations posted after that"));
}

static int
run_amend(hb_cli_t *cli, const hb_cli_args_t *args)
{
    amend_t a;
    int rc = parse_amend(cli, args, &a);
    if (rc != 0)
        return rc;
    Hourbank__Envelope *found = NULL, *reply = NULL;
    const Hourbank__Member *before = NULL;
    if (hb_cli_life_lookup_quietly(cli, a.member_no, &found, &before) != 0)
        before = NULL;  /* not in the directory yet: the station and central judge */
    if (before && before->left) {
        hb_wire_free(&found);
        return hb_cli_report_fail(cli, EX_DATAERR, _("member %s has left the scheme: their data is erased, there is "
                                                     "nothing to correct"),
                                  a.member_no);
    }
    Hourbank__Op op;
    hourbank__op__init(&op);
    op.occurred_at = (int64_t) time(NULL);
    op.kind_case = HOURBANK__OP__KIND_AMEND;
    op.amend = &a.amend;
    rc = hb_cli_save_take_operator(cli, args, &op);
    if (rc == 0)
        rc = hb_cli_save_op(cli, &op, _("the correction was not saved"), hb_cli_command_value(args, "request-id"), false,
                            &reply);
    if (rc == 0) {
        hb_cli_confirm_print(cli, &op, reply->save_reply, NULL);
        if (!cli->json)
            print_changes(cli, &a.amend, before);
    }
    hb_wire_free(&reply);
    hb_wire_free(&found);
    return rc;
}

static const hb_cli_opt_t amend_opts[] = {
    {"name", 0, N_("NAME"), false, N_("the corrected full name")},
    {"birth-year", 0, N_("YYYY"), false, N_("the corrected year of birth")},
    {"phone", 0, N_("PHONE"), false, N_("a new phone number: digits, +, - and spaces")},
    {"clear-phone", 0, NULL, false, N_("remove the phone number")},
    {"add-family", 0, N_("MEMBER_NO[:RELATION]"), false,
     N_("link a family member, e.g. QX03-000002-5:daughter (again: change the relation)")},
    {"remove-family", 0, N_("MEMBER_NO"), false, N_("remove the link to a family member")},
    {"reason", 0, N_("TEXT"), false, N_("why, for the record")},
    HB_CLI_SAVE_OPERATOR_OPT,
    HB_CLI_SAVE_REQUEST_ID_OPT,
    {NULL, 0, NULL, false, NULL},
};

static const char *const amend_repeatable[] = {"add-family", "remove-family", NULL};

const hb_cli_command_t hb_cli_life_amend = {
    .name = "member amend",
    .operands = N_("MEMBER_NO"),
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("correct a member's name, birth year, phone or family links"),
    .description = N_("Saves a correction of a member's profile: only what is given changes. Central keeps\n"
                      "the earlier versions; the rules use the corrected one (e.g. the birth year that decides\n"
                      "who pays for care) for operations posted after it. --add-family and --remove-family\n"
                      "may be given several times. Prints what changes, old → new."
                      HB_CLI_SAVE_HELP_UNANSWERED),
    .target = HB_CLI_TARGET_STATION,
    .opts = amend_opts,
    .run = run_amend,
    .repeatable = amend_repeatable,
};

/* ---- member move ---- */

/* "+-----+" as wide as "|  NUMBER  |". */
static void
print_frame_rule(FILE *out, size_t len)
{
    fputs("      +--", out);
    for (size_t i = 0; i < len; i++)
        fputc('-', out);
    fputs("--+\n", out);
}

/* The new card's number, framed so that it is copied right. */
static void
print_new_number(hb_cli_t *cli, const char *new_no, const Hourbank__Member *before, const char *typed)
{
    fprintf(cli->out, "\n%s\n\n", _("  NEW MEMBER NUMBER, for the member's new card:"));
    print_frame_rule(cli->out, strlen(new_no));
    fprintf(cli->out, "      |  %s  |\n", new_no);
    print_frame_rule(cli->out, strlen(new_no));
    fprintf(cli->out, "\n%s", _("  the old numbers keep working:"));
    if (before) {
        fprintf(cli->out, " %s", before->member_no);
        for (size_t i = 0; i < before->n_numbers; i++)
            fprintf(cli->out, ", %s", before->numbers[i]);
    } else {
        fprintf(cli->out, " %s", typed);
    }
    fprintf(cli->out, "\n%s\n", _("  the balance and the history stay the member's; this district's rules apply once "
                                  "central has the move"));
}

static int
run_move(hb_cli_t *cli, const hb_cli_args_t *args)
{
    char no[HB_MEMBER_NO_BUF_BYTES], msg[HB_CLI_TEXT_BYTES_MAX], reason[HB_NOTE_BYTES_MAX + 1], empty[] = "";
    const char *reason_text = hb_cli_command_value(args, "reason");
    if (hb_cli_parse_member_no(args->operands[0], no, msg, sizeof msg) != 0 ||
        (reason_text && hb_cli_parse_chars("--reason", reason_text, HB_NOTE_CHARS_MAX, false, true, msg, sizeof msg) != 0))
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    snprintf(reason, sizeof reason, "%s", reason_text ? reason_text : "");
    Hourbank__MoveMember move;
    hourbank__move_member__init(&move);
    move.member_no = no;
    move.new_member_no = empty;  /* the station allocates it */
    move.reason = reason;
    Hourbank__Op op;
    hourbank__op__init(&op);
    op.occurred_at = (int64_t) time(NULL);
    op.kind_case = HOURBANK__OP__KIND_MOVE;
    op.move = &move;
    Hourbank__Envelope *found = NULL, *reply = NULL;
    const Hourbank__Member *before = NULL;
    if (hb_cli_life_lookup_quietly(cli, no, &found, &before) != 0)
        before = NULL;
    int rc = hb_cli_save_take_operator(cli, args, &op);
    if (rc == 0)
        rc = hb_cli_save_op(cli, &op, _("the move was not saved"), hb_cli_command_value(args, "request-id"), false,
                            &reply);
    const char *new_no = rc == 0 ? reply->save_reply->member_no : NULL;
    if (rc == 0 && (!new_no || !new_no[0]))
        rc = hb_cli_report_fail(cli, EX_PROTOCOL, _("the station saved the move as seq %llu but did not say which "
                                                    "member number it gave"),
                                (unsigned long long) reply->save_reply->seq);
    if (rc == 0) {
        hb_cli_confirm_print(cli, &op, reply->save_reply, new_no);
        if (!cli->json)
            print_new_number(cli, new_no, before, no);
    }
    hb_wire_free(&reply);
    hb_wire_free(&found);
    return rc;
}

static const hb_cli_opt_t move_opts[] = {
    {"reason", 0, N_("TEXT"), false, N_("why, for the record (e.g. moved to her daughter's)")},
    HB_CLI_SAVE_OPERATOR_OPT,
    HB_CLI_SAVE_REQUEST_ID_OPT,
    {NULL, 0, NULL, false, NULL},
};

const hb_cli_command_t hb_cli_life_move = {
    .name = "member move",
    .operands = N_("MEMBER_NO"),
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("move a member from another community to this station's: a new card number"),
    .description = N_("Makes this station's community the member's home: the same member, balance and\n"
                      "history, under this district's rules for operations posted after the move. The station\n"
                      "gives the member a new number for a new card and prints it; every old number keeps\n"
                      "working, here and at every station. Run it at the member's new station."
                      HB_CLI_SAVE_HELP_UNANSWERED),
    .target = HB_CLI_TARGET_STATION,
    .opts = move_opts,
    .run = run_move,
};
