/* http.c — one SoupSession for the daemon, and requests with a deadline, a size cap and no
 * redirects. */
#define G_LOG_DOMAIN "spotnow-http"

#include "http.h"

#include <glib/gi18n.h>

#define READ_CHUNK (64 * 1024)

static SoupSession *shared_session;

SoupSession *spn_http_session_ref(void)
{
    if (shared_session != NULL)
        return g_object_ref(shared_session);
    /* No per-read "timeout": each request's deadline bounds all of it. Idle connections close
     * after a minute; two per host is all one poll, one command and one cover ever need. */
    shared_session = soup_session_new_with_options("idle-timeout", 60, "user-agent",
                                                   "spotnow/" SPOTNOW_VERSION " ",
                                                   "max-conns-per-host", 2, NULL);
    g_object_add_weak_pointer(G_OBJECT(shared_session), (gpointer *)&shared_session);
    return shared_session;
}

void spn_http_reply_free(SpnHttpReply *reply)
{
    if (reply == NULL)
        return;
    g_free(reply->reason);
    g_bytes_unref(reply->body);
    g_free(reply->retry_after);
    g_free(reply);
}

/* One request in progress: the message, the body collected so far and the deadline. */
typedef struct {
    SoupMessage *message;
    GInputStream *stream;
    GByteArray *body;
    char *peer;
    guint deadline_ms;
    gsize max_body;
    SpnHttpCheckFunc check;
    gpointer check_data;
    int io_priority;
    GCancellable *cancellable; /* ours: cancelled by the deadline, a failure or the caller's */
    GCancellable *caller_cancellable;
    gulong caller_handler;
    GSource *deadline;
    gboolean timed_out;
} Request;

static void request_free(Request *request)
{
    if (request->deadline != NULL) {
        g_source_destroy(request->deadline);
        g_source_unref(request->deadline);
    }
    if (request->caller_cancellable != NULL)
        g_cancellable_disconnect(request->caller_cancellable, request->caller_handler);
    g_clear_object(&request->caller_cancellable);
    g_clear_object(&request->message);
    g_clear_object(&request->stream);
    g_clear_pointer(&request->body, g_byte_array_unref);
    g_clear_object(&request->cancellable);
    g_free(request->peer);
    g_free(request);
}

static gboolean on_deadline(gpointer user_data)
{
    Request *request = user_data;
    request->timed_out = TRUE;
    g_cancellable_cancel(request->cancellable);
    return G_SOURCE_REMOVE;
}

static void on_caller_cancelled(GCancellable *caller, gpointer user_data)
{
    g_cancellable_cancel(G_CANCELLABLE(user_data));
}

/* Errors reach GetStatus().lastError: say what happened in words rather than GIO's jargon. The
 * connection is dropped, never drained, so a bad reply costs no more of the deadline. */
static void fail(GTask *task, GError *error)
{
    Request *request = g_task_get_task_data(task);
    g_cancellable_cancel(request->cancellable);
    if (request->timed_out) {
        g_clear_error(&error);
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                _("no reply from %s within %u.%u s"), request->peer,
                                request->deadline_ms / 1000, (request->deadline_ms % 1000) / 100);
    } else {
        g_task_return_error(task, error);
    }
    g_object_unref(task);
}

static GError *too_large(Request *request)
{
    return g_error_new(G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       _("the reply from %s is larger than %lu KiB"), request->peer,
                       (unsigned long)(request->max_body / 1024));
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
    g_debug("%s %s%s → %u (%zu bytes)", soup_message_get_method(request->message),
            g_uri_get_host(soup_message_get_uri(request->message)),
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
    if (request->body->len + size > request->max_body) {
        fail(task, too_large(request));
        return;
    }
    g_byte_array_append(request->body, g_bytes_get_data(chunk, NULL), (guint)size);
    read_next_chunk(task);
}

static void read_next_chunk(GTask *task)
{
    Request *request = g_task_get_task_data(task);
    g_input_stream_read_bytes_async(request->stream, READ_CHUNK, request->io_priority,
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
    if (request->check != NULL &&
        (error = request->check(request->message, request->check_data)) != NULL) {
        fail(task, error);
        return;
    }
    goffset declared = soup_message_headers_get_content_length(
        soup_message_get_response_headers(request->message));
    if (declared > 0 && (guint64)declared > request->max_body) {
        fail(task, too_large(request));
        return;
    }
    read_next_chunk(task);
}

void spn_http_send(SoupSession *session, SoupMessage *message, const SpnHttpLimits *limits,
                   int io_priority, GCancellable *cancellable, GAsyncReadyCallback callback,
                   gpointer user_data)
{
    g_return_if_fail(SOUP_IS_SESSION(session));
    g_return_if_fail(SOUP_IS_MESSAGE(message));
    g_return_if_fail(limits != NULL && limits->peer != NULL);

    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, spn_http_send);

    Request *request = g_new0(Request, 1);
    request->message = message;
    request->body = g_byte_array_new();
    request->peer = g_strdup(limits->peer);
    request->deadline_ms = MAX(limits->deadline_ms, 1);
    request->max_body = limits->max_body;
    request->check = limits->check;
    request->check_data = limits->check_data;
    request->io_priority = io_priority;
    request->cancellable = g_cancellable_new();
    if (cancellable != NULL) {
        request->caller_cancellable = g_object_ref(cancellable);
        request->caller_handler = g_cancellable_connect(
            cancellable, G_CALLBACK(on_caller_cancelled), request->cancellable, NULL);
    }
    /* In the context the reply is delivered in, like the session's own sources. */
    request->deadline = g_timeout_source_new(request->deadline_ms);
    g_source_set_callback(request->deadline, on_deadline, request, NULL);
    g_source_attach(request->deadline, g_task_get_context(task));
    g_task_set_task_data(task, request, (GDestroyNotify)request_free);

    /* A 3xx is a reply like any other: following it could take a token, or the daemon's next
     * minutes, to a host nobody chose. Spotify's API and image CDN answer without redirects. */
    soup_message_add_flags(message, SOUP_MESSAGE_NO_REDIRECT);
    soup_session_send_async(session, message, io_priority, request->cancellable, on_sent, task);
}

SpnHttpReply *spn_http_send_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) == spn_http_send, NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}
