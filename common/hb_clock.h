/* hb_clock.h - the monotonic clock every timer in hourbank reads. */
#ifndef HB_CLOCK_H
#define HB_CLOCK_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC: for deadlines, backoff and durations,
 * never for dates (those come from time() or from PostgreSQL). */
int64_t hb_clock_ms(void);

#endif
