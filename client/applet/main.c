/* main.c — spotnow-applet: the application, its options, --screenshot and the test mode. */
#define G_LOG_DOMAIN "spotnow-applet"

#include <gio/gunixinputstream.h>
#include <glib/gi18n.h>
#include <gtk/gtk.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applet-capture.h"
#include "applet-client.h"
#include "applet-window.h"

#define APP_ID "io.github.spotnow.Applet"
/* --screenshot gives up if the daemon has not answered by then. */
#define CAPTURE_DEADLINE_S 20
#define CAPTURE_FRAMES 2

typedef struct {
    GtkApplication *app;
    SpnAppletClient *client;
    SpnAppletWindow *window;
    char *screenshot; /* --screenshot FILE */
    gboolean dump_labels;
    gboolean test_control;
    gboolean system_bus;
    guint frames;
    guint deadline_source;
    gulong ready_handler;
    GDataInputStream *control;
    int exit_status;
} Applet;

/* ---- --screenshot / --dump-labels ---------------------------------------------------------- */

static void finish_capture(Applet *applet)
{
    g_autoptr(GError) error = NULL;
    if (applet->screenshot != NULL &&
        !spn_applet_capture_png(GTK_WIDGET(applet->window), applet->screenshot, &error)) {
        g_printerr(_("spotnow-applet: cannot write %s: %s\n"), applet->screenshot, error->message);
        applet->exit_status = EXIT_FAILURE;
    }
    if (applet->dump_labels) {
        g_autoptr(GString) out = g_string_new(NULL);
        spn_applet_window_describe(applet->window, out);
        g_print("%s", out->str);
        fflush(stdout);
    }
    g_application_quit(G_APPLICATION(applet->app));
}

/* The render node exists only once the window has been laid out and drawn: wait for frames. */
static gboolean on_frame(GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
    Applet *applet = user_data;
    if (++applet->frames < CAPTURE_FRAMES)
        return G_SOURCE_CONTINUE;
    g_idle_add_once((GSourceOnceFunc)finish_capture, applet);
    return G_SOURCE_REMOVE;
}

static void on_ready(SpnAppletWindow *window, gpointer user_data)
{
    Applet *applet = user_data;
    g_clear_signal_handler(&applet->ready_handler, window);
    g_clear_handle_id(&applet->deadline_source, g_source_remove);
    gtk_widget_add_tick_callback(GTK_WIDGET(window), on_frame, applet, NULL);
}

static gboolean on_capture_deadline(gpointer user_data)
{
    Applet *applet = user_data;
    applet->deadline_source = 0;
    g_printerr(_("spotnow-applet: no answer from spotnowd within %d s\n"), CAPTURE_DEADLINE_S);
    applet->exit_status = EXIT_FAILURE;
    g_application_quit(G_APPLICATION(applet->app));
    return G_SOURCE_REMOVE;
}

/* ---- --test-control: commands on stdin, for tests that hide and show the window ------------ */

static void read_command(Applet *applet);

static void run_command(Applet *applet, const char *command)
{
    GtkWidget *window = GTK_WIDGET(applet->window);
    if (g_str_equal(command, "hide")) {
        gtk_widget_set_visible(window, FALSE);
    } else if (g_str_equal(command, "show")) {
        gtk_window_present(GTK_WINDOW(window));
    } else if (g_str_equal(command, "sign-in")) {
        /* As a click on "Open Spotify's sign-in page" does. */
        g_action_group_activate_action(G_ACTION_GROUP(window), "sign-in", NULL);
    } else if (g_str_has_prefix(command, "action ")) {
        /* As a click on a menu item does: "action play-pause". */
        g_action_group_activate_action(G_ACTION_GROUP(window), command + strlen("action "), NULL);
    } else if (g_str_equal(command, "describe")) {
        g_autoptr(GString) out = g_string_new(NULL);
        spn_applet_window_describe(applet->window, out);
        g_print("%s", out->str);
    } else if (g_str_has_prefix(command, "resize ")) {
        int width = 0, height = 0;
        if (sscanf(command, "resize %d %d", &width, &height) == 2)
            gtk_window_set_default_size(GTK_WINDOW(window), width, height);
    } else if (g_str_equal(command, "close")) {
        /* As the window manager's close button does: close-request, then the last window
         * going ends the application. */
        g_print("ok close\n");
        fflush(stdout);
        gtk_window_close(GTK_WINDOW(window));
        return;
    } else if (g_str_equal(command, "quit")) {
        g_application_quit(G_APPLICATION(applet->app));
        return;
    } else {
        g_print("error unknown command %s\n", command);
    }
    g_print("ok %s\n", command);
    fflush(stdout);
}

static void on_command(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Applet *applet = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *line = g_data_input_stream_read_line_finish_utf8(G_DATA_INPUT_STREAM(source),
                                                                      result, NULL, &error);
    if (line == NULL) {
        /* EOF or a broken pipe: the test is gone, so are we. */
        g_application_quit(G_APPLICATION(applet->app));
        return;
    }
    run_command(applet, g_strstrip(line));
    read_command(applet);
}

static void read_command(Applet *applet)
{
    g_data_input_stream_read_line_async(applet->control, G_PRIORITY_DEFAULT, NULL, on_command,
                                        applet);
}

/* ---- application --------------------------------------------------------------------------- */

/* 0 (half the daemon's presence TTL) unless SPOTNOW_APPLET_HEARTBEAT_S says otherwise. */
static guint heartbeat_ms(void)
{
    const char *env = g_getenv("SPOTNOW_APPLET_HEARTBEAT_S");
    if (env == NULL)
        return 0;
    char *end = NULL;
    double value = g_ascii_strtod(env, &end);
    if (end != env && *end == '\0' && value > 0 && value <= 3600)
        return (guint)MAX(value * 1000.0, 10.0);
    g_warning("ignoring SPOTNOW_APPLET_HEARTBEAT_S=%s: not a number of seconds", env);
    return 0;
}

static void on_activate(GApplication *app, gpointer user_data)
{
    Applet *applet = user_data;
    if (applet->window != NULL) {
        gtk_window_present(GTK_WINDOW(applet->window));
        return;
    }
    gboolean capturing = applet->screenshot != NULL || applet->dump_labels;
    SpnAppletWindowOptions options = {
        .heartbeat_ms = heartbeat_ms(),
        .daemon_path = SPOTNOWD_PATH,
        .remember_geometry = !capturing,
        .trace = applet->test_control,
    };
    applet->window = spn_applet_window_new(applet->app, applet->client, &options);
    if (capturing) {
        applet->ready_handler =
            g_signal_connect(applet->window, "ready", G_CALLBACK(on_ready), applet);
        applet->deadline_source =
            g_timeout_add_seconds(CAPTURE_DEADLINE_S, on_capture_deadline, applet);
    }
    if (applet->test_control) {
        g_autoptr(GInputStream) in = g_unix_input_stream_new(0, FALSE);
        applet->control = g_data_input_stream_new(in);
        read_command(applet);
    }
    gtk_window_present(GTK_WINDOW(applet->window));
}

static void action_about(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    Applet *applet = user_data;
    const char *authors[] = {"spotnow developers", NULL};
    gtk_show_about_dialog(GTK_WINDOW(applet->window), "program-name", "spotnow", "logo-icon-name",
                          APP_ID, "version", SPOTNOW_VERSION, "comments",
                          _("What you play on Spotify, on any device"), "license-type",
                          GTK_LICENSE_GPL_3_0, "authors", authors, NULL);
}

static void action_quit(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    Applet *applet = user_data;
    /* Through close-request, so the size is remembered as when the window is closed. */
    if (applet->window != NULL)
        gtk_window_close(GTK_WINDOW(applet->window));
    g_application_quit(G_APPLICATION(applet->app));
}

static void on_startup(GApplication *app, gpointer user_data)
{
    Applet *applet = user_data;
    static const GActionEntry entries[] = {
        {"about", action_about, NULL, NULL, NULL, {0}},
        {"quit", action_quit, NULL, NULL, NULL, {0}},
    };
    g_action_map_add_action_entries(G_ACTION_MAP(app), entries, G_N_ELEMENTS(entries), applet);
    const char *refresh[] = {"F5", "<Control>r", NULL};
    const char *copy[] = {"<Control>c", NULL};
    const char *quit[] = {"<Control>q", NULL};
    gtk_application_set_accels_for_action(applet->app, "win.refresh", refresh);
    gtk_application_set_accels_for_action(applet->app, "win.copy-link", copy);
    gtk_application_set_accels_for_action(applet->app, "app.quit", quit);
    /* GtkApplication adds our icons/ to the theme by itself, but not the style sheet. */
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new();
    gtk_css_provider_load_from_resource(css, "/io/github/spotnow/Applet/style.css");
    gtk_style_context_add_provider_for_display(gdk_display_get_default(), GTK_STYLE_PROVIDER(css),
                                               GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
    applet->client =
        spn_applet_client_new(applet->system_bus ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION);
    /* As spotnow does: $SPOTNOWD (a build tree, a test), else the installed daemon. */
    const char *daemon = g_getenv("SPOTNOWD");
    spn_applet_client_set_daemon_path(applet->client,
                                      daemon != NULL && *daemon != '\0' ? daemon : SPOTNOWD_PATH);
    spn_applet_client_start(applet->client);
}

static int on_handle_local_options(GApplication *app, GVariantDict *options, gpointer user_data)
{
    Applet *applet = user_data;
    if (g_variant_dict_contains(options, "version")) {
        g_print("spotnow-applet %s\n", SPOTNOW_VERSION);
        return EXIT_SUCCESS;
    }
    g_variant_dict_lookup(options, "screenshot", "^ay", &applet->screenshot);
    applet->dump_labels = g_variant_dict_contains(options, "dump-labels");
    applet->test_control = g_variant_dict_contains(options, "test-control");
    applet->system_bus = g_variant_dict_contains(options, "system");
    /* A capture or a test must neither hand over to a running applet nor be handed one. */
    if (applet->screenshot != NULL || applet->dump_labels || applet->test_control)
        g_application_set_flags(app, g_application_get_flags(app) | G_APPLICATION_NON_UNIQUE);
    return -1;
}

static const GOptionEntry option_entries[] = {
    {"screenshot", 0, 0, G_OPTION_ARG_FILENAME, NULL,
     N_("Once the first snapshot is shown, save the window as a PNG and exit"), N_("FILE")},
    {"system", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Talk to the spotnow daemon on the system bus"),
     NULL},
    {"version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL},
    /* For tests: print what the window shows (with --screenshot, or alone) and exit. */
    {"dump-labels", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, NULL, NULL, NULL},
    /* For tests: read hide/show/describe/resize W H/close/quit commands on stdin, print events
     * on stdout. */
    {"test-control", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, NULL, NULL, NULL},
    {NULL},
};

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    Applet applet = {.exit_status = EXIT_SUCCESS};
    applet.app = gtk_application_new(APP_ID, G_APPLICATION_DEFAULT_FLAGS);
    g_application_add_main_option_entries(G_APPLICATION(applet.app), option_entries);
    g_application_set_option_context_summary(
        G_APPLICATION(applet.app),
        _("What you play on Spotify, on any device, in a small window."));
    g_signal_connect(applet.app, "handle-local-options", G_CALLBACK(on_handle_local_options),
                     &applet);
    g_signal_connect(applet.app, "startup", G_CALLBACK(on_startup), &applet);
    g_signal_connect(applet.app, "activate", G_CALLBACK(on_activate), &applet);

    int status = g_application_run(G_APPLICATION(applet.app), argc, argv);
    if (status == EXIT_SUCCESS)
        status = applet.exit_status;

    g_clear_handle_id(&applet.deadline_source, g_source_remove);
    g_clear_object(&applet.control);
    g_clear_object(&applet.client);
    g_clear_object(&applet.app);
    g_free(applet.screenshot);
    return status;
}
