/* web-events.c — the event streams: open, fan out, keep alive, notice closed clients.
 *
 * A stream's connection is taken over from libsoup once its request is read: the response head
 * and every event are written straight to the socket. An event then costs one send() per
 * stream, without libsoup's per-message machinery (an idle source per write, buffered
 * streams), which keeps 1,000 streams within a few MiB and a fan-out within milliseconds. */
#define G_LOG_DOMAIN "spotnow-web-events"

#include "web-events.h"

#include <string.h>

/* Bytes a stream may have waiting for a client that does not read (beyond the kernel's
 * buffer): past it the stream is dropped rather than queued forever. */
#define MAX_PENDING_BYTES (64 * 1024)

/* Tells EventSource how long to wait before reconnecting after the stream drops. */
#define RETRY_MS 2000

typedef struct {
    SpnWebEvents *owner;
    GIOStream *connection; /* owned: closing it closes the socket */
    GSocket *socket;       /* owned */
    GSource *watch;        /* readable (closed or misbehaving client), and writable while
                              bytes wait */
    gboolean watching_out;
    GByteArray *pending; /* NULL while nothing waits */
    GList link;          /* in owner->streams; data = this */
} Stream;

struct _SpnWebEvents {
    guint max_streams;
    GQueue streams;
    guint keepalive_id;
    GBytes *keepalive;
    SpnWebEventsCountFunc count_func;
    gpointer user_data;
};

static void stream_watch(Stream *stream);

GBytes *spn_web_event_format(guint64 id, const char *json)
{
    g_return_val_if_fail(json != NULL && strchr(json, '\n') == NULL, NULL);
    char *text =
        g_strdup_printf("event: snapshot\nid: %" G_GUINT64_FORMAT "\ndata: %s\n\n", id, json);
    return g_bytes_new_take(text, strlen(text));
}

static void count_changed(SpnWebEvents *self)
{
    if (self->count_func != NULL)
        self->count_func(self->streams.length, self->user_data);
}

static void stream_free(Stream *stream)
{
    SpnWebEvents *self = stream->owner;
    g_queue_unlink(&self->streams, &stream->link);
    if (stream->watch != NULL) {
        g_source_destroy(stream->watch);
        g_source_unref(stream->watch);
    }
    g_io_stream_close(stream->connection, NULL, NULL);
    g_object_unref(stream->connection);
    g_object_unref(stream->socket);
    if (stream->pending != NULL)
        g_byte_array_unref(stream->pending);
    g_free(stream);
    count_changed(self);
}

/* Writes what it can now; the rest waits in @pending (bounded) for the socket to drain.
 * FALSE when the stream is dead and was freed. */
static gboolean stream_send(Stream *stream, const guint8 *data, gsize len)
{
    if (stream->pending != NULL) {
        if (stream->pending->len + len > MAX_PENDING_BYTES) {
            g_debug("an event stream's client reads nothing: dropping it");
            stream_free(stream);
            return FALSE;
        }
        g_byte_array_append(stream->pending, data, len);
        return TRUE;
    }
    g_autoptr(GError) error = NULL;
    gssize sent =
        g_socket_send_with_blocking(stream->socket, (const char *)data, len, FALSE, NULL, &error);
    if (sent < 0 && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_debug("an event stream ended: %s", error->message);
        stream_free(stream);
        return FALSE;
    }
    if (sent < 0)
        sent = 0;
    if ((gsize)sent < len) {
        stream->pending = g_byte_array_sized_new(len - sent);
        g_byte_array_append(stream->pending, data + sent, len - sent);
        stream_watch(stream);
    }
    return TRUE;
}

static gboolean on_socket_ready(GSocket *socket, GIOCondition condition, gpointer user_data)
{
    Stream *stream = user_data;
    if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
        /* The client closed, or sent something an event stream never expects. */
        g_debug("an event stream's client went away");
        stream_free(stream);
        return G_SOURCE_REMOVE;
    }
    GByteArray *pending = g_steal_pointer(&stream->pending);
    gboolean alive = stream_send(stream, pending->data, pending->len);
    g_byte_array_unref(pending);
    if (alive && stream->pending == NULL && stream->watching_out)
        stream_watch(stream);
    return G_SOURCE_CONTINUE;
}

/* (Re)creates the socket watch for what the stream waits for now. */
static void stream_watch(Stream *stream)
{
    gboolean want_out = stream->pending != NULL;
    if (stream->watch != NULL && want_out == stream->watching_out)
        return;
    if (stream->watch != NULL) {
        g_source_destroy(stream->watch);
        g_source_unref(stream->watch);
    }
    GIOCondition condition = G_IO_IN | G_IO_HUP | G_IO_ERR | (want_out ? G_IO_OUT : 0);
    stream->watch = g_socket_create_source(stream->socket, condition, NULL);
    g_source_set_callback(stream->watch, G_SOURCE_FUNC(on_socket_ready), stream, NULL);
    g_source_attach(stream->watch, NULL);
    stream->watching_out = want_out;
}

static gboolean on_keepalive(gpointer user_data)
{
    SpnWebEvents *self = user_data;
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(self->keepalive, &len);
    for (GList *l = self->streams.head, *next; l != NULL; l = next) {
        next = l->next; /* a dead stream unlinks itself */
        stream_send(l->data, data, len);
    }
    return G_SOURCE_CONTINUE;
}

static guint64 parse_last_event_id(SoupServerMessage *msg, gboolean *found)
{
    const char *value =
        soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Last-Event-ID");
    guint64 id = 0;
    *found = value != NULL && g_ascii_string_to_unsigned(value, 10, 1, G_MAXUINT64, &id, NULL);
    return id;
}

static void append_header(const char *name, const char *value, gpointer user_data)
{
    g_string_append_printf(user_data, "%s: %s\r\n", name, value);
}

gboolean spn_web_events_open(SpnWebEvents *self, SoupServerMessage *msg, GSocket *socket,
                             GBytes *current, guint64 current_id)
{
    g_return_val_if_fail(self != NULL && SOUP_IS_SERVER_MESSAGE(msg), FALSE);
    if (self->streams.length >= self->max_streams || socket == NULL)
        return FALSE;

    /* The head: the caller's headers (CORS and the like), then the stream's own. The body
     * runs until either side closes, so no length and no chunking. */
    g_autoptr(GString) head = g_string_new("HTTP/1.1 200 OK\r\n");
    SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
    soup_message_headers_remove(headers, "Connection"); /* sent below, once */
    soup_message_headers_foreach(headers, append_header, head);
    g_string_append(head,
                    "Content-Type: text/event-stream\r\n"
                    "Cache-Control: no-cache, no-transform\r\n"
                    /* nginx buffers proxied responses unless told not to. */
                    "X-Accel-Buffering: no\r\n"
                    "Connection: close\r\n\r\n");
    g_string_append_printf(head, "retry: %d\n\n", RETRY_MS);
    gboolean has_id = FALSE;
    guint64 last_id = parse_last_event_id(msg, &has_id);
    /* A reconnecting EventSource sends the last id it saw: no need to repeat that event. */
    if (current != NULL && !(has_id && last_id == current_id)) {
        gsize len = 0;
        const char *data = g_bytes_get_data(current, &len);
        g_string_append_len(head, data, len);
    }

    Stream *stream = g_new0(Stream, 1);
    stream->owner = self;
    stream->socket = g_object_ref(socket);
    stream->connection = soup_server_message_steal_connection(msg);
    stream->link.data = stream;
    g_queue_push_tail_link(&self->streams, &stream->link);
    if (stream->connection == NULL) {
        /* Cannot happen for a plain connection; nothing was written. */
        g_warning("cannot take over an event stream's connection");
        stream->connection = G_IO_STREAM(g_simple_io_stream_new(
            g_memory_input_stream_new(), g_memory_output_stream_new_resizable()));
        stream_free(stream);
        return TRUE;
    }
    count_changed(self);
    if (stream_send(stream, (const guint8 *)head->str, head->len))
        stream_watch(stream);
    return TRUE;
}

void spn_web_events_publish(SpnWebEvents *self, GBytes *event)
{
    g_return_if_fail(self != NULL && event != NULL);
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(event, &len);
    for (GList *l = self->streams.head, *next; l != NULL; l = next) {
        next = l->next; /* a dead stream unlinks itself */
        stream_send(l->data, data, len);
    }
}

guint spn_web_events_count(SpnWebEvents *self)
{
    return self->streams.length;
}

SpnWebEvents *spn_web_events_new(guint max_streams, SpnWebEventsCountFunc count_func,
                                 gpointer user_data)
{
    SpnWebEvents *self = g_new0(SpnWebEvents, 1);
    self->max_streams = max_streams;
    self->count_func = count_func;
    self->user_data = user_data;
    g_queue_init(&self->streams);
    static const char keepalive[] = ": keep-alive\n\n";
    self->keepalive = g_bytes_new_static(keepalive, sizeof keepalive - 1);
    self->keepalive_id = g_timeout_add_seconds(SPN_WEB_KEEPALIVE_S, on_keepalive, self);
    return self;
}

void spn_web_events_free(SpnWebEvents *self)
{
    if (self == NULL)
        return;
    g_clear_handle_id(&self->keepalive_id, g_source_remove);
    self->count_func = NULL;
    while (self->streams.head != NULL)
        stream_free(self->streams.head->data);
    g_bytes_unref(self->keepalive);
    g_free(self);
}
