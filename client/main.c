/* main.c — `spotnow`: commands, options and exit codes (doc/design.md section 7).
 *
 *   spotnow [now] | fresh | status | login [--paste] | logout
 *   spotnow play | pause | toggle | next | previous | seek ±SECONDS
 *
 * Global options (--json, --format, --follow, --wait, --waybar, --i3blocks, --system) may stand
 * before or after the command; each command has its own GOptionContext, so `spotnow seek --help`
 * describes seek.
 */
#define G_LOG_DOMAIN "spotnow-cli"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "bus.h"
#include "control.h"
#include "follow.h"
#include "render.h"
#include "signin.h"

typedef struct {
    gboolean json;
    gboolean follow;
    gboolean wait;
    gboolean waybar;
    gboolean i3blocks;
    gboolean system;
    gboolean version;
    gboolean paste;
    char *format;
} Options;

static void options_clear(Options *options)
{
    g_clear_pointer(&options->format, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Options, options_clear)

typedef struct _Command Command;
typedef int (*CommandFunc)(const Command *command, Options *options, const char *argument);

struct _Command {
    const char *name;
    const char *parameters; /* shown after the command name in --help */
    const char *summary;
    CommandFunc run;
    gboolean output_options; /* takes --format, --follow, --waybar and the like */
};

static int print_usage_error(const char *command, const char *message)
{
    g_printerr("spotnow: %s\n", message);
    if (command != NULL) {
        g_printerr(_("Try “spotnow %s --help” for more information.\n"), command);
    } else {
        g_printerr("%s\n", _("Try “spotnow --help” for more information."));
    }
    return SPN_EXIT_USAGE;
}

/* Writes @text and a newline as UTF-8 whatever the locale: panels read UTF-8 from the pipe. */
static void print_line(const char *text)
{
    fputs(text, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

static gint64 now_ms(void)
{
    return g_get_real_time() / 1000;
}

static GDBusConnection *connect_or_report(const Options *options, int *exit_code)
{
    GDBusConnection *connection = spn_bus_connect_or_explain(options->system);
    if (connection == NULL) {
        *exit_code = SPN_EXIT_UNREACHABLE;
    }
    return connection;
}

/* --wait after a failed call: TRUE once the daemon is there. A daemon that failed to start says
 * why once, and is started again when its config passes the check. */
static gboolean wait_after(GDBusConnection *connection, const Options *options,
                           SpnBusFailure failure, const GError *error, gboolean *reported)
{
    if (!options->wait) {
        return FALSE;
    }
    if (failure != SPN_BUS_FAILURE_UNREACHABLE) {
        return FALSE;
    }
    gboolean failed_start = spn_bus_is_failed_start(error);
    if (failed_start && !*reported) {
        spn_bus_report_failed_start(options->system, error);
        *reported = TRUE;
    }
    return spn_bus_wait_for_daemon(connection, options->system, failed_start);
}

/* EnsureFresh or CurrentlyPlaying, with one retry when the daemon was just starting and a
 * fallback to the cache when signed out. NULL with *exit_code set when there is nothing to show. */
static GVariant *fetch_snapshot(GDBusConnection *connection, SpnNowPlaying1 *proxy,
                                const Options *options, gboolean fresh, int *exit_code)
{
    g_autoptr(GError) error = NULL;
    gboolean asked_fresh = fresh;
    gboolean reported = FALSE;
    for (int attempt = 0; attempt < 2; attempt++) {
        GVariant *snapshot = NULL;
        g_clear_error(&error);
        gboolean ok =
            fresh ? spn_now_playing1_call_ensure_fresh_sync(proxy, &snapshot, NULL, &error)
                  : spn_now_playing1_call_currently_playing_sync(proxy, &snapshot, NULL, &error);
        gint64 fetched_at = -1;
        if (ok && !asked_fresh && g_variant_lookup(snapshot, "fetchedAt", "x", &fetched_at) &&
            fetched_at == 0) {
            /* Never fetched: a daemon just started (by D-Bus activation, say) is making its
             * first poll. Join it rather than say "Nothing played yet" about a track that
             * plays. Signed out, EnsureFresh fails and the cache is read again below. */
            g_variant_unref(snapshot);
            fresh = asked_fresh = TRUE;
            attempt--;
            continue;
        }
        if (ok) {
            return snapshot;
        }
        SpnBusFailure failure = spn_bus_classify(connection, error);
        if (failure == SPN_BUS_FAILURE_SIGNED_OUT && fresh) {
            fresh = FALSE; /* the cache still holds the last-played snapshot */
            attempt--;
        } else if (wait_after(connection, options, failure, error, &reported)) {
            attempt = -1;
        } else if (failure != SPN_BUS_FAILURE_RETRY) {
            break;
        }
    }
    SpnBusFailure failure = spn_bus_classify(connection, error);
    if (failure == SPN_BUS_FAILURE_OTHER || failure == SPN_BUS_FAILURE_SIGNED_OUT ||
        failure == SPN_BUS_FAILURE_NOT_SUPPORTED) {
        g_autofree char *message = spn_bus_error_message(error);
        g_printerr("spotnow: %s\n", message);
        *exit_code = SPN_EXIT_NOTHING_PLAYING;
    } else {
        *exit_code = spn_bus_report_unreachable(failure, options->system, error);
    }
    return NULL;
}

static gboolean build_output(const Command *command, const Options *options, SpnOutput *output,
                             SpnTemplate **tmpl, int *exit_code)
{
    int panels = (options->json ? 1 : 0) + (options->waybar ? 1 : 0) + (options->i3blocks ? 1 : 0);
    if (panels > 1 || (options->json && options->format != NULL)) {
        *exit_code = print_usage_error(
            command->name, _("choose one of --json, --waybar and --i3blocks (--format goes with "
                             "--waybar or --i3blocks, not --json)"));
        return FALSE;
    }
    if (options->format != NULL) {
        g_autoptr(GError) error = NULL;
        *tmpl = spn_template_compile(options->format, &error);
        if (*tmpl == NULL) {
            *exit_code = print_usage_error(command->name, error->message);
            return FALSE;
        }
    }
    output->tmpl = *tmpl;
    output->follow = options->follow;
    output->colour = spn_render_want_colour(fileno(stdout));
    if (options->json) {
        output->mode = SPN_OUTPUT_JSON;
    } else if (options->waybar) {
        output->mode = SPN_OUTPUT_WAYBAR;
    } else if (options->i3blocks) {
        output->mode = SPN_OUTPUT_I3BLOCKS;
    } else {
        output->mode = *tmpl != NULL ? SPN_OUTPUT_TEMPLATE : SPN_OUTPUT_LINE;
    }
    return TRUE;
}

/* Why the line above is old, and what to do about it. */
static void print_signed_out_note(GVariant *status, GVariant *snapshot)
{
    const char *auth = "";
    g_variant_lookup(status, "authState", "&s", &auth);
    if (g_str_equal(auth, "revoked")) {
        g_printerr("%s\n", _("spotnow: Spotify no longer accepts spotnow's sign-in; sign in again "
                             "with “spotnow login”."));
    } else if (spn_render_state(snapshot) == SPN_STATE_STOPPED) {
        g_printerr("%s\n", _("spotnow: not signed in to Spotify; sign in with “spotnow login”."));
    } else {
        g_printerr("%s\n", _("spotnow: signed out of Spotify, so this is the last known state; "
                             "sign in with “spotnow login”."));
    }
}

static int run_now(const Command *command, Options *options, gboolean fresh)
{
    int exit_code = SPN_EXIT_OK;
    SpnOutput output = {0};
    g_autoptr(SpnTemplate) tmpl = NULL;
    if (!build_output(command, options, &output, &tmpl, &exit_code)) {
        return exit_code;
    }
    g_autoptr(GDBusConnection) connection = connect_or_report(options, &exit_code);
    if (connection == NULL) {
        return exit_code;
    }
    if (options->follow) {
        return spn_follow_run(connection, &output, options->wait, options->system);
    }

    g_autoptr(GError) error = NULL;
    g_autoptr(SpnNowPlaying1) proxy = spn_bus_proxy(connection, &error);
    if (proxy == NULL) {
        g_printerr("spotnow: %s\n", error->message);
        return SPN_EXIT_UNREACHABLE;
    }
    g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(proxy), SPN_BUS_FRESH_TIMEOUT_MS);
    g_autoptr(GVariant) snapshot = fetch_snapshot(connection, proxy, options, fresh, &exit_code);
    if (snapshot == NULL) {
        return exit_code;
    }
    /* An older daemon without GetStatus only loses the signed-out marking. */
    g_autoptr(GVariant) status = NULL;
    if (!spn_now_playing1_call_get_status_sync(proxy, &status, NULL, &error)) {
        g_debug("GetStatus failed: %s", error->message);
        g_clear_error(&error);
    }

    gint64 now = now_ms();
    g_autofree char *text = spn_render_output(&output, snapshot, status, now, &error);
    if (text == NULL) {
        return print_usage_error(command->name, error->message);
    }
    print_line(text);

    if (status != NULL && spn_render_is_signed_out(status)) {
        print_signed_out_note(status, snapshot);
        return SPN_EXIT_SIGNED_OUT;
    }
    /* Old data says so on stderr, where a script's pipe does not see it. */
    g_autofree char *notice = spn_render_notice(status, now);
    if (notice != NULL) {
        g_printerr("%s\n", notice);
    }
    /* The exit status agrees with what was printed (signed out, or past an unconfirmed end). */
    g_autoptr(GVariant) shown = spn_render_effective_snapshot(snapshot, status, now);
    return spn_render_state(shown) == SPN_STATE_PLAYING ? SPN_EXIT_OK : SPN_EXIT_NOTHING_PLAYING;
}

static int cmd_now(const Command *command, Options *options, const char *argument)
{
    return run_now(command, options, FALSE);
}

static int cmd_fresh(const Command *command, Options *options, const char *argument)
{
    return run_now(command, options, TRUE);
}

/* GetStatus, waiting for the daemon with --wait and retrying once if it was just starting. */
static GVariant *fetch_status(GDBusConnection *connection, const Options *options, int *exit_code)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnNowPlaying1) proxy = spn_bus_proxy(connection, &error);
    gboolean reported = FALSE;
    for (int attempt = 0; proxy != NULL && attempt < 2; attempt++) {
        GVariant *status = NULL;
        g_clear_error(&error);
        if (spn_now_playing1_call_get_status_sync(proxy, &status, NULL, &error)) {
            return status;
        }
        SpnBusFailure failure = spn_bus_classify(connection, error);
        if (wait_after(connection, options, failure, error, &reported)) {
            attempt = -1;
        } else if (failure != SPN_BUS_FAILURE_RETRY) {
            break;
        }
    }
    SpnBusFailure failure = spn_bus_classify(connection, error);
    if (failure == SPN_BUS_FAILURE_OTHER) {
        g_autofree char *message = spn_bus_error_message(error);
        g_printerr("spotnow: %s\n", message);
        *exit_code = SPN_EXIT_UNREACHABLE;
    } else {
        *exit_code = spn_bus_report_unreachable(failure, options->system, error);
    }
    return NULL;
}

static int cmd_status(const Command *command, Options *options, const char *argument)
{
    int exit_code = SPN_EXIT_OK;
    g_autoptr(GDBusConnection) connection = connect_or_report(options, &exit_code);
    if (connection == NULL) {
        return exit_code;
    }
    g_autoptr(GVariant) status = fetch_status(connection, options, &exit_code);
    if (status == NULL) {
        return exit_code;
    }
    gboolean colour = spn_render_want_colour(fileno(stdout));
    g_autofree char *text =
        options->json ? spn_render_json(status) : spn_render_status(status, now_ms(), colour);
    print_line(text);
    return spn_render_is_signed_out(status) ? SPN_EXIT_SIGNED_OUT : SPN_EXIT_OK;
}

static int cmd_login(const Command *command, Options *options, const char *argument)
{
    int exit_code = SPN_EXIT_OK;
    g_autoptr(GDBusConnection) connection = connect_or_report(options, &exit_code);
    if (connection == NULL) {
        return exit_code;
    }
    exit_code = spn_signin_login(connection, options->paste, options->wait, options->system);
    if (exit_code != SPN_EXIT_OK) {
        return exit_code;
    }
    /* The daemon polls right after a sign-in; EnsureFresh joins that poll. Whatever plays, the
     * sign-in worked, so the exit status says that. */
    run_now(command, options, TRUE);
    return SPN_EXIT_OK;
}

static int cmd_logout(const Command *command, Options *options, const char *argument)
{
    int exit_code = SPN_EXIT_OK;
    g_autoptr(GDBusConnection) connection = connect_or_report(options, &exit_code);
    if (connection == NULL) {
        return exit_code;
    }
    return spn_signin_logout(connection, options->wait, options->system);
}

static int cmd_control(const Command *command, Options *options, const char *argument)
{
    gint64 offset_ms = 0;
    if (g_str_equal(command->name, "seek")) {
        g_autoptr(GError) error = NULL;
        if (!spn_args_parse_seek(argument, &offset_ms, &error)) {
            return print_usage_error(command->name, error->message);
        }
    }
    int exit_code = SPN_EXIT_OK;
    g_autoptr(GDBusConnection) connection = connect_or_report(options, &exit_code);
    if (connection == NULL) {
        return exit_code;
    }
    return spn_control_run(connection, command->name, offset_ms, options->system);
}

static const Command commands[] = {
    {"now", "", N_("Print what is playing (the default command)"), cmd_now, TRUE},
    {"fresh", "", N_("Ask the daemon to poll Spotify if its cache is stale, then print"), cmd_fresh,
     TRUE},
    {"status", "", N_("Show the daemon's state: account, viewers, polls, back-off, errors"),
     cmd_status, FALSE},
    {"login", "", N_("Sign in to Spotify (in a browser, or --paste the redirect)"), cmd_login,
     FALSE},
    {"logout", "", N_("Sign out of Spotify; the last played track stays"), cmd_logout, FALSE},
    {"play", "", N_("Resume playback"), cmd_control, FALSE},
    {"pause", "", N_("Pause playback"), cmd_control, FALSE},
    {"toggle", "", N_("Pause if playing, else resume"), cmd_control, FALSE},
    {"next", "", N_("Skip to the next track"), cmd_control, FALSE},
    {"previous", "", N_("Go back to the previous track"), cmd_control, FALSE},
    {"seek", N_("±SECONDS"), N_("Seek forward (+) or back (-) by SECONDS"), cmd_control, FALSE},
};

static const Command *find_command(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (g_str_equal(commands[i].name, name)) {
            return &commands[i];
        }
    }
    return NULL;
}

static char *commands_description(void)
{
    g_autoptr(GString) text = g_string_new(_("Commands:"));
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        /* Not _(""): gettext returns the catalogue's header for the empty string. */
        const char *parameters = commands[i].parameters;
        g_autofree char *name =
            g_strdup_printf("%s %s", commands[i].name, parameters[0] != '\0' ? _(parameters) : "");
        /* Pad by characters: "±" is two bytes. */
        int pad = MAX(1, 16 - (int)g_utf8_strlen(name, -1));
        g_string_append_printf(text, "\n  %s%*s%s", name, pad, "", _(commands[i].summary));
    }
    g_string_append_printf(text, "\n\n%s",
                           _("Exit status: 0 playing (or done), 1 nothing playing, 2 usage error, "
                             "3 daemon not reachable, 4 signed out (or the sign-in failed), "
                             "130 login cancelled."));
    return g_string_free(g_steal_pointer(&text), FALSE);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    g_autoptr(GPtrArray) args = g_ptr_array_new_null_terminated(argc, g_free, TRUE);
    for (int i = 0; i < argc; i++) {
        g_ptr_array_add(args, g_strdup(argv[i]));
    }
    g_autofree char *argument = NULL;
    g_autofree char *verb_name = g_strdup(spn_args_split(args, &argument));
    const Command *command = find_command(verb_name != NULL ? verb_name : "now");
    if (command == NULL) {
        const char *names[G_N_ELEMENTS(commands) + 1] = {NULL};
        for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
            names[i] = commands[i].name;
        }
        const char *suggestion = spn_args_suggest(verb_name, names);
        g_autofree char *shown = g_utf8_make_valid(verb_name, -1);
        g_autofree char *message =
            suggestion != NULL
                ? g_strdup_printf(_("unknown command “%s” (did you mean “%s”?)"), shown, suggestion)
                : g_strdup_printf(_("unknown command “%s”"), shown);
        return print_usage_error(NULL, message);
    }

    g_auto(Options) options = {0};
    const GOptionEntry output_entries[] = {
        {"json", 'j', 0, G_OPTION_ARG_NONE, &options.json,
         N_("Print the snapshot (or the status) as JSON"), NULL},
        {"format", 'f', 0, G_OPTION_ARG_STRING, &options.format,
         N_("Print with a playerctl-style template"), N_("TEMPLATE")},
        {"follow", 'F', 0, G_OPTION_ARG_NONE, &options.follow,
         N_("Keep running and print a line on every change"), NULL},
        {"waybar", 0, 0, G_OPTION_ARG_NONE, &options.waybar, N_("Print waybar's JSON"), NULL},
        {"i3blocks", 0, 0, G_OPTION_ARG_NONE, &options.i3blocks,
         N_("Print i3blocks' lines (full text, short text, colour)"), NULL},
        {NULL},
    };
    const GOptionEntry common_entries[] = {
        {"wait", 'w', 0, G_OPTION_ARG_NONE, &options.wait,
         N_("Wait for the daemon when it is not running"), NULL},
        {"system", 0, 0, G_OPTION_ARG_NONE, &options.system,
         N_("Talk to a daemon on the system bus"), NULL},
        {"version", 'V', 0, G_OPTION_ARG_NONE, &options.version, N_("Print the version"), NULL},
        {NULL},
    };
    const GOptionEntry status_entries[] = {
        {"json", 'j', 0, G_OPTION_ARG_NONE, &options.json, N_("Print the status as JSON"), NULL},
        {NULL},
    };
    const GOptionEntry login_entries[] = {
        {"paste", 0, 0, G_OPTION_ARG_NONE, &options.paste,
         N_("Read the address the browser was redirected to from stdin"), NULL},
        {NULL},
    };

    g_autofree char *parameters = NULL;
    if (verb_name == NULL) {
        parameters = g_strdup(_("[COMMAND]"));
    } else if (command->parameters[0] != '\0') {
        parameters = g_strdup_printf("%s %s", command->name, _(command->parameters));
    } else {
        parameters = g_strdup(command->name);
    }
    g_autoptr(GOptionContext) context = g_option_context_new(parameters);
    g_option_context_set_translation_domain(context, GETTEXT_PACKAGE);
    g_option_context_set_summary(context, verb_name == NULL
                                              ? _("Show what you play on Spotify, on any device.")
                                              : _(command->summary));
    g_autofree char *description = commands_description();
    g_option_context_set_description(context, description);
    g_option_context_add_main_entries(context, common_entries, GETTEXT_PACKAGE);
    if (command->output_options) {
        g_option_context_add_main_entries(context, output_entries, GETTEXT_PACKAGE);
    } else if (command->run == cmd_status) {
        g_option_context_add_main_entries(context, status_entries, GETTEXT_PACKAGE);
    } else if (g_str_equal(command->name, "login")) {
        g_option_context_add_main_entries(context, login_entries, GETTEXT_PACKAGE);
    }

    g_autoptr(GError) error = NULL;
    g_auto(GStrv) strv = (char **)g_ptr_array_free(g_steal_pointer(&args), FALSE);
    if (!g_option_context_parse_strv(context, &strv, &error)) {
        return print_usage_error(command->name, error->message);
    }
    if (options.version) {
        print_line("spotnow " SPOTNOW_VERSION);
        return SPN_EXIT_OK;
    }
    /* What GOption leaves: the program, the command word (unless implicit), nothing else. */
    gboolean verb_seen = verb_name == NULL;
    for (guint i = 1; strv[i] != NULL; i++) {
        if (!verb_seen && g_str_equal(strv[i], verb_name)) {
            verb_seen = TRUE;
            continue;
        }
        g_autofree char *message = g_strdup_printf(_("unexpected argument “%s”"), strv[i]);
        return print_usage_error(command->name, message);
    }

    return command->run(command, &options, argument);
}
