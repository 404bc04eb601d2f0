/* engine-actions.c — what a person asks of the engine: sign in or out, and control playback.
 * Both ride on the engine's one request chain (engine.c), so a command never races a poll's
 * token refresh. */
#define G_LOG_DOMAIN "spotnow-engine"

#include <glib/gi18n.h>

#include "engine-private.h"
#include "spn-error.h"

/* ---- player commands -------------------------------------------------------------------- */

gboolean spn_engine_can_control(SpnEngine *self)
{
    return engine_can_poll(self) && !self->control_forbidden &&
           spn_credentials_has_scope(self->credentials, "user-modify-playback-state");
}

static GError *refusal(SpnEngine *self)
{
    if (!engine_can_poll(self))
        return g_error_new_literal(SPN_ERROR, SPN_ERROR_SIGNED_OUT,
                                   _("Not signed in to Spotify; run “spotnow login”"));
    if (!spn_engine_can_control(self))
        return g_error_new_literal(SPN_ERROR, SPN_ERROR_NOT_SUPPORTED,
                                   self->control_forbidden
                                       ? _("Spotify refused control before: it needs Premium "
                                           "and a device that accepts commands; sign in again "
                                           "to retry")
                                       : _("Control needs the user-modify-playback-state scope: "
                                           "sign in again with “spotnow login”"));
    /* The quota, a back-off or the budget: the command would cost a request that may not go. */
    return engine_held_back(self, SPN_SPEND_ENSURE_FRESH);
}

static char *command_path(SpnControl control, gint64 position_ms, const char **method)
{
    switch (control) {
        case SPN_CONTROL_PLAY:
            *method = "PUT";
            return g_strdup("/v1/me/player/play");
        case SPN_CONTROL_PAUSE:
            *method = "PUT";
            return g_strdup("/v1/me/player/pause");
        case SPN_CONTROL_NEXT:
            *method = "POST";
            return g_strdup("/v1/me/player/next");
        case SPN_CONTROL_PREVIOUS:
            *method = "POST";
            return g_strdup("/v1/me/player/previous");
        case SPN_CONTROL_SEEK:
            *method = "PUT";
            return g_strdup_printf("/v1/me/player/seek?position_ms=%" G_GINT64_FORMAT,
                                   MAX(position_ms, 0));
    }
    g_assert_not_reached();
}

void spn_engine_control(SpnEngine *self, SpnControl control, gint64 position_ms,
                        GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, spn_engine_control);
    GError *error = refusal(self);
    if (error != NULL) {
        g_task_return_error(task, error);
        g_object_unref(task);
        return;
    }
    const char *method = NULL;
    g_autofree char *path = command_path(control, position_ms, &method);
    spn_requests_add_command(self->requests, task, method, path);
    engine_next(self, FALSE, SPN_SPEND_ENSURE_FRESH);
}

gboolean spn_engine_control_finish(SpnEngine *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}

/* ---- sign-in ---------------------------------------------------------------------------- */

/* New credentials, or none, make everything pending moot: a poll's callers get the cache now,
 * and a command asked of the old account is answered and never sent (again) later. */
static void abandon_requests(SpnEngine *self)
{
    engine_abort_requests(self, _("The sign-in changed before the command was sent; nothing was "
                                  "sent, try again"));
}

void engine_on_signed_in(SpnSignIn *sign_in, SpnCredentials *credentials, gpointer user_data)
{
    SpnEngine *self = user_data;
    abandon_requests(self);
    spn_credentials_free(self->credentials);
    self->credentials = spn_credentials_copy(credentials);
    self->credentials->revoked = FALSE;
    self->control_forbidden = FALSE;
    engine_save_credentials(self);
    self->poll_state.failures = 0;
    self->poll_state.backoff_until = 0;
    engine_set_last_error(self, NULL);
    /* Signing in again while signed in changes no status field, yet whoever waits for the
     * sign-in (spotnow login) must hear of it. */
    g_clear_pointer(&self->status_signature, g_free);
    engine_maybe_emit_status_changed(self);
    engine_maybe_emit_control_changed(self);
    engine_start_poll(self, SPN_SPEND_ENSURE_FRESH);
}

/* A sign-in that failed at the browser's callback has no D-Bus caller to tell: the error
 * state says it, so `spotnow login` and `spotnow status` can. */
void engine_on_sign_in_failed(SpnSignIn *sign_in, const char *message, gpointer user_data)
{
    SpnEngine *self = user_data;
    g_autofree char *error = g_strdup_printf(_("Sign-in failed: %s"), message);
    engine_set_last_error(self, error);
    engine_maybe_emit_status_changed(self);
}

char *spn_engine_begin_sign_in(SpnEngine *self, const char *sender, GError **error)
{
    char *url = spn_sign_in_begin(self->sign_in, sender, error);
    engine_maybe_emit_status_changed(self);
    return url;
}

void spn_engine_cancel_sign_in(SpnEngine *self, const char *sender)
{
    gboolean cancelled = sender != NULL ? spn_sign_in_cancel_owned_by(self->sign_in, sender)
                                        : spn_sign_in_cancel(self->sign_in);
    if (cancelled)
        engine_maybe_emit_status_changed(self);
}

static void on_sign_in_completed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    GError *error = NULL;
    if (spn_sign_in_complete_finish(SPN_SIGN_IN(source), result, &error)) {
        g_task_return_boolean(task, TRUE);
        return;
    }
    /* The caller hears why; the status only that the flow may have ended. */
    engine_maybe_emit_status_changed(g_task_get_source_object(task));
    g_task_return_error(task, error);
}

void spn_engine_complete_sign_in(SpnEngine *self, const char *redirected_url,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data)
{
    GTask *task = g_task_new(self, cancellable, callback, user_data);
    spn_sign_in_complete(self->sign_in, redirected_url, cancellable, on_sign_in_completed, task);
}

gboolean spn_engine_complete_sign_in_finish(SpnEngine *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}

gboolean spn_engine_sign_out(SpnEngine *self, GError **error)
{
    /* Signing out means no account: a sign-in waiting for its browser must not bring one. */
    spn_sign_in_cancel(self->sign_in);
    g_clear_pointer(&self->credentials, spn_credentials_free);
    abandon_requests(self);
    self->poll_state.failures = 0;
    self->poll_state.backoff_until = 0;
    engine_set_last_error(self, NULL);
    engine_maybe_emit_status_changed(self);
    engine_maybe_emit_control_changed(self);
    engine_reschedule(self);
    g_autoptr(GError) local_error = NULL;
    if (!spn_store_delete_credentials(self->state_dir, &local_error)) {
        /* A local disk problem, not Spotify's: the generic D-Bus failure says so honestly. */
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
                    _("Signed out, but the credentials file could not be deleted: %s"),
                    local_error->message);
        return FALSE;
    }
    return TRUE;
}

gboolean spn_engine_has_scope(SpnEngine *self, const char *scope)
{
    return self->credentials != NULL && spn_credentials_has_scope(self->credentials, scope);
}
