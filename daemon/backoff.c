/* backoff.c — exponential back-off with jitter, and 429 waits. */
#define G_LOG_DOMAIN "spotnow-backoff"

#include "backoff.h"

#include <math.h>

/* The most the jitter adds to a nominal delay, as a share of it. */
#define JITTER_SHARE 0.25

gint64 spn_backoff_delay_ms(guint failures, double initial_s, double max_s, double random_unit)
{
    if (failures == 0)
        return 0;
    /* Double per failure, but stop doubling long before a double overflows. */
    guint doublings = MIN(failures - 1, 30u);
    double nominal_s = MIN(initial_s * ldexp(1.0, (int)doublings), max_s);
    double unit = CLAMP(random_unit, 0.0, 1.0);
    double delay_s = MIN(nominal_s * (1.0 + JITTER_SHARE * unit), max_s);
    return (gint64)llround(delay_s * 1000.0);
}

gint64 spn_backoff_rate_limited_until(gint64 retry_after_until_ms, gint64 now_ms, double default_s)
{
    if (retry_after_until_ms <= 0)
        return now_ms + (gint64)llround(default_s * 1000.0);
    return CLAMP(retry_after_until_ms, now_ms, now_ms + SPN_BACKOFF_MAX_RETRY_AFTER_MS);
}
