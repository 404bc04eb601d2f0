/* snapshot.c — Spotify's now-playing replies → the snapshot of doc/design.md section 2. */
#define G_LOG_DOMAIN "spotnow-snapshot"

#include "snapshot.h"

#include <string.h>

#include "spn-error.h"
#include "spn-json.h"
#include "upstream.h"

/* Caps every duration so callers can add "now" to it without overflowing (~285,000 years). */
#define MAX_MS SPN_JSON_INT_LIMIT

/* currently_playing_type as Spotify documents it, and itemType, which adds "none". */
static const char *const spotify_types[] = {"track", "episode", "ad", "unknown", NULL};

static void replace_string(char **field, const char *value)
{
    char *copy = g_strdup(value);
    g_free(*field);
    *field = copy;
}

/* The type of the metadata @snapshot shows. While an ad (or "unknown") is on, itemType says
 * so, yet the metadata kept is the last track's or episode's: its URL tells which. */
static const char *shown_metadata_type(const SpnSnapshot *snapshot)
{
    const char *type = snapshot->item_type;
    if (g_str_equal(type, "track") || g_str_equal(type, "episode") || g_str_equal(type, "none"))
        return type;
    if (*snapshot->track_name == '\0' && snapshot->track_url == NULL)
        return "none";
    if (snapshot->track_url != NULL && strstr(snapshot->track_url, "/episode/") != NULL)
        return "episode";
    return "track";
}

/* The "last played" fallback: nothing is playing that we can show, so keep what played last
 * (doc/design.md section 4, rule 7). @item_type says what is on instead (an ad, "unknown"); NULL
 * for nothing at all (a 204), where itemType goes back to that of the metadata kept: an ad that
 * ended is not on any more. @upstream_playing is Spotify's is_playing for what is on. */
static SpnSnapshot *last_played(const SpnSnapshot *previous, const char *item_type,
                                gboolean upstream_playing, gint64 now_ms)
{
    SpnSnapshot *snapshot = previous != NULL ? spn_snapshot_copy(previous) : spn_snapshot_new();
    snapshot->is_playing = FALSE;
    snapshot->upstream_playing = upstream_playing;
    snapshot->fetched_at = now_ms;
    replace_string(&snapshot->item_type,
                   item_type != NULL ? item_type : shown_metadata_type(snapshot));
    return snapshot;
}

/* URL of the image with the most pixels; missing dimensions count as 0, ties keep the first. */
static char *largest_image_url(JsonArray *images)
{
    JsonObject *best = NULL;
    gint64 best_area = -1;
    guint n = images != NULL ? json_array_get_length(images) : 0;

    for (guint i = 0; i < n; i++) {
        JsonNode *node = json_array_get_element(images, i);
        JsonObject *image = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
        if (!spn_json_has_nonempty_string(image, "url"))
            continue;

        gint64 width = 0, height = 0;
        if (!spn_json_get_int64(image, "width", &width) || width < 0)
            width = 0;
        if (!spn_json_get_int64(image, "height", &height) || height < 0)
            height = 0;
        /* Both are below 2^53 but their product need not fit: compare in double. */
        gint64 area = (gint64)MIN((double)width * (double)height, (double)G_MAXINT64 / 2);
        if (area > best_area) {
            best_area = area;
            best = image;
        }
    }
    /* Cleaned like every other string: a control character would not survive state.ini. */
    return best != NULL ? spn_json_dup_string(best, "url") : g_strdup("");
}

static char *join_artist_names(JsonArray *artists)
{
    g_autoptr(GString) joined = g_string_new("");
    guint n = artists != NULL ? json_array_get_length(artists) : 0;

    for (guint i = 0; i < n; i++) {
        JsonNode *node = json_array_get_element(artists, i);
        JsonObject *artist = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
        g_autofree char *name = spn_json_dup_string(artist, "name");
        if (name == NULL || *name == '\0')
            continue;
        if (joined->len > 0)
            g_string_append(joined, ", ");
        g_string_append(joined, name);
    }
    return g_string_free(g_steal_pointer(&joined), FALSE);
}

/* A string that is absent rather than "" when Spotify gives none (local files). */
static char *optional_string(JsonObject *object, const char *member)
{
    return spn_json_has_nonempty_string(object, member) ? spn_json_dup_string(object, member)
                                                        : NULL;
}

static char *string_or_empty(JsonObject *object, const char *member)
{
    char *value = spn_json_dup_string(object, member);
    return value != NULL ? value : g_strdup("");
}

static gint64 ms_or_zero(JsonObject *object, const char *member)
{
    gint64 value = 0;
    if (!spn_json_get_int64(object, member, &value))
        return 0;
    return CLAMP(value, 0, MAX_MS);
}

/* The snapshot of a playable item; @item_type ("track" or "episode") says how to read it. */
static SpnSnapshot *from_item(const SpnSnapshot *previous, JsonObject *root, JsonObject *item,
                              const char *item_type, gint64 now_ms)
{
    SpnSnapshot *snapshot = g_new0(SpnSnapshot, 1);
    gboolean episode = g_str_equal(item_type, "episode");

    snapshot->is_playing = spn_json_get_true(root, "is_playing");
    snapshot->upstream_playing = snapshot->is_playing;
    snapshot->track_name = string_or_empty(item, "name");
    if (episode) {
        JsonObject *show = spn_json_get_object(item, "show");
        snapshot->artist_name = string_or_empty(show, "name");
        snapshot->album_name = string_or_empty(show, "name");
        snapshot->album_art = largest_image_url(spn_json_get_array(item, "images"));
        if (*snapshot->album_art == '\0') {
            g_free(snapshot->album_art);
            snapshot->album_art = largest_image_url(spn_json_get_array(show, "images"));
        }
    } else {
        JsonObject *album = spn_json_get_object(item, "album");
        snapshot->artist_name = join_artist_names(spn_json_get_array(item, "artists"));
        snapshot->album_name = string_or_empty(album, "name");
        snapshot->album_art = largest_image_url(spn_json_get_array(album, "images"));
    }
    snapshot->track_url = optional_string(spn_json_get_object(item, "external_urls"), "spotify");
    snapshot->track_id = optional_string(item, "id");
    snapshot->item_type = g_strdup(item_type);
    snapshot->duration_ms = ms_or_zero(item, "duration_ms");
    snapshot->progress_ms = MIN(ms_or_zero(root, "progress_ms"), snapshot->duration_ms);
    /* Spotify's "timestamp" marks the last playback change on /me/player, not this reply. */
    snapshot->fetched_at = now_ms;

    /* The cached file only stays valid for the image it was made from. */
    if (previous != NULL && g_strcmp0(previous->album_art, snapshot->album_art) == 0)
        snapshot->album_art_file = g_strdup(previous->album_art_file);
    return snapshot;
}

/* currently_playing_type, one of the four Spotify documents. Responses from 2017 lack it and
 * only ever carried tracks; a newer value we do not know yet is "unknown". */
static const char *currently_playing_type(JsonObject *root)
{
    const char *type = spn_json_get_string(root, "currently_playing_type");
    if (type == NULL)
        return "track";
    return g_strv_contains(spotify_types, type) ? type : "unknown";
}

/* How to read @item: its own "type" says best; else trust currently_playing_type. NULL when
 * it is neither a track nor an episode (an audiobook chapter, say), which we cannot show. */
static const char *item_shape(JsonObject *item, const char *type)
{
    const char *own = spn_json_get_string(item, "type");
    if (g_strcmp0(own, "track") == 0 || g_strcmp0(own, "episode") == 0)
        return own;
    if (g_str_equal(type, "track") || g_str_equal(type, "episode"))
        return type;
    return NULL;
}

SpnSnapshot *spn_snapshot_normalise(const SpnSnapshot *previous, const char *body, gsize length,
                                    gint64 now_ms, GError **error)
{
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    if (body == NULL || length == 0)
        return last_played(previous, NULL, FALSE, now_ms);

    g_autoptr(JsonObject) root = spn_upstream_parse_json_object(body, length, error);
    if (root == NULL)
        return NULL;

    const char *type = currently_playing_type(root);
    JsonObject *item = spn_json_get_object(root, "item");
    /* An ad carries no metadata worth showing, whatever Spotify puts in item; nor does what
     * Spotify itself calls "unknown" (doc/design.md section 4, rule 7: ad/unknown keep the last
     * metadata). A type newer than we know is judged by its item below. */
    gboolean spotify_says_unknown =
        g_strcmp0(spn_json_get_string(root, "currently_playing_type"), "unknown") == 0;
    if (item != NULL && !g_str_equal(type, "ad") && !spotify_says_unknown) {
        const char *shape = item_shape(item, type);
        if (shape != NULL)
            return from_item(previous, root, item, shape, now_ms);
    }

    /* No item: an ad, nothing at all, or an episode asked for without additional_types. Even
     * with is_playing true there is no track to show, so say paused and keep the last one. */
    gboolean upstream_playing = spn_json_get_true(root, "is_playing");
    if (g_str_equal(type, "ad") || g_str_equal(type, "episode"))
        return last_played(previous, type, upstream_playing, now_ms);
    return last_played(previous, "unknown", upstream_playing, now_ms);
}

/* Clamped to durationMs even when that is 0 ("unknown", as during ads): the normaliser clamps
 * progress to [0, durationMs] too, so an unclamped prediction would see a seek on every poll. */
