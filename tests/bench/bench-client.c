/* bench-client.c — the D-Bus side of the benchmarks, in C so the client's own cost is small and
 * the same for every call kind. tests/bench/bench.py starts the bus, the fake and spotnowd, runs
 * this with a subcommand, and reads its `name: value` lines.
 *
 *   spn-bench-client latency  ADDRESS CALLS      CurrentlyPlaying vs Peer.Ping, alternated
 *   spn-bench-client mixed    ADDRESS CALLS      CurrentlyPlaying/GetStatus/EnsureFresh/Report…
 *   spn-bench-client presence ADDRESS CONNS IDS  CONNS connections report IDS viewer ids each,
 *                                                 then wait for a line on stdin, then leave
 *   spn-bench-client burst    ADDRESS CALLS      CALLS connections send EnsureFresh at once
 */
#define G_LOG_DOMAIN "spotnow-bench"

#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BUS_NAME "io.github.spotnow.NowPlaying1"
#define OBJECT_PATH "/io/github/spotnow/NowPlaying1"
#define INTERFACE "io.github.spotnow.NowPlaying1"
#define BUSY_ERROR "io.github.spotnow.Error.Busy"

/* Warm-up calls of each kind before timing: the first calls pay for type info, caches and page
 * faults on both sides, which is not what a cache read costs. */
#define WARMUP_CALLS 500

static gint64 now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (gint64)ts.tv_sec * G_GINT64_CONSTANT(1000000000) + ts.tv_nsec;
}

static GDBusConnection *connect_bus(const char *address, GError **error)
{
    return g_dbus_connection_new_for_address_sync(
        address,
        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, error);
}

static GVariant *call(GDBusConnection *connection, const char *interface, const char *method,
                      GVariant *args, GError **error)
{
    return g_dbus_connection_call_sync(connection, BUS_NAME, OBJECT_PATH, interface, method, args,
                                       NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, 30000, NULL, error);
}

/* ---- latency ------------------------------------------------------------------------------ */

typedef struct {
    const char *name;
    const char *interface;
    const char *method;
    gint64 *samples_ns;
} CallKind;

static gboolean timed_call(GDBusConnection *connection, CallKind *kind, guint index, GError **error)
{
    gint64 start = now_ns();
    g_autoptr(GVariant) reply = call(connection, kind->interface, kind->method, NULL, error);
    gint64 end = now_ns();
    if (reply == NULL)
        return FALSE;
    if (kind->samples_ns != NULL)
        kind->samples_ns[index] = end - start;
    return TRUE;
}

static int compare_gint64(gconstpointer a, gconstpointer b)
{
    gint64 x = *(const gint64 *)a;
    gint64 y = *(const gint64 *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples, in microseconds. */
static double percentile_us(const gint64 *sorted, guint n, double p)
{
    guint rank = (guint)(p / 100.0 * n + 0.999999);
    rank = CLAMP(rank, 1u, n);
    return sorted[rank - 1] / 1000.0;
}

static void print_stats(CallKind *kind, guint n)
{
    qsort(kind->samples_ns, n, sizeof(gint64), compare_gint64);
    g_print("%s-median-us: %.1f\n", kind->name, percentile_us(kind->samples_ns, n, 50));
    g_print("%s-p99-us: %.1f\n", kind->name, percentile_us(kind->samples_ns, n, 99));
    g_print("%s-min-us: %.1f\n", kind->name, kind->samples_ns[0] / 1000.0);
}

/* How long GDBus takes to turn this kind's reply into bytes (the daemon's side) and back (the
 * client's side), in-process, so the round-trip difference can be split into what the payload
 * costs in any GDBus process and what the daemon's path adds. */
static gboolean print_serialization(GDBusConnection *connection, CallKind *kind, GError **error)
{
    const guint rounds = 20000;
    const GDBusCapabilityFlags caps = G_DBUS_CAPABILITY_FLAGS_UNIX_FD_PASSING;
    g_autoptr(GDBusMessage) message =
        g_dbus_message_new_method_call(BUS_NAME, OBJECT_PATH, kind->interface, kind->method);
    g_autoptr(GDBusMessage) reply = g_dbus_connection_send_message_with_reply_sync(
        connection, message, G_DBUS_SEND_MESSAGE_FLAGS_NONE, 30000, NULL, NULL, error);
    if (reply == NULL || g_dbus_message_to_gerror(reply, error))
        return FALSE;
    gsize size = 0;
    g_autofree guchar *blob = g_dbus_message_to_blob(reply, &size, caps, error);
    if (blob == NULL)
        return FALSE;
    gint64 start = now_ns();
    for (guint i = 0; i < rounds; i++) {
        gsize ignored;
        g_free(g_dbus_message_to_blob(reply, &ignored, caps, NULL));
    }
    gint64 middle = now_ns();
    for (guint i = 0; i < rounds; i++) {
        g_autoptr(GDBusMessage) parsed = g_dbus_message_new_from_blob(blob, size, caps, NULL);
        g_assert_nonnull(parsed);
    }
    gint64 end = now_ns();
    g_print("%s-reply-bytes: %" G_GSIZE_FORMAT "\n", kind->name, size);
    g_print("%s-to-blob-us: %.2f\n", kind->name, (middle - start) / 1e3 / rounds);
    g_print("%s-from-blob-us: %.2f\n", kind->name, (end - middle) / 1e3 / rounds);
    return TRUE;
}

/* What a GDBusProxy client pays to read the snapshot: the Snapshot property from its cache,
 * kept current by PropertiesChanged, with no round trip at all. */
static gboolean time_property_reads(GDBusConnection *connection, guint reads, GError **error)
{
    g_autoptr(GDBusProxy) proxy = g_dbus_proxy_new_sync(
        connection, G_DBUS_PROXY_FLAGS_NONE, NULL, BUS_NAME, OBJECT_PATH, INTERFACE, NULL, error);
    if (proxy == NULL)
        return FALSE;
    g_autofree gint64 *samples = g_new0(gint64, reads);
    CallKind kind = {"property", NULL, NULL, samples};
    for (guint i = 0; i < reads; i++) {
        gint64 start = now_ns();
        g_autoptr(GVariant) snapshot = g_dbus_proxy_get_cached_property(proxy, "Snapshot");
        samples[i] = now_ns() - start;
        if (snapshot == NULL) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no Snapshot property");
            return FALSE;
        }
    }
    print_stats(&kind, reads);
    return TRUE;
}

static int run_latency(GDBusConnection *connection, guint calls)
{
    CallKind kinds[2] = {
        {"currently-playing", INTERFACE, "CurrentlyPlaying", NULL},
        {"ping", "org.freedesktop.DBus.Peer", "Ping", NULL},
    };
    g_autoptr(GError) error = NULL;
    for (guint i = 0; i < WARMUP_CALLS; i++) {
        for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
            if (!timed_call(connection, &kinds[k], 0, &error)) {
                g_printerr("warm-up %s: %s\n", kinds[k].method, error->message);
                return 1;
            }
        }
    }
    g_autofree gint64 *cp = g_new0(gint64, calls);
    g_autofree gint64 *ping = g_new0(gint64, calls);
    kinds[0].samples_ns = cp;
    kinds[1].samples_ns = ping;
    /* Alternate, and swap which goes first on every round, so neither kind systematically
     * follows the other (cache state, scheduler timing). */
    for (guint i = 0; i < calls; i++) {
        for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
            CallKind *kind = &kinds[(k + i) % G_N_ELEMENTS(kinds)];
            if (!timed_call(connection, kind, i, &error)) {
                g_printerr("%s: %s\n", kind->method, error->message);
                return 1;
            }
        }
    }
    g_print("calls-each: %u\n", calls);
    print_stats(&kinds[0], calls);
    print_stats(&kinds[1], calls);
    if (!time_property_reads(connection, calls, &error)) {
        g_printerr("Snapshot property: %s\n", error->message);
        return 1;
    }
    for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
        if (!print_serialization(connection, &kinds[k], &error)) {
            g_printerr("%s: %s\n", kinds[k].method, error->message);
            return 1;
        }
    }
    return 0;
}

/* ---- mixed calls -------------------------------------------------------------------------- */

static int run_mixed(GDBusConnection *connection, guint calls)
{
    guint errors = 0;
    gint64 start = now_ns();
    for (guint i = 0; i < calls; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) reply = NULL;
        switch (i % 4) {
            case 0:
                reply = call(connection, INTERFACE, "CurrentlyPlaying", NULL, &error);
                break;
            case 1:
                reply = call(connection, INTERFACE, "GetStatus", NULL, &error);
                break;
            case 2:
                reply = call(connection, INTERFACE, "EnsureFresh", NULL, &error);
                break;
            default: {
                /* A handful of ids, as a few panels would use: this phase measures calls, the
                 * next one the table. */
                g_autofree char *id = g_strdup_printf("mixed-viewer-%u", (i / 4) % 8);
                reply = call(connection, INTERFACE, "ReportViewerPresence",
                             g_variant_new("(s)", id), &error);
                break;
            }
        }
        if (reply == NULL) {
            if (errors++ == 0)
                g_printerr("call %u: %s\n", i, error->message);
        }
    }
    g_print("mixed-calls: %u\n", calls);
    g_print("mixed-errors: %u\n", errors);
    g_print("mixed-elapsed-s: %.2f\n", (now_ns() - start) / 1e9);
    return errors == 0 ? 0 : 1;
}

/* ---- presence table ----------------------------------------------------------------------- */

static guint32 viewers_in_status(GDBusConnection *connection, GError **error)
{
    g_autoptr(GVariant) reply = call(connection, INTERFACE, "GetStatus", NULL, error);
    if (reply == NULL)
        return G_MAXUINT32;
    g_autoptr(GVariant) status = g_variant_get_child_value(reply, 0);
    guint32 viewers = G_MAXUINT32;
    g_variant_lookup(status, "viewers", "u", &viewers);
    return viewers;
}

static void wait_for_line(void)
{
    char line[64];
    if (fgets(line, sizeof line, stdin) == NULL)
        g_debug("stdin closed");
}

static int run_presence(const char *address, guint n_connections, guint ids_each)
{
    g_autoptr(GPtrArray) connections = g_ptr_array_new_with_free_func(g_object_unref);
    g_autoptr(GError) error = NULL;
    guint ok = 0, busy = 0, other = 0;
    for (guint c = 0; c < n_connections; c++) {
        GDBusConnection *connection = connect_bus(address, &error);
        if (connection == NULL) {
            g_printerr("connection %u: %s\n", c, error->message);
            return 1;
        }
        g_ptr_array_add(connections, connection);
        for (guint k = 0; k < ids_each; k++) {
            g_autoptr(GError) call_error = NULL;
            g_autofree char *id = g_strdup_printf("bench-conn%03u-viewer%03u", c, k);
            g_autoptr(GVariant) reply = call(connection, INTERFACE, "ReportViewerPresence",
                                             g_variant_new("(s)", id), &call_error);
            g_autofree char *remote =
                call_error != NULL ? g_dbus_error_get_remote_error(call_error) : NULL;
            if (reply != NULL)
                ok++;
            else if (g_strcmp0(remote, BUSY_ERROR) == 0)
                busy++;
            else if (other++ == 0)
                g_printerr("viewer %s: %s\n", id, call_error->message);
        }
    }
    guint32 held = viewers_in_status(g_ptr_array_index(connections, 0), &error);
    if (held == G_MAXUINT32) {
        g_printerr("GetStatus: %s\n", error ? error->message : "no viewers key");
        return 1;
    }
    g_print("presence-reports: %u\n", n_connections * ids_each);
    g_print("presence-accepted: %u\n", ok);
    g_print("presence-busy: %u\n", busy);
    g_print("presence-other-errors: %u\n", other);
    g_print("presence-table-held: %u\n", held);
    g_print("ready\n");
    fflush(stdout);
    /* The driver measures the daemon's memory while every connection is still on the bus. */
    wait_for_line();
    for (guint c = 0; c < connections->len; c++)
        g_dbus_connection_close_sync(g_ptr_array_index(connections, c), NULL, NULL);
    g_print("closed\n");
    fflush(stdout);
    return other == 0 ? 0 : 1;
}

/* ---- burst of EnsureFresh ----------------------------------------------------------------- */

typedef struct {
    GMainLoop *loop;
    guint pending;
    guint errors;
    gint64 last_reply_ns;
} Burst;

static void on_burst_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Burst *burst = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
    burst->last_reply_ns = now_ns();
    if (reply == NULL && burst->errors++ == 0)
        g_printerr("EnsureFresh: %s\n", error->message);
    if (--burst->pending == 0)
        g_main_loop_quit(burst->loop);
}

static int run_burst(const char *address, guint calls)
{
    g_autoptr(GPtrArray) connections = g_ptr_array_new_with_free_func(g_object_unref);
    g_autoptr(GError) error = NULL;
    /* One connection per caller, opened before the clock starts: 200 panels, not one
     * pipelining client. */
    for (guint c = 0; c < calls; c++) {
        GDBusConnection *connection = connect_bus(address, &error);
        if (connection == NULL) {
            g_printerr("connection %u: %s\n", c, error->message);
            return 1;
        }
        g_ptr_array_add(connections, connection);
    }
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    Burst burst = {.loop = loop, .pending = calls};
    gint64 start = now_ns();
    for (guint c = 0; c < calls; c++)
        g_dbus_connection_call(g_ptr_array_index(connections, c), BUS_NAME, OBJECT_PATH, INTERFACE,
                               "EnsureFresh", NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, 30000,
                               NULL, on_burst_reply, &burst);
    gint64 sent = now_ns();
    g_main_loop_run(loop);
    g_print("burst-calls: %u\n", calls);
    g_print("burst-errors: %u\n", burst.errors);
    g_print("burst-send-ms: %.1f\n", (sent - start) / 1e6);
    g_print("burst-last-reply-ms: %.1f\n", (burst.last_reply_ns - start) / 1e6);
    return burst.errors == 0 ? 0 : 1;
}

/* ---- main --------------------------------------------------------------------------------- */

static guint parse_count(const char *text)
{
    guint64 value = 0;
    if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXUINT32, &value, NULL)) {
        g_printerr("not a count: %s\n", text);
        exit(2);
    }
    return (guint)value;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        g_printerr("usage: %s latency|mixed|burst ADDRESS CALLS | presence ADDRESS CONNS IDS\n",
                   argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    const char *address = argv[2];
    guint count = parse_count(argv[3]);
    if (g_str_equal(mode, "presence"))
        return argc == 5 ? run_presence(address, count, parse_count(argv[4])) : 2;
    if (g_str_equal(mode, "burst"))
        return run_burst(address, count);

    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) connection = connect_bus(address, &error);
    if (connection == NULL) {
        g_printerr("%s: %s\n", address, error->message);
        return 1;
    }
    if (g_str_equal(mode, "latency"))
        return run_latency(connection, count);
    if (g_str_equal(mode, "mixed"))
        return run_mixed(connection, count);
    g_printerr("unknown mode %s\n", mode);
    return 2;
}
