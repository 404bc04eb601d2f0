/* spn-presence.h — a viewer's heartbeats for SpnClient: ReportViewerPresence every
 * presenceTtlMs / 2 while someone watches and the daemon is there (doc/design.md section 3).
 *
 * On the client's own connection, or on a bus connection of its own that is closed when the
 * heartbeats stop, so the daemon forgets the viewer at once instead of after the TTL. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _SpnPresence SpnPresence;

/* @bus_type: where a connection of its own goes (@own_connection). */
SpnPresence *spn_presence_new(GBusType bus_type, gboolean own_connection);
void spn_presence_free(SpnPresence *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpnPresence, spn_presence_free)

void spn_presence_set_viewer_id(SpnPresence *self, const char *viewer_id);
const char *spn_presence_get_viewer_id(SpnPresence *self);

/* The period; a running heartbeat is restarted with it. */
void spn_presence_set_interval(SpnPresence *self, guint interval_ms);

/* Heartbeats (one at once, then every interval) exactly while @watching and @connection (the
 * daemon's, NULL while it is absent) is set; otherwise none, and the own connection closed. */
void spn_presence_update(SpnPresence *self, GDBusConnection *connection, gboolean watching);

/* One ReportViewerPresence, fire and forget (no auto-start). */
void spn_presence_report(GDBusConnection *connection, const char *viewer_id,
                         GCancellable *cancellable);

G_END_DECLS
