/* mpris.h — spotnow's now-playing as an MPRIS 2.2 player (org.mpris.MediaPlayer2.spotnow), so
 * playerctl, GNOME Shell, Plasma and waybar show it and, with control, drive it.
 *
 * Built on the engine only: its snapshot is served at read time (Position is extrapolated,
 * never signalled), its "changed" becomes PropertiesChanged for PlaybackStatus and Metadata
 * only when those really changed, its "seeked" becomes Seeked. The name never leaves the bus
 * for a change of control (playerctld would take it for a player just started): CanControl is
 * constant (true), and CanGoNext, CanGoPrevious and CanSeek follow "control-changed" when read,
 * signalled with the next real change.
 */
#pragma once

#include <gio/gio.h>

#include "engine.h"

G_BEGIN_DECLS

#define SPN_MPRIS_BUS_NAME "org.mpris.MediaPlayer2.spotnow"
#define SPN_MPRIS_OBJECT_PATH "/org/mpris/MediaPlayer2"
/* The local Spotify desktop client's player: while it is on the bus, ours steps off. */
#define SPN_MPRIS_LOCAL_SPOTIFY "org.mpris.MediaPlayer2.spotify"

#define SPN_TYPE_MPRIS (spn_mpris_get_type())
G_DECLARE_FINAL_TYPE(SpnMpris, spn_mpris, SPN, MPRIS, GObject)

/* @hide_when_local: step off the bus while SPN_MPRIS_LOCAL_SPOTIFY has an owner. */
SpnMpris *spn_mpris_new(SpnEngine *engine, gboolean hide_when_local);

/* Exports the player on @connection and owns the name (once the local client is known to be
 * absent, with @hide_when_local). Call after the daemon owns its main name. */
void spn_mpris_start(SpnMpris *self, GDBusConnection *connection);

/* Releases the name and unexports. */
void spn_mpris_stop(SpnMpris *self);

/* The player's name is ours: panels can see it. "notify::on-bus" says when this changes. */
gboolean spn_mpris_get_on_bus(SpnMpris *self);

G_END_DECLS
