/* harness.h — real parts for the applet tests: an Xvfb of their own, a private session bus
 * (GTestDBus), the real spotnowd with a prepared state.ini, and the real spotnow-applet.
 *
 * Paths come from the environment meson sets: SPOTNOWD, SPOTNOW_APPLET, XVFB.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The album art URL of the test track; its cover is pre-cached for the daemon. */
#define HARNESS_ALBUM_ART_URL "https://i.scdn.co/image/ab67616d0000b273ce4f1737bc8a646c8c4bd25a"

/* Starts Xvfb (a display no other test run shares) and the private bus; call once from main()
 * before g_test_run(), and harness_shutdown() after it. */
void harness_init(void);
void harness_shutdown(void);

/* One test's world: a temporary directory with config.ini, state/ and an XDG config home. */
typedef struct {
    char *dir;
    char *config_path;
    char *state_dir;
    char *art_path;      /* a generated cover image, 300×300 PNG */
    GHashTable *polling; /* [polling] key -> value */
    GSubprocess *daemon;
} World;

World *world_new(void);
void world_free(World *world);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(World, world_free)

/* Sets a [polling] key of config.ini. The file also has a client id, a closed port for both
 * Spotify base URLs, and freshness windows of an hour unless set here (so no poll happens
 * unless a test wants one). */
void world_set_polling(World *world, const char *key, const char *value);

/* Writes state/state.ini: [now-playing] from @now_playing_lines (may be NULL for no file),
 * with "@NOW@" replaced by the current Unix ms and "@ART@" by world->art_path, plus a [poll]
 * group saying the last poll was now. */
void world_write_state(World *world, const char *now_playing_lines);

/* state/credentials.ini with a valid-looking token; @revoked marks it as Spotify did. */
void world_write_credentials(World *world, gboolean revoked);

void world_start_daemon(World *world);
void world_stop_daemon(World *world);

/* GetStatus() at the daemon, as the a{sv}. */
GVariant *world_get_status(World *world);
guint world_count_viewers(World *world);
/* Polls GetStatus until viewers == @expected or @timeout_ms passes; returns the last count. */
guint world_wait_for_viewers(World *world, guint expected, guint timeout_ms);

/* Runs spotnow-applet --screenshot PNG --dump-labels, asserts it succeeded, and returns what it
 * printed. @name names the PNG, kept in $SPN_SCREENSHOT_DIR when set. */
char *world_screenshot(World *world, const char *name, char **png_path);

/* Asserts the PNG is as large as the window said ("size\tW H" in @labels), about 360×96, and
 * not blank: its pixels vary and it has many colours. */
void assert_png_shows_window(const char *png_path, const char *labels);

/* Asserts @labels has a line matching the glob @line ("*" and "?" as in g_pattern_match). */
void assert_has_line(const char *labels, const char *line);
void assert_lacks_line(const char *labels, const char *line);

/* spotnow-applet --test-control, stdout read line by line. */
typedef struct {
    GSubprocess *process;
    GDataInputStream *out;
    GOutputStream *in;
} Applet;

Applet *applet_start(World *world, const char *heartbeat_s);
/* Sends @command and returns the lines printed until "ok COMMAND" (events included). */
char *applet_command(Applet *applet, const char *command);
/* Sends "describe" until its "mode" line is @mode or @timeout_ms passes; returns the last. */
char *applet_wait_for_mode(Applet *applet, const char *mode, guint timeout_ms);
/* Sends "quit" (or closes, with @close) and waits for a clean exit. */
void applet_finish(Applet *applet, gboolean close);

G_END_DECLS
