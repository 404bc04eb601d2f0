/* web-request.h — recognising the one request spotnow-web answers without libsoup.
 *
 * The front door (web-front.c) peeks at what a client sent. When it is exactly one plain
 * "GET|HEAD /api/now-playing HTTP/1.1" head, the answer is bytes kept ready; anything else, or
 * anything unusual about it, goes to libsoup untouched (doc/design.md section 10, spotnow-web).
 *
 * Pure: no I/O, no allocation. The rules are strict on purpose: a head this refuses costs a
 * little speed, a head it wrongly accepts could be answered wrongly. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* If-None-Match values longer than this go to libsoup (a browser sends one ETag). */
#define SPN_WEB_REQUEST_MAX_ETAG_LIST 256

typedef struct {
    gsize length;  /* bytes of the head, its blank line included */
    gboolean head; /* HEAD, not GET */
    gboolean has_if_none_match;
    char if_none_match[SPN_WEB_REQUEST_MAX_ETAG_LIST + 1]; /* trimmed, NUL-terminated */
} SpnWebFastRequest;

/* TRUE when the @len bytes at @data begin with one whole request head, at most @max_head
 * bytes long, that is exactly "GET @path HTTP/1.1" or "HEAD @path HTTP/1.1" (no query),
 * with one Host, well-formed CRLF header lines, no body and nothing that asks for more than
 * the plain answer: no Transfer-Encoding, no Content-Length but 0, no Expect, Upgrade, Range or
 * If-Range, no Connection but keep-alive, at most one If-None-Match. Fills @out then.
 *
 * FALSE for everything else, an incomplete head included: libsoup reads that one, and answers
 * or refuses it by its own rules. */
gboolean spn_web_request_parse_fast(const char *data, gsize len, const char *path, gsize max_head,
                                    SpnWebFastRequest *out);

G_END_DECLS
