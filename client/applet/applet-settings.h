/* applet-settings.h — the window's remembered geometry, in
 * $XDG_CONFIG_HOME/spotnow/applet.ini ([window] width, height, maximized).
 *
 * Only the size: GTK 4 gives applications no say over window position on any platform, so the
 * window manager places it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SPN_APPLET_DEFAULT_WIDTH 360
#define SPN_APPLET_DEFAULT_HEIGHT 96

typedef struct {
    int width;
    int height;
    gboolean maximized;
} SpnAppletGeometry;

char *spn_applet_settings_path(void);

/* Defaults for a missing file; out-of-range or unreadable values fall back to them with one
 * g_debug, since a broken size must never keep the applet from opening. */
void spn_applet_settings_load(SpnAppletGeometry *geometry);

/* Atomic write; creates the directory (0700) if needed. */
gboolean spn_applet_settings_save(const SpnAppletGeometry *geometry, GError **error);

G_END_DECLS
