/* args.h — the parts of the command line that need no bus: finding the command word, the seek
 * offset, and which daemon member a control command calls. Pure, so tests/cli/test-args.c
 * checks them without a daemon.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SPN_ARGS_ERROR (spn_args_error_quark())
GQuark spn_args_error_quark(void);

typedef enum {
    SPN_ARGS_ERROR_SEEK, /* not a number of seconds, or too far */
} SpnArgsError;

/* Seeking further than a day is a typo, not a wish; it also keeps the ms in range. */
#define SPN_ARGS_MAX_SEEK_SECONDS (24 * 3600)

/* Returns the command word of @args (argv as a GPtrArray of owned strings; [0] is the program),
 * or NULL for the implicit "now": the first word that is not an option or the value of
 * --format/-f. For "seek", takes its offset out of @args into *@argument (newly allocated) before
 * GOption sees it, since "-10" would read as an unknown option: the first word after it that is
 * not an option, a negative number, or whatever follows "--". The returned word is owned by
 * @args. */
const char *spn_args_split(GPtrArray *args, char **argument);

/* "+10" → 10000, "-5" → -5000, "30" → 30000 (no sign: forward), "1.5" → 1500. Anything else
 * (an exponent, "inf", a lone sign, more than a day either way) fails with SPN_ARGS_ERROR_SEEK. */
gboolean spn_args_parse_seek(const char *text, gint64 *offset_ms, GError **error);

/* The candidate closest to @word (a mistyped command) within two edits, a swap of neighbours
 * counting as one, or NULL. @candidates is NULL-terminated. */
const char *spn_args_suggest(const char *word, const char *const *candidates);

/* The member of io.github.spotnow.NowPlaying1 that @verb calls: "play" → "Play", "pause" →
 * "Pause", "next" → "Next", "previous" → "Previous", "seek" → "Seek", and "toggle" → "Pause"
 * when @is_playing, else "Play". NULL for any other verb. */
const char *spn_args_control_method(const char *verb, gboolean is_playing);

G_END_DECLS
