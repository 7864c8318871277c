/* hb_utf8.h - strict UTF-8 decoding (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF. Shared by the wire validator and the
 * CLI so that both judge text the same way. */
#ifndef HB_UTF8_H
#define HB_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the sequence at s (avail bytes readable, avail >= 1) into *cp.
 * Returns its length in bytes, or 0 if s does not start a valid sequence. */
size_t hb_utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp);

#endif
