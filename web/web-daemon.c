/* web-daemon.c — spotnow-web's view of SpnClient (lib/spn-client.c), which watches the daemon,
 * holds the snapshot and status and sends the streams' heartbeats on a connection of its own;
 * here: the auth state the page shows and the single requests' presence. */
#define G_LOG_DOMAIN "spotnow-web-daemon"

#include "web-daemon.h"

#include "spn-client.h"
#include "spn-protocol.h"

/* The daemon counts (sender, id): streams share one viewer, requests another, since they live
 * on different connections with different lifetimes. */
#define STREAM_VIEWER_ID "spotnow-web"
#define REQUEST_VIEWER_ID "spotnow-web-request"

struct _SpnWebDaemon {
    GObject parent_instance;
    SpnClient *client;
    gboolean signed_out;
    gint64 last_request_heartbeat_us;
};

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_TYPE(SpnWebDaemon, spn_web_daemon, G_TYPE_OBJECT)

static void emit_changed(SpnWebDaemon *self)
{
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static void on_changed(SpnClient *client, gpointer user_data)
{
    emit_changed(user_data);
}

static void on_status_changed(SpnClient *client, gpointer user_data)
{
    SpnWebDaemon *self = user_data;
    GVariant *status = spn_client_get_status(client);
    const char *auth = NULL;
    if (status == NULL || !g_variant_lookup(status, SPN_STATUS_AUTH_STATE, "&s", &auth))
        return;
    gboolean signed_out = g_str_equal(auth, "signed-out") || g_str_equal(auth, "revoked");
    if (signed_out != self->signed_out) {
        self->signed_out = signed_out;
        emit_changed(self);
    }
}

static void on_appeared(SpnClient *client, gpointer user_data)
{
    SpnWebDaemon *self = user_data;
    g_message("spotnowd is on the bus");
    self->last_request_heartbeat_us = 0;
    on_status_changed(client, self);
}

static void on_vanished(SpnClient *client, gpointer user_data)
{
    SpnWebDaemon *self = user_data;
    g_message("spotnowd is not on the bus: serving 503 until it is back");
    self->signed_out = FALSE;
    self->last_request_heartbeat_us = 0;
    emit_changed(self);
}

void spn_web_daemon_ensure_fresh(SpnWebDaemon *self)
{
    g_return_if_fail(SPN_IS_WEB_DAEMON(self));
    spn_client_ensure_fresh(self->client);
}

void spn_web_daemon_touch(SpnWebDaemon *self)
{
    g_return_if_fail(SPN_IS_WEB_DAEMON(self));
    if (spn_client_get_proxy(self->client) == NULL)
        return;
    gint64 now = g_get_monotonic_time();
    if (self->last_request_heartbeat_us != 0 &&
        now - self->last_request_heartbeat_us <
            (gint64)spn_client_get_heartbeat_ms(self->client) * 1000)
        return;
    self->last_request_heartbeat_us = now;
    spn_client_report_presence(self->client, REQUEST_VIEWER_ID);
    spn_client_ensure_fresh(self->client);
}

void spn_web_daemon_set_watching(SpnWebDaemon *self, gboolean watching)
{
    g_return_if_fail(SPN_IS_WEB_DAEMON(self));
    spn_client_set_watching(self->client, watching);
}

GVariant *spn_web_daemon_get_snapshot(SpnWebDaemon *self)
{
    g_return_val_if_fail(SPN_IS_WEB_DAEMON(self), NULL);
    return spn_client_get_snapshot(self->client);
}

gboolean spn_web_daemon_is_signed_out(SpnWebDaemon *self)
{
    g_return_val_if_fail(SPN_IS_WEB_DAEMON(self), FALSE);
    return self->signed_out;
}

SpnWebDaemon *spn_web_daemon_new(GBusType bus_type)
{
    SpnWebDaemon *self = g_object_new(SPN_TYPE_WEB_DAEMON, NULL);
    self->client = spn_client_new(bus_type, NULL);
    spn_client_set_viewer_id(self->client, STREAM_VIEWER_ID);
    /* Presence only while a stream is open, on a connection closed with the last one, so the
     * daemon forgets the viewer at once (doc/design.md section 3, ReportViewerPresence). */
    spn_client_set_own_presence_connection(self->client, TRUE);
    /* A reply that differs only by predicted progress must not change the ETag. */
    spn_client_set_ignore_predicted(self->client, TRUE);
    /* Where spotnowd is D-Bus activatable, starting the web server starts it. */
    spn_client_set_auto_start(self->client, TRUE);
    g_signal_connect_object(self->client, "changed", G_CALLBACK(on_changed), self, 0);
    g_signal_connect_object(self->client, "status-changed", G_CALLBACK(on_status_changed), self, 0);
    g_signal_connect_object(self->client, "appeared", G_CALLBACK(on_appeared), self, 0);
    g_signal_connect_object(self->client, "vanished", G_CALLBACK(on_vanished), self, 0);
    spn_client_start(self->client);
    return self;
}

static void spn_web_daemon_dispose(GObject *object)
{
    SpnWebDaemon *self = SPN_WEB_DAEMON(object);
    if (self->client != NULL)
        g_signal_handlers_disconnect_by_data(self->client, self);
    g_clear_object(&self->client);
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
}
