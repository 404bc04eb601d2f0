/* fast-read.h — CurrentlyPlaying answered on GDBus's worker thread.
 *
 * A cache read should cost what a Peer.Ping costs. GDBus answers Ping on its worker thread,
 * while a skeleton's method goes to the main loop and back; a connection filter lets the cache
 * read skip that hop. The snapshot it serves is published from the main loop under a lock.
 * Calls it does not recognise exactly (arguments given, no interface named) pass on to the
 * skeleton, which answers them as before. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _SpnFastRead SpnFastRead;

/* Answers @member() of @interface at @object_path on @connection with the published value. */
SpnFastRead *spn_fast_read_new(GDBusConnection *connection, const char *object_path,
                               const char *interface, const char *member);

/* The value the next calls get, as the single out argument (e.g. the a{sv} snapshot). */
void spn_fast_read_publish(SpnFastRead *self, GVariant *value);

/* Stops answering. Call only when the connection is going away (at exit): the filter may still
 * be running on the worker thread while it is removed. */
void spn_fast_read_free(SpnFastRead *self);

G_END_DECLS
