/* main.c — spotnowd: options, the bus name, and the main loop. */
#define G_LOG_DOMAIN "spotnowd"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>

#include "art-cache.h"
#include "config.h"
#include "desktop-session.h"
#include "engine.h"
#include "local-source.h"
#include "mpris.h"
#include "service.h"
#include "spn-error.h"
#include "store.h"

typedef struct {
    GMainLoop *loop;
    gboolean system;
    const char *config_path;
    const char *state_dir;
    const char *art_dir;
    GDBusConnection *connection; /* once the bus is acquired */
    SpnConfig *config;           /* the engine's, replaced on reload */
    SpnEngine *engine;
    SpnService *service;
    SpnMpris *mpris;                 /* NULL: [mpris] enabled=false, or the system bus */
    SpnDesktopSession *desktop;      /* NULL: [presence] desktop-session=false, or no MPRIS */
    gboolean desktop_session_wanted; /* created once the main name is ours */
    gboolean local_wanted;           /* rule 13: the session bus may have a Spotify client */
    SpnLocalSource *local;           /* created once the main name is ours */
    gboolean name_owned;
    int exit_status;
} Daemon;

typedef struct {
    gboolean session;
    gboolean system;
    char *config_path;
    char *state_dir;
    gboolean replace;
    gboolean version;
    gboolean check_config;
} Options;

static void on_bus_acquired(GDBusConnection *connection, const char *name, gpointer user_data)
{
    Daemon *daemon = user_data;
    g_autoptr(GError) error = NULL;
    daemon->connection = connection;
    /* Export before the name is ours, so nobody who sees the name finds no object. */
    if (!spn_service_export(daemon->service, connection, &error)) {
        g_printerr(_("spotnowd: cannot export %s: %s\n"), SPN_OBJECT_PATH, error->message);
        daemon->exit_status = EXIT_FAILURE;
        g_main_loop_quit(daemon->loop);
    }
}

/* A panel showing our player is a viewer only while it is on the bus and someone sits at an
 * active, unlocked desktop. */
static void update_desktop_viewer(Daemon *daemon)
{
    gboolean present = daemon->mpris != NULL && daemon->desktop != NULL &&
                       spn_mpris_get_on_bus(daemon->mpris) &&
                       spn_desktop_session_get_active(daemon->desktop);
    spn_engine_set_desktop_viewer(daemon->engine, present);
}

static void on_viewer_input_changed(GObject *object, GParamSpec *pspec, gpointer user_data)
{
    update_desktop_viewer(user_data);
}

/* Only the instance that owns the main name speaks MPRIS or asks logind anything, so a
 * refused second instance leaves no trace on either bus. */
static void start_mpris(Daemon *daemon, GDBusConnection *connection)
{
    if (daemon->mpris == NULL)
        return;
    g_signal_connect(daemon->mpris, "notify::on-bus", G_CALLBACK(on_viewer_input_changed), daemon);
    if (daemon->desktop_session_wanted) {
        daemon->desktop = spn_desktop_session_new();
        g_signal_connect(daemon->desktop, "notify::active", G_CALLBACK(on_viewer_input_changed),
                         daemon);
    }
    spn_mpris_start(daemon->mpris, connection);
}

static void stop_mpris(Daemon *daemon)
{
    if (daemon->desktop != NULL)
        g_signal_handlers_disconnect_by_data(daemon->desktop, daemon);
    g_clear_object(&daemon->desktop);
    if (daemon->mpris != NULL) {
        g_signal_handlers_disconnect_by_data(daemon->mpris, daemon);
        spn_mpris_stop(daemon->mpris);
    }
    g_clear_object(&daemon->mpris);
}

static void on_local_active(GObject *object, GParamSpec *pspec, gpointer user_data)
{
    Daemon *daemon = user_data;
    spn_engine_set_local_source(daemon->engine,
                                spn_local_source_get_active(SPN_LOCAL_SOURCE(object)));
}

static void on_local_snapshot(SpnLocalSource *local, gpointer snapshot, gpointer user_data)
{
    Daemon *daemon = user_data;
    spn_engine_apply_local(daemon->engine, snapshot);
}

/* The Spotify client here, if any, is followed for free (rule 13). */
static void start_local(Daemon *daemon, GDBusConnection *connection)
{
    if (!daemon->local_wanted)
        return;
    daemon->local = spn_local_source_new(connection);
    g_signal_connect(daemon->local, "notify::active", G_CALLBACK(on_local_active), daemon);
    g_signal_connect(daemon->local, "snapshot", G_CALLBACK(on_local_snapshot), daemon);
}

static void stop_local(Daemon *daemon)
{
    if (daemon->local != NULL)
        g_signal_handlers_disconnect_by_data(daemon->local, daemon);
    g_clear_object(&daemon->local);
}

static void on_name_acquired(GDBusConnection *connection, const char *name, gpointer user_data)
{
    Daemon *daemon = user_data;
    daemon->name_owned = TRUE;
    g_debug("owns %s", name);
    spn_engine_start(daemon->engine);
    start_mpris(daemon, connection);
    start_local(daemon, connection);
}

static void on_name_lost(GDBusConnection *connection, const char *name, gpointer user_data)
{
    Daemon *daemon = user_data;
    if (connection == NULL) {
        g_printerr(_("spotnowd: cannot connect to the bus\n"));
        daemon->exit_status = EXIT_FAILURE;
    } else if (daemon->name_owned) {
        /* Replaced by another spotnowd --replace: a clean hand-over, not a failure. The new
         * owner keeps the files from now on. */
        daemon->name_owned = FALSE;
        g_message("%s was taken over by another instance; exiting", name);
    } else {
        g_printerr(_("spotnowd: %s is already owned by another process (use --replace to take "
                     "it over)\n"),
                   name);
        daemon->exit_status = EXIT_FAILURE;
    }
    g_main_loop_quit(daemon->loop);
}

static gboolean on_quit_signal(gpointer user_data)
{
    Daemon *daemon = user_data;
    g_main_loop_quit(daemon->loop);
    return G_SOURCE_CONTINUE;
}

static void print_config_warnings(const SpnConfig *config)
{
    for (guint i = 0; config->warnings != NULL && i < config->warnings->len; i++)
        g_printerr(_("spotnowd: warning: %s\n"),
                   (const char *)g_ptr_array_index(config->warnings, i));
}

/* The parts made from the config: the engine, its D-Bus face and MPRIS. */
static void create_parts(Daemon *daemon, SpnConfig *config)
{
    daemon->config = config;
    daemon->engine = spn_engine_new(config, daemon->state_dir, daemon->art_dir);
    daemon->service = spn_service_new(daemon->engine, daemon->system);
    /* Panels and playerctl look for MPRIS players on the session bus only. */
    if (config->mpris_enabled && !daemon->system) {
        daemon->mpris = spn_mpris_new(daemon->engine, config->hide_when_local);
        daemon->desktop_session_wanted = config->desktop_session;
    }
    /* The Spotify client runs in a desktop session, never on the system bus. */
    daemon->local_wanted = !daemon->system;
}

static void destroy_parts(Daemon *daemon)
{
    stop_local(daemon);
    stop_mpris(daemon);
    /* Only the owner of the name writes state: a refused or replaced instance would overwrite
     * the owner's newer files with what it read at its start. */
    spn_engine_shutdown(daemon->engine, daemon->name_owned);
    spn_service_unexport(daemon->service);
    g_clear_object(&daemon->service);
    g_clear_object(&daemon->engine);
    g_clear_pointer(&daemon->config, spn_config_free);
}

/* SIGHUP (and `systemctl reload`): a config that does not load changes nothing, and says why;
 * one that loads replaces every part made from the config, as at a start (state saved and read
 * back). The bus name stays ours throughout: systemd stops a Type=dbus service that drops it. */
static gboolean on_reload_signal(gpointer user_data)
{
    Daemon *daemon = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnConfig) config = spn_config_load(daemon->config_path, &error);
    if (config == NULL) {
        g_printerr(_("spotnowd: not reloading, the running settings stay: %s\n"), error->message);
        return G_SOURCE_CONTINUE;
    }
    print_config_warnings(config);
    g_message("reloading %s", daemon->config_path);
    destroy_parts(daemon);
    create_parts(daemon, g_steal_pointer(&config));
    if (daemon->connection != NULL &&
        !spn_service_export(daemon->service, daemon->connection, &error)) {
        g_printerr(_("spotnowd: cannot export %s: %s\n"), SPN_OBJECT_PATH, error->message);
        daemon->exit_status = EXIT_FAILURE;
        g_main_loop_quit(daemon->loop);
        return G_SOURCE_CONTINUE;
    }
    if (daemon->name_owned) {
        spn_engine_start(daemon->engine);
        start_mpris(daemon, daemon->connection);
        start_local(daemon, daemon->connection);
    }
    return G_SOURCE_CONTINUE;
}

/* --check-config: what a start would say about the config, without the bus or the name, so a
 * client can show why D-Bus activation failed. */
/* The config a start (or --check-config) uses, its warnings said; NULL after saying why not. */
static SpnConfig *load_config(const Options *options, char **config_path)
{
    *config_path = options->config_path ? g_strdup(options->config_path)
                                        : spn_config_default_path(options->system);
    g_autoptr(GError) error = NULL;
    SpnConfig *config = spn_config_load(*config_path, &error);
    if (config == NULL) {
        g_printerr("spotnowd: %s\n", error->message);
        return NULL;
    }
    print_config_warnings(config);
    return config;
}

static int check_config(const Options *options)
{
    g_autofree char *config_path = NULL;
    g_autoptr(SpnConfig) config = load_config(options, &config_path);
    if (config == NULL)
        return EXIT_FAILURE;
    if (!g_file_test(config_path, G_FILE_TEST_EXISTS))
        g_print(_("%s: no such file; the defaults apply\n"), config_path);
    else
        g_print(_("%s: valid\n"), config_path);
    if (config->client_id == NULL)
        g_printerr(
            _("spotnowd: note: [spotify] client-id is not set; sign-in needs it (see "
              "man spotnowd)\n"));
    return EXIT_SUCCESS;
}

static gboolean parse_options(int *argc, char ***argv, Options *options)
{
    const GOptionEntry entries[] = {
        {"session", 0, 0, G_OPTION_ARG_NONE, &options->session,
         N_("Use the session bus (the default)"), NULL},
        {"system", 0, 0, G_OPTION_ARG_NONE, &options->system, N_("Use the system bus"), NULL},
        {"config", 0, 0, G_OPTION_ARG_FILENAME, &options->config_path,
         N_("Read the configuration from FILE"), N_("FILE")},
        {"state-dir", 0, 0, G_OPTION_ARG_FILENAME, &options->state_dir,
         N_("Keep state and credentials in DIR"), N_("DIR")},
        {"replace", 0, 0, G_OPTION_ARG_NONE, &options->replace,
         N_("Take the bus name over from a running instance"), NULL},
        {"version", 0, 0, G_OPTION_ARG_NONE, &options->version, N_("Print the version and exit"),
         NULL},
        {"check-config", 0, 0, G_OPTION_ARG_NONE, &options->check_config,
         N_("Check the configuration file, print what is wrong with it, and exit (1 if it "
            "cannot be used)"),
         NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new(NULL);
    g_option_context_set_summary(
        context, _("The spotnow daemon: what you play on Spotify, on any device, over D-Bus."));
    g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(context, argc, argv, &error)) {
        g_printerr("spotnowd: %s\n", error->message);
        return FALSE;
    }
    if (options->session && options->system) {
        g_printerr(_("spotnowd: --session and --system exclude each other\n"));
        return FALSE;
    }
    return TRUE;
}

static int run(const Options *options)
{
    g_autofree char *config_path = NULL;
    g_autoptr(SpnConfig) config = load_config(options, &config_path);
    if (config == NULL)
        return EXIT_FAILURE;
    g_autoptr(GError) error = NULL;
    /* A file named on the command line was meant to be read: a typo must not pass unseen. */
    if (options->config_path != NULL && !g_file_test(config_path, G_FILE_TEST_EXISTS))
        g_printerr(_("spotnowd: %s does not exist; using the default settings\n"), config_path);

    /* Connect first: GBusNameLostCallback cannot say why the bus was out of reach, and nothing
     * (the state files included) should be touched by an instance that cannot serve. The name
     * owner below shares this connection. */
    GBusType bus_type = options->system ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION;
    g_autoptr(GDBusConnection) bus = g_bus_get_sync(bus_type, NULL, &error);
    if (bus == NULL) {
        g_printerr(_("spotnowd: cannot connect to the %s bus: %s\n"),
                   options->system ? "system" : "session", error->message);
        return EXIT_FAILURE;
    }
    g_autofree char *state_dir = options->state_dir ? g_strdup(options->state_dir)
                                                    : spn_store_default_state_dir(options->system);
    g_debug("config %s, state in %s", config_path, state_dir);
    g_autofree char *art_dir = spn_art_cache_default_dir(options->system);

    Daemon daemon = {
        .exit_status = EXIT_SUCCESS,
        .system = options->system,
        .config_path = config_path,
        .state_dir = state_dir,
        .art_dir = art_dir,
    };
    daemon.loop = g_main_loop_new(NULL, FALSE);
    create_parts(&daemon, g_steal_pointer(&config));

    g_unix_signal_add(SIGTERM, on_quit_signal, &daemon);
    g_unix_signal_add(SIGINT, on_quit_signal, &daemon);
    g_unix_signal_add(SIGHUP, on_reload_signal, &daemon);
    GBusNameOwnerFlags flags =
        G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT | G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE;
    if (options->replace)
        flags |= G_BUS_NAME_OWNER_FLAGS_REPLACE;
    guint owner_id = g_bus_own_name(bus_type, SPN_BUS_NAME, flags, on_bus_acquired,
                                    on_name_acquired, on_name_lost, &daemon, NULL);

    g_main_loop_run(daemon.loop);

    destroy_parts(&daemon);
    g_bus_unown_name(owner_id);
    g_main_loop_unref(daemon.loop);
    return daemon.exit_status;
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);
    /* Register the D-Bus error names before any call can fail. */
    (void)spn_error_quark();

    Options options = {0};
    if (!parse_options(&argc, &argv, &options))
        return 2;
    if (options.version) {
        g_print("spotnowd %s\n", SPOTNOW_VERSION);
        return EXIT_SUCCESS;
    }
    if (options.check_config) {
        int status = check_config(&options);
        g_free(options.config_path);
        g_free(options.state_dir);
        return status;
    }
    int status = run(&options);
    g_free(options.config_path);
    g_free(options.state_dir);
    return status;
}
