/* engine-art.c — album art on disk for the snapshot: one place for MPRIS, the applet and the
 * CLI (DESIGN.md section 5, "art cache"). Each image URL is fetched once; albumArtFile appears
 * in the snapshot (with a Changed) when the file is there, and is absent until then. */
#define G_LOG_DOMAIN "spotnow-engine"

#include "engine-private.h"

static void on_art_fetched(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = spn_art_cache_fetch_finish(SPN_ART_CACHE(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return; /* superseded, or the engine is gone */
    SpnEngine *self = user_data;
    self->art_fetching = FALSE;
    if (path == NULL) {
        /* Art is a nicety: the snapshot is complete without it, so no lastError. art_url keeps
         * the URL, so a broken image is not fetched again on every poll. */
        g_debug("album art not cached: %s", error->message);
        engine_flush_held_change(user_data);
        return;
    }
    /* Applying the snapshot again resolves its art from the cache: the file appears with a
     * Changed if the track is still the one the image belongs to, and nothing happens if not. */
    engine_apply_snapshot(self, spn_snapshot_copy(self->snapshot));
    /* The image was for a track already gone: nothing new to show, but do not sit on a held
     * Changed until the timer. */
    engine_flush_held_change(self);
}

gboolean engine_resolve_art(SpnEngine *self, SpnSnapshot *fresh)
{
    if (fresh->album_art == NULL || *fresh->album_art == '\0') {
        g_clear_pointer(&fresh->album_art_file, g_free);
        return FALSE;
    }
    const char *cached = spn_art_cache_lookup(self->art_cache, fresh->album_art);
    if (cached != NULL) {
        if (g_strcmp0(fresh->album_art_file, cached) != 0) {
            g_free(fresh->album_art_file);
            fresh->album_art_file = g_strdup(cached);
        }
        return FALSE;
    }
    g_clear_pointer(&fresh->album_art_file, g_free);
    if (g_strcmp0(self->art_url, fresh->album_art) == 0)
        return self->art_fetching; /* on its way, or it failed: once per URL */
    /* A newer image supersedes the one still downloading. */
    g_cancellable_cancel(self->art_cancellable);
    g_object_unref(self->art_cancellable);
    self->art_cancellable = g_cancellable_new();
    g_free(self->art_url);
    self->art_url = g_strdup(fresh->album_art);
    self->art_fetching = TRUE;
    spn_art_cache_fetch(self->art_cache, fresh->album_art, self->art_cancellable, on_art_fetched,
                        self);
    return TRUE;
}
