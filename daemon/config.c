/* config.c — config.ini: defaults, loading and validation (doc/design.md section 5). */
#define G_LOG_DOMAIN "spotnow-config"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "paths.h"
#include "spn-error.h"
#include "spn-text.h"

#define DEFAULT_API_BASE_URL "https://api.spotify.com"
#define DEFAULT_ACCOUNTS_BASE_URL "https://accounts.spotify.com"

/* A week: anything longer is surely a typo (ms for s), and keeps later arithmetic in range. */
#define MAX_SECONDS (7.0 * 24 * 3600)
/* A budget past a million requests a window is no budget at all; 0 switches it off. */
#define MAX_BUDGET 1000000.0
/* A request that hangs longer than this is better retried than waited for. */
#define MAX_REQUEST_TIMEOUT_S 300.0

typedef enum {
    KIND_STRING,  /* char *; "" = NULL */
    KIND_URL,     /* char *; http(s) with a host, trailing slashes stripped */
    KIND_PORT,    /* guint, 1..65535 */
    KIND_SECONDS, /* double, > 0 (or >= 0 with zero_ok), <= max */
    KIND_BOOLEAN, /* gboolean */
    KIND_COUNT,   /* guint, 0..max (a count such as a request budget) */
} KeyKind;

typedef struct {
    const char *group;
    const char *key;
    KeyKind kind;
    size_t offset;
    gboolean zero_ok; /* KIND_SECONDS: 0 is meaningful ("no delay", "no margin") */
    double max;       /* KIND_SECONDS, KIND_COUNT: inclusive upper bound */
} KeySpec;

#define FIELD(f) offsetof(SpnConfig, f)

static const KeySpec key_specs[] = {
    {"spotify", "client-id", KIND_STRING, FIELD(client_id)},
    {"spotify", "client-secret", KIND_STRING, FIELD(client_secret)},
    {"spotify", "api-base-url", KIND_URL, FIELD(api_base_url)},
    {"spotify", "accounts-base-url", KIND_URL, FIELD(accounts_base_url)},
    {"spotify", "redirect-port", KIND_PORT, FIELD(redirect_port)},
    {"spotify", "request-timeout-s", KIND_SECONDS, FIELD(request_timeout_s), FALSE,
     MAX_REQUEST_TIMEOUT_S},
    {"spotify", "sign-in-timeout-s", KIND_SECONDS, FIELD(sign_in_timeout_s), FALSE, MAX_SECONDS},
    {"polling", "safety-interval-s", KIND_SECONDS, FIELD(safety_interval_s), FALSE, MAX_SECONDS},
    {"polling", "fresh-playing-s", KIND_SECONDS, FIELD(fresh_playing_s), FALSE, MAX_SECONDS},
    {"polling", "fresh-paused-s", KIND_SECONDS, FIELD(fresh_paused_s), FALSE, MAX_SECONDS},
    {"polling", "presence-ttl-s", KIND_SECONDS, FIELD(presence_ttl_s), FALSE, MAX_SECONDS},
    {"polling", "end-of-item-delay-s", KIND_SECONDS, FIELD(end_of_item_delay_s), TRUE, MAX_SECONDS},
    {"polling", "backoff-initial-s", KIND_SECONDS, FIELD(backoff_initial_s), FALSE, MAX_SECONDS},
    {"polling", "backoff-max-s", KIND_SECONDS, FIELD(backoff_max_s), FALSE, MAX_SECONDS},
    {"polling", "retry-after-default-s", KIND_SECONDS, FIELD(retry_after_default_s), FALSE,
     MAX_SECONDS},
    {"polling", "token-refresh-margin-s", KIND_SECONDS, FIELD(token_refresh_margin_s), TRUE,
     MAX_SECONDS},
    {"polling", "budget-requests", KIND_COUNT, FIELD(budget_requests), TRUE, MAX_BUDGET},
    {"polling", "budget-window-s", KIND_SECONDS, FIELD(budget_window_s), FALSE, MAX_SECONDS},
    {"mpris", "enabled", KIND_BOOLEAN, FIELD(mpris_enabled)},
    {"mpris", "hide-when-local", KIND_BOOLEAN, FIELD(hide_when_local)},
    {"presence", "desktop-session", KIND_BOOLEAN, FIELD(desktop_session)},
};

/* Names valid in config.ini that spotnowd itself does not parse: spotnow-web reads [web] from
 * the same file (doc/design.md section 9), and the request budget (doc/design.md section 4,
 * rules 11-13) belongs to [polling]. With key_specs above, the one list of known names. */
static const struct {
    const char *group;
    const char *key;
} other_known_keys[] = {
    {"polling", "budget-requests"}, {"polling", "budget-window-s"}, {"web", "listen"},
    {"web", "allow-origin"},        {"web", "max-streams"},         {"web", "show-last-played"},
};

#define FIELD_PTR(config, spec, type) ((type *)(void *)((char *)(config) + (spec)->offset))

SpnConfig *spn_config_new_defaults(void)
{
    SpnConfig *config = g_new0(SpnConfig, 1);

    config->api_base_url = g_strdup(DEFAULT_API_BASE_URL);
    config->accounts_base_url = g_strdup(DEFAULT_ACCOUNTS_BASE_URL);
    config->redirect_port = 8898;
    config->request_timeout_s = 15;
    config->sign_in_timeout_s = 600;
    config->safety_interval_s = 300;
    config->fresh_playing_s = 10;
    config->fresh_paused_s = 30;
    config->presence_ttl_s = 60;
    config->end_of_item_delay_s = 1;
    config->backoff_initial_s = 10;
    config->backoff_max_s = 300;
    config->retry_after_default_s = 30;
    config->token_refresh_margin_s = 60;
    config->budget_requests = 1000;
    config->budget_window_s = 86400;
    config->mpris_enabled = TRUE;
    config->hide_when_local = TRUE;
    config->desktop_session = TRUE;
    return config;
}

void spn_config_free(SpnConfig *config)
{
    if (config == NULL)
        return;
    g_free(config->client_id);
    /* Not a token, but still a secret: don't leave it lying in freed memory. */
    if (config->client_secret != NULL)
        memset(config->client_secret, 0, strlen(config->client_secret));
    g_free(config->client_secret);
    g_free(config->api_base_url);
    g_free(config->accounts_base_url);
    g_free(config->path);
    g_clear_pointer(&config->warnings, g_ptr_array_unref);
    g_free(config);
}

static const char *display_path(const char *path)
{
    return path != NULL ? path : "config.ini";
}

static void set_value_error(GError **error, const char *path, const KeySpec *spec,
                            const char *expected, const char *value)
{
    g_autofree char *valid = g_utf8_make_valid(value, -1);

    /* Translators: "%1$s: [%2$s] %3$s: %4$s, got “%5$s”" is FILE: [GROUP] KEY: EXPECTATION, got
     * “VALUE”, e.g. "/home/u/.config/spotnow/config.ini: [polling] safety-interval-s: expected a
     * positive number of seconds, got “soon”". */
    g_set_error(error, SPN_ERROR, SPN_ERROR_CONFIG, _("%s: [%s] %s: %s, got “%s”"),
                display_path(path), spec->group, spec->key, expected, valid);
    /* "enabled=false # off" is the value "false # off": say where the comment went. */
    if (strstr(valid, " #") != NULL && error != NULL && *error != NULL) {
        char *message = g_strconcat((*error)->message,
                                    _(" (config.ini has no comments after a value: put them on "
                                      "a line of their own)"),
                                    NULL);
        g_free((*error)->message);
        (*error)->message = message;
    }
}

static gboolean parse_string(const char *value, char **out)
{
    g_autofree char *copy = g_strstrip(g_strdup(value));

    g_free(*out);
    *out = *copy != '\0' ? g_steal_pointer(&copy) : NULL;
    return TRUE;
}

static gboolean parse_url(const char *value, char **out)
{
    g_autofree char *copy = g_strstrip(g_strdup(value));
    g_autoptr(GUri) uri = g_uri_parse(copy, G_URI_FLAGS_NONE, NULL);
    const char *scheme;
    const char *host;
    gsize len;

    if (uri == NULL)
        return FALSE;
    scheme = g_uri_get_scheme(uri);
    host = g_uri_get_host(uri);
    if (g_ascii_strcasecmp(scheme, "http") != 0 && g_ascii_strcasecmp(scheme, "https") != 0)
        return FALSE;
    if (host == NULL || *host == '\0')
        return FALSE;

    /* Endpoints are appended as "/v1/...", so a trailing slash would double up. */
    len = strlen(copy);
    while (len > 0 && copy[len - 1] == '/')
        copy[--len] = '\0';
    g_free(*out);
    *out = g_steal_pointer(&copy);
    return TRUE;
}

static gboolean parse_port(const char *value, guint *out)
{
    g_autofree char *copy = g_strstrip(g_strdup(value));
    guint64 port;

    if (!g_ascii_string_to_unsigned(copy, 10, 1, 65535, &port, NULL))
        return FALSE;
    *out = (guint)port;
    return TRUE;
}

static gboolean parse_seconds(const char *value, double *out)
{
    g_autofree char *copy = g_strstrip(g_strdup(value));
    char *end = NULL;
    double seconds;

    if (*copy == '\0')
        return FALSE;
    /* g_ascii_strtod: "0.25" means a quarter second whatever the locale says. */
    seconds = g_ascii_strtod(copy, &end);
    if (end == copy || *end != '\0' || !isfinite(seconds))
        return FALSE;
    *out = seconds;
    return TRUE;
}

static gboolean apply_count(const KeySpec *spec, const char *value, SpnConfig *config,
                            const char *path, GError **error)
{
    g_autofree char *copy = g_strstrip(g_strdup(value));
    guint64 count;

    if (!g_ascii_string_to_unsigned(copy, 10, 0, (guint64)spec->max, &count, NULL)) {
        g_autofree char *expected =
            g_strdup_printf(_("expected a whole number from 0 to %.0f"), spec->max);
        set_value_error(error, path, spec, expected, value);
        return FALSE;
    }
    *FIELD_PTR(config, spec, guint) = (guint)count;
    return TRUE;
}

static gboolean apply_seconds(const KeySpec *spec, const char *value, SpnConfig *config,
                              const char *path, GError **error)
{
    double seconds;
    const char *expected = spec->zero_ok ? _("expected zero or a positive number of seconds")
                                         : _("expected a positive number of seconds");

    if (!parse_seconds(value, &seconds) || seconds < 0 || (seconds == 0 && !spec->zero_ok)) {
        set_value_error(error, path, spec, expected, value);
        return FALSE;
    }
    if (seconds > spec->max) {
        g_autofree char *at_most = g_strdup_printf(_("expected at most %.0f seconds"), spec->max);
        set_value_error(error, path, spec, at_most, value);
        return FALSE;
    }
    *FIELD_PTR(config, spec, double) = seconds;
    return TRUE;
}

static gboolean apply_key(GKeyFile *key_file, const KeySpec *spec, SpnConfig *config,
                          const char *path, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autofree char *value = NULL;
    g_autofree char *raw = NULL;

    if (!g_key_file_has_key(key_file, spec->group, spec->key, NULL))
        return TRUE;

    value = g_key_file_get_string(key_file, spec->group, spec->key, &local_error);
    if (value == NULL) {
        /* Only invalid UTF-8 gets here; show what was written, made printable. */
        raw = g_key_file_get_value(key_file, spec->group, spec->key, NULL);
        set_value_error(error, path, spec, _("expected UTF-8 text"), raw != NULL ? raw : "");
        return FALSE;
    }

    switch (spec->kind) {
        case KIND_STRING:
            return parse_string(value, FIELD_PTR(config, spec, char *));
        case KIND_URL:
            if (!parse_url(value, FIELD_PTR(config, spec, char *))) {
                set_value_error(error, path, spec, _("expected an http or https URL with a host"),
                                value);
                return FALSE;
            }
            return TRUE;
        case KIND_PORT:
            if (!parse_port(value, FIELD_PTR(config, spec, guint))) {
                set_value_error(error, path, spec, _("expected a port number from 1 to 65535"),
                                value);
                return FALSE;
            }
            return TRUE;
        case KIND_SECONDS:
            return apply_seconds(spec, value, config, path, error);
        case KIND_COUNT:
            return apply_count(spec, value, config, path, error);
        case KIND_BOOLEAN: {
            gboolean b = g_key_file_get_boolean(key_file, spec->group, spec->key, &local_error);
            if (local_error != NULL) {
                set_value_error(error, path, spec, _("expected true or false"), value);
                return FALSE;
            }
            *FIELD_PTR(config, spec, gboolean) = b;
            return TRUE;
        }
    }
    g_assert_not_reached();
}

gboolean spn_config_is_known(const char *group, const char *key)
{
    for (gsize i = 0; i < G_N_ELEMENTS(key_specs); i++) {
        if (g_str_equal(key_specs[i].group, group) &&
            (key == NULL || g_str_equal(key_specs[i].key, key)))
            return TRUE;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(other_known_keys); i++) {
        if (g_str_equal(other_known_keys[i].group, group) &&
            (key == NULL || g_str_equal(other_known_keys[i].key, key)))
            return TRUE;
    }
    return FALSE;
}

/* "Client_ID" and "client-id" are one name to a person: lower case, '_' and ' ' as '-'. */
static char *normalise_name(const char *name)
{
    char *copy = g_ascii_strdown(name, -1);
    for (char *p = copy; *p != '\0'; p++) {
        if (*p == '_' || *p == ' ')
            *p = '-';
    }
    return copy;
}

static gboolean looks_like(const char *written, const char *known)
{
    g_autofree char *a = normalise_name(written);
    g_autofree char *b = normalise_name(known);
    return g_str_equal(a, b) || (strlen(b) > 3 && spn_text_distance(a, b) <= 2);
}

/* Every known name, as (group, key) pairs; key NULL for each group once. */
static void for_each_known(void (*visit)(const char *group, const char *key, gpointer data),
                           gpointer data)
{
    for (gsize i = 0; i < G_N_ELEMENTS(key_specs); i++)
        visit(key_specs[i].group, key_specs[i].key, data);
    for (gsize i = 0; i < G_N_ELEMENTS(other_known_keys); i++)
        visit(other_known_keys[i].group, other_known_keys[i].key, data);
}

typedef struct {
    const char *group; /* the group written (key search) or NULL (group search) */
    const char *name;  /* the name written */
    char *found;       /* "[spotify]", "client-id" or "[polling] fresh-playing-s" */
} Suggestion;

static void suggest_group(const char *group, const char *key, gpointer data)
{
    Suggestion *s = data;
    if (s->found == NULL && looks_like(s->name, group))
        s->found = g_strdup_printf("[%s]", group);
}

static void suggest_key(const char *group, const char *key, gpointer data)
{
    Suggestion *s = data;
    if (g_str_equal(group, s->group) && s->found == NULL && looks_like(s->name, key))
        s->found = g_strdup(key);
}

/* The key written, correctly spelled, but in another group. */
static void suggest_other_group(const char *group, const char *key, gpointer data)
{
    Suggestion *s = data;
    if (s->found == NULL && looks_like(s->name, key))
        s->found = g_strdup_printf("[%s] %s", group, key);
}

static void add_warning(SpnConfig *config, char *text)
{
    if (config->warnings == NULL)
        config->warnings = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(config->warnings, text);
}

static void warn_unknown(SpnConfig *config, const char *path, const char *group, const char *key,
                         const char *suggestion)
{
    g_autofree char *name =
        key != NULL ? g_strdup_printf("[%s] %s", group, key) : g_strdup_printf("[%s]", group);
    g_autofree char *valid = g_utf8_make_valid(name, -1);
    char *text;
    if (key != NULL && suggestion != NULL)
        /* Translators: FILE: unknown key [GROUP] KEY, ignored (did you mean SUGGESTION?) */
        text = g_strdup_printf(_("%s: unknown key %s, ignored (did you mean %s?)"),
                               display_path(path), valid, suggestion);
    else if (key != NULL)
        text = g_strdup_printf(_("%s: unknown key %s, ignored"), display_path(path), valid);
    else if (suggestion != NULL)
        text = g_strdup_printf(_("%s: unknown group %s, ignored (did you mean %s?)"),
                               display_path(path), valid, suggestion);
    else
        text = g_strdup_printf(_("%s: unknown group %s, ignored"), display_path(path), valid);
    add_warning(config, text);
}

/* GKeyFile has no end-of-line comments: "client-id=abc # my app" is the id "abc # my app". */
static void warn_comment_in_value(SpnConfig *config, GKeyFile *key_file, const char *path,
                                  const char *group, const char *key)
{
    g_autofree char *value = g_key_file_get_value(key_file, group, key, NULL);
    if (value == NULL || strstr(value, " #") == NULL)
        return;
    add_warning(config,
                g_strdup_printf(_("%s: [%s] %s: the value contains “ #”, which config.ini reads "
                                  "as part of the value; put comments on a line of their own"),
                                display_path(path), group, key));
}

/* Newer configs keep working with older daemons, so unknown names are warnings, not errors. */
static void report_unknown(SpnConfig *config, GKeyFile *key_file, const char *path)
{
    g_auto(GStrv) groups = g_key_file_get_groups(key_file, NULL);

    for (gsize g = 0; groups[g] != NULL; g++) {
        g_auto(GStrv) keys = NULL;

        if (!spn_config_is_known(groups[g], NULL)) {
            Suggestion s = {NULL, groups[g], NULL};
            for_each_known(suggest_group, &s);
            warn_unknown(config, path, groups[g], NULL, s.found);
            g_free(s.found);
            continue;
        }
        keys = g_key_file_get_keys(key_file, groups[g], NULL, NULL);
        for (gsize k = 0; keys != NULL && keys[k] != NULL; k++) {
            if (spn_config_is_known(groups[g], keys[k])) {
                warn_comment_in_value(config, key_file, path, groups[g], keys[k]);
                continue;
            }
            Suggestion s = {groups[g], keys[k], NULL};
            for_each_known(suggest_key, &s);
            if (s.found == NULL)
                for_each_known(suggest_other_group, &s);
            warn_unknown(config, path, groups[g], keys[k], s.found);
            g_free(s.found);
        }
    }
}

static gboolean check_consistency(GKeyFile *key_file, const SpnConfig *config, const char *path,
                                  GError **error)
{
    static const KeySpec backoff_max = {"polling", "backoff-max-s", KIND_SECONDS};

    if (config->backoff_max_s < config->backoff_initial_s) {
        g_autofree char *expected = NULL;
        g_autofree char *value = NULL;
        char initial[G_ASCII_DTOSTR_BUF_SIZE];
        char max[G_ASCII_DTOSTR_BUF_SIZE];

        g_ascii_dtostr(initial, sizeof initial, config->backoff_initial_s);
        g_ascii_dtostr(max, sizeof max, config->backoff_max_s);
        expected = g_strdup_printf(_("expected at least backoff-initial-s (%s)"), initial);
        value = g_key_file_get_string(key_file, "polling", "backoff-max-s", NULL);
        set_value_error(error, path, &backoff_max, expected, value != NULL ? value : max);
        return FALSE;
    }
    return TRUE;
}

SpnConfig *spn_config_from_key_file(GKeyFile *key_file, const char *path, GError **error)
{
    g_autoptr(SpnConfig) config = spn_config_new_defaults();

    g_return_val_if_fail(key_file != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    report_unknown(config, key_file, path);
    for (gsize i = 0; i < G_N_ELEMENTS(key_specs); i++) {
        if (!apply_key(key_file, &key_specs[i], config, path, error))
            return NULL;
    }
    if (!check_consistency(key_file, config, path, error))
        return NULL;

    config->path = g_strdup(path);
    return g_steal_pointer(&config);
}

SpnConfig *spn_config_load(const char *path, GError **error)
{
    g_autoptr(GKeyFile) key_file = g_key_file_new();
    g_autoptr(GError) local_error = NULL;
    SpnConfig *config;

    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    if (!g_key_file_load_from_file(key_file, path, G_KEY_FILE_NONE, &local_error)) {
        if (g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            g_debug("no config file at %s, using defaults", path);
            config = spn_config_new_defaults();
            config->path = g_strdup(path);
            return config;
        }
        g_set_error(error, SPN_ERROR, SPN_ERROR_CONFIG, "%s: %s", path, local_error->message);
        return NULL;
    }
    return spn_config_from_key_file(key_file, path, error);
}

char *spn_config_default_path(gboolean system_bus)
{
    g_autofree char *dir = NULL;

    if (!system_bus)
        return g_build_filename(g_get_user_config_dir(), "spotnow", "config.ini", NULL);
    dir = spn_systemd_directory("CONFIGURATION_DIRECTORY");
    if (dir != NULL)
        return g_build_filename(dir, "config.ini", NULL);
    return g_strdup("/etc/spotnow/config.ini");
}
