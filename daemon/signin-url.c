/* signin-url.c — the pure pieces of the sign-in (signin.h): PKCE, the authorize URL, and what
 * a pasted or browsed redirect says. No I/O but the kernel's random bytes. */
#define G_LOG_DOMAIN "spotnow-signin"

#include <glib/gi18n.h>
#include <string.h>
#include <sys/random.h>

#include "signin-start.h"
#include "signin.h"
#include "spn-error.h"

#define VERIFIER_LENGTH 64
#define CLEAN_TEXT_MAX_CHARS 80

/* ---- pure pieces ------------------------------------------------------------------------ */

char *spn_pkce_new_verifier(void)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    guint8 bytes[VERIFIER_LENGTH];
    gsize filled = 0;
    /* 64 symbols: the low six bits of each random byte pick one without bias. */
    while (filled < sizeof bytes) {
        ssize_t got = getrandom(bytes + filled, sizeof bytes - filled, 0);
        if (got < 0)
            g_error("getrandom failed: %s", g_strerror(errno));
        filled += (gsize)got;
    }
    char *verifier = g_malloc(VERIFIER_LENGTH + 1);
    for (gsize i = 0; i < VERIFIER_LENGTH; i++)
        verifier[i] = alphabet[bytes[i] & 63];
    verifier[VERIFIER_LENGTH] = '\0';
    memset(bytes, 0, sizeof bytes);
    return verifier;
}

char *spn_pkce_challenge(const char *verifier)
{
    /* base64url without padding, as RFC 7636 requires. */
    return spn_base64url_sha256(verifier);
}

char *spn_sign_in_authorize_url(const char *accounts_base_url, const char *client_id,
                                const char *redirect_uri, const char *challenge, const char *state)
{
    const char *params[][2] = {
        {"client_id", client_id},       {"response_type", "code"},
        {"redirect_uri", redirect_uri}, {"code_challenge_method", "S256"},
        {"code_challenge", challenge},  {"state", state},
        {"scope", SPN_SIGN_IN_SCOPE},
    };
    GString *url = g_string_new(accounts_base_url);
    g_string_append(url, "/authorize");
    for (gsize i = 0; i < G_N_ELEMENTS(params); i++) {
        g_string_append_c(url, i == 0 ? '?' : '&');
        g_string_append(url, params[i][0]);
        g_string_append_c(url, '=');
        g_string_append_uri_escaped(url, params[i][1], NULL, FALSE);
    }
    return g_string_free(url, FALSE);
}

char *spn_sign_in_clean_text(const char *text)
{
    g_autofree char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
    GString *clean = g_string_new(NULL);
    glong chars = 0;
    gboolean space = FALSE;
    for (const char *p = valid; *p != '\0' && chars < CLEAN_TEXT_MAX_CHARS;
         p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_iscntrl(c) || g_unichar_isspace(c) || g_unichar_type(c) == G_UNICODE_FORMAT) {
            space = clean->len > 0;
            continue;
        }
        if (space) {
            /* A space only before a character that still fits. */
            if (chars + 1 >= CLEAN_TEXT_MAX_CHARS)
                break;
            g_string_append_c(clean, ' ');
            chars++;
            space = FALSE;
        }
        g_string_append_unichar(clean, c);
        chars++;
    }
    return g_string_free(clean, FALSE);
}

/* What a person pastes: the address, maybe quoted by a shell habit or wrapped by a terminal. */
static char *trim_pasted(const char *pasted)
{
    GString *url = g_string_new(NULL);
    for (const char *p = pasted != NULL ? pasted : ""; *p != '\0'; p++) {
        /* A URL has no literal whitespace: any is the terminal's. */
        if (!g_ascii_isspace(*p))
            g_string_append_c(url, *p);
    }
    static const char openers[] = "'\"<`", closers[] = "'\">`";
    for (gboolean trimmed = TRUE; trimmed && url->len >= 1;) {
        trimmed = FALSE;
        const char *open = strchr(openers, url->str[0]);
        if (url->str[0] != '\0' && open != NULL) {
            g_string_erase(url, 0, 1);
            trimmed = TRUE;
        }
        if (url->len > 0 && strchr(closers, url->str[url->len - 1]) != NULL) {
            g_string_truncate(url, url->len - 1);
            trimmed = TRUE;
        }
    }
    return g_string_free(url, FALSE);
}

gboolean spn_sign_in_parse_redirect(const char *redirected_url, char **code, char **state,
                                    char **error_code, GError **error)
{
    *code = *state = *error_code = NULL;
    g_autofree char *trimmed = trim_pasted(redirected_url);
    const char *query = strchr(trimmed, '?');
    query = query != NULL ? query + 1 : trimmed;
    /* A fragment is never part of what we need; browsers may leave one on. */
    g_autofree char *without_fragment = g_strndup(query, strcspn(query, "#"));
    g_autoptr(GHashTable) params = NULL;
    if (*without_fragment != '\0')
        params = g_uri_parse_params(without_fragment, -1, "&", G_URI_PARAMS_NONE, NULL);
    if (params == NULL ||
        (!g_hash_table_contains(params, "code") && !g_hash_table_contains(params, "error"))) {
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_INVALID_ARGS,
                            _("That is not the address Spotify redirected to: paste the whole "
                              "http://127.0.0.1:…/callback?code=… URL from the browser"));
        return FALSE;
    }
    *code = g_strdup(g_hash_table_lookup(params, "code"));
    *state = g_strdup(g_hash_table_lookup(params, "state"));
    const char *raw_error = g_hash_table_lookup(params, "error");
    *error_code = raw_error != NULL ? spn_sign_in_clean_text(raw_error) : NULL;
    return TRUE;
}

char *spn_sign_in_describe_state_mismatch(const char *state, const char *expected)
{
    gsize length = state != NULL ? strlen(state) : 0;
    if (length < strlen(expected) && strncmp(expected, state ? state : "", length) == 0)
        return g_strdup(
            _("The pasted address is cut short: copy the whole address from the "
              "browser's address bar and paste it again"));
    if (length > strlen(expected) && g_str_has_prefix(state, expected))
        return g_strdup(
            _("The pasted address has extra characters at its end: paste exactly "
              "the address from the browser's address bar"));
    return g_strdup(
        _("The redirect does not belong to this sign-in (state mismatch): it comes "
          "from another or an older sign-in; open the address this sign-in printed"));
}
