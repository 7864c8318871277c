/* hb_config_int.h - private to hb_config.c (errors, event stream,
 * documents and files) and hb_config_value.c (field values, lists,
 * mappings). Not an API: include it from those files only. */
#ifndef HB_CONFIG_INT_H
#define HB_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "hb_config.h"
#include "hb_config_schema.h"

#define MINUTES_PER_HOUR 60
#define MINUTES_PER_DAY (24 * MINUTES_PER_HOUR)
#define SECONDS_PER_MINUTE HB_CONFIG_SECONDS_PER_MINUTE

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

/* hb_config.c */
hb_config_mark_t hb_config__mark_of(const yaml_event_t *ev);
const char *hb_config__echo(echo_t *buf, const char *value, size_t len);
const char *hb_config__in_where(const hb_config_loader_t *ld);
size_t hb_config__push_where(hb_config_loader_t *ld, const char *key, size_t index);
void hb_config__pop_where(hb_config_loader_t *ld, size_t len);
bool hb_config__next_event(hb_config_loader_t *ld, yaml_event_t *ev);
void hb_config__skip_rest(hb_config_loader_t *ld, const yaml_event_t *first);
void hb_config__skip_node(hb_config_loader_t *ld);
bool hb_config__is_null(const yaml_event_t *ev);
const char *hb_config__node_word(echo_t *buf, const yaml_event_t *ev);

/* hb_config_value.c */
size_t *hb_config__count_of(const hb_config_field_t *f, void *parent);
void *hb_config__list_array(const hb_config_field_t *f, const void *parent);
void hb_config__load_mapping(hb_config_loader_t *ld, const hb_config_schema_t *schema, void *data,
                            hb_config_mark_t start);

#endif
