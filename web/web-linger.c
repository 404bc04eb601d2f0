/* web-linger.c — a connection's last seconds: answer out, FIN out, the client's rest dropped. */
#define G_LOG_DOMAIN "spotnow-web-linger"

#include "web-linger.h"

#include <errno.h>
#include <sys/socket.h>

#include "web-deadlines.h"

/* What one wake-up reads and drops at most: the loop stays fair. */
#define DRAIN_BYTES (64 * 1024)

typedef struct {
    SpnWebDeadline deadline; /* first: in owner->closing */
    SpnWebLinger *owner;
    GSocket *socket;   /* owned */
    GIOStream *stream; /* owned, may be NULL */
    GSource *source;   /* readable; owned */
} Closing;
G_STATIC_ASSERT(G_STRUCT_OFFSET(Closing, deadline) == 0);

struct _SpnWebLinger {
    SpnWebDeadlines closing;
    char scratch[4096];
};

static void closing_finish(Closing *closing)
{
    spn_web_deadlines_remove(&closing->owner->closing, &closing->deadline);
    g_source_destroy(closing->source);
    g_source_unref(closing->source);
    if (closing->stream != NULL) {
        g_io_stream_close(closing->stream, NULL, NULL);
        g_object_unref(closing->stream);
    }
    g_socket_close(closing->socket, NULL);
    g_object_unref(closing->socket);
    g_free(closing);
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

static void on_expired(SpnWebDeadline *deadline, gpointer user_data)
{
    closing_finish((Closing *)deadline);
}

void spn_web_linger_close(SpnWebLinger *self, GSocket *socket, GIOStream *stream)
{
    g_return_if_fail(self != NULL && G_IS_SOCKET(socket));
    Closing *closing = g_new0(Closing, 1);
    closing->owner = self;
    closing->socket = g_object_ref(socket);
    closing->stream = stream;
    /* Everything written is sent, then FIN: the client reads its answer to the end. */
    g_socket_shutdown(socket, FALSE, TRUE, NULL);
    closing->source = g_socket_create_source(socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
    g_source_set_callback(closing->source, G_SOURCE_FUNC(on_readable), closing, NULL);
    g_source_attach(closing->source, NULL);
    spn_web_deadlines_add(&self->closing, &closing->deadline);
}

SpnWebLinger *spn_web_linger_new(guint max_closing, guint linger_s)
{
    g_return_val_if_fail(max_closing > 0, NULL);
    SpnWebLinger *self = g_new0(SpnWebLinger, 1);
    spn_web_deadlines_init(&self->closing, max_closing, linger_s, on_expired, self);
    return self;
}

void spn_web_linger_free(SpnWebLinger *self)
{
    if (self == NULL)
        return;
    spn_web_deadlines_clear(&self->closing);
    g_free(self);
}
