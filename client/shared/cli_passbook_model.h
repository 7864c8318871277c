/* cli_passbook_model.h - what a passbook shows, assembled from the
 * station's answers (StatementReply pages, RulesReply), and the passbook
 * as HTML (cli_passbook_html.c): shared by the CLI's `passbook` and the
 * console's /passbook, so both print the same book. */
#ifndef HB_CLI_PASSBOOK_MODEL_H
#define HB_CLI_PASSBOOK_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_period_words.h"
#include "hourbank.pb-c.h"

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

/* Fills pb from the first StatementReply page of the period (member,
 * totals, as of) and every page's entries in posting order (borrowed, n
 * of them); the station's part is left as "" (see _station). */
void hb_cli_passbook_model_statement(hb_cli_passbook_t *pb, const hb_cli_period_t *period,
                                     const Hourbank__StatementReply *first,
                                     const Hourbank__StatementEntry *const *entries, size_t n);
/* The station's name, id, community and the community's name from its
 * RulesReply (borrowed). */
void hb_cli_passbook_model_station(hb_cli_passbook_t *pb, const Hourbank__RulesReply *r);

/* Writes the passbook as one HTML page: no external assets, no script,
 * print CSS for paper ("a4" or "a5"); lang "zh_CN" or "en" (the language
 * in force). */
void hb_cli_passbook_html_write(FILE *out, const hb_cli_passbook_t *pb, const char *lang, const char *paper);
/* The passbook's body alone: the header (station, community, member,
 * period) and the table of entries with the totals, without <html>,
 * <head> and style: for a page that brings its own (the console's
 * passbook.css). */
void hb_cli_passbook_html_body(FILE *out, const hb_cli_passbook_t *pb);

#endif
