/* cli_categories.c - the service catalogue. */
#include "cli_categories.h"
#include "cli_json.h"
#include "cli_report.h"
#include "cli_table.h"
#include "cli_target.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

static int
print_categories(hb_cli_t *cli, const Hourbank__CategoriesReply *r)
{
    if (cli->json) {
        hb_cli_json_t j;
        hb_cli_json_init(&j, cli->out);
        hb_cli_json_object_begin(&j);
        hb_cli_json_key(&j, "categories");
        hb_cli_json_array_begin(&j);
        for (size_t i = 0; i < r->n_categories; i++) {
            hb_cli_json_object_begin(&j);
            hb_cli_json_kv_string(&j, "name", r->categories[i]->name);
            hb_cli_json_kv_string(&j, "description", r->categories[i]->description);
            hb_cli_json_object_end(&j);
        }
        hb_cli_json_array_end(&j);
        hb_cli_json_object_end(&j);
        hb_cli_json_finish(&j);
        return 0;
    }
    if (r->n_categories == 0) {
        fprintf(cli->out, "%s\n", _("no categories known yet: the station learns them from central"));
        return 0;
    }
    const char *const headers[] = {_("CATEGORY"), _("DESCRIPTION")};
    hb_cli_table_t *tab = hb_cli_table_new(2, headers);
    if (!tab)
        return hb_cli_report_out_of_memory(cli);
    for (size_t i = 0; i < r->n_categories; i++) {
        hb_cli_table_cell(tab, "%s", r->categories[i]->name);
        hb_cli_table_cell(tab, "%s", r->categories[i]->description ? r->categories[i]->description : "");
    }
    return hb_cli_table_finish(&tab, cli->out) == 0 ? 0 : hb_cli_report_out_of_memory(cli);
}

static int
run_categories(hb_cli_t *cli, const hb_cli_args_t *args)
{
    (void) args;
    Hourbank__CategoriesQuery q;
    hourbank__categories_query__init(&q);
    Hourbank__Envelope req, *reply = NULL;
    hb_wire_envelope_init(&req, 0);
    req.body_case = HOURBANK__ENVELOPE__BODY_CATEGORIES_QUERY;
    req.categories_query = &q;
    int rc = hb_cli_target_station(cli, &req, &reply);
    if (rc == 0)
        rc = hb_cli_target_expect(cli, reply, HOURBANK__ENVELOPE__BODY_CATEGORIES_REPLY, _("could not list the categories"));
    if (rc == 0)
        rc = print_categories(cli, reply->categories_reply);
    hb_wire_free(&reply);
    return rc;
}

const hb_cli_command_t hb_cli_categories_list = {
    .name = "categories",
    .operands = "",
    .summary = N_("list the service categories a record may name"),
    .description = N_("Lists the service categories of the city's catalogue, as this station knows them.\n"
                   "record --category takes one of these names."),
    .target = HB_CLI_TARGET_STATION,
    .opts = NULL,
    .run = run_categories,
};
