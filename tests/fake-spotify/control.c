/* control.c — /control/…: how tests and the demo steer the fake and read what it saw. No auth:
 * the server only listens on 127.0.0.1. */
#define G_LOG_DOMAIN "spotnow-fake-control"

#include "server.h"

#include <json-glib/json-glib.h>

typedef void (*ControlFunc)(FsServer *server, SoupServerMessage *msg, GHashTable *query);

static const char *query_get(GHashTable *query, const char *key)
{
    return query != NULL ? g_hash_table_lookup(query, key) : NULL;
}

static void add_string(JsonBuilder *builder, const char *name, const char *value)
{
    json_builder_set_member_name(builder, name);
    json_builder_add_string_value(builder, value);
}

static void add_boolean(JsonBuilder *builder, const char *name, gboolean value)
{
    json_builder_set_member_name(builder, name);
    json_builder_add_boolean_value(builder, value);
}

static void add_list(JsonBuilder *builder, const char *name, GQueue *strings)
{
    json_builder_set_member_name(builder, name);
    json_builder_begin_array(builder);
    for (GList *l = strings->head; l != NULL; l = l->next)
        json_builder_add_string_value(builder, l->data);
    json_builder_end_array(builder);
}

static void add_int(JsonBuilder *builder, const char *name, gint64 value)
{
    json_builder_set_member_name(builder, name);
    json_builder_add_int_value(builder, value);
}

/* "served" (labels) and "servedAtMs" (when each went out, on the monotonic clock that
 * CLOCK_MONOTONIC readers such as Python's time.monotonic() share). */
static void add_served(JsonBuilder *builder, GQueue *served)
{
    json_builder_set_member_name(builder, "served");
    json_builder_begin_array(builder);
    for (GList *l = served->head; l != NULL; l = l->next)
        json_builder_add_string_value(builder, ((FsServed *)l->data)->label);
    json_builder_end_array(builder);
    json_builder_set_member_name(builder, "servedAtMs");
    json_builder_begin_array(builder);
    for (GList *l = served->head; l != NULL; l = l->next)
        json_builder_add_int_value(builder, ((FsServed *)l->data)->at_ms);
    json_builder_end_array(builder);
}

static void add_quota(JsonBuilder *builder, FsQuota *quota)
{
    gint64 now = fs_server_now_ms();

    json_builder_set_member_name(builder, "quota");
    json_builder_begin_object(builder);
    add_int(builder, "limit", quota->limit);
    add_int(builder, "windowMs", quota->window_ms);
    add_int(builder, "requestsInWindow", fs_quota_in_window(quota, now));
    add_int(builder, "refused", (gint64)quota->refused);
    add_int(builder, "lockedOutMs", fs_quota_locked_out_ms(quota, now));
    add_int(builder, "nextAllowedInMs", fs_quota_wait_ms(quota, now));
    json_builder_end_object(builder);
}

static void control_stats(FsServer *server, SoupServerMessage *msg, GHashTable *query)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *json = NULL;
    GHashTableIter iter;
    gpointer path, count;
    gint64 elapsed = 0;
    guint step = fs_server_locate(server, &elapsed);
    guint queued = 0;

    if (server->player.active) {
        fs_player_settle(&server->player, server->timeline, fs_server_now_ms());
        step = server->player.item;
    }
    for (guint i = 0; i < FS_N_TARGETS; i++)
        queued += server->faults[i].length;

    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "requests");
    json_builder_begin_object(builder);
    g_hash_table_iter_init(&iter, server->requests);
    while (g_hash_table_iter_next(&iter, &path, &count)) {
        json_builder_set_member_name(builder, path);
        json_builder_add_int_value(builder, GPOINTER_TO_UINT(count));
    }
    json_builder_end_object(builder);
    json_builder_set_member_name(builder, "total");
    json_builder_add_int_value(builder, (gint64)server->total);
    add_served(builder, &server->served);
    add_list(builder, "controls", &server->controls);
    add_string(builder, "currentAccessToken", server->access_token);
    add_string(builder, "currentRefreshToken", server->refresh_token);
    add_string(builder, "scope", server->scope);
    /* Not asked for by any client, but it saves tests from guessing where the story is. */
    json_builder_set_member_name(builder, "step");
    json_builder_add_int_value(builder, step);
    add_string(builder, "stepLabel", fs_timeline_label(server->timeline, step));
    add_boolean(builder, "manual", server->player.active);
    add_boolean(builder, "premium", server->premium);
    json_builder_set_member_name(builder, "faultsQueued");
    json_builder_add_int_value(builder, queued);
    add_int(builder, "timelineStartedAtMs", server->timeline_start_us / 1000);
    add_quota(builder, &server->quota);
    json_builder_end_object(builder);
    root = json_builder_get_root(builder);
    json = json_to_string(root, TRUE);
    fs_send_json(msg, 200, json);
}

static void control_reset_stats(FsServer *server, SoupServerMessage *msg, GHashTable *query)
{
    g_hash_table_remove_all(server->requests);
    server->total = 0;
    g_queue_clear_full(&server->served, fs_served_free);
    g_queue_init(&server->served);
    g_queue_clear_full(&server->controls, g_free);
    g_queue_init(&server->controls);
    fs_send_ok(msg);
}

static void control_fault(FsServer *server, SoupServerMessage *msg, GHashTable *query)
{
    g_autoptr(GBytes) body = fs_request_body(msg);
    g_autoptr(GError) error = NULL;
    FsTarget target = FS_TARGET_API;
    FsFault *fault = fs_fault_new_from_query(query, body, &target, &error);

    if (fault == NULL) {
        fs_send_control_error(msg, 400, error->message);
        return;
    }
    g_queue_push_tail(&server->faults[target], fault);
    fs_send_ok(msg);
}

static void control_clear_faults(FsServer *server, SoupServerMessage *msg, GHashTable *query)
{
    for (guint i = 0; i < G_N_ELEMENTS(server->faults); i++) {
        g_queue_clear_full(&server->faults[i], (GDestroyNotify)fs_fault_free);
        g_queue_init(&server->faults[i]);
    }
    fs_send_ok(msg);
}

static void control_timeline(FsServer *server, SoupServerMessage *msg, GHashTable *query)
{
    g_autofree char *text = fs_request_text(msg);
    g_autoptr(GError) error = NULL;
    FsTimeline *timeline;

    if (!g_utf8_validate(text, -1, NULL)) {
        fs_send_control_error(msg, 400, "the timeline is not UTF-8");
        return;
    }
    timeline = fs_timeline_parse(text, &error);
    if (timeline == NULL) {
        fs_send_control_error(msg, 400, error->message);
        return;
    }
    fs_server_set_timeline(server, timeline);
    fs_send_ok(msg);
}

static void control_delay(FsServer *server, SoupServerMessage *msg, GHashTable *query)
{
    const char *seconds = query_get(query, "s");
    gint64 delay_ms = 0;

    if (seconds == NULL || !fs_parse_seconds(seconds, &delay_ms)) {
        fs_send_control_error(msg, 400, "s= must be a number of seconds");
        return;
    }
    server->api_delay_ms = delay_ms;
    fs_send_ok(msg);
}

static void control_hold(FsServer *server, SoupServerMessage *msg, GHashTable *query)
{
    server->api_held = TRUE;
    fs_send_ok(msg);
}

static void control_release(FsServer *server, SoupServerMessage *msg, GHashTable *query)
{
    server->api_held = FALSE;
    fs_server_release_held(server);
    fs_send_ok(msg);
}

static void control_revoke(FsServer *server, SoupServerMessage *msg, GHashTable *query)
{
    server->revoked = TRUE;
    fs_send_ok(msg);
}

static void control_unrevoke(FsServer *server, SoupServerMessage *msg, GHashTable *query)
{
    server->revoked = FALSE;
    fs_send_ok(msg);
}

static void control_expire(FsServer *server, SoupServerMessage *msg, GHashTable *query)
{
    server->access_expires_us = 0;
    fs_send_ok(msg);
}

/* "0" or "1" into @out; FALSE for anything else. */
static gboolean parse_flag(const char *text, gboolean *out)
{
    if (text == NULL || (!g_str_equal(text, "0") && !g_str_equal(text, "1")))
        return FALSE;
    *out = g_str_equal(text, "1");
    return TRUE;
}

/* An empty value clears the setting (NULL), so tests can undo what they set. */
static void set_optional(char **field, const char *value)
{
    g_free(*field);
    *field = value[0] != '\0' ? g_strdup(value) : NULL;
}

static void control_config(FsServer *server, SoupServerMessage *msg, GHashTable *query)
{
    const char *expires_in = query_get(query, "expires-in");
    const char *rotate = query_get(query, "rotate");
    const char *code_lifetime = query_get(query, "code-lifetime");
    const char *grant_scope = query_get(query, "grant-scope");
    const char *client_secret = query_get(query, "client-secret");
    guint64 seconds = 0, lifetime = 0;
    gboolean rotate_on = FALSE;

    if (expires_in != NULL &&
        !g_ascii_string_to_unsigned(expires_in, 10, 1, G_MAXINT32, &seconds, NULL)) {
        fs_send_control_error(msg, 400, "expires-in= must be a positive number of seconds");
        return;
    }
    if (rotate != NULL && !parse_flag(rotate, &rotate_on)) {
        fs_send_control_error(msg, 400, "rotate= must be 0 or 1");
        return;
    }
    if (code_lifetime != NULL &&
        !g_ascii_string_to_unsigned(code_lifetime, 10, 0, G_MAXINT32, &lifetime, NULL)) {
        fs_send_control_error(msg, 400, "code-lifetime= must be a number of seconds");
        return;
    }
    if (expires_in != NULL)
        server->expires_in_s = (gint64)seconds;
    if (rotate != NULL)
        server->rotate = rotate_on;
    if (code_lifetime != NULL)
        server->code_lifetime_s = (gint64)lifetime;
    if (grant_scope != NULL)
        set_optional(&server->grant_scope, grant_scope);
    if (client_secret != NULL)
        set_optional(&server->client_secret, client_secret);
    fs_send_ok(msg);
}

static void control_authorize(FsServer *server, SoupServerMessage *msg, GHashTable *query)
{
    const char *outcome = query_get(query, "outcome");

    if (outcome == NULL || g_str_equal(outcome, "ok")) {
        server->deny_authorize = FALSE;
    } else if (g_str_equal(outcome, "access_denied")) {
        server->deny_authorize = TRUE;
    } else {
        fs_send_control_error(msg, 400, "outcome= must be ok or access_denied");
        return;
    }
    fs_send_ok(msg);
}

static void control_premium(FsServer *server, SoupServerMessage *msg, GHashTable *query)
{
    if (!parse_flag(query_get(query, "on"), &server->premium)) {
        fs_send_control_error(msg, 400, "on= must be 0 or 1");
        return;
    }
    fs_send_ok(msg);
}

static void control_quota(FsServer *server, SoupServerMessage *msg, GHashTable *query)
{
    const char *limit = query_get(query, "limit");
    const char *window = query_get(query, "window");
    guint64 requests = 0;
    gint64 window_ms = server->quota.window_ms;

    if (limit == NULL ||
        !g_ascii_string_to_unsigned(limit, 10, 0, FS_QUOTA_MAX_LIMIT, &requests, NULL)) {
        g_autofree char *message = g_strdup_printf(
            "limit= must be a number of requests from 0 (off) to %u", FS_QUOTA_MAX_LIMIT);
        fs_send_control_error(msg, 400, message);
        return;
    }
    if (window != NULL && (!fs_parse_seconds(window, &window_ms) || window_ms == 0)) {
        fs_send_control_error(msg, 400, "window= must be a number of seconds above 0");
        return;
    }
    fs_quota_configure(&server->quota, (guint)requests, window_ms);
    fs_send_ok(msg);
}

static const struct {
    const char *path;
    const char *method;
    ControlFunc func;
} routes[] = {
    {"/control/stats", "GET", control_stats},
    {"/control/reset-stats", "POST", control_reset_stats},
    {"/control/fault", "POST", control_fault},
    {"/control/clear-faults", "POST", control_clear_faults},
    {"/control/timeline", "POST", control_timeline},
    {"/control/delay", "POST", control_delay},
    {"/control/hold", "POST", control_hold},
    {"/control/release", "POST", control_release},
    {"/control/revoke", "POST", control_revoke},
    {"/control/unrevoke", "POST", control_unrevoke},
    {"/control/expire-access-token", "POST", control_expire},
    {"/control/config", "POST", control_config},
    {"/control/authorize", "POST", control_authorize},
    {"/control/premium", "POST", control_premium},
    {"/control/quota", "POST", control_quota},
};

static void control_handler(SoupServer *soup, SoupServerMessage *msg, const char *path,
                            GHashTable *query, gpointer user_data)
{
    FsServer *server = user_data;
    const char *method = soup_server_message_get_method(msg);

    for (gsize i = 0; i < G_N_ELEMENTS(routes); i++) {
        g_autofree char *message = NULL;

        if (!g_str_equal(path, routes[i].path))
            continue;
        if (g_str_equal(method, routes[i].method)) {
            routes[i].func(server, msg, query);
            return;
        }
        message = g_strdup_printf("use %s for %s", routes[i].method, path);
        fs_send_control_error(msg, 405, message);
        return;
    }
    fs_send_control_error(msg, 404, "no such control endpoint");
}

void fs_control_register(FsServer *server)
{
    soup_server_add_handler(server->soup, "/control", control_handler, server, NULL);
}
