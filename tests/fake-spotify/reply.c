/* reply.c — turn a timeline step into the JSON Spotify would send, by editing copies of real
 * replies rather than writing shapes by hand. */
#define G_LOG_DOMAIN "spotnow-fake-reply"

#include "reply.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

struct _FsTemplates {
    JsonNode *track;   /* currently-playing-track.json */
    JsonNode *episode; /* currently-playing-episode.json */
    JsonNode *ad;      /* currently-playing-ad.json */
    JsonNode *unknown; /* player-state-nothing-playing-item-null-unknown.json */
    JsonNode *local;   /* local-file-track-object.json (an item, not a reply) */
    JsonNode *player;  /* player-state-track.json, for the device/shuffle/repeat members */
    GHashTable *raw;   /* file name -> GBytes, every file above and the error bodies */
};

static const char *const json_files[] = {
    "currently-playing-track.json", "currently-playing-episode.json",
    "currently-playing-ad.json",    "player-state-nothing-playing-item-null-unknown.json",
    "local-file-track-object.json", "player-state-track.json",
};

static const char *const raw_files[] = {
    "error-401-access-token-expired.json",
    "error-403-user-not-registered.txt",
    "error-429-rate-limit.json",
    "error-502-backend.json",
    "token-invalid-grant-revoked.json",
    "token-invalid-grant-invalid-refresh-token.json",
    "token-invalid-client-compact.json",
    "token-invalid-grant-invalid-code.json",
    "token-invalid-grant-code-verifier.json",
};

/* Album art comes in these sizes, listed small to large on purpose: a client that takes the
 * first image instead of the largest shows a thumbnail, and a test can see it. */
static const gint64 image_sizes[] = {64, 300, 640};

void fs_templates_free(FsTemplates *templates)
{
    if (templates == NULL)
        return;
    g_clear_pointer(&templates->track, json_node_unref);
    g_clear_pointer(&templates->episode, json_node_unref);
    g_clear_pointer(&templates->ad, json_node_unref);
    g_clear_pointer(&templates->unknown, json_node_unref);
    g_clear_pointer(&templates->local, json_node_unref);
    g_clear_pointer(&templates->player, json_node_unref);
    g_clear_pointer(&templates->raw, g_hash_table_unref);
    g_free(templates);
}

static GBytes *load_file(const char *dir, const char *name, GError **error)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    char *contents = NULL;
    gsize length = 0;

    if (!g_file_get_contents(path, &contents, &length, error))
        return NULL;
    return g_bytes_new_take(contents, length);
}

static JsonNode *parse_object(GBytes *bytes, const char *name, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    gsize length = 0;
    const char *data = g_bytes_get_data(bytes, &length);

    if (!json_parser_load_from_data(parser, data, (gssize)length, error)) {
        g_prefix_error(error, "%s: ", name);
        return NULL;
    }
    if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: not a JSON object", name);
        return NULL;
    }
    return json_node_ref(json_parser_get_root(parser));
}

FsTemplates *fs_templates_load(const char *fixtures_dir, GError **error)
{
    g_autoptr(FsTemplates) templates = g_new0(FsTemplates, 1);
    JsonNode **slots[] = {&templates->track,   &templates->episode, &templates->ad,
                          &templates->unknown, &templates->local,   &templates->player};

    G_STATIC_ASSERT(G_N_ELEMENTS(slots) == G_N_ELEMENTS(json_files));
    templates->raw =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_bytes_unref);
    for (gsize i = 0; i < G_N_ELEMENTS(json_files); i++) {
        g_autoptr(GBytes) bytes = load_file(fixtures_dir, json_files[i], error);

        if (bytes == NULL)
            return NULL;
        *slots[i] = parse_object(bytes, json_files[i], error);
        if (*slots[i] == NULL)
            return NULL;
        g_hash_table_insert(templates->raw, (gpointer)json_files[i], g_steal_pointer(&bytes));
    }
    for (gsize i = 0; i < G_N_ELEMENTS(raw_files); i++) {
        GBytes *bytes = load_file(fixtures_dir, raw_files[i], error);

        if (bytes == NULL)
            return NULL;
        g_hash_table_insert(templates->raw, (gpointer)raw_files[i], bytes);
    }
    return g_steal_pointer(&templates);
}

GBytes *fs_templates_raw(const FsTemplates *templates, const char *name)
{
    GBytes *bytes = g_hash_table_lookup(templates->raw, name);

    g_return_val_if_fail(bytes != NULL, NULL);
    return g_bytes_ref(bytes);
}

/* json_node_copy() shares objects and arrays with the original; replies are edited, and the
 * templates must stay pristine for the next request. */
static JsonNode *deep_copy(JsonNode *node)
{
    JsonNode *copy;

    if (JSON_NODE_HOLDS_OBJECT(node)) {
        JsonObject *object = json_node_get_object(node);
        g_autoptr(JsonObject) result = json_object_new();
        g_autoptr(GList) members = json_object_get_members(object);

        for (GList *l = members; l != NULL; l = l->next)
            json_object_set_member(result, l->data,
                                   deep_copy(json_object_get_member(object, l->data)));
        copy = json_node_new(JSON_NODE_OBJECT);
        json_node_set_object(copy, result);
        return copy;
    }
    if (JSON_NODE_HOLDS_ARRAY(node)) {
        JsonArray *array = json_node_get_array(node);
        g_autoptr(JsonArray) result = json_array_sized_new(json_array_get_length(array));

        for (guint i = 0; i < json_array_get_length(array); i++)
            json_array_add_element(result, deep_copy(json_array_get_element(array, i)));
        copy = json_node_new(JSON_NODE_ARRAY);
        json_node_set_array(copy, result);
        return copy;
    }
    return json_node_copy(node); /* values and null are copied by value */
}

static void set_printf(JsonObject *object, const char *member, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

static void set_printf(JsonObject *object, const char *member, const char *format, ...)
{
    va_list args;
    g_autofree char *value = NULL;

    va_start(args, format);
    value = g_strdup_vprintf(format, args);
    va_end(args);
    json_object_set_string_member(object, member, value);
}

/* A stable made-up Spotify id for a name, so the same artist keeps the same id. */
static char *fake_id(const char *prefix, const char *name)
{
    g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA1, name, -1);

    return g_strdup_printf("%s%.20s", prefix, sum);
}

/* Sets id, uri, href and external_urls.spotify the way Spotify links its objects. */
static void set_links(JsonObject *object, const char *type, const char *id)
{
    g_autoptr(JsonObject) urls = json_object_new();

    json_object_set_string_member(object, "id", id);
    set_printf(object, "uri", "spotify:%s:%s", type, id);
    set_printf(object, "href", "https://api.spotify.com/v1/%ss/%s", type, id);
    set_printf(urls, "spotify", "https://open.spotify.com/%s/%s", type, id);
    json_object_set_object_member(object, "external_urls", g_steal_pointer(&urls));
}

static JsonArray *build_images(const FsStep *item, const FsReplyContext *context)
{
    g_autoptr(JsonArray) images = json_array_new();
    g_autofree char *url = NULL;

    if (item->art != NULL && item->art[0] == '\0')
        return g_steal_pointer(&images);
    if (item->art != NULL)
        url = g_strdup(item->art);
    else
        url = g_strdup_printf("%s/image/%s.png", context->base_url, item->id);
    for (gsize i = 0; i < G_N_ELEMENTS(image_sizes); i++) {
        g_autoptr(JsonObject) image = json_object_new();

        json_object_set_int_member(image, "height", image_sizes[i]);
        set_printf(image, "url", "%s%cs=%" G_GINT64_FORMAT, url, strchr(url, '?') ? '&' : '?',
                   image_sizes[i]);
        json_object_set_int_member(image, "width", image_sizes[i]);
        json_array_add_object_element(images, g_steal_pointer(&image));
    }
    return g_steal_pointer(&images);
}

/* Artists shaped like the template's first artist (linked, or all-null for local files). */
static JsonArray *build_artists(JsonObject *template_item, const FsStep *item)
{
    JsonArray *template_artists = json_object_get_array_member(template_item, "artists");
    JsonNode *template_artist = json_array_get_element(template_artists, 0);
    g_autoptr(JsonArray) artists = json_array_new();

    for (guint i = 0; item->artists[i] != NULL; i++) {
        JsonNode *node = deep_copy(template_artist);
        JsonObject *artist = json_node_get_object(node);

        json_object_set_string_member(artist, "name", item->artists[i]);
        if (!item->local) {
            g_autofree char *id = fake_id("ar", item->artists[i]);
            set_links(artist, "artist", id);
        }
        json_array_add_element(artists, node);
    }
    return g_steal_pointer(&artists);
}

/* Spotify's local-file uri: spotify:local:<artist>:<album>:<title>:<seconds>, '+' for spaces. */
static char *local_uri(const FsStep *item)
{
    const char *parts[] = {item->artists[0], item->album, item->name};
    g_autoptr(GString) uri = g_string_new("spotify:local");

    for (gsize i = 0; i < G_N_ELEMENTS(parts); i++) {
        g_autofree char *escaped = g_uri_escape_string(parts[i], NULL, FALSE);

        g_string_append_c(uri, ':');
        g_string_append(uri, escaped);
    }
    g_string_replace(uri, "%20", "+", 0);
    g_string_append_printf(uri, ":%" G_GINT64_FORMAT, item->duration_ms / 1000);
    return g_string_free(g_steal_pointer(&uri), FALSE);
}

static JsonNode *build_track_item(const FsTemplates *templates, const FsStep *item,
                                  const FsReplyContext *context)
{
    JsonObject *reply = json_node_get_object(templates->track);
    JsonNode *template_item =
        item->local ? templates->local : json_object_get_member(reply, "item");
    JsonNode *node = deep_copy(template_item);
    JsonObject *track = json_node_get_object(node);
    JsonObject *album = json_object_get_object_member(track, "album");

    json_object_set_string_member(track, "name", item->name);
    json_object_set_int_member(track, "duration_ms", item->duration_ms);
    json_object_set_boolean_member(track, "is_local", item->local);
    json_object_set_array_member(track, "artists",
                                 build_artists(json_node_get_object(template_item), item));
    json_object_set_string_member(album, "name", item->album);
    if (item->local) {
        g_autofree char *uri = local_uri(item);
        json_object_set_string_member(track, "uri", uri);
    } else {
        g_autofree char *album_id = fake_id("al", item->album);

        set_links(track, "track", item->id);
        set_links(album, "album", album_id);
        json_object_set_array_member(album, "images", build_images(item, context));
        json_object_set_array_member(album, "artists",
                                     build_artists(json_node_get_object(template_item), item));
    }
    return node;
}

static JsonNode *build_episode_item(const FsTemplates *templates, const FsStep *item,
                                    const FsReplyContext *context)
{
    JsonObject *reply = json_node_get_object(templates->episode);
    JsonNode *node = deep_copy(json_object_get_member(reply, "item"));
    JsonObject *episode = json_node_get_object(node);
    JsonObject *show = json_object_get_object_member(episode, "show");
    g_autofree char *show_id = fake_id("sh", item->show);

    json_object_set_string_member(episode, "name", item->name);
    json_object_set_int_member(episode, "duration_ms", item->duration_ms);
    set_links(episode, "episode", item->id);
    json_object_set_array_member(episode, "images", build_images(item, context));
    json_object_set_string_member(show, "name", item->show);
    set_links(show, "show", show_id);
    json_object_set_array_member(show, "images", build_images(item, context));
    return node;
}

/* The members /v1/me/player has and /currently-playing lacks. */
static void add_player_members(const FsTemplates *templates, JsonObject *reply)
{
    JsonObject *player = json_node_get_object(templates->player);
    const char *members[] = {"device", "shuffle_state", "smart_shuffle", "repeat_state"};

    for (gsize i = 0; i < G_N_ELEMENTS(members); i++)
        if (!json_object_has_member(reply, members[i]))
            json_object_set_member(reply, members[i],
                                   deep_copy(json_object_get_member(player, members[i])));
}

static void drop_player_members(JsonObject *reply)
{
    json_object_remove_member(reply, "device");
    json_object_remove_member(reply, "shuffle_state");
    json_object_remove_member(reply, "smart_shuffle");
    json_object_remove_member(reply, "repeat_state");
}

/* A track or episode reply for @item (a track or episode step). */
static JsonNode *build_item_reply(const FsTemplates *templates, const FsStep *item,
                                  gint64 progress_ms, gboolean playing,
                                  const FsReplyContext *context)
{
    gboolean episode = item->kind == FS_STEP_EPISODE;
    JsonNode *node = deep_copy(episode ? templates->episode : templates->track);
    JsonObject *reply = json_node_get_object(node);

    json_object_set_member(reply, "item",
                           episode ? build_episode_item(templates, item, context)
                                   : build_track_item(templates, item, context));
    json_object_set_int_member(reply, "progress_ms", progress_ms);
    json_object_set_boolean_member(reply, "is_playing", playing);
    json_object_set_int_member(reply, "timestamp", context->now_ms);
    json_object_set_string_member(reply, "currently_playing_type", episode ? "episode" : "track");
    return node;
}

/* Fits @node to the endpoint and prints it the way Spotify does (pretty, two spaces). */
static char *finish_reply(const FsTemplates *templates, JsonNode *node,
                          const FsReplyContext *context)
{
    g_autoptr(JsonGenerator) generator = json_generator_new();
    JsonObject *reply = json_node_get_object(node);

    if (context->endpoint == FS_ENDPOINT_PLAYER)
        add_player_members(templates, reply);
    else
        drop_player_members(reply);
    json_generator_set_pretty(generator, TRUE);
    json_generator_set_indent(generator, 2);
    json_generator_set_root(generator, node);
    return json_generator_to_data(generator, NULL);
}

char *fs_reply_build(const FsTemplates *templates, const FsTimeline *timeline, guint index,
                     gint64 elapsed_ms, const FsReplyContext *context)
{
    const FsStep *step = fs_timeline_get_step(timeline, index);
    g_autoptr(JsonNode) node = NULL;
    JsonObject *reply;
    gboolean playing = FALSE;
    gint64 progress;

    switch (step->kind) {
        case FS_STEP_TRACK:
        case FS_STEP_EPISODE:
        case FS_STEP_PAUSED:
            progress = fs_timeline_progress_ms(timeline, index, elapsed_ms, &playing);
            node = build_item_reply(
                templates, step->ref >= 0 ? fs_timeline_get_step(timeline, (guint)step->ref) : step,
                progress, playing, context);
            break;
        case FS_STEP_AD:
            node = deep_copy(templates->ad);
            reply = json_node_get_object(node);
            json_object_set_int_member(
                reply, "progress_ms",
                fs_timeline_progress_ms(timeline, index, elapsed_ms, &playing));
            json_object_set_boolean_member(reply, "is_playing", playing);
            json_object_set_int_member(reply, "timestamp", context->now_ms);
            break;
        case FS_STEP_UNKNOWN:
            /* Kept as captured, timestamp 0 included: clients must not trust "timestamp". */
            node = deep_copy(templates->unknown);
            break;
        default:
            return NULL;
    }
    return finish_reply(templates, node, context);
}

char *fs_reply_build_item(const FsTemplates *templates, const FsTimeline *timeline, guint item,
                          gint64 progress_ms, gboolean playing, const FsReplyContext *context)
{
    const FsStep *step = fs_timeline_get_step(timeline, item);
    g_autoptr(JsonNode) node = NULL;

    g_return_val_if_fail(step->kind == FS_STEP_TRACK || step->kind == FS_STEP_EPISODE, NULL);
    node = build_item_reply(templates, step, progress_ms, playing, context);
    return finish_reply(templates, node, context);
}

static GBytes *take_string(char *text)
{
    return g_bytes_new_take(text, strlen(text));
}

GBytes *fs_reply_error_body(const FsTemplates *templates, guint status, const char **content_type)
{
    const char *message;

    *content_type = "application/json; charset=utf-8";
    switch (status) {
        case 401:
            return fs_templates_raw(templates, "error-401-access-token-expired.json");
        case 403:
            *content_type = "text/plain; charset=utf-8";
            return fs_templates_raw(templates, "error-403-user-not-registered.txt");
        case 429:
            return fs_templates_raw(templates, "error-429-rate-limit.json");
        case 502:
            return fs_templates_raw(templates, "error-502-backend.json");
        default:
            break;
    }
    if (status >= 500)
        message = "Service unavailable";
    else if (status == 404)
        message = "Service not found"; /* Spotify's words for an unknown endpoint */
    else
        message = soup_status_get_phrase(status);
    return take_string(
        g_strdup_printf("{\n  \"error\": {\n    \"status\": %u,\n    \"message\": \"%s\"\n  }\n}\n",
                        status, message));
}

GBytes *fs_reply_token_error_body(const FsTemplates *templates, const char *error,
                                  const char *description)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    g_autoptr(JsonNode) root = NULL;

    if (description == NULL && g_str_equal(error, "invalid_grant"))
        return fs_templates_raw(templates, "token-invalid-grant-invalid-refresh-token.json");
    if (description == NULL && g_str_equal(error, "invalid_client"))
        return fs_templates_raw(templates, "token-invalid-client-compact.json");
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "error");
    json_builder_add_string_value(builder, error);
    json_builder_set_member_name(builder, "error_description");
    json_builder_add_string_value(builder, description != NULL ? description : error);
    json_builder_end_object(builder);
    root = json_builder_get_root(builder);
    return take_string(json_to_string(root, FALSE));
}

GBytes *fs_reply_player_error_body(guint status, const char *message, const char *reason)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    g_autoptr(JsonGenerator) generator = json_generator_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "error");
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "status");
    json_builder_add_int_value(builder, status);
    json_builder_set_member_name(builder, "message");
    json_builder_add_string_value(builder, message);
    if (reason != NULL) {
        json_builder_set_member_name(builder, "reason");
        json_builder_add_string_value(builder, reason);
    }
    json_builder_end_object(builder);
    json_builder_end_object(builder);
    root = json_builder_get_root(builder);
    /* Spotify pretty-prints its player errors (with " : "), as json-glib does. */
    json_generator_set_pretty(generator, TRUE);
    json_generator_set_indent(generator, 2);
    json_generator_set_root(generator, root);
    return take_string(json_generator_to_data(generator, NULL));
}
