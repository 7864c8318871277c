/* hb_web_buf.c - a page in memory, and the one place text is escaped for
 * HTML. */
#include "hb_web_int.h"
#include "hb_assert.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

void
hb_web_buf_add(hb_web_buf_t *b, const char *data, size_t len)
{
    if (b->failed || len == 0)
        return;
    if (len > HB_WEB_PAGE_BYTES_MAX - b->len) {
        b->failed = true;
        return;
    }
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void
hb_web_buf_free(hb_web_buf_t *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* The entity of a character that HTML gives meaning, or NULL. */
static const char *
entity(char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

void
hb_web_buf_escaped(hb_web_buf_t *b, const char *text)
{
    if (!text)
        return;
    const char *run = text;
    for (const char *p = text; *p; p++) {
        const char *e = entity(*p);
        if (!e)
            continue;
        hb_web_buf_add(b, run, (size_t) (p - run));
        hb_web_buf_add(b, e, strlen(e));
        run = p + 1;
    }
    hb_web_buf_add(b, run, strlen(run));
}

bool
hb_web_escape(char *buf, size_t size, const char *text)
{
    hb_assert(buf && size > 0 && text);
    size_t at = 0;
    for (const char *p = text; *p; p++) {
        const char *e = entity(*p);
        size_t n = e ? strlen(e) : 1;
        if (at + n >= size) {
            buf[at] = '\0';
            return false;
        }
        memcpy(buf + at, e ? e : p, n);
        at += n;
    }
    buf[at] = '\0';
    return true;
}

/* The specs given to snprintf below are cut from hb_web_html()'s own
 * format, which the compiler has checked against its arguments. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

typedef enum { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J } length_t;

/* Formats one integer or character conversion spec (e.g. "%5ld") with the
 * next argument of its type into out. */
static void
one_number(hb_web_buf_t *b, const char *spec, length_t len, char conv, va_list *ap)
{
    char out[HB_WEB_NUMBER_BYTES];
    bool is_signed = conv == 'd' || conv == 'i';
    int n;
    if (conv == 'c')
        n = snprintf(out, sizeof out, spec, va_arg(*ap, int));
    else if (len == LEN_LL)
        n = is_signed ? snprintf(out, sizeof out, spec, va_arg(*ap, long long))
                      : snprintf(out, sizeof out, spec, va_arg(*ap, unsigned long long));
    else if (len == LEN_L)
        n = is_signed ? snprintf(out, sizeof out, spec, va_arg(*ap, long))
                      : snprintf(out, sizeof out, spec, va_arg(*ap, unsigned long));
    else if (len == LEN_Z)
        n = is_signed ? snprintf(out, sizeof out, spec, va_arg(*ap, ssize_t))
                      : snprintf(out, sizeof out, spec, va_arg(*ap, size_t));
    else if (len == LEN_J)
        n = is_signed ? snprintf(out, sizeof out, spec, va_arg(*ap, intmax_t))
                      : snprintf(out, sizeof out, spec, va_arg(*ap, uintmax_t));
    else
        n = is_signed ? snprintf(out, sizeof out, spec, va_arg(*ap, int))
                      : snprintf(out, sizeof out, spec, va_arg(*ap, unsigned));
    if (n > 0)
        hb_web_buf_add(b, out, (size_t) n < sizeof out ? (size_t) n : sizeof out - 1);
}

/* Reads a length modifier at *p, advancing it. */
static length_t
length_of(const char **p)
{
    const char *s = *p;
    length_t len = LEN_NONE;
    if (s[0] == 'h' && s[1] == 'h')
        len = LEN_HH, s += 2;
    else if (s[0] == 'h')
        len = LEN_H, s++;
    else if (s[0] == 'l' && s[1] == 'l')
        len = LEN_LL, s += 2;
    else if (s[0] == 'l')
        len = LEN_L, s++;
    else if (s[0] == 'z')
        len = LEN_Z, s++;
    else if (s[0] == 'j')
        len = LEN_J, s++;
    *p = s;
    return len;
}

void
hb_web_buf_vhtml(hb_web_buf_t *b, const char *fmt, va_list ap_in)
{
    va_list ap;
    va_copy(ap, ap_in);
    const char *run = fmt;
    for (const char *p = fmt; *p; p++) {
        if (*p != '%')
            continue;
        hb_web_buf_add(b, run, (size_t) (p - run));
        const char *start = p++;
        if (*p == '%') {
            hb_web_buf_add(b, "%", 1);
            run = p + 1;
            continue;
        }
        p += strspn(p, "-+ #0123456789");
        length_t len = length_of(&p);
        char conv = *p;
        hb_assert(conv && strchr("sdiuxXc", conv)); /* a conversion this file does not know is a bug */
        if (conv == 's') {
            hb_web_buf_escaped(b, va_arg(ap, const char *));
        } else {
            char spec[16];
            size_t n = (size_t) (p - start) + 1;
            hb_assert(n < sizeof spec);
            memcpy(spec, start, n);
            spec[n] = '\0';
            one_number(b, spec, len, conv, &ap);
        }
        run = p + 1;
    }
    hb_web_buf_add(b, run, strlen(run));
    va_end(ap);
}
#pragma GCC diagnostic pop

void
hb_web_buf_html(hb_web_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hb_web_buf_vhtml(b, fmt, ap);
    va_end(ap);
}
