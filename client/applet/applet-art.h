/* applet-art.h — album art from the daemon's cache, decoded off the UI thread. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Decodes @path (PNG, JPEG, …) into a texture in a worker thread: a large image never blocks
 * the window. */
void spn_applet_art_load_async(const char *path, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
GdkTexture *spn_applet_art_load_finish(GAsyncResult *result, GError **error);

G_END_DECLS
