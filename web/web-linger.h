/* web-linger.h — closing a connection without losing its last answer.
 *
 * close() on a socket that still holds unread bytes (a client that pipelined more requests)
 * resets the connection, and the reset may destroy the answer before the client has read it.
 * So a connection ends in stages: no more writes (the answer, then FIN, go out), what the
 * client still sends is read and dropped, and the socket is closed once the client closes
 * too, or after a few seconds (RFC 9112 section 9.6, "tear-down"). Bounded in count and time. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* How long a connection may drain what its client still sends. */
#define SPN_WEB_LINGER_S 2

typedef struct _SpnWebLinger SpnWebLinger;

/* At most @max_closing connections in their last seconds (the oldest is closed past it), each
 * for at most @linger_s. */
SpnWebLinger *spn_web_linger_new(guint max_closing, guint linger_s);
void spn_web_linger_free(SpnWebLinger *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpnWebLinger, spn_web_linger_free)

/* Ends the connection on @socket gently. @stream (transfer full, may be NULL) is the stream
 * over it, closed with it. */
void spn_web_linger_close(SpnWebLinger *self, GSocket *socket, GIOStream *stream);

G_END_DECLS
