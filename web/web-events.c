/* web-events.c — the event streams: open, fan out, keep alive, notice closed clients. */
#define G_LOG_DOMAIN "spotnow-web-events"

#include "web-events.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* Chunks a stream may have waiting for a client that does not read: past it the stream is
 * dropped rather than queued forever. The keep-alive alone takes 16 minutes to get there. */
#define MAX_QUEUED_CHUNKS 64

/* Tells EventSource how long to wait before reconnecting after the stream drops. */
#define RETRY_MS 2000

typedef struct {
    SpnWebEvents *owner;
    SoupServerMessage *msg; /* owned */
    GSource *watch;         /* the client's socket: readable means closed (or misbehaving) */
    GList link;             /* in owner->streams; data = this */
    guint queued;           /* chunks appended and not yet written */
    gboolean closing;
} Stream;

struct _SpnWebEvents {
    guint max_streams;
    GQueue streams;
    guint keepalive_id;
    GBytes *keepalive;
    SpnWebEventsCountFunc count_func;
    gpointer user_data;
};

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

static void stream_end(Stream *stream)
{
    stream->closing = TRUE;
    soup_message_body_complete(soup_server_message_get_response_body(stream->msg));
    soup_server_message_unpause(stream->msg);
    /* If libsoup still has bytes to write to a dead peer it fails and finishes the message;
     * shutting the read side down makes sure it does not wait for another request. */
    GSocket *socket = soup_server_message_get_socket(stream->msg);
    if (socket != NULL)
        g_socket_shutdown(socket, TRUE, FALSE, NULL);
}

static void send_bytes(Stream *stream, GBytes *bytes)
{
    if (stream->closing)
        return;
    if (stream->queued >= MAX_QUEUED_CHUNKS) {
        g_debug("an event stream's client reads nothing: dropping it");
        stream_end(stream);
        return;
    }
    stream->queued++;
    soup_message_body_append_bytes(soup_server_message_get_response_body(stream->msg), bytes);
    soup_server_message_unpause(stream->msg);
}

static void on_wrote_chunk(SoupServerMessage *msg, gpointer user_data)
{
    Stream *stream = user_data;
    if (stream->queued > 0)
        stream->queued--;
}

/* Forget @stream; the message is finished or about to be. */
static void stream_remove(Stream *stream)
{
    SpnWebEvents *self = stream->owner;
    g_queue_unlink(&self->streams, &stream->link);
    if (stream->watch != NULL) {
        g_source_destroy(stream->watch);
        g_source_unref(stream->watch);
    }
    g_signal_handlers_disconnect_by_data(stream->msg, stream);
    g_object_unref(stream->msg);
    g_free(stream);
    count_changed(self);
}

static void on_finished(SoupServerMessage *msg, gpointer user_data)
{
    stream_remove(user_data);
}

/* The client closed (EOF) or sent something an event stream never expects: end the response
 * so libsoup finishes the message and closes the connection. */
static gboolean on_socket_readable(GSocket *socket, GIOCondition condition, gpointer user_data)
{
    Stream *stream = user_data;
    g_source_unref(stream->watch);
    stream->watch = NULL;
    g_debug("an event stream's client went away");
    stream_end(stream);
    return G_SOURCE_REMOVE;
}

static gboolean on_keepalive(gpointer user_data)
{
    SpnWebEvents *self = user_data;
    for (GList *l = self->streams.head; l != NULL; l = l->next)
        send_bytes(l->data, self->keepalive);
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

gboolean spn_web_events_open(SpnWebEvents *self, SoupServerMessage *msg, GBytes *current,
                             guint64 current_id)
{
    g_return_val_if_fail(self != NULL && SOUP_IS_SERVER_MESSAGE(msg), FALSE);
    if (self->streams.length >= self->max_streams)
        return FALSE;

    SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
    soup_message_headers_set_content_type(headers, "text/event-stream", NULL);
    soup_message_headers_replace(headers, "Cache-Control", "no-cache, no-transform");
    /* nginx buffers proxied responses unless told not to. */
    soup_message_headers_replace(headers, "X-Accel-Buffering", "no");
    soup_message_headers_set_encoding(headers, SOUP_ENCODING_CHUNKED);
    soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
    SoupMessageBody *body = soup_server_message_get_response_body(msg);
    soup_message_body_set_accumulate(body, FALSE);

    Stream *stream = g_new0(Stream, 1);
    stream->owner = self;
    stream->msg = g_object_ref(msg);
    stream->link.data = stream;
    g_queue_push_tail_link(&self->streams, &stream->link);
    g_signal_connect(msg, "finished", G_CALLBACK(on_finished), stream);
    g_signal_connect(msg, "wrote-chunk", G_CALLBACK(on_wrote_chunk), stream);

    GSocket *socket = soup_server_message_get_socket(msg);
    if (socket != NULL) {
        stream->watch = g_socket_create_source(socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
        g_source_set_callback(stream->watch, G_SOURCE_FUNC(on_socket_readable), stream, NULL);
        g_source_attach(stream->watch, NULL);
    }

    g_autofree char *hello = g_strdup_printf("retry: %d\n\n", RETRY_MS);
    soup_message_body_append(body, SOUP_MEMORY_COPY, hello, strlen(hello));
    stream->queued++;
    gboolean has_id = FALSE;
    guint64 last_id = parse_last_event_id(msg, &has_id);
    /* A reconnecting EventSource sends the last id it saw: no need to repeat that event. */
    if (current != NULL && !(has_id && last_id == current_id)) {
        soup_message_body_append_bytes(body, current);
        stream->queued++;
    }
    count_changed(self);
    return TRUE;
}

void spn_web_events_publish(SpnWebEvents *self, GBytes *event)
{
    g_return_if_fail(self != NULL && event != NULL);
    for (GList *l = self->streams.head; l != NULL; l = l->next)
        send_bytes(l->data, event);
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
        stream_remove(self->streams.head->data);
    g_bytes_unref(self->keepalive);
    g_free(self);
}
