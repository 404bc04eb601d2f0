/* test-applet-window.c — spotnow-applet against the real spotnowd on a private bus.
 *
 * Each state of issue 6 is set up the way a user gets there (a state.ini the daemon wrote,
 * credentials or none, a Spotify that does not answer), then the applet renders it with
 * --screenshot: the PNG must be the window and not blank, and the texts the user reads must be
 * the expected ones. Presence is counted where it matters, at the daemon.
 */
#define G_LOG_DOMAIN "spotnow-test-applet"

#include <glib.h>
#include <string.h>

#include "harness.h"

#define TRACK                                                          \
    "trackName=Bohemian Rhapsody\n"                                    \
    "artistName=Queen\n"                                               \
    "albumName=A Night at the Opera\n"                                 \
    "albumArt=" HARNESS_ALBUM_ART_URL                                  \
    "\n"                                                               \
    "albumArtFile=@ART@\n"                                             \
    "trackUrl=https://open.spotify.com/track/4u7EnebtmKWzUH433cf5Qv\n" \
    "trackId=4u7EnebtmKWzUH433cf5Qv\n"                                 \
    "durationMs=354000\n"                                              \
    "fetchedAt=@NOW@\n"

#define PLAYING "isPlaying=true\nitemType=track\nprogressMs=83000\n" TRACK
#define PAUSED "isPlaying=false\nitemType=track\nprogressMs=83000\n" TRACK

/* Screenshot @world's daemon as @name and check the picture; returns the texts shown. */
static char *shoot(World *world, const char *name)
{
    g_autofree char *png = NULL;
    char *labels = world_screenshot(world, name, &png);
    assert_png_shows_window(png, labels);
    return labels;
}

static char *art_line(World *world, gboolean dimmed)
{
    return g_strdup_printf("art art\t%s%s", world->art_path, dimmed ? " (dimmed)" : "");
}

static void test_playing(void)
{
    g_autoptr(World) world = world_new();
    world_write_credentials(world, FALSE);
    world_write_state(world, PLAYING);
    world_start_daemon(world);
    g_autofree char *labels = shoot(world, "playing");

    assert_has_line(labels, "mode\tplaying");
    assert_has_line(labels, "label headline\tNow playing");
    assert_has_line(labels, "label title\tBohemian Rhapsody");
    assert_has_line(labels, "label subtitle\tQueen · A Night at the Opera");
    assert_has_line(labels, "tooltip title-button\tOpen in Spotify");
    /* The daemon's cached file is what shows, at full strength. */
    g_autofree char *art = art_line(world, FALSE);
    assert_has_line(labels, art);
    /* Ticking from fetchedAt: at least the 1:23 it was fetched at, out of 5:54. */
    assert_has_line(labels, "label elapsed\t1:2*");
    assert_has_line(labels, "label total\t5:54");
    assert_has_line(labels, "progress progress\t0.2*");
    assert_has_line(labels, "a11y progress\trole=progress-bar value-text=1:2? of 5:54");
    assert_has_line(labels, "timer tick\ton");
    assert_has_line(labels, "timer heartbeat\ton");
    assert_lacks_line(labels, "tooltip warning*");
}

static void test_last_played(void)
{
    g_autoptr(World) world = world_new();
    world_write_credentials(world, FALSE);
    world_write_state(world, PAUSED);
    world_start_daemon(world);
    g_autofree char *labels = shoot(world, "last-played");

    assert_has_line(labels, "mode\tlast-played");
    assert_has_line(labels, "label headline\tLast played");
    assert_has_line(labels, "label title\tBohemian Rhapsody");
    g_autofree char *art = art_line(world, TRUE);
    assert_has_line(labels, art);
    /* Paused: the position stands still and no timer runs for it. */
    assert_has_line(labels, "label elapsed\t1:23");
    assert_has_line(labels, "timer tick\toff");
    assert_lacks_line(labels, "label headline\tNow playing");
}

static void test_episode(void)
{
    g_autoptr(World) world = world_new();
    world_write_credentials(world, FALSE);
    /* The art file was evicted meanwhile: the placeholder shows, nothing breaks. */
    world_write_state(world,
                      "isPlaying=true\n"
                      "itemType=episode\n"
                      "trackName=Why the Universe Hums\n"
                      "artistName=Science Weekly\n"
                      "albumName=Science Weekly\n"
                      "albumArt=https://i.scdn.co/image/episode\n"
                      "albumArtFile=/nonexistent/evicted.jpg\n"
                      "trackUrl=https://open.spotify.com/episode/7makk4oTQel546B0PZlDM5\n"
                      "progressMs=600000\n"
                      "durationMs=2700000\n"
                      "fetchedAt=@NOW@\n");
    world_start_daemon(world);
    g_autofree char *labels = shoot(world, "episode");

    assert_has_line(labels, "mode\tplaying");
    assert_has_line(labels, "label headline\tEpisode");
    assert_has_line(labels, "label title\tWhy the Universe Hums");
    /* The show's name once, not "Science Weekly · Science Weekly". */
    assert_has_line(labels, "label subtitle\tScience Weekly");
    assert_has_line(labels, "label total\t45:00");
    assert_lacks_line(labels, "art art*");
}

static void test_ad(void)
{
    g_autoptr(World) world = world_new();
    world_write_credentials(world, FALSE);
    world_write_state(world, "isPlaying=false\nitemType=ad\nprogressMs=0\n" TRACK);
    world_start_daemon(world);
    g_autofree char *labels = shoot(world, "ad");

    assert_has_line(labels, "mode\tad");
    assert_has_line(labels, "label headline\tAdvertisement");
    assert_has_line(labels, "label title\tSpotify is playing an ad");
    assert_has_line(labels, "label subtitle\tAfter “Bohemian Rhapsody” by Queen");
    /* The last art stays; an ad has no position worth showing. */
    g_autofree char *art = art_line(world, TRUE);
    assert_has_line(labels, art);
    assert_lacks_line(labels, "progress progress*");
    assert_lacks_line(labels, "tooltip title-button*");
}

static void test_never_played(void)
{
    g_autoptr(World) world = world_new();
    world_write_credentials(world, FALSE);
    world_write_state(world,
                      "isPlaying=false\nitemType=none\ntrackName=\nartistName=\n"
                      "albumName=\nalbumArt=\nprogressMs=0\ndurationMs=0\nfetchedAt=@NOW@\n");
    world_start_daemon(world);
    g_autofree char *labels = shoot(world, "never-played");

    assert_has_line(labels, "mode\tnever-played");
    assert_has_line(labels, "label title\tNothing played yet");
    assert_has_line(labels, "label subtitle\tPlay something on Spotify, on any device");
    assert_lacks_line(labels, "art art*");
    assert_lacks_line(labels, "progress progress*");
}

static void test_signed_out(void)
{
    g_autoptr(World) world = world_new();
    /* Signed out with a last track on record: the sign-in is what matters. */
    world_write_state(world, PAUSED);
    world_start_daemon(world);
    g_autofree char *labels = shoot(world, "signed-out");

    assert_has_line(labels, "mode\tsigned-out");
    assert_has_line(labels, "label headline\tNot signed in");
    assert_has_line(labels, "label title\tConnect your Spotify account");
    assert_has_line(labels, "label sign-in-label\tSign in…");
    assert_has_line(labels, "tooltip sign-in\tSign in on Spotify’s page in your browser*");
    assert_lacks_line(labels, "tooltip warning*");
}

static void test_revoked(void)
{
    g_autoptr(World) world = world_new();
    world_write_credentials(world, TRUE);
    world_write_state(world, PAUSED);
    world_start_daemon(world);
    g_autofree char *labels = shoot(world, "revoked");

    assert_has_line(labels, "mode\tsigned-out");
    assert_has_line(labels, "label headline\tSigned out by Spotify");
    assert_has_line(labels, "label sign-in-label\tSign in again…");
}

static void test_upstream_error(void)
{
    g_autoptr(World) world = world_new();
    world_write_credentials(world, FALSE);
    /* A snapshot always stale: the applet's arrival makes the daemon poll a Spotify that
     * refuses connections, and the reason must reach the user without hiding the track. */
    world_write_state(world, PAUSED);
    world_set_polling(world, "fresh-paused-s", "0.001");
    world_start_daemon(world);
    g_autofree char *labels = shoot(world, "upstream-error");

    assert_has_line(labels, "mode\tlast-played");
    assert_has_line(labels, "label title\tBohemian Rhapsody");
    /* The daemon's own words, and when it tries again. */
    g_autoptr(GVariant) status = world_get_status(world);
    g_autofree char *last_error = NULL;
    g_assert_true(g_variant_lookup(status, "lastError", "s", &last_error));
    g_assert_cmpstr(last_error, !=, "");
    g_autofree char *expected =
        g_strdup_printf("tooltip warning\t%s Next try at ??:??; *", last_error);
    assert_has_line(labels, expected);
}

static void test_no_daemon(void)
{
    g_autoptr(World) world = world_new();
    g_autofree char *labels = shoot(world, "no-daemon");

    assert_has_line(labels, "mode\tno-daemon");
    assert_has_line(labels, "label title\tspotnowd is not running");
    assert_has_line(labels, "tooltip subtitle\tStart it with “*spotnowd”*");
    assert_has_line(labels, "timer tick\toff");
}

/* Started before the daemon, the applet picks it up by itself, and notices it go. */
static void test_reconnects(void)
{
    g_autoptr(World) world = world_new();
    world_write_credentials(world, FALSE);
    world_write_state(world, PLAYING);
    Applet *applet = applet_start(world, NULL);

    g_autofree char *before = applet_wait_for_mode(applet, "no-daemon", 10000);
    assert_has_line(before, "mode\tno-daemon");
    /* Nobody to tell: no heartbeat timer waking the applet for nothing. */
    assert_has_line(before, "timer heartbeat\toff");
    world_start_daemon(world);
    g_autofree char *after = applet_wait_for_mode(applet, "playing", 10000);
    assert_has_line(after, "mode\tplaying");
    assert_has_line(after, "label title\tBohemian Rhapsody");
    /* Seeing a daemon appear is a reason to report presence and ask for fresh data. */
    g_assert_cmpuint(world_wait_for_viewers(world, 1, 5000), ==, 1);

    world_stop_daemon(world);
    g_autofree char *gone = applet_wait_for_mode(applet, "no-daemon", 10000);
    assert_has_line(gone, "mode\tno-daemon");
    applet_finish(applet, FALSE);
}

static guint count_events(const char *out, const char *event)
{
    g_autofree char *line = g_strdup_printf("event %s\n", event);
    guint count = 0;
    for (const char *p = out; (p = strstr(p, line)) != NULL; p += strlen(line))
        count++;
    return count;
}

/* The seed's rule: heartbeats every TTL/2, only while the window can be seen. With a 1 s TTL at
 * the daemon, the applet (told nothing else) heartbeats every 0.5 s from GetStatus's
 * presenceTtlMs and stays present; hiding the window must let the viewer expire, and showing it
 * again must bring it back and ask for fresh data. */
static void test_presence_stops_when_hidden(void)
{
    g_autoptr(World) world = world_new();
    world_write_credentials(world, FALSE);
    world_write_state(world, PLAYING);
    world_set_polling(world, "presence-ttl-s", "1");
    world_start_daemon(world);
    Applet *applet = applet_start(world, NULL);

    g_autofree char *shown = applet_wait_for_mode(applet, "playing", 10000);
    g_assert_cmpuint(world_wait_for_viewers(world, 1, 5000), ==, 1);
    assert_has_line(shown, "timer heartbeat\ton");
    /* Twice the TTL: a heartbeat at the default 30 s would have let it lapse. */
    for (int i = 0; i < 8; i++) {
        g_usleep(250 * 1000);
        g_assert_cmpuint(world_count_viewers(world), ==, 1);
    }
    assert_has_line(shown, "timer tick\ton");

    g_autofree char *hide = applet_command(applet, "hide");
    g_assert_cmpuint(count_events(hide, "not-viewing"), ==, 1);
    g_assert_cmpuint(world_wait_for_viewers(world, 0, 5000), ==, 0);
    /* Longer than the TTL again: nothing revives it while hidden. */
    g_usleep(1500 * 1000);
    g_assert_cmpuint(world_count_viewers(world), ==, 0);
    g_autofree char *hidden = applet_command(applet, "describe");
    g_assert_cmpuint(count_events(hidden, "presence"), ==, 0);
    g_assert_cmpuint(count_events(hidden, "ensure-fresh"), ==, 0);
    assert_has_line(hidden, "timer heartbeat\toff");
    assert_has_line(hidden, "timer tick\toff");

    g_autofree char *show = applet_command(applet, "show");
    g_autofree char *visible = applet_wait_for_mode(applet, "playing", 5000);
    g_autofree char *events = g_strconcat(show, visible, NULL);
    g_assert_cmpuint(count_events(events, "ensure-fresh"), >=, 1);
    g_assert_cmpuint(world_wait_for_viewers(world, 1, 5000), ==, 1);
    assert_has_line(visible, "timer heartbeat\ton");
    applet_finish(applet, FALSE);
}

/* Closing the window remembers its size; the next start opens at it. */
static void test_remembers_size(void)
{
    g_autoptr(World) world = world_new();
    world_write_credentials(world, FALSE);
    world_write_state(world, PAUSED);
    world_start_daemon(world);

    Applet *first = applet_start(world, NULL);
    g_free(applet_wait_for_mode(first, "last-played", 10000));
    g_free(applet_command(first, "resize 480 120"));
    g_autofree char *resized = NULL;
    for (int i = 0; i < 50; i++) {
        g_free(resized);
        resized = applet_command(first, "describe");
        if (strstr(resized, "size\t480 120\n") != NULL)
            break;
        g_usleep(100 * 1000);
    }
    assert_has_line(resized, "size\t480 120");
    applet_finish(first, TRUE);

    g_autofree char *ini = g_build_filename(world->dir, "config", "spotnow", "applet.ini", NULL);
    g_autoptr(GKeyFile) key_file = g_key_file_new();
    g_assert_true(g_key_file_load_from_file(key_file, ini, G_KEY_FILE_NONE, NULL));
    g_assert_cmpint(g_key_file_get_integer(key_file, "window", "width", NULL), ==, 480);

    Applet *second = applet_start(world, NULL);
    g_autofree char *reopened = applet_wait_for_mode(second, "last-played", 10000);
    assert_has_line(reopened, "size\t480 120");
    applet_finish(second, FALSE);
}

static void test_version(void)
{
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;
    const char *argv[] = {g_getenv("SPOTNOW_APPLET"), "--version", NULL};
    int status = -1;
    g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status,
                 &error);
    g_assert_no_error(error);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    g_assert_cmpstr(out, ==, "spotnow-applet " SPOTNOW_VERSION "\n");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    harness_init();
    g_test_add_func("/applet/playing", test_playing);
    g_test_add_func("/applet/last-played", test_last_played);
    g_test_add_func("/applet/episode", test_episode);
    g_test_add_func("/applet/ad", test_ad);
    g_test_add_func("/applet/never-played", test_never_played);
    g_test_add_func("/applet/signed-out", test_signed_out);
    g_test_add_func("/applet/revoked", test_revoked);
    g_test_add_func("/applet/upstream-error", test_upstream_error);
    g_test_add_func("/applet/no-daemon", test_no_daemon);
    g_test_add_func("/applet/reconnects", test_reconnects);
    g_test_add_func("/applet/presence-stops-when-hidden", test_presence_stops_when_hidden);
    g_test_add_func("/applet/remembers-size", test_remembers_size);
    g_test_add_func("/applet/version", test_version);
    int status = g_test_run();
    harness_shutdown();
    return status;
}
