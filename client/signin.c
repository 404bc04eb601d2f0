/* signin.c — `spotnow login [--paste]` and `spotnow logout`. The daemon does the OAuth work; the
 * CLI shows the page, carries the pasted redirect, and waits for the daemon to say it is done. */
#define G_LOG_DOMAIN "spotnow-signin"

#include "signin.h"

#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "bus.h"

/* The daemon's flow expires after 10 minutes unless configured otherwise, and says nothing on
 * the bus when it does: stop waiting about then instead of forever. */
#define WAIT_FOR_SIGN_IN_S (10 * 60)

typedef gboolean (*CallFunc)(SpnNowPlaying1 *proxy, gpointer data, GError **error);

/* @call, again once when the daemon was just starting, and after waiting for it with @wait. */
static gboolean call_daemon(GDBusConnection *connection, SpnNowPlaying1 *proxy, gboolean wait,
                            CallFunc call, gpointer data, GError **error)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        g_clear_error(error);
        if (call(proxy, data, error)) {
            return TRUE;
        }
        SpnBusFailure failure = spn_bus_classify(connection, *error);
        if (failure == SPN_BUS_FAILURE_UNREACHABLE && wait && spn_bus_wait_for_name(connection)) {
            attempt = -1;
        } else if (failure != SPN_BUS_FAILURE_RETRY) {
            break;
        }
    }
    return FALSE;
}

/* Prints why a call failed; returns 3 when the daemon is not there, else @otherwise. */
static int report_failure(GDBusConnection *connection, const GError *error, gboolean system,
                          int otherwise)
{
    SpnBusFailure failure = spn_bus_classify(connection, error);
    if (failure == SPN_BUS_FAILURE_UNREACHABLE || failure == SPN_BUS_FAILURE_RETRY ||
        failure == SPN_BUS_FAILURE_NO_ANSWER) {
        return spn_bus_report_unreachable(failure, system, error);
    }
    g_autofree char *message = spn_bus_error_message(error);
    g_printerr("spotnow: %s\n", message);
    return otherwise;
}

static gboolean call_begin(SpnNowPlaying1 *proxy, gpointer data, GError **error)
{
    char **url = data;
    g_clear_pointer(url, g_free);
    return spn_now_playing1_call_begin_sign_in_sync(proxy, url, NULL, error);
}

static gboolean call_sign_out(SpnNowPlaying1 *proxy, gpointer data, GError **error)
{
    return spn_now_playing1_call_sign_out_sync(proxy, NULL, error);
}

static gboolean is_signed_in(GVariant *status)
{
    const char *auth = NULL;
    return g_variant_lookup(status, "authState", "&s", &auth) && g_str_equal(auth, "signed-in");
}

/* The redirect_uri the authorize URL carries, to tell a pasting user what to look for. */
static char *redirect_uri_of(const char *authorize_url)
{
    g_autoptr(GUri) uri = g_uri_parse(authorize_url, G_URI_FLAGS_ENCODED_QUERY, NULL);
    const char *query = uri != NULL ? g_uri_get_query(uri) : NULL;
    if (query == NULL) {
        return NULL;
    }
    g_autoptr(GHashTable) params = g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, NULL);
    return params != NULL ? g_strdup(g_hash_table_lookup(params, "redirect_uri")) : NULL;
}

static void print_line(const char *text)
{
    /* UTF-8 whatever the locale, like every line of spotnow's output. */
    fputs(text, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

/* ---- --paste ---------------------------------------------------------------------------- */

/* One line from stdin, trimmed; NULL at end of input. */
static char *read_pasted_line(GError **error)
{
    g_autoptr(GInputStream) raw = g_unix_input_stream_new(STDIN_FILENO, FALSE);
    g_autoptr(GDataInputStream) in = g_data_input_stream_new(raw);
    /* Only this one line is ours: a script may feed more input after it. */
    g_buffered_input_stream_set_buffer_size(G_BUFFERED_INPUT_STREAM(in), 1);
    char *line = g_data_input_stream_read_line_utf8(in, NULL, NULL, error);
    return line != NULL ? g_strstrip(line) : NULL;
}

static int paste_and_complete(GDBusConnection *connection, SpnNowPlaying1 *proxy,
                              const char *authorize_url, gboolean system)
{
    if (isatty(STDIN_FILENO)) {
        g_autofree char *redirect = redirect_uri_of(authorize_url);
        g_printerr(_("Open the address above in a browser on any machine and sign in. The browser "
                     "then goes to an address starting with %s, which may fail to load there: "
                     "copy that whole address and paste it here.\n"),
                   redirect != NULL ? redirect : "http://127.0.0.1");
        g_printerr("%s", _("Redirected address: "));
    }
    g_autoptr(GError) error = NULL;
    g_autofree char *pasted = read_pasted_line(&error);
    if (pasted == NULL || pasted[0] == '\0') {
        if (error != NULL) {
            g_printerr("spotnow: %s\n", error->message);
        } else {
            g_printerr("%s\n", _("spotnow: no address was pasted; not signed in."));
        }
        return SPN_EXIT_SIGNED_OUT;
    }
    /* The exchange with Spotify's accounts service happens inside this call. */
    g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(proxy), SPN_BUS_FRESH_TIMEOUT_MS);
    if (!spn_now_playing1_call_complete_sign_in_sync(proxy, pasted, NULL, &error)) {
        return report_failure(connection, error, system, SPN_EXIT_SIGNED_OUT);
    }
    return SPN_EXIT_OK;
}

/* ---- the browser ------------------------------------------------------------------------ */

typedef struct {
    GMainLoop *loop;
    int exit_code;
} Wait;

static void finish(Wait *wait, int exit_code)
{
    wait->exit_code = exit_code;
    g_main_loop_quit(wait->loop);
}

/* The flow is over once the daemon says it no longer waits for a redirect: signed in with no
 * error is success; anything else (declined, refused code, expired) failed, and lastError says
 * why. A stray redirect with the wrong state leaves the flow open, so waiting goes on. */
static void on_status_changed(SpnNowPlaying1 *proxy, GVariant *status, gpointer user_data)
{
    gboolean pending = FALSE;
    const char *last_error = "";
    g_variant_lookup(status, "lastError", "&s", &last_error);
    if (!g_variant_lookup(status, "signInPending", "b", &pending)) {
        /* An older daemon: only success can be told. */
        if (is_signed_in(status)) {
            finish(user_data, SPN_EXIT_OK);
        }
        return;
    }
    if (pending) {
        return;
    }
    if (is_signed_in(status) && last_error[0] == '\0') {
        finish(user_data, SPN_EXIT_OK);
        return;
    }
    g_printerr("spotnow: %s\n",
               last_error[0] != '\0' ? last_error : _("the sign-in ended without completing."));
    finish(user_data, SPN_EXIT_SIGNED_OUT);
}

static void on_vanished(GDBusConnection *connection, const char *name, gpointer user_data)
{
    g_printerr("%s\n", _("spotnow: the spotnow daemon stopped before the sign-in finished."));
    finish(user_data, SPN_EXIT_UNREACHABLE);
}

static gboolean on_cancel(gpointer user_data)
{
    g_printerr("\n%s\n", _("spotnow: sign-in cancelled."));
    finish(user_data, SPN_EXIT_CANCELLED);
    return G_SOURCE_CONTINUE;
}

static gboolean on_timeout(gpointer user_data)
{
    g_printerr("%s\n", _("spotnow: the sign-in was not completed in time; run “spotnow login” "
                         "again."));
    finish(user_data, SPN_EXIT_SIGNED_OUT);
    return G_SOURCE_REMOVE;
}

static void open_in_browser(const char *url)
{
    g_autoptr(GError) error = NULL;
    if (g_app_info_launch_default_for_uri(url, NULL, &error)) {
        g_printerr("%s\n", _("spotnow: opened the address above in your browser; sign in there."));
        return;
    }
    g_debug("no browser: %s", error->message);
    g_printerr("%s\n", _("spotnow: could not open a browser. Open the address above in a browser "
                         "on this machine; if yours is on another machine, use “spotnow login "
                         "--paste” instead."));
}

/* Runs until StatusChanged says signed-in (the handler is connected before BeginSignIn, so a
 * quick browser cannot beat us), the daemon leaves, Ctrl-C, or the flow's lifetime is over. */
static int wait_for_sign_in(GDBusConnection *connection, Wait *wait)
{
    g_printerr("%s\n", _("Waiting for the sign-in to finish (Ctrl-C cancels)…"));
    guint watch = g_bus_watch_name_on_connection(
        connection, SPN_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE, NULL, on_vanished, wait, NULL);
    guint sigint = g_unix_signal_add(SIGINT, on_cancel, wait);
    guint sigterm = g_unix_signal_add(SIGTERM, on_cancel, wait);
    guint timeout = g_timeout_add_seconds(WAIT_FOR_SIGN_IN_S, on_timeout, wait);
    g_main_loop_run(wait->loop);
    g_clear_handle_id(&timeout, g_source_remove);
    g_source_remove(sigint);
    g_source_remove(sigterm);
    g_bus_unwatch_name(watch);
    return wait->exit_code;
}

/* ---- the commands ----------------------------------------------------------------------- */

int spn_signin_login(GDBusConnection *connection, gboolean paste, gboolean wait, gboolean system)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnNowPlaying1) proxy = spn_bus_proxy(connection, &error);
    if (proxy == NULL) {
        g_printerr("spotnow: %s\n", error->message);
        return SPN_EXIT_UNREACHABLE;
    }
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    Wait state = {loop, SPN_EXIT_SIGNED_OUT};
    gulong handler =
        g_signal_connect(proxy, "status-changed", G_CALLBACK(on_status_changed), &state);

    g_autofree char *url = NULL;
    int exit_code = SPN_EXIT_OK;
    if (!call_daemon(connection, proxy, wait, call_begin, &url, &error)) {
        exit_code = report_failure(connection, error, system, SPN_EXIT_SIGNED_OUT);
    } else {
        print_line(url);
        g_autoptr(GVariant) status = NULL;
        if (spn_now_playing1_call_get_status_sync(proxy, &status, NULL, NULL) &&
            is_signed_in(status)) {
            g_printerr("%s\n", _("spotnow: already signed in; this sign-in replaces the current "
                                 "one once it is completed."));
        }
        if (paste) {
            exit_code = paste_and_complete(connection, proxy, url, system);
        } else {
            open_in_browser(url);
            exit_code = wait_for_sign_in(connection, &state);
        }
    }
    g_signal_handler_disconnect(proxy, handler);
    if (exit_code == SPN_EXIT_OK) {
        print_line(_("Signed in."));
    }
    return exit_code;
}

int spn_signin_logout(GDBusConnection *connection, gboolean wait, gboolean system)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnNowPlaying1) proxy = spn_bus_proxy(connection, &error);
    if (proxy == NULL) {
        g_printerr("spotnow: %s\n", error->message);
        return SPN_EXIT_UNREACHABLE;
    }
    if (!call_daemon(connection, proxy, wait, call_sign_out, NULL, &error)) {
        return report_failure(connection, error, system, SPN_EXIT_SIGNED_OUT);
    }
    print_line(_("Signed out."));
    return SPN_EXIT_OK;
}
