/* snapshot.h — Spotify's now-playing replies → the snapshot (lib/spn-snapshot.h).
 *
 * Pure: no I/O, no clock (callers pass "now"), so every rule is unit-tested over the real
 * fixtures. Key names and meaning are doc/design.md section 2.
 */
#pragma once

#include <glib.h>

#include "spn-snapshot.h"

G_BEGIN_DECLS

/* Normalise the body of GET /v1/me/player/currently-playing (or GET /v1/me/player).
 * @previous: the snapshot before this reply (its metadata is kept when nothing plays).
 * @body/@length: the reply body; NULL or 0 bytes means HTTP 204 (nothing playing).
 * @now_ms: local Unix ms, becomes fetchedAt.
 * Returns a new snapshot, or NULL with SPN_ERROR_UPSTREAM for a body that is not the
 * expected JSON (bad JSON, wrong root type, invalid UTF-8). */
SpnSnapshot *spn_snapshot_normalise(const SpnSnapshot *previous, const char *body, gsize length,
                                    gint64 now_ms, GError **error);

G_END_DECLS
