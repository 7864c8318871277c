/* hb_assert.h - assertions that stay on in release builds.
 * A failed assertion is a bug in hourbank: it logs file, line and the
 * expression, then aborts. Input from the world is never asserted on. */
#ifndef HB_ASSERT_H
#define HB_ASSERT_H

void hb_assert_fail(const char *expr, const char *file, int line, const char *func)
    __attribute__((noreturn));

#define hb_assert(e) \
    ((e) ? (void) 0 : hb_assert_fail(#e, __FILE__, __LINE__, __func__))

#define hb_unreachable() hb_assert_fail("unreachable", __FILE__, __LINE__, __func__)

#endif
