/* follow.c — the --follow loop: name watching, signals, presence heartbeats and the tick. */
#define G_LOG_DOMAIN "spotnow-follow"

#include "follow.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus.h"

#define DEFAULT_PRESENCE_TTL_MS 60000
#define MIN_PRESENCE_INTERVAL_MS 1000

typedef struct {
    GMainLoop *loop;
    const SpnOutput *output;
    gboolean wait;
    gboolean system;
    SpnNowPlaying1 *proxy;
    GCancellable *cancellable; /* calls to the current daemon instance */
    GVariant *snapshot;        /* NULL until the first reply */
    GVariant *status;          /* NULL until GetStatus answered */
    char *last_line;
    char *last_notice; /* the ⚠ line last printed, NULL while all is well */
    char *viewer_id;
    gboolean ever_appeared;
    GDBusConnection *connection;
    gboolean activating;    /* StartServiceByName in flight: a vanished name is no news yet */
    gboolean name_absent;   /* the name watch's last word */
    GCancellable *life;     /* calls that outlive no run: the start's */
    char *start_failure;    /* why activation failed ("" unknown), NULL unless it did */
    guint retry_start_id;   /* after a failed start with --wait: try again once the config passes */
    gboolean render_failed; /* report a failing template once, not every second */
    guint pending;          /* initial replies still awaited: the first line waits for both */
    guint watch_id;
    guint tick_id;
    guint presence_id;
    guint presence_interval_ms;
    guint output_watch_id; /* stdout's reader leaving, when stdout is a pipe or socket */
    int exit_code;
} Follow;

static gint64 now_ms(void)
{
    return g_get_real_time() / 1000;
}

static void stop(Follow *follow, int exit_code)
{
    follow->exit_code = exit_code;
    g_main_loop_quit(follow->loop);
}

static gboolean on_tick(gpointer user_data);

/* A panel that reloads leaves its follower behind with an ignored SIGPIPE (waybar runs it through
 * sh, and only sh dies): a follower whose output nobody reads any more must end, or it counts as
 * a viewer for ever and the daemon keeps polling at the viewer cadence for nobody. */
static void output_failed(Follow *follow, int errsv)
{
    g_debug("cannot write the output: %s", g_strerror(errsv));
    if (errsv != EPIPE) {
        g_printerr(_("spotnow: cannot write the output: %s\n"), g_strerror(errsv));
    }
    stop(follow, SPN_EXIT_NOTHING_PLAYING);
}

static gboolean write_line(const char *line)
{
    errno = 0;
    gboolean ok = fputs(line, stdout) != EOF && fputc('\n', stdout) != EOF && fflush(stdout) == 0;
    if (!ok && errno == 0) {
        errno = EIO;
    }
    return ok;
}

/* POLLERR on a pipe's write end: its last reader closed it. Nothing to write yet is no reason
 * to wait for the next write (paused, a follower may not print for hours). */
static gboolean on_output_gone(int fd, GIOCondition condition, gpointer user_data)
{
    Follow *follow = user_data;
    follow->output_watch_id = 0;
    output_failed(follow, EPIPE);
    return G_SOURCE_REMOVE;
}

static guint watch_output(Follow *follow)
{
    struct stat st;
    if (fstat(STDOUT_FILENO, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
        return 0; /* a terminal hangs up with SIGHUP; a file has no reader to lose */
    }
    return g_unix_fd_add(STDOUT_FILENO, G_IO_ERR | G_IO_HUP, on_output_gone, follow);
}

/* Ticks land just after the position's next whole second, so "1:23" turns into "1:24" on time.
 * Without ticks, one wake-up at the predicted end, where an unconfirmed playing snapshot turns
 * into last played (spn_render_effective_snapshot). */
static void schedule_tick(Follow *follow)
{
    g_clear_handle_id(&follow->tick_id, g_source_remove);
    if (follow->snapshot == NULL || follow->cancellable == NULL) {
        return;
    }
    gint64 now = now_ms();
    g_autoptr(GVariant) shown =
        spn_render_effective_snapshot(follow->snapshot, follow->status, now);
    if (spn_render_state(shown) != SPN_STATE_PLAYING) {
        return;
    }
    if (spn_render_output_ticks(follow->output)) {
        gint64 position = spn_render_position_ms(shown, now);
        guint delay = 1000 - (guint)(position % 1000) + 5;
        follow->tick_id = g_timeout_add(CLAMP(delay, 50, 1005), on_tick, follow);
        return;
    }
    gint64 end = spn_render_next_change_ms(shown, follow->status, now);
    if (end > 0) {
        follow->tick_id =
            g_timeout_add((guint)MIN(end - now + 5, (gint64)G_MAXUINT), on_tick, follow);
    }
}

/* The ⚠ line when polling is held back (once per reason), the ✓ line when it is over: on
 * stderr, so a panel reading stdout never sees them. */
static void report_notice(Follow *follow)
{
    if (follow->status == NULL) {
        return;
    }
    g_autofree char *notice = spn_render_notice(follow->status, now_ms());
    if (notice != NULL && g_strcmp0(notice, follow->last_notice) != 0) {
        g_printerr("%s\n", notice);
    } else if (notice == NULL && follow->last_notice != NULL) {
        g_printerr("%s\n", spn_render_recovered_notice());
    }
    g_free(follow->last_notice);
    follow->last_notice = g_steal_pointer(&notice);
}

static void emit(Follow *follow)
{
    if (follow->snapshot == NULL || follow->pending > 0) {
        return;
    }
    g_autoptr(GError) error = NULL;
    g_autofree char *line =
        spn_render_output(follow->output, follow->snapshot, follow->status, now_ms(), &error);
    if (line == NULL) {
        if (!follow->render_failed) {
            g_printerr("spotnow: %s\n", error->message);
        }
        follow->render_failed = TRUE;
    } else if (g_strcmp0(line, follow->last_line) != 0) {
        if (!write_line(line)) {
            output_failed(follow, errno);
            return;
        }
        g_free(follow->last_line);
        follow->last_line = g_steal_pointer(&line);
    }
    report_notice(follow);
    schedule_tick(follow);
}

static void print_not_running(Follow *follow)
{
    g_autofree char *line = spn_render_not_running(follow->output, follow->start_failure);
    if (g_strcmp0(line, follow->last_line) == 0) {
        return;
    }
    if (!write_line(line)) {
        output_failed(follow, errno);
        return;
    }
    g_free(follow->last_line);
    follow->last_line = g_steal_pointer(&line);
}

static gboolean on_tick(gpointer user_data)
{
    Follow *follow = user_data;
    follow->tick_id = 0;
    emit(follow);
    return G_SOURCE_REMOVE;
}

static void set_snapshot(Follow *follow, GVariant *snapshot)
{
    g_clear_pointer(&follow->snapshot, g_variant_unref);
    follow->snapshot = g_variant_ref(snapshot);
    emit(follow);
}

static void start_reply_done(Follow *follow)
{
    if (follow->pending > 0) {
        follow->pending--;
    }
}

static void on_presence_reported(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    if (!spn_now_playing1_call_report_viewer_presence_finish(SPN_NOW_PLAYING1(source), result,
                                                             &error)) {
        g_debug("ReportViewerPresence failed: %s", error->message);
    }
}

static gboolean report_presence(gpointer user_data)
{
    Follow *follow = user_data;
    spn_now_playing1_call_report_viewer_presence(follow->proxy, follow->viewer_id,
                                                 follow->cancellable, on_presence_reported, NULL);
    return G_SOURCE_CONTINUE;
}

static void start_presence(Follow *follow)
{
    g_clear_handle_id(&follow->presence_id, g_source_remove);
    follow->presence_id = g_timeout_add(follow->presence_interval_ms, report_presence, follow);
}

static void on_current(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Follow *follow = user_data;
    g_autoptr(GVariant) snapshot = NULL;
    g_autoptr(GError) error = NULL;
    if (!spn_now_playing1_call_currently_playing_finish(SPN_NOW_PLAYING1(source), &snapshot, result,
                                                        &error)) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            g_autofree char *message = spn_bus_error_message(error);
            g_printerr("spotnow: %s\n", message);
            start_reply_done(follow);
        }
        return;
    }
    start_reply_done(follow);
    set_snapshot(follow, snapshot);
}

static void on_fresh(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Follow *follow = user_data;
    g_autoptr(GVariant) snapshot = NULL;
    g_autoptr(GError) error = NULL;
    if (spn_now_playing1_call_ensure_fresh_finish(SPN_NOW_PLAYING1(source), &snapshot, result,
                                                  &error)) {
        start_reply_done(follow);
        set_snapshot(follow, snapshot);
        return;
    }
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        return;
    }
    /* Signed out still has a last-played snapshot worth showing; the panels mark it. */
    g_autofree char *message = spn_bus_error_message(error);
    g_debug("EnsureFresh failed: %s", message);
    spn_now_playing1_call_currently_playing(follow->proxy, follow->cancellable, on_current, follow);
}

static void set_status(Follow *follow, GVariant *status)
{
    g_clear_pointer(&follow->status, g_variant_unref);
    follow->status = g_variant_ref(status);

    gint64 ttl_ms = DEFAULT_PRESENCE_TTL_MS;
    if (!g_variant_lookup(status, "presenceTtlMs", "x", &ttl_ms) || ttl_ms <= 0) {
        ttl_ms = DEFAULT_PRESENCE_TTL_MS;
    }
    guint interval = (guint)MAX(MIN(ttl_ms / 2, (gint64)G_MAXUINT), MIN_PRESENCE_INTERVAL_MS);
    if (interval != follow->presence_interval_ms) {
        follow->presence_interval_ms = interval;
        start_presence(follow);
    }
    emit(follow);
}

static void on_status(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GVariant) status = NULL;
    g_autoptr(GError) error = NULL;
    if (!spn_now_playing1_call_get_status_finish(SPN_NOW_PLAYING1(source), &status, result,
                                                 &error)) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            g_debug("GetStatus failed: %s", error->message);
            start_reply_done(user_data);
            emit(user_data);
        }
        return;
    }
    start_reply_done(user_data);
    set_status(user_data, status);
}

static void on_changed(SpnNowPlaying1 *proxy, GVariant *snapshot, gpointer user_data)
{
    Follow *follow = user_data;
    if (follow->cancellable != NULL) {
        set_snapshot(follow, snapshot);
    }
}

static void on_status_changed(SpnNowPlaying1 *proxy, GVariant *status, gpointer user_data)
{
    Follow *follow = user_data;
    if (follow->cancellable != NULL) {
        set_status(follow, status);
    }
}

static void on_name_appeared(GDBusConnection *connection, const char *name, const char *owner,
                             gpointer user_data)
{
    Follow *follow = user_data;
    g_debug("daemon appeared as %s", owner);
    follow->ever_appeared = TRUE;
    follow->name_absent = FALSE;
    g_clear_pointer(&follow->start_failure, g_free);
    g_clear_handle_id(&follow->retry_start_id, g_source_remove);
    g_clear_object(&follow->cancellable);
    follow->cancellable = g_cancellable_new();
    follow->pending = 2; /* EnsureFresh and GetStatus */

    /* A fresh start: report presence first so the daemon keeps the cache fresh for us. */
    report_presence(follow);
    start_presence(follow);
    g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(follow->proxy), SPN_BUS_FRESH_TIMEOUT_MS);
    spn_now_playing1_call_ensure_fresh(follow->proxy, follow->cancellable, on_fresh, follow);
    spn_now_playing1_call_get_status(follow->proxy, follow->cancellable, on_status, follow);
}

/* What a name without an owner means, once no start is pending to explain it. */
static void handle_absent(Follow *follow)
{
    if (follow->wait) {
        /* A panel must not keep showing the last "playing" line while nobody updates it. */
        g_clear_pointer(&follow->snapshot, g_variant_unref);
        g_clear_pointer(&follow->status, g_variant_unref);
        g_clear_pointer(&follow->last_notice, g_free);
        if (follow->ever_appeared) {
            print_not_running(follow);
        }
        return;
    }
    if (!follow->ever_appeared) {
        spn_bus_print_unreachable(follow->system, NULL);
    }
    stop(follow, SPN_EXIT_UNREACHABLE);
}

static void on_name_vanished(GDBusConnection *connection, const char *name, gpointer user_data)
{
    Follow *follow = user_data;
    g_debug("daemon vanished");
    follow->name_absent = TRUE;

    if (follow->cancellable != NULL) {
        g_cancellable_cancel(follow->cancellable);
        g_clear_object(&follow->cancellable);
    }
    g_clear_handle_id(&follow->tick_id, g_source_remove);
    g_clear_handle_id(&follow->presence_id, g_source_remove);

    if (follow->activating || follow->start_failure != NULL) {
        return; /* the start's reply decides, or did */
    }
    handle_absent(follow);
}

static void start_service(Follow *follow);

static gboolean on_retry_start(gpointer user_data)
{
    Follow *follow = user_data;
    g_autofree char *reason = spn_bus_daemon_reason(follow->system);
    if (reason != NULL) {
        return G_SOURCE_CONTINUE; /* still broken: no start that would only fail */
    }
    follow->retry_start_id = 0;
    start_service(follow);
    return G_SOURCE_REMOVE;
}

/* Activation failed: say why once per reason, show it to the panel, and with --wait try again
 * once `spotnowd --check-config` passes, so fixing config.ini is all it takes. */
static void start_failed(Follow *follow, const GError *error)
{
    g_autofree char *reason = spn_bus_daemon_reason(follow->system);
    if (!follow->wait) {
        stop(follow, spn_bus_report_failed_start(follow->system, error));
        return;
    }
    if (g_strcmp0(reason != NULL ? reason : "", follow->start_failure) != 0) {
        spn_bus_report_failed_start(follow->system, error);
    }
    g_free(follow->start_failure);
    follow->start_failure = g_strdup(reason != NULL ? reason : "");
    print_not_running(follow);
    if (follow->retry_start_id == 0) {
        follow->retry_start_id = g_timeout_add(SPN_BUS_RETRY_START_MS, on_retry_start, follow);
    }
}

static void on_start_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Follow *follow = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
    follow->activating = FALSE;
    if (reply != NULL || follow->ever_appeared) {
        return; /* the name watch takes it from here */
    }
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        return;
    }
    SpnBusFailure failure = spn_bus_classify(follow->connection, error);
    if (failure == SPN_BUS_FAILURE_UNREACHABLE && spn_bus_is_failed_start(error)) {
        start_failed(follow, error);
    } else if (follow->name_absent) {
        /* No activation file, say: not running, as the name watch already said. */
        handle_absent(follow);
    }
}

/* The name watch does not auto-start: it cannot say why a start failed, and a daemon that
 * fails for a bad config.ini must not look like one that is merely not running. */
static void start_service(Follow *follow)
{
    follow->activating = TRUE;
    g_dbus_connection_call(follow->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", "StartServiceByName",
                           g_variant_new("(su)", SPN_BUS_NAME, 0), G_VARIANT_TYPE("(u)"),
                           G_DBUS_CALL_FLAGS_NONE, -1, follow->life, on_start_reply, follow);
}

static gboolean on_quit_signal(gpointer user_data)
{
    stop(user_data, SPN_EXIT_OK);
    return G_SOURCE_CONTINUE;
}

int spn_follow_run(GDBusConnection *connection, const SpnOutput *output, gboolean wait,
                   gboolean system)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnNowPlaying1) proxy = spn_bus_proxy(connection, &error);
    if (proxy == NULL) {
        g_printerr("spotnow: %s\n", error->message);
        return SPN_EXIT_UNREACHABLE;
    }

    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    Follow follow = {
        .loop = loop,
        .output = output,
        .wait = wait,
        .system = system,
        .proxy = proxy,
        .connection = connection,
        .life = g_cancellable_new(),
        .viewer_id = g_strdup_printf("spotnow-cli-%d", (int)getpid()),
        .presence_interval_ms = DEFAULT_PRESENCE_TTL_MS / 2,
        .exit_code = SPN_EXIT_OK,
    };

    gulong changed = g_signal_connect(proxy, "changed", G_CALLBACK(on_changed), &follow);
    gulong status_changed =
        g_signal_connect(proxy, "status-changed", G_CALLBACK(on_status_changed), &follow);
    guint sigint = g_unix_signal_add(SIGINT, on_quit_signal, &follow);
    guint sigterm = g_unix_signal_add(SIGTERM, on_quit_signal, &follow);
    follow.output_watch_id = watch_output(&follow);
    start_service(&follow);
    follow.watch_id =
        g_bus_watch_name_on_connection(connection, SPN_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                       on_name_appeared, on_name_vanished, &follow, NULL);

    g_main_loop_run(loop);

    g_bus_unwatch_name(follow.watch_id);
    if (follow.cancellable != NULL) {
        g_cancellable_cancel(follow.cancellable);
        g_clear_object(&follow.cancellable);
    }
    g_clear_handle_id(&follow.tick_id, g_source_remove);
    g_clear_handle_id(&follow.presence_id, g_source_remove);
    g_clear_handle_id(&follow.output_watch_id, g_source_remove);
    g_clear_handle_id(&follow.retry_start_id, g_source_remove);
    g_cancellable_cancel(follow.life);
    /* The cancelled start's callback must run before @follow goes out of scope. */
    while (follow.activating && g_main_context_iteration(NULL, TRUE)) {
    }
    g_clear_object(&follow.life);
    g_source_remove(sigint);
    g_source_remove(sigterm);
    g_signal_handler_disconnect(proxy, changed);
    g_signal_handler_disconnect(proxy, status_changed);
    g_clear_pointer(&follow.snapshot, g_variant_unref);
    g_clear_pointer(&follow.status, g_variant_unref);
    g_free(follow.last_line);
    g_free(follow.last_notice);
    g_free(follow.start_failure);
    g_free(follow.viewer_id);
    return follow.exit_code;
}
