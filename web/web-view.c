/* web-view.c — the served view of the snapshot: filtering, JSON, ETags. */
#define G_LOG_DOMAIN "spotnow-web-view"

#include "web-view.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "spn-snapshot.h"

static const char *lookup_str(GVariant *dict, const char *key)
{
    const char *value = NULL;
    if (dict == NULL || !g_variant_lookup(dict, key, "&s", &value))
        return NULL;
    return value;
}

static gint64 lookup_int(GVariant *dict, const char *key)
{
    gint64 value = 0;
    if (dict == NULL || !g_variant_lookup(dict, key, "x", &value))
        return 0;
    return value;
}

static gboolean lookup_bool(GVariant *dict, const char *key)
{
    gboolean value = FALSE;
    if (dict == NULL || !g_variant_lookup(dict, key, "b", &value))
        return FALSE;
    return value;
}

static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

GVariant *spn_web_view_new(GVariant *snapshot, const SpnWebViewOptions *options)
{
    g_return_val_if_fail(snapshot == NULL || g_variant_is_of_type(snapshot, G_VARIANT_TYPE_VARDICT),
                         NULL);
    g_return_val_if_fail(options != NULL, NULL);

    gboolean playing = lookup_bool(snapshot, SPN_KEY_IS_PLAYING) && !options->signed_out;
    const char *item_type = or_empty(lookup_str(snapshot, SPN_KEY_ITEM_TYPE));
    if (item_type[0] == '\0')
        item_type = "none";
    gboolean hide = !playing && !options->show_last_played;

    g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&builder, "{sv}", SPN_KEY_IS_PLAYING, g_variant_new_boolean(playing));
    static const char *const text_keys[] = {SPN_KEY_TRACK_NAME, SPN_KEY_ARTIST_NAME,
                                            SPN_KEY_ALBUM_NAME, SPN_KEY_ALBUM_ART};
    for (gsize i = 0; i < G_N_ELEMENTS(text_keys); i++) {
        const char *value = hide ? "" : or_empty(lookup_str(snapshot, text_keys[i]));
        g_variant_builder_add(&builder, "{sv}", text_keys[i], g_variant_new_string(value));
    }
    const char *url = hide ? NULL : lookup_str(snapshot, SPN_KEY_TRACK_URL);
    const char *id = hide ? NULL : lookup_str(snapshot, SPN_KEY_TRACK_ID);
    if (url != NULL)
        g_variant_builder_add(&builder, "{sv}", SPN_KEY_TRACK_URL, g_variant_new_string(url));
    if (id != NULL)
        g_variant_builder_add(&builder, "{sv}", SPN_KEY_TRACK_ID, g_variant_new_string(id));
    g_variant_builder_add(&builder, "{sv}", SPN_KEY_ITEM_TYPE,
                          g_variant_new_string(hide ? "none" : item_type));
    g_variant_builder_add(
        &builder, "{sv}", SPN_KEY_PROGRESS_MS,
        g_variant_new_int64(hide ? 0 : lookup_int(snapshot, SPN_KEY_PROGRESS_MS)));
    g_variant_builder_add(
        &builder, "{sv}", SPN_KEY_DURATION_MS,
        g_variant_new_int64(hide ? 0 : lookup_int(snapshot, SPN_KEY_DURATION_MS)));
    g_variant_builder_add(&builder, "{sv}", SPN_KEY_FETCHED_AT,
                          g_variant_new_int64(lookup_int(snapshot, SPN_KEY_FETCHED_AT)));
    return g_variant_ref_sink(g_variant_builder_end(&builder));
}

char *spn_web_view_to_json(GVariant *view)
{
    g_return_val_if_fail(view != NULL, NULL);
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, SPN_KEY_IS_PLAYING);
    json_builder_add_boolean_value(builder, lookup_bool(view, SPN_KEY_IS_PLAYING));
    static const char *const text_keys[] = {SPN_KEY_TRACK_NAME, SPN_KEY_ARTIST_NAME,
                                            SPN_KEY_ALBUM_NAME, SPN_KEY_ALBUM_ART};
    for (gsize i = 0; i < G_N_ELEMENTS(text_keys); i++) {
        json_builder_set_member_name(builder, text_keys[i]);
        json_builder_add_string_value(builder, or_empty(lookup_str(view, text_keys[i])));
    }
    /* The seed's clients test trackUrl for null, so it is always there. */
    json_builder_set_member_name(builder, SPN_KEY_TRACK_URL);
    const char *url = lookup_str(view, SPN_KEY_TRACK_URL);
    if (url != NULL)
        json_builder_add_string_value(builder, url);
    else
        json_builder_add_null_value(builder);
    const char *id = lookup_str(view, SPN_KEY_TRACK_ID);
    if (id != NULL) {
        json_builder_set_member_name(builder, SPN_KEY_TRACK_ID);
        json_builder_add_string_value(builder, id);
    }
    json_builder_set_member_name(builder, SPN_KEY_ITEM_TYPE);
    json_builder_add_string_value(builder, or_empty(lookup_str(view, SPN_KEY_ITEM_TYPE)));
    static const char *const int_keys[] = {SPN_KEY_PROGRESS_MS, SPN_KEY_DURATION_MS,
                                           SPN_KEY_FETCHED_AT};
    for (gsize i = 0; i < G_N_ELEMENTS(int_keys); i++) {
        json_builder_set_member_name(builder, int_keys[i]);
        json_builder_add_int_value(builder, lookup_int(view, int_keys[i]));
    }
    json_builder_end_object(builder);

    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    g_autoptr(JsonGenerator) generator = json_generator_new();
    json_generator_set_root(generator, root);
    return json_generator_to_data(generator, NULL);
}

char *spn_web_etag(const void *data, gsize len)
{
    g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
    /* 96 bits tell bodies apart well enough and keep the header short. */
    return g_strdup_printf("\"%.24s\"", sum);
}

gboolean spn_web_etag_matches(const char *if_none_match, const char *etag)
{
    if (if_none_match == NULL || etag == NULL)
        return FALSE;
    g_auto(GStrv) tags = g_strsplit(if_none_match, ",", 64);
    for (gsize i = 0; tags[i] != NULL; i++) {
        const char *tag = g_strstrip(tags[i]);
        if (g_str_equal(tag, "*"))
            return TRUE;
        /* If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" matches "x". */
        if (g_str_has_prefix(tag, "W/"))
            tag += 2;
        if (g_str_equal(tag, etag))
            return TRUE;
    }
    return FALSE;
}
