/* requests.c — the request chain's queue and its callers. */
#define G_LOG_DOMAIN "spotnow-requests"

#include "requests.h"

#include <glib/gi18n.h>

#include "spn-error.h"

typedef struct {
    const char *method;
    char *path;
} Command;

static void command_free(Command *command)
{
    g_free(command->path);
    g_free(command);
}

struct _SpnRequests {
    GObject parent_instance;
    SpnPoll *poll;
    SpnRequestsDoneFunc done;
    gpointer done_data;
    GPtrArray *waiters;  /* EnsureFresh GTasks, for the next poll */
    GQueue commands;     /* command GTasks; the head is in flight when command_running */
    GPtrArray *settling; /* command GTasks Spotify took, answered after the next poll */
    gboolean command_running;
};

G_DEFINE_TYPE(SpnRequests, spn_requests, G_TYPE_OBJECT)

gboolean spn_requests_is_busy(SpnRequests *self)
{
    return spn_poll_is_running(self->poll);
}

gboolean spn_requests_has_waiters(SpnRequests *self)
{
    return self->waiters->len > 0 || self->settling->len > 0;
}

gboolean spn_requests_has_command(SpnRequests *self)
{
    return !g_queue_is_empty(&self->commands);
}

void spn_requests_add_waiter(SpnRequests *self, GTask *task)
{
    g_ptr_array_add(self->waiters, task);
}

void spn_requests_add_command(SpnRequests *self, GTask *task, const char *method, const char *path)
{
    Command *command = g_new0(Command, 1);
    command->method = method;
    command->path = g_strdup(path);
    g_task_set_task_data(task, command, (GDestroyNotify)command_free);
    g_queue_push_tail(&self->commands, task);
}

/* What a command's outcome tells its caller. */
static void answer_command(SpnRequests *self, GTask *task, const SpnPollOutcome *outcome)
{
    switch (outcome->kind) {
        case SPN_POLL_OK:
            /* Answered once the poll after it has fetched the new state: `spotnow pause &&
             * spotnow` then shows it paused. */
            g_ptr_array_add(self->settling, g_object_ref(task));
            return;
        case SPN_POLL_FORBIDDEN:
            g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_NOT_SUPPORTED,
                                    _("Spotify refused the command (%s): control needs Premium "
                                      "and a device that accepts it; control stays off until "
                                      "the next sign-in"),
                                    outcome->message);
            return;
        case SPN_POLL_REFUSED:
            /* This command, now (already paused, nothing next): control itself stays. */
            g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_NOT_SUPPORTED,
                                    _("Spotify refused the command (%s)"), outcome->message);
            return;
        case SPN_POLL_RATE_LIMITED:
        case SPN_POLL_QUOTA:
            g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_RATE_LIMITED, "%s",
                                    outcome->message);
            return;
        case SPN_POLL_REVOKED:
            g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_SIGNED_OUT, "%s", outcome->message);
            return;
        case SPN_POLL_FAILED:
            g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_UPSTREAM, "%s", outcome->message);
            return;
    }
}

static void on_command_done(SpnPoll *poll, const SpnPollOutcome *outcome, gpointer user_data)
{
    SpnRequests *self = user_data;
    self->command_running = FALSE;
    g_autoptr(GTask) task = g_queue_pop_head(&self->commands);
    /* Answered first: a success joins the settling commands that the poll the engine starts
     * next answers. */
    answer_command(self, task, outcome);
    self->done(outcome, TRUE, self->done_data);
}

static void on_poll_done(SpnPoll *poll, const SpnPollOutcome *outcome, gpointer user_data)
{
    SpnRequests *self = user_data;
    self->done(outcome, FALSE, self->done_data);
}

void spn_requests_run_command(SpnRequests *self, const SpnCredentials *credentials,
                              const SpnSnapshot *snapshot)
{
    g_return_if_fail(!spn_requests_is_busy(self));
    GTask *task = g_queue_peek_head(&self->commands);
    g_return_if_fail(task != NULL);
    Command *command = g_task_get_task_data(task);
    self->command_running = TRUE;
    spn_poll_run(self->poll, credentials, snapshot, command->method, command->path, on_command_done,
                 self);
}

void spn_requests_run_poll(SpnRequests *self, const SpnCredentials *credentials,
                           const SpnSnapshot *snapshot)
{
    g_return_if_fail(!spn_requests_is_busy(self));
    spn_poll_run(self->poll, credentials, snapshot, NULL, NULL, on_poll_done, self);
}

void spn_requests_settle(SpnRequests *self, GVariant *snapshot, const GError *error)
{
    /* The commands' own outcome is known already: they succeeded, whatever this poll found. */
    g_autoptr(GPtrArray) settling = g_steal_pointer(&self->settling);
    self->settling = g_ptr_array_new_with_free_func(g_object_unref);
    for (guint i = 0; i < settling->len; i++)
        g_task_return_boolean(g_ptr_array_index(settling, i), TRUE);

    g_autoptr(GPtrArray) waiters = g_steal_pointer(&self->waiters);
    self->waiters = g_ptr_array_new_with_free_func(g_object_unref);
    for (guint i = 0; i < waiters->len; i++) {
        GTask *task = g_ptr_array_index(waiters, i);
        if (error != NULL)
            g_task_return_error(task, g_error_copy(error));
        else
            g_task_return_pointer(task, g_variant_ref(snapshot), (GDestroyNotify)g_variant_unref);
    }
}

void spn_requests_fail_commands(SpnRequests *self, const GError *error)
{
    /* The head is in flight while a command runs: its reply answers it. */
    GQueue keep = G_QUEUE_INIT;
    if (self->command_running)
        g_queue_push_tail(&keep, g_queue_pop_head(&self->commands));
    GTask *task;
    while ((task = g_queue_pop_head(&self->commands)) != NULL) {
        g_task_return_error(task, g_error_copy(error));
        g_object_unref(task);
    }
    self->commands = keep;
}

void spn_requests_abort(SpnRequests *self, GVariant *snapshot, const GError *waiter_error,
                        const GError *command_error)
{
    spn_poll_cancel(self->poll);
    self->command_running = FALSE;
    spn_requests_fail_commands(self, command_error);
    spn_requests_settle(self, snapshot, waiter_error);
}

SpnRequests *spn_requests_new(SpnPoll *poll, SpnRequestsDoneFunc done, gpointer user_data)
{
    SpnRequests *self = g_object_new(SPN_TYPE_REQUESTS, NULL);
    self->poll = g_object_ref(poll);
    self->done = done;
    self->done_data = user_data;
    return self;
}

static void spn_requests_finalize(GObject *object)
{
    SpnRequests *self = SPN_REQUESTS(object);
    spn_poll_cancel(self->poll);
    g_clear_object(&self->poll);
    /* Whoever still waits is answered: a GTask must not be dropped unanswered. */
    g_autoptr(GError) error =
        g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CANCELLED, _("spotnowd is shutting down"));
    self->command_running = FALSE;
    spn_requests_fail_commands(self, error);
    for (guint i = 0; i < self->waiters->len; i++)
        g_task_return_error(g_ptr_array_index(self->waiters, i), g_error_copy(error));
    for (guint i = 0; i < self->settling->len; i++)
        g_task_return_boolean(g_ptr_array_index(self->settling, i), TRUE);
    g_clear_pointer(&self->waiters, g_ptr_array_unref);
    g_clear_pointer(&self->settling, g_ptr_array_unref);
    G_OBJECT_CLASS(spn_requests_parent_class)->finalize(object);
}

static void spn_requests_class_init(SpnRequestsClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = spn_requests_finalize;
}

static void spn_requests_init(SpnRequests *self)
{
    self->waiters = g_ptr_array_new_with_free_func(g_object_unref);
    self->settling = g_ptr_array_new_with_free_func(g_object_unref);
    g_queue_init(&self->commands);
}
