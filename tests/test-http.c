/* test-http.c — http.c's bounds against a real SoupServer on 127.0.0.1: a deadline over the
 * whole exchange (not per read), a body cap, no redirect followed, a header check that stops a
 * reply before its body, and one shared session.
 */
#define G_LOG_DOMAIN "spotnow-test-http"

#include <glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "http.h"

/* One byte every TRICKLE_MS: each read succeeds at once, only the whole takes long. */
#define TRICKLE_MS 200
#define TRICKLE_BYTES 60

typedef struct {
    SoupServer *server;
    char *base_url;
    GHashTable *requests; /* path -> count */
    SoupSession *session;
} Fixture;

static gboolean trickle_byte(gpointer user_data)
{
    SoupServerMessage *msg = user_data;
    SoupMessageBody *body = soup_server_message_get_response_body(msg);
    guint sent = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(msg), "sent")) + 1;
    soup_message_body_append(body, SOUP_MEMORY_STATIC, "x", 1);
    g_object_set_data(G_OBJECT(msg), "sent", GUINT_TO_POINTER(sent));
    if (sent == TRICKLE_BYTES) {
        soup_message_body_complete(body);
        g_object_set_data(G_OBJECT(msg), "trickle", NULL);
    }
    soup_server_message_unpause(msg);
    return sent < TRICKLE_BYTES ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* The client hung up (its deadline): no more bytes for a message that is gone. */
static void stop_trickle(SoupServerMessage *msg, gpointer user_data)
{
    guint source = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(msg), "trickle"));
    if (source != 0)
        g_source_remove(source);
    g_object_set_data(G_OBJECT(msg), "trickle", NULL);
}

static void serve_trickle(SoupServerMessage *msg)
{
    SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
    soup_message_headers_set_encoding(headers, SOUP_ENCODING_CHUNKED);
    soup_message_headers_set_content_type(headers, "application/json", NULL);
    soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
    guint source = g_timeout_add_full(G_PRIORITY_DEFAULT, TRICKLE_MS, trickle_byte,
                                      g_object_ref(msg), g_object_unref);
    g_object_set_data(G_OBJECT(msg), "trickle", GUINT_TO_POINTER(source));
    g_signal_connect(msg, "finished", G_CALLBACK(stop_trickle), NULL);
    g_signal_connect(msg, "disconnected", G_CALLBACK(stop_trickle), NULL);
}

static void handle(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                   gpointer user_data)
{
    Fixture *f = user_data;
    guint count = GPOINTER_TO_UINT(g_hash_table_lookup(f->requests, path));
    g_hash_table_insert(f->requests, g_strdup(path), GUINT_TO_POINTER(count + 1));

    if (g_str_equal(path, "/trickle")) {
        serve_trickle(msg);
    } else if (g_str_equal(path, "/redirect-away")) {
        /* Another host name for this same server: where a token must never follow. */
        g_autofree char *away = g_strdup_printf("http://localhost:%d/target",
                                                g_uri_get_port(soup_server_message_get_uri(msg)));
        soup_server_message_set_redirect(msg, SOUP_STATUS_FOUND, away);
    } else if (g_str_equal(path, "/redirect-here")) {
        soup_server_message_set_redirect(msg, SOUP_STATUS_MOVED_PERMANENTLY, "/target");
    } else if (g_str_equal(path, "/big")) {
        g_autofree char *body = g_strnfill(100 * 1024, 'x');
        soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
        soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_COPY, body, strlen(body));
    } else {
        soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
        soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_STATIC, "target", 6);
    }
}

static void fixture_set_up(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    f->requests = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    f->server = soup_server_new(NULL, NULL);
    soup_server_add_handler(f->server, NULL, handle, f, NULL);
    soup_server_listen_local(f->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
    g_assert_no_error(error);
    GSList *uris = soup_server_get_uris(f->server);
    g_autofree char *base = g_uri_to_string(uris->data);
    g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
    f->base_url = g_strndup(base, strlen(base) - 1); /* without the last slash */
    f->session = spn_http_session_ref();
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
    g_clear_object(&f->session);
    soup_server_disconnect(f->server);
    g_clear_object(&f->server);
    while (g_main_context_iteration(NULL, FALSE))
        ;
    g_free(f->base_url);
    g_hash_table_unref(f->requests);
}

static guint requests_for(Fixture *f, const char *path)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(f->requests, path));
}

typedef struct {
    gboolean done;
    SpnHttpReply *reply;
    GError *error;
} Result;

static void on_sent(GObject *source, GAsyncResult *res, gpointer user_data)
{
    Result *result = user_data;
    result->reply = spn_http_send_finish(res, &result->error);
    g_assert_true((result->reply == NULL) != (result->error == NULL));
    result->done = TRUE;
}

/* GET @path within @limits; the reply or NULL with @error set. */
static SpnHttpReply *get(Fixture *f, const char *path, const SpnHttpLimits *limits, GError **error)
{
    g_autofree char *url = g_strconcat(f->base_url, path, NULL);
    Result result = {0};
    spn_http_send(f->session, soup_message_new(SOUP_METHOD_GET, url), limits, G_PRIORITY_DEFAULT,
                  NULL, on_sent, &result);
    while (!result.done)
        g_main_context_iteration(NULL, TRUE);
    if (result.error != NULL)
        g_propagate_error(error, result.error);
    return result.reply;
}

/* A server trickling a byte every 200 ms never lets a read time out; only a deadline over the
 * whole exchange ends it. The trickle would take 12 s: 1 s is far from it on any machine. */
static void test_deadline_covers_the_whole_exchange(Fixture *f, gconstpointer data)
{
    const SpnHttpLimits limits = {.peer = "Spotify", .deadline_ms = 1000, .max_body = 1024};
    g_autoptr(GError) error = NULL;
    gint64 start = g_get_monotonic_time();
    g_autoptr(SpnHttpReply) reply = get(f, "/trickle", &limits, &error);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
    g_assert_cmpstr(error->message, ==, "no reply from Spotify within 1.0 s");
    g_assert_null(reply);
    g_assert_cmpint(g_get_monotonic_time() - start, <, (gint64)TRICKLE_MS * TRICKLE_BYTES * 1000);
}

static void test_no_redirect_is_followed(Fixture *f, gconstpointer data)
{
    const SpnHttpLimits limits = {.peer = "Spotify", .deadline_ms = 10000, .max_body = 1024};
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnHttpReply) away = get(f, "/redirect-away", &limits, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(away->status, ==, SOUP_STATUS_FOUND);
    g_autoptr(SpnHttpReply) here = get(f, "/redirect-here", &limits, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(here->status, ==, SOUP_STATUS_MOVED_PERMANENTLY);
    g_assert_cmpuint(requests_for(f, "/target"), ==, 0);
}

static void test_body_is_capped(Fixture *f, gconstpointer data)
{
    const SpnHttpLimits limits = {.peer = "Spotify", .deadline_ms = 10000, .max_body = 64 * 1024};
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnHttpReply) reply = get(f, "/big", &limits, &error);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
    g_assert_cmpstr(error->message, ==, "the reply from Spotify is larger than 64 KiB");
    g_assert_null(reply);
}

static GError *refuse_text(SoupMessage *message, gpointer user_data)
{
    (*(guint *)user_data)++;
    const char *type =
        soup_message_headers_get_content_type(soup_message_get_response_headers(message), NULL);
    if (g_strcmp0(type, "text/plain") == 0)
        return g_error_new_literal(G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "no text here");
    return NULL;
}

static void test_check_stops_before_the_body(Fixture *f, gconstpointer data)
{
    guint checked = 0;
    const SpnHttpLimits limits = {.peer = "Spotify",
                                  .deadline_ms = 10000,
                                  .max_body = 1024,
                                  .check = refuse_text,
                                  .check_data = &checked};
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnHttpReply) reply = get(f, "/target", &limits, &error);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
    g_assert_null(reply);
    g_assert_cmpuint(checked, ==, 1);
}

/* The API and the art cache hold one session between them; it goes with its last holder. */
static void test_one_session(void)
{
    SoupSession *a = spn_http_session_ref();
    SoupSession *b = spn_http_session_ref();
    g_assert_true(a == b);
    g_object_add_weak_pointer(G_OBJECT(a), (gpointer *)&a);
    g_object_unref(b);
    g_assert_nonnull(a);
    g_object_unref(a);
    g_assert_null(a);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, func) \
    g_test_add("/http/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
    ADD("deadline-covers-the-whole-exchange", test_deadline_covers_the_whole_exchange);
    ADD("no-redirect-is-followed", test_no_redirect_is_followed);
    ADD("body-is-capped", test_body_is_capped);
    ADD("check-stops-before-the-body", test_check_stops_before_the_body);
#undef ADD
    g_test_add_func("/http/one-session", test_one_session);
    return g_test_run();
}
