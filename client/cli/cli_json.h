/* cli_json.h - the JSON emitter behind --json: one document, written as it
 * is built, indented by two spaces, ending in a newline.
 *
 * Strings are escaped per RFC 8259: '"', '\\' and every control character
 * (U+0000..U+001F, and DEL) are escaped; bytes that are not valid UTF-8
 * are written as U+FFFD, so the output is always valid UTF-8 and valid
 * JSON. Misuse (a value where a key is due, unbalanced ends, nesting
 * beyond HB_CLI_JSON_DEPTH_MAX) is a bug and asserted.
 */
#ifndef HB_CLI_JSON_H
#define HB_CLI_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

typedef struct {
    FILE *out;                              /* borrowed */
    unsigned depth;                         /* open objects and arrays */
    bool in_object[HB_CLI_JSON_DEPTH_MAX];  /* per level: object (true) or array */
    bool has_items[HB_CLI_JSON_DEPTH_MAX];  /* per level: a comma is due */
    bool key_pending;                       /* a key was written, its value is due */
} hb_cli_json_t;

/* out: borrowed, must outlive the emitter. */
void hb_cli_json_init(hb_cli_json_t *self, FILE *out);

void hb_cli_json_object_begin(hb_cli_json_t *self);
void hb_cli_json_object_end(hb_cli_json_t *self);
void hb_cli_json_array_begin(hb_cli_json_t *self);
void hb_cli_json_array_end(hb_cli_json_t *self);
/* Inside an object, before every value. */
void hb_cli_json_key(hb_cli_json_t *self, const char *key);

/* Values. string: NULL writes null. */
void hb_cli_json_string(hb_cli_json_t *self, const char *s);
void hb_cli_json_int(hb_cli_json_t *self, int64_t v);
void hb_cli_json_uint(hb_cli_json_t *self, uint64_t v);
void hb_cli_json_bool(hb_cli_json_t *self, bool v);
void hb_cli_json_null(hb_cli_json_t *self);

/* key + value in one call. */
void hb_cli_json_kv_string(hb_cli_json_t *self, const char *key, const char *s);
void hb_cli_json_kv_int(hb_cli_json_t *self, const char *key, int64_t v);
void hb_cli_json_kv_uint(hb_cli_json_t *self, const char *key, uint64_t v);
void hb_cli_json_kv_bool(hb_cli_json_t *self, const char *key, bool v);

/* An instant (Unix seconds) as RFC 3339 in local time with its offset,
 * "2026-11-29T14:05:00+08:00"; 0 ("never") writes null. */
void hb_cli_json_kv_time(hb_cli_json_t *self, const char *key, int64_t t);

/* Ends the document with a newline; every object and array must be closed. */
void hb_cli_json_finish(hb_cli_json_t *self);

/* Writes s as a JSON string literal, quotes included. */
void hb_cli_json_write_string(FILE *out, const char *s);

#endif
