/* spotify-api.h — HTTP to the Spotify Web API and accounts service (libsoup 3, async).
 *
 * Transport only: it sends, bounds and collects replies; what they mean is snapshot.c and
 * upstream.c. Every reply body is capped at 1 MiB and every request at the configured timeout
 * (15 s by default), no redirect is followed, and the session is the one album art uses too
 * (http.h), so a misbehaving upstream can cost memory and time only within bounds.
 */
#pragma once

#include <gio/gio.h>

#include "http.h" /* SpnHttpReply */

G_BEGIN_DECLS

#define SPN_SPOTIFY_API_MAX_BODY (1024 * 1024)

#define SPN_TYPE_SPOTIFY_API (spn_spotify_api_get_type())
G_DECLARE_FINAL_TYPE(SpnSpotifyApi, spn_spotify_api, SPN, SPOTIFY_API, GObject)

SpnSpotifyApi *spn_spotify_api_new(const char *api_base_url, const char *accounts_base_url,
                                   double timeout_s);

/* GET <api>/v1/me/player/currently-playing?additional_types=episode with the bearer token.
 * Any HTTP status is a reply; only transport failures (refused, reset, timeout, truncated,
 * over-long body) are errors. */
void spn_spotify_api_get_currently_playing(SpnSpotifyApi *self, const char *access_token,
                                           GCancellable *cancellable, GAsyncReadyCallback callback,
                                           gpointer user_data);
SpnHttpReply *spn_spotify_api_get_currently_playing_finish(SpnSpotifyApi *self,
                                                           GAsyncResult *result, GError **error);

/* POST <accounts>/api/token grant_type=refresh_token. With @client_secret the client
 * authenticates with HTTP Basic, else (PKCE public client) with a client_id form field. */
void spn_spotify_api_refresh_token(SpnSpotifyApi *self, const char *refresh_token,
                                   const char *client_id, const char *client_secret,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);
SpnHttpReply *spn_spotify_api_refresh_token_finish(SpnSpotifyApi *self, GAsyncResult *result,
                                                   GError **error);

/* A player command: @method (PUT/POST) to <api>@path_and_query (e.g. "/v1/me/player/pause")
 * with the bearer token and an empty body. Replies as for get_currently_playing. */
void spn_spotify_api_player_command(SpnSpotifyApi *self, const char *access_token,
                                    const char *method, const char *path_and_query,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data);
SpnHttpReply *spn_spotify_api_player_command_finish(SpnSpotifyApi *self, GAsyncResult *result,
                                                    GError **error);

/* POST <accounts>/api/token grant_type=authorization_code (sign-in, PKCE). Client
 * authentication as for refresh; the verifier is sent in both cases. */
void spn_spotify_api_exchange_code(SpnSpotifyApi *self, const char *code, const char *redirect_uri,
                                   const char *code_verifier, const char *client_id,
                                   const char *client_secret, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
SpnHttpReply *spn_spotify_api_exchange_code_finish(SpnSpotifyApi *self, GAsyncResult *result,
                                                   GError **error);

/* Whether to keep connections open between requests (default TRUE). When the next request is
 * minutes away (no viewers: only the safety poll), a kept-alive connection only buys a wake-up
 * when libsoup closes it on its idle timeout; with FALSE each reply closes its connection. */
void spn_spotify_api_set_keep_alive(SpnSpotifyApi *self, gboolean keep_alive);

/* HTTP requests sent since creation (API and accounts), for GetStatus().upstreamRequests. */
guint64 spn_spotify_api_get_request_count(SpnSpotifyApi *self);

/* Requests sent to the Web API only (api-base-url): what the request budget counts
 * (doc/design.md section 4, rule 11); token requests are not in it. */
guint64 spn_spotify_api_get_api_request_count(SpnSpotifyApi *self);

G_END_DECLS
