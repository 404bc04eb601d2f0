/* replay.c — runs a fuzz target over corpus files without libFuzzer: one GTest case per file.
 *
 * Arguments after the GTest ones are files or directories (read one level deep). */
#define G_LOG_DOMAIN "spotnow-fuzz"

#include <glib.h>
#include <locale.h>

#include "fuzz.h"

static void replay_file(gconstpointer data)
{
    const char *path = data;
    g_autoptr(GError) error = NULL;
    g_autofree char *contents = NULL;
    gsize length = 0;

    g_assert_true(g_file_get_contents(path, &contents, &length, &error));
    g_assert_no_error(error);
    LLVMFuzzerTestOneInput((const uint8_t *)contents, length);
}

static void add_file(GPtrArray *paths, const char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *dir_base = g_path_get_basename(dir);
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *test_path = g_strdup_printf("/replay/%s/%s", dir_base, base);

    g_ptr_array_add(paths, g_strdup(path));
    g_test_add_data_func(test_path, g_ptr_array_index(paths, paths->len - 1), replay_file);
}

static void add_dir(GPtrArray *paths, const char *dir_path)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, &error);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    g_assert_no_error(error);
    while ((name = g_dir_read_name(dir)) != NULL)
        g_ptr_array_add(names, g_strdup(name));
    /* Sorted, so the TAP output is the same from run to run. */
    g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(dir_path, g_ptr_array_index(names, i), NULL);
        if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
            add_file(paths, path);
    }
}

int main(int argc, char **argv)
{
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);

    setlocale(LC_ALL, "");
    g_test_init(&argc, &argv, NULL);
    for (int i = 1; i < argc; i++) {
        if (g_file_test(argv[i], G_FILE_TEST_IS_DIR))
            add_dir(paths, argv[i]);
        else
            add_file(paths, argv[i]);
    }
    g_assert_cmpuint(paths->len, >, 0);
    return g_test_run();
}
