/* spn-snapshot.c — the snapshot type, its a{sv}, the one sanitiser, predicted progress. */
#define G_LOG_DOMAIN "spotnow-snapshot"

#include "spn-snapshot.h"

#include "spn-text.h"

/* Caps every duration so callers can add "now" to it without overflowing (~285,000 years). */
#define MAX_MS (G_GINT64_CONSTANT(1) << 53)

static const char *const item_types[] = {"track", "episode", "ad", "unknown", "none", NULL};

static void replace_string(char **field, const char *value)
{
    char *copy = g_strdup(value);
    g_free(*field);
    *field = copy;
}

SpnSnapshot *spn_snapshot_new(void)
{
    SpnSnapshot *snapshot = g_new0(SpnSnapshot, 1);
    snapshot->track_name = g_strdup("");
    snapshot->artist_name = g_strdup("");
    snapshot->album_name = g_strdup("");
    snapshot->album_art = g_strdup("");
    snapshot->item_type = g_strdup("none");
    return snapshot;
}

SpnSnapshot *spn_snapshot_copy(const SpnSnapshot *snapshot)
{
    g_return_val_if_fail(snapshot != NULL, NULL);

    SpnSnapshot *copy = g_new0(SpnSnapshot, 1);
    *copy = *snapshot;
    copy->track_name = g_strdup(snapshot->track_name);
    copy->artist_name = g_strdup(snapshot->artist_name);
    copy->album_name = g_strdup(snapshot->album_name);
    copy->album_art = g_strdup(snapshot->album_art);
    copy->album_art_file = g_strdup(snapshot->album_art_file);
    copy->track_url = g_strdup(snapshot->track_url);
    copy->track_id = g_strdup(snapshot->track_id);
    copy->item_type = g_strdup(snapshot->item_type);
    return copy;
}

void spn_snapshot_free(SpnSnapshot *snapshot)
{
    if (snapshot == NULL)
        return;
    g_free(snapshot->track_name);
    g_free(snapshot->artist_name);
    g_free(snapshot->album_name);
    g_free(snapshot->album_art);
    g_free(snapshot->album_art_file);
    g_free(snapshot->track_url);
    g_free(snapshot->track_id);
    g_free(snapshot->item_type);
    g_free(snapshot);
}

gint64 spn_snapshot_predicted_progress(const SpnSnapshot *snapshot, gint64 now_ms)
{
    g_return_val_if_fail(snapshot != NULL, 0);

    if (!snapshot->is_playing || now_ms <= snapshot->fetched_at)
        return snapshot->progress_ms;

    /* Saturate rather than wrap on a nonsense fetchedAt from a hand-made snapshot. */
    gint64 elapsed, predicted;
    if (__builtin_sub_overflow(now_ms, snapshot->fetched_at, &elapsed))
        elapsed = G_MAXINT64;
    if (__builtin_add_overflow(snapshot->progress_ms, elapsed, &predicted))
        predicted = G_MAXINT64;
    return MIN(snapshot->duration_ms, predicted);
}

static gboolean metadata_equal(const SpnSnapshot *a, const SpnSnapshot *b)
{
    return (!a->is_playing) == (!b->is_playing) && g_strcmp0(a->track_name, b->track_name) == 0 &&
           g_strcmp0(a->artist_name, b->artist_name) == 0 &&
           g_strcmp0(a->album_name, b->album_name) == 0 &&
           g_strcmp0(a->album_art, b->album_art) == 0 &&
           g_strcmp0(a->album_art_file, b->album_art_file) == 0 &&
           g_strcmp0(a->track_url, b->track_url) == 0 && g_strcmp0(a->track_id, b->track_id) == 0 &&
           g_strcmp0(a->item_type, b->item_type) == 0 && a->duration_ms == b->duration_ms;
}

SpnChange spn_snapshot_compare(const SpnSnapshot *previous, const SpnSnapshot *current)
{
    g_return_val_if_fail(previous != NULL && current != NULL, SPN_CHANGE_METADATA);

    if (!metadata_equal(previous, current))
        return SPN_CHANGE_METADATA;

    gint64 predicted = spn_snapshot_predicted_progress(previous, current->fetched_at);
    gint64 drift = current->progress_ms - predicted;
    /* Both lie in [0, duration], so the difference cannot overflow. */
    if (ABS(drift) > SPN_SEEK_THRESHOLD_MS)
        return SPN_CHANGE_SEEK;
    return SPN_CHANGE_NONE;
}

GVariant *spn_snapshot_to_variant(const SpnSnapshot *snapshot)
{
    g_return_val_if_fail(snapshot != NULL, NULL);

    GVariantDict dict;
    g_variant_dict_init(&dict, NULL);
    g_variant_dict_insert(&dict, SPN_KEY_IS_PLAYING, "b", snapshot->is_playing);
    g_variant_dict_insert(&dict, SPN_KEY_TRACK_NAME, "s", snapshot->track_name);
    g_variant_dict_insert(&dict, SPN_KEY_ARTIST_NAME, "s", snapshot->artist_name);
    g_variant_dict_insert(&dict, SPN_KEY_ALBUM_NAME, "s", snapshot->album_name);
    g_variant_dict_insert(&dict, SPN_KEY_ALBUM_ART, "s", snapshot->album_art);
    if (snapshot->album_art_file != NULL)
        g_variant_dict_insert(&dict, SPN_KEY_ALBUM_ART_FILE, "s", snapshot->album_art_file);
    if (snapshot->track_url != NULL)
        g_variant_dict_insert(&dict, SPN_KEY_TRACK_URL, "s", snapshot->track_url);
    if (snapshot->track_id != NULL)
        g_variant_dict_insert(&dict, SPN_KEY_TRACK_ID, "s", snapshot->track_id);
    g_variant_dict_insert(&dict, SPN_KEY_ITEM_TYPE, "s", snapshot->item_type);
    g_variant_dict_insert(&dict, SPN_KEY_PROGRESS_MS, "x", snapshot->progress_ms);
    g_variant_dict_insert(&dict, SPN_KEY_DURATION_MS, "x", snapshot->duration_ms);
    g_variant_dict_insert(&dict, SPN_KEY_FETCHED_AT, "x", snapshot->fetched_at);
    return g_variant_dict_end(&dict);
}

/* Replaces *field with the string at @key, if there is one of type s. */
static void lookup_string(GVariantDict *dict, const char *key, char **field)
{
    const char *value = NULL;
    if (g_variant_dict_lookup(dict, key, "&s", &value))
        replace_string(field, value);
}

static gint64 lookup_int64(GVariantDict *dict, const char *key)
{
    gint64 value = 0;
    return g_variant_dict_lookup(dict, key, "x", &value) ? value : 0;
}

/* Same invariants as the normaliser guarantees, since a peer or an old state file may not. */
SpnSnapshot *spn_snapshot_from_variant(GVariant *variant)
{
    SpnSnapshot *snapshot = spn_snapshot_new();
    if (variant == NULL || !g_variant_is_of_type(variant, G_VARIANT_TYPE_VARDICT))
        return snapshot;

    g_auto(GVariantDict) dict;
    g_variant_dict_init(&dict, variant);

    gboolean is_playing = FALSE;
    if (g_variant_dict_lookup(&dict, SPN_KEY_IS_PLAYING, "b", &is_playing))
        snapshot->is_playing = is_playing;
    lookup_string(&dict, SPN_KEY_TRACK_NAME, &snapshot->track_name);
    lookup_string(&dict, SPN_KEY_ARTIST_NAME, &snapshot->artist_name);
    lookup_string(&dict, SPN_KEY_ALBUM_NAME, &snapshot->album_name);
    lookup_string(&dict, SPN_KEY_ALBUM_ART, &snapshot->album_art);
    lookup_string(&dict, SPN_KEY_ALBUM_ART_FILE, &snapshot->album_art_file);
    lookup_string(&dict, SPN_KEY_TRACK_URL, &snapshot->track_url);
    lookup_string(&dict, SPN_KEY_TRACK_ID, &snapshot->track_id);
    lookup_string(&dict, SPN_KEY_ITEM_TYPE, &snapshot->item_type);
    snapshot->duration_ms = CLAMP(lookup_int64(&dict, SPN_KEY_DURATION_MS), 0, MAX_MS);
    snapshot->progress_ms = lookup_int64(&dict, SPN_KEY_PROGRESS_MS);
    snapshot->fetched_at = lookup_int64(&dict, SPN_KEY_FETCHED_AT);
    spn_snapshot_sanitise(snapshot);
    return snapshot;
}

/* ---- one sanitiser ------------------------------------------------------------------------ */

static void clean_field(char **field, gboolean optional)
{
    if (*field == NULL) {
        if (!optional)
            *field = g_strdup("");
        return;
    }
    char *clean = spn_text_clean(*field);
    g_free(*field);
    *field = clean;
    if (optional && **field == '\0')
        g_clear_pointer(field, g_free);
}

void spn_snapshot_sanitise(SpnSnapshot *snapshot)
{
    clean_field(&snapshot->track_name, FALSE);
    clean_field(&snapshot->artist_name, FALSE);
    clean_field(&snapshot->album_name, FALSE);
    clean_field(&snapshot->album_art, FALSE);
    clean_field(&snapshot->album_art_file, TRUE);
    clean_field(&snapshot->track_url, TRUE);
    clean_field(&snapshot->track_id, TRUE);
    clean_field(&snapshot->item_type, FALSE);
    if (!g_strv_contains(item_types, snapshot->item_type))
        replace_string(&snapshot->item_type, "unknown");
    snapshot->duration_ms = MAX(snapshot->duration_ms, 0);
    snapshot->progress_ms = CLAMP(snapshot->progress_ms, 0, snapshot->duration_ms);
    snapshot->fetched_at = MAX(snapshot->fetched_at, 0);
}
