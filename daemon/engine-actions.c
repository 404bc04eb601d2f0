/* engine-actions.c — what a person asks of the engine: sign in or out, and control playback.
 * Both ride on the engine's one request chain (engine.c), so a command never races a poll's
 * token refresh. */
#define G_LOG_DOMAIN "spotnow-engine"

#include <glib/gi18n.h>

#include "engine-private.h"
#include "spn-error.h"

/* ---- player commands -------------------------------------------------------------------- */

typedef struct {
    const char *method;
    char *path;
} Command;

static void command_free(Command *command)
{
    g_free(command->path);
    g_free(command);
}

gboolean spn_engine_can_control(SpnEngine *self)
{
    return engine_can_poll(self) && !self->control_forbidden &&
           spn_credentials_has_scope(self->credentials, "user-modify-playback-state");
}

static void on_command_done(SpnPoll *poll, const SpnPollOutcome *outcome, gpointer user_data)
{
    SpnEngine *self = user_data;
    g_autoptr(GTask) task = g_queue_pop_head(&self->commands);
    gboolean was_backing_off = self->poll_state.backoff_until > 0;
    engine_absorb_outcome(self, outcome, engine_now_ms());
    switch (outcome->kind) {
        case SPN_POLL_OK:
            /* Answered once the poll below has fetched the new state: `spotnow pause && spotnow`
             * then shows it paused. */
            g_ptr_array_add(self->settling, g_steal_pointer(&task));
            break;
        case SPN_POLL_FORBIDDEN:
            self->control_forbidden = TRUE;
            g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_NOT_SUPPORTED,
                                    _("Spotify refused the command (%s): control needs "
                                      "Premium and a device that accepts it"),
                                    outcome->message);
            break;
        case SPN_POLL_REFUSED:
            /* This command, now (already paused, nothing next): control itself stays. */
            g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_NOT_SUPPORTED,
                                    _("Spotify refused the command (%s)"), outcome->message);
            break;
        case SPN_POLL_RATE_LIMITED:
            g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_RATE_LIMITED, "%s",
                                    outcome->message);
            break;
        case SPN_POLL_REVOKED:
            g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_SIGNED_OUT, "%s", outcome->message);
            break;
        case SPN_POLL_FAILED:
            g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_UPSTREAM, "%s", outcome->message);
            break;
    }
    if (was_backing_off != (self->poll_state.backoff_until > 0))
        engine_save_state(self);
    /* The command worked: poll once so its effect shows at once. */
    engine_chain_finished(self, outcome->kind == SPN_POLL_OK);
}

void engine_run_next_command(SpnEngine *self)
{
    if (spn_poll_is_running(self->poll) || g_queue_is_empty(&self->commands))
        return;
    GTask *task = g_queue_peek_head(&self->commands);
    Command *command = g_task_get_task_data(task);
    g_clear_handle_id(&self->poll_source, g_source_remove);
    self->next_poll_at = 0;
    spn_poll_run(self->poll, self->credentials, self->snapshot, command->method, command->path,
                 on_command_done, self);
}

static gboolean refuse_command(SpnEngine *self, GTask *task)
{
    if (!engine_can_poll(self)) {
        g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_SIGNED_OUT,
                                _("Not signed in to Spotify; run “spotnow login”"));
        return TRUE;
    }
    if (!spn_engine_can_control(self)) {
        g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_NOT_SUPPORTED, "%s",
                                self->control_forbidden
                                    ? _("Spotify refused control before: it needs Premium and a "
                                        "device that accepts commands")
                                    : _("Control needs the user-modify-playback-state scope: "
                                        "sign in again with “spotnow login”"));
        return TRUE;
    }
    if (self->poll_state.backoff_until > engine_now_ms()) {
        g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_RATE_LIMITED,
                                _("Spotify asked to wait (%s); try again later"),
                                self->last_error ? self->last_error : "");
        return TRUE;
    }
    return FALSE;
}

void spn_engine_control(SpnEngine *self, SpnControl control, gint64 position_ms,
                        GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, spn_engine_control);
    if (refuse_command(self, task)) {
        g_object_unref(task);
        return;
    }
    Command *command = g_new0(Command, 1);
    switch (control) {
        case SPN_CONTROL_PLAY:
            command->method = "PUT";
            command->path = g_strdup("/v1/me/player/play");
            break;
        case SPN_CONTROL_PAUSE:
            command->method = "PUT";
            command->path = g_strdup("/v1/me/player/pause");
            break;
        case SPN_CONTROL_NEXT:
            command->method = "POST";
            command->path = g_strdup("/v1/me/player/next");
            break;
        case SPN_CONTROL_PREVIOUS:
            command->method = "POST";
            command->path = g_strdup("/v1/me/player/previous");
            break;
        case SPN_CONTROL_SEEK:
            command->method = "PUT";
            command->path = g_strdup_printf("/v1/me/player/seek?position_ms=%" G_GINT64_FORMAT,
                                            MAX(position_ms, 0));
            break;
    }
    g_task_set_task_data(task, command, (GDestroyNotify)command_free);
    g_queue_push_tail(&self->commands, task);
    engine_run_next_command(self);
}

gboolean spn_engine_control_finish(SpnEngine *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}

/* ---- sign-in ---------------------------------------------------------------------------- */

/* New credentials make any poll in flight moot: its callers get the cache now and the next
 * poll uses the new tokens. */
static void abandon_poll(SpnEngine *self)
{
    if (!spn_poll_is_running(self->poll))
        return;
    spn_poll_cancel(self->poll);
    engine_answer_waiters(self);
}

void engine_on_signed_in(SpnSignIn *sign_in, SpnCredentials *credentials, gpointer user_data)
{
    SpnEngine *self = user_data;
    abandon_poll(self);
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
    engine_start_poll(self);
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
    abandon_poll(self);
    g_clear_pointer(&self->credentials, spn_credentials_free);
    self->poll_state.failures = 0;
    self->poll_state.backoff_until = 0;
    engine_set_last_error(self, NULL);
    engine_maybe_emit_status_changed(self);
    engine_maybe_emit_control_changed(self);
    engine_reschedule(self);
    g_autoptr(GError) local_error = NULL;
    if (!spn_store_delete_credentials(self->state_dir, &local_error)) {
        g_set_error(error, SPN_ERROR, SPN_ERROR_UPSTREAM,
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
