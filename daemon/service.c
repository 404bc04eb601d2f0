/* service.c — the D-Bus face of the engine. */
#define G_LOG_DOMAIN "spotnow-service"

#include "service.h"

#include <glib/gi18n.h>

#include "spn-dbus.h"
#include "spn-error.h"

struct _SpnService {
    GObject parent_instance;
    SpnEngine *engine;
    SpnNowPlaying1 *skeleton;
    GDBusConnection *connection;
    GHashTable *sender_watches; /* unique name -> watch id */
    gboolean system_bus;
};

G_DEFINE_TYPE(SpnService, spn_service, G_TYPE_OBJECT)

static gboolean on_currently_playing(SpnNowPlaying1 *skeleton, GDBusMethodInvocation *invocation,
                                     gpointer user_data)
{
    SpnService *self = user_data;
    g_autoptr(GVariant) snapshot = spn_engine_dup_snapshot(self->engine);
    spn_now_playing1_complete_currently_playing(skeleton, invocation, snapshot);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_get_status(SpnNowPlaying1 *skeleton, GDBusMethodInvocation *invocation,
                              gpointer user_data)
{
    SpnService *self = user_data;
    spn_now_playing1_complete_get_status(skeleton, invocation, spn_engine_dup_status(self->engine));
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* @user_data is the handler's own reference to the invocation, which the reply consumes: one
 * more ref would leak every EnsureFresh call's message. */
static void on_fresh(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GDBusMethodInvocation *invocation = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) snapshot =
        spn_engine_ensure_fresh_finish(SPN_ENGINE(source), result, &error);
    if (snapshot == NULL)
        g_dbus_method_invocation_return_gerror(invocation, error);
    else
        g_dbus_method_invocation_return_value(invocation, g_variant_new("(@a{sv})", snapshot));
}

static gboolean on_ensure_fresh(SpnNowPlaying1 *skeleton, GDBusMethodInvocation *invocation,
                                gpointer user_data)
{
    SpnService *self = user_data;
    spn_engine_ensure_fresh(self->engine, NULL, on_fresh, invocation);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void on_sender_vanished(GDBusConnection *connection, const char *name, gpointer user_data)
{
    SpnService *self = user_data;
    /* Removing the watch from inside its own callback is allowed by GIO. */
    g_hash_table_remove(self->sender_watches, name);
    spn_engine_forget_sender(self->engine, name);
}

static void watch_sender(SpnService *self, const char *sender)
{
    if (g_hash_table_contains(self->sender_watches, sender))
        return;
    /* Watching a unique name also answers at once if it already left, closing the race
     * between its call and our watch. */
    guint id =
        g_bus_watch_name_on_connection(self->connection, sender, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                       NULL, on_sender_vanished, self, NULL);
    g_hash_table_insert(self->sender_watches, g_strdup(sender), GUINT_TO_POINTER(id));
}

static void on_sender_expired(SpnEngine *engine, const char *sender, gpointer user_data)
{
    SpnService *self = user_data;
    g_hash_table_remove(self->sender_watches, sender);
}

static gboolean on_report_viewer_presence(SpnNowPlaying1 *skeleton,
                                          GDBusMethodInvocation *invocation, const char *viewer_id,
                                          gpointer user_data)
{
    SpnService *self = user_data;
    const char *sender = g_dbus_method_invocation_get_sender(invocation);
    g_autoptr(GError) error = NULL;
    gboolean new_sender = FALSE;
    /* A peer-to-peer caller has no unique name; it cannot leave "the bus", so only the TTL
     * applies to it. */
    const char *key = sender != NULL ? sender : "(peer)";
    if (!spn_engine_report_viewer(self->engine, key, viewer_id, &new_sender, &error)) {
        g_dbus_method_invocation_return_gerror(invocation, error);
        return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
    if (new_sender && sender != NULL)
        watch_sender(self, sender);
    spn_now_playing1_complete_report_viewer_presence(skeleton, invocation);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- sign-in and control members, root only on the system bus ---------------------------- */

/* The installed policy already keeps these for root; this guard holds on a bus whose policy
 * lets everyone call everything (a hand-written system.d file, a test bus). */

typedef void (*PrivilegedFunc)(SpnService *self, GDBusMethodInvocation *invocation);

typedef struct {
    SpnService *self;
    GDBusMethodInvocation *invocation;
    PrivilegedFunc func;
} PrivilegedCall;

static void on_caller_uid(GObject *source, GAsyncResult *result, gpointer user_data)
{
    PrivilegedCall *call = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
    guint32 uid = G_MAXUINT32;
    if (reply != NULL)
        g_variant_get(reply, "(u)", &uid);
    if (uid == 0) {
        call->func(call->self, call->invocation);
    } else {
        /* TRANSLATORS: %s is a D-Bus method name such as BeginSignIn or Pause. */
        g_autofree char *message =
            g_strdup_printf(_("Only root may call %s on the system bus"),
                            g_dbus_method_invocation_get_method_name(call->invocation));
        g_dbus_method_invocation_return_dbus_error(
            call->invocation, "org.freedesktop.DBus.Error.AccessDenied", message);
    }
    g_object_unref(call->self);
    g_free(call);
}

static void run_privileged(SpnService *self, GDBusMethodInvocation *invocation, PrivilegedFunc func)
{
    if (!self->system_bus) {
        func(self, invocation);
        return;
    }
    PrivilegedCall *call = g_new0(PrivilegedCall, 1);
    call->self = g_object_ref(self);
    call->invocation = invocation;
    call->func = func;
    g_dbus_connection_call(self->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", "GetConnectionUnixUser",
                           g_variant_new("(s)", g_dbus_method_invocation_get_sender(invocation)),
                           G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_caller_uid,
                           call);
}

static void begin_sign_in(SpnService *self, GDBusMethodInvocation *invocation)
{
    g_autoptr(GError) error = NULL;
    const char *sender = g_dbus_method_invocation_get_sender(invocation);
    g_autofree char *url = spn_engine_begin_sign_in(self->engine, sender, &error);
    if (url == NULL) {
        g_dbus_method_invocation_return_gerror(invocation, error);
        return;
    }
    /* The flow outlives its caller: BeginSignIn and CompleteSignIn may come from two processes
     * (two `gdbus call`s on a headless machine, doc/design.md section 6). It ends by
     * CompleteSignIn, CancelSignIn (spotnow login sends it on Ctrl-C), SignOut, a new
     * BeginSignIn, or its expiry. */
    spn_now_playing1_complete_begin_sign_in(self->skeleton, invocation, url);
}

static void cancel_sign_in(SpnService *self, GDBusMethodInvocation *invocation)
{
    spn_engine_cancel_sign_in(self->engine, NULL);
    spn_now_playing1_complete_cancel_sign_in(self->skeleton, invocation);
}

static gboolean on_cancel_sign_in(SpnNowPlaying1 *skeleton, GDBusMethodInvocation *invocation,
                                  gpointer user_data)
{
    run_privileged(user_data, invocation, cancel_sign_in);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_begin_sign_in(SpnNowPlaying1 *skeleton, GDBusMethodInvocation *invocation,
                                 gpointer user_data)
{
    run_privileged(user_data, invocation, begin_sign_in);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void on_sign_in_completed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GDBusMethodInvocation *invocation = user_data;
    g_autoptr(GError) error = NULL;
    if (spn_engine_complete_sign_in_finish(SPN_ENGINE(source), result, &error))
        g_dbus_method_invocation_return_value(invocation, NULL);
    else
        g_dbus_method_invocation_return_gerror(invocation, error);
}

static void complete_sign_in(SpnService *self, GDBusMethodInvocation *invocation)
{
    const char *url = NULL;
    g_variant_get(g_dbus_method_invocation_get_parameters(invocation), "(&s)", &url);
    spn_engine_complete_sign_in(self->engine, url, NULL, on_sign_in_completed, invocation);
}

static gboolean on_complete_sign_in(SpnNowPlaying1 *skeleton, GDBusMethodInvocation *invocation,
                                    const char *redirected_url, gpointer user_data)
{
    run_privileged(user_data, invocation, complete_sign_in);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void sign_out(SpnService *self, GDBusMethodInvocation *invocation)
{
    g_autoptr(GError) error = NULL;
    if (spn_engine_sign_out(self->engine, &error))
        spn_now_playing1_complete_sign_out(self->skeleton, invocation);
    else
        g_dbus_method_invocation_return_gerror(invocation, error);
}

static gboolean on_sign_out(SpnNowPlaying1 *skeleton, GDBusMethodInvocation *invocation,
                            gpointer user_data)
{
    run_privileged(user_data, invocation, sign_out);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- player control ---------------------------------------------------------------------- */

static void on_control_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    GDBusMethodInvocation *invocation = user_data;
    g_autoptr(GError) error = NULL;
    if (spn_engine_control_finish(SPN_ENGINE(source), result, &error))
        g_dbus_method_invocation_return_value(invocation, NULL);
    else
        g_dbus_method_invocation_return_gerror(invocation, error);
}

void spn_service_control(SpnEngine *engine, GDBusMethodInvocation *invocation, SpnControl command,
                         gint64 position_ms)
{
    spn_engine_control(engine, command, position_ms, NULL, on_control_done, invocation);
}

/* Seek's target is worked out here, after the privilege check, from the position then. */
static void control(SpnService *self, GDBusMethodInvocation *invocation)
{
    const char *method = g_dbus_method_invocation_get_method_name(invocation);
    if (g_str_equal(method, "Play")) {
        spn_service_control(self->engine, invocation, SPN_CONTROL_PLAY, 0);
    } else if (g_str_equal(method, "Pause")) {
        spn_service_control(self->engine, invocation, SPN_CONTROL_PAUSE, 0);
    } else if (g_str_equal(method, "Next")) {
        spn_service_control(self->engine, invocation, SPN_CONTROL_NEXT, 0);
    } else if (g_str_equal(method, "Previous")) {
        spn_service_control(self->engine, invocation, SPN_CONTROL_PREVIOUS, 0);
    } else {
        gint64 offset_ms = 0;
        g_variant_get(g_dbus_method_invocation_get_parameters(invocation), "(x)", &offset_ms);
        gint64 now = g_get_real_time() / 1000;
        gint64 current =
            spn_snapshot_predicted_progress(spn_engine_get_snapshot(self->engine), now);
        /* Saturate: an offset near G_MININT64 must clamp to 0, not wrap. */
        gint64 target;
        if (__builtin_add_overflow(current, offset_ms, &target))
            target = offset_ms < 0 ? 0 : G_MAXINT64;
        spn_service_control(self->engine, invocation, SPN_CONTROL_SEEK, MAX(target, 0));
    }
}

static gboolean on_control(SpnNowPlaying1 *skeleton, GDBusMethodInvocation *invocation,
                           gpointer user_data)
{
    run_privileged(user_data, invocation, control);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean on_seek(SpnNowPlaying1 *skeleton, GDBusMethodInvocation *invocation,
                        gint64 offset_ms, gpointer user_data)
{
    return on_control(skeleton, invocation, user_data);
}

/* ---- signals ----------------------------------------------------------------------------- */

/* The property and the signal go out together: PropertiesChanged and Changed in one main loop
 * turn, so a proxy's cache and a signal handler never disagree for long. */
static void on_changed(SpnEngine *engine, GVariant *snapshot, gpointer user_data)
{
    SpnService *self = user_data;
    spn_now_playing1_set_snapshot(self->skeleton, snapshot);
    spn_now_playing1_emit_changed(self->skeleton, snapshot);
}

static void on_status_changed(SpnEngine *engine, GVariant *status, gpointer user_data)
{
    SpnService *self = user_data;
    spn_now_playing1_set_status(self->skeleton, status);
    spn_now_playing1_emit_status_changed(self->skeleton, status);
}

SpnService *spn_service_new(SpnEngine *engine, gboolean system_bus)
{
    SpnService *self = g_object_new(SPN_TYPE_SERVICE, NULL);
    self->engine = g_object_ref(engine);
    self->system_bus = system_bus;
    self->skeleton = spn_now_playing1_skeleton_new();
    g_signal_connect(self->skeleton, "handle-currently-playing", G_CALLBACK(on_currently_playing),
                     self);
    g_signal_connect(self->skeleton, "handle-ensure-fresh", G_CALLBACK(on_ensure_fresh), self);
    g_signal_connect(self->skeleton, "handle-report-viewer-presence",
                     G_CALLBACK(on_report_viewer_presence), self);
    g_signal_connect(self->skeleton, "handle-get-status", G_CALLBACK(on_get_status), self);
    g_signal_connect(self->skeleton, "handle-begin-sign-in", G_CALLBACK(on_begin_sign_in), self);
    g_signal_connect(self->skeleton, "handle-complete-sign-in", G_CALLBACK(on_complete_sign_in),
                     self);
    g_signal_connect(self->skeleton, "handle-sign-out", G_CALLBACK(on_sign_out), self);
    g_signal_connect(self->skeleton, "handle-cancel-sign-in", G_CALLBACK(on_cancel_sign_in), self);
    g_signal_connect(self->skeleton, "handle-play", G_CALLBACK(on_control), self);
    g_signal_connect(self->skeleton, "handle-pause", G_CALLBACK(on_control), self);
    g_signal_connect(self->skeleton, "handle-next", G_CALLBACK(on_control), self);
    g_signal_connect(self->skeleton, "handle-previous", G_CALLBACK(on_control), self);
    g_signal_connect(self->skeleton, "handle-seek", G_CALLBACK(on_seek), self);
    g_signal_connect_object(engine, "changed", G_CALLBACK(on_changed), self, 0);
    g_signal_connect_object(engine, "status-changed", G_CALLBACK(on_status_changed), self, 0);
    g_signal_connect_object(engine, "sender-expired", G_CALLBACK(on_sender_expired), self, 0);
    return self;
}

gboolean spn_service_export(SpnService *self, GDBusConnection *connection, GError **error)
{
    g_set_object(&self->connection, connection);
    g_autoptr(GVariant) snapshot = spn_engine_dup_snapshot(self->engine);
    spn_now_playing1_set_snapshot(self->skeleton, snapshot);
    g_autoptr(GVariant) status = g_variant_ref_sink(spn_engine_dup_status(self->engine));
    spn_now_playing1_set_status(self->skeleton, status);
    return g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(self->skeleton), connection,
                                            SPN_OBJECT_PATH, error);
}

void spn_service_unexport(SpnService *self)
{
    GDBusInterfaceSkeleton *skeleton = G_DBUS_INTERFACE_SKELETON(self->skeleton);
    /* Never exported when the bus could not be reached. */
    if (g_dbus_interface_skeleton_get_connection(skeleton) != NULL)
        g_dbus_interface_skeleton_unexport(skeleton);
    g_hash_table_remove_all(self->sender_watches);
}

static void unwatch(gpointer id)
{
    g_bus_unwatch_name(GPOINTER_TO_UINT(id));
}

static void spn_service_finalize(GObject *object)
{
    SpnService *self = SPN_SERVICE(object);
    g_clear_pointer(&self->sender_watches, g_hash_table_unref);
    g_clear_object(&self->skeleton);
    g_clear_object(&self->engine);
    g_clear_object(&self->connection);
    G_OBJECT_CLASS(spn_service_parent_class)->finalize(object);
}

static void spn_service_class_init(SpnServiceClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = spn_service_finalize;
}

static void spn_service_init(SpnService *self)
{
    self->sender_watches = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, unwatch);
}
