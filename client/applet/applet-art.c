/* applet-art.c — decode album art in a worker thread. */
#define G_LOG_DOMAIN "spotnow-applet-art"

#include "applet-art.h"

/* GdkTexture creation from a file is documented thread-safe for exactly this use. */
static void load_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    const char *path = task_data;
    GError *error = NULL;
    GdkTexture *texture = gdk_texture_new_from_filename(path, &error);
    if (texture == NULL)
        g_task_return_error(task, error);
    else
        g_task_return_pointer(task, texture, g_object_unref);
}

void spn_applet_art_load_async(const char *path, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, spn_applet_art_load_async);
    g_task_set_task_data(task, g_strdup(path), g_free);
    g_task_run_in_thread(task, load_thread);
}

GdkTexture *spn_applet_art_load_finish(GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}
