/* signin.h — `spotnow login [--paste]` and `spotnow logout`, through the daemon's BeginSignIn,
 * CompleteSignIn and SignOut (the daemon owns the OAuth flow and the credentials).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Exit code of `spotnow login` when Ctrl-C (or SIGTERM) cancels the wait: the shell's own
 * number for a command ended by SIGINT. */
#define SPN_EXIT_CANCELLED 130

/* BeginSignIn; prints the authorize URL (alone on a line, on stdout). Then, without @paste,
 * opens it in the default browser and waits for StatusChanged to say signed-in; with @paste,
 * reads the redirected URL from stdin (prompting on stderr when stdin is a terminal) and calls
 * CompleteSignIn. Prints "Signed in." on success. Returns the exit code: 0 signed in; 3 no
 * daemon (or it left meanwhile); 4 the sign-in failed or cannot start (the daemon's message is
 * printed, e.g. the three steps to get a client id); SPN_EXIT_CANCELLED. With @wait, waits for
 * a daemon that is not running yet. */
int spn_signin_login(GDBusConnection *connection, gboolean paste, gboolean wait, gboolean system);

/* SignOut; prints "Signed out.". Returns 0, 3 (no daemon) or 1 (the daemon's message). */
int spn_signin_logout(GDBusConnection *connection, gboolean wait, gboolean system);

G_END_DECLS
