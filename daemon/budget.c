/* budget.c — the rolling request count and the arithmetic of spending it. */
#define G_LOG_DOMAIN "spotnow-budget"

#include "budget.h"

#include <math.h>
#include <string.h>

#define GROUP_BUDGET "budget"
#define KEY_BUCKET_MS "bucket-ms"
#define KEY_BUCKETS "buckets"

/* The share of the rest of the window someone is assumed to look: a fifth, about five hours of
 * a day. The day benchmark's working day (nine hours at a desk, one locked over lunch, one on
 * the local client) spent 78% of the budget at a third and 90% at a fifth; the feedback (the
 * interval grows as the budget shrinks) keeps a longer day within the budget all the same. */
#define LOOKING_SHARE 0.2

typedef struct {
    gint64 start; /* Unix ms, a multiple of bucket_ms */
    guint count;
} Bucket;

struct _SpnBudget {
    guint limit;
    gint64 window_ms;
    gint64 bucket_ms;
    GArray *buckets; /* of Bucket, oldest first; at most SPN_BUDGET_BUCKETS + 2 */
};

SpnBudget *spn_budget_new(guint limit, gint64 window_ms)
{
    SpnBudget *budget = g_new0(SpnBudget, 1);
    budget->limit = limit;
    budget->window_ms = MAX(window_ms, 1);
    budget->bucket_ms = MAX(budget->window_ms / SPN_BUDGET_BUCKETS, 1);
    budget->buckets = g_array_new(FALSE, FALSE, sizeof(Bucket));
    return budget;
}

void spn_budget_free(SpnBudget *budget)
{
    if (budget == NULL)
        return;
    g_array_unref(budget->buckets);
    g_free(budget);
}

gboolean spn_budget_enabled(const SpnBudget *budget)
{
    return budget->limit > 0;
}

guint spn_budget_limit(const SpnBudget *budget)
{
    return budget->limit;
}

gint64 spn_budget_window_ms(const SpnBudget *budget)
{
    return budget->window_ms;
}

/* A bucket counts until the last request it may hold has left the window. */
static gint64 expires_at(const SpnBudget *budget, const Bucket *bucket)
{
    return bucket->start + budget->bucket_ms + budget->window_ms;
}

/* A bucket from the future (the clock was set back) still counts: those requests were made. */
static gboolean counts_at(const SpnBudget *budget, const Bucket *bucket, gint64 now_ms)
{
    return expires_at(budget, bucket) > now_ms;
}

static void prune(SpnBudget *budget, gint64 now_ms)
{
    guint keep_from = 0;
    while (keep_from < budget->buckets->len &&
           !counts_at(budget, &g_array_index(budget->buckets, Bucket, keep_from), now_ms))
        keep_from++;
    if (keep_from > 0)
        g_array_remove_range(budget->buckets, 0, keep_from);
}

/* The table stays bounded whatever the clock or the file did: a clock set far forward and back,
 * or a hand-edited state.ini, could leave more buckets than a window holds; the oldest go. */
static void keep_newest(SpnBudget *budget)
{
    GArray *buckets = budget->buckets;
    if (buckets->len > SPN_BUDGET_BUCKETS + 2)
        g_array_remove_range(buckets, 0, buckets->len - (SPN_BUDGET_BUCKETS + 2));
}

void spn_budget_record(SpnBudget *budget, gint64 now_ms)
{
    prune(budget, now_ms);
    gint64 start = now_ms - now_ms % budget->bucket_ms;
    GArray *buckets = budget->buckets;
    if (buckets->len > 0) {
        Bucket *last = &g_array_index(buckets, Bucket, buckets->len - 1);
        /* The same bucket, or an older one after the clock was set back: add to the newest, so
         * the array stays sorted. */
        if (last->start >= start) {
            if (last->count < G_MAXUINT)
                last->count++;
            return;
        }
    }
    Bucket bucket = {.start = start, .count = 1};
    g_array_append_val(buckets, bucket);
    keep_newest(budget);
}

guint spn_budget_used(const SpnBudget *budget, gint64 now_ms)
{
    guint64 used = 0;
    for (guint i = 0; i < budget->buckets->len; i++) {
        const Bucket *bucket = &g_array_index(budget->buckets, Bucket, i);
        if (counts_at(budget, bucket, now_ms))
            used += bucket->count;
    }
    return (guint)MIN(used, (guint64)G_MAXUINT);
}

/* What a priority leaves for those above it: a fiftieth of the budget for the track change
 * after an EnsureFresh, a twentieth below the cadence, a tenth below the safety poll. */
static guint reserve(const SpnBudget *budget, SpnSpend spend)
{
    switch (spend) {
        case SPN_SPEND_ITEM_END:
            return 0;
        case SPN_SPEND_ENSURE_FRESH:
            return budget->limit / 50;
        case SPN_SPEND_CADENCE:
            return budget->limit / 20;
        case SPN_SPEND_SAFETY:
            return budget->limit / 10;
    }
    g_assert_not_reached();
}

/* How many more requests for @spend fit now (negative: over). */
static gint64 available(const SpnBudget *budget, SpnSpend spend, gint64 now_ms)
{
    return (gint64)budget->limit - reserve(budget, spend) - spn_budget_used(budget, now_ms);
}

gboolean spn_budget_allows(const SpnBudget *budget, SpnSpend spend, gint64 now_ms)
{
    return !spn_budget_enabled(budget) || available(budget, spend, now_ms) >= 1;
}

gint64 spn_budget_allowed_at(const SpnBudget *budget, SpnSpend spend, gint64 now_ms)
{
    if (spn_budget_allows(budget, spend, now_ms))
        return now_ms;
    if (reserve(budget, spend) + 1 > budget->limit)
        return G_MAXINT64;
    /* Buckets leave oldest first: the one whose departure makes room is the answer. */
    gint64 missing = 1 - available(budget, spend, now_ms);
    for (guint i = 0; i < budget->buckets->len; i++) {
        const Bucket *bucket = &g_array_index(budget->buckets, Bucket, i);
        if (!counts_at(budget, bucket, now_ms))
            continue;
        missing -= bucket->count;
        if (missing <= 0)
            return expires_at(budget, bucket);
    }
    return G_MAXINT64;
}

gint64 spn_budget_cadence_ms(const SpnBudget *budget, gint64 fresh_ms, gint64 now_ms)
{
    if (!spn_budget_enabled(budget))
        return fresh_ms;
    gint64 avail = available(budget, SPN_SPEND_CADENCE, now_ms);
    if (avail < 1)
        return MAX(fresh_ms, spn_budget_allowed_at(budget, SPN_SPEND_CADENCE, now_ms) - now_ms);
    /* The sustainable rate: over every horizon h up to the window, what may be spent (what is
     * left now, plus what leaves the window by then) divided by the time someone looks within
     * h. The tightest horizon decides; (avail + freed) / h only falls between departures, so
     * the candidates are just before each departure and the longest horizon. */
    double rate = G_MAXDOUBLE;
    double freed = 0;
    for (guint i = 0; i < budget->buckets->len; i++) {
        const Bucket *bucket = &g_array_index(budget->buckets, Bucket, i);
        gint64 h = expires_at(budget, bucket) - now_ms;
        if (h <= 0)
            continue;
        rate = MIN(rate, (avail + freed) / (h * LOOKING_SHARE));
        freed += bucket->count;
    }
    /* A request made now counts for a window and a bucket: the longest horizon. */
    rate = MIN(rate, (avail + freed) / ((budget->window_ms + budget->bucket_ms) * LOOKING_SHARE));
    double interval = ceil(1.0 / rate);
    return MAX(fresh_ms, (gint64)MIN(interval, (double)budget->window_ms));
}

void spn_budget_to_key_file(const SpnBudget *budget, GKeyFile *key_file)
{
    if (budget->buckets->len == 0)
        return;
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
    for (guint i = 0; i < budget->buckets->len; i++) {
        const Bucket *bucket = &g_array_index(budget->buckets, Bucket, i);
        g_autofree char *value =
            g_strdup_printf("%" G_GINT64_FORMAT ":%u", bucket->start, bucket->count);
        g_strv_builder_add(builder, value);
    }
    g_auto(GStrv) values = g_strv_builder_end(builder);
    g_key_file_set_int64(key_file, GROUP_BUDGET, KEY_BUCKET_MS, budget->bucket_ms);
    g_key_file_set_string_list(key_file, GROUP_BUDGET, KEY_BUCKETS, (const char *const *)values,
                               g_strv_length(values));
}

static gboolean parse_bucket(const char *text, Bucket *bucket)
{
    g_auto(GStrv) parts = g_strsplit(text, ":", 3);
    guint64 count = 0;
    if (g_strv_length(parts) != 2 ||
        !g_ascii_string_to_signed(parts[0], 10, 0, G_MAXINT64 / 2, &bucket->start, NULL) ||
        !g_ascii_string_to_unsigned(parts[1], 10, 1, G_MAXUINT, &count, NULL))
        return FALSE;
    bucket->count = (guint)count;
    return TRUE;
}

void spn_budget_from_key_file(SpnBudget *budget, GKeyFile *key_file, gint64 now_ms)
{
    g_array_set_size(budget->buckets, 0);
    g_autoptr(GError) error = NULL;
    gint64 bucket_ms = g_key_file_get_int64(key_file, GROUP_BUDGET, KEY_BUCKET_MS, &error);
    if (error != NULL || bucket_ms != budget->bucket_ms)
        return;
    gsize n = 0;
    g_auto(GStrv) values =
        g_key_file_get_string_list(key_file, GROUP_BUDGET, KEY_BUCKETS, &n, NULL);
    for (gsize i = 0; values != NULL && i < n; i++) {
        Bucket bucket;
        if (!parse_bucket(values[i], &bucket) || bucket.start % budget->bucket_ms != 0)
            continue;
        GArray *buckets = budget->buckets;
        /* Kept sorted and unique whatever the file says: a later duplicate adds up. */
        if (buckets->len > 0) {
            Bucket *last = &g_array_index(buckets, Bucket, buckets->len - 1);
            if (bucket.start <= last->start) {
                last->count = (guint)MIN((guint64)last->count + bucket.count, (guint64)G_MAXUINT);
                continue;
            }
        }
        g_array_append_val(buckets, bucket);
    }
    prune(budget, now_ms);
    keep_newest(budget);
}
