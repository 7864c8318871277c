/* cli_names.c - members' names from the station, asked once per run. */
#include "cli_names.h"
#include "cli_result.h"
#include "cli_member.h"
#include "cli_command.h"
#include "cli_format.h"
#include "cli_target.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_memberno.h"
#include "hb_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Members whose names one run remembers (a queue page names a few). */
#define NAMES_MAX 64

struct hb_cli_names {
    struct {
        char no[HB_MEMBER_NO_BUF_BYTES];
        char name[HB_NAME_BYTES_MAX + 1];  /* "" = the station did not say */
    } m[NAMES_MAX];
    size_t count;
};

/* Asks the station for exactly this member, quietly; name "" when it does
 * not answer or does not know the number. */
static void
ask_name(hb_cli_t *cli, char *no, char *name, size_t size)
{
    name[0] = '\0';
    Hourbank__MemberQuery q;
    hourbank__member_query__init(&q);
    char empty[] = "";
    q.member_no = no;
    q.text = empty;
    Hourbank__Envelope req, *reply = NULL;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_MEMBER_QUERY;
    req.member_query = &q;
    bool quiet = cli->quiet;
    cli->quiet = true;
    if (hb_cli_target_station(cli, &req, &reply) == 0 && reply->body_case == HOURBANK__ENVELOPE__BODY_MEMBER_REPLY)
        for (size_t i = 0; i < reply->member_reply->n_members; i++)
            if (hb_cli_member_has_number(reply->member_reply->members[i], no))  /* a later number too */
                snprintf(name, size, "%s", reply->member_reply->members[i]->name);
    cli->quiet = quiet;
    hb_wire_free(&reply);
}

const char *
hb_cli_names_namer(void *ctx, const char *member_no)
{
    hb_cli_t *cli = ctx;
    hb_assert(cli && member_no);
    char no[HB_MEMBER_NO_BUF_BYTES];
    if (cli->target != HB_CLI_TARGET_STATION || hb_memberno_parse(member_no, NULL, NULL) != HB_RESULT_OK ||
        strlen(member_no) >= sizeof no)
        return NULL;
    if (!cli->names && !(cli->names = calloc(1, sizeof *cli->names)))
        return NULL;  /* out of memory: the number alone */
    struct hb_cli_names *n = cli->names;
    for (size_t i = 0; i < n->count; i++)
        if (strcmp(n->m[i].no, member_no) == 0)
            return n->m[i].name[0] ? n->m[i].name : NULL;
    if (n->count == NAMES_MAX)
        return NULL;
    snprintf(no, sizeof no, "%s", member_no);
    size_t i = n->count++;
    snprintf(n->m[i].no, sizeof n->m[i].no, "%s", no);
    ask_name(cli, no, n->m[i].name, sizeof n->m[i].name);
    return n->m[i].name[0] ? n->m[i].name : NULL;
}

char *
hb_cli_names_member(hb_cli_t *cli, char *buf, size_t size, const char *member_no)
{
    hb_assert(cli && buf && size > 0 && member_no);
    const char *who = hb_cli_names_namer(cli, member_no);
    char line[HB_NAME_BYTES_MAX + 1];
    if (who && who[0])
        snprintf(buf, size, _("%s (%s)"), hb_cli_format_line(line, sizeof line, who), member_no);
    else
        hb_cli_format_line(buf, size, member_no);
    return buf;
}

void
hb_cli_names_free(hb_cli_t *cli)
{
    hb_assert(cli);
    free(cli->names);
    cli->names = NULL;
}

char *
hb_cli_result_text(hb_cli_t *cli, char *buf, size_t size, int code, Hourbank__Param *const *params,
                   size_t n_params, const char *message)
{
    hb_assert(cli);
    bool station = cli->target == HB_CLI_TARGET_STATION;
    return hb_cli_result_render(buf, size, code, params, n_params, message, station ? hb_cli_names_namer : NULL, cli);
}
