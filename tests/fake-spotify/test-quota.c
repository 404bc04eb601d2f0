/* test-quota.c — the rolling quota fake-spotify enforces: what it lets through, the Retry-After
 * it names, refusals counting against the window, and the locked-out time it reports. The bench
 * `day` reads these numbers, so an error here would misstate what a daemon cost. */
#define G_LOG_DOMAIN "spotnow-test-quota"

#include "quota.h"

typedef struct {
    FsQuota quota;
} Fixture;

static void fixture_setup(Fixture *fixture, gconstpointer data)
{
    fs_quota_init(&fixture->quota);
}

static void fixture_teardown(Fixture *fixture, gconstpointer data)
{
    fs_quota_clear(&fixture->quota);
}

static void assert_allowed(FsQuota *quota, gint64 now_ms)
{
    gint64 retry_after_s = -1;

    g_assert_true(fs_quota_charge(quota, now_ms, &retry_after_s));
    g_assert_cmpint(retry_after_s, ==, -1);
}

static void assert_refused(FsQuota *quota, gint64 now_ms, gint64 retry_after_s)
{
    gint64 got = -1;

    g_assert_false(fs_quota_charge(quota, now_ms, &got));
    g_assert_cmpint(got, ==, retry_after_s);
}

static void test_off_by_default(Fixture *fixture, gconstpointer data)
{
    FsQuota *quota = &fixture->quota;

    g_assert_cmpuint(quota->limit, ==, 0);
    g_assert_cmpint(quota->window_ms, ==, 86400 * 1000);
    for (gint64 t = 0; t < 5000; t++)
        assert_allowed(quota, t);
    /* Off means not even counted: turning it on later starts from nothing. */
    g_assert_cmpuint(fs_quota_in_window(quota, 5000), ==, 0);
    g_assert_cmpint(fs_quota_locked_out_ms(quota, 5000), ==, 0);
}

static void test_rolling_window(Fixture *fixture, gconstpointer data)
{
    FsQuota *quota = &fixture->quota;

    fs_quota_configure(quota, 3, 10000);
    assert_allowed(quota, 0);
    assert_allowed(quota, 1000);
    assert_allowed(quota, 2500);
    g_assert_cmpint(fs_quota_wait_ms(quota, 3000), ==, 7000);
    /* The window is (now - 10 s, now]. Before the refusal, the request at 0 s leaving (at 10 s)
     * would have been enough; the refusal counts too, so the one at 1 s must leave as well. */
    assert_refused(quota, 3000, 8);
    g_assert_cmpuint(quota->refused, ==, 1);
    g_assert_cmpuint(fs_quota_in_window(quota, 3000), ==, 4);
    /* At 10 s three remain (1, 2.5 and 3 s), so still no. */
    assert_refused(quota, 10000, 3);
    /* At 11.5 s: 2.5, 3 and 10 s remain. Still no, until 3 s + 10 s. */
    assert_refused(quota, 11500, 2);
    g_assert_cmpint(fs_quota_wait_ms(quota, 11500), ==, 1500);
    /* At 13 s: 10 s and 11.5 s remain. Through. */
    assert_allowed(quota, 13000);
    g_assert_cmpuint(fs_quota_in_window(quota, 13000), ==, 3);
    g_assert_cmpuint(quota->refused, ==, 3);
    /* Retry-After rounds up and is never 0. */
    assert_refused(quota, 13001, 9);
    g_assert_cmpint(fs_quota_wait_ms(quota, 21499), ==, 1);
}

static void test_locked_out_time(Fixture *fixture, gconstpointer data)
{
    FsQuota *quota = &fixture->quota;

    fs_quota_configure(quota, 1, 1000);
    assert_allowed(quota, 0);
    g_assert_cmpint(fs_quota_locked_out_ms(quota, 500), ==, 0); /* not refused yet */
    assert_refused(quota, 400, 1);                              /* locked until 1.4 s */
    g_assert_cmpint(fs_quota_locked_out_ms(quota, 900), ==, 500);
    g_assert_cmpint(fs_quota_locked_out_ms(quota, 5000), ==, 1000);
    assert_allowed(quota, 1400);
    assert_refused(quota, 2000, 1); /* a second lock-out, 2 → 3 s */
    g_assert_cmpint(fs_quota_locked_out_ms(quota, 2200), ==, 1200);
    g_assert_cmpint(fs_quota_locked_out_ms(quota, 9000), ==, 2000);

    /* Reconfiguring starts afresh. */
    fs_quota_configure(quota, 5, 60000);
    g_assert_cmpint(fs_quota_locked_out_ms(quota, 9000), ==, 0);
    g_assert_cmpuint(quota->refused, ==, 0);
    g_assert_cmpuint(fs_quota_in_window(quota, 9000), ==, 0);
}

static void test_long_window(Fixture *fixture, gconstpointer data)
{
    FsQuota *quota = &fixture->quota;
    const gint64 day_ms = 86400 * 1000;

    /* A day's quota spent by noon: Retry-After names the moment the second request of the
     * day leaves the window, 23 h away (Spotify's own say 13-24 h). */
    fs_quota_configure(quota, 1000, day_ms);
    for (gint64 i = 0; i < 1000; i++)
        assert_allowed(quota, 11 * 3600 * 1000 + i * 3600);
    assert_refused(quota, 12 * 3600 * 1000, 23 * 3600 + 4);
    g_assert_cmpuint(fs_quota_in_window(quota, 12 * 3600 * 1000), ==, 1001);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/quota/off-by-default", Fixture, NULL, fixture_setup, test_off_by_default,
               fixture_teardown);
    g_test_add("/quota/rolling-window", Fixture, NULL, fixture_setup, test_rolling_window,
               fixture_teardown);
    g_test_add("/quota/locked-out-time", Fixture, NULL, fixture_setup, test_locked_out_time,
               fixture_teardown);
    g_test_add("/quota/long-window", Fixture, NULL, fixture_setup, test_long_window,
               fixture_teardown);
    return g_test_run();
}
