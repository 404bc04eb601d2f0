/* player.c — manual play after a player command: an item, a progress anchor, playing or not. */
#define G_LOG_DOMAIN "spotnow-fake-player"

#include "player.h"

const char *fs_command_name(FsCommand command)
{
    switch (command) {
        case FS_COMMAND_PLAY:
            return "play";
        case FS_COMMAND_PAUSE:
            return "pause";
        case FS_COMMAND_NEXT:
            return "next";
        case FS_COMMAND_PREVIOUS:
            return "previous";
        case FS_COMMAND_SEEK:
            return "seek";
    }
    g_return_val_if_reached(NULL);
}

static gboolean is_item(const FsTimeline *timeline, guint index)
{
    FsStepKind kind = fs_timeline_get_step(timeline, index)->kind;

    return kind == FS_STEP_TRACK || kind == FS_STEP_EPISODE;
}

/* The nearest track or episode after (@forward) or before @from, wrapping round; @from itself
 * when it is the only one; -1 when there is none. */
static gint neighbour_item(const FsTimeline *timeline, guint from, gboolean forward)
{
    guint length = timeline->steps->len;

    for (guint i = 1; i <= length; i++) {
        guint j = (forward ? from + i : from + length - i) % length;

        if (is_item(timeline, j))
            return (gint)j;
    }
    return -1;
}

static gint64 item_duration(const FsTimeline *timeline, guint item)
{
    return fs_timeline_get_step(timeline, item)->duration_ms;
}

gboolean fs_player_take_over(FsPlayer *player, const FsTimeline *timeline, guint index,
                             gint64 elapsed_ms, gint64 now_ms)
{
    const FsStep *step;
    gint next;

    if (!fs_timeline_resolve(timeline, index, elapsed_ms, &index, &elapsed_ms))
        return FALSE;
    step = fs_timeline_get_step(timeline, index);
    switch (step->kind) {
        case FS_STEP_TRACK:
        case FS_STEP_EPISODE:
        case FS_STEP_PAUSED:
            player->item = step->kind == FS_STEP_PAUSED ? (guint)step->ref : index;
            player->progress_ms =
                fs_timeline_progress_ms(timeline, index, elapsed_ms, &player->playing);
            break;
        case FS_STEP_NOTHING:
            return FALSE; /* Spotify: no active device */
        default:
            /* An ad or a fault: as if it were over and the next item began. */
            next = neighbour_item(timeline, index, TRUE);
            if (next < 0)
                return FALSE;
            player->item = (guint)next;
            player->progress_ms = 0;
            player->playing = TRUE;
            break;
    }
    player->active = TRUE;
    player->anchor_ms = now_ms;
    return TRUE;
}

void fs_player_settle(FsPlayer *player, const FsTimeline *timeline, gint64 now_ms)
{
    if (!player->active)
        return;
    if (player->playing)
        player->progress_ms += MAX(now_ms - player->anchor_ms, 0);
    player->anchor_ms = now_ms;
    while (player->playing) {
        gint64 duration = item_duration(timeline, player->item);

        if (player->progress_ms < duration)
            break;
        if (duration <= 0) { /* a zero-length item would spin forever: it stays on at 0 */
            player->progress_ms = 0;
            break;
        }
        player->progress_ms -= duration;
        player->item = (guint)neighbour_item(timeline, player->item, TRUE);
    }
    player->progress_ms = CLAMP(player->progress_ms, 0, item_duration(timeline, player->item));
}

static void move(FsPlayer *player, const FsTimeline *timeline, gboolean forward)
{
    player->item = (guint)neighbour_item(timeline, player->item, forward);
    player->progress_ms = 0;
}

void fs_player_apply(FsPlayer *player, const FsTimeline *timeline, FsCommand command,
                     gint64 position_ms, gint64 now_ms)
{
    g_return_if_fail(player->active);
    fs_player_settle(player, timeline, now_ms);
    switch (command) {
        case FS_COMMAND_PLAY:
            player->playing = TRUE;
            break;
        case FS_COMMAND_PAUSE:
            player->playing = FALSE;
            break;
        case FS_COMMAND_NEXT:
            move(player, timeline, TRUE);
            break;
        case FS_COMMAND_PREVIOUS:
            move(player, timeline, FALSE);
            break;
        case FS_COMMAND_SEEK:
            /* Spotify: "If the position is greater than the length of the track, the player
             * will start playing the next song." */
            if (position_ms >= item_duration(timeline, player->item))
                move(player, timeline, TRUE);
            else
                player->progress_ms = MAX(position_ms, 0);
            break;
    }
}
