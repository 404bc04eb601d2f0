/* quota.h — Spotify's per-account request quota as fake-spotify emulates it: at most `limit` Web
 * API requests in any rolling `window`; past it, QUOTA_EXCEEDED until the window lets the next
 * one through. Refused requests count too (see README.md, "Quota"). Pure: the caller passes the
 * clock (any ms clock). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The body Spotify sends with a quota refusal, byte for byte. */
#define FS_QUOTA_BODY \
    "{\"error\":{\"status\":429,\"message\":\"Too many requests\",\"reason\":\"QUOTA_EXCEEDED\"}}"

/* Bounds: the limit a test may set, and how many request times are remembered (a client that
 * keeps hammering a spent quota would otherwise grow the record without end; past this many,
 * the oldest are forgotten). */
#define FS_QUOTA_MAX_LIMIT 1000000u
#define FS_QUOTA_MAX_TRACKED (1u << 20)

typedef struct {
    guint limit; /* 0 = off: nothing is counted or refused */
    gint64 window_ms;
    GArray *times; /* gint64 request times, oldest first, from index `first` on */
    guint first;
    guint64 refused;
    /* Lock-outs: from a refusal until the window would let the next request through. */
    gint64 locked_done_ms; /* lock-outs that are over */
    gint64 lock_start_ms;  /* the current or last one; -1 = none yet */
    gint64 lock_until_ms;
} FsQuota;

/* Off, with a window of 86 400 s. */
void fs_quota_init(FsQuota *quota);
void fs_quota_clear(FsQuota *quota);

/* Sets the limit (0 = off) and the window, and starts afresh: earlier requests and the
 * refused and locked-out counters are forgotten. */
void fs_quota_configure(FsQuota *quota, guint limit, gint64 window_ms);

/* Counts one request at @now_ms. Returns TRUE when it may go through; FALSE when it is refused
 * (QUOTA_EXCEEDED), with *@retry_after_s the whole seconds (rounded up, at least 1) until the
 * window lets the next one through. */
gboolean fs_quota_charge(FsQuota *quota, gint64 now_ms, gint64 *retry_after_s);

/* Requests (refused ones included) in the window that ends at @now_ms. */
guint fs_quota_in_window(FsQuota *quota, gint64 now_ms);
/* How long from @now_ms until a request would go through; 0 when one would now. */
gint64 fs_quota_wait_ms(FsQuota *quota, gint64 now_ms);
/* The time spent locked out so far: from each refusal until the window let requests through
 * again (up to @now_ms for a lock-out still on). */
gint64 fs_quota_locked_out_ms(const FsQuota *quota, gint64 now_ms);

G_END_DECLS
