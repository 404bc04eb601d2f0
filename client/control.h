/* control.h — play, pause, toggle, next, previous and seek through the daemon.
 *
 * The daemon's control members (Play, Pause, Next, Previous, Seek) arrive with a later version;
 * until its introspection lists them, every control command says so and exits 2.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* @verb: "play", "pause", "toggle", "next", "previous" or "seek" (with @seconds, relative).
 * Returns the exit code (bus.h SpnExit). */
int spn_control_run(GDBusConnection *connection, const char *verb, double seconds, gboolean system);

G_END_DECLS
