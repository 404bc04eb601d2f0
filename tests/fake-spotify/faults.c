/* faults.c — the ways fake-spotify misbehaves on purpose, queued through /control/fault or
 * scripted as timeline steps. */
#define G_LOG_DOMAIN "spotnow-fake-faults"

#include "server.h"

#include <string.h>
#include <sys/socket.h>

/* A truncated reply promises this many body bytes and sends far fewer. */
#define TRUNCATED_CONTENT_LENGTH 4096
#define HUGE_SIZE (10 * 1024 * 1024)

static const struct {
    const char *name;
    FsFaultKind kind;
} fault_kinds[] = {
    {"status", FS_FAULT_STATUS},       {"empty", FS_FAULT_EMPTY}, {"garbage", FS_FAULT_GARBAGE},
    {"truncated", FS_FAULT_TRUNCATED}, {"reset", FS_FAULT_RESET}, {"slow", FS_FAULT_SLOW},
    {"huge", FS_FAULT_HUGE},           {"json", FS_FAULT_JSON},   {"quota", FS_FAULT_QUOTA},
};

FsFault *fs_fault_copy(const FsFault *fault)
{
    FsFault *copy = g_new0(FsFault, 1);

    *copy = *fault;
    copy->retry_after = g_strdup(fault->retry_after);
    copy->error = g_strdup(fault->error);
    copy->description = g_strdup(fault->description);
    copy->body = fault->body != NULL ? g_bytes_ref(fault->body) : NULL;
    return copy;
}

void fs_fault_free(FsFault *fault)
{
    if (fault == NULL)
        return;
    g_free(fault->retry_after);
    g_free(fault->error);
    g_free(fault->description);
    g_clear_pointer(&fault->body, g_bytes_unref);
    g_free(fault);
}

static gboolean bad_argument(GError **error, const char *name, const char *value)
{
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad value '%s' for %s",
                value != NULL ? value : "", name);
    return FALSE;
}

static gboolean parse_kind(const char *text, FsFaultKind *kind, GError **error)
{
    for (gsize i = 0; text != NULL && i < G_N_ELEMENTS(fault_kinds); i++) {
        if (g_str_equal(text, fault_kinds[i].name)) {
            *kind = fault_kinds[i].kind;
            return TRUE;
        }
    }
    return bad_argument(error, "kind", text);
}

static gboolean parse_target(const char *text, FsTarget *target, GError **error)
{
    if (text == NULL || g_str_equal(text, "api"))
        *target = FS_TARGET_API;
    else if (g_str_equal(text, "token"))
        *target = FS_TARGET_TOKEN;
    else if (g_str_equal(text, "control"))
        *target = FS_TARGET_CONTROL;
    else
        return bad_argument(error, "target", text);
    return TRUE;
}

FsFault *fs_fault_new_from_query(GHashTable *query, GBytes *body, FsTarget *target, GError **error)
{
    g_autoptr(FsFault) fault = g_new0(FsFault, 1);
    const char *count = query != NULL ? g_hash_table_lookup(query, "count") : NULL;
    const char *status = query != NULL ? g_hash_table_lookup(query, "status") : NULL;
    const char *delay = query != NULL ? g_hash_table_lookup(query, "delay") : NULL;
    guint64 number = 1;

    if (!parse_kind(query != NULL ? g_hash_table_lookup(query, "kind") : NULL, &fault->kind,
                    error) ||
        !parse_target(query != NULL ? g_hash_table_lookup(query, "target") : NULL, target, error))
        return NULL;
    if (count != NULL && !g_ascii_string_to_unsigned(count, 10, 1, G_MAXUINT, &number, NULL)) {
        bad_argument(error, "count", count);
        return NULL;
    }
    fault->count = (guint)number;
    if (fault->kind == FS_FAULT_STATUS &&
        !g_ascii_string_to_unsigned(status, 10, 100, 599, &number, NULL)) {
        bad_argument(error, "status", status);
        return NULL;
    }
    /* A JSON body comes with 200 unless told otherwise (a 403 with a player error's body). */
    if (fault->kind == FS_FAULT_JSON) {
        number = 200;
        if (status != NULL && !g_ascii_string_to_unsigned(status, 10, 100, 599, &number, NULL)) {
            bad_argument(error, "status", status);
            return NULL;
        }
    }
    fault->status = (guint)number;
    fault->delay_ms = 1000;
    if (delay != NULL && (!fs_parse_seconds(delay, &fault->delay_ms) || fault->delay_ms == 0)) {
        bad_argument(error, "delay", delay);
        return NULL;
    }
    if (query != NULL) {
        fault->retry_after = g_strdup(g_hash_table_lookup(query, "retry-after"));
        fault->error = g_strdup(g_hash_table_lookup(query, "error"));
        fault->description = g_strdup(g_hash_table_lookup(query, "description"));
    }
    if (fault->kind == FS_FAULT_JSON)
        fault->body = g_bytes_ref(body);
    return g_steal_pointer(&fault);
}

FsFault *fs_fault_new_from_step(const FsStep *step)
{
    g_autoptr(FsFault) fault = g_new0(FsFault, 1);

    fault->count = 1;
    switch (step->kind) {
        case FS_STEP_STATUS:
            fault->kind = FS_FAULT_STATUS;
            fault->status = step->code;
            fault->retry_after = g_strdup(step->retry_after);
            break;
        case FS_STEP_GARBAGE:
            fault->kind = FS_FAULT_GARBAGE;
            break;
        case FS_STEP_TRUNCATED:
            fault->kind = FS_FAULT_TRUNCATED;
            break;
        case FS_STEP_RESET:
            fault->kind = FS_FAULT_RESET;
            break;
        case FS_STEP_SLOW:
            fault->kind = FS_FAULT_SLOW;
            fault->delay_ms = step->delay_ms;
            break;
        default:
            return NULL;
    }
    return g_steal_pointer(&fault);
}

char *fs_fault_label(const FsFault *fault)
{
    if (fault->kind == FS_FAULT_STATUS)
        return g_strdup_printf("error %u", fault->status);
    if (fault->kind == FS_FAULT_EMPTY)
        return g_strdup("204");
    for (gsize i = 0; i < G_N_ELEMENTS(fault_kinds); i++)
        if (fault_kinds[i].kind == fault->kind)
            return g_strdup(fault_kinds[i].name);
    g_return_val_if_reached(NULL);
}

/* Looks like the start of a real reply, so a client that ignores Content-Length and parses what
 * it got still fails on the JSON. */
static char *truncated_response(void)
{
    return g_strdup_printf(
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        "Content-Length: %d\r\n"
        "Connection: close\r\n"
        "\r\n"
        "{\n  \"timestamp\": %" G_GINT64_FORMAT
        ",\n  \"progress_ms\": 1234,\n"
        "  \"is_playing\": true,\n  \"item\": {\n    \"name\": \"Trunc",
        TRUNCATED_CONTENT_LENGTH, g_get_real_time() / 1000);
}

typedef struct {
    GIOStream *stream;
    GSocket *socket;
    GBytes *data;
} RawReply;

static void raw_reply_free(RawReply *raw)
{
    /* Closing the socket too: the stolen stream may be a wrapper that leaves it open. */
    if (raw->socket != NULL)
        g_socket_close(raw->socket, NULL);
    g_clear_object(&raw->socket);
    g_clear_object(&raw->stream);
    g_clear_pointer(&raw->data, g_bytes_unref);
    g_free(raw);
}

static void raw_closed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_io_stream_close_finish(G_IO_STREAM(source), result, NULL);
    raw_reply_free(user_data);
}

static void raw_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
    RawReply *raw = user_data;
    g_autoptr(GError) error = NULL;

    if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error))
        g_debug("writing the truncated reply failed: %s", error->message);
    g_io_stream_close_async(raw->stream, G_PRIORITY_DEFAULT, NULL, raw_closed, raw);
}

/* Takes the connection from libsoup and writes @data (a raw HTTP response) then closes it; with
 * @data NULL, resets it (SO_LINGER 0 makes close send RST, which clients see as ECONNRESET). */
static void steal_and_send(SoupServerMessage *msg, char *data)
{
    RawReply *raw = g_new0(RawReply, 1);
    GSocket *socket = soup_server_message_get_socket(msg);

    raw->socket = socket != NULL ? g_object_ref(socket) : NULL;
    raw->stream = soup_server_message_steal_connection(msg);
    if (raw->stream == NULL) {
        g_free(data);
        raw_reply_free(raw);
        return;
    }
    if (data == NULL) {
        struct linger linger = {.l_onoff = 1, .l_linger = 0};

        if (raw->socket != NULL && setsockopt(g_socket_get_fd(raw->socket), SOL_SOCKET, SO_LINGER,
                                              &linger, sizeof linger) != 0)
            g_debug("SO_LINGER failed; the peer sees a normal close");
        g_io_stream_close(raw->stream, NULL, NULL);
        raw_reply_free(raw);
        return;
    }
    raw->data = g_bytes_new_take(data, strlen(data));
    g_output_stream_write_all_async(g_io_stream_get_output_stream(raw->stream),
                                    g_bytes_get_data(raw->data, NULL), g_bytes_get_size(raw->data),
                                    G_PRIORITY_DEFAULT, NULL, raw_written, raw);
}

static GBytes *huge_body(FsServer *server)
{
    static const char head[] = "{\"timestamp\":0,\"is_playing\":true,\"padding\":\"";
    static const char tail[] = "\"}\n";

    if (server->huge_body == NULL) {
        char *data = g_malloc(HUGE_SIZE);

        memcpy(data, head, strlen(head));
        memset(data + strlen(head), 'x', HUGE_SIZE - strlen(head) - strlen(tail));
        memcpy(data + HUGE_SIZE - strlen(tail), tail, strlen(tail));
        server->huge_body = g_bytes_new_take(data, HUGE_SIZE);
    }
    return g_bytes_ref(server->huge_body);
}

static void answer_status(FsServer *server, SoupServerMessage *msg, const FsFault *fault,
                          FsTarget target)
{
    const char *content_type = "application/json";
    g_autoptr(GBytes) body = NULL;

    /* The accounts service speaks the {"error","error_description"} envelope. */
    if (target == FS_TARGET_TOKEN && (fault->status == 400 || fault->status == 401)) {
        const char *code = fault->error;

        if (code == NULL)
            code = fault->status == 400 ? "invalid_request" : "invalid_client";
        body = fs_reply_token_error_body(server->templates, code, fault->description);
    } else {
        body = fs_reply_error_body(server->templates, fault->status, &content_type);
    }
    if (fault->retry_after != NULL)
        soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Retry-After",
                                     fault->retry_after);
    fs_send_bytes(msg, fault->status, content_type, body);
}

gboolean fs_fault_answer(FsServer *server, SoupServerMessage *msg, const FsFault *fault,
                         FsTarget target)
{
    g_autoptr(GBytes) body = NULL;

    if (server->verbose && (fault->kind == FS_FAULT_TRUNCATED || fault->kind == FS_FAULT_RESET))
        g_printerr("fake-spotify: %s %s %s\n", soup_server_message_get_method(msg),
                   g_uri_get_path(soup_server_message_get_uri(msg)),
                   fault->kind == FS_FAULT_RESET ? "reset" : "truncated");
    switch (fault->kind) {
        case FS_FAULT_STATUS:
            answer_status(server, msg, fault, target);
            return TRUE;
        case FS_FAULT_EMPTY:
            fs_send_bytes(msg, 204, NULL, NULL);
            return TRUE;
        case FS_FAULT_GARBAGE:
            fs_send_json(msg, 200, "this is not json{");
            return TRUE;
        case FS_FAULT_HUGE:
            body = huge_body(server);
            fs_send_bytes(msg, 200, "application/json; charset=utf-8", body);
            return TRUE;
        case FS_FAULT_JSON:
            /* A 429 with Spotify's quota body comes with its Retry-After. */
            if (fault->retry_after != NULL)
                soup_message_headers_replace(soup_server_message_get_response_headers(msg),
                                             "Retry-After", fault->retry_after);
            fs_send_bytes(msg, fault->status, "application/json; charset=utf-8", fault->body);
            return TRUE;
        case FS_FAULT_TRUNCATED:
            steal_and_send(msg, truncated_response());
            return FALSE;
        case FS_FAULT_RESET:
            steal_and_send(msg, NULL);
            return FALSE;
        case FS_FAULT_QUOTA:
            fs_send_quota_exceeded(msg, fault->retry_after);
            return TRUE;
        case FS_FAULT_SLOW:
            break;
    }
    g_return_val_if_reached(TRUE);
}
