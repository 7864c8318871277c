/* hb_config_value.c - the schema-driven converters of the config loader:
 * a scalar into a field of the struct (strings, paths, integers, booleans,
 * durations, names), sequences into lists, mappings against a
 * hb_config_schema_t (defaults, required keys, each entry's check).
 * The event stream and the files are in hb_config.c (hb_config_int.h). */
#include "hb_config_int.h"
#include "hb_config_schema.h"
#include "hb_assert.h"
#include "hb_log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define LIST_CAPACITY_FIRST 4

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
        return;  /* reported by hb_config__next_event */
    char words[HB_MESSAGE_BYTES_MAX];
    echo_t got;
    hb_config_error(ld, hb_config__mark_of(ev), "\"%s\" must be %s, got %s", name,
                    type_word(f, words, sizeof words), hb_config__node_word(&got, ev));
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
        hb_config_error(ld, at, "\"%s\" %s, got %s", name, reason, hb_config__echo(&got, text, len));
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
        hb_config_error(ld, at, "\"%s\" must be an integer, got %s", name, hb_config__echo(&got, text, len));
        return false;
    }
    if (rc > 0 || v < f->min || v > f->max) {
        hb_config_error(ld, at, "\"%s\" must be between %" PRId64 " and %" PRId64 ", got %s", name,
                        f->min, f->max, hb_config__echo(&got, text, len));
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
        hb_config_error(ld, at, "\"%s\" must be true or false, got %s", name, hb_config__echo(&got, text, len));
        return false;
    }
    store_number(dest, f->size, text[0] == 't');
    return true;
}

/* A stored duration as the largest whole unit: "2d", "1500h", "90m",
 * "-100000h"; "45s" for a field stored in seconds (scale > 1). */
static const char *
duration_text(char *buf, size_t size, int64_t stored, int64_t scale)
{
    const char *sign = stored < 0 ? "-" : "";
    int64_t v = stored < 0 ? -stored : stored;
    if (v % scale != 0) {
        snprintf(buf, size, "%s%" PRId64 "s", sign, v);
        return buf;
    }
    int64_t m = v / scale;
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
    int64_t scale = f->scale ? f->scale : 1;
    /* fields stored in seconds also take seconds ("30s"); parsed as such */
    int64_t units = scale == SECONDS_PER_MINUTE ? hb_config_parse_duration_seconds(text + negative)
                                                : hb_config_parse_duration(text + negative);
    int64_t per_unit = scale == SECONDS_PER_MINUTE ? 1 : scale;
    echo_t got;
    if (units < 0) {
        const char *unit_text = text + negative;
        hb_config_error(ld, at, "\"%s\" must be a duration such as \"90m\" or \"1500h\", got %s%s",
                        name, hb_config__echo(&got, text, len),
                        all_digits(unit_text) ? " (add a unit: m, h or d)" : "");
        return false;
    }
    int64_t v = units <= INT64_MAX / per_unit ? (negative ? -units : units) * per_unit : INT64_MAX;
    if (v < f->min || v > f->max) {
        char lo[HB_CONFIG_ECHO_BYTES_MAX], hi[HB_CONFIG_ECHO_BYTES_MAX];
        hb_config_error(ld, at, "\"%s\" must be between %s and %s, got %s", name,
                        duration_text(lo, sizeof lo, f->min, scale),
                        duration_text(hi, sizeof hi, f->max, scale), hb_config__echo(&got, text, len));
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
    hb_config_error(ld, at, "\"%s\" must be %s, got %s", name, words, hb_config__echo(&got, text, len));
    return false;
}

/* One scalar value into dest; name is the key as shown in messages. */
static bool
load_scalar(hb_config_loader_t *ld, const hb_config_field_t *f, const char *name,
            const yaml_event_t *ev, void *dest)
{
    if (ev->type != YAML_SCALAR_EVENT) {
        type_error(ld, f, name, ev);
        hb_config__skip_rest(ld, ev);
        return false;
    }
    const char *text = (const char *) ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    hb_config_mark_t at = hb_config__mark_of(ev);
    if (hb_config__is_null(ev)) {
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

size_t *
hb_config__count_of(const hb_config_field_t *f, void *parent)
{
    return (size_t *) ((char *) parent + f->count_offset);
}

void *
hb_config__list_array(const hb_config_field_t *f, const void *parent)
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
    size_t *count = hb_config__count_of(f, parent);
    size_t size = f->item->size;
    char *array = hb_config__list_array(f, parent);
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
    hb_config_mark_t at = hb_config__mark_of(ev);
    if ((int64_t) index >= f->max) {
        if ((int64_t) index == f->max)
            hb_config_error(ld, at, "\"%s\" has more than %" PRId64 " entries%s%s", f->key, f->max,
                            hb_config__in_where(ld), ld->where);
        hb_config__skip_rest(ld, ev);
        return false;
    }
    size_t len = hb_config__push_where(ld, f->key, index);
    bool ok = ev->type == YAML_MAPPING_START_EVENT;
    if (!ok && ev->type != YAML_ALIAS_EVENT) {
        echo_t got;
        hb_config_error(ld, at, "%s must be a mapping, got %s", ld->where, hb_config__node_word(&got, ev));
    }
    if (!ok) {
        hb_config__skip_rest(ld, ev);
    } else {
        void *entry = list_append(ld, f, parent, capacity, at);
        if (entry)
            hb_config__load_mapping(ld, f->item, entry, at);
    }
    hb_config__pop_where(ld, len);
    return ok;
}

static bool
load_list(hb_config_loader_t *ld, const hb_config_field_t *f, void *parent,
          const yaml_event_t *start)
{
    if (start->type != YAML_SEQUENCE_START_EVENT) {
        type_error(ld, f, f->key, start);
        hb_config__skip_rest(ld, start);
        return false;
    }
    hb_assert(hb_config__list_array(f, parent) == NULL);  /* duplicate keys never get here */
    size_t capacity = 0, index = 0;
    bool ok = true;
    for (;;) {
        yaml_event_t ev;
        if (!hb_config__next_event(ld, &ev))
            return false;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        ok = load_list_item(ld, f, parent, &ev, index++, &capacity) && ok;
        yaml_event_delete(&ev);
    }
    if ((int64_t) index < f->min) {
        hb_config_error(ld, hb_config__mark_of(start), "\"%s\" must have at least %" PRId64 " %s%s%s", f->key,
                        f->min, f->min == 1 ? "entry" : "entries", hb_config__in_where(ld), ld->where);
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
        hb_config__skip_rest(ld, start);
        return false;
    }
    size_t *count = hb_config__count_of(f, parent);
    char *rows = (char *) parent + f->offset;
    bool ok = true;
    for (size_t index = 0;; index++) {
        yaml_event_t ev;
        if (!hb_config__next_event(ld, &ev))
            return false;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        char name[HB_NAME_BYTES_MAX];
        snprintf(name, sizeof name, "%s[%zu]", f->key, index);
        if ((int64_t) index >= f->max) {
            if ((int64_t) index == f->max)
                hb_config_error(ld, hb_config__mark_of(&ev), "\"%s\" has more than %" PRId64 " entries",
                                f->key, f->max);
            hb_config__skip_rest(ld, &ev);
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
    if (!hb_config__next_event(ld, &ev))
        return;
    entry->value_marks[idx] = hb_config__mark_of(&ev);
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
    hb_config_mark_t at = hb_config__mark_of(key);
    echo_t got;
    if (key->type != YAML_SCALAR_EVENT) {
        if (key->type != YAML_ALIAS_EVENT)
            hb_config_error(ld, at, "keys must be plain words, got %s%s%s", hb_config__node_word(&got, key),
                            hb_config__in_where(ld), ld->where);
        hb_config__skip_rest(ld, key);
        hb_config__skip_node(ld);
        return;
    }
    const char *name = (const char *) key->data.scalar.value;
    int idx = field_index(entry->schema, name);
    if (idx < 0) {
        hb_config_error(ld, at, "unknown key %s%s%s", hb_config__echo(&got, name, key->data.scalar.length),
                        hb_config__in_where(ld), ld->where);
        hb_config__skip_node(ld);
    } else if (entry->state[idx] != HB_CONFIG_ABSENT) {
        hb_config_error(ld, at, "duplicate key \"%s\"%s%s, first set at line %zu", name,
                        hb_config__in_where(ld), ld->where, entry->key_marks[idx].line);
        hb_config__skip_node(ld);
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
                            entry->schema->fields[i].key, hb_config__in_where(ld), ld->where);
    }
}

/* After a MAPPING_START at start: pairs until MAPPING_END. */
void
hb_config__load_mapping(hb_config_loader_t *ld, const hb_config_schema_t *schema, void *data,
             hb_config_mark_t start)
{
    hb_assert(schema->field_count <= HB_CONFIG_FIELDS_MAX);
    hb_config_entry_t entry = {.data = data, .root = ld->root, .user = ld->user,
                               .schema = schema, .start = start};
    apply_defaults(schema, data);
    for (;;) {
        yaml_event_t key;
        if (!hb_config__next_event(ld, &key))
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
