/* applet-settings.c — remember the window's size across runs. */
#define G_LOG_DOMAIN "spotnow-applet-settings"

#include "applet-settings.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#define GROUP "window"
#define MIN_SIZE 48
#define MAX_SIZE 8192

char *spn_applet_settings_path(void)
{
    return g_build_filename(g_get_user_config_dir(), "spotnow", "applet.ini", NULL);
}

static int read_size(GKeyFile *key_file, const char *key, int fallback)
{
    g_autoptr(GError) error = NULL;
    int value = g_key_file_get_integer(key_file, GROUP, key, &error);
    if (error != NULL) {
        if (!g_error_matches(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND))
            g_debug("applet.ini [%s] %s: %s", GROUP, key, error->message);
        return fallback;
    }
    if (value < MIN_SIZE || value > MAX_SIZE) {
        g_debug("applet.ini [%s] %s: %d is out of range", GROUP, key, value);
        return fallback;
    }
    return value;
}

void spn_applet_settings_load(SpnAppletGeometry *geometry)
{
    *geometry = (SpnAppletGeometry){SPN_APPLET_DEFAULT_WIDTH, SPN_APPLET_DEFAULT_HEIGHT, FALSE};
    g_autofree char *path = spn_applet_settings_path();
    g_autoptr(GKeyFile) key_file = g_key_file_new();
    g_autoptr(GError) error = NULL;
    if (!g_key_file_load_from_file(key_file, path, G_KEY_FILE_NONE, &error)) {
        if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            g_debug("%s: %s", path, error->message);
        return;
    }
    geometry->width = read_size(key_file, "width", geometry->width);
    geometry->height = read_size(key_file, "height", geometry->height);
    geometry->maximized = g_key_file_get_boolean(key_file, GROUP, "maximized", NULL);
}

gboolean spn_applet_settings_save(const SpnAppletGeometry *geometry, GError **error)
{
    g_autofree char *path = spn_applet_settings_path();
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        int saved_errno = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved_errno),
                    _("cannot create %s: %s"), dir, g_strerror(saved_errno));
        return FALSE;
    }
    g_autoptr(GKeyFile) key_file = g_key_file_new();
    /* Keep whatever else a newer version wrote there. */
    g_key_file_load_from_file(key_file, path, G_KEY_FILE_KEEP_COMMENTS, NULL);
    g_key_file_set_integer(key_file, GROUP, "width", geometry->width);
    g_key_file_set_integer(key_file, GROUP, "height", geometry->height);
    g_key_file_set_boolean(key_file, GROUP, "maximized", geometry->maximized);
    return g_key_file_save_to_file(key_file, path, error);
}
