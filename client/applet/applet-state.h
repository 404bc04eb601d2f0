/* applet-state.h — what the applet shows, decided from what the daemon says.
 *
 * Pure: no GTK, no bus, no clock (callers pass "now"), so every state of the issue is
 * unit-tested without a display. The window only copies a view into its widgets.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Whether the daemon owns its bus name, as far as the applet knows. */
typedef enum {
    SPN_APPLET_DAEMON_UNKNOWN, /* not asked the bus yet */
    SPN_APPLET_DAEMON_ABSENT,
    SPN_APPLET_DAEMON_PRESENT,
} SpnAppletDaemon;

typedef enum {
    SPN_APPLET_MODE_CONNECTING,   /* daemon present, snapshot or status not read yet */
    SPN_APPLET_MODE_NO_DAEMON,    /* nobody owns the bus name */
    SPN_APPLET_MODE_SIGNED_OUT,   /* authState signed-out or revoked */
    SPN_APPLET_MODE_NEVER_PLAYED, /* signed in, nothing seen yet */
    SPN_APPLET_MODE_PLAYING,      /* a track or an episode plays */
    SPN_APPLET_MODE_LAST_PLAYED,  /* paused or inactive: the last item, labelled so */
    SPN_APPLET_MODE_AD,           /* an ad plays; the last item's art stays */
} SpnAppletMode;

typedef struct {
    SpnAppletMode mode;
    char *headline;  /* the small line above the title; never NULL */
    char *title;     /* never NULL */
    char *subtitle;  /* never NULL; "" hides it */
    char *help;      /* longer explanation for a tooltip or popover; never NULL, may be "" */
    char *track_url; /* NULL: the title is not a link and there is nothing to copy; https only */
    char *art_file;  /* NULL: the placeholder icon */
    gboolean art_dimmed;
    gboolean art_expected; /* an image URL without its cached file yet: the daemon is fetching */
    gboolean show_progress;
    gboolean ticking; /* progress moves with the clock: only while playing */
    gint64 progress_ms;
    gint64 duration_ms;
    gint64 fetched_at; /* Unix ms at which progress_ms was true */
    gboolean show_sign_in;
    char *sign_in_label; /* NULL unless show_sign_in */
    char *warning;       /* NULL when all is well; else the reason, for a tooltip */
} SpnAppletView;

/* @snapshot and @status: the a{sv} of CurrentlyPlaying/Changed and GetStatus/StatusChanged,
 * NULL while unknown. @daemon_path: where spotnowd is installed, for the not-running hint.
 * @now_ms: Unix ms (the back-off end is shown relative to it). */
SpnAppletView *spn_applet_view_new(SpnAppletDaemon daemon, GVariant *snapshot, GVariant *status,
                                   const char *daemon_path, gint64 now_ms);
void spn_applet_view_free(SpnAppletView *view);

/* A daemon that D-Bus activation could not start: "spotnowd failed to start" with @reason (its
 * own words, "" when unknown) instead of "not running". Changes only a NO_DAEMON view. */
void spn_applet_view_set_start_failure(SpnAppletView *view, const char *reason);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpnAppletView, spn_applet_view_free)

/* min(duration, progress + (now − fetchedAt)) while ticking, else the progress as fetched. */
gint64 spn_applet_view_progress(const SpnAppletView *view, gint64 now_ms);

/* Milliseconds until the elapsed time shown changes, or 0 when it will not (not ticking, or at
 * the end): the window's timer sleeps exactly that long, and not at all when paused. */
guint spn_applet_view_next_tick_ms(const SpnAppletView *view, gint64 now_ms);

/* Why the menu's Play/Pause, Next and Previous are greyed out, or NULL when they work: no
 * daemon, not signed in, or @refusal (the daemon's reason from a refused command, kept until
 * the next sign-in: Spotify's PREMIUM_REQUIRED turns control off until then). */
char *spn_applet_control_reason(SpnAppletDaemon daemon, GVariant *status, const char *refusal);

/* "3:07", or "1:02:03" from an hour on. */
char *spn_applet_format_time(gint64 ms);

/* For screen readers: "1:23 of 3:45". */
char *spn_applet_view_progress_text(const SpnAppletView *view, gint64 now_ms);

G_END_DECLS
