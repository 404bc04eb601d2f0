/* follow.h — `spotnow --follow`: a line on start and on every change, until told to stop.
 *
 * On start (and whenever the daemon (re)appears) it calls EnsureFresh and prints; then it prints
 * on every Changed (and StatusChanged, for the panels' signed-out class), never the same line
 * twice in a row; it re-renders once a second while playing if the output shows the position
 * (spn_render_output_ticks), with no timer at all while paused; it reports viewer presence as
 * "spotnow-cli-<pid>" every presence TTL / 2 (GetStatus "presenceTtlMs" if the daemon gives it,
 * else 60 s). Every line is flushed at once, so a pipe reader sees it immediately.
 *
 * Returns the exit code: 0 after SIGINT/SIGTERM; 3 when the daemon leaves the bus (or is not
 * there at start), unless @wait, which waits for it to come back (name watching, no polling)
 * and meanwhile shows spn_render_not_running, printed the moment the daemon leaves;
 * 1 when stdout fails (EPIPE with SIGPIPE ignored, a full disk) or, for a pipe or socket, its
 * reader is gone, even before the next line is due.
 */
#pragma once

#include <gio/gio.h>

#include "render.h"

G_BEGIN_DECLS

int spn_follow_run(GDBusConnection *connection, const SpnOutput *output, gboolean wait,
                   gboolean system);

G_END_DECLS
