/* applet-client.c — bus name watch, proxy, and the viewer's calls. */
#define G_LOG_DOMAIN "spotnow-applet-client"

#include "applet-client.h"

#include <string.h>

#include "spn-protocol.h"
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
    char *daemon_path;    /* for --check-config; NULL: never explain a failed start */
    gboolean start_tried; /* activation is asked once, as AUTO_START did */
    char *start_failure;  /* see spn_applet_client_get_start_failure() */
    guint retry_start_id; /* while start_failure is set */
    GCancellable *life;   /* the start's call: cancelled with the client */
    GDBusConnection *connection;
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
    g_clear_pointer(&self->start_failure, g_free);
    g_clear_handle_id(&self->retry_start_id, g_source_remove);
    self->daemon = SPN_APPLET_DAEMON_PRESENT;
    self->cancellable = g_cancellable_new();
    spn_now_playing1_proxy_new(
        connection,
        G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START | G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES,
        SPN_BUS_NAME, SPN_OBJECT_PATH, self->cancellable, on_proxy_ready, self);
    emit_updated(self);
}

/* The daemon's own reason it cannot start, or NULL when its config passes the check. */
static char *check_config(SpnAppletClient *self)
{
    if (self->daemon_path == NULL)
        return NULL;
    const char *argv[] = {self->daemon_path, "--check-config",
                          self->bus_type == G_BUS_TYPE_SYSTEM ? "--system" : NULL, NULL};
    g_autofree char *err = NULL;
    int wait_status = 0;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                      &wait_status, NULL) ||
        g_spawn_check_wait_status(wait_status, NULL))
        return NULL;
    /* The last line is the error ("spotnowd: FILE: [group] key: …"). */
    g_strstrip(err);
    const char *last = strrchr(err, '\n');
    const char *line = last != NULL ? last + 1 : err;
    if (g_str_has_prefix(line, "spotnowd: "))
        line += strlen("spotnowd: ");
    return g_utf8_make_valid(line, -1);
}

static void start_service(SpnAppletClient *self);

static gboolean on_retry_start(gpointer user_data)
{
    SpnAppletClient *self = user_data;
    g_autofree char *reason = check_config(self);
    if (reason != NULL)
        return G_SOURCE_CONTINUE;
    self->retry_start_id = 0;
    start_service(self);
    return G_SOURCE_REMOVE;
}

static void on_start_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
    if (reply != NULL || g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    SpnAppletClient *self = user_data;
    /* Activation ran spotnowd and it ended: "not running" would be wrong. */
    if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_CHILD_EXITED) ||
        g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_CHILD_SIGNALED) ||
        g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_EXEC_FAILED) ||
        g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_FAILED)) {
        g_autofree char *reason = check_config(self);
        g_free(self->start_failure);
        self->start_failure = reason != NULL ? g_steal_pointer(&reason) : g_strdup("");
        if (self->retry_start_id == 0)
            self->retry_start_id = g_timeout_add_seconds(2, on_retry_start, self);
        emit_updated(self);
    } else {
        g_debug("StartServiceByName: %s", error->message);
    }
}

static void start_service(SpnAppletClient *self)
{
    if (self->connection == NULL)
        return;
    g_dbus_connection_call(self->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", "StartServiceByName",
                           g_variant_new("(su)", SPN_BUS_NAME, 0), G_VARIANT_TYPE("(u)"),
                           G_DBUS_CALL_FLAGS_NONE, -1, self->life, on_start_reply, self);
}

static void on_name_vanished(GDBusConnection *connection, const char *name, gpointer user_data)
{
    SpnAppletClient *self = user_data;
    g_debug("%s is not on the bus", name);
    disconnect(self);
    self->daemon = SPN_APPLET_DAEMON_ABSENT;
    /* Where spotnowd is D-Bus activatable, opening the applet starts it (once: a daemon that
     * was stopped on purpose stays stopped). */
    if (!self->start_tried && connection != NULL) {
        self->start_tried = TRUE;
        g_set_object(&self->connection, connection);
        start_service(self);
    }
    emit_updated(self);
}

/* ---- accessors and life cycle -------------------------------------------------------------- */

SpnAppletDaemon spn_applet_client_get_daemon(SpnAppletClient *self)
{
    return self->daemon;
}

const char *spn_applet_client_get_start_failure(SpnAppletClient *self)
{
    return self->start_failure;
}

void spn_applet_client_set_daemon_path(SpnAppletClient *self, const char *daemon_path)
{
    g_free(self->daemon_path);
    self->daemon_path = g_strdup(daemon_path);
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
    /* Not AUTO_START: on_name_vanished starts the daemon itself, to learn why a start failed. */
    self->watch_id = g_bus_watch_name(bus_type, SPN_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                      on_name_appeared, on_name_vanished, self, NULL);
    return self;
}

static void spn_applet_client_dispose(GObject *object)
{
    SpnAppletClient *self = SPN_APPLET_CLIENT(object);
    g_clear_handle_id(&self->watch_id, g_bus_unwatch_name);
    g_clear_handle_id(&self->retry_start_id, g_source_remove);
    g_cancellable_cancel(self->life);
    g_clear_object(&self->life);
    g_clear_object(&self->connection);
    g_clear_pointer(&self->start_failure, g_free);
    g_clear_pointer(&self->daemon_path, g_free);
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
    self->life = g_cancellable_new();
}
