/* The polling rules of doc/design.md section 4, fed a fake clock. */
#include "scheduler.h"

#define NOW ((gint64)1700000000000)

static const SpnSchedulerSettings defaults = {
    .safety_interval_s = 300,
    .fresh_playing_s = 10,
    .fresh_paused_s = 30,
    .end_of_item_delay_s = 1,
};

static SpnSnapshot playing(gint64 fetched_at, gint64 progress, gint64 duration)
{
    return (SpnSnapshot){.is_playing = TRUE,
                         .item_type = "track",
                         .fetched_at = fetched_at,
                         .progress_ms = progress,
                         .duration_ms = duration};
}

static SpnSchedulerInput input_for(const SpnSnapshot *snap, gboolean viewers, gint64 last_attempt)
{
    return (SpnSchedulerInput){.now_ms = NOW,
                               .can_poll = TRUE,
                               .viewers_present = viewers,
                               .last_attempt_at = last_attempt,
                               .backoff_until = 0,
                               .snapshot = snap};
}

static void test_safety_poll_without_viewers(void)
{
    /* Rule 3: with no viewers only the safety poll runs, even while a track plays. */
    SpnSnapshot snap = playing(NOW - 1000, 0, 200000);
    SpnSchedulerInput in = input_for(&snap, FALSE, NOW - 1000);
    g_assert_cmpint(spn_scheduler_next_poll_at(&defaults, &in), ==, NOW - 1000 + 300000);
}

static void test_first_poll_is_now(void)
{
    SpnSnapshot snap = {.item_type = "none"};
    SpnSchedulerInput in = input_for(&snap, FALSE, 0);
    g_assert_cmpint(spn_scheduler_next_poll_at(&defaults, &in), ==, NOW);
}

static void test_viewers_keep_fresh_playing(void)
{
    /* Rule 2: within 10 s while playing; the item has long to go. */
    SpnSnapshot snap = playing(NOW - 4000, 1000, 200000);
    SpnSchedulerInput in = input_for(&snap, TRUE, NOW - 4000);
    g_assert_cmpint(spn_scheduler_next_poll_at(&defaults, &in), ==, NOW - 4000 + 10000);
}

static void test_viewers_keep_fresh_paused(void)
{
    SpnSnapshot snap = playing(NOW - 4000, 1000, 200000);
    snap.is_playing = FALSE;
    SpnSchedulerInput in = input_for(&snap, TRUE, NOW - 4000);
    g_assert_cmpint(spn_scheduler_next_poll_at(&defaults, &in), ==, NOW - 4000 + 30000);
}

static void test_viewers_keep_fresh_during_ad(void)
{
    /* An ad shows as not playing (no track to show), yet Spotify plays it: the track after it
     * must show on the playing cadence. Its length is unknown, so no end-of-item poll. */
    SpnSnapshot snap = {.item_type = "ad", .upstream_playing = TRUE, .fetched_at = NOW - 4000};
    SpnSchedulerInput in = input_for(&snap, TRUE, NOW - 4000);
    g_assert_cmpint(spn_scheduler_next_poll_at(&defaults, &in), ==, NOW - 4000 + 10000);
}

static void test_poll_after_predicted_end(void)
{
    /* 3 s left at fetch: poll 1 s after the predicted end, before the 10 s window. */
    SpnSnapshot snap = playing(NOW - 1000, 197000, 200000);
    SpnSchedulerInput in = input_for(&snap, TRUE, NOW - 1000);
    g_assert_cmpint(spn_scheduler_next_poll_at(&defaults, &in), ==, NOW - 1000 + 3000 + 1000);
}

static void test_end_seen_falls_back_to_window(void)
{
    /* A poll that saw progress == duration must not re-poll every second. */
    SpnSnapshot snap = playing(NOW - 500, 200000, 200000);
    SpnSchedulerInput in = input_for(&snap, TRUE, NOW - 500);
    g_assert_cmpint(spn_scheduler_next_poll_at(&defaults, &in), ==, NOW - 500 + 10000);
}

static void test_no_end_poll_while_paused_or_unknown_length(void)
{
    SpnSnapshot snap = playing(NOW, 197000, 200000);
    snap.is_playing = FALSE;
    SpnSchedulerInput in = input_for(&snap, TRUE, NOW);
    g_assert_cmpint(spn_scheduler_next_poll_at(&defaults, &in), ==, NOW + 30000);
    SpnSnapshot ad = playing(NOW, 5000, 0);
    in = input_for(&ad, TRUE, NOW);
    g_assert_cmpint(spn_scheduler_next_poll_at(&defaults, &in), ==, NOW + 10000);
}

static void test_backoff_wins(void)
{
    /* Rule 6: nothing is sent before back-off ends, whatever is due. */
    SpnSnapshot snap = playing(NOW - 60000, 0, 200000);
    SpnSchedulerInput in = input_for(&snap, TRUE, NOW - 1000);
    in.backoff_until = NOW + 45000;
    g_assert_cmpint(spn_scheduler_next_poll_at(&defaults, &in), ==, NOW + 45000);
    /* Back-off also outlasts the safety poll. */
    in.viewers_present = FALSE;
    in.backoff_until = NOW + 3600000;
    g_assert_cmpint(spn_scheduler_next_poll_at(&defaults, &in), ==, NOW + 3600000);
}

static void test_signed_out_never_polls(void)
{
    SpnSnapshot snap = playing(NOW - 60000, 0, 200000);
    SpnSchedulerInput in = input_for(&snap, TRUE, 0);
    in.can_poll = FALSE;
    g_assert_cmpint(spn_scheduler_next_poll_at(&defaults, &in), ==, SPN_SCHEDULER_NEVER);
    g_assert_cmpint(spn_scheduler_freshness(&defaults, &in), ==, SPN_FRESHNESS_SIGNED_OUT);
}

static void test_freshness_window(void)
{
    SpnSnapshot snap = playing(NOW - 9999, 0, 200000);
    SpnSchedulerInput in = input_for(&snap, FALSE, NOW - 9999);
    g_assert_cmpint(spn_scheduler_freshness(&defaults, &in), ==, SPN_FRESHNESS_CACHED);
    snap.fetched_at = NOW - 10000;
    g_assert_cmpint(spn_scheduler_freshness(&defaults, &in), ==, SPN_FRESHNESS_POLL);
    /* Never fetched: poll. */
    snap.fetched_at = 0;
    g_assert_cmpint(spn_scheduler_freshness(&defaults, &in), ==, SPN_FRESHNESS_POLL);
    /* Back-off: answer from cache, never block the caller on it. */
    snap.fetched_at = NOW - 60000;
    in.backoff_until = NOW + 1;
    g_assert_cmpint(spn_scheduler_freshness(&defaults, &in), ==, SPN_FRESHNESS_CACHED);
}

static void test_clock_set_back(void)
{
    /* fetchedAt in the future: the clock went back; poll rather than wait for it. */
    SpnSnapshot snap = playing(NOW + 3600000, 0, 200000);
    SpnSchedulerInput in = input_for(&snap, TRUE, NOW + 3600000);
    g_assert_cmpint(spn_scheduler_freshness(&defaults, &in), ==, SPN_FRESHNESS_POLL);
    g_assert_cmpint(spn_scheduler_next_poll_at(&defaults, &in), ==, NOW);
}

static void test_fractional_settings(void)
{
    const SpnSchedulerSettings fast = {.safety_interval_s = 0.75,
                                       .fresh_playing_s = 0.25,
                                       .fresh_paused_s = 0.5,
                                       .end_of_item_delay_s = 0.1};
    SpnSnapshot snap = playing(NOW, 0, 200000);
    SpnSchedulerInput in = input_for(&snap, TRUE, NOW);
    g_assert_cmpint(spn_scheduler_next_poll_at(&fast, &in), ==, NOW + 250);
    in.viewers_present = FALSE;
    g_assert_cmpint(spn_scheduler_next_poll_at(&fast, &in), ==, NOW + 750);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/scheduler/safety-without-viewers", test_safety_poll_without_viewers);
    g_test_add_func("/scheduler/first-poll-now", test_first_poll_is_now);
    g_test_add_func("/scheduler/fresh-playing", test_viewers_keep_fresh_playing);
    g_test_add_func("/scheduler/fresh-paused", test_viewers_keep_fresh_paused);
    g_test_add_func("/scheduler/fresh-during-ad", test_viewers_keep_fresh_during_ad);
    g_test_add_func("/scheduler/predicted-end", test_poll_after_predicted_end);
    g_test_add_func("/scheduler/end-seen", test_end_seen_falls_back_to_window);
    g_test_add_func("/scheduler/no-end-poll", test_no_end_poll_while_paused_or_unknown_length);
    g_test_add_func("/scheduler/backoff-wins", test_backoff_wins);
    g_test_add_func("/scheduler/signed-out", test_signed_out_never_polls);
    g_test_add_func("/scheduler/freshness", test_freshness_window);
    g_test_add_func("/scheduler/clock-set-back", test_clock_set_back);
    g_test_add_func("/scheduler/fractions", test_fractional_settings);
    return g_test_run();
}
