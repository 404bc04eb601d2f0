/* signin.c — PKCE, the one-shot loopback callback server, and the code exchange. */
#define G_LOG_DOMAIN "spotnow-signin"

#include "signin.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <string.h>
#include <sys/random.h>

#include "scheduler.h"
#include "spn-error.h"
#include "upstream.h"

#define VERIFIER_LENGTH 64

/* ---- pure pieces ------------------------------------------------------------------------ */

char *spn_pkce_new_verifier(void)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    guint8 bytes[VERIFIER_LENGTH];
    gsize filled = 0;
    /* 64 symbols: the low six bits of each random byte pick one without bias. */
    while (filled < sizeof bytes) {
        ssize_t got = getrandom(bytes + filled, sizeof bytes - filled, 0);
        if (got < 0)
            g_error("getrandom failed: %s", g_strerror(errno));
        filled += (gsize)got;
    }
    char *verifier = g_malloc(VERIFIER_LENGTH + 1);
    for (gsize i = 0; i < VERIFIER_LENGTH; i++)
        verifier[i] = alphabet[bytes[i] & 63];
    verifier[VERIFIER_LENGTH] = '\0';
    memset(bytes, 0, sizeof bytes);
    return verifier;
}

char *spn_pkce_challenge(const char *verifier)
{
    guint8 digest[32];
    gsize digest_length = sizeof digest;
    g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(checksum, (const guchar *)verifier, (gssize)strlen(verifier));
    g_checksum_get_digest(checksum, digest, &digest_length);
    char *encoded = g_base64_encode(digest, digest_length);
    /* base64url (RFC 4648 section 5) without padding, as RFC 7636 requires. */
    for (char *p = encoded; *p != '\0'; p++) {
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
        else if (*p == '=')
            *p = '\0';
    }
    return encoded;
}

char *spn_sign_in_authorize_url(const char *accounts_base_url, const char *client_id,
                                const char *redirect_uri, const char *challenge, const char *state)
{
    const char *params[][2] = {
        {"client_id", client_id},       {"response_type", "code"},
        {"redirect_uri", redirect_uri}, {"code_challenge_method", "S256"},
        {"code_challenge", challenge},  {"state", state},
        {"scope", SPN_SIGN_IN_SCOPE},
    };
    GString *url = g_string_new(accounts_base_url);
    g_string_append(url, "/authorize");
    for (gsize i = 0; i < G_N_ELEMENTS(params); i++) {
        g_string_append_c(url, i == 0 ? '?' : '&');
        g_string_append(url, params[i][0]);
        g_string_append_c(url, '=');
        g_string_append_uri_escaped(url, params[i][1], NULL, FALSE);
    }
    return g_string_free(url, FALSE);
}

gboolean spn_sign_in_parse_redirect(const char *redirected_url, char **code, char **state,
                                    char **error_code, GError **error)
{
    *code = *state = *error_code = NULL;
    g_autofree char *trimmed = g_strstrip(g_strdup(redirected_url ? redirected_url : ""));
    const char *query = strchr(trimmed, '?');
    query = query != NULL ? query + 1 : trimmed;
    /* A fragment is never part of what we need; browsers may leave one on. */
    g_autofree char *without_fragment = g_strndup(query, strcspn(query, "#"));
    g_autoptr(GHashTable) params = NULL;
    if (*without_fragment != '\0')
        params = g_uri_parse_params(without_fragment, -1, "&", G_URI_PARAMS_NONE, NULL);
    if (params == NULL ||
        (!g_hash_table_contains(params, "code") && !g_hash_table_contains(params, "error"))) {
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_INVALID_ARGS,
                            _("That is not the address Spotify redirected to: paste the whole "
                              "http://127.0.0.1:…/callback?code=… URL from the browser"));
        return FALSE;
    }
    *code = g_strdup(g_hash_table_lookup(params, "code"));
    *state = g_strdup(g_hash_table_lookup(params, "state"));
    *error_code = g_strdup(g_hash_table_lookup(params, "error"));
    return TRUE;
}

/* ---- the flow --------------------------------------------------------------------------- */

struct _SpnSignIn {
    GObject parent_instance;
    const SpnConfig *config;
    SpnSpotifyApi *api;

    /* The flow in progress; verifier == NULL when none. */
    char *verifier;
    char *state;
    char *redirect_uri;
    gboolean expired;
    guint expiry_source;
    SoupServer *server;
    SoupServerMessage *callback_message; /* the browser's request being answered, if any */
    gboolean exchanging;                 /* a code is being exchanged: a second one is refused */
};

enum { SIGNAL_SIGNED_IN, SIGNAL_FAILED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_TYPE(SpnSignIn, spn_sign_in, G_TYPE_OBJECT)

static gboolean disconnect_server_idle(gpointer server)
{
    soup_server_disconnect(SOUP_SERVER(server));
    g_object_unref(server);
    return G_SOURCE_REMOVE;
}

/* Not from inside the message's own "finished": the server owns the message. */
static void disconnect_server_later(SoupServerMessage *message, gpointer server)
{
    g_idle_add(disconnect_server_idle, server);
}

static void stop_listening(SpnSignIn *self)
{
    if (self->server == NULL)
        return;
    if (self->callback_message != NULL) {
        /* The browser is still waiting for its page: close once it has been sent. */
        g_signal_connect(self->callback_message, "finished", G_CALLBACK(disconnect_server_later),
                         g_steal_pointer(&self->server));
        self->callback_message = NULL;
        return;
    }
    soup_server_disconnect(self->server);
    g_clear_object(&self->server);
}

static void forget_flow(SpnSignIn *self)
{
    stop_listening(self);
    g_clear_handle_id(&self->expiry_source, g_source_remove);
    if (self->verifier != NULL)
        memset(self->verifier, 0, strlen(self->verifier));
    g_clear_pointer(&self->verifier, g_free);
    g_clear_pointer(&self->state, g_free);
    g_clear_pointer(&self->redirect_uri, g_free);
    self->exchanging = FALSE;
}

void spn_sign_in_cancel(SpnSignIn *self)
{
    forget_flow(self);
    self->expired = FALSE;
}

gboolean spn_sign_in_is_pending(SpnSignIn *self)
{
    return self->verifier != NULL;
}

static gboolean on_flow_expired(gpointer user_data)
{
    SpnSignIn *self = user_data;
    self->expiry_source = 0;
    g_debug("sign-in flow expired");
    forget_flow(self);
    self->expired = TRUE;
    /* Whoever waits for the browser (spotnow login) must hear that nothing will come. */
    g_signal_emit(self, signals[SIGNAL_FAILED], 0,
                  _("The sign-in expired before it was completed; start it again"));
    return G_SOURCE_REMOVE;
}

/* Checks the redirect against the flow and returns the code to exchange. */
static char *check_redirect(SpnSignIn *self, const char *redirected_url, GError **error)
{
    if (self->verifier == NULL) {
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_INVALID_ARGS,
                            self->expired
                                ? _("The sign-in expired before it was completed; start it again")
                                : _("No sign-in is in progress; start one with “spotnow login”"));
        return NULL;
    }
    g_autofree char *code = NULL, *state = NULL, *error_code = NULL;
    if (!spn_sign_in_parse_redirect(redirected_url, &code, &state, &error_code, error))
        return NULL;
    /* The state ties the redirect to this flow: anything else may be a forged request. */
    if (g_strcmp0(state, self->state) != 0) {
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_INVALID_ARGS,
                            _("The redirect does not belong to this sign-in (state mismatch); "
                              "start it again"));
        return NULL;
    }
    if (error_code != NULL) {
        /* Spotify's page has answered: no code will come for this flow. */
        forget_flow(self);
        g_set_error(error, SPN_ERROR, SPN_ERROR_SIGNED_OUT,
                    g_str_equal(error_code, "access_denied")
                        ? _("Access was declined on Spotify's page (access_denied)")
                        : _("Spotify refused the sign-in (%s)"),
                    error_code);
        return NULL;
    }
    if (code == NULL || *code == '\0') {
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_INVALID_ARGS,
                            _("The redirect carries no authorization code"));
        return NULL;
    }
    return g_steal_pointer(&code);
}

static void on_code_exchanged(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    SpnSignIn *self = g_task_get_source_object(task);
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnHttpReply) reply =
        spn_spotify_api_exchange_code_finish(SPN_SPOTIFY_API(source), result, &error);
    self->exchanging = FALSE;
    if (reply == NULL) {
        g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_UPSTREAM,
                                _("Cannot reach Spotify's accounts service: %s"), error->message);
        return;
    }
    g_autoptr(SpnCredentials) credentials = spn_upstream_parse_token_reply(
        reply->status, g_bytes_get_data(reply->body, NULL), g_bytes_get_size(reply->body), NULL,
        g_get_real_time() / 1000, &error);
    if (credentials == NULL || credentials->refresh_token == NULL) {
        /* A refused code or verifier ends this flow: codes are single-use. */
        forget_flow(self);
        g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_UPSTREAM,
                                _("Spotify refused the sign-in: %s"),
                                error ? error->message : _("no refresh token in the reply"));
        return;
    }
    g_debug("sign-in complete; granted scope: %s", credentials->scope ? credentials->scope : "");
    forget_flow(self);
    g_signal_emit(self, signals[SIGNAL_SIGNED_IN], 0, credentials);
    g_task_return_boolean(task, TRUE);
}

void spn_sign_in_complete(SpnSignIn *self, const char *redirected_url, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, spn_sign_in_complete);
    GError *error = NULL;
    g_autofree char *code = check_redirect(self, redirected_url, &error);
    if (code == NULL) {
        g_task_return_error(task, error);
        return;
    }
    if (self->exchanging) {
        g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_BUSY,
                                _("This sign-in is already being completed"));
        return;
    }
    self->exchanging = TRUE;
    spn_spotify_api_exchange_code(self->api, code, self->redirect_uri, self->verifier,
                                  self->config->client_id, self->config->client_secret, cancellable,
                                  on_code_exchanged, g_steal_pointer(&task));
}

gboolean spn_sign_in_complete_finish(SpnSignIn *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}

/* ---- the loopback callback -------------------------------------------------------------- */

static const char page_template[] =
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>spotnow</title>"
    "<style>body{font-family:sans-serif;max-width:34em;margin:4em auto;color:#222}"
    "h1{font-size:1.4em}</style></head><body><h1>%s</h1><p>%s</p></body></html>";

static void answer_browser(SoupServerMessage *message, guint status, const char *title,
                           const char *text)
{
    g_autofree char *title_html = g_markup_escape_text(title, -1);
    g_autofree char *text_html = g_markup_escape_text(text, -1);
    g_autofree char *page = g_strdup_printf(page_template, title_html, text_html);
    soup_server_message_set_status(message, status, NULL);
    soup_server_message_set_response(message, "text/html; charset=utf-8", SOUP_MEMORY_COPY, page,
                                     strlen(page));
}

static void on_callback_completed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SoupServerMessage) message = user_data;
    SpnSignIn *self = SPN_SIGN_IN(source);
    if (self->callback_message == message)
        self->callback_message = NULL;
    g_autoptr(GError) error = NULL;
    if (spn_sign_in_complete_finish(SPN_SIGN_IN(source), result, &error))
        answer_browser(message, SOUP_STATUS_OK, _("Signed in to Spotify"),
                       _("spotnow can now show what you play. You can close this tab."));
    else {
        answer_browser(message, SOUP_STATUS_BAD_REQUEST, _("Sign-in failed"), error->message);
        g_signal_emit(source, signals[SIGNAL_FAILED], 0, error->message);
    }
    soup_server_message_unpause(message);
}

static void on_callback(SoupServer *server, SoupServerMessage *message, const char *path,
                        GHashTable *query, gpointer user_data)
{
    SpnSignIn *self = user_data;
    if (g_strcmp0(soup_server_message_get_method(message), SOUP_METHOD_GET) != 0) {
        soup_server_message_set_status(message, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
        return;
    }
    const char *raw_query = g_uri_get_query(soup_server_message_get_uri(message));
    g_autofree char *url = g_strconcat("?", raw_query ? raw_query : "", NULL);
    soup_server_message_pause(message);
    self->callback_message = message;
    spn_sign_in_complete(self, url, NULL, on_callback_completed, g_object_ref(message));
}

static gboolean start_listening(SpnSignIn *self, GError **error)
{
    g_autoptr(SoupServer) server = soup_server_new("server-header", "spotnow", NULL);
    soup_server_add_handler(server, "/callback", on_callback, self, NULL);
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) address =
        g_inet_socket_address_new(loopback, (guint16)self->config->redirect_port);
    g_autoptr(GError) local_error = NULL;
    if (!soup_server_listen(server, address, 0, &local_error)) {
        if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
            g_set_error(error, SPN_ERROR, SPN_ERROR_BUSY,
                        _("Port %u on 127.0.0.1 is in use, so Spotify cannot redirect back to "
                          "spotnow; free it or set [spotify] redirect-port (and register the new "
                          "redirect URI with your Spotify app)"),
                        self->config->redirect_port);
        else
            g_set_error(error, SPN_ERROR, SPN_ERROR_BUSY, _("Cannot listen on port %u: %s"),
                        self->config->redirect_port, local_error->message);
        return FALSE;
    }
    self->server = g_steal_pointer(&server);
    return TRUE;
}

char *spn_sign_in_begin(SpnSignIn *self, GError **error)
{
    if (self->config->client_id == NULL) {
        g_set_error(error, SPN_ERROR, SPN_ERROR_NOT_SUPPORTED,
                    _("No Spotify client id is configured. 1. Create an app at "
                      "https://developer.spotify.com/dashboard. 2. Add the redirect URI "
                      "http://127.0.0.1:%u/callback to it. 3. Put its client id in %s as "
                      "[spotify] client-id=…, then restart spotnowd and sign in again."),
                    self->config->redirect_port,
                    self->config->path ? self->config->path : "config.ini");
        return NULL;
    }
    /* A second BeginSignIn replaces the first: its port, verifier and state go. */
    spn_sign_in_cancel(self);
    if (!start_listening(self, error))
        return NULL;
    self->verifier = spn_pkce_new_verifier();
    self->state = spn_pkce_new_verifier();
    self->redirect_uri =
        g_strdup_printf("http://127.0.0.1:%u/callback", self->config->redirect_port);
    self->expiry_source =
        g_timeout_add((guint)CLAMP(spn_seconds_to_ms(self->config->sign_in_timeout_s), 1, G_MAXINT),
                      on_flow_expired, self);
    g_autofree char *challenge = spn_pkce_challenge(self->verifier);
    g_debug("sign-in flow started; waiting on %s", self->redirect_uri);
    return spn_sign_in_authorize_url(self->config->accounts_base_url, self->config->client_id,
                                     self->redirect_uri, challenge, self->state);
}

SpnSignIn *spn_sign_in_new(const SpnConfig *config, SpnSpotifyApi *api)
{
    SpnSignIn *self = g_object_new(SPN_TYPE_SIGN_IN, NULL);
    self->config = config;
    self->api = g_object_ref(api);
    return self;
}

static void spn_sign_in_finalize(GObject *object)
{
    SpnSignIn *self = SPN_SIGN_IN(object);
    forget_flow(self);
    g_clear_object(&self->api);
    G_OBJECT_CLASS(spn_sign_in_parent_class)->finalize(object);
}

static void spn_sign_in_class_init(SpnSignInClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = spn_sign_in_finalize;
    /* (SpnCredentials *credentials): the flow finished; store them. */
    signals[SIGNAL_SIGNED_IN] =
        g_signal_new("signed-in", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 1, G_TYPE_POINTER);
    /* (const char *message): a sign-in failed at the browser's callback (a pasted URL's
     * failure goes back to its D-Bus caller instead). */
    signals[SIGNAL_FAILED] = g_signal_new("failed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                          NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void spn_sign_in_init(SpnSignIn *self)
{
}
