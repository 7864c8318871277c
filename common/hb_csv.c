/* hb_csv.c - the strict CSV reader (hb_csv.h). A record is read field by
 * field into one buffer; a refused record is read to its end (quotes
 * respected) so that the next call starts at the record after it. */
#include "hb_csv.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_limits.h"
#include "hb_utf8.h"

#define BOM "\xEF\xBB\xBF"

struct hb_csv {
    const char *data;
    size_t size, pos;
    size_t line;              /* the line at pos */
    size_t header_fields;     /* of the first record; 0 before it */
    char *buf;                /* the fields of the record read, each NUL-ended */
    size_t used;
    const char *fields[HB_CSV_FIELDS_MAX];
    size_t n;
    char why[HB_CSV_FIELD_BYTES_MAX / 16];  /* the first trouble of the record being read */
    size_t why_line;
    bool fatal;
};

/* Room for every field of a record at its longest, with its NULs. */
#define BUF_BYTES ((size_t) HB_CSV_FIELDS_MAX * (HB_CSV_FIELD_BYTES_MAX + 1))

hb_csv_t *
hb_csv_new(const char *data, size_t size)
{
    hb_assert(data || size == 0);
    hb_csv_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->buf = malloc(BUF_BYTES);
    hb_assert(self->buf);
    self->data = data;
    self->size = size;
    self->line = 1;
    if (size >= strlen(BOM) && memcmp(data, BOM, strlen(BOM)) == 0)
        self->pos = strlen(BOM);
    return self;
}

void
hb_csv_destroy(hb_csv_t **self_p)
{
    hb_assert(self_p);
    hb_csv_t *self = *self_p;
    if (!self)
        return;
    free(self->buf);
    free(self);
    *self_p = NULL;
}

static void trouble(hb_csv_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Notes the record's first trouble (at the current line). */
static void
trouble(hb_csv_t *self, const char *fmt, ...)
{
    if (self->why[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(self->why, sizeof self->why, fmt, ap);
    va_end(ap);
    self->why_line = self->line;
}

static int
peek(const hb_csv_t *self, size_t ahead)
{
    return self->pos + ahead < self->size ? (unsigned char) self->data[self->pos + ahead] : -1;
}

/* Copies one UTF-8 character at pos into the field (when it has room),
 * noting a NUL or a byte that is not UTF-8 (which is then skipped). */
static void
take_char(hb_csv_t *self, size_t *field_len)
{
    uint32_t cp = 0;
    size_t len = hb_utf8_decode((const unsigned char *) self->data + self->pos, self->size - self->pos, &cp);
    if (len == 0 || cp == 0) {
        trouble(self, len == 0 ? _("byte 0x%02X is not UTF-8 (save the file as UTF-8)") : _("a NUL byte (0x%02X)"),
                (unsigned char) self->data[self->pos]);
        self->pos++;
        return;
    }
    if (self->data[self->pos] == '\n')
        self->line++;
    if (*field_len + len > HB_CSV_FIELD_BYTES_MAX)
        trouble(self, _("a field longer than %d bytes"), HB_CSV_FIELD_BYTES_MAX);
    else
        memcpy(self->buf + self->used + *field_len, self->data + self->pos, len);
    if (*field_len + len <= HB_CSV_FIELD_BYTES_MAX)
        *field_len += len;
    self->pos += len;
}

/* A quoted field, pos after its opening quote. */
static void
read_quoted(hb_csv_t *self, size_t *field_len)
{
    size_t opened = self->line;
    for (;;) {
        int c = peek(self, 0);
        if (c < 0) {
            self->fatal = true;
            self->why[0] = '\0';
            trouble(self, "%s", _("a quote opened on this line is never closed: the rest of the file cannot be read"));
            self->why_line = opened;
            return;
        }
        if (c == '"' && peek(self, 1) == '"') {
            self->pos++;  /* "" is one quote: the second is taken below */
        } else if (c == '"') {
            self->pos++;
            c = peek(self, 0);
            if (c >= 0 && c != ',' && c != '\r' && c != '\n')
                trouble(self, _("text after a closing quote (a field in quotes must end at the quote)"));
            return;
        }
        take_char(self, field_len);
    }
}

/* An unquoted field (or what follows a closing quote, which is refused):
 * up to a comma or the end of the line. */
static void
read_bare(hb_csv_t *self, size_t *field_len)
{
    for (int c; (c = peek(self, 0)) >= 0 && c != ',' && c != '\n';) {
        if (c == '\r' && peek(self, 1) == '\n')
            return;
        if (c == '\r')
            trouble(self, _("a carriage return without a line feed outside quotes"));
        else if (c == '"')
            trouble(self, _("a quote inside a field that does not start with one (put the field in quotes and"
                      " double the quote)"));
        take_char(self, field_len);
    }
}

/* One field into buf; true when another follows (a comma was read). */
static bool
read_field(hb_csv_t *self)
{
    size_t len = 0;
    if (peek(self, 0) == '"') {
        self->pos++;
        read_quoted(self, &len);
    }
    if (!self->fatal)
        read_bare(self, &len);  /* nothing, unless text follows a closing quote */
    if (self->n < HB_CSV_FIELDS_MAX) {
        self->buf[self->used + len] = '\0';
        self->fields[self->n] = self->buf + self->used;
        self->used += len + 1;
    } else {
        trouble(self, _("more than %d fields"), HB_CSV_FIELDS_MAX);
    }
    self->n++;
    if (peek(self, 0) == ',') {
        self->pos++;
        return true;
    }
    return false;
}

/* Steps past the record's line end, if any. */
static void
end_line(hb_csv_t *self)
{
    if (peek(self, 0) == '\r' && peek(self, 1) == '\n')
        self->pos++;
    if (peek(self, 0) == '\n') {
        self->pos++;
        self->line++;
    }
}

static bool
blank_line(const hb_csv_t *self)
{
    return peek(self, 0) == '\n' || (peek(self, 0) == '\r' && peek(self, 1) == '\n');
}

hb_csv_status_t
hb_csv_next(hb_csv_t *self, const char *const **fields, size_t *n, size_t *line, char *msg, size_t msg_size)
{
    hb_assert(self && fields && n && line && msg && msg_size > 0);
    msg[0] = '\0';
    while (!self->fatal && blank_line(self))
        end_line(self);
    if (self->fatal || self->pos >= self->size)
        return HB_CSV_END;
    self->used = self->n = 0;
    self->why[0] = '\0';
    *line = self->line;
    while (read_field(self) && !self->fatal)
        ;
    if (!self->fatal)
        end_line(self);
    if (!self->why[0] && self->header_fields && self->n != self->header_fields) {
        trouble(self, _("%zu fields, the header has %zu"), self->n, self->header_fields);
        self->why_line = *line;  /* the record's line, not the one after it */
    }
    if (self->header_fields == 0)
        self->header_fields = self->n;
    if (self->why[0]) {
        *line = self->why_line;
        snprintf(msg, msg_size, "%s", self->why);
        return self->fatal ? HB_CSV_FATAL : HB_CSV_BAD;
    }
    *fields = self->fields;
    *n = self->n;
    return HB_CSV_RECORD;
}
