/* desktop-session.c — logind's session state, followed on the system bus. */
#define G_LOG_DOMAIN "spotnow-desktop"

#include "desktop-session.h"

#include <unistd.h>

#define LOGIND_NAME "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"
#define LOGIND_MANAGER "org.freedesktop.login1.Manager"
#define LOGIND_USER "org.freedesktop.login1.User"
#define LOGIND_SESSION "org.freedesktop.login1.Session"

struct _SpnDesktopSession {
    GObject parent_instance;
    GCancellable *cancellable; /* cancelled on dispose: no callback outlives us */
    GCancellable *lookup;      /* one logind appearance; cancelled when it vanishes */
    GDBusConnection *system;
    guint logind_watch;
    guint manager_signals;
    GDBusProxy *user;    /* the user's logind object: Display names the graphical session */
    GDBusProxy *session; /* the session followed, or NULL */
    char *session_path;
    gboolean active;
};

enum { PROP_0, PROP_ACTIVE, N_PROPS };
static GParamSpec *props[N_PROPS];

G_DEFINE_TYPE(SpnDesktopSession, spn_desktop_session, G_TYPE_OBJECT)

static void follow_session(SpnDesktopSession *self, const char *path);

static gboolean cancelled(const GError *error)
{
    return g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static gboolean cached_boolean(GDBusProxy *proxy, const char *name, gboolean fallback)
{
    g_autoptr(GVariant) value = g_dbus_proxy_get_cached_property(proxy, name);
    if (value == NULL || !g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN))
        return fallback;
    return g_variant_get_boolean(value);
}

static void set_active(SpnDesktopSession *self, gboolean active)
{
    if (self->active == active)
        return;
    self->active = active;
    g_debug("desktop session %s", active ? "active" : "inactive, locked, idle or unknown");
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ACTIVE]);
}

/* Only a graphical session has a panel to look at. logind elects a tty or ssh session as the
 * user's Display when there is no graphical one, and our own session may be one: a daemon run
 * over ssh must not poll fast for a screen nobody has. */
static gboolean is_graphical(GDBusProxy *session)
{
    g_autoptr(GVariant) type = g_dbus_proxy_get_cached_property(session, "Type");
    if (type == NULL || !g_variant_is_of_type(type, G_VARIANT_TYPE_STRING))
        return FALSE;
    const char *name = g_variant_get_string(type, NULL);
    return g_str_equal(name, "x11") || g_str_equal(name, "wayland") || g_str_equal(name, "mir");
}

static void update(SpnDesktopSession *self)
{
    /* logind before v230 has no LockedHint: treat its absence as unlocked. A session whose
     * properties could not be read at all is not known to be active. */
    gboolean active = self->session != NULL && is_graphical(self->session) &&
                      cached_boolean(self->session, "Active", FALSE) &&
                      !cached_boolean(self->session, "LockedHint", FALSE) &&
                      !cached_boolean(self->session, "IdleHint", FALSE);
    set_active(self, active);
}

static void on_session_properties(GDBusProxy *proxy, GVariant *changed, GStrv invalidated,
                                  gpointer user_data)
{
    update(user_data);
}

static void on_session_proxy(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusProxy) proxy = g_dbus_proxy_new_finish(result, &error);
    if (proxy == NULL && cancelled(error))
        return;
    SpnDesktopSession *self = user_data;
    if (proxy == NULL) {
        g_debug("cannot follow the logind session: %s", error->message);
        return;
    }
    /* The session changed again while this proxy was being made. */
    if (g_strcmp0(g_dbus_proxy_get_object_path(proxy), self->session_path) != 0)
        return;
    g_set_object(&self->session, proxy);
    g_signal_connect(proxy, "g-properties-changed", G_CALLBACK(on_session_properties), self);
    update(self);
}

static void forget_session(SpnDesktopSession *self)
{
    if (self->session != NULL)
        g_signal_handlers_disconnect_by_data(self->session, self);
    g_clear_object(&self->session);
    g_clear_pointer(&self->session_path, g_free);
}

/* A lookup that finds the session already followed keeps it (no flicker of the viewer). The
 * proxy is made under the object's own cancellable, so a new lookup does not cancel it: a
 * stale one is recognised by its path in on_session_proxy. */
static void follow_session(SpnDesktopSession *self, const char *path)
{
    if (g_strcmp0(path, self->session_path) == 0) {
        update(self);
        return;
    }
    forget_session(self);
    update(self);
    if (path == NULL)
        return;
    g_debug("following logind session %s", path);
    self->session_path = g_strdup(path);
    g_dbus_proxy_new(self->system, G_DBUS_PROXY_FLAGS_GET_INVALIDATED_PROPERTIES, NULL, LOGIND_NAME,
                     path, LOGIND_SESSION, self->cancellable, on_session_proxy, self);
}

static void on_session_by_pid(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
    if (reply == NULL && cancelled(error))
        return;
    SpnDesktopSession *self = user_data;
    if (reply == NULL) {
        /* A user service started outside any session (systemd --user) lands here. */
        g_debug("no logind session of ours: %s", error->message);
        follow_session(self, NULL);
        return;
    }
    const char *path = NULL;
    g_variant_get(reply, "(&o)", &path);
    follow_session(self, path);
}

/* The user's Display is the graphical session, where the panel is; a daemon started from a
 * terminal of that session has no better one. Without a Display, fall back to our own. */
static void follow_display(SpnDesktopSession *self)
{
    g_autoptr(GVariant) display =
        self->user != NULL ? g_dbus_proxy_get_cached_property(self->user, "Display") : NULL;
    if (display != NULL && g_variant_is_of_type(display, G_VARIANT_TYPE("(so)"))) {
        const char *path = NULL;
        g_variant_get(display, "(&s&o)", NULL, &path);
        if (!g_str_equal(path, "/")) {
            follow_session(self, path);
            return;
        }
    }
    g_dbus_connection_call(self->system, LOGIND_NAME, LOGIND_PATH, LOGIND_MANAGER,
                           "GetSessionByPID", g_variant_new("(u)", (guint32)getpid()),
                           G_VARIANT_TYPE("(o)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, self->lookup,
                           on_session_by_pid, self);
}

static void on_user_properties(GDBusProxy *proxy, GVariant *changed, GStrv invalidated,
                               gpointer user_data)
{
    g_autoptr(GVariant) display = g_variant_lookup_value(changed, "Display", NULL);
    if (display != NULL ||
        (invalidated != NULL && g_strv_contains((const char *const *)invalidated, "Display")))
        follow_display(user_data);
}

static void on_user_proxy(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusProxy) proxy = g_dbus_proxy_new_finish(result, &error);
    if (proxy == NULL && cancelled(error))
        return;
    SpnDesktopSession *self = user_data;
    if (proxy != NULL) {
        g_set_object(&self->user, proxy);
        g_signal_connect(proxy, "g-properties-changed", G_CALLBACK(on_user_properties), self);
    } else {
        g_debug("cannot read the logind user: %s", error->message);
    }
    follow_display(self);
}

static void on_user_path(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
    if (reply == NULL && cancelled(error))
        return;
    SpnDesktopSession *self = user_data;
    if (reply == NULL) {
        g_debug("logind does not know our user: %s", error->message);
        follow_display(self);
        return;
    }
    const char *path = NULL;
    g_variant_get(reply, "(&o)", &path);
    g_dbus_proxy_new(self->system, G_DBUS_PROXY_FLAGS_GET_INVALIDATED_PROPERTIES, NULL, LOGIND_NAME,
                     path, LOGIND_USER, self->lookup, on_user_proxy, self);
}

static void cancel_lookup(SpnDesktopSession *self)
{
    g_cancellable_cancel(self->lookup);
    g_clear_object(&self->lookup);
    if (self->user != NULL)
        g_signal_handlers_disconnect_by_data(self->user, self);
    g_clear_object(&self->user);
}

/* Find the session anew: the user's Display first, our own session second. The session
 * followed so far stays until the answer says otherwise. */
static void resolve(SpnDesktopSession *self)
{
    cancel_lookup(self);
    self->lookup = g_cancellable_new();
    g_dbus_connection_call(self->system, LOGIND_NAME, LOGIND_PATH, LOGIND_MANAGER, "GetUser",
                           g_variant_new("(u)", (guint32)getuid()), G_VARIANT_TYPE("(o)"),
                           G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, self->lookup, on_user_path, self);
}

/* logind tells when users and sessions come and go: a user who logs in after the daemon
 * started, or a session that ends, makes us look again, without polling. */
static void on_manager_signal(GDBusConnection *connection, const char *sender, const char *path,
                              const char *interface, const char *signal, GVariant *parameters,
                              gpointer user_data)
{
    SpnDesktopSession *self = user_data;
    if (g_str_equal(signal, "UserNew") &&
        g_variant_is_of_type(parameters, G_VARIANT_TYPE("(uo)"))) {
        guint32 uid = 0;
        g_variant_get(parameters, "(u&o)", &uid, NULL);
        if (uid == getuid())
            resolve(self);
    } else if (g_str_equal(signal, "SessionNew") && self->session_path == NULL) {
        resolve(self);
    } else if (g_str_equal(signal, "SessionRemoved") &&
               g_variant_is_of_type(parameters, G_VARIANT_TYPE("(so)"))) {
        const char *removed = NULL;
        g_variant_get(parameters, "(&s&o)", NULL, &removed);
        if (g_strcmp0(removed, self->session_path) == 0)
            resolve(self);
    }
}

static void on_logind_appeared(GDBusConnection *connection, const char *name, const char *owner,
                               gpointer user_data)
{
    g_debug("logind is on the system bus");
    resolve(user_data);
}

static void on_logind_vanished(GDBusConnection *connection, const char *name, gpointer user_data)
{
    SpnDesktopSession *self = user_data;
    g_debug("logind is not on the system bus");
    cancel_lookup(self);
    forget_session(self);
    update(self);
}

static void on_system_bus(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    GDBusConnection *system = g_bus_get_finish(result, &error);
    if (system == NULL) {
        if (!cancelled(error))
            g_debug("no system bus, so no desktop session: %s", error->message);
        return;
    }
    SpnDesktopSession *self = user_data;
    self->system = system;
    self->manager_signals = g_dbus_connection_signal_subscribe(
        system, LOGIND_NAME, LOGIND_MANAGER, NULL, LOGIND_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
        on_manager_signal, self, NULL);
    self->logind_watch =
        g_bus_watch_name_on_connection(system, LOGIND_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                       on_logind_appeared, on_logind_vanished, self, NULL);
}

SpnDesktopSession *spn_desktop_session_new(void)
{
    SpnDesktopSession *self = g_object_new(SPN_TYPE_DESKTOP_SESSION, NULL);
    g_bus_get(G_BUS_TYPE_SYSTEM, self->cancellable, on_system_bus, self);
    return self;
}

gboolean spn_desktop_session_get_active(SpnDesktopSession *self)
{
    g_return_val_if_fail(SPN_IS_DESKTOP_SESSION(self), FALSE);
    return self->active;
}

static void spn_desktop_session_dispose(GObject *object)
{
    SpnDesktopSession *self = SPN_DESKTOP_SESSION(object);
    g_cancellable_cancel(self->cancellable);
    cancel_lookup(self);
    forget_session(self);
    if (self->logind_watch != 0) {
        g_bus_unwatch_name(self->logind_watch);
        self->logind_watch = 0;
    }
    if (self->manager_signals != 0) {
        g_dbus_connection_signal_unsubscribe(self->system, self->manager_signals);
        self->manager_signals = 0;
    }
    g_clear_object(&self->system);
    G_OBJECT_CLASS(spn_desktop_session_parent_class)->dispose(object);
}

static void spn_desktop_session_finalize(GObject *object)
{
    SpnDesktopSession *self = SPN_DESKTOP_SESSION(object);
    g_clear_object(&self->cancellable);
    G_OBJECT_CLASS(spn_desktop_session_parent_class)->finalize(object);
}

static void spn_desktop_session_get_property(GObject *object, guint prop_id, GValue *value,
                                             GParamSpec *pspec)
{
    SpnDesktopSession *self = SPN_DESKTOP_SESSION(object);
    switch (prop_id) {
        case PROP_ACTIVE:
            g_value_set_boolean(value, self->active);
            break;
        default:
            G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void spn_desktop_session_class_init(SpnDesktopSessionClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    object_class->dispose = spn_desktop_session_dispose;
    object_class->finalize = spn_desktop_session_finalize;
    object_class->get_property = spn_desktop_session_get_property;
    props[PROP_ACTIVE] =
        g_param_spec_boolean("active", NULL, NULL, FALSE,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, props);
}

static void spn_desktop_session_init(SpnDesktopSession *self)
{
    self->cancellable = g_cancellable_new();
}
