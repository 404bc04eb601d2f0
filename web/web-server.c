/* web-server.c — what spotnow-web serves: routes, bodies, caching headers and CORS. */
#define G_LOG_DOMAIN "spotnow-web-server"

#include "web-server.h"

#include <string.h>

#include "spn-snapshot.h"
#include "web-bounds.h"
#include "web-card.h"
#include "web-events.h"
#include "web-front.h"
#include "web-view.h"

#define RESOURCE_PREFIX "/io/github/spotnow/web/"
#define SERVER_HEADER "spotnow-web"
#define NOW_PLAYING_PATH "/api/now-playing"
/* Seconds a client should wait before asking again while spotnowd is unreachable. */
#define RETRY_AFTER_S "5"
/* Browsers revalidate each time (the ETag makes that a 304); a CDN may hold it briefly, since
 * it changes at most as often as the daemon polls. */
#define JSON_CACHE_CONTROL "public, max-age=0, s-maxage=5"

struct _SpnWebServer {
    SoupServer *server;
    SpnWebFront *front;
    SpnWebLinger *linger; /* connections ending, for the front door and the bounds */
    SpnWebDaemon *daemon;
    SpnWebEvents *events;
    char *allow_origin; /* "" = no CORS header */
    gboolean show_last_played;

    /* What is served now; json NULL while the daemon is unreachable. */
    GVariant *view;
    GBytes *json;
    char *etag;
    /* The front door's answers to the same request, after the status line and the Date:
     * the headers libsoup would send, and for the 200 the body (see answer_fast). */
    GBytes *fast_ok;
    GBytes *fast_not_modified;
    /* The Date header's value, formatted once a second. */
    gint64 date_s;
    char *date;
    /* The last event sent, kept across the daemon's absence so a restart that changes
     * nothing sends nothing. */
    GBytes *event;
    char *event_json;
    guint64 event_id;

    /* The page and the widget (name → GBytes, name → ETag); names are static strings. */
    GHashTable *resources;
    GHashTable *resource_etags;

    /* The cover for the card, read once per file. */
    char *art_path;
    GBytes *art;

    SpnWebBounds *bounds;
};

/* ---- headers ------------------------------------------------------------------------------- */

static void add_validators(SoupMessageHeaders *headers, const char *etag, const char *cache_control)
{
    soup_message_headers_replace(headers, "Cache-Control", cache_control);
    soup_message_headers_replace(headers, "ETag", etag);
}

static void add_common_headers(SpnWebServer *self, SoupMessageHeaders *headers, gboolean cors)
{
    soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
    if (cors && self->allow_origin[0] != '\0') {
        soup_message_headers_replace(headers, "Access-Control-Allow-Origin", self->allow_origin);
        if (!g_str_equal(self->allow_origin, "*"))
            soup_message_headers_append(headers, "Vary", "Origin");
    }
}

/* What libsoup sends for /api/now-playing after its "Server" and "Date" and before the body: the
 * head the front door repeats (answer_fast). The same functions as serve_now_playing's make it,
 * in the order libsoup writes them, so both ways answer alike. */
static GBytes *fast_answer_head(SpnWebServer *self, gboolean not_modified)
{
    g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
    add_common_headers(self, headers, TRUE);
    add_validators(headers, self->etag, JSON_CACHE_CONTROL);
    if (!not_modified)
        soup_message_headers_set_content_type(headers, "application/json", NULL);
    g_autoptr(GString) text = g_string_new(NULL);
    SoupMessageHeadersIter iter;
    const char *name = NULL, *value = NULL;
    soup_message_headers_iter_init(&iter, headers);
    while (soup_message_headers_iter_next(&iter, &name, &value))
        g_string_append_printf(text, "%s: %s\r\n", name, value);
    /* libsoup sends a 304's length as 0, and a HEAD's as its GET's. */
    g_string_append_printf(text, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
                           not_modified ? 0 : g_bytes_get_size(self->json));
    return g_string_free_to_bytes(g_steal_pointer(&text));
}

/* ---- what is served ------------------------------------------------------------------------ */

static void update_view(SpnWebServer *self)
{
    GVariant *snapshot = spn_web_daemon_get_snapshot(self->daemon);
    g_clear_pointer(&self->view, g_variant_unref);
    g_clear_pointer(&self->json, g_bytes_unref);
    g_clear_pointer(&self->etag, g_free);
    g_clear_pointer(&self->fast_ok, g_bytes_unref);
    g_clear_pointer(&self->fast_not_modified, g_bytes_unref);
    if (snapshot == NULL)
        return;
    SpnWebViewOptions options = {
        .show_last_played = self->show_last_played,
        .signed_out = spn_web_daemon_is_signed_out(self->daemon),
    };
    self->view = spn_web_view_new(snapshot, &options);
    char *json = spn_web_view_to_json(self->view);
    gsize len = strlen(json);
    self->etag = spn_web_etag(json, len);
    self->json = g_bytes_new_take(json, len);
    self->fast_ok = fast_answer_head(self, FALSE);
    self->fast_not_modified = fast_answer_head(self, TRUE);

    if (g_strcmp0(json, self->event_json) == 0)
        return;
    g_free(self->event_json);
    self->event_json = g_strdup(json);
    /* Ids increase across restarts of spotnow-web too (they start from the clock), so a
     * browser's Last-Event-ID from before a restart never matches a different event. */
    self->event_id = MAX(self->event_id + 1, (guint64)(g_get_real_time() / 1000));
    g_clear_pointer(&self->event, g_bytes_unref);
    self->event = spn_web_event_format(self->event_id, json);
    spn_web_events_publish(self->events, self->event);
}

static void on_daemon_changed(SpnWebDaemon *daemon, gpointer user_data)
{
    update_view(user_data);
}

static void on_stream_count(guint count, gpointer user_data)
{
    SpnWebServer *self = user_data;
    spn_web_daemon_set_watching(self->daemon, count > 0);
}

/* ---- responses ----------------------------------------------------------------------------- */

static void set_common_headers(SpnWebServer *self, SoupServerMessage *msg, gboolean cors)
{
    add_common_headers(self, soup_server_message_get_response_headers(msg), cors);
}

static void respond_unavailable(SoupServerMessage *msg, const char *message)
{
    spn_web_respond_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, message);
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Retry-After",
                                 RETRY_AFTER_S);
}

static void respond_no_daemon(SoupServerMessage *msg)
{
    respond_unavailable(msg,
                        "spotnowd is not reachable on the bus; this page retries by itself once "
                        "it runs again");
}

/* 304 when the client has @etag already, else 200 with @bytes. */
static void respond_bytes(SoupServerMessage *msg, const char *content_type, GBytes *bytes,
                          const char *etag, const char *cache_control)
{
    SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
    add_validators(headers, etag, cache_control);
    const char *if_none_match = soup_message_headers_get_list(
        soup_server_message_get_request_headers(msg), "If-None-Match");
    if (spn_web_etag_matches(if_none_match, etag)) {
        soup_server_message_set_status(msg, SOUP_STATUS_NOT_MODIFIED, NULL);
        return;
    }
    soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
    soup_message_headers_set_content_type(headers, content_type, NULL);
    soup_message_body_append_bytes(soup_server_message_get_response_body(msg), bytes);
}

static void serve_now_playing(SpnWebServer *self, SoupServerMessage *msg)
{
    set_common_headers(self, msg, TRUE);
    if (self->json == NULL) {
        respond_no_daemon(msg);
        return;
    }
    /* A visitor's GET is a viewer; a HEAD is a health check or a cache's revalidation. */
    if (soup_server_message_get_method(msg) == SOUP_METHOD_GET)
        spn_web_daemon_touch(self->daemon);
    respond_bytes(msg, "application/json", self->json, self->etag, JSON_CACHE_CONTROL);
}

/* The Date header's value, as libsoup formats it; formatted once a second. */
static const char *http_date(SpnWebServer *self)
{
    gint64 now_s = g_get_real_time() / G_USEC_PER_SEC;
    if (self->date == NULL || now_s != self->date_s) {
        g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc(now_s);
        g_free(self->date);
        self->date = soup_date_time_to_string(now, SOUP_DATE_HTTP);
        self->date_s = now_s;
    }
    return self->date;
}

/* The front door's answer to a plain GET or HEAD of /api/now-playing: byte for byte what
 * serve_now_playing has libsoup send, but the Date and libsoup's "Connection: close" (the front
 * door keeps its connections). NULL while the daemon is unreachable: libsoup then sends that
 * 503. */
static GBytes *answer_fast(const SpnWebFastRequest *request, gpointer user_data)
{
    SpnWebServer *self = user_data;
    if (self->json == NULL)
        return NULL;
    /* A visitor's GET is a viewer; a HEAD is a health check or a cache's revalidation. */
    if (!request->head)
        spn_web_daemon_touch(self->daemon);
    gboolean not_modified =
        request->has_if_none_match && spn_web_etag_matches(request->if_none_match, self->etag);
    GBytes *head = not_modified ? self->fast_not_modified : self->fast_ok;
    gboolean with_body = !not_modified && !request->head;
    gsize head_len = 0, body_len = 0;
    const char *head_data = g_bytes_get_data(head, &head_len);
    const char *body = with_body ? g_bytes_get_data(self->json, &body_len) : NULL;
    GString *reply = g_string_sized_new(128 + head_len + body_len);
    g_string_append(reply, not_modified ? "HTTP/1.1 304 Not Modified\r\n" : "HTTP/1.1 200 OK\r\n");
    g_string_append(reply, "Server: " SERVER_HEADER "\r\nDate: ");
    g_string_append(reply, http_date(self));
    g_string_append(reply, "\r\n");
    g_string_append_len(reply, head_data, head_len);
    if (with_body)
        g_string_append_len(reply, body, body_len);
    return g_string_free_to_bytes(reply);
}

static void serve_events(SpnWebServer *self, SoupServerMessage *msg)
{
    set_common_headers(self, msg, TRUE);
    if (soup_server_message_get_method(msg) == SOUP_METHOD_HEAD) {
        SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
        soup_message_headers_set_content_type(headers, "text/event-stream", NULL);
        soup_message_headers_replace(headers, "Cache-Control", "no-cache, no-transform");
        soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
        return;
    }
    if (!spn_web_events_open(self->events, msg, spn_web_front_socket_of(msg),
                             self->json != NULL ? self->event : NULL, self->event_id)) {
        respond_unavailable(msg, "too many event streams are open; try again later");
        return;
    }
    /* The seed's tabs asked for freshness on mount. */
    spn_web_daemon_ensure_fresh(self->daemon);
}

/* The cover for the card: the daemon's cached copy, read once per file and bounded. */
static GBytes *card_art(SpnWebServer *self)
{
    GVariant *snapshot = spn_web_daemon_get_snapshot(self->daemon);
    const char *path = NULL;
    if (snapshot == NULL || !g_variant_lookup(snapshot, SPN_KEY_ALBUM_ART_FILE, "&s", &path) ||
        path[0] == '\0')
        return NULL;
    if (g_strcmp0(path, self->art_path) == 0)
        return self->art;
    g_clear_pointer(&self->art, g_bytes_unref);
    g_free(self->art_path);
    self->art_path = g_strdup(path);

    g_autoptr(GFile) file = g_file_new_for_path(path);
    g_autoptr(GError) error = NULL;
    g_autoptr(GFileInfo) info = g_file_query_info(file, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                                  G_FILE_QUERY_INFO_NONE, NULL, &error);
    if (info == NULL || g_file_info_get_size(info) > SPN_WEB_CARD_MAX_ART_BYTES) {
        /* The card shows a blank cover; the path stays out of anything served. */
        g_debug("no cover for the card: %s", error != NULL ? error->message : "too large");
        return NULL;
    }
    char *data = NULL;
    gsize len = 0;
    if (!g_file_load_contents(file, NULL, &data, &len, NULL, &error)) {
        g_debug("no cover for the card: %s", error->message);
        return NULL;
    }
    self->art = g_bytes_new_take(data, len);
    return self->art;
}

static void serve_card(SpnWebServer *self, SoupServerMessage *msg, GHashTable *query)
{
    set_common_headers(self, msg, TRUE);
    const char *theme_name = query != NULL ? g_hash_table_lookup(query, "theme") : NULL;
    SpnWebTheme theme = SPN_WEB_THEME_LIGHT;
    if (theme_name != NULL && g_str_equal(theme_name, "dark"))
        theme = SPN_WEB_THEME_DARK;
    else if (theme_name != NULL && !g_str_equal(theme_name, "light")) {
        spn_web_respond_error(msg, SOUP_STATUS_BAD_REQUEST, "theme must be light or dark");
        return;
    }
    if (self->view == NULL) {
        respond_no_daemon(msg);
        return;
    }
    if (soup_server_message_get_method(msg) == SOUP_METHOD_GET)
        spn_web_daemon_touch(self->daemon);
    GBytes *art = NULL;
    const char *item_type = NULL;
    if (g_variant_lookup(self->view, SPN_KEY_ITEM_TYPE, "&s", &item_type) &&
        !g_str_equal(item_type, "none"))
        art = card_art(self);
    char *svg = spn_web_card_svg(self->view, art, theme, g_get_real_time() / 1000);
    gsize len = strlen(svg);
    g_autofree char *etag = spn_web_etag(svg, len);
    g_autoptr(GBytes) bytes = g_bytes_new_take(svg, len);
    /* An SVG opened on its own is a document: it may run nothing and load nothing. */
    soup_message_headers_replace(soup_server_message_get_response_headers(msg),
                                 "Content-Security-Policy",
                                 "default-src 'none'; img-src data:; style-src 'unsafe-inline'");
    /* no-cache: GitHub's image proxy and browsers revalidate every time (ETag ⇒ 304). */
    respond_bytes(msg, "image/svg+xml; charset=utf-8", bytes, etag, "no-cache");
}

static void serve_resource(SpnWebServer *self, SoupServerMessage *msg, const char *name,
                           const char *content_type, gboolean cors)
{
    set_common_headers(self, msg, cors);
    /* Built in and unchanging: looked up and hashed once. */
    char *etag = g_hash_table_lookup(self->resource_etags, name);
    GBytes *bytes = g_hash_table_lookup(self->resources, name);
    if (bytes == NULL) {
        g_autofree char *path = g_strconcat(RESOURCE_PREFIX, name, NULL);
        g_autoptr(GError) error = NULL;
        bytes = g_resources_lookup_data(path, G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
        if (bytes == NULL) {
            g_critical("built-in %s is missing: %s", name, error->message);
            spn_web_respond_error(msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal error");
            return;
        }
        gsize len = 0;
        const void *data = g_bytes_get_data(bytes, &len);
        etag = spn_web_etag(data, len);
        g_hash_table_insert(self->resources, (char *)name, bytes);
        g_hash_table_insert(self->resource_etags, (char *)name, etag);
    }
    if (g_str_has_prefix(content_type, "text/html"))
        soup_message_headers_replace(soup_server_message_get_response_headers(msg),
                                     "Content-Security-Policy",
                                     "default-src 'self'; img-src * data:; "
                                     "style-src 'self' 'unsafe-inline'");
    respond_bytes(msg, content_type, bytes, etag, "no-cache");
}

typedef enum {
    ROUTE_NONE,
    ROUTE_NOW_PLAYING,
    ROUTE_EVENTS,
    ROUTE_CARD,
    ROUTE_PAGE,
    ROUTE_WIDGET
} Route;

static Route route_of(const char *path)
{
    if (g_str_equal(path, "/api/now-playing"))
        return ROUTE_NOW_PLAYING;
    if (g_str_equal(path, "/api/events"))
        return ROUTE_EVENTS;
    if (g_str_equal(path, "/card.svg"))
        return ROUTE_CARD;
    if (g_str_equal(path, "/") || g_str_equal(path, "/index.html"))
        return ROUTE_PAGE;
    if (g_str_equal(path, "/widget.js"))
        return ROUTE_WIDGET;
    return ROUTE_NONE;
}

static void serve_preflight(SpnWebServer *self, SoupServerMessage *msg)
{
    set_common_headers(self, msg, TRUE);
    SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(headers, "Allow", SPN_WEB_ALLOW);
    if (self->allow_origin[0] != '\0') {
        soup_message_headers_replace(headers, "Access-Control-Allow-Methods", "GET, HEAD");
        soup_message_headers_replace(headers, "Access-Control-Allow-Headers",
                                     "If-None-Match, Last-Event-ID, Cache-Control");
        soup_message_headers_replace(headers, "Access-Control-Max-Age", "86400");
    }
    soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, NULL);
}

static void handle(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                   gpointer user_data)
{
    SpnWebServer *self = user_data;
    /* The early handler answered already (a bound or a method). */
    if (soup_server_message_get_status(msg) != 0)
        return;
    /* Each request libsoup answers is its connection's last: idle connections wait in the
     * front door only (web-front.h says why). */
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
                                 "close");
    Route route = route_of(path);
    if (route == ROUTE_NONE) {
        spn_web_respond_error(
            msg, SOUP_STATUS_NOT_FOUND,
            "not found; spotnow-web serves /, /widget.js, /card.svg, /api/now-playing "
            "and /api/events");
        return;
    }
    if (soup_server_message_get_method(msg) == SOUP_METHOD_OPTIONS) {
        serve_preflight(self, msg);
        return;
    }
    switch (route) {
        case ROUTE_NOW_PLAYING:
            serve_now_playing(self, msg);
            break;
        case ROUTE_EVENTS:
            serve_events(self, msg);
            break;
        case ROUTE_CARD:
            serve_card(self, msg, query);
            break;
        case ROUTE_PAGE:
            serve_resource(self, msg, "index.html", "text/html; charset=utf-8", FALSE);
            break;
        case ROUTE_WIDGET:
            serve_resource(self, msg, "widget.js", "text/javascript; charset=utf-8", TRUE);
            break;
        case ROUTE_NONE:
        default:
            g_assert_not_reached();
    }
}

/* ---- life cycle ---------------------------------------------------------------------------- */

SpnWebServer *spn_web_server_new(const SpnWebConfig *config, SpnWebDaemon *daemon)
{
    SpnWebServer *self = g_new0(SpnWebServer, 1);
    self->server = soup_server_new("server-header", SERVER_HEADER, NULL);
    self->linger = spn_web_linger_new(SPN_WEB_MAX_PENDING, SPN_WEB_LINGER_S);
    self->front =
        spn_web_front_new(self->server, self->linger, NOW_PLAYING_PATH, SPN_WEB_MAX_PENDING,
                          SPN_WEB_REQUEST_TIMEOUT_S, answer_fast, self);
    self->daemon = g_object_ref(daemon);
    self->allow_origin = g_strdup(config->allow_origin);
    self->show_last_played = config->show_last_played;
    self->events = spn_web_events_new(config->max_streams, on_stream_count, self);
    self->resources =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_bytes_unref);
    self->resource_etags = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    /* Before the handler: the bounds' early handler answers refusals first. */
    self->bounds = spn_web_bounds_new(self->server, self->linger);
    soup_server_add_handler(self->server, NULL, handle, self, NULL);
    g_signal_connect(daemon, "changed", G_CALLBACK(on_daemon_changed), self);
    update_view(self);
    return self;
}

gboolean spn_web_server_listen(SpnWebServer *self, GSocketAddress *address, GError **error)
{
    g_autoptr(GSocket) socket = g_socket_new(g_socket_address_get_family(address),
                                             G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
    if (socket == NULL)
        return FALSE;
    /* libsoup's own listen() keeps GLib's backlog of 10: a burst of visitors would wait
     * seconds for SYN retries. */
    g_socket_set_listen_backlog(socket, SPN_WEB_LISTEN_BACKLOG);
    if (!g_socket_bind(socket, address, TRUE, error) || !g_socket_listen(socket, error))
        return FALSE;
    return spn_web_front_add_listener(self->front, socket, error);
}

gboolean spn_web_server_listen_socket(SpnWebServer *self, GSocket *socket, GError **error)
{
    return spn_web_front_add_listener(self->front, socket, error);
}

char *spn_web_server_describe(SpnWebServer *self)
{
    return spn_web_front_describe(self->front);
}

void spn_web_server_free(SpnWebServer *self)
{
    if (self == NULL)
        return;
    g_signal_handlers_disconnect_by_data(self->daemon, self);
    /* libsoup's connections first: no answer is written after this, so no message reaches
     * the front door or the bounds once they are gone. */
    soup_server_disconnect(self->server);
    g_clear_pointer(&self->front, spn_web_front_free);
    spn_web_events_free(self->events);
    g_clear_pointer(&self->bounds, spn_web_bounds_free);
    g_clear_pointer(&self->linger, spn_web_linger_free);
    g_clear_object(&self->server);
    g_clear_object(&self->daemon);
    g_clear_pointer(&self->view, g_variant_unref);
    g_clear_pointer(&self->json, g_bytes_unref);
    g_clear_pointer(&self->fast_ok, g_bytes_unref);
    g_clear_pointer(&self->fast_not_modified, g_bytes_unref);
    g_clear_pointer(&self->event, g_bytes_unref);
    g_clear_pointer(&self->art, g_bytes_unref);
    g_clear_pointer(&self->resources, g_hash_table_unref);
    g_clear_pointer(&self->resource_etags, g_hash_table_unref);
    g_free(self->art_path);
    g_free(self->event_json);
    g_free(self->etag);
    g_free(self->date);
    g_free(self->allow_origin);
    g_free(self);
}
