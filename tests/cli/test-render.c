/* test-render.c — every output of `spotnow` for a track, an episode, a local file, paused,
 * never played and an ad, with the clock passed in. */
#define _XOPEN_SOURCE 700 /* posix_openpt and friends */
#include <fcntl.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <stdlib.h>
#include <unistd.h>

#include "render.h"

#define FETCHED_AT G_GINT64_CONSTANT(1700000000000)

typedef enum { TRACK, EPISODE, LOCAL_FILE, PAUSED, NEVER, AD } Kind;

static GVariant *make_snapshot(Kind kind)
{
    g_auto(GVariantDict) dict;
    g_variant_dict_init(&dict, NULL);
    gboolean playing = kind == TRACK || kind == EPISODE || kind == LOCAL_FILE;
    g_variant_dict_insert(&dict, "isPlaying", "b", playing);

    if (kind == NEVER) {
        g_variant_dict_insert(&dict, "trackName", "s", "");
        g_variant_dict_insert(&dict, "artistName", "s", "");
        g_variant_dict_insert(&dict, "albumName", "s", "");
        g_variant_dict_insert(&dict, "albumArt", "s", "");
        g_variant_dict_insert(&dict, "itemType", "s", "none");
        g_variant_dict_insert(&dict, "progressMs", "x", G_GINT64_CONSTANT(0));
        g_variant_dict_insert(&dict, "durationMs", "x", G_GINT64_CONSTANT(0));
        g_variant_dict_insert(&dict, "fetchedAt", "x", G_GINT64_CONSTANT(0));
        return g_variant_ref_sink(g_variant_dict_end(&dict));
    }
    if (kind == EPISODE) {
        g_variant_dict_insert(&dict, "trackName", "s", "The Election & You");
        g_variant_dict_insert(&dict, "artistName", "s", "The Daily");
        g_variant_dict_insert(&dict, "albumName", "s", "The Daily");
        g_variant_dict_insert(&dict, "albumArt", "s", "https://i.scdn.co/image/episode");
        g_variant_dict_insert(&dict, "trackUrl", "s", "https://open.spotify.com/episode/e1");
        g_variant_dict_insert(&dict, "trackId", "s", "e1");
        g_variant_dict_insert(&dict, "itemType", "s", "episode");
        g_variant_dict_insert(&dict, "progressMs", "x", G_GINT64_CONSTANT(723000));
        g_variant_dict_insert(&dict, "durationMs", "x", G_GINT64_CONSTANT(3723000));
    } else if (kind == LOCAL_FILE) {
        g_variant_dict_insert(&dict, "trackName", "s", "Home Recording");
        g_variant_dict_insert(&dict, "artistName", "s", "Local Artist");
        g_variant_dict_insert(&dict, "albumName", "s", "Demos");
        g_variant_dict_insert(&dict, "albumArt", "s", "");
        g_variant_dict_insert(&dict, "itemType", "s", "track");
        g_variant_dict_insert(&dict, "progressMs", "x", G_GINT64_CONSTANT(5000));
        g_variant_dict_insert(&dict, "durationMs", "x", G_GINT64_CONSTANT(180000));
    } else {
        g_variant_dict_insert(&dict, "trackName", "s", "Bohemian Rhapsody");
        g_variant_dict_insert(&dict, "artistName", "s", "Queen");
        g_variant_dict_insert(&dict, "albumName", "s", "A Night at the Opera");
        g_variant_dict_insert(&dict, "albumArt", "s", "https://i.scdn.co/image/ab67616d");
        g_variant_dict_insert(&dict, "albumArtFile", "s", "/var/cache/spotnow/ab 67.jpg");
        g_variant_dict_insert(&dict, "trackUrl", "s",
                              "https://open.spotify.com/track/7tFiyTwD0nx5a1eklYtX2J");
        g_variant_dict_insert(&dict, "trackId", "s", "7tFiyTwD0nx5a1eklYtX2J");
        g_variant_dict_insert(&dict, "itemType", "s", kind == AD ? "ad" : "track");
        g_variant_dict_insert(&dict, "progressMs", "x", G_GINT64_CONSTANT(83000));
        g_variant_dict_insert(&dict, "durationMs", "x", G_GINT64_CONSTANT(225000));
    }
    g_variant_dict_insert(&dict, "fetchedAt", "x", FETCHED_AT);
    return g_variant_ref_sink(g_variant_dict_end(&dict));
}

static GVariant *make_status(const char *auth_state)
{
    g_auto(GVariantDict) dict;
    g_variant_dict_init(&dict, NULL);
    g_variant_dict_insert(&dict, "authState", "s", auth_state);
    g_variant_dict_insert(&dict, "viewers", "u", 2);
    g_variant_dict_insert(&dict, "lastPollAt", "x", FETCHED_AT - 12000);
    g_variant_dict_insert(&dict, "nextPollAt", "x", FETCHED_AT + 240000);
    g_variant_dict_insert(&dict, "backoffUntil", "x", G_GINT64_CONSTANT(0));
    g_variant_dict_insert(&dict, "lastError", "s", "");
    g_variant_dict_insert(&dict, "pollCount", "t", G_GUINT64_CONSTANT(42));
    g_variant_dict_insert(&dict, "upstreamRequests", "t", G_GUINT64_CONSTANT(57));
    return g_variant_ref_sink(g_variant_dict_end(&dict));
}

static void assert_line(Kind kind, gint64 now, const char *expected)
{
    g_autoptr(GVariant) snapshot = make_snapshot(kind);
    g_autofree char *line = spn_render_line(snapshot, now, TRUE, FALSE);
    g_assert_cmpstr(line, ==, expected);
}

static void test_line(void)
{
    assert_line(TRACK, FETCHED_AT, "▶ Queen — Bohemian Rhapsody (1:23/3:45)");
    assert_line(EPISODE, FETCHED_AT, "▶ The Daily — The Election & You (12:03/1:02:03)");
    assert_line(LOCAL_FILE, FETCHED_AT, "▶ Local Artist — Home Recording (0:05/3:00)");
    assert_line(PAUSED, FETCHED_AT + 60000, "⏸ Queen — Bohemian Rhapsody (last played)");
    assert_line(NEVER, FETCHED_AT, "Nothing played yet");
    assert_line(AD, FETCHED_AT, "▶ Advertisement (last played: Queen — Bohemian Rhapsody)");
}

/* Progress is extrapolated from fetchedAt while playing, clamped at the end, still when paused. */
static void test_progress_extrapolation(void)
{
    assert_line(TRACK, FETCHED_AT + 10400, "▶ Queen — Bohemian Rhapsody (1:33/3:45)");
    assert_line(TRACK, FETCHED_AT + 1000000, "▶ Queen — Bohemian Rhapsody (3:45/3:45)");
    /* A clock that went back does not rewind the position. */
    assert_line(TRACK, FETCHED_AT - 5000, "▶ Queen — Bohemian Rhapsody (1:23/3:45)");

    g_autoptr(GVariant) track = make_snapshot(TRACK);
    g_autoptr(GVariant) paused = make_snapshot(PAUSED);
    g_assert_cmpint(spn_render_position_ms(track, FETCHED_AT + 2500), ==, 85500);
    g_assert_cmpint(spn_render_position_ms(paused, FETCHED_AT + 2500), ==, 83000);

    g_autoptr(GVariant) variables = spn_render_variables(track, FETCHED_AT + 2500);
    gint64 position = 0;
    g_assert_true(g_variant_lookup(variables, "position", "x", &position));
    g_assert_cmpint(position, ==, 85500000);
}

static void test_follow_line_has_no_progress(void)
{
    g_autoptr(GVariant) snapshot = make_snapshot(TRACK);
    SpnOutput output = {.mode = SPN_OUTPUT_LINE, .follow = TRUE};
    g_autofree char *line = spn_render_output(&output, snapshot, NULL, FETCHED_AT, NULL);
    g_assert_cmpstr(line, ==, "▶ Queen — Bohemian Rhapsody");
    g_assert_false(spn_render_output_ticks(&output));
}

static const char *lookup_str(GVariant *dict, const char *key)
{
    const char *value = NULL;
    return g_variant_lookup(dict, key, "&s", &value) ? value : NULL;
}

static void test_variables(void)
{
    g_autoptr(GVariant) track = make_snapshot(TRACK);
    g_autoptr(GVariant) vars = spn_render_variables(track, FETCHED_AT);
    g_assert_cmpstr(lookup_str(vars, "title"), ==, "Bohemian Rhapsody");
    g_assert_cmpstr(lookup_str(vars, "xesam:title"), ==, "Bohemian Rhapsody");
    g_assert_cmpstr(lookup_str(vars, "artist"), ==, "Queen");
    g_assert_cmpstr(lookup_str(vars, "xesam:artist"), ==, "Queen");
    g_assert_cmpstr(lookup_str(vars, "album"), ==, "A Night at the Opera");
    g_assert_cmpstr(lookup_str(vars, "xesam:album"), ==, "A Night at the Opera");
    g_assert_cmpstr(lookup_str(vars, "xesam:url"), ==,
                    "https://open.spotify.com/track/7tFiyTwD0nx5a1eklYtX2J");
    g_assert_cmpstr(lookup_str(vars, "mpris:artUrl"), ==, "file:///var/cache/spotnow/ab%2067.jpg");
    g_assert_cmpstr(lookup_str(vars, "status"), ==, "Playing");
    g_assert_cmpstr(lookup_str(vars, "playerName"), ==, "spotnow");
    g_assert_cmpstr(lookup_str(vars, "playerInstance"), ==, "spotnow");
    double volume = 0;
    g_assert_true(g_variant_lookup(vars, "volume", "d", &volume));
    g_assert_cmpfloat(volume, ==, 1.0);
    g_assert_cmpstr(lookup_str(vars, "trackId"), ==, "7tFiyTwD0nx5a1eklYtX2J");
    gint64 length = 0;
    g_assert_true(g_variant_lookup(vars, "mpris:length", "x", &length));
    g_assert_cmpint(length, ==, 225000000);

    g_autoptr(GVariant) episode = make_snapshot(EPISODE);
    g_autoptr(GVariant) episode_vars = spn_render_variables(episode, FETCHED_AT);
    g_assert_cmpstr(lookup_str(episode_vars, "mpris:artUrl"), ==,
                    "https://i.scdn.co/image/episode");

    /* A local file: no URL, no art, so those variables are unset and print empty. */
    g_autoptr(GVariant) local = make_snapshot(LOCAL_FILE);
    g_autoptr(GVariant) local_vars = spn_render_variables(local, FETCHED_AT);
    g_assert_null(lookup_str(local_vars, "xesam:url"));
    g_assert_null(lookup_str(local_vars, "mpris:artUrl"));

    g_autoptr(GVariant) paused = make_snapshot(PAUSED);
    g_autoptr(GVariant) paused_vars = spn_render_variables(paused, FETCHED_AT);
    g_assert_cmpstr(lookup_str(paused_vars, "status"), ==, "Paused");
    g_autoptr(GVariant) never = make_snapshot(NEVER);
    g_autoptr(GVariant) never_vars = spn_render_variables(never, FETCHED_AT);
    g_assert_cmpstr(lookup_str(never_vars, "status"), ==, "Stopped");
}

static char *render_template(const char *source, Kind kind, gint64 now)
{
    g_autoptr(SpnTemplate) tmpl = spn_template_compile(source, NULL);
    g_assert_nonnull(tmpl);
    g_autoptr(GVariant) snapshot = make_snapshot(kind);
    SpnOutput output = {.mode = SPN_OUTPUT_TEMPLATE, .tmpl = tmpl};
    g_autoptr(GError) error = NULL;
    char *out = spn_render_output(&output, snapshot, NULL, now, &error);
    g_assert_no_error(error);
    return out;
}

static void test_template_output(void)
{
    g_autofree char *a = render_template(
        "{{ emoji(status) }} {{ artist }} - {{ uc(title) }} "
        "[{{ duration(position) }}/{{ duration(mpris:length) }}, "
        "-{{ duration(mpris:length - position) }}]",
        TRACK, FETCHED_AT + 2000);
    g_assert_cmpstr(a, ==, "\u25b6\ufe0f Queen - BOHEMIAN RHAPSODY [1:25/3:45, -2:20]");
    g_autofree char *b =
        render_template("{{ title }}|{{ xesam:url }}|{{ default(mpris:artUrl, \"no art\") }}",
                        LOCAL_FILE, FETCHED_AT);
    g_assert_cmpstr(b, ==, "Home Recording||no art");
    g_autofree char *c =
        render_template("{{ trackName }} {{ progressMs }} {{ isPlaying }}", PAUSED, FETCHED_AT);
    g_assert_cmpstr(c, ==, "Bohemian Rhapsody 83000 false");

    g_autoptr(SpnTemplate) ticking = spn_template_compile("{{ duration(position) }}", NULL);
    g_autoptr(SpnTemplate) still = spn_template_compile("{{ title }}", NULL);
    SpnOutput output = {.mode = SPN_OUTPUT_TEMPLATE, .tmpl = ticking};
    g_assert_true(spn_render_output_ticks(&output));
    output.tmpl = still;
    g_assert_false(spn_render_output_ticks(&output));
}

static JsonObject *parse_object(const char *text, JsonParser *parser)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(json_parser_load_from_data(parser, text, -1, &error));
    g_assert_no_error(error);
    JsonNode *root = json_parser_get_root(parser);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
    return json_node_get_object(root);
}

static void test_json(void)
{
    g_autoptr(GVariant) never = make_snapshot(NEVER);
    g_autofree char *never_json = spn_render_json(never);
    g_assert_cmpstr(never_json, ==,
                    "{\"isPlaying\":false,\"trackName\":\"\",\"artistName\":\"\","
                    "\"albumName\":\"\",\"albumArt\":\"\",\"itemType\":\"none\","
                    "\"progressMs\":0,\"durationMs\":0,\"fetchedAt\":0}");

    g_autoptr(GVariant) local = make_snapshot(LOCAL_FILE);
    g_autofree char *text = spn_render_json(local);
    g_assert_null(strchr(text, '\n'));
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *object = parse_object(text, parser);
    g_assert_false(json_object_has_member(object, "trackUrl"));
    g_assert_false(json_object_has_member(object, "trackId"));
    g_assert_false(json_object_has_member(object, "albumArtFile"));
    g_assert_cmpuint(json_object_get_size(object), ==, 9);
    JsonNode *playing = json_object_get_member(object, "isPlaying");
    g_assert_cmpint(json_node_get_value_type(playing), ==, G_TYPE_BOOLEAN);
    g_assert_true(json_node_get_boolean(playing));
    JsonNode *progress = json_object_get_member(object, "progressMs");
    g_assert_cmpint(json_node_get_value_type(progress), ==, G_TYPE_INT64);
    g_assert_cmpint(json_node_get_int(progress), ==, 5000);
    /* Raw, not extrapolated: JSON is the snapshot itself. */
    g_assert_cmpint(json_object_get_int_member(object, "fetchedAt"), ==, FETCHED_AT);
    g_assert_cmpstr(json_object_get_string_member(object, "trackName"), ==, "Home Recording");

    g_autoptr(GVariant) status = make_status("signed-in");
    g_autofree char *status_json = spn_render_json(status);
    g_autoptr(JsonParser) status_parser = json_parser_new();
    JsonObject *status_object = parse_object(status_json, status_parser);
    g_assert_cmpint(json_object_get_int_member(status_object, "viewers"), ==, 2);
    g_assert_cmpint(json_object_get_int_member(status_object, "pollCount"), ==, 42);
    g_assert_cmpstr(json_object_get_string_member(status_object, "authState"), ==, "signed-in");
}

static JsonObject *waybar(Kind kind, const char *auth, JsonParser *parser, gint64 now)
{
    g_autoptr(GVariant) snapshot = make_snapshot(kind);
    g_autoptr(GVariant) status = auth != NULL ? make_status(auth) : NULL;
    g_autofree char *text = spn_render_waybar(snapshot, status, NULL, now);
    g_assert_null(strchr(text, '\n'));
    JsonObject *object = parse_object(text, parser);
    static const char *const keys[] = {"text", "alt", "tooltip", "class", "percentage"};
    g_assert_cmpuint(json_object_get_size(object), ==, G_N_ELEMENTS(keys));
    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
        g_assert_true(json_object_has_member(object, keys[i]));
    }
    return object;
}

static void test_waybar(void)
{
    g_autoptr(JsonParser) p1 = json_parser_new();
    JsonObject *track = waybar(TRACK, "signed-in", p1, FETCHED_AT);
    g_assert_cmpstr(json_object_get_string_member(track, "text"), ==, "Queen — Bohemian Rhapsody");
    g_assert_cmpstr(json_object_get_string_member(track, "tooltip"), ==,
                    "▶ Queen — Bohemian Rhapsody (1:23/3:45)\nA Night at the Opera");
    g_assert_cmpstr(json_object_get_string_member(track, "class"), ==, "playing");
    g_assert_cmpstr(json_object_get_string_member(track, "alt"), ==, "playing");
    g_assert_cmpint(json_object_get_int_member(track, "percentage"), ==, 36);

    /* waybar reads Pango markup: names with & are escaped; long ones are cut. */
    g_autoptr(JsonParser) p2 = json_parser_new();
    JsonObject *episode = waybar(EPISODE, NULL, p2, FETCHED_AT);
    g_assert_cmpstr(json_object_get_string_member(episode, "text"), ==,
                    "The Daily — The Election &amp; You");
    g_autoptr(GVariant) long_snapshot = g_variant_ref_sink(g_variant_new_parsed(
        "{'isPlaying': <true>, 'itemType': <'track'>, 'artistName': <'Godspeed You! Black "
        "Emperor'>, 'trackName': <'Storm: Lift Yr Skinny Fists Like Antennas to Heaven'>}"));
    g_autofree char *long_text = spn_render_waybar(long_snapshot, NULL, NULL, FETCHED_AT);
    g_autoptr(JsonParser) p3 = json_parser_new();
    JsonObject *long_object = parse_object(long_text, p3);
    const char *cut = json_object_get_string_member(long_object, "text");
    g_assert_cmpint(g_utf8_strlen(cut, -1), ==, 41);
    g_assert_true(g_str_has_suffix(cut, "…"));

    g_autoptr(JsonParser) p4 = json_parser_new();
    JsonObject *paused = waybar(PAUSED, "signed-in", p4, FETCHED_AT);
    g_assert_cmpstr(json_object_get_string_member(paused, "class"), ==, "paused");
    g_autoptr(JsonParser) p5 = json_parser_new();
    JsonObject *never = waybar(NEVER, "signed-in", p5, FETCHED_AT);
    g_assert_cmpstr(json_object_get_string_member(never, "class"), ==, "stopped");
    g_assert_cmpstr(json_object_get_string_member(never, "text"), ==, "");
    g_assert_cmpstr(json_object_get_string_member(never, "tooltip"), ==, "Nothing played yet");
    g_autoptr(JsonParser) p6 = json_parser_new();
    JsonObject *signed_out = waybar(PAUSED, "revoked", p6, FETCHED_AT);
    g_assert_cmpstr(json_object_get_string_member(signed_out, "class"), ==, "signed-out");
    g_assert_true(g_str_has_suffix(json_object_get_string_member(signed_out, "tooltip"),
                                   "\nSigned out of Spotify"));
    g_autoptr(JsonParser) p7 = json_parser_new();
    JsonObject *ad = waybar(AD, "signed-in", p7, FETCHED_AT);
    g_assert_cmpstr(json_object_get_string_member(ad, "alt"), ==, "ad");
    g_assert_cmpstr(json_object_get_string_member(ad, "text"), ==, "Advertisement");

    /* --waybar --format: the template is the text, used as is. */
    g_autoptr(SpnTemplate) tmpl = spn_template_compile("{{ markup_escape(title) }}!", NULL);
    g_autoptr(GVariant) snapshot = make_snapshot(EPISODE);
    SpnOutput output = {.mode = SPN_OUTPUT_WAYBAR, .tmpl = tmpl};
    g_autofree char *with_format = spn_render_output(&output, snapshot, NULL, FETCHED_AT, NULL);
    g_autoptr(JsonParser) p8 = json_parser_new();
    JsonObject *formatted = parse_object(with_format, p8);
    g_assert_cmpstr(json_object_get_string_member(formatted, "text"), ==,
                    "The Election &amp; You!");
    g_assert_true(spn_render_output_ticks(&output));
}

static void test_i3blocks(void)
{
    g_autoptr(GVariant) track = make_snapshot(TRACK);
    g_autoptr(GVariant) signed_in = make_status("signed-in");
    g_autofree char *playing = spn_render_i3blocks(track, signed_in, NULL, FETCHED_AT);
    g_assert_cmpstr(playing, ==,
                    "▶ Queen — Bohemian Rhapsody (1:23/3:45)\n"
                    "Queen — Bohemian Rhapsody\n"
                    "#1DB954");
    g_auto(GStrv) lines = g_strsplit(playing, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 3);

    g_autoptr(GVariant) paused = make_snapshot(PAUSED);
    g_autofree char *paused_text = spn_render_i3blocks(paused, signed_in, NULL, FETCHED_AT);
    g_assert_cmpstr(paused_text, ==,
                    "⏸ Queen — Bohemian Rhapsody (last played)\n"
                    "Queen — Bohemian Rhapsody\n"
                    "#A0A0A0");
    g_autoptr(GVariant) never = make_snapshot(NEVER);
    g_autofree char *never_text = spn_render_i3blocks(never, NULL, NULL, FETCHED_AT);
    g_assert_cmpstr(never_text, ==, "Nothing played yet\nNothing played yet\n#808080");
    g_autoptr(GVariant) signed_out = make_status("signed-out");
    g_autofree char *out_text = spn_render_i3blocks(paused, signed_out, NULL, FETCHED_AT);
    g_assert_true(g_str_has_suffix(out_text, "\n#E5534B"));

    /* Under --follow i3blocks' persist mode reads one line per update. */
    SpnOutput output = {.mode = SPN_OUTPUT_I3BLOCKS, .follow = TRUE};
    g_autofree char *follow = spn_render_output(&output, track, signed_in, FETCHED_AT, NULL);
    g_assert_cmpstr(follow, ==, "▶ Queen — Bohemian Rhapsody");
}

/* A terminal's end of a new pty; the other end stays open in *master so it is not hung up. */
static int open_pty(int *master)
{
    *master = posix_openpt(O_RDWR | O_NOCTTY);
    g_assert_cmpint(*master, >=, 0);
    g_assert_cmpint(grantpt(*master), ==, 0);
    g_assert_cmpint(unlockpt(*master), ==, 0);
    int terminal = open(ptsname(*master), O_RDWR | O_NOCTTY);
    g_assert_cmpint(terminal, >=, 0);
    return terminal;
}

/* Colour only on a terminal, and never with NO_COLOR set (the test environment sets it). */
static void test_colour(void)
{
    int master = -1;
    int terminal = open_pty(&master);
    int pipe_fds[2];
    g_assert_cmpint(pipe(pipe_fds), ==, 0);
    g_autoptr(GVariant) track = make_snapshot(TRACK);

    g_setenv("NO_COLOR", "1", TRUE);
    g_assert_false(spn_render_want_colour(terminal));
    SpnOutput output = {.mode = SPN_OUTPUT_LINE, .colour = spn_render_want_colour(terminal)};
    g_autofree char *plain = spn_render_output(&output, track, NULL, FETCHED_AT, NULL);
    g_assert_null(strchr(plain, '\033'));

    g_unsetenv("NO_COLOR");
    g_assert_true(spn_render_want_colour(terminal));
    g_assert_false(spn_render_want_colour(pipe_fds[1]));
    output.colour = spn_render_want_colour(terminal);
    g_autofree char *coloured = spn_render_output(&output, track, NULL, FETCHED_AT, NULL);
    g_assert_nonnull(strstr(coloured, "\033[1mBohemian Rhapsody\033[0m"));

    g_setenv("NO_COLOR", "1", TRUE);
    close(terminal);
    close(master);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

static void test_relative_time(void)
{
    static const struct {
        gint64 delta_ms;
        const char *expected;
    } cases[] = {
        {-12000, "12 s ago"},
        {240000, "in 4 min"},
        {0, "now"},
        {-59400, "59 s ago"},
        {3 * 3600 * 1000, "in 3 h"},
        {-(90 * 60 * 1000), "1 h 30 min ago"},
        {3 * 86400 * 1000LL, "in 3 d"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text =
            spn_render_relative_time(FETCHED_AT + cases[i].delta_ms, FETCHED_AT);
        g_assert_cmpstr(text, ==, cases[i].expected);
    }
}

static void test_status_text(void)
{
    g_autoptr(GVariant) status = make_status("signed-in");
    g_autofree char *text = spn_render_status(status, FETCHED_AT, FALSE);
    g_assert_cmpstr(text, ==,
                    "Account:    signed-in\n"
                    "Viewers:    2\n"
                    "Last poll:  12 s ago\n"
                    "Next poll:  in 4 min\n"
                    "Back-off:   none\n"
                    "Last error: none\n"
                    "Polls:      42 since start, 57 requests to Spotify");

    g_autoptr(GVariant) failing = g_variant_ref_sink(g_variant_new_parsed(
        "{'authState': <'revoked'>, 'lastPollAt': <int64 0>, 'nextPollAt': <int64 0>, "
        "'backoffUntil': <int64 1700000180000>, 'lastError': <'Spotify: API rate limit "
        "exceeded'>}"));
    g_autofree char *failing_text = spn_render_status(failing, FETCHED_AT, FALSE);
    g_assert_cmpstr(failing_text, ==,
                    "Account:    revoked (access revoked or expired: sign in again)\n"
                    "Last poll:  never\n"
                    "Next poll:  none scheduled\n"
                    "Back-off:   ends in 3 min\n"
                    "Last error: Spotify: API rate limit exceeded");
    g_assert_true(spn_render_is_signed_out(failing));
    g_assert_false(spn_render_is_signed_out(status));
}

static void test_status_sign_in_and_control_characters(void)
{
    g_auto(GVariantDict) dict;
    g_variant_dict_init(&dict, NULL);
    g_variant_dict_insert(&dict, "authState", "s", "signed-out");
    g_variant_dict_insert(&dict, "signInPending", "b", TRUE);
    g_variant_dict_insert(&dict, "signInListenError", "s", "");
    g_variant_dict_insert(&dict, "lastError", "s",
                          "Sign-in failed: \x1b[2J\x1b]0;x\x07"
                          "bad\nline");
    g_autoptr(GVariant) pending = g_variant_ref_sink(g_variant_dict_end(&dict));
    g_autofree char *text = spn_render_status(pending, FETCHED_AT, FALSE);
    g_assert_nonnull(
        strstr(text, "\nSign-in:    in progress, waiting for the browser to come back"));
    g_assert_nonnull(strstr(text, "Last error: Sign-in failed: [2J]0;xbad line"));
    g_assert_null(strchr(text, '\x1b'));
    g_assert_null(strchr(text, '\x07'));

    g_autoptr(GVariant) no_listener = g_variant_ref_sink(g_variant_new_parsed(
        "{'signInPending': <true>, 'signInListenError': <'Port 8898 on 127.0.0.1 is in use'>}"));
    g_autofree char *paste = spn_render_status(no_listener, FETCHED_AT, FALSE);
    g_assert_nonnull(
        strstr(paste, "waiting for a pasted address (Port 8898 on 127.0.0.1 is in use)"));

    g_autoptr(GVariant) done = g_variant_ref_sink(
        g_variant_new_parsed("{'signInPending': <false>, 'signInListenError': <''>}"));
    g_autofree char *nothing = spn_render_status(done, FETCHED_AT, FALSE);
    g_assert_null(strstr(nothing, "Sign-in:"));
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C.UTF-8");
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/render/line", test_line);
    g_test_add_func("/render/progress-extrapolation", test_progress_extrapolation);
    g_test_add_func("/render/follow-line", test_follow_line_has_no_progress);
    g_test_add_func("/render/variables", test_variables);
    g_test_add_func("/render/template-output", test_template_output);
    g_test_add_func("/render/json", test_json);
    g_test_add_func("/render/waybar", test_waybar);
    g_test_add_func("/render/i3blocks", test_i3blocks);
    g_test_add_func("/render/colour", test_colour);
    g_test_add_func("/render/relative-time", test_relative_time);
    g_test_add_func("/render/status-text", test_status_text);
    g_test_add_func("/render/status-sign-in", test_status_sign_in_and_control_characters);
    return g_test_run();
}
