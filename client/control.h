/* control.h — play, pause, toggle, next, previous and seek through the daemon.
 *
 * The daemon's control members (Play, Pause, Next, Previous, Seek(x offset_ms)) arrive with a
 * later version: the daemon's introspection decides whether they are there, and until they are
 * every control command says so and exits 2.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* @verb: "play", "pause", "toggle", "next", "previous" or "seek" (with @offset_ms, relative to
 * the current position). Returns the exit code (bus.h SpnExit): 0 done; 4 signed out, or the
 * sign-in does not allow control (NotSupported: the scope or Premium is missing); 3 no daemon;
 * 2 the daemon has no control members; 1 any other failure (no active device, Spotify down). */
int spn_control_run(GDBusConnection *connection, const char *verb, gint64 offset_ms,
                    gboolean system);

G_END_DECLS
