/* fuzz-web-request.c — the bytes any client sends spotnow-web, as its front door peeks at them:
 * web/web-request.c.
 *
 * The oracle is web-request.h, checked by a reader of its own: a head accepted for the fast path
 * (doc/design.md section 9) is whole and within max_head, begins with exactly the GET or HEAD
 * request line, is CRLF lines of tokens and field values with one Host and nothing that asks for
 * a body, an upgrade or a close, and the If-None-Match it reports is one trimmed, bounded,
 * NUL-terminated value taken from the head. The answer depends on those bytes only: the same
 * head alone, or under a max_head of exactly its length, is accepted the same way; one byte less
 * of either, refused. */
#define G_LOG_DOMAIN "spotnow-fuzz"

#include <glib.h>
#include <string.h>

#include "fuzz.h"
#include "web-request.h"

#define PATH "/api/now-playing"
#define GET_LINE "GET " PATH " HTTP/1.1\r\n"
#define HEAD_LINE "HEAD " PATH " HTTP/1.1\r\n"

static gboolean parse_copy(const uint8_t *data, gsize len, gsize max_head, SpnWebFastRequest *out)
{
    /* A block of exactly @len bytes (one, never NULL, for none): a read past it shows under ASan
     * and valgrind. */
    char *copy = g_malloc(MAX(len, 1));
    memcpy(copy, data, len);
    gboolean ok = spn_web_request_parse_fast(copy, len, PATH, max_head, out);
    g_free(copy);
    return ok;
}

static gboolean name_is(const char *line, gsize name_len, const char *wanted)
{
    return name_len == strlen(wanted) && g_ascii_strncasecmp(line, wanted, name_len) == 0;
}

static void assert_same(const SpnWebFastRequest *a, const SpnWebFastRequest *b)
{
    g_assert_cmpuint(a->length, ==, b->length);
    g_assert_cmpint(a->head, ==, b->head);
    g_assert_cmpint(a->has_if_none_match, ==, b->has_if_none_match);
    g_assert_cmpstr(a->if_none_match, ==, b->if_none_match);
}

/* The accepted head @h (@len bytes), read again line by line. */
static void check_head(const char *h, gsize len, const SpnWebFastRequest *out)
{
    const char *line_1 = out->head ? HEAD_LINE : GET_LINE;
    g_assert_cmpuint(len, >=, strlen(line_1) + 2);
    g_assert_cmpmem(h, strlen(line_1), line_1, strlen(line_1));
    g_assert_cmpmem(h + len - 4, 4, "\r\n\r\n", 4);

    guint hosts = 0;
    gboolean inm_found = !out->has_if_none_match;
    gsize start = strlen(line_1);
    while (start < len - 2) {
        const char *line = h + start;
        /* Every CR is a CRLF's, and a line holds no LF (fields allow neither, below). */
        const char *crlf = memchr(line, '\r', len - start);
        g_assert_nonnull(crlf);
        g_assert_cmpint(crlf[1], ==, '\n');
        gsize line_len = (gsize)(crlf - line);
        /* The blank line ends the head: none before the last one. */
        g_assert_cmpuint(line_len, >, 0);
        const char *colon = memchr(line, ':', line_len);
        g_assert_nonnull(colon);
        gsize name_len = (gsize)(colon - line);
        g_assert_cmpuint(name_len, >, 0);
        for (gsize i = 0; i < name_len; i++)
            g_assert_true(g_ascii_isalnum(line[i]) || strchr("!#$%&'*+-.^_`|~", line[i]) != NULL);
        for (const char *p = colon + 1; p < crlf; p++)
            g_assert_true(*p == '\t' || ((guchar)*p >= 0x20 && (guchar)*p != 0x7f));
        g_assert_false(name_is(line, name_len, "Transfer-Encoding"));
        g_assert_false(name_is(line, name_len, "Expect"));
        g_assert_false(name_is(line, name_len, "Upgrade"));
        g_autofree char *value = g_strstrip(g_strndup(colon + 1, (gsize)(crlf - colon - 1)));
        if (name_is(line, name_len, "Host"))
            hosts++;
        if (name_is(line, name_len, "Content-Length"))
            g_assert_cmpstr(value, ==, "0");
        if (name_is(line, name_len, "Connection"))
            g_assert_cmpint(g_ascii_strcasecmp(value, "keep-alive"), ==, 0);
        if (name_is(line, name_len, "If-None-Match")) {
            g_assert_false(inm_found);
            inm_found = TRUE;
            g_assert_true(out->has_if_none_match);
            /* g_strstrip trims more than SP and HTAB, but those are all a value may hold. */
            g_assert_cmpstr(value, ==, out->if_none_match);
        }
        start += line_len + 2;
    }
    g_assert_cmpuint(start, ==, len - 2);
    g_assert_cmpuint(hosts, ==, 1);
    g_assert_true(inm_found);
}

static void check(const uint8_t *data, size_t size, gsize max_head)
{
    SpnWebFastRequest out;
    memset(&out, 0x55, sizeof out);
    if (!parse_copy(data, size, max_head, &out))
        return;

    g_assert_cmpuint(out.length, >, 0);
    g_assert_cmpuint(out.length, <=, size);
    g_assert_cmpuint(out.length, <=, max_head);
    g_assert_cmpuint(strnlen(out.if_none_match, sizeof out.if_none_match), <=,
                     SPN_WEB_REQUEST_MAX_ETAG_LIST);
    if (!out.has_if_none_match)
        g_assert_cmpstr(out.if_none_match, ==, "");
    check_head((const char *)data, out.length, &out);

    /* Only the head's bytes count, and max_head bounds exactly them. */
    SpnWebFastRequest again;
    g_assert_true(parse_copy(data, out.length, out.length, &again));
    assert_same(&out, &again);
    g_assert_false(parse_copy(data, out.length - 1, max_head, &again));
    g_assert_false(parse_copy(data, size, out.length - 1, &again));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* No bound, and a front door's bound of a few KiB. */
    check(data, size, G_MAXSIZE);
    check(data, size, 4096);
    return 0;
}
