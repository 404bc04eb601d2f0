/* main.c — spotnow-web: options, the listening socket (or systemd's), and the main loop.
 *
 *   spotnow-web [--session | --system] [--listen ADDR:PORT] [--config FILE] [--version]
 *
 * doc/design.md section 9 is the contract; spotnow-web(1) the manual. */
#define G_LOG_DOMAIN "spotnow-web"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "web-config.h"
#include "web-daemon.h"
#include "web-server.h"

/* sd_listen_fds(3): the first passed descriptor. */
#define SD_LISTEN_FDS_START 3

typedef struct {
    gboolean session;
    gboolean system;
    char *listen;
    char *config_path;
    gboolean version;
} Options;

static void options_clear(Options *options)
{
    g_clear_pointer(&options->listen, g_free);
    g_clear_pointer(&options->config_path, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Options, options_clear)

static gboolean parse_options(int *argc, char ***argv, Options *options)
{
    const GOptionEntry entries[] = {
        {"session", 0, 0, G_OPTION_ARG_NONE, &options->session,
         N_("Follow spotnowd on the session bus (the default)"), NULL},
        {"system", 0, 0, G_OPTION_ARG_NONE, &options->system,
         N_("Follow spotnowd on the system bus"), NULL},
        {"listen", 0, 0, G_OPTION_ARG_STRING, &options->listen,
         N_("Listen on ADDR:PORT instead of [web] listen (default 127.0.0.1:8897)"),
         N_("ADDR:PORT")},
        {"config", 0, 0, G_OPTION_ARG_FILENAME, &options->config_path,
         N_("Read the configuration from FILE"), N_("FILE")},
        {"version", 0, 0, G_OPTION_ARG_NONE, &options->version, N_("Print the version and exit"),
         NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new(NULL);
    g_option_context_set_summary(
        context, _("Serves what spotnowd knows to a web site: JSON, live events, an SVG card "
                   "and a widget."));
    g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(context, argc, argv, &error)) {
        g_printerr("spotnow-web: %s\n", error->message);
        g_printerr("%s\n", _("Try “spotnow-web --help” for more information."));
        return FALSE;
    }
    if (options->session && options->system) {
        g_printerr(_("spotnow-web: --session and --system exclude each other\n"));
        return FALSE;
    }
    if (*argc > 1) {
        g_printerr(_("spotnow-web: unexpected argument “%s”\n"), (*argv)[1]);
        g_printerr("%s\n", _("Try “spotnow-web --help” for more information."));
        return FALSE;
    }
    return TRUE;
}

/* The socket systemd passed (socket activation), or NULL. The variables are unset so a child
 * never takes them for its own. */
static GSocket *activation_socket(GError **error)
{
    const char *pid = g_getenv("LISTEN_PID");
    const char *fds = g_getenv("LISTEN_FDS");
    guint64 n = 0, listen_pid = 0;
    gboolean ours = pid != NULL && fds != NULL &&
                    g_ascii_string_to_unsigned(pid, 10, 1, G_MAXINT, &listen_pid, NULL) &&
                    listen_pid == (guint64)getpid() &&
                    g_ascii_string_to_unsigned(fds, 10, 1, 64, &n, NULL);
    g_unsetenv("LISTEN_PID");
    g_unsetenv("LISTEN_FDS");
    g_unsetenv("LISTEN_FDNAMES");
    if (!ours)
        return NULL;
    if (n > 1)
        g_message("systemd passed %u sockets; using the first", (guint)n);
    return g_socket_new_from_fd(SD_LISTEN_FDS_START, error);
}

/* Each event stream is a socket: the usual soft limit of 1024 descriptors would cap the default
 * max-streams of 1000 just short. Raise it as far as the hard limit allows. */
static void raise_fd_limit(guint max_streams)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return;
    /* Besides the streams, connections wait in four bounded places: for a request in the front
     * door, being read and being answered by libsoup, and closing. */
    rlim_t wanted = (rlim_t)max_streams + 4 * SPN_WEB_MAX_PENDING + 64;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
        limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : MIN(wanted, limit.rlim_max);
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
            g_message("cannot raise the file descriptor limit to %lu",
                      (unsigned long)limit.rlim_cur);
    }
}

static gboolean on_quit_signal(gpointer user_data)
{
    g_main_loop_quit(user_data);
    return G_SOURCE_REMOVE;
}

static int run(const Options *options)
{
    g_autofree char *config_path = options->config_path != NULL
                                       ? g_strdup(options->config_path)
                                       : spn_web_config_default_path(options->system);
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnWebConfig) config = spn_web_config_load(config_path, &error);
    if (config == NULL) {
        g_printerr("spotnow-web: %s\n", error->message);
        return EXIT_FAILURE;
    }
    const char *listen = options->listen != NULL ? options->listen : config->listen;
    g_autoptr(GSocketAddress) address = spn_web_parse_listen(listen, &error);
    if (address == NULL) {
        g_printerr(_("spotnow-web: --listen: %s\n"), error->message);
        return 2;
    }

    raise_fd_limit(config->max_streams);
    /* Before any thread exists: it unsets the environment. */
    g_autoptr(GSocket) socket = activation_socket(&error);
    g_autoptr(SpnWebDaemon) daemon =
        spn_web_daemon_new(options->system ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION);
    g_autoptr(SpnWebServer) server = spn_web_server_new(config, daemon);

    gboolean listening;
    if (error != NULL)
        listening = FALSE;
    else if (socket != NULL)
        listening = spn_web_server_listen_socket(server, socket, &error);
    else
        listening = spn_web_server_listen(server, address, &error);
    if (!listening) {
        g_printerr(_("spotnow-web: cannot listen on %s: %s\n"), listen, error->message);
        return EXIT_FAILURE;
    }
    g_autofree char *where = spn_web_server_describe(server);
    g_message("listening on %s", where);

    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, on_quit_signal, loop);
    g_unix_signal_add(SIGINT, on_quit_signal, loop);
    g_main_loop_run(loop);
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    g_auto(Options) options = {0};
    if (!parse_options(&argc, &argv, &options))
        return 2;
    if (options.version) {
        g_print("spotnow-web %s\n", SPOTNOW_VERSION);
        return EXIT_SUCCESS;
    }
    return run(&options);
}
