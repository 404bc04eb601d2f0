/* spn-presence.c — heartbeats on the client's connection or on one of their own. */
#define G_LOG_DOMAIN "spotnow-presence"

#include "spn-presence.h"

#include "spn-protocol.h"

struct _SpnPresence {
    GBusType bus_type;
    gboolean own_connection;
    char *viewer_id;
    guint interval_ms;
    GDBusConnection *target;   /* where the heartbeats go; NULL while stopped */
    GCancellable *cancellable; /* the heartbeats' calls (and the own connection's opening) */
    guint heartbeat_id;
};

static void on_reported(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
    if (reply == NULL && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug("ReportViewerPresence failed: %s", error->message);
}

void spn_presence_report(GDBusConnection *connection, const char *viewer_id,
                         GCancellable *cancellable)
{
    g_dbus_connection_call(connection, SPN_BUS_NAME, SPN_OBJECT_PATH, SPN_INTERFACE,
                           "ReportViewerPresence", g_variant_new("(s)", viewer_id), NULL,
                           G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, cancellable, on_reported, NULL);
}

static gboolean on_heartbeat(gpointer user_data)
{
    SpnPresence *self = user_data;
    if (self->target != NULL && !g_dbus_connection_is_closed(self->target))
        spn_presence_report(self->target, self->viewer_id, self->cancellable);
    return G_SOURCE_CONTINUE;
}

static void start_heartbeat(SpnPresence *self)
{
    g_clear_handle_id(&self->heartbeat_id, g_source_remove);
    on_heartbeat(self);
    self->heartbeat_id = g_timeout_add(self->interval_ms, on_heartbeat, self);
}

static void stop(SpnPresence *self)
{
    g_clear_handle_id(&self->heartbeat_id, g_source_remove);
    if (self->cancellable != NULL)
        g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
    if (self->target != NULL && self->own_connection) {
        /* Leaving the bus is what ends the viewer at once. */
        g_dbus_connection_close(self->target, NULL, NULL, NULL);
    }
    g_clear_object(&self->target);
}

static void on_connected(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    GDBusConnection *connection = g_dbus_connection_new_for_address_finish(result, &error);
    if (connection == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_warning("cannot open a bus connection for viewer presence: %s", error->message);
        return;
    }
    SpnPresence *self = user_data;
    self->target = connection;
    start_heartbeat(self);
}

void spn_presence_update(SpnPresence *self, GDBusConnection *connection, gboolean watching)
{
    if (!watching || connection == NULL) {
        stop(self);
        return;
    }
    if (self->cancellable != NULL)
        return; /* running, or its own connection is opening */
    self->cancellable = g_cancellable_new();
    if (!self->own_connection) {
        self->target = g_object_ref(connection);
        start_heartbeat(self);
        return;
    }
    g_autoptr(GError) error = NULL;
    g_autofree char *address = g_dbus_address_get_for_bus_sync(self->bus_type, NULL, &error);
    if (address == NULL) {
        g_warning("cannot find the bus for viewer presence: %s", error->message);
        g_clear_object(&self->cancellable);
        return;
    }
    g_dbus_connection_new_for_address(address,
                                      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                          G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                      NULL, self->cancellable, on_connected, self);
}

void spn_presence_set_interval(SpnPresence *self, guint interval_ms)
{
    if (interval_ms == self->interval_ms)
        return;
    self->interval_ms = interval_ms;
    /* The heartbeat follows the daemon's TTL: a shorter one would forget us in between. */
    if (self->heartbeat_id != 0) {
        g_clear_handle_id(&self->heartbeat_id, g_source_remove);
        self->heartbeat_id = g_timeout_add(self->interval_ms, on_heartbeat, self);
    }
}

void spn_presence_set_viewer_id(SpnPresence *self, const char *viewer_id)
{
    g_free(self->viewer_id);
    self->viewer_id = g_strdup(viewer_id);
}

const char *spn_presence_get_viewer_id(SpnPresence *self)
{
    return self->viewer_id;
}

SpnPresence *spn_presence_new(GBusType bus_type, gboolean own_connection)
{
    SpnPresence *self = g_new0(SpnPresence, 1);
    self->bus_type = bus_type;
    self->own_connection = own_connection;
    self->viewer_id = g_strdup("spotnow");
    self->interval_ms = 30000;
    return self;
}

void spn_presence_free(SpnPresence *self)
{
    if (self == NULL)
        return;
    stop(self);
    g_free(self->viewer_id);
    g_free(self);
}
