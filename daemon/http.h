/* http.h — the daemon's one HTTP client: a shared SoupSession, and requests bounded in time,
 * size and destination, for the Spotify Web API, the accounts service and album art alike.
 *
 * Every request has a deadline for the whole exchange (connect, headers, last byte), not just
 * per read: a server trickling a byte every few seconds is cut off when it passes. Replies are
 * read into memory up to a cap, and no redirect is followed, so a reply can never send the
 * daemon (with or without its token) to a host its caller did not choose. */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The Web API's default request timeout ([spotify] request-timeout-s), and album art's. */
#define SPN_HTTP_DEFAULT_TIMEOUT_S 15.0

typedef struct {
    guint status;
    char *reason;      /* HTTP reason phrase, may be NULL */
    GBytes *body;      /* never NULL; empty for 204 */
    char *retry_after; /* Retry-After header verbatim, or NULL */
} SpnHttpReply;

void spn_http_reply_free(SpnHttpReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpnHttpReply, spn_http_reply_free)

/* A new reference to the process's session, created on first use and freed with its last
 * reference: one connection pool, one user agent, one place for limits. Main thread only. */
SoupSession *spn_http_session_ref(void);

/* Called once the reply's headers are in, before any of its body is read: NULL to go on, or
 * the error that ends the request there (the connection is dropped, not drained). */
typedef GError *(*SpnHttpCheckFunc)(SoupMessage *message, gpointer user_data);

typedef struct {
    const char *peer;       /* who answers, for error messages: "Spotify", an image host */
    guint deadline_ms;      /* the whole request, 1 ms at least */
    gsize max_body;         /* a longer body is an error, found before it is all in memory */
    SpnHttpCheckFunc check; /* may be NULL: every status is then a reply */
    gpointer check_data;    /* must outlive the request */
} SpnHttpLimits;

/* Sends @message (consumed) on @session within @limits, at @io_priority. Errors: the session's
 * (refused, reset, TLS...), G_IO_ERROR_TIMED_OUT past the deadline,
 * G_IO_ERROR_MESSAGE_TOO_LARGE past max_body, G_IO_ERROR_CANCELLED, or what @check returned. */
void spn_http_send(SoupSession *session, SoupMessage *message, const SpnHttpLimits *limits,
                   int io_priority, GCancellable *cancellable, GAsyncReadyCallback callback,
                   gpointer user_data);
/* The reply (free it), or NULL with @error set. */
SpnHttpReply *spn_http_send_finish(GAsyncResult *result, GError **error);

G_END_DECLS
