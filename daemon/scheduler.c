/* scheduler.c — the polling rules, as arithmetic on Unix milliseconds. */
#define G_LOG_DOMAIN "spotnow-scheduler"

#include "scheduler.h"

#include <math.h>

gint64 spn_seconds_to_ms(double seconds)
{
    return (gint64)llround(seconds * 1000.0);
}

/* Rule 2's end-of-item poll: just after the playing item is predicted to end, so the next track
 * shows within a second or two. Only while the item still has time left at fetch: once a poll
 * has seen the very end (progress == duration) the prediction says "now" forever, and the
 * freshness window must take over instead of a poll every end_of_item_delay. */
static gint64 predicted_end_poll_at(const SpnSchedulerSettings *settings, const SpnSnapshot *snap)
{
    if (!snap->is_playing || snap->duration_ms <= 0 || snap->fetched_at <= 0)
        return SPN_SCHEDULER_NEVER;
    gint64 remaining = snap->duration_ms - snap->progress_ms;
    if (remaining <= 0)
        return SPN_SCHEDULER_NEVER;
    return snap->fetched_at + remaining + spn_seconds_to_ms(settings->end_of_item_delay_s);
}

/* A time stamp from the wall clock that is usable as "when it happened". One in the future means
 * the clock was set back since: treat it as unknown, so polling resumes instead of waiting for
 * the clock to catch up. */
static gboolean seen_in_past(gint64 stamp_ms, gint64 now_ms)
{
    return stamp_ms > 0 && stamp_ms <= now_ms;
}

/* Rule 14: a pause that polls keep finding unchanged is polled ever less often. */
static gint64 paused_window_ms(const SpnSchedulerSettings *settings, guint unchanged)
{
    gint64 safety = spn_seconds_to_ms(settings->safety_interval_s);
    gint64 window = spn_seconds_to_ms(settings->fresh_paused_s);
    for (guint i = 0; i < unchanged && window < safety; i++)
        window *= 2;
    return MIN(window, MAX(safety, spn_seconds_to_ms(settings->fresh_paused_s)));
}

/* The playing window also while Spotify plays what we cannot show (an ad): the track after it
 * must show as soon as after any other item, not on the paused cadence. */
gint64 spn_scheduler_window_ms(const SpnSchedulerSettings *settings, const SpnSchedulerInput *input)
{
    const SpnSnapshot *snap = input->snapshot;
    gboolean playing = snap->is_playing || snap->upstream_playing;
    gint64 window = playing ? spn_seconds_to_ms(settings->fresh_playing_s)
                            : paused_window_ms(settings, input->unchanged_paused_polls);
    if (input->budget == NULL)
        return window;
    return spn_budget_cadence_ms(input->budget, window, input->now_ms);
}

/* @due pushed back until the budget lets a request for @spend go out. */
static gint64 budgeted(const SpnSchedulerInput *input, SpnSpend spend, gint64 due)
{
    if (input->budget == NULL || due == SPN_SCHEDULER_NEVER)
        return due;
    return MAX(due, spn_budget_allowed_at(input->budget, spend, input->now_ms));
}

static void consider(gint64 *due, SpnSpend *spend, gint64 candidate, SpnSpend candidate_spend)
{
    if (candidate < *due) {
        *due = candidate;
        *spend = candidate_spend;
    }
}

gint64 spn_scheduler_next_poll(const SpnSchedulerSettings *settings, const SpnSchedulerInput *input,
                               SpnSpend *spend)
{
    SpnSpend why = SPN_SPEND_SAFETY;
    if (spend != NULL)
        *spend = why;
    /* Rule 13: while the Spotify client here plays, its own signals keep the snapshot. */
    if (!input->can_poll || input->local_source)
        return SPN_SCHEDULER_NEVER;

    /* Rule 1: the safety poll, counted from the last attempt so a failing upstream is not
     * hammered (back-off below may push it further). */
    gint64 due = seen_in_past(input->last_attempt_at, input->now_ms)
                     ? input->last_attempt_at + spn_seconds_to_ms(settings->safety_interval_s)
                     : input->now_ms;
    due = budgeted(input, SPN_SPEND_SAFETY, due);

    if (input->viewers_present) {
        const SpnSnapshot *snap = input->snapshot;
        gint64 fresh_due = seen_in_past(snap->fetched_at, input->now_ms)
                               ? snap->fetched_at + spn_scheduler_window_ms(settings, input)
                               : input->now_ms;
        consider(&due, &why, budgeted(input, SPN_SPEND_CADENCE, fresh_due), SPN_SPEND_CADENCE);
        consider(&due, &why,
                 budgeted(input, SPN_SPEND_ITEM_END, predicted_end_poll_at(settings, snap)),
                 SPN_SPEND_ITEM_END);
    }
    if (spend != NULL)
        *spend = why;
    if (due == SPN_SCHEDULER_NEVER)
        return due;

    /* Rule 6: nothing is sent while backing off, whatever asked for it. */
    return MAX(due, input->backoff_until);
}

gint64 spn_scheduler_next_poll_at(const SpnSchedulerSettings *settings,
                                  const SpnSchedulerInput *input)
{
    return spn_scheduler_next_poll(settings, input, NULL);
}

SpnFreshness spn_scheduler_freshness(const SpnSchedulerSettings *settings,
                                     const SpnSchedulerInput *input)
{
    if (!input->can_poll)
        return SPN_FRESHNESS_SIGNED_OUT;
    if (input->backoff_until > input->now_ms || input->local_source)
        return SPN_FRESHNESS_CACHED;
    /* A spent budget is not an error: the caller gets the cache (rule 11). */
    if (input->budget != NULL &&
        !spn_budget_allows(input->budget, SPN_SPEND_ENSURE_FRESH, input->now_ms))
        return SPN_FRESHNESS_CACHED;
    const SpnSnapshot *snap = input->snapshot;
    if (!seen_in_past(snap->fetched_at, input->now_ms))
        return SPN_FRESHNESS_POLL;
    /* EnsureFresh's window is the playing one whatever the state: a caller asking explicitly
     * wants to know about a resume as soon as the playing cadence would show it. */
    gint64 age = input->now_ms - snap->fetched_at;
    return age >= spn_seconds_to_ms(settings->fresh_playing_s) ? SPN_FRESHNESS_POLL
                                                               : SPN_FRESHNESS_CACHED;
}
