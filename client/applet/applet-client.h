/* applet-client.h — the applet's side of io.github.spotnow.NowPlaying1.
 *
 * A SpnClient (lib/spn-client.h) watches the daemon's bus name (so the applet reconnects by
 * itself when spotnowd starts) and keeps the last snapshot and status it heard; this adds the
 * applet's daemon states and the viewer's calls. No GTK here.
 */
#pragma once

#include <gio/gio.h>

#include "applet-state.h"

G_BEGIN_DECLS

#define SPN_TYPE_APPLET_CLIENT (spn_applet_client_get_type())
G_DECLARE_FINAL_TYPE(SpnAppletClient, spn_applet_client, SPN, APPLET_CLIENT, GObject)

/* Signals:
 *   "updated"   () — the daemon's presence, the snapshot or the status changed.
 *   "connected" () — a daemon (new or restarted) is on the bus: a visible viewer should report
 *                    its presence and ask for fresh data now. */
SpnAppletClient *spn_applet_client_new(GBusType bus_type);
/* Starts watching (and starting) the daemon, once the settings below are made. */
void spn_applet_client_start(SpnAppletClient *self);

SpnAppletDaemon spn_applet_client_get_daemon(SpnAppletClient *self);

/* Why D-Bus activation could not start the daemon, in its own words (`spotnowd --check-config`
 * run from @daemon_path, as set below), "" when it gave none; NULL unless a start failed. While
 * it is set the client tries again every 2 s once the check passes, so fixing config.ini is
 * enough. */
const char *spn_applet_client_get_start_failure(SpnAppletClient *self);
void spn_applet_client_set_daemon_path(SpnAppletClient *self, const char *daemon_path);
/* Borrowed; NULL until read. */
GVariant *spn_applet_client_get_snapshot(SpnAppletClient *self);
GVariant *spn_applet_client_get_status(SpnAppletClient *self);

/* TRUE once what is shown is what the daemon knows: the daemon is absent, or the snapshot and
 * status were read and an EnsureFresh round (with the status after it) has completed. */
gboolean spn_applet_client_is_settled(SpnAppletClient *self);

/* EnsureFresh, then GetStatus (a failed poll's reason arrives after EnsureFresh's reply).
 * A call while one is in flight joins it. No-op without a daemon. */
void spn_applet_client_ensure_fresh(SpnAppletClient *self);

/* ReportViewerPresence("spotnow-applet"); fire and forget. No-op without a daemon. */
void spn_applet_client_report_presence(SpnAppletClient *self);

/* BeginSignIn: the authorize URL to open in a browser. The daemon finishes the flow at its
 * loopback callback, and StatusChanged ("updated") tells the window. Fails with the daemon's
 * error (no client id, port taken, root only on the system bus) or G_IO_ERROR_NOT_CONNECTED. */
void spn_applet_client_begin_sign_in(SpnAppletClient *self, GAsyncReadyCallback callback,
                                     gpointer user_data);
char *spn_applet_client_begin_sign_in_finish(SpnAppletClient *self, GAsyncResult *result,
                                             GError **error);

/* Play, Pause, Next or Previous (@method, as the interface names it). Fails with the daemon's
 * error (io.github.spotnow.Error.NotSupported says why control is off) or
 * G_IO_ERROR_NOT_CONNECTED. */
void spn_applet_client_control(SpnAppletClient *self, const char *method,
                               GAsyncReadyCallback callback, gpointer user_data);
gboolean spn_applet_client_control_finish(SpnAppletClient *self, GAsyncResult *result,
                                          GError **error);

G_END_DECLS
