/* template.c — playerctl's format-string language: a recursive-descent parser to an AST and a
 * GVariant evaluator. See template.h for the grammar and the few deliberate differences. */
#define G_LOG_DOMAIN "spotnow-template"

#include "template.h"

#include <glib/gi18n.h>
#include <string.h>

#include "template-builtins.h"

/* G_DEFINE_QUARK stringifies its first argument; clang-format (14, WhitespaceSensitiveMacros
 * included) would put spaces into the quark's name. */
// clang-format off
G_DEFINE_QUARK(spn-template-error-quark, spn_template_error)
// clang-format on

/* Bounds keep a hostile template from exhausting the stack or building absurd calls. */
#define MAX_DEPTH 64
#define MAX_ARGS 32

struct _SpnTemplate {
    GPtrArray *parts; /* SpnTemplateNode*: NODE_TEXT and expressions, in order */
};

typedef struct {
    const char *source;
    const char *p;
    guint depth;
} Parser;

static SpnTemplateNode *parse_sum(Parser *parser, GError **error);

static void node_free(SpnTemplateNode *node)
{
    if (node == NULL) {
        return;
    }
    g_clear_pointer(&node->args, g_ptr_array_unref);
    g_free(node->text);
    g_free(node);
}

static SpnTemplateNode *node_new(SpnTemplateNodeKind kind, int column)
{
    SpnTemplateNode *node = g_new0(SpnTemplateNode, 1);
    node->kind = kind;
    node->column = column;
    return node;
}

static int column_at(const Parser *parser, const char *at)
{
    return (int)g_utf8_strlen(parser->source, at - parser->source) + 1;
}

G_GNUC_PRINTF(5, 6)
static void set_error_at(GError **error, SpnTemplateError code, const Parser *parser,
                         const char *at, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *message = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(error, SPN_TEMPLATE_ERROR, code, _("template: column %d: %s"),
                column_at(parser, at), message);
}

static void skip_blanks(Parser *parser)
{
    while (*parser->p == ' ' || *parser->p == '\t') {
        parser->p++;
    }
}

/* The character at @at, quoted for a message (a whole UTF-8 sequence, or "end"). */
static char *describe_char(const char *at)
{
    if (*at == '\0') {
        return g_strdup(_("the end of the template"));
    }
    const char *next = g_utf8_find_next_char(at, NULL);
    g_autofree char *ch = g_strndup(at, next != NULL ? (gsize)(next - at) : strlen(at));
    /* TRANSLATORS: one character of the template, quoted as in the other template messages */
    return g_strdup_printf(_("‘%s’"), ch);
}

static gboolean is_ident_start(char c)
{
    return g_ascii_isalpha(c) || c == '_';
}

static gboolean is_ident_char(char c)
{
    return g_ascii_isalnum(c) || c == '_' || c == ':';
}

static gboolean is_number_char(char c)
{
    return g_ascii_isdigit(c) || c == '.';
}

static SpnTemplateNode *parse_call(Parser *parser, const char *start, char *name, GError **error)
{
    const SpnTemplateBuiltin *builtin = spn_template_builtin_lookup(name);
    if (builtin == NULL) {
        set_error_at(error, SPN_TEMPLATE_ERROR_UNKNOWN_FUNCTION, parser, start,
                     _("unknown function ‘%s’"), name);
        g_free(name);
        return NULL;
    }

    g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func((GDestroyNotify)node_free);
    parser->p++; /* '(' */
    for (;;) {
        if (args->len >= MAX_ARGS) {
            set_error_at(error, SPN_TEMPLATE_ERROR_ARGUMENTS, parser, parser->p,
                         _("more than %d arguments"), MAX_ARGS);
            g_free(name);
            return NULL;
        }
        SpnTemplateNode *arg = parse_sum(parser, error);
        if (arg == NULL) {
            g_free(name);
            return NULL;
        }
        g_ptr_array_add(args, arg);
        skip_blanks(parser);
        if (*parser->p == ',') {
            parser->p++;
            continue;
        }
        if (*parser->p == ')') {
            parser->p++;
            break;
        }
        g_autofree char *found = describe_char(parser->p);
        set_error_at(error, SPN_TEMPLATE_ERROR_SYNTAX, parser, parser->p,
                     _("expected ‘,’ or ‘)’, found %s"), found);
        g_free(name);
        return NULL;
    }

    g_autoptr(GError) arity_error = NULL;
    if (!spn_template_builtin_check(builtin, args, &arity_error)) {
        set_error_at(error, SPN_TEMPLATE_ERROR_ARGUMENTS, parser, start, "%s",
                     arity_error->message);
        g_free(name);
        return NULL;
    }

    SpnTemplateNode *node = node_new(NODE_CALL, column_at(parser, start));
    node->text = name;
    node->builtin = builtin;
    node->args = g_steal_pointer(&args);
    return node;
}

static SpnTemplateNode *parse_string(Parser *parser, GError **error)
{
    const char *start = parser->p++;
    const char *close = strchr(parser->p, '"');
    if (close == NULL) {
        set_error_at(error, SPN_TEMPLATE_ERROR_SYNTAX, parser, start, _("unterminated string"));
        return NULL;
    }
    SpnTemplateNode *node = node_new(NODE_STRING, column_at(parser, start));
    node->text = g_strndup(parser->p, close - parser->p);
    parser->p = close + 1;
    return node;
}

static SpnTemplateNode *parse_number(Parser *parser, GError **error)
{
    const char *start = parser->p;
    while (is_number_char(*parser->p)) {
        parser->p++;
    }
    g_autofree char *text = g_strndup(start, parser->p - start);
    char *end = NULL;
    double value = g_ascii_strtod(text, &end);
    if (end == NULL || *end != '\0' || end == text) {
        set_error_at(error, SPN_TEMPLATE_ERROR_SYNTAX, parser, start, _("invalid number ‘%s’"),
                     text);
        return NULL;
    }
    SpnTemplateNode *node = node_new(NODE_NUMBER, column_at(parser, start));
    node->number = value;
    return node;
}

static SpnTemplateNode *parse_primary(Parser *parser, GError **error)
{
    skip_blanks(parser);
    const char *start = parser->p;
    char c = *start;

    if (c == '(') {
        parser->p++;
        SpnTemplateNode *inner = parse_sum(parser, error);
        if (inner == NULL) {
            return NULL;
        }
        skip_blanks(parser);
        if (*parser->p != ')') {
            g_autofree char *found = describe_char(parser->p);
            set_error_at(error, SPN_TEMPLATE_ERROR_SYNTAX, parser, parser->p,
                         _("expected ‘)’, found %s"), found);
            node_free(inner);
            return NULL;
        }
        parser->p++;
        return inner;
    }
    if (c == '"') {
        return parse_string(parser, error);
    }
    if (is_number_char(c)) {
        return parse_number(parser, error);
    }
    if (is_ident_start(c)) {
        while (is_ident_char(*parser->p)) {
            parser->p++;
        }
        char *name = g_strndup(start, parser->p - start);
        /* As in playerctl, a call needs its "(" right after the name. */
        if (*parser->p == '(') {
            return parse_call(parser, start, name, error);
        }
        SpnTemplateNode *node = node_new(NODE_VARIABLE, column_at(parser, start));
        node->text = name;
        return node;
    }

    g_autofree char *found = describe_char(start);
    set_error_at(error, SPN_TEMPLATE_ERROR_SYNTAX, parser, start,
                 _("expected an expression, found %s"), found);
    return NULL;
}

static SpnTemplateNode *operator_node(char op, int column, SpnTemplateNode *left,
                                      SpnTemplateNode *right)
{
    char name[2] = {op, '\0'};
    SpnTemplateNode *node = node_new(NODE_CALL, column);
    node->text = g_strdup(name);
    node->builtin = spn_template_builtin_lookup(name);
    node->args = g_ptr_array_new_with_free_func((GDestroyNotify)node_free);
    g_ptr_array_add(node->args, left);
    if (right != NULL) {
        g_ptr_array_add(node->args, right);
    }
    return node;
}

static SpnTemplateNode *parse_unary(Parser *parser, GError **error)
{
    skip_blanks(parser);
    if (*parser->p != '+' && *parser->p != '-') {
        return parse_primary(parser, error);
    }
    if (++parser->depth > MAX_DEPTH) {
        set_error_at(error, SPN_TEMPLATE_ERROR_SYNTAX, parser, parser->p,
                     _("expression nested too deeply"));
        return NULL;
    }
    char op = *parser->p;
    int column = column_at(parser, parser->p);
    parser->p++;
    SpnTemplateNode *operand = parse_unary(parser, error);
    parser->depth--;
    if (operand == NULL) {
        return NULL;
    }
    return operator_node(op, column, operand, NULL);
}

static SpnTemplateNode *parse_product(Parser *parser, GError **error)
{
    SpnTemplateNode *left = parse_unary(parser, error);
    while (left != NULL) {
        skip_blanks(parser);
        char op = *parser->p;
        if (op != '*' && op != '/') {
            break;
        }
        int column = column_at(parser, parser->p);
        parser->p++;
        SpnTemplateNode *right = parse_unary(parser, error);
        if (right == NULL) {
            node_free(left);
            return NULL;
        }
        left = operator_node(op, column, left, right);
    }
    return left;
}

static SpnTemplateNode *parse_sum(Parser *parser, GError **error)
{
    if (++parser->depth > MAX_DEPTH) {
        set_error_at(error, SPN_TEMPLATE_ERROR_SYNTAX, parser, parser->p,
                     _("expression nested too deeply"));
        return NULL;
    }
    SpnTemplateNode *left = parse_product(parser, error);
    while (left != NULL) {
        skip_blanks(parser);
        char op = *parser->p;
        if (op != '+' && op != '-') {
            break;
        }
        int column = column_at(parser, parser->p);
        parser->p++;
        SpnTemplateNode *right = parse_product(parser, error);
        if (right == NULL) {
            node_free(left);
            left = NULL;
            break;
        }
        left = operator_node(op, column, left, right);
    }
    parser->depth--;
    return left;
}

static void add_text(GPtrArray *parts, const char *start, const char *end)
{
    if (end > start) {
        SpnTemplateNode *node = node_new(NODE_TEXT, 0);
        node->text = g_strndup(start, end - start);
        g_ptr_array_add(parts, node);
    }
}

SpnTemplate *spn_template_compile(const char *source, GError **error)
{
    g_return_val_if_fail(source != NULL, NULL);

    const char *invalid = NULL;
    Parser parser = {.source = source, .p = source, .depth = 0};
    if (!g_utf8_validate(source, -1, &invalid)) {
        g_set_error(error, SPN_TEMPLATE_ERROR, SPN_TEMPLATE_ERROR_SYNTAX,
                    _("template: column %d: %s"), column_at(&parser, invalid),
                    _("not valid UTF-8"));
        return NULL;
    }

    g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func((GDestroyNotify)node_free);
    const char *text_start = source;
    while (*parser.p != '\0') {
        if (parser.p[0] != '{' || parser.p[1] != '{') {
            parser.p++;
            continue;
        }
        add_text(parts, text_start, parser.p);
        parser.p += 2;
        SpnTemplateNode *expr = parse_sum(&parser, error);
        if (expr == NULL) {
            return NULL;
        }
        g_ptr_array_add(parts, expr);
        skip_blanks(&parser);
        if (parser.p[0] != '}' || parser.p[1] != '}') {
            g_autofree char *found = describe_char(parser.p);
            set_error_at(error, SPN_TEMPLATE_ERROR_SYNTAX, &parser, parser.p,
                         _("expected ‘}}’, found %s"), found);
            return NULL;
        }
        parser.p += 2;
        text_start = parser.p;
    }
    add_text(parts, text_start, parser.p);

    SpnTemplate *tmpl = g_new0(SpnTemplate, 1);
    tmpl->parts = g_steal_pointer(&parts);
    return tmpl;
}

void spn_template_free(SpnTemplate *tmpl)
{
    if (tmpl == NULL) {
        return;
    }
    g_ptr_array_unref(tmpl->parts);
    g_free(tmpl);
}

static gboolean node_uses(const SpnTemplateNode *node, const char *name)
{
    if (node->kind == NODE_VARIABLE) {
        return g_strcmp0(node->text, name) == 0;
    }
    if (node->kind == NODE_CALL) {
        for (guint i = 0; i < node->args->len; i++) {
            if (node_uses(g_ptr_array_index(node->args, i), name)) {
                return TRUE;
            }
        }
    }
    return FALSE;
}

gboolean spn_template_uses(const SpnTemplate *tmpl, const char *name)
{
    g_return_val_if_fail(tmpl != NULL && name != NULL, FALSE);

    for (guint i = 0; i < tmpl->parts->len; i++) {
        if (node_uses(g_ptr_array_index(tmpl->parts, i), name)) {
            return TRUE;
        }
    }
    return FALSE;
}

/* Evaluates @node to a new reference, or NULL for "unset" (which is not an error). */
static GVariant *eval(const SpnTemplateNode *node, SpnTemplateLookup lookup, gpointer user_data,
                      GError **error)
{
    switch (node->kind) {
        case NODE_TEXT:
        case NODE_STRING:
            return g_variant_ref_sink(g_variant_new_string(node->text));
        case NODE_NUMBER:
            return g_variant_ref_sink(g_variant_new_double(node->number));
        case NODE_VARIABLE: {
            GVariant *value = lookup(node->text, user_data);
            return value != NULL ? g_variant_take_ref(value) : NULL;
        }
        case NODE_CALL:
            break;
    }

    GVariant *args[MAX_ARGS] = {NULL};
    guint n_args = node->args->len;
    GVariant *result = NULL;
    GError *local_error = NULL;
    for (guint i = 0; i < n_args && local_error == NULL; i++) {
        args[i] = eval(g_ptr_array_index(node->args, i), lookup, user_data, &local_error);
    }
    if (local_error != NULL) {
        /* An argument's error already names its own column. */
        g_propagate_error(error, local_error);
    } else {
        result = node->builtin->eval(node, args, n_args, &local_error);
        if (local_error != NULL) {
            g_set_error(error, SPN_TEMPLATE_ERROR, SPN_TEMPLATE_ERROR_EVAL,
                        _("template: column %d: %s"), node->column, local_error->message);
            g_error_free(local_error);
        }
    }
    for (guint i = 0; i < n_args; i++) {
        g_clear_pointer(&args[i], g_variant_unref);
    }
    return result;
}

char *spn_template_render(const SpnTemplate *tmpl, SpnTemplateLookup lookup, gpointer user_data,
                          GError **error)
{
    g_return_val_if_fail(tmpl != NULL && lookup != NULL, NULL);

    g_autoptr(GString) out = g_string_new(NULL);
    for (guint i = 0; i < tmpl->parts->len; i++) {
        const SpnTemplateNode *node = g_ptr_array_index(tmpl->parts, i);
        if (node->kind == NODE_TEXT) {
            g_string_append(out, node->text);
            continue;
        }
        GError *local_error = NULL;
        g_autoptr(GVariant) value = eval(node, lookup, user_data, &local_error);
        if (local_error != NULL) {
            g_propagate_error(error, local_error);
            return NULL;
        }
        if (value != NULL) {
            g_autofree char *printed = spn_template_print_value(value);
            g_string_append(out, printed);
        }
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static GVariant *lookup_in_dict(const char *name, gpointer user_data)
{
    return g_variant_lookup_value(user_data, name, NULL);
}

char *spn_template_render_dict(const SpnTemplate *tmpl, GVariant *variables, GError **error)
{
    g_return_val_if_fail(g_variant_is_of_type(variables, G_VARIANT_TYPE_VARDICT), NULL);
    return spn_template_render(tmpl, lookup_in_dict, variables, error);
}
