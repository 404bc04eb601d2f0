/* web-card.c — the SVG card: layout, escaping, progress as of drawing. */
#define G_LOG_DOMAIN "spotnow-web-card"

#include "web-card.h"

#include <glib/gi18n.h>
#include <string.h>

#include "render.h"
#include "spn-snapshot.h"
#include "template.h"

#define CARD_WIDTH 420
#define CARD_HEIGHT 120
#define COVER_SIZE 96
#define TEXT_X 120
#define BAR_WIDTH 280
/* Long texts are cut: SVG has no text wrapping, and the card has a fixed width. */
#define TITLE_CHARS 32
#define LINE_CHARS 40

typedef struct {
    const char *background, *border, *text, *muted, *bar, *bar_fill;
} Palette;

static const Palette light = {"#ffffff", "#d0d7de", "#1f2328", "#59636e", "#e6e9ec", "#1db954"};
static const Palette dark = {"#0d1117", "#30363d", "#e6edf3", "#9198a1", "#21262d", "#1db954"};

const char *spn_web_card_sniff_image(GBytes *bytes)
{
    gsize len = 0;
    const guchar *data = bytes != NULL ? g_bytes_get_data(bytes, &len) : NULL;
    if (len >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "image/png";
    if (len >= 3 && memcmp(data, "\xff\xd8\xff", 3) == 0)
        return "image/jpeg";
    if (len >= 12 && memcmp(data, "RIFF", 4) == 0 && memcmp(data + 8, "WEBP", 4) == 0)
        return "image/webp";
    if (len >= 6 && (memcmp(data, "GIF87a", 6) == 0 || memcmp(data, "GIF89a", 6) == 0))
        return "image/gif";
    return NULL;
}

static const char *lookup_str(GVariant *dict, const char *key)
{
    const char *value = NULL;
    if (!g_variant_lookup(dict, key, "&s", &value))
        return "";
    return value;
}

/* Cut to @max characters, then escape for XML text and attributes alike. */
static char *text(const char *value, glong max)
{
    g_autofree char *cut = spn_template_truncate(value, max);
    return g_markup_escape_text(cut, -1);
}

static char *format_time(gint64 ms)
{
    gint64 s = MAX(ms, 0) / 1000;
    return g_strdup_printf("%" G_GINT64_FORMAT ":%02d", s / 60, (int)(s % 60));
}

static gboolean is_http_url(const char *url)
{
    return g_str_has_prefix(url, "https://") || g_str_has_prefix(url, "http://");
}

char *spn_web_card_svg(GVariant *view, GBytes *art, SpnWebTheme theme, gint64 now_ms)
{
    g_return_val_if_fail(view != NULL, NULL);
    const Palette *p = theme == SPN_WEB_THEME_DARK ? &dark : &light;
    SpnState state = spn_render_state(view);
    gboolean ad = g_str_equal(lookup_str(view, SPN_KEY_ITEM_TYPE), "ad");
    gint64 duration = 0;
    g_variant_lookup(view, SPN_KEY_DURATION_MS, "x", &duration);
    gint64 position = spn_render_position_ms(view, now_ms);

    const char *label;
    if (state == SPN_STATE_STOPPED)
        label = _("Nothing played yet");
    else if (state == SPN_STATE_PAUSED)
        label = _("Last played");
    else
        label = _("Now playing");

    g_autofree char *title = NULL;
    if (ad)
        title = text(_("Advertisement"), TITLE_CHARS);
    else
        title = text(lookup_str(view, SPN_KEY_TRACK_NAME), TITLE_CHARS);
    g_autofree char *artist = text(ad ? "" : lookup_str(view, SPN_KEY_ARTIST_NAME), LINE_CHARS);
    g_autofree char *album = text(ad ? "" : lookup_str(view, SPN_KEY_ALBUM_NAME), LINE_CHARS);
    g_autofree char *label_text = g_markup_escape_text(label, -1);
    g_autofree char *aria =
        g_markup_printf_escaped("%s: %s — %s", label, lookup_str(view, SPN_KEY_ARTIST_NAME),
                                lookup_str(view, SPN_KEY_TRACK_NAME));

    GString *svg = g_string_sized_new(4096 + (art != NULL ? g_bytes_get_size(art) * 4 / 3 : 0));
    g_string_append_printf(svg,
                           "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                           "xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"%d\" "
                           "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">\n",
                           CARD_WIDTH, CARD_HEIGHT, CARD_WIDTH, CARD_HEIGHT, aria);
    g_string_append_printf(svg, "<title>%s</title>\n", aria);
    g_string_append(svg,
                    "<style>text{font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',"
                    "Helvetica,Arial,sans-serif}</style>\n");
    g_string_append_printf(svg,
                           "<rect x=\"0.5\" y=\"0.5\" width=\"%d\" height=\"%d\" rx=\"8\" "
                           "fill=\"%s\" stroke=\"%s\"/>\n",
                           CARD_WIDTH - 1, CARD_HEIGHT - 1, p->background, p->border);

    /* The link: the whole card when Spotify gave the track a page. */
    const char *url = lookup_str(view, SPN_KEY_TRACK_URL);
    gboolean link = is_http_url(url);
    if (link) {
        g_autofree char *href = g_markup_escape_text(url, -1);
        g_string_append_printf(svg, "<a href=\"%s\" xlink:href=\"%s\" target=\"_blank\">\n", href,
                               href);
    }

    const char *mime = spn_web_card_sniff_image(art);
    if (mime != NULL && g_bytes_get_size(art) <= SPN_WEB_CARD_MAX_ART_BYTES) {
        gsize len = 0;
        const guchar *data = g_bytes_get_data(art, &len);
        g_autofree char *base64 = g_base64_encode(data, len);
        g_string_append_printf(svg,
                               "<image x=\"12\" y=\"12\" width=\"%d\" height=\"%d\" "
                               "preserveAspectRatio=\"xMidYMid slice\" href=\"data:%s;base64,%s\" "
                               "xlink:href=\"data:%s;base64,%s\"/>\n",
                               COVER_SIZE, COVER_SIZE, mime, base64, mime, base64);
    } else {
        g_string_append_printf(svg,
                               "<rect x=\"12\" y=\"12\" width=\"%d\" height=\"%d\" rx=\"4\" "
                               "fill=\"%s\"/>\n",
                               COVER_SIZE, COVER_SIZE, p->bar);
    }

    g_string_append_printf(svg, "<text x=\"%d\" y=\"30\" font-size=\"12\" fill=\"%s\">%s</text>\n",
                           TEXT_X, p->muted, label_text);
    g_string_append_printf(svg,
                           "<text x=\"%d\" y=\"52\" font-size=\"17\" font-weight=\"600\" "
                           "fill=\"%s\">%s</text>\n",
                           TEXT_X, p->text, title);
    g_string_append_printf(svg, "<text x=\"%d\" y=\"71\" font-size=\"13\" fill=\"%s\">%s</text>\n",
                           TEXT_X, p->text, artist);
    g_string_append_printf(svg, "<text x=\"%d\" y=\"88\" font-size=\"12\" fill=\"%s\">%s</text>\n",
                           TEXT_X, p->muted, album);

    if (state != SPN_STATE_STOPPED && duration > 0) {
        int filled = (int)(BAR_WIDTH * MIN(position, duration) / duration);
        g_autofree char *at = format_time(position);
        g_autofree char *total = format_time(duration);
        g_string_append_printf(svg,
                               "<rect x=\"%d\" y=\"98\" width=\"%d\" height=\"4\" rx=\"2\" "
                               "fill=\"%s\"/>\n"
                               "<rect class=\"progress\" x=\"%d\" y=\"98\" width=\"%d\" "
                               "height=\"4\" rx=\"2\" fill=\"%s\"/>\n"
                               "<text x=\"%d\" y=\"114\" font-size=\"10\" fill=\"%s\">%s / "
                               "%s</text>\n",
                               TEXT_X, BAR_WIDTH, p->bar, TEXT_X, filled, p->bar_fill, TEXT_X,
                               p->muted, at, total);
    }
    if (link)
        g_string_append(svg, "</a>\n");

    /* Spotify's terms ask for attribution wherever its metadata is shown. */
    g_string_append_printf(svg,
                           "<circle cx=\"%d\" cy=\"20\" r=\"7\" fill=\"#1db954\"/>\n"
                           "<text x=\"%d\" y=\"114\" font-size=\"10\" fill=\"%s\" "
                           "text-anchor=\"end\">%s</text>\n",
                           CARD_WIDTH - 20, CARD_WIDTH - 12, p->muted, "Spotify");
    g_string_append(svg, "</svg>\n");
    return g_string_free(svg, FALSE);
}
