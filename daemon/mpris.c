/* mpris.c — the engine exported as an MPRIS 2.2 player. */
#define G_LOG_DOMAIN "spotnow-mpris"

#include "mpris.h"

#include <glib/gi18n.h>

#include "mpris-metadata.h"
#include "press-notice.h"
#include "service.h"
#include "spn-error.h"
#include "spn-mpris-dbus.h"

#define ROOT_INTERFACE "org.mpris.MediaPlayer2"
#define PLAYER_INTERFACE "org.mpris.MediaPlayer2.Player"
#define PROPERTIES_INTERFACE "org.freedesktop.DBus.Properties"

/* A GetAll on the player (a panel or playerctl looking) counts as a viewer under this key. The
 * key is no bus name, so it never "leaves the bus": only the presence TTL ends it. */
#define GETALL_SENDER "(mpris)"
#define GETALL_VIEWER "getall"

struct _SpnMpris {
    GObject parent_instance;
    SpnEngine *engine;
    gboolean hide_when_local;
    GDBusConnection *connection; /* NULL until started */

    guint local_watch;
    gboolean local_known; /* the watch has answered: we know whether the local client is on */
    gboolean local_present;

    guint root_id;
    guint player_id;
    guint owner_id;
    gboolean on_bus;

    /* What clients were last told (or read at export), so only real changes are signalled. */
    char *status;
    GVariant *metadata;
    gboolean told_can_control; /* CanGoNext, CanGoPrevious and CanSeek */

    SpnPressNotice *notice; /* a refused press said once per reason; NULL until started */
};

enum { PROP_0, PROP_ON_BUS, N_PROPS };
static GParamSpec *props[N_PROPS];

G_DEFINE_TYPE(SpnMpris, spn_mpris, G_TYPE_OBJECT)

static gint64 now_ms(void)
{
    return g_get_real_time() / 1000;
}

static gboolean is_exported(SpnMpris *self)
{
    return self->owner_id != 0;
}

static void set_on_bus(SpnMpris *self, gboolean on_bus)
{
    if (self->on_bus == on_bus)
        return;
    self->on_bus = on_bus;
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ON_BUS]);
}

/* ---- properties -------------------------------------------------------------------------- */

/* The snapshot as panels should see it: signed out or revoked, nobody updates it, so however
 * it was left it is "last played" (Paused, position frozen), never a song playing forever. */
static SpnSnapshot *presented(SpnMpris *self)
{
    SpnSnapshot *snapshot = spn_snapshot_copy(spn_engine_get_snapshot(self->engine));
    if (!spn_engine_is_signed_in(self->engine))
        snapshot->is_playing = FALSE;
    return snapshot;
}

static GVariant *root_property(SpnMpris *self, const char *name)
{
    if (g_str_equal(name, "CanQuit") || g_str_equal(name, "CanRaise") ||
        g_str_equal(name, "HasTrackList"))
        return g_variant_new_boolean(FALSE);
    if (g_str_equal(name, "Identity"))
        return g_variant_new_string("Spotify (spotnow)");
    if (g_str_equal(name, "DesktopEntry"))
        return g_variant_new_string("io.github.spotnow.Applet");
    if (g_str_equal(name, "SupportedUriSchemes") || g_str_equal(name, "SupportedMimeTypes"))
        return g_variant_new_strv(NULL, 0);
    return NULL;
}

static GVariant *player_property(SpnMpris *self, const char *name)
{
    g_autoptr(SpnSnapshot) snapshot = presented(self);
    if (g_str_equal(name, "PlaybackStatus"))
        return g_variant_new_string(spn_mpris_playback_status(snapshot));
    if (g_str_equal(name, "Metadata"))
        return spn_mpris_metadata(snapshot);
    if (g_str_equal(name, "Position"))
        return g_variant_new_int64(spn_mpris_position_us(snapshot, now_ms()));
    if (g_str_equal(name, "Rate") || g_str_equal(name, "MinimumRate") ||
        g_str_equal(name, "MaximumRate") || g_str_equal(name, "Volume"))
        return g_variant_new_double(1.0);
    /* CanControl is constant in the specification, and the only honest constant is true: the
     * methods are always there and a refused one fails with the reason (NotSupported).
     * CanPlay and CanPause stay true without control too: GNOME Shell lists only players that
     * can play, and `playerctl metadata` prints nothing for one that cannot, so a free
     * account's phone playback would show nowhere. The other three follow the engine at once
     * (Spotify's Web API offers all of them or none); see signal_changes() for their signal. */
    if (g_str_equal(name, "CanPlay") || g_str_equal(name, "CanPause") ||
        g_str_equal(name, "CanControl"))
        return g_variant_new_boolean(TRUE);
    if (g_str_equal(name, "CanGoNext") || g_str_equal(name, "CanGoPrevious") ||
        g_str_equal(name, "CanSeek"))
        return g_variant_new_boolean(spn_engine_can_control(self->engine));
    return NULL;
}

static GVariant *get_property(SpnMpris *self, const char *interface, const char *name)
{
    if (g_str_equal(interface, ROOT_INTERFACE))
        return root_property(self, name);
    if (g_str_equal(interface, PLAYER_INTERFACE))
        return player_property(self, name);
    return NULL;
}

static GDBusInterfaceInfo *interface_info(const char *interface)
{
    if (g_str_equal(interface, ROOT_INTERFACE))
        return spn_mpris_media_player2_interface_info();
    if (g_str_equal(interface, PLAYER_INTERFACE))
        return spn_mpris_media_player2_player_interface_info();
    return NULL;
}

static void refresh_presence(SpnMpris *self)
{
    g_autoptr(GError) error = NULL;
    gboolean new_sender = FALSE;
    if (!spn_engine_report_viewer(self->engine, GETALL_SENDER, GETALL_VIEWER, &new_sender, &error))
        g_debug("GetAll not counted as a viewer: %s", error->message);
}

static void handle_get_all(SpnMpris *self, const char *interface, GDBusMethodInvocation *invocation)
{
    GDBusInterfaceInfo *info = interface_info(interface);
    if (info == NULL) {
        g_dbus_method_invocation_return_error(invocation, G_DBUS_ERROR,
                                              G_DBUS_ERROR_UNKNOWN_INTERFACE,
                                              "No such interface “%s”", interface);
        return;
    }
    GVariantBuilder builder;
    g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
    for (guint i = 0; info->properties != NULL && info->properties[i] != NULL; i++) {
        const char *name = info->properties[i]->name;
        GVariant *value = get_property(self, interface, name);
        if (value != NULL)
            g_variant_builder_add(&builder, "{sv}", name, value);
    }
    if (g_str_equal(interface, PLAYER_INTERFACE))
        refresh_presence(self);
    g_dbus_method_invocation_return_value(invocation, g_variant_new("(a{sv})", &builder));
}

/* With no get_property/set_property in the vtable, GDBus hands Get, GetAll and Set to
 * method_call: that lets a GetAll count as presence, which a per-property getter cannot see. */
static void handle_properties(SpnMpris *self, const char *method, GVariant *parameters,
                              GDBusMethodInvocation *invocation)
{
    const char *interface = NULL;
    const char *name = NULL;
    if (g_str_equal(method, "GetAll")) {
        g_variant_get(parameters, "(&s)", &interface);
        handle_get_all(self, interface, invocation);
    } else if (g_str_equal(method, "Get")) {
        g_variant_get(parameters, "(&s&s)", &interface, &name);
        GVariant *value = get_property(self, interface, name);
        if (value == NULL)
            g_dbus_method_invocation_return_error(invocation, G_DBUS_ERROR,
                                                  G_DBUS_ERROR_UNKNOWN_PROPERTY,
                                                  "No such property “%s”", name);
        else
            g_dbus_method_invocation_return_value(invocation, g_variant_new("(v)", value));
    } else if (g_str_equal(method, "Set")) {
        g_variant_get(parameters, "(&s&sv)", &interface, &name, NULL);
        /* Rate and Volume are writable in the specification, not through Spotify's player. */
        g_dbus_method_invocation_return_error(invocation, SPN_ERROR, SPN_ERROR_NOT_SUPPORTED,
                                              _("spotnow cannot change “%s”"), name);
    } else {
        g_dbus_method_invocation_return_error(invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                              "No such method “%s”", method);
    }
}

/* ---- methods ----------------------------------------------------------------------------- */

typedef struct {
    SpnMpris *self;
    GDBusMethodInvocation *invocation; /* the handler's own reference, consumed by the reply */
} Press;

/* A panel drops the error of a press it offered: the person hears why from a notification. */
static void on_control_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autofree Press *press = user_data;
    g_autoptr(SpnMpris) self = press->self;
    g_autoptr(GError) error = NULL;
    if (spn_engine_control_finish(SPN_ENGINE(source), result, &error)) {
        g_dbus_method_invocation_return_value(press->invocation, NULL);
        return;
    }
    if (self->notice != NULL)
        spn_press_notice_refused(self->notice, error);
    g_dbus_method_invocation_return_gerror(press->invocation, error);
}

/* Commands go to the engine even without control: its refusal carries the reason
 * (no scope, no Premium, signed out) that the caller's error message should show. */
static void control(SpnMpris *self, GDBusMethodInvocation *invocation, SpnControl command,
                    gint64 position_ms)
{
    Press *press = g_new0(Press, 1);
    press->self = g_object_ref(self);
    press->invocation = invocation;
    spn_engine_control(self->engine, command, position_ms, NULL, on_control_done, press);
}

static void handle_seek(SpnMpris *self, GVariant *parameters, GDBusMethodInvocation *invocation)
{
    gint64 offset_us = 0;
    g_variant_get(parameters, "(x)", &offset_us);
    const SpnSnapshot *snapshot = spn_engine_get_snapshot(self->engine);
    gint64 current = spn_snapshot_predicted_progress(snapshot, now_ms());
    gint64 target = current + offset_us / 1000; /* both far from overflow: ms and µs/1000 */
    /* The specification: before the start seeks to 0, past the end acts like Next. */
    if (snapshot->duration_ms > 0 && target > snapshot->duration_ms)
        control(self, invocation, SPN_CONTROL_NEXT, 0);
    else
        control(self, invocation, SPN_CONTROL_SEEK, MAX(target, 0));
}

static void handle_set_position(SpnMpris *self, GVariant *parameters,
                                GDBusMethodInvocation *invocation)
{
    const char *track_id = NULL;
    gint64 position_us = 0;
    g_variant_get(parameters, "(&ox)", &track_id, &position_us);
    const SpnSnapshot *snapshot = spn_engine_get_snapshot(self->engine);
    g_autofree char *current = spn_mpris_track_id(snapshot);
    /* A stale TrackId (the track changed meanwhile) or a position outside the item is a no-op,
     * as the specification asks: the caller meant another item. */
    if (!g_str_equal(track_id, current) || g_str_equal(current, SPN_MPRIS_NO_TRACK) ||
        position_us < 0 || position_us / 1000 > snapshot->duration_ms) {
        g_debug("SetPosition(%s, %" G_GINT64_FORMAT ") ignored: current item is %s", track_id,
                position_us, current);
        g_dbus_method_invocation_return_value(invocation, NULL);
        return;
    }
    control(self, invocation, SPN_CONTROL_SEEK, position_us / 1000);
}

static void handle_player_method(SpnMpris *self, const char *method, GVariant *parameters,
                                 GDBusMethodInvocation *invocation)
{
    if (g_str_equal(method, "Play")) {
        control(self, invocation, SPN_CONTROL_PLAY, 0);
    } else if (g_str_equal(method, "Pause") || g_str_equal(method, "Stop")) {
        /* Spotify has no stop; pausing keeps the item, which is what a panel's stop means. */
        control(self, invocation, SPN_CONTROL_PAUSE, 0);
    } else if (g_str_equal(method, "PlayPause")) {
        g_autoptr(SpnSnapshot) snapshot = presented(self);
        control(self, invocation, snapshot->is_playing ? SPN_CONTROL_PAUSE : SPN_CONTROL_PLAY, 0);
    } else if (g_str_equal(method, "Next")) {
        control(self, invocation, SPN_CONTROL_NEXT, 0);
    } else if (g_str_equal(method, "Previous")) {
        control(self, invocation, SPN_CONTROL_PREVIOUS, 0);
    } else if (g_str_equal(method, "Seek")) {
        handle_seek(self, parameters, invocation);
    } else if (g_str_equal(method, "SetPosition")) {
        handle_set_position(self, parameters, invocation);
    } else if (g_str_equal(method, "OpenUri")) {
        g_dbus_method_invocation_return_error(invocation, SPN_ERROR, SPN_ERROR_NOT_SUPPORTED,
                                              _("spotnow cannot open URIs"));
    } else {
        g_dbus_method_invocation_return_error(invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                              "No such method “%s”", method);
    }
}

static void method_call(GDBusConnection *connection, const char *sender, const char *object_path,
                        const char *interface, const char *method, GVariant *parameters,
                        GDBusMethodInvocation *invocation, gpointer user_data)
{
    SpnMpris *self = user_data;
    if (g_str_equal(interface, PROPERTIES_INTERFACE))
        handle_properties(self, method, parameters, invocation);
    else if (g_str_equal(interface, PLAYER_INTERFACE))
        handle_player_method(self, method, parameters, invocation);
    else /* Raise and Quit: CanRaise and CanQuit are false, so they do nothing. */
        g_dbus_method_invocation_return_value(invocation, NULL);
}

static const GDBusInterfaceVTable vtable = {.method_call = method_call};

/* ---- signals ------------------------------------------------------------------------------ */

static void remember_state(SpnMpris *self)
{
    g_autoptr(SpnSnapshot) snapshot = presented(self);
    g_free(self->status);
    self->status = g_strdup(spn_mpris_playback_status(snapshot));
    g_clear_pointer(&self->metadata, g_variant_unref);
    self->metadata = g_variant_ref_sink(spn_mpris_metadata(snapshot));
}

/* playerctld makes whichever player sends any signal the active one (the one `playerctl` and
 * media keys act on): PropertiesChanged goes out only for a property whose value differs from
 * what clients last saw, never for a mere poll. Losing or regaining control (no Premium, a
 * revoked sign-in) is no playback activity, so it never sends a signal of its own, which would
 * take the focus from the player the person used last: Get and GetAll tell the new CanGoNext,
 * CanGoPrevious and CanSeek at once, and the next PropertiesChanged that goes out for a real
 * change carries them to clients that cache properties. (A sign-in that ends while the player
 * shows Playing is such a change: "last played" is Paused, and panels must not go on showing a
 * song that plays for ever.) */
static void signal_changes(SpnMpris *self)
{
    g_autofree char *old_status = g_steal_pointer(&self->status);
    g_autoptr(GVariant) old_metadata = g_steal_pointer(&self->metadata);
    remember_state(self);
    if (!is_exported(self)) {
        self->told_can_control = spn_engine_can_control(self->engine);
        return;
    }

    GVariantBuilder changed;
    g_variant_builder_init(&changed, G_VARIANT_TYPE_VARDICT);
    gboolean any = FALSE;
    if (g_strcmp0(old_status, self->status) != 0) {
        g_variant_builder_add(&changed, "{sv}", "PlaybackStatus",
                              g_variant_new_string(self->status));
        any = TRUE;
    }
    if (old_metadata == NULL || !g_variant_equal(old_metadata, self->metadata)) {
        g_variant_builder_add(&changed, "{sv}", "Metadata", self->metadata);
        any = TRUE;
    }
    if (!any) {
        g_variant_builder_clear(&changed);
        return;
    }
    gboolean can_control = spn_engine_can_control(self->engine);
    if (can_control != self->told_can_control) {
        static const char *const follow_control[] = {"CanGoNext", "CanGoPrevious", "CanSeek"};
        for (gsize i = 0; i < G_N_ELEMENTS(follow_control); i++)
            g_variant_builder_add(&changed, "{sv}", follow_control[i],
                                  g_variant_new_boolean(can_control));
        self->told_can_control = can_control;
    }
    g_debug("PropertiesChanged: %s", self->status);
    g_autoptr(GError) error = NULL;
    if (!g_dbus_connection_emit_signal(
            self->connection, NULL, SPN_MPRIS_OBJECT_PATH, PROPERTIES_INTERFACE,
            "PropertiesChanged", g_variant_new("(sa{sv}as)", PLAYER_INTERFACE, &changed, NULL),
            &error))
        g_debug("cannot emit PropertiesChanged: %s", error->message);
}

static void on_changed(SpnEngine *engine, GVariant *snapshot_variant, gpointer user_data)
{
    signal_changes(user_data);
}

/* Signing out (or a revoked sign-in) turns a playing snapshot into "last played". */
static void on_status_changed(SpnEngine *engine, GVariant *status, gpointer user_data)
{
    signal_changes(user_data);
}

static void on_seeked(SpnEngine *engine, gint64 progress_ms, gpointer user_data)
{
    SpnMpris *self = user_data;
    if (!is_exported(self))
        return;
    g_autoptr(SpnSnapshot) snapshot = presented(self);
    gint64 position = spn_mpris_position_us(snapshot, now_ms());
    g_autoptr(GError) error = NULL;
    if (!g_dbus_connection_emit_signal(self->connection, NULL, SPN_MPRIS_OBJECT_PATH,
                                       PLAYER_INTERFACE, "Seeked", g_variant_new("(x)", position),
                                       &error))
        g_debug("cannot emit Seeked: %s", error->message);
}

/* ---- on and off the bus ------------------------------------------------------------------- */

static void on_name_acquired(GDBusConnection *connection, const char *name, gpointer user_data)
{
    g_debug("owns %s", name);
    set_on_bus(user_data, TRUE);
}

static void on_name_lost(GDBusConnection *connection, const char *name, gpointer user_data)
{
    /* Taken over (a newer spotnowd --replace) or the bus is gone: panels no longer see us. */
    g_debug("does not own %s", name);
    set_on_bus(user_data, FALSE);
}

static void unexport(SpnMpris *self)
{
    if (self->owner_id != 0) {
        g_bus_unown_name(self->owner_id);
        self->owner_id = 0;
    }
    if (self->player_id != 0) {
        g_dbus_connection_unregister_object(self->connection, self->player_id);
        self->player_id = 0;
    }
    if (self->root_id != 0) {
        g_dbus_connection_unregister_object(self->connection, self->root_id);
        self->root_id = 0;
    }
    set_on_bus(self, FALSE);
}

/* Objects first, name second: whoever sees the name finds the player ready. */
static void export(SpnMpris *self)
{
    g_autoptr(GError) error = NULL;
    remember_state(self);
    self->told_can_control = spn_engine_can_control(self->engine);
    self->root_id = g_dbus_connection_register_object(self->connection, SPN_MPRIS_OBJECT_PATH,
                                                      spn_mpris_media_player2_interface_info(),
                                                      &vtable, self, NULL, &error);
    if (self->root_id != 0)
        self->player_id = g_dbus_connection_register_object(
            self->connection, SPN_MPRIS_OBJECT_PATH,
            spn_mpris_media_player2_player_interface_info(), &vtable, self, NULL, &error);
    if (self->player_id == 0) {
        g_warning("cannot export the MPRIS player: %s", error->message);
        unexport(self);
        return;
    }
    g_debug("exporting the MPRIS player (control %s)",
            self->told_can_control ? "allowed" : "refused");
    self->owner_id = g_bus_own_name_on_connection(
        self->connection, SPN_MPRIS_BUS_NAME,
        G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT | G_BUS_NAME_OWNER_FLAGS_REPLACE, on_name_acquired,
        on_name_lost, self, NULL);
}

static void update_export(SpnMpris *self)
{
    gboolean want = self->connection != NULL &&
                    (!self->hide_when_local || (self->local_known && !self->local_present));
    if (want && !is_exported(self))
        export(self);
    else if (!want && is_exported(self))
        unexport(self);
}

/* The name stays on the bus: playerctld takes a name that reappears for the player just
 * started, so leaving and coming back would take the focus just as a signal would. */
static void on_control_changed(SpnEngine *engine, gpointer user_data)
{
    g_debug("control %s: CanGoNext, CanGoPrevious and CanSeek follow, no signal of its own",
            spn_engine_can_control(engine) ? "allowed" : "refused");
}

static void on_local_appeared(GDBusConnection *connection, const char *name, const char *owner,
                              gpointer user_data)
{
    SpnMpris *self = user_data;
    g_debug("the local Spotify client is on the bus: stepping off");
    self->local_known = TRUE;
    self->local_present = TRUE;
    update_export(self);
}

static void on_local_vanished(GDBusConnection *connection, const char *name, gpointer user_data)
{
    SpnMpris *self = user_data;
    if (self->local_present)
        g_debug("the local Spotify client left the bus: coming back");
    self->local_known = TRUE;
    self->local_present = FALSE;
    update_export(self);
}

void spn_mpris_start(SpnMpris *self, GDBusConnection *connection)
{
    g_return_if_fail(SPN_IS_MPRIS(self));
    g_return_if_fail(self->connection == NULL);
    self->connection = g_object_ref(connection);
    self->notice = spn_press_notice_new(connection);
    /* With hide-when-local, wait for the watch's first answer, so a panel never shows us for
     * the instant before we learn the local client is there. */
    if (self->hide_when_local)
        self->local_watch = g_bus_watch_name_on_connection(
            connection, SPN_MPRIS_LOCAL_SPOTIFY, G_BUS_NAME_WATCHER_FLAGS_NONE, on_local_appeared,
            on_local_vanished, self, NULL);
    update_export(self);
}

void spn_mpris_stop(SpnMpris *self)
{
    g_return_if_fail(SPN_IS_MPRIS(self));
    if (self->local_watch != 0) {
        g_bus_unwatch_name(self->local_watch);
        self->local_watch = 0;
    }
    unexport(self);
    g_clear_pointer(&self->notice, spn_press_notice_free);
    g_clear_object(&self->connection);
}

gboolean spn_mpris_get_on_bus(SpnMpris *self)
{
    g_return_val_if_fail(SPN_IS_MPRIS(self), FALSE);
    return self->on_bus;
}

SpnMpris *spn_mpris_new(SpnEngine *engine, gboolean hide_when_local)
{
    SpnMpris *self = g_object_new(SPN_TYPE_MPRIS, NULL);
    self->engine = g_object_ref(engine);
    self->hide_when_local = hide_when_local;
    remember_state(self);
    g_signal_connect_object(engine, "changed", G_CALLBACK(on_changed), self, 0);
    g_signal_connect_object(engine, "seeked", G_CALLBACK(on_seeked), self, 0);
    g_signal_connect_object(engine, "status-changed", G_CALLBACK(on_status_changed), self, 0);
    g_signal_connect_object(engine, "control-changed", G_CALLBACK(on_control_changed), self, 0);
    return self;
}

static void spn_mpris_dispose(GObject *object)
{
    SpnMpris *self = SPN_MPRIS(object);
    if (self->connection != NULL)
        spn_mpris_stop(self);
    g_clear_object(&self->engine);
    G_OBJECT_CLASS(spn_mpris_parent_class)->dispose(object);
}

static void spn_mpris_finalize(GObject *object)
{
    SpnMpris *self = SPN_MPRIS(object);
    g_free(self->status);
    g_clear_pointer(&self->metadata, g_variant_unref);
    G_OBJECT_CLASS(spn_mpris_parent_class)->finalize(object);
}

static void spn_mpris_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
    switch (prop_id) {
        case PROP_ON_BUS:
            g_value_set_boolean(value, SPN_MPRIS(object)->on_bus);
            break;
        default:
            G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void spn_mpris_class_init(SpnMprisClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    object_class->dispose = spn_mpris_dispose;
    object_class->finalize = spn_mpris_finalize;
    object_class->get_property = spn_mpris_get_property;
    props[PROP_ON_BUS] =
        g_param_spec_boolean("on-bus", NULL, NULL, FALSE,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, props);
}

static void spn_mpris_init(SpnMpris *self)
{
}
