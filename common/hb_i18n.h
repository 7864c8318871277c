/* hb_i18n.h - the words people read, in their language.
 *
 * Every text a person sees is written in English in the source, wrapped in
 * _() (or N_() where it is only marked, e.g. in a static table, and
 * translated later with _()). hb_i18n_init picks the language from the
 * environment as gettext does (LANGUAGE, LC_ALL, LC_MESSAGES, LANG) and
 * loads its catalog (po/<lang>.po, compiled to hourbank.mo at build time);
 * hb_tr returns the translation, or msgid itself when there is none.
 */
#ifndef HB_I18N_H
#define HB_I18N_H

/* Call once, first thing in main. argv0 helps find the catalogs of a
 * build tree; never fails (no catalog = English). */
void hb_i18n_init(const char *argv0);

/* The translation of msgid in the language chosen; never NULL. */
const char *hb_tr(const char *msgid) __attribute__((format_arg(1)));

/* The language chosen: "zh_CN" or "en". */
const char *hb_i18n_lang(void);

#define _(s) hb_tr(s)
#define N_(s) (s)

#endif
