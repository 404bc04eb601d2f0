/* follow.c — the --follow loop: output, ticks and exit codes; SpnClient (lib/spn-client.c)
 * watches the daemon, starts it, holds the snapshot and status and sends the heartbeats. */
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
#include "spn-client.h"

typedef struct {
    GMainLoop *loop;
    const SpnOutput *output;
    gboolean wait;
    gboolean system;
    SpnClient *client; /* the daemon's name, snapshot, status and our heartbeats */
    char *last_line;
    char *last_notice; /* the ⚠ line last printed, NULL while all is well */
    gboolean ever_appeared;
    char *start_failure;       /* the reason last reported, NULL unless a start failed */
    gboolean reported_failure; /* a failed start was reported since the daemon was last seen */
    gboolean render_failed;    /* report a failing template once, not every second */
    gboolean pending;          /* no line before the daemon's first EnsureFresh round ends */
    guint tick_id;
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
    GVariant *snapshot = spn_client_get_snapshot(follow->client);
    GVariant *status = spn_client_get_status(follow->client);
    if (snapshot == NULL) {
        return;
    }
    gint64 now = now_ms();
    g_autoptr(GVariant) shown = spn_render_effective_snapshot(snapshot, status, now);
    if (spn_render_state(shown) != SPN_STATE_PLAYING) {
        return;
    }
    if (spn_render_output_ticks(follow->output)) {
        gint64 position = spn_render_position_ms(shown, now);
        guint delay = 1000 - (guint)(position % 1000) + 5;
        follow->tick_id = g_timeout_add(CLAMP(delay, 50, 1005), on_tick, follow);
        return;
    }
    gint64 end = spn_render_next_change_ms(shown, status, now);
    if (end > 0) {
        follow->tick_id =
            g_timeout_add((guint)MIN(end - now + 5, (gint64)G_MAXUINT), on_tick, follow);
    }
}

/* The ⚠ line when polling is held back (once per reason), the ✓ line when it is over: on
 * stderr, so a panel reading stdout never sees them. */
static void report_notice(Follow *follow)
{
    GVariant *status = spn_client_get_status(follow->client);
    if (status == NULL) {
        return;
    }
    g_autofree char *notice = spn_render_notice(status, now_ms());
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
    GVariant *snapshot = spn_client_get_snapshot(follow->client);
    if (snapshot == NULL || follow->pending) {
        return;
    }
    g_autoptr(GError) error = NULL;
    g_autofree char *line = spn_render_output(
        follow->output, snapshot, spn_client_get_status(follow->client), now_ms(), &error);
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

/* The client's snapshot and status are the ones shown; follow keeps only the output. */
static void on_changed(SpnClient *client, gpointer user_data)
{
    emit(user_data);
}

static void on_fresh(SpnClient *client, gpointer user_data)
{
    Follow *follow = user_data;
    follow->pending = FALSE;
    emit(follow);
}

static void on_appeared(SpnClient *client, gpointer user_data)
{
    Follow *follow = user_data;
    follow->ever_appeared = TRUE;
    follow->reported_failure = FALSE;
    g_clear_pointer(&follow->start_failure, g_free);
    spn_client_ensure_fresh(client);
}

/* The name has no owner, and no start explains it. */
static void on_vanished(SpnClient *client, gpointer user_data)
{
    Follow *follow = user_data;
    g_clear_handle_id(&follow->tick_id, g_source_remove);
    follow->pending = TRUE; /* until the next daemon's first EnsureFresh round */
    if (follow->wait) {
        /* A panel must not keep showing the last "playing" line while nobody updates it. */
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

/* Activation failed: say why once per reason, show it to the panel, and with --wait the client
 * tries again once `spotnowd --check-config` passes, so fixing config.ini is all it takes. */
static void on_start_failed(SpnClient *client, const GError *error, gpointer user_data)
{
    Follow *follow = user_data;
    if (!follow->wait) {
        stop(follow, spn_bus_report_failed_start(follow->system, error));
        return;
    }
    const char *reason = spn_client_get_start_failure(client);
    if (!follow->reported_failure || g_strcmp0(reason, follow->start_failure) != 0) {
        spn_bus_report_failed_start(follow->system, error);
    }
    follow->reported_failure = TRUE;
    g_free(follow->start_failure);
    follow->start_failure = g_strdup(reason);
    print_not_running(follow);
}

static gboolean on_quit_signal(gpointer user_data)
{
    stop(user_data, SPN_EXIT_OK);
    return G_SOURCE_CONTINUE;
}

int spn_follow_run(GDBusConnection *connection, const SpnOutput *output, gboolean wait,
                   gboolean system)
{
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_autoptr(SpnClient) client =
        spn_client_new(system ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION, connection);
    g_autofree char *viewer_id = g_strdup_printf("spotnow-cli-%d", (int)getpid());
    spn_client_set_viewer_id(client, viewer_id);
    spn_client_set_auto_start(client, TRUE);
    spn_client_set_daemon_path(client, spn_bus_daemon_path());
    spn_client_set_retry_start(client, wait);
    spn_client_set_watching(client, TRUE);

    Follow follow = {
        .loop = loop,
        .output = output,
        .wait = wait,
        .system = system,
        .client = client,
        .pending = TRUE, /* the first line waits for EnsureFresh and the status after it */
        .exit_code = SPN_EXIT_OK,
    };
    g_signal_connect(client, "changed", G_CALLBACK(on_changed), &follow);
    g_signal_connect(client, "status-changed", G_CALLBACK(on_changed), &follow);
    g_signal_connect(client, "fresh", G_CALLBACK(on_fresh), &follow);
    g_signal_connect(client, "appeared", G_CALLBACK(on_appeared), &follow);
    g_signal_connect(client, "vanished", G_CALLBACK(on_vanished), &follow);
    g_signal_connect(client, "start-failed", G_CALLBACK(on_start_failed), &follow);
    guint sigint = g_unix_signal_add(SIGINT, on_quit_signal, &follow);
    guint sigterm = g_unix_signal_add(SIGTERM, on_quit_signal, &follow);
    follow.output_watch_id = watch_output(&follow);
    spn_client_start(client);

    g_main_loop_run(loop);

    g_signal_handlers_disconnect_by_data(client, &follow);
    g_clear_handle_id(&follow.tick_id, g_source_remove);
    g_clear_handle_id(&follow.output_watch_id, g_source_remove);
    g_source_remove(sigint);
    g_source_remove(sigterm);
    g_free(follow.last_line);
    g_free(follow.last_notice);
    g_free(follow.start_failure);
    return follow.exit_code;
}
