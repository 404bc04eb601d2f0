/* api.c — the endpoints a Spotify client talks to: the player API, the token endpoint and the
 * artwork images. */
#define G_LOG_DOMAIN "spotnow-fake-api"

#include "png.h"
#include "server.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define DEFAULT_IMAGE_SIZE 64
#define MAX_IMAGE_SIZE 256

typedef struct {
    FsEndpoint endpoint;
    gboolean authorized;
    FsFault *fault; /* queued through /control/fault; NULL = the timeline answers */
} ApiRequest;

static void api_request_free(gpointer data)
{
    ApiRequest *request = data;

    fs_fault_free(request->fault);
    g_free(request);
}

static void send_api_error(FsServer *server, SoupServerMessage *msg, guint status)
{
    const char *content_type = NULL;
    g_autoptr(GBytes) body = fs_reply_error_body(server->templates, status, &content_type);

    fs_send_bytes(msg, status, content_type, body);
}

static gboolean answer_fault(FsServer *server, SoupServerMessage *msg, const FsFault *fault)
{
    g_autofree char *label = fs_fault_label(fault);

    fs_server_note_served(server, label);
    return fs_fault_answer(server, msg, fault, FS_TARGET_API);
}

/* The timeline is read when the reply goes out, not when the request came in, so a delayed
 * reply carries the state of the moment it is sent, as Spotify's would. */
static gboolean answer_timeline(FsServer *server, SoupServerMessage *msg, FsEndpoint endpoint)
{
    gint64 elapsed = 0;
    guint index = fs_server_locate(server, &elapsed);
    const FsStep *step = fs_timeline_get_step(server->timeline, index);
    FsReplyContext context = {endpoint, server->base_url, g_get_real_time() / 1000};
    g_autoptr(FsFault) fault = NULL;
    g_autofree char *json = NULL;

    if (step->kind != FS_STEP_SLOW && (fault = fs_fault_new_from_step(step)) != NULL)
        return answer_fault(server, msg, fault);
    if (fs_timeline_resolve(server->timeline, index, elapsed, &index, &elapsed))
        json = fs_reply_build(server->templates, server->timeline, index, elapsed, &context);
    if (json == NULL) {
        fs_server_note_served(server, "204");
        fs_send_bytes(msg, 204, NULL, NULL);
        return TRUE;
    }
    fs_server_note_served(server, fs_timeline_label(server->timeline, index));
    fs_send_json(msg, 200, json);
    return TRUE;
}

static gboolean api_answer(FsServer *server, SoupServerMessage *msg, gpointer data)
{
    ApiRequest *request = data;

    if (!request->authorized) {
        fs_server_note_served(server, "error 401");
        send_api_error(server, msg, 401);
        return TRUE;
    }
    if (request->fault != NULL && request->fault->kind != FS_FAULT_SLOW)
        return answer_fault(server, msg, request->fault);
    return answer_timeline(server, msg, request->endpoint);
}

static void api_handler(SoupServer *soup, SoupServerMessage *msg, const char *path,
                        GHashTable *query, gpointer user_data)
{
    FsServer *server = user_data;
    SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
    ApiRequest *request;
    gint64 delay_ms = server->api_delay_ms;

    if (!g_str_equal(path, "/v1/me/player") &&
        !g_str_equal(path, "/v1/me/player/currently-playing")) {
        send_api_error(server, msg, 404);
        return;
    }
    if (soup_server_message_get_method(msg) != SOUP_METHOD_GET) {
        send_api_error(server, msg, 405);
        return;
    }
    request = g_new0(ApiRequest, 1);
    request->endpoint =
        g_str_equal(path, "/v1/me/player") ? FS_ENDPOINT_PLAYER : FS_ENDPOINT_CURRENTLY_PLAYING;
    request->authorized =
        fs_server_access_ok(server, soup_message_headers_get_one(headers, "Authorization"));
    if (request->authorized)
        request->fault = fs_server_take_fault(server, FS_TARGET_API);
    if (request->fault != NULL && request->fault->kind == FS_FAULT_SLOW) {
        delay_ms += request->fault->delay_ms;
    } else if (request->fault == NULL && request->authorized) {
        gint64 elapsed = 0;
        const FsStep *step =
            fs_timeline_get_step(server->timeline, fs_server_locate(server, &elapsed));

        if (step->kind == FS_STEP_SLOW)
            delay_ms += step->delay_ms;
    }
    /* Always deferred, even by 0 ms, so every reply (stolen connections included) is made
     * from a paused message outside libsoup's handler call. */
    fs_server_defer(server, msg, delay_ms, api_answer, request, api_request_free);
}

static void send_token_error(FsServer *server, SoupServerMessage *msg, const char *error,
                             const char *description)
{
    g_autoptr(GBytes) body = fs_reply_token_error_body(server->templates, error, description);

    fs_send_bytes(msg, 400, "application/json", body);
}

/* The client id from HTTP Basic auth (confidential clients) or the body (PKCE clients). */
static char *request_client_id(SoupServerMessage *msg, GHashTable *form)
{
    SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
    const char *authorization = soup_message_headers_get_one(headers, "Authorization");
    g_autofree guchar *decoded = NULL;
    gsize length = 0;
    const char *colon;

    if (authorization == NULL || !g_str_has_prefix(authorization, "Basic "))
        return g_strdup(g_hash_table_lookup(form, "client_id"));
    decoded = g_base64_decode(authorization + strlen("Basic "), &length);
    colon = memchr(decoded, ':', length);
    if (colon == NULL)
        return NULL;
    return g_strndup((const char *)decoded, (gsize)(colon - (const char *)decoded));
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

static void send_tokens(FsServer *server, SoupServerMessage *msg)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *json = NULL;

    /* Key order of token-refresh-pkce-rotated.json. */
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "access_token");
    json_builder_add_string_value(builder, server->access_token);
    json_builder_set_member_name(builder, "token_type");
    json_builder_add_string_value(builder, "Bearer");
    json_builder_set_member_name(builder, "expires_in");
    json_builder_add_int_value(builder, server->expires_in_s);
    if (server->rotate) {
        json_builder_set_member_name(builder, "refresh_token");
        json_builder_add_string_value(builder, server->refresh_token);
    }
    json_builder_set_member_name(builder, "scope");
    json_builder_add_string_value(builder, server->scope);
    json_builder_end_object(builder);
    root = json_builder_get_root(builder);
    json = json_to_string(root, TRUE);
    fs_send_json(msg, 200, json);
}

static void answer_refresh(FsServer *server, SoupServerMessage *msg)
{
    g_autoptr(GHashTable) form = request_form(msg);
    const char *grant_type = g_hash_table_lookup(form, "grant_type");
    const char *refresh_token = g_hash_table_lookup(form, "refresh_token");
    g_autofree char *client_id = request_client_id(msg, form);
    g_autoptr(GBytes) body = NULL;

    if (grant_type == NULL) {
        send_token_error(server, msg, "unsupported_grant_type", "grant_type parameter is missing");
    } else if (!g_str_equal(grant_type, "refresh_token")) {
        send_token_error(server, msg, "unsupported_grant_type",
                         "grant_type must be client_credentials, authorization_code or "
                         "refresh_token");
    } else if (client_id == NULL ||
               (server->client_id != NULL && !g_str_equal(client_id, server->client_id))) {
        send_token_error(server, msg, "invalid_client", NULL);
    } else if (server->revoked ||
               (refresh_token != NULL &&
                g_hash_table_contains(server->retired_refresh_tokens, refresh_token))) {
        /* Spotify revokes a rotated-away refresh token that is sent again. */
        body = fs_templates_raw(server->templates, "token-invalid-grant-revoked.json");
        fs_send_bytes(msg, 400, "application/json", body);
    } else if (refresh_token == NULL || !g_str_equal(refresh_token, server->refresh_token)) {
        send_token_error(server, msg, "invalid_grant", NULL);
    } else {
        fs_server_issue_tokens(server);
        send_tokens(server, msg);
    }
}

static gboolean token_answer(FsServer *server, SoupServerMessage *msg, gpointer data)
{
    FsFault *fault = data;

    if (fault != NULL && fault->kind != FS_FAULT_SLOW)
        return fs_fault_answer(server, msg, fault, FS_TARGET_TOKEN);
    answer_refresh(server, msg);
    return TRUE;
}

static void token_handler(SoupServer *soup, SoupServerMessage *msg, const char *path,
                          GHashTable *query, gpointer user_data)
{
    FsServer *server = user_data;
    FsFault *fault;

    if (!g_str_equal(path, "/api/token")) {
        send_api_error(server, msg, 404);
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

static void image_handler(SoupServer *soup, SoupServerMessage *msg, const char *path,
                          GHashTable *query, gpointer user_data)
{
    FsServer *server = user_data;
    const char *size_text = query != NULL ? g_hash_table_lookup(query, "s") : NULL;
    guint64 size = DEFAULT_IMAGE_SIZE;
    g_autoptr(GBytes) png = NULL;

    if (soup_server_message_get_method(msg) != SOUP_METHOD_GET) {
        send_api_error(server, msg, 405);
        return;
    }
    if (size_text != NULL && !g_ascii_string_to_unsigned(size_text, 10, 1, 10000, &size, NULL))
        size = DEFAULT_IMAGE_SIZE;
    /* Seeded by the path alone, so every size of one cover has the same colour. */
    png = fs_png_for_seed(path, (guint)MIN(size, MAX_IMAGE_SIZE));
    fs_send_bytes(msg, 200, "image/png", png);
}

void fs_api_register(FsServer *server)
{
    soup_server_add_handler(server->soup, "/v1/me/player", api_handler, server, NULL);
    soup_server_add_handler(server->soup, "/api/token", token_handler, server, NULL);
    soup_server_add_handler(server->soup, "/image", image_handler, server, NULL);
}
