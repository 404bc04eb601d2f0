/* oauth.h — the pure parts of the fake accounts service's sign-in: PKCE arithmetic, which redirect
 * URIs Spotify would accept for a loopback app, and building the redirect back to the client. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* RFC 7636: 43 to 128 characters of [A-Za-z0-9-._~]. */
gboolean fs_oauth_verifier_valid(const char *verifier);

/* BASE64URL(SHA256(@verifier)) without padding: the S256 code challenge. */
char *fs_oauth_s256_challenge(const char *verifier);

/* An S256 challenge has exactly 43 characters of the base64url alphabet. */
gboolean fs_oauth_challenge_valid(const char *challenge);

/* NULL when Spotify would accept @redirect_uri for a loopback app registered as
 * http://127.0.0.1:<port>/callback (or [::1]); else the reason, as the authorize page words it:
 * "Insecure redirect URI" (http to a host that is not a loopback IP literal) or
 * "Invalid redirect URI" (anything else that is not of that form). */
const char *fs_oauth_redirect_uri_problem(const char *redirect_uri);

/* A fresh authorization code: 128 characters of the base64url alphabet. */
char *fs_oauth_new_code(void);

/* @redirect_uri + "?" + key=value pairs, URL-encoded. @pairs is key, value, key, value, …, NULL;
 * a pair whose value is NULL is left out. */
char *fs_oauth_redirect_location(const char *redirect_uri, const char *const *pairs);

G_END_DECLS
