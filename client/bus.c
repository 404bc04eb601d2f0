/* bus.c — connecting to the daemon and making sense of failed calls. */
#define G_LOG_DOMAIN "spotnow-bus"

#include "bus.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>

#define SPN_ERROR_PREFIX "io.github.spotnow.Error."

GDBusConnection *spn_bus_connect(gboolean system, GError **error)
{
    return g_bus_get_sync(system ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION, NULL, error);
}

SpnNowPlaying1 *spn_bus_proxy(GDBusConnection *connection, GError **error)
{
    /* The interface has no properties; loading none saves a round trip. */
    return spn_now_playing1_proxy_new_sync(connection, G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES,
                                           SPN_BUS_NAME, SPN_OBJECT_PATH, NULL, error);
}

static gboolean name_has_owner(GDBusConnection *connection)
{
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
        connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
        "NameHasOwner", g_variant_new("(s)", SPN_BUS_NAME), G_VARIANT_TYPE("(b)"),
        G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
    gboolean has_owner = FALSE;
    if (reply != NULL) {
        g_variant_get(reply, "(b)", &has_owner);
    }
    return has_owner;
}

static gboolean is_remote(const GError *error, const char *name)
{
    g_autofree char *remote = g_dbus_error_get_remote_error(error);
    return g_strcmp0(remote, name) == 0;
}

SpnBusFailure spn_bus_classify(GDBusConnection *connection, const GError *error)
{
    if (is_remote(error, SPN_ERROR_PREFIX "SignedOut")) {
        return SPN_BUS_FAILURE_SIGNED_OUT;
    }
    if (is_remote(error, SPN_ERROR_PREFIX "NotSupported")) {
        return SPN_BUS_FAILURE_NOT_SUPPORTED;
    }
    /* A closed connection means the bus itself went away. */
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CLOSED)) {
        return SPN_BUS_FAILURE_UNREACHABLE;
    }
    /* No reply: a hung daemon, or one that died mid-call (then the name is gone). */
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
        g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
        g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT) ||
        g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_TIMED_OUT)) {
        return name_has_owner(connection) ? SPN_BUS_FAILURE_NO_ANSWER : SPN_BUS_FAILURE_UNREACHABLE;
    }
    if (error->domain != G_DBUS_ERROR) {
        return SPN_BUS_FAILURE_OTHER;
    }
    switch (error->code) {
        case G_DBUS_ERROR_SERVICE_UNKNOWN:
        case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
        case G_DBUS_ERROR_SPAWN_EXEC_FAILED:
        case G_DBUS_ERROR_SPAWN_FORK_FAILED:
        case G_DBUS_ERROR_SPAWN_CHILD_EXITED:
        case G_DBUS_ERROR_SPAWN_CHILD_SIGNALED:
        case G_DBUS_ERROR_SPAWN_FAILED:
        case G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND:
        case G_DBUS_ERROR_SPAWN_SERVICE_INVALID:
            /* The daemon may have taken the name between our call and now. */
            return name_has_owner(connection) ? SPN_BUS_FAILURE_RETRY : SPN_BUS_FAILURE_UNREACHABLE;
        default:
            return SPN_BUS_FAILURE_OTHER;
    }
}

char *spn_bus_error_message(const GError *error)
{
    g_autoptr(GError) copy = g_error_copy(error);
    g_dbus_error_strip_remote_error(copy);
    /* The bus's own refusal ("Rejected send message, 2 matched rules; …") means nothing to a
     * user; the policy in data/ lets only root sign in, out and control playback. */
    if (g_error_matches(copy, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED) &&
        g_str_has_prefix(copy->message, "Rejected send message")) {
        return g_strdup(_("only root may do this on the system bus (try it with sudo)"));
    }
    return g_strdup(copy->message);
}

void spn_bus_print_unreachable(gboolean system, const GError *error)
{
    if (error != NULL) {
        g_autofree char *message = spn_bus_error_message(error);
        g_debug("daemon not reachable: %s", message);
    }
    if (system) {
        g_printerr("%s\n", _("spotnow: the spotnow daemon is not running on the system bus; "
                             "start it with “systemctl start spotnowd” or run “spotnowd "
                             "--system”."));
    } else {
        g_printerr("%s\n", _("spotnow: the spotnow daemon is not running; start it with "
                             "“systemctl --user start spotnowd” or run “spotnowd”."));
    }
}

int spn_bus_report_unreachable(SpnBusFailure failure, gboolean system, const GError *error)
{
    if (failure == SPN_BUS_FAILURE_NO_ANSWER && error != NULL) {
        g_autofree char *message = spn_bus_error_message(error);
        g_printerr(_("spotnow: the spotnow daemon did not answer: %s\n"), message);
    } else {
        spn_bus_print_unreachable(system, error);
    }
    return SPN_EXIT_UNREACHABLE;
}

gboolean spn_bus_has_method(GDBusConnection *connection, const char *method, GError **error)
{
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
        connection, SPN_BUS_NAME, SPN_OBJECT_PATH, "org.freedesktop.DBus.Introspectable",
        "Introspect", NULL, G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
    if (reply == NULL) {
        return FALSE;
    }
    const char *xml = NULL;
    g_variant_get(reply, "(&s)", &xml);
    g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml(xml, error);
    if (node == NULL) {
        return FALSE;
    }
    GDBusInterfaceInfo *iface = g_dbus_node_info_lookup_interface(node, SPN_INTERFACE);
    return iface != NULL && g_dbus_interface_info_lookup_method(iface, method) != NULL;
}

typedef struct {
    GMainLoop *loop;
    gboolean appeared;
} Wait;

static void on_appeared(GDBusConnection *connection, const char *name, const char *owner,
                        gpointer user_data)
{
    Wait *wait = user_data;
    wait->appeared = TRUE;
    g_main_loop_quit(wait->loop);
}

static gboolean on_quit_signal(gpointer user_data)
{
    Wait *wait = user_data;
    g_main_loop_quit(wait->loop);
    return G_SOURCE_CONTINUE;
}

gboolean spn_bus_wait_for_name(GDBusConnection *connection)
{
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    Wait wait = {loop, FALSE};
    guint watch = g_bus_watch_name_on_connection(
        connection, SPN_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE, on_appeared, NULL, &wait, NULL);
    guint sigint = g_unix_signal_add(SIGINT, on_quit_signal, &wait);
    guint sigterm = g_unix_signal_add(SIGTERM, on_quit_signal, &wait);
    g_main_loop_run(loop);
    g_source_remove(sigint);
    g_source_remove(sigterm);
    g_bus_unwatch_name(watch);
    return wait.appeared;
}
