/* PKCE and the sign-in URLs: the pure half of sign-in. */
#include <string.h>

#include "signin-start.h"
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

static void test_parse_pasted_redirect(void)
{
    /* What people paste: quoted by a shell habit, in angle brackets from a mail, wrapped by a
     * terminal. */
    const char *pasted[] = {
        "'http://127.0.0.1:8898/callback?code=AQB&state=abc'",
        "\"http://127.0.0.1:8898/callback?code=AQB&state=abc\"\n",
        "<http://127.0.0.1:8898/callback?code=AQB&state=abc>",
        "  http://127.0.0.1:8898/call back?code=A QB&state=a\nbc  ",
        "`http://127.0.0.1:8898/callback?code=AQB&state=abc`",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(pasted); i++) {
        g_autofree char *code = NULL, *state = NULL, *error_code = NULL;
        g_assert_true(spn_sign_in_parse_redirect(pasted[i], &code, &state, &error_code, NULL));
        g_assert_cmpstr(code, ==, "AQB");
        g_assert_cmpstr(state, ==, "abc");
        g_assert_null(error_code);
    }
}

static void test_redirect_error_is_cleaned(void)
{
    g_autofree char *code = NULL, *state = NULL, *error_code = NULL;
    g_assert_true(spn_sign_in_parse_redirect(
        "?error=%1B%5B2J%1B%5D0%3Bx%07%0Aevil%C2%85%E2%80%AEtext&state=s", &code, &state,
        &error_code, NULL));
    for (const char *p = error_code; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        g_assert_false(g_unichar_iscntrl(c));
        g_assert_cmpint(g_unichar_type(c), !=, G_UNICODE_FORMAT);
    }
    g_assert_true(g_utf8_validate(error_code, -1, NULL));
    g_assert_nonnull(strstr(error_code, "evil"));

    g_autofree char *long_text = g_strnfill(500, 'x');
    g_autofree char *clean = spn_sign_in_clean_text(long_text);
    g_assert_cmpint(g_utf8_strlen(clean, -1), <=, 80);
    g_autofree char *spaces = spn_sign_in_clean_text("\n\t a \x1b\x1b b \r");
    g_assert_cmpstr(spaces, ==, "a b");
}

static void test_state_mismatch_says_why(void)
{
    g_autofree char *cut = spn_sign_in_describe_state_mismatch("abcd", "abcdef");
    g_assert_nonnull(strstr(cut, "cut short"));
    g_autofree char *missing = spn_sign_in_describe_state_mismatch(NULL, "abcdef");
    g_assert_nonnull(strstr(missing, "cut short"));
    g_autofree char *extra = spn_sign_in_describe_state_mismatch("abcdef.", "abcdef");
    g_assert_nonnull(strstr(extra, "extra characters"));
    g_autofree char *other = spn_sign_in_describe_state_mismatch("zzz", "abcdef");
    g_assert_nonnull(strstr(other, "state mismatch"));
}

static void test_start_url(void)
{
    g_autofree char *url = spn_sign_in_authorize_url(
        "https://accounts.example", "id", "http://127.0.0.1:8898/callback", "CHAL", "STATE-xyz");
    g_autofree char *start = spn_sign_in_start_url(url);
    g_autofree char *token = spn_sign_in_start_token("STATE-xyz");
    g_autofree char *expected = g_strconcat("http://127.0.0.1:8898/start/", token, NULL);
    g_assert_cmpstr(start, ==, expected);
    /* No secret of the flow on the browser's command line. */
    g_assert_null(strstr(start, "STATE-xyz"));
    g_assert_null(strstr(start, "CHAL"));
    g_assert_cmpuint(strlen(token), ==, 43);
    g_assert_cmpuint(strspn(token,
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                            "0123456789-_"),
                     ==, 43);
    /* The state decides the token. */
    g_autofree char *other = spn_sign_in_start_token("STATE-xyy");
    g_assert_cmpstr(other, !=, token);
    /* Not a loopback redirect, or no state: no start address. */
    g_autofree char *remote =
        spn_sign_in_authorize_url("https://a", "id", "https://example.com/callback", "C", "S");
    g_assert_null(spn_sign_in_start_url(remote));
    g_assert_null(spn_sign_in_start_url("https://a/authorize?redirect_uri=x"));
    g_assert_null(spn_sign_in_start_url("not a url"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/signin/challenge-rfc7636", test_challenge_rfc7636_vector);
    g_test_add_func("/signin/verifier", test_verifier_shape_and_randomness);
    g_test_add_func("/signin/authorize-url", test_authorize_url);
    g_test_add_func("/signin/parse-redirect", test_parse_redirect);
    g_test_add_func("/signin/parse-pasted-redirect", test_parse_pasted_redirect);
    g_test_add_func("/signin/redirect-error-cleaned", test_redirect_error_is_cleaned);
    g_test_add_func("/signin/state-mismatch", test_state_mismatch_says_why);
    g_test_add_func("/signin/start-url", test_start_url);
    return g_test_run();
}
