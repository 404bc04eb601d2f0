/* web-daemon.c — bus name watch, proxy, cached snapshot and presence for spotnow-web. */
#define G_LOG_DOMAIN "spotnow-web-daemon"

#include "web-daemon.h"

#include "spn-dbus.h"

#define BUS_NAME "io.github.spotnow.NowPlaying1"
#define OBJECT_PATH "/io/github/spotnow/NowPlaying1"
#define INTERFACE BUS_NAME

/* The daemon counts (sender, id): streams share one viewer, requests another, since they live
 * on different connections with different lifetimes. */
#define STREAM_VIEWER_ID "spotnow-web"
#define REQUEST_VIEWER_ID "spotnow-web-request"

/* GetStatus's presenceTtlMs when an older daemon does not say (its documented default). */
#define DEFAULT_PRESENCE_TTL_MS 60000
/* Heartbeats no more often than this, whatever the daemon says. */
#define MIN_HEARTBEAT_MS 1000

struct _SpnWebDaemon {
    GObject parent_instance;
    GBusType bus_type;
    guint watch_id;
    SpnNowPlaying1 *proxy;
    GCancellable *cancellable; /* this daemon's calls; cancelled when it goes */
    GVariant *snapshot;
    gboolean signed_out;
    gint64 presence_ttl_ms;
    gboolean fresh_in_flight;
    gint64 last_request_heartbeat_us;

    /* Presence of the streams: a connection of its own, open while watching. */
    gboolean watching;
    GDBusConnection *presence;
    GCancellable *presence_cancellable;
    guint heartbeat_id;
};

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_TYPE(SpnWebDaemon, spn_web_daemon, G_TYPE_OBJECT)

static void presence_update(SpnWebDaemon *self);

static void emit_changed(SpnWebDaemon *self)
{
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static void set_snapshot(SpnWebDaemon *self, GVariant *snapshot)
{
    g_clear_pointer(&self->snapshot, g_variant_unref);
    self->snapshot = g_variant_ref_sink(snapshot);
    emit_changed(self);
}

static void take_status(SpnWebDaemon *self, GVariant *status)
{
    const char *auth = NULL;
    gint64 ttl = 0;
    if (g_variant_lookup(status, "presenceTtlMs", "x", &ttl) && ttl > 0 &&
        ttl != self->presence_ttl_ms) {
        self->presence_ttl_ms = ttl;
        /* The heartbeat follows the daemon's TTL. */
        g_clear_handle_id(&self->heartbeat_id, g_source_remove);
        presence_update(self);
    }
    if (!g_variant_lookup(status, "authState", "&s", &auth))
        return;
    gboolean signed_out = g_str_equal(auth, "signed-out") || g_str_equal(auth, "revoked");
    if (signed_out != self->signed_out) {
        self->signed_out = signed_out;
        emit_changed(self);
    }
}

/* ---- signals and replies ------------------------------------------------------------------- */

static void on_changed(SpnNowPlaying1 *proxy, GVariant *snapshot, gpointer user_data)
{
    set_snapshot(user_data, snapshot);
}

static void on_status_changed(SpnNowPlaying1 *proxy, GVariant *status, gpointer user_data)
{
    take_status(user_data, status);
}

/* Every callback checks for cancellation before touching @user_data: a cancelled call may
 * complete after the object is gone. */

static void on_currently_playing(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) snapshot = NULL;
    if (!spn_now_playing1_call_currently_playing_finish(SPN_NOW_PLAYING1(source), &snapshot, result,
                                                        &error)) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_message("spotnowd did not answer CurrentlyPlaying: %s", error->message);
        return;
    }
    SpnWebDaemon *self = user_data;
    /* A Changed signal that overtook this reply is newer than it. */
    if (self->snapshot == NULL)
        set_snapshot(self, snapshot);
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
    take_status(user_data, status);
}

static void on_ensure_fresh(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) snapshot = NULL;
    gboolean ok = spn_now_playing1_call_ensure_fresh_finish(SPN_NOW_PLAYING1(source), &snapshot,
                                                            result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    SpnWebDaemon *self = user_data;
    self->fresh_in_flight = FALSE;
    /* A change arrives as Changed; the reply itself only differs in predicted progress, which
     * must not change the ETag. SignedOut is expected when signed out. */
    if (!ok)
        g_debug("EnsureFresh: %s", error->message);
}

void spn_web_daemon_ensure_fresh(SpnWebDaemon *self)
{
    g_return_if_fail(SPN_IS_WEB_DAEMON(self));
    if (self->proxy == NULL || self->fresh_in_flight)
        return;
    self->fresh_in_flight = TRUE;
    spn_now_playing1_call_ensure_fresh(self->proxy, self->cancellable, on_ensure_fresh, self);
}

static void on_reported(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
    if (reply == NULL && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug("ReportViewerPresence failed: %s", error->message);
}

static void report(GDBusConnection *connection, const char *viewer_id, GCancellable *cancellable)
{
    g_dbus_connection_call(connection, BUS_NAME, OBJECT_PATH, INTERFACE, "ReportViewerPresence",
                           g_variant_new("(s)", viewer_id), NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START,
                           -1, cancellable, on_reported, NULL);
}

static gint64 heartbeat_ms(SpnWebDaemon *self)
{
    return MAX(self->presence_ttl_ms / 2, MIN_HEARTBEAT_MS);
}

void spn_web_daemon_touch(SpnWebDaemon *self)
{
    g_return_if_fail(SPN_IS_WEB_DAEMON(self));
    if (self->proxy == NULL)
        return;
    gint64 now = g_get_monotonic_time();
    if (self->last_request_heartbeat_us != 0 &&
        now - self->last_request_heartbeat_us < heartbeat_ms(self) * 1000)
        return;
    self->last_request_heartbeat_us = now;
    report(g_dbus_proxy_get_connection(G_DBUS_PROXY(self->proxy)), REQUEST_VIEWER_ID,
           self->cancellable);
    spn_web_daemon_ensure_fresh(self);
}

/* ---- presence of the streams --------------------------------------------------------------- */

static gboolean on_heartbeat(gpointer user_data)
{
    SpnWebDaemon *self = user_data;
    if (self->presence != NULL && !g_dbus_connection_is_closed(self->presence))
        report(self->presence, STREAM_VIEWER_ID, self->presence_cancellable);
    return G_SOURCE_CONTINUE;
}

static void presence_close(SpnWebDaemon *self)
{
    g_clear_handle_id(&self->heartbeat_id, g_source_remove);
    if (self->presence_cancellable != NULL)
        g_cancellable_cancel(self->presence_cancellable);
    g_clear_object(&self->presence_cancellable);
    if (self->presence != NULL) {
        /* Leaving the bus is what ends the viewer at once. */
        g_dbus_connection_close(self->presence, NULL, NULL, NULL);
        g_clear_object(&self->presence);
    }
}

static void on_presence_connected(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    GDBusConnection *connection = g_dbus_connection_new_for_address_finish(result, &error);
    if (connection == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_warning("cannot open a bus connection for viewer presence: %s", error->message);
        return;
    }
    SpnWebDaemon *self = user_data;
    self->presence = connection;
    on_heartbeat(self);
    self->heartbeat_id = g_timeout_add(heartbeat_ms(self), on_heartbeat, self);
}

/* Open or close the presence connection as (watching && daemon present) says. */
static void presence_update(SpnWebDaemon *self)
{
    gboolean want = self->watching && self->proxy != NULL;
    if (!want) {
        presence_close(self);
        return;
    }
    if (self->presence_cancellable != NULL) {
        /* Already open or opening; (re)start the heartbeat if it was stopped. */
        if (self->presence != NULL && self->heartbeat_id == 0) {
            on_heartbeat(self);
            self->heartbeat_id = g_timeout_add(heartbeat_ms(self), on_heartbeat, self);
        }
        return;
    }
    g_autoptr(GError) error = NULL;
    g_autofree char *address = g_dbus_address_get_for_bus_sync(self->bus_type, NULL, &error);
    if (address == NULL) {
        g_warning("cannot find the bus for viewer presence: %s", error->message);
        return;
    }
    self->presence_cancellable = g_cancellable_new();
    g_dbus_connection_new_for_address(address,
                                      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                          G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                      NULL, self->presence_cancellable, on_presence_connected,
                                      self);
}

void spn_web_daemon_set_watching(SpnWebDaemon *self, gboolean watching)
{
    g_return_if_fail(SPN_IS_WEB_DAEMON(self));
    if (self->watching == watching)
        return;
    self->watching = watching;
    g_debug("%s", watching ? "someone watches: reporting presence" : "nobody watches");
    presence_update(self);
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
    SpnWebDaemon *self = user_data;
    self->proxy = proxy;
    g_signal_connect_object(proxy, "changed", G_CALLBACK(on_changed), self, 0);
    g_signal_connect_object(proxy, "status-changed", G_CALLBACK(on_status_changed), self, 0);
    spn_now_playing1_call_currently_playing(proxy, self->cancellable, on_currently_playing, self);
    spn_now_playing1_call_get_status(proxy, self->cancellable, on_get_status, self);
    presence_update(self);
}

static void disconnect(SpnWebDaemon *self)
{
    if (self->cancellable != NULL)
        g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
    g_clear_object(&self->proxy);
    g_clear_pointer(&self->snapshot, g_variant_unref);
    self->fresh_in_flight = FALSE;
    self->signed_out = FALSE;
    self->last_request_heartbeat_us = 0;
    presence_close(self);
}

static void on_name_appeared(GDBusConnection *connection, const char *name, const char *name_owner,
                             gpointer user_data)
{
    SpnWebDaemon *self = user_data;
    g_message("spotnowd is on the bus (%s)", name_owner);
    disconnect(self);
    self->cancellable = g_cancellable_new();
    spn_now_playing1_proxy_new(
        connection,
        G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START | G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES, BUS_NAME,
        OBJECT_PATH, self->cancellable, on_proxy_ready, self);
}

static void on_name_vanished(GDBusConnection *connection, const char *name, gpointer user_data)
{
    SpnWebDaemon *self = user_data;
    gboolean had = self->snapshot != NULL;
    if (connection == NULL)
        g_warning("cannot connect to the bus; serving 503 until spotnowd can be reached");
    else
        g_message("spotnowd is not on the bus: serving 503 until it is back");
    disconnect(self);
    if (had)
        emit_changed(self);
}

/* ---- accessors and life cycle -------------------------------------------------------------- */

GVariant *spn_web_daemon_get_snapshot(SpnWebDaemon *self)
{
    g_return_val_if_fail(SPN_IS_WEB_DAEMON(self), NULL);
    return self->snapshot;
}

gboolean spn_web_daemon_is_signed_out(SpnWebDaemon *self)
{
    g_return_val_if_fail(SPN_IS_WEB_DAEMON(self), FALSE);
    return self->signed_out;
}

SpnWebDaemon *spn_web_daemon_new(GBusType bus_type)
{
    SpnWebDaemon *self = g_object_new(SPN_TYPE_WEB_DAEMON, NULL);
    self->bus_type = bus_type;
    /* AUTO_START: where spotnowd is D-Bus activatable, starting the web server starts it. */
    self->watch_id = g_bus_watch_name(bus_type, BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_AUTO_START,
                                      on_name_appeared, on_name_vanished, self, NULL);
    return self;
}

static void spn_web_daemon_dispose(GObject *object)
{
    SpnWebDaemon *self = SPN_WEB_DAEMON(object);
    g_clear_handle_id(&self->watch_id, g_bus_unwatch_name);
    disconnect(self);
    G_OBJECT_CLASS(spn_web_daemon_parent_class)->dispose(object);
}

static void spn_web_daemon_class_init(SpnWebDaemonClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = spn_web_daemon_dispose;
    signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void spn_web_daemon_init(SpnWebDaemon *self)
{
    self->presence_ttl_ms = DEFAULT_PRESENCE_TTL_MS;
}
