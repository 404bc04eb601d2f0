/* control.c — the control commands, as plain D-Bus calls: the generated proxy does not know the
 * control members yet, so the daemon's introspection decides whether they are there. */
#define G_LOG_DOMAIN "spotnow-control"

#include "control.h"

#include <glib/gi18n.h>

#include "bus.h"

/* Seeking further than a day is a typo, not a wish; it also keeps the ms in range. */
#define MAX_SEEK_SECONDS (24.0 * 3600.0)

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
            g_printerr("spotnow: %s\n", message);
            return SPN_EXIT_SIGNED_OUT;
        case SPN_BUS_FAILURE_NOT_SUPPORTED:
            g_printerr("spotnow: %s\n", message);
            return SPN_EXIT_USAGE;
        case SPN_BUS_FAILURE_OTHER:
        default:
            g_printerr("spotnow: %s\n", message);
            return SPN_EXIT_NOTHING_PLAYING;
    }
}

/* "Pause" when something plays, else "Play". NULL with @error on failure. */
static const char *toggle_method(GDBusConnection *connection, GError **error)
{
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
        connection, SPN_BUS_NAME, SPN_OBJECT_PATH, SPN_INTERFACE, "CurrentlyPlaying", NULL,
        G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
    if (reply == NULL) {
        return NULL;
    }
    g_autoptr(GVariant) snapshot = g_variant_get_child_value(reply, 0);
    gboolean playing = FALSE;
    g_variant_lookup(snapshot, "isPlaying", "b", &playing);
    return playing ? "Pause" : "Play";
}

static const char *method_for(const char *verb)
{
    static const char *const map[][2] = {
        {"play", "Play"}, {"pause", "Pause"},       {"next", "Next"},
        {"seek", "Seek"}, {"previous", "Previous"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(map); i++) {
        if (g_str_equal(map[i][0], verb)) {
            return map[i][1];
        }
    }
    return NULL;
}

int spn_control_run(GDBusConnection *connection, const char *verb, double seconds, gboolean system)
{
    g_autoptr(GError) error = NULL;
    const char *method = method_for(verb);
    if (g_str_equal(verb, "toggle")) {
        method = toggle_method(connection, &error);
        if (method == NULL) {
            return report_failure(connection, error, system);
        }
    }
    g_return_val_if_fail(method != NULL, SPN_EXIT_USAGE);

    if (!spn_bus_has_method(connection, method, &error)) {
        if (error != NULL) {
            return report_failure(connection, error, system);
        }
        g_printerr("%s\n", _("spotnow: playback control is not available in this version of "
                             "the daemon yet."));
        return SPN_EXIT_USAGE;
    }

    GVariant *parameters = NULL;
    if (g_str_equal(method, "Seek")) {
        double clamped = CLAMP(seconds, -MAX_SEEK_SECONDS, MAX_SEEK_SECONDS);
        gint64 offset_ms = (gint64)(clamped * 1000.0 + (clamped >= 0 ? 0.5 : -0.5));
        parameters = g_variant_new("(x)", offset_ms);
    }
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
        connection, SPN_BUS_NAME, SPN_OBJECT_PATH, SPN_INTERFACE, method, parameters, NULL,
        G_DBUS_CALL_FLAGS_NONE, SPN_BUS_FRESH_TIMEOUT_MS, NULL, &error);
    if (reply == NULL) {
        return report_failure(connection, error, system);
    }
    return SPN_EXIT_OK;
}
