/* outbox_params.c - a result's values (PROTOCOL.md "Result values") as the
 * outbox keeps them with the op (ops.params): one "name=value" per line,
 * in central's order, the form central stores them in too. Names hold no
 * '=' and neither part a newline (checked by hb_wire_validate before an
 * ack reaches the outbox), so the text splits back without escapes. */
#include "outbox.h"
#include "outbox_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_assert.h"

bool
hb_outbox__params_format(const Hourbank__OpResult *r, char *out, size_t size)
{
    hb_assert(r && out && size >= OB_PARAMS_TEXT_BYTES && r->n_params <= HB_PARAMS_MAX);
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->n_params; i++) {
        const Hourbank__Param *p = r->params[i];
        hb_assert(p && strchr(p->name, '=') == NULL && strchr(p->name, '\n') == NULL && strchr(p->value, '\n') == NULL);
        int n = snprintf(out + at, size - at, "%s=%s\n", p->name, p->value);
        hb_assert(n > 0 && (size_t) n < size - at);
        at += (size_t) n;
    }
    return r->n_params > 0;
}

/* One "name=value" line (without its newline) as a new Param. */
static Hourbank__Param *
param_new(const char *line, size_t len)
{
    const char *eq = memchr(line, '=', len);
    size_t name_len = eq ? (size_t) (eq - line) : len;
    Hourbank__Param *p = malloc(sizeof *p);
    hb_assert(p);
    hourbank__param__init(p);
    p->name = strndup(line, name_len);
    p->value = eq ? strndup(eq + 1, len - name_len - 1) : strdup("");
    hb_assert(p->name && p->value);
    return p;
}

void
hb_outbox__params_read(sqlite3_stmt *st, int col, Hourbank__QueuedOp *q)
{
    hb_assert(st && q);
    q->params = NULL;
    q->n_params = 0;
    const char *text = (const char *) sqlite3_column_text(st, col);
    if (text == NULL || text[0] == '\0')
        return;
    q->params = calloc(HB_PARAMS_MAX, sizeof *q->params);
    hb_assert(q->params);
    for (const char *line = text; *line && q->n_params < HB_PARAMS_MAX;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t) (end - line) : strlen(line);
        if (len > 0)
            q->params[q->n_params++] = param_new(line, len);
        line += len + (end != NULL);
    }
}

void
hb_outbox__params_free(Hourbank__QueuedOp *q)
{
    hb_assert(q);
    for (size_t i = 0; i < q->n_params; i++) {
        free(q->params[i]->name);
        free(q->params[i]->value);
        free(q->params[i]);
    }
    free(q->params);
    q->params = NULL;
    q->n_params = 0;
}
