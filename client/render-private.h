/* render-private.h — what render.c, render-panels.c and render-notice.c share; not for callers of
 * render.h. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define GLYPH_PLAYING "▶"
#define GLYPH_PAUSED "⏸"

/* Borrowed from @dict; "" when absent or of another type. */
const char *spn_render_get_str(GVariant *dict, const char *key);

/* 0 when absent or not an integer (any integer type, as spn_render_lookup_integer). */
gint64 spn_render_get_int(GVariant *dict, const char *key);

/* itemType "ad". */
gboolean spn_render_is_ad(GVariant *snapshot);

/* "Artist — Title", or "Title" alone when the artist is unknown; the title bold in colour. */
void spn_render_append_artist_title(GString *out, GVariant *snapshot, gboolean colour);

/* @root as compact JSON text. */
char *spn_render_node_to_json(JsonNode *root);

/* i3blocks' persist line: glyph, the shortened "Artist — Title", "(signed out)" or "(not
 * updated)" (i3blocks 1.4 shows no colour there), markup-escaped. */
char *spn_render_i3blocks_persist(GVariant *snapshot, GVariant *status, gint64 now_ms);

G_END_DECLS
