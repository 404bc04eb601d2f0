/* render.c — the snapshot as the human line, JSON, template variables and the panels' formats.
 * Pure: everything comes in as arguments, so every output is unit-tested without a bus. */
#define G_LOG_DOMAIN "spotnow-render"

#include "render.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "mpris-metadata.h"
#include "snapshot.h"

#define GLYPH_PLAYING "▶"
#define GLYPH_PAUSED "⏸"

#define ANSI_BOLD "\033[1m"
#define ANSI_DIM "\033[2m"
#define ANSI_GREEN "\033[32m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_RED "\033[31m"
#define ANSI_RESET "\033[0m"

/* Panel text stays short; the full line goes to the tooltip. */
#define PANEL_TEXT_CHARS 40
#define PANEL_SHORT_CHARS 25

/* The snapshot's keys in DESIGN.md's order, so JSON output is stable whatever the daemon's. */
static const char *const snapshot_keys[] = {
    SPN_KEY_IS_PLAYING, SPN_KEY_TRACK_NAME,     SPN_KEY_ARTIST_NAME, SPN_KEY_ALBUM_NAME,
    SPN_KEY_ALBUM_ART,  SPN_KEY_ALBUM_ART_FILE, SPN_KEY_TRACK_URL,   SPN_KEY_TRACK_ID,
    SPN_KEY_ITEM_TYPE,  SPN_KEY_PROGRESS_MS,    SPN_KEY_DURATION_MS, SPN_KEY_FETCHED_AT,
};

/* Borrowed from @dict; "" when absent or of another type. */
static const char *get_str(GVariant *dict, const char *key)
{
    const char *value = NULL;
    if (dict == NULL || !g_variant_lookup(dict, key, "&s", &value)) {
        return "";
    }
    return value;
}

static gboolean has_str(GVariant *dict, const char *key)
{
    const char *value = NULL;
    return dict != NULL && g_variant_lookup(dict, key, "&s", &value);
}

static gint64 get_int(GVariant *dict, const char *key)
{
    gint64 value = 0;
    if (dict == NULL || !g_variant_lookup(dict, key, "x", &value)) {
        return 0;
    }
    return value;
}

static gboolean get_bool(GVariant *dict, const char *key)
{
    gboolean value = FALSE;
    if (dict == NULL || !g_variant_lookup(dict, key, "b", &value)) {
        return FALSE;
    }
    return value;
}

static gboolean is_ad(GVariant *snapshot)
{
    return g_str_equal(get_str(snapshot, SPN_KEY_ITEM_TYPE), "ad");
}

SpnState spn_render_state(GVariant *snapshot)
{
    const char *item_type = get_str(snapshot, SPN_KEY_ITEM_TYPE);
    if (item_type[0] == '\0' || g_str_equal(item_type, "none")) {
        return SPN_STATE_STOPPED;
    }
    return get_bool(snapshot, SPN_KEY_IS_PLAYING) ? SPN_STATE_PLAYING : SPN_STATE_PAUSED;
}

const char *spn_render_state_name(SpnState state)
{
    switch (state) {
        case SPN_STATE_PLAYING:
            return "Playing";
        case SPN_STATE_PAUSED:
            return "Paused";
        case SPN_STATE_STOPPED:
        default:
            return "Stopped";
    }
}

gint64 spn_render_position_ms(GVariant *snapshot, gint64 now_ms)
{
    gint64 progress = get_int(snapshot, SPN_KEY_PROGRESS_MS);
    if (!get_bool(snapshot, SPN_KEY_IS_PLAYING)) {
        return progress;
    }
    /* A clock that stepped back must not rewind the position. */
    gint64 elapsed = MAX(0, now_ms - get_int(snapshot, SPN_KEY_FETCHED_AT));
    return MIN(get_int(snapshot, SPN_KEY_DURATION_MS), progress + elapsed);
}

gboolean spn_render_is_signed_out(GVariant *status)
{
    const char *auth = get_str(status, "authState");
    return g_str_equal(auth, "signed-out") || g_str_equal(auth, "revoked");
}

/* The trackid our MPRIS player shows (daemon/mpris-metadata.c, spn_mpris_track_id), so
 * "{{ mpris:trackid }}" prints what playerctl prints for the same player. */
static char *mpris_track_id(GVariant *snapshot)
{
    const char *type = get_str(snapshot, SPN_KEY_ITEM_TYPE);
    if (!g_str_equal(type, "track") && !g_str_equal(type, "episode")) {
        return g_strdup(SPN_MPRIS_NO_TRACK);
    }
    const char *id = get_str(snapshot, SPN_KEY_TRACK_ID);
    if (id[0] != '\0') {
        GString *path = g_string_new(SPN_MPRIS_TRACK_ID_PREFIX);
        g_string_append_printf(path, "%s/", type);
        for (const char *c = id; *c != '\0'; c++) {
            g_string_append_c(path, g_ascii_isalnum(*c) ? *c : '_');
        }
        return g_string_free(path, FALSE);
    }
    g_autofree char *what = g_strjoin("\n", get_str(snapshot, SPN_KEY_ARTIST_NAME),
                                      get_str(snapshot, SPN_KEY_ALBUM_NAME),
                                      get_str(snapshot, SPN_KEY_TRACK_NAME), NULL);
    g_autofree char *digest = g_compute_checksum_for_string(G_CHECKSUM_SHA1, what, -1);
    return g_strconcat(SPN_MPRIS_TRACK_ID_PREFIX "local/", digest, NULL);
}

GVariant *spn_render_variables(GVariant *snapshot, gint64 now_ms)
{
    g_auto(GVariantDict) dict;
    g_variant_dict_init(&dict, snapshot);

    const char *title = get_str(snapshot, SPN_KEY_TRACK_NAME);
    const char *artist = get_str(snapshot, SPN_KEY_ARTIST_NAME);
    const char *album = get_str(snapshot, SPN_KEY_ALBUM_NAME);
    g_variant_dict_insert(&dict, "title", "s", title);
    g_variant_dict_insert(&dict, "xesam:title", "s", title);
    g_variant_dict_insert(&dict, "artist", "s", artist);
    g_variant_dict_insert(&dict, "xesam:artist", "s", artist);
    g_variant_dict_insert(&dict, "album", "s", album);
    g_variant_dict_insert(&dict, "xesam:album", "s", album);
    if (has_str(snapshot, SPN_KEY_TRACK_URL)) {
        g_variant_dict_insert(&dict, "xesam:url", "s", get_str(snapshot, SPN_KEY_TRACK_URL));
    }

    /* GNOME and notification daemons load a local file more reliably than a remote URL. */
    g_autofree char *art_uri = NULL;
    const char *art_file = get_str(snapshot, SPN_KEY_ALBUM_ART_FILE);
    if (art_file[0] != '\0') {
        art_uri = g_filename_to_uri(art_file, NULL, NULL);
    }
    if (art_uri == NULL && get_str(snapshot, SPN_KEY_ALBUM_ART)[0] != '\0') {
        art_uri = g_strdup(get_str(snapshot, SPN_KEY_ALBUM_ART));
    }
    if (art_uri != NULL) {
        g_variant_dict_insert(&dict, "mpris:artUrl", "s", art_uri);
    }

    g_variant_dict_insert(&dict, "mpris:length", "x",
                          get_int(snapshot, SPN_KEY_DURATION_MS) * 1000);
    g_autofree char *track_id = mpris_track_id(snapshot);
    g_variant_dict_insert(&dict, "mpris:trackid", "s", track_id);
    g_variant_dict_insert(&dict, "position", "x", spn_render_position_ms(snapshot, now_ms) * 1000);
    g_variant_dict_insert(&dict, "status", "s", spn_render_state_name(spn_render_state(snapshot)));
    g_variant_dict_insert(&dict, "playerName", "s", "spotnow");
    g_variant_dict_insert(&dict, "playerInstance", "s", "spotnow");
    /* What the MPRIS player says: the Web API's volume is the device's, not ours to show. */
    g_variant_dict_insert(&dict, "volume", "d", 1.0);
    return g_variant_ref_sink(g_variant_dict_end(&dict));
}

static char *format_ms(gint64 ms)
{
    return spn_template_format_duration(ms * 1000);
}

/* "Artist — Title", or "Title" alone when the artist is unknown. */
static void append_artist_title(GString *out, GVariant *snapshot, gboolean colour)
{
    const char *artist = get_str(snapshot, SPN_KEY_ARTIST_NAME);
    if (artist[0] != '\0') {
        g_string_append_printf(out, "%s — ", artist);
    }
    g_string_append_printf(out, "%s%s%s", colour ? ANSI_BOLD : "",
                           get_str(snapshot, SPN_KEY_TRACK_NAME), colour ? ANSI_RESET : "");
}

static void append_dim(GString *out, const char *text, gboolean colour)
{
    g_string_append_printf(out, " %s%s%s", colour ? ANSI_DIM : "", text, colour ? ANSI_RESET : "");
}

static void append_glyph(GString *out, const char *glyph, const char *ansi, gboolean colour)
{
    g_string_append_printf(out, "%s%s%s ", colour ? ansi : "", glyph, colour ? ANSI_RESET : "");
}

char *spn_render_line(GVariant *snapshot, gint64 now_ms, gboolean with_progress, gboolean colour)
{
    SpnState state = spn_render_state(snapshot);
    gboolean known = get_str(snapshot, SPN_KEY_TRACK_NAME)[0] != '\0';
    g_autoptr(GString) out = g_string_new(NULL);

    /* An ad keeps the last track's metadata (isPlaying false); say what is on, then that. */
    if (state != SPN_STATE_STOPPED && is_ad(snapshot)) {
        append_glyph(out, GLYPH_PLAYING, ANSI_GREEN, colour);
        g_string_append(out, _("Advertisement"));
        if (known) {
            g_autoptr(GString) last = g_string_new(NULL);
            append_artist_title(last, snapshot, FALSE);
            g_autofree char *note = g_strdup_printf(_("(last played: %s)"), last->str);
            append_dim(out, note, colour);
        }
        return g_string_free(g_steal_pointer(&out), FALSE);
    }
    if (state == SPN_STATE_STOPPED || !known) {
        return g_strdup(_("Nothing played yet"));
    }

    if (state == SPN_STATE_PAUSED) {
        append_glyph(out, GLYPH_PAUSED, ANSI_YELLOW, colour);
        append_artist_title(out, snapshot, colour);
        g_autofree char *note = g_strdup_printf("(%s)", _("last played"));
        append_dim(out, note, colour);
        return g_string_free(g_steal_pointer(&out), FALSE);
    }

    append_glyph(out, GLYPH_PLAYING, ANSI_GREEN, colour);
    append_artist_title(out, snapshot, colour);
    if (with_progress) {
        gint64 duration = get_int(snapshot, SPN_KEY_DURATION_MS);
        g_autofree char *position = format_ms(spn_render_position_ms(snapshot, now_ms));
        g_autofree char *length = duration > 0 ? format_ms(duration) : NULL;
        g_autofree char *progress = length != NULL ? g_strdup_printf("(%s/%s)", position, length)
                                                   : g_strdup_printf("(%s)", position);
        append_dim(out, progress, colour);
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static JsonNode *variant_to_json(GVariant *value)
{
    JsonNode *node = json_node_alloc();
    switch (g_variant_classify(value)) {
        case G_VARIANT_CLASS_BOOLEAN:
            return json_node_init_boolean(node, g_variant_get_boolean(value));
        case G_VARIANT_CLASS_BYTE:
            return json_node_init_int(node, g_variant_get_byte(value));
        case G_VARIANT_CLASS_INT16:
            return json_node_init_int(node, g_variant_get_int16(value));
        case G_VARIANT_CLASS_UINT16:
            return json_node_init_int(node, g_variant_get_uint16(value));
        case G_VARIANT_CLASS_INT32:
            return json_node_init_int(node, g_variant_get_int32(value));
        case G_VARIANT_CLASS_UINT32:
            return json_node_init_int(node, g_variant_get_uint32(value));
        case G_VARIANT_CLASS_INT64:
            return json_node_init_int(node, g_variant_get_int64(value));
        case G_VARIANT_CLASS_UINT64: {
            guint64 u = g_variant_get_uint64(value);
            return u <= G_MAXINT64 ? json_node_init_int(node, (gint64)u)
                                   : json_node_init_double(node, (double)u);
        }
        case G_VARIANT_CLASS_DOUBLE:
            return json_node_init_double(node, g_variant_get_double(value));
        case G_VARIANT_CLASS_STRING:
        case G_VARIANT_CLASS_OBJECT_PATH:
        case G_VARIANT_CLASS_SIGNATURE:
            return json_node_init_string(node, g_variant_get_string(value, NULL));
        default:
            /* Containers a newer daemon might add: json-glib's own mapping. */
            json_node_unref(node);
            return json_gvariant_serialize(value);
    }
}

static gboolean is_snapshot_key(const char *key)
{
    for (gsize i = 0; i < G_N_ELEMENTS(snapshot_keys); i++) {
        if (g_str_equal(snapshot_keys[i], key)) {
            return TRUE;
        }
    }
    return FALSE;
}

static char *node_to_json(JsonNode *root)
{
    g_autoptr(JsonGenerator) generator = json_generator_new();
    json_generator_set_root(generator, root);
    return json_generator_to_data(generator, NULL);
}

char *spn_render_json(GVariant *dict)
{
    g_return_val_if_fail(g_variant_is_of_type(dict, G_VARIANT_TYPE_VARDICT), NULL);

    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    for (gsize i = 0; i < G_N_ELEMENTS(snapshot_keys); i++) {
        g_autoptr(GVariant) value = g_variant_lookup_value(dict, snapshot_keys[i], NULL);
        if (value != NULL) {
            json_builder_set_member_name(builder, snapshot_keys[i]);
            json_builder_add_value(builder, variant_to_json(value));
        }
    }
    GVariantIter iter;
    const char *key;
    GVariant *value;
    g_variant_iter_init(&iter, dict);
    while (g_variant_iter_loop(&iter, "{&sv}", &key, &value)) {
        if (!is_snapshot_key(key)) {
            json_builder_set_member_name(builder, key);
            json_builder_add_value(builder, variant_to_json(value));
        }
    }
    json_builder_end_object(builder);
    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    return node_to_json(root);
}

static const char *panel_class(GVariant *snapshot, GVariant *status, gint64 now_ms)
{
    if (spn_render_is_signed_out(status)) {
        return "signed-out";
    }
    if (spn_render_hold(status, now_ms) != SPN_HOLD_NONE) {
        return "stale";
    }
    switch (spn_render_state(snapshot)) {
        case SPN_STATE_PLAYING:
            return "playing";
        case SPN_STATE_PAUSED:
            /* The line says "▶ Advertisement": the class does not contradict it. */
            return is_ad(snapshot) ? "ad" : "paused";
        case SPN_STATE_STOPPED:
        default:
            return "stopped";
    }
}

/* "Artist — Title" in at most @max_chars characters plus an ellipsis. The title is what a
 * person looks for, so the artist gives way first, then the title is cut. */
static char *shorten_artist_title(const char *artist, const char *title, glong max_chars)
{
    glong title_chars = g_utf8_strlen(title, -1);
    glong artist_chars = g_utf8_strlen(artist, -1);
    const glong separator = 3; /* " — " */
    if (artist_chars == 0) {
        return spn_template_truncate(title, max_chars);
    }
    if (artist_chars + separator + title_chars <= max_chars + 1) {
        return g_strconcat(artist, " — ", title, NULL);
    }
    glong artist_room = max_chars - separator - title_chars; /* its ellipsis takes the "+ 1" */
    if (artist_room >= 3) {
        /* "The Testers…", not "The Testers,…": a cut between two artists drops the comma. */
        g_autofree char *cut = g_utf8_substring(artist, 0, artist_room);
        gsize len = strlen(cut);
        while (len > 0 && (cut[len - 1] == ' ' || cut[len - 1] == ',')) {
            cut[--len] = '\0';
        }
        return g_strconcat(cut, "… — ", title, NULL);
    }
    return spn_template_truncate(title, max_chars);
}

/* The default panel text: "Artist — Title" cut to @max_chars; "" before anything was seen so a
 * panel can hide the module. */
static char *panel_text(GVariant *snapshot, glong max_chars)
{
    SpnState state = spn_render_state(snapshot);
    if (state != SPN_STATE_STOPPED && is_ad(snapshot)) {
        return g_strdup(_("Advertisement"));
    }
    if (state == SPN_STATE_STOPPED || get_str(snapshot, SPN_KEY_TRACK_NAME)[0] == '\0') {
        return g_strdup("");
    }
    return shorten_artist_title(get_str(snapshot, SPN_KEY_ARTIST_NAME),
                                get_str(snapshot, SPN_KEY_TRACK_NAME), max_chars);
}

char *spn_render_waybar(GVariant *snapshot, GVariant *status, const char *text, gint64 now_ms)
{
    g_autofree char *short_text = panel_text(snapshot, PANEL_TEXT_CHARS);
    g_autofree char *escaped_text = text == NULL ? g_markup_escape_text(short_text, -1) : NULL;
    g_autofree char *line = spn_render_line(snapshot, now_ms, TRUE, FALSE);
    g_autoptr(GString) tooltip = g_string_new(line);
    const char *album = get_str(snapshot, SPN_KEY_ALBUM_NAME);
    if (album[0] != '\0' && spn_render_state(snapshot) != SPN_STATE_STOPPED && !is_ad(snapshot)) {
        g_string_append_printf(tooltip, "\n%s", album);
    }
    if (spn_render_is_signed_out(status)) {
        g_string_append_printf(tooltip, "\n%s", _("Signed out of Spotify"));
    }
    g_autofree char *notice = spn_render_notice(status, now_ms);
    if (notice != NULL) {
        g_string_append_printf(tooltip, "\n%s", notice);
    }
    g_autofree char *escaped_tooltip = g_markup_escape_text(tooltip->str, -1);
    const char *css_class = panel_class(snapshot, status, now_ms);

    /* During an ad the snapshot keeps the last item's progress, which is not the ad's. */
    gint64 duration = is_ad(snapshot) ? 0 : get_int(snapshot, SPN_KEY_DURATION_MS);
    gint64 percentage =
        duration > 0 ? spn_render_position_ms(snapshot, now_ms) * 100 / duration : 0;

    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "text");
    json_builder_add_string_value(builder, text != NULL ? text : escaped_text);
    json_builder_set_member_name(builder, "alt");
    json_builder_add_string_value(builder,
                                  spn_render_state(snapshot) != SPN_STATE_STOPPED && is_ad(snapshot)
                                      ? "ad"
                                      : panel_class(snapshot, NULL, now_ms));
    json_builder_set_member_name(builder, "tooltip");
    json_builder_add_string_value(builder, escaped_tooltip);
    json_builder_set_member_name(builder, "class");
    json_builder_add_string_value(builder, css_class);
    json_builder_set_member_name(builder, "percentage");
    json_builder_add_int_value(builder, CLAMP(percentage, 0, 100));
    json_builder_end_object(builder);
    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    return node_to_json(root);
}

static const char *i3blocks_colour(const char *css_class)
{
    if (g_str_equal(css_class, "playing") || g_str_equal(css_class, "ad")) {
        return "#1DB954";
    }
    if (g_str_equal(css_class, "signed-out")) {
        return "#E5534B";
    }
    if (g_str_equal(css_class, "stale")) {
        return "#E5A50A";
    }
    return g_str_equal(css_class, "paused") ? "#A0A0A0" : "#808080";
}

/* " (signed out)", " (not updated)" or "": i3blocks' persist mode shows no colour. */
static const char *i3blocks_mark(GVariant *status, gint64 now_ms)
{
    if (spn_render_is_signed_out(status)) {
        return _(" (signed out)");
    }
    return spn_render_hold(status, now_ms) != SPN_HOLD_NONE ? _(" (not updated)") : "";
}

/* The persist line: glyph, the shortened "Artist — Title" and the mark, or the template. */
static char *i3blocks_persist_line(GVariant *snapshot, GVariant *status, gint64 now_ms)
{
    g_autofree char *short_text = panel_text(snapshot, PANEL_TEXT_CHARS);
    if (short_text[0] == '\0') {
        return spn_render_line(snapshot, now_ms, FALSE, FALSE);
    }
    gboolean playing = spn_render_state(snapshot) == SPN_STATE_PLAYING || is_ad(snapshot);
    g_autofree char *escaped = g_markup_escape_text(short_text, -1);
    return g_strdup_printf("%s %s%s", playing ? GLYPH_PLAYING : GLYPH_PAUSED, escaped,
                           i3blocks_mark(status, now_ms));
}

/* Names from Spotify are escaped: with markup=pango a title such as "<span size='99999'>"
 * would restyle the bar. A template's text is used as is (markup_escape() is there for it). */
char *spn_render_i3blocks(GVariant *snapshot, GVariant *status, const char *text, gint64 now_ms)
{
    g_autofree char *line = NULL;
    if (text == NULL) {
        g_autofree char *plain = spn_render_line(snapshot, now_ms, TRUE, FALSE);
        g_autofree char *marked = g_strconcat(plain, i3blocks_mark(status, now_ms), NULL);
        line = g_markup_escape_text(marked, -1);
    }
    const char *full = text != NULL ? text : line;
    g_autofree char *short_text = panel_text(snapshot, PANEL_SHORT_CHARS);
    g_autofree char *short_escaped = g_markup_escape_text(short_text, -1);
    return g_strdup_printf("%s\n%s\n%s", full, short_text[0] != '\0' ? short_escaped : full,
                           i3blocks_colour(panel_class(snapshot, status, now_ms)));
}

char *spn_render_output(const SpnOutput *output, GVariant *snapshot, GVariant *status,
                        gint64 now_ms, GError **error)
{
    g_autoptr(GVariant) effective = spn_render_effective_snapshot(snapshot, status, now_ms);
    g_autoptr(GVariant) clean_snapshot = spn_render_clean_dict(effective);
    g_autoptr(GVariant) clean_status = spn_render_clean_dict(status);
    snapshot = clean_snapshot;
    status = clean_status;
    g_autofree char *text = NULL;
    if (output->tmpl != NULL && output->mode != SPN_OUTPUT_LINE &&
        output->mode != SPN_OUTPUT_JSON) {
        g_autoptr(GVariant) variables = spn_render_variables(snapshot, now_ms);
        text = spn_template_render_dict(output->tmpl, variables, error);
        if (text == NULL) {
            return NULL;
        }
    }

    switch (output->mode) {
        case SPN_OUTPUT_JSON:
            return spn_render_json(snapshot);
        case SPN_OUTPUT_TEMPLATE:
            g_return_val_if_fail(text != NULL, NULL);
            return g_steal_pointer(&text);
        case SPN_OUTPUT_WAYBAR:
            return spn_render_waybar(snapshot, status, text, now_ms);
        case SPN_OUTPUT_I3BLOCKS:
            if (output->follow) {
                return text != NULL ? g_steal_pointer(&text)
                                    : i3blocks_persist_line(snapshot, status, now_ms);
            }
            return spn_render_i3blocks(snapshot, status, text, now_ms);
        case SPN_OUTPUT_LINE:
        default:
            return spn_render_line(snapshot, now_ms, !output->follow, output->colour);
    }
}

char *spn_render_not_running(const SpnOutput *output, const char *failure)
{
    const char *line =
        failure != NULL ? _("spotnowd failed to start") : _("spotnowd is not running");
    switch (output->mode) {
        case SPN_OUTPUT_JSON: {
            g_autoptr(JsonBuilder) builder = json_builder_new();
            json_builder_begin_object(builder);
            json_builder_set_member_name(builder, SPN_KEY_IS_PLAYING);
            json_builder_add_boolean_value(builder, FALSE);
            json_builder_set_member_name(builder, SPN_KEY_ITEM_TYPE);
            json_builder_add_string_value(builder, "none");
            json_builder_set_member_name(builder, "daemonRunning");
            json_builder_add_boolean_value(builder, FALSE);
            json_builder_end_object(builder);
            g_autoptr(JsonNode) root = json_builder_get_root(builder);
            return node_to_json(root);
        }
        case SPN_OUTPUT_WAYBAR: {
            g_autofree char *text = g_markup_escape_text(line, -1);
            g_autofree char *clean = spn_render_clean_text(failure);
            g_autofree char *why =
                failure == NULL
                    ? g_strdup(_("spotnowd is not running; this module follows it again once it "
                                 "starts."))
                    : g_strdup_printf(_("spotnowd failed to start: %s\nThis module follows it "
                                        "once it starts."),
                                      clean[0] != '\0' ? clean : _("see its log"));
            g_autofree char *tooltip = g_markup_escape_text(why, -1);
            g_autoptr(JsonBuilder) builder = json_builder_new();
            json_builder_begin_object(builder);
            json_builder_set_member_name(builder, "text");
            json_builder_add_string_value(builder, text);
            json_builder_set_member_name(builder, "alt");
            json_builder_add_string_value(builder, "not-running");
            json_builder_set_member_name(builder, "tooltip");
            json_builder_add_string_value(builder, tooltip);
            json_builder_set_member_name(builder, "class");
            json_builder_add_string_value(builder, "not-running");
            json_builder_set_member_name(builder, "percentage");
            json_builder_add_int_value(builder, 0);
            json_builder_end_object(builder);
            g_autoptr(JsonNode) root = json_builder_get_root(builder);
            return node_to_json(root);
        }
        case SPN_OUTPUT_I3BLOCKS:
            if (!output->follow) {
                return g_strdup_printf("%s\n%s\n%s", line, line, "#808080");
            }
            return g_strdup(line);
        case SPN_OUTPUT_TEMPLATE:
        case SPN_OUTPUT_LINE:
        default:
            return g_strdup(line);
    }
}

gboolean spn_render_output_ticks(const SpnOutput *output)
{
    gboolean template_ticks =
        output->tmpl != NULL && (spn_template_uses(output->tmpl, "position") ||
                                 spn_template_uses(output->tmpl, SPN_KEY_PROGRESS_MS));
    switch (output->mode) {
        case SPN_OUTPUT_WAYBAR:
            return TRUE;
        case SPN_OUTPUT_TEMPLATE:
        case SPN_OUTPUT_I3BLOCKS:
            return template_ticks;
        case SPN_OUTPUT_LINE:
        case SPN_OUTPUT_JSON:
        default:
            return FALSE;
    }
}

gboolean spn_render_want_colour(int fd)
{
    const char *no_colour = g_getenv("NO_COLOR");
    if (no_colour != NULL && no_colour[0] != '\0') {
        return FALSE;
    }
    return isatty(fd) == 1;
}
