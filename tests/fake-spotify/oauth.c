/* oauth.c — PKCE, redirect URI rules and redirect building for the fake accounts service. */
#define G_LOG_DOMAIN "spotnow-fake-oauth"

#include "oauth.h"

#include <string.h>

#define CODE_LENGTH 128

static const char base64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

gboolean fs_oauth_verifier_valid(const char *verifier)
{
    gsize length = verifier != NULL ? strlen(verifier) : 0;

    if (length < 43 || length > 128)
        return FALSE;
    for (gsize i = 0; i < length; i++)
        if (!g_ascii_isalnum(verifier[i]) && strchr("-._~", verifier[i]) == NULL)
            return FALSE;
    return TRUE;
}

char *fs_oauth_s256_challenge(const char *verifier)
{
    g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 digest[32];
    gsize digest_length = sizeof digest;
    char *encoded;

    g_checksum_update(checksum, (const guchar *)verifier, (gssize)strlen(verifier));
    g_checksum_get_digest(checksum, digest, &digest_length);
    encoded = g_base64_encode(digest, digest_length);
    /* base64 → base64url, and no padding (RFC 7636 appendix A). */
    for (char *p = encoded; *p != '\0'; p++) {
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
        else if (*p == '=')
            *p = '\0';
    }
    return encoded;
}

gboolean fs_oauth_challenge_valid(const char *challenge)
{
    if (challenge == NULL || strlen(challenge) != 43)
        return FALSE;
    return strspn(challenge, base64url_alphabet) == 43;
}

static gboolean is_loopback_literal(const char *host)
{
    return host != NULL && (g_str_equal(host, "127.0.0.1") || g_str_equal(host, "::1"));
}

const char *fs_oauth_redirect_uri_problem(const char *redirect_uri)
{
    g_autoptr(GUri) uri = NULL;

    if (redirect_uri == NULL || (uri = g_uri_parse(redirect_uri, G_URI_FLAGS_NONE, NULL)) == NULL)
        return "Invalid redirect URI";
    /* Spotify allows plain http only to a loopback IP literal; "localhost" is refused. */
    if (g_str_equal(g_uri_get_scheme(uri), "http") && !is_loopback_literal(g_uri_get_host(uri)))
        return "Insecure redirect URI";
    /* The app is registered with exactly http://127.0.0.1:<port>/callback; anything else fails
     * Spotify's exact match against the registered URI. */
    if (!g_str_equal(g_uri_get_scheme(uri), "http") || !is_loopback_literal(g_uri_get_host(uri)) ||
        g_uri_get_port(uri) <= 0 || !g_str_equal(g_uri_get_path(uri), "/callback") ||
        g_uri_get_userinfo(uri) != NULL || g_uri_get_query(uri) != NULL ||
        g_uri_get_fragment(uri) != NULL)
        return "Invalid redirect URI";
    return NULL;
}

char *fs_oauth_new_code(void)
{
    char *code = g_malloc(CODE_LENGTH + 1);

    /* A test server needs codes that never collide, not codes nobody can guess: GRand will do. */
    for (gsize i = 0; i < CODE_LENGTH; i++)
        code[i] = base64url_alphabet[g_random_int_range(0, 64)];
    code[CODE_LENGTH] = '\0';
    return code;
}

char *fs_oauth_redirect_location(const char *redirect_uri, const char *const *pairs)
{
    g_autoptr(GString) location = g_string_new(redirect_uri);
    char separator = '?';

    for (gsize i = 0; pairs[i] != NULL; i += 2) {
        g_autofree char *value = NULL;

        if (pairs[i + 1] == NULL)
            continue;
        value = g_uri_escape_string(pairs[i + 1], NULL, FALSE);
        g_string_append_printf(location, "%c%s=%s", separator, pairs[i], value);
        separator = '&';
    }
    return g_string_free(g_steal_pointer(&location), FALSE);
}
