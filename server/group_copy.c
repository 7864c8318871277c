/* group_copy.c - the new op and transfer rows of a group commit in the
 * text format of PostgreSQL's COPY, written from the book. group.c sends
 * them (hb_group_copy_ops_sql, hb_group_copy_xfers_sql). */
#include "group_copy.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "hb_assert.h"
#include "posting.h"

static const char *const XFER_KIND_NAMES[] = {
    [HB_XFER_SERVICE] = "service", [HB_XFER_OVERFLOW] = "overflow", [HB_XFER_GIFT] = "gift", [HB_XFER_VOID] = "void",
    [HB_XFER_DONATION] = "donation", [HB_XFER_LEAVE] = "leave", [HB_XFER_OPENING] = "opening"};


/* A text field of COPY's text format: NULL is \N; backslash, tab, newline
 * and carriage return are escaped. Ends with the tab or newline given.
 * Runs without those characters go out in one fwrite: a character at a
 * time, fputc was a quarter of central's CPU during ingestion (perf,
 * tests/bench/RESULTS.md). */
static void
copy_text(FILE *f, const char *s, char end)
{
    if (!s) {
        fputs("\\N", f);
    } else {
        while (*s) {
            size_t n = strcspn(s, "\\\t\n\r");
            fwrite(s, 1, n, f);
            s += n;
            switch (*s) {
            case '\\': fputs("\\\\", f); break;
            case '\t': fputs("\\t", f); break;
            case '\n': fputs("\\n", f); break;
            case '\r': fputs("\\r", f); break;
            default: continue;  /* the end of s */
            }
            s++;
        }
    }
    fputc(end, f);
}

static void
copy_int(FILE *f, int64_t v, bool zero_is_null, char end)
{
    if (zero_is_null && v == 0)
        fputs("\\N", f);
    else
        fprintf(f, "%" PRId64, v);
    fputc(end, f);
}

/* occurred_at as timestamptz input, in UTC; outside what hb_wire accepts
 * (only refused ops) as -infinity/infinity, as hb_reject_op() stores it. */
static void
copy_time(FILE *f, int64_t s, char end)
{
    if (s < 0 || s > HB_OCCURRED_AT_S_MAX) {
        fputs(s < 0 ? "-infinity" : "infinity", f);
    } else {
        time_t t = (time_t) s;
        struct tm tm;
        hb_assert(gmtime_r(&t, &tm));
        fprintf(f, "%04d-%02d-%02d %02d:%02d:%02d+00", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
    }
    fputc(end, f);
}

void
hb_group_copy_op_rows(const hb_book_t *b, FILE *f)
{
    for (size_t i = 0; i < b->n_new_ops; i++) {
        const hb_book_op_t *op = b->new_ops[i];
        char hex[2 + 2 * HB_HASH_BYTES + 1] = "\\x";
        sodium_bin2hex(hex + 2, sizeof hex - 2, op->hash, HB_HASH_BYTES);
        copy_int(f, op->station_id, false, '\t');
        copy_int(f, (int64_t) op->seq, false, '\t');
        copy_text(f, hex, '\t');
        copy_text(f, hb_posting_kind_name(op->kind), '\t');
        copy_int(f, op->result, false, '\t');
        copy_text(f, op->params, '\t');
        copy_int(f, (int64_t) op->transfer_id, true, '\t');
        copy_time(f, op->occurred_s, '\t');
        copy_text(f, op->operator_name, '\t');
        copy_text(f, op->member, '\t');
        copy_text(f, op->counterpart, '\t');
        copy_int(f, op->minutes, true, '\t');
        copy_text(f, op->category, '\t');
        copy_text(f, op->note, '\t');
        copy_int(f, op->target_station, true, '\t');
        copy_int(f, (int64_t) op->target_seq, true, '\t');
        copy_int(f, b->version, false, '\t');
        copy_text(f, op->payer, '\t');
        if (op->payer_rule < 0)
            copy_text(f, NULL, '\t');
        else
            copy_int(f, op->payer_rule, false, '\t');
        copy_text(f, op->member_district, '\t');
        copy_text(f, op->counterpart_district, '\t');
        copy_text(f, op->payer_district, '\t');
        copy_text(f, op->service_day, '\t');
        copy_text(f, op->posted_day, '\n');
    }
}

void
hb_group_copy_transfer_rows(const hb_book_t *b, FILE *f)
{
    for (size_t i = 0; i < b->n_transfers; i++) {
        const hb_book_transfer_t *t = &b->transfer_rows[i];
        if (!t->is_new)
            continue;
        copy_int(f, t->id, false, '\t');
        copy_int(f, t->debit->id, false, '\t');
        copy_int(f, t->credit->id, false, '\t');
        copy_int(f, t->minutes, false, '\t');
        copy_text(f, XFER_KIND_NAMES[t->kind], '\t');
        copy_text(f, t->category, '\t');
        copy_int(f, t->station_id, false, '\t');
        copy_int(f, (int64_t) t->seq, false, '\t');
        copy_time(f, t->occurred_s, '\t');
        copy_int(f, t->reverses, true, '\t');
        copy_text(f, t->note, '\t');
        copy_int(f, b->version, false, '\n');
    }
}

/* One COPY ... FROM STDIN of rows written by fill; nothing when empty. */
