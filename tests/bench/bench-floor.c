/* bench-floor.c — the memory floor: a do-nothing D-Bus service linked against the same libraries
 * as spotnowd (GIO, libsoup, json-glib), owning a name on the session bus, that fetched and
 * parsed one JSON reply over HTTP (so libsoup's paths and GIO's proxy modules are loaded as
 * in the daemon). Its RSS is what any GLib daemon of this kind pays for its libraries, so the
 * memory benchmark can tell the daemon's own share from theirs.
 *
 *   spn-bench-floor URL      prints "ready" once it owns io.github.spotnow.BenchFloor */
#define G_LOG_DOMAIN "spotnow-bench"

#include <gio/gio.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdio.h>

static void on_name_acquired(GDBusConnection *connection, const char *name, gpointer user_data)
{
    g_print("ready\n");
    fflush(stdout);
}

static void on_name_lost(GDBusConnection *connection, const char *name, gpointer user_data)
{
    g_printerr("bench-floor: could not own %s\n", name);
    g_main_loop_quit(user_data);
}

static gboolean on_quit_signal(gpointer user_data)
{
    g_main_loop_quit(user_data);
    return G_SOURCE_CONTINUE;
}

static gboolean fetch_json(SoupSession *session, JsonParser *parser, const char *url,
                           GError **error)
{
    g_autoptr(SoupMessage) message = soup_message_new("GET", url);
    if (message == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad URL %s", url);
        return FALSE;
    }
    g_autoptr(GBytes) body = soup_session_send_and_read(session, message, NULL, error);
    if (body == NULL)
        return FALSE;
    gsize size = 0;
    const char *data = g_bytes_get_data(body, &size);
    return json_parser_load_from_data(parser, data, (gssize)size, error);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        g_printerr("usage: %s URL\n", argv[0]);
        return 2;
    }
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    /* Alive for the whole run, like the daemon's. */
    g_autoptr(SoupSession) session = soup_session_new();
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    if (!fetch_json(session, parser, argv[1], &error)) {
        g_printerr("bench-floor: %s\n", error->message);
        return 1;
    }
    g_unix_signal_add(SIGTERM, on_quit_signal, loop);
    guint owner = g_bus_own_name(G_BUS_TYPE_SESSION, "io.github.spotnow.BenchFloor",
                                 G_BUS_NAME_OWNER_FLAGS_NONE, NULL, on_name_acquired, on_name_lost,
                                 loop, NULL);
    g_main_loop_run(loop);
    g_bus_unown_name(owner);
    return 0;
}
