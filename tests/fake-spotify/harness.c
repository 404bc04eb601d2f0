/* harness.c — runs the real fake-spotify binary for a test and talks HTTP to it. */
#define G_LOG_DOMAIN "spotnow-test-fake"

#include "harness.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

static const char smoke_timeline[] =
    "# one song, on for the whole test\n"
    "3600 track id=smoke1 name=\"Smoke Song\" artists=\"Ann|Bo\" album=\"Test Album\" "
    "duration=300 progress=20\n";

void reply_free(Reply *reply)
{
    g_clear_pointer(&reply->body, g_bytes_unref);
    g_clear_pointer(&reply->headers, soup_message_headers_unref);
    g_clear_error(&reply->error);
    g_free(reply);
}

/* If the test dies, the fake must not outlive it. */
static void die_with_parent(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

void fake_setup(Fake *fake, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autoptr(GDataInputStream) out = NULL;
    g_autofree char *timeline = NULL;
    g_autofree char *port_file = NULL;
    g_autofree char *line = NULL;
    g_autofree char *written = NULL;
    g_autofree char *expected = NULL;
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    guint64 port = 0;

    fake->tmpdir = g_dir_make_tmp("fake-spotify-XXXXXX", &error);
    g_assert_no_error(error);
    timeline = g_build_filename(fake->tmpdir, "smoke.timeline", NULL);
    port_file = g_build_filename(fake->tmpdir, "port", NULL);
    g_file_set_contents(timeline, smoke_timeline, -1, &error);
    g_assert_no_error(error);

    launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_subprocess_launcher_set_child_setup(launcher, die_with_parent, NULL, NULL);
    {
        const char *fixed[] = {FAKE_SPOTIFY_PATH, "--port",       "0",
                               "--port-file",     port_file,      "--timeline",
                               timeline,          "--fixtures",   g_getenv("SPN_FIXTURES_DIR"),
                               "--client-id",     FAKE_CLIENT_ID, "--rotate-refresh-token"};
        const char *const *extra = data;

        for (gsize i = 0; i < G_N_ELEMENTS(fixed); i++)
            g_ptr_array_add(argv, (gpointer)fixed[i]);
        for (gsize i = 0; extra != NULL && extra[i] != NULL; i++)
            g_ptr_array_add(argv, (gpointer)extra[i]);
        g_ptr_array_add(argv, NULL);
    }
    fake->process =
        g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
    g_assert_no_error(error);

    /* Exactly one line, "PORT <n>", once it listens. */
    out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(fake->process));
    line = g_data_input_stream_read_line_utf8(out, NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(line);
    g_assert_true(g_str_has_prefix(line, "PORT "));
    g_assert_true(g_ascii_string_to_unsigned(line + 5, 10, 1, 65535, &port, &error));
    fake->port = (guint)port;

    g_file_get_contents(port_file, &written, NULL, &error);
    g_assert_no_error(error);
    expected = g_strdup_printf("%u\n", fake->port);
    g_assert_cmpstr(written, ==, expected);

    fake->session = soup_session_new_with_options("timeout", 10, NULL);
}

void fake_teardown(Fake *fake, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) dir = NULL;
    const char *name;

    g_clear_object(&fake->session);
    /* SIGTERM is how the demo stops it: it must exit 0. */
    g_subprocess_send_signal(fake->process, SIGTERM);
    g_subprocess_wait(fake->process, NULL, &error);
    g_assert_no_error(error);
    g_assert_true(g_subprocess_get_if_exited(fake->process));
    g_assert_cmpint(g_subprocess_get_exit_status(fake->process), ==, 0);
    g_clear_object(&fake->process);

    dir = g_dir_open(fake->tmpdir, 0, NULL);
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_build_filename(fake->tmpdir, name, NULL);
        g_unlink(path);
    }
    g_rmdir(fake->tmpdir);
    g_free(fake->tmpdir);
}

static void on_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Reply *reply = user_data;

    reply->body = soup_session_send_and_read_finish(SOUP_SESSION(source), result, &reply->error);
    reply->elapsed_ms = g_get_monotonic_time() / 1000 - reply->elapsed_ms;
}

/* One request on its own connection (so a reset cannot be silently retried on a kept-alive
 * one), waited for on this thread's main context. @form, if given, is the POST body. */
Reply *request(Fake *fake, const char *method, const char *path_or_url, const char *authorization,
               const char *form)
{
    g_autofree char *url = g_str_has_prefix(path_or_url, "http")
                               ? g_strdup(path_or_url)
                               : g_strdup_printf("http://127.0.0.1:%u%s", fake->port, path_or_url);
    g_autoptr(SoupMessage) msg = soup_message_new(method, url);
    Reply *reply = g_new0(Reply, 1);

    g_assert_nonnull(msg);
    /* NO_REDIRECT: the sign-in tests read /authorize's Location themselves. */
    soup_message_add_flags(msg, SOUP_MESSAGE_NEW_CONNECTION | SOUP_MESSAGE_NO_REDIRECT);
    if (authorization != NULL)
        soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization",
                                     authorization);
    if (form != NULL) {
        g_autoptr(GBytes) body = g_bytes_new(form, strlen(form));
        soup_message_set_request_body_from_bytes(msg, "application/x-www-form-urlencoded", body);
    }
    reply->elapsed_ms = g_get_monotonic_time() / 1000;
    soup_session_send_and_read_async(fake->session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, reply);
    while (reply->body == NULL && reply->error == NULL)
        g_main_context_iteration(NULL, TRUE);
    reply->status = soup_message_get_status(msg);
    reply->headers = soup_message_headers_ref(soup_message_get_response_headers(msg));
    return reply;
}

Reply *control(Fake *fake, const char *path, const char *body)
{
    Reply *reply = request(fake, "POST", path, NULL, body);

    g_assert_no_error(reply->error);
    return reply;
}

void control_ok(Fake *fake, const char *path)
{
    g_autoptr(Reply) reply = control(fake, path, NULL);

    g_assert_cmpuint(reply->status, ==, 200);
}

char *body_text(const Reply *reply)
{
    return g_strndup(g_bytes_get_data(reply->body, NULL), g_bytes_get_size(reply->body));
}

JsonObject *body_object(const Reply *reply)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *text = body_text(reply);
    g_autoptr(JsonNode) node = json_from_string(text, &error);

    g_assert_no_error(error);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(node));
    return json_object_ref(json_node_get_object(node));
}

void assert_body_contains(const Reply *reply, const char *needle)
{
    g_autofree char *text = body_text(reply);

    g_assert_nonnull(strstr(text, needle));
}

JsonObject *stats(Fake *fake)
{
    g_autoptr(Reply) reply = request(fake, "GET", "/control/stats", NULL, NULL);

    g_assert_no_error(reply->error);
    g_assert_cmpuint(reply->status, ==, 200);
    return body_object(reply);
}
