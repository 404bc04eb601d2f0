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
#include "signin-start.h"

/* The daemon's flow expires after 10 minutes unless configured otherwise, and says nothing on
 * the bus when it does: stop waiting about then instead of forever. */
#define WAIT_FOR_SIGN_IN_S (10 * 60)

/* Pasting again after a mistake, but not forever (a script feeding garbage). */
#define MAX_PASTE_ATTEMPTS 5
#define MAX_PASTED_BYTES (64 * 1024)

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

/* A daemon's text fit for a terminal: escape sequences and other control characters would act
 * on it (a hostile redirect's error reached lastError once). Newlines stay: the daemon's steps
 * are lines. */
static char *printable(const char *text)
{
    g_autofree char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
    GString *out = g_string_new(NULL);
    for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c == '\n') {
            g_string_append_c(out, '\n');
        } else if (g_unichar_iscntrl(c)) {
            g_string_append_c(out, ' ');
        } else {
            g_string_append_unichar(out, c);
        }
    }
    return g_string_free(out, FALSE);
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
    g_autofree char *shown = printable(message);
    g_printerr("spotnow: %s\n", shown);
    return otherwise;
}

static gboolean call_begin(SpnNowPlaying1 *proxy, gpointer data, GError **error)
{
    char **url = data;
    g_clear_pointer(url, g_free);
    return spn_now_playing1_call_begin_sign_in_sync(proxy, url, NULL, error);
}

/* Ends the daemon's flow: Ctrl-C, an empty paste or giving up must not leave it waiting (and
 * its port held) for ten minutes. A daemon without CancelSignIn ends it when we leave the bus. */
static void cancel_sign_in(SpnNowPlaying1 *proxy)
{
    g_autoptr(GError) error = NULL;
    if (!spn_now_playing1_call_cancel_sign_in_sync(proxy, NULL, &error)) {
        g_debug("CancelSignIn: %s", error->message);
    }
}

static gboolean sign_in_pending(SpnNowPlaying1 *proxy, char **listen_error)
{
    g_autoptr(GVariant) status = NULL;
    gboolean pending = FALSE;
    if (!spn_now_playing1_call_get_status_sync(proxy, &status, NULL, NULL)) {
        return FALSE;
    }
    g_variant_lookup(status, "signInPending", "b", &pending);
    if (listen_error != NULL) {
        const char *text = "";
        g_variant_lookup(status, "signInListenError", "&s", &text);
        *listen_error = text[0] != '\0' ? printable(text) : NULL;
    }
    return pending;
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

/* One line from stdin, trimmed; NULL at end of input (or on @error). Bounded: an address is a
 * few hundred bytes, and whatever is piped in must not grow without end. */
static char *read_pasted_line(GError **error)
{
    g_autoptr(GInputStream) in = g_unix_input_stream_new(STDIN_FILENO, FALSE);
    g_autoptr(GString) line = g_string_new(NULL);
    gboolean read_any = FALSE;
    gboolean too_long = FALSE;
    for (;;) {
        /* A byte at a time: only this one line is ours, a script may feed more input after it. */
        char c = 0;
        gssize got = g_input_stream_read(in, &c, 1, NULL, error);
        if (got < 0) {
            return NULL;
        }
        if (got == 0 || c == '\n') {
            read_any = read_any || got > 0;
            break;
        }
        read_any = TRUE;
        if (line->len < MAX_PASTED_BYTES) {
            g_string_append_c(line, c);
        } else {
            too_long = TRUE;
        }
    }
    if (!read_any) {
        return NULL;
    }
    if (too_long || !g_utf8_validate(line->str, (gssize)line->len, NULL)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    _("That line is not an address (longer than %d KiB, or not text); not signed "
                      "in."),
                    MAX_PASTED_BYTES / 1024);
        return NULL;
    }
    return g_strstrip(g_string_free(g_steal_pointer(&line), FALSE));
}

static void prompt(const char *authorize_url, gboolean again)
{
    if (!isatty(STDIN_FILENO)) {
        return;
    }
    if (!again) {
        g_autofree char *redirect = redirect_uri_of(authorize_url);
        g_printerr(_("Open the address above in a browser on any machine and sign in. The browser "
                     "then goes to an address starting with %s, which may fail to load there: "
                     "copy that whole address and paste it here.\n"),
                   redirect != NULL ? redirect : "http://127.0.0.1");
    }
    g_printerr("%s", again ? _("Paste the address again (an empty line cancels): ")
                           : _("Redirected address: "));
}

/* Reads the redirected address and completes the sign-in with it; after a mistake that leaves
 * the flow open (cut short, another sign-in's, a code Spotify did not take), asks again. */
static int paste_and_complete(GDBusConnection *connection, SpnNowPlaying1 *proxy,
                              const char *authorize_url, gboolean system)
{
    /* The exchange with Spotify's accounts service happens inside CompleteSignIn. */
    g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(proxy), SPN_BUS_FRESH_TIMEOUT_MS);
    for (int attempt = 0; attempt < MAX_PASTE_ATTEMPTS; attempt++) {
        prompt(authorize_url, attempt > 0);
        g_autoptr(GError) error = NULL;
        g_autofree char *pasted = read_pasted_line(&error);
        if (pasted == NULL || pasted[0] == '\0') {
            if (error != NULL) {
                g_printerr("spotnow: %s\n", error->message);
            } else {
                g_printerr("%s\n", _("spotnow: no address was pasted; not signed in."));
            }
            cancel_sign_in(proxy);
            return SPN_EXIT_SIGNED_OUT;
        }
        if (spn_now_playing1_call_complete_sign_in_sync(proxy, pasted, NULL, &error)) {
            return SPN_EXIT_OK;
        }
        int exit_code = report_failure(connection, error, system, SPN_EXIT_SIGNED_OUT);
        if (exit_code != SPN_EXIT_SIGNED_OUT || !sign_in_pending(proxy, NULL)) {
            return exit_code;
        }
    }
    g_printerr("%s\n", _("spotnow: too many attempts; not signed in. Run “spotnow login” again."));
    cancel_sign_in(proxy);
    return SPN_EXIT_SIGNED_OUT;
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
    g_autofree char *shown = printable(last_error);
    g_printerr("spotnow: %s\n",
               shown[0] != '\0' ? shown : _("the sign-in ended without completing."));
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

/* Over ssh or on a console there is no display: a browser would fail (or, worse, claim to have
 * opened) and the wait would never end. */
static gboolean have_display(void)
{
    const char *x11 = g_getenv("DISPLAY");
    const char *wayland = g_getenv("WAYLAND_DISPLAY");
    return (x11 != NULL && x11[0] != '\0') || (wayland != NULL && wayland[0] != '\0');
}

/* Opens the flow's one-time loopback address, which sends the browser on to Spotify, so the
 * state and the challenge stay off the browser's command line (every user can read it). */
static void open_in_browser(const char *authorize_url)
{
    g_autofree char *start_url = spn_sign_in_start_url(authorize_url);
    g_autoptr(GError) error = NULL;
    if (start_url != NULL && g_app_info_launch_default_for_uri(start_url, NULL, &error)) {
        g_printerr("%s\n", _("spotnow: opened the sign-in page in your browser; sign in there."));
        return;
    }
    g_debug("no browser: %s", error != NULL ? error->message : "no start address");
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
        g_autofree char *listen_error = NULL;
        sign_in_pending(proxy, &listen_error);
        if (!paste && listen_error != NULL) {
            g_printerr("spotnow: %s\n", listen_error);
            paste = TRUE;
        } else if (!paste && !have_display()) {
            g_printerr("%s\n", _("spotnow: no display here (neither DISPLAY nor WAYLAND_DISPLAY "
                                 "is set), so no browser can open; sign in by pasting instead, "
                                 "as with “spotnow login --paste”."));
            paste = TRUE;
        }
        if (paste) {
            exit_code = paste_and_complete(connection, proxy, url, system);
        } else {
            open_in_browser(url);
            exit_code = wait_for_sign_in(connection, &state);
            if (exit_code == SPN_EXIT_CANCELLED || exit_code == SPN_EXIT_SIGNED_OUT) {
                cancel_sign_in(proxy);
            }
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
