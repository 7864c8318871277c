/* cli_json.c - a small streaming JSON writer with exact string escaping. */
#include "cli_json.h"
#include "cli_format.h"
#include "cli_utf8.h"
#include "hb_assert.h"

#include <inttypes.h>
#include <string.h>

#define INDENT_SPACES 2
#define UTF8_REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

static void
write_escape(FILE *out, unsigned char c)
{
    switch (c) {
    case '"': fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    case '\n': fputs("\\n", out); break;
    case '\t': fputs("\\t", out); break;
    case '\r': fputs("\\r", out); break;
    case '\b': fputs("\\b", out); break;
    case '\f': fputs("\\f", out); break;
    default: fprintf(out, "\\u%04x", (unsigned) c); break;
    }
}

void
hb_cli_json_write_string(FILE *out, const char *s)
{
    hb_assert(out && s);
    const unsigned char *p = (const unsigned char *) s;
    fputc('"', out);
    while (*p) {
        if (*p < 0x20 || *p == '"' || *p == '\\' || *p == 0x7F) {
            write_escape(out, *p++);
            continue;
        }
        uint32_t cp;
        size_t n = hb_cli_utf8_decode((const char *) p, &cp);
        if (n == 0) {
            fputs(UTF8_REPLACEMENT, out);
            p++;
            continue;
        }
        fwrite(p, 1, n, out);
        p += n;
    }
    fputc('"', out);
}

void
hb_cli_json_init(hb_cli_json_t *self, FILE *out)
{
    hb_assert(self && out);
    memset(self, 0, sizeof *self);
    self->out = out;
}

static void
newline_indent(hb_cli_json_t *self)
{
    fputc('\n', self->out);
    for (unsigned i = 0; i < self->depth * INDENT_SPACES; i++)
        fputc(' ', self->out);
}

/* Before any value: the comma and indentation of an array item, or
 * nothing after a key. */
static void
before_value(hb_cli_json_t *self)
{
    if (self->depth == 0)
        return;
    unsigned level = self->depth - 1;
    if (self->in_object[level]) {
        hb_assert(self->key_pending);  /* a value inside an object needs its key */
        self->key_pending = false;
        return;
    }
    if (self->has_items[level])
        fputc(',', self->out);
    self->has_items[level] = true;
    newline_indent(self);
}

void
hb_cli_json_key(hb_cli_json_t *self, const char *key)
{
    hb_assert(self && key && self->depth > 0);
    unsigned level = self->depth - 1;
    hb_assert(self->in_object[level] && !self->key_pending);
    if (self->has_items[level])
        fputc(',', self->out);
    self->has_items[level] = true;
    newline_indent(self);
    hb_cli_json_write_string(self->out, key);
    fputs(": ", self->out);
    self->key_pending = true;
}

static void
open_level(hb_cli_json_t *self, bool object)
{
    hb_assert(self && self->depth < HB_CLI_JSON_DEPTH_MAX);
    before_value(self);
    fputc(object ? '{' : '[', self->out);
    self->in_object[self->depth] = object;
    self->has_items[self->depth] = false;
    self->depth++;
}

static void
close_level(hb_cli_json_t *self, bool object)
{
    hb_assert(self && self->depth > 0 && !self->key_pending);
    hb_assert(self->in_object[self->depth - 1] == object);
    bool had_items = self->has_items[self->depth - 1];
    self->depth--;
    if (had_items)
        newline_indent(self);
    fputc(object ? '}' : ']', self->out);
}

void
hb_cli_json_object_begin(hb_cli_json_t *self)
{
    open_level(self, true);
}

void
hb_cli_json_object_end(hb_cli_json_t *self)
{
    close_level(self, true);
}

void
hb_cli_json_array_begin(hb_cli_json_t *self)
{
    open_level(self, false);
}

void
hb_cli_json_array_end(hb_cli_json_t *self)
{
    close_level(self, false);
}

void
hb_cli_json_string(hb_cli_json_t *self, const char *s)
{
    hb_assert(self);
    before_value(self);
    if (s)
        hb_cli_json_write_string(self->out, s);
    else
        fputs("null", self->out);
}

void
hb_cli_json_int(hb_cli_json_t *self, int64_t v)
{
    hb_assert(self);
    before_value(self);
    fprintf(self->out, "%" PRId64, v);
}

void
hb_cli_json_uint(hb_cli_json_t *self, uint64_t v)
{
    hb_assert(self);
    before_value(self);
    fprintf(self->out, "%" PRIu64, v);
}

void
hb_cli_json_bool(hb_cli_json_t *self, bool v)
{
    hb_assert(self);
    before_value(self);
    fputs(v ? "true" : "false", self->out);
}

void
hb_cli_json_null(hb_cli_json_t *self)
{
    hb_assert(self);
    before_value(self);
    fputs("null", self->out);
}

void
hb_cli_json_kv_string(hb_cli_json_t *self, const char *key, const char *s)
{
    hb_cli_json_key(self, key);
    hb_cli_json_string(self, s);
}

void
hb_cli_json_kv_int(hb_cli_json_t *self, const char *key, int64_t v)
{
    hb_cli_json_key(self, key);
    hb_cli_json_int(self, v);
}

void
hb_cli_json_kv_uint(hb_cli_json_t *self, const char *key, uint64_t v)
{
    hb_cli_json_key(self, key);
    hb_cli_json_uint(self, v);
}

void
hb_cli_json_kv_bool(hb_cli_json_t *self, const char *key, bool v)
{
    hb_cli_json_key(self, key);
    hb_cli_json_bool(self, v);
}

void
hb_cli_json_kv_time(hb_cli_json_t *self, const char *key, int64_t t)
{
    char buf[HB_CLI_FORMAT_BYTES];
    hb_cli_json_kv_string(self, key, t ? hb_cli_format_time_rfc3339(buf, sizeof buf, t) : NULL);
}

void
hb_cli_json_finish(hb_cli_json_t *self)
{
    hb_assert(self && self->depth == 0 && !self->key_pending);
    fputc('\n', self->out);
}
