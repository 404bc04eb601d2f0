/* reply.h — the bodies fake-spotify sends, built from the real Spotify replies in
 * tests/fixtures so every shape is one Spotify has actually sent. Pure apart from
 * fs_templates_load(), which reads the fixture files once at start-up. */
#pragma once

#include <glib.h>

#include "timeline.h"

G_BEGIN_DECLS

typedef struct _FsTemplates FsTemplates;

/* Reads and parses the fixture files this module needs from @fixtures_dir. */
FsTemplates *fs_templates_load(const char *fixtures_dir, GError **error);
void fs_templates_free(FsTemplates *templates);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsTemplates, fs_templates_free)

/* A fixture file exactly as read, e.g. "token-invalid-grant-revoked.json". Only files loaded by
 * fs_templates_load() are available; asking for another is a programming error. */
GBytes *fs_templates_raw(const FsTemplates *templates, const char *name);

typedef enum {
    FS_ENDPOINT_CURRENTLY_PLAYING, /* GET /v1/me/player/currently-playing */
    FS_ENDPOINT_PLAYER,            /* GET /v1/me/player: also device, shuffle and repeat */
} FsEndpoint;

typedef struct {
    FsEndpoint endpoint;
    const char *base_url; /* "http://127.0.0.1:<port>", for default artwork URLs */
    gint64 now_ms;        /* Unix ms, for "timestamp" */
} FsReplyContext;

/* The JSON body for content step @index (track, episode, paused, ad, unknown), @elapsed_ms into
 * it. Returns NULL for steps that have no JSON body (nothing, and the fault kinds). */
char *fs_reply_build(const FsTemplates *templates, const FsTimeline *timeline, guint index,
                     gint64 elapsed_ms, const FsReplyContext *context);

/* The same for manual play (see player.h): track or episode step @item at @progress_ms. */
char *fs_reply_build_item(const FsTemplates *templates, const FsTimeline *timeline, guint item,
                          gint64 progress_ms, gboolean playing, const FsReplyContext *context);

/* The body Spotify's Web API sends with an error @status, and its content type: the fixture
 * when there is one (401, 403 as plain text, 429, 502), else the same JSON envelope. */
GBytes *fs_reply_error_body(const FsTemplates *templates, guint status, const char **content_type);

/* A Web API error envelope {"error":{"status","message"[,"reason"]}}, as player commands get
 * them: e.g. 403 "Player command failed: Premium required" with reason "PREMIUM_REQUIRED". */
GBytes *fs_reply_player_error_body(guint status, const char *message, const char *reason);

/* The body the accounts service sends for a failed token request, in its
 * {"error","error_description"} envelope. @description NULL picks the fixture's wording. */
GBytes *fs_reply_token_error_body(const FsTemplates *templates, const char *error,
                                  const char *description);

G_END_DECLS
