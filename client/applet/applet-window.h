/* applet-window.h — the compact now-playing window, and the viewer behaviour of the seed:
 * presence heartbeats only while visible and not minimised, EnsureFresh on first map, focus-in
 * and becoming visible again, and a clock that ticks only while visible and playing. */
#pragma once

#include <gtk/gtk.h>

#include "applet-client.h"

G_BEGIN_DECLS

#define SPN_TYPE_APPLET_WINDOW (spn_applet_window_get_type())
G_DECLARE_FINAL_TYPE(SpnAppletWindow, spn_applet_window, SPN, APPLET_WINDOW, GtkApplicationWindow)

typedef struct {
    guint heartbeat_ms;         /* ReportViewerPresence period; 0: half the daemon's presence
                                   TTL (GetStatus presenceTtlMs), 30 s until it is known */
    const char *daemon_path;    /* shown in the "not running" hint */
    gboolean remember_geometry; /* load and save applet.ini (off for screenshots) */
    gboolean trace;             /* print "event …" lines on stdout (test mode) */
} SpnAppletWindowOptions;

/* Signal "ready" (): emitted each time the window starts showing what the daemon knows (the
 * client is settled, the art is decoded, the window is mapped). */
SpnAppletWindow *spn_applet_window_new(GtkApplication *application, SpnAppletClient *client,
                                       const SpnAppletWindowOptions *options);

gboolean spn_applet_window_is_ready(SpnAppletWindow *self);

/* spn_applet_describe() of the window plus its state: "mode\tplaying", "timer tick\ton", … */
void spn_applet_window_describe(SpnAppletWindow *self, GString *out);

G_END_DECLS
