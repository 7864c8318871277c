/* cli_passbook.h - `passbook`: the passbook an elder takes home. The
 * station and community, the member, the period, one line per entry (day
 * of service, service, hours in, hours out, balance) and the totals, as
 * text exactly 32 or 48 columns wide for a receipt printer
 * (cli_passbook_text.c) or as one self-contained HTML page that prints on
 * A4 or A5 (cli_passbook_html.c), in zh_CN or en. */
#ifndef HB_CLI_PASSBOOK_H
#define HB_CLI_PASSBOOK_H

#include <stdint.h>
#include <stdio.h>

#include "cli_command.h"
#include "cli_period.h"
#include "hourbank.pb-c.h"

extern const hb_cli_command_t hb_cli_passbook_passbook;

/* What a passbook shows; every pointer borrowed from the replies the
 * command holds until it has written the passbook. */
typedef struct {
    const char *station_name;    /* "" when the station did not say */
    uint32_t station_id;         /* 0 when not known either */
    const char *community;       /* the station's community code; "" when unknown */
    const char *community_name;  /* "" when unknown */
    const char *member_no;
    const char *member_name;     /* "" when central did not say */
    const hb_cli_period_t *period;
    int64_t as_of;               /* central's clock when it answered */
    int64_t opening_minutes, in_minutes, out_minutes, closing_minutes;
    uint64_t entries_total;
    const Hourbank__StatementEntry *const *entries;  /* posting order */
    size_t n_entries;
} hb_cli_passbook_t;

/* Writes the passbook as text, every line exactly width (32 or 48)
 * terminal columns wide, in the language in force. */
void hb_cli_passbook_text_write(FILE *out, const hb_cli_passbook_t *pb, int width);
/* Writes the passbook as one HTML page: no external assets, no script,
 * print CSS for paper ("a4" or "a5"); lang "zh_CN" or "en" (the language
 * in force). */
void hb_cli_passbook_html_write(FILE *out, const hb_cli_passbook_t *pb, const char *lang, const char *paper);

#endif
