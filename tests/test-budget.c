/* test-budget.c — the request budget (doc/design.md section 4, rule 11) with a fake clock. */
#include <glib.h>

#include "budget.h"
#include "scheduler.h"
#include "snapshot.h"

#define T0 G_GINT64_CONSTANT(1800000000000)
#define MINUTE G_GINT64_CONSTANT(60000)
#define DAY (24 * 60 * MINUTE)

static void spend(SpnBudget *budget, guint n, gint64 at)
{
    for (guint i = 0; i < n; i++)
        spn_budget_record(budget, at);
}

static void test_counts_and_window_edges(void)
{
    g_autoptr(SpnBudget) budget = spn_budget_new(1000, DAY);
    spend(budget, 10, T0);
    g_assert_cmpuint(spn_budget_used(budget, T0), ==, 10);
    g_assert_cmpuint(spn_budget_used(budget, T0 + DAY - 1), ==, 10);
    /* A bucket (a 96th of the window) counts until its last possible request has left. */
    gint64 bucket = DAY / SPN_BUDGET_BUCKETS;
    gint64 start = T0 - T0 % bucket;
    g_assert_cmpuint(spn_budget_used(budget, start + bucket + DAY - 1), ==, 10);
    g_assert_cmpuint(spn_budget_used(budget, start + bucket + DAY), ==, 0);
}

static void test_never_exceeded_and_priorities(void)
{
    g_autoptr(SpnBudget) budget = spn_budget_new(100, DAY);
    /* A tenth kept back from the safety poll, a twentieth from the cadence, a fiftieth from
     * EnsureFresh; the track change after an item end gets the very last one. */
    spend(budget, 89, T0);
    g_assert_true(spn_budget_allows(budget, SPN_SPEND_SAFETY, T0));
    spend(budget, 1, T0);
    g_assert_false(spn_budget_allows(budget, SPN_SPEND_SAFETY, T0));
    g_assert_true(spn_budget_allows(budget, SPN_SPEND_CADENCE, T0));
    spend(budget, 5, T0);
    g_assert_false(spn_budget_allows(budget, SPN_SPEND_CADENCE, T0));
    g_assert_true(spn_budget_allows(budget, SPN_SPEND_ENSURE_FRESH, T0));
    spend(budget, 3, T0);
    g_assert_false(spn_budget_allows(budget, SPN_SPEND_ENSURE_FRESH, T0));
    g_assert_true(spn_budget_allows(budget, SPN_SPEND_ITEM_END, T0));
    spend(budget, 2, T0);
    g_assert_false(spn_budget_allows(budget, SPN_SPEND_ITEM_END, T0));
    /* Allowed again once the bucket leaves the window. */
    gint64 at = spn_budget_allowed_at(budget, SPN_SPEND_SAFETY, T0);
    g_assert_cmpint(at, >, T0 + DAY - 1);
    g_assert_true(spn_budget_allows(budget, SPN_SPEND_SAFETY, at));
    g_assert_false(spn_budget_allows(budget, SPN_SPEND_SAFETY, at - 1));
}

static void test_zero_is_no_budget(void)
{
    g_autoptr(SpnBudget) budget = spn_budget_new(0, DAY);
    spend(budget, 100000, T0);
    g_assert_false(spn_budget_enabled(budget));
    g_assert_true(spn_budget_allows(budget, SPN_SPEND_SAFETY, T0));
    g_assert_cmpint(spn_budget_cadence_ms(budget, 10000, T0), ==, 10000);
    g_assert_cmpuint(spn_budget_used(budget, T0), ==, 100000);
}

static void test_cadence_stretches_as_the_budget_shrinks(void)
{
    g_autoptr(SpnBudget) budget = spn_budget_new(1000, DAY);
    /* Fresh: 950 for the cadence over a day someone looks at a fifth of: ~18 s. */
    gint64 fresh = spn_budget_cadence_ms(budget, 10000, T0);
    g_assert_cmpint(fresh, >, 16000);
    g_assert_cmpint(fresh, <, 21000);
    /* Half spent in the last hour: those requests only leave in a day, the interval doubles. */
    spend(budget, 475, T0);
    gint64 later = spn_budget_cadence_ms(budget, 10000, T0 + MINUTE);
    g_assert_cmpint(later, >, fresh * 3 / 2);
    /* Never shorter than the freshness window. */
    g_autoptr(SpnBudget) large = spn_budget_new(1000000, DAY);
    g_assert_cmpint(spn_budget_cadence_ms(large, 10000, T0), ==, 10000);
    /* Spent: the wait is until requests leave the window. */
    spend(budget, 500, T0);
    g_assert_cmpint(spn_budget_cadence_ms(budget, 10000, T0 + MINUTE), >, DAY - 2 * MINUTE);
}

static void test_requests_leaving_the_window_count(void)
{
    /* 900 spent a day ago, nearly all of it about to leave: the cadence need not crawl. */
    g_autoptr(SpnBudget) budget = spn_budget_new(1000, DAY);
    spend(budget, 900, T0);
    gint64 now = T0 + DAY - 30 * MINUTE;
    gint64 stretched = spn_budget_cadence_ms(budget, 10000, now);
    g_assert_cmpint(stretched, <, 60000);
}

static void test_persistence(void)
{
    g_autoptr(SpnBudget) budget = spn_budget_new(1000, DAY);
    spend(budget, 7, T0);
    spend(budget, 5, T0 + 60 * MINUTE);
    g_autoptr(GKeyFile) key_file = g_key_file_new();
    spn_budget_to_key_file(budget, key_file);
    g_autoptr(SpnBudget) loaded = spn_budget_new(1000, DAY);
    spn_budget_from_key_file(loaded, key_file, T0 + 61 * MINUTE);
    g_assert_cmpuint(spn_budget_used(loaded, T0 + 61 * MINUTE), ==, 12);
    /* Another window width: the old buckets do not fit and are dropped, not misread. */
    g_autoptr(SpnBudget) other = spn_budget_new(1000, DAY / 2);
    spn_budget_from_key_file(other, key_file, T0 + 61 * MINUTE);
    g_assert_cmpuint(spn_budget_used(other, T0 + 61 * MINUTE), ==, 0);
    /* Garbage is ignored. */
    g_key_file_set_string(key_file, "budget", "buckets", "x;12:;-5:3;;");
    spn_budget_from_key_file(loaded, key_file, T0);
    g_assert_cmpuint(spn_budget_used(loaded, T0), ==, 0);
}

static const SpnSchedulerSettings settings = {
    .safety_interval_s = 300,
    .fresh_playing_s = 10,
    .fresh_paused_s = 30,
    .end_of_item_delay_s = 1,
};

static void test_paused_decay(void)
{
    SpnSnapshot snap = {.is_playing = FALSE, .fetched_at = T0, .item_type = (char *)"track"};
    SpnSchedulerInput in = {.now_ms = T0,
                            .can_poll = TRUE,
                            .viewers_present = TRUE,
                            .last_attempt_at = T0,
                            .snapshot = &snap};
    gint64 expected[] = {30000, 60000, 120000, 240000, 300000, 300000};
    for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
        in.unchanged_paused_polls = i;
        g_assert_cmpint(spn_scheduler_window_ms(&settings, &in), ==, expected[i]);
    }
    /* Playing: no decay. */
    snap.is_playing = TRUE;
    in.unchanged_paused_polls = 5;
    g_assert_cmpint(spn_scheduler_window_ms(&settings, &in), ==, 10000);
}

static void test_local_source_sends_nothing(void)
{
    SpnSnapshot snap = {.is_playing = TRUE,
                        .fetched_at = T0,
                        .item_type = (char *)"track",
                        .duration_ms = 200000,
                        .progress_ms = 1000};
    SpnSchedulerInput in = {.now_ms = T0,
                            .can_poll = TRUE,
                            .viewers_present = TRUE,
                            .last_attempt_at = T0 - DAY,
                            .snapshot = &snap,
                            .local_source = TRUE};
    g_assert_cmpint(spn_scheduler_next_poll_at(&settings, &in), ==, SPN_SCHEDULER_NEVER);
    g_assert_cmpint(spn_scheduler_freshness(&settings, &in), ==, SPN_FRESHNESS_CACHED);
}

static void test_item_end_comes_first(void)
{
    /* The cadence is spent; the poll after the predicted end still goes out. */
    g_autoptr(SpnBudget) budget = spn_budget_new(100, DAY);
    spend(budget, 96, T0);
    SpnSnapshot snap = {.is_playing = TRUE,
                        .fetched_at = T0,
                        .item_type = (char *)"track",
                        .duration_ms = 60000,
                        .progress_ms = 0};
    SpnSchedulerInput in = {.now_ms = T0,
                            .can_poll = TRUE,
                            .viewers_present = TRUE,
                            .last_attempt_at = T0,
                            .snapshot = &snap,
                            .budget = budget};
    SpnSpend why;
    gint64 due = spn_scheduler_next_poll(&settings, &in, &why);
    g_assert_cmpint(why, ==, SPN_SPEND_ITEM_END);
    g_assert_cmpint(due, ==, T0 + 61000);
    /* EnsureFresh gets the cache once its share is spent too. */
    spend(budget, 3, T0);
    g_assert_cmpint(spn_scheduler_freshness(&settings, &in), ==, SPN_FRESHNESS_CACHED);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/budget/window-edges", test_counts_and_window_edges);
    g_test_add_func("/budget/priorities", test_never_exceeded_and_priorities);
    g_test_add_func("/budget/zero-is-none", test_zero_is_no_budget);
    g_test_add_func("/budget/cadence-stretches", test_cadence_stretches_as_the_budget_shrinks);
    g_test_add_func("/budget/leaving-requests", test_requests_leaving_the_window_count);
    g_test_add_func("/budget/persistence", test_persistence);
    g_test_add_func("/scheduler/paused-decay", test_paused_decay);
    g_test_add_func("/scheduler/local-source", test_local_source_sends_nothing);
    g_test_add_func("/scheduler/item-end-first", test_item_end_comes_first);
    return g_test_run();
}
