/* desktop-session.h — is the person at their desktop? logind's view of their graphical session
 * (Active, LockedHint, IdleHint) on the system bus, followed by signal, never polled.
 *
 * A panel showing spotnow's MPRIS player is a viewer only while someone can see it; main.c
 * combines this with "MPRIS is on the bus" into spn_engine_set_desktop_viewer(). No system bus,
 * no logind, or no session of ours simply means "not active": never an error.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SPN_TYPE_DESKTOP_SESSION (spn_desktop_session_get_type())
G_DECLARE_FINAL_TYPE(SpnDesktopSession, spn_desktop_session, SPN, DESKTOP_SESSION, GObject)

/* Connects to the system bus and starts following at once (asynchronously). The session is the
 * user's graphical one (logind's User.Display for getuid()), else the one this process runs in
 * (GetSessionByPID). logind leaving and coming back is followed too. */
SpnDesktopSession *spn_desktop_session_new(void);

/* The session is active, unlocked and not idle. "notify::active" says when this changes. */
gboolean spn_desktop_session_get_active(SpnDesktopSession *self);

G_END_DECLS
