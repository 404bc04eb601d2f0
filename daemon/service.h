/* service.h — io.github.spotnow.NowPlaying1 on the bus: maps D-Bus calls onto the engine and
 * the engine's signals onto D-Bus signals, and watches viewers' senders leave the bus. */
#pragma once

#include <gio/gio.h>

#include "engine.h"
#include "spn-protocol.h"

G_BEGIN_DECLS

#define SPN_TYPE_SERVICE (spn_service_get_type())
G_DECLARE_FINAL_TYPE(SpnService, spn_service, SPN, SERVICE, GObject)

/* On the system bus (@system_bus) the sign-in members are root's only: the bus policy says so,
 * and the service checks the caller's uid too, so a missing policy cannot open them up. */
SpnService *spn_service_new(SpnEngine *engine, gboolean system_bus);
/* Runs a player command for a D-Bus caller and answers it: an empty reply, or the engine's
 * error, which says why control is not possible (no scope, no Premium, signed out). Shared by
 * our interface and MPRIS. */
void spn_service_control(SpnEngine *engine, GDBusMethodInvocation *invocation, SpnControl command,
                         gint64 position_ms);

gboolean spn_service_export(SpnService *self, GDBusConnection *connection, GError **error);
void spn_service_unexport(SpnService *self);

G_END_DECLS
