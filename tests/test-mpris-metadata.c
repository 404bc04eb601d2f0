/* test-mpris-metadata.c — what a panel shows for each snapshot: PlaybackStatus, Metadata (with
 * the specification's types) and the extrapolated Position, over the real Spotify replies. */
#include <string.h>

#include "mpris-metadata.h"
#include "snapshot.h"
#include "test-util.h"

#define NOW G_GINT64_CONSTANT(1700000000000)

static SpnSnapshot *from_fixture(const char *name, const SpnSnapshot *previous)
{
    gsize length = 0;
    g_autofree char *body = spn_test_load_fixture(name, &length);
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnSnapshot) empty = spn_snapshot_new();
    SpnSnapshot *snapshot =
        spn_snapshot_normalise(previous ? previous : empty, body, length, NOW, &error);
    g_assert_no_error(error);
    return snapshot;
}

static SpnSnapshot *made_up_track(void)
{
    SpnSnapshot *s = spn_snapshot_new();
    s->is_playing = TRUE;
    g_free(s->track_name), s->track_name = g_strdup("Paper Lanterns");
    g_free(s->artist_name), s->artist_name = g_strdup("Tyler, The Creator");
    g_free(s->album_name), s->album_name = g_strdup("Night Markets");
    g_free(s->album_art), s->album_art = g_strdup("https://i.scdn.co/image/abc");
    s->track_url = g_strdup("https://open.spotify.com/track/demoTrack1");
    s->track_id = g_strdup("demoTrack1");
    g_free(s->item_type), s->item_type = g_strdup("track");
    s->progress_ms = 61000;
    s->duration_ms = 214000;
    s->fetched_at = NOW;
    return s;
}

/* Metadata as a dict, with every key's type checked against the MPRIS specification. */
static GVariantDict *metadata_of(const SpnSnapshot *snapshot)
{
    g_autoptr(GVariant) metadata = g_variant_ref_sink(spn_mpris_metadata(snapshot));
    g_assert_true(g_variant_is_of_type(metadata, G_VARIANT_TYPE_VARDICT));
    static const struct {
        const char *key;
        const char *type;
    } types[] = {
        {"mpris:trackid", "o"}, {"mpris:length", "x"}, {"xesam:title", "s"}, {"xesam:artist", "as"},
        {"xesam:album", "s"},   {"mpris:artUrl", "s"}, {"xesam:url", "s"},
    };
    GVariantIter iter;
    const char *key;
    GVariant *value;
    g_variant_iter_init(&iter, metadata);
    while (g_variant_iter_loop(&iter, "{&sv}", &key, &value)) {
        gboolean known = FALSE;
        for (guint i = 0; i < G_N_ELEMENTS(types); i++) {
            if (g_str_equal(key, types[i].key)) {
                g_assert_cmpstr(g_variant_get_type_string(value), ==, types[i].type);
                known = TRUE;
            }
        }
        g_assert_true(known);
    }
    return g_variant_dict_new(metadata);
}

static char *lookup_string(GVariantDict *dict, const char *key)
{
    char *value = NULL;
    if (!g_variant_dict_lookup(dict, key, "s", &value))
        return NULL;
    return value;
}

static char *lookup_track_id(GVariantDict *dict)
{
    char *value = NULL;
    g_assert_true(g_variant_dict_lookup(dict, "mpris:trackid", "o", &value));
    return value;
}

static void test_nothing_seen_is_stopped(void)
{
    g_autoptr(SpnSnapshot) s = spn_snapshot_new();
    g_assert_cmpstr(spn_mpris_playback_status(s), ==, "Stopped");
    g_autoptr(GVariantDict) dict = metadata_of(s);
    g_autofree char *id = lookup_track_id(dict);
    g_assert_cmpstr(id, ==, SPN_MPRIS_NO_TRACK);
    g_assert_false(g_variant_dict_contains(dict, "xesam:title"));
    g_assert_false(g_variant_dict_contains(dict, "mpris:length"));
    g_assert_cmpint(spn_mpris_position_us(s, NOW), ==, 0);
}

static void test_playing_track(void)
{
    g_autoptr(SpnSnapshot) s = made_up_track();
    g_assert_cmpstr(spn_mpris_playback_status(s), ==, "Playing");
    g_autoptr(GVariantDict) dict = metadata_of(s);
    g_autofree char *id = lookup_track_id(dict);
    g_assert_cmpstr(id, ==, "/io/github/spotnow/track/demoTrack1");
    gint64 length = 0;
    g_assert_true(g_variant_dict_lookup(dict, "mpris:length", "x", &length));
    g_assert_cmpint(length, ==, G_GINT64_CONSTANT(214000000));
    g_autofree char *title = lookup_string(dict, "xesam:title");
    g_assert_cmpstr(title, ==, "Paper Lanterns");
    /* One element: splitting at ", " would cut this artist's name in two. */
    g_autofree char **artists = NULL;
    g_assert_true(g_variant_dict_lookup(dict, "xesam:artist", "^a&s", &artists));
    g_assert_cmpuint(g_strv_length(artists), ==, 1);
    g_assert_cmpstr(artists[0], ==, "Tyler, The Creator");
    g_autofree char *album = lookup_string(dict, "xesam:album");
    g_assert_cmpstr(album, ==, "Night Markets");
    g_autofree char *art = lookup_string(dict, "mpris:artUrl");
    g_assert_cmpstr(art, ==, "https://i.scdn.co/image/abc");
    g_autofree char *url = lookup_string(dict, "xesam:url");
    g_assert_cmpstr(url, ==, "https://open.spotify.com/track/demoTrack1");
}

static void test_position_extrapolated_and_clamped(void)
{
    g_autoptr(SpnSnapshot) s = made_up_track();
    g_assert_cmpint(spn_mpris_position_us(s, NOW), ==, G_GINT64_CONSTANT(61000000));
    g_assert_cmpint(spn_mpris_position_us(s, NOW + 2500), ==, G_GINT64_CONSTANT(63500000));
    /* Never past the end, however long the poll is overdue. */
    g_assert_cmpint(spn_mpris_position_us(s, NOW + 3600000), ==, G_GINT64_CONSTANT(214000000));
    /* Paused: the position stands still. */
    s->is_playing = FALSE;
    g_assert_cmpstr(spn_mpris_playback_status(s), ==, "Paused");
    g_assert_cmpint(spn_mpris_position_us(s, NOW + 10000), ==, G_GINT64_CONSTANT(61000000));
}

static void test_cached_art_is_a_file_uri(void)
{
    g_autoptr(SpnSnapshot) s = made_up_track();
    s->album_art_file = g_strdup("/home/ann/.cache/spotnow/art/ab cd.jpg");
    g_autoptr(GVariantDict) dict = metadata_of(s);
    g_autofree char *art = lookup_string(dict, "mpris:artUrl");
    g_assert_cmpstr(art, ==, "file:///home/ann/.cache/spotnow/art/ab%20cd.jpg");

    /* A path that cannot be a file:// URI falls back to Spotify's URL, not to nothing. */
    g_free(s->album_art_file), s->album_art_file = g_strdup("relative/art.jpg");
    g_autoptr(GVariantDict) fallback = metadata_of(s);
    g_autofree char *remote = lookup_string(fallback, "mpris:artUrl");
    g_assert_cmpstr(remote, ==, "https://i.scdn.co/image/abc");

    /* No art at all: no key, rather than an empty URL a panel would try to load. */
    g_clear_pointer(&s->album_art_file, g_free);
    g_free(s->album_art), s->album_art = g_strdup("");
    g_autoptr(GVariantDict) none = metadata_of(s);
    g_assert_false(g_variant_dict_contains(none, "mpris:artUrl"));
}

static void test_track_id_is_a_valid_path(void)
{
    g_autoptr(SpnSnapshot) s = made_up_track();
    g_free(s->track_id), s->track_id = g_strdup("ab-c:d/é");
    g_autofree char *id = spn_mpris_track_id(s);
    g_assert_true(g_variant_is_object_path(id));
    g_assert_true(g_str_has_prefix(id, "/io/github/spotnow/track/ab_c_d_"));
    g_assert_false(g_str_has_prefix(id, "/org/mpris"));
}

static void test_local_file_has_a_stable_distinct_id(void)
{
    g_autoptr(SpnSnapshot) s = made_up_track();
    g_clear_pointer(&s->track_id, g_free);
    g_clear_pointer(&s->track_url, g_free);
    g_autofree char *id = spn_mpris_track_id(s);
    g_assert_true(g_variant_is_object_path(id));
    g_assert_true(g_str_has_prefix(id, "/io/github/spotnow/local/"));
    g_autofree char *again = spn_mpris_track_id(s);
    g_assert_cmpstr(id, ==, again);
    g_free(s->track_name), s->track_name = g_strdup("Another Demo");
    g_autofree char *other = spn_mpris_track_id(s);
    g_assert_cmpstr(id, !=, other);
    g_autoptr(GVariantDict) dict = metadata_of(s);
    g_assert_false(g_variant_dict_contains(dict, "xesam:url"));
}

static void test_real_track_reply(void)
{
    g_autoptr(SpnSnapshot) s = from_fixture("currently-playing-track.json", NULL);
    g_assert_cmpstr(spn_mpris_playback_status(s), ==, "Paused");
    g_autoptr(GVariantDict) dict = metadata_of(s);
    g_autofree char *id = lookup_track_id(dict);
    g_assert_cmpstr(id, ==, "/io/github/spotnow/track/01iyCAUm8EvOFqVWYJ3dVX");
    g_autofree char *title = lookup_string(dict, "xesam:title");
    g_assert_cmpstr(title, ==, "Dancing Queen");
    gint64 length = 0;
    g_assert_true(g_variant_dict_lookup(dict, "mpris:length", "x", &length));
    g_assert_cmpint(length, ==, G_GINT64_CONSTANT(230400000));
    g_assert_cmpint(spn_mpris_position_us(s, NOW + 5000), ==, G_GINT64_CONSTANT(78810000));
}

static void test_real_episode_reply(void)
{
    g_autoptr(SpnSnapshot) s = from_fixture("currently-playing-episode.json", NULL);
    g_assert_cmpstr(spn_mpris_playback_status(s), ==, "Playing");
    g_autoptr(GVariantDict) dict = metadata_of(s);
    g_autofree char *id = lookup_track_id(dict);
    g_assert_cmpstr(id, ==, "/io/github/spotnow/episode/4GI3dxEafwap1sFiTGPKd1");
    g_autofree char **artists = NULL;
    g_assert_true(g_variant_dict_lookup(dict, "xesam:artist", "^a&s", &artists));
    g_assert_cmpstr(artists[0], ==, "The Giant Beastcast");
}

/* An ad keeps the last track in the snapshot ("last played"), but a panel must not present
 * that song as playing. */
static void test_ad_does_not_show_the_last_song(void)
{
    g_autoptr(SpnSnapshot) before = made_up_track();
    g_autoptr(SpnSnapshot) s = from_fixture("currently-playing-ad.json", before);
    g_assert_cmpstr(s->track_name, ==, "Paper Lanterns"); /* the snapshot keeps it */
    /* isPlaying is true only for an item actually playing, and an ad is none. */
    g_assert_cmpstr(spn_mpris_playback_status(s), ==, "Paused");
    g_autoptr(GVariantDict) dict = metadata_of(s);
    g_autofree char *id = lookup_track_id(dict);
    g_assert_cmpstr(id, ==, SPN_MPRIS_NO_TRACK);
    g_autofree char *title = lookup_string(dict, "xesam:title");
    g_assert_cmpstr(title, ==, "Advertisement");
    g_assert_false(g_variant_dict_contains(dict, "xesam:artist"));
    g_assert_false(g_variant_dict_contains(dict, "xesam:album"));
    g_assert_false(g_variant_dict_contains(dict, "mpris:artUrl"));
}

static void test_unknown_item_is_no_track(void)
{
    g_autoptr(SpnSnapshot) before = made_up_track();
    g_autoptr(SpnSnapshot) s =
        from_fixture("player-state-nothing-playing-item-null-unknown.json", before);
    g_assert_cmpstr(s->item_type, ==, "unknown");
    g_autoptr(GVariantDict) dict = metadata_of(s);
    g_autofree char *id = lookup_track_id(dict);
    g_assert_cmpstr(id, ==, SPN_MPRIS_NO_TRACK);
    g_assert_false(g_variant_dict_contains(dict, "xesam:title"));
}

/* 204: nothing plays, the last track stays, as paused. */
static void test_nothing_playing_keeps_last_track_paused(void)
{
    g_autoptr(SpnSnapshot) before = made_up_track();
    g_autoptr(SpnSnapshot) s = from_fixture("currently-playing-204.empty", before);
    g_assert_cmpstr(spn_mpris_playback_status(s), ==, "Paused");
    g_autoptr(GVariantDict) dict = metadata_of(s);
    g_autofree char *title = lookup_string(dict, "xesam:title");
    g_assert_cmpstr(title, ==, "Paper Lanterns");
}

static void test_unknown_length_is_absent(void)
{
    g_autoptr(SpnSnapshot) s = made_up_track();
    s->duration_ms = 0;
    s->progress_ms = 0;
    g_autoptr(GVariantDict) dict = metadata_of(s);
    g_assert_false(g_variant_dict_contains(dict, "mpris:length"));
}

/* Equal snapshots give equal Metadata, so a poll that changed nothing signals nothing. */
static void test_metadata_ignores_progress(void)
{
    g_autoptr(SpnSnapshot) a = made_up_track();
    g_autoptr(SpnSnapshot) b = spn_snapshot_copy(a);
    b->progress_ms += 5000;
    b->fetched_at += 5000;
    g_autoptr(GVariant) ma = g_variant_ref_sink(spn_mpris_metadata(a));
    g_autoptr(GVariant) mb = g_variant_ref_sink(spn_mpris_metadata(b));
    g_assert_true(g_variant_equal(ma, mb));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mpris-metadata/nothing-seen-is-stopped", test_nothing_seen_is_stopped);
    g_test_add_func("/mpris-metadata/playing-track", test_playing_track);
    g_test_add_func("/mpris-metadata/position", test_position_extrapolated_and_clamped);
    g_test_add_func("/mpris-metadata/cached-art-file-uri", test_cached_art_is_a_file_uri);
    g_test_add_func("/mpris-metadata/track-id-valid-path", test_track_id_is_a_valid_path);
    g_test_add_func("/mpris-metadata/local-file-id", test_local_file_has_a_stable_distinct_id);
    g_test_add_func("/mpris-metadata/real-track", test_real_track_reply);
    g_test_add_func("/mpris-metadata/real-episode", test_real_episode_reply);
    g_test_add_func("/mpris-metadata/ad", test_ad_does_not_show_the_last_song);
    g_test_add_func("/mpris-metadata/unknown", test_unknown_item_is_no_track);
    g_test_add_func("/mpris-metadata/204-keeps-last-paused",
                    test_nothing_playing_keeps_last_track_paused);
    g_test_add_func("/mpris-metadata/unknown-length", test_unknown_length_is_absent);
    g_test_add_func("/mpris-metadata/ignores-progress", test_metadata_ignores_progress);
    return g_test_run();
}
