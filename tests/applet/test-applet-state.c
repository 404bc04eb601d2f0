/* test-applet-state.c — what the applet shows for each snapshot and status (no display). */
#define G_LOG_DOMAIN "spotnow-test-applet-state"

#include <glib.h>

#include "applet-state.h"

#define NOW G_GINT64_CONSTANT(1767225600000) /* 2026-01-01 00:00:00 UTC */
#define DAEMON_PATH "/usr/libexec/spotnowd"

/* The snapshot as the daemon sends it: serialised and untrusted, like a D-Bus message body. */
static GVariant *from_wire(GVariant *value)
{
    g_autoptr(GVariant) sunk = g_variant_ref_sink(value);
    g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes(sunk);
    return g_variant_ref_sink(g_variant_new_from_bytes(g_variant_get_type(sunk), bytes, FALSE));
}

static GVariant *track(gboolean playing, const char *item_type)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&b, "{sv}", "isPlaying", g_variant_new_boolean(playing));
    g_variant_builder_add(&b, "{sv}", "trackName", g_variant_new_string("Bohemian Rhapsody"));
    g_variant_builder_add(&b, "{sv}", "artistName", g_variant_new_string("Queen"));
    g_variant_builder_add(&b, "{sv}", "albumName", g_variant_new_string("A Night at the Opera"));
    g_variant_builder_add(&b, "{sv}", "albumArt", g_variant_new_string("https://i.scdn.co/x"));
    g_variant_builder_add(&b, "{sv}", "albumArtFile", g_variant_new_string("/cache/art/x.jpg"));
    g_variant_builder_add(&b, "{sv}", "trackUrl",
                          g_variant_new_string("https://open.spotify.com/track/x"));
    g_variant_builder_add(&b, "{sv}", "itemType", g_variant_new_string(item_type));
    g_variant_builder_add(&b, "{sv}", "progressMs", g_variant_new_int64(83000));
    g_variant_builder_add(&b, "{sv}", "durationMs", g_variant_new_int64(354000));
    g_variant_builder_add(&b, "{sv}", "fetchedAt", g_variant_new_int64(NOW));
    return from_wire(g_variant_builder_end(&b));
}

static GVariant *status(const char *auth, const char *last_error, gint64 backoff_until)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&b, "{sv}", "authState", g_variant_new_string(auth));
    g_variant_builder_add(&b, "{sv}", "viewers", g_variant_new_uint32(1));
    g_variant_builder_add(&b, "{sv}", "backoffUntil", g_variant_new_int64(backoff_until));
    g_variant_builder_add(&b, "{sv}", "lastError", g_variant_new_string(last_error));
    return from_wire(g_variant_builder_end(&b));
}

static GVariant *signed_in(void)
{
    return status("signed-in", "", 0);
}

static SpnAppletView *view_of(GVariant *snapshot, GVariant *st)
{
    return spn_applet_view_new(SPN_APPLET_DAEMON_PRESENT, snapshot, st, DAEMON_PATH, NOW);
}

static void test_no_daemon(void)
{
    g_autoptr(SpnAppletView) view =
        spn_applet_view_new(SPN_APPLET_DAEMON_ABSENT, NULL, NULL, DAEMON_PATH, NOW);
    g_assert_cmpint(view->mode, ==, SPN_APPLET_MODE_NO_DAEMON);
    g_assert_cmpstr(view->title, ==, "spotnowd is not running");
    g_assert_nonnull(g_strstr_len(view->help, -1, "“" DAEMON_PATH "”"));
    g_assert_null(view->art_file);
    g_assert_false(view->ticking);
    g_assert_false(view->show_progress);
}

static void test_connecting(void)
{
    g_autoptr(GVariant) snapshot = track(TRUE, "track");
    g_autoptr(SpnAppletView) unknown =
        spn_applet_view_new(SPN_APPLET_DAEMON_UNKNOWN, NULL, NULL, DAEMON_PATH, NOW);
    g_assert_cmpint(unknown->mode, ==, SPN_APPLET_MODE_CONNECTING);
    /* The snapshot without the status cannot tell signed-out from playing: not yet. */
    g_autoptr(SpnAppletView) half = view_of(snapshot, NULL);
    g_assert_cmpint(half->mode, ==, SPN_APPLET_MODE_CONNECTING);
}

static void test_playing_track(void)
{
    g_autoptr(GVariant) snapshot = track(TRUE, "track");
    g_autoptr(GVariant) st = signed_in();
    g_autoptr(SpnAppletView) view = view_of(snapshot, st);
    g_assert_cmpint(view->mode, ==, SPN_APPLET_MODE_PLAYING);
    g_assert_cmpstr(view->headline, ==, "Now playing");
    g_assert_cmpstr(view->title, ==, "Bohemian Rhapsody");
    g_assert_cmpstr(view->subtitle, ==, "Queen · A Night at the Opera");
    g_assert_cmpstr(view->art_file, ==, "/cache/art/x.jpg");
    g_assert_false(view->art_dimmed);
    g_assert_cmpstr(view->track_url, ==, "https://open.spotify.com/track/x");
    g_assert_true(view->show_progress);
    g_assert_true(view->ticking);
    g_assert_false(view->show_sign_in);
    g_assert_null(view->warning);
    g_assert_false(view->art_expected);

    /* The URL is known but the daemon has not cached it yet: placeholder, art on its way. */
    GVariantDict dict;
    g_variant_dict_init(&dict, snapshot);
    g_variant_dict_remove(&dict, "albumArtFile");
    g_autoptr(GVariant) uncached = from_wire(g_variant_dict_end(&dict));
    g_autoptr(SpnAppletView) waiting = view_of(uncached, st);
    g_assert_null(waiting->art_file);
    g_assert_true(waiting->art_expected);
}

static void test_paused_is_last_played(void)
{
    g_autoptr(GVariant) snapshot = track(FALSE, "track");
    g_autoptr(GVariant) st = signed_in();
    g_autoptr(SpnAppletView) view = view_of(snapshot, st);
    g_assert_cmpint(view->mode, ==, SPN_APPLET_MODE_LAST_PLAYED);
    g_assert_cmpstr(view->headline, ==, "Last played");
    g_assert_cmpstr(view->title, ==, "Bohemian Rhapsody");
    g_assert_true(view->art_dimmed);
    g_assert_true(view->show_progress);
    g_assert_false(view->ticking);
    /* Time passing moves nothing, and no timer is asked for. */
    g_assert_cmpint(spn_applet_view_progress(view, NOW + 60000), ==, 83000);
    g_assert_cmpuint(spn_applet_view_next_tick_ms(view, NOW + 60000), ==, 0);
}

static void test_episode(void)
{
    GVariantDict dict;
    g_autoptr(GVariant) base = track(TRUE, "episode");
    g_variant_dict_init(&dict, base);
    g_variant_dict_insert(&dict, "trackName", "s", "Why the Universe Hums");
    g_variant_dict_insert(&dict, "artistName", "s", "Science Weekly");
    g_variant_dict_insert(&dict, "albumName", "s", "Science Weekly");
    g_autoptr(GVariant) snapshot = from_wire(g_variant_dict_end(&dict));
    g_autoptr(GVariant) st = signed_in();
    g_autoptr(SpnAppletView) view = view_of(snapshot, st);
    g_assert_cmpint(view->mode, ==, SPN_APPLET_MODE_PLAYING);
    g_assert_cmpstr(view->headline, ==, "Episode");
    g_assert_cmpstr(view->subtitle, ==, "Science Weekly");
}

static void test_ad_keeps_last_art(void)
{
    g_autoptr(GVariant) snapshot = track(FALSE, "ad");
    g_autoptr(GVariant) st = signed_in();
    g_autoptr(SpnAppletView) view = view_of(snapshot, st);
    g_assert_cmpint(view->mode, ==, SPN_APPLET_MODE_AD);
    g_assert_cmpstr(view->headline, ==, "Advertisement");
    g_assert_cmpstr(view->subtitle, ==, "After “Bohemian Rhapsody” by Queen");
    g_assert_cmpstr(view->art_file, ==, "/cache/art/x.jpg");
    g_assert_false(view->show_progress);
    g_assert_false(view->ticking);
    /* The ad is not that track: no link to it. */
    g_assert_null(view->track_url);
}

static void test_never_played(void)
{
    g_autoptr(GVariant) empty = from_wire(g_variant_new_parsed(
        "{'isPlaying': <false>, 'itemType': <'none'>, 'trackName': <''>, 'fetchedAt': <@x 0>}"));
    g_autoptr(GVariant) st = signed_in();
    g_autoptr(SpnAppletView) view = view_of(empty, st);
    g_assert_cmpint(view->mode, ==, SPN_APPLET_MODE_NEVER_PLAYED);
    g_assert_cmpstr(view->title, ==, "Nothing played yet");
    g_assert_null(view->art_file);
    g_assert_false(view->show_progress);

    /* An ad as the very first thing: no "After …" about nothing. */
    g_autoptr(GVariant) first_ad =
        from_wire(g_variant_new_parsed("{'itemType': <'ad'>, 'trackName': <''>}"));
    g_autoptr(SpnAppletView) ad = view_of(first_ad, st);
    g_assert_cmpint(ad->mode, ==, SPN_APPLET_MODE_AD);
    g_assert_cmpstr(ad->subtitle, ==, "");
}

static void test_signed_out(void)
{
    g_autoptr(GVariant) snapshot = track(FALSE, "track");
    g_autoptr(GVariant) out = status("signed-out", "", 0);
    g_autoptr(SpnAppletView) view = view_of(snapshot, out);
    g_assert_cmpint(view->mode, ==, SPN_APPLET_MODE_SIGNED_OUT);
    g_assert_true(view->show_sign_in);
    g_assert_cmpstr(view->sign_in_label, ==, "Sign in…");
    g_assert_nonnull(g_strstr_len(view->help, -1, "spotnow login"));
    g_assert_false(view->show_progress);

    /* Revoked: the daemon's lastError says so too, but the card already does. */
    g_autoptr(GVariant) revoked = status("revoked", "invalid_grant: Refresh token revoked", 0);
    g_autoptr(SpnAppletView) again = view_of(snapshot, revoked);
    g_assert_cmpint(again->mode, ==, SPN_APPLET_MODE_SIGNED_OUT);
    g_assert_cmpstr(again->sign_in_label, ==, "Sign in again…");
    g_assert_null(again->warning);
}

static void test_warning(void)
{
    g_autoptr(GVariant) snapshot = track(TRUE, "track");
    gint64 backoff = NOW + 90 * 1000; /* 00:01:30 UTC */
    g_autoptr(GVariant) failing = status("signed-in", "HTTP 502 Bad Gateway", backoff);
    g_autoptr(SpnAppletView) view = view_of(snapshot, failing);
    /* The track stays; the reason and the next try go in the warning. */
    g_assert_cmpint(view->mode, ==, SPN_APPLET_MODE_PLAYING);
    g_assert_cmpstr(view->warning, ==,
                    "HTTP 502 Bad Gateway\n"
                    "Next try at 00:01; until then this is the last known state.");

    g_autoptr(GVariant) waiting = status("signed-in", "", backoff);
    g_autoptr(SpnAppletView) quiet = view_of(snapshot, waiting);
    g_assert_nonnull(quiet->warning);
    g_assert_true(g_str_has_prefix(quiet->warning, "Spotify asked spotnow to wait\n"));

    /* A back-off that ended is no news. */
    g_autoptr(GVariant) over = status("signed-in", "", NOW - 1);
    g_autoptr(SpnAppletView) fine = view_of(snapshot, over);
    g_assert_null(fine->warning);
}

/* A daemon activation could not start says so, with its reason (issue 13 A1). */
static void test_start_failure(void)
{
    g_autoptr(SpnAppletView) view =
        spn_applet_view_new(SPN_APPLET_DAEMON_ABSENT, NULL, NULL, DAEMON_PATH, NOW);
    spn_applet_view_set_start_failure(view, "/c/config.ini: [polling] fresh-playing-s: bad");
    g_assert_cmpint(view->mode, ==, SPN_APPLET_MODE_NO_DAEMON);
    g_assert_cmpstr(view->title, ==, "spotnowd failed to start");
    g_assert_cmpstr(view->subtitle, ==, "/c/config.ini: [polling] fresh-playing-s: bad");
    /* Not running, and never started: as before. */
    g_autoptr(SpnAppletView) plain =
        spn_applet_view_new(SPN_APPLET_DAEMON_ABSENT, NULL, NULL, DAEMON_PATH, NOW);
    spn_applet_view_set_start_failure(plain, NULL);
    g_assert_cmpstr(plain->title, ==, "spotnowd is not running");
}

/* Only an https trackUrl becomes a link (issue 13 B7): never file:, javascript: or a handler. */
static void test_track_url_https_only(void)
{
    static const char *const refused[] = {"file:///etc/passwd", "javascript:alert(1)",
                                          "spotify:track:x", "http://open.spotify.com/track/x"};
    for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
        g_autoptr(GVariant) snapshot = from_wire(g_variant_new_parsed(
            "{'isPlaying': <true>, 'trackName': <'T'>, 'artistName': <'A'>, 'itemType': "
            "<'track'>, 'trackUrl': <%s>}",
            refused[i]));
        g_autoptr(GVariant) st = signed_in();
        g_autoptr(SpnAppletView) view = view_of(snapshot, st);
        g_assert_null(view->track_url);
    }
    g_autoptr(GVariant) snapshot = track(TRUE, "track");
    g_autoptr(GVariant) st = signed_in();
    g_autoptr(SpnAppletView) view = view_of(snapshot, st);
    g_assert_cmpstr(view->track_url, ==, "https://open.spotify.com/track/x");
}

/* Why the menu's playback items are greyed out. */
static void test_control_reason(void)
{
    g_autoptr(GVariant) in = signed_in();
    g_autoptr(GVariant) out = status("signed-out", "", 0);
    g_assert_null(spn_applet_control_reason(SPN_APPLET_DAEMON_PRESENT, in, NULL));
    g_autofree char *absent = spn_applet_control_reason(SPN_APPLET_DAEMON_ABSENT, NULL, NULL);
    g_assert_cmpstr(absent, ==, "Control needs spotnowd running");
    g_autofree char *signed_out = spn_applet_control_reason(SPN_APPLET_DAEMON_PRESENT, out, NULL);
    g_assert_cmpstr(signed_out, ==, "Control needs you signed in to Spotify");
    g_autofree char *refused =
        spn_applet_control_reason(SPN_APPLET_DAEMON_PRESENT, in, "control needs Premium");
    g_assert_cmpstr(refused, ==, "Control is off until you sign in again: control needs Premium");
}

/* The quota or the request budget holding polling back: a quiet notice with the time. */
static void test_quota_warning(void)
{
    g_autoptr(GVariant) snapshot = track(TRUE, "track");
    g_autoptr(GVariant) quota = from_wire(g_variant_new_parsed(
        "{'authState': <'signed-in'>, 'backoffUntil': <int64 0>, 'lastError': <''>, "
        "'quotaExceededUntil': <int64 1767236400000>, 'budgetRequests': <uint32 1000>, "
        "'budgetWindowMs': <int64 86400000>, 'requestsInWindow': <uint32 12>}"));
    g_autoptr(SpnAppletView) view = view_of(snapshot, quota);
    g_assert_cmpint(view->mode, ==, SPN_APPLET_MODE_PLAYING);
    g_assert_cmpstr(view->warning, ==,
                    "Spotify says this app’s request quota is spent.\n"
                    "Updates resume at 03:00; until then this is the last known state.");

    g_autoptr(GVariant) budget = from_wire(g_variant_new_parsed(
        "{'authState': <'signed-in'>, 'backoffUntil': <int64 0>, 'lastError': <''>, "
        "'quotaExceededUntil': <int64 0>, 'budgetRequests': <uint32 1000>, "
        "'budgetWindowMs': <int64 86400000>, 'requestsInWindow': <uint32 1000>}"));
    g_autoptr(SpnAppletView) spent = view_of(snapshot, budget);
    g_assert_cmpstr(spent->warning, ==,
                    "spotnow used its request budget (1000 in 24 h).\n"
                    "Updates resume as older requests leave that window; until then this is the "
                    "last known state.");

    /* Within budget, or budget 0 (none): no notice. */
    g_autoptr(GVariant) fine = from_wire(g_variant_new_parsed(
        "{'authState': <'signed-in'>, 'backoffUntil': <int64 0>, 'lastError': <''>, "
        "'quotaExceededUntil': <int64 0>, 'budgetRequests': <uint32 0>, "
        "'budgetWindowMs': <int64 86400000>, 'requestsInWindow': <uint32 5000>}"));
    g_autoptr(SpnAppletView) quiet = view_of(snapshot, fine);
    g_assert_null(quiet->warning);
}

static void test_progress_ticks_from_fetched_at(void)
{
    g_autoptr(GVariant) snapshot = track(TRUE, "track");
    g_autoptr(GVariant) st = signed_in();
    g_autoptr(SpnAppletView) view = view_of(snapshot, st);
    g_assert_cmpint(spn_applet_view_progress(view, NOW), ==, 83000);
    g_assert_cmpint(spn_applet_view_progress(view, NOW + 5000), ==, 88000);
    g_assert_cmpint(spn_applet_view_progress(view, NOW + 3600000), ==, 354000);
    /* A clock behind the daemon's never runs progress backwards. */
    g_assert_cmpint(spn_applet_view_progress(view, NOW - 5000), ==, 83000);

    /* The timer wakes just after the shown second changes, and stops at the end. */
    g_assert_cmpuint(spn_applet_view_next_tick_ms(view, NOW), ==, 1005);
    g_assert_cmpuint(spn_applet_view_next_tick_ms(view, NOW + 250), ==, 755);
    g_assert_cmpuint(spn_applet_view_next_tick_ms(view, NOW + 354000 - 83000 - 300), ==, 305);
    g_assert_cmpuint(spn_applet_view_next_tick_ms(view, NOW + 3600000), ==, 0);

    g_autofree char *text = spn_applet_view_progress_text(view, NOW);
    g_assert_cmpstr(text, ==, "1:23 of 5:54");
}

static void test_format_time(void)
{
    const struct {
        gint64 ms;
        const char *text;
    } cases[] = {
        {0, "0:00"},          {999, "0:00"},        {59999, "0:59"},
        {60000, "1:00"},      {354000, "5:54"},     {3599999, "59:59"},
        {3600000, "1:00:00"}, {3723000, "1:02:03"}, {-5000, "0:00"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = spn_applet_format_time(cases[i].ms);
        g_assert_cmpstr(text, ==, cases[i].text);
    }
}

static void test_odd_snapshots(void)
{
    g_autoptr(GVariant) st = signed_in();
    /* Wrong types read as absent; progress beyond the end is clamped; "" optional = absent. */
    g_autoptr(GVariant) odd = from_wire(
        g_variant_new_parsed("{'isPlaying': <'yes'>, 'trackName': <'Song'>, 'itemType': <'track'>, "
                             "'progressMs': <@x 9000>, 'durationMs': <@x 5000>, 'trackUrl': <''>, "
                             "'albumArtFile': <''>, 'artistName': <@u 7>}"));
    g_autoptr(SpnAppletView) view = view_of(odd, st);
    g_assert_cmpint(view->mode, ==, SPN_APPLET_MODE_LAST_PLAYED);
    g_assert_cmpstr(view->subtitle, ==, "");
    g_assert_cmpint(view->progress_ms, ==, 5000);
    g_assert_null(view->track_url);
    g_assert_null(view->art_file);

    /* Negative duration, no fetch time: nothing to show progress of. */
    g_autoptr(GVariant) broken = from_wire(g_variant_new_parsed(
        "{'isPlaying': <true>, 'trackName': <'Song'>, 'durationMs': <@x -1>}"));
    g_autoptr(SpnAppletView) still = view_of(broken, st);
    g_assert_false(still->show_progress);
    g_assert_false(still->ticking);
}

int main(int argc, char **argv)
{
    /* The back-off clock is shown in local time: make local time known. */
    g_setenv("TZ", "UTC", TRUE);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/applet-state/no-daemon", test_no_daemon);
    g_test_add_func("/applet-state/connecting", test_connecting);
    g_test_add_func("/applet-state/playing-track", test_playing_track);
    g_test_add_func("/applet-state/paused-is-last-played", test_paused_is_last_played);
    g_test_add_func("/applet-state/episode", test_episode);
    g_test_add_func("/applet-state/ad-keeps-last-art", test_ad_keeps_last_art);
    g_test_add_func("/applet-state/never-played", test_never_played);
    g_test_add_func("/applet-state/signed-out", test_signed_out);
    g_test_add_func("/applet-state/warning", test_warning);
    g_test_add_func("/applet-state/quota-warning", test_quota_warning);
    g_test_add_func("/applet-state/track-url-https-only", test_track_url_https_only);
    g_test_add_func("/applet-state/control-reason", test_control_reason);
    g_test_add_func("/applet-state/start-failure", test_start_failure);
    g_test_add_func("/applet-state/progress-ticks-from-fetched-at",
                    test_progress_ticks_from_fetched_at);
    g_test_add_func("/applet-state/format-time", test_format_time);
    g_test_add_func("/applet-state/odd-snapshots", test_odd_snapshots);
    return g_test_run();
}
