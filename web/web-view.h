/* web-view.h — the snapshot as spotnow-web serves it: the seed's JSON, and its ETag.
 *
 * Pure: no I/O, no clock. The JSON has exactly the keys of doc/design.md section 9 (trackUrl
 * null when absent, trackId absent when none, never albumArtFile: a local path is nobody's
 * business on the web). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    gboolean show_last_played; /* [web] show-last-played */
    gboolean signed_out;       /* the daemon's authState is signed-out or revoked */
} SpnWebViewOptions;

/* The a{sv} to serve from the daemon's @snapshot (an a{sv}, possibly lacking keys):
 * albumArtFile removed; signed out ⇒ isPlaying false (nobody learns any more whether it
 * plays); not playing and !show_last_played ⇒ itemType "none" with empty fields. Returns a new
 * floating-free reference. */
GVariant *spn_web_view_new(GVariant *snapshot, const SpnWebViewOptions *options);

/* The JSON body of /api/now-playing and of each event. */
char *spn_web_view_to_json(GVariant *view);

/* A strong ETag (quoted) for @len bytes of @data: changes exactly when the bytes do. */
char *spn_web_etag(const void *data, gsize len);

/* TRUE when an If-None-Match header value (a list of ETags, weak or strong, or "*") names
 * @etag: the client has these bytes. */
gboolean spn_web_etag_matches(const char *if_none_match, const char *etag);

G_END_DECLS
