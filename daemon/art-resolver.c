/* art-resolver.c — one cover download at a time, with a back-off per failing URL. */
#define G_LOG_DOMAIN "spotnow-art"

#include "art-resolver.h"

#include "backoff.h"

#define RETRY_INITIAL_S 60.0
#define RETRY_MAX_S 3600.0

struct _SpnArtResolver {
    GObject parent_instance;
    SpnArtCache *cache;
    GCancellable *cancellable; /* the download in flight, or NULL */
    char *url;                 /* the URL downloading, or the last one that failed */
    guint failures;            /* of @url, in a row */
    gint64 retry_at;           /* monotonic µs before which @url is not fetched again */
    double retry_initial_s;
    double retry_max_s;
};

G_DEFINE_TYPE(SpnArtResolver, spn_art_resolver, G_TYPE_OBJECT)

enum { SIGNAL_RESOLVED, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef struct {
    SpnArtResolver *self;
    char *url;
} Fetch;

static void on_fetched(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Fetch *fetch = user_data;
    g_autoptr(SpnArtResolver) self = fetch->self;
    g_autofree char *url = fetch->url;
    g_free(fetch);
    g_autoptr(GError) error = NULL;
    g_autofree char *path = spn_art_cache_fetch_finish(SPN_ART_CACHE(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return; /* superseded, or cancelled */
    g_clear_object(&self->cancellable);
    if (path == NULL) {
        /* Art is a nicety: the snapshot is complete without it, so no lastError. */
        self->failures++;
        gint64 delay_ms = spn_backoff_delay_ms(self->failures, self->retry_initial_s,
                                               self->retry_max_s, g_random_double());
        self->retry_at = g_get_monotonic_time() + delay_ms * 1000;
        g_debug("album art not cached (%s); retrying in %" G_GINT64_FORMAT " s", error->message,
                delay_ms / 1000);
    } else {
        self->failures = 0;
    }
    g_signal_emit(self, signals[SIGNAL_RESOLVED], 0, url, path);
}

const char *spn_art_resolver_resolve(SpnArtResolver *self, const char *url, gboolean *fetching)
{
    *fetching = FALSE;
    const char *cached = spn_art_cache_lookup(self->cache, url);
    if (cached != NULL)
        return cached;
    if (g_strcmp0(self->url, url) == 0) {
        if (self->cancellable != NULL) {
            *fetching = TRUE; /* on its way: once per URL */
            return NULL;
        }
        if (g_get_monotonic_time() < self->retry_at)
            return NULL; /* it failed lately: wait for the back-off */
    } else {
        self->failures = 0;
    }
    /* A newer image supersedes the one still downloading. */
    spn_art_resolver_cancel(self);
    g_free(self->url);
    self->url = g_strdup(url);
    self->cancellable = g_cancellable_new();
    Fetch *fetch = g_new0(Fetch, 1);
    fetch->self = g_object_ref(self);
    fetch->url = g_strdup(url);
    spn_art_cache_fetch(self->cache, url, self->cancellable, on_fetched, fetch);
    *fetching = TRUE;
    return NULL;
}

void spn_art_resolver_cancel(SpnArtResolver *self)
{
    if (self->cancellable == NULL)
        return;
    g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
}

SpnArtResolver *spn_art_resolver_new_full(SpnArtCache *cache, double retry_initial_s,
                                          double retry_max_s)
{
    SpnArtResolver *self = g_object_new(SPN_TYPE_ART_RESOLVER, NULL);
    self->cache = g_object_ref(cache);
    self->retry_initial_s = retry_initial_s;
    self->retry_max_s = retry_max_s;
    return self;
}

SpnArtResolver *spn_art_resolver_new(SpnArtCache *cache)
{
    return spn_art_resolver_new_full(cache, RETRY_INITIAL_S, RETRY_MAX_S);
}

static void spn_art_resolver_finalize(GObject *object)
{
    SpnArtResolver *self = SPN_ART_RESOLVER(object);
    spn_art_resolver_cancel(self);
    g_clear_object(&self->cache);
    g_free(self->url);
    G_OBJECT_CLASS(spn_art_resolver_parent_class)->finalize(object);
}

static void spn_art_resolver_class_init(SpnArtResolverClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = spn_art_resolver_finalize;
    signals[SIGNAL_RESOLVED] =
        g_signal_new("resolved", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void spn_art_resolver_init(SpnArtResolver *self)
{
}
