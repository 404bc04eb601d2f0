/* mpris-metadata.h — the snapshot as MPRIS sees it: PlaybackStatus, Metadata and Position.
 *
 * Pure: no I/O, no clock (callers pass "now"), so the mapping is unit-tested. mpris.c serves
 * these and compares them between snapshots to decide whether PropertiesChanged is news.
 */
#pragma once

#include <glib.h>

#include "spn-snapshot.h"

G_BEGIN_DECLS

/* MPRIS's "no current track" id: the only trackid allowed under /org/mpris. */
#define SPN_MPRIS_NO_TRACK "/org/mpris/MediaPlayer2/TrackList/NoTrack"

/* Where our track ids live: outside /org/mpris, as the specification asks. */
#define SPN_MPRIS_TRACK_ID_PREFIX "/io/github/spotnow/"

/* "Stopped" before anything was seen (itemType none), else "Playing" or "Paused". */
const char *spn_mpris_playback_status(const SpnSnapshot *snapshot);

/* The object path naming the current item: /io/github/spotnow/<track|episode>/<id> (the id
 * reduced to [A-Za-z0-9_]), /io/github/spotnow/local/<hash> for an item Spotify gives no id
 * (local files), or SPN_MPRIS_NO_TRACK when no item is known or an ad or an unknown item is on. */
char *spn_mpris_track_id(const SpnSnapshot *snapshot);

/* The Metadata a{sv} (floating): mpris:trackid always; for a track or an episode also
 * mpris:length (µs, when known), xesam:title, xesam:artist (as), xesam:album, mpris:artUrl
 * (file:// URI of albumArtFile when cached, else albumArt) and xesam:url (trackUrl) when
 * present. An ad is titled "Advertisement" and carries no other item's data, so a panel never
 * shows the last song as if it were playing. */
GVariant *spn_mpris_metadata(const SpnSnapshot *snapshot);

/* The position in µs at @now_ms: extrapolated from fetchedAt while playing, clamped to the
 * duration; 0 when no item is known. */
gint64 spn_mpris_position_us(const SpnSnapshot *snapshot, gint64 now_ms);

G_END_DECLS
