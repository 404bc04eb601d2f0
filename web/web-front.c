/* web-front.c — the front door: accept, answer the hot request, hand the rest to libsoup. */
#define G_LOG_DOMAIN "spotnow-web-front"

#include "web-front.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "web-deadlines.h"
#include "web-linger.h"

/* Bytes looked at per peek: a plain head is a few hundred; a longer one is libsoup's to read
 * and, past its bounds, to refuse. */
#define PEEK_BYTES 4096
/* Connections accepted, and pipelined requests answered, per wake-up: the loop stays fair. */
#define ACCEPTS_PER_WAKE 64
#define ANSWERS_PER_WAKE 64
/* The key under which a handed-over connection's socket rides on its remote address. */
#define SOCKET_KEY "spn-web-front-socket"

typedef struct {
    SpnWebFront *owner;
    GSocket *socket;
    GSource *source; /* NULL while paused */
    guint resume_id;
} Listener;

typedef struct {
    SpnWebDeadline deadline; /* first: in owner->waiting, since accepted or last answered */
    SpnWebFront *owner;
    GSocket *socket; /* owned */
    GSource *source; /* readable; owned */
} Connection;
G_STATIC_ASSERT(G_STRUCT_OFFSET(Connection, deadline) == 0);

struct _SpnWebFront {
    SoupServer *server;
    char *path;
    SpnWebFrontAnswerFunc answer;
    gpointer user_data;
    GPtrArray *listeners;    /* of Listener */
    SpnWebLinger *linger;    /* not owned: where connections libsoup has answered end */
    SpnWebDeadlines waiting; /* connections between requests */
    char buffer[PEEK_BYTES];
};

/* ---- connections ----------------------------------------------------------------------------- */

/* Stops watching @connection and returns its socket (owned). */
static GSocket *connection_release(Connection *connection)
{
    spn_web_deadlines_remove(&connection->owner->waiting, &connection->deadline);
    g_source_destroy(connection->source);
    g_source_unref(connection->source);
    GSocket *socket = connection->socket;
    g_free(connection);
    return socket;
}

static void connection_close(Connection *connection)
{
    g_autoptr(GSocket) socket = connection_release(connection);
    g_socket_close(socket, NULL);
}

/* Gives @connection to libsoup at a request boundary: nothing of the next request was read. */
static void connection_hand_over(Connection *connection)
{
    SpnWebFront *self = connection->owner;
    g_autoptr(GSocket) socket = connection_release(connection);
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocketAddress) local = g_socket_get_local_address(socket, &error);
    g_autoptr(GSocketAddress) remote =
        local != NULL ? g_socket_get_remote_address(socket, &error) : NULL;
    if (remote == NULL) {
        g_debug("a connection ended before libsoup could take it: %s", error->message);
        g_socket_close(socket, NULL);
        return;
    }
    /* libsoup keeps @remote for the connection's life and offers no way to the socket under a
     * stream it was given; the bounds and the event streams need it (spn_web_front_socket_of). */
    g_object_set_data_full(G_OBJECT(remote), SOCKET_KEY, g_object_ref(socket), g_object_unref);
    g_autoptr(GSocketConnection) stream = g_socket_connection_factory_create_connection(socket);
    if (!soup_server_accept_iostream(self->server, G_IO_STREAM(stream), local, remote, &error)) {
        g_debug("libsoup did not take a connection: %s", error->message);
        g_socket_close(socket, NULL);
    }
}

/* Sends @reply whole, or FALSE: a client that leaves its answers unread while it sends more
 * requests is not waited for. */
static gboolean send_reply(int fd, GBytes *reply)
{
    gsize len = 0;
    const char *data = g_bytes_get_data(reply, &len);
    ssize_t sent;
    do
        sent = send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    return sent >= 0 && (gsize)sent == len;
}

/* TRUE when @len more bytes fit in @fd's send buffer now. A client that pipelines requests
 * without reading their answers fills it; the next request then goes to libsoup, which waits
 * for the client to read, so no answer is ever cut short. */
static gboolean room_for(int fd, gsize len)
{
    int queued = 0, size = 0;
    socklen_t size_len = sizeof size;
    if (ioctl(fd, SIOCOUTQ, &queued) != 0 ||
        getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &size_len) != 0)
        return TRUE;
    /* The kernel reports twice the payload it holds (the rest is its bookkeeping). */
    return (gsize)queued + len <= (gsize)size / 2;
}

/* Drops the @len bytes of a head already peeked at (so certainly there). */
static gboolean consume(int fd, char *scratch, gsize len)
{
    ssize_t got;
    do
        got = recv(fd, scratch, len, MSG_DONTWAIT);
    while (got < 0 && errno == EINTR);
    return got >= 0 && (gsize)got == len;
}

typedef enum { SERVE_WAIT, SERVE_HAND_OVER, SERVE_CLOSE } ServeOutcome;

/* Answers the plain heads at the front of what @connection sent. */
static ServeOutcome serve(Connection *connection)
{
    SpnWebFront *self = connection->owner;
    int fd = g_socket_get_fd(connection->socket);
    for (guint i = 0; i < ANSWERS_PER_WAKE; i++) {
        ssize_t peeked;
        do
            peeked = recv(fd, self->buffer, sizeof self->buffer, MSG_PEEK | MSG_DONTWAIT);
        while (peeked < 0 && errno == EINTR);
        if (peeked < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? SERVE_WAIT : SERVE_CLOSE;
        if (peeked == 0)
            return SERVE_CLOSE; /* the client closed between requests */
        SpnWebFastRequest request;
        if (!spn_web_request_parse_fast(self->buffer, (gsize)peeked, self->path,
                                        sizeof self->buffer, &request))
            return SERVE_HAND_OVER;
        g_autoptr(GBytes) reply = self->answer(&request, self->user_data);
        if (reply == NULL || !room_for(fd, g_bytes_get_size(reply)))
            return SERVE_HAND_OVER;
        if (!consume(fd, self->buffer, request.length) || !send_reply(fd, reply))
            return SERVE_CLOSE;
        spn_web_deadlines_touch(&self->waiting, &connection->deadline);
        if (request.length == (gsize)peeked)
            return SERVE_WAIT; /* nothing pipelined behind it */
    }
    return SERVE_WAIT;
}

static gboolean on_readable(GSocket *socket, GIOCondition condition, gpointer user_data)
{
    Connection *connection = user_data;
    switch (serve(connection)) {
        case SERVE_WAIT:
            return G_SOURCE_CONTINUE;
        case SERVE_HAND_OVER:
            connection_hand_over(connection);
            return G_SOURCE_REMOVE;
        case SERVE_CLOSE:
        default:
            connection_close(connection);
            return G_SOURCE_REMOVE;
    }
}

/* A connection silent past the timeout (the same bound libsoup's side has for a request that
 * does not arrive, web-bounds.c), or the oldest one past the bound. */
static void on_expired(SpnWebDeadline *deadline, gpointer user_data)
{
    connection_close((Connection *)deadline);
}

static void connection_new(SpnWebFront *self, GSocket *socket)
{
    /* As libsoup does for its own: an answer goes out whole at once, never held back. */
    g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
    Connection *connection = g_new0(Connection, 1);
    connection->owner = self;
    connection->socket = socket;
    connection->source = g_socket_create_source(socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
    /* A source that may recurse is not blocked around its dispatch; GLib 2.74 wakes the main
     * loop twice for each block, which is most of what this front saves. Nothing here
     * iterates the main loop, so it never does recurse. */
    g_source_set_can_recurse(connection->source, TRUE);
    g_source_set_callback(connection->source, G_SOURCE_FUNC(on_readable), connection, NULL);
    g_source_attach(connection->source, NULL);
    spn_web_deadlines_add(&self->waiting, &connection->deadline);
}

/* ---- listeners ------------------------------------------------------------------------------- */

static gboolean on_incoming(GSocket *socket, GIOCondition condition, gpointer user_data);

static void listener_watch(Listener *listener)
{
    listener->source = g_socket_create_source(listener->socket, G_IO_IN, NULL);
    g_source_set_callback(listener->source, G_SOURCE_FUNC(on_incoming), listener, NULL);
    g_source_attach(listener->source, NULL);
}

static gboolean on_resume(gpointer user_data)
{
    Listener *listener = user_data;
    listener->resume_id = 0;
    listener_watch(listener);
    return G_SOURCE_REMOVE;
}

static gboolean on_incoming(GSocket *socket, GIOCondition condition, gpointer user_data)
{
    Listener *listener = user_data;
    for (guint i = 0; i < ACCEPTS_PER_WAKE; i++) {
        g_autoptr(GError) error = NULL;
        GSocket *accepted = g_socket_accept(socket, NULL, &error);
        if (accepted != NULL) {
            connection_new(listener->owner, accepted);
            continue;
        }
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            break;
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES) &&
            !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE)) {
            /* One connection's trouble (aborted, its network gone): the next may be fine. */
            g_debug("cannot accept a connection: %s", error->message);
            continue;
        }
        /* Out of descriptors or buffers: the connection stays queued in the kernel, so
         * watching on would spin. Wait a second for streams and clients to end. */
        g_message("cannot accept connections for a second: %s", error->message);
        g_source_unref(g_steal_pointer(&listener->source));
        listener->resume_id = g_timeout_add_seconds(1, on_resume, listener);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void listener_free(gpointer data)
{
    Listener *listener = data;
    if (listener->source != NULL) {
        g_source_destroy(listener->source);
        g_source_unref(listener->source);
    }
    g_clear_handle_id(&listener->resume_id, g_source_remove);
    g_socket_close(listener->socket, NULL);
    g_object_unref(listener->socket);
    g_free(listener);
}

gboolean spn_web_front_add_listener(SpnWebFront *self, GSocket *socket, GError **error)
{
    g_return_val_if_fail(self != NULL && G_IS_SOCKET(socket), FALSE);
    g_autoptr(GSocketAddress) address = g_socket_get_local_address(socket, error);
    if (address == NULL)
        return FALSE;
    g_socket_set_blocking(socket, FALSE);
    Listener *listener = g_new0(Listener, 1);
    listener->owner = self;
    listener->socket = g_object_ref(socket);
    listener_watch(listener);
    g_ptr_array_add(self->listeners, listener);
    return TRUE;
}

/* ---- libsoup's side ----------------------------------------------------------------------------
 */

/* libsoup wrote its one answer on a connection (web-front.h): the connection ends in stages,
 * so an answer is never lost to a reset when the client has already sent more. */
static void on_answer_written(SoupServerMessage *msg, gpointer user_data)
{
    SpnWebFront *self = user_data;
    GSocket *socket = spn_web_front_socket_of(msg);
    if (socket == NULL)
        return;
    g_autoptr(GSocket) keep = g_object_ref(socket);
    GIOStream *stream = soup_server_message_steal_connection(msg);
    spn_web_linger_close(self->linger, socket, stream);
}

static void on_request_started(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
    g_signal_connect(msg, "wrote-body", G_CALLBACK(on_answer_written), user_data);
}

char *spn_web_front_describe(SpnWebFront *self)
{
    g_autoptr(GString) text = g_string_new(NULL);
    for (guint i = 0; i < self->listeners->len; i++) {
        Listener *listener = g_ptr_array_index(self->listeners, i);
        g_autoptr(GSocketAddress) address = g_socket_get_local_address(listener->socket, NULL);
        if (!G_IS_INET_SOCKET_ADDRESS(address))
            continue;
        GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS(address);
        GInetAddress *ip = g_inet_socket_address_get_address(inet);
        g_autofree char *host = g_inet_address_to_string(ip);
        gboolean v6 = g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV6;
        g_string_append_printf(text, "%shttp://%s%s%s:%u/", text->len > 0 ? " " : "", v6 ? "[" : "",
                               host, v6 ? "]" : "", g_inet_socket_address_get_port(inet));
    }
    return g_string_free(g_steal_pointer(&text), FALSE);
}

GSocket *spn_web_front_socket_of(SoupServerMessage *msg)
{
    g_return_val_if_fail(SOUP_IS_SERVER_MESSAGE(msg), NULL);
    GSocketAddress *remote = soup_server_message_get_remote_address(msg);
    return remote != NULL ? g_object_get_data(G_OBJECT(remote), SOCKET_KEY) : NULL;
}

/* ---- life cycle ------------------------------------------------------------------------------ */

SpnWebFront *spn_web_front_new(SoupServer *server, SpnWebLinger *linger, const char *path,
                               guint max_waiting, guint timeout_s, SpnWebFrontAnswerFunc answer,
                               gpointer user_data)
{
    g_return_val_if_fail(SOUP_IS_SERVER(server) && linger != NULL, NULL);
    g_return_val_if_fail(path != NULL && answer != NULL, NULL);
    g_return_val_if_fail(max_waiting > 0, NULL);
    SpnWebFront *self = g_new0(SpnWebFront, 1);
    self->server = g_object_ref(server);
    self->path = g_strdup(path);
    self->answer = answer;
    self->user_data = user_data;
    self->listeners = g_ptr_array_new_with_free_func(listener_free);
    self->linger = linger;
    spn_web_deadlines_init(&self->waiting, max_waiting, timeout_s, on_expired, self);
    g_signal_connect(server, "request-started", G_CALLBACK(on_request_started), self);
    return self;
}

void spn_web_front_free(SpnWebFront *self)
{
    if (self == NULL)
        return;
    spn_web_deadlines_clear(&self->waiting);
    g_ptr_array_unref(self->listeners);
    g_signal_handlers_disconnect_by_data(self->server, self);
    g_object_unref(self->server);
    g_free(self->path);
    g_free(self);
}
