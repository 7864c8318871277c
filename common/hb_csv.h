/* hb_csv.h - a strict reader of CSV text (RFC 4180) held in memory: what
 * `hourbank import` reads a pilot's spreadsheets with.
 *
 * Accepted: UTF-8 only (a leading byte order mark is skipped); fields
 * separated by commas; records ended by CRLF or LF (the last may have
 * none); a field in double quotes may hold commas, CR, LF and "" (one
 * quote). A line with nothing on it is skipped (spreadsheets end files
 * with one). Every record must have as many fields as the first (the
 * header). Refused, with the line number where the trouble is: a quote
 * inside an unquoted field, text after a closing quote, a CR not followed
 * by LF outside quotes, a byte that is not UTF-8 or is NUL, a field over
 * HB_CSV_FIELD_BYTES_MAX bytes, more than HB_CSV_FIELDS_MAX fields, a
 * wrong number of fields, and a quote never closed.
 *
 * Hand-written: libcsv (Debian) accepts what RFC 4180 does not (quotes in
 * unquoted fields, stray text after a closing quote) without saying
 * where, and reports no line numbers; the reader is small. */
#ifndef HB_CSV_H
#define HB_CSV_H

#include <stddef.h>

typedef struct hb_csv hb_csv_t;

/* A reader of data[0..size) (borrowed: must outlive the reader). Caller
 * owns the result. */
hb_csv_t *hb_csv_new(const char *data, size_t size);
void hb_csv_destroy(hb_csv_t **self_p);

typedef enum {
    HB_CSV_RECORD = 1,   /* a record: its fields */
    HB_CSV_END = 0,      /* no more records */
    HB_CSV_BAD = -1,     /* this record is refused (msg); the next call reads the one after it */
    HB_CSV_FATAL = -2    /* the rest cannot be read (a quote never closed): the end */
} hb_csv_status_t;

/* Reads the next record. RECORD: *fields (n of them, each a
 * NUL-terminated string in UTF-8; borrowed, valid until the next call)
 * and *line, the line where the record starts (1 = the first line).
 * BAD or FATAL: *line says where and msg why (translated, without the
 * line: "a quote inside a field that does not start with one ..."). */
hb_csv_status_t hb_csv_next(hb_csv_t *self, const char *const **fields, size_t *n, size_t *line, char *msg,
                            size_t msg_size);

#endif
