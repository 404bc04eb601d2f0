/* web-daemon.h — spotnow-web's side of io.github.spotnow.NowPlaying1.
 *
 * A SpnClient (lib/spn-client.h) follows the daemon's bus name (a restart is survived: absent
 * while gone, back when it returns), keeps the last snapshot heard (changed only by news, never
 * by predicted progress, so the ETag holds) and reports the streams' presence: heartbeats at
 * half of presenceTtlMs over a bus connection of its own while the server says someone
 * watches, and that connection closed when nobody does, so the daemon forgets the viewer at
 * once instead of after the TTL (doc/design.md section 3, ReportViewerPresence). Here: the auth
 * state the page shows and the single requests' heartbeat. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SPN_TYPE_WEB_DAEMON (spn_web_daemon_get_type())
G_DECLARE_FINAL_TYPE(SpnWebDaemon, spn_web_daemon, SPN, WEB_DAEMON, GObject)

/* Signal "changed" (): the snapshot, the auth state or the daemon's presence changed. */
SpnWebDaemon *spn_web_daemon_new(GBusType bus_type);

/* Borrowed; NULL while no daemon answers (then serve 503). */
GVariant *spn_web_daemon_get_snapshot(SpnWebDaemon *self);

/* TRUE when GetStatus/StatusChanged said signed-out or revoked. */
gboolean spn_web_daemon_is_signed_out(SpnWebDaemon *self);

/* Someone watches (an event stream is open): keep the presence connection and its
 * heartbeats; FALSE closes it. */
void spn_web_daemon_set_watching(SpnWebDaemon *self, gboolean watching);

/* A single request for the snapshot: counts as a heartbeat (at most one per half TTL, so a
 * busy site costs the bus nothing more) and asks for freshness (EnsureFresh, one in flight). */
void spn_web_daemon_touch(SpnWebDaemon *self);

/* EnsureFresh, one in flight; its result arrives as Changed when something changed. */
void spn_web_daemon_ensure_fresh(SpnWebDaemon *self);

G_END_DECLS
