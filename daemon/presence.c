/* presence.c — the bounded viewer table. */
#define G_LOG_DOMAIN "spotnow-presence"

#include "presence.h"

#include <string.h>

#include "spn-error.h"

struct _SpnPresence {
    GHashTable *senders; /* unique name -> GHashTable (viewer id -> gint64* expiry) */
    guint count;
    guint max_per_sender;
    guint max_total;
};

SpnPresence *spn_presence_new(guint max_per_sender, guint max_total)
{
    SpnPresence *presence = g_new0(SpnPresence, 1);
    presence->senders =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_hash_table_unref);
    presence->max_per_sender = MAX(max_per_sender, 1u);
    presence->max_total = MAX(max_total, 1u);
    return presence;
}

void spn_presence_free(SpnPresence *presence)
{
    if (presence == NULL)
        return;
    g_hash_table_unref(presence->senders);
    g_free(presence);
}

gboolean spn_presence_validate_id(const char *viewer_id, GError **error)
{
    if (viewer_id == NULL || *viewer_id == '\0') {
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_INVALID_ARGS, "viewer_id is empty");
        return FALSE;
    }
    /* Bound the bytes before walking characters: 128 chars are at most 512 bytes of UTF-8. */
    if (strlen(viewer_id) > SPN_PRESENCE_MAX_ID_CHARS * 4 ||
        !g_utf8_validate(viewer_id, -1, NULL)) {
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_INVALID_ARGS,
                            "viewer_id must be 1–128 printable characters of UTF-8");
        return FALSE;
    }
    glong chars = 0;
    for (const char *p = viewer_id; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (!g_unichar_isprint(c) || ++chars > SPN_PRESENCE_MAX_ID_CHARS) {
            g_set_error_literal(error, SPN_ERROR, SPN_ERROR_INVALID_ARGS,
                                "viewer_id must be 1–128 printable characters of UTF-8");
            return FALSE;
        }
    }
    return TRUE;
}

static gint64 expiry_of(gpointer value)
{
    return *(gint64 *)value;
}

/* The sender's viewer closest to expiry: the one it has stopped refreshing longest ago. */
static void evict_oldest(SpnPresence *presence, GHashTable *viewers)
{
    GHashTableIter iter;
    gpointer key, value;
    gpointer oldest_key = NULL;
    gint64 oldest = G_MAXINT64;
    g_hash_table_iter_init(&iter, viewers);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        if (expiry_of(value) < oldest) {
            oldest = expiry_of(value);
            oldest_key = key;
        }
    }
    if (oldest_key != NULL && g_hash_table_remove(viewers, oldest_key))
        presence->count--;
}

gboolean spn_presence_report(SpnPresence *presence, const char *sender, const char *viewer_id,
                             gint64 expires_at, gboolean *new_sender, GError **error)
{
    if (new_sender != NULL)
        *new_sender = FALSE;
    if (!spn_presence_validate_id(viewer_id, error))
        return FALSE;

    GHashTable *viewers = g_hash_table_lookup(presence->senders, sender);
    gint64 *expiry = viewers != NULL ? g_hash_table_lookup(viewers, viewer_id) : NULL;
    if (expiry != NULL) {
        *expiry = MAX(*expiry, expires_at);
        return TRUE;
    }

    gboolean at_sender_limit =
        viewers != NULL && g_hash_table_size(viewers) >= presence->max_per_sender;
    if (!at_sender_limit && presence->count >= presence->max_total) {
        g_set_error(error, SPN_ERROR, SPN_ERROR_BUSY,
                    "the viewer table is full (%u viewers); try again later", presence->max_total);
        return FALSE;
    }

    if (viewers == NULL) {
        viewers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        g_hash_table_insert(presence->senders, g_strdup(sender), viewers);
        if (new_sender != NULL)
            *new_sender = TRUE;
    } else if (at_sender_limit) {
        evict_oldest(presence, viewers);
    }

    gint64 *stored = g_new(gint64, 1);
    *stored = expires_at;
    g_hash_table_insert(viewers, g_strdup(viewer_id), stored);
    presence->count++;
    return TRUE;
}

guint spn_presence_remove_sender(SpnPresence *presence, const char *sender)
{
    GHashTable *viewers = g_hash_table_lookup(presence->senders, sender);
    if (viewers == NULL)
        return 0;
    guint removed = g_hash_table_size(viewers);
    presence->count -= removed;
    g_hash_table_remove(presence->senders, sender);
    return removed;
}

guint spn_presence_expire(SpnPresence *presence, gint64 now, GPtrArray *emptied_senders)
{
    guint dropped = 0;
    GHashTableIter senders;
    gpointer sender, viewers;
    g_hash_table_iter_init(&senders, presence->senders);
    while (g_hash_table_iter_next(&senders, &sender, &viewers)) {
        GHashTableIter iter;
        gpointer value;
        g_hash_table_iter_init(&iter, viewers);
        while (g_hash_table_iter_next(&iter, NULL, &value)) {
            if (expiry_of(value) <= now) {
                g_hash_table_iter_remove(&iter);
                dropped++;
            }
        }
        if (g_hash_table_size(viewers) == 0) {
            if (emptied_senders != NULL)
                g_ptr_array_add(emptied_senders, g_strdup(sender));
            g_hash_table_iter_remove(&senders);
        }
    }
    presence->count -= dropped;
    return dropped;
}

guint spn_presence_count(const SpnPresence *presence)
{
    return presence->count;
}

gint64 spn_presence_next_expiry(const SpnPresence *presence)
{
    gint64 earliest = 0;
    GHashTableIter senders;
    gpointer viewers;
    g_hash_table_iter_init(&senders, presence->senders);
    while (g_hash_table_iter_next(&senders, NULL, &viewers)) {
        GHashTableIter iter;
        gpointer value;
        g_hash_table_iter_init(&iter, viewers);
        while (g_hash_table_iter_next(&iter, NULL, &value)) {
            if (earliest == 0 || expiry_of(value) < earliest)
                earliest = expiry_of(value);
        }
    }
    return earliest;
}
