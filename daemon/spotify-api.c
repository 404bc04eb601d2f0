/* spotify-api.c — libsoup transport with bounded bodies and a whole-request deadline. */
#define G_LOG_DOMAIN "spotnow-http"

#include "spotify-api.h"

#include <libsoup/soup.h>
#include <math.h>
#include <string.h>

#define READ_CHUNK (64 * 1024)

struct _SpnSpotifyApi {
    GObject parent_instance;
    SoupSession *session;
    char *api_base_url;
    char *accounts_base_url;
    guint timeout_ms;
    guint64 request_count;
    guint64 api_request_count;
    gboolean keep_alive;
};

G_DEFINE_TYPE(SpnSpotifyApi, spn_spotify_api, G_TYPE_OBJECT)

void spn_http_reply_free(SpnHttpReply *reply)
{
    if (reply == NULL)
        return;
    g_free(reply->reason);
    g_bytes_unref(reply->body);
    g_free(reply->retry_after);
    g_free(reply);
}

static void spn_spotify_api_finalize(GObject *object)
{
    SpnSpotifyApi *self = SPN_SPOTIFY_API(object);
    g_clear_object(&self->session);
    g_free(self->api_base_url);
    g_free(self->accounts_base_url);
    G_OBJECT_CLASS(spn_spotify_api_parent_class)->finalize(object);
}

static void spn_spotify_api_class_init(SpnSpotifyApiClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = spn_spotify_api_finalize;
}

static void spn_spotify_api_init(SpnSpotifyApi *self)
{
    self->keep_alive = TRUE;
}

void spn_spotify_api_set_keep_alive(SpnSpotifyApi *self, gboolean keep_alive)
{
    self->keep_alive = keep_alive;
}

SpnSpotifyApi *spn_spotify_api_new(const char *api_base_url, const char *accounts_base_url,
                                   double timeout_s)
{
    SpnSpotifyApi *self = g_object_new(SPN_TYPE_SPOTIFY_API, NULL);
    self->api_base_url = g_strdup(api_base_url);
    self->accounts_base_url = g_strdup(accounts_base_url);
    self->timeout_ms = (guint)CLAMP(llround(timeout_s * 1000.0), 1, 300000);
    /* The session's own timeout bounds each blocking read; our deadline below bounds the whole
     * request, so a server trickling bytes cannot hold a poll open for ever. */
    self->session = soup_session_new_with_options(
        "timeout", (guint)MAX(1, (self->timeout_ms + 999) / 1000), "idle-timeout", 60, "user-agent",
        "spotnow/" SPOTNOW_VERSION " ", "max-conns-per-host", 2, NULL);
    return self;
}

guint64 spn_spotify_api_get_api_request_count(SpnSpotifyApi *self)
{
    return self->api_request_count;
}

guint64 spn_spotify_api_get_request_count(SpnSpotifyApi *self)
{
    return self->request_count;
}

/* One request in progress: the message, the body collected so far and the deadline. */
typedef struct {
    SoupMessage *message;
    GInputStream *stream;
    GByteArray *body;
    GCancellable *cancellable; /* ours: cancelled by the deadline or the caller's */
    GCancellable *caller_cancellable;
    gulong caller_handler;
    guint deadline_source;
    gboolean timed_out;
    guint timeout_ms;
} Request;

static void request_free(Request *request)
{
    g_clear_handle_id(&request->deadline_source, g_source_remove);
    if (request->caller_cancellable != NULL)
        g_cancellable_disconnect(request->caller_cancellable, request->caller_handler);
    g_clear_object(&request->caller_cancellable);
    g_clear_object(&request->message);
    g_clear_object(&request->stream);
    g_clear_pointer(&request->body, g_byte_array_unref);
    g_clear_object(&request->cancellable);
    g_free(request);
}

static gboolean on_deadline(gpointer user_data)
{
    Request *request = user_data;
    request->deadline_source = 0;
    request->timed_out = TRUE;
    g_cancellable_cancel(request->cancellable);
    return G_SOURCE_REMOVE;
}

static void on_caller_cancelled(GCancellable *caller, gpointer user_data)
{
    g_cancellable_cancel(G_CANCELLABLE(user_data));
}

/* Errors reach GetStatus().lastError: say what happened in words, without URLs' secrets (our
 * URLs carry none) and without the raw GIO jargon where a plainer word exists. */
static void fail(GTask *task, GError *error)
{
    Request *request = g_task_get_task_data(task);
    if (request->timed_out) {
        g_clear_error(&error);
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                "no reply from Spotify within %u.%u s", request->timeout_ms / 1000,
                                (request->timeout_ms % 1000) / 100);
    } else {
        g_task_return_error(task, error);
    }
    g_object_unref(task);
}

static void complete(GTask *task)
{
    Request *request = g_task_get_task_data(task);
    SpnHttpReply *reply = g_new0(SpnHttpReply, 1);
    reply->status = soup_message_get_status(request->message);
    reply->reason = g_strdup(soup_message_get_reason_phrase(request->message));
    reply->body = g_byte_array_free_to_bytes(g_steal_pointer(&request->body));
    SoupMessageHeaders *headers = soup_message_get_response_headers(request->message);
    reply->retry_after = g_strdup(soup_message_headers_get_one(headers, "Retry-After"));
    g_debug("%s %s → %u (%zu bytes)", soup_message_get_method(request->message),
            g_uri_get_path(soup_message_get_uri(request->message)), reply->status,
            g_bytes_get_size(reply->body));
    g_task_return_pointer(task, reply, (GDestroyNotify)spn_http_reply_free);
    g_object_unref(task);
}

static void read_next_chunk(GTask *task);

static void on_chunk_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    Request *request = g_task_get_task_data(task);
    GError *error = NULL;
    g_autoptr(GBytes) chunk =
        g_input_stream_read_bytes_finish(G_INPUT_STREAM(source), result, &error);
    if (chunk == NULL) {
        fail(task, error);
        return;
    }
    gsize size = g_bytes_get_size(chunk);
    if (size == 0) {
        complete(task);
        return;
    }
    if (request->body->len + size > SPN_SPOTIFY_API_MAX_BODY) {
        g_cancellable_cancel(request->cancellable);
        fail(task,
             g_error_new(G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                         "Spotify's reply is larger than %d KiB", SPN_SPOTIFY_API_MAX_BODY / 1024));
        return;
    }
    g_byte_array_append(request->body, g_bytes_get_data(chunk, NULL), (guint)size);
    read_next_chunk(task);
}

static void read_next_chunk(GTask *task)
{
    Request *request = g_task_get_task_data(task);
    g_input_stream_read_bytes_async(request->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                    request->cancellable, on_chunk_read, task);
}

static void on_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GTask *task = user_data;
    Request *request = g_task_get_task_data(task);
    GError *error = NULL;
    request->stream = soup_session_send_finish(SOUP_SESSION(source), result, &error);
    if (request->stream == NULL) {
        fail(task, error);
        return;
    }
    goffset declared = soup_message_headers_get_content_length(
        soup_message_get_response_headers(request->message));
    if (declared > SPN_SPOTIFY_API_MAX_BODY) {
        g_cancellable_cancel(request->cancellable);
        fail(task,
             g_error_new(G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                         "Spotify's reply is larger than %d KiB", SPN_SPOTIFY_API_MAX_BODY / 1024));
        return;
    }
    read_next_chunk(task);
}

static void send_request(SpnSpotifyApi *self, SoupMessage *message, gpointer source_tag,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
    GTask *task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, source_tag);

    Request *request = g_new0(Request, 1);
    request->message = message;
    request->body = g_byte_array_new();
    request->cancellable = g_cancellable_new();
    request->timeout_ms = self->timeout_ms;
    if (cancellable != NULL) {
        request->caller_cancellable = g_object_ref(cancellable);
        request->caller_handler = g_cancellable_connect(
            cancellable, G_CALLBACK(on_caller_cancelled), request->cancellable, NULL);
    }
    request->deadline_source = g_timeout_add(self->timeout_ms, on_deadline, request);
    g_task_set_task_data(task, request, (GDestroyNotify)request_free);

    if (!self->keep_alive)
        soup_message_headers_replace(soup_message_get_request_headers(message), "Connection",
                                     "close");
    self->request_count++;
    soup_session_send_async(self->session, message, G_PRIORITY_DEFAULT, request->cancellable,
                            on_sent, task);
}

static SpnHttpReply *finish_request(SpnSpotifyApi *self, GAsyncResult *result, gpointer source_tag,
                                    GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), NULL);
    g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) == source_tag, NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

static SoupMessage *new_api_message(SpnSpotifyApi *self, const char *method,
                                    const char *path_and_query, const char *access_token)
{
    g_autofree char *url = g_strconcat(self->api_base_url, path_and_query, NULL);
    SoupMessage *message = soup_message_new(method, url);
    /* Counted when built: every API message built is sent (send_request). */
    self->api_request_count++;
    g_autofree char *authorization = g_strconcat("Bearer ", access_token ? access_token : "", NULL);
    SoupMessageHeaders *headers = soup_message_get_request_headers(message);
    soup_message_headers_replace(headers, "Authorization", authorization);
    soup_message_headers_replace(headers, "Accept", "application/json");
    return message;
}

void spn_spotify_api_get_currently_playing(SpnSpotifyApi *self, const char *access_token,
                                           GCancellable *cancellable, GAsyncReadyCallback callback,
                                           gpointer user_data)
{
    SoupMessage *message =
        new_api_message(self, SOUP_METHOD_GET,
                        "/v1/me/player/currently-playing?additional_types=episode", access_token);
    send_request(self, message, spn_spotify_api_get_currently_playing, cancellable, callback,
                 user_data);
}

void spn_spotify_api_player_command(SpnSpotifyApi *self, const char *access_token,
                                    const char *method, const char *path_and_query,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data)
{
    SoupMessage *message = new_api_message(self, method, path_and_query, access_token);
    /* Spotify wants a Content-Length on PUT/POST even without a body (411 otherwise). */
    g_autoptr(GBytes) empty = g_bytes_new_static("", 0);
    soup_message_set_request_body_from_bytes(message, NULL, empty);
    send_request(self, message, spn_spotify_api_player_command, cancellable, callback, user_data);
}

SpnHttpReply *spn_spotify_api_player_command_finish(SpnSpotifyApi *self, GAsyncResult *result,
                                                    GError **error)
{
    return finish_request(self, result, spn_spotify_api_player_command, error);
}

SpnHttpReply *spn_spotify_api_get_currently_playing_finish(SpnSpotifyApi *self,
                                                           GAsyncResult *result, GError **error)
{
    return finish_request(self, result, spn_spotify_api_get_currently_playing, error);
}

/* Both token grants: a form POST to <accounts>/api/token, the client identified by HTTP Basic
 * when it has a secret (confidential app) or by a client_id field (PKCE public client). */
static void post_token_form(SpnSpotifyApi *self, GHashTable *form, const char *client_id,
                            const char *client_secret, gpointer source_tag,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
    g_autofree char *url = g_strconcat(self->accounts_base_url, "/api/token", NULL);
    if (client_secret == NULL && client_id != NULL)
        g_hash_table_insert(form, "client_id", (gpointer)client_id);
    char *encoded = soup_form_encode_hash(form);

    SoupMessage *message = soup_message_new(SOUP_METHOD_POST, url);
    g_autoptr(GBytes) body = g_bytes_new_take(encoded, strlen(encoded));
    soup_message_set_request_body_from_bytes(message, "application/x-www-form-urlencoded", body);
    if (client_secret != NULL) {
        g_autofree char *pair = g_strconcat(client_id ? client_id : "", ":", client_secret, NULL);
        g_autofree char *basic = g_base64_encode((const guchar *)pair, strlen(pair));
        g_autofree char *authorization = g_strconcat("Basic ", basic, NULL);
        soup_message_headers_replace(soup_message_get_request_headers(message), "Authorization",
                                     authorization);
    }
    send_request(self, message, source_tag, cancellable, callback, user_data);
}

void spn_spotify_api_refresh_token(SpnSpotifyApi *self, const char *refresh_token,
                                   const char *client_id, const char *client_secret,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data)
{
    g_autoptr(GHashTable) form = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(form, "grant_type", "refresh_token");
    g_hash_table_insert(form, "refresh_token", (gpointer)(refresh_token ? refresh_token : ""));
    post_token_form(self, form, client_id, client_secret, spn_spotify_api_refresh_token,
                    cancellable, callback, user_data);
}

void spn_spotify_api_exchange_code(SpnSpotifyApi *self, const char *code, const char *redirect_uri,
                                   const char *code_verifier, const char *client_id,
                                   const char *client_secret, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GHashTable) form = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(form, "grant_type", "authorization_code");
    g_hash_table_insert(form, "code", (gpointer)code);
    g_hash_table_insert(form, "redirect_uri", (gpointer)redirect_uri);
    g_hash_table_insert(form, "code_verifier", (gpointer)code_verifier);
    post_token_form(self, form, client_id, client_secret, spn_spotify_api_exchange_code,
                    cancellable, callback, user_data);
}

SpnHttpReply *spn_spotify_api_exchange_code_finish(SpnSpotifyApi *self, GAsyncResult *result,
                                                   GError **error)
{
    return finish_request(self, result, spn_spotify_api_exchange_code, error);
}

SpnHttpReply *spn_spotify_api_refresh_token_finish(SpnSpotifyApi *self, GAsyncResult *result,
                                                   GError **error)
{
    return finish_request(self, result, spn_spotify_api_refresh_token, error);
}
