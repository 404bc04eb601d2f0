/* png.c — an uncompressed PNG writer: stored deflate blocks need no zlib, and the images are
 * small. */
#define G_LOG_DOMAIN "spotnow-fake-png"

#include "png.h"

#include <string.h>

static guint32 crc32_update(guint32 crc, const guint8 *data, gsize length)
{
    crc = ~crc;
    for (gsize i = 0; i < length; i++) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static guint32 adler32(const guint8 *data, gsize length)
{
    guint32 a = 1, b = 0;

    for (gsize i = 0; i < length; i++) {
        a = (a + data[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    return (b << 16) | a;
}

static void append_be32(GByteArray *out, guint32 value)
{
    guint8 bytes[4] = {value >> 24, value >> 16, value >> 8, value};

    g_byte_array_append(out, bytes, 4);
}

static void append_chunk(GByteArray *out, const char *type, const guint8 *data, gsize length)
{
    guint32 crc;

    append_be32(out, (guint32)length);
    g_byte_array_append(out, (const guint8 *)type, 4);
    if (length > 0)
        g_byte_array_append(out, data, (guint)length);
    crc = crc32_update(0, (const guint8 *)type, 4);
    crc = crc32_update(crc, data, length);
    append_be32(out, crc);
}

/* A zlib stream of stored (uncompressed) deflate blocks. */
static GByteArray *zlib_stored(const guint8 *data, gsize length)
{
    GByteArray *out = g_byte_array_new();
    const guint8 header[2] = {0x78, 0x01};
    gsize offset = 0;

    g_byte_array_append(out, header, 2);
    do {
        gsize block = MIN(length - offset, 65535);
        guint8 block_header[5] = {offset + block == length ? 1 : 0, block & 0xff, block >> 8,
                                  ~block & 0xff, (~block >> 8) & 0xff};

        g_byte_array_append(out, block_header, 5);
        g_byte_array_append(out, data + offset, (guint)block);
        offset += block;
    } while (offset < length);
    append_be32(out, adler32(data, length));
    return out;
}

GBytes *fs_png_for_seed(const char *seed, guint size)
{
    static const guint8 signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    g_autoptr(GByteArray) png = g_byte_array_new();
    g_autoptr(GByteArray) raw = g_byte_array_new();
    g_autoptr(GByteArray) idat = NULL;
    guint32 hash = g_str_hash(seed);
    guint8 rgb[3] = {hash >> 16, hash >> 8, hash};
    guint8 ihdr[13] = {0};

    g_return_val_if_fail(size >= 1 && size <= 256, NULL);
    for (guint y = 0; y < size; y++) {
        const guint8 filter_none = 0;

        g_byte_array_append(raw, &filter_none, 1);
        for (guint x = 0; x < size; x++)
            g_byte_array_append(raw, rgb, 3);
    }
    idat = zlib_stored(raw->data, raw->len);

    ihdr[3] = (guint8)size; /* width and height fit in the low bytes (size <= 256) */
    ihdr[2] = (guint8)(size >> 8);
    ihdr[7] = (guint8)size;
    ihdr[6] = (guint8)(size >> 8);
    ihdr[8] = 8; /* bit depth */
    ihdr[9] = 2; /* colour type: RGB */

    g_byte_array_append(png, signature, sizeof signature);
    append_chunk(png, "IHDR", ihdr, sizeof ihdr);
    append_chunk(png, "IDAT", idat->data, idat->len);
    append_chunk(png, "IEND", NULL, 0);
    return g_byte_array_free_to_bytes(g_steal_pointer(&png));
}
