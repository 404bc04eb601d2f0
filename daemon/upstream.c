/* upstream.c — what Spotify's token replies, error bodies and Retry-After headers mean. */
#define G_LOG_DOMAIN "spotnow-upstream"

#include "upstream.h"

#include <libsoup/soup.h>
#include <string.h>

#include "spn-error.h"
#include "spn-json.h"

/* Spotify's replies nest about 5 levels; anything past this is not a reply we can use. */
#define MAX_JSON_DEPTH 64
/* An error text longer than this is a page, not a message. */
#define MAX_PLAIN_TEXT_BYTES 512
#define MAX_DETAIL_CHARS 200
/* A word this long made only of token characters is treated as a credential and hidden. */
#define MIN_TOKEN_LIKE_CHARS 40
#define DEFAULT_EXPIRES_IN_S 3600
#define MAX_EXPIRES_IN_S (10 * 365 * 24 * 3600)

static gboolean depth_within(const char *body, gsize length, guint max_depth)
{
    guint depth = 0;
    gboolean in_string = FALSE, escaped = FALSE;

    for (gsize i = 0; i < length; i++) {
        char c = body[i];
        if (in_string) {
            if (escaped)
                escaped = FALSE;
            else if (c == '\\')
                escaped = TRUE;
            else if (c == '"')
                in_string = FALSE;
        } else if (c == '"') {
            in_string = TRUE;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return FALSE;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return TRUE;
}

/* json-glib's own error text is not passed on: it quotes the offending input, which in a token
 * reply may be a token. */
JsonObject *spn_upstream_parse_json_object(const char *body, gsize length, GError **error)
{
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    if (body == NULL || length == 0) {
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_UPSTREAM, "Spotify sent an empty reply");
        return NULL;
    }
    if (length > G_MAXSSIZE || !g_utf8_validate_len(body, length, NULL)) {
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_UPSTREAM,
                            "Spotify sent a reply that is not valid UTF-8");
        return NULL;
    }
    if (!depth_within(body, length, MAX_JSON_DEPTH)) {
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_UPSTREAM,
                            "Spotify sent JSON nested too deeply");
        return NULL;
    }

    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) parse_error = NULL;
    if (!json_parser_load_from_data(parser, body, (gssize)length, &parse_error)) {
        g_debug("Reply is not JSON (%" G_GSIZE_FORMAT " bytes)", length);
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_UPSTREAM,
                            "Spotify sent a reply that is not valid JSON");
        return NULL;
    }

    JsonNode *root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_UPSTREAM,
                            root == NULL ? "Spotify sent an empty reply"
                                         : "Spotify sent JSON that is not an object");
        return NULL;
    }
    return json_object_ref(json_node_get_object(root));
}

static gboolean is_token_char(gunichar c)
{
    return g_unichar_isalnum(c) || (c < 0x80 && strchr("-_.~+/=", (int)c) != NULL);
}

/* Whether @word (no spaces) looks like an access or refresh token: long, one unbroken run of
 * base64url-ish characters. Real messages never have such words; echoed tokens do. */
static gboolean looks_like_token(const char *word, gsize length)
{
    if (g_utf8_strlen(word, (gssize)length) < MIN_TOKEN_LIKE_CHARS)
        return FALSE;
    for (const char *p = word; p < word + length; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c == 0 || !is_token_char(c))
            return FALSE;
    }
    return TRUE;
}

/* One line of at most MAX_DETAIL_CHARS characters with token-like words hidden, or NULL when
 * nothing is left. @text must be valid UTF-8. */
static char *clean_detail(const char *text)
{
    g_autoptr(GString) line = g_string_new(NULL);
    const char *p = text;

    while (*p != '\0') {
        /* Any run of whitespace or control characters (newlines, tabs) becomes one space. */
        const char *start = p;
        while (*p != '\0' && !g_unichar_isspace(g_utf8_get_char(p)) &&
               !g_unichar_iscntrl(g_utf8_get_char(p)))
            p = g_utf8_next_char(p);
        if (p > start) {
            if (line->len > 0)
                g_string_append_c(line, ' ');
            if (looks_like_token(start, (gsize)(p - start)))
                g_string_append(line, "[hidden]");
            else
                g_string_append_len(line, start, p - start);
        }
        while (*p != '\0' &&
               (g_unichar_isspace(g_utf8_get_char(p)) || g_unichar_iscntrl(g_utf8_get_char(p))))
            p = g_utf8_next_char(p);
    }

    if (line->len == 0)
        return NULL;
    if (g_utf8_strlen(line->str, -1) > MAX_DETAIL_CHARS) {
        const char *cut = g_utf8_offset_to_pointer(line->str, MAX_DETAIL_CHARS - 1);
        g_string_truncate(line, (gsize)(cut - line->str));
        g_string_append(line, "…");
    }
    return g_string_free(g_steal_pointer(&line), FALSE);
}

/* "message" of {"error":{"status","message"}}, or "error: error_description" of OAuth's
 * {"error","error_description"}; no other field, so nothing else in the reply is ever shown. */
static char *json_detail(JsonObject *root)
{
    JsonObject *envelope = spn_json_get_object(root, "error");
    if (envelope != NULL)
        return spn_json_dup_string(envelope, "message");

    g_autofree char *code = spn_json_dup_string(root, "error");
    g_autofree char *description = spn_json_dup_string(root, "error_description");
    if (code == NULL || *code == '\0')
        return g_steal_pointer(&description);
    if (description == NULL || *description == '\0')
        return g_steal_pointer(&code);
    return g_strdup_printf("%s: %s", code, description);
}

/* The useful text of an error body, already cleaned, or NULL. */
static char *error_detail(const char *body, gsize length)
{
    if (body == NULL || length == 0 || !g_utf8_validate_len(body, length, NULL))
        return NULL;

    const char *start = body;
    while (start < body + length && g_ascii_isspace(*start))
        start++;
    if (start == body + length || *start == '<')
        return NULL; /* blank, or an HTML page from a proxy */

    g_autofree char *raw = NULL;
    if (*start == '{' || *start == '[') {
        g_autoptr(JsonObject) root = spn_upstream_parse_json_object(body, length, NULL);
        raw = root != NULL ? json_detail(root) : NULL;
    } else if (length <= MAX_PLAIN_TEXT_BYTES) {
        raw = g_strndup(body, length);
    }
    return raw != NULL ? clean_detail(raw) : NULL;
}

gboolean spn_upstream_forbids_control(const char *body, gsize length)
{
    g_autofree char *detail = error_detail(body, length);
    if (detail == NULL)
        return FALSE;
    g_autoptr(JsonObject) root = spn_upstream_parse_json_object(body, length, NULL);
    if (root == NULL)
        return TRUE; /* plain text: the Developer Dashboard refuses this user everything */
    const char *reason = spn_json_get_string(spn_json_get_object(root, "error"), "reason");
    if (g_strcmp0(reason, "PREMIUM_REQUIRED") == 0)
        return TRUE;
    g_autofree char *lower = g_utf8_strdown(detail, -1);
    return strstr(lower, "premium required") != NULL ||
           strstr(lower, "insufficient client scope") != NULL;
}

gboolean spn_upstream_is_quota_exceeded(const char *body, gsize length)
{
    g_autoptr(JsonObject) root = spn_upstream_parse_json_object(body, length, NULL);
    if (root == NULL)
        return FALSE;
    const char *reason = spn_json_get_string(spn_json_get_object(root, "error"), "reason");
    return g_strcmp0(reason, "QUOTA_EXCEEDED") == 0;
}

char *spn_upstream_describe_error(guint status, const char *reason_phrase, const char *body,
                                  gsize length)
{
    g_autofree char *detail = error_detail(body, length);
    if (detail == NULL && reason_phrase != NULL && g_utf8_validate(reason_phrase, -1, NULL))
        detail = clean_detail(reason_phrase);

    if (detail == NULL)
        return g_strdup_printf("HTTP %u", status);
    return g_strdup_printf("HTTP %u: %s", status, detail);
}

/* The token endpoint's caller has no reason phrase to give us, so use the standard one. */
static const char *reason_phrase_for(guint status)
{
    /* libsoup 3.2 knows no phrase for 429, the status Spotify sends most. */
    if (status == 429)
        return "Too Many Requests";
    const char *phrase = soup_status_get_phrase(status);
    return g_strcmp0(phrase, "Unknown Error") == 0 ? NULL : phrase;
}

/* A token goes into an Authorization header and into credentials.ini: visible ASCII only, as
 * RFC 6750's b64token is. json-glib passes control characters and lone surrogates through, and
 * libsoup refuses a header with a line break in it. */
static gboolean is_usable_token(const char *token)
{
    if (token == NULL || *token == '\0')
        return FALSE;
    for (const char *p = token; *p != '\0'; p++) {
        if (*p < 0x21 || *p > 0x7e)
            return FALSE;
    }
    return TRUE;
}

static SpnCredentials *credentials_from_reply(JsonObject *root, const SpnCredentials *previous,
                                              gint64 now_ms, GError **error)
{
    if (!spn_json_has_nonempty_string(root, "access_token")) {
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_UPSTREAM,
                            "Spotify's token reply has no access_token");
        return NULL;
    }
    if (!is_usable_token(spn_json_get_string(root, "access_token")) ||
        (spn_json_has_nonempty_string(root, "refresh_token") &&
         !is_usable_token(spn_json_get_string(root, "refresh_token")))) {
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_UPSTREAM,
                            "Spotify's token reply has a token with characters no token has");
        return NULL;
    }

    g_autoptr(SpnCredentials) credentials = spn_credentials_new();
    credentials->access_token = g_strdup(spn_json_get_string(root, "access_token"));

    gint64 expires_in = DEFAULT_EXPIRES_IN_S;
    if (!spn_json_get_int64(root, "expires_in", &expires_in))
        expires_in = DEFAULT_EXPIRES_IN_S;
    credentials->expires_at = now_ms + CLAMP(expires_in, 0, MAX_EXPIRES_IN_S) * 1000;

    /* A refresh may rotate the refresh token (PKCE) or leave it out (keep the old one). */
    if (spn_json_has_nonempty_string(root, "refresh_token"))
        credentials->refresh_token = g_strdup(spn_json_get_string(root, "refresh_token"));
    else if (previous != NULL)
        credentials->refresh_token = g_strdup(previous->refresh_token);

    if (spn_json_get_string(root, "scope") != NULL)
        credentials->scope = spn_json_dup_string(root, "scope");
    else if (previous != NULL)
        credentials->scope = g_strdup(previous->scope);

    credentials->revoked = FALSE;
    return g_steal_pointer(&credentials);
}

SpnCredentials *spn_upstream_parse_token_reply(guint status, const char *body, gsize length,
                                               const SpnCredentials *previous, gint64 now_ms,
                                               GError **error)
{
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    g_autoptr(GError) parse_error = NULL;
    g_autoptr(JsonObject) root = spn_upstream_parse_json_object(body, length, &parse_error);

    /* invalid_grant: revoked, expired, or a rotated refresh token sent twice. Retrying can only
     * fail again, so the caller must stop and ask for a new sign-in. */
    if (g_strcmp0(spn_json_get_string(root, "error"), "invalid_grant") == 0) {
        g_autofree char *raw = spn_json_dup_string(root, "error_description");
        g_autofree char *description = raw != NULL ? clean_detail(raw) : NULL;
        if (description != NULL)
            g_set_error(error, SPN_ERROR, SPN_ERROR_REVOKED,
                        "Spotify revoked the sign-in (%s); sign in again", description);
        else
            g_set_error_literal(error, SPN_ERROR, SPN_ERROR_REVOKED,
                                "Spotify revoked the sign-in; sign in again");
        return NULL;
    }

    if (status != SOUP_STATUS_OK) {
        g_autofree char *text =
            spn_upstream_describe_error(status, reason_phrase_for(status), body, length);
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_UPSTREAM, text);
        return NULL;
    }
    if (root == NULL) {
        g_propagate_error(error, g_steal_pointer(&parse_error));
        return NULL;
    }
    return credentials_from_reply(root, previous, now_ms, error);
}

gint64 spn_upstream_parse_retry_after(const char *value, gint64 now_ms)
{
    if (value == NULL)
        return 0;

    g_autofree char *trimmed = g_strstrip(g_strdup(value));
    if (*trimmed == '\0')
        return 0;

    if (g_ascii_isdigit(*trimmed)) {
        /* Delta-seconds: digits only; too large to add to now is as good as garbage. */
        guint64 seconds = 0;
        gint64 until = 0;
        if (!g_ascii_string_to_unsigned(trimmed, 10, 0, G_MAXINT64 / 1000, &seconds, NULL) ||
            __builtin_add_overflow(now_ms, (gint64)seconds * 1000, &until))
            return 0;
        return until;
    }

    g_autoptr(GDateTime) date = soup_date_time_new_from_http_string(trimmed);
    if (date == NULL)
        return 0;
    /* A date already past means "no need to wait", which is not the same as "unparseable". */
    return MAX(g_date_time_to_unix(date) * 1000, now_ms);
}
