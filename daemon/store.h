/* store.h — state.ini and credentials.ini (doc/design.md section 5) on disk.
 *
 * Every write is atomic (write, fsync, rename). A file that cannot be parsed is renamed to
 * "<name>.corrupt" (replacing an older .corrupt), reported once with g_warning, and treated as
 * absent, so it is never silently overwritten. Tokens never appear in any message.
 */
#pragma once

#include <glib.h>

#include "budget.h"
#include "credentials.h"
#include "snapshot.h"

G_BEGIN_DECLS

/* The [poll] group of state.ini, and the [budget] group when @budget is set. */
typedef struct {
    gint64 last_poll_at;         /* Unix ms */
    gint64 backoff_until;        /* Unix ms, 0 = none */
    guint failures;              /* consecutive 5xx/network failures */
    gint64 quota_exceeded_until; /* Unix ms, 0 = none: Spotify said QUOTA_EXCEEDED (rule 12) */
    SpnBudget *budget;           /* borrowed; saved as [budget] and filled on load; may be NULL */
} SpnPollState;

/* Default state dir: --state-dir, else $XDG_STATE_HOME/spotnow, else for the system bus
 * $STATE_DIRECTORY or /var/lib/spotnow. */
char *spn_store_default_state_dir(gboolean system_bus);

/* state.ini = [now-playing] (snapshot keys as in doc/design.md section 2, absent keys absent) +
 * [poll] (last-poll-at, backoff-until, failures, quota-exceeded-until) + [budget].
 * Load: a missing file gives a new snapshot and zeroed poll state and returns TRUE. A corrupt one
 * (unparseable, or a value of the wrong type) or an unreadable one (a directory, no permission) is
 * set aside as state.ini.corrupt, warned about, and likewise gives the empty state; @error is only
 * set when it cannot be set aside.
 * Values are sanitised on load (progress clamped, itemType from the known set). */
gboolean spn_store_load_state(const char *state_dir, SpnSnapshot **snapshot,
                              SpnPollState *poll_state, GError **error);
/* Creates @state_dir (0700) if needed. File mode 0644 is fine: no secrets here. */
gboolean spn_store_save_state(const char *state_dir, const SpnSnapshot *snapshot,
                              const SpnPollState *poll_state, GError **error);

/* credentials.ini = [credentials] access-token, refresh-token, expires-at (Unix ms), scope,
 * and revoked=true once Spotify said invalid_grant.
 * Load: a missing file sets *credentials = NULL and returns TRUE (signed out). A corrupt or
 * unreadable one is set aside as credentials.ini.corrupt (mode kept 0600) and gives NULL; @error
 * is only set when it cannot be set aside. */
gboolean spn_store_load_credentials(const char *state_dir, SpnCredentials **credentials,
                                    GError **error);
/* Written with mode 0600 from the start (never briefly world-readable). */
gboolean spn_store_save_credentials(const char *state_dir, const SpnCredentials *credentials,
                                    GError **error);
/* Removes credentials.ini; a missing file is success. */
gboolean spn_store_delete_credentials(const char *state_dir, GError **error);

/* Removes what a crash in the middle of an atomic write leaves in @state_dir: the temporary
 * state.ini.XXXXXX and credentials.ini.XXXXXX (the latter holds tokens). Only files older than
 * @min_age_s go, so a write still in progress (an instance shutting down as another takes its
 * place) is left alone. Best effort; returns how many were removed. */
guint spn_store_remove_stale_temp_files(const char *state_dir, double min_age_s);

/* Pure halves, for unit tests and reuse: keyfile <-> structs. */
void spn_store_snapshot_to_key_file(const SpnSnapshot *snapshot, GKeyFile *key_file);
SpnSnapshot *spn_store_snapshot_from_key_file(GKeyFile *key_file, GError **error);

G_END_DECLS
