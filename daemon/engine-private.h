/* engine-private.h — what engine.c and engine-actions.c share: the instance struct and the
 * steps every request chain goes through. Not for other modules: they use engine.h. */
#pragma once

#include "art-resolver.h"
#include "budget.h"
#include "engine.h"
#include "poll.h"
#include "presence.h"
#include "requests.h"
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
    GVariant *published;        /* what the last Changed announced (the Snapshot property) */
    SpnPollState poll_state;
    SpnCredentials *credentials; /* NULL = signed out */
    char *last_error;
    char *status_signature; /* what StatusChanged last announced */

    SpnSpotifyApi *api;           /* one transport: its request count is upstreamRequests */
    SpnPoll *poll;                /* the one request chain; in flight or idle */
    SpnRequests *requests;        /* owns the chain's callers: waiters, commands, settling */
    SpnBudget *budget;            /* rule 11: Web API requests in the rolling window */
    guint64 api_requests_seen;    /* the transport's API count already in the budget */
    SpnSpend next_spend;          /* what the armed timer's poll is for */
    guint unchanged_paused_polls; /* rule 14 */
    gboolean local_source;        /* rule 13: the Spotify client here plays; nothing is sent */
    SpnSignIn *sign_in;
    guint64 poll_count;

    gboolean control_forbidden; /* Spotify answered 403 to a command: no Premium */
    gboolean last_can_control;

    SpnPresence *presence;
    gboolean desktop_viewer; /* an active, unlocked desktop session counts as a viewer */
    guint presence_source;
    guint poll_source;
    gint64 next_poll_at;

    gboolean disk_trouble_reported;
    gint64 state_saved_at; /* Unix ms of the last state.ini write */

    SpnArtResolver *art;  /* albumArtFile: the cache, one download at a time */
    gboolean change_held; /* a Changed waits for its track's art */
    guint change_hold_source;
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
void engine_start_poll(SpnEngine *self, SpnSpend spend);
void engine_reschedule(SpnEngine *self);
void engine_next(SpnEngine *self, gboolean poll_now, SpnSpend spend);
/* Cancels the chain and answers every pending caller (sign-in, sign-out, shutdown). */
void engine_abort_requests(SpnEngine *self, const char *why);
void engine_on_chain_done(const SpnPollOutcome *outcome, gboolean command, gpointer user_data);
/* Why a request for @spend may not go out now (signed out, the quota, a back-off, the budget),
 * or NULL. */
GError *engine_held_back(SpnEngine *self, SpnSpend spend);

SpnChange engine_apply_snapshot(SpnEngine *self, SpnSnapshot *fresh);

/* How long a track change's Changed may wait for its album art. */
#define SPN_ART_HOLD_MS 1500

/* Person-initiated actions (engine-actions.c). */
void engine_on_signed_in(SpnSignIn *sign_in, SpnCredentials *credentials, gpointer user_data);
void engine_on_sign_in_failed(SpnSignIn *sign_in, const char *message, gpointer user_data);

G_END_DECLS
