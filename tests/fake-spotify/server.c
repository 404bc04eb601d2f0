/* server.c — fake-spotify's state and the plumbing every handler shares. */
#define G_LOG_DOMAIN "spotnow-fake-server"

#include "server.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* "served" and "controls" keep this many entries so a long demo cannot grow without bound. */
#define SERVED_MAX 10000

typedef struct {
    FsServer *server;
    SoupServerMessage *msg;
    FsDeferredFunc func;
    gpointer data;
    GDestroyNotify destroy;
    guint source_id;
    gulong disconnected_id;
} Deferred;

FsServer *fs_server_new(const char *fixtures_dir, GError **error)
{
    g_autoptr(FsServer) server = g_new0(FsServer, 1);

    server->templates = fs_templates_load(fixtures_dir, error);
    if (server->templates == NULL)
        return NULL;
    server->requests = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    server->retired_refresh_tokens = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    server->codes =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)fs_auth_code_free);
    for (guint i = 0; i < FS_N_TARGETS; i++)
        g_queue_init(&server->faults[i]);
    g_queue_init(&server->served);
    g_queue_init(&server->controls);
    fs_quota_init(&server->quota);
    server->access_token = g_strdup("fake-access-0");
    server->refresh_token = g_strdup("fake-refresh-0");
    server->expires_in_s = 3600;
    server->code_lifetime_s = 600;
    server->premium = TRUE;
    server->scope = g_strdup("user-read-currently-playing user-read-playback-state");
    fs_server_set_timeline(server, fs_timeline_new_default());
    return g_steal_pointer(&server);
}

static void deferred_free(Deferred *deferred)
{
    FsServer *server = deferred->server;

    server->deferred = g_list_remove(server->deferred, deferred);
    g_clear_handle_id(&deferred->source_id, g_source_remove);
    g_clear_signal_handler(&deferred->disconnected_id, deferred->msg);
    if (deferred->destroy != NULL)
        deferred->destroy(deferred->data);
    g_object_unref(deferred->msg);
    g_free(deferred);
}

void fs_server_free(FsServer *server)
{
    if (server == NULL)
        return;
    while (server->deferred != NULL)
        deferred_free(server->deferred->data);
    if (server->soup != NULL)
        soup_server_disconnect(server->soup);
    g_clear_object(&server->soup);
    g_free(server->base_url);
    g_clear_pointer(&server->templates, fs_templates_free);
    g_clear_pointer(&server->timeline, fs_timeline_free);
    g_free(server->access_token);
    g_free(server->refresh_token);
    g_clear_pointer(&server->retired_refresh_tokens, g_hash_table_unref);
    g_free(server->client_id);
    g_free(server->client_secret);
    g_free(server->scope);
    g_free(server->grant_scope);
    g_clear_pointer(&server->codes, g_hash_table_unref);
    for (guint i = 0; i < FS_N_TARGETS; i++)
        g_queue_clear_full(&server->faults[i], (GDestroyNotify)fs_fault_free);
    g_clear_pointer(&server->requests, g_hash_table_unref);
    g_queue_clear_full(&server->served, fs_served_free);
    g_queue_clear_full(&server->controls, g_free);
    fs_quota_clear(&server->quota);
    g_clear_pointer(&server->huge_body, g_bytes_unref);
    g_free(server);
}

/* Stats count every request outside the control API, before any handler can answer it. */
static void on_request_read(SoupServer *soup, SoupServerMessage *msg, FsServer *server)
{
    const char *path = g_uri_get_path(soup_server_message_get_uri(msg));
    gpointer count;

    if (g_str_has_prefix(path, "/control/") || g_str_equal(path, "/control"))
        return;
    count = g_hash_table_lookup(server->requests, path);
    g_hash_table_insert(server->requests, g_strdup(path),
                        GUINT_TO_POINTER(GPOINTER_TO_UINT(count) + 1));
    server->total++;
}

/* One line per request for --verbose; never headers, which carry tokens. */
static void on_request_done(SoupServer *soup, SoupServerMessage *msg, FsServer *server)
{
    if (!server->verbose)
        return;
    g_printerr("fake-spotify: %s %s %u\n", soup_server_message_get_method(msg),
               g_uri_get_path(soup_server_message_get_uri(msg)),
               soup_server_message_get_status(msg));
}

static void not_found_handler(SoupServer *soup, SoupServerMessage *msg, const char *path,
                              GHashTable *query, gpointer user_data)
{
    FsServer *server = user_data;
    const char *content_type = NULL;
    g_autoptr(GBytes) body = fs_reply_error_body(server->templates, 404, &content_type);

    fs_send_bytes(msg, 404, content_type, body);
}

gboolean fs_server_start(FsServer *server, guint port, GError **error)
{
    g_autoslist(GUri) uris = NULL;

    server->soup = soup_server_new("server-header", "fake-spotify ", NULL);
    g_signal_connect(server->soup, "request-read", G_CALLBACK(on_request_read), server);
    g_signal_connect(server->soup, "request-finished", G_CALLBACK(on_request_done), server);
    g_signal_connect(server->soup, "request-aborted", G_CALLBACK(on_request_done), server);
    soup_server_add_handler(server->soup, NULL, not_found_handler, server, NULL);
    fs_api_register(server);
    fs_accounts_register(server);
    fs_control_register(server);

    if (!soup_server_listen_local(server->soup, port, SOUP_SERVER_LISTEN_IPV4_ONLY, error))
        return FALSE;
    uris = soup_server_get_uris(server->soup);
    g_return_val_if_fail(uris != NULL, FALSE);
    server->port = (guint)g_uri_get_port(uris->data);
    server->base_url = g_strdup_printf("http://127.0.0.1:%u", server->port);
    /* The first access token's lifetime starts when the fake does. */
    server->access_expires_us = g_get_monotonic_time() + server->expires_in_s * G_USEC_PER_SEC;
    return TRUE;
}

void fs_server_set_timeline(FsServer *server, FsTimeline *timeline)
{
    g_clear_pointer(&server->timeline, fs_timeline_free);
    server->timeline = timeline;
    server->timeline_start_us = g_get_monotonic_time();
    /* The manual player points into the old timeline's steps; the new story starts afresh. */
    server->player.active = FALSE;
}

guint fs_server_locate(FsServer *server, gint64 *elapsed_ms)
{
    gint64 offset_ms = (g_get_monotonic_time() - server->timeline_start_us) / 1000;

    return fs_timeline_locate(server->timeline, offset_ms, elapsed_ms);
}

gboolean fs_server_access_ok(FsServer *server, const char *authorization)
{
    if (authorization == NULL || !g_str_has_prefix(authorization, "Bearer "))
        return FALSE;
    return g_str_equal(authorization + strlen("Bearer "), server->access_token) &&
           g_get_monotonic_time() < server->access_expires_us;
}

void fs_server_issue_tokens(FsServer *server)
{
    server->token_serial++;
    g_free(server->access_token);
    server->access_token = g_strdup_printf("fake-access-%u", server->token_serial);
    server->access_expires_us = g_get_monotonic_time() + server->expires_in_s * G_USEC_PER_SEC;
    if (server->rotate) {
        g_hash_table_add(server->retired_refresh_tokens, server->refresh_token);
        server->refresh_token = g_strdup_printf("fake-refresh-%u", server->token_serial);
    }
}

void fs_server_sign_in(FsServer *server, const char *scope)
{
    server->token_serial++;
    g_free(server->access_token);
    server->access_token = g_strdup_printf("fake-access-%u", server->token_serial);
    server->access_expires_us = g_get_monotonic_time() + server->expires_in_s * G_USEC_PER_SEC;
    g_free(server->refresh_token);
    server->refresh_token = g_strdup_printf("fake-refresh-%u", server->token_serial);
    server->revoked = FALSE;
    g_free(server->scope);
    server->scope = g_strdup(scope);
}

FsFault *fs_server_take_fault(FsServer *server, FsTarget target)
{
    FsFault *head = g_queue_peek_head(&server->faults[target]);
    FsFault *copy;

    if (head == NULL)
        return NULL;
    copy = fs_fault_copy(head);
    copy->count = 1;
    if (--head->count == 0)
        fs_fault_free(g_queue_pop_head(&server->faults[target]));
    return copy;
}

void fs_served_free(gpointer data)
{
    FsServed *served = data;

    g_free(served->label);
    g_free(served);
}

static void push_bounded(GQueue *queue, gpointer entry, GDestroyNotify free_func)
{
    g_queue_push_tail(queue, entry);
    while (queue->length > SERVED_MAX)
        free_func(g_queue_pop_head(queue));
}

void fs_server_note_served(FsServer *server, const char *label)
{
    FsServed *served = g_new0(FsServed, 1);

    served->label = g_strdup(label);
    served->at_ms = fs_server_now_ms();
    push_bounded(&server->served, served, fs_served_free);
}

void fs_server_note_control(FsServer *server, const char *label)
{
    push_bounded(&server->controls, g_strdup(label), g_free);
}

gboolean fs_server_charge_quota(FsServer *server, gint64 *retry_after_s)
{
    return fs_quota_charge(&server->quota, fs_server_now_ms(), retry_after_s);
}

void fs_send_quota_exceeded(SoupServerMessage *msg, const char *retry_after)
{
    g_autoptr(GBytes) body = g_bytes_new_static(FS_QUOTA_BODY, strlen(FS_QUOTA_BODY));

    if (retry_after != NULL)
        soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Retry-After",
                                     retry_after);
    fs_send_bytes(msg, 429, "application/json", body);
}

gint64 fs_server_now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

static gboolean deferred_fire(gpointer user_data)
{
    Deferred *deferred = user_data;
    g_autoptr(SoupServerMessage) msg = g_object_ref(deferred->msg);

    deferred->source_id = 0;
    g_clear_signal_handler(&deferred->disconnected_id, msg);
    if (deferred->func(deferred->server, msg, deferred->data))
        soup_server_message_unpause(msg);
    deferred_free(deferred);
    return G_SOURCE_REMOVE;
}

static void deferred_disconnected(SoupServerMessage *msg, gpointer user_data)
{
    Deferred *deferred = user_data;

    g_debug("client left before its delayed reply");
    deferred_free(deferred);
}

void fs_server_defer(FsServer *server, SoupServerMessage *msg, gint64 delay_ms, FsDeferredFunc func,
                     gpointer data, GDestroyNotify destroy)
{
    Deferred *deferred = g_new0(Deferred, 1);

    deferred->server = server;
    deferred->msg = g_object_ref(msg);
    deferred->func = func;
    deferred->data = data;
    deferred->destroy = destroy;
    soup_server_message_pause(msg);
    deferred->disconnected_id =
        g_signal_connect(msg, "disconnected", G_CALLBACK(deferred_disconnected), deferred);
    if (delay_ms >= 0)
        deferred->source_id =
            g_timeout_add((guint)CLAMP(delay_ms, 0, G_MAXUINT), deferred_fire, deferred);
    server->deferred = g_list_prepend(server->deferred, deferred);
}

void fs_server_release_held(FsServer *server)
{
    /* The list is newest first: walk it backwards so replies go out in arrival order. */
    for (GList *l = g_list_last(server->deferred); l != NULL; l = l->prev) {
        Deferred *deferred = l->data;
        if (deferred->source_id == 0)
            deferred->source_id = g_idle_add(deferred_fire, deferred);
    }
}

void fs_send_bytes(SoupServerMessage *msg, guint status, const char *content_type, GBytes *body)
{
    /* libsoup 3.2 has no phrase for 429 and would say "Unknown Error". */
    soup_server_message_set_status(msg, status, status == 429 ? "Too Many Requests" : NULL);
    if (body == NULL)
        return;
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Content-Type",
                                 content_type);
    if (g_bytes_get_size(body) > 0) /* libsoup refuses empty chunks */
        soup_message_body_append_bytes(soup_server_message_get_response_body(msg), body);
}

void fs_send_json(SoupServerMessage *msg, guint status, const char *json)
{
    g_autoptr(GBytes) body = g_bytes_new(json, strlen(json));

    fs_send_bytes(msg, status, "application/json; charset=utf-8", body);
}

void fs_send_ok(SoupServerMessage *msg)
{
    fs_send_json(msg, 200, "{\"ok\":true}");
}

void fs_send_control_error(SoupServerMessage *msg, guint status, const char *message)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *json = NULL;

    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "ok");
    json_builder_add_boolean_value(builder, FALSE);
    json_builder_set_member_name(builder, "error");
    json_builder_add_string_value(builder, message);
    json_builder_end_object(builder);
    root = json_builder_get_root(builder);
    json = json_to_string(root, FALSE);
    fs_send_json(msg, status, json);
}

GBytes *fs_request_body(SoupServerMessage *msg)
{
    return soup_message_body_flatten(soup_server_message_get_request_body(msg));
}

char *fs_request_text(SoupServerMessage *msg)
{
    g_autoptr(GBytes) body = fs_request_body(msg);
    gsize length = 0;
    const char *data = g_bytes_get_data(body, &length);

    return length > 0 ? g_strndup(data, length) : g_strdup("");
}
