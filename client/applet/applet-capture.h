/* applet-capture.h — the window as a PNG, and as text, for --screenshot and the tests. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Renders @widget (mapped, and drawn at least once) with its own renderer, GTK's
 * snapshot → render-node → texture path, so the picture is exactly what is on screen. */
gboolean spn_applet_capture_png(GtkWidget *widget, const char *path, GError **error);

/* What a sighted user reads in @root, in widget order, one line each, "KIND NAME\tTEXT":
 * labels ("label title\tBohemian Rhapsody"), tooltips, progress bars (fraction and accessible
 * value text) and the art shown. Only mapped widgets count, so hidden pages do not. */
void spn_applet_describe(GtkWidget *root, GString *out);

G_END_DECLS
