/* engine-private.h — what engine.c and engine-actions.c share: the instance struct and the
 * steps every request chain goes through. Not for other modules: they use engine.h. */
#pragma once

#include "engine.h"
#include "poll.h"
#include "presence.h"
#include "scheduler.h"
#include "signin.h"
#include "spotify-api.h"
#include "store.h"

G_BEGIN_DECLS

struct _SpnEngine {
    GObject parent_instance;

    const SpnConfig *config; /* borrowed: main owns it and outlives the engine */
    char *state_dir;
    SpnSchedulerSettings settings;

    SpnSnapshot *snapshot;
    GVariant *snapshot_variant; /* built once per change: CurrentlyPlaying is a hot path */
    SpnPollState poll_state;
    SpnCredentials *credentials; /* NULL = signed out */
    char *last_error;
    char *status_signature; /* what StatusChanged last announced */

    SpnSpotifyApi *api; /* one transport: its request count is upstreamRequests */
    SpnPoll *poll;      /* the one request chain; in flight or idle */
    SpnSignIn *sign_in;
    GPtrArray *waiters; /* GTasks of EnsureFresh callers joined to the poll in flight */
    guint64 poll_count;

    GQueue commands;            /* GTasks of player commands waiting for the chain */
    gboolean control_forbidden; /* Spotify answered 403 to a command: no Premium */
    gboolean last_can_control;

    SpnPresence *presence;
    gboolean desktop_viewer; /* an active, unlocked desktop session counts as a viewer */
    guint presence_source;
    guint poll_source;
    gint64 next_poll_at;

    gboolean disk_trouble_reported;
    gboolean credentials_unsaved; /* the last credentials write failed: retried after each poll */
};

gint64 engine_now_ms(void);
const char *engine_auth_state(SpnEngine *self);
gboolean engine_can_poll(SpnEngine *self);
void engine_set_last_error(SpnEngine *self, const char *message);
void engine_save_state(SpnEngine *self);
void engine_save_credentials(SpnEngine *self);
void engine_maybe_emit_status_changed(SpnEngine *self);
void engine_maybe_emit_control_changed(SpnEngine *self);

/* The request chain (engine.c): a poll, or the next queued command, one at a time. */
void engine_start_poll(SpnEngine *self);
void engine_reschedule(SpnEngine *self);
void engine_answer_waiters(SpnEngine *self);
void engine_absorb_outcome(SpnEngine *self, const SpnPollOutcome *outcome, gint64 now);
void engine_chain_finished(SpnEngine *self, gboolean poll_now);

/* Person-initiated actions (engine-actions.c). */
void engine_run_next_command(SpnEngine *self);
void engine_on_signed_in(SpnSignIn *sign_in, SpnCredentials *credentials, gpointer user_data);

G_END_DECLS
