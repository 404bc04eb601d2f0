/* store.c — state.ini and credentials.ini on disk (doc/design.md section 5). */
#define G_LOG_DOMAIN "spotnow-store"

#include "store.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "paths.h"
#include "file-util.h"
#include "spn-error.h"

#define STATE_FILE "state.ini"
#define CREDENTIALS_FILE "credentials.ini"

#define GROUP_NOW_PLAYING "now-playing"
#define GROUP_POLL "poll"
#define GROUP_CREDENTIALS "credentials"

#define KEY_LAST_POLL_AT "last-poll-at"
#define KEY_BACKOFF_UNTIL "backoff-until"
#define KEY_FAILURES "failures"
#define KEY_QUOTA_EXCEEDED_UNTIL "quota-exceeded-until"

#define KEY_ACCESS_TOKEN "access-token"
#define KEY_REFRESH_TOKEN "refresh-token"
#define KEY_EXPIRES_AT "expires-at"
#define KEY_SCOPE "scope"
#define KEY_REVOKED "revoked"

#define STATE_MODE 0644
#define CREDENTIALS_MODE 0600

/* ---- paths -------------------------------------------------------------------------------- */

char *spn_store_default_state_dir(gboolean system_bus)
{
    char *dir;

    if (!system_bus)
        return g_build_filename(g_get_user_state_dir(), "spotnow", NULL);
    dir = spn_systemd_directory("STATE_DIRECTORY");
    return dir != NULL ? dir : g_strdup("/var/lib/spotnow");
}

/* ---- generic key file reading and writing -------------------------------------------------- */

static void wipe_and_free(char *data, gsize length)
{
    if (data != NULL)
        memset(data, 0, length);
    g_free(data);
}

/* Reads @path into a key file. Absent file: *key_file NULL, *parse_error NULL. Unparseable or
 * unreadable (a directory, no permission, an I/O error): *key_file NULL, *parse_error set, in
 * G_FILE_ERROR for the unreadable kind. Either way the caller sets the file aside, so a later
 * save cannot silently replace what could not be read.
 * @secret: the bytes may hold tokens, so wipe them once parsed. */
static void read_key_file(const char *path, gboolean secret, GKeyFile **key_file,
                          GError **parse_error)
{
    g_autoptr(GError) local_error = NULL;
    g_autoptr(GKeyFile) parsed = g_key_file_new();
    char *data = NULL;
    gsize length = 0;
    gboolean ok;

    *key_file = NULL;
    if (!g_file_get_contents(path, &data, &length, &local_error)) {
        if (!g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            g_propagate_error(parse_error, g_steal_pointer(&local_error));
        return;
    }

    /* We only ever write UTF-8 text. GKeyFile stops at a NUL and would read a damaged file
     * as an empty, valid one: reject it here so it is set aside, not silently replaced. */
    if (memchr(data, '\0', length) != NULL || !g_utf8_validate(data, (gssize)length, NULL)) {
        g_set_error_literal(parse_error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
                            "not a UTF-8 text file");
        ok = FALSE;
    } else {
        ok = g_key_file_load_from_data(parsed, data, length, G_KEY_FILE_NONE, parse_error);
    }
    if (secret)
        wipe_and_free(data, length);
    else
        g_free(data);
    if (ok)
        *key_file = g_steal_pointer(&parsed);
}

/* GKeyFile's parse errors quote the offending line, which in a damaged file may be megabytes of
 * binary: keep the warning one short, valid line. */
static char *printable_reason(const char *reason)
{
    g_autofree char *valid = g_utf8_make_valid(reason, -1);
    GString *out = g_string_new(NULL);
    const char *p = valid;

    for (glong count = 0; *p != '\0' && count < 200; p = g_utf8_next_char(p), count++) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_iscntrl(c))
            g_string_append_c(out, '?');
        else
            g_string_append_unichar(out, c);
    }
    if (*p != '\0')
        g_string_append(out, "…");
    return g_string_free(out, FALSE);
}

/* Renames @path to "@path.corrupt" so the next save cannot overwrite what the user may want to
 * inspect, and says so once. @problem is read_key_file()'s or the loader's error; its message
 * must never contain a token. */
static gboolean set_aside(const char *path, const GError *problem, mode_t mode, GError **error)
{
    g_autofree char *corrupt_path = g_strconcat(path, ".corrupt", NULL);
    g_autofree char *printable = printable_reason(problem->message);
    gboolean unreadable = problem->domain == G_FILE_ERROR;

    if (g_rename(path, corrupt_path) != 0) {
        int saved_errno = errno;
        if (unreadable)
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved_errno),
                        _("file %s could not be read (%s) nor set aside: %s"), path, printable,
                        g_strerror(saved_errno));
        else
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved_errno),
                        _("file %s was corrupt (%s) and could not be set aside: %s"), path,
                        printable, g_strerror(saved_errno));
        return FALSE;
    }
    /* A hand-copied credentials file may have been readable by others; the copy must not be.
     * Through a descriptor: a symlink set aside is not followed to the file it names. */
    g_autoptr(GError) mode_error = NULL;
    if (mode == CREDENTIALS_MODE &&
        !spn_file_set_mode(corrupt_path, CREDENTIALS_MODE, NULL, &mode_error))
        g_debug("%s left as it is: %s", corrupt_path, mode_error->message);
    if (unreadable)
        g_warning(_("file %s could not be read (%s); set aside as %s"), path, printable,
                  corrupt_path);
    else
        g_warning(_("file %s was corrupt (%s); set aside as %s"), path, printable, corrupt_path);
    return TRUE;
}

/* Atomic replace (temp file, fsync, rename). @mode applies to the temp file from its creation,
 * so credentials are never briefly readable by others. */
static gboolean write_file(const char *state_dir, const char *name, const char *data, gsize length,
                           mode_t mode, GError **error)
{
    g_autofree char *path = g_build_filename(state_dir, name, NULL);

    if (g_mkdir_with_parents(state_dir, 0700) != 0) {
        int saved_errno = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved_errno),
                    _("could not create state directory %s: %s"), state_dir,
                    g_strerror(saved_errno));
        return FALSE;
    }
    /* Credentials get exactly 0600 on the temp file's descriptor, before a byte is written: the
     * umask may strip bits (0400 could not be rewritten next time), and a chmod by path after
     * the rename would follow a symlink put there meanwhile. The state honours the umask. */
    if (mode == CREDENTIALS_MODE)
        return spn_file_write_atomic(path, data, length, mode, TRUE, error);
    return g_file_set_contents_full(path, data, length,
                                    G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                    mode, error);
}

/* g_file_set_contents() writes "<name>.XXXXXX" (g_mkstemp's six letters and digits) and renames
 * it over <name>. */
static gboolean is_temp_file_of(const char *entry, const char *name)
{
    gsize length = strlen(name);
    if (strncmp(entry, name, length) != 0 || entry[length] != '.' || strlen(entry) != length + 7)
        return FALSE;
    for (const char *p = entry + length + 1; *p != '\0'; p++) {
        if (!g_ascii_isalnum(*p))
            return FALSE;
    }
    return TRUE;
}

guint spn_store_remove_stale_temp_files(const char *state_dir, double min_age_s)
{
    g_autoptr(GDir) dir = g_dir_open(state_dir, 0, NULL);
    const char *entry;
    guint removed = 0;
    gint64 now_s = g_get_real_time() / G_USEC_PER_SEC;

    g_return_val_if_fail(state_dir != NULL, 0);

    while (dir != NULL && (entry = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = NULL;
        GStatBuf st;

        if (!is_temp_file_of(entry, STATE_FILE) && !is_temp_file_of(entry, CREDENTIALS_FILE))
            continue;
        path = g_build_filename(state_dir, entry, NULL);
        if (g_lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
            (double)(now_s - (gint64)st.st_mtime) < min_age_s)
            continue;
        if (g_unlink(path) == 0)
            removed++;
    }
    return removed;
}

/* ---- typed key access ---------------------------------------------------------------------- */

static void set_corrupt(GError **error, const char *group, const char *key, const char *expected)
{
    g_set_error(error, SPN_ERROR, SPN_ERROR_CORRUPT, _("[%s] %s: %s"), group, key, expected);
}

/* A present key's string, made valid UTF-8 rather than rejected: a mangled title is no reason to
 * throw the whole state away. */
static char *get_valid_string(GKeyFile *key_file, const char *group, const char *key)
{
    g_autoptr(GKeyFile) scratch = NULL;
    g_autofree char *raw = NULL;
    g_autofree char *valid = NULL;
    char *value = g_key_file_get_string(key_file, group, key, NULL);

    if (value != NULL)
        return value;
    /* Unescaping is private to GKeyFile, so re-parse the repaired raw value through a scratch
     * one. */
    raw = g_key_file_get_value(key_file, group, key, NULL);
    if (raw == NULL)
        return g_strdup("");
    valid = g_utf8_make_valid(raw, -1);
    scratch = g_key_file_new();
    g_key_file_set_value(scratch, group, key, valid);
    value = g_key_file_get_string(scratch, group, key, NULL);
    return value != NULL ? value : g_strdup("");
}

/* Replaces *@out only when @key is present. */
static void load_string(GKeyFile *key_file, const char *group, const char *key, char **out)
{
    if (!g_key_file_has_key(key_file, group, key, NULL))
        return;
    g_free(*out);
    *out = get_valid_string(key_file, group, key);
}

static gboolean load_int64(GKeyFile *key_file, const char *group, const char *key, gint64 *out,
                           GError **error)
{
    g_autoptr(GError) local_error = NULL;
    gint64 value;

    if (!g_key_file_has_key(key_file, group, key, NULL))
        return TRUE;
    value = g_key_file_get_int64(key_file, group, key, &local_error);
    if (local_error != NULL) {
        set_corrupt(error, group, key, _("expected an integer"));
        return FALSE;
    }
    *out = value;
    return TRUE;
}

static gboolean load_boolean(GKeyFile *key_file, const char *group, const char *key, gboolean *out,
                             GError **error)
{
    g_autoptr(GError) local_error = NULL;
    gboolean value;

    if (!g_key_file_has_key(key_file, group, key, NULL))
        return TRUE;
    value = g_key_file_get_boolean(key_file, group, key, &local_error);
    if (local_error != NULL) {
        set_corrupt(error, group, key, _("expected true or false"));
        return FALSE;
    }
    *out = value;
    return TRUE;
}

/* ---- state.ini ----------------------------------------------------------------------------- */

static void set_optional_string(GKeyFile *key_file, const char *key, const char *value)
{
    if (value != NULL)
        g_key_file_set_string(key_file, GROUP_NOW_PLAYING, key, value);
}

void spn_store_snapshot_to_key_file(const SpnSnapshot *snapshot, GKeyFile *key_file)
{
    const char *g = GROUP_NOW_PLAYING;

    g_return_if_fail(snapshot != NULL);
    g_return_if_fail(key_file != NULL);

    g_key_file_set_boolean(key_file, g, SPN_KEY_IS_PLAYING, snapshot->is_playing);
    g_key_file_set_string(key_file, g, SPN_KEY_TRACK_NAME, snapshot->track_name);
    g_key_file_set_string(key_file, g, SPN_KEY_ARTIST_NAME, snapshot->artist_name);
    g_key_file_set_string(key_file, g, SPN_KEY_ALBUM_NAME, snapshot->album_name);
    g_key_file_set_string(key_file, g, SPN_KEY_ALBUM_ART, snapshot->album_art);
    set_optional_string(key_file, SPN_KEY_ALBUM_ART_FILE, snapshot->album_art_file);
    set_optional_string(key_file, SPN_KEY_TRACK_URL, snapshot->track_url);
    set_optional_string(key_file, SPN_KEY_TRACK_ID, snapshot->track_id);
    g_key_file_set_string(key_file, g, SPN_KEY_ITEM_TYPE, snapshot->item_type);
    g_key_file_set_int64(key_file, g, SPN_KEY_PROGRESS_MS, snapshot->progress_ms);
    g_key_file_set_int64(key_file, g, SPN_KEY_DURATION_MS, snapshot->duration_ms);
    g_key_file_set_int64(key_file, g, SPN_KEY_FETCHED_AT, snapshot->fetched_at);
}

SpnSnapshot *spn_store_snapshot_from_key_file(GKeyFile *key_file, GError **error)
{
    g_autoptr(SpnSnapshot) snapshot = spn_snapshot_new();
    const char *g = GROUP_NOW_PLAYING;

    g_return_val_if_fail(key_file != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    if (!load_boolean(key_file, g, SPN_KEY_IS_PLAYING, &snapshot->is_playing, error) ||
        !load_int64(key_file, g, SPN_KEY_PROGRESS_MS, &snapshot->progress_ms, error) ||
        !load_int64(key_file, g, SPN_KEY_DURATION_MS, &snapshot->duration_ms, error) ||
        !load_int64(key_file, g, SPN_KEY_FETCHED_AT, &snapshot->fetched_at, error))
        return NULL;

    load_string(key_file, g, SPN_KEY_TRACK_NAME, &snapshot->track_name);
    load_string(key_file, g, SPN_KEY_ARTIST_NAME, &snapshot->artist_name);
    load_string(key_file, g, SPN_KEY_ALBUM_NAME, &snapshot->album_name);
    load_string(key_file, g, SPN_KEY_ALBUM_ART, &snapshot->album_art);
    load_string(key_file, g, SPN_KEY_ALBUM_ART_FILE, &snapshot->album_art_file);
    load_string(key_file, g, SPN_KEY_TRACK_URL, &snapshot->track_url);
    load_string(key_file, g, SPN_KEY_TRACK_ID, &snapshot->track_id);
    load_string(key_file, g, SPN_KEY_ITEM_TYPE, &snapshot->item_type);

    /* The file may come from an older or newer daemon, or a hand edit: held to the invariants
     * rather than trusted. */
    spn_snapshot_sanitise(snapshot);
    return g_steal_pointer(&snapshot);
}

static void poll_state_to_key_file(const SpnPollState *poll_state, GKeyFile *key_file)
{
    g_key_file_set_int64(key_file, GROUP_POLL, KEY_LAST_POLL_AT, poll_state->last_poll_at);
    g_key_file_set_int64(key_file, GROUP_POLL, KEY_BACKOFF_UNTIL, poll_state->backoff_until);
    g_key_file_set_uint64(key_file, GROUP_POLL, KEY_FAILURES, poll_state->failures);
    g_key_file_set_int64(key_file, GROUP_POLL, KEY_QUOTA_EXCEEDED_UNTIL,
                         poll_state->quota_exceeded_until);
    if (poll_state->budget != NULL)
        spn_budget_to_key_file(poll_state->budget, key_file);
}

static gboolean poll_state_from_key_file(GKeyFile *key_file, SpnPollState *poll_state,
                                         GError **error)
{
    /* Read as signed: g_key_file_get_uint64 would turn "-1" into 2^64-1. */
    gint64 failures = 0;

    SpnBudget *budget = poll_state->budget;
    memset(poll_state, 0, sizeof *poll_state);
    poll_state->budget = budget;
    if (!load_int64(key_file, GROUP_POLL, KEY_LAST_POLL_AT, &poll_state->last_poll_at, error) ||
        !load_int64(key_file, GROUP_POLL, KEY_BACKOFF_UNTIL, &poll_state->backoff_until, error) ||
        !load_int64(key_file, GROUP_POLL, KEY_FAILURES, &failures, error) ||
        !load_int64(key_file, GROUP_POLL, KEY_QUOTA_EXCEEDED_UNTIL,
                    &poll_state->quota_exceeded_until, error))
        return FALSE;
    /* The budget's buckets are advisory: a malformed one is ignored, not a corrupt file. */
    if (budget != NULL)
        spn_budget_from_key_file(budget, key_file, g_get_real_time() / 1000);
    poll_state->quota_exceeded_until = MAX(poll_state->quota_exceeded_until, 0);
    poll_state->last_poll_at = MAX(poll_state->last_poll_at, 0);
    poll_state->backoff_until = MAX(poll_state->backoff_until, 0);
    poll_state->failures = (guint)CLAMP(failures, 0, (gint64)G_MAXUINT);
    return TRUE;
}

gboolean spn_store_load_state(const char *state_dir, SpnSnapshot **snapshot,
                              SpnPollState *poll_state, GError **error)
{
    g_autofree char *path = NULL;
    g_autoptr(GKeyFile) key_file = NULL;
    g_autoptr(GError) corrupt = NULL;
    g_autoptr(SpnSnapshot) loaded = NULL;
    SpnPollState loaded_poll = {.budget = poll_state != NULL ? poll_state->budget : NULL};

    g_return_val_if_fail(state_dir != NULL, FALSE);
    g_return_val_if_fail(snapshot != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    *snapshot = NULL;
    path = g_build_filename(state_dir, STATE_FILE, NULL);
    read_key_file(path, FALSE, &key_file, &corrupt);
    if (key_file != NULL) {
        loaded = spn_store_snapshot_from_key_file(key_file, &corrupt);
        if (loaded != NULL && !poll_state_from_key_file(key_file, &loaded_poll, &corrupt))
            g_clear_pointer(&loaded, spn_snapshot_free);
    }
    if (corrupt != NULL && !set_aside(path, corrupt, STATE_MODE, error))
        return FALSE;

    *snapshot = loaded != NULL ? g_steal_pointer(&loaded) : spn_snapshot_new();
    if (poll_state != NULL)
        *poll_state = loaded_poll;
    return TRUE;
}

gboolean spn_store_save_state(const char *state_dir, const SpnSnapshot *snapshot,
                              const SpnPollState *poll_state, GError **error)
{
    g_autoptr(GKeyFile) key_file = g_key_file_new();
    SpnPollState zero_poll = {0};
    g_autofree char *data = NULL;
    gsize length = 0;

    g_return_val_if_fail(state_dir != NULL, FALSE);
    g_return_val_if_fail(snapshot != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    spn_store_snapshot_to_key_file(snapshot, key_file);
    poll_state_to_key_file(poll_state != NULL ? poll_state : &zero_poll, key_file);
    data = g_key_file_to_data(key_file, &length, NULL);
    return write_file(state_dir, STATE_FILE, data, length, STATE_MODE, error);
}

/* ---- credentials.ini ----------------------------------------------------------------------- */

/* Corrupt reasons name only the key and what is wrong with it: never a value, which could be a
 * token. */
static char *load_token(GKeyFile *key_file, const char *key, GError **error)
{
    const char *g = GROUP_CREDENTIALS;
    char *value;

    if (!g_key_file_has_key(key_file, g, key, NULL))
        return NULL;
    value = g_key_file_get_string(key_file, g, key, NULL);
    if (value == NULL) {
        set_corrupt(error, g, key, _("not valid UTF-8"));
        return NULL;
    }
    if (*value == '\0')
        g_clear_pointer(&value, g_free);
    return value;
}

static SpnCredentials *credentials_from_key_file(GKeyFile *key_file, GError **error)
{
    g_autoptr(SpnCredentials) credentials = spn_credentials_new();
    const char *g = GROUP_CREDENTIALS;
    g_autoptr(GError) local_error = NULL;

    credentials->refresh_token = load_token(key_file, KEY_REFRESH_TOKEN, &local_error);
    if (local_error == NULL && credentials->refresh_token == NULL)
        set_corrupt(&local_error, g, KEY_REFRESH_TOKEN, _("missing"));
    if (local_error == NULL)
        credentials->access_token = load_token(key_file, KEY_ACCESS_TOKEN, &local_error);
    if (local_error == NULL)
        credentials->scope = load_token(key_file, KEY_SCOPE, &local_error);
    if (local_error == NULL)
        load_int64(key_file, g, KEY_EXPIRES_AT, &credentials->expires_at, &local_error);
    if (local_error == NULL)
        load_boolean(key_file, g, KEY_REVOKED, &credentials->revoked, &local_error);
    if (local_error != NULL) {
        g_propagate_error(error, g_steal_pointer(&local_error));
        return NULL;
    }
    credentials->expires_at = MAX(credentials->expires_at, 0);
    return g_steal_pointer(&credentials);
}

gboolean spn_store_load_credentials(const char *state_dir, SpnCredentials **credentials,
                                    GError **error)
{
    g_autofree char *path = NULL;
    g_autoptr(GKeyFile) key_file = NULL;
    g_autoptr(GError) parse_error = NULL;
    g_autoptr(GError) corrupt = NULL;
    g_autoptr(SpnCredentials) loaded = NULL;

    g_return_val_if_fail(state_dir != NULL, FALSE);
    g_return_val_if_fail(credentials != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    *credentials = NULL;
    path = g_build_filename(state_dir, CREDENTIALS_FILE, NULL);
    read_key_file(path, TRUE, &key_file, &parse_error);
    if (parse_error != NULL && parse_error->domain == G_FILE_ERROR) {
        corrupt = g_steal_pointer(&parse_error); /* names the file and errno, never its bytes */
    } else if (parse_error != NULL) {
        /* GKeyFile quotes the offending line, which may hold a token: keep only the gist. */
        g_set_error_literal(&corrupt, SPN_ERROR, SPN_ERROR_CORRUPT, _("not a valid key file"));
    } else if (key_file != NULL) {
        loaded = credentials_from_key_file(key_file, &corrupt);
    }
    if (corrupt != NULL && !set_aside(path, corrupt, CREDENTIALS_MODE, error))
        return FALSE;
    /* A file placed by hand may be readable by others: tighten it now, not at the next refresh,
     * through a descriptor opened without following a symlink (whose target is not ours). */
    gboolean tightened = FALSE;
    g_autoptr(GError) mode_error = NULL;
    if (loaded != NULL && !spn_file_set_mode(path, CREDENTIALS_MODE, &tightened, &mode_error))
        g_debug("%s left as it is: %s", path, mode_error->message);
    else if (tightened)
        g_debug("%s had another mode; made it 0600", path);

    *credentials = g_steal_pointer(&loaded);
    return TRUE;
}

gboolean spn_store_save_credentials(const char *state_dir, const SpnCredentials *credentials,
                                    GError **error)
{
    g_autoptr(GKeyFile) key_file = NULL;
    const char *g = GROUP_CREDENTIALS;
    char *data;
    gsize length = 0;
    gboolean ok;

    g_return_val_if_fail(state_dir != NULL, FALSE);
    g_return_val_if_fail(credentials != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    /* Such a file would read back as corrupt; signing out is spn_store_delete_credentials(). */
    if (credentials->refresh_token == NULL || *credentials->refresh_token == '\0') {
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_INVALID_ARGS,
                            _("credentials without a refresh token cannot be saved"));
        return FALSE;
    }

    key_file = g_key_file_new();
    if (credentials->access_token != NULL)
        g_key_file_set_string(key_file, g, KEY_ACCESS_TOKEN, credentials->access_token);
    g_key_file_set_string(key_file, g, KEY_REFRESH_TOKEN, credentials->refresh_token);
    g_key_file_set_int64(key_file, g, KEY_EXPIRES_AT, credentials->expires_at);
    if (credentials->scope != NULL)
        g_key_file_set_string(key_file, g, KEY_SCOPE, credentials->scope);
    if (credentials->revoked)
        g_key_file_set_boolean(key_file, g, KEY_REVOKED, TRUE);

    data = g_key_file_to_data(key_file, &length, NULL);
    ok = write_file(state_dir, CREDENTIALS_FILE, data, length, CREDENTIALS_MODE, error);
    wipe_and_free(data, length);
    return ok;
}

gboolean spn_store_delete_credentials(const char *state_dir, GError **error)
{
    g_autofree char *path = NULL;

    g_return_val_if_fail(state_dir != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    path = g_build_filename(state_dir, CREDENTIALS_FILE, NULL);
    if (g_unlink(path) != 0 && errno != ENOENT) {
        int saved_errno = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved_errno),
                    _("could not remove %s: %s"), path, g_strerror(saved_errno));
        return FALSE;
    }
    return TRUE;
}
