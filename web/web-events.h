/* web-events.h — GET /api/events: Server-Sent Events to many clients at once.
 *
 * Every open stream gets each event as the same shared bytes (one copy however many streams),
 * a comment every 15 s so proxies and browsers keep it open, and is dropped as soon as its
 * client closes: the socket is watched, so a closed tab stops counting as a viewer within
 * moments rather than at the next write. Bounded by max-streams. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define SPN_WEB_KEEPALIVE_S 15

typedef struct _SpnWebEvents SpnWebEvents;

/* Called whenever the number of open streams changes. */
typedef void (*SpnWebEventsCountFunc)(guint count, gpointer user_data);

SpnWebEvents *spn_web_events_new(guint max_streams, SpnWebEventsCountFunc count_func,
                                 gpointer user_data);
void spn_web_events_free(SpnWebEvents *self);

guint spn_web_events_count(SpnWebEvents *self);

/* "event: snapshot\nid: @id\ndata: @json\n\n". @json must be one line (compact JSON is). */
GBytes *spn_web_event_format(guint64 id, const char *json);

/* Turn @msg (a GET whose other headers, e.g. CORS, are set) into a stream on @socket, the one
 * under it: status 200, the stream's headers, a retry hint, and @current (the latest event, may
 * be NULL) unless the client's Last-Event-ID says it has it already. FALSE, with nothing done,
 * when max-streams are open or @socket is NULL. */
gboolean spn_web_events_open(SpnWebEvents *self, SoupServerMessage *msg, GSocket *socket,
                             GBytes *current, guint64 current_id);

/* Send @event (from spn_web_event_format) to every open stream. */
void spn_web_events_publish(SpnWebEvents *self, GBytes *event);

G_END_DECLS
