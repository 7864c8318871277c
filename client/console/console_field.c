/* console_field.c - a form's typed fields read by the CLI's own rules
 * (client/shared/cli_parse.h), each returning the problem in the page's
 * language (NULL = fine), to be shown right after its field. */
#include "console.h"
#include "cli_parse.h"
#include "hb_assert.h"
#include "hb_i18n.h"

#include <stdio.h>
#include <string.h>

/* Nothing but spaces. */
static bool
blank(const char *text)
{
    return !text || text[strspn(text, " \t\r\n")] == '\0';
}

const char *
hb_console_field_member(const char *text, bool required, char out[HB_MEMBER_NO_BUF_BYTES], char *err,
                        size_t size)
{
    hb_assert(out && err);
    out[0] = '\0';
    if (blank(text)) {
        if (!required)
            return NULL;
        snprintf(err, size, "%s", _("type the member number, as on the card (e.g. QX03-000127-6)"));
        return err;
    }
    return hb_cli_parse_member_no(text, out, err, size) == 0 ? NULL : err;
}

const char *
hb_console_field_duration(const char *text, int64_t max, const char *what, int64_t *minutes, char *err,
                          size_t size)
{
    hb_assert(what && minutes && err);
    if (blank(text)) {
        snprintf(err, size, "%s", _("type how long, e.g. 1h30m, 90m or 2h"));
        return err;
    }
    return hb_cli_parse_duration(text, 1, max, what, minutes, err, size) == 0 ? NULL : err;
}

const char *
hb_console_field_text(const char *what, const char *text, size_t max_chars, bool required, char *err, size_t size)
{
    hb_assert(what && err);
    if (blank(text) && required) {
        snprintf(err, size, _("%s is needed"), _(what));
        return err;
    }
    return hb_cli_parse_chars(_(what), text ? text : "", max_chars, required, true, err, size) == 0 ? NULL : err;
}
