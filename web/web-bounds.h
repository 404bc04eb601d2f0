/* web-bounds.h — what a request libsoup reads for spotnow-web passes first: the URL and header
 * sizes, the methods, no bodies, a deadline for the request to arrive whole and one for its
 * answer to be taken (doc/design.md section 9: bounded and closed). */
#pragma once

#include <libsoup/soup.h>

#include "web-linger.h"

G_BEGIN_DECLS

/* Bounds on what a client may send. */
#define SPN_WEB_MAX_URL_BYTES 2048
#define SPN_WEB_MAX_HEADER_BYTES 8192
/* A request (or an idle keep-alive connection) must arrive whole within this. */
#define SPN_WEB_REQUEST_TIMEOUT_S 10
/* An answer libsoup writes must be taken within this (a 512 KiB card at 10 KiB/s). */
#define SPN_WEB_ANSWER_TIMEOUT_S 60
/* Connections in each waiting state (for a request, being read, being answered, closing), at
 * most; the oldest is closed past it. */
#define SPN_WEB_MAX_PENDING 1024
/* The methods spotnow-web answers: its Allow header. */
#define SPN_WEB_ALLOW "GET, HEAD, OPTIONS"

typedef struct _SpnWebBounds SpnWebBounds;

/* Watches every request @server starts (its early handler answers a refusal before any
 * handler runs: check soup_server_message_get_status() there). A refused body's connection
 * ends through @linger (borrowed). */
SpnWebBounds *spn_web_bounds_new(SoupServer *server, SpnWebLinger *linger);
void spn_web_bounds_free(SpnWebBounds *self);

/* {"error": @message} with @status, never cached: every error spotnow-web sends. */
void spn_web_respond_error(SoupServerMessage *msg, guint status, const char *message);

G_END_DECLS
