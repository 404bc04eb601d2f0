/* fuzz-redirect.c — what a person pastes into `spotnow login --paste` (CompleteSignIn), and what
 * anyone on the machine can send to the sign-in's /callback: daemon/signin-url.c.
 *
 * The oracle is signin.h: spn_sign_in_parse_redirect() either fails with SPN_ERROR_INVALID_ARGS
 * or gives the code, the state and a cleaned error (valid UTF-8, no control or format characters,
 * at most 80 characters: it reaches lastError, terminals and the system bus), and a state
 * mismatch is described in valid UTF-8. */
#define G_LOG_DOMAIN "spotnow-fuzz"

#include <glib.h>
#include <string.h>

#include "fuzz.h"
#include "signin.h"
#include "spn-error.h"

static void assert_clean(const char *text)
{
    g_assert_true(g_utf8_validate(text, -1, NULL));
    g_assert_cmpint(g_utf8_strlen(text, -1), <=, 80);
    for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        g_assert_false(g_unichar_iscntrl(c));
        g_assert_cmpint(g_unichar_type(c), !=, G_UNICODE_FORMAT);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A D-Bus string: valid UTF-8 up to the first NUL. The query of a browsed /callback is any
     * bytes, which the cleaner takes as they come. */
    g_autofree char *raw = g_strndup((const char *)data, size);
    g_autofree char *cleaned = spn_sign_in_clean_text(raw);
    assert_clean(cleaned);
    if (!g_utf8_validate(raw, -1, NULL))
        return 0;

    g_autofree char *code = NULL, *state = NULL, *error_code = NULL;
    g_autoptr(GError) error = NULL;
    if (!spn_sign_in_parse_redirect(raw, &code, &state, &error_code, &error)) {
        g_assert_error(error, SPN_ERROR, SPN_ERROR_INVALID_ARGS);
        g_assert_true(g_utf8_validate(error->message, -1, NULL));
        g_assert_null(code);
        g_assert_null(state);
        g_assert_null(error_code);
        return 0;
    }
    g_assert_true(code != NULL || error_code != NULL);
    if (error_code != NULL)
        assert_clean(error_code);
    g_autofree char *why = spn_sign_in_describe_state_mismatch(state, "expected-state");
    g_assert_true(g_utf8_validate(why, -1, NULL));
    return 0;
}
