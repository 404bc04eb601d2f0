/* test-snapshot.c — the normaliser over every real Spotify reply in tests/fixtures, plus the
 * edge cases those replies imply, comparison and the a{sv} conversion. */
#include <string.h>

#include "snapshot.h"
#include "spn-error.h"
#include "test-util.h"

/* Local clock of every normalisation: far from any fixture's "timestamp". */
#define NOW G_GINT64_CONSTANT(1700000000000)
#define ART "https://i.scdn.co/image/"

/* The pyrepr capture has Python's True/False and the string "None" for null; nothing else in
 * it differs from JSON, so this turns it into the body Spotify sent. */
static char *load_pyrepr_as_json(const char *name, gsize *length)
{
    g_autofree char *repr = spn_test_load_fixture(name, NULL);
    GString *json = g_string_new(repr);
    g_string_replace(json, "True", "true", 0);
    g_string_replace(json, "False", "false", 0);
    g_string_replace(json, "\"None\"", "null", 0);
    *length = json->len;
    return g_string_free(json, FALSE);
}

/* A currently-playing envelope around a bare track object (the local-file fixture). */
static char *load_wrapped_item(const char *name, gsize *length)
{
    g_autofree char *item = spn_test_load_fixture(name, NULL);
    char *body = g_strdup_printf(
        "{\"timestamp\": 1, \"progress_ms\": 61000, \"is_playing\": true,"
        " \"currently_playing_type\": \"track\", \"item\": %s}",
        item);
    *length = strlen(body);
    return body;
}

/* What played before every fixture: its metadata is what the "last played" fallback keeps. */
static SpnSnapshot *previous_snapshot(void)
{
    SpnSnapshot *s = spn_snapshot_new();
    s->is_playing = TRUE;
    g_free(s->track_name), s->track_name = g_strdup("Previous Song");
    g_free(s->artist_name), s->artist_name = g_strdup("Previous Artist");
    g_free(s->album_name), s->album_name = g_strdup("Previous Album");
    g_free(s->album_art), s->album_art = g_strdup(ART "previous");
    s->album_art_file = g_strdup("/cache/art/previous.jpg");
    s->track_url = g_strdup("https://open.spotify.com/track/previous");
    s->track_id = g_strdup("previous");
    g_free(s->item_type), s->item_type = g_strdup("track");
    s->progress_ms = 42000;
    s->duration_ms = 180000;
    s->fetched_at = NOW - 10000;
    return s;
}

/* @previous NULL: nothing seen before. */
static SpnSnapshot *normalise_ok(const SpnSnapshot *previous, const char *body)
{
    g_autoptr(SpnSnapshot) nothing = spn_snapshot_new();
    g_autoptr(GError) error = NULL;
    SpnSnapshot *s = spn_snapshot_normalise(previous != NULL ? previous : nothing, body,
                                            strlen(body), NOW, &error);
    g_assert_no_error(error);
    g_assert_nonnull(s);
    return s;
}

static void assert_normalise_fails(const char *body, gsize length)
{
    g_autoptr(SpnSnapshot) previous = previous_snapshot();
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnSnapshot) s = spn_snapshot_normalise(previous, body, length, NOW, &error);
    g_assert_null(s);
    g_assert_error(error, SPN_ERROR, SPN_ERROR_UPSTREAM);
    g_assert_true(g_str_has_prefix(error->message, "Spotify sent"));
}

static void assert_invariants(const SpnSnapshot *s)
{
    const char *strings[] = {s->track_name, s->artist_name, s->album_name, s->album_art,
                             s->item_type};
    for (guint i = 0; i < G_N_ELEMENTS(strings); i++) {
        g_assert_nonnull(strings[i]);
        g_assert_true(g_utf8_validate(strings[i], -1, NULL));
    }
    const char *optional[] = {s->album_art_file, s->track_url, s->track_id};
    for (guint i = 0; i < G_N_ELEMENTS(optional); i++)
        g_assert_true(optional[i] == NULL || g_utf8_validate(optional[i], -1, NULL));
    g_assert_cmpint(s->duration_ms, >=, 0);
    g_assert_cmpint(s->progress_ms, >=, 0);
    g_assert_cmpint(s->progress_ms, <=, s->duration_ms);
}

/* The metadata of @previous, not playing, fetched now, with @item_type. */
static void assert_last_played(const SpnSnapshot *s, const SpnSnapshot *previous,
                               const char *item_type)
{
    g_assert_false(s->is_playing);
    g_assert_cmpstr(s->track_name, ==, previous->track_name);
    g_assert_cmpstr(s->artist_name, ==, previous->artist_name);
    g_assert_cmpstr(s->album_name, ==, previous->album_name);
    g_assert_cmpstr(s->album_art, ==, previous->album_art);
    g_assert_cmpstr(s->album_art_file, ==, previous->album_art_file);
    g_assert_cmpstr(s->track_url, ==, previous->track_url);
    g_assert_cmpstr(s->track_id, ==, previous->track_id);
    g_assert_cmpstr(s->item_type, ==, item_type);
    g_assert_cmpint(s->progress_ms, ==, previous->progress_ms);
    g_assert_cmpint(s->duration_ms, ==, previous->duration_ms);
    g_assert_cmpint(s->fetched_at, ==, NOW);
}

typedef enum { BODY_AS_IS, BODY_PYREPR, BODY_WRAP_ITEM } BodyKind;

typedef struct {
    const char *fixture;
    BodyKind kind;
    gboolean keeps_previous; /* then only item_type below matters */
    const char *item_type;
    gboolean is_playing;
    const char *track, *artist, *album, *art, *url, *id;
    gint64 progress, duration;
} FixtureCase;

static const FixtureCase fixture_cases[] = {
    {"currently-playing-track.json", BODY_AS_IS, FALSE, "track", FALSE, "Dancing Queen", "ABBA",
     "Arrival", ART "1cb3d4e9b45c0526655b712e8e7a9154a0367b42",
     "https://open.spotify.com/track/01iyCAUm8EvOFqVWYJ3dVX", "01iyCAUm8EvOFqVWYJ3dVX", 78810,
     230400},
    /* Episode images win over the show's bigger ones; the show names artist and album. */
    {"currently-playing-episode.json", BODY_AS_IS, FALSE, "episode", TRUE,
     "The Giant Beastcast: Episode 0", "The Giant Beastcast", "The Giant Beastcast",
     ART "207663099fe4dab2eafbc2b52813d283e80be07a",
     "https://open.spotify.com/episode/4GI3dxEafwap1sFiTGPKd1", "4GI3dxEafwap1sFiTGPKd1", 3636145,
     8052140},
    /* The item's own id, not the one in linked_from. */
    {"currently-playing-track-linked-from.json", BODY_AS_IS, FALSE, "track", TRUE,
     "Playinwitme (feat. Kehlani)", "Kehlani", "Playinwitme (feat. Kehlani)",
     ART "ab67616d00004851fa7b2b60e85950ee93dcdc04",
     "https://open.spotify.com/track/4F1yvJfQ7gJkrcgFJQDjOr", "4F1yvJfQ7gJkrcgFJQDjOr", 22270,
     191680},
    {"currently-playing-track-2017-no-type.json", BODY_AS_IS, FALSE, "track", FALSE, "Bubbly",
     "Colbie Caillat", "Coco", ART "1c9fed75791a6be303dc72a19f9f66e710bfffb9",
     "https://open.spotify.com/track/1lkvpmrCaXK8QtliFDcHBO", "1lkvpmrCaXK8QtliFDcHBO", 102509,
     196226},
    {"currently-playing-ad.json", BODY_AS_IS, TRUE, "ad"},
    /* 204 after a track: the track stays, and so does its itemType. */
    {"currently-playing-204.empty", BODY_AS_IS, TRUE, "track"},
    {"player-state-track.json", BODY_AS_IS, FALSE, "track", TRUE, "Dancing Queen", "ABBA",
     "Arrival", ART "1cb3d4e9b45c0526655b712e8e7a9154a0367b42",
     "https://open.spotify.com/track/01iyCAUm8EvOFqVWYJ3dVX", "01iyCAUm8EvOFqVWYJ3dVX", 69937,
     230400},
    {"player-state-episode.json", BODY_AS_IS, FALSE, "episode", TRUE,
     "The Giant Beastcast: Episode 210", "The Giant Beastcast", "The Giant Beastcast",
     ART "ff5ec9060db4b218fdace3c4d513f3f63588e6d3",
     "https://open.spotify.com/episode/78iZfkNcsOJZVhmSQdYNUb", "78iZfkNcsOJZVhmSQdYNUb", 1625,
     9590568},
    {"player-state-no-progress-ms.json", BODY_AS_IS, FALSE, "track", TRUE,
     "Playinwitme (feat. Kehlani)", "Kehlani", "Playinwitme (feat. Kehlani)",
     ART "ab67616d00004851fa7b2b60e85950ee93dcdc04",
     "https://open.spotify.com/track/43cFjTTCD9Cni4aSL0sORz", "43cFjTTCD9Cni4aSL0sORz", 0, 193093},
    /* is_playing true with item null: nothing is actually playing. */
    {"player-state-nothing-playing-item-null-unknown.json", BODY_AS_IS, TRUE, "unknown"},
    {"player-state-episode-no-additional-types.pyrepr.txt", BODY_PYREPR, TRUE, "episode"},
    /* No URL, no id, no art: absent, absent, "". */
    {"local-file-track-object.json", BODY_WRAP_ITEM, FALSE, "track", TRUE, "Heart of Stone",
     "The Waymores", "Heart of Stone", "", NULL, NULL, 61000, 128000},
};

static void test_fixture(gconstpointer data)
{
    const FixtureCase *c = data;
    g_autofree char *body = NULL;
    gsize length = 0;
    switch (c->kind) {
        case BODY_AS_IS:
            body = spn_test_load_fixture(c->fixture, &length);
            break;
        case BODY_PYREPR:
            body = load_pyrepr_as_json(c->fixture, &length);
            break;
        case BODY_WRAP_ITEM:
            body = load_wrapped_item(c->fixture, &length);
            break;
    }

    g_autoptr(SpnSnapshot) previous = previous_snapshot();
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnSnapshot) s = spn_snapshot_normalise(previous, body, length, NOW, &error);
    g_assert_no_error(error);
    g_assert_nonnull(s);
    assert_invariants(s);

    if (c->keeps_previous) {
        assert_last_played(s, previous, c->item_type);
        return;
    }
    g_assert_cmpint(s->is_playing, ==, c->is_playing);
    g_assert_cmpstr(s->track_name, ==, c->track);
    g_assert_cmpstr(s->artist_name, ==, c->artist);
    g_assert_cmpstr(s->album_name, ==, c->album);
    g_assert_cmpstr(s->album_art, ==, c->art);
    g_assert_null(s->album_art_file); /* the art changed, so the old file is not it */
    g_assert_cmpstr(s->track_url, ==, c->url);
    g_assert_cmpstr(s->track_id, ==, c->id);
    g_assert_cmpstr(s->item_type, ==, c->item_type);
    g_assert_cmpint(s->progress_ms, ==, c->progress);
    g_assert_cmpint(s->duration_ms, ==, c->duration);
    g_assert_cmpint(s->fetched_at, ==, NOW); /* never Spotify's "timestamp" */
}

/* A new player fixture must come with its expected values. */
static void test_every_fixture_covered(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) dir = g_dir_open(g_getenv("SPN_FIXTURES_DIR"), 0, &error);
    g_assert_no_error(error);

    guint seen = 0;
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        if (!g_str_has_prefix(name, "currently-playing-") &&
            !g_str_has_prefix(name, "player-state-") && !g_str_has_prefix(name, "local-file-"))
            continue;
        gboolean covered = FALSE;
        for (guint i = 0; i < G_N_ELEMENTS(fixture_cases); i++)
            covered = covered || g_str_equal(name, fixture_cases[i].fixture);
        if (!covered)
            g_test_message("fixture without expected values: %s", name);
        g_assert_true(covered);
        seen++;
    }
    g_assert_cmpuint(seen, ==, G_N_ELEMENTS(fixture_cases));
}

static void test_new(void)
{
    g_autoptr(SpnSnapshot) s = spn_snapshot_new();
    g_assert_false(s->is_playing);
    g_assert_cmpstr(s->track_name, ==, "");
    g_assert_cmpstr(s->artist_name, ==, "");
    g_assert_cmpstr(s->album_name, ==, "");
    g_assert_cmpstr(s->album_art, ==, "");
    g_assert_null(s->album_art_file);
    g_assert_null(s->track_url);
    g_assert_null(s->track_id);
    g_assert_cmpstr(s->item_type, ==, "none");
    g_assert_cmpint(s->progress_ms, ==, 0);
    g_assert_cmpint(s->duration_ms, ==, 0);
    g_assert_cmpint(s->fetched_at, ==, 0);
}

/* Nothing seen yet and nothing playing: still "none"/empty, but fetched. */
static void test_fallback_from_nothing(void)
{
    g_autoptr(SpnSnapshot) empty = spn_snapshot_new();
    g_autoptr(SpnSnapshot) s = spn_snapshot_normalise(empty, NULL, 0, NOW, NULL);
    assert_last_played(s, empty, "none");

    g_autofree char *ad = spn_test_load_fixture("currently-playing-ad.json", NULL);
    g_autoptr(SpnSnapshot) a = normalise_ok(empty, ad);
    assert_last_played(a, empty, "ad");
}

/* An ad that ended is not on any more: a 204 after it gives back the kept metadata's own type,
 * or the CLI would go on saying "Advertisement" while nothing plays. */
static void test_fallback_after_ad(void)
{
    g_autofree char *ad = spn_test_load_fixture("currently-playing-ad.json", NULL);
    g_autofree char *episode = spn_test_load_fixture("currently-playing-episode.json", NULL);

    g_autoptr(SpnSnapshot) track = previous_snapshot();
    g_autoptr(SpnSnapshot) track_ad = normalise_ok(track, ad);
    g_assert_true(track_ad->upstream_playing);
    g_autoptr(SpnSnapshot) track_end = spn_snapshot_normalise(track_ad, NULL, 0, NOW, NULL);
    assert_last_played(track_end, track, "track");
    g_assert_false(track_end->upstream_playing);

    g_autoptr(SpnSnapshot) show = normalise_ok(NULL, episode);
    g_autoptr(SpnSnapshot) show_ad = normalise_ok(show, ad);
    g_autoptr(SpnSnapshot) show_end = spn_snapshot_normalise(show_ad, NULL, 0, NOW, NULL);
    g_assert_cmpstr(show_end->item_type, ==, "episode");
    g_assert_cmpstr(show_end->track_name, ==, show->track_name);

    g_autoptr(SpnSnapshot) empty = spn_snapshot_new();
    g_autoptr(SpnSnapshot) only_ad = normalise_ok(empty, ad);
    g_autoptr(SpnSnapshot) only_end = spn_snapshot_normalise(only_ad, NULL, 0, NOW, NULL);
    assert_last_played(only_end, empty, "none");
}

static void test_fallback_track_item_null(void)
{
    g_autoptr(SpnSnapshot) previous = previous_snapshot();
    g_autoptr(SpnSnapshot) s =
        normalise_ok(previous,
                     "{\"currently_playing_type\":\"track\",\"is_playing\":true,\"item\":null,"
                     "\"progress_ms\":5000}");
    assert_last_played(s, previous, "unknown");

    g_autoptr(SpnSnapshot) missing =
        normalise_ok(previous, "{\"is_playing\":true,\"progress_ms\":5000}");
    assert_last_played(missing, previous, "unknown");
}

static void test_unknown_types(void)
{
    g_autoptr(SpnSnapshot) previous = previous_snapshot();

    /* A type Spotify adds later, without an item. */
    g_autoptr(SpnSnapshot) a = normalise_ok(
        previous, "{\"currently_playing_type\":\"audiobook\",\"is_playing\":true,\"item\":null}");
    assert_last_played(a, previous, "unknown");

    /* An item we cannot read as a track or an episode. */
    g_autoptr(SpnSnapshot) b =
        normalise_ok(previous,
                     "{\"currently_playing_type\":\"unknown\",\"is_playing\":true,"
                     "\"item\":{\"type\":\"chapter\",\"name\":\"Chapter 1\"}}");
    assert_last_played(b, previous, "unknown");

    /* The item says what it is when the envelope has a type newer than ours... */
    g_autoptr(SpnSnapshot) c =
        normalise_ok(previous,
                     "{\"currently_playing_type\":\"audiobook\",\"is_playing\":true,"
                     "\"item\":{\"type\":\"track\",\"name\":\"Song\"}}");
    g_assert_cmpstr(c->item_type, ==, "track");
    g_assert_cmpstr(c->track_name, ==, "Song");
    g_assert_true(c->is_playing);

    /* ...but when Spotify itself says "unknown", the last metadata stays (rule 7). */
    g_autoptr(SpnSnapshot) e =
        normalise_ok(previous,
                     "{\"currently_playing_type\":\"unknown\",\"is_playing\":true,"
                     "\"item\":{\"type\":\"track\",\"name\":\"Song\"}}");
    assert_last_played(e, previous, "unknown");

    /* An ad with an item is still an ad. */
    g_autoptr(SpnSnapshot) d =
        normalise_ok(previous,
                     "{\"currently_playing_type\":\"ad\",\"is_playing\":true,"
                     "\"item\":{\"type\":\"track\",\"name\":\"Buy now\"}}");
    assert_last_played(d, previous, "ad");
}

static void test_album_art_file(void)
{
    g_autofree char *track = spn_test_load_fixture("currently-playing-track.json", NULL);
    g_autofree char *same_art = spn_test_load_fixture("player-state-track.json", NULL);
    g_autofree char *other_art =
        spn_test_load_fixture("currently-playing-track-linked-from.json", NULL);

    g_autoptr(SpnSnapshot) first = normalise_ok(NULL, track);
    first->album_art_file = g_strdup("/cache/art/abba.jpg");

    g_autoptr(SpnSnapshot) kept = normalise_ok(first, same_art);
    g_assert_cmpstr(kept->album_art_file, ==, "/cache/art/abba.jpg");

    g_autoptr(SpnSnapshot) dropped = normalise_ok(kept, other_art);
    g_assert_null(dropped->album_art_file);
}

static SpnSnapshot *normalise_numbers(const char *progress, const char *duration)
{
    g_autofree char *body = g_strdup_printf(
        "{\"is_playing\":true,\"progress_ms\":%s,\"item\":{\"type\":\"track\",\"name\":\"N\","
        "\"duration_ms\":%s}}",
        progress, duration);
    SpnSnapshot *s = normalise_ok(NULL, body);
    assert_invariants(s);
    return s;
}

static void test_clamp(void)
{
    struct {
        const char *progress, *duration;
        gint64 want_progress, want_duration;
    } cases[] = {
        {"500000", "200000", 200000, 200000}, /* past the end */
        {"-5", "200000", 0, 200000},
        {"null", "200000", 0, 200000},
        {"1000", "null", 0, 0}, /* no duration (as during ads): progress cannot exceed 0 */
        {"1000", "-1", 0, 0},
        {"1000.7", "230400.0", 1000, 230400}, /* doubles accepted */
        {"\"1000\"", "\"230400\"", 0, 0},     /* strings are not numbers */
        {"[1]", "{}", 0, 0},
        {"true", "false", 0, 0},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(SpnSnapshot) s = normalise_numbers(cases[i].progress, cases[i].duration);
        g_assert_cmpint(s->progress_ms, ==, cases[i].want_progress);
        g_assert_cmpint(s->duration_ms, ==, cases[i].want_duration);
    }
}

/* Numbers no gint64 or double holds: no crash, no overflow when predicting from them. */
static void test_huge_numbers(void)
{
    const char *huge[] = {"99999999999999999999999", "1e400", "-1e400", "9223372036854775807",
                          "1.7976931348623157e308"};
    for (guint i = 0; i < G_N_ELEMENTS(huge); i++) {
        for (guint j = 0; j < G_N_ELEMENTS(huge); j++) {
            g_autoptr(SpnSnapshot) s = normalise_numbers(huge[i], huge[j]);
            gint64 later = spn_snapshot_predicted_progress(s, G_MAXINT64);
            g_assert_cmpint(later, >=, s->progress_ms);
            g_assert_cmpint(later, <=, s->duration_ms);
        }
    }
    g_autoptr(SpnSnapshot) big = normalise_numbers("1e400", "1e400");
    g_assert_cmpint(big->duration_ms, >, G_GINT64_CONSTANT(1) << 40);
    g_assert_cmpint(big->progress_ms, ==, big->duration_ms);
}

static void test_wrong_types(void)
{
    g_autoptr(SpnSnapshot) previous = previous_snapshot();

    /* An array where the item object should be: no item. */
    g_autoptr(SpnSnapshot) a = normalise_ok(previous, "{\"is_playing\":true,\"item\":[]}");
    assert_last_played(a, previous, "unknown");

    g_autoptr(SpnSnapshot) b = normalise_ok(
        previous,
        "{\"currently_playing_type\":7,\"is_playing\":\"true\",\"progress_ms\":\"5\","
        "\"item\":{\"name\":5,\"artists\":[5,null,{\"name\":null},{\"name\":\"A\"},{\"name\":\"\"},"
        "{\"name\":[\"x\"]},{\"name\":\"B\"}],\"album\":[],\"external_urls\":[],\"id\":123,"
        "\"duration_ms\":{}}}");
    assert_invariants(b);
    g_assert_cmpstr(b->item_type, ==, "track"); /* a non-string type is absent: old response */
    g_assert_false(b->is_playing);
    g_assert_cmpstr(b->track_name, ==, "");
    g_assert_cmpstr(b->artist_name, ==, "A, B");
    g_assert_cmpstr(b->album_name, ==, "");
    g_assert_cmpstr(b->album_art, ==, "");
    g_assert_null(b->track_url);
    g_assert_null(b->track_id);
    g_assert_cmpint(b->duration_ms, ==, 0);

    g_autoptr(SpnSnapshot) c =
        normalise_ok(previous,
                     "{\"item\":{\"type\":\"track\",\"artists\":\"ABBA\",\"album\":{\"name\":1,"
                     "\"images\":{}},\"external_urls\":{\"spotify\":\"\"},\"id\":\"\"}}");
    g_assert_cmpstr(c->artist_name, ==, "");
    g_assert_cmpstr(c->album_name, ==, "");
    g_assert_cmpstr(c->album_art, ==, "");
    g_assert_null(c->track_url);
    g_assert_null(c->track_id);

    /* An episode whose show is not an object. */
    g_autoptr(SpnSnapshot) d =
        normalise_ok(previous,
                     "{\"currently_playing_type\":\"episode\",\"item\":{\"type\":\"episode\","
                     "\"name\":\"E\",\"show\":\"S\",\"images\":null}}");
    g_assert_cmpstr(d->item_type, ==, "episode");
    g_assert_cmpstr(d->artist_name, ==, "");
    g_assert_cmpstr(d->album_art, ==, "");
}

static void test_largest_image(void)
{
    g_autoptr(SpnSnapshot) s =
        normalise_ok(NULL,
                     "{\"item\":{\"type\":\"track\",\"album\":{\"images\":["
                     "{\"url\":\"small\",\"width\":64,\"height\":64},"
                     "{\"url\":\"no-size\",\"width\":null},"
                     "{\"width\":5000,\"height\":5000},"              /* no url: skipped */
                     "{\"url\":\"\",\"width\":4000,\"height\":4000}," /* empty url: skipped */
                     "{\"url\":\"wide-only\",\"width\":10000},"       /* no height: area 0 */
                     "{\"url\":\"first-big\",\"width\":640,\"height\":640},"
                     "{\"url\":\"second-big\",\"width\":640,\"height\":640},"
                     "{\"url\":\"strings\",\"width\":\"9999\",\"height\":\"9999\"}]}}}");
    g_assert_cmpstr(s->album_art, ==, "first-big");

    /* No image has dimensions: the first one still beats nothing. */
    g_autoptr(SpnSnapshot) t =
        normalise_ok(NULL,
                     "{\"item\":{\"type\":\"track\",\"album\":{\"images\":[5,{\"url\":\"a\"},"
                     "{\"url\":\"b\",\"width\":null,\"height\":null}]}}}");
    g_assert_cmpstr(t->album_art, ==, "a");
}

static void test_episode_show_images(void)
{
    g_autoptr(SpnSnapshot) s = normalise_ok(
        NULL,
        "{\"currently_playing_type\":\"episode\",\"is_playing\":true,\"item\":{"
        "\"type\":\"episode\",\"name\":\"Ep\",\"images\":[],\"show\":{\"name\":\"Show\","
        "\"images\":[{\"url\":\"show-small\",\"width\":64,\"height\":64},"
        "{\"url\":\"show-big\",\"width\":640,\"height\":640}]}}}");
    g_assert_cmpstr(s->album_art, ==, "show-big");
    g_assert_cmpstr(s->artist_name, ==, "Show");
    g_assert_cmpstr(s->album_name, ==, "Show");
    g_assert_cmpstr(s->track_name, ==, "Ep");
}

static void test_bad_json(void)
{
    const char *bodies[] = {"{",          "not json", "{\"item\":1} trailing",
                            "[]",         "[1,2]",    "null",
                            "\"string\"", "42",       "true",
                            "  \n",       "{\"a\":}"};
    for (guint i = 0; i < G_N_ELEMENTS(bodies); i++)
        assert_normalise_fails(bodies[i], strlen(bodies[i]));

    /* A NUL inside the body. */
    assert_normalise_fails("{}\0{}", 5);

    /* Deep nesting would overflow the parser's stack. */
    g_autoptr(GString) deep = g_string_new("{\"item\":");
    for (guint i = 0; i < 200000; i++)
        g_string_append(deep, "[");
    assert_normalise_fails(deep->str, deep->len);
    g_string_assign(deep, "");
    for (guint i = 0; i < 100000; i++)
        g_string_append(deep, "{\"a\":");
    assert_normalise_fails(deep->str, deep->len);
}

static void test_invalid_utf8(void)
{
    g_autofree char *track = spn_test_load_fixture("currently-playing-track.json", NULL);
    g_autoptr(GString) body = g_string_new(track);
    g_assert_cmpuint(g_string_replace(body, "Dancing Queen", "Dancing \xff\xfe Queen", 1), ==, 1);
    assert_normalise_fails(body->str, body->len);

    /* A lone low surrogate escape is valid JSON that json-glib decodes to invalid UTF-8 (and it
     * swallows the next character too, hence no " Queen" below). */
    g_autoptr(SpnSnapshot) s =
        normalise_ok(NULL,
                     "{\"item\":{\"type\":\"track\",\"name\":\"Dancing \\udc00 Queen\","
                     "\"artists\":[{\"name\":\"AB\\udfffBA\"}],\"id\":\"x\\udc00y\"}}");
    assert_invariants(s);
    g_assert_true(g_str_has_prefix(s->track_name, "Dancing "));
    g_assert_true(g_str_has_suffix(s->track_name, "Queen"));
    g_assert_true(g_utf8_validate(s->track_id, -1, NULL));

    /* A lone high surrogate is one json-glib refuses outright. */
    const char *high = "{\"item\":{\"type\":\"track\",\"name\":\"x\\ud800\"}}";
    assert_normalise_fails(high, strlen(high));

    /* Escaped non-ASCII comes through as itself. */
    g_autoptr(SpnSnapshot) t = normalise_ok(
        NULL, "{\"item\":{\"type\":\"track\",\"name\":\"Bj\\u00f6rk \\ud83c\\udfb5\"}}");
    g_assert_cmpstr(t->track_name, ==, "Björk 🎵");
}

static void test_predicted_progress(void)
{
    g_autoptr(SpnSnapshot) s = spn_snapshot_new();
    s->is_playing = TRUE;
    s->progress_ms = 1000;
    s->duration_ms = 10000;
    s->fetched_at = NOW;

    g_assert_cmpint(spn_snapshot_predicted_progress(s, NOW), ==, 1000);
    g_assert_cmpint(spn_snapshot_predicted_progress(s, NOW + 2500), ==, 3500);
    g_assert_cmpint(spn_snapshot_predicted_progress(s, NOW + 60000), ==, 10000);
    g_assert_cmpint(spn_snapshot_predicted_progress(s, NOW - 5000), ==, 1000); /* clock went back */
    g_assert_cmpint(spn_snapshot_predicted_progress(s, G_MAXINT64), ==, 10000);

    s->is_playing = FALSE;
    g_assert_cmpint(spn_snapshot_predicted_progress(s, NOW + 2500), ==, 1000);

    /* Unknown duration: progress is 0 and stays 0, as clients show it. */
    s->is_playing = TRUE;
    s->progress_ms = 0;
    s->duration_ms = 0;
    g_assert_cmpint(spn_snapshot_predicted_progress(s, NOW + 2500), ==, 0);
}

static SpnSnapshot *playing_at(gint64 progress, gint64 fetched_at)
{
    SpnSnapshot *s = previous_snapshot();
    s->progress_ms = progress;
    s->fetched_at = fetched_at;
    return s;
}

static void test_compare_progress(void)
{
    g_autoptr(SpnSnapshot) prev = playing_at(10000, NOW);

    g_autoptr(SpnSnapshot) same = spn_snapshot_copy(prev);
    g_assert_cmpint(spn_snapshot_compare(prev, same), ==, SPN_CHANGE_NONE);

    g_autoptr(SpnSnapshot) predicted = playing_at(15000, NOW + 5000);
    g_assert_cmpint(spn_snapshot_compare(prev, predicted), ==, SPN_CHANGE_NONE);

    g_autoptr(SpnSnapshot) ahead_2900 = playing_at(17900, NOW + 5000);
    g_assert_cmpint(spn_snapshot_compare(prev, ahead_2900), ==, SPN_CHANGE_NONE);
    g_autoptr(SpnSnapshot) behind_2900 = playing_at(12100, NOW + 5000);
    g_assert_cmpint(spn_snapshot_compare(prev, behind_2900), ==, SPN_CHANGE_NONE);

    g_autoptr(SpnSnapshot) ahead_3000 = playing_at(18000, NOW + 5000); /* "more than 3 s" */
    g_assert_cmpint(spn_snapshot_compare(prev, ahead_3000), ==, SPN_CHANGE_NONE);

    g_autoptr(SpnSnapshot) ahead_3100 = playing_at(18100, NOW + 5000);
    g_assert_cmpint(spn_snapshot_compare(prev, ahead_3100), ==, SPN_CHANGE_SEEK);
    g_autoptr(SpnSnapshot) behind_3100 = playing_at(11900, NOW + 5000);
    g_assert_cmpint(spn_snapshot_compare(prev, behind_3100), ==, SPN_CHANGE_SEEK);

    /* Predicted past the end: the prediction stops at the duration. */
    g_autoptr(SpnSnapshot) at_end = playing_at(180000, NOW + 600000);
    g_assert_cmpint(spn_snapshot_compare(prev, at_end), ==, SPN_CHANGE_NONE);

    /* Paused: progress is expected to stand still. */
    g_autoptr(SpnSnapshot) paused = playing_at(10000, NOW);
    paused->is_playing = FALSE;
    g_autoptr(SpnSnapshot) still = spn_snapshot_copy(paused);
    still->fetched_at = NOW + 60000;
    g_assert_cmpint(spn_snapshot_compare(paused, still), ==, SPN_CHANGE_NONE);
    g_autoptr(SpnSnapshot) moved = spn_snapshot_copy(still);
    moved->progress_ms = 14000;
    g_assert_cmpint(spn_snapshot_compare(paused, moved), ==, SPN_CHANGE_SEEK);
}

static void assert_metadata_change(const SpnSnapshot *prev, const SpnSnapshot *cur)
{
    g_assert_cmpint(spn_snapshot_compare(prev, cur), ==, SPN_CHANGE_METADATA);
    g_assert_cmpint(spn_snapshot_compare(cur, prev), ==, SPN_CHANGE_METADATA);
}

static void test_compare_metadata(void)
{
    const struct {
        gsize offset;
        const char *value;
    } changes[] = {
        {G_STRUCT_OFFSET(SpnSnapshot, track_name), "Other"},
        {G_STRUCT_OFFSET(SpnSnapshot, artist_name), "Other"},
        {G_STRUCT_OFFSET(SpnSnapshot, album_name), "Other"},
        {G_STRUCT_OFFSET(SpnSnapshot, album_art), ""},
        {G_STRUCT_OFFSET(SpnSnapshot, album_art_file), NULL},
        {G_STRUCT_OFFSET(SpnSnapshot, album_art_file), ""},
        {G_STRUCT_OFFSET(SpnSnapshot, track_url), "https://open.spotify.com/track/x"},
        {G_STRUCT_OFFSET(SpnSnapshot, track_url), NULL},
        {G_STRUCT_OFFSET(SpnSnapshot, track_url), ""},
        {G_STRUCT_OFFSET(SpnSnapshot, track_id), "x"},
        {G_STRUCT_OFFSET(SpnSnapshot, track_id), NULL},
        {G_STRUCT_OFFSET(SpnSnapshot, item_type), "episode"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(changes); i++) {
        g_autoptr(SpnSnapshot) prev = previous_snapshot();
        g_autoptr(SpnSnapshot) cur = spn_snapshot_copy(prev);
        char **field = G_STRUCT_MEMBER_P(cur, changes[i].offset);
        g_free(*field);
        *field = g_strdup(changes[i].value);
        assert_metadata_change(prev, cur);
    }

    g_autoptr(SpnSnapshot) prev = previous_snapshot();
    g_autoptr(SpnSnapshot) paused = spn_snapshot_copy(prev);
    paused->is_playing = FALSE;
    assert_metadata_change(prev, paused);
    g_autoptr(SpnSnapshot) longer = spn_snapshot_copy(prev);
    longer->duration_ms += 1;
    assert_metadata_change(prev, longer);

    /* NULL and "" are different answers (absent vs empty), both ways round. */
    g_autoptr(SpnSnapshot) a = previous_snapshot();
    g_free(a->track_url), a->track_url = NULL;
    g_autoptr(SpnSnapshot) b = spn_snapshot_copy(a);
    g_free(b->track_url), b->track_url = g_strdup("");
    assert_metadata_change(a, b);
}

static void assert_key_type(GVariant *dict, const char *key, const char *type)
{
    g_autoptr(GVariant) value = g_variant_lookup_value(dict, key, NULL);
    g_assert_nonnull(value);
    g_assert_cmpstr(g_variant_get_type_string(value), ==, type);
}

static void test_variant_full(void)
{
    g_autoptr(SpnSnapshot) s = previous_snapshot();
    GVariant *floating = spn_snapshot_to_variant(s);
    g_assert_true(g_variant_is_floating(floating));
    g_autoptr(GVariant) dict = g_variant_ref_sink(floating);

    g_assert_cmpstr(g_variant_get_type_string(dict), ==, "a{sv}");
    g_assert_cmpuint(g_variant_n_children(dict), ==, 12);
    assert_key_type(dict, SPN_KEY_IS_PLAYING, "b");
    const char *strings[] = {SPN_KEY_TRACK_NAME, SPN_KEY_ARTIST_NAME,    SPN_KEY_ALBUM_NAME,
                             SPN_KEY_ALBUM_ART,  SPN_KEY_ALBUM_ART_FILE, SPN_KEY_TRACK_URL,
                             SPN_KEY_TRACK_ID,   SPN_KEY_ITEM_TYPE};
    for (guint i = 0; i < G_N_ELEMENTS(strings); i++)
        assert_key_type(dict, strings[i], "s");
    assert_key_type(dict, SPN_KEY_PROGRESS_MS, "x");
    assert_key_type(dict, SPN_KEY_DURATION_MS, "x");
    assert_key_type(dict, SPN_KEY_FETCHED_AT, "x");

    const char *track_name = NULL;
    g_assert_true(g_variant_lookup(dict, "trackName", "&s", &track_name));
    g_assert_cmpstr(track_name, ==, "Previous Song");

    g_autoptr(SpnSnapshot) back = spn_snapshot_from_variant(dict);
    spn_assert_snapshots_equal(back, s);
}

/* A local file before its art is cached: three keys absent, not "". */
static void test_variant_absent_keys(void)
{
    g_autofree char *body = NULL;
    gsize length = 0;
    body = load_wrapped_item("local-file-track-object.json", &length);
    g_autoptr(SpnSnapshot) s = normalise_ok(NULL, body);

    g_autoptr(GVariant) dict = g_variant_ref_sink(spn_snapshot_to_variant(s));
    g_assert_cmpuint(g_variant_n_children(dict), ==, 9);
    const char *absent[] = {SPN_KEY_ALBUM_ART_FILE, SPN_KEY_TRACK_URL, SPN_KEY_TRACK_ID};
    for (guint i = 0; i < G_N_ELEMENTS(absent); i++) {
        g_autoptr(GVariant) value = g_variant_lookup_value(dict, absent[i], NULL);
        g_assert_null(value);
    }
    assert_key_type(dict, SPN_KEY_ALBUM_ART, "s"); /* "" but present */

    g_autoptr(SpnSnapshot) back = spn_snapshot_from_variant(dict);
    spn_assert_snapshots_equal(back, s);
    g_assert_cmpint(spn_snapshot_compare(s, back), ==, SPN_CHANGE_NONE);
}

static void test_variant_tolerant(void)
{
    g_autoptr(SpnSnapshot) defaults = spn_snapshot_new();

    g_autoptr(GVariant) empty = g_variant_ref_sink(g_variant_new("a{sv}", NULL));
    g_autoptr(SpnSnapshot) a = spn_snapshot_from_variant(empty);
    spn_assert_snapshots_equal(a, defaults);

    g_autoptr(GVariant) not_dict = g_variant_ref_sink(g_variant_new_string("hello"));
    g_autoptr(SpnSnapshot) b = spn_snapshot_from_variant(not_dict);
    spn_assert_snapshots_equal(b, defaults);

    GVariantDict wrong;
    g_variant_dict_init(&wrong, NULL);
    g_variant_dict_insert(&wrong, SPN_KEY_IS_PLAYING, "s", "true");
    g_variant_dict_insert(&wrong, SPN_KEY_TRACK_NAME, "i", 5);
    g_variant_dict_insert(&wrong, SPN_KEY_TRACK_URL, "b", TRUE);
    g_variant_dict_insert(&wrong, SPN_KEY_PROGRESS_MS, "i", 5000);
    g_variant_dict_insert(&wrong, SPN_KEY_DURATION_MS, "t", (guint64)9000);
    g_variant_dict_insert(&wrong, SPN_KEY_FETCHED_AT, "d", 1.0);
    g_variant_dict_insert(&wrong, SPN_KEY_ITEM_TYPE, "s", "podcast");
    g_autoptr(GVariant) wrong_dict = g_variant_ref_sink(g_variant_dict_end(&wrong));
    g_autoptr(SpnSnapshot) c = spn_snapshot_from_variant(wrong_dict);
    g_assert_false(c->is_playing);
    g_assert_cmpstr(c->track_name, ==, "");
    g_assert_null(c->track_url);
    g_assert_cmpint(c->progress_ms, ==, 0);
    g_assert_cmpint(c->duration_ms, ==, 0);
    g_assert_cmpint(c->fetched_at, ==, 0);
    g_assert_cmpstr(c->item_type, ==, "unknown");

    /* Values of the right type but out of range are brought back in. */
    GVariantDict range;
    g_variant_dict_init(&range, NULL);
    g_variant_dict_insert(&range, SPN_KEY_PROGRESS_MS, "x", (gint64)9000);
    g_variant_dict_insert(&range, SPN_KEY_DURATION_MS, "x", (gint64)5000);
    g_autoptr(GVariant) range_dict = g_variant_ref_sink(g_variant_dict_end(&range));
    g_autoptr(SpnSnapshot) d = spn_snapshot_from_variant(range_dict);
    g_assert_cmpint(d->progress_ms, ==, 5000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (guint i = 0; i < G_N_ELEMENTS(fixture_cases); i++) {
        g_autofree char *path = g_strdup_printf("/snapshot/fixture/%s", fixture_cases[i].fixture);
        g_test_add_data_func(path, &fixture_cases[i], test_fixture);
    }
    g_test_add_func("/snapshot/fixture-coverage", test_every_fixture_covered);
    g_test_add_func("/snapshot/new", test_new);
    g_test_add_func("/snapshot/fallback/from-nothing", test_fallback_from_nothing);
    g_test_add_func("/snapshot/fallback/track-item-null", test_fallback_track_item_null);
    g_test_add_func("/snapshot/types/unknown", test_unknown_types);
    g_test_add_func("/snapshot/album-art-file", test_album_art_file);
    g_test_add_func("/snapshot/numbers/clamp", test_clamp);
    g_test_add_func("/snapshot/numbers/huge", test_huge_numbers);
    g_test_add_func("/snapshot/wrong-types", test_wrong_types);
    g_test_add_func("/snapshot/largest-image", test_largest_image);
    g_test_add_func("/snapshot/episode-show-images", test_episode_show_images);
    g_test_add_func("/snapshot/errors/bad-json", test_bad_json);
    g_test_add_func("/snapshot/fallback/after-ad", test_fallback_after_ad);
    g_test_add_func("/snapshot/errors/invalid-utf8", test_invalid_utf8);
    g_test_add_func("/snapshot/predicted-progress", test_predicted_progress);
    g_test_add_func("/snapshot/compare/progress", test_compare_progress);
    g_test_add_func("/snapshot/compare/metadata", test_compare_metadata);
    g_test_add_func("/snapshot/variant/full", test_variant_full);
    g_test_add_func("/snapshot/variant/absent-keys", test_variant_absent_keys);
    g_test_add_func("/snapshot/variant/tolerant", test_variant_tolerant);
    return g_test_run();
}
