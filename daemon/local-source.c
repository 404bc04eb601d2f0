/* local-source.c — following the Spotify client's MPRIS on the session bus. */
#define G_LOG_DOMAIN "spotnow-local"

#include "local-source.h"

#include <string.h>

#include "spn-json.h"

#define MPRIS_PATH "/org/mpris/MediaPlayer2"
#define PLAYER_INTERFACE "org.mpris.MediaPlayer2.Player"

struct _SpnLocalSource {
    GObject parent_instance;
    GDBusConnection *connection;
    guint watch;
    GDBusProxy *player;
    GCancellable *cancellable; /* the proxy's creation and Position reads */
    gboolean active;
};

G_DEFINE_TYPE(SpnLocalSource, spn_local_source, G_TYPE_OBJECT)

enum { PROP_0, PROP_ACTIVE, N_PROPS };
static GParamSpec *props[N_PROPS];
enum { SIGNAL_SNAPSHOT, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---- the pure mapping --------------------------------------------------------------------- */

static char *lookup_text(GVariant *metadata, const char *key)
{
    g_autoptr(GVariant) value = g_variant_lookup_value(metadata, key, NULL);
    if (value == NULL)
        return NULL;
    if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING) ||
        g_variant_is_of_type(value, G_VARIANT_TYPE_OBJECT_PATH))
        return spn_text_clean(g_variant_get_string(value, NULL));
    if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING_ARRAY)) {
        g_autofree const char **items = g_variant_get_strv(value, NULL);
        g_autofree char *joined = g_strjoinv(", ", (char **)items);
        return spn_text_clean(joined);
    }
    return NULL;
}

static gint64 lookup_length_us(GVariant *metadata)
{
    g_autoptr(GVariant) value = g_variant_lookup_value(metadata, "mpris:length", NULL);
    if (value == NULL)
        return 0;
    if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT64))
        return (gint64)MIN(g_variant_get_uint64(value), (guint64)G_MAXINT64 / 2);
    if (g_variant_is_of_type(value, G_VARIANT_TYPE_INT64))
        return MAX(g_variant_get_int64(value), 0);
    return 0;
}

/* "/com/spotify/track/<id>" (also "spotify:track:<id>" from older clients) → type and id. */
static gboolean parse_track_id(const char *trackid, char **type, char **id)
{
    if (trackid == NULL)
        return FALSE;
    g_auto(GStrv) parts = NULL;
    if (g_str_has_prefix(trackid, "/com/spotify/"))
        parts = g_strsplit(trackid + strlen("/com/spotify/"), "/", 3);
    else if (g_str_has_prefix(trackid, "spotify:"))
        parts = g_strsplit(trackid + strlen("spotify:"), ":", 3);
    if (parts == NULL || g_strv_length(parts) != 2 || *parts[1] == '\0')
        return FALSE;
    *type = g_strdup(parts[0]);
    *id = g_strdup(parts[1]);
    return TRUE;
}

static void replace(char **field, char *value)
{
    g_free(*field);
    *field = value;
}

SpnSnapshot *spn_local_source_snapshot(GVariant *metadata, const char *playback_status,
                                       gint64 position_us, gint64 now_ms)
{
    if (metadata == NULL || g_strcmp0(playback_status, "Playing") != 0)
        return NULL;
    g_autofree char *title = lookup_text(metadata, "xesam:title");
    /* An empty title: the client remote-controls another device and knows nothing itself. */
    if (title == NULL || *title == '\0')
        return NULL;

    g_autoptr(SpnSnapshot) snapshot = spn_snapshot_new();
    snapshot->is_playing = TRUE;
    snapshot->upstream_playing = TRUE;
    replace(&snapshot->track_name, g_steal_pointer(&title));
    g_autofree char *artist = lookup_text(metadata, "xesam:artist");
    g_autofree char *album = lookup_text(metadata, "xesam:album");
    /* Episodes: the show is the album, and stands in for the artist (doc/design.md section 2). */
    if ((artist == NULL || *artist == '\0') && album != NULL)
        artist = g_strdup(album);
    replace(&snapshot->artist_name, artist != NULL ? g_steal_pointer(&artist) : g_strdup(""));
    replace(&snapshot->album_name, album != NULL ? g_steal_pointer(&album) : g_strdup(""));
    g_autofree char *art = lookup_text(metadata, "mpris:artUrl");
    if (art != NULL && g_str_has_prefix(art, "https://"))
        replace(&snapshot->album_art, g_steal_pointer(&art));

    g_autofree char *trackid = lookup_text(metadata, "mpris:trackid");
    g_autofree char *type = NULL;
    g_autofree char *id = NULL;
    if (parse_track_id(trackid, &type, &id)) {
        gboolean known = g_str_equal(type, "track") || g_str_equal(type, "episode");
        replace(&snapshot->item_type, g_strdup(known                     ? type
                                               : g_str_equal(type, "ad") ? "ad"
                                                                         : "unknown"));
        if (known) {
            replace(&snapshot->track_id, g_strdup(id));
            g_autofree char *url = lookup_text(metadata, "xesam:url");
            replace(&snapshot->track_url,
                    url != NULL && g_str_has_prefix(url, "https://open.spotify.com/")
                        ? g_steal_pointer(&url)
                        : g_strdup_printf("https://open.spotify.com/%s/%s", type, id));
        }
    } else {
        /* A local file: no id and no URL, like the Web API's. */
        replace(&snapshot->item_type, g_strdup("track"));
    }
    snapshot->duration_ms = lookup_length_us(metadata) / 1000;
    snapshot->progress_ms = CLAMP(position_us / 1000, 0, snapshot->duration_ms);
    snapshot->fetched_at = now_ms;
    spn_snapshot_sanitise(snapshot);
    return g_steal_pointer(&snapshot);
}

/* ---- following the client ----------------------------------------------------------------- */

static void set_active(SpnLocalSource *self, gboolean active)
{
    if (self->active == active)
        return;
    self->active = active;
    g_debug("the Spotify client here %s", active ? "plays: following it" : "stopped playing");
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ACTIVE]);
}

static char *cached_status(GDBusProxy *player)
{
    g_autoptr(GVariant) status = g_dbus_proxy_get_cached_property(player, "PlaybackStatus");
    if (status == NULL || !g_variant_is_of_type(status, G_VARIANT_TYPE_STRING))
        return NULL;
    return g_variant_dup_string(status, NULL);
}

static void on_position(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    SpnLocalSource *self = user_data;
    if (self->player == NULL)
        return;
    gint64 position_us = 0;
    if (reply != NULL) {
        g_autoptr(GVariant) boxed = NULL;
        g_variant_get(reply, "(v)", &boxed);
        if (g_variant_is_of_type(boxed, G_VARIANT_TYPE_INT64))
            position_us = g_variant_get_int64(boxed);
    }
    g_autofree char *status = cached_status(self->player);
    g_autoptr(GVariant) metadata = g_dbus_proxy_get_cached_property(self->player, "Metadata");
    if (metadata != NULL && !g_variant_is_of_type(metadata, G_VARIANT_TYPE_VARDICT))
        g_clear_pointer(&metadata, g_variant_unref);
    g_autoptr(SpnSnapshot) snapshot =
        spn_local_source_snapshot(metadata, status, position_us, g_get_real_time() / 1000);
    if (snapshot == NULL) {
        set_active(self, FALSE);
        return;
    }
    /* Active first: the engine stops polling before it takes the first local snapshot. */
    set_active(self, TRUE);
    g_signal_emit(self, signals[SIGNAL_SNAPSHOT], 0, snapshot);
}

/* Position is not signalled by MPRIS players: read it with each change. */
static void refresh(SpnLocalSource *self)
{
    g_autofree char *status = cached_status(self->player);
    if (g_strcmp0(status, "Playing") != 0) {
        set_active(self, FALSE);
        return;
    }
    g_autofree char *owner = g_dbus_proxy_get_name_owner(self->player);
    if (owner == NULL) {
        set_active(self, FALSE);
        return;
    }
    g_dbus_connection_call(self->connection, owner, MPRIS_PATH, "org.freedesktop.DBus.Properties",
                           "Get", g_variant_new("(ss)", PLAYER_INTERFACE, "Position"),
                           G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, 5000, self->cancellable,
                           on_position, self);
}

static void on_properties_changed(GDBusProxy *proxy, GVariant *changed, GStrv invalidated,
                                  gpointer user_data)
{
    refresh(user_data);
}

static void on_player_signal(GDBusProxy *proxy, const char *sender, const char *signal,
                             GVariant *parameters, gpointer user_data)
{
    if (g_str_equal(signal, "Seeked"))
        refresh(user_data);
}

static void on_proxy_ready(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    GDBusProxy *player = g_dbus_proxy_new_finish(result, &error);
    if (player == NULL) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_debug("cannot follow the Spotify client: %s", error->message);
        return;
    }
    SpnLocalSource *self = user_data;
    g_clear_object(&self->player);
    self->player = player;
    g_signal_connect(player, "g-properties-changed", G_CALLBACK(on_properties_changed), self);
    g_signal_connect(player, "g-signal", G_CALLBACK(on_player_signal), self);
    refresh(self);
}

static void drop_player(SpnLocalSource *self)
{
    g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
    self->cancellable = g_cancellable_new();
    if (self->player != NULL)
        g_signal_handlers_disconnect_by_data(self->player, self);
    g_clear_object(&self->player);
}

static void on_appeared(GDBusConnection *connection, const char *name, const char *owner,
                        gpointer user_data)
{
    SpnLocalSource *self = user_data;
    drop_player(self);
    /* The unique name: a client that restarts is a new proxy, not a stale cache. */
    g_dbus_proxy_new(connection, G_DBUS_PROXY_FLAGS_GET_INVALIDATED_PROPERTIES, NULL, owner,
                     MPRIS_PATH, PLAYER_INTERFACE, self->cancellable, on_proxy_ready, self);
}

static void on_vanished(GDBusConnection *connection, const char *name, gpointer user_data)
{
    SpnLocalSource *self = user_data;
    drop_player(self);
    set_active(self, FALSE);
}

SpnLocalSource *spn_local_source_new(GDBusConnection *connection)
{
    SpnLocalSource *self = g_object_new(SPN_TYPE_LOCAL_SOURCE, NULL);
    self->connection = g_object_ref(connection);
    self->watch = g_bus_watch_name_on_connection(connection, SPN_LOCAL_SPOTIFY_NAME,
                                                 G_BUS_NAME_WATCHER_FLAGS_NONE, on_appeared,
                                                 on_vanished, self, NULL);
    return self;
}

gboolean spn_local_source_get_active(SpnLocalSource *self)
{
    return self->active;
}

static void spn_local_source_get_property(GObject *object, guint id, GValue *value,
                                          GParamSpec *pspec)
{
    if (id == PROP_ACTIVE)
        g_value_set_boolean(value, SPN_LOCAL_SOURCE(object)->active);
    else
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static void spn_local_source_dispose(GObject *object)
{
    SpnLocalSource *self = SPN_LOCAL_SOURCE(object);
    g_clear_handle_id(&self->watch, g_bus_unwatch_name);
    drop_player(self);
    g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
    g_clear_object(&self->connection);
    G_OBJECT_CLASS(spn_local_source_parent_class)->dispose(object);
}

static void spn_local_source_class_init(SpnLocalSourceClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    object_class->dispose = spn_local_source_dispose;
    object_class->get_property = spn_local_source_get_property;
    props[PROP_ACTIVE] = g_param_spec_boolean("active", NULL, NULL, FALSE,
                                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, props);
    signals[SIGNAL_SNAPSHOT] = g_signal_new("snapshot", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                            0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void spn_local_source_init(SpnLocalSource *self)
{
    self->cancellable = g_cancellable_new();
}
