/* applet-capture.c — render to PNG, and list the visible texts. */
#define G_LOG_DOMAIN "spotnow-applet-capture"

#include "applet-capture.h"

#include <glib/gi18n.h>

gboolean spn_applet_capture_png(GtkWidget *widget, const char *path, GError **error)
{
    int width = gtk_widget_get_width(widget);
    int height = gtk_widget_get_height(widget);
    GtkNative *native = gtk_widget_get_native(widget);
    GskRenderer *renderer = native != NULL ? gtk_native_get_renderer(native) : NULL;
    if (width <= 0 || height <= 0 || renderer == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                    _("the window is not on screen yet"));
        return FALSE;
    }
    g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new(widget);
    GtkSnapshot *snapshot = gtk_snapshot_new();
    gdk_paintable_snapshot(paintable, snapshot, width, height);
    g_autoptr(GskRenderNode) node = gtk_snapshot_free_to_node(snapshot);
    if (node == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                    _("the window has not been drawn yet"));
        return FALSE;
    }
    g_autoptr(GdkTexture) texture =
        gsk_renderer_render_texture(renderer, node, &GRAPHENE_RECT_INIT(0, 0, width, height));
    g_autoptr(GBytes) png = gdk_texture_save_to_png_bytes(texture);
    gsize size = 0;
    const char *data = g_bytes_get_data(png, &size);
    return g_file_set_contents_full(path, data, (gssize)size, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                    error);
}

static void describe_widget(GtkWidget *widget, GString *out)
{
    const char *name = gtk_widget_get_name(widget);
    if (GTK_IS_LABEL(widget)) {
        const char *text = gtk_label_get_text(GTK_LABEL(widget));
        if (*text != '\0')
            g_string_append_printf(out, "label %s\t%s\n", name, text);
    } else if (GTK_IS_PROGRESS_BAR(widget)) {
        const char *text = g_object_get_data(G_OBJECT(widget), "spn-value-text");
        g_string_append_printf(out, "progress %s\t%.3f %s\n", name,
                               gtk_progress_bar_get_fraction(GTK_PROGRESS_BAR(widget)),
                               text ? text : "");
        /* What a screen reader gets: the role, and the value text it reads out. */
        g_autofree char *mismatch =
            text ? gtk_test_accessible_check_property(GTK_ACCESSIBLE(widget),
                                                      GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, text)
                 : g_strdup("no value text");
        g_string_append_printf(
            out, "a11y %s\trole=%s value-text=%s\n", name,
            gtk_test_accessible_has_role(GTK_ACCESSIBLE(widget), GTK_ACCESSIBLE_ROLE_PROGRESS_BAR)
                ? "progress-bar"
                : "other",
            mismatch == NULL ? text : mismatch);
    } else if (GTK_IS_PICTURE(widget)) {
        GFile *file = gtk_picture_get_file(GTK_PICTURE(widget));
        const char *art = g_object_get_data(G_OBJECT(widget), "spn-art-file");
        if (gtk_picture_get_paintable(GTK_PICTURE(widget)) != NULL)
            g_string_append_printf(out, "art %s\t%s%s\n", name,
                                   art    ? art
                                   : file ? g_file_peek_path(file)
                                          : "",
                                   gtk_widget_has_css_class(widget, "dimmed") ? " (dimmed)" : "");
    }
    const char *tooltip = gtk_widget_get_tooltip_text(widget);
    if (tooltip != NULL && *tooltip != '\0') {
        g_autofree char *flat = g_strdelimit(g_strdup(tooltip), "\n", ' ');
        g_string_append_printf(out, "tooltip %s\t%s\n", name, flat);
    }
}

void spn_applet_describe(GtkWidget *root, GString *out)
{
    if (!gtk_widget_get_mapped(root))
        return;
    describe_widget(root, out);
    for (GtkWidget *child = gtk_widget_get_first_child(root); child != NULL;
         child = gtk_widget_get_next_sibling(child))
        spn_applet_describe(child, out);
}
