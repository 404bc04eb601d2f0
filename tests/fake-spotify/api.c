/* api.c — the Web API endpoints a Spotify client reads: the player state and the artwork images.
 * The player commands are in commands.c, the accounts service in accounts.c. */
#define G_LOG_DOMAIN "spotnow-fake-api"

#include "png.h"
#include "server.h"

#define DEFAULT_IMAGE_SIZE 64
#define MAX_IMAGE_SIZE 256

typedef struct {
    FsEndpoint endpoint;
    gboolean authorized;
    gint64 quota_retry_s; /* > 0: refused by the quota, with this Retry-After */
    FsFault *fault;       /* queued through /control/fault; NULL = the timeline answers */
} ApiRequest;

static void api_request_free(gpointer data)
{
    ApiRequest *request = data;

    fs_fault_free(request->fault);
    g_free(request);
}

void fs_send_api_error(FsServer *server, SoupServerMessage *msg, guint status)
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

/* After the first player command the manual player, not the timeline, says what is on. */
static gboolean answer_player(FsServer *server, SoupServerMessage *msg,
                              const FsReplyContext *context)
{
    FsPlayer *player = &server->player;
    g_autofree char *json = NULL;

    fs_player_settle(player, server->timeline, fs_server_now_ms());
    json = fs_reply_build_item(server->templates, server->timeline, player->item,
                               player->progress_ms, player->playing, context);
    fs_server_note_served(server, fs_timeline_label(server->timeline, player->item));
    fs_send_json(msg, 200, json);
    return TRUE;
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

    if (server->player.active)
        return answer_player(server, msg, &context);
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
        fs_send_api_error(server, msg, 401);
        return TRUE;
    }
    if (request->quota_retry_s > 0) {
        g_autofree char *retry_after = g_strdup_printf("%" G_GINT64_FORMAT, request->quota_retry_s);

        fs_server_note_served(server, "quota");
        fs_send_quota_exceeded(msg, retry_after);
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

    if (fs_commands_handle(server, msg, path, query))
        return;
    if (!g_str_equal(path, "/v1/me/player") &&
        !g_str_equal(path, "/v1/me/player/currently-playing")) {
        fs_send_api_error(server, msg, 404);
        return;
    }
    if (soup_server_message_get_method(msg) != SOUP_METHOD_GET) {
        fs_send_api_error(server, msg, 405);
        return;
    }
    request = g_new0(ApiRequest, 1);
    request->endpoint =
        g_str_equal(path, "/v1/me/player") ? FS_ENDPOINT_PLAYER : FS_ENDPOINT_CURRENTLY_PLAYING;
    request->authorized =
        fs_server_access_ok(server, soup_message_headers_get_one(headers, "Authorization"));
    /* Only requests with a valid token reach the quota (it is the app's); a refusal leaves the
     * queued faults for later requests. */
    if (request->authorized && fs_server_charge_quota(server, &request->quota_retry_s))
        request->fault = fs_server_take_fault(server, FS_TARGET_API);
    /* A refusal goes out at once: only /control/delay holds it, no slow step. */
    if (request->fault != NULL && request->fault->kind == FS_FAULT_SLOW) {
        delay_ms += request->fault->delay_ms;
    } else if (request->fault == NULL && request->authorized && request->quota_retry_s == 0 &&
               !server->player.active) {
        gint64 elapsed = 0;
        const FsStep *step =
            fs_timeline_get_step(server->timeline, fs_server_locate(server, &elapsed));

        if (step->kind == FS_STEP_SLOW)
            delay_ms += step->delay_ms;
    }
    /* Always deferred, even by 0 ms, so every reply (stolen connections included) is made
     * from a paused message outside libsoup's handler call. Held: until /control/release, and
     * then answered as the timeline stands at that moment. */
    fs_server_defer(server, msg, server->api_held ? -1 : delay_ms, api_answer, request,
                    api_request_free);
}

static void image_handler(SoupServer *soup, SoupServerMessage *msg, const char *path,
                          GHashTable *query, gpointer user_data)
{
    FsServer *server = user_data;
    const char *size_text = query != NULL ? g_hash_table_lookup(query, "s") : NULL;
    guint64 size = DEFAULT_IMAGE_SIZE;
    g_autoptr(GBytes) png = NULL;

    if (soup_server_message_get_method(msg) != SOUP_METHOD_GET) {
        fs_send_api_error(server, msg, 405);
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
    soup_server_add_handler(server->soup, "/image", image_handler, server, NULL);
}
