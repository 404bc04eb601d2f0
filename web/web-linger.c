/* web-linger.c — a connection's last seconds: answer out, FIN out, the client's rest dropped. */
#define G_LOG_DOMAIN "spotnow-web-linger"

#include "web-linger.h"

#include <errno.h>
#include <sys/socket.h>

/* What one wake-up reads and drops at most: the loop stays fair. */
#define DRAIN_BYTES (64 * 1024)

typedef struct {
    SpnWebLinger *owner;
    GSocket *socket;   /* owned */
    GIOStream *stream; /* owned, may be NULL */
    GSource *source;   /* readable; owned */
    gint64 since_us;
    GList link; /* in owner->closing, oldest first; data = this */
} Closing;

struct _SpnWebLinger {
    guint max_closing;
    gint64 linger_us;
    GQueue closing;
    guint sweep_id; /* runs only while connections close */
    char scratch[4096];
};

static void closing_finish(Closing *closing)
{
    SpnWebLinger *self = closing->owner;
    g_queue_unlink(&self->closing, &closing->link);
    g_source_destroy(closing->source);
    g_source_unref(closing->source);
    if (closing->stream != NULL) {
        g_io_stream_close(closing->stream, NULL, NULL);
        g_object_unref(closing->stream);
    }
    g_socket_close(closing->socket, NULL);
    g_object_unref(closing->socket);
    g_free(closing);
    if (self->closing.length == 0)
        g_clear_handle_id(&self->sweep_id, g_source_remove);
}

static gboolean on_readable(GSocket *socket, GIOCondition condition, gpointer user_data)
{
    Closing *closing = user_data;
    SpnWebLinger *self = closing->owner;
    int fd = g_socket_get_fd(socket);
    for (gsize drained = 0; drained < DRAIN_BYTES;) {
        ssize_t got = recv(fd, self->scratch, sizeof self->scratch, MSG_DONTWAIT);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return G_SOURCE_CONTINUE;
        if (got <= 0) {
            closing_finish(closing); /* the client closed too (or the connection broke) */
            return G_SOURCE_REMOVE;
        }
        drained += (gsize)got;
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_sweep(gpointer user_data)
{
    SpnWebLinger *self = user_data;
    gint64 deadline = g_get_monotonic_time() - self->linger_us;
    while (self->closing.head != NULL) {
        Closing *oldest = self->closing.head->data;
        if (oldest->since_us > deadline)
            break;
        closing_finish(oldest);
    }
    if (self->closing.length > 0)
        return G_SOURCE_CONTINUE;
    self->sweep_id = 0; /* (the last finish removed this source already) */
    return G_SOURCE_REMOVE;
}

void spn_web_linger_close(SpnWebLinger *self, GSocket *socket, GIOStream *stream)
{
    g_return_if_fail(self != NULL && G_IS_SOCKET(socket));
    if (self->closing.length >= self->max_closing)
        closing_finish(self->closing.head->data);
    Closing *closing = g_new0(Closing, 1);
    closing->owner = self;
    closing->socket = g_object_ref(socket);
    closing->stream = stream;
    closing->since_us = g_get_monotonic_time();
    closing->link.data = closing;
    /* Everything written is sent, then FIN: the client reads its answer to the end. */
    g_socket_shutdown(socket, FALSE, TRUE, NULL);
    closing->source = g_socket_create_source(socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
    g_source_set_callback(closing->source, G_SOURCE_FUNC(on_readable), closing, NULL);
    g_source_attach(closing->source, NULL);
    g_queue_push_tail_link(&self->closing, &closing->link);
    if (self->sweep_id == 0)
        self->sweep_id = g_timeout_add_seconds(1, on_sweep, self);
}

SpnWebLinger *spn_web_linger_new(guint max_closing, guint linger_s)
{
    g_return_val_if_fail(max_closing > 0, NULL);
    SpnWebLinger *self = g_new0(SpnWebLinger, 1);
    self->max_closing = max_closing;
    self->linger_us = (gint64)linger_s * G_USEC_PER_SEC;
    g_queue_init(&self->closing);
    return self;
}

void spn_web_linger_free(SpnWebLinger *self)
{
    if (self == NULL)
        return;
    while (self->closing.head != NULL)
        closing_finish(self->closing.head->data);
    g_clear_handle_id(&self->sweep_id, g_source_remove);
    g_free(self);
}
