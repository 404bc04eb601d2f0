/* applet-client.c — bus name watch, proxy, and the viewer's calls. */
#define G_LOG_DOMAIN "spotnow-applet-client"

#include "applet-client.h"

#include "service.h"
#include "spn-dbus.h"

/* One id per applet process: the daemon counts (sender, id), and the sender is unique. */
#define VIEWER_ID "spotnow-applet"

struct _SpnAppletClient {
    GObject parent_instance;
    GBusType bus_type;
    guint watch_id;
    SpnAppletDaemon daemon;
    SpnNowPlaying1 *proxy;
    GCancellable *cancellable; /* this connection's calls; cancelled when the daemon goes */
    GVariant *snapshot;
    GVariant *status;
    gboolean fresh_in_flight;
    gboolean fresh_done;
};

enum { SIGNAL_UPDATED, SIGNAL_CONNECTED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_TYPE(SpnAppletClient, spn_applet_client, G_TYPE_OBJECT)

static void emit_updated(SpnAppletClient *self)
{
    g_signal_emit(self, signals[SIGNAL_UPDATED], 0);
}

static void set_snapshot(SpnAppletClient *self, GVariant *snapshot)
{
    g_clear_pointer(&self->snapshot, g_variant_unref);
    self->snapshot = g_variant_ref_sink(snapshot);
}

static void set_status(SpnAppletClient *self, GVariant *status)
{
    g_clear_pointer(&self->status, g_variant_unref);
    self->status = g_variant_ref_sink(status);
}

/* Replies and signals arrive in the order the daemon sent them, so the latest one heard is the
 * newest: every reply or signal simply replaces what we had. */

static void on_changed(SpnNowPlaying1 *proxy, GVariant *snapshot, gpointer user_data)
{
    SpnAppletClient *self = user_data;
    set_snapshot(self, snapshot);
    emit_updated(self);
}

static void on_status_changed(SpnNowPlaying1 *proxy, GVariant *status, gpointer user_data)
{
    SpnAppletClient *self = user_data;
    set_status(self, status);
    emit_updated(self);
}

/* Every callback below checks for cancellation before touching @user_data: a cancelled call
 * may complete after the client is gone. */

static void on_currently_playing(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) snapshot = NULL;
    if (!spn_now_playing1_call_currently_playing_finish(SPN_NOW_PLAYING1(source), &snapshot, result,
                                                        &error)) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_debug("CurrentlyPlaying failed: %s", error->message);
        return;
    }
    SpnAppletClient *self = user_data;
    /* A Changed signal that overtook this reply is newer than it. */
    if (self->snapshot == NULL) {
        set_snapshot(self, snapshot);
        emit_updated(self);
    }
}

static void on_get_status(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) status = NULL;
    if (!spn_now_playing1_call_get_status_finish(SPN_NOW_PLAYING1(source), &status, result,
                                                 &error)) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_debug("GetStatus failed: %s", error->message);
        return;
    }
    SpnAppletClient *self = user_data;
    set_status(self, status);
    emit_updated(self);
}

static void on_status_after_fresh(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) status = NULL;
    gboolean ok =
        spn_now_playing1_call_get_status_finish(SPN_NOW_PLAYING1(source), &status, result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    SpnAppletClient *self = user_data;
    if (ok)
        set_status(self, status);
    else
        g_debug("GetStatus failed: %s", error->message);
    self->fresh_in_flight = FALSE;
    self->fresh_done = TRUE;
    emit_updated(self);
}

static void on_ensure_fresh(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) snapshot = NULL;
    gboolean ok = spn_now_playing1_call_ensure_fresh_finish(SPN_NOW_PLAYING1(source), &snapshot,
                                                            result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    SpnAppletClient *self = user_data;
    /* SignedOut is the expected answer when signed out: the status says so, not an error. */
    if (ok)
        set_snapshot(self, snapshot);
    else
        g_debug("EnsureFresh: %s", error->message);
    spn_now_playing1_call_get_status(self->proxy, self->cancellable, on_status_after_fresh, self);
}

void spn_applet_client_ensure_fresh(SpnAppletClient *self)
{
    g_return_if_fail(SPN_IS_APPLET_CLIENT(self));
    if (self->proxy == NULL || self->fresh_in_flight)
        return;
    self->fresh_in_flight = TRUE;
    spn_now_playing1_call_ensure_fresh(self->proxy, self->cancellable, on_ensure_fresh, self);
}

static void on_presence_reported(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    if (!spn_now_playing1_call_report_viewer_presence_finish(SPN_NOW_PLAYING1(source), result,
                                                             &error) &&
        !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug("ReportViewerPresence failed: %s", error->message);
}

void spn_applet_client_report_presence(SpnAppletClient *self)
{
    g_return_if_fail(SPN_IS_APPLET_CLIENT(self));
    if (self->proxy == NULL)
        return;
    spn_now_playing1_call_report_viewer_presence(self->proxy, VIEWER_ID, self->cancellable,
                                                 on_presence_reported, NULL);
}

static void on_sign_in_begun(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    GError *error = NULL;
    char *url = NULL;
    if (spn_now_playing1_call_begin_sign_in_finish(SPN_NOW_PLAYING1(source), &url, result, &error))
        g_task_return_pointer(task, url, g_free);
    else
        g_task_return_error(task, error);
}

void spn_applet_client_begin_sign_in(SpnAppletClient *self, GAsyncReadyCallback callback,
                                     gpointer user_data)
{
    g_return_if_fail(SPN_IS_APPLET_CLIENT(self));
    GTask *task = g_task_new(self, self->cancellable, callback, user_data);
    if (self->proxy == NULL) {
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                                "spotnowd is not running");
        g_object_unref(task);
        return;
    }
    spn_now_playing1_call_begin_sign_in(self->proxy, self->cancellable, on_sign_in_begun, task);
}

char *spn_applet_client_begin_sign_in_finish(SpnAppletClient *self, GAsyncResult *result,
                                             GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

static void on_control_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = g_dbus_proxy_call_finish(G_DBUS_PROXY(source), result, &error);
    if (reply != NULL)
        g_task_return_boolean(task, TRUE);
    else
        g_task_return_error(task, g_steal_pointer(&error));
}

void spn_applet_client_control(SpnAppletClient *self, const char *method,
                               GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(SPN_IS_APPLET_CLIENT(self));
    GTask *task = g_task_new(self, self->cancellable, callback, user_data);
    if (self->proxy == NULL) {
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                                "spotnowd is not running");
        g_object_unref(task);
        return;
    }
    /* A command's reply waits for the poll after it: as long as EnsureFresh may take. */
    g_dbus_proxy_call(G_DBUS_PROXY(self->proxy), method, NULL, G_DBUS_CALL_FLAGS_NONE, 60000,
                      self->cancellable, on_control_done, task);
}

gboolean spn_applet_client_control_finish(SpnAppletClient *self, GAsyncResult *result,
                                          GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}

/* ---- the daemon coming and going ----------------------------------------------------------- */

static void on_proxy_ready(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    SpnNowPlaying1 *proxy = spn_now_playing1_proxy_new_finish(result, &error);
    if (proxy == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_warning("cannot talk to spotnowd: %s", error->message);
        return;
    }
    SpnAppletClient *self = user_data;
    self->proxy = proxy;
    g_signal_connect_object(proxy, "changed", G_CALLBACK(on_changed), self, 0);
    g_signal_connect_object(proxy, "status-changed", G_CALLBACK(on_status_changed), self, 0);
    spn_now_playing1_call_currently_playing(proxy, self->cancellable, on_currently_playing, self);
    spn_now_playing1_call_get_status(proxy, self->cancellable, on_get_status, self);
    g_signal_emit(self, signals[SIGNAL_CONNECTED], 0);
}

static void disconnect(SpnAppletClient *self)
{
    g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
    g_clear_object(&self->proxy);
    g_clear_pointer(&self->snapshot, g_variant_unref);
    g_clear_pointer(&self->status, g_variant_unref);
    self->fresh_in_flight = FALSE;
    self->fresh_done = FALSE;
}

static void on_name_appeared(GDBusConnection *connection, const char *name, const char *name_owner,
                             gpointer user_data)
{
    SpnAppletClient *self = user_data;
    g_debug("%s appeared (%s)", name, name_owner);
    disconnect(self);
    self->daemon = SPN_APPLET_DAEMON_PRESENT;
    self->cancellable = g_cancellable_new();
    spn_now_playing1_proxy_new(
        connection,
        G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START | G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES,
        SPN_BUS_NAME, SPN_OBJECT_PATH, self->cancellable, on_proxy_ready, self);
    emit_updated(self);
}

static void on_name_vanished(GDBusConnection *connection, const char *name, gpointer user_data)
{
    SpnAppletClient *self = user_data;
    g_debug("%s is not on the bus", name);
    disconnect(self);
    self->daemon = SPN_APPLET_DAEMON_ABSENT;
    emit_updated(self);
}

/* ---- accessors and life cycle -------------------------------------------------------------- */

SpnAppletDaemon spn_applet_client_get_daemon(SpnAppletClient *self)
{
    return self->daemon;
}

GVariant *spn_applet_client_get_snapshot(SpnAppletClient *self)
{
    return self->snapshot;
}

GVariant *spn_applet_client_get_status(SpnAppletClient *self)
{
    return self->status;
}

gboolean spn_applet_client_is_settled(SpnAppletClient *self)
{
    if (self->daemon == SPN_APPLET_DAEMON_ABSENT)
        return TRUE;
    return self->daemon == SPN_APPLET_DAEMON_PRESENT && self->snapshot != NULL &&
           self->status != NULL && self->fresh_done && !self->fresh_in_flight;
}

SpnAppletClient *spn_applet_client_new(GBusType bus_type)
{
    SpnAppletClient *self = g_object_new(SPN_TYPE_APPLET_CLIENT, NULL);
    self->bus_type = bus_type;
    /* AUTO_START: where spotnowd is D-Bus activatable, opening the applet starts it. */
    self->watch_id = g_bus_watch_name(bus_type, SPN_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_AUTO_START,
                                      on_name_appeared, on_name_vanished, self, NULL);
    return self;
}

static void spn_applet_client_dispose(GObject *object)
{
    SpnAppletClient *self = SPN_APPLET_CLIENT(object);
    g_clear_handle_id(&self->watch_id, g_bus_unwatch_name);
    disconnect(self);
    G_OBJECT_CLASS(spn_applet_client_parent_class)->dispose(object);
}

static void spn_applet_client_class_init(SpnAppletClientClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = spn_applet_client_dispose;
    signals[SIGNAL_UPDATED] = g_signal_new("updated", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
    signals[SIGNAL_CONNECTED] =
        g_signal_new("connected", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 0);
}

static void spn_applet_client_init(SpnAppletClient *self)
{
    self->daemon = SPN_APPLET_DAEMON_UNKNOWN;
}
