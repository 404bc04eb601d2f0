/* applet-control.c — the menu's playback section (see applet-control.h). */
#define G_LOG_DOMAIN "spotnow-applet-control"

#include "applet-control.h"

#include <glib/gi18n.h>

#include "applet-state.h"

#define ERROR_NOT_SUPPORTED "io.github.spotnow.Error.NotSupported"

struct _SpnAppletControl {
    GActionMap *actions;
    GMenu *section;
    SpnAppletClient *client;
    GCancellable *cancellable; /* commands in flight; cancelled with the control */
    char *refusal;             /* the daemon's reason control is off, until the next sign-in */
    char *auth_state;          /* to notice the next sign-in */
    char *shown;               /* the section's signature: rebuilt only when it changes */
};

static gboolean is_playing(SpnAppletControl *self)
{
    GVariant *snapshot = spn_applet_client_get_snapshot(self->client);
    gboolean playing = FALSE;
    if (snapshot != NULL)
        g_variant_lookup(snapshot, "isPlaying", "b", &playing);
    return playing;
}

static void on_command_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GError) error = NULL;
    if (spn_applet_client_control_finish(SPN_APPLET_CLIENT(source), result, &error))
        return;
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    SpnAppletControl *self = user_data;
    g_autofree char *remote = g_dbus_error_get_remote_error(error);
    g_dbus_error_strip_remote_error(error);
    if (g_strcmp0(remote, ERROR_NOT_SUPPORTED) == 0) {
        /* Shown in the menu, where the press was made, not only in a log. */
        g_free(self->refusal);
        self->refusal = g_strdup(error->message);
        spn_applet_control_update(self);
    } else {
        g_message("playback command failed: %s", error->message);
    }
}

static void run(SpnAppletControl *self, const char *method)
{
    spn_applet_client_control(self->client, method, on_command_done, self);
}

static void action_play_pause(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    SpnAppletControl *self = user_data;
    run(self, is_playing(self) ? "Pause" : "Play");
}

static void action_next(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    run(user_data, "Next");
}

static void action_previous(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    run(user_data, "Previous");
}

static const GActionEntry control_actions[] = {
    {"play-pause", action_play_pause, NULL, NULL, NULL, {0}},
    {"next", action_next, NULL, NULL, NULL, {0}},
    {"previous", action_previous, NULL, NULL, NULL, {0}},
    /* Never enabled: a greyed item whose label is the reason. */
    {"control-off", NULL, NULL, NULL, NULL, {0}},
};

static void set_enabled(SpnAppletControl *self, const char *name, gboolean enabled)
{
    GAction *action = g_action_map_lookup_action(self->actions, name);
    g_simple_action_set_enabled(G_SIMPLE_ACTION(action), enabled);
}

SpnAppletControl *spn_applet_control_new(GActionMap *actions, GMenu *menu, SpnAppletClient *client)
{
    SpnAppletControl *self = g_new0(SpnAppletControl, 1);
    self->actions = actions;
    self->client = g_object_ref(client);
    self->section = g_menu_new();
    self->cancellable = g_cancellable_new();
    g_action_map_add_action_entries(actions, control_actions, G_N_ELEMENTS(control_actions), self);
    set_enabled(self, "control-off", FALSE);
    g_menu_prepend_section(menu, NULL, G_MENU_MODEL(self->section));
    spn_applet_control_update(self);
    return self;
}

void spn_applet_control_free(SpnAppletControl *self)
{
    if (self == NULL)
        return;
    g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
    for (gsize i = 0; i < G_N_ELEMENTS(control_actions); i++)
        g_action_map_remove_action(self->actions, control_actions[i].name);
    g_clear_object(&self->section);
    g_clear_object(&self->client);
    g_free(self->refusal);
    g_free(self->auth_state);
    g_free(self->shown);
    g_free(self);
}

void spn_applet_control_update(SpnAppletControl *self)
{
    GVariant *status = spn_applet_client_get_status(self->client);
    const char *auth = "";
    if (status != NULL)
        g_variant_lookup(status, "authState", "&s", &auth);
    /* A new sign-in may grant control again (Premium bought, the scope granted). */
    if (g_strcmp0(auth, self->auth_state) != 0) {
        if (g_str_equal(auth, "signed-in"))
            g_clear_pointer(&self->refusal, g_free);
        g_free(self->auth_state);
        self->auth_state = g_strdup(auth);
    }
    g_autofree char *reason = spn_applet_control_reason(spn_applet_client_get_daemon(self->client),
                                                        status, self->refusal);
    gboolean playing = is_playing(self);
    for (gsize i = 0; i < 3; i++)
        set_enabled(self, control_actions[i].name, reason == NULL);

    g_autofree char *shown = g_strdup_printf("%d\n%s", playing, reason != NULL ? reason : "");
    if (g_strcmp0(shown, self->shown) == 0)
        return;
    g_free(self->shown);
    self->shown = g_steal_pointer(&shown);
    g_menu_remove_all(self->section);
    g_menu_append(self->section, playing ? _("_Pause") : _("_Play"), "win.play-pause");
    g_menu_append(self->section, _("_Next"), "win.next");
    g_menu_append(self->section, _("P_revious"), "win.previous");
    if (reason != NULL)
        g_menu_append(self->section, reason, "win.control-off");
}

void spn_applet_control_describe(SpnAppletControl *self, GString *out)
{
    int n = g_menu_model_get_n_items(G_MENU_MODEL(self->section));
    for (int i = 0; i < n; i++) {
        g_autofree char *label = NULL;
        g_autofree char *action = NULL;
        g_menu_model_get_item_attribute(G_MENU_MODEL(self->section), i, G_MENU_ATTRIBUTE_LABEL, "s",
                                        &label);
        g_menu_model_get_item_attribute(G_MENU_MODEL(self->section), i, G_MENU_ATTRIBUTE_ACTION,
                                        "s", &action);
        GAction *found = action != NULL && g_str_has_prefix(action, "win.")
                             ? g_action_map_lookup_action(self->actions, action + 4)
                             : NULL;
        g_string_append_printf(
            out, "menu %s\t%s\n", label != NULL ? label : "",
            found != NULL && g_action_get_enabled(found) ? "enabled" : "disabled");
    }
}
