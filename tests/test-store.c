/* test-store.c — state.ini and credentials.ini: round trips, damage, and atomic writes. */
#define G_LOG_DOMAIN "spotnow-test-store"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spn-error.h"
#include "store.h"
#include "test-util.h"

#define STORE_DOMAIN "spotnow-store"
#define ACCESS_TOKEN "BQD-access-token-never-logged"
#define REFRESH_TOKEN "AQC-refresh-token-never-logged"

typedef struct {
    char *dir;
    char *state_path;
    char *credentials_path;
} Fixture;

static void remove_tree(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *name;

        while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            remove_tree(child);
        }
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

static void fixture_set_up(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    f->dir = g_dir_make_tmp("spotnow-test-store-XXXXXX", &error);
    g_assert_no_error(error);
    f->state_path = g_build_filename(f->dir, "state.ini", NULL);
    f->credentials_path = g_build_filename(f->dir, "credentials.ini", NULL);
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
    remove_tree(f->dir);
    g_free(f->dir);
    g_free(f->state_path);
    g_free(f->credentials_path);
}

static int compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory's entries, sorted and joined with spaces, so a stray temp file shows. */
static char *list_dir(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    g_assert_nonnull(dir);
    while ((name = g_dir_read_name(dir)) != NULL)
        g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, compare_names);
    g_ptr_array_add(names, NULL);
    return g_strjoinv(" ", (char **)names->pdata);
}

static void write_file(const char *path, const char *contents, gssize length)
{
    g_autoptr(GError) error = NULL;

    g_file_set_contents(path, contents, length, &error);
    g_assert_no_error(error);
}

static char *read_file(const char *path, gsize *length)
{
    g_autoptr(GError) error = NULL;
    char *contents = NULL;

    g_file_get_contents(path, &contents, length, &error);
    g_assert_no_error(error);
    return contents;
}

static guint file_mode(const char *path)
{
    GStatBuf st;

    g_assert_cmpint(g_stat(path, &st), ==, 0);
    return st.st_mode & 07777;
}

static SpnSnapshot *tricky_snapshot(void)
{
    SpnSnapshot *s = spn_snapshot_new();

    s->is_playing = TRUE;
    g_free(s->track_name);
    s->track_name = g_strdup("  leading spaces, \"quotes\" and = signs; trailing  ");
    g_free(s->artist_name);
    s->artist_name = g_strdup("Sigur Rós, 坂本龍一, Beyoncé ♫");
    g_free(s->album_name);
    s->album_name = g_strdup("# not a comment = not a key ; [not a group] \\back\\slash");
    g_free(s->album_art);
    s->album_art = g_strdup("https://i.scdn.co/image/ab67616d0000b273?x=1&y=2#frag");
    s->album_art_file = g_strdup("/var/cache/spotnow/0123abcd.jpg");
    s->track_url = g_strdup("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC");
    s->track_id = g_strdup("4uLU6hMCjMI75M1A2tKUQC");
    g_free(s->item_type);
    s->item_type = g_strdup("episode");
    s->progress_ms = 61234;
    s->duration_ms = 3600000;
    s->fetched_at = G_GINT64_CONSTANT(1712345678901);
    return s;
}

static void assert_empty_snapshot(const SpnSnapshot *s)
{
    g_assert_false(s->is_playing);
    g_assert_cmpstr(s->track_name, ==, "");
    g_assert_cmpstr(s->artist_name, ==, "");
    g_assert_cmpstr(s->album_name, ==, "");
    g_assert_cmpstr(s->album_art, ==, "");
    g_assert_null(s->album_art_file);
    g_assert_null(s->track_url);
    g_assert_null(s->track_id);
    g_assert_cmpstr(s->item_type, ==, "none");
    g_assert_cmpint(s->progress_ms, ==, 0);
    g_assert_cmpint(s->duration_ms, ==, 0);
    g_assert_cmpint(s->fetched_at, ==, 0);
}

static void load_state_ok(Fixture *f, SpnSnapshot **snapshot, SpnPollState *poll)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(spn_store_load_state(f->dir, snapshot, poll, &error));
    g_assert_no_error(error);
    g_assert_nonnull(*snapshot);
}

/* ---- state.ini ----------------------------------------------------------------------------- */

static void test_state_round_trip(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnSnapshot) saved = tricky_snapshot();
    g_autoptr(SpnSnapshot) loaded = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *entries = NULL;
    SpnPollState poll = {G_GINT64_CONSTANT(1712345670000), G_GINT64_CONSTANT(1712345999000), 7};
    SpnPollState loaded_poll = {0};

    g_assert_true(spn_store_save_state(f->dir, saved, &poll, &error));
    g_assert_no_error(error);
    load_state_ok(f, &loaded, &loaded_poll);

    spn_assert_snapshots_equal(loaded, saved);
    g_assert_cmpint(loaded_poll.last_poll_at, ==, poll.last_poll_at);
    g_assert_cmpint(loaded_poll.backoff_until, ==, poll.backoff_until);
    g_assert_cmpuint(loaded_poll.failures, ==, poll.failures);

    /* Atomic write: the temp file was renamed, nothing left behind. */
    entries = list_dir(f->dir);
    g_assert_cmpstr(entries, ==, "state.ini");
}

static void assert_value(GKeyFile *key_file, const char *group, const char *key,
                         const char *expected)
{
    g_autofree char *value = g_key_file_get_value(key_file, group, key, NULL);

    g_assert_cmpstr(value, ==, expected);
}

static void test_state_keys_on_disk(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnSnapshot) saved = tricky_snapshot();
    g_autoptr(GKeyFile) key_file = g_key_file_new();
    g_autoptr(GError) error = NULL;
    SpnPollState poll = {1, 2, 3};

    g_assert_true(spn_store_save_state(f->dir, saved, &poll, &error));
    g_assert_no_error(error);
    g_assert_true(g_key_file_load_from_file(key_file, f->state_path, 0, &error));

    /* The names other tools (and older daemons) read. */
    assert_value(key_file, "now-playing", "isPlaying", "true");
    assert_value(key_file, "now-playing", "progressMs", "61234");
    assert_value(key_file, "now-playing", "durationMs", "3600000");
    assert_value(key_file, "now-playing", "fetchedAt", "1712345678901");
    assert_value(key_file, "now-playing", "itemType", "episode");
    assert_value(key_file, "now-playing", "trackId", "4uLU6hMCjMI75M1A2tKUQC");
    assert_value(key_file, "poll", "last-poll-at", "1");
    assert_value(key_file, "poll", "backoff-until", "2");
    assert_value(key_file, "poll", "failures", "3");
}

static void test_state_absent_optional(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnSnapshot) saved = tricky_snapshot();
    g_autoptr(SpnSnapshot) loaded = NULL;
    g_autoptr(GKeyFile) key_file = g_key_file_new();
    g_autoptr(GError) error = NULL;

    /* A local file: no URL, no id, art not cached yet. */
    g_clear_pointer(&saved->album_art_file, g_free);
    g_clear_pointer(&saved->track_url, g_free);
    g_clear_pointer(&saved->track_id, g_free);
    g_assert_true(spn_store_save_state(f->dir, saved, NULL, &error));
    g_assert_no_error(error);

    g_assert_true(g_key_file_load_from_file(key_file, f->state_path, 0, &error));
    g_assert_false(g_key_file_has_key(key_file, "now-playing", "albumArtFile", NULL));
    g_assert_false(g_key_file_has_key(key_file, "now-playing", "trackUrl", NULL));
    g_assert_false(g_key_file_has_key(key_file, "now-playing", "trackId", NULL));

    load_state_ok(f, &loaded, NULL);
    spn_assert_snapshots_equal(loaded, saved);
    g_assert_null(loaded->track_url);
}

static void test_state_missing(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnSnapshot) loaded = NULL;
    g_autofree char *entries = NULL;
    SpnPollState poll = {11, 22, 33};

    load_state_ok(f, &loaded, &poll);
    assert_empty_snapshot(loaded);
    g_assert_cmpint(poll.last_poll_at, ==, 0);
    g_assert_cmpint(poll.backoff_until, ==, 0);
    g_assert_cmpuint(poll.failures, ==, 0);

    entries = list_dir(f->dir);
    g_assert_cmpstr(entries, ==, "");
}

static void test_state_missing_keys(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnSnapshot) loaded = NULL;
    SpnPollState poll = {0};

    /* An older daemon's file, or a hand-trimmed one: what is there is used. */
    write_file(f->state_path, "[now-playing]\ntrackName=Only This\n[poll]\nfailures=2\n", -1);
    load_state_ok(f, &loaded, &poll);
    g_assert_cmpstr(loaded->track_name, ==, "Only This");
    g_assert_cmpstr(loaded->artist_name, ==, "");
    g_assert_cmpstr(loaded->item_type, ==, "none");
    g_assert_null(loaded->track_id);
    g_assert_cmpuint(poll.failures, ==, 2);
    g_assert_cmpint(poll.last_poll_at, ==, 0);
}

static void test_state_sanitised(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnSnapshot) loaded = NULL;
    SpnPollState poll = {0};

    write_file(f->state_path,
               "[now-playing]\n"
               "trackName=bad bytes\\n\x1b[2Jand an escape\n"
               "trackUrl=\n"
               "itemType=hologram\n"
               "progressMs=999999\n"
               "durationMs=1000\n"
               "fetchedAt=-5\n"
               "[poll]\n"
               "failures=-1\n"
               "backoff-until=-100\n",
               -1);
    load_state_ok(f, &loaded, &poll);
    /* The one sanitiser: a hand edit's control characters are made spaces (they would reach a
     * terminal or a panel), an empty optional key is absent. */
    g_assert_cmpstr(loaded->track_name, ==, "bad bytes  [2Jand an escape");
    g_assert_null(loaded->track_url);
    g_assert_cmpstr(loaded->item_type, ==, "unknown");
    g_assert_cmpint(loaded->progress_ms, ==, 1000);
    g_assert_cmpint(loaded->duration_ms, ==, 1000);
    g_assert_cmpint(loaded->fetched_at, ==, 0);
    g_assert_cmpuint(poll.failures, ==, 0);
    g_assert_cmpint(poll.backoff_until, ==, 0);
    g_clear_pointer(&loaded, spn_snapshot_free);

    write_file(f->state_path, "[now-playing]\nprogressMs=-20\ndurationMs=-1\n", -1);
    load_state_ok(f, &loaded, NULL);
    g_assert_cmpint(loaded->progress_ms, ==, 0);
    g_assert_cmpint(loaded->duration_ms, ==, 0);
}

/* Writes @contents as state.ini, loads it, and checks it was set aside byte for byte. */
static void assert_state_set_aside(Fixture *f, const char *contents, gsize length)
{
    g_autoptr(SpnSnapshot) loaded = NULL;
    g_autofree char *corrupt_path = g_strconcat(f->state_path, ".corrupt", NULL);
    g_autofree char *kept = NULL;
    g_autofree char *entries = NULL;
    gsize kept_length = 0;
    SpnPollState poll = {5, 5, 5};

    write_file(f->state_path, contents, length);
    g_test_expect_message(STORE_DOMAIN, G_LOG_LEVEL_WARNING,
                          "file */state.ini was corrupt (*); set aside as "
                          "*/state.ini.corrupt");
    load_state_ok(f, &loaded, &poll);
    g_test_assert_expected_messages();

    assert_empty_snapshot(loaded);
    g_assert_cmpuint(poll.failures, ==, 0);
    entries = list_dir(f->dir);
    g_assert_cmpstr(entries, ==, "state.ini.corrupt");
    kept = read_file(corrupt_path, &kept_length);
    g_assert_cmpmem(kept, kept_length, contents, length);
}

static void test_state_corrupt_garbage(Fixture *f, gconstpointer data)
{
    static const char garbage[] = "\x7f\x45\x4c\x46\x02\x01\x01\x00 not a key file\n\xff\xfe";
    g_autofree char *corrupt_path = g_strconcat(f->state_path, ".corrupt", NULL);

    /* An older .corrupt is replaced by the newer one. */
    write_file(corrupt_path, "older damage", -1);
    assert_state_set_aside(f, garbage, sizeof garbage - 1);
}

/* We only write UTF-8 text: invalid bytes or a NUL mean damage, and damage is set aside rather
 * than repaired, so the original survives for a person to look at. */
static void test_state_corrupt_not_text(Fixture *f, gconstpointer data)
{
    static const char invalid_utf8[] = "[now-playing]\ntrackName=bad \xff\xfe bytes\n";
    static const char leading_nul[] = "\0[now-playing]\ntrackName=X\n";
    assert_state_set_aside(f, invalid_utf8, sizeof invalid_utf8 - 1);
    g_autofree char *corrupt_path = g_strconcat(f->state_path, ".corrupt", NULL);
    g_assert_cmpint(g_unlink(corrupt_path), ==, 0);
    assert_state_set_aside(f, leading_nul, sizeof leading_nul - 1);
}

static void test_state_corrupt_wrong_type(Fixture *f, gconstpointer data)
{
    static const char *const files[] = {
        "[now-playing]\ntrackName=X\nprogressMs=abc\n",
        "[now-playing]\nisPlaying=maybe\n",
        "[now-playing]\ndurationMs=3.5\n",
        "[now-playing]\nfetchedAt=\n",
        "[now-playing]\ntrackName=X\n[poll]\nfailures=many\n",
        "[poll]\nlast-poll-at=yesterday\n",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *corrupt_path = g_strconcat(f->state_path, ".corrupt", NULL);

        g_test_message("%s", files[i]);
        assert_state_set_aside(f, files[i], strlen(files[i]));
        g_unlink(corrupt_path);
    }
}

/* doc/design.md section 5: an unreadable file is set aside like a corrupt one, so the next save
 * cannot replace what could not be read. Tests run as root, where chmod 000 blocks nothing; a
 * directory cannot be read either. */
static void test_state_unreadable(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnSnapshot) loaded = NULL;
    g_autoptr(SpnSnapshot) saved = tricky_snapshot();
    g_autofree char *corrupt_path = g_strconcat(f->state_path, ".corrupt", NULL);
    g_autofree char *entries = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(g_mkdir(f->state_path, 0700), ==, 0);
    g_test_expect_message(STORE_DOMAIN, G_LOG_LEVEL_WARNING,
                          "file */state.ini could not be read (*); set aside as "
                          "*/state.ini.corrupt");
    load_state_ok(f, &loaded, NULL);
    g_test_assert_expected_messages();
    assert_empty_snapshot(loaded);
    entries = list_dir(f->dir);
    g_assert_cmpstr(entries, ==, "state.ini.corrupt");
    g_assert_true(g_file_test(corrupt_path, G_FILE_TEST_IS_DIR));

    /* Saving works again, next to what was set aside. */
    g_assert_true(spn_store_save_state(f->dir, saved, NULL, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_test(f->state_path, G_FILE_TEST_IS_REGULAR));
    g_assert_cmpint(g_rmdir(corrupt_path), ==, 0);
}

static void test_state_save_creates_dir(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnSnapshot) saved = tricky_snapshot();
    g_autoptr(SpnSnapshot) loaded = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *nested = g_build_filename(f->dir, "a", "spotnow", NULL);

    g_assert_true(spn_store_save_state(nested, saved, NULL, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(file_mode(nested), ==, 0700);
    g_assert_true(spn_store_load_state(nested, &loaded, NULL, &error));
    spn_assert_snapshots_equal(loaded, saved);
}

static void test_state_save_dir_is_file(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnSnapshot) saved = tricky_snapshot();
    g_autoptr(GError) error = NULL;
    g_autofree char *not_a_dir = g_build_filename(f->dir, "plain-file", NULL);
    g_autofree char *contents = NULL;

    write_file(not_a_dir, "mine", -1);
    g_assert_false(spn_store_save_state(not_a_dir, saved, NULL, &error));
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR);
    contents = read_file(not_a_dir, NULL);
    g_assert_cmpstr(contents, ==, "mine");
}

/* A disk that fills up mid-write: the old file must survive whole and no temp file remain.
 * RLIMIT_FSIZE makes write() fail with EFBIG even for root. */
static void test_state_save_fails_keeps_old(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnSnapshot) old_snapshot = tricky_snapshot();
    g_autoptr(SpnSnapshot) big = tricky_snapshot();
    g_autoptr(SpnSnapshot) loaded = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autofree char *entries = NULL;
    struct rlimit saved_limit;
    struct rlimit small_limit;
    void (*saved_handler)(int);
    gboolean ok;

    g_assert_true(spn_store_save_state(f->dir, old_snapshot, NULL, &error));
    g_assert_no_error(error);
    before = read_file(f->state_path, NULL);

    g_free(big->track_name);
    big->track_name = g_strnfill(64 * 1024, 'x');
    g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &saved_limit), ==, 0);
    small_limit = saved_limit;
    small_limit.rlim_cur = 256;
    saved_handler = signal(SIGXFSZ, SIG_IGN);
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small_limit), ==, 0);
    ok = spn_store_save_state(f->dir, big, NULL, &error);
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &saved_limit), ==, 0);
    signal(SIGXFSZ, saved_handler);

    g_assert_false(ok);
    g_assert_nonnull(error);
    after = read_file(f->state_path, NULL);
    g_assert_cmpstr(after, ==, before);
    entries = list_dir(f->dir);
    g_assert_cmpstr(entries, ==, "state.ini");
    load_state_ok(f, &loaded, NULL);
    spn_assert_snapshots_equal(loaded, old_snapshot);
}

static void test_state_pure_halves(void)
{
    g_autoptr(SpnSnapshot) saved = tricky_snapshot();
    g_autoptr(SpnSnapshot) loaded = NULL;
    g_autoptr(GKeyFile) key_file = g_key_file_new();
    g_autoptr(GError) error = NULL;

    spn_store_snapshot_to_key_file(saved, key_file);
    loaded = spn_store_snapshot_from_key_file(key_file, &error);
    g_assert_no_error(error);
    spn_assert_snapshots_equal(loaded, saved);
    g_clear_pointer(&loaded, spn_snapshot_free);

    g_key_file_set_value(key_file, "now-playing", "durationMs", "long");
    loaded = spn_store_snapshot_from_key_file(key_file, &error);
    g_assert_null(loaded);
    g_assert_error(error, SPN_ERROR, SPN_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "durationMs"));
}

/* ---- credentials.ini ----------------------------------------------------------------------- */

static SpnCredentials *full_credentials(void)
{
    SpnCredentials *c = spn_credentials_new();

    c->access_token = g_strdup(ACCESS_TOKEN);
    c->refresh_token = g_strdup(REFRESH_TOKEN);
    c->expires_at = G_GINT64_CONSTANT(1712349278901);
    c->scope = g_strdup("user-read-currently-playing user-read-playback-state");
    c->revoked = TRUE;
    return c;
}

static void test_credentials_round_trip(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnCredentials) saved = full_credentials();
    g_autoptr(SpnCredentials) loaded = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *entries = NULL;

    g_assert_true(spn_store_save_credentials(f->dir, saved, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(file_mode(f->credentials_path), ==, 0600);

    g_assert_true(spn_store_load_credentials(f->dir, &loaded, &error));
    g_assert_no_error(error);
    g_assert_nonnull(loaded);
    g_assert_cmpstr(loaded->access_token, ==, ACCESS_TOKEN);
    g_assert_cmpstr(loaded->refresh_token, ==, REFRESH_TOKEN);
    g_assert_cmpint(loaded->expires_at, ==, saved->expires_at);
    g_assert_cmpstr(loaded->scope, ==, saved->scope);
    g_assert_true(loaded->revoked);

    entries = list_dir(f->dir);
    g_assert_cmpstr(entries, ==, "credentials.ini");
}

static void test_credentials_minimal(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnCredentials) saved = spn_credentials_new();
    g_autoptr(SpnCredentials) loaded = NULL;
    g_autoptr(GKeyFile) key_file = g_key_file_new();
    g_autoptr(GError) error = NULL;

    saved->refresh_token = g_strdup(REFRESH_TOKEN);
    g_assert_true(spn_store_save_credentials(f->dir, saved, &error));
    g_assert_no_error(error);

    g_assert_true(g_key_file_load_from_file(key_file, f->credentials_path, 0, &error));
    g_assert_false(g_key_file_has_key(key_file, "credentials", "revoked", NULL));
    g_assert_false(g_key_file_has_key(key_file, "credentials", "access-token", NULL));

    g_assert_true(spn_store_load_credentials(f->dir, &loaded, &error));
    g_assert_no_error(error);
    g_assert_null(loaded->access_token);
    g_assert_cmpstr(loaded->refresh_token, ==, REFRESH_TOKEN);
    g_assert_null(loaded->scope);
    g_assert_cmpint(loaded->expires_at, ==, 0);
    g_assert_false(loaded->revoked);
}

static void test_credentials_mode(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnCredentials) saved = full_credentials();
    g_autoptr(GError) error = NULL;
    mode_t old_umask;
    gboolean ok;

    /* A previous file that was world-readable, and a umask that would strip the owner's write
     * bit: the result is still exactly 0600. */
    write_file(f->credentials_path, "[credentials]\nrefresh-token=old\n", -1);
    g_assert_cmpint(g_chmod(f->credentials_path, 0644), ==, 0);
    old_umask = umask(0277);
    ok = spn_store_save_credentials(f->dir, saved, &error);
    umask(old_umask);
    g_assert_no_error(error);
    g_assert_true(ok);
    g_assert_cmpuint(file_mode(f->credentials_path), ==, 0600);

    old_umask = umask(0);
    ok = spn_store_save_credentials(f->dir, saved, &error);
    umask(old_umask);
    g_assert_true(ok);
    g_assert_cmpuint(file_mode(f->credentials_path), ==, 0600);
}

/* credentials.ini a symlink to a file that is not the daemon's (planted, or an admin's link):
 * tightening the mode, on load or when setting a corrupt one aside, must not follow it. */
static void test_credentials_symlink_not_followed(Fixture *f, gconstpointer data)
{
    g_autofree char *elsewhere = g_build_filename(f->dir, "elsewhere", NULL);
    g_autofree char *target = g_build_filename(elsewhere, "target.ini", NULL);
    g_autofree char *corrupt_path = g_strconcat(f->credentials_path, ".corrupt", NULL);
    g_autoptr(GError) error = NULL;
    g_assert_cmpint(g_mkdir(elsewhere, 0755), ==, 0);

    write_file(target, "[credentials]\naccess-token=a\nrefresh-token=r\nexpires-at=1\n", -1);
    g_assert_cmpint(g_chmod(target, 0644), ==, 0);
    g_assert_cmpint(symlink(target, f->credentials_path), ==, 0);
    g_autoptr(SpnCredentials) loaded = NULL;
    g_assert_true(spn_store_load_credentials(f->dir, &loaded, &error));
    g_assert_no_error(error);
    g_assert_nonnull(loaded);
    g_assert_cmpuint(file_mode(target), ==, 0644);

    write_file(target, "not a key file\n", -1);
    g_clear_pointer(&loaded, spn_credentials_free);
    g_test_expect_message(STORE_DOMAIN, G_LOG_LEVEL_WARNING, "*set aside as*");
    g_assert_true(spn_store_load_credentials(f->dir, &loaded, &error));
    g_test_assert_expected_messages();
    g_assert_no_error(error);
    g_assert_null(loaded);
    g_assert_true(g_file_test(corrupt_path, G_FILE_TEST_IS_SYMLINK));
    g_assert_cmpuint(file_mode(target), ==, 0644);
}

static void test_credentials_missing(Fixture *f, gconstpointer data)
{
    SpnCredentials *loaded = (SpnCredentials *)1;
    g_autoptr(GError) error = NULL;

    g_assert_true(spn_store_load_credentials(f->dir, &loaded, &error));
    g_assert_no_error(error);
    g_assert_null(loaded);
}

/* @reason is matched exactly, which also proves no token made it into the warning. */
static void assert_credentials_set_aside(Fixture *f, const char *contents, const char *reason)
{
    g_autoptr(SpnCredentials) loaded = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *corrupt_path = g_strconcat(f->credentials_path, ".corrupt", NULL);
    g_autofree char *pattern = g_strdup_printf("file %s was corrupt (%s); set aside as %s",
                                               f->credentials_path, reason, corrupt_path);
    g_autofree char *kept = NULL;
    g_autofree char *entries = NULL;

    write_file(f->credentials_path, contents, -1);
    g_assert_cmpint(g_chmod(f->credentials_path, 0644), ==, 0);
    g_test_expect_message(STORE_DOMAIN, G_LOG_LEVEL_WARNING, pattern);
    g_assert_true(spn_store_load_credentials(f->dir, &loaded, &error));
    g_test_assert_expected_messages();
    g_assert_no_error(error);
    g_assert_null(loaded);

    entries = list_dir(f->dir);
    g_assert_cmpstr(entries, ==, "credentials.ini.corrupt");
    kept = read_file(corrupt_path, NULL);
    g_assert_cmpstr(kept, ==, contents);
    g_assert_cmpuint(file_mode(corrupt_path), ==, 0600);
    g_unlink(corrupt_path);
}

static void test_credentials_corrupt(Fixture *f, gconstpointer data)
{
    assert_credentials_set_aside(f, "[credentials]\naccess-token=" ACCESS_TOKEN "\n",
                                 "[credentials] refresh-token: missing");
    assert_credentials_set_aside(f, "[credentials]\nrefresh-token=\n",
                                 "[credentials] refresh-token: missing");
    assert_credentials_set_aside(f, "[other]\nrefresh-token=" REFRESH_TOKEN "\n",
                                 "[credentials] refresh-token: missing");
    assert_credentials_set_aside(
        f, "[credentials]\nrefresh-token=" REFRESH_TOKEN "\nexpires-at=soon\n",
        "[credentials] expires-at: expected an integer");
    assert_credentials_set_aside(
        f, "[credentials]\nrefresh-token=" REFRESH_TOKEN "\nrevoked=sort of\n",
        "[credentials] revoked: expected true or false");
    /* GKeyFile would quote this line, token and all. */
    assert_credentials_set_aside(f, REFRESH_TOKEN " " ACCESS_TOKEN "\n", "not a valid key file");
}

static void test_credentials_unreadable(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnCredentials) loaded = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *corrupt_path = g_strconcat(f->credentials_path, ".corrupt", NULL);
    g_autofree char *entries = NULL;

    g_assert_cmpint(g_mkdir(f->credentials_path, 0700), ==, 0);
    g_test_expect_message(STORE_DOMAIN, G_LOG_LEVEL_WARNING,
                          "file */credentials.ini could not be read (*); set aside as "
                          "*/credentials.ini.corrupt");
    g_assert_true(spn_store_load_credentials(f->dir, &loaded, &error));
    g_test_assert_expected_messages();
    g_assert_no_error(error);
    g_assert_null(loaded);
    entries = list_dir(f->dir);
    g_assert_cmpstr(entries, ==, "credentials.ini.corrupt");
    g_assert_cmpuint(file_mode(corrupt_path), ==, 0700);
    g_assert_cmpint(g_rmdir(corrupt_path), ==, 0);
}

/* Nowhere to set an unreadable file aside (the directory is read-only, which binds root too
 * once the fs is mounted read-only; here: the .corrupt name is taken by a non-empty directory):
 * the load fails and says why, and the file stays where it is. */
static void test_credentials_unreadable_cannot_set_aside(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnCredentials) loaded = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *corrupt_path = g_strconcat(f->credentials_path, ".corrupt", NULL);
    g_autofree char *blocker = g_build_filename(corrupt_path, "keep", NULL);

    g_assert_cmpint(g_mkdir(f->credentials_path, 0700), ==, 0);
    g_assert_cmpint(g_mkdir(corrupt_path, 0700), ==, 0);
    write_file(blocker, "x", -1);
    g_assert_false(spn_store_load_credentials(f->dir, &loaded, &error));
    g_assert_nonnull(error);
    g_assert_true(strstr(error->message, "could not be read") != NULL);
    g_assert_null(loaded);
    g_assert_true(g_file_test(f->credentials_path, G_FILE_TEST_IS_DIR));
    g_unlink(blocker);
    g_rmdir(corrupt_path);
    g_rmdir(f->credentials_path);
}

static void test_credentials_save_signed_out(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnCredentials) saved = spn_credentials_new();
    g_autoptr(GError) error = NULL;

    saved->access_token = g_strdup(ACCESS_TOKEN);
    g_assert_false(spn_store_save_credentials(f->dir, saved, &error));
    g_assert_error(error, SPN_ERROR, SPN_ERROR_INVALID_ARGS);
    g_assert_null(strstr(error->message, ACCESS_TOKEN));
    g_assert_false(g_file_test(f->credentials_path, G_FILE_TEST_EXISTS));
}

static void test_credentials_delete(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnCredentials) saved = full_credentials();
    g_autoptr(SpnCredentials) loaded = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *inside = g_build_filename(f->credentials_path, "x", NULL);

    g_assert_true(spn_store_save_credentials(f->dir, saved, &error));
    g_assert_true(spn_store_delete_credentials(f->dir, &error));
    g_assert_no_error(error);
    g_assert_false(g_file_test(f->credentials_path, G_FILE_TEST_EXISTS));
    g_assert_true(spn_store_load_credentials(f->dir, &loaded, &error));
    g_assert_null(loaded);

    /* Signing out twice is fine. */
    g_assert_true(spn_store_delete_credentials(f->dir, &error));
    g_assert_no_error(error);

    /* Something that cannot be removed is reported, not ignored. */
    g_assert_cmpint(g_mkdir(f->credentials_path, 0700), ==, 0);
    write_file(inside, "", -1);
    g_assert_false(spn_store_delete_credentials(f->dir, &error));
    g_assert_nonnull(error);
}

/* ---- default locations --------------------------------------------------------------------- */

static char *initial_state_home;

static void test_default_state_dir(void)
{
    g_autofree char *dir = spn_store_default_state_dir(FALSE);
    g_autofree char *expected = g_build_filename(initial_state_home, "spotnow", NULL);

    g_assert_cmpstr(dir, ==, expected);
    g_clear_pointer(&dir, g_free);

    g_unsetenv("STATE_DIRECTORY");
    dir = spn_store_default_state_dir(TRUE);
    g_assert_cmpstr(dir, ==, "/var/lib/spotnow");
    g_clear_pointer(&dir, g_free);

    g_setenv("STATE_DIRECTORY", "/var/lib/private/spotnow", TRUE);
    dir = spn_store_default_state_dir(TRUE);
    g_assert_cmpstr(dir, ==, "/var/lib/private/spotnow");
    g_clear_pointer(&dir, g_free);

    g_setenv("STATE_DIRECTORY", "/var/lib/spotnow:/var/lib/other", TRUE);
    dir = spn_store_default_state_dir(TRUE);
    g_assert_cmpstr(dir, ==, "/var/lib/spotnow");
    g_unsetenv("STATE_DIRECTORY");
}

#define ADD(name, func) \
    g_test_add("/store/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int main(int argc, char **argv)
{
    /* Before anything asks GLib for it: GLib caches the user state dir on first use. */
    initial_state_home = g_build_filename(g_get_tmp_dir(), "spotnow-test-xdg-state", NULL);
    g_setenv("XDG_STATE_HOME", initial_state_home, TRUE);

    g_test_init(&argc, &argv, NULL);

    ADD("state/round-trip", test_state_round_trip);
    ADD("state/keys-on-disk", test_state_keys_on_disk);
    ADD("state/absent-optional", test_state_absent_optional);
    ADD("state/missing", test_state_missing);
    ADD("state/missing-keys", test_state_missing_keys);
    ADD("state/sanitised", test_state_sanitised);
    ADD("state/corrupt-garbage", test_state_corrupt_garbage);
    ADD("state/corrupt-wrong-type", test_state_corrupt_wrong_type);
    ADD("state/corrupt-not-text", test_state_corrupt_not_text);
    ADD("state/unreadable", test_state_unreadable);
    ADD("state/save-creates-dir", test_state_save_creates_dir);
    ADD("state/save-dir-is-file", test_state_save_dir_is_file);
    ADD("state/save-fails-keeps-old", test_state_save_fails_keeps_old);
    g_test_add_func("/store/state/pure-halves", test_state_pure_halves);
    ADD("credentials/round-trip", test_credentials_round_trip);
    ADD("credentials/minimal", test_credentials_minimal);
    ADD("credentials/mode", test_credentials_mode);
    ADD("credentials/symlink-not-followed", test_credentials_symlink_not_followed);
    ADD("credentials/missing", test_credentials_missing);
    ADD("credentials/corrupt", test_credentials_corrupt);
    ADD("credentials/unreadable", test_credentials_unreadable);
    ADD("credentials/unreadable-cannot-set-aside", test_credentials_unreadable_cannot_set_aside);
    ADD("credentials/save-signed-out", test_credentials_save_signed_out);
    ADD("credentials/delete", test_credentials_delete);
    g_test_add_func("/store/default-state-dir", test_default_state_dir);

    return g_test_run();
}
