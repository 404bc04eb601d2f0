/* test-applet-data.c — what the desktop sees of the applet: launcher, icon, AppStream data.
 *
 * The desktop matches a window to its launcher by the application id, so the .desktop file
 * must be named after it, start the right binary, and name an icon that exists and loads. */
#define G_LOG_DOMAIN "spotnow-test-applet-data"

#include <gdk/gdk.h>
#include <gio/gdesktopappinfo.h>
#include <string.h>

#define APP_ID "io.github.spotnow.Applet"

static const char *env_path(const char *name)
{
    const char *value = g_getenv(name);
    if (value == NULL)
        g_error("%s is not set: run this test through meson test", name);
    return value;
}

static void test_desktop_file(void)
{
    const char *path = env_path("APPLET_DESKTOP_FILE");
    g_autofree char *basename = g_path_get_basename(path);
    g_assert_cmpstr(basename, ==, APP_ID ".desktop");

    g_autoptr(GDesktopAppInfo) info = g_desktop_app_info_new_from_filename(path);
    g_assert_nonnull(info);
    g_assert_cmpstr(g_app_info_get_name(G_APP_INFO(info)), ==, "spotnow");
    g_assert_cmpstr(g_app_info_get_executable(G_APP_INFO(info)), ==, "spotnow-applet");
    g_autofree char *icon = g_desktop_app_info_get_string(info, "Icon");
    g_assert_cmpstr(icon, ==, APP_ID);
    g_assert_false(g_desktop_app_info_get_boolean(info, "Terminal"));
    g_assert_false(g_desktop_app_info_get_nodisplay(info));
    const char *categories = g_desktop_app_info_get_categories(info);
    g_assert_nonnull(categories);
    g_assert_nonnull(strstr(categories, "AudioVideo;"));
}

static void test_icon_loads(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GdkTexture) icon = gdk_texture_new_from_filename(env_path("APPLET_ICON"), &error);
    g_assert_no_error(error);
    g_assert_cmpint(gdk_texture_get_width(icon), ==, 128);
    g_assert_cmpint(gdk_texture_get_height(icon), ==, 128);
}

static void test_metainfo(void)
{
    g_autofree char *xml = NULL;
    g_autoptr(GError) error = NULL;
    g_file_get_contents(env_path("APPLET_METAINFO_FILE"), &xml, NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(xml, "<id>" APP_ID "</id>"));
    g_assert_nonnull(
        strstr(xml, "<launchable type=\"desktop-id\">" APP_ID ".desktop</launchable>"));
    g_assert_nonnull(strstr(xml, "<binary>spotnow-applet</binary>"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/applet-data/desktop-file", test_desktop_file);
    g_test_add_func("/applet-data/icon-loads", test_icon_loads);
    g_test_add_func("/applet-data/metainfo", test_metainfo);
    return g_test_run();
}
