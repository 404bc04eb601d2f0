/* art-resolver.h — which local file shows a snapshot's album art (doc/design.md section 5, "art
 * cache"): the cached file at once, or one download per URL at a time, and after a failed one a
 * retry only once its back-off has passed (1 min doubling to 1 h), so a broken image costs
 * neither a request per poll nor the cover for the rest of the process's life. */
#pragma once

#include <gio/gio.h>

#include "art-cache.h"

G_BEGIN_DECLS

#define SPN_TYPE_ART_RESOLVER (spn_art_resolver_get_type())
G_DECLARE_FINAL_TYPE(SpnArtResolver, spn_art_resolver, SPN, ART_RESOLVER, GObject)

/* Signal "resolved" (const char *url, const char *path): a download ended; @path is NULL when it
 * failed. Emitted from the main loop, never from within spn_art_resolver_resolve(). */

/* Takes a reference on @cache. A failed URL is retried after @retry_initial_s, doubling up to
 * @retry_max_s (spn_art_resolver_new: 60 s to an hour). */
SpnArtResolver *spn_art_resolver_new(SpnArtCache *cache);
SpnArtResolver *spn_art_resolver_new_full(SpnArtCache *cache, double retry_initial_s,
                                          double retry_max_s);

/* The cached file for @url (owned by the cache), or NULL; then *@fetching says whether a
 * download for @url is on its way (started now, or before). A newer URL supersedes a download
 * still running for another. */
const char *spn_art_resolver_resolve(SpnArtResolver *self, const char *url, gboolean *fetching);

/* Cancels a download in flight; "resolved" is not emitted for it. */
void spn_art_resolver_cancel(SpnArtResolver *self);

G_END_DECLS
