/* web-request.c — the strict reader of the one request the front door answers itself. */
#define G_LOG_DOMAIN "spotnow-web-request"

#include "web-request.h"

#include <string.h>

/* RFC 9110 token characters, for header names. */
static gboolean is_tchar(guchar c)
{
    return g_ascii_isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Field values: visible ASCII, space, tab and obs-text; never another control character. */
static gboolean is_value_char(guchar c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* A Host value libsoup would take as it is: a plain name or IPv4 address, or a bracketed IPv6
 * one, and an optional port. Anything rarer (percent-escapes, sub-delimiters, a bad port) is
 * left to libsoup, which refuses what it cannot parse with a 400. */
static gboolean host_is_plain(const char *value, gsize len)
{
    const char *end = value + len;
    const char *p = value;
    if (p < end && *p == '[') {
        for (p++; p < end && (g_ascii_isxdigit(*p) || *p == ':' || *p == '.'); p++)
            ;
        if (p == end || *p != ']' || p - value < 3)
            return FALSE;
        p++;
    } else {
        for (; p < end && (g_ascii_isalnum(*p) || strchr("-._~", *p) != NULL) && *p != '\0'; p++)
            ;
        if (p == value)
            return FALSE;
    }
    if (p == end)
        return TRUE;
    if (*p++ != ':' || p == end || end - p > 5)
        return FALSE;
    guint port = 0;
    for (; p < end; p++) {
        if (!g_ascii_isdigit(*p))
            return FALSE;
        port = port * 10 + (guint)(*p - '0');
    }
    return port <= 65535;
}

static gboolean name_is(const char *name, gsize len, const char *wanted)
{
    return len == strlen(wanted) && g_ascii_strncasecmp(name, wanted, len) == 0;
}

static gboolean value_is(const char *value, gsize len, const char *wanted)
{
    return len == strlen(wanted) && g_ascii_strncasecmp(value, wanted, len) == 0;
}

/* The request line "METHOD @path HTTP/1.1\r\n" at @line (@len bytes, CRLF excluded). */
static gboolean parse_request_line(const char *line, gsize len, const char *path,
                                   SpnWebFastRequest *out)
{
    gsize method_len;
    if (len > 4 && memcmp(line, "GET ", 4) == 0) {
        method_len = 4;
        out->head = FALSE;
    } else if (len > 5 && memcmp(line, "HEAD ", 5) == 0) {
        method_len = 5;
        out->head = TRUE;
    } else {
        return FALSE;
    }
    static const char version[] = " HTTP/1.1";
    gsize path_len = strlen(path);
    return len == method_len + path_len + sizeof version - 1 &&
           memcmp(line + method_len, path, path_len) == 0 &&
           memcmp(line + method_len + path_len, version, sizeof version - 1) == 0;
}

typedef struct {
    guint hosts;
    guint if_none_matches;
} Seen;

/* One header line (CRLF excluded). FALSE for a malformed line or one that wants libsoup. */
static gboolean parse_header(const char *line, gsize len, Seen *seen, SpnWebFastRequest *out)
{
    const char *colon = memchr(line, ':', len);
    if (colon == NULL || colon == line)
        return FALSE;
    gsize name_len = (gsize)(colon - line);
    for (gsize i = 0; i < name_len; i++)
        if (!is_tchar((guchar)line[i]))
            return FALSE; /* also a folded line's leading space, or a space before the colon */
    const char *value = colon + 1;
    const char *end = line + len;
    for (const char *p = value; p < end; p++)
        if (!is_value_char((guchar)*p))
            return FALSE;
    while (value < end && (*value == ' ' || *value == '\t'))
        value++;
    while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    gsize value_len = (gsize)(end - value);

    if (name_is(line, name_len, "Host")) {
        seen->hosts++;
        return host_is_plain(value, value_len);
    }
    if (name_is(line, name_len, "If-None-Match")) {
        if (++seen->if_none_matches > 1 || value_len > SPN_WEB_REQUEST_MAX_ETAG_LIST)
            return FALSE;
        memcpy(out->if_none_match, value, value_len);
        out->if_none_match[value_len] = '\0';
        out->has_if_none_match = TRUE;
        return TRUE;
    }
    if (name_is(line, name_len, "Content-Length"))
        return value_is(value, value_len, "0");
    if (name_is(line, name_len, "Connection"))
        return value_is(value, value_len, "keep-alive");
    /* Range: libsoup answers a part (206); the front door answers whole only. */
    return !name_is(line, name_len, "Transfer-Encoding") && !name_is(line, name_len, "Expect") &&
           !name_is(line, name_len, "Upgrade") && !name_is(line, name_len, "Range") &&
           !name_is(line, name_len, "If-Range");
}

gboolean spn_web_request_parse_fast(const char *data, gsize len, const char *path, gsize max_head,
                                    SpnWebFastRequest *out)
{
    g_return_val_if_fail(data != NULL || len == 0, FALSE);
    g_return_val_if_fail(path != NULL && out != NULL, FALSE);
    memset(out, 0, sizeof *out);
    if (len == 0)
        return FALSE; /* and @data may be NULL */
    gsize limit = MIN(len, max_head);
    Seen seen = {0};
    gsize start = 0;
    for (guint line_no = 0;; line_no++) {
        const char *cr = memchr(data + start, '\r', limit - start);
        /* Incomplete (or too long): libsoup waits for the rest, or refuses it. */
        if (cr == NULL || (gsize)(cr - data) + 1 >= limit)
            return FALSE;
        if (cr[1] != '\n')
            return FALSE;
        const char *line = data + start;
        gsize line_len = (gsize)(cr - line);
        /* A bare LF inside a line is a line break to some readers: not ours to guess. */
        if (memchr(line, '\n', line_len) != NULL)
            return FALSE;
        start = (gsize)(cr - data) + 2;
        if (line_no == 0) {
            if (!parse_request_line(line, line_len, path, out))
                return FALSE;
        } else if (line_len == 0) {
            out->length = start;
            return seen.hosts == 1;
        } else if (!parse_header(line, line_len, &seen, out)) {
            return FALSE;
        }
    }
}
