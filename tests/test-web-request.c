/* spn_web_request_parse_fast(): which heads spotnow-web answers without libsoup.
 *
 * A wrong TRUE means the front door answers a request libsoup would have read differently (a
 * body, a second Host, a smuggled line), so the refused table is the longer one (doc/design.md
 * section 9: bounded, no bodies). Every input is copied into a heap block of exactly its length,
 * so a read past the end shows under ASan and valgrind. */
#include <string.h>

#include "web-request.h"

#define PATH "/api/now-playing"
#define MAX_HEAD 8192
#define GET_LINE "GET " PATH " HTTP/1.1\r\n"
#define HEAD_LINE "HEAD " PATH " HTTP/1.1\r\n"
#define HOST "Host: spotnow.example\r\n"
#define VALID GET_LINE HOST "\r\n"

/* A string literal and its length, NULs inside included. */
#define BYTES(s) s, sizeof(s) - 1

static gboolean parse(const char *bytes, gsize len, gsize max_head, SpnWebFastRequest *out)
{
    /* One byte for none: the reader passes data to memchr(), which must never see NULL. */
    char *copy = g_malloc(MAX(len, 1));
    memcpy(copy, bytes, len);
    gboolean ok = spn_web_request_parse_fast(copy, len, PATH, max_head, out);
    g_free(copy);
    return ok;
}

typedef struct {
    const char *name;
    const char *bytes;
    gsize len;
    gsize head_len; /* 0: the whole input is the head */
    gboolean head;
    const char *if_none_match; /* NULL: none sent */
} Accepted;

static const Accepted accepted[] = {
    {"get", BYTES(VALID), 0, FALSE, NULL},
    {"head", BYTES(HEAD_LINE HOST "\r\n"), 0, TRUE, NULL},
    {"host-without-space", BYTES(GET_LINE "Host:spotnow.example\r\n\r\n"), 0, FALSE, NULL},
    {"browser-headers",
     BYTES(GET_LINE HOST "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0\r\n"
                         "Accept: application/json, */*;q=0.8\r\n"
                         "Accept-Language: en-GB,en;q=0.5\r\n"
                         "Accept-Encoding: gzip, deflate, br\r\n"
                         "Origin: https://me.example\r\n"
                         "Referer: https://me.example/\r\n"
                         "Sec-Fetch-Mode: cors\r\n"
                         "Cache-Control: no-cache\r\n\r\n"),
     0, FALSE, NULL},
    {"obs-text-in-value", BYTES(GET_LINE HOST "User-Agent: caf\xc3\xa9\tbot\r\n\r\n"), 0, FALSE,
     NULL},
    {"keep-alive", BYTES(GET_LINE HOST "Connection: keep-alive\r\n\r\n"), 0, FALSE, NULL},
    {"keep-alive-any-case", BYTES(GET_LINE HOST "connection: Keep-Alive\r\n\r\n"), 0, FALSE, NULL},
    {"content-length-zero", BYTES(GET_LINE HOST "Content-Length: 0\r\n\r\n"), 0, FALSE, NULL},
    {"content-length-zero-padded", BYTES(GET_LINE HOST "Content-Length: \t0 \r\n\r\n"), 0, FALSE,
     NULL},
    {"if-none-match", BYTES(GET_LINE HOST "If-None-Match: \"abc123\"\r\n\r\n"), 0, FALSE,
     "\"abc123\""},
    {"if-none-match-weak", BYTES(HEAD_LINE HOST "If-None-Match: W/\"abc123\"\r\n\r\n"), 0, TRUE,
     "W/\"abc123\""},
    {"if-none-match-list", BYTES(GET_LINE HOST "If-None-Match: \"a\", W/\"b\" ,\"c\"\r\n\r\n"), 0,
     FALSE, "\"a\", W/\"b\" ,\"c\""},
    {"if-none-match-star", BYTES(GET_LINE HOST "If-None-Match: *\r\n\r\n"), 0, FALSE, "*"},
    {"if-none-match-trimmed", BYTES(GET_LINE HOST "If-None-Match: \t  \"x y\" \t \r\n\r\n"), 0,
     FALSE, "\"x y\""},
    {"if-none-match-before-host", BYTES(GET_LINE "If-None-Match: \"e\"\r\n" HOST "\r\n"), 0, FALSE,
     "\"e\""},
    {"names-any-case",
     BYTES(GET_LINE "hOST: spotnow.example\r\nIF-NONE-MATCH: \"q\"\r\nCONTENT-LENGTH: 0\r\n\r\n"),
     0, FALSE, "\"q\""},
    {"pipelined-get", BYTES(VALID GET_LINE HOST "\r\n"), sizeof(VALID) - 1, FALSE, NULL},
    {"pipelined-garbage", BYTES(HEAD_LINE HOST "\r\nPOST / HTTP/1.1\r\n\0\n\r"),
     sizeof(HEAD_LINE HOST "\r\n") - 1, TRUE, NULL},
    {"pipelined-partial",
     BYTES(GET_LINE HOST "If-None-Match: \"1\"\r\n\r\nGET " PATH
                         " HTTP/1.1\r\nIf-None-Match: \"2\""),
     sizeof(GET_LINE HOST "If-None-Match: \"1\"\r\n\r\n") - 1, FALSE, "\"1\""},
};

static void test_accepted(gconstpointer data)
{
    const Accepted *c = data;
    SpnWebFastRequest out;
    /* Whatever a refused or earlier head left there must not survive into this one. */
    memset(&out, 0x55, sizeof out);
    g_assert_true(parse(c->bytes, c->len, MAX_HEAD, &out));
    g_assert_cmpuint(out.length, ==, c->head_len != 0 ? c->head_len : c->len);
    g_assert_cmpint(out.head, ==, c->head);
    if (c->if_none_match == NULL) {
        g_assert_false(out.has_if_none_match);
    } else {
        g_assert_true(out.has_if_none_match);
        g_assert_cmpstr(out.if_none_match, ==, c->if_none_match);
    }
}

typedef struct {
    const char *name;
    const char *bytes;
    gsize len;
} Refused;

static const Refused refused[] = {
    /* The request line: exactly "GET|HEAD PATH HTTP/1.1". */
    {"query", BYTES("GET " PATH "?x=1 HTTP/1.1\r\n" HOST "\r\n")},
    {"empty-query", BYTES("GET " PATH "? HTTP/1.1\r\n" HOST "\r\n")},
    {"fragment", BYTES("GET " PATH "#x HTTP/1.1\r\n" HOST "\r\n")},
    {"other-path", BYTES("GET /api/events HTTP/1.1\r\n" HOST "\r\n")},
    {"root", BYTES("GET / HTTP/1.1\r\n" HOST "\r\n")},
    {"path-prefix", BYTES("GET /api/now-play HTTP/1.1\r\n" HOST "\r\n")},
    {"path-suffix", BYTES("GET " PATH "x HTTP/1.1\r\n" HOST "\r\n")},
    {"path-slash", BYTES("GET " PATH "/ HTTP/1.1\r\n" HOST "\r\n")},
    {"path-double-slash", BYTES("GET /" PATH " HTTP/1.1\r\n" HOST "\r\n")},
    {"path-dot-segment", BYTES("GET /api/./now-playing HTTP/1.1\r\n" HOST "\r\n")},
    {"path-percent-encoded", BYTES("GET /api/now%2Dplaying HTTP/1.1\r\n" HOST "\r\n")},
    {"path-upper-case", BYTES("GET /API/NOW-PLAYING HTTP/1.1\r\n" HOST "\r\n")},
    {"double-space", BYTES("GET  " PATH " HTTP/1.1\r\n" HOST "\r\n")},
    {"double-space-before-version", BYTES("GET " PATH "  HTTP/1.1\r\n" HOST "\r\n")},
    {"tab-separator", BYTES("GET\t" PATH " HTTP/1.1\r\n" HOST "\r\n")},
    {"trailing-space", BYTES("GET " PATH " HTTP/1.1 \r\n" HOST "\r\n")},
    {"leading-space", BYTES(" GET " PATH " HTTP/1.1\r\n" HOST "\r\n")},
    {"leading-empty-line", BYTES("\r\n" VALID)},
    {"lowercase-get", BYTES("get " PATH " HTTP/1.1\r\n" HOST "\r\n")},
    {"lowercase-head", BYTES("head " PATH " HTTP/1.1\r\n" HOST "\r\n")},
    {"post", BYTES("POST " PATH " HTTP/1.1\r\n" HOST "Content-Length: 0\r\n\r\n")},
    {"options", BYTES("OPTIONS " PATH " HTTP/1.1\r\n" HOST "\r\n")},
    {"gets", BYTES("GETS " PATH " HTTP/1.1\r\n" HOST "\r\n")},
    {"http-1.0", BYTES("GET " PATH " HTTP/1.0\r\n" HOST "\r\n")},
    {"http-2", BYTES("GET " PATH " HTTP/2\r\n" HOST "\r\n")},
    {"http-1.10", BYTES("GET " PATH " HTTP/1.10\r\n" HOST "\r\n")},
    {"lowercase-version", BYTES("GET " PATH " http/1.1\r\n" HOST "\r\n")},
    {"http-0.9", BYTES("GET " PATH "\r\n\r\n")},
    {"absolute-form", BYTES("GET http://spotnow.example" PATH " HTTP/1.1\r\n" HOST "\r\n")},
    {"authority-form", BYTES("GET spotnow.example:80 HTTP/1.1\r\n" HOST "\r\n")},
    {"asterisk-form", BYTES("GET * HTTP/1.1\r\n" HOST "\r\n")},
    /* Host: exactly one. */
    {"no-host", BYTES(GET_LINE "\r\n")},
    {"no-host-other-headers", BYTES(GET_LINE "User-Agent: x\r\nAccept: */*\r\n\r\n")},
    {"two-hosts", BYTES(GET_LINE HOST HOST "\r\n")},
    {"two-hosts-different", BYTES(GET_LINE HOST "host: evil.example\r\n\r\n")},
    /* If-None-Match: one, and short. */
    {"two-if-none-match",
     BYTES(GET_LINE HOST "If-None-Match: \"a\"\r\nIf-None-Match: \"b\"\r\n\r\n")},
    {"two-if-none-match-case",
     BYTES(GET_LINE HOST "If-None-Match: \"a\"\r\nif-none-match: \"a\"\r\n\r\n")},
    /* Anything that asks for more than the plain answer. */
    {"transfer-encoding", BYTES(GET_LINE HOST "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")},
    {"transfer-encoding-identity", BYTES(GET_LINE HOST "transfer-encoding: identity\r\n\r\n")},
    {"transfer-encoding-empty", BYTES(GET_LINE HOST "Transfer-Encoding:\r\n\r\n")},
    {"content-length-5", BYTES(GET_LINE HOST "Content-Length: 5\r\n\r\nhello")},
    {"content-length-00", BYTES(GET_LINE HOST "Content-Length: 00\r\n\r\n")},
    {"content-length-list", BYTES(GET_LINE HOST "Content-Length: 0, 0\r\n\r\n")},
    {"content-length-empty", BYTES(GET_LINE HOST "Content-Length:\r\n\r\n")},
    {"content-length-negative", BYTES(GET_LINE HOST "Content-Length: -0\r\n\r\n")},
    {"expect", BYTES(GET_LINE HOST "Expect: 100-continue\r\n\r\n")},
    {"expect-empty", BYTES(GET_LINE HOST "expect:\r\n\r\n")},
    {"upgrade", BYTES(GET_LINE HOST "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n")},
    {"upgrade-alone", BYTES(GET_LINE HOST "Upgrade: h2c\r\n\r\n")},
    /* libsoup answers a part (206); the front door only ever answers whole. */
    {"range", BYTES(GET_LINE HOST "Range: bytes=0-3\r\n\r\n")},
    {"range-lower-case", BYTES(GET_LINE HOST "range: bytes=0-3\r\n\r\n")},
    {"if-range", BYTES(GET_LINE HOST "If-Range: \"e\"\r\n\r\n")},
    {"connection-close", BYTES(GET_LINE HOST "Connection: close\r\n\r\n")},
    {"connection-list", BYTES(GET_LINE HOST "Connection: keep-alive, close\r\n\r\n")},
    {"connection-upgrade", BYTES(GET_LINE HOST "Connection: upgrade\r\n\r\n")},
    {"connection-empty", BYTES(GET_LINE HOST "Connection:\r\n\r\n")},
    /* Malformed lines: obs-fold, stray line ends, control characters, bad names. */
    {"obs-fold-space", BYTES(GET_LINE HOST "User-Agent: a\r\n b\r\n\r\n")},
    {"obs-fold-tab", BYTES(GET_LINE HOST "User-Agent: a\r\n\tTransfer-Encoding: chunked\r\n\r\n")},
    {"obs-fold-host", BYTES(GET_LINE "Host: a\r\n spotnow.example\r\n\r\n")},
    {"bare-lf-in-request-line", BYTES("GET " PATH "\n HTTP/1.1\r\n" HOST "\r\n")},
    {"bare-lf-after-request-line", BYTES("GET " PATH " HTTP/1.1\n" HOST "\r\n")},
    {"bare-lf-in-value", BYTES(GET_LINE "User-Agent: a\nHost: x\r\n" HOST "\r\n")},
    {"bare-lf-in-name", BYTES(GET_LINE "User\n-Agent: a\r\n" HOST "\r\n")},
    {"bare-lf-blank-line", BYTES(GET_LINE HOST "\n\r\n")},
    {"bare-lf-end", BYTES(GET_LINE HOST "\n")},
    {"lf-only", BYTES("GET " PATH " HTTP/1.1\nHost: spotnow.example\n\n")},
    {"cr-only", BYTES("GET " PATH " HTTP/1.1\rHost: spotnow.example\r\r")},
    {"bare-cr-in-value", BYTES(GET_LINE HOST "User-Agent: a\rb\r\n\r\n")},
    {"bare-cr-blank-line", BYTES(GET_LINE HOST "\r\r\n")},
    {"nul-in-value", BYTES(GET_LINE HOST "User-Agent: a\0b\r\n\r\n")},
    {"nul-in-host", BYTES(GET_LINE "Host: spotnow.example\0.evil\r\n\r\n")},
    {"nul-in-if-none-match", BYTES(GET_LINE HOST "If-None-Match: \"a\0b\"\r\n\r\n")},
    {"nul-in-name", BYTES(GET_LINE HOST "X-A\0: b\r\n\r\n")},
    {"nul-in-request-line", BYTES("GET " PATH "\0 HTTP/1.1\r\n" HOST "\r\n")},
    {"escape-in-value", BYTES(GET_LINE HOST "User-Agent: \x1b[31mred\r\n\r\n")},
    {"vertical-tab-in-value", BYTES(GET_LINE HOST "Accept: a\vb\r\n\r\n")},
    {"form-feed-in-value", BYTES(GET_LINE HOST "Accept: a\fb\r\n\r\n")},
    {"del-in-value", BYTES(GET_LINE HOST "Accept: a\x7f\r\n\r\n")},
    {"space-before-colon", BYTES(GET_LINE "Host : spotnow.example\r\n\r\n")},
    {"tab-before-colon", BYTES(GET_LINE HOST "Transfer-Encoding\t: chunked\r\n\r\n")},
    {"space-before-colon-other", BYTES(GET_LINE HOST "User-Agent : x\r\n\r\n")},
    {"empty-name", BYTES(GET_LINE HOST ": x\r\n\r\n")},
    {"no-colon", BYTES(GET_LINE HOST "User-Agent\r\n\r\n")},
    {"space-in-name", BYTES(GET_LINE HOST "User Agent: x\r\n\r\n")},
    {"separator-in-name", BYTES(GET_LINE HOST "X(y): x\r\n\r\n")},
    {"slash-in-name", BYTES(GET_LINE HOST "X/Y: x\r\n\r\n")},
    {"obs-text-in-name", BYTES(GET_LINE HOST "X-\xc3\xa9: x\r\n\r\n")},
    /* No head at all. */
    {"empty", BYTES("")},
    {"blank-line", BYTES("\r\n\r\n")},
    {"tls-client-hello", BYTES("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")},
};

/* Host values libsoup answers 400 in spotnow-web: the fast path must leave them
 * to libsoup, or the same request gets a 200 from the front door and an error from libsoup. */
static const Refused refused_host[] = {
    {"host-slash", BYTES(GET_LINE "Host: a/b\r\n\r\n")},
    {"host-port-letters", BYTES(GET_LINE "Host: a:x\r\n\r\n")},
    {"host-port-too-big", BYTES(GET_LINE "Host: a:99999\r\n\r\n")},
    {"host-open-bracket", BYTES(GET_LINE "Host: [::1\r\n\r\n")},
    {"host-bad-percent", BYTES(GET_LINE "Host: a%zz\r\n\r\n")},
};

static void test_refused(gconstpointer data)
{
    const Refused *c = data;
    SpnWebFastRequest out;
    g_assert_false(parse(c->bytes, c->len, MAX_HEAD, &out));
}

static void test_empty_null(void)
{
    /* web-request.h allows NULL data with no bytes; memchr() must not be handed it. */
    SpnWebFastRequest out;
    g_assert_false(spn_web_request_parse_fast(NULL, 0, PATH, MAX_HEAD, &out));
}

static void test_refused_at_every_limit(void)
{
    /* Every truncation of a valid head, by @len or by @max_head, is incomplete: refused. The
     * last prefix lacks only the final LF. */
    static const char whole[] = HEAD_LINE HOST "If-None-Match: \"e\"\r\n\r\n";
    const gsize total = sizeof whole - 1;
    SpnWebFastRequest out;
    for (gsize len = 0; len < total; len++) {
        g_assert_false(parse(whole, len, MAX_HEAD, &out));
        g_assert_false(parse(whole, total, len, &out));
    }
    g_assert_true(parse(whole, total, MAX_HEAD, &out));
    g_assert_cmpuint(out.length, ==, total);
}

static void test_max_head_boundary(void)
{
    static const char whole[] = GET_LINE HOST "If-None-Match: \"e\"\r\n\r\n";
    const gsize total = sizeof whole - 1;
    SpnWebFastRequest out;
    g_assert_true(parse(whole, total, total, &out));
    g_assert_cmpuint(out.length, ==, total);
    g_assert_cmpstr(out.if_none_match, ==, "\"e\"");
    g_assert_false(parse(whole, total, total - 1, &out));

    /* With a pipelined request behind it: the limit bounds the first head only. */
    g_autofree char *two = g_strconcat(whole, whole, NULL);
    g_assert_true(parse(two, 2 * total, total, &out));
    g_assert_cmpuint(out.length, ==, total);
    g_assert_false(parse(two, 2 * total, total - 1, &out));

    /* A head longer than max_head is refused however many bytes arrived. */
    g_autoptr(GString) long_head = g_string_new(GET_LINE HOST);
    while (long_head->len < 2 * MAX_HEAD)
        g_string_append(long_head, "X-Padding: 0123456789abcdef0123456789abcdef\r\n");
    g_string_append(long_head, "\r\n");
    g_assert_false(parse(long_head->str, long_head->len, MAX_HEAD, &out));
    g_assert_true(parse(long_head->str, long_head->len, long_head->len, &out));
    g_assert_cmpuint(out.length, ==, long_head->len);
}

static void test_if_none_match_size(void)
{
    /* SPN_WEB_REQUEST_MAX_ETAG_LIST bytes after trimming are copied whole; one more goes to
     * libsoup. */
    SpnWebFastRequest out;
    for (gsize size = SPN_WEB_REQUEST_MAX_ETAG_LIST - 1; size <= SPN_WEB_REQUEST_MAX_ETAG_LIST + 1;
         size++) {
        g_autofree char *value = g_strnfill(size, 'e');
        value[0] = value[size - 1] = '"';
        g_autofree char *head =
            g_strdup_printf(GET_LINE HOST "If-None-Match:   %s \t\r\n\r\n", value);
        gboolean ok = parse(head, strlen(head), MAX_HEAD, &out);
        if (size > SPN_WEB_REQUEST_MAX_ETAG_LIST) {
            g_assert_false(ok);
            continue;
        }
        g_assert_true(ok);
        g_assert_cmpuint(out.length, ==, strlen(head));
        g_assert_true(out.has_if_none_match);
        g_assert_cmpstr(out.if_none_match, ==, value);
    }
}

static void test_out_reset(void)
{
    /* The front door reuses one SpnWebFastRequest: a second head without If-None-Match must not
     * inherit the first one's ETag (a 304 to a client that holds nothing). */
    static const char with[] = HEAD_LINE HOST "If-None-Match: \"old\"\r\n\r\n";
    static const char without[] = VALID;
    SpnWebFastRequest out;
    g_assert_true(parse(with, sizeof with - 1, MAX_HEAD, &out));
    g_assert_true(out.head);
    g_assert_true(out.has_if_none_match);
    g_assert_true(parse(without, sizeof without - 1, MAX_HEAD, &out));
    g_assert_false(out.head);
    g_assert_false(out.has_if_none_match);
    g_assert_cmpstr(out.if_none_match, ==, "");
    g_assert_cmpuint(out.length, ==, sizeof without - 1);
}

static void test_path_argument(void)
{
    /* The path is the caller's: the same head is refused for another one. */
    static const char root[] = "GET / HTTP/1.1\r\n" HOST "\r\n";
    SpnWebFastRequest out;
    g_assert_true(spn_web_request_parse_fast(root, sizeof root - 1, "/", MAX_HEAD, &out));
    g_assert_cmpuint(out.length, ==, sizeof root - 1);
    g_assert_false(spn_web_request_parse_fast(VALID, sizeof VALID - 1, "/", MAX_HEAD, &out));
    g_assert_false(spn_web_request_parse_fast(root, sizeof root - 1, PATH, MAX_HEAD, &out));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(accepted); i++) {
        g_autofree char *path = g_strdup_printf("/web-request/accepted/%s", accepted[i].name);
        g_test_add_data_func(path, &accepted[i], test_accepted);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
        g_autofree char *path = g_strdup_printf("/web-request/refused/%s", refused[i].name);
        g_test_add_data_func(path, &refused[i], test_refused);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(refused_host); i++) {
        g_autofree char *path = g_strdup_printf("/web-request/refused/%s", refused_host[i].name);
        g_test_add_data_func(path, &refused_host[i], test_refused);
    }
    g_test_add_func("/web-request/refused/empty-null", test_empty_null);
    g_test_add_func("/web-request/refused/every-truncation", test_refused_at_every_limit);
    g_test_add_func("/web-request/max-head-boundary", test_max_head_boundary);
    g_test_add_func("/web-request/if-none-match-size", test_if_none_match_size);
    g_test_add_func("/web-request/out-reset", test_out_reset);
    g_test_add_func("/web-request/path-argument", test_path_argument);
    return g_test_run();
}
