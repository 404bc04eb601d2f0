/* web-config.c — the [web] group: defaults, parsing, and clear errors for bad values. */
#define G_LOG_DOMAIN "spotnow-web-config"

#include "web-config.h"

#include <glib/gi18n.h>
#include <stdlib.h>

#include "paths.h"

#define GROUP "web"

static const char *const known_keys[] = {"listen", "allow-origin", "max-streams",
                                         "show-last-played"};

SpnWebConfig *spn_web_config_new_defaults(void)
{
    SpnWebConfig *config = g_new0(SpnWebConfig, 1);
    config->listen = g_strdup(SPN_WEB_DEFAULT_LISTEN);
    config->allow_origin = g_strdup("*");
    config->max_streams = SPN_WEB_DEFAULT_MAX_STREAMS;
    config->show_last_played = TRUE;
    return config;
}

void spn_web_config_free(SpnWebConfig *config)
{
    if (config == NULL)
        return;
    g_free(config->path);
    g_free(config->listen);
    g_free(config->allow_origin);
    g_free(config);
}

static void set_invalid(GError **error, const char *path, const char *key, const char *why)
{
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, _("%s: [%s] %s: %s"), path,
                GROUP, key, why);
}

GSocketAddress *spn_web_parse_listen(const char *listen, GError **error)
{
    g_return_val_if_fail(listen != NULL, NULL);
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || colon == listen || colon[1] == '\0') {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    _("“%s” is not ADDR:PORT (for example 127.0.0.1:8897 or [::1]:8897)"), listen);
        return NULL;
    }
    g_autofree char *host = g_strndup(listen, colon - listen);
    gsize host_len = strlen(host);
    if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') {
        memmove(host, host + 1, host_len - 2);
        host[host_len - 2] = '\0';
    }
    char *end = NULL;
    guint64 port = g_ascii_strtoull(colon + 1, &end, 10);
    g_autoptr(GInetAddress) address = g_inet_address_new_from_string(host);
    if (address == NULL || *end != '\0' || port > 65535) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    _("“%s” is not ADDR:PORT with an IP address and a port from 0 to 65535 "
                      "(for example 127.0.0.1:8897 or [::1]:8897)"),
                    listen);
        return NULL;
    }
    return g_inet_socket_address_new(address, (guint16)port);
}

static gboolean read_config(GKeyFile *key_file, SpnWebConfig *config, GError **error)
{
    const char *path = config->path;
    g_auto(GStrv) keys = g_key_file_get_keys(key_file, GROUP, NULL, NULL);
    for (gsize i = 0; keys != NULL && keys[i] != NULL; i++) {
        if (!g_strv_contains(known_keys, keys[i]))
            g_debug("ignoring unknown key %s in [%s] of %s", keys[i], GROUP, path);
    }

    if (g_key_file_has_key(key_file, GROUP, "listen", NULL)) {
        g_autofree char *value = g_key_file_get_string(key_file, GROUP, "listen", NULL);
        g_autoptr(GError) local_error = NULL;
        g_autoptr(GSocketAddress) address =
            value != NULL ? spn_web_parse_listen(g_strstrip(value), &local_error) : NULL;
        if (address == NULL) {
            set_invalid(error, path, "listen",
                        local_error != NULL ? local_error->message : _("not a string"));
            return FALSE;
        }
        g_free(config->listen);
        config->listen = g_steal_pointer(&value);
    }
    if (g_key_file_has_key(key_file, GROUP, "allow-origin", NULL)) {
        g_autofree char *value = g_key_file_get_string(key_file, GROUP, "allow-origin", NULL);
        /* One origin or "*": the value goes into a header, so no control characters. */
        if (value == NULL || strpbrk(g_strstrip(value), "\r\n\t ,") != NULL) {
            set_invalid(error, path, "allow-origin",
                        _("expected one origin such as https://example.org, “*”, or nothing "
                          "for no CORS header"));
            return FALSE;
        }
        g_free(config->allow_origin);
        config->allow_origin = g_steal_pointer(&value);
    }
    if (g_key_file_has_key(key_file, GROUP, "max-streams", NULL)) {
        g_autofree char *value = g_key_file_get_string(key_file, GROUP, "max-streams", NULL);
        char *end = NULL;
        guint64 n = value != NULL ? g_ascii_strtoull(g_strstrip(value), &end, 10) : 0;
        if (value == NULL || end == value || *end != '\0' || n < 1 ||
            n > SPN_WEB_MAX_STREAMS_LIMIT) {
            g_autofree char *why = g_strdup_printf(_("expected a whole number from 1 to %u"),
                                                   (guint)SPN_WEB_MAX_STREAMS_LIMIT);
            set_invalid(error, path, "max-streams", why);
            return FALSE;
        }
        config->max_streams = (guint)n;
    }
    if (g_key_file_has_key(key_file, GROUP, "show-last-played", NULL)) {
        g_autoptr(GError) local_error = NULL;
        gboolean value = g_key_file_get_boolean(key_file, GROUP, "show-last-played", &local_error);
        if (local_error != NULL) {
            set_invalid(error, path, "show-last-played", _("expected true or false"));
            return FALSE;
        }
        config->show_last_played = value;
    }
    return TRUE;
}

SpnWebConfig *spn_web_config_load(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    g_autoptr(SpnWebConfig) config = spn_web_config_new_defaults();
    config->path = g_strdup(path);
    g_autoptr(GKeyFile) key_file = g_key_file_new();
    g_autoptr(GError) local_error = NULL;
    if (!g_key_file_load_from_file(key_file, path, G_KEY_FILE_NONE, &local_error)) {
        if (g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            g_debug("no config file at %s, using defaults", path);
            return g_steal_pointer(&config);
        }
        g_set_error(error, local_error->domain, local_error->code, "%s: %s", path,
                    local_error->message);
        return NULL;
    }
    if (!read_config(key_file, config, error))
        return NULL;
    return g_steal_pointer(&config);
}

char *spn_web_config_default_path(gboolean system_bus)
{
    if (!system_bus)
        return g_build_filename(g_get_user_config_dir(), "spotnow", "config.ini", NULL);
    g_autofree char *dir = spn_systemd_directory("CONFIGURATION_DIRECTORY");
    if (dir != NULL)
        return g_build_filename(dir, "config.ini", NULL);
    return g_strdup("/etc/spotnow/config.ini");
}
