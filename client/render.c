/* render.c — the snapshot as the human line, JSON and template variables, and the choice of
 * output (the panels' formats are in render-panels.c). Pure: everything comes in as arguments,
 * so every output is unit-tested without a bus. */
#define G_LOG_DOMAIN "spotnow-render"

#include "render.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "mpris-metadata.h"
#include "render-private.h"
#include "spn-snapshot.h"

#define ANSI_BOLD "\033[1m"
#define ANSI_DIM "\033[2m"
#define ANSI_GREEN "\033[32m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_RED "\033[31m"
#define ANSI_RESET "\033[0m"

/* The snapshot's keys in doc/design.md's order, so JSON output is stable whatever the daemon's. */
static const char *const snapshot_keys[] = {
    SPN_KEY_IS_PLAYING, SPN_KEY_TRACK_NAME,     SPN_KEY_ARTIST_NAME, SPN_KEY_ALBUM_NAME,
    SPN_KEY_ALBUM_ART,  SPN_KEY_ALBUM_ART_FILE, SPN_KEY_TRACK_URL,   SPN_KEY_TRACK_ID,
    SPN_KEY_ITEM_TYPE,  SPN_KEY_PROGRESS_MS,    SPN_KEY_DURATION_MS, SPN_KEY_FETCHED_AT,
};

/* Borrowed from @dict; "" when absent or of another type. */
const char *spn_render_get_str(GVariant *dict, const char *key)
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

gint64 spn_render_get_int(GVariant *dict, const char *key)
{
    gint64 value = 0;
    return spn_render_lookup_integer(dict, key, &value) ? value : 0;
}

static gboolean get_bool(GVariant *dict, const char *key)
{
    gboolean value = FALSE;
    if (dict == NULL || !g_variant_lookup(dict, key, "b", &value)) {
        return FALSE;
    }
    return value;
}

gboolean spn_render_is_ad(GVariant *snapshot)
{
    return g_str_equal(spn_render_get_str(snapshot, SPN_KEY_ITEM_TYPE), "ad");
}

SpnState spn_render_state(GVariant *snapshot)
{
    const char *item_type = spn_render_get_str(snapshot, SPN_KEY_ITEM_TYPE);
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
    gint64 progress = spn_render_get_int(snapshot, SPN_KEY_PROGRESS_MS);
    if (!get_bool(snapshot, SPN_KEY_IS_PLAYING)) {
        return progress;
    }
    /* A clock that stepped back must not rewind the position. */
    gint64 elapsed = MAX(0, now_ms - spn_render_get_int(snapshot, SPN_KEY_FETCHED_AT));
    return MIN(spn_render_get_int(snapshot, SPN_KEY_DURATION_MS), progress + elapsed);
}

gboolean spn_render_is_signed_out(GVariant *status)
{
    const char *auth = spn_render_get_str(status, "authState");
    return g_str_equal(auth, "signed-out") || g_str_equal(auth, "revoked");
}

/* The trackid our MPRIS player shows (lib/mpris-metadata.c), so "{{ mpris:trackid }}" prints
 * what playerctl prints for the same player. */
static char *mpris_track_id(GVariant *snapshot)
{
    g_autoptr(SpnSnapshot) decoded = spn_snapshot_from_variant(snapshot);
    return spn_mpris_track_id(decoded);
}

GVariant *spn_render_variables(GVariant *snapshot, gint64 now_ms)
{
    g_auto(GVariantDict) dict;
    g_variant_dict_init(&dict, snapshot);

    const char *title = spn_render_get_str(snapshot, SPN_KEY_TRACK_NAME);
    const char *artist = spn_render_get_str(snapshot, SPN_KEY_ARTIST_NAME);
    const char *album = spn_render_get_str(snapshot, SPN_KEY_ALBUM_NAME);
    g_variant_dict_insert(&dict, "title", "s", title);
    g_variant_dict_insert(&dict, "xesam:title", "s", title);
    g_variant_dict_insert(&dict, "artist", "s", artist);
    g_variant_dict_insert(&dict, "xesam:artist", "s", artist);
    g_variant_dict_insert(&dict, "album", "s", album);
    g_variant_dict_insert(&dict, "xesam:album", "s", album);
    if (has_str(snapshot, SPN_KEY_TRACK_URL)) {
        g_variant_dict_insert(&dict, "xesam:url", "s",
                              spn_render_get_str(snapshot, SPN_KEY_TRACK_URL));
    }

    /* GNOME and notification daemons load a local file more reliably than a remote URL. */
    g_autofree char *art_uri = NULL;
    const char *art_file = spn_render_get_str(snapshot, SPN_KEY_ALBUM_ART_FILE);
    if (art_file[0] != '\0') {
        art_uri = g_filename_to_uri(art_file, NULL, NULL);
    }
    if (art_uri == NULL && spn_render_get_str(snapshot, SPN_KEY_ALBUM_ART)[0] != '\0') {
        art_uri = g_strdup(spn_render_get_str(snapshot, SPN_KEY_ALBUM_ART));
    }
    if (art_uri != NULL) {
        g_variant_dict_insert(&dict, "mpris:artUrl", "s", art_uri);
    }

    g_variant_dict_insert(&dict, "mpris:length", "x",
                          spn_render_get_int(snapshot, SPN_KEY_DURATION_MS) * 1000);
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
void spn_render_append_artist_title(GString *out, GVariant *snapshot, gboolean colour)
{
    const char *artist = spn_render_get_str(snapshot, SPN_KEY_ARTIST_NAME);
    if (artist[0] != '\0') {
        g_string_append_printf(out, "%s — ", artist);
    }
    g_string_append_printf(out, "%s%s%s", colour ? ANSI_BOLD : "",
                           spn_render_get_str(snapshot, SPN_KEY_TRACK_NAME),
                           colour ? ANSI_RESET : "");
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
    gboolean known = spn_render_get_str(snapshot, SPN_KEY_TRACK_NAME)[0] != '\0';
    g_autoptr(GString) out = g_string_new(NULL);

    /* An ad keeps the last track's metadata (isPlaying false); say what is on, then that. */
    if (state != SPN_STATE_STOPPED && spn_render_is_ad(snapshot)) {
        append_glyph(out, GLYPH_PLAYING, ANSI_GREEN, colour);
        g_string_append(out, _("Advertisement"));
        if (known) {
            g_autoptr(GString) last = g_string_new(NULL);
            spn_render_append_artist_title(last, snapshot, FALSE);
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
        spn_render_append_artist_title(out, snapshot, colour);
        g_autofree char *note = g_strdup_printf("(%s)", _("last played"));
        append_dim(out, note, colour);
        return g_string_free(g_steal_pointer(&out), FALSE);
    }

    append_glyph(out, GLYPH_PLAYING, ANSI_GREEN, colour);
    spn_render_append_artist_title(out, snapshot, colour);
    if (with_progress) {
        gint64 duration = spn_render_get_int(snapshot, SPN_KEY_DURATION_MS);
        g_autofree char *position = format_ms(spn_render_position_ms(snapshot, now_ms));
        g_autofree char *length = duration > 0 ? format_ms(duration) : NULL;
        g_autofree char *progress = length != NULL ? g_strdup_printf("(%s/%s)", position, length)
                                                   : g_strdup_printf("(%s)", position);
        append_dim(out, progress, colour);
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* Each value as json-glib maps a GVariant (booleans, numbers, strings, containers); only the
 * order of the members is ours. */
static JsonNode *variant_to_json(GVariant *value)
{
    return json_gvariant_serialize(value);
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

char *spn_render_node_to_json(JsonNode *root)
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
    return spn_render_node_to_json(root);
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
                                    : spn_render_i3blocks_persist(snapshot, status, now_ms);
            }
            return spn_render_i3blocks(snapshot, status, text, now_ms);
        case SPN_OUTPUT_LINE:
        default:
            return spn_render_line(snapshot, now_ms, !output->follow, output->colour);
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
