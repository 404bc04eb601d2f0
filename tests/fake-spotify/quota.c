/* quota.c — a rolling request quota: the times of the requests in the window, oldest first. */
#define G_LOG_DOMAIN "spotnow-fake-quota"

#include "quota.h"

#define DEFAULT_WINDOW_MS (86400 * 1000)

void fs_quota_init(FsQuota *quota)
{
    quota->times = g_array_new(FALSE, FALSE, sizeof(gint64));
    fs_quota_configure(quota, 0, DEFAULT_WINDOW_MS);
}

void fs_quota_clear(FsQuota *quota)
{
    g_clear_pointer(&quota->times, g_array_unref);
}

void fs_quota_configure(FsQuota *quota, guint limit, gint64 window_ms)
{
    quota->limit = MIN(limit, FS_QUOTA_MAX_LIMIT);
    quota->window_ms = MAX(window_ms, 1);
    g_array_set_size(quota->times, 0);
    quota->first = 0;
    quota->refused = 0;
    quota->locked_done_ms = 0;
    quota->lock_start_ms = -1;
    quota->lock_until_ms = -1;
}

static gint64 time_at(const FsQuota *quota, guint index)
{
    return g_array_index(quota->times, gint64, quota->first + index);
}

static guint length(const FsQuota *quota)
{
    return quota->times->len - quota->first;
}

/* Forgets requests that left the window, which is (now - window, now]. The array is compacted
 * only once half of it is dead, so each request is moved a bounded number of times. */
static void prune(FsQuota *quota, gint64 now_ms)
{
    while (length(quota) > 0 && time_at(quota, 0) <= now_ms - quota->window_ms)
        quota->first++;
    if (quota->first > 0 && quota->first >= quota->times->len / 2) {
        g_array_remove_range(quota->times, 0, quota->first);
        quota->first = 0;
    }
}

guint fs_quota_in_window(FsQuota *quota, gint64 now_ms)
{
    prune(quota, now_ms);
    return length(quota);
}

gint64 fs_quota_wait_ms(FsQuota *quota, gint64 now_ms)
{
    guint n = fs_quota_in_window(quota, now_ms);

    if (quota->limit == 0 || n < quota->limit)
        return 0;
    /* Once the n - limit + 1 oldest have left the window, fewer than `limit` remain. */
    return MAX(time_at(quota, n - quota->limit) + quota->window_ms - now_ms, 1);
}

static void note_lockout(FsQuota *quota, gint64 now_ms, gint64 until_ms)
{
    if (quota->lock_start_ms >= 0 && now_ms < quota->lock_until_ms) {
        quota->lock_until_ms = MAX(quota->lock_until_ms, until_ms);
        return;
    }
    if (quota->lock_start_ms >= 0)
        quota->locked_done_ms += quota->lock_until_ms - quota->lock_start_ms;
    quota->lock_start_ms = now_ms;
    quota->lock_until_ms = until_ms;
}

gboolean fs_quota_charge(FsQuota *quota, gint64 now_ms, gint64 *retry_after_s)
{
    gboolean allowed;
    gint64 wait_ms;

    if (quota->limit == 0)
        return TRUE;
    allowed = fs_quota_in_window(quota, now_ms) < quota->limit;
    if (length(quota) >= FS_QUOTA_MAX_TRACKED)
        quota->first++;
    g_array_append_val(quota->times, now_ms);
    if (allowed)
        return TRUE;
    /* The refusal itself is counted (Spotify likely counts what it refuses), so a client that
     * ignores Retry-After keeps pushing the end of its lock-out further. */
    quota->refused++;
    wait_ms = fs_quota_wait_ms(quota, now_ms);
    note_lockout(quota, now_ms, now_ms + wait_ms);
    *retry_after_s = MAX((wait_ms + 999) / 1000, 1);
    return FALSE;
}

gint64 fs_quota_locked_out_ms(const FsQuota *quota, gint64 now_ms)
{
    if (quota->lock_start_ms < 0)
        return quota->locked_done_ms;
    return quota->locked_done_ms + MAX(MIN(now_ms, quota->lock_until_ms) - quota->lock_start_ms, 0);
}
