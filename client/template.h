/* template.h — playerctl's format-string language, compiled once and rendered many times.
 *
 * Pure: no I/O, no clock. The language is playerctl 2.4.1's ("FORMAT STRINGS" in playerctl(1)),
 * so a user's existing playerctl format strings render the same here:
 *
 *   text {{ expr }} text
 *   expr := "string" | number | variable | func(expr, …) | (expr) | -expr | +expr
 *         | expr + expr | expr - expr | expr * expr | expr / expr
 *
 * Values are GVariants, as in playerctl: numbers in the template are doubles (printed "3.0"),
 * int64 variables stay int64 through int64-only arithmetic, strings print raw, string arrays
 * print joined with ", ", anything else as g_variant_print() does. Unknown variables are unset
 * and print empty. Functions: lc, uc, markup_escape, default, duration, trunc, emoji.
 *
 * Deliberate differences from playerctl, all in situations where playerctl fails:
 *  - unknown functions, wrong argument counts and emoji() on a non-variable are reported when
 *    the template is compiled, not when it is first rendered;
 *  - `+` with a string operand concatenates (playerctl rejects it), so `{{ "by " + artist }}`
 *    works;
 *  - duration() of a negative time prints "-0:05" (playerctl prints "0:-5"); less than a
 *    second either way prints "0:00", as in playerctl;
 *  - spaces and tabs are both skipped inside {{ }} (playerctl skips spaces only).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SPN_TEMPLATE_ERROR (spn_template_error_quark())

typedef enum {
    SPN_TEMPLATE_ERROR_SYNTAX,           /* the template does not parse */
    SPN_TEMPLATE_ERROR_UNKNOWN_FUNCTION, /* {{ foo(x) }} */
    SPN_TEMPLATE_ERROR_ARGUMENTS,        /* wrong argument count or kind */
    SPN_TEMPLATE_ERROR_EVAL,             /* rendering failed: bad operand types, division by 0 */
} SpnTemplateError;

GQuark spn_template_error_quark(void);

typedef struct _SpnTemplate SpnTemplate;

/* Returns a new reference to the value of @name, or NULL when it is unset. */
typedef GVariant *(*SpnTemplateLookup)(const char *name, gpointer user_data);

/* Parse @source. Errors carry the 1-based column (in characters) of the offending token:
 * "template: column 12: unknown function ‘foo’". */
SpnTemplate *spn_template_compile(const char *source, GError **error);
void spn_template_free(SpnTemplate *tmpl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpnTemplate, spn_template_free)

/* TRUE if the template reads variable @name anywhere (e.g. to know whether it needs a tick). */
gboolean spn_template_uses(const SpnTemplate *tmpl, const char *name);

/* Render with variables from @lookup. Fails only with SPN_TEMPLATE_ERROR_EVAL. */
char *spn_template_render(const SpnTemplate *tmpl, SpnTemplateLookup lookup, gpointer user_data,
                          GError **error);

/* Render with variables from an a{sv} dictionary. */
char *spn_template_render_dict(const SpnTemplate *tmpl, GVariant *variables, GError **error);

/* duration(): microseconds as "M:SS", or "H:MM:SS" from one hour on. */
char *spn_template_format_duration(gint64 microseconds);

/* trunc(): the first @max_chars characters of UTF-8 @text, plus "…" when anything was cut.
 * (The template function keeps the whole text for a negative length, as playerctl does.) */
char *spn_template_truncate(const char *text, glong max_chars);

G_END_DECLS
