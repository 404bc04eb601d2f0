/* spn-client.c — name watch, start, proxy, snapshot and status, EnsureFresh; the heartbeats are
 * spn-presence.c's. */
#define G_LOG_DOMAIN "spotnow-client"

#include "spn-client.h"

#include <string.h>

#include "spn-presence.h"
#include "spn-protocol.h"
#include "spn-snapshot.h"

struct _SpnClient {
    GObject parent_instance;
    GBusType bus_type;
    GDBusConnection *connection; /* NULL when the bus cannot be reached */
    guint watch_id;

    /* settings */
    gboolean auto_start;
    gboolean retry_start;
    gboolean ignore_predicted;
    char *daemon_path;

    /* the daemon */
    SpnClientDaemon daemon;
    gboolean name_absent;      /* the name watch's last word */
    gboolean ever_appeared;    /* a start's late reply is no news then */
    SpnNowPlaying1 *proxy;     /* NULL unless present */
    GCancellable *cancellable; /* this daemon instance's calls */
    GVariant *snapshot;
    GVariant *status;
    gboolean fresh_in_flight;
    gboolean fresh_done;

    /* starting it */
    gboolean activating; /* StartServiceByName in flight: a vanished name is no news yet */
    char *start_failure;
    guint retry_start_id;
    GCancellable *life; /* calls that outlive a daemon instance: the start's */

    /* presence */
    SpnPresence *presence;
    gboolean watching;
    guint heartbeat_ms;
};

enum {
    SIGNAL_APPEARED,
    SIGNAL_VANISHED,
    SIGNAL_START_FAILED,
    SIGNAL_CHANGED,
    SIGNAL_STATUS_CHANGED,
    SIGNAL_FRESH,
    N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_TYPE(SpnClient, spn_client, G_TYPE_OBJECT)

static void presence_update(SpnClient *self);

/* ---- snapshot and status ------------------------------------------------------------------- */

/* Replies, signals and property changes arrive in the order the daemon sent them, so the
 * latest heard is the newest; one equal to what we hold is no news. */
static void take_snapshot(SpnClient *self, GVariant *snapshot, gboolean predicted_ok)
{
    if (snapshot == NULL || !g_variant_is_of_type(snapshot, G_VARIANT_TYPE_VARDICT))
        return;
    if (self->snapshot != NULL && g_variant_equal(self->snapshot, snapshot))
        return;
    if (!predicted_ok && self->ignore_predicted && self->snapshot != NULL) {
        g_autoptr(SpnSnapshot) old = spn_snapshot_from_variant(self->snapshot);
        g_autoptr(SpnSnapshot) new = spn_snapshot_from_variant(snapshot);
        if (spn_snapshot_compare(old, new) == SPN_CHANGE_NONE)
            return;
    }
    g_clear_pointer(&self->snapshot, g_variant_unref);
    self->snapshot = g_variant_ref_sink(snapshot);
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static void take_status(SpnClient *self, GVariant *status)
{
    if (status == NULL || !g_variant_is_of_type(status, G_VARIANT_TYPE_VARDICT))
        return;
    if (self->status != NULL && g_variant_equal(self->status, status))
        return;
    g_clear_pointer(&self->status, g_variant_unref);
    self->status = g_variant_ref_sink(status);

    gint64 ttl_ms = SPN_CLIENT_DEFAULT_PRESENCE_TTL_MS;
    if (!g_variant_lookup(status, SPN_STATUS_PRESENCE_TTL_MS, "x", &ttl_ms) || ttl_ms <= 0)
        ttl_ms = SPN_CLIENT_DEFAULT_PRESENCE_TTL_MS;
    guint interval =
        (guint)MAX(MIN(ttl_ms / 2, (gint64)G_MAXUINT), (gint64)SPN_CLIENT_MIN_HEARTBEAT_MS);
    self->heartbeat_ms = interval;
    spn_presence_set_interval(self->presence, interval);
    g_signal_emit(self, signals[SIGNAL_STATUS_CHANGED], 0);
}

static void on_changed(SpnNowPlaying1 *proxy, GVariant *snapshot, gpointer user_data)
{
    take_snapshot(user_data, snapshot, TRUE);
}

static void on_status_changed(SpnNowPlaying1 *proxy, GVariant *status, gpointer user_data)
{
    take_status(user_data, status);
}

/* A daemon with the Snapshot and Status properties sets them with every Changed and
 * StatusChanged; taking both keeps an older daemon (signals only) working too. */
static void on_properties_changed(GDBusProxy *proxy, GVariant *changed, GStrv invalidated,
                                  gpointer user_data)
{
    SpnClient *self = user_data;
    g_autoptr(GVariant) snapshot = g_variant_lookup_value(changed, "Snapshot", NULL);
    g_autoptr(GVariant) status = g_variant_lookup_value(changed, "Status", NULL);
    take_snapshot(self, snapshot, TRUE);
    take_status(self, status);
}

/* Every callback checks for cancellation before touching @user_data: a cancelled call may
 * complete after the client is gone. */

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
    SpnClient *self = user_data;
    /* A Changed signal that overtook this reply is newer than it. */
    if (self->snapshot == NULL)
        take_snapshot(self, snapshot, TRUE);
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

/* ---- EnsureFresh --------------------------------------------------------------------------- */

static void on_status_after_fresh(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) status = NULL;
    gboolean ok =
        spn_now_playing1_call_get_status_finish(SPN_NOW_PLAYING1(source), &status, result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    SpnClient *self = user_data;
    if (ok)
        take_status(self, status);
    else
        g_debug("GetStatus failed: %s", error->message);
    self->fresh_in_flight = FALSE;
    self->fresh_done = TRUE;
    g_signal_emit(self, signals[SIGNAL_FRESH], 0);
}

static void on_ensure_fresh(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) snapshot = NULL;
    gboolean ok = spn_now_playing1_call_ensure_fresh_finish(SPN_NOW_PLAYING1(source), &snapshot,
                                                            result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    SpnClient *self = user_data;
    /* SignedOut is the expected answer when signed out: the status says so, and the last
     * played snapshot read on arrival stays. */
    if (ok)
        take_snapshot(self, snapshot, FALSE);
    else
        g_debug("EnsureFresh: %s", error->message);
    spn_now_playing1_call_get_status(self->proxy, self->cancellable, on_status_after_fresh, self);
}

void spn_client_ensure_fresh(SpnClient *self)
{
    g_return_if_fail(SPN_IS_CLIENT(self));
    if (self->proxy == NULL || self->fresh_in_flight)
        return;
    self->fresh_in_flight = TRUE;
    spn_now_playing1_call_ensure_fresh(self->proxy, self->cancellable, on_ensure_fresh, self);
}

/* ---- presence ------------------------------------------------------------------------------ */

void spn_client_report_presence(SpnClient *self, const char *viewer_id)
{
    g_return_if_fail(SPN_IS_CLIENT(self));
    if (self->proxy == NULL)
        return;
    spn_presence_report(g_dbus_proxy_get_connection(G_DBUS_PROXY(self->proxy)),
                        viewer_id != NULL ? viewer_id : spn_presence_get_viewer_id(self->presence),
                        self->cancellable);
}

/* Heartbeats exactly while watching and the daemon is there. */
static void presence_update(SpnClient *self)
{
    GDBusConnection *connection =
        self->proxy != NULL ? g_dbus_proxy_get_connection(G_DBUS_PROXY(self->proxy)) : NULL;
    spn_presence_update(self->presence, connection, self->watching);
}

void spn_client_set_watching(SpnClient *self, gboolean watching)
{
    g_return_if_fail(SPN_IS_CLIENT(self));
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
    SpnClient *self = user_data;
    self->proxy = proxy;
    self->daemon = SPN_CLIENT_DAEMON_PRESENT;
    g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(proxy), SPN_CLIENT_CALL_TIMEOUT_MS);
    g_signal_connect_object(proxy, "changed", G_CALLBACK(on_changed), self, 0);
    g_signal_connect_object(proxy, "status-changed", G_CALLBACK(on_status_changed), self, 0);
    g_signal_connect_object(proxy, "g-properties-changed", G_CALLBACK(on_properties_changed), self,
                            0);

    /* The properties came with the proxy (one GetAll): no round trip for either. */
    g_autoptr(GVariant) snapshot =
        g_dbus_proxy_get_cached_property(G_DBUS_PROXY(proxy), "Snapshot");
    g_autoptr(GVariant) status = g_dbus_proxy_get_cached_property(G_DBUS_PROXY(proxy), "Status");
    if (snapshot != NULL)
        take_snapshot(self, snapshot, TRUE);
    else
        spn_now_playing1_call_currently_playing(proxy, self->cancellable, on_currently_playing,
                                                self);
    if (status != NULL)
        take_status(self, status);
    else
        spn_now_playing1_call_get_status(proxy, self->cancellable, on_get_status, self);

    /* A fresh start: presence first, so the daemon keeps the cache fresh for us. */
    presence_update(self);
    g_signal_emit(self, signals[SIGNAL_APPEARED], 0);
}

static void disconnect_daemon(SpnClient *self)
{
    if (self->cancellable != NULL)
        g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
    g_clear_object(&self->proxy);
    g_clear_pointer(&self->snapshot, g_variant_unref);
    g_clear_pointer(&self->status, g_variant_unref);
    self->fresh_in_flight = FALSE;
    self->fresh_done = FALSE;
    if (self->presence != NULL)
        presence_update(self);
}

static void on_name_appeared(GDBusConnection *connection, const char *name, const char *name_owner,
                             gpointer user_data)
{
    SpnClient *self = user_data;
    g_debug("%s appeared (%s)", name, name_owner);
    disconnect_daemon(self);
    self->name_absent = FALSE;
    self->ever_appeared = TRUE;
    g_clear_pointer(&self->start_failure, g_free);
    g_clear_handle_id(&self->retry_start_id, g_source_remove);
    self->cancellable = g_cancellable_new();
    /* Not auto-starting: the name has an owner; loading the properties reads the snapshot. */
    spn_now_playing1_proxy_new(connection, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, SPN_BUS_NAME,
                               SPN_OBJECT_PATH, self->cancellable, on_proxy_ready, self);
}

static void set_absent(SpnClient *self)
{
    self->daemon = SPN_CLIENT_DAEMON_ABSENT;
    g_signal_emit(self, signals[SIGNAL_VANISHED], 0);
}

static void on_name_vanished(GDBusConnection *connection, const char *name, gpointer user_data)
{
    SpnClient *self = user_data;
    g_debug("%s is not on the bus", name);
    gboolean had = self->snapshot != NULL;
    disconnect_daemon(self);
    self->name_absent = TRUE;
    if (self->activating || self->start_failure != NULL) {
        /* The start's reply decides, or did. */
        if (had)
            g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
        return;
    }
    set_absent(self);
}

/* ---- starting it --------------------------------------------------------------------------- */

char *spn_client_daemon_reason(const char *daemon_path, gboolean system)
{
    if (daemon_path == NULL)
        return NULL;
    const char *argv[] = {daemon_path, "--check-config", system ? "--system" : NULL, NULL};
    g_autofree char *err = NULL;
    int wait_status = 0;
    g_autoptr(GError) error = NULL;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                      &wait_status, &error)) {
        /* Not installed where we think: the bus's own words are all there is. */
        g_debug("cannot run %s --check-config: %s", daemon_path, error->message);
        return NULL;
    }
    if (g_spawn_check_wait_status(wait_status, NULL))
        return NULL;
    /* Its last line is the error ("spotnowd: FILE: [group] key: …"); warnings come before. */
    g_strstrip(err);
    const char *last = strrchr(err, '\n');
    const char *line = last != NULL ? last + 1 : err;
    if (g_str_has_prefix(line, "spotnowd: "))
        line += strlen("spotnowd: ");
    return line[0] != '\0' ? g_utf8_make_valid(line, -1) : NULL;
}

gboolean spn_client_is_failed_start(const GError *error)
{
    /* Activation ran it and it ended: "not running" would send the person to start a daemon
     * that cannot start. */
    return error != NULL &&
           (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_CHILD_EXITED) ||
            g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_CHILD_SIGNALED) ||
            g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_EXEC_FAILED) ||
            g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_FAILED));
}

static void start_service(SpnClient *self);

static gboolean on_retry_start(gpointer user_data)
{
    SpnClient *self = user_data;
    g_autofree char *reason =
        spn_client_daemon_reason(self->daemon_path, self->bus_type == G_BUS_TYPE_SYSTEM);
    if (reason != NULL)
        return G_SOURCE_CONTINUE; /* still broken: no start that would only fail */
    self->retry_start_id = 0;
    start_service(self);
    return G_SOURCE_REMOVE;
}

static void on_start_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    SpnClient *self = user_data;
    self->activating = FALSE;
    if (reply != NULL || self->ever_appeared)
        return; /* the name watch takes it from here */
    if (spn_client_is_failed_start(error) && self->name_absent) {
        g_autofree char *reason =
            spn_client_daemon_reason(self->daemon_path, self->bus_type == G_BUS_TYPE_SYSTEM);
        g_free(self->start_failure);
        self->start_failure = reason != NULL ? g_steal_pointer(&reason) : g_strdup("");
        self->daemon = SPN_CLIENT_DAEMON_ABSENT;
        if (self->retry_start && self->retry_start_id == 0)
            self->retry_start_id = g_timeout_add(SPN_CLIENT_RETRY_START_MS, on_retry_start, self);
        g_signal_emit(self, signals[SIGNAL_START_FAILED], 0, error);
        return;
    }
    g_debug("StartServiceByName: %s", error->message);
    if (self->name_absent)
        set_absent(self); /* no activation file, say: not running, as the watch said */
}

/* The name watch does not auto-start: it cannot say why a start failed, and a daemon that
 * fails for a bad config.ini must not look like one that is merely not running. */
static void start_service(SpnClient *self)
{
    if (self->connection == NULL)
        return;
    self->activating = TRUE;
    g_dbus_connection_call(self->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", "StartServiceByName",
                           g_variant_new("(su)", SPN_BUS_NAME, 0), G_VARIANT_TYPE("(u)"),
                           G_DBUS_CALL_FLAGS_NONE, -1, self->life, on_start_reply, self);
}

void spn_client_start(SpnClient *self)
{
    g_return_if_fail(SPN_IS_CLIENT(self));
    g_return_if_fail(self->watch_id == 0);
    if (self->connection == NULL) {
        g_autoptr(GError) error = NULL;
        self->connection = g_bus_get_sync(self->bus_type, NULL, &error);
        if (self->connection == NULL)
            g_debug("cannot connect to the bus: %s", error->message);
    }
    if (self->connection == NULL) {
        /* The watch reports the name vanished, with no connection. */
        self->watch_id =
            g_bus_watch_name(self->bus_type, SPN_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                             on_name_appeared, on_name_vanished, self, NULL);
        return;
    }
    if (self->auto_start)
        start_service(self);
    self->watch_id = g_bus_watch_name_on_connection(self->connection, SPN_BUS_NAME,
                                                    G_BUS_NAME_WATCHER_FLAGS_NONE, on_name_appeared,
                                                    on_name_vanished, self, NULL);
}

/* ---- accessors and life cycle -------------------------------------------------------------- */

void spn_client_set_auto_start(SpnClient *self, gboolean auto_start)
{
    self->auto_start = auto_start;
}

void spn_client_set_daemon_path(SpnClient *self, const char *daemon_path)
{
    g_free(self->daemon_path);
    self->daemon_path = g_strdup(daemon_path);
}

void spn_client_set_retry_start(SpnClient *self, gboolean retry_start)
{
    self->retry_start = retry_start;
}

void spn_client_set_viewer_id(SpnClient *self, const char *viewer_id)
{
    g_return_if_fail(viewer_id != NULL);
    spn_presence_set_viewer_id(self->presence, viewer_id);
}

void spn_client_set_own_presence_connection(SpnClient *self, gboolean own)
{
    g_autoptr(SpnPresence) old = self->presence;
    self->presence = spn_presence_new(self->bus_type, own);
    spn_presence_set_viewer_id(self->presence, spn_presence_get_viewer_id(old));
    spn_presence_set_interval(self->presence, self->heartbeat_ms);
    presence_update(self);
}

void spn_client_set_ignore_predicted(SpnClient *self, gboolean ignore)
{
    self->ignore_predicted = ignore;
}

SpnClientDaemon spn_client_get_daemon(SpnClient *self)
{
    return self->daemon;
}

const char *spn_client_get_start_failure(SpnClient *self)
{
    return self->start_failure;
}

GVariant *spn_client_get_snapshot(SpnClient *self)
{
    return self->snapshot;
}

GVariant *spn_client_get_status(SpnClient *self)
{
    return self->status;
}

SpnNowPlaying1 *spn_client_get_proxy(SpnClient *self)
{
    return self->proxy;
}

GCancellable *spn_client_get_cancellable(SpnClient *self)
{
    return self->cancellable;
}

guint spn_client_get_heartbeat_ms(SpnClient *self)
{
    return self->heartbeat_ms;
}

gboolean spn_client_is_settled(SpnClient *self)
{
    if (self->daemon == SPN_CLIENT_DAEMON_ABSENT)
        return TRUE;
    return self->daemon == SPN_CLIENT_DAEMON_PRESENT && self->snapshot != NULL &&
           self->status != NULL && self->fresh_done && !self->fresh_in_flight;
}

SpnClient *spn_client_new(GBusType bus_type, GDBusConnection *connection)
{
    SpnClient *self = g_object_new(SPN_TYPE_CLIENT, NULL);
    self->bus_type = bus_type;
    self->presence = spn_presence_new(bus_type, FALSE);
    spn_presence_set_interval(self->presence, self->heartbeat_ms);
    if (connection != NULL)
        self->connection = g_object_ref(connection);
    return self;
}

static void spn_client_dispose(GObject *object)
{
    SpnClient *self = SPN_CLIENT(object);
    g_clear_handle_id(&self->watch_id, g_bus_unwatch_name);
    g_clear_handle_id(&self->retry_start_id, g_source_remove);
    if (self->life != NULL)
        g_cancellable_cancel(self->life);
    g_clear_object(&self->life);
    disconnect_daemon(self);
    g_clear_pointer(&self->presence, spn_presence_free);
    g_clear_object(&self->connection);
    G_OBJECT_CLASS(spn_client_parent_class)->dispose(object);
}

static void spn_client_finalize(GObject *object)
{
    SpnClient *self = SPN_CLIENT(object);
    g_free(self->start_failure);
    g_free(self->daemon_path);
    G_OBJECT_CLASS(spn_client_parent_class)->finalize(object);
}

static void spn_client_class_init(SpnClientClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    object_class->dispose = spn_client_dispose;
    object_class->finalize = spn_client_finalize;
    GType type = G_TYPE_FROM_CLASS(klass);
    signals[SIGNAL_APPEARED] =
        g_signal_new("appeared", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
    signals[SIGNAL_VANISHED] =
        g_signal_new("vanished", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
    signals[SIGNAL_START_FAILED] = g_signal_new("start-failed", type, G_SIGNAL_RUN_LAST, 0, NULL,
                                                NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
    signals[SIGNAL_CHANGED] =
        g_signal_new("changed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
    signals[SIGNAL_STATUS_CHANGED] = g_signal_new("status-changed", type, G_SIGNAL_RUN_LAST, 0,
                                                  NULL, NULL, NULL, G_TYPE_NONE, 0);
    signals[SIGNAL_FRESH] =
        g_signal_new("fresh", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void spn_client_init(SpnClient *self)
{
    self->daemon = SPN_CLIENT_DAEMON_UNKNOWN;
    self->life = g_cancellable_new();
    self->heartbeat_ms = SPN_CLIENT_DEFAULT_PRESENCE_TTL_MS / 2;
}
