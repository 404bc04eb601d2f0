/* fuzz-upstream.c — what the daemon makes of Spotify's other replies: error bodies
 * (spn_upstream_describe_error), token replies (spn_upstream_parse_token_reply) and Retry-After
 * (spn_upstream_parse_retry_after), each over any bytes and under the statuses Spotify sends.
 *
 * The oracle is upstream.h: lastError text is one line of valid UTF-8 of bounded length; a token
 * reply gives usable credentials (tokens that can be written to credentials.ini and sent in a
 * header) or a named error; a Retry-After is 0 or not in the past. */
#define G_LOG_DOMAIN "spotnow-fuzz"

#include <glib.h>
#include <string.h>

#include "fuzz.h"
#include "spn-error.h"
#include "upstream.h"

#define NOW_MS G_GINT64_CONSTANT(1700000000000)
#define TEN_YEARS_MS (G_GINT64_CONSTANT(10) * 365 * 24 * 3600 * 1000)
#define MAX_LAST_ERROR_CHARS 300 /* "HTTP 503: " or a sentence around a 200-character detail */

static const guint api_statuses[] = {200, 204, 400, 401, 403, 404, 429, 500, 502, 503};
static const guint token_statuses[] = {200, 400, 401, 429, 500};

/* One line a person can read: valid UTF-8, no control characters, bounded. */
static void assert_one_line(const char *text)
{
    g_assert_nonnull(text);
    g_assert_true(g_utf8_validate(text, -1, NULL));
    g_assert_cmpint(g_utf8_strlen(text, -1), <=, MAX_LAST_ERROR_CHARS);
    for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p))
        g_assert_false(g_unichar_iscntrl(g_utf8_get_char(p)));
}

/* A token is written to credentials.ini and into an Authorization header: visible ASCII. */
static void assert_usable_token(const char *token)
{
    g_assert_nonnull(token);
    g_assert_cmpstr(token, !=, "");
    for (const char *p = token; *p != '\0'; p++)
        g_assert_true(g_ascii_isgraph(*p));
}

static void check_token_reply(guint status, const uint8_t *data, size_t size)
{
    SpnCredentials previous = {
        .access_token = (char *)"previous-access",
        .refresh_token = (char *)"previous-refresh",
        .expires_at = NOW_MS - 1000,
        .scope = (char *)"user-read-currently-playing",
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnCredentials) credentials =
        spn_upstream_parse_token_reply(status, (const char *)data, size, &previous, NOW_MS, &error);

    if (credentials == NULL) {
        g_assert_nonnull(error);
        g_assert_true(g_error_matches(error, SPN_ERROR, SPN_ERROR_REVOKED) ||
                      g_error_matches(error, SPN_ERROR, SPN_ERROR_UPSTREAM));
        assert_one_line(error->message);
        return;
    }
    g_assert_no_error(error);
    g_assert_cmpuint(status, ==, 200);
    assert_usable_token(credentials->access_token);
    assert_usable_token(credentials->refresh_token);
    if (credentials->scope != NULL)
        g_assert_true(g_utf8_validate(credentials->scope, -1, NULL));
    g_assert_cmpint(credentials->expires_at, >=, NOW_MS);
    g_assert_cmpint(credentials->expires_at, <=, NOW_MS + TEN_YEARS_MS);
    g_assert_false(credentials->revoked);
}

static void check_retry_after(const uint8_t *data, size_t size)
{
    /* A header value: the bytes up to a NUL, at most a line's worth. */
    g_autofree char *value = g_strndup((const char *)data, MIN(size, 256));
    gint64 until = spn_upstream_parse_retry_after(value, NOW_MS);

    g_assert_true(until == 0 || until >= NOW_MS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (gsize i = 0; i < G_N_ELEMENTS(api_statuses); i++) {
        g_autofree char *text =
            spn_upstream_describe_error(api_statuses[i], "Reason", (const char *)data, size);
        assert_one_line(text);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(token_statuses); i++)
        check_token_reply(token_statuses[i], data, size);
    check_retry_after(data, size);
    return 0;
}
