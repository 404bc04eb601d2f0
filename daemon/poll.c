/* poll.c — the request chain of one poll, and what its replies mean. */
#define G_LOG_DOMAIN "spotnow-poll"

#include "poll.h"

#include <glib/gi18n.h>

#include "scheduler.h"
#include "spn-error.h"
#include "spotify-api.h"
#include "upstream.h"

struct _SpnPoll {
    GObject parent_instance;
    const SpnConfig *config;
    SpnSpotifyApi *api;

    /* The chain in flight; cancellable == NULL when idle. */
    GCancellable *cancellable;
    SpnCredentials *credentials;
    gboolean retried_after_401;
    SpnSnapshot *previous;
    char *command_method; /* NULL: a poll */
    char *command_path;
    SpnPollDoneFunc done;
    gpointer done_data;
};

G_DEFINE_TYPE(SpnPoll, spn_poll, G_TYPE_OBJECT)

enum { SIGNAL_REFRESHED, N_SIGNALS };
static guint signals[N_SIGNALS];

static gint64 now_ms(void)
{
    return g_get_real_time() / 1000;
}

static void finish(SpnPoll *self, SpnPollKind kind, const SpnSnapshot *snapshot, gint64 retry_until,
                   const char *message)
{
    SpnPollOutcome outcome = {
        .kind = kind,
        .snapshot = snapshot,
        .retry_until = retry_until,
        .message = message,
    };
    /* Idle before calling back, so the callback may start the next poll. The chain's data lives
     * until the callback returns; clang calls such cleanup-only locals unused. */
    g_clear_object(&self->cancellable);
    G_GNUC_UNUSED g_autoptr(SpnCredentials) credentials = g_steal_pointer(&self->credentials);
    G_GNUC_UNUSED g_autoptr(SpnSnapshot) previous = g_steal_pointer(&self->previous);
    G_GNUC_UNUSED g_autofree char *command_method = g_steal_pointer(&self->command_method);
    G_GNUC_UNUSED g_autofree char *command_path = g_steal_pointer(&self->command_path);
    self->done(self, &outcome, self->done_data);
}

static void fail_with_reply(SpnPoll *self, const SpnHttpReply *reply)
{
    g_autofree char *message = spn_upstream_describe_error(reply->status, reply->reason,
                                                           g_bytes_get_data(reply->body, NULL),
                                                           g_bytes_get_size(reply->body));
    if (reply->status == 429) {
        gboolean quota = spn_upstream_is_quota_exceeded(g_bytes_get_data(reply->body, NULL),
                                                        g_bytes_get_size(reply->body));
        finish(self, quota ? SPN_POLL_QUOTA : SPN_POLL_RATE_LIMITED, NULL,
               spn_upstream_parse_retry_after(reply->retry_after, now_ms()), message);
        return;
    }
    finish(self, SPN_POLL_FAILED, NULL, 0, message);
}

static void fail_transport(SpnPoll *self, const char *what, const GError *error)
{
    /* An over-long or timed-out reply did reach us: "cannot reach" would send the person
     * looking at their network instead of at Spotify. */
    gboolean reached = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE) ||
                       g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
    g_autofree char *message =
        reached ? g_strdup(error->message) : g_strdup_printf("%s: %s", what, error->message);
    finish(self, SPN_POLL_FAILED, NULL, 0, message);
}

/* A reply that lands after spn_poll_cancel() (it raced the cancellation) has nobody to tell. */
static gboolean cancelled(SpnPoll *self, const GError *error)
{
    return self->cancellable == NULL || g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void send_request(SpnPoll *self);

static void on_token_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpnPoll) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnHttpReply) reply =
        spn_spotify_api_refresh_token_finish(SPN_SPOTIFY_API(source), result, &error);
    if (cancelled(self, error))
        return;
    if (reply == NULL) {
        fail_transport(self, _("Cannot reach Spotify's accounts service"), error);
        return;
    }
    g_autoptr(SpnCredentials) fresh = spn_upstream_parse_token_reply(
        reply->status, g_bytes_get_data(reply->body, NULL), g_bytes_get_size(reply->body),
        self->credentials, now_ms(), &error);
    if (fresh == NULL) {
        if (g_error_matches(error, SPN_ERROR, SPN_ERROR_REVOKED))
            finish(self, SPN_POLL_REVOKED, NULL, 0, error->message);
        else if (reply->status == 429)
            fail_with_reply(self, reply);
        else
            finish(self, SPN_POLL_FAILED, NULL, 0, error->message);
        return;
    }
    gboolean rotated = g_strcmp0(fresh->refresh_token, self->credentials->refresh_token) != 0;
    spn_credentials_free(self->credentials);
    self->credentials = g_steal_pointer(&fresh);
    /* Persisted before anything else happens, and logged after: a log line means it is on disk. */
    g_signal_emit(self, signals[SIGNAL_REFRESHED], 0, self->credentials);
    g_debug("access token refreshed%s", rotated ? " (refresh token rotated)" : "");
    send_request(self);
}

static void refresh_token(SpnPoll *self)
{
    if (self->config->client_id == NULL) {
        g_autofree char *message =
            g_strdup_printf(_("Cannot refresh the access token: no client-id in [spotify] of %s"),
                            self->config->path ? self->config->path : "config.ini");
        finish(self, SPN_POLL_FAILED, NULL, 0, message);
        return;
    }
    spn_spotify_api_refresh_token(self->api, self->credentials->refresh_token,
                                  self->config->client_id, self->config->client_secret,
                                  self->cancellable, on_token_reply, g_object_ref(self));
}

/* Every reply's first steps: a cancelled chain ends silently, a transport failure fails the
 * chain, and a 401 refreshes the token once and retries once (rule 5: the token died early,
 * from a revoked session or clock skew). Returns TRUE when @reply is the caller's to read. */
static gboolean reply_to_read(SpnPoll *self, const SpnHttpReply *reply, const GError *error)
{
    if (cancelled(self, error))
        return FALSE;
    if (reply == NULL) {
        fail_transport(self, _("Cannot reach Spotify"), error);
        return FALSE;
    }
    if (reply->status == 401 && !self->retried_after_401) {
        self->retried_after_401 = TRUE;
        refresh_token(self);
        return FALSE;
    }
    return TRUE;
}

static gboolean succeeded(const SpnHttpReply *reply)
{
    return reply->status >= 200 && reply->status < 300;
}

static void on_currently_playing(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpnPoll) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnHttpReply) reply =
        spn_spotify_api_get_currently_playing_finish(SPN_SPOTIFY_API(source), result, &error);
    if (!reply_to_read(self, reply, error))
        return;
    if (!succeeded(reply)) {
        fail_with_reply(self, reply);
        return;
    }
    /* 204, or any empty 2xx: nothing is playing (rule 7). */
    g_autoptr(SpnSnapshot) snapshot =
        spn_snapshot_normalise(self->previous, g_bytes_get_data(reply->body, NULL),
                               g_bytes_get_size(reply->body), now_ms(), &error);
    if (snapshot == NULL)
        finish(self, SPN_POLL_FAILED, NULL, 0, error->message);
    else
        finish(self, SPN_POLL_OK, snapshot, 0, NULL);
}

static void on_command_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpnPoll) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnHttpReply) reply =
        spn_spotify_api_player_command_finish(SPN_SPOTIFY_API(source), result, &error);
    if (!reply_to_read(self, reply, error))
        return;
    if (succeeded(reply)) {
        finish(self, SPN_POLL_OK, NULL, 0, NULL);
    } else if (reply->status == 403) {
        const char *body = g_bytes_get_data(reply->body, NULL);
        gsize length = g_bytes_get_size(reply->body);
        g_autofree char *message =
            spn_upstream_describe_error(reply->status, reply->reason, body, length);
        finish(self,
               spn_upstream_forbids_control(body, length) ? SPN_POLL_FORBIDDEN : SPN_POLL_REFUSED,
               NULL, 0, message);
    } else {
        fail_with_reply(self, reply);
    }
}

static void send_request(SpnPoll *self)
{
    if (self->command_method != NULL)
        spn_spotify_api_player_command(self->api, self->credentials->access_token,
                                       self->command_method, self->command_path, self->cancellable,
                                       on_command_reply, g_object_ref(self));
    else
        spn_spotify_api_get_currently_playing(self->api, self->credentials->access_token,
                                              self->cancellable, on_currently_playing,
                                              g_object_ref(self));
}

static gboolean token_needs_refresh(SpnPoll *self)
{
    const SpnCredentials *credentials = self->credentials;
    if (credentials->access_token == NULL || *credentials->access_token == '\0')
        return TRUE;
    /* expires-at 0 means unknown: use the token until Spotify answers 401. */
    if (credentials->expires_at <= 0)
        return FALSE;
    return now_ms() >=
           credentials->expires_at - spn_seconds_to_ms(self->config->token_refresh_margin_s);
}

void spn_poll_run(SpnPoll *self, const SpnCredentials *credentials, const SpnSnapshot *previous,
                  const char *command_method, const char *command_path, SpnPollDoneFunc done,
                  gpointer user_data)
{
    g_return_if_fail(self->cancellable == NULL);
    g_return_if_fail(credentials != NULL);
    self->cancellable = g_cancellable_new();
    self->credentials = spn_credentials_copy(credentials);
    self->previous = spn_snapshot_copy(previous);
    self->command_method = g_strdup(command_method);
    self->command_path = g_strdup(command_path);
    self->retried_after_401 = FALSE;
    self->done = done;
    self->done_data = user_data;
    if (token_needs_refresh(self))
        refresh_token(self);
    else
        send_request(self);
}

gboolean spn_poll_is_running(SpnPoll *self)
{
    return self->cancellable != NULL;
}

void spn_poll_cancel(SpnPoll *self)
{
    if (self->cancellable == NULL)
        return;
    g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
    g_clear_pointer(&self->credentials, spn_credentials_free);
    g_clear_pointer(&self->previous, spn_snapshot_free);
    g_clear_pointer(&self->command_method, g_free);
    g_clear_pointer(&self->command_path, g_free);
}

SpnPoll *spn_poll_new(const SpnConfig *config, SpnSpotifyApi *api)
{
    SpnPoll *self = g_object_new(SPN_TYPE_POLL, NULL);
    self->config = config;
    self->api = g_object_ref(api);
    return self;
}

static void spn_poll_finalize(GObject *object)
{
    SpnPoll *self = SPN_POLL(object);
    spn_poll_cancel(self);
    g_clear_object(&self->api);
    G_OBJECT_CLASS(spn_poll_parent_class)->finalize(object);
}

static void spn_poll_class_init(SpnPollClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = spn_poll_finalize;
    signals[SIGNAL_REFRESHED] =
        g_signal_new("refreshed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void spn_poll_init(SpnPoll *self)
{
}
