/* render-status.c — `spotnow status` in words: the GetStatus dictionary with relative times.
 * Pure, like the rest of render.h. */
#define G_LOG_DOMAIN "spotnow-render"

#include <glib/gi18n.h>

#include "render.h"

#define ANSI_GREEN "\033[32m"
#define ANSI_RED "\033[31m"
#define ANSI_RESET "\033[0m"

char *spn_render_span(gint64 ms)
{
    /* Clamped so the counts fit an int for the translatable formats. */
    int s = (int)MIN((ms + 500) / 1000, (gint64)G_MAXINT / 2);
    if (s < 60) {
        return g_strdup_printf(_("%d s"), s);
    }
    int min = (s + 30) / 60;
    if (min < 60) {
        return g_strdup_printf(_("%d min"), min);
    }
    if (min < 24 * 60) {
        if (min % 60 == 0) {
            return g_strdup_printf(_("%d h"), min / 60);
        }
        return g_strdup_printf(_("%d h %d min"), min / 60, min % 60);
    }
    return g_strdup_printf(_("%d d"), (min + 12 * 60) / (24 * 60));
}

char *spn_render_relative_time(gint64 then_ms, gint64 now_ms)
{
    gint64 delta = then_ms - now_ms;
    if (delta > -500 && delta < 500) {
        return g_strdup(_("now"));
    }
    g_autofree char *amount = spn_render_span(delta < 0 ? -delta : delta);
    /* TRANSLATORS: %s is an amount of time such as "12 s" or "4 min". */
    return delta < 0 ? g_strdup_printf(_("%s ago"), amount) : g_strdup_printf(_("in %s"), amount);
}

static gboolean lookup_integer(GVariant *status, const char *key, gint64 *out)
{
    return spn_render_lookup_integer(status, key, out);
}

typedef struct {
    const char *label;
    char *value;
} Row;

static void row_clear(Row *row)
{
    g_free(row->value);
}

static void add_row(GArray *rows, const char *label, char *value)
{
    Row row = {label, value};
    g_array_append_val(rows, row);
}

/* The authState value itself comes first, untranslated, so scripts and people grepping for
 * "signed-in" find the word the bus uses; what to do about it follows. */
static char *account_text(const char *auth, gboolean colour)
{
    g_autofree char *text = NULL;
    const char *ansi = ANSI_RED;
    if (g_str_equal(auth, "signed-in")) {
        /* TRANSLATORS: the status "signed-in"; shown after the word itself when it differs */
        const char *words = _("signed in");
        text = g_str_equal(words, "signed in") ? g_strdup(auth)
                                               : g_strdup_printf("%s (%s)", auth, words);
        ansi = ANSI_GREEN;
    } else if (g_str_equal(auth, "signed-out")) {
        text = g_strdup_printf("%s (%s)", auth, _("sign in with “spotnow login”"));
    } else if (g_str_equal(auth, "revoked")) {
        text = g_strdup_printf("%s (%s)", auth, _("access revoked or expired: sign in again"));
    } else {
        text = g_strdup(auth);
    }
    return colour ? g_strdup_printf("%s%s%s", ansi, text, ANSI_RESET) : g_steal_pointer(&text);
}

static char *moment_text(GVariant *status, const char *key, const char *if_zero, gint64 now_ms)
{
    gint64 at = 0;
    if (!lookup_integer(status, key, &at)) {
        return NULL;
    }
    return at == 0 ? g_strdup(if_zero) : spn_render_relative_time(at, now_ms);
}

static void add_moment(GArray *rows, const char *label, char *value)
{
    if (value != NULL) {
        add_row(rows, label, value);
    }
}

/* "web (the Spotify Web API)": the bus's word first, as for the account. */
static char *source_text(const char *source)
{
    if (g_str_equal(source, "web")) {
        return g_strdup_printf("%s (%s)", source, _("the Spotify Web API"));
    }
    if (g_str_equal(source, "local")) {
        return g_strdup_printf("%s (%s)", source, _("the Spotify client on this machine"));
    }
    return g_strdup(source);
}

/* "312 of 1000 in the last 24 h", or "312 in the last 24 h (no budget)" for budget 0. */
static char *requests_text(gint64 used, gint64 budget, gint64 window_ms)
{
    g_autofree char *window = spn_render_window_words(window_ms);
    g_autofree char *count = g_strdup_printf("%" G_GINT64_FORMAT, used);
    if (budget <= 0) {
        /* TRANSLATORS: "312 in the last 24 h (no budget)" */
        return g_strdup_printf(_("%s in the last %s (no budget)"), count, window);
    }
    g_autofree char *limit = g_strdup_printf("%" G_GINT64_FORMAT, budget);
    /* TRANSLATORS: "312 of 1000 in the last 24 h" */
    return g_strdup_printf(_("%s of %s in the last %s"), count, limit, window);
}

static void add_budget_rows(GArray *rows, GVariant *status, gint64 now_ms)
{
    gint64 used = 0;
    gint64 budget = 0;
    gint64 window_ms = 0;
    if (spn_render_lookup_integer(status, "requestsInWindow", &used) &&
        spn_render_lookup_integer(status, "budgetWindowMs", &window_ms)) {
        spn_render_lookup_integer(status, "budgetRequests", &budget);
        g_autofree char *text = requests_text(used, budget, window_ms);
        if (budget > 0 && used >= budget) {
            add_row(rows, _("Requests:"),
                    /* TRANSLATORS: the request count, then why polling waits */
                    g_strdup_printf(_("%s: the budget is spent; polling waits until older "
                                      "requests leave the window"),
                                    text));
        } else {
            add_row(rows, _("Requests:"), g_steal_pointer(&text));
        }
    }
    gint64 quota_until = 0;
    if (spn_render_lookup_integer(status, "quotaExceededUntil", &quota_until) &&
        quota_until > now_ms) {
        g_autoptr(GDateTime) when = g_date_time_new_from_unix_local(quota_until / 1000);
        g_autofree char *clock = when != NULL ? g_date_time_format(when, "%F %H:%M") : NULL;
        g_autofree char *relative = spn_render_relative_time(quota_until, now_ms);
        /* TRANSLATORS: "spent until 2026-12-08 00:00 (in 13 h)" */
        add_row(rows, _("Quota:"),
                g_strdup_printf(_("spent until %s (%s): Spotify said QUOTA_EXCEEDED"),
                                clock != NULL ? clock : "?", relative));
    }
}

char *spn_render_status(GVariant *raw_status, gint64 now_ms, gboolean colour)
{
    g_return_val_if_fail(g_variant_is_of_type(raw_status, G_VARIANT_TYPE_VARDICT), NULL);
    /* lastError may carry a browser's redirect text: nothing of it may drive the terminal. */
    g_autoptr(GVariant) status = spn_render_clean_dict(raw_status);

    g_autoptr(GArray) rows = g_array_new(FALSE, FALSE, sizeof(Row));
    g_array_set_clear_func(rows, (GDestroyNotify)row_clear);
    const char *text = NULL;
    gint64 number = 0;

    if (g_variant_lookup(status, "authState", "&s", &text)) {
        add_row(rows, _("Account:"), account_text(text, colour));
    }
    gboolean pending = FALSE;
    if (g_variant_lookup(status, "signInPending", "b", &pending) && pending) {
        const char *listen_error = NULL;
        if (g_variant_lookup(status, "signInListenError", "&s", &listen_error) &&
            listen_error[0] != '\0') {
            /* TRANSLATORS: %s says why the browser cannot come back (the port is in use). */
            g_autofree char *why = g_strdup(listen_error);
            add_row(rows, _("Sign-in:"),
                    g_strdup_printf(_("waiting for a pasted address (%s)"), why));
        } else {
            add_row(rows, _("Sign-in:"),
                    g_strdup(_("in progress, waiting for the browser to come back")));
        }
    }
    if (lookup_integer(status, "viewers", &number)) {
        add_row(rows, _("Viewers:"), g_strdup_printf("%" G_GINT64_FORMAT, number));
    }
    add_moment(rows, _("Last poll:"), moment_text(status, "lastPollAt", _("never"), now_ms));
    add_moment(rows, _("Next poll:"),
               moment_text(status, "nextPollAt", _("none scheduled"), now_ms));
    if (lookup_integer(status, "backoffUntil", &number)) {
        g_autofree char *until = spn_render_relative_time(number, now_ms);
        /* TRANSLATORS: %s is a relative time such as "in 4 min". */
        add_row(rows, _("Back-off:"),
                number > now_ms ? g_strdup_printf(_("ends %s"), until) : g_strdup(_("none")));
    }
    if (g_variant_lookup(status, "lastError", "&s", &text)) {
        gint64 backoff = 0;
        gint64 polls = -1;
        const char *none = _("none");
        /* A back-off read from state.ini after a restart has no message of its own. */
        if (spn_render_lookup_integer(status, "backoffUntil", &backoff) && backoff > now_ms &&
            spn_render_lookup_integer(status, "pollCount", &polls) && polls == 0) {
            none = _("not known since the restart (the back-off was saved before it)");
        }
        add_row(rows, _("Last error:"), g_strdup(text[0] != '\0' ? text : none));
    }
    if (g_variant_lookup(status, "source", "&s", &text)) {
        add_row(rows, _("Source:"), source_text(text));
    }
    add_budget_rows(rows, status, now_ms);
    gint64 requests = 0;
    if (lookup_integer(status, "pollCount", &number) &&
        lookup_integer(status, "upstreamRequests", &requests)) {
        g_autofree char *polls = g_strdup_printf("%" G_GINT64_FORMAT, number);
        g_autofree char *sent = g_strdup_printf("%" G_GINT64_FORMAT, requests);
        /* TRANSLATORS: "42 since start, 57 requests to Spotify" */
        add_row(rows, _("Polls:"),
                g_strdup_printf(_("%s since start, %s requests to Spotify"), polls, sent));
    }

    glong width = 0;
    for (guint i = 0; i < rows->len; i++) {
        width = MAX(width, g_utf8_strlen(g_array_index(rows, Row, i).label, -1));
    }
    g_autoptr(GString) out = g_string_new(NULL);
    for (guint i = 0; i < rows->len; i++) {
        const Row *row = &g_array_index(rows, Row, i);
        glong pad = width - g_utf8_strlen(row->label, -1) + 1;
        g_string_append_printf(out, "%s%*s%s\n", row->label, (int)pad, "", row->value);
    }
    if (out->len > 0) {
        g_string_truncate(out, out->len - 1);
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}
