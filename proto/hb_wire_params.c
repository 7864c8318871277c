/* hb_wire_params.c - a result's values between their stored text form
 * ("name=value" lines, as op.params holds them) and Param messages. */
#include "hb_wire.h"

#include <string.h>

#include "hb_assert.h"

bool
hb_wire_params_text(const char *text)
{
    hb_assert(text);
    if (!*text)
        return false;
    for (const char *line = text; *line;) {
        size_t name = strspn(line, "abcdefghijklmnopqrstuvwxyz_");
        if (name == 0 || line[name] != '=')
            return false;
        const char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : line + strlen(line);
    }
    return true;
}

size_t
hb_wire_params_split(char *text, Hourbank__Param *params, Hourbank__Param **ptrs, size_t max)
{
    hb_assert(text && params && ptrs);
    if (!hb_wire_params_text(text))
        return 0;
    size_t n = 0;
    for (char *line = text; *line && n < max;) {
        char *nl = strchr(line, '\n');
        char *next = nl ? nl + 1 : line + strlen(line);
        if (nl)
            *nl = '\0';
        char *eq = strchr(line, '=');
        hb_assert(eq);  /* hb_wire_params_text */
        *eq = '\0';
        hourbank__param__init(&params[n]);
        params[n].name = line;
        params[n].value = eq + 1;
        ptrs[n] = &params[n];
        n++;
        line = next;
    }
    return n;
}
