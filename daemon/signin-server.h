/* signin-server.h — the loopback HTTP server a sign-in's browser comes back to, bounded against
 * whoever else on the machine can reach 127.0.0.1 (doc/design.md section 6).
 *
 * It listens only while a sign-in waits (spn_loopback_server_listen/stop), and then:
 * - refuses any request that announces a body (the browser only ever GETs) from its headers,
 *   before a byte of the body is read, and closes that connection;
 * - holds at most SPN_LOOPBACK_MAX_CONNECTIONS connections, closing the oldest idle one to make
 *   room, and closes a connection that has not delivered its request within
 *   SPN_LOOPBACK_IDLE_TIMEOUT_S;
 * - answers one request per connection (Connection: close), so nothing lingers.
 * Requests that pass reach the handler, which may pause the message while it works. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define SPN_LOOPBACK_MAX_CONNECTIONS 16
#define SPN_LOOPBACK_IDLE_TIMEOUT_S 10

typedef struct _SpnLoopbackServer SpnLoopbackServer;

/* A GET or HEAD without a body, for @path (e.g. "/callback"). Set a status, or pause. */
typedef void (*SpnLoopbackHandler)(SoupServerMessage *message, const char *path,
                                   gpointer user_data);

SpnLoopbackServer *spn_loopback_server_new(SpnLoopbackHandler handler, gpointer user_data);
/* Closes every connection at once, answered or not. */
void spn_loopback_server_free(SpnLoopbackServer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpnLoopbackServer, spn_loopback_server_free)

/* Listens on 127.0.0.1:@port. The GIOError (e.g. G_IO_ERROR_ADDRESS_IN_USE) is passed on. */
gboolean spn_loopback_server_listen(SpnLoopbackServer *self, guint16 port, GError **error);
/* Frees the port at once; requests being answered still get their answer, idle connections
 * are closed. */
void spn_loopback_server_stop(SpnLoopbackServer *self);
gboolean spn_loopback_server_is_listening(SpnLoopbackServer *self);

G_END_DECLS
