/* The viewer table: TTL, senders leaving, bounds and id validation. */
#include "presence.h"
#include "spn-error.h"

static void test_heartbeat_and_ttl(void)
{
    g_autoptr(SpnPresence) p = spn_presence_new(64, 4096);
    gboolean new_sender = FALSE;
    g_assert_true(spn_presence_report(p, ":1.5", "applet", 1000, &new_sender, NULL));
    g_assert_true(new_sender);
    g_assert_true(spn_presence_report(p, ":1.5", "applet", 2000, &new_sender, NULL));
    g_assert_false(new_sender);
    g_assert_cmpuint(spn_presence_count(p), ==, 1);
    g_assert_cmpint(spn_presence_next_expiry(p), ==, 2000);
    /* The heartbeat extended it: not gone at the first expiry. */
    g_assert_cmpuint(spn_presence_expire(p, 1500, NULL), ==, 0);
    g_autoptr(GPtrArray) emptied = g_ptr_array_new_with_free_func(g_free);
    g_assert_cmpuint(spn_presence_expire(p, 2000, emptied), ==, 1);
    g_assert_cmpuint(spn_presence_count(p), ==, 0);
    g_assert_cmpuint(emptied->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(emptied, 0), ==, ":1.5");
    g_assert_cmpint(spn_presence_next_expiry(p), ==, 0);
}

static void test_viewer_is_sender_and_id(void)
{
    /* The same id from two senders is two viewers. */
    g_autoptr(SpnPresence) p = spn_presence_new(64, 4096);
    g_assert_true(spn_presence_report(p, ":1.5", "panel", 1000, NULL, NULL));
    g_assert_true(spn_presence_report(p, ":1.6", "panel", 1000, NULL, NULL));
    g_assert_cmpuint(spn_presence_count(p), ==, 2);
    g_assert_cmpuint(spn_presence_remove_sender(p, ":1.5"), ==, 1);
    g_assert_cmpuint(spn_presence_count(p), ==, 1);
    g_assert_cmpuint(spn_presence_remove_sender(p, ":1.5"), ==, 0);
}

static void test_per_sender_bound_evicts_oldest(void)
{
    g_autoptr(SpnPresence) p = spn_presence_new(64, 4096);
    for (int i = 0; i < 100; i++) {
        g_autofree char *id = g_strdup_printf("tab-%d", i);
        g_assert_true(spn_presence_report(p, ":1.9", id, 1000 + i, NULL, NULL));
    }
    g_assert_cmpuint(spn_presence_count(p), ==, 64);
    /* The survivors are the 64 newest: the oldest left expires at 1000 + 36. */
    g_assert_cmpint(spn_presence_next_expiry(p), ==, 1036);
}

static void test_total_bound_is_busy(void)
{
    g_autoptr(SpnPresence) p = spn_presence_new(4, 10);
    for (int s = 0; s < 5; s++) {
        g_autofree char *sender = g_strdup_printf(":1.%d", s);
        for (int i = 0; i < 2; i++) {
            g_autofree char *id = g_strdup_printf("v%d", i);
            g_assert_true(spn_presence_report(p, sender, id, 1000, NULL, NULL));
        }
    }
    g_assert_cmpuint(spn_presence_count(p), ==, 10);
    g_autoptr(GError) error = NULL;
    g_assert_false(spn_presence_report(p, ":1.99", "v", 1000, NULL, &error));
    g_assert_error(error, SPN_ERROR, SPN_ERROR_BUSY);
    /* A known viewer's heartbeat still works when full. */
    g_assert_true(spn_presence_report(p, ":1.0", "v0", 5000, NULL, NULL));
    g_assert_cmpuint(spn_presence_count(p), ==, 10);
}

static void test_invalid_ids(void)
{
    g_autoptr(SpnPresence) p = spn_presence_new(64, 4096);
    g_autofree char *long_ascii = g_strnfill(129, 'x');
    g_autofree char *max_ascii = g_strnfill(128, 'x');
    const char *bad[] = {"", "tab\n1", "a\tb", "\xff\xfe", "bell\a", long_ascii};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_assert_false(spn_presence_report(p, ":1.1", bad[i], 1000, NULL, &error));
        g_assert_error(error, SPN_ERROR, SPN_ERROR_INVALID_ARGS);
    }
    g_assert_cmpuint(spn_presence_count(p), ==, 0);
    /* 128 characters of multi-byte UTF-8 are fine: the bound is characters, not bytes. */
    GString *wide = g_string_new(NULL);
    for (int i = 0; i < 128; i++)
        g_string_append(wide, "ü");
    g_assert_true(spn_presence_report(p, ":1.1", wide->str, 1000, NULL, NULL));
    g_string_append(wide, "ü");
    g_assert_false(spn_presence_validate_id(wide->str, NULL));
    g_string_free(wide, TRUE);
    g_assert_true(spn_presence_report(p, ":1.1", max_ascii, 1000, NULL, NULL));
    g_assert_true(spn_presence_report(p, ":1.1", "waybar top-bar #2", 1000, NULL, NULL));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/presence/heartbeat-ttl", test_heartbeat_and_ttl);
    g_test_add_func("/presence/sender-and-id", test_viewer_is_sender_and_id);
    g_test_add_func("/presence/per-sender-bound", test_per_sender_bound_evicts_oldest);
    g_test_add_func("/presence/total-bound", test_total_bound_is_busy);
    g_test_add_func("/presence/invalid-ids", test_invalid_ids);
    return g_test_run();
}
