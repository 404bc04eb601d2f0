/* engine.c — the snapshot, its persistence, the timers, presence and the one request chain. */
#define G_LOG_DOMAIN "spotnow-engine"

#include "engine-private.h"

#include <glib/gi18n.h>

#include "backoff.h"
#include "spn-error.h"

enum {
    SIGNAL_CHANGED,
    SIGNAL_UPDATED,
    SIGNAL_SEEKED,
    SIGNAL_STATUS_CHANGED,
    SIGNAL_SENDER_EXPIRED,
    SIGNAL_CONTROL_CHANGED,
    N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_TYPE(SpnEngine, spn_engine, G_TYPE_OBJECT)

static void viewers_changed(SpnEngine *self, guint before);

gint64 engine_now_ms(void)
{
    return g_get_real_time() / 1000;
}

static guint viewer_count(SpnEngine *self)
{
    return spn_presence_count(self->presence) + (self->desktop_viewer ? 1 : 0);
}

/* ---- auth state ------------------------------------------------------------------------- */

const char *engine_auth_state(SpnEngine *self)
{
    if (self->credentials == NULL || self->credentials->refresh_token == NULL)
        return "signed-out";
    return self->credentials->revoked ? "revoked" : "signed-in";
}

gboolean engine_can_poll(SpnEngine *self)
{
    return g_str_equal(engine_auth_state(self), "signed-in");
}

gboolean spn_engine_is_signed_in(SpnEngine *self)
{
    g_return_val_if_fail(SPN_IS_ENGINE(self), FALSE);
    return engine_can_poll(self);
}

/* ---- status ----------------------------------------------------------------------------- */

GVariant *spn_engine_dup_status(SpnEngine *self)
{
    gint64 now = engine_now_ms();
    GVariantBuilder builder;
    g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&builder, "{sv}", "authState",
                          g_variant_new_string(engine_auth_state(self)));
    g_variant_builder_add(&builder, "{sv}", "viewers", g_variant_new_uint32(viewer_count(self)));
    g_variant_builder_add(&builder, "{sv}", "lastPollAt",
                          g_variant_new_int64(self->poll_state.last_poll_at));
    g_variant_builder_add(&builder, "{sv}", "nextPollAt", g_variant_new_int64(self->next_poll_at));
    g_variant_builder_add(
        &builder, "{sv}", "backoffUntil",
        g_variant_new_int64(self->poll_state.backoff_until > now ? self->poll_state.backoff_until
                                                                 : 0));
    g_variant_builder_add(&builder, "{sv}", "lastError",
                          g_variant_new_string(self->last_error ? self->last_error : ""));
    g_variant_builder_add(&builder, "{sv}", "pollCount", g_variant_new_uint64(self->poll_count));
    /* From BeginSignIn until that flow ends, so `spotnow login` knows when to stop waiting. */
    g_variant_builder_add(&builder, "{sv}", "signInPending",
                          g_variant_new_boolean(spn_sign_in_is_pending(self->sign_in)));
    /* Why that flow has no loopback listener (the browser cannot come back: paste instead). */
    const char *listen_error = spn_sign_in_get_listen_error(self->sign_in);
    g_variant_builder_add(&builder, "{sv}", "signInListenError",
                          g_variant_new_string(listen_error ? listen_error : ""));
    /* Viewers heartbeat at half of this; clients read it rather than assume the default. */
    g_variant_builder_add(&builder, "{sv}", "presenceTtlMs",
                          g_variant_new_int64(spn_seconds_to_ms(self->config->presence_ttl_s)));
    g_variant_builder_add(&builder, "{sv}", "upstreamRequests",
                          g_variant_new_uint64(spn_spotify_api_get_request_count(self->api)));
    return g_variant_builder_end(&builder);
}

/* What StatusChanged is about: what a user would read in `spotnow status` about health (the
 * auth state, the last error, the back-off) and whether a sign-in waits. Poll times move on
 * every poll and are not news. */
static char *status_signature(SpnEngine *self, const char *last_error)
{
    return g_strdup_printf("%s\n%s\n%" G_GINT64_FORMAT "\n%d", engine_auth_state(self),
                           last_error ? last_error : "", self->poll_state.backoff_until,
                           spn_sign_in_is_pending(self->sign_in));
}

void engine_maybe_emit_status_changed(SpnEngine *self)
{
    g_autofree char *signature = status_signature(self, self->last_error);
    if (g_strcmp0(signature, self->status_signature) == 0)
        return;
    g_free(self->status_signature);
    self->status_signature = g_steal_pointer(&signature);
    g_autoptr(GVariant) status = g_variant_ref_sink(spn_engine_dup_status(self));
    g_signal_emit(self, signals[SIGNAL_STATUS_CHANGED], 0, status);
}

void engine_set_last_error(SpnEngine *self, const char *message)
{
    g_free(self->last_error);
    self->last_error = g_strdup(message);
}

/* ---- persistence ------------------------------------------------------------------------ */

/* Disk trouble (read-only, full) must not stop the service: it goes on from memory and says
 * so once, not on every poll. */
static void report_disk_trouble(SpnEngine *self, const char *what, const GError *error)
{
    if (self->disk_trouble_reported) {
        g_debug("still cannot write %s: %s", what, error->message);
        return;
    }
    self->disk_trouble_reported = TRUE;
    g_warning("cannot write %s (%s); going on from memory", what, error->message);
}

void engine_save_state(SpnEngine *self)
{
    g_autoptr(GError) error = NULL;
    if (!spn_store_save_state(self->state_dir, self->snapshot, &self->poll_state, &error))
        report_disk_trouble(self, "the state file", error);
    else
        self->disk_trouble_reported = FALSE;
}

void engine_save_credentials(SpnEngine *self)
{
    g_autoptr(GError) error = NULL;
    self->credentials_unsaved =
        !spn_store_save_credentials(self->state_dir, self->credentials, &error);
    if (self->credentials_unsaved)
        report_disk_trouble(self, "the credentials file", error);
}

/* ---- snapshot --------------------------------------------------------------------------- */

GVariant *spn_engine_dup_snapshot(SpnEngine *self)
{
    if (self->snapshot_variant == NULL)
        self->snapshot_variant = g_variant_ref_sink(spn_snapshot_to_variant(self->snapshot));
    return g_variant_ref(self->snapshot_variant);
}

/* Every update of the in-memory snapshot, news or not (fetchedAt moves with each poll). */
static void snapshot_replaced(SpnEngine *self)
{
    g_autoptr(GVariant) snapshot = spn_engine_dup_snapshot(self);
    g_signal_emit(self, signals[SIGNAL_UPDATED], 0, snapshot);
}

/* Announces the current snapshot: Changed, and Seeked when the change was a jump. */
static void emit_change(SpnEngine *self, gboolean seek)
{
    g_clear_handle_id(&self->change_hold_source, g_source_remove);
    self->change_held = FALSE;
    g_autoptr(GVariant) snapshot = spn_engine_dup_snapshot(self);
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0, snapshot);
    if (seek)
        g_signal_emit(self, signals[SIGNAL_SEEKED], 0, self->snapshot->progress_ms);
}

void engine_flush_held_change(SpnEngine *self)
{
    if (self->change_held)
        emit_change(self, FALSE);
}

static gboolean on_change_hold_expired(gpointer user_data)
{
    SpnEngine *self = user_data;
    self->change_hold_source = 0;
    engine_flush_held_change(self);
    return G_SOURCE_REMOVE;
}

/* Rule 9, write suppression: the state file and Changed only for a real change. The in-memory
 * snapshot always takes the new progress and fetchedAt, so readers extrapolate from the
 * freshest fix. A new track whose art is downloading holds its Changed until the file is there
 * (or SPN_ART_HOLD_MS passed), so one track change is one Changed, art included. */
void engine_apply_snapshot(SpnEngine *self, SpnSnapshot *fresh)
{
    gboolean awaiting_art = engine_resolve_art(self, fresh);
    SpnChange change = spn_snapshot_compare(self->snapshot, fresh);
    spn_snapshot_free(self->snapshot);
    self->snapshot = fresh;
    g_clear_pointer(&self->snapshot_variant, g_variant_unref);
    if (change != SPN_CHANGE_NONE) {
        g_debug("snapshot changed (%s)", change == SPN_CHANGE_SEEK ? "seek" : "metadata");
        engine_save_state(self);
        if (awaiting_art && change == SPN_CHANGE_METADATA) {
            /* A change already held is superseded by this one: one Changed for both, within
             * the first one's deadline, so a burst of skips cannot postpone it for ever. */
            if (!self->change_held) {
                self->change_held = TRUE;
                self->change_hold_source =
                    g_timeout_add(SPN_ART_HOLD_MS, on_change_hold_expired, self);
            }
        } else {
            emit_change(self, change == SPN_CHANGE_SEEK);
        }
    }
    /* Last: a reader served off the main loop (fast-read.c) must never see a snapshot before
     * the Changed that announces it has gone out. */
    snapshot_replaced(self);
}

/* ---- the poll ---------------------------------------------------------------------------- */

static void return_signed_out(SpnEngine *self, GTask *task)
{
    g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_SIGNED_OUT, "%s",
                            g_str_equal(engine_auth_state(self), "revoked")
                                ? _("Spotify revoked the sign-in; sign in again")
                                : _("Not signed in to Spotify; run “spotnow login”"));
}

/* Callers who joined a poll that ended in invalid_grant get SignedOut like any later caller:
 * a stale snapshot with success would tell `spotnow fresh` that all is well. */
void engine_answer_waiters(SpnEngine *self)
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
        if (!engine_can_poll(self))
            return_signed_out(self, task);
        else
            g_task_return_pointer(task, spn_engine_dup_snapshot(self),
                                  (GDestroyNotify)g_variant_unref);
    }
}

void engine_maybe_emit_control_changed(SpnEngine *self)
{
    gboolean can = spn_engine_can_control(self);
    if (can == self->last_can_control)
        return;
    self->last_can_control = can;
    g_signal_emit(self, signals[SIGNAL_CONTROL_CHANGED], 0);
}

/* Rule 5: a rotated refresh token is only usable once, and Spotify has forgotten the old one: it
 * goes to disk now, before the request it was refreshed for, not when the chain ends. */
static void on_credentials_refreshed(SpnPoll *poll, gpointer credentials, gpointer user_data)
{
    SpnEngine *self = user_data;
    spn_credentials_free(self->credentials);
    self->credentials = spn_credentials_copy(credentials);
    engine_save_credentials(self);
}

/* What every chain's outcome means for the engine, poll or command alike: a 429 backs everything
 * off (it is one quota), invalid_grant stops polling. */
void engine_absorb_outcome(SpnEngine *self, const SpnPollOutcome *outcome, gint64 now)
{
    switch (outcome->kind) {
        case SPN_POLL_RATE_LIMITED:
            self->poll_state.backoff_until = spn_backoff_rate_limited_until(
                outcome->retry_until, now, self->config->retry_after_default_s);
            engine_set_last_error(self, outcome->message);
            break;
        case SPN_POLL_REVOKED:
            /* Never retry invalid_grant: polling stops until the person signs in again. The
             * snapshot stays; the credentials stay too, marked, so a restart does not retry. */
            if (self->credentials != NULL) {
                self->credentials->revoked = TRUE;
                engine_save_credentials(self);
            }
            engine_set_last_error(self, outcome->message);
            break;
        default:
            break;
    }
}

/* After any chain: the next queued command, else a poll that callers wait for, else sleep. */
void engine_chain_finished(SpnEngine *self, gboolean poll_now)
{
    engine_maybe_emit_status_changed(self);
    engine_maybe_emit_control_changed(self);
    if (!g_queue_is_empty(&self->commands))
        engine_run_next_command(self);
    else if (poll_now || self->waiters->len > 0 || self->settling->len > 0)
        engine_start_poll(self);
    else
        engine_reschedule(self);
}

static void on_poll_done(SpnPoll *poll, const SpnPollOutcome *outcome, gpointer user_data)
{
    SpnEngine *self = user_data;
    gint64 now = engine_now_ms();
    gboolean was_backing_off = self->poll_state.backoff_until > 0;

    /* Before engine_apply_snapshot: a snapshot write carries the poll bookkeeping with it. */
    self->poll_state.last_poll_at = now;
    engine_absorb_outcome(self, outcome, now);
    switch (outcome->kind) {
        case SPN_POLL_OK:
            self->poll_state.failures = 0;
            self->poll_state.backoff_until = 0;
            engine_set_last_error(self, NULL);
            engine_apply_snapshot(self, spn_snapshot_copy(outcome->snapshot));
            break;
        case SPN_POLL_FAILED:
        case SPN_POLL_FORBIDDEN:
        case SPN_POLL_REFUSED:
            self->poll_state.failures++;
            self->poll_state.backoff_until =
                now + spn_backoff_delay_ms(self->poll_state.failures,
                                           self->config->backoff_initial_s,
                                           self->config->backoff_max_s, g_random_double());
            engine_set_last_error(self, outcome->message);
            break;
        case SPN_POLL_RATE_LIMITED:
        case SPN_POLL_REVOKED:
            break;
    }
    if (outcome->kind != SPN_POLL_OK)
        g_debug("poll failed: %s", outcome->message);

    self->poll_count++;
    /* Credentials refreshed while the disk was full or read-only reach it once it is back, not
     * at the next refresh an hour later: a rotated refresh token would die with a restart. */
    if (self->credentials_unsaved && self->credentials != NULL)
        engine_save_credentials(self);
    /* Poll bookkeeping is persisted sparingly: when a back-off starts or ends, so a restart
     * honours a Retry-After of hours; otherwise it rides along with snapshot writes. */
    if (was_backing_off != (self->poll_state.backoff_until > 0))
        engine_save_state(self);

    engine_answer_waiters(self);
    engine_chain_finished(self, FALSE);
}

void engine_start_poll(SpnEngine *self)
{
    /* A command in flight: its end starts the poll the waiters joined (engine_chain_finished). */
    if (spn_poll_is_running(self->poll))
        return;
    g_clear_handle_id(&self->poll_source, g_source_remove);
    self->next_poll_at = 0;
    if (!engine_can_poll(self)) {
        engine_answer_waiters(self);
        return;
    }
    spn_poll_run(self->poll, self->credentials, self->snapshot, NULL, NULL, on_poll_done, self);
}

const SpnSnapshot *spn_engine_get_snapshot(SpnEngine *self)
{
    return self->snapshot;
}

void spn_engine_set_desktop_viewer(SpnEngine *self, gboolean present)
{
    if (self->desktop_viewer == present)
        return;
    guint before = viewer_count(self);
    self->desktop_viewer = present;
    g_debug("desktop session %s a viewer", present ? "is" : "is no longer");
    viewers_changed(self, before);
}

/* ---- scheduling ------------------------------------------------------------------------- */

static SpnSchedulerInput scheduler_input(SpnEngine *self)
{
    return (SpnSchedulerInput){
        .now_ms = engine_now_ms(),
        .can_poll = engine_can_poll(self),
        .viewers_present = viewer_count(self) > 0,
        .last_attempt_at = self->poll_state.last_poll_at,
        .backoff_until = self->poll_state.backoff_until,
        .snapshot = self->snapshot,
    };
}

static gboolean on_poll_timer(gpointer user_data)
{
    SpnEngine *self = user_data;
    self->poll_source = 0;
    engine_start_poll(self);
    return G_SOURCE_REMOVE;
}

static guint delay_until(gint64 when, gint64 now)
{
    return (guint)CLAMP(when - now, 0, (gint64)G_MAXINT);
}

/* One timer, re-armed after anything that changes the answer: an idle daemon sleeps until it. */
void engine_reschedule(SpnEngine *self)
{
    spn_spotify_api_set_keep_alive(self->api, viewer_count(self) > 0);
    g_clear_handle_id(&self->poll_source, g_source_remove);
    self->next_poll_at = 0;
    if (spn_poll_is_running(self->poll))
        return;
    SpnSchedulerInput input = scheduler_input(self);
    gint64 due = spn_scheduler_next_poll_at(&self->settings, &input);
    if (due == SPN_SCHEDULER_NEVER)
        return;
    self->next_poll_at = MAX(due, input.now_ms);
    self->poll_source = g_timeout_add(delay_until(due, input.now_ms), on_poll_timer, self);
    g_debug("next poll in %" G_GINT64_FORMAT " ms", self->next_poll_at - input.now_ms);
}

/* ---- presence --------------------------------------------------------------------------- */

static void arm_presence_timer(SpnEngine *self);

/* A viewer arriving is a trigger like EnsureFresh: it should see fresh data, not the last
 * safety poll's. Heartbeats of known viewers change nothing. */
static void viewers_changed(SpnEngine *self, guint before)
{
    if (viewer_count(self) <= before) {
        engine_reschedule(self);
        return;
    }
    SpnSchedulerInput input = scheduler_input(self);
    if (spn_scheduler_freshness(&self->settings, &input) == SPN_FRESHNESS_POLL)
        engine_start_poll(self);
    else
        engine_reschedule(self);
}

static gboolean on_presence_timer(gpointer user_data)
{
    SpnEngine *self = user_data;
    self->presence_source = 0;
    g_autoptr(GPtrArray) emptied = g_ptr_array_new_with_free_func(g_free);
    guint dropped = spn_presence_expire(self->presence, engine_now_ms(), emptied);
    for (guint i = 0; i < emptied->len; i++)
        g_signal_emit(self, signals[SIGNAL_SENDER_EXPIRED], 0, g_ptr_array_index(emptied, i));
    if (dropped > 0) {
        g_debug("%u viewer(s) expired, %u present", dropped, spn_presence_count(self->presence));
        engine_reschedule(self);
    }
    arm_presence_timer(self);
    return G_SOURCE_REMOVE;
}

static void arm_presence_timer(SpnEngine *self)
{
    g_clear_handle_id(&self->presence_source, g_source_remove);
    gint64 next = spn_presence_next_expiry(self->presence);
    if (next == 0)
        return;
    self->presence_source =
        g_timeout_add(delay_until(next, engine_now_ms()), on_presence_timer, self);
}

gboolean spn_engine_report_viewer(SpnEngine *self, const char *sender, const char *viewer_id,
                                  gboolean *new_sender, GError **error)
{
    guint before = viewer_count(self);
    gint64 expires_at = engine_now_ms() + spn_seconds_to_ms(self->config->presence_ttl_s);
    if (!spn_presence_report(self->presence, sender, viewer_id, expires_at, new_sender, error))
        return FALSE;
    arm_presence_timer(self);

    viewers_changed(self, before);
    return TRUE;
}

void spn_engine_forget_sender(SpnEngine *self, const char *sender)
{
    if (spn_presence_remove_sender(self->presence, sender) == 0)
        return;
    g_debug("viewer sender %s left the bus", sender);
    arm_presence_timer(self);
    engine_reschedule(self);
}

/* ---- EnsureFresh ------------------------------------------------------------------------ */

void spn_engine_ensure_fresh(SpnEngine *self, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, spn_engine_ensure_fresh);
    SpnSchedulerInput input = scheduler_input(self);
    switch (spn_scheduler_freshness(&self->settings, &input)) {
        case SPN_FRESHNESS_SIGNED_OUT:
            return_signed_out(self, task);
            return;
        case SPN_FRESHNESS_CACHED:
            g_task_return_pointer(task, spn_engine_dup_snapshot(self),
                                  (GDestroyNotify)g_variant_unref);
            return;
        case SPN_FRESHNESS_POLL:
            /* Rule 4: join the poll in flight, or start the one every later caller joins. */
            g_ptr_array_add(self->waiters, g_steal_pointer(&task));
            engine_start_poll(self);
            return;
    }
}

GVariant *spn_engine_ensure_fresh_finish(SpnEngine *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

/* ---- life cycle ------------------------------------------------------------------------- */

static void load_files(SpnEngine *self)
{
    g_autoptr(GError) error = NULL;
    SpnSnapshot *snapshot = NULL;
    if (!spn_store_load_state(self->state_dir, &snapshot, &self->poll_state, &error)) {
        g_warning("cannot read the state file in %s: %s", self->state_dir, error->message);
        g_clear_error(&error);
    }
    if (snapshot != NULL) {
        spn_snapshot_free(self->snapshot);
        self->snapshot = snapshot;
    }
    if (!spn_store_load_credentials(self->state_dir, &self->credentials, &error))
        g_warning("cannot read the credentials in %s: %s", self->state_dir, error->message);
}

SpnEngine *spn_engine_new(const SpnConfig *config, const char *state_dir, const char *art_dir)
{
    SpnEngine *self = g_object_new(SPN_TYPE_ENGINE, NULL);
    self->config = config;
    self->state_dir = g_strdup(state_dir);
    self->art_cache = spn_art_cache_new(art_dir, SPN_ART_CACHE_DEFAULT_MAX_BYTES);
    self->art_cancellable = g_cancellable_new();
    self->settings = (SpnSchedulerSettings){
        .safety_interval_s = config->safety_interval_s,
        .fresh_playing_s = config->fresh_playing_s,
        .fresh_paused_s = config->fresh_paused_s,
        .end_of_item_delay_s = config->end_of_item_delay_s,
    };
    self->api = spn_spotify_api_new(config->api_base_url, config->accounts_base_url,
                                    config->request_timeout_s);
    self->poll = spn_poll_new(self->config, self->api);
    g_signal_connect_object(self->poll, "refreshed", G_CALLBACK(on_credentials_refreshed), self, 0);
    self->sign_in = spn_sign_in_new(self->config, self->api);
    g_signal_connect_object(self->sign_in, "signed-in", G_CALLBACK(engine_on_signed_in), self, 0);
    g_signal_connect_object(self->sign_in, "failed", G_CALLBACK(engine_on_sign_in_failed), self, 0);
    load_files(self);
    self->last_can_control = spn_engine_can_control(self);
    /* What a client reads at start is no change; the last error is not persisted. */
    self->status_signature = status_signature(self, NULL);
    return self;
}

/* A temporary file younger than this may belong to a write in progress: the instance this one
 * replaced saves its state as it goes. */
#define STALE_TEMP_FILE_AGE_S 5.0

/* Called once the bus name is ours, so no other instance is writing into the state dir. */
void spn_engine_start(SpnEngine *self)
{
    guint removed = spn_store_remove_stale_temp_files(self->state_dir, STALE_TEMP_FILE_AGE_S);
    if (removed > 0)
        g_debug("removed %u temporary file(s) an interrupted write left behind", removed);
    /* The persisted snapshot may name art that was evicted, or never fetched. */
    engine_resolve_art(self, self->snapshot);
    g_clear_pointer(&self->snapshot_variant, g_variant_unref);
    snapshot_replaced(self);
    engine_reschedule(self);
}

void spn_engine_shutdown(SpnEngine *self, gboolean save_state)
{
    g_clear_handle_id(&self->poll_source, g_source_remove);
    g_clear_handle_id(&self->presence_source, g_source_remove);
    spn_poll_cancel(self->poll);
    spn_sign_in_cancel(self->sign_in);
    g_cancellable_cancel(self->art_cancellable);
    g_clear_handle_id(&self->change_hold_source, g_source_remove);
    engine_answer_waiters(self);
    if (save_state)
        engine_save_state(self);
}

static void spn_engine_finalize(GObject *object)
{
    SpnEngine *self = SPN_ENGINE(object);
    g_clear_handle_id(&self->poll_source, g_source_remove);
    g_clear_handle_id(&self->presence_source, g_source_remove);
    g_clear_object(&self->poll);
    g_clear_object(&self->sign_in);
    g_clear_object(&self->api);
    g_clear_pointer(&self->waiters, g_ptr_array_unref);
    g_clear_pointer(&self->settling, g_ptr_array_unref);
    g_queue_clear_full(&self->commands, g_object_unref);
    g_clear_pointer(&self->presence, spn_presence_free);
    g_clear_pointer(&self->snapshot, spn_snapshot_free);
    g_clear_pointer(&self->snapshot_variant, g_variant_unref);
    g_clear_pointer(&self->credentials, spn_credentials_free);
    g_cancellable_cancel(self->art_cancellable);
    g_clear_handle_id(&self->change_hold_source, g_source_remove);
    g_clear_object(&self->art_cancellable);
    g_clear_object(&self->art_cache);
    g_free(self->art_url);
    g_free(self->state_dir);
    g_free(self->last_error);
    g_free(self->status_signature);
    G_OBJECT_CLASS(spn_engine_parent_class)->finalize(object);
}

static void spn_engine_class_init(SpnEngineClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = spn_engine_finalize;
    signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_VARIANT);
    signals[SIGNAL_STATUS_CHANGED] =
        g_signal_new("status-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 1, G_TYPE_VARIANT);
    /* (GVariant *snapshot): the in-memory snapshot was replaced, news or not; for caches of it. */
    signals[SIGNAL_UPDATED] = g_signal_new("updated", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_VARIANT);
    /* (gint64 progress_ms): a poll found progress off its prediction (a scrub elsewhere). */
    signals[SIGNAL_SEEKED] = g_signal_new("seeked", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                          NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
    /* spn_engine_can_control() changed: MPRIS re-exports, since CanControl may not change. */
    signals[SIGNAL_CONTROL_CHANGED] =
        g_signal_new("control-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 0);
    /* A sender whose viewers all expired: its name watch can go. */
    signals[SIGNAL_SENDER_EXPIRED] =
        g_signal_new("sender-expired", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void spn_engine_init(SpnEngine *self)
{
    self->snapshot = spn_snapshot_new();
    self->waiters = g_ptr_array_new_with_free_func(g_object_unref);
    self->settling = g_ptr_array_new_with_free_func(g_object_unref);
    g_queue_init(&self->commands);
    self->presence = spn_presence_new(SPN_PRESENCE_MAX_PER_SENDER, SPN_PRESENCE_MAX_TOTAL);
}
