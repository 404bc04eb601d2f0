/* timeline.c — parse the timeline text and answer "what is on at offset T". */
#define G_LOG_DOMAIN "spotnow-fake-timeline"

#include "timeline.h"

#include <math.h>
#include <string.h>

GQuark fs_timeline_error_quark(void)
{
    return g_quark_from_static_string("fs-timeline-error-quark");
}

/* Keys each kind accepts; anything else is a typo the author wants to hear about. */
static const struct {
    const char *name;
    FsStepKind kind;
    const char *keys;
} kinds[] = {
    {"track", FS_STEP_TRACK, " id name artists album duration progress playing art local "},
    {"episode", FS_STEP_EPISODE, " id name show duration progress playing art "},
    {"paused", FS_STEP_PAUSED, " progress "},
    {"ad", FS_STEP_AD, " "},
    {"unknown", FS_STEP_UNKNOWN, " "},
    {"nothing", FS_STEP_NOTHING, " "},
    {"status", FS_STEP_STATUS, " code retry-after "},
    {"garbage", FS_STEP_GARBAGE, " "},
    {"truncated", FS_STEP_TRUNCATED, " "},
    {"reset", FS_STEP_RESET, " "},
    {"slow", FS_STEP_SLOW, " delay "},
};

static const char default_text[] =
    "# Built-in story: one song on repeat.\n"
    "240 track id=fakeDefaultTrack0001 name=\"Default Song\" artists=\"The Fakes\" "
    "album=\"Stand-ins\" duration=240\n"
    "loop\n";

static void step_free(FsStep *step)
{
    g_free(step->id);
    g_free(step->name);
    g_strfreev(step->artists);
    g_free(step->album);
    g_free(step->show);
    g_free(step->art);
    g_free(step->retry_after);
    g_free(step->label);
    g_free(step);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsStep, step_free)

/* GLib 2.76 has g_set_str; this project targets 2.74. */
static void set_str(char **field, const char *value)
{
    g_free(*field);
    *field = g_strdup(value);
}

void fs_timeline_free(FsTimeline *timeline)
{
    if (timeline == NULL)
        return;
    g_ptr_array_unref(timeline->steps);
    g_free(timeline);
}

static void set_parse_error(GError **error, guint line, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

static void set_parse_error(GError **error, guint line, const char *format, ...)
{
    va_list args;
    g_autofree char *message = NULL;

    va_start(args, format);
    message = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(error, FS_TIMELINE_ERROR, FS_TIMELINE_ERROR_PARSE, "line %u: %s", line, message);
}

/* Splits a line into words. Double quotes group words (so values can hold spaces or '#') and
 * are removed; inside them \" and \\ escape. A '#' outside quotes starts a comment. */
static GPtrArray *split_words(const char *line, guint lineno, GError **error)
{
    g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) word = NULL;
    gboolean quoted = FALSE;

    for (const char *p = line;; p++) {
        char c = *p;

        if (quoted) {
            if (c == '\0') {
                set_parse_error(error, lineno, "unterminated quote");
                return NULL;
            }
            if (c == '\\' && (p[1] == '"' || p[1] == '\\'))
                c = *++p;
            else if (c == '"') {
                quoted = FALSE;
                continue;
            }
            g_string_append_c(word, c);
            continue;
        }
        if (c == '\0' || c == '#' || g_ascii_isspace(c)) {
            if (word != NULL)
                g_ptr_array_add(words, g_string_free(g_steal_pointer(&word), FALSE));
            if (c == '\0' || c == '#')
                break;
            continue;
        }
        if (word == NULL)
            word = g_string_new(NULL);
        if (c == '"')
            quoted = TRUE;
        else
            g_string_append_c(word, c);
    }
    return g_steal_pointer(&words);
}

gboolean fs_parse_seconds(const char *text, gint64 *out_ms)
{
    char *end = NULL;
    double value = g_ascii_strtod(text, &end);

    if (end == text || *end != '\0' || !isfinite(value) || value < 0 || value > 1e9)
        return FALSE;
    *out_ms = (gint64)llround(value * 1000.0);
    return TRUE;
}

static gboolean parse_bool(const char *text, gboolean *out)
{
    if (g_str_equal(text, "true"))
        *out = TRUE;
    else if (g_str_equal(text, "false"))
        *out = FALSE;
    else
        return FALSE;
    return TRUE;
}

static gboolean apply_key(FsStep *step, const char *key, const char *value, GError **error)
{
    gboolean ok = TRUE;

    if (g_str_equal(key, "id"))
        set_str(&step->id, value);
    else if (g_str_equal(key, "name"))
        set_str(&step->name, value);
    else if (g_str_equal(key, "album"))
        set_str(&step->album, value);
    else if (g_str_equal(key, "show"))
        set_str(&step->show, value);
    else if (g_str_equal(key, "retry-after"))
        set_str(&step->retry_after, value);
    else if (g_str_equal(key, "art"))
        set_str(&step->art, g_str_equal(value, "none") ? "" : value);
    else if (g_str_equal(key, "artists")) {
        g_strfreev(step->artists);
        step->artists = g_strsplit(value, "|", -1);
        ok = step->artists[0] != NULL;
    } else if (g_str_equal(key, "duration"))
        ok = fs_parse_seconds(value, &step->duration_ms);
    else if (g_str_equal(key, "progress"))
        ok = fs_parse_seconds(value, &step->progress_ms);
    else if (g_str_equal(key, "delay"))
        ok = fs_parse_seconds(value, &step->delay_ms);
    else if (g_str_equal(key, "playing"))
        ok = parse_bool(value, &step->playing);
    else if (g_str_equal(key, "local"))
        ok = parse_bool(value, &step->local);
    else if (g_str_equal(key, "code")) {
        guint64 code = 0;
        ok = g_ascii_string_to_unsigned(value, 10, 100, 599, &code, NULL);
        step->code = (guint)code;
    }
    if (!ok) {
        set_parse_error(error, step->line, "bad value '%s' for %s", value, key);
        return FALSE;
    }
    return TRUE;
}

static gboolean apply_keys(FsStep *step, const char *allowed, GPtrArray *words, GError **error)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 2; i < words->len; i++) {
        char *word = g_ptr_array_index(words, i);
        char *eq = strchr(word, '=');
        g_autofree char *needle = NULL;

        if (eq == NULL || eq == word) {
            set_parse_error(error, step->line, "expected key=value, got '%s'", word);
            return FALSE;
        }
        *eq = '\0';
        needle = g_strdup_printf(" %s ", word);
        if (strstr(allowed, needle) == NULL) {
            set_parse_error(error, step->line, "unknown key '%s' for %s", word,
                            (char *)g_ptr_array_index(words, 1));
            return FALSE;
        }
        if (!g_hash_table_add(seen, word)) {
            set_parse_error(error, step->line, "key '%s' given twice", word);
            return FALSE;
        }
        if (!apply_key(step, word, eq + 1, error))
            return FALSE;
    }
    return TRUE;
}

static FsStep *parse_step(GPtrArray *words, guint lineno, guint index, GError **error)
{
    g_autoptr(FsStep) step = g_new0(FsStep, 1);
    const char *kind = words->len > 1 ? g_ptr_array_index(words, 1) : NULL;
    gsize k;

    step->line = lineno;
    step->ref = -1;
    step->duration_ms = -1;
    step->progress_ms = -1;
    step->playing = TRUE;
    if (kind == NULL || !fs_parse_seconds(g_ptr_array_index(words, 0), &step->hold_ms)) {
        set_parse_error(error, lineno, "expected '<hold-seconds> <kind> [key=value ...]'");
        return NULL;
    }
    for (k = 0; k < G_N_ELEMENTS(kinds); k++)
        if (g_str_equal(kind, kinds[k].name))
            break;
    if (k == G_N_ELEMENTS(kinds)) {
        set_parse_error(error, lineno, "unknown kind '%s'", kind);
        return NULL;
    }
    step->kind = kinds[k].kind;
    if (!apply_keys(step, kinds[k].keys, words, error))
        return NULL;

    if (step->kind == FS_STEP_STATUS && step->code == 0) {
        set_parse_error(error, lineno, "status needs code=");
        return NULL;
    }
    if (step->kind == FS_STEP_SLOW && step->delay_ms <= 0) {
        set_parse_error(error, lineno, "slow needs delay= above 0");
        return NULL;
    }
    if (step->kind == FS_STEP_TRACK || step->kind == FS_STEP_EPISODE) {
        gboolean track = step->kind == FS_STEP_TRACK;

        if (step->id == NULL)
            step->id = g_strdup_printf("%c%u", track ? 't' : 'e', index);
        if (step->name == NULL)
            step->name = g_strdup_printf("%s %u", track ? "Track" : "Episode", index);
        if (track && step->artists == NULL)
            step->artists = g_strsplit("Artist", "|", -1);
        if (track && step->album == NULL)
            step->album = g_strdup("Album");
        if (!track && step->show == NULL)
            step->show = g_strdup("Show");
        if (step->local) /* local files carry no artwork */
            set_str(&step->art, "");
        if (step->duration_ms < 0)
            step->duration_ms = step->hold_ms;
        if (step->progress_ms < 0)
            step->progress_ms = 0;
    }
    return g_steal_pointer(&step);
}

/* Links paused and slow steps to the step they stand for, and precomputes labels. */
static gboolean link_steps(FsTimeline *timeline, GError **error)
{
    gint last_item = -1;
    gint last_content = -1;

    for (guint i = 0; i < timeline->steps->len; i++) {
        FsStep *step = g_ptr_array_index(timeline->steps, i);

        switch (step->kind) {
            case FS_STEP_TRACK:
            case FS_STEP_EPISODE:
                last_item = (gint)i;
                step->label = g_strdup(step->name);
                break;
            case FS_STEP_PAUSED:
                if (last_item < 0) {
                    set_parse_error(error, step->line, "paused needs a track or episode before it");
                    return FALSE;
                }
                step->ref = last_item;
                step->label = g_strdup(fs_timeline_label(timeline, (guint)last_item));
                break;
            case FS_STEP_AD:
                step->label = g_strdup("ad");
                break;
            case FS_STEP_UNKNOWN:
                step->label = g_strdup("unknown");
                break;
            case FS_STEP_NOTHING:
                step->label = g_strdup("204");
                break;
            case FS_STEP_STATUS:
                step->label = g_strdup_printf("error %u", step->code);
                break;
            case FS_STEP_GARBAGE:
                step->label = g_strdup("garbage");
                break;
            case FS_STEP_TRUNCATED:
                step->label = g_strdup("truncated");
                break;
            case FS_STEP_RESET:
                step->label = g_strdup("reset");
                break;
            case FS_STEP_SLOW:
                step->ref = last_content;
                step->label = g_strdup("slow");
                break;
        }
        if (step->kind <= FS_STEP_NOTHING)
            last_content = (gint)i;
        timeline->total_ms += step->hold_ms;
    }
    return TRUE;
}

FsTimeline *fs_timeline_parse(const char *text, GError **error)
{
    g_autoptr(FsTimeline) timeline = g_new0(FsTimeline, 1);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint loop_line = 0;

    timeline->steps = g_ptr_array_new_with_free_func((GDestroyNotify)step_free);
    for (guint i = 0; lines[i] != NULL; i++) {
        g_autoptr(GPtrArray) words = split_words(lines[i], i + 1, error);
        FsStep *step;

        if (words == NULL)
            return NULL;
        if (words->len == 0)
            continue;
        if (loop_line != 0) {
            set_parse_error(error, loop_line, "'loop' must be the last line");
            return NULL;
        }
        if (words->len == 1 && g_str_equal(g_ptr_array_index(words, 0), "loop")) {
            loop_line = i + 1;
            continue;
        }
        step = parse_step(words, i + 1, timeline->steps->len, error);
        if (step == NULL)
            return NULL;
        g_ptr_array_add(timeline->steps, step);
    }
    if (timeline->steps->len == 0) {
        g_set_error_literal(error, FS_TIMELINE_ERROR, FS_TIMELINE_ERROR_PARSE,
                            "the timeline has no steps");
        return NULL;
    }
    timeline->loop = loop_line != 0;
    if (!link_steps(timeline, error))
        return NULL;
    if (timeline->loop && timeline->total_ms == 0) {
        set_parse_error(error, loop_line, "a looping timeline must last longer than 0 s");
        return NULL;
    }
    return g_steal_pointer(&timeline);
}

FsTimeline *fs_timeline_new_default(void)
{
    g_autoptr(GError) error = NULL;
    FsTimeline *timeline = fs_timeline_parse(default_text, &error);

    g_assert_no_error(error);
    return timeline;
}

const FsStep *fs_timeline_get_step(const FsTimeline *timeline, guint index)
{
    g_return_val_if_fail(index < timeline->steps->len, NULL);
    return g_ptr_array_index(timeline->steps, index);
}

guint fs_timeline_locate(const FsTimeline *timeline, gint64 offset_ms, gint64 *elapsed_ms)
{
    guint last = timeline->steps->len - 1;
    gint64 start = 0;

    offset_ms = MAX(offset_ms, 0);
    if (timeline->loop)
        offset_ms %= timeline->total_ms;
    for (guint i = 0; i < last; i++) {
        const FsStep *step = g_ptr_array_index(timeline->steps, i);

        if (offset_ms < start + step->hold_ms) {
            *elapsed_ms = offset_ms - start;
            return i;
        }
        start += step->hold_ms;
    }
    *elapsed_ms = offset_ms - start;
    return last;
}

gint64 fs_timeline_progress_ms(const FsTimeline *timeline, guint index, gint64 elapsed_ms,
                               gboolean *playing)
{
    const FsStep *step = fs_timeline_get_step(timeline, index);
    const FsStep *item;
    gint64 progress;

    switch (step->kind) {
        case FS_STEP_TRACK:
        case FS_STEP_EPISODE:
            *playing = step->playing;
            progress = step->progress_ms + (step->playing ? elapsed_ms : 0);
            return CLAMP(progress, 0, step->duration_ms);
        case FS_STEP_PAUSED:
            item = fs_timeline_get_step(timeline, (guint)step->ref);
            *playing = FALSE;
            if (step->progress_ms >= 0)
                progress = step->progress_ms;
            else /* where the item's own step left it */
                progress =
                    fs_timeline_progress_ms(timeline, (guint)step->ref, item->hold_ms, playing);
            *playing = FALSE;
            return CLAMP(progress, 0, item->duration_ms);
        case FS_STEP_AD:
            *playing = TRUE;
            return MAX(elapsed_ms, 0);
        case FS_STEP_UNKNOWN:
            *playing = TRUE;
            return 0;
        default:
            *playing = FALSE;
            return 0;
    }
}

gboolean fs_timeline_resolve(const FsTimeline *timeline, guint index, gint64 elapsed_ms,
                             guint *out_index, gint64 *out_elapsed_ms)
{
    const FsStep *step = fs_timeline_get_step(timeline, index);

    if (step->kind != FS_STEP_SLOW) {
        *out_index = index;
        *out_elapsed_ms = elapsed_ms;
        return TRUE;
    }
    if (step->ref < 0)
        return FALSE;
    *out_index = (guint)step->ref;
    *out_elapsed_ms = fs_timeline_get_step(timeline, (guint)step->ref)->hold_ms + elapsed_ms;
    return TRUE;
}

const char *fs_timeline_label(const FsTimeline *timeline, guint index)
{
    return fs_timeline_get_step(timeline, index)->label;
}
