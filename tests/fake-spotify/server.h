/* server.h — fake-spotify's shared state (tokens, faults, stats, timeline clock) and the plumbing
 * its handlers share. One FsServer per process; everything runs on the main context. */
#pragma once

#include <libsoup/soup.h>

#include "player.h"
#include "quota.h"
#include "reply.h"
#include "timeline.h"

G_BEGIN_DECLS

typedef enum {
    FS_TARGET_API,     /* GET /v1/me/player and /v1/me/player/currently-playing */
    FS_TARGET_TOKEN,   /* /api/token */
    FS_TARGET_CONTROL, /* the player commands: /v1/me/player/play, pause, next, previous, seek */
    FS_N_TARGETS,
} FsTarget;

typedef enum {
    FS_FAULT_STATUS,
    FS_FAULT_EMPTY,
    FS_FAULT_GARBAGE,
    FS_FAULT_TRUNCATED,
    FS_FAULT_RESET,
    FS_FAULT_SLOW,
    FS_FAULT_HUGE,
    FS_FAULT_JSON,
    FS_FAULT_QUOTA, /* 429 QUOTA_EXCEEDED, as the quota's own refusals */
} FsFaultKind;

typedef struct {
    FsFaultKind kind;
    guint count; /* requests it still answers */
    guint status;
    char *retry_after; /* sent verbatim as Retry-After */
    char *error;       /* token 400/401: the "error" code */
    char *description; /* token 400/401: "error_description" */
    gint64 delay_ms;   /* slow */
    GBytes *body;      /* json */
} FsFault;

/* An authorization code handed out by /authorize, waiting for its exchange. */
typedef struct {
    char *client_id;
    char *redirect_uri;
    char *challenge;   /* S256; NULL when the client did not use PKCE */
    char *scope;       /* as asked for; "" when none was */
    gint64 expires_us; /* monotonic */
} FsAuthCode;

void fs_auth_code_free(FsAuthCode *code);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsAuthCode, fs_auth_code_free)

typedef struct {
    SoupServer *soup;
    guint port;
    char *base_url; /* http://127.0.0.1:<port> */
    gboolean verbose;
    FsTemplates *templates;

    FsTimeline *timeline;
    gint64 timeline_start_us; /* monotonic */

    /* accounts service */
    char *access_token;
    gint64 access_expires_us; /* monotonic */
    char *refresh_token;
    GHashTable *retired_refresh_tokens; /* rotated away: sending one again means revoked */
    guint token_serial;
    gboolean revoked;
    char *client_id;     /* NULL: any client id is accepted */
    char *client_secret; /* NULL: any secret is accepted with HTTP Basic */
    gint64 expires_in_s;
    gboolean rotate;
    char *scope;       /* what the current tokens were granted */
    char *grant_scope; /* NULL: sign-ins get the scope they ask for */
    GHashTable *codes; /* code -> FsAuthCode*, unused ones only */
    gint64 code_lifetime_s;
    gboolean deny_authorize; /* /authorize answers error=access_denied */

    /* player commands */
    gboolean premium; /* FALSE: commands get 403 PREMIUM_REQUIRED */
    FsPlayer player;  /* takes over from the timeline at the first command */

    GQueue faults[FS_N_TARGETS]; /* FsFault*, indexed by FsTarget */
    gint64 api_delay_ms;
    FsQuota quota;     /* counts player reads and commands; off until /control/quota */
    gboolean api_held; /* /control/hold: player-state replies wait for /control/release */

    /* stats */
    GHashTable *requests; /* path -> GUINT_TO_POINTER(count) */
    guint64 total;
    GQueue served;   /* FsServed*, oldest first, bounded */
    GQueue controls; /* char*: the player commands that took effect, oldest first, bounded */

    GList *deferred; /* replies waiting on a timer */
    GBytes *huge_body;
} FsServer;

/* One player-API reply, for /control/stats "served" and "servedAtMs". */
typedef struct {
    char *label;
    gint64 at_ms; /* fs_server_now_ms() when it was sent */
} FsServed;

void fs_served_free(gpointer data);

/* A server with the defaults of the command line: tokens "fake-access-0"/"fake-refresh-0",
 * expires-in 3600, the built-in timeline. Change the fields, then fs_server_start(). */
FsServer *fs_server_new(const char *fixtures_dir, GError **error);
void fs_server_free(FsServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsServer, fs_server_free)

/* Listens on 127.0.0.1:@port only (0 = pick one) and starts serving on the main context.
 * Sets server->port and server->base_url. */
gboolean fs_server_start(FsServer *server, guint port, GError **error);

/* Replaces the timeline and restarts its clock at step 0. */
void fs_server_set_timeline(FsServer *server, FsTimeline *timeline);
/* The step on now, and how long it has been on. */
guint fs_server_locate(FsServer *server, gint64 *elapsed_ms);

/* Whether an "Authorization: Bearer …" header carries the current, unexpired access token. */
gboolean fs_server_access_ok(FsServer *server, const char *authorization);
/* Issues the next access token (and refresh token when rotating); see README.md. */
void fs_server_issue_tokens(FsServer *server);
/* A completed sign-in: a new access and refresh token, both current, with @scope; un-revokes. */
void fs_server_sign_in(FsServer *server, const char *scope);

/* Takes one use of the oldest queued fault for @target: a copy the caller owns, or NULL. */
FsFault *fs_server_take_fault(FsServer *server, FsTarget target);
FsFault *fs_fault_copy(const FsFault *fault);
void fs_fault_free(FsFault *fault);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsFault, fs_fault_free)

/* Records what a currently-playing reply carried, for /control/stats "served". */
void fs_server_note_served(FsServer *server, const char *label);
/* Counts a Web API request against the quota. FALSE: refused, *@retry_after_s as Retry-After. */
gboolean fs_server_charge_quota(FsServer *server, gint64 *retry_after_s);
/* Answers with Spotify's QUOTA_EXCEEDED 429; @retry_after NULL sends no Retry-After. */
void fs_send_quota_exceeded(SoupServerMessage *msg, const char *retry_after);
/* Records a player command that took effect, for /control/stats "controls". */
void fs_server_note_control(FsServer *server, const char *label);

/* A monotonic clock in ms, the one the manual player runs on. */
gint64 fs_server_now_ms(void);

/* Runs @func after @delay_ms (0 = on the next main-loop turn; negative = when
 * fs_server_release_held() is called) with @msg paused meanwhile. @func returns FALSE when it
 * stole the connection, so the message must not be unpaused. If the client goes away first,
 * @func is not called; @destroy runs either way. */
typedef gboolean (*FsDeferredFunc)(FsServer *server, SoupServerMessage *msg, gpointer data);
void fs_server_defer(FsServer *server, SoupServerMessage *msg, gint64 delay_ms, FsDeferredFunc func,
                     gpointer data, GDestroyNotify destroy);
/* Every held reply goes out on the next main-loop turns, in the order they came. */
void fs_server_release_held(FsServer *server);

/* Replies with @status and @body (NULL = empty). */
void fs_send_bytes(SoupServerMessage *msg, guint status, const char *content_type, GBytes *body);
void fs_send_json(SoupServerMessage *msg, guint status, const char *json);
/* The fake's own control answers: {"ok":true} or {"ok":false,"error":"…"}. */
void fs_send_ok(SoupServerMessage *msg);
void fs_send_control_error(SoupServerMessage *msg, guint status, const char *message);
/* The request body as bytes (empty when there is none). */
GBytes *fs_request_body(SoupServerMessage *msg);
/* The same as a string ("" when there is none); it stops at the first NUL byte. */
char *fs_request_text(SoupServerMessage *msg);

/* faults.c */
FsFault *fs_fault_new_from_query(GHashTable *query, GBytes *body, FsTarget *target, GError **error);
/* NULL when @step is not one of the fault kinds. */
FsFault *fs_fault_new_from_step(const FsStep *step);
/* What /control/stats "served" lists for this fault's reply. */
char *fs_fault_label(const FsFault *fault);
/* Answers @msg (which must be paused) with @fault. Returns FALSE when it stole the connection. */
gboolean fs_fault_answer(FsServer *server, SoupServerMessage *msg, const FsFault *fault,
                         FsTarget target);

/* Handler registration: api.c, accounts.c and control.c. */
void fs_api_register(FsServer *server);
void fs_accounts_register(FsServer *server);
void fs_control_register(FsServer *server);

/* commands.c: answers @msg if @path is a player command (play, pause, next, previous, seek). */
gboolean fs_commands_handle(FsServer *server, SoupServerMessage *msg, const char *path,
                            GHashTable *query);
/* api.c: the Web API's JSON error envelope for @status (fixture bodies where there are some). */
void fs_send_api_error(FsServer *server, SoupServerMessage *msg, guint status);

G_END_DECLS
