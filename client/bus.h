/* bus.h — how the CLI reaches the daemon: the bus, the proxy, and what a failed call means.
 *
 * The session bus honours DBUS_SESSION_BUS_ADDRESS (and the system bus
 * DBUS_SYSTEM_BUS_ADDRESS), so tests run the CLI against a daemon on a private bus.
 */
#pragma once

#include <gio/gio.h>

#include "spn-client.h"
#include "spn-dbus.h"
#include "spn-protocol.h"

G_BEGIN_DECLS

/* EnsureFresh may wait for a poll: token refresh plus a retried request, 15 s each at most. */
#define SPN_BUS_FRESH_TIMEOUT_MS SPN_CLIENT_CALL_TIMEOUT_MS

/* The exit codes of doc/design.md section 7. */
typedef enum {
    SPN_EXIT_OK = 0,
    SPN_EXIT_NOTHING_PLAYING = 1, /* also: a request failed for another reason */
    SPN_EXIT_USAGE = 2,
    SPN_EXIT_UNREACHABLE = 3,
    SPN_EXIT_SIGNED_OUT = 4,
} SpnExit;

typedef enum {
    SPN_BUS_FAILURE_OTHER,
    SPN_BUS_FAILURE_UNREACHABLE,   /* nobody owns the name (and activation could not start it:
                                    * spn_bus_is_failed_start says whether it tried and failed) */
    SPN_BUS_FAILURE_RETRY,         /* the name had no owner at call time but has one now */
    SPN_BUS_FAILURE_NO_ANSWER,     /* the daemon is there but did not reply in time */
    SPN_BUS_FAILURE_SIGNED_OUT,    /* io.github.spotnow.Error.SignedOut */
    SPN_BUS_FAILURE_NOT_SUPPORTED, /* io.github.spotnow.Error.NotSupported */
} SpnBusFailure;

/* TRUE when @error says D-Bus activation ran spotnowd and it ended (or could not be run):
 * "failed to start", not "not running". */
gboolean spn_bus_is_failed_start(const GError *error);

/* The daemon clients name and run: $SPOTNOWD when set (a build tree, a test), else the
 * installed one (libexecdir, not on PATH). */
const char *spn_bus_daemon_path(void);

/* Why the daemon cannot start, in its own words: the error `spotnowd --check-config` prints
 * (for the config activation uses), or NULL when the config is fine and the reason lies
 * elsewhere (then the journal or a start by hand tells). */
char *spn_bus_daemon_reason(gboolean system);

/* Prints why the daemon failed to start on stderr (its own reason when it has one, else where
 * to look); returns SPN_EXIT_UNREACHABLE. */
int spn_bus_report_failed_start(gboolean system, const GError *error);

/* Connects, or explains on stderr what is missing (no session bus: --system, dbus-run-session
 * or dbus-user-session) and returns NULL. */
GDBusConnection *spn_bus_connect_or_explain(gboolean system);

GDBusConnection *spn_bus_connect(gboolean system, GError **error);

/* A proxy on the well-known name, so calls may D-Bus-activate the daemon and signals follow the
 * name to a restarted daemon. */
SpnNowPlaying1 *spn_bus_proxy(GDBusConnection *connection, GError **error);

SpnBusFailure spn_bus_classify(GDBusConnection *connection, const GError *error);

/* The one-line hint printed when the daemon is not reachable (to stderr). */
void spn_bus_print_unreachable(gboolean system, const GError *error);

/* Reports an UNREACHABLE, RETRY or NO_ANSWER failure on stderr (a failed start with the
 * daemon's reason, spn_bus_report_failed_start); returns SPN_EXIT_UNREACHABLE. */
int spn_bus_report_unreachable(SpnBusFailure failure, gboolean system, const GError *error);

/* The error's message without the "GDBus.Error:name:" prefix. Newly allocated. */
char *spn_bus_error_message(const GError *error);

/* Blocks until someone owns the name. FALSE when SIGINT/SIGTERM came first. */
gboolean spn_bus_wait_for_name(GDBusConnection *connection);

/* spn_bus_wait_for_name, and with @retry_start
 * (the daemon failed to start, e.g. for a bad config.ini) it asks the bus to start it again
 * every SPN_BUS_RETRY_START_MS once `spotnowd --check-config` passes, so fixing the file is
 * enough. */
gboolean spn_bus_wait_for_daemon(GDBusConnection *connection, gboolean system,
                                 gboolean retry_start);

#define SPN_BUS_RETRY_START_MS 2000

/* TRUE when @system's daemon would start now by its config (spn_bus_daemon_reason is NULL):
 * then StartServiceByName is asked, asynchronously, and FALSE is never a bus error. */
gboolean spn_bus_try_start(GDBusConnection *connection, gboolean system);

G_END_DECLS
