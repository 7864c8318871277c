/* hb_i18n.c - placeholder until the catalog loader lands (issue 13):
 * English only. */
#include "hb_i18n.h"

void
hb_i18n_init(const char *argv0)
{
    (void) argv0;
}

const char *
hb_tr(const char *msgid)
{
    return msgid;
}

const char *
hb_i18n_lang(void)
{
    return "en";
}
