/* spn-client.h — one client of io.github.spotnow.NowPlaying1, as PlayerctlPlayer is for
 * playerctl: what `spotnow --follow`, the applet and spotnow-web share (doc/design.md
 * section 10).
 *
 * It watches the daemon's name (surviving restarts), optionally asks the bus to start it (once,
 * and again after a failed start once `spotnowd --check-config` passes), holds the generated
 * proxy, the current snapshot and status (from the daemon's Snapshot and Status properties when
 * it has them, else from CurrentlyPlaying/GetStatus and the Changed/StatusChanged signals), runs
 * EnsureFresh rounds and, while "watching", sends viewer heartbeats every presenceTtlMs / 2.
 *
 * Signals (all without arguments but "start-failed"):
 *   "appeared"       the daemon is on the bus and the proxy is ready (a new or restarted
 *                    daemon): a viewer asks for fresh data now.
 *   "vanished"       the name has no owner, and no start is in flight or has failed to explain
 *                    it: not running.
 *   "start-failed"   (GError *) activation ran spotnowd and it ended;
 *                    spn_client_get_start_failure() says why.
 *   "changed"        the snapshot changed (an equal one is no news).
 *   "status-changed" the status changed.
 *   "fresh"          an EnsureFresh round (and the GetStatus after it) completed.
 */
#pragma once

#include <gio/gio.h>

#include "spn-dbus.h"

G_BEGIN_DECLS

/* Heartbeats at presenceTtlMs / 2; this TTL when the daemon does not say (its default). */
#define SPN_CLIENT_DEFAULT_PRESENCE_TTL_MS 60000
/* ... and never more often than this, whatever it says. */
#define SPN_CLIENT_MIN_HEARTBEAT_MS 1000
/* After a failed start, how often `spotnowd --check-config` is asked whether to try again. */
#define SPN_CLIENT_RETRY_START_MS 2000
/* EnsureFresh and the control commands may wait for a poll: a token refresh plus a retried
 * request, 15 s each at most. */
#define SPN_CLIENT_CALL_TIMEOUT_MS 60000

typedef enum {
    SPN_CLIENT_DAEMON_UNKNOWN, /* not known yet, or a start is in flight */
    SPN_CLIENT_DAEMON_PRESENT, /* on the bus, proxy ready */
    SPN_CLIENT_DAEMON_ABSENT,  /* not running, or failed to start */
} SpnClientDaemon;

#define SPN_TYPE_CLIENT (spn_client_get_type())
G_DECLARE_FINAL_TYPE(SpnClient, spn_client, SPN, CLIENT, GObject)

/* @connection: the bus to use, or NULL for @bus_type's shared connection. @bus_type also names
 * the bus of a presence connection of its own (spn_client_set_own_presence_connection). */
SpnClient *spn_client_new(GBusType bus_type, GDBusConnection *connection);

/* Settings, before spn_client_start(). */

/* Ask the bus to start the daemon once when spn_client_start() runs (StartServiceByName, so a
 * failed start is told from "not running"). A daemon stopped later stays stopped. */
void spn_client_set_auto_start(SpnClient *self, gboolean auto_start);
/* The spotnowd whose `--check-config` explains a failed start; NULL (the default): no reason. */
void spn_client_set_daemon_path(SpnClient *self, const char *daemon_path);
/* After a failed start, start again once `--check-config` passes, so fixing config.ini is all
 * it takes. */
void spn_client_set_retry_start(SpnClient *self, gboolean retry_start);
/* The viewer id of the heartbeats (1-128 printable characters). */
void spn_client_set_viewer_id(SpnClient *self, const char *viewer_id);
/* Heartbeats over a bus connection of their own, closed when watching stops, so the daemon
 * forgets the viewer at once instead of after the TTL (spotnow-web's streams). */
void spn_client_set_own_presence_connection(SpnClient *self, gboolean own);
/* Keep the snapshot when a reply differs from it only by predicted progress
 * (spn_snapshot_compare: SPN_CHANGE_NONE), so "changed" means news (spotnow-web's ETag). */
void spn_client_set_ignore_predicted(SpnClient *self, gboolean ignore);

/* Starts the name watch (and the start, with auto-start). */
void spn_client_start(SpnClient *self);

/* Someone looks: heartbeats (one at once, then every presenceTtlMs / 2) while the daemon is
 * there. FALSE stops them (and closes the own presence connection). */
void spn_client_set_watching(SpnClient *self, gboolean watching);

SpnClientDaemon spn_client_get_daemon(SpnClient *self);
/* Why the last start failed, in the daemon's own words ("" when it gave none); NULL unless a
 * start failed and the daemon has not appeared since. */
const char *spn_client_get_start_failure(SpnClient *self);
/* Borrowed; NULL until read, and while the daemon is absent. */
GVariant *spn_client_get_snapshot(SpnClient *self);
GVariant *spn_client_get_status(SpnClient *self);
/* Borrowed; NULL unless the daemon is present. Calls made with it should use the cancellable,
 * which is cancelled when this daemon instance leaves. */
SpnNowPlaying1 *spn_client_get_proxy(SpnClient *self);
GCancellable *spn_client_get_cancellable(SpnClient *self);
/* The heartbeat period the daemon's presenceTtlMs asks for. */
guint spn_client_get_heartbeat_ms(SpnClient *self);

/* TRUE once what is held is what the daemon knows: it is absent, or the snapshot and status
 * were read and an EnsureFresh round has completed. */
gboolean spn_client_is_settled(SpnClient *self);

/* EnsureFresh, then GetStatus (a failed poll's reason arrives after EnsureFresh's reply), then
 * "fresh". A call while a round is in flight joins it. No-op without a daemon. */
void spn_client_ensure_fresh(SpnClient *self);

/* One ReportViewerPresence on the main connection, fire and forget; @viewer_id NULL: the
 * client's. No-op without a daemon. */
void spn_client_report_presence(SpnClient *self, const char *viewer_id);

/* Why @daemon_path cannot start, in its own words: the error `spotnowd --check-config` prints,
 * or NULL when the config passes (or it cannot be run). Runs it synchronously. */
char *spn_client_daemon_reason(const char *daemon_path, gboolean system);

/* TRUE when @error says D-Bus activation ran spotnowd and it ended (or could not be run):
 * "failed to start", not "not running". */
gboolean spn_client_is_failed_start(const GError *error);

G_END_DECLS
