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

#include <stdbool.h>

/* Call once, first thing in main. argv0 helps find the catalogs of a
 * build tree; never fails (no catalog = English; a damaged one = English
 * and one warning on stderr). Where: $HOURBANK_LOCALEDIR alone when set,
 * else locale/ beside (or one folder above) the running program, else the
 * install dir; the file is <dir>/<lang>/LC_MESSAGES/hourbank.mo. Calling it
 * again chooses and loads afresh (tests). Not thread-safe: call before any
 * thread starts. */
void hb_i18n_init(const char *argv0);

/* For a program that speaks to several people (the console): loads every
 * language's catalog as hb_i18n_init finds them, then uses lang ("zh_CN"
 * or "en"; another = English). Not thread-safe, as hb_i18n_init. */
void hb_i18n_init_all(const char *argv0, const char *lang);

/* Makes lang ("zh_CN" or "en") the language of every hb_tr() from now on;
 * false (nothing changed) for another or one not loaded. One language at a
 * time for the whole process: call it from the one thread that translates. */
bool hb_i18n_use(const char *lang);

/* The translation of msgid in the language chosen; never NULL. */
const char *hb_tr(const char *msgid) __attribute__((format_arg(1)));

/* The language chosen: "zh_CN" or "en". */
const char *hb_i18n_lang(void);

#define _(s) hb_tr(s)
#define N_(s) (s)

#endif
