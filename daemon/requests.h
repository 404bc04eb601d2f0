/* requests.h — the one request chain and everything that waits on it (doc/design.md section 10):
 * polls with the EnsureFresh callers joined to them, player commands in order, and the commands
 * whose answer waits for the poll after them. One owner for all of it, so one call (abort)
 * answers every pending caller, and nothing is left queued to be sent again later. */
#pragma once

#include <gio/gio.h>

#include "poll.h"

G_BEGIN_DECLS

#define SPN_TYPE_REQUESTS (spn_requests_get_type())
G_DECLARE_FINAL_TYPE(SpnRequests, spn_requests, SPN, REQUESTS, GObject)

/* Called once per chain from the main loop, before its callers are answered: @command tells a
 * player command's outcome from a poll's. A command's own caller is answered by SpnRequests: an
 * error now, or success once the next poll has settled (spn_requests_settle). */
typedef void (*SpnRequestsDoneFunc)(const SpnPollOutcome *outcome, gboolean command,
                                    gpointer user_data);

SpnRequests *spn_requests_new(SpnPoll *poll, SpnRequestsDoneFunc done, gpointer user_data);

gboolean spn_requests_is_busy(SpnRequests *self);
/* Callers wait for a poll: EnsureFresh callers, or commands waiting to see their effect. */
gboolean spn_requests_has_waiters(SpnRequests *self);
gboolean spn_requests_has_command(SpnRequests *self);

/* Takes @task (an EnsureFresh caller, answered with an a{sv} or an error) to the next poll. */
void spn_requests_add_waiter(SpnRequests *self, GTask *task);
/* Takes @task (answered with a boolean or an error) and queues the command. */
void spn_requests_add_command(SpnRequests *self, GTask *task, const char *method, const char *path);

/* Starts the first queued command / a poll. Not while busy. */
void spn_requests_run_command(SpnRequests *self, const SpnCredentials *credentials,
                              const SpnSnapshot *snapshot);
void spn_requests_run_poll(SpnRequests *self, const SpnCredentials *credentials,
                           const SpnSnapshot *snapshot);

/* Answers every caller waiting for a poll: EnsureFresh callers get @snapshot (or @error when
 * set), commands that were waiting to show their effect get success. */
void spn_requests_settle(SpnRequests *self, GVariant *snapshot, const GError *error);

/* Fails the queued commands that have not been sent with @error (e.g. the budget or the quota
 * holds them back). */
void spn_requests_fail_commands(SpnRequests *self, const GError *error);

/* Cancels the chain in flight and answers everything pending: waiters with @snapshot (or
 * @waiter_error when set), commands not yet answered with @command_error (sign-out, a new
 * sign-in, shutdown: what was asked of the old state is void, and is never sent later). */
void spn_requests_abort(SpnRequests *self, GVariant *snapshot, const GError *waiter_error,
                        const GError *command_error);

G_END_DECLS
