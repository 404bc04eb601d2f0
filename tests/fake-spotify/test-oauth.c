/* test-oauth.c — the fake accounts service's PKCE arithmetic and redirect rules. A fake that
 * accepted a wrong verifier, or refused a right one, would make the daemon's sign-in tests lie. */
#define G_LOG_DOMAIN "spotnow-test-oauth"

#include <string.h>

#include "oauth.h"

static void test_s256(void)
{
    /* RFC 7636 appendix B. */
    g_autofree char *challenge =
        fs_oauth_s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");

    g_assert_cmpstr(challenge, ==, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    g_assert_true(fs_oauth_challenge_valid(challenge));
}

static void test_verifier_rules(void)
{
    g_autofree char *shortest = g_strnfill(43, 'a');
    g_autofree char *too_short = g_strnfill(42, 'a');
    g_autofree char *longest = g_strnfill(128, '~');
    g_autofree char *too_long = g_strnfill(129, 'a');
    g_autofree char *with_space = g_strdup_printf("%s b", shortest);
    g_autofree char *with_plus = g_strdup_printf("%s+", shortest);

    g_assert_true(fs_oauth_verifier_valid(shortest));
    g_assert_true(fs_oauth_verifier_valid(longest));
    g_assert_true(fs_oauth_verifier_valid("Az09-._~Az09-._~Az09-._~Az09-._~Az09-._~Az0"));
    g_assert_false(fs_oauth_verifier_valid(too_short));
    g_assert_false(fs_oauth_verifier_valid(too_long));
    g_assert_false(fs_oauth_verifier_valid(with_space));
    g_assert_false(fs_oauth_verifier_valid(with_plus));
    g_assert_false(fs_oauth_verifier_valid(NULL));

    g_assert_false(fs_oauth_challenge_valid(NULL));
    g_assert_false(fs_oauth_challenge_valid("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c"));
    g_assert_false(fs_oauth_challenge_valid("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"));
    g_assert_false(fs_oauth_challenge_valid("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM="));
}

static void test_redirect_uri(void)
{
    static const struct {
        const char *uri;
        const char *problem;
    } cases[] = {
        {"http://127.0.0.1:8898/callback", NULL},
        {"http://[::1]:8898/callback", NULL},
        {"http://localhost:8898/callback", "Insecure redirect URI"},
        {"http://example.com:8898/callback", "Insecure redirect URI"},
        {"https://127.0.0.1:8898/callback", "Invalid redirect URI"},
        {"http://127.0.0.1/callback", "Invalid redirect URI"},
        {"http://127.0.0.1:8898/callback/", "Invalid redirect URI"},
        {"http://127.0.0.1:8898/callback?x=1", "Invalid redirect URI"},
        {"http://127.0.0.1:8898/callback#top", "Invalid redirect URI"},
        {"http://me@127.0.0.1:8898/callback", "Invalid redirect URI"},
        {"not a uri", "Invalid redirect URI"},
        {NULL, "Invalid redirect URI"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("case %zu: %s", i, cases[i].uri);
        g_assert_cmpstr(fs_oauth_redirect_uri_problem(cases[i].uri), ==, cases[i].problem);
    }
}

static void test_location(void)
{
    const char *code_pairs[] = {"code", "abc-_", "state", "a b&c=d/é", NULL};
    const char *no_state[] = {"error", "access_denied", "state", NULL, NULL};
    g_autofree char *with_code =
        fs_oauth_redirect_location("http://127.0.0.1:1/callback", code_pairs);
    g_autofree char *denied = fs_oauth_redirect_location("http://127.0.0.1:1/callback", no_state);

    g_assert_cmpstr(with_code, ==,
                    "http://127.0.0.1:1/callback?code=abc-_&state=a%20b%26c%3Dd%2F%C3%A9");
    g_assert_cmpstr(denied, ==, "http://127.0.0.1:1/callback?error=access_denied");
}

static void test_new_code(void)
{
    g_autofree char *a = fs_oauth_new_code();
    g_autofree char *b = fs_oauth_new_code();

    g_assert_cmpuint(strlen(a), ==, 128);
    /* It goes into a URL unescaped. */
    g_assert_cmpuint(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                     ==, 128);
    g_assert_cmpstr(a, !=, b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/oauth/s256", test_s256);
    g_test_add_func("/oauth/verifier-rules", test_verifier_rules);
    g_test_add_func("/oauth/redirect-uri", test_redirect_uri);
    g_test_add_func("/oauth/location", test_location);
    g_test_add_func("/oauth/new-code", test_new_code);
    return g_test_run();
}
