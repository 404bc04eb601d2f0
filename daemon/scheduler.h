/* scheduler.h — when to poll. Pure: fed the clock and the facts, answers with times, so every
 * polling rule of doc/design.md section 4 is unit-tested with a fake clock. */
#pragma once

#include <glib.h>

#include "budget.h"
#include "snapshot.h"

G_BEGIN_DECLS

#define SPN_SCHEDULER_NEVER G_MAXINT64

typedef struct {
    double safety_interval_s;   /* rule 1: always, whatever else happens */
    double fresh_playing_s;     /* rule 2: window while viewers are present and it plays */
    double fresh_paused_s;      /* rule 2: window while viewers are present and it is paused */
    double end_of_item_delay_s; /* rule 2: poll this long after the predicted end of the item */
} SpnSchedulerSettings;

typedef struct {
    gint64 now_ms;
    gboolean can_poll;        /* signed in and not revoked */
    gboolean viewers_present; /* rule 2 vs rule 3 */
    gint64 last_attempt_at;   /* Unix ms of the last finished poll, good or bad; 0 = never */
    gint64 backoff_until;     /* Unix ms; 0 or past = none (rule 6; a spent quota, rule 12) */
    const SpnSnapshot *snapshot;
    gboolean local_source;        /* rule 13: the Spotify client here plays: send nothing */
    guint unchanged_paused_polls; /* rule 14: polls in a row that found the same pause */
    const SpnBudget *budget;      /* rule 11; NULL = no budget */
} SpnSchedulerInput;

typedef enum {
    SPN_FRESHNESS_CACHED,     /* answer from the cache */
    SPN_FRESHNESS_POLL,       /* poll now (or join the poll in flight) */
    SPN_FRESHNESS_SIGNED_OUT, /* no usable credentials */
} SpnFreshness;

/* Unix ms at which the next poll is due (<= now_ms: due now), or SPN_SCHEDULER_NEVER. */
gint64 spn_scheduler_next_poll_at(const SpnSchedulerSettings *settings,
                                  const SpnSchedulerInput *input);

/* The same, and in @spend what that poll is for, so the budget can weigh it (rule 11). */
gint64 spn_scheduler_next_poll(const SpnSchedulerSettings *settings, const SpnSchedulerInput *input,
                               SpnSpend *spend);

/* The viewer cadence (rule 2), stretched by the budget (rule 11) and, while paused, doubled per
 * unchanged poll up to the safety interval (rule 14), in ms. */
gint64 spn_scheduler_window_ms(const SpnSchedulerSettings *settings,
                               const SpnSchedulerInput *input);

/* What EnsureFresh (and a newly arrived viewer) should do. */
SpnFreshness spn_scheduler_freshness(const SpnSchedulerSettings *settings,
                                     const SpnSchedulerInput *input);

/* Seconds to ms, rounded, for the fractional intervals of the config. */
gint64 spn_seconds_to_ms(double seconds);

G_END_DECLS
