/* hb_web_form.c - form fields: application/x-www-form-urlencoded bodies
 * (WHATWG URL, "application/x-www-form-urlencoded parsing") and the query
 * string, each value checked to be UTF-8 without NUL. */
#include "hb_web_int.h"
#include "hb_utf8.h"

#include <stdlib.h>
#include <string.h>

#define HEX_DIGITS "0123456789abcdefABCDEF"
#define HEX_BASE 16

static int
hex_value(char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Decodes in[0..len) ('+' = space, %XX = a byte) into a new string;
 * NULL when a % escape is broken or memory runs out. */
static char *
decode(const char *in, size_t len)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '+') {
            out[o++] = ' ';
        } else if (in[i] == '%') {
            if (len - i < 3 || !in[i + 1] || !strchr(HEX_DIGITS, in[i + 1]) || !in[i + 2] ||
                !strchr(HEX_DIGITS, in[i + 2])) {
                free(out);
                return NULL;
            }
            out[o++] = (char) (hex_value(in[i + 1]) * HEX_BASE + hex_value(in[i + 2]));
            i += 2;
        } else {
            out[o++] = in[i];
        }
    }
    out[o] = '\0';
    if (strlen(out) != o) {   /* a %00 inside */
        free(out);
        return NULL;
    }
    return out;
}

static bool
valid_utf8(const char *s)
{
    size_t len = strlen(s);
    for (size_t at = 0; at < len;) {
        uint32_t cp;
        size_t n = hb_utf8_decode((const unsigned char *) s + at, len - at, &cp);
        if (n == 0)
            return false;
        at += n;
    }
    return true;
}

static bool
add_owned(hb_web_req_t *req, char *name, char *value)
{
    if (req->n_fields >= HB_WEB_FIELDS_MAX) {
        free(name);
        free(value);
        req->too_many_fields = true;
        return false;
    }
    if (value && !valid_utf8(value)) {
        free(value);
        value = NULL;
    }
    req->fields[req->n_fields++] = (hb_web_field_t){.name = name, .value = value};
    return true;
}

bool
hb_web_form_add(hb_web_req_t *req, const char *name, const char *value)
{
    char *n = strdup(name);
    char *v = value ? strdup(value) : strdup("");
    if (!n || !v) {
        free(n);
        free(v);
        return false;
    }
    return add_owned(req, n, v);
}

bool
hb_web_form_decode(hb_web_req_t *req, const char *body, size_t len)
{
    size_t at = 0;
    while (at < len) {
        const char *amp = memchr(body + at, '&', len - at);
        size_t end = amp ? (size_t) (amp - body) : len;
        const char *eq = memchr(body + at, '=', end - at);
        size_t name_end = eq ? (size_t) (eq - body) : end;
        if (end > at) {
            char *name = decode(body + at, name_end - at);
            char *value = eq ? decode(eq + 1, end - name_end - 1) : strdup("");
            if (!name || !value) {
                free(name);
                free(value);
                return false;
            }
            if (!add_owned(req, name, value))
                return false;
        }
        at = end + 1;
    }
    return true;
}

void
hb_web_form_free(hb_web_req_t *req)
{
    for (size_t i = 0; i < req->n_fields; i++) {
        free(req->fields[i].name);
        free(req->fields[i].value);
    }
    req->n_fields = 0;
}

const char *
hb_web_param(const hb_web_req_t *req, const char *name)
{
    for (size_t i = 0; i < req->n_fields; i++)
        if (strcmp(req->fields[i].name, name) == 0)
            return req->fields[i].value;
    return NULL;
}
