/* cli_table.c - column widths from the data, then printf. */
#include "cli_table.h"
#include "cli.h"
#include "cli_format.h"
#include "cli_utf8.h"
#include "hb_assert.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Spaces between two columns. */
#define GUTTER_SPACES 2
/* Cells allocated first; doubles as needed. */
#define CELLS_FIRST 64

struct hb_cli_table {
    size_t columns;
    const char *const *headers;             /* borrowed, may be NULL */
    bool right[HB_CLI_TABLE_COLUMNS_MAX];
    char **cells;                           /* owned, row-major */
    size_t count;
    size_t capacity;
    bool failed;                            /* memory ran out in a cell */
};

hb_cli_table_t *
hb_cli_table_new(size_t columns, const char *const *headers)
{
    hb_assert(columns >= 1 && columns <= HB_CLI_TABLE_COLUMNS_MAX);
    hb_cli_table_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->columns = columns;
    self->headers = headers;
    return self;
}

void
hb_cli_table_destroy(hb_cli_table_t **self_p)
{
    hb_assert(self_p);
    hb_cli_table_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        free(self->cells[i]);
    free(self->cells);
    free(self);
    *self_p = NULL;
}

void
hb_cli_table_align_right(hb_cli_table_t *self, size_t column)
{
    hb_assert(self && column < self->columns);
    self->right[column] = true;
}

void
hb_cli_table_cell(hb_cli_table_t *self, const char *fmt, ...)
{
    hb_assert(self && fmt);
    hb_assert(self->count < (size_t) HB_CLI_TABLE_ROWS_MAX * self->columns);
    if (self->count == self->capacity) {
        size_t cap = self->capacity ? self->capacity * 2 : CELLS_FIRST;
        char **grown = realloc(self->cells, cap * sizeof *grown);
        if (!grown) {
            self->failed = true;
            return;
        }
        self->cells = grown;
        self->capacity = cap;
    }
    char raw[HB_CLI_TEXT_BYTES_MAX], line[HB_CLI_TEXT_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    char *cell = strdup(hb_cli_format_line(line, sizeof line, raw));
    if (!cell) {
        self->failed = true;
        return;
    }
    self->cells[self->count++] = cell;
}

size_t
hb_cli_table_rows(const hb_cli_table_t *self)
{
    hb_assert(self);
    return (self->count + self->columns - 1) / self->columns;
}

static void
print_row(const hb_cli_table_t *self, const char *const *row, const size_t *widths, FILE *out)
{
    /* trailing empty cells are not padded */
    size_t last = self->columns;
    while (last > 1 && row[last - 1][0] == '\0' && !self->right[last - 1])
        last--;
    for (size_t c = 0; c < last; c++) {
        size_t pad = widths[c] - hb_cli_utf8_width(row[c]);
        bool final = c + 1 == last;
        if (self->right[c])
            fprintf(out, "%*s", (int) pad, "");
        fputs(row[c], out);
        if (!final && !self->right[c])
            fprintf(out, "%*s", (int) pad, "");
        if (!final)
            fprintf(out, "%*s", GUTTER_SPACES, "");
    }
    fputc('\n', out);
}

int
hb_cli_table_print(const hb_cli_table_t *self, FILE *out)
{
    hb_assert(self && out);
    if (self->failed)
        return -1;
    hb_assert(self->count % self->columns == 0);
    size_t widths[HB_CLI_TABLE_COLUMNS_MAX] = {0};
    for (size_t c = 0; c < self->columns && self->headers; c++)
        widths[c] = hb_cli_utf8_width(self->headers[c]);
    for (size_t i = 0; i < self->count; i++) {
        size_t w = hb_cli_utf8_width(self->cells[i]);
        if (w > widths[i % self->columns])
            widths[i % self->columns] = w;
    }
    if (self->headers)
        print_row(self, self->headers, widths, out);
    for (size_t i = 0; i < self->count; i += self->columns)
        print_row(self, (const char *const *) &self->cells[i], widths, out);
    return 0;
}

int
hb_cli_table_finish(hb_cli_table_t **self_p, FILE *out)
{
    hb_assert(self_p && *self_p);
    int rc = hb_cli_table_print(*self_p, out);
    hb_cli_table_destroy(self_p);
    return rc;
}
