/* template-builtins.c — the template functions and arithmetic, with playerctl 2.4.1's value
 * rules: template numbers are doubles, int64 op int64 stays int64 (integer division included),
 * anything else numeric becomes a double. */
#define G_LOG_DOMAIN "spotnow-template"

#include "template-builtins.h"

#include <glib/gi18n.h>

#include "template.h"

/* playerctl's emoji, with the emoji variation selector (U+FE0F) it prints. */
#define EMOJI_PLAYING "\u25b6\ufe0f"
#define EMOJI_PAUSED "\u23f8\ufe0f"
#define EMOJI_STOPPED "\u23f9\ufe0f"

static GVariant *new_string(const char *text)
{
    return g_variant_ref_sink(g_variant_new_string(text));
}

static GVariant *take_string(char *text)
{
    GVariant *value = new_string(text);
    g_free(text);
    return value;
}

static void set_eval_error(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void set_eval_error(GError **error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *message = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error_literal(error, SPN_TEMPLATE_ERROR, SPN_TEMPLATE_ERROR_EVAL, message);
}

char *spn_template_print_value(GVariant *value)
{
    if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING_ARRAY)) {
        g_autofree const char **strv = g_variant_get_strv(value, NULL);
        return g_strjoinv(", ", (char **)strv);
    }
    if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING)) {
        return g_variant_dup_string(value, NULL);
    }
    return g_variant_print(value, FALSE);
}

/* Integers that fit an int64 take playerctl's int64 path; uint64 and doubles the double path. */
static gboolean get_integer(GVariant *value, gint64 *out)
{
    if (value == NULL) {
        return FALSE;
    }
    switch (g_variant_classify(value)) {
        case G_VARIANT_CLASS_BYTE:
            *out = g_variant_get_byte(value);
            return TRUE;
        case G_VARIANT_CLASS_INT16:
            *out = g_variant_get_int16(value);
            return TRUE;
        case G_VARIANT_CLASS_UINT16:
            *out = g_variant_get_uint16(value);
            return TRUE;
        case G_VARIANT_CLASS_INT32:
            *out = g_variant_get_int32(value);
            return TRUE;
        case G_VARIANT_CLASS_UINT32:
            *out = g_variant_get_uint32(value);
            return TRUE;
        case G_VARIANT_CLASS_INT64:
            *out = g_variant_get_int64(value);
            return TRUE;
        default:
            return FALSE;
    }
}

static gboolean get_number(GVariant *value, double *out)
{
    gint64 integer;
    if (get_integer(value, &integer)) {
        *out = (double)integer;
        return TRUE;
    }
    if (value != NULL && g_variant_is_of_type(value, G_VARIANT_TYPE_UINT64)) {
        *out = (double)g_variant_get_uint64(value);
        return TRUE;
    }
    if (value != NULL && g_variant_is_of_type(value, G_VARIANT_TYPE_DOUBLE)) {
        *out = g_variant_get_double(value);
        return TRUE;
    }
    return FALSE;
}

/* "‘s’" for a value's type, or "nothing" when unset. */
static char *type_name(GVariant *value)
{
    if (value == NULL)
        return g_strdup(_("nothing"));
    /* TRANSLATORS: a D-Bus type such as ‘s’, quoted as in the other template messages */
    return g_strdup_printf(_("‘%s’"), g_variant_get_type_string(value));
}

static gboolean is_text(GVariant *value)
{
    return value != NULL && (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING) ||
                             g_variant_is_of_type(value, G_VARIANT_TYPE_OBJECT_PATH) ||
                             g_variant_is_of_type(value, G_VARIANT_TYPE_STRING_ARRAY));
}

static GVariant *operands_error(const SpnTemplateNode *node, GVariant **args, guint n_args,
                                GError **error)
{
    g_autofree char *left = type_name(args[0]);
    if (n_args == 1) {
        set_eval_error(error, _("unsupported operand type for unary ‘%s’: %s"), node->text, left);
    } else {
        g_autofree char *right = type_name(args[1]);
        set_eval_error(error, _("unsupported operand types for ‘%s’: %s and %s"), node->text, left,
                       right);
    }
    return NULL;
}

static GVariant *overflow_error(GError **error)
{
    set_eval_error(error, _("numeric overflow"));
    return NULL;
}

static GVariant *arith(const SpnTemplateNode *node, GVariant **args, guint n_args, GError **error)
{
    char op = node->text[0];
    gint64 a, b, r = 0;
    double x, y;

    if (n_args == 1) {
        if (get_integer(args[0], &a)) {
            if (op == '-' && __builtin_mul_overflow(a, -1, &r)) {
                return overflow_error(error);
            }
            return g_variant_ref_sink(g_variant_new_int64(op == '-' ? r : a));
        }
        if (get_number(args[0], &x)) {
            return g_variant_ref_sink(g_variant_new_double(op == '-' ? -x : x));
        }
        return operands_error(node, args, n_args, error);
    }

    if (get_integer(args[0], &a) && get_integer(args[1], &b)) {
        gboolean overflow = FALSE;
        switch (op) {
            case '+':
                overflow = __builtin_add_overflow(a, b, &r);
                break;
            case '-':
                overflow = __builtin_sub_overflow(a, b, &r);
                break;
            case '*':
                overflow = __builtin_mul_overflow(a, b, &r);
                break;
            default:
                if (b == 0) {
                    set_eval_error(error, _("division by zero"));
                    return NULL;
                }
                overflow = (a == G_MININT64 && b == -1);
                r = overflow ? 0 : a / b;
                break;
        }
        return overflow ? overflow_error(error) : g_variant_ref_sink(g_variant_new_int64(r));
    }

    if (get_number(args[0], &x) && get_number(args[1], &y)) {
        switch (op) {
            case '+':
                return g_variant_ref_sink(g_variant_new_double(x + y));
            case '-':
                return g_variant_ref_sink(g_variant_new_double(x - y));
            case '*':
                return g_variant_ref_sink(g_variant_new_double(x * y));
            default:
                if (y == 0.0) {
                    set_eval_error(error, _("division by zero"));
                    return NULL;
                }
                return g_variant_ref_sink(g_variant_new_double(x / y));
        }
    }

    /* Our one extension: `+` joins text; an unset operand joins as "". */
    if (op == '+' && (is_text(args[0]) || is_text(args[1]))) {
        g_autofree char *left = args[0] != NULL ? spn_template_print_value(args[0]) : NULL;
        g_autofree char *right = args[1] != NULL ? spn_template_print_value(args[1]) : NULL;
        return take_string(g_strconcat(left != NULL ? left : "", right, NULL));
    }
    return operands_error(node, args, n_args, error);
}

static GVariant *fn_lc(const SpnTemplateNode *node, GVariant **args, guint n_args, GError **error)
{
    if (args[0] == NULL) {
        return new_string("");
    }
    g_autofree char *printed = spn_template_print_value(args[0]);
    return take_string(g_utf8_strdown(printed, -1));
}

static GVariant *fn_uc(const SpnTemplateNode *node, GVariant **args, guint n_args, GError **error)
{
    if (args[0] == NULL) {
        return new_string("");
    }
    g_autofree char *printed = spn_template_print_value(args[0]);
    return take_string(g_utf8_strup(printed, -1));
}

static GVariant *fn_markup_escape(const SpnTemplateNode *node, GVariant **args, guint n_args,
                                  GError **error)
{
    if (args[0] == NULL) {
        return new_string("");
    }
    g_autofree char *printed = spn_template_print_value(args[0]);
    return take_string(g_markup_escape_text(printed, -1));
}

/* default(a, b): b when a is unset or prints as "" (playerctl#296: empty means unset). */
static GVariant *fn_default(const SpnTemplateNode *node, GVariant **args, guint n_args,
                            GError **error)
{
    if (args[0] != NULL) {
        g_autofree char *printed = spn_template_print_value(args[0]);
        if (printed[0] != '\0') {
            return g_variant_ref(args[0]);
        }
    }
    return args[1] != NULL ? g_variant_ref(args[1]) : NULL;
}

char *spn_template_format_duration(gint64 microseconds)
{
    /* Negate in unsigned arithmetic: -G_MININT64 does not fit a gint64. */
    guint64 magnitude = microseconds < 0 ? -(guint64)microseconds : (guint64)microseconds;
    guint64 total_s = magnitude / G_USEC_PER_SEC;
    guint64 hours = total_s / 3600, minutes = (total_s / 60) % 60, seconds = total_s % 60;
    /* Less than a second either way is "0:00", as playerctl prints it, not "-0:00". */
    const char *sign = microseconds <= -G_USEC_PER_SEC ? "-" : "";

    if (hours != 0) {
        return g_strdup_printf("%s%" G_GUINT64_FORMAT ":%02" G_GUINT64_FORMAT
                               ":%02" G_GUINT64_FORMAT,
                               sign, hours, minutes, seconds);
    }
    return g_strdup_printf("%s%" G_GUINT64_FORMAT ":%02" G_GUINT64_FORMAT, sign, minutes, seconds);
}

static GVariant *fn_duration(const SpnTemplateNode *node, GVariant **args, guint n_args,
                             GError **error)
{
    gint64 integer;
    double number;

    if (args[0] == NULL) {
        return new_string("");
    }
    if (get_integer(args[0], &integer)) {
        return take_string(spn_template_format_duration(integer));
    }
    if (get_number(args[0], &number)) {
        /* Written so that NaN (0/0) fails too: converting it to an integer is undefined. */
        if (!(number > -9.2e18 && number < 9.2e18)) {
            return overflow_error(error);
        }
        return take_string(spn_template_format_duration((gint64)number));
    }
    g_autofree char *type = type_name(args[0]);
    set_eval_error(error, _("duration() needs a time in microseconds, not %s"), type);
    return NULL;
}

char *spn_template_truncate(const char *text, glong max_chars)
{
    g_return_val_if_fail(text != NULL, NULL);

    max_chars = MAX(max_chars, 0);
    if (g_utf8_strlen(text, -1) <= max_chars) {
        return g_strdup(text);
    }
    g_autofree char *head = g_utf8_substring(text, 0, max_chars);
    return g_strconcat(head, "…", NULL);
}

static GVariant *fn_trunc(const SpnTemplateNode *node, GVariant **args, guint n_args,
                          GError **error)
{
    double length;

    if (args[0] == NULL || args[1] == NULL) {
        return new_string("");
    }
    if (!get_number(args[1], &length)) {
        g_autofree char *type = type_name(args[1]);
        set_eval_error(error, _("trunc() needs a number as its length, not %s"), type);
        return NULL;
    }
    g_autofree char *printed = spn_template_print_value(args[0]);
    /* A negative length keeps the whole text, as in playerctl (g_utf8_substring's -1). */
    if (length < 0) {
        return take_string(g_steal_pointer(&printed));
    }
    /* Clamped before the conversion, which is undefined outside glong's range and for NaN. */
    glong max_chars = !(length > 0) ? 0 : length >= (double)G_MAXLONG ? G_MAXLONG : (glong)length;
    return take_string(spn_template_truncate(printed, max_chars));
}

static GVariant *fn_emoji(const SpnTemplateNode *node, GVariant **args, guint n_args,
                          GError **error)
{
    const SpnTemplateNode *arg = g_ptr_array_index(node->args, 0);
    GVariant *value = args[0];

    if (value == NULL) {
        return new_string("");
    }
    if (g_str_equal(arg->text, "status") && g_variant_is_of_type(value, G_VARIANT_TYPE_STRING)) {
        const char *status = g_variant_get_string(value, NULL);
        if (g_ascii_strcasecmp(status, "Playing") == 0) {
            return new_string(EMOJI_PLAYING);
        }
        if (g_ascii_strcasecmp(status, "Paused") == 0) {
            return new_string(EMOJI_PAUSED);
        }
        if (g_ascii_strcasecmp(status, "Stopped") == 0) {
            return new_string(EMOJI_STOPPED);
        }
    } else if (g_str_equal(arg->text, "volume") &&
               g_variant_is_of_type(value, G_VARIANT_TYPE_DOUBLE)) {
        double volume = g_variant_get_double(value);
        return new_string(volume < 0.3333 ? "🔈" : volume < 0.6666 ? "🔉" : "🔊");
    }
    return g_variant_ref(value);
}

static const SpnTemplateBuiltin builtins[] = {
    {"lc", 1, 1, FALSE, fn_lc},
    {"uc", 1, 1, FALSE, fn_uc},
    {"markup_escape", 1, 1, FALSE, fn_markup_escape},
    {"default", 2, 2, FALSE, fn_default},
    {"duration", 1, 1, FALSE, fn_duration},
    {"trunc", 2, 2, FALSE, fn_trunc},
    {"emoji", 1, 1, TRUE, fn_emoji},
    {"+", 1, 2, FALSE, arith},
    {"-", 1, 2, FALSE, arith},
    {"*", 2, 2, FALSE, arith},
    {"/", 2, 2, FALSE, arith},
};

const SpnTemplateBuiltin *spn_template_builtin_lookup(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(builtins); i++) {
        if (g_str_equal(builtins[i].name, name)) {
            return &builtins[i];
        }
    }
    return NULL;
}

gboolean spn_template_builtin_check(const SpnTemplateBuiltin *builtin, GPtrArray *args,
                                    GError **error)
{
    if (args->len < builtin->min_args || args->len > builtin->max_args) {
        g_set_error(error, SPN_TEMPLATE_ERROR, SPN_TEMPLATE_ERROR_ARGUMENTS,
                    g_dngettext(GETTEXT_PACKAGE, "‘%s’ takes %u argument, not %u",
                                "‘%s’ takes %u arguments, not %u", builtin->max_args),
                    builtin->name, builtin->max_args, args->len);
        return FALSE;
    }
    if (builtin->wants_variable &&
        ((const SpnTemplateNode *)g_ptr_array_index(args, 0))->kind != NODE_VARIABLE) {
        g_set_error(error, SPN_TEMPLATE_ERROR, SPN_TEMPLATE_ERROR_ARGUMENTS,
                    _("‘%s’ takes a variable, such as %s(status)"), builtin->name, builtin->name);
        return FALSE;
    }
    return TRUE;
}
