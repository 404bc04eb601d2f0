/* render-panels.c — waybar's and i3blocks' outputs, and what a panel shows when the daemon is
 * gone. Pure, like the rest of render.h. */
#define G_LOG_DOMAIN "spotnow-render"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "render-private.h"
#include "render.h"
#include "spn-snapshot.h"

/* Panel text stays short; the full line goes to the tooltip. */
#define PANEL_TEXT_CHARS 40
#define PANEL_SHORT_CHARS 25

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
            return spn_render_is_ad(snapshot) ? "ad" : "paused";
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
    if (state != SPN_STATE_STOPPED && spn_render_is_ad(snapshot)) {
        return g_strdup(_("Advertisement"));
    }
    if (state == SPN_STATE_STOPPED || spn_render_get_str(snapshot, SPN_KEY_TRACK_NAME)[0] == '\0') {
        return g_strdup("");
    }
    return shorten_artist_title(spn_render_get_str(snapshot, SPN_KEY_ARTIST_NAME),
                                spn_render_get_str(snapshot, SPN_KEY_TRACK_NAME), max_chars);
}

char *spn_render_waybar(GVariant *snapshot, GVariant *status, const char *text, gint64 now_ms)
{
    g_autofree char *short_text = panel_text(snapshot, PANEL_TEXT_CHARS);
    g_autofree char *escaped_text = text == NULL ? g_markup_escape_text(short_text, -1) : NULL;
    g_autofree char *line = spn_render_line(snapshot, now_ms, TRUE, FALSE);
    g_autoptr(GString) tooltip = g_string_new(line);
    const char *album = spn_render_get_str(snapshot, SPN_KEY_ALBUM_NAME);
    if (album[0] != '\0' && spn_render_state(snapshot) != SPN_STATE_STOPPED &&
        !spn_render_is_ad(snapshot)) {
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
    gint64 duration =
        spn_render_is_ad(snapshot) ? 0 : spn_render_get_int(snapshot, SPN_KEY_DURATION_MS);
    gint64 percentage =
        duration > 0 ? spn_render_position_ms(snapshot, now_ms) * 100 / duration : 0;

    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "text");
    json_builder_add_string_value(builder, text != NULL ? text : escaped_text);
    json_builder_set_member_name(builder, "alt");
    json_builder_add_string_value(
        builder, spn_render_state(snapshot) != SPN_STATE_STOPPED && spn_render_is_ad(snapshot)
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
    return spn_render_node_to_json(root);
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
char *spn_render_i3blocks_persist(GVariant *snapshot, GVariant *status, gint64 now_ms)
{
    g_autofree char *short_text = panel_text(snapshot, PANEL_TEXT_CHARS);
    if (short_text[0] == '\0') {
        return spn_render_line(snapshot, now_ms, FALSE, FALSE);
    }
    gboolean playing =
        spn_render_state(snapshot) == SPN_STATE_PLAYING || spn_render_is_ad(snapshot);
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
            return spn_render_node_to_json(root);
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
            return spn_render_node_to_json(root);
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
