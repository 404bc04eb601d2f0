/* test-fake-signin.c — the fake accounts service's sign-in over real HTTP, followed the way the
 * daemon and a browser will: /authorize, its redirect, then the authorization_code exchange. */
#define G_LOG_DOMAIN "spotnow-test-fake-signin"

#include <string.h>

#include "harness.h"

#define REDIRECT_URI "http://127.0.0.1:8898/callback"
/* RFC 7636 appendix B's pair. */
#define VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
#define OTHER_VERIFIER "another-verifier-that-is-long-enough-to-be-valid-0123456789"
#define SCOPE "user-read-currently-playing user-read-playback-state user-modify-playback-state"
#define STATE "s t&a=t/e+1"

typedef struct {
    const char *client_id;
    const char *redirect_uri;
    const char *response_type;
    const char *method;
    const char *challenge;
} Authorize;

/* What the daemon asks for; tests change one field at a time. */
static const Authorize pkce = {FAKE_CLIENT_ID, REDIRECT_URI, "code", "S256", CHALLENGE};

/* key=value&… with values URL-encoded; NULL values are left out. */
static char *encode_pairs(const char *const *pairs)
{
    g_autoptr(GString) text = g_string_new(NULL);

    for (gsize i = 0; pairs[i] != NULL; i += 2) {
        g_autofree char *value = NULL;

        if (pairs[i + 1] == NULL)
            continue;
        value = g_uri_escape_string(pairs[i + 1], NULL, FALSE);
        g_string_append_printf(text, "%s%s=%s", text->len > 0 ? "&" : "", pairs[i], value);
    }
    return g_string_free(g_steal_pointer(&text), FALSE);
}

static Reply *authorize(Fake *fake, const Authorize *params)
{
    const char *pairs[] = {"client_id",
                           params->client_id,
                           "response_type",
                           params->response_type,
                           "redirect_uri",
                           params->redirect_uri,
                           "code_challenge_method",
                           params->method,
                           "code_challenge",
                           params->challenge,
                           "state",
                           STATE,
                           "scope",
                           SCOPE,
                           NULL};
    g_autofree char *query = encode_pairs(pairs);
    g_autofree char *path = g_strdup_printf("/authorize?%s", query);
    Reply *reply = request(fake, "GET", path, NULL, NULL);

    g_assert_no_error(reply->error);
    return reply;
}

/* Follows /authorize to its redirect, which must go back to REDIRECT_URI carrying STATE, and
 * returns the redirect's query parameters. */
static GHashTable *authorize_redirect(Fake *fake, const Authorize *params)
{
    g_autoptr(Reply) reply = authorize(fake, params);
    const char *location = soup_message_headers_get_one(reply->headers, "Location");

    g_assert_cmpuint(reply->status, ==, 302);
    g_assert_nonnull(location);
    g_assert_true(g_str_has_prefix(location, REDIRECT_URI "?"));
    {
        GHashTable *query = soup_form_decode(location + strlen(REDIRECT_URI "?"));
        g_assert_cmpstr(g_hash_table_lookup(query, "state"), ==, STATE);
        return query;
    }
}

/* A fresh code from a successful /authorize. */
static char *authorize_code(Fake *fake, const Authorize *params)
{
    g_autoptr(GHashTable) query = authorize_redirect(fake, params);
    const char *code = g_hash_table_lookup(query, "code");

    g_assert_nonnull(code);
    g_assert_cmpuint(strlen(code), >=, 32);
    return g_strdup(code);
}

static Reply *exchange(Fake *fake, const char *code, const char *verifier, const char *redirect_uri,
                       const char *basic)
{
    const char *pairs[] = {"grant_type",
                           "authorization_code",
                           "code",
                           code,
                           "redirect_uri",
                           redirect_uri,
                           "client_id",
                           basic == NULL ? FAKE_CLIENT_ID : NULL,
                           "code_verifier",
                           verifier,
                           NULL};
    g_autofree char *form = encode_pairs(pairs);
    g_autofree char *header = NULL;
    Reply *reply;

    if (basic != NULL) {
        g_autofree char *encoded = g_base64_encode((const guchar *)basic, strlen(basic));
        header = g_strdup_printf("Basic %s", encoded);
    }
    reply = request(fake, "POST", "/api/token", header, form);
    g_assert_no_error(reply->error);
    return reply;
}

static void assert_fixture_body(const Reply *reply, const char *name)
{
    g_autofree char *path = g_build_filename(g_getenv("SPN_FIXTURES_DIR"), name, NULL);
    g_autofree char *expected = NULL;
    g_autofree char *text = body_text(reply);
    g_autoptr(GError) error = NULL;

    g_file_get_contents(path, &expected, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(text, ==, expected);
}

static void assert_token_error(const Reply *reply, const char *error, const char *description)
{
    g_autoptr(JsonObject) body = body_object(reply);

    g_assert_cmpuint(reply->status, ==, 400);
    g_assert_cmpstr(json_object_get_string_member(body, "error"), ==, error);
    g_assert_cmpstr(json_object_get_string_member(body, "error_description"), ==, description);
}

static void assert_api_status(Fake *fake, const char *authorization, guint status)
{
    g_autoptr(Reply) reply =
        request(fake, "GET", "/v1/me/player/currently-playing", authorization, NULL);

    g_assert_cmpuint(reply->status, ==, status);
}

static void assert_current_tokens(Fake *fake, const char *access, const char *refresh)
{
    g_autoptr(JsonObject) now = stats(fake);

    g_assert_cmpstr(json_object_get_string_member(now, "currentAccessToken"), ==, access);
    g_assert_cmpstr(json_object_get_string_member(now, "currentRefreshToken"), ==, refresh);
}

static void test_pkce(Fake *fake, gconstpointer data)
{
    g_autofree char *code = authorize_code(fake, &pkce);
    g_autoptr(Reply) signed_in = exchange(fake, code, VERIFIER, REDIRECT_URI, NULL);
    g_autoptr(Reply) reused = NULL;
    g_autoptr(Reply) refreshed = NULL;
    g_autoptr(JsonObject) tokens = NULL;
    g_autoptr(JsonObject) after = NULL;
    JsonObject *requests;

    g_assert_cmpuint(signed_in->status, ==, 200);
    tokens = body_object(signed_in);
    g_assert_cmpstr(json_object_get_string_member(tokens, "access_token"), ==, "fake-access-1");
    g_assert_cmpstr(json_object_get_string_member(tokens, "refresh_token"), ==, "fake-refresh-1");
    g_assert_cmpstr(json_object_get_string_member(tokens, "token_type"), ==, "Bearer");
    g_assert_cmpint(json_object_get_int_member(tokens, "expires_in"), ==, 3600);
    g_assert_cmpstr(json_object_get_string_member(tokens, "scope"), ==, SCOPE);

    /* The new tokens are the current ones; the old access token is gone. */
    assert_api_status(fake, "Bearer fake-access-1", 200);
    assert_api_status(fake, "Bearer fake-access-0", 401);
    assert_current_tokens(fake, "fake-access-1", "fake-refresh-1");

    /* A code is good once. */
    reused = exchange(fake, code, VERIFIER, REDIRECT_URI, NULL);
    assert_fixture_body(reused, "token-invalid-grant-invalid-code.json");
    g_assert_cmpuint(reused->status, ==, 400);

    /* The new refresh token works, and refreshes keep the granted scope. */
    refreshed = request(fake, "POST", "/api/token", NULL,
                        "grant_type=refresh_token&refresh_token=fake-refresh-1"
                        "&client_id=" FAKE_CLIENT_ID);
    g_assert_cmpuint(refreshed->status, ==, 200);
    assert_body_contains(refreshed, SCOPE);

    after = stats(fake);
    requests = json_object_get_object_member(after, "requests");
    g_assert_cmpint(json_object_get_int_member(requests, "/authorize"), ==, 1);
    g_assert_cmpint(json_object_get_int_member(requests, "/api/token"), ==, 3);
}

static void test_wrong_verifier(Fake *fake, gconstpointer data)
{
    g_autofree char *code = authorize_code(fake, &pkce);
    g_autoptr(Reply) wrong = exchange(fake, code, OTHER_VERIFIER, REDIRECT_URI, NULL);
    g_autoptr(Reply) retried = exchange(fake, code, VERIFIER, REDIRECT_URI, NULL);
    g_autofree char *code2 = authorize_code(fake, &pkce);
    g_autoptr(Reply) missing = exchange(fake, code2, NULL, REDIRECT_URI, NULL);
    g_autofree char *code3 = authorize_code(fake, &pkce);
    g_autoptr(Reply) malformed = exchange(fake, code3, "too-short", REDIRECT_URI, NULL);
    g_autofree char *code4 = authorize_code(fake, &pkce);
    g_autoptr(Reply) elsewhere =
        exchange(fake, code4, VERIFIER, "http://127.0.0.1:9999/callback", NULL);
    g_autoptr(Reply) unknown = exchange(fake, "no-such-code", VERIFIER, REDIRECT_URI, NULL);
    g_autofree char *code5 = NULL;
    g_autoptr(Reply) expired = NULL;

    g_assert_cmpuint(wrong->status, ==, 400);
    assert_fixture_body(wrong, "token-invalid-grant-code-verifier.json");
    /* The failed attempt used the code up. */
    assert_fixture_body(retried, "token-invalid-grant-invalid-code.json");
    assert_token_error(missing, "invalid_request", "code_verifier required");
    assert_token_error(malformed, "invalid_request", "code_verifier invalid");
    assert_token_error(elsewhere, "invalid_grant", "Invalid redirect URI");
    assert_fixture_body(unknown, "token-invalid-grant-invalid-code.json");

    control_ok(fake, "/control/config?code-lifetime=0");
    code5 = authorize_code(fake, &pkce);
    expired = exchange(fake, code5, VERIFIER, REDIRECT_URI, NULL);
    assert_fixture_body(expired, "token-invalid-grant-invalid-code.json");

    /* None of it signed anyone in. */
    assert_current_tokens(fake, "fake-access-0", "fake-refresh-0");
}

static void assert_authorize_page(Fake *fake, const Authorize *params, const char *text)
{
    g_autoptr(Reply) reply = authorize(fake, params);
    g_autofree char *body = body_text(reply);

    g_assert_cmpuint(reply->status, ==, 400);
    g_assert_null(soup_message_headers_get_one(reply->headers, "Location"));
    g_assert_cmpstr(body, ==, text);
}

static void assert_authorize_error(Fake *fake, const Authorize *params, const char *error)
{
    g_autoptr(GHashTable) query = authorize_redirect(fake, params);

    g_assert_cmpstr(g_hash_table_lookup(query, "error"), ==, error);
    g_assert_false(g_hash_table_contains(query, "code"));
}

static void test_authorize_errors(Fake *fake, gconstpointer data)
{
    Authorize params = pkce;
    g_autoptr(Reply) bad_outcome = NULL;

    params.client_id = "someone-else";
    assert_authorize_page(fake, &params, "INVALID_CLIENT: Invalid client");
    params.client_id = NULL;
    assert_authorize_page(fake, &params, "INVALID_CLIENT: Invalid client");

    params = pkce;
    params.redirect_uri = "http://localhost:8898/callback";
    assert_authorize_page(fake, &params, "INVALID_CLIENT: Insecure redirect URI");
    params.redirect_uri = "https://127.0.0.1:8898/callback";
    assert_authorize_page(fake, &params, "INVALID_CLIENT: Invalid redirect URI");
    params.redirect_uri = "http://127.0.0.1:8898/elsewhere";
    assert_authorize_page(fake, &params, "INVALID_CLIENT: Invalid redirect URI");
    params.redirect_uri = "http://127.0.0.1/callback";
    assert_authorize_page(fake, &params, "INVALID_CLIENT: Invalid redirect URI");

    /* Once the redirect URI is trusted, errors go back to it. */
    params = pkce;
    params.response_type = "token";
    assert_authorize_error(fake, &params, "unsupported_response_type");
    params = pkce;
    params.method = "plain";
    assert_authorize_error(fake, &params, "invalid_request");
    params = pkce;
    params.challenge = "not-a-challenge";
    assert_authorize_error(fake, &params, "invalid_request");

    control_ok(fake, "/control/authorize?outcome=access_denied");
    {
        g_autoptr(Reply) denied = authorize(fake, &pkce);
        g_assert_cmpuint(denied->status, ==, 302);
        g_assert_cmpstr(soup_message_headers_get_one(denied->headers, "Location"), ==,
                        REDIRECT_URI "?error=access_denied&state=s%20t%26a%3Dt%2Fe%2B1");
    }
    control_ok(fake, "/control/authorize?outcome=ok");
    g_free(authorize_code(fake, &pkce));
    bad_outcome = control(fake, "/control/authorize?outcome=maybe", NULL);
    g_assert_cmpuint(bad_outcome->status, ==, 400);
}

static void test_confidential(Fake *fake, gconstpointer data)
{
    Authorize plain = pkce;
    g_autofree char *code = NULL;
    g_autofree char *code2 = NULL;
    g_autofree char *code3 = NULL;
    g_autoptr(Reply) bad_secret = NULL;
    g_autoptr(Reply) public_client = NULL;
    g_autoptr(Reply) signed_in = NULL;
    g_autoptr(JsonObject) tokens = NULL;

    plain.method = NULL;
    plain.challenge = NULL;
    control_ok(fake, "/control/config?client-secret=shh&grant-scope=user-read-currently-playing");

    code = authorize_code(fake, &plain);
    bad_secret = exchange(fake, code, NULL, REDIRECT_URI, FAKE_CLIENT_ID ":guess");
    assert_token_error(bad_secret, "invalid_client", "Invalid client secret");
    /* Without a secret, only a verifier can prove the client, and this code has no challenge. */
    code2 = authorize_code(fake, &plain);
    public_client = exchange(fake, code2, NULL, REDIRECT_URI, NULL);
    assert_token_error(public_client, "invalid_request", "code_verifier required");

    code3 = authorize_code(fake, &plain);
    signed_in = exchange(fake, code3, NULL, REDIRECT_URI, FAKE_CLIENT_ID ":shh");
    g_assert_cmpuint(signed_in->status, ==, 200);
    tokens = body_object(signed_in);
    /* grant-scope narrows what was asked for, as a user unticking a box would. */
    g_assert_cmpstr(json_object_get_string_member(tokens, "scope"), ==,
                    "user-read-currently-playing");
    assert_current_tokens(fake, "fake-access-1", "fake-refresh-1");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/fake-spotify/sign-in/pkce", Fake, NULL, fake_setup, test_pkce, fake_teardown);
    g_test_add("/fake-spotify/sign-in/wrong-verifier", Fake, NULL, fake_setup, test_wrong_verifier,
               fake_teardown);
    g_test_add("/fake-spotify/sign-in/authorize-errors", Fake, NULL, fake_setup,
               test_authorize_errors, fake_teardown);
    g_test_add("/fake-spotify/sign-in/confidential", Fake, NULL, fake_setup, test_confidential,
               fake_teardown);
    return g_test_run();
}
