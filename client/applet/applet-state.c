/* applet-state.c — snapshot + status + bus presence → the view. */
#define G_LOG_DOMAIN "spotnow-applet-state"

#include "applet-state.h"

#include <glib/gi18n.h>

#include "spn-snapshot.h"

/* The fields of the snapshot the view needs; absent keys read as doc/design.md's defaults. */
typedef struct {
    gboolean is_playing;
    char *track_name;
    char *artist_name;
    char *album_name;
    char *album_art;      /* "" = none */
    char *album_art_file; /* NULL = absent */
    char *track_url;      /* NULL = absent */
    char *item_type;
    gint64 progress_ms;
    gint64 duration_ms;
    gint64 fetched_at;
} Snapshot;

static void snapshot_clear(Snapshot *s)
{
    g_free(s->track_name);
    g_free(s->artist_name);
    g_free(s->album_name);
    g_free(s->album_art);
    g_free(s->album_art_file);
    g_free(s->track_url);
    g_free(s->item_type);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Snapshot, snapshot_clear)

/* A copy: a looked-up child of a serialised a{sv} may be a temporary whose string dies with it
 * (GLib normalises untrusted D-Bus data), so no pointer into it outlives this call. */
static char *lookup_string(GVariant *dict, const char *key, const char *fallback)
{
    g_autoptr(GVariant) value = g_variant_lookup_value(dict, key, G_VARIANT_TYPE_STRING);
    return g_strdup(value != NULL ? g_variant_get_string(value, NULL) : fallback);
}

/* An optional string: absent and "" both mean "none". */
static char *lookup_optional(GVariant *dict, const char *key)
{
    char *value = lookup_string(dict, key, NULL);
    if (value != NULL && *value == '\0')
        g_clear_pointer(&value, g_free);
    return value;
}

static gint64 lookup_int64(GVariant *dict, const char *key)
{
    gint64 value = 0;
    return g_variant_lookup(dict, key, "x", &value) ? value : 0;
}

static void read_snapshot(GVariant *dict, Snapshot *s)
{
    g_variant_lookup(dict, SPN_KEY_IS_PLAYING, "b", &s->is_playing);
    s->track_name = lookup_string(dict, SPN_KEY_TRACK_NAME, "");
    s->artist_name = lookup_string(dict, SPN_KEY_ARTIST_NAME, "");
    s->album_name = lookup_string(dict, SPN_KEY_ALBUM_NAME, "");
    s->album_art = lookup_string(dict, SPN_KEY_ALBUM_ART, "");
    s->album_art_file = lookup_optional(dict, SPN_KEY_ALBUM_ART_FILE);
    s->track_url = lookup_optional(dict, SPN_KEY_TRACK_URL);
    s->item_type = lookup_string(dict, SPN_KEY_ITEM_TYPE, "none");
    s->duration_ms = MAX(lookup_int64(dict, SPN_KEY_DURATION_MS), 0);
    s->progress_ms = CLAMP(lookup_int64(dict, SPN_KEY_PROGRESS_MS), 0, s->duration_ms);
    s->fetched_at = lookup_int64(dict, SPN_KEY_FETCHED_AT);
}

/* "Artist · Album", without repeating a name (an episode's show is both) or dangling dots. */
static char *artist_and_album(const Snapshot *s)
{
    gboolean has_artist = *s->artist_name != '\0';
    gboolean has_album = *s->album_name != '\0' && g_strcmp0(s->album_name, s->artist_name) != 0;
    if (has_artist && has_album)
        /* TRANSLATORS: artist and album in the applet's second line */
        return g_strdup_printf(_("%s · %s"), s->artist_name, s->album_name);
    return g_strdup(has_artist ? s->artist_name : has_album ? s->album_name : "");
}

static char *format_clock(gint64 unix_ms)
{
    g_autoptr(GDateTime) when = g_date_time_new_from_unix_local(unix_ms / 1000);
    return when != NULL ? g_date_time_format(when, "%H:%M") : g_strdup("?");
}

/* Any integer type: budgetRequests and requestsInWindow are u, the moments x. */
static gboolean lookup_count(GVariant *dict, const char *key, gint64 *out)
{
    g_autoptr(GVariant) value = g_variant_lookup_value(dict, key, NULL);
    if (value == NULL)
        return FALSE;
    if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT32))
        *out = g_variant_get_uint32(value);
    else if (g_variant_is_of_type(value, G_VARIANT_TYPE_INT64))
        *out = g_variant_get_int64(value);
    else if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT64))
        *out = (gint64)MIN(g_variant_get_uint64(value), (guint64)G_MAXINT64);
    else
        return FALSE;
    return TRUE;
}

/* Spotify's quota or the configured request budget holding polling back, or NULL. Absent keys
 * (an older daemon) say nothing. */
static char *quota_warning(GVariant *status, gint64 now_ms)
{
    gint64 quota_until = 0;
    if (lookup_count(status, "quotaExceededUntil", &quota_until) && quota_until > now_ms) {
        g_autofree char *clock = format_clock(quota_until);
        return g_strdup_printf(_("Spotify says this app’s request quota is spent.\nUpdates "
                                 "resume at %s; until then this is the last known state."),
                               clock);
    }
    gint64 budget = 0;
    gint64 used = 0;
    if (lookup_count(status, "budgetRequests", &budget) && budget > 0 &&
        lookup_count(status, "requestsInWindow", &used) && used >= budget) {
        gint64 window_ms = 0;
        lookup_count(status, "budgetWindowMs", &window_ms);
        g_autofree char *limit = g_strdup_printf("%" G_GINT64_FORMAT, budget);
        g_autofree char *hours = g_strdup_printf("%" G_GINT64_FORMAT, MAX(window_ms / 3600000, 1));
        return g_strdup_printf(
            /* TRANSLATORS: the request budget is spent: requests allowed, then hours */
            _("spotnow used its request budget (%s in %s h).\nUpdates resume as older requests "
              "leave that window; until then this is the last known state."),
            limit, hours);
    }
    return NULL;
}

/* The reason polling is in trouble, or NULL. A back-off without a message (read from state.ini
 * after a restart) still deserves a word, since updates are paused until then. */
static char *warning_from_status(GVariant *status, gint64 now_ms)
{
    if (status == NULL)
        return NULL;
    char *quota = quota_warning(status, now_ms);
    if (quota != NULL)
        return quota;
    g_autofree char *last_error = lookup_string(status, "lastError", "");
    gint64 backoff_until = lookup_int64(status, "backoffUntil");
    gboolean backing_off = backoff_until > now_ms;
    if (*last_error == '\0' && !backing_off)
        return NULL;
    GString *text = g_string_new(NULL);
    /* The daemon's lastError is already written for people ("Cannot reach Spotify: …",
     * Spotify's own words for a 403): shown as it is. */
    if (*last_error != '\0')
        g_string_append(text, last_error);
    else
        g_string_append(text, _("Spotify asked spotnow to wait"));
    if (backing_off) {
        g_autofree char *clock = format_clock(backoff_until);
        g_string_append_c(text, '\n');
        g_string_append_printf(text, _("Next try at %s; until then this is the last known state."),
                               clock);
    }
    return g_string_free(text, FALSE);
}

static void set_texts(SpnAppletView *view, const char *headline, const char *title,
                      const char *subtitle, const char *help)
{
    view->headline = g_strdup(headline);
    view->title = g_strdup(title);
    view->subtitle = g_strdup(subtitle ? subtitle : "");
    view->help = g_strdup(help ? help : "");
}

static void build_no_daemon(SpnAppletView *view, const char *daemon_path)
{
    g_autofree char *help =
        g_strdup_printf(_("Start it with “%s” or through your service manager. This window "
                          "connects by itself as soon as it runs."),
                        daemon_path ? daemon_path : "spotnowd");
    view->mode = SPN_APPLET_MODE_NO_DAEMON;
    set_texts(view, "spotnow", _("spotnowd is not running"),
              _("This window connects once it starts"), help);
}

static void build_signed_out(SpnAppletView *view, gboolean revoked)
{
    view->mode = SPN_APPLET_MODE_SIGNED_OUT;
    view->show_sign_in = TRUE;
    const char *help =
        _("Sign in on Spotify’s page in your browser; this window updates by itself once you "
          "are signed in. Without a browser on this machine, run “spotnow login --paste” in a "
          "terminal.");
    if (revoked) {
        set_texts(view, _("Signed out by Spotify"), _("Spotify ended the sign-in"), NULL, help);
        view->sign_in_label = g_strdup(_("Sign in again…"));
    } else {
        set_texts(view, _("Not signed in"), _("Connect your Spotify account"), NULL, help);
        view->sign_in_label = g_strdup(_("Sign in…"));
    }
}

static void build_item(SpnAppletView *view, const Snapshot *s)
{
    g_autofree char *subtitle = artist_and_album(s);
    gboolean episode = g_str_equal(s->item_type, "episode");
    if (s->is_playing) {
        view->mode = SPN_APPLET_MODE_PLAYING;
        set_texts(view, episode ? _("Episode") : _("Now playing"), s->track_name, subtitle, NULL);
    } else {
        /* Honest offline state: what played last is never presented as playing. */
        view->mode = SPN_APPLET_MODE_LAST_PLAYED;
        set_texts(view, _("Last played"), s->track_name, subtitle, NULL);
        view->art_dimmed = TRUE;
    }
    /* The daemon's URL comes from Spotify: only a web page is opened, never file:, a custom
     * scheme handler or javascript:. */
    if (s->track_url != NULL && g_ascii_strncasecmp(s->track_url, "https://", 8) == 0)
        view->track_url = g_strdup(s->track_url);
    view->art_file = g_strdup(s->album_art_file);
    view->art_expected = view->art_file == NULL && *s->album_art != '\0';
    view->show_progress = s->duration_ms > 0;
    view->ticking = s->is_playing && s->duration_ms > 0;
    view->progress_ms = s->progress_ms;
    view->duration_ms = s->duration_ms;
    view->fetched_at = s->fetched_at;
}

/* The daemon keeps the last item's metadata during an ad: it is context, not the title. */
static void build_ad(SpnAppletView *view, const Snapshot *s)
{
    g_autofree char *subtitle = NULL;
    if (*s->track_name != '\0' && *s->artist_name != '\0')
        subtitle = g_strdup_printf(_("After “%s” by %s"), s->track_name, s->artist_name);
    else if (*s->track_name != '\0')
        subtitle = g_strdup_printf(_("After “%s”"), s->track_name);
    view->mode = SPN_APPLET_MODE_AD;
    set_texts(view, _("Advertisement"), _("Spotify is playing an ad"), subtitle, NULL);
    view->art_file = g_strdup(s->album_art_file);
    view->art_expected = view->art_file == NULL && *s->album_art != '\0';
    view->art_dimmed = TRUE;
}

SpnAppletView *spn_applet_view_new(SpnAppletDaemon daemon, GVariant *snapshot, GVariant *status,
                                   const char *daemon_path, gint64 now_ms)
{
    SpnAppletView *view = g_new0(SpnAppletView, 1);

    if (daemon == SPN_APPLET_DAEMON_ABSENT) {
        build_no_daemon(view, daemon_path);
        return view;
    }
    if (daemon == SPN_APPLET_DAEMON_UNKNOWN || snapshot == NULL || status == NULL) {
        view->mode = SPN_APPLET_MODE_CONNECTING;
        set_texts(view, "spotnow", _("Connecting…"), NULL, NULL);
        return view;
    }

    g_autofree char *auth = lookup_string(status, "authState", "signed-out");
    if (!g_str_equal(auth, "signed-in")) {
        build_signed_out(view, g_str_equal(auth, "revoked"));
        return view;
    }

    g_auto(Snapshot) s = {0};
    read_snapshot(snapshot, &s);
    if (g_str_equal(s.item_type, "ad"))
        build_ad(view, &s);
    else if (g_str_equal(s.item_type, "none") || *s.track_name == '\0') {
        view->mode = SPN_APPLET_MODE_NEVER_PLAYED;
        set_texts(view, "spotnow", _("Nothing played yet"),
                  _("Play something on Spotify, on any device"), NULL);
    } else
        build_item(view, &s);
    view->warning = warning_from_status(status, now_ms);
    return view;
}

void spn_applet_view_set_start_failure(SpnAppletView *view, const char *reason)
{
    if (view->mode != SPN_APPLET_MODE_NO_DAEMON || reason == NULL)
        return;
    g_free(view->title);
    g_free(view->subtitle);
    g_free(view->help);
    view->title = g_strdup(_("spotnowd failed to start"));
    view->subtitle = g_strdup(*reason != '\0' ? reason : _("Its log says why"));
    view->help =
        g_strdup(_("Fix the configuration; this window starts the daemon again by "
                   "itself once it can run."));
}

void spn_applet_view_free(SpnAppletView *view)
{
    if (view == NULL)
        return;
    g_free(view->headline);
    g_free(view->title);
    g_free(view->subtitle);
    g_free(view->help);
    g_free(view->track_url);
    g_free(view->art_file);
    g_free(view->sign_in_label);
    g_free(view->warning);
    g_free(view);
}

gint64 spn_applet_view_progress(const SpnAppletView *view, gint64 now_ms)
{
    if (!view->ticking || now_ms <= view->fetched_at)
        return view->progress_ms;
    return MIN(view->duration_ms, view->progress_ms + (now_ms - view->fetched_at));
}

guint spn_applet_view_next_tick_ms(const SpnAppletView *view, gint64 now_ms)
{
    if (!view->ticking)
        return 0;
    gint64 progress = spn_applet_view_progress(view, now_ms);
    if (progress >= view->duration_ms)
        return 0;
    /* Wake just past the next whole second of elapsed time, so the label never lags a tick. */
    gint64 delay = 1000 - (progress % 1000) + 5;
    return (guint)MIN(delay, view->duration_ms - progress + 5);
}

char *spn_applet_control_reason(SpnAppletDaemon daemon, GVariant *status, const char *refusal)
{
    if (daemon != SPN_APPLET_DAEMON_PRESENT)
        return g_strdup(_("Control needs spotnowd running"));
    g_autofree char *auth = status != NULL ? lookup_string(status, "authState", "") : g_strdup("");
    if (!g_str_equal(auth, "signed-in"))
        return g_strdup(_("Control needs you signed in to Spotify"));
    if (refusal != NULL && *refusal != '\0')
        /* TRANSLATORS: %s is the daemon's reason, e.g. Spotify refused control (Premium) */
        return g_strdup_printf(_("Control is off until you sign in again: %s"), refusal);
    return NULL;
}

char *spn_applet_format_time(gint64 ms)
{
    gint64 s = MAX(ms, 0) / 1000;
    if (s >= 3600)
        return g_strdup_printf("%" G_GINT64_FORMAT ":%02d:%02d", s / 3600, (int)(s / 60 % 60),
                               (int)(s % 60));
    return g_strdup_printf("%" G_GINT64_FORMAT ":%02d", s / 60, (int)(s % 60));
}

char *spn_applet_view_progress_text(const SpnAppletView *view, gint64 now_ms)
{
    g_autofree char *elapsed = spn_applet_format_time(spn_applet_view_progress(view, now_ms));
    g_autofree char *total = spn_applet_format_time(view->duration_ms);
    /* TRANSLATORS: elapsed and total time, read by screen readers */
    return g_strdup_printf(_("%s of %s"), elapsed, total);
}
