/* control.c — the control commands, as plain D-Bus calls: the generated proxy does not know the
 * control members yet, so the daemon's introspection decides whether they are there. */
#define G_LOG_DOMAIN "spotnow-control"

#include "control.h"

#include <glib/gi18n.h>

#include "args.h"
#include "bus.h"

static int report_failure(GDBusConnection *connection, const GError *error, gboolean system)
{
    g_autofree char *message = spn_bus_error_message(error);
    SpnBusFailure failure = spn_bus_classify(connection, error);
    switch (failure) {
        case SPN_BUS_FAILURE_UNREACHABLE:
        case SPN_BUS_FAILURE_RETRY:
        case SPN_BUS_FAILURE_NO_ANSWER:
            return spn_bus_report_unreachable(failure, system, error);
        case SPN_BUS_FAILURE_SIGNED_OUT:
        case SPN_BUS_FAILURE_NOT_SUPPORTED:
            /* Both are cured (if at all) by signing in again, with the control scope. */
            g_printerr("spotnow: %s\n", message);
            return SPN_EXIT_SIGNED_OUT;
        case SPN_BUS_FAILURE_OTHER:
        default:
            g_printerr("spotnow: %s\n", message);
            return SPN_EXIT_NOTHING_PLAYING;
    }
}

/* Whether something plays now, for toggle. FALSE with @error set on failure. */
static gboolean query_playing(GDBusConnection *connection, gboolean *playing, GError **error)
{
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
        connection, SPN_BUS_NAME, SPN_OBJECT_PATH, SPN_INTERFACE, "CurrentlyPlaying", NULL,
        G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
    if (reply == NULL) {
        return FALSE;
    }
    g_autoptr(GVariant) snapshot = g_variant_get_child_value(reply, 0);
    *playing = FALSE;
    g_variant_lookup(snapshot, "isPlaying", "b", playing);
    return TRUE;
}

int spn_control_run(GDBusConnection *connection, const char *verb, gint64 offset_ms,
                    gboolean system)
{
    g_autoptr(GError) error = NULL;
    gboolean playing = FALSE;
    if (g_str_equal(verb, "toggle") && !query_playing(connection, &playing, &error)) {
        return report_failure(connection, error, system);
    }
    const char *method = spn_args_control_method(verb, playing);
    g_return_val_if_fail(method != NULL, SPN_EXIT_USAGE);

    if (!spn_bus_has_method(connection, method, &error)) {
        if (error != NULL) {
            return report_failure(connection, error, system);
        }
        g_printerr("%s\n", _("spotnow: playback control is not available in this version of "
                             "the daemon yet."));
        return SPN_EXIT_USAGE;
    }

    GVariant *parameters = g_str_equal(method, "Seek") ? g_variant_new("(x)", offset_ms) : NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
        connection, SPN_BUS_NAME, SPN_OBJECT_PATH, SPN_INTERFACE, method, parameters, NULL,
        G_DBUS_CALL_FLAGS_NONE, SPN_BUS_FRESH_TIMEOUT_MS, NULL, &error);
    if (reply == NULL) {
        return report_failure(connection, error, system);
    }
    return SPN_EXIT_OK;
}
