/* poll.h — one request chain (a poll, or a player command): refresh the access token if it is about
 * to expire, GET currently-playing, and on a 401 refresh once and retry once (doc/design.md section
 * 4, rule 5). It classifies what happened; what to do about it (back-off, revocation, persistence)
 * is the engine's call. */
#pragma once

#include <gio/gio.h>

#include "config.h"
#include "credentials.h"
#include "snapshot.h"
#include "spotify-api.h"

G_BEGIN_DECLS

typedef enum {
    SPN_POLL_OK,           /* @snapshot is the new snapshot */
    SPN_POLL_RATE_LIMITED, /* HTTP 429: @retry_until from Retry-After (0 = absent) */
    SPN_POLL_QUOTA,        /* HTTP 429 QUOTA_EXCEEDED: the app's daily quota is spent */
    SPN_POLL_FAILED,       /* 5xx, other 4xx, network, bad body: back off */
    SPN_POLL_REVOKED,      /* invalid_grant: never retry */
    SPN_POLL_FORBIDDEN,    /* a command answered 403 for good: no Premium, or no scope */
    SPN_POLL_REFUSED,      /* a command answered 403 this once ("Restriction violated") */
} SpnPollKind;

typedef struct {
    SpnPollKind kind;
    const SpnSnapshot *snapshot; /* OK of a poll only (NULL for a command) */
    gint64 retry_until;
    const char *message; /* for lastError; never contains a token */
} SpnPollOutcome;

#define SPN_TYPE_POLL (spn_poll_get_type())
G_DECLARE_FINAL_TYPE(SpnPoll, spn_poll, SPN, POLL, GObject)

typedef void (*SpnPollDoneFunc)(SpnPoll *poll, const SpnPollOutcome *outcome, gpointer user_data);

/* Signal "refreshed" (gpointer credentials, a const SpnCredentials *): a token refresh
 * succeeded, in the middle of a chain. Spotify may have rotated the refresh token, and then the
 * old one is dead already: the handler must persist the new credentials before it returns, or a
 * crash before the chain ends signs the person out for good. */

/* @config is borrowed and must outlive the poll; @api is shared with sign-in. */
SpnPoll *spn_poll_new(const SpnConfig *config, SpnSpotifyApi *api);

/* Start the chain; @done is called once, from the main loop, unless spn_poll_cancel() runs
 * first. Must not be called while running: one chain at a time is what keeps two token
 * refreshes from racing (a rotated refresh token is single-use).
 * @command_method/@command_path: NULL for a poll (GET currently-playing), else a player
 * command such as ("PUT", "/v1/me/player/pause"). */
void spn_poll_run(SpnPoll *self, const SpnCredentials *credentials, const SpnSnapshot *previous,
                  const char *command_method, const char *command_path, SpnPollDoneFunc done,
                  gpointer user_data);
gboolean spn_poll_is_running(SpnPoll *self);
void spn_poll_cancel(SpnPoll *self);

G_END_DECLS
