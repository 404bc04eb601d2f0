/* signin-server.c — the bounded loopback server of the sign-in (see signin-server.h).
 *
 * SoupServer reads a request's whole body before any handler runs, and has neither a
 * connection limit nor an idle timeout. So the listening socket is ours (a GSocketService):
 * each accepted connection is counted and timed here, then handed to SoupServer with
 * soup_server_accept_iostream(), and an early handler looks at the headers before SoupServer
 * starts on the body. */
#define G_LOG_DOMAIN "spotnow-signin"

#include "signin-server.h"

#include <string.h>

typedef struct {
    SpnLoopbackServer *server;
    GSocketConnection *stream;
    GSocketAddress *remote; /* tells a message's connection (SoupServer gives it no socket) */
    guint idle_source;
    guint busy;       /* requests read and not yet answered: such a connection is not idle */
    gboolean refused; /* answered from its headers: to be closed */
} Connection;

struct _SpnLoopbackServer {
    SoupServer *soup;
    GSocketService *service; /* NULL when not listening */
    GPtrArray *connections;  /* of Connection, oldest first */
    guint close_source;      /* closes the connections refused from their headers */
    SpnLoopbackHandler handler;
    gpointer user_data;
};

static GSocket *socket_of(Connection *connection)
{
    return g_socket_connection_get_socket(connection->stream);
}

static void connection_free(Connection *connection)
{
    g_clear_handle_id(&connection->idle_source, g_source_remove);
    /* SoupServer holds the stream too: closing it is what makes it let go (its next read or
     * write fails) and what closes the descriptor. */
    g_io_stream_close(G_IO_STREAM(connection->stream), NULL, NULL);
    g_object_unref(connection->stream);
    g_object_unref(connection->remote);
    g_free(connection);
}

static void drop(SpnLoopbackServer *self, Connection *connection)
{
    g_ptr_array_remove(self->connections, connection);
}

/* SoupServer closes a connection once its one answer is sent; forget those. */
static void prune_closed(SpnLoopbackServer *self)
{
    for (guint i = self->connections->len; i-- > 0;) {
        Connection *connection = g_ptr_array_index(self->connections, i);
        if (g_io_stream_is_closed(G_IO_STREAM(connection->stream)))
            g_ptr_array_remove_index(self->connections, i);
    }
}

static gboolean same_peer(GSocketAddress *a, GSocketAddress *b)
{
    if (!G_IS_INET_SOCKET_ADDRESS(a) || !G_IS_INET_SOCKET_ADDRESS(b))
        return FALSE;
    GInetSocketAddress *x = G_INET_SOCKET_ADDRESS(a), *y = G_INET_SOCKET_ADDRESS(b);
    return g_inet_socket_address_get_port(x) == g_inet_socket_address_get_port(y) &&
           g_inet_address_equal(g_inet_socket_address_get_address(x),
                                g_inet_socket_address_get_address(y));
}

/* SoupServer gives a message of an accepted stream no GSocket, but its peer's address. */
static Connection *find_connection(SpnLoopbackServer *self, GSocketAddress *remote)
{
    for (guint i = 0; remote != NULL && i < self->connections->len; i++) {
        Connection *connection = g_ptr_array_index(self->connections, i);
        if (same_peer(connection->remote, remote) &&
            !g_io_stream_is_closed(G_IO_STREAM(connection->stream)))
            return connection;
    }
    return NULL;
}

static Connection *connection_of(SpnLoopbackServer *self, SoupServerMessage *message)
{
    return find_connection(self, soup_server_message_get_remote_address(message));
}

static gboolean on_idle_timeout(gpointer user_data)
{
    Connection *connection = user_data;
    if (connection->busy > 0)
        return G_SOURCE_CONTINUE; /* being answered: the handler's own deadline applies */
    connection->idle_source = 0;
    g_debug("closing a loopback connection that sent no request within %d s",
            SPN_LOOPBACK_IDLE_TIMEOUT_S);
    drop(connection->server, connection);
    return G_SOURCE_REMOVE;
}

/* Makes room for one more: the oldest connection that is not being answered goes. */
static gboolean make_room(SpnLoopbackServer *self)
{
    prune_closed(self);
    if (self->connections->len < SPN_LOOPBACK_MAX_CONNECTIONS)
        return TRUE;
    for (guint i = 0; i < self->connections->len; i++) {
        Connection *connection = g_ptr_array_index(self->connections, i);
        if (connection->busy == 0) {
            g_debug("%d loopback connections open: closing the oldest idle one",
                    SPN_LOOPBACK_MAX_CONNECTIONS);
            g_ptr_array_remove_index(self->connections, i);
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean on_incoming(GSocketService *service, GSocketConnection *stream, GObject *source,
                            gpointer user_data)
{
    SpnLoopbackServer *self = user_data;
    if (!make_room(self)) {
        g_io_stream_close(G_IO_STREAM(stream), NULL, NULL);
        return TRUE;
    }
    g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address(stream, NULL);
    g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address(stream, NULL);
    if (local == NULL || remote == NULL) {
        g_io_stream_close(G_IO_STREAM(stream), NULL, NULL);
        return TRUE;
    }
    /* Counted before SoupServer sees it: it may read a request and run the handler at once. */
    Connection *connection = g_new0(Connection, 1);
    connection->server = self;
    connection->stream = g_object_ref(stream);
    connection->remote = g_object_ref(remote);
    connection->idle_source =
        g_timeout_add_seconds(SPN_LOOPBACK_IDLE_TIMEOUT_S, on_idle_timeout, connection);
    g_ptr_array_add(self->connections, connection);
    g_autoptr(GError) error = NULL;
    if (!soup_server_accept_iostream(self->soup, G_IO_STREAM(stream), local, remote, &error)) {
        g_debug("loopback connection dropped: %s", error->message);
        drop(self, connection);
    }
    return TRUE;
}

static gboolean close_refused(gpointer user_data)
{
    SpnLoopbackServer *self = user_data;
    self->close_source = 0;
    for (guint i = self->connections->len; i-- > 0;) {
        Connection *connection = g_ptr_array_index(self->connections, i);
        if (connection->refused)
            g_ptr_array_remove_index(self->connections, i);
    }
    return G_SOURCE_REMOVE;
}

/* Answers at once, from the headers, and closes the connection: SoupServer would otherwise go
 * on to read (and keep) the whole body, whatever its size. */
static void refuse(SpnLoopbackServer *self, SoupServerMessage *message, guint status)
{
    soup_server_message_set_status(message, status, NULL);
    soup_message_body_set_accumulate(soup_server_message_get_request_body(message), FALSE);
    Connection *connection = connection_of(self, message);
    if (connection == NULL)
        return;
    GSocket *socket = socket_of(connection);
    g_autofree char *head =
        g_strdup_printf("HTTP/1.1 %u %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status,
                        soup_status_get_phrase(status));
    /* A few bytes into an empty send buffer: a non-blocking send takes them whole. */
    g_socket_send(socket, head, strlen(head), NULL, NULL);
    g_socket_shutdown(socket, TRUE, TRUE, NULL);
    /* Not from inside SoupServer's own read: close once it has unwound. */
    connection->refused = TRUE;
    if (self->close_source == 0)
        self->close_source = g_idle_add(close_refused, self);
}

static void on_early(SoupServer *soup, SoupServerMessage *message, const char *path,
                     GHashTable *query, gpointer user_data)
{
    SpnLoopbackServer *self = user_data;
    const char *method = soup_server_message_get_method(message);
    if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
        g_debug("loopback request refused: method %s", method);
        refuse(self, message, SOUP_STATUS_METHOD_NOT_ALLOWED);
        return;
    }
    SoupMessageHeaders *headers = soup_server_message_get_request_headers(message);
    SoupEncoding encoding = soup_message_headers_get_encoding(headers);
    if (encoding != SOUP_ENCODING_NONE &&
        !(encoding == SOUP_ENCODING_CONTENT_LENGTH &&
          soup_message_headers_get_content_length(headers) == 0)) {
        g_debug("loopback request refused: it announces a body");
        refuse(self, message, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
    }
}

static void on_finished(SoupServerMessage *message, gpointer user_data)
{
    Connection *connection = connection_of(user_data, message);
    if (connection != NULL && connection->busy > 0)
        connection->busy--;
}

static void on_request(SoupServer *soup, SoupServerMessage *message, const char *path,
                       GHashTable *query, gpointer user_data)
{
    SpnLoopbackServer *self = user_data;
    Connection *connection = connection_of(self, message);
    if (connection != NULL) {
        connection->busy++;
        g_signal_connect(message, "finished", G_CALLBACK(on_finished), self);
    }
    soup_message_headers_replace(soup_server_message_get_response_headers(message), "Connection",
                                 "close");
    self->handler(message, path, self->user_data);
}

SpnLoopbackServer *spn_loopback_server_new(SpnLoopbackHandler handler, gpointer user_data)
{
    SpnLoopbackServer *self = g_new0(SpnLoopbackServer, 1);
    self->soup = soup_server_new("server-header", "spotnow", NULL);
    /* NULL: one entry for every path, so the early handler sees every request. */
    soup_server_add_early_handler(self->soup, NULL, on_early, self, NULL);
    soup_server_add_handler(self->soup, NULL, on_request, self, NULL);
    self->connections = g_ptr_array_new_with_free_func((GDestroyNotify)connection_free);
    self->handler = handler;
    self->user_data = user_data;
    return self;
}

gboolean spn_loopback_server_listen(SpnLoopbackServer *self, guint16 port, GError **error)
{
    spn_loopback_server_stop(self);
    g_autoptr(GSocketService) service = g_socket_service_new();
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, port);
    if (!g_socket_listener_add_address(G_SOCKET_LISTENER(service), address, G_SOCKET_TYPE_STREAM,
                                       G_SOCKET_PROTOCOL_TCP, NULL, NULL, error))
        return FALSE;
    g_signal_connect(service, "incoming", G_CALLBACK(on_incoming), self);
    g_socket_service_start(service);
    self->service = g_steal_pointer(&service);
    return TRUE;
}

void spn_loopback_server_stop(SpnLoopbackServer *self)
{
    if (self->service != NULL) {
        g_socket_service_stop(self->service);
        g_socket_listener_close(G_SOCKET_LISTENER(self->service));
        g_signal_handlers_disconnect_by_data(self->service, self);
        g_clear_object(&self->service);
    }
    for (guint i = self->connections->len; i-- > 0;) {
        Connection *connection = g_ptr_array_index(self->connections, i);
        if (connection->busy == 0)
            g_ptr_array_remove_index(self->connections, i);
    }
}

gboolean spn_loopback_server_is_listening(SpnLoopbackServer *self)
{
    return self->service != NULL;
}

void spn_loopback_server_free(SpnLoopbackServer *self)
{
    g_clear_handle_id(&self->close_source, g_source_remove);
    spn_loopback_server_stop(self);
    g_ptr_array_unref(self->connections);
    soup_server_disconnect(self->soup);
    g_object_unref(self->soup);
    g_free(self);
}
