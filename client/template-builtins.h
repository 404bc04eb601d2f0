/* template-builtins.h — private to template.c: the AST node and the functions and operators
 * it can call. Values follow playerctl 2.4.1: GVariants, NULL meaning "unset". */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    NODE_TEXT,     /* literal text outside {{ }} */
    NODE_STRING,   /* "string" */
    NODE_NUMBER,   /* 12.5, always a double as in playerctl */
    NODE_VARIABLE, /* title, mpris:length */
    NODE_CALL,     /* func(args…), and the operators + - * / as two- or one-argument calls */
} SpnTemplateNodeKind;

typedef struct _SpnTemplateBuiltin SpnTemplateBuiltin;

typedef struct {
    SpnTemplateNodeKind kind;
    int column; /* 1-based, in characters, for error messages */
    char *text; /* text, string, variable name or function name */
    double number;
    const SpnTemplateBuiltin *builtin; /* NODE_CALL */
    GPtrArray *args;                   /* NODE_CALL: SpnTemplateNode* */
} SpnTemplateNode;

/* Takes unowned @args (each NULL when unset); returns a new reference, NULL for "unset", or NULL
 * with @error set (message without the column; the caller adds it). */
typedef GVariant *(*SpnTemplateEval)(const SpnTemplateNode *node, GVariant **args, guint n_args,
                                     GError **error);

struct _SpnTemplateBuiltin {
    const char *name;
    guint min_args;
    guint max_args;
    gboolean wants_variable; /* emoji() looks at the name of the variable it is given */
    SpnTemplateEval eval;
};

/* NULL when @name is no function or operator. */
const SpnTemplateBuiltin *spn_template_builtin_lookup(const char *name);

/* Checks the argument count (and kind) of a call at compile time. */
gboolean spn_template_builtin_check(const SpnTemplateBuiltin *builtin, GPtrArray *args,
                                    GError **error);

/* How playerctl prints a value: strings raw, string arrays joined with ", ", the rest as
 * g_variant_print() without type annotations (so the number 3 prints "3.0"). */
char *spn_template_print_value(GVariant *value);

G_END_DECLS
