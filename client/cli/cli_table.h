/* cli_table.h - aligned text tables for human output.
 *
 * Cells are added left to right, row by row; a row is complete when it has
 * as many cells as the table has columns. Columns are as wide as their
 * widest cell in terminal columns (wide characters count two, see
 * cli_utf8.h), separated by two spaces; the last column is not padded.
 * Cells are made one-line (control characters become spaces).
 */
#ifndef HB_CLI_TABLE_H
#define HB_CLI_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct hb_cli_table hb_cli_table_t;

/* headers: columns strings, borrowed until the table is destroyed; NULL
 * for a table without a header row (e.g. "key  value" listings).
 * 1..HB_CLI_TABLE_COLUMNS_MAX columns. Caller owns the result; NULL when
 * memory runs out. */
hb_cli_table_t *hb_cli_table_new(size_t columns, const char *const *headers);
void hb_cli_table_destroy(hb_cli_table_t **self_p);

/* Right-aligns a column (numbers, durations). */
void hb_cli_table_align_right(hb_cli_table_t *self, size_t column);

/* Appends the next cell, printf-style (copied). When memory runs out the
 * table remembers it and hb_cli_table_print fails. More than
 * HB_CLI_TABLE_ROWS_MAX rows is a bug. */
void hb_cli_table_cell(hb_cli_table_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Rows added so far (complete or not), header not included. */
size_t hb_cli_table_rows(const hb_cli_table_t *self);

/* Prints the header (if any) and every row. Returns 0, or -1 without
 * printing anything if memory ran out while cells were added. An
 * incomplete last row is a bug. */
int hb_cli_table_print(const hb_cli_table_t *self, FILE *out);

/* Prints the table and destroys it (*self_p = NULL). Returns 0, or -1 if
 * memory ran out (then nothing is printed). */
int hb_cli_table_finish(hb_cli_table_t **self_p, FILE *out);

#endif
