/* test-fake-quota.c — fake-spotify's emulation of Spotify's per-account quota, over HTTP against
 * the real binary: what counts, the exact QUOTA_EXCEEDED reply, its Retry-After, the one-shot
 * fault of the same shape, and what /control/stats says (the bench `day` reads it). */
#define G_LOG_DOMAIN "spotnow-test-fake"

#include <string.h>

#include "harness.h"

#define TOKEN_0 "Bearer fake-access-0"
#define CURRENTLY_PLAYING "/v1/me/player/currently-playing"
#define QUOTA_BODY \
    "{\"error\":{\"status\":429,\"message\":\"Too many requests\",\"reason\":\"QUOTA_EXCEEDED\"}}"

static const char *const control_args[] = {
    "--scope", "user-read-currently-playing user-read-playback-state user-modify-playback-state",
    NULL};

static void assert_quota_reply(const Reply *reply, const char *retry_after)
{
    g_autofree char *text = body_text(reply);

    g_assert_no_error(reply->error);
    g_assert_cmpuint(reply->status, ==, 429);
    g_assert_cmpstr(text, ==, QUOTA_BODY);
    g_assert_cmpstr(soup_message_headers_get_content_type(reply->headers, NULL), ==,
                    "application/json");
    g_assert_cmpstr(soup_message_headers_get_one(reply->headers, "Retry-After"), ==, retry_after);
}

static guint get_status(Fake *fake, const char *method, const char *path)
{
    g_autoptr(Reply) reply = request(fake, method, path, TOKEN_0, NULL);

    g_assert_no_error(reply->error);
    return reply->status;
}

static JsonObject *quota_stats(Fake *fake)
{
    g_autoptr(JsonObject) all = stats(fake);

    return json_object_ref(json_object_get_object_member(all, "quota"));
}

static void test_quota_counts_and_refuses(Fake *fake, gconstpointer data)
{
    g_autoptr(Reply) refused = NULL;
    g_autoptr(Reply) command = NULL;
    g_autoptr(JsonObject) quota = NULL;
    g_autoptr(JsonObject) after = NULL;
    const char *retry_after;
    gint64 deadline;

    control_ok(fake, "/control/quota?limit=3&window=5");
    g_assert_cmpuint(get_status(fake, "GET", CURRENTLY_PLAYING), ==, 200);
    g_assert_cmpuint(get_status(fake, "GET", "/v1/me/player"), ==, 200);
    g_assert_cmpuint(get_status(fake, "PUT", "/v1/me/player/pause"), ==, 204);
    /* Not counted: a request without a valid token, the accounts service, images, control. */
    {
        g_autoptr(Reply) anonymous = request(fake, "GET", CURRENTLY_PLAYING, NULL, NULL);
        g_autoptr(Reply) token = request(fake, "POST", "/api/token", NULL,
                                         "grant_type=refresh_token&refresh_token=fake-refresh-0"
                                         "&client_id=" FAKE_CLIENT_ID);

        g_assert_cmpuint(anonymous->status, ==, 401);
        g_assert_cmpuint(token->status, ==, 200);
    }
    g_assert_cmpuint(get_status(fake, "GET", "/image/x.png"), ==, 200);

    /* The fourth Web API request within the window is refused, with Spotify's exact reply. The
     * refresh above issued fake-access-1, so that is the token now. */
    refused = request(fake, "GET", CURRENTLY_PLAYING, "Bearer fake-access-1", NULL);
    g_assert_no_error(refused->error);
    retry_after = soup_message_headers_get_one(refused->headers, "Retry-After");
    g_assert_nonnull(retry_after);
    /* Until the second request leaves the 5 s window (the refusal counts too): 1-5 s. */
    g_assert_cmpuint(strlen(retry_after), ==, 1);
    g_assert_cmpint(retry_after[0], >=, '1');
    g_assert_cmpint(retry_after[0], <=, '5');
    assert_quota_reply(refused, retry_after);
    /* Commands are refused the same way. */
    command = request(fake, "POST", "/v1/me/player/next", "Bearer fake-access-1", NULL);
    g_assert_cmpuint(command->status, ==, 429);
    assert_body_contains(command, "QUOTA_EXCEEDED");

    quota = quota_stats(fake);
    g_assert_cmpint(json_object_get_int_member(quota, "limit"), ==, 3);
    g_assert_cmpint(json_object_get_int_member(quota, "windowMs"), ==, 5000);
    g_assert_cmpint(json_object_get_int_member(quota, "requestsInWindow"), ==, 5);
    g_assert_cmpint(json_object_get_int_member(quota, "refused"), ==, 2);
    g_assert_cmpint(json_object_get_int_member(quota, "lockedOutMs"), >, 0);
    g_assert_cmpint(json_object_get_int_member(quota, "nextAllowedInMs"), >, 0);
    g_assert_cmpint(json_object_get_int_member(quota, "nextAllowedInMs"), <=, 5000);

    /* Once the window has moved on, requests go through again. */
    deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    while (TRUE) {
        g_autoptr(JsonObject) now = quota_stats(fake);

        if (json_object_get_int_member(now, "nextAllowedInMs") == 0)
            break;
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(50 * 1000);
    }
    {
        g_autoptr(Reply) again =
            request(fake, "GET", CURRENTLY_PLAYING, "Bearer fake-access-1", NULL);
        g_assert_cmpuint(again->status, ==, 200);
    }
    after = quota_stats(fake);
    g_assert_cmpint(json_object_get_int_member(after, "refused"), ==, 2);
    g_assert_cmpint(json_object_get_int_member(after, "lockedOutMs"), >=,
                    json_object_get_int_member(quota, "lockedOutMs"));

    /* limit=0 turns it off. */
    control_ok(fake, "/control/quota?limit=0");
    for (int i = 0; i < 5; i++) {
        g_autoptr(Reply) free_again =
            request(fake, "GET", CURRENTLY_PLAYING, "Bearer fake-access-1", NULL);
        g_assert_cmpuint(free_again->status, ==, 200);
    }
}

static void test_quota_bad_parameters(Fake *fake, gconstpointer data)
{
    const char *bad[] = {
        "/control/quota",
        "/control/quota?limit=-1",
        "/control/quota?limit=x",
        "/control/quota?limit=1&window=0",
        "/control/quota?limit=1&window=soon",
        "/control/quota?limit=99999999",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(Reply) reply = control(fake, bad[i], NULL);

        g_assert_cmpuint(reply->status, ==, 400);
        assert_body_contains(reply, "\"ok\":false");
    }
    {
        g_autoptr(Reply) get = request(fake, "GET", "/control/quota?limit=1", NULL, NULL);
        g_assert_cmpuint(get->status, ==, 405);
    }
    /* Nothing was switched on by the refusals. */
    for (int i = 0; i < 3; i++)
        g_assert_cmpuint(get_status(fake, "GET", CURRENTLY_PLAYING), ==, 200);
}

static void test_quota_fault(Fake *fake, gconstpointer data)
{
    g_autoptr(JsonObject) after = NULL;
    JsonArray *served;

    control_ok(fake, "/control/fault?kind=quota&retry-after=50000");
    control_ok(fake, "/control/fault?kind=quota&target=control&retry-after=86400");
    control_ok(fake, "/control/fault?kind=quota");
    {
        g_autoptr(Reply) once = request(fake, "GET", CURRENTLY_PLAYING, TOKEN_0, NULL);
        g_autoptr(Reply) command = request(fake, "PUT", "/v1/me/player/play", TOKEN_0, NULL);
        g_autoptr(Reply) headerless = request(fake, "GET", CURRENTLY_PLAYING, TOKEN_0, NULL);

        assert_quota_reply(once, "50000");
        assert_quota_reply(command, "86400");
        assert_quota_reply(headerless, NULL);
    }
    /* One-shot: the quota itself is off, so everything else goes through. */
    g_assert_cmpuint(get_status(fake, "GET", CURRENTLY_PLAYING), ==, 200);
    g_assert_cmpuint(get_status(fake, "PUT", "/v1/me/player/play"), ==, 204);

    after = stats(fake);
    served = json_object_get_array_member(after, "served");
    g_assert_cmpuint(json_array_get_length(served), ==, 3);
    g_assert_cmpstr(json_array_get_string_element(served, 0), ==, "quota");
    g_assert_cmpstr(json_array_get_string_element(served, 1), ==, "quota");
    g_assert_cmpstr(json_array_get_string_element(served, 2), ==, "Smoke Song");
}

static void test_served_times(Fake *fake, gconstpointer data)
{
    gint64 before_ms = g_get_monotonic_time() / 1000;
    g_autoptr(JsonObject) after = NULL;
    JsonArray *served, *times;
    gint64 started, previous = 0;
    g_autoptr(Reply) replaced = control(fake, "/control/timeline", "60 nothing\n");

    g_assert_cmpuint(replaced->status, ==, 200);
    for (int i = 0; i < 3; i++)
        g_assert_cmpuint(get_status(fake, "GET", CURRENTLY_PLAYING), ==, 204);
    after = stats(fake);
    served = json_object_get_array_member(after, "served");
    times = json_object_get_array_member(after, "servedAtMs");
    g_assert_cmpuint(json_array_get_length(times), ==, json_array_get_length(served));
    g_assert_cmpuint(json_array_get_length(times), ==, 3);
    /* The fake's clock is CLOCK_MONOTONIC, the one this test (and Python's time.monotonic())
     * reads: the times fall inside the test's own. */
    started = json_object_get_int_member(after, "timelineStartedAtMs");
    g_assert_cmpint(started, >=, before_ms);
    for (guint i = 0; i < 3; i++) {
        gint64 at = json_array_get_int_element(times, i);

        g_assert_cmpint(at, >=, MAX(started, previous));
        g_assert_cmpint(at, <=, g_get_monotonic_time() / 1000);
        previous = at;
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/fake-spotify/quota", Fake, control_args, fake_setup, test_quota_counts_and_refuses,
               fake_teardown);
    g_test_add("/fake-spotify/quota-bad-parameters", Fake, NULL, fake_setup,
               test_quota_bad_parameters, fake_teardown);
    g_test_add("/fake-spotify/quota-fault", Fake, control_args, fake_setup, test_quota_fault,
               fake_teardown);
    g_test_add("/fake-spotify/served-times", Fake, NULL, fake_setup, test_served_times,
               fake_teardown);
    return g_test_run();
}
