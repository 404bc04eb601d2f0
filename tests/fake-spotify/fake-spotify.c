/* fake-spotify — a stand-in for the Spotify Web API and accounts service on 127.0.0.1, for
 * spotnow's demo and integration tests. See README.md in this directory. */
#define G_LOG_DOMAIN "spotnow-fake"

#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>

#include "server.h"

typedef struct {
    gint port;
    char *port_file;
    char *timeline;
    char *fixtures;
    char *access_token;
    char *refresh_token;
    char *client_id;
    char *client_secret;
    gint64 expires_in;
    gboolean rotate;
    char *scope;
    gboolean verbose;
} Options;

static void options_clear(Options *options)
{
    g_free(options->port_file);
    g_free(options->timeline);
    g_free(options->fixtures);
    g_free(options->access_token);
    g_free(options->refresh_token);
    g_free(options->client_id);
    g_free(options->client_secret);
    g_free(options->scope);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Options, options_clear)

static gboolean parse_options(Options *options, int *argc, char ***argv, GError **error)
{
    const GOptionEntry entries[] = {
        {"port", 0, 0, G_OPTION_ARG_INT, &options->port, "Port on 127.0.0.1 (0 = pick one)", "N"},
        {"port-file", 0, 0, G_OPTION_ARG_FILENAME, &options->port_file,
         "Also write the port to FILE", "FILE"},
        {"timeline", 0, 0, G_OPTION_ARG_FILENAME, &options->timeline, "The story to play", "FILE"},
        {"fixtures", 0, 0, G_OPTION_ARG_FILENAME, &options->fixtures,
         "Directory of Spotify reply fixtures", "DIR"},
        {"access-token", 0, 0, G_OPTION_ARG_STRING, &options->access_token,
         "Initial access token (default fake-access-0)", "TOKEN"},
        {"refresh-token", 0, 0, G_OPTION_ARG_STRING, &options->refresh_token,
         "Initial refresh token (default fake-refresh-0)", "TOKEN"},
        {"client-id", 0, 0, G_OPTION_ARG_STRING, &options->client_id,
         "Sign-ins and token requests must carry this client id", "ID"},
        {"client-secret", 0, 0, G_OPTION_ARG_STRING, &options->client_secret,
         "Token requests with HTTP Basic auth must carry this secret", "SECRET"},
        {"expires-in", 0, 0, G_OPTION_ARG_INT64, &options->expires_in,
         "Access token lifetime (default 3600)", "SECONDS"},
        {"rotate-refresh-token", 0, 0, G_OPTION_ARG_NONE, &options->rotate,
         "Issue a new refresh token on every refresh", NULL},
        {"scope", 0, 0, G_OPTION_ARG_STRING, &options->scope, "Scope of the initial tokens",
         "SCOPE"},
        {"verbose", 0, 0, G_OPTION_ARG_NONE, &options->verbose,
         "Log one line per request to stderr", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) context = g_option_context_new("— a fake Spotify Web API");

    options->expires_in = 3600;
    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, argc, argv, error))
        return FALSE;
    if (*argc > 1) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "unexpected argument '%s'",
                    (*argv)[1]);
        return FALSE;
    }
    if (options->port < 0 || options->port > 65535 || options->expires_in < 1 ||
        options->expires_in > G_MAXINT32) {
        g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                            "--port must be 0..65535 and --expires-in at least 1");
        return FALSE;
    }
    return TRUE;
}

static FsTimeline *load_timeline(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    FsTimeline *timeline;

    if (!g_file_get_contents(path, &text, NULL, error))
        return NULL;
    if (!g_utf8_validate(text, -1, NULL)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: not UTF-8", path);
        return NULL;
    }
    timeline = fs_timeline_parse(text, error);
    if (timeline == NULL)
        g_prefix_error(error, "%s: ", path);
    return timeline;
}

static void apply_options(FsServer *server, Options *options)
{
    if (options->access_token != NULL) {
        g_free(server->access_token);
        server->access_token = g_steal_pointer(&options->access_token);
    }
    if (options->refresh_token != NULL) {
        g_free(server->refresh_token);
        server->refresh_token = g_steal_pointer(&options->refresh_token);
    }
    if (options->scope != NULL) {
        g_free(server->scope);
        server->scope = g_steal_pointer(&options->scope);
    }
    server->client_id = g_steal_pointer(&options->client_id);
    server->client_secret = g_steal_pointer(&options->client_secret);
    server->expires_in_s = options->expires_in;
    server->rotate = options->rotate;
    server->verbose = options->verbose;
}

static gboolean on_quit_signal(gpointer user_data)
{
    g_main_loop_quit(user_data);
    return G_SOURCE_CONTINUE;
}

/* Tells whoever started us where we listen: "PORT <n>" on stdout, and the port file, written
 * atomically so a reader polling for it never sees half a number. */
static gboolean announce_port(guint port, const char *port_file, GError **error)
{
    g_autofree char *text = g_strdup_printf("%u\n", port);

    if (port_file != NULL && !g_file_set_contents(port_file, text, -1, error))
        return FALSE;
    printf("PORT %u\n", port);
    fflush(stdout);
    return TRUE;
}

int main(int argc, char **argv)
{
    g_auto(Options) options = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(FsServer) server = NULL;
    g_autoptr(GMainLoop) loop = NULL;
    guint sigterm_id, sigint_id;

    if (!parse_options(&options, &argc, &argv, &error)) {
        g_printerr("fake-spotify: %s\n", error->message);
        return 2;
    }
    server = fs_server_new(options.fixtures != NULL ? options.fixtures : FS_FIXTURES_DIR, &error);
    if (server == NULL) {
        g_printerr("fake-spotify: fixtures: %s\n", error->message);
        return 1;
    }
    if (options.timeline != NULL) {
        FsTimeline *timeline = load_timeline(options.timeline, &error);

        if (timeline == NULL) {
            g_printerr("fake-spotify: %s\n", error->message);
            return 1;
        }
        fs_server_set_timeline(server, timeline);
    }
    apply_options(server, &options);
    if (!fs_server_start(server, (guint)options.port, &error) ||
        !announce_port(server->port, options.port_file, &error)) {
        g_printerr("fake-spotify: %s\n", error->message);
        return 1;
    }
    /* The story starts when clients can first see it, not when the fixtures were read. */
    server->timeline_start_us = g_get_monotonic_time();

    loop = g_main_loop_new(NULL, FALSE);
    sigterm_id = g_unix_signal_add(SIGTERM, on_quit_signal, loop);
    sigint_id = g_unix_signal_add(SIGINT, on_quit_signal, loop);
    g_main_loop_run(loop);
    g_source_remove(sigterm_id);
    g_source_remove(sigint_id);
    return 0;
}
