/* player.h — what the fake plays once a client has sent a player command (play, pause, next,
 * previous, seek). The first command takes over from the timeline where it stands; from then on
 * this decides what the player API shows, like a playlist of the timeline's tracks and episodes
 * played in order, round and round. Pure: the caller passes the clock (any ms clock). */
#pragma once

#include <glib.h>

#include "timeline.h"

G_BEGIN_DECLS

typedef enum {
    FS_COMMAND_PLAY,
    FS_COMMAND_PAUSE,
    FS_COMMAND_NEXT,
    FS_COMMAND_PREVIOUS,
    FS_COMMAND_SEEK,
} FsCommand;

typedef struct {
    gboolean active; /* FALSE: the timeline decides, and the fields below mean nothing */
    guint item;      /* the track or episode step on */
    gboolean playing;
    gint64 progress_ms; /* at anchor_ms */
    gint64 anchor_ms;
} FsPlayer;

/* "play", "pause", "next", "previous", "seek". */
const char *fs_command_name(FsCommand command);

/* Starts manual play from the timeline's state @elapsed_ms into step @index: the item on (or the
 * paused one, frozen), at its progress. During an ad, an unknown item or a fault step, the next
 * track or episode starts from 0. Returns FALSE (and stays inactive) when there is nothing a
 * command could act on: a "nothing" step (no active device), a slow step with no content before
 * it, or a timeline without tracks and episodes. */
gboolean fs_player_take_over(FsPlayer *player, const FsTimeline *timeline, guint index,
                             gint64 elapsed_ms, gint64 now_ms);

/* Brings the player to @now_ms: progress runs while playing, and an item that ends gives way to
 * the next one (after the last comes the first). */
void fs_player_settle(FsPlayer *player, const FsTimeline *timeline, gint64 now_ms);

/* Applies @command at @now_ms. play/pause set playing and keep the progress; next/previous move
 * to the following/preceding item (wrapping) at 0 and keep playing as it was; seek sets the
 * progress to @position_ms, or acts as next when that is at or past the item's end. */
void fs_player_apply(FsPlayer *player, const FsTimeline *timeline, FsCommand command,
                     gint64 position_ms, gint64 now_ms);

G_END_DECLS
