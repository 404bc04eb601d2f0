/* test-fake-spotify.c — runs the real fake-spotify binary and talks HTTP to it, the way the
 * daemon will: if this passes, the demo and the integration tests stand on solid ground. */
#define G_LOG_DOMAIN "spotnow-test-fake"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#define CLIENT_ID "smoke-client"
#define TOKEN_0 "Bearer fake-access-0"
#define CURRENTLY_PLAYING "/v1/me/player/currently-playing"

static const char smoke_timeline[] =
    "# one song, on for the whole test\n"
    "3600 track id=smoke1 name=\"Smoke Song\" artists=\"Ann|Bo\" album=\"Test Album\" "
    "duration=300 progress=20\n";

typedef struct {
    GSubprocess *process;
    char *tmpdir;
    guint port;
    SoupSession *session;
} Fake;

typedef struct {
    guint status;
    GBytes *body;
    SoupMessageHeaders *headers;
    GError *error;
    gint64 elapsed_ms;
} Reply;

static void reply_free(Reply *reply)
{
    g_clear_pointer(&reply->body, g_bytes_unref);
    g_clear_pointer(&reply->headers, soup_message_headers_unref);
    g_clear_error(&reply->error);
    g_free(reply);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Reply, reply_free)

/* If the test dies, the fake must not outlive it. */
static void die_with_parent(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static void fake_setup(Fake *fake, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autoptr(GDataInputStream) out = NULL;
    g_autofree char *timeline = NULL;
    g_autofree char *port_file = NULL;
    g_autofree char *line = NULL;
    g_autofree char *written = NULL;
    g_autofree char *expected = NULL;
    guint64 port = 0;

    fake->tmpdir = g_dir_make_tmp("fake-spotify-XXXXXX", &error);
    g_assert_no_error(error);
    timeline = g_build_filename(fake->tmpdir, "smoke.timeline", NULL);
    port_file = g_build_filename(fake->tmpdir, "port", NULL);
    g_file_set_contents(timeline, smoke_timeline, -1, &error);
    g_assert_no_error(error);

    launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_subprocess_launcher_set_child_setup(launcher, die_with_parent, NULL, NULL);
    fake->process = g_subprocess_launcher_spawn(
        launcher, &error, FAKE_SPOTIFY_PATH, "--port", "0", "--port-file", port_file, "--timeline",
        timeline, "--fixtures", g_getenv("SPN_FIXTURES_DIR"), "--client-id", CLIENT_ID,
        "--rotate-refresh-token", NULL);
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

static void fake_teardown(Fake *fake, gconstpointer data)
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
static Reply *request(Fake *fake, const char *method, const char *path_or_url,
                      const char *authorization, const char *form)
{
    g_autofree char *url = g_str_has_prefix(path_or_url, "http")
                               ? g_strdup(path_or_url)
                               : g_strdup_printf("http://127.0.0.1:%u%s", fake->port, path_or_url);
    g_autoptr(SoupMessage) msg = soup_message_new(method, url);
    Reply *reply = g_new0(Reply, 1);

    g_assert_nonnull(msg);
    soup_message_add_flags(msg, SOUP_MESSAGE_NEW_CONNECTION);
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

static Reply *control(Fake *fake, const char *path, const char *body)
{
    Reply *reply = request(fake, "POST", path, NULL, body);

    g_assert_no_error(reply->error);
    return reply;
}

static void control_ok(Fake *fake, const char *path)
{
    g_autoptr(Reply) reply = control(fake, path, NULL);

    g_assert_cmpuint(reply->status, ==, 200);
}

static char *body_text(const Reply *reply)
{
    return g_strndup(g_bytes_get_data(reply->body, NULL), g_bytes_get_size(reply->body));
}

static JsonObject *body_object(const Reply *reply)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *text = body_text(reply);
    g_autoptr(JsonNode) node = json_from_string(text, &error);

    g_assert_no_error(error);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(node));
    return json_object_ref(json_node_get_object(node));
}

static void assert_body_contains(const Reply *reply, const char *needle)
{
    g_autofree char *text = body_text(reply);

    g_assert_nonnull(strstr(text, needle));
}

static JsonObject *stats(Fake *fake)
{
    g_autoptr(Reply) reply = request(fake, "GET", "/control/stats", NULL, NULL);

    g_assert_no_error(reply->error);
    g_assert_cmpuint(reply->status, ==, 200);
    return body_object(reply);
}

static void test_currently_playing(Fake *fake, gconstpointer data)
{
    g_autoptr(Reply) anonymous = request(fake, "GET", CURRENTLY_PLAYING, NULL, NULL);
    g_autoptr(Reply) wrong = request(fake, "GET", CURRENTLY_PLAYING, "Bearer nope", NULL);
    g_autoptr(Reply) good =
        request(fake, "GET", CURRENTLY_PLAYING "?additional_types=episode", TOKEN_0, NULL);
    g_autoptr(Reply) player = request(fake, "GET", "/v1/me/player", TOKEN_0, NULL);
    g_autoptr(Reply) art = NULL;
    g_autoptr(JsonObject) reply = NULL;
    g_autoptr(JsonObject) state = NULL;
    g_autofree char *art_prefix = NULL;
    JsonObject *item;
    JsonArray *images;
    gint64 progress;

    g_assert_cmpuint(anonymous->status, ==, 401);
    assert_body_contains(anonymous, "The access token expired");
    g_assert_cmpuint(wrong->status, ==, 401);

    g_assert_no_error(good->error);
    g_assert_cmpuint(good->status, ==, 200);
    g_assert_true(g_str_has_prefix(soup_message_headers_get_content_type(good->headers, NULL),
                                   "application/json"));
    reply = body_object(good);
    item = json_object_get_object_member(reply, "item");
    g_assert_cmpstr(json_object_get_string_member(item, "name"), ==, "Smoke Song");
    g_assert_true(json_object_get_boolean_member(reply, "is_playing"));
    progress = json_object_get_int_member(reply, "progress_ms");
    g_assert_cmpint(progress, >=, 20000);
    g_assert_cmpint(progress, <, 80000);
    images = json_object_get_array_member(json_object_get_object_member(item, "album"), "images");
    g_assert_cmpuint(json_array_get_length(images), ==, 3);
    g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(images, 2), "width"),
                    ==, 640);
    art_prefix = g_strdup_printf("http://127.0.0.1:%u/image/smoke1.png?s=", fake->port);
    g_assert_true(g_str_has_prefix(
        json_object_get_string_member(json_array_get_object_element(images, 2), "url"),
        art_prefix));

    g_assert_cmpuint(player->status, ==, 200);
    state = body_object(player);
    g_assert_true(json_object_has_member(state, "device"));

    art = request(fake, "GET",
                  json_object_get_string_member(json_array_get_object_element(images, 2), "url"),
                  NULL, NULL);
    g_assert_cmpuint(art->status, ==, 200);
    g_assert_cmpstr(soup_message_headers_get_content_type(art->headers, NULL), ==, "image/png");
    g_assert_cmpmem(g_bytes_get_data(art->body, NULL), 4, "\x89PNG", 4);
}

static void test_faults(Fake *fake, gconstpointer data)
{
    const char *expected_served[] = {"error 429", "error 429", "Smoke Song", "reset",
                                     "truncated", "garbage",   "204",        "Smoke Song"};
    g_autoptr(JsonObject) after = NULL;
    g_autoptr(Reply) bad = NULL;
    JsonArray *served;

    control_ok(fake, "/control/fault?kind=status&status=429&retry-after=3&count=2");
    for (int i = 0; i < 2; i++) {
        g_autoptr(Reply) limited = request(fake, "GET", CURRENTLY_PLAYING, TOKEN_0, NULL);

        g_assert_cmpuint(limited->status, ==, 429);
        g_assert_cmpstr(soup_message_headers_get_one(limited->headers, "Retry-After"), ==, "3");
        assert_body_contains(limited, "API rate limit exceeded");
    }
    {
        g_autoptr(Reply) recovered = request(fake, "GET", CURRENTLY_PLAYING, TOKEN_0, NULL);
        g_assert_cmpuint(recovered->status, ==, 200);
    }

    control_ok(fake, "/control/fault?kind=reset");
    control_ok(fake, "/control/fault?kind=truncated");
    control_ok(fake, "/control/fault?kind=garbage");
    control_ok(fake, "/control/fault?kind=empty");
    {
        g_autoptr(Reply) reset = request(fake, "GET", CURRENTLY_PLAYING, TOKEN_0, NULL);
        g_autoptr(Reply) truncated = request(fake, "GET", CURRENTLY_PLAYING, TOKEN_0, NULL);
        g_autoptr(Reply) garbage = request(fake, "GET", CURRENTLY_PLAYING, TOKEN_0, NULL);
        g_autoptr(Reply) empty = request(fake, "GET", CURRENTLY_PLAYING, TOKEN_0, NULL);

        g_assert_nonnull(reset->error);
        /* libsoup 3.2 reports an early EOF as the end of the body, not as an error: the
         * client sees 200 with fewer bytes than Content-Length promised. */
        g_assert_true(truncated->error != NULL ||
                      (gint64)g_bytes_get_size(truncated->body) <
                          soup_message_headers_get_content_length(truncated->headers));
        g_assert_cmpuint(garbage->status, ==, 200);
        assert_body_contains(garbage, "this is not json{");
        g_assert_cmpuint(empty->status, ==, 204);
        g_assert_cmpuint(g_bytes_get_size(empty->body), ==, 0);
    }

    /* Cleared faults never fire. */
    control_ok(fake, "/control/fault?kind=status&status=500&count=5");
    control_ok(fake, "/control/clear-faults");
    {
        g_autoptr(Reply) fine = request(fake, "GET", CURRENTLY_PLAYING, TOKEN_0, NULL);
        g_assert_cmpuint(fine->status, ==, 200);
    }

    bad = control(fake, "/control/fault?kind=meltdown", NULL);
    g_assert_cmpuint(bad->status, ==, 400);
    assert_body_contains(bad, "\"ok\":false");

    after = stats(fake);
    served = json_object_get_array_member(after, "served");
    g_assert_cmpuint(json_array_get_length(served), ==, G_N_ELEMENTS(expected_served));
    for (guint i = 0; i < G_N_ELEMENTS(expected_served); i++)
        g_assert_cmpstr(json_array_get_string_element(served, i), ==, expected_served[i]);
}

static Reply *refresh(Fake *fake, const char *refresh_token, const char *client_id)
{
    g_autofree char *form = g_strdup_printf(
        "grant_type=refresh_token&refresh_token=%s&client_id=%s", refresh_token, client_id);
    Reply *reply = request(fake, "POST", "/api/token", NULL, form);

    g_assert_no_error(reply->error);
    return reply;
}

static void assert_api_status(Fake *fake, const char *authorization, guint status)
{
    g_autoptr(Reply) reply = request(fake, "GET", CURRENTLY_PLAYING, authorization, NULL);

    g_assert_cmpuint(reply->status, ==, status);
}

static void test_tokens(Fake *fake, gconstpointer data)
{
    g_autoptr(Reply) wrong_client = refresh(fake, "fake-refresh-0", "someone-else");
    g_autoptr(Reply) rotated = NULL;
    g_autoptr(Reply) reused = NULL;
    g_autoptr(Reply) unknown = NULL;
    g_autoptr(Reply) kept = NULL;
    g_autoptr(Reply) revoked = NULL;
    g_autoptr(Reply) failing = NULL;
    g_autoptr(JsonObject) tokens = NULL;
    g_autoptr(JsonObject) second = NULL;
    g_autoptr(JsonObject) after = NULL;
    g_autofree char *basic = NULL;
    g_autofree char *basic_header = NULL;

    g_assert_cmpuint(wrong_client->status, ==, 400);
    assert_body_contains(wrong_client, "invalid_client");

    /* Confidential clients authenticate with HTTP Basic instead of a body client_id. */
    basic = g_base64_encode((const guchar *)CLIENT_ID ":secret", strlen(CLIENT_ID ":secret"));
    basic_header = g_strdup_printf("Basic %s", basic);
    rotated = request(fake, "POST", "/api/token", basic_header,
                      "grant_type=refresh_token&refresh_token=fake-refresh-0");
    g_assert_cmpuint(rotated->status, ==, 200);
    tokens = body_object(rotated);
    g_assert_cmpstr(json_object_get_string_member(tokens, "access_token"), ==, "fake-access-1");
    g_assert_cmpstr(json_object_get_string_member(tokens, "refresh_token"), ==, "fake-refresh-1");
    g_assert_cmpstr(json_object_get_string_member(tokens, "token_type"), ==, "Bearer");
    g_assert_cmpint(json_object_get_int_member(tokens, "expires_in"), ==, 3600);
    g_assert_cmpstr(json_object_get_string_member(tokens, "scope"), ==,
                    "user-read-currently-playing user-read-playback-state");

    /* The new access token replaces the old one. */
    assert_api_status(fake, TOKEN_0, 401);
    assert_api_status(fake, "Bearer fake-access-1", 200);

    /* A rotated-away refresh token is revoked, an unknown one invalid. */
    reused = refresh(fake, "fake-refresh-0", CLIENT_ID);
    g_assert_cmpuint(reused->status, ==, 400);
    assert_body_contains(reused, "Refresh token revoked");
    unknown = refresh(fake, "made-up", CLIENT_ID);
    g_assert_cmpuint(unknown->status, ==, 400);
    assert_body_contains(unknown, "Invalid refresh token");

    /* Without rotation the reply has no refresh_token and the old one stays valid. */
    control_ok(fake, "/control/config?rotate=0&expires-in=120");
    kept = refresh(fake, "fake-refresh-1", CLIENT_ID);
    g_assert_cmpuint(kept->status, ==, 200);
    second = body_object(kept);
    g_assert_false(json_object_has_member(second, "refresh_token"));
    g_assert_cmpint(json_object_get_int_member(second, "expires_in"), ==, 120);

    control_ok(fake, "/control/expire-access-token");
    assert_api_status(fake, "Bearer fake-access-2", 401);

    control_ok(fake, "/control/revoke");
    revoked = refresh(fake, "fake-refresh-1", CLIENT_ID);
    g_assert_cmpuint(revoked->status, ==, 400);
    assert_body_contains(revoked, "Refresh token revoked");
    control_ok(fake, "/control/unrevoke");

    control_ok(fake, "/control/fault?kind=status&status=503&target=token");
    failing = refresh(fake, "fake-refresh-1", CLIENT_ID);
    g_assert_cmpuint(failing->status, ==, 503);
    {
        g_autoptr(Reply) works = refresh(fake, "fake-refresh-1", CLIENT_ID);
        g_assert_cmpuint(works->status, ==, 200);
    }
    assert_api_status(fake, "Bearer fake-access-3", 200);

    after = stats(fake);
    g_assert_cmpstr(json_object_get_string_member(after, "currentAccessToken"), ==,
                    "fake-access-3");
    g_assert_cmpstr(json_object_get_string_member(after, "currentRefreshToken"), ==,
                    "fake-refresh-1");
}

static void test_stats(Fake *fake, gconstpointer data)
{
    g_autoptr(JsonObject) counted = NULL;
    g_autoptr(JsonObject) cleared = NULL;
    JsonObject *requests;

    for (int i = 0; i < 3; i++)
        assert_api_status(fake, TOKEN_0, 200);
    assert_api_status(fake, NULL, 401);
    {
        g_autoptr(Reply) player = request(fake, "GET", "/v1/me/player?market=SE", TOKEN_0, NULL);
        g_autoptr(Reply) image = request(fake, "GET", "/image/x.png", NULL, NULL);
    }

    counted = stats(fake);
    requests = json_object_get_object_member(counted, "requests");
    g_assert_cmpint(json_object_get_int_member(requests, CURRENTLY_PLAYING), ==, 4);
    g_assert_cmpint(json_object_get_int_member(requests, "/v1/me/player"), ==, 1);
    g_assert_cmpint(json_object_get_int_member(requests, "/image/x.png"), ==, 1);
    g_assert_cmpuint(json_object_get_size(requests), ==, 3); /* /control/… is not counted */
    g_assert_cmpint(json_object_get_int_member(counted, "total"), ==, 6);
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(counted, "served")), ==, 5);

    control_ok(fake, "/control/reset-stats");
    cleared = stats(fake);
    g_assert_cmpint(json_object_get_int_member(cleared, "total"), ==, 0);
    g_assert_cmpuint(json_object_get_size(json_object_get_object_member(cleared, "requests")), ==,
                     0);
    g_assert_cmpuint(json_array_get_length(json_object_get_array_member(cleared, "served")), ==, 0);
}

/* Polls the fake's own idea of where its story is, rather than guessing with sleeps. */
static void wait_for_step(Fake *fake, gint64 step)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while (g_get_monotonic_time() < deadline) {
        g_autoptr(JsonObject) now = stats(fake);

        if (json_object_get_int_member(now, "step") == step)
            return;
        g_usleep(50 * 1000);
    }
    g_assert_not_reached();
}

static void test_timeline(Fake *fake, gconstpointer data)
{
    g_autoptr(Reply) replaced =
        control(fake, "/control/timeline", "1.5 nothing\n60 track name=Later\n");
    g_autoptr(Reply) broken = control(fake, "/control/timeline", "1 track\n1 dance\n");
    g_autoptr(Reply) first = NULL;
    g_autoptr(Reply) later = NULL;
    g_autoptr(JsonObject) reply = NULL;

    g_assert_cmpuint(replaced->status, ==, 200);
    g_assert_cmpuint(broken->status, ==, 400);
    assert_body_contains(broken, "line 2: unknown kind 'dance'");

    /* The broken one did not replace the good one, whose clock restarted at step 0. */
    first = request(fake, "GET", CURRENTLY_PLAYING, TOKEN_0, NULL);
    g_assert_cmpuint(first->status, ==, 204);
    wait_for_step(fake, 1);
    later = request(fake, "GET", CURRENTLY_PLAYING, TOKEN_0, NULL);
    g_assert_cmpuint(later->status, ==, 200);
    reply = body_object(later);
    g_assert_cmpstr(
        json_object_get_string_member(json_object_get_object_member(reply, "item"), "name"), ==,
        "Later");
}

static void test_delays(Fake *fake, gconstpointer data)
{
    g_autoptr(Reply) delayed = NULL;
    g_autoptr(Reply) token = NULL;
    g_autoptr(Reply) slow = NULL;
    g_autoptr(Reply) fast = NULL;

    control_ok(fake, "/control/delay?s=1");
    delayed = request(fake, "GET", CURRENTLY_PLAYING, TOKEN_0, NULL);
    g_assert_cmpuint(delayed->status, ==, 200);
    g_assert_cmpint(delayed->elapsed_ms, >=, 1000);
    /* The API delay does not touch the token endpoint. */
    token = refresh(fake, "fake-refresh-0", CLIENT_ID);
    g_assert_cmpuint(token->status, ==, 200);
    g_assert_cmpint(token->elapsed_ms, <, 1000);
    control_ok(fake, "/control/delay?s=0");

    control_ok(fake, "/control/fault?kind=slow&delay=1");
    slow = request(fake, "GET", CURRENTLY_PLAYING, "Bearer fake-access-1", NULL);
    g_assert_cmpuint(slow->status, ==, 200);
    g_assert_cmpint(slow->elapsed_ms, >=, 1000);
    fast = request(fake, "GET", CURRENTLY_PLAYING, "Bearer fake-access-1", NULL);
    g_assert_cmpuint(fast->status, ==, 200);
    g_assert_cmpint(fast->elapsed_ms, <, 1000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/fake-spotify/currently-playing", Fake, NULL, fake_setup, test_currently_playing,
               fake_teardown);
    g_test_add("/fake-spotify/faults", Fake, NULL, fake_setup, test_faults, fake_teardown);
    g_test_add("/fake-spotify/tokens", Fake, NULL, fake_setup, test_tokens, fake_teardown);
    g_test_add("/fake-spotify/stats", Fake, NULL, fake_setup, test_stats, fake_teardown);
    g_test_add("/fake-spotify/timeline", Fake, NULL, fake_setup, test_timeline, fake_teardown);
    g_test_add("/fake-spotify/delays", Fake, NULL, fake_setup, test_delays, fake_teardown);
    return g_test_run();
}
