/* engine.c — the snapshot, its persistence, the timers, presence and the one request chain. */
#define G_LOG_DOMAIN "spotnow-engine"

#include "engine-private.h"

#include <glib/gi18n.h>

#include "backoff.h"
#include "spn-error.h"

enum {
    SIGNAL_CHANGED,
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
    /* Rules 11–13: the budget, Spotify's quota, and where the snapshot comes from. */
    g_variant_builder_add(&builder, "{sv}", "budgetRequests",
                          g_variant_new_uint32(spn_budget_limit(self->budget)));
    g_variant_builder_add(&builder, "{sv}", "budgetWindowMs",
                          g_variant_new_int64(spn_budget_window_ms(self->budget)));
    g_variant_builder_add(&builder, "{sv}", "requestsInWindow",
                          g_variant_new_uint32(spn_budget_used(self->budget, now)));
    g_variant_builder_add(&builder, "{sv}", "quotaExceededUntil",
                          g_variant_new_int64(self->poll_state.quota_exceeded_until > now
                                                  ? self->poll_state.quota_exceeded_until
                                                  : 0));
    g_variant_builder_add(&builder, "{sv}", "source",
                          g_variant_new_string(self->local_source ? "local" : "web"));
    return g_variant_builder_end(&builder);
}

/* What StatusChanged is about: what a user would read in `spotnow status` about health (the
 * auth state, the last error, the back-off) and whether a sign-in waits. Poll times move on
 * every poll and are not news. */
static char *status_signature(SpnEngine *self, const char *last_error)
{
    gboolean budget_spent = !spn_budget_allows(self->budget, SPN_SPEND_CADENCE, engine_now_ms());
    return g_strdup_printf("%s\n%s\n%" G_GINT64_FORMAT "\n%d\n%" G_GINT64_FORMAT "\n%d\n%d",
                           engine_auth_state(self), last_error ? last_error : "",
                           self->poll_state.backoff_until, spn_sign_in_is_pending(self->sign_in),
                           self->poll_state.quota_exceeded_until, self->local_source, budget_spent);
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
    self->state_saved_at = engine_now_ms();
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

/* What readers are served: the newest snapshot, except while its Changed waits for the album
 * art; then the one the last Changed announced, so no reader sees a track before its Changed. */
GVariant *spn_engine_dup_snapshot(SpnEngine *self)
{
    if (self->change_held && self->published != NULL)
        return g_variant_ref(self->published);
    if (self->snapshot_variant == NULL)
        self->snapshot_variant = g_variant_ref_sink(spn_snapshot_to_variant(self->snapshot));
    return g_variant_ref(self->snapshot_variant);
}

/* The one place a snapshot is published: Changed (and with it the Snapshot property), and Seeked
 * when the change was a jump. */
static void emit_change(SpnEngine *self, gboolean seek)
{
    g_clear_handle_id(&self->change_hold_source, g_source_remove);
    self->change_held = FALSE;
    g_clear_pointer(&self->published, g_variant_unref);
    self->published = spn_engine_dup_snapshot(self);
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0, self->published);
    if (seek)
        g_signal_emit(self, signals[SIGNAL_SEEKED], 0, self->snapshot->progress_ms);
    /* Callers who waited for the poll behind this change hear of it with everyone else. */
    if (!spn_requests_is_busy(self->requests))
        spn_requests_settle(self->requests, self->published, NULL);
}

static void flush_held_change(SpnEngine *self)
{
    if (self->change_held)
        emit_change(self, FALSE);
}

static gboolean on_change_hold_expired(gpointer user_data)
{
    SpnEngine *self = user_data;
    self->change_hold_source = 0;
    flush_held_change(self);
    return G_SOURCE_REMOVE;
}

/* ---- album art ---------------------------------------------------------------------------- */

/* Fills @fresh's albumArtFile from the cache; TRUE while its image is on its way, so the caller
 * may hold the Changed for it. */
static gboolean resolve_art(SpnEngine *self, SpnSnapshot *fresh)
{
    if (fresh->album_art == NULL || *fresh->album_art == '\0') {
        g_clear_pointer(&fresh->album_art_file, g_free);
        return FALSE;
    }
    gboolean fetching = FALSE;
    const char *cached = spn_art_resolver_resolve(self->art, fresh->album_art, &fetching);
    if (g_strcmp0(fresh->album_art_file, cached) != 0) {
        g_free(fresh->album_art_file);
        fresh->album_art_file = g_strdup(cached);
    }
    return fetching;
}

/* A download ended: the file goes into the snapshot only while its URL is still the
 * snapshot's (the image of a track already gone changes nothing), and a Changed held for it
 * goes out either way. */
static void on_art_resolved(SpnArtResolver *art, const char *url, const char *path,
                            gpointer user_data)
{
    SpnEngine *self = user_data;
    if (path != NULL && g_strcmp0(self->snapshot->album_art, url) == 0 &&
        g_strcmp0(self->snapshot->album_art_file, path) != 0)
        engine_apply_snapshot(self, spn_snapshot_copy(self->snapshot));
    flush_held_change(self);
}

/* Rule 9, write suppression: the state file and Changed only for a real change. The in-memory
 * snapshot always takes the new progress and fetchedAt, so readers extrapolate from the
 * freshest fix. A new track whose art is downloading holds its Changed until the file is there
 * (or SPN_ART_HOLD_MS passed), so one track change is one Changed, art included. */
SpnChange engine_apply_snapshot(SpnEngine *self, SpnSnapshot *fresh)
{
    gboolean awaiting_art = resolve_art(self, fresh);
    SpnChange change = spn_snapshot_compare(self->snapshot, fresh);
    spn_snapshot_free(self->snapshot);
    self->snapshot = fresh;
    g_clear_pointer(&self->snapshot_variant, g_variant_unref);
    if (change == SPN_CHANGE_NONE)
        return change;
    g_debug("snapshot changed (%s)", change == SPN_CHANGE_SEEK ? "seek" : "metadata");
    engine_save_state(self);
    if (awaiting_art && change == SPN_CHANGE_METADATA) {
        /* A change already held is superseded by this one: one Changed for both, within the
         * first one's deadline, so a burst of skips cannot postpone it for ever. */
        if (!self->change_held) {
            self->change_held = TRUE;
            self->change_hold_source = g_timeout_add(SPN_ART_HOLD_MS, on_change_hold_expired, self);
        }
    } else {
        emit_change(self, change == SPN_CHANGE_SEEK);
    }
    return change;
}

/* ---- the request chain ------------------------------------------------------------------- */

static GError *signed_out_error(SpnEngine *self)
{
    return g_error_new_literal(SPN_ERROR, SPN_ERROR_SIGNED_OUT,
                               g_str_equal(engine_auth_state(self), "revoked")
                                   ? _("Spotify revoked the sign-in; sign in again")
                                   : _("Not signed in to Spotify; run “spotnow login”"));
}

static void return_signed_out(SpnEngine *self, GTask *task)
{
    g_task_return_error(task, signed_out_error(self));
}

static char *clock_time(gint64 unix_ms)
{
    g_autoptr(GDateTime) when = g_date_time_new_from_unix_local(unix_ms / 1000);
    if (when == NULL)
        return g_strdup("?");
    gint64 now = engine_now_ms();
    /* A wait into another day says which. */
    const char *format = unix_ms - now > 20 * 3600 * 1000 ? "%a %H:%M" : "%H:%M";
    return g_date_time_format(when, format);
}

/* Rule 12, in words: what `spotnow status` and a refused command say. */
static char *quota_message(gint64 until)
{
    g_autofree char *at = clock_time(until);
    return g_strdup_printf(_("Spotify's daily request quota for this app is spent; requests "
                             "resume at %s"),
                           at);
}

GError *engine_held_back(SpnEngine *self, SpnSpend spend)
{
    gint64 now = engine_now_ms();
    if (!engine_can_poll(self))
        return signed_out_error(self);
    if (self->poll_state.quota_exceeded_until > now) {
        g_autofree char *message = quota_message(self->poll_state.quota_exceeded_until);
        return g_error_new_literal(SPN_ERROR, SPN_ERROR_RATE_LIMITED, message);
    }
    if (self->poll_state.backoff_until > now) {
        g_autofree char *at = clock_time(self->poll_state.backoff_until);
        /* A 5xx or network back-off is Spotify failing, not Spotify asking to wait. */
        if (self->poll_state.failures > 0)
            return g_error_new(SPN_ERROR, SPN_ERROR_UPSTREAM,
                               _("Spotify is failing (%s); spotnowd tries again at %s"),
                               self->last_error ? self->last_error : "", at);
        return g_error_new(SPN_ERROR, SPN_ERROR_RATE_LIMITED,
                           _("Spotify asked to wait (%s); try again after %s"),
                           self->last_error ? self->last_error : "", at);
    }
    if (!spn_budget_allows(self->budget, spend, now)) {
        g_autofree char *at = clock_time(spn_budget_allowed_at(self->budget, spend, now));
        return g_error_new(SPN_ERROR, SPN_ERROR_RATE_LIMITED,
                           _("spotnow's request budget (%u requests a window) is spent; the "
                             "next request may go out at %s"),
                           spn_budget_limit(self->budget), at);
    }
    return NULL;
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

/* Every Web API request the transport sent goes into the budget (rule 11). */
static void record_requests(SpnEngine *self, gint64 now)
{
    guint64 count = spn_spotify_api_get_api_request_count(self->api);
    for (; self->api_requests_seen < count; self->api_requests_seen++)
        spn_budget_record(self->budget, now);
}

/* A spent quota: nothing goes out before it passes, and the reason outlives a restart. */
#define QUOTA_DEFAULT_WAIT_S 3600.0

/* What every chain's outcome means for the engine, poll or command alike: a 429 backs everything
 * off (it is one quota), invalid_grant stops polling, a lasting 403 turns control off. */
static void absorb_outcome(SpnEngine *self, const SpnPollOutcome *outcome, gint64 now)
{
    switch (outcome->kind) {
        case SPN_POLL_RATE_LIMITED:
            self->poll_state.backoff_until = spn_backoff_rate_limited_until(
                outcome->retry_until, now, self->config->retry_after_default_s);
            engine_set_last_error(self, outcome->message);
            break;
        case SPN_POLL_QUOTA: {
            self->poll_state.quota_exceeded_until =
                spn_backoff_rate_limited_until(outcome->retry_until, now, QUOTA_DEFAULT_WAIT_S);
            g_autofree char *message = quota_message(self->poll_state.quota_exceeded_until);
            engine_set_last_error(self, message);
            break;
        }
        case SPN_POLL_REVOKED:
            /* Never retry invalid_grant: polling stops until the person signs in again. The
             * snapshot stays; the credentials stay too, marked, so a restart does not retry. */
            if (self->credentials != NULL) {
                self->credentials->revoked = TRUE;
                engine_save_credentials(self);
            }
            engine_set_last_error(self, outcome->message);
            break;
        case SPN_POLL_FORBIDDEN:
            self->control_forbidden = TRUE;
            break;
        default:
            break;
    }
}

/* A poll's own outcome: the snapshot, or a back-off. */
static void absorb_poll(SpnEngine *self, const SpnPollOutcome *outcome, gint64 now)
{
    self->poll_state.last_poll_at = now;
    self->poll_count++;
    switch (outcome->kind) {
        case SPN_POLL_OK: {
            self->poll_state.failures = 0;
            self->poll_state.backoff_until = 0;
            self->poll_state.quota_exceeded_until = 0;
            engine_set_last_error(self, NULL);
            /* A poll that was in flight when the local client began to play is older news
             * than the client's own signals (rule 13). */
            if (self->local_source)
                break;
            SpnChange change = engine_apply_snapshot(self, spn_snapshot_copy(outcome->snapshot));
            /* Rule 14: the same pause, found again, is polled half as often. */
            if (change == SPN_CHANGE_NONE && !self->snapshot->is_playing &&
                !self->snapshot->upstream_playing)
                self->unchanged_paused_polls++;
            else
                self->unchanged_paused_polls = 0;
            break;
        }
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
        case SPN_POLL_QUOTA:
        case SPN_POLL_REVOKED:
            break;
    }
    if (outcome->kind != SPN_POLL_OK)
        g_debug("poll failed: %s", outcome->message);
}

void engine_on_chain_done(const SpnPollOutcome *outcome, gboolean command, gpointer user_data)
{
    SpnEngine *self = user_data;
    gint64 now = engine_now_ms();
    gint64 backoff_before = self->poll_state.backoff_until;
    gint64 quota_before = self->poll_state.quota_exceeded_until;

    record_requests(self, now);
    absorb_outcome(self, outcome, now);
    if (!command)
        absorb_poll(self, outcome, now);
    /* Credentials refreshed while the disk was full or read-only reach it once it is back, not
     * at the next refresh an hour later: a rotated refresh token would die with a restart. */
    if (self->credentials_unsaved && self->credentials != NULL)
        engine_save_credentials(self);
    /* Poll bookkeeping is persisted sparingly: whenever a wait starts, moves or ends, so a
     * restart honours a Retry-After of hours; otherwise it rides along with snapshot writes. */
    /* The budget's count is saved at least once a bucket, so a crash loses a bucket at most. */
    gboolean budget_due =
        spn_budget_enabled(self->budget) &&
        now - self->state_saved_at >= spn_budget_window_ms(self->budget) / SPN_BUDGET_BUCKETS;
    if (backoff_before != self->poll_state.backoff_until ||
        quota_before != self->poll_state.quota_exceeded_until || budget_due)
        engine_save_state(self);

    /* A change held for its art answers the poll's callers when it goes out (emit_change), so
     * EnsureFresh never returns a track no Changed has announced, nor the one before it. */
    if (!command && !self->change_held) {
        g_autoptr(GVariant) snapshot = spn_engine_dup_snapshot(self);
        g_autoptr(GError) error = engine_can_poll(self) ? NULL : signed_out_error(self);
        spn_requests_settle(self->requests, snapshot, error);
    }
    /* The command worked: poll once so its effect shows at once. */
    engine_next(self, command && outcome->kind == SPN_POLL_OK, SPN_SPEND_ENSURE_FRESH);
}

/* After any chain or trigger: the next queued command, else a poll that callers wait for, else
 * the timer. */
void engine_next(SpnEngine *self, gboolean poll_now, SpnSpend spend)
{
    engine_maybe_emit_status_changed(self);
    engine_maybe_emit_control_changed(self);
    if (spn_requests_is_busy(self->requests))
        return;
    if (spn_requests_has_command(self->requests)) {
        g_autoptr(GError) held = engine_held_back(self, SPN_SPEND_ENSURE_FRESH);
        if (held == NULL) {
            g_clear_handle_id(&self->poll_source, g_source_remove);
            self->next_poll_at = 0;
            spn_requests_run_command(self->requests, self->credentials, self->snapshot);
            return;
        }
        spn_requests_fail_commands(self->requests, held);
    }
    if (poll_now || (spn_requests_has_waiters(self->requests) && !self->change_held))
        engine_start_poll(self, spend);
    else
        engine_reschedule(self);
}

void engine_start_poll(SpnEngine *self, SpnSpend spend)
{
    /* A chain in flight: its end starts the poll the waiters joined (engine_next). */
    if (spn_requests_is_busy(self->requests))
        return;
    g_clear_handle_id(&self->poll_source, g_source_remove);
    self->next_poll_at = 0;
    g_autoptr(GError) held = engine_held_back(self, spend);
    if (held != NULL || self->local_source) {
        /* Signed out: SignedOut. Held back: not an error; callers get the cache (rule 11). */
        g_autoptr(GVariant) snapshot = spn_engine_dup_snapshot(self);
        spn_requests_settle(self->requests, snapshot, engine_can_poll(self) ? NULL : held);
        engine_maybe_emit_status_changed(self);
        engine_reschedule(self);
        return;
    }
    spn_requests_run_poll(self->requests, self->credentials, self->snapshot);
}

void engine_abort_requests(SpnEngine *self, const char *why)
{
    g_autoptr(GVariant) snapshot = spn_engine_dup_snapshot(self);
    g_autoptr(GError) waiter_error = engine_can_poll(self) ? NULL : signed_out_error(self);
    g_autoptr(GError) command_error = g_error_new_literal(SPN_ERROR, SPN_ERROR_SIGNED_OUT, why);
    spn_requests_abort(self->requests, snapshot, waiter_error, command_error);
    record_requests(self, engine_now_ms());
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

/* ---- the local source (rule 13) ---------------------------------------------------------- */

void spn_engine_set_local_source(SpnEngine *self, gboolean active)
{
    if (self->local_source == active)
        return;
    self->local_source = active;
    engine_maybe_emit_status_changed(self);
    if (active) {
        engine_reschedule(self);
        return;
    }
    /* Paused, stopped or gone here: playback may have moved to the phone. Look once, now. */
    self->unchanged_paused_polls = 0;
    engine_start_poll(self, SPN_SPEND_ENSURE_FRESH);
}

void spn_engine_apply_local(SpnEngine *self, const SpnSnapshot *snapshot)
{
    if (!self->local_source)
        return;
    self->poll_state.last_poll_at = snapshot->fetched_at;
    engine_apply_snapshot(self, spn_snapshot_copy(snapshot));
    /* EnsureFresh callers who joined a poll the local source made moot get this. */
    g_autoptr(GVariant) current = spn_engine_dup_snapshot(self);
    if (!spn_requests_is_busy(self->requests))
        spn_requests_settle(self->requests, current, NULL);
}

/* ---- scheduling ------------------------------------------------------------------------- */

static SpnSchedulerInput scheduler_input(SpnEngine *self)
{
    return (SpnSchedulerInput){
        .now_ms = engine_now_ms(),
        .can_poll = engine_can_poll(self),
        .viewers_present = viewer_count(self) > 0,
        .last_attempt_at = self->poll_state.last_poll_at,
        .backoff_until = MAX(self->poll_state.backoff_until, self->poll_state.quota_exceeded_until),
        .snapshot = self->snapshot,
        .local_source = self->local_source,
        .unchanged_paused_polls = self->unchanged_paused_polls,
        .budget = spn_budget_enabled(self->budget) ? self->budget : NULL,
    };
}

static gboolean on_poll_timer(gpointer user_data)
{
    SpnEngine *self = user_data;
    self->poll_source = 0;
    engine_start_poll(self, self->next_spend);
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
    if (spn_requests_is_busy(self->requests))
        return;
    SpnSchedulerInput input = scheduler_input(self);
    gint64 due = spn_scheduler_next_poll(&self->settings, &input, &self->next_spend);
    if (due == SPN_SCHEDULER_NEVER)
        return;
    self->next_poll_at = MAX(due, input.now_ms);
    self->poll_source = g_timeout_add(delay_until(due, input.now_ms), on_poll_timer, self);
    g_debug("next poll in %" G_GINT64_FORMAT " ms", self->next_poll_at - input.now_ms);
}

/* ---- presence --------------------------------------------------------------------------- */

static void arm_presence_timer(SpnEngine *self);

/* Presence expires on the monotonic clock: a wall clock set back must not keep departed viewers
 * present. */
static gint64 monotonic_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

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
        engine_start_poll(self, SPN_SPEND_ENSURE_FRESH);
    else
        engine_reschedule(self);
}

static gboolean on_presence_timer(gpointer user_data)
{
    SpnEngine *self = user_data;
    self->presence_source = 0;
    g_autoptr(GPtrArray) emptied = g_ptr_array_new_with_free_func(g_free);
    guint dropped = spn_presence_expire(self->presence, monotonic_ms(), emptied);
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
        g_timeout_add(delay_until(next, monotonic_ms()), on_presence_timer, self);
}

gboolean spn_engine_report_viewer(SpnEngine *self, const char *sender, const char *viewer_id,
                                  gboolean *new_sender, GError **error)
{
    guint before = viewer_count(self);
    gint64 expires_at = monotonic_ms() + spn_seconds_to_ms(self->config->presence_ttl_s);
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
    SpnFreshness freshness = spn_scheduler_freshness(&self->settings, &input);
    if (freshness == SPN_FRESHNESS_SIGNED_OUT) {
        return_signed_out(self, task);
        return;
    }
    /* A change waiting for its art is fresher than the cache and any poll: its Changed answers
     * (within SPN_ART_HOLD_MS). */
    if (self->change_held) {
        spn_requests_add_waiter(self->requests, g_steal_pointer(&task));
        return;
    }
    if (freshness == SPN_FRESHNESS_CACHED) {
        g_task_return_pointer(task, spn_engine_dup_snapshot(self), (GDestroyNotify)g_variant_unref);
        return;
    }
    /* Rule 4: join the poll in flight, or start the one every later caller joins. An explicit
     * ask ends the long-pause decay (rule 14). */
    self->unchanged_paused_polls = 0;
    spn_requests_add_waiter(self->requests, g_steal_pointer(&task));
    engine_start_poll(self, SPN_SPEND_ENSURE_FRESH);
}

GVariant *spn_engine_ensure_fresh_finish(SpnEngine *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

/* ---- life cycle ------------------------------------------------------------------------- */

/* A wait that outlived a restart says why, as it did before it (rule 12): the status must not
 * show a back-off with no error. */
static void restore_last_error(SpnEngine *self)
{
    gint64 now = engine_now_ms();
    if (self->poll_state.quota_exceeded_until > now) {
        g_autofree char *message = quota_message(self->poll_state.quota_exceeded_until);
        engine_set_last_error(self, message);
    } else if (self->poll_state.backoff_until > now) {
        g_autofree char *at = clock_time(self->poll_state.backoff_until);
        g_autofree char *message =
            self->poll_state.failures > 0
                ? g_strdup_printf(_("Spotify was failing before spotnowd restarted; it tries "
                                    "again at %s"),
                                  at)
                : g_strdup_printf(_("Spotify asked to wait before spotnowd restarted; it tries "
                                    "again at %s"),
                                  at);
        engine_set_last_error(self, message);
    }
}

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
    restore_last_error(self);
}

SpnEngine *spn_engine_new(const SpnConfig *config, const char *state_dir, const char *art_dir)
{
    SpnEngine *self = g_object_new(SPN_TYPE_ENGINE, NULL);
    self->config = config;
    self->state_dir = g_strdup(state_dir);
    g_autoptr(SpnArtCache) art_cache = spn_art_cache_new(art_dir, SPN_ART_CACHE_DEFAULT_MAX_BYTES);
    spn_art_cache_set_timeout(art_cache, config->request_timeout_s);
    self->art = spn_art_resolver_new(art_cache);
    g_signal_connect_object(self->art, "resolved", G_CALLBACK(on_art_resolved), self, 0);
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
    self->requests = spn_requests_new(self->poll, engine_on_chain_done, self);
    self->budget =
        spn_budget_new(config->budget_requests, spn_seconds_to_ms(config->budget_window_s));
    self->poll_state.budget = self->budget;
    self->sign_in = spn_sign_in_new(self->config, self->api);
    g_signal_connect_object(self->sign_in, "signed-in", G_CALLBACK(engine_on_signed_in), self, 0);
    g_signal_connect_object(self->sign_in, "failed", G_CALLBACK(engine_on_sign_in_failed), self, 0);
    load_files(self);
    self->last_can_control = spn_engine_can_control(self);
    /* What a client reads at start is no change. */
    self->status_signature = status_signature(self, self->last_error);
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
    resolve_art(self, self->snapshot);
    g_clear_pointer(&self->snapshot_variant, g_variant_unref);
    g_clear_pointer(&self->published, g_variant_unref);
    self->published = spn_engine_dup_snapshot(self);
    engine_reschedule(self);
}

void spn_engine_shutdown(SpnEngine *self, gboolean save_state)
{
    g_clear_handle_id(&self->poll_source, g_source_remove);
    g_clear_handle_id(&self->presence_source, g_source_remove);
    spn_sign_in_cancel(self->sign_in);
    spn_art_resolver_cancel(self->art);
    g_clear_handle_id(&self->change_hold_source, g_source_remove);
    engine_abort_requests(self, _("spotnowd is shutting down; nothing was sent"));
    if (save_state)
        engine_save_state(self);
}

static void spn_engine_finalize(GObject *object)
{
    SpnEngine *self = SPN_ENGINE(object);
    g_clear_handle_id(&self->poll_source, g_source_remove);
    g_clear_handle_id(&self->presence_source, g_source_remove);
    g_clear_object(&self->requests);
    g_clear_object(&self->poll);
    g_clear_object(&self->sign_in);
    g_clear_object(&self->api);
    g_clear_pointer(&self->budget, spn_budget_free);
    g_clear_pointer(&self->published, g_variant_unref);
    g_clear_pointer(&self->presence, spn_presence_free);
    g_clear_pointer(&self->snapshot, spn_snapshot_free);
    g_clear_pointer(&self->snapshot_variant, g_variant_unref);
    g_clear_pointer(&self->credentials, spn_credentials_free);
    g_clear_handle_id(&self->change_hold_source, g_source_remove);
    if (self->art != NULL)
        spn_art_resolver_cancel(self->art);
    g_clear_object(&self->art);
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
    /* (gint64 progress_ms): a poll found progress off its prediction (a scrub elsewhere). */
    signals[SIGNAL_SEEKED] = g_signal_new("seeked", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                          NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
    /* spn_engine_can_control() changed: MPRIS reads its Can* flags anew. */
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
    self->presence = spn_presence_new(SPN_PRESENCE_MAX_PER_SENDER, SPN_PRESENCE_MAX_TOTAL);
}
