/* render.h — every output of `spotnow`, computed from a snapshot, a status and a clock.
 *
 * Pure: no I/O, no clock (callers pass now_ms), no D-Bus. The snapshot is the a{sv} of
 * DESIGN.md section 2 and the status the a{sv} of GetStatus(); either may lack keys (an older
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
 * numbers as numbers, booleans as booleans, the snapshot's keys in DESIGN.md's order. */
char *spn_render_json(GVariant *dict);

/* waybar: {"text","alt","tooltip","class","percentage"}. @text: the text to show (e.g. a
 * rendered template, used as is), or NULL for the default short line (markup-escaped, as waybar
 * reads Pango markup). @status may be NULL. */
char *spn_render_waybar(GVariant *snapshot, GVariant *status, const char *text, gint64 now_ms);

/* i3blocks: three lines (full text, short text, colour). @text replaces the full text. */
char *spn_render_i3blocks(GVariant *snapshot, GVariant *status, const char *text, gint64 now_ms);

/* The output @output asks for. In a --follow stream, the human line leaves out the progress and
 * i3blocks prints the full text only (its persist mode reads one line per update). When @status
 * says signed out, every output but JSON (the daemon's data as is) shows the snapshot as last
 * played, since nobody learns any more whether it still plays. Fails only
 * when the template fails to render (SPN_TEMPLATE_ERROR_EVAL). */
char *spn_render_output(const SpnOutput *output, GVariant *snapshot, GVariant *status,
                        gint64 now_ms, GError **error);

/* TRUE when the output changes as the position moves, so a --follow stream re-renders it once
 * a second while playing: a template using position or progressMs, or waybar's percentage. */
gboolean spn_render_output_ticks(const SpnOutput *output);

/* `spotnow status`: several lines (auth state, viewers, last/next poll, back-off, last error).*/
char *spn_render_status(GVariant *status, gint64 now_ms, gboolean colour);

/* "12 s ago", "in 4 min", "now". */
char *spn_render_relative_time(gint64 then_ms, gint64 now_ms);

/* Colour on @fd: only a terminal, and only when NO_COLOR is unset or empty (no-color.org). */
gboolean spn_render_want_colour(int fd);

G_END_DECLS
