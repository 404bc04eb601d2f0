/* budget.h — the request budget (doc/design.md section 4, rule 11): how many Web API requests
 * went out in the rolling window, whether one more may go now, and how far the viewer cadence
 * must stretch for the rest to last.
 *
 * Pure: no I/O and no clock (callers pass Unix ms), so every edge is unit-tested with a fake
 * clock. Requests are counted in SPN_BUDGET_BUCKETS buckets of window/SPN_BUDGET_BUCKETS each; a
 * bucket counts until its last possible request has left the window, so the count errs on the
 * safe side by at most one bucket's width, and what survives a restart is a few dozen numbers. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SPN_BUDGET_BUCKETS 96

/* What a request is for, most noticed first: a person notices a late track change more than a
 * late answer to EnsureFresh, that more than a slower cadence, and nobody a missed safety poll. */
typedef enum {
    SPN_SPEND_ITEM_END,     /* the poll just after a predicted item end, while someone looks */
    SPN_SPEND_ENSURE_FRESH, /* an explicit EnsureFresh, a viewer arriving, a player command */
    SPN_SPEND_CADENCE,      /* the viewer cadence (rule 2) */
    SPN_SPEND_SAFETY,       /* the safety poll (rule 1) */
} SpnSpend;

typedef struct _SpnBudget SpnBudget;

/* @limit requests per rolling @window_ms; @limit 0 = no budget (every query allows). */
SpnBudget *spn_budget_new(guint limit, gint64 window_ms);
void spn_budget_free(SpnBudget *budget);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpnBudget, spn_budget_free)

gboolean spn_budget_enabled(const SpnBudget *budget);
guint spn_budget_limit(const SpnBudget *budget);
gint64 spn_budget_window_ms(const SpnBudget *budget);

/* One request went out at @now_ms. */
void spn_budget_record(SpnBudget *budget, gint64 now_ms);

/* Requests counted in the window ending at @now_ms (also with no budget: GetStatus shows it). */
guint spn_budget_used(const SpnBudget *budget, gint64 now_ms);

/* Whether a request for @spend may go out at @now_ms: each lower priority leaves a reserve for
 * the ones above it, so a spent cadence still leaves room for the next track to show. */
gboolean spn_budget_allows(const SpnBudget *budget, SpnSpend spend, gint64 now_ms);

/* The earliest Unix ms at which a request for @spend is allowed (@now_ms when it is now), as
 * counted buckets leave the window; G_MAXINT64 when never (a budget too small for the reserve). */
gint64 spn_budget_allowed_at(const SpnBudget *budget, SpnSpend spend, gint64 now_ms);

/* The viewer cadence in ms: at least @fresh_ms, and long enough that, spending at this rate while
 * someone looks (assumed a fifth of the time; if they look longer the interval grows as the
 * budget shrinks), the rest of the budget lasts through the window, counting the requests that
 * leave the window meanwhile. @fresh_ms itself with no budget. */
gint64 spn_budget_cadence_ms(const SpnBudget *budget, gint64 fresh_ms, gint64 now_ms);

/* state.ini's [budget] group: the window's buckets. Loading ignores buckets of another
 * configuration's width (a changed window) and anything malformed: the budget only errs towards
 * fewer requests than it could have made for one window at most. */
void spn_budget_to_key_file(const SpnBudget *budget, GKeyFile *key_file);
void spn_budget_from_key_file(SpnBudget *budget, GKeyFile *key_file, gint64 now_ms);

G_END_DECLS
