/* signin.c — the flows and the code exchange. The loopback server is signin-server.c; the pure
 * pieces (PKCE, URLs, pasted redirects) are signin-url.c. */
#define G_LOG_DOMAIN "spotnow-signin"

#include "signin.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <string.h>

#include "scheduler.h"
#include "signin-server.h"
#include "signin-start.h"
#include "spn-error.h"
#include "spn-json.h"
#include "upstream.h"

/* ---- the flow --------------------------------------------------------------------------- */

typedef struct {
    char *verifier;
    char *state;
    char *redirect_uri;
    char *authorize_url;
    char *start_token;
    char *owner; /* unique bus name of whoever began it, or NULL */
    gboolean start_used;
    gboolean exchanging;
    GCancellable *cancellable; /* cancelled when the flow ends: its exchange must not land */
} Flow;

static void wipe(char *secret)
{
    if (secret != NULL)
        memset(secret, 0, strlen(secret));
    g_free(secret);
}

static void flow_clear(gpointer data)
{
    Flow *flow = data;
    wipe(flow->verifier);
    wipe(flow->state);
    wipe(flow->authorize_url);
    wipe(flow->start_token);
    g_free(flow->redirect_uri);
    g_free(flow->owner);
    g_clear_object(&flow->cancellable);
}

static void flow_unref(Flow *flow)
{
    g_rc_box_release_full(flow, flow_clear);
}

struct _SpnSignIn {
    GObject parent_instance;
    const SpnConfig *config;
    SpnSpotifyApi *api;

    Flow *flow; /* the flow in progress, or NULL */
    gboolean expired;
    guint expiry_source;
    SpnLoopbackServer *server;
    char *listen_error; /* why the flow in progress has no listener */
};

enum { SIGNAL_SIGNED_IN, SIGNAL_FAILED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_TYPE(SpnSignIn, spn_sign_in, G_TYPE_OBJECT)

/* Everything the flow held goes: the port at once, the exchange in flight by its cancellable. */
static void end_flow(SpnSignIn *self)
{
    g_clear_handle_id(&self->expiry_source, g_source_remove);
    if (self->server != NULL)
        spn_loopback_server_stop(self->server);
    g_clear_pointer(&self->listen_error, g_free);
    if (self->flow == NULL)
        return;
    g_cancellable_cancel(self->flow->cancellable);
    g_clear_pointer(&self->flow, flow_unref);
}

gboolean spn_sign_in_cancel(SpnSignIn *self)
{
    gboolean had_flow = self->flow != NULL;
    end_flow(self);
    self->expired = FALSE;
    if (had_flow)
        g_debug("sign-in flow cancelled");
    return had_flow;
}

gboolean spn_sign_in_cancel_owned_by(SpnSignIn *self, const char *owner)
{
    if (self->flow == NULL || owner == NULL || g_strcmp0(self->flow->owner, owner) != 0)
        return FALSE;
    return spn_sign_in_cancel(self);
}

gboolean spn_sign_in_is_pending(SpnSignIn *self)
{
    return self->flow != NULL;
}

const char *spn_sign_in_get_listen_error(SpnSignIn *self)
{
    return self->flow != NULL ? self->listen_error : NULL;
}

/* The flow ended by itself, with nobody on the bus to answer: "failed" tells the engine, whose
 * lastError tells `spotnow login` and `spotnow status`. */
static void fail_flow(SpnSignIn *self, const char *message)
{
    end_flow(self);
    g_signal_emit(self, signals[SIGNAL_FAILED], 0, message);
}

static gboolean on_flow_expired(gpointer user_data)
{
    SpnSignIn *self = user_data;
    self->expiry_source = 0;
    g_debug("sign-in flow expired");
    fail_flow(self, _("The sign-in expired before it was completed; start it again"));
    self->expired = TRUE;
    return G_SOURCE_REMOVE;
}

/* Checks the redirect against the flow and returns the code to exchange. */
static char *check_redirect(SpnSignIn *self, const char *redirected_url, GError **error)
{
    if (self->flow == NULL) {
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
    if (g_strcmp0(state, self->flow->state) != 0) {
        g_autofree char *why = spn_sign_in_describe_state_mismatch(state, self->flow->state);
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_INVALID_ARGS, why);
        return NULL;
    }
    if (error_code != NULL) {
        /* Spotify's page has answered: no code will come for this flow. */
        end_flow(self);
        if (g_str_equal(error_code, "access_denied"))
            g_set_error_literal(error, SPN_ERROR, SPN_ERROR_SIGNED_OUT,
                                _("Access was declined on Spotify's page (access_denied)"));
        else
            g_set_error(error, SPN_ERROR, SPN_ERROR_SIGNED_OUT,
                        _("Spotify refused the sign-in (%s)"), error_code);
        return NULL;
    }
    if (code == NULL || *code == '\0') {
        g_set_error_literal(error, SPN_ERROR, SPN_ERROR_INVALID_ARGS,
                            _("The redirect carries no authorization code: copy the whole "
                              "address from the browser's address bar"));
        return NULL;
    }
    return g_steal_pointer(&code);
}

typedef struct {
    Flow *flow;
    gboolean from_browser; /* nobody can paste again: a refused code ends the flow */
    gboolean superseded;   /* the flow had ended before Spotify answered */
} Exchange;

static void exchange_free(Exchange *exchange)
{
    flow_unref(exchange->flow);
    g_free(exchange);
}

static void on_code_exchanged(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    SpnSignIn *self = g_task_get_source_object(task);
    Exchange *exchange = g_task_get_task_data(task);
    exchange->flow->exchanging = FALSE;
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnHttpReply) reply =
        spn_spotify_api_exchange_code_finish(SPN_SPOTIFY_API(source), result, &error);
    /* Replaced, cancelled or expired meanwhile: whatever Spotify said, this flow is over. */
    if (exchange->flow != self->flow) {
        exchange->superseded = TRUE;
        g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_INVALID_ARGS, "%s",
                                _("This sign-in was cancelled or replaced by a newer one before "
                                  "Spotify answered"));
        return;
    }
    if (reply == NULL) {
        g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_UPSTREAM,
                                _("Cannot reach Spotify's accounts service: %s"), error->message);
        return;
    }
    g_autoptr(SpnCredentials) credentials = spn_upstream_parse_token_reply(
        reply->status, g_bytes_get_data(reply->body, NULL), g_bytes_get_size(reply->body), NULL,
        g_get_real_time() / 1000, &error);
    if (credentials == NULL || credentials->refresh_token == NULL) {
        if (exchange->from_browser)
            end_flow(self);
        /* invalid_grant reads "revoked" for a refresh token; for a code it means this code is
         * wrong (cut short), used or too old. */
        if (g_error_matches(error, SPN_ERROR, SPN_ERROR_REVOKED)) {
            g_autoptr(JsonObject) root = spn_upstream_parse_json_object(
                g_bytes_get_data(reply->body, NULL), g_bytes_get_size(reply->body), NULL);
            g_autofree char *raw = spn_json_dup_string(root, "error_description");
            g_autofree char *description = spn_sign_in_clean_text(raw ? raw : "invalid_grant");
            g_task_return_new_error(
                task, SPN_ERROR, SPN_ERROR_UPSTREAM,
                _("Spotify refused the sign-in: it did not accept the code (%s). Paste the whole "
                  "address the browser shows, or start again: a code works once, for a few "
                  "minutes"),
                description);
        } else
            g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_UPSTREAM,
                                    _("Spotify refused the sign-in: %s"),
                                    error ? error->message : _("no refresh token in the reply"));
        return;
    }
    g_debug("sign-in complete; granted scope: %s", credentials->scope ? credentials->scope : "");
    end_flow(self);
    g_signal_emit(self, signals[SIGNAL_SIGNED_IN], 0, credentials);
    g_task_return_boolean(task, TRUE);
}

static void complete(SpnSignIn *self, const char *redirected_url, gboolean from_browser,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
    g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
    g_task_set_source_tag(task, spn_sign_in_complete);
    GError *error = NULL;
    g_autofree char *code = check_redirect(self, redirected_url, &error);
    if (code == NULL) {
        g_task_return_error(task, error);
        return;
    }
    Flow *flow = self->flow;
    if (flow->exchanging) {
        /* A second redirect for the same flow (a stray or a forged one): the first one's
         * browser still gets its answer. */
        g_task_return_new_error(task, SPN_ERROR, SPN_ERROR_BUSY, "%s",
                                _("This sign-in is already being completed"));
        return;
    }
    flow->exchanging = TRUE;
    Exchange *exchange = g_new0(Exchange, 1);
    exchange->flow = g_rc_box_acquire(flow);
    exchange->from_browser = from_browser;
    g_task_set_task_data(task, exchange, (GDestroyNotify)exchange_free);
    spn_spotify_api_exchange_code(self->api, code, flow->redirect_uri, flow->verifier,
                                  self->config->client_id, self->config->client_secret,
                                  flow->cancellable, on_code_exchanged, g_steal_pointer(&task));
}

void spn_sign_in_complete(SpnSignIn *self, const char *redirected_url, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
    complete(self, redirected_url, FALSE, cancellable, callback, user_data);
}

gboolean spn_sign_in_complete_finish(SpnSignIn *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
    return g_task_propagate_boolean(G_TASK(result), error);
}

/* ---- what the browser sees -------------------------------------------------------------- */

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
    soup_message_headers_replace(soup_server_message_get_response_headers(message), "Cache-Control",
                                 "no-store");
    soup_server_message_set_response(message, "text/html; charset=utf-8", SOUP_MEMORY_COPY, page,
                                     strlen(page));
}

static void on_callback_completed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SoupServerMessage) message = user_data;
    g_autoptr(GError) error = NULL;
    Exchange *exchange = g_task_get_task_data(G_TASK(result));
    if (spn_sign_in_complete_finish(SPN_SIGN_IN(source), result, &error)) {
        answer_browser(message, SOUP_STATUS_OK, _("Signed in to Spotify"),
                       _("spotnow can now show what you play. You can close this tab."));
    } else {
        answer_browser(message, SOUP_STATUS_BAD_REQUEST, _("Sign-in failed"), error->message);
        /* A stray second redirect is no news: the flow goes on with the first; nor is the end
         * of a flow that was already over (a newer one may be waiting). */
        if (!g_error_matches(error, SPN_ERROR, SPN_ERROR_BUSY) &&
            !(exchange != NULL && exchange->superseded))
            g_signal_emit(source, signals[SIGNAL_FAILED], 0, error->message);
    }
    soup_server_message_unpause(message);
}

static void on_callback(SpnSignIn *self, SoupServerMessage *message)
{
    const char *raw_query = g_uri_get_query(soup_server_message_get_uri(message));
    g_autofree char *url = g_strconcat("?", raw_query ? raw_query : "", NULL);
    soup_server_message_pause(message);
    complete(self, url, TRUE, NULL, on_callback_completed, g_object_ref(message));
}

/* /start/<token>: once, a 302 to Spotify. A second visit means someone else may have the
 * address: the flow ends rather than let them race the person to it. */
static void on_start(SpnSignIn *self, SoupServerMessage *message, const char *token)
{
    Flow *flow = self->flow;
    if (flow == NULL || !g_str_equal(token, flow->start_token)) {
        answer_browser(message, SOUP_STATUS_NOT_FOUND, _("Sign-in failed"),
                       _("This sign-in address is not valid (any more); start the sign-in again "
                         "with “spotnow login”."));
        return;
    }
    if (flow->start_used) {
        const char *why =
            _("The sign-in address was opened twice, so another program may know "
              "it; that sign-in was stopped: start it again");
        answer_browser(message, SOUP_STATUS_CONFLICT, _("Sign-in failed"), why);
        fail_flow(self, why);
        return;
    }
    flow->start_used = TRUE;
    SoupMessageHeaders *headers = soup_server_message_get_response_headers(message);
    soup_message_headers_replace(headers, "Referrer-Policy", "no-referrer");
    soup_message_headers_replace(headers, "Cache-Control", "no-store");
    soup_server_message_set_redirect(message, SOUP_STATUS_FOUND, flow->authorize_url);
}

static void on_request(SoupServerMessage *message, const char *path, gpointer user_data)
{
    SpnSignIn *self = user_data;
    if (g_str_equal(path, "/callback"))
        on_callback(self, message);
    else if (g_str_has_prefix(path, "/start/"))
        on_start(self, message, path + strlen("/start/"));
    else
        soup_server_message_set_status(message, SOUP_STATUS_NOT_FOUND, NULL);
}

/* ---- beginning -------------------------------------------------------------------------- */

static char *listen_error_text(guint port, const GError *error)
{
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        return g_strdup_printf(
            _("Port %u on 127.0.0.1 is in use by another program, so the browser cannot come "
              "back to spotnow: paste the address it ends on (spotnow login --paste), or free the "
              "port or set [spotify] redirect-port (and register the new redirect URI with your "
              "Spotify app)"),
            port);
    return g_strdup_printf(_("Cannot listen on 127.0.0.1 port %u (%s), so the browser cannot come "
                             "back to spotnow: paste the address it ends on (spotnow login "
                             "--paste), or set another [spotify] redirect-port"),
                           port, error->message);
}

char *spn_sign_in_begin(SpnSignIn *self, const char *owner, GError **error)
{
    if (self->config->client_id == NULL) {
        g_set_error(error, SPN_ERROR, SPN_ERROR_NOT_SUPPORTED,
                    _("No Spotify client id is configured. To set one up:\n"
                      "  1. Create an app at https://developer.spotify.com/dashboard (any name, "
                      "“Web API”).\n"
                      "  2. In its settings, add the redirect URI http://127.0.0.1:%u/callback\n"
                      "  3. Put its client id in %s:\n"
                      "       [spotify]\n"
                      "       client-id=…\n"
                      "  4. Restart spotnowd: systemctl --user restart spotnowd (system-wide: "
                      "sudo systemctl restart spotnowd), or stop it and start it again.\n"
                      "  5. Run “spotnow login” again."),
                    self->config->redirect_port,
                    self->config->path ? self->config->path : "config.ini");
        return NULL;
    }
    /* A second BeginSignIn replaces the first: its port, verifier, state and exchange go. */
    spn_sign_in_cancel(self);
    Flow *flow = g_rc_box_new0(Flow);
    flow->verifier = spn_pkce_new_verifier();
    flow->state = spn_pkce_new_verifier();
    flow->start_token = spn_sign_in_start_token(flow->state);
    flow->redirect_uri =
        g_strdup_printf("http://127.0.0.1:%u/callback", self->config->redirect_port);
    flow->owner = g_strdup(owner);
    flow->cancellable = g_cancellable_new();
    g_autofree char *challenge = spn_pkce_challenge(flow->verifier);
    flow->authorize_url =
        spn_sign_in_authorize_url(self->config->accounts_base_url, self->config->client_id,
                                  flow->redirect_uri, challenge, flow->state);
    self->flow = flow;

    g_autoptr(GError) listen_error = NULL;
    if (!spn_loopback_server_listen(self->server, (guint16)self->config->redirect_port,
                                    &listen_error)) {
        /* A pasted redirect needs no listener: the flow goes on without one. */
        self->listen_error = listen_error_text(self->config->redirect_port, listen_error);
        g_message("%s", self->listen_error);
    }
    self->expiry_source =
        g_timeout_add((guint)CLAMP(spn_seconds_to_ms(self->config->sign_in_timeout_s), 1, G_MAXINT),
                      on_flow_expired, self);
    g_debug("sign-in flow started; %s %s", self->listen_error ? "no listener for" : "waiting on",
            flow->redirect_uri);
    return g_strdup(flow->authorize_url);
}

SpnSignIn *spn_sign_in_new(const SpnConfig *config, SpnSpotifyApi *api)
{
    SpnSignIn *self = g_object_new(SPN_TYPE_SIGN_IN, NULL);
    self->config = config;
    self->api = g_object_ref(api);
    self->server = spn_loopback_server_new(on_request, self);
    return self;
}

static void spn_sign_in_finalize(GObject *object)
{
    SpnSignIn *self = SPN_SIGN_IN(object);
    end_flow(self);
    g_clear_pointer(&self->server, spn_loopback_server_free);
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
    /* (const char *message): a sign-in failed or ended with nobody on the bus to answer (the
     * browser's callback, expiry); a pasted URL's failure goes back to its D-Bus caller. */
    signals[SIGNAL_FAILED] = g_signal_new("failed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                          NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void spn_sign_in_init(SpnSignIn *self)
{
}
