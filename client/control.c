/* control.c — the control commands, through the generated proxy: one call each (two for
 * toggle), and a daemon without the member answers UnknownMethod. */
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
static gboolean query_playing(SpnNowPlaying1 *proxy, gboolean *playing, GError **error)
{
    g_autoptr(GVariant) snapshot = NULL;
    if (!spn_now_playing1_call_currently_playing_sync(proxy, &snapshot, NULL, error)) {
        return FALSE;
    }
    *playing = FALSE;
    g_variant_lookup(snapshot, "isPlaying", "b", playing);
    return TRUE;
}

static gboolean call_method(SpnNowPlaying1 *proxy, const char *method, gint64 offset_ms,
                            GError **error)
{
    if (g_str_equal(method, "Play")) {
        return spn_now_playing1_call_play_sync(proxy, NULL, error);
    }
    if (g_str_equal(method, "Pause")) {
        return spn_now_playing1_call_pause_sync(proxy, NULL, error);
    }
    if (g_str_equal(method, "Next")) {
        return spn_now_playing1_call_next_sync(proxy, NULL, error);
    }
    if (g_str_equal(method, "Previous")) {
        return spn_now_playing1_call_previous_sync(proxy, NULL, error);
    }
    return spn_now_playing1_call_seek_sync(proxy, offset_ms, NULL, error);
}

int spn_control_run(GDBusConnection *connection, const char *verb, gint64 offset_ms,
                    gboolean system)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnNowPlaying1) proxy = spn_bus_proxy(connection, &error);
    if (proxy == NULL) {
        g_printerr("spotnow: %s\n", error->message);
        return SPN_EXIT_UNREACHABLE;
    }
    /* A command's reply waits for the poll after it. */
    g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(proxy), SPN_BUS_FRESH_TIMEOUT_MS);

    gboolean playing = FALSE;
    if (g_str_equal(verb, "toggle") && !query_playing(proxy, &playing, &error)) {
        return report_failure(connection, error, system);
    }
    const char *method = spn_args_control_method(verb, playing);
    g_return_val_if_fail(method != NULL, SPN_EXIT_USAGE);

    if (!call_method(proxy, method, offset_ms, &error)) {
        /* A daemon older than the control members says so by name. */
        if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD)) {
            g_printerr("%s\n", _("spotnow: playback control is not available in this version of "
                                 "the daemon yet."));
            return SPN_EXIT_USAGE;
        }
        return report_failure(connection, error, system);
    }
    return SPN_EXIT_OK;
}
