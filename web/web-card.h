/* web-card.h — GET /card.svg: the snapshot as an embeddable SVG card.
 *
 * Pure: the caller passes the view, the cover's bytes and the clock. An SVG used as an image
 * (<img>, GitHub's camo) loads nothing external, so the cover is inlined as a data: URI; every
 * text is XML-escaped, so a hostile title stays text. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    SPN_WEB_THEME_LIGHT,
    SPN_WEB_THEME_DARK,
} SpnWebTheme;

/* Largest cover inlined; a bigger file is left out (the card stays small for image proxies). */
#define SPN_WEB_CARD_MAX_ART_BYTES (512 * 1024)

/* "image/png", "image/jpeg", "image/webp" or "image/gif" by the bytes' signature, else NULL:
 * only an image goes into the data: URI. */
const char *spn_web_card_sniff_image(GBytes *bytes);

/* The card for @view (from spn_web_view_new) as of @now_ms. @art: the cover, or NULL. */
char *spn_web_card_svg(GVariant *view, GBytes *art, SpnWebTheme theme, gint64 now_ms);

G_END_DECLS
