/* test-config.c — config.ini: defaults, every key, and errors a user can act on. */
#define G_LOG_DOMAIN "spotnow-test-config"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "config.h"
#include "spn-error.h"

typedef struct {
    char *dir;
    char *path; /* dir/config.ini, not created */
} Fixture;

static void remove_tree(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        const char *name;

        while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            remove_tree(child);
        }
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

static void fixture_set_up(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    f->dir = g_dir_make_tmp("spotnow-test-config-XXXXXX", &error);
    g_assert_no_error(error);
    f->path = g_build_filename(f->dir, "config.ini", NULL);
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
    remove_tree(f->dir);
    g_free(f->dir);
    g_free(f->path);
}

static void write_config(Fixture *f, const char *contents)
{
    g_autoptr(GError) error = NULL;

    g_file_set_contents(f->path, contents, -1, &error);
    g_assert_no_error(error);
}

static SpnConfig *load_ok(Fixture *f, const char *contents)
{
    g_autoptr(GError) error = NULL;
    SpnConfig *config;

    write_config(f, contents);
    config = spn_config_load(f->path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(config);
    return config;
}

static void assert_defaults(const SpnConfig *config)
{
    g_assert_null(config->client_id);
    g_assert_null(config->client_secret);
    g_assert_cmpstr(config->api_base_url, ==, "https://api.spotify.com");
    g_assert_cmpstr(config->accounts_base_url, ==, "https://accounts.spotify.com");
    g_assert_cmpuint(config->redirect_port, ==, 8898);
    g_assert_cmpfloat(config->request_timeout_s, ==, 15);
    g_assert_cmpfloat(config->sign_in_timeout_s, ==, 600);
    g_assert_cmpfloat(config->safety_interval_s, ==, 300);
    g_assert_cmpfloat(config->fresh_playing_s, ==, 10);
    g_assert_cmpfloat(config->fresh_paused_s, ==, 30);
    g_assert_cmpfloat(config->presence_ttl_s, ==, 60);
    g_assert_cmpfloat(config->end_of_item_delay_s, ==, 1);
    g_assert_cmpfloat(config->backoff_initial_s, ==, 10);
    g_assert_cmpfloat(config->backoff_max_s, ==, 300);
    g_assert_cmpfloat(config->retry_after_default_s, ==, 30);
    g_assert_cmpfloat(config->token_refresh_margin_s, ==, 60);
    g_assert_true(config->mpris_enabled);
    g_assert_true(config->hide_when_local);
    g_assert_true(config->desktop_session);
}

static void test_defaults(void)
{
    g_autoptr(SpnConfig) config = spn_config_new_defaults();

    assert_defaults(config);
    g_assert_null(config->path);
}

static void test_missing_file(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnConfig) config = spn_config_load(f->path, &error);

    g_assert_no_error(error);
    g_assert_nonnull(config);
    assert_defaults(config);
    g_assert_cmpstr(config->path, ==, f->path);
    /* Loading must not create the user's file. */
    g_assert_false(g_file_test(f->path, G_FILE_TEST_EXISTS));
}

static void test_empty_file(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnConfig) config = load_ok(f, "# only a comment\n");

    assert_defaults(config);
    g_assert_cmpstr(config->path, ==, f->path);
}

static void test_every_key(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnConfig) config = load_ok(f,
                                          "[spotify]\n"
                                          "client-id = abc123\n"
                                          "client-secret = s3cret\n"
                                          "api-base-url = http://127.0.0.1:4567\n"
                                          "accounts-base-url = https://accounts.example.org/base\n"
                                          "redirect-port = 9000\n"
                                          "request-timeout-s = 2.5\n"
                                          "sign-in-timeout-s = 0.5\n"
                                          "[polling]\n"
                                          "safety-interval-s = 0.25\n"
                                          "fresh-playing-s = 5\n"
                                          "fresh-paused-s = 7.5\n"
                                          "presence-ttl-s = 90\n"
                                          "end-of-item-delay-s = 0\n"
                                          "backoff-initial-s = 0.5\n"
                                          "backoff-max-s = 0.5\n"
                                          "retry-after-default-s = 12\n"
                                          "token-refresh-margin-s = 0\n"
                                          "[mpris]\n"
                                          "enabled = false\n"
                                          "hide-when-local = false\n"
                                          "[presence]\n"
                                          "desktop-session = false\n");

    g_assert_cmpstr(config->client_id, ==, "abc123");
    g_assert_cmpstr(config->client_secret, ==, "s3cret");
    g_assert_cmpstr(config->api_base_url, ==, "http://127.0.0.1:4567");
    g_assert_cmpstr(config->accounts_base_url, ==, "https://accounts.example.org/base");
    g_assert_cmpuint(config->redirect_port, ==, 9000);
    g_assert_cmpfloat(config->request_timeout_s, ==, 2.5);
    g_assert_cmpfloat(config->sign_in_timeout_s, ==, 0.5);
    g_assert_cmpfloat(config->safety_interval_s, ==, 0.25);
    g_assert_cmpfloat(config->fresh_playing_s, ==, 5);
    g_assert_cmpfloat(config->fresh_paused_s, ==, 7.5);
    g_assert_cmpfloat(config->presence_ttl_s, ==, 90);
    g_assert_cmpfloat(config->end_of_item_delay_s, ==, 0);
    g_assert_cmpfloat(config->backoff_initial_s, ==, 0.5);
    g_assert_cmpfloat(config->backoff_max_s, ==, 0.5);
    g_assert_cmpfloat(config->retry_after_default_s, ==, 12);
    g_assert_cmpfloat(config->token_refresh_margin_s, ==, 0);
    g_assert_false(config->mpris_enabled);
    g_assert_false(config->hide_when_local);
    g_assert_false(config->desktop_session);
    g_assert_cmpstr(config->path, ==, f->path);
}

static void test_empty_client_id(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnConfig) config = load_ok(f, "[spotify]\nclient-id =\nclient-secret =   \n");

    g_assert_null(config->client_id);
    g_assert_null(config->client_secret);
}

static void test_url_trailing_slash(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnConfig) config = load_ok(f,
                                          "[spotify]\n"
                                          "api-base-url = https://api.example.org///\n"
                                          "accounts-base-url = http://localhost:8080/prefix/\n");

    g_assert_cmpstr(config->api_base_url, ==, "https://api.example.org");
    g_assert_cmpstr(config->accounts_base_url, ==, "http://localhost:8080/prefix");
}

typedef struct {
    const char *group;
    const char *key;
    const char *value;
} BadValue;

static const BadValue bad_values[] = {
    {"polling", "safety-interval-s", "soon"},
    {"polling", "safety-interval-s", "0"},
    {"polling", "safety-interval-s", "-5"},
    {"polling", "safety-interval-s", "nan"},
    {"polling", "safety-interval-s", "inf"},
    {"polling", "safety-interval-s", "1e9"},
    {"polling", "safety-interval-s", "10s"},
    {"polling", "fresh-playing-s", "0.0"},
    {"polling", "fresh-paused-s", ""},
    {"polling", "presence-ttl-s", "sixty"},
    {"polling", "end-of-item-delay-s", "-1"},
    {"polling", "backoff-initial-s", "0"},
    {"polling", "backoff-max-s", "1"}, /* below backoff-initial-s (10) */
    {"polling", "retry-after-default-s", "-30"},
    {"polling", "token-refresh-margin-s", "-0.5"},
    {"spotify", "request-timeout-s", "301"},
    {"spotify", "request-timeout-s", "0"},
    {"spotify", "redirect-port", "0"},
    {"spotify", "redirect-port", "65536"},
    {"spotify", "redirect-port", "http"},
    {"spotify", "redirect-port", "-1"},
    {"spotify", "api-base-url", "ftp://api.example.org"},
    {"spotify", "api-base-url", "not a url"},
    {"spotify", "accounts-base-url", "https://"},
    {"spotify", "accounts-base-url", "file:///etc/passwd"},
    {"mpris", "enabled", "maybe"},
    {"mpris", "hide-when-local", "yes please"},
    {"presence", "desktop-session", "2"},
};

static void test_bad_values(Fixture *f, gconstpointer data)
{
    for (gsize i = 0; i < G_N_ELEMENTS(bad_values); i++) {
        const BadValue *bad = &bad_values[i];
        g_autofree char *contents =
            g_strdup_printf("[%s]\n%s=%s\n", bad->group, bad->key, bad->value);
        g_autofree char *group_key = g_strdup_printf("[%s] %s", bad->group, bad->key);
        g_autofree char *quoted = g_strdup_printf("“%s”", bad->value);
        g_autoptr(GError) error = NULL;
        g_autoptr(SpnConfig) config = NULL;

        g_test_message("%s = %s", group_key, bad->value);
        write_config(f, contents);
        config = spn_config_load(f->path, &error);
        g_assert_null(config);
        g_assert_error(error, SPN_ERROR, SPN_ERROR_CONFIG);
        g_assert_nonnull(strstr(error->message, f->path));
        g_assert_nonnull(strstr(error->message, group_key));
        g_assert_nonnull(strstr(error->message, quoted));
    }
}

static void test_error_message_form(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnConfig) config = NULL;
    g_autofree char *expected = NULL;

    write_config(f, "[polling]\nsafety-interval-s = soon\n");
    config = spn_config_load(f->path, &error);
    g_assert_null(config);
    expected = g_strdup_printf(
        "%s: [polling] safety-interval-s: expected a positive number of seconds, got “soon”",
        f->path);
    g_assert_error(error, SPN_ERROR, SPN_ERROR_CONFIG);
    g_assert_cmpstr(error->message, ==, expected);
}

static void test_zero_allowed_where_meaningful(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnConfig) config =
        load_ok(f, "[polling]\nend-of-item-delay-s=0\ntoken-refresh-margin-s=0.0\n");

    g_assert_cmpfloat(config->end_of_item_delay_s, ==, 0);
    g_assert_cmpfloat(config->token_refresh_margin_s, ==, 0);
}

static void assert_warnings(const SpnConfig *config, const char *const *expected)
{
    guint n = g_strv_length((char **)expected);
    g_assert_cmpuint(config->warnings != NULL ? config->warnings->len : 0, ==, n);
    for (guint i = 0; i < n; i++)
        g_assert_cmpstr(g_ptr_array_index(config->warnings, i), ==, expected[i]);
}

/* Unknown names are ignored (a newer config keeps working) with a warning each. */
static void test_unknown_ignored(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnConfig) config = NULL;
    g_autofree char *key_warning =
        g_strdup_printf("%s: unknown key [spotify] future-key, ignored", f->path);
    g_autofree char *group_warning =
        g_strdup_printf("%s: unknown group [future-group], ignored", f->path);

    config = load_ok(f,
                     "[spotify]\n"
                     "client-id = known\n"
                     "future-key = whatever it is\n"
                     "[future-group]\n"
                     "anything = not even a number\n"
                     "[polling]\n"
                     "fresh-playing-s = 3\n");
    const char *const expected[] = {key_warning, group_warning, NULL};
    assert_warnings(config, expected);

    g_assert_cmpstr(config->client_id, ==, "known");
    g_assert_cmpfloat(config->fresh_playing_s, ==, 3);
}

/* The typos of issue 13 A4: a did-you-mean for each, and a value that swallowed a comment. */
static void test_typos(Fixture *f, gconstpointer data)
{
    g_autoptr(SpnConfig) config = load_ok(f,
                                          "[spotify]\n"
                                          "client_id = abc\n"
                                          "Redirect-Port = 8899\n"
                                          "client-secret = s3cret # my app\n"
                                          "fresh-paused-s = 3\n"
                                          "[Spotify]\n"
                                          "client-id = abc\n"
                                          "[polling]\n"
                                          "budget-requests = 1000\n"
                                          "budget-window-s = 86400\n"
                                          "safty-interval-s = 3\n"
                                          "[web]\n"
                                          "listen = 127.0.0.1:8080\n"
                                          "allow-origin = https://example.org\n"
                                          "max-streams = 4\n"
                                          "show-last-played = true\n"
                                          "[mrpis]\n");
    g_autofree char *w1 = g_strdup_printf(
        "%s: unknown key [spotify] client_id, ignored (did you mean client-id?)", f->path);
    g_autofree char *w2 = g_strdup_printf(
        "%s: unknown key [spotify] Redirect-Port, ignored (did you mean redirect-port?)", f->path);
    g_autofree char *w3 = g_strdup_printf(
        "%s: [spotify] client-secret: the value contains “ #”, which config.ini reads as part of "
        "the value; put comments on a line of their own",
        f->path);
    g_autofree char *w4 = g_strdup_printf(
        "%s: unknown key [spotify] fresh-paused-s, ignored "
        "(did you mean [polling] fresh-paused-s?)",
        f->path);
    g_autofree char *w5 =
        g_strdup_printf("%s: unknown group [Spotify], ignored (did you mean [spotify]?)", f->path);
    g_autofree char *w6 = g_strdup_printf(
        "%s: unknown key [polling] safty-interval-s, ignored (did you mean safety-interval-s?)",
        f->path);
    g_autofree char *w7 =
        g_strdup_printf("%s: unknown group [mrpis], ignored (did you mean [mpris]?)", f->path);
    const char *const expected[] = {w1, w2, w3, w4, w5, w6, w7, NULL};
    assert_warnings(config, expected);
    /* The secret itself is never in a warning. */
    for (guint i = 0; i < config->warnings->len; i++)
        g_assert_null(strstr(g_ptr_array_index(config->warnings, i), "s3cret"));

    g_assert_true(spn_config_is_known("web", "listen"));
    g_assert_true(spn_config_is_known("polling", "budget-requests"));
    g_assert_true(spn_config_is_known("web", NULL));
    g_assert_false(spn_config_is_known("Spotify", NULL));
}

/* A bad value that swallowed a comment says so in its error. */
static void test_comment_in_bad_value(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    write_config(f, "[mpris]\nenabled = false # off\n");
    g_autoptr(SpnConfig) config = spn_config_load(f->path, &error);
    g_assert_null(config);
    g_assert_nonnull(strstr(error->message,
                            "got “false # off” (config.ini has no comments "
                            "after a value: put them on a line of their own)"));
}

static void test_unparseable(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnConfig) config = NULL;
    g_autofree char *corrupt_path = NULL;
    g_autofree char *after = NULL;
    const char *garbage = "this is not [a key file\n\x01\x02\n";

    write_config(f, garbage);
    config = spn_config_load(f->path, &error);
    g_assert_null(config);
    g_assert_error(error, SPN_ERROR, SPN_ERROR_CONFIG);
    g_assert_nonnull(strstr(error->message, f->path));

    /* The user's file is theirs: never renamed or rewritten. */
    g_assert_true(g_file_get_contents(f->path, &after, NULL, NULL));
    g_assert_cmpstr(after, ==, garbage);
    corrupt_path = g_strconcat(f->path, ".corrupt", NULL);
    g_assert_false(g_file_test(corrupt_path, G_FILE_TEST_EXISTS));
}

static void test_unreadable(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnConfig) config = NULL;

    /* A directory where the file should be (chmod would not stop root). */
    g_assert_cmpint(g_mkdir(f->path, 0700), ==, 0);
    config = spn_config_load(f->path, &error);
    g_assert_null(config);
    g_assert_error(error, SPN_ERROR, SPN_ERROR_CONFIG);
    g_assert_nonnull(strstr(error->message, f->path));
}

static void test_from_key_file(void)
{
    g_autoptr(GKeyFile) key_file = g_key_file_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnConfig) config = NULL;

    g_key_file_set_string(key_file, "spotify", "client-id", "id");
    g_key_file_set_string(key_file, "polling", "presence-ttl-s", "1.5");
    config = spn_config_from_key_file(key_file, "/nowhere/config.ini", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(config->client_id, ==, "id");
    g_assert_cmpfloat(config->presence_ttl_s, ==, 1.5);
    g_assert_cmpstr(config->path, ==, "/nowhere/config.ini");

    g_clear_pointer(&config, spn_config_free);
    g_key_file_set_string(key_file, "mpris", "enabled", "perhaps");
    config = spn_config_from_key_file(key_file, "/nowhere/config.ini", &error);
    g_assert_null(config);
    g_assert_error(error, SPN_ERROR, SPN_ERROR_CONFIG);
    g_assert_nonnull(strstr(error->message, "/nowhere/config.ini: [mpris] enabled"));
}

static char *initial_config_home;

static void test_default_path_session(void)
{
    g_autofree char *path = spn_config_default_path(FALSE);
    g_autofree char *expected =
        g_build_filename(initial_config_home, "spotnow", "config.ini", NULL);

    g_assert_cmpstr(path, ==, expected);
}

static void test_default_path_system(void)
{
    g_autofree char *path = NULL;

    g_unsetenv("CONFIGURATION_DIRECTORY");
    path = spn_config_default_path(TRUE);
    g_assert_cmpstr(path, ==, "/etc/spotnow/config.ini");
    g_clear_pointer(&path, g_free);

    g_setenv("CONFIGURATION_DIRECTORY", "/run/conf/spotnow", TRUE);
    path = spn_config_default_path(TRUE);
    g_assert_cmpstr(path, ==, "/run/conf/spotnow/config.ini");
    g_clear_pointer(&path, g_free);

    g_setenv("CONFIGURATION_DIRECTORY", "/first/spotnow:/second/spotnow", TRUE);
    path = spn_config_default_path(TRUE);
    g_assert_cmpstr(path, ==, "/first/spotnow/config.ini");
    g_clear_pointer(&path, g_free);

    g_setenv("CONFIGURATION_DIRECTORY", "", TRUE);
    path = spn_config_default_path(TRUE);
    g_assert_cmpstr(path, ==, "/etc/spotnow/config.ini");
    g_unsetenv("CONFIGURATION_DIRECTORY");
}

#define ADD(name, func) \
    g_test_add("/config/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int main(int argc, char **argv)
{
    /* Before anything asks GLib for it: GLib caches the user config dir on first use. */
    initial_config_home = g_build_filename(g_get_tmp_dir(), "spotnow-test-xdg-config", NULL);
    g_setenv("XDG_CONFIG_HOME", initial_config_home, TRUE);

    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/config/defaults", test_defaults);
    ADD("missing-file", test_missing_file);
    ADD("empty-file", test_empty_file);
    ADD("every-key", test_every_key);
    ADD("empty-client-id", test_empty_client_id);
    ADD("url-trailing-slash", test_url_trailing_slash);
    ADD("bad-values", test_bad_values);
    ADD("error-message-form", test_error_message_form);
    ADD("zero-allowed", test_zero_allowed_where_meaningful);
    ADD("unknown-ignored", test_unknown_ignored);
    ADD("typos", test_typos);
    ADD("comment-in-bad-value", test_comment_in_bad_value);
    ADD("unparseable", test_unparseable);
    ADD("unreadable", test_unreadable);
    g_test_add_func("/config/from-key-file", test_from_key_file);
    g_test_add_func("/config/default-path/session", test_default_path_session);
    g_test_add_func("/config/default-path/system", test_default_path_system);

    return g_test_run();
}
