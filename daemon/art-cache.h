/* art-cache.h — album art on disk (doc/design.md section 5, "art cache").
 *
 * One file per image URL, named after the URL's SHA-256, fetched once by the daemon so MPRIS,
 * the applet and the CLI all point at the same local copy (the snapshot's albumArtFile). The
 * directory is bounded: after each download the oldest files (by mtime) go until the total is
 * within max_bytes. A lookup hit of another file than the last one refreshes its mtime, so
 * eviction is least recently used, at one write per change of cover rather than per poll.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The default bound of the directory, and of a single download. */
#define SPN_ART_CACHE_DEFAULT_MAX_BYTES (50 * 1024 * 1024)
#define SPN_ART_CACHE_MAX_DOWNLOAD (5 * 1024 * 1024)

#define SPN_TYPE_ART_CACHE (spn_art_cache_get_type())
G_DECLARE_FINAL_TYPE(SpnArtCache, spn_art_cache, SPN, ART_CACHE, GObject)

/* @cache_dir is created (0755: on the system bus other users' MPRIS clients read it) on the
 * first download; nothing touches the disk here. Downloads go through the session the Web API
 * uses (http.h). */
SpnArtCache *spn_art_cache_new(const char *cache_dir, guint64 max_bytes);

/* The deadline of a whole download: the Web API's request timeout ([spotify]
 * request-timeout-s), SPN_HTTP_DEFAULT_TIMEOUT_S until set. */
void spn_art_cache_set_timeout(SpnArtCache *self, double timeout_s);

/* The local path of @url's image if it is cached, else NULL. Costs a few stat()s and no
 * network. The string belongs to the cache and stays valid until the next call on @self:
 * g_strdup() it to keep it. */
const char *spn_art_cache_lookup(SpnArtCache *self, const char *url);

/* Downloads @url (http or https only; a JPEG, PNG, WebP or GIF reply of at most
 * SPN_ART_CACHE_MAX_DOWNLOAD bytes, within the timeout, with no redirect followed) unless it is
 * cached, stores it atomically (0644) and evicts old files. Concurrent fetches of one URL share
 * one request; cancelling one caller's @cancellable fails only that caller. Errors:
 * G_IO_ERROR_INVALID_ARGUMENT (not an http(s) URL), SPN_ERROR_UPSTREAM (HTTP status, a
 * redirect, content type, size), G_IO_ERROR_TIMED_OUT, G_IO_ERROR_* (network, disk),
 * G_IO_ERROR_CANCELLED. */
void spn_art_cache_fetch(SpnArtCache *self, const char *url, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data);
/* Returns the local path (free it), or NULL with @error set. */
char *spn_art_cache_fetch_finish(SpnArtCache *self, GAsyncResult *result, GError **error);

/* $XDG_CACHE_HOME/spotnow/art; for the system bus $CACHE_DIRECTORY (first entry) when systemd
 * sets it, else /var/cache/spotnow. */
char *spn_art_cache_default_dir(gboolean system_bus);

G_END_DECLS
