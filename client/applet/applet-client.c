/* applet-client.c — the applet's view of SpnClient (lib/spn-client.c), which does the name
 * watch, the start, the snapshot and status and EnsureFresh; here: the applet's viewer id, its
 * daemon states, sign-in and control as GTasks. */
#define G_LOG_DOMAIN "spotnow-applet-client"

#include "applet-client.h"

#include "spn-client.h"
#include "spn-dbus.h"

/* One id per applet process: the daemon counts (sender, id), and the sender is unique. */
#define VIEWER_ID "spotnow-applet"

struct _SpnAppletClient {
    GObject parent_instance;
    SpnClient *client;
};

enum { SIGNAL_UPDATED, SIGNAL_CONNECTED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_TYPE(SpnAppletClient, spn_applet_client, G_TYPE_OBJECT)

static void on_updated(SpnClient *client, gpointer user_data)
{
    g_signal_emit(user_data, signals[SIGNAL_UPDATED], 0);
}

static void on_start_failed(SpnClient *client, const GError *error, gpointer user_data)
{
    g_signal_emit(user_data, signals[SIGNAL_UPDATED], 0);
}

static void on_appeared(SpnClient *client, gpointer user_data)
{
    g_signal_emit(user_data, signals[SIGNAL_UPDATED], 0);
    g_signal_emit(user_data, signals[SIGNAL_CONNECTED], 0);
}

void spn_applet_client_ensure_fresh(SpnAppletClient *self)
{
    g_return_if_fail(SPN_IS_APPLET_CLIENT(self));
    spn_client_ensure_fresh(self->client);
}

void spn_applet_client_report_presence(SpnAppletClient *self)
{
    g_return_if_fail(SPN_IS_APPLET_CLIENT(self));
    spn_client_report_presence(self->client, NULL);
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
    SpnNowPlaying1 *proxy = spn_client_get_proxy(self->client);
    GCancellable *cancellable = spn_client_get_cancellable(self->client);
    GTask *task = g_task_new(self, cancellable, callback, user_data);
    if (proxy == NULL) {
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                                "spotnowd is not running");
        g_object_unref(task);
        return;
    }
    spn_now_playing1_call_begin_sign_in(proxy, cancellable, on_sign_in_begun, task);
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
    SpnNowPlaying1 *proxy = spn_client_get_proxy(self->client);
    GCancellable *cancellable = spn_client_get_cancellable(self->client);
    GTask *task = g_task_new(self, cancellable, callback, user_data);
    if (proxy == NULL) {
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                                "spotnowd is not running");
        g_object_unref(task);
        return;
    }
    /* A command's reply waits for the poll after it: as long as EnsureFresh may take. */
    g_dbus_proxy_call(G_DBUS_PROXY(proxy), method, NULL, G_DBUS_CALL_FLAGS_NONE,
                      SPN_CLIENT_CALL_TIMEOUT_MS, cancellable, on_control_done, task);
}

gboolean spn_applet_client_control_finish(SpnAppletClient *self, GAsyncResult *result,
                                          GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}

/* ---- accessors and life cycle -------------------------------------------------------------- */

SpnAppletDaemon spn_applet_client_get_daemon(SpnAppletClient *self)
{
    switch (spn_client_get_daemon(self->client)) {
        case SPN_CLIENT_DAEMON_PRESENT:
            return SPN_APPLET_DAEMON_PRESENT;
        case SPN_CLIENT_DAEMON_ABSENT:
            return SPN_APPLET_DAEMON_ABSENT;
        case SPN_CLIENT_DAEMON_UNKNOWN:
        default:
            return SPN_APPLET_DAEMON_UNKNOWN;
    }
}

const char *spn_applet_client_get_start_failure(SpnAppletClient *self)
{
    return spn_client_get_start_failure(self->client);
}

void spn_applet_client_set_daemon_path(SpnAppletClient *self, const char *daemon_path)
{
    spn_client_set_daemon_path(self->client, daemon_path);
}

GVariant *spn_applet_client_get_snapshot(SpnAppletClient *self)
{
    return spn_client_get_snapshot(self->client);
}

GVariant *spn_applet_client_get_status(SpnAppletClient *self)
{
    return spn_client_get_status(self->client);
}

gboolean spn_applet_client_is_settled(SpnAppletClient *self)
{
    return spn_client_is_settled(self->client);
}

SpnAppletClient *spn_applet_client_new(GBusType bus_type)
{
    SpnAppletClient *self = g_object_new(SPN_TYPE_APPLET_CLIENT, NULL);
    self->client = spn_client_new(bus_type, NULL);
    spn_client_set_viewer_id(self->client, VIEWER_ID);
    /* Where spotnowd is D-Bus activatable, opening the applet starts it (once: a daemon that
     * was stopped on purpose stays stopped), and again once a bad config.ini is fixed. */
    spn_client_set_auto_start(self->client, TRUE);
    spn_client_set_retry_start(self->client, TRUE);
    g_signal_connect_object(self->client, "appeared", G_CALLBACK(on_appeared), self, 0);
    g_signal_connect_object(self->client, "vanished", G_CALLBACK(on_updated), self, 0);
    g_signal_connect_object(self->client, "start-failed", G_CALLBACK(on_start_failed), self, 0);
    g_signal_connect_object(self->client, "changed", G_CALLBACK(on_updated), self, 0);
    g_signal_connect_object(self->client, "status-changed", G_CALLBACK(on_updated), self, 0);
    g_signal_connect_object(self->client, "fresh", G_CALLBACK(on_updated), self, 0);
    return self;
}

void spn_applet_client_start(SpnAppletClient *self)
{
    spn_client_start(self->client);
}

static void spn_applet_client_dispose(GObject *object)
{
    SpnAppletClient *self = SPN_APPLET_CLIENT(object);
    if (self->client != NULL)
        g_signal_handlers_disconnect_by_data(self->client, self);
    g_clear_object(&self->client);
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
}
