/* test-render-notice.c — what a status does to every output: one isPlaying for all of them when
 * signed out (issue 13 A9), old data marked as old (A3), a persisted playing snapshot past its
 * end (A2.5), the request budget and quota (issue 11 item 5), long titles and ads in the panels
 * (A2.2, A2.3), and terminal escapes from the daemon removed (B4). Constructed dictionaries and
 * a clock passed in; TZ is UTC so clock times are fixed. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <string.h>

#include "render.h"

/* 2023-11-14 22:13:20 UTC */
#define FETCHED_AT G_GINT64_CONSTANT(1700000000000)

/* Queen — Bohemian Rhapsody, 1:23 of 3:45, fetched at FETCHED_AT. */
static GVariant *playing_track(void)
{
    return g_variant_ref_sink(g_variant_new_parsed(
        "{'isPlaying': <true>, 'trackName': <'Bohemian Rhapsody'>, 'artistName': <'Queen'>, "
        "'albumName': <'A Night at the Opera'>, 'albumArt': <''>, 'itemType': <'track'>, "
        "'progressMs': <int64 83000>, 'durationMs': <int64 225000>, "
        "'fetchedAt': <int64 1700000000000>}"));
}

/* A healthy signed-in status (pollCount 3), with @extra a{sv} entries merged in. */
static GVariant *status_with(const char *extra)
{
    g_autofree char *text = g_strdup_printf(
        "{'authState': <'signed-in'>, 'viewers': <uint32 1>, 'lastPollAt': <int64 1699999990000>, "
        "'nextPollAt': <int64 1700000010000>, 'backoffUntil': <int64 0>, 'lastError': <''>, "
        "'pollCount': <uint64 3>, 'upstreamRequests': <uint64 4>%s%s}",
        extra[0] != '\0' ? ", " : "", extra);
    g_autoptr(GVariant) parsed = g_variant_parse(G_VARIANT_TYPE_VARDICT, text, NULL, NULL, NULL);
    g_assert_nonnull(parsed);
    /* Later keys win, as they would in a daemon's dictionary. */
    g_auto(GVariantDict) dict;
    g_variant_dict_init(&dict, NULL);
    GVariantIter iter;
    const char *key;
    GVariant *value;
    g_variant_iter_init(&iter, parsed);
    while (g_variant_iter_loop(&iter, "{&sv}", &key, &value)) {
        g_variant_dict_insert_value(&dict, key, value);
    }
    return g_variant_ref_sink(g_variant_dict_end(&dict));
}

static char *render(SpnOutputMode mode, gboolean follow, GVariant *snapshot, GVariant *status,
                    gint64 now)
{
    SpnOutput output = {.mode = mode, .follow = follow};
    g_autoptr(GError) error = NULL;
    char *text = spn_render_output(&output, snapshot, status, now, &error);
    g_assert_no_error(error);
    return text;
}

static JsonObject *parse(JsonParser *parser, const char *text)
{
    g_assert_true(json_parser_load_from_data(parser, text, -1, NULL));
    return json_node_get_object(json_parser_get_root(parser));
}

/* `jq .isPlaying` says what the line says: signed out, nothing is known to play. */
static void test_signed_out_one_truth(void)
{
    g_autoptr(GVariant) track = playing_track();
    g_autoptr(GVariant) status = status_with("'authState': <'signed-out'>");
    g_autofree char *json = render(SPN_OUTPUT_JSON, FALSE, track, status, FETCHED_AT);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_assert_false(json_object_get_boolean_member(parse(parser, json), "isPlaying"));
    g_autofree char *line = render(SPN_OUTPUT_LINE, FALSE, track, status, FETCHED_AT);
    g_assert_cmpstr(line, ==, "⏸ Queen — Bohemian Rhapsody (last played)");
    g_autoptr(GVariant) shown = spn_render_effective_snapshot(track, status, FETCHED_AT);
    g_assert_cmpint(spn_render_state(shown), ==, SPN_STATE_PAUSED);
    /* No status (an old daemon without GetStatus): the snapshot as it is. */
    g_autofree char *plain = render(SPN_OUTPUT_JSON, FALSE, track, NULL, FETCHED_AT);
    g_autoptr(JsonParser) parser2 = json_parser_new();
    g_assert_true(json_object_get_boolean_member(parse(parser2, plain), "isPlaying"));
}

static void test_notice(void)
{
    g_autoptr(GVariant) healthy = status_with("");
    g_assert_null(spn_render_notice(healthy, FETCHED_AT));
    g_assert_null(spn_render_notice(NULL, FETCHED_AT));
    g_assert_cmpint(spn_render_hold(healthy, FETCHED_AT), ==, SPN_HOLD_NONE);

    g_autoptr(GVariant) rate_limited = status_with(
        "'backoffUntil': <int64 1700000250000>, 'lastError': <'HTTP 429: API rate limit "
        "exceeded'>");
    g_autofree char *text = spn_render_notice(rate_limited, FETCHED_AT);
    g_assert_cmpstr(text, ==,
                    "⚠ spotnowd: HTTP 429: API rate limit exceeded — waiting until 22:17:30, "
                    "serving the cache");

    g_autoptr(GVariant) failing = status_with("'lastError': <'Cannot reach Spotify: timed out'>");
    g_autofree char *failing_text = spn_render_notice(failing, FETCHED_AT);
    g_assert_cmpstr(failing_text, ==,
                    "⚠ spotnowd: Cannot reach Spotify: timed out — serving the cache");
    /* A back-off from before a restart has no message but is still one. */
    g_autoptr(GVariant) silent = status_with("'backoffUntil': <int64 1700000060000>");
    g_autofree char *silent_text = spn_render_notice(silent, FETCHED_AT);
    g_assert_cmpstr(silent_text, ==,
                    "⚠ spotnowd: backing off after failed polls — waiting until 22:14:20, "
                    "serving the cache");
    /* Signed out has its own note, not this one. */
    g_autoptr(GVariant) revoked =
        status_with("'authState': <'revoked'>, 'lastError': <'invalid_grant'>");
    g_assert_null(spn_render_notice(revoked, FETCHED_AT));
    g_assert_cmpstr(spn_render_recovered_notice(), ==, "✓ spotnowd: Spotify answers again");
}

/* With Spotify unreachable the panels say so; the one truth still holds. */
static void test_stale_panels(void)
{
    g_autoptr(GVariant) track = playing_track();
    g_autoptr(GVariant) failing = status_with("'lastError': <'Cannot reach Spotify: timed out'>");
    g_autofree char *waybar = render(SPN_OUTPUT_WAYBAR, FALSE, track, failing, FETCHED_AT + 1000);
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *object = parse(parser, waybar);
    g_assert_cmpstr(json_object_get_string_member(object, "class"), ==, "stale");
    g_assert_cmpstr(json_object_get_string_member(object, "alt"), ==, "playing");
    g_assert_cmpstr(json_object_get_string_member(object, "tooltip"), ==,
                    "▶ Queen — Bohemian Rhapsody (1:24/3:45)\nA Night at the Opera\n"
                    "⚠ spotnowd: Cannot reach Spotify: timed out — serving the cache");

    g_autofree char *persist = render(SPN_OUTPUT_I3BLOCKS, TRUE, track, failing, FETCHED_AT);
    g_assert_cmpstr(persist, ==, "▶ Queen — Bohemian Rhapsody (not updated)");
    g_autofree char *blocks = render(SPN_OUTPUT_I3BLOCKS, FALSE, track, failing, FETCHED_AT);
    g_assert_cmpstr(blocks, ==,
                    "▶ Queen — Bohemian Rhapsody (1:23/3:45) (not updated)\n"
                    "Queen — Bohemian Rhapsody\n#E5A50A");
    g_autoptr(GVariant) signed_out = status_with("'authState': <'signed-out'>");
    g_autofree char *persist_out = render(SPN_OUTPUT_I3BLOCKS, TRUE, track, signed_out, FETCHED_AT);
    g_assert_cmpstr(persist_out, ==, "⏸ Queen — Bohemian Rhapsody (signed out)");

    /* Past its end with polls failing, the track is last played, at its end, everywhere. */
    gint64 later = FETCHED_AT + 600000;
    g_autofree char *line = render(SPN_OUTPUT_LINE, FALSE, track, failing, later);
    g_assert_cmpstr(line, ==, "⏸ Queen — Bohemian Rhapsody (last played)");
    g_autofree char *json = render(SPN_OUTPUT_JSON, FALSE, track, failing, later);
    g_autoptr(JsonParser) parser2 = json_parser_new();
    JsonObject *data = parse(parser2, json);
    g_assert_false(json_object_get_boolean_member(data, "isPlaying"));
    g_assert_cmpint(json_object_get_int_member(data, "progressMs"), ==, 225000);
}

/* A persisted playing snapshot (no poll since the daemon started) past its predicted end. */
static void test_persisted_past_end(void)
{
    g_autoptr(GVariant) track = playing_track();
    g_autoptr(GVariant) restarted = status_with("'pollCount': <uint64 0>");
    gint64 before_end = FETCHED_AT + 100000;
    gint64 after_end = FETCHED_AT + 142001;
    g_autofree char *before = render(SPN_OUTPUT_LINE, FALSE, track, restarted, before_end);
    g_assert_cmpstr(before, ==, "▶ Queen — Bohemian Rhapsody (3:03/3:45)");
    g_autofree char *after = render(SPN_OUTPUT_LINE, FALSE, track, restarted, after_end);
    g_assert_cmpstr(after, ==, "⏸ Queen — Bohemian Rhapsody (last played)");
    g_autofree char *waybar = render(SPN_OUTPUT_WAYBAR, FALSE, track, restarted, after_end);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_assert_cmpstr(json_object_get_string_member(parse(parser, waybar), "class"), ==, "paused");
    /* A follower wakes at the predicted end to show it. */
    g_assert_cmpint(spn_render_next_change_ms(track, restarted, before_end), ==,
                    FETCHED_AT + 142000);

    /* Polled since the start and healthy: the daemon polls at the end itself; trust it. */
    g_autoptr(GVariant) healthy = status_with("");
    g_autofree char *live = render(SPN_OUTPUT_LINE, FALSE, track, healthy, after_end);
    g_assert_cmpstr(live, ==, "▶ Queen — Bohemian Rhapsody (3:45/3:45)");
}

static void test_status_budget(void)
{
    g_autoptr(GVariant) status = status_with(
        "'source': <'web'>, 'budgetRequests': <uint32 1000>, 'budgetWindowMs': <int64 86400000>, "
        "'requestsInWindow': <uint32 312>, 'quotaExceededUntil': <int64 0>");
    g_autofree char *text = spn_render_status(status, FETCHED_AT, FALSE);
    g_assert_nonnull(strstr(text, "\nSource:     web (the Spotify Web API)\n"));
    g_assert_nonnull(strstr(text, "\nRequests:   312 of 1000 in the last 24 h\n"));
    g_assert_null(strstr(text, "Quota:"));
    g_assert_null(spn_render_notice(status, FETCHED_AT));

    g_autoptr(GVariant) unlimited = status_with(
        "'source': <'local'>, 'budgetRequests': <uint32 0>, 'budgetWindowMs': <int64 3600000>, "
        "'requestsInWindow': <uint32 312>");
    g_autofree char *unlimited_text = spn_render_status(unlimited, FETCHED_AT, FALSE);
    g_assert_nonnull(strstr(unlimited_text, "Source:     local (the Spotify client on this "));
    g_assert_nonnull(strstr(unlimited_text, "Requests:   312 in the last 1 h (no budget)"));

    /* The budget used up holds polling back: the status says so, and so does the notice. */
    g_autoptr(GVariant) spent = status_with(
        "'budgetRequests': <uint32 1000>, 'budgetWindowMs': <int64 86400000>, "
        "'requestsInWindow': <uint32 1000>");
    g_autofree char *spent_text = spn_render_status(spent, FETCHED_AT, FALSE);
    g_assert_nonnull(strstr(spent_text,
                            "Requests:   1000 of 1000 in the last 24 h: the budget "
                            "is spent"));
    g_assert_cmpint(spn_render_hold(spent, FETCHED_AT), ==, SPN_HOLD_BUDGET);
    g_autofree char *spent_notice = spn_render_notice(spent, FETCHED_AT);
    g_assert_cmpstr(spent_notice, ==,
                    "⚠ spotnowd: the request budget of 1000 requests in 24 h is used up — "
                    "polling resumes as older requests leave the window, serving the cache");

    /* Spotify's QUOTA_EXCEEDED: until when, in the status and the notice. */
    g_autoptr(GVariant) quota = status_with(
        "'budgetRequests': <uint32 1000>, 'budgetWindowMs': <int64 86400000>, "
        "'requestsInWindow': <uint32 20>, 'quotaExceededUntil': <int64 1700006400000>");
    g_autofree char *quota_text = spn_render_status(quota, FETCHED_AT, FALSE);
    g_assert_nonnull(strstr(quota_text,
                            "\nQuota:      spent until 2023-11-15 00:00 (in 1 h 47 "
                            "min): Spotify said QUOTA_EXCEEDED"));
    g_autofree char *quota_notice = spn_render_notice(quota, FETCHED_AT);
    g_assert_cmpstr(quota_notice, ==,
                    "⚠ spotnowd: Spotify says this app’s request quota is spent — waiting until "
                    "Wed 00:00, serving the cache");
    /* A quota that has run out is no hold. */
    g_assert_cmpint(spn_render_hold(quota, FETCHED_AT + 6400001), ==, SPN_HOLD_NONE);

    /* An older daemon without the keys: no rows, no notice. */
    g_autoptr(GVariant) old = status_with("");
    g_autofree char *old_text = spn_render_status(old, FETCHED_AT, FALSE);
    g_assert_null(strstr(old_text, "Requests:"));
    g_assert_null(strstr(old_text, "Source:"));

    g_autofree char *day = spn_render_window_words(86400000);
    g_autofree char *week = spn_render_window_words(7 * 86400000LL);
    g_autofree char *odd = spn_render_window_words(90 * 60000);
    g_assert_cmpstr(day, ==, "24 h");
    g_assert_cmpstr(week, ==, "7 d");
    g_assert_cmpstr(odd, ==, "1 h 30 min");
}

/* After a restart while offline the back-off has no message: "none" would contradict it. */
static void test_status_backoff_after_restart(void)
{
    g_autoptr(GVariant) status =
        status_with("'pollCount': <uint64 0>, 'backoffUntil': <int64 1700000060000>");
    g_autofree char *text = spn_render_status(status, FETCHED_AT, FALSE);
    g_assert_null(strstr(text, "Last error: none"));
    g_assert_nonnull(strstr(text, "Last error: not known since the restart"));
}

/* When a panel line must be shortened, the title survives; the artist gives way first. */
static void test_long_titles(void)
{
    g_autoptr(GVariant) snapshot = g_variant_ref_sink(g_variant_new_parsed(
        "{'isPlaying': <true>, 'itemType': <'track'>, 'trackName': <'Hold On'>, 'artistName': "
        "<'Somebody With A Long Name, Another One, And A Third'>}"));
    g_autofree char *waybar = spn_render_waybar(snapshot, NULL, NULL, FETCHED_AT);
    g_autoptr(JsonParser) parser = json_parser_new();
    const char *text = json_object_get_string_member(parse(parser, waybar), "text");
    g_assert_cmpstr(text, ==, "Somebody With A Long Name, Ano… — Hold On");
    g_assert_cmpint(g_utf8_strlen(text, -1), ==, 41);
    g_autofree char *blocks = spn_render_i3blocks(snapshot, NULL, NULL, FETCHED_AT);
    g_auto(GStrv) lines = g_strsplit(blocks, "\n", -1);
    g_assert_cmpstr(lines[1], ==, "Somebody With A… — Hold On");
}

/* An ad: the line says ▶ Advertisement, so the class is not "paused" and the percentage is not
 * the last episode's. */
static void test_ad_consistent(void)
{
    g_autoptr(GVariant) ad = g_variant_ref_sink(g_variant_new_parsed(
        "{'isPlaying': <false>, 'itemType': <'ad'>, 'trackName': <'Episode'>, 'artistName': "
        "<'Show'>, 'albumName': <'Show'>, 'progressMs': <int64 72000>, 'durationMs': <int64 "
        "225000>, 'fetchedAt': <int64 1700000000000>}"));
    g_autoptr(GVariant) status = status_with("");
    g_autofree char *waybar = render(SPN_OUTPUT_WAYBAR, FALSE, ad, status, FETCHED_AT);
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *object = parse(parser, waybar);
    g_assert_cmpstr(json_object_get_string_member(object, "class"), ==, "ad");
    g_assert_cmpstr(json_object_get_string_member(object, "alt"), ==, "ad");
    g_assert_cmpint(json_object_get_int_member(object, "percentage"), ==, 0);
    g_assert_true(
        g_str_has_prefix(json_object_get_string_member(object, "tooltip"), "▶ Advertisement"));
    g_autofree char *persist = render(SPN_OUTPUT_I3BLOCKS, TRUE, ad, status, FETCHED_AT);
    g_assert_cmpstr(persist, ==, "▶ Advertisement");
}

/* ESC, BEL, C1 and newlines from the daemon never reach the terminal. */
static void test_control_characters(void)
{
    g_autofree char *clean = spn_render_clean_text("a\033]0;owned\007b\nc\302\233d\te");
    g_assert_cmpstr(clean, ==, "a]0;ownedb cd e");
    g_autofree char *invalid = spn_render_clean_text("ok\377");
    g_assert_true(g_utf8_validate(invalid, -1, NULL));

    g_autoptr(GVariant) status = status_with("'lastError': <'access_denied\033[2J\007'>");
    g_autofree char *text = spn_render_status(status, FETCHED_AT, FALSE);
    g_assert_null(strchr(text, '\033'));
    g_assert_null(strchr(text, '\007'));
    g_assert_nonnull(strstr(text, "Last error: access_denied[2J\n"));
    g_autofree char *notice = spn_render_notice(status, FETCHED_AT);
    g_assert_null(strchr(notice, '\033'));

    g_autoptr(GVariant) snapshot = g_variant_ref_sink(g_variant_new_parsed(
        "{'isPlaying': <false>, 'itemType': <'track'>, 'trackName': <'T\033[31mitle'>, "
        "'artistName': <'A\rB'>}"));
    g_autofree char *line = render(SPN_OUTPUT_LINE, FALSE, snapshot, NULL, FETCHED_AT);
    g_assert_cmpstr(line, ==, "⏸ A B — T[31mitle (last played)");
}

static char *render_template(const char *source, GVariant *snapshot)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnTemplate) tmpl = spn_template_compile(source, &error);
    g_assert_no_error(error);
    g_autoptr(GVariant) variables = spn_render_variables(snapshot, FETCHED_AT);
    char *text = spn_template_render_dict(tmpl, variables, &error);
    g_assert_no_error(error);
    return text;
}

/* Templates print what playerctl prints for the same player (issue 13 A11). */
static void test_playerctl_templates(void)
{
    g_autoptr(GVariant) track = g_variant_ref_sink(g_variant_new_parsed(
        "{'isPlaying': <true>, 'itemType': <'track'>, 'trackName': <'Bohemian Rhapsody'>, "
        "'artistName': <'Queen'>, 'albumName': <'A Night at the Opera'>, "
        "'trackId': <'7tFiyTwD0nx5a1eklYtX2J'>, 'progressMs': <int64 83000>, "
        "'durationMs': <int64 225000>, 'fetchedAt': <int64 1700000000000>}"));
    g_autofree char *id = render_template("{{ mpris:trackid }}", track);
    g_assert_cmpstr(id, ==, "/io/github/spotnow/track/7tFiyTwD0nx5a1eklYtX2J");
    g_autofree char *whole = render_template("{{ trunc(title, -1) }}", track);
    g_assert_cmpstr(whole, ==, "Bohemian Rhapsody");
    g_autofree char *cut = render_template("{{ trunc(title, 3) }}", track);
    g_assert_cmpstr(cut, ==, "Boh…");
    g_autofree char *negative = render_template("{{ duration(-5) }}", track);
    g_assert_cmpstr(negative, ==, "0:00");
    g_autofree char *minus_a_minute = render_template("{{ duration(-61000000) }}", track);
    g_assert_cmpstr(minus_a_minute, ==, "-1:01");

    g_autoptr(GVariant) ad = g_variant_ref_sink(
        g_variant_new_parsed("{'isPlaying': <false>, 'itemType': <'ad'>, 'trackId': <'x'>}"));
    g_autofree char *no_track = render_template("{{ mpris:trackid }}", ad);
    g_assert_cmpstr(no_track, ==, "/org/mpris/MediaPlayer2/TrackList/NoTrack");
    g_autoptr(GVariant) local = g_variant_ref_sink(g_variant_new_parsed(
        "{'isPlaying': <true>, 'itemType': <'track'>, 'trackName': <'Demo'>, 'artistName': "
        "<'Me'>, 'albumName': <'Tapes'>}"));
    g_autofree char *local_id = render_template("{{ mpris:trackid }}", local);
    g_assert_true(g_str_has_prefix(local_id, "/io/github/spotnow/local/"));
    g_assert_cmpuint(strlen(local_id), ==, strlen("/io/github/spotnow/local/") + 40);
}

/* i3blocks with markup=pango reads markup: Spotify's names are escaped (issue 13 B7). */
static void test_i3blocks_escaped(void)
{
    g_autoptr(GVariant) snapshot = g_variant_ref_sink(g_variant_new_parsed(
        "{'isPlaying': <false>, 'itemType': <'track'>, 'trackName': <\"<span size='99999'>\">, "
        "'artistName': <'Tom & Jerry'>}"));
    g_autofree char *blocks = render(SPN_OUTPUT_I3BLOCKS, FALSE, snapshot, NULL, FETCHED_AT);
    g_assert_cmpstr(blocks, ==,
                    "⏸ Tom &amp; Jerry — &lt;span size=&apos;99999&apos;&gt; (last played)\n"
                    "Tom… — &lt;span size=&apos;99999&apos;&gt;\n#A0A0A0");
    g_autofree char *persist = render(SPN_OUTPUT_I3BLOCKS, TRUE, snapshot, NULL, FETCHED_AT);
    g_assert_cmpstr(persist, ==, "⏸ Tom &amp; Jerry — &lt;span size=&apos;99999&apos;&gt;");
}

int main(int argc, char **argv)
{
    g_setenv("TZ", "UTC", TRUE);
    setlocale(LC_ALL, "C.UTF-8");
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/render-notice/signed-out-one-truth", test_signed_out_one_truth);
    g_test_add_func("/render-notice/notice", test_notice);
    g_test_add_func("/render-notice/stale-panels", test_stale_panels);
    g_test_add_func("/render-notice/persisted-past-end", test_persisted_past_end);
    g_test_add_func("/render-notice/status-budget", test_status_budget);
    g_test_add_func("/render-notice/status-backoff-after-restart",
                    test_status_backoff_after_restart);
    g_test_add_func("/render-notice/long-titles", test_long_titles);
    g_test_add_func("/render-notice/ad", test_ad_consistent);
    g_test_add_func("/render-notice/control-characters", test_control_characters);
    g_test_add_func("/render-notice/playerctl-templates", test_playerctl_templates);
    g_test_add_func("/render-notice/i3blocks-escaped", test_i3blocks_escaped);
    return g_test_run();
}
