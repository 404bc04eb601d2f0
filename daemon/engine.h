/* engine.h — the now-playing engine: one canonical snapshot, the credentials, and the single
 * scheduler through which every poll goes (DESIGN.md section 4). No D-Bus here: service.c maps
 * the bus onto these calls and signals, so the engine is reusable behind MPRIS too. */
#pragma once

#include <gio/gio.h>

#include "config.h"

G_BEGIN_DECLS

#define SPN_TYPE_ENGINE (spn_engine_get_type())
G_DECLARE_FINAL_TYPE(SpnEngine, spn_engine, SPN, ENGINE, GObject)

/* @config is borrowed and must outlive the engine.
 * Loads state.ini and credentials.ini from @state_dir synchronously, so the last snapshot is
 * served before any network traffic. Corrupt files are set aside (see store.h); unreadable
 * ones are warned about and the engine runs from memory. Never fails. */
SpnEngine *spn_engine_new(const SpnConfig *config, const char *state_dir);

/* Arms the timers (call once the bus name is owned). */
void spn_engine_start(SpnEngine *self);

/* Persists the poll bookkeeping and cancels any request in flight. */
void spn_engine_shutdown(SpnEngine *self);

/* a{sv} snapshot (DESIGN.md section 2) and a{sv} status (GetStatus), floating. */
GVariant *spn_engine_dup_snapshot(SpnEngine *self);
GVariant *spn_engine_dup_status(SpnEngine *self);

/* EnsureFresh: polls (or joins the poll in flight) when the cache is stale and no back-off is in
 * force, else answers at once. The result is the snapshot a{sv}; the only error is
 * SPN_ERROR_SIGNED_OUT. */
void spn_engine_ensure_fresh(SpnEngine *self, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
GVariant *spn_engine_ensure_fresh_finish(SpnEngine *self, GAsyncResult *result, GError **error);

/* ReportViewerPresence from @sender. *@new_sender tells the caller to watch @sender's name and
 * call spn_engine_forget_sender() when it leaves the bus. Errors: INVALID_ARGS, BUSY. */
gboolean spn_engine_report_viewer(SpnEngine *self, const char *sender, const char *viewer_id,
                                  gboolean *new_sender, GError **error);
void spn_engine_forget_sender(SpnEngine *self, const char *sender);

G_END_DECLS
