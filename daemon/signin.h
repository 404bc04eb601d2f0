/* signin.h — OAuth Authorization Code with PKCE (DESIGN.md section 6), owned by the daemon.
 *
 * One flow at a time: BeginSignIn makes a verifier, a challenge and a state, listens once on
 * http://127.0.0.1:<redirect-port>/callback and hands out the authorize URL. The flow finishes
 * either there (the browser is redirected to us) or through CompleteSignIn with the pasted
 * redirect URL (the browser is on another machine). Either way the "signed-in" signal carries
 * the new credentials; the engine stores them. */
#pragma once

#include <gio/gio.h>

#include "config.h"
#include "credentials.h"
#include "spotify-api.h"

G_BEGIN_DECLS

#define SPN_SIGN_IN_SCOPE \
    "user-read-currently-playing user-read-playback-state user-modify-playback-state"

/* Pure pieces, unit-tested. */
/* A PKCE verifier: 64 characters of [A-Za-z0-9-_] from the kernel's CSPRNG (RFC 7636 allows
 * 43-128 of the unreserved set). Also used for the state parameter. */
char *spn_pkce_new_verifier(void);
/* BASE64URL(SHA256(verifier)) without padding: the S256 challenge. */
char *spn_pkce_challenge(const char *verifier);
char *spn_sign_in_authorize_url(const char *accounts_base_url, const char *client_id,
                                const char *redirect_uri, const char *challenge, const char *state);
/* Reads code, state and error from a redirect URL (or its bare query string). Fails with
 * SPN_ERROR_INVALID_ARGS when it is not a URL with a query. */
gboolean spn_sign_in_parse_redirect(const char *redirected_url, char **code, char **state,
                                    char **error_code, GError **error);

#define SPN_TYPE_SIGN_IN (spn_sign_in_get_type())
G_DECLARE_FINAL_TYPE(SpnSignIn, spn_sign_in, SPN, SIGN_IN, GObject)

/* @config is borrowed and must outlive the object. */
SpnSignIn *spn_sign_in_new(const SpnConfig *config, SpnSpotifyApi *api);

/* Starts a flow (replacing any earlier one) and returns the authorize URL. Errors:
 * NOT_SUPPORTED when no client-id is configured (the message says how to get one),
 * BUSY when the redirect port is taken. */
char *spn_sign_in_begin(SpnSignIn *self, GError **error);

/* Finishes the flow from a pasted redirect URL. Errors: INVALID_ARGS (no flow, expired flow,
 * wrong state, no code, not a URL), SIGNED_OUT (the person declined: access_denied),
 * UPSTREAM (Spotify refused the code or the verifier). On success "signed-in" is emitted too. */
void spn_sign_in_complete(SpnSignIn *self, const char *redirected_url, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data);
gboolean spn_sign_in_complete_finish(SpnSignIn *self, GAsyncResult *result, GError **error);

/* Ends a flow in progress, if any, and frees the port. */
void spn_sign_in_cancel(SpnSignIn *self);

/* TRUE from BeginSignIn until the flow ends: signed in, refused by Spotify or the person,
 * expired, or replaced. A redirect with the wrong state does not end it (it may be forged). */
gboolean spn_sign_in_is_pending(SpnSignIn *self);

G_END_DECLS
