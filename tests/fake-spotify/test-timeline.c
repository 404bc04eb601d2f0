/* test-timeline.c — the fake's timeline parser, its clock arithmetic and the replies it builds
 * from the fixtures (manual play's included). If these are
 * wrong, every integration test built on the fake lies. */
#define G_LOG_DOMAIN "spotnow-test-timeline"

#include <json-glib/json-glib.h>
#include <string.h>

#include "png.h"
#include "reply.h"
#include "timeline.h"

#define BASE_URL "http://127.0.0.1:4242"
#define NOW_MS G_GINT64_CONSTANT(1700000000000)

static FsTimeline *parse_ok(const char *text)
{
    g_autoptr(GError) error = NULL;
    FsTimeline *timeline = fs_timeline_parse(text, &error);

    g_assert_no_error(error);
    g_assert_nonnull(timeline);
    return timeline;
}

static FsTemplates *load_templates(void)
{
    g_autoptr(GError) error = NULL;
    const char *dir = g_getenv("SPN_FIXTURES_DIR");
    FsTemplates *templates;

    g_assert_nonnull(dir);
    templates = fs_templates_load(dir, &error);
    g_assert_no_error(error);
    return templates;
}

/* Builds step @index's reply and parses it back, as a client would. */
static JsonNode *build(const FsTimeline *timeline, guint index, gint64 elapsed_ms,
                       FsEndpoint endpoint)
{
    g_autoptr(FsTemplates) templates = load_templates();
    FsReplyContext context = {endpoint, BASE_URL, NOW_MS};
    g_autofree char *json = fs_reply_build(templates, timeline, index, elapsed_ms, &context);
    g_autoptr(GError) error = NULL;
    JsonNode *node;

    g_assert_nonnull(json);
    node = json_from_string(json, &error);
    g_assert_no_error(error);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(node));
    return node;
}

static void test_parse_steps(void)
{
    g_autoptr(FsTimeline) timeline = parse_ok(
        "# a comment line\n"
        "\n"
        "2.5 track name=\"Song One\" artists=\"Ann|The Bs\" album=Sky duration=200 progress=10\n"
        "  1 paused   # trailing comment\n"
        "0.5 status code=429 retry-after=3\n"
        "loop\n");
    const FsStep *track = fs_timeline_get_step(timeline, 0);
    const FsStep *status = fs_timeline_get_step(timeline, 2);

    g_assert_cmpuint(timeline->steps->len, ==, 3);
    g_assert_true(timeline->loop);
    g_assert_cmpint(timeline->total_ms, ==, 4000);
    g_assert_cmpint(track->kind, ==, FS_STEP_TRACK);
    g_assert_cmpint(track->hold_ms, ==, 2500);
    g_assert_cmpstr(track->name, ==, "Song One");
    g_assert_cmpstr(track->artists[0], ==, "Ann");
    g_assert_cmpstr(track->artists[1], ==, "The Bs");
    g_assert_null(track->artists[2]);
    g_assert_cmpstr(track->album, ==, "Sky");
    g_assert_cmpint(track->duration_ms, ==, 200000);
    g_assert_cmpint(track->progress_ms, ==, 10000);
    g_assert_true(track->playing);
    g_assert_cmpint(fs_timeline_get_step(timeline, 1)->kind, ==, FS_STEP_PAUSED);
    g_assert_cmpint(status->code, ==, 429);
    g_assert_cmpstr(status->retry_after, ==, "3");
}

static void test_parse_defaults(void)
{
    g_autoptr(FsTimeline) timeline = parse_ok("3 ad\n4 track\n5 episode\n");
    const FsStep *track = fs_timeline_get_step(timeline, 1);
    const FsStep *episode = fs_timeline_get_step(timeline, 2);

    g_assert_false(timeline->loop);
    g_assert_cmpstr(track->id, ==, "t1");
    g_assert_cmpstr(track->artists[0], ==, "Artist");
    g_assert_null(track->artists[1]);
    g_assert_cmpint(track->duration_ms, ==, 4000); /* duration defaults to the hold */
    g_assert_cmpint(track->progress_ms, ==, 0);
    g_assert_null(track->art); /* = the fake's own image URL */
    g_assert_cmpstr(episode->show, ==, "Show");
    g_assert_cmpint(episode->duration_ms, ==, 5000);
}

static void test_parse_quotes(void)
{
    g_autoptr(FsTimeline) timeline = parse_ok(
        "1 track name=\"Song #1 \\\"live\\\"\" album=\"\" art=none # not part of it\n"
        "1 track \"name=Whole word quoted\" art=\"http://x/a.png?v=1\"\n");
    const FsStep *first = fs_timeline_get_step(timeline, 0);
    const FsStep *second = fs_timeline_get_step(timeline, 1);

    g_assert_cmpstr(first->name, ==, "Song #1 \"live\"");
    g_assert_cmpstr(first->album, ==, "");
    g_assert_cmpstr(first->art, ==, ""); /* none */
    g_assert_cmpstr(second->name, ==, "Whole word quoted");
    g_assert_cmpstr(second->art, ==, "http://x/a.png?v=1");
}

static void test_parse_errors(void)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"", "no steps"},
        {"# only a comment\n", "no steps"},
        {"1 track\n2 dance\n", "line 2: unknown kind 'dance'"},
        {"track name=x\n", "line 1: expected '<hold-seconds> <kind>"},
        {"-1 track\n", "line 1: expected"},
        {"1x track\n", "line 1: expected"},
        {"1\n", "line 1: expected"},
        {"1 track nmae=x\n", "line 1: unknown key 'nmae' for track"},
        {"1 ad name=x\n", "line 1: unknown key 'name' for ad"},
        {"1 track name=a name=b\n", "key 'name' given twice"},
        {"1 track name\n", "expected key=value, got 'name'"},
        {"1 track duration=abc\n", "bad value 'abc' for duration"},
        {"1 track playing=yes\n", "bad value 'yes' for playing"},
        {"1 track name=\"open\n", "line 1: unterminated quote"},
        {"1 status\n", "status needs code="},
        {"1 status code=99\n", "bad value '99' for code"},
        {"1 status code=600\n", "bad value '600' for code"},
        {"1 slow\n", "slow needs delay="},
        {"1 ad\n1 paused\n", "line 2: paused needs a track or episode"},
        {"1 track\nloop\n1 ad\n", "line 2: 'loop' must be the last line"},
        {"0 track\nloop\n", "must last longer than 0 s"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(FsTimeline) timeline = fs_timeline_parse(cases[i].text, &error);

        g_test_message("case %zu: %s", i, cases[i].text);
        g_assert_null(timeline);
        g_assert_error(error, FS_TIMELINE_ERROR, FS_TIMELINE_ERROR_PARSE);
        g_assert_nonnull(strstr(error->message, cases[i].message));
    }
}

static void test_locate(void)
{
    g_autoptr(FsTimeline) once = parse_ok("2 track\n1 ad\n3 nothing\n");
    g_autoptr(FsTimeline) looping = parse_ok("2 track\n1 ad\nloop\n");
    gint64 elapsed = -1;

    g_assert_cmpuint(fs_timeline_locate(once, 0, &elapsed), ==, 0);
    g_assert_cmpint(elapsed, ==, 0);
    g_assert_cmpuint(fs_timeline_locate(once, 1999, &elapsed), ==, 0);
    g_assert_cmpint(elapsed, ==, 1999);
    g_assert_cmpuint(fs_timeline_locate(once, 2000, &elapsed), ==, 1);
    g_assert_cmpint(elapsed, ==, 0);
    g_assert_cmpuint(fs_timeline_locate(once, 3500, &elapsed), ==, 2);
    g_assert_cmpint(elapsed, ==, 500);
    /* Past the end the last step stays on, and its clock keeps running. */
    g_assert_cmpuint(fs_timeline_locate(once, 100000, &elapsed), ==, 2);
    g_assert_cmpint(elapsed, ==, 97000);

    g_assert_cmpuint(fs_timeline_locate(looping, 2500, &elapsed), ==, 1);
    g_assert_cmpuint(fs_timeline_locate(looping, 3000, &elapsed), ==, 0);
    g_assert_cmpint(elapsed, ==, 0);
    g_assert_cmpuint(fs_timeline_locate(looping, 3000 * 7 + 2100, &elapsed), ==, 1);
    g_assert_cmpint(elapsed, ==, 100);
}

static void test_progress(void)
{
    g_autoptr(FsTimeline) timeline = parse_ok(
        "10 track duration=12 progress=5\n"
        "2 paused\n"
        "2 paused progress=1\n"
        "3 track duration=100 progress=40 playing=false\n"
        "4 ad\n"
        "1 unknown\n");
    gboolean playing = FALSE;

    g_assert_cmpint(fs_timeline_progress_ms(timeline, 0, 1500, &playing), ==, 6500);
    g_assert_true(playing);
    /* Clamped to the duration: a client must never see progress beyond the end. */
    g_assert_cmpint(fs_timeline_progress_ms(timeline, 0, 9000, &playing), ==, 12000);
    /* Paused freezes where the track's step ended (clamped), whatever time passes. */
    g_assert_cmpint(fs_timeline_progress_ms(timeline, 1, 0, &playing), ==, 12000);
    g_assert_false(playing);
    g_assert_cmpint(fs_timeline_progress_ms(timeline, 1, 1900, &playing), ==, 12000);
    g_assert_cmpint(fs_timeline_progress_ms(timeline, 2, 500, &playing), ==, 1000);
    g_assert_false(playing);
    g_assert_cmpint(fs_timeline_progress_ms(timeline, 3, 2000, &playing), ==, 40000);
    g_assert_false(playing);
    g_assert_cmpint(fs_timeline_progress_ms(timeline, 4, 2500, &playing), ==, 2500);
    g_assert_true(playing);
    g_assert_cmpint(fs_timeline_progress_ms(timeline, 5, 500, &playing), ==, 0);
    g_assert_true(playing);
}

static void test_resolve_slow(void)
{
    g_autoptr(FsTimeline) timeline =
        parse_ok("2 slow delay=0.5\n3 track\n1 status code=500\n4 slow delay=1\n");
    guint index = 99;
    gint64 elapsed = -1;

    g_assert_cmpint(fs_timeline_get_step(timeline, 0)->delay_ms, ==, 500);
    /* Nothing before it: a slow first step answers 204 after its delay. */
    g_assert_false(fs_timeline_resolve(timeline, 0, 100, &index, &elapsed));
    /* Otherwise it answers like the last content step, which carries on. */
    g_assert_true(fs_timeline_resolve(timeline, 3, 500, &index, &elapsed));
    g_assert_cmpuint(index, ==, 1);
    g_assert_cmpint(elapsed, ==, 3500);
    g_assert_true(fs_timeline_resolve(timeline, 2, 500, &index, &elapsed));
    g_assert_cmpuint(index, ==, 2);
    g_assert_cmpint(elapsed, ==, 500);
}

static void test_labels(void)
{
    g_autoptr(FsTimeline) timeline = parse_ok(
        "1 track name=\"Song One\"\n1 paused\n1 episode name=Talk\n1 ad\n1 unknown\n1 nothing\n"
        "1 status code=503\n1 garbage\n1 truncated\n1 reset\n1 slow delay=1\n");
    const char *expected[] = {"Song One",  "Song One", "Talk",      "ad",    "unknown", "204",
                              "error 503", "garbage",  "truncated", "reset", "slow"};

    for (guint i = 0; i < G_N_ELEMENTS(expected); i++)
        g_assert_cmpstr(fs_timeline_label(timeline, i), ==, expected[i]);
}

static void test_default_timeline(void)
{
    g_autoptr(FsTimeline) timeline = fs_timeline_new_default();
    gboolean playing = FALSE;
    gint64 elapsed = 0;
    guint index = fs_timeline_locate(timeline, 1000000, &elapsed);

    g_assert_cmpint(fs_timeline_get_step(timeline, index)->kind, ==, FS_STEP_TRACK);
    fs_timeline_progress_ms(timeline, index, elapsed, &playing);
    g_assert_true(playing);
}

static void test_reply_manual_item(void)
{
    g_autoptr(FsTimeline) timeline = parse_ok("1 track\n2 ad\n3 paused\n10 episode name=Two\n");
    g_autoptr(FsTemplates) templates = load_templates();
    FsReplyContext context = {FS_ENDPOINT_PLAYER, BASE_URL, NOW_MS};
    g_autofree char *json = fs_reply_build_item(templates, timeline, 3, 4000, FALSE, &context);
    g_autoptr(JsonNode) node = json_from_string(json, NULL);
    JsonObject *reply = json_node_get_object(node);

    g_assert_cmpstr(json_object_get_string_member(reply, "currently_playing_type"), ==, "episode");
    g_assert_cmpint(json_object_get_int_member(reply, "progress_ms"), ==, 4000);
    g_assert_false(json_object_get_boolean_member(reply, "is_playing"));
    g_assert_true(json_object_has_member(reply, "device"));
    g_assert_cmpstr(
        json_object_get_string_member(json_object_get_object_member(reply, "item"), "name"), ==,
        "Two");
}

static void assert_images_ascending(JsonArray *images, const char *url_prefix)
{
    const gint64 sizes[] = {64, 300, 640};

    g_assert_cmpuint(json_array_get_length(images), ==, 3);
    for (guint i = 0; i < 3; i++) {
        JsonObject *image = json_array_get_object_element(images, i);
        g_autofree char *url = g_strdup_printf("%s%" G_GINT64_FORMAT, url_prefix, sizes[i]);

        g_assert_cmpint(json_object_get_int_member(image, "width"), ==, sizes[i]);
        g_assert_cmpint(json_object_get_int_member(image, "height"), ==, sizes[i]);
        g_assert_cmpstr(json_object_get_string_member(image, "url"), ==, url);
    }
}

static void test_reply_track(void)
{
    g_autoptr(FsTimeline) timeline = parse_ok(
        "30 track id=abc name=\"Song One\" artists=\"Ann|Bo\" album=Sky duration=200 "
        "progress=10\n");
    g_autoptr(JsonNode) node = build(timeline, 0, 2500, FS_ENDPOINT_CURRENTLY_PLAYING);
    JsonObject *reply = json_node_get_object(node);
    JsonObject *item = json_object_get_object_member(reply, "item");
    JsonObject *album = json_object_get_object_member(item, "album");
    JsonArray *artists = json_object_get_array_member(item, "artists");

    g_assert_cmpint(json_object_get_int_member(reply, "progress_ms"), ==, 12500);
    g_assert_true(json_object_get_boolean_member(reply, "is_playing"));
    g_assert_cmpint(json_object_get_int_member(reply, "timestamp"), ==, NOW_MS);
    g_assert_cmpstr(json_object_get_string_member(reply, "currently_playing_type"), ==, "track");
    g_assert_false(json_object_has_member(reply, "device"));
    g_assert_cmpstr(json_object_get_string_member(item, "name"), ==, "Song One");
    g_assert_cmpstr(json_object_get_string_member(item, "id"), ==, "abc");
    g_assert_cmpstr(json_object_get_string_member(item, "uri"), ==, "spotify:track:abc");
    g_assert_cmpstr(json_object_get_string_member(
                        json_object_get_object_member(item, "external_urls"), "spotify"),
                    ==, "https://open.spotify.com/track/abc");
    g_assert_cmpint(json_object_get_int_member(item, "duration_ms"), ==, 200000);
    g_assert_cmpuint(json_array_get_length(artists), ==, 2);
    g_assert_cmpstr(
        json_object_get_string_member(json_array_get_object_element(artists, 0), "name"), ==,
        "Ann");
    g_assert_cmpstr(
        json_object_get_string_member(json_array_get_object_element(artists, 1), "name"), ==, "Bo");
    g_assert_cmpstr(json_object_get_string_member(album, "name"), ==, "Sky");
    assert_images_ascending(json_object_get_array_member(album, "images"),
                            BASE_URL "/image/abc.png?s=");
}

static void test_reply_player_endpoint(void)
{
    g_autoptr(FsTimeline) timeline = parse_ok("30 track art=\"http://img/x?v=2\"\n");
    g_autoptr(JsonNode) node = build(timeline, 0, 0, FS_ENDPOINT_PLAYER);
    JsonObject *reply = json_node_get_object(node);
    JsonObject *album =
        json_object_get_object_member(json_object_get_object_member(reply, "item"), "album");

    g_assert_true(json_object_has_member(reply, "device"));
    g_assert_true(json_object_has_member(reply, "repeat_state"));
    assert_images_ascending(json_object_get_array_member(album, "images"), "http://img/x?v=2&s=");
}

static void test_reply_local(void)
{
    g_autoptr(FsTimeline) timeline = parse_ok(
        "5 track local=true name=\"My Demo\" artists=\"Me Myself\" album=Tapes "
        "duration=128\n");
    g_autoptr(JsonNode) node = build(timeline, 0, 1000, FS_ENDPOINT_CURRENTLY_PLAYING);
    JsonObject *item = json_object_get_object_member(json_node_get_object(node), "item");
    JsonObject *album = json_object_get_object_member(item, "album");

    g_assert_true(json_object_get_null_member(item, "id"));
    g_assert_true(json_object_get_boolean_member(item, "is_local"));
    g_assert_cmpuint(json_object_get_size(json_object_get_object_member(item, "external_urls")), ==,
                     0);
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(album, "images")), ==, 0);
    g_assert_cmpstr(json_object_get_string_member(item, "uri"), ==,
                    "spotify:local:Me+Myself:Tapes:My+Demo:128");
    g_assert_cmpstr(json_object_get_string_member(item, "name"), ==, "My Demo");
}

static void test_reply_episode(void)
{
    g_autoptr(FsTimeline) timeline =
        parse_ok("10 episode id=ep1 name=\"Part 1\" show=\"The Talk\" duration=3000\n");
    g_autoptr(JsonNode) node = build(timeline, 0, 4000, FS_ENDPOINT_CURRENTLY_PLAYING);
    JsonObject *reply = json_node_get_object(node);
    JsonObject *item = json_object_get_object_member(reply, "item");

    g_assert_cmpstr(json_object_get_string_member(reply, "currently_playing_type"), ==, "episode");
    g_assert_cmpint(json_object_get_int_member(reply, "progress_ms"), ==, 4000);
    g_assert_cmpstr(json_object_get_string_member(item, "type"), ==, "episode");
    g_assert_cmpstr(json_object_get_string_member(item, "name"), ==, "Part 1");
    g_assert_cmpstr(
        json_object_get_string_member(json_object_get_object_member(item, "show"), "name"), ==,
        "The Talk");
    g_assert_false(json_object_has_member(item, "album"));
    assert_images_ascending(json_object_get_array_member(item, "images"),
                            BASE_URL "/image/ep1.png?s=");
}

static void test_reply_paused(void)
{
    g_autoptr(FsTimeline) timeline = parse_ok("3 track name=Before duration=100\n5 ad\n9 paused\n");
    g_autoptr(JsonNode) node = build(timeline, 2, 4000, FS_ENDPOINT_CURRENTLY_PLAYING);
    JsonObject *reply = json_node_get_object(node);
    JsonObject *item = json_object_get_object_member(reply, "item");

    g_assert_false(json_object_get_boolean_member(reply, "is_playing"));
    g_assert_cmpint(json_object_get_int_member(reply, "progress_ms"), ==, 3000);
    g_assert_cmpstr(json_object_get_string_member(item, "name"), ==, "Before");
}

static void test_reply_ad_unknown_nothing(void)
{
    g_autoptr(FsTimeline) timeline = parse_ok("5 ad\n5 unknown\n5 nothing\n5 garbage\n");
    g_autoptr(JsonNode) ad = build(timeline, 0, 1500, FS_ENDPOINT_CURRENTLY_PLAYING);
    g_autoptr(JsonNode) unknown = build(timeline, 1, 0, FS_ENDPOINT_CURRENTLY_PLAYING);
    g_autoptr(FsTemplates) templates = load_templates();
    FsReplyContext context = {FS_ENDPOINT_CURRENTLY_PLAYING, BASE_URL, NOW_MS};
    JsonObject *reply = json_node_get_object(ad);

    g_assert_cmpstr(json_object_get_string_member(reply, "currently_playing_type"), ==, "ad");
    g_assert_true(json_object_get_null_member(reply, "item"));
    g_assert_true(json_object_get_boolean_member(reply, "is_playing"));
    g_assert_cmpint(json_object_get_int_member(reply, "progress_ms"), ==, 1500);
    reply = json_node_get_object(unknown);
    g_assert_cmpstr(json_object_get_string_member(reply, "currently_playing_type"), ==, "unknown");
    g_assert_true(json_object_get_null_member(reply, "item"));
    g_assert_true(json_object_get_boolean_member(reply, "is_playing"));
    g_assert_null(fs_reply_build(templates, timeline, 2, 0, &context));
    g_assert_null(fs_reply_build(templates, timeline, 3, 0, &context));
}

/* One set of templates serves every request: a reply must not leak into the next one. */
static void test_reply_templates_untouched(void)
{
    g_autoptr(FsTimeline) timeline =
        parse_ok("5 track local=true name=Mine artists=Me\n5 track id=x1 name=Theirs\n");
    g_autoptr(FsTemplates) templates = load_templates();
    FsReplyContext context = {FS_ENDPOINT_PLAYER, BASE_URL, NOW_MS};
    g_autofree char *local = fs_reply_build(templates, timeline, 0, 0, &context);
    g_autofree char *first = NULL;
    g_autofree char *again = NULL;

    /* The local file built first is what could leak: it must be one, to test anything. */
    g_assert_nonnull(strstr(local, "\"is_local\" : true"));
    context.endpoint = FS_ENDPOINT_CURRENTLY_PLAYING;
    first = fs_reply_build(templates, timeline, 1, 0, &context);
    again = fs_reply_build(templates, timeline, 1, 0, &context);
    g_assert_cmpstr(first, ==, again);
    g_assert_null(strstr(first, "Mine"));
    g_assert_null(strstr(first, "\"device\""));
    g_assert_nonnull(strstr(first, "https://open.spotify.com/track/x1"));
    g_assert_null(strstr(first, "ABBA")); /* the template's artist is gone everywhere */
    /* Still the streaming track's shape (its ISRC), not the local file's built before it. */
    g_assert_nonnull(strstr(first, "SEAYD7601020"));
    g_assert_null(strstr(first, "\"is_local\" : true"));
}

static void assert_body(GBytes *body, const char *needle)
{
    g_autofree char *text = g_strndup(g_bytes_get_data(body, NULL), g_bytes_get_size(body));

    g_assert_nonnull(strstr(text, needle));
}

static void test_error_bodies(void)
{
    g_autoptr(FsTemplates) templates = load_templates();
    const char *type = NULL;
    g_autoptr(GBytes) e403 = fs_reply_error_body(templates, 403, &type);
    g_autoptr(GBytes) e429 = NULL;
    g_autoptr(GBytes) e503 = NULL;
    g_autoptr(GBytes) grant = NULL;
    g_autoptr(GBytes) custom = NULL;
    g_autoptr(GBytes) premium = NULL;
    g_autoptr(GBytes) scope = NULL;

    g_assert_true(g_str_has_prefix(type, "text/plain"));
    assert_body(e403, "User not registered in the Developer Dashboard");
    e429 = fs_reply_error_body(templates, 429, &type);
    g_assert_true(g_str_has_prefix(type, "application/json"));
    assert_body(e429, "API rate limit exceeded");
    e503 = fs_reply_error_body(templates, 503, &type);
    assert_body(e503, "\"status\": 503");
    grant = fs_reply_token_error_body(templates, "invalid_grant", NULL);
    assert_body(grant, "Invalid refresh token");
    custom = fs_reply_token_error_body(templates, "invalid_request", "a \"quoted\" reason");
    assert_body(custom, "\"error_description\":\"a \\\"quoted\\\" reason\"");
    premium = fs_reply_player_error_body(403, "Player command failed: Premium required",
                                         "PREMIUM_REQUIRED");
    assert_body(premium, "\"reason\" : \"PREMIUM_REQUIRED\"");
    assert_body(premium, "\"status\" : 403");
    scope = fs_reply_player_error_body(403, "Insufficient client scope", NULL);
    assert_body(scope, "\"message\" : \"Insufficient client scope\"");
    {
        g_autofree char *text = g_strndup(g_bytes_get_data(scope, NULL), g_bytes_get_size(scope));
        g_assert_null(strstr(text, "reason"));
    }
}

static void test_png(void)
{
    static const guint8 signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    g_autoptr(GBytes) a = fs_png_for_seed("/image/a.png", 64);
    g_autoptr(GBytes) b = fs_png_for_seed("/image/b.png", 64);
    gsize length = 0;
    const guint8 *data = g_bytes_get_data(a, &length);

    g_assert_cmpuint(length, >, 33);
    g_assert_cmpmem(data, 8, signature, 8);
    g_assert_cmpmem(data + 12, 4, "IHDR", 4);
    g_assert_cmpuint(data[19], ==, 64); /* width, big-endian */
    g_assert_cmpuint(data[23], ==, 64); /* height */
    g_assert_false(g_bytes_equal(a, b));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/timeline/parse/steps", test_parse_steps);
    g_test_add_func("/timeline/parse/defaults", test_parse_defaults);
    g_test_add_func("/timeline/parse/quotes", test_parse_quotes);
    g_test_add_func("/timeline/parse/errors", test_parse_errors);
    g_test_add_func("/timeline/locate", test_locate);
    g_test_add_func("/timeline/progress", test_progress);
    g_test_add_func("/timeline/resolve-slow", test_resolve_slow);
    g_test_add_func("/timeline/labels", test_labels);
    g_test_add_func("/timeline/default", test_default_timeline);
    g_test_add_func("/reply/track", test_reply_track);
    g_test_add_func("/reply/player-endpoint", test_reply_player_endpoint);
    g_test_add_func("/reply/local-file", test_reply_local);
    g_test_add_func("/reply/episode", test_reply_episode);
    g_test_add_func("/reply/paused", test_reply_paused);
    g_test_add_func("/reply/ad-unknown-nothing", test_reply_ad_unknown_nothing);
    g_test_add_func("/reply/templates-untouched", test_reply_templates_untouched);
    g_test_add_func("/reply/manual-item", test_reply_manual_item);
    g_test_add_func("/reply/error-bodies", test_error_bodies);
    g_test_add_func("/png/valid", test_png);
    return g_test_run();
}
