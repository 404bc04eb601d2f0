/* presence.h — who is watching. A viewer is the pair (sender's unique bus name, viewer id),
 * present until its heartbeat's expiry or until its sender leaves the bus. Pure: no bus, no
 * timers; the engine passes times and arms one timer for spn_presence_next_expiry(). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SPN_PRESENCE_MAX_ID_CHARS 128
#define SPN_PRESENCE_MAX_PER_SENDER 64
#define SPN_PRESENCE_MAX_TOTAL 4096

typedef struct _SpnPresence SpnPresence;

SpnPresence *spn_presence_new(guint max_per_sender, guint max_total);
void spn_presence_free(SpnPresence *presence);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpnPresence, spn_presence_free)

/* A viewer id is 1-128 printable Unicode characters (valid UTF-8, no control characters);
 * anything else is SPN_ERROR_INVALID_ARGS. */
gboolean spn_presence_validate_id(const char *viewer_id, GError **error);

/* Record a heartbeat valid until @expires_at. A sender at its limit gives up its viewer closest
 * to expiry (its own stale ids go first); a full table is SPN_ERROR_BUSY.
 * *@new_sender (may be NULL) is set when @sender had no viewer before: watch its name. */
gboolean spn_presence_report(SpnPresence *presence, const char *sender, const char *viewer_id,
                             gint64 expires_at, gboolean *new_sender, GError **error);

/* Forget every viewer of @sender (it left the bus); returns how many there were. */
guint spn_presence_remove_sender(SpnPresence *presence, const char *sender);

/* Drop viewers whose expiry is <= @now. Senders left with no viewer are appended to
 * @emptied_senders (may be NULL) so their name watches can go. Returns how many were dropped. */
guint spn_presence_expire(SpnPresence *presence, gint64 now, GPtrArray *emptied_senders);

guint spn_presence_count(const SpnPresence *presence);

/* The earliest expiry in the table, or 0 when empty. */
gint64 spn_presence_next_expiry(const SpnPresence *presence);

G_END_DECLS
