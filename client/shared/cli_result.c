/* cli_result.c - a result's code and values as one sentence (PROTOCOL.md,
 * "Result values"), in the operator's language. One small function per
 * code; each takes the values it needs and returns false when one is
 * missing or unreadable, and the code's general sentence is used then. */
#include "cli_result.h"
#include "cli_format.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_memberno.h"
#include "hb_result.h"
#include "hb_wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Values one sentence shows at most (NOT_AUTHORIZED serials: 4). */
#define SLOTS 5
/* A member number with the member's name, or any other value as shown. */
#define SLOT_BYTES (HB_MEMBER_NO_BYTES_MAX + HB_NAME_BYTES_MAX + HB_CLI_FORMAT_BYTES)
#define DECIMAL 10
/* A wait shorter than this many seconds is said in seconds, a longer one
 * in whole minutes, rounded up. */
#define SECONDS_PER_MINUTE 60

typedef struct {
    Hourbank__Param *const *params;
    size_t n;
    hb_cli_result_namer_t namer;
    void *ctx;
    char v[SLOTS][SLOT_BYTES];  /* the values as shown, in the sentence's order */
    char *buf;
    size_t size;
} render_t;

/* ---- values ---- */

static const char *
param(const render_t *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->params[i] && r->params[i]->name && r->params[i]->value && strcmp(r->params[i]->name, name) == 0)
            return r->params[i]->value;
    return NULL;
}

static bool
int_of(const char *text, int64_t *out)
{
    if (!text || !text[0])
        return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, DECIMAL);
    if (errno != 0 || *end != '\0')
        return false;
    *out = (int64_t) v;
    return true;
}

static bool
v_plain(render_t *r, int slot, const char *name)
{
    const char *v = param(r, name);
    if (!v || !v[0])
        return false;
    hb_cli_format_line(r->v[slot], SLOT_BYTES, v);
    return true;
}

static bool
v_member(render_t *r, int slot, const char *name)
{
    const char *no = param(r, name);
    if (!no || !no[0])
        return false;
    const char *who = r->namer ? r->namer(r->ctx, no) : NULL;
    char line[SLOT_BYTES];
    if (who && who[0])
        snprintf(r->v[slot], SLOT_BYTES, _("%s (%s)"), hb_cli_format_line(line, sizeof line, who), no);
    else
        hb_cli_format_line(r->v[slot], SLOT_BYTES, no);
    return true;
}

static bool
v_minutes(render_t *r, int slot, const char *name)
{
    int64_t m = 0;
    if (!int_of(param(r, name), &m))
        return false;
    hb_cli_format_duration(r->v[slot], SLOT_BYTES, m, false);
    return true;
}

/* A wait in seconds (SIGN_IN_REFUSED's retry_after): "45 s", or rounded
 * up to minutes as durations are shown ("2 min", "1 h"). */
static bool
v_wait(render_t *r, int slot, const char *name)
{
    int64_t s = 0;
    if (!int_of(param(r, name), &s) || s <= 0)
        return false;
    if (s < SECONDS_PER_MINUTE)
        snprintf(r->v[slot], SLOT_BYTES, _("%lld s"), (long long) s);
    else
        hb_cli_format_duration(r->v[slot], SLOT_BYTES, (s + SECONDS_PER_MINUTE - 1) / SECONDS_PER_MINUTE, false);
    return true;
}

static bool
v_instant(render_t *r, int slot, const char *name)
{
    int64_t t = 0;
    if (!int_of(param(r, name), &t) || t <= 0)
        return false;
    hb_cli_format_time(r->v[slot], SLOT_BYTES, t);
    return true;
}

static bool
v_code(render_t *r, int slot, const char *name)
{
    int64_t c = 0;
    if (!int_of(param(r, name), &c) || c < 0 || c > INT32_MAX)
        return false;
    hb_cli_result_tag(r->v[slot], SLOT_BYTES, (int) c);
    return true;
}

/* The word for a member's part in an op (PROTOCOL.md's `role` values). */
static const char *
role_word(const char *role)
{
    static const struct {
        const char *role, *word;
    } words[] = {
        {"provider", N_("the provider")}, {"recipient", N_("the recipient")}, {"giver", N_("the giver")},
        {"receiver", N_("the receiver")}, {"family", N_("the family member")}, {"donor", N_("the donor")},
        {"credited", N_("the member")}, {"member", N_("the member")}, {"heir", N_("the heir")},
        {"opening", N_("the member")},
    };
    for (size_t i = 0; role && i < sizeof words / sizeof words[0]; i++)
        if (strcmp(role, words[i].role) == 0)
            return _(words[i].word);
    return _("the member");
}

#define OUT(...) (snprintf(r->buf, r->size, __VA_ARGS__), true)

/* ---- one function per code with values ---- */

static bool
duplicate(render_t *r)
{
    return v_member(r, 0, "member") && OUT(_("member %s is already registered"), r->v[0]);
}

static bool
exists_different(render_t *r)
{
    return v_plain(r, 0, "station") && v_plain(r, 1, "seq") &&
           OUT(_("operation %s:%s was already saved with different content"), r->v[0], r->v[1]);
}

static bool
not_authorized(render_t *r)
{
    const char *why = param(r, "reason");
    bool by_district = why && (strcmp(why, "gifts_off") == 0 || strcmp(why, "leaver_hours_pool") == 0);
    if (!why || !v_plain(r, 0, by_district ? "district" : "station"))
        return false;
    if (strcmp(why, "amend_community") == 0 || strcmp(why, "leave_community") == 0 ||
        strcmp(why, "opening_community") == 0)
        return v_member(r, 1, "member") &&
               OUT(_("station %s may change only members of its own community, and %s is not one"), r->v[0],
                   r->v[1]);
    if (strcmp(why, "leaver_hours_pool") == 0)
        return OUT(_("in district %s a leaver's hours go to the pool: no heirs may be named"), r->v[0]);
    if (strcmp(why, "register_community") == 0)
        return v_member(r, 1, "member") && v_plain(r, 2, "community") &&
               OUT(_("station %s may not register member %s: the number belongs to community %s"), r->v[0],
                   r->v[1], r->v[2]);
    if (strcmp(why, "serials") == 0)
        return v_member(r, 1, "member") && v_plain(r, 2, "serial_min") && v_plain(r, 3, "serial_max") &&
               OUT(_("station %s may not give member number %s: its serials run from %s to %s"), r->v[0],
                   r->v[1], r->v[2], r->v[3]);
    if (strcmp(why, "service_community") == 0)
        return v_plain(r, 1, "community") && v_member(r, 2, "provider") && v_member(r, 3, "recipient") &&
               OUT(_("station %s records services of its own community %s only, and neither %s nor %s "
                     "belongs to it"), r->v[0], r->v[1], r->v[2], r->v[3]);
    if (strcmp(why, "gift_community") == 0)
        return v_member(r, 1, "giver") &&
               OUT(_("station %s records gifts from members of its own community only, and %s is not one"),
                   r->v[0], r->v[1]);
    if (strcmp(why, "donation_community") == 0)
        return v_member(r, 1, "donor") &&
               OUT(_("station %s records donations from members of its own community only, and %s is not one"),
                   r->v[0], r->v[1]);
    if (strcmp(why, "gifts_off") == 0)
        return OUT(_("gifts of hours are turned off in district %s"), r->v[0]);
    if (strcmp(why, "void_community") == 0)
        return OUT(_("station %s may void operations of its own community only"), r->v[0]);
    if (strcmp(why, "retired") == 0)
        return OUT(_("station %s is retired and may not save anything"), r->v[0]);
    if (strcmp(why, "not_configured") == 0)
        return OUT(_("station %s is no longer in central's configuration and may not save anything"), r->v[0]);
    return false;
}

static bool
unknown_member(render_t *r)
{
    return v_member(r, 0, "member") &&
           OUT(_("%s %s is not a registered member"), role_word(param(r, "role")), r->v[0]);
}

static bool
unknown_category(render_t *r)
{
    return v_plain(r, 0, "category") && OUT(_("there is no service category %s"), r->v[0]);
}

static bool
invalid_duration(render_t *r)
{
    return v_minutes(r, 0, "minutes") && v_minutes(r, 1, "max_minutes") &&
           OUT(_("%s is not a valid length: from 1 min up to %s"), r->v[0], r->v[1]);
}

static bool
self_service(render_t *r)
{
    const char *kind = param(r, "kind");
    if (!v_member(r, 0, "member"))
        return false;
    if (kind && strcmp(kind, "gift") == 0)
        return OUT(_("member %s cannot give hours to themselves"), r->v[0]);
    return OUT(_("member %s cannot record a service to themselves"), r->v[0]);
}

static bool
insufficient_balance(render_t *r)
{
    const char *role = param(r, "role");
    if (!v_member(r, 0, "member") || !v_minutes(r, 1, "held_minutes") || !v_minutes(r, 2, "needed_minutes"))
        return false;
    if (role && strcmp(role, "credited") == 0)
        return OUT(_("member %s holds %s, and the void would take back %s"), r->v[0], r->v[1], r->v[2]);
    return OUT(_("%s %s holds %s, and %s is needed"), role_word(role), r->v[0], r->v[1], r->v[2]);
}

static bool
cap_exceeded(render_t *r)
{
    return v_member(r, 0, "member") && v_minutes(r, 1, "held_minutes") && v_minutes(r, 2, "minutes") &&
           v_minutes(r, 3, "cap_minutes") &&
           OUT(_("%s %s holds %s, and %s more would pass the cap of %s"), role_word(param(r, "role")), r->v[0],
               r->v[1], r->v[2], r->v[3]);
}

static bool
daily_limit(render_t *r)
{
    return v_member(r, 0, "member") && v_minutes(r, 1, "limit_minutes") && v_plain(r, 2, "day") &&
           OUT(_("the provider %s would serve more than the daily limit of %s on %s"), r->v[0], r->v[1], r->v[2]);
}

static bool
in_future(render_t *r)
{
    return v_instant(r, 0, "occurred_at") && v_instant(r, 1, "central_time") &&
           OUT(_("the operation is dated %s, later than central's clock (%s)"), r->v[0], r->v[1]);
}

static bool
too_old(render_t *r)
{
    return v_instant(r, 0, "occurred_at") && v_plain(r, 1, "window_days") &&
           OUT(_("the operation is dated %s, more than %s days ago"), r->v[0], r->v[1]);
}

static bool
already_voided(render_t *r)
{
    return v_plain(r, 0, "target") && OUT(_("operation %s has already been voided"), r->v[0]);
}

static bool
unknown_operation(render_t *r)
{
    return v_plain(r, 0, "target") && OUT(_("there is no operation %s to void"), r->v[0]);
}

/* The word for an op's kind (NOT_VOIDABLE's `target_kind`). */
static const char *
kind_word(const char *kind)
{
    static const struct {
        const char *kind, *word;
    } words[] = {
        {"register", N_("a registration")}, {"service", N_("a service record")}, {"gift", N_("a gift")},
        {"void", N_("a void")},             {"donation", N_("a donation")},     {"invalid", N_("not a valid operation")},
    };
    for (size_t i = 0; kind && i < sizeof words / sizeof words[0]; i++)
        if (strcmp(kind, words[i].kind) == 0)
            return _(words[i].word);
    return _("an operation");
}

static bool
not_voidable(render_t *r)
{
    if (!v_plain(r, 0, "target"))
        return false;
    const char *kind = kind_word(param(r, "target_kind")), *result = param(r, "target_result");
    if (result && strcmp(result, "1") != 0 && v_code(r, 1, "target_result"))
        return OUT(_("operation %s (%s) was rejected (%s) and cannot be voided"), r->v[0], kind, r->v[1]);
    return OUT(_("operation %s (%s) cannot be voided"), r->v[0], kind);
}

static bool
member_left(render_t *r)
{
    return v_member(r, 0, "member") && OUT(_("%s %s has left the scheme"), role_word(param(r, "role")), r->v[0]);
}

static bool
opening_exists(render_t *r)
{
    return v_member(r, 0, "member") && v_plain(r, 1, "station") && v_plain(r, 2, "seq") &&
           OUT(_("member %s already has an opening balance (operation %s:%s)"), r->v[0], r->v[1], r->v[2]);
}

static bool
possible_duplicate(render_t *r)
{
    return v_member(r, 0, "member") && v_plain(r, 1, "birth_year") &&
           OUT(_("%s, born %s, is already registered in this community: if this is another person, "
                 "register again confirming it is new"), r->v[0], r->v[1]);
}

static bool
already_home(render_t *r)
{
    return v_member(r, 0, "member") && v_plain(r, 1, "community") &&
           OUT(_("member %s already belongs to community %s"), r->v[0], r->v[1]);
}

static bool
not_family(render_t *r)
{
    return v_member(r, 0, "giver") && v_member(r, 1, "receiver") &&
           OUT(_("%s may give hours only to a registered family member, and %s is not one"), r->v[0], r->v[1]);
}

/* "the service's 3 h would exceed the guarantee budget of 20 h (45 min
 * left)": what the service needed and what the budget still held; a
 * result stored before central sent those two names the budget alone. */
static bool
budget_exhausted(render_t *r)
{
    bool need = v_minutes(r, 0, "minutes") && v_minutes(r, 1, "left_minutes");
    bool budget = v_minutes(r, 2, "budget_minutes");
    if (need && budget)
        return OUT(_("the service's %s would exceed the guarantee budget of %s (%s left)"), r->v[0], r->v[2],
                   r->v[1]);
    if (need)
        return OUT(_("the service's %s would exceed the guarantee budget (%s left)"), r->v[0], r->v[1]);
    return budget && OUT(_("the service would exceed the guarantee budget of %s"), r->v[2]);
}

static bool
registration_refused(render_t *r)
{
    return v_member(r, 0, "member") && v_plain(r, 1, "station") && v_plain(r, 2, "seq") &&
           v_code(r, 3, "refused_result") &&
           OUT(_("the registration of member %s (operation %s:%s) was refused (%s), so the number may mean "
                 "another person here"), r->v[0], r->v[1], r->v[2], r->v[3]);
}

static bool
no_district_rules(render_t *r)
{
    const char *role = param(r, "role");
    bool station = role && strcmp(role, "station") == 0;
    if (!(station ? v_plain(r, 0, "station") : v_member(r, 0, "member")) || !v_plain(r, 1, "district") ||
        !v_plain(r, 2, "rules_version"))
        return false;
    if (station)
        return OUT(_("station %s is in district %s, which has no rules in rules version %s"), r->v[0], r->v[1],
                   r->v[2]);
    return OUT(_("%s %s belongs to district %s, which has no rules in rules version %s"), role_word(role),
               r->v[0], r->v[1], r->v[2]);
}

static bool
outbox_full(render_t *r)
{
    return v_plain(r, 0, "pending_bytes") && v_plain(r, 1, "max_bytes") &&
           OUT(_("the station's outbox is full (%s of %s bytes wait for central): saves resume once it syncs"),
               r->v[0], r->v[1]);
}

static bool
not_found(render_t *r)
{
    return v_member(r, 0, "member") && OUT(_("member %s was not found"), r->v[0]);
}

static bool
unknown_operator(render_t *r)
{
    if (v_plain(r, 1, "state") && strcmp(r->v[1], "none") == 0)
        return OUT("%s", _("no operator was named and the station has no default operator"));
    if (!v_plain(r, 0, "operator"))
        return false;
    if (v_plain(r, 1, "state") && strcmp(r->v[1], "disabled") == 0)
        return OUT(_("operator %s is disabled at this station"), r->v[0]);
    return OUT(_("operator %s is not known at this station"), r->v[0]);
}

/* A refused sign-in at the console (the operator's own name is on the
 * form: not repeated). */
static bool
sign_in_refused(render_t *r)
{
    if (!v_plain(r, 0, "reason"))
        return false;
    const char *why = r->v[0];
    if (strcmp(why, "locked") == 0)
        return v_wait(r, 1, "retry_after") && OUT(_("too many wrong PINs: try again in %s"), r->v[1]);
    if (strcmp(why, "pin") == 0)
        return OUT("%s", _("wrong PIN"));
    if (strcmp(why, "unknown") == 0)
        return OUT("%s", _("there is no operator of that name at this station"));
    if (strcmp(why, "disabled") == 0)
        return OUT("%s", _("this operator is disabled at this station"));
    if (strcmp(why, "no_pin") == 0)
        return OUT("%s", _("this operator has no PIN yet: ask the station's administrator to set one"));
    return false;
}

static bool
malformed(render_t *r)
{
    return v_plain(r, 0, "field") && OUT(_("the message is not valid (field %s)"), r->v[0]);
}

typedef bool (*render_fn)(render_t *r);

/* The codes that carry values (PROTOCOL.md's table), by code. */
static const render_fn renderers[HB_RESULT_LAST + 1] = {
    [HB_RESULT_DUPLICATE] = duplicate,
    [HB_RESULT_EXISTS_WITH_DIFFERENT_PAYLOAD] = exists_different,
    [HB_RESULT_MALFORMED] = malformed,
    [HB_RESULT_NOT_AUTHORIZED] = not_authorized,
    [HB_RESULT_UNKNOWN_MEMBER] = unknown_member,
    [HB_RESULT_UNKNOWN_CATEGORY] = unknown_category,
    [HB_RESULT_INVALID_DURATION] = invalid_duration,
    [HB_RESULT_SELF_SERVICE] = self_service,
    [HB_RESULT_INSUFFICIENT_BALANCE] = insufficient_balance,
    [HB_RESULT_CAP_EXCEEDED] = cap_exceeded,
    [HB_RESULT_DAILY_LIMIT_EXCEEDED] = daily_limit,
    [HB_RESULT_OCCURRED_IN_FUTURE] = in_future,
    [HB_RESULT_TOO_OLD] = too_old,
    [HB_RESULT_ALREADY_VOIDED] = already_voided,
    [HB_RESULT_UNKNOWN_OPERATION] = unknown_operation,
    [HB_RESULT_NOT_VOIDABLE] = not_voidable,
    [HB_RESULT_NOT_FAMILY] = not_family,
    [HB_RESULT_BUDGET_EXHAUSTED] = budget_exhausted,
    [HB_RESULT_REGISTRATION_REFUSED] = registration_refused,
    [HB_RESULT_NO_DISTRICT_RULES] = no_district_rules,
    [HB_RESULT_OUTBOX_FULL] = outbox_full,
    [HB_RESULT_NOT_FOUND] = not_found,
    [HB_RESULT_UNKNOWN_OPERATOR] = unknown_operator,
    [HB_RESULT_MEMBER_LEFT] = member_left,
    [HB_RESULT_OPENING_EXISTS] = opening_exists,
    [HB_RESULT_POSSIBLE_DUPLICATE] = possible_duplicate,
    [HB_RESULT_ALREADY_HOME] = already_home,
    [HB_RESULT_SIGN_IN_REFUSED] = sign_in_refused,
};

char *
hb_cli_result_render(char *buf, size_t size, int code, Hourbank__Param *const *params, size_t n_params,
                     const char *message, hb_cli_result_namer_t namer, void *ctx)
{
    hb_assert(buf && size > 0 && (params || n_params == 0));
    render_t *r = calloc(1, sizeof *r);
    bool known = hb_result_is_known(code);
    render_fn fn = known ? renderers[code] : NULL;
    bool done = false;
    if (r) {
        *r = (render_t){.params = params, .n = n_params, .namer = namer, .ctx = ctx, .buf = buf, .size = size};
        done = fn && n_params > 0 && fn(r);
        free(r);
    }
    if (done)
        return buf;
    /* refused for the op's own fields: the code in words, the field's
     * English line (for district IT) after it */
    const char *detail = NULL;
    for (size_t i = 0; i < n_params; i++)
        if (params[i] && params[i]->name && strcmp(params[i]->name, "detail") == 0)
            detail = params[i]->value;
    if (known && detail && detail[0]) {
        char line[HB_MESSAGE_BYTES_MAX];
        hb_cli_format_line(line, sizeof line, detail);
        snprintf(buf, size, "%s (%s)", _(hb_result_text((hb_result_t) code)), line);
        return buf;
    }
    /* a code that has values but arrived without any was stored before
     * values existed: its message says it. In English a peer's message is
     * its own words and may say more than the code (MALFORMED's field). */
    bool legacy = fn && code != HB_RESULT_MALFORMED && code != HB_RESULT_NOT_FOUND && n_params == 0;
    if (message && message[0] && (legacy || strcmp(hb_i18n_lang(), "en") == 0))
        return hb_cli_format_line(buf, size, message);
    if (known)
        snprintf(buf, size, "%s", _(hb_result_text((hb_result_t) code)));
    else
        snprintf(buf, size, _("unknown result code %d"), code);
    return buf;
}

char *
hb_cli_result_tag(char *buf, size_t size, int code)
{
    hb_assert(buf && size > 0);
    if (strcmp(hb_i18n_lang(), "en") == 0)
        snprintf(buf, size, "%s", hb_result_name((hb_result_t) code));
    else
        snprintf(buf, size, _("code %d"), code);
    return buf;
}
