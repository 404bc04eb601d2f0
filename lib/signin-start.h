/* signin-start.h — the address a browser on this machine opens to start a sign-in, shared by the
 * daemon and its clients (doc/design.md section 6).
 *
 * The authorize URL carries the flow's state and code challenge: whoever knows them can abort
 * the sign-in or bind a code from their own Spotify account to it. A browser's command line is
 * readable by every user (/proc/PID/cmdline), so a client opens
 * http://127.0.0.1:<redirect-port>/start/<token> instead, and the daemon answers it with a 302 to
 * the authorize URL, once. The token is a hash of the state: the caller of BeginSignIn can work it
 * out from the URL it got, and nobody can work the state out from the token. */
#pragma once

#include <glib.h>
#include <string.h>

/* BASE64URL(SHA256(@text)) without padding (RFC 4648 section 5). */
static inline char *spn_base64url_sha256(const char *text)
{
    guint8 digest[32];
    gsize digest_length = sizeof digest;
    GChecksum *checksum = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(checksum, (const guchar *)text, (gssize)strlen(text));
    g_checksum_get_digest(checksum, digest, &digest_length);
    g_checksum_free(checksum);
    char *encoded = g_base64_encode(digest, digest_length);
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

/* The one-time token of the flow whose state is @state. */
static inline char *spn_sign_in_start_token(const char *state)
{
    char *salted = g_strconcat("spotnow sign-in start\n", state, NULL);
    char *token = spn_base64url_sha256(salted);
    g_free(salted);
    return token;
}

/* http://127.0.0.1:<port>/start/<token> for the authorize URL BeginSignIn returned, or NULL when
 * it has no state or no loopback redirect_uri. */
static inline char *spn_sign_in_start_url(const char *authorize_url)
{
    GUri *uri = g_uri_parse(authorize_url, G_URI_FLAGS_ENCODED_QUERY, NULL);
    const char *query = uri != NULL ? g_uri_get_query(uri) : NULL;
    GHashTable *params =
        query != NULL ? g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, NULL) : NULL;
    const char *state = params != NULL ? g_hash_table_lookup(params, "state") : NULL;
    const char *redirect = params != NULL ? g_hash_table_lookup(params, "redirect_uri") : NULL;
    GUri *redirect_uri = redirect != NULL ? g_uri_parse(redirect, G_URI_FLAGS_NONE, NULL) : NULL;
    char *url = NULL;
    if (state != NULL && *state != '\0' && redirect_uri != NULL &&
        g_strcmp0(g_uri_get_host(redirect_uri), "127.0.0.1") == 0 &&
        g_uri_get_port(redirect_uri) > 0) {
        char *token = spn_sign_in_start_token(state);
        url = g_strdup_printf("http://127.0.0.1:%d/start/%s", g_uri_get_port(redirect_uri), token);
        g_free(token);
    }
    if (redirect_uri != NULL)
        g_uri_unref(redirect_uri);
    if (params != NULL)
        g_hash_table_unref(params);
    if (uri != NULL)
        g_uri_unref(uri);
    return url;
}
