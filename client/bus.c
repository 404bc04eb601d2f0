/* bus.c — connecting to the daemon and making sense of failed calls. */
#define G_LOG_DOMAIN "spotnow-bus"

#include "bus.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <string.h>

#include "spn-client.h"

#define SPN_ERROR_PREFIX "io.github.spotnow.Error."

GDBusConnection *spn_bus_connect(gboolean system, GError **error)
{
    return g_bus_get_sync(system ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION, NULL, error);
}

SpnNowPlaying1 *spn_bus_proxy(GDBusConnection *connection, GError **error)
{
    /* Loading no properties saves a round trip. The first call starts the daemon, not the
     * proxy: a call's error says whether activation failed (spn_bus_classify), the proxy's
     * would be a plain message. */
    return spn_now_playing1_proxy_new_sync(connection,
                                           G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                                               G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START_AT_CONSTRUCTION,
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

gboolean spn_bus_is_failed_start(const GError *error)
{
    return spn_client_is_failed_start(error);
}

const char *spn_bus_daemon_path(void)
{
    const char *path = g_getenv("SPOTNOWD");
    return path != NULL && path[0] != '\0' ? path : SPOTNOWD_PATH;
}

void spn_bus_print_unreachable(gboolean system, const GError *error)
{
    if (error != NULL) {
        g_autofree char *message = spn_bus_error_message(error);
        g_debug("daemon not reachable: %s", message);
    }
    /* The real path: spotnowd lives in libexec, not on PATH. */
    if (system) {
        g_printerr(_("spotnow: the spotnow daemon is not running on the system bus; start it "
                     "with “systemctl start spotnowd” or run “%s --system”.\n"),
                   spn_bus_daemon_path());
    } else {
        g_printerr(_("spotnow: the spotnow daemon is not running; start it with “systemctl "
                     "--user start spotnowd” or run “%s”.\n"),
                   spn_bus_daemon_path());
    }
}

char *spn_bus_daemon_reason(gboolean system)
{
    return spn_client_daemon_reason(spn_bus_daemon_path(), system);
}

int spn_bus_report_failed_start(gboolean system, const GError *error)
{
    g_autofree char *reason = spn_bus_daemon_reason(system);
    if (reason != NULL) {
        g_printerr(_("spotnow: the spotnow daemon failed to start: %s\n"), reason);
        g_printerr("%s\n", _("spotnow: fix that, then try again (with --wait, spotnow retries by "
                             "itself once the file is fixed)."));
        return SPN_EXIT_UNREACHABLE;
    }
    g_autofree char *message = error != NULL ? spn_bus_error_message(error) : g_strdup("");
    if (system) {
        g_printerr(_("spotnow: the spotnow daemon failed to start (%s); “journalctl -u spotnowd” "
                     "or running “%s --system” shows why.\n"),
                   message, spn_bus_daemon_path());
    } else {
        g_printerr(_("spotnow: the spotnow daemon failed to start (%s); “journalctl --user -u "
                     "spotnowd” or running “%s” shows why.\n"),
                   message, spn_bus_daemon_path());
    }
    return SPN_EXIT_UNREACHABLE;
}

GDBusConnection *spn_bus_connect_or_explain(gboolean system)
{
    g_autoptr(GError) error = NULL;
    GDBusConnection *connection = spn_bus_connect(system, &error);
    if (connection != NULL) {
        return connection;
    }
    const char *address = g_getenv("DBUS_SESSION_BUS_ADDRESS");
    const char *runtime_dir = g_getenv("XDG_RUNTIME_DIR");
    /* Where libdbus and GDBus look without an address (dbus-user-session's socket). */
    g_autofree char *user_bus = runtime_dir != NULL && runtime_dir[0] != '\0'
                                    ? g_build_filename(runtime_dir, "bus", NULL)
                                    : NULL;
    if (!system && (address == NULL || address[0] == '\0') &&
        (user_bus == NULL || !g_file_test(user_bus, G_FILE_TEST_EXISTS))) {
        /* A server, ssh, a container: GLib's own "Cannot autolaunch D-Bus without X11 $DISPLAY"
         * says what failed, not what to do. */
        g_autofree char *missing = user_bus != NULL
                                       ? g_strdup_printf(_("%s does not exist"), user_bus)
                                       : g_strdup(_("XDG_RUNTIME_DIR is not set"));
        g_printerr(_("spotnow: there is no session bus here (DBUS_SESSION_BUS_ADDRESS is not set "
                     "and %s), as on a server or over ssh. Either use a system-wide daemon with "
                     "“spotnow --system”, or run “dbus-run-session -- $SHELL” and start “%s” in "
                     "it, or install dbus-user-session and log in again.\n"),
                   missing, spn_bus_daemon_path());
        return NULL;
    }
    g_autofree char *message = spn_bus_error_message(error);
    g_printerr(_("spotnow: cannot connect to the %s bus: %s\n"), system ? "system" : "session",
               message);
    return NULL;
}

int spn_bus_report_unreachable(SpnBusFailure failure, gboolean system, const GError *error)
{
    if (failure == SPN_BUS_FAILURE_UNREACHABLE && spn_bus_is_failed_start(error)) {
        return spn_bus_report_failed_start(system, error);
    }
    if (failure == SPN_BUS_FAILURE_NO_ANSWER && error != NULL) {
        g_autofree char *message = spn_bus_error_message(error);
        g_printerr(_("spotnow: the spotnow daemon did not answer: %s\n"), message);
    } else {
        spn_bus_print_unreachable(system, error);
    }
    return SPN_EXIT_UNREACHABLE;
}

typedef struct {
    GMainLoop *loop;
    GDBusConnection *connection;
    gboolean system;
    gboolean appeared;
} Wait;

gboolean spn_bus_try_start(GDBusConnection *connection, gboolean system)
{
    g_autofree char *reason = spn_bus_daemon_reason(system);
    if (reason != NULL) {
        g_debug("the daemon would not start: %s", reason);
        return FALSE;
    }
    /* The reply does not matter: the name appearing does. */
    g_dbus_connection_call(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", "StartServiceByName",
                           g_variant_new("(su)", SPN_BUS_NAME, 0), G_VARIANT_TYPE("(u)"),
                           G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
    return TRUE;
}

static void on_appeared(GDBusConnection *connection, const char *name, const char *owner,
                        gpointer user_data)
{
    Wait *wait = user_data;
    wait->appeared = TRUE;
    g_main_loop_quit(wait->loop);
}

static gboolean on_retry_start(gpointer user_data)
{
    Wait *wait = user_data;
    spn_bus_try_start(wait->connection, wait->system);
    return G_SOURCE_CONTINUE;
}

static gboolean on_quit_signal(gpointer user_data)
{
    Wait *wait = user_data;
    g_main_loop_quit(wait->loop);
    return G_SOURCE_CONTINUE;
}

gboolean spn_bus_wait_for_name(GDBusConnection *connection)
{
    return spn_bus_wait_for_daemon(connection, FALSE, FALSE);
}

gboolean spn_bus_wait_for_daemon(GDBusConnection *connection, gboolean system, gboolean retry_start)
{
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    Wait wait = {loop, connection, system, FALSE};
    guint watch = g_bus_watch_name_on_connection(
        connection, SPN_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE, on_appeared, NULL, &wait, NULL);
    guint sigint = g_unix_signal_add(SIGINT, on_quit_signal, &wait);
    guint sigterm = g_unix_signal_add(SIGTERM, on_quit_signal, &wait);
    guint retry = retry_start ? g_timeout_add(SPN_BUS_RETRY_START_MS, on_retry_start, &wait) : 0;
    g_main_loop_run(loop);
    g_clear_handle_id(&retry, g_source_remove);
    g_source_remove(sigint);
    g_source_remove(sigterm);
    g_bus_unwatch_name(watch);
    return wait.appeared;
}
