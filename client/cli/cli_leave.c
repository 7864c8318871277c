/* cli_leave.c - `member leave`: a member leaves the scheme (moved away
 * for good, or died). Cannot be undone: the member's hours go where the
 * district's leaver rule says (the pool, or family members named as
 * heirs) and then their personal data is erased at central and at every
 * station. So the command first says all that, with the member's name,
 * balance and the district's rule from the station's copy, and saves
 * only when the operator confirms: --yes, or "yes" typed at the prompt
 * when it runs on a terminal. */
#include "cli_life.h"
#include "cli_confirm.h"
#include "cli_format.h"
#include "cli_member.h"
#include "cli_names.h"
#include "cli_parse.h"
#include "cli_report.h"
#include "cli_rules.h"
#include "cli_save.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

/* A member as shown: the name with the number. */
#define WHO_BYTES (HB_NAME_BYTES_MAX + HB_MEMBER_NO_BUF_BYTES + HB_CLI_FORMAT_BYTES)
/* The line typed at the prompt: "yes" fits, and a longer answer is no. */
#define ANSWER_BYTES 64
/* DistrictRules.leaver_hours */
#define LEAVER_POOL "pool"
#define LEAVER_FAMILY "family"

typedef struct {
    Hourbank__LeaveMember leave;
    char member_no[HB_MEMBER_NO_BUF_BYTES];
    char heirs[HB_HEIRS_MAX][HB_MEMBER_NO_BUF_BYTES], *heir_ptrs[HB_HEIRS_MAX];
    char reason[HB_NOTE_BYTES_MAX + 1];
} leave_t;

static int
parse_leave(hb_cli_t *cli, const hb_cli_args_t *args, leave_t *l)
{
    char msg[HB_CLI_TEXT_BYTES_MAX];
    const char *typed[HB_CLI_REPEATS_MAX], *reason = hb_cli_command_value(args, "reason");
    hourbank__leave_member__init(&l->leave);
    if (hb_cli_parse_member_no(args->operands[0], l->member_no, msg, sizeof msg) != 0 ||
        (reason && hb_cli_parse_chars("--reason", reason, HB_NOTE_CHARS_MAX, false, true, msg, sizeof msg) != 0))
        return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
    size_t n = hb_cli_command_values(args, "heir", typed, HB_CLI_REPEATS_MAX);
    if (n > HB_HEIRS_MAX)
        return hb_cli_report_fail(cli, EX_DATAERR, _("at most %d heirs may be named"), HB_HEIRS_MAX);
    for (size_t i = 0; i < n; i++) {
        if (hb_cli_parse_member_no(typed[i], l->heirs[i], msg, sizeof msg) != 0)
            return hb_cli_report_fail(cli, EX_DATAERR, "%s", msg);
        if (strcmp(l->heirs[i], l->member_no) == 0)
            return hb_cli_report_fail(cli, EX_DATAERR, _("%s cannot be their own heir"), l->member_no);
        for (size_t k = 0; k < i; k++)
            if (strcmp(l->heirs[k], l->heirs[i]) == 0)
                return hb_cli_report_fail(cli, EX_DATAERR, _("the heir %s is named twice"), l->heirs[i]);
        l->heir_ptrs[i] = l->heirs[i];
    }
    snprintf(l->reason, sizeof l->reason, "%s", reason ? reason : "");
    l->leave.member_no = l->member_no;
    l->leave.died = hb_cli_command_flag(args, "died");
    l->leave.n_heirs = n;
    l->leave.heirs = n ? l->heir_ptrs : NULL;
    l->leave.reason = l->reason;
    return 0;
}

/* The district's rules for the member from the station's copy into *d
 * (NULL when the copy does not say); *reply_out holds them (caller owns;
 * NULL when the station has no copy). A pool rule takes no heirs. */
static int
district_rules(hb_cli_t *cli, const leave_t *l, const Hourbank__Member *m, Hourbank__Envelope **reply_out,
               const Hourbank__DistrictRules **d)
{
    bool quiet = cli->quiet;
    cli->quiet = true;  /* no copy of the rules yet: the preview says so, central decides */
    *d = NULL;
    if (hb_cli_rules_ask(cli, reply_out) == 0)
        *d = hb_cli_rules_district_of((*reply_out)->rules_reply, m->community);
    cli->quiet = quiet;
    if (*d && strcmp((*d)->leaver_hours, LEAVER_POOL) == 0 && l->leave.n_heirs > 0)
        return hb_cli_report_fail(cli, EX_DATAERR, _("district %s's rule gives a leaver's hours to the pool: it takes "
                                                     "no --heir"),
                                  (*d)->district);
    return 0;
}

/* Where the hours go, by the rule (d NULL: not known here). */
static void
print_hours(hb_cli_t *cli, const leave_t *l, const Hourbank__Member *m, const Hourbank__DistrictRules *d)
{
    char bal[HB_CLI_FORMAT_BYTES], who[WHO_BYTES];
    hb_cli_format_duration(bal, sizeof bal, m->balance_minutes, false);
    fprintf(cli->out, _("  balance: %s (as last synced; central settles the balance it holds then)\n"), bal);
    if (!d || !d->leaver_hours[0])  /* no copy of the rules yet, or one from a central older than the rule */
        fprintf(cli->out, "%s\n", _("  hours: by the district's leaver rule, which this station's copy of the rules "
                                    "does not say; central decides"));
    else if (m->balance_minutes < 0)
        fprintf(cli->out, _("  hours: the %s owed are covered by the pool (district %s)\n"),
                hb_cli_format_duration(bal, sizeof bal, -m->balance_minutes, false), d->district);
    else if (strcmp(d->leaver_hours, LEAVER_FAMILY) == 0 && l->leave.n_heirs > 0) {
        fprintf(cli->out, _("  hours: go in equal shares to the heirs (district %s's rule):\n"), d->district);
        for (size_t i = 0; i < l->leave.n_heirs; i++)
            fprintf(cli->out, "      %s\n", hb_cli_names_member(cli, who, sizeof who, l->leave.heirs[i]));
        fprintf(cli->out, "%s\n", _("    what an heir's cap leaves no room for goes to the pool"));
    } else if (strcmp(d->leaver_hours, LEAVER_FAMILY) == 0)
        fprintf(cli->out, _("  hours: go to the pool: no heir is named (district %s's rule lets family members "
                            "named with --heir take them)\n"),
                d->district);
    else
        fprintf(cli->out, _("  hours: go to the pool (district %s's rule)\n"), d->district);
}

/* What leaving does to this member, in words. */
static void
print_consequences(hb_cli_t *cli, const leave_t *l, const Hourbank__Member *m, const Hourbank__DistrictRules *d)
{
    print_hours(cli, l, m, d);
    fprintf(cli->out, "%s\n", _("  personal data: the name, birth year, phone and family links are erased at central "
                                "and at every station; the ledger's amounts stay whole"));
    fprintf(cli->out, "%s\n", _("  this cannot be undone"));
}

/* Whether the operator confirms: --yes, or "yes" typed on a terminal. */
static bool
confirmed(hb_cli_t *cli, const hb_cli_args_t *args)
{
    if (hb_cli_command_flag(args, "yes"))
        return true;
    if (cli->json || isatty(STDIN_FILENO) != 1)
        return false;
    char line[ANSWER_BYTES];
    fprintf(cli->err, "%s", _("type yes to save it, anything else cancels: "));
    fflush(cli->err);
    if (!fgets(line, sizeof line, stdin))
        return false;
    line[strcspn(line, "\r\n")] = '\0';
    return strcmp(line, "yes") == 0;  /* the same word in every language: the prompt says it */
}

static int
save_leave(hb_cli_t *cli, const hb_cli_args_t *args, leave_t *l, const Hourbank__Member *m,
           const Hourbank__DistrictRules *d)
{
    Hourbank__Op op;
    hourbank__op__init(&op);
    op.occurred_at = (int64_t) time(NULL);
    op.kind_case = HOURBANK__OP__KIND_LEAVE;
    op.leave = &l->leave;
    Hourbank__Envelope *reply = NULL;
    int rc = hb_cli_save_take_operator(cli, args, &op);
    if (rc == 0)
        rc = hb_cli_save_op(cli, &op, _("the leave was not saved"), hb_cli_command_value(args, "request-id"), false,
                            &reply);
    if (rc == 0) {
        hb_cli_confirm_print(cli, &op, reply->save_reply, NULL);
        if (!cli->json)
            print_consequences(cli, l, m, d);
    }
    hb_wire_free(&reply);
    return rc;
}

static int
run_leave(hb_cli_t *cli, const hb_cli_args_t *args)
{
    leave_t l;
    int rc = parse_leave(cli, args, &l);
    if (rc != 0)
        return rc;
    Hourbank__Envelope *found = NULL, *rules = NULL;
    const Hourbank__Member *m = NULL;
    const Hourbank__DistrictRules *d = NULL;
    rc = hb_cli_member_lookup(cli, l.member_no, &found, &m);
    if (rc == 0 && m->left)
        rc = hb_cli_report_fail(cli, EX_DATAERR, _("member %s has left the scheme already"), l.member_no);
    if (rc == 0)
        rc = district_rules(cli, &l, m, &rules, &d);
    bool yes = rc == 0 && hb_cli_command_flag(args, "yes");
    if (rc == 0 && !yes && !cli->json) {
        char who[WHO_BYTES];
        fprintf(cli->out, l.leave.died ? _("%s has died and leaves the scheme:\n") : _("%s leaves the scheme:\n"),
                hb_cli_names_member(cli, who, sizeof who, l.member_no));
        print_consequences(cli, &l, m, d);
        fflush(cli->out);
    }
    if (rc == 0 && (yes || confirmed(cli, args)))
        rc = save_leave(cli, args, &l, m, d);
    else if (rc == 0)
        rc = hb_cli_report_fail(cli, EX_USAGE, "%s", _("nothing was saved: leaving cannot be undone; check the above, "
                                                       "then run the same command again with --yes"));
    hb_wire_free(&rules);
    hb_wire_free(&found);
    return rc;
}

static const hb_cli_opt_t leave_opts[] = {
    {"died", 0, NULL, false, N_("the member has died")},
    {"heir", 0, N_("MEMBER_NO"), false, N_("a family member to receive the hours (where the district's rule says "
                                           "family)")},
    {"reason", 0, N_("TEXT"), false, N_("why, for the record")},
    {"yes", 0, NULL, false, N_("confirm: save it (without, it only says what it would do)")},
    HB_CLI_SAVE_OPERATOR_OPT,
    HB_CLI_SAVE_REQUEST_ID_OPT,
    {NULL, 0, NULL, false, NULL},
};

static const char *const leave_repeatable[] = {"heir", NULL};

const hb_cli_command_t hb_cli_life_leave = {
    .name = "member leave",
    .operands = N_("MEMBER_NO"),
    .operands_min = 1,
    .operands_max = 1,
    .summary = N_("a member leaves the scheme (or has died): hours settled, personal data erased"),
    .description = N_("Records that a member leaves the scheme. Their hours go where the district's rule says\n"
                      "(hourbank rules: \"leavers\"): to the pool, or in equal shares to the family\n"
                      "members named with --heir. Then central and every station erase the member's name,\n"
                      "birth year, phone and family links; the ledger's amounts stay. This cannot be undone:\n"
                      "the command first says what it would do, and saves only with --yes (or when yes is\n"
                      "typed at its prompt)."
                      HB_CLI_SAVE_HELP_UNANSWERED),
    .target = HB_CLI_TARGET_STATION,
    .opts = leave_opts,
    .run = run_leave,
    .repeatable = leave_repeatable,
};
