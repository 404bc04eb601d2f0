/* args.c — command-line pieces that need no bus (see args.h). */
#define G_LOG_DOMAIN "spotnow-args"

#include "args.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "spn-text.h"

/* G_DEFINE_QUARK stringifies its first argument; clang-format (14, WhitespaceSensitiveMacros
 * included) would put spaces into the quark's name. */
// clang-format off
G_DEFINE_QUARK(spn-args-error-quark, spn_args_error)
// clang-format on

/* Plain decimals only: g_ascii_strtod alone would also take "1e3", "inf" and hex. */
static gboolean is_number(const char *arg)
{
    return g_regex_match_simple("^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)$", arg, 0, 0);
}

const char *spn_args_split(GPtrArray *args, char **argument)
{
    const char *verb = NULL;
    for (guint i = 1; i < args->len; i++) {
        const char *arg = g_ptr_array_index(args, i);
        gboolean seek = verb != NULL && g_str_equal(verb, "seek") && *argument == NULL;
        if (g_str_equal(arg, "--")) {
            /* "seek -- -10": what follows "--" is the offset, whatever it looks like. */
            if (seek && i + 1 < args->len) {
                *argument = g_strdup(g_ptr_array_index(args, i + 1));
                g_ptr_array_remove_range(args, i, 2);
            }
            break;
        }
        if (g_str_equal(arg, "--format") || g_str_equal(arg, "-f")) {
            i++;
            continue;
        }
        if (verb == NULL && arg[0] != '-') {
            verb = arg;
            continue;
        }
        /* Any word is seek's offset ("abc" then fails as not a number, which says more than
         * "unexpected argument"); a dash only when it is a number, else it is an option. */
        if (seek && (arg[0] != '-' || is_number(arg))) {
            *argument = g_strdup(arg);
            g_ptr_array_remove_index(args, i);
            i--;
        }
    }
    return verb;
}

gboolean spn_args_parse_seek(const char *text, gint64 *offset_ms, GError **error)
{
    if (text == NULL) {
        g_set_error_literal(error, SPN_ARGS_ERROR, SPN_ARGS_ERROR_SEEK,
                            _("seek needs an offset in seconds, such as +30 or -10"));
        return FALSE;
    }
    if (!is_number(text)) {
        g_autofree char *shown = g_utf8_make_valid(text, -1);
        g_set_error(error, SPN_ARGS_ERROR, SPN_ARGS_ERROR_SEEK,
                    _("“%s” is not a number of seconds; seek needs an offset such as +30 or -10"),
                    shown);
        return FALSE;
    }
    double seconds = g_ascii_strtod(text, NULL);
    if (fabs(seconds) > SPN_ARGS_MAX_SEEK_SECONDS) {
        g_set_error(error, SPN_ARGS_ERROR, SPN_ARGS_ERROR_SEEK,
                    _("seek moves at most %d seconds either way"), SPN_ARGS_MAX_SEEK_SECONDS);
        return FALSE;
    }
    *offset_ms = (gint64)llround(seconds * 1000.0);
    return TRUE;
}

const char *spn_args_suggest(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    guint best_distance = 3; /* two edits at most: "stauts", "logni", "paus" */
    for (; *candidates != NULL; candidates++) {
        guint d = spn_text_distance(word, *candidates);
        /* A transposition counts once, as a person makes it. */
        gsize n = strlen(word);
        if (n == strlen(*candidates)) {
            for (gsize i = 0; i + 1 < n; i++) {
                g_autofree char *swapped = g_strdup(word);
                char c = swapped[i];
                swapped[i] = swapped[i + 1];
                swapped[i + 1] = c;
                if (spn_text_distance(swapped, *candidates) == 0) {
                    d = MIN(d, 1);
                }
            }
        }
        if (d < best_distance) {
            best = *candidates;
            best_distance = d;
        }
    }
    return best;
}

const char *spn_args_control_method(const char *verb, gboolean is_playing)
{
    static const char *const map[][2] = {
        {"play", "Play"}, {"pause", "Pause"},       {"next", "Next"},
        {"seek", "Seek"}, {"previous", "Previous"},
    };
    if (g_str_equal(verb, "toggle")) {
        return is_playing ? "Pause" : "Play";
    }
    for (gsize i = 0; i < G_N_ELEMENTS(map); i++) {
        if (g_str_equal(map[i][0], verb)) {
            return map[i][1];
        }
    }
    return NULL;
}
