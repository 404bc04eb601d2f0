/* commands.c — the player commands (PUT play/pause/seek, POST next/previous), as MPRIS and the
 * CLI send them. The first one hands playback from the timeline to the manual player. */
#define G_LOG_DOMAIN "spotnow-fake-commands"

#include "server.h"

#define CONTROL_SCOPE "user-modify-playback-state"

static const struct {
    const char *path;
    const char *method;
    FsCommand command;
} commands[] = {
    {"/v1/me/player/play", "PUT", FS_COMMAND_PLAY},
    {"/v1/me/player/pause", "PUT", FS_COMMAND_PAUSE},
    {"/v1/me/player/next", "POST", FS_COMMAND_NEXT},
    {"/v1/me/player/previous", "POST", FS_COMMAND_PREVIOUS},
    {"/v1/me/player/seek", "PUT", FS_COMMAND_SEEK},
};

typedef struct {
    FsCommand command;
    gint64 position_ms; /* seek; -1 when missing or not a number */
    gboolean authorized;
    gint64 quota_retry_s; /* > 0: refused by the quota, with this Retry-After */
    FsFault *fault;       /* queued with target=control */
} CommandRequest;

static void command_request_free(gpointer data)
{
    CommandRequest *request = data;

    fs_fault_free(request->fault);
    g_free(request);
}

static gboolean has_scope(const char *granted, const char *wanted)
{
    g_auto(GStrv) scopes = g_strsplit(granted != NULL ? granted : "", " ", -1);

    return g_strv_contains((const char *const *)scopes, wanted);
}

/* Spotify's words for each refusal, so clients can show the reason. */
static void send_refusal(SoupServerMessage *msg, guint status, const char *message,
                         const char *reason)
{
    g_autoptr(GBytes) body = fs_reply_player_error_body(status, message, reason);

    fs_send_bytes(msg, status, "application/json; charset=utf-8", body);
}

static void record(FsServer *server, const CommandRequest *request)
{
    g_autofree char *label = NULL;

    if (request->command == FS_COMMAND_SEEK)
        label = g_strdup_printf("seek %" G_GINT64_FORMAT, request->position_ms);
    else
        label = g_strdup(fs_command_name(request->command));
    fs_server_note_control(server, label);
}

/* Whether the manual player is on, taking over from the timeline where it stands if need be. */
static gboolean player_ready(FsServer *server, gint64 now_ms)
{
    gint64 elapsed = 0;
    guint index;

    if (server->player.active)
        return TRUE;
    index = fs_server_locate(server, &elapsed);
    return fs_player_take_over(&server->player, server->timeline, index, elapsed, now_ms);
}

static gboolean command_answer(FsServer *server, SoupServerMessage *msg, gpointer data)
{
    CommandRequest *request = data;
    gint64 now_ms = fs_server_now_ms();

    if (!request->authorized) {
        fs_send_api_error(server, msg, 401);
        return TRUE;
    }
    if (request->quota_retry_s > 0) {
        g_autofree char *retry_after = g_strdup_printf("%" G_GINT64_FORMAT, request->quota_retry_s);

        fs_send_quota_exceeded(msg, retry_after);
        return TRUE;
    }
    if (request->fault != NULL && request->fault->kind != FS_FAULT_SLOW)
        return fs_fault_answer(server, msg, request->fault, FS_TARGET_CONTROL);
    if (!has_scope(server->scope, CONTROL_SCOPE)) {
        send_refusal(msg, 403, "Insufficient client scope", NULL);
        return TRUE;
    }
    if (!server->premium) {
        send_refusal(msg, 403, "Player command failed: Premium required", "PREMIUM_REQUIRED");
        return TRUE;
    }
    if (request->command == FS_COMMAND_SEEK && request->position_ms < 0) {
        send_refusal(msg, 400, "Required parameter position_ms missing", NULL);
        return TRUE;
    }
    if (!player_ready(server, now_ms)) {
        send_refusal(msg, 404, "Player command failed: No active device found", "NO_ACTIVE_DEVICE");
        return TRUE;
    }
    fs_player_apply(&server->player, server->timeline, request->command, request->position_ms,
                    now_ms);
    record(server, request);
    fs_send_bytes(msg, 204, NULL, NULL);
    return TRUE;
}

static gint64 parse_position(GHashTable *query)
{
    const char *text = query != NULL ? g_hash_table_lookup(query, "position_ms") : NULL;
    guint64 value = 0;

    if (text == NULL || !g_ascii_string_to_unsigned(text, 10, 0, G_MAXINT32, &value, NULL))
        return -1;
    return (gint64)value;
}

gboolean fs_commands_handle(FsServer *server, SoupServerMessage *msg, const char *path,
                            GHashTable *query)
{
    SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
    CommandRequest *request;
    gint64 delay_ms = server->api_delay_ms;
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(commands); i++)
        if (g_str_equal(path, commands[i].path))
            break;
    if (i == G_N_ELEMENTS(commands))
        return FALSE;
    if (!g_str_equal(soup_server_message_get_method(msg), commands[i].method)) {
        fs_send_api_error(server, msg, 405);
        return TRUE;
    }
    request = g_new0(CommandRequest, 1);
    request->command = commands[i].command;
    request->position_ms = parse_position(query);
    request->authorized =
        fs_server_access_ok(server, soup_message_headers_get_one(headers, "Authorization"));
    /* Commands count against the quota like reads (the daemon's budget counts them too). */
    if (request->authorized && fs_server_charge_quota(server, &request->quota_retry_s))
        request->fault = fs_server_take_fault(server, FS_TARGET_CONTROL);
    if (request->fault != NULL && request->fault->kind == FS_FAULT_SLOW)
        delay_ms += request->fault->delay_ms;
    /* The command takes effect when its reply goes out, as a delayed Spotify reply would. */
    fs_server_defer(server, msg, delay_ms, command_answer, request, command_request_free);
    return TRUE;
}
