/* fuzz-template.c — the CLI's template language (client/template.h) over any --format string,
 * rendered with the variables the CLI builds from a snapshot.
 *
 * The oracle is template.h: a template either compiles or fails with a SPN_TEMPLATE_ERROR whose
 * message is valid UTF-8; a compiled one renders to valid UTF-8 or fails with
 * SPN_TEMPLATE_ERROR_EVAL. */
#define G_LOG_DOMAIN "spotnow-fuzz"

#include <glib.h>

#include "fuzz.h"
#include "render.h"
#include "template.h"

#define NOW_MS G_GINT64_CONSTANT(1700000000000)

/* A snapshot with the awkward values real ones have: markup, non-ASCII, an empty album. */
static GVariant *make_variables(void)
{
    g_autoptr(GVariant) snapshot = g_variant_ref_sink(g_variant_new_parsed(
        "{'isPlaying': <true>, 'trackName': <'Ærøskøbing — Ü <&> \"1\"'>,"
        " 'artistName': <'Artist A, B'>, 'albumName': <''>,"
        " 'albumArt': <'https://i.scdn.co/image/x'>,"
        " 'trackUrl': <'https://open.spotify.com/track/t1'>,"
        " 'trackId': <'t1'>, 'itemType': <'track'>, 'progressMs': <int64 83000>,"
        " 'durationMs': <int64 225000>, 'fetchedAt': <int64 1699999990000>}"));
    return g_variant_ref_sink(spn_render_variables(snapshot, NOW_MS));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static GVariant *variables;
    /* --format comes from argv: a C string, so it ends at the first NUL. */
    g_autofree char *source = g_strndup((const char *)data, size);
    g_autoptr(GError) error = NULL;
    g_autoptr(SpnTemplate) tmpl = NULL;
    g_autofree char *text = NULL;

    if (variables == NULL)
        variables = make_variables();

    tmpl = spn_template_compile(source, &error);
    if (tmpl == NULL) {
        g_assert_nonnull(error);
        g_assert_true(error->domain == SPN_TEMPLATE_ERROR);
        g_assert_true(g_utf8_validate(error->message, -1, NULL));
        return 0;
    }
    g_assert_no_error(error);
    (void)spn_template_uses(tmpl, "position");

    text = spn_template_render_dict(tmpl, variables, &error);
    if (text == NULL) {
        g_assert_error(error, SPN_TEMPLATE_ERROR, SPN_TEMPLATE_ERROR_EVAL);
        g_assert_true(g_utf8_validate(error->message, -1, NULL));
        return 0;
    }
    g_assert_no_error(error);
    g_assert_true(g_utf8_validate(text, -1, NULL));
    return 0;
}
