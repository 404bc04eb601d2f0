/* signin.h — OAuth Authorization Code with PKCE (doc/design.md section 6), owned by the daemon.
 *
 * One flow at a time: BeginSignIn makes a verifier, a challenge and a state, listens on
 * http://127.0.0.1:<redirect-port>/ (signin-server.h) and hands out the authorize URL. A local
 * browser opens /start/<token> (signin-start.h), which sends it on to Spotify; the flow finishes
 * either at /callback (the browser is redirected to us) or through CompleteSignIn with the pasted
 * redirect URL (the browser is on another machine). Either way the "signed-in" signal carries
 * the new credentials; the engine stores them.
 *
 * Each flow is its own object with its own cancellable: a flow that was replaced, cancelled or
 * expired can never sign in, whatever its exchange in flight answers later. */
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
/* Reads code, state and error from a redirect URL (or its bare query string), as pasted: spaces
 * anywhere and quotes or angle brackets around it are dropped. Fails with
 * SPN_ERROR_INVALID_ARGS when it is not a URL with a query. @error_code comes back cleaned
 * (spn_sign_in_clean_text). */
gboolean spn_sign_in_parse_redirect(const char *redirected_url, char **code, char **state,
                                    char **error_code, GError **error);
/* Text from outside (a redirect's error) fit for lastError, which clients print and the system
 * bus broadcasts: valid UTF-8, each run of control characters and spaces made one space, at
 * most 80 characters. */
char *spn_sign_in_clean_text(const char *text);
/* Why a pasted redirect's @state is not @expected, in words that say what to do: cut short, extra
 * characters after it, or another sign-in's. */
char *spn_sign_in_describe_state_mismatch(const char *state, const char *expected);

#define SPN_TYPE_SIGN_IN (spn_sign_in_get_type())
G_DECLARE_FINAL_TYPE(SpnSignIn, spn_sign_in, SPN, SIGN_IN, GObject)

/* @config is borrowed and must outlive the object. */
SpnSignIn *spn_sign_in_new(const SpnConfig *config, SpnSpotifyApi *api);

/* Starts a flow, ending any earlier one (its exchange in flight too: it will not sign in), and
 * returns the authorize URL. @owner (the caller's unique bus name, or NULL) is who may end it by
 * leaving the bus (spn_sign_in_cancel_owned_by). When the loopback port cannot be listened on
 * (another program holds it), the flow still starts, for a pasted redirect;
 * spn_sign_in_get_listen_error() then says why the browser cannot come back. Errors:
 * NOT_SUPPORTED when no client-id is configured (the message lists the steps to get one). */
char *spn_sign_in_begin(SpnSignIn *self, const char *owner, GError **error);

/* Finishes the flow from a pasted redirect URL (surrounding quotes and spaces are ignored).
 * Errors: INVALID_ARGS (no flow, expired flow, a redirect of another flow or cut short, no code,
 * not a URL), SIGNED_OUT (the person declined: access_denied; this ends the flow), UPSTREAM
 * (Spotify refused the code or the verifier, or could not be reached), BUSY (this flow's code is
 * being exchanged already). A pasted URL's failure leaves the flow open, but for access_denied,
 * so the person can paste again. On success "signed-in" is emitted too. */
void spn_sign_in_complete(SpnSignIn *self, const char *redirected_url, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data);
gboolean spn_sign_in_complete_finish(SpnSignIn *self, GAsyncResult *result, GError **error);

/* Ends a flow in progress, if any: its port is freed at once, its exchange in flight cancelled.
 * Returns whether there was one. */
gboolean spn_sign_in_cancel(SpnSignIn *self);
/* The same, only for a flow that @owner began. */
gboolean spn_sign_in_cancel_owned_by(SpnSignIn *self, const char *owner);

/* TRUE from BeginSignIn until the flow ends: signed in, refused by Spotify or the person,
 * expired, cancelled, or replaced. A redirect with the wrong state does not end it (it may be
 * forged). */
gboolean spn_sign_in_is_pending(SpnSignIn *self);

/* Why the pending flow has no loopback listener (so only a pasted redirect can finish it), or
 * NULL. */
const char *spn_sign_in_get_listen_error(SpnSignIn *self);

G_END_DECLS
