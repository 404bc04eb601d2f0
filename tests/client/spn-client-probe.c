/* spn-client-probe.c — a SpnClient (lib/spn-client.c) on the session bus, its signals as lines on
 * stdout, commands from stdin: what tests/client/test_spn_client.py drives.
 *
 * Options: --auto-start, --retry-start, --own-presence, --ignore-predicted, --viewer-id ID,
 * --daemon-path PATH. Lines out: "appeared snapshot=<trackName or -> status=<authState or ->"
 * (what was held at once: the properties need no round trip), "vanished", "start-failed
 * <reason>", "changed <trackName or ->", "status <authState>", "fresh settled=<0|1>".
 * Commands in: "fresh", "watch on", "watch off", "presence ID", "quit". */
#define G_LOG_DOMAIN "spn-client-probe"

#include <stdio.h>
#include <string.h>

#include "spn-client.h"
#include "spn-protocol.h"

static void say(const char *format, ...) G_GNUC_PRINTF(1, 2);

static void say(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    putchar('\n');
    fflush(stdout);
}

static const char *lookup(GVariant *dict, const char *key)
{
    const char *value = NULL;
    if (dict == NULL || !g_variant_lookup(dict, key, "&s", &value))
        return "-";
    return value;
}

static void on_appeared(SpnClient *client, gpointer user_data)
{
    say("appeared snapshot=%s status=%s",
        lookup(spn_client_get_snapshot(client), SPN_KEY_TRACK_NAME),
        lookup(spn_client_get_status(client), SPN_STATUS_AUTH_STATE));
}

static void on_vanished(SpnClient *client, gpointer user_data)
{
    say("vanished");
}

static void on_start_failed(SpnClient *client, const GError *error, gpointer user_data)
{
    say("start-failed %s", spn_client_get_start_failure(client));
}

static void on_changed(SpnClient *client, gpointer user_data)
{
    say("changed %s", lookup(spn_client_get_snapshot(client), SPN_KEY_TRACK_NAME));
}

static void on_status_changed(SpnClient *client, gpointer user_data)
{
    say("status %s", lookup(spn_client_get_status(client), SPN_STATUS_AUTH_STATE));
}

static void on_fresh(SpnClient *client, gpointer user_data)
{
    say("fresh settled=%d", spn_client_is_settled(client));
}

typedef struct {
    SpnClient *client;
    GMainLoop *loop;
} Probe;

static gboolean on_stdin(GIOChannel *channel, GIOCondition condition, gpointer user_data)
{
    Probe *probe = user_data;
    g_autofree char *line = NULL;
    if (g_io_channel_read_line(channel, &line, NULL, NULL, NULL) != G_IO_STATUS_NORMAL) {
        g_main_loop_quit(probe->loop);
        return G_SOURCE_CONTINUE; /* removed after the loop */
    }
    g_strstrip(line);
    if (g_str_equal(line, "fresh"))
        spn_client_ensure_fresh(probe->client);
    else if (g_str_equal(line, "watch on"))
        spn_client_set_watching(probe->client, TRUE);
    else if (g_str_equal(line, "watch off"))
        spn_client_set_watching(probe->client, FALSE);
    else if (g_str_has_prefix(line, "presence "))
        spn_client_report_presence(probe->client, line + strlen("presence "));
    else if (g_str_equal(line, "quit"))
        g_main_loop_quit(probe->loop);
    else
        g_printerr("spn-client-probe: unknown command “%s”\n", line);
    return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
    gboolean auto_start = FALSE, retry_start = FALSE, own_presence = FALSE;
    gboolean ignore_predicted = FALSE;
    g_autofree char *viewer_id = NULL;
    g_autofree char *daemon_path = NULL;
    GOptionEntry entries[] = {
        {"auto-start", 0, 0, G_OPTION_ARG_NONE, &auto_start, "start the daemon", NULL},
        {"retry-start", 0, 0, G_OPTION_ARG_NONE, &retry_start, "retry a failed start", NULL},
        {"own-presence", 0, 0, G_OPTION_ARG_NONE, &own_presence, "own presence connection", NULL},
        {"ignore-predicted", 0, 0, G_OPTION_ARG_NONE, &ignore_predicted, "no predicted", NULL},
        {"viewer-id", 0, 0, G_OPTION_ARG_STRING, &viewer_id, "viewer id", "ID"},
        {"daemon-path", 0, 0, G_OPTION_ARG_FILENAME, &daemon_path, "spotnowd", "PATH"},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new(NULL);
    g_option_context_add_main_entries(context, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(context, &argc, &argv, &error)) {
        g_printerr("spn-client-probe: %s\n", error->message);
        return 2;
    }

    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_autoptr(SpnClient) client = spn_client_new(G_BUS_TYPE_SESSION, NULL);
    spn_client_set_auto_start(client, auto_start);
    spn_client_set_retry_start(client, retry_start);
    spn_client_set_own_presence_connection(client, own_presence);
    spn_client_set_ignore_predicted(client, ignore_predicted);
    spn_client_set_daemon_path(client, daemon_path);
    if (viewer_id != NULL)
        spn_client_set_viewer_id(client, viewer_id);
    g_signal_connect(client, "appeared", G_CALLBACK(on_appeared), NULL);
    g_signal_connect(client, "vanished", G_CALLBACK(on_vanished), NULL);
    g_signal_connect(client, "start-failed", G_CALLBACK(on_start_failed), NULL);
    g_signal_connect(client, "changed", G_CALLBACK(on_changed), NULL);
    g_signal_connect(client, "status-changed", G_CALLBACK(on_status_changed), NULL);
    g_signal_connect(client, "fresh", G_CALLBACK(on_fresh), NULL);

    Probe probe = {client, loop};
    g_autoptr(GIOChannel) in = g_io_channel_unix_new(0);
    guint in_id = g_io_add_watch(in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, &probe);
    spn_client_start(client);
    g_main_loop_run(loop);
    g_source_remove(in_id);
    return 0;
}
