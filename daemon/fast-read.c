/* fast-read.c — a connection filter that answers one cache-read method itself. */
#define G_LOG_DOMAIN "spotnow-service"

#include "fast-read.h"

struct _SpnFastRead {
    GDBusConnection *connection;
    guint filter_id;
    char *object_path;
    char *interface;
    char *member;
    GMutex lock;
    GVariant *body; /* the reply body "(@a{sv})"; under lock */
};

static gboolean is_the_call(SpnFastRead *self, GDBusMessage *message)
{
    if (g_dbus_message_get_message_type(message) != G_DBUS_MESSAGE_TYPE_METHOD_CALL)
        return FALSE;
    GVariant *arguments = g_dbus_message_get_body(message);
    return g_strcmp0(g_dbus_message_get_member(message), self->member) == 0 &&
           g_strcmp0(g_dbus_message_get_path(message), self->object_path) == 0 &&
           g_strcmp0(g_dbus_message_get_interface(message), self->interface) == 0 &&
           (arguments == NULL || g_variant_n_children(arguments) == 0);
}

/* Runs on GDBus's worker thread. */
static GDBusMessage *filter(GDBusConnection *connection, GDBusMessage *message, gboolean incoming,
                            gpointer user_data)
{
    SpnFastRead *self = user_data;
    if (!incoming || !is_the_call(self, message))
        return message;

    g_mutex_lock(&self->lock);
    GVariant *body = self->body != NULL ? g_variant_ref(self->body) : NULL;
    g_mutex_unlock(&self->lock);
    if (body == NULL)
        return message; /* nothing published yet: the skeleton answers */

    if (!(g_dbus_message_get_flags(message) & G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED)) {
        g_autoptr(GDBusMessage) reply = g_dbus_message_new_method_reply(message);
        g_dbus_message_set_body(reply, body);
        g_autoptr(GError) error = NULL;
        if (!g_dbus_connection_send_message(connection, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL,
                                            &error))
            g_debug("cannot answer %s: %s", self->member, error->message);
    }
    g_variant_unref(body);
    g_object_unref(message);
    return NULL;
}

SpnFastRead *spn_fast_read_new(GDBusConnection *connection, const char *object_path,
                               const char *interface, const char *member)
{
    SpnFastRead *self = g_new0(SpnFastRead, 1);
    g_mutex_init(&self->lock);
    self->connection = g_object_ref(connection);
    self->object_path = g_strdup(object_path);
    self->interface = g_strdup(interface);
    self->member = g_strdup(member);
    self->filter_id = g_dbus_connection_add_filter(connection, filter, self, NULL);
    return self;
}

void spn_fast_read_publish(SpnFastRead *self, GVariant *value)
{
    GVariant *body = g_variant_ref_sink(g_variant_new_tuple(&value, 1));
    g_mutex_lock(&self->lock);
    GVariant *old = self->body;
    self->body = body;
    g_mutex_unlock(&self->lock);
    if (old != NULL)
        g_variant_unref(old);
}

void spn_fast_read_free(SpnFastRead *self)
{
    if (self == NULL)
        return;
    g_dbus_connection_remove_filter(self->connection, self->filter_id);
    g_clear_object(&self->connection);
    g_clear_pointer(&self->body, g_variant_unref);
    g_mutex_clear(&self->lock);
    g_free(self->object_path);
    g_free(self->interface);
    g_free(self->member);
    g_free(self);
}
