/* cli_confirm.c - what a save (or a dry run) says back: its reference, the
 * op in words with every member as "Name (NUMBER)", who pays as the
 * station foresees it, and what central will decide (SaveReply.cautions). */
#include "cli_confirm.h"
#include "cli_format.h"
#include "cli_json.h"
#include "cli_names.h"
#include "cli_result.h"
#include "cli_target.h"
#include "cli_words.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_memberno.h"
#include "hb_result.h"
#include "hb_wire.h"

#include <stdio.h>
#include <string.h>

/* A member as shown: the name with the number. */
#define WHO_BYTES (HB_NAME_BYTES_MAX + HB_MEMBER_NO_BUF_BYTES + HB_CLI_FORMAT_BYTES)
/* The payer SaveReply names when the guarantee pays. */
#define PAYER_GUARANTEE "guarantee"

/* ---- the op in words ---- */

/* text with every member number in it named: "QX03-000001-7 → ..."
 * becomes "Zhang Wei (QX03-000001-7) → ...". */
static void
name_numbers(hb_cli_t *cli, char *out, size_t size, const char *text)
{
    size_t o = 0;
    out[0] = '\0';
    while (*text && o + 1 < size) {
        size_t n = strcspn(text, " ");
        char word[HB_MEMBER_NO_BUF_BYTES], who[WHO_BYTES];
        const char *shown = NULL;
        if (n > 0 && n < sizeof word) {
            memcpy(word, text, n);
            word[n] = '\0';
            if (hb_memberno_parse(word, NULL, NULL) == HB_RESULT_OK)
                shown = hb_cli_names_member(cli, who, sizeof who, word);
        }
        int w = shown ? snprintf(out + o, size - o, "%s", shown) : snprintf(out + o, size - o, "%.*s", (int) n, text);
        o += w > 0 ? (size_t) w : 0;
        text += n;
        for (; *text == ' ' && o + 1 < size; text++)
            out[o++] = ' ', out[o] = '\0';
        if (o >= size)
            o = size - 1;
    }
}

/* The summary the station holds for this station's op seq ("" when it does
 * not hold it or does not answer), translated, members named. */
static void
target_words(hb_cli_t *cli, uint32_t station_id, uint64_t seq, char *out, size_t size)
{
    out[0] = '\0';
    if (station_id == 0 || station_id != cli->station_id)
        return;
    Hourbank__QueueQuery q;
    hourbank__queue_query__init(&q);
    q.seq = seq;
    Hourbank__Envelope req, *reply = NULL;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_QUEUE_QUERY;
    req.queue_query = &q;
    bool quiet = cli->quiet;
    cli->quiet = true;
    if (hb_cli_target_station(cli, &req, &reply) == 0 && reply->body_case == HOURBANK__ENVELOPE__BODY_QUEUE_REPLY &&
        reply->queue_reply->n_ops == 1 && reply->queue_reply->ops[0]->seq == seq) {
        char words[HB_CLI_TEXT_BYTES_MAX];
        hb_cli_words_summary(words, sizeof words, reply->queue_reply->ops[0]->summary);
        name_numbers(cli, out, size, words);
    }
    cli->quiet = quiet;
    hb_wire_free(&reply);
}

static void
print_register(hb_cli_t *cli, const Hourbank__RegisterMember *reg, const char *member_no)
{
    char name[HB_NAME_BYTES_MAX + 1], family[WHO_BYTES];
    hb_cli_format_line(name, sizeof name, reg->name);
    if (reg->family_of && reg->family_of[0])
        fprintf(cli->out, _("  %s (%s), family of %s\n"), name, member_no,
                hb_cli_names_member(cli, family, sizeof family, reg->family_of));
    else
        fprintf(cli->out, _("  %s (%s)\n"), name, member_no);
}

/* The ops of members' lives, one line each (`member amend`, `move` and
 * `leave` say more: cli_life.c). member_no: a move's new number. */
static void
print_life(hb_cli_t *cli, const Hourbank__Op *op, const char *member_no)
{
    char a[WHO_BYTES], d[HB_CLI_FORMAT_BYTES];
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_AMEND:
        fprintf(cli->out, _("  corrects %s\n"), hb_cli_names_member(cli, a, sizeof a, op->amend->member_no));
        break;
    case HOURBANK__OP__KIND_MOVE:
        if (member_no && member_no[0])
            fprintf(cli->out, _("  %s moves to this station's community, new member number %s\n"),
                    hb_cli_names_member(cli, a, sizeof a, op->move->member_no), member_no);
        else
            fprintf(cli->out, _("  %s moves to this station's community\n"),
                    hb_cli_names_member(cli, a, sizeof a, op->move->member_no));
        break;
    case HOURBANK__OP__KIND_LEAVE:
        fprintf(cli->out, op->leave->died ? _("  %s has died and leaves the scheme\n") : _("  %s leaves the scheme\n"),
                hb_cli_names_member(cli, a, sizeof a, op->leave->member_no));
        break;
    case HOURBANK__OP__KIND_OPENING:
        fprintf(cli->out, _("  opening balance of %s: %s, brought in from the paper books\n"),
                hb_cli_names_member(cli, a, sizeof a, op->opening->member_no),
                hb_cli_format_duration(d, sizeof d, op->opening->minutes, true));
        break;
    default: hb_unreachable();
    }
}

static void
print_op(hb_cli_t *cli, const Hourbank__Op *op, const char *member_no)
{
    char a[WHO_BYTES], b[WHO_BYTES], d[HB_CLI_FORMAT_BYTES], ref[HB_CLI_FORMAT_BYTES], t[HB_CLI_TEXT_BYTES_MAX];
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_REGISTER_MEMBER:
        if (member_no && member_no[0])
            print_register(cli, op->register_member, member_no);
        break;
    case HOURBANK__OP__KIND_SERVICE:
        fprintf(cli->out, _("  %s served %s for %s (%s)\n"), hb_cli_names_member(cli, a, sizeof a, op->service->provider),
                hb_cli_names_member(cli, b, sizeof b, op->service->recipient),
                hb_cli_format_duration(d, sizeof d, op->service->minutes, false), op->service->category);
        break;
    case HOURBANK__OP__KIND_GIFT:
        fprintf(cli->out, _("  %s gives %s to %s\n"), hb_cli_names_member(cli, a, sizeof a, op->gift->from_member),
                hb_cli_format_duration(d, sizeof d, op->gift->minutes, false),
                hb_cli_names_member(cli, b, sizeof b, op->gift->to_member));
        break;
    case HOURBANK__OP__KIND_DONATION:
        fprintf(cli->out, _("  %s gives %s to the pool\n"), hb_cli_names_member(cli, a, sizeof a, op->donation->member),
                hb_cli_format_duration(d, sizeof d, op->donation->minutes, false));
        break;
    case HOURBANK__OP__KIND_AMEND:
    case HOURBANK__OP__KIND_MOVE:
    case HOURBANK__OP__KIND_LEAVE:
    case HOURBANK__OP__KIND_OPENING: print_life(cli, op, member_no); break;
    case HOURBANK__OP__KIND_VOID_OP:
        hb_cli_format_op_ref(ref, sizeof ref, op->void_op->target->station_id, op->void_op->target->seq);
        target_words(cli, op->void_op->target->station_id, op->void_op->target->seq, t, sizeof t);
        if (t[0])
            fprintf(cli->out, _("  cancels %s: %s\n"), ref, t);
        else
            fprintf(cli->out, _("  cancels %s\n"), ref);
        break;
    default: break;
    }
}

/* ---- who pays, and what central will decide ---- */

static void
print_payer(hb_cli_t *cli, const Hourbank__Op *op, const Hourbank__SaveReply *saved)
{
    char who[WHO_BYTES];
    if (op->kind_case != HOURBANK__OP__KIND_SERVICE)
        return;
    if (saved->payer && strcmp(saved->payer, PAYER_GUARANTEE) == 0)
        fprintf(cli->out, _("  payer: the guarantee (payer rule %d)\n"), (int) saved->payer_rule);
    else if (saved->payer && saved->payer[0] && saved->payer_rule >= 0)
        fprintf(cli->out, _("  payer: the recipient, %s (payer rule %d)\n"),
                hb_cli_names_member(cli, who, sizeof who, saved->payer), (int) saved->payer_rule);
    else if (saved->payer && saved->payer[0])
        fprintf(cli->out, _("  payer: the recipient, %s\n"), hb_cli_names_member(cli, who, sizeof who, saved->payer));
    else if (saved->dry_run)
        fprintf(cli->out, "%s\n", _("  payer: the station cannot tell yet (it has no copy of the rules, or the "
                                    "recipient is not in its directory); central decides"));
}

static void
print_cautions(hb_cli_t *cli, const Hourbank__SaveReply *saved)
{
    char why[HB_CLI_TEXT_BYTES_MAX];
    for (size_t i = 0; i < saved->n_cautions; i++) {
        const Hourbank__Caution *c = saved->cautions[i];
        hb_cli_result_text(cli, why, sizeof why, (int) c->code, c->params, c->n_params, NULL);
        fprintf(cli->out, _("  central will decide: %s\n"), why);
    }
}

/* ---- the first line ---- */

static void
print_head(hb_cli_t *cli, const Hourbank__SaveReply *saved, const char *member_no, const char *ref)
{
    if (saved->dry_run)
        fprintf(cli->out, "%s\n", _("dry run: the station would save this; nothing was saved"));
    else if (saved->repeated)
        fprintf(cli->out, member_no ? _("%s already registered, saved as %s by an earlier attempt with this request "
                                        "id: nothing new was saved (see hourbank queue show %s)\n")
                                    : _("%salready saved as %s by an earlier attempt with this request id: nothing "
                                        "new was saved (see hourbank queue show %s)\n"),
                member_no ? member_no : "", ref, ref);
    else if (member_no)
        fprintf(cli->out, _("%s registered, saved as %s (pending sync)\n"), member_no, ref);
    else
        fprintf(cli->out, _("saved as %s (pending sync)\n"), ref);
}

/* ---- JSON ---- */

static void
json_member(hb_cli_t *cli, hb_cli_json_t *j, const char *role, const char *no, const char *name)
{
    hb_cli_json_object_begin(j);
    hb_cli_json_kv_string(j, "role", role);
    hb_cli_json_kv_string(j, "member_no", no);
    hb_cli_json_kv_string(j, "name", name ? name : hb_cli_names_namer(cli, no));
    hb_cli_json_object_end(j);
}

static void
json_members(hb_cli_t *cli, hb_cli_json_t *j, const Hourbank__Op *op, const char *member_no)
{
    hb_cli_json_key(j, "members");
    hb_cli_json_array_begin(j);
    switch (op->kind_case) {
    case HOURBANK__OP__KIND_REGISTER_MEMBER:
        if (member_no && member_no[0])
            json_member(cli, j, "member", member_no, op->register_member->name);
        if (op->register_member->family_of && op->register_member->family_of[0])
            json_member(cli, j, "family", op->register_member->family_of, NULL);
        break;
    case HOURBANK__OP__KIND_SERVICE:
        json_member(cli, j, "provider", op->service->provider, NULL);
        json_member(cli, j, "recipient", op->service->recipient, NULL);
        break;
    case HOURBANK__OP__KIND_GIFT:
        json_member(cli, j, "giver", op->gift->from_member, NULL);
        json_member(cli, j, "receiver", op->gift->to_member, NULL);
        break;
    case HOURBANK__OP__KIND_DONATION: json_member(cli, j, "donor", op->donation->member, NULL); break;
    case HOURBANK__OP__KIND_AMEND:
        json_member(cli, j, "member", op->amend->member_no, NULL);
        for (size_t i = 0; i < op->amend->n_add_family; i++)
            json_member(cli, j, "family_added", op->amend->add_family[i]->member_no, NULL);
        for (size_t i = 0; i < op->amend->n_remove_family; i++)
            json_member(cli, j, "family_removed", op->amend->remove_family[i], NULL);
        break;
    case HOURBANK__OP__KIND_MOVE: json_member(cli, j, "member", op->move->member_no, NULL); break;
    case HOURBANK__OP__KIND_LEAVE:
        json_member(cli, j, "leaver", op->leave->member_no, NULL);
        for (size_t i = 0; i < op->leave->n_heirs; i++)
            json_member(cli, j, "heir", op->leave->heirs[i], NULL);
        break;
    case HOURBANK__OP__KIND_OPENING: json_member(cli, j, "member", op->opening->member_no, NULL); break;
    default: break;
    }
    hb_cli_json_array_end(j);
}

static void
json_payer(hb_cli_json_t *j, const Hourbank__Op *op, const Hourbank__SaveReply *saved)
{
    bool service = op->kind_case == HOURBANK__OP__KIND_SERVICE, known = service && saved->payer && saved->payer[0];
    hb_cli_json_kv_string(j, "payer", known ? saved->payer : NULL);
    hb_cli_json_key(j, "payer_rule");
    if (known && saved->payer_rule >= 0)
        hb_cli_json_int(j, saved->payer_rule);
    else
        hb_cli_json_null(j);
}

static void
json_cautions(hb_cli_t *cli, hb_cli_json_t *j, const Hourbank__SaveReply *saved)
{
    char why[HB_CLI_TEXT_BYTES_MAX];
    hb_cli_json_key(j, "cautions");
    hb_cli_json_array_begin(j);
    for (size_t i = 0; i < saved->n_cautions; i++) {
        const Hourbank__Caution *c = saved->cautions[i];
        hb_cli_json_object_begin(j);
        hb_cli_json_kv_string(j, "code", hb_result_name((hb_result_t) c->code));
        hb_cli_json_kv_string(j, "message",
                              hb_cli_result_text(cli, why, sizeof why, (int) c->code, c->params, c->n_params, NULL));
        hb_cli_json_object_end(j);
    }
    hb_cli_json_array_end(j);
}

static void
json_confirm(hb_cli_t *cli, const Hourbank__Op *op, const Hourbank__SaveReply *saved, const char *member_no,
             const char *ref)
{
    hb_cli_json_t j;
    hb_cli_json_init(&j, cli->out);
    hb_cli_json_object_begin(&j);
    if (member_no && op->kind_case == HOURBANK__OP__KIND_MOVE)
        hb_cli_json_kv_string(&j, "new_member_no", member_no);
    else if (member_no)
        hb_cli_json_kv_string(&j, "member_no", member_no);
    hb_cli_json_kv_string(&j, "op_ref", cli->station_id && !saved->dry_run ? ref : NULL);
    hb_cli_json_key(&j, "station_id");
    if (cli->station_id)
        hb_cli_json_uint(&j, cli->station_id);
    else
        hb_cli_json_null(&j);
    hb_cli_json_kv_uint(&j, "seq", saved->seq);
    hb_cli_json_kv_string(&j, "status", saved->dry_run ? "dry_run" : "pending");
    hb_cli_json_kv_bool(&j, "repeated", saved->repeated);
    hb_cli_json_kv_bool(&j, "dry_run", saved->dry_run);
    json_members(cli, &j, op, member_no);
    json_payer(&j, op, saved);
    json_cautions(cli, &j, saved);
    hb_cli_json_object_end(&j);
    hb_cli_json_finish(&j);
}

void
hb_cli_confirm_print(hb_cli_t *cli, const Hourbank__Op *op, const Hourbank__SaveReply *saved, const char *member_no)
{
    hb_assert(cli && op && saved);
    if (saved->station_id)
        cli->station_id = saved->station_id;  /* the station says who it is */
    char ref[HB_CLI_FORMAT_BYTES];
    hb_cli_format_op_ref(ref, sizeof ref, cli->station_id, saved->seq);
    if (cli->json) {
        json_confirm(cli, op, saved, member_no, ref);
        return;
    }
    print_head(cli, saved, op->kind_case == HOURBANK__OP__KIND_REGISTER_MEMBER ? member_no : NULL, ref);
    print_op(cli, op, member_no);
    print_payer(cli, op, saved);
    print_cautions(cli, saved);
}
