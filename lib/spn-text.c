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

guint spn_text_distance(const char *a, const char *b)
{
    gsize la = strlen(a);
    gsize lb = strlen(b);
    if (la > 64 || lb > 64)
        return G_MAXUINT;
    guint row[65];
    for (gsize j = 0; j <= lb; j++)
        row[j] = (guint)j;
    for (gsize i = 1; i <= la; i++) {
        guint diagonal = row[0];
        row[0] = (guint)i;
        for (gsize j = 1; j <= lb; j++) {
            guint above = row[j];
            guint cost = g_ascii_tolower(a[i - 1]) == g_ascii_tolower(b[j - 1]) ? 0 : 1;
            row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), diagonal + cost);
            diagonal = above;
        }
    }
    return row[lb];
}
