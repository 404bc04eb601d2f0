/* test-art-cache.c — album art fetched once, stored whole, bounded, and shared by callers.
 *
 * Images come from an in-process SoupServer on 127.0.0.1 that counts the requests it sees, so
 * "fetched once" is what the server says, not what the cache believes.
 */
#define G_LOG_DOMAIN "spotnow-test-art-cache"

#include <glib.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>
#include <sys/stat.h>
#include <utime.h>

#include "art-cache.h"
#include "art-resolver.h"
#include "spn-error.h"

#define IMAGE_SIZE 10000
#define BIG_SIZE (6 * 1024 * 1024)
#define MTIME_STEP_US (50 * 1000) /* above any file system's timestamp granularity */

typedef struct {
    char *dir;
    char *cache_dir;
    SoupServer *server;
    char *base_url;
    GHashTable *requests; /* path+query -> count */
    guint total_requests;
} Fixture;

/* ---- the image server ---------------------------------------------------------------------- */

/* Distinct, reproducible bytes per name, so a test can tell one image from another. */
static GBytes *image_bytes(const char *name, gsize size)
{
    guint8 *data = g_malloc(size);
    guint32 seed = g_str_hash(name);
    for (gsize i = 0; i < size; i++) {
        seed = seed * 1103515245u + 12345u;
        data[i] = (guint8)(seed >> 16);
    }
    return g_bytes_new_take(data, size);
}

static gboolean unpause(gpointer user_data)
{
    g_object_set_data(G_OBJECT(user_data), "unpause", NULL);
    soup_server_message_unpause(SOUP_SERVER_MESSAGE(user_data));
    return G_SOURCE_REMOVE;
}

/* A client that gave up (a deadline, a cancel) must not be answered after it left. */
static void forget_unpause(SoupServerMessage *msg, gpointer user_data)
{
    guint source = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(msg), "unpause"));
    if (source != 0)
        g_source_remove(source);
    g_object_set_data(G_OBJECT(msg), "unpause", NULL);
}

static void serve_image(SoupServerMessage *msg, const char *path, GHashTable *query)
{
    const char *type = query ? g_hash_table_lookup(query, "type") : NULL;
    g_autoptr(GBytes) body = image_bytes(path, IMAGE_SIZE);
    soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
    soup_server_message_set_response(msg, type ? type : "image/jpeg", SOUP_MEMORY_COPY,
                                     g_bytes_get_data(body, NULL), g_bytes_get_size(body));
}

static void serve_chunked(SoupServerMessage *msg, gsize size)
{
    SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
    SoupMessageBody *body = soup_server_message_get_response_body(msg);
    g_autoptr(GBytes) chunk = image_bytes("chunk", 64 * 1024);
    soup_message_headers_set_encoding(headers, SOUP_ENCODING_CHUNKED);
    soup_message_headers_set_content_type(headers, "image/jpeg", NULL);
    for (gsize sent = 0; sent < size; sent += g_bytes_get_size(chunk))
        soup_message_body_append_bytes(body, chunk);
    soup_message_body_complete(body);
    soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
}

static void serve_redirect(SoupServerMessage *msg, const char *location)
{
    soup_server_message_set_redirect(msg, SOUP_STATUS_FOUND, location);
}

static void handle(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                   gpointer user_data)
{
    Fixture *f = user_data;
    GUri *uri = soup_server_message_get_uri(msg);
    g_autofree char *key =
        g_strdup_printf("%s?%s", path, g_uri_get_query(uri) ? g_uri_get_query(uri) : "");
    guint count = GPOINTER_TO_UINT(g_hash_table_lookup(f->requests, key));
    g_hash_table_insert(f->requests, g_steal_pointer(&key), GUINT_TO_POINTER(count + 1));
    f->total_requests++;

    if (g_str_has_prefix(path, "/img/")) {
        serve_image(msg, path, query);
    } else if (g_str_equal(path, "/slow.jpg")) {
        serve_image(msg, path, query);
        soup_server_message_pause(msg);
        guint source =
            g_timeout_add_full(G_PRIORITY_DEFAULT, 300, unpause, g_object_ref(msg), g_object_unref);
        g_object_set_data(G_OBJECT(msg), "unpause", GUINT_TO_POINTER(source));
        g_signal_connect(msg, "disconnected", G_CALLBACK(forget_unpause), NULL);
    } else if (g_str_equal(path, "/flaky.jpg")) {
        /* Fails the first time, as a CDN hiccup would. */
        if (count == 0)
            soup_server_message_set_status(msg, SOUP_STATUS_BAD_GATEWAY, NULL);
        else
            serve_image(msg, path, query);
    } else if (g_str_equal(path, "/page.html")) {
        soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
        soup_server_message_set_response(msg, "text/html", SOUP_MEMORY_STATIC, "<p>hi</p>", 9);
    } else if (g_str_equal(path, "/big.jpg")) {
        g_autoptr(GBytes) body = image_bytes(path, BIG_SIZE);
        soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
        soup_server_message_set_response(msg, "image/jpeg", SOUP_MEMORY_COPY,
                                         g_bytes_get_data(body, NULL), g_bytes_get_size(body));
    } else if (g_str_equal(path, "/big-chunked.jpg")) {
        serve_chunked(msg, BIG_SIZE);
    } else if (g_str_equal(path, "/redirect-here.jpg")) {
        serve_redirect(msg, "/img/target-here.jpg");
    } else if (g_str_equal(path, "/redirect-away.jpg")) {
        /* Another host name for the same server: where a redirect must not take us. */
        g_autofree char *away = g_strdup_printf("http://localhost:%d/img/target-away.jpg",
                                                g_uri_get_port(soup_server_message_get_uri(msg)));
        serve_redirect(msg, away);
    } else {
        soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, NULL);
    }
}

static void fixture_set_up(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    f->dir = g_dir_make_tmp("spotnow-test-art-XXXXXX", &error);
    g_assert_no_error(error);
    f->cache_dir = g_build_filename(f->dir, "art", NULL);
    f->requests = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    f->server = soup_server_new(NULL, NULL);
    soup_server_add_handler(f->server, NULL, handle, f, NULL);
    soup_server_listen_local(f->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
    g_assert_no_error(error);
    GSList *uris = soup_server_get_uris(f->server);
    g_assert_nonnull(uris);
    g_autofree char *base = g_uri_to_string(uris->data);
    g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
    /* "http://127.0.0.1:PORT/" without the slash */
    f->base_url = g_strndup(base, strlen(base) - 1);
}

static void remove_tree(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        if (g_file_test(child, G_FILE_TEST_IS_DIR))
            remove_tree(child);
        else
            g_unlink(child);
    }
    g_rmdir(path);
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
    soup_server_disconnect(f->server);
    g_clear_object(&f->server);
    /* Let the server's and the sessions' last callbacks run before the next test. */
    while (g_main_context_iteration(NULL, FALSE))
        ;
    remove_tree(f->dir);
    g_free(f->dir);
    g_free(f->cache_dir);
    g_free(f->base_url);
    g_hash_table_unref(f->requests);
}

static char *url_for(Fixture *f, const char *path)
{
    return g_strconcat(f->base_url, path, NULL);
}

static guint requests_for(Fixture *f, const char *path_and_query)
{
    const char *query = strchr(path_and_query, '?');
    g_autofree char *key =
        query ? g_strdup(path_and_query) : g_strconcat(path_and_query, "?", NULL);
    return GPOINTER_TO_UINT(g_hash_table_lookup(f->requests, key));
}

/* ---- helpers ------------------------------------------------------------------------------- */

typedef struct {
    gboolean done;
    char *path;
    GError *error;
} Result;

static void result_clear(Result *result)
{
    g_clear_pointer(&result->path, g_free);
    g_clear_error(&result->error);
    result->done = FALSE;
}

static void on_fetched(GObject *source, GAsyncResult *res, gpointer user_data)
{
    Result *result = user_data;
    result->path = spn_art_cache_fetch_finish(SPN_ART_CACHE(source), res, &result->error);
    g_assert_true((result->path == NULL) != (result->error == NULL));
    result->done = TRUE;
}

static void wait_for(Result *result)
{
    while (!result->done)
        g_main_context_iteration(NULL, TRUE);
}

static char *fetch_sync(SpnArtCache *cache, const char *url, GError **error)
{
    Result result = {0};
    spn_art_cache_fetch(cache, url, NULL, on_fetched, &result);
    wait_for(&result);
    if (result.error != NULL)
        g_propagate_error(error, g_steal_pointer(&result.error));
    return result.path;
}

#define FOREIGN_FILE "README.admin"

/* Bytes and count of the cache's own files (not the FOREIGN_FILE a test plants). */
static guint64 dir_total(const char *path, guint *files)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    guint64 total = 0;
    const char *name;
    *files = 0;
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        if (g_str_equal(name, FOREIGN_FILE))
            continue;
        g_autofree char *child = g_build_filename(path, name, NULL);
        GStatBuf st;
        g_assert_cmpint(g_stat(child, &st), ==, 0);
        total += (guint64)st.st_size;
        (*files)++;
    }
    return total;
}

static void assert_file_equals(const char *path, const char *name, gsize size)
{
    g_autofree char *contents = NULL;
    gsize length = 0;
    g_autoptr(GError) error = NULL;
    g_file_get_contents(path, &contents, &length, &error);
    g_assert_no_error(error);
    g_autoptr(GBytes) expected = image_bytes(name, size);
    g_assert_cmpmem(contents, length, g_bytes_get_data(expected, NULL), g_bytes_get_size(expected));
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_fetch_once(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnArtCache) cache = spn_art_cache_new(f->cache_dir, 1024 * 1024);
    g_autofree char *url = url_for(f, "/img/cover.jpg");
    g_autoptr(GError) error = NULL;

    g_assert_null(spn_art_cache_lookup(cache, url));
    g_autofree char *path = fetch_sync(cache, url, &error);
    g_assert_no_error(error);
    g_assert_true(g_str_has_prefix(path, f->cache_dir));
    g_assert_true(g_str_has_suffix(path, ".jpg"));
    assert_file_equals(path, "/img/cover.jpg", IMAGE_SIZE);

    g_autofree char *again = fetch_sync(cache, url, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(again, ==, path);
    g_assert_cmpstr(spn_art_cache_lookup(cache, url), ==, path);
    g_assert_cmpuint(requests_for(f, "/img/cover.jpg"), ==, 1);

    /* A restarted daemon finds the file on disk without asking the network. */
    g_autoptr(SpnArtCache) restarted = spn_art_cache_new(f->cache_dir, 1024 * 1024);
    g_assert_cmpstr(spn_art_cache_lookup(restarted, url), ==, path);
    g_autofree char *third = fetch_sync(restarted, url, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(third, ==, path);
    g_assert_cmpuint(f->total_requests, ==, 1);
}

static void test_content_type_names_file(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnArtCache) cache = spn_art_cache_new(f->cache_dir, 1024 * 1024);
    g_autofree char *url = url_for(f, "/img/cover.png?type=image/png");
    g_autoptr(GError) error = NULL;
    g_autofree char *path = fetch_sync(cache, url, &error);
    g_assert_no_error(error);
    g_assert_true(g_str_has_suffix(path, ".png"));
    g_assert_cmpstr(spn_art_cache_lookup(cache, url), ==, path);
}

/* The system unit's UMask=0077 must not make the cover private: every user's panel reads it. */
static void test_readable_by_all_whatever_the_umask(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnArtCache) cache = spn_art_cache_new(f->cache_dir, 1024 * 1024);
    g_autofree char *url = url_for(f, "/img/shared.jpg");
    g_autoptr(GError) error = NULL;
    mode_t saved = umask(0077);
    g_autofree char *path = fetch_sync(cache, url, &error);
    umask(saved);
    g_assert_no_error(error);
    GStatBuf st;
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0644);

    /* One an older spotnow left 0600 is opened up when it is shown. */
    g_assert_cmpint(g_chmod(path, 0600), ==, 0);
    g_autoptr(SpnArtCache) restarted = spn_art_cache_new(f->cache_dir, 1024 * 1024);
    g_assert_cmpstr(spn_art_cache_lookup(restarted, url), ==, path);
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0644);
}

static gint64 mtime_us(const char *path)
{
    GStatBuf st;
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    return (gint64)st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
}

static void set_mtime_s(const char *path, gint64 seconds)
{
    struct utimbuf times = {.actime = (time_t)seconds, .modtime = (time_t)seconds};
    g_assert_cmpint(g_utime(path, &times), ==, 0);
}

/* Every poll looks the cover up: only a change of cover may cost a write (a utimensat). */
static void test_lookup_touches_once_per_change(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnArtCache) cache = spn_art_cache_new(f->cache_dir, 1024 * 1024);
    g_autofree char *url_a = url_for(f, "/img/a.jpg");
    g_autofree char *url_b = url_for(f, "/img/b.jpg");
    g_autoptr(GError) error = NULL;
    g_autofree char *a = fetch_sync(cache, url_a, &error);
    g_assert_no_error(error);
    g_autofree char *b = fetch_sync(cache, url_b, &error);
    g_assert_no_error(error);

    g_assert_cmpstr(spn_art_cache_lookup(cache, url_a), ==, a); /* a new cover: touched */
    g_assert_cmpint(mtime_us(a), >, G_GINT64_CONSTANT(1000000) * G_USEC_PER_SEC);
    set_mtime_s(a, 1000000);
    for (int poll = 0; poll < 5; poll++)
        g_assert_cmpstr(spn_art_cache_lookup(cache, url_a), ==, a);
    g_assert_cmpint(mtime_us(a), ==, G_GINT64_CONSTANT(1000000) * G_USEC_PER_SEC);

    /* The next track's cover, then the first again: each change is a use. */
    set_mtime_s(b, 1000000);
    g_assert_cmpstr(spn_art_cache_lookup(cache, url_b), ==, b);
    g_assert_cmpint(mtime_us(b), >, G_GINT64_CONSTANT(1000000) * G_USEC_PER_SEC);
    g_assert_cmpstr(spn_art_cache_lookup(cache, url_a), ==, a);
    g_assert_cmpint(mtime_us(a), >, G_GINT64_CONSTANT(1000000) * G_USEC_PER_SEC);
}

static void test_concurrent_share_one_request(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnArtCache) cache = spn_art_cache_new(f->cache_dir, 1024 * 1024);
    g_autofree char *url = url_for(f, "/slow.jpg");
    Result a = {0}, b = {0}, c = {0};

    spn_art_cache_fetch(cache, url, NULL, on_fetched, &a);
    spn_art_cache_fetch(cache, url, NULL, on_fetched, &b);
    /* A third caller arriving while the first request is on the wire joins it too. */
    while (f->total_requests == 0)
        g_main_context_iteration(NULL, TRUE);
    spn_art_cache_fetch(cache, url, NULL, on_fetched, &c);
    wait_for(&a);
    wait_for(&b);
    wait_for(&c);
    g_assert_no_error(a.error);
    g_assert_no_error(b.error);
    g_assert_no_error(c.error);
    g_assert_cmpstr(a.path, ==, b.path);
    g_assert_cmpstr(a.path, ==, c.path);
    assert_file_equals(a.path, "/slow.jpg", IMAGE_SIZE);
    g_assert_cmpuint(requests_for(f, "/slow.jpg"), ==, 1);
    result_clear(&a);
    result_clear(&b);
    result_clear(&c);
}

static void test_eviction_keeps_bound(Fixture *f, gconstpointer data)
{
    const guint64 max = 25000; /* room for two images of IMAGE_SIZE */
    g_autoptr(SpnArtCache) cache = spn_art_cache_new(f->cache_dir, max);
    const char *names[] = {"/img/a.jpg", "/img/b.jpg", "/img/c.jpg", "/img/d.jpg"};
    char *paths[G_N_ELEMENTS(names)] = {NULL};
    g_autoptr(GError) error = NULL;
    guint files = 0;
    /* Someone else's file, older and larger than the bound: neither counted nor removed. */
    g_autofree char *foreign = g_build_filename(f->cache_dir, FOREIGN_FILE, NULL);
    g_autofree char *big = g_strnfill(max * 2, 'x');
    g_assert_cmpint(g_mkdir_with_parents(f->cache_dir, 0700), ==, 0);
    g_assert_true(g_file_set_contents(foreign, big, -1, NULL));
    g_usleep(MTIME_STEP_US);

    for (guint i = 0; i < 3; i++) {
        g_autofree char *url = url_for(f, names[i]);
        paths[i] = fetch_sync(cache, url, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(dir_total(f->cache_dir, &files), <=, max);
        g_usleep(MTIME_STEP_US);
    }
    /* a was oldest: gone; b and c stay. */
    g_assert_false(g_file_test(paths[0], G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(paths[1], G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(paths[2], G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(foreign, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(files, ==, 2);

    /* Looking b up (it is on screen) makes c the oldest: d evicts c, not b. */
    g_autofree char *url_b = url_for(f, names[1]);
    g_assert_cmpstr(spn_art_cache_lookup(cache, url_b), ==, paths[1]);
    g_usleep(MTIME_STEP_US);
    g_autofree char *url_d = url_for(f, names[3]);
    paths[3] = fetch_sync(cache, url_d, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(dir_total(f->cache_dir, &files), <=, max);
    g_assert_true(g_file_test(paths[1], G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(paths[2], G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(paths[3], G_FILE_TEST_EXISTS));

    /* An evicted image is fetched again when asked for. */
    g_autofree char *url_a = url_for(f, names[0]);
    g_assert_null(spn_art_cache_lookup(cache, url_a));
    g_autofree char *again = fetch_sync(cache, url_a, &error);
    g_assert_no_error(error);
    g_assert_nonnull(again);
    g_assert_cmpuint(requests_for(f, names[0]), ==, 2);
    for (guint i = 0; i < G_N_ELEMENTS(paths); i++)
        g_free(paths[i]);
}

static void assert_fails_without_file(Fixture *f, const char *path, GQuark domain, int code)
{
    g_autoptr(SpnArtCache) cache = spn_art_cache_new(f->cache_dir, 50 * 1024 * 1024);
    g_autofree char *url = g_str_has_prefix(path, "/") ? url_for(f, path) : g_strdup(path);
    g_autoptr(GError) error = NULL;
    g_autofree char *result = fetch_sync(cache, url, &error);
    g_assert_error(error, domain, code);
    g_assert_null(result);
    g_assert_null(spn_art_cache_lookup(cache, url));
    guint files = 0;
    dir_total(f->cache_dir, &files);
    g_assert_cmpuint(files, ==, 0);
}

static void test_not_an_image(Fixture *f, gconstpointer data)
{
    assert_fails_without_file(f, "/page.html", SPN_ERROR, SPN_ERROR_UPSTREAM);
}

static void test_too_large(Fixture *f, gconstpointer data)
{
    /* Declared by Content-Length, and only discovered while reading a chunked body. */
    assert_fails_without_file(f, "/big.jpg", SPN_ERROR, SPN_ERROR_UPSTREAM);
    assert_fails_without_file(f, "/big-chunked.jpg", SPN_ERROR, SPN_ERROR_UPSTREAM);
}

static void test_http_error(Fixture *f, gconstpointer data)
{
    assert_fails_without_file(f, "/missing.jpg", SPN_ERROR, SPN_ERROR_UPSTREAM);
    g_assert_cmpuint(requests_for(f, "/missing.jpg"), ==, 1);
}

static void test_only_http(Fixture *f, gconstpointer data)
{
    assert_fails_without_file(f, "file:///etc/passwd", G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    assert_fails_without_file(f, "ftp://127.0.0.1/a.jpg", G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    assert_fails_without_file(f, "not a url", G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    assert_fails_without_file(f, "", G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_cmpuint(f->total_requests, ==, 0);
}

/* The Web API's deadline covers a download (http.c's own test trickles bytes past it). */
static void test_deadline(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnArtCache) cache = spn_art_cache_new(f->cache_dir, 1024 * 1024);
    spn_art_cache_set_timeout(cache, 0.1); /* /slow.jpg answers after 300 ms */
    g_autofree char *url = url_for(f, "/slow.jpg");
    g_autoptr(GError) error = NULL;
    g_autofree char *path = fetch_sync(cache, url, &error);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
    g_assert_nonnull(strstr(error->message, "no reply from 127.0.0.1 within 0.1 s"));
    g_assert_null(path);
    g_assert_null(spn_art_cache_lookup(cache, url));
}

static void test_no_redirect_is_followed(Fixture *f, gconstpointer data)
{
    assert_fails_without_file(f, "/redirect-here.jpg", SPN_ERROR, SPN_ERROR_UPSTREAM);
    assert_fails_without_file(f, "/redirect-away.jpg", SPN_ERROR, SPN_ERROR_UPSTREAM);
    g_assert_cmpuint(requests_for(f, "/img/target-here.jpg"), ==, 0);
    g_assert_cmpuint(requests_for(f, "/img/target-away.jpg"), ==, 0);
}

/* Raster images only: SVG is a document (scripts, external references) every panel loads. */
static void test_only_raster_images(Fixture *f, gconstpointer data)
{
    assert_fails_without_file(f, "/img/cover.svg?type=image/svg%2Bxml", SPN_ERROR,
                              SPN_ERROR_UPSTREAM);
    assert_fails_without_file(f, "/img/cover.tiff?type=image/tiff", SPN_ERROR, SPN_ERROR_UPSTREAM);
    static const char *const raster[] = {"image/jpeg", "image/png", "image/webp", "image/gif"};
    g_autoptr(SpnArtCache) cache = spn_art_cache_new(f->cache_dir, 1024 * 1024);
    for (gsize i = 0; i < G_N_ELEMENTS(raster); i++) {
        g_autofree char *url = g_strdup_printf("%s/img/%zu?type=%s", f->base_url, i, raster[i]);
        g_autoptr(GError) error = NULL;
        g_autofree char *path = fetch_sync(cache, url, &error);
        g_assert_no_error(error);
        g_assert_true(g_str_has_suffix(path, strchr(raster[i], '/') + 1) ||
                      g_str_has_suffix(path, ".jpg"));
    }
}

static void test_cancel_one_caller(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnArtCache) cache = spn_art_cache_new(f->cache_dir, 1024 * 1024);
    g_autofree char *url = url_for(f, "/slow.jpg");
    g_autoptr(GCancellable) cancellable = g_cancellable_new();
    Result kept = {0}, dropped = {0};

    spn_art_cache_fetch(cache, url, NULL, on_fetched, &kept);
    spn_art_cache_fetch(cache, url, cancellable, on_fetched, &dropped);
    g_cancellable_cancel(cancellable);
    wait_for(&dropped);
    g_assert_error(dropped.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    wait_for(&kept);
    g_assert_no_error(kept.error);
    assert_file_equals(kept.path, "/slow.jpg", IMAGE_SIZE);
    g_assert_cmpuint(requests_for(f, "/slow.jpg"), ==, 1);
    result_clear(&kept);
    result_clear(&dropped);
}

static void test_cancel_last_caller(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnArtCache) cache = spn_art_cache_new(f->cache_dir, 1024 * 1024);
    g_autofree char *url = url_for(f, "/slow.jpg");
    g_autoptr(GCancellable) cancellable = g_cancellable_new();
    Result result = {0};

    spn_art_cache_fetch(cache, url, cancellable, on_fetched, &result);
    while (f->total_requests == 0)
        g_main_context_iteration(NULL, TRUE);
    g_cancellable_cancel(cancellable);
    wait_for(&result);
    g_assert_error(result.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    /* Past the server's delay: a download nobody waits for must not land on disk. */
    g_usleep(400 * 1000);
    for (int i = 0; i < 50; i++)
        g_main_context_iteration(NULL, FALSE);
    guint files = 0;
    dir_total(f->cache_dir, &files);
    g_assert_cmpuint(files, ==, 0);
    result_clear(&result);
}

/* ---- the resolver: one download per URL, a failed one retried after its back-off ---------- */

typedef struct {
    guint resolved;
    char *path;
} Resolved;

static void on_resolved(SpnArtResolver *art, const char *url, const char *path, gpointer data)
{
    Resolved *r = data;
    r->resolved++;
    g_free(r->path);
    r->path = g_strdup(path);
}

static void test_resolver_retries_after_backoff(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnArtCache) cache = spn_art_cache_new(f->cache_dir, 1024 * 1024);
    g_autoptr(SpnArtResolver) art = spn_art_resolver_new(cache);
    Resolved r = {0};
    g_signal_connect(art, "resolved", G_CALLBACK(on_resolved), &r);
    g_autofree char *url = url_for(f, "/flaky.jpg");
    gboolean fetching = FALSE;
    g_assert_null(spn_art_resolver_resolve(art, url, &fetching));
    g_assert_true(fetching);
    /* Asked again while on its way: the same download. */
    g_assert_null(spn_art_resolver_resolve(art, url, &fetching));
    g_assert_true(fetching);
    while (r.resolved == 0)
        g_main_context_iteration(NULL, TRUE);
    g_assert_null(r.path);
    /* Failed: not fetched again on the next poll (the back-off is a minute). */
    g_assert_null(spn_art_resolver_resolve(art, url, &fetching));
    g_assert_false(fetching);
    g_assert_cmpuint(requests_for(f, "/flaky.jpg"), ==, 1);
    g_free(r.path);
}

static void test_resolver_failure_does_not_stick(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnArtCache) cache = spn_art_cache_new(f->cache_dir, 1024 * 1024);
    /* A back-off of milliseconds: a later poll fetches the image that failed. */
    g_autoptr(SpnArtResolver) art = spn_art_resolver_new_full(cache, 0.001, 0.002);
    Resolved r = {0};
    g_signal_connect(art, "resolved", G_CALLBACK(on_resolved), &r);
    g_autofree char *url = url_for(f, "/flaky.jpg");
    gboolean fetching = FALSE;
    const char *cached = NULL;
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while ((cached = spn_art_resolver_resolve(art, url, &fetching)) == NULL) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_main_context_iteration(NULL, fetching);
    }
    /* The file is in the cache a moment before the download's callback has run. */
    while (r.resolved < 2)
        g_main_context_iteration(NULL, TRUE);
    g_assert_cmpuint(requests_for(f, "/flaky.jpg"), ==, 2);
    g_assert_cmpstr(r.path, ==, cached);
    g_free(r.path);
}

static void test_default_dir(void)
{
    g_autofree char *session = spn_art_cache_default_dir(FALSE);
    g_autofree char *expected = g_build_filename(g_get_user_cache_dir(), "spotnow", "art", NULL);
    g_assert_cmpstr(session, ==, expected);

    g_setenv("CACHE_DIRECTORY", "/var/cache/custom:/var/cache/other", TRUE);
    g_autofree char *systemd = spn_art_cache_default_dir(TRUE);
    g_assert_cmpstr(systemd, ==, "/var/cache/custom");
    g_unsetenv("CACHE_DIRECTORY");
    g_autofree char *system = spn_art_cache_default_dir(TRUE);
    g_assert_cmpstr(system, ==, "/var/cache/spotnow");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, func) \
    g_test_add("/art-cache/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
    ADD("fetch-once", test_fetch_once);
    ADD("content-type-names-file", test_content_type_names_file);
    ADD("readable-by-all-whatever-the-umask", test_readable_by_all_whatever_the_umask);
    ADD("lookup-touches-once-per-change", test_lookup_touches_once_per_change);
    ADD("concurrent-share-one-request", test_concurrent_share_one_request);
    ADD("eviction-keeps-bound", test_eviction_keeps_bound);
    ADD("not-an-image", test_not_an_image);
    ADD("too-large", test_too_large);
    ADD("http-error", test_http_error);
    ADD("only-http", test_only_http);
    ADD("deadline", test_deadline);
    ADD("no-redirect-is-followed", test_no_redirect_is_followed);
    ADD("only-raster-images", test_only_raster_images);
    ADD("cancel-one-caller", test_cancel_one_caller);
    ADD("cancel-last-caller", test_cancel_last_caller);
    ADD("resolver-retries-after-backoff", test_resolver_retries_after_backoff);
    ADD("resolver-failure-does-not-stick", test_resolver_failure_does_not_stick);
#undef ADD
    g_test_add_func("/art-cache/default-dir", test_default_dir);
    return g_test_run();
}
