/* Back-off arithmetic: exponential with upward jitter, capped; 429 waits. */
#include "backoff.h"

static void test_doubles_from_initial_to_cap(void)
{
    /* random_unit 0 gives the nominal delay; 10 s doubling to 5 min (doc/design.md section 4, rule
     * 6). */
    g_assert_cmpint(spn_backoff_delay_ms(1, 10, 300, 0.0), ==, 10000);
    g_assert_cmpint(spn_backoff_delay_ms(2, 10, 300, 0.0), ==, 20000);
    g_assert_cmpint(spn_backoff_delay_ms(3, 10, 300, 0.0), ==, 40000);
    g_assert_cmpint(spn_backoff_delay_ms(5, 10, 300, 0.0), ==, 160000);
    g_assert_cmpint(spn_backoff_delay_ms(6, 10, 300, 0.0), ==, 300000);
    g_assert_cmpint(spn_backoff_delay_ms(60, 10, 300, 0.0), ==, 300000);
    g_assert_cmpint(spn_backoff_delay_ms(G_MAXUINT, 10, 300, 0.0), ==, 300000);
}

static void test_jitter_adds_up_to_a_quarter(void)
{
    /* Never sooner than the nominal delay, at most a quarter later, never past the cap. */
    g_assert_cmpint(spn_backoff_delay_ms(1, 10, 300, 0.5), ==, 11250);
    g_assert_cmpint(spn_backoff_delay_ms(1, 10, 300, 1.0), ==, 12500);
    g_assert_cmpint(spn_backoff_delay_ms(5, 10, 300, 1.0), ==, 200000);
    g_assert_cmpint(spn_backoff_delay_ms(6, 10, 300, 1.0), ==, 300000);
    for (int i = 0; i < 1000; i++) {
        gint64 d = spn_backoff_delay_ms(3, 10, 300, g_random_double());
        g_assert_cmpint(d, >=, 40000);
        g_assert_cmpint(d, <=, 50000);
    }
    /* Out-of-range draws are clamped, not trusted. */
    g_assert_cmpint(spn_backoff_delay_ms(1, 10, 300, 7.0), ==, 12500);
    g_assert_cmpint(spn_backoff_delay_ms(1, 10, 300, -1.0), ==, 10000);
}

static void test_no_failures_no_delay(void)
{
    g_assert_cmpint(spn_backoff_delay_ms(0, 10, 300, 1.0), ==, 0);
}

static void test_fractional_intervals(void)
{
    /* Tests replay minutes in seconds: fractions must survive. */
    g_assert_cmpint(spn_backoff_delay_ms(1, 0.2, 1.0, 0.0), ==, 200);
    g_assert_cmpint(spn_backoff_delay_ms(4, 0.2, 1.0, 0.0), ==, 1000);
}

static void test_rate_limited(void)
{
    const gint64 now = 1700000000000;
    /* Retry-After given: honour it exactly, however long. */
    g_assert_cmpint(spn_backoff_rate_limited_until(now + 13749000, now, 30), ==, now + 13749000);
    /* Absent: 30 s default. */
    g_assert_cmpint(spn_backoff_rate_limited_until(0, now, 30), ==, now + 30000);
    /* A date already past: no wait. */
    g_assert_cmpint(spn_backoff_rate_limited_until(now - 5000, now, 30), ==, now);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/backoff/doubles-to-cap", test_doubles_from_initial_to_cap);
    g_test_add_func("/backoff/jitter-adds-up-to-a-quarter", test_jitter_adds_up_to_a_quarter);
    g_test_add_func("/backoff/no-failures", test_no_failures_no_delay);
    g_test_add_func("/backoff/fractions", test_fractional_intervals);
    g_test_add_func("/backoff/rate-limited", test_rate_limited);
    return g_test_run();
}
