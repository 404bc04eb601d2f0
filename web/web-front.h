/* web-front.h — spotnow-web's front door: it accepts every connection, answers the one hot
 * request itself and gives everything else to libsoup (doc/design.md section 10, spotnow-web).
 *
 * Why: libsoup spends about 100 µs of CPU on each request (a message object, a dozen signals,
 * and in GLib 2.74 two wake-ups of the main loop for each source it dispatches), so a
 * personal site's `/api/now-playing` under load served a third of what nginx serves from a
 * file. The answer to that request is bytes kept ready; the front sends them with a peek, a
 * recv and a send, and no allocation but the answer.
 *
 * How: the front peeks (MSG_PEEK) at what a connection sent. When it is exactly one plain head
 * (web-request.h), the front consumes that head, sends the answer and keeps the keep-alive
 * connection. On anything else it hands the connection to libsoup at that request boundary,
 * with nothing consumed, so libsoup sees an ordinary new connection. libsoup answers that one
 * request with "Connection: close", and the front takes the connection back to end it in stages
 * (web-linger.h): libsoup 3.2 never closes a kept-alive connection whose client goes away while
 * it waits for the next request (one descriptor lost per visitor), so idle connections wait
 * here only. */
#pragma once

#include <libsoup/soup.h>

#include "web-linger.h"
#include "web-request.h"

G_BEGIN_DECLS

typedef struct _SpnWebFront SpnWebFront;

/* The whole answer (status line to body) to @request, or NULL to let libsoup answer it. */
typedef GBytes *(*SpnWebFrontAnswerFunc)(const SpnWebFastRequest *request, gpointer user_data);

/* @path: the one path answered here. Waiting connections are bounded by @max_waiting (the
 * oldest is closed past it) and by @timeout_s of silence. Connections libsoup answered end
 * through @linger (borrowed). */
SpnWebFront *spn_web_front_new(SoupServer *server, SpnWebLinger *linger, const char *path,
                               guint max_waiting, guint timeout_s, SpnWebFrontAnswerFunc answer,
                               gpointer user_data);
void spn_web_front_free(SpnWebFront *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpnWebFront, spn_web_front_free)

/* Accept connections on @listener, a bound and listening socket (made non-blocking here). */
gboolean spn_web_front_add_listener(SpnWebFront *self, GSocket *listener, GError **error);

/* "http://127.0.0.1:8897/" for each listener, space-separated, for the log. */
char *spn_web_front_describe(SpnWebFront *self);

/* The socket under @msg, which the front door handed over (libsoup listens on nothing, and
 * does not know the socket under a stream it was given). */
GSocket *spn_web_front_socket_of(SoupServerMessage *msg);

G_END_DECLS
