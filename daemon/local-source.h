/* local-source.h — the Spotify client on this machine as a free source (doc/design.md section 4,
 * rule 13): while org.mpris.MediaPlayer2.spotify plays something with a title, its MPRIS
 * properties are the snapshot and no Web API request is needed. */
#pragma once

#include <gio/gio.h>

#include "snapshot.h"

G_BEGIN_DECLS

#define SPN_LOCAL_SPOTIFY_NAME "org.mpris.MediaPlayer2.spotify"

#define SPN_TYPE_LOCAL_SOURCE (spn_local_source_get_type())
G_DECLARE_FINAL_TYPE(SpnLocalSource, spn_local_source, SPN, LOCAL_SOURCE, GObject)

/* Signals: "snapshot" (gpointer, a const SpnSnapshot *): what the client plays now, while active
 * (on start, on every PropertiesChanged and Seeked); "notify::active": playing with a title
 * began or ended (paused, stopped, left the bus, or remote-controlling another device). */
SpnLocalSource *spn_local_source_new(GDBusConnection *connection);
gboolean spn_local_source_get_active(SpnLocalSource *self);

/* Pure: the client's MPRIS state as a snapshot (NULL when it is not a source: not Playing, or
 * an empty title). @metadata is Metadata (a{sv}), @position_us Position. Follows the real
 * client's shapes: mpris:trackid an object path /com/spotify/track/<id> (or episode, ad),
 * xesam:url the open.spotify.com URL, mpris:artUrl, mpris:length in µs. */
SpnSnapshot *spn_local_source_snapshot(GVariant *metadata, const char *playback_status,
                                       gint64 position_us, gint64 now_ms);

G_END_DECLS
