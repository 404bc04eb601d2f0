/* web-deadlines.c — a bounded queue of waiting connections with a deadline on silence. */
#define G_LOG_DOMAIN "spotnow-web-deadlines"

#include "web-deadlines.h"

static gboolean on_sweep(gpointer user_data)
{
    SpnWebDeadlines *self = user_data;
    gint64 deadline = g_get_monotonic_time() - self->timeout_us;
    while (self->queue.head != NULL) {
        SpnWebDeadline *oldest = self->queue.head->data;
        if (oldest->since_us > deadline)
            break;
        self->expire(oldest, self->user_data);
    }
    if (self->queue.length > 0)
        return G_SOURCE_CONTINUE;
    self->sweep_id = 0; /* (the last removal removed this source already) */
    return G_SOURCE_REMOVE;
}

void spn_web_deadlines_init(SpnWebDeadlines *self, guint max, guint timeout_s,
                            SpnWebDeadlineExpireFunc expire, gpointer user_data)
{
    g_return_if_fail(self != NULL && max > 0 && expire != NULL);
    g_queue_init(&self->queue);
    self->max = max;
    self->timeout_us = (gint64)timeout_s * G_USEC_PER_SEC;
    self->sweep_id = 0;
    self->expire = expire;
    self->user_data = user_data;
}

void spn_web_deadlines_clear(SpnWebDeadlines *self)
{
    while (self->queue.head != NULL)
        self->expire(self->queue.head->data, self->user_data);
    g_clear_handle_id(&self->sweep_id, g_source_remove);
}

void spn_web_deadlines_add(SpnWebDeadlines *self, SpnWebDeadline *entry)
{
    if (self->queue.length >= self->max)
        self->expire(self->queue.head->data, self->user_data);
    entry->link.data = entry;
    entry->since_us = g_get_monotonic_time();
    g_queue_push_tail_link(&self->queue, &entry->link);
    if (self->sweep_id == 0)
        self->sweep_id = g_timeout_add_seconds(1, on_sweep, self);
}

void spn_web_deadlines_touch(SpnWebDeadlines *self, SpnWebDeadline *entry)
{
    entry->since_us = g_get_monotonic_time();
    g_queue_unlink(&self->queue, &entry->link);
    g_queue_push_tail_link(&self->queue, &entry->link);
}

void spn_web_deadlines_remove(SpnWebDeadlines *self, SpnWebDeadline *entry)
{
    g_queue_unlink(&self->queue, &entry->link);
    if (self->queue.length == 0)
        g_clear_handle_id(&self->sweep_id, g_source_remove);
}
