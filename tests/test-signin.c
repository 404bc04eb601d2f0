/* PKCE and the sign-in URLs: the pure half of sign-in. */
#include <string.h>

#include "signin.h"
#include "spn-error.h"

static void test_challenge_rfc7636_vector(void)
{
    /* RFC 7636 appendix B. */
    g_autofree char *challenge = spn_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    g_assert_cmpstr(challenge, ==, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

static void test_verifier_shape_and_randomness(void)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int i = 0; i < 200; i++) {
        char *verifier = spn_pkce_new_verifier();
        gsize length = strlen(verifier);
        g_assert_cmpuint(length, >=, 43);
        g_assert_cmpuint(length, <=, 128);
        /* Only the unreserved set of RFC 3986. */
        g_assert_cmpuint(strspn(verifier,
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                "0123456789-._~"),
                         ==, length);
        g_assert_false(g_hash_table_contains(seen, verifier));
        g_hash_table_add(seen, verifier);
    }
}

static void test_authorize_url(void)
{
    g_autofree char *url = spn_sign_in_authorize_url(
        "http://127.0.0.1:9/acc", "my client", "http://127.0.0.1:8898/callback", "CHAL", "st&ate");
    g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_ENCODED_QUERY, NULL);
    g_assert_nonnull(uri);
    g_assert_cmpstr(g_uri_get_path(uri), ==, "/acc/authorize");
    g_autoptr(GHashTable) params =
        g_uri_parse_params(g_uri_get_query(uri), -1, "&", G_URI_PARAMS_NONE, NULL);
    g_assert_cmpstr(g_hash_table_lookup(params, "client_id"), ==, "my client");
    g_assert_cmpstr(g_hash_table_lookup(params, "response_type"), ==, "code");
    g_assert_cmpstr(g_hash_table_lookup(params, "redirect_uri"), ==,
                    "http://127.0.0.1:8898/callback");
    g_assert_cmpstr(g_hash_table_lookup(params, "code_challenge_method"), ==, "S256");
    g_assert_cmpstr(g_hash_table_lookup(params, "code_challenge"), ==, "CHAL");
    g_assert_cmpstr(g_hash_table_lookup(params, "state"), ==, "st&ate");
    g_assert_cmpstr(g_hash_table_lookup(params, "scope"), ==,
                    "user-read-currently-playing user-read-playback-state "
                    "user-modify-playback-state");
}

static void test_parse_redirect(void)
{
    g_autofree char *code = NULL, *state = NULL, *error_code = NULL;
    g_assert_true(
        spn_sign_in_parse_redirect("  http://127.0.0.1:8898/callback?code=AQB%2Bx&state=abc#_=_\n",
                                   &code, &state, &error_code, NULL));
    g_assert_cmpstr(code, ==, "AQB+x");
    g_assert_cmpstr(state, ==, "abc");
    g_assert_null(error_code);
    g_clear_pointer(&code, g_free);
    g_clear_pointer(&state, g_free);

    g_assert_true(spn_sign_in_parse_redirect("?error=access_denied&state=s", &code, &state,
                                             &error_code, NULL));
    g_assert_null(code);
    g_assert_cmpstr(error_code, ==, "access_denied");
    g_clear_pointer(&state, g_free);
    g_clear_pointer(&error_code, g_free);

    const char *bad[] = {"", "hello", "http://127.0.0.1:8898/callback", "https://x/?foo=bar"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_assert_false(spn_sign_in_parse_redirect(bad[i], &code, &state, &error_code, &error));
        g_assert_error(error, SPN_ERROR, SPN_ERROR_INVALID_ARGS);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/signin/challenge-rfc7636", test_challenge_rfc7636_vector);
    g_test_add_func("/signin/verifier", test_verifier_shape_and_randomness);
    g_test_add_func("/signin/authorize-url", test_authorize_url);
    g_test_add_func("/signin/parse-redirect", test_parse_redirect);
    return g_test_run();
}
