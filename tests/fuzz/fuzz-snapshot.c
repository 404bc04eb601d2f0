/* fuzz-snapshot.c — spn_snapshot_normalise() over any reply body.
 *
 * The oracle is doc/design.md section 2: a snapshot it returns has every string present and valid
 * UTF-8, a known itemType, 0 <= progressMs <= durationMs, fetchedAt = now; it survives the trip
 * through D-Bus (a{sv}) and through state.ini (GKeyFile) unchanged. A body it refuses is an
 * SPN_ERROR_UPSTREAM with a readable message. */
#define G_LOG_DOMAIN "spotnow-fuzz"

#include <glib.h>

#include "fuzz.h"
#include "snapshot.h"
#include "spn-error.h"
#include "store.h"
#include "test-util.h"

#define NOW_MS G_GINT64_CONSTANT(1700000000000)

static const char *const item_types[] = {"track", "episode", "ad", "unknown", "none"};

/* What the daemon holds before the reply: nothing yet, or a track whose metadata a 204 keeps. */
static SpnSnapshot *previous_snapshot(gboolean empty)
{
    SpnSnapshot *snapshot = spn_snapshot_new();
    if (empty)
        return snapshot;
    g_free(snapshot->track_name);
    snapshot->track_name = g_strdup("Ærøskøbing — Ü <&>");
    g_free(snapshot->artist_name);
    snapshot->artist_name = g_strdup("Artist A, B");
    g_free(snapshot->item_type);
    snapshot->item_type = g_strdup("track");
    snapshot->track_id = g_strdup("t1");
    snapshot->track_url = g_strdup("https://open.spotify.com/track/t1");
    snapshot->is_playing = TRUE;
    snapshot->duration_ms = 215000;
    snapshot->progress_ms = 30000;
    snapshot->fetched_at = NOW_MS - 5000;
    return snapshot;
}

static void assert_text(const char *text)
{
    g_assert_nonnull(text);
    g_assert_true(g_utf8_validate(text, -1, NULL));
}

static void assert_optional_text(const char *text)
{
    if (text != NULL)
        assert_text(text);
}

static void assert_well_formed(const SpnSnapshot *snapshot)
{
    gboolean known = FALSE;

    assert_text(snapshot->track_name);
    assert_text(snapshot->artist_name);
    assert_text(snapshot->album_name);
    assert_text(snapshot->album_art);
    assert_optional_text(snapshot->album_art_file);
    assert_optional_text(snapshot->track_url);
    assert_optional_text(snapshot->track_id);
    assert_text(snapshot->item_type);
    for (gsize i = 0; i < G_N_ELEMENTS(item_types); i++)
        known = known || g_str_equal(item_types[i], snapshot->item_type);
    g_assert_true(known);
    g_assert_cmpint(snapshot->duration_ms, >=, 0);
    g_assert_cmpint(snapshot->progress_ms, >=, 0);
    g_assert_cmpint(snapshot->progress_ms, <=, snapshot->duration_ms);
    g_assert_cmpint(snapshot->fetched_at, ==, NOW_MS);
}

static void assert_round_trips(const SpnSnapshot *snapshot)
{
    g_autoptr(GVariant) variant = g_variant_ref_sink(spn_snapshot_to_variant(snapshot));
    g_autoptr(SpnSnapshot) from_variant = spn_snapshot_from_variant(variant);
    g_autoptr(GKeyFile) written = g_key_file_new();
    g_autoptr(GKeyFile) read = g_key_file_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnSnapshot) from_key_file = NULL;
    g_autofree char *text = NULL;
    gsize length = 0;

    g_assert_true(g_variant_is_normal_form(variant));
    spn_assert_snapshots_equal(snapshot, from_variant);

    spn_store_snapshot_to_key_file(snapshot, written);
    text = g_key_file_to_data(written, &length, NULL);
    g_assert_true(g_key_file_load_from_data(read, text, length, G_KEY_FILE_NONE, &error));
    g_assert_no_error(error);
    from_key_file = spn_store_snapshot_from_key_file(read, &error);
    g_assert_no_error(error);
    spn_assert_snapshots_equal(snapshot, from_key_file);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int empty = 0; empty <= 1; empty++) {
        g_autoptr(SpnSnapshot) previous = previous_snapshot(empty);
        g_autoptr(GError) error = NULL;
        g_autoptr(SpnSnapshot) snapshot =
            spn_snapshot_normalise(previous, (const char *)data, size, NOW_MS, &error);

        if (snapshot == NULL) {
            g_assert_error(error, SPN_ERROR, SPN_ERROR_UPSTREAM);
            assert_text(error->message);
            continue;
        }
        g_assert_no_error(error);
        assert_well_formed(snapshot);
        assert_round_trips(snapshot);

        /* What the daemon does next with it: no crash, and predictions stay in range. */
        (void)spn_snapshot_compare(previous, snapshot);
        gint64 predicted = spn_snapshot_predicted_progress(snapshot, NOW_MS + 60000);
        g_assert_cmpint(predicted, >=, 0);
        g_assert_cmpint(predicted, <=, snapshot->duration_ms);
    }
    return 0;
}
