/* backoff.h — how long to stay away from Spotify after a failure. Pure: callers pass the clock
 * and the random draw, so the arithmetic is unit-tested exactly. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Delay in ms before the next attempt after @failures consecutive 5xx/network failures
 * (failures >= 1): initial, doubling, capped at max; then jitter adds up to a quarter more
 * (scaled by @random_unit in [0, 1)), never past max, so many daemons that failed together do
 * not return together, yet none comes back sooner than the nominal delay ("10 s doubling to
 * 5 min" are the shortest waits, as a user reading doc/design.md section 4, rule 6 would expect).
 */
gint64 spn_backoff_delay_ms(guint failures, double initial_s, double max_s, double random_unit);

/* The longest Retry-After honoured: Spotify's own reach a day (a spent daily quota); a longer
 * one is read as a day, so a broken or hostile header cannot silence the daemon for years, at
 * the cost of at most one early request a day (doc/design.md section 4, rule 12). */
#define SPN_BACKOFF_MAX_RETRY_AFTER_MS G_GINT64_CONSTANT(86400000)

/* Until when to wait after a 429: Retry-After (already parsed to Unix ms; 0 = absent or
 * unparseable) or else now + @default_s, at most SPN_BACKOFF_MAX_RETRY_AFTER_MS away. A
 * Retry-After in the past means "now". */
gint64 spn_backoff_rate_limited_until(gint64 retry_after_until_ms, gint64 now_ms, double default_s);

G_END_DECLS
