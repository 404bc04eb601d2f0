/* accounts.c — the accounts service: GET /authorize (consent is given at once, or refused when
 * scripted) and POST /api/token (authorization_code and refresh_token grants). */
#define G_LOG_DOMAIN "spotnow-fake-accounts"

#include "oauth.h"
#include "server.h"

#include <json-glib/json-glib.h>
#include <string.h>

typedef enum {
    TOKENS_REFRESHED, /* key order of token-refresh-pkce-rotated.json */
    TOKENS_SIGNED_IN, /* key order of token-authorization-code.json */
} TokenReply;

/* How the client authenticated: HTTP Basic id:secret (confidential) or a client_id field. */
typedef struct {
    char *id;
    char *secret;
    gboolean basic;
} ClientAuth;

static void client_auth_clear(ClientAuth *auth)
{
    g_free(auth->id);
    g_free(auth->secret);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ClientAuth, client_auth_clear)

void fs_auth_code_free(FsAuthCode *code)
{
    if (code == NULL)
        return;
    g_free(code->client_id);
    g_free(code->redirect_uri);
    g_free(code->challenge);
    g_free(code->scope);
    g_free(code);
}

static const char *query_get(GHashTable *query, const char *key)
{
    return query != NULL ? g_hash_table_lookup(query, key) : NULL;
}

static void send_text(SoupServerMessage *msg, guint status, const char *text)
{
    g_autoptr(GBytes) body = g_bytes_new(text, strlen(text));

    fs_send_bytes(msg, status, "text/plain; charset=utf-8", body);
}

static void send_redirect(SoupServerMessage *msg, const char *redirect_uri,
                          const char *const *pairs)
{
    g_autofree char *location = fs_oauth_redirect_location(redirect_uri, pairs);

    soup_server_message_set_redirect(msg, SOUP_STATUS_FOUND, location);
}

static void drop_expired_codes(FsServer *server)
{
    gint64 now = g_get_monotonic_time();
    GHashTableIter iter;
    FsAuthCode *code;

    g_hash_table_iter_init(&iter, server->codes);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&code))
        if (now >= code->expires_us)
            g_hash_table_iter_remove(&iter);
}

/* What Spotify checks before it trusts the redirect URI: a bad client or redirect is shown on the
 * authorize page as text; once both are good, every other answer goes back by redirect
 * (RFC 6749 4.1.2.1). */
static void authorize_handler(SoupServer *soup, SoupServerMessage *msg, const char *path,
                              GHashTable *query, gpointer user_data)
{
    FsServer *server = user_data;
    const char *client_id = query_get(query, "client_id");
    const char *redirect_uri = query_get(query, "redirect_uri");
    const char *response_type = query_get(query, "response_type");
    const char *method = query_get(query, "code_challenge_method");
    const char *challenge = query_get(query, "code_challenge");
    const char *state = query_get(query, "state");
    const char *scope = query_get(query, "scope");
    const char *problem = NULL;
    const char *error = NULL;
    FsAuthCode *code;
    char *code_text;

    if (!g_str_equal(path, "/authorize")) {
        fs_send_api_error(server, msg, 404);
        return;
    }
    if (soup_server_message_get_method(msg) != SOUP_METHOD_GET) {
        send_text(msg, 405, "Method not allowed");
        return;
    }
    if (client_id == NULL || client_id[0] == '\0' ||
        (server->client_id != NULL && !g_str_equal(client_id, server->client_id))) {
        send_text(msg, 400, "INVALID_CLIENT: Invalid client");
        return;
    }
    if ((problem = fs_oauth_redirect_uri_problem(redirect_uri)) != NULL) {
        g_autofree char *text = g_strdup_printf("INVALID_CLIENT: %s", problem);
        send_text(msg, 400, text);
        return;
    }
    if (response_type == NULL || !g_str_equal(response_type, "code"))
        error = "unsupported_response_type";
    else if ((challenge != NULL || method != NULL) &&
             (method == NULL || !g_str_equal(method, "S256") ||
              !fs_oauth_challenge_valid(challenge)))
        error = "invalid_request";
    else if (server->deny_authorize)
        error = "access_denied"; /* the user pressed "Cancel" */
    if (error != NULL) {
        const char *pairs[] = {"error", error, "state", state, NULL};
        send_redirect(msg, redirect_uri, pairs);
        return;
    }

    drop_expired_codes(server);
    code = g_new0(FsAuthCode, 1);
    code->client_id = g_strdup(client_id);
    code->redirect_uri = g_strdup(redirect_uri);
    code->challenge = g_strdup(challenge);
    code->scope = g_strdup(scope != NULL ? scope : "");
    code->expires_us = g_get_monotonic_time() + server->code_lifetime_s * G_USEC_PER_SEC;
    code_text = fs_oauth_new_code();
    g_hash_table_insert(server->codes, code_text, code);
    {
        const char *pairs[] = {"code", code_text, "state", state, NULL};
        send_redirect(msg, redirect_uri, pairs);
    }
}

static void send_token_error(FsServer *server, SoupServerMessage *msg, const char *error,
                             const char *description)
{
    g_autoptr(GBytes) body = fs_reply_token_error_body(server->templates, error, description);

    fs_send_bytes(msg, 400, "application/json", body);
}

static void send_token_fixture(FsServer *server, SoupServerMessage *msg, const char *name)
{
    g_autoptr(GBytes) body = fs_templates_raw(server->templates, name);

    fs_send_bytes(msg, 400, "application/json", body);
}

static void request_client_auth(SoupServerMessage *msg, GHashTable *form, ClientAuth *auth)
{
    SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
    const char *authorization = soup_message_headers_get_one(headers, "Authorization");
    g_autofree guchar *decoded = NULL;
    gsize length = 0;
    const char *colon;

    if (authorization == NULL || !g_str_has_prefix(authorization, "Basic ")) {
        auth->id = g_strdup(g_hash_table_lookup(form, "client_id"));
        return;
    }
    auth->basic = TRUE;
    decoded = g_base64_decode(authorization + strlen("Basic "), &length);
    colon = memchr(decoded, ':', length);
    if (colon == NULL)
        return;
    auth->id = g_strndup((const char *)decoded, (gsize)(colon - (const char *)decoded));
    auth->secret = g_strndup(colon + 1, length - (gsize)(colon + 1 - (const char *)decoded));
}

static GHashTable *request_form(SoupServerMessage *msg)
{
    SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
    g_autofree char *text = NULL;

    /* Like Spotify: a body that is not a form simply has no grant_type. */
    if (!soup_message_headers_header_contains(headers, "Content-Type",
                                              "application/x-www-form-urlencoded"))
        return g_hash_table_new(g_str_hash, g_str_equal);
    text = fs_request_text(msg);
    return soup_form_decode(text);
}

static void add_member(JsonBuilder *builder, const char *name, const char *value)
{
    json_builder_set_member_name(builder, name);
    json_builder_add_string_value(builder, value);
}

static void add_expires_in(JsonBuilder *builder, FsServer *server)
{
    json_builder_set_member_name(builder, "expires_in");
    json_builder_add_int_value(builder, server->expires_in_s);
}

static void send_tokens(FsServer *server, SoupServerMessage *msg, TokenReply kind)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *json = NULL;

    json_builder_begin_object(builder);
    add_member(builder, "access_token", server->access_token);
    add_member(builder, "token_type", "Bearer");
    if (kind == TOKENS_SIGNED_IN) {
        add_member(builder, "scope", server->scope);
        add_expires_in(builder, server);
        add_member(builder, "refresh_token", server->refresh_token);
    } else {
        add_expires_in(builder, server);
        if (server->rotate)
            add_member(builder, "refresh_token", server->refresh_token);
        add_member(builder, "scope", server->scope);
    }
    json_builder_end_object(builder);
    root = json_builder_get_root(builder);
    json = json_to_string(root, TRUE);
    fs_send_json(msg, 200, json);
}

static void answer_refresh(FsServer *server, SoupServerMessage *msg, GHashTable *form)
{
    const char *refresh_token = g_hash_table_lookup(form, "refresh_token");

    if (server->revoked || (refresh_token != NULL &&
                            g_hash_table_contains(server->retired_refresh_tokens, refresh_token))) {
        /* Spotify revokes a rotated-away refresh token that is sent again. */
        send_token_fixture(server, msg, "token-invalid-grant-revoked.json");
    } else if (refresh_token == NULL || !g_str_equal(refresh_token, server->refresh_token)) {
        send_token_error(server, msg, "invalid_grant", NULL);
    } else {
        fs_server_issue_tokens(server);
        send_tokens(server, msg, TOKENS_REFRESHED);
    }
}

/* A code is good for one exchange, right or wrong: it is used up as soon as it is presented. */
static FsAuthCode *take_code(FsServer *server, const char *code_text)
{
    gpointer key = NULL, value = NULL;
    FsAuthCode *code;

    if (code_text == NULL || !g_hash_table_steal_extended(server->codes, code_text, &key, &value))
        return NULL;
    g_free(key);
    code = value;
    if (g_get_monotonic_time() >= code->expires_us) {
        fs_auth_code_free(code);
        return NULL;
    }
    return code;
}

static void answer_code(FsServer *server, SoupServerMessage *msg, GHashTable *form,
                        const ClientAuth *auth)
{
    g_autoptr(FsAuthCode) code = take_code(server, g_hash_table_lookup(form, "code"));
    const char *redirect_uri = g_hash_table_lookup(form, "redirect_uri");
    const char *verifier = g_hash_table_lookup(form, "code_verifier");
    g_autofree char *challenge = NULL;

    if (code == NULL || !g_str_equal(code->client_id, auth->id)) {
        send_token_fixture(server, msg, "token-invalid-grant-invalid-code.json");
        return;
    }
    if (redirect_uri == NULL || !g_str_equal(redirect_uri, code->redirect_uri)) {
        send_token_error(server, msg, "invalid_grant", "Invalid redirect URI");
        return;
    }
    /* A public client proves itself with the verifier; a confidential one with its secret, and
     * with the verifier too when it started with a challenge. */
    if (code->challenge != NULL || !auth->basic) {
        if (verifier == NULL) {
            send_token_error(server, msg, "invalid_request", "code_verifier required");
            return;
        }
        if (!fs_oauth_verifier_valid(verifier)) {
            send_token_error(server, msg, "invalid_request", "code_verifier invalid");
            return;
        }
        challenge = fs_oauth_s256_challenge(verifier);
        if (code->challenge == NULL || !g_str_equal(challenge, code->challenge)) {
            send_token_fixture(server, msg, "token-invalid-grant-code-verifier.json");
            return;
        }
    }
    fs_server_sign_in(server, server->grant_scope != NULL ? server->grant_scope : code->scope);
    send_tokens(server, msg, TOKENS_SIGNED_IN);
}

static void answer_token(FsServer *server, SoupServerMessage *msg)
{
    g_autoptr(GHashTable) form = request_form(msg);
    const char *grant_type = g_hash_table_lookup(form, "grant_type");
    g_auto(ClientAuth) auth = {0};

    request_client_auth(msg, form, &auth);
    if (grant_type == NULL) {
        send_token_error(server, msg, "unsupported_grant_type", "grant_type parameter is missing");
    } else if (!g_str_equal(grant_type, "refresh_token") &&
               !g_str_equal(grant_type, "authorization_code")) {
        send_token_error(server, msg, "unsupported_grant_type",
                         "grant_type must be client_credentials, authorization_code or "
                         "refresh_token");
    } else if (auth.id == NULL ||
               (server->client_id != NULL && !g_str_equal(auth.id, server->client_id))) {
        send_token_error(server, msg, "invalid_client", NULL);
    } else if (auth.basic && server->client_secret != NULL &&
               g_strcmp0(auth.secret, server->client_secret) != 0) {
        send_token_error(server, msg, "invalid_client", "Invalid client secret");
    } else if (g_str_equal(grant_type, "refresh_token")) {
        answer_refresh(server, msg, form);
    } else {
        answer_code(server, msg, form, &auth);
    }
}

static gboolean token_answer(FsServer *server, SoupServerMessage *msg, gpointer data)
{
    FsFault *fault = data;

    if (fault != NULL && fault->kind != FS_FAULT_SLOW)
        return fs_fault_answer(server, msg, fault, FS_TARGET_TOKEN);
    answer_token(server, msg);
    return TRUE;
}

static void token_handler(SoupServer *soup, SoupServerMessage *msg, const char *path,
                          GHashTable *query, gpointer user_data)
{
    FsServer *server = user_data;
    FsFault *fault;

    if (!g_str_equal(path, "/api/token")) {
        fs_send_api_error(server, msg, 404);
        return;
    }
    if (soup_server_message_get_method(msg) != SOUP_METHOD_POST) {
        g_autoptr(GBytes) body =
            fs_reply_token_error_body(server->templates, "invalid_request", "Use POST");
        fs_send_bytes(msg, 405, "application/json", body);
        return;
    }
    fault = fs_server_take_fault(server, FS_TARGET_TOKEN);
    fs_server_defer(server, msg,
                    fault != NULL && fault->kind == FS_FAULT_SLOW ? fault->delay_ms : 0,
                    token_answer, fault, (GDestroyNotify)fs_fault_free);
}

void fs_accounts_register(FsServer *server)
{
    soup_server_add_handler(server->soup, "/authorize", authorize_handler, server, NULL);
    soup_server_add_handler(server->soup, "/api/token", token_handler, server, NULL);
}
