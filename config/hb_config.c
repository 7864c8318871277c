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
 */
#include "hb_config.h"
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

#define MINUTES_PER_HOUR 60
#define MINUTES_PER_DAY (24 * MINUTES_PER_HOUR)
#define LIST_CAPACITY_FIRST 4

/* Z85 (ZeroMQ RFC 32): 5 characters encode 4 bytes, base 85. */
#define Z85_KEY_CHARS (sizeof(((hb_station_entry_t *) 0)->public_key) - 1)
#define Z85_GROUP_CHARS 5
#define Z85_BASE 85
static const char z85_alphabet[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

#define XSTR(x) #x
#define STR(x) XSTR(x)

struct hb_config_loader {
    const char *path;                /* as given, for messages */
    char dir[HB_PATH_BYTES_MAX];     /* absolute folder of the file */
    const unsigned char *text;       /* the file, for syntax error messages */
    size_t text_len;
    yaml_parser_t parser;
    int depth;                       /* open mappings and sequences */
    bool fatal;                      /* stop: the event stream is unusable */
    hb_config_errors_t *errors;
    hb_config_mark_t marks[HB_CONFIG_ERRORS_MAX];  /* of errors->text[i] */
    char where[HB_PATH_BYTES_MAX];   /* "districts[0].communities[2]" */
    void *root;
    void *user;
};

/* A value quoted back in a message: "text", cut, with control characters
 * as '?', quotes and backslashes escaped with a backslash. */
typedef struct {
    char text[2 * HB_CONFIG_ECHO_BYTES_MAX + sizeof "\"...\""];
} echo_t;

static void load_mapping(hb_config_loader_t *ld, const hb_config_schema_t *schema, void *data,
                         hb_config_mark_t start);

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

static hb_config_mark_t
mark_of(const yaml_event_t *ev)
{
    return (hb_config_mark_t){ev->start_mark.line + 1, ev->start_mark.column + 1};
}

static const char *
echo(echo_t *buf, const char *value, size_t len)
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

static const char *
in_where(const hb_config_loader_t *ld)
{
    return ld->where[0] ? " in " : "";
}

static size_t
push_where(hb_config_loader_t *ld, const char *key, size_t index)
{
    size_t len = strlen(ld->where);
    snprintf(ld->where + len, sizeof ld->where - len, "%s%s[%zu]", len ? "." : "", key, index);
    return len;
}

static void
pop_where(hb_config_loader_t *ld, size_t len)
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
static bool
next_event(hb_config_loader_t *ld, yaml_event_t *ev)
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
            hb_config_error(ld, mark_of(ev), "nesting is deeper than %d levels", HB_CONFIG_DEPTH_MAX);
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
        hb_config_error(ld, mark_of(ev), "yaml aliases are not supported, got \"*%s\"",
                        (const char *) ev->data.alias.anchor);
        break;
    default:
        break;
    }
    return true;
}

/* Consumes the rest of the node that starts with first. */
static void
skip_rest(hb_config_loader_t *ld, const yaml_event_t *first)
{
    if (first->type != YAML_SEQUENCE_START_EVENT && first->type != YAML_MAPPING_START_EVENT)
        return;
    for (int level = 1; level > 0;) {
        yaml_event_t ev;
        if (!next_event(ld, &ev))
            return;
        if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT)
            level++;
        else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
            level--;
        yaml_event_delete(&ev);
    }
}

static void
skip_node(hb_config_loader_t *ld)
{
    yaml_event_t ev;
    if (!next_event(ld, &ev))
        return;
    skip_rest(ld, &ev);
    yaml_event_delete(&ev);
}

static bool
is_null(const yaml_event_t *ev)
{
    if (ev->type != YAML_SCALAR_EVENT || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = (const char *) ev->data.scalar.value;
    return !v[0] || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
           !strcmp(v, "NULL");
}

static const char *
node_word(echo_t *buf, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_MAPPING_START_EVENT: return "a mapping";
    case YAML_SEQUENCE_START_EVENT: return "a list";
    case YAML_SCALAR_EVENT:
        if (is_null(ev))
            return "an empty value";
        return echo(buf, (const char *) ev->data.scalar.value, ev->data.scalar.length);
    default: return "nothing";
    }
}

/* ---- field values ---- */

static void
names_text(const hb_config_name_t *names, char *buf, size_t size)
{
    size_t off = 0;
    buf[0] = '\0';
    for (const hb_config_name_t *n = names; n->name && off < size; n++) {
        const char *sep = n == names ? "" : (n[1].name ? ", " : " or ");
        int rc = snprintf(buf + off, size - off, "%s\"%s\"", sep, n->name);
        off += rc > 0 ? (size_t) rc : 0;
    }
}

static const char *
type_word(const hb_config_field_t *f, char *buf, size_t size)
{
    switch (f->type) {
    case HB_CONFIG_STRING: return "a string";
    case HB_CONFIG_INT: return "an integer";
    case HB_CONFIG_BOOL: return "true or false";
    case HB_CONFIG_DURATION: return "a duration such as \"90m\" or \"1500h\"";
    case HB_CONFIG_ENUM:
    case HB_CONFIG_WORD: names_text(f->names, buf, size); return buf;
    case HB_CONFIG_STRINGS:
    case HB_CONFIG_LIST: return "a list";
    }
    hb_unreachable();
}

static void
type_error(hb_config_loader_t *ld, const hb_config_field_t *f, const char *name,
           const yaml_event_t *ev)
{
    if (ev->type == YAML_ALIAS_EVENT)
        return;  /* reported by next_event */
    char words[HB_MESSAGE_BYTES_MAX];
    echo_t got;
    hb_config_error(ld, mark_of(ev), "\"%s\" must be %s, got %s", name,
                    type_word(f, words, sizeof words), node_word(&got, ev));
}

static void
store_number(void *dest, size_t size, int64_t value)
{
    if (size == sizeof(int64_t)) {
        memcpy(dest, &value, size);
    } else if (size == sizeof(uint32_t)) {
        uint32_t v = (uint32_t) value;  /* int32_t, uint32_t and C enums; range checked */
        memcpy(dest, &v, size);
    } else {
        hb_assert(size == sizeof(bool));
        bool v = value != 0;
        memcpy(dest, &v, size);
    }
}

static void
string_bounds(const hb_config_field_t *f, size_t *min, size_t *max)
{
    if (f->type == HB_CONFIG_STRINGS) {
        *min = 1;
        *max = f->size - 1;
        return;
    }
    *min = (size_t) f->min;
    *max = f->max ? (size_t) f->max : f->size - 1;
    hb_assert(*max < f->size);
}

static bool
store_path(hb_config_loader_t *ld, const char *name, hb_config_mark_t at, const char *text,
           char *dest, size_t size)
{
    int n = snprintf(dest, size, "%s/%s", ld->dir, text);
    if (n < 0 || (size_t) n >= size) {
        dest[0] = '\0';
        hb_config_error(ld, at, "\"%s\" is longer than %zu bytes once joined to the config folder",
                        name, size - 1);
        return false;
    }
    return true;
}

static bool
store_string(hb_config_loader_t *ld, const hb_config_field_t *f, const char *name,
             hb_config_mark_t at, const char *text, size_t len, char *dest)
{
    size_t min, max;
    string_bounds(f, &min, &max);
    const char *reason = f->check ? f->check(text) : NULL;
    echo_t got;
    if (reason) {
        hb_config_error(ld, at, "\"%s\" %s, got %s", name, reason, echo(&got, text, len));
        return false;
    }
    if (len == 0 && min > 0) {
        hb_config_error(ld, at, "\"%s\" must not be empty", name);
        return false;
    }
    if (len < min || len > max) {
        hb_config_error(ld, at, "\"%s\" must be %zu to %zu bytes long, got %zu bytes", name, min,
                        max, len);
        return false;
    }
    if (f->relative_path && text[0] != '/')
        return store_path(ld, name, at, text, dest, f->size);
    memcpy(dest, text, len + 1);
    return true;
}

/* 0: parsed; -1: not an integer; 1: beyond int64. Full-string, base 10. */
static int
parse_int(const char *text, int64_t *out)
{
    if (!(text[0] == '-' || (text[0] >= '0' && text[0] <= '9')))
        return -1;  /* strtoll would skip spaces and accept '+' */
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end)
        return -1;
    if (errno == ERANGE)
        return 1;
    *out = v;
    return 0;
}

static bool
store_int(hb_config_loader_t *ld, const hb_config_field_t *f, const char *name,
          hb_config_mark_t at, const char *text, size_t len, void *dest)
{
    int64_t v = 0;
    int rc = parse_int(text, &v);
    echo_t got;
    if (rc < 0) {
        hb_config_error(ld, at, "\"%s\" must be an integer, got %s", name, echo(&got, text, len));
        return false;
    }
    if (rc > 0 || v < f->min || v > f->max) {
        hb_config_error(ld, at, "\"%s\" must be between %" PRId64 " and %" PRId64 ", got %s", name,
                        f->min, f->max, echo(&got, text, len));
        return false;
    }
    store_number(dest, f->size, v);
    return true;
}

static bool
store_bool(hb_config_loader_t *ld, const hb_config_field_t *f, const char *name,
           hb_config_mark_t at, const char *text, size_t len, void *dest)
{
    echo_t got;
    if (strcmp(text, "true") && strcmp(text, "false")) {
        hb_config_error(ld, at, "\"%s\" must be true or false, got %s", name, echo(&got, text, len));
        return false;
    }
    store_number(dest, f->size, text[0] == 't');
    return true;
}

/* Minutes as the largest whole unit: "2d", "1500h", "90m", "-100000h". */
static const char *
duration_text(char *buf, size_t size, int64_t minutes)
{
    const char *sign = minutes < 0 ? "-" : "";
    int64_t m = minutes < 0 ? -minutes : minutes;
    if (m != 0 && m % MINUTES_PER_DAY == 0)
        snprintf(buf, size, "%s%" PRId64 "d", sign, m / MINUTES_PER_DAY);
    else if (m != 0 && m % MINUTES_PER_HOUR == 0)
        snprintf(buf, size, "%s%" PRId64 "h", sign, m / MINUTES_PER_HOUR);
    else
        snprintf(buf, size, "%s%" PRId64 "m", sign, m);
    return buf;
}

static bool
all_digits(const char *text)
{
    if (!*text)
        return false;
    for (; *text; text++)
        if (*text < '0' || *text > '9')
            return false;
    return true;
}

static bool
store_duration(hb_config_loader_t *ld, const hb_config_field_t *f, const char *name,
               hb_config_mark_t at, const char *text, size_t len, void *dest)
{
    bool negative = text[0] == '-';
    int64_t minutes = hb_config_parse_duration(text + negative);
    int64_t scale = f->scale ? f->scale : 1;
    echo_t got;
    if (minutes < 0) {
        const char *unit_text = text + negative;
        hb_config_error(ld, at, "\"%s\" must be a duration such as \"90m\" or \"1500h\", got %s%s",
                        name, echo(&got, text, len),
                        all_digits(unit_text) ? " (add a unit: m, h or d)" : "");
        return false;
    }
    int64_t v = minutes <= INT64_MAX / scale ? (negative ? -minutes : minutes) * scale : INT64_MAX;
    if (v < f->min || v > f->max) {
        char lo[HB_CONFIG_ECHO_BYTES_MAX], hi[HB_CONFIG_ECHO_BYTES_MAX];
        hb_config_error(ld, at, "\"%s\" must be between %s and %s, got %s", name,
                        duration_text(lo, sizeof lo, f->min / scale),
                        duration_text(hi, sizeof hi, f->max / scale), echo(&got, text, len));
        return false;
    }
    store_number(dest, f->size, v);
    return true;
}

static bool
store_name(hb_config_loader_t *ld, const hb_config_field_t *f, const char *name,
           hb_config_mark_t at, const char *text, size_t len, void *dest)
{
    for (const hb_config_name_t *n = f->names; n->name; n++) {
        if (strcmp(n->name, text) != 0)
            continue;
        if (f->type == HB_CONFIG_ENUM) {
            store_number(dest, f->size, n->value);
        } else {
            hb_assert(len < f->size);
            memcpy(dest, text, len + 1);
        }
        return true;
    }
    char words[HB_MESSAGE_BYTES_MAX];
    echo_t got;
    names_text(f->names, words, sizeof words);
    hb_config_error(ld, at, "\"%s\" must be %s, got %s", name, words, echo(&got, text, len));
    return false;
}

/* One scalar value into dest; name is the key as shown in messages. */
static bool
load_scalar(hb_config_loader_t *ld, const hb_config_field_t *f, const char *name,
            const yaml_event_t *ev, void *dest)
{
    if (ev->type != YAML_SCALAR_EVENT) {
        type_error(ld, f, name, ev);
        skip_rest(ld, ev);
        return false;
    }
    const char *text = (const char *) ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    hb_config_mark_t at = mark_of(ev);
    if (is_null(ev)) {
        hb_config_error(ld, at, "\"%s\" has no value", name);
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char) text[i] < 0x20 || text[i] == 0x7f) {
            hb_config_error(ld, at, "\"%s\" must not contain control characters", name);
            return false;
        }
    }
    switch (f->type) {
    case HB_CONFIG_STRING:
    case HB_CONFIG_STRINGS: return store_string(ld, f, name, at, text, len, dest);
    case HB_CONFIG_INT: return store_int(ld, f, name, at, text, len, dest);
    case HB_CONFIG_BOOL: return store_bool(ld, f, name, at, text, len, dest);
    case HB_CONFIG_DURATION: return store_duration(ld, f, name, at, text, len, dest);
    case HB_CONFIG_ENUM:
    case HB_CONFIG_WORD: return store_name(ld, f, name, at, text, len, dest);
    case HB_CONFIG_LIST: break;
    }
    hb_unreachable();
}

/* ---- lists ---- */

static size_t *
count_of(const hb_config_field_t *f, void *parent)
{
    return (size_t *) ((char *) parent + f->count_offset);
}

static void *
list_array(const hb_config_field_t *f, const void *parent)
{
    void *array;
    memcpy(&array, (const char *) parent + f->offset, sizeof array);
    return array;
}

/* Appends a zeroed entry; the parent's pointer and count are kept current
 * so check hooks see every entry loaded so far. NULL when out of memory. */
static void *
list_append(hb_config_loader_t *ld, const hb_config_field_t *f, void *parent, size_t *capacity,
            hb_config_mark_t at)
{
    size_t *count = count_of(f, parent);
    size_t size = f->item->size;
    char *array = list_array(f, parent);
    if (*count == *capacity) {
        size_t cap = *capacity ? *capacity * 2 : LIST_CAPACITY_FIRST;
        char *grown = realloc(array, cap * size);
        if (!grown) {
            hb_config_error(ld, at, "out of memory");
            ld->fatal = true;
            return NULL;
        }
        memset(grown + *capacity * size, 0, (cap - *capacity) * size);
        memcpy((char *) parent + f->offset, &grown, sizeof grown);
        array = grown;
        *capacity = cap;
    }
    return array + (*count)++ * size;
}

static bool
load_list_item(hb_config_loader_t *ld, const hb_config_field_t *f, void *parent,
               const yaml_event_t *ev, size_t index, size_t *capacity)
{
    hb_config_mark_t at = mark_of(ev);
    if ((int64_t) index >= f->max) {
        if ((int64_t) index == f->max)
            hb_config_error(ld, at, "\"%s\" has more than %" PRId64 " entries%s%s", f->key, f->max,
                            in_where(ld), ld->where);
        skip_rest(ld, ev);
        return false;
    }
    size_t len = push_where(ld, f->key, index);
    bool ok = ev->type == YAML_MAPPING_START_EVENT;
    if (!ok && ev->type != YAML_ALIAS_EVENT) {
        echo_t got;
        hb_config_error(ld, at, "%s must be a mapping, got %s", ld->where, node_word(&got, ev));
    }
    if (!ok) {
        skip_rest(ld, ev);
    } else {
        void *entry = list_append(ld, f, parent, capacity, at);
        if (entry)
            load_mapping(ld, f->item, entry, at);
    }
    pop_where(ld, len);
    return ok;
}

static bool
load_list(hb_config_loader_t *ld, const hb_config_field_t *f, void *parent,
          const yaml_event_t *start)
{
    if (start->type != YAML_SEQUENCE_START_EVENT) {
        type_error(ld, f, f->key, start);
        skip_rest(ld, start);
        return false;
    }
    hb_assert(list_array(f, parent) == NULL);  /* duplicate keys never get here */
    size_t capacity = 0, index = 0;
    bool ok = true;
    for (;;) {
        yaml_event_t ev;
        if (!next_event(ld, &ev))
            return false;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        ok = load_list_item(ld, f, parent, &ev, index++, &capacity) && ok;
        yaml_event_delete(&ev);
    }
    if ((int64_t) index < f->min) {
        hb_config_error(ld, mark_of(start), "\"%s\" must have at least %" PRId64 " %s%s%s", f->key,
                        f->min, f->min == 1 ? "entry" : "entries", in_where(ld), ld->where);
        return false;
    }
    return ok;
}

/* A list of strings into char[max][size] rows. */
static bool
load_strings(hb_config_loader_t *ld, const hb_config_field_t *f, void *parent,
             const yaml_event_t *start)
{
    if (start->type != YAML_SEQUENCE_START_EVENT) {
        type_error(ld, f, f->key, start);
        skip_rest(ld, start);
        return false;
    }
    size_t *count = count_of(f, parent);
    char *rows = (char *) parent + f->offset;
    bool ok = true;
    for (size_t index = 0;; index++) {
        yaml_event_t ev;
        if (!next_event(ld, &ev))
            return false;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        char name[HB_NAME_BYTES_MAX];
        snprintf(name, sizeof name, "%s[%zu]", f->key, index);
        if ((int64_t) index >= f->max) {
            if ((int64_t) index == f->max)
                hb_config_error(ld, mark_of(&ev), "\"%s\" has more than %" PRId64 " entries",
                                f->key, f->max);
            skip_rest(ld, &ev);
            ok = false;
        } else if (load_scalar(ld, f, name, &ev, rows + *count * f->size)) {
            (*count)++;
        } else {
            ok = false;
        }
        yaml_event_delete(&ev);
    }
    return ok;
}

/* ---- mappings ---- */

static int
field_index(const hb_config_schema_t *schema, const char *key)
{
    for (size_t i = 0; i < schema->field_count; i++)
        if (strcmp(schema->fields[i].key, key) == 0)
            return (int) i;
    return -1;
}

bool
hb_config_entry_ok(const hb_config_entry_t *entry, const char *key)
{
    int i = field_index(entry->schema, key);
    hb_assert(i >= 0);
    return entry->state[i] == HB_CONFIG_SET;
}

hb_config_mark_t
hb_config_entry_mark(const hb_config_entry_t *entry, const char *key)
{
    int i = field_index(entry->schema, key);
    hb_assert(i >= 0);
    return entry->state[i] == HB_CONFIG_ABSENT ? entry->start : entry->value_marks[i];
}

static void
apply_defaults(const hb_config_schema_t *schema, void *data)
{
    for (size_t i = 0; i < schema->field_count; i++) {
        const hb_config_field_t *f = &schema->fields[i];
        char *dest = (char *) data + f->offset;
        switch (f->type) {
        case HB_CONFIG_STRING:
        case HB_CONFIG_WORD:
            if (f->def_text) {
                hb_assert(strlen(f->def_text) < f->size);
                strcpy(dest, f->def_text);
            }
            break;
        case HB_CONFIG_INT:
        case HB_CONFIG_BOOL:
        case HB_CONFIG_DURATION:
        case HB_CONFIG_ENUM: store_number(dest, f->size, f->def); break;
        case HB_CONFIG_STRINGS:
        case HB_CONFIG_LIST: break;
        }
    }
}

static void
load_value(hb_config_loader_t *ld, hb_config_entry_t *entry, int idx)
{
    const hb_config_field_t *f = &entry->schema->fields[idx];
    yaml_event_t ev;
    if (!next_event(ld, &ev))
        return;
    entry->value_marks[idx] = mark_of(&ev);
    bool ok;
    if (f->type == HB_CONFIG_LIST)
        ok = load_list(ld, f, entry->data, &ev);
    else if (f->type == HB_CONFIG_STRINGS)
        ok = load_strings(ld, f, entry->data, &ev);
    else
        ok = load_scalar(ld, f, f->key, &ev, (char *) entry->data + f->offset);
    entry->state[idx] = ok ? HB_CONFIG_SET : HB_CONFIG_INVALID;
    yaml_event_delete(&ev);
}

/* One key and its value; key is the key's event. */
static void
load_pair(hb_config_loader_t *ld, hb_config_entry_t *entry, const yaml_event_t *key)
{
    hb_config_mark_t at = mark_of(key);
    echo_t got;
    if (key->type != YAML_SCALAR_EVENT) {
        if (key->type != YAML_ALIAS_EVENT)
            hb_config_error(ld, at, "keys must be plain words, got %s%s%s", node_word(&got, key),
                            in_where(ld), ld->where);
        skip_rest(ld, key);
        skip_node(ld);
        return;
    }
    const char *name = (const char *) key->data.scalar.value;
    int idx = field_index(entry->schema, name);
    if (idx < 0) {
        hb_config_error(ld, at, "unknown key %s%s%s", echo(&got, name, key->data.scalar.length),
                        in_where(ld), ld->where);
        skip_node(ld);
    } else if (entry->state[idx] != HB_CONFIG_ABSENT) {
        hb_config_error(ld, at, "duplicate key \"%s\"%s%s, first set at line %zu", name,
                        in_where(ld), ld->where, entry->key_marks[idx].line);
        skip_node(ld);
    } else {
        entry->key_marks[idx] = at;
        load_value(ld, entry, idx);
    }
}

static void
check_required(hb_config_loader_t *ld, const hb_config_entry_t *entry)
{
    for (size_t i = 0; i < entry->schema->field_count; i++) {
        if (entry->schema->fields[i].required && entry->state[i] == HB_CONFIG_ABSENT)
            hb_config_error(ld, entry->start, "missing required key \"%s\"%s%s",
                            entry->schema->fields[i].key, in_where(ld), ld->where);
    }
}

/* After a MAPPING_START at start: pairs until MAPPING_END. */
static void
load_mapping(hb_config_loader_t *ld, const hb_config_schema_t *schema, void *data,
             hb_config_mark_t start)
{
    hb_assert(schema->field_count <= HB_CONFIG_FIELDS_MAX);
    hb_config_entry_t entry = {.data = data, .root = ld->root, .user = ld->user,
                               .schema = schema, .start = start};
    apply_defaults(schema, data);
    for (;;) {
        yaml_event_t key;
        if (!next_event(ld, &key))
            return;
        bool end = key.type == YAML_MAPPING_END_EVENT;
        if (!end)
            load_pair(ld, &entry, &key);
        yaml_event_delete(&key);
        if (end)
            break;
        if (ld->fatal)
            return;
    }
    check_required(ld, &entry);
    if (schema->check)
        schema->check(ld, &entry);
}

/* ---- documents and files ---- */

static void
load_root(hb_config_loader_t *ld, const hb_config_schema_t *schema, const yaml_event_t *ev)
{
    if (ev->type == YAML_MAPPING_START_EVENT) {
        load_mapping(ld, schema, ld->root, mark_of(ev));
        return;
    }
    if (ev->type != YAML_ALIAS_EVENT) {
        echo_t got;
        hb_config_error(ld, mark_of(ev), "expected a mapping of settings, got %s",
                        node_word(&got, ev));
    }
    skip_rest(ld, ev);
}

static void
load_document(hb_config_loader_t *ld, const hb_config_schema_t *schema)
{
    yaml_event_t ev;
    if (!next_event(ld, &ev))
        return;
    hb_assert(ev.type == YAML_STREAM_START_EVENT);
    yaml_event_delete(&ev);
    if (!next_event(ld, &ev))
        return;
    bool empty = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
    if (empty) {
        hb_config_error(ld, (hb_config_mark_t){1, 1}, "file is empty, expected a mapping of settings");
        return;
    }
    if (!next_event(ld, &ev))  /* the root node, after DOCUMENT_START */
        return;
    load_root(ld, schema, &ev);
    yaml_event_delete(&ev);
    if (!next_event(ld, &ev))  /* DOCUMENT_END */
        return;
    yaml_event_delete(&ev);
    if (!next_event(ld, &ev))
        return;
    if (ev.type == YAML_DOCUMENT_START_EVENT)
        hb_config_error(ld, mark_of(&ev), "only one yaml document is allowed, found a second one");
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
        char *array = list_array(f, data);
        size_t *count = count_of(f, data);
        for (size_t j = 0; j < *count; j++)
            hb_config_release(f->item, array + j * f->item->size);
        free(array);
        array = NULL;
        memcpy((char *) data + f->offset, &array, sizeof array);
        *count = 0;
    }
}

/* ---- values shared by the tables ---- */

int64_t
hb_config_parse_duration(const char *text)
{
    static const struct {
        char unit;
        int64_t minutes;
    } units[] = {{'d', MINUTES_PER_DAY}, {'h', MINUTES_PER_HOUR}, {'m', 1}};
    const size_t unit_count = sizeof units / sizeof units[0];
    if (!text || !*text)
        return -1;
    int64_t total = 0;
    size_t next = 0;  /* units go from days down to minutes, each at most once */
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
        if (u == unit_count || n > (INT64_MAX - total) / units[u].minutes)
            return -1;
        total += n * units[u].minutes;
        next = u + 1;
    }
    return total;
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
