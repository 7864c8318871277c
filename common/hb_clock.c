#include "hb_clock.h"

#include <time.h>

#define MS_PER_S 1000
#define NS_PER_MS 1000000

int64_t
hb_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * MS_PER_S + ts.tv_nsec / NS_PER_MS;
}
