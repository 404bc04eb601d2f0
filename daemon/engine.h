/* engine.h — the now-playing engine: one canonical snapshot, the credentials, and the single
 * scheduler through which every poll goes (doc/design.md section 4). No D-Bus here: service.c maps
 * the bus onto these calls and signals, so the engine is reusable behind MPRIS too. */
#pragma once

#include <gio/gio.h>

#include "config.h"
#include "snapshot.h"

G_BEGIN_DECLS

#define SPN_TYPE_ENGINE (spn_engine_get_type())
G_DECLARE_FINAL_TYPE(SpnEngine, spn_engine, SPN, ENGINE, GObject)

/* @config is borrowed and must outlive the engine. @art_dir holds the album art cache
 * (spn_art_cache_default_dir()).
 * Loads state.ini and credentials.ini from @state_dir synchronously, so the last snapshot is
 * served before any network traffic. Corrupt files are set aside (see store.h); unreadable
 * ones are warned about and the engine runs from memory. Never fails. */
SpnEngine *spn_engine_new(const SpnConfig *config, const char *state_dir, const char *art_dir);

/* Arms the timers (call once the bus name is owned). */
void spn_engine_start(SpnEngine *self);

/* Cancels any request in flight and, with @save_state (this instance owns the bus name),
 * persists the poll bookkeeping. */
void spn_engine_shutdown(SpnEngine *self, gboolean save_state);

/* Signals: "changed" (GVariant *snapshot) on a meaningful change, the one place a snapshot is
 * published; "seeked" (gint64 progress_ms)
 * when that change was a jump of progress; "status-changed" (GVariant *status);
 * "sender-expired" (char *unique_name); "control-changed" (). */

/* a{sv} snapshot (doc/design.md section 2; a new reference: while a change waits for its album
 * art, the snapshot the last "changed" announced) and a{sv} status (GetStatus, floating). */
GVariant *spn_engine_dup_snapshot(SpnEngine *self);
GVariant *spn_engine_dup_status(SpnEngine *self);

/* EnsureFresh: polls (or joins the poll in flight) when the cache is stale and no back-off is in
 * force, else answers at once. The result is the snapshot a{sv}; the only error is
 * SPN_ERROR_SIGNED_OUT. */
void spn_engine_ensure_fresh(SpnEngine *self, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
GVariant *spn_engine_ensure_fresh_finish(SpnEngine *self, GAsyncResult *result, GError **error);

/* ReportViewerPresence from @sender. *@new_sender tells the caller to watch @sender's name and
 * call spn_engine_forget_sender() when it leaves the bus. Errors: INVALID_ARGS, BUSY. */
gboolean spn_engine_report_viewer(SpnEngine *self, const char *sender, const char *viewer_id,
                                  gboolean *new_sender, GError **error);
void spn_engine_forget_sender(SpnEngine *self, const char *sender);

/* Sign-in (doc/design.md section 6); see signin.h for the errors. A completed sign-in stores the
 * credentials (0600, atomic), emits status-changed and polls at once. @sender (a unique bus
 * name, or NULL) began the flow; spn_engine_cancel_sign_in(self, sender) ends only a flow that
 * @sender began. */
char *spn_engine_begin_sign_in(SpnEngine *self, const char *sender, GError **error);
/* CancelSignIn (@sender NULL: whoever began it; else only a flow @sender began). Emits
 * status-changed when a flow ended. */
void spn_engine_cancel_sign_in(SpnEngine *self, const char *sender);
void spn_engine_complete_sign_in(SpnEngine *self, const char *redirected_url,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data);
gboolean spn_engine_complete_sign_in_finish(SpnEngine *self, GAsyncResult *result, GError **error);

/* Forgets the credentials (deletes credentials.ini), ends a sign-in in progress and stops
 * polling; the snapshot stays.
 * Fails only when the file cannot be deleted; the daemon is signed out in memory anyway. */
gboolean spn_engine_sign_out(SpnEngine *self, GError **error);

/* authState is "signed-in": the snapshot is being kept up to date. Otherwise it stays as last
 * known, and clients present it as "last played". */
gboolean spn_engine_is_signed_in(SpnEngine *self);

/* The scope granted at sign-in includes @scope (e.g. user-modify-playback-state). */
gboolean spn_engine_has_scope(SpnEngine *self, const char *scope);

/* Player control through the Web API (MPRIS and our own Play/Pause/...): signed in, the
 * user-modify-playback-state scope granted, and no 403 from Spotify since (no Premium).
 * "control-changed" is emitted when this changes. */
gboolean spn_engine_can_control(SpnEngine *self);

typedef enum {
    SPN_CONTROL_PLAY,
    SPN_CONTROL_PAUSE,
    SPN_CONTROL_NEXT,
    SPN_CONTROL_PREVIOUS,
    SPN_CONTROL_SEEK, /* to @position_ms, absolute */
} SpnControl;

/* Sends the command through the same single chain as polls (so token refreshes never race),
 * then polls once so the new state shows. Errors: SIGNED_OUT, NOT_SUPPORTED (no scope, or
 * Spotify's 403 — the message says why), RATE_LIMITED, UPSTREAM. */
void spn_engine_control(SpnEngine *self, SpnControl control, gint64 position_ms,
                        GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data);
gboolean spn_engine_control_finish(SpnEngine *self, GAsyncResult *result, GError **error);

/* The current snapshot, for exporters that build their own view of it (MPRIS). */
const SpnSnapshot *spn_engine_get_snapshot(SpnEngine *self);

/* Rule 13: the Spotify client on this machine plays (@active): no Web API request is made and
 * spn_engine_apply_local() feeds the snapshot; when it stops, one poll at once. */
void spn_engine_set_local_source(SpnEngine *self, gboolean active);
void spn_engine_apply_local(SpnEngine *self, const SpnSnapshot *snapshot);

/* The desktop session (logind: active, unlocked, not idle) counts as one viewer. */
void spn_engine_set_desktop_viewer(SpnEngine *self, gboolean present);

G_END_DECLS
