/* upstream.h — what Spotify's non-snapshot replies mean: token replies, error bodies and
 * Retry-After. Pure: no I/O; callers pass "now". */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "credentials.h"

G_BEGIN_DECLS

/* A short human description of an error reply, for GetStatus().lastError. Understands both
 * JSON envelopes ({"error":{"status","message"}} and {"error","error_description"}) and plain
 * text (403 "User not registered in the Developer Dashboard"); falls back to the HTTP reason.
 * The result is valid UTF-8, one line, at most ~200 chars, and never contains a token.
 * Example: "HTTP 429: API rate limit exceeded". */
/* Whether a player command's 403 body says control can never work with this account or
 * token: reason PREMIUM_REQUIRED, "Premium required", "Insufficient client scope", or the
 * plain-text "User not registered" of an app the account is not admitted to. Spotify also
 * answers 403 "Restriction violated" for one command at one moment (pause while paused, next
 * at the end of a context): FALSE for that, and for anything it does not recognise. */
gboolean spn_upstream_forbids_control(const char *body, gsize length);

/* Whether a 429's body says the app's (development mode) request quota is spent:
 * {"error":{"status":429,"message":"Too many requests","reason":"QUOTA_EXCEEDED"}}, as opposed
 * to a short rate limit (doc/design.md section 4, rule 12). */
gboolean spn_upstream_is_quota_exceeded(const char *body, gsize length);

char *spn_upstream_describe_error(guint status, const char *reason_phrase, const char *body,
                                  gsize length);

/* Parse a reply of POST /api/token.
 * @status: the HTTP status.
 * @previous: the credentials sent (a reply without refresh_token keeps previous->refresh_token;
 *   a reply without scope keeps previous->scope); may be NULL for a first sign-in.
 * @now_ms: expires_at = now_ms + expires_in * 1000.
 * Returns new credentials on 200 with an access_token. Errors:
 *   SPN_ERROR_REVOKED for {"error":"invalid_grant"} (never retry it),
 *   SPN_ERROR_UPSTREAM for anything else (message from spn_upstream_describe_error). */
SpnCredentials *spn_upstream_parse_token_reply(guint status, const char *body, gsize length,
                                               const SpnCredentials *previous, gint64 now_ms,
                                               GError **error);

/* Parse a Retry-After value: delta-seconds ("13749") or an HTTP-date. Returns the Unix ms until
 * which to wait, or 0 when @value is NULL or unparseable (the caller then uses its default). */
gint64 spn_upstream_parse_retry_after(const char *value, gint64 now_ms);

/* Parse an untrusted reply body whose top level must be a JSON object. Rejects, with
 * SPN_ERROR_UPSTREAM and a "Spotify sent …" message: invalid UTF-8, bad JSON, a top level that is
 * not an object, an empty body, and nesting deeper than 64 levels (json-glib recurses once per
 * level, so a hostile body could otherwise overflow the stack). Returns a new reference. */
JsonObject *spn_upstream_parse_json_object(const char *body, gsize length, GError **error);

G_END_DECLS
