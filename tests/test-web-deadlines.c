/* test-web-deadlines.c — the bounded queue behind spotnow-web's waiting connections: the
 * oldest goes first when it is full, activity moves an entry to the back, and the sweep timer
 * exists only while something waits (an idle spotnow-web sleeps). The deadline itself is
 * exercised against the real server in tests/web (test_front, test_hostile). */
#include <glib.h>

#include "web-deadlines.h"

typedef struct {
    SpnWebDeadline deadline;
    int id;
} Entry;

typedef struct {
    SpnWebDeadlines deadlines;
    GArray *expired; /* of int */
} Fixture;

static void on_expired(SpnWebDeadline *deadline, gpointer user_data)
{
    Fixture *fixture = user_data;
    Entry *entry = (Entry *)deadline;
    g_array_append_val(fixture->expired, entry->id);
    spn_web_deadlines_remove(&fixture->deadlines, deadline);
}

static void setup(Fixture *fixture, gconstpointer data)
{
    spn_web_deadlines_init(&fixture->deadlines, 3, 10, on_expired, fixture);
    fixture->expired = g_array_new(FALSE, FALSE, sizeof(int));
}

static void teardown(Fixture *fixture, gconstpointer data)
{
    spn_web_deadlines_clear(&fixture->deadlines);
    g_array_unref(fixture->expired);
}

static void test_full_queue_expires_the_least_recently_active(Fixture *fixture, gconstpointer data)
{
    Entry entries[5] = {{.id = 0}, {.id = 1}, {.id = 2}, {.id = 3}, {.id = 4}};
    for (int i = 0; i < 3; i++)
        spn_web_deadlines_add(&fixture->deadlines, &entries[i].deadline);
    g_assert_cmpuint(fixture->expired->len, ==, 0);
    /* 0 was active again: 1 is now the one silent longest. */
    spn_web_deadlines_touch(&fixture->deadlines, &entries[0].deadline);
    spn_web_deadlines_add(&fixture->deadlines, &entries[3].deadline);
    spn_web_deadlines_add(&fixture->deadlines, &entries[4].deadline);
    g_assert_cmpuint(fixture->expired->len, ==, 2);
    g_assert_cmpint(g_array_index(fixture->expired, int, 0), ==, 1);
    g_assert_cmpint(g_array_index(fixture->expired, int, 1), ==, 2);
    g_assert_cmpuint(fixture->deadlines.queue.length, ==, 3);
    spn_web_deadlines_clear(&fixture->deadlines);
    g_assert_cmpuint(fixture->expired->len, ==, 5);
    g_assert_cmpint(g_array_index(fixture->expired, int, 2), ==, 0);
    g_assert_cmpint(g_array_index(fixture->expired, int, 3), ==, 3);
    g_assert_cmpint(g_array_index(fixture->expired, int, 4), ==, 4);
}

static void test_sweep_runs_only_while_something_waits(Fixture *fixture, gconstpointer data)
{
    Entry a = {.id = 1}, b = {.id = 2};
    g_assert_cmpuint(fixture->deadlines.sweep_id, ==, 0);
    spn_web_deadlines_add(&fixture->deadlines, &a.deadline);
    g_assert_cmpuint(fixture->deadlines.sweep_id, !=, 0);
    spn_web_deadlines_add(&fixture->deadlines, &b.deadline);
    spn_web_deadlines_remove(&fixture->deadlines, &a.deadline);
    g_assert_cmpuint(fixture->deadlines.sweep_id, !=, 0);
    spn_web_deadlines_remove(&fixture->deadlines, &b.deadline);
    g_assert_cmpuint(fixture->deadlines.sweep_id, ==, 0);
    g_assert_cmpuint(fixture->expired->len, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/web-deadlines/full-queue-expires-the-least-recently-active", Fixture, NULL, setup,
               test_full_queue_expires_the_least_recently_active, teardown);
    g_test_add("/web-deadlines/sweep-runs-only-while-something-waits", Fixture, NULL, setup,
               test_sweep_runs_only_while_something_waits, teardown);
    return g_test_run();
}
