/* args.c — command-line pieces that need no bus (see args.h). */
#define G_LOG_DOMAIN "spotnow-args"

#include "args.h"

#include <glib/gi18n.h>
#include <math.h>

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
        if (g_str_equal(arg, "--")) {
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
        if (verb != NULL && g_str_equal(verb, "seek") && *argument == NULL && is_number(arg)) {
            *argument = g_strdup(arg);
            g_ptr_array_remove_index(args, i);
            i--;
        }
    }
    return verb;
}

gboolean spn_args_parse_seek(const char *text, gint64 *offset_ms, GError **error)
{
    if (text == NULL || !is_number(text)) {
        g_set_error_literal(error, SPN_ARGS_ERROR, SPN_ARGS_ERROR_SEEK,
                            _("seek needs an offset in seconds, such as +30 or -10"));
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
