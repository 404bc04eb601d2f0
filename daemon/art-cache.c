/* art-cache.c — one download per image URL, stored atomically, the directory kept bounded. */
#define G_LOG_DOMAIN "spotnow-art"

#include "art-cache.h"

#include "paths.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>
#include <sys/stat.h>
#include <utime.h>

#include "file-util.h"
#include "http.h"
#include "spn-error.h"

#define FILE_MODE 0644
#define DIR_MODE 0755

/* The only types stored: raster images, which every viewer decodes safely. Not SVG (a document
 * with scripts and external references, on a path every user's panel loads) nor any other
 * image/\*. Lookup tries them in order, so the commonest (Spotify serves JPEG) costs one stat(). */
static const struct {
    const char *mime;
    const char *ext;
} image_types[] = {
    {"image/jpeg", "jpg"},
    {"image/png", "png"},
    {"image/webp", "webp"},
    {"image/gif", "gif"},
};

struct _SpnArtCache {
    GObject parent_instance;
    char *dir;
    guint64 max_bytes;
    SoupSession *session; /* http.c's, shared with the Web API */
    guint timeout_ms;
    GHashTable *fetches; /* url -> Fetch: the downloads in flight */
    char *lookup_result;
    char *touched;     /* the file lookup last gave a new mtime */
    GMutex store_lock; /* store threads write and evict one at a time */
};

G_DEFINE_TYPE(SpnArtCache, spn_art_cache, G_TYPE_OBJECT)

/* One download, shared by every caller who asked for its URL meanwhile. */
typedef struct {
    SpnArtCache *cache; /* strong: outlives callers who gave up */
    char *url;
    char *host;
    char *key; /* hex SHA-256 of the URL: the file name */
    const char *ext;
    GPtrArray *tasks; /* the callers' GTasks */
    GCancellable *cancellable;
    GBytes *body;
} Fetch;

/* Per caller, so one caller's cancellable can let go of a shared download. */
typedef struct {
    char *url;
    GCancellable *cancellable;
    gulong handler;
} Caller;

/* What a store thread needs; no pointer into the cache object but its lock. */
typedef struct {
    char *dir;
    char *key;
    const char *ext;
    GBytes *body;
    guint64 max_bytes;
} StoreJob;

static void fetch_free(Fetch *fetch)
{
    g_clear_pointer(&fetch->body, g_bytes_unref);
    g_clear_object(&fetch->cancellable);
    g_clear_pointer(&fetch->tasks, g_ptr_array_unref);
    g_free(fetch->url);
    g_free(fetch->host);
    g_free(fetch->key);
    g_clear_object(&fetch->cache);
    g_free(fetch);
}

static void caller_free(Caller *caller)
{
    if (caller->handler != 0)
        g_cancellable_disconnect(caller->cancellable, caller->handler);
    g_clear_object(&caller->cancellable);
    g_free(caller->url);
    g_free(caller);
}

static void store_job_free(StoreJob *job)
{
    g_free(job->dir);
    g_free(job->key);
    g_bytes_unref(job->body);
    g_free(job);
}

static char *key_for_url(const char *url)
{
    return g_compute_checksum_for_string(G_CHECKSUM_SHA256, url, -1);
}

/* NULL for a type not stored. */
static const char *ext_for_mime(const char *mime)
{
    for (gsize i = 0; i < G_N_ELEMENTS(image_types); i++) {
        if (g_ascii_strcasecmp(mime, image_types[i].mime) == 0)
            return image_types[i].ext;
    }
    return NULL;
}

static char *path_for(const char *dir, const char *key, const char *ext)
{
    g_autofree char *name = g_strconcat(key, ".", ext, NULL);
    return g_build_filename(dir, name, NULL);
}

/* ---- lookup -------------------------------------------------------------------------------- */

static gboolean is_cached_file(const char *path)
{
    GStatBuf st;
    return g_stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* Only the raster types: a "<key>.img" of any other type left by an older spotnow is never
 * served again (eviction removes it in time). */
static char *find_cached(const char *dir, const char *key)
{
    for (gsize i = 0; i < G_N_ELEMENTS(image_types); i++) {
        g_autofree char *path = path_for(dir, key, image_types[i].ext);
        if (is_cached_file(path))
            return g_steal_pointer(&path);
    }
    return NULL;
}

const char *spn_art_cache_lookup(SpnArtCache *self, const char *url)
{
    g_return_val_if_fail(SPN_IS_ART_CACHE(self), NULL);
    g_return_val_if_fail(url != NULL, NULL);

    g_clear_pointer(&self->lookup_result, g_free);
    if (*url == '\0')
        return NULL;
    g_autofree char *key = key_for_url(url);
    self->lookup_result = find_cached(self->dir, key);
    /* Eviction goes by mtime: what is looked up is what is shown, keep it longest. Once per
     * change of image, not per poll: the same cover looked up again is still the newest, and a
     * daemon that writes to disk every poll keeps disks awake for nothing. */
    if (self->lookup_result != NULL && g_strcmp0(self->lookup_result, self->touched) != 0) {
        if (g_utime(self->lookup_result, NULL) != 0)
            g_debug("cannot touch %s: %s", self->lookup_result, g_strerror(errno));
        /* A cover cached by an older spotnow under the system unit's umask is 0600: every
         * user's panel is to read it. */
        g_autoptr(GError) error = NULL;
        if (!spn_file_set_mode(self->lookup_result, FILE_MODE, NULL, &error))
            g_debug("%s", error->message);
        g_free(self->touched);
        self->touched = g_strdup(self->lookup_result);
    }
    return self->lookup_result;
}

/* ---- storing and eviction (in a worker thread) --------------------------------------------- */

typedef struct {
    char *path;
    goffset size;
    gint64 mtime_ns;
} Entry;

static void entry_clear(Entry *entry)
{
    g_free(entry->path);
}

static int compare_entries(gconstpointer a, gconstpointer b)
{
    const Entry *x = a, *y = b;
    if (x->mtime_ns != y->mtime_ns)
        return x->mtime_ns < y->mtime_ns ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* "<sha256 hex>.<ext>": a file this cache wrote. The system cache is $CACHE_DIRECTORY itself,
 * so anything else there (an admin's note, another tool's file) is neither counted nor removed. */
static gboolean is_cache_name(const char *name)
{
    const gsize key_length = 64;
    for (gsize i = 0; i < key_length; i++) {
        if (!g_ascii_isxdigit(name[i]))
            return FALSE;
    }
    return name[key_length] == '.' && name[key_length + 1] != '\0';
}

/* Oldest first until the cache fits in @max_bytes; @keep (the file just written) stays even
 * if it alone is larger, since the caller is about to show it. */
static void evict(const char *dir, guint64 max_bytes, const char *keep)
{
    g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
    if (handle == NULL)
        return;
    g_autoptr(GArray) entries = g_array_new(FALSE, FALSE, sizeof(Entry));
    g_array_set_clear_func(entries, (GDestroyNotify)entry_clear);
    guint64 total = 0;
    const char *name;
    while ((name = g_dir_read_name(handle)) != NULL) {
        if (!is_cache_name(name))
            continue;
        g_autofree char *path = g_build_filename(dir, name, NULL);
        GStatBuf st;
        if (g_lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        Entry entry = {
            .path = g_steal_pointer(&path),
            .size = st.st_size,
            .mtime_ns =
                (gint64)st.st_mtim.tv_sec * G_GINT64_CONSTANT(1000000000) + st.st_mtim.tv_nsec,
        };
        total += (guint64)entry.size;
        g_array_append_val(entries, entry);
    }
    g_array_sort(entries, compare_entries);
    for (guint i = 0; i < entries->len && total > max_bytes; i++) {
        Entry *entry = &g_array_index(entries, Entry, i);
        if (g_str_equal(entry->path, keep))
            continue;
        if (g_unlink(entry->path) == 0 || errno == ENOENT) {
            g_debug("evicted %s (%" G_GOFFSET_FORMAT " bytes)", entry->path, entry->size);
            total -= (guint64)entry->size;
        } else {
            g_debug("cannot evict %s: %s", entry->path, g_strerror(errno));
        }
    }
}

/* A URL whose server changed its content type must not leave its old copy to win lookups. */
static void remove_siblings(const char *dir, const char *key, const char *path)
{
    g_autofree char *other = NULL;
    while ((other = find_cached(dir, key)) != NULL && !g_str_equal(other, path)) {
        if (g_unlink(other) != 0)
            break;
        g_clear_pointer(&other, g_free);
    }
}

static void store_thread(GTask *task, gpointer source, gpointer task_data,
                         GCancellable *cancellable)
{
    SpnArtCache *self = source;
    StoreJob *job = task_data;
    g_autoptr(GError) error = NULL;

    g_mutex_lock(&self->store_lock);
    if (g_mkdir_with_parents(job->dir, DIR_MODE) != 0) {
        int saved_errno = errno;
        g_mutex_unlock(&self->store_lock);
        g_task_return_new_error(task, G_IO_ERROR, g_io_error_from_errno(saved_errno),
                                _("cannot create the art cache %s: %s"), job->dir,
                                g_strerror(saved_errno));
        return;
    }
    g_autofree char *path = path_for(job->dir, job->key, job->ext);
    gsize length = 0;
    const char *data = g_bytes_get_data(job->body, &length);
    /* Temp file, fsync, rename: a reader never sees half an image. FILE_MODE exactly, whatever
     * the umask (the system unit's is 0077): every user's panel reads the system cache. */
    if (!spn_file_write_atomic(path, data, length, FILE_MODE, TRUE, &error)) {
        g_mutex_unlock(&self->store_lock);
        g_task_return_error(task, g_steal_pointer(&error));
        return;
    }
    remove_siblings(job->dir, job->key, path);
    evict(job->dir, job->max_bytes, path);
    g_mutex_unlock(&self->store_lock);
    g_task_return_pointer(task, g_steal_pointer(&path), g_free);
}

/* ---- the shared download ------------------------------------------------------------------- */

/* Answers every caller of @fetch with @path or @error (one of them is NULL) and forgets it. */
static void fetch_finish(Fetch *fetch, const char *path, GError *error)
{
    g_hash_table_steal(fetch->cache->fetches, fetch->url);
    if (error != NULL)
        g_debug("art %s: %s", fetch->url, error->message);
    for (guint i = 0; i < fetch->tasks->len; i++) {
        GTask *task = g_ptr_array_index(fetch->tasks, i);
        Caller *caller = g_task_get_task_data(task);
        g_cancellable_disconnect(caller->cancellable, caller->handler);
        caller->handler = 0;
        if (error != NULL)
            g_task_return_error(task, g_error_copy(error));
        else
            g_task_return_pointer(task, g_strdup(path), g_free);
    }
    g_clear_error(&error);
    fetch_free(fetch);
}

static void on_stored(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Fetch *fetch = user_data;
    GError *error = NULL;
    g_autofree char *path = g_task_propagate_pointer(G_TASK(result), &error);
    if (path != NULL)
        g_debug("cached %s as %s", fetch->url, path);
    fetch_finish(fetch, path, error);
}

static void store(Fetch *fetch)
{
    StoreJob *job = g_new0(StoreJob, 1);
    job->dir = g_strdup(fetch->cache->dir);
    job->key = g_strdup(fetch->key);
    job->ext = fetch->ext;
    job->body = g_steal_pointer(&fetch->body);
    job->max_bytes = fetch->cache->max_bytes;
    g_autoptr(GTask) task = g_task_new(fetch->cache, NULL, on_stored, fetch);
    g_task_set_source_tag(task, store);
    g_task_set_task_data(task, job, (GDestroyNotify)store_job_free);
    g_task_run_in_thread(task, store_thread);
}

/* Status, type and declared length are checked before a byte of the body is read. */
static GError *check_reply(SoupMessage *message, gpointer user_data)
{
    Fetch *fetch = user_data;
    guint status = soup_message_get_status(message);
    if (SOUP_STATUS_IS_REDIRECTION(status))
        return g_error_new(SPN_ERROR, SPN_ERROR_UPSTREAM,
                           _("album art from %s: HTTP %u, a redirect, which spotnow does not "
                             "follow"),
                           fetch->host, status);
    if (!SOUP_STATUS_IS_SUCCESSFUL(status) || status == SOUP_STATUS_NO_CONTENT)
        return g_error_new(SPN_ERROR, SPN_ERROR_UPSTREAM, _("album art from %s: HTTP %u %s"),
                           fetch->host, status, soup_message_get_reason_phrase(message));
    SoupMessageHeaders *headers = soup_message_get_response_headers(message);
    const char *type = soup_message_headers_get_content_type(headers, NULL);
    if (type == NULL || !g_str_has_prefix(type, "image/"))
        return g_error_new(SPN_ERROR, SPN_ERROR_UPSTREAM,
                           _("album art from %s is not an image (%s)"), fetch->host,
                           type != NULL ? type : _("no content type"));
    fetch->ext = ext_for_mime(type);
    if (fetch->ext == NULL)
        return g_error_new(SPN_ERROR, SPN_ERROR_UPSTREAM,
                           _("album art from %s is %s, not JPEG, PNG, WebP or GIF"), fetch->host,
                           type);
    if (soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CONTENT_LENGTH &&
        soup_message_headers_get_content_length(headers) > SPN_ART_CACHE_MAX_DOWNLOAD)
        return g_error_new(SPN_ERROR, SPN_ERROR_UPSTREAM,
                           _("album art from %s is larger than %u MiB"), fetch->host,
                           (guint)(SPN_ART_CACHE_MAX_DOWNLOAD / (1024 * 1024)));
    return NULL;
}

static void on_downloaded(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Fetch *fetch = user_data;
    GError *error = NULL;
    g_autoptr(SpnHttpReply) reply = spn_http_send_finish(result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE)) {
        /* A chunked body: its size shows only while it is read. */
        g_clear_error(&error);
        error =
            g_error_new(SPN_ERROR, SPN_ERROR_UPSTREAM, _("album art from %s is larger than %u MiB"),
                        fetch->host, (guint)(SPN_ART_CACHE_MAX_DOWNLOAD / (1024 * 1024)));
    }
    if (reply == NULL) {
        fetch_finish(fetch, NULL, error);
        return;
    }
    if (g_bytes_get_size(reply->body) == 0) {
        fetch_finish(fetch, NULL,
                     g_error_new(SPN_ERROR, SPN_ERROR_UPSTREAM, _("album art from %s: empty reply"),
                                 fetch->host));
        return;
    }
    fetch->body = g_bytes_ref(reply->body);
    store(fetch);
}

static Fetch *fetch_start(SpnArtCache *self, const char *url, GUri *uri)
{
    Fetch *fetch = g_new0(Fetch, 1);
    fetch->cache = g_object_ref(self);
    fetch->url = g_strdup(url);
    fetch->host = g_strdup(g_uri_get_host(uri));
    fetch->key = key_for_url(url);
    fetch->tasks = g_ptr_array_new_with_free_func(g_object_unref);
    fetch->cancellable = g_cancellable_new();
    g_hash_table_insert(self->fetches, fetch->url, fetch);

    g_autoptr(SoupMessage) message = soup_message_new_from_uri(SOUP_METHOD_GET, uri);
    SoupMessageHeaders *headers = soup_message_get_request_headers(message);
    soup_message_headers_append(headers, "Accept", "image/*");
    /* One image per track change: a kept-alive connection would only cost a wake-up when
     * libsoup closes it on its idle timeout, in a daemon that otherwise sleeps for minutes. */
    soup_message_headers_replace(headers, "Connection", "close");
    g_debug("fetching %s", url);
    /* The API's deadline, the whole download included: a server trickling a byte every few
     * seconds cannot hold a connection for long. */
    const SpnHttpLimits limits = {
        .peer = fetch->host,
        .deadline_ms = self->timeout_ms,
        .max_body = SPN_ART_CACHE_MAX_DOWNLOAD,
        .check = check_reply,
        .check_data = fetch,
    };
    spn_http_send(self->session, g_steal_pointer(&message), &limits, G_PRIORITY_LOW,
                  fetch->cancellable, on_downloaded, fetch);
    return fetch;
}

/* ---- callers and cancellation -------------------------------------------------------------- */

/* Runs from an idle, never inside the cancellable's own emission, where disconnecting would
 * deadlock. The caller leaves its fetch; the last caller out stops the download. */
static gboolean drop_cancelled_caller(gpointer user_data)
{
    GTask *task = user_data;
    SpnArtCache *self = g_task_get_source_object(task);
    Caller *caller = g_task_get_task_data(task);
    Fetch *fetch = g_hash_table_lookup(self->fetches, caller->url);
    guint index;
    if (fetch == NULL || !g_ptr_array_find(fetch->tasks, task, &index))
        return G_SOURCE_REMOVE; /* answered meanwhile */

    g_cancellable_disconnect(caller->cancellable, caller->handler);
    caller->handler = 0;
    g_object_ref(task);
    g_ptr_array_remove_index(fetch->tasks, index);
    g_task_return_error_if_cancelled(task);
    g_object_unref(task);
    if (fetch->tasks->len == 0)
        g_cancellable_cancel(fetch->cancellable);
    return G_SOURCE_REMOVE;
}

static void on_caller_cancelled(GCancellable *cancellable, gpointer user_data)
{
    GTask *task = user_data;
    GSource *source = g_idle_source_new();
    g_source_set_callback(source, drop_cancelled_caller, g_object_ref(task), g_object_unref);
    g_source_attach(source, g_task_get_context(task));
    g_source_unref(source);
}

static GUri *parse_http_url(const char *url, GError **error)
{
    g_autoptr(GUri) uri = g_uri_parse(url, SOUP_HTTP_URI_FLAGS, NULL);
    if (uri == NULL || g_uri_get_host(uri) == NULL || *g_uri_get_host(uri) == '\0' ||
        (g_ascii_strcasecmp(g_uri_get_scheme(uri), "http") != 0 &&
         g_ascii_strcasecmp(g_uri_get_scheme(uri), "https") != 0)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    _("album art URL is not an http or https URL: %s"), url);
        return NULL;
    }
    return g_steal_pointer(&uri);
}

void spn_art_cache_fetch(SpnArtCache *self, const char *url, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(SPN_IS_ART_CACHE(self));
    g_return_if_fail(url != NULL);

    g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, spn_art_cache_fetch);
    if (g_task_return_error_if_cancelled(task))
        return;
    GError *error = NULL;
    g_autoptr(GUri) uri = parse_http_url(url, &error);
    if (uri == NULL) {
        g_task_return_error(task, error);
        return;
    }
    g_autofree char *key = key_for_url(url);
    g_autofree char *cached = find_cached(self->dir, key);
    if (cached != NULL) {
        g_task_return_pointer(task, g_steal_pointer(&cached), g_free);
        return;
    }

    Caller *caller = g_new0(Caller, 1);
    caller->url = g_strdup(url);
    g_task_set_task_data(task, caller, (GDestroyNotify)caller_free);
    Fetch *fetch = g_hash_table_lookup(self->fetches, url);
    if (fetch == NULL)
        fetch = fetch_start(self, url, uri);
    else
        g_debug("joining the download of %s", url);
    if (cancellable != NULL) {
        caller->cancellable = g_object_ref(cancellable);
        /* The task is owned by the fetch; the handler is disconnected before it goes. */
        caller->handler =
            g_cancellable_connect(cancellable, G_CALLBACK(on_caller_cancelled), task, NULL);
    }
    g_ptr_array_add(fetch->tasks, g_steal_pointer(&task));
}

char *spn_art_cache_fetch_finish(SpnArtCache *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

/* ---- life cycle ---------------------------------------------------------------------------- */

char *spn_art_cache_default_dir(gboolean system_bus)
{
    if (!system_bus)
        return g_build_filename(g_get_user_cache_dir(), "spotnow", "art", NULL);
    /* doc/design.md section 5: the system cache directory is the art cache itself; the unit gives
     * it to nothing else. */
    g_autofree char *dir = spn_systemd_directory("CACHE_DIRECTORY");
    return g_strdup(dir != NULL ? dir : "/var/cache/spotnow");
}

void spn_art_cache_set_timeout(SpnArtCache *self, double timeout_s)
{
    g_return_if_fail(SPN_IS_ART_CACHE(self));
    self->timeout_ms = (guint)CLAMP(timeout_s * 1000.0 + 0.5, 1.0, 300000.0);
}

SpnArtCache *spn_art_cache_new(const char *cache_dir, guint64 max_bytes)
{
    g_return_val_if_fail(cache_dir != NULL, NULL);
    SpnArtCache *self = g_object_new(SPN_TYPE_ART_CACHE, NULL);
    self->dir = g_strdup(cache_dir);
    self->max_bytes = max_bytes;
    return self;
}

static void spn_art_cache_finalize(GObject *object)
{
    SpnArtCache *self = SPN_ART_CACHE(object);
    /* Fetches hold a reference: none can be in flight here. */
    g_clear_pointer(&self->fetches, g_hash_table_unref);
    g_clear_object(&self->session);
    g_free(self->dir);
    g_free(self->lookup_result);
    g_free(self->touched);
    g_mutex_clear(&self->store_lock);
    G_OBJECT_CLASS(spn_art_cache_parent_class)->finalize(object);
}

static void spn_art_cache_class_init(SpnArtCacheClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = spn_art_cache_finalize;
}

static void spn_art_cache_init(SpnArtCache *self)
{
    g_mutex_init(&self->store_lock);
    self->fetches = g_hash_table_new(g_str_hash, g_str_equal);
    self->session = spn_http_session_ref();
    self->timeout_ms = (guint)(SPN_HTTP_DEFAULT_TIMEOUT_S * 1000);
}
