/* web-bounds.c — refusals before any handler runs, and the deadline for slow and idle clients. */
#define G_LOG_DOMAIN "spotnow-web-bounds"

#include "web-bounds.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "web-deadlines.h"
#include "web-front.h"
#include "web-linger.h"

struct _SpnWebBounds {
    SoupServer *server;
    SpnWebLinger *linger; /* not owned */
    /* Messages whose request is still being read (slow clients), and messages being answered
     * (clients that do not read): each connection libsoup holds is in one of them. */
    SpnWebDeadlines reading;
    SpnWebDeadlines answering;
};

typedef struct {
    SpnWebDeadline deadline; /* first: in *queue */
    SpnWebDeadlines *queue;
    SoupServerMessage *msg; /* not a reference: the message owns this entry */
} Pending;
G_STATIC_ASSERT(G_STRUCT_OFFSET(Pending, deadline) == 0);

#define PENDING_KEY "spn-web-pending"

void spn_web_respond_error(SoupServerMessage *msg, guint status, const char *message)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "error");
    json_builder_add_string_value(builder, message);
    json_builder_end_object(builder);
    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    g_autofree char *json = json_to_string(root, FALSE);
    SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(headers, "Cache-Control", "no-store");
    soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
    soup_server_message_set_status(msg, status, NULL);
    soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, json, strlen(json));
}

/* ---- refusals: checked once the headers are in, before any body is read -------------------- */

static void add_header_size(const char *name, const char *value, gpointer user_data)
{
    gsize *total = user_data;
    *total += strlen(name) + strlen(value) + 4;
}

static void refuse(SoupServerMessage *msg, guint status, const char *message)
{
    spn_web_respond_error(msg, status, message);
    /* Whatever the client still sends is not read into memory, and the connection ends. */
    soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), FALSE);
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
                                 "close");
}

/* libsoup would read a body to its end before answering, and a chunked one need never end: the
 * connection is taken over, answered and closed here instead. */
static void refuse_body(SpnWebBounds *bounds, SoupServerMessage *msg)
{
    static const char reply[] =
        "HTTP/1.1 413 Content Too Large\r\n"
        "Content-Type: application/json\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n"
        "Content-Length: 43\r\n\r\n"
        "{\"error\":\"request bodies are not accepted\"}";
    G_STATIC_ASSERT(sizeof "{\"error\":\"request bodies are not accepted\"}" - 1 == 43);
    GSocket *socket = spn_web_front_socket_of(msg);
    if (socket == NULL)
        return;
    g_autoptr(GSocket) keep = g_object_ref(socket);
    GIOStream *stream = soup_server_message_steal_connection(msg);
    if (stream == NULL)
        return;
    g_autoptr(GError) error = NULL;
    /* A small reply into an empty socket buffer: it does not block. */
    if (!g_output_stream_write_all(g_io_stream_get_output_stream(stream), reply, sizeof reply - 1,
                                   NULL, NULL, &error))
        g_debug("cannot answer a request with a body: %s", error->message);
    /* The body the client still sends is drained, so the 413 is not lost to a reset. */
    spn_web_linger_close(bounds->linger, socket, stream);
}

static void pending_remove(SoupServerMessage *msg)
{
    g_object_set_data(G_OBJECT(msg), PENDING_KEY, NULL);
}

static void pending_move(SoupServerMessage *msg, SpnWebDeadlines *queue)
{
    Pending *pending = g_object_get_data(G_OBJECT(msg), PENDING_KEY);
    if (pending == NULL)
        return;
    spn_web_deadlines_remove(pending->queue, &pending->deadline);
    pending->queue = queue;
    spn_web_deadlines_add(queue, &pending->deadline);
}

static gboolean announces_body(SoupMessageHeaders *request)
{
    SoupEncoding encoding = soup_message_headers_get_encoding(request);
    return encoding == SOUP_ENCODING_CHUNKED ||
           (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
            soup_message_headers_get_content_length(request) > 0);
}

static void handle_early(SoupServer *server, SoupServerMessage *msg, const char *path,
                         GHashTable *query, gpointer user_data)
{
    SpnWebBounds *self = user_data;
    /* The request is in; its answer must be taken within its own deadline. */
    pending_move(msg, &self->answering);
    SoupMessageHeaders *request = soup_server_message_get_request_headers(msg);
    /* First: libsoup would read a body before any answer, and a body need never end. */
    if (announces_body(request)) {
        refuse_body(self, msg);
        return;
    }
    GUri *uri = soup_server_message_get_uri(msg);
    const char *raw_query = g_uri_get_query(uri);
    gsize url_len = strlen(g_uri_get_path(uri)) + (raw_query != NULL ? strlen(raw_query) : 0);
    if (url_len > SPN_WEB_MAX_URL_BYTES) {
        refuse(msg, SOUP_STATUS_REQUEST_URI_TOO_LONG, "the address is too long");
        return;
    }
    gsize header_bytes = 0;
    soup_message_headers_foreach(request, add_header_size, &header_bytes);
    if (header_bytes > SPN_WEB_MAX_HEADER_BYTES) {
        refuse(msg, 431, "the request headers are too large");
        return;
    }
    const char *method = soup_server_message_get_method(msg);
    if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD && method != SOUP_METHOD_OPTIONS) {
        refuse(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "spotnow-web is read-only: use GET or HEAD");
        soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
                                     SPN_WEB_ALLOW);
        return;
    }
}

/* ---- the deadlines ----------------------------------------------------------------------------
 */

/* The message's data owns its entry, so a message freed in any way leaves the queue. */
static void pending_free(gpointer data)
{
    Pending *pending = data;
    spn_web_deadlines_remove(pending->queue, &pending->deadline);
    g_free(pending);
}

/* Ends a connection whose request did not arrive in time, or the oldest one past the bound:
 * shutting the socket down makes libsoup fail the read and clean up. */
static void pending_drop(SoupServerMessage *msg)
{
    pending_remove(msg);
    GSocket *socket = spn_web_front_socket_of(msg);
    if (socket != NULL)
        g_socket_shutdown(socket, TRUE, TRUE, NULL);
}

static void on_expired(SpnWebDeadline *deadline, gpointer user_data)
{
    pending_drop(((Pending *)deadline)->msg);
}

static void on_request_started(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
    SpnWebBounds *self = user_data;
    Pending *pending = g_new0(Pending, 1);
    pending->queue = &self->reading;
    pending->msg = msg;
    spn_web_deadlines_add(&self->reading, &pending->deadline);
    g_object_set_data_full(G_OBJECT(msg), PENDING_KEY, pending, pending_free);
}

/* ---- life cycle ------------------------------------------------------------------------------ */

SpnWebBounds *spn_web_bounds_new(SoupServer *server, SpnWebLinger *linger)
{
    g_return_val_if_fail(SOUP_IS_SERVER(server) && linger != NULL, NULL);
    SpnWebBounds *self = g_new0(SpnWebBounds, 1);
    self->server = g_object_ref(server);
    self->linger = linger;
    spn_web_deadlines_init(&self->reading, SPN_WEB_MAX_PENDING, SPN_WEB_REQUEST_TIMEOUT_S,
                           on_expired, self);
    spn_web_deadlines_init(&self->answering, SPN_WEB_MAX_PENDING, SPN_WEB_ANSWER_TIMEOUT_S,
                           on_expired, self);
    soup_server_add_early_handler(server, NULL, handle_early, self, NULL);
    /* A request moves from reading to answering in the early handler (its headers are in; a
     * body is never read), and leaves when its message is freed: answered (the front door
     * takes the connection back), taken over, or dropped. */
    g_signal_connect(server, "request-started", G_CALLBACK(on_request_started), self);
    return self;
}

void spn_web_bounds_free(SpnWebBounds *self)
{
    if (self == NULL)
        return;
    /* Forgets the messages without dropping their connections: the server goes right after. */
    while (self->reading.queue.head != NULL)
        pending_remove(((Pending *)self->reading.queue.head->data)->msg);
    while (self->answering.queue.head != NULL)
        pending_remove(((Pending *)self->answering.queue.head->data)->msg);
    g_signal_handlers_disconnect_by_data(self->server, self);
    /* The early handler points here. (This removes the server's default handler too: the
     * server goes right after.) */
    soup_server_remove_handler(self->server, NULL);
    g_object_unref(self->server);
    g_free(self);
}
