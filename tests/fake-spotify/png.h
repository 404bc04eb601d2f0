/* png.h — a tiny valid PNG made in memory, so artwork URLs the fake hands out can be fetched and
 * decoded without shipping image files. Pure. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A @size × @size PNG (1..256) of one colour picked from @seed, so different tracks get
 * different artwork and a test can tell them apart. */
GBytes *fs_png_for_seed(const char *seed, guint size);

G_END_DECLS
