/* web-deadlines.h — connections that may wait only so long, and only so many.
 *
 * The front door's idle connections, the connections ending in stages and the requests libsoup
 * is still reading or answering each sit in one of these: least recently added or touched
 * first, the oldest ended past the bound, every one ended @timeout_s after it was added or last
 * touched. The sweep runs once a second while the queue holds anything, so an idle spotnow-web
 * sleeps. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Embedded in what waits. */
typedef struct {
    GList link; /* data = the entry */
    gint64 since_us;
} SpnWebDeadline;

/* Ends @entry: its owner calls spn_web_deadlines_remove() on it, then frees it. */
typedef void (*SpnWebDeadlineExpireFunc)(SpnWebDeadline *entry, gpointer user_data);

typedef struct {
    GQueue queue;
    guint max;
    gint64 timeout_us;
    guint sweep_id;
    SpnWebDeadlineExpireFunc expire;
    gpointer user_data;
} SpnWebDeadlines;

void spn_web_deadlines_init(SpnWebDeadlines *self, guint max, guint timeout_s,
                            SpnWebDeadlineExpireFunc expire, gpointer user_data);
/* Expires every entry still waiting. */
void spn_web_deadlines_clear(SpnWebDeadlines *self);

/* @entry waits from now; the oldest is expired first when the queue is full. */
void spn_web_deadlines_add(SpnWebDeadlines *self, SpnWebDeadline *entry);
/* @entry was active: its silence starts again. */
void spn_web_deadlines_touch(SpnWebDeadlines *self, SpnWebDeadline *entry);
void spn_web_deadlines_remove(SpnWebDeadlines *self, SpnWebDeadline *entry);

G_END_DECLS
