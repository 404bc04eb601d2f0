/* spn-snapshot.h — the now-playing snapshot as every part of spotnow holds it: the type, its
 * a{sv} (doc/design.md section 2) both ways, the one sanitiser, predicted progress and what
 * counts as a change. Shared by the daemon and its clients (lib/).
 *
 * Pure: no I/O, no clock (callers pass "now").
 */
#pragma once

#include <glib.h>

#include "spn-protocol.h"

G_BEGIN_DECLS

/* A seek is progress off its prediction by more than this. */
#define SPN_SEEK_THRESHOLD_MS 3000

typedef struct {
    gboolean is_playing;
    char *track_name;     /* never NULL; "" when none known */
    char *artist_name;    /* never NULL */
    char *album_name;     /* never NULL */
    char *album_art;      /* never NULL; "" when none */
    char *album_art_file; /* NULL = absent */
    char *track_url;      /* NULL = absent */
    char *track_id;       /* NULL = absent */
    char *item_type;      /* never NULL: track, episode, ad, unknown, none */
    gint64 progress_ms;
    gint64 duration_ms;
    gint64 fetched_at; /* Unix ms, local clock; 0 = never fetched */
    /* Spotify's own is_playing, also for what we cannot show (an ad): the scheduler keeps the
     * playing cadence for it. In memory only: not a snapshot key, not part of a change. */
    gboolean upstream_playing;
} SpnSnapshot;

typedef enum {
    SPN_CHANGE_NONE,     /* identical, or only progress that moved as time predicts */
    SPN_CHANGE_METADATA, /* a field other than progressMs/fetchedAt differs */
    SPN_CHANGE_SEEK,     /* only progress differs, by more than SPN_SEEK_THRESHOLD_MS */
} SpnChange;

/* The snapshot before anything was seen: itemType "none", empty strings, zeros. */
SpnSnapshot *spn_snapshot_new(void);
SpnSnapshot *spn_snapshot_copy(const SpnSnapshot *snapshot);
void spn_snapshot_free(SpnSnapshot *snapshot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpnSnapshot, spn_snapshot_free)

/* The one sanitiser, however a snapshot arrives (Spotify, state.ini, the local client): the
 * invariants of doc/design.md section 2 (valid UTF-8 without control characters, a known
 * itemType, progress within [0, durationMs], no negative numbers, optional keys absent rather
 * than ""). */
void spn_snapshot_sanitise(SpnSnapshot *snapshot);

/* Where @snapshot's progress is predicted to be at @now_ms (clamped; static while paused). */
gint64 spn_snapshot_predicted_progress(const SpnSnapshot *snapshot, gint64 now_ms);

/* Compare a fresh snapshot with the previous one, progress judged against its prediction. */
SpnChange spn_snapshot_compare(const SpnSnapshot *previous, const SpnSnapshot *current);

/* To and from the a{sv} of doc/design.md section 2 (absent keys stay absent). from_variant fills
 * missing keys with the defaults of spn_snapshot_new() and never fails. */
GVariant *spn_snapshot_to_variant(const SpnSnapshot *snapshot);
SpnSnapshot *spn_snapshot_from_variant(GVariant *dict);

G_END_DECLS
