/* spn-text.c — cleaning text for display. */
#include "spn-text.h"

#include <string.h>

char *spn_text_clean(const char *value)
{
    g_autofree char *valid = g_utf8_make_valid(value, -1);
    GString *shown = g_string_sized_new(strlen(valid));
    for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        g_string_append_unichar(shown, g_unichar_iscntrl(c) ? ' ' : c);
    }
    return g_string_free(shown, FALSE);
}
