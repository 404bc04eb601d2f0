/* harness.c — Xvfb, a private bus, the real daemon and the real applet for the applet tests. */
#define G_LOG_DOMAIN "spotnow-test-applet"

#include "harness.h"

#include <gdk/gdk.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define BUS_NAME "io.github.spotnow.NowPlaying1"
#define OBJECT_PATH "/io/github/spotnow/NowPlaying1"
/* Nothing listens on the discard port of the loopback: every poll fails at once. */
#define CLOSED_URL "http://127.0.0.1:9"

static GSubprocess *xvfb;
static char *display;
static GTestDBus *bus;
static GDBusConnection *connection;

static gint64 now_ms(void)
{
    return g_get_real_time() / 1000;
}

/* ---- processes ----------------------------------------------------------------------------- */

/* A test that aborts must not leave an X server or a daemon behind. */
static void die_with_parent(gpointer user_data)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static GSubprocessLauncher *launcher_new(GSubprocessFlags flags)
{
    GSubprocessLauncher *launcher = g_subprocess_launcher_new(flags);
    g_subprocess_launcher_set_child_setup(launcher, die_with_parent, NULL, NULL);
    return launcher;
}

static const char *env_path(const char *name)
{
    const char *value = g_getenv(name);
    if (value == NULL)
        g_error("%s is not set: run this test through meson test", name);
    return value;
}

static char *read_display_number(int fd)
{
    GString *number = g_string_new(NULL);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    char c;
    while (poll(&pfd, 1, 15000) == 1 && read(fd, &c, 1) == 1 && c != '\n')
        g_string_append_c(number, c);
    if (number->len == 0)
        g_error("Xvfb did not report a display");
    return g_string_free(number, FALSE);
}

void harness_init(void)
{
    g_autoptr(GError) error = NULL;
    int fds[2];
    g_assert_true(g_unix_open_pipe(fds, FD_CLOEXEC, &error));
    g_autoptr(GSubprocessLauncher) launcher =
        launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
    g_subprocess_launcher_take_fd(launcher, fds[1], 3);
    /* -displayfd picks a free display itself: parallel test runs cannot collide. */
    xvfb = g_subprocess_launcher_spawn(launcher, &error, env_path("XVFB"), "-displayfd", "3",
                                       "-screen", "0", "1280x800x24", "-nolisten", "tcp",
                                       "-noreset", NULL);
    g_assert_no_error(error);
    g_clear_object(&launcher); /* closes our copy of the write end */
    g_autofree char *number = read_display_number(fds[0]);
    close(fds[0]);
    display = g_strdup_printf(":%s", number);

    bus = g_test_dbus_new(G_TEST_DBUS_NONE);
    g_test_dbus_up(bus);
    connection = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
    g_assert_no_error(error);
}

void harness_shutdown(void)
{
    g_dbus_connection_close_sync(connection, NULL, NULL);
    g_clear_object(&connection);
    g_test_dbus_down(bus);
    g_clear_object(&bus);
    g_subprocess_send_signal(xvfb, SIGTERM);
    g_subprocess_wait(xvfb, NULL, NULL);
    g_clear_object(&xvfb);
    g_free(display);
}

/* ---- the world: files ---------------------------------------------------------------------- */

static void write_file(const char *path, const char *contents, int mode)
{
    g_autoptr(GError) error = NULL;
    g_file_set_contents_full(path, contents, -1, G_FILE_SET_CONTENTS_NONE, mode, &error);
    g_assert_no_error(error);
}

/* A cover with structure (gradient, disc), so a screenshot showing it is plainly not blank. */
static void write_cover(const char *path)
{
    const int size = 300;
    guint8 *pixels = g_malloc((gsize)size * size * 3);
    for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
            guint8 *p = pixels + ((gsize)y * size + x) * 3;
            double d = hypot(x - size / 2.0, y - size / 2.0);
            gboolean disc = d < size * 0.35;
            p[0] = disc ? 250 : (guint8)(40 + x * 150 / size);
            p[1] = disc ? (guint8)(200 - d / 2) : (guint8)(30 + y * 60 / size);
            p[2] = disc ? 80 : (guint8)(120 + (x + y) * 100 / (2 * size));
        }
    }
    g_autoptr(GBytes) bytes = g_bytes_new_take(pixels, (gsize)size * size * 3);
    g_autoptr(GdkTexture) texture =
        gdk_memory_texture_new(size, size, GDK_MEMORY_R8G8B8, bytes, (gsize)size * 3);
    g_assert_true(gdk_texture_save_to_png(texture, path));
}

World *world_new(void)
{
    g_autoptr(GError) error = NULL;
    World *world = g_new0(World, 1);
    world->dir = g_dir_make_tmp("spotnow-applet-test-XXXXXX", &error);
    g_assert_no_error(error);
    world->config_path = g_build_filename(world->dir, "config.ini", NULL);
    world->state_dir = g_build_filename(world->dir, "state", NULL);
    /* The daemon resolves albumArtFile from its art cache (named by the SHA-256 of the image
     * URL), so the test's cover sits there, as if the daemon had fetched it. */
    g_autofree char *key =
        g_compute_checksum_for_string(G_CHECKSUM_SHA256, HARNESS_ALBUM_ART_URL, -1);
    g_autofree char *art_dir = g_build_filename(world->dir, "cache", "spotnow", "art", NULL);
    g_autofree char *art_name = g_strconcat(key, ".png", NULL);
    world->art_path = g_build_filename(art_dir, art_name, NULL);
    g_assert_cmpint(g_mkdir_with_parents(art_dir, 0755), ==, 0);
    g_assert_cmpint(g_mkdir(world->state_dir, 0700), ==, 0);
    write_cover(world->art_path);
    world->polling = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    world_set_polling(world, "fresh-playing-s", "3600");
    world_set_polling(world, "fresh-paused-s", "3600");
    /* The budget (rule 11) would stretch the cadences the cases set: they test the applet. */
    world_set_polling(world, "budget-requests", "0");
    return world;
}

static void remove_tree(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
            remove_tree(child);
        else
            g_unlink(child);
    }
    g_rmdir(path);
}

void world_free(World *world)
{
    world_stop_daemon(world);
    remove_tree(world->dir);
    g_free(world->dir);
    g_free(world->config_path);
    g_free(world->state_dir);
    g_free(world->art_path);
    g_hash_table_unref(world->polling);
    g_free(world);
}

void world_set_polling(World *world, const char *key, const char *value)
{
    g_hash_table_insert(world->polling, g_strdup(key), g_strdup(value));
}

static void write_config(World *world)
{
    g_autoptr(GString) text = g_string_new(
        "[spotify]\n"
        "client-id=test-client\n"
        "api-base-url=" CLOSED_URL
        "\n"
        "accounts-base-url=" CLOSED_URL
        "\n"
        "[polling]\n");
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, world->polling);
    while (g_hash_table_iter_next(&iter, &key, &value))
        g_string_append_printf(text, "%s=%s\n", (char *)key, (char *)value);
    write_file(world->config_path, text->str, 0644);
}

void world_write_state(World *world, const char *now_playing_lines)
{
    g_autofree char *now = g_strdup_printf("%" G_GINT64_FORMAT, now_ms());
    g_autoptr(GString) text = g_string_new("[now-playing]\n");
    g_string_append(text, now_playing_lines);
    g_string_replace(text, "@NOW@", now, 0);
    g_string_replace(text, "@ART@", world->art_path, 0);
    g_string_append_printf(text, "\n[poll]\nlast-poll-at=%s\nbackoff-until=0\nfailures=0\n", now);
    g_autofree char *path = g_build_filename(world->state_dir, "state.ini", NULL);
    write_file(path, text->str, 0644);
}

void world_write_credentials(World *world, gboolean revoked)
{
    g_autofree char *text = g_strdup_printf(
        "[credentials]\naccess-token=test-access\nrefresh-token=test-refresh\n"
        "expires-at=%" G_GINT64_FORMAT "\nscope=user-read-currently-playing\n%s",
        now_ms() + 3600 * 1000, revoked ? "revoked=true\n" : "");
    g_autofree char *path = g_build_filename(world->state_dir, "credentials.ini", NULL);
    write_file(path, text, 0600);
}

/* ---- the daemon ---------------------------------------------------------------------------- */

static gboolean name_has_owner(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
        connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
        "NameHasOwner", g_variant_new("(s)", BUS_NAME), G_VARIANT_TYPE("(b)"),
        G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
    g_assert_no_error(error);
    gboolean owned = FALSE;
    g_variant_get(reply, "(b)", &owned);
    return owned;
}

static void wait_for_owner(gboolean owned)
{
    for (int i = 0; i < 200 && name_has_owner() != owned; i++)
        g_usleep(50 * 1000);
    g_assert_cmpint(name_has_owner(), ==, owned);
}

void world_start_daemon(World *world)
{
    g_autoptr(GError) error = NULL;
    write_config(world);
    g_autoptr(GSubprocessLauncher) launcher = launcher_new(G_SUBPROCESS_FLAGS_NONE);
    /* The daemon's art cache is the test's, never the user's. */
    g_autofree char *cache_home = g_build_filename(world->dir, "cache", NULL);
    g_subprocess_launcher_setenv(launcher, "XDG_CACHE_HOME", cache_home, TRUE);
    world->daemon =
        g_subprocess_launcher_spawn(launcher, &error, env_path("SPOTNOWD"), "--config",
                                    world->config_path, "--state-dir", world->state_dir, NULL);
    g_assert_no_error(error);
    wait_for_owner(TRUE);
}

void world_stop_daemon(World *world)
{
    if (world->daemon == NULL)
        return;
    g_subprocess_send_signal(world->daemon, SIGTERM);
    g_autoptr(GError) error = NULL;
    g_subprocess_wait_check(world->daemon, NULL, &error);
    g_assert_no_error(error);
    g_clear_object(&world->daemon);
    wait_for_owner(FALSE);
}

GVariant *world_get_status(World *world)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
        connection, BUS_NAME, OBJECT_PATH, BUS_NAME, "GetStatus", NULL, G_VARIANT_TYPE("(a{sv})"),
        G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
    g_assert_no_error(error);
    return g_variant_get_child_value(reply, 0);
}

guint world_count_viewers(World *world)
{
    g_autoptr(GVariant) status = world_get_status(world);
    guint32 viewers = 0;
    g_assert_true(g_variant_lookup(status, "viewers", "u", &viewers));
    return viewers;
}

guint world_wait_for_viewers(World *world, guint expected, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    guint viewers;
    while ((viewers = world_count_viewers(world)) != expected && g_get_monotonic_time() < deadline)
        g_usleep(50 * 1000);
    return viewers;
}

/* ---- the applet ---------------------------------------------------------------------------- */

static GSubprocessLauncher *applet_launcher(World *world, GSubprocessFlags flags)
{
    GSubprocessLauncher *launcher = launcher_new(flags);
    g_autofree char *config_home = g_build_filename(world->dir, "config", NULL);
    g_autofree char *cache_home = g_build_filename(world->dir, "cache", NULL);
    g_subprocess_launcher_setenv(launcher, "DISPLAY", display, TRUE);
    g_subprocess_launcher_setenv(launcher, "GDK_BACKEND", "x11", TRUE);
    g_subprocess_launcher_setenv(launcher, "GSK_RENDERER", "cairo", TRUE);
    g_subprocess_launcher_setenv(launcher, "XDG_CONFIG_HOME", config_home, TRUE);
    g_subprocess_launcher_setenv(launcher, "XDG_CACHE_HOME", cache_home, TRUE);
    /* The strings the tests read are the untranslated ones. */
    g_subprocess_launcher_setenv(launcher, "LC_ALL", "C.UTF-8", TRUE);
    g_subprocess_launcher_unsetenv(launcher, "LANGUAGE");
    g_subprocess_launcher_setenv(launcher, "TZ", "UTC", TRUE);
    /* GTK's in-process accessibility backend: no AT-SPI bus on the private bus, and the
     * accessible properties are still kept for the applet to report. */
    g_subprocess_launcher_setenv(launcher, "GTK_A11Y", "test", TRUE);
    /* A GTK critical in the applet is a failed test, not a line in a log. */
    g_subprocess_launcher_setenv(launcher, "G_DEBUG", "gc-friendly,fatal-criticals", TRUE);
    return launcher;
}

char *world_screenshot(World *world, const char *name, char **png_path)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *file = g_strconcat(name, ".png", NULL);
    g_autofree char *path = g_build_filename(world->dir, file, NULL);
    g_autoptr(GSubprocessLauncher) launcher =
        applet_launcher(world, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_autoptr(GSubprocess) applet = g_subprocess_launcher_spawn(
        launcher, &error, env_path("SPOTNOW_APPLET"), "--screenshot", path, "--dump-labels", NULL);
    g_assert_no_error(error);
    char *out = NULL;
    g_subprocess_communicate_utf8(applet, NULL, NULL, &out, NULL, &error);
    g_assert_no_error(error);
    /* One message per line: TAP comments do not span lines. */
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    g_test_message("%s:", name);
    for (char **l = lines; *l != NULL; l++) {
        if (**l != '\0')
            g_test_message("  %s", *l);
    }
    g_assert_true(g_subprocess_get_if_exited(applet));
    g_assert_cmpint(g_subprocess_get_exit_status(applet), ==, 0);
    g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));

    const char *keep = g_getenv("SPN_SCREENSHOT_DIR");
    if (keep != NULL) {
        g_autofree char *contents = NULL;
        gsize length = 0;
        g_autofree char *copy = g_build_filename(keep, file, NULL);
        g_mkdir_with_parents(keep, 0755);
        g_assert_true(g_file_get_contents(path, &contents, &length, NULL));
        g_assert_true(g_file_set_contents(copy, contents, (gssize)length, NULL));
    }
    if (png_path != NULL)
        *png_path = g_steal_pointer(&path);
    return out;
}

/* ---- checks -------------------------------------------------------------------------------- */

void assert_png_shows_window(const char *png_path, const char *labels)
{
    int width = 0, height = 0;
    const char *size = strstr(labels, "size\t");
    g_assert_nonnull(size);
    g_assert_cmpint(sscanf(size, "size\t%d %d", &width, &height), ==, 2);
    /* The compact window of the issue: about 360×96. */
    g_assert_cmpint(width, >=, 340);
    g_assert_cmpint(width, <=, 400);
    g_assert_cmpint(height, >=, 90);
    g_assert_cmpint(height, <=, 130);

    g_autoptr(GError) error = NULL;
    g_autoptr(GdkTexture) texture = gdk_texture_new_from_filename(png_path, &error);
    g_assert_no_error(error);
    g_assert_cmpint(gdk_texture_get_width(texture), ==, width);
    g_assert_cmpint(gdk_texture_get_height(texture), ==, height);

    gsize stride = (gsize)width * 4;
    g_autofree guint8 *data = g_malloc(stride * height);
    gdk_texture_download(texture, data, stride);
    g_autoptr(GHashTable) colours = g_hash_table_new(g_direct_hash, g_direct_equal);
    double sum = 0, sum2 = 0;
    for (gsize i = 0; i < stride * height; i += 4) {
        double luma = 0.114 * data[i] + 0.587 * data[i + 1] + 0.299 * data[i + 2];
        sum += luma;
        sum2 += luma * luma;
        guint32 rgb = (guint32)data[i] << 16 | (guint32)data[i + 1] << 8 | data[i + 2];
        g_hash_table_add(colours, GUINT_TO_POINTER(rgb));
    }
    double n = (double)width * height;
    double stddev = sqrt(MAX(sum2 / n - (sum / n) * (sum / n), 0));
    g_test_message("%s: %dx%d, luma stddev %.1f, %u colours", png_path, width, height, stddev,
                   g_hash_table_size(colours));
    g_assert_cmpfloat(stddev, >, 8.0);
    g_assert_cmpuint(g_hash_table_size(colours), >=, 16);
}

static gboolean has_line(const char *labels, const char *pattern)
{
    g_auto(GStrv) lines = g_strsplit(labels, "\n", -1);
    for (char **l = lines; *l != NULL; l++) {
        if (g_pattern_match_simple(pattern, *l))
            return TRUE;
    }
    return FALSE;
}

void assert_has_line(const char *labels, const char *line)
{
    if (!has_line(labels, line))
        g_error("expected the line “%s” in:\n%s", line, labels);
}

void assert_lacks_line(const char *labels, const char *line)
{
    if (has_line(labels, line))
        g_error("did not expect the line “%s” in:\n%s", line, labels);
}

/* ---- the applet under --test-control ------------------------------------------------------- */

Applet *applet_start(World *world, const char *heartbeat_s)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocessLauncher) launcher =
        applet_launcher(world, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    if (heartbeat_s != NULL)
        g_subprocess_launcher_setenv(launcher, "SPOTNOW_APPLET_HEARTBEAT_S", heartbeat_s, TRUE);
    Applet *applet = g_new0(Applet, 1);
    applet->process = g_subprocess_launcher_spawn(launcher, &error, env_path("SPOTNOW_APPLET"),
                                                  "--test-control", NULL);
    g_assert_no_error(error);
    applet->out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(applet->process));
    applet->in = g_subprocess_get_stdin_pipe(applet->process);
    return applet;
}

static void send_line(Applet *applet, const char *command)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *line = g_strconcat(command, "\n", NULL);
    g_output_stream_write_all(applet->in, line, strlen(line), NULL, NULL, &error);
    g_assert_no_error(error);
    g_output_stream_flush(applet->in, NULL, &error);
    g_assert_no_error(error);
}

char *applet_command(Applet *applet, const char *command)
{
    g_autofree char *ok = g_strconcat("ok ", command, NULL);
    GString *out = g_string_new(NULL);
    send_line(applet, command);
    for (;;) {
        g_autoptr(GError) error = NULL;
        g_autofree char *line = g_data_input_stream_read_line_utf8(applet->out, NULL, NULL, &error);
        g_assert_no_error(error);
        if (line == NULL)
            g_error("spotnow-applet exited while answering “%s”:\n%s", command, out->str);
        if (g_str_equal(line, ok))
            break;
        g_string_append_printf(out, "%s\n", line);
    }
    return g_string_free(out, FALSE);
}

char *applet_wait_for_mode(Applet *applet, const char *mode, guint timeout_ms)
{
    g_autofree char *wanted = g_strdup_printf("mode\t%s", mode);
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    for (;;) {
        char *out = applet_command(applet, "describe");
        if (has_line(out, wanted) || g_get_monotonic_time() > deadline)
            return out;
        g_free(out);
        g_usleep(100 * 1000);
    }
}

void applet_finish(Applet *applet, gboolean close)
{
    g_autoptr(GError) error = NULL;
    if (close)
        g_free(applet_command(applet, "close"));
    else
        send_line(applet, "quit");
    g_subprocess_wait_check(applet->process, NULL, &error);
    g_assert_no_error(error);
    g_clear_object(&applet->out);
    g_clear_object(&applet->process);
    g_free(applet);
}
