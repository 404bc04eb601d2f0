/* timeline.h — the scripted story fake-spotify plays: parsing the timeline text and finding the
 * step that is on at a given offset. Pure: no I/O, no clock; callers pass the offset. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FS_TIMELINE_ERROR (fs_timeline_error_quark())
GQuark fs_timeline_error_quark(void);

typedef enum {
    FS_TIMELINE_ERROR_PARSE,
} FsTimelineError;

typedef enum {
    /* Content: the reply is built from a fixture template. */
    FS_STEP_TRACK,
    FS_STEP_EPISODE,
    FS_STEP_PAUSED,
    FS_STEP_AD,
    FS_STEP_UNKNOWN,
    FS_STEP_NOTHING,
    /* Faults: every API request during the step gets the same misbehaviour. */
    FS_STEP_STATUS,
    FS_STEP_GARBAGE,
    FS_STEP_TRUNCATED,
    FS_STEP_RESET,
    FS_STEP_SLOW,
} FsStepKind;

typedef struct {
    FsStepKind kind;
    guint line; /* 1-based line in the source text, for messages */
    gint64 hold_ms;

    /* track / episode (ids and names are always set after parsing) */
    char *id;
    char *name;
    char **artists; /* track: at least one */
    char *album;    /* track */
    char *show;     /* episode */
    char *art;      /* NULL = the fake's own /image/<id>.png; "" = no images (art=none) */
    gint64 duration_ms;
    gint64 progress_ms; /* at step start; paused: -1 unless progress= was given */
    gboolean playing;
    gboolean local;

    /* paused: the track/episode step whose item it shows; slow: the content step it answers
     * like after its delay (-1 = none, answer 204). */
    gint ref;

    /* status */
    guint code;
    char *retry_after; /* verbatim, NULL when absent */

    /* slow */
    gint64 delay_ms;

    char *label; /* see fs_timeline_label() */
} FsStep;

typedef struct {
    GPtrArray *steps; /* FsStep*, never empty */
    gboolean loop;
    gint64 total_ms;
} FsTimeline;

/* Parses a non-negative decimal number of seconds ("2", "0.5") into milliseconds. */
gboolean fs_parse_seconds(const char *text, gint64 *out_ms);

/* Parses the timeline format described in README.md. Errors name the line:
 * "line 3: unknown key 'nmae' for track". */
FsTimeline *fs_timeline_parse(const char *text, GError **error);

/* The built-in story used without --timeline: one track playing, repeated forever. */
FsTimeline *fs_timeline_new_default(void);

void fs_timeline_free(FsTimeline *timeline);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsTimeline, fs_timeline_free)

const FsStep *fs_timeline_get_step(const FsTimeline *timeline, guint index);

/* The step on at @offset_ms after the clock started, and how long it has been on. After the
 * last step the last one stays on (its elapsed time keeps growing) unless the timeline loops. */
guint fs_timeline_locate(const FsTimeline *timeline, gint64 offset_ms, gint64 *elapsed_ms);

/* For content steps: where playback is @elapsed_ms into step @index, clamped to the item's
 * duration; and whether it is playing. Paused steps freeze where their item's step ended. */
gint64 fs_timeline_progress_ms(const FsTimeline *timeline, guint index, gint64 elapsed_ms,
                               gboolean *playing);

/* The step whose reply a request gets once any delay is over: a slow step answers like the
 * content step before it (which carries on as if it had not ended); every other step answers
 * for itself. Returns FALSE when a slow step has no content step before it (answer 204). */
gboolean fs_timeline_resolve(const FsTimeline *timeline, guint index, gint64 elapsed_ms,
                             guint *out_index, gint64 *out_elapsed_ms);

/* What /control/stats lists for a reply of this content step: the item's name, or
 * "204", "ad", "unknown". */
const char *fs_timeline_label(const FsTimeline *timeline, guint index);

G_END_DECLS
