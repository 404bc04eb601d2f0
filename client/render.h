/* render.h — every output of `spotnow`, computed from a snapshot, a status and a clock.
 *
 * Pure: no I/O, no clock (callers pass now_ms), no D-Bus. The snapshot is the a{sv} of
 * doc/design.md section 2 and the status the a{sv} of GetStatus(); either may lack keys (an older
 * or newer daemon), and every function copes. Unless said otherwise, returned text has no
 * trailing newline.
 */
#pragma once

#include <glib.h>

#include "template.h"

G_BEGIN_DECLS

typedef enum {
    SPN_OUTPUT_LINE,     /* the human line */
    SPN_OUTPUT_JSON,     /* the snapshot as one JSON object */
    SPN_OUTPUT_TEMPLATE, /* --format */
    SPN_OUTPUT_WAYBAR,   /* waybar's custom-module JSON; text from the template when given */
    SPN_OUTPUT_I3BLOCKS, /* full text, short text, colour; full text from the template */
} SpnOutputMode;

typedef struct {
    SpnOutputMode mode;
    const SpnTemplate *tmpl; /* required for TEMPLATE, optional for WAYBAR and I3BLOCKS */
    gboolean colour;         /* ANSI colour in the human line */
    gboolean follow;         /* a line of a --follow stream (see spn_render_output) */
} SpnOutput;

/* The playback state, as playerctl names it and as the panels' classes use it. */
typedef enum {
    SPN_STATE_PLAYING,
    SPN_STATE_PAUSED,  /* isPlaying false with something seen: the "last played" fallback */
    SPN_STATE_STOPPED, /* itemType "none": nothing ever seen */
} SpnState;

SpnState spn_render_state(GVariant *snapshot);

/* "Playing", "Paused" or "Stopped": the template variable `status`. */
const char *spn_render_state_name(SpnState state);

/* min(durationMs, progressMs + (now − fetchedAt)) while playing, else progressMs. */
gint64 spn_render_position_ms(GVariant *snapshot, gint64 now_ms);

/* TRUE when @status says the daemon has no usable credentials (signed-out or revoked). */
gboolean spn_render_is_signed_out(GVariant *status);

/* The template variables: every snapshot key, plus playerctl's names (title, artist, album,
 * xesam:title, xesam:artist, xesam:album, xesam:url, mpris:artUrl, mpris:length, position,
 * status, playerName). Returns a new a{sv}. */
GVariant *spn_render_variables(GVariant *snapshot, gint64 now_ms);

/* "▶ Artist — Title (1:23/3:45)", "⏸ Artist — Title (last played)", "Nothing played yet",
 * "▶ Advertisement (last played: Artist — Title)". With @with_progress FALSE the "(1:23/3:45)"
 * is left out (a --follow stream prints on change, not every second). */
char *spn_render_line(GVariant *snapshot, gint64 now_ms, gboolean with_progress, gboolean colour);

/* An a{sv} (snapshot or status) as one compact JSON object: the same keys, absent keys absent,
 * numbers as numbers, booleans as booleans, the snapshot's keys in doc/design.md's order. */
char *spn_render_json(GVariant *dict);

/* waybar: {"text","alt","tooltip","class","percentage"}. @text: the text to show (e.g. a
 * rendered template, used as is), or NULL for the default short line (markup-escaped, as waybar
 * reads Pango markup). @status may be NULL. class is "signed-out", then "stale" while a hold is
 * in force (the tooltip says why), else the state ("playing", "paused", "stopped", "ad"). An
 * ad's percentage is 0: its progress is unknown. */
char *spn_render_waybar(GVariant *snapshot, GVariant *status, const char *text, gint64 now_ms);

/* i3blocks: three lines (full text, short text, colour). @text replaces the full text; else
 * the full text says when it is signed out or stale, since i3blocks' persist mode (and a colour
 * blind reader) sees no colour. */
char *spn_render_i3blocks(GVariant *snapshot, GVariant *status, const char *text, gint64 now_ms);

/* The output @output asks for. In a --follow stream, the human line leaves out the progress and
 * i3blocks prints the full text only (its persist mode reads one line per update), marked when
 * signed out or stale. Every output, JSON included, shows spn_render_effective_snapshot, with
 * control characters removed from the daemon's strings. Fails only when the template fails to
 * render (SPN_TEMPLATE_ERROR_EVAL). */
char *spn_render_output(const SpnOutput *output, GVariant *snapshot, GVariant *status,
                        gint64 now_ms, GError **error);

/* The line a --follow --wait stream prints the moment the daemon leaves the bus, so a panel
 * does not keep showing a track as playing: the human line and i3blocks say "spotnowd is not
 * running", waybar gets class and alt "not-running", JSON {"isPlaying": false, "itemType":
 * "none", "daemonRunning": false}, a template prints the human line. With @failure (the reason
 * D-Bus activation could not start it, "" when unknown) they say "spotnowd failed to start"
 * instead, and waybar's tooltip gives the reason. */
char *spn_render_not_running(const SpnOutput *output, const char *failure);

/* TRUE when the output changes as the position moves, so a --follow stream re-renders it once
 * a second while playing: a template using position or progressMs, or waybar's percentage. */
gboolean spn_render_output_ticks(const SpnOutput *output);

/* `spotnow status`: several lines (auth state, viewers, last/next poll, back-off, last error).*/
char *spn_render_status(GVariant *status, gint64 now_ms, gboolean colour);

/* "12 s ago", "in 4 min", "now". */
char *spn_render_relative_time(gint64 then_ms, gint64 now_ms);

/* "4 min", "3 h", "2 d": an amount of time in words. */
char *spn_render_span(gint64 ms);

/* An integer of any width from an a{sv}; FALSE when absent or not an integer. */
gboolean spn_render_lookup_integer(GVariant *dict, const char *key, gint64 *out);

/* @text without control characters (ESC, BEL, C1; tabs and newlines become spaces) and as
 * valid UTF-8: the daemon's strings come from Spotify and, for lastError, from a browser's
 * redirect, and must not drive the terminal they are printed on. */
char *spn_render_clean_text(const char *text);

/* A copy of the a{sv} @dict with every string value cleaned by spn_render_clean_text. */
GVariant *spn_render_clean_dict(GVariant *dict);

/* Why polling is held back or failing, from a status (signed out is not a hold: it has its
 * own note). Absent keys (an older daemon) hold nothing. */
typedef enum {
    SPN_HOLD_NONE,
    SPN_HOLD_QUOTA,   /* quotaExceededUntil > now: Spotify said QUOTA_EXCEEDED */
    SPN_HOLD_BUDGET,  /* budgetRequests > 0 and requestsInWindow >= budgetRequests */
    SPN_HOLD_BACKOFF, /* backoffUntil > now: a 429 or failures */
    SPN_HOLD_FAILING, /* the last poll failed (lastError), no back-off in force */
} SpnHold;

SpnHold spn_render_hold(GVariant *status, gint64 now_ms);

/* "⚠ spotnowd: HTTP 429: … — waiting until 03:57:30, serving the cache" while a hold is in
 * force, else NULL: the one-line notice on stderr that the output shows old data. */
char *spn_render_notice(GVariant *status, gint64 now_ms);

/* "✓ spotnowd: Spotify answers again": a --follow stream's line when a notice ends. */
const char *spn_render_recovered_notice(void);

/* A budget window in words: 86400000 → "24 h". */
char *spn_render_window_words(gint64 window_ms);

/* The snapshot every output shows, so JSON, the line, the panels and the exit status agree:
 * signed out, a playing snapshot is last played (nobody learns whether it still plays); past
 * its predicted end, a playing snapshot no poll has confirmed (none since the daemon started,
 * or the polls fail) is last played too, at its end. Returns a new reference. */
GVariant *spn_render_effective_snapshot(GVariant *snapshot, GVariant *status, gint64 now_ms);

/* When spn_render_effective_snapshot may next change by itself (the predicted end of a playing
 * snapshot), in Unix ms; -1 for never. */
gint64 spn_render_next_change_ms(GVariant *snapshot, GVariant *status, gint64 now_ms);

/* Colour on @fd: only a terminal, and only when NO_COLOR is unset or empty (no-color.org). */
gboolean spn_render_want_colour(int fd);

G_END_DECLS
