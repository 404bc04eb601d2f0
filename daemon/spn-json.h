/* spn-json.h — tolerant accessors for the untrusted JSON Spotify sends.
 *
 * Spotify's replies change shape over the years (fields go missing, turn null, or change type),
 * so every accessor treats a member of the wrong type exactly like an absent one: the caller only
 * ever decides "present and usable" or "not". Header-only so the pure modules share it without
 * another build entry.
 */
#pragma once

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "spn-text.h"

G_BEGIN_DECLS

/* Doubles outside this range lose integer precision; no real millisecond value comes near it. */
#define SPN_JSON_INT_LIMIT (G_GINT64_CONSTANT(1) << 53)

static inline JsonObject *spn_json_get_object(JsonObject *object, const char *member)
{
    JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
    return node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

static inline JsonArray *spn_json_get_array(JsonObject *object, const char *member)
{
    JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
    return node != NULL && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
}

/* The string as json-glib holds it: may be invalid UTF-8 (a lone "\udc00" escape gets through
 * json-glib), so copy it out with spn_json_dup_string() before showing it to anyone. */
static inline const char *spn_json_get_string(JsonObject *object, const char *member)
{
    JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(node);
}

/* A member's string fit to show (spn_text_clean), or NULL when absent or not a string. */
static inline char *spn_json_dup_string(JsonObject *object, const char *member)
{
    const char *value = spn_json_get_string(object, member);
    return value != NULL ? spn_text_clean(value) : NULL;
}

/* Whether @member is a string other than "". */
static inline gboolean spn_json_has_nonempty_string(JsonObject *object, const char *member)
{
    const char *value = spn_json_get_string(object, member);
    return value != NULL && *value != '\0';
}

/* A number, integer or not, as a gint64 within ±SPN_JSON_INT_LIMIT. json-glib turns integers
 * too big for gint64 into garbage and 1e400 into infinity, so clamp instead of trusting them. */
static inline gboolean spn_json_node_get_int64(JsonNode *node, gint64 *value)
{
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
        return FALSE;

    GType type = json_node_get_value_type(node);
    if (type == G_TYPE_INT64) {
        *value = CLAMP(json_node_get_int(node), -SPN_JSON_INT_LIMIT, SPN_JSON_INT_LIMIT);
        return TRUE;
    }
    if (type == G_TYPE_DOUBLE) {
        double d = json_node_get_double(node);
        if (isnan(d))
            return FALSE;
        *value = (gint64)CLAMP(d, (double)-SPN_JSON_INT_LIMIT, (double)SPN_JSON_INT_LIMIT);
        return TRUE;
    }
    return FALSE;
}

static inline gboolean spn_json_get_int64(JsonObject *object, const char *member, gint64 *value)
{
    JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
    return spn_json_node_get_int64(node, value);
}

/* TRUE only for a JSON true: "true" as a string or 1 is not a boolean. */
static inline gboolean spn_json_get_true(JsonObject *object, const char *member)
{
    JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
    return node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
           json_node_get_value_type(node) == G_TYPE_BOOLEAN && json_node_get_boolean(node);
}

G_END_DECLS
