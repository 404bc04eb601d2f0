/* applet-window.c — widgets from the view, art, timers and presence. */
#define G_LOG_DOMAIN "spotnow-applet-window"

#include "applet-window.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "applet-art.h"
#include "applet-capture.h"
#include "applet-control.h"
#include "applet-settings.h"
#include "applet-state.h"
#include "signin-start.h"

/* How long a capture waits for art the daemon is still fetching before it shows the
 * placeholder: a local cache answers in milliseconds, Spotify's CDN in well under this. */
#define ART_GRACE_S 3

/* Focus flicking between windows must not turn into a burst of EnsureFresh calls; the daemon
 * would answer from cache anyway, but the bus need not carry them. */
#define FRESH_THROTTLE_US (2 * G_USEC_PER_SEC)

/* Half the daemon's default presence TTL (60 s), until GetStatus tells the real one. */
#define DEFAULT_HEARTBEAT_MS 30000

struct _SpnAppletWindow {
    GtkApplicationWindow parent_instance;

    GtkWidget *content; /* the window's child */
    /* template children */
    GtkWidget *placeholder;
    GtkPicture *art;
    GtkLabel *headline;
    GtkWidget *warning;
    GtkMenuButton *menu_button;
    GtkWidget *title_button;
    GtkLabel *title;
    GtkLabel *subtitle;
    GtkStack *bottom;
    GtkLabel *elapsed;
    GtkProgressBar *progress;
    GtkLabel *total;
    GtkMenuButton *sign_in;
    GtkLabel *sign_in_label;
    GtkLabel *sign_in_help;
    GtkWidget *sign_in_start;
    GtkLabel *sign_in_address;
    GMenuModel *menu_model;
    GtkWidget *context_menu;

    SpnAppletClient *client;
    SpnAppletControl *control; /* the menu's Play/Pause, Next, Previous */
    SpnAppletView *view;
    SpnAppletWindowOptions options;
    char *daemon_path;

    char *art_path; /* the file shown or being decoded */
    GCancellable *art_cancellable;
    gboolean art_loading;
    guint art_grace_source; /* running while art is expected and not yet there */
    gboolean art_grace_over;

    char *sign_in_message;  /* what the last "Sign in" press led to; NULL: the view's help */
    char *sign_in_url;      /* the address that message asks to open, or NULL */
    gboolean sign_in_retry; /* pressing the button again may help after that message */

    gboolean viewing; /* mapped and not minimised */
    GdkSurface *surface;
    gulong surface_state_handler;
    guint heartbeat_source;
    guint heartbeat_source_ms; /* the period heartbeat_source runs at */
    guint tick_source;
    gint64 last_fresh_us;
    gboolean ready;
};

enum { SIGNAL_READY, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_TYPE(SpnAppletWindow, spn_applet_window, GTK_TYPE_APPLICATION_WINDOW)

static gint64 now_ms(void)
{
    return g_get_real_time() / 1000;
}

static void trace(SpnAppletWindow *self, const char *event)
{
    if (!self->options.trace)
        return;
    g_print("event %s\n", event);
    fflush(stdout);
}

static void set_action_enabled(SpnAppletWindow *self, const char *name, gboolean enabled)
{
    GAction *action = g_action_map_lookup_action(G_ACTION_MAP(self), name);
    g_simple_action_set_enabled(G_SIMPLE_ACTION(action), enabled);
}

/* ---- readiness (for --screenshot) ---------------------------------------------------------- */

static void check_ready(SpnAppletWindow *self)
{
    gboolean ready = gtk_widget_get_mapped(GTK_WIDGET(self)) && self->view != NULL &&
                     self->view->mode != SPN_APPLET_MODE_CONNECTING && !self->art_loading &&
                     (!self->view->art_expected || self->art_grace_over) &&
                     spn_applet_client_is_settled(self->client);
    if (ready == self->ready)
        return;
    self->ready = ready;
    if (ready) {
        trace(self, "ready");
        g_signal_emit(self, signals[SIGNAL_READY], 0);
    }
}

gboolean spn_applet_window_is_ready(SpnAppletWindow *self)
{
    return self->ready;
}

/* ---- art ----------------------------------------------------------------------------------- */

static gboolean on_art_grace_over(gpointer user_data)
{
    SpnAppletWindow *self = user_data;
    self->art_grace_source = 0;
    self->art_grace_over = TRUE;
    check_ready(self);
    return G_SOURCE_REMOVE;
}

/* The daemon emits Changed with albumArtFile once its download lands: give it a moment. */
static void update_art_grace(SpnAppletWindow *self)
{
    if (!self->view->art_expected) {
        g_clear_handle_id(&self->art_grace_source, g_source_remove);
        self->art_grace_over = FALSE;
    } else if (self->art_grace_source == 0 && !self->art_grace_over) {
        self->art_grace_source = g_timeout_add_seconds(ART_GRACE_S, on_art_grace_over, self);
    }
}

static void on_art_loaded(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GdkTexture) texture = spn_applet_art_load_finish(result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return; /* superseded, or the window is gone */
    SpnAppletWindow *self = user_data;
    self->art_loading = FALSE;
    if (texture != NULL) {
        gtk_picture_set_paintable(self->art, GDK_PAINTABLE(texture));
        g_object_set_data_full(G_OBJECT(self->art), "spn-art-file", g_strdup(self->art_path),
                               g_free);
        gtk_widget_set_visible(GTK_WIDGET(self->art), TRUE);
        /* Dimmed art must not show the note icon through it. */
        gtk_widget_set_opacity(self->placeholder, 0.0);
    } else {
        /* A file evicted or damaged meanwhile: the placeholder is the honest picture. */
        g_debug("cannot show %s: %s", self->art_path, error->message);
    }
    check_ready(self);
}

static void show_art(SpnAppletWindow *self, const char *path)
{
    if (g_strcmp0(path, self->art_path) == 0)
        return;
    g_cancellable_cancel(self->art_cancellable);
    g_clear_object(&self->art_cancellable);
    g_free(self->art_path);
    self->art_path = g_strdup(path);
    /* Another album's cover would be wrong while the new one decodes: the placeholder is not. */
    gtk_widget_set_visible(GTK_WIDGET(self->art), FALSE);
    gtk_widget_set_opacity(self->placeholder, 1.0);
    gtk_picture_set_paintable(self->art, NULL);
    g_object_set_data(G_OBJECT(self->art), "spn-art-file", NULL);
    self->art_loading = path != NULL;
    if (path == NULL)
        return;
    self->art_cancellable = g_cancellable_new();
    spn_applet_art_load_async(path, self->art_cancellable, on_art_loaded, self);
}

/* ---- progress and its clock ---------------------------------------------------------------- */

static void show_progress(SpnAppletWindow *self)
{
    const SpnAppletView *view = self->view;
    gint64 now = now_ms();
    gint64 position = spn_applet_view_progress(view, now);
    g_autofree char *elapsed = spn_applet_format_time(position);
    g_autofree char *total = spn_applet_format_time(view->duration_ms);
    g_autofree char *value_text = spn_applet_view_progress_text(view, now);
    double fraction = view->duration_ms > 0 ? (double)position / (double)view->duration_ms : 0.0;

    gtk_label_set_text(self->elapsed, elapsed);
    gtk_label_set_text(self->total, total);
    gtk_progress_bar_set_fraction(self->progress, fraction);
    /* The bar announces its fraction; the time is what a listener wants to hear. */
    gtk_accessible_update_property(
        GTK_ACCESSIBLE(self->progress), GTK_ACCESSIBLE_PROPERTY_VALUE_MIN, 0.0,
        GTK_ACCESSIBLE_PROPERTY_VALUE_MAX, (double)view->duration_ms / 1000.0,
        GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, (double)position / 1000.0,
        GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, value_text, -1);
    g_object_set_data_full(G_OBJECT(self->progress), "spn-value-text", g_strdup(value_text),
                           g_free);
}

static void update_tick_timer(SpnAppletWindow *self);
static void update_heartbeat(SpnAppletWindow *self);

static gboolean on_tick(gpointer user_data)
{
    SpnAppletWindow *self = user_data;
    self->tick_source = 0;
    show_progress(self);
    update_tick_timer(self);
    return G_SOURCE_REMOVE;
}

/* No timer at all unless the window is seen and the item plays: a paused or hidden applet
 * costs no wake-ups. */
static void update_tick_timer(SpnAppletWindow *self)
{
    g_clear_handle_id(&self->tick_source, g_source_remove);
    if (!self->viewing || self->view == NULL || !self->view->ticking)
        return;
    guint delay = spn_applet_view_next_tick_ms(self->view, now_ms());
    if (delay > 0)
        self->tick_source = g_timeout_add(delay, on_tick, self);
}

/* ---- view → widgets ------------------------------------------------------------------------ */

static const char *mode_name(SpnAppletMode mode)
{
    switch (mode) {
        case SPN_APPLET_MODE_CONNECTING:
            return "connecting";
        case SPN_APPLET_MODE_NO_DAEMON:
            return "no-daemon";
        case SPN_APPLET_MODE_SIGNED_OUT:
            return "signed-out";
        case SPN_APPLET_MODE_NEVER_PLAYED:
            return "never-played";
        case SPN_APPLET_MODE_PLAYING:
            return "playing";
        case SPN_APPLET_MODE_LAST_PLAYED:
            return "last-played";
        case SPN_APPLET_MODE_AD:
            return "ad";
    }
    return "unknown";
}

static void show_view(SpnAppletWindow *self)
{
    const SpnAppletView *view = self->view;
    gboolean has_link = view->track_url != NULL;

    gtk_label_set_text(self->headline, view->headline);
    gtk_label_set_text(self->title, view->title);
    gtk_widget_set_tooltip_text(self->title_button, has_link ? _("Open in Spotify") : NULL);
    gtk_label_set_text(self->subtitle, view->subtitle);
    gtk_widget_set_visible(GTK_WIDGET(self->subtitle), *view->subtitle != '\0');
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->subtitle), *view->help ? view->help : NULL);

    gtk_widget_set_visible(self->warning, view->warning != NULL);
    gtk_widget_set_tooltip_text(self->warning, view->warning);
    if (view->warning != NULL)
        gtk_accessible_update_property(GTK_ACCESSIBLE(self->warning), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       view->warning, -1);

    if (!view->show_sign_in) {
        g_clear_pointer(&self->sign_in_message, g_free);
        g_clear_pointer(&self->sign_in_url, g_free);
    }
    if (view->show_sign_in) {
        gtk_label_set_text(self->sign_in_label, view->sign_in_label);
        gtk_widget_set_tooltip_text(GTK_WIDGET(self->sign_in), view->help);
        gtk_label_set_text(self->sign_in_help,
                           self->sign_in_message ? self->sign_in_message : view->help);
        gtk_widget_set_visible(self->sign_in_start,
                               self->sign_in_message == NULL || self->sign_in_retry);
        gtk_label_set_text(self->sign_in_address, self->sign_in_url ? self->sign_in_url : "");
        gtk_widget_set_visible(GTK_WIDGET(self->sign_in_address), self->sign_in_url != NULL);
        gtk_stack_set_visible_child_name(self->bottom, "sign-in");
    } else if (view->show_progress) {
        show_progress(self);
        gtk_stack_set_visible_child_name(self->bottom, "progress");
    } else {
        gtk_stack_set_visible_child_name(self->bottom, "none");
    }

    show_art(self, view->art_file);
    if (view->art_dimmed)
        gtk_widget_add_css_class(GTK_WIDGET(self->art), "dimmed");
    else
        gtk_widget_remove_css_class(GTK_WIDGET(self->art), "dimmed");

    for (SpnAppletMode mode = SPN_APPLET_MODE_CONNECTING; mode <= SPN_APPLET_MODE_AD; mode++)
        gtk_widget_remove_css_class(self->content, mode_name(mode));
    gtk_widget_add_css_class(self->content, mode_name(view->mode));

    set_action_enabled(self, "open-track", has_link);
    set_action_enabled(self, "copy-link", has_link);
    set_action_enabled(self, "refresh",
                       spn_applet_client_get_daemon(self->client) == SPN_APPLET_DAEMON_PRESENT);
}

static void on_client_updated(SpnAppletClient *client, gpointer user_data)
{
    SpnAppletWindow *self = user_data;
    spn_applet_view_free(self->view);
    self->view = spn_applet_view_new(
        spn_applet_client_get_daemon(client), spn_applet_client_get_snapshot(client),
        spn_applet_client_get_status(client), self->daemon_path, now_ms());
    spn_applet_view_set_start_failure(self->view, spn_applet_client_get_start_failure(client));
    show_view(self);
    spn_applet_control_update(self->control);
    update_art_grace(self);
    update_tick_timer(self);
    update_heartbeat(self);
    check_ready(self);
}

/* ---- presence and freshness ---------------------------------------------------------------- */

static void ensure_fresh(SpnAppletWindow *self, gboolean throttle)
{
    gint64 now = g_get_monotonic_time();
    if (throttle && self->last_fresh_us != 0 && now - self->last_fresh_us < FRESH_THROTTLE_US)
        return;
    self->last_fresh_us = now;
    trace(self, "ensure-fresh");
    spn_applet_client_ensure_fresh(self->client);
}

static void report_presence(SpnAppletWindow *self)
{
    trace(self, "presence");
    spn_applet_client_report_presence(self->client);
}

static gboolean on_heartbeat(gpointer user_data)
{
    report_presence(user_data);
    return G_SOURCE_CONTINUE;
}

/* Every TTL/2, as the seed's viewers do: a daemon configured with a shorter TTL than the default
 * would otherwise forget us between heartbeats. */
static guint heartbeat_period_ms(SpnAppletWindow *self)
{
    if (self->options.heartbeat_ms > 0)
        return self->options.heartbeat_ms;
    GVariant *status = spn_applet_client_get_status(self->client);
    gint64 ttl_ms = 0;
    if (status != NULL && g_variant_lookup(status, "presenceTtlMs", "x", &ttl_ms) && ttl_ms > 1)
        return (guint)MIN(ttl_ms / 2, (gint64)G_MAXUINT);
    return DEFAULT_HEARTBEAT_MS;
}

/* A heartbeat timer only while someone can see us and a daemon is there to hear it. */
static void update_heartbeat(SpnAppletWindow *self)
{
    gboolean wanted =
        self->viewing && spn_applet_client_get_daemon(self->client) == SPN_APPLET_DAEMON_PRESENT;
    guint ms = heartbeat_period_ms(self);
    if (wanted && self->heartbeat_source != 0 && self->heartbeat_source_ms == ms)
        return;
    g_clear_handle_id(&self->heartbeat_source, g_source_remove);
    if (!wanted)
        return;
    /* Whole seconds (the default) let GLib batch the wake-up with others. */
    self->heartbeat_source = ms % 1000 == 0 ? g_timeout_add_seconds(ms / 1000, on_heartbeat, self)
                                            : g_timeout_add(ms, on_heartbeat, self);
    self->heartbeat_source_ms = ms;
}

static void on_client_connected(SpnAppletClient *client, gpointer user_data)
{
    SpnAppletWindow *self = user_data;
    if (!self->viewing)
        return;
    report_presence(self);
    ensure_fresh(self, FALSE);
}

static gboolean compute_viewing(SpnAppletWindow *self)
{
    if (!gtk_widget_get_mapped(GTK_WIDGET(self)))
        return FALSE;
    GdkSurface *surface = gtk_native_get_surface(GTK_NATIVE(self));
    return surface == NULL || !GDK_IS_TOPLEVEL(surface) ||
           !(gdk_toplevel_get_state(GDK_TOPLEVEL(surface)) & GDK_TOPLEVEL_STATE_MINIMIZED);
}

/* The seed's visibility rule: heartbeats and the clock only while someone can see us;
 * becoming visible (first map included) is a reason to ask for fresh data. */
static void update_viewing(SpnAppletWindow *self)
{
    gboolean viewing = compute_viewing(self);
    if (viewing == self->viewing)
        return;
    self->viewing = viewing;
    trace(self, viewing ? "viewing" : "not-viewing");
    if (viewing) {
        report_presence(self);
        ensure_fresh(self, FALSE);
    }
    update_heartbeat(self);
    update_tick_timer(self);
}

static void on_surface_state(GObject *surface, GParamSpec *pspec, gpointer user_data)
{
    update_viewing(user_data);
}

static void on_is_active(GObject *object, GParamSpec *pspec, gpointer user_data)
{
    SpnAppletWindow *self = user_data;
    if (gtk_window_is_active(GTK_WINDOW(self)) && self->viewing)
        ensure_fresh(self, TRUE);
}

/* ---- actions and menus --------------------------------------------------------------------- */

static void action_refresh(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    ensure_fresh(user_data, FALSE);
}

static void action_copy_link(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    SpnAppletWindow *self = user_data;
    if (self->view != NULL && self->view->track_url != NULL)
        gdk_clipboard_set_text(gtk_widget_get_clipboard(GTK_WIDGET(self)), self->view->track_url);
}

static void action_open_track(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    SpnAppletWindow *self = user_data;
    if (self->view != NULL && self->view->track_url != NULL)
        gtk_show_uri(GTK_WINDOW(self), self->view->track_url, GDK_CURRENT_TIME);
}

/* The sign-in popover's text says what happened: the browser is open, or the address to open
 * by hand (@url, on a line of its own), or why the daemon refused. @retry: whether pressing the
 * button again could lead anywhere else (not when the daemon has no client id, or there is no
 * browser to open: a button that cannot help only misleads). */
static void say_sign_in(SpnAppletWindow *self, const char *text, const char *url, gboolean retry)
{
    g_free(self->sign_in_message);
    self->sign_in_message = g_strdup(text);
    g_free(self->sign_in_url);
    self->sign_in_url = g_strdup(url);
    self->sign_in_retry = retry;
    gtk_label_set_text(self->sign_in_help, text);
    gtk_label_set_text(self->sign_in_address, url ? url : "");
    gtk_widget_set_visible(GTK_WIDGET(self->sign_in_address), url != NULL);
    gtk_widget_set_visible(self->sign_in_start, retry);
    /* Open (or keep open) the popover the press came from, so the news is seen. */
    if (gtk_widget_get_mapped(GTK_WIDGET(self->sign_in)))
        gtk_menu_button_popup(self->sign_in);
    trace(self, "sign-in-help");
}

static void on_browser_opened(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autofree char *url = user_data;
    g_autoptr(GError) error = NULL;
    SpnAppletWindow *self = SPN_APPLET_WINDOW(source);
    if (gtk_show_uri_full_finish(GTK_WINDOW(self), result, &error)) {
        say_sign_in(self,
                    _("Finish signing in in your browser. This window updates by itself "
                      "once you are signed in."),
                    NULL, TRUE);
        return;
    }
    g_debug("no browser: %s", error->message);
    /* The short one-time address: it works in a browser on this machine, carries no secret,
     * and fits on a line. */
    g_autofree char *start_url = spn_sign_in_start_url(url);
    say_sign_in(self, _("Open this address in a browser on this machine to sign in:"),
                start_url != NULL ? start_url : url, FALSE);
}

static void on_sign_in_begun(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpnAppletWindow) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *url =
        spn_applet_client_begin_sign_in_finish(SPN_APPLET_CLIENT(source), result, &error);
    if (url == NULL) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return;
        /* No client id: pressing again cannot help until the config is fixed. */
        g_autofree char *remote = g_dbus_error_get_remote_error(error);
        gboolean retry = g_strcmp0(remote, "io.github.spotnow.Error.NotSupported") != 0;
        g_dbus_error_strip_remote_error(error);
        say_sign_in(self, error->message, NULL, retry);
        return;
    }
    trace(self, "sign-in-begun");
    /* The one-time loopback address, not the authorize URL: a browser's command line is
     * readable by every user, and the state and challenge must not be (signin-start.h). */
    g_autofree char *start_url = spn_sign_in_start_url(url);
    gtk_show_uri_full(GTK_WINDOW(self), start_url != NULL ? start_url : url, GDK_CURRENT_TIME, NULL,
                      on_browser_opened, g_strdup(url));
}

/* As `spotnow login`: the daemon owns the flow; we open its page and wait for StatusChanged. */
static void action_sign_in(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    SpnAppletWindow *self = user_data;
    say_sign_in(self, _("Asking spotnowd to start the sign-in…"), NULL, FALSE);
    spn_applet_client_begin_sign_in(self->client, on_sign_in_begun, g_object_ref(self));
}

static void on_secondary_click(GtkGestureClick *gesture, int n_press, double x, double y,
                               gpointer user_data)
{
    SpnAppletWindow *self = user_data;
    GdkRectangle where = {(int)x, (int)y, 1, 1};
    gtk_popover_set_pointing_to(GTK_POPOVER(self->context_menu), &where);
    gtk_popover_popup(GTK_POPOVER(self->context_menu));
}

static gboolean open_menu(GtkWidget *widget, GVariant *args, gpointer user_data)
{
    gtk_menu_button_popup(SPN_APPLET_WINDOW(widget)->menu_button);
    return TRUE;
}

/* ---- geometry ------------------------------------------------------------------------------ */

static gboolean on_close_request(GtkWindow *window, gpointer user_data)
{
    SpnAppletWindow *self = SPN_APPLET_WINDOW(window);
    if (!self->options.remember_geometry)
        return FALSE;
    SpnAppletGeometry geometry = {0};
    gtk_window_get_default_size(window, &geometry.width, &geometry.height);
    geometry.maximized = gtk_window_is_maximized(window);
    g_autoptr(GError) error = NULL;
    if (!spn_applet_settings_save(&geometry, &error))
        g_warning("cannot remember the window size: %s", error->message);
    return FALSE;
}

/* ---- life cycle ---------------------------------------------------------------------------- */

void spn_applet_window_describe(SpnAppletWindow *self, GString *out)
{
    g_string_append_printf(out, "mode\t%s\n", self->view ? mode_name(self->view->mode) : "none");
    g_string_append_printf(out, "timer tick\t%s\n", self->tick_source ? "on" : "off");
    g_string_append_printf(out, "timer heartbeat\t%s\n", self->heartbeat_source ? "on" : "off");
    g_string_append_printf(out, "size\t%d %d\n", gtk_widget_get_width(GTK_WIDGET(self)),
                           gtk_widget_get_height(GTK_WIDGET(self)));
    spn_applet_control_describe(self->control, out);
    spn_applet_describe(GTK_WIDGET(self), out);
}

static void spn_applet_window_map(GtkWidget *widget)
{
    SpnAppletWindow *self = SPN_APPLET_WINDOW(widget);
    GTK_WIDGET_CLASS(spn_applet_window_parent_class)->map(widget);
    update_viewing(self);
    check_ready(self);
}

static void spn_applet_window_unmap(GtkWidget *widget)
{
    SpnAppletWindow *self = SPN_APPLET_WINDOW(widget);
    GTK_WIDGET_CLASS(spn_applet_window_parent_class)->unmap(widget);
    update_viewing(self);
    check_ready(self);
}

static void spn_applet_window_realize(GtkWidget *widget)
{
    SpnAppletWindow *self = SPN_APPLET_WINDOW(widget);
    GTK_WIDGET_CLASS(spn_applet_window_parent_class)->realize(widget);
    self->surface = g_object_ref(gtk_native_get_surface(GTK_NATIVE(self)));
    self->surface_state_handler =
        g_signal_connect(self->surface, "notify::state", G_CALLBACK(on_surface_state), self);
}

static void spn_applet_window_unrealize(GtkWidget *widget)
{
    SpnAppletWindow *self = SPN_APPLET_WINDOW(widget);
    g_clear_signal_handler(&self->surface_state_handler, self->surface);
    g_clear_object(&self->surface);
    GTK_WIDGET_CLASS(spn_applet_window_parent_class)->unrealize(widget);
}

static void spn_applet_window_dispose(GObject *object)
{
    SpnAppletWindow *self = SPN_APPLET_WINDOW(object);
    g_clear_handle_id(&self->heartbeat_source, g_source_remove);
    g_clear_handle_id(&self->tick_source, g_source_remove);
    g_clear_handle_id(&self->art_grace_source, g_source_remove);
    g_cancellable_cancel(self->art_cancellable);
    g_clear_object(&self->art_cancellable);
    if (self->client != NULL)
        g_signal_handlers_disconnect_by_data(self->client, self);
    g_clear_pointer(&self->control, spn_applet_control_free);
    g_clear_object(&self->client);
    g_clear_pointer(&self->context_menu, gtk_widget_unparent);
    gtk_widget_dispose_template(GTK_WIDGET(self), SPN_TYPE_APPLET_WINDOW);
    G_OBJECT_CLASS(spn_applet_window_parent_class)->dispose(object);
}

static void spn_applet_window_finalize(GObject *object)
{
    SpnAppletWindow *self = SPN_APPLET_WINDOW(object);
    spn_applet_view_free(self->view);
    g_free(self->art_path);
    g_free(self->daemon_path);
    g_free(self->sign_in_message);
    g_free(self->sign_in_url);
    G_OBJECT_CLASS(spn_applet_window_parent_class)->finalize(object);
}

static void spn_applet_window_class_init(SpnAppletWindowClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->dispose = spn_applet_window_dispose;
    object_class->finalize = spn_applet_window_finalize;
    widget_class->map = spn_applet_window_map;
    widget_class->unmap = spn_applet_window_unmap;
    widget_class->realize = spn_applet_window_realize;
    widget_class->unrealize = spn_applet_window_unrealize;

    signals[SIGNAL_READY] = g_signal_new("ready", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 0);

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/io/github/spotnow/Applet/window.ui");
#define BIND(name) gtk_widget_class_bind_template_child(widget_class, SpnAppletWindow, name)
    BIND(placeholder);
    BIND(art);
    BIND(headline);
    BIND(warning);
    BIND(menu_button);
    BIND(title_button);
    BIND(title);
    BIND(subtitle);
    BIND(bottom);
    BIND(elapsed);
    BIND(progress);
    BIND(total);
    BIND(sign_in);
    BIND(sign_in_label);
    BIND(sign_in_help);
    BIND(sign_in_start);
    BIND(sign_in_address);
    BIND(menu_model);
#undef BIND
    /* Keyboard users reach the menu the way they do in every GTK application. */
    gtk_widget_class_add_binding(widget_class, GDK_KEY_F10, 0, open_menu, NULL);
    gtk_widget_class_add_binding(widget_class, GDK_KEY_F10, GDK_SHIFT_MASK, open_menu, NULL);
    gtk_widget_class_add_binding(widget_class, GDK_KEY_Menu, 0, open_menu, NULL);
}

static const GActionEntry window_actions[] = {
    {"refresh", action_refresh, NULL, NULL, NULL, {0}},
    {"copy-link", action_copy_link, NULL, NULL, NULL, {0}},
    {"open-track", action_open_track, NULL, NULL, NULL, {0}},
    {"sign-in", action_sign_in, NULL, NULL, NULL, {0}},
};

static void spn_applet_window_init(SpnAppletWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    /* Not a bound template child: dispose_template would unparent it behind GtkWindow's back,
     * leaving the window's own child pointer dangling. */
    self->content = gtk_window_get_child(GTK_WINDOW(self));
    g_action_map_add_action_entries(G_ACTION_MAP(self), window_actions,
                                    G_N_ELEMENTS(window_actions), self);

    self->context_menu = gtk_popover_menu_new_from_model(self->menu_model);
    gtk_popover_set_has_arrow(GTK_POPOVER(self->context_menu), FALSE);
    gtk_widget_set_halign(self->context_menu, GTK_ALIGN_START);
    gtk_widget_set_parent(self->context_menu, self->content);
    GtkGesture *click = gtk_gesture_click_new();
    gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(click), GDK_BUTTON_SECONDARY);
    g_signal_connect(click, "pressed", G_CALLBACK(on_secondary_click), self);
    gtk_widget_add_controller(self->content, GTK_EVENT_CONTROLLER(click));

    gtk_accessible_update_property(GTK_ACCESSIBLE(self->title_button),
                                   GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                   _("Opens the track in your browser"), -1);
    g_signal_connect(self, "notify::is-active", G_CALLBACK(on_is_active), self);
    g_signal_connect(self, "close-request", G_CALLBACK(on_close_request), NULL);
}

SpnAppletWindow *spn_applet_window_new(GtkApplication *application, SpnAppletClient *client,
                                       const SpnAppletWindowOptions *options)
{
    SpnAppletWindow *self = g_object_new(SPN_TYPE_APPLET_WINDOW, "application", application, NULL);
    self->options = *options;
    self->daemon_path = g_strdup(options->daemon_path);
    self->options.daemon_path = self->daemon_path;
    self->client = g_object_ref(client);
    self->control = spn_applet_control_new(G_ACTION_MAP(self), G_MENU(self->menu_model), client);

    SpnAppletGeometry geometry = {SPN_APPLET_DEFAULT_WIDTH, SPN_APPLET_DEFAULT_HEIGHT, FALSE};
    if (options->remember_geometry)
        spn_applet_settings_load(&geometry);
    gtk_window_set_default_size(GTK_WINDOW(self), geometry.width, geometry.height);
    if (geometry.maximized)
        gtk_window_maximize(GTK_WINDOW(self));

    g_signal_connect(client, "updated", G_CALLBACK(on_client_updated), self);
    g_signal_connect(client, "connected", G_CALLBACK(on_client_connected), self);
    on_client_updated(client, self);
    return self;
}
