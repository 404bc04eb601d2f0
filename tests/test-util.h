/* test-util.h — what several test programs need alike: the real fixtures, and comparing two
 * snapshots field by field (so a failure names the field). Header-only: each test program is
 * one executable and links nothing extra. */
#pragma once

#include <glib.h>

#include "snapshot.h"

/* The bytes of tests/fixtures/@name (the directory comes from $SPN_FIXTURES_DIR). */
static inline char *spn_test_load_fixture(const char *name, gsize *length)
{
    const char *dir = g_getenv("SPN_FIXTURES_DIR");
    g_assert_nonnull(dir);
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autoptr(GError) error = NULL;
    char *contents = NULL;
    g_file_get_contents(path, &contents, length, &error);
    g_assert_no_error(error);
    return contents;
}

static inline void spn_assert_snapshots_equal(const SpnSnapshot *a, const SpnSnapshot *b)
{
    g_assert_cmpint(a->is_playing, ==, b->is_playing);
    g_assert_cmpstr(a->track_name, ==, b->track_name);
    g_assert_cmpstr(a->artist_name, ==, b->artist_name);
    g_assert_cmpstr(a->album_name, ==, b->album_name);
    g_assert_cmpstr(a->album_art, ==, b->album_art);
    g_assert_cmpstr(a->album_art_file, ==, b->album_art_file);
    g_assert_cmpstr(a->track_url, ==, b->track_url);
    g_assert_cmpstr(a->track_id, ==, b->track_id);
    g_assert_cmpstr(a->item_type, ==, b->item_type);
    g_assert_cmpint(a->progress_ms, ==, b->progress_ms);
    g_assert_cmpint(a->duration_ms, ==, b->duration_ms);
    g_assert_cmpint(a->fetched_at, ==, b->fetched_at);
}
