/* harness.h — what the fake-spotify integration tests share: starting the real binary on port 0
 * (one per test case, stopped with SIGTERM, which must exit 0) and one-shot HTTP requests to it. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#define FAKE_CLIENT_ID "smoke-client"

typedef struct {
    GSubprocess *process;
    char *tmpdir;
    guint port;
    SoupSession *session;
} Fake;

typedef struct {
    guint status;
    GBytes *body;
    SoupMessageHeaders *headers;
    GError *error;
    gint64 elapsed_ms;
} Reply;

void reply_free(Reply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Reply, reply_free)

/* g_test_add fixture functions. @data: NULL, or a NULL-terminated array of extra command-line
 * arguments. The fake starts with --client-id FAKE_CLIENT_ID, --rotate-refresh-token and a
 * timeline of one song, "Smoke Song", playing for an hour from 0:20. */
void fake_setup(Fake *fake, gconstpointer data);
void fake_teardown(Fake *fake, gconstpointer data);

/* One request on its own connection, redirects not followed, waited for on this thread's main
 * context. @path_or_url is a path on the fake or a whole URL; @form, if given, is the body. */
Reply *request(Fake *fake, const char *method, const char *path_or_url, const char *authorization,
               const char *form);
/* POST to the control API with @body; asserts the request went through. */
Reply *control(Fake *fake, const char *path, const char *body);
/* The same, asserting 200. */
void control_ok(Fake *fake, const char *path);
/* GET /control/stats. */
JsonObject *stats(Fake *fake);

char *body_text(const Reply *reply);
JsonObject *body_object(const Reply *reply);
void assert_body_contains(const Reply *reply, const char *needle);
