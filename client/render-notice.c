/* render-notice.c — what the daemon's status means for what `spotnow` shows: the one truth
 * about isPlaying every output shares, the notice that the data is old (and why), the request
 * budget, and daemon text made safe for a terminal. Pure, like the rest of render.h. */
#define G_LOG_DOMAIN "spotnow-render"

#include <glib/gi18n.h>
#include <string.h>

#include "render-private.h"
#include "render.h"
#include "spn-snapshot.h"

/* Any integer type, so a daemon that widens a field (u → t) still counts. */
gboolean spn_render_lookup_integer(GVariant *dict, const char *key, gint64 *out)
{
    g_autoptr(GVariant) value = dict != NULL ? g_variant_lookup_value(dict, key, NULL) : NULL;
    if (value == NULL) {
        return FALSE;
    }
    switch (g_variant_classify(value)) {
        case G_VARIANT_CLASS_INT32:
            *out = g_variant_get_int32(value);
            return TRUE;
        case G_VARIANT_CLASS_UINT32:
            *out = g_variant_get_uint32(value);
            return TRUE;
        case G_VARIANT_CLASS_INT64:
            *out = g_variant_get_int64(value);
            return TRUE;
        case G_VARIANT_CLASS_UINT64:
            *out = (gint64)MIN(g_variant_get_uint64(value), (guint64)G_MAXINT64);
            return TRUE;
        default:
            return FALSE;
    }
}

char *spn_render_clean_text(const char *text)
{
    g_autofree char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
    GString *out = g_string_sized_new(strlen(valid));
    for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c == '\t' || c == '\n' || c == '\r') {
            g_string_append_c(out, ' '); /* one line stays one line */
        } else if (!g_unichar_iscntrl(c)) {
            g_string_append_unichar(out, c);
        }
    }
    return g_string_free(out, FALSE);
}

GVariant *spn_render_clean_dict(GVariant *dict)
{
    if (dict == NULL) {
        return NULL;
    }
    g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
    GVariantIter iter;
    const char *key;
    GVariant *value;
    g_variant_iter_init(&iter, dict);
    while (g_variant_iter_loop(&iter, "{&sv}", &key, &value)) {
        if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING)) {
            g_autofree char *clean = spn_render_clean_text(g_variant_get_string(value, NULL));
            g_variant_builder_add(&builder, "{sv}", key, g_variant_new_string(clean));
        } else {
            g_variant_builder_add(&builder, "{sv}", key, value);
        }
    }
    return g_variant_ref_sink(g_variant_builder_end(&builder));
}

/* "14:05:09" today, "Tue 14:05" within a week, else the date: when a wait ends. */
static char *format_moment(gint64 unix_ms, gint64 now_ms)
{
    g_autoptr(GDateTime) when = g_date_time_new_from_unix_local(unix_ms / 1000);
    g_autoptr(GDateTime) now = g_date_time_new_from_unix_local(now_ms / 1000);
    if (when == NULL || now == NULL) {
        return g_strdup("?");
    }
    if (g_date_time_get_year(when) == g_date_time_get_year(now) &&
        g_date_time_get_day_of_year(when) == g_date_time_get_day_of_year(now)) {
        return g_date_time_format(when, "%H:%M:%S");
    }
    return g_date_time_format(when, unix_ms - now_ms < 6 * 86400000LL ? "%a %H:%M" : "%F %H:%M");
}

char *spn_render_window_words(gint64 window_ms)
{
    const gint64 hour = 3600000;
    if (window_ms > 0 && window_ms % hour == 0 && window_ms <= 48 * hour) {
        return g_strdup_printf(_("%d h"), (int)(window_ms / hour));
    }
    if (window_ms > 0 && window_ms % (24 * hour) == 0) {
        return g_strdup_printf(_("%d d"), (int)MIN(window_ms / (24 * hour), G_MAXINT));
    }
    /* An odd window: the relative-time words of "in 90 min", without "in". */
    return spn_render_span(window_ms);
}

SpnHold spn_render_hold(GVariant *status, gint64 now_ms)
{
    if (status == NULL || spn_render_is_signed_out(status)) {
        return SPN_HOLD_NONE;
    }
    if (spn_render_get_int(status, "quotaExceededUntil") > now_ms) {
        return SPN_HOLD_QUOTA;
    }
    gint64 budget = 0;
    gint64 used = 0;
    if (spn_render_lookup_integer(status, "budgetRequests", &budget) && budget > 0 &&
        spn_render_lookup_integer(status, "requestsInWindow", &used) && used >= budget) {
        return SPN_HOLD_BUDGET;
    }
    if (spn_render_get_int(status, "backoffUntil") > now_ms) {
        return SPN_HOLD_BACKOFF;
    }
    const char *error = NULL;
    if (g_variant_lookup(status, "lastError", "&s", &error) && error[0] != '\0') {
        return SPN_HOLD_FAILING;
    }
    return SPN_HOLD_NONE;
}

char *spn_render_notice(GVariant *status, gint64 now_ms)
{
    SpnHold hold = spn_render_hold(status, now_ms);
    if (hold == SPN_HOLD_NONE) {
        return NULL;
    }
    g_autoptr(GVariant) clean = spn_render_clean_dict(status);
    const char *error = "";
    g_variant_lookup(clean, "lastError", "&s", &error);
    g_autofree char *reason = NULL;
    g_autofree char *until = NULL;
    switch (hold) {
        case SPN_HOLD_QUOTA:
            reason = g_strdup(_("Spotify says this app’s request quota is spent"));
            until = format_moment(spn_render_get_int(status, "quotaExceededUntil"), now_ms);
            break;
        case SPN_HOLD_BUDGET: {
            g_autofree char *window =
                spn_render_window_words(spn_render_get_int(status, "budgetWindowMs"));
            g_autofree char *limit =
                g_strdup_printf("%" G_GINT64_FORMAT, spn_render_get_int(status, "budgetRequests"));
            /* TRANSLATORS: "the request budget of 1000 requests in 24 h is used up" */
            reason = g_strdup_printf(_("the request budget of %s requests in %s is used up"), limit,
                                     window);
            /* TRANSLATORS: the notice that the request budget holds polling back */
            return g_strdup_printf(_("⚠ spotnowd: %s — polling resumes as older requests leave "
                                     "the window, serving the cache"),
                                   reason);
        }
        case SPN_HOLD_BACKOFF:
            reason = g_strdup(error[0] != '\0' ? error : _("backing off after failed polls"));
            until = format_moment(spn_render_get_int(status, "backoffUntil"), now_ms);
            break;
        case SPN_HOLD_FAILING:
        case SPN_HOLD_NONE:
        default:
            /* TRANSLATORS: %s is the daemon's last error, e.g. "Cannot reach Spotify: …" */
            return g_strdup_printf(_("⚠ spotnowd: %s — serving the cache"), error);
    }
    /* TRANSLATORS: the reason polling is held back, then the clock time it resumes */
    return g_strdup_printf(_("⚠ spotnowd: %s — waiting until %s, serving the cache"), reason,
                           until);
}

const char *spn_render_recovered_notice(void)
{
    return _("✓ spotnowd: Spotify answers again");
}

/* A playing snapshot nobody has confirmed since (a daemon not yet polled since its start, or
 * one whose polls fail) says nothing about the time after its track's predicted end. */
static gboolean past_unconfirmed_end(GVariant *snapshot, GVariant *status, gint64 now_ms)
{
    if (status == NULL) {
        return FALSE;
    }
    gint64 polls = -1;
    gboolean unconfirmed = (spn_render_lookup_integer(status, "pollCount", &polls) && polls == 0) ||
                           spn_render_hold(status, now_ms) != SPN_HOLD_NONE;
    gint64 duration = spn_render_get_int(snapshot, SPN_KEY_DURATION_MS);
    return unconfirmed && duration > 0 && spn_render_position_ms(snapshot, now_ms) >= duration;
}

GVariant *spn_render_effective_snapshot(GVariant *snapshot, GVariant *status, gint64 now_ms)
{
    gboolean playing = FALSE;
    g_variant_lookup(snapshot, SPN_KEY_IS_PLAYING, "b", &playing);
    if (!playing) {
        return g_variant_ref(snapshot);
    }
    gboolean signed_out = status != NULL && spn_render_is_signed_out(status);
    gboolean ended = !signed_out && past_unconfirmed_end(snapshot, status, now_ms);
    if (!signed_out && !ended) {
        return g_variant_ref(snapshot);
    }
    /* Signed out, the daemon no longer learns what plays: its cached isPlaying is history, so
     * it is shown as last played, frozen where it was last seen; past its end, at its end. */
    g_auto(GVariantDict) dict;
    g_variant_dict_init(&dict, snapshot);
    g_variant_dict_insert(&dict, SPN_KEY_IS_PLAYING, "b", FALSE);
    if (ended) {
        g_variant_dict_insert(&dict, SPN_KEY_PROGRESS_MS, "x",
                              spn_render_get_int(snapshot, SPN_KEY_DURATION_MS));
    }
    return g_variant_ref_sink(g_variant_dict_end(&dict));
}

gint64 spn_render_next_change_ms(GVariant *snapshot, GVariant *status, gint64 now_ms)
{
    gboolean playing = FALSE;
    g_variant_lookup(snapshot, SPN_KEY_IS_PLAYING, "b", &playing);
    gint64 duration = spn_render_get_int(snapshot, SPN_KEY_DURATION_MS);
    if (!playing || status == NULL || duration <= 0) {
        return -1;
    }
    gint64 remaining = duration - spn_render_position_ms(snapshot, now_ms);
    return remaining > 0 ? now_ms + remaining : -1;
}
