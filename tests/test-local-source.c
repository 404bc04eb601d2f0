/* test-local-source.c — the Spotify client's MPRIS state as a snapshot (rule 13), in the real
 * client's shapes. */
#include <gio/gio.h>

#include "local-source.h"

static GVariant *metadata(const char *trackid, const char *title)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&b, "{sv}", "mpris:trackid", g_variant_new_object_path(trackid));
    g_variant_builder_add(&b, "{sv}", "xesam:title", g_variant_new_string(title));
    const char *artists[] = {"Ada Quist", "The Marrow Bells", NULL};
    g_variant_builder_add(&b, "{sv}", "xesam:artist", g_variant_new_strv(artists, -1));
    g_variant_builder_add(&b, "{sv}", "xesam:album", g_variant_new_string("Slow Tide"));
    g_variant_builder_add(
        &b, "{sv}", "xesam:url",
        g_variant_new_string("https://open.spotify.com/track/6rqhFgbbKwnb9MLmUQDhG6"));
    g_variant_builder_add(&b, "{sv}", "mpris:artUrl",
                          g_variant_new_string("https://i.scdn.co/image/ab67616d0000b273"));
    g_variant_builder_add(&b, "{sv}", "mpris:length", g_variant_new_uint64(214000000));
    return g_variant_ref_sink(g_variant_builder_end(&b));
}

static void test_track(void)
{
    g_autoptr(GVariant) m = metadata("/com/spotify/track/6rqhFgbbKwnb9MLmUQDhG6", "Slow\nTide");
    g_autoptr(SpnSnapshot) s = spn_local_source_snapshot(m, "Playing", 250000000, 1000);
    g_assert_nonnull(s);
    g_assert_true(s->is_playing);
    g_assert_cmpstr(s->track_name, ==, "Slow Tide"); /* a control character is cleaned */
    g_assert_cmpstr(s->artist_name, ==, "Ada Quist, The Marrow Bells");
    g_assert_cmpstr(s->album_name, ==, "Slow Tide");
    g_assert_cmpstr(s->track_id, ==, "6rqhFgbbKwnb9MLmUQDhG6");
    g_assert_cmpstr(s->track_url, ==, "https://open.spotify.com/track/6rqhFgbbKwnb9MLmUQDhG6");
    g_assert_cmpstr(s->album_art, ==, "https://i.scdn.co/image/ab67616d0000b273");
    g_assert_cmpstr(s->item_type, ==, "track");
    g_assert_cmpint(s->duration_ms, ==, 214000);
    g_assert_cmpint(s->progress_ms, ==, 214000); /* clamped */
    g_assert_cmpint(s->fetched_at, ==, 1000);
}

static void test_not_a_source(void)
{
    g_autoptr(GVariant) m = metadata("/com/spotify/track/6rqhFgbbKwnb9MLmUQDhG6", "Song");
    g_assert_null(spn_local_source_snapshot(m, "Paused", 0, 1000));
    g_assert_null(spn_local_source_snapshot(m, "Stopped", 0, 1000));
    g_assert_null(spn_local_source_snapshot(NULL, "Playing", 0, 1000));
    /* Remote-controlling another device: the client shows no title. */
    g_autoptr(GVariant) remote = metadata("/com/spotify/track/6rqhFgbbKwnb9MLmUQDhG6", "");
    g_assert_null(spn_local_source_snapshot(remote, "Playing", 0, 1000));
}

static void test_ad_and_episode(void)
{
    g_autoptr(GVariant) ad = metadata("/com/spotify/ad/123", "Advertisement");
    g_autoptr(SpnSnapshot) a = spn_local_source_snapshot(ad, "Playing", 0, 1);
    g_assert_cmpstr(a->item_type, ==, "ad");
    g_assert_null(a->track_id);
    g_assert_null(a->track_url);
    g_autoptr(GVariant) ep = metadata("/com/spotify/episode/512ojhOuo1ktJprKbVcKyQ", "Ep");
    g_autoptr(SpnSnapshot) e = spn_local_source_snapshot(ep, "Playing", 0, 1);
    g_assert_cmpstr(e->item_type, ==, "episode");
    g_assert_cmpstr(e->track_id, ==, "512ojhOuo1ktJprKbVcKyQ");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/local-source/track", test_track);
    g_test_add_func("/local-source/not-a-source", test_not_a_source);
    g_test_add_func("/local-source/ad-and-episode", test_ad_and_episode);
    return g_test_run();
}
