/* press-notice.c — one desktop notification per kind of refused press. */
#define G_LOG_DOMAIN "spotnow-mpris"

#include "press-notice.h"

#include <glib/gi18n.h>

#include "spn-error.h"
#include "spn-text.h"

struct _SpnPressNotice {
    GDBusConnection *connection;
    GHashTable *told; /* error codes already said, this session */
};

SpnPressNotice *spn_press_notice_new(GDBusConnection *connection)
{
    SpnPressNotice *self = g_new0(SpnPressNotice, 1);
    self->connection = g_object_ref(connection);
    self->told = g_hash_table_new(g_direct_hash, g_direct_equal);
    return self;
}

void spn_press_notice_free(SpnPressNotice *self)
{
    if (self == NULL)
        return;
    g_object_unref(self->connection);
    g_hash_table_unref(self->told);
    g_free(self);
}

static void on_notified(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
    if (reply == NULL)
        g_debug("no desktop notification: %s", error->message);
}

void spn_press_notice_refused(SpnPressNotice *self, const GError *error)
{
    /* A caller that went away, or anything not ours, is no reason a person should read. */
    if (error->domain != SPN_ERROR)
        return;
    gpointer kind = GINT_TO_POINTER(error->code + 1);
    if (g_hash_table_contains(self->told, kind))
        return;
    g_hash_table_add(self->told, kind);
    g_autofree char *body = spn_text_clean(error->message);
    const char *actions[] = {NULL};
    g_dbus_connection_call(
        self->connection, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
        "org.freedesktop.Notifications", "Notify",
        g_variant_new("(susss^asa{sv}i)", "spotnow", 0u, "io.github.spotnow.Applet",
                      _("Spotify playback cannot be controlled"), body, actions, NULL, -1),
        G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL, on_notified, NULL);
}
