/* cli_confirm.h - what a save says back to the operator.
 *
 *   saved as 1:42 (pending sync)
 *     Zhang Wei (QX03-000001-7) served Li Na (QX03-000002-5) for 1 h 30 min (personal-care)
 *     payer: the guarantee (payer rule 0)
 *     central will decide: <a result in words>
 *
 * Every member is named as "Name (NUMBER)" when the station knows the name
 * (cli_names.h), else by number alone. The payer line is the station's
 * forecast from its copy of the rules (a service only; a dry run also says
 * when the station cannot tell); the cautions are what the station could
 * not settle (SaveReply.cautions). A dry run's first line says nothing was
 * saved. With --json one object: {member_no? (new_member_no? of a move), op_ref, station_id, seq,
 * status ("pending" or "dry_run"), repeated, dry_run, members [{role,
 * member_no, name}] (roles: provider, recipient, giver, receiver, donor,
 * member, family, family_added, family_removed, leaver, heir), payer, payer_rule, cautions [{code, message}]}.
 */
#ifndef HB_CLI_CONFIRM_H
#define HB_CLI_CONFIRM_H

#include "cli.h"
#include "hourbank.pb-c.h"

/* op: the op as sent (borrowed); saved: the station's reply (borrowed);
 * member_no: for a registration or a move the number the station gave
 * (JSON: member_no, or new_member_no for a move), else NULL. The ops of
 * members' lives (amend, move, leave, opening) say one line here; their
 * commands add the details (cli_life.c). */
void hb_cli_confirm_print(hb_cli_t *cli, const Hourbank__Op *op, const Hourbank__SaveReply *saved,
                          const char *member_no);

#endif
