/* test-player.c — the manual player that takes over from the timeline at the first player
 * command. If it drifts, the daemon's MPRIS and CLI control tests check against a wrong story. */
#define G_LOG_DOMAIN "spotnow-test-player"

#include "player.h"

static FsTimeline *parse_ok(const char *text)
{
    g_autoptr(GError) error = NULL;
    FsTimeline *timeline = fs_timeline_parse(text, &error);

    g_assert_no_error(error);
    return timeline;
}

/* Steps: 0 track One, 1 ad, 2 paused (One), 3 episode Two, 4 nothing. */
static const char player_text[] =
    "10 track name=One duration=20 progress=5\n"
    "2 ad\n"
    "4 paused\n"
    "10 episode name=Two duration=8\n"
    "3 nothing\n";

static void assert_player(const FsPlayer *player, guint item, gint64 progress_ms, gboolean playing)
{
    g_assert_true(player->active);
    g_assert_cmpuint(player->item, ==, item);
    g_assert_cmpint(player->progress_ms, ==, progress_ms);
    g_assert_cmpint(player->playing, ==, playing);
}

static void test_player_take_over(void)
{
    g_autoptr(FsTimeline) timeline = parse_ok(player_text);
    g_autoptr(FsTimeline) ads_only = parse_ok("5 ad\n");
    g_autoptr(FsTimeline) slow = parse_ok("5 track name=A\n2 slow delay=1\n");
    FsPlayer player = {0};

    g_assert_true(fs_player_take_over(&player, timeline, 0, 1000, 0));
    assert_player(&player, 0, 6000, TRUE);
    /* The paused step freezes One where its step ended. */
    g_assert_true(fs_player_take_over(&player, timeline, 2, 1000, 0));
    assert_player(&player, 0, 15000, FALSE);
    /* During an ad, the next item starts. */
    g_assert_true(fs_player_take_over(&player, timeline, 1, 1000, 0));
    assert_player(&player, 3, 0, TRUE);
    /* A slow step stands for the content before it. */
    g_assert_true(fs_player_take_over(&player, slow, 1, 500, 0));
    assert_player(&player, 0, 5000, TRUE);

    /* No active device: nothing to act on. */
    player.active = FALSE;
    g_assert_false(fs_player_take_over(&player, timeline, 4, 0, 0));
    g_assert_false(player.active);
    g_assert_false(fs_player_take_over(&player, ads_only, 0, 0, 0));
    g_assert_false(player.active);
}

static void test_player_commands(void)
{
    g_autoptr(FsTimeline) timeline = parse_ok(player_text);
    FsPlayer player = {0};

    g_assert_true(fs_player_take_over(&player, timeline, 0, 0, 0));
    fs_player_settle(&player, timeline, 2000);
    assert_player(&player, 0, 7000, TRUE);
    fs_player_apply(&player, timeline, FS_COMMAND_PAUSE, -1, 2000);
    fs_player_settle(&player, timeline, 10000);
    assert_player(&player, 0, 7000, FALSE);
    fs_player_apply(&player, timeline, FS_COMMAND_PLAY, -1, 10000);
    fs_player_settle(&player, timeline, 11000);
    assert_player(&player, 0, 8000, TRUE);

    /* next/previous skip the ad, the paused step and nothing, and wrap round. */
    fs_player_apply(&player, timeline, FS_COMMAND_NEXT, -1, 11000);
    assert_player(&player, 3, 0, TRUE);
    fs_player_apply(&player, timeline, FS_COMMAND_NEXT, -1, 11000);
    assert_player(&player, 0, 0, TRUE);
    fs_player_apply(&player, timeline, FS_COMMAND_PREVIOUS, -1, 11000);
    assert_player(&player, 3, 0, TRUE);
    fs_player_apply(&player, timeline, FS_COMMAND_PREVIOUS, -1, 11000);
    assert_player(&player, 0, 0, TRUE);

    fs_player_apply(&player, timeline, FS_COMMAND_SEEK, 12000, 11000);
    assert_player(&player, 0, 12000, TRUE);
    fs_player_apply(&player, timeline, FS_COMMAND_SEEK, 20000, 11000);
    assert_player(&player, 3, 0, TRUE);

    /* Skipping while paused stays paused. */
    fs_player_apply(&player, timeline, FS_COMMAND_PAUSE, -1, 11000);
    fs_player_apply(&player, timeline, FS_COMMAND_NEXT, -1, 11000);
    fs_player_settle(&player, timeline, 50000);
    assert_player(&player, 0, 0, FALSE);
}

static void test_player_advance(void)
{
    g_autoptr(FsTimeline) timeline = parse_ok(player_text);
    g_autoptr(FsTimeline) empty_item = parse_ok("0 track name=Z\n5 ad\n");
    FsPlayer player = {0};

    /* Two (8 s) ends, One (20 s) follows, then Two again. */
    g_assert_true(fs_player_take_over(&player, timeline, 3, 0, 0));
    fs_player_settle(&player, timeline, 9000);
    assert_player(&player, 0, 1000, TRUE);
    fs_player_settle(&player, timeline, 31000);
    assert_player(&player, 3, 3000, TRUE);

    /* A zero-length item must not spin forever. */
    g_assert_true(fs_player_take_over(&player, empty_item, 0, 0, 0));
    fs_player_settle(&player, empty_item, 5000);
    assert_player(&player, 0, 0, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/player/take-over", test_player_take_over);
    g_test_add_func("/player/commands", test_player_commands);
    g_test_add_func("/player/advance", test_player_advance);
    return g_test_run();
}
