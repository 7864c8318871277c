/* hb_config.c - the schema-table YAML loader behind hb_config.h.
 *
 * Reads the file (bounded by HB_CONFIG_BYTES_MAX), pulls libyaml events and
 * walks them against a hb_config_schema_t per mapping level, filling a C
 * struct. Nothing is built in between: memory use is the resulting struct.
 * Every problem is recorded with the position of the offending node and
 * loading goes on, so one run reports every error; only a YAML syntax
 * error or a bound (nesting depth, memory) stops it. Errors are sorted by
 * position at the end, since checks that span the file (payer rules
 * against the catalogue) run last.
 *
 * This file is the parser: errors, the libyaml event stream, documents
 * and files, and the values shared by the tables. The schema-driven
 * converters (field values, lists, mappings) are in hb_config_value.c;
 * what the two share is in hb_config_int.h.
 */
#include "hb_config_int.h"
#include "hb_config_schema.h"
#include "hb_assert.h"
#include "hb_log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* Z85 (ZeroMQ RFC 32): 5 characters encode 4 bytes, base 85. */
#define Z85_KEY_CHARS (sizeof(((hb_station_entry_t *) 0)->public_key) - 1)
#define Z85_GROUP_CHARS 5
#define Z85_BASE 85
static const char z85_alphabet[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

#define XSTR(x) #x
#define STR(x) XSTR(x)

/* ---- errors ---- */

void
hb_config_error(hb_config_loader_t *ld, hb_config_mark_t mark, const char *fmt, ...)
{
    hb_config_errors_t *errors = ld->errors;
    if (errors->count >= HB_CONFIG_ERRORS_MAX) {
        errors->dropped++;
        return;
    }
    char *text = errors->text[errors->count];
    size_t size = sizeof errors->text[0];
    int off = mark.line ? snprintf(text, size, "%s:%zu:%zu: ", ld->path, mark.line, mark.column)
                        : snprintf(text, size, "%s: ", ld->path);
    if (off < 0 || (size_t) off >= size)
        off = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text + off, size - (size_t) off, fmt, ap);
    va_end(ap);
    ld->marks[errors->count++] = mark;
}

static bool
mark_before(hb_config_mark_t a, hb_config_mark_t b)
{
    return a.line < b.line || (a.line == b.line && a.column < b.column);
}

/* Stable insertion sort by position; at most HB_CONFIG_ERRORS_MAX rows. */
static void
sort_errors(hb_config_loader_t *ld)
{
    hb_config_errors_t *errors = ld->errors;
    char row[sizeof errors->text[0]];
    for (int i = 1; i < errors->count; i++) {
        hb_config_mark_t mark = ld->marks[i];
        memcpy(row, errors->text[i], sizeof row);
        int j = i;
        for (; j > 0 && mark_before(mark, ld->marks[j - 1]); j--) {
            ld->marks[j] = ld->marks[j - 1];
            memcpy(errors->text[j], errors->text[j - 1], sizeof row);
        }
        ld->marks[j] = mark;
        memcpy(errors->text[j], row, sizeof row);
    }
}

void
hb_config_errors_print(const hb_config_errors_t *errors, void *file)
{
    hb_assert(errors && file);
    FILE *fp = file;
    for (int i = 0; i < errors->count; i++)
        fprintf(fp, "%s\n", errors->text[i]);
    if (errors->dropped > 0)
        fprintf(fp, "%d more errors not shown\n", errors->dropped);
}

void
hb_config_errors_log(const hb_config_errors_t *errors, const char *path)
{
    hb_assert(errors && path);
    hb_log_error("reload refused: %s has %d error(s), keeping the running configuration", path,
                 errors->count + errors->dropped);
    for (int i = 0; i < errors->count; i++)
        hb_log_error("%s", errors->text[i]);
}

hb_config_mark_t
hb_config__mark_of(const yaml_event_t *ev)
{
    return (hb_config_mark_t){ev->start_mark.line + 1, ev->start_mark.column + 1};
}

const char *
hb_config__echo(echo_t *buf, const char *value, size_t len)
{
    size_t n = len;
    if (n > HB_CONFIG_ECHO_BYTES_MAX) {
        n = HB_CONFIG_ECHO_BYTES_MAX;
        while (n > 0 && ((unsigned char) value[n] & 0xC0) == 0x80)
            n--;  /* do not cut a UTF-8 sequence */
    }
    char *out = buf->text;
    *out++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) value[i];
        if (c == '"' || c == '\\')
            *out++ = '\\';
        *out++ = (c < 0x20 || c == 0x7f) ? '?' : (char) c;
    }
    strcpy(out, n < len ? "...\"" : "\"");
    return buf->text;
}

const char *
hb_config__in_where(const hb_config_loader_t *ld)
{
    return ld->where[0] ? " in " : "";
}

size_t
hb_config__push_where(hb_config_loader_t *ld, const char *key, size_t index)
{
    size_t len = strlen(ld->where);
    snprintf(ld->where + len, sizeof ld->where - len, "%s%s[%zu]", len ? "." : "", key, index);
    return len;
}

void
hb_config__pop_where(hb_config_loader_t *ld, size_t len)
{
    ld->where[len] = '\0';
}

/* ---- the event stream ---- */

static void
reader_error(hb_config_loader_t *ld)
{
    const yaml_parser_t *p = &ld->parser;
    hb_config_mark_t at = {1, 1};
    for (size_t i = 0; i < p->problem_offset && ld->text[i]; i++) {
        at.column++;
        if (ld->text[i] == '\n')
            at = (hb_config_mark_t){at.line + 1, 1};
    }
    hb_config_error(ld, at, "invalid yaml: %s", p->problem);
}

static void
syntax_error(hb_config_loader_t *ld)
{
    const yaml_parser_t *p = &ld->parser;
    ld->fatal = true;
    if (p->error == YAML_MEMORY_ERROR || !p->problem) {
        hb_config_error(ld, (hb_config_mark_t){0, 0}, "out of memory while reading yaml");
        return;
    }
    if (p->error == YAML_READER_ERROR) {
        reader_error(ld);
        return;
    }
    hb_config_mark_t at = {p->problem_mark.line + 1, p->problem_mark.column + 1};
    if (p->problem_mark.index < ld->text_len && ld->text[p->problem_mark.index] == '\t')
        hb_config_error(ld, at, "invalid yaml: tabs cannot be used for indentation, use spaces");
    else if (p->context)
        hb_config_error(ld, at, "invalid yaml: %s (%s that started at line %zu)", p->problem,
                        p->context, p->context_mark.line + 1);
    else
        hb_config_error(ld, at, "invalid yaml: %s", p->problem);
}

/* The next event, or false when the stream is unusable (error reported).
 * The caller deletes the event. Tracks nesting depth; reports aliases. */
bool
hb_config__next_event(hb_config_loader_t *ld, yaml_event_t *ev)
{
    if (ld->fatal)
        return false;
    if (!yaml_parser_parse(&ld->parser, ev)) {
        syntax_error(ld);
        return false;
    }
    switch (ev->type) {
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if (++ld->depth > HB_CONFIG_DEPTH_MAX) {
            hb_config_error(ld, hb_config__mark_of(ev), "nesting is deeper than %d levels", HB_CONFIG_DEPTH_MAX);
            ld->fatal = true;
            yaml_event_delete(ev);
            return false;
        }
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        ld->depth--;
        break;
    case YAML_ALIAS_EVENT:
        hb_config_error(ld, hb_config__mark_of(ev), "yaml aliases are not supported, got \"*%s\"",
                        (const char *) ev->data.alias.anchor);
        break;
    default:
        break;
    }
    return true;
}

/* Consumes the rest of the node that starts with first. */
void
hb_config__skip_rest(hb_config_loader_t *ld, const yaml_event_t *first)
{
    if (first->type != YAML_SEQUENCE_START_EVENT && first->type != YAML_MAPPING_START_EVENT)
        return;
    for (int level = 1; level > 0;) {
        yaml_event_t ev;
        if (!hb_config__next_event(ld, &ev))
            return;
        if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT)
            level++;
        else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
            level--;
        yaml_event_delete(&ev);
    }
}

void
hb_config__skip_node(hb_config_loader_t *ld)
{
    yaml_event_t ev;
    if (!hb_config__next_event(ld, &ev))
        return;
    hb_config__skip_rest(ld, &ev);
    yaml_event_delete(&ev);
}

bool
hb_config__is_null(const yaml_event_t *ev)
{
    if (ev->type != YAML_SCALAR_EVENT || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = (const char *) ev->data.scalar.value;
    return !v[0] || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
           !strcmp(v, "NULL");
}

const char *
hb_config__node_word(echo_t *buf, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_MAPPING_START_EVENT: return "a mapping";
    case YAML_SEQUENCE_START_EVENT: return "a list";
    case YAML_SCALAR_EVENT:
        if (hb_config__is_null(ev))
            return "an empty value";
        return hb_config__echo(buf, (const char *) ev->data.scalar.value, ev->data.scalar.length);
    default: return "nothing";
    }
}

/* ---- documents and files ---- */

static void
load_root(hb_config_loader_t *ld, const hb_config_schema_t *schema, const yaml_event_t *ev)
{
    if (ev->type == YAML_MAPPING_START_EVENT) {
        hb_config__load_mapping(ld, schema, ld->root, hb_config__mark_of(ev));
        return;
    }
    if (ev->type != YAML_ALIAS_EVENT) {
        echo_t got;
        hb_config_error(ld, hb_config__mark_of(ev), "expected a mapping of settings, got %s",
                        hb_config__node_word(&got, ev));
    }
    hb_config__skip_rest(ld, ev);
}

static void
load_document(hb_config_loader_t *ld, const hb_config_schema_t *schema)
{
    yaml_event_t ev;
    if (!hb_config__next_event(ld, &ev))
        return;
    hb_assert(ev.type == YAML_STREAM_START_EVENT);
    yaml_event_delete(&ev);
    if (!hb_config__next_event(ld, &ev))
        return;
    bool empty = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
    if (empty) {
        hb_config_error(ld, (hb_config_mark_t){1, 1}, "file is empty, expected a mapping of settings");
        return;
    }
    if (!hb_config__next_event(ld, &ev))  /* the root node, after DOCUMENT_START */
        return;
    load_root(ld, schema, &ev);
    yaml_event_delete(&ev);
    if (!hb_config__next_event(ld, &ev))  /* DOCUMENT_END */
        return;
    yaml_event_delete(&ev);
    if (!hb_config__next_event(ld, &ev))
        return;
    if (ev.type == YAML_DOCUMENT_START_EVENT)
        hb_config_error(ld, hb_config__mark_of(&ev), "only one yaml document is allowed, found a second one");
    yaml_event_delete(&ev);
}

static bool
set_dir(hb_config_loader_t *ld, const char *resolved)
{
    const char *slash = strrchr(resolved, '/');
    hb_assert(slash);  /* realpath results are absolute */
    size_t len = (size_t) (slash - resolved);
    if (len >= sizeof ld->dir) {
        hb_config_error(ld, (hb_config_mark_t){0, 0}, "folder path is longer than %zu bytes",
                        sizeof ld->dir - 1);
        return false;
    }
    memcpy(ld->dir, resolved, len);
    ld->dir[len] = '\0';  /* "" for a file in "/": joins as "/name" */
    return true;
}

static unsigned char *
read_all(hb_config_loader_t *ld, int fd, size_t *len_out)
{
    hb_config_mark_t none = {0, 0};
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        hb_config_error(ld, none, "could not read file: not a regular file");
        return NULL;
    }
    if (st.st_size > HB_CONFIG_BYTES_MAX) {
        hb_config_error(ld, none, "file is larger than %d bytes", HB_CONFIG_BYTES_MAX);
        return NULL;
    }
    size_t size = (size_t) st.st_size, len = 0;
    unsigned char *text = malloc(size + 1);
    if (!text) {
        hb_config_error(ld, none, "out of memory");
        return NULL;
    }
    while (len < size) {
        ssize_t n = read(fd, text + len, size - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                hb_config_error(ld, none, "could not read file: %s", strerror(errno));
            break;
        }
        len += (size_t) n;
    }
    text[len] = '\0';
    *len_out = len;
    return text;
}

static unsigned char *
read_file(hb_config_loader_t *ld, size_t *len)
{
    char resolved[PATH_MAX];
    if (!realpath(ld->path, resolved)) {
        hb_config_error(ld, (hb_config_mark_t){0, 0}, "could not open file: %s", strerror(errno));
        return NULL;
    }
    if (!set_dir(ld, resolved))
        return NULL;
    int fd = open(resolved, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        hb_config_error(ld, (hb_config_mark_t){0, 0}, "could not open file: %s", strerror(errno));
        return NULL;
    }
    unsigned char *text = read_all(ld, fd, len);
    close(fd);
    if (text && ld->errors->count) {
        free(text);
        return NULL;
    }
    return text;
}

static void
parse_text(hb_config_loader_t *ld, const hb_config_schema_t *schema, size_t len)
{
    if (!yaml_parser_initialize(&ld->parser)) {
        hb_config_error(ld, (hb_config_mark_t){0, 0}, "out of memory");
        return;
    }
    yaml_parser_set_input_string(&ld->parser, ld->text, len);
    load_document(ld, schema);
    yaml_parser_delete(&ld->parser);
}

void *
hb_config_load(const char *path, const hb_config_schema_t *root, void *user,
               hb_config_errors_t *errors)
{
    hb_assert(path && root && errors);
    memset(errors, 0, sizeof *errors);
    hb_config_loader_t ld = {.path = path, .errors = errors, .user = user};
    size_t len = 0;
    unsigned char *text = read_file(&ld, &len);
    if (!text)
        return NULL;
    ld.text = text;
    ld.text_len = len;
    ld.root = calloc(1, root->size);
    if (ld.root)
        parse_text(&ld, root, len);
    else
        hb_config_error(&ld, (hb_config_mark_t){0, 0}, "out of memory");
    free(text);
    sort_errors(&ld);
    if (errors->count || errors->dropped) {
        hb_config_release(root, ld.root);
        free(ld.root);
        return NULL;
    }
    return ld.root;
}

void
hb_config_release(const hb_config_schema_t *schema, void *data)
{
    if (!data)
        return;
    for (size_t i = 0; i < schema->field_count; i++) {
        const hb_config_field_t *f = &schema->fields[i];
        if (f->type != HB_CONFIG_LIST)
            continue;
        char *array = hb_config__list_array(f, data);
        size_t *count = hb_config__count_of(f, data);
        for (size_t j = 0; j < *count; j++)
            hb_config_release(f->item, array + j * f->item->size);
        free(array);
        array = NULL;
        memcpy((char *) data + f->offset, &array, sizeof array);
        *count = 0;
    }
}

/* ---- values shared by the tables ---- */

typedef struct {
    char unit;
    int64_t size;   /* in the result's unit */
} duration_unit_t;

/* "1h30m" by units (largest first, each at most once) into their sum;
 * -1 on bad syntax or overflow. */
static int64_t
parse_units(const char *text, const duration_unit_t *units, size_t unit_count)
{
    if (!text || !*text)
        return -1;
    int64_t total = 0;
    size_t next = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        int64_t n = 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (n > (INT64_MAX - (*p - '0')) / 10)
                return -1;
            n = n * 10 + (*p - '0');
        }
        size_t u = next;
        while (u < unit_count && units[u].unit != *p)
            u++;
        if (u == unit_count || n > (INT64_MAX - total) / units[u].size)
            return -1;
        total += n * units[u].size;
        next = u + 1;
    }
    return total;
}

int64_t
hb_config_parse_duration(const char *text)
{
    static const duration_unit_t units[] = {{'d', MINUTES_PER_DAY}, {'h', MINUTES_PER_HOUR}, {'m', 1}};
    return parse_units(text, units, sizeof units / sizeof units[0]);
}

int64_t
hb_config_parse_duration_seconds(const char *text)
{
    static const duration_unit_t units[] = {{'d', MINUTES_PER_DAY * SECONDS_PER_MINUTE},
                                            {'h', MINUTES_PER_HOUR * SECONDS_PER_MINUTE},
                                            {'m', SECONDS_PER_MINUTE}, {'s', 1}};
    return parse_units(text, units, sizeof units / sizeof units[0]);
}

const char *
hb_config_check_z85_key(const char *value)
{
    static const char reason[] = "must be a 40-character Z85 curve key";
    _Static_assert(Z85_KEY_CHARS == 40, "the reason text names the key length");
    if (strlen(value) != Z85_KEY_CHARS)
        return reason;
    for (size_t i = 0; i < Z85_KEY_CHARS; i += Z85_GROUP_CHARS) {
        uint64_t group = 0;
        for (size_t j = i; j < i + Z85_GROUP_CHARS; j++) {
            const char *c = strchr(z85_alphabet, value[j]);
            if (!c)
                return reason;
            group = group * Z85_BASE + (uint64_t) (c - z85_alphabet);
        }
        if (group > UINT32_MAX)
            return reason;  /* not the encoding of any 4 bytes */
    }
    return NULL;
}

const char *
hb_config_check_code(const char *value)
{
    size_t len = strlen(value);
    if (len < HB_COMMUNITY_CODE_BYTES_MIN || len > HB_COMMUNITY_CODE_BYTES_MAX)
        goto bad;
    for (const char *p = value; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            goto bad;
    return NULL;
bad:
    return "must be " STR(HB_COMMUNITY_CODE_BYTES_MIN) " to " STR(HB_COMMUNITY_CODE_BYTES_MAX)
           " uppercase letters or digits";
}
