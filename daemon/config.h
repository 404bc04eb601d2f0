/* config.h — config.ini (doc/design.md section 5): defaults, loading and validation. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    /* [spotify] */
    char *client_id;          /* NULL when not configured */
    char *client_secret;      /* NULL: PKCE public client */
    char *api_base_url;       /* default https://api.spotify.com, no trailing slash */
    char *accounts_base_url;  /* default https://accounts.spotify.com, no trailing slash */
    guint redirect_port;      /* default 8898, 1..65535 */
    double request_timeout_s; /* default 15; bounded to (0, 300] */
    double sign_in_timeout_s; /* default 600: a sign-in flow not completed by then expires */

    /* [polling] — seconds, fractions allowed, all > 0 */
    double safety_interval_s;      /* default 300 */
    double fresh_playing_s;        /* default 10 */
    double fresh_paused_s;         /* default 30 */
    double presence_ttl_s;         /* default 60 */
    double end_of_item_delay_s;    /* default 1: poll this long after the predicted end */
    double backoff_initial_s;      /* default 10: first back-off after a 5xx/network error */
    double backoff_max_s;          /* default 300 */
    double retry_after_default_s;  /* default 30: a 429 without Retry-After */
    double token_refresh_margin_s; /* default 60: refresh this long before expires-at */
    guint budget_requests;         /* default 1000 Web API requests a window; 0 = no budget */
    double budget_window_s;        /* default 86400: the rolling window of the budget */

    /* [mpris] */
    gboolean mpris_enabled;   /* default true */
    gboolean hide_when_local; /* default true */

    /* [presence] */
    gboolean desktop_session; /* default true */

    char *path; /* the file it came from, or NULL for pure defaults */

    /* Typos that do not stop the daemon but would silently change nothing: unknown groups and
     * keys (with a "did you mean"), values with a " #" comment in them. One sentence each,
     * naming the file; spotnowd prints them at start, on reload and for --check-config. */
    GPtrArray *warnings;
} SpnConfig;

SpnConfig *spn_config_new_defaults(void);
void spn_config_free(SpnConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpnConfig, spn_config_free)

/* TRUE for every group/key pair a config.ini may hold: those spotnowd reads and those other
 * programs read from the same file (spotnow-web's [web]). @key NULL asks about the group. */
gboolean spn_config_is_known(const char *group, const char *key);

/* Load @path over the defaults. A missing file is not an error (defaults). Unknown groups and
 * keys are ignored, each with a warning in config->warnings. A file that cannot be parsed, or a bad
 * value, is SPN_ERROR_CONFIG with a message naming the file, and for a value the group and key,
 * e.g.
 * "/home/u/.config/spotnow/config.ini: [polling] safety-interval-s: expected a positive number
 * of seconds, got “soon”". */
SpnConfig *spn_config_load(const char *path, GError **error);

/* The same validation over an already parsed key file (pure; @path only names it in errors). */
SpnConfig *spn_config_from_key_file(GKeyFile *key_file, const char *path, GError **error);

/* Default locations: $XDG_CONFIG_HOME/spotnow/config.ini, or /etc/spotnow/config.ini for the
 * system bus ($CONFIGURATION_DIRECTORY/config.ini when systemd sets it). */
char *spn_config_default_path(gboolean system_bus);

G_END_DECLS
