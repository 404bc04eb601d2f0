/* mpris-metadata.c — the snapshot mapped onto MPRIS's vocabulary. */
#define G_LOG_DOMAIN "spotnow-mpris"

#include "mpris-metadata.h"

#include <glib/gi18n.h>

static gboolean is_item(const SpnSnapshot *snapshot)
{
    return g_str_equal(snapshot->item_type, "track") || g_str_equal(snapshot->item_type, "episode");
}

static gint64 ms_to_us(gint64 ms)
{
    return CLAMP(ms, 0, G_MAXINT64 / 1000) * 1000;
}

const char *spn_mpris_playback_status(const SpnSnapshot *snapshot)
{
    if (g_str_equal(snapshot->item_type, "none"))
        return "Stopped";
    return snapshot->is_playing ? "Playing" : "Paused";
}

/* An object path element allows only [A-Za-z0-9_]; Spotify's base62 ids pass unchanged. */
static char *path_element(const char *id)
{
    GString *element = g_string_sized_new(strlen(id));
    for (const char *c = id; *c != '\0'; c++)
        g_string_append_c(element, g_ascii_isalnum(*c) ? *c : '_');
    return g_string_free(element, FALSE);
}

char *spn_mpris_track_id(const SpnSnapshot *snapshot)
{
    if (!is_item(snapshot))
        return g_strdup(SPN_MPRIS_NO_TRACK);
    if (snapshot->track_id != NULL && snapshot->track_id[0] != '\0') {
        g_autofree char *element = path_element(snapshot->track_id);
        return g_strconcat(SPN_MPRIS_TRACK_ID_PREFIX, snapshot->item_type, "/", element, NULL);
    }
    /* A local file has no id: a digest of what names it is stable across polls and differs
     * between files, which is all a trackid must do. */
    g_autofree char *what =
        g_strjoin("\n", snapshot->artist_name, snapshot->album_name, snapshot->track_name, NULL);
    g_autofree char *digest = g_compute_checksum_for_string(G_CHECKSUM_SHA1, what, -1);
    return g_strconcat(SPN_MPRIS_TRACK_ID_PREFIX "local/", digest, NULL);
}

/* GNOME Shell loads artUrl as a file, so the cached copy wins; a path that cannot be a URI
 * (relative) falls back to Spotify's URL rather than to nothing. */
static char *art_url(const SpnSnapshot *snapshot)
{
    if (snapshot->album_art_file != NULL && g_path_is_absolute(snapshot->album_art_file)) {
        char *uri = g_filename_to_uri(snapshot->album_art_file, NULL, NULL);
        if (uri != NULL)
            return uri;
    }
    return snapshot->album_art[0] != '\0' ? g_strdup(snapshot->album_art) : NULL;
}

static void add_string(GVariantDict *dict, const char *key, const char *value)
{
    if (value != NULL && value[0] != '\0')
        g_variant_dict_insert(dict, key, "s", value);
}

GVariant *spn_mpris_metadata(const SpnSnapshot *snapshot)
{
    GVariantDict dict;
    g_variant_dict_init(&dict, NULL);
    g_autofree char *track_id = spn_mpris_track_id(snapshot);
    g_variant_dict_insert(&dict, "mpris:trackid", "o", track_id);

    if (g_str_equal(snapshot->item_type, "ad")) {
        add_string(&dict, "xesam:title", _("Advertisement"));
        return g_variant_dict_end(&dict);
    }
    if (!is_item(snapshot))
        return g_variant_dict_end(&dict);

    if (snapshot->duration_ms > 0)
        g_variant_dict_insert(&dict, "mpris:length", "x", ms_to_us(snapshot->duration_ms));
    add_string(&dict, "xesam:title", snapshot->track_name);
    /* Spotify's artists arrive joined with ", ", and splitting them again would break names
     * like "Tyler, The Creator": one element is the honest array. */
    if (snapshot->artist_name[0] != '\0') {
        const char *artists[] = {snapshot->artist_name, NULL};
        g_variant_dict_insert_value(&dict, "xesam:artist", g_variant_new_strv(artists, -1));
    }
    add_string(&dict, "xesam:album", snapshot->album_name);
    g_autofree char *art = art_url(snapshot);
    add_string(&dict, "mpris:artUrl", art);
    add_string(&dict, "xesam:url", snapshot->track_url);
    return g_variant_dict_end(&dict);
}

gint64 spn_mpris_position_us(const SpnSnapshot *snapshot, gint64 now_ms)
{
    if (g_str_equal(snapshot->item_type, "none"))
        return 0;
    return ms_to_us(spn_snapshot_predicted_progress(snapshot, now_ms));
}
